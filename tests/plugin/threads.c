/* threads.c - a guest with a second thread started by pthread_create:
 * emudiff collect qemu sees it can start threads, tells the plugin
 * threads=on, and stores both threads (tests/plugin). */
#include <pthread.h>
#include <stdio.h>

static void *work(void *arg)
{
	volatile long *n = arg;

	for (int i = 0; i < 1000; i++)
		(*n)++;
	return NULL;
}

int main(void)
{
	pthread_t t;
	volatile long n = 0;

	if (pthread_create(&t, NULL, work, (void *)&n))
		return 1;
	pthread_join(t, NULL);
	printf("%ld\n", n);
	return 0;
}
