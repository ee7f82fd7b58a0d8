/*
 * stats.h - emudiff's statistics engine (GSL).
 *
 * Two layers:
 *  - pure numeric functions on arrays (descriptive statistics and Student-t
 *    intervals, rank correlations, bootstrap percentile and BCa intervals,
 *    Benjamini-Hochberg, warm-up detection, weighted median, linear cost
 *    model fits); each is tested against independently known values;
 *  - the engine, stats__run(), which reads a store through a `sqlite3 *`
 *    (schema of store/schema.c) and replaces the tables finding,
 *    region_stat, agreement, ab_compare, cost_model, server_compare, ... in one
 *    transaction.
 *
 * All functions are deterministic: the bootstrap draws from a GSL mt19937
 * generator seeded from the user's seed and the workload's name.
 */
#ifndef EMUDIFF_STATS_H
#define EMUDIFF_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sqlite3.h>

/* ---- descriptive statistics ------------------------------------------- */

struct describe {
	size_t n;
	double mean, median, sd, cv; /* sd: sample sd (n-1); cv = sd/mean */
	double ci_lo, ci_hi;         /* Student-t interval of the mean */
	size_t outliers;             /* outside Tukey's fences Q1-1.5IQR, Q3+1.5IQR */
};

/* Two-sided Student-t quantile: t such that P(|T_df| <= t) = confidence. */
double stats__t_quantile(double confidence, double df);
/* Summary of x[0..n) (NaN entries are skipped). sd, cv and CI are NaN when n < 2. */
void stats__describe(const double *x, size_t n, double confidence, struct describe *out);

/* ---- correlation and agreement ---------------------------------------- */

double stats__pearson(const double *x, const double *y, size_t n);
/* Spearman's rho with mid-ranks for ties. */
double stats__spearman(const double *x, const double *y, size_t n);
/* Kendall's tau-b (tie-corrected). NaN when either side is constant. */
double stats__kendall(const double *x, const double *y, size_t n);
/* Mean absolute percentage error of pred against meas, in percent (meas == 0 skipped). */
double stats__mape(const double *pred, const double *meas, size_t n);

/* ---- multiple testing --------------------------------------------------- */

/* Benjamini-Hochberg adjusted p-values (step-up, monotone, capped at 1). NaN p
 * values are passed through and do not count in n. */
void stats__bh_adjust(const double *p, size_t n, double *p_adj);

/* ---- bootstrap ----------------------------------------------------------- */

/*
 * A resample plan: for B resamples of n observations, counts[b*n + i] says how
 * often observation i is drawn in resample b. Sharing one plan among all the
 * regions of a workload keeps the within-invocation dependence of shares.
 */
struct boot_plan {
	size_t b, n;
	uint16_t *counts;
};
/* Draw a plan from a GSL mt19937 generator seeded with seed. n < 65536. */
int boot_plan__init(struct boot_plan *p, size_t b, size_t n, unsigned long seed);
void boot_plan__free(struct boot_plan *p);

/* Order statistic interpolated like gsl_stats_quantile_from_sorted_data, but
 * on unsorted data (x is permuted). */
double stats__quantile_select(double *x, size_t n, double f);

/*
 * Percentile and BCa intervals from a bootstrap distribution boot[0..B)
 * (permuted on return) around the estimate theta. The acceleration comes from
 * jackknife values: jack[k] holds the leave-one-out estimates of sample k
 * (n[k] of them), for nsamples independent samples (Efron's multi-sample
 * form). Returns 0, or -1 when the distribution is degenerate (intervals NaN).
 */
struct boot_ci {
	double pct_lo, pct_hi, bca_lo, bca_hi, z0, accel;
};
int stats__boot_ci(double *boot, size_t b, double theta, const double *const *jack,
		   const size_t *n, size_t nsamples, double confidence, struct boot_ci *out);
/*
 * The same intervals of boot[i] * scale[i] (scale NULL: of boot[i]), boot left
 * as it is, in one pass: the jackknife's standard error places the tails, and
 * the levels are selected among the values gathered there. work
 * (2b doubles) is scratch space; the result is the same.
 */
int stats__boot_ci_of(const double *boot, const double *scale, size_t b, double theta,
		      const double *const *jack, const size_t *n, size_t nsamples, double confidence,
		      double *work, struct boot_ci *out);

/*
 * The exact (Clopper-Pearson) interval of a binomial proportion with k
 * successes out of n at the given confidence: lo = 0 when k = 0, hi = 1 when
 * k = n (stats/sampled.c, GSL's beta quantiles).
 */
void stats__clopper_pearson(double k, double n, double confidence, double *lo, double *hi);

/* Bootstrap CI of mean(x)/mean(y), x and y independent samples; for tests and
 * whole-run A/B ratios. */
int stats__ratio_ci(const double *x, size_t nx, const double *y, size_t ny, size_t b,
		    unsigned long seed, double confidence, double *ratio, struct boot_ci *out);
/* The same with given plans (px->n == nx, py->n == ny, px->b == py->b): many
 * ratios over the same runs (the regions of an A/B pair) share one plan. */
int stats__ratio_ci_plans(const double *x, size_t nx, const double *y, size_t ny,
			  const struct boot_plan *px, const struct boot_plan *py, double confidence,
			  double *ratio, struct boot_ci *out);

/* BCa bootstrap CI of the mean of x[0..n) under plan p (p->n == n), the
 * acceleration from the jackknife: one side of a two-sample comparison drawn
 * with the plan its ratio uses (stats__ratio_ci_plans). 0, or -1 when n < 2 or
 * the distribution is degenerate; *mean is set whenever n >= 2. */
int stats__mean_ci_plan(const double *x, size_t n, const struct boot_plan *p, double confidence, double *mean,
			struct boot_ci *out);

/*
 * The tolerance band's verdict on the interval [lo, hi] of a factor hardware /
 * emulation (findings' and latency's direction): above t "underestimates"
 * (hardware's value is larger than emulation's), below 1/t "overestimates",
 * inside [1/t, t] "agrees"; otherwise, or when !usable or an end is not
 * finite, "inconclusive" (stats/band.c).
 */
const char *stats__band_verdict(double lo, double hi, double t, int usable);

/* ---- robust centre, warm-up ------------------------------------------- */

/* Weighted median (lower weighted median: smallest x whose cumulative weight
 * reaches half the total). Non-positive weights and NaN x are ignored.
 * scratch holds 2n doubles or is NULL. NaN when no usable entry. */
double stats__weighted_median(const double *x, const double *w, size_t n, double *scratch);

/*
 * Warm-up of a sequence of within-run repetitions x[0..n) (occurrences #1..#n
 * of one marker pair): the final half is the steady-state reference; steady
 * state starts at the first occurrence k whose mean of x[k..n] lies within
 * the Student-t interval (confidence) of the final half's mean. Returns that
 * 1-based k (1: no warm-up), or 0 when n < 4 (not judged).
 */
size_t stats__warmup(const double *x, size_t n, double confidence);

/* ---- linear cost model -------------------------------------------------- */

#define STATS_FIT_MAX_TERMS 16

struct linfit {
	size_t n, p, rank;          /* observations, terms kept, numerical rank */
	const char *term[STATS_FIT_MAX_TERMS];
	size_t col[STATS_FIT_MAX_TERMS]; /* column of the original X for each kept term */
	double coef[STATS_FIT_MAX_TERMS], se[STATS_FIT_MAX_TERMS];
	double ci_lo[STATS_FIT_MAX_TERMS], ci_hi[STATS_FIT_MAX_TERMS];
	double r2, resid_sd, cv_rmse; /* cv_rmse: leave-one-out RMSE (see fit.c) */
	int robust;
};
/*
 * Linear fit y ~ X (row-major n x p, column j named term[j]; include a
 * column of ones named "intercept" for an intercept). Columns that are
 * absent (all NaN or zero) or constant besides an intercept are dropped
 * first; GSL's truncated-SVD least squares gives the solution and the rank.
 * robust: then refit with GSL's bisquare robust regression
 * (gsl_multifit_robust), so that a few deviating observations (regions) do
 * not bend the model. Coefficient CIs are Student-t with n - p degrees of
 * freedom on the fit's covariance; NaN when the rank is not full.
 * R^2 = 1 - SSE/TSS (TSS centred when has_intercept). Returns 0, or -1 (too
 * few observations for the remaining terms; out->p tells what was kept).
 */
int stats__linfit(const double *X, const double *y, size_t n, size_t p, const char *const *term,
		  int has_intercept, int robust, double confidence, struct linfit *out);
/* Prediction of a fit for one row x laid out as in the original X (dropped
 * columns ignored, NaN read as 0). */
double linfit__predict(const struct linfit *f, const double *x);

/* ---- latency distributions (latency_math.c, latency.c) ----------------- */

/* The samples of one platform: each run's values sorted, and all pooled sorted. */
struct latency_set {
	size_t runs, n;
	const double **run; /* run[r][run_n[r]], ascending */
	size_t *run_n;
	double *pooled;     /* [n], ascending */
};
/* A latency_sample blob (n little-endian doubles, store/latency.c) into out[n]; -1 when
 * it is not n values. */
int latency__unpack(const void *blob, size_t bytes, double *out, size_t n);
/* Sort ascending (radix sort of the IEEE bit patterns above 4096 values). */
void latency__sort(double *v, size_t n);
/* The k-th smallest of sorted[n], k = ceil(q n) clamped to 1..n; NaN when n = 0. */
double latency__quantile(const double *sorted, size_t n, double q);
/* Percentile bootstrap CI of hw quantile / emu quantile, for each q[j]
 * (nq <= 8), resampling runs and events (Beta order statistics); 0 or -1. */
int latency__ratio_ci(const struct latency_set *emu, const struct latency_set *hw, const double *q, size_t nq,
		      size_t b, double confidence, unsigned long seed, double *lo, double *hi);
/* Two-sample Kolmogorov-Smirnov D of sorted a and b, *p its asymptotic p-value. */
double latency__ks(const double *a, size_t na, const double *b, size_t nb, double *p);

/* ---- the engine --------------------------------------------------------- */

struct stats_options {
	double tolerance;   /* t > 1: agreement band [1/t, t] for factors */
	double confidence;  /* e.g. 0.95 */
	unsigned long seed; /* bootstrap seed (recorded in meta) */
	size_t resamples;   /* bootstrap resamples, e.g. 2000 */
	const char *metric; /* NULL: cycles when every hardware run has it, else time_ns */
	int quiet;          /* no progress lines */
	int threads;        /* 0: one per online CPU; results do not depend on it */
	int no_suite;       /* benchmarks only: leave the suite tables empty (bench/stats-scale) */
};

struct stats_summary {
	/* regions: regions compared (with a primary finding, PRIMARY_FINDING_SQL); findings:
	 * rows of finding; flagged: regions whose primary finding is flagged */
	size_t workloads, regions, findings, flagged, ab_pairs, flips;
	size_t region_flips; /* A/B flips of common regions (flips: whole runs) */
	size_t prefetched;   /* workloads loaded on a second connection while another computed */
	size_t suite_flagged; /* suite-level findings flagged (stats/suite.c) */
	int64_t suite_ns;     /* wall time spent in the suite analysis (bench/stats-scale) */
	/* client-server workloads compared (stats/server.c), their rows of
	 * server_compare, and the rows beyond the tolerance */
	size_t servers, server_metrics, server_flagged;
	/* booted workloads compared (stats/boot.c), their boot latencies (rows of
	 * server_compare of kind boot), and the rows beyond the tolerance */
	size_t boots, boot_metrics, boot_flagged;
};

/* Fill o with the defaults (1.25, 0.95, seed 1, 2000 resamples). */
void stats_options__init(struct stats_options *o);

/*
 * Compute everything for every workload of the store and replace the result
 * tables in one transaction. Returns 0, or -1 after a one-line error naming
 * path (the store's file, for messages) with nothing changed in the store.
 */
int stats__run(sqlite3 *db, const char *path, const struct stats_options *o,
	       struct stats_summary *sum);

/*
 * The statements the engine runs on region_metric (?1: a workload id),
 * NULL-terminated: tests/store/test_plans.c checks that each reaches the
 * table through run_id, its primary key's prefix, since it has no index on
 * region_id.
 */
extern const char *const stats__region_metric_sql[];

/* Latency quantiles per platform and emulation against hardware (latency.c),
 * inside stats__run's transaction: replaces latency_quantile and
 * latency_compare. 0, or -1 after an error naming path. */
int stats__latency(sqlite3 *db, const char *path, const struct stats_options *o);

#endif
