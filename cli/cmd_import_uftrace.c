/*
 * cmd_import_uftrace.c - `emudiff import uftrace DIR`: function-level timing
 * from a uftrace data directory (uftrace record on Linux, or Hermit's rftrace
 * from inside a unikernel on hardware) into symbol regions of an `import`
 * run (collect/'s uftrace__ingest()), so they line up with the emulation
 * side's s:<symbol> regions.
 *
 * Per symbol: time_ns = self (exclusive) time, the measure comparable with
 * the instructions QEMU attributes to a symbol and with sampled time;
 * incl_time_ns = inclusive time; calls.
 */
#include "cmd.h"
#include "common.h"
#include "collect.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: emudiff import uftrace [options] DIR\n"
	"\n"
	"  --db F       results store (default $EMUDIFF_DB or emudiff.db)\n"
	"  --name W     workload name (default: basename of the traced program)\n"
	"  --rep R      repetition number of the run (default 0)\n"
	"  --cell KEY   study cell key\n";

int cmd_import_uftrace(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "name", required_argument, NULL, 'n' },
		{ "rep", required_argument, NULL, 'R' },
		{ "cell", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = store__default_path(), *name = NULL;
	struct import_ingest in = { .platform = PLAT_IMPORT };
	struct uftrace_data d;
	struct store *s;
	char *wname;
	int64_t run_id;
	int c;

	optind = 1;
	while ((c = cmd_getopt(argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'n': name = optarg; break;
		case 'c': in.cell = optarg; break;
		case 'h': cmd_usage(usage_text, 0);
		case 'R': in.rep = cmd_opt_int("rep", optarg, 0); break;
		default:
			cmd_usage(usage_text, EXIT_BADINPUT);
		}
	}
	if (optind != argc - 1)
		cmd_usage(usage_text, EXIT_BADINPUT);
	in.file = argv[optind];
	if (uftrace__load(in.file, &d))
		return EXIT_BADINPUT;
	/* the traced program's basename, not the directory's */
	wname = name ? xstrdup(name) : xstrdup(path__base(d.exename ? d.exename : in.file));
	in.workload.name = wname;
	if (d.lost_records)
		warning("%s: %llu records were lost while recording; times of their functions are low",
			in.file, (unsigned long long)d.lost_records);
	s = store__open(db, STORE_CREATE);
	run_id = s ? uftrace__ingest(s, &in, &d) : -1;
	store__close(s);
	if (run_id >= 0)
		printf("import uftrace: run %lld, %zu functions, %llu records, %zu tasks\n", (long long)run_id,
		       d.n_funcs, (unsigned long long)d.records, d.n_tasks);
	free(wname);
	uftrace__free(&d);
	if (run_id < 0)
		return EXIT_BADINPUT;
	return stdout_flush_check() ? EXIT_FINDINGS : EXIT_OK;
}
