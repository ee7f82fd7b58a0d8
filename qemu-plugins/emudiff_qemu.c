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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plugin_state.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/* ---- state (plugin_state.h) ------------------------------------------------------ */

pthread_mutex_t plugin_lock = PTHREAD_MUTEX_INITIALIZER;
struct counter insn_count; /* all instructions, added per segment */
struct counter mem_count;  /* memory accesses (mem=on) */
struct counter cls_count[GC_COUNT]; /* instructions per class (mix=on) */
uint64_t start_ns;
int n_vcpus;

struct segment **segments;
size_t n_segments, cap_segments;

struct counter **exec_chunks;
uint64_t **snap_chunks;
size_t n_chunks, cap_chunks;

struct mark *marks;
size_t n_marks, cap_marks;
int64_t cur_seq = -1; /* seq of the last marker hit */

struct event_table events;
/* guest=: instructions started in the guest's ranges (one inline add per
 * block that enters them), and its value at the last HS vector entry */
struct counter guest_code;
uint64_t guest_code_at_hs;

/* marksyms: instructions per (interval, symbol) and the walk's state */
struct msym_list msym_closed;   /* closed intervals, in seq order */
struct sym_acc msym_acc;        /* the interval being closed */
unsigned long long msym_visits; /* segments walked so far */
bool msym_stopped;              /* the limit was reached */
int64_t msym_complete;          /* intervals with seq below it are complete */
const char *msym_carry_sym;     /* the last marker's segment tail, owed to */
uint32_t msym_carry;            /* the interval that marker opened */
struct page_set pages;  /* distinct pages (+1) of the current region */
uint64_t pages_done; /* sum of distinct pages of the regions already closed */

struct pending_syscall pending_syscall[MAX_VCPUS];
bool have_exit_code;
int64_t exit_code;
bool output_written;
uint64_t start_code, entry_code; /* user mode, read at the first translation */
bool term_installed; /* user mode: our SIGTERM handler is in place */
pid_t install_pid;   /* the QEMU process the plugin was loaded in */

uint64_t host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void *grow(void *p, size_t *cap, size_t elem)
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

/* ---- options and install ----------------------------------------------------------------- */

/* The guest QEMU runs: its architecture and mode, refused when the plugin
 * cannot count it exactly; 0 or -1 with a message. */
static int config_from_qemu(const qemu_info_t *info)
{
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
	return 0;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
					   char **argv)
{
	char err[128];

	if (plugin_options__parse(argc, argv))
		return -1;
	msym_complete = -1;
	if (config_from_qemu(info))
		return -1;
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
