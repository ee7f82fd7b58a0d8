/*
 * plugin_marks.c - marker hits (the thread's count before the marker, host
 * time, mem and mix values), the pages of a region (mem=on), the segment
 * callbacks of callback mode, and the marksyms accounting that closes a
 * thread's marker interval into instructions per symbol.
 *
 * Closing an interval takes, for every segment, its executions on the
 * thread's vCPU since the last close times its instructions. Doing that for
 * every segment at every hit made marker-heavy programs pay O(segments) per
 * hit, so the segments that ran recently (the active set) are looked at
 * first: their sum is compared with the vCPU's instruction counter, and
 * counters only grow, so when the two agree no other segment ran and the
 * walk over all segments is skipped. Either way the interval's symbols add
 * up exactly to the difference of its two marks.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_state.h"

/* An active segment stays checked first for this many closes after it last ran. */
#define ACTIVE_KEEP 8

static struct sym_acc acc; /* the interval being closed (state lock) */

#if QEMU_PLUGIN_VERSION < 2
static inline void count_segment(unsigned int vcpu, const struct segment *s)
{
	uint64_t *g = gbank->rows[vcpu];

	g[G_INSNS] += s->n_insns;
	s->bank->rows[vcpu][s->slot]++;
	for (int c = 0; cfg.mix && c < GC_COUNT; c++)
		g[G_CLS0 + c] += s->cls[c];
}
#endif

/* Callback mode, the hot path: no lock, the vCPU's own row only. */
void on_segment(unsigned int vcpu, void *udata)
{
#if QEMU_PLUGIN_VERSION < 2
	if (vcpu < MAX_VCPUS && gbank->rows[vcpu])
		count_segment(vcpu, udata);
#else
	(void)vcpu, (void)udata;
#endif
}

void on_guest_code(unsigned int vcpu, void *udata)
{
	(void)udata;
#if QEMU_PLUGIN_VERSION < 2
	if (vcpu < MAX_VCPUS && gbank->rows[vcpu])
		gbank->rows[vcpu][G_GUEST]++;
#else
	(void)vcpu;
#endif
}

void on_mem(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
	struct vcpu *vc;

	(void)info;
	(void)udata;
	state_lock();
	vc = vcpu__get(vcpu);
	if (vc) {
		vc->mem++;
		page_set__insert(&vc->pages, (vaddr >> 12) + 1);
	}
	state_unlock();
}

/* ---- symbols per marker interval ---- */

/* The snapshot arrays of vc cover every chunk. */
static void snap_cover(struct vcpu *vc)
{
	if (vc->n_snap >= n_chunks)
		return;
	vc->snap = realloc(vc->snap, cap_chunks * sizeof(*vc->snap));
	vc->in_active = realloc(vc->in_active, cap_chunks * sizeof(*vc->in_active));
	if (!vc->snap || !vc->in_active) {
		fprintf(stderr, "emudiff plugin: out of memory\n");
		abort();
	}
	for (; vc->n_snap < n_chunks; vc->n_snap++) {
		vc->snap[vc->n_snap] = plugin_zalloc(SEG_CHUNK * sizeof(**vc->snap));
		vc->in_active[vc->n_snap] = plugin_zalloc(SEG_CHUNK);
	}
}

/* Segment i joins vc's active set, having run d times in this interval. */
static void active_push(struct vcpu *vc, unsigned int v, uint32_t i, uint64_t d)
{
	const uint64_t *row = vcpu__chunk_row(vc, v, i / SEG_CHUNK);

	if (vc->n_active == vc->cap_active)
		vc->active = grow(vc->active, &vc->cap_active, sizeof(*vc->active));
	vc->in_active[i / SEG_CHUNK][i % SEG_CHUNK] = 1;
	vc->active[vc->n_active++] = (struct active_seg){
		.ctr = &row[i % SEG_CHUNK], .snap = &vc->snap[i / SEG_CHUNK][i % SEG_CHUNK], .delta = d,
		.chunk = i / SEG_CHUNK, .slot = i % SEG_CHUNK, .n_insns = segments[i]->n_insns, .seg = i,
	};
}

/*
 * The active set first: each entry's executions since the last close.
 * Returns the instructions found there; *same: every entry ran exactly as
 * often as in the thread's previous interval. Segments that did not run for
 * ACTIVE_KEEP closes leave the set (a full walk finds them again).
 */
static uint64_t walk_active(unsigned int v, struct vcpu *vc, bool *same)
{
	struct active_seg *act = vc->active;
	uint64_t got = 0;
	size_t kept = 0;
	bool all_same = true;

	/* the counters' addresses, again after scoreboards may have moved */
	if (!vcpu__rows_fresh(vc) || vc->active_gen != vc->rows_gen) {
		for (size_t k = 0; k < vc->n_active; k++)
			act[k].ctr = &vcpu__chunk_row(vc, v, act[k].chunk)[act[k].slot];
		vc->active_gen = vc->rows_gen;
	}
	for (size_t k = 0; k < vc->n_active; k++) {
		struct active_seg *a = &act[k];
		uint64_t e = *a->ctr, d = e - *a->snap;

		all_same &= d == a->delta;
		if (d) {
			*a->snap = e;
			got += d * a->n_insns;
			a->age = 0;
		} else if (++a->age >= ACTIVE_KEEP) {
			vc->in_active[a->chunk][a->slot] = 0;
			continue;
		}
		a->delta = d;
		if (kept != k)
			act[kept] = *a;
		kept++;
	}
	vc->n_active = kept;
	*same = all_same;
	return got;
}

/* The active set's executions of this interval (walk_active), by symbol. */
static void add_active(struct vcpu *vc)
{
	for (size_t k = 0; k < vc->n_active; k++)
		if (vc->active[k].delta)
			sym_acc__add(&acc, segments[vc->active[k].seg]->sym,
				     (int64_t)(vc->active[k].delta * vc->active[k].n_insns));
}

/* Every other segment: those found running are added, and join the active set. */
static void walk_all(unsigned int v, struct vcpu *vc)
{
	for (size_t c = 0, base = 0; base < n_segments; c++, base += SEG_CHUNK) {
		const uint64_t *row = vcpu__chunk_row(vc, v, c);
		uint64_t *snap = vc->snap[c];
		size_t m = n_segments - base < SEG_CHUNK ? n_segments - base : SEG_CHUNK;

		for (size_t j = 0; j < m; j++) {
			uint64_t d = row[j] - snap[j];

			if (!d)
				continue;
			snap[j] = row[j];
			const struct segment *sg = segments[base + j];

			sym_acc__add(&acc, sg->sym, (int64_t)(d * sg->n_insns));
			if (!vc->in_active[c][j])
				active_push(vc, v, (uint32_t)(base + j), d);
		}
	}
}

/* key of an interval in msym_complete's order: before a first hit is -1 */
static int64_t interval_key(int64_t seq)
{
	return seq >= 0 ? seq : -1;
}

/* The limit is reached closing vc's interval: every interval still open is incomplete. */
static void msym_stop(void)
{
	int64_t n = INT64_MAX;

	msym_stopped = true;
	for (unsigned int v = 0; v < n_vcpu_slots; v++)
		if (vcpus[v] && vcpus[v]->thread >= 0 && interval_key(vcpus[v]->seq) < n)
			n = interval_key(vcpus[v]->seq);
	msym_complete = n == INT64_MAX ? -1 : n;
	sym_acc__free(&acc);
}

void msym_thread_started(void)
{
	/* its interval before the first hit will not be attributed */
	if (msym_stopped)
		msym_complete = -1;
}

static struct msym_span *span_of(const struct vcpu *vc)
{
	if (vc->seq >= 0)
		return &((struct mark *)chunked__at(&marks, (size_t)vc->seq))->span;
	return &threads[vc->thread].pre;
}

/* Do two spans hold the same (symbol, instructions)? */
static bool same_entries(const struct msym_span *a, const struct msym_span *b)
{
	if (a->n != b->n)
		return false;
	for (uint32_t k = 0; k < a->n; k++) {
		const struct msym_entry *x = chunked__at(&msym_entries, a->start + k);
		const struct msym_entry *y = chunked__at(&msym_entries, b->start + k);

		if (x->sym != y->sym || x->insns != y->insns)
			return false;
	}
	return true;
}

/*
 * Close the thread's open interval. When every segment ran as often as in
 * the thread's previous interval and the marker tails moved are the same,
 * the interval is the previous one again and shares its entries (a loop's
 * steady state: no symbol is looked at).
 */
void msym_close(unsigned int v, struct vcpu *vc, const char *tail_sym, uint32_t tail, uint64_t total)
{
	struct msym_span *span = span_of(vc);
	bool same;

	if (msym_stopped)
		return;
	if (msym_visits + vc->n_active > cfg.marksyms_limit) {
		msym_stop();
		return;
	}
	snap_cover(vc);
	msym_visits += vc->n_active;
	if (walk_active(v, vc, &same) != total - vc->acct_insns) {
		if (msym_visits + n_segments > cfg.marksyms_limit) {
			msym_stop();
			return;
		}
		msym_visits += n_segments;
		add_active(vc);
		walk_all(v, vc);
	} else if (same && vc->last.closed && vc->carry == vc->prev_carry &&
		   vc->carry_sym == vc->prev_carry_sym && tail == vc->carry && tail_sym == vc->carry_sym) {
		*span = vc->last;
		vc->acct_insns = total;
		return;
	} else {
		add_active(vc);
	}
	/* the previous marker's tail ran here; this marker's tail runs in the next interval */
	if (vc->carry)
		sym_acc__add(&acc, vc->carry_sym, vc->carry);
	if (tail)
		sym_acc__add(&acc, tail_sym, -(int64_t)tail);
	*span = (struct msym_span){ (uint32_t)msym_entries.n, 0, 1 };
	span->n = sym_acc__flush(&acc, &msym_entries) & 0x7fffffff;
	if (vc->last.closed && same_entries(&vc->last, span)) {
		chunked__truncate(&msym_entries, span->start);
		*span = vc->last;
	}
	vc->last = *span;
	vc->prev_carry_sym = vc->carry_sym;
	vc->prev_carry = vc->carry;
	vc->carry_sym = tail_sym;
	vc->carry = tail;
	vc->acct_insns = total;
}

struct msym_span msym_peek(unsigned int v, struct vcpu *vc)
{
	struct msym_span span = { (uint32_t)msym_entries.n, 0, 1 };

	snap_cover(vc);
	for (size_t c = 0, base = 0; base < n_segments; c++, base += SEG_CHUNK) {
		const uint64_t *row = vcpu__chunk_row(vc, v, c);
		size_t m = n_segments - base < SEG_CHUNK ? n_segments - base : SEG_CHUNK;

		for (size_t j = 0; j < m; j++) {
			const struct segment *sg = segments[base + j];

			if (row[j] != vc->snap[c][j])
				sym_acc__add(&acc, sg->sym, (int64_t)((row[j] - vc->snap[c][j]) * sg->n_insns));
		}
	}
	if (vc->carry)
		sym_acc__add(&acc, vc->carry_sym, vc->carry);
	span.n = sym_acc__flush(&acc, &msym_entries) & 0x7fffffff;
	return span;
}

void msym_vcpu_reset(struct vcpu *vc)
{
	for (size_t c = 0; c < vc->n_snap; c++) {
		memset(vc->snap[c], 0, SEG_CHUNK * sizeof(**vc->snap));
		memset(vc->in_active[c], 0, SEG_CHUNK);
	}
	vc->n_active = 0;
	vc->acct_insns = 0;
	vc->carry = vc->prev_carry = 0;
	vc->carry_sym = vc->prev_carry_sym = NULL;
	vc->last.closed = 0;
}

/* ---- marker hits ---- */

void on_marker(unsigned int vcpu, void *udata)
{
	const struct marker_site *site = udata;
	uint64_t t = stamp__now();
	struct vcpu *vc;

	state_lock();
	vc = vcpu__get(vcpu);
	if (!vc) {
		state_unlock();
		return;
	}
#if QEMU_PLUGIN_VERSION < 2
	if (site->seg) /* callback mode: the marker starts its segment and counts it */
		count_segment(vcpu, site->seg);
#endif
	const uint64_t *g = vcpu__grow(vc, vcpu);
	uint64_t total = vcpu__insns(vc, vcpu);
	size_t seq = marks.n;
	struct mark *m = chunked__push_raw(&marks);

	*m = (struct mark){ .insns = total - site->pending, .stamp = t, .thread = vc->thread,
			    .id = site->id };
	if (cfg.mem || cfg.mix) {
		uint64_t *val = chunked__push(&mark_values);

		if (cfg.mem) {
			val[V_MEM] = vc->mem;
			vc->pages_done += vc->pages.n;
			val[V_PAGES] = vc->pages_done;
			page_set__clear(&vc->pages);
		}
		/* minus the part of the marker's own segment that has not run yet */
		for (int c = 0; cfg.mix && c < GC_COUNT; c++)
			val[V_CLS0 + c] = g[G_CLS0 + c] - (site->seg_counted ? site->tail_cls[c] : 0);
	}
	/* the marker's segment tail was counted with this interval but runs in the next */
	if (cfg.marksyms)
		msym_close(vcpu, vc, site->sym, site->pending, total);
	vc->seq = (int64_t)seq;
	if (lean)
		lean__hit(total);
	state_unlock();
}
