/*
 * mark-workload.c - a workload marked the way users mark theirs, with
 * <emudiff/mark.h>: named markers around phases, one inside a loop, and an
 * unnamed one. `emudiff align --check` must find exactly the marker
 * instructions objdump shows (test_check.sh).
 */
#include <emudiff/mark.h>
#include <stdio.h>
#include <stdlib.h>

static double data[4096];

static __attribute__((noinline)) void fill(int n)
{
	EMUDIFF_MARK_NAMED(10, "fill");
	for (int i = 0; i < n; i++)
		data[i % 4096] = i * 0.5;
}

static __attribute__((noinline)) double reduce(int n)
{
	double s = 0;

	EMUDIFF_MARK_NAMED(11, "reduce");
	for (int i = 0; i < n; i++) {
		if (i % 1024 == 0)
			EMUDIFF_MARK_NAMED(12, "reduce-block");
		s += data[i % 4096];
	}
	return s;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 8192;
	double s;

	fill(n);
	s = reduce(n);
	EMUDIFF_MARK(13);
	printf("%.1f\n", s);
	return 0;
}
