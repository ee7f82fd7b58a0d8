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
 *                          [--no-align] [--no-stats] [--floor]
 * --no-align writes the region metrics directly instead of marker hits and
 * times stats alone; --no-stats times align alone; --floor then copies the
 * region_metric rows into an empty store of the same schema and prints that
 * time beside align's (what SQLite alone needs to store them). Wall and CPU
 * (user + system, all threads) times are printed for each step. An existing
 * STORE is reused (generation is not timed).
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
	if (sqlite3_prepare_v2(s->db, marks ? "INSERT INTO mark (run_id, seq, mark_id, insns, time_ns) VALUES (?1, ?2, ?3, ?4, ?5)"
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

int main(int argc, char **argv)
{
	int nw = 50, nr = 30, nreg = 1000, marks = 1, run_stats = 1, floor = 0;
	int64_t v;
	struct stats_options o;
	struct stats_summary sum;
	struct store *s;
	int64_t t0, t1, t2, c0, c1, c2, m1, m2;

	gsl_set_error_handler_off();
	stats_options__init(&o);
	o.quiet = 1;
	if (argc < 2)
		usage_die("stats-scale STORE [--workloads W] [--runs N] [--regions R] [--resamples B] [--no-align] [--no-stats] [--floor]");
	for (int i = 2; i < argc; i += 2) {
		if (!strcmp(argv[i], "--no-align") || !strcmp(argv[i], "--no-stats") || !strcmp(argv[i], "--floor")) {
			if (!strcmp(argv[i], "--floor"))
				floor = 1;
			else if (argv[i][5] == 'a')
				marks = 0;
			else
				run_stats = 0;
			i--;
			continue;
		}
		if (i + 1 >= argc || parse_i64(argv[i + 1], &v) || v < 1)
			usage_die("%s wants a positive integer", argv[i]);
		if (!strcmp(argv[i], "--workloads"))
			nw = (int)v;
		else if (!strcmp(argv[i], "--runs"))
			nr = (int)v;
		else if (!strcmp(argv[i], "--regions"))
			nreg = (int)v;
		else if (!strcmp(argv[i], "--resamples"))
			o.resamples = (size_t)v;
		else
			usage_die("unknown option %s", argv[i]);
	}
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
