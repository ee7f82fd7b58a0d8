/* load.c - read one workload's runs, regions and region metrics into matrices. */
#include "engine.h"
#include "common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int workload_data__metric(const struct workload_data *w, const char *name)
{
	for (size_t m = 0; m < w->nmetrics; m++)
		if (!strcmp(w->metric[m], name))
			return (int)m;
	return -1;
}

static int metric_add(struct workload_data *w, const char *name)
{
	size_t cells = w->nruns * w->nregions;
	double *v;

	if (w->nmetrics == w->metrics_alloc) {
		w->metrics_alloc = w->metrics_alloc ? 2 * w->metrics_alloc : 8;
		w->metric = xrealloc(w->metric, w->metrics_alloc * sizeof(*w->metric));
		w->val = xrealloc(w->val, w->metrics_alloc * sizeof(*w->val));
	}
	v = xmalloc((cells ? cells : 1) * sizeof(*v));
	for (size_t i = 0; i < cells; i++)
		v[i] = NAN;
	w->metric[w->nmetrics] = xstrdup(name);
	w->val[w->nmetrics] = v;
	return (int)w->nmetrics++;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static long find_index(const int64_t *ids, size_t n, int64_t id)
{
	const int64_t *p = bsearch(&id, ids, n, sizeof(*ids), cmp_i64);

	return p ? (long)(p - ids) : -1;
}

static int sql_fail(sqlite3 *db, const char *path, const char *what)
{
	return error("%s: %s: %s", path, what, sqlite3_errmsg(db));
}

/* All of a workload's region metrics, reached by run: region_metric's
 * primary key starts with run_id (the table has no index on region_id). */
static const char load_metrics_sql[] =
	"SELECT rm.run_id, rm.region_id, rm.metric, rm.value FROM run r "
	"JOIN region_metric rm ON rm.run_id = r.id WHERE r.workload_id = ?1";

const char *const stats__region_metric_sql[] = {
	load_metrics_sql, ab__region_costs_sql, ab__run_costs_sql, NULL,
};

/* runs, ordered by id so that they can be found by bsearch; their ids into *run_ids */
static int load_runs(sqlite3 *db, const char *path, struct workload_data *w, int64_t **run_ids)
{
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT id, platform, status FROM run WHERE workload_id = ?1 ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return sql_fail(db, path, "reading runs");
	sqlite3_bind_int64(st, 1, w->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(st, 2);

		if (w->nruns == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			w->run = xrealloc(w->run, alloc * sizeof(*w->run));
		}
		w->run[w->nruns].id = sqlite3_column_int64(st, 0);
		w->run[w->nruns].platform = platform__parse((const char *)sqlite3_column_text(st, 1));
		w->run[w->nruns].status = run_status__parse(status);
		w->nruns++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_fail(db, path, "reading runs");
	*run_ids = xmalloc((w->nruns ? w->nruns : 1) * sizeof(**run_ids));
	for (size_t i = 0; i < w->nruns; i++)
		(*run_ids)[i] = w->run[i].id;
	return 0;
}

/* regions, ordered by id: the direct map below spans their range */
static int load_regions(sqlite3 *db, const char *path, struct workload_data *w)
{
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT id, key FROM region WHERE workload_id = ?1 ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return sql_fail(db, path, "reading regions");
	sqlite3_bind_int64(st, 1, w->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (w->nregions == alloc) {
			alloc = alloc ? 2 * alloc : 256;
			w->region_id = xrealloc(w->region_id, alloc * sizeof(*w->region_id));
			w->region_key = xrealloc(w->region_key, alloc * sizeof(*w->region_key));
		}
		w->region_id[w->nregions] = sqlite3_column_int64(st, 0);
		w->region_key[w->nregions] = xstrdup((const char *)sqlite3_column_text(st, 1));
		w->nregions++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sql_fail(db, path, "reading regions");
}

/* region ids of one workload are nearly contiguous: a direct map from id - min to index */
struct region_map {
	int64_t min;
	size_t len;
	long *ix; /* -1: not a region of the workload */
};

static void region_map__init(struct region_map *m, const struct workload_data *w)
{
	memset(m, 0, sizeof(*m));
	if (!w->nregions)
		return;
	m->min = w->region_id[0];
	m->len = (size_t)(w->region_id[w->nregions - 1] - m->min + 1);
	m->ix = xmalloc(m->len * sizeof(*m->ix));
	for (size_t i = 0; i < m->len; i++)
		m->ix[i] = -1;
	for (size_t i = 0; i < w->nregions; i++)
		m->ix[w->region_id[i] - m->min] = (long)i;
}

/* the region metrics into w->val (their errors reported as the regions', as ever) */
static int load_metrics(sqlite3 *db, const char *path, struct workload_data *w,
			const int64_t *run_ids, const struct region_map *map)
{
	sqlite3_stmt *st = NULL;
	int64_t last_run = -1, min_region = map->min;
	size_t map_len = map->len;
	long run_ix = -1;
	int last_metric = -1, ret = 0, rc;

	if (sqlite3_prepare_v2(db, load_metrics_sql, -1, &st, NULL) != SQLITE_OK)
		return sql_fail(db, path, "reading regions");
	sqlite3_bind_int64(st, 1, w->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t run = sqlite3_column_int64(st, 0), region = sqlite3_column_int64(st, 1);
		const char *metric = (const char *)sqlite3_column_text(st, 2);
		long rix;

		if (run != last_run) {
			run_ix = find_index(run_ids, w->nruns, run);
			last_run = run;
		}
		if (run_ix < 0 || region < min_region || region - min_region >= (int64_t)map_len)
			continue;
		rix = map->ix[region - min_region];
		if (rix < 0)
			continue;
		if (last_metric < 0 || strcmp(w->metric[last_metric], metric)) {
			last_metric = workload_data__metric(w, metric);
			if (last_metric < 0)
				last_metric = metric_add(w, metric);
		}
		w->val[last_metric][(size_t)run_ix * w->nregions + (size_t)rix] =
			sqlite3_column_double(st, 3);
	}
	if (rc != SQLITE_DONE)
		ret = sql_fail(db, path, "reading regions");
	sqlite3_finalize(st);
	return ret;
}

int workload_data__load(sqlite3 *db, const char *path, int64_t id, const char *name,
			struct workload_data *w)
{
	int64_t *run_ids = NULL;
	struct region_map map = { 0 };
	int ret = -1;

	memset(w, 0, sizeof(*w));
	w->id = id;
	w->name = xstrdup(name);
	if (load_runs(db, path, w, &run_ids))
		return -1;
	if (!load_regions(db, path, w)) {
		region_map__init(&map, w);
		ret = load_metrics(db, path, w, run_ids, &map);
	}
	free(run_ids);
	free(map.ix);
	return ret;
}

void workload_data__free(struct workload_data *w)
{
	for (size_t i = 0; i < w->nregions; i++)
		free(w->region_key[i]);
	for (size_t m = 0; m < w->nmetrics; m++) {
		free(w->metric[m]);
		free(w->val[m]);
	}
	free(w->name);
	free(w->run);
	free(w->region_id);
	free(w->region_key);
	free(w->metric);
	free(w->val);
	memset(w, 0, sizeof(*w));
}
