/*
 * markseq.c - global alignment of two marker sequences in linear memory.
 *
 * The alignment is a longest common subsequence (Needleman-Wunsch with
 * match 1, gap 0 and no substitutions), computed with Myers' O((N+M)D)
 * algorithm and its linear-space "middle snake" divide and conquer (E. Myers,
 * "An O(ND) difference algorithm and its variations", 1986). Marker
 * sequences of one workload differ in a few places at most (a lost console
 * line, a branch taken differently), so D is small and a loop that hits one
 * marker pair 10^5 times costs a few passes over the sequences, not a
 * 10^5 x 10^5 table. Common prefixes and suffixes are matched first, which
 * also makes ambiguous cases deterministic: with repeated markers, the
 * earliest occurrences match and gaps go last.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "common.h"

#define NONE LONG_MIN

struct snake {
	long x0, y0, x1, y1;
};

struct lcs {
	long *vf, *vb; /* centred: index -L..L */
	long dcap;     /* give up beyond this many forward steps */
	long *map;     /* ref index -> run index or -1 */
};

/* Forward or backward furthest-reaching x on diagonal k after one more edit. */
static long next_x(const long *v, long k, long n, long m)
{
	long best = NONE;

	if (v[k - 1] != NONE && v[k - 1] + 1 <= n)
		best = v[k - 1] + 1; /* step in a: ref marker unmatched */
	if (v[k + 1] != NONE && v[k + 1] - k <= m && v[k + 1] > best)
		best = v[k + 1]; /* step in b: run marker unmatched */
	return best;
}

/* Find the middle snake of an optimal path; returns D, or -1 beyond the cap. */
static long middle_snake(struct lcs *l, const int *a, long n, const int *b, long m,
			 struct snake *s)
{
	long *vf = l->vf, *vb = l->vb, delta = n - m, d, k;
	int odd = delta & 1;
	long dmax = (n + m + 1) / 2, lim = dmax < l->dcap ? dmax : l->dcap;

	for (k = -(lim + 1); k <= lim + 1; k++)
		vf[k] = vb[k] = NONE;
	vf[1] = vb[1] = 0;
	for (d = 0; d <= dmax; d++) {
		if (d > l->dcap)
			return -1;
		for (k = -d; k <= d; k += 2) {
			long x = next_x(vf, k, n, m), y, x0, y0;
			if (x == NONE) {
				vf[k] = NONE;
				continue;
			}
			x0 = x;
			y0 = y = x - k;
			while (x < n && y < m && a[x] == b[y])
				x++, y++;
			vf[k] = x;
			if (odd && delta - k >= -(d - 1) && delta - k <= d - 1 &&
			    vb[delta - k] != NONE && vf[k] + vb[delta - k] >= n) {
				*s = (struct snake){ x0, y0, x, y };
				return 2 * d - 1;
			}
		}
		for (k = -d; k <= d; k += 2) {
			long x = next_x(vb, k, n, m), y, x0, y0;
			if (x == NONE) {
				vb[k] = NONE;
				continue;
			}
			x0 = x;
			y0 = y = x - k;
			while (x < n && y < m && a[n - 1 - x] == b[m - 1 - y])
				x++, y++;
			vb[k] = x;
			if (!odd && delta - k >= -d && delta - k <= d && vf[delta - k] != NONE &&
			    vb[k] + vf[delta - k] >= n) {
				*s = (struct snake){ n - x, m - y, n - x0, m - y0 };
				return 2 * d;
			}
		}
	}
	return -1; /* not reached for valid input */
}

static int lcs__run(struct lcs *l, const int *a, long aoff, long n, const int *b, long boff,
		    long m)
{
	struct snake s;
	long d, i;

	while (n > 0 && m > 0 && a[aoff] == b[boff]) {
		l->map[aoff++] = boff++;
		n--, m--;
	}
	while (n > 0 && m > 0 && a[aoff + n - 1] == b[boff + m - 1]) {
		l->map[aoff + n - 1] = boff + m - 1;
		n--, m--;
	}
	if (n == 0 || m == 0)
		return 0;
	d = middle_snake(l, a + aoff, n, b + boff, m, &s);
	if (d < 0)
		return -1;
	/* both halves need fewer edits than d >= 2, so the recursion ends */
	if (lcs__run(l, a, aoff, s.x0, b, boff, s.y0) < 0)
		return -1;
	for (i = s.x0; i < s.x1; i++)
		l->map[aoff + i] = boff + s.y0 + (i - s.x0);
	return lcs__run(l, a, aoff + s.x1, n - s.x1, b, boff + s.y1, m - s.y1);
}

int markseq__align(const int *ref, size_t n, const int *run, size_t m, size_t max_edits,
		   long *ref_to_run, struct markseq_stats *st)
{
	struct lcs l;
	long *vf, *vb, half = (long)((n + m + 1) / 2) + 2;
	size_t i, matched = 0;
	long pi = -1, pj = -1;
	int rc;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < n; i++)
		ref_to_run[i] = -1;
	l.dcap = (long)(max_edits / 2 + 1);
	if (half > l.dcap + 2)
		half = l.dcap + 2; /* middle_snake never looks further out */
	vf = xcalloc(2 * (size_t)half + 1, sizeof(long));
	vb = xcalloc(2 * (size_t)half + 1, sizeof(long));
	l.vf = vf + half;
	l.vb = vb + half;
	l.map = ref_to_run;
	rc = lcs__run(&l, ref, 0, (long)n, run, 0, (long)m);
	free(vf);
	free(vb);
	if (rc < 0) {
		for (i = 0; i < n; i++)
			ref_to_run[i] = -1;
		st->gaps = n + m;
		return -1;
	}
	/* between consecutive matches: unmatched on both sides are mismatches */
	for (i = 0; i <= n; i++) {
		long j = i < n ? ref_to_run[i] : (long)m;
		size_t only_ref, only_run;
		if (i < n && j < 0)
			continue;
		only_ref = (size_t)((long)i - pi - 1);
		only_run = (size_t)(j - pj - 1);
		st->mismatches += only_ref < only_run ? only_ref : only_run;
		st->gaps += only_ref > only_run ? only_ref - only_run : only_run - only_ref;
		if (i < n)
			matched++;
		pi = (long)i;
		pj = j;
	}
	st->matched = matched;
	return 0;
}
