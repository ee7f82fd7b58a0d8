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
 * Then which runs each unit takes, and the same rows whatever the thread
 * count (check_sides).
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

/* every suite row, doubles in hex: equal strings are byte-identical results */
static char *snapshot(struct store *s)
{
	static const char *const sql[2] = { "SELECT * FROM suite_finding ORDER BY id",
					    "SELECT * FROM suite_summary ORDER BY scope, unit, predictor" };
	size_t len = 0, cap = 4096;
	char *out = xmalloc(cap);

	out[0] = 0;
	for (int t = 0; t < 2; t++) {
		sqlite3_stmt *st;

		CHECK(sqlite3_prepare_v2(s->db, sql[t], -1, &st, NULL) == SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW)
			for (int c = 0; c < sqlite3_column_count(st); c++) {
				char cell[512];

				if (sqlite3_column_type(st, c) == SQLITE_FLOAT)
					snprintf(cell, sizeof(cell), "%a|", sqlite3_column_double(st, c));
				else if (sqlite3_column_type(st, c) == SQLITE_NULL)
					snprintf(cell, sizeof(cell), "N|");
				else
					snprintf(cell, sizeof(cell), "%s|", (const char *)sqlite3_column_text(st, c));
				while (len + strlen(cell) + 1 > cap)
					out = xrealloc(out, cap *= 2);
				memcpy(out + len, cell, strlen(cell) + 1);
				len += strlen(cell);
			}
		sqlite3_finalize(st);
	}
	return out;
}

/* runs of one workload: n ok on platform, and one more of status extra (NULL: none) */
static void side_runs(struct store *s, int64_t w, const char *plat, int n, const char *extra, int64_t *reg,
		      int nreg, int skip_region, int skip_run)
{
	int emu = !strncmp(plat, "qemu", 4);

	for (int k = 0; k < n + (extra != NULL); k++) {
		struct run_info ri = { w, plat, "{}", k, k < n ? "ok" : extra, 0, -1, NULL };
		int64_t run = store__run_add(s, &ri);
		double v = 1e6 * (1 + gsl_ran_gaussian(rng, 0.02)), tot = 0;

		for (int r = 0; r < nreg; r++) {
			if (r == skip_region && (skip_run < 0 || k == skip_run))
				continue;
			if (emu) {
				store__region_metric_set(s, run, reg[r], "insns", v);
				store__region_metric_set(s, run, reg[r], "qemu_host_ns", 3 * v);
			} else {
				store__region_metric_set(s, run, reg[r], "time_ns", v);
			}
			tot += v;
		}
		store__run_metric_set(s, run, emu ? "insns" : "time_ns", tot);
		if (emu)
			store__run_metric_set(s, run, "qemu_host_ns", 3 * tot);
	}
}

/* n_emu and n_hw of workload wl's rows in unit (all four alike), -1 when it has none */
static void side_counts(struct store *s, const char *unit, const char *wl, int *n_emu, int *n_hw)
{
	char *q = xasprintf("SELECT count(*) FROM suite_finding f JOIN workload w ON w.id = f.workload_id"
			    " WHERE f.unit = '%s' AND w.name = '%s'", unit, wl);
	double rows = query_d(s, q);

	free(q);
	*n_emu = *n_hw = -1;
	if (rows != 4)
		return;
	q = xasprintf("SELECT min(n_emu) * (min(n_emu) = max(n_emu)) FROM suite_finding f JOIN workload w"
		      " ON w.id = f.workload_id WHERE f.unit = '%s' AND w.name = '%s'", unit, wl);
	*n_emu = (int)query_d(s, q);
	free(q);
	q = xasprintf("SELECT min(n_hw) * (min(n_hw) = max(n_hw)) FROM suite_finding f JOIN workload w"
		      " ON w.id = f.workload_id WHERE f.unit = '%s' AND w.name = '%s'", unit, wl);
	*n_hw = (int)query_d(s, q);
	free(q);
}

/*
 * Which runs a unit takes (the region units come from the workload data the
 * engine loads, the whole runs from run_metric): the first emulation platform
 * in name order (qemu-system before qemu-user), its ok runs only, a run
 * without the region's value left out; the first hardware platform in name
 * order that has the value (hw before hw-kvm, hw-kvm when hw never measured
 * the region). A key with two names is two units; a name in one workload is
 * none. The same rows, byte for byte, with 1 and 3 threads; none with
 * no_suite, and the findings unchanged.
 */
static void check_sides(const char *dir)
{
	static const char *const wn[3] = { "a", "b", "c" };
	char *path = xasprintf("%s/stats-suite-sides.db", dir);
	struct stats_options o;
	struct stats_summary sum;
	struct store *s;
	char *one, *three;
	int ne, nh;

	unlink(path);
	s = store__open(path, STORE_CREATE);
	CHECK(s != NULL);
	store__begin(s);
	for (int i = 0; i < 3; i++) {
		int64_t w = store__workload(s, wn[i], "x86_64", NULL, NULL), reg[3];

		reg[0] = store__region(s, w, "m:1->2#1", "start");
		reg[1] = store__region(s, w, "m:2->3#1", i ? "y" : "x");
		reg[2] = store__region(s, w, "m:3->4#1", i ? NULL : "solo");
		side_runs(s, w, "qemu-user", 4, NULL, reg, 3, -1, -1);
		/* b: one qemu-system run without the start region's values */
		side_runs(s, w, "qemu-system", 3, "failed", reg, 3, i == 1 ? 0 : -1, 1);
		/* c: hw never measured the start region */
		side_runs(s, w, "hw", 5, "warmup", reg, 3, i == 2 ? 0 : -1, -1);
		side_runs(s, w, "hw-kvm", 4, NULL, reg, 3, -1, -1);
	}
	store__commit(s);
	stats_options__init(&o);
	o.quiet = 1;
	o.resamples = 300;
	o.threads = 1;
	CHECK(stats__run(s->db, s->path, &o, &sum) == 0);
	CHECK(query_d(s, "SELECT count(*) FROM suite_summary") == 3 * 2);
	CHECK(query_d(s, "SELECT count(*) FROM suite_summary WHERE unit IN"
			 " ('whole run', 'start (m:1->2#1)', 'y (m:2->3#1)')") == 3 * 2);
	for (int i = 0; i < 3; i++) {
		side_counts(s, "whole run", wn[i], &ne, &nh);
		CHECKF(ne == 3 && nh == 5, "whole run %s: %d emulation, %d hardware runs", wn[i], ne, nh);
		side_counts(s, "start (m:1->2#1)", wn[i], &ne, &nh);
		CHECKF(ne == (i == 1 ? 2 : 3) && nh == (i == 2 ? 4 : 5), "start %s: %d emulation, %d hardware runs",
		       wn[i], ne, nh);
		side_counts(s, "y (m:2->3#1)", wn[i], &ne, &nh);
		CHECKF(i ? ne == 3 && nh == 5 : ne < 0, "y %s: %d emulation, %d hardware runs", wn[i], ne, nh);
	}
	CHECK(query_d(s, "SELECT count(*) FROM suite_finding f JOIN region g ON g.id = f.region_id"
			 " WHERE f.scope = 'region' AND g.workload_id = f.workload_id"
			 " AND f.unit = g.name || ' (' || g.key || ')'") == (3 + 2) * 4);
	one = snapshot(s);
	o.threads = 3;
	CHECK(stats__run(s->db, s->path, &o, NULL) == 0);
	three = snapshot(s);
	CHECKF(!strcmp(one, three), "suite rows differ between 1 and 3 threads");
	o.no_suite = 1;
	{
		struct stats_summary none;

		CHECK(stats__run(s->db, s->path, &o, &none) == 0);
		CHECK(query_d(s, "SELECT count(*) FROM suite_finding") == 0);
		CHECK(query_d(s, "SELECT count(*) FROM suite_summary") == 0);
		CHECK(none.findings == sum.findings && none.flagged == sum.flagged && none.suite_flagged == 0);
	}
	free(one);
	free(three);
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
	check_sides(argv[1]);
	gsl_rng_free(rng);
	return check_exit();
}
