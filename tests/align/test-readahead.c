/*
 * test-readahead.c - align__workloads() reading ahead on a second connection
 * writes the same rows as align__workload() reading in the caller's thread:
 * region, region_metric, alignment and event_count compared whole, on three
 * workloads (identical runs with marker values and events, runs with gaps,
 * no markers at all), in a file store and an in-memory one (no second
 * connection: the serial path). Then the error paths with the reader thread
 * running: a missing workload, a callback that stops, a reader that fails.
 *
 * usage: test-readahead BUILD-DIR (a scratch directory is made there, and
 * removed when every check passed)
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "align.h"
#include "check.h"
#include "query.h"
#include "common.h"
#include "regions.h"
#include "store.h"

enum { MARKS = 300 }; /* more metric rows per run than one insert batch */

static uint64_t lcg = 12345;

static int64_t next_rand(int64_t mod)
{
	lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
	return (int64_t)((lcg >> 33) % (uint64_t)mod);
}

/* One run; drop >= 0 leaves that marker out, extra >= 0 adds marker 999 there. */
static int64_t add_run(struct store *s, int64_t wid, const char *platform, int rep, const char *status,
		       int n, int drop, int extra)
{
	struct run_info ri = { .workload_id = wid, .platform = platform, .config_json = "{}",
			       .rep = rep, .status = status, .exit_code = 0, .wall_ns = 1 };
	int64_t r = store__run_add(s, &ri), insns = 0, t = 0, seq = 0;
	int qemu = !strncmp(platform, "qemu-", 5), i;

	for (i = 0; i < n; i++) {
		if (i == drop)
			continue;
		if (i == extra)
			CHECK(store__mark_add(s, r, seq++, 0, 999, qemu ? insns : -1, t) == 0);
		insns += 100 + next_rand(1000);
		t += 10 + next_rand(100);
		CHECK(store__mark_add(s, r, seq, 0, 1 + i % 7, qemu ? insns : -1, t) == 0);
		if (i % 3)
			CHECK(store__mark_value_add(s, r, seq, "cycles", (double)(3 * insns)) == 0);
		if (!qemu && i % 5) /* the name of the counter hardware runs lack here */
			CHECK(store__mark_value_add(s, r, seq, "instret", (double)insns) == 0);
		if (i % 11 == 0)
			CHECK(store__event_add(s, r, 0, seq, i % 2 ? "syscall" : "trap_entry", "x",
					       1 + next_rand(5)) == 0);
		seq++;
	}
	CHECK(store__event_add(s, r, 0, -1, "syscall", "whole run", 7) == 0);
	return r;
}

static void fill(struct store *s, int64_t *ids)
{
	int k;

	lcg = 12345;
	CHECK(store__begin(s) == 0);
	ids[0] = store__workload(s, "same", "x86_64", NULL, "[]");
	for (k = 0; k < 3; k++) {
		add_run(s, ids[0], "qemu-user", k, "ok", MARKS, -1, -1);
		add_run(s, ids[0], "hw", k, "ok", MARKS, -1, -1);
	}
	ids[1] = store__workload(s, "gaps", "x86_64", NULL, "[]");
	add_run(s, ids[1], "qemu-user", 0, "ok", MARKS, -1, -1);
	add_run(s, ids[1], "qemu-user", 1, "ok", MARKS, -1, -1);
	add_run(s, ids[1], "hw", 0, "ok", MARKS, 40, -1);
	add_run(s, ids[1], "hw", 1, "ok", MARKS, -1, 100);
	add_run(s, ids[1], "hw", 2, "warmup", MARKS, -1, -1);
	add_run(s, ids[1], "hw", 3, "failed", MARKS, -1, -1);
	add_run(s, ids[1], "hw", 4, "ok", 0, -1, -1);
	ids[2] = store__workload(s, "none", "x86_64", NULL, "[]");
	add_run(s, ids[2], "hw", 0, "ok", 0, -1, -1);
	CHECK(store__commit(s) == 0);
}

/* Everything align writes, as one string (caller frees). */
static char *snapshot(struct store *s)
{
	static const char sql[] =
		"SELECT (SELECT group_concat(x, ';') FROM (SELECT id || workload_id || key ||"
		" coalesce(name, '-') AS x FROM region ORDER BY id)) || '#' ||"
		" (SELECT group_concat(x, ';') FROM (SELECT run_id || ',' || region_id || metric ||"
		" quote(value) AS x FROM region_metric ORDER BY run_id, region_id, metric)) || '#' ||"
		" (SELECT group_concat(x, ';') FROM (SELECT run_id || ',' || ref_run_id || ',' || matched ||"
		" ',' || gaps || ',' || mismatches || note AS x FROM alignment ORDER BY run_id)) || '#' ||"
		" (SELECT group_concat(x, ';') FROM (SELECT rowid || ',' || coalesce(region_id, '-') AS x"
		" FROM event_count ORDER BY rowid))";
	sqlite3_stmt *st;
	char *r = NULL;

	CHECK(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		r = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return r ? r : xstrdup("");
}

struct calls {
	size_t n, stop_after;
};

static int count_done(void *arg, size_t i, const struct align_result *r)
{
	struct calls *c = arg;

	CHECK_EQ_INT(i, c->n);
	(void)r;
	return ++c->n == c->stop_after ? -1 : 0;
}

/* The jobs a reader hands out, as a string: "B" per workload read, "R<matched>/<gaps>"
 * per run (its first thread's), "E" per workload done; ra NULL: rd in this thread. */
static char *drain(struct readahead *ra, struct reader *rd)
{
	char *sig = xstrdup(""), *next;
	struct job *j;
	int got;

	while ((got = ra ? readahead__next(ra, &j) : reader__next(rd, &j)) == 1) {
		if (j->type == JOB_RUN)
			next = xasprintf("%sR%zu/%zu ", sig, j->run.lanes[0].stats.matched, j->run.lanes[0].stats.gaps);
		else
			next = xasprintf("%s%s ", sig, j->type == JOB_WORKLOAD_BEGIN ? "B" : "E");
		free(sig);
		sig = next;
		job__free(j);
	}
	CHECK_EQ_INT(got, 0);
	return sig;
}

/* align__workload() one by one: the reader in this thread. */
static char *align_serial(struct store *s, const int64_t *ids, size_t n)
{
	struct align_result r;
	size_t i;

	CHECK(store__begin(s) == 0);
	for (i = 0; i < n; i++)
		CHECK(align__workload(s->db, ids[i], &r) == 0);
	CHECK(store__commit(s) == 0);
	return snapshot(s);
}

static char *align_ahead(struct store *s, const int64_t *ids, size_t n)
{
	struct calls c = { 0, 0 };

	CHECK(store__begin(s) == 0);
	CHECK(align__workloads(s->db, ids, n, count_done, &c) == 0);
	CHECK_EQ_INT(c.n, n);
	CHECK(store__commit(s) == 0);
	return snapshot(s);
}

/* align__workloads() fails with -1, and the transaction rolls back to nothing. */
static void align_fails(struct store *s, const int64_t *ids, size_t n, size_t stop_after,
			size_t calls)
{
	struct calls c = { 0, stop_after };

	CHECK(store__begin(s) == 0);
	CHECK(align__workloads(s->db, ids, n, count_done, &c) < 0);
	CHECK_EQ_INT(c.n, calls);
	store__rollback(s);
	CHECK_EQ_INT(test_query_d(s->db, "SELECT count(*) FROM region_metric"), 0);
	CHECK_EQ_INT(test_query_d(s->db, "SELECT count(*) FROM alignment"), 0);
}

static struct store *copy_of(struct store *src, const char *path)
{
	char *sql = sqlite3_mprintf("VACUUM INTO %Q", path);

	unlink(path);
	CHECK(store__exec(src, sql) == 0);
	sqlite3_free(sql);
	return store__open(path, 0);
}

int main(int argc, char **argv)
{
	int64_t ids[3], bad[3];
	struct store *orig, *s, *m;
	char *dir, *orig_path, *path, *serial, *ahead;
	struct readahead *ra;
	int rc;

	if (argc != 2)
		return 2;
	dir = xasprintf("%s/readahead-XXXXXX", argv[1]);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	messages_quiet(1); /* the runs with gaps warn */
	orig_path = xasprintf("%s/orig.db", dir);
	path = xasprintf("%s/copy.db", dir);
	orig = store__open(orig_path, STORE_CREATE);
	if (!orig)
		return 1;
	fill(orig, ids);

	s = copy_of(orig, path);
	CHECK(s != NULL);
	serial = align_serial(s, ids, 3);
	store__close(s);
	CHECK(strstr(serial, "m:1->2#1") != NULL && strstr(serial, "cycles") != NULL);
	CHECK(strstr(serial, "syscalls") != NULL && strstr(serial, "instret") != NULL);
	CHECK(strstr(serial, "no markers") != NULL && strstr(serial, "missing") != NULL);

	/* a file in WAL mode: a second connection, and the same rows through it */
	s = copy_of(orig, path);
	CHECK(s != NULL);
	ra = readahead__start(s->db, path, ids, 3);
	CHECK(ra != NULL);
	readahead__free(ra); /* stopped before anything was taken */
	/* the thread, on its connection, hands out the jobs a reader in this
	 * thread reads: each workload read and done once, its runs aligned alike */
	{
		struct reader *rd = reader__new(s->db, path, ids, 3);
		char *here = drain(NULL, rd), *there;

		reader__free(rd);
		ra = readahead__start(s->db, path, ids, 3);
		CHECK(ra != NULL);
		there = ra ? drain(ra, NULL) : xstrdup("");
		readahead__free(ra);
		CHECKF(!strcmp(here, there), "thread: %.200s\nhere: %.200s", there, here);
		/* from fill(): "same" 6 identical runs; "gaps" in run order qemu 0, 1, hw 0
		 * (marker 40 lost), hw 1 (one extra), the warm-up, hw 4 without markers
		 * (the failed run is not read); "none" has no reference, so no run jobs */
		CHECKF(!strcmp(here, "B R300/0 R300/0 R300/0 R300/0 R300/0 R300/0 E "
				     "B R300/0 R300/0 R299/1 R300/1 R300/0 R0/300 E B E "),
		       "jobs: %.300s", here);
		free(here);
		free(there);
	}
	ahead = align_ahead(s, ids, 3);
	CHECKF(!strcmp(serial, ahead), "read ahead:\n%.300s\nin this thread:\n%.300s", ahead, serial);
	free(ahead);
	/* again over the rows of the first align: removed first, written the same */
	ahead = align_ahead(s, ids, 3);
	CHECK(!strcmp(serial, ahead));
	free(ahead);
	store__close(s);

	/* in memory: no second connection, the reader runs in this thread */
	m = store__open(":memory:", STORE_CREATE);
	CHECK(m != NULL);
	CHECK(readahead__start(m->db, "memory", ids, 3) == NULL);
	fill(m, bad);
	CHECK(!memcmp(ids, bad, sizeof(ids)));
	ahead = align_ahead(m, ids, 3);
	CHECK(!strcmp(serial, ahead));
	free(ahead);
	store__close(m);

	/* failures with the reader thread ahead: each rolls back, none hangs */
	s = copy_of(orig, path);
	CHECK(s != NULL);
	bad[0] = ids[0];
	bad[1] = 999999;
	bad[2] = ids[2];
	align_fails(s, bad, 3, 0, 1);      /* no such workload */
	align_fails(s, ids, 3, 1, 1);      /* the callback stops it, the reader jobs ahead */
	CHECK(store__exec(s, "DROP TABLE mark_value") == 0); /* the reader cannot prepare */
	align_fails(s, ids, 3, 0, 0);
	CHECK(store__begin(s) == 0);
	{
		struct align_result r;

		CHECK(align__workload(s->db, ids[0], &r) < 0);
	}
	store__rollback(s);
	store__close(s);

	store__close(orig);
	free(serial);
	free(orig_path);
	free(path);
	rc = check_exit_removing(dir);
	free(dir);
	return rc;
}
