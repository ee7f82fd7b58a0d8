/*
 * regions_run.c - one run of a workload in memory (regions.h): each of its
 * threads aligned to that thread's reference (lanes), and the region
 * metrics: QEMU runs get insns and qemu_host_ns, other platforms time_ns and
 * instret; every mark_value metric present at both ends gets its
 * difference; events recorded after a hit are assigned to the region that
 * hit opens, and per-region totals syscalls, traps and exits are written for
 * the categories the run recorded. A hit's values and the events after it
 * belong to the thread of that hit; a region's ends are two hits of one
 * thread.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "regions.h"

/*
 * One run's marker hits over all threads, in seq order: seq numbers, the two
 * built-in counters (NAN: NULL) and the thread; per lane, the indices of its
 * thread's hits (gi[lane][j]: the j-th hit of that thread).
 */
struct hits {
	int64_t *seq;
	double *insns, *time;
	int *thread;
	size_t n;
	size_t **gi;
	size_t nlanes;
};

static void hits__free(struct hits *h)
{
	for (size_t l = 0; l < h->nlanes; l++)
		free(h->gi[l]);
	free(h->gi);
	free(h->seq);
	free(h->insns);
	free(h->time);
	free(h->thread);
}

static int load_hits(struct run_reader *rd, int64_t run_id, struct hits *h, size_t n)
{
	sqlite3_stmt *st = rd->st_hits;
	size_t i = 0;
	int step = SQLITE_DONE;

	h->seq = xcalloc(n ? n : 1, sizeof(int64_t));
	h->insns = xcalloc(n ? n : 1, sizeof(double));
	h->time = xcalloc(n ? n : 1, sizeof(double));
	h->thread = xcalloc(n ? n : 1, sizeof(int));
	h->n = n;
	sqlite3_bind_int64(st, 1, run_id);
	while (i < n && (step = sqlite3_step(st)) == SQLITE_ROW) {
		h->seq[i] = sqlite3_column_int64(st, 0);
		h->insns[i] = sqlite3_column_type(st, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 1);
		h->time[i] = sqlite3_column_type(st, 2) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 2);
		h->thread[i] = sqlite3_column_int(st, 3);
		i++;
	}
	sqlite3_reset(st);
	if (i != n)
		return run_reader__fail(rd, "reading markers");
	return 0;
}

/* h->gi: the hits of each lane's thread, as many as the run's sequence of it has. */
static int lane_hits(struct run_reader *rd, const struct workload_seqs *w, const struct run_seq *r, struct hits *h)
{
	size_t *len = xcalloc(w->nlanes ? w->nlanes : 1, sizeof(size_t));
	int rc = 0;

	h->nlanes = w->nlanes;
	h->gi = xcalloc(w->nlanes ? w->nlanes : 1, sizeof(*h->gi));
	for (size_t l = 0; l < w->nlanes; l++) {
		const struct thread_seq *ts = run_seq__thread(r, w->lanes[l].thread);

		h->gi[l] = xmalloc((ts && ts->n ? ts->n : 1) * sizeof(size_t));
	}
	for (size_t i = 0; i < h->n; i++) {
		size_t l = 0;

		while (l < w->nlanes && w->lanes[l].thread != h->thread[i])
			l++;
		if (l == w->nlanes)
			continue; /* a thread without regions */
		{
			const struct thread_seq *ts = run_seq__thread(r, h->thread[i]);

			if (!ts || len[l] == ts->n) {
				rc = run_reader__fail(rd, "reading markers");
				break;
			}
		}
		h->gi[l][len[l]++] = i;
	}
	free(len);
	return rc;
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

static int lane_usable(const struct lane_map *lm)
{
	return lm->outcome == RUN_PARTIAL || lm->outcome == RUN_EXACT;
}

/*
 * Region first + i of each lane gets v[end] - v[start] (v per hit of the run)
 * where both ends are matched hits of the lane's thread and have a value.
 */
static void diff_column(struct run_regions *out, const struct workload_seqs *w, const struct hits *h,
			const double *v, const char *name)
{
	struct column *c = add_column(out, name, w->nregions);

	for (size_t l = 0; l < w->nlanes; l++) {
		const struct lane_map *lm = &out->lanes[l];
		size_t nreg = w->lanes[l].ref->n - 1, first = w->lanes[l].first;

		if (!lane_usable(lm))
			continue;
		for (size_t i = 0; i < nreg; i++) {
			long j = lm->map[i], k = lm->map[i + 1];
			size_t gj, gk;

			if (j < 0 || k < 0)
				continue;
			gj = h->gi[l][j];
			gk = h->gi[l][k];
			if (isnan(v[gj]) || isnan(v[gk]))
				continue;
			c->v[first + i] = v[gk] - v[gj];
			c->has[first + i] = 1;
		}
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

static int mark_values(struct run_reader *rd, struct run_regions *out, const struct workload_seqs *w,
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
			run_reader__fail(rd, "reading marker values");
			goto out;
		}
		if (cur && (!metric || strcmp(metric, cur))) {
			diff_column(out, w, h, v, cur);
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

/* Per hit of the run: the region its thread's next stretch is in (-1: none). */
static long *hit_regions(const struct run_regions *out, const struct workload_seqs *w, const struct hits *h)
{
	long *hit_region = xmalloc((h->n ? h->n : 1) * sizeof(long));

	for (size_t i = 0; i < h->n; i++)
		hit_region[i] = -1;
	for (size_t l = 0; l < w->nlanes; l++) {
		const struct lane_map *lm = &out->lanes[l];
		size_t nreg = w->lanes[l].ref->n - 1;

		if (!lane_usable(lm))
			continue;
		/* the thread's hits inside each matched reference region belong to it */
		for (size_t i = 0; i < nreg; i++) {
			if (lm->map[i] < 0 || lm->map[i + 1] < 0)
				continue;
			for (long j = lm->map[i]; j < lm->map[i + 1]; j++)
				hit_region[h->gi[l][j]] = (long)(w->lanes[l].first + i);
		}
	}
	return hit_region;
}

/* Whether region g has both ends matched in this run. */
static int region_matched(const struct run_regions *out, const struct workload_seqs *w, size_t g)
{
	size_t l = 0;

	while (l + 1 < w->nlanes && w->lanes[l + 1].first <= g)
		l++;
	g -= w->lanes[l].first;
	return lane_usable(&out->lanes[l]) && out->lanes[l].map[g] >= 0 && out->lanes[l].map[g + 1] >= 0;
}

static int events(struct run_reader *rd, struct run_regions *out, const struct workload_seqs *w, const struct hits *h)
{
	static const char *const names[EV_CATEGORIES] = { METRIC_SYSCALLS, METRIC_TRAPS, METRIC_EXITS };
	size_t nreg = w->nregions;
	long *hit_region = hit_regions(out, w, h);
	double *tot = xcalloc(nreg * EV_CATEGORIES + 1, sizeof(double));
	int recorded[EV_CATEGORIES] = { 0 }, rc = -1, step, k;
	sqlite3_stmt *st = rd->st_events;
	size_t evcap = 0, i;

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
		run_reader__fail(rd, "reading events");
		goto out;
	}
	for (k = 0; k < EV_CATEGORIES; k++) {
		struct column *c;

		if (!recorded[k])
			continue;
		c = add_column(out, names[k], nreg);
		for (i = 0; i < nreg; i++) {
			if (!region_matched(out, w, i))
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

/* One thread's sequence r against its lane's reference into lm. */
static void map_lane(const struct thread_seq *ref, const struct thread_seq *r, struct lane_map *lm)
{
	struct markseq_stats *s = &lm->stats;
	size_t i, len, max_edits;

	lm->map = xmalloc((ref->n ? ref->n : 1) * sizeof(long));
	if (!r || !r->n) {
		for (i = 0; i < ref->n; i++)
			lm->map[i] = -1;
		s->gaps = ref->n;
		snprintf(lm->note, sizeof(lm->note), "no markers");
		lm->outcome = RUN_NO_MARKERS;
		return;
	}
	if (thread_seq__equal(r, ref)) {
		for (i = 0; i < ref->n; i++)
			lm->map[i] = (long)i;
		s->matched = ref->n;
		snprintf(lm->note, sizeof(lm->note), "identical to the reference");
		lm->outcome = RUN_EXACT;
		return;
	}
	/* bound the work at a few 10^9 steps: (n + m) * edits */
	len = ref->n + r->n;
	max_edits = 2000000000 / (len + 1);
	if (max_edits < 200)
		max_edits = 200;
	if (markseq__align(ref->ids, ref->n, r->ids, r->n, max_edits, lm->map, s) < 0) {
		snprintf(lm->note, sizeof(lm->note),
			 "too different from the reference (more than %zu markers differ): no marker regions",
			 max_edits);
		lm->outcome = RUN_TOO_DIFFERENT;
		return;
	}
	snprintf(lm->note, sizeof(lm->note),
		 "%zu of %zu reference markers matched; %zu missing, %zu extra, %zu of them mismatched",
		 s->matched, ref->n, ref->n - s->matched, r->n - s->matched, s->mismatches);
	lm->outcome = RUN_PARTIAL;
}

/* Every lane of the run mapped; the run's outcome: no lane usable, some partial, all exact. */
static void map_run(const struct workload_seqs *w, struct run_regions *out)
{
	int any = 0, all = 1;

	out->nlanes = w->nlanes;
	out->lanes = xcalloc(w->nlanes ? w->nlanes : 1, sizeof(*out->lanes));
	for (size_t l = 0; l < w->nlanes; l++) {
		map_lane(w->lanes[l].ref, run_seq__thread(out->run, w->lanes[l].thread), &out->lanes[l]);
		any |= lane_usable(&out->lanes[l]);
		all &= out->lanes[l].outcome == RUN_EXACT;
	}
	out->outcome = !out->run->nhits ? RUN_NO_MARKERS : !any ? RUN_TOO_DIFFERENT : all ? RUN_EXACT : RUN_PARTIAL;
}

/* Each usable lane's hits (seq, insns), for the roll-ups. */
static void lane_seqs(struct run_regions *out, const struct workload_seqs *w, const struct hits *h)
{
	for (size_t l = 0; l < out->nlanes; l++) {
		struct lane_map *lm = &out->lanes[l];
		const struct thread_seq *ts = run_seq__thread(out->run, w->lanes[l].thread);
		size_t n = ts ? ts->n : 0;

		if (!lane_usable(lm))
			continue;
		lm->seq = xmalloc((n ? n : 1) * sizeof(int64_t));
		lm->insns = xmalloc((n ? n : 1) * sizeof(double));
		for (size_t j = 0; j < n; j++) {
			lm->seq[j] = h->seq[h->gi[l][j]];
			lm->insns[j] = h->insns[h->gi[l][j]];
		}
		lm->nhits = n;
	}
}

int run_regions__read(struct run_reader *rd, const struct workload_seqs *w, struct run_regions *out)
{
	const struct run_seq *r = out->run;
	int qemu = !strncmp(r->platform, "qemu-", 5), rc = -1;
	struct hits h = { 0 };
	struct taken taken = { 0 };

	map_run(w, out);
	if (out->outcome == RUN_NO_MARKERS || out->outcome == RUN_TOO_DIFFERENT)
		return 0;
	if (load_hits(rd, r->id, &h, r->nhits) < 0 || lane_hits(rd, w, r, &h) < 0)
		goto out;
	for (size_t i = 0; i < h.n; i++) {
		if (!isnan(h.insns[i]))
			taken.insns = qemu ? METRIC_INSNS : METRIC_INSTRET;
		if (!isnan(h.time[i]))
			taken.time = qemu ? METRIC_QEMU_HOST_NS : METRIC_TIME_NS;
	}
	/* a run without values of a column writes none of its rows */
	if (taken.insns)
		diff_column(out, w, &h, h.insns, taken.insns);
	if (taken.time)
		diff_column(out, w, &h, h.time, taken.time);
	if (mark_values(rd, out, w, &h, &taken) < 0 || events(rd, out, w, &h) < 0)
		goto out;
	/* the writer inserts in primary key order: metrics by name within a region */
	qsort(out->cols, out->ncols, sizeof(*out->cols), column_cmp);
	lane_seqs(out, w, &h);
	rc = 0;
out:
	hits__free(&h);
	return rc;
}

