/*
 * threads.h - internal to stats/: what threads.c (thread_imbalance, the
 * regions run by several threads) and threads_run.c (thread_share and the
 * whole runs, from thread_metric) share.
 */
#ifndef EMUDIFF_STATS_THREADS_H
#define EMUDIFF_STATS_THREADS_H

#include "engine.h"

/* One platform's costs: per ok run (rows) and thread (columns). */
struct tside {
	int platform;   /* -1: none */
	const char *metric;
	size_t n, K;
	double *x;      /* n x K; a run's thread without a value counts 0 */
	double mean[];  /* K column means */
};

/* What a side gives after the bootstrap. */
struct test {
	double point, lo, hi;
	int max_thread;
};

/* Resample plans, one per side and number of runs: the rows of a workload share them. */
struct plan_cache {
	int side;
	struct boot_plan plan;
};

struct tctx {
	struct engine *e;
	const struct workload_data *w;
	sqlite3_stmt *ins_imb, *ins_share;
	struct plan_cache *plans;
	size_t nplans;
};

struct tside *tside__new(int platform, const char *metric, size_t nruns, size_t K);
void tside__free(struct tside *s);
/*
 * Column means of every resample of s's runs into boot[B x K] (side: 0
 * emulation, 1 hardware: the plan of that side for s->n runs), and s->mean.
 * 0, or -1 when the plan cannot be had.
 */
int tside__boot(struct tctx *t, struct tside *s, int side, double *boot);
/* The percentile interval of the finite values of v[0..b) (reordered). */
void thr__pct_interval(double *v, size_t b, double confidence, double *lo, double *hi);
void thr__bind_side(sqlite3_stmt *st, int col, const struct tside *s); /* its platform or NULL */
void thr__bind_num(sqlite3_stmt *st, int col, double v);             /* NULL unless finite */
void thr__fmt_ci(char *buf, size_t n, double v, double lo, double hi); /* "v [lo, hi]" */
/* 0 underestimates, 1 overestimates, 2 agrees, 3 inconclusive: the lead sentence's index */
int thr__lead(const char *verdict);
/* Why side s (named what) cannot be judged, in buf; NULL when it can. */
const char *thr__side_lacks(const struct tside *s, const char *what, char *buf, size_t n);
/* One thread_imbalance row: region key (NULL: the whole run), the two sides, the threads' ordinals. */
int thr__write_imbalance(struct tctx *t, const char *key, struct tside *emu, struct tside *hw, const int *tid);
/* The whole runs' rows (thread_imbalance with key NULL, thread_share) from thread_metric. */
int thr__whole_runs(struct tctx *t, int emu_p, int hw_p, const char *hw_metric);

#endif
