/*
 * cmd_import_perf_stat.c - "emudiff import perf-stat FILE": perf stat's
 * output (its default text, `-x,` CSV or `-j` JSON, with or without -r) as
 * one `import` run, so that a board without emudiff installed can still
 * contribute measurements. Events perf could not
 * count are recorded as unsupported in config_json, never as 0 (collect/'s
 * perf_stat__ingest()).
 */
#include "cmd.h"
#include "common.h"
#include "collect.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: emudiff import perf-stat [options] FILE\n"
	"\n"
	"  FILE              what `perf stat [-r N] [-e ...] PROG` printed (its stderr):\n"
	"                    its default text, or the -x, CSV or -j JSON form\n"
	"  --db F            results store (default $EMUDIFF_DB or emudiff.db)\n"
	"  --name W          workload name (default: the basename of the program that\n"
	"                    the text names, else FILE's basename without extension)\n"
	"  --arch A          architecture of the machine measured (default unknown)\n"
	"  --platform P      hw or import (default import)\n"
	"  --rep R           repetition number (default 0)\n"
	"  --repeats N       the -r N that produced the file (recorded)\n"
	"  --cell KEY        study cell key\n";

/* Options into in (workload name left NULL: the file's); returns FILE. */
static const char *parse_opts(struct import_ingest *in, const char **db, int argc, char **argv)
{
	static const struct option longopts[] = {
		IMPORT_COMMON_OPTIONS,
		{ "platform", required_argument, NULL, 'p' }, { "repeats", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = cmd_getopt(argc, argv, "h", longopts)) != -1) {
		if (import_common__opt(in, db, c, optarg))
			continue;
		switch (c) {
		case 'p':
			if (strcmp(optarg, platform__name(PLAT_HW)) && strcmp(optarg, platform__name(PLAT_IMPORT)))
				usage_die("--platform: hw or import, not '%s'", optarg);
			in->platform = platform__parse(optarg);
			break;
		case 'N': in->repeats = cmd_opt_int("repeats", optarg, 1); break;
		default:
			cmd_usage(usage_text, EXIT_BADINPUT);
		}
	}
	if (optind + 1 != argc)
		usage_die("import perf-stat: expected one FILE");
	return argv[optind];
}

/* The basename of the program of the command line perf names ("/usr/bin/xz -T1 f" -> "xz"). */
static char *program_name(const char *command)
{
	char *prog = xasprintf("%.*s", (int)strcspn(command, " "), command), *name;

	name = xstrdup(path__base(prog));
	free(prog);
	return name;
}

int cmd_import_perf_stat(int argc, char **argv)
{
	struct import_ingest in = { .platform = PLAT_IMPORT };
	const char *db = NULL;
	size_t unsupported = 0;
	struct perf_stat ps;
	struct store *st;
	int opened;
	char *dflt;
	int64_t run_id;
	FILE *f;

	if (cmd_wants_help(argc, argv))
		cmd_usage(usage_text, EXIT_OK);
	in.file = parse_opts(&in, &db, argc, argv);
	f = fopen(in.file, "r");
	if (!f) {
		error("%s: %s", in.file, strerror(errno));
		return EXIT_BADINPUT;
	}
	if (perf_stat__parse(f, in.file, &ps)) {
		fclose(f);
		return EXIT_BADINPUT;
	}
	fclose(f);
	dflt = ps.command && strcmp(ps.command, "system wide") ? program_name(ps.command)
							       : import__default_name(in.file);
	if (!in.workload.name)
		in.workload.name = dflt;
	st = store__open(db ? db : store__default_path(), STORE_CREATE);
	opened = st != NULL;
	run_id = st ? perf_stat__ingest(st, &in, &ps) : -1;
	store__close(st);
	for (size_t i = 0; i < ps.n; i++)
		unsupported += !ps.rows[i].supported;
	if (run_id >= 0)
		printf("run %lld: %s %s: %zu events (%zu not supported)\n", (long long)run_id,
		       platform__name(in.platform), in.workload.name, ps.n, unsupported);
	free(dflt);
	perf_stat__free(&ps);
	if (!opened)
		return EXIT_BADINPUT;
	return run_id < 0 || stdout_flush_check() ? EXIT_FINDINGS : EXIT_OK;
}
