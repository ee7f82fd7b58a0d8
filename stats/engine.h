/*
 * engine.h - internal to stats/: the in-memory picture of one workload and
 * the rows the engine collects before the Benjamini-Hochberg step.
 */
#ifndef EMUDIFF_STATS_ENGINE_H
#define EMUDIFF_STATS_ENGINE_H

#include "stats.h"
#include "common.h"

#include <math.h>
#include <sqlite3.h>
#include <stdint.h>

/* ab.c's statements on region_metric, listed in stats__region_metric_sql (stats.h). */
extern const char ab__region_costs_sql[], ab__run_costs_sql[];

struct wl_run {
	int64_t id;
	int platform;
	int status;
};

/* One workload: runs x regions matrices, one per metric, NaN where absent. */
struct workload_data {
	int64_t id;
	char *name;
	size_t nruns, nregions, nmetrics, metrics_alloc;
	struct wl_run *run;
	int64_t *region_id;
	char **region_key;
	char **metric;
	double **val; /* val[m][run * nregions + region] */
};

/* 0, or -1 after an error naming path (w then holds what was read: free it) */
int workload_data__load(sqlite3 *db, const char *path, int64_t id, const char *name,
			struct workload_data *w);
void workload_data__free(struct workload_data *w);
/* index of metric name, or -1 */
int workload_data__metric(const struct workload_data *w, const char *name);
static inline double workload_data__get(const struct workload_data *w, int m, size_t run,
					size_t region)
{
	return m < 0 ? NAN : w->val[m][run * w->nregions + region];
}

enum predictor { PRED_INSNS, PRED_QEMU_TIME, PRED_MODEL, PRED_COUNT };
enum baseline { BASE_SHARE, BASE_ROBUST, BASE_COUNT };
const char *predictor__name(int p);

/* One finding before BH and the verdict. */
struct finding_row {
	int64_t workload_id, region_id;
	int predictor, baseline, emu_platform, hw_platform;
	const char *metric; /* static string */
	double factor, ci_lo, ci_hi, pct_lo, pct_hi, p_value, p_adj;
	double pred_share, hw_share, hw_lo, hw_hi;
	int n_emu, n_hw, outliers;
	int64_t samples, samples_total; /* sampled hardware: pooled k of n (-1: not sampled) */
	int usable;       /* enough data for a verdict */
	const char *why;  /* when not usable: static reason */
};

struct finding_list {
	struct finding_row *row;
	size_t n, alloc;
};
struct finding_row *finding_list__add(struct finding_list *l);
void finding_list__reserve(struct finding_list *l, size_t more);

/* Observations for the study-wide cost model, per hardware metric. */
struct model_obs {
	const char *metric;
	double *X; /* rows of MODEL_TERMS */
	double *y;
	size_t n, alloc;
};
#define MODEL_TERMS 6
extern const char *const model_term[MODEL_TERMS];

/* A buffer reused from one workload to the next (large: page faults count). */
struct dbuf {
	double *p;
	size_t cap;
};
double *dbuf__get(struct dbuf *b, size_t n);

/* The smallest v[i] such that below plus the weights of the values up to it
 * reach target (a weighted quickselect; v and w reordered). NaN if m = 0. */
double wmedian__select(double *v, double *w, size_t m, double below, double target);

struct engine {
	sqlite3 *db;
	const char *path;
	const struct stats_options *o;
	struct finding_list findings;
	struct model_obs obs[3]; /* cycles, time_ns (hardware), qemu_host_ns (emulation) */
	sqlite3_stmt *ins_region_stat, *ins_agreement, *ins_cost_model;
	int threads;
	struct dbuf hboot, pboot[PRED_COUNT];
	struct stats_summary *sum;
	struct suite_state *suite; /* suite.h: the suite units, filled workload by workload */
};

/* A parallel for: fn(ctx, lo, hi) over [0, n) in contiguous chunks. */
#define PAR_MAX_THREADS 16
typedef void (*par_fn)(void *ctx, size_t lo, size_t hi);
void parallel__for(size_t n, int threads, par_fn fn, void *ctx);
/* threads to use: wanted if > 0, else the online CPUs (capped) */
int parallel__threads(int wanted);

/* Everything about one predictor of one workload. */
struct pred_data {
	int present;
	double *share;  /* ne x R per-run predicted shares */
	double *mean;   /* R: mean predicted share */
	double *var;    /* R: sample variance of the per-run shares */
	double *boot;   /* R x B: resampled factors, region-major (engine's buffer) */
	double *base;   /* B: robust baseline per resample, then its inverse */
	double *fhat;   /* R: point estimates of the share factor */
	int constant;   /* every run has the same shares */
	double base_hat;
	double base_lo, base_hi; /* sampled workloads: percentile interval of the robust baseline */
	double *jack[BASE_COUNT][2]; /* [baseline][0 = hw, 1 = emu]: n x R leave-one-out factors */
};

struct wl_calc {
	size_t ne, nh, R, B;
	size_t *emu_run, *hw_run; /* indices into w->run */
	size_t *reg;              /* selected regions (indices into w) */
	double *hshare, *hmean, *hvar, *hboot, *hjack; /* hboot: engine's buffer */
	struct pred_data pred[PRED_COUNT];
	/* after the fields of the bootstrap's loops, whose code then stays as it was tuned */
	int np, qs[PRED_COUNT];   /* the predictors present, in order */
	int emu_p, hw_p;          /* the platforms compared (-1: none of that kind) */
	int insns_m, hw_m;        /* indices in w of emulated instructions and the hardware metric */
	const char *metric;       /* the hardware metric's name (static string) */
	size_t *hw_outliers;      /* per region of w: outliers of the hardware metric */
	/* sampled hardware (symbol regions of collect hw --sample): per region the
	 * samples pooled over the compared hardware runs, and their total; NULL
	 * and 0 when the hardware metric is not sampled */
	double *hk;
	double hn;
};

/* region_stat rows of a workload; hw_outliers[r] gets the outlier count of the hardware metric */
int region_stat__write(struct engine *e, const struct workload_data *w, int hw_platform,
		       int hw_metric, size_t *hw_outliers);
/*
 * Fit the workload's cost model on its regions and write it; when it is good
 * enough to predict, set c->pred[PRED_MODEL] (per-run predicted shares).
 * 0 (with or without a usable model) or -1 on a store error.
 */
int model__fit(struct engine *e, const struct workload_data *w, struct wl_calc *c, int hw_m,
	       const char *metric, struct linfit *fit);
/* the agreement row of one predictor */
int agreement__write(struct engine *e, const struct workload_data *w, const struct wl_calc *c,
		     int q, const char *metric);

/*
 * Per-event cost of a workload (event_cost.c): emulated instructions per
 * syscall, trap and exit, and the hardware metric's cost per event, on the
 * regions of c; one event_cost row per event present. 0, or -1 on a store error.
 */
int event_cost__fit(struct engine *e, const struct workload_data *w, const struct wl_calc *c,
		    int hw_m, const char *metric);
/*
 * The share factors of a workload whose shares, means and variances are in c
 * (factor_boot.c): sets c->np and c->qs, the point estimates, the bootstrap
 * of every predictor (c->hboot, pred[].boot and .base) and the jackknives.
 * 0, or -1 when the bootstrap's memory cannot be had.
 */
int factor_boot__run(struct engine *e, const struct workload_data *w, struct wl_calc *c);
/* The findings of c's regions from its bootstrap: intervals and tests (factor_ci.c). */
void factor_ci__collect(struct engine *e, const struct workload_data *w, struct wl_calc *c);
/*
 * Sampled hardware shares (sampled.c). sampled__counts: c->hk and c->hn when
 * the hardware metric of c's regions comes from samples (else NULL, 0).
 * sampled__base_interval: base_lo, base_hi of c's predictors, after the
 * bootstrap. sampled__finding: f's interval and p-value for region r of c,
 * predictor q and baseline b from the exact binomial interval of its k of n
 * samples, joined with the bootstrap's interval boot when there is one.
 */
void sampled__counts(struct wl_calc *c, const struct workload_data *w);
void sampled__base_interval(struct wl_calc *c, double confidence);
void sampled__finding(struct finding_row *f, const struct wl_calc *c, size_t r, int q, int b,
		      const struct boot_ci *boot, double confidence, double tol);
/* Findings without a verdict, for why, for predictor q of every region of c. */
/* The findings of region c->reg[r] without a verdict: why, and the runs counted (ne, nh). */
void factor_ci__none_region(struct engine *e, const struct workload_data *w, const struct wl_calc *c, int q,
			    size_t r, const char *why, size_t ne, size_t nh);
void factor_ci__none(struct engine *e, const struct workload_data *w, const struct wl_calc *c,
		     int q, const char *why);
/* Per workload: region_stat, findings (collected), agreement, cost_model. */
int engine__workload(struct engine *e, struct workload_data *w);
/* Write a fitted model's terms to cost_model (workload_id <= 0: NULL). */
int engine__write_model(struct engine *e, int64_t workload_id, const char *metric,
			const struct linfit *f);
/* After all workloads: BH, verdicts, reasons, finding rows. */
int engine__write_findings(struct engine *e);
/* Suite-level findings across workloads (suite.c) into suite_finding, suite_summary. */
int engine__suite(struct engine *e);
/* The runs of w's regions that are suite units, kept for engine__suite (0, or
 * -1 after a message); engine__suite_free releases them (engine__suite does). */
int engine__suite_take(struct engine *e, const struct workload_data *w);
void engine__suite_free(struct engine *e);
/*
 * Whole-run metrics of one kind compared (run_compare.c): per workload,
 * metric and pair of an emulation and a hardware platform into
 * server_compare (column kind), per platform into run_metric_stat.
 */
struct run_compare_kind {
	const char *kind; /* server_compare.kind, run_metric_stat.kind; bootstrap streams "<kind>:..." */
	/* (workload_id, workload name, metric, ord, platform, value) of ok runs,
	 * ordered by workload name, ord, metric, platform, run id; ?1 is param */
	const char *rows_sql, *param;
	/* a mean and its interval in the reasons (NULL: "v [lo, hi]" by num__fmt; NaN ends: none) */
	void (*fmt_ci)(char *buf, size_t n, double v, double lo, double hi);
	size_t *workloads, *metrics, *flagged;      /* the summary's counters */
};
int run_compare__run(struct engine *e, const struct run_compare_kind *k);
/* Client-server workloads: the driver's metrics (server.c). */
int engine__servers(struct engine *e);
/* Boot latencies: boot_<stage>_ns and until_console_ns (boot.c). */
int engine__boot(struct engine *e);
/* A/B pairs of table ab_pair into ab_compare. */
int engine__ab(struct engine *e);
/*
 * The threads of a workload (threads.c): thread_imbalance rows for its marker
 * regions run by several threads and for its whole runs, and thread_share
 * rows, comparing platform emu_p with hw_p (-1: none) on the hardware metric
 * hw_metric. Nothing for a single-threaded workload. 0, or -1 on a store error.
 */
int threads__workload(struct engine *e, const struct workload_data *w, int emu_p, int hw_p,
		      const char *hw_metric);
/* Seed for one stream of one workload: mixes the user's seed and a name. */
unsigned long engine__seed(unsigned long seed, const char *name, const char *stream);

#endif
