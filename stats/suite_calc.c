/*
 * suite_calc.c - the statistics of each suite unit and predictor (suite.c):
 * factors, robust factors, Spearman, Kendall and the suite score on the same
 * B resamples, their intervals and band p-values.
 *
 * Work is split over the engine's threads within a unit (resample means per
 * workload, estimates per resample, intervals per workload); each index is
 * computed the same way whatever the thread count, so results do not depend
 * on it.
 */
#include "suite.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/*
 * Resample plans, one per workload, side and sample size, shared by every
 * unit and predictor (the runs of a workload are the same units whatever is
 * measured in them). Seeded from the user's seed and the workload's name.
 */
struct suite_plan {
	int64_t wid;
	int side; /* 0 hardware, 1 emulation */
	size_t n;
	const char *name;
	struct boot_plan p;
};

static int cmp_plan(const void *a, const void *b)
{
	const struct suite_plan *x = a, *y = b;

	if (x->wid != y->wid)
		return x->wid < y->wid ? -1 : 1;
	if (x->side != y->side)
		return x->side - y->side;
	return (x->n > y->n) - (x->n < y->n);
}

static const struct boot_plan *plan_of(const struct suite_calc *c, const struct suite_wl *w, int side, size_t n)
{
	struct suite_plan key = { .wid = w->wid, .side = side, .n = n };
	const struct suite_plan *p = bsearch(&key, c->plan, c->nplans, sizeof(key), cmp_plan);

	return p ? &p->p : NULL;
}

/* every value positive, at least two runs: the side can be resampled */
static int usable(const struct dvec *d)
{
	if (d->n < 2)
		return 0;
	for (size_t j = 0; j < d->n; j++)
		if (!(d->v[j] > 0))
			return 0;
	return 1;
}

/* a workload compared on some predictor: its hardware side is resampled */
static int hw_used(const struct suite_wl *w)
{
	return usable(&w->h) && (usable(&w->e[SQ_INSNS]) || usable(&w->e[SQ_QEMU]));
}

static void plans_init(void *ctx, size_t lo, size_t hi)
{
	struct suite_calc *c = ctx;

	for (size_t i = lo; i < hi; i++) {
		struct suite_plan *k = &c->plan[i];

		if (boot_plan__init(&k->p, c->e->o->resamples, k->n,
				    engine__seed(c->e->o->seed, k->name, k->side ? "suite-emu" : "suite-hw")))
			k->p.counts = NULL;
	}
}

/* the plans that some unit and predictor uses, drawn in parallel */
static int plans_make(struct suite_calc *c, const struct suite_unit *units, size_t nunits)
{
	size_t cap = 0, m = 0;

	for (size_t u = 0; u < nunits; u++)
		for (size_t i = 0; i < units[u].n; i++) {
			const struct suite_wl *w = &units[u].wl[i];

			for (int q = 0; q < SQ_COUNT && usable(&w->h); q++) {
				if (!usable(&w->e[q]))
					continue;
				if (c->nplans + 2 > cap) {
					cap = cap ? 2 * cap : 64;
					c->plan = xrealloc(c->plan, cap * sizeof(*c->plan));
				}
				c->plan[c->nplans++] = (struct suite_plan){ w->wid, 0, w->h.n, w->name, { 0 } };
				c->plan[c->nplans++] = (struct suite_plan){ w->wid, 1, w->e[q].n, w->name, { 0 } };
			}
		}
	if (c->nplans)
		qsort(c->plan, c->nplans, sizeof(*c->plan), cmp_plan);
	for (size_t i = 0; i < c->nplans; i++)
		if (!m || cmp_plan(&c->plan[m - 1], &c->plan[i]))
			c->plan[m++] = c->plan[i];
	c->nplans = m;
	parallel__for(m, c->e->threads, plans_init, c);
	for (size_t i = 0; i < m; i++)
		if (!c->plan[i].p.counts)
			return error("out of memory for the suite bootstrap");
	return 0;
}

void suite_calc__free(struct suite_calc *c)
{
	for (size_t i = 0; i < c->nplans; i++)
		boot_plan__free(&c->plan[i].p);
	free(c->plan);
	free(c->row);
}

/* ---- one unit and predictor ---------------------------------------------- */

static double mean_of(const double *v, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += v[i];
	return n ? s / (double)n : NAN;
}

/* the B resample means of d under plan p into out */
static void resample_means(const struct boot_plan *p, const struct dvec *d, size_t B, double *out)
{
	for (size_t b = 0; b < B; b++) {
		const uint16_t *k = p->counts + b * p->n;
		double s = 0;

		for (size_t i = 0; i < d->n; i++)
			s += (double)k[i] * d->v[i];
		out[b] = s / (double)d->n;
	}
}

/* factors, robust factors, rank agreement and score of means H, E (W of them);
 * scratch: 2W */
static void estimates(const double *H, const double *E, size_t W, double *f, double *rob, double *sp,
		      double *kt, double *score, double *scratch)
{
	double sh = 0, se = 0, lg = 0, base;
	double *ps = scratch + W;

	for (size_t i = 0; i < W; i++) {
		sh += H[i];
		se += E[i];
		lg += log(E[i] / H[i]);
	}
	for (size_t i = 0; i < W; i++) {
		ps[i] = E[i] / se;
		f[i] = (H[i] / sh) / ps[i];
	}
	base = stats__weighted_median(f, ps, W, scratch);
	for (size_t i = 0; i < W; i++)
		rob[i] = f[i] / base;
	*sp = stats__spearman(E, H, W);
	*kt = stats__kendall(E, H, W);
	*score = exp(lg / (double)W);
}

/*
 * Interval of boot[0..B) around theta: bias-corrected percentile, or plain
 * percentile (pct: for rank correlations, whose resamples take few values);
 * a point when every resample is equal; NaN when theta is not finite.
 */
static void interval(double *boot, size_t B, double theta, double conf, int pct, double *lo, double *hi)
{
	struct boot_ci ci;
	double mn = INFINITY, mx = -INFINITY;

	*lo = *hi = NAN;
	if (!isfinite(theta))
		return;
	for (size_t b = 0; b < B; b++) {
		mn = boot[b] < mn ? boot[b] : mn;
		mx = boot[b] > mx ? boot[b] : mx;
	}
	if (mn == mx) {
		*lo = *hi = mn;
	} else if (!stats__boot_ci(boot, B, theta, NULL, NULL, 0, conf, &ci)) {
		*lo = pct ? ci.pct_lo : ci.bca_lo;
		*hi = pct ? ci.pct_hi : ci.bca_hi;
	}
}

/* p-value of "the factor lies within [1/t, t]", normal on the log scale;
 * lg: B doubles of scratch for the logarithms, taken once */
static double band_p(const double *boot, size_t B, double theta, double tol, double *lg)
{
	double m = 0, ss = 0, se, lt = log(theta);
	size_t n = 0;

	for (size_t b = 0; b < B; b++)
		if (boot[b] > 0 && isfinite(boot[b])) {
			lg[b] = log(boot[b]);
			m += lg[b];
			n++;
		}
	if (n < 2 || !isfinite(lt))
		return NAN;
	m /= (double)n;
	for (size_t b = 0; b < B; b++)
		if (boot[b] > 0 && isfinite(boot[b]))
			ss += (lg[b] - m) * (lg[b] - m);
	se = sqrt(ss / (double)(n - 1));
	if (!(se > 0))
		return fabs(lt) > log(tol) ? 0 : 1;
	return gsl_cdf_ugaussian_Q((fabs(lt) - log(tol)) / se);
}

/* one unit and predictor: its usable workloads, their means and resamples */
struct upq {
	const struct suite_calc *c;
	const struct suite_unit *u;
	int q;
	size_t W, B;
	const struct suite_wl **wl;
	const double **mh; /* W: the hardware side's B resample means (shared by the predictors) */
	double *me;        /* W x B: the predictor's resample means */
	double *H, *E;     /* W: point estimates */
	double *f, *rob;   /* W x (B + 1): resamples in columns 0..B-1, the estimate in column B */
	double *sp, *kt, *score; /* B */
	struct srow *row;  /* 2W: share and robust per workload */
};

static void upq_means(void *ctx, size_t lo, size_t hi)
{
	struct upq *k = ctx;

	for (size_t i = lo; i < hi; i++)
		resample_means(plan_of(k->c, k->wl[i], 1, k->wl[i]->e[k->q].n), &k->wl[i]->e[k->q], k->B,
			       k->me + i * k->B);
}

static void upq_resamples(void *ctx, size_t lo, size_t hi)
{
	struct upq *k = ctx;
	size_t W = k->W, B = k->B;
	double *buf = xmalloc(6 * W * sizeof(double));
	double *Hb = buf, *Eb = Hb + W, *f = Eb + W, *rob = f + W, *scratch = rob + W;

	for (size_t b = lo; b < hi; b++) {
		for (size_t i = 0; i < W; i++) {
			Hb[i] = k->mh[i][b];
			Eb[i] = k->me[i * B + b];
		}
		estimates(Hb, Eb, W, f, rob, &k->sp[b], &k->kt[b], &k->score[b], scratch);
		for (size_t i = 0; i < W; i++) {
			k->f[i * (B + 1) + b] = f[i];
			k->rob[i * (B + 1) + b] = rob[i];
		}
	}
	free(buf);
}

static void upq_rows(void *ctx, size_t lo, size_t hi)
{
	struct upq *k = ctx;
	const struct stats_options *o = k->c->e->o;
	size_t W = k->W, B = k->B;
	double hs = 0, es = 0, *lg = xmalloc(B * sizeof(double));

	for (size_t i = 0; i < W; i++) {
		hs += k->H[i];
		es += k->E[i];
	}
	for (size_t i = lo; i < hi; i++)
		for (int b = 0; b < BASE_COUNT; b++) {
			struct srow *r = &k->row[2 * i + (size_t)b];
			double *boot = (b == BASE_SHARE ? k->f : k->rob) + i * (B + 1);

			*r = (struct srow){ .scope = k->u->scope, .unit = k->u->unit, .wid = k->wl[i]->wid,
					    .region_id = k->wl[i]->region_id, .wname = k->wl[i]->name, .q = k->q,
					    .baseline = b, .workloads = (int)W, .n_emu = (int)k->wl[i]->e[k->q].n,
					    .n_hw = (int)k->wl[i]->h.n };
			r->hw_share = k->H[i] / hs;
			r->pred_share = k->E[i] / es;
			r->factor = boot[B];
			r->p = band_p(boot, B, r->factor, o->tolerance, lg);
			interval(boot, B, r->factor, o->confidence, 0, &r->lo, &r->hi);
			if (W < 2)
				r->not_informative = "whole_suite";
			else if (r->lo == r->hi)
				r->not_informative = "zero_width";
		}
	free(lg);
}

static struct srow *rows_add(struct suite_calc *c, size_t n)
{
	if (c->n + n > c->cap) {
		while (c->n + n > c->cap)
			c->cap = c->cap ? 2 * c->cap : 64;
		c->row = xrealloc(c->row, c->cap * sizeof(*c->row));
	}
	c->n += n;
	return &c->row[c->n - n];
}

static int write_summary(const struct suite_calc *c, sqlite3_stmt *st, const struct suite_unit *u, int q, size_t W,
			 const double v[9])
{
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, u->scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, u->unit, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, suite__predictor[q], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, METRIC_TIME_NS, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (int64_t)W);
	for (int k = 0; k < 9; k++)
		if (isfinite(v[k]))
			sqlite3_bind_double(st, 6 + k, v[k]);
		else
			sqlite3_bind_null(st, 6 + k);
	if (sqlite3_step(st) != SQLITE_DONE)
		return error("%s: writing suite summary: %s", c->e->path, sqlite3_errmsg(c->e->db));
	return 0;
}

/* one unit and predictor q: rows (share and robust per workload) and the summary;
 * mh[i]: slot i's hardware resample means (NULL: not usable) */
static int unit_predictor(struct suite_calc *c, const struct suite_unit *u, int q, double *const *mh,
			  sqlite3_stmt *ins)
{
	const struct stats_options *o = c->e->o;
	struct upq k = { .c = c, .u = u, .q = q, .B = o->resamples };
	size_t W = 0, B = k.B;
	double v[9];
	int ret;

	k.wl = xmalloc((u->n ? u->n : 1) * sizeof(*k.wl));
	k.mh = xmalloc((u->n ? u->n : 1) * sizeof(*k.mh));
	for (size_t i = 0; i < u->n; i++)
		if (mh[i] && usable(&u->wl[i].e[q])) {
			k.mh[W] = mh[i];
			k.wl[W++] = &u->wl[i];
		}
	if (!W) {
		free(k.wl);
		free(k.mh);
		return 0;
	}
	k.W = W;
	k.H = xmalloc((2 * W + 2 * W * (B + 1) + 3 * B + W * B) * sizeof(double));
	k.E = k.H + W;
	k.f = k.E + W;
	k.rob = k.f + W * (B + 1);
	k.sp = k.rob + W * (B + 1);
	k.kt = k.sp + B;
	k.score = k.kt + B;
	k.me = k.score + B;
	for (size_t i = 0; i < W; i++) {
		k.H[i] = mean_of(k.wl[i]->h.v, k.wl[i]->h.n);
		k.E[i] = mean_of(k.wl[i]->e[q].v, k.wl[i]->e[q].n);
	}
	{
		double *f = xmalloc(4 * W * sizeof(double)), *rob = f + W;

		estimates(k.H, k.E, W, f, rob, &v[0], &v[3], &v[6], rob + W);
		for (size_t i = 0; i < W; i++) {
			k.f[i * (B + 1) + B] = f[i];
			k.rob[i * (B + 1) + B] = rob[i];
		}
		free(f);
	}
	parallel__for(W, c->e->threads, upq_means, &k);
	parallel__for(B, c->e->threads, upq_resamples, &k);
	k.row = rows_add(c, 2 * W);
	parallel__for(W, c->e->threads, upq_rows, &k);
	interval(k.sp, B, v[0], o->confidence, 1, &v[1], &v[2]);
	interval(k.kt, B, v[3], o->confidence, 1, &v[4], &v[5]);
	interval(k.score, B, v[6], o->confidence, 0, &v[7], &v[8]);
	ret = write_summary(c, ins, u, q, W, v);
	free(k.wl);
	free(k.mh);
	free(k.H);
	return ret;
}

/* a unit's hardware resample means, per usable slot */
struct unit_hw {
	const struct suite_calc *c;
	const struct suite_unit *u;
	double **mh;
	size_t B;
};

static void unit_hw_means(void *ctx, size_t lo, size_t hi)
{
	struct unit_hw *h = ctx;

	for (size_t i = lo; i < hi; i++)
		if (h->mh[i])
			resample_means(plan_of(h->c, &h->u->wl[i], 0, h->u->wl[i].h.n), &h->u->wl[i].h, h->B, h->mh[i]);
}

int suite__compute(struct suite_calc *c, const struct suite_unit *units, size_t nunits, sqlite3_stmt *ins)
{
	size_t B = c->e->o->resamples;
	int ret = plans_make(c, units, nunits);

	for (size_t n = 0; n < nunits && !ret; n++) {
		const struct suite_unit *u = &units[n];
		struct unit_hw h = { c, u, xcalloc(u->n ? u->n : 1, sizeof(double *)), B };
		double *all;
		size_t m = 0;

		/* the hardware side's resamples serve both predictors */
		for (size_t i = 0; i < u->n; i++)
			m += hw_used(&u->wl[i]);
		all = xmalloc((m ? m : 1) * B * sizeof(double));
		m = 0;
		for (size_t i = 0; i < u->n; i++)
			if (hw_used(&u->wl[i]))
				h.mh[i] = all + B * m++;
		parallel__for(u->n, c->e->threads, unit_hw_means, &h);
		for (int q = 0; q < SQ_COUNT && !ret; q++)
			ret = unit_predictor(c, u, q, h.mh, ins);
		free(all);
		free(h.mh);
	}
	return ret;
}
