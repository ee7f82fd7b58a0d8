/* parallel.c - a parallel for over index ranges (pthreads), for the bootstrap. */
#include "engine.h"

#include <pthread.h>
#include <unistd.h>

struct chunk {
	par_fn fn;
	void *ctx;
	size_t lo, hi;
};

static void *chunk_run(void *arg)
{
	struct chunk *c = arg;

	c->fn(c->ctx, c->lo, c->hi);
	return NULL;
}

int parallel__threads(int wanted)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	if (wanted > 0)
		return wanted > PAR_MAX_THREADS ? PAR_MAX_THREADS : wanted;
	if (online < 1)
		return 1;
	return online > PAR_MAX_THREADS ? PAR_MAX_THREADS : (int)online;
}

/*
 * Contiguous chunks, one per thread; every index is computed the same way
 * whatever the thread count, so results do not depend on it. A thread that
 * cannot be started runs its chunk in the caller.
 */
void parallel__for(size_t n, int threads, par_fn fn, void *ctx)
{
	pthread_t tid[PAR_MAX_THREADS];
	struct chunk ch[PAR_MAX_THREADS];
	int started[PAR_MAX_THREADS] = { 0 };

	if (threads < 1 || n < 2 * (size_t)threads)
		threads = 1;
	for (int t = 0; t < threads; t++) {
		ch[t] = (struct chunk){ fn, ctx, n * (size_t)t / (size_t)threads,
					n * (size_t)(t + 1) / (size_t)threads };
		if (t > 0)
			started[t] = !pthread_create(&tid[t], NULL, chunk_run, &ch[t]);
	}
	chunk_run(&ch[0]);
	for (int t = 1; t < threads; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			chunk_run(&ch[t]);
	}
}
