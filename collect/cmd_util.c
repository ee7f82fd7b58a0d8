/* cmd_util.c - option helpers shared by the subcommands. */
#include "cmd.h"
#include "common.h"

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
