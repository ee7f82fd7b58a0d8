/*
 * workload.c - everything stats computes for one workload: it picks the
 * platforms, regions and hardware metric, calls region_stat.c, model.c and
 * agreement.c, and computes the bootstrap misprediction factors (collected
 * for the study-wide BH step in findings.c).
 *
 * The model of the data: invocations (runs) are the independent units.
 * Emulation runs and hardware runs are two independent samples; the regions
 * of one run are dependent (their shares sum to 1), so every region of a
 * workload is resampled with the same resample plan.
 */
#include "engine.h"
#include "common.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const predictor_names[PRED_COUNT] = { METRIC_INSNS, "qemu_time", "model" };

const char *predictor__name(int p)
{
	return predictor_names[p];
}

double *dbuf__get(struct dbuf *b, size_t n)
{
	if (n > b->cap) {
		free(b->p);
		b->p = xmalloc(n * sizeof(double));
		b->cap = n;
	}
	return b->p;
}

void finding_list__reserve(struct finding_list *l, size_t more)
{
	if (l->n + more > l->alloc) {
		l->alloc = l->n + more > 2 * l->alloc ? l->n + more : 2 * l->alloc;
		l->row = xrealloc(l->row, l->alloc * sizeof(*l->row));
	}
}

struct finding_row *finding_list__add(struct finding_list *l)
{
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 1024;
		l->row = xrealloc(l->row, l->alloc * sizeof(*l->row));
	}
	memset(&l->row[l->n], 0, sizeof(l->row[0]));
	return &l->row[l->n++];
}

unsigned long engine__seed(unsigned long seed, const char *name, const char *stream)
{
	/* FNV-1a over the name and stream, mixed with the seed: stable across
	 * stores (merge keeps names, not ids) and independent per stream */
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)seed;

	for (const char *s = name; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (const char *s = stream; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (unsigned long)(h ^ (h >> 29));
}

/* ---- platform and region selection -------------------------------------- */

/* The platform of the given kind with the most ok runs (ties: table order). */
static int pick_platform(const struct workload_data *w, int emu)
{
	size_t count[PLAT_COUNT] = { 0 };
	int best = -1;

	for (size_t i = 0; i < w->nruns; i++)
		if (w->run[i].platform >= 0 && w->run[i].status == RUN_OK)
			count[w->run[i].platform]++;
	for (int p = 0; p < PLAT_COUNT; p++)
		if (platform__is_emu(p) == emu && count[p] && (best < 0 || count[p] > count[best]))
			best = p;
	return best;
}

/* ---- the bootstrap of factors ------------------------------------------ */

/* per-run shares of metric m over the selected regions; 0 on success */
static int run_shares(const struct workload_data *w, int m, const size_t *runs, size_t n,
		      const size_t *reg, size_t R, double *out)
{
	for (size_t i = 0; i < n; i++) {
		double total = 0;

		for (size_t r = 0; r < R; r++) {
			double v = workload_data__get(w, m, runs[i], reg[r]);

			/* a region absent from a run did not execute in it */
			out[i * R + r] = isnan(v) ? 0 : v;
			total += out[i * R + r];
		}
		if (!(total > 0))
			return -1;
		for (size_t r = 0; r < R; r++)
			out[i * R + r] /= total;
	}
	return 0;
}

static void mean_var(const double *x, size_t n, size_t R, double *mean, double *var)
{
	for (size_t r = 0; r < R; r++) {
		double s = 0, ss = 0;

		for (size_t i = 0; i < n; i++)
			s += x[i * R + r];
		mean[r] = s / (double)n;
		for (size_t i = 0; i < n; i++)
			ss += (x[i * R + r] - mean[r]) * (x[i * R + r] - mean[r]);
		var[r] = n > 1 ? ss / (double)(n - 1) : NAN;
	}
}

/*
 * acc[0..R) = resampled mean of the rows of x under counts c[0..n). By
 * blocks of regions held in registers across all rows: the rows are read
 * once and acc is written once (adding into acc row by row was bound by
 * its loads and stores). Each region still adds rows in row order, so the
 * sums are the same to the bit.
 */
enum { MEAN_BLOCK = 16 };

static void resample_mean(const uint16_t *c, const double *x, size_t n, size_t R, double *acc)
{
	size_t r0 = 0;

	for (; r0 + MEAN_BLOCK <= R; r0 += MEAN_BLOCK) {
		double s[MEAN_BLOCK] = { 0 };

		for (size_t i = 0; i < n; i++) {
			const double *row = x + i * R + r0;
			double k = c[i];

			if (!c[i])
				continue;
#pragma GCC unroll 16
			for (int j = 0; j < MEAN_BLOCK; j++)
				s[j] += k * row[j];
		}
		for (int j = 0; j < MEAN_BLOCK; j++)
			acc[r0 + j] = s[j] / (double)n;
	}
	for (; r0 < R; r0++) {
		double s = 0;

		for (size_t i = 0; i < n; i++)
			if (c[i])
				s += (double)c[i] * x[i * R + r0];
		acc[r0] = s / (double)n;
	}
}

/*
 * Rows [0, nt) of a tile (nt x R, resample-major, as computed) into columns
 * [0, nt) of out (R x B, region-major: each interval reads one contiguous
 * column). The tile is still in cache, so the region-major store costs no
 * second pass over B x R values in memory.
 */
static void tile_store(const double *tile, size_t nt, size_t R, double *out, size_t B)
{
	for (size_t r = 0; r < R; r++)
		for (size_t t = 0; t < nt; t++)
			out[r * B + t] = tile[t * R + r];
}

static void factors(const double *h, const double *p, size_t R, double *f)
{
	for (size_t r = 0; r < R; r++)
		f[r] = p[r] > 0 ? h[r] / p[r] : NAN;
}

/* Leave-one-out factors of both samples, for both baselines: rows
 * [0, nh) leave out a hardware run, [nh, nh + ne) an emulation run. */
struct jack_job {
	struct wl_calc *c;
	struct pred_data *pd;
};

static void jack_chunk(void *ctx, size_t lo, size_t hi)
{
	struct jack_job *j = ctx;
	struct wl_calc *c = j->c;
	struct pred_data *pd = j->pd;
	size_t R = c->R;
	double *h = xmalloc(R * sizeof(*h)), *p = xmalloc(R * sizeof(*p));
	double *scratch = xmalloc(2 * R * sizeof(*scratch));

	for (size_t row = lo; row < hi; row++) {
		int side = row >= c->nh;
		size_t n = side ? c->ne : c->nh, i = side ? row - c->nh : row;
		const double *x = side ? pd->share : c->hshare;
		const double *mean = side ? pd->mean : c->hmean;
		double *f = pd->jack[BASE_SHARE][side] + i * R, base;

		for (size_t r = 0; r < R; r++) {
			double loo = ((double)n * mean[r] - x[i * R + r]) / (double)(n - 1);

			(side ? p : h)[r] = loo;
			(side ? h : p)[r] = side ? c->hmean[r] : pd->mean[r];
		}
		factors(h, p, R, f);
		base = stats__weighted_median(f, p, R, scratch);
		for (size_t r = 0; r < R; r++)
			pd->jack[BASE_ROBUST][side][i * R + r] = f[r] / base;
	}
	free(h);
	free(p);
	free(scratch);
}

static void jackknife(struct wl_calc *c, struct pred_data *pd, int threads)
{
	struct jack_job j = { c, pd };

	for (int side = 0; side < 2; side++)
		for (int b = 0; b < BASE_COUNT; b++)
			pd->jack[b][side] = xmalloc((side ? c->ne : c->nh) * c->R * sizeof(double));
	parallel__for(c->nh + c->ne, threads, jack_chunk, &j);
}

/*
 * p-value of H0 "the factor lies within [1/t, t]": Welch's t on the log
 * scale (delta method: var log mean = var / (n mean^2)), tested against the
 * nearer bound of the band. offset is the log of the robust baseline (0 for
 * the share baseline, whose baseline is the weighted mean).
 */
static double band_p_value(double hmean, double hvar, size_t nh, double pmean, double pvar,
			   size_t ne, double offset, double tol)
{
	double lf = log(hmean) - log(pmean) - offset;
	double vh = hvar / ((double)nh * hmean * hmean), ve = pvar / ((double)ne * pmean * pmean);
	double se = sqrt(vh + ve), df, stat;

	if (!isfinite(lf))
		return NAN;
	if (!(se > 0))
		return fabs(lf) > log(tol) ? 0 : 1;
	df = (vh + ve) * (vh + ve) /
	     ((nh > 1 ? vh * vh / (double)(nh - 1) : 0) + (ne > 1 ? ve * ve / (double)(ne - 1) : 0));
	stat = (fabs(lf) - log(tol)) / se;
	return gsl_cdf_tdist_Q(stat, df);
}

static void pred_free(struct pred_data *pd)
{
	free(pd->share);
	free(pd->mean);
	free(pd->var);
	free(pd->base);
	free(pd->fhat);
	for (int b = 0; b < BASE_COUNT; b++)
		for (int s = 0; s < 2; s++)
			free(pd->jack[b][s]);
	memset(pd, 0, sizeof(*pd));
}

/* v if cond, else +0: by masking its bits, which compilers do not turn back
 * into a branch as they do a conditional expression */
static inline double keep_if(double v, int cond)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	u &= -(uint64_t)(cond != 0);
	memcpy(&v, &u, sizeof(v));
	return v;
}

/* bracket buffers of weighted_median_near(): values and their weights */
#define WM_BRACKET 256

/*
 * The weighted median of one resample, which lies close to the point
 * estimate's: gather only the values within a bracket around the guess
 * (wide enough for about 64 of them, widened on a miss) and select among
 * those, starting from the weight below the bracket. The same answer as
 * stats__weighted_median(), to which it falls back, but for the rounding of
 * the weight sums (added in another order), which can tip a value lying
 * exactly at half the weight. It runs for every resample and predictor,
 * which made it a hot spot.
 */
static double weighted_median_near(const double *x, const double *w, size_t n, double guess,
				   double *delta, double *bx, double *bw, double *scratch)
{
	for (int attempt = 0; attempt < 4 && isfinite(guess) && *delta > 0; attempt++) {
		double lo = guess - *delta, hi = guess + *delta, below = 0, inside = 0, total = 0;
		size_t m = 0;

		/* without branches on the data: whether a value lies below or
		 * inside the bracket is random, and mispredicting it cost more
		 * than the arithmetic */
		for (size_t i = 0; i < n; i++) {
			double xi = x[i], wi = w[i], wv = keep_if(wi, (wi > 0) & !isnan(xi));
			size_t in = (size_t)((wv > 0) & (xi >= lo) & (xi <= hi));

			total += wv;
			below += keep_if(wv, xi < lo);
			bx[m] = xi;
			bw[m] = wi;
			m += in;
			if (m == WM_BRACKET)
				break;
		}
		/* the bracket's weight afterwards: one sum less in the loop */
		for (size_t i = 0; i < m; i++)
			inside += bw[i];
		if (m == WM_BRACKET) {
			*delta /= 4;
			continue;
		}
		if (!(below < total / 2 && below + inside >= total / 2)) {
			*delta *= 4;
			continue;
		}
		/* aim the next bracket at about 64 values */
		if (m > 128)
			*delta /= 2;
		else if (m < 16)
			*delta *= 2;
		return wmedian__select(bx, bw, m, below, total / 2);
	}
	return stats__weighted_median(x, w, n, scratch);
}

/* ---- the parallel parts ------------------------------------------------ */

struct boot_job {
	struct wl_calc *c;
	const struct boot_plan *ph, *pe;
};

/* resamples computed together before their region-major store: 16 x 1000
 * regions x (hardware + 3 predictors) doubles stay within a core's L2 */
enum { BOOT_TILE = 16 };

static void boot_chunk(void *ctx, size_t lo, size_t hi)
{
	struct boot_job *j = ctx;
	struct wl_calc *c = j->c;
	size_t R = c->R, B = c->B;
	double *pb = xmalloc(R * sizeof(*pb)), *scratch = xmalloc(2 * R * sizeof(*scratch));
	double *bx = xmalloc(2 * WM_BRACKET * sizeof(*bx)), *bw = bx + WM_BRACKET;
	double *tile = xmalloc((1 + PRED_COUNT) * BOOT_TILE * R * sizeof(*tile));
	double delta[PRED_COUNT];

	for (int q = 0; q < PRED_COUNT; q++)
		delta[q] = fabs(c->pred[q].base_hat) * 1e-3;
	for (size_t b0 = lo; b0 < hi; b0 += BOOT_TILE) {
		size_t nt = hi - b0 < BOOT_TILE ? hi - b0 : BOOT_TILE;

		for (size_t t = 0; t < nt; t++) {
			size_t b = b0 + t;
			double *hb = tile + t * R;

			resample_mean(j->ph->counts + b * c->nh, c->hshare, c->nh, R, hb);
			for (int q = 0; q < PRED_COUNT; q++) {
				struct pred_data *pd = &c->pred[q];
				double *f = tile + ((size_t)(1 + q) * BOOT_TILE + t) * R;

				if (!pd->present)
					continue;
				/* identical runs (instruction counts usually are) resample to their mean */
				if (pd->constant)
					memcpy(pb, pd->mean, R * sizeof(*pb));
				else
					resample_mean(j->pe->counts + b * c->ne, pd->share, c->ne, R, pb);
				factors(hb, pb, R, f);
				pd->base[b] = weighted_median_near(f, pb, R, pd->base_hat, &delta[q], bx, bw,
								   scratch);
			}
		}
		tile_store(tile, nt, R, c->hboot + b0, B);
		for (int q = 0; q < PRED_COUNT; q++)
			if (c->pred[q].present)
				tile_store(tile + (size_t)(1 + q) * BOOT_TILE * R, nt, R, c->pred[q].boot + b0, B);
	}
	free(pb);
	free(bx);
	free(scratch);
	free(tile);
}

struct ci_job {
	struct engine *e;
	struct wl_calc *c;
	const struct workload_data *w;
	size_t row0;
	int np, qs[PRED_COUNT];
	const size_t *hw_outliers;
	int emu_p, hw_p;
	const char *metric;
};

/* intervals and tests of regions [lo, hi): rows row0 + (r * np + k) * 2 + baseline */
static void ci_chunk(void *ctx, size_t lo, size_t hi)
{
	struct ci_job *j = ctx;
	struct wl_calc *c = j->c;
	const struct stats_options *o = j->e->o;
	size_t B = c->B, R = c->R;
	double *col = xmalloc(2 * B * sizeof(*col));
	double *jbuf = xmalloc((3 * c->nh + 2 * c->ne) * sizeof(*jbuf));
	double *jh[2] = { jbuf, jbuf + c->nh }, *je[2] = { jbuf + 2 * c->nh, jbuf + 2 * c->nh + c->ne };
	double *hj = jbuf + 2 * (c->nh + c->ne);

	for (size_t r = lo; r < hi; r++) {
		struct boot_ci hci;
		const double *hjk[1] = { hj };
		size_t hn[1] = { c->nh };

		for (size_t i = 0; i < c->nh; i++)
			hj[i] = c->hjack[i * R + r];
		stats__boot_ci_of(c->hboot + r * B, NULL, B, c->hmean[r], hjk, hn, 1, o->confidence, col, &hci);
		for (int k = 0; k < j->np; k++) {
			int q = j->qs[k];
			struct pred_data *pd = &c->pred[q];

			for (size_t i = 0; i < c->nh; i++) {
				jh[0][i] = pd->jack[BASE_SHARE][0][i * R + r];
				jh[1][i] = pd->jack[BASE_ROBUST][0][i * R + r];
			}
			for (size_t i = 0; i < c->ne; i++) {
				je[0][i] = pd->jack[BASE_SHARE][1][i * R + r];
				je[1][i] = pd->jack[BASE_ROBUST][1][i * R + r];
			}
			for (int b = 0; b < BASE_COUNT; b++) {
				struct finding_row *f = &j->e->findings.row[j->row0 + (r * (size_t)j->np + (size_t)k) * 2 + (size_t)b];
				const double *jk[2] = { jh[b], je[b] };
				size_t nk[2] = { c->nh, c->ne };
				const double *bt = pd->boot + r * B;
				double base = b == BASE_ROBUST ? pd->base_hat : 1;
				struct boot_ci ci;

				memset(f, 0, sizeof(*f));
				f->workload_id = j->w->id;
				f->region_id = j->w->region_id[c->reg[r]];
				f->predictor = q;
				f->baseline = b;
				f->emu_platform = j->emu_p;
				f->hw_platform = j->hw_p;
				f->metric = j->metric;
				f->n_emu = (int)c->ne;
				f->n_hw = (int)c->nh;
				f->outliers = (int)j->hw_outliers[c->reg[r]];
				f->pred_share = pd->mean[r];
				f->hw_share = c->hmean[r];
				f->hw_lo = hci.bca_lo;
				f->hw_hi = hci.bca_hi;
				f->factor = pd->fhat[r] / base;
				f->ci_lo = f->ci_hi = f->pct_lo = f->pct_hi = f->p_value = f->p_adj = NAN;
				if (!(pd->mean[r] > 0)) {
					f->why = q == PRED_MODEL ? "the cost model predicts no cost here"
								 : "no predicted cost in emulation";
					f->factor = NAN;
					continue;
				}
				if (!(c->hmean[r] > 0)) {
					f->why = "no cost measured on hardware";
					continue;
				}
				if (stats__boot_ci_of(bt, b == BASE_ROBUST ? pd->base : NULL, B, f->factor, jk, nk, 2,
						      o->confidence, col, &ci)) {
					f->why = "degenerate bootstrap distribution";
					continue;
				}
				f->ci_lo = ci.bca_lo;
				f->ci_hi = ci.bca_hi;
				f->pct_lo = ci.pct_lo;
				f->pct_hi = ci.pct_hi;
				f->p_value = band_p_value(c->hmean[r], c->hvar[r], c->nh, pd->mean[r], pd->var[r],
							  c->ne, log(base), o->tolerance);
				f->usable = isfinite(f->p_value);
				if (!f->usable)
					f->why = "no p-value";
			}
		}
	}
	free(col);
	free(jbuf);
}

/* ---- per workload ---------------------------------------------------------- */

static void no_verdict(struct engine *e, const struct workload_data *w, size_t r, int q,
		       const char *metric, int emu_p, int hw_p, const char *why, size_t ne, size_t nh)
{
	for (int b = 0; b < BASE_COUNT; b++) {
		struct finding_row *f = finding_list__add(&e->findings);

		f->workload_id = w->id;
		f->region_id = w->region_id[r];
		f->predictor = q;
		f->baseline = b;
		f->emu_platform = emu_p;
		f->hw_platform = hw_p;
		f->metric = metric;
		f->factor = f->ci_lo = f->ci_hi = f->pct_lo = f->pct_hi = NAN;
		f->p_value = f->p_adj = f->pred_share = f->hw_share = f->hw_lo = f->hw_hi = NAN;
		f->n_emu = (int)ne;
		f->n_hw = (int)nh;
		f->why = why;
	}
}

/* The ok runs of platform p; of them, those with a value > 0 of metric m in region r. */
static size_t ok_runs(const struct workload_data *w, int p)
{
	size_t n = 0;

	for (size_t i = 0; i < w->nruns; i++)
		n += w->run[i].status == RUN_OK && w->run[i].platform == p;
	return n;
}

static size_t ok_runs_valued(const struct workload_data *w, int p, int m, size_t r)
{
	size_t n = 0;

	for (size_t i = 0; i < w->nruns; i++)
		n += w->run[i].status == RUN_OK && w->run[i].platform == p && workload_data__get(w, m, i, r) > 0;
	return n;
}

/* Why region r gets no verdict when ne emulation or nh hardware runs with
 * costs in the compared regions are too few: which side lacks what, there. */
static const char *lacking_why(const struct workload_data *w, int emu_p, int hw_p, int insns_m, int hw_m,
			       size_t r, size_t ne, size_t nh)
{
	size_t e_here = ok_runs_valued(w, emu_p, insns_m, r), h_here = ok_runs_valued(w, hw_p, hw_m, r);

	if (ne >= 65536 || nh >= 65536)
		return "more than 65535 runs on one side";
	if (ne < 2 && ok_runs(w, emu_p) < 2)
		return "emulation lacks runs: fewer than 2 ok emulation runs";
	if (ne < 2 && !e_here)
		return h_here ? "emulation lacks this region: no emulation run counted instructions in it, "
				"hardware runs measured it"
			      : "neither side measured this region";
	if (ne < 2)
		return "emulation lacks instruction counts: fewer than 2 emulation runs counted "
		       "instructions in the compared regions";
	if (ok_runs(w, hw_p) < 2)
		return "hardware lacks runs: fewer than 2 ok hardware runs";
	if (!h_here)
		return e_here ? "hardware lacks this region: no hardware run measured the metric in it, "
				"emulation runs counted instructions in it"
			      : "neither side measured this region";
	return "hardware lacks the metric: fewer than 2 hardware runs measured it in the compared regions";
}

static const char *hw_metric_name(const struct workload_data *w, const struct stats_options *o,
				  int symbols, const size_t *hw_cand, size_t nh)
{
	static const char *const known[] = { METRIC_CYCLES, METRIC_TIME_NS, "samples", METRIC_INSTRET };
	int cm = workload_data__metric(w, METRIC_CYCLES);

	if (o->metric) {
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (!strcmp(o->metric, known[i]))
				return known[i];
		return NULL;
	}
	/* cycles only when every hardware run has them: mixing would be wrong */
	if (cm >= 0 && nh) {
		int all = 1;

		for (size_t i = 0; i < nh && all; i++) {
			int any = 0;

			for (size_t r = 0; r < w->nregions && !any; r++)
				any = !isnan(workload_data__get(w, cm, hw_cand[i], r)) &&
				      (region_key__is(w->region_key[r], symbols ? REGION_KEY_SYMBOL : REGION_KEY_MARK));
			all = any;
		}
		if (all)
			return METRIC_CYCLES;
	}
	if (symbols && workload_data__metric(w, METRIC_TIME_NS) < 0)
		return "samples";
	return METRIC_TIME_NS;
}

int engine__workload(struct engine *e, struct workload_data *w)
{
	const struct stats_options *o = e->o;
	struct wl_calc c;
	struct boot_plan pe = { 0 }, ph = { 0 };
	int emu_p = pick_platform(w, 1), hw_p = pick_platform(w, 0);
	int insns_m = workload_data__metric(w, METRIC_INSNS), hw_m, symbols = 1, ret = -1;
	size_t *hw_outliers = xcalloc(w->nregions ? w->nregions : 1, sizeof(size_t));
	const char *metric;
	double *scratch = NULL;
	struct linfit fit;

	memset(&c, 0, sizeof(c));
	c.B = o->resamples;
	c.emu_run = xmalloc((w->nruns ? w->nruns : 1) * sizeof(size_t));
	c.hw_run = xmalloc((w->nruns ? w->nruns : 1) * sizeof(size_t));
	c.reg = xmalloc((w->nregions ? w->nregions : 1) * sizeof(size_t));
	for (size_t i = 0; i < w->nruns; i++) {
		if (w->run[i].status != RUN_OK)
			continue;
		if (w->run[i].platform == emu_p)
			c.emu_run[c.ne++] = i;
		else if (w->run[i].platform == hw_p)
			c.hw_run[c.nh++] = i;
	}
	/* marker regions when the workload has them, else symbol regions */
	for (size_t r = 0; r < w->nregions; r++)
		if (region_key__is(w->region_key[r], REGION_KEY_MARK))
			symbols = 0;
	metric = hw_metric_name(w, o, symbols, c.hw_run, c.nh);
	if (!metric) {
		error("unknown --metric '%s' (cycles, time_ns, samples, instret)", o->metric);
		goto out;
	}
	hw_m = workload_data__metric(w, metric);
	if (region_stat__write(e, w, hw_p, hw_m, hw_outliers))
		goto out;
	if (emu_p < 0 || hw_p < 0) {
		ret = 0; /* nothing to compare: summaries only */
		goto out;
	}
	for (size_t r = 0; r < w->nregions; r++)
		if (region_key__is(w->region_key[r], symbols ? REGION_KEY_SYMBOL : REGION_KEY_MARK))
			c.reg[c.R++] = r;
	if (!c.R) {
		ret = 0;
		goto out;
	}
	e->sum->regions += c.R;
	/* runs without any cost in the selected regions cannot give shares */
	{
		size_t k = 0;

		for (size_t i = 0; i < c.ne; i++) {
			double t = 0;

			for (size_t r = 0; r < c.R; r++) {
				double v = workload_data__get(w, insns_m, c.emu_run[i], c.reg[r]);

				t += isnan(v) ? 0 : v;
			}
			if (t > 0)
				c.emu_run[k++] = c.emu_run[i];
		}
		c.ne = k;
		k = 0;
		for (size_t i = 0; i < c.nh; i++) {
			double t = 0;

			for (size_t r = 0; r < c.R; r++) {
				double v = workload_data__get(w, hw_m, c.hw_run[i], c.reg[r]);

				t += isnan(v) ? 0 : v;
			}
			if (t > 0)
				c.hw_run[k++] = c.hw_run[i];
		}
		c.nh = k;
	}
	if (c.ne < 2 || c.nh < 2 || c.ne >= 65536 || c.nh >= 65536) {
		size_t ne_ok = ok_runs(w, emu_p), nh_ok = ok_runs(w, hw_p);

		for (size_t r = 0; r < c.R; r++)
			no_verdict(e, w, c.reg[r], PRED_INSNS, metric, emu_p, hw_p,
				   lacking_why(w, emu_p, hw_p, insns_m, hw_m, c.reg[r], c.ne, c.nh), ne_ok, nh_ok);
		ret = 0;
		goto out;
	}

	/* shares */
	c.hshare = xmalloc(c.nh * c.R * sizeof(double));
	c.hmean = xmalloc(c.R * sizeof(double));
	c.hvar = xmalloc(c.R * sizeof(double));
	run_shares(w, hw_m, c.hw_run, c.nh, c.reg, c.R, c.hshare);
	mean_var(c.hshare, c.nh, c.R, c.hmean, c.hvar);
	{
		int qm = workload_data__metric(w, METRIC_QEMU_HOST_NS);
		int ms[2] = { insns_m, qm };

		for (int q = PRED_INSNS; q <= PRED_QEMU_TIME; q++) {
			struct pred_data *pd = &c.pred[q];

			if (ms[q] < 0)
				continue;
			pd->share = xmalloc(c.ne * c.R * sizeof(double));
			if (run_shares(w, ms[q], c.emu_run, c.ne, c.reg, c.R, pd->share)) {
				free(pd->share);
				pd->share = NULL;
				continue;
			}
			pd->present = 1;
		}
	}
	if (model__fit(e, w, &c, hw_m, metric, &fit))
		goto out;
	for (int q = 0; q < PRED_COUNT; q++) {
		struct pred_data *pd = &c.pred[q];

		if (!pd->present)
			continue;
		pd->mean = xmalloc(c.R * sizeof(double));
		pd->var = xmalloc(c.R * sizeof(double));
		mean_var(pd->share, c.ne, c.R, pd->mean, pd->var);
		pd->constant = !memcmp(pd->share, pd->share + (c.ne - 1) * c.R, c.R * sizeof(double));
		for (size_t i = 1; i + 1 < c.ne && pd->constant; i++)
			pd->constant = !memcmp(pd->share, pd->share + i * c.R, c.R * sizeof(double));
	}

	/* the bootstrap: one plan per side, shared by every region and predictor */
	if (boot_plan__init(&ph, c.B, c.nh, engine__seed(o->seed, w->name, "hw")) ||
	    boot_plan__init(&pe, c.B, c.ne, engine__seed(o->seed, w->name, "emu"))) {
		error("out of memory for the bootstrap of workload '%s'", w->name);
		goto out;
	}
	{
		struct boot_job j = { &c, &ph, &pe };
		int np = 0, qs[PRED_COUNT];
		struct ci_job cj;

		for (int q = 0; q < PRED_COUNT; q++) {
			if (!c.pred[q].present)
				continue;
			qs[np++] = q;
			c.pred[q].boot = dbuf__get(&e->pboot[q], c.B * c.R);
			c.pred[q].base = xmalloc(c.B * sizeof(double));
		}
		scratch = xmalloc(2 * c.R * sizeof(double) + 16);
		for (int k = 0; k < np; k++) {
			struct pred_data *pd = &c.pred[qs[k]];

			pd->fhat = xmalloc(c.R * sizeof(double));
			factors(c.hmean, pd->mean, c.R, pd->fhat);
			pd->base_hat = stats__weighted_median(pd->fhat, pd->mean, c.R, scratch);
		}
		c.hboot = dbuf__get(&e->hboot, c.B * c.R);
		parallel__for(c.B, e->threads, boot_chunk, &j);
		for (int q = 0; q < PRED_COUNT; q++)
			for (size_t b = 0; c.pred[q].present && b < c.B; b++)
				c.pred[q].base[b] = 1 / c.pred[q].base[b];
		/* hardware share jackknife (for the share's own BCa interval) */
		c.hjack = xmalloc(c.nh * c.R * sizeof(double));
		for (size_t i = 0; i < c.nh; i++)
			for (size_t r = 0; r < c.R; r++)
				c.hjack[i * c.R + r] =
					((double)c.nh * c.hmean[r] - c.hshare[i * c.R + r]) / (double)(c.nh - 1);
		for (int k = 0; k < np; k++)
			jackknife(&c, &c.pred[qs[k]], e->threads);
		cj = (struct ci_job){ e, &c, w, e->findings.n, np, { 0 }, hw_outliers, emu_p, hw_p, metric };
		memcpy(cj.qs, qs, sizeof(qs));
		finding_list__reserve(&e->findings, c.R * (size_t)np * 2);
		parallel__for(c.R, e->threads, ci_chunk, &cj);
		e->findings.n += c.R * (size_t)np * 2;
		for (int k = 0; k < np; k++)
			if (agreement__write(e, w, &c, qs[k], metric))
				goto out;
	}
	ret = 0;
out:
	boot_plan__free(&pe);
	boot_plan__free(&ph);
	for (int q = 0; q < PRED_COUNT; q++)
		pred_free(&c.pred[q]);
	free(c.emu_run);
	free(c.hw_run);
	free(c.reg);
	free(c.hshare);
	free(c.hmean);
	free(c.hvar);
	free(c.hjack);
	free(hw_outliers);
	free(scratch);
	return ret;
}
