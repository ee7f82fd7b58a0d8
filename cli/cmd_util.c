/* cmd_util.c - option helpers shared by the subcommands. */
#include "cmd.h"
#include "common.h"
#include "store.h"
#include "collect.h"

#include <getopt.h>
#include <errno.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cmd_usage(const char *usage_text, int status)
{
	FILE *f = status ? stderr : stdout;

	fputs(usage_text, f);
	if (!status && stdout_flush_check())
		exit(EXIT_FINDINGS);
	exit(status);
}

int cmd_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return 0;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	}
	return 0;
}

int cmd_opt_int(const char *opt, const char *arg, int min)
{
	int64_t v;

	if (parse_i64(arg, &v) || v < min || v > INT_MAX)
		usage_die("--%s: '%s' is not a whole number >= %d", opt, arg, min);
	return (int)v;
}

double cmd_opt_seconds(const char *opt, const char *arg)
{
	double v;

	if (parse_double(arg, &v) || !(v > 0))
		usage_die("--%s: '%s' is not a positive number of seconds", opt, arg);
	return v;
}

void collect_common__init(struct collect_common *o)
{
	*o = (struct collect_common){ .db = store__default_path(), .reps = 1 };
}

int collect_common__opt(struct collect_common *o, int c, const char *arg)
{
	switch (c) {
	case 'd': o->db = arg; return 1;
	case 'n': o->name = arg; return 1;
	case 'c': o->cell = arg; return 1;
	case 'F': o->fail_on_error = 1; return 1;
	case 'r': o->reps = cmd_opt_int("reps", arg, 1); o->reps_given = 1; return 1;
	case 'R': o->rep = cmd_opt_int("rep", arg, 0); return 1;
	case 't': o->timeout_s = cmd_opt_seconds("timeout", arg); return 1;
	}
	return 0;
}

void collect_common__check(const struct collect_common *o, const char *cmd)
{
	if (o->cell && o->reps != 1)
		usage_die("%s: --cell needs --reps 1", cmd);
}

/* Optimal string alignment distance (Levenshtein plus adjacent swaps), as git
 * measures a mistyped command; words here are short, so a quadratic table is fine. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), *d, r;

	d = xcalloc((la + 1) * (lb + 1), sizeof(*d));
#define D(i, j) d[(i) * (lb + 1) + (j)]
	for (size_t i = 0; i <= la; i++)
		D(i, 0) = i;
	for (size_t j = 0; j <= lb; j++)
		D(0, j) = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t best = D(i - 1, j - 1) + (a[i - 1] != b[j - 1]);

			if (D(i - 1, j) + 1 < best)
				best = D(i - 1, j) + 1;
			if (D(i, j - 1) + 1 < best)
				best = D(i, j - 1) + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && D(i - 2, j - 2) + 1 < best)
				best = D(i - 2, j - 2) + 1;
			D(i, j) = best;
		}
	r = D(la, lb);
#undef D
	free(d);
	return r;
}

const char *cmd_suggest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, len = strlen(word);
	/* close enough to be a typo: a third of the word, at least 2 edits */
	size_t limit = len / 3 > 2 ? len / 3 : 2;

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, cands[i]);

		/* a unique start of a longer name counts as close too */
		if (len >= 3 && !strncmp(word, cands[i], len))
			d = 1;
		if (d < best_d) {
			best_d = d;
			best = cands[i];
		}
	}
	return best_d <= limit ? best : NULL;
}

void cmd_unknown(const char *what, const char *word, const char *const *cands, size_t n, const char *help)
{
	const char *s = cmd_suggest(word, cands, n);

	if (s)
		error("%s '%s'; did you mean '%s'? (see '%s')", what, word, s, help);
	else
		error("%s '%s' (see '%s')", what, word, help);
}

static char cmd_name_buf[64] = "emudiff";

void cmd_set_name(const char *name)
{
	snprintf(cmd_name_buf, sizeof(cmd_name_buf), "%s", name);
}

const char *cmd_name(void)
{
	return cmd_name_buf;
}

int cmd_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (c != '?')
		return c;
	{
		const char *arg = argv[optind - 1 < argc ? optind - 1 : argc - 1];
		char name[128];
		const char *names[256];
		size_t n = 0;

		/* the option as typed, without '--' and '=value' */
		snprintf(name, sizeof(name), "%s", arg + strspn(arg, "-"));
		name[strcspn(name, "=")] = 0;
		for (const struct option *o = longopts; o && o->name && n < 256; o++) {
			if (!strcmp(o->name, name)) {
				error("%s: option '--%s' needs a value", cmd_name(), name);
				return '?';
			}
			names[n++] = o->name;
		}
		if (optopt && optopt != '?' && !strchr(arg, '=') && arg[1] != '-') {
			error("%s: unknown option '-%c' (see 'emudiff %s --help')", cmd_name(), optopt, cmd_name());
			return '?';
		}
		{
			char *what = xasprintf("%s: unknown option", cmd_name());
			char *help = xasprintf("emudiff %s --help", cmd_name());
			const char *s = cmd_suggest(name, names, n);

			if (s)
				error("%s '--%s'; did you mean '--%s'? (see '%s')", what, name, s, help);
			else
				error("%s '%s' (see '%s')", what, arg, help);
			free(what);
			free(help);
		}
	}
	return '?';
}

FILE *cmd_open_input(const char *path)
{
	FILE *f = fopen(path, "r");

	if (!f)
		error("%s: %s", path, strerror(errno));
	return f;
}

struct store *cmd_import_store(struct import_ingest *in, const char *db, char **dflt)
{
	*dflt = import__default_name(in->file);
	if (!in->workload.name)
		in->workload.name = *dflt;
	return store__open(db ? db : store__default_path(), STORE_CREATE);
}

int import_common__opt(struct import_ingest *in, const char **db, int c, const char *arg)
{
	switch (c) {
	case 'd': *db = arg; return 1;
	case 'n': in->workload.name = arg; return 1;
	case 'a': in->workload.arch = arg; return 1;
	case 'c': in->cell = arg; return 1;
	case 'R': in->rep = cmd_opt_int("rep", arg, 0); return 1;
	}
	return 0;
}

int cmd_die_of_signal(int sig)
{
	fflush(stdout);
	signal(sig, SIG_DFL);
	raise(sig);
	return 128 + sig;
}
