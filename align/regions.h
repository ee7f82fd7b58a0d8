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

struct run_seq {
	int64_t id;
	char *platform;
	char *status;
	int rep;
	int *ids;
	size_t n;
	uint64_t hash;
};

/* One workload's runs (status ok or warmup) and its reference; ref NULL: none. */
struct workload_seqs {
	int64_t wid;
	struct run_seq *runs;
	size_t nruns;
	const struct run_seq *ref;
};

/* A metric of one run, per reference region (has[i]: a row for region i). */
struct column {
	char *name; /* owned */
	double *v;
	unsigned char *has;
};

/* An event_count row that falls into reference region reg. */
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

struct run_regions {
	const struct run_seq *run; /* in the workload_seqs of the job before */
	enum run_outcome outcome;
	struct markseq_stats stats;
	char note[256];
	long *map; /* per reference marker: index of the run's hit, or -1 */
	int64_t *seq; /* the run's hits: seq and insns (NAN: none), for the roll-ups */
	double *insns;
	size_t nhits;
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
/* A usable reference: at least one region. */
int workload_seqs__has_regions(const struct workload_seqs *w);

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
