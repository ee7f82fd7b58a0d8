/*
 * suite.h - internal to the suite-level analysis (suite.c, suite_load.c,
 * suite_calc.c): the units, each workload's runs in a unit, and the rows
 * before Benjamini-Hochberg.
 */
#ifndef EMUDIFF_STATS_SUITE_H
#define EMUDIFF_STATS_SUITE_H

#include "engine.h"

enum { SQ_INSNS, SQ_QEMU, SQ_COUNT };
extern const char *const suite__predictor[SQ_COUNT];

struct dvec {
	double *v;
	size_t n, cap;
};
void dvec__push(struct dvec *d, double x);

/* one workload's runs in a unit: hardware cost and the predictors, per platform kind */
struct suite_wl {
	int64_t wid, region_id;
	char *name;
	int emu_p, hw_p;
	struct dvec h, e[SQ_COUNT];
};

struct suite_unit {
	const char *scope;
	char *unit;
	struct suite_wl *wl;
	size_t n, cap;
};
struct suite_wl *suite_unit__add(struct suite_unit *u, int64_t wid, const char *name, int64_t region_id);

/* a suite finding before BH and the verdict */
struct srow {
	const char *scope;
	const char *unit; /* owned by the unit list */
	int64_t wid, region_id;
	const char *wname;
	int q, baseline, workloads, n_emu, n_hw;
	double factor, lo, hi, p, p_adj, hw_share, pred_share;
	const char *not_informative;
};

/* a named region of one workload in a unit: where engine__suite_take puts its runs */
struct suite_ref {
	int64_t wid, region_id;
	size_t unit, slot;
};

/*
 * The analysis's state across stats__run: the region units (marker regions
 * named alike in two workloads or more), filled workload by workload from the
 * data the engine loads anyway (engine__suite_take), rather than looked up in
 * region_metric again; ref sorted by workload and region id.
 */
struct suite_state {
	struct suite_unit *units;
	size_t nunits, cap;
	struct suite_ref *ref;
	size_t nref;
};

/* The region units and their slots (suite_load.c). 0, or -1 after a message. */
int suite__region_units(struct engine *e, struct suite_state *s);
/* The whole-run unit appended to *units (suite_load.c). 0, or -1 after a message. */
int suite__whole_run(struct engine *e, struct suite_unit **units, size_t *nunits, size_t *cap);
void suite__free_units(struct suite_unit *units, size_t n);

/* the rows of the study and the resample plans of its workloads (suite_calc.c) */
struct suite_calc {
	struct engine *e;
	struct srow *row;
	size_t n, cap;
	struct suite_plan *plan; /* sorted by workload, side, size */
	size_t nplans;
};
/* Every unit's rows (share and robust per workload) and summaries (into
 * suite_summary, by the prepared statement ins): 0, or -1 after a message. */
int suite__compute(struct suite_calc *c, const struct suite_unit *units, size_t nunits, sqlite3_stmt *ins);
void suite_calc__free(struct suite_calc *c);

#endif
