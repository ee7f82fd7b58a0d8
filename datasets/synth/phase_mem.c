/*
 * phase_mem.c - memory behaviour: streaming (bandwidth) and pointer chasing
 * (latency). The chase walks one random cycle through cache lines of a working
 * set far larger than the last-level cache, each load depending on the
 * previous one, so hardware waits ~100 ns per step while the emulated
 * instruction count sees three instructions: the instruction-share predictor
 * should underestimate it.
 */
#include "synth.h"

#include <stdlib.h>
#include <string.h>

uint64_t phase_stream(const struct synth_sizes *z)
{
	size_t n = (size_t)z->stream_mib * 1024 * 1024 / 2 / sizeof(uint64_t);
	uint64_t *a = malloc((n ? n : 1) * sizeof(*a)), *b = malloc((n ? n : 1) * sizeof(*b));
	uint64_t sum = 0;

	if (!a || !b) {
		free(a);
		free(b);
		return SYNTH_FAILED;
	}
	for (size_t i = 0; i < n; i++)
		a[i] = i * 0x9E3779B97F4A7C15ULL;
	for (uint64_t p = 0; p < z->stream_passes; p++) {
		/* read a, write b; then the roles swap */
		for (size_t i = 0; i < n; i++) {
			b[i] = a[i] ^ p;
			sum += a[i];
		}
		uint64_t *t = a;
		a = b;
		b = t;
	}
	free(a);
	free(b);
	return sum;
}

/* One node per 64-byte cache line, so every step touches a new line. */
#define CHASE_LINE_WORDS 8

struct chase {
	uint64_t *lines;
	size_t n;
};

struct chase *chase__new(const struct synth_sizes *z)
{
	struct chase *c = malloc(sizeof(*c));
	uint32_t *order;
	uint64_t s = z->seed | 1;

	if (!c)
		return NULL;
	c->n = (size_t)z->chase_mib * 1024 * 1024 / (CHASE_LINE_WORDS * sizeof(uint64_t));
	if (c->n < 2)
		c->n = 2;
	c->lines = aligned_alloc(64, c->n * CHASE_LINE_WORDS * sizeof(uint64_t));
	order = malloc(c->n * sizeof(*order));
	if (!c->lines || !order) {
		free(c->lines);
		free(order);
		free(c);
		return NULL;
	}
	/* A random visiting order (Fisher-Yates on a small index array), then
	 * each line points at the next one in that order: one cycle through all. */
	for (size_t i = 0; i < c->n; i++)
		order[i] = (uint32_t)i;
	for (size_t i = c->n - 1; i > 0; i--) {
		size_t j = synth_rand(&s) % (i + 1);
		uint32_t t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	/* fault the pages in sequentially first: random first touches cost far more */
	memset(c->lines, 0, c->n * CHASE_LINE_WORDS * sizeof(uint64_t));
	for (size_t k = 0; k < c->n; k++)
		c->lines[(size_t)order[k] * CHASE_LINE_WORDS] = order[(k + 1) % c->n];
	free(order);
	return c;
}

uint64_t chase__run(struct chase *c, uint64_t steps)
{
	uint64_t i = 0;

	for (uint64_t k = 0; k < steps; k++)
		i = c->lines[i * CHASE_LINE_WORDS];
	return i;
}

void chase__free(struct chase *c)
{
	if (!c)
		return;
	free(c->lines);
	free(c);
}
