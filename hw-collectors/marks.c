/*
 * marks.c - the records the marker runtime (emudiff/mark.h) wrote into the
 * shared buffer, as hw_mark values in the order of the run's counting group:
 * a group read (read mode syscall) or the counters the runtime read from
 * their pages (read mode rdpmc; the per-task group may hold fewer events, in
 * another order), only those read at each hit.
 */
#include "hw.h"
#include "common.h"
#include "emudiff/mark.h"

#include <stdlib.h>

static int cmp_mark_time(const void *a, const void *b)
{
	const struct hw_mark *x = a, *y = b;

	return x->time_ns < y->time_ns ? -1 : x->time_ns > y->time_ns;
}

void hw_run_result__collect_marks(struct hw_run_result *r, const struct emudiff_mark_buffer *b, int64_t t0)
{
	const unsigned char *recs = (const unsigned char *)(b + 1);
	uint64_t count = __atomic_load_n(&b->count, __ATOMIC_ACQUIRE);
	uint64_t n = count < b->capacity ? count : b->capacity;
	int to_group[HW_MAX_EVENTS]; /* mark_group index -> group index */

	for (int i = 0; i < r->mark_group.n; i++) {
		to_group[i] = 0;
		for (int e = 0; e < r->group.n; e++)
			if (r->group.ev[e] == r->mark_group.ev[i])
				to_group[i] = e;
		r->pmc_opened |= 1u << to_group[i];
		if (b->pmc_mapped & (1u << i))
			r->pmc_mapped |= 1u << to_group[i];
		if (b->pmc_readable & (1u << i))
			r->pmc_readable |= 1u << to_group[i];
	}
	r->marks_dropped = count - n;
	r->marks = xcalloc(n ? n : 1, sizeof(*r->marks));
	for (uint64_t i = 0; i < n; i++) {
		const struct emudiff_mark_record *rec =
			(const struct emudiff_mark_record *)(recs + i * b->record_size);
		struct hw_mark *m = &r->marks[r->n_marks];
		uint32_t id = __atomic_load_n(&rec->id, __ATOMIC_ACQUIRE);

		if (!id) {
			r->marks_incomplete++;
			continue;
		}
		m->id = (int)id;
		m->time_ns = (int64_t)rec->time_ns - t0;
		if (b->read_mode == EMUDIFF_MARK_READ_SYSCALL) {
			m->has_reading = rec->flags > 0 && r->group.n > 0 &&
					 rec->flags <= b->record_size - sizeof(*rec) &&
					 !hw_reading__parse(rec->read, rec->flags, r->group.n, &m->r);
			if (m->has_reading && m->r.counted)
				m->have = (r->group.n >= 32 ? 0 : 1u << r->group.n) - 1;
		} else if (b->read_mode == EMUDIFF_MARK_READ_RDPMC && rec->flags && r->mark_group.n) {
			struct hw_reading pr;

			hw_reading__from_pmc(rec->read, rec->flags, r->mark_group.n, &pr);
			m->has_reading = pr.counted;
			m->r.n = r->group.n;
			m->r.time_enabled = pr.time_enabled;
			m->r.time_running = pr.time_running;
			m->r.multiplexed = pr.multiplexed;
			m->r.counted = pr.counted;
			for (int k = 0; k < r->mark_group.n && pr.counted; k++) {
				if (!(rec->flags & (1u << k)))
					continue;
				m->r.raw[to_group[k]] = pr.raw[k];
				m->r.value[to_group[k]] = pr.value[k];
				m->have |= 1u << to_group[k];
			}
		}
		r->n_marks++;
	}
	/* slots are taken in hit order; threads may stamp times a little out of it */
	qsort(r->marks, r->n_marks, sizeof(*r->marks), cmp_mark_time);
}

