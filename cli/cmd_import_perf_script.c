/*
 * cmd_import_perf_script.c - "emudiff import perf-script FILE": the samples
 * of `perf script` output (from `perf record` on a machine without emudiff)
 * as one `import` run with s:<symbol> regions: samples per symbol of the
 * sampled IP, and time_ns when the event was a clock (period in ns)
 * (collect/'s perf_script__ingest()).
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
	"usage: emudiff import perf-script [options] FILE\n"
	"\n"
	"  FILE              output of `perf script` (default fields; callchains allowed)\n"
	"  --db F            results store (default $EMUDIFF_DB or emudiff.db)\n"
	"  --name W          workload name (default: FILE's basename without extension)\n"
	"  --main DSO        basename of the program: its symbols keep bare names\n"
	"                    (default: the non-.so binary with most samples); others\n"
	"                    become s:<symbol>@<dso>\n"
	"  --arch A          architecture of the machine measured (default unknown)\n"
	"  --rep R           repetition number (default 0)\n"
	"  --cell KEY        study cell key\n";

/* Options into in (workload name left NULL: the file's); returns FILE. */
static const char *parse_opts(struct import_ingest *in, const char **db, const char **main_dso, int argc,
			      char **argv)
{
	static const struct option longopts[] = {
		IMPORT_COMMON_OPTIONS,
		{ "main", required_argument, NULL, 'm' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = cmd_getopt(argc, argv, "h", longopts)) != -1) {
		if (import_common__opt(in, db, c, optarg))
			continue;
		switch (c) {
		case 'm': *main_dso = optarg; break;
		default:
			cmd_usage(usage_text, EXIT_BADINPUT);
		}
	}
	if (optind + 1 != argc)
		usage_die("import perf-script: expected one FILE");
	return argv[optind];
}

int cmd_import_perf_script(int argc, char **argv)
{
	struct import_ingest in = { .platform = PLAT_IMPORT };
	const char *db = NULL, *main_dso = NULL;
	struct perf_script ps;
	struct store *st;
	int opened;
	char *dflt;
	int64_t run_id;
	FILE *f;

	if (cmd_wants_help(argc, argv))
		cmd_usage(usage_text, EXIT_OK);
	in.file = parse_opts(&in, &db, &main_dso, argc, argv);
	f = fopen(in.file, "r");
	if (!f) {
		error("%s: %s", in.file, strerror(errno));
		return EXIT_BADINPUT;
	}
	if (perf_script__parse(f, in.file, main_dso, &ps)) {
		fclose(f);
		return EXIT_BADINPUT;
	}
	fclose(f);
	if (perf_script__check(&ps, in.file)) { /* bad input: refused before the store is opened */
		perf_script__free(&ps);
		return EXIT_BADINPUT;
	}
	dflt = import__default_name(in.file);
	if (!in.workload.name)
		in.workload.name = dflt;
	st = store__open(db ? db : store__default_path(), STORE_CREATE);
	opened = st != NULL;
	run_id = st ? perf_script__ingest(st, &in, &ps) : -1;
	store__close(st);
	if (run_id >= 0)
		printf("run %lld: import %s: %llu %s samples in %zu symbols\n", (long long)run_id, in.workload.name,
		       (unsigned long long)ps.samples, ps.event, ps.n);
	free(dflt);
	perf_script__free(&ps);
	if (!opened)
		return EXIT_BADINPUT;
	return run_id < 0 || stdout_flush_check() ? EXIT_FINDINGS : EXIT_OK;
}
