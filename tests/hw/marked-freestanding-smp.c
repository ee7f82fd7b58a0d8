/*
 * marked-freestanding-smp.c - emudiff/mark.h in freestanding mode with its SMP
 * hooks (EMUDIFF_HART, EMUDIFF_CONSOLE_LOCK/UNLOCK), run under qemu-riscv64:
 * harts 2 and 1 (two threads, started in that order) each print marks 1, then
 * 2 x LOOPS, then 3, one character per write(2), so that lines would
 * interleave without the lock. Then `@emudiff exit 0`.
 */
#include <pthread.h>
#include <unistd.h>

static pthread_mutex_t console = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local long hart;

#define EMUDIFF_HART() hart
#define EMUDIFF_CONSOLE_LOCK() pthread_mutex_lock(&console)
#define EMUDIFF_CONSOLE_UNLOCK() pthread_mutex_unlock(&console)
#include <emudiff/mark.h>

#define LOOPS 200

void emudiff_putchar(int c)
{
	char ch = (char)c;

	if (write(1, &ch, 1) != 1)
		_exit(1);
}

static void *run(void *arg)
{
	hart = (long)arg;
	EMUDIFF_MARK_NAMED(1, "init");
	for (int i = 0; i < LOOPS; i++)
		EMUDIFF_MARK_NAMED(2, "loop");
	EMUDIFF_MARK(3);
	return NULL;
}

int main(void)
{
	pthread_t t[2];

	if (pthread_create(&t[0], NULL, run, (void *)2L) || pthread_create(&t[1], NULL, run, (void *)1L))
		return 1;
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	EMUDIFF_EXIT(0);
	return 0;
}
