/*
 * report.h - the emudiff report: a self-contained directory of HTML pages,
 * plplot figures (SVG inline, PNG and optionally PDF files) and CSV / JSON
 * Lines exports, generated from a results store.
 *
 * Layout of OUT:
 *   index.html                 one row per workload, A/B conclusion flips on top
 *   ab.svg ab.png [ab.pdf]     A/B speed ratios with CIs (when the store has some)
 *   <workload>/index.html      regions, findings, figures of one workload
 *   <workload>/<figure>.svg|png|pdf
 *   data/regions.csv|jsonl     every region of every workload, as shown
 *   data/findings.csv|jsonl    every finding row of the store
 *   data/ab.csv|jsonl          every A/B comparison
 *
 * Generation is deterministic: the same store gives the same bytes except for
 * the one line of index.html that holds the "generated at" timestamp, which
 * $SOURCE_DATE_EPOCH fixes (reproducible-builds.org convention).
 */
#ifndef EMUDIFF_REPORT_H
#define EMUDIFF_REPORT_H

#include <sqlite3.h>
#include <stddef.h>

struct report_opts {
	const char *out_dir;   /* created if missing; existing report files are replaced */
	const char *workload;  /* only this workload (by name); NULL: every workload */
	int pdf;               /* also write each figure as PDF */
	int jobs;              /* worker processes for the pages; 0: one per CPU (at most 8) */
	const char *version;   /* emudiff version shown in the footer; may be NULL */
	/* Called after each workload page (done of total); may be NULL. */
	void (*progress)(size_t done, size_t total, const char *workload, void *arg);
	void *progress_arg;
};

struct report_summary {
	size_t workloads, regions, findings, figures, files;
};

/*
 * Write the report for the store db (opened read-only by the caller; only
 * TEMP tables are created on the connection). Pages are written by forked
 * worker processes, each with its own read-only connection (plplot is not
 * thread-safe); the caller must not hold a transaction open. Returns 0, or -1 after a
 * one-line error naming the store or the output file: -1 also when
 * opts->workload names no workload in the store. summary may be NULL.
 */
int report__write(sqlite3 *db, const struct report_opts *opts, struct report_summary *summary);

/*
 * The statements the report runs on region_metric (?1: a workload id, or a
 * region id for the one that takes ?3 as its workload), NULL-terminated:
 * tests/store/test_plans.c checks that each reaches the table through
 * run_id, its primary key's prefix, since it has no index on region_id.
 */
extern const char *const report__region_metric_sql[];

#endif
