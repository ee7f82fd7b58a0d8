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
 * Threads and vCPUs: every counter is per vCPU (plugin_vcpu.c). From plugin
 * API 2 (QEMU 9.0) on, inline ops add to the executing vCPU's element of a
 * scoreboard. API 1 (QEMU 7.2) has only shared, non-atomic inline ops: they
 * count exactly while one thread runs; with more than one vCPU (system mode
 * -smp N) or threads=on (user mode), a callback per segment adds to the
 * executing vCPU's row instead (callback mode), and a second thread in
 * inline mode makes the output say the counts are invalid rather than
 * write wrong ones. Threads are numbered in creation order (ordinals).
 *
 * A marker is recognised when it is translated and gets the only per-hit
 * callback: it reads its vCPU's counter, subtracts the part of its segment
 * not yet executed, and records the count before the marker (that
 * thread's own instructions), the thread and the host CLOCK_MONOTONIC time,
 * under a global seq. Events go into a table keyed by (the thread's last
 * marker seq, kind, detail). Everything is written at exit (QEMU calls the
 * atexit hook on normal exit, on a guest's fatal signal and on SIGTERM) to
 * FILE.tmp, then renamed to FILE; the format is documented in qemu_output.h.
 *
 * Symbols per marker interval (marksyms=on, the default): at each marker
 * hit the callback also takes, for the segments that ran on the thread's
 * vCPU since its previous hit, the difference of their execution counts and
 * adds it, times the segment's instructions, to (interval, symbol); the
 * marker's own segment gives its not-yet-executed tail to the next
 * interval, exactly as the marker's count does. So the symbols of an
 * interval add up exactly to the difference of the thread's two marks, and
 * the execution path still has no callback. The segments that ran recently
 * are checked first; only when they do not account for every instruction
 * are all segments walked (plugin_marks.c). The accounting stops for good
 * once marksyms_limit segment visits would be exceeded, and the output says
 * up to which interval the attribution is complete.
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
 * guest=LO-HI[:LO-HI...] (repeatable), marksyms=on|off, marksyms_limit=N,
 * threads=on|off.
 *
 * Hypervisor extension: QEMU 7.2 lets a plugin see neither the privilege mode
 * nor hstatus.SPV, so a trap vector may be tagged as the host's (HS, its
 * stvec) or a guest's (VS, its vstvec), and the guest's code is given as
 * address ranges. An entry at an HS vector is a VM exit when guest code ran
 * since the previous HS entry: guest code can only be left by a trap, and
 * every trap that leaves it for HS enters an HS vector (README).
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plugin_state.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/* ---- state (plugin_state.h) ------------------------------------------------------ */

int state_lock_word;

void state_lock_wait(void)
{
	for (int spin = 0; __atomic_load_n(&state_lock_word, __ATOMIC_RELAXED); spin++) {
		if (spin >= 64)
			sched_yield();
#if defined(__x86_64__)
		else
			__builtin_ia32_pause();
#endif
	}
}
uint64_t start_ns;

struct segment **segments;
size_t n_segments, cap_segments;

struct bank **chunks;
uint64_t **retired;
uint32_t **chunk_insns;
size_t n_chunks, cap_chunks;

struct chunked marks, mark_values;
struct event_table events;

struct chunked msym_entries;
unsigned long long msym_visits; /* segments walked so far */
bool msym_stopped;              /* the limit was reached */
int64_t msym_complete;          /* intervals below it are complete (qemu_output.h) */

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

/*
 * Marker times: a marker-heavy run takes one per hit, and clock_gettime
 * costs a good part of a hit. Where the host's TSC is invariant (x86_64,
 * CPUID 0x80000007 EDX bit 8) a hit reads the TSC, and the writer maps the
 * readings to CLOCK_MONOTONIC by the two clocks' readings at the start and
 * at the write; elsewhere the stamp is CLOCK_MONOTONIC itself.
 */
bool stamp_tsc;
static uint64_t stamp_start_tsc;

#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

void stamp__start(void)
{
#if defined(__x86_64__)
	unsigned int a, b, c, d;

	stamp_tsc = __get_cpuid(0x80000007, &a, &b, &c, &d) && (d & (1u << 8));
	stamp_start_tsc = stamp_tsc ? __rdtsc() : 0;
#endif
	start_ns = host_ns();
}

uint64_t stamp__now(void)
{
#if defined(__x86_64__)
	if (stamp_tsc)
		return __rdtsc();
#endif
	return host_ns();
}

double stamp__scale(uint64_t *origin)
{
	*origin = stamp_tsc ? stamp_start_tsc : start_ns;
#if defined(__x86_64__)
	if (stamp_tsc) {
		uint64_t ns = host_ns(), tsc = __rdtsc();

		return tsc > stamp_start_tsc ? (double)(ns - start_ns) / (double)(tsc - stamp_start_tsc) : 0;
	}
#endif
	return 1;
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
	if (cfg.system && info->system.max_vcpus > MAX_VCPUS) {
		fprintf(stderr, "emudiff plugin: %d vCPUs: the plugin counts at most %d\n",
			info->system.max_vcpus, MAX_VCPUS);
		return -1;
	}
#if QEMU_PLUGIN_VERSION < 2
	/* API 1 inline counters are shared by all vCPUs and not atomic: with
	 * more than one vCPU, or threads announced, a callback per segment
	 * counts per vCPU instead (decided before anything is translated) */
	callback_mode = cfg.system ? info->system.max_vcpus > 1 : cfg.threads;
#endif
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
	gbank = bank__new(G_ROW);
	chunked__init(&marks, sizeof(struct mark));
	chunked__init(&mark_values, V_COUNT * sizeof(uint64_t));
	chunked__init(&msym_entries, sizeof(struct msym_entry));
	stamp__start();
	install_pid = getpid();
	if (!cfg.system && pthread_atfork(fork_prepare, fork_parent, fork_child)) {
		fprintf(stderr, "emudiff plugin: pthread_atfork failed\n");
		return -1;
	}

	plugin_id = id;
	/* lean counting (plugin_state.h): not with mix=on (class adds per
	 * segment anyway) nor in callback mode (its callbacks count in C) */
	lean = !callback_mode && !cfg.mix && cfg.lean_limit > 0;
	plugin_api__resolve();
	plugin__register(id);
	return 0;
}

void plugin__register(qemu_plugin_id_t id)
{
	qemu_plugin_register_vcpu_init_cb(id, on_vcpu_init);
	qemu_plugin_register_vcpu_exit_cb(id, on_vcpu_exit);
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
	qemu_plugin_register_flush_cb(id, on_flush);
	if (!cfg.system) {
		qemu_plugin_register_vcpu_syscall_cb(id, on_syscall);
		qemu_plugin_register_vcpu_syscall_ret_cb(id, on_syscall_ret);
	}
	plugin_api__register(id);
	qemu_plugin_register_atexit_cb(id, on_exit_, NULL);
}
