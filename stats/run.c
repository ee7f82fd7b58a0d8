/* run.c - stats__run(): the whole study in one transaction. */
#include "engine.h"
#include "common.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void stats_options__init(struct stats_options *o)
{
	memset(o, 0, sizeof(*o));
	o->tolerance = 1.25;
	o->confidence = 0.95;
	o->seed = 1;
	o->resamples = 2000;
}

static int exec(sqlite3 *db, const char *path, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		error("%s: %s", path, msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int prepare(struct engine *e)
{
	static const char *const sql[3] = {
		"INSERT INTO region_stat (region_id, platform, metric, n, mean, median, sd, cv, ci_lo, ci_hi,"
		" warmup_until, outliers) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
		"INSERT INTO agreement (workload_id, predictor, metric, n, pearson, spearman, kendall, mape)"
		" VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
		"INSERT INTO cost_model (workload_id, metric, term, coef, ci_lo, ci_hi, r2, cv_rmse, n)"
		" VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
	};
	sqlite3_stmt **st[3] = { &e->ins_region_stat, &e->ins_agreement, &e->ins_cost_model };

	for (int i = 0; i < 3; i++)
		if (sqlite3_prepare_v2(e->db, sql[i], -1, st[i], NULL) != SQLITE_OK)
			return error("%s: not an emudiff store with stats tables (%s)", e->path,
				     sqlite3_errmsg(e->db));
	return 0;
}

static int write_meta(struct engine *e)
{
	char buf[4][64];
	const char *key[4] = { "stats_seed", "stats_resamples", "stats_tolerance", "stats_confidence" };
	sqlite3_stmt *st;
	int ret = 0;

	snprintf(buf[0], sizeof(buf[0]), "%lu", e->o->seed);
	snprintf(buf[1], sizeof(buf[1]), "%zu", e->o->resamples);
	snprintf(buf[2], sizeof(buf[2]), "%.15g", e->o->tolerance);
	snprintf(buf[3], sizeof(buf[3]), "%.15g", e->o->confidence);
	if (sqlite3_prepare_v2(e->db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", -1, &st,
			       NULL) != SQLITE_OK)
		return error("%s: writing meta: %s", e->path, sqlite3_errmsg(e->db));
	for (int i = 0; i < 4 && !ret; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, key[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, buf[i], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			ret = error("%s: writing meta: %s", e->path, sqlite3_errmsg(e->db));
	}
	sqlite3_finalize(st);
	return ret;
}

/*
 * Study-wide cost models, one per hardware metric, over every workload's
 * regions: robust fits of up to 50 000 observations each, pure GSL work.
 * They run on a thread of their own while the main thread writes the
 * findings to the store (SQLite, serial); the models are written after.
 */
struct study_fits {
	struct engine *e;
	struct linfit f[3];
	int ok[3];
};

static void *study_fits_run(void *arg)
{
	struct study_fits *sf = arg;

	for (int k = 0; k < 3; k++) {
		struct model_obs *o = &sf->e->obs[k];

		sf->ok[k] = o->n && !stats__linfit(o->X, o->y, o->n, MODEL_TERMS, model_term, 1, 1,
						   sf->e->o->confidence, &sf->f[k]) &&
			    sf->f[k].rank == sf->f[k].p && sf->f[k].p >= 2;
	}
	return NULL;
}

/* The counts of the summary line as the report and `show` count them (PRIMARY_FINDING_SQL). */
static int count_findings(sqlite3 *db, const char *path, struct stats_summary *sum)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, FINDING_COUNTS_SQL, -1, &st, NULL) != SQLITE_OK)
		return error("%s: counting findings: %s", path, sqlite3_errmsg(db));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		sum->regions = (size_t)sqlite3_column_int64(st, 0);
		sum->findings = (size_t)sqlite3_column_int64(st, 1);
		sum->flagged = (size_t)sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : error("%s: counting findings: %s", path, sqlite3_errmsg(db));
}

/* the findings, with the study models fitted meanwhile; then the models */
static int findings_and_models(struct engine *e)
{
	struct study_fits sf = { .e = e };
	pthread_t th;
	int started = !pthread_create(&th, NULL, study_fits_run, &sf), ret;

	ret = engine__write_findings(e);
	if (started)
		pthread_join(th, NULL);
	else
		study_fits_run(&sf);
	for (int k = 0; k < 3 && !ret; k++)
		if (sf.ok[k] && engine__write_model(e, 0, e->obs[k].metric, &sf.f[k]))
			ret = -1;
	return ret;
}

/* The workloads, by name: read before the loop so that loading can run ahead. */
struct wl_ref {
	int64_t id;
	char *name;
};

static int wl_refs__read(sqlite3 *db, const char *path, struct wl_ref **out, size_t *n)
{
	sqlite3_stmt *st;
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(db, "SELECT id, name FROM workload ORDER BY name", -1, &st, NULL) != SQLITE_OK)
		return error("%s: reading workloads: %s", path, sqlite3_errmsg(db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			*out = xrealloc(*out, alloc * sizeof(**out));
		}
		(*out)[*n].id = sqlite3_column_int64(st, 0);
		(*out)[(*n)++].name = xstrdup((const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return error("%s: reading workloads: %s", path, sqlite3_errmsg(db));
	return 0;
}

/*
 * Workload w+1 is loaded while workload w computes, by a thread on a
 * read-only connection of its own: loading is serial SQLite work and the
 * compute leaves a core idle part of the time. The loader reads only tables
 * the engine does not write (run, region, region_metric); under WAL it sees
 * the last commit, and the main connection holds the write lock from before
 * it opened until the end: the same rows as on the main connection.
 */
struct prefetch {
	sqlite3 *db; /* NULL: load on the main connection, in turn */
	const char *path;
	const struct wl_ref *ref;
	struct workload_data w;
	int ret, running;
	pthread_t th;
};

static void *prefetch__run(void *arg)
{
	struct prefetch *p = arg;

	p->ret = workload_data__load(p->db, p->path, p->ref->id, p->ref->name, &p->w);
	return NULL;
}

/* Load r, on a thread unless !async (or no thread can be started). */
static void prefetch__start(struct prefetch *p, const struct wl_ref *r, int async)
{
	p->ref = r;
	p->running = async && !pthread_create(&p->th, NULL, prefetch__run, p);
	if (!p->running)
		prefetch__run(p);
}

/* The workload last started, in w (to be freed even on error); 0 or -1. */
static int prefetch__wait(struct prefetch *p, struct workload_data *w)
{
	if (p->running)
		pthread_join(p->th, NULL);
	p->running = 0;
	*w = p->w;
	memset(&p->w, 0, sizeof(p->w));
	return p->ret;
}

static void prefetch__close(struct prefetch *p)
{
	struct workload_data w;

	if (p->running) {
		prefetch__wait(p, &w);
		workload_data__free(&w);
	}
	sqlite3_close(p->db);
}

/* Workload i of wl into w, starting workload i + 1 ahead when prefetching. */
static int load_next(struct engine *e, struct prefetch *p, const struct wl_ref *wl, size_t n, size_t i,
		     struct workload_data *w)
{
	int ret;

	if (!p->db)
		return workload_data__load(e->db, e->path, wl[i].id, wl[i].name, w);
	if (i == 0)
		prefetch__start(p, &wl[0], 0);
	ret = prefetch__wait(p, w);
	if (!ret && i + 1 < n) {
		prefetch__start(p, &wl[i + 1], 1);
		e->sum->prefetched++;
	}
	return ret;
}

int stats__run(sqlite3 *db, const char *path, const struct stats_options *o,
	       struct stats_summary *sum)
{
	struct engine e;
	struct stats_summary dummy;
	struct prefetch pf = { .path = path };
	struct wl_ref *wl = NULL;
	int ret = -1, progress = !o->quiet && isatty(STDERR_FILENO);
	size_t nw = 0;

	if (!sum)
		sum = &dummy;
	memset(sum, 0, sizeof(*sum));
	if (!(o->tolerance > 1))
		return error("--tolerance must be greater than 1 (got %g)", o->tolerance);
	if (!(o->confidence > 0 && o->confidence < 1))
		return error("--confidence must lie between 0 and 1 (got %g)", o->confidence);
	if (o->resamples < 100)
		return error("--resamples must be at least 100 (got %zu)", o->resamples);
	memset(&e, 0, sizeof(e));
	e.db = db;
	e.path = path;
	e.o = o;
	e.sum = sum;
	e.threads = parallel__threads(o->threads);
	e.obs[0].metric = METRIC_CYCLES;
	e.obs[1].metric = METRIC_TIME_NS;
	e.obs[2].metric = METRIC_QEMU_HOST_NS;
	if (exec(db, path, "BEGIN IMMEDIATE"))
		return -1;
	/* re-running replaces every previous result, in the same transaction */
	if (exec(db, path, "DELETE FROM finding; DELETE FROM region_stat; DELETE FROM agreement;"
			   " DELETE FROM ab_compare; DELETE FROM cost_model; DELETE FROM event_cost;"
			   " DELETE FROM latency_quantile; DELETE FROM latency_compare; DELETE FROM server_compare;"
			   " DELETE FROM run_metric_stat;"
			   " DELETE FROM thread_imbalance; DELETE FROM thread_share;") ||
	    prepare(&e))
		goto out;
	if (wl_refs__read(db, path, &wl, &nw))
		goto out;
	/* one thread computes alone: nothing to overlap with */
	if (e.threads > 1)
		pf.db = db__open_reader(db);
	for (size_t i = 0; i < nw; i++) {
		struct workload_data w;
		int r = load_next(&e, &pf, wl, nw, i, &w);

		if (!r)
			r = engine__suite_take(&e, &w);
		if (!r)
			r = engine__workload(&e, &w);
		workload_data__free(&w);
		if (r)
			goto out;
		sum->workloads++;
		if (progress)
			fprintf(stderr, "\rstats: %zu/%zu workloads", i + 1, nw);
	}
	if (progress)
		fputc('\n', stderr);
	if (findings_and_models(&e) || engine__ab(&e) || engine__servers(&e) || engine__boot(&e) || engine__suite(&e) ||
	    stats__latency(db, path, o) || write_meta(&e) || count_findings(db, path, sum))
		goto out;
	ret = 0;
out:
	prefetch__close(&pf);
	engine__suite_free(&e);
	for (size_t i = 0; i < nw; i++)
		free(wl[i].name);
	free(wl);
	sqlite3_finalize(e.ins_region_stat);
	sqlite3_finalize(e.ins_agreement);
	sqlite3_finalize(e.ins_cost_model);
	free(e.findings.row);
	free(e.hboot.p);
	for (int q = 0; q < PRED_COUNT; q++)
		free(e.pboot[q].p);
	for (int k = 0; k < 3; k++) {
		free(e.obs[k].X);
		free(e.obs[k].y);
	}
	if (!ret && exec(db, path, "COMMIT"))
		ret = -1;
	if (ret)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}
