/*
 * test_qemu_ingest.c - the QEMU collector's ingest (collect/qemu_ingest.c) on
 * plugin output files written here by hand (format: qemu_output.h), into a
 * temporary store, without running QEMU: the exact rows of a run, the forked
 * children's files summed, events symbolized by an ELF, and damaged or
 * foreign files refused with nothing stored. Also the plugin option checks
 * of collect/qemu_options.c.
 */
#include "align.h"
#include "check.h"
#include "collect.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256];

/* Write dir/name: the lines given, then the end line counting them. */
static char *write_output(const char *name, const char *lines, int with_end)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	int n = 0;

	for (const char *p = lines; *p; p++)
		n += *p == '\n';
	fputs(lines, f);
	if (with_end)
		fprintf(f, "end %d\n", n);
	fclose(f);
	return path;
}

/* The rows of a query as "a|b c|d": each row's columns joined by '|', rows by ' '. */
static char *rows(struct store *s, const char *sql, ...)
{
	char *q, *out = xstrdup("");
	va_list ap;
	sqlite3_stmt *st;

	va_start(ap, sql);
	q = sqlite3_vmprintf(sql, ap);
	va_end(ap);
	if (sqlite3_prepare_v2(s->db, q, -1, &st, NULL)) {
		fprintf(stderr, "%s: %s\n", q, sqlite3_errmsg(s->db));
		exit(2);
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(st); c++) {
			const char *v = (const char *)sqlite3_column_text(st, c);
			char *more = xasprintf("%s%s%s", out, c ? "|" : *out ? " " : "", v ? v : "NULL");

			free(out);
			out = more;
		}
	}
	sqlite3_finalize(st);
	sqlite3_free(q);
	return out;
}

#define CHECK_ROWS(s, expect, ...)                                                         \
	do {                                                                               \
		char *got_ = rows(s, __VA_ARGS__);                                         \
		CHECKF(!strcmp(got_, expect), "%s:\n  got    '%s'\n  expect '%s'", #__VA_ARGS__, \
		       got_, expect);                                                      \
		free(got_);                                                                \
	} while (0)

static const char header_user[] = "emudiff-qemu-plugin 2\narch x86_64\nsystem 0\nmode exact\n"
				  "plugin_api 1\noptions mode=exact mem=on\n"
				  "start_code 0x400000\nentry_code 0x401000\n";

/* A user-mode run: every kind of row, and the status from the exit line. */
static void test_user_rows(struct store *s)
{
	char *lines = xasprintf("%s"
		"mark 0 1 10 1000\nvalue 0 mem_accesses 4\nmark 1 2 250 5000\nvalue 1 mem_accesses 90\n"
		"event -1 syscall 12 2\nevent 0 syscall 1:-9 1\nevent 1 ecall 0x401020 3\n"
		"symbol 200 main\nsymbol 55 [unknown]\nsymbol 5 helper two\n"
		"msym_complete 2\nmsym -1 10 main\nmsym 0 200 main\nmsym 1 40 [unknown]\n"
		"block 0x401000 4 50 200 main\n"
		"total insns 260\ntotal host_ns 777\ntotal mem_accesses 91\nvcpus 1\nexit 3\n",
		header_user);
	char *path = write_output("user.out", lines, 1);
	char *argv[] = { "prog", "a b" };
	struct qemu_run_record rec = { .name = "prog", .argc = 2, .argv = argv, .rep = 4 };
	int64_t run = qemu__ingest_file(s, &rec, path);

	CHECK_EQ_INT(run, 1);
	CHECK_ROWS(s, "prog|x86_64|[\"prog\",\"a b\"]", "SELECT name, arch, argv FROM workload");
	CHECK_ROWS(s, "qemu-user|4|failed|3|NULL|NULL",
		   "SELECT platform, rep, status, exit_code, wall_ns, cell FROM run WHERE id = %lld",
		   (long long)run);
	CHECK_ROWS(s, "exact|mode=exact mem=on|1|2|qemu|unknown|false",
		   "SELECT config_json->>'mode', config_json->>'plugin_options', config_json->>'vcpus', "
		   "config_json->>'mark_symbols_complete', config_json->>'collector', "
		   "config_json->>'qemu', config_json->>'system' FROM run WHERE id = %lld", (long long)run);
	CHECK_ROWS(s, "0|1|10|1000 1|2|250|5000",
		   "SELECT seq, mark_id, insns, time_ns FROM mark WHERE run_id = %lld ORDER BY seq",
		   (long long)run);
	CHECK_ROWS(s, "0|mem_accesses|4.0 1|mem_accesses|90.0",
		   "SELECT seq, metric, value FROM mark_value WHERE run_id = %lld ORDER BY seq",
		   (long long)run);
	CHECK_ROWS(s, "exit_code|3.0 insns|260.0 insns_unattributed|55.0 mem_accesses|91.0 "
		      "qemu_host_ns|777.0",
		   "SELECT metric, value FROM run_metric WHERE run_id = %lld ORDER BY metric",
		   (long long)run);
	CHECK_ROWS(s, "s:helper two|helper two|insns|5.0 s:main|main|insns|200.0",
		   "SELECT key, name, metric, value FROM region_metric JOIN region ON region.id = "
		   "region_id WHERE run_id = %lld ORDER BY key", (long long)run);
	/* before the first marker: seq NULL (store__event_add) */
	CHECK_ROWS(s, "NULL|syscall|12|2|NULL 0|syscall|1:-9|1|NULL 1|ecall|0x401020|3|NULL",
		   "SELECT seq, kind, detail, count, region_id FROM event_count WHERE run_id = %lld "
		   "ORDER BY seq", (long long)run);
	CHECK_ROWS(s, "-1|main|insns|10.0 0|main|insns|200.0 1|[unknown]|insns|40.0",
		   "SELECT seq, symbol, metric, value FROM mark_symbol WHERE run_id = %lld ORDER BY seq",
		   (long long)run);
	unlink(path);
	free(path);
	free(lines);
}

/* Forked children's FILE.<pid> files: their total insns summed, the rest the parent's. */
static void test_children(struct store *s)
{
	char *lines = xasprintf("%smark 0 1 5 1\ntotal insns 50\nvcpus 1\n", header_user);
	char *child1 = xasprintf("%stotal insns 100\nvcpus 1\nexit 0\n", header_user);
	char *child2 = xasprintf("%smark 0 1 2 1\ntotal insns 23\nvcpus 1\n", header_user);
	char *path = write_output("fork.out", lines, 1);
	char *c1 = write_output("fork.out.1234", child1, 1);
	char *c2 = write_output("fork.out.99", child2, 1);
	char *other = write_output("fork.out.12x", "not a child\n", 0);
	struct qemu_run_record rec = { .name = "fork" };
	int64_t run = qemu__ingest_file(s, &rec, path);

	CHECK(run > 0);
	CHECK_ROWS(s, "children|2.0 insns|50.0 insns_children|123.0 insns_unattributed|0.0",
		   "SELECT metric, value FROM run_metric WHERE run_id = %lld ORDER BY metric",
		   (long long)run);
	CHECK_ROWS(s, "2|ok", "SELECT config_json->>'forked', status FROM run WHERE id = %lld",
		   (long long)run);
	CHECK_ROWS(s, "0|5", "SELECT seq, insns FROM mark WHERE run_id = %lld", (long long)run);
	/* every process's thread (files before format 4: one each), the children by pid */
	CHECK_ROWS(s, "0|thread|0|NULL|NULL|50.0 1|thread|1|99|NULL|23.0 2|thread|2|1234|NULL|100.0",
		   "SELECT t.thread, kind, process, pid, in_load, m.value FROM run_thread t JOIN thread_metric m"
		   " ON m.run_id = t.run_id AND m.thread = t.thread AND m.metric = 'insns'"
		   " WHERE t.run_id = %lld ORDER BY t.thread", (long long)run);
	CHECK_ROWS(s, "0", "SELECT count(*) FROM thread_metric WHERE run_id = %lld AND metric = 'host_ns'",
		   (long long)run);
	/* a damaged child's file is bad input: nothing of the run is stored */
	char *bad = write_output("fork.out.77", child1, 0);

	CHECK_EQ_INT(qemu__ingest_file(s, &rec, path), -1);
	CHECK_ROWS(s, "1", "SELECT count(*) FROM run WHERE workload_id = "
		   "(SELECT id FROM workload WHERE name = 'fork')");
	qemu_outputs__remove_children(path);
	CHECK(access(c1, F_OK) && access(c2, F_OK) && access(bad, F_OK));
	CHECK(!access(other, F_OK) && !access(path, F_OK));
	unlink(other);
	unlink(path);
	free(lines), free(child1), free(child2), free(path), free(c1), free(c2), free(other), free(bad);
}

/* Damaged or foreign files are refused and store nothing. */
static void test_refused(struct store *s)
{
	char *good = xasprintf("%smark 0 1 5 1\ntotal insns 50\nvcpus 1\n", header_user);
	char *threads = xasprintf("%stotal insns 50\nvcpus 2\n", header_user);
	char *runs = rows(s, "SELECT count(*) FROM run");
	struct qemu_run_record rec = { .name = "refused" };
	char *paths[] = {
		write_output("trunc.out", good, 0),          /* no end line */
		write_output("threads.out", threads, 1),     /* two vCPUs */
		write_output("count.out", "emudiff-qemu-plugin 2\narch x86_64\nend 5\n", 0),
	};
	struct qemu_run_record rv = { .name = "refused", .arch = "riscv64" };
	char *arch = write_output("arch.out", good, 1); /* x86_64 output, riscv64 ELF */
	struct qemu_run_record sys = { .name = "refused", .system = 1 };

	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
		CHECK_EQ_INT(qemu__ingest_file(s, &rec, paths[i]), -1);
		unlink(paths[i]);
		free(paths[i]);
	}
	CHECK_EQ_INT(qemu__ingest_file(s, &rv, arch), -1);
	CHECK_EQ_INT(qemu__ingest_file(s, &sys, arch), -1); /* user-mode output */
	CHECK_ROWS(s, runs, "SELECT count(*) FROM run");
	CHECK_ROWS(s, "", "SELECT name FROM workload WHERE name = 'refused'");
	unlink(arch);
	free(arch), free(good), free(threads), free(runs);
}

/* Format 3: pc lines through map lines into s:<symbol>@<dso>; QEMU's
 * [unknown] line is replaced by them; malformed map and pc lines refused. */
static void test_maps(struct store *s)
{
	static const char h3[] = "emudiff-qemu-plugin 3\narch x86_64\nsystem 0\nmode default\n"
				 "plugin_api 1\noptions -\nstart_code 0x400000\nentry_code 0x7000\n";
	char *good = xasprintf("%ssymbol 20 main\nsymbol 10 [unknown]\n"
			       "map 0x400000 0x401000 0x0 /nonexistent/prog\n"
			       "map 0x1000 0x2000 0x3000 /nonexistent/dir/libfoo.so.1.2\n"
			       "pc 0x1800 7\npc 0x9000 3\ntotal insns 30\nvcpus 1\n", h3);
	char *path = write_output("maps.out", good, 1);
	struct qemu_run_record rec = { .name = "maps" };
	int64_t run = qemu__ingest_file(s, &rec, path);

	CHECK(run > 0);
	CHECK_ROWS(s, "s:[unknown]@libfoo.so.1.2|7.0 s:main|20.0",
		   "SELECT r.key, rm.value FROM region_metric rm JOIN region r ON r.id = rm.region_id "
		   "WHERE rm.run_id = %lld ORDER BY r.key", (long long)run);
	CHECK_ROWS(s, "3.0", "SELECT value FROM run_metric WHERE run_id = %lld AND "
		   "metric = 'insns_unattributed'", (long long)run);
	unlink(path);
	free(path);

	const char *bad[] = {
		"map 0x2000 0x1000 0x0 /x\n",          /* reversed range */
		"map 0x1000 0x2000 0x0\n",             /* no path */
		"map 0x1000 0x2000 0x0 relative\n",    /* not absolute */
		"map 0x1000 0x2000 zero /x\n",         /* malformed offset */
		"pc 0x20 1\npc 0x10 1\n",              /* out of order */
		"pc 0x10 1\nmap 0x1000 0x2000 0x0 /x\n", /* map after pc */
		"pc 0x10\n",                            /* missing count */
	};
	char *runs = rows(s, "SELECT count(*) FROM run");

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char *text = xasprintf("%s%stotal insns 1\nvcpus 1\n", h3, bad[i]);
		char *p = write_output("badmap.out", text, 1);
		struct qemu_run_record r = { .name = "badmap" };

		CHECKF(qemu__ingest_file(s, &r, p) == -1, "accepted: %s", bad[i]);
		unlink(p);
		free(p), free(text);
	}
	/* map lines are format 3: refused in a version 2 file */
	char *v2 = xasprintf("%smap 0x1000 0x2000 0x0 /x\nvcpus 1\n", header_user);
	char *p2 = write_output("v2map.out", v2, 1);
	struct qemu_run_record r2 = { .name = "badmap" };

	CHECK_EQ_INT(qemu__ingest_file(s, &r2, p2), -1);
	CHECK_ROWS(s, runs, "SELECT count(*) FROM run");
	CHECK_ROWS(s, "", "SELECT name FROM workload WHERE name = 'badmap'");
	unlink(p2);
	free(p2), free(v2), free(runs), free(good);
}

static const char header4[] = "emudiff-qemu-plugin 4\narch riscv64\nsystem 0\nmode default\n"
			       "plugin_api 4\ncounting inline\noptions -\n";

/* Format 4: each hit's thread, the threads and their totals, the intervals
 * before a thread's first hit (seq -1 - K), and msym_run lines expanded. */
static void test_threads(struct store *s)
{
	char *lines = xasprintf("%s"
		"mark 0 0 1 10 100\nmark 1 1 7 3 150\nmark 2 0 2 40 200\nmark 3 1 8 9 250\n"
		"mark 4 1 8 15 300\nmark 5 1 8 21 350\n"
		"event -2 syscall 220 1\nevent 2 syscall 93 1\n"
		"msym_complete 6\nmsym -2 3 worker\nmsym -1 10 main\nmsym 0 30 main\n"
		"msym 1 6 worker\nmsym 2 5 main\nmsym 3 6 worker\nmsym_run 3 5\n"
		"thread 0 0\nthread_total 0 insns 45\nthread_total 0 syscalls 1\n"
		"thread 1 3\nthread_total 1 insns 27\nthread_total 1 syscalls 1\n"
		"total insns 72\ntotal host_ns 400\ntotal syscalls 2\nexit 0\n", header4);
	char *path = write_output("threads.out", lines, 1);
	struct qemu_run_record rec = { .name = "threads" };
	int64_t run = qemu__ingest_file(s, &rec, path);

	CHECK(run > 0);
	CHECK_ROWS(s, "ok|2|inline", "SELECT status, config_json->>'vcpus', config_json->>'counting' "
		   "FROM run WHERE id = %lld", (long long)run);
	CHECK_ROWS(s, "0|0|10 1|1|3 2|0|40 3|1|9 4|1|15 5|1|21",
		   "SELECT seq, thread, insns FROM mark WHERE run_id = %lld ORDER BY seq", (long long)run);
	CHECK_ROWS(s, "0|0|thread 1|3|thread",
		   "SELECT thread, os_id, kind FROM run_thread WHERE run_id = %lld ORDER BY thread",
		   (long long)run);
	CHECK_ROWS(s, "0|insns|45.0 0|syscalls|1.0 1|insns|27.0 1|syscalls|1.0",
		   "SELECT thread, metric, value FROM thread_metric WHERE run_id = %lld ORDER BY thread, "
		   "metric", (long long)run);
	CHECK_ROWS(s, "insns|72.0 syscalls|2.0", "SELECT metric, value FROM run_metric WHERE run_id = "
		   "%lld AND metric IN ('insns', 'syscalls') ORDER BY metric", (long long)run);
	/* the run line's intervals 4 and 5 (thread 1's after 3) have interval 3's symbols */
	CHECK_ROWS(s, "-2|worker|3.0 -1|main|10.0 0|main|30.0 1|worker|6.0 2|main|5.0 3|worker|6.0 "
		      "4|worker|6.0 5|worker|6.0",
		   "SELECT seq, symbol, value FROM mark_symbol WHERE run_id = %lld ORDER BY seq",
		   (long long)run);
	unlink(path);
	free(path), free(lines);

	/* a second thread in API 1 inline mode: a failed run, why, and no counts */
	char *inv = xasprintf("%sinvalid the guest started a second thread\n", header4);
	char *ipath = write_output("invalid.out", inv, 1);
	struct qemu_run_record irec = { .name = "threads" };
	int64_t irun = qemu__ingest_file(s, &irec, ipath);

	CHECK(irun > 0);
	CHECK_ROWS(s, "failed|the guest started a second thread", "SELECT status, config_json->>'why' "
		   "FROM run WHERE id = %lld", (long long)irun);
	CHECK_ROWS(s, "0|0|0", "SELECT (SELECT count(*) FROM mark WHERE run_id = %lld), (SELECT count(*) "
		   "FROM run_metric WHERE run_id = %lld), (SELECT count(*) FROM run_thread WHERE run_id = "
		   "%lld)", (long long)irun, (long long)irun, (long long)irun);
	unlink(ipath);
	free(ipath), free(inv);
}

/* Format 4 files whose threads do not fit together are refused, nothing stored. */
static void test_threads_refused(struct store *s)
{
	const char *bad[] = {
		/* totals that do not add up */
		"thread 0 0\nthread_total 0 insns 5\ntotal insns 6\n",
		/* a mark on a thread without its thread line */
		"mark 0 1 1 0 1\nthread 0 0\nthread_total 0 insns 5\ntotal insns 5\n",
		/* a thread's marks counting backwards */
		"mark 0 0 1 9 1\nmark 1 0 1 8 2\nthread 0 0\ntotal insns 9\n",
		/* an event of thread 1 (seq -2) with one thread */
		"event -2 syscall 1 1\nthread 0 0\ntotal insns 1\n",
		/* thread lines out of sequence */
		"thread 1 0\ntotal insns 1\n",
		/* no thread line, yet instructions */
		"total insns 1\n",
		/* an msym_run not after its interval's lines, and one into another thread */
		"mark 0 0 1 0 1\nmark 1 0 1 2 2\nmsym_complete 2\nmsym_run 0 1\nthread 0 0\ntotal insns 4\n",
		"mark 0 0 1 0 1\nmark 1 1 1 2 2\nmsym_complete 2\nmsym 0 2 f\nmsym_run 0 1\n"
		"thread 0 0\nthread 1 1\ntotal insns 4\n",
		/* an msym line for an interval an msym_run line gave */
		"mark 0 0 1 0 1\nmark 1 0 1 2 2\nmsym_complete 2\nmsym 0 2 f\nmsym_run 0 1\nmsym 1 2 f\n"
		"thread 0 0\ntotal insns 4\n",
		/* format 3's mark line */
		"mark 0 1 0 1\nthread 0 0\ntotal insns 1\n",
	};
	char *runs = rows(s, "SELECT count(*) FROM run");

	messages_quiet(1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char *text = xasprintf("%s%s", header4, bad[i]);
		char *p = write_output("bad4.out", text, 1);
		struct qemu_run_record r = { .name = "bad4" };

		CHECKF(qemu__ingest_file(s, &r, p) == -1, "accepted: %s", bad[i]);
		unlink(p);
		free(p), free(text);
	}
	messages_quiet(0);
	CHECK_ROWS(s, runs, "SELECT count(*) FROM run");
	free(runs);
}

static const char header5[] = "emudiff-qemu-plugin 5\narch x86_64\nsystem 0\nmode default\n"
			       "plugin_api 4\ncounting inline\noptions -\n";

/* Format 5: marks on the previous mark's thread by difference (m lines),
 * "m DNS" repeating the last m line's id and instructions; damaged ones refused. */
static void test_compact_marks(struct store *s)
{
	char *lines = xasprintf("%s"
		"mark 0 0 1 10 100\nm 2 5 50\nm 20\nm 3 0 -10\nmark 4 1 7 3 150\nm 8 6 10\n"
		"mark 6 0 2 20 170\nm 2 5 1\n"
		"thread 0 0\nthread_total 0 insns 30\nthread 1 1\nthread_total 1 insns 9\n"
		"total insns 39\ntotal host_ns 400\nexit 0\n", header5);
	char *path = write_output("compact.out", lines, 1);
	struct qemu_run_record rec = { .name = "compact" };
	int64_t run = qemu__ingest_file(s, &rec, path);

	CHECK(run > 0);
	CHECK_ROWS(s, "0|0|1|10|100 1|0|2|15|150 2|0|2|20|170 3|0|3|20|160 4|1|7|3|150 5|1|8|9|160 "
		      "6|0|2|20|170 7|0|2|25|171",
		   "SELECT seq, thread, mark_id, insns, time_ns FROM mark WHERE run_id = %lld ORDER BY seq",
		   (long long)run);
	unlink(path);
	free(path), free(lines);

	const char *bad[] = {
		"m 1 0 5\nthread 0 0\ntotal insns 0\n",            /* no mark line before */
		"mark 0 0 1 0 5\nm 7\nthread 0 0\ntotal insns 0\n", /* nothing to repeat */
		"mark 0 0 1 0 5\nm 1 0 -6\nthread 0 0\ntotal insns 0\n", /* time below zero */
		"mark 0 0 1 0 5\nm 0 1 1\nthread 0 0\ntotal insns 1\n",  /* marker id 0 */
		"mark 0 0 1 0 5\nm 1 1\nthread 0 0\ntotal insns 1\n",    /* three fields */
		"mark 0 0 1 0 5\nm 1 -1 1\nthread 0 0\ntotal insns 1\n", /* negative difference */
	};
	char *runs = rows(s, "SELECT count(*) FROM run");

	messages_quiet(1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char *text = xasprintf("%s%s", header5, bad[i]);
		char *p = write_output("bad5.out", text, 1);
		struct qemu_run_record r = { .name = "bad5" };

		CHECKF(qemu__ingest_file(s, &r, p) == -1, "accepted: %s", bad[i]);
		unlink(p);
		free(p), free(text);
	}
	/* an m line in a format 4 file */
	char *text4 = xasprintf("%smark 0 0 1 0 5\nm 1 1 1\nthread 0 0\ntotal insns 1\n", header4);
	char *p4 = write_output("bad4m.out", text4, 1);
	struct qemu_run_record r4 = { .name = "bad4m" };

	CHECK(qemu__ingest_file(s, &r4, p4) == -1);
	unlink(p4);
	free(p4), free(text4);
	messages_quiet(0);
	CHECK_ROWS(s, runs, "SELECT count(*) FROM run");
	free(runs);
}

/* System mode: event addresses become symbols of the guest ELF (this test's own). */
static void test_symbolized(struct store *s, const char *self)
{
	struct symtab *t = symtab__load(self);
	const struct sym *main_sym = NULL;

	CHECK(t != NULL);
	for (size_t k = 0; t && k < symtab__count(t); k++)
		if (!strcmp(symtab__at(t, k)->name, "main"))
			main_sym = symtab__at(t, k);
	if (!main_sym)
		return;
	unsigned long long a = (unsigned long long)main_sym->addr;
	char *lines = xasprintf("emudiff-qemu-plugin 2\narch x86_64\nsystem 1\nmode default\n"
		"plugin_api 1\noptions trapvec=0x%llx@hs\n"
		"event -1 trap_entry hs:0x%llx 2\nevent -1 vm_exit 0x%llx 1\nevent -1 hlt 0x%llx 4\n"
		"event -1 trap_entry 0x%llx 5\nevent -1 trap_return sret 2\ntotal insns 9\nvcpus 1\n",
		a, a, a, a + 4, a + 4);
	char *path = write_output("sys.out", lines, 1);
	struct qemu_run_record rec = { .name = "kernel", .system = 1, .elf_syms = t };
	int64_t run = qemu__ingest_file(s, &rec, path);
	char *expect = xasprintf("hlt|main+0x4 trap_entry|0x%llx trap_entry|hs:main trap_return|sret "
				 "vm_exit|main", a + 4);

	CHECK(run > 0);
	CHECK_ROWS(s, "qemu-system", "SELECT platform FROM run WHERE id = %lld", (long long)run);
	/* a trap vector is named only at a symbol's start */
	CHECK_ROWS(s, expect, "SELECT kind, detail FROM event_count WHERE run_id = %lld "
		   "ORDER BY kind, detail", (long long)run);
	unlink(path);
	free(path), free(lines), free(expect);
	symtab__free(t);
}

/* --plugin-opt words are checked by the plugin's key table; --trapvec and
 * --guest become the plugin's trapvec= and guest= lists. */
static void test_options(void)
{
	const char *opts[] = { "mode=exact", "mem=on" }, *tv[] = { "0x100@hs", "0x200" },
		   *guest[] = { "0x1000-0x2000" }, *bad_guest[] = { "0x2000-0x1000" };
	struct qemu_plugin_words w = { opts, tv, guest, 2, 2, 1, 0 };
	char *s;

	CHECK(!qemu_plugin_opt__check("mode=exact"));
	CHECK(!qemu_plugin_opt__check("marksyms_limit=0"));
	CHECK(!qemu_plugin_opt__check("trapvec=0x1"));
	CHECK(!strcmp(qemu_plugin_opt__check("mode=fast"), "expected default or exact"));
	CHECK(!strcmp(qemu_plugin_opt__check("mix=yes"), "expected on or off"));
	CHECK(!strcmp(qemu_plugin_opt__check("blocks=-1"), "expected a count"));
	CHECK(!strcmp(qemu_plugin_opt__check("colour=red"),
		      "unknown plugin option (mode, mem, mix, symbols, blocks, trapvec, guest, "
		      "marksyms, marksyms_limit, threads, lean_limit)"));
	CHECK(!qemu_plugin_opt__check("threads=on"));
	s = qemu_plugin_opts__build(&w, 1, NULL);
	CHECK(s && !strcmp(s, "mode=exact,mem=on,trapvec=0x100@hs:0x200,guest=0x1000-0x2000"));
	free(s);
	s = qemu_plugin_opts__build(&w, 0, NULL); /* user mode: no vectors */
	CHECK(s && !strcmp(s, "mode=exact,mem=on"));
	free(s);
	w.threads = 1; /* a program that can start threads */
	s = qemu_plugin_opts__build(&w, 0, NULL);
	CHECK(s && !strcmp(s, "mode=exact,mem=on,threads=on"));
	free(s);
	const char *off[] = { "threads=off" }; /* unless the user said */
	struct qemu_plugin_words w2 = { off, NULL, NULL, 1, 0, 0, 1 };

	s = qemu_plugin_opts__build(&w2, 0, NULL);
	CHECK(s && !strcmp(s, "threads=off"));
	free(s);
	w.threads = 0;
	w.guest = bad_guest;
	CHECK(qemu_plugin_opts__build(&w, 1, NULL) == NULL);
	/* -smp: cpus, maxcpus or the topology's product, whichever is most */
	CHECK_EQ_INT(qemu__smp_vcpus("4"), 4);
	CHECK_EQ_INT(qemu__smp_vcpus("2,maxcpus=8"), 8);
	CHECK_EQ_INT(qemu__smp_vcpus("cpus=3"), 3);
	CHECK_EQ_INT(qemu__smp_vcpus("sockets=2,cores=4,threads=2"), 16);
}

int main(int argc, char **argv)
{
	const char *td = getenv("TMPDIR");
	struct store *s;
	char *db;

	(void)argc;
	snprintf(dir, sizeof(dir), "%s/test-qemu-ingest-XXXXXX", td && *td ? td : "/tmp");
	if (!mkdtemp(dir))
		return 2;
	db = xasprintf("%s/store.db", dir);
	s = store__open(db, STORE_CREATE);
	if (!s)
		return 2;
	test_user_rows(s);
	test_children(s);
	test_refused(s);
	test_maps(s);
	test_symbolized(s, argv[0]);
	test_threads(s);
	test_threads_refused(s);
	test_compact_marks(s);
	test_options();
	store__close(s);
	unlink(db);
	char *wal = xasprintf("%s-wal", db), *shm = xasprintf("%s-shm", db);

	unlink(wal), unlink(shm);
	rmdir(dir);
	free(wal), free(shm), free(db);
	return check_exit();
}
