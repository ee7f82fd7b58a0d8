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
	out = xstrdup(j.text);
	json__free(&j);
	return out;
}

/* Ticks between two marks in ns, at the log's timebase. */
static double ticks_ns(const struct console_ingest *in, uint64_t from, uint64_t to)
{
	return (double)(to - from) * 1e9 / in->timebase_hz;
}

/* Marks (times relative to the first, so that large tick counts stay exact)
 * and the totals from the first mark to the last. */
static int console_rows(struct store *st, const struct console_ingest *in, int64_t id,
			const struct console_run *run)
{
	const struct console_mark *first = run->n_marks ? &run->marks[0] : NULL;
	const struct console_mark *last = run->n_marks ? &run->marks[run->n_marks - 1] : NULL;

	for (size_t i = 0; i < run->n_marks; i++) {
		const struct console_mark *m = &run->marks[i];
		int64_t t = m->has_time && first->has_time ? (int64_t)ticks_ns(in, first->time, m->time) : -1;

		if (store__mark_add(st, id, (int64_t)i, 0, m->id, m->has_instret ? (int64_t)m->instret : -1, t))
			return -1;
		if (m->has_cycles && store__mark_value_add(st, id, (int64_t)i, METRIC_CYCLES, (double)m->cycles))
			return -1;
	}
	if (latency__store_console(st, id, run, in->timebase_hz))
		return -1;
	if (!first)
		return 0;
	if (first->has_time && last->has_time &&
	    store__run_metric_set(st, id, METRIC_TIME_NS, ticks_ns(in, first->time, last->time)))
		return -1;
	if (first->has_instret && last->has_instret &&
	    store__run_metric_set(st, id, METRIC_INSTRET, (double)(last->instret - first->instret)))
		return -1;
	if (first->has_cycles && last->has_cycles &&
	    store__run_metric_set(st, id, METRIC_CYCLES, (double)(last->cycles - first->cycles)))
		return -1;
	return 0;
}

static int64_t console_run(struct store *st, const struct console_ingest *in, const struct console_log *cl,
			   size_t i)
{
	const struct console_run *run = &cl->runs[i];
	const struct console_mark *first = run->n_marks ? &run->marks[0] : NULL;
	const struct console_mark *last = run->n_marks ? &run->marks[run->n_marks - 1] : NULL;
	char *cfg = console_config(in, cl, i);
	struct run_info ri = {
		.platform = platform__name(PLAT_CONSOLE),
		.config_json = cfg,
		.rep = in->rep + (int)i,
		.status = run_status__name(run->has_exit && run->exit_code != 0 ? RUN_FAILED : RUN_OK),
		.exit_code = run->has_exit ? run->exit_code : -1,
		.wall_ns = first && first->has_time && last->has_time ?
				   (int64_t)ticks_ns(in, first->time, last->time) : -1,
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
