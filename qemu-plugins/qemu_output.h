/*
 * qemu_output.h - the output file of libemudiff-qemu.so (emudiff's QEMU
 * plugin) and its reader. This header is the format's documentation.
 *
 * Format version 5 (version 4 is version 5 without the m lines: every
 * mark in full; version 3 is version 4 with one thread and without the
 * counting, invalid, thread and thread_total lines, its mark lines without
 * THREAD and with a vcpus line; version 2 is version 3 without the map and
 * pc lines, version 1 is version 2 without the msym lines; this reader reads
 * all five, and an older reader rejects a newer file by its version
 * number): UTF-8 text, one record per line, fields separated by
 * one space, numbers in decimal unless written 0x... . The plugin writes the
 * whole file at exit (normal exit, a guest's fatal signal, or SIGTERM to
 * QEMU) to FILE.tmp and renames it to FILE, so FILE is either absent or
 * complete; the last line lets a reader prove it.
 *
 * Threads (version 4): a user-mode guest's threads and a system-mode
 * guest's vCPUs are numbered by ordinal K: 0 is the first, the others in
 * the order they were created (system mode: the vCPU index). Everything
 * counted is counted per thread: a mark's INSNS are its thread's own
 * instructions, a value its thread's own cumulative count, and the interval
 * after mark SEQ is its thread's, up to that thread's next mark. SEQ -1 - K
 * is thread K's interval before its first mark (-1: thread 0, as before).
 *
 * A guest that forks (user mode) forks QEMU with it: each child process
 * writes its own file FILE.<pid> (its pid; same format, same tmp + rename),
 * never FILE, which stays the process that loaded the plugin. A child's file
 * describes only the child from the fork on: its counts, marks (SEQ from 0),
 * events, symbols and host_ns start at zero at the fork, and its thread 0
 * is the thread that forked. A grandchild writes FILE.<its pid> too (not
 * FILE.<pid>.<pid>).
 *
 *   emudiff-qemu-plugin 5        first line: magic and format version
 *   arch riscv64|x86_64          guest architecture
 *   system 0|1                   1 = system emulation (qemu-system-*)
 *   mode default|exact           counting mode (see the plugin's README)
 *   plugin_api N                 QEMU_PLUGIN_VERSION the plugin was built with
 *   counting inline|callback     (version 4) how the per-thread counts were
 *                                taken: inline ops (per-vCPU scoreboards from
 *                                API 2 on; API 1: shared, exact with one
 *                                thread), or a callback per segment (API 1
 *                                with threads=on or more than one vCPU)
 *   options K=V K=V ...          the plugin options as given ("-" if none)
 *   start_code 0xADDR            user mode: start of the guest text segment
 *   entry_code 0xADDR            user mode: the guest entry point (load bias =
 *                                entry_code - ELF e_entry for a PIE)
 *   invalid REASON               (version 4) the counts are not exact, so none
 *                                follow (no mark ... total lines): REASON is
 *                                the rest of the line, e.g. a second thread
 *                                in API 1 inline mode
 *   mark SEQ THREAD ID INSNS HOST_NS
 *                                marker hit number SEQ (0, 1, 2... in the
 *                                order the plugin saw them, over all threads)
 *                                on thread ordinal THREAD (version 4; before:
 *                                mark SEQ ID INSNS HOST_NS, thread 0) of
 *                                marker ID (1..2047): INSNS = the thread's
 *                                guest instructions executed before the
 *                                marker instruction (never decreasing along
 *                                a thread), HOST_NS = host CLOCK_MONOTONIC
 *                                (ns since the plugin was loaded)
 *   m ID DINSNS DNS              (version 5) the next mark (SEQ one more) on
 *                                the previous mark's thread, by difference:
 *                                marker ID, INSNS = the previous mark's INSNS
 *                                + DINSNS, HOST_NS = its HOST_NS + DNS (DNS
 *                                may be negative: host clocks of two host CPUs)
 *   m DNS                        (version 5) the same with the ID and DINSNS of
 *                                the last m line (since the last mark line): a
 *                                loop's marks are a line of a few bytes each
 *   value SEQ METRIC N           further cumulative counter of mark SEQ's
 *                                thread at mark SEQ:
 *                                mem_accesses, pages (sum over the regions
 *                                closed so far of each region's distinct 4 KiB
 *                                pages, so the difference between two marks is
 *                                the working set of the region between them)
 *                                (mem=on); insns_load, insns_store,
 *                                insns_branch, insns_fp, insns_atomic,
 *                                insns_system, insns_other (mix=on)
 *   event SEQ KIND DETAIL COUNT  COUNT events of KIND (docs/design.md's kinds:
 *                                syscall, ecall, wfi, hlt, trap_entry,
 *                                trap_return, vm_exit; also ebreak) on mark
 *                                SEQ's thread after mark SEQ and before its
 *                                next mark; SEQ -1 - K = on thread K before
 *                                its first mark. DETAIL: syscall number, or
 *                                "NR:-ERRNO" for a failed call; the pc (0x...)
 *                                for ecall/wfi/hlt/ebreak (x86_64 syscall and
 *                                int are ecall); the vector address for
 *                                trap_entry, prefixed "hs:" or "vs:" when the
 *                                vector was tagged (trapvec=ADDR@hs); the HS
 *                                vector address for vm_exit (an HS entry after
 *                                guest= code ran); sret/mret/iret/sysret for
 *                                trap_return; "-" when empty
 *   symbol INSNS NAME            instructions executed in symbol NAME (rest of
 *                                the line; "[unknown]" outside any symbol)
 *   msym_complete N              (marksyms=on) the msym lines below are
 *                                complete for the intervals with SEQ < N,
 *                                the intervals before a first mark (SEQ < 0)
 *                                counting as SEQ -1 (complete when N >= 0);
 *                                -1 <= N <= number of marks; N is below the
 *                                number of marks when the plugin's
 *                                marksyms_limit stopped the attribution
 *   msym SEQ INSNS NAME          instructions executed in symbol NAME (rest
 *                                of the line) on mark SEQ's thread after mark
 *                                SEQ and before the thread's next mark (SEQ
 *                                -1 - K: thread K before its first mark; a
 *                                thread's last mark's: until it ended),
 *                                callees included, so an interval's msym
 *                                lines add up exactly to the difference of
 *                                its two marks' INSNS (to the thread's
 *                                total insns for its last); by SEQ, then
 *                                NAME; intervals without instructions have
 *                                no line
 *   block 0xADDR N EXECS INSNS NAME
 *                                one of the hottest translation blocks (plugin
 *                                option blocks=N, default 100), by instructions:
 *                                start address, instructions in the block,
 *                                times entered, instructions executed, symbol
 *                                (rest of the line)
 *   map 0xSTART 0xEND 0xOFF PATH (version 3, user mode, symbols=on) a file
 *                                mapping of the guest that held translated
 *                                code, and the one holding start_code (which
 *                                names the program's file): guest range [START, END) shows the file
 *                                PATH (rest of the line, as the kernel names
 *                                it in QEMU's /proc/self/maps: symlinks
 *                                resolved) from file offset OFF on; in the
 *                                order first seen (a later line holding an
 *                                address replaces an earlier one)
 *   pc 0xADDR INSNS              (version 3, user mode, symbols=on)
 *                                instructions executed in the code QEMU named
 *                                no symbol for ("[unknown]" in the symbol
 *                                lines), by the start address of its
 *                                segments (a translation block, or its part
 *                                after a named symbol's); ascending, each
 *                                address once; the collector symbolizes ADDR
 *                                through the map line holding it
 *   thread K VCPU                (version 4) thread ordinal K (0, 1, 2... in
 *                                order, one line each) ran on QEMU's vCPU
 *                                index VCPU (user mode: indexes of threads
 *                                that ended are reused)
 *   thread_total K METRIC N      (version 4) thread K's whole-run total of
 *                                METRIC: insns, syscalls (user mode), and
 *                                with mem/mix on the value metrics above;
 *                                after its thread line
 *   total METRIC N               whole-run totals: insns, host_ns (host time
 *                                from plugin load to exit), syscalls (user
 *                                mode, version 4), and with mem/mix on the
 *                                value metrics above; version 4: every
 *                                metric but host_ns is the sum of the
 *                                threads' thread_total lines
 *   vcpus N                      (versions 1 to 3) vCPUs (user mode: threads) seen
 *   exit CODE                    user mode: the status passed to exit_group,
 *                                or to exit by the last thread
 *   end N                        last line: N = number of lines before it
 *
 * Lines appear in the order above; marks and values by SEQ; event, symbol
 * and total lines in no particular order, block lines hottest first. A
 * reader rejects a file without the end line or with a wrong count
 * (truncated), any unknown record, a malformed number, marks out of
 * sequence, and a newer format version; in version 4 also a mark, event or
 * msym of a thread without a thread line, a thread's marks counting
 * backwards, and thread totals that do not add up to the run's.
 */
#ifndef EMUDIFF_QEMU_OUTPUT_H
#define EMUDIFF_QEMU_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#define QEMU_OUTPUT_VERSION 5

struct qemu_output_mark {
	int id, thread; /* thread: ordinal (0 before version 4) */
	uint64_t insns, host_ns;
};

struct qemu_output_value {
	int64_t seq;
	char *metric;
	uint64_t value;
};

struct qemu_output_event {
	int64_t seq; /* -1 - K: thread K before its first marker */
	char *kind, *detail;
	uint64_t count;
};

struct qemu_output_symbol {
	char *name;
	uint64_t insns;
};

struct qemu_output_msym {
	int64_t seq; /* -1 - K: thread K before its first marker */
	uint64_t insns;
	char *name;
};

struct qemu_output_block {
	uint64_t vaddr, execs, insns;
	unsigned n_insns;
	char *name;
};

struct qemu_output_map {
	uint64_t start, end, offset; /* guest [start, end) at file offset */
	char *path;
};

struct qemu_output_pc {
	uint64_t vaddr, insns;
};

struct qemu_output_total {
	char *metric;
	uint64_t value;
};

/* Version 4: a thread (ordinal = index in threads[]) and its totals. */
struct qemu_output_thread {
	int vcpu;
	struct qemu_output_total *totals;
	size_t n_totals, cap_totals;
};

struct qemu_output {
	int version;
	char *arch;    /* "riscv64", "x86_64" */
	int system;
	char *mode;    /* "default", "exact" */
	int plugin_api;
	char *options; /* "K=V K=V" or "-" */
	uint64_t start_code, entry_code;
	int vcpus;     /* version 4: the number of threads */
	char *counting; /* version 4: "inline", "callback"; else NULL */
	char *invalid;  /* version 4: why no counts were written; else NULL */
	int has_exit;
	int exit_code;
	struct qemu_output_mark *marks; /* index = seq */
	size_t n_marks;
	struct qemu_output_value *values;
	size_t n_values;
	struct qemu_output_event *events;
	size_t n_events;
	struct qemu_output_symbol *symbols;
	size_t n_symbols;
	int has_msym;         /* an msym_complete line was read */
	int64_t msym_complete; /* msyms cover the intervals with seq < this */
	struct qemu_output_msym *msyms; /* by seq, then name */
	size_t n_msyms;
	struct qemu_output_block *blocks; /* hottest first */
	size_t n_blocks;
	struct qemu_output_map *maps; /* in the order first seen */
	size_t n_maps;
	struct qemu_output_pc *pcs;   /* ascending vaddr */
	size_t n_pcs;
	struct qemu_output_total *totals;
	size_t n_totals;
	struct qemu_output_thread *threads; /* version 4; else empty */
	size_t n_threads;
};

/*
 * Read and validate a plugin output file. Returns 0, or -1 after printing a
 * one-line "error: FILE: what is wrong" (nothing is kept then).
 */
int qemu_output__read(const char *path, struct qemu_output *out);
void qemu_output__free(struct qemu_output *o);
/* A whole-run total by name; 0 found, -1 absent. */
int qemu_output__total(const struct qemu_output *o, const char *metric, uint64_t *value);

#endif
