/*
 * store.h - the results store: one SQLite file (WAL) that every component
 * reads and writes. The core schema is docs/design.md's contract; the extension
 * tables are documented next to their CREATE statements in schema.c.
 *
 * Conventions
 *  - Every function returns 0 (or a positive id) on success and -1 on failure,
 *    after printing a one-line "error: FILE: reason".
 *  - Ingesting a run happens inside store__begin()/store__commit(): a crash or
 *    an error in between leaves nothing of that run behind (store__rollback()).
 *  - Libraries other than collect/ take the raw handle (store->db) and the
 *    schema; they do not need this header.
 */
#ifndef EMUDIFF_STORE_H
#define EMUDIFF_STORE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* Schema version written to PRAGMA user_version (see schema.c). */
extern const int store_schema_version;

enum store_flags {
	STORE_CREATE = 1,   /* create the file if it does not exist */
	STORE_READONLY = 2, /* open read-only (show, report) */
};

struct store {
	sqlite3 *db;
	char *path;
	int in_tx;
	int ingest_nested; /* the open ingest is a savepoint of the caller's transaction */
	/* prepared statements, reused across calls (lazily prepared) */
	sqlite3_stmt *st_mark, *st_mark_value, *st_run_metric, *st_region_find, *st_region_add,
		*st_region_metric, *st_event, *st_mark_symbol, *st_thread, *st_thread_metric, *st_thread_proc;
};

/*
 * Open (and create / migrate) the store at path. Rejects files that are not
 * SQLite databases, databases that are not emudiff stores, and stores whose
 * schema is newer than this binary knows, with a one-line error; returns NULL
 * then. A store with an older schema is migrated forward in one transaction.
 */
struct store *store__open(const char *path, int flags);
void store__close(struct store *s);

int store__begin(struct store *s);    /* BEGIN IMMEDIATE (waits for other writers) */
int store__commit(struct store *s);   /* COMMIT; on failure rolls back, returns -1 */
void store__rollback(struct store *s);

/* Execute SQL with no results; error printed on failure. */
int store__exec(struct store *s, const char *sql);

/* The default store path: $EMUDIFF_DB or "emudiff.db". */
const char *store__default_path(void);

/*
 * Find or create the workload called name. arch may be NULL ("unknown"),
 * elf_path NULL (no binary, e.g. console or import), argv_json a JSON array of
 * strings or NULL. When elf_path is given its SHA-256 is recorded; a later call
 * with a binary of a different hash updates elf_path/elf_sha256 and warns.
 * Returns the id (> 0) or -1.
 */
int64_t store__workload(struct store *s, const char *name, const char *arch, const char *elf_path,
			const char *argv_json);

struct run_info {
	int64_t workload_id;
	const char *platform;    /* qemu-user, qemu-system, hw, hw-kvm, console, import */
	const char *config_json; /* JSON object: options, machine, unsupported events... */
	int rep;                 /* repetition number from 0; warm-ups too */
	const char *status;      /* ok, failed, timeout, warmup */
	int exit_code;           /* exit status, or 128+signal; -1 when unknown */
	int64_t wall_ns;         /* -1 when unknown */
	const char *cell;        /* study cell key (resume), or NULL */
};

/* Insert a run; started_at is set to the current UTC time. Returns id or -1. */
int64_t store__run_add(struct store *s, const struct run_info *ri);

/*
 * One run's ingest is one transaction, so that a run is stored whole or not at
 * all: store__ingest_begin begins it, finds or adds the workload (ri's
 * workload_id is set) and adds the run; the caller adds the run's rows and
 * ends with store__ingest_end(s, failed), which commits, or rolls back when
 * failed is non-zero. Returns the run id, or -1 with nothing left open.
 * Inside a transaction of the caller's (store__begin), the run is a savepoint
 * of it instead, so that several runs are stored together or not at all.
 */
struct ingest_workload {
	const char *name, *arch;
	const char *elf_path;  /* NULL: no binary */
	const char *argv_json; /* NULL: none */
};
int64_t store__ingest_begin(struct store *s, const struct ingest_workload *w, struct run_info *ri);
/* 0 when committed; -1 when rolled back (failed, or the commit failed). */
int store__ingest_end(struct store *s, int failed);

/*
 * One marker hit on thread ordinal `thread` (0: the first thread); insns
 * counts that thread's instructions. insns < 0 or time_ns < 0 store NULL
 * (not measured).
 */
int store__mark_add(struct store *s, int64_t run_id, int64_t seq, int thread, int mark_id,
		    int64_t insns, int64_t time_ns);
/* A thread of a run: its ordinal, the platform's id for it (< 0: NULL) and
 * kind "thread", "vcpu" or "hart". */
int store__thread_add(struct store *s, int64_t run_id, int thread, int64_t os_id, const char *kind);
/* The process of a thread added before (schema 13): its ordinal (0: the
 * program started, then forked processes in creation order), its pid, and
 * for a server run whether its worker ran during the load (1, 0; < 0 for
 * any of them: NULL, not known). */
int store__thread_process(struct store *s, int64_t run_id, int thread, int process, int64_t pid, int in_load);
/* Whole-run total of one thread (insert or replace). */
int store__thread_metric_set(struct store *s, int64_t run_id, int thread, const char *metric,
			     double value);
/* A further cumulative counter value at marker seq (cycles, page_faults, ...). */
int store__mark_value_add(struct store *s, int64_t run_id, int64_t seq, const char *metric,
			  double value);
/*
 * Cost of one symbol between marker hits seq and seq+1 (seq -1: before the
 * first hit), insert or replace: table mark_symbol (schema.c).
 */
int store__mark_symbol_set(struct store *s, int64_t run_id, int64_t seq, const char *symbol,
			   const char *metric, double value);
/* Whole-run total (insert or replace). */
int store__run_metric_set(struct store *s, int64_t run_id, const char *metric, double value);
/* Find or create region (workload_id, key); name may be NULL. Returns id or -1. */
int64_t store__region(struct store *s, int64_t workload_id, const char *key, const char *name);
/* Per-run per-region value (insert or replace). */
int store__region_metric_set(struct store *s, int64_t run_id, int64_t region_id,
			     const char *metric, double value);
/*
 * Event count. region_id <= 0 stores NULL (whole run or not yet aligned);
 * seq >= 0 says the events happened after marker hit seq (align/ turns that
 * into a region), seq < 0 stores NULL.
 */
int store__event_add(struct store *s, int64_t run_id, int64_t region_id, int64_t seq,
		     const char *kind, const char *detail, int64_t count);

/* Latency samples (store/latency.c): n values in ns of metric (lat_<what>_ns)
 * for region_key of run_id, packed into one latency_sample row (stats/'s
 * latency__unpack reads it). */
int store__latency_add(struct store *s, int64_t run_id, const char *region_key, const char *metric,
		       const double *v, size_t n);
/* Is there an ok/warmup/failed/timeout run for this study cell already? 1, 0 or -1. */
int store__cell_done(struct store *s, const char *cell);

#endif
