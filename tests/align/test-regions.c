/*
 * test-regions.c - align__workload() on a store with known runs: QEMU and
 * hardware runs with identical marker sequences, a hardware run that lost a
 * marker, a console run with an extra one, a warm-up, a failed run and a run
 * without markers. Checks region keys and names (from the test ELF's
 * .emudiff_marks), every metric of the contract against hand-computed
 * differences, event assignment and per-region totals, the alignment table,
 * that symbol regions survive, that a second align changes nothing, and a
 * 10^5-iteration loop.
 *
 * usage: test-regions SCRATCH-DIR MARKED-ELF
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

static int64_t add_run(const char *platform, int rep, const char *status, const int *ids,
		       const int64_t *insns, const int64_t *time, int n)
{
	struct run_info ri = { .workload_id = wid, .platform = platform, .config_json = "{}",
			       .rep = rep, .status = status, .exit_code = 0, .wall_ns = 1 };
	int64_t r = store__run_add(s, &ri);
	int i;

	for (i = 0; i < n; i++)
		CHECK(store__mark_add(s, r, i, 0, ids[i], insns ? insns[i] : -1, time[i]) == 0);
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

/* and the alignment of each run */
#define SNAPSHOT                                                                                 \
	SNAPSHOT_OF(" (SELECT group_concat(x, ';') FROM (SELECT run_id || ':' || matched || '/' ||"  \
		    " gaps || '/' || mismatches || '/' || ref_run_id AS x FROM alignment ORDER BY x))")

int main(int argc, char **argv)
{
	static const int ref[] = { 1, 2, 3, 2, 3, 4 };
	static const int64_t q0_insns[] = { 0, 100, 250, 350, 500, 600 };
	static const int64_t q0_time[] = { 0, 10, 20, 30, 40, 50 };
	static const int64_t q1_insns[] = { 5, 105, 255, 355, 505, 605 };
	static const int64_t q1_time[] = { 0, 11, 22, 33, 44, 55 };
	static const int64_t h0_time[] = { 0, 1000, 3000, 4000, 6500, 7000 };
	static const int64_t h0_inst[] = { 0, 90, 260, 340, 520, 590 };
	static const int lost[] = { 1, 2, 2, 3, 4 };
	static const int64_t h1_time[] = { 0, 1000, 4000, 6500, 7000 };
	static const int extra[] = { 1, 2, 9, 3, 2, 3, 4 };
	static const int64_t c0_time[] = { 0, 100, 150, 300, 400, 650, 700 };
	struct align_result r;
	int64_t q0, q1, h0, h1, hw_warm, hw_fail, c0, empty, sreg;
	char *path, *snap1, *snap2;
	int i;

	if (argc != 3)
		return 2;
	path = xasprintf("%s/regions.db", argv[1]);
	unlink(path);
	s = store__open(path, STORE_CREATE);
	if (!s)
		return 1;
	CHECK(store__begin(s) == 0);
	wid = store__workload(s, "marked", "x86_64", argv[2], "[]");
	q0 = add_run("qemu-user", 0, "ok", ref, q0_insns, q0_time, 6);
	q1 = add_run("qemu-user", 1, "ok", ref, q1_insns, q1_time, 6);
	h0 = add_run("hw", 0, "ok", ref, h0_inst, h0_time, 6);
	h1 = add_run("hw", 1, "ok", lost, NULL, h1_time, 5);
	hw_warm = add_run("hw", 2, "warmup", ref, NULL, h0_time, 6);
	hw_fail = add_run("hw", 3, "failed", ref, NULL, h0_time, 6);
	c0 = add_run("console", 0, "ok", extra, NULL, c0_time, 7);
	empty = add_run("hw", 4, "ok", ref, NULL, h0_time, 0);
	for (i = 0; i < 6; i++) {
		CHECK(store__mark_value_add(s, q0, i, "mem_accesses", 5.0 * i) == 0);
		if (i != 4)
			CHECK(store__mark_value_add(s, h0, i, "cycles", 2000.0 * i * i) == 0);
	}
	CHECK(store__event_add(s, q0, 0, 1, "syscall", "64", 2) == 0);
	CHECK(store__event_add(s, q0, 0, 1, "syscall", "63", 1) == 0);
	CHECK(store__event_add(s, q0, 0, 3, "syscall", "64", 1) == 0);
	CHECK(store__event_add(s, q0, 0, 0, "trap_entry", "0x80000000", 4) == 0);
	CHECK(store__event_add(s, q0, 0, 5, "syscall", "93", 1) == 0); /* after the last marker */
	CHECK(store__event_add(s, q0, 0, -1, "syscall", "64", 9) == 0); /* whole run */
	CHECK(store__event_add(s, c0, 0, 2, "ecall", "sbi", 3) == 0);    /* after the extra marker */
	sreg = store__region(s, wid, "s:main", NULL);
	CHECK(store__region_metric_set(s, q0, sreg, "insns", 555) == 0);
	CHECK(store__commit(s) == 0);

	CHECK_EQ_INT(test_align_once(s, wid, &r), 0);
	CHECK_EQ_INT(r.ref_run_id, q0);
	CHECK_EQ_INT(r.regions, 5);
	CHECK_EQ_INT(r.runs, 7); /* ok and warmup */
	CHECK_EQ_INT(r.runs_exact, 4);
	CHECK_EQ_INT(r.runs_partial, 2);
	CHECK_EQ_INT(r.runs_failed, 1);

	{ /* keys and names */
		char *k = query_text("SELECT group_concat(key || '=' || coalesce(name, '-'), ' ') FROM"
				     " (SELECT * FROM region ORDER BY key)");
		CHECK(!strcmp(k, "m:1->2#1=setup m:2->3#1=compute m:2->3#2=compute m:3->2#1=- m:3->4#1=- s:main=-"));
		if (strcmp(k, "m:1->2#1=setup m:2->3#1=compute m:2->3#2=compute m:3->2#1=- m:3->4#1=- s:main=-"))
			fprintf(stderr, "regions: %s\n", k);
		free(k);
	}
	/* QEMU: insns and qemu_host_ns, mark_value differences, events */
	CHECK_EQ_INT(metric(q0, "m:1->2#1", "insns"), 100);
	CHECK_EQ_INT(metric(q0, "m:2->3#1", "insns"), 150);
	CHECK_EQ_INT(metric(q0, "m:3->2#1", "insns"), 100);
	CHECK_EQ_INT(metric(q0, "m:2->3#2", "insns"), 150);
	CHECK_EQ_INT(metric(q0, "m:3->4#1", "insns"), 100);
	CHECK_EQ_INT(metric(q0, "m:3->4#1", "qemu_host_ns"), 10);
	CHECK_EQ_INT(metric(q0, "m:2->3#1", "time_ns"), -1);
	CHECK_EQ_INT(metric(q0, "m:2->3#1", "instret"), -1);
	CHECK_EQ_INT(metric(q0, "m:2->3#2", "mem_accesses"), 5);
	CHECK_EQ_INT(metric(q0, "m:1->2#1", "syscalls"), 0);
	CHECK_EQ_INT(metric(q0, "m:2->3#1", "syscalls"), 3);
	CHECK_EQ_INT(metric(q0, "m:2->3#2", "syscalls"), 1);
	CHECK_EQ_INT(metric(q0, "m:1->2#1", "traps"), 4);
	CHECK_EQ_INT(metric(q0, "m:2->3#1", "traps"), 0);
	CHECK_EQ_INT(metric(q0, "m:2->3#1", "exits"), -1); /* not recorded: no row */
	CHECK_EQ_INT(metric(q1, "m:2->3#1", "insns"), 150);
	CHECK_EQ_INT(metric(q1, "m:2->3#1", "qemu_host_ns"), 11);
	CHECK_EQ_INT(metric(q1, "m:2->3#1", "syscalls"), -1);
	/* hardware: time_ns, instret when present, mark_value differences where both ends exist */
	CHECK_EQ_INT(metric(h0, "m:2->3#1", "time_ns"), 2000);
	CHECK_EQ_INT(metric(h0, "m:2->3#1", "instret"), 170);
	CHECK_EQ_INT(metric(h0, "m:2->3#1", "insns"), -1);
	CHECK_EQ_INT(metric(h0, "m:2->3#1", "cycles"), 6000);
	CHECK_EQ_INT(metric(h0, "m:3->2#1", "cycles"), 10000);
	CHECK_EQ_INT(metric(h0, "m:2->3#2", "cycles"), -1); /* no value at seq 4 */
	/* the run that lost a marker: the two regions around it are absent, the rest line up */
	CHECK_EQ_INT(metric(h1, "m:1->2#1", "time_ns"), 1000);
	CHECK_EQ_INT(metric(h1, "m:2->3#1", "time_ns"), -1);
	CHECK_EQ_INT(metric(h1, "m:3->2#1", "time_ns"), -1);
	CHECK_EQ_INT(metric(h1, "m:2->3#2", "time_ns"), 2500);
	CHECK_EQ_INT(metric(h1, "m:3->4#1", "time_ns"), 500);
	CHECK_EQ_INT(metric(h1, "m:3->4#1", "instret"), -1);
	/* the console run with an extra marker: the region spans it */
	CHECK_EQ_INT(metric(c0, "m:2->3#1", "time_ns"), 200);
	CHECK_EQ_INT(metric(c0, "m:2->3#1", "exits"), 3);
	CHECK_EQ_INT(metric(c0, "m:3->2#1", "time_ns"), 100);
	CHECK_EQ_INT(metric(c0, "m:1->2#1", "exits"), 0);
	/* warm-up runs get regions, failed ones do not */
	CHECK_EQ_INT(metric(hw_warm, "m:2->3#1", "time_ns"), 2000);
	CHECK_EQ_INT(metric(hw_fail, "m:2->3#1", "time_ns"), -1);
	{
		char *a = query_text("SELECT group_concat(x, ' ') FROM (SELECT matched || '/' || gaps || '/' ||"
				     " mismatches AS x FROM alignment ORDER BY run_id)");
		/* q0 q1 h0 h1 warm console empty */
		CHECK(!strcmp(a, "6/0/0 6/0/0 6/0/0 5/1/0 6/0/0 6/1/0 0/6/0"));
		if (strcmp(a, "6/0/0 6/0/0 6/0/0 5/1/0 6/0/0 6/1/0 0/6/0"))
			fprintf(stderr, "alignment: %s\n", a);
		free(a);
		a = query_text("SELECT group_concat(coalesce(g.key, '-'), ' ') FROM"
			       " (SELECT * FROM event_count ORDER BY rowid) e LEFT JOIN region g ON g.id = e.region_id");
		CHECK(!strcmp(a, "m:2->3#1 m:2->3#1 m:2->3#2 m:1->2#1 - - m:2->3#1"));
		if (strcmp(a, "m:2->3#1 m:2->3#1 m:2->3#2 m:1->2#1 - - m:2->3#1"))
			fprintf(stderr, "events: %s\n", a);
		free(a);
	}
	CHECK_EQ_INT(metric(q0, "s:main", "insns"), 555);
	(void)empty;

	/* a second align writes exactly the same */
	snap1 = query_text(SNAPSHOT);
	CHECK_EQ_INT(test_align_once(s, wid, &r), 0);
	snap2 = query_text(SNAPSHOT);
	CHECK(strlen(snap1) > 100);
	CHECK(!strcmp(snap1, snap2));
	free(snap1);
	free(snap2);
	CHECK_EQ_INT(metric(q0, "s:main", "insns"), 555);

	/* the reference changes (four new runs agree on 1, 2, 4): the old regions go, s:main stays */
	{
		static const int short_seq[] = { 1, 2, 4 };
		static const int64_t short_time[] = { 0, 10, 30 };
		char *k;
		CHECK(store__begin(s) == 0);
		for (i = 0; i < 4; i++)
			add_run("hw", 10 + i, "ok", short_seq, NULL, short_time, 3);
		CHECK(store__commit(s) == 0);
		CHECK_EQ_INT(test_align_once(s, wid, &r), 0);
		CHECK_EQ_INT(r.regions, 2);
		k = query_text("SELECT group_concat(key, ' ') FROM (SELECT key FROM region ORDER BY key)");
		CHECK(!strcmp(k, "m:1->2#1 m:2->4#1 s:main"));
		if (strcmp(k, "m:1->2#1 m:2->4#1 s:main"))
			fprintf(stderr, "regions after the reference changed: %s\n", k);
		free(k);
		/* q0 now matches 1, 2, 4 of its 1 2 3 2 3 4: m:2->4#1 spans its markers 1..5 */
		CHECK_EQ_INT(metric(q0, "m:2->4#1", "insns"), 500);
		CHECK_EQ_INT(metric(q0, "m:2->4#1", "syscalls"), 4);
		CHECK_EQ_INT(metric(q0, "m:1->2#1", "traps"), 4);
		CHECK_EQ_INT(metric(q0, "s:main", "insns"), 555);
		k = query_text("SELECT count(*) FROM event_count WHERE region_id IS NOT NULL");
		CHECK(!strcmp(k, "5"));
		free(k);
	}

	/* a loop of 10^5 iterations; the hardware run lost one marker in the middle */
	{
		size_t n = 2 * 100000 + 2, i2, m = 0;
		int *ids = xmalloc(n * sizeof(int)), *ids2 = xmalloc(n * sizeof(int));
		int64_t *t = xmalloc(n * sizeof(int64_t)), *t2 = xmalloc(n * sizeof(int64_t));
		int64_t qr, hr, t0;

		ids[0] = 1;
		for (i2 = 0; i2 < 100000; i2++)
			ids[1 + 2 * i2] = 2, ids[2 + 2 * i2] = 3;
		ids[n - 1] = 4;
		for (i2 = 0; i2 < n; i2++) {
			t[i2] = (int64_t)i2 * 10;
			if (i2 == 50001)
				continue;
			ids2[m] = ids[i2];
			t2[m++] = (int64_t)i2 * 7;
		}
		CHECK(store__begin(s) == 0);
		wid = store__workload(s, "loop", "x86_64", NULL, "[]");
		qr = add_run("qemu-user", 0, "ok", ids, t, t, (int)n);
		hr = add_run("hw", 0, "ok", ids2, NULL, t2, (int)m);
		CHECK(store__commit(s) == 0);
		t0 = now_ns();
		CHECK_EQ_INT(test_align_once(s, wid, &r), 0);
		fprintf(stderr, "loop workload aligned in %.2f s\n", (double)(now_ns() - t0) / 1e9);
		CHECK_EQ_INT(r.regions, n - 1);
		CHECK_EQ_INT(r.runs_partial, 1);
		CHECK_EQ_INT(metric(qr, "m:2->3#100000", "insns"), 10);
		CHECK_EQ_INT(metric(hr, "m:2->3#100000", "time_ns"), 7);
		CHECK_EQ_INT(metric(hr, "m:3->2#25000", "time_ns"), -1); /* around the lost marker */
		CHECK_EQ_INT(metric(hr, "m:2->3#25001", "time_ns"), -1);
		CHECK_EQ_INT(metric(hr, "m:2->3#25000", "time_ns"), 7);
		CHECK_EQ_INT(metric(hr, "m:3->2#25001", "time_ns"), 7);
		free(ids);
		free(ids2);
		free(t);
		free(t2);
	}
	store__close(s);
	unlink(path);
	free(path);
	return check_exit();
}
