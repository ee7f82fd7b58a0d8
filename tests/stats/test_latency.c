/*
 * test_latency.c - latency distributions with known quantiles: exponential
 * and lognormal draws (seeded) whose true p50/p99 and ratios are known in
 * closed form, recovered within the bootstrap CIs; the KS test telling one
 * distribution from itself and from a shifted one; and the whole path
 * through a store (store__latency_add, stats__run, latency_compare rows).
 *
 * usage: test_stats_latency DIR (a scratch directory for the store)
 */
#include "check.h"
#include "stats.h"
#include "store.h"
#include "common.h"
#include "latency_fill.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <string.h>
#include <unistd.h>

#define RUNS 5
#define PER_RUN 20000

enum dist { EXPO, LOGNORMAL };

/* RUNS runs of PER_RUN draws, scale multiplying every value. */
static void draw(struct latency_set *s, double **runs, gsl_rng *r, enum dist d, double scale)
{
	s->runs = RUNS;
	s->n = RUNS * PER_RUN;
	s->run_n = xmalloc(RUNS * sizeof(*s->run_n));
	s->pooled = xmalloc(s->n * sizeof(double));
	for (int k = 0; k < RUNS; k++) {
		runs[k] = xmalloc(PER_RUN * sizeof(double));
		for (int i = 0; i < PER_RUN; i++)
			runs[k][i] = scale * (d == EXPO ? gsl_ran_exponential(r, 10e3) : gsl_ran_lognormal(r, log(20e3), 0.5));
		latency__sort(runs[k], PER_RUN);
		memcpy(s->pooled + (size_t)k * PER_RUN, runs[k], PER_RUN * sizeof(double));
		s->run_n[k] = PER_RUN;
	}
	s->run = (const double **)runs;
	latency__sort(s->pooled, s->n);
}

static void set_free(struct latency_set *s, double **runs)
{
	for (int k = 0; k < RUNS; k++)
		free(runs[k]);
	free(s->run_n);
	free(s->pooled);
}

static double true_q(enum dist d, double q, double scale)
{
	return scale * (d == EXPO ? -10e3 * log(1 - q) : exp(log(20e3) + 0.5 * gsl_cdf_ugaussian_Pinv(q)));
}

static void planted(gsl_rng *r, enum dist d, double ratio)
{
	static const double q[] = { 0.5, 0.99 };
	struct latency_set e, h;
	double *re[RUNS], *rh[RUNS], lo[2], hi[2], p;

	draw(&e, re, r, d, 1);
	draw(&h, rh, r, d, ratio);
	for (int j = 0; j < 2; j++) {
		double est = latency__quantile(e.pooled, e.n, q[j]), want = true_q(d, q[j], 1);

		/* 10^5 draws: p50 within 2 %, p99 within 6 % of the true quantile */
		CHECKF(fabs(est / want - 1) < (j ? 0.06 : 0.02), "%s q%.2f: %g, true %g",
		       d == EXPO ? "exponential" : "lognormal", q[j], est, want);
	}
	CHECK(!latency__ratio_ci(&e, &h, q, 2, 1000, 0.95, 7, lo, hi));
	for (int j = 0; j < 2; j++)
		CHECKF(lo[j] <= ratio && ratio <= hi[j] && hi[j] / lo[j] < 1.3,
		       "%s ratio of q%.2f: [%g, %g] should hold %g", d == EXPO ? "exponential" : "lognormal", q[j],
		       lo[j], hi[j], ratio);
	/* the same distribution against itself: KS does not reject */
	latency__ks(e.pooled, e.n, e.pooled, e.n, &p);
	CHECKF(p > 0.99, "KS of a sample against itself: p %g", p);
	if (ratio != 1) {
		double d_ks = latency__ks(e.pooled, e.n, h.pooled, h.n, &p);

		CHECKF(p < 1e-9 && d_ks > 0.1, "KS of scaled samples: D %g p %g", d_ks, p);
	}
	set_free(&e, re);
	set_free(&h, rh);
}

/* Two halves of one distribution: KS p-value is not small (5 seeds, at most one below 0.05). */
static void ks_null(gsl_rng *r)
{
	int low = 0;

	for (int k = 0; k < 5; k++) {
		double a[4000], b[4000], p;

		for (int i = 0; i < 4000; i++) {
			a[i] = gsl_ran_lognormal(r, 0, 1);
			b[i] = gsl_ran_lognormal(r, 0, 1);
		}
		latency__sort(a, 4000);
		latency__sort(b, 4000);
		latency__ks(a, 4000, b, 4000, &p);
		low += p < 0.05;
	}
	CHECKF(low <= 1, "KS rejected %d of 5 samples of the same distribution", low);
}

/* The radix sort against qsort's order, with negative values and ties. */
static void sort_check(gsl_rng *r)
{
	size_t n = 50000;
	double *v = xmalloc(n * sizeof(*v));
	int ok = 1;

	for (size_t i = 0; i < n; i++)
		v[i] = i % 7 ? gsl_ran_gaussian(r, 1e4) : (double)(i % 100);
	latency__sort(v, n);
	for (size_t i = 1; i < n; i++)
		ok &= v[i - 1] <= v[i];
	CHECK(ok);
	CHECK(latency__quantile(v, n, 1) == v[n - 1] && latency__quantile(v, n, 0) == v[0]);
	free(v);
}

static double q1(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	double v = NAN;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Through the store: hardware 3x the emulation's lognormal latencies. */
static void through_store(gsl_rng *r, const char *dir)
{
	char *path = xasprintf("%s/latency.db", dir);
	struct store *s;
	struct stats_options o;

	unlink(path);
	s = store__open(path, STORE_CREATE);
	CHECK(s != NULL);
	if (!s)
		goto out;
	CHECK(!latency_fill(s, "lat", RUNS, PLAT_CONSOLE, PER_RUN, 3, 0.5, "m:5->6#1", "lat_timer_sbi_ns", r));
	stats_options__init(&o);
	o.quiet = 1;
	o.resamples = 500;
	CHECK(!stats__run(s->db, path, &o, NULL));
	CHECK_EQ_INT(q1(s, "SELECT count(*) FROM latency_quantile"), 2);
	CHECK_EQ_INT(q1(s, "SELECT n FROM latency_quantile WHERE platform = 'console'"), RUNS * PER_RUN);
	CHECK_NEAR(q1(s, "SELECT p50 FROM latency_quantile WHERE platform = 'qemu-system'"), 20e3, 0.02);
	CHECK_EQ_INT(q1(s, "SELECT count(*) FROM latency_compare WHERE stat IN ('p50', 'p99')"
			   " AND verdict = 'underestimates' AND ci_lo <= 3 AND 3 <= ci_hi"), 2);
	CHECK(q1(s, "SELECT max(ks_p) FROM latency_compare") < 1e-9);
out:
	store__close(s);
	free(path);
}

int main(int argc, char **argv)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

	gsl_rng_set(r, 20261207);
	sort_check(r);
	planted(r, EXPO, 2);
	planted(r, LOGNORMAL, 3);
	planted(r, LOGNORMAL, 1);
	ks_null(r);
	if (argc > 1)
		through_store(r, argv[1]);
	gsl_rng_free(r);
	return check_exit();
}
