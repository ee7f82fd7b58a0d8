/* bootstrap.c - resample plans, percentile and BCa intervals (Efron & Tibshirani 1993, ch. 14). */
#include "stats.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_sort_ulong.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int boot_plan__init(struct boot_plan *p, size_t b, size_t n, unsigned long seed)
{
	gsl_rng *r;

	memset(p, 0, sizeof(*p));
	if (n == 0 || n >= 65536 || b == 0)
		return -1;
	p->counts = calloc(b * n, sizeof(*p->counts));
	r = gsl_rng_alloc(gsl_rng_mt19937);
	if (!p->counts || !r) {
		free(p->counts);
		gsl_rng_free(r);
		p->counts = NULL;
		return -1;
	}
	gsl_rng_set(r, seed);
	p->b = b;
	p->n = n;
	for (size_t k = 0; k < b; k++)
		for (size_t i = 0; i < n; i++)
			p->counts[k * n + gsl_rng_uniform_int(r, n)]++;
	gsl_rng_free(r);
	return 0;
}

void boot_plan__free(struct boot_plan *p)
{
	free(p->counts);
	p->counts = NULL;
}

double stats__quantile_select(double *x, size_t n, double f)
{
	double idx, delta, lo, hi;
	size_t lhs;

	if (n == 0)
		return NAN;
	if (f <= 0)
		f = 0;
	if (f >= 1)
		f = 1;
	idx = f * (double)(n - 1);
	lhs = (size_t)idx;
	delta = idx - (double)lhs;
	lo = gsl_stats_select(x, 1, n, lhs);
	if (delta == 0 || lhs + 1 >= n)
		return lo;
	/* after the selection everything right of lhs is >= x[lhs]: the next
	 * order statistic is their minimum */
	hi = x[lhs + 1];
	for (size_t i = lhs + 2; i < n; i++)
		if (x[i] < hi)
			hi = x[i];
	return (1 - delta) * lo + delta * hi;
}

static double accel_from_jackknife(const double *const *jack, const size_t *n, size_t ns)
{
	double num = 0, den = 0;

	for (size_t k = 0; k < ns; k++) {
		double m = 0, nk = (double)n[k];

		if (n[k] < 2)
			continue;
		for (size_t i = 0; i < n[k]; i++)
			m += jack[k][i];
		m /= nk;
		for (size_t i = 0; i < n[k]; i++) {
			/* empirical influence of observation i of sample k */
			double u = (nk - 1) * (m - jack[k][i]);

			num += u * u * u / (nk * nk * nk);
			den += u * u / (nk * nk);
		}
	}
	if (!(den > 0))
		return 0;
	return num / (6 * pow(den, 1.5));
}

/*
 * Order statistic k (0-based) of x after select_tails() has gathered its
 * tails: lo holds the lo_n smallest elements of x (or more: the lo side's
 * bracket), hi the hi_n largest. Unsorted tails are searched with
 * gsl_stats_select (which reorders them, harmlessly); sorted ones are read.
 */
struct tails {
	double *lo, *hi;
	size_t lo_n, hi_n, n;
	int sorted;
};

static double order_stat(const struct tails *t, size_t k)
{
	if (k < t->lo_n)
		return t->sorted ? t->lo[k] : gsl_stats_select(t->lo, 1, t->lo_n, k);
	return t->sorted ? t->hi[t->hi_n - (t->n - k)]
			 : gsl_stats_select(t->hi, 1, t->hi_n, t->hi_n - (t->n - k));
}

/*
 * Exact tails, fast: bootstrap distributions of means and ratios are close
 * to normal, so thresholds from their mean and sd (at somewhat more than
 * the wanted tail fractions) bracket the wanted tails; one pass gathers the
 * values beyond them (about 90 of 2000 on each side), and the few order
 * statistics wanted are then selected among those. When a bracket turns out
 * too narrow (a skewed distribution), gsl_stats_select partitions the whole
 * array instead; the result is exact either way. This is the engine's
 * innermost cost (hundreds of thousands of intervals per study).
 */
static void select_tails(double *x, size_t n, size_t lo_n, size_t hi_n, double mean, double sd,
			 double *buf, size_t cap, struct tails *t)
{
	size_t nlo = 0, nhi = 0, half = cap / 2;
	double *lo = buf, *hi = buf + half;

	t->n = n;
	t->lo_n = lo_n;
	t->hi_n = hi_n;
	t->sorted = 0;
	if (lo_n + hi_n < n / 4 && sd > 0 && isfinite(sd)) {
		double plo = 1.5 * (double)lo_n / (double)n + 8.0 / (double)n;
		double phi = 1.5 * (double)hi_n / (double)n + 8.0 / (double)n;
		double tlo = lo_n ? mean + sd * gsl_cdf_ugaussian_Pinv(plo) : -INFINITY;
		double thi = hi_n ? mean - sd * gsl_cdf_ugaussian_Pinv(phi) : INFINITY;

		for (size_t i = 0; i < n; i++) {
			double v = x[i];

			if (v <= tlo) {
				if (nlo == half)
					goto fallback;
				lo[nlo++] = v;
			} else if (v >= thi) {
				if (nhi == half)
					goto fallback;
				hi[nhi++] = v;
			}
		}
		if (nlo >= lo_n && nhi >= hi_n) {
			/* every gathered value counts: ranks are within lo[0..nlo), hi[0..nhi) */
			t->lo = lo;
			t->hi = hi;
			t->lo_n = nlo;
			t->hi_n = nhi;
			return;
		}
	}
fallback:
	t->sorted = 1;
	/* partition with GSL: the lo_n smallest first, the hi_n largest last */
	if (lo_n + hi_n >= n) {
		gsl_sort(x, 1, n);
	} else {
		if (lo_n) {
			gsl_stats_select(x, 1, n, lo_n - 1);
			gsl_sort(x, 1, lo_n);
		}
		if (hi_n) {
			gsl_stats_select(x + lo_n, 1, n - lo_n, n - hi_n - lo_n);
			gsl_sort(x + n - hi_n, 1, hi_n);
		}
	}
	t->lo = x;
	t->hi = x + n - hi_n;
}

/* quantiles with gsl_stats_quantile_from_sorted_data's interpolation */
static void quantiles(double *x, size_t n, const double *f, size_t nf, double mean, double sd,
		      double *out)
{
	double buf[4096];
	size_t pos[8], lo_n = 0, hi_n = 0;
	struct tails t;

	for (size_t i = 0; i < nf; i++) {
		double q = f[i] < 0 ? 0 : f[i] > 1 ? 1 : f[i];

		pos[i] = (size_t)(q * (double)(n - 1));
		if (q < 0.5 && pos[i] + 2 > lo_n)
			lo_n = pos[i] + 2 < n ? pos[i] + 2 : n;
		if (q >= 0.5 && n - pos[i] > hi_n)
			hi_n = n - pos[i];
	}
	if (lo_n + hi_n > n) {
		lo_n = n;
		hi_n = 0;
	}
	select_tails(x, n, lo_n, hi_n, mean, sd, buf, sizeof(buf) / sizeof(buf[0]), &t);
	for (size_t i = 0; i < nf; i++) {
		double q = f[i] < 0 ? 0 : f[i] > 1 ? 1 : f[i];
		double delta = q * (double)(n - 1) - (double)pos[i];

		out[i] = pos[i] + 1 < n && delta > 0
				 ? (1 - delta) * order_stat(&t, pos[i]) + delta * order_stat(&t, pos[i] + 1)
				 : order_stat(&t, pos[i]);
	}
}

/* z0, the acceleration and the four levels (percentile lo/hi, BCa lo/hi);
 * 0, or -1 when the BCa levels are not finite (the percentile ones are) */
static int bca_levels(size_t valid, double below, const double *const *jack, const size_t *n,
		      size_t nsamples, double confidence, struct boot_ci *out, double f[4])
{
	double alpha = (1 - confidence) / 2, prop = below / (double)valid, za, zb;

	if (prop < 0.5 / (double)valid)
		prop = 0.5 / (double)valid;
	if (prop > 1 - 0.5 / (double)valid)
		prop = 1 - 0.5 / (double)valid;
	out->z0 = gsl_cdf_ugaussian_Pinv(prop);
	out->accel = jack ? accel_from_jackknife(jack, n, nsamples) : 0;
	za = gsl_cdf_ugaussian_Pinv(alpha);
	zb = -za;
	f[0] = alpha;
	f[1] = 1 - alpha;
	f[2] = gsl_cdf_ugaussian_P(out->z0 + (out->z0 + za) / (1 - out->accel * (out->z0 + za)));
	f[3] = gsl_cdf_ugaussian_P(out->z0 + (out->z0 + zb) / (1 - out->accel * (out->z0 + zb)));
	return isfinite(f[2]) && isfinite(f[3]) ? 0 : -1;
}

static void set_levels(struct boot_ci *out, const double *q, int nf)
{
	out->pct_lo = q[0];
	out->pct_hi = q[1];
	if (nf == 4) {
		out->bca_lo = q[2];
		out->bca_hi = q[3];
	}
}

int stats__boot_ci(double *boot, size_t b, double theta, const double *const *jack,
		   const size_t *n, size_t nsamples, double confidence, struct boot_ci *out)
{
	double below = 0, sum = 0, sum2 = 0, mean, sd, f[4], q[4];
	size_t valid = 0;
	int nf;

	out->pct_lo = out->pct_hi = out->bca_lo = out->bca_hi = out->z0 = out->accel = NAN;
	/* non-finite resamples (a resample with a zero denominator) are left out */
	for (size_t i = 0; i < b; i++) {
		if (isfinite(boot[i])) {
			double v = boot[i];

			boot[valid++] = v;
			/* without branches: about half the values lie below, at random */
			below += (double)(v < theta) + 0.5 * (double)(v == theta);
			sum += v;
			sum2 += v * v;
		}
	}
	if (valid < 10 || !isfinite(theta))
		return -1;
	mean = sum / (double)valid;
	/* only a guide for the tail thresholds: cancellation is harmless here */
	sd = sqrt(fmax(0, sum2 / (double)valid - mean * mean));
	nf = bca_levels(valid, below, jack, n, nsamples, confidence, out, f) ? 2 : 4;
	quantiles(boot, valid, f, (size_t)nf, mean, sd, q);
	set_levels(out, q, nf);
	return nf == 4 ? 0 : -1;
}

/* jackknife estimate of the standard error (Efron's multi-sample form) */
static double jack_sd(const double *const *jack, const size_t *n, size_t nsamples)
{
	double var = 0;

	for (size_t k = 0; k < nsamples; k++) {
		double m = 0, ss = 0, nk = (double)n[k];

		if (n[k] < 2)
			continue;
		for (size_t i = 0; i < n[k]; i++)
			m += jack[k][i];
		m /= nk;
		for (size_t i = 0; i < n[k]; i++)
			ss += (jack[k][i] - m) * (jack[k][i] - m);
		var += (nk - 1) / nk * ss;
	}
	return sqrt(var);
}

/*
 * The next order statistic below one just found: v is the value of rank r
 * and x[0..m) holds the m = r + 1 smallest values. Rank r - 1 is then v
 * again if v occurs twice there, else the largest value below v: one scan,
 * where a selection would partition. One v moves to x[m - 1], so that
 * x[0..r) holds the r smallest, as a selection would leave them.
 */
static double next_below(double *x, size_t m, double v)
{
	double best = -INFINITY, t;
	size_t same = 0, at = m - 1;

	for (size_t i = 0; i < m; i++) {
		same += x[i] == v;
		at = x[i] == v ? i : at;
		best = x[i] < v && x[i] > best ? x[i] : best;
	}
	t = x[at];
	x[at] = x[m - 1];
	x[m - 1] = t;
	return same > 1 ? v : best;
}

/* the mirror image: x[0..m) holds the largest values, v the smallest of
 * them, which moves to x[0] */
static double next_above(double *x, size_t m, double v)
{
	double best = INFINITY, t;
	size_t same = 0, at = 0;

	for (size_t i = 0; i < m; i++) {
		same += x[i] == v;
		at = x[i] == v ? i : at;
		best = x[i] > v && x[i] < best ? x[i] : best;
	}
	t = x[at];
	x[at] = x[0];
	x[0] = t;
	return same > 1 ? v : best;
}

/*
 * Order statistics ranks[0..nr) (ascending) of the n values of x (permuted),
 * into out: the largest first, each later one selected within the part left
 * of the previous (gsl_stats_select leaves smaller values on the left). The
 * levels come in adjacent pairs (an interpolation's two ranks), and the
 * percentile and BCa levels often coincide: a repeated rank costs nothing
 * and an adjacent one a scan.
 */
static void order_stats_low(double *x, size_t n, const unsigned long *rank, size_t nr, double *out)
{
	size_t m = n;

	for (size_t i = nr; i-- > 0;) {
		if (i + 1 < nr && rank[i] == rank[i + 1]) {
			out[i] = out[i + 1];
			continue;
		}
		if (i + 1 < nr && rank[i] + 1 == rank[i + 1])
			out[i] = next_below(x, m, out[i + 1]);
		else
			out[i] = gsl_stats_select(x, 1, m, rank[i]);
		m = rank[i] + 1;
	}
}

/* the same from the high end: ranks ascending, each later one to the right */
static void order_stats_high(double *x, size_t n, const unsigned long *rank, size_t nr, double *out)
{
	size_t off = 0;

	for (size_t i = 0; i < nr; i++) {
		if (i > 0 && rank[i] == rank[i - 1]) {
			out[i] = out[i - 1];
			continue;
		}
		if (i > 0 && rank[i] == rank[i - 1] + 1)
			out[i] = next_above(x + off, n - off, out[i - 1]);
		else
			out[i] = gsl_stats_select(x + off, 1, n - off, rank[i] - off);
		off = rank[i];
	}
}

/* tails gathered beyond theta -/+ GATHER_Z jackknife standard errors: about 7%
 * of a normal distribution per side, where the levels (1%-6% in practice)
 * fall; a level outside (skewed resamples, a misjudged spread) falls back */
#define GATHER_Z 1.5

int stats__boot_ci_of(const double *boot, const double *scale, size_t b, double theta,
		      const double *const *jack, const size_t *n, size_t nsamples, double confidence,
		      double *work, struct boot_ci *out)
{
	double *lo = work, *hi = work + b, f[4], q[4], sd, tlo, thi;
	size_t valid = 0, nlo = 0, nhi = 0, nbelow = 0, nequal = 0, rank[8], nr_lo = 0, nr_hi = 0;
	unsigned long lo_rank[8], hi_rank[8]; /* GSL sorts unsigned long, not size_t */
	double lo_val[8], hi_val[8];
	int nf;

	out->pct_lo = out->pct_hi = out->bca_lo = out->bca_hi = out->z0 = out->accel = NAN;
	sd = jack ? jack_sd(jack, n, nsamples) : NAN;
	if (!isfinite(theta))
		return -1;
	if (!(sd > 0) || !isfinite(sd))
		goto fallback;
	tlo = theta - GATHER_Z * sd;
	thi = theta + GATHER_Z * sd;
	for (size_t i = 0; i < b; i++) {
		double v = scale ? boot[i] * scale[i] : boot[i];
		size_t ok = (size_t)isfinite(v);

		/* without branches (which side a value falls is random) and with
		 * integer counts (a floating-point sum would chain every iteration) */
		valid += ok;
		nbelow += ok & (size_t)(v < theta);
		nequal += ok & (size_t)(v == theta);
		lo[nlo] = v;
		nlo += ok & (size_t)(v <= tlo);
		hi[nhi] = v;
		nhi += ok & (size_t)(v >= thi);
	}
	if (valid < 10)
		return -1;
	nf = bca_levels(valid, (double)nbelow + 0.5 * (double)nequal, jack, n, nsamples, confidence,
			out, f) ? 2 : 4;
	/* the ranks each level interpolates between, as quantiles() does */
	for (int i = 0; i < nf; i++) {
		double l = f[i] < 0 ? 0 : f[i] > 1 ? 1 : f[i];
		size_t pos = (size_t)(l * (double)(valid - 1));

		rank[2 * i] = pos;
		rank[2 * i + 1] = pos + 1 < valid ? pos + 1 : pos;
	}
	for (int i = 0; i < 2 * nf; i++) {
		if (rank[i] < nlo)
			lo_rank[nr_lo++] = rank[i];
		else if (rank[i] >= valid - nhi)
			hi_rank[nr_hi++] = rank[i] - (valid - nhi);
		else
			goto fallback;
	}
	gsl_sort_ulong(lo_rank, 1, nr_lo);
	gsl_sort_ulong(hi_rank, 1, nr_hi);
	order_stats_low(lo, nlo, lo_rank, nr_lo, lo_val);
	order_stats_high(hi, nhi, hi_rank, nr_hi, hi_val);
	for (int i = 0; i < nf; i++) {
		double l = f[i] < 0 ? 0 : f[i] > 1 ? 1 : f[i];
		double delta = l * (double)(valid - 1) - (double)rank[2 * i], v[2];

		for (int k = 0; k < 2; k++) {
			size_t r = rank[2 * i + k], j;

			if (r < nlo) {
				for (j = 0; lo_rank[j] != r; j++)
					;
				v[k] = lo_val[j];
			} else {
				for (j = 0; hi_rank[j] != r - (valid - nhi); j++)
					;
				v[k] = hi_val[j];
			}
		}
		q[i] = rank[2 * i] + 1 < valid && delta > 0 ? (1 - delta) * v[0] + delta * v[1] : v[0];
	}
	set_levels(out, q, nf);
	return nf == 4 ? 0 : -1;
fallback:
	/* no spread to go by, or a level beyond the gathered tails: the exact
	 * two-pass interval on a copy */
	for (size_t i = 0; i < b; i++)
		work[i] = scale ? boot[i] * scale[i] : boot[i];
	return stats__boot_ci(work, b, theta, jack, n, nsamples, confidence, out);
}

/* Resampled means of x under plan p, into m[0..p->b). */
static void plan_means(const struct boot_plan *p, const double *x, double *m)
{
	for (size_t k = 0; k < p->b; k++) {
		const uint16_t *c = p->counts + k * p->n;
		double s = 0;

		for (size_t i = 0; i < p->n; i++)
			s += c[i] * x[i];
		m[k] = s / (double)p->n;
	}
}

int stats__ratio_ci_plans(const double *x, size_t nx, const double *y, size_t ny,
			  const struct boot_plan *px, const struct boot_plan *py, double confidence,
			  double *ratio, struct boot_ci *out)
{
	size_t b = px->b;
	double *mx = NULL, *my = NULL, *jx = NULL, *jy = NULL;
	double sx = 0, sy = 0;
	int ret = -1;

	*ratio = NAN;
	memset(out, 0, sizeof(*out));
	if (nx < 2 || ny < 2 || px->n != nx || py->n != ny || py->b != b)
		return -1;
	mx = malloc(b * sizeof(*mx));
	my = malloc(b * sizeof(*my));
	jx = malloc(nx * sizeof(*jx));
	jy = malloc(ny * sizeof(*jy));
	if (!mx || !my || !jx || !jy)
		goto out;
	for (size_t i = 0; i < nx; i++)
		sx += x[i];
	for (size_t i = 0; i < ny; i++)
		sy += y[i];
	if (sy == 0)
		goto out;
	*ratio = (sx / (double)nx) / (sy / (double)ny);
	plan_means(px, x, mx);
	plan_means(py, y, my);
	for (size_t k = 0; k < b; k++)
		mx[k] = my[k] != 0 ? mx[k] / my[k] : NAN;
	for (size_t i = 0; i < nx; i++)
		jx[i] = ((sx - x[i]) / (double)(nx - 1)) / (sy / (double)ny);
	for (size_t i = 0; i < ny; i++) {
		double d = (sy - y[i]) / (double)(ny - 1);

		jy[i] = d != 0 ? (sx / (double)nx) / d : NAN;
	}
	{
		const double *jack[2] = { jx, jy };
		size_t n[2] = { nx, ny };

		ret = stats__boot_ci(mx, b, *ratio, jack, n, 2, confidence, out);
	}
out:
	free(mx);
	free(my);
	free(jx);
	free(jy);
	return ret;
}

int stats__mean_ci_plan(const double *x, size_t n, const struct boot_plan *p, double confidence, double *mean,
			struct boot_ci *out)
{
	double *m = NULL, *j = NULL, s = 0;
	int ret = -1;

	*mean = NAN;
	memset(out, 0, sizeof(*out));
	if (n < 2 || p->n != n)
		return -1;
	for (size_t i = 0; i < n; i++)
		s += x[i];
	*mean = s / (double)n;
	m = malloc(p->b * sizeof(*m));
	j = malloc(n * sizeof(*j));
	if (m && j) {
		const double *jack[1] = { j };

		plan_means(p, x, m);
		for (size_t i = 0; i < n; i++)
			j[i] = (s - x[i]) / (double)(n - 1);
		ret = stats__boot_ci(m, p->b, *mean, jack, &n, 1, confidence, out);
	}
	free(m);
	free(j);
	return ret;
}

int stats__ratio_ci(const double *x, size_t nx, const double *y, size_t ny, size_t b,
		    unsigned long seed, double confidence, double *ratio, struct boot_ci *out)
{
	struct boot_plan px, py;
	int ret;

	*ratio = NAN;
	memset(out, 0, sizeof(*out));
	if (nx < 2 || ny < 2)
		return -1;
	if (boot_plan__init(&px, b, nx, seed))
		return -1;
	/* the second sample gets its own stream, derived from the same seed */
	if (boot_plan__init(&py, b, ny, seed * 2654435761UL + 0x9e3779b9UL)) {
		boot_plan__free(&px);
		return -1;
	}
	ret = stats__ratio_ci_plans(x, nx, y, ny, &px, &py, confidence, ratio, out);
	boot_plan__free(&px);
	boot_plan__free(&py);
	return ret;
}
