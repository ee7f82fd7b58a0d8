/*
 * suite.c - study-level findings across workloads (README, "Suite-level
 * findings"): does emulation order and scale the workloads of a suite as
 * hardware does?
 *
 * A unit is either the whole runs of every workload (scope 'run') or the
 * marker regions of one key and name that several workloads share (scope
 * 'region', e.g. every benchmark's start->stop). For each unit and
 * predictor (emulated instructions, QEMU host time), each workload i has a
 * mean hardware cost H_i and a mean predicted cost E_i over its runs; its
 * factor is (H_i / sum H) / (E_i / sum E): its share of the suite's hardware
 * time against its predicted share. A factor of 2 reads "under QEMU, i looks
 * 2x faster relative to the suite than on hardware". Baselines as for
 * regions: 'share' (the suite's weighted mean) and 'robust' (the weighted
 * median over the workloads, weights the predicted shares).
 *
 * Runs are the independent units: each workload's hardware and emulation
 * runs are resampled on their own (B resamples, one plan per workload and
 * side seeded from the user's seed and the workload's name, shared by every
 * unit); every statistic of a unit is computed on the same resamples: factors, the robust baseline, Spearman and Kendall across
 * workloads, and the suite score, the geometric mean over workloads of
 * E_i / H_i (for QEMU host time: how many times slower QEMU runs the suite
 * than hardware). Intervals are bias-corrected percentile intervals
 * (stats__boot_ci without jackknife); p-values test "the factor lies within
 * the tolerance band" on the log scale with the bootstrap's standard error;
 * Benjamini-Hochberg runs over every suite row of the study. Verdicts follow
 * findings.c: flagged when the CI lies outside [1/t, t] and p_adj < alpha,
 * a share verdict demoted when its robust twin disagrees, and a comparison
 * that cannot differ (a single workload, a zero-width interval) is
 * inconclusive and marked not informative.
 */
#include "engine.h"
#include "common.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { SQ_INSNS, SQ_QEMU, SQ_COUNT };
static const char *const sq_name[SQ_COUNT] = { "insns", "qemu_time" };

struct dvec {
	double *v;
	size_t n, cap;
};

static void dvec__push(struct dvec *d, double x)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 8;
		d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
	}
	d->v[d->n++] = x;
}

/* one workload's runs in a unit: hardware cost and the predictors, per platform kind */
struct suite_wl {
	int64_t wid, region_id;
	char *name;
	int emu_p, hw_p;
	struct dvec h, e[SQ_COUNT];
};

struct suite_unit {
	const char *scope;
	char *unit;
	struct suite_wl *wl;
	size_t n, cap;
};

/* a suite finding before BH and the verdict */
struct srow {
	const char *scope;
	const char *unit; /* owned by the unit list */
	int64_t wid, region_id;
	const char *wname;
	int q, baseline, workloads, n_emu, n_hw;
	double factor, lo, hi, p, p_adj, hw_share, pred_share;
	const char *not_informative;
};

struct suite_ctx {
	struct engine *e;
	struct srow *row;
	size_t n, cap;
	sqlite3_stmt *ins_sum;
	struct plan_key **plans; /* each allocated alone: the pointers handed out stay valid */
	size_t nplans, plans_cap;
};

/* ---- loading ------------------------------------------------------------ */

/*
 * Rows of (unit key, unit label, workload id, workload name, region id,
 * platform, insns, qemu_host_ns, hardware ns), ordered by unit, then
 * workload: appended to the unit list.
 */
static int load_units(struct engine *e, const char *sql, const char *scope, struct suite_unit **units,
		      size_t *nunits, size_t *cap)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(e->db, sql, -1, &st, NULL) != SQLITE_OK)
		return error("%s: reading suite data: %s", e->path, sqlite3_errmsg(e->db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *label = (const char *)sqlite3_column_text(st, 1);
		int64_t wid = sqlite3_column_int64(st, 2);
		int plat = platform__parse((const char *)sqlite3_column_text(st, 5));
		struct suite_unit *u = *nunits ? &(*units)[*nunits - 1] : NULL;
		struct suite_wl *w;

		if (plat < 0)
			continue;
		if (!u || strcmp(u->unit, label)) {
			if (*nunits == *cap) {
				*cap = *cap ? 2 * *cap : 8;
				*units = xrealloc(*units, *cap * sizeof(**units));
			}
			u = &(*units)[(*nunits)++];
			memset(u, 0, sizeof(*u));
			u->scope = scope;
			u->unit = xstrdup(label);
		}
		w = u->n ? &u->wl[u->n - 1] : NULL;
		if (!w || w->wid != wid) {
			if (u->n == u->cap) {
				u->cap = u->cap ? 2 * u->cap : 16;
				u->wl = xrealloc(u->wl, u->cap * sizeof(*u->wl));
			}
			w = &u->wl[u->n++];
			memset(w, 0, sizeof(*w));
			w->wid = wid;
			w->name = xstrdup((const char *)sqlite3_column_text(st, 3));
			w->region_id = sqlite3_column_type(st, 4) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 4);
			w->emu_p = w->hw_p = -1;
		}
		/* one platform of each kind: the first met (platforms come in name order) */
		if (platform__is_emu(plat)) {
			if (w->emu_p < 0)
				w->emu_p = plat;
			if (plat != w->emu_p)
				continue;
			for (int q = 0; q < SQ_COUNT; q++)
				if (sqlite3_column_type(st, 6 + q) != SQLITE_NULL)
					dvec__push(&w->e[q], sqlite3_column_double(st, 6 + q));
		} else if (sqlite3_column_type(st, 8) != SQLITE_NULL) {
			if (w->hw_p < 0)
				w->hw_p = plat;
			if (plat == w->hw_p)
				dvec__push(&w->h, sqlite3_column_double(st, 8));
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return error("%s: reading suite data: %s", e->path, sqlite3_errmsg(e->db));
	return 0;
}

#define RUN_VALUE(m) "(SELECT value FROM run_metric v WHERE v.run_id = r.id AND v.metric = '" m "')"
#define REGION_VALUE(m)                                                                   \
	"(SELECT value FROM region_metric v WHERE v.run_id = r.id AND v.region_id = g.id"  \
	" AND v.metric = '" m "')"

static const char whole_run_sql[] =
	"SELECT 'run', 'whole run', w.id, w.name, NULL, r.platform, " RUN_VALUE(METRIC_INSNS) ", "
	RUN_VALUE(METRIC_QEMU_HOST_NS) ", coalesce(" RUN_VALUE(METRIC_TIME_NS) ", r.wall_ns)"
	" FROM run r JOIN workload w ON w.id = r.workload_id WHERE r.status = 'ok'"
	" ORDER BY w.name, r.platform, r.id";

/* marker regions named alike in two workloads or more */
static const char named_region_sql[] =
	"SELECT g.key, g.name || ' (' || g.key || ')', w.id, w.name, g.id, r.platform, "
	REGION_VALUE(METRIC_INSNS) ", " REGION_VALUE(METRIC_QEMU_HOST_NS) ", " REGION_VALUE(METRIC_TIME_NS)
	" FROM (SELECT key, name FROM region WHERE key GLOB 'm:*' AND name IS NOT NULL"
	"  GROUP BY key, name HAVING count(*) >= 2) s"
	" JOIN region g ON g.key = s.key AND g.name = s.name"
	" JOIN workload w ON w.id = g.workload_id"
	" JOIN run r ON r.workload_id = g.workload_id AND r.status = 'ok'"
	" ORDER BY g.key, g.name, w.name, r.platform, r.id";

/* ---- statistics ---------------------------------------------------------- */

static double mean_pos(const double *v, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += v[i];
	return n ? s / (double)n : NAN;
}

/* per workload of a unit and predictor: the usable ones, their means and a resample */
struct calc {
	size_t W;
	struct suite_wl **wl;
	const struct dvec **e;
	double *H, *E;     /* W: point estimates */
	double *Hb, *Eb;   /* W: one resample */
	double *f, *rob;   /* W x B */
	double *sp, *kt, *score; /* B */
	double *scratch;   /* 2W */
};

/*
 * Resample plans, one per workload, side and sample size, shared by every
 * unit and predictor (the runs of a workload are the same units whatever is
 * measured in them): drawing them once costs a fraction of drawing per unit.
 * Seeded from the user's seed and the workload's name.
 */
struct plan_key {
	int64_t wid;
	int side;
	size_t n;
	struct boot_plan p;
};

static const struct boot_plan *plan_for(struct suite_ctx *c, const struct suite_wl *w, int side, size_t n)
{
	struct plan_key *k;

	for (size_t i = 0; i < c->nplans; i++)
		if (c->plans[i]->wid == w->wid && c->plans[i]->side == side && c->plans[i]->n == n)
			return &c->plans[i]->p;
	/* a unit holds the plans of all its workloads at once: growing the
	 * list must not move the plans already handed out */
	if (c->nplans == c->plans_cap) {
		c->plans_cap = c->plans_cap ? 2 * c->plans_cap : 64;
		c->plans = xrealloc(c->plans, c->plans_cap * sizeof(*c->plans));
	}
	k = xcalloc(1, sizeof(*k));
	*k = (struct plan_key){ w->wid, side, n, { 0 } };
	if (boot_plan__init(&k->p, c->e->o->resamples, n,
			    engine__seed(c->e->o->seed, w->name, side ? "suite-emu" : "suite-hw"))) {
		free(k);
		return NULL;
	}
	c->plans[c->nplans++] = k;
	return &k->p;
}

static double resample_mean(const struct boot_plan *p, size_t b, const struct dvec *d)
{
	const uint16_t *k = p->counts + b * p->n;
	double s = 0;

	for (size_t i = 0; i < d->n; i++)
		s += (double)k[i] * d->v[i];
	return s / (double)d->n;
}

/* factors, robust factors, rank agreement and score of means H, E (W of them) */
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

/* p-value of "the factor lies within [1/t, t]", normal on the log scale */
static double band_p(const double *boot, size_t B, double theta, double tol)
{
	double m = 0, ss = 0, se, lt = log(theta);
	size_t n = 0;

	for (size_t b = 0; b < B; b++)
		if (boot[b] > 0 && isfinite(boot[b])) {
			m += log(boot[b]);
			n++;
		}
	if (n < 2 || !isfinite(lt))
		return NAN;
	m /= (double)n;
	for (size_t b = 0; b < B; b++)
		if (boot[b] > 0 && isfinite(boot[b]))
			ss += (log(boot[b]) - m) * (log(boot[b]) - m);
	se = sqrt(ss / (double)(n - 1));
	if (!(se > 0))
		return fabs(lt) > log(tol) ? 0 : 1;
	return gsl_cdf_ugaussian_Q((fabs(lt) - log(tol)) / se);
}

static struct srow *add_row(struct suite_ctx *c)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->row = xrealloc(c->row, c->cap * sizeof(*c->row));
	}
	memset(&c->row[c->n], 0, sizeof(c->row[0]));
	return &c->row[c->n++];
}

static int write_summary(struct suite_ctx *c, const struct suite_unit *u, int q, size_t W,
			 const double v[9])
{
	sqlite3_stmt *st = c->ins_sum;

	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, u->scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, u->unit, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, sq_name[q], -1, SQLITE_STATIC);
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

/* one unit and predictor: rows (share and robust per workload) and the summary */
static int unit_predictor(struct suite_ctx *c, const struct suite_unit *u, int q)
{
	const struct stats_options *o = c->e->o;
	size_t B = o->resamples, W = 0;
	struct calc k;
	const struct boot_plan **ph, **pe;
	double pt_sp, pt_kt, pt_score, v[9];
	int ret = 0;

	memset(&k, 0, sizeof(k));
	k.wl = xmalloc((u->n ? u->n : 1) * sizeof(*k.wl));
	for (size_t i = 0; i < u->n; i++) {
		struct suite_wl *w = &u->wl[i];
		int ok = w->h.n >= 2 && w->e[q].n >= 2;

		for (size_t j = 0; ok && j < w->h.n; j++)
			ok = w->h.v[j] > 0;
		for (size_t j = 0; ok && j < w->e[q].n; j++)
			ok = w->e[q].v[j] > 0;
		if (ok)
			k.wl[W++] = w;
	}
	if (!W) {
		free(k.wl);
		return 0;
	}
	k.W = W;
	k.H = xmalloc(6 * W * sizeof(double));
	k.E = k.H + W;
	k.Hb = k.E + W;
	k.Eb = k.Hb + W;
	k.scratch = k.Eb + W; /* 2W */
	k.f = xmalloc(2 * W * (B + 1) * sizeof(double));
	k.rob = k.f + W * (B + 1);
	k.sp = xmalloc(3 * B * sizeof(double));
	k.kt = k.sp + B;
	k.score = k.kt + B;
	for (size_t i = 0; i < W; i++) {
		k.H[i] = mean_pos(k.wl[i]->h.v, k.wl[i]->h.n);
		k.E[i] = mean_pos(k.wl[i]->e[q].v, k.wl[i]->e[q].n);
	}
	/* the point estimates in column B, the resamples in columns 0..B-1 (workload-major) */
	{
		double *f = xmalloc(2 * W * sizeof(double)), *rob = f + W, *mh, *me;

		estimates(k.H, k.E, W, f, rob, &pt_sp, &pt_kt, &pt_score, k.scratch);
		for (size_t i = 0; i < W; i++) {
			k.f[i * (B + 1) + B] = f[i];
			k.rob[i * (B + 1) + B] = rob[i];
		}
		ph = xmalloc(2 * W * sizeof(*ph));
		pe = ph + W;
		for (size_t i = 0; i < W; i++) {
			ph[i] = plan_for(c, k.wl[i], 0, k.wl[i]->h.n);
			pe[i] = plan_for(c, k.wl[i], 1, k.wl[i]->e[q].n);
			if (!ph[i] || !pe[i])
				ret = error("out of memory for the suite bootstrap");
		}
		/* all resample means first, one workload's plan at a time: walking the
		 * plans resample by resample instead touches every plan's rows in turn,
		 * and that cache-missing walk was most of the suite analysis's time */
		mh = ret ? NULL : xmalloc(2 * W * B * sizeof(double));
		me = mh ? mh + W * B : NULL;
		for (size_t i = 0; i < W && !ret; i++) {
			for (size_t b = 0; b < B; b++)
				mh[i * B + b] = resample_mean(ph[i], b, &k.wl[i]->h);
			for (size_t b = 0; b < B; b++)
				me[i * B + b] = resample_mean(pe[i], b, &k.wl[i]->e[q]);
		}
		for (size_t b = 0; b < B && !ret; b++) {
			for (size_t i = 0; i < W; i++) {
				k.Hb[i] = mh[i * B + b];
				k.Eb[i] = me[i * B + b];
			}
			estimates(k.Hb, k.Eb, W, f, rob, &k.sp[b], &k.kt[b], &k.score[b], k.scratch);
			for (size_t i = 0; i < W; i++) {
				k.f[i * (B + 1) + b] = f[i];
				k.rob[i * (B + 1) + b] = rob[i];
			}
		}
		free(ph);
		free(mh);
		free(f);
	}
	{
		double hs = 0, es = 0;

		for (size_t i = 0; i < W; i++) {
			hs += k.H[i];
			es += k.E[i];
		}
		for (size_t i = 0; i < W; i++) {
			for (int b = 0; b < BASE_COUNT; b++) {
				struct srow *r = add_row(c);
				double *boot = (b == BASE_SHARE ? k.f : k.rob) + i * (B + 1);

				r->scope = u->scope;
				r->unit = u->unit;
				r->wid = k.wl[i]->wid;
				r->region_id = k.wl[i]->region_id;
				r->wname = k.wl[i]->name;
				r->q = q;
				r->baseline = b;
				r->workloads = (int)W;
				r->n_emu = (int)k.wl[i]->e[q].n;
				r->n_hw = (int)k.wl[i]->h.n;
				r->hw_share = k.H[i] / hs;
				r->pred_share = k.E[i] / es;
				r->factor = boot[B];
				r->p = band_p(boot, B, r->factor, o->tolerance);
				interval(boot, B, r->factor, o->confidence, 0, &r->lo, &r->hi);
				if (W < 2)
					r->not_informative = "whole_suite";
				else if (r->lo == r->hi)
					r->not_informative = "zero_width";
			}
		}
	}
	v[0] = pt_sp;
	v[3] = pt_kt;
	v[6] = pt_score;
	interval(k.sp, B, pt_sp, o->confidence, 1, &v[1], &v[2]);
	interval(k.kt, B, pt_kt, o->confidence, 1, &v[4], &v[5]);
	interval(k.score, B, pt_score, o->confidence, 0, &v[7], &v[8]);
	if (!ret)
		ret = write_summary(c, u, q, W, v);
	free(k.wl);
	free(k.H);
	free(k.f);
	free(k.sp);
	return ret;
}

/* ---- verdicts ------------------------------------------------------------- */

enum sverdict { SV_AGREES, SV_UNDER, SV_OVER, SV_INCONCLUSIVE };
static const char *const sverdict_name[] = { "agrees", "underestimates", "overestimates", "inconclusive" };

static enum sverdict sjudge(const struct srow *r, double t, double alpha)
{
	if (r->not_informative || !isfinite(r->lo) || !isfinite(r->p_adj))
		return SV_INCONCLUSIVE;
	if ((r->lo > t || r->hi < 1 / t) && r->p_adj < alpha)
		return r->factor > 1 ? SV_UNDER : SV_OVER;
	if (r->lo >= 1 / t && r->hi <= t)
		return SV_AGREES;
	return SV_INCONCLUSIVE;
}

/* "looks 2.1x [1.9, 2.3] faster" / "looks 1.5x [1.3, 1.8] slower" */
static void looks(char *buf, size_t n, double f, double lo, double hi)
{
	if (f >= 1)
		snprintf(buf, n, "looks %.3gx [%.3g, %.3g] faster", f, lo, hi);
	else
		snprintf(buf, n, "looks %.3gx [%.3g, %.3g] slower", 1 / f, 1 / hi, 1 / lo);
}

static void sreason(char *buf, size_t n, const struct srow *r, enum sverdict v, int demoted, double t)
{
	const char *under = r->q == SQ_INSNS ? "under QEMU's instruction count" : "under QEMU";
	const char *rel = r->baseline == BASE_SHARE ? "relative to the suite" : "relative to the suite's median workload";
	char l[96];

	if (r->not_informative) {
		snprintf(buf, n, !strcmp(r->not_informative, "whole_suite")
			 ? "not informative: the only workload of its suite with both sides measured holds all"
			   " of the suite's cost by construction"
			 : "not informative: identical costs in every run give a zero-width interval");
		return;
	}
	if (!isfinite(r->lo)) {
		snprintf(buf, n, "degenerate bootstrap distribution; %d emulation and %d hardware runs", r->n_emu,
			 r->n_hw);
		return;
	}
	looks(l, sizeof(l), r->factor, r->lo, r->hi);
	snprintf(buf, n, "%s, %s %s %s than on hardware (%.3g%% of the suite's hardware time, %.3g%% predicted)%s; "
		 "%d workloads, %d emulation and %d hardware runs",
		 under, r->wname, l, rel, 100 * r->hw_share, 100 * r->pred_share,
		 demoted ? "; not flagged: its robust factor stays within the tolerance"
		 : v == SV_AGREES ? "; within the tolerance"
		 : v == SV_INCONCLUSIVE && (r->lo > t || r->hi < 1 / t) ? "; outside the tolerance but not significant after BH"
		 : v == SV_INCONCLUSIVE ? "; the interval straddles the tolerance band" : "",
		 r->workloads, r->n_emu, r->n_hw);
}

static int write_rows(struct suite_ctx *c)
{
	struct engine *e = c->e;
	double t = e->o->tolerance, alpha = 1 - e->o->confidence;
	double *p = xmalloc((c->n ? c->n : 1) * 2 * sizeof(double)), *adj = p + (c->n ? c->n : 1);
	sqlite3_stmt *st;
	int ret = 0;

	for (size_t i = 0; i < c->n; i++)
		p[i] = c->row[i].not_informative ? NAN : c->row[i].p;
	stats__bh_adjust(p, c->n, adj);
	for (size_t i = 0; i < c->n; i++)
		c->row[i].p_adj = adj[i];
	if (sqlite3_prepare_v2(e->db,
			       "INSERT INTO suite_finding (scope, unit, workload_id, region_id, metric, predictor,"
			       " baseline, factor, ci_lo, ci_hi, p_value, p_adj, verdict, reason, hw_share, pred_share,"
			       " n_emu, n_hw, workloads, informative, not_informative, severity)"
			       " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22)",
			       -1, &st, NULL) != SQLITE_OK) {
		free(p);
		return error("%s: writing suite findings: %s", e->path, sqlite3_errmsg(e->db));
	}
	for (size_t i = 0; i < c->n && !ret; i++) {
		const struct srow *r = &c->row[i];
		/* rows come in pairs: share, then its robust twin */
		const struct srow *twin = r->baseline == BASE_SHARE ? r + 1 : NULL;
		enum sverdict v = sjudge(r, t, alpha);
		int demoted = 0;
		char why[512];
		double sev = log(r->lo / t) > log(1 / (t * r->hi)) ? log(r->lo / t) : log(1 / (t * r->hi));

		if ((v == SV_UNDER || v == SV_OVER) && twin && sjudge(twin, t, alpha) != v) {
			v = SV_INCONCLUSIVE;
			demoted = 1;
		}
		if (v == SV_UNDER || v == SV_OVER)
			e->sum->suite_flagged++;
		sreason(why, sizeof(why), r, v, demoted, t);
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, r->scope, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->unit, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, r->wid);
		if (r->region_id)
			sqlite3_bind_int64(st, 4, r->region_id);
		else
			sqlite3_bind_null(st, 4);
		sqlite3_bind_text(st, 5, METRIC_TIME_NS, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, sq_name[r->q], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, r->baseline == BASE_SHARE ? "share" : "robust", -1, SQLITE_STATIC);
		{
			double x[5] = { r->factor, r->lo, r->hi, r->p, r->p_adj };

			for (int j = 0; j < 5; j++)
				if (isfinite(x[j]))
					sqlite3_bind_double(st, 8 + j, x[j]);
				else
					sqlite3_bind_null(st, 8 + j);
		}
		sqlite3_bind_text(st, 13, sverdict_name[v], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 14, why, -1, SQLITE_TRANSIENT);
		sqlite3_bind_double(st, 15, r->hw_share);
		sqlite3_bind_double(st, 16, r->pred_share);
		sqlite3_bind_int(st, 17, r->n_emu);
		sqlite3_bind_int(st, 18, r->n_hw);
		sqlite3_bind_int(st, 19, r->workloads);
		sqlite3_bind_int(st, 20, !r->not_informative);
		sqlite3_bind_text(st, 21, r->not_informative, -1, SQLITE_STATIC);
		if (isfinite(sev) && !r->not_informative)
			sqlite3_bind_double(st, 22, sev);
		else
			sqlite3_bind_null(st, 22);
		if (sqlite3_step(st) != SQLITE_DONE)
			ret = error("%s: writing suite findings: %s", e->path, sqlite3_errmsg(e->db));
	}
	sqlite3_finalize(st);
	free(p);
	return ret;
}

int engine__suite(struct engine *e)
{
	struct suite_ctx c = { .e = e };
	struct suite_unit *units = NULL;
	size_t nunits = 0, cap = 0;
	int ret = -1;

	if (sqlite3_exec(e->db, "DELETE FROM suite_finding; DELETE FROM suite_summary;", NULL, NULL, NULL) !=
		    SQLITE_OK ||
	    sqlite3_prepare_v2(e->db,
			       "INSERT INTO suite_summary (scope, unit, predictor, metric, workloads, spearman,"
			       " spearman_lo, spearman_hi, kendall, kendall_lo, kendall_hi, score, score_lo, score_hi)"
			       " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)",
			       -1, &c.ins_sum, NULL) != SQLITE_OK) {
		error("%s: not a store with suite tables (%s)", e->path, sqlite3_errmsg(e->db));
		goto out;
	}
	/* bench/stats-scale times stats without this phase, against a store
	 * that holds no suite results rather than stale ones */
	if (e->o->no_suite) {
		ret = 0;
		goto out;
	}
	if (load_units(e, whole_run_sql, "run", &units, &nunits, &cap) ||
	    load_units(e, named_region_sql, "region", &units, &nunits, &cap))
		goto out;
	for (size_t i = 0; i < nunits; i++)
		for (int q = 0; q < SQ_COUNT; q++)
			if (unit_predictor(&c, &units[i], q))
				goto out;
	if (write_rows(&c) ||
	    sqlite3_exec(e->db,
			 "UPDATE suite_summary SET flagged = (SELECT count(DISTINCT f.workload_id) FROM suite_finding f"
			 " WHERE f.scope = suite_summary.scope AND f.unit = suite_summary.unit"
			 " AND f.predictor = suite_summary.predictor"
			 " AND f.verdict IN ('underestimates', 'overestimates'))",
			 NULL, NULL, NULL) != SQLITE_OK) {
		error("%s: writing suite summary: %s", e->path, sqlite3_errmsg(e->db));
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(c.ins_sum);
	for (size_t i = 0; i < nunits; i++) {
		for (size_t j = 0; j < units[i].n; j++) {
			struct suite_wl *w = &units[i].wl[j];

			free(w->name);
			free(w->h.v);
			for (int q = 0; q < SQ_COUNT; q++)
				free(w->e[q].v);
		}
		free(units[i].wl);
		free(units[i].unit);
	}
	free(units);
	for (size_t i = 0; i < c.nplans; i++) {
		boot_plan__free(&c.plans[i]->p);
		free(c.plans[i]);
	}
	free(c.plans);
	free(c.row);
	return ret;
}
