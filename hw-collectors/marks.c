/*
 * marks.c - what the marker runtime (emudiff/mark.h) wrote into the shared
 * buffer: one hw_mark per hit with the thread that hit and the counters of
 * that thread's own group read at that hit, in the order of the run's
 * counting group (the buffer lists a subset of it: r->mark_ev), and the
 * marking threads' slots (what each opened, why not, and when the runtime
 * made its own system calls).
 */
#include "hw.h"
#include "common.h"
#include "emudiff/mark.h"

#include <stdlib.h>
#include <string.h>

static int cmp_mark_time(const void *a, const void *b)
{
	const struct hw_mark *x = a, *y = b;

	/* equal times: the order the slots were taken (kept in `thread` meanwhile) */
	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? -1 : 1;
	return x->thread < y->thread ? -1 : x->thread > y->thread;
}

/* A syscall-mode record: the group read of the thread's events (mask, in order). */
static void from_group_read(struct hw_run_result *r, const uint64_t *words, size_t n_words, uint32_t mask,
			    struct hw_mark *m)
{
	struct hw_reading g;
	int nr = __builtin_popcount(mask), k = 0;

	if (!mask || hw_reading__parse(words, n_words * 8, nr, &g) || !g.counted)
		return;
	m->has_reading = 1;
	m->r = g;
	m->r.n = r->group.n;
	memset(m->r.raw, 0, sizeof(m->r.raw));
	memset(m->r.value, 0, sizeof(m->r.value));
	for (int i = 0; i < r->n_mark_ev; i++) {
		if (!(mask & (1u << i)))
			continue;
		m->r.raw[r->mark_ev[i]] = g.raw[k];
		m->r.value[r->mark_ev[i]] = g.value[k++];
		m->have |= 1u << r->mark_ev[i];
	}
}

/* An rdpmc-mode record: the counters read (mask) from their pages. */
static void from_pages(struct hw_run_result *r, const uint64_t *words, uint32_t mask, struct hw_mark *m)
{
	struct hw_reading pr;

	if (!mask)
		return;
	hw_reading__from_pmc(words, mask, r->n_mark_ev, &pr);
	if (!pr.counted)
		return;
	m->has_reading = 1;
	m->r.n = r->group.n;
	m->r.time_enabled = pr.time_enabled;
	m->r.time_running = pr.time_running;
	m->r.multiplexed = pr.multiplexed;
	m->r.counted = 1;
	for (int i = 0; i < r->n_mark_ev; i++) {
		if (!(mask & (1u << i)))
			continue;
		m->r.raw[r->mark_ev[i]] = pr.raw[i];
		m->r.value[r->mark_ev[i]] = pr.value[i];
		m->have |= 1u << r->mark_ev[i];
	}
}

/* The thread table: bits and errnos by group event. */
static void collect_slots(struct hw_run_result *r, const struct emudiff_mark_buffer *b)
{
	const struct emudiff_mark_thread *t =
		(const struct emudiff_mark_thread *)((const unsigned char *)b + b->threads_offset);
	uint32_t used = __atomic_load_n(&b->threads_used, __ATOMIC_ACQUIRE);
	uint32_t n = used < b->threads_capacity ? used : b->threads_capacity;

	r->mark_threads_unslotted = used - n;
	r->mark_slots = xcalloc(n ? n : 1, sizeof(*r->mark_slots));
	for (uint32_t k = 0; k < n; k++) {
		struct hw_mark_slot *s = &r->mark_slots[r->n_mark_slots];

		if (!t[k].tid)
			continue; /* taken, never filled: the thread died in the middle */
		s->tid = t[k].tid;
		s->flags = t[k].flags;
		s->leader_fd = t[k].leader_fd;
		for (int i = 0; i < 2; i++) {
			s->setup_ns[i] = (int64_t)t[k].setup_ns[i];
			s->exit_ns[i] = (int64_t)t[k].exit_ns[i];
		}
		for (int i = 0; i < r->n_mark_ev; i++) {
			int e = r->mark_ev[i];

			s->opened |= ((t[k].opened >> i) & 1u) << e;
			s->readable |= ((t[k].readable >> i) & 1u) << e;
			s->open_errno[e] = t[k].open_errno[i];
		}
		r->n_mark_slots++;
	}
}

void hw_run_result__collect_marks(struct hw_run_result *r, const struct emudiff_mark_buffer *b, int64_t t0)
{
	const unsigned char *recs = (const unsigned char *)(b + 1);
	uint64_t count = __atomic_load_n(&b->count, __ATOMIC_ACQUIRE);
	uint64_t n = count < b->capacity ? count : b->capacity;
	size_t words = (b->record_size - sizeof(struct emudiff_mark_record)) / 8;

	r->marks_dropped = count - n;
	r->marks = xcalloc(n ? n : 1, sizeof(*r->marks));
	for (uint64_t i = 0; i < n; i++) {
		const struct emudiff_mark_record *rec =
			(const struct emudiff_mark_record *)(recs + i * b->record_size);
		struct hw_mark *m = &r->marks[r->n_marks];
		uint32_t id = __atomic_load_n(&rec->id, __ATOMIC_ACQUIRE);
		uint32_t mask = id >> 16;

		if (!(id & EMUDIFF_MARK_ID_BITS)) {
			r->marks_incomplete++;
			continue;
		}
		m->id = (int)(id & EMUDIFF_MARK_ID_BITS);
		m->tid = (int32_t)rec->tid;
		m->thread = (int)r->n_marks; /* slot order, for equal times */
		m->time_ns = (int64_t)rec->time_ns - t0;
		if (b->read_mode == EMUDIFF_MARK_READ_SYSCALL && words)
			from_group_read(r, rec->read, words, mask, m);
		else if (b->read_mode == EMUDIFF_MARK_READ_RDPMC && words)
			from_pages(r, rec->read, mask, m);
		r->n_marks++;
	}
	/* slots are taken in hit order; threads may stamp times a little out of it */
	qsort(r->marks, r->n_marks, sizeof(*r->marks), cmp_mark_time);
	for (size_t i = 0; i < r->n_marks; i++)
		r->marks[i].thread = 0; /* ordinals come with the threads (threads.c) */
	collect_slots(r, b);
}
