/*
 * rollup.h - private to align/: symbol roll-ups of marker regions.
 *
 * The collectors store the cost of each symbol per marker interval (table
 * mark_symbol: QEMU insns, hardware samples and time_ns). Per run, rollup
 * sums them over every occurrence of a reference marker pair into regions
 * keyed ms:<from>-><to>/<symbol> (the pair's ids, the symbol as in s:<symbol>;
 * @t<k> appended for thread ordinal k > 0, whose marker regions those are),
 * with the metric names of mark_symbol. Inclusive: everything executed
 * between the two markers, callees included, is in the pair's symbols. A
 * pair is rolled up in a run only when every reference occurrence of it is
 * matched in that run and its intervals are below the run's
 * config_json.mark_symbols_complete, so sums are never partial. On QEMU runs
 * the symbols of a pair must add up exactly to the pair's marker regions'
 * insns: a difference is reported (warning, counted), the data is kept.
 */
#ifndef EMUDIFF_ALIGN_ROLLUP_H
#define EMUDIFF_ALIGN_ROLLUP_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

struct rollup;

/*
 * For one workload and the reference marker sequence of thread ordinal
 * thread (keys of threads > 0 end in @t<thread>); NULL with an error printed.
 */
struct rollup *rollup__new(sqlite3 *db, const char *dbname, int64_t workload_id, const char *wname,
			   const int *ref_ids, size_t ref_n, int thread);
/*
 * One run's thread aligned to the reference: map[i] = index of the thread's
 * hit matched to reference marker i, or -1; seq[] and insns[] (NAN: none) of
 * its hits. 1 when it wrote roll-ups, 0 when not, -1 on an error.
 */
int rollup__run(struct rollup *ru, int64_t run_id, const char *platform, const long *map,
		const int64_t *seq, const double *insns);
/* QEMU (run, pair)s whose symbols did not add up. */
size_t rollup__mismatches(const struct rollup *ru);
void rollup__free(struct rollup *ru);

/* Before align: remove this workload's ms: metrics. After: the ms: regions left without any. */
int rollup__clear(sqlite3 *db, const char *dbname, int64_t workload_id);
int rollup__drop_unused(sqlite3 *db, const char *dbname, int64_t workload_id, size_t *kept);
/* Their statements (?1: the workload), listed in align__region_metric_sql. */
extern const char rollup__clear_sql[], rollup__drop_unused_sql[];

#endif
