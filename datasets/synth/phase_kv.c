/*
 * phase_kv.c - a small in-memory key-value table, the shape of a database
 * phase: records appended to a heap, a hash index (open addressing, linear
 * probing) for point lookups, and full-table scans with a predicate.
 */
#include "synth.h"

#include <stdlib.h>

struct kv_rec {
	uint64_t key;
	uint64_t val[7]; /* one 64-byte record */
};

struct kv {
	struct kv_rec *recs;
	size_t nrec, cap;
	uint32_t *index; /* record number + 1; 0 = empty slot */
	size_t mask;
};

static size_t kv_hash(uint64_t key)
{
	key ^= key >> 33;
	key *= 0xFF51AFD7ED558CCDULL;
	key ^= key >> 33;
	return (size_t)key;
}

struct kv *kv__new(uint64_t nkeys)
{
	struct kv *kv = calloc(1, sizeof(*kv));
	size_t slots = 16;

	if (!kv)
		return NULL;
	while (slots < 2 * nkeys)
		slots *= 2;
	kv->cap = nkeys ? nkeys : 1;
	kv->recs = malloc(kv->cap * sizeof(*kv->recs));
	kv->index = calloc(slots, sizeof(*kv->index));
	kv->mask = slots - 1;
	if (!kv->recs || !kv->index) {
		kv__free(kv);
		return NULL;
	}
	return kv;
}

static uint32_t *kv_slot(struct kv *kv, uint64_t key)
{
	size_t i = kv_hash(key) & kv->mask;

	while (kv->index[i] && kv->recs[kv->index[i] - 1].key != key)
		i = (i + 1) & kv->mask;
	return &kv->index[i];
}

uint64_t kv__insert_all(struct kv *kv, uint64_t seed)
{
	uint64_t s = seed | 1;

	for (size_t n = 0; n < kv->cap; n++) {
		uint64_t key = synth_rand(&s);
		uint32_t *slot = kv_slot(kv, key);
		struct kv_rec *r;

		if (!*slot) {
			r = &kv->recs[kv->nrec++];
			*slot = (uint32_t)kv->nrec;
		} else {
			r = &kv->recs[*slot - 1];
		}
		r->key = key;
		for (int v = 0; v < 7; v++)
			r->val[v] = key * (uint64_t)(v + 3);
	}
	return kv->nrec;
}

uint64_t kv__lookup_all(struct kv *kv, uint64_t seed, uint64_t lookups)
{
	uint64_t s = seed | 1, sum = 0;

	/* the inserted key sequence again, from the start each time it runs out */
	for (uint64_t n = 0; n < lookups; n++) {
		if (n % kv->cap == 0)
			s = seed | 1;
		uint64_t key = synth_rand(&s);
		uint32_t *slot = kv_slot(kv, key);

		if (!*slot || kv->recs[*slot - 1].val[0] != key * 3)
			return SYNTH_FAILED;
		sum += kv->recs[*slot - 1].val[1];
	}
	return sum;
}

uint64_t kv__scan(struct kv *kv)
{
	uint64_t sum = 0, count = 0;

	/* "SELECT count(*), sum(val_p) WHERE bit p of key is set", for p = 0..3 */
	for (int p = 0; p < 4; p++)
		for (size_t n = 0; n < kv->nrec; n++) {
			const struct kv_rec *r = &kv->recs[n];
			if ((r->key >> p) & 1) {
				count++;
				sum += r->val[p];
			}
		}
	return sum ^ count;
}

void kv__free(struct kv *kv)
{
	if (!kv)
		return;
	free(kv->recs);
	free(kv->index);
	free(kv);
}
