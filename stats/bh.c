/* bh.c - Benjamini-Hochberg false discovery rate adjustment. */
#include "stats.h"

#include <gsl/gsl_sort.h>
#include <math.h>
#include <stdlib.h>

void stats__bh_adjust(const double *p, size_t n, double *p_adj)
{
	size_t alloc = n ? n : 1;
	size_t *idx = malloc(alloc * sizeof(*idx));
	size_t *pos = malloc(alloc * sizeof(*pos));
	double *q = calloc(alloc, sizeof(*q));
	size_t m = 0;
	double run = 1;

	for (size_t i = 0; i < n; i++)
		p_adj[i] = NAN;
	if (!idx || !pos || !q)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (!isnan(p[i])) {
			pos[m] = i;
			q[m++] = p[i];
		}
	}
	gsl_sort_index(idx, q, 1, m);
	/* step-up: adjusted p of rank k is min over ranks j >= k of p(j) * m / j */
	for (size_t r = m; r-- > 0;) {
		double v = q[idx[r]] * (double)m / (double)(r + 1);

		if (v < run)
			run = v;
		p_adj[pos[idx[r]]] = run;
	}
out:
	free(idx);
	free(pos);
	free(q);
}
