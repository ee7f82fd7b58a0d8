/* threads_reuse.c - threads one after the other: thread 1 ends before thread 2
 * starts, so QEMU gives thread 2 the vCPU index thread 1 had (the pause makes
 * that all but certain). Each thread is counted apart and keeps its ordinal
 * (tests/plugin: ordinals, markers per thread, totals adding up). */
#include <emudiff/mark.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

static void *work(void *arg)
{
	volatile uint64_t x = 0;

	if (arg)
		EMUDIFF_MARK_INSN(21);
	else
		EMUDIFF_MARK_INSN(11);
	for (int i = 0; i < 10000; i++)
		x += (uint64_t)i;
	if (arg)
		EMUDIFF_MARK_INSN(22);
	else
		EMUDIFF_MARK_INSN(12);
	return (void *)(uintptr_t)x;
}

int main(void)
{
	struct timespec pause = { 0, 50000000 };
	pthread_t t;

	EMUDIFF_MARK_INSN(1);
	if (pthread_create(&t, NULL, work, NULL) || pthread_join(t, NULL))
		return 1;
	nanosleep(&pause, NULL); /* QEMU frees thread 1's vCPU after the join can return */
	if (pthread_create(&t, NULL, work, &t) || pthread_join(t, NULL))
		return 1;
	EMUDIFF_MARK_INSN(2);
	return 0;
}
