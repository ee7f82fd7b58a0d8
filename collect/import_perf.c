/*
 * import_perf.c - perf's text outputs, from a machine without emudiff, as
 * runs: `perf stat -x,` as whole-run metrics, `perf script` as samples per
 * s:<symbol> region.
 */
#include "collect.h"

#include <stdlib.h>
#include <string.h>

char *import__default_name(const char *path)
{
	const char *b = strrchr(path, '/');
	char *name = xstrdup(b ? b + 1 : path), *dot = strrchr(name, '.');

	if (dot && dot != name)
		*dot = 0;
	return name;
}

/* The run of an import: nothing about its exit or wall time is known. */
static struct run_info import_run(const struct import_ingest *in, const char *cfg)
{
	return (struct run_info){
		.platform = platform__name(in->platform),
		.config_json = cfg,
		.rep = in->rep,
		.status = run_status__name(RUN_OK),
		.exit_code = -1,
		.wall_ns = -1,
		.cell = in->cell,
	};
}

static char *perf_stat_config(const struct import_ingest *in, const struct perf_stat *ps)
{
	struct json j;
	char path[300], *out;

	if (json__init(&j))
		return NULL;
	json__str(&j, "$.collector", "perf-stat");
	json__str(&j, "$.file", in->file);
	json__str(&j, "$.form", perf_stat__form_name(ps->form));
	json__bool(&j, "$.repeated", ps->repeated);
	if (in->repeats)
		json__int(&j, "$.repeats", in->repeats);
	if (ps->command)
		json__str(&j, "$.command", ps->command);
	if (ps->runs)
		json__int(&j, "$.runs", ps->runs);
	if (ps->elapsed_var_pct >= 0)
		json__num(&j, "$.variance_pct.\"seconds time elapsed\"", ps->elapsed_var_pct);
	json__raw(&j, "$.unsupported", "{}");
	for (size_t i = 0; i < ps->n; i++) {
		const struct perf_stat_row *r = &ps->rows[i];

		snprintf(path, sizeof(path), "$.events[%zu]", i);
		json__str(&j, path, r->event);
		snprintf(path, sizeof(path), "$.printed.\"%s\"", r->event);
		json__str(&j, path, r->text);
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
			/* multiplexed: perf already scaled the value by time_enabled /
			 * time_running; stored as printed, the fraction counted noted */
			snprintf(path, sizeof(path), "$.scaled.\"%s\"", r->event);
			json__num(&j, path, r->pct_running);
		}
	}
	out = xstrdup(j.text);
	json__free(&j);
	return out;
}

static int perf_stat_rows(struct store *st, int64_t run_id, const struct perf_stat *ps)
{
	static const char *const times[] = { METRIC_WALL_NS, METRIC_USER_NS, METRIC_SYS_NS };
	const double secs[] = { ps->elapsed_s, ps->user_s, ps->sys_s };

	for (int k = 0; k < 3; k++)
		if (secs[k] >= 0 && store__run_metric_set(st, run_id, times[k], secs[k] * 1e9))
			return -1;
	for (size_t i = 0; i < ps->n; i++) {
		const struct perf_stat_row *r = &ps->rows[i];
		double scaled;
		const char *metric;

		if (!r->supported)
			continue;
		metric = perf_stat__metric(r->event, r->unit, r->value, &scaled);
		if (metric && store__run_metric_set(st, run_id, metric, scaled))
			return -1;
	}
	return 0;
}

int64_t perf_stat__ingest(struct store *st, const struct import_ingest *in, const struct perf_stat *ps)
{
	char *cfg = perf_stat_config(in, ps);
	struct run_info ri = import_run(in, cfg);
	int64_t run_id = cfg ? store__ingest_begin(st, &in->workload, &ri) : -1;

	if (run_id >= 0 && store__ingest_end(st, perf_stat_rows(st, run_id, ps)))
		run_id = -1;
	free(cfg);
	return run_id;
}

static char *perf_script_config(const struct import_ingest *in, const struct perf_script *ps)
{
	struct json j;
	char *out;

	if (json__init(&j))
		return NULL;
	json__str(&j, "$.collector", "perf-script");
	json__str(&j, "$.file", in->file);
	json__str(&j, "$.sampling.event", ps->event);
	json__int(&j, "$.sampling.samples", (int64_t)ps->samples);
	json__str(&j, "$.comm", ps->comm);
	out = xstrdup(j.text);
	json__free(&j);
	return out;
}

static int perf_script_rows(struct store *st, int64_t wid, int64_t run_id, const struct perf_script *ps)
{
	/* periods of clock events are nanoseconds */
	int clock_event = !strcmp(ps->event, "cpu-clock") || !strcmp(ps->event, "task-clock");

	if (store__run_metric_set(st, run_id, "samples", (double)ps->samples))
		return -1;
	for (size_t i = 0; i < ps->n; i++) {
		const struct perf_script_sym *s = &ps->syms[i];
		char *key = xasprintf(REGION_KEY_SYMBOL "%s", s->name);
		int64_t region = store__region(st, wid, key, s->name);
		int bad = region < 0 ||
			  store__region_metric_set(st, run_id, region, "samples", (double)s->samples) ||
			  (clock_event && store__region_metric_set(st, run_id, region, METRIC_TIME_NS, s->period)) ||
			  (!strcmp(ps->event, "cycles") &&
			   store__region_metric_set(st, run_id, region, METRIC_CYCLES, s->period));

		free(key);
		if (bad)
			return -1;
	}
	return 0;
}

int perf_script__check(const struct perf_script *ps, const char *path)
{
	if (ps->mixed_events)
		return error("%s: samples of more than one event (use `perf script -e EVENT` or one event per file)",
			     path);
	return 0;
}

int64_t perf_script__ingest(struct store *st, const struct import_ingest *in, const struct perf_script *ps)
{
	char *cfg;
	struct run_info ri;
	int64_t run_id;

	if (perf_script__check(ps, in->file))
		return -1;
	cfg = perf_script_config(in, ps);
	ri = import_run(in, cfg);
	run_id = cfg ? store__ingest_begin(st, &in->workload, &ri) : -1;
	if (run_id >= 0 && store__ingest_end(st, perf_script_rows(st, ri.workload_id, run_id, ps)))
		run_id = -1;
	free(cfg);
	return run_id;
}
