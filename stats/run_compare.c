/*
 * run_compare.c - whole-run metrics compared between emulation and hardware
 * (docs/statistics.md, "Run metrics compared"): for one kind of metrics (a
 * server's driver metrics, server.c; boot latencies, boot.c), per workload,
 * metric and pair of an emulation and a hardware platform, the mean over
 * the ok runs of each side with its BCa bootstrap interval, and ratio =
 * emulation / hardware with its interval (table server_compare, column
 * kind); per platform, the mean with its interval (run_metric_stat).
 *
 * Runs are the units. Each side's runs are resampled on their own, with one
 * plan per side, metric and platform drawn from the user's seed and the
 * workload's name (stream "<kind>:<metric>:<platform>"), so that a side's
 * interval does not depend on the side it is compared with; the side's mean
 * and the ratio are computed on the same resamples (stats__mean_ci_plan,
 * stats__ratio_ci_plans). The verdict is the tolerance band's on the
 * interval, as for latency (no p-value): 'underestimates' when emulation's
 * value lies below hardware's, 'overestimates' above it. Identical values
 * in every run on both sides give a zero-width interval: not informative.
 */
#include "engine.h"
#include "common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct vals {
	double *v;
	size_t n, cap;
};

/* One workload's values of one metric, per platform (ok runs, in run order). */
struct family {
	int64_t wid;
	char *name, *metric;
	int ord;
	struct vals p[PLAT_COUNT];
};

/* One row of server_compare. */
struct srow {
	size_t ne, nh;
	double emu, emu_lo, emu_hi, hw, hw_lo, hw_hi, ratio, lo, hi;
	const char *verdict, *not_informative;
	char reason[640];
};

static void vals__push(struct vals *s, double x)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 8;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = x;
}

static void family__reset(struct family *f)
{
	for (int p = 0; p < PLAT_COUNT; p++) {
		free(f->p[p].v);
		memset(&f->p[p], 0, sizeof(f->p[p]));
	}
	free(f->name);
	free(f->metric);
	f->name = f->metric = NULL;
}

static int constant(const struct vals *s)
{
	for (size_t i = 1; i < s->n; i++)
		if (s->v[i] != s->v[0])
			return 0;
	return s->n > 0;
}

static double mean_of(const struct vals *s)
{
	double t = 0;

	for (size_t i = 0; i < s->n; i++)
		t += s->v[i];
	return s->n ? t / (double)s->n : NAN;
}

static const char *num(char *buf, size_t n, double v)
{
	num__fmt(buf, n, v);
	return buf;
}

/* A mean with its interval as the kind prints it: "v [lo, hi]" (or "v" without
 * one) by num__fmt unless the kind has its own. */
static const char *val(const struct run_compare_kind *k, char *buf, size_t n, double v, double lo, double hi)
{
	char a[3][32];

	if (k->fmt_ci) {
		k->fmt_ci(buf, n, v, lo, hi);
		return buf;
	}
	if (!isfinite(lo) || !isfinite(hi))
		snprintf(buf, n, "%s", num(a[0], 32, v));
	else
		snprintf(buf, n, "%s [%s, %s]", num(a[0], 32, v), num(a[1], 32, lo), num(a[2], 32, hi));
	return buf;
}

static void runs_text(char *buf, size_t n, const struct srow *r)
{
	if (r->ne == r->nh)
		snprintf(buf, n, "%zu runs each", r->ne);
	else
		snprintf(buf, n, "%zu emulation and %zu hardware runs", r->ne, r->nh);
}

/* The reason of a row whose numbers and verdict are set. */
static void reason(struct srow *r, const struct run_compare_kind *k, const char *metric, int pe, int ph, double t)
{
	char a[5][32], e[128], h[128], runs[64];
	const char *head;
	size_t len;

	runs_text(runs, sizeof(runs), r);
	if (r->not_informative) {
		snprintf(r->reason, sizeof(r->reason),
			 "not informative: %s is %s in every %s run and %s in every %s run, a zero-width interval; %s",
			 metric, val(k, e, sizeof(e), r->emu, NAN, NAN), platform__name(pe),
			 val(k, h, sizeof(h), r->hw, NAN, NAN), platform__name(ph), runs);
		return;
	}
	if (r->ne < 2 || r->nh < 2) {
		snprintf(r->reason, sizeof(r->reason), "needs at least 2 ok runs per side: %s", runs);
		return;
	}
	if (!isfinite(r->ratio)) {
		snprintf(r->reason, sizeof(r->reason), "%s is 0 in every %s run: no ratio; %s", metric,
			 platform__name(ph), runs);
		return;
	}
	head = !strcmp(r->verdict, "underestimates")  ? "emulation underestimates"
	       : !strcmp(r->verdict, "overestimates") ? "emulation overestimates"
	       : !strcmp(r->verdict, "agrees")	      ? "emulation agrees within the tolerance on"
						      : "inconclusive on";
	snprintf(r->reason, sizeof(r->reason),
		 "%s %s: %s under %s vs %s on %s, emulation / hardware %sx [%s, %s]", head, metric,
		 val(k, e, sizeof(e), r->emu, r->emu_lo, r->emu_hi), platform__name(pe),
		 val(k, h, sizeof(h), r->hw, r->hw_lo, r->hw_hi), platform__name(ph), num(a[2], 32, r->ratio),
		 num(a[3], 32, r->lo), num(a[4], 32, r->hi));
	len = strlen(r->reason);
	/* an inconclusive row's interval reaches into the band without lying in it */
	if (!strcmp(r->verdict, "inconclusive") && len < sizeof(r->reason))
		len += (size_t)snprintf(r->reason + len, sizeof(r->reason) - len, " reaches into the band [%s, %s]",
					num(a[0], 32, 1 / t), num(a[1], 32, t));
	if (len < sizeof(r->reason))
		snprintf(r->reason + len, sizeof(r->reason) - len, "; %s", runs);
}

/* The plan of platform p's runs of f: stream "<kind>:<metric>:<platform>". */
static int side_plan(const struct engine *e, const struct run_compare_kind *k, const struct family *f, int p,
		     struct boot_plan *plan)
{
	char stream[160];

	snprintf(stream, sizeof(stream), "%s:%s:%s", k->kind, f->metric, platform__name(p));
	return boot_plan__init(plan, e->o->resamples, f->p[p].n, engine__seed(e->o->seed, f->name, stream));
}

/* Both sides' means and intervals and their ratio, on the sides' plans. */
static void intervals(const struct engine *e, const struct run_compare_kind *k, const struct family *f, int pe,
		      int ph, struct srow *r)
{
	const struct vals *x = &f->p[pe], *y = &f->p[ph];
	struct boot_plan px, py;
	struct boot_ci c;
	double m;

	if (side_plan(e, k, f, pe, &px))
		return;
	if (side_plan(e, k, f, ph, &py)) {
		boot_plan__free(&px);
		return;
	}
	if (!stats__mean_ci_plan(x->v, x->n, &px, e->o->confidence, &m, &c))
		r->emu_lo = c.bca_lo, r->emu_hi = c.bca_hi;
	if (!stats__mean_ci_plan(y->v, y->n, &py, e->o->confidence, &m, &c))
		r->hw_lo = c.bca_lo, r->hw_hi = c.bca_hi;
	if (!stats__ratio_ci_plans(x->v, x->n, y->v, y->n, &px, &py, e->o->confidence, &m, &c))
		r->lo = c.bca_lo, r->hi = c.bca_hi;
	boot_plan__free(&px);
	boot_plan__free(&py);
}

static void compute(const struct engine *e, const struct run_compare_kind *k, const struct family *f, int pe, int ph,
		    struct srow *r)
{
	const struct vals *x = &f->p[pe], *y = &f->p[ph];

	memset(r, 0, sizeof(*r));
	r->ne = x->n;
	r->nh = y->n;
	r->emu = mean_of(x);
	r->hw = mean_of(y);
	r->ratio = r->hw != 0 ? r->emu / r->hw : NAN;
	r->emu_lo = r->emu_hi = r->hw_lo = r->hw_hi = r->lo = r->hi = NAN;
	r->verdict = "inconclusive";
	if (r->ne < 2 || r->nh < 2)
		return;
	if (constant(x) && constant(y)) {
		r->not_informative = "zero_width";
		r->emu_lo = r->emu_hi = r->emu;
		r->hw_lo = r->hw_hi = r->hw;
		r->lo = r->hi = r->ratio;
		return;
	}
	intervals(e, k, f, pe, ph, r);
	/* the band is judged on hardware / emulation, findings' direction */
	if (isfinite(r->ratio) && r->lo > 0)
		r->verdict = stats__band_verdict(1 / r->hi, 1 / r->lo, e->o->tolerance, 1);
}

static void bind_real(sqlite3_stmt *st, int k, double v)
{
	if (isfinite(v))
		sqlite3_bind_double(st, k, v);
	else
		sqlite3_bind_null(st, k);
}

static int write_row(struct engine *e, sqlite3_stmt *ins, const struct run_compare_kind *k, const struct family *f,
		     int pe, int ph, const struct srow *r)
{
	const double v[9] = { r->emu, r->emu_lo, r->emu_hi, r->hw, r->hw_lo, r->hw_hi, r->ratio, r->lo, r->hi };

	sqlite3_reset(ins);
	sqlite3_bind_int64(ins, 1, f->wid);
	sqlite3_bind_text(ins, 2, f->metric, -1, SQLITE_STATIC);
	sqlite3_bind_int(ins, 3, f->ord);
	sqlite3_bind_text(ins, 4, platform__name(pe), -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 5, platform__name(ph), -1, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 6, (int64_t)r->ne);
	sqlite3_bind_int64(ins, 7, (int64_t)r->nh);
	for (int i = 0; i < 9; i++)
		bind_real(ins, 8 + i, v[i]);
	sqlite3_bind_text(ins, 17, r->verdict, -1, SQLITE_STATIC);
	sqlite3_bind_int(ins, 18, !r->not_informative);
	sqlite3_bind_text(ins, 19, r->not_informative, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 20, r->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 21, k->kind, -1, SQLITE_STATIC);
	if (sqlite3_step(ins) != SQLITE_DONE)
		return error("%s: writing server_compare: %s", e->path, sqlite3_errmsg(e->db));
	return 0;
}

/* Platform p's mean of f with its interval (that of the comparisons' side):
 * one run, no interval; the same value in every run, a zero-width one. */
static int write_stat(struct engine *e, sqlite3_stmt *ins, const struct run_compare_kind *k, const struct family *f,
		      int p)
{
	const struct vals *x = &f->p[p];
	double m = mean_of(x), lo = NAN, hi = NAN;
	struct boot_plan plan;
	struct boot_ci c;

	if (constant(x) && x->n >= 2) {
		lo = hi = m;
	} else if (x->n >= 2 && !side_plan(e, k, f, p, &plan)) {
		if (!stats__mean_ci_plan(x->v, x->n, &plan, e->o->confidence, &m, &c))
			lo = c.bca_lo, hi = c.bca_hi;
		boot_plan__free(&plan);
	}
	sqlite3_reset(ins);
	sqlite3_bind_int64(ins, 1, f->wid);
	sqlite3_bind_text(ins, 2, k->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 3, f->metric, -1, SQLITE_STATIC);
	sqlite3_bind_int(ins, 4, f->ord);
	sqlite3_bind_text(ins, 5, platform__name(p), -1, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 6, (int64_t)x->n);
	bind_real(ins, 7, m);
	bind_real(ins, 8, lo);
	bind_real(ins, 9, hi);
	if (sqlite3_step(ins) != SQLITE_DONE)
		return error("%s: writing run_metric_stat: %s", e->path, sqlite3_errmsg(e->db));
	return 0;
}

/* Each platform of f on its own, then every emulation platform against every hardware platform. */
static int family_done(struct engine *e, sqlite3_stmt *const ins[2], const struct run_compare_kind *k,
		       const struct family *f, int64_t *last_wid)
{
	for (int p = 0; p < PLAT_COUNT; p++)
		if (f->p[p].n && write_stat(e, ins[1], k, f, p))
			return -1;
	for (int pe = 0; pe < PLAT_COUNT; pe++)
		for (int ph = 0; ph < PLAT_COUNT; ph++) {
			struct srow r;

			if (!platform__is_emu(pe) || platform__is_emu(ph) || !f->p[pe].n || !f->p[ph].n)
				continue;
			compute(e, k, f, pe, ph, &r);
			reason(&r, k, f->metric, pe, ph, e->o->tolerance);
			if (write_row(e, ins[0], k, f, pe, ph, &r))
				return -1;
			(*k->metrics)++;
			*k->flagged += !strcmp(r.verdict, "underestimates") || !strcmp(r.verdict, "overestimates");
			if (*last_wid != f->wid)
				(*k->workloads)++;
			*last_wid = f->wid;
		}
	return 0;
}

static const char *const insert_sql[2] = {
	"INSERT INTO server_compare (workload_id, metric, ord, emu_platform, hw_platform, n_emu, n_hw, emu, emu_lo,"
	" emu_hi, hw, hw_lo, hw_hi, ratio, ratio_lo, ratio_hi, verdict, informative, not_informative, reason, kind)"
	" VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21)",
	"INSERT INTO run_metric_stat (workload_id, kind, metric, ord, platform, n, mean, mean_lo, mean_hi)"
	" VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
};

int run_compare__run(struct engine *e, const struct run_compare_kind *k)
{
	sqlite3_stmt *st = NULL, *ins[2] = { NULL, NULL };
	struct family f = { 0 };
	int64_t last_wid = -1;
	int rc, ret = -1;

	if (sqlite3_prepare_v2(e->db, k->rows_sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(e->db, insert_sql[0], -1, &ins[0], NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(e->db, insert_sql[1], -1, &ins[1], NULL) != SQLITE_OK) {
		error("%s: %s metrics: %s", e->path, k->kind, sqlite3_errmsg(e->db));
		goto out;
	}
	if (k->param)
		sqlite3_bind_text(st, 1, k->param, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t wid = sqlite3_column_int64(st, 0);
		const char *metric = (const char *)sqlite3_column_text(st, 2);
		int p = platform__parse((const char *)sqlite3_column_text(st, 4));

		if (!metric || p < 0)
			continue;
		if (!f.metric || f.wid != wid || strcmp(f.metric, metric)) {
			if (f.metric && family_done(e, ins, k, &f, &last_wid))
				goto out;
			family__reset(&f);
			f.wid = wid;
			f.name = xstrdup((const char *)sqlite3_column_text(st, 1));
			f.metric = xstrdup(metric);
			f.ord = sqlite3_column_int(st, 3);
		}
		vals__push(&f.p[p], sqlite3_column_double(st, 5));
	}
	if (rc != SQLITE_DONE) {
		error("%s: reading %s metrics: %s", e->path, k->kind, sqlite3_errmsg(e->db));
		goto out;
	}
	ret = f.metric ? family_done(e, ins, k, &f, &last_wid) : 0;
out:
	family__reset(&f);
	sqlite3_finalize(st);
	sqlite3_finalize(ins[0]);
	sqlite3_finalize(ins[1]);
	return ret;
}
