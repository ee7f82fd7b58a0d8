/*
 * test-symtab-scale.c - symbolize 10^6 addresses against a 10^5-function
 * ELF (built from gen-funcs.c's output) and check every answer against the
 * layout the generator used: each address must resolve to the function that
 * contains it, holes between functions to nothing. No timing here: the
 * speed is bench/symbolize-scale's.
 *
 * usage: test-symtab-scale ELF NFUNCS NADDRS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "check.h"
#include "common.h"
#include "scale-layout.h"

int main(int argc, char **argv)
{
	long nf, na, i;
	uint64_t *start, *addr, base, end, state = 88172645463325252ULL;
	long *want;
	struct symtab *t;
	const struct sym **got;

	if (argc != 4)
		return 2;
	nf = atol(argv[2]);
	na = atol(argv[3]);
	t = symtab__load(argv[1]);
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
	for (i = 0; i < na; i++)
		got[i] = symtab__lookup(t, addr[i]);
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
	printf("%ld functions, %ld lookups checked against the layout\n", nf, na);
	symtab__free(t);
	free(start);
	free(addr);
	free(want);
	free(got);
	return check_exit();
}
