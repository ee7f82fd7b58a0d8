/*
 * test_threads.c - threads in stats (stats/threads.c) on a planted store
 * whose per-thread costs are known, every expected value worked out by hand.
 *
 * Workload "thr": threads 0 and 1 hit markers 1 2 3, thread 2 hits 1 2; two
 * QEMU runs (identical) and two hardware runs h0, h1. Costs per region and
 * thread (QEMU insns; QEMU host ns = insns / 10; hardware ns):
 *
 *              QEMU          h0              h1
 *   1->2   100 200 300   100 100 400    100 300 200    (threads 0 1 2)
 *   2->3   100 100       100 300        100 500        (threads 0 1)
 *
 * With two runs a side, a bootstrap resample holds h0 twice, h1 twice or
 * both (probabilities 1/4, 1/4, 1/2), so each percentile bound (95%) is the
 * statistic of one of those three samples: the smallest and the largest.
 *
 *  - 1->2: imbalance = max / mean of the per-thread means. QEMU 300/200 =
 *    1.5 in every resample. Hardware: h0 alone 400/200 = 2, h1 alone
 *    300/200 = 1.5, both (100, 200, 300) 1.5: point 1.5 [1.5, 2], busiest
 *    thread 2. Hardware / QEMU 1 [1, 4/3]: not inside [0.8, 1.25],
 *    inconclusive.
 *  - 2->3: QEMU 100/100 = 1. Hardware h0 300/200 = 1.5, h1 500/300 = 5/3,
 *    both (100, 400) 400/250 = 1.6: 1.6 [1.5, 5/3], thread 1; the ratio's
 *    interval lies above 1.25: QEMU underestimates the imbalance.
 *  - the whole run (thread_metric): QEMU insns 1000 2000 1000 in both runs;
 *    hardware time h0 1000 1000 2000, h1 2000 1000 1000. Imbalance: QEMU
 *    2000/(4000/3) = 1.5; hardware both (1500, 1000, 1500) 1.125, h0 or h1
 *    alone 1.5: 1.125 [1.125, 1.5], busiest thread 0 (the first of a tie);
 *    ratio 0.75 [0.75, 1], inconclusive. Shares: QEMU 1/4 1/2 1/4;
 *    hardware thread 0: h0 1/4, h1 1/2, both 3/8: 3/8 [1/4, 1/2], factor
 *    1.5 [1, 2] inconclusive; thread 1: 1/4 in every run, factor 1/2
 *    [1/2, 1/2]: QEMU overestimates its share; thread 2 as thread 0.
 *  - per-thread regions are compared like any region: m:1->2#1@t2's
 *    instruction share is 300/800 in both QEMU runs, its hardware share
 *    400/1000 in h0 and 200/1200 in h1: share factor (0.4 + 1/6) / 2 / 0.375.
 *
 * Workload "loops": two threads each run the pair 1->2 four times at a
 * constant cost: each thread's m:1->2#1 gets its warm-up judged (1: none).
 * Workload "solo": one thread, no thread rows at all.
 * Workloads "ab-a" and "ab-b" (an A/B pair, marker names from MARKED_ELF):
 * threads 0 and 1 run setup->compute; thread 1 of A runs 200 instructions,
 * of B 50, thread 0 100 in both: the pair's region m:1->2#1@t1 is matched
 * to B's m:1->2#1@t1 (emulation ratio 4), not to B's thread 0 (2).
 *
 * usage: test_threads SCRATCH_DIR MARKED_ELF (KEEP=1 in the environment keeps the store)
 */
#include "align.h"
#include "stats.h"
#include "store.h"
#include "check.h"
#include "query.h"
#include "common.h"

#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct store *s;
static int64_t seq;

/* Thread t's hits of ids[0..n): cumulative insns (NULL: none) and time. */
static void hits(int64_t run, int t, const int *ids, const int64_t *insns, const int64_t *time, int n)
{
	for (int i = 0; i < n; i++)
		CHECK(store__mark_add(s, run, seq++, t, ids[i], insns ? insns[i] : -1, time[i]) == 0);
}

static int64_t run(int64_t w, const char *platform, int rep)
{
	struct run_info ri = { w, platform, "{}", rep, "ok", 0, 1, NULL };

	seq = 0;
	return store__run_add(s, &ri);
}

static const int ids3[] = { 1, 2, 3 }, ids2[] = { 1, 2 };

static int64_t thr_workload(void)
{
	static const int64_t qi[3][3] = { { 0, 100, 200 }, { 0, 200, 300 }, { 0, 300 } };
	static const int64_t qt[3][3] = { { 0, 10, 20 }, { 0, 20, 30 }, { 0, 30 } };
	static const int64_t ht[2][3][3] = { { { 0, 100, 200 }, { 0, 100, 400 }, { 0, 400 } },
					     { { 0, 100, 200 }, { 0, 300, 800 }, { 0, 200 } } };
	static const double tm_q[3] = { 1000, 2000, 1000 }, tm_h[2][3] = { { 1000, 1000, 2000 }, { 2000, 1000, 1000 } };
	int64_t w = store__workload(s, "thr", "x86_64", NULL, "[]");

	for (int r = 0; r < 2; r++) {
		int64_t q = run(w, "qemu-user", r);

		for (int t = 0; t < 3; t++) {
			hits(q, t, t < 2 ? ids3 : ids2, qi[t], qt[t], t < 2 ? 3 : 2);
			CHECK(store__thread_add(s, q, t, 100 + t, "thread") == 0);
			CHECK(store__thread_metric_set(s, q, t, "insns", tm_q[t]) == 0);
		}
	}
	for (int r = 0; r < 2; r++) {
		int64_t h = run(w, "hw", r);

		for (int t = 0; t < 3; t++) {
			hits(h, t, t < 2 ? ids3 : ids2, NULL, ht[r][t], t < 2 ? 3 : 2);
			CHECK(store__thread_add(s, h, t, 4000 + t, "thread") == 0);
			CHECK(store__thread_metric_set(s, h, t, "time_ns", tm_h[r][t]) == 0);
		}
	}
	return w;
}

static int64_t loops_workload(void)
{
	static const int ids[] = { 1, 2, 1, 2, 1, 2, 1, 2, 1 };
	int64_t c[9], w = store__workload(s, "loops", "x86_64", NULL, "[]");

	for (int i = 0; i < 9; i++)
		c[i] = 10 * i;
	for (int r = 0; r < 2; r++) {
		int64_t q = run(w, "qemu-user", r);

		hits(q, 0, ids, c, c, 9);
		hits(q, 1, ids, c, c, 9);
	}
	return w;
}

/* Two threads run markers 1 2 (setup->compute); thread 1 runs t1 instructions. */
static int64_t ab_workload(const char *name, const char *elf, int64_t t1)
{
	const int64_t q0[] = { 0, 100 }, q1[] = { 0, t1 }, h0[] = { 0, 1000 }, h1[] = { 0, 10 * t1 };
	int64_t w = store__workload(s, name, "x86_64", elf, "[]");

	for (int r = 0; r < 2; r++) {
		int64_t q = run(w, "qemu-user", r), h;

		hits(q, 0, ids2, q0, q0, 2);
		hits(q, 1, ids2, q1, q1, 2);
		h = run(w, "hw", r);
		hits(h, 0, ids2, NULL, h0, 2);
		hits(h, 1, ids2, NULL, h1, 2);
	}
	return w;
}

static int64_t solo_workload(void)
{
	static const int64_t qi[] = { 0, 100, 300 }, ht[2][3] = { { 0, 1000, 3000 }, { 0, 1100, 3100 } };
	int64_t w = store__workload(s, "solo", "x86_64", NULL, "[]");

	for (int r = 0; r < 2; r++)
		hits(run(w, "qemu-user", r), 0, ids3, qi, qi, 3);
	for (int r = 0; r < 2; r++)
		hits(run(w, "hw", r), 0, ids3, NULL, ht[r], 3);
	return w;
}

#define IMB "SELECT %s FROM thread_imbalance WHERE workload_id = %lld AND region_key IS %s AND emu_metric = '%s'"
/* a key as an SQL literal (no quotes in the keys here); NULL: the whole run */
static const char *lit(const char *key, char *buf, size_t n)
{
	if (!key)
		return "NULL";
	snprintf(buf, n, "'%s'", key);
	return buf;
}

static void check_imbalance(int64_t w, const char *key, const char *em, const double want[9], const char *verdict)
{
	static const char *const col[9] = { "emu_imbalance", "emu_lo", "emu_hi", "hw_imbalance", "hw_lo",
					    "hw_hi", "factor", "ci_lo", "ci_hi" };
	sqlite3_stmt *st;
	char kb[64];
	const char *k = lit(key, kb, sizeof(kb));

	for (int c = 0; c < 9; c++) {
		double got = test_query_d(s->db, IMB, col[c], (long long)w, k, em);

		CHECKF(fabs(got - want[c]) <= 1e-12 * fabs(want[c]), "%s %s %s: %.15g, expected %.15g", key ? key : "run",
		       em, col[c], got, want[c]);
	}
	CHECK_EQ_INT(test_query_d(s->db, IMB, "n_emu", (long long)w, k, em), 2);
	CHECK_EQ_INT(test_query_d(s->db, IMB, "n_hw", (long long)w, k, em), 2);
	char *sql = sqlite3_mprintf(IMB, "verdict", (long long)w, k, em);
	CHECK(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	CHECKF(!strcmp((const char *)sqlite3_column_text(st, 0), verdict), "%s %s: verdict %s, expected %s",
	       key ? key : "run", em, sqlite3_column_text(st, 0), verdict);
	sqlite3_finalize(st);
	sqlite3_free(sql);
}

#define SHARE "SELECT %s FROM thread_share WHERE workload_id = %lld AND thread = %d"

static void check_share(int64_t w, int t, const double want[9], const char *verdict)
{
	static const char *const col[9] = { "emu_share", "emu_lo", "emu_hi", "hw_share", "hw_lo", "hw_hi",
					    "factor", "ci_lo", "ci_hi" };
	sqlite3_stmt *st;

	for (int c = 0; c < 9; c++) {
		double got = test_query_d(s->db, SHARE, col[c], (long long)w, t);

		CHECKF(fabs(got - want[c]) <= 1e-12 * fabs(want[c]), "thread %d %s: %.15g, expected %.15g", t, col[c],
		       got, want[c]);
	}
	char *sql = sqlite3_mprintf(SHARE, "verdict || '|' || emu_metric || '|' || metric", (long long)w, t);
	CHECK(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	CHECKF(!strcmp((const char *)sqlite3_column_text(st, 0), verdict), "thread %d: %s, expected %s", t,
	       sqlite3_column_text(st, 0), verdict);
	sqlite3_finalize(st);
	sqlite3_free(sql);
}

int main(int argc, char **argv)
{
	struct stats_options o;
	struct stats_summary sum;
	struct align_result ar;
	int64_t thr, loops, solo, ab[2];
	char *path;

	if (argc != 3)
		return 2;
	gsl_set_error_handler_off(); /* as the emudiff command: errors are returned */
	path = xasprintf("%s/threads.db", argv[1]);
	unlink(path);
	s = store__open(path, STORE_CREATE);
	if (!s)
		return 1;
	CHECK(store__begin(s) == 0);
	thr = thr_workload();
	loops = loops_workload();
	solo = solo_workload();
	ab[0] = ab_workload("ab-a", argv[2], 200);
	ab[1] = ab_workload("ab-b", argv[2], 50);
	CHECK(store__exec(s, "INSERT INTO ab_pair (name, a_workload, b_workload) VALUES ('tt', 'ab-a', 'ab-b')") == 0);
	CHECK(store__commit(s) == 0);
	for (int k = 0; k < 5; k++) {
		int64_t w = k == 0 ? thr : k == 1 ? loops : k == 2 ? solo : ab[k - 3];

		CHECK(store__begin(s) == 0);
		CHECK(align__workload(s->db, w, &ar) == 0);
		CHECK(store__commit(s) == 0);
	}
	stats_options__init(&o);
	o.quiet = 1;
	CHECK(stats__run(s->db, path, &o, &sum) == 0);

	/* marker regions run by several threads; the thread-0-only region m:2->3 is on 2 threads */
	CHECK_EQ_INT(test_query_d(s->db, "SELECT count(*) FROM thread_imbalance WHERE workload_id = %lld", (long long)thr),
		     5);
	{
		const double r12[9] = { 1.5, 1.5, 1.5, 1.5, 1.5, 2, 1, 1, 4.0 / 3 };
		const double r23[9] = { 1, 1, 1, 1.6, 1.5, 5.0 / 3, 1.6, 1.5, 5.0 / 3 };
		const double run[9] = { 1.5, 1.5, 1.5, 1.125, 1.125, 1.5, 0.75, 0.75, 1 };

		check_imbalance(thr, "m:1->2#1", "insns", r12, "inconclusive");
		check_imbalance(thr, "m:1->2#1", "qemu_host_ns", r12, "inconclusive");
		check_imbalance(thr, "m:2->3#1", "insns", r23, "underestimates");
		check_imbalance(thr, "m:2->3#1", "qemu_host_ns", r23, "underestimates");
		check_imbalance(thr, NULL, "insns", run, "inconclusive");
	}
	CHECK_EQ_INT(test_query_d(s->db, IMB, "threads", (long long)thr, "'m:1->2#1'", "insns"), 3);
	CHECK_EQ_INT(test_query_d(s->db, IMB, "threads", (long long)thr, "'m:2->3#1'", "insns"), 2);
	CHECK_EQ_INT(test_query_d(s->db, IMB, "emu_max_thread", (long long)thr, "'m:1->2#1'", "insns"), 2);
	CHECK_EQ_INT(test_query_d(s->db, IMB, "hw_max_thread", (long long)thr, "'m:1->2#1'", "insns"), 2);
	CHECK_EQ_INT(test_query_d(s->db, IMB, "emu_max_thread", (long long)thr, "'m:2->3#1'", "insns"), 0);
	CHECK_EQ_INT(test_query_d(s->db, IMB, "hw_max_thread", (long long)thr, "'m:2->3#1'", "insns"), 1);
	CHECK_EQ_INT(test_query_d(s->db, IMB, "emu_max_thread", (long long)thr, "NULL", "insns"), 1);
	CHECK_EQ_INT(test_query_d(s->db, IMB, "hw_max_thread", (long long)thr, "NULL", "insns"), 0);
	CHECK_EQ_INT(test_query_d(s->db, "SELECT count(*) FROM thread_imbalance WHERE workload_id = %lld"
					 " AND metric = 'time_ns' AND emu_platform = 'qemu-user' AND hw_platform = 'hw'",
				  (long long)thr),
		     5);
	{
		const double t0[9] = { 0.25, 0.25, 0.25, 0.375, 0.25, 0.5, 1.5, 1, 2 };
		const double t1[9] = { 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.5, 0.5, 0.5 };

		check_share(thr, 0, t0, "inconclusive|insns|time_ns");
		check_share(thr, 1, t1, "overestimates|insns|time_ns");
		check_share(thr, 2, t0, "inconclusive|insns|time_ns");
	}
	CHECK_EQ_INT(test_query_d(s->db, "SELECT count(*) FROM thread_share WHERE workload_id = %lld", (long long)thr), 3);

	/* the per-thread region's finding, like any region's */
	CHECK_NEAR(test_query_d(s->db, "SELECT f.factor FROM finding f JOIN region g ON g.id = f.region_id"
				       " WHERE g.key = 'm:1->2#1@t2' AND f.predictor = 'insns' AND f.baseline = 'share'"),
		   (0.4 + 1.0 / 6) / 2 / 0.375, 1e-12);
	CHECK_NEAR(test_query_d(s->db, "SELECT f.pred_share FROM finding f JOIN region g ON g.id = f.region_id"
				       " WHERE g.key = 'm:1->2#1@t2' AND f.predictor = 'insns' AND f.baseline = 'share'"),
		   0.375, 1e-12);

	/* warm-up per thread: each thread's occurrences #1..#4 are a sequence */
	CHECK_EQ_INT(test_query_d(s->db, "SELECT s.warmup_until FROM region_stat s JOIN region g ON g.id = s.region_id"
					 " WHERE g.workload_id = %lld AND g.key = 'm:1->2#1' AND s.metric = 'insns'",
				  (long long)loops),
		     1);
	CHECK_EQ_INT(test_query_d(s->db, "SELECT s.warmup_until FROM region_stat s JOIN region g ON g.id = s.region_id"
					 " WHERE g.workload_id = %lld AND g.key = 'm:1->2#1@t1' AND s.metric = 'insns'",
				  (long long)loops),
		     1);
	/* QEMU only: spreads of one side, inconclusive */
	CHECK_EQ_INT(test_query_d(s->db, "SELECT count(*) FROM thread_imbalance WHERE workload_id = %lld"
					 " AND verdict = 'inconclusive' AND hw_imbalance IS NULL AND emu_imbalance = 1",
				  (long long)loops),
		     2 * 4 * 2); /* 1->2#1..4 and 2->1#1..4, insns and qemu_host_ns */

	/* A/B: each thread's region against the same thread's, matched by marker names */
	{
		sqlite3_stmt *st;

		CHECK(sqlite3_prepare_v2(s->db, "SELECT emu_ratio, reason FROM ab_compare WHERE name = 'tt'"
						 " AND region_key = 'm:1->2#1@t1' AND emu_metric = 'insns'",
					 -1, &st, NULL) == SQLITE_OK);
		CHECK(sqlite3_step(st) == SQLITE_ROW);
		CHECK_NEAR(sqlite3_column_double(st, 0), 4, 1e-12);
		CHECKF(!strncmp((const char *)sqlite3_column_text(st, 1), "in region m:1->2#1@t1, ", 23), "reason: %s",
		       sqlite3_column_text(st, 1));
		sqlite3_finalize(st);
		CHECK_NEAR(test_query_d(s->db, "SELECT emu_ratio FROM ab_compare WHERE name = 'tt'"
					       " AND region_key = 'm:1->2#1' AND emu_metric = 'insns'"),
			   1, 1e-12);
		CHECK_EQ_INT(test_query_d(s->db, "SELECT count(*) FROM region WHERE name = 'setup' AND key LIKE 'm:1->2#1%%'"),
			     4);
	}

	/* one thread: nothing */
	CHECK_EQ_INT(test_query_d(s->db, "SELECT count(*) FROM thread_imbalance WHERE workload_id = %lld", (long long)solo),
		     0);
	CHECK_EQ_INT(test_query_d(s->db, "SELECT count(*) FROM thread_share WHERE workload_id = %lld", (long long)solo), 0);

	/* a second stats replaces the rows with the same */
	{
		double before = test_query_d(s->db, "SELECT sum(factor) + count(*) FROM thread_imbalance");

		CHECK(stats__run(s->db, path, &o, &sum) == 0);
		CHECK_NEAR(test_query_d(s->db, "SELECT sum(factor) + count(*) FROM thread_imbalance"), before, 1e-15);
	}
	store__close(s);
	if (!getenv("KEEP"))
		unlink(path);
	free(path);
	return check_exit();
}
