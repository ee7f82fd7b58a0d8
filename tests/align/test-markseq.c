/*
 * test-markseq.c - marker-sequence alignment with known answers: identical
 * sequences, a marker missing, an extra one, a substituted one, a swap, a
 * loop that lost its last iteration, a 10^5-iteration loop with one loss
 * and one extra marker, sequences beyond the edit cap, and random sequences
 * against a textbook O(nm) LCS table. (Its speed: bench/symbolize-scale.)
 */
#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "check.h"
#include "common.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void check_map(const int *ref, size_t n, const int *run, const long *map)
{
	long prev = -1;
	size_t i;

	for (i = 0; i < n; i++) {
		if (map[i] < 0)
			continue;
		CHECK(map[i] > prev);
		CHECK(ref[i] == run[map[i]]);
		prev = map[i];
	}
}

static size_t lcs_table(const int *a, size_t n, const int *b, size_t m)
{
	size_t *t = xcalloc((n + 1) * (m + 1), sizeof(size_t)), i, j, r;

	for (i = 1; i <= n; i++)
		for (j = 1; j <= m; j++) {
			size_t up = t[(i - 1) * (m + 1) + j], left = t[i * (m + 1) + j - 1];
			t[i * (m + 1) + j] = a[i - 1] == b[j - 1] ? t[(i - 1) * (m + 1) + j - 1] + 1
								   : up > left ? up : left;
		}
	r = t[n * (m + 1) + m];
	free(t);
	return r;
}

static void expect(const int *ref, size_t n, const int *run, size_t m, const long *want_map,
		   size_t matched, size_t gaps, size_t mism)
{
	long map[64];
	struct markseq_stats st;
	size_t i;

	CHECK_EQ_INT(markseq__align(ref, n, run, m, 1000, map, &st), 0);
	CHECK_EQ_INT(st.matched, matched);
	CHECK_EQ_INT(st.gaps, gaps);
	CHECK_EQ_INT(st.mismatches, mism);
	check_map(ref, n, run, map);
	if (want_map)
		for (i = 0; i < n; i++)
			CHECK_EQ_INT(map[i], want_map[i]);
}

int main(void)
{
	{ /* identical, with repeats */
		int a[] = { 1, 2, 3, 2, 3, 4 };
		long w[] = { 0, 1, 2, 3, 4, 5 };
		expect(a, N(a), a, N(a), w, 6, 0, 0);
	}
	{ /* a marker lost on the run's side */
		int a[] = { 1, 2, 3, 4, 5 }, b[] = { 1, 2, 4, 5 };
		long w[] = { 0, 1, -1, 2, 3 };
		expect(a, N(a), b, N(b), w, 4, 1, 0);
	}
	{ /* an extra marker on the run's side */
		int a[] = { 1, 2, 3 }, b[] = { 1, 2, 9, 3 };
		long w[] = { 0, 1, 3 };
		expect(a, N(a), b, N(b), w, 3, 1, 0);
	}
	{ /* a different marker in the middle */
		int a[] = { 1, 2, 3 }, b[] = { 1, 7, 3 };
		long w[] = { 0, -1, 2 };
		expect(a, N(a), b, N(b), w, 2, 0, 1);
	}
	{ /* two markers swapped: one of them matches, the other is a gap on each side */
		int a[] = { 1, 2, 3, 4, 5 }, b[] = { 1, 3, 2, 4, 5 };
		expect(a, N(a), b, N(b), NULL, 4, 2, 0);
	}
	{ /* a loop that lost its last iteration: the earliest iterations match */
		int a[] = { 1, 2, 3, 2, 3, 2, 3, 4 }, b[] = { 1, 2, 3, 2, 3, 4 };
		long w[] = { 0, 1, 2, 3, 4, -1, -1, 5 };
		expect(a, N(a), b, N(b), w, 6, 2, 0);
	}
	{ /* empty sides */
		int a[] = { 1, 2 };
		long map[2];
		struct markseq_stats st;
		CHECK_EQ_INT(markseq__align(a, 2, a, 0, 10, map, &st), 0);
		CHECK_EQ_INT(st.gaps, 2);
		CHECK_EQ_INT(map[0], -1);
		CHECK_EQ_INT(markseq__align(a, 0, a, 2, 10, map, &st), 0);
		CHECK_EQ_INT(st.gaps, 2);
	}
	{ /* 10^5 iterations of one marker pair; one marker lost, one extra */
		size_t n = 2 * 100000 + 2, m, i;
		int *a = xmalloc(n * sizeof(int)), *b = xmalloc((n + 1) * sizeof(int));
		long *map = xmalloc(n * sizeof(long));
		struct markseq_stats st;

		a[0] = 1;
		for (i = 0; i < 100000; i++)
			a[1 + 2 * i] = 2, a[2 + 2 * i] = 3;
		a[n - 1] = 4;
		for (i = 0, m = 0; i < n; i++) {
			if (i == 1001)
				continue; /* lose the '2' of iteration 500 */
			if (i == 150000)
				b[m++] = 9;
			b[m++] = a[i];
		}
		CHECK_EQ_INT(markseq__align(a, n, b, m, 1000, map, &st), 0);
		CHECK_EQ_INT(st.matched, n - 1);
		CHECK_EQ_INT(st.gaps, 2);
		CHECK_EQ_INT(st.mismatches, 0);
		check_map(a, n, b, map);
		/* everything after the loss still lines up with the reference's numbering */
		CHECK_EQ_INT(map[n - 1], (long)m - 1);
		CHECK_EQ_INT(map[150002], 150002);
		free(a);
		free(b);
		free(map);
	}
	{ /* unrelated sequences beyond the edit cap */
		int a[200], b[200];
		long map[200];
		struct markseq_stats st;
		for (int i = 0; i < 200; i++)
			a[i] = 1 + i % 7, b[i] = 100 + i % 5;
		CHECK_EQ_INT(markseq__align(a, 200, b, 200, 50, map, &st), -1);
		CHECK_EQ_INT(st.gaps, 400);
		CHECK_EQ_INT(map[0], -1);
		/* within the cap the same pair aligns, with no match at all */
		CHECK_EQ_INT(markseq__align(a, 200, b, 200, 400, map, &st), 0);
		CHECK_EQ_INT(st.matched, 0);
		CHECK_EQ_INT(st.mismatches, 200);
	}
	{ /* random sequences: the matched count is the LCS length */
		unsigned seed = 12345;
		int k;
		for (k = 0; k < 3000; k++) {
			int a[24], b[24];
			long map[24];
			size_t n = (size_t)(rand_r(&seed) % 25), m = (size_t)(rand_r(&seed) % 25), i;
			int alpha = 1 + rand_r(&seed) % 4;
			struct markseq_stats st;
			for (i = 0; i < n && i < 24; i++)
				a[i] = rand_r(&seed) % alpha;
			for (i = 0; i < m && i < 24; i++)
				b[i] = rand_r(&seed) % alpha;
			if (n > 24)
				n = 24;
			if (m > 24)
				m = 24;
			CHECK_EQ_INT(markseq__align(a, n, b, m, 100, map, &st), 0);
			CHECK_EQ_INT(st.matched, lcs_table(a, n, b, m));
			CHECK_EQ_INT(2 * st.mismatches + st.gaps, n + m - 2 * st.matched);
			check_map(a, n, b, map);
		}
	}
	return check_exit();
}
