/*
 * cmd_import_perf_script.c - "emudiff import perf-script FILE": the samples
 * of `perf script` output (from `perf record` on a machine without emudiff)
 * as one `import` run with s:<symbol> regions: samples per symbol of the
 * sampled IP, and time_ns when the event was a clock (period in ns).
 */
#include "cmd.h"
#include "common.h"
#include "hw.h"
#include "store.h"

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

int cmd_import_perf_script(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },   { "name", required_argument, NULL, 'n' },
		{ "main", required_argument, NULL, 'm' }, { "arch", required_argument, NULL, 'a' },
		{ "rep", required_argument, NULL, 'R' },  { "cell", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },       { NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *name = NULL, *main_dso = NULL, *arch = NULL, *cell = NULL, *file;
	int64_t v, rep = 0, run_id = -1;
	int c, rc = EXIT_OK, clock_event;
	struct perf_script ps;
	struct store *st = NULL;
	struct json j = { 0 };
	struct run_info ri = { 0 };
	char *dflt, *dot;
	FILE *f;

	if (cmd_wants_help(argc, argv))
		cmd_usage(usage_text, EXIT_OK);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'n': name = optarg; break;
		case 'm': main_dso = optarg; break;
		case 'a': arch = optarg; break;
		case 'c': cell = optarg; break;
		case 'R':
			if (parse_i64(optarg, &v) || v < 0 || v > INT_MAX)
				usage_die("--rep: expected a non-negative integer, got '%s'", optarg);
			rep = v;
			break;
		default:
			cmd_usage(usage_text, EXIT_BADINPUT);
		}
	}
	if (optind + 1 != argc)
		usage_die("import perf-script: expected one FILE");
	file = argv[optind];
	f = fopen(file, "r");
	if (!f) {
		error("%s: %s", file, strerror(errno));
		return EXIT_BADINPUT;
	}
	if (perf_script__parse(f, file, main_dso, &ps)) {
		fclose(f);
		return EXIT_BADINPUT;
	}
	fclose(f);
	if (ps.mixed_events) {
		error("%s: samples of more than one event (use `perf script -e EVENT` or one event per file)", file);
		perf_script__free(&ps);
		return EXIT_BADINPUT;
	}
	dflt = xstrdup(strrchr(file, '/') ? strrchr(file, '/') + 1 : file);
	dot = strrchr(dflt, '.');
	if (dot && dot != dflt)
		*dot = 0;
	/* periods of clock events are nanoseconds */
	clock_event = !strcmp(ps.event, "cpu-clock") || !strcmp(ps.event, "task-clock");

	if (json__init(&j)) {
		rc = EXIT_FINDINGS;
		goto out;
	}
	json__str(&j, "$.collector", "perf-script");
	json__str(&j, "$.file", file);
	json__str(&j, "$.sampling.event", ps.event);
	json__int(&j, "$.sampling.samples", (int64_t)ps.samples);
	json__str(&j, "$.comm", ps.comm);

	st = store__open(db ? db : store__default_path(), STORE_CREATE);
	if (!st) {
		rc = EXIT_BADINPUT;
		goto out;
	}
	ri.platform = platform__name(PLAT_IMPORT);
	ri.config_json = j.text;
	ri.rep = (int)rep;
	ri.status = run_status__name(RUN_OK);
	ri.exit_code = -1;
	ri.wall_ns = -1;
	ri.cell = cell;
	run_id = store__ingest_begin(st, &(struct ingest_workload){ name ? name : dflt, arch, NULL, NULL }, &ri);
	if (run_id < 0) {
		rc = EXIT_FINDINGS;
		goto out;
	}
	if (store__run_metric_set(st, run_id, "samples", (double)ps.samples))
		goto fail;
	for (size_t i = 0; i < ps.n; i++) {
		char *key = xasprintf(REGION_KEY_SYMBOL "%s", ps.syms[i].name);
		int64_t region = store__region(st, ri.workload_id, key, ps.syms[i].name);
		int bad = region < 0 ||
			  store__region_metric_set(st, run_id, region, "samples", (double)ps.syms[i].samples) ||
			  (clock_event && store__region_metric_set(st, run_id, region, METRIC_TIME_NS, ps.syms[i].period)) ||
			  (!strcmp(ps.event, "cycles") &&
			   store__region_metric_set(st, run_id, region, METRIC_CYCLES, ps.syms[i].period));

		free(key);
		if (bad)
			goto fail;
	}
	if (store__ingest_end(st, 0)) {
		rc = EXIT_FINDINGS;
		goto out;
	}
	printf("run %lld: import %s: %llu %s samples in %zu symbols\n", (long long)run_id, name ? name : dflt,
	       (unsigned long long)ps.samples, ps.event, ps.n);
	if (stdout_flush_check())
		rc = EXIT_FINDINGS;
	goto out;
fail:
	store__ingest_end(st, 1);
	rc = EXIT_FINDINGS;
out:
	if (st)
		store__close(st);
	json__free(&j);
	perf_script__free(&ps);
	free(dflt);
	return rc;
}
