/*
 * plugin_lean.c - lean counting (plugin_state.h): one inline add per
 * segment, a vCPU's instructions summed from the segment counters when
 * needed, and the switch to a second add per segment (a per-vCPU
 * instruction counter) once marker hits make the sums cost more than it.
 *
 * The second add costs about as much as the first on every block executed
 * (an xz compression: 1.2x of plain QEMU with one, 1.4x with two), while a
 * sum costs a visit per segment at each hit: cheap for markers every
 * million instructions, not for a marker every thousand. The switch is a
 * QEMU reset: every translation is flushed with all vCPUs stopped, so no
 * lean block runs afterwards and each vCPU's sum, added to its counter
 * there, stays exact.
 */

#include "plugin_state.h"

bool lean;
qemu_plugin_id_t plugin_id;

static unsigned long long lean_visits; /* segments visited by the sums of hits */
static bool switch_asked;

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

uint64_t vcpu__insns(struct vcpu *vc, unsigned int v)
{
	uint64_t g = vcpu__grow(vc, v)[G_INSNS];

	return lean ? g + lean_sum(vc, v) : g;
}

/* In QEMU's reset, every vCPU stopped and every block flushed. */
static void lean_end(qemu_plugin_id_t id)
{
	pthread_mutex_lock(&plugin_lock);
	for (unsigned int v = 0; lean && v < n_vcpu_slots; v++)
		if (vcpus[v])
			vcpu__grow(vcpus[v], v)[G_INSNS] += lean_sum(vcpus[v], v);
	lean = false;
	pthread_mutex_unlock(&plugin_lock);
	/* the reset took every callback away */
	plugin__register(id);
}

void lean__hit(uint64_t insns)
{
	lean_visits += n_segments;
	if (switch_asked || lean_visits <= cfg.lean_limit || lean_visits <= insns / 8)
		return;
	switch_asked = true;
	qemu_plugin_reset(plugin_id, lean_end);
}
