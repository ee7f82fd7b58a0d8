/*
 * factor_boot.c - the bootstrap of a workload's share factors: the point
 * estimates, the resampled factors of every predictor (with the robust
 * baseline of each resample) and the leave-one-out factors that BCa needs.
 *
 * Runs are the independent units and the regions of one run are dependent
 * (their shares sum to 1), so every region of a workload is resampled with
 * the same resample plan, one plan per side.
 */
#include "engine.h"
#include "common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* The point estimates of each present predictor: factors and robust baseline. */
static void point_estimates(struct wl_calc *c)
{
	double *scratch = xmalloc(2 * c->R * sizeof(double) + 16);

	for (int k = 0; k < c->np; k++) {
		struct pred_data *pd = &c->pred[c->qs[k]];

		pd->fhat = xmalloc(c->R * sizeof(double));
		factors(c->hmean, pd->mean, c->R, pd->fhat);
		pd->base_hat = stats__weighted_median(pd->fhat, pd->mean, c->R, scratch);
	}
	free(scratch);
}

/* B resamples of both sides; the robust baselines inverted (1 / base) for the intervals */
static void resample(struct engine *e, struct wl_calc *c, const struct boot_plan *ph,
		     const struct boot_plan *pe)
{
	struct boot_job j = { c, ph, pe };

	c->hboot = dbuf__get(&e->hboot, c->B * c->R);
	parallel__for(c->B, e->threads, boot_chunk, &j);
	for (int q = 0; q < PRED_COUNT; q++)
		for (size_t b = 0; c->pred[q].present && b < c->B; b++)
			c->pred[q].base[b] = 1 / c->pred[q].base[b];
}

/* hardware share jackknife (for the share's own BCa interval) */
static void hw_jackknife(struct wl_calc *c)
{
	c->hjack = xmalloc(c->nh * c->R * sizeof(double));
	for (size_t i = 0; i < c->nh; i++)
		for (size_t r = 0; r < c->R; r++)
			c->hjack[i * c->R + r] =
				((double)c->nh * c->hmean[r] - c->hshare[i * c->R + r]) / (double)(c->nh - 1);
}

int factor_boot__run(struct engine *e, const struct workload_data *w, struct wl_calc *c)
{
	const struct stats_options *o = e->o;
	struct boot_plan pe = { 0 }, ph = { 0 };
	int ret = -1;

	/* one plan per side, shared by every region and predictor */
	if (boot_plan__init(&ph, c->B, c->nh, engine__seed(o->seed, w->name, "hw")) ||
	    boot_plan__init(&pe, c->B, c->ne, engine__seed(o->seed, w->name, "emu"))) {
		error("out of memory for the bootstrap of workload '%s'", w->name);
		goto out;
	}
	c->np = 0;
	for (int q = 0; q < PRED_COUNT; q++) {
		if (!c->pred[q].present)
			continue;
		c->qs[c->np++] = q;
		c->pred[q].boot = dbuf__get(&e->pboot[q], c->B * c->R);
		c->pred[q].base = xmalloc(c->B * sizeof(double));
	}
	point_estimates(c);
	resample(e, c, &ph, &pe);
	hw_jackknife(c);
	for (int k = 0; k < c->np; k++)
		jackknife(c, &c->pred[c->qs[k]], e->threads);
	ret = 0;
out:
	boot_plan__free(&pe);
	boot_plan__free(&ph);
	return ret;
}
