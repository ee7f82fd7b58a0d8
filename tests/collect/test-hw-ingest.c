/*
 * test-hw-ingest.c - hw_ingest() on a hand-made hw_run result, no workload
 * run: the exact rows of one `hw` run (marks, per-mark values, syscalls per
 * marker interval, totals, sampled symbols, config_json), a warm-up, and a
 * failure inside the ingest leaving nothing of the run behind.
 */
#include "check.h"
#include "hw-testdb.h"

#include <errno.h>

static struct hw_mark marks[2];
static struct hw_syscall sys[4] = { { 50, 1 }, { 200, 1 }, { 300, 2 }, { 600, 1 } };
static struct hw_ip ips[1] = { { 0x1000, 2, 3000 } };
static struct hw_sample samples[2] = { { 150, 0x1000, 1000 }, { 550, 0x1000, 2000 } };

/* A timed-out run: two events counted, one refused, two marker hits (cycles
 * not read at the second), four system calls, two cpu-clock samples. */
static void make_run(struct hw_run_result *r)
{
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
	r->pmc_opened = r->pmc_mapped = r->pmc_readable = 3;
	marks[0] = (struct hw_mark){ .id = 1, .time_ns = 100, .has_reading = 1, .have = 3 };
	marks[0].r.value[0] = 10;
	marks[0].r.value[1] = 20;
	marks[1] = (struct hw_mark){ .id = 2, .time_ns = 500, .has_reading = 1, .have = 1 };
	marks[1].r.value[0] = 60;
	r->marks = marks;
	r->n_marks = 2;
	r->sys = sys;
	r->n_sys = 4;
	r->sample_event = "cpu-clock";
	r->samples = 2;
	r->ips = ips;
	r->n_ips = 1;
	r->sample_list = samples;
	r->n_sample_list = 2;
}

static void check_rows(struct store *st)
{
	CHECK_Q(st, "SELECT platform||'|'||status||'|'||exit_code||'|'||rep||'|'||cell||'|'||wall_ns FROM run",
		"hw|timeout|143|3|c1|5000");
	CHECK_Q(st, "SELECT name||'|'||arch||'|'||ifnull(elf_path,'-') FROM workload", "w|x86_64|-");
	CHECK_Q(st, "SELECT group_concat(seq||'/'||mark_id||'/'||insns||'/'||time_ns, ' ') FROM "
		    "(SELECT * FROM mark ORDER BY seq)", "0/1/10/100 1/2/60/500");
	/* cycles only where read; syscalls cumulative at each hit */
	CHECK_Q(st, "SELECT group_concat(seq||':'||metric||'='||value, ' ') FROM "
		    "(SELECT * FROM mark_value ORDER BY seq, metric)",
		"0:cycles=20.0 0:syscalls=1.0 1:syscalls=3.0");
	CHECK_Q(st, "SELECT group_concat(ifnull(seq,'-')||':'||kind||':'||detail||'='||count, ' ') FROM "
		    "(SELECT * FROM event_count ORDER BY ifnull(seq,-1), detail)",
		"-:syscall:1=1 0:syscall:1=1 0:syscall:2=1 1:syscall:1=1");
	CHECK_Q(st, "SELECT group_concat(metric||'='||value, ' ') FROM (SELECT * FROM run_metric WHERE metric IN "
		    "('instret','cycles','syscalls','samples','time_ns','wall_ns','max_rss_kb','user_ns') ORDER BY metric)",
		"cycles=2000.0 instret=1000.0 max_rss_kb=1234.0 samples=2.0 syscalls=4.0 time_ns=4000.0 "
		"user_ns=1000005000.0 wall_ns=5000.0");
	CHECK_Q(st, "SELECT count(*) FROM run_metric WHERE metric = 'cache_misses'", "0");
	/* no mapping holds the IP: s:[unknown]; cpu-clock periods are the time */
	CHECK_Q(st, "SELECT group_concat(r.key||'|'||r.name||'|'||m.metric||'='||m.value, ' ') FROM "
		    "(SELECT * FROM region_metric ORDER BY metric) m JOIN region r ON r.id = m.region_id",
		"s:[unknown]|[unknown]|samples=2.0 s:[unknown]|[unknown]|time_ns=3000.0");
	CHECK_Q(st, "SELECT group_concat(seq||':'||symbol||':'||metric||'='||value, ' ') FROM "
		    "(SELECT * FROM mark_symbol ORDER BY seq, metric)",
		"0:[unknown]:samples=1.0 0:[unknown]:time_ns=1000.0 1:[unknown]:samples=1.0 1:[unknown]:time_ns=2000.0");
}

static void check_config(struct store *st)
{
	static const char *const want[][2] = {
		{ "$.collector", "hw" },
		{ "$.unsupported.\"cache-misses\"", "ENOENT" },
		{ "$.unsupported.syscalls", "NULL" },
		{ "$.machine.cpu_model", "Test CPU 9000" },
		{ "$.machine.perf_event_paranoid", "2" },
		{ "$.marks.count", "2" },
		{ "$.marks.read", "rdpmc" },
		{ "$.marks.unsupported.cycles", "read at 1 of 2 marker hits" },
		{ "$.marks.unsupported.instructions", "NULL" },
		{ "$.syscalls.recorded", "4" },
		{ "$.sampling.event", "cpu-clock" },
		{ "$.mark_symbols_complete", "2" },
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
	CHECK_Q(st, "SELECT count(*) FROM mark", "4");

	hw_symcache__free(&sc);
	testdb__close(&t);
	return check_exit();
}
