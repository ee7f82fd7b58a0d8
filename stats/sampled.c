/*
 * sampled.c - findings of regions whose hardware cost comes from sampling
 * (symbol regions of `collect hw --sample HZ`): the share's uncertainty is
 * the sampling's, so it is judged from the counts themselves.
 *
 * A region with k of the n samples of a run has an exact (Clopper-Pearson)
 * binomial interval on its hardware share, and that interval exists for
 * k = 0 too (upper bound 1 - (alpha/2)^(1/n)): no samples where emulation
 * predicts a large share is evidence that the hardware spends less there.
 *
 * Runs are combined by pooling: k = sum of k_i, n = sum of n_i. If the
 * region's true share p is the same in every run (the runs are replicates:
 * same binary, same input), the k_i are independent Binomial(n_i, p) and
 * their sum is Binomial(n, p), so the pooled interval is exact. What pooling
 * leaves out is run-to-run variation of p (overdispersion), which would make
 * it too narrow; that is what the bootstrap over runs measures, so a region
 * that also has a bootstrap interval gets the hull of both (and the larger
 * of the two p-values): the result is never narrower than either.
 *
 * The factor divides by the predicted share, itself a mean over emulation
 * runs: its t interval (zero width when every run predicts the same share,
 * as instruction counts do) and, for the robust baseline, the bootstrap's
 * percentile interval of the baseline widen the factor's interval
 * conservatively (lowest share / highest prediction, and back).
 */
#include "engine.h"
#include "common.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void stats__clopper_pearson(double k, double n, double confidence, double *lo, double *hi)
{
	double a = (1 - confidence) / 2;

	if (!(n > 0) || k < 0 || k > n) {
		*lo = *hi = NAN;
		return;
	}
	*lo = k > 0 ? gsl_cdf_beta_Pinv(a, k, n - k + 1) : 0;
	*hi = k < n ? gsl_cdf_beta_Qinv(a, k + 1, n - k) : 1;
}

/*
 * p-value of H0 "the share lies within [lo, hi]" for k of n: the exact
 * binomial tail against the nearer bound, one-sided as band_p_value's
 * (factor_ci.c) is; 1 when k / n lies inside.
 */
static double band_p(double k, double n, double lo, double hi)
{
	if (k < lo * n)
		return gsl_cdf_binomial_P((unsigned)k, lo, (unsigned)n);
	if (hi < 1 && k > hi * n)
		return gsl_cdf_binomial_Q((unsigned)k - 1, hi, (unsigned)n);
	return 1;
}

void sampled__counts(struct wl_calc *c, const struct workload_data *w)
{
	int m = workload_data__metric(w, METRIC_SAMPLES);

	c->hk = NULL;
	c->hn = 0;
	/* marker regions carry samples too, but their cost is timed between markers */
	if (m < 0 || !c->R || !region_key__is(w->region_key[c->reg[0]], REGION_KEY_SYMBOL))
		return;
	c->hk = xcalloc(c->R, sizeof(*c->hk));
	for (size_t i = 0; i < c->nh; i++)
		for (size_t r = 0; r < c->R; r++) {
			double v = workload_data__get(w, m, c->hw_run[i], c->reg[r]);

			if (v > 0) {
				c->hk[r] += v;
				c->hn += v;
			}
		}
	if (!(c->hn > 0) || c->hn >= 4294967295.0) {
		free(c->hk);
		c->hk = NULL;
		c->hn = 0;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void sampled__base_interval(struct wl_calc *c, double confidence)
{
	double *v = xmalloc(c->B * sizeof(*v)), a = (1 - confidence) / 2;

	for (int k = 0; k < c->np; k++) {
		struct pred_data *pd = &c->pred[c->qs[k]];
		size_t m = 0;

		/* pd->base holds 1 / baseline per resample (factor_boot.c) */
		for (size_t b = 0; b < c->B; b++)
			if (pd->base[b] > 0 && isfinite(pd->base[b]))
				v[m++] = 1 / pd->base[b];
		pd->base_lo = pd->base_hi = pd->base_hat;
		if (!m)
			continue;
		qsort(v, m, sizeof(*v), cmp_double);
		pd->base_lo = fmin(pd->base_lo, v[(size_t)floor(a * (double)(m - 1))]);
		pd->base_hi = fmax(pd->base_hi, v[(size_t)ceil((1 - a) * (double)(m - 1))]);
	}
	free(v);
}

void sampled__finding(struct finding_row *f, const struct wl_calc *c, size_t r, int q, int b,
		      const struct boot_ci *boot, double confidence, double tol)
{
	const struct pred_data *pd = &c->pred[q];
	double k = c->hk[r], n = c->hn, hlo, hhi, half = 0, elo, ehi, lo, hi, p;

	f->samples = (int64_t)k;
	f->samples_total = (int64_t)n;
	if (b == BASE_ROBUST && !(pd->base_hat > 0)) {
		f->why = "the robust baseline is zero (most predicted cost has no samples)";
		f->usable = 0;
		return;
	}
	stats__clopper_pearson(k, n, confidence, &hlo, &hhi);
	if (c->ne > 1 && pd->var[r] > 0)
		half = gsl_cdf_tdist_Pinv(1 - (1 - confidence) / 2, (double)(c->ne - 1)) *
		       sqrt(pd->var[r] / (double)c->ne);
	/* the share the band is centred on: predicted share x baseline, at its extremes */
	elo = fmax(pd->mean[r] - half, 0) * (b == BASE_ROBUST ? pd->base_lo : 1);
	ehi = (pd->mean[r] + half) * (b == BASE_ROBUST ? pd->base_hi : 1);
	lo = hlo / ehi;
	hi = elo > 0 ? hhi / elo : INFINITY;
	p = band_p(k, n, elo / tol, fmin(ehi * tol, 1));
	if (boot) {
		lo = fmin(lo, boot->bca_lo);
		hi = fmax(hi, boot->bca_hi);
		if (isfinite(f->p_value))
			p = fmax(p, f->p_value);
	}
	/* the point estimate (mean of per-run shares of the metric) inside its interval */
	if (isfinite(f->factor)) {
		lo = fmin(lo, f->factor);
		hi = fmax(hi, f->factor);
	}
	f->ci_lo = f->pct_lo = lo;
	f->ci_hi = f->pct_hi = hi;
	if (boot) {
		f->pct_lo = fmin(lo, boot->pct_lo);
		f->pct_hi = fmax(hi, boot->pct_hi);
	}
	f->hw_lo = isfinite(f->hw_lo) ? fmin(f->hw_lo, hlo) : hlo;
	f->hw_hi = isfinite(f->hw_hi) ? fmax(f->hw_hi, hhi) : hhi;
	f->p_value = p;
	f->usable = isfinite(p);
	f->why = f->usable ? NULL : "no p-value";
}
