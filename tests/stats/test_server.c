/*
 * test_server.c - client-server workloads compared (stats/server.c) and
 * their A/B throughput (stats/ab.c), on a planted store whose answers are
 * computed by hand:
 *  - "web", 5 ok runs under qemu-user and on hw (and one failed hw run that
 *    must not count): requests_per_s means 1000 vs 20000 (ratio 0.05:
 *    emulation underestimates), req_p50_ns 400 us vs 50 us (ratio 8:
 *    overestimates), req_p99_ns 1.00 ms vs 0.95 ms (1.0526: agrees),
 *    ready_ns 1.3 ms (spread +-0.3) vs 1.0 ms (ratio 1.3, an interval across
 *    the band's edge 1.25: inconclusive), req_errors 0 vs 0 and workers 3 vs
 *    3 (identical in every run: not informative), insns_per_req only under
 *    emulation (no row);
 *  - "lonely": one hardware run (inconclusive: needs 2 per side);
 *  - "a-srv" and "b-srv" in pair "ab": under emulation A serves 1000 and B
 *    800 requests/s (A is cheaper per request: 0.8), on hardware 20000 and
 *    30000 (A costs 1.5x): the conclusion flips.
 * Every interval holds the planted value; a second stats run gives the same
 * rows.
 *
 * usage: test_stats_server SCRATCH_DIR
 */
#include "stats.h"
#include "store.h"
#include "check.h"
#include "query.h"
#include "common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUNS 5

static void runs(struct store *s, int64_t w, const char *platform, int n, const char *metric, const double *v)
{
	for (int k = 0; k < n; k++) {
		/* one run per (platform, rep): later metrics join the run made first */
		char sql[256];
		int64_t run;

		snprintf(sql, sizeof(sql),
			 "SELECT id FROM run WHERE workload_id = %lld AND platform = '%s' AND rep = %d AND status = 'ok'",
			 (long long)w, platform, k);
		run = (int64_t)test_query_d(s->db, "%s", sql);
		if (run <= 0) {
			struct run_info ri = { w, platform, "{}", k, "ok", 0, -1, NULL };

			run = store__run_add(s, &ri);
		}
		CHECK(!store__run_metric_set(s, run, metric, v[k]));
	}
}

static void fill(struct store *s)
{
	static const double rps_e[] = { 990, 1000, 1010, 995, 1005 }, rps_h[] = { 19800, 20000, 20200, 19900, 20100 };
	static const double p50_e[] = { 400e3, 410e3, 390e3, 405e3, 395e3 }, p50_h[] = { 50e3, 51e3, 49e3, 50.5e3, 49.5e3 };
	static const double p99_e[] = { 1.00e6, 1.02e6, 0.98e6, 1.01e6, 0.99e6 };
	static const double p99_h[] = { 0.95e6, 0.97e6, 0.93e6, 0.96e6, 0.94e6 };
	static const double rdy_e[] = { 1.0e6, 1.6e6, 1.2e6, 1.4e6, 1.3e6 }, rdy_h[] = { 1e6, 1e6, 1e6, 1e6, 1e6 };
	static const double zero[] = { 0, 0, 0, 0, 0 }, three[] = { 3, 3, 3, 3, 3 };
	static const double a_e[] = { 1000, 1010, 990, 1005, 995 }, b_e[] = { 800, 808, 792, 804, 796 };
	static const double a_h[] = { 20000, 20200, 19800, 20100, 19900 }, b_h[] = { 30000, 30300, 29700, 30150, 29850 };
	int64_t w, l, a, b;

	store__begin(s);
	w = store__workload(s, "web", "x86_64", NULL, NULL);
	runs(s, w, "qemu-user", RUNS, "requests_per_s", rps_e);
	runs(s, w, "hw", RUNS, "requests_per_s", rps_h);
	runs(s, w, "qemu-user", RUNS, "req_p50_ns", p50_e);
	runs(s, w, "hw", RUNS, "req_p50_ns", p50_h);
	runs(s, w, "qemu-user", RUNS, "req_p99_ns", p99_e);
	runs(s, w, "hw", RUNS, "req_p99_ns", p99_h);
	runs(s, w, "qemu-user", RUNS, "ready_ns", rdy_e);
	runs(s, w, "hw", RUNS, "ready_ns", rdy_h);
	runs(s, w, "qemu-user", RUNS, "req_errors", zero);
	runs(s, w, "hw", RUNS, "req_errors", zero);
	runs(s, w, "qemu-user", RUNS, "workers", three);
	runs(s, w, "hw", RUNS, "workers", three);
	runs(s, w, "qemu-user", RUNS, "insns_per_req", three);
	{
		struct run_info ri = { w, "hw", "{}", 9, "failed", 1, -1, NULL };
		int64_t bad = store__run_add(s, &ri);

		store__run_metric_set(s, bad, "requests_per_s", 1);
	}
	l = store__workload(s, "lonely", "x86_64", NULL, NULL);
	runs(s, l, "qemu-user", 3, "requests_per_s", rps_e);
	runs(s, l, "hw", 1, "requests_per_s", rps_h);
	a = store__workload(s, "a-srv", "x86_64", NULL, NULL);
	b = store__workload(s, "b-srv", "x86_64", NULL, NULL);
	runs(s, a, "qemu-user", RUNS, "requests_per_s", a_e);
	runs(s, a, "hw", RUNS, "requests_per_s", a_h);
	runs(s, b, "qemu-user", RUNS, "requests_per_s", b_e);
	runs(s, b, "hw", RUNS, "requests_per_s", b_h);
	store__exec(s, "INSERT INTO ab_pair (name, a_workload, b_workload) VALUES ('ab', 'a-srv', 'b-srv')");
	CHECK(!store__commit(s));
}

#define ROW(w, m, col) \
	test_query_d(s->db, "SELECT " col " FROM server_compare c JOIN workload w ON w.id = c.workload_id" \
			    " WHERE w.name = '%s' AND c.metric = '%s'", w, m)
#define VERDICT_IS(w, m, v)                                                                                \
	test_query_d(s->db, "SELECT count(*) FROM server_compare c JOIN workload w ON w.id = c.workload_id"  \
			    " WHERE w.name = '%s' AND c.metric = '%s' AND c.verdict = '%s'", w, m, v)

/* The planted means and ratio of (w, metric), each inside its interval. */
static void check_row(struct store *s, const char *w, const char *m, double emu, double hw, const char *verdict)
{
	double r = emu / hw;

	CHECKF(fabs(ROW(w, m, "emu") / emu - 1) < 1e-12, "%s %s: emulation mean %g, planted %g", w, m,
	       ROW(w, m, "emu"), emu);
	CHECKF(fabs(ROW(w, m, "hw") / hw - 1) < 1e-12, "%s %s: hardware mean %g, planted %g", w, m, ROW(w, m, "hw"), hw);
	CHECKF(fabs(ROW(w, m, "ratio") / r - 1) < 1e-12, "%s %s: ratio %g, planted %g", w, m, ROW(w, m, "ratio"), r);
	CHECKF(ROW(w, m, "emu_lo") <= emu && emu <= ROW(w, m, "emu_hi"), "%s %s: emulation CI misses %g", w, m, emu);
	CHECKF(ROW(w, m, "hw_lo") <= hw && hw <= ROW(w, m, "hw_hi"), "%s %s: hardware CI misses %g", w, m, hw);
	CHECKF(ROW(w, m, "ratio_lo") <= r && r <= ROW(w, m, "ratio_hi"), "%s %s: ratio CI [%g, %g] misses %g", w, m,
	       ROW(w, m, "ratio_lo"), ROW(w, m, "ratio_hi"), r);
	CHECKF(VERDICT_IS(w, m, verdict) == 1, "%s %s: verdict is not %s", w, m, verdict);
	CHECK_EQ_INT(ROW(w, m, "n_emu"), RUNS);
	CHECK_EQ_INT(ROW(w, m, "n_hw"), RUNS);
}

static void check(struct store *s, const struct stats_summary *sum)
{
	check_row(s, "web", "requests_per_s", 1000, 20000, "underestimates");
	check_row(s, "web", "req_p50_ns", 400e3, 50e3, "overestimates");
	check_row(s, "web", "req_p99_ns", 1e6, 0.95e6, "agrees");
	check_row(s, "web", "ready_ns", 1.3e6, 1e6, "inconclusive");
	CHECK(ROW("web", "ready_ns", "ratio_lo") < 1.25 && ROW("web", "ready_ns", "ratio_hi") > 1.25);
	/* identical values everywhere: not informative, never agrees */
	CHECK(VERDICT_IS("web", "req_errors", "inconclusive") == 1 && isnan(ROW("web", "req_errors", "ratio")));
	CHECK(VERDICT_IS("web", "workers", "inconclusive") == 1 && ROW("web", "workers", "ratio") == 1);
	CHECK_EQ_INT(test_query_d(s->db, "SELECT count(*) FROM server_compare WHERE informative = 0 AND"
					 " not_informative = 'zero_width' AND reason LIKE 'not informative:%%'"), 2);
	CHECK(isnan(ROW("web", "insns_per_req", "ratio")));
	CHECK(VERDICT_IS("lonely", "requests_per_s", "inconclusive") == 1);
	CHECK(isnan(ROW("lonely", "requests_per_s", "ratio_lo")));
	CHECK_EQ_INT(test_query_d(s->db, "SELECT count(*) FROM server_compare c JOIN workload w ON w.id = c.workload_id"
					 " WHERE w.name = 'lonely' AND reason LIKE 'needs at least 2 ok runs per side%%'"), 1);
	CHECK_EQ_INT(test_query_d(s->db, "SELECT count(*) FROM server_compare WHERE emu_platform != 'qemu-user'"
					 " OR hw_platform != 'hw'"), 0);
	/* A/B by throughput: per request, A costs 0.8 of B under emulation, 1.5x on hardware */
	CHECK_NEAR(test_query_d(s->db, "SELECT emu_ratio FROM ab_compare WHERE name = 'ab' AND emu_metric ="
				       " 'requests_per_s'"), 0.8, 1e-12);
	CHECK_NEAR(test_query_d(s->db, "SELECT hw_ratio FROM ab_compare WHERE name = 'ab' AND emu_metric ="
				       " 'requests_per_s'"), 1.5, 1e-12);
	CHECK_EQ_INT(test_query_d(s->db, "SELECT count(*) FROM ab_compare WHERE name = 'ab' AND verdict = 'flip'"
					 " AND emu_lo <= 0.8 AND 0.8 <= emu_hi AND hw_lo <= 1.5 AND 1.5 <= hw_hi"
					 " AND region_key IS NULL AND reason LIKE 'per request%%'"), 1);
	CHECK_EQ_INT(test_query_d(s->db, "SELECT count(*) FROM ab_compare"), 1);
	CHECK_EQ_INT(sum->flips, 1);
	CHECK_EQ_INT(sum->servers, 4);
	CHECK_EQ_INT(sum->server_metrics, 9);
	CHECK_EQ_INT(sum->server_flagged, 4);
}

int main(int argc, char **argv)
{
	char *path = xasprintf("%s/server.db", argc > 1 ? argv[1] : ".");
	struct stats_options o;
	struct stats_summary sum;
	struct store *s;

	unlink(path);
	s = store__open(path, STORE_CREATE);
	CHECK(s != NULL);
	if (!s) {
		free(path);
		return check_exit();
	}
	fill(s);
	stats_options__init(&o);
	o.quiet = 1;
	o.resamples = 1000;
	for (int pass = 0; pass < 2; pass++) {
		CHECK(!stats__run(s->db, path, &o, &sum));
		check(s, &sum);
	}
	CHECK_EQ_INT(test_query_d(s->db, "SELECT count(*) FROM server_compare"), 9);
	store__close(s);
	free(path);
	return check_exit();
}
