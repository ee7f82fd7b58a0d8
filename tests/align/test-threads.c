/*
 * test-threads.c - align__workload() on runs with three threads whose marker
 * hits interleave: a region is the stretch between two consecutive hits of
 * the same thread, each thread has its own reference and keys (@t<k> for
 * k > 0), and every region metric (insns, qemu_host_ns, time_ns, mark_value
 * differences, events by seq, symbol roll-ups) is that thread's. Every
 * expected value is worked out by hand from the hits below.
 *
 * Threads of every run: 0 hits 1 2 5; 1 hits 2 3 2 3 4 (a loop of two
 * iterations); 2 hits 2 3 4. mark.insns counts each thread's own
 * instructions from 0.
 *
 * usage: test-threads SCRATCH-DIR MARKED-ELF (its markers: 1 setup, 2 compute, 4 output)
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "align.h"
#include "check.h"
#include "query.h"
#include "common.h"
#include "store.h"
#include "align_test.h"

static struct store *s;
static int64_t wid;

struct hit {
	int thread, id;
	int64_t insns, time; /* -1: NULL */
};

static int64_t add_run(const char *platform, int rep, const char *config, const struct hit *h, int n)
{
	struct run_info ri = { .workload_id = wid, .platform = platform, .config_json = config,
			       .rep = rep, .status = "ok", .exit_code = 0, .wall_ns = 1 };
	int64_t r = store__run_add(s, &ri);

	for (int i = 0; i < n; i++)
		CHECK(store__mark_add(s, r, i, h[i].thread, h[i].id, h[i].insns, h[i].time) == 0);
	return r;
}

/* A region metric of the test's workload, or -1 when the row is absent. */
static double metric(int64_t run, const char *key, const char *name)
{
	return test_region_metric(s->db, wid, run, key, name);
}

static char *query_text(const char *sql)
{
	return test_query_text(s->db, sql);
}

static void check_text(const char *sql, const char *want)
{
	char *got = query_text(sql);

	CHECKF(!strcmp(got, want), "%s\n  got  %s\n  want %s", sql, got, want);
	free(got);
}

/* and the alignment of each run's threads */
#define SNAPSHOT                                                                                    \
	SNAPSHOT_OF(" (SELECT group_concat(x, ';') FROM (SELECT run_id || '.' || thread || ':' || matched" \
		    " || '/' || gaps || '/' || ref_run_id AS x FROM alignment_thread ORDER BY x))")

int main(int argc, char **argv)
{
	/* QEMU: the threads interleave; insns per thread, host time global */
	static const struct hit q0[] = {
		{ 0, 1, 0, 0 },     /* seq 0 */
		{ 0, 2, 100, 10 },  /* 1 */
		{ 1, 2, 0, 12 },    /* 2 */
		{ 2, 2, 0, 13 },    /* 3 */
		{ 1, 3, 300, 20 },  /* 4 */
		{ 2, 3, 500, 25 },  /* 5 */
		{ 1, 2, 350, 30 },  /* 6 */
		{ 1, 3, 650, 40 },  /* 7 */
		{ 2, 4, 520, 45 },  /* 8 */
		{ 1, 4, 700, 50 },  /* 9 */
		{ 0, 5, 1000, 60 }, /* 10 */
	};
	/* the same instructions, another interleaving */
	static const struct hit q1[] = {
		{ 0, 1, 0, 0 }, { 1, 2, 0, 1 }, { 1, 3, 300, 3 }, { 0, 2, 100, 4 }, { 2, 2, 0, 5 },
		{ 1, 2, 350, 6 }, { 2, 3, 500, 8 }, { 1, 3, 650, 9 }, { 2, 4, 520, 11 }, { 1, 4, 700, 12 },
		{ 0, 5, 1000, 20 },
	};
	/* hardware: time only; thread 2 lost its marker 3 in h1 */
	static const struct hit h0[] = {
		{ 0, 1, -1, 1000 }, { 1, 2, -1, 1100 }, { 2, 2, -1, 1150 }, { 0, 2, -1, 1200 },
		{ 1, 3, -1, 1500 }, { 2, 3, -1, 1900 }, { 1, 2, -1, 1600 }, { 1, 3, -1, 2000 },
		{ 2, 4, -1, 1950 }, { 1, 4, -1, 2100 }, { 0, 5, -1, 3000 },
	};
	static const struct hit h1[] = {
		{ 0, 1, -1, 0 }, { 0, 2, -1, 100 }, { 1, 2, -1, 110 }, { 2, 2, -1, 120 }, { 1, 3, -1, 410 },
		{ 1, 2, -1, 460 }, { 1, 3, -1, 760 }, { 2, 4, -1, 700 }, { 1, 4, -1, 810 }, { 0, 5, -1, 1000 },
	};
	static const char complete[] = "{\"mark_symbols_complete\": 100}";
	struct align_result r;
	int64_t rq0, rq1, rh0, rh1;
	char *path, *snap1, *snap2;

	if (argc != 3)
		return 2;
	path = xasprintf("%s/threads.db", argv[1]);
	unlink(path);
	s = store__open(path, STORE_CREATE);
	if (!s)
		return 1;
	CHECK(store__begin(s) == 0);
	wid = store__workload(s, "threads", "x86_64", argv[2], "[]");
	rq0 = add_run("qemu-user", 0, complete, q0, 11);
	rq1 = add_run("qemu-user", 1, "{}", q1, 11);
	rh0 = add_run("hw", 0, "{}", h0, 11);
	rh1 = add_run("hw", 1, "{}", h1, 10);
	/* a counter read at thread 1's hits only (seq 2 4 6 7 9) */
	CHECK(store__mark_value_add(s, rq0, 2, "mem_accesses", 0) == 0);
	CHECK(store__mark_value_add(s, rq0, 4, "mem_accesses", 30) == 0);
	CHECK(store__mark_value_add(s, rq0, 6, "mem_accesses", 35) == 0);
	CHECK(store__mark_value_add(s, rq0, 7, "mem_accesses", 65) == 0);
	CHECK(store__mark_value_add(s, rq0, 9, "mem_accesses", 70) == 0);
	/* cycles on hardware at every hit: 10x the time */
	for (int i = 0; i < 11; i++)
		CHECK(store__mark_value_add(s, rh0, i, "cycles", 10.0 * (double)h0[i].time) == 0);
	/* events after a hit belong to that hit's thread */
	CHECK(store__event_add(s, rq0, 0, 0, "syscall", "64", 1) == 0); /* t0 1->2 */
	CHECK(store__event_add(s, rq0, 0, 4, "syscall", "64", 2) == 0); /* t1 3->2 */
	CHECK(store__event_add(s, rq0, 0, 5, "syscall", "63", 1) == 0); /* t2 3->4 */
	CHECK(store__event_add(s, rq0, 0, 9, "syscall", "93", 5) == 0); /* after thread 1's last */
	/* symbols per marker interval: seq >= 0 the thread of hit seq; -2: before thread 1's first */
	CHECK(store__mark_symbol_set(s, rq0, 0, "init", "insns", 100) == 0);
	CHECK(store__mark_symbol_set(s, rq0, 1, "main", "insns", 900) == 0);
	CHECK(store__mark_symbol_set(s, rq0, 2, "work", "insns", 300) == 0);
	CHECK(store__mark_symbol_set(s, rq0, 4, "sync", "insns", 50) == 0);
	CHECK(store__mark_symbol_set(s, rq0, 6, "work", "insns", 300) == 0);
	CHECK(store__mark_symbol_set(s, rq0, 7, "sync", "insns", 50) == 0);
	CHECK(store__mark_symbol_set(s, rq0, 3, "work", "insns", 500) == 0);
	CHECK(store__mark_symbol_set(s, rq0, 5, "sync", "insns", 20) == 0);
	CHECK(store__mark_symbol_set(s, rq0, -2, "start", "insns", 7) == 0);
	CHECK(store__commit(s) == 0);

	CHECK_EQ_INT(test_align_once(s, wid, &r), 0);
	CHECK_EQ_INT(r.ref_run_id, rq0);
	CHECK_EQ_INT(r.threads, 3);
	CHECK_EQ_INT(r.refs_differ, 0);
	CHECK_EQ_INT(r.ref_len, 3 + 5 + 3);
	CHECK_EQ_INT(r.regions, 2 + 4 + 2);
	CHECK_EQ_INT(r.runs, 4);
	CHECK_EQ_INT(r.runs_exact, 3);
	CHECK_EQ_INT(r.runs_partial, 1);
	CHECK_EQ_INT(r.runs_failed, 0);
	CHECK_EQ_INT(r.rollup_runs, 1);
	CHECK_EQ_INT(r.rollup_mismatches, 0);

	/* keys: thread 0 as before, the others with @t<k>; names from the markers */
	check_text("SELECT group_concat(key || '=' || coalesce(name, '-'), ' ') FROM"
		   " (SELECT * FROM region WHERE key LIKE 'm:%' ORDER BY key)",
		   "m:1->2#1=setup m:2->3#1@t1=compute m:2->3#1@t2=compute m:2->3#2@t1=compute"
		   " m:2->5#1=compute m:3->2#1@t1=- m:3->4#1@t1=- m:3->4#1@t2=-");

	/* QEMU: each thread's own instructions, host time between its own hits */
	CHECK_EQ_INT(metric(rq0, "m:1->2#1", "insns"), 100);
	CHECK_EQ_INT(metric(rq0, "m:2->5#1", "insns"), 900);
	CHECK_EQ_INT(metric(rq0, "m:2->5#1", "qemu_host_ns"), 50);
	CHECK_EQ_INT(metric(rq0, "m:2->3#1@t1", "insns"), 300);
	CHECK_EQ_INT(metric(rq0, "m:2->3#1@t1", "qemu_host_ns"), 8);
	CHECK_EQ_INT(metric(rq0, "m:3->2#1@t1", "insns"), 50);
	CHECK_EQ_INT(metric(rq0, "m:2->3#2@t1", "insns"), 300);
	CHECK_EQ_INT(metric(rq0, "m:3->4#1@t1", "insns"), 50);
	CHECK_EQ_INT(metric(rq0, "m:3->4#1@t1", "qemu_host_ns"), 10);
	CHECK_EQ_INT(metric(rq0, "m:2->3#1@t2", "insns"), 500);
	CHECK_EQ_INT(metric(rq0, "m:3->4#1@t2", "insns"), 20);
	CHECK_EQ_INT(metric(rq0, "m:3->4#1@t2", "qemu_host_ns"), 20);
	CHECK_EQ_INT(metric(rq1, "m:2->3#1@t1", "insns"), 300);
	CHECK_EQ_INT(metric(rq1, "m:2->3#1@t1", "qemu_host_ns"), 2);
	CHECK_EQ_INT(metric(rq1, "m:2->5#1", "qemu_host_ns"), 16);
	/* mark_value: thread 1 only */
	CHECK_EQ_INT(metric(rq0, "m:2->3#1@t1", "mem_accesses"), 30);
	CHECK_EQ_INT(metric(rq0, "m:3->2#1@t1", "mem_accesses"), 5);
	CHECK_EQ_INT(metric(rq0, "m:2->3#2@t1", "mem_accesses"), 30);
	CHECK_EQ_INT(metric(rq0, "m:3->4#1@t1", "mem_accesses"), 5);
	CHECK_EQ_INT(metric(rq0, "m:2->3#1@t2", "mem_accesses"), -1);
	CHECK_EQ_INT(metric(rq0, "m:1->2#1", "mem_accesses"), -1);
	/* events by seq, per thread; 0 in the regions of a run that recorded the kind */
	CHECK_EQ_INT(metric(rq0, "m:1->2#1", "syscalls"), 1);
	CHECK_EQ_INT(metric(rq0, "m:2->5#1", "syscalls"), 0);
	CHECK_EQ_INT(metric(rq0, "m:3->2#1@t1", "syscalls"), 2);
	CHECK_EQ_INT(metric(rq0, "m:2->3#1@t1", "syscalls"), 0);
	CHECK_EQ_INT(metric(rq0, "m:3->4#1@t2", "syscalls"), 1);
	CHECK_EQ_INT(metric(rq0, "m:2->3#1@t2", "syscalls"), 0);
	CHECK_EQ_INT(metric(rq1, "m:3->2#1@t1", "syscalls"), -1);
	check_text("SELECT group_concat(coalesce(g.key, '-'), ' ') FROM"
		   " (SELECT * FROM event_count ORDER BY rowid) e LEFT JOIN region g ON g.id = e.region_id",
		   "m:1->2#1 m:3->2#1@t1 m:3->4#1@t2 -");
	/* hardware: time and cycles between a thread's own hits, whatever the order of seq */
	CHECK_EQ_INT(metric(rh0, "m:1->2#1", "time_ns"), 200);
	CHECK_EQ_INT(metric(rh0, "m:2->5#1", "time_ns"), 1800);
	CHECK_EQ_INT(metric(rh0, "m:2->3#1@t1", "time_ns"), 400);
	CHECK_EQ_INT(metric(rh0, "m:3->2#1@t1", "time_ns"), 100);
	CHECK_EQ_INT(metric(rh0, "m:2->3#2@t1", "time_ns"), 400);
	CHECK_EQ_INT(metric(rh0, "m:3->4#1@t1", "time_ns"), 100);
	CHECK_EQ_INT(metric(rh0, "m:2->3#1@t2", "time_ns"), 750);
	CHECK_EQ_INT(metric(rh0, "m:3->4#1@t2", "time_ns"), 50);
	CHECK_EQ_INT(metric(rh0, "m:2->3#1@t2", "cycles"), 7500);
	CHECK_EQ_INT(metric(rh0, "m:2->3#1@t1", "insns"), -1);
	/* h1: thread 2 lost marker 3, its two regions are absent; threads 0 and 1 line up */
	CHECK_EQ_INT(metric(rh1, "m:2->5#1", "time_ns"), 900);
	CHECK_EQ_INT(metric(rh1, "m:3->2#1@t1", "time_ns"), 50);
	CHECK_EQ_INT(metric(rh1, "m:3->4#1@t1", "time_ns"), 50);
	CHECK_EQ_INT(metric(rh1, "m:2->3#1@t2", "time_ns"), -1);
	CHECK_EQ_INT(metric(rh1, "m:3->4#1@t2", "time_ns"), -1);

	/* symbol roll-ups per thread, with the thread's suffix; seq -2 belongs to no pair */
	check_text("SELECT group_concat(x, ' ') FROM (SELECT g.key || '=' || m.value AS x FROM region g"
		   " JOIN region_metric m ON m.region_id = g.id AND m.metric = 'insns'"
		   " WHERE g.key LIKE 'ms:%' ORDER BY g.key)",
		   "ms:1->2/init=100.0 ms:2->3/work@t1=600.0 ms:2->3/work@t2=500.0 ms:2->5/main=900.0"
		   " ms:3->2/sync@t1=50.0 ms:3->4/sync@t1=50.0 ms:3->4/sync@t2=20.0");

	/* alignment: thread 0 in alignment, the others in alignment_thread, each to its reference */
	{
		char *want = xasprintf("%lld:3/0/%lld %lld:3/0/%lld %lld:3/0/%lld %lld:3/0/%lld", (long long)rq0,
				       (long long)rq0, (long long)rq1, (long long)rq0, (long long)rh0,
				       (long long)rq0, (long long)rh1, (long long)rq0);

		check_text("SELECT group_concat(run_id || ':' || matched || '/' || gaps || '/' || ref_run_id, ' ')"
			   " FROM (SELECT * FROM alignment ORDER BY run_id)", want);
		free(want);
	}
	check_text("SELECT group_concat(thread || ':' || matched || '/' || gaps || '/' || mismatches, ' ')"
		   " FROM (SELECT * FROM alignment_thread ORDER BY run_id, thread)",
		   "1:5/0/0 2:3/0/0 1:5/0/0 2:3/0/0 1:5/0/0 2:3/0/0 1:5/0/0 2:2/1/0");

	/* a second align writes exactly the same */
	snap1 = query_text(SNAPSHOT);
	CHECK_EQ_INT(test_align_once(s, wid, &r), 0);
	snap2 = query_text(SNAPSHOT);
	CHECK(strlen(snap1) > 100);
	CHECK(!strcmp(snap1, snap2));
	free(snap1);
	free(snap2);

	/* the threads' references from different runs: thread 2's most common sequence is
	 * 2 4 in the three new runs, which have no thread 1 */
	{
		static const struct hit h2[] = { { 0, 1, -1, 0 }, { 2, 2, -1, 5 }, { 0, 2, -1, 10 },
						 { 2, 4, -1, 20 }, { 0, 5, -1, 30 } };

		CHECK(store__begin(s) == 0);
		for (int i = 0; i < 3; i++)
			add_run("hw", 10 + i, "{}", h2, 5);
		CHECK(store__commit(s) == 0);
		CHECK_EQ_INT(test_align_once(s, wid, &r), 0);
		CHECK_EQ_INT(r.threads, 3);
		CHECK_EQ_INT(r.refs_differ, 1);
		CHECK_EQ_INT(r.regions, 2 + 4 + 1);
		/* h1's thread 2 is the new reference; the new runs lack thread 1, the others'
		 * thread 2 has an extra marker */
		CHECK_EQ_INT(r.runs_exact, 1);
		CHECK_EQ_INT(r.runs_partial, 6);
		CHECK_EQ_INT(metric(rq0, "m:2->4#1@t2", "insns"), 520);
		CHECK_EQ_INT(metric(rh1, "m:2->4#1@t2", "time_ns"), 580);
		CHECK_EQ_INT(metric(rq0, "m:2->3#1@t2", "insns"), -1);
		check_text("SELECT count(*) FROM region WHERE key IN ('m:2->3#1@t2', 'ms:2->3/work@t2')", "0");
		/* the extra hit is inside the region: both symbols are in pair 2->4 */
		check_text("SELECT group_concat(x, ' ') FROM (SELECT g.key || '=' || m.value AS x FROM region g"
			   " JOIN region_metric m ON m.region_id = g.id WHERE g.key LIKE 'ms:2->4/%' ORDER BY g.key)",
			   "ms:2->4/sync@t2=20.0 ms:2->4/work@t2=500.0");
		check_text("SELECT group_concat(DISTINCT note) FROM alignment_thread a JOIN run r ON r.id = a.run_id"
			   " WHERE a.thread = 1 AND r.rep >= 10",
			   "no markers");
	}
	store__close(s);
	unlink(path);
	free(path);
	return check_exit();
}
