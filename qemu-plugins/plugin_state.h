/*
 * plugin_state.h - private to libemudiff-qemu.so: its counters, its state and
 * the functions its files share (emudiff_qemu.c says what it measures and how).
 * The state is guarded by the state lock, taken by every callback.
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

#define OUTPUT_VERSION 5
#define MAX_VCPUS PLUGIN_MAX_VCPUS /* vCPU indexes counted (plugin_keys.h) */

/* ---- per-vCPU counters ------------------------------------------------------------ */

/*
 * A bank holds, for every vCPU, a row of k 64-bit counters. Inline ops add
 * to the row of the vCPU that executes them: from API 2 (QEMU 9.0) on a
 * bank is a scoreboard, whose element is the row; with API 1 there is one
 * row shared by every vCPU (inline mode: exact with one thread only), or, in
 * callback mode, one row per vCPU that the segment callbacks add to.
 */
struct bank {
#if QEMU_PLUGIN_VERSION >= 2
	struct qemu_plugin_scoreboard *sb;
#else
	uint64_t *rows[MAX_VCPUS]; /* inline mode: rows[0] serves every vCPU */
#endif
	uint32_t k;
};

/* Callback mode (API 1 only): a callback per segment adds to the executing
 * vCPU's row; decided at install, before anything is translated. */
extern bool callback_mode;

/*
 * Lean counting (inline mode without mix=on, from the start): a summed
 * segment's only inline add is its execution counter, and a vCPU's
 * instructions are its G_INSNS plus the sum over the summed segments of
 * executions times instructions (plugin_lean.c); the others also add their
 * instructions to G_INSNS. Every segment is summed until the sums of marker
 * hits grow dear; then a QEMU reset (a TB flush, every vCPU stopped) folds
 * the sums into G_INSNS, and from then on only the segments at the
 * addresses executed most often are summed. Every count is exact either way.
 */
extern bool lean; /* every segment is summed */
extern qemu_plugin_id_t plugin_id;
struct vcpu;
/* Instructions of the thread on vCPU v (vc its state), counted so far. */
uint64_t vcpu__insns(struct vcpu *vc, unsigned int v);
/* A marker hit summed the segments (lean): switch when due. */
void lean__hit(uint64_t insns);
/* At translation: is segment seg (at vaddr) summed (no add to G_INSNS)? */
bool lean__summed(size_t seg, uint64_t vaddr);
/* Register every callback (at install, and again after the reset). */
void plugin__register(qemu_plugin_id_t id);

/* Slots of the bank of per-vCPU totals. A row is 256 bytes and the slots in
 * use sit 64 bytes in: the rows of two vCPUs are adjacent (a scoreboard is
 * one array), and counters of threads on different host CPUs sharing a
 * cache line cost more than the counting itself. */
enum { G_INSNS = 8, G_GUEST, G_CLS0, G_END = G_CLS0 + GC_COUNT, G_ROW = 32 };
_Static_assert(G_END + 8 <= G_ROW, "a 64-byte gap after the slots in use");

struct bank *bank__new(uint32_t k);
/* The row of vcpu (valid until the next vCPU init: scoreboards may move). */
#if QEMU_PLUGIN_VERSION >= 2
static inline uint64_t *bank__row(const struct bank *b, unsigned int vcpu)
{
	return qemu_plugin_scoreboard_find(b->sb, vcpu);
}
#else
static inline uint64_t *bank__row(const struct bank *b, unsigned int vcpu)
{
	return b->rows[callback_mode ? vcpu : 0];
}
#endif
/* At translation, inline mode: add n to slot of the executing vCPU's row at insn. */
void bank__inline_add(struct qemu_plugin_insn *insn, struct bank *b, uint32_t slot, uint64_t n);

/* ---- state ---------------------------------------------------------------------- */

/* A run of instructions counted by one inline add (or callback) at its first instruction. */
struct segment {
	struct bank *bank;       /* its chunk's: times the segment was entered, at slot */
	uint32_t slot;
	uint32_t n_insns;
	uint64_t vaddr;          /* guest address of its first instruction */
	bool tb_start;           /* first segment of its translation block */
	const char *sym;         /* QEMU's symbol string (stable pointer) or NULL */
	uint16_t cls[GC_COUNT];  /* instruction classes (mix=on) */
};

struct marker_site {
	int id;
	/* instructions of the marker's segment from the marker on (marker
	 * included) already added to its vCPU's counter when the callback runs */
	uint32_t pending;
	int seg_counted;         /* were its segment's adds done at callback time? */
	uint16_t tail_cls[GC_COUNT];
	const char *sym;         /* its segment's symbol (marksyms) */
	struct segment *seg;     /* callback mode: the segment it starts, counted by it */
};

struct event_site {
	const char *kind;
	char detail[32];
};

enum { V_MEM, V_PAGES, V_CLS0, V_COUNT = V_CLS0 + GC_COUNT };

/* Where an interval's msym entries are in msym_entries (closed: they are).
 * An interval equal to its thread's previous one shares its entries: loops
 * repeat intervals, and the output writes such runs as one line. */
struct msym_span {
	uint32_t start;
	uint32_t n : 31, closed : 1;
};

/* 32 bytes: a marker-heavy run keeps one per hit */
struct mark {
	uint64_t insns, stamp;    /* stamp: stamp__now() at the hit */
	int32_t thread;        /* internal id (threads[]) */
	int32_t id;
	struct msym_span span; /* the interval this hit opened */
};

/* A system call entered on a vCPU, counted when it returns (user mode). */
struct pending_syscall {
	int64_t nr, seq;
	bool active;
};

/* A segment that ran recently on a vCPU, checked first at its next close. */
struct active_seg {
	const uint64_t *ctr;     /* its executions on the vCPU (row of active_gen) */
	uint64_t *snap;          /* its executions at the last close (vcpu.snap) */
	uint64_t delta;          /* its executions in the last interval */
	uint32_t chunk, slot;    /* where its counter is */
	uint32_t n_insns, age;   /* age: closes since it last ran */
	uint32_t seg;
};

/* The state of one vCPU index, for the thread running on it. */
struct vcpu {
	int thread;           /* internal id of its thread, -1: none */
	int64_t seq;          /* the thread's last hit; -1 - thread before its first */
	uint64_t mem;         /* memory accesses (mem=on) */
	struct page_set pages; /* distinct pages (+1) of the current region (mem=on) */
	uint64_t pages_done;  /* sum of distinct pages of its regions already closed */
	struct pending_syscall sc;
	bool exiting;         /* it entered exit: a thread's end, or the process's */
	uint64_t guest_at_hs; /* guest code entries at its last HS vector entry */
	/* marksyms: segment executions at the last close, and the segments
	 * that ran recently, checked first */
	uint64_t acct_insns;
	uint64_t **snap;
	uint8_t **in_active;
	size_t n_snap;
	struct active_seg *active;
	size_t n_active, cap_active;
	unsigned int active_gen; /* the rows_gen of the active set's ctr pointers */
	const char *carry_sym; /* the last marker's segment tail, owed to */
	uint32_t carry;        /* the interval that marker opened */
	const char *prev_carry_sym; /* the carry of the last close */
	uint32_t prev_carry;
	struct msym_span last; /* the thread's last closed interval's (closed: there is one) */
	/* its rows of gbank and of the chunks, cached until scoreboards may move */
	unsigned int rows_gen;
	uint64_t *grow, **crow;
	size_t n_crow, cap_crow;
};

/* A thread (user mode) or vCPU (system mode) of the run, by internal id (init order). */
struct thread_rec {
	int vcpu;
	bool live;
	int64_t key;            /* creation order: the ordinal is its rank (at write) */
	pid_t tid;              /* guest thread id when known, else 0 */
	uint64_t syscalls;
	uint64_t insns, values[V_COUNT]; /* totals, once it has ended */
	struct msym_span pre;   /* its interval before its first hit */
};

/* The state lock: a spin lock (a marker-heavy run takes it at every hit,
 * and a mutex's lock and unlock cost more than the rest of a hit's
 * bookkeeping); a waiter yields the CPU after a short spin. */
extern int state_lock_word;
void state_lock_wait(void);
static inline void state_lock(void)
{
	while (__atomic_exchange_n(&state_lock_word, 1, __ATOMIC_ACQUIRE))
		state_lock_wait();
}
static inline void state_unlock(void)
{
	__atomic_store_n(&state_lock_word, 0, __ATOMIC_RELEASE);
}
extern uint64_t start_ns;

extern struct bank *gbank; /* per-vCPU totals: G_* slots */
extern struct vcpu *vcpus[MAX_VCPUS];
extern unsigned int n_vcpu_slots; /* vCPU indexes seen: below this */
extern struct thread_rec *threads;
extern size_t n_threads, cap_threads, n_live;
extern const char *invalid; /* why the counts are not exact; NULL: they are */

extern struct segment **segments;
extern size_t n_segments, cap_segments;

/* Segment i's executions are at slot i % SEG_CHUNK of chunk i / SEG_CHUNK;
 * those of threads that have ended are summed in retired; its instructions
 * again in chunk_insns (compact, for the sums of lean counting). */
#define SEG_CHUNK 4096
extern struct bank **chunks;
extern uint64_t **retired;
extern uint32_t **chunk_insns;
extern size_t n_chunks, cap_chunks;

/* Marker hits in seq order (chunked: never moved), their values (mem/mix). */
extern struct chunked marks, mark_values;

extern struct event_table events;
/* guest=: per vCPU, instructions started in the guest's ranges (G_GUEST) */

/* marksyms: the closed intervals' (symbol, instructions), in close order */
extern struct chunked msym_entries;
extern unsigned long long msym_visits; /* segments walked so far */
extern bool msym_stopped;              /* the limit was reached */
extern int64_t msym_complete;          /* intervals below it are complete (qemu_output.h) */

extern bool have_exit_code; /* exit_group was entered */
extern int64_t exit_code;    /* the status of the last exit or exit_group */
extern bool output_written;
extern uint64_t start_code, entry_code; /* user mode, read at the first translation */
extern bool term_installed; /* user mode: our SIGTERM handler is in place */
extern pid_t install_pid;   /* the QEMU process the plugin was loaded in */
/* the vCPU this host thread last ran a callback for; initial-exec: set at
 * every marker hit, where a dynamic TLS lookup cost a call */
extern __thread int tls_vcpu __attribute__((tls_model("initial-exec")));

/* emudiff_qemu.c */
uint64_t host_ns(void);
/* Marker time stamps (the TSC where it is invariant), from stamp__start on
 * (at load, and in a forked child); at write, ns since the start =
 * (stamp - origin) * scale. */
void stamp__start(void);
uint64_t stamp__now(void);
double stamp__scale(uint64_t *origin);
/* realloc to twice the capacity (256 at first), zeroed; aborts when out of memory */
void *grow(void *p, size_t *cap, size_t elem);

/* plugin_api.c: API functions looked up at run time (NULL: this QEMU lacks
 * them), and whether trap entries come from discontinuity callbacks */
extern uint64_t (*api_start_code)(void);
extern uint64_t (*api_entry_code)(void);
extern bool discon_active;
/* At install: look them up, and say on stderr in one line what this QEMU lacks. */
void plugin_api__resolve(void);
/* Register the discontinuity callback where there is one (install, reset). */
void plugin_api__register(qemu_plugin_id_t id);

/* plugin_vcpu.c: vCPUs and threads */
void on_vcpu_init(qemu_plugin_id_t id, unsigned int vcpu);
void on_vcpu_exit(qemu_plugin_id_t id, unsigned int vcpu);
/* Scoreboards move only at a TB flush (a new vCPU index past their size):
 * the flush callback bumps rows_gen, and the rows cached per vCPU are
 * looked up again (each lookup is a QEMU call from API 2 on). */
extern unsigned int rows_gen;
void on_flush(qemu_plugin_id_t id);
/* vc's row of gbank, of chunk c (vc: the state of vCPU v); the lookups */
uint64_t *vcpu__grow_find(struct vcpu *vc, unsigned int v);
uint64_t *vcpu__chunk_row_find(struct vcpu *vc, unsigned int v, size_t c);
static inline bool vcpu__rows_fresh(const struct vcpu *vc)
{
	return vc->rows_gen == __atomic_load_n(&rows_gen, __ATOMIC_RELAXED);
}
static inline uint64_t *vcpu__grow(struct vcpu *vc, unsigned int v)
{
	return vcpu__rows_fresh(vc) && vc->grow ? vc->grow : vcpu__grow_find(vc, v);
}
static inline uint64_t *vcpu__chunk_row(struct vcpu *vc, unsigned int v, size_t c)
{
	return vcpu__rows_fresh(vc) && c < vc->n_crow ? vc->crow[c] : vcpu__chunk_row_find(vc, v, c);
}
/* The vCPU's state if it runs a thread that is counted, else NULL. */
struct vcpu *vcpu__get(unsigned int vcpu);
/* The parent's clone returned tid: it fixes the child's creation order. */
void threads__cloned(pid_t tid);
/* A thread's totals, live or ended: insns and values[] */
void thread__totals(size_t id, uint64_t *insns, uint64_t *values);
/* Executions of segment i over all vCPUs and ended threads. */
uint64_t segment__execs(size_t i);
/* The ordinal of each internal thread id (creation order), malloc'd. */
int *threads__ordinals(void);
/* The counts are not exact from here on: say why (first reason kept). */
void counts__invalidate(const char *why);
/* A forked child (user mode): only the forking thread, counting from zero. */
void vcpus__fork_child(void);

/* plugin_marks.c: marker hits, memory pages and symbols per marker interval */
void on_mem(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata);
void on_marker(unsigned int vcpu, void *udata);
/* Callback mode: segment udata entered on vcpu. */
void on_segment(unsigned int vcpu, void *udata);
/* Callback mode: guest code entered on vcpu (guest=). */
void on_guest_code(unsigned int vcpu, void *udata);
/* Close the open interval of the thread on vcpu (at a hit, or its end);
 * total: the thread's instructions now (vcpu__insns). */
void msym_close(unsigned int v, struct vcpu *vc, const char *tail_sym, uint32_t tail, uint64_t total);
/* The open interval's entries appended without closing it (at write); its span. */
struct msym_span msym_peek(unsigned int v, struct vcpu *vc);
/* A thread starts: after the limit stopped attribution, its first interval is lost. */
void msym_thread_started(void);
/* Forget per-vCPU attribution state (fork child, thread end). */
void msym_vcpu_reset(struct vcpu *vc);

/* plugin_events.c: event sites, system calls */
void on_event(unsigned int vcpu, void *udata);
void on_hs_entry(unsigned int vcpu, void *udata);
void on_syscall(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, uint64_t a1, uint64_t a2,
		uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8);
void on_syscall_ret(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, int64_t ret);
/* Count the system calls still pending (at exit: exit, execve). */
void syscalls_flush_pending(void);
/* The seq events on vcpu belong to (its thread's last hit, or -1 - thread). */
int64_t vcpu__seq(unsigned int vcpu);

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
