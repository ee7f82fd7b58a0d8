/*
 * replay.c - runs a fuzz target over files, without libFuzzer: every seed and
 * every regression input in the tree is replayed as an ordinary test (and
 * under ASan+UBSan in the sanitized build), so CI checks them every time even
 * where clang's fuzzer runtime is absent.
 *
 *   replay EXPECT-FILE DIR...
 *
 * EXPECT-FILE holds one line per input, "corpus/NAME accept SUMMARY" or
 * "regressions/NAME reject" (NAME's folder, then its file name); SUMMARY is
 * what the target says it parsed, compared as a string. An input without a
 * line, a line without an input, another outcome or another summary fails
 * the test: a seed cannot be dropped or change meaning unnoticed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_input.h"

struct expect {
	char *key, *outcome, *summary;
	int used;
};

static struct expect *exps;
static size_t nexps;
static int failures;

static void load_expect(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	int lineno = 0;

	if (!f) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		char *key, *outcome, *rest;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		key = strtok(line, " ");
		outcome = strtok(NULL, " ");
		rest = strtok(NULL, "");
		if (!outcome || (strcmp(outcome, "accept") && strcmp(outcome, "reject"))) {
			fprintf(stderr, "%s:%d: expected 'PATH accept|reject [SUMMARY]'\n", path, lineno);
			exit(2);
		}
		exps = realloc(exps, (nexps + 1) * sizeof(*exps));
		exps[nexps++] = (struct expect){ strdup(key), strdup(outcome), strdup(rest ? rest : ""), 0 };
	}
	fclose(f);
}

/* "DIR/corpus/TARGET/NAME" -> "corpus/NAME" */
static const char *key_of(const char *path, char *buf, size_t len)
{
	char *copy = strdup(path), *slash[3] = { NULL, NULL, NULL };

	/* the last three slashes: before NAME, before TARGET, before corpus */
	for (char *p = copy; *p; p++)
		if (*p == '/')
			slash[2] = slash[1], slash[1] = slash[0], slash[0] = p;
	if (slash[1]) {
		*slash[1] = '\0';
		snprintf(buf, len, "%s/%s", slash[2] ? slash[2] + 1 : copy, slash[0] + 1);
	} else {
		snprintf(buf, len, "%s", path);
	}
	free(copy);
	return buf;
}

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;
	char key[512], summary[1024] = "";
	struct fuzz_sum sum = { summary, sizeof(summary) };
	struct expect *e = NULL;
	const char *outcome;

	if (!f) {
		perror(path);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (!buf || (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)) {
		fprintf(stderr, "%s: read failed\n", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	outcome = fuzz_target(buf, (size_t)n, &sum) ? "accept" : "reject";
	free(buf);
	key_of(path, key, sizeof(key));
	for (size_t i = 0; i < nexps; i++)
		if (!strcmp(exps[i].key, key))
			e = &exps[i];
	printf("%s %s%s%s\n", key, outcome, summary[0] ? " " : "", summary);
	if (!e) {
		fprintf(stderr, "FAIL %s: no expected outcome for it in the expect file\n", key);
		failures++;
		return 0;
	}
	e->used++;
	if (strcmp(e->outcome, outcome) || strcmp(e->summary, summary)) {
		fprintf(stderr, "FAIL %s:\n  expected %s %s\n  got      %s %s\n", key, e->outcome,
			e->summary, outcome, summary);
		failures++;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_path(const char *path, int *count)
{
	struct stat st;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	DIR *d;
	int rc = 0;

	if (stat(path, &st)) {
		if (errno == ENOENT && !strstr(path, "/corpus/"))
			return 0; /* no regressions folder yet: the expect file still counts */
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path);
	}
	d = opendir(path);
	if (!d) {
		perror(path);
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		names[n] = malloc(strlen(path) + strlen(e->d_name) + 2);
		sprintf(names[n], "%s/%s", path, e->d_name);
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (replay_path(names[i], count))
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int count = 0, rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: replay EXPECT-FILE FILE|DIR...\n");
		return 2;
	}
	load_expect(argv[1]);
	for (int i = 2; i < argc; i++)
		if (replay_path(argv[i], &count))
			rc = 1;
	for (size_t i = 0; i < nexps; i++) {
		if (exps[i].used != 1) {
			fprintf(stderr, "FAIL %s: expected once, replayed %d times\n", exps[i].key,
				exps[i].used);
			failures++;
		}
		free(exps[i].key);
		free(exps[i].outcome);
		free(exps[i].summary);
	}
	free(exps);
	if (count == 0) {
		fprintf(stderr, "no inputs replayed: a corpus is missing\n");
		return 1;
	}
	printf("%d inputs replayed, %d not as expected\n", count, failures);
	return rc || failures ? 1 : 0;
}
