/*
 * test_engine.c - the stats engine on planted stores: a region that costs 3x
 * its instruction share must be flagged (and only it); a workload where every
 * region agrees must produce no flag; a known per-syscall cost must come back
 * from the cost model; a planted warm-up, an A/B conclusion flip, determinism,
 * replacement on re-run and rollback on bad input.
 *
 * usage: test_engine SCRATCH_DIR
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


static gsl_rng *rng;

struct plan {
	const char *name;
	int regions;
	int plant;          /* 1-based region costing plant_factor x on hardware, 0: none */
	double plant_factor;
	int runs;           /* per side */
	double hw_noise;    /* relative sd of hardware times */
	int syscalls;       /* give regions syscalls costing 500 ns each on hardware */
};

static void add_workload(struct store *s, const struct plan *p)
{
	int64_t w = store__workload(s, p->name, "x86_64", NULL, NULL);
	double insns[64], sys[64];

	for (int r = 0; r < p->regions; r++) {
		insns[r] = 1e5 * (1 + (r * 7) % 10) + 1e4 * r;
		sys[r] = p->syscalls ? (double)((r * 37) % 90) : 0;
	}
	for (int side = 0; side < 2; side++) {
		for (int k = 0; k < p->runs; k++) {
			struct run_info ri = { w, side ? "hw" : "qemu-user", "{}", k, "ok", 0, -1, NULL };
			int64_t run = store__run_add(s, &ri);
			double total = 0;

			for (int r = 0; r < p->regions; r++) {
				char key[32];
				int64_t reg;
				double v;

				snprintf(key, sizeof(key), "m:%d->%d#1", r + 1, r + 2);
				reg = store__region(s, w, key, NULL);
				if (!side) {
					store__region_metric_set(s, run, reg, "insns", insns[r]);
					store__region_metric_set(s, run, reg, "qemu_host_ns",
								 insns[r] * 3 * (1 + gsl_ran_gaussian(rng, 0.01)));
					if (p->syscalls)
						store__region_metric_set(s, run, reg, "syscalls", sys[r]);
					total += insns[r];
				} else {
					v = insns[r] * (r + 1 == p->plant ? p->plant_factor : 1) + 500 * sys[r];
					v *= 1 + gsl_ran_gaussian(rng, p->hw_noise);
					store__region_metric_set(s, run, reg, "time_ns", v);
					total += v;
				}
			}
			store__run_metric_set(s, run, side ? "time_ns" : "insns", total);
		}
	}
}

/* one number from the store (tests/lib/query.h) */
static double query_d(struct store *s, const char *sql)
{
	return test_query_d(s->db, "%s", sql);
}

static char *query_s(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	char *v = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bad test query %s: %s\n", sql, sqlite3_errmsg(s->db));
		exit(1);
	}
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v ? v : xstrdup("");
}

/* the result tables as one string, to compare runs */
static char *dump(struct store *s)
{
	return query_s(s,
		       "SELECT group_concat(x, '|') FROM ("
		       " SELECT quote(workload_id)||quote(region_id)||metric||predictor||quote(factor)||quote(ci_lo)"
		       "  ||quote(ci_hi)||quote(p_adj)||verdict||reason||baseline AS x FROM finding"
		       " UNION ALL SELECT quote(region_id)||platform||metric||quote(mean)||quote(ci_lo)||quote(warmup_until)"
		       "  FROM region_stat"
		       " UNION ALL SELECT quote(workload_id)||predictor||quote(pearson)||quote(kendall)||quote(mape)"
		       "  FROM agreement"
		       " UNION ALL SELECT name||quote(emu_ratio)||quote(emu_lo)||quote(hw_hi)||verdict||reason FROM ab_compare"
		       " UNION ALL SELECT quote(workload_id)||term||quote(coef)||quote(ci_lo)||quote(cv_rmse) FROM cost_model)");
}

/* stats__run with a thread count (0: online CPUs) and --metric; its return value */
static int run_stats_with(struct store *s, int threads, const char *metric, struct stats_summary *sum)
{
	struct stats_options o;

	stats_options__init(&o);
	o.quiet = 1;
	o.threads = threads;
	o.metric = metric;
	return stats__run(s->db, s->path, &o, sum);
}

/*
 * Loading the next workload ahead on a second connection (two threads, a
 * file in WAL mode) gives the results of loading each in turn on the main
 * connection (one thread; an in-memory copy, where no second connection
 * can see the store); and an error while a load runs ahead stops cleanly.
 */
static void check_prefetch(struct store *s, const char *expect)
{
	struct stats_summary sum;
	struct store *mem = store__open(":memory:", STORE_CREATE);
	sqlite3_backup *bk;
	char *got;

	CHECKF(run_stats_with(s, 1, NULL, &sum) == 0 && sum.prefetched == 0, "one thread: no prefetch");
	got = dump(s);
	CHECKF(!strcmp(got, expect), "one thread, loading in turn: same results");
	free(got);
	CHECKF(run_stats_with(s, 2, NULL, &sum) == 0 && sum.workloads > 1 &&
		       sum.prefetched == sum.workloads - 1,
	       "two threads: every workload but the first loaded ahead (%zu of %zu)", sum.prefetched,
	       sum.workloads);
	got = dump(s);
	CHECKF(!strcmp(got, expect), "loading ahead: same results");
	free(got);

	CHECKF(mem != NULL, "in-memory store");
	if (!mem)
		return;
	bk = sqlite3_backup_init(mem->db, "main", s->db, "main");
	CHECKF(bk && sqlite3_backup_step(bk, -1) == SQLITE_DONE, "copy into memory");
	sqlite3_backup_finish(bk);
	CHECKF(run_stats_with(mem, 2, NULL, &sum) == 0 && sum.prefetched == 0,
	       "in memory: no second connection, loading in turn");
	got = dump(mem);
	CHECKF(!strcmp(got, expect), "in memory: same results");
	free(got);
	store__close(mem);

	/* the first workload fails (unknown metric) while the second loads ahead */
	messages_quiet(1);
	CHECKF(run_stats_with(s, 2, "bogus", &sum) == -1, "error while loading ahead");
	messages_quiet(0);
	got = dump(s);
	CHECKF(!strcmp(got, expect), "error while loading ahead: rolled back");
	free(got);
}

static void run_stats(struct store *s, unsigned long seed, struct stats_summary *sum)
{
	struct stats_options o;

	stats_options__init(&o);
	o.seed = seed;
	o.quiet = 1;
	CHECKF(stats__run(s->db, s->path, &o, sum) == 0, "stats__run");
}

int main(int argc, char **argv)
{
	struct plan planted = { "planted", 6, 3, 3.0, 30, 0.02, 0 };
	struct plan agree = { "agree", 6, 0, 1, 30, 0.02, 0 };
	struct plan sys = { "syscalls", 24, 0, 1, 20, 0.002, 1 };
	struct stats_summary sum;
	struct store *s;
	char *path, *a, *b;

	gsl_set_error_handler_off();
	if (argc != 2) {
		fprintf(stderr, "usage: test_engine SCRATCH_DIR\n");
		return 2;
	}
	path = xasprintf("%s/stats-engine.db", argv[1]);
	unlink(path);
	s = store__open(path, STORE_CREATE);
	if (!s)
		return 1;
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 42);
	store__begin(s);
	add_workload(s, &planted);
	add_workload(s, &agree);
	add_workload(s, &sys);
	store__commit(s);

	run_stats(s, 1, &sum);
	CHECKF(sum.workloads == 3, "3 workloads (%zu)", sum.workloads);

	/* planted: region 3 costs 3x -> underestimates, by both baselines, for insns and qemu_time */
	for (int q = 0; q < 2; q++) {
		const char *pred = q ? "qemu_time" : "insns";
		char sql[512];
		double n;

		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM finding f JOIN region g ON g.id = f.region_id JOIN workload w ON w.id = f.workload_id"
			 " WHERE w.name = 'planted' AND f.predictor = '%s' AND g.key = 'm:3->4#1' AND f.verdict = 'underestimates'",
			 pred);
		CHECKF(query_d(s, sql) == 2, "planted region flagged by share and robust baselines (%s)", pred);
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM finding f JOIN region g ON g.id = f.region_id JOIN workload w ON w.id = f.workload_id"
			 " WHERE w.name = 'planted' AND f.predictor = '%s' AND g.key <> 'm:3->4#1'"
			 " AND f.verdict IN ('underestimates', 'overestimates')",
			 pred);
		n = query_d(s, sql);
		CHECKF(n == 0, "no other region of 'planted' flagged (%s: %g)", pred, n);
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM finding f JOIN workload w ON w.id = f.workload_id"
			 " WHERE w.name = 'planted' AND f.predictor = '%s' AND f.baseline = 'robust' AND f.verdict = 'agrees'",
			 pred);
		CHECKF(query_d(s, sql) == 5, "the other 5 regions agree on the robust baseline (%s)", pred);
	}
	{
		double f = query_d(s, "SELECT factor FROM finding f JOIN region g ON g.id = f.region_id"
				      " WHERE g.key = 'm:3->4#1' AND f.predictor = 'insns' AND f.baseline = 'robust'"
				      " AND f.workload_id = (SELECT id FROM workload WHERE name = 'planted')");
		double lo = query_d(s, "SELECT ci_lo FROM finding f JOIN region g ON g.id = f.region_id"
				       " WHERE g.key = 'm:3->4#1' AND f.predictor = 'insns' AND f.baseline = 'robust'"
				       " AND f.workload_id = (SELECT id FROM workload WHERE name = 'planted')");
		double hi = query_d(s, "SELECT ci_hi FROM finding f JOIN region g ON g.id = f.region_id"
				       " WHERE g.key = 'm:3->4#1' AND f.predictor = 'insns' AND f.baseline = 'robust'"
				       " AND f.workload_id = (SELECT id FROM workload WHERE name = 'planted')");
		char *why = query_s(s, "SELECT reason FROM finding f JOIN region g ON g.id = f.region_id"
				       " WHERE g.key = 'm:3->4#1' AND f.predictor = 'insns' AND f.baseline = 'share'"
				       " AND f.workload_id = (SELECT id FROM workload WHERE name = 'planted')");

		CHECKF(fabs(f - 3) < 0.05 && lo < 3 && hi > 3 && lo > 2.8 && hi < 3.2,
		      "robust factor of the planted region %.3f, CI %.3f-%.3f around 3", f, lo, hi);
		CHECKF(strstr(why, "more time on hardware than its") && strstr(why, "instruction share") &&
		      strstr(why, "30 runs each"), "reason: %s", why);
		printf("planted reason: %s\n", why);
		free(why);
	}
	CHECKF(query_d(s, "SELECT count(*) FROM finding f JOIN workload w ON w.id = f.workload_id WHERE w.name = 'agree'"
			 " AND f.verdict IN ('underestimates', 'overestimates')") == 0,
	      "an agreeing workload has no flag");
	CHECKF(query_d(s, "SELECT count(*) FROM finding f JOIN workload w ON w.id = f.workload_id WHERE w.name = 'agree'"
			 " AND f.predictor = 'insns' AND f.verdict = 'agrees'") == 12,
	      "an agreeing workload agrees on every region and both baselines");
	CHECKF(query_d(s, "SELECT count(*) FROM finding WHERE p_adj < p_value") == 0, "BH never lowers a p-value");

	/* the most severe finding (the order emudiff show uses) is the planted region */
	CHECKF(query_d(s, "SELECT g.key = 'm:3->4#1' AND w.name = 'planted' AND f.verdict = 'underestimates'"
			 " FROM finding f JOIN workload w ON w.id = f.workload_id JOIN region g ON g.id = f.region_id"
			 " ORDER BY f.verdict IN ('underestimates', 'overestimates') DESC, f.severity IS NULL,"
			 " f.severity DESC LIMIT 1") == 1,
	      "most severe finding first");

	/* cost model: hardware = 1 ns per instruction + 500 ns per syscall */
	{
		double c = query_d(s, "SELECT coef FROM cost_model m JOIN workload w ON w.id = m.workload_id"
				      " WHERE w.name = 'syscalls' AND m.metric = 'time_ns' AND term = 'syscalls'");
		double lo = query_d(s, "SELECT ci_lo FROM cost_model m JOIN workload w ON w.id = m.workload_id"
				       " WHERE w.name = 'syscalls' AND m.metric = 'time_ns' AND term = 'syscalls'");
		double hi = query_d(s, "SELECT ci_hi FROM cost_model m JOIN workload w ON w.id = m.workload_id"
				       " WHERE w.name = 'syscalls' AND m.metric = 'time_ns' AND term = 'syscalls'");
		double ci = query_d(s, "SELECT coef FROM cost_model m JOIN workload w ON w.id = m.workload_id"
				       " WHERE w.name = 'syscalls' AND m.metric = 'time_ns' AND term = 'insns'");

		/* one realisation: the estimate within 2% of 500, a CI of sensible width */
		CHECKF(fabs(c - 500) < 10 && lo < c && hi > c && hi - lo < 25,
		      "syscall cost %.1f ns, CI %.1f-%.1f, want about 500", c, lo, hi);
		CHECKF(fabs(ci - 1) < 0.01, "instruction cost %.4f ns around 1", ci);
		/* QEMU's own model: 3 host ns per instruction, syscalls free */
		CHECKF(fabs(query_d(s, "SELECT coef FROM cost_model m JOIN workload w ON w.id = m.workload_id"
				      " WHERE w.name = 'syscalls' AND m.metric = 'qemu_host_ns' AND term = 'insns'") - 3) < 0.03,
		      "QEMU host time per instruction around 3 ns");
		CHECKF(query_d(s, "SELECT ci_lo FROM cost_model m JOIN workload w ON w.id = m.workload_id"
				 " WHERE w.name = 'syscalls' AND m.metric = 'qemu_host_ns' AND term = 'syscalls'") < 50,
		      "QEMU host time per syscall near 0");
		CHECKF(query_d(s, "SELECT count(*) FROM cost_model WHERE term IN ('mem_accesses', 'traps', 'exits')") == 0,
		      "absent terms are dropped");
		CHECKF(query_d(s, "SELECT r2 FROM cost_model m JOIN workload w ON w.id = m.workload_id"
				 " WHERE w.name = 'syscalls' AND m.metric = 'time_ns' AND term = 'syscalls'") > 0.99, "R^2");
		CHECKF(query_d(s, "SELECT count(*) FROM cost_model WHERE workload_id IS NULL AND term = 'insns'") == 2,
		      "study-wide models of hardware time and QEMU time");
	}
	/* agreement: planted's icount view is perfect in rank except one region */
	CHECKF(query_d(s, "SELECT pearson FROM agreement a JOIN workload w ON w.id = a.workload_id"
			 " WHERE w.name = 'agree' AND predictor = 'insns'") > 0.999, "agreeing workload: pearson ~ 1");
	CHECKF(fabs(query_d(s, "SELECT mape FROM agreement a JOIN workload w ON w.id = a.workload_id"
			      " WHERE w.name = 'agree' AND predictor = 'insns'")) < 2, "agreeing workload: MAPE small");

	/* determinism: same store and seed, same results; meta records the seed */
	a = dump(s);
	run_stats(s, 1, &sum);
	b = dump(s);
	CHECKF(strlen(a) > 1000 && !strcmp(a, b), "same seed, same results");
	free(b);
	check_prefetch(s, a);
	CHECKF(query_d(s, "SELECT value FROM meta WHERE key = 'stats_seed'") == 1, "seed in meta");
	CHECKF(query_d(s, "SELECT count(*) FROM finding") == (double)sum.findings, "re-run replaced the findings");
	run_stats(s, 2, &sum);
	b = dump(s);
	CHECKF(strcmp(a, b), "another seed, other intervals");
	free(b);
	CHECKF(query_d(s, "SELECT value FROM meta WHERE key = 'stats_seed'") == 2, "new seed in meta");

	/* warm-up: occurrences #1..#3 of a loop are slow on hardware */
	store__begin(s);
	{
		int64_t w = store__workload(s, "loop", NULL, NULL, NULL);

		for (int side = 0; side < 2; side++) {
			for (int k = 0; k < 5; k++) {
				struct run_info ri = { w, side ? "hw" : "qemu-user", "{}", k, "ok", 0, -1, NULL };
				int64_t run = store__run_add(s, &ri);

				for (int n = 1; n <= 10; n++) {
					char key[32];
					int64_t reg;

					snprintf(key, sizeof(key), "m:1->1#%d", n);
					reg = store__region(s, w, key, NULL);
					if (side)
						store__region_metric_set(s, run, reg, "time_ns",
									 (n <= 3 ? 5000 : 1000) + gsl_ran_gaussian(rng, 5));
					else
						store__region_metric_set(s, run, reg, "insns", 800);
				}
			}
		}
	}
	store__commit(s);
	run_stats(s, 1, &sum);
	CHECKF(query_d(s, "SELECT warmup_until FROM region_stat r JOIN region g ON g.id = r.region_id"
			 " WHERE g.key = 'm:1->1#1' AND platform = 'hw' AND metric = 'time_ns'") == 4,
	      "hardware steady state from occurrence 4");
	CHECKF(query_d(s, "SELECT warmup_until FROM region_stat r JOIN region g ON g.id = r.region_id"
			 " WHERE g.key = 'm:1->1#1' AND platform = 'qemu-user' AND metric = 'insns'") == 1,
	      "emulation instruction counts have no warm-up");

	/* A/B: unikernel half the instructions of Linux, but 1.5x its time on hardware */
	store__begin(s);
	{
		const char *names[2] = { "uni", "linux" };
		double emu[2] = { 1e6, 2e6 }, hw[2] = { 3e6, 2e6 };

		for (int k = 0; k < 2; k++) {
			int64_t w = store__workload(s, names[k], NULL, NULL, NULL);

			for (int i = 0; i < 10; i++) {
				struct run_info re = { w, "qemu-user", "{}", i, "ok", 0, -1, NULL };
				struct run_info rh = { w, "hw", "{}", i, "ok", 0, -1, NULL };
				int64_t r1 = store__run_add(s, &re), r2 = store__run_add(s, &rh);

				store__run_metric_set(s, r1, "insns", emu[k] * (1 + gsl_ran_gaussian(rng, 0.01)));
				store__run_metric_set(s, r1, "qemu_host_ns", 4 * emu[k] * (1 + gsl_ran_gaussian(rng, 0.02)));
				store__run_metric_set(s, r2, "time_ns", hw[k] * (1 + gsl_ran_gaussian(rng, 0.03)));
			}
		}
		/* per common region: phase m:2->3#1 of 'phase-a' runs half the instructions of
		 * 'phase-b' but takes 1.5x its time on hardware (a flip); phase 1 costs the same
		 * in both, phase 3 1.5x in both. Whole runs: A/B 1.1 under emulation, 1.3 on
		 * hardware: the same direction, no flip */
		const char *pn[2] = { "phase-a", "phase-b" };
		double pe[2][3] = { { 4e6, 1e6, 6e6 }, { 4e6, 2e6, 4e6 } };
		double ph[2][3] = { { 4e6, 3e6, 6e6 }, { 4e6, 2e6, 4e6 } };

		for (int k = 0; k < 2; k++) {
			int64_t w = store__workload(s, pn[k], NULL, NULL, NULL);

			for (int i = 0; i < 10; i++) {
				struct run_info re = { w, "qemu-user", "{}", i, "ok", 0, -1, NULL };
				struct run_info rh = { w, "hw", "{}", i, "ok", 0, -1, NULL };
				int64_t r1 = store__run_add(s, &re), r2 = store__run_add(s, &rh);

				for (int g = 0; g < 3; g++) {
					char key[32];
					int64_t reg;

					snprintf(key, sizeof(key), "m:%d->%d#1", g + 1, g + 2);
					reg = store__region(s, w, key, NULL);
					store__region_metric_set(s, r1, reg, "insns", pe[k][g]);
					store__region_metric_set(s, r1, reg, "qemu_host_ns",
								 4 * pe[k][g] * (1 + gsl_ran_gaussian(rng, 0.01)));
					store__region_metric_set(s, r2, reg, "time_ns",
								 ph[k][g] * (1 + gsl_ran_gaussian(rng, 0.01)));
				}
			}
		}
		store__exec(s, "INSERT INTO ab_pair VALUES ('phases', 'phase-a', 'phase-b', NULL, NULL)");
		store__exec(s, "INSERT INTO ab_pair VALUES ('uni-vs-linux', 'uni', 'linux', NULL, NULL)");
		store__exec(s, "INSERT INTO ab_pair VALUES ('planted-vs-agree', 'planted', 'agree', NULL, NULL)");
	}
	store__commit(s);
	run_stats(s, 1, &sum);
	CHECKF(query_d(s, "SELECT count(*) FROM ab_compare WHERE name = 'uni-vs-linux' AND verdict = 'flip'") == 2,
	      "the A/B conclusion flips (instructions and QEMU time)");
	CHECKF(fabs(query_d(s, "SELECT hw_ratio FROM ab_compare WHERE name = 'uni-vs-linux' AND emu_metric = 'insns'") -
		   1.5) < 0.05, "hardware ratio 1.5");
	CHECKF(query_d(s, "SELECT count(*) FROM ab_compare WHERE name = 'planted-vs-agree' AND verdict = 'flip'") == 0,
	      "no flip between two workloads that emulation ranks like hardware");
	CHECKF(sum.flips == 2, "summary counts 2 flips (%zu)", sum.flips);
	CHECKF(query_d(s, "SELECT count(*) FROM ab_compare WHERE name = 'uni-vs-linux' AND region_key IS NOT NULL") == 0,
	      "no per-region rows without common regions");
	CHECKF(query_d(s, "SELECT count(*) FROM ab_compare WHERE name = 'phases' AND region_key IS NULL"
			 " AND verdict = 'magnitude'") == 2, "the phases' whole runs differ in size only");
	CHECKF(query_d(s, "SELECT count(*) FROM ab_compare WHERE name = 'phases' AND region_key IS NOT NULL") == 6,
	      "3 common regions x 2 emulation metrics");
	CHECKF(query_d(s, "SELECT count(*) FROM ab_compare WHERE name = 'phases' AND verdict = 'flip'"
			 " AND region_key = 'm:2->3#1'") == 2, "the planted common region flips (insns and QEMU time)");
	CHECKF(query_d(s, "SELECT count(*) FROM ab_compare WHERE name = 'phases' AND verdict = 'flip'") == 2,
	      "no other region flips");
	CHECKF(fabs(query_d(s, "SELECT emu_ratio FROM ab_compare WHERE name = 'phases' AND region_key = 'm:2->3#1'"
			      " AND emu_metric = 'insns'") - 0.5) < 1e-12, "region emulation ratio 0.5 exactly");
	CHECKF(fabs(query_d(s, "SELECT hw_ratio FROM ab_compare WHERE name = 'phases' AND region_key = 'm:2->3#1'"
			      " AND emu_metric = 'insns'") - 1.5) < 0.02, "region hardware ratio 1.5");
	CHECKF(query_d(s, "SELECT count(*) FROM ab_compare WHERE name = 'phases' AND region_key = 'm:1->2#1'"
			 " AND emu_metric = 'qemu_host_ns' AND verdict = 'agrees'") == 1, "an equal region agrees");
	CHECKF(sum.region_flips == 2, "summary counts 2 per-region flips (%zu)", sum.region_flips);

	/* symbol regions (no markers): instructions per symbol against perf samples */
	store__begin(s);
	{
		const char *sym[4] = { "s:main", "s:hot", "s:cold", "s:mid" };
		int64_t w = store__workload(s, "unmarked", NULL, NULL, NULL);

		for (int side = 0; side < 2; side++) {
			for (int k = 0; k < 12; k++) {
				struct run_info ri = { w, side ? "hw" : "qemu-user", "{}", k, "ok", 0, -1, NULL };
				int64_t run = store__run_add(s, &ri);

				for (int i = 0; i < 4; i++) {
					int64_t reg = store__region(s, w, sym[i], NULL);
					double insns = 1e6 * (i + 1);

					if (side)
						store__region_metric_set(s, run, reg, "samples",
									 floor(insns / 1e3 * (i == 1 ? 3 : 1) *
									       (1 + gsl_ran_gaussian(rng, 0.02))));
					else
						store__region_metric_set(s, run, reg, "insns", insns);
				}
			}
		}
	}
	store__commit(s);
	run_stats(s, 1, &sum);
	CHECKF(query_d(s, "SELECT count(*) FROM finding f JOIN region g ON g.id = f.region_id"
			 " WHERE g.key = 's:hot' AND f.metric = 'samples' AND f.predictor = 'insns'"
			 " AND f.verdict = 'underestimates'") == 2, "the hot symbol is flagged on samples");
	CHECKF(query_d(s, "SELECT count(*) FROM finding f JOIN workload w ON w.id = f.workload_id"
			 " JOIN region g ON g.id = f.region_id WHERE w.name = 'unmarked' AND g.key <> 's:hot'"
			 " AND f.verdict IN ('underestimates', 'overestimates')") == 0, "no other symbol flagged");

	/* A/B regions by marker names: 'named-a' marks setup/work/end with ids
	 * 1/2/3, 'named-b' with 5/6/7 (compared by name); 'clash-b' uses ids 1/2/3
	 * for other phases (its regions refused, with both names on stderr) */
	store__begin(s);
	{
		const char *wn[3] = { "named-a", "named-b", "clash-b" };
		const int ids[3][3] = { { 1, 2, 3 }, { 5, 6, 7 }, { 1, 2, 3 } };
		const char *names[3][2] = { { "setup", "work" }, { "setup", "work" }, { "chase_setup", "syscalls" } };

		for (int k = 0; k < 3; k++) {
			int64_t w = store__workload(s, wn[k], NULL, NULL, NULL);

			for (int i = 0; i < 6; i++) {
				struct run_info re = { w, "qemu-user", "{}", i, "ok", 0, -1, NULL };
				struct run_info rh = { w, "hw", "{}", i, "ok", 0, -1, NULL };
				int64_t r1 = store__run_add(s, &re), r2 = store__run_add(s, &rh);

				for (int g = 0; g < 2; g++) {
					char key[32];
					int64_t reg;

					snprintf(key, sizeof(key), "m:%d->%d#1", ids[k][g], ids[k][g + 1]);
					reg = store__region(s, w, key, names[k][g]);
					store__region_metric_set(s, r1, reg, "insns", 1e6 * (g + 1) * (k + 1));
					store__region_metric_set(s, r2, reg, "time_ns",
								 1e6 * (g + 1) * (1 + gsl_ran_gaussian(rng, 0.01)));
				}
			}
		}
		store__exec(s, "INSERT INTO ab_pair VALUES ('by-name', 'named-a', 'named-b', NULL, NULL)");
		store__exec(s, "INSERT INTO ab_pair VALUES ('clash', 'named-a', 'clash-b', NULL, NULL)");
	}
	store__commit(s);
	{
		char err[] = "/tmp/emudiff-test-ab-XXXXXX", buf[1024] = "";
		int fd = mkstemp(err), saved = dup(2);
		FILE *f;

		fflush(stderr);
		dup2(fd, 2);
		run_stats(s, 1, &sum);
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		f = fdopen(fd, "r");
		rewind(f);
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
		unlink(err);
		CHECKF(strstr(buf, "ab_pair 'clash': regions not compared: m:1->2#1 is 'setup->work#1' in 'named-a' "
				   "but 'chase_setup->syscalls#1' in 'clash-b'"),
		       "the refusal names both: '%s'", buf);
	}
	CHECKF(query_d(s, "SELECT count(*) FROM ab_compare WHERE name = 'by-name' AND region_key = 'm:1->2#1'"
			 " AND reason LIKE '%(m:5->6#1 of ''named-b'')%'") == 2, "setup matched by name across ids");
	CHECKF(query_d(s, "SELECT count(*) FROM ab_compare WHERE name = 'by-name' AND region_key IS NOT NULL") == 4,
	       "both named regions compared");
	CHECKF(fabs(query_d(s, "SELECT emu_ratio FROM ab_compare WHERE name = 'by-name' AND region_key = 'm:2->3#1'"
			      " AND emu_metric = 'insns'") - 0.5) < 1e-9, "work: A/B instructions 0.5");
	CHECKF(query_d(s, "SELECT count(*) FROM ab_compare WHERE name = 'clash' AND region_key IS NOT NULL") == 0,
	       "regions with the same ids and other names are not compared");
	CHECKF(query_d(s, "SELECT count(*) FROM ab_compare WHERE name = 'clash' AND region_key IS NULL") == 2,
	       "the whole runs of the refused pair are still compared");

	/* too few runs with costs: the reason names the side, what it lacks, and the
	 * ok runs there are (emulation runs with no instruction counts in regions
	 * that only hardware saw, as a stripped program's library symbols) */
	store__begin(s);
	{
		int64_t w = store__workload(s, "hwonly", NULL, NULL, NULL), w2 = store__workload(s, "hwfew", NULL, NULL, NULL);

		for (int k = 0; k < 6; k++) {
			int hw = k >= 3;
			struct run_info ri = { w, hw ? "hw" : "qemu-user", "{}", k, k == 2 ? "failed" : "ok", 0, -1, NULL };
			int64_t run = store__run_add(s, &ri);

			if (hw)
				store__region_metric_set(s, run, store__region(s, w, "s:[unknown]@liblzma.so.5", NULL),
							 "samples", 100 + k);
			else
				store__run_metric_set(s, run, "insns", 1e6);
			ri.workload_id = w2;
			ri.platform = k == 5 ? "hw" : "qemu-user";
			ri.status = "ok";
			run = store__run_add(s, &ri);
			store__region_metric_set(s, run, store__region(s, w2, "s:main", NULL),
						 k == 5 ? "samples" : "insns", 1000 + k);
		}
	}
	store__commit(s);
	run_stats(s, 1, &sum);
	{
		char *why = query_s(s, "SELECT group_concat(DISTINCT f.verdict || ': ' || f.reason) FROM finding f"
				       " JOIN workload w ON w.id = f.workload_id WHERE w.name = 'hwonly'");

		CHECKF(why && !strcmp(why, "inconclusive: emulation lacks this region: no emulation run counted "
					   "instructions in it, hardware runs measured it; 2 emulation and 3 hardware runs"),
		       "hardware-only region: '%s'", why ? why : "(none)");
		free(why);
		why = query_s(s, "SELECT group_concat(DISTINCT f.verdict || ': ' || f.reason) FROM finding f"
				 " JOIN workload w ON w.id = f.workload_id WHERE w.name = 'hwfew'");
		CHECKF(why && !strcmp(why, "inconclusive: hardware lacks runs: fewer than 2 ok hardware runs; "
					   "5 emulation and 1 hardware runs"),
		       "one hardware run: '%s'", why ? why : "(none)");
		free(why);
	}

	/* bad input rolls back: an unknown platform in ab_pair */
	{
		double before = query_d(s, "SELECT count(*) FROM finding");
		struct stats_options o;

		store__exec(s, "INSERT INTO ab_pair VALUES ('bad', 'uni', 'linux', 'pdp11', NULL)");
		stats_options__init(&o);
		o.quiet = 1;
		messages_quiet(1);
		CHECKF(stats__run(s->db, s->path, &o, &sum) == -1, "unknown platform is an error");
		messages_quiet(0);
		CHECKF(query_d(s, "SELECT count(*) FROM finding") == before && before > 0,
		      "nothing half-written: previous findings kept");
	}

	gsl_rng_free(rng);
	store__close(s);
	free(a);
	free(path);
	return check_exit();
}
