/*
 * emudiff_qemu.c - libemudiff-qemu.so, emudiff's QEMU TCG plugin.
 *
 * What it measures, in plain words: how many guest instructions QEMU
 * executes, where (per translation block, summed per symbol) and between which
 * program markers (docs/design.md's marker ABI), plus the events that make a
 * region expensive on real hardware but not under emulation: system calls
 * (user mode), ecall/wfi/ebreak and syscall/hlt/int executions, trap-vector
 * entries and trap returns (system mode), and the host time QEMU spends per
 * region, because people read QEMU wall time as if it were hardware time.
 *
 * The model of counting: an instruction sequence is split into segments; a
 * segment's instruction count is added by an inline TCG op at its first
 * instruction, so the hot path has no callback. By default a segment is a
 * translation block (split only where the symbol changes); an exception
 * that cuts a block short then over-counts the rest of that block.
 * mode=exact also ends a segment after every instruction that may raise a
 * synchronous exception (memory access, FP, system; decided at translation
 * time by the RV64GC classifier or Capstone), so only the instructions that
 * started are counted (a faulting instruction counts once per attempt, as
 * QEMU's own per-instruction counter does).
 *
 * A marker is recognised when it is translated and gets the only per-hit
 * callback: it reads the global counter, subtracts the part of its segment
 * not yet executed, and records the count before the marker and the host
 * CLOCK_MONOTONIC time. Events go into a table keyed by (last marker seq,
 * kind, detail). Everything is written at exit (QEMU calls the atexit hook
 * on normal exit, on a guest's fatal signal and on SIGTERM) to FILE.tmp,
 * then renamed to FILE; the format is documented in qemu_output.h.
 *
 * Symbols per marker interval (marksyms=on, the default): at each marker
 * hit the callback also walks every segment, takes the difference of its
 * execution count since the previous hit, and adds it, times the
 * segment's instructions, to (interval, symbol); the marker's own segment
 * gives its not-yet-executed tail to the next interval, exactly as the
 * marker's count does. So the symbols of an interval add up exactly to
 * the difference of the two marks, and the execution path still has no
 * callback. The walk costs O(segments) per marker hit: it stops for good
 * once marksyms_limit segment visits would be exceeded (a loop with 10^5
 * marker hits over 10^4 segments), and the output says up to which
 * interval the attribution is complete.
 *
 * A guest that forks (user mode): QEMU forks with it, so the child is a
 * copy of QEMU with this plugin and its counts. At the fork the child
 * starts afresh (counters, marks, events and symbol counts at zero, as if
 * loaded at the fork), so that it reports only what it executed itself,
 * and at exit it writes FILE.<pid> (its host pid, which qemu-user shares
 * with the guest) instead of FILE: parent and child never overwrite each
 * other, and the collector adds up the children's files.
 *
 * Options (key=value): out=FILE, mode=default|exact, mem=on|off,
 * mix=on|off, symbols=on|off, blocks=N, trapvec=ADDR[@hs|@vs][:...] (repeatable),
 * guest=LO-HI[:LO-HI...] (repeatable), marksyms=on|off, marksyms_limit=N.
 *
 * Hypervisor extension: QEMU 7.2 lets a plugin see neither the privilege mode
 * nor hstatus.SPV, so a trap vector may be tagged as the host's (HS, its
 * stvec) or a guest's (VS, its vstvec), and the guest's code is given as
 * address ranges. An entry at an HS vector is a VM exit when guest code ran
 * since the previous HS entry: guest code can only be left by a trap, and
 * every trap that leaves it for HS enters an HS vector (README).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <qemu-plugin.h>

#include "guest_insn.h"
#include "plugin_options.h"
#include "plugin_tables.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define OUTPUT_VERSION 2
#define MAX_VCPUS 4096

/* ---- counters: plain memory for API 1, per-vCPU scoreboards from API 2 (QEMU 9.0) on ---- */

#if QEMU_PLUGIN_VERSION >= 2
struct counter {
	struct qemu_plugin_scoreboard *sb;
};
static void counter__init(struct counter *c)
{
	c->sb = qemu_plugin_scoreboard_new(sizeof(uint64_t));
}
static void counter__add_at(struct qemu_plugin_insn *insn, struct counter *c, uint64_t n)
{
	qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(insn, QEMU_PLUGIN_INLINE_ADD_U64,
							    qemu_plugin_scoreboard_u64(c->sb), n);
}
static void counter__add_per_access(struct qemu_plugin_insn *insn, struct counter *c)
{
	qemu_plugin_register_vcpu_mem_inline_per_vcpu(insn, QEMU_PLUGIN_MEM_RW,
						      QEMU_PLUGIN_INLINE_ADD_U64,
						      qemu_plugin_scoreboard_u64(c->sb), 1);
}
static uint64_t counter__read(const struct counter *c)
{
	return qemu_plugin_u64_sum(qemu_plugin_scoreboard_u64(c->sb));
}
static void counter__reset(struct counter *c)
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
static void counter__init(struct counter *c)
{
	c->v = 0;
}
static void counter__add_at(struct qemu_plugin_insn *insn, struct counter *c, uint64_t n)
{
	qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &c->v, n);
}
static void counter__add_per_access(struct qemu_plugin_insn *insn, struct counter *c)
{
	qemu_plugin_register_vcpu_mem_inline(insn, QEMU_PLUGIN_MEM_RW, QEMU_PLUGIN_INLINE_ADD_U64,
					     &c->v, 1);
}
static uint64_t counter__read(const struct counter *c)
{
	return __atomic_load_n(&c->v, __ATOMIC_RELAXED);
}
static void counter__reset(struct counter *c)
{
	__atomic_store_n(&c->v, 0, __ATOMIC_RELAXED);
}
/* QEMU 7.2 emits an instruction's callbacks before its inline ops. */
#define INLINE_BEFORE_CALLBACK 0
#endif

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


static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct counter insn_count; /* all instructions, added per segment */
static struct counter mem_count;  /* memory accesses (mem=on) */
static struct counter cls_count[GC_COUNT]; /* instructions per class (mix=on) */
static uint64_t start_ns;
static int n_vcpus;

static struct segment **segments;
static size_t n_segments, cap_segments;

/* Segment i's execution counter and its value at the last marker hit live
 * at [i / SEG_CHUNK][i % SEG_CHUNK] of these: dense, so that the marksyms
 * walk is a linear scan, and never moved, since inline ops point into them. */
#define SEG_CHUNK 4096
static struct counter **exec_chunks;
static uint64_t **snap_chunks;
static size_t n_chunks, cap_chunks;

static struct mark *marks;
static size_t n_marks, cap_marks;
static int64_t cur_seq = -1; /* seq of the last marker hit */

static struct event_table events;
/* guest=: instructions started in the guest's ranges (one inline add per
 * block that enters them), and its value at the last HS vector entry */
static struct counter guest_code;
static uint64_t guest_code_at_hs;

/* marksyms: instructions per (interval, symbol) and the walk's state */
static struct msym_list msym_closed;   /* closed intervals, in seq order */
static struct sym_acc msym_acc;        /* the interval being closed */
static unsigned long long msym_visits; /* segments walked so far */
static bool msym_stopped;              /* the limit was reached */
static int64_t msym_complete;          /* intervals with seq below it are complete */
static const char *msym_carry_sym;     /* the last marker's segment tail, owed to */
static uint32_t msym_carry;            /* the interval that marker opened */
static struct page_set pages;  /* distinct pages (+1) of the current region */
static uint64_t pages_done; /* sum of distinct pages of the regions already closed */

static struct {
	int64_t nr, seq;
	bool active;
} pending_syscall[MAX_VCPUS];
static bool have_exit_code;
static int64_t exit_code;
static bool output_written;
static uint64_t start_code, entry_code; /* user mode, read at the first translation */
static bool term_installed; /* user mode: our SIGTERM handler is in place */
static pid_t install_pid;   /* the QEMU process the plugin was loaded in */

static void term_install(void);

static uint64_t host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *grow(void *p, size_t *cap, size_t elem)
{
	size_t ncap = *cap ? *cap * 2 : 256;
	void *np = realloc(p, ncap * elem);

	if (!np) {
		fprintf(stderr, "emudiff plugin: out of memory\n");
		abort();
	}
	memset((char *)np + *cap * elem, 0, (ncap - *cap) * elem);
	*cap = ncap;
	return np;
}

/* ---- execution callbacks ---------------------------------------------------------- */

static void on_mem(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
	(void)vcpu;
	(void)info;
	(void)udata;
	pthread_mutex_lock(&lock);
	page_set__insert(&pages, (vaddr >> 12) + 1);
	pthread_mutex_unlock(&lock);
}

/*
 * Close interval seq (the one opened by marker hit seq, -1 before the
 * first): every segment's executions since the last walk, times its
 * instructions, go to its symbol. Returns false, walking nothing, when the
 * walk would exceed marksyms_limit; from then on nothing is attributed.
 */
static bool msym_close(int64_t seq, const char *tail_sym, uint32_t tail)
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

static void on_marker(unsigned int vcpu, void *udata)
{
	const struct marker_site *site = udata;
	uint64_t t = host_ns();

	(void)vcpu;
	pthread_mutex_lock(&lock);
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
	pthread_mutex_unlock(&lock);
}

static void on_event(unsigned int vcpu, void *udata)
{
	const struct event_site *site = udata;

	(void)vcpu;
	pthread_mutex_lock(&lock);
	event_table__count(&events, cur_seq, site->kind, site->detail);
	pthread_mutex_unlock(&lock);
}

/* Entry at an HS vector: a trap entry, and a VM exit if the guest ran since
 * the previous HS entry (detail "hs:ADDR"; the exit's detail is ADDR). */
static void on_hs_entry(unsigned int vcpu, void *udata)
{
	const struct event_site *site = udata;
	uint64_t g = counter__read(&guest_code);

	(void)vcpu;
	pthread_mutex_lock(&lock);
	event_table__count(&events, cur_seq, site->kind, site->detail);
	if (cfg.n_guest && g != guest_code_at_hs)
		event_table__count(&events, cur_seq, "vm_exit", site->detail + 3);
	guest_code_at_hs = g;
	pthread_mutex_unlock(&lock);
}

static void on_syscall(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, uint64_t a1,
		       uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7,
		       uint64_t a8)
{
	int64_t exit_nr = cfg.arch == GUEST_RISCV64 ? 93 : 60;
	int64_t exit_group_nr = cfg.arch == GUEST_RISCV64 ? 94 : 231;

	(void)id, (void)a2, (void)a3, (void)a4, (void)a5, (void)a6, (void)a7, (void)a8;
	pthread_mutex_lock(&lock);
	if (num == exit_group_nr || (num == exit_nr && n_vcpus <= 1)) {
		/* no return follows: count it now */
		char d[24];

		snprintf(d, sizeof(d), "%" PRId64, num);
		event_table__count(&events, cur_seq, "syscall", d);
		have_exit_code = true;
		exit_code = (int64_t)(int32_t)a1 & 0xff;
	} else if (vcpu < MAX_VCPUS) {
		pending_syscall[vcpu].nr = num;
		pending_syscall[vcpu].seq = cur_seq;
		pending_syscall[vcpu].active = true;
	}
	pthread_mutex_unlock(&lock);
}

static void on_syscall_ret(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, int64_t ret)
{
	char d[32];

	(void)id;
	pthread_mutex_lock(&lock);
	int64_t seq = cur_seq;

	if (vcpu < MAX_VCPUS && pending_syscall[vcpu].active && pending_syscall[vcpu].nr == num) {
		seq = pending_syscall[vcpu].seq;
		pending_syscall[vcpu].active = false;
	}
	/* a failed call keeps its number and adds the error, so per-number
	 * totals and the region's syscall total stay one row sum */
	if (ret < 0 && ret > -4096)
		snprintf(d, sizeof(d), "%" PRId64 ":%" PRId64, num, ret);
	else
		snprintf(d, sizeof(d), "%" PRId64, num);
	event_table__count(&events, seq, "syscall", d);
	pthread_mutex_unlock(&lock);
}

static void on_vcpu_init(qemu_plugin_id_t id, unsigned int vcpu)
{
	(void)id;
	(void)vcpu;
	__atomic_add_fetch(&n_vcpus, 1, __ATOMIC_RELAXED);
}

/* ---- translation -------------------------------------------------------------------- */

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
			size_t cap = cap_chunks;

			exec_chunks = grow(exec_chunks, &cap_chunks, sizeof(*exec_chunks));
			snap_chunks = grow(snap_chunks, &cap, sizeof(*snap_chunks));
		}
		exec_chunks[n_chunks] = plugin_zalloc(SEG_CHUNK * sizeof(**exec_chunks));
		snap_chunks[n_chunks++] = plugin_zalloc(SEG_CHUNK * sizeof(**snap_chunks));
	}
	s->execs = &exec_chunks[n_segments / SEG_CHUNK][n_segments % SEG_CHUNK];
	counter__init(s->execs);
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

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);
	bool classify = cfg.exact || cfg.mix;
	struct guest_insn gi[n ? n : 1];
	const char *sym[n ? n : 1];
	size_t seg_start[n ? n : 1]; /* first instruction of the segment holding i */
	size_t seg_end[n ? n : 1];   /* one past its last instruction */

	(void)id;
	if (!n)
		return;
	pthread_mutex_lock(&lock);
	if (!cfg.system && !term_installed) {
		/* read on a vCPU thread: these read the vCPU's task state */
		start_code = qemu_plugin_start_code();
		entry_code = qemu_plugin_entry_code();
		term_install();
	}
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint8_t bytes[16];
		size_t len = insn_bytes(insn, bytes, sizeof(bytes));

		guest_insn__describe(cfg.arch, bytes, len, classify, &gi[i]);
		sym[i] = cfg.symbols ? qemu_plugin_insn_symbol(insn) : NULL;
	}
	/* segment boundaries: symbol changes; in exact mode also after every
	 * instruction that may raise an exception */
	for (size_t s = 0; s < n;) {
		size_t e = s + 1;

		while (e < n && !(cfg.exact && gi[e - 1].may_fault) && sym[e] == sym[s])
			e++;
		for (size_t i = s; i < e; i++) {
			seg_start[i] = s;
			seg_end[i] = e;
		}
		s = e;
	}

	struct segment *seg = NULL;
	bool guest_counted = false; /* one add per block is enough to see "guest ran" */

	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t vaddr = qemu_plugin_insn_vaddr(insn);

		if (seg_start[i] == i) {
			seg = segment__new(sym[i]);
			seg->n_insns = (uint32_t)(seg_end[i] - i);
			seg->vaddr = vaddr;
			seg->tb_start = i == 0;
			for (size_t k = i; k < seg_end[i]; k++)
				seg->cls[gi[k].cls]++;
			counter__add_at(insn, &insn_count, seg->n_insns);
			counter__add_at(insn, seg->execs, 1);
			for (int c = 0; cfg.mix && c < GC_COUNT; c++)
				if (seg->cls[c])
					counter__add_at(insn, &cls_count[c], seg->cls[c]);
		}
		if (cfg.mem) {
			counter__add_per_access(insn, &mem_count);
			qemu_plugin_register_vcpu_mem_cb(insn, on_mem, QEMU_PLUGIN_CB_NO_REGS,
							 QEMU_PLUGIN_MEM_RW, NULL);
		}
		if (gi[i].mark_id) {
			struct marker_site *m = plugin_zalloc(sizeof(*m));
			bool counted = seg_start[i] != i || INLINE_BEFORE_CALLBACK;

			m->id = gi[i].mark_id;
			m->sym = sym[i];
			m->seg_counted = counted;
			m->pending = counted ? (uint32_t)(seg_end[i] - i) : 0;
			for (size_t k = i; k < seg_end[i]; k++)
				m->tail_cls[gi[k].cls]++;
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_NO_REGS, m);
		}
		if (cfg.system) {
			char pc[24], tagged[32];
			int tv = trapvec_index(vaddr);

			snprintf(pc, sizeof(pc), "0x%" PRIx64, vaddr);
			if (cfg.n_guest && !guest_counted && in_guest(vaddr)) {
				counter__add_at(insn, &guest_code, 1);
				guest_counted = true;
			}
			if (tv >= 0 && !strcmp(cfg.trapvec_tag[tv], "hs")) {
				snprintf(tagged, sizeof(tagged), "hs:%s", pc);
				add_event_site_cb(insn, "trap_entry", tagged, on_hs_entry);
			} else if (tv >= 0 && cfg.trapvec_tag[tv][0]) {
				snprintf(tagged, sizeof(tagged), "%s:%s", cfg.trapvec_tag[tv], pc);
				add_event_site(insn, "trap_entry", tagged);
			} else if (tv >= 0) {
				add_event_site(insn, "trap_entry", pc);
			}
			if (gi[i].exit_kind) {
				/* docs/design.md's kinds: ecall, wfi, hlt; the others keep their name */
				const char *kind = gi[i].exit_kind;

				if (!strcmp(kind, "syscall") || !strcmp(kind, "int"))
					kind = "ecall";
				/* a guest's ecall always traps to HS: its vm_exit counts it */
				if (!(cfg.n_guest && !strcmp(kind, "ecall") && in_guest(vaddr)))
					add_event_site(insn, kind, pc);
			}
			if (gi[i].trap_ret)
				add_event_site(insn, "trap_return", gi[i].trap_ret);
		}
	}
	pthread_mutex_unlock(&lock);
}

/* ---- output (format: qemu_output.h) ---------------------------------------------------- */

struct sym_total {
	const char *sym;
	uint64_t insns;
};

static int cmp_sym(const void *a, const void *b)
{
	const struct sym_total *x = a, *y = b;

	if (x->sym == y->sym)
		return 0;
	if (!x->sym || !y->sym)
		return x->sym ? 1 : -1;
	return strcmp(x->sym, y->sym);
}

static unsigned long out_lines;

#define OUT(f, ...) (out_lines++, fprintf(f, __VA_ARGS__))

static void write_symbols(FILE *f)
{
	struct sym_total *t = plugin_zalloc((n_segments ? n_segments : 1) * sizeof(*t));
	size_t nt = 0;

	for (size_t i = 0; i < n_segments; i++) {
		t[i].sym = segments[i]->sym;
		t[i].insns = counter__read(segments[i]->execs) * segments[i]->n_insns;
	}
	qsort(t, n_segments, sizeof(*t), cmp_sym);
	for (size_t i = 0; i < n_segments; i++) {
		if (nt && !cmp_sym(&t[nt - 1], &t[i]))
			t[nt - 1].insns += t[i].insns;
		else
			t[nt++] = t[i];
	}
	for (size_t i = 0; i < nt; i++) {
		if (!t[i].insns)
			continue;
		/* symbol names never contain newlines; other bytes pass through */
		OUT(f, "symbol %" PRIu64 " %s\n", t[i].insns, t[i].sym ? t[i].sym : "[unknown]");
	}
	free(t);
}

static int cmp_msym(const void *a, const void *b)
{
	const struct msym_count *x = a, *y = b;
	struct sym_total sx = { x->sym, 0 }, sy = { y->sym, 0 };

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return cmp_sym(&sx, &sy);
}

/* The interval still open is closed first (its walk counts against the limit). */
static void write_msyms(FILE *f)
{
	struct msym_count *t;
	size_t nt;

	msym_close(cur_seq, NULL, 0);
	t = msym_closed.v;
	nt = msym_closed.n;
	/* in seq order already; within an interval by name (and a SIGTERM write may have
	 * closed the open interval once before: its two parts are merged here) */
	qsort(t, nt, sizeof(*t), cmp_msym);
	OUT(f, "msym_complete %" PRId64 "\n", msym_complete);
	for (size_t i = 0; i < nt;) {
		size_t j = i + 1;
		int64_t insns = t[i].insns;

		/* two symbol strings of one name are one symbol */
		while (j < nt && !cmp_msym(&t[i], &t[j]))
			insns += t[j++].insns;
		if (insns && t[i].seq < msym_complete)
			OUT(f, "msym %" PRId64 " %" PRId64 " %s\n", t[i].seq, insns,
			    t[i].sym ? t[i].sym : "[unknown]");
		i = j;
	}
}

struct block_total {
	uint64_t vaddr, execs, insns;
	uint32_t n_insns;
	const char *sym;
};

static int cmp_block_vaddr(const void *a, const void *b)
{
	const struct block_total *x = a, *y = b;

	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

static int cmp_block_insns(const void *a, const void *b)
{
	const struct block_total *x = a, *y = b;

	if (x->insns != y->insns)
		return x->insns < y->insns ? 1 : -1;
	return cmp_block_vaddr(a, b);
}

/* The hottest translation blocks by instructions executed: a block's
 * translations (QEMU may translate one address more than once) and its
 * segments are summed by start address; execs counts block entries. */
static void write_blocks(FILE *f)
{
	struct block_total *b = plugin_zalloc((n_segments ? n_segments : 1) * sizeof(*b));
	size_t nb = 0;
	uint64_t start = 0;

	for (size_t i = 0; i < n_segments; i++) {
		const struct segment *s = segments[i];
		uint64_t e = counter__read(s->execs);

		if (s->tb_start || !nb) {
			start = s->vaddr;
			b[nb].vaddr = start;
			b[nb].sym = s->sym;
			b[nb].execs = e;
			nb++;
		}
		b[nb - 1].n_insns += s->n_insns;
		b[nb - 1].insns += e * s->n_insns;
	}
	qsort(b, nb, sizeof(*b), cmp_block_vaddr);
	size_t nm = 0;

	for (size_t i = 0; i < nb; i++) {
		if (nm && b[nm - 1].vaddr == b[i].vaddr) {
			b[nm - 1].execs += b[i].execs;
			b[nm - 1].insns += b[i].insns;
			if (b[i].n_insns > b[nm - 1].n_insns)
				b[nm - 1].n_insns = b[i].n_insns;
		} else {
			b[nm++] = b[i];
		}
	}
	qsort(b, nm, sizeof(*b), cmp_block_insns);
	for (size_t i = 0; i < nm && i < cfg.blocks && b[i].insns; i++)
		OUT(f, "block 0x%" PRIx64 " %" PRIu32 " %" PRIu64 " %" PRIu64 " %s\n", b[i].vaddr,
		    b[i].n_insns, b[i].execs, b[i].insns, b[i].sym ? b[i].sym : "[unknown]");
	free(b);
}

static const char *value_name(int v)
{
	static const char *const mix_names[GC_COUNT] = {
		"insns_other", "insns_load", "insns_store", "insns_branch",
		"insns_fp", "insns_atomic", "insns_system",
	};
	if (v == V_MEM)
		return "mem_accesses";
	if (v == V_PAGES)
		return "pages";
	return mix_names[v - V_CLS0];
}

static bool value_enabled(int v)
{
	return v < V_CLS0 ? cfg.mem : cfg.mix;
}

static int write_output(bool final)
{
	char *tmp, *path;
	uint64_t end_ns = host_ns();
	uint64_t totals[V_COUNT] = { 0 };
	pid_t pid = getpid();

	/* a forked child writes FILE.<pid>, so that it does not replace the parent's FILE */
	if (pid == install_pid)
		path = strdup(cfg.out_path);
	else if (asprintf(&path, "%s.%d", cfg.out_path, (int)pid) < 0)
		path = NULL;
	if (!path)
		return -1;
	if (asprintf(&tmp, "%s.tmp", path) < 0) {
		free(path);
		return -1;
	}
	FILE *f = fopen(tmp, "w");

	if (!f) {
		fprintf(stderr, "emudiff plugin: cannot write %s: %s\n", tmp, strerror(errno));
		free(tmp);
		free(path);
		return -1;
	}
	out_lines = 0;
	OUT(f, "emudiff-qemu-plugin %d\n", OUTPUT_VERSION);
	OUT(f, "arch %s\n", cfg.arch == GUEST_RISCV64 ? "riscv64" : "x86_64");
	OUT(f, "system %d\n", cfg.system);
	OUT(f, "mode %s\n", cfg.exact ? "exact" : "default");
	OUT(f, "plugin_api %d\n", QEMU_PLUGIN_VERSION);
	OUT(f, "options %s\n", cfg.options);
	if (!cfg.system) {
		OUT(f, "start_code 0x%" PRIx64 "\n", start_code);
		OUT(f, "entry_code 0x%" PRIx64 "\n", entry_code);
	}
	for (size_t i = 0; i < n_marks; i++) {
		OUT(f, "mark %zu %d %" PRIu64 " %" PRIu64 "\n", i, marks[i].id, marks[i].insns,
		    marks[i].host_ns);
		for (int v = 0; v < V_COUNT; v++)
			if (value_enabled(v))
				OUT(f, "value %zu %s %" PRIu64 "\n", i, value_name(v), marks[i].values[v]);
	}
	/* a system call still pending at exit (exit, execve) is counted too;
	 * not on SIGTERM, where the guest may go on and return from it */
	for (size_t v = 0; final && v < MAX_VCPUS; v++)
		if (pending_syscall[v].active) {
			char d[24];

			snprintf(d, sizeof(d), "%" PRId64, pending_syscall[v].nr);
			event_table__count(&events, pending_syscall[v].seq, "syscall", d);
			pending_syscall[v].active = false;
		}
	for (size_t i = 0; i < events.cap; i++) {
		const struct event_count *e = &events.slots[i];

		if (e->kind)
			OUT(f, "event %" PRId64 " %s %s %" PRIu64 "\n", e->seq, e->kind,
			    e->detail[0] ? e->detail : "-", e->count);
	}
	write_symbols(f);
	if (cfg.marksyms)
		write_msyms(f);
	write_blocks(f);
	OUT(f, "total insns %" PRIu64 "\n", counter__read(&insn_count));
	OUT(f, "total host_ns %" PRIu64 "\n", end_ns - start_ns);
	if (cfg.mem) {
		totals[V_MEM] = counter__read(&mem_count);
		totals[V_PAGES] = pages_done + pages.n;
	}
	for (int c = 0; cfg.mix && c < GC_COUNT; c++)
		totals[V_CLS0 + c] = counter__read(&cls_count[c]);
	for (int v = 0; v < V_COUNT; v++)
		if (value_enabled(v))
			OUT(f, "total %s %" PRIu64 "\n", value_name(v), totals[v]);
	OUT(f, "vcpus %d\n", n_vcpus);
	if (have_exit_code)
		OUT(f, "exit %" PRId64 "\n", exit_code);
	fprintf(f, "end %lu\n", out_lines);

	int bad = ferror(f);

	if (fclose(f) || bad) {
		fprintf(stderr, "emudiff plugin: write error on %s\n", tmp);
		unlink(tmp);
		free(tmp);
		free(path);
		return -1;
	}
	int rc = 0;

	if (rename(tmp, path)) {
		fprintf(stderr, "emudiff plugin: cannot rename %s: %s\n", tmp, strerror(errno));
		rc = -1;
	}
	free(tmp);
	free(path);
	return rc;
}

static void on_exit_(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	pthread_mutex_lock(&lock);
	if (!output_written) {
		output_written = true;
		write_output(true);
	}
	pthread_mutex_unlock(&lock);
}

/*
 * SIGTERM (and SIGINT) in user mode: QEMU hands the signal to the guest, and a guest
 * killed by a signal leaves without running QEMU's atexit hooks. So the
 * plugin puts its own handler in front of QEMU's (once the guest runs, after
 * QEMU installed its handlers): it wakes a plugin thread that writes the
 * output (stdio is not async-signal-safe, so not in the handler), puts
 * QEMU's handler back and sends SIGTERM again, which QEMU then delivers to
 * the guest as usual. If the guest survives, its normal exit rewrites the
 * file with the final counts. System mode needs none of this: QEMU shuts
 * down cleanly on SIGTERM and runs the atexit hook.
 */
static int term_pipe[2] = { -1, -1 };
static bool term_active; /* our handler and its writer thread are in place */
static struct sigaction qemu_term_action, qemu_int_action;

static void on_sigterm(int sig)
{
	char c = (char)sig;
	int saved = errno;
	ssize_t r = write(term_pipe[1], &c, 1);

	(void)r;
	errno = saved;
}

static void *term_thread(void *arg)
{
	char c;

	(void)arg;
	while (read(term_pipe[0], &c, 1) < 0)
		if (errno != EINTR)
			return NULL;
	pthread_mutex_lock(&lock);
	if (!output_written)
		write_output(false);
	pthread_mutex_unlock(&lock);
	sigaction(SIGTERM, &qemu_term_action, NULL);
	sigaction(SIGINT, &qemu_int_action, NULL);
	kill(getpid(), c == SIGINT ? SIGINT : SIGTERM);
	return NULL;
}

/* The thread blocks every signal, so that none is delivered to it. */
static int term_thread_start(void)
{
	sigset_t all, old;
	pthread_t t;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&t, NULL, term_thread, NULL);

	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return -1;
	pthread_detach(t);
	return 0;
}

/* Called at translation time under the lock, once. */
static void term_install(void)
{
	struct sigaction sa;

	term_installed = true;
	if (pipe(term_pipe))
		return;
	if (term_thread_start())
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigterm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, &qemu_term_action);
	sigaction(SIGINT, &sa, &qemu_int_action);
	term_active = true;
}

/*
 * A guest fork (user mode): QEMU calls fork() on the vCPU thread doing the
 * guest's fork, so these run around it. The lock is held across the fork so
 * that the child inherits consistent tables and an unlocked mutex.
 */
static void fork_prepare(void)
{
	pthread_mutex_lock(&lock);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&lock);
}

/* The child starts afresh, as if the plugin had been loaded at the fork. The
 * translated blocks and their segments are inherited and stay valid; only
 * what they counted is the parent's. */
static void fork_child(void)
{
	counter__reset(&insn_count);
	counter__reset(&mem_count);
	for (int c = 0; c < GC_COUNT; c++)
		counter__reset(&cls_count[c]);
	for (size_t i = 0; i < n_segments; i++)
		counter__reset(segments[i]->execs);
	n_marks = 0;
	cur_seq = -1;
	free(events.slots);
	memset(&events, 0, sizeof(events));
	page_set__clear(&pages);
	pages_done = 0;
	for (size_t c = 0; c < n_chunks; c++)
		memset(snap_chunks[c], 0, SEG_CHUNK * sizeof(**snap_chunks));
	free(msym_closed.v);
	memset(&msym_closed, 0, sizeof(msym_closed));
	sym_acc__free(&msym_acc);
	msym_visits = 0;
	msym_stopped = false;
	msym_complete = -1;
	msym_carry = 0;
	/* the forking thread's syscall returns in the child too; it is the child's */
	for (size_t v = 0; v < MAX_VCPUS; v++)
		pending_syscall[v].seq = -1;
	have_exit_code = false;
	output_written = false;
	n_vcpus = 1; /* only the forking thread exists in the child */
	start_ns = host_ns();
	/* threads are not copied by fork: the child needs its own SIGTERM
	 * writer, on its own pipe (the inherited one would wake the parent's) */
	if (term_active) {
		close(term_pipe[0]);
		close(term_pipe[1]);
		if (pipe(term_pipe) || term_thread_start()) {
			/* without a writer SIGTERM would vanish: give it back to QEMU */
			sigaction(SIGTERM, &qemu_term_action, NULL);
			sigaction(SIGINT, &qemu_int_action, NULL);
			term_active = false;
		}
	}
	pthread_mutex_unlock(&lock);
}

/* ---- options and install ----------------------------------------------------------------- */

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
					   char **argv)
{
	char err[128];

	if (plugin_options__parse(argc, argv))
		return -1;
	msym_complete = -1;
	if (!strcmp(info->target_name, "riscv64"))
		cfg.arch = GUEST_RISCV64;
	else if (!strcmp(info->target_name, "x86_64"))
		cfg.arch = GUEST_X86_64;
	else {
		fprintf(stderr, "emudiff plugin: guest '%s' not supported (riscv64, x86_64)\n",
			info->target_name);
		return -1;
	}
	cfg.system = info->system_emulation;
	if (cfg.system && info->system.max_vcpus > 1) {
		/* API 1 inline counters are shared by all vCPUs and not atomic, and
		 * marker counts are per vCPU: refuse rather than count wrongly */
		fprintf(stderr,
			"emudiff plugin: %d vCPUs: the plugin counts exactly on one vCPU only; "
			"run with -smp 1\n", info->system.max_vcpus);
		return -1;
	}
	if (cfg.mix && !guest_insn__can_classify(cfg.arch)) {
		fprintf(stderr, "emudiff plugin: mix=on for riscv64 needs the RV64GC classifier, "
				"which this build of the plugin lacks\n");
		return -1;
	}
	if (!cfg.out_path && asprintf(&cfg.out_path, "emudiff-qemu.%d.out", (int)getpid()) < 0)
		return -1;
	if (guest_insn__init(cfg.arch, err, sizeof(err))) {
		fprintf(stderr, "emudiff plugin: %s\n", err);
		return -1;
	}
	if (cfg.n_guest && !cfg.system) {
		fprintf(stderr, "emudiff plugin: guest= needs system mode (user mode runs no guest kernel)\n");
		return -1;
	}
	counter__init(&insn_count);
	counter__init(&guest_code);
	counter__init(&mem_count);
	for (int c = 0; c < GC_COUNT; c++)
		counter__init(&cls_count[c]);
	start_ns = host_ns();
	install_pid = getpid();
	if (!cfg.system && pthread_atfork(fork_prepare, fork_parent, fork_child)) {
		fprintf(stderr, "emudiff plugin: pthread_atfork failed\n");
		return -1;
	}

	qemu_plugin_register_vcpu_init_cb(id, on_vcpu_init);
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
	if (!cfg.system) {
		qemu_plugin_register_vcpu_syscall_cb(id, on_syscall);
		qemu_plugin_register_vcpu_syscall_ret_cb(id, on_syscall_ret);
	}
	qemu_plugin_register_atexit_cb(id, on_exit_, NULL);
	return 0;
}
