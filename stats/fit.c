/* fit.c - linear cost model: least squares with GSL's truncated SVD. */
#include "engine.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* relative singular value below which a direction counts as absent */
#define FIT_RCOND 1e-12

static double cell(const double *X, size_t p, size_t i, size_t j)
{
	double v = X[i * p + j];

	return isnan(v) ? 0 : v; /* an absent event count is no event */
}

/*
 * Fit rows with row_used[i] != 0 on the kept columns; c and cov sized k.
 * The truncated SVD gives the rank; a robust fit (bisquare weights) then
 * replaces the least-squares solution when asked and the rank is full.
 * chisq is the plain sum of squared residuals in both cases.
 */
static int fit_rows(const double *X, const double *y, size_t n, size_t p, const size_t *col,
		    size_t k, const unsigned char *row_used, int robust, gsl_vector *c,
		    gsl_matrix *cov, double *chisq, size_t *rank)
{
	size_t m = 0, r = 0;
	gsl_matrix *A;
	gsl_vector *b;
	gsl_multifit_linear_workspace *w;
	int ret;

	for (size_t i = 0; i < n; i++)
		m += !row_used || row_used[i];
	if (m < k)
		return -1;
	A = gsl_matrix_alloc(m, k);
	b = gsl_vector_alloc(m);
	w = gsl_multifit_linear_alloc(m, k);
	if (!A || !b || !w) {
		ret = -1;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (row_used && !row_used[i])
			continue;
		for (size_t j = 0; j < k; j++)
			gsl_matrix_set(A, r, j, cell(X, p, i, col[j]));
		gsl_vector_set(b, r++, y[i]);
	}
	ret = gsl_multifit_linear_tsvd(A, b, FIT_RCOND, c, cov, chisq, rank, w) ? -1 : 0;
	if (!ret && robust && *rank == k && m > k) {
		gsl_multifit_robust_workspace *rw = gsl_multifit_robust_alloc(gsl_multifit_robust_bisquare, m, k);
		int rc;

		if (!rw) {
			ret = -1;
			goto out;
		}
		rc = gsl_multifit_robust(A, b, c, cov, rw);
		gsl_multifit_robust_free(rw);
		/* reaching the iteration limit still leaves a usable estimate */
		if (rc && rc != GSL_EMAXITER) {
			ret = -1;
			goto out;
		}
		*chisq = 0;
		for (size_t i = 0; i < m; i++) {
			double pred = 0;

			for (size_t j = 0; j < k; j++)
				pred += gsl_matrix_get(A, i, j) * gsl_vector_get(c, j);
			*chisq += (gsl_vector_get(b, i) - pred) * (gsl_vector_get(b, i) - pred);
		}
	}
out:
	gsl_matrix_free(A);
	gsl_vector_free(b);
	gsl_multifit_linear_free(w);
	return ret;
}

/* The full fit (task 0) and the cross-validation folds (tasks 1..folds) are
 * independent fits: they run in parallel, each into its own slot. */
struct fit_task {
	gsl_vector *c;
	gsl_matrix *cov;
	double chisq;
	size_t rank;
	int ok;
};

struct fit_job {
	const double *X, *y;
	size_t n, p, k, folds;
	const size_t *col;
	int robust;
	struct fit_task *task;
};

static void fit_chunk(void *ctx, size_t lo, size_t hi)
{
	struct fit_job *j = ctx;
	unsigned char *used = malloc(j->n);

	for (size_t t = lo; t < hi; t++) {
		struct fit_task *ft = &j->task[t];

		ft->ok = 0;
		ft->c = gsl_vector_alloc(j->k);
		ft->cov = gsl_matrix_alloc(j->k, j->k);
		if (!ft->c || !ft->cov || (t > 0 && !used))
			continue;
		if (t > 0)
			for (size_t i = 0; i < j->n; i++)
				used[i] = i % j->folds != t - 1;
		ft->ok = !fit_rows(j->X, j->y, j->n, j->p, j->col, j->k, t > 0 ? used : NULL, j->robust,
				   ft->c, ft->cov, &ft->chisq, &ft->rank);
	}
	free(used);
}

int linfit__fit(const double *X, const double *y, size_t n, size_t p, const char *const *term,
		int has_intercept, int robust, double confidence, int threads, struct linfit *out)
{
	struct fit_task task[11];
	struct fit_job job;
	double tss, t, sse = 0;
	size_t k = 0, rank, folds, cvn = 0;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	memset(task, 0, sizeof(task));
	out->r2 = out->resid_sd = out->cv_rmse = NAN;
	out->n = n;
	if (p > STATS_FIT_MAX_TERMS || n == 0)
		return -1;
	for (size_t j = 0; j < p; j++) {
		double first = cell(X, p, 0, j);
		int constant = 1, present = 0;

		for (size_t i = 0; i < n; i++) {
			double v = cell(X, p, i, j);

			present |= v != 0;
			constant &= v == first;
		}
		/* an all-zero column is absent; a constant one is the intercept again */
		if (!present || (constant && has_intercept && strcmp(term[j], "intercept")))
			continue;
		out->term[k] = term[j];
		out->col[k++] = j;
	}
	out->p = k;
	out->robust = robust;
	if (k == 0 || n <= k)
		return -1;
	/* k-fold cross-validation, folds by row index so it is deterministic */
	folds = n < 10 ? n : 10;
	job = (struct fit_job){ X, y, n, p, k, folds, out->col, robust, task };
	parallel__for(folds + 1, threads, fit_chunk, &job);
	if (!task[0].ok)
		goto out;
	rank = task[0].rank;
	out->rank = rank;
	tss = has_intercept ? gsl_stats_tss(y, 1, n) : 0;
	if (!has_intercept)
		for (size_t i = 0; i < n; i++)
			tss += y[i] * y[i];
	out->r2 = tss > 0 ? 1 - task[0].chisq / tss : NAN;
	out->resid_sd = sqrt(task[0].chisq / (double)(n - k));
	t = stats__t_quantile(confidence, (double)(n - k));
	for (size_t j = 0; j < k; j++) {
		out->coef[j] = gsl_vector_get(task[0].c, j);
		/* a truncated direction has no identifiable coefficient */
		out->se[j] = rank == k ? sqrt(gsl_matrix_get(task[0].cov, j, j)) : NAN;
		out->ci_lo[j] = out->coef[j] - t * out->se[j];
		out->ci_hi[j] = out->coef[j] + t * out->se[j];
	}
	for (size_t f = 0; f < folds; f++) {
		if (!task[f + 1].ok)
			continue;
		for (size_t i = f; i < n; i += folds) {
			double pred = 0;

			for (size_t j = 0; j < k; j++)
				pred += gsl_vector_get(task[f + 1].c, j) * cell(X, p, i, out->col[j]);
			sse += (pred - y[i]) * (pred - y[i]);
			cvn++;
		}
	}
	out->cv_rmse = cvn ? sqrt(sse / (double)cvn) : NAN;
	ret = 0;
out:
	for (size_t i = 0; i <= folds && i < 11; i++) {
		gsl_vector_free(task[i].c);
		gsl_matrix_free(task[i].cov);
	}
	return ret;
}

int stats__linfit(const double *X, const double *y, size_t n, size_t p, const char *const *term,
		  int has_intercept, int robust, double confidence, struct linfit *out)
{
	return linfit__fit(X, y, n, p, term, has_intercept, robust, confidence, 1, out);
}

double linfit__predict(const struct linfit *f, const double *x)
{
	double s = 0;

	for (size_t j = 0; j < f->p; j++) {
		double v = x[f->col[j]];

		s += f->coef[j] * (isnan(v) ? 0 : v);
	}
	return s;
}
