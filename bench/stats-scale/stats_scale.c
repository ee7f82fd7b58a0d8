/*
 * stats_scale.c - benchmark of the statistics engine at study scale.
 *
 * Builds a synthetic store of W workloads x 2 platforms (qemu-user, hw) x N
 * invocations x R marker regions (default 50 x 2 x 30 x 1000): marker hits
 * as the collectors store them (instruction count and QEMU host time under
 * emulation, CLOCK_MONOTONIC_RAW time on hardware; one region in each
 * workload costs 3x on hardware). Then it times align/ (align__workloads for
 * every workload, one transaction) and stats__run() with B bootstrap
 * resamples (default 2000).
 *
 * usage: stats-scale STORE [--workloads W] [--runs N] [--regions R] [--resamples B]
 *                          [--no-align] [--no-stats] [--floor] [--suite-units N [--reps K]]
 * --no-align writes the region metrics directly instead of marker hits and
 * times stats alone; --no-stats times align alone; --floor then copies the
 * region_metric rows into an empty store of the same schema and prints that
 * time beside align's (what SQLite alone needs to store them). Wall and CPU
 * (user + system, all threads) times are printed for each step. An existing
 * STORE is reused (generation is not timed).
 *
 * --suite-units N measures what the suite-level analysis (stats/suite.c) adds
 * to stats: after align (if any), the store gets whole-run totals (each run's
 * sums of its region metrics, where a run has none) and N marker regions
 * named alike in every workload ("start", "phase-2", ...: the shared units of
 * a suite; every other region unnamed), then stats runs --reps K times with
 * the suite phase and K times without it (stats_options.no_suite),
 * alternating (with-without, without-with, ...) on the same store. Each run's
 * times are printed, then the best and the median of each side and their
 * ratios (K defaults to 5; --floor does not apply). Both sides must give
 * the same findings or the bench fails. The
 * suite phase's own wall time (stats_summary.suite_ns) is printed too, and
 * what it adds to the rest of the same run: on a loaded machine the runs
 * differ more from one another than the phase costs.
 */
#include "align.h"
#include "stats.h"
#include "store.h"
#include "common.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static int generate(const char *path, int nw, int nr, int nreg, int marks)
{
	struct store *s = store__open(path, STORE_CREATE);
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	sqlite3_stmt *st;
	double *insns = xmalloc((size_t)nreg * sizeof(*insns));
	int64_t *reg = xmalloc((size_t)nreg * sizeof(*reg));

	if (!s)
		return -1;
	/* generation speed only: the store is a throwaway */
	store__exec(s, "PRAGMA synchronous = OFF");
	store__begin(s);
	if (sqlite3_prepare_v2(s->db, marks ? "INSERT INTO mark(run_id, seq, mark_id, insns, time_ns) VALUES (?1, ?2, ?3, ?4, ?5)"
					    : "INSERT INTO region_metric VALUES (?1, ?2, ?3, ?4)",
			       -1, &st, NULL) != SQLITE_OK)
		die("%s: %s", path, sqlite3_errmsg(s->db));
	for (int w = 0; w < nw; w++) {
		char name[32];
		int64_t wid;

		snprintf(name, sizeof(name), "synthetic-%02d", w);
		wid = store__workload(s, name, "x86_64", NULL, NULL);
		for (int k = 0; k < nreg; k++) {
			char key[48];

			snprintf(key, sizeof(key), "m:%d->%d#1", k + 1, k + 2);
			reg[k] = marks ? 0 : store__region(s, wid, key, NULL);
			insns[k] = 1e4 * (1 + gsl_rng_uniform_int(r, 100));
		}
		for (int side = 0; side < 2; side++) {
			for (int i = 0; i < nr; i++) {
				struct run_info ri = { wid, side ? "hw" : "qemu-user", "{}", i, "ok", 0, -1, NULL };
				int64_t run = store__run_add(s, &ri);
				double cum[2] = { 0, 0 };

				for (int k = 0; k < nreg && marks; k++) {
					double dv[2];

					if (side) {
						dv[0] = insns[k] * (k == 7 ? 3 : 1) * (1 + gsl_ran_gaussian(r, 0.03));
					} else {
						dv[0] = insns[k];
						dv[1] = insns[k] * 4 * (1 + gsl_ran_gaussian(r, 0.02));
					}
					/* marker hit k opens region k: ids 1..R+1, seq 0..R */
					sqlite3_reset(st);
					sqlite3_bind_int64(st, 1, run);
					sqlite3_bind_int64(st, 2, k);
					sqlite3_bind_int(st, 3, k + 1);
					if (side) {
						sqlite3_bind_null(st, 4);
						sqlite3_bind_int64(st, 5, (int64_t)cum[0]);
					} else {
						sqlite3_bind_int64(st, 4, (int64_t)cum[0]);
						sqlite3_bind_int64(st, 5, (int64_t)cum[1]);
					}
					if (sqlite3_step(st) != SQLITE_DONE)
						die("%s: %s", path, sqlite3_errmsg(s->db));
					cum[0] += dv[0];
					cum[1] += side ? 0 : dv[1];
					if (k + 1 == nreg) {
						sqlite3_reset(st);
						sqlite3_bind_int64(st, 1, run);
						sqlite3_bind_int64(st, 2, k + 1);
						sqlite3_bind_int(st, 3, k + 2);
						if (side) {
							sqlite3_bind_null(st, 4);
							sqlite3_bind_int64(st, 5, (int64_t)cum[0]);
						} else {
							sqlite3_bind_int64(st, 4, (int64_t)cum[0]);
							sqlite3_bind_int64(st, 5, (int64_t)cum[1]);
						}
						if (sqlite3_step(st) != SQLITE_DONE)
							die("%s: %s", path, sqlite3_errmsg(s->db));
					}
				}
				for (int k = 0; k < nreg && !marks; k++) {
					const char *m[2] = { side ? "time_ns" : "insns", "qemu_host_ns" };
					double v[2];

					if (side) {
						v[0] = insns[k] * (k == 7 ? 3 : 1) * (1 + gsl_ran_gaussian(r, 0.03));
					} else {
						v[0] = insns[k];
						v[1] = insns[k] * 4 * (1 + gsl_ran_gaussian(r, 0.02));
					}
					for (int j = 0; j < (side ? 1 : 2); j++) {
						sqlite3_reset(st);
						sqlite3_bind_int64(st, 1, run);
						sqlite3_bind_int64(st, 2, reg[k]);
						sqlite3_bind_text(st, 3, m[j], -1, SQLITE_STATIC);
						sqlite3_bind_double(st, 4, v[j]);
						if (sqlite3_step(st) != SQLITE_DONE)
							die("%s: %s", path, sqlite3_errmsg(s->db));
					}
				}
			}
		}
	}
	sqlite3_finalize(st);
	if (store__commit(s))
		return -1;
	store__close(s);
	gsl_rng_free(r);
	free(insns);
	free(reg);
	return 0;
}

/* user + system CPU time of the process so far (all threads), in ns: on a
 * shared machine it says more than the wall time */
static int64_t cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
	       ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* CPU time of the calling (main) thread: with the worker threads waiting on
 * it, about the wall time the step would take on an idle machine */
static int64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* align every workload in one transaction, with the API `emudiff align` uses */
static int align_all(struct store *s)
{
	sqlite3_stmt *st;
	int64_t *ids = NULL;
	size_t n = 0;
	int ret;

	if (sqlite3_prepare_v2(s->db, "SELECT id FROM workload ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		die("%s: %s", s->path, sqlite3_errmsg(s->db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		ids = xrealloc(ids, (n + 1) * sizeof(*ids));
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (store__begin(s)) {
		free(ids);
		return -1;
	}
	ret = align__workloads(s->db, ids, n, NULL, NULL);
	free(ids);
	if (ret) {
		store__rollback(s);
		return -1;
	}
	return store__commit(s);
}

/*
 * The floor under align: copy the rows align wrote into an empty store of the
 * same schema (PATH.floor, removed afterwards), parents first and untimed,
 * region_metric timed, in one transaction. No aligner can store its rows
 * faster than SQLite takes to insert them.
 */
static double insert_floor(struct store *s, int64_t *rows)
{
	char *path = xasprintf("%s.floor", s->path), *sql;
	struct store *f;
	int64_t t0;
	double secs = -1;

	unlink(path);
	f = store__open(path, STORE_CREATE);
	if (!f)
		die("%s: cannot create", path);
	store__close(f);
	sql = xasprintf("ATTACH '%s' AS floor", path);
	if (store__exec(s, sql) ||
	    store__exec(s, "BEGIN; INSERT INTO floor.workload SELECT * FROM main.workload;"
			   "INSERT INTO floor.run SELECT * FROM main.run;"
			   "INSERT INTO floor.region SELECT * FROM main.region; COMMIT"))
		die("%s: cannot fill the parents", path);
	t0 = now_ns();
	if (!store__exec(s, "BEGIN; INSERT INTO floor.region_metric SELECT * FROM main.region_metric; COMMIT")) {
		secs = (double)(now_ns() - t0) / 1e9;
		*rows = sqlite3_changes64(s->db);
	}
	store__exec(s, "DETACH floor");
	for (const char *ext = ""; ext; ext = !*ext ? "-wal" : !strcmp(ext, "-wal") ? "-shm" : NULL) {
		char *q = xasprintf("%s%s", path, ext);

		unlink(q);
		free(q);
	}
	free(sql);
	free(path);
	return secs;
}

/*
 * Whole-run totals where a run has none (--no-align stores have none), and
 * the first n marker regions of every workload named alike; nothing else
 * named. Untimed. 0, or -1 after a message.
 */
static int suite_units(struct store *s, int n)
{
	sqlite3_stmt *st;
	int64_t bare;

	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM run r WHERE NOT EXISTS"
				      " (SELECT 1 FROM run_metric v WHERE v.run_id = r.id)", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		return error("%s: %s", s->path, sqlite3_errmsg(s->db));
	bare = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (store__begin(s))
		return -1;
	if ((bare && store__exec(s, "INSERT OR IGNORE INTO run_metric (run_id, metric, value)"
				    " SELECT run_id, metric, sum(value) FROM region_metric GROUP BY run_id, metric")) ||
	    store__exec(s, "UPDATE region SET name = NULL WHERE name IS NOT NULL") ||
	    sqlite3_prepare_v2(s->db, "UPDATE region SET name = ?2 WHERE key = ?1", -1, &st, NULL) != SQLITE_OK) {
		store__rollback(s);
		return error("%s: %s", s->path, sqlite3_errmsg(s->db));
	}
	for (int k = 1; k <= n; k++) {
		char key[48], name[32];

		snprintf(key, sizeof(key), "m:%d->%d#1", k, k + 1);
		if (k == 1)
			snprintf(name, sizeof(name), "start");
		else
			snprintf(name, sizeof(name), "phase-%d", k);
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE || sqlite3_changes(s->db) < 2) {
			sqlite3_finalize(st);
			store__rollback(s);
			return error("%s: region %s is not in two workloads or more", s->path, key);
		}
	}
	sqlite3_finalize(st);
	return store__commit(s);
}

static int64_t count_rows(struct store *s, const char *table)
{
	char *sql = xasprintf("SELECT count(*) FROM %s", table);
	sqlite3_stmt *st;
	int64_t n = -1;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	free(sql);
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* best (smallest) and median of v[0..n), v sorted on return */
static void best_median(double *v, int n, double *best, double *median)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	*best = v[0];
	*median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* the machine's load: on a shared machine the figures mean little without it */
static void print_load(const char *when)
{
	double l[3];

	if (getloadavg(l, 3) == 3)
		printf("load average %s: %.2f %.2f %.2f\n", when, l[0], l[1], l[2]);
}

/* t[side][k][rep]: side 0 without the suite, 1 with; k wall, cpu, main thread;
 * ph[rep]: the suite phase's own wall time in the run with it */
static void compare_report(double *t[2][3], double *ph, int reps)
{
	static const char *const what[3] = { "wall", "cpu", "main thread" };
	double *w = xmalloc((size_t)reps * sizeof(*w)); /* the runs' wall times, before sorting */

	memcpy(w, t[1][0], (size_t)reps * sizeof(*w));
	for (int k = 0; k < 3; k++) {
		double b[2], m[2];

		for (int side = 0; side < 2; side++)
			best_median(t[side][k], reps, &b[side], &m[side]);
		printf("%-11s best of %d: %.3f s with the suite, %.3f s without: %.3fx; median %.3f s, %.3f s: %.3fx\n",
		       what[k], reps, b[1], b[0], b[1] / b[0], m[1], m[0], m[1] / m[0]);
	}
	/* within one run, load slows the phase and the rest alike; the
	 * fastest run is the least disturbed one */
	{
		double *r = xmalloc((size_t)reps * sizeof(*r)), pb, pm, rb, rm;
		int fi = 0;

		for (int i = 0; i < reps; i++) {
			r[i] = ph[i] / (w[i] - ph[i]);
			if (w[i] < w[fi])
				fi = i;
		}
		printf("suite phase in the fastest run with it: %.3f s of %.3f s, +%.1f %% on the rest of that run\n",
		       ph[fi], w[fi], 100 * r[fi]);
		best_median(ph, reps, &pb, &pm);
		best_median(r, reps, &rb, &rm);
		printf("suite phase in the runs with it: best %.3f s, median %.3f s; added to the rest of its run:"
		       " median +%.1f %%\n", pb, pm, 100 * rm);
		free(r);
	}
	free(w);
}

/* stats with and without the suite phase, alternating, reps times each */
static int compare(struct store *s, struct stats_options *o, int reps)
{
	double *t[2][3], *ph = xmalloc((size_t)reps * sizeof(*ph));
	struct stats_summary sum, first[2];

	for (int side = 0; side < 2; side++)
		for (int k = 0; k < 3; k++)
			t[side][k] = xmalloc((size_t)reps * sizeof(double));
	print_load("before");
	for (int i = 0; i < 2 * reps; i++) {
		/* with-without, without-with, ...: neither side always runs first */
		int rep = i / 2, side = (i % 2) ^ (rep % 2) ^ 1;
		int64_t t0 = now_ns(), c0 = cpu_ns(), m0 = thread_cpu_ns();

		o->no_suite = !side;
		if (stats__run(s->db, s->path, o, &sum))
			return -1;
		t[side][0][rep] = (double)(now_ns() - t0) / 1e9;
		t[side][1][rep] = (double)(cpu_ns() - c0) / 1e9;
		t[side][2][rep] = (double)(thread_cpu_ns() - m0) / 1e9;
		if (side)
			ph[rep] = (double)sum.suite_ns / 1e9;
		if (!rep)
			first[side] = sum;
		else if (sum.findings != first[side].findings || sum.flagged != first[side].flagged)
			return error("stats gave other findings in repetition %d", rep + 1);
		printf("%d %-7s the suite: %.2f s (cpu %.2f s, main thread %.2f s); %zu findings (%zu flagged),"
		       " %lld suite findings (%zu flagged) in %lld units x predictors, suite phase %.3f s\n",
		       rep + 1, side ? "with" : "without", t[side][0][rep], t[side][1][rep], t[side][2][rep],
		       sum.findings, sum.flagged, (long long)count_rows(s, "suite_finding"), sum.suite_flagged,
		       (long long)count_rows(s, "suite_summary"), (double)sum.suite_ns / 1e9);
	}
	if (first[0].findings != first[1].findings || first[0].flagged != first[1].flagged ||
	    first[0].regions != first[1].regions)
		return error("stats gave other findings without the suite phase");
	print_load("after");
	compare_report(t, ph, reps);
	for (int side = 0; side < 2; side++)
		for (int k = 0; k < 3; k++)
			free(t[side][k]);
	free(ph);
	return 0;
}

struct args {
	int nw, nr, nreg, marks, run_stats, floor, units, reps;
};

#define USAGE                                                                                              \
	"stats-scale STORE [--workloads W] [--runs N] [--regions R] [--resamples B] [--no-align] [--no-stats]" \
	" [--floor] [--suite-units N [--reps K]]"

static void parse_args(int argc, char **argv, struct args *a, struct stats_options *o)
{
	int64_t v;

	*a = (struct args){ 50, 30, 1000, 1, 1, 0, -1, 5 };
	if (argc < 2)
		usage_die(USAGE);
	for (int i = 2; i < argc; i += 2) {
		if (!strcmp(argv[i], "--no-align") || !strcmp(argv[i], "--no-stats") || !strcmp(argv[i], "--floor")) {
			if (!strcmp(argv[i], "--floor"))
				a->floor = 1;
			else if (argv[i][5] == 'a')
				a->marks = 0;
			else
				a->run_stats = 0;
			i--;
			continue;
		}
		/* --suite-units 0: whole-run totals, no shared region */
		if (i + 1 >= argc || parse_i64(argv[i + 1], &v) || v < !!strcmp(argv[i], "--suite-units") || v > 65535)
			usage_die("%s wants a positive integer", argv[i]);
		if (!strcmp(argv[i], "--workloads"))
			a->nw = (int)v;
		else if (!strcmp(argv[i], "--runs"))
			a->nr = (int)v;
		else if (!strcmp(argv[i], "--regions"))
			a->nreg = (int)v;
		else if (!strcmp(argv[i], "--resamples"))
			o->resamples = (size_t)v;
		else if (!strcmp(argv[i], "--suite-units"))
			a->units = (int)v;
		else if (!strcmp(argv[i], "--reps"))
			a->reps = (int)v;
		else
			usage_die("unknown option %s\n" USAGE, argv[i]);
	}
}

int main(int argc, char **argv)
{
	struct args a;
	struct stats_options o;
	struct stats_summary sum;
	struct store *s;
	int64_t t0, t1, t2, c0, c1, c2, m1, m2;
	int nw, nr, nreg, marks, run_stats, floor;

	gsl_set_error_handler_off();
	stats_options__init(&o);
	o.quiet = 1;
	parse_args(argc, argv, &a, &o);
	nw = a.nw, nr = a.nr, nreg = a.nreg, marks = a.marks, floor = a.floor;
	run_stats = a.run_stats;
	if (access(argv[1], F_OK)) {
		t0 = now_ns();
		if (generate(argv[1], nw, nr, nreg, marks))
			return 2;
		printf("generated %d workloads x 2 platforms x %d runs x %d regions in %.1f s\n", nw, nr, nreg,
		       (double)(now_ns() - t0) / 1e9);
	}
	s = store__open(argv[1], 0);
	if (!s)
		return 2;
	t0 = now_ns();
	c0 = cpu_ns();
	if (marks && align_all(s))
		return 2;
	t1 = now_ns();
	c1 = cpu_ns();
	m1 = thread_cpu_ns();
	if (a.units >= 0 && a.run_stats) {
		if (marks)
			printf("align: %.2f s (cpu %.2f s)\n", (double)(t1 - t0) / 1e9, (double)(c1 - c0) / 1e9);
		if (suite_units(s, a.units) || compare(s, &o, a.reps))
			return 2;
		store__close(s);
		return 0;
	}
	if (run_stats && stats__run(s->db, s->path, &o, &sum))
		return 2;
	t2 = now_ns();
	c2 = cpu_ns();
	m2 = thread_cpu_ns();
	store__close(s);
	if (marks)
		printf("align: %.2f s (cpu %.2f s)\n", (double)(t1 - t0) / 1e9, (double)(c1 - c0) / 1e9);
	if (run_stats)
		printf("stats: %zu workloads, %zu regions, %zu findings (%zu flagged), %zu resamples: %.2f s"
		       " (cpu %.2f s, main thread %.2f s)\n",
		       sum.workloads, sum.regions, sum.findings, sum.flagged, o.resamples, (double)(t2 - t1) / 1e9,
		       (double)(c2 - c1) / 1e9, (double)(m2 - m1) / 1e9);
	printf("total: %.2f s (cpu %.2f s)\n", (double)(t2 - t0) / 1e9, (double)(c2 - c0) / 1e9);
	if (floor) {
		int64_t rows = 0;
		double fs;

		s = store__open(argv[1], 0);
		if (!s)
			return 2;
		fs = insert_floor(s, &rows);
		store__close(s);
		if (fs < 0)
			return 2;
		printf("insert floor: %lld region_metric rows copied into an empty store in %.2f s", (long long)rows, fs);
		if (marks)
			printf(" (align took %.2fx that)", (double)(t1 - t0) / 1e9 / fs);
		putchar('\n');
	}
	return 0;
}
