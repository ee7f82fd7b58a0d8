/* describe.c - per region summaries: mean, median, sd, cv, Student-t CI, outliers. */
#include "stats.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

double stats__t_quantile(double confidence, double df)
{
	if (!(df > 0) || !(confidence > 0 && confidence < 1))
		return NAN;
	return gsl_cdf_tdist_Pinv(0.5 + confidence / 2, df);
}

void stats__describe(const double *x, size_t n, double confidence, struct describe *out)
{
	double stackbuf[64];
	double *v = n <= 64 ? stackbuf : malloc(n * sizeof(*v));
	size_t m = 0;

	memset(out, 0, sizeof(*out));
	out->mean = out->median = out->sd = out->cv = out->ci_lo = out->ci_hi = NAN;
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		if (!isnan(x[i]))
			v[m++] = x[i];
	out->n = m;
	if (m == 0)
		goto out;
	gsl_sort(v, 1, m);
	out->mean = gsl_stats_mean(v, 1, m);
	out->median = gsl_stats_median_from_sorted_data(v, 1, m);
	if (m >= 2) {
		double h;

		out->sd = gsl_stats_sd_m(v, 1, m, out->mean);
		out->cv = out->mean != 0 ? out->sd / fabs(out->mean) : NAN;
		h = stats__t_quantile(confidence, (double)(m - 1)) * out->sd / sqrt((double)m);
		out->ci_lo = out->mean - h;
		out->ci_hi = out->mean + h;
	}
	if (m >= 4) {
		/* Tukey's fences: reported, never used to drop a value. */
		double q1 = gsl_stats_quantile_from_sorted_data(v, 1, m, 0.25);
		double q3 = gsl_stats_quantile_from_sorted_data(v, 1, m, 0.75);
		double lo = q1 - 1.5 * (q3 - q1), hi = q3 + 1.5 * (q3 - q1);

		for (size_t i = 0; i < m; i++)
			out->outliers += v[i] < lo || v[i] > hi;
	}
out:
	if (v != stackbuf)
		free(v);
}
