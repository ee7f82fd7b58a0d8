/* wmedian.c - weighted median, the robust baseline of cost per instruction. */
#include "engine.h"

#include <math.h>
#include <stdlib.h>

/*
 * Weighted quickselect: expected O(n), because the robust baseline is
 * recomputed for every bootstrap resample (thousands of times per workload).
 * The smallest v[i] whose weight together with `below` and that of every
 * smaller value reaches target; v and w are reordered.
 */
double wmedian__select(double *v, double *vw, size_t m, double below, double target)
{
	size_t lo = 0, hi = m; /* the answer lies in v[lo..hi), below = weight left of lo */

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
			return pivot;
		} else {
			below += wlt + weq;
			lo = gt;
		}
	}
	return m ? v[lo] : NAN;
}

double stats__weighted_median(const double *x, const double *w, size_t n, double *scratch)
{
	double *own = NULL, *v, *vw, total = 0;
	size_t m = 0;
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
	if (m)
		result = wmedian__select(v, vw, m, 0, total / 2);
	free(own);
	return result;
}
