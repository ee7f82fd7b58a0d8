/*
 * marked-threads.c - the threaded workload of the hw tests. Its threads, in
 * the order they are created (their ordinals), and their markers:
 *   0  main: 1, [spin x 40], create 1 and 2, join 2, create 4, join 1 and 4, 2
 *   1  3 x (10, [work], 11), then 12
 *   2  20, create 3, join 3, 21
 *   3  2 x (30, [work], 31), then 32
 *   4  no marker: [work] twice
 * [work]: SPIN_ROUNDS rounds of arithmetic, 8 fresh pages written (8 page
 * faults, no system call) and 3 getpgid() calls (a call no sanitizer runtime
 * makes), nothing else; [spin x 40] forty times the arithmetic (a margin that
 * steal time on a shared virtual machine, which task-clock counts, does not eat). Each thread
 * prints "thread <ordinal> <tid>" before its first marker.
 *   marked-threads nr   print SYS_getpgid
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <emudiff/mark.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SPIN_ROUNDS 2000000ul
#define PAGES_PER_WORK 8
#define WORK_MAX 4

/* per thread: a shared one would bounce its cache line between the threads
 * spinning at the same time and make their work take 2-10x longer than alone */
static _Thread_local volatile unsigned long sink;

static void say(int ordinal)
{
	printf("thread %d %ld\n", ordinal, (long)syscall(SYS_gettid));
}

static void spin(unsigned long rounds)
{
	for (unsigned long i = 0; i < rounds; i++)
		sink += i ^ (i >> 3);
}

/* Fresh pages for a thread's work stretches, mapped before its first marker. */
static unsigned char *pages(void)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, (size_t)(page * PAGES_PER_WORK * WORK_MAX), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		_exit(1);
	}
	madvise(p, (size_t)(page * PAGES_PER_WORK * WORK_MAX), MADV_NOHUGEPAGE); /* one fault per page */
	return p;
}

static void work(unsigned char *mem, int k)
{
	long page = sysconf(_SC_PAGESIZE);

	spin(SPIN_ROUNDS);
	for (int i = 0; i < PAGES_PER_WORK; i++)
		mem[(long)(k * PAGES_PER_WORK + i) * page] = 1;
	for (int i = 0; i < 3; i++)
		syscall(SYS_getpgid, 0);
}

static void *thread1(void *arg)
{
	unsigned char *mem = pages();

	(void)arg;
	say(1);
	for (int k = 0; k < 3; k++) {
		EMUDIFF_MARK_NAMED(10, "t1-work");
		work(mem, k);
		EMUDIFF_MARK_NAMED(11, "t1-rest");
	}
	EMUDIFF_MARK_NAMED(12, "t1-end");
	return NULL;
}

static void *thread3(void *arg)
{
	unsigned char *mem = pages();

	(void)arg;
	say(3);
	for (int k = 0; k < 2; k++) {
		EMUDIFF_MARK_NAMED(30, "t3-work");
		work(mem, k);
		EMUDIFF_MARK_NAMED(31, "t3-rest");
	}
	EMUDIFF_MARK_NAMED(32, "t3-end");
	return NULL;
}

static void *thread2(void *arg)
{
	pthread_t t3;

	(void)arg;
	say(2);
	EMUDIFF_MARK_NAMED(20, "t2-start");
	pthread_create(&t3, NULL, thread3, NULL);
	pthread_join(t3, NULL);
	EMUDIFF_MARK_NAMED(21, "t2-end");
	return NULL;
}

static void *thread4(void *arg)
{
	unsigned char *mem = pages();

	(void)arg;
	say(4);
	work(mem, 0);
	work(mem, 1);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t1, t2, t4;

	if (argc > 1 && !strcmp(argv[1], "nr")) {
		printf("%d\n", (int)SYS_getpgid);
		return 0;
	}
	say(0);
	EMUDIFF_MARK_NAMED(1, "main");
	spin(40 * SPIN_ROUNDS);
	pthread_create(&t1, NULL, thread1, NULL);
	pthread_create(&t2, NULL, thread2, NULL);
	pthread_join(t2, NULL);
	pthread_create(&t4, NULL, thread4, NULL);
	pthread_join(t1, NULL);
	pthread_join(t4, NULL);
	EMUDIFF_MARK_NAMED(2, "main-end");
	return 0;
}
