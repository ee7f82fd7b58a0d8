/* rank.c - agreement between predicted and measured region costs. */
#include "stats.h"

#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>

double stats__pearson(const double *x, const double *y, size_t n)
{
	if (n < 2)
		return NAN;
	return gsl_stats_correlation(x, 1, y, 1, n);
}

double stats__spearman(const double *x, const double *y, size_t n)
{
	double *work;
	double r;

	if (n < 2)
		return NAN;
	work = malloc(2 * n * sizeof(*work));
	if (!work)
		return NAN;
	/* GSL ranks with mid-ranks for ties, then takes Pearson of the ranks. */
	r = gsl_stats_spearman(x, 1, y, 1, n, work);
	free(work);
	return r;
}

static int sign(double v)
{
	return (v > 0) - (v < 0);
}

/*
 * Kendall's tau-b = (C - D) / sqrt((n0 - n1)(n0 - n2)); GSL has no Kendall.
 * O(n^2) over pairs: regions per workload are at most a few thousand.
 */
double stats__kendall(const double *x, const double *y, size_t n)
{
	double s = 0, tx = 0, ty = 0, n0;

	if (n < 2)
		return NAN;
	n0 = (double)n * (double)(n - 1) / 2;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			int a = sign(x[i] - x[j]), b = sign(y[i] - y[j]);

			s += a * b;
			tx += a == 0;
			ty += b == 0;
		}
	}
	if (tx >= n0 || ty >= n0)
		return NAN;
	return s / sqrt((n0 - tx) * (n0 - ty));
}

double stats__mape(const double *pred, const double *meas, size_t n)
{
	double sum = 0;
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		if (meas[i] == 0 || isnan(meas[i]) || isnan(pred[i]))
			continue;
		sum += fabs((pred[i] - meas[i]) / meas[i]);
		m++;
	}
	return m ? 100 * sum / (double)m : NAN;
}
