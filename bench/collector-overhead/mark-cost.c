/*
 * mark-cost.c - the workload of bench/collector-overhead.
 *   mark-cost marks N   N marker hits in a loop; prints "ns_per_mark X"
 *                       (loop time minus an empty loop of the same length,
 *                       divided by N), "cpu_ns_per_mark X" (the same in
 *                       thread CPU time, which other processes on the
 *                       machine do not inflate) and "first_hit_ns X" (the
 *                       attach)
 *   mark-cost work N    N rounds of integer work, no markers (whole-run overhead)
 *   mark-cost syscalls N  N getppid(2) calls; prints "ns_per_syscall X" (what any
 *                       counter read costs at least on this machine)
 */
#include <emudiff/mark.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

static double clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double now(void)
{
	return clock_ns(CLOCK_MONOTONIC_RAW);
}

static double cpu(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

__attribute__((noinline)) static void work_round(void)
{
	for (unsigned long i = 0; i < 100000; i++)
		sink += i ^ (i >> 3);
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 0;
	double t0, t1, t2, c0, c1, c2;

	if (argc != 3 || n <= 0) {
		fprintf(stderr, "usage: mark-cost marks|work N\n");
		return 2;
	}
	if (!strcmp(argv[1], "syscalls")) {
		t0 = now();
		for (long i = 0; i < n; i++)
			getppid();
		t1 = now();
		printf("ns_per_syscall %.1f\n", (t1 - t0) / (double)n);
		return 0;
	}
	if (!strcmp(argv[1], "work")) {
		for (long i = 0; i < n; i++)
			work_round();
		return 0;
	}
	/* the first hit attaches (maps the collector's buffer): timed on its own,
	 * it happens before the first marker's timestamp, outside every region */
	t0 = now();
	EMUDIFF_MARK(3);
	t1 = now();
	printf("first_hit_ns %.0f\n", t1 - t0);
	c0 = cpu();
	t0 = now();
	for (long i = 0; i < n; i++)
		sink += (unsigned long)i;
	t1 = now();
	c1 = cpu();
	for (long i = 0; i < n; i += 2) {
		EMUDIFF_MARK(1);
		sink += (unsigned long)i;
		EMUDIFF_MARK(2);
		sink += (unsigned long)i;
	}
	t2 = now();
	c2 = cpu();
	printf("ns_per_mark %.1f\n", ((t2 - t1) - (t1 - t0)) / (double)n);
	printf("cpu_ns_per_mark %.1f\n", ((c2 - c1) - (c1 - c0)) / (double)n);
	return 0;
}
