/*
 * regions_read.c - the reading half of align (regions.h): per workload, the
 * runs' marker sequences and the reference; per run, its alignment to the
 * reference and its region metrics, computed in memory.
 *
 * Region metrics follow the contract in README/DESIGN: QEMU runs get insns
 * and qemu_host_ns, other platforms time_ns and instret; every mark_value
 * metric present at both ends gets its difference; events recorded after a
 * hit are assigned to the region that hit opens, and per-region totals
 * syscalls, traps and exits are written for the categories the run recorded.
 *
 * Nothing here prints: messages go into the jobs (warnings) or into the
 * reader's error, for the writer to print in order.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "regions.h"

struct reader {
	sqlite3 *db;
	const char *dbname;
	const int64_t *ids;
	size_t n, next_workload;
	struct workload_seqs *cur; /* owned until its JOB_WORKLOAD_END is handed out */
	size_t next_run;
	sqlite3_stmt *st_runs, *st_ids, *st_hits, *st_values, *st_events;
	char err[512];
};

static int fail(struct reader *rd, const char *what)
{
	snprintf(rd->err, sizeof(rd->err), "%s: %s: %s", rd->dbname, what, sqlite3_errmsg(rd->db));
	return -1;
}

static sqlite3_stmt *prepare(struct reader *rd, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(rd->db, sql, -1, &st, NULL) != SQLITE_OK)
		fail(rd, "preparing a query");
	return st;
}

struct reader *reader__new(sqlite3 *db, const char *dbname, const int64_t *ids, size_t n)
{
	struct reader *rd = xcalloc(1, sizeof(*rd));

	rd->db = db;
	rd->dbname = dbname;
	rd->ids = ids;
	rd->n = n;
	/* prepared once for all runs of all workloads */
	rd->st_runs = prepare(rd, "SELECT id, platform, status, rep FROM run"
				  " WHERE workload_id = ?1 AND status IN ('ok', 'warmup') ORDER BY id");
	rd->st_ids = prepare(rd, "SELECT mark_id FROM mark WHERE run_id = ?1 ORDER BY seq");
	rd->st_hits = prepare(rd, "SELECT seq, insns, time_ns FROM mark WHERE run_id = ?1 ORDER BY seq");
	rd->st_values = prepare(rd, "SELECT metric, seq, value FROM mark_value WHERE run_id = ?1"
				    " ORDER BY metric, seq");
	rd->st_events = prepare(rd, "SELECT rowid, seq, kind, count FROM event_count"
				    " WHERE run_id = ?1 AND seq IS NOT NULL");
	return rd;
}

const char *reader__error(const struct reader *rd)
{
	return rd->err;
}

void workload_seqs__free(struct workload_seqs *w)
{
	size_t i;

	if (!w)
		return;
	for (i = 0; i < w->nruns; i++) {
		free(w->runs[i].ids);
		free(w->runs[i].platform);
		free(w->runs[i].status);
	}
	free(w->runs);
	free(w);
}

int workload_seqs__has_regions(const struct workload_seqs *w)
{
	return w->ref && w->ref->n >= 2;
}

void job__free(struct job *j)
{
	size_t i;

	if (!j)
		return;
	if (j->type == JOB_WORKLOAD_END)
		workload_seqs__free(j->seqs);
	free(j->run.map);
	free(j->run.seq);
	free(j->run.insns);
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
	sqlite3_finalize(rd->st_hits);
	sqlite3_finalize(rd->st_values);
	sqlite3_finalize(rd->st_events);
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

static int seq_equal(const struct run_seq *a, const struct run_seq *b)
{
	return a->hash == b->hash && a->n == b->n &&
	       (a->n == 0 || !memcmp(a->ids, b->ids, a->n * sizeof(int)));
}

static int load_ids(struct reader *rd, struct run_seq *r)
{
	sqlite3_stmt *sm = rd->st_ids;
	size_t cap = 0;
	int step;

	sqlite3_bind_int64(sm, 1, r->id);
	while ((step = sqlite3_step(sm)) == SQLITE_ROW) {
		if (r->n == cap) {
			cap = cap ? cap * 2 : 64;
			r->ids = xrealloc(r->ids, cap * sizeof(int));
		}
		r->ids[r->n++] = sqlite3_column_int(sm, 0);
	}
	sqlite3_reset(sm);
	if (step != SQLITE_DONE)
		return fail(rd, "reading markers");
	r->hash = seq_hash(r->ids, r->n);
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

/* The most common non-empty sequence among runs of this status; ties: longer, then older. */
static const struct run_seq *most_common(const struct workload_seqs *w, const char *status)
{
	const struct run_seq *best = NULL;
	size_t best_count = 0, i, j;

	for (i = 0; i < w->nruns; i++) {
		const struct run_seq *r = &w->runs[i];
		size_t count = 0;
		if (!r->n || strcmp(r->status, status))
			continue;
		for (j = 0; j < w->nruns; j++)
			if (!strcmp(w->runs[j].status, status) && seq_equal(r, &w->runs[j]))
				count++;
		if (count > best_count || (count == best_count && r->n > best->n)) {
			best = r;
			best_count = count;
		}
	}
	return best;
}

static struct workload_seqs *load_workload(struct reader *rd, int64_t wid)
{
	struct workload_seqs *w = xcalloc(1, sizeof(*w));

	w->wid = wid;
	if (load_runs(rd, w) < 0) {
		workload_seqs__free(w);
		return NULL;
	}
	w->ref = most_common(w, "ok");
	if (!w->ref)
		w->ref = most_common(w, "warmup");
	return w;
}

/* ---- one run ----------------------------------------------------------------- */

/* One run's marker hits: seq numbers and the two built-in counters (NAN: NULL). */
struct hits {
	int64_t *seq;
	double *insns, *time;
	size_t n;
};

static int load_hits(struct reader *rd, int64_t run_id, struct hits *h, size_t n)
{
	sqlite3_stmt *st = rd->st_hits;
	size_t i = 0;
	int step = SQLITE_DONE;

	h->seq = xcalloc(n ? n : 1, sizeof(int64_t));
	h->insns = xcalloc(n ? n : 1, sizeof(double));
	h->time = xcalloc(n ? n : 1, sizeof(double));
	h->n = n;
	sqlite3_bind_int64(st, 1, run_id);
	while (i < n && (step = sqlite3_step(st)) == SQLITE_ROW) {
		h->seq[i] = sqlite3_column_int64(st, 0);
		h->insns[i] = sqlite3_column_type(st, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 1);
		h->time[i] = sqlite3_column_type(st, 2) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 2);
		i++;
	}
	sqlite3_reset(st);
	if (i != n)
		return fail(rd, "reading markers");
	return 0;
}

/* Index of the last hit whose seq is <= s, or -1. */
static long hit_at(const struct hits *h, int64_t s)
{
	size_t lo = 0, hi = h->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h->seq[mid] <= s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

static struct column *add_column(struct run_regions *out, const char *name, size_t nreg)
{
	struct column *c;

	out->cols = xrealloc(out->cols, (out->ncols + 1) * sizeof(*out->cols));
	c = &out->cols[out->ncols++];
	c->name = xstrdup(name);
	c->v = xmalloc((nreg ? nreg : 1) * sizeof(double));
	c->has = xcalloc(nreg ? nreg : 1, 1);
	return c;
}

/* Region i gets v[end] - v[start] where both ends are matched and have a value. */
static void diff_column(struct run_regions *out, size_t nreg, const double *v, const char *name)
{
	struct column *c = add_column(out, name, nreg);
	const long *map = out->map;
	size_t i;

	for (i = 0; i < nreg; i++) {
		long j = map[i], k = map[i + 1];
		if (j < 0 || k < 0 || isnan(v[j]) || isnan(v[k]))
			continue;
		c->v[i] = v[k] - v[j];
		c->has[i] = 1;
	}
}

/* Metric names already taken by the mark table or the events: those win. */
struct taken {
	const char *insns, *time; /* NULL when the run has no such column values */
};

static int taken_metric(const struct taken *t, const char *m)
{
	return (t->insns && !strcmp(m, t->insns)) || (t->time && !strcmp(m, t->time)) ||
	       !strcmp(m, METRIC_SYSCALLS) || !strcmp(m, METRIC_TRAPS) || !strcmp(m, METRIC_EXITS);
}

static int mark_values(struct reader *rd, struct run_regions *out, size_t nreg,
		       const struct hits *h, const struct taken *taken)
{
	sqlite3_stmt *st = rd->st_values;
	double *v = xmalloc((h->n ? h->n : 1) * sizeof(double));
	char *cur = NULL;
	size_t i;
	int rc = -1, step;

	sqlite3_bind_int64(st, 1, out->run->id);
	for (i = 0; i < h->n; i++)
		v[i] = NAN;
	do {
		const char *metric = NULL;
		step = sqlite3_step(st);
		if (step == SQLITE_ROW)
			metric = (const char *)sqlite3_column_text(st, 0);
		else if (step != SQLITE_DONE) {
			fail(rd, "reading marker values");
			goto out;
		}
		if (cur && (!metric || strcmp(metric, cur))) {
			diff_column(out, nreg, v, cur);
			for (i = 0; i < h->n; i++)
				v[i] = NAN;
			free(cur);
			cur = NULL;
		}
		if (metric && taken_metric(taken, metric))
			continue; /* the mark table's own counters and the event totals take precedence */
		if (metric) {
			long j = hit_at(h, sqlite3_column_int64(st, 1));
			if (!cur)
				cur = xstrdup(metric);
			if (j >= 0 && h->seq[j] == sqlite3_column_int64(st, 1))
				v[j] = sqlite3_column_double(st, 2);
		}
	} while (step == SQLITE_ROW);
	rc = 0;
out:
	sqlite3_reset(st);
	free(cur);
	free(v);
	return rc;
}

enum { EV_SYSCALLS, EV_TRAPS, EV_EXITS, EV_CATEGORIES };

static int event_category(const char *kind)
{
	if (!strcmp(kind, "syscall"))
		return EV_SYSCALLS;
	if (!strcmp(kind, "trap_entry") || !strcmp(kind, "interrupt") || !strcmp(kind, "exception"))
		return EV_TRAPS;
	if (!strcmp(kind, "ecall") || !strcmp(kind, "wfi") || !strcmp(kind, "hlt") ||
	    !strcmp(kind, "vm_exit"))
		return EV_EXITS;
	return -1;
}

static int events(struct reader *rd, struct run_regions *out, size_t nreg, const struct hits *h)
{
	static const char *const names[EV_CATEGORIES] = { METRIC_SYSCALLS, METRIC_TRAPS, METRIC_EXITS };
	const long *map = out->map;
	long *hit_region = xmalloc((h->n ? h->n : 1) * sizeof(long));
	double *tot = xcalloc(nreg * EV_CATEGORIES + 1, sizeof(double));
	int recorded[EV_CATEGORIES] = { 0 }, rc = -1, step, k;
	sqlite3_stmt *st = rd->st_events;
	size_t evcap = 0, i;

	/* the hits inside each matched reference region belong to it */
	for (i = 0; i < h->n; i++)
		hit_region[i] = -1;
	for (i = 0; i < nreg; i++) {
		long j;
		if (map[i] < 0 || map[i + 1] < 0)
			continue;
		for (j = map[i]; j < map[i + 1]; j++)
			hit_region[j] = (long)i;
	}
	sqlite3_bind_int64(st, 1, out->run->id);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		long hit = hit_at(h, sqlite3_column_int64(st, 1)), g;
		int cat = event_category((const char *)sqlite3_column_text(st, 2));

		if (cat >= 0)
			recorded[cat] = 1;
		if (hit < 0 || (g = hit_region[hit]) < 0)
			continue;
		if (out->nev == evcap) {
			evcap = evcap ? evcap * 2 : 64;
			out->ev = xrealloc(out->ev, evcap * sizeof(*out->ev));
		}
		out->ev[out->nev].rowid = sqlite3_column_int64(st, 0);
		out->ev[out->nev].reg = (size_t)g;
		out->nev++;
		if (cat >= 0)
			tot[(size_t)g * EV_CATEGORIES + (size_t)cat] += sqlite3_column_double(st, 3);
	}
	if (step != SQLITE_DONE) {
		fail(rd, "reading events");
		goto out;
	}
	for (k = 0; k < EV_CATEGORIES; k++) {
		struct column *c;

		if (!recorded[k])
			continue;
		c = add_column(out, names[k], nreg);
		for (i = 0; i < nreg; i++) {
			if (map[i] < 0 || map[i + 1] < 0)
				continue;
			c->v[i] = tot[i * EV_CATEGORIES + (size_t)k];
			c->has[i] = 1;
		}
	}
	rc = 0;
out:
	sqlite3_reset(st);
	free(hit_region);
	free(tot);
	return rc;
}

static int column_cmp(const void *a, const void *b)
{
	return strcmp(((const struct column *)a)->name, ((const struct column *)b)->name);
}

/* The marker map of a run with markers; 0, or 1 when it is too different. */
static int map_run(const struct run_seq *ref, struct run_regions *out)
{
	const struct run_seq *r = out->run;
	struct markseq_stats *s = &out->stats;
	size_t i, len, max_edits;

	out->map = xmalloc((ref->n ? ref->n : 1) * sizeof(long));
	if (seq_equal(r, ref)) {
		for (i = 0; i < ref->n; i++)
			out->map[i] = (long)i;
		s->matched = ref->n;
		snprintf(out->note, sizeof(out->note), "identical to the reference");
		out->outcome = RUN_EXACT;
		return 0;
	}
	/* bound the work at a few 10^9 steps: (n + m) * edits */
	len = ref->n + r->n;
	max_edits = 2000000000 / (len + 1);
	if (max_edits < 200)
		max_edits = 200;
	if (markseq__align(ref->ids, ref->n, r->ids, r->n, max_edits, out->map, s) < 0) {
		snprintf(out->note, sizeof(out->note),
			 "too different from the reference (more than %zu markers differ): no marker regions",
			 max_edits);
		out->outcome = RUN_TOO_DIFFERENT;
		return 1;
	}
	snprintf(out->note, sizeof(out->note),
		 "%zu of %zu reference markers matched; %zu missing, %zu extra, %zu of them mismatched",
		 s->matched, ref->n, ref->n - s->matched, r->n - s->matched, s->mismatches);
	out->outcome = RUN_PARTIAL;
	return 0;
}

static int read_run(struct reader *rd, const struct workload_seqs *w, struct run_regions *out)
{
	const struct run_seq *r = out->run;
	int qemu = !strncmp(r->platform, "qemu-", 5), rc = -1;
	size_t nreg = w->ref->n - 1, i;
	struct hits h = { 0 };
	struct taken taken = { 0 };

	if (!r->n) {
		out->stats.gaps = w->ref->n;
		snprintf(out->note, sizeof(out->note), "no markers");
		out->outcome = RUN_NO_MARKERS;
		return 0;
	}
	if (map_run(w->ref, out))
		return 0;
	if (load_hits(rd, r->id, &h, r->n) < 0)
		goto out;
	for (i = 0; i < h.n; i++) {
		if (!isnan(h.insns[i]))
			taken.insns = qemu ? METRIC_INSNS : METRIC_INSTRET;
		if (!isnan(h.time[i]))
			taken.time = qemu ? METRIC_QEMU_HOST_NS : METRIC_TIME_NS;
	}
	/* a run without values of a column writes none of its rows */
	if (taken.insns)
		diff_column(out, nreg, h.insns, taken.insns);
	if (taken.time)
		diff_column(out, nreg, h.time, taken.time);
	if (mark_values(rd, out, nreg, &h, &taken) < 0 || events(rd, out, nreg, &h) < 0)
		goto out;
	/* the writer inserts in primary key order: metrics by name within a region */
	qsort(out->cols, out->ncols, sizeof(*out->cols), column_cmp);
	out->seq = h.seq;
	out->insns = h.insns;
	out->nhits = h.n;
	h.seq = NULL;
	h.insns = NULL;
	rc = 0;
out:
	free(h.seq);
	free(h.insns);
	free(h.time);
	return rc;
}

/* ---- the jobs ------------------------------------------------------------------ */

int reader__next(struct reader *rd, struct job **out)
{
	struct workload_seqs *w = rd->cur;
	struct job *j;

	if (!rd->st_runs || !rd->st_ids || !rd->st_hits || !rd->st_values || !rd->st_events)
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
		if (read_run(rd, w, &j->run) < 0) {
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
