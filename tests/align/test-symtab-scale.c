/*
 * test-symtab-scale.c - symbolize 10^6 addresses against a 10^5-function
 * ELF (built from gen-funcs.c's output) and check every answer against the
 * layout the generator used: each address must resolve to the function that
 * contains it, holes between functions to nothing. Prints the load and
 * lookup times; fails if 10^6 lookups take a second or more.
 *
 * usage: test-symtab-scale ELF NFUNCS NADDRS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "align.h"
#include "check.h"
#include "common.h"
#include "scale-layout.h"

/* CPU time of this process: the limit must hold on a loaded machine too */
static int64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long nf, na, i;
	uint64_t *start, *addr, base, end, state = 88172645463325252ULL;
	long *want;
	struct symtab *t;
	int64_t t0, t_load, t_lookup, c0, c_lookup;
	const struct sym **got;

	if (argc != 4)
		return 2;
	nf = atol(argv[2]);
	na = atol(argv[3]);
	t0 = now_ns();
	t = symtab__load(argv[1]);
	t_load = now_ns() - t0;
	if (!t)
		return 1;
	CHECK_EQ_INT(symtab__count(t), nf); /* _start is an alias of f0: f0, sized, wins */
	/* layout relative to f0 */
	start = xmalloc((size_t)nf * sizeof(*start));
	base = 0;
	for (i = 0; i < (long)symtab__count(t); i++)
		if (!strcmp(symtab__at(t, (size_t)i)->name, "f0"))
			base = symtab__at(t, (size_t)i)->addr;
	CHECK(base != 0);
	end = base;
	for (i = 0; i < nf; i++) {
		start[i] = end;
		end += scale_size_of(i) + (scale_has_hole(i) ? SCALE_HOLE : 0);
	}
	/* random addresses over the whole text, with their expected function */
	addr = xmalloc((size_t)na * sizeof(*addr));
	want = xmalloc((size_t)na * sizeof(*want));
	got = xmalloc((size_t)na * sizeof(*got));
	for (i = 0; i < na; i++) {
		long lo = 0, hi = nf;
		state ^= state << 13, state ^= state >> 7, state ^= state << 17;
		addr[i] = base + state % (end - base);
		while (hi - lo > 1) {
			long mid = (lo + hi) / 2;
			if (start[mid] <= addr[i])
				lo = mid;
			else
				hi = mid;
		}
		want[i] = addr[i] - start[lo] < scale_size_of(lo) ? lo : -1;
	}
	t0 = now_ns();
	c0 = cpu_ns();
	for (i = 0; i < na; i++)
		got[i] = symtab__lookup(t, addr[i]);
	c_lookup = cpu_ns() - c0;
	t_lookup = now_ns() - t0;
	for (i = 0; i < na; i++) {
		char name[32];
		if (want[i] < 0) {
			if (got[i]) {
				fprintf(stderr, "FAIL %#llx: in a hole, got %s\n", (unsigned long long)addr[i],
					got[i]->name);
				check_failures++;
			}
			continue;
		}
		snprintf(name, sizeof(name), "f%ld", want[i]);
		if (!got[i] || strcmp(got[i]->name, name)) {
			fprintf(stderr, "FAIL %#llx: want %s, got %s\n", (unsigned long long)addr[i], name,
				got[i] ? got[i]->name : "nothing");
			if (++check_failures > 10)
				break;
		}
	}
	printf("symtab__load: %ld functions in %.3f s; %ld lookups in %.3f s wall, %.3f s CPU (%.0f ns each)\n",
	       nf, (double)t_load / 1e9, na, (double)t_lookup / 1e9, (double)c_lookup / 1e9,
	       (double)c_lookup / (double)na);
	/* the requirement: well under a second per 10^6 addresses */
	CHECK(c_lookup < (int64_t)na * 1000);
	symtab__free(t);
	free(start);
	free(addr);
	free(want);
	free(got);
	return check_exit();
}
