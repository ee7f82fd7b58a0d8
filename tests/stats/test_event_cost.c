/*
 * test_event_cost.c - per-event cost (stats/event_cost.c) on planted stores
 * where the answer is known exactly: emulated instructions per syscall, trap
 * and exit, hardware time per event, QEMU host time per event and the ratio
 * against the workload's average hardware time per emulated instruction.
 *
 * Regions come in pairs with the same event counts and "other" instructions
 * base + d and base - d: the other work is then uncorrelated with the events,
 * so least squares must return the planted per-event costs exactly.
 *
 * usage: test_event_cost STORE   (the store is left behind for the CLI checks)
 */
#include "stats.h"
#include "store.h"
#include "check.h"
#include "common.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* planted costs: emulated instructions and hardware ns per event */
#define INSNS_TRAP 400.0
#define INSNS_EXIT 900.0
#define INSNS_SYSCALL 150.0
#define NS_TRAP 2000.0
#define NS_EXIT 5000.0
#define NS_SYSCALL 700.0
#define NS_OTHER 0.5    /* per instruction of the other work */
#define NS_REGION 10000 /* per region (intercept) */
#define QEMU_NS_PER_INSN 3.0

static const double traps[] = { 0, 10, 3, 25, 7, 16, 1, 30, 12, 5, 19, 8 };
static const double exits[] = { 2, 0, 9, 4, 14, 6, 11, 1, 3, 20, 7, 5 };
static const double syscalls[] = { 5, 30, 0, 12, 8, 20, 3, 17, 25, 1, 9, 14 };
static const double spread[] = { 5000, 12000, 30000, 8000, 20000, 1000, 15000, 2500, 9000, 27000, 4000, 11000 };

struct plan {
	const char *name;
	int pairs;
	int with_exits;
	double hw_noise_ns; /* sd of additive hardware noise per region and run */
};

static double sum_insns[3], sum_hw[3];

static void add_workload(struct store *s, const struct plan *p, int idx, gsl_rng *rng)
{
	int64_t w = store__workload(s, p->name, "riscv64", NULL, NULL);

	for (int side = 0; side < 2; side++)
		for (int k = 0; k < 3; k++) {
			struct run_info ri = { w, side ? "hw" : "qemu-system", "{}", k, "ok", 0, -1, NULL };
			int64_t run = store__run_add(s, &ri);

			for (int r = 0; r < 2 * p->pairs; r++) {
				int q = r / 2;
				double ex = p->with_exits ? exits[q] : 0;
				double other = 200000 + (r % 2 ? -spread[q] : spread[q]);
				double insns = other + INSNS_TRAP * traps[q] + INSNS_EXIT * ex +
					       INSNS_SYSCALL * syscalls[q];
				double hw = NS_REGION + NS_OTHER * other + NS_TRAP * traps[q] + NS_EXIT * ex +
					    NS_SYSCALL * syscalls[q];
				char key[32];
				int64_t reg;

				snprintf(key, sizeof(key), "m:%d->%d#1", r + 1, r + 2);
				reg = store__region(s, w, key, NULL);
				if (!side) {
					store__region_metric_set(s, run, reg, "insns", insns);
					store__region_metric_set(s, run, reg, "qemu_host_ns", QEMU_NS_PER_INSN * insns);
					store__region_metric_set(s, run, reg, "traps", traps[q]);
					store__region_metric_set(s, run, reg, "syscalls", syscalls[q]);
					if (ex)
						store__region_metric_set(s, run, reg, "exits", ex);
					if (!k)
						sum_insns[idx] += insns;
				} else {
					if (!k)
						sum_hw[idx] += hw;
					if (p->hw_noise_ns > 0)
						hw += gsl_ran_gaussian(rng, p->hw_noise_ns);
					store__region_metric_set(s, run, reg, "time_ns", hw);
				}
			}
		}
}

static double query_d(struct store *s, const char *fmt, const char *a, const char *b)
{
	char *sql = xasprintf(fmt, a, b);
	sqlite3_stmt *st;
	double v = NAN;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bad test query %s: %s\n", sql, sqlite3_errmsg(s->db));
		exit(1);
	}
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	free(sql);
	return v;
}

#define EC(col, wl, ev)                                                                        \
	query_d(s, "SELECT " col " FROM event_cost c JOIN workload w ON w.id = c.workload_id"    \
		   " WHERE w.name = '%s' AND c.event = '%s'", wl, ev)

static int near(double got, double want)
{
	return fabs(got - want) <= 1e-6 * fabs(want) + 1e-9;
}

int main(int argc, char **argv)
{
	struct plan exact = { "exact", 6, 1, 0 }, noisy = { "noisy", 12, 0, 300 }, few = { "few", 3, 0, 0 };
	struct stats_options o;
	struct stats_summary sum;
	struct store *s;
	gsl_rng *rng;
	static const struct {
		const char *ev;
		double insns, ns;
	} want[] = {
		{ "traps", INSNS_TRAP, NS_TRAP },
		{ "exits", INSNS_EXIT, NS_EXIT },
		{ "syscalls", INSNS_SYSCALL, NS_SYSCALL },
	};

	gsl_set_error_handler_off();
	if (argc != 2) {
		fprintf(stderr, "usage: test_event_cost STORE\n");
		return 2;
	}
	unlink(argv[1]);
	s = store__open(argv[1], STORE_CREATE);
	if (!s)
		return 1;
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 7);
	store__begin(s);
	add_workload(s, &exact, 0, rng);
	add_workload(s, &noisy, 1, rng);
	add_workload(s, &few, 2, rng);
	store__commit(s);
	stats_options__init(&o);
	o.quiet = 1;
	o.metric = "time_ns";
	CHECKF(stats__run(s->db, s->path, &o, &sum) == 0, "stats__run");

	/* exact: every per-event figure equals the planted one, and the CI is the point */
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *ev = want[i].ev;
		double b = EC("emu_per_event", "exact", ev), h = EC("hw_per_event", "exact", ev);
		double avg = sum_hw[0] / sum_insns[0];

		CHECKF(near(b, want[i].insns), "exact %s: %g instructions per event, planted %g", ev, b,
		      want[i].insns);
		/* the other work varies from region to region: a real interval around the point */
		CHECKF(EC("emu_lo", "exact", ev) < want[i].insns && want[i].insns < EC("emu_hi", "exact", ev),
		      "exact %s: instruction CI [%g, %g] should hold %g", ev, EC("emu_lo", "exact", ev),
		      EC("emu_hi", "exact", ev), want[i].insns);
		CHECKF(near(h, want[i].ns), "exact %s: %g ns per event, planted %g", ev, h, want[i].ns);
		/* the other instructions explain the rest of the hardware time: no residual */
		CHECKF(near(EC("hw_lo", "exact", ev), want[i].ns) && near(EC("hw_hi", "exact", ev), want[i].ns),
		      "exact %s: hardware CI [%g, %g] should be the point", ev, EC("hw_lo", "exact", ev),
		      EC("hw_hi", "exact", ev));
		CHECKF(near(EC("qemu_ns_per_event", "exact", ev), QEMU_NS_PER_INSN * want[i].insns),
		      "exact %s: QEMU %g ns per event, planted %g", ev, EC("qemu_ns_per_event", "exact", ev),
		      QEMU_NS_PER_INSN * want[i].insns);
		CHECKF(near(EC("hw_per_insn", "exact", ev), want[i].ns / want[i].insns),
		      "exact %s: %g ns per emulated instruction, want %g", ev, EC("hw_per_insn", "exact", ev),
		      want[i].ns / want[i].insns);
		CHECKF(near(EC("hw_per_insn_avg", "exact", ev), avg), "exact %s: average %g, want %g", ev,
		      EC("hw_per_insn_avg", "exact", ev), avg);
		CHECKF(near(EC("ratio", "exact", ev), want[i].ns / want[i].insns / avg),
		      "exact %s: ratio %g, want %g", ev, EC("ratio", "exact", ev), want[i].ns / want[i].insns / avg);
		CHECKF(EC("n", "exact", ev) == 12, "exact %s: 12 regions", ev);
		CHECKF(EC("terms", "exact", ev) == 4, "exact %s: 4 terms (3 events, intercept)", ev);
	}
	CHECKF(query_d(s, "SELECT count(*) FROM event_cost WHERE hw_metric = '%s' AND emu_metric = '%s'",
		      "time_ns", "insns") == 7, "7 event rows (3 exact, 2 noisy, 2 few), metrics named");
	/* 6 regions for 3 terms: written, with what the report needs to warn */
	CHECKF(EC("n", "few", "traps") == 6 && EC("terms", "few", "traps") == 3, "few: 6 regions, 3 terms");

	/* noisy hardware: emulation still exact; hardware near the planted cost, inside its CI;
	 * no exits in any region: no exits row */
	CHECKF(isnan(EC("emu_per_event", "noisy", "exits")), "a workload without exits has no exits row");
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *ev = want[i].ev;
		double h = EC("hw_per_event", "noisy", ev), lo = EC("hw_lo", "noisy", ev),
		       hi = EC("hw_hi", "noisy", ev);

		if (!strcmp(ev, "exits"))
			continue;
		CHECKF(near(EC("emu_per_event", "noisy", ev), want[i].insns), "noisy %s: instructions %g", ev,
		      EC("emu_per_event", "noisy", ev));
		CHECKF(lo < want[i].ns && want[i].ns < hi && fabs(h - want[i].ns) < 0.05 * want[i].ns &&
			      hi - lo < 0.2 * want[i].ns,
		      "noisy %s: %g ns [%g, %g], planted %g", ev, h, lo, hi, want[i].ns);
		printf("noisy %s: emulation %g insns, hardware %.1f ns [%.1f, %.1f] per event\n", ev,
		       EC("emu_per_event", "noisy", ev), h, lo, hi);
	}

	/* re-running replaces the rows, no duplicates */
	CHECKF(stats__run(s->db, s->path, &o, &sum) == 0, "stats__run again");
	CHECKF(query_d(s, "SELECT count(*) FROM event_cost WHERE '%s' = '%s'", "", "") == 7,
	      "re-run: still 7 rows");
	store__close(s);
	gsl_rng_free(rng);
	if (!check_failures)
		printf("ok: per-event costs recovered exactly\n");
	return check_exit();
}
