/* wmedian.c - weighted median, the robust baseline of cost per instruction. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>

/*
 * Weighted quickselect: expected O(n), because the robust baseline is
 * recomputed for every bootstrap resample (thousands of times per workload).
 */
double stats__weighted_median(const double *x, const double *w, size_t n, double *scratch)
{
	double *own = NULL, *v, *vw, total = 0, target, below = 0;
	size_t m = 0, lo, hi;
	double result = NAN;

	if (!scratch) {
		own = malloc(2 * (n ? n : 1) * sizeof(*own));
		if (!own)
			return NAN;
		scratch = own;
	}
	v = scratch;
	vw = scratch + n;
	for (size_t i = 0; i < n; i++) {
		if (isnan(x[i]) || !(w[i] > 0))
			continue;
		v[m] = x[i];
		vw[m++] = w[i];
		total += w[i];
	}
	if (m == 0)
		goto out;
	target = total / 2;
	lo = 0;
	hi = m; /* the answer lies in v[lo..hi), below = weight left of lo */
	while (hi - lo > 1) {
		/* median of three as pivot keeps sorted input linear */
		size_t mid = lo + (hi - lo) / 2;
		double a = v[lo], b = v[mid], c = v[hi - 1];
		double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
		size_t i = lo, lt = lo, gt = hi;
		double wlt = 0, weq = 0;

		/* three-way partition: [lo,lt) < pivot, [lt,gt) == pivot, [gt,hi) > pivot */
		while (i < gt) {
			if (v[i] < pivot) {
				double t = v[i], tw = vw[i];

				v[i] = v[lt];
				vw[i] = vw[lt];
				v[lt] = t;
				vw[lt] = tw;
				wlt += tw;
				lt++;
				i++;
			} else if (v[i] > pivot) {
				double t = v[i], tw = vw[i];

				gt--;
				v[i] = v[gt];
				vw[i] = vw[gt];
				v[gt] = t;
				vw[gt] = tw;
			} else {
				weq += vw[i];
				i++;
			}
		}
		if (below + wlt >= target) {
			hi = lt;
		} else if (below + wlt + weq >= target) {
			result = pivot;
			goto out;
		} else {
			below += wlt + weq;
			lo = gt;
		}
	}
	result = v[lo];
out:
	free(own);
	return result;
}
