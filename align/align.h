/*
 * align.h - align/: what turns the collectors' raw records into regions that
 * mean the same thing under emulation and on hardware.
 *
 *  - rv64_decode(): the project's own RV64GC decoder/classifier (Capstone 4
 *    has no RISC-V). Built also alone as the PIC static library rv64_dep, so
 *    the QEMU plugin links it without libelf or Capstone.
 *  - symtab__*(): an ELF symbolizer (libelf): function symbols from .symtab,
 *    else .dynsym, plus the marker names of the .emudiff_marks section.
 *  - marksites__scan(): the marker instructions present in a binary (for
 *    `emudiff align --check`), found by walking real instruction starts
 *    (Capstone for x86_64, rv64_decode for riscv64).
 *  - markseq__align(): global alignment of two marker sequences in linear
 *    memory.
 *  - align__workload(), align__workloads(): build the marker regions of
 *    workloads in the store (the caller's transactions, idempotent).
 */
#ifndef EMUDIFF_ALIGN_H
#define EMUDIFF_ALIGN_H

#include <stddef.h>
#include <stdint.h>

/* ---- RV64GC decoder (rv64_dep) ---------------------------------------- */

enum insn_class {
	INSN_OTHER,  /* integer ALU, M extension, lui/auipc, nops */
	INSN_LOAD,   /* integer and FP loads (also compressed) */
	INSN_STORE,  /* integer and FP stores (also compressed) */
	INSN_BRANCH, /* conditional branches and jumps (jal, jalr, c.j, c.jr...) */
	INSN_FP,     /* F/D arithmetic, conversions, moves, compares */
	INSN_ATOMIC, /* A extension: lr, sc, amo* */
	INSN_SYSTEM, /* ecall, ebreak, xRET, wfi, fences, CSR access, sfence.vma */
	INSN_CLASS_COUNT
};

struct rv_insn {
	uint32_t raw;         /* the instruction bits (16-bit forms in the low half) */
	unsigned len;         /* 2 or 4 */
	enum insn_class cls;
	const char *mnemonic; /* static string, objdump's no-alias name ("c.addi", "addi") */
};

/*
 * Decode one RV64GC instruction (compressed or not) from little-endian bytes.
 * Returns its length (2 or 4), or 0 if the bytes are not a valid RV64GC
 * instruction or fewer than needed are available. Besides the unprivileged
 * RV64GC set (I, M, A, F, D, Zicsr, Zifencei, C) it accepts the privileged
 * instructions a system-mode guest executes: sret, mret, wfi, sfence.vma and
 * the hypervisor extension's hfence.vvma/hfence.gvma.
 */
unsigned rv64_decode(const uint8_t *bytes, size_t avail, struct rv_insn *out);
/* "load", "store", "branch", "fp", "atomic", "system", "other" */
const char *insn_class_name(enum insn_class c);

/* ---- ELF symbolizer ------------------------------------------------------ */

struct sym {
	uint64_t addr, size; /* ELF virtual address; size 0 in the ELF is widened to the next symbol */
	const char *name;
};
struct symtab;

/*
 * Load the function symbols of an ELF file: .symtab, else .dynsym (a
 * stripped binary: a warning says so), else none (warning too). Rejects non-ELF
 * files, 32-bit ELF and architectures other than x86_64, riscv64 and aarch64
 * with a one-line error naming the file; returns NULL then.
 */
struct symtab *symtab__load(const char *elf_path);
/* The function containing the ELF virtual address addr, or NULL. O(log n). */
const struct sym *symtab__lookup(const struct symtab *t, uint64_t addr);
int symtab__is_pie(const struct symtab *t); /* ET_DYN (PIE or shared object) */
const char *symtab__arch(const struct symtab *t); /* "x86_64", "riscv64", "aarch64" */
void symtab__free(struct symtab *t);

/* What a program file is before it is run (elf_probe.c). */
struct elf_probe {
	int is_elf;       /* 0: not an ELF file (a script, text...) */
	char machine[32]; /* as uname -m spells it: "x86_64", "riscv64", "aarch64", "i386"...,
			   * else "e_machine N" */
	char interp[256]; /* PT_INTERP, the dynamic loader; "": statically linked */
};
/* 0 (is_elf 0 for a file that is not ELF), or -1 with a one-line error when
 * path cannot be opened. Any ELF is accepted, 32-bit and foreign too. */
int elf__probe(const char *path, struct elf_probe *p);
/* This machine, as uname -m spells it. */
const char *elf__host_machine(void);

/* Only the marker names (and arch, PIE): no symbols, no warning about stripping. */
struct symtab *symtab__load_marks(const char *elf_path);

/* Further queries. */
size_t symtab__count(const struct symtab *t);
const struct sym *symtab__at(const struct symtab *t, size_t i); /* sorted by address */
/* Where the symbols came from: "symtab", "dynsym" or "none" (stripped). */
const char *symtab__source(const struct symtab *t);
/*
 * Lowest virtual address of a PT_LOAD segment, page-aligned down: the load
 * bias of a PIE or shared object is its runtime base minus this value, and
 * symtab__lookup() wants runtime address minus bias.
 */
uint64_t symtab__base_vaddr(const struct symtab *t);
/*
 * ELF virtual address of a runtime address inside a file mapping that starts
 * at map_start and maps the file from offset map_pgoff (as in
 * /proc/PID/maps or a perf MMAP record). 0 on success, -1 if no PT_LOAD
 * segment covers that file offset.
 */
int symtab__vaddr_of(const struct symtab *t, uint64_t map_start, uint64_t map_pgoff,
		     uint64_t addr, uint64_t *vaddr);
/* Marker names from the .emudiff_marks section: the name of id, or NULL. */
const char *symtab__mark_name(const struct symtab *t, int id);
/* Number of .emudiff_marks records (duplicates included), and the i-th one. */
size_t symtab__mark_count(const struct symtab *t);
int symtab__mark_at(const struct symtab *t, size_t i, const char **name);

/* ---- marker sites in a binary -------------------------------------------- */

struct marksite {
	uint64_t addr; /* ELF virtual address of the marker instruction */
	int id;        /* 1..2047 */
};

/*
 * Find every marker instruction (docs/design.md's marker ABI) in the executable
 * sections of an ELF file, walking real instruction starts. *sites (sorted by
 * address, caller frees) and *n; *arch (may be NULL) gets the architecture.
 * 0, or -1 with a one-line error.
 */
int marksites__scan(const char *elf_path, struct marksite **sites, size_t *n, const char **arch);

/* ---- marker sequences ---------------------------------------------------- */

struct markseq_stats {
	size_t matched;    /* markers matched to the reference */
	size_t gaps;       /* markers only on one side */
	size_t mismatches; /* a different marker where the reference has one */
};

/*
 * Globally align the run's marker sequence (ids) to the reference's: a
 * longest common subsequence, so that a marker missing or extra on one side
 * costs one gap and everything after it still matches. Linear memory, time
 * O((n + m) * D) for D edits. ref_to_run[i] receives the run index matched to
 * ref[i], or -1. Returns 0, or -1 (no match at all, st->gaps = n + m) when the
 * sequences need more than max_edits insertions and deletions.
 */
int markseq__align(const int *ref, size_t n, const int *run, size_t m, size_t max_edits,
		   long *ref_to_run, struct markseq_stats *st);

/* ---- regions in the store ------------------------------------------------- */

struct sqlite3;

struct align_result {
	int64_t ref_run_id;  /* the run whose marker sequence is the reference (of the first
			      * thread with regions); 0: none */
	size_t ref_len;      /* markers in the reference sequences (all threads) */
	size_t regions;      /* marker regions they define */
	size_t threads;      /* thread ordinals with regions, each with its own reference */
	int refs_differ;     /* the threads' references come from different runs */
	size_t runs;         /* runs with status ok or warmup */
	size_t runs_exact;   /* identical to the reference */
	size_t runs_partial; /* aligned with gaps or mismatches (a warning each) */
	size_t runs_failed;  /* no markers, or too different: no marker regions */
	size_t rollup_regions;    /* ms:<from>-><to>/<symbol> regions (symbols per marker pair) */
	size_t rollup_runs;       /* runs with symbols per marker interval rolled up */
	size_t rollup_mismatches; /* QEMU (run, pair)s whose symbols do not add up exactly */
};

/*
 * Build the marker regions m:<from>-><to>#<n> of one workload: choose the
 * reference sequence (the most common among ok runs, else among warm-up
 * runs; ties: the longer, then the older run), align every ok and warmup run
 * to it, write region, region_metric, event_count.region_id and alignment
 * rows after removing what an earlier align wrote for this workload's marker
 * regions (symbol regions are kept). Per thread: a region is the stretch
 * between two consecutive hits of one thread (mark.thread), each thread
 * ordinal k has its own reference and keys (@t<k> appended for k > 0), and
 * its alignment goes to alignment (thread 0) or alignment_thread. Region names come from the .emudiff_marks
 * section of the workload's ELF when it is still readable. Runs whose
 * collector stored symbols per marker interval (table mark_symbol) also get
 * their roll-ups per marker pair, regions ms:<from>-><to>/<symbol> named by
 * the symbol (align/rollup.h); a key that starts with "ms:" is neither a
 * marker region ("m:") nor a whole-run symbol region ("s:"). The caller holds
 * the transaction. 0, or -1 with a one-line error (then roll back).
 */
int align__workload(struct sqlite3 *db, int64_t workload_id, struct align_result *res);

/*
 * align__workload() for workloads ids[0..n) in that order; after each,
 * done(arg, i, result of ids[i]) when done is not NULL, e.g. to commit and
 * begin the next transaction (a negative return stops with -1). 0, or -1 with
 * a one-line error (then roll back). Faster: when the store is a file in WAL
 * mode, a thread reads the next runs through a second, read-only connection
 * while this one writes, so the runs, markers and events to align must be
 * committed before (what the collectors store always is); a workload's runs
 * are those committed when the thread reads them, which may be before done()
 * begins that workload's transaction.
 */
typedef int align_done_fn(void *arg, size_t i, const struct align_result *res);
int align__workloads(struct sqlite3 *db, const int64_t *ids, size_t n, align_done_fn *done,
		     void *arg);

/*
 * The statements align__workload runs on region_metric other than its
 * inserts (?1: the workload), NULL-terminated: tests/store/test_plans.c
 * checks that each reaches the table through run_id, its primary key's
 * prefix, since the table has no index on region_id.
 */
extern const char *const align__region_metric_sql[];

#endif
