/*
 * test_sampled.c - sampled hardware regions (stats/sampled.c) on planted
 * stores whose truth is known:
 *  - the Clopper-Pearson bounds against their closed forms (k = 0, k = n) and
 *    a published value (5 of 20);
 *  - a symbol region with a large instruction share and no samples in any
 *    run is judged 'overestimates' (hardware spends less there than emulation
 *    predicts), its interval's upper bound exactly the closed-form bound
 *    (1 - (alpha/2)^(1/n)) / predicted share, with samples 0 of n stored;
 *  - a region with a few samples and a matching prediction is never flagged
 *    (agrees or inconclusive), in every one of many planted workloads;
 *  - a region with many samples and a matching prediction agrees, one that
 *    costs 4x its prediction is judged 'underestimates';
 *  - marker regions (not sampled) store no sample counts.
 *
 * usage: test_sampled SCRATCH_DIR
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

enum { RUNS = 6, PER_RUN = 1000, WORKLOADS = 12 };

/* region: name, instruction share (emulation), true share of the samples (hardware) */
static const struct {
	const char *name;
	double pred, hw;
} region[] = {
	{ "hot", 0.45, 0.45 },
	{ "zero", 0.10, 0 },          /* large prediction, never sampled */
	{ "few", 0.0005, 0.0005 },    /* about 3 samples in 6000, as predicted */
	{ "slow", 0.05, 0.20 },       /* 4x its prediction */
	{ "m1", 0.3995 / 3, 0.3495 / 3 }, /* 0.875x */
	{ "m2", 0.3995 / 3, 0.3495 / 3 },
	{ "m3", 0.3995 / 3, 0.3495 / 3 },
};
#define NREG (sizeof(region) / sizeof(region[0]))

static gsl_rng *rng;

static void add_sampled(struct store *s, const char *name)
{
	int64_t w = store__workload(s, name, "x86_64", NULL, NULL);
	double p[NREG];

	for (size_t r = 0; r < NREG; r++)
		p[r] = region[r].hw;
	for (int side = 0; side < 2; side++)
		for (int k = 0; k < RUNS; k++) {
			struct run_info ri = { w, side ? "hw" : "qemu-user", "{}", k, "ok", 0, -1, NULL };
			int64_t run = store__run_add(s, &ri);
			unsigned n[NREG];

			gsl_ran_multinomial(rng, NREG, PER_RUN, p, n);
			for (size_t r = 0; r < NREG; r++) {
				char key[32];
				int64_t reg;

				snprintf(key, sizeof(key), "s:%s", region[r].name);
				reg = store__region(s, w, key, region[r].name);
				if (!side) {
					/* identical instruction counts in every run: a known predicted share */
					store__region_metric_set(s, run, reg, "insns", region[r].pred * 1e7);
				} else if (n[r]) {
					/* as collect hw stores them: no row for a region without samples */
					store__region_metric_set(s, run, reg, "samples", n[r]);
					store__region_metric_set(s, run, reg, "time_ns", n[r] * 1e5);
				}
			}
			store__run_metric_set(s, run, side ? "samples" : "insns", side ? PER_RUN : 1e7);
		}
}

/* a workload of marker regions, timed between markers: no sample counts */
static void add_marked(struct store *s)
{
	int64_t w = store__workload(s, "marked", "x86_64", NULL, NULL);

	for (int side = 0; side < 2; side++)
		for (int k = 0; k < RUNS; k++) {
			struct run_info ri = { w, side ? "hw" : "qemu-user", "{}", k, "ok", 0, -1, NULL };
			int64_t run = store__run_add(s, &ri);

			for (int r = 0; r < 4; r++) {
				char key[32];
				int64_t reg;

				snprintf(key, sizeof(key), "m:%d->%d#1", r + 1, r + 2);
				reg = store__region(s, w, key, NULL);
				store__region_metric_set(s, run, reg, side ? "time_ns" : "insns",
							 (r + 1) * 1e5 * (1 + gsl_ran_gaussian(rng, 0.01)));
			}
		}
}

#define ROWS "FROM finding f JOIN region g ON g.id = f.region_id WHERE f.predictor = 'insns'"

static void check_cp(void)
{
	double lo, hi, a = 0.05;

	stats__clopper_pearson(0, 6000, 0.95, &lo, &hi);
	CHECKF(lo == 0 && fabs(hi - (1 - pow(a / 2, 1.0 / 6000))) < 1e-12, "k = 0: [0, 1 - (a/2)^(1/n)] (%g, %g)",
	       lo, hi);
	stats__clopper_pearson(40, 40, 0.95, &lo, &hi);
	CHECKF(hi == 1 && fabs(lo - pow(a / 2, 1.0 / 40)) < 1e-12, "k = n: [(a/2)^(1/n), 1] (%g, %g)", lo, hi);
	/* 5 of 20 at 95%: 0.0866, 0.4910 (Clopper and Pearson's tables) */
	stats__clopper_pearson(5, 20, 0.95, &lo, &hi);
	CHECKF(fabs(lo - 0.08657) < 1e-4 && fabs(hi - 0.49105) < 1e-4, "5 of 20: (%g, %g)", lo, hi);
}

int main(int argc, char **argv)
{
	struct stats_options o;
	struct stats_summary sum;
	struct store *s;
	char *path;
	double n = (double)RUNS * PER_RUN, bound, v;

	gsl_set_error_handler_off();
	if (argc != 2) {
		fprintf(stderr, "usage: test_sampled SCRATCH_DIR\n");
		return 2;
	}
	check_cp();
	path = xasprintf("%s/stats-sampled.db", argv[1]);
	unlink(path);
	s = store__open(path, STORE_CREATE);
	if (!s)
		return 1;
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 7);
	store__begin(s);
	for (int i = 0; i < WORKLOADS; i++) {
		char name[32];

		snprintf(name, sizeof(name), "sampled%d", i);
		add_sampled(s, name);
	}
	add_marked(s);
	store__commit(s);
	stats_options__init(&o);
	o.quiet = 1;
	CHECKF(stats__run(s->db, s->path, &o, &sum) == 0, "stats__run");

	/* no samples where 10% of the instructions are: overestimates, by both baselines */
	v = test_query_d(s->db, "SELECT count(*) " ROWS " AND g.key = 's:zero' AND f.verdict = 'overestimates'"
		       " AND f.samples = 0 AND f.samples_total = %.0f", n);
	CHECKF(v == 2 * WORKLOADS, "zero samples: overestimates, 0 of %.0f samples stored (%g of %d rows)", n, v,
	       2 * WORKLOADS);
	/* its share row's bounds, computed here from the closed form */
	bound = 1 - pow(0.025, 1 / n);
	v = test_query_d(s->db, "SELECT max(abs(f.ci_hi - %.17g) / %.17g) " ROWS " AND g.key = 's:zero'"
		       " AND f.baseline = 'share'", bound / 0.10, bound / 0.10);
	CHECKF(v < 1e-9, "zero samples: CI upper bound = (1 - 0.025^(1/n)) / 0.10 = %g (relative error %g)",
	       bound / 0.10, v);
	v = test_query_d(s->db, "SELECT max(abs(f.hw_share_hi - %.17g) / %.17g) + max(f.ci_lo) + max(f.hw_share_lo) " ROWS
		       " AND g.key = 's:zero' AND f.baseline = 'share'", bound, bound);
	CHECKF(v < 1e-9, "zero samples: hardware share [0, %g], factor CI from 0 (%g)", bound, v);
	v = test_query_d(s->db, "SELECT count(*) " ROWS " AND g.key = 's:zero' AND f.baseline = 'share'"
		       " AND f.reason LIKE 'no hardware samples where its instruction share predicts 10.0%% of the time%%'"
		       " AND f.reason LIKE '%%0 of %.0f hardware samples'", n);
	CHECKF(v == WORKLOADS, "zero samples: the reason says so and counts them (%g)", v);

	/* a few samples, as predicted: never flagged */
	v = test_query_d(s->db, "SELECT count(*) " ROWS " AND g.key = 's:few' AND f.verdict IN ('underestimates', 'overestimates')");
	CHECKF(v == 0, "few samples, matching prediction: never flagged (%g rows flagged)", v);
	v = test_query_d(s->db, "SELECT count(*) " ROWS " AND g.key = 's:few' AND f.ci_lo < 1 AND f.ci_hi > 1"
		       " AND f.samples < 20 AND f.samples_total = %.0f", n);
	CHECKF(v == 2 * WORKLOADS, "few samples: intervals hold 1, samples counted (%g of %d)", v, 2 * WORKLOADS);

	/* many samples: agrees; 4x: underestimates */
	v = test_query_d(s->db, "SELECT count(*) " ROWS " AND g.key = 's:hot' AND f.baseline = 'share' AND f.verdict = 'agrees'");
	CHECKF(v == WORKLOADS, "many samples, matching: agrees (%g of %d)", v, WORKLOADS);
	v = test_query_d(s->db, "SELECT count(*) " ROWS " AND g.key = 's:slow' AND f.verdict = 'underestimates'");
	CHECKF(v == 2 * WORKLOADS, "4x its prediction: underestimates (%g of %d)", v, 2 * WORKLOADS);
	v = test_query_d(s->db, "SELECT count(*) " ROWS " AND g.key LIKE 's:m_' AND f.verdict IN ('underestimates', 'overestimates')");
	CHECKF(v == 0, "the other regions: not flagged (%g)", v);

	/* marker regions are timed, not sampled */
	v = test_query_d(s->db, "SELECT count(*) FROM finding f JOIN workload w ON w.id = f.workload_id"
		       " WHERE w.name = 'marked' AND (f.samples IS NOT NULL OR f.samples_total IS NOT NULL)");
	CHECKF(v == 0, "marker regions: no sample counts (%g)", v);
	v = test_query_d(s->db, "SELECT count(*) FROM finding f JOIN workload w ON w.id = f.workload_id WHERE w.name = 'marked'");
	CHECKF(v > 0, "marker regions: findings (%g)", v);

	store__close(s);
	gsl_rng_free(rng);
	free(path);
	return check_exit();
}
