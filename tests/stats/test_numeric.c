/*
 * test_numeric.c - stats/'s numeric functions against independently known
 * values: tabulated t quantiles, hand-worked rank correlations with ties,
 * Benjamini & Hochberg's own example, NIST's certified Longley regression
 * (and its leave-one-out error against refitting), and bootstrap coverage by
 * simulation.
 *
 * usage: test_numeric LONGLEY_FILE
 */
#include "check.h"
#include "stats.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void near(double got, double want, double rel, const char *what)
{
	double err = fabs(got - want) / (fabs(want) > 0 ? fabs(want) : 1);

	CHECKF(err <= rel, "%s: got %.15g, want %.15g (rel err %.3g > %.3g)", what, got, want, err, rel);
}

static void test_t(void)
{
	/* two-sided critical values from printed t tables (3 decimals) */
	static const struct { double conf, df, t; } tab[] = {
		{ 0.95, 1, 12.706 }, { 0.95, 2, 4.303 }, { 0.95, 3, 3.182 }, { 0.95, 5, 2.571 },
		{ 0.95, 10, 2.228 }, { 0.95, 29, 2.045 }, { 0.95, 30, 2.042 }, { 0.99, 5, 4.032 },
		{ 0.90, 4, 2.132 }, { 0.99, 1, 63.657 },
	};
	struct describe d;
	double x[] = { 2, 4, 4, 4, 5, 5, 7, 9 };

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		char what[64];

		snprintf(what, sizeof(what), "t(%.2f, df %g)", tab[i].conf, tab[i].df);
		CHECKF(fabs(stats__t_quantile(tab[i].conf, tab[i].df) - tab[i].t) < 0.0006, "%s = %.5f, table %.3f",
		      what, stats__t_quantile(tab[i].conf, tab[i].df), tab[i].t);
	}
	/* by hand: mean 5, s^2 = 32/7, t(0.975, 7) = 2.365 -> 5 -+ 1.787 */
	stats__describe(x, 8, 0.95, &d);
	CHECKF(d.n == 8, "n");
	near(d.mean, 5, 1e-15, "mean");
	near(d.median, 4.5, 1e-15, "median");
	near(d.sd, sqrt(32.0 / 7), 1e-14, "sd");
	CHECKF(fabs(d.ci_lo - 3.213) < 0.001 && fabs(d.ci_hi - 6.787) < 0.001, "CI %.4f-%.4f, want 3.213-6.787",
	      d.ci_lo, d.ci_hi);
	near(d.cv, sqrt(32.0 / 7) / 5, 1e-14, "cv");
	/* GSL quartiles 4 and 5.5: fences 1.75 and 7.75, so 9 is reported */
	CHECKF(d.outliers == 1, "9 is outside the fences (got %zu)", d.outliers);
	{
		double y[] = { 10, 11, 10.5, 9.8, 10.2, 40, NAN };

		stats__describe(y, 7, 0.95, &d);
		CHECKF(d.n == 6 && d.outliers == 1, "one outlier of 6 values (got n=%zu, %zu)", d.n, d.outliers);
	}
	{
		double one = 3;

		stats__describe(&one, 1, 0.95, &d);
		CHECKF(d.n == 1 && d.mean == 3 && isnan(d.sd) && isnan(d.ci_lo), "single value");
	}
}

static void test_ranks(void)
{
	double x[] = { 1, 2, 3, 4, 5 }, y[] = { 5, 6, 7, 8, 7 };
	double a[] = { 1, 1, 2, 3 }, b[] = { 1, 2, 2, 3 };
	double c[] = { 3, 3, 3 }, p[] = { 110, 90, 50 }, m[] = { 100, 100, 0 };

	/* ranks of y with the tie: 1 2 3.5 5 3.5 -> rho = 8 / sqrt(10 * 9.5) */
	near(stats__spearman(x, y, 5), 8 / sqrt(95), 1e-12, "spearman with ties");
	/* concordant 8, discordant 1, one tie in y: (8 - 1) / sqrt(10 * 9) */
	near(stats__kendall(x, y, 5), 7 / sqrt(90), 1e-12, "kendall tau-b, ties in y");
	/* 4 concordant, ties: one in x, one in y: 4 / sqrt(5 * 5) */
	near(stats__kendall(a, b, 4), 0.8, 1e-12, "kendall tau-b, ties in both");
	near(stats__kendall(x, x, 5), 1, 1e-15, "kendall of identical");
	CHECKF(isnan(stats__kendall(c, x, 3)), "kendall of a constant is undefined");
	/* sum dx dy = 6, sum dx^2 = 10, sum dy^2 = 5.2 */
	near(stats__pearson(x, y, 5), 6 / sqrt(52), 1e-12, "pearson");
	/* |110-100|/100 and |90-100|/100; the zero measurement is skipped */
	near(stats__mape(p, m, 3), 10, 1e-12, "mape");
}

static void test_bh(void)
{
	/* Benjamini & Hochberg (1995), section 4: 15 p-values, FDR 0.05 rejects 4 */
	static const double p[15] = { 0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344,
				      0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000 };
	double adj[15], q[5] = { 0.01, 0.04, 0.03, 0.005, NAN }, qa[5];
	int rejected = 0;

	stats__bh_adjust(p, 15, adj);
	for (int i = 0; i < 15; i++)
		rejected += adj[i] < 0.05;
	CHECKF(rejected == 4, "BH rejects %d of the paper's 15, want 4", rejected);
	near(adj[3], 0.0095 * 15 / 4, 1e-12, "adjusted p of rank 4");
	near(adj[4], 0.0201 * 15 / 5, 1e-12, "adjusted p of rank 5");
	near(adj[0], 0.0001 * 15, 1e-12, "adjusted p of rank 1");
	near(adj[14], 1, 1e-15, "adjusted p of rank 15");
	/* by hand: sorted .005 .01 .03 .04 -> .02 .02 .04 .04 (monotone step-up) */
	stats__bh_adjust(q, 5, qa);
	near(qa[0], 0.02, 1e-12, "bh 0");
	near(qa[1], 0.04, 1e-12, "bh 1");
	near(qa[2], 0.04, 1e-12, "bh 2");
	near(qa[3], 0.02, 1e-12, "bh 3");
	CHECKF(isnan(qa[4]), "NaN passes through");
}

/* leave-one-out RMSE by refitting without each row in turn */
static double brute_loo(const double *X, const double *y, size_t n, size_t p,
			const char *const *term, int robust)
{
	double *Xi = malloc(n * p * sizeof(*Xi)), *yi = malloc(n * sizeof(*yi)), sse = 0;
	struct linfit f;

	for (size_t i = 0; i < n; i++) {
		size_t m = 0;

		for (size_t r = 0; r < n; r++) {
			if (r == i)
				continue;
			memcpy(Xi + m * p, X + r * p, p * sizeof(*X));
			yi[m++] = y[r];
		}
		if (stats__linfit(Xi, yi, m, p, term, 1, robust, 0.95, &f)) {
			sse = NAN;
			break;
		}
		sse += (y[i] - linfit__predict(&f, X + i * p)) * (y[i] - linfit__predict(&f, X + i * p));
	}
	free(Xi);
	free(yi);
	return sqrt(sse / (double)n);
}

static void test_longley(const char *path)
{
	static const double cert[7] = { -3482258.63459582, 15.0618722713733, -0.358191792925910E-01,
					-2.02022980381683, -1.03322686717359, -0.511041056535807E-01,
					1829.15146461355 };
	static const double cert_sd[7] = { 890420.383607373, 84.9149257747669, 0.334910077722432E-01,
					   0.488399681651699, 0.214274163161675, 0.226073200069370,
					   455.478499142212 };
	static const char *const term[7] = { "intercept", "x1", "x2", "x3", "x4", "x5", "x6" };
	double X[16 * 7], y[16];
	char line[512];
	size_t n = 0;
	struct linfit f;
	FILE *fp = fopen(path, "r");

	CHECKF(fp != NULL, "cannot open %s", path);
	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp) && n < 16) {
		double v[7];

		if (line[0] == '#' || sscanf(line, "%lf %lf %lf %lf %lf %lf %lf", &v[0], &v[1], &v[2], &v[3],
					     &v[4], &v[5], &v[6]) != 7)
			continue;
		y[n] = v[0];
		X[n * 7] = 1;
		for (int j = 1; j < 7; j++)
			X[n * 7 + j] = v[j];
		n++;
	}
	fclose(fp);
	CHECKF(n == 16, "Longley has 16 observations, read %zu", n);
	CHECKF(stats__linfit(X, y, n, 7, term, 1, 0, 0.95, &f) == 0, "Longley fit");
	CHECKF(f.p == 7 && f.rank == 7, "all 7 terms kept, full rank (p %zu, rank %zu)", f.p, f.rank);
	for (int j = 0; j < 7 && j < (int)f.p; j++) {
		char what[64];

		snprintf(what, sizeof(what), "Longley B%d", j);
		near(f.coef[j], cert[j], 1e-7, what);
		snprintf(what, sizeof(what), "Longley sd(B%d)", j);
		near(f.se[j], cert_sd[j], 1e-7, what);
	}
	near(f.resid_sd, 304.854073561965, 1e-8, "Longley residual sd");
	near(f.r2, 0.995479004577296, 1e-10, "Longley R^2");
	/* CI = B -+ t(0.975, 9) sd, t from the table: 2.262 */
	CHECKF(fabs((f.ci_hi[6] - f.coef[6]) / f.se[6] - 2.262) < 0.001, "CI half-width uses t(9)");
	near(f.cv_rmse, brute_loo(X, y, n, 7, term, 0), 1e-6, "Longley leave-one-out RMSE (PRESS)");
}

/*
 * The robust fit's leave-one-out error holds its final weights fixed: close
 * to refitting without each row, and exact for the rows it rejects. With the
 * plain hat matrix instead, the three gross outliers (which dominate the
 * error) would come out about 1/(1 - 3/60) - 1 = 5% too large.
 */
static void test_robust_loo(void)
{
	static const char *const term[3] = { "a", "b", "intercept" };
	enum { N = 60 };
	double X[N * 3], y[N], brute;
	struct linfit f;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

	gsl_rng_set(r, 7);
	for (int i = 0; i < N; i++) {
		X[i * 3] = gsl_rng_uniform(r) * 10;
		X[i * 3 + 1] = gsl_rng_uniform(r) * 5;
		X[i * 3 + 2] = 1;
		y[i] = 2 + 3 * X[i * 3] - X[i * 3 + 1] + gsl_ran_gaussian(r, 0.5);
		if (i % 20 == 3)
			y[i] += 40; /* gross outliers: the bisquare weight rejects them */
	}
	CHECKF(stats__linfit(X, y, N, 3, term, 1, 1, 0.95, &f) == 0 && f.p == 3, "robust fit");
	brute = brute_loo(X, y, N, 3, term, 1);
	CHECKF(fabs(f.cv_rmse / brute - 1) < 0.005, "robust leave-one-out RMSE %g, by refitting %g",
	       f.cv_rmse, brute);
	near(f.coef[0], 3, 0.05, "robust slope a");
	gsl_rng_free(r);
}

static void test_fit_drops_terms(void)
{
	/* y = 3 + 2 a; b absent (zeros), c constant: both dropped, fit exact */
	static const char *const term[4] = { "a", "b", "c", "intercept" };
	double X[8 * 4], y[8];
	struct linfit f;

	for (int i = 0; i < 8; i++) {
		X[i * 4] = i;
		X[i * 4 + 1] = 0;
		X[i * 4 + 2] = 7;
		X[i * 4 + 3] = 1;
		y[i] = 3 + 2 * i + (i % 2 ? 0.01 : -0.01);
	}
	CHECKF(stats__linfit(X, y, 8, 4, term, 1, 0, 0.95, &f) == 0, "fit with dropped terms");
	CHECKF(f.p == 2 && !strcmp(f.term[0], "a") && !strcmp(f.term[1], "intercept"), "kept a and intercept");
	near(f.coef[0], 2, 1e-2, "slope");
	CHECKF(f.ci_lo[0] < 2 && f.ci_hi[0] > 2, "slope CI covers 2");
	near(linfit__predict(&f, X + 4 * 4), 11, 1e-2, "prediction at a=4");
}

static void test_wmedian_warmup(void)
{
	double x[] = { 4, 1, 3, 2 }, w1[] = { 1, 1, 1, 1 };
	double x2[] = { 1, 2, 3 }, w2[] = { 1, 1, 5 }, w3[] = { 1, 0, 1 };
	double seq[] = { 50, 30, 20, 10, 10.1, 9.9, 10, 10.05, 9.95, 10, 10, 10.02 };
	double flat[] = { 10, 10.1, 9.9, 10, 10.05, 9.95, 10, 10 };

	near(stats__weighted_median(x, w1, 4, NULL), 2, 0, "lower weighted median");
	near(stats__weighted_median(x2, w2, 3, NULL), 3, 0, "heavy weight wins");
	near(stats__weighted_median(x2, w3, 3, NULL), 1, 0, "zero weight ignored");
	CHECKF(stats__warmup(seq, 12, 0.95) == 4, "steady state from occurrence 4 (got %zu)",
	      stats__warmup(seq, 12, 0.95));
	CHECKF(stats__warmup(flat, 8, 0.95) == 1, "no warm-up (got %zu)", stats__warmup(flat, 8, 0.95));
	CHECKF(stats__warmup(seq, 3, 0.95) == 0, "too short to judge");
	{
		/* against sorting: the quickselect must give GSL's quantile */
		gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
		double v[1001], s[1001];

		for (int k = 0; k < 1001; k++)
			v[k] = s[k] = gsl_rng_uniform(r);
		gsl_sort(s, 1, 1001);
		gsl_rng_free(r);
		for (double f = 0; f <= 1.0001; f += 0.0137) {
			double want = gsl_stats_quantile_from_sorted_data(s, 1, 1001, f > 1 ? 1 : f);

			near(stats__quantile_select(v, 1001, f > 1 ? 1 : f), want, 1e-15, "quantile_select");
		}
	}
}

/*
 * Coverage, by simulation with a fixed seed: STUDIES studies of two independent
 * samples (n = 30 each, gamma shape 4, i.e. skewed like run times, skewness 1),
 * true ratio of means 1.5, a 95% interval from B = 1000 resamples each.
 *
 * What coverage to expect: any bootstrap interval of a mean is too narrow by
 * the plug-in variance (divisor n, not n - 1) and z in place of t. For this
 * ratio (both samples with the same coefficient of variation, so a pooled
 * variance with 2n - 2 degrees of freedom) that gives
 *     p0 = P(|T_{2n-2}| < z_0.975 * sqrt((n - 1) / n)) = 0.9412 at n = 30,
 * independently of the code under test. BCa corrects skewness and bias to
 * second order, so its coverage should lie within DELTA = 1 point of p0 (the
 * higher-order terms: the ratio's curvature, the kurtosis of the gamma).
 *
 * Acceptance band, from the binomial distribution of the number of covering
 * studies: at least the 0.0005 quantile of Binomial(STUDIES, p0 - DELTA) and at
 * most the 0.9995 quantile of Binomial(STUDIES, p0 + DELTA). A method whose
 * true coverage is in [p0 - DELTA, p0 + DELTA] fails with probability below
 * 0.1%; with 8000 studies the band is about [92.2%, 95.9%], so intervals of
 * the wrong level (90%, 97.5%) or a wrong tail (coverage under 92% or above
 * 96%) fail almost surely (binomial sd 0.27 points). The percentile interval
 * (first-order only) is held to the same band: at this skewness its error
 * is within the allowance.
 */
#define STUDIES 8000
#define DELTA 0.01

/* the band [lo, hi] of covering studies out of n, as above */
static void coverage_band(int n, double p0, double delta, int *lo, int *hi)
{
	*lo = 0;
	while (*lo < n && gsl_cdf_binomial_P((unsigned)*lo, p0 - delta, (unsigned)n) <= 0.0005)
		(*lo)++;
	*hi = n;
	while (*hi > 0 && gsl_cdf_binomial_Q((unsigned)(*hi - 1), p0 + delta, (unsigned)n) <= 0.0005)
		(*hi)--;
}

static void test_coverage(void)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	enum { N = 30 };
	double x[N], y[N];
	int cover_bca = 0, cover_pct = 0, lo, hi;
	double p0 = 2 * gsl_cdf_tdist_P(gsl_cdf_ugaussian_Pinv(0.975) * sqrt((N - 1.0) / N), 2 * N - 2) - 1;

	coverage_band(STUDIES, p0, DELTA, &lo, &hi);
	/* the band itself, against the normal approximation of the binomial */
	CHECKF(fabs(lo - STUDIES * (p0 - DELTA) + 3.29 * sqrt(STUDIES * (p0 - DELTA) * (1 - p0 + DELTA))) < 3 &&
		       fabs(hi - STUDIES * (p0 + DELTA) - 3.29 * sqrt(STUDIES * (p0 + DELTA) * (1 - p0 - DELTA))) < 3,
	       "binomial band [%d, %d] for p0 %.4f", lo, hi, p0);
	CHECKF(fabs(p0 - 0.9412) < 0.0005, "expected coverage p0 = %.4f", p0);
	gsl_rng_set(r, 12345);
	for (int s = 0; s < STUDIES; s++) {
		struct boot_ci ci;
		double ratio;

		for (int i = 0; i < N; i++) {
			x[i] = gsl_ran_gamma(r, 4, 1.5 / 4); /* mean 1.5 */
			y[i] = gsl_ran_gamma(r, 4, 1.0 / 4); /* mean 1 */
		}
		if (stats__ratio_ci(x, N, y, N, 1000, (unsigned long)s + 1, 0.95, &ratio, &ci)) {
			CHECKF(0, "ratio_ci failed in study %d", s);
			continue;
		}
		cover_bca += ci.bca_lo <= 1.5 && 1.5 <= ci.bca_hi;
		cover_pct += ci.pct_lo <= 1.5 && 1.5 <= ci.pct_hi;
	}
	gsl_rng_free(r);
	printf("bootstrap coverage of 95%% intervals in %d studies: BCa %.2f%%, percentile %.2f%%;"
	       " expected %.2f%%, band %.2f%%-%.2f%%\n",
	       STUDIES, 100.0 * cover_bca / STUDIES, 100.0 * cover_pct / STUDIES, 100 * p0, 100.0 * lo / STUDIES,
	       100.0 * hi / STUDIES);
	CHECKF(cover_bca >= lo && cover_bca <= hi, "BCa coverage %d/%d outside [%d, %d]", cover_bca, STUDIES, lo,
	       hi);
	CHECKF(cover_pct >= lo && cover_pct <= hi, "percentile coverage %d/%d outside [%d, %d]", cover_pct, STUDIES,
	       lo, hi);
	{
		/* same seed, same interval: the bootstrap is reproducible */
		struct boot_ci a, b;
		double ra, rb;

		stats__ratio_ci(x, 30, y, 30, 500, 7, 0.95, &ra, &a);
		stats__ratio_ci(x, 30, y, 30, 500, 7, 0.95, &rb, &b);
		CHECKF(!memcmp(&a, &b, sizeof(a)), "same seed gives the same interval");
	}
}

/*
 * The one-pass interval must be the two-pass one exactly: on a near-normal
 * distribution and a skewed one (the gathered tails serve), one whose
 * jackknife overstates the spread tenfold (nothing is gathered: it falls
 * back), and with a scale and non-finite resamples among the values.
 */
static void test_boot_ci_of(void)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	enum { B = 2000, N = 30 };
	static double boot[B], scale[B], prod[B], work[2 * B];
	double jh[N], je[N];

	gsl_rng_set(r, 99);
	/* kind 4: values on a coarse grid, so that order statistics repeat */
	for (int kind = 0; kind < 5; kind++) {
		double theta = 2.0, spread = kind == 2 ? 1.0 : 0.1;
		const double *jack[2] = { jh, je };
		size_t n[2] = { N, N };
		struct boot_ci a, b;
		int ra, rb;

		for (int i = 0; i < B; i++) {
			boot[i] = kind == 1 ? theta * gsl_ran_lognormal(r, 0, 0.8) : theta + gsl_ran_gaussian(r, 0.1);
			if (kind == 4)
				boot[i] = theta + 0.025 * round((boot[i] - theta) / 0.025);
			scale[i] = kind == 3 ? 1 + gsl_ran_gaussian(r, 0.05) : 1;
		}
		if (kind == 3)
			boot[7] = boot[1500] = NAN, scale[99] = INFINITY;
		/* leave-one-out estimates with a standard error of about spread */
		for (int i = 0; i < N; i++) {
			jh[i] = theta + gsl_ran_gaussian(r, spread / sqrt(2.0 * (N - 1)));
			je[i] = theta + gsl_ran_gaussian(r, spread / sqrt(2.0 * (N - 1)));
		}
		for (int i = 0; i < B; i++)
			prod[i] = boot[i] * scale[i];
		ra = stats__boot_ci_of(boot, kind == 3 ? scale : NULL, B, theta, jack, n, 2, 0.95, work, &a);
		rb = stats__boot_ci(prod, B, theta, jack, n, 2, 0.95, &b);
		CHECKF(ra == rb && !memcmp(&a, &b, sizeof(a)),
		       "one-pass interval, case %d: [%.17g, %.17g] against [%.17g, %.17g]", kind, a.bca_lo,
		       a.bca_hi, b.bca_lo, b.bca_hi);
		CHECKF(ra == 0 && a.bca_lo < a.bca_hi, "case %d has an interval", kind);
	}
	gsl_rng_free(r);
}

int main(int argc, char **argv)
{
	gsl_set_error_handler_off();
	if (argc != 2) {
		fprintf(stderr, "usage: test_numeric LONGLEY_FILE\n");
		return 2;
	}
	test_t();
	test_ranks();
	test_bh();
	test_longley(argv[1]);
	test_robust_loo();
	test_fit_drops_terms();
	test_wmedian_warmup();
	test_coverage();
	test_boot_ci_of();
	return check_exit();
}
