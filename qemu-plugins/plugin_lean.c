/*
 * plugin_lean.c - lean counting (plugin_state.h): a segment whose only
 * inline add is its execution counter is "summed": a vCPU's instructions are
 * its G_INSNS slot plus, over the summed segments, executions times
 * instructions, taken when needed (marker hits, a thread's end, the write).
 *
 * The second add costs about as much as the first on every block executed
 * (an xz compression: 1.2x of plain QEMU's host instructions with one, 1.4x
 * with two), while a sum costs a visit per summed segment at each hit:
 * cheap for markers every million instructions, not for a marker every
 * thousand. So every segment is summed at first; once the sums of hits
 * have visited more than lean_limit segments (and more than an eighth of
 * the instructions executed), the plugin picks the segments executed more
 * than HOT_PER_HIT times per hit so far (at most HOT_MAX, the most often
 * executed: there an add costs more than a visit per hit) and asks QEMU for
 * a reset: every translation
 * is flushed with all vCPUs stopped, each vCPU's sum is added to its
 * G_INSNS there (the segments translated so far never run again), and
 * from then on only segments at the hot segments' addresses are summed
 * (a loop's blocks keep one add), all others add to G_INSNS too. Either
 * way every count is exact.
 */
#include <stdint.h>
#include <stdlib.h>

#include "plugin_state.h"

/* hot addresses after the switch, and the summed segments translated at them */
#define HOT_MAX 64
#define HOT_PER_HIT 4
#define SUMMED_MAX 4096

bool lean;
qemu_plugin_id_t plugin_id;

static unsigned long long lean_visits; /* segments visited by the sums of hits */
static bool switch_asked;
static uint64_t hot[HOT_MAX];
static size_t n_hot;
static uint32_t *summed; /* after the switch: the summed segments, ascending */
static size_t n_summed, cap_summed;

/* Executions on vCPU v times instructions, over every segment (lean ones). */
static uint64_t lean_sum(struct vcpu *vc, unsigned int v)
{
	uint64_t sum = 0;

	for (size_t c = 0, base = 0; base < n_segments; c++, base += SEG_CHUNK) {
		const uint64_t *row = vcpu__chunk_row(vc, v, c);
		const uint32_t *n = chunk_insns[c];
		size_t m = n_segments - base < SEG_CHUNK ? n_segments - base : SEG_CHUNK;

		for (size_t j = 0; j < m; j++)
			sum += row[j] * n[j];
	}
	return sum;
}

/* The same over the summed segments of after the switch (ascending: one row per chunk). */
static uint64_t summed_sum(struct vcpu *vc, unsigned int v)
{
	uint64_t sum = 0;
	size_t chunk = SIZE_MAX;
	const uint64_t *row = NULL;

	for (size_t k = 0; k < n_summed; k++) {
		uint32_t i = summed[k];

		if (i / SEG_CHUNK != chunk)
			row = vcpu__chunk_row(vc, v, chunk = i / SEG_CHUNK);
		sum += row[i % SEG_CHUNK] * chunk_insns[chunk][i % SEG_CHUNK];
	}
	return sum;
}

uint64_t vcpu__insns(struct vcpu *vc, unsigned int v)
{
	uint64_t g = vcpu__grow(vc, v)[G_INSNS];

	return g + (lean ? lean_sum(vc, v) : summed_sum(vc, v));
}

bool lean__summed(size_t seg, uint64_t vaddr)
{
	if (lean)
		return true;
	for (size_t k = 0; k < n_hot && n_summed < SUMMED_MAX; k++)
		if (hot[k] == vaddr) {
			if (n_summed == cap_summed)
				summed = grow(summed, &cap_summed, sizeof(*summed));
			summed[n_summed++] = (uint32_t)seg;
			return true;
		}
	return false;
}

/* In QEMU's reset, every vCPU stopped and every block flushed. */
static void lean_end(qemu_plugin_id_t id)
{
	state_lock();
	for (unsigned int v = 0; lean && v < n_vcpu_slots; v++)
		if (vcpus[v])
			vcpu__grow(vcpus[v], v)[G_INSNS] += lean_sum(vcpus[v], v);
	lean = false;
	state_unlock();
	/* the reset took every callback away */
	plugin__register(id);
}

struct seg_execs {
	uint64_t execs, vaddr;
};

static int cmp_execs(const void *a, const void *b)
{
	const struct seg_execs *x = a, *y = b;

	return x->execs < y->execs ? 1 : x->execs > y->execs ? -1 : 0;
}

/* The addresses of the segments executed most often (by every thread), more
 * than HOT_PER_HIT times per hit. */
static void pick_hot(void)
{
	uint64_t least = (uint64_t)marks.n * HOT_PER_HIT;

	struct seg_execs *t = plugin_zalloc((n_segments + 1) * sizeof(*t));

	for (size_t i = 0; i < n_segments; i++)
		t[i] = (struct seg_execs){ segment__execs(i), segments[i]->vaddr };
	qsort(t, n_segments, sizeof(*t), cmp_execs);
	for (size_t i = 0; i < n_segments && n_hot < HOT_MAX && t[i].execs > least; i++) {
		size_t k = 0;

		while (k < n_hot && hot[k] != t[i].vaddr)
			k++;
		if (k == n_hot)
			hot[n_hot++] = t[i].vaddr;
	}
	free(t);
}

void lean__hit(uint64_t insns)
{
	lean_visits += n_segments;
	if (switch_asked || lean_visits <= cfg.lean_limit || lean_visits <= insns / 8)
		return;
	switch_asked = true;
	pick_hot();
	qemu_plugin_reset(plugin_id, lean_end);
}
