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

int event_cost__fit(struct engine *e, const struct workload_data *w, const struct wl_calc *c,
		    int hw_m, const char *metric)
{
	int em = workload_data__metric(w, METRIC_INSNS), qm = workload_data__metric(w, METRIC_QEMU_HOST_NS);
	int evm[EV_COUNT];
	size_t R = c->R;
	double *X1 = xcalloc(R * S1_TERMS, sizeof(double)), *X2 = xcalloc(R * S2_TERMS, sizeof(double));
	double *yi = xcalloc(R, sizeof(double)), *yh = xcalloc(R, sizeof(double));
	double *yq = xcalloc(R, sizeof(double));
	double sum_i = 0, sum_h = 0, avg;
	struct linfit f1, fh, fq;
	int have_h, have_q = 0, ret = 0;
	sqlite3_stmt *st = NULL;

	if (em < 0 || !c->ne)
		goto out;
	for (int k = 0; k < EV_COUNT; k++)
		evm[k] = workload_data__metric(w, ev_term[k]);
	for (size_t r = 0; r < R; r++) {
		size_t g = c->reg[r];

		for (int k = 0; k < EV_COUNT; k++) {
			double v = region_mean(w, evm[k], c->emu_run, c->ne, g);

			X1[r * S1_TERMS + k] = X2[r * S2_TERMS + k] = v;
		}
		X1[r * S1_TERMS + EV_COUNT] = X2[r * S2_TERMS + EV_COUNT] = 1;
		yi[r] = region_mean(w, em, c->emu_run, c->ne, g);
		yh[r] = region_mean(w, hw_m, c->hw_run, c->nh, g);
		if (qm >= 0) {
			yq[r] = region_mean(w, qm, c->emu_run, c->ne, g);
			have_q |= yq[r] != 0;
		}
		sum_i += yi[r];
		sum_h += yh[r];
	}
	/* stage 1: instructions per event; no event column left: nothing to say */
	if (stats__linfit(X1, yi, R, S1_TERMS, ev_term, 1, 0, e->o->confidence, &f1) ||
	    f1.rank != f1.p || f1.p < 2)
		goto out;
	for (size_t r = 0; r < R; r++)
		X2[r * S2_TERMS + EV_COUNT + 1] = yi[r] - linfit__predict(&f1, X1 + r * S1_TERMS);
	have_h = hw_m >= 0 && c->nh && sum_h > 0 &&
		 !stage2(X2, X1, yh, R, e->o->confidence, &fh);
	have_q = have_q && !stage2(X2, X1, yq, R, e->o->confidence, &fq);
	avg = sum_i > 0 && sum_h > 0 ? sum_h / sum_i : NAN;

	if (sqlite3_prepare_v2(e->db,
			       "INSERT INTO event_cost (workload_id, event, emu_metric, emu_per_event,"
			       " emu_lo, emu_hi, hw_metric, hw_per_event, hw_lo, hw_hi, qemu_ns_per_event,"
			       " qemu_lo, qemu_hi, hw_per_insn, hw_per_insn_avg, ratio, n, terms)"
			       " VALUES (?1, ?2, 'insns', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
			       " ?16, ?17)",
			       -1, &st, NULL) != SQLITE_OK) {
		ret = error("%s: writing event_cost: %s", e->path, sqlite3_errmsg(e->db));
		goto out;
	}
	for (int k = 0; k < EV_COUNT; k++) {
		double lo, hi, b = coef_of(&f1, ev_term[k], &lo, &hi);
		double hwc = NAN, hlo = NAN, hhi = NAN, q = NAN, qlo = NAN, qhi = NAN, per = NAN;

		if (isnan(b))
			continue; /* no region has this event (or it is constant) */
		if (have_h)
			hwc = coef_of(&fh, ev_term[k], &hlo, &hhi);
		if (have_q)
			q = coef_of(&fq, ev_term[k], &qlo, &qhi);
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
		if (have_h)
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
		bind_real(st, 14, avg);
		bind_real(st, 15, per / avg);
		sqlite3_bind_int64(st, 16, (int64_t)R);
		sqlite3_bind_int64(st, 17, (int64_t)f1.p);
		if (sqlite3_step(st) != SQLITE_DONE) {
			ret = error("%s: writing event_cost: %s", e->path, sqlite3_errmsg(e->db));
			goto out;
		}
	}
out:
	sqlite3_finalize(st);
	free(X1);
	free(X2);
	free(yi);
	free(yh);
	free(yq);
	return ret;
}
