/*
 * regions.h - private to align/: the two halves of building marker regions.
 *
 * The reader (regions_read.c) reads what the collectors stored (runs, marker
 * hits, marker values, events), chooses the reference sequence and computes
 * every run's region metrics in memory, as a series of jobs. The writer
 * (regions.c) turns the jobs into rows of the store. Only the writer writes,
 * and the reader never reads what the writer writes, so the reader can run
 * ahead on a connection and thread of its own (readahead.c).
 */
#ifndef EMUDIFF_ALIGN_REGIONS_H
#define EMUDIFF_ALIGN_REGIONS_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "align.h"

/* The marker ids one thread of a run hit, in order. */
struct thread_seq {
	int thread; /* ordinal: 0 the first thread, the others in creation order */
	int *ids;
	size_t n;
	uint64_t hash;
};

struct run_seq {
	int64_t id;
	char *platform;
	char *status;
	int rep;
	struct thread_seq *th; /* the threads with marker hits, by ordinal */
	size_t nth;
	size_t nhits;          /* over all its threads */
};

/*
 * The regions of one thread ordinal: a region is the stretch between two
 * consecutive hits of the same thread, so each thread has a reference
 * sequence of its own (the most common among the runs' sequences of that
 * thread) and its own keys (m:<from>-><to>#<n>, @t<k> appended for k > 0).
 */
struct lane {
	int thread;
	const struct run_seq *ref_run;
	const struct thread_seq *ref; /* ref_run's sequence of this thread: >= 2 markers */
	size_t first;                 /* its first region's index among the workload's */
};

/* One workload's runs (status ok or warmup) and its lanes; no lanes: no marker regions. */
struct workload_seqs {
	int64_t wid;
	struct run_seq *runs;
	size_t nruns;
	struct lane *lanes; /* by thread ordinal */
	size_t nlanes;
	size_t nregions;    /* over all lanes */
};

/* A metric of one run, per region (has[i]: a row for region i). */
struct column {
	char *name; /* owned */
	double *v;
	unsigned char *has;
};

/* An event_count row that falls into region reg. */
struct event_region {
	int64_t rowid;
	size_t reg;
};

enum run_outcome {
	RUN_NO_MARKERS, /* alignment row only */
	RUN_TOO_DIFFERENT, /* alignment row only, warning */
	RUN_PARTIAL, /* aligned with gaps or mismatches, warning */
	RUN_EXACT,
};

/* One thread of a run aligned to its lane's reference. */
struct lane_map {
	enum run_outcome outcome;
	struct markseq_stats stats;
	char note[256];
	long *map;      /* per reference marker: index of the thread's hit, or -1 */
	int64_t *seq;   /* the thread's hits: seq and insns (NAN: none), for the roll-ups */
	double *insns;
	size_t nhits;
};

struct run_regions {
	const struct run_seq *run; /* in the workload_seqs of the job before */
	enum run_outcome outcome;  /* no markers at all; no lane usable; some lane partial; all exact */
	struct lane_map *lanes;    /* one per lane of the workload */
	size_t nlanes;
	struct column *cols; /* sorted by name */
	size_t ncols;
	struct event_region *ev;
	size_t nev;
};

enum job_type {
	JOB_WORKLOAD_BEGIN, /* seqs: the runs read; run jobs follow when seqs->ref is usable */
	JOB_RUN,
	JOB_WORKLOAD_END, /* seqs handed over: the reader is done with them */
};

struct job {
	enum job_type type;
	struct workload_seqs *seqs;
	struct run_regions run;
};

void job__free(struct job *j);
void workload_seqs__free(struct workload_seqs *w);
/* At least one lane: marker regions. */
int workload_seqs__has_regions(const struct workload_seqs *w);

/* ---- one run (regions_run.c) ---- */

/* The sequence of thread ordinal t in run r, or NULL when that thread hit no marker. */
const struct thread_seq *run_seq__thread(const struct run_seq *r, int t);
int thread_seq__equal(const struct thread_seq *a, const struct thread_seq *b);

/* The reader's connection, the statements that read one run, and the error. */
struct run_reader {
	sqlite3 *db;
	const char *dbname;
	sqlite3_stmt *st_hits, *st_values, *st_events;
	char err[512];
};
/* err from the connection's last error, about what; -1. */
int run_reader__fail(struct run_reader *rr, const char *what);
/* out->run aligned to every lane of w, and its region metrics: 0, or -1 with rr->err. */
int run_regions__read(struct run_reader *rr, const struct workload_seqs *w, struct run_regions *out);

/* ---- the reader ---- */

struct reader;

/* Reads workloads ids[0..n) (the array must outlive the reader) through db. */
struct reader *reader__new(sqlite3 *db, const char *dbname, const int64_t *ids, size_t n);
/*
 * The next job: 1 and *out, 0 when all workloads were read, or -1 with the
 * reason in reader__error() (not printed: the reader may be on another thread).
 */
int reader__next(struct reader *rd, struct job **out);
const char *reader__error(const struct reader *rd);
void reader__free(struct reader *rd);

/*
 * The reader on a thread and connection of its own, a few jobs ahead of the
 * caller; NULL when db cannot have a second connection (in-memory or
 * temporary database, not in WAL mode, exclusive locking), with no message.
 * readahead__next() is reader__next() in the caller's thread; stopping
 * (readahead__free) is possible at any time.
 */
struct readahead;

struct readahead *readahead__start(sqlite3 *db, const char *dbname, const int64_t *ids, size_t n);
int readahead__next(struct readahead *ra, struct job **out);
const char *readahead__error(const struct readahead *ra);
void readahead__free(struct readahead *ra);

#endif
