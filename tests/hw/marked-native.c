/*
 * marked-native.c - the native workload of the hw tests.
 *   marked-native N        markers 1, then N x (2, 3), then 4; each 3->2 stretch
 *                          makes 5 getppid() and 1 write() calls
 *   marked-native nr       print SYS_getppid, SYS_write and SYS_getpgid
 *   marked-native spin MS  spin MS milliseconds of CPU in hw_spin()
 *   marked-native libspin MS  same in hw_lib_spin() of the shared library
 *   marked-native phases MS  twice: marker 5, MS ms of CPU in hw_phase_a(),
 *                          marker 6, MS ms in hw_phase_b(); then marker 7
 *   marked-native sleep    sleep 30 s (timeouts)
 *   marked-native crash    abort()
 *   marked-native addr     print the address of a stack variable (ASLR, env padding)
 *   marked-native fork N MS  N children, each 7 getpgid() then MS ms of CPU, each
 *                          printing "child_cpu_ns <its CPU time>"; the parent makes
 *                          3 getpgid(), reaps them, prints "parent_cpu_ns <ns>"
 *                          (getpgid: a call no sanitizer runtime makes)
 *   marked-native affinity print "cpus=<allowed CPUs, comma-separated> cpu=<current CPU>"
 *   marked-native env      print EMUDIFF_MARK_BYTES (the collector's buffer size)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getcpu, CPU_SET */
#endif
#include <emudiff/mark.h>
#include <sched.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

void hw_lib_spin(long ms);

static volatile unsigned long sink;

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

__attribute__((noinline)) void hw_spin(long ms)
{
	double end = cpu_ms() + (double)ms;

	while (cpu_ms() < end)
		for (int i = 0; i < 1000000; i++)
			sink += (unsigned long)i * 7;
}

/* two spinning functions that differ, so that no optimizer folds them into one */
__attribute__((noinline)) void hw_phase_a(long ms)
{
	double end = cpu_ms() + (double)ms;

	while (cpu_ms() < end)
		for (int i = 0; i < 100000; i++)
			sink += (unsigned long)i * 3;
}

__attribute__((noinline)) void hw_phase_b(long ms)
{
	double end = cpu_ms() + (double)ms;

	while (cpu_ms() < end)
		for (int i = 0; i < 100000; i++)
			sink ^= (unsigned long)i * 5;
}

static long long cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int forks(int n, long ms)
{
	fflush(stdout);
	for (int k = 0; k < n; k++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0) {
			for (int j = 0; j < 7; j++)
				syscall(SYS_getpgid, 0);
			hw_spin(ms);
			printf("child_cpu_ns %lld\n", cpu_ns());
			fflush(stdout);
			_exit(0);
		}
	}
	for (int j = 0; j < 3; j++)
		syscall(SYS_getpgid, 0);
	while (wait(NULL) > 0)
		;
	printf("parent_cpu_ns %lld\n", cpu_ns());
	return 0;
}

static int affinity(void)
{
	cpu_set_t set;
	const char *sep = "";

	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	printf("cpus=");
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set)) {
			printf("%s%d", sep, c);
			sep = ",";
		}
	printf(" cpu=%d\n", sched_getcpu());
	return 0;
}

static void work(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		sink += i * i;
}

int main(int argc, char **argv)
{
	int iters;

	if (argc > 1 && !strcmp(argv[1], "nr")) {
		printf("%d %d %d\n", (int)SYS_getppid, (int)SYS_write, (int)SYS_getpgid);
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "spin")) {
		hw_spin(atol(argv[2]));
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "phases")) {
		for (int k = 0; k < 2; k++) {
			EMUDIFF_MARK_NAMED(5, "phase-a");
			hw_phase_a(atol(argv[2]));
			EMUDIFF_MARK_NAMED(6, "phase-b");
			hw_phase_b(atol(argv[2]));
		}
		EMUDIFF_MARK(7);
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "libspin")) {
		hw_lib_spin(atol(argv[2]));
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "sleep")) {
		sleep(30);
		return 0;
	}
	if (argc > 3 && !strcmp(argv[1], "fork"))
		return forks(atoi(argv[2]), atol(argv[3]));
	if (argc > 1 && !strcmp(argv[1], "affinity"))
		return affinity();
	if (argc > 1 && !strcmp(argv[1], "env")) {
		printf("%s\n", getenv("EMUDIFF_MARK_BYTES") ? getenv("EMUDIFF_MARK_BYTES") : "unset");
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "crash"))
		abort();
	if (argc > 1 && !strcmp(argv[1], "addr")) {
		int local = 0;

		printf("%p\n", (void *)&local);
		return 0;
	}
	iters = argc > 1 ? atoi(argv[1]) : 3;
	EMUDIFF_MARK_NAMED(1, "start");
	for (int i = 0; i < iters; i++) {
		EMUDIFF_MARK_NAMED(2, "compute");
		work(200000);
		EMUDIFF_MARK_NAMED(3, "io");
		for (int k = 0; k < 5; k++)
			getppid();
		if (write(1, "", 0) < 0)
			return 1;
	}
	EMUDIFF_MARK(4);
	return 0;
}
