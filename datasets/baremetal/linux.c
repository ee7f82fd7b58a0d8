/*
 * linux.c - the Linux-process twin of payload.c, for A/B comparisons
 * ("unikernel" vs "Linux"): the same phases in the same order with the same
 * marker ids and names, the system entries replaced by their Linux equivalent:
 *   compute  - work_compute(), identical code
 *   calls    - WORK_SYSTEM_CALLS getppid() system calls (cheap, never cached
 *              by glibc), where the payload makes SBI calls
 *   timer    - WORK_TIMER_TICKS one-shot 100 us interval timers, each waited
 *              for in sigsuspend(), where the payload takes timer interrupts
 *   memory   - work_touch() over a static buffer of the same size
 * Built as a static executable for riscv64 (qemu-riscv64 and boards) and for
 * the host (x86_64).
 */
#include <emudiff/mark.h>

#include "work.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#define TIMER_PERIOD_US 100

static volatile sig_atomic_t timer_ticks;

static void on_alarm(int sig)
{
	(void)sig;
	timer_ticks = timer_ticks + 1;
}

static unsigned phase_calls(unsigned n)
{
	unsigned ok = 0;

	/* syscall() rather than getppid(): one real kernel entry per call, always */
	for (unsigned i = 0; i < n; i++)
		ok += syscall(SYS_getppid) > 0;
	return ok;
}

static int phase_timer(unsigned n)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval one_shot = { .it_value = { .tv_sec = 0, .tv_usec = TIMER_PERIOD_US } };
	sigset_t block, wait_mask;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL))
		return -1;
	/* Block SIGALRM outside sigsuspend() so a tick cannot be missed. */
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	if (sigprocmask(SIG_BLOCK, &block, &wait_mask))
		return -1;
	sigdelset(&wait_mask, SIGALRM);
	for (unsigned i = 0; i < n; i++) {
		sig_atomic_t before = timer_ticks;

		if (setitimer(ITIMER_REAL, &one_shot, NULL))
			return -1;
		while (timer_ticks == before)
			sigsuspend(&wait_mask);
	}
	return sigprocmask(SIG_UNBLOCK, &block, NULL);
}

static uint8_t memory_area[WORK_MEMORY_BYTES] __attribute__((aligned(64)));

int main(void)
{
	uint64_t checksum, touched;
	unsigned calls_ok;

	EMUDIFF_MARK_NAMED(1, "compute");
	checksum = work_compute(WORK_COMPUTE_ROUNDS);
	EMUDIFF_MARK_NAMED(2, "sbi_calls");
	calls_ok = phase_calls(WORK_SYSTEM_CALLS);
	EMUDIFF_MARK_NAMED(3, "timer_irqs");
	if (phase_timer(WORK_TIMER_TICKS)) {
		perror("baremetal-linux: timer");
		return 1;
	}
	EMUDIFF_MARK_NAMED(4, "memory");
	touched = work_touch(memory_area, sizeof(memory_area), WORK_MEMORY_PASSES);
	EMUDIFF_MARK_NAMED(5, "end");

	printf("linux: done checksum=%llu syscalls=%u calls_ok=%u timer_signals=%d touched=%llu\n",
	       (unsigned long long)checksum, WORK_SYSTEM_CALLS, calls_ok, (int)timer_ticks,
	       (unsigned long long)touched);
	return ferror(stdout) || fflush(stdout) ? 1 : 0;
}
