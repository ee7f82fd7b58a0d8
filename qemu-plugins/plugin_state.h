/*
 * plugin_state.h - private to libemudiff-qemu.so: its counters, its state and
 * the functions its files share (emudiff_qemu.c says what it measures and how).
 * The state is guarded by plugin_lock, taken by every callback.
 */
#ifndef EMUDIFF_PLUGIN_STATE_H
#define EMUDIFF_PLUGIN_STATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <qemu-plugin.h>

#include "guest_insn.h"
#include "plugin_options.h"
#include "plugin_tables.h"

#define OUTPUT_VERSION 3
#define MAX_VCPUS 4096

/* ---- counters: plain memory for API 1, per-vCPU scoreboards from API 2 (QEMU 9.0) on ---- */

#if QEMU_PLUGIN_VERSION >= 2
struct counter {
	struct qemu_plugin_scoreboard *sb;
};
static inline void counter__init(struct counter *c)
{
	c->sb = qemu_plugin_scoreboard_new(sizeof(uint64_t));
}
static inline void counter__add_at(struct qemu_plugin_insn *insn, struct counter *c, uint64_t n)
{
	qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(insn, QEMU_PLUGIN_INLINE_ADD_U64,
							    qemu_plugin_scoreboard_u64(c->sb), n);
}
static inline void counter__add_per_access(struct qemu_plugin_insn *insn, struct counter *c)
{
	qemu_plugin_register_vcpu_mem_inline_per_vcpu(insn, QEMU_PLUGIN_MEM_RW,
						      QEMU_PLUGIN_INLINE_ADD_U64,
						      qemu_plugin_scoreboard_u64(c->sb), 1);
}
static inline uint64_t counter__read(const struct counter *c)
{
	return qemu_plugin_u64_sum(qemu_plugin_scoreboard_u64(c->sb));
}
static inline void counter__reset(struct counter *c)
{
	qemu_plugin_u64 e = qemu_plugin_scoreboard_u64(c->sb);

	for (int i = 0; i < qemu_plugin_num_vcpus(); i++)
		qemu_plugin_u64_set(e, (unsigned int)i, 0);
}
/* From API 2 on, callbacks and inline ops of one instruction run in the
 * order they were registered, and we register the inline ops first. */
#define INLINE_BEFORE_CALLBACK 1
#else
struct counter {
	uint64_t v;
};
static inline void counter__init(struct counter *c)
{
	c->v = 0;
}
static inline void counter__add_at(struct qemu_plugin_insn *insn, struct counter *c, uint64_t n)
{
	qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &c->v, n);
}
static inline void counter__add_per_access(struct qemu_plugin_insn *insn, struct counter *c)
{
	qemu_plugin_register_vcpu_mem_inline(insn, QEMU_PLUGIN_MEM_RW, QEMU_PLUGIN_INLINE_ADD_U64,
					     &c->v, 1);
}
static inline uint64_t counter__read(const struct counter *c)
{
	return __atomic_load_n(&c->v, __ATOMIC_RELAXED);
}
static inline void counter__reset(struct counter *c)
{
	__atomic_store_n(&c->v, 0, __ATOMIC_RELAXED);
}
/* QEMU 7.2 emits an instruction's callbacks before its inline ops. */
#define INLINE_BEFORE_CALLBACK 0
#endif

/* ---- state ---------------------------------------------------------------------- */

/* A run of instructions counted by one inline add at its first instruction. */
struct segment {
	struct counter *execs;   /* times the segment was entered (in exec_chunks) */
	uint32_t n_insns;
	uint64_t vaddr;          /* guest address of its first instruction */
	bool tb_start;           /* first segment of its translation block */
	const char *sym;         /* QEMU's symbol string (stable pointer) or NULL */
	uint16_t cls[GC_COUNT];  /* instruction classes (mix=on) */
};

struct marker_site {
	int id;
	/* instructions of the marker's segment from the marker on (marker
	 * included) already added to the global counter when the callback runs */
	uint32_t pending;
	int seg_counted;         /* were its segment's inline adds done at callback time? */
	uint16_t tail_cls[GC_COUNT];
	const char *sym;         /* its segment's symbol (marksyms) */
};

struct event_site {
	const char *kind;
	char detail[32];
};

enum { V_MEM, V_PAGES, V_CLS0, V_COUNT = V_CLS0 + GC_COUNT };

struct mark {
	int id;
	uint64_t insns, host_ns;
	uint64_t values[V_COUNT];
};


/* A system call entered on a vCPU, counted when it returns (user mode). */
struct pending_syscall {
	int64_t nr, seq;
	bool active;
};

extern pthread_mutex_t plugin_lock;
extern struct counter insn_count; /* all instructions, added per segment */
extern struct counter mem_count;  /* memory accesses (mem=on) */
extern struct counter cls_count[GC_COUNT]; /* instructions per class (mix=on) */
extern uint64_t start_ns;
extern int n_vcpus;

extern struct segment **segments;
extern size_t n_segments, cap_segments;

/* Segment i's execution counter and its value at the last marker hit live
 * at [i / SEG_CHUNK][i % SEG_CHUNK] of these: dense, so that the marksyms
 * walk is a linear scan, and never moved, since inline ops point into them. */
#define SEG_CHUNK 4096
extern struct counter **exec_chunks;
extern uint64_t **snap_chunks;
extern size_t n_chunks, cap_chunks;

extern struct mark *marks;
extern size_t n_marks, cap_marks;
extern int64_t cur_seq; /* seq of the last marker hit */

extern struct event_table events;
/* guest=: instructions started in the guest's ranges (one inline add per
 * block that enters them), and its value at the last HS vector entry */
extern struct counter guest_code;
extern uint64_t guest_code_at_hs;

/* marksyms: instructions per (interval, symbol) and the walk's state */
extern struct msym_list msym_closed;   /* closed intervals, in seq order */
extern struct sym_acc msym_acc;        /* the interval being closed */
extern unsigned long long msym_visits; /* segments walked so far */
extern bool msym_stopped;              /* the limit was reached */
extern int64_t msym_complete;          /* intervals with seq below it are complete */
extern const char *msym_carry_sym;     /* the last marker's segment tail, owed to */
extern uint32_t msym_carry;            /* the interval that marker opened */
extern struct page_set pages;  /* distinct pages (+1) of the current region */
extern uint64_t pages_done; /* sum of distinct pages of the regions already closed */

extern struct pending_syscall pending_syscall[MAX_VCPUS];
extern bool have_exit_code;
extern int64_t exit_code;
extern bool output_written;
extern uint64_t start_code, entry_code; /* user mode, read at the first translation */
extern bool term_installed; /* user mode: our SIGTERM handler is in place */
extern pid_t install_pid;   /* the QEMU process the plugin was loaded in */

/* emudiff_qemu.c */
uint64_t host_ns(void);
/* realloc to twice the capacity (256 at first), zeroed; aborts when out of memory */
void *grow(void *p, size_t *cap, size_t elem);

/* plugin_api.c: API functions looked up at run time (NULL: this QEMU lacks
 * them), and whether trap entries come from discontinuity callbacks */
extern uint64_t (*api_start_code)(void);
extern uint64_t (*api_entry_code)(void);
extern bool discon_active;
/* At install: look them up, register the discontinuity callback, and say on
 * stderr in one line what this QEMU lacks. */
void plugin_api__resolve(qemu_plugin_id_t id);

/* plugin_marks.c: marker hits, memory pages and symbols per marker interval */
void on_mem(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata);
void on_marker(unsigned int vcpu, void *udata);
bool msym_close(int64_t seq, const char *tail_sym, uint32_t tail);

/* plugin_events.c: event sites, system calls, vCPUs */
void on_event(unsigned int vcpu, void *udata);
void on_hs_entry(unsigned int vcpu, void *udata);
void on_syscall(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, uint64_t a1, uint64_t a2,
		uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8);
void on_syscall_ret(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, int64_t ret);
void on_vcpu_init(qemu_plugin_id_t id, unsigned int vcpu);
/* Count the system calls still pending (at exit: exit, execve). */
void syscalls_flush_pending(void);

/* plugin_translate.c: segments, markers and event sites of a translated block */
void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);

/* plugin_write.c: the output file (format: qemu_output.h); 0 or -1 */
int write_output(bool final);

/* plugin_exit.c: writing at exit and on SIGTERM, and a guest's fork */
void on_exit_(qemu_plugin_id_t id, void *udata);
void term_install(void);
void fork_prepare(void);
void fork_parent(void);
void fork_child(void);

#endif
