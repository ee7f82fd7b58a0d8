/*
 * latency_math.c - distributions of latency samples: sorting, quantiles of
 * pooled runs, the two-level bootstrap of a quantile's ratio, and the
 * two-sample Kolmogorov-Smirnov test.
 *
 * Quantile q of N values: the k-th smallest, k = ceil(q N) (the inverse of the
 * empirical CDF; max is q = 1).
 *
 * Bootstrap (runs, then events within runs): each resample draws the runs
 * with replacement (multiplicities c_r), then the quantile of M = sum c_r n_r
 * events drawn from the chosen runs' pooled empirical distribution F. That
 * quantile is F^-1(U) with U ~ Beta(k, M - k + 1), the k-th order statistic of
 * M uniforms, so a resample costs O(runs log^2 n), not O(M): 10^6 events per
 * run stay cheap. (Events are drawn from the mixture rather than n_r per run:
 * a little more spread than a stratified resample.)
 */
#include "stats.h"
#include "common.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int latency__unpack(const void *blob, size_t bytes, double *out, size_t n)
{
	if (bytes != n * sizeof(double))
		return -1;
	memcpy(out, blob, bytes);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	for (size_t i = 0; i < n; i++) {
		uint64_t u;

		memcpy(&u, &out[i], sizeof(u));
		u = __builtin_bswap64(u);
		memcpy(&out[i], &u, sizeof(u));
	}
#endif
	return 0;
}

static inline uint64_t key_of(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return u >> 63 ? ~u : u | (1ull << 63);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void latency__sort(double *v, size_t n)
{
	uint64_t *a, *b, *t;
	size_t *cnt;

	if (n < 4096) {
		qsort(v, n, sizeof(*v), cmp_double);
		return;
	}
	/* LSD radix sort of the order-preserving keys, 16 bits a pass */
	a = xmalloc(n * sizeof(*a));
	b = xmalloc(n * sizeof(*b));
	cnt = xmalloc(65536 * sizeof(*cnt));
	for (size_t i = 0; i < n; i++)
		a[i] = key_of(v[i]);
	for (int shift = 0; shift < 64; shift += 16) {
		size_t sum = 0;

		memset(cnt, 0, 65536 * sizeof(*cnt));
		for (size_t i = 0; i < n; i++)
			cnt[(a[i] >> shift) & 0xffff]++;
		if (cnt[(a[0] >> shift) & 0xffff] == n)
			continue; /* all equal in these bits */
		for (size_t d = 0; d < 65536; d++) {
			size_t c = cnt[d];

			cnt[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			b[cnt[(a[i] >> shift) & 0xffff]++] = a[i];
		t = a, a = b, b = t;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t u = a[i] >> 63 ? a[i] & ~(1ull << 63) : ~a[i];

		memcpy(&v[i], &u, sizeof(u));
	}
	free(a);
	free(b);
	free(cnt);
}

double latency__quantile(const double *sorted, size_t n, double q)
{
	size_t k;

	if (!n)
		return NAN;
	k = (size_t)ceil(q * (double)n);
	k = k < 1 ? 1 : k > n ? n : k;
	return sorted[k - 1];
}

/* Values <= x in sorted[n]. */
static size_t upper_bound(const double *s, size_t n, double x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* F^-1(u) of the mixture of runs with multiplicities c (total weight m events). */
static double mixture_inverse(const struct latency_set *s, const unsigned *c, double m, double u)
{
	size_t lo = 0, hi = s->n - 1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		double below = 0;

		for (size_t r = 0; r < s->runs; r++)
			if (c[r])
				below += c[r] * (double)upper_bound(s->run[r], s->run_n[r], s->pooled[mid]);
		if (below >= u * m)
			hi = mid;
		else
			lo = mid + 1;
	}
	return s->pooled[lo];
}

/* One resample's quantiles q[nq] of s into out[nq]. */
static void resample(const struct latency_set *s, gsl_rng *rng, const double *q, size_t nq, unsigned *c,
		     double *out)
{
	double m = 0;

	memset(c, 0, s->runs * sizeof(*c));
	for (size_t i = 0; i < s->runs; i++) {
		size_t r = gsl_rng_uniform_int(rng, s->runs);

		c[r]++;
		m += (double)s->run_n[r];
	}
	for (size_t j = 0; j < nq; j++) {
		double k = fmax(1, fmin(m, ceil(q[j] * m)));
		double u = k >= m ? pow(gsl_rng_uniform_pos(rng), 1 / m) : gsl_ran_beta(rng, k, m - k + 1);

		out[j] = mixture_inverse(s, c, m, u);
	}
}

int latency__ratio_ci(const struct latency_set *emu, const struct latency_set *hw, const double *q, size_t nq,
		      size_t b, double confidence, unsigned long seed, double *lo, double *hi)
{
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	double *ratio = xmalloc(nq * b * sizeof(*ratio)), qe[8], qh[8];
	size_t runs = emu->runs > hw->runs ? emu->runs : hw->runs;
	unsigned *c = xmalloc(runs * sizeof(*c));

	if (!rng || nq > 8 || !emu->n || !hw->n) {
		gsl_rng_free(rng);
		free(ratio);
		free(c);
		return -1;
	}
	gsl_rng_set(rng, seed);
	for (size_t i = 0; i < b; i++) {
		resample(emu, rng, q, nq, c, qe);
		resample(hw, rng, q, nq, c, qh);
		for (size_t j = 0; j < nq; j++)
			ratio[j * b + i] = qh[j] / qe[j];
	}
	for (size_t j = 0; j < nq; j++) {
		double *r = ratio + j * b;

		latency__sort(r, b);
		lo[j] = latency__quantile(r, b, (1 - confidence) / 2);
		hi[j] = latency__quantile(r, b, 1 - (1 - confidence) / 2);
	}
	gsl_rng_free(rng);
	free(ratio);
	free(c);
	return 0;
}

/* Kolmogorov's Q(lambda) = 2 sum_{j>=1} (-1)^{j-1} exp(-2 j^2 lambda^2). */
static double kolmogorov_q(double lambda)
{
	double sum = 0, sign = 1;

	if (lambda < 0.2)
		return 1;
	for (int j = 1; j <= 100; j++) {
		double t = sign * exp(-2.0 * j * j * lambda * lambda);

		sum += t;
		if (fabs(t) < 1e-12 * fabs(sum))
			break;
		sign = -sign;
	}
	return fmin(1, fmax(0, 2 * sum));
}

double latency__ks(const double *a, size_t na, const double *b, size_t nb, double *p)
{
	size_t i = 0, j = 0;
	double d = 0, en;

	while (i < na && j < nb) {
		double x = a[i] <= b[j] ? a[i] : b[j];

		while (i < na && a[i] <= x)
			i++;
		while (j < nb && b[j] <= x)
			j++;
		d = fmax(d, fabs((double)i / (double)na - (double)j / (double)nb));
	}
	en = sqrt((double)na * (double)nb / ((double)na + (double)nb));
	/* Stephens' correction (Numerical Recipes, kstwo) */
	*p = kolmogorov_q((en + 0.12 + 0.11 / en) * d);
	return d;
}
