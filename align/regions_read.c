/*
 * regions_read.c - the reading half of align (regions.h): per workload, the
 * runs' marker sequences and each thread's reference; per run, its alignment
 * to the references and its region metrics, computed in memory
 * (regions_run.c), handed out as jobs.
 *
 * Each thread ordinal that hit markers gets a lane (regions.h): the most
 * common sequence of that thread among ok runs (else warm-up runs; ties: the
 * longer, then the older run) is its reference.
 *
 * Nothing here prints: messages go into the jobs (warnings) or into the
 * reader's error, for the writer to print in order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "regions.h"

struct reader {
	struct run_reader rr; /* the connection, the statements of one run, the error */
	const int64_t *ids;
	size_t n, next_workload;
	struct workload_seqs *cur; /* owned until its JOB_WORKLOAD_END is handed out */
	size_t next_run;
	sqlite3_stmt *st_runs, *st_ids;
};

int run_reader__fail(struct run_reader *rr, const char *what)
{
	snprintf(rr->err, sizeof(rr->err), "%s: %s: %s", rr->dbname, what, sqlite3_errmsg(rr->db));
	return -1;
}

static int fail(struct reader *rd, const char *what)
{
	return run_reader__fail(&rd->rr, what);
}

static sqlite3_stmt *prepare(struct reader *rd, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(rd->rr.db, sql, -1, &st, NULL) != SQLITE_OK)
		fail(rd, "preparing a query");
	return st;
}

struct reader *reader__new(sqlite3 *db, const char *dbname, const int64_t *ids, size_t n)
{
	struct reader *rd = xcalloc(1, sizeof(*rd));

	rd->rr.db = db;
	rd->rr.dbname = dbname;
	rd->ids = ids;
	rd->n = n;
	/* prepared once for all runs of all workloads */
	rd->st_runs = prepare(rd, "SELECT id, platform, status, rep FROM run"
				  " WHERE workload_id = ?1 AND status IN ('ok', 'warmup') ORDER BY id");
	rd->st_ids = prepare(rd, "SELECT thread, mark_id FROM mark WHERE run_id = ?1 ORDER BY seq");
	rd->rr.st_hits = prepare(rd, "SELECT seq, insns, time_ns, thread FROM mark WHERE run_id = ?1 ORDER BY seq");
	rd->rr.st_values = prepare(rd, "SELECT metric, seq, value FROM mark_value WHERE run_id = ?1"
				    " ORDER BY metric, seq");
	rd->rr.st_events = prepare(rd, "SELECT rowid, seq, kind, count FROM event_count"
				    " WHERE run_id = ?1 AND seq IS NOT NULL");
	return rd;
}

const char *reader__error(const struct reader *rd)
{
	return rd->rr.err;
}

void workload_seqs__free(struct workload_seqs *w)
{
	size_t i;

	if (!w)
		return;
	for (i = 0; i < w->nruns; i++) {
		for (size_t t = 0; t < w->runs[i].nth; t++)
			free(w->runs[i].th[t].ids);
		free(w->runs[i].th);
		free(w->runs[i].platform);
		free(w->runs[i].status);
	}
	free(w->runs);
	free(w->lanes);
	free(w);
}

int workload_seqs__has_regions(const struct workload_seqs *w)
{
	return w->nlanes > 0;
}

void job__free(struct job *j)
{
	size_t i;

	if (!j)
		return;
	if (j->type == JOB_WORKLOAD_END)
		workload_seqs__free(j->seqs);
	for (i = 0; i < j->run.nlanes; i++) {
		free(j->run.lanes[i].map);
		free(j->run.lanes[i].seq);
		free(j->run.lanes[i].insns);
	}
	free(j->run.lanes);
	for (i = 0; i < j->run.ncols; i++) {
		free(j->run.cols[i].name);
		free(j->run.cols[i].v);
		free(j->run.cols[i].has);
	}
	free(j->run.cols);
	free(j->run.ev);
	free(j);
}

void reader__free(struct reader *rd)
{
	if (!rd)
		return;
	workload_seqs__free(rd->cur);
	sqlite3_finalize(rd->st_runs);
	sqlite3_finalize(rd->st_ids);
	sqlite3_finalize(rd->rr.st_hits);
	sqlite3_finalize(rd->rr.st_values);
	sqlite3_finalize(rd->rr.st_events);
	free(rd);
}

/* ---- the runs of one workload and the reference ------------------------------ */

static uint64_t seq_hash(const int *v, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (uint32_t)v[i];
		h *= 1099511628211ULL;
	}
	return h ^ n;
}

int thread_seq__equal(const struct thread_seq *a, const struct thread_seq *b)
{
	return a->hash == b->hash && a->n == b->n &&
	       (a->n == 0 || !memcmp(a->ids, b->ids, a->n * sizeof(int)));
}

const struct thread_seq *run_seq__thread(const struct run_seq *r, int t)
{
	for (size_t i = 0; i < r->nth; i++)
		if (r->th[i].thread == t)
			return &r->th[i];
	return NULL;
}

static struct thread_seq *thread_add(struct run_seq *r, int t)
{
	struct thread_seq *ts = (struct thread_seq *)run_seq__thread(r, t);
	size_t i;

	if (ts)
		return ts;
	r->th = xrealloc(r->th, (r->nth + 1) * sizeof(*r->th));
	for (i = r->nth; i > 0 && r->th[i - 1].thread > t; i--)
		r->th[i] = r->th[i - 1];
	memset(&r->th[i], 0, sizeof(r->th[i]));
	r->th[i].thread = t;
	r->nth++;
	return &r->th[i];
}

static int load_ids(struct reader *rd, struct run_seq *r)
{
	sqlite3_stmt *sm = rd->st_ids;
	int step;

	sqlite3_bind_int64(sm, 1, r->id);
	while ((step = sqlite3_step(sm)) == SQLITE_ROW) {
		struct thread_seq *ts = thread_add(r, sqlite3_column_int(sm, 0));

		/* room for 64, then doubled whenever n reaches a power of two */
		if (ts->n == 0 || (ts->n >= 64 && !(ts->n & (ts->n - 1))))
			ts->ids = xrealloc(ts->ids, (ts->n ? 2 * ts->n : 64) * sizeof(int));
		ts->ids[ts->n++] = sqlite3_column_int(sm, 1);
		r->nhits++;
	}
	sqlite3_reset(sm);
	if (step != SQLITE_DONE)
		return fail(rd, "reading markers");
	for (size_t i = 0; i < r->nth; i++)
		r->th[i].hash = seq_hash(r->th[i].ids, r->th[i].n);
	return 0;
}

static int load_runs(struct reader *rd, struct workload_seqs *w)
{
	sqlite3_stmt *st = rd->st_runs;
	size_t cap = 0;
	int rc = -1, step;

	sqlite3_bind_int64(st, 1, w->wid);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct run_seq *r;

		if (w->nruns == cap) {
			cap = cap ? cap * 2 : 16;
			w->runs = xrealloc(w->runs, cap * sizeof(*w->runs));
		}
		r = &w->runs[w->nruns++];
		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(st, 0);
		r->platform = xstrdup((const char *)sqlite3_column_text(st, 1));
		r->status = xstrdup((const char *)sqlite3_column_text(st, 2));
		r->rep = sqlite3_column_int(st, 3);
		if (load_ids(rd, r) < 0)
			goto out;
	}
	if (step != SQLITE_DONE) {
		fail(rd, "reading runs");
		goto out;
	}
	rc = 0;
out:
	sqlite3_reset(st);
	return rc;
}

/*
 * The most common non-empty sequence of thread t among runs of this status;
 * ties: longer, then older. *run gets the run it is taken from.
 */
static const struct thread_seq *most_common(const struct workload_seqs *w, const char *status, int t,
					    const struct run_seq **run)
{
	const struct thread_seq *best = NULL;
	size_t best_count = 0, i, j;

	for (i = 0; i < w->nruns; i++) {
		const struct thread_seq *r = run_seq__thread(&w->runs[i], t);
		size_t count = 0;

		if (!r || !r->n || strcmp(w->runs[i].status, status))
			continue;
		for (j = 0; j < w->nruns; j++) {
			const struct thread_seq *o = run_seq__thread(&w->runs[j], t);

			if (o && !strcmp(w->runs[j].status, status) && thread_seq__equal(r, o))
				count++;
		}
		if (count > best_count || (count == best_count && r->n > best->n)) {
			best = r;
			best_count = count;
			*run = &w->runs[i];
		}
	}
	return best;
}

/* A lane for every thread ordinal whose reference defines a region, by ordinal. */
static void make_lanes(struct workload_seqs *w)
{
	int *threads = NULL;
	size_t nt = 0, i, j;

	for (i = 0; i < w->nruns; i++)
		for (j = 0; j < w->runs[i].nth; j++) {
			int t = w->runs[i].th[j].thread;
			size_t k = 0;

			while (k < nt && threads[k] != t)
				k++;
			if (k < nt)
				continue;
			threads = xrealloc(threads, (nt + 1) * sizeof(*threads));
			for (k = nt; k > 0 && threads[k - 1] > t; k--)
				threads[k] = threads[k - 1];
			threads[k] = t;
			nt++;
		}
	w->lanes = xcalloc(nt ? nt : 1, sizeof(*w->lanes));
	for (i = 0; i < nt; i++) {
		struct lane *l = &w->lanes[w->nlanes];

		l->thread = threads[i];
		l->ref = most_common(w, "ok", l->thread, &l->ref_run);
		if (!l->ref)
			l->ref = most_common(w, "warmup", l->thread, &l->ref_run);
		if (!l->ref || l->ref->n < 2)
			continue;
		l->first = w->nregions;
		w->nregions += l->ref->n - 1;
		w->nlanes++;
	}
	free(threads);
}

static struct workload_seqs *load_workload(struct reader *rd, int64_t wid)
{
	struct workload_seqs *w = xcalloc(1, sizeof(*w));

	w->wid = wid;
	if (load_runs(rd, w) < 0) {
		workload_seqs__free(w);
		return NULL;
	}
	make_lanes(w);
	return w;
}

/* ---- the jobs ------------------------------------------------------------------ */

int reader__next(struct reader *rd, struct job **out)
{
	struct workload_seqs *w = rd->cur;
	struct job *j;

	if (!rd->st_runs || !rd->st_ids || !rd->rr.st_hits || !rd->rr.st_values || !rd->rr.st_events)
		return -1; /* preparing failed: rd->err says why */
	if (!w && rd->next_workload == rd->n)
		return 0;
	j = xcalloc(1, sizeof(*j));
	if (!w) {
		w = load_workload(rd, rd->ids[rd->next_workload++]);
		if (!w) {
			free(j);
			return -1;
		}
		rd->cur = w;
		rd->next_run = 0;
		j->type = JOB_WORKLOAD_BEGIN;
	} else if (workload_seqs__has_regions(w) && rd->next_run < w->nruns) {
		j->type = JOB_RUN;
		j->run.run = &w->runs[rd->next_run++];
		if (run_regions__read(&rd->rr, w, &j->run) < 0) {
			job__free(j);
			return -1;
		}
	} else {
		j->type = JOB_WORKLOAD_END;
		rd->cur = NULL;
	}
	j->seqs = w;
	*out = j;
	return 1;
}
