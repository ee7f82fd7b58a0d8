/*
 * import_cyclictest.c - cyclictest's output (rt-tests, run natively, under
 * qemu-user or in a guest) as one run: the histogram's events as latency
 * samples lat_wakeup_ns of the whole run (region key 'run'), the per-thread
 * summary pooled into whole-run metrics lat_wakeup_{min,avg,max}_ns and
 * lat_wakeup_events. A file, or the stdout of a cyclictest this process ran
 * natively (import_run.c), then with its status, exit code and wall time;
 * under QEMU, collect qemu --parse cyclictest stores the same rows in its run
 * (cyclictest__store, qemu_ingest.c).
 */
#include "collect.h"

#include <math.h>
#include <stdlib.h>

#define CT_METRIC "lat_wakeup_ns"

void cyclictest__config(struct json *j, const struct cyclictest *ct, double unit_ns)
{
	uint64_t overflows = 0;

	for (size_t t = 0; t < ct->hist_threads; t++)
		overflows += ct->threads[t].overflows;
	json__str(j, "$.form", ct->n_rows ? "histogram" : "summary");
	json__int(j, "$.threads", (int64_t)(ct->n_rows ? ct->hist_threads : ct->n_threads));
	json__int(j, "$.histogram_overflows", (int64_t)overflows);
	json__num(j, "$.summary_unit_ns", unit_ns);
}

static char *ct_config(const struct import_ingest *in, const struct cyclictest *ct, const struct cyclictest_exec *x)
{
	struct json j;
	char *out;

	if (json__init(&j))
		return NULL;
	json__str(&j, "$.collector", "cyclictest");
	if (x) {
		/* a run of its own (natively): how it ran, and why it failed */
		json__str(&j, "$.run", "native");
		if (x->why || x->r->why[0])
			json__str(&j, "$.why", x->why ? x->why : x->r->why);
	} else {
		json__str(&j, "$.file", in->file);
	}
	if (ct)
		cyclictest__config(&j, ct, in->unit_ns);
	else
		json__num(&j, "$.summary_unit_ns", in->unit_ns);
	out = xstrdup(j.text);
	json__free(&j);
	return out;
}

/* Whole-run min, event-weighted mean and max over the threads' summaries
 * (the T: lines, else the histogram's footer), in ns. */
static int ct_summary(struct store *st, int64_t run, double unit_ns, const struct cyclictest *ct)
{
	double mn = INFINITY, mx = -INFINITY, sum = 0, events = 0;

	for (size_t t = 0; t < ct->n_threads; t++) {
		const struct cyclictest_thread *th = &ct->threads[t];
		int hist = !th->has_summary && th->has_total && th->has_hmax;
		double n = th->has_summary ? (double)th->cycles : hist ? (double)(th->total + th->overflows) : 0;
		double u = th->has_summary ? unit_ns : 1e3;

		if (!th->has_summary && !hist)
			continue;
		mn = fmin(mn, (hist ? th->hmin : th->min) * u);
		mx = fmax(mx, (hist ? th->hmax : th->max) * u);
		sum += (hist ? th->havg : th->avg) * u * n;
		events += n;
	}
	if (!(events > 0))
		return 0;
	return store__run_metric_set(st, run, "lat_wakeup_min_ns", mn) ||
	       store__run_metric_set(st, run, "lat_wakeup_avg_ns", sum / events) ||
	       store__run_metric_set(st, run, "lat_wakeup_max_ns", mx) ||
	       store__run_metric_set(st, run, "lat_wakeup_events", events) ? -1 : 0;
}

int cyclictest__store(struct store *st, int64_t run, const struct cyclictest *ct, double unit_ns,
		      uint64_t *overflows)
{
	size_t n = 0;
	double *v = ct->n_rows ? cyclictest__samples(ct, &n, overflows) : NULL;
	int rc = (v && store__latency_add(st, run, LATENCY_KEY_RUN, CT_METRIC, v, n)) ||
		 ct_summary(st, run, unit_ns, ct) ? -1 : 0;

	if (!v)
		*overflows = 0;
	free(v);
	return rc;
}

void cyclictest__warn_overflows(const char *label, uint64_t overflows)
{
	if (overflows)
		warning("%s: %llu events beyond the histogram's range are stored at their thread's maximum "
			"(an upper bound); raise cyclictest's -h", label, (unsigned long long)overflows);
}

static int64_t ingest(struct store *st, const struct import_ingest *in, const struct cyclictest *ct,
		      const struct cyclictest_exec *x)
{
	uint64_t overflows = 0;
	char *cfg = ct_config(in, ct, x);
	int bad = x && (x->why || x->r->status != RUN_OK);
	struct run_info ri = {
		.platform = platform__name(in->platform), .config_json = cfg, .rep = in->rep,
		.status = run_status__name(!x ? RUN_OK : x->r->status == RUN_OK && bad ? RUN_FAILED : (int)x->r->status),
		.exit_code = x ? x->r->exit_code : -1, .wall_ns = x ? x->r->wall_ns : -1, .cell = in->cell,
	};
	int64_t id = cfg ? store__ingest_begin(st, &in->workload, &ri) : -1;

	if (id >= 0 && store__ingest_end(st, ct && cyclictest__store(st, id, ct, in->unit_ns, &overflows)))
		id = -1;
	if (id >= 0)
		cyclictest__warn_overflows(in->file, overflows);
	free(cfg);
	return id;
}

int64_t cyclictest__ingest(struct store *st, const struct import_ingest *in, const struct cyclictest *ct)
{
	return ingest(st, in, ct, NULL);
}

int64_t cyclictest__ingest_run(struct store *st, const struct import_ingest *in, const struct cyclictest *ct,
			       const struct cyclictest_exec *x)
{
	/* a failed run keeps no samples: they would mix with the ok runs' */
	return ingest(st, in, x->why || x->r->status != RUN_OK ? NULL : ct, x);
}
