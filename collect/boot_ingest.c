/*
 * boot_ingest.c - boot stages into the store (docs/virtualization.md, "Boot
 * stages"): each stage's time as a run metric, the user's stages in
 * config_json, and QEMU's console copied aside with the time each line
 * arrived, so that it reads like a board's log taken by a logger.
 */
#include "collect.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int boot__store(struct store *st, int64_t run, const struct boot_stages *s, const struct boot_times *t)
{
	for (size_t i = 0; s && t && i < s->n; i++)
		if ((t->seen & (1u << i)) && store__run_metric_set(st, run, s->v[i].metric, (double)t->ns[i]))
			return -1;
	return 0;
}

void boot__config(struct json *j, const struct boot_stages *s)
{
	for (size_t i = 0; s && i < s->n; i++) {
		char path[BOOT_STAGE_NAME_MAX + 16];

		if (!s->v[i].user)
			continue;
		snprintf(path, sizeof(path), "$.stages.%s", s->v[i].name);
		json__str(j, path, s->v[i].pattern);
	}
}

void boot__copy_timed(FILE *log, int *mid_line, const char *buf, size_t n, int64_t ns)
{
	size_t i = 0;

	while (i < n) {
		const char *nl = memchr(buf + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - buf) + 1 : n;

		if (!*mid_line)
			fprintf(log, "[%" PRId64 ".%09" PRId64 "] ", ns / 1000000000, ns % 1000000000);
		fwrite(buf + i, 1, end - i, log);
		*mid_line = !nl;
		i = end;
	}
}

int boot__read_console(const char *path, const struct boot_stages *s, struct boot_times *t)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;

	memset(t, 0, sizeof(*t));
	if (!f)
		return 0; /* QEMU wrote nothing */
	while (getline(&line, &cap, f) >= 0) {
		const char *text;
		int64_t ns = 0;
		int timed;

		line[strcspn(line, "\r\n")] = 0;
		timed = boot_line__time(line, &ns, &text);
		boot_times__line(s, t, text, timed, ns);
	}
	free(line);
	fclose(f);
	return 0;
}
