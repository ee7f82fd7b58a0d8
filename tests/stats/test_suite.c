/*
 * test_suite.c - the suite-level analysis (stats/suite.c) and comparisons
 * that cannot differ, on planted suites.
 *
 * Each workload is one timed region ("start", m:1->2#1) holding all of its
 * cost, as a benchmark suite's board-support file makes it. Hardware time is
 * k_i ns per emulated instruction and QEMU host time q_i ns, times 1 + 1%
 * noise:
 *  - planted: seven CPU-bound workloads (k = 1, q = 3) and one memory-bound
 *    "chase" (k = 3, q = 6). References in closed form: the robust factor of
 *    chase is k_chase / k_cpu = 3 for the instruction share and
 *    (k/q)_chase / (k/q)_cpu = 1.5 for QEMU host time; its share factor is
 *    3 E / (E + 2 E_chase) for the instruction share; QEMU's suite slowdown
 *    is the geometric mean of q_i / k_i = 3^(7/8) 2^(1/8); the rank
 *    correlations of hardware time with instructions are those of the
 *    noise-free costs, computed here from ranks (no GSL). Only chase is
 *    flagged: by both predictors and baselines, for the whole runs and for
 *    the "start" regions (8 suite findings).
 *  - null: the same suite with chase CPU-bound too: nothing flagged.
 * Both: every region-level finding is not informative (one region per
 * workload), never 'agrees', and the study's verdict words stay the four.
 *
 * usage: test_suite SCRATCH_DIR
 */
#include "stats.h"
#include "store.h"
#include "check.h"
#include "query.h"
#include "common.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NW 8
#define RUNS 10

static gsl_rng *rng;
static const double insns[NW] = { 4e8, 1.5e8, 7e8, 2.5e8, 5e8, 9e8, 3e8, 6e8 };
static const char *const names[NW] = { "aes", "chase", "crc", "dhry", "fft", "lu", "md5", "sort" };

static double k_hw(int i, int planted)
{
	return planted && i == 1 ? 3 : 1;
}

static double q_emu(int i, int planted)
{
	return planted && i == 1 ? 6 : 3;
}

static void fill(struct store *s, int planted)
{
	store__begin(s);
	for (int i = 0; i < NW; i++) {
		int64_t w = store__workload(s, names[i], "x86_64", NULL, NULL);
		int64_t reg = store__region(s, w, "m:1->2#1", "start");

		for (int side = 0; side < 2; side++)
			for (int k = 0; k < RUNS; k++) {
				struct run_info ri = { w, side ? "hw" : "qemu-user", "{}", k, "ok", 0, -1, NULL };
				int64_t run = store__run_add(s, &ri);

				if (!side) {
					double q = insns[i] * q_emu(i, planted) * (1 + gsl_ran_gaussian(rng, 0.01));

					store__region_metric_set(s, run, reg, "insns", insns[i]);
					store__region_metric_set(s, run, reg, "qemu_host_ns", q);
					store__run_metric_set(s, run, "insns", insns[i]);
					store__run_metric_set(s, run, "qemu_host_ns", q);
				} else {
					double t = insns[i] * k_hw(i, planted) * (1 + gsl_ran_gaussian(rng, 0.01));

					store__region_metric_set(s, run, reg, "time_ns", t);
					store__run_metric_set(s, run, "time_ns", t);
				}
			}
	}
	store__commit(s);
}

/* one number from the store (tests/lib/query.h) */
static double query_d(struct store *s, const char *sql)
{
	return test_query_d(s->db, "%s", sql);
}

/* factor, CI and verdict of one suite finding */
struct sf {
	double f, lo, hi;
	char verdict[32];
};

static void suite_finding(struct store *s, const char *scope, const char *wl, const char *pred,
			  const char *base, struct sf *out)
{
	sqlite3_stmt *st;
	char *sql = xasprintf("SELECT f.factor, f.ci_lo, f.ci_hi, f.verdict FROM suite_finding f"
			      " JOIN workload w ON w.id = f.workload_id WHERE f.scope = '%s' AND w.name = '%s'"
			      " AND f.predictor = '%s' AND f.baseline = '%s'",
			      scope, wl, pred, base);

	memset(out, 0, sizeof(*out));
	out->f = out->lo = out->hi = NAN;
	CHECK(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW) {
		out->f = sqlite3_column_double(st, 0);
		out->lo = sqlite3_column_double(st, 1);
		out->hi = sqlite3_column_double(st, 2);
		snprintf(out->verdict, sizeof(out->verdict), "%s", (const char *)sqlite3_column_text(st, 3));
	}
	sqlite3_finalize(st);
	free(sql);
}

/* mid-ranks without GSL */
static void ranks(const double *x, double *r, int n)
{
	for (int i = 0; i < n; i++) {
		double less = 0, eq = 0;

		for (int j = 0; j < n; j++) {
			less += x[j] < x[i];
			eq += x[j] == x[i];
		}
		r[i] = less + (eq + 1) / 2;
	}
}

static double spearman_ref(const double *x, const double *y, int n)
{
	double rx[NW], ry[NW], d2 = 0;

	ranks(x, rx, n);
	ranks(y, ry, n);
	for (int i = 0; i < n; i++)
		d2 += (rx[i] - ry[i]) * (rx[i] - ry[i]);
	return 1 - 6 * d2 / ((double)n * ((double)n * n - 1)); /* no ties here */
}

static double kendall_ref(const double *x, const double *y, int n)
{
	double s = 0;

	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			s += ((x[i] > x[j]) - (x[i] < x[j])) * ((y[i] > y[j]) - (y[i] < y[j]));
	return s / (n * (n - 1) / 2.0);
}

static void check_not_informative(struct store *s)
{
	/* one region per workload: every region finding is not informative, none agrees */
	CHECK(query_d(s, "SELECT count(*) FROM finding") > 0);
	CHECK(query_d(s, "SELECT count(*) FROM finding WHERE verdict = 'agrees'") == 0);
	CHECK(query_d(s, "SELECT count(*) FROM finding WHERE informative = 1") == 0);
	CHECK(query_d(s, "SELECT count(*) FROM finding WHERE not_informative = 'whole_workload'"
			 " AND verdict = 'inconclusive' AND reason LIKE 'not informative:%'") ==
	      query_d(s, "SELECT count(*) FROM finding"));
}

static void check_planted(struct store *s)
{
	double E = 0, H[NW], Q[NW], sp, kt, slowdown = 1;
	struct sf f;

	for (int i = 0; i < NW; i++) {
		E += insns[i];
		H[i] = insns[i] * k_hw(i, 1);
		Q[i] = insns[i] * q_emu(i, 1);
		slowdown *= pow(q_emu(i, 1) / k_hw(i, 1), 1.0 / NW);
	}
	for (int u = 0; u < 2; u++) {
		const char *scope = u ? "region" : "run";

		/* chase: hardware spends 3x (robust) what the instruction share predicts */
		suite_finding(s, scope, "chase", "insns", "robust", &f);
		CHECKF(f.lo <= 3 && f.hi >= 3 && f.f > 2.8 && f.f < 3.2, "%s robust %g [%g, %g]", scope, f.f, f.lo, f.hi);
		CHECKF(!strcmp(f.verdict, "underestimates"), "%s chase robust: %s", scope, f.verdict);
		suite_finding(s, scope, "chase", "insns", "share", &f);
		{
			double ref = 3 * E / (E + 2 * insns[1]);

			CHECKF(f.lo <= ref && f.hi >= ref, "%s share %g [%g, %g] vs %g", scope, f.f, f.lo, f.hi, ref);
		}
		CHECKF(!strcmp(f.verdict, "underestimates"), "%s chase share: %s", scope, f.verdict);
		/* QEMU host time: 1.5x */
		suite_finding(s, scope, "chase", "qemu_time", "robust", &f);
		CHECKF(f.lo <= 1.5 && f.hi >= 1.5, "%s qemu robust %g [%g, %g]", scope, f.f, f.lo, f.hi);
		CHECKF(!strcmp(f.verdict, "underestimates"), "%s chase qemu: %s", scope, f.verdict);
		/* a CPU-bound workload: its share factor E / (E + 2 E_chase), within the band */
		suite_finding(s, scope, "lu", "insns", "share", &f);
		{
			double ref = E / (E + 2 * insns[1]);

			CHECKF(f.lo <= ref && f.hi >= ref && !strcmp(f.verdict, "agrees"), "%s lu share %g [%g, %g] %s",
			       scope, f.f, f.lo, f.hi, f.verdict);
		}
		suite_finding(s, scope, "lu", "insns", "robust", &f);
		CHECKF(!strcmp(f.verdict, "agrees"), "%s lu robust %s", scope, f.verdict);
	}
	CHECK(query_d(s, "SELECT count(DISTINCT workload_id) FROM suite_finding WHERE verdict IN"
			 " ('underestimates', 'overestimates')") == 1);
	/* rank agreement and the suite score, against the closed forms */
	sp = spearman_ref(insns, H, NW);
	kt = kendall_ref(insns, H, NW);
	CHECK_NEAR(query_d(s, "SELECT spearman FROM suite_summary WHERE scope = 'run' AND predictor = 'insns'"), sp,
		   1e-9);
	CHECK_NEAR(query_d(s, "SELECT kendall FROM suite_summary WHERE scope = 'run' AND predictor = 'insns'"), kt,
		   1e-9);
	CHECK(query_d(s, "SELECT spearman_lo FROM suite_summary WHERE scope = 'run' AND predictor = 'insns'") <= sp + 1e-9);
	CHECK(query_d(s, "SELECT spearman_hi FROM suite_summary WHERE scope = 'run' AND predictor = 'insns'") >= sp - 1e-9);
	CHECK(query_d(s, "SELECT score_lo FROM suite_summary WHERE scope = 'run' AND predictor = 'qemu_time'") <= slowdown);
	CHECK(query_d(s, "SELECT score_hi FROM suite_summary WHERE scope = 'run' AND predictor = 'qemu_time'") >= slowdown);
	CHECK_NEAR(query_d(s, "SELECT score FROM suite_summary WHERE scope = 'run' AND predictor = 'qemu_time'"),
		   slowdown, 0.02);
	CHECK(query_d(s, "SELECT flagged FROM suite_summary WHERE scope = 'run' AND predictor = 'insns'") == 1);
	/* the named region forms a unit of its own */
	CHECK(query_d(s, "SELECT count(*) FROM suite_summary WHERE scope = 'region' AND unit = 'start (m:1->2#1)'") == 2);
	(void)Q;
}

static void check_null(struct store *s)
{
	CHECK(query_d(s, "SELECT count(*) FROM suite_finding") == 2 * 2 * 2 * NW);
	CHECK(query_d(s, "SELECT count(*) FROM suite_finding WHERE verdict IN ('underestimates', 'overestimates')") == 0);
	CHECK(query_d(s, "SELECT count(*) FROM suite_finding WHERE baseline = 'robust' AND verdict = 'agrees'") ==
	      2 * 2 * NW);
	CHECK_NEAR(query_d(s, "SELECT spearman FROM suite_summary WHERE scope = 'run' AND predictor = 'insns'"), 1, 1e-12);
	CHECK_NEAR(query_d(s, "SELECT score FROM suite_summary WHERE scope = 'run' AND predictor = 'qemu_time'"), 3, 0.02);
}

/*
 * A unit of more workloads than the first 64 resample plans serve (two per
 * workload): the plans handed out before the list grows must stay valid
 * (ASan saw the old list's memory read after its realloc).
 */
static void check_many(const char *dir)
{
	enum { MANY = 40, MRUNS = 3 };
	char *path = xasprintf("%s/stats-suite-many.db", dir);
	struct stats_options o;
	struct store *s;

	unlink(path);
	s = store__open(path, STORE_CREATE);
	CHECK(s != NULL);
	if (!s) {
		free(path);
		return;
	}
	store__begin(s);
	for (int i = 0; i < MANY; i++) {
		char name[32];
		int64_t w;

		snprintf(name, sizeof(name), "w%02d", i);
		w = store__workload(s, name, "x86_64", NULL, NULL);
		for (int side = 0; side < 2; side++)
			for (int k = 0; k < MRUNS; k++) {
				struct run_info ri = { w, side ? "hw" : "qemu-user", "{}", k, "ok", 0, -1, NULL };
				int64_t run = store__run_add(s, &ri);
				double v = 1e6 * (i + 1) * (1 + gsl_ran_gaussian(rng, 0.01));

				store__run_metric_set(s, run, side ? "time_ns" : "insns", v);
				if (!side)
					store__run_metric_set(s, run, "qemu_host_ns", 3 * v);
			}
	}
	store__commit(s);
	stats_options__init(&o);
	o.quiet = 1;
	o.resamples = 200;
	CHECK(stats__run(s->db, s->path, &o, NULL) == 0);
	CHECKF(query_d(s, "SELECT count(*) FROM suite_finding WHERE scope = 'run'") == MANY * 2 * 2,
	       "%d workloads in one unit: every row", MANY);
	CHECK(query_d(s, "SELECT count(*) FROM suite_finding WHERE verdict IN ('underestimates', 'overestimates')") == 0);
	store__close(s);
	free(path);
}

int main(int argc, char **argv)
{
	gsl_set_error_handler_off();
	if (argc != 2) {
		fprintf(stderr, "usage: test_suite SCRATCH_DIR\n");
		return 2;
	}
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 7);
	for (int planted = 1; planted >= 0; planted--) {
		char *path = xasprintf("%s/stats-suite-%d.db", argv[1], planted);
		struct stats_options o;
		struct stats_summary sum;
		struct store *s;

		unlink(path);
		s = store__open(path, STORE_CREATE);
		CHECK(s != NULL);
		fill(s, planted);
		stats_options__init(&o);
		o.quiet = 1;
		CHECK(stats__run(s->db, s->path, &o, &sum) == 0);
		check_not_informative(s);
		if (planted)
			check_planted(s);
		else
			check_null(s);
		CHECKF(sum.suite_flagged == (planted ? 2u * 2 * 2 : 0u), "suite flagged %zu", sum.suite_flagged);
		store__close(s);
		free(path);
	}
	check_many(argv[1]);
	gsl_rng_free(rng);
	return check_exit();
}
