/*
 * console_ingest.c - a serial log of `@emudiff` lines (a freestanding build of
 * emudiff/mark.h on a unikernel or bare metal) into `console` runs, one per
 * `@emudiff exit`, the whole log in one transaction.
 */
#include "collect.h"

#include <stdlib.h>

static char *console_config(const struct console_ingest *in, const struct console_log *cl, size_t i)
{
	const struct console_run *run = &cl->runs[i];
	struct json j;
	char *out;

	if (json__init(&j))
		return NULL;
	json__str(&j, "$.collector", platform__name(PLAT_CONSOLE));
	json__str(&j, "$.log", in->log);
	json__num(&j, "$.timebase_hz", in->timebase_hz);
	json__int(&j, "$.run_in_log", (int64_t)i);
	json__int(&j, "$.runs_in_log", (int64_t)cl->n_runs);
	json__int(&j, "$.garbage_lines", (int64_t)cl->garbage_lines);
	if (run->n_marks)
		json__int(&j, "$.first_line", run->marks[0].line);
	json__bool(&j, "$.exit_line", run->has_exit);
	for (size_t k = 0; in->stages && k < in->stages->n; k++)
		if (in->stages->v[k].literal)
			json__str(&j, "$.until_console", in->stages->v[k].pattern);
	boot__config(&j, in->stages);
	out = xstrdup(j.text);
	json__free(&j);
	return out;
}

/* Ticks between two marks in ns, at the log's timebase. */
static double ticks_ns(const struct console_ingest *in, uint64_t from, uint64_t to)
{
	return (double)(to - from) * 1e9 / in->timebase_hz;
}

/* The earliest and latest time of the run's marks (an SMP payload may print
 * its harts' marks out of time order); 0 when no mark has a time. */
static int time_span(const struct console_run *run, uint64_t *lo, uint64_t *hi)
{
	int any = 0;

	for (size_t i = 0; i < run->n_marks; i++) {
		const struct console_mark *m = &run->marks[i];

		if (!m->has_time)
			continue;
		if (!any || m->time < *lo)
			*lo = m->time;
		if (!any || m->time > *hi)
			*hi = m->time;
		any = 1;
	}
	return any;
}

/* A counter's whole-run total: per thread, its last mark's value minus its
 * first's (counters are per hart); the run's is their sum. */
static int counter_totals(struct store *st, int64_t id, const struct console_run *run, const char *metric,
			  int want_instret)
{
	double sum = 0;
	int any = 0;

	for (size_t t = 0; t < run->n_harts; t++) {
		const struct console_mark *first = NULL, *last = NULL;
		double v;

		for (size_t i = 0; i < run->n_marks; i++) {
			const struct console_mark *m = &run->marks[i];

			if (m->thread != (int)t || !(want_instret ? m->has_instret : m->has_cycles))
				continue;
			if (!first)
				first = m;
			last = m;
		}
		if (!first)
			continue;
		v = want_instret ? (double)(last->instret - first->instret) : (double)(last->cycles - first->cycles);
		if (run->any_hart && store__thread_metric_set(st, id, (int)t, metric, v))
			return -1;
		sum += v;
		any = 1;
	}
	return any ? store__run_metric_set(st, id, metric, sum) : 0;
}

int console__store_threads(struct store *st, int64_t run_id, const struct console_run *run)
{
	for (size_t t = 0; run->any_hart && t < run->n_harts; t++)
		if (store__thread_add(st, run_id, (int)t, (int64_t)run->harts[t], THREAD_KIND_HART))
			return -1;
	return 0;
}

/* Marks (times relative to the earliest, so that large tick counts stay
 * exact), each on its hart's thread ordinal; the harts as run_thread rows
 * when the lines name them; whole-run totals. */
static int console_rows(struct store *st, const struct console_ingest *in, int64_t id,
			const struct console_run *run)
{
	uint64_t t0 = 0, t1 = 0;
	int timed = time_span(run, &t0, &t1);

	for (size_t i = 0; i < run->n_marks; i++) {
		const struct console_mark *m = &run->marks[i];
		int64_t t = m->has_time ? (int64_t)ticks_ns(in, t0, m->time) : -1;

		if (store__mark_add(st, id, (int64_t)i, m->thread, m->id, m->has_instret ? (int64_t)m->instret : -1, t))
			return -1;
		if (m->has_cycles && store__mark_value_add(st, id, (int64_t)i, METRIC_CYCLES, (double)m->cycles))
			return -1;
	}
	if (console__store_threads(st, id, run))
		return -1;
	if (latency__store_console(st, id, run, in->timebase_hz))
		return -1;
	if (timed && store__run_metric_set(st, id, METRIC_TIME_NS, ticks_ns(in, t0, t1)))
		return -1;
	if (counter_totals(st, id, run, METRIC_INSTRET, 1) || counter_totals(st, id, run, METRIC_CYCLES, 0))
		return -1;
	return boot__store(st, id, in->stages, &run->boot);
}

static int64_t console_run(struct store *st, const struct console_ingest *in, const struct console_log *cl,
			   size_t i)
{
	const struct console_run *run = &cl->runs[i];
	uint64_t t0 = 0, t1 = 0;
	int timed = time_span(run, &t0, &t1);
	char *cfg = console_config(in, cl, i);
	struct run_info ri = {
		.platform = platform__name(PLAT_CONSOLE),
		.config_json = cfg,
		.rep = in->rep + (int)i,
		.status = run_status__name(run->has_exit && run->exit_code != 0 ? RUN_FAILED : RUN_OK),
		.exit_code = run->has_exit ? run->exit_code : -1,
		.wall_ns = timed ? (int64_t)ticks_ns(in, t0, t1) : -1,
		.cell = in->cell,
	};
	int64_t id = cfg ? store__ingest_begin(st, &in->workload, &ri) : -1;

	if (id >= 0 && store__ingest_end(st, console_rows(st, in, id, run)))
		id = -1;
	free(cfg);
	return id;
}

int console_ingest(struct store *st, const struct console_ingest *in, const struct console_log *cl,
		   int64_t *ids)
{
	/* the whole log or nothing: each run is a savepoint of this transaction */
	if (store__begin(st))
		return -1;
	for (size_t i = 0; i < cl->n_runs; i++) {
		ids[i] = console_run(st, in, cl, i);
		if (ids[i] < 0) {
			store__rollback(st);
			return -1;
		}
	}
	return store__commit(st);
}
