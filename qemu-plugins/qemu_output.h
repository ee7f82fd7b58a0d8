/*
 * qemu_output.h - the output file of libemudiff-qemu.so (emudiff's QEMU
 * plugin) and its reader. This header is the format's documentation.
 *
 * Format version 3 (version 2 is version 3 without the map and pc lines,
 * version 1 is version 2 without the msym lines; this reader reads all
 * three, and an older reader rejects a newer file by its version number): UTF-8 text, one record per line, fields separated by
 * one space, numbers in decimal unless written 0x... . The plugin writes the
 * whole file at exit (normal exit, a guest's fatal signal, or SIGTERM to
 * QEMU) to FILE.tmp and renames it to FILE, so FILE is either absent or
 * complete; the last line lets a reader prove it.
 *
 * A guest that forks (user mode) forks QEMU with it: each child process
 * writes its own file FILE.<pid> (its pid; same format, same tmp + rename),
 * never FILE, which stays the process that loaded the plugin. A child's file
 * describes only the child from the fork on: its counts, marks (SEQ from 0),
 * events, symbols and host_ns start at zero at the fork. A grandchild writes
 * FILE.<its pid> too (not FILE.<pid>.<pid>).
 *
 *   emudiff-qemu-plugin 3        first line: magic and format version
 *   arch riscv64|x86_64          guest architecture
 *   system 0|1                   1 = system emulation (qemu-system-*)
 *   mode default|exact           counting mode (see the plugin's README)
 *   plugin_api N                 QEMU_PLUGIN_VERSION the plugin was built with
 *   options K=V K=V ...          the plugin options as given ("-" if none)
 *   start_code 0xADDR            user mode: start of the guest text segment
 *   entry_code 0xADDR            user mode: the guest entry point (load bias =
 *                                entry_code - ELF e_entry for a PIE)
 *   mark SEQ ID INSNS HOST_NS    marker hit number SEQ (0, 1, 2... in order)
 *                                of marker ID (1..2047): INSNS = guest
 *                                instructions executed before the marker
 *                                instruction, HOST_NS = host CLOCK_MONOTONIC
 *   value SEQ METRIC N           further cumulative counter at mark SEQ:
 *                                mem_accesses, pages (sum over the regions
 *                                closed so far of each region's distinct 4 KiB
 *                                pages, so the difference between two marks is
 *                                the working set of the region between them)
 *                                (mem=on); insns_load, insns_store,
 *                                insns_branch, insns_fp, insns_atomic,
 *                                insns_system, insns_other (mix=on)
 *   event SEQ KIND DETAIL COUNT  COUNT events of KIND (docs/design.md's kinds:
 *                                syscall, ecall, wfi, hlt, trap_entry,
 *                                trap_return, vm_exit; also ebreak) after mark SEQ and
 *                                before mark SEQ+1; SEQ -1 = before the first
 *                                marker. DETAIL: syscall number, or
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
 *                                -1 <= N <= number of marks; N is below the
 *                                number of marks when the plugin's
 *                                marksyms_limit stopped the attribution
 *   msym SEQ INSNS NAME          instructions executed in symbol NAME (rest
 *                                of the line) after mark SEQ and before mark
 *                                SEQ+1 (-1: before the first mark; the last
 *                                mark's: until exit), callees included, so
 *                                an interval's msym lines add up exactly to
 *                                the difference of its two marks' INSNS (to
 *                                total insns for the last); by SEQ, then
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
 *   total METRIC N               whole-run totals: insns, host_ns (host time
 *                                from plugin load to exit), and with mem/mix on
 *                                the value metrics above
 *   vcpus N                      vCPUs (user mode: threads) seen
 *   exit CODE                    user mode: the status passed to exit/exit_group
 *   end N                        last line: N = number of lines before it
 *
 * Lines appear in the order above; marks and values by SEQ; event, symbol
 * and total lines in no particular order, block lines hottest first. A reader rejects a file without the
 * end line or with a wrong count (truncated), any unknown record, a malformed
 * number, marks out of sequence, and a newer format version.
 */
#ifndef EMUDIFF_QEMU_OUTPUT_H
#define EMUDIFF_QEMU_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#define QEMU_OUTPUT_VERSION 3

struct qemu_output_mark {
	int id;
	uint64_t insns, host_ns;
};

struct qemu_output_value {
	int64_t seq;
	char *metric;
	uint64_t value;
};

struct qemu_output_event {
	int64_t seq; /* -1: before the first marker */
	char *kind, *detail;
	uint64_t count;
};

struct qemu_output_symbol {
	char *name;
	uint64_t insns;
};

struct qemu_output_msym {
	int64_t seq; /* -1: before the first marker */
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

struct qemu_output {
	int version;
	char *arch;    /* "riscv64", "x86_64" */
	int system;
	char *mode;    /* "default", "exact" */
	int plugin_api;
	char *options; /* "K=V K=V" or "-" */
	uint64_t start_code, entry_code;
	int vcpus;
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
