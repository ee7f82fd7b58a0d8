/*
 * import_uftrace.c - function-level timing from a uftrace data directory
 * (uftrace record on Linux, or Hermit's rftrace from inside a unikernel) as
 * s:<symbol> regions of an `import` run, so that they line up with the
 * emulation side's symbol regions. Per symbol: time_ns is self (exclusive)
 * time, the measure comparable with what QEMU attributes to a symbol and with
 * sampled time; incl_time_ns is inclusive time; calls.
 */
#include "collect.h"

#include <stdlib.h>

static char *uftrace_config(const struct import_ingest *in, const struct uftrace_data *d)
{
	struct json j;
	char *text;

	if (json__init(&j))
		return NULL;
	json__str(&j, "$.source", "uftrace");
	json__str(&j, "$.dir", in->file);
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

static int uftrace_rows(struct store *st, int64_t wid, int64_t run_id, const struct uftrace_data *d)
{
	if (store__run_metric_set(st, run_id, METRIC_TIME_NS, (double)(d->last_ns - d->first_ns)))
		return -1;
	for (size_t i = 0; i < d->n_funcs; i++) {
		const struct uftrace_func *f = &d->funcs[i];
		char *key = xasprintf(REGION_KEY_SYMBOL "%s", f->name);
		int64_t rid = store__region(st, wid, key, f->name);

		free(key);
		if (rid < 0 || store__region_metric_set(st, run_id, rid, METRIC_TIME_NS, (double)f->self_ns) ||
		    store__region_metric_set(st, run_id, rid, "incl_time_ns", (double)f->incl_ns) ||
		    store__region_metric_set(st, run_id, rid, "calls", (double)f->calls))
			return -1;
	}
	return 0;
}

int64_t uftrace__ingest(struct store *st, const struct import_ingest *in, const struct uftrace_data *d)
{
	char *cfg = uftrace_config(in, d);
	struct run_info ri = {
		.platform = platform__name(PLAT_IMPORT),
		.config_json = cfg,
		.rep = in->rep,
		.status = run_status__name(RUN_OK),
		.exit_code = -1,
		.wall_ns = (int64_t)(d->last_ns - d->first_ns),
		.cell = in->cell,
	};
	int64_t run_id = cfg ? store__ingest_begin(st, &in->workload, &ri) : -1;

	if (run_id >= 0 && store__ingest_end(st, uftrace_rows(st, ri.workload_id, run_id, d)))
		run_id = -1;
	free(cfg);
	return run_id;
}
