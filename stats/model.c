/*
 * model.c - the linear cost model: hardware cost of a region on its emulation
 * features (instructions, memory accesses, syscalls, traps, exits), fitted
 * robustly with GSL; also QEMU host time on the same features.
 */
#include "engine.h"
#include "common.h"

#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const model_term[MODEL_TERMS] = {
	METRIC_INSNS, METRIC_MEM_ACCESSES, METRIC_SYSCALLS, METRIC_TRAPS, METRIC_EXITS, "intercept",
};

/* ---- the cost model ------------------------------------------------------ */

static void model_obs_add(struct model_obs *o, const double *x, double y)
{
	if (o->n == o->alloc) {
		o->alloc = o->alloc ? 2 * o->alloc : 1024;
		o->X = xrealloc(o->X, o->alloc * MODEL_TERMS * sizeof(*o->X));
		o->y = xrealloc(o->y, o->alloc * sizeof(*o->y));
	}
	memcpy(o->X + o->n * MODEL_TERMS, x, MODEL_TERMS * sizeof(*x));
	o->y[o->n++] = y;
}

/* the model's feature row of region r in emulation run i */
static void model_row(const struct workload_data *w, const int *fm, size_t i, size_t r, double *x)
{
	for (int t = 0; t < MODEL_TERMS - 1; t++) {
		double v = workload_data__get(w, fm[t], i, r);

		x[t] = isnan(v) ? 0 : v;
	}
	x[MODEL_TERMS - 1] = 1;
}

/* fits [lo, hi) of a fit_job: 0 the hardware cost, 1 QEMU's host time */
struct fit_job {
	const double *X, *y[2]; /* y[k] NULL: no such fit */
	size_t R;
	double confidence;
	struct linfit *out[2];
	int ret[2];
};

static void fit_chunk(void *ctx, size_t lo, size_t hi)
{
	struct fit_job *j = ctx;

	for (size_t k = lo; k < hi; k++)
		j->ret[k] = j->y[k] ? stats__linfit(j->X, j->y[k], j->R, MODEL_TERMS, model_term, 1, 1,
						    j->confidence, j->out[k])
				    : -1;
}

/*
 * Fit hardware cost of a region (mean over hardware runs) on its emulation
 * features (means over emulation runs). Regions are the observations.
 */
int model__fit(struct engine *e, const struct workload_data *w, struct wl_calc *c,
		     int hw_m, const char *metric, struct linfit *fit)
{
	int fm[MODEL_TERMS - 1];
	double *X = xcalloc(c->R * MODEL_TERMS, sizeof(*X)), *y = xcalloc(c->R, sizeof(*y));
	double row[MODEL_TERMS];
	struct linfit qf;
	struct fit_job job;
	int ret;

	/* the per-event view uses the same regions and runs */
	if (event_cost__fit(e, w, c, hw_m, metric)) {
		free(X);
		free(y);
		return -1;
	}
	for (int t = 0; t < MODEL_TERMS - 1; t++)
		fm[t] = workload_data__metric(w, model_term[t]);
	for (size_t r = 0; r < c->R; r++) {
		for (size_t i = 0; i < c->ne; i++) {
			model_row(w, fm, c->emu_run[i], c->reg[r], row);
			for (int t = 0; t < MODEL_TERMS; t++)
				X[r * MODEL_TERMS + t] += row[t] / (double)c->ne;
		}
		for (size_t i = 0; i < c->nh; i++) {
			double v = workload_data__get(w, hw_m, c->hw_run[i], c->reg[r]);

			y[r] += (isnan(v) ? 0 : v) / (double)c->nh;
		}
		for (int k = 0; k < 2; k++)
			if (e->obs[k].metric && !strcmp(e->obs[k].metric, metric))
				model_obs_add(&e->obs[k], X + r * MODEL_TERMS, y[r]);
	}
	{
		/* the same model of QEMU's host time, to set against hardware's per-event
		 * costs ("hardware spends X ns per syscall, QEMU Y"); informational */
		int qm = workload_data__metric(w, METRIC_QEMU_HOST_NS);
		double *yq = xcalloc(c->R, sizeof(*yq));
		size_t got = 0;

		for (size_t r = 0; r < c->R && qm >= 0; r++) {
			for (size_t i = 0; i < c->ne; i++) {
				double v = workload_data__get(w, qm, c->emu_run[i], c->reg[r]);

				if (!isnan(v)) {
					yq[r] += v / (double)c->ne;
					got++;
				}
			}
			model_obs_add(&e->obs[2], X + r * MODEL_TERMS, yq[r]);
		}
		/* the two fits are independent: side by side on the engine's threads */
		job = (struct fit_job){ X, { y, got ? yq : NULL }, c->R, e->o->confidence, { fit, &qf }, { 0, 0 } };
		parallel__for(2, e->threads, fit_chunk, &job);
		free(yq);
		if (!job.ret[1] && qf.rank == qf.p && qf.p >= 2 &&
		    engine__write_model(e, w->id, METRIC_QEMU_HOST_NS, &qf)) {
			free(X);
			free(y);
			return -1;
		}
	}
	ret = job.ret[0];
	/* a model with nothing but an intercept predicts equal costs: no model */
	if (!ret && fit->rank == fit->p && fit->p >= 2) {
		ret = engine__write_model(e, w->id, metric, fit);
		/* as a predictor only with at least 3 regions per term: with fewer, one
		 * deviating region bends even the robust fit and misleads the others */
		if (!ret && c->R < 3 * fit->p)
			ret = 1;
	} else {
		ret = 1; /* no usable per-workload model: the model predictor is skipped */
	}
	if (!ret) {
		/* per-run predicted costs of every region, turned into shares */
		struct pred_data *pd = &c->pred[PRED_MODEL];

		pd->share = xmalloc(c->ne * c->R * sizeof(double));
		for (size_t i = 0; i < c->ne; i++) {
			double total = 0;

			for (size_t r = 0; r < c->R; r++) {
				double v;

				model_row(w, fm, c->emu_run[i], c->reg[r], row);
				v = linfit__predict(fit, row);
				/* a negative predicted cost has no share */
				pd->share[i * c->R + r] = v > 0 ? v : 0;
				total += pd->share[i * c->R + r];
			}
			for (size_t r = 0; r < c->R; r++)
				pd->share[i * c->R + r] = total > 0 ? pd->share[i * c->R + r] / total : 0;
		}
		pd->present = 1;
	}
	free(X);
	free(y);
	return ret < 0 ? -1 : 0;
}

int engine__write_model(struct engine *e, int64_t workload_id, const char *metric,
			const struct linfit *f)
{
	sqlite3_stmt *st = e->ins_cost_model;

	for (size_t j = 0; j < f->p; j++) {
		sqlite3_reset(st);
		if (workload_id > 0)
			sqlite3_bind_int64(st, 1, workload_id);
		else
			sqlite3_bind_null(st, 1);
		sqlite3_bind_text(st, 2, metric, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, f->term[j], -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 4, f->coef[j]);
#define BIND_REAL(i, x) (isfinite(x) ? sqlite3_bind_double(st, i, x) : sqlite3_bind_null(st, i))
		BIND_REAL(5, f->ci_lo[j]);
		BIND_REAL(6, f->ci_hi[j]);
		BIND_REAL(7, f->r2);
		BIND_REAL(8, f->cv_rmse);
#undef BIND_REAL
		sqlite3_bind_int64(st, 9, (int64_t)f->n);
		if (sqlite3_step(st) != SQLITE_DONE)
			return error("%s: writing cost_model: %s", e->path, sqlite3_errmsg(e->db));
	}
	return 0;
}
