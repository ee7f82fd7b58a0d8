/*
 * plugin_marks.c - marker hits (the count before the marker, host time, mem and
 * mix values), the pages of a region (mem=on), and the marksyms walk that
 * closes a marker interval's symbol counts.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin_state.h"

void on_mem(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
	(void)vcpu;
	(void)info;
	(void)udata;
	pthread_mutex_lock(&plugin_lock);
	page_set__insert(&pages, (vaddr >> 12) + 1);
	pthread_mutex_unlock(&plugin_lock);
}

/*
 * Close interval seq (the one opened by marker hit seq, -1 before the
 * first): every segment's executions since the last walk, times its
 * instructions, go to its symbol. Returns false, walking nothing, when the
 * walk would exceed marksyms_limit; from then on nothing is attributed.
 */
bool msym_close(int64_t seq, const char *tail_sym, uint32_t tail)
{
	if (msym_stopped)
		return false;
	if (msym_visits + n_segments > cfg.marksyms_limit) {
		msym_stopped = true;
		msym_complete = seq;
		return false;
	}
	msym_visits += n_segments;
	for (size_t c = 0, i = 0; i < n_segments; c++) {
		const struct counter *ec = exec_chunks[c];
		uint64_t *snap = snap_chunks[c];
		size_t m = n_segments - i < SEG_CHUNK ? n_segments - i : SEG_CHUNK;

		for (size_t j = 0; j < m; j++) {
			uint64_t e = counter__read(&ec[j]);

			if (e != snap[j]) {
				const struct segment *sg = segments[i + j];

				sym_acc__add(&msym_acc, sg->sym, (int64_t)((e - snap[j]) * sg->n_insns));
				snap[j] = e;
			}
		}
		i += m;
	}
	/* the previous marker's tail ran here; this marker's tail runs in the next interval */
	if (msym_carry)
		sym_acc__add(&msym_acc, msym_carry_sym, msym_carry);
	if (tail)
		sym_acc__add(&msym_acc, tail_sym, -(int64_t)tail);
	sym_acc__flush(&msym_acc, seq, &msym_closed);
	msym_carry_sym = tail_sym;
	msym_carry = tail;
	msym_complete = seq + 1;
	return true;
}

void on_marker(unsigned int vcpu, void *udata)
{
	const struct marker_site *site = udata;
	uint64_t t = host_ns();

	(void)vcpu;
	pthread_mutex_lock(&plugin_lock);
	if (n_marks == cap_marks)
		marks = grow(marks, &cap_marks, sizeof(*marks));
	struct mark *m = &marks[n_marks];

	m->id = site->id;
	m->insns = counter__read(&insn_count) - site->pending;
	m->host_ns = t;
	if (cfg.mem) {
		m->values[V_MEM] = counter__read(&mem_count);
		pages_done += pages.n;
		m->values[V_PAGES] = pages_done;
		page_set__clear(&pages);
	}
	if (cfg.mix)
		/* minus the part of the marker's own segment that has not run yet */
		for (int c = 0; c < GC_COUNT; c++)
			m->values[V_CLS0 + c] = counter__read(&cls_count[c]) -
						(site->seg_counted ? site->tail_cls[c] : 0);
	/* the marker's segment tail was counted with this interval but runs in the next */
	if (cfg.marksyms)
		msym_close(cur_seq, site->sym, site->pending);
	cur_seq = (int64_t)n_marks++;
	pthread_mutex_unlock(&plugin_lock);
}
