/*
 * test-hw-ingest.c - hw_ingest() on a hand-made hw_run result, no workload
 * run: the exact rows of one `hw` run (marks, per-mark values, syscalls per
 * marker interval, totals, sampled symbols, config_json), a warm-up, and a
 * failure inside the ingest leaving nothing of the run behind.
 */
#include "check.h"
#include "hw-testdb.h"

#include <errno.h>

static struct hw_mark marks[3];
/* thread 0 (tid 100) and thread 1 (tid 200), in time order */
static struct hw_syscall sys[6] = { { 50, 1, 100 },  { 200, 1, 100 }, { 250, 3, 200 },
				    { 300, 2, 100 }, { 350, 3, 200 }, { 600, 1, 100 } };
static struct hw_ip ips[1] = { { 0x1000, 3, 3500 } };
static struct hw_sample samples[3] = { { 120, 0x1000, 500, 200 }, { 150, 0x1000, 1000, 100 },
				       { 550, 0x1000, 2000, 200 } };
static struct hw_mark_slot slots[2] = {
	{ .tid = 100, .opened = 3, .readable = 3, .leader_fd = 5 },
	{ .tid = 200, .opened = 1, .readable = 1, .leader_fd = 7, .open_errno = { 0, EMFILE } },
};

/* A timed-out run of two threads: two events counted, one refused, three
 * marker hits (cycles not read on thread 1: its thread could not open it),
 * six system calls, three cpu-clock samples, each thread's own totals. */
static void make_run(struct hw_run_result *r)
{
	static const struct hw_fork fork1 = { 200, 100, 40 };

	memset(r, 0, sizeof(*r));
	r->status = RUN_TIMEOUT;
	r->exit_code = 143;
	r->wall_ns = 5000;
	r->time_ns = 4000;
	r->ru.ru_maxrss = 1234;
	r->ru.ru_utime.tv_sec = 1;
	r->ru.ru_utime.tv_usec = 5;
	r->group.n = 2;
	r->group.ev[0] = hw_event__find("instructions");
	r->group.ev[1] = hw_event__find("cycles");
	r->group.n_unsupported = 1;
	r->group.unsupported[0] = hw_event__find("cache-misses");
	r->group.unsupported_errno[0] = ENOENT;
	r->total_ok = 1;
	r->total.counted = 1;
	r->total.n = 2;
	r->total.value[0] = 1000;
	r->total.value[1] = 2000;
	r->n_mark_ev = 2;
	r->mark_ev[1] = 1;
	r->mark_slots = slots;
	r->n_mark_slots = 2;
	marks[0] = (struct hw_mark){ .id = 1, .tid = 100, .time_ns = 100, .has_reading = 1, .have = 3 };
	marks[0].r.value[0] = 10;
	marks[0].r.value[1] = 20;
	marks[1] = (struct hw_mark){ .id = 7, .tid = 200, .time_ns = 300, .has_reading = 1, .have = 1 };
	marks[1].r.value[0] = 5;
	marks[2] = (struct hw_mark){ .id = 2, .tid = 100, .time_ns = 500, .has_reading = 1, .have = 1 };
	marks[2].r.value[0] = 60;
	r->marks = marks;
	r->n_marks = 3;
	r->sys = sys;
	r->n_sys = 6;
	r->sample_event = "cpu-clock";
	r->samples = 3;
	r->ips = ips;
	r->n_ips = 1;
	r->sample_list = samples;
	r->n_sample_list = 3;
	hw_run_result__threads(r, 100, &fork1, 1);
	r->threads_by_fork = 1;
	r->thread_totals = r->threads[0].has_total = r->threads[1].has_total = 1;
	r->threads[0].total.value[0] = 900;
	r->threads[0].total.value[1] = 1500;
	r->threads[1].total.value[0] = 100;
	r->threads[1].total.value[1] = 500;
}

static void free_run(struct hw_run_result *r)
{
	for (size_t i = 0; i < r->n_threads; i++)
		free(r->threads[i].hits);
	free(r->threads);
	free(r->thread_by_tid);
}

static void check_rows(struct store *st)
{
	CHECK_Q(st, "SELECT platform||'|'||status||'|'||exit_code||'|'||rep||'|'||cell||'|'||wall_ns FROM run",
		"hw|timeout|143|3|c1|5000");
	CHECK_Q(st, "SELECT name||'|'||arch||'|'||ifnull(elf_path,'-') FROM workload", "w|x86_64|-");
	CHECK_Q(st, "SELECT group_concat(seq||'/'||thread||'/'||mark_id||'/'||insns||'/'||time_ns, ' ') FROM "
		    "(SELECT * FROM mark ORDER BY seq)", "0/0/1/10/100 1/1/7/5/300 2/0/2/60/500");
	CHECK_Q(st, "SELECT group_concat(thread||':'||os_id||':'||kind, ' ') FROM (SELECT * FROM run_thread ORDER BY thread)",
		"0:100:thread 1:200:thread");
	/* each thread's own totals; with the run's they add up */
	CHECK_Q(st, "SELECT group_concat(thread||':'||metric||'='||value, ' ') FROM "
		    "(SELECT * FROM thread_metric ORDER BY thread, metric)",
		"0:cycles=1500.0 0:instret=900.0 0:samples=1.0 0:syscalls=4.0 "
		"1:cycles=500.0 1:instret=100.0 1:samples=2.0 1:syscalls=2.0");
	/* cycles only where read; syscalls: the hit's thread's calls so far */
	CHECK_Q(st, "SELECT group_concat(seq||':'||metric||'='||value, ' ') FROM "
		    "(SELECT * FROM mark_value ORDER BY seq, metric)",
		"0:cycles=20.0 0:syscalls=1.0 1:syscalls=1.0 2:syscalls=3.0");
	/* calls in the interval of their own thread's last hit (none before its first) */
	CHECK_Q(st, "SELECT group_concat(ifnull(seq,'-')||':'||kind||':'||detail||'='||count, ' ') FROM "
		    "(SELECT * FROM event_count ORDER BY ifnull(seq,-1), detail)",
		"-:syscall:1=1 -:syscall:3=1 0:syscall:1=1 0:syscall:2=1 1:syscall:3=1 2:syscall:1=1");
	CHECK_Q(st, "SELECT group_concat(metric||'='||value, ' ') FROM (SELECT * FROM run_metric WHERE metric IN "
		    "('instret','cycles','syscalls','samples','time_ns','wall_ns','max_rss_kb','user_ns') ORDER BY metric)",
		"cycles=2000.0 instret=1000.0 max_rss_kb=1234.0 samples=3.0 syscalls=6.0 time_ns=4000.0 "
		"user_ns=1000005000.0 wall_ns=5000.0");
	CHECK_Q(st, "SELECT count(*) FROM run_metric WHERE metric = 'cache_misses'", "0");
	/* no mapping holds the IP: s:[unknown]; cpu-clock periods are the time */
	CHECK_Q(st, "SELECT group_concat(r.key||'|'||r.name||'|'||m.metric||'='||m.value, ' ') FROM "
		    "(SELECT * FROM region_metric ORDER BY metric) m JOIN region r ON r.id = m.region_id",
		"s:[unknown]|[unknown]|samples=3.0 s:[unknown]|[unknown]|time_ns=3500.0");
	/* a sample of thread 1 before its first hit: seq -1 - 1 */
	CHECK_Q(st, "SELECT group_concat(seq||':'||symbol||':'||metric||'='||value, ' ') FROM "
		    "(SELECT * FROM mark_symbol ORDER BY seq, metric)",
		"-2:[unknown]:samples=1.0 -2:[unknown]:time_ns=500.0 0:[unknown]:samples=1.0 "
		"0:[unknown]:time_ns=1000.0 1:[unknown]:samples=1.0 1:[unknown]:time_ns=2000.0");
}

static void check_config(struct store *st)
{
	static const char *const want[][2] = {
		{ "$.collector", "hw" },
		{ "$.unsupported.\"cache-misses\"", "ENOENT" },
		{ "$.unsupported.syscalls", "NULL" },
		{ "$.machine.cpu_model", "Test CPU 9000" },
		{ "$.machine.perf_event_paranoid", "2" },
		{ "$.marks.count", "3" },
		{ "$.marks.read", "rdpmc" },
		{ "$.marks.threads", "2" },
		{ "$.marks.unsupported.cycles", "read at 1 of 3 marker hits (EMFILE)" },
		{ "$.marks.unsupported.instructions", "NULL" },
		{ "$.threads.count", "2" },
		{ "$.threads.order", "created" },
		{ "$.threads.totals", "1" },
		{ "$.syscalls.recorded", "6" },
		{ "$.sampling.event", "cpu-clock" },
		{ "$.mark_symbols_complete", "3" },
		{ "$.timeout_s", "0.5" },
		{ "$.aslr", "on" },
		{ "$.warmup", "0" },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char *sql = xasprintf("SELECT json_extract(config_json, '%s') FROM run WHERE id = 1", want[i][0]);

		CHECK_Q(st, sql, want[i][1]);
		free(sql);
	}
}

int main(void)
{
	struct testdb t;
	struct store *st = testdb__open(&t);
	struct hw_machine mach = { .cpu_model = "Test CPU 9000", .kernel = "6.1 test", .cur_khz = -1,
				   .max_khz = -1, .paranoid = 2, .aslr = 2 };
	struct hw_run_opts ro = { .pin_cpu = -1, .timeout_s = 0.5, .sample_hz = 100, .syscalls = 1,
				  .mark_read = HW_MARK_READ_RDPMC };
	struct hw_symcache sc = { 0 };
	struct hw_ingest in = { .workload = { "w", "x86_64", NULL, NULL }, .prog = "/nonexistent/w",
				.opts = &ro, .machine = &mach, .rep = 3, .cell = "c1", .syms = &sc };
	struct hw_run_result r;

	make_run(&r);
	CHECK_EQ_INT(hw_ingest(st, &in, &r), 1);
	check_rows(st);
	check_config(st);

	/* a warm-up: status warmup and no cell, whatever the run's status */
	in.warmup = 1;
	in.rep = -1;
	CHECK_EQ_INT(hw_ingest(st, &in, &r), 2);
	CHECK_Q(st, "SELECT status||'|'||rep||'|'||ifnull(cell,'-') FROM run WHERE id = 2", "warmup|-1|-");

	/* a row refused half-way: neither the run nor its new workload stays */
	CHECK(!store__exec(st, "CREATE TRIGGER refuse BEFORE INSERT ON mark_value "
			       "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"));
	in.workload.name = "w2";
	CHECK_EQ_INT(hw_ingest(st, &in, &r), -1);
	CHECK_Q(st, "SELECT count(*) FROM run", "2");
	CHECK_Q(st, "SELECT count(*) FROM workload", "1");
	CHECK_Q(st, "SELECT count(*) FROM mark", "6");

	free_run(&r);
	hw_symcache__free(&sc);
	testdb__close(&t);
	return check_exit();
}
