/*
 * test-hw-parse.c - the parts of hw-collectors that real hardware counters
 * would exercise, against recorded and synthesised inputs: group reads
 * (PERF_FORMAT_GROUP | TOTAL_TIME_ENABLED | TOTAL_TIME_RUNNING), scaling when
 * multiplexed, sample records, the syscall tracepoint format, console logs,
 * perf stat CSV and perf script output recorded on this machine.
 *   test-hw-parse DATADIR
 */
#include "hw.h"
#include "check.h"
#include "common.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <string.h>

static const char *datadir;

static FILE *data(const char *name)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", datadir, name);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(1);
	}
	return f;
}

static void test_group_read(void)
{
	struct hw_reading r;
	/* a read(2) of a 4-event software group recorded on this machine (task-clock,
	 * page-faults, context-switches, cpu-migrations; never multiplexed). The
	 * task clock may exceed time_enabled by a little: they are sampled apart. */
	const uint64_t rec[] = { 4, 23170303, 23170303, 23170594, 1027, 7, 0 };
	/* synthesised: a hardware group that ran a quarter of the time */
	const uint64_t mux[] = { 3, 1000000, 250000, 1000, 0, 7 };
	const uint64_t never[] = { 2, 500, 0, 0, 0 };

	CHECK_EQ_INT(hw_reading__parse(rec, sizeof(rec), 4, &r), 0);
	CHECK_EQ_INT(r.n, 4);
	CHECK_EQ_INT(r.multiplexed, 0);
	CHECK_EQ_INT(r.counted, 1);
	CHECK_EQ_INT(r.raw[0], 23170594);
	CHECK_NEAR(r.value[0], 23170594.0, 1e-15);
	CHECK_NEAR(r.value[1], 1027.0, 1e-15);
	CHECK_NEAR(r.value[2], 7.0, 1e-15);
	CHECK_NEAR(r.value[3], 0.0, 1e-15);

	CHECK_EQ_INT(hw_reading__parse(mux, sizeof(mux), 3, &r), 0);
	CHECK_EQ_INT(r.multiplexed, 1);
	CHECK_EQ_INT(r.counted, 1);
	CHECK_EQ_INT(r.raw[0], 1000);
	CHECK_NEAR(r.value[0], 4000.0, 1e-12); /* 1000 * enabled / running */
	CHECK_NEAR(r.value[1], 0.0, 1e-12);
	CHECK_NEAR(r.value[2], 28.0, 1e-12);

	CHECK_EQ_INT(hw_reading__parse(never, sizeof(never), 2, &r), 0);
	CHECK_EQ_INT(r.counted, 0); /* never scheduled: values mean nothing */

	/* malformed reads */
	CHECK_EQ_INT(hw_reading__parse(rec, 16, 4, &r), -1);               /* shorter than the header */
	CHECK_EQ_INT(hw_reading__parse(rec, sizeof(rec) - 8, 4, &r), -1);  /* values cut */
	CHECK_EQ_INT(hw_reading__parse(rec, sizeof(rec), 3, &r), -1);      /* nr is not the group's */
	CHECK_EQ_INT(hw_reading__parse(rec, sizeof(rec), HW_MAX_EVENTS + 1, &r), -1);
}

/* The run-level flag: multiplexed anywhere (final read or a marker's read). */
static void test_run_multiplexed(void)
{
	const uint64_t full[] = { 2, 1000, 1000, 10, 20 };
	const uint64_t half[] = { 2, 1000, 500, 10, 20 };
	const uint64_t tenth[] = { 2, 10000, 1000, 10, 20 };
	struct hw_mark marks[2];
	struct hw_run_result r;
	double f;

	memset(&r, 0, sizeof(r));
	memset(marks, 0, sizeof(marks));
	r.total_ok = !hw_reading__parse(full, sizeof(full), 2, &r.total);
	CHECK_EQ_INT(hw_run_result__multiplexed(&r, &f), 0);
	CHECK_NEAR(f, 1.0, 1e-15);
	/* a marker read while the group shared the PMU */
	marks[0].has_reading = !hw_reading__parse(full, sizeof(full), 2, &marks[0].r);
	marks[1].has_reading = !hw_reading__parse(half, sizeof(half), 2, &marks[1].r);
	r.marks = marks;
	r.n_marks = 2;
	CHECK_EQ_INT(hw_run_result__multiplexed(&r, &f), 1);
	CHECK_NEAR(f, 0.5, 1e-15);
	CHECK_NEAR(marks[1].r.value[1], 40.0, 1e-15);
	r.total_ok = !hw_reading__parse(tenth, sizeof(tenth), 2, &r.total);
	CHECK_EQ_INT(hw_run_result__multiplexed(&r, &f), 1);
	CHECK_NEAR(f, 0.1, 1e-15);
	CHECK_NEAR(r.total.value[0], 100.0, 1e-15);
}

static void test_events(void)
{
	const struct hw_event *ev[HW_MAX_EVENTS];
	int n;

	CHECK_EQ_INT(hw_event__parse_list(hw_default_events, ev, &n), 0);
	CHECK_EQ_INT(n, 10);
	CHECK(!strcmp(ev[1]->name, "instructions") && !strcmp(ev[1]->metric, "instret"));
	CHECK(!strcmp(ev[6]->metric, "task_clock_ns"));
	CHECK_EQ_INT(hw_event__parse_list("task-clock,task-clock,page-faults", ev, &n), 0);
	CHECK_EQ_INT(n, 2);
	messages_quiet(1);
	CHECK_EQ_INT(hw_event__parse_list("task-clock,bogus", ev, &n), -1);
	CHECK_EQ_INT(hw_event__parse_list(",", ev, &n), -1);
	messages_quiet(0);
	CHECK(!strcmp(hw_errno_name(EOPNOTSUPP), "EOPNOTSUPP"));
	CHECK(!strcmp(hw_errno_name(ENOENT), "ENOENT"));
}

static void test_sample_and_tp(void)
{
	unsigned char rec[sizeof(struct perf_event_header) + 32];
	struct perf_event_header h = { PERF_RECORD_SAMPLE, 0, sizeof(rec) };
	uint64_t ip = 0x555555555123, time = 987654321, period = 1000000;
	uint32_t pid = 42, tid = 43;
	struct hw_sample_fields s;
	struct syscall_format tp;
	struct tp_format fmt;
	char text[4096];
	size_t n;
	FILE *f;

	memcpy(rec, &h, sizeof(h));
	memcpy(rec + 8, &ip, 8);
	memcpy(rec + 16, &pid, 4);
	memcpy(rec + 20, &tid, 4);
	memcpy(rec + 24, &time, 8);
	memcpy(rec + 32, &period, 8);
	CHECK_EQ_INT(hw_sample__parse(rec, sizeof(rec), &s), 0);
	CHECK_EQ_INT(s.ip, ip);
	CHECK_EQ_INT(s.pid, 42);
	CHECK_EQ_INT(s.tid, 43);
	CHECK_EQ_INT(s.time, time);
	CHECK_EQ_INT(s.period, period);
	CHECK_EQ_INT(hw_sample__parse(rec, sizeof(rec) - 1, &s), -1);

	f = data("sys_enter.format");
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = 0;
	fclose(f);
	CHECK_EQ_INT(tp_format__parse(&fmt, text, "sys_enter.format"), 0);
	CHECK_EQ_INT(syscall_format__from(&tp, &fmt), 0);
	tp_format__free(&fmt);
	CHECK_EQ_INT(tp.id_offset, 8);
	CHECK_EQ_INT(tp.id_size, 8);
	CHECK_EQ_INT(tp.args_offset, 16);
	/* a format without the arguments cannot be used */
	CHECK_EQ_INT(tp_format__parse(&fmt, "name: sys_enter\nID: 21\nformat:\n"
				      "\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n", "no-args"), 0);
	CHECK_EQ_INT(syscall_format__from(&tp, &fmt), -1);
	tp_format__free(&fmt);
}

static void test_console(void)
{
	struct console_log l;
	FILE *f;
	static const int ids[] = { 1, 2, 3, 2, 3 };

	f = data("console-boot.log");
	CHECK_EQ_INT(console_log__parse(f, "console-boot.log", &l), 0);
	fclose(f);
	CHECK_EQ_INT(l.n_runs, 2);
	CHECK_EQ_INT(l.lines, 28);
	CHECK_EQ_INT(l.garbage_lines, 18);
	if (l.n_runs == 2) {
		CHECK_EQ_INT(l.runs[0].n_marks, 5);
		for (size_t i = 0; i < 5 && i < l.runs[0].n_marks; i++)
			CHECK_EQ_INT(l.runs[0].marks[i].id, ids[i]);
		CHECK_EQ_INT(l.runs[0].marks[0].line, 16);
		CHECK_EQ_INT(l.runs[0].marks[1].cycles, 51000);
		CHECK_EQ_INT(l.runs[0].marks[1].instret, 40900);
		CHECK_EQ_INT(l.runs[0].marks[1].time, 1500000);
		CHECK_EQ_INT(l.runs[0].has_exit, 1);
		CHECK_EQ_INT(l.runs[0].exit_code, 0);
		CHECK_EQ_INT(l.runs[1].n_marks, 3);
		CHECK_EQ_INT(l.runs[1].exit_code, 3);
	}
	console_log__free(&l);

	f = data("console-noisy.log"); /* CRLF, binary junk, a prefix glued to the marker */
	CHECK_EQ_INT(console_log__parse(f, "console-noisy.log", &l), 0);
	fclose(f);
	CHECK_EQ_INT(l.n_runs, 1);
	CHECK_EQ_INT(l.garbage_lines, 3);
	if (l.n_runs == 1) {
		CHECK_EQ_INT(l.runs[0].n_marks, 3);
		CHECK_EQ_INT(l.runs[0].has_exit, 0);
		CHECK_EQ_INT(l.runs[0].marks[2].id, 3);
		CHECK_EQ_INT(l.runs[0].marks[2].time, 300);
	}
	console_log__free(&l);

	messages_quiet(1);
	f = data("console-damaged.log");
	CHECK_EQ_INT(console_log__parse(f, "console-damaged.log", &l), -1);
	fclose(f);
	f = data("console-truncated.log");
	CHECK_EQ_INT(console_log__parse(f, "console-truncated.log", &l), -1);
	fclose(f);
	f = data("console-badid.log");
	CHECK_EQ_INT(console_log__parse(f, "console-badid.log", &l), -1);
	fclose(f);
	f = data("perf-stat-true.csv"); /* no @emudiff lines at all */
	CHECK_EQ_INT(console_log__parse(f, "perf-stat-true.csv", &l), -1);
	fclose(f);
	messages_quiet(0);
}

/* hart=: ordinals by hart number (not by first appearance), old lines as
 * hart 0; bad hart fields refused. */
static void test_console_harts(void)
{
	static const int thread[] = { 2, 1, 2, 0, 1, 0 };
	static const char *const bad[] = {
		"@emudiff mark 1 hart=-1 time=1\n", "@emudiff mark 1 hart=2147483648 time=1\n",
		"@emudiff mark 1 hart=1 hart=2\n", "@emudiff mark 1 hart= time=1\n",
	};
	struct console_log l;
	FILE *f = data("console-smp.log");

	CHECK_EQ_INT(console_log__parse(f, "console-smp.log", &l), 0);
	fclose(f);
	CHECK_EQ_INT(l.n_runs, 1);
	if (l.n_runs == 1) {
		const struct console_run *r = &l.runs[0];

		CHECK_EQ_INT(r->n_marks, 6);
		CHECK_EQ_INT(r->n_harts, 3);
		CHECK_EQ_INT(r->any_hart, 1);
		if (r->n_harts == 3)
			CHECK(r->harts[0] == 0 && r->harts[1] == 3 && r->harts[2] == 5);
		for (size_t i = 0; i < 6 && i < r->n_marks; i++)
			CHECKF(r->marks[i].thread == thread[i], "mark %zu: thread %d", i, r->marks[i].thread);
		if (r->n_marks == 6) {
			CHECK(r->marks[1].has_hart && r->marks[1].hart == 3 && !r->marks[1].has_instret);
			CHECK(!r->marks[3].has_hart && r->marks[3].hart == 0);
		}
		CHECK_EQ_INT(r->n_lats, 1);
	}
	console_log__free(&l);

	/* a log without hart= is one hart, 0, and says none was named */
	f = data("console-boot.log");
	CHECK_EQ_INT(console_log__parse(f, "console-boot.log", &l), 0);
	fclose(f);
	if (l.n_runs == 2)
		CHECK(l.runs[0].n_harts == 1 && l.runs[0].harts[0] == 0 && !l.runs[0].any_hart &&
		      l.runs[0].marks[4].thread == 0);
	console_log__free(&l);

	messages_quiet(1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = fmemopen((void *)bad[i], strlen(bad[i]), "r");
		CHECKF(console_log__parse(f, "bad.log", &l) == -1, "accepted '%s'", bad[i]);
		fclose(f);
	}
	messages_quiet(0);
}

static void test_perf_stat(void)
{
	struct perf_stat s;
	double scaled;
	const char *m;
	FILE *f;

	f = data("perf-stat-true.csv");
	CHECK_EQ_INT(perf_stat__parse(f, "perf-stat-true.csv", &s), 0);
	fclose(f);
	CHECK_EQ_INT(s.n, 5);
	CHECK_EQ_INT(s.repeated, 0);
	if (s.n == 5) {
		CHECK(!strcmp(s.rows[0].event, "task-clock"));
		CHECK_NEAR(s.rows[0].value, 3.73, 1e-12);
		CHECK(!strcmp(s.rows[0].unit, "msec"));
		CHECK_NEAR(s.rows[0].pct_running, 100.0, 1e-12);
		CHECK_NEAR(s.rows[1].value, 49, 1e-12);
		CHECK_EQ_INT(s.rows[3].supported, 0);
		CHECK(!strcmp(s.rows[3].event, "cycles"));
		CHECK(!strcmp(s.rows[3].why, "not supported"));
		CHECK_EQ_INT(s.rows[4].supported, 0);
		m = perf_stat__metric(s.rows[0].event, s.rows[0].unit, s.rows[0].value, &scaled);
		CHECK(m && !strcmp(m, "task_clock_ns"));
		CHECK_NEAR(scaled, 3730000.0, 1e-12);
	}
	perf_stat__free(&s);

	f = data("perf-stat-true-r3.csv");
	CHECK_EQ_INT(perf_stat__parse(f, "perf-stat-true-r3.csv", &s), 0);
	fclose(f);
	CHECK_EQ_INT(s.n, 5);
	CHECK_EQ_INT(s.repeated, 1);
	if (s.n == 5) {
		CHECK_NEAR(s.rows[0].variance_pct, 12.08, 1e-12);
		CHECK_NEAR(s.rows[2].value, 2, 1e-12);
		CHECK_EQ_INT(s.rows[4].supported, 0);
	}
	perf_stat__free(&s);

	m = perf_stat__metric("instructions:u", "", 5, &scaled);
	CHECK(m && !strcmp(m, "instret"));
	m = perf_stat__metric("major-faults", "", 1, &scaled);
	CHECK(m && !strcmp(m, "major_faults"));
	m = perf_stat__metric("cpu/event=0x3c/", "", 1, &scaled);
	CHECK(m && !strcmp(m, "cpu_event_0x3c_"));

	messages_quiet(1);
	f = data("console-boot.log");
	CHECK_EQ_INT(perf_stat__parse(f, "console-boot.log", &s), -1);
	fclose(f);
	messages_quiet(0);
}

/* Parse a data file; -1 when it is refused (quietly). */
static int parse_stat(const char *name, struct perf_stat *s)
{
	FILE *f = data(name);
	int rc;

	messages_quiet(1);
	rc = perf_stat__parse(f, name, s);
	messages_quiet(0);
	fclose(f);
	return rc;
}

/* perf stat's default text and -j JSON, as perf 6.1 printed them here
 * (tests/hw/data/README) and with multiplexing as perf documents it. */
static void test_perf_stat_forms(void)
{
	static const char *const bad[] = { "perf-stat-malformed.txt", "perf-stat-truncated.txt",
					   "perf-stat-malformed.json", "perf-stat-badvalue.txt" };
	struct perf_stat s;

	CHECK_EQ_INT(parse_stat("perf-stat-true.txt", &s), 0);
	CHECK_EQ_INT(s.form, PERF_STAT_TEXT);
	CHECK(s.command && !strcmp(s.command, "true"));
	CHECK_EQ_INT(s.runs, 0);
	CHECK_EQ_INT(s.repeated, 0);
	CHECK_EQ_INT(s.n, 8);
	CHECK(s.elapsed_s > 0 && s.user_s >= 0 && s.sys_s >= 0);
	if (s.n == 8) {
		CHECK(!strcmp(s.rows[0].event, "task-clock") && !strcmp(s.rows[0].unit, "msec"));
		CHECK(!strcmp(s.rows[3].event, "page-faults") && !strcmp(s.rows[3].unit, "") && s.rows[3].supported);
		CHECK(!strcmp(s.rows[4].event, "cycles") && !s.rows[4].supported);
		CHECK(!strcmp(s.rows[4].why, "not supported") && !strcmp(s.rows[4].text, "<not supported>"));
		CHECK(s.rows[0].pct_running < 0 && s.rows[0].variance_pct < 0);
	}
	perf_stat__free(&s);

	CHECK_EQ_INT(parse_stat("perf-stat-true-r3.txt", &s), 0);
	CHECK_EQ_INT(s.runs, 3);
	CHECK_EQ_INT(s.repeated, 1);
	CHECK_EQ_INT(s.n, 8);
	CHECK(s.elapsed_s > 0 && s.elapsed_var_pct >= 0 && s.user_s < 0 && s.sys_s < 0);
	CHECK(s.n == 8 && s.rows[0].variance_pct >= 0);
	perf_stat__free(&s);

	CHECK_EQ_INT(parse_stat("perf-stat-multiplexed.txt", &s), 0);
	CHECK(s.command && !strcmp(s.command, "/usr/bin/xz -T1 -1 -k -c data20"));
	CHECK_EQ_INT(s.runs, 5);
	CHECK_EQ_INT(s.n, 10);
	CHECK_NEAR(s.elapsed_s, 0.61352, 1e-12);
	CHECK_NEAR(s.elapsed_var_pct, 0.41, 1e-12);
	if (s.n == 10) {
		CHECK_NEAR(s.rows[0].value, 612.31, 1e-9);
		CHECK_NEAR(s.rows[1].variance_pct, 20.0, 1e-12);
		CHECK(s.rows[2].variance_pct < 0 && s.rows[2].pct_running < 0);
		/* the value as printed, perf's scaling kept; the fraction counted noted */
		CHECK(!strcmp(s.rows[4].event, "cycles") && !strcmp(s.rows[4].text, "2,401,456,789"));
		CHECK_NEAR(s.rows[4].value, 2401456789.0, 0);
		CHECK_NEAR(s.rows[4].variance_pct, 0.38, 1e-12);
		CHECK_NEAR(s.rows[4].pct_running, 59.53, 1e-12);
		CHECK_NEAR(s.rows[7].pct_running, 100.0, 1e-12);
		CHECK(!s.rows[8].supported && !strcmp(s.rows[8].why, "not counted"));
		CHECK_NEAR(s.rows[8].pct_running, 0.0, 0);
		CHECK(!strcmp(s.rows[9].event, "stalled-cycles-frontend") && !s.rows[9].supported);
	}
	perf_stat__free(&s);

	CHECK_EQ_INT(parse_stat("perf-stat-grep.txt", &s), 0);
	CHECK_EQ_INT(s.n, 4);
	CHECK_NEAR(s.user_s, 0.00358, 1e-12);
	CHECK(s.n == 4 && !strcmp(s.rows[3].event, "cpu_core/cycles/") && s.rows[3].pct_running == 91.62);
	perf_stat__free(&s);

	CHECK_EQ_INT(parse_stat("perf-stat-true.json", &s), 0);
	CHECK_EQ_INT(s.form, PERF_STAT_JSON);
	CHECK_EQ_INT(s.repeated, 0);
	CHECK_EQ_INT(s.n, 8);
	if (s.n == 8) {
		CHECK(!strcmp(s.rows[0].event, "task-clock") && !strcmp(s.rows[0].unit, "msec"));
		CHECK_NEAR(s.rows[0].pct_running, 100.0, 1e-12);
		CHECK(!s.rows[7].supported && !strcmp(s.rows[7].event, "branch-misses"));
	}
	perf_stat__free(&s);
	CHECK_EQ_INT(parse_stat("perf-stat-true-r3.json", &s), 0);
	CHECK_EQ_INT(s.repeated, 1);
	CHECK(s.n == 8 && s.rows[0].variance_pct >= 0);
	perf_stat__free(&s);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ_INT(parse_stat(bad[i], &s), -1);
		CHECK_EQ_INT(s.n, 0);
	}
}

static const struct perf_script_sym *find_sym(const struct perf_script *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->syms[i].name, name))
			return &s->syms[i];
	return NULL;
}

static void test_perf_script(void)
{
	struct perf_script s;
	const struct perf_script_sym *y;
	uint64_t total = 0;
	FILE *f;

	/* expected counts: awk over the same file (sampled IP's symbol and dso) */
	f = data("perf-script-sh.txt");
	CHECK_EQ_INT(perf_script__parse(f, "perf-script-sh.txt", NULL, &s), 0);
	fclose(f);
	CHECK_EQ_INT(s.samples, 37);
	CHECK(s.event && !strcmp(s.event, "cpu-clock"));
	CHECK(s.comm && !strcmp(s.comm, "sh"));
	y = find_sym(&s, "[unknown]");
	CHECK(y && y->samples == 11);
	y = find_sym(&s, "__strcmp_evex@libc.so.6");
	CHECK(y && y->samples == 7 && y->period == 7e6);
	y = find_sym(&s, "__strpbrk_sse42@libc.so.6");
	CHECK(y && y->samples == 6);
	y = find_sym(&s, "strcmp@plt"); /* dash is the program: bare name */
	CHECK(y && y->samples == 1);
	y = find_sym(&s, "[kernel]");
	CHECK(y && y->samples == 1);
	for (size_t i = 0; i < s.n; i++)
		total += s.syms[i].samples;
	CHECK_EQ_INT(total, 37);
	perf_script__free(&s);

	f = data("perf-script-sh-g.txt"); /* callchains: only the sampled IP counts */
	CHECK_EQ_INT(perf_script__parse(f, "perf-script-sh-g.txt", "dash", &s), 0);
	fclose(f);
	CHECK_EQ_INT(s.samples, 26);
	y = find_sym(&s, "__strcmp_evex@libc.so.6");
	CHECK(y && y->samples == 9);
	y = find_sym(&s, "[unknown]");
	CHECK(y && y->samples == 8);
	y = find_sym(&s, "init_cpu_features.constprop.0@ld-linux-x86-64.so.2");
	CHECK(y && y->samples == 1);
	CHECK(!find_sym(&s, "dl_main@ld-linux-x86-64.so.2")); /* a caller, not sampled */
	perf_script__free(&s);

	messages_quiet(1);
	f = data("perf-stat-true.csv");
	CHECK_EQ_INT(perf_script__parse(f, "perf-stat-true.csv", NULL, &s), -1);
	fclose(f);
	messages_quiet(0);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test-hw-parse DATADIR\n");
		return 2;
	}
	datadir = argv[1];
	test_group_read();
	test_run_multiplexed();
	test_events();
	test_sample_and_tp();
	test_console();
	test_console_harts();
	test_perf_stat();
	test_perf_stat_forms();
	test_perf_script();
	return check_exit();
}
