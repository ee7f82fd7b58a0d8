/*
 * cmd_import_perf_stat.c - "emudiff import perf-stat FILE": `perf stat -x,`
 * output (with or without -r) as one `import` run, so that a board without
 * emudiff installed can still contribute measurements. Events perf could not
 * count are recorded as unsupported in config_json, never as 0.
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
	"usage: emudiff import perf-stat [options] FILE\n"
	"\n"
	"  FILE              output of `perf stat -x, [-r N] -e ... -- PROG` (its stderr)\n"
	"  --db F            results store (default $EMUDIFF_DB or emudiff.db)\n"
	"  --name W          workload name (default: FILE's basename without extension)\n"
	"  --arch A          architecture of the machine measured (default unknown)\n"
	"  --platform P      hw or import (default import)\n"
	"  --rep R           repetition number (default 0)\n"
	"  --repeats N       the -r N that produced the file (recorded)\n"
	"  --cell KEY        study cell key\n";

int cmd_import_perf_stat(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },     { "name", required_argument, NULL, 'n' },
		{ "arch", required_argument, NULL, 'a' },   { "platform", required_argument, NULL, 'p' },
		{ "rep", required_argument, NULL, 'R' },    { "repeats", required_argument, NULL, 'N' },
		{ "cell", required_argument, NULL, 'c' },   { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *name = NULL, *arch = NULL, *platform = "import", *cell = NULL, *file;
	int64_t v, rep = 0, repeats = 0, run_id = -1;
	int c, rc = EXIT_OK;
	size_t unsupported = 0;
	struct perf_stat ps;
	struct store *st = NULL;
	struct json j = { 0 };
	struct run_info ri = { 0 };
	char *dflt, *dot, path[300];
	FILE *f;

	if (cmd_wants_help(argc, argv))
		cmd_usage(usage_text, EXIT_OK);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'n': name = optarg; break;
		case 'a': arch = optarg; break;
		case 'c': cell = optarg; break;
		case 'p':
			if (strcmp(optarg, "hw") && strcmp(optarg, "import"))
				usage_die("--platform: hw or import, not '%s'", optarg);
			platform = optarg;
			break;
		case 'R': case 'N':
			if (parse_i64(optarg, &v) || v < (c == 'N') || v > INT_MAX)
				usage_die("--%s: expected a %s integer, got '%s'", c == 'N' ? "repeats" : "rep",
					  c == 'N' ? "positive" : "non-negative", optarg);
			*(c == 'N' ? &repeats : &rep) = v;
			break;
		default:
			cmd_usage(usage_text, EXIT_BADINPUT);
		}
	}
	if (optind + 1 != argc)
		usage_die("import perf-stat: expected one FILE");
	file = argv[optind];
	f = fopen(file, "r");
	if (!f) {
		error("%s: %s", file, strerror(errno));
		return EXIT_BADINPUT;
	}
	if (perf_stat__parse(f, file, &ps)) {
		fclose(f);
		return EXIT_BADINPUT;
	}
	fclose(f);
	dflt = xstrdup(strrchr(file, '/') ? strrchr(file, '/') + 1 : file);
	dot = strrchr(dflt, '.');
	if (dot && dot != dflt)
		*dot = 0;

	if (json__init(&j)) {
		rc = EXIT_FINDINGS;
		goto out;
	}
	json__str(&j, "$.collector", "perf-stat");
	json__str(&j, "$.file", file);
	json__bool(&j, "$.repeated", ps.repeated);
	if (repeats)
		json__int(&j, "$.repeats", repeats);
	json__raw(&j, "$.unsupported", "{}");
	for (size_t i = 0; i < ps.n; i++) {
		const struct perf_stat_row *r = &ps.rows[i];

		snprintf(path, sizeof(path), "$.events[%zu]", i);
		json__str(&j, path, r->event);
		if (!r->supported) {
			snprintf(path, sizeof(path), "$.unsupported.\"%s\"", r->event);
			json__str(&j, path, r->why);
			continue;
		}
		if (r->variance_pct >= 0) {
			snprintf(path, sizeof(path), "$.variance_pct.\"%s\"", r->event);
			json__num(&j, path, r->variance_pct);
		}
		if (r->pct_running >= 0 && r->pct_running < 100) {
			/* perf already scaled the value by time_enabled / time_running */
			snprintf(path, sizeof(path), "$.scaled.\"%s\"", r->event);
			json__num(&j, path, r->pct_running);
		}
	}

	st = store__open(db ? db : store__default_path(), STORE_CREATE);
	if (!st) {
		rc = EXIT_BADINPUT;
		goto out;
	}
	ri.platform = platform;
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
	for (size_t i = 0; i < ps.n; i++) {
		const struct perf_stat_row *r = &ps.rows[i];
		double scaled;
		const char *metric;

		if (!r->supported)
			continue;
		metric = perf_stat__metric(r->event, r->unit, r->value, &scaled);
		if (metric && store__run_metric_set(st, run_id, metric, scaled))
			goto fail;
	}
	if (store__ingest_end(st, 0)) {
		rc = EXIT_FINDINGS;
		goto out;
	}
	for (size_t i = 0; i < ps.n; i++)
		unsupported += !ps.rows[i].supported;
	printf("run %lld: %s %s: %zu events (%zu not supported)\n", (long long)run_id, platform,
	       name ? name : dflt, ps.n, unsupported);
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
	perf_stat__free(&ps);
	free(dflt);
	return rc;
}
