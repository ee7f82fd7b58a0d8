/*
 * plugin_translate.c - a translated block: its segments (the inline adds of
 * the counting model), its marker callbacks, memory callbacks (mem=on) and
 * the event sites of system mode (trap vectors, guest code, ecall/wfi...).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin_maps.h"
#include "plugin_state.h"

/* From API 2 on, callbacks and inline ops of one instruction run in the
 * order they were registered, and the inline ops are registered first;
 * QEMU 7.2 emits an instruction's callbacks before its inline ops. */
#define INLINE_BEFORE_CALLBACK (QEMU_PLUGIN_VERSION >= 2)

/* The instruction's bytes: API 3 (QEMU 9.1) copies them, before it returned a pointer. */
static size_t insn_bytes(const struct qemu_plugin_insn *insn, uint8_t *buf, size_t cap)
{
#if QEMU_PLUGIN_VERSION >= 3
	return qemu_plugin_insn_data(insn, buf, cap);
#else
	size_t n = qemu_plugin_insn_size(insn);

	if (n > cap)
		n = cap;
	memcpy(buf, qemu_plugin_insn_data(insn), n);
	return n;
#endif
}


/* index of the trap vector at vaddr, or -1 */
static int trapvec_index(uint64_t vaddr)
{
	for (size_t i = 0; i < cfg.n_trapvec; i++)
		if (cfg.trapvec[i] == vaddr)
			return (int)i;
	return -1;
}

static bool in_guest(uint64_t vaddr)
{
	for (size_t i = 0; i < cfg.n_guest; i++)
		if (vaddr >= cfg.guest_lo[i] && vaddr < cfg.guest_hi[i])
			return true;
	return false;
}

static struct segment *segment__new(const char *sym)
{
	struct segment *s = plugin_zalloc(sizeof(*s));

	if (n_segments == n_chunks * SEG_CHUNK) {
		if (n_chunks == cap_chunks) {
			size_t cap = cap_chunks, cap2 = cap_chunks;

			chunks = grow(chunks, &cap_chunks, sizeof(*chunks));
			retired = grow(retired, &cap, sizeof(*retired));
			chunk_insns = grow(chunk_insns, &cap2, sizeof(*chunk_insns));
		}
		chunk_insns[n_chunks] = plugin_zalloc(SEG_CHUNK * sizeof(**chunk_insns));
		chunks[n_chunks++] = bank__new(SEG_CHUNK);
	}
	s->bank = chunks[n_segments / SEG_CHUNK];
	s->slot = (uint32_t)(n_segments % SEG_CHUNK);
	s->sym = sym;
	if (n_segments == cap_segments)
		segments = grow(segments, &cap_segments, sizeof(*segments));
	segments[n_segments++] = s;
	return s;
}

static void add_event_site_cb(struct qemu_plugin_insn *insn, const char *kind, const char *detail,
			      void (*cb)(unsigned int, void *))
{
	struct event_site *e = plugin_zalloc(sizeof(*e));

	e->kind = kind;
	snprintf(e->detail, sizeof(e->detail), "%s", detail);
	qemu_plugin_register_vcpu_insn_exec_cb(insn, cb, QEMU_PLUGIN_CB_NO_REGS, e);
}

static void add_event_site(struct qemu_plugin_insn *insn, const char *kind, const char *detail)
{
	add_event_site_cb(insn, kind, detail, on_event);
}

/* A block being translated: each instruction described, and its segment. */
struct tb_view {
	size_t n;
	struct guest_insn *gi;
	const char **sym;
	size_t *seg_start; /* first instruction of the segment holding i */
	size_t *seg_end;   /* one past its last instruction */
};

/* Describe the instructions, and split them into segments: where the symbol
 * changes and, in exact mode, after every instruction that may raise an exception. */
static void describe(struct qemu_plugin_tb *tb, struct tb_view *v)
{
	bool classify = cfg.exact || cfg.mix;

	for (size_t i = 0; i < v->n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint8_t bytes[16];
		size_t len = insn_bytes(insn, bytes, sizeof(bytes));

		guest_insn__describe(cfg.arch, bytes, len, classify, &v->gi[i]);
		v->sym[i] = cfg.symbols ? qemu_plugin_insn_symbol(insn) : NULL;
	}
	for (size_t s = 0; s < v->n;) {
		size_t e = s + 1;

		while (e < v->n && !(cfg.exact && v->gi[e - 1].may_fault) && v->sym[e] == v->sym[s])
			e++;
		for (size_t i = s; i < e; i++) {
			v->seg_start[i] = s;
			v->seg_end[i] = e;
		}
		s = e;
	}
}

/* The segment starting at instruction i: its inline adds at its first
 * instruction, or in callback mode its callback (the marker's, when it
 * starts with a marker). */
static struct segment *add_segment(struct qemu_plugin_insn *insn, const struct tb_view *v,
				   size_t i, uint64_t vaddr)
{
	struct segment *seg = segment__new(v->sym[i]);

	seg->n_insns = (uint32_t)(v->seg_end[i] - i);
	chunk_insns[(n_segments - 1) / SEG_CHUNK][seg->slot] = seg->n_insns;
	seg->vaddr = vaddr;
	seg->tb_start = i == 0;
	for (size_t k = i; k < v->seg_end[i]; k++)
		seg->cls[v->gi[k].cls]++;
	if (callback_mode) {
		if (!v->gi[i].mark_id)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_segment, QEMU_PLUGIN_CB_NO_REGS, seg);
		return seg;
	}
	if (!lean__summed(n_segments - 1, vaddr))
		bank__inline_add(insn, gbank, G_INSNS, seg->n_insns);
	bank__inline_add(insn, seg->bank, seg->slot, 1);
	for (int c = 0; cfg.mix && c < GC_COUNT; c++)
		if (seg->cls[c])
			bank__inline_add(insn, gbank, G_CLS0 + (uint32_t)c, seg->cls[c]);
	return seg;
}

/* The marker at instruction i: what of its segment is already counted when
 * it runs. seg: the segment starting at i, if any. */
static void add_marker_site(struct qemu_plugin_insn *insn, const struct tb_view *v, size_t i,
			    struct segment *seg)
{
	struct marker_site *m = plugin_zalloc(sizeof(*m));
	bool counted = v->seg_start[i] != i || INLINE_BEFORE_CALLBACK || callback_mode;

	m->id = v->gi[i].mark_id;
	m->sym = v->sym[i];
	m->seg_counted = counted;
	m->seg = callback_mode ? seg : NULL;
	m->pending = counted ? (uint32_t)(v->seg_end[i] - i) : 0;
	for (size_t k = i; k < v->seg_end[i]; k++)
		m->tail_cls[v->gi[k].cls]++;
	qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_NO_REGS, m);
}

/* System mode: guest code, trap vector entries, ecall/wfi/hlt and trap returns. */
static void add_system_sites(struct qemu_plugin_insn *insn, const struct guest_insn *gi,
			     uint64_t vaddr, bool *guest_counted)
{
	char pc[24], tagged[32];
	int tv = trapvec_index(vaddr);

	snprintf(pc, sizeof(pc), "0x%" PRIx64, vaddr);
	/* one add per block is enough to see "guest ran" */
	if (cfg.n_guest && !*guest_counted && in_guest(vaddr)) {
		if (callback_mode)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_guest_code, QEMU_PLUGIN_CB_NO_REGS,
							       NULL);
		else
			bank__inline_add(insn, gbank, G_GUEST, 1);
		*guest_counted = true;
	}
	if (tv >= 0 && !strcmp(cfg.trapvec_tag[tv], "hs")) {
		snprintf(tagged, sizeof(tagged), "hs:%s", pc);
		add_event_site_cb(insn, "trap_entry", tagged, on_hs_entry);
	} else if (tv >= 0 && cfg.trapvec_tag[tv][0]) {
		snprintf(tagged, sizeof(tagged), "%s:%s", cfg.trapvec_tag[tv], pc);
		add_event_site(insn, "trap_entry", tagged);
	} else if (tv >= 0 && !discon_active) {
		/* with discontinuity callbacks, trap entries come from them */
		add_event_site(insn, "trap_entry", pc);
	}
	if (gi->exit_kind) {
		/* docs/design.md's kinds: ecall, wfi, hlt; the others keep their name */
		const char *kind = gi->exit_kind;

		if (!strcmp(kind, "syscall") || !strcmp(kind, "int"))
			kind = "ecall";
		/* a guest's ecall always traps to HS: its vm_exit counts it */
		if (!(cfg.n_guest && !strcmp(kind, "ecall") && in_guest(vaddr)))
			add_event_site(insn, kind, pc);
	}
	if (gi->trap_ret)
		add_event_site(insn, "trap_return", gi->trap_ret);
}

void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);
	struct guest_insn gi[n ? n : 1];
	const char *sym[n ? n : 1];
	size_t seg_start[n ? n : 1], seg_end[n ? n : 1];
	struct tb_view v = { n, gi, sym, seg_start, seg_end };
	bool guest_counted = false;

	(void)id;
	if (!n)
		return;
	state_lock();
	if (!cfg.system && !term_installed) {
		/* read on a vCPU thread: these read the vCPU's task state */
		start_code = api_start_code ? api_start_code() : 0;
		entry_code = api_entry_code ? api_entry_code() : 0;
		term_install();
	}
	describe(tb, &v);
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t vaddr = qemu_plugin_insn_vaddr(insn);
		struct segment *seg = seg_start[i] == i ? add_segment(insn, &v, i, vaddr) : NULL;

		if (i == 0 && !cfg.system)
			maps__note_block(vaddr, qemu_plugin_insn_haddr(insn));
		if (cfg.mem)
			qemu_plugin_register_vcpu_mem_cb(insn, on_mem, QEMU_PLUGIN_CB_NO_REGS,
							 QEMU_PLUGIN_MEM_RW, NULL);
		if (gi[i].mark_id)
			add_marker_site(insn, &v, i, seg);
		if (cfg.system)
			add_system_sites(insn, &gi[i], vaddr, &guest_counted);
	}
	state_unlock();
}
