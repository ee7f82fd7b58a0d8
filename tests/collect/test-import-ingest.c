/*
 * test-import-ingest.c - console_ingest, perf_stat__ingest,
 * perf_script__ingest and uftrace__ingest on recorded outputs
 * (tests/hw/data) and hand-made data, into a temporary store: the exact rows,
 * and input or a store refusing a row leaving nothing stored.
 *   test-import-ingest DATADIR
 */
#include "check.h"
#include "hw-testdb.h"

static const char *data;

static FILE *open_data(const char *name)
{
	char *p = xasprintf("%s/%s", data, name);
	FILE *f = fopen(p, "r");

	if (!f) {
		perror(p);
		exit(99);
	}
	free(p);
	return f;
}

static void test_console(void)
{
	struct testdb t;
	struct store *st = testdb__open(&t);
	struct console_log cl;
	struct console_ingest in = { .workload = { "hermit", "riscv64", NULL, NULL }, .log = "console-boot.log",
				     .timebase_hz = 1e7 };
	int64_t ids[2] = { 0, 0 };
	FILE *f = open_data("console-boot.log");

	CHECK(!console_log__parse(f, "console-boot.log", &cl));
	fclose(f);
	CHECK_EQ_INT(cl.n_runs, 2);
	/* a store refusing the second run: the first is not kept either */
	CHECK(!store__exec(st, "CREATE TRIGGER refuse BEFORE INSERT ON run WHEN NEW.rep = 1 "
			       "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"));
	CHECK_EQ_INT(console_ingest(st, &in, &cl, ids), -1);
	CHECK_Q(st, "SELECT count(*) FROM run", "0");
	CHECK_Q(st, "SELECT count(*) FROM workload", "0");
	CHECK(!store__exec(st, "DROP TRIGGER refuse"));

	CHECK_EQ_INT(console_ingest(st, &in, &cl, ids), 0);
	CHECK_EQ_INT(ids[0], 1);
	CHECK_EQ_INT(ids[1], 2);
	CHECK_Q(st, "SELECT group_concat(platform||':'||status||':'||exit_code||':'||rep, ' ') FROM run",
		"console:ok:0:0 console:failed:3:1");
	CHECK_Q(st, "SELECT group_concat(mark_id||'/'||insns||'/'||time_ns, ' ') FROM "
		    "(SELECT * FROM mark WHERE run_id = 1 ORDER BY seq)",
		"1/900/0 2/40900/50000000 3/140900/150000000 2/141900/151000000 3/241900/251000000");
	CHECK_Q(st, "SELECT value FROM mark_value WHERE run_id = 1 AND seq = 2 AND metric = 'cycles'", "151000.0");
	CHECK_Q(st, "SELECT value FROM run_metric WHERE run_id = 2 AND metric = 'instret'", "140000.0");
	CHECK_Q(st, "SELECT json_extract(config_json, '$.collector')||' '||json_extract(config_json, '$.garbage_lines')"
		    "||' '||json_extract(config_json, '$.runs_in_log') FROM run WHERE id = 1", "console 18 2");
	console_log__free(&cl);
	testdb__close(&t);
}

static void test_perf_stat(void)
{
	struct testdb t;
	struct store *st = testdb__open(&t);
	struct perf_stat ps;
	struct import_ingest in = { .workload = { "t", NULL, NULL, NULL }, .file = "perf-stat-true.csv",
				    .platform = PLAT_IMPORT, .repeats = 3 };
	FILE *f = open_data("perf-stat-true.csv");

	CHECK(!perf_stat__parse(f, "perf-stat-true.csv", &ps));
	fclose(f);
	CHECK_EQ_INT(perf_stat__ingest(st, &in, &ps), 1);
	CHECK_Q(st, "SELECT platform||'|'||status||'|'||ifnull(exit_code,'-')||'|'||ifnull(wall_ns,'-') FROM run",
		"import|ok|-|-");
	CHECK_Q(st, "SELECT value FROM run_metric WHERE metric = 'task_clock_ns'", "3730000.0");
	CHECK_Q(st, "SELECT value FROM run_metric WHERE metric = 'page_faults'", "49.0");
	/* not counted is unsupported, never 0 */
	CHECK_Q(st, "SELECT count(*) FROM run_metric WHERE metric IN ('cycles', 'instret')", "0");
	CHECK_Q(st, "SELECT json_extract(config_json, '$.unsupported.cycles')||'|'||json_extract(config_json, "
		    "'$.repeats') FROM run", "not supported|3");
	in.platform = PLAT_HW;
	CHECK_EQ_INT(perf_stat__ingest(st, &in, &ps), 2);
	CHECK_Q(st, "SELECT platform FROM run WHERE id = 2", "hw");
	perf_stat__free(&ps);
	testdb__close(&t);
}

static void test_perf_script(void)
{
	struct testdb t;
	struct store *st = testdb__open(&t);
	struct perf_script ps;
	struct import_ingest in = { .workload = { "sh", NULL, NULL, NULL }, .file = "perf-script-sh.txt",
				    .platform = PLAT_IMPORT };
	FILE *f = open_data("perf-script-sh.txt");

	CHECK(!perf_script__parse(f, "perf-script-sh.txt", NULL, &ps));
	fclose(f);
	CHECK_EQ_INT(perf_script__ingest(st, &in, &ps), 1);
	CHECK_Q(st, "SELECT group_concat(g.key||'='||CAST(m.value AS INTEGER), ' ') FROM (SELECT * FROM region_metric "
		    "WHERE metric = 'samples' ORDER BY value DESC, region_id LIMIT 3) m JOIN region g ON g.id = m.region_id",
		"s:[unknown]=11 s:__strcmp_evex@libc.so.6=7 s:__strpbrk_sse42@libc.so.6=6");
	CHECK_Q(st, "SELECT sum(value) FROM region_metric WHERE metric = 'samples'", "37.0");
	CHECK_Q(st, "SELECT value FROM run_metric WHERE metric = 'samples'", "37.0");
	CHECK_Q(st, "SELECT m.value FROM region_metric m JOIN region g ON g.id = m.region_id "
		    "WHERE g.key = 's:__strcmp_evex@libc.so.6' AND metric = 'time_ns'", "7000000.0");
	/* samples of two events cannot be added up: refused, nothing stored */
	ps.mixed_events = 1;
	CHECK(perf_script__check(&ps, in.file) == -1);
	CHECK_EQ_INT(perf_script__ingest(st, &in, &ps), -1);
	CHECK_Q(st, "SELECT count(*) FROM run", "1");
	perf_script__free(&ps);
	testdb__close(&t);
}

static void test_uftrace(void)
{
	struct testdb t;
	struct store *st = testdb__open(&t);
	struct uftrace_func funcs[2] = { { "main", 1, 900, 100 }, { "work", 3, 800, 800 } };
	struct uftrace_data d = { .exename = "prog", .version = 4, .n_tasks = 1, .funcs = funcs, .n_funcs = 2,
				  .first_ns = 1000, .last_ns = 2000, .records = 8 };
	struct import_ingest in = { .workload = { "prog", NULL, NULL, NULL }, .file = "uftrace.data",
				    .platform = PLAT_IMPORT, .rep = 2, .cell = "k" };

	CHECK_EQ_INT(uftrace__ingest(st, &in, &d), 1);
	CHECK_Q(st, "SELECT platform||'|'||status||'|'||rep||'|'||cell||'|'||wall_ns FROM run", "import|ok|2|k|1000");
	CHECK_Q(st, "SELECT value FROM run_metric WHERE metric = 'time_ns'", "1000.0");
	CHECK_Q(st, "SELECT group_concat(g.key||':'||m.metric||'='||m.value, ' ') FROM "
		    "(SELECT * FROM region_metric ORDER BY region_id, metric) m JOIN region g ON g.id = m.region_id",
		"s:main:calls=1.0 s:main:incl_time_ns=900.0 s:main:time_ns=100.0 "
		"s:work:calls=3.0 s:work:incl_time_ns=800.0 s:work:time_ns=800.0");
	CHECK_Q(st, "SELECT json_extract(config_json, '$.source')||'|'||json_extract(config_json, '$.dir') FROM run",
		"uftrace|uftrace.data");
	/* a region refused: the run goes too */
	CHECK(!store__exec(st, "CREATE TRIGGER refuse BEFORE INSERT ON region_metric "
			       "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"));
	CHECK_EQ_INT(uftrace__ingest(st, &in, &d), -1);
	CHECK_Q(st, "SELECT count(*) FROM run", "1");
	testdb__close(&t);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test-import-ingest DATADIR\n");
		return 99;
	}
	data = argv[1];
	test_console();
	test_perf_stat();
	test_perf_script();
	test_uftrace();
	return check_exit();
}
