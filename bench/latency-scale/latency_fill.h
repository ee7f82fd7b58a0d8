/*
 * latency_fill.h - a store of planted latency samples, for the latency
 * benchmark and tests/stats/test_latency.c: runs qemu-system runs and runs
 * hardware runs (platform hw_platform) of workload name, each of events
 * lognormal draws (median 20 us, shape sigma; hardware hw_scale times larger)
 * as one latency_sample row of key and metric. 0, or -1 (printed).
 */
#ifndef EMUDIFF_LATENCY_FILL_H
#define EMUDIFF_LATENCY_FILL_H

#include "store.h"
#include "common.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>

static inline int latency_fill(struct store *s, const char *name, int runs, int hw_platform, size_t events,
			       double hw_scale, double sigma, const char *key, const char *metric, gsl_rng *r)
{
	double *v = xmalloc((events ? events : 1) * sizeof(*v));
	int rc = 0;

	for (int k = 0; k < 2 * runs && !rc; k++) {
		struct ingest_workload w = { name, "riscv64", NULL, NULL };
		struct run_info ri = { .platform = platform__name(k < runs ? PLAT_QEMU_SYSTEM : hw_platform),
				       .config_json = "{}", .rep = k, .status = run_status__name(RUN_OK),
				       .exit_code = 0, .wall_ns = -1 };
		int64_t id = store__ingest_begin(s, &w, &ri);

		for (size_t i = 0; i < events; i++)
			v[i] = (k < runs ? 1 : hw_scale) * gsl_ran_lognormal(r, log(20e3), sigma);
		rc = id < 0 || store__ingest_end(s, store__latency_add(s, id, key, metric, v, events)) ? -1 : 0;
	}
	free(v);
	return rc;
}

#endif
