/* cmd_util.c - option helpers shared by the subcommands. */
#include "cmd.h"
#include "common.h"
#include "store.h"
#include "collect.h"

#include <errno.h>
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
