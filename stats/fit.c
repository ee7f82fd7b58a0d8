/* fit.c - linear cost model: least squares with GSL's truncated SVD. */
#include "stats.h"

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

int stats__linfit(const double *X, const double *y, size_t n, size_t p, const char *const *term,
		  int has_intercept, int robust, double confidence, struct linfit *out)
{
	gsl_vector *c = NULL;
	gsl_matrix *cov = NULL;
	unsigned char *used = NULL;
	double chisq, tss, t, sse = 0;
	size_t k = 0, rank = 0, folds, cvn = 0;
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
	used = malloc(n);
	if (!c || !cov || !used)
		goto out;
	if (fit_rows(X, y, n, p, out->col, k, NULL, robust, c, cov, &chisq, &rank))
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
	/* k-fold cross-validation, folds by row index so it is deterministic */
	folds = n < 10 ? n : 10;
	for (size_t f = 0; f < folds; f++) {
		gsl_vector *cf = gsl_vector_alloc(k);
		gsl_matrix *covf = gsl_matrix_alloc(k, k);
		double chi;
		size_t rk;

		for (size_t i = 0; i < n; i++)
			used[i] = i % folds != f;
		if (cf && covf && !fit_rows(X, y, n, p, out->col, k, used, robust, cf, covf, &chi, &rk)) {
			for (size_t i = f; i < n; i += folds) {
				double pred = 0;

				for (size_t j = 0; j < k; j++)
					pred += gsl_vector_get(cf, j) * cell(X, p, i, out->col[j]);
				sse += (pred - y[i]) * (pred - y[i]);
				cvn++;
			}
		}
		gsl_vector_free(cf);
		gsl_matrix_free(covf);
	}
	out->cv_rmse = cvn ? sqrt(sse / (double)cvn) : NAN;
	ret = 0;
out:
	gsl_vector_free(c);
	gsl_matrix_free(cov);
	free(used);
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
