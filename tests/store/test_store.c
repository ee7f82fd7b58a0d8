/*
 * test_store.c - the results store: creation, schema, migration, rejection of
 * garbage and of newer schemas, transactional inserts, a writer killed in the
 * middle of a transaction, and two writers at once.
 */
#include "check.h"
#include "common.h"
#include "store.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern const char *const store_migrations[];
extern const size_t store_migrations_count;

static char dir[] = "/tmp/emudiff-test-store-XXXXXX";

static char *path_in(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static long long query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -999;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -998;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static const char *query_text(sqlite3 *db, const char *sql)
{
	static char buf[256];
	sqlite3_stmt *st;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return "?";
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, sizeof(buf), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return buf;
}

/* Does table t have column c? */
static int has_column(sqlite3 *db, const char *t, const char *c)
{
	char *sql = sqlite3_mprintf("SELECT count(*) FROM pragma_table_info(%Q) WHERE name = %Q", t, c);
	long long n = query_int(db, sql);

	sqlite3_free(sql);
	return n == 1;
}

static void test_create(void)
{
	static const char *const core[][12] = {
		{ "workload", "id", "name", "arch", "elf_path", "elf_sha256", "argv" },
		{ "run", "id", "workload_id", "platform", "config_json", "rep", "status", "exit_code",
		  "wall_ns", "started_at" },
		{ "mark", "run_id", "seq", "mark_id", "insns", "time_ns" },
		{ "run_metric", "run_id", "metric", "value" },
		{ "region", "id", "workload_id", "key", "name" },
		{ "region_metric", "run_id", "region_id", "metric", "value" },
		{ "event_count", "run_id", "region_id", "kind", "detail", "count" },
		{ "finding", "id", "workload_id", "region_id", "metric", "predictor", "factor", "ci_lo",
		  "ci_hi", "p_adj", "verdict", "reason" },
	};
	char *p = path_in("new.db");
	struct store *s = store__open(p, STORE_CREATE);

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_EQ_INT(query_int(s->db, "PRAGMA user_version"), store_schema_version);
	CHECK_EQ_INT(store_schema_version, (long long)store_migrations_count);
	CHECK(!strcmp(query_text(s->db, "PRAGMA journal_mode"), "wal"));
	CHECK_EQ_INT(query_int(s->db, "PRAGMA foreign_keys"), 1);
	CHECK_EQ_INT(query_int(s->db, "PRAGMA page_size"), 16384);
	/* region_metric (schema 5): its primary key only, and a foreign key on run only */
	CHECK_EQ_INT(query_int(s->db, "SELECT count(*) FROM pragma_index_list('region_metric') WHERE origin <> 'pk'"), 0);
	CHECK(!strcmp(query_text(s->db, "SELECT group_concat(\"table\") FROM pragma_foreign_key_list('region_metric')"),
		      "run"));
	for (size_t t = 0; t < sizeof(core) / sizeof(core[0]); t++)
		for (int c = 1; c < 12 && core[t][c]; c++)
			if (!has_column(s->db, core[t][0], core[t][c])) {
				fprintf(stderr, "missing column %s.%s\n", core[t][0], core[t][c]);
				check_failures++;
			}
	store__close(s);
	/* Reopening an up-to-date store changes nothing. */
	s = store__open(p, 0);
	CHECK(s != NULL);
	store__close(s);
	s = store__open(p, STORE_READONLY);
	CHECK(s != NULL);
	store__close(s);
	free(p);
}

static void write_file(const char *p, const void *data, size_t n)
{
	FILE *f = fopen(p, "wb");

	fwrite(data, 1, n, f);
	fclose(f);
}

static int file_equals(const char *p, const void *data, size_t n)
{
	char buf[4096];
	FILE *f = fopen(p, "rb");
	size_t got;

	if (!f)
		return 0;
	got = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return got == n && !memcmp(buf, data, n);
}

static void test_reject_garbage(void)
{
	static const char garbage[] = "this is a text file, not a database\n";
	char *p = path_in("garbage.db"), *q = path_in("missing.db");

	write_file(p, garbage, sizeof(garbage) - 1);
	CHECK(store__open(p, STORE_CREATE) == NULL);
	CHECK(store__open(p, STORE_READONLY) == NULL);
	CHECK(file_equals(p, garbage, sizeof(garbage) - 1)); /* never overwritten */
	CHECK(store__open(q, 0) == NULL);                     /* no create without asking */
	CHECK(access(q, F_OK) != 0);
	CHECK(store__open(dir, STORE_CREATE) == NULL);         /* a directory */
	free(p);
	free(q);
}

static void test_reject_foreign_and_newer(void)
{
	char *p = path_in("foreign.db"), *q = path_in("newer.db");
	sqlite3 *db;
	struct store *s;

	sqlite3_open(p, &db);
	sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1)", NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK(store__open(p, STORE_CREATE) == NULL);
	sqlite3_open(p, &db);
	CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM sqlite_schema"), 1); /* untouched */
	sqlite3_close(db);

	s = store__open(q, STORE_CREATE);
	CHECK(s != NULL);
	if (s) {
		char *sql = sqlite3_mprintf("PRAGMA user_version = %d", store_schema_version + 1);

		store__exec(s, sql);
		sqlite3_free(sql);
		store__close(s);
	}
	CHECK(store__open(q, 0) == NULL);
	CHECK(store__open(q, STORE_READONLY) == NULL);
	sqlite3_open(q, &db);
	CHECK_EQ_INT(query_int(db, "PRAGMA user_version"), store_schema_version + 1);
	sqlite3_close(db);
	free(p);
	free(q);
}

/* A store left at every older version k migrates forward and keeps its rows. */
static void test_migrate(void)
{
	for (int k = 0; k < store_schema_version; k++) {
		char *p = xasprintf("%s/v%d.db", dir, k);
		sqlite3 *db;
		struct store *s;
		char *sql;

		sqlite3_open(p, &db);
		for (int v = 0; v < k; v++)
			CHECK_EQ_INT(sqlite3_exec(db, store_migrations[v], NULL, NULL, NULL), SQLITE_OK);
		if (k > 0) {
			sqlite3_exec(db, "PRAGMA application_id = 1164801348", NULL, NULL, NULL);
			sqlite3_exec(db, "INSERT INTO workload(name) VALUES ('kept')", NULL, NULL, NULL);
			/* rows that migration 4 -> 5 copies into the rebuilt region_metric */
			CHECK_EQ_INT(sqlite3_exec(db,
				"INSERT INTO run(id, workload_id, platform, status, started_at) VALUES (7, 1, 'hw', 'ok', 'now');"
				"INSERT INTO region(id, workload_id, key) VALUES (3, 1, 'm:1->2#1'), (4, 1, 'm:2->3#1');"
				"INSERT INTO region_metric VALUES (7, 4, 'time_ns', 2.5), (7, 3, 'time_ns', 1.5),"
				" (7, 3, 'cycles', 4)", NULL, NULL, NULL), SQLITE_OK);
		}
		sql = sqlite3_mprintf("PRAGMA user_version = %d", k);
		sqlite3_exec(db, sql, NULL, NULL, NULL);
		sqlite3_free(sql);
		sqlite3_close(db);

		s = store__open(p, 0);
		CHECK(s != NULL);
		if (s) {
			CHECK_EQ_INT(query_int(s->db, "PRAGMA user_version"), store_schema_version);
			CHECK_EQ_INT(query_int(s->db, "SELECT count(*) FROM workload WHERE name = 'kept'"),
				     k > 0 ? 1 : 0);
			CHECK_EQ_INT(query_int(s->db, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"), 1);
			CHECK_EQ_INT(query_int(s->db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
			if (k > 0)
				CHECK(!strcmp(query_text(s->db, "SELECT group_concat(region_id || metric || value, ' ')"
								" FROM region_metric"),
					      "3cycles4.0 3time_ns1.5 4time_ns2.5"));
			CHECK_EQ_INT(query_int(s->db, "SELECT count(*) FROM pragma_index_list('region_metric')"
						      " WHERE origin <> 'pk'"), 0);
			CHECK_EQ_INT(query_int(s->db, "SELECT count(*) FROM pragma_foreign_key_list('region_metric')"), 1);
			/* an existing store keeps its page size (only new ones get 16 KiB) */
			CHECK_EQ_INT(query_int(s->db, "PRAGMA page_size"), 4096);
			store__close(s);
		}
		free(p);
	}
}

static int64_t add_run(struct store *s, int64_t w, int rep)
{
	struct run_info ri = {
		.workload_id = w, .platform = "hw", .config_json = "{\"k\":1}", .rep = rep,
		.status = "ok", .exit_code = 0, .wall_ns = 1000 + rep, .cell = NULL,
	};

	return store__run_add(s, &ri);
}

static void test_inserts(void)
{
	char *p = path_in("ins.db");
	struct store *s = store__open(p, STORE_CREATE);
	int64_t w, r, g1, g2;

	CHECK(s != NULL);
	if (!s)
		return;
	w = store__workload(s, "wl", "x86_64", NULL, "[\"a\",\"b\"]");
	CHECK(w > 0);
	CHECK_EQ_INT(store__workload(s, "wl", NULL, NULL, NULL), w);

	/* The binary's hash is recorded, kept when the same binary comes again and
	 * updated (with a warning) when the workload now runs another binary. */
	{
		char *b1 = path_in("bin1"), *b2 = path_in("bin2");
		int64_t e;

		write_file(b1, "one", 3);
		write_file(b2, "two", 3);
		e = store__workload(s, "elf", "x86_64", b1, NULL);
		CHECK(e > 0);
		CHECK_EQ_INT(store__workload(s, "elf", "x86_64", b1, NULL), e);
		/* sha256("one") */
		CHECK(!strcmp(query_text(s->db, "SELECT elf_sha256 FROM workload WHERE name = 'elf'"),
			      "7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed"));
		CHECK_EQ_INT(store__workload(s, "elf", "x86_64", b2, NULL), e);
		CHECK(!strcmp(query_text(s->db, "SELECT elf_sha256 FROM workload WHERE name = 'elf'"),
			      "3fc4ccfe745870e2c0d99f71f30ff0656c8dedd41cc1d7d3d376b0dbe685e2f3"));
		CHECK(store__workload(s, "elf", "x86_64", "/nonexistent/binary", NULL) < 0);
		free(b1);
		free(b2);
	}

	/* A rolled-back run leaves nothing. */
	CHECK_EQ_INT(store__begin(s), 0);
	r = add_run(s, w, 0);
	CHECK(r > 0);
	CHECK_EQ_INT(store__mark_add(s, r, 0, 0, 1, 100, 5), 0);
	store__rollback(s);
	CHECK_EQ_INT(query_int(s->db, "SELECT count(*) FROM run"), 0);
	CHECK_EQ_INT(query_int(s->db, "SELECT count(*) FROM mark"), 0);

	CHECK_EQ_INT(store__begin(s), 0);
	r = add_run(s, w, 1);
	CHECK_EQ_INT(store__mark_add(s, r, 0, 0, 1, 100, 5), 0);
	CHECK_EQ_INT(store__mark_add(s, r, 1, 0, 2, -1, 9), 0);
	CHECK(store__mark_add(s, r, 1, 0, 3, 1, 1) < 0); /* duplicate seq is an error */
	CHECK_EQ_INT(store__mark_value_add(s, r, 0, "page_faults", 3), 0);
	CHECK_EQ_INT(store__run_metric_set(s, r, "time_ns", 1), 0);
	CHECK_EQ_INT(store__run_metric_set(s, r, "time_ns", 2), 0);
	g1 = store__region(s, w, "m:1->2#1", NULL);
	g2 = store__region(s, w, "m:1->2#1", "phase");
	CHECK(g1 > 0);
	CHECK_EQ_INT(g1, g2);
	CHECK_EQ_INT(store__region_metric_set(s, r, g1, "insns", 42), 0);
	CHECK_EQ_INT(store__event_add(s, r, 0, 0, "syscall", "64", 7), 0);
	CHECK_EQ_INT(store__event_add(s, r, g1, -1, "trap_entry", "stvec", 2), 0);
	CHECK_EQ_INT(store__commit(s), 0);

	CHECK_EQ_INT(query_int(s->db, "SELECT count(*) FROM mark WHERE insns IS NULL"), 1);
	CHECK_EQ_INT(query_int(s->db, "SELECT value FROM run_metric WHERE metric = 'time_ns'"), 2);
	CHECK(!strcmp(query_text(s->db, "SELECT name FROM region"), "phase"));
	CHECK_EQ_INT(query_int(s->db, "SELECT seq FROM event_count WHERE kind = 'syscall'"), 0);
	CHECK_EQ_INT(query_int(s->db, "SELECT count(*) FROM event_count WHERE seq IS NULL AND region_id IS NOT NULL"), 1);
	CHECK(!strcmp(query_text(s->db, "SELECT config_json FROM run"), "{\"k\":1}"));
	CHECK(!strcmp(query_text(s->db, "SELECT status FROM run"), "ok"));
	CHECK(query_text(s->db, "SELECT started_at FROM run")[0] == '2');

	/* The schema's own checks hold: unknown platform or status is refused. */
	{
		struct run_info bad = { .workload_id = w, .platform = "laptop", .status = "ok" };

		CHECK(store__run_add(s, &bad) < 0);
		bad.platform = "hw";
		bad.status = "great";
		CHECK(store__run_add(s, &bad) < 0);
	}
	CHECK_EQ_INT(store__cell_done(s, "wl/hw/0"), 0);
	store__close(s);
	free(p);
}

/*
 * region_metric has a foreign key on run only (schema 5): deleting a run or a
 * workload still takes its rows; deleting regions is align's business, which
 * deletes their rows by run first (align/regions.c, align/rollup.c).
 */
static void test_delete_cascade(void)
{
	char *p = path_in("cascade.db");
	struct store *s = store__open(p, STORE_CREATE);
	int64_t w1, w2, r1, r2, r3, g1, g2;

	CHECK(s != NULL);
	if (!s)
		return;
	w1 = store__workload(s, "one", "x86_64", NULL, NULL);
	w2 = store__workload(s, "two", "x86_64", NULL, NULL);
	r1 = add_run(s, w1, 0);
	r2 = add_run(s, w1, 1);
	r3 = add_run(s, w2, 0);
	g1 = store__region(s, w1, "m:1->2#1", NULL);
	g2 = store__region(s, w2, "m:1->2#1", NULL);
	CHECK_EQ_INT(store__region_metric_set(s, r1, g1, "insns", 1), 0);
	CHECK_EQ_INT(store__region_metric_set(s, r2, g1, "insns", 2), 0);
	CHECK_EQ_INT(store__region_metric_set(s, r3, g2, "insns", 3), 0);
	CHECK_EQ_INT(store__exec(s, "DELETE FROM run WHERE rep = 1 AND workload_id = 1"), 0);
	CHECK_EQ_INT(query_int(s->db, "SELECT count(*) FROM region_metric"), 2);
	CHECK_EQ_INT(store__exec(s, "DELETE FROM workload WHERE name = 'one'"), 0);
	CHECK_EQ_INT(query_int(s->db, "SELECT count(*) FROM region"), 1);
	CHECK_EQ_INT(query_int(s->db, "SELECT count(*) FROM region_metric"), 1);
	CHECK_EQ_INT(query_int(s->db, "SELECT count(*) FROM region_metric rm"
				      " WHERE NOT EXISTS (SELECT 1 FROM region g WHERE g.id = rm.region_id)"), 0);
	store__close(s);
	free(p);
}

/* kill -9 in the middle of a transaction: the store opens, is intact, and holds
 * no half-ingested run. */
static void test_killed_writer(void)
{
	char *p = path_in("killed.db");
	struct store *s = store__open(p, STORE_CREATE);
	int fd[2], status;
	pid_t pid;
	char c;

	store__workload(s, "wl", NULL, NULL, NULL);
	store__close(s);
	CHECK_EQ_INT(pipe(fd), 0);
	pid = fork();
	if (pid == 0) {
		struct store *cs = store__open(p, 0);
		int64_t r;

		store__begin(cs);
		r = add_run(cs, 1, 0);
		for (int i = 0; i < 5000; i++)
			store__mark_add(cs, r, i, 0, 1 + i % 7, i * 10, i);
		if (write(fd[1], "x", 1) != 1)
			_exit(3);
		pause(); /* killed here, before COMMIT */
		_exit(0);
	}
	close(fd[1]);
	CHECK_EQ_INT(read(fd[0], &c, 1), 1);
	close(fd[0]);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	s = store__open(p, 0);
	CHECK(s != NULL);
	if (s) {
		CHECK(!strcmp(query_text(s->db, "PRAGMA integrity_check"), "ok"));
		CHECK_EQ_INT(query_int(s->db, "SELECT count(*) FROM run"), 0);
		CHECK_EQ_INT(query_int(s->db, "SELECT count(*) FROM mark"), 0);
		store__close(s);
	}
	free(p);
}

/* Two writers at once lose no row (busy timeout + BEGIN IMMEDIATE). */
static void test_two_writers(void)
{
	enum { RUNS = 150 };
	char *p = path_in("two.db");
	struct store *s = store__open(p, STORE_CREATE);
	pid_t pids[2];

	store__workload(s, "wl", NULL, NULL, NULL);
	store__close(s);
	for (int k = 0; k < 2; k++) {
		pids[k] = fork();
		if (pids[k] == 0) {
			struct store *cs = store__open(p, 0);
			int bad = !cs;

			for (int i = 0; cs && i < RUNS; i++) {
				int64_t r;

				bad |= store__begin(cs) != 0;
				r = add_run(cs, 1, k * 1000 + i);
				bad |= r <= 0;
				bad |= store__mark_add(cs, r, 0, 0, 1, i, i) != 0;
				bad |= store__commit(cs) != 0;
			}
			store__close(cs);
			free(p);
			_exit(bad);
		}
	}
	for (int k = 0; k < 2; k++) {
		int status;

		waitpid(pids[k], &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	s = store__open(p, 0);
	CHECK_EQ_INT(query_int(s->db, "SELECT count(*) FROM run"), 2 * RUNS);
	CHECK_EQ_INT(query_int(s->db, "SELECT count(*) FROM mark"), 2 * RUNS);
	store__close(s);
	free(p);
}

/* Several processes creating the same new store at once: one migrates, the
 * others find it migrated (found by two `collect hw` on a new store). The race
 * hits one round in about seven, so several rounds make a regression show. */
static void test_concurrent_create(void)
{
	enum { PROCS = 4, ROUNDS = 16 };

	for (int round = 0; round < ROUNDS; round++) {
		char name[32];
		char *p;
		pid_t pids[PROCS];
		struct store *s;

		snprintf(name, sizeof(name), "race%d.db", round);
		p = path_in(name);
		for (int k = 0; k < PROCS; k++) {
			pids[k] = fork();
			if (pids[k] == 0) {
				struct store *cs = store__open(p, STORE_CREATE);
				int bad = !cs || store__workload(cs, k % 2 ? "odd" : "even", NULL, NULL, NULL) < 0;

				store__close(cs);
				free(p);
				_exit(bad);
			}
		}
		for (int k = 0; k < PROCS; k++) {
			int status;

			waitpid(pids[k], &status, 0);
			CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		}
		s = store__open(p, 0);
		CHECK(s != NULL);
		if (s) {
			CHECK_EQ_INT(query_int(s->db, "PRAGMA user_version"), store_schema_version);
			CHECK_EQ_INT(query_int(s->db, "SELECT count(*) FROM workload"), 2);
			store__close(s);
		}
		free(p);
	}
}

/* A full disk (simulated with max_page_count, which fails with SQLITE_FULL
 * exactly as ENOSPC does) and a read-only store: errors, nothing half-written. */
static void test_full_and_readonly(void)
{
	char *p = path_in("full.db");
	struct store *s = store__open(p, STORE_CREATE);
	int64_t w, r;
	int failed = 0;

	w = store__workload(s, "wl", NULL, NULL, NULL);
	store__exec(s, "PRAGMA max_page_count = 40");
	CHECK_EQ_INT(store__begin(s), 0);
	r = add_run(s, w, 0);
	for (int i = 0; i < 100000 && !failed; i++)
		failed = store__mark_add(s, r, i, 0, 1, i, i) != 0;
	CHECK(failed);
	store__rollback(s);
	CHECK_EQ_INT(query_int(s->db, "SELECT count(*) FROM run"), 0);
	CHECK(!strcmp(query_text(s->db, "PRAGMA integrity_check"), "ok"));
	store__close(s);

	s = store__open(p, STORE_READONLY);
	CHECK(s != NULL);
	if (s) {
		CHECK(store__begin(s) != 0 || add_run(s, w, 1) < 0);
		store__rollback(s);
		store__close(s);
	}
	s = store__open(p, 0);
	CHECK_EQ_INT(query_int(s->db, "SELECT count(*) FROM run"), 0);
	store__close(s);
	free(p);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	messages_quiet(1);
	test_create();
	test_reject_garbage();
	test_reject_foreign_and_newer();
	test_migrate();
	test_inserts();
	test_delete_cascade();
	test_killed_writer();
	test_two_writers();
	test_concurrent_create();
	test_full_and_readonly();
	return check_exit_removing(dir);
}
