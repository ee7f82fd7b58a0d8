/*
 * latency_scale.c - the latency statistics at 10^6 events per run: a store
 * with one workload, one region and one latency metric, RUNS emulation and
 * RUNS hardware runs of EVENTS lognormal samples each (hardware 1.5x), then
 * `emudiff stats` (stats__run: reading the blobs, sorting, quantiles, the
 * bootstrap of p50/p99/max and the KS test) timed, with the time of writing
 * the store beside it.
 *
 * usage: latency-scale STORE [EVENTS_PER_RUN (10^6)] [RUNS_PER_PLATFORM (3)] [RESAMPLES (2000)]
 */
#include "stats.h"
#include "latency_fill.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t events = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
	int runs = argc > 3 ? atoi(argv[3]) : 3;
	struct stats_options o;
	struct store *s;
	gsl_rng *r;
	double t0, t1, t2;

	if (argc < 2 || !events || runs < 1) {
		fprintf(stderr, "usage: latency-scale STORE [EVENTS_PER_RUN] [RUNS_PER_PLATFORM] [RESAMPLES]\n");
		return 2;
	}
	unlink(argv[1]);
	s = store__open(argv[1], STORE_CREATE);
	if (!s)
		return 1;
	r = gsl_rng_alloc(gsl_rng_mt19937);
	t0 = now();
	if (latency_fill(s, "latency-scale", runs, PLAT_HW, events, 1.5, 0.6, LATENCY_KEY_RUN, "lat_wakeup_ns", r))
		return 1;
	t1 = now();
	stats_options__init(&o);
	o.quiet = 1;
	if (argc > 4)
		o.resamples = strtoul(argv[4], NULL, 10);
	if (stats__run(s->db, argv[1], &o, NULL))
		return 1;
	t2 = now();
	printf("latency-scale: %d+%d runs x %zu events, %zu resamples: store written in %.2f s, stats %.2f s "
	       "(%.2f s per 10^6 events read and compared)\n",
	       runs, runs, events, o.resamples, t1 - t0, t2 - t1, (t2 - t1) / (2.0 * runs * events / 1e6));
	store__close(s);
	gsl_rng_free(r);
	return 0;
}
