/*
 * event_cost.c - per-event cost: how many instructions emulation attributes
 * to one syscall, trap or exit, what one costs on hardware, and how the two
 * compare ("emulation: 310 instructions per exit; hardware: 1900 ns").
 *
 * Regions are the observations (means over runs, as in the cost model).
 * Stage 1 fits the emulated instructions on the event counts:
 *     insns = a + b_syscalls*syscalls + b_traps*traps + b_exits*exits
 * so b_E is the instructions per event E. Stage 2 fits the hardware cost on
 * the same event counts plus the stage-1 residual ("other" instructions, the
 * work that is not the events'):
 *     hw = c + d_E*E... + g*other
 * The residual is orthogonal to the event columns and the intercept, so d_E
 * equals the slope of hardware cost on the event counts alone: the whole
 * hardware cost of one event, its own instructions included, while g takes
 * the non-event work out of the residual variance, which narrows the
 * intervals. QEMU's host time gets the same stage 2. Both stages are plain
 * least squares: the orthogonality that gives d_E this meaning holds only for
 * them, not for a robust refit. Rows are written whatever the number of
 * regions; with fewer than 3 regions per stage-1 term (column terms) the
 * report and `show costs` say that the figures are not to be trusted.
 */
#include "engine.h"
#include "common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { EV_SYSCALLS, EV_TRAPS, EV_EXITS, EV_COUNT };
static const char *const ev_term[EV_COUNT + 2] = { METRIC_SYSCALLS, METRIC_TRAPS, METRIC_EXITS, "intercept",
						   "other_insns" };
#define S1_TERMS (EV_COUNT + 1) /* events, intercept */
#define S2_TERMS (EV_COUNT + 2) /* events, intercept, other instructions */

/* the coefficient of term in f, or NaN (with NaN bounds) when it was dropped */
static double coef_of(const struct linfit *f, const char *term, double *lo, double *hi)
{
	for (size_t j = 0; j < f->p; j++)
		if (!strcmp(f->term[j], term)) {
			*lo = f->ci_lo[j];
			*hi = f->ci_hi[j];
			return f->coef[j];
		}
	*lo = *hi = NAN;
	return NAN;
}

/* mean of metric m over runs of region r; NaN counts as 0 (as in the model) */
static double region_mean(const struct workload_data *w, int m, const size_t *runs, size_t n, size_t r)
{
	double s = 0;

	for (size_t i = 0; i < n; i++) {
		double v = workload_data__get(w, m, runs[i], r);

		s += isnan(v) ? 0 : v;
	}
	return n ? s / (double)n : 0;
}

/*
 * Stage 2 for response y: with the other instructions when the regions allow
 * it, else on the events alone (same point estimates, wider intervals).
 */
static int stage2(const double *X2, const double *X1, const double *y, size_t R, double conf,
		  struct linfit *f)
{
	if (!stats__linfit(X2, y, R, S2_TERMS, ev_term, 1, 0, conf, f) && f->rank == f->p)
		return 0;
	if (!stats__linfit(X1, y, R, S1_TERMS, ev_term, 1, 0, conf, f) && f->rank == f->p)
		return 0;
	return -1;
}

static void bind_real(sqlite3_stmt *st, int i, double x)
{
	if (isfinite(x))
		sqlite3_bind_double(st, i, x);
	else
		sqlite3_bind_null(st, i);
}

/* The regions as observations: means over runs of the event counts and responses. */
struct ev_obs {
	size_t R;
	double *X1, *X2;     /* R x S1_TERMS, R x S2_TERMS (X2's last column: stage 1's residual) */
	double *yi, *yh, *yq; /* emulated instructions, hardware cost, QEMU host time */
	double sum_i, sum_h;
	int any_q;           /* some region has QEMU host time */
};

static void ev_obs__fill(struct ev_obs *ob, const struct workload_data *w, const struct wl_calc *c,
			 int em, int qm, int hw_m)
{
	size_t R = c->R;
	int evm[EV_COUNT];

	memset(ob, 0, sizeof(*ob));
	ob->R = R;
	ob->X1 = xcalloc(R * S1_TERMS, sizeof(double));
	ob->X2 = xcalloc(R * S2_TERMS, sizeof(double));
	ob->yi = xcalloc(R, sizeof(double));
	ob->yh = xcalloc(R, sizeof(double));
	ob->yq = xcalloc(R, sizeof(double));
	for (int k = 0; k < EV_COUNT; k++)
		evm[k] = workload_data__metric(w, ev_term[k]);
	for (size_t r = 0; r < R; r++) {
		size_t g = c->reg[r];

		for (int k = 0; k < EV_COUNT; k++) {
			double v = region_mean(w, evm[k], c->emu_run, c->ne, g);

			ob->X1[r * S1_TERMS + k] = ob->X2[r * S2_TERMS + k] = v;
		}
		ob->X1[r * S1_TERMS + EV_COUNT] = ob->X2[r * S2_TERMS + EV_COUNT] = 1;
		ob->yi[r] = region_mean(w, em, c->emu_run, c->ne, g);
		ob->yh[r] = region_mean(w, hw_m, c->hw_run, c->nh, g);
		if (qm >= 0) {
			ob->yq[r] = region_mean(w, qm, c->emu_run, c->ne, g);
			ob->any_q |= ob->yq[r] != 0;
		}
		ob->sum_i += ob->yi[r];
		ob->sum_h += ob->yh[r];
	}
}

static void ev_obs__free(struct ev_obs *ob)
{
	free(ob->X1);
	free(ob->X2);
	free(ob->yi);
	free(ob->yh);
	free(ob->yq);
}

/* Both stages' fits; have_h, have_q: whether hardware and QEMU's stage 2 are there. */
struct ev_fits {
	struct linfit f1, fh, fq;
	int have_h, have_q;
	double avg; /* the workload's hardware cost per emulated instruction */
};

/* 0, or -1 when stage 1 leaves no event column: nothing to say */
static int ev_fit(struct ev_obs *ob, int hw_present, double conf, struct ev_fits *f)
{
	size_t R = ob->R;

	/* stage 1: instructions per event */
	if (stats__linfit(ob->X1, ob->yi, R, S1_TERMS, ev_term, 1, 0, conf, &f->f1) ||
	    f->f1.rank != f->f1.p || f->f1.p < 2)
		return -1;
	for (size_t r = 0; r < R; r++)
		ob->X2[r * S2_TERMS + EV_COUNT + 1] = ob->yi[r] - linfit__predict(&f->f1, ob->X1 + r * S1_TERMS);
	f->have_h = hw_present && ob->sum_h > 0 && !stage2(ob->X2, ob->X1, ob->yh, R, conf, &f->fh);
	f->have_q = ob->any_q && !stage2(ob->X2, ob->X1, ob->yq, R, conf, &f->fq);
	f->avg = ob->sum_i > 0 && ob->sum_h > 0 ? ob->sum_h / ob->sum_i : NAN;
	return 0;
}

/* The row of event k; 0 when the event has none (no region has it, or it is constant). */
static int bind_event(sqlite3_stmt *st, const struct workload_data *w, const struct ev_fits *f,
		      int k, size_t R, const char *metric)
{
	double lo, hi, b = coef_of(&f->f1, ev_term[k], &lo, &hi);
	double hwc = NAN, hlo = NAN, hhi = NAN, q = NAN, qlo = NAN, qhi = NAN, per = NAN;

	if (isnan(b))
		return 0;
	if (f->have_h)
		hwc = coef_of(&f->fh, ev_term[k], &hlo, &hhi);
	if (f->have_q)
		q = coef_of(&f->fq, ev_term[k], &qlo, &qhi);
	/* hardware cost per emulated instruction of the event, against the workload's;
	 * a cost estimated at or below zero has no such ratio */
	if (b > 0 && hwc > 0)
		per = hwc / b;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, w->id);
	sqlite3_bind_text(st, 2, ev_term[k], -1, SQLITE_STATIC);
	bind_real(st, 3, b);
	bind_real(st, 4, lo);
	bind_real(st, 5, hi);
	if (f->have_h)
		sqlite3_bind_text(st, 6, metric, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 6);
	bind_real(st, 7, hwc);
	bind_real(st, 8, hlo);
	bind_real(st, 9, hhi);
	bind_real(st, 10, q);
	bind_real(st, 11, qlo);
	bind_real(st, 12, qhi);
	bind_real(st, 13, per);
	bind_real(st, 14, f->avg);
	bind_real(st, 15, per / f->avg);
	sqlite3_bind_int64(st, 16, (int64_t)R);
	sqlite3_bind_int64(st, 17, (int64_t)f->f1.p);
	return 1;
}

static int write_rows(struct engine *e, const struct workload_data *w, const struct ev_fits *f,
		      size_t R, const char *metric)
{
	sqlite3_stmt *st = NULL;
	int ret = 0;

	if (sqlite3_prepare_v2(e->db,
			       "INSERT INTO event_cost (workload_id, event, emu_metric, emu_per_event,"
			       " emu_lo, emu_hi, hw_metric, hw_per_event, hw_lo, hw_hi, qemu_ns_per_event,"
			       " qemu_lo, qemu_hi, hw_per_insn, hw_per_insn_avg, ratio, n, terms)"
			       " VALUES (?1, ?2, '" METRIC_INSNS "', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
			       " ?12, ?13, ?14, ?15, ?16, ?17)",
			       -1, &st, NULL) != SQLITE_OK)
		return error("%s: writing event_cost: %s", e->path, sqlite3_errmsg(e->db));
	for (int k = 0; k < EV_COUNT && !ret; k++)
		if (bind_event(st, w, f, k, R, metric) && sqlite3_step(st) != SQLITE_DONE)
			ret = error("%s: writing event_cost: %s", e->path, sqlite3_errmsg(e->db));
	sqlite3_finalize(st);
	return ret;
}

int event_cost__fit(struct engine *e, const struct workload_data *w, const struct wl_calc *c,
		    int hw_m, const char *metric)
{
	int em = workload_data__metric(w, METRIC_INSNS), qm = workload_data__metric(w, METRIC_QEMU_HOST_NS);
	struct ev_obs ob;
	struct ev_fits f;
	int ret = 0;

	if (em < 0 || !c->ne)
		return 0;
	ev_obs__fill(&ob, w, c, em, qm, hw_m);
	if (!ev_fit(&ob, hw_m >= 0 && c->nh, e->o->confidence, &f))
		ret = write_rows(e, w, &f, ob.R, metric);
	ev_obs__free(&ob);
	return ret;
}
