/*
 * cmd_import_uftrace.c - `emudiff import uftrace DIR`: function-level timing
 * from a uftrace data directory (uftrace record on Linux, or Hermit's rftrace
 * from inside a unikernel on hardware) into symbol regions of an `import`
 * run, so they line up with the emulation side's s:<symbol> regions.
 *
 * Per symbol: time_ns = self (exclusive) time, the measure comparable with
 * the instructions QEMU attributes to a symbol and with sampled time;
 * incl_time_ns = inclusive time; calls.
 */
#include "cmd.h"
#include "common.h"
#include "hw.h"
#include "store.h"

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

static char *config_json(const char *dir, const struct uftrace_data *d)
{
	struct json j;
	char *text;

	json__init(&j);
	json__str(&j, "$.source", "uftrace");
	json__str(&j, "$.dir", dir);
	json__int(&j, "$.format_version", d->version);
	json__int(&j, "$.tasks", (int64_t)d->n_tasks);
	json__int(&j, "$.records", (int64_t)d->records);
	json__int(&j, "$.lost_records", (int64_t)d->lost_records);
	json__int(&j, "$.unclosed_calls", (int64_t)d->unclosed);
	json__str(&j, "$.time_ns", "self time per symbol; incl_time_ns inclusive");
	text = xstrdup(j.text);
	json__free(&j);
	return text;
}

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
	const char *db = store__default_path(), *name = NULL, *cell = NULL, *dir;
	struct uftrace_data d;
	struct store *s;
	char *wname, *cfg;
	int64_t wid, run_id;
	int c, rep = 0, ret = EXIT_BADINPUT;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'n': name = optarg; break;
		case 'c': cell = optarg; break;
		case 'h': cmd_usage(usage_text, 0);
		case 'R': rep = cmd_opt_int("rep", optarg, 0); break;
		default:
			cmd_usage(usage_text, EXIT_BADINPUT);
		}
	}
	if (optind != argc - 1)
		cmd_usage(usage_text, EXIT_BADINPUT);
	dir = argv[optind];
	if (uftrace__load(dir, &d))
		return EXIT_BADINPUT;
	if (name) {
		wname = xstrdup(name);
	} else {
		const char *e = d.exename ? d.exename : dir, *b = strrchr(e, '/');

		wname = xstrdup(b ? b + 1 : e);
	}
	if (d.lost_records)
		warning("%s: %llu records were lost while recording; times of their functions are low",
			dir, (unsigned long long)d.lost_records);
	cfg = config_json(dir, &d);
	s = store__open(db, STORE_CREATE);
	if (!s)
		goto out;
	{
		struct run_info ri = { .platform = platform__name(PLAT_IMPORT), .config_json = cfg,
				       .rep = rep, .status = run_status__name(RUN_OK), .exit_code = -1,
				       .wall_ns = (int64_t)(d.last_ns - d.first_ns), .cell = cell };

		run_id = store__ingest_begin(s, &(struct ingest_workload){ wname, NULL, NULL, NULL }, &ri);
		wid = ri.workload_id;
	}
	if (run_id < 0)
		goto out_close;
	if (store__run_metric_set(s, run_id, METRIC_TIME_NS, (double)(d.last_ns - d.first_ns)))
		goto fail;
	for (size_t i = 0; i < d.n_funcs; i++) {
		const struct uftrace_func *f = &d.funcs[i];
		char *key = xasprintf(REGION_KEY_SYMBOL "%s", f->name);
		int64_t rid = store__region(s, wid, key, f->name);

		free(key);
		if (rid < 0 || store__region_metric_set(s, run_id, rid, METRIC_TIME_NS, (double)f->self_ns) ||
		    store__region_metric_set(s, run_id, rid, "incl_time_ns", (double)f->incl_ns) ||
		    store__region_metric_set(s, run_id, rid, "calls", (double)f->calls))
			goto fail;
	}
	if (store__ingest_end(s, 0))
		goto out_close;
	printf("import uftrace: run %lld, %zu functions, %llu records, %zu tasks\n", (long long)run_id,
	       d.n_funcs, (unsigned long long)d.records, d.n_tasks);
	ret = stdout_flush_check() ? EXIT_FINDINGS : EXIT_OK;
	goto out_close;
fail:
	store__ingest_end(s, 1);
out_close:
	store__close(s);
out:
	free(cfg);
	free(wname);
	uftrace__free(&d);
	return ret;
}
