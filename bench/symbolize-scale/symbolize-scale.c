/*
 * symbolize-scale.c - align/'s two scale-sensitive steps, each timed beside a
 * reference measured in the same run (CPU time, the best of 3 repeats):
 *
 *  - symtab__lookup of NADDRS random addresses against the 10^5-function
 *    ELF of tests/align (gen-funcs), beside a plain binary search over the
 *    same symbols (what the bucket index replaced); both must agree;
 *  - markseq__align of a 10^5-iteration marker loop with one marker lost
 *    and one extra (2*10^5 markers), beside the same loop without edits,
 *    and beside 10 times the loop (linear time gives a ratio near 10).
 *
 * usage: symbolize-scale SCALE-ELF NADDRS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "align.h"
#include "common.h"

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct plain {
	uint64_t addr, size;
};

static long plain_lookup(const struct plain *p, long n, uint64_t addr)
{
	long lo = 0, hi = n;

	while (lo < hi) {
		long mid = lo + (hi - lo) / 2;
		if (p[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && addr - p[lo - 1].addr < p[lo - 1].size ? lo - 1 : -1;
}

/* A loop of `iters` marker pairs 2,3 between 1 and 4; with edits, the 2 of
 * iteration 500 is lost and a 9 appears three quarters in. */
static int *loop_seq(size_t iters, int edits, size_t *len)
{
	int *s = xmalloc((2 * iters + 3) * sizeof(int));
	size_t m = 0;

	s[m++] = 1;
	for (size_t i = 0; i < iters; i++) {
		if (!(edits && i == 500))
			s[m++] = 2;
		if (edits && i == iters * 3 / 4)
			s[m++] = 9;
		s[m++] = 3;
	}
	s[m++] = 4;
	*len = m;
	return s;
}

static double time_align(size_t iters, int edits)
{
	size_t n, m;
	int *ref = loop_seq(iters, 0, &n), *run = loop_seq(iters, edits, &m);
	long *map = xmalloc(n * sizeof(long));
	struct markseq_stats st;
	double best = 1e30;

	for (int r = 0; r < 3; r++) {
		double c0 = cpu_s();
		if (markseq__align(ref, n, run, m, 1000, map, &st) || st.gaps != (edits ? 2u : 0u))
			die("markseq__align: unexpected result (%zu gaps)", st.gaps);
		c0 = cpu_s() - c0;
		if (c0 < best)
			best = c0;
	}
	free(ref);
	free(run);
	free(map);
	return best;
}

int main(int argc, char **argv)
{
	struct symtab *t;
	struct plain *p;
	uint64_t *addr, lo, hi, state = 88172645463325252ULL;
	long nf, na, i, sink = 0;
	double t_load, c_index = 1e30, c_plain = 1e30, a1, a0, a10;

	if (argc != 3) {
		fprintf(stderr, "usage: %s SCALE-ELF NADDRS\n", argv[0]);
		return 2;
	}
	na = atol(argv[2]);
	t_load = cpu_s();
	t = symtab__load(argv[1]);
	t_load = cpu_s() - t_load;
	if (!t || !symtab__count(t))
		return 2;
	nf = (long)symtab__count(t);
	p = xmalloc((size_t)nf * sizeof(*p));
	for (i = 0; i < nf; i++)
		p[i] = (struct plain){ symtab__at(t, (size_t)i)->addr, symtab__at(t, (size_t)i)->size };
	lo = p[0].addr;
	hi = p[nf - 1].addr + p[nf - 1].size;
	addr = xmalloc((size_t)na * sizeof(*addr));
	for (i = 0; i < na; i++) {
		state ^= state << 13, state ^= state >> 7, state ^= state << 17;
		addr[i] = lo + state % (hi - lo);
	}
	for (int r = 0; r < 3; r++) {
		double c0 = cpu_s();
		for (i = 0; i < na; i++) {
			const struct sym *s = symtab__lookup(t, addr[i]);
			sink += s ? (long)(s - symtab__at(t, 0)) : -1;
		}
		c0 = cpu_s() - c0;
		if (c0 < c_index)
			c_index = c0;
		c0 = cpu_s();
		for (i = 0; i < na; i++)
			sink -= plain_lookup(p, nf, addr[i]);
		c0 = cpu_s() - c0;
		if (c0 < c_plain)
			c_plain = c0;
	}
	if (sink != 0)
		die("the bucket index and the plain binary search disagree");
	printf("symtab__load: %ld functions, %.3f s CPU\n", nf, t_load);
	printf("lookups: %ld, bucket index %.3f s CPU (%.0f ns each), plain binary search %.3f s (%.0f ns): %.1fx faster\n",
	       na, c_index, c_index * 1e9 / (double)na, c_plain, c_plain * 1e9 / (double)na,
	       c_plain / c_index);
	a1 = time_align(100000, 1);
	a0 = time_align(100000, 0);
	a10 = time_align(1000000, 1);
	printf("markseq__align: 200002 markers, 1 lost + 1 extra %.4f s CPU; without edits %.4f s (%.1fx); "
	       "10x the markers %.4f s (%.1fx)\n", a1, a0, a1 / a0, a10, a10 / a1);
	symtab__free(t);
	free(p);
	free(addr);
	return 0;
}
