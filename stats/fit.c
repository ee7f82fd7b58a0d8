/* fit.c - linear cost model: least squares with GSL's truncated SVD, a
 * robust refit, and the leave-one-out error of the fit. */
#include "engine.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
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
 * Leverages h[i] of the rows of A with weights wt (NULL: all 1): the
 * diagonal of the hat matrix W^1/2 A (A' W A)^-1 A' W^1/2, i.e. the squared
 * row norms of U in the SVD of W^1/2 A, over its `rank` largest directions.
 * Columns are balanced first (leverages do not depend on column scale), as
 * the truncated-SVD fit does, so both see the same directions.
 */
static int leverages(const gsl_matrix *A, const gsl_vector *wt, size_t rank, double *h)
{
	size_t m = A->size1, k = A->size2;
	gsl_matrix *U = gsl_matrix_alloc(m, k), *V = gsl_matrix_alloc(k, k), *Y = gsl_matrix_alloc(k, k);
	gsl_vector *S = gsl_vector_alloc(k), *D = gsl_vector_alloc(k), *work = gsl_vector_alloc(k);
	int ret = -1;

	if (!U || !V || !Y || !S || !D || !work)
		goto out;
	gsl_matrix_memcpy(U, A);
	for (size_t i = 0; wt && i < m; i++) {
		gsl_vector_view row = gsl_matrix_row(U, i);

		gsl_vector_scale(&row.vector, sqrt(gsl_vector_get(wt, i)));
	}
	if (gsl_linalg_balance_columns(U, D) || gsl_linalg_SV_decomp_mod(U, Y, V, S, work))
		goto out;
	for (size_t j = rank; j > 0; j--)
		if (gsl_vector_get(S, j - 1) > FIT_RCOND * gsl_vector_get(S, 0))
			break;
		else
			rank--; /* weights can zero out what the plain fit kept */
	for (size_t i = 0; i < m; i++) {
		double s = 0;

		for (size_t j = 0; j < rank; j++)
			s += gsl_matrix_get(U, i, j) * gsl_matrix_get(U, i, j);
		h[i] = s;
	}
	ret = 0;
out:
	gsl_matrix_free(U);
	gsl_matrix_free(V);
	gsl_matrix_free(Y);
	gsl_vector_free(S);
	gsl_vector_free(D);
	gsl_vector_free(work);
	return ret;
}

/*
 * Leave-one-out prediction error from one fit: for least squares with fixed
 * weights, leaving row i out changes its prediction error to e_i / (1 - h_i)
 * exactly (the PRESS residual). For the robust fit the weights are those of
 * its last iteration, held fixed: a first-order approximation of refitting
 * without the row; exact for a rejected row (weight 0, the fit ignores it).
 * A row with leverage 1 alone determines a direction and has no
 * leave-one-out prediction: it is left out of the mean.
 */
static double loo_rmse(const gsl_matrix *A, const gsl_vector *b, const gsl_vector *c,
		       const gsl_vector *wt, size_t rank)
{
	size_t m = A->size1, used = 0;
	double *h = malloc(m * sizeof(*h)), sse = 0;

	if (!h || leverages(A, wt, rank, h)) {
		free(h);
		return NAN;
	}
	for (size_t i = 0; i < m; i++) {
		double e = gsl_vector_get(b, i);

		for (size_t j = 0; j < A->size2; j++)
			e -= gsl_matrix_get(A, i, j) * gsl_vector_get(c, j);
		if (!(1 - h[i] > 1e-10))
			continue;
		e /= 1 - h[i];
		sse += e * e;
		used++;
	}
	free(h);
	return used ? sqrt(sse / (double)used) : NAN;
}

/*
 * Fit on the kept columns; c and cov sized k. The truncated SVD gives the
 * rank; a robust fit (bisquare weights) then replaces the least-squares
 * solution when asked and the rank is full. chisq is the plain sum of
 * squared residuals in both cases; cv the leave-one-out RMSE.
 */
static int fit_rows(const double *X, const double *y, size_t n, size_t p, const size_t *col,
		    size_t k, int robust, gsl_vector *c, gsl_matrix *cov, double *chisq,
		    size_t *rank, double *cv)
{
	gsl_matrix *A = gsl_matrix_alloc(n, k);
	gsl_vector *b = gsl_vector_alloc(n);
	gsl_multifit_linear_workspace *w = gsl_multifit_linear_alloc(n, k);
	gsl_multifit_robust_workspace *rw = NULL;
	const gsl_vector *wt = NULL;
	int ret = -1;

	if (!A || !b || !w)
		goto out;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < k; j++)
			gsl_matrix_set(A, i, j, cell(X, p, i, col[j]));
		gsl_vector_set(b, i, y[i]);
	}
	if (gsl_multifit_linear_tsvd(A, b, FIT_RCOND, c, cov, chisq, rank, w))
		goto out;
	if (robust && *rank == k && n > k) {
		int rc;

		rw = gsl_multifit_robust_alloc(gsl_multifit_robust_bisquare, n, k);
		if (!rw)
			goto out;
		rc = gsl_multifit_robust(A, b, c, cov, rw);
		/* reaching the iteration limit still leaves a usable estimate */
		if (rc && rc != GSL_EMAXITER)
			goto out;
		wt = gsl_multifit_robust_statistics(rw).weights;
		*chisq = 0;
		for (size_t i = 0; i < n; i++) {
			double pred = 0;

			for (size_t j = 0; j < k; j++)
				pred += gsl_matrix_get(A, i, j) * gsl_vector_get(c, j);
			*chisq += (gsl_vector_get(b, i) - pred) * (gsl_vector_get(b, i) - pred);
		}
	}
	*cv = loo_rmse(A, b, c, wt, *rank);
	ret = 0;
out:
	if (rw)
		gsl_multifit_robust_free(rw);
	gsl_matrix_free(A);
	gsl_vector_free(b);
	gsl_multifit_linear_free(w);
	return ret;
}

int stats__linfit(const double *X, const double *y, size_t n, size_t p, const char *const *term,
		  int has_intercept, int robust, double confidence, struct linfit *out)
{
	gsl_vector *c = NULL;
	gsl_matrix *cov = NULL;
	double tss, t, chisq;
	size_t k = 0, rank;
	int ret = -1;

	memset(out, 0, sizeof(*out));
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
	c = gsl_vector_alloc(k);
	cov = gsl_matrix_alloc(k, k);
	if (!c || !cov || fit_rows(X, y, n, p, out->col, k, robust, c, cov, &chisq, &rank, &out->cv_rmse))
		goto out;
	out->rank = rank;
	tss = has_intercept ? gsl_stats_tss(y, 1, n) : 0;
	if (!has_intercept)
		for (size_t i = 0; i < n; i++)
			tss += y[i] * y[i];
	out->r2 = tss > 0 ? 1 - chisq / tss : NAN;
	out->resid_sd = sqrt(chisq / (double)(n - k));
	t = stats__t_quantile(confidence, (double)(n - k));
	for (size_t j = 0; j < k; j++) {
		out->coef[j] = gsl_vector_get(c, j);
		/* a truncated direction has no identifiable coefficient */
		out->se[j] = rank == k ? sqrt(gsl_matrix_get(cov, j, j)) : NAN;
		out->ci_lo[j] = out->coef[j] - t * out->se[j];
		out->ci_hi[j] = out->coef[j] + t * out->se[j];
	}
	ret = 0;
out:
	gsl_vector_free(c);
	gsl_matrix_free(cov);
	return ret;
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
