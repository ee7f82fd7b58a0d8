/* warmup.c - where a within-run repeated region reaches steady state. */
#include "stats.h"

#include <gsl/gsl_statistics_double.h>
#include <math.h>

/*
 * The final half of the occurrences is taken as steady state; its mean and
 * Student-t interval describe it. Steady state starts at the first
 * occurrence k such that the mean of occurrences k..n lies within that
 * interval: leading occurrences that pull the mean out of it are warm-up.
 * Only k <= n/2 + 1 is considered, so the reference is never judged by itself.
 */
size_t stats__warmup(const double *x, size_t n, double confidence)
{
	size_t half = n / 2, start = n - half;
	double m, sd, h, sum = 0;

	if (n < 4)
		return 0;
	m = gsl_stats_mean(x + start, 1, half);
	sd = gsl_stats_sd_m(x + start, 1, half, m);
	h = stats__t_quantile(confidence, (double)(half - 1)) * sd / sqrt((double)half);
	/* rounding noise of identical values is no warm-up */
	h += 1e-12 * fabs(m);
	for (size_t j = 0; j < n; j++)
		sum += x[j];
	for (size_t k = 0; k <= start; k++) {
		double rest = sum / (double)(n - k);

		if (fabs(rest - m) <= h)
			return k + 1;
		sum -= x[k];
	}
	return start + 1;
}
