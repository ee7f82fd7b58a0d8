/*
 * collect.h - the collectors as library code: for each way of measuring a
 * workload, running it (under the supervisor of common.h) and ingesting what
 * it produced into the store (one transaction per run, store__ingest_begin).
 * The commands in cli/cmd_collect_*.c and cli/cmd_import_*.c turn options
 * into these calls; tests/collect checks each ingest on recorded outputs.
 */
#ifndef EMUDIFF_COLLECT_H
#define EMUDIFF_COLLECT_H

#include "common.h"
#include "store.h"

/* ---- QEMU with the emudiff plugin (qemu_*.c) ---------------------------- */

/* ---- hardware: perf_event_open runs, consoles, imports (hw_*.c) ---------- */

#include "hw.h"

/* Symbol tables of the files that samples fell in, each loaded once for all
 * the runs of a command (hw_symbols.c). */
struct symtab;
struct hw_symcache {
	char **path;
	struct symtab **tab;
	size_t n;
};
/* path's table; NULL when it has none ([vdso], a deleted file, not ELF).
 * quiet: a file that cannot be read is not worth a warning. */
struct symtab *hw_symcache__get(struct hw_symcache *c, const char *path, int quiet);
void hw_symcache__free(struct hw_symcache *c);

/* One invocation of `collect hw` (hw_ingest.c). */
struct hw_ingest {
	struct ingest_workload workload;
	const char *prog;               /* the program's real path: its symbols keep bare names */
	const struct hw_run_opts *opts; /* how it ran, for config_json */
	const struct hw_machine *machine;
	int rep, warmup;                /* a warm-up is stored with status warmup, no cell */
	const char *cell;
	struct hw_symcache *syms;
};
/*
 * r as one `hw` run, in one transaction: marker hits and the counters read
 * at each, whole-run totals and rusage, system calls per marker interval
 * (unless records were lost), sampled symbols as s:<symbol> regions and per
 * marker interval, config_json with the options, the machine's facts and why
 * events are unsupported. The run id, or -1 with nothing stored.
 */
int64_t hw_ingest(struct store *st, const struct hw_ingest *in, const struct hw_run_result *r);
/* The sampled part of hw_ingest, inside its transaction (hw_symbols.c):
 * samples per symbol (region metrics) and per marker interval (mark_symbol). */
int hw_ingest__samples(struct store *st, const struct hw_ingest *in, int64_t wid, int64_t run_id,
		       const struct hw_run_result *r, double task_ns);
/* The marker hit at or before t_ns (-1 before the first), for placing calls
 * and samples between hits; r's marks are in time order. */
int64_t hw_ingest__seq_at(const struct hw_run_result *r, int64_t t_ns);

/* A serial log of `@emudiff` lines (console_ingest.c). */
struct console_ingest {
	struct ingest_workload workload;
	const char *log;    /* recorded in config_json */
	double timebase_hz; /* rdtime ticks per second */
	int rep;            /* of the log's first run */
	const char *cell;
};
/* Each run of the log as one `console` run, all in one transaction; ids[i]
 * gets run i's id. 0, or -1 with nothing stored. */
int console_ingest(struct store *st, const struct console_ingest *in, const struct console_log *cl,
		   int64_t *ids);

/* Files written elsewhere: perf stat, perf script, uftrace (import_*.c). */
struct import_ingest {
	struct ingest_workload workload;
	const char *file;     /* the file (or directory) read, recorded in config_json */
	int platform;         /* PLAT_IMPORT, or PLAT_HW for perf stat --platform hw */
	int rep;
	const char *cell;
	int64_t repeats;      /* perf stat -r N; 0: not told */
};
/* Each returns the run id, or -1 with nothing stored. Events perf could not
 * count are recorded as unsupported, never as 0. */
int64_t perf_stat__ingest(struct store *st, const struct import_ingest *in, const struct perf_stat *ps);
/* Samples of one event can be stored; -1 with "PATH: reason" for mixed events. */
int perf_script__check(const struct perf_script *ps, const char *path);
/* Samples per symbol as s:<symbol> regions; refuses what perf_script__check refuses. */
int64_t perf_script__ingest(struct store *st, const struct import_ingest *in, const struct perf_script *ps);
/* Self time per symbol as time_ns, with incl_time_ns and calls. */
int64_t uftrace__ingest(struct store *st, const struct import_ingest *in, const struct uftrace_data *d);
/* A file's basename without its extension: the default workload name of a
 * log or an imported file; caller frees. */
char *import__default_name(const char *path);

/* ---- a guest under KVM, seen from the host (kvm_*.c) --------------------- */

#endif
