/*
 * engine.c - the small pieces every part of the engine shares: predictor
 * names, the buffers reused from one workload to the next, the list of
 * findings collected before the BH step, and the per-stream seeds.
 */
#include "engine.h"
#include "common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const predictor_names[PRED_COUNT] = { METRIC_INSNS, "qemu_time", "model" };

const char *predictor__name(int p)
{
	return predictor_names[p];
}

double *dbuf__get(struct dbuf *b, size_t n)
{
	if (n > b->cap) {
		free(b->p);
		b->p = xmalloc(n * sizeof(double));
		b->cap = n;
	}
	return b->p;
}

void finding_list__reserve(struct finding_list *l, size_t more)
{
	if (l->n + more > l->alloc) {
		l->alloc = l->n + more > 2 * l->alloc ? l->n + more : 2 * l->alloc;
		l->row = xrealloc(l->row, l->alloc * sizeof(*l->row));
	}
}

struct finding_row *finding_list__add(struct finding_list *l)
{
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 1024;
		l->row = xrealloc(l->row, l->alloc * sizeof(*l->row));
	}
	memset(&l->row[l->n], 0, sizeof(l->row[0]));
	return &l->row[l->n++];
}

unsigned long engine__seed(unsigned long seed, const char *name, const char *stream)
{
	/* FNV-1a over the name and stream, mixed with the seed: stable across
	 * stores (merge keeps names, not ids) and independent per stream */
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)seed;

	for (const char *s = name; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (const char *s = stream; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (unsigned long)(h ^ (h >> 29));
}
