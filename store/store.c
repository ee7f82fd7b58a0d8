/*
 * store.c - open, migrate and write the results store.
 *
 * The store is one SQLite file in WAL mode so that readers (report, show) never
 * block a collector, and a busy timeout so that two collectors writing one store
 * wait for each other instead of failing.
 */
#include "store.h"

#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern const char *const store_migrations[];
extern const size_t store_migrations_count;

/* Stamped into every store (PRAGMA application_id): "EmuD". */
#define STORE_APPLICATION_ID 0x456d7544

static int sql_error(struct store *s, const char *what)
{
	return error("%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

int store__exec(struct store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		error("%s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int pragma_int(struct store *s, const char *sql, int *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int read_header(struct store *s, int *version, int *app_id, int *ntables)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db,
			       "SELECT (SELECT user_version FROM pragma_user_version), "
			       "(SELECT application_id FROM pragma_application_id), "
			       "(SELECT count(*) FROM sqlite_schema)",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		*app_id = sqlite3_column_int(st, 1);
		*ntables = sqlite3_column_int(st, 2);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Switching to WAL needs an exclusive lock and SQLite does not call the busy
 * handler for it: several processes opening a new store at once would fail
 * with "database is locked". Skip it when already WAL, else retry. */
static int set_wal(struct store *s)
{
	sqlite3_stmt *st;
	int rc = SQLITE_BUSY;

	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && !sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal")) {
			sqlite3_finalize(st);
			return 0;
		}
		sqlite3_finalize(st);
	}
	for (int waited_ms = 0; waited_ms < 30000; waited_ms += 5) {
		rc = sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			break;
		sqlite3_sleep(5);
	}
	if (rc != SQLITE_OK)
		return sql_error(s, "cannot switch to WAL mode");
	return 0;
}

/* Run migrations [from, store_schema_version) in one transaction. */
static int store__migrate(struct store *s, int from)
{
	char buf[64];

	if (store__begin(s))
		return -1;
	/* Another process may have migrated (or created) the store between our
	 * first look and taking the write lock: read the version again under it. */
	if (pragma_int(s, "PRAGMA user_version", &from))
		goto fail;
	for (int v = from; v < store_schema_version; v++) {
		if (store__exec(s, store_migrations[v]))
			goto fail;
	}
	if (from >= store_schema_version)
		return store__commit(s);
	snprintf(buf, sizeof(buf), "PRAGMA user_version = %d", store_schema_version);
	if (store__exec(s, buf))
		goto fail;
	snprintf(buf, sizeof(buf), "PRAGMA application_id = %d", STORE_APPLICATION_ID);
	if (store__exec(s, buf))
		goto fail;
	return store__commit(s);
fail:
	store__rollback(s);
	return -1;
}

const char *store__default_path(void)
{
	const char *p = getenv("EMUDIFF_DB");

	return p && *p ? p : "emudiff.db";
}

/* Is this an SQLite file at all? Checked before sqlite3_open so that a garbage
 * file gives a clear message (SQLite itself only says "file is not a database"
 * on the first query). */
static int looks_like_sqlite(const char *path)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -1;
	n = fread(head, 1, sizeof(head), f);
	fclose(f);
	if (n == 0)
		return 1; /* empty file: SQLite treats it as a new database */
	return n == sizeof(head) && !memcmp(head, magic, sizeof(head));
}

struct store *store__open(const char *path, int flags)
{
	struct store *s;
	struct stat stbuf;
	int version = 0, app_id = 0, ntables = 0, exists, oflags;

	exists = stat(path, &stbuf) == 0;
	if (!exists && !(flags & STORE_CREATE)) {
		error("%s: no such store (run a collect or study first)", path);
		return NULL;
	}
	if (exists && S_ISDIR(stbuf.st_mode)) {
		error("%s: is a directory, not a store", path);
		return NULL;
	}
	if (exists) {
		int ok = looks_like_sqlite(path);

		if (ok < 0) {
			error("%s: cannot read: %s", path, strerror(errno));
			return NULL;
		}
		if (!ok) {
			error("%s: not an emudiff store (not an SQLite database)", path);
			return NULL;
		}
	}

	s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(path);
	/* Allocation statistics take a global mutex on every allocation and
	 * we never read them; sqlite3_config works only before SQLite's first
	 * use, and fails harmlessly after it. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	/* One thread uses a store at a time (stats' worker threads compute, the
	 * main thread alone talks to SQLite): no per-call connection mutex. */
	oflags = SQLITE_OPEN_NOMUTEX | ((flags & STORE_READONLY) ? SQLITE_OPEN_READONLY
						     : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	if (sqlite3_open_v2(path, &s->db, oflags, NULL) != SQLITE_OK) {
		error("%s: cannot open store: %s", path,
		      s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 30000);
	/* One statement, so one snapshot: read separately, another process's
	 * migration could commit between the reads. */
	if (read_header(s, &version, &app_id, &ntables)) {
		sql_error(s, "not an emudiff store (unreadable database)");
		goto fail;
	}
	if (ntables > 0 && app_id != STORE_APPLICATION_ID) {
		error("%s: not an emudiff store (an SQLite database of another application)", path);
		goto fail;
	}
	if (version > store_schema_version) {
		error("%s: store schema version %d is newer than this emudiff knows (%d); use a newer emudiff",
		      path, version, store_schema_version);
		goto fail;
	}
	if (store__exec(s, "PRAGMA foreign_keys = ON"))
		goto fail;
	if (!(flags & STORE_READONLY)) {
		/* 16 KiB pages: align's region_metric inserts take about 12% less
		 * time than with 4 KiB (bench/stats-scale: 6.3-6.7 s -> 5.6-5.9 s).
		 * Only a new, empty file takes it, and only before WAL is set:
		 * existing stores keep their page size, which is fine. */
		if (ntables == 0 && store__exec(s, "PRAGMA page_size = 16384"))
			goto fail;
		if (set_wal(s) || store__exec(s, "PRAGMA synchronous = NORMAL"))
			goto fail;
		if (version < store_schema_version && store__migrate(s, version))
			goto fail;
	} else if (version < store_schema_version) {
		error("%s: store schema version %d is older than %d; open it once read-write (e.g. emudiff align) to migrate it",
		      path, version, store_schema_version);
		goto fail;
	}
	return s;
fail:
	store__close(s);
	return NULL;
}

void store__close(struct store *s)
{
	if (!s)
		return;
	if (s->in_tx)
		store__rollback(s);
	sqlite3_finalize(s->st_mark);
	sqlite3_finalize(s->st_mark_value);
	sqlite3_finalize(s->st_run_metric);
	sqlite3_finalize(s->st_region_find);
	sqlite3_finalize(s->st_region_add);
	sqlite3_finalize(s->st_region_metric);
	sqlite3_finalize(s->st_event);
	sqlite3_finalize(s->st_mark_symbol);
	sqlite3_finalize(s->st_thread);
	sqlite3_finalize(s->st_thread_metric);
	sqlite3_finalize(s->st_thread_proc);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

int store__begin(struct store *s)
{
	if (store__exec(s, "BEGIN IMMEDIATE"))
		return -1;
	s->in_tx = 1;
	return 0;
}

int store__commit(struct store *s)
{
	if (store__exec(s, "COMMIT")) {
		store__rollback(s);
		return -1;
	}
	s->in_tx = 0;
	return 0;
}

void store__rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_tx = 0;
}

static sqlite3_stmt *prepared(struct store *s, sqlite3_stmt **slot, const char *sql)
{
	if (!*slot && sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL) != SQLITE_OK) {
		sql_error(s, "prepare");
		*slot = NULL;
		return NULL;
	}
	sqlite3_reset(*slot);
	sqlite3_clear_bindings(*slot);
	return *slot;
}

static int step_done(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sql_error(s, what);
	return 0;
}

static int64_t workload_locked(struct store *s, const char *name, const char *arch, const char *elf_path,
			       const char *argv_json, const char *sha)
{
	sqlite3_stmt *st = NULL;
	int64_t id = -1;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT id, elf_sha256 FROM workload WHERE name = ?", -1, &st, NULL))
		return sql_error(s, "workload lookup");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *text = sqlite3_column_text(st, 1);
		char old[65] = "";
		int had_sha = text != NULL;

		/* copied: the column's text is freed with the statement */
		if (text)
			snprintf(old, sizeof(old), "%s", (const char *)text);
		id = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		st = NULL;
		if (*sha && (!had_sha || strcmp(old, sha))) {
			if (had_sha)
				warning("%s: workload '%s' now runs a different binary (%s)", s->path, name, elf_path);
			if (sqlite3_prepare_v2(s->db,
					       "UPDATE workload SET elf_path = ?, elf_sha256 = ?, arch = coalesce(?, arch) WHERE id = ?",
					       -1, &st, NULL))
				return sql_error(s, "workload update");
			sqlite3_bind_text(st, 1, elf_path, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(st, 2, sha, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(st, 3, arch, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(st, 4, id);
			if (sqlite3_step(st) != SQLITE_DONE)
				id = sql_error(s, "workload update");
		}
		sqlite3_finalize(st);
		return id;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_error(s, "workload lookup");
	if (sqlite3_prepare_v2(s->db,
			       "INSERT INTO workload(name, arch, elf_path, elf_sha256, argv) VALUES (?, coalesce(?, 'unknown'), ?, ?, ?)",
			       -1, &st, NULL))
		return sql_error(s, "workload insert");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, arch, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, elf_path, -1, SQLITE_TRANSIENT);
	if (*sha)
		sqlite3_bind_text(st, 4, sha, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, argv_json, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_DONE)
		id = sqlite3_last_insert_rowid(s->db);
	else
		sql_error(s, "workload insert");
	sqlite3_finalize(st);
	return id;
}

/* Look up or add a workload. The lookup and the insert share one write
 * transaction, else two collectors naming the same new workload race to the
 * UNIQUE constraint. */
int64_t store__workload(struct store *s, const char *name, const char *arch, const char *elf_path,
			const char *argv_json)
{
	char sha[65] = "";
	int64_t id;

	if (elf_path && file_sha256(elf_path, sha))
		return -1;
	if (s->in_tx)
		return workload_locked(s, name, arch, elf_path, argv_json, sha);
	if (store__begin(s))
		return -1;
	id = workload_locked(s, name, arch, elf_path, argv_json, sha);
	if (id < 0) {
		store__rollback(s);
		return id;
	}
	return store__commit(s) ? -1 : id;
}

int64_t store__run_add(struct store *s, const struct run_info *ri)
{
	sqlite3_stmt *st;
	int64_t id = -1;

	if (sqlite3_prepare_v2(s->db,
			       "INSERT INTO run(workload_id, platform, config_json, rep, status, exit_code, wall_ns, started_at, cell) "
			       "VALUES (?, ?, json(coalesce(?, '{}')), ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?)",
			       -1, &st, NULL))
		return sql_error(s, "run insert");
	sqlite3_bind_int64(st, 1, ri->workload_id);
	sqlite3_bind_text(st, 2, ri->platform, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, ri->config_json, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 4, ri->rep);
	sqlite3_bind_text(st, 5, ri->status, -1, SQLITE_TRANSIENT);
	if (ri->exit_code >= 0)
		sqlite3_bind_int(st, 6, ri->exit_code);
	if (ri->wall_ns >= 0)
		sqlite3_bind_int64(st, 7, ri->wall_ns);
	sqlite3_bind_text(st, 8, ri->cell, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_DONE)
		id = sqlite3_last_insert_rowid(s->db);
	else
		sql_error(s, "run insert");
	sqlite3_finalize(st);
	return id;
}

int store__mark_add(struct store *s, int64_t run_id, int64_t seq, int thread, int mark_id,
		    int64_t insns, int64_t time_ns)
{
	sqlite3_stmt *st = prepared(s, &s->st_mark,
				    "INSERT INTO mark(run_id, seq, mark_id, insns, time_ns, thread)"
				    " VALUES (?, ?, ?, ?, ?, ?)");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_int(st, 3, mark_id);
	if (insns >= 0)
		sqlite3_bind_int64(st, 4, insns);
	if (time_ns >= 0)
		sqlite3_bind_int64(st, 5, time_ns);
	sqlite3_bind_int(st, 6, thread);
	return step_done(s, st, "mark insert");
}

int store__thread_add(struct store *s, int64_t run_id, int thread, int64_t os_id, const char *kind)
{
	sqlite3_stmt *st = prepared(s, &s->st_thread,
				    "INSERT OR REPLACE INTO run_thread(run_id, thread, os_id, kind)"
				    " VALUES (?, ?, ?, ?)");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, thread);
	if (os_id >= 0)
		sqlite3_bind_int64(st, 3, os_id);
	sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
	return step_done(s, st, "thread insert");
}

int store__thread_process(struct store *s, int64_t run_id, int thread, int process, int64_t pid, int in_load)
{
	sqlite3_stmt *st = prepared(s, &s->st_thread_proc,
				    "UPDATE run_thread SET process = ?3, pid = ?4, in_load = ?5"
				    " WHERE run_id = ?1 AND thread = ?2");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, thread);
	if (process >= 0)
		sqlite3_bind_int(st, 3, process);
	else
		sqlite3_bind_null(st, 3);
	if (pid >= 0)
		sqlite3_bind_int64(st, 4, pid);
	else
		sqlite3_bind_null(st, 4);
	if (in_load >= 0)
		sqlite3_bind_int(st, 5, in_load);
	else
		sqlite3_bind_null(st, 5);
	return step_done(s, st, "thread process update");
}

int store__thread_metric_set(struct store *s, int64_t run_id, int thread, const char *metric,
			     double value)
{
	sqlite3_stmt *st = prepared(s, &s->st_thread_metric,
				    "INSERT OR REPLACE INTO thread_metric(run_id, thread, metric, value)"
				    " VALUES (?, ?, ?, ?)");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, thread);
	sqlite3_bind_text(st, 3, metric, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 4, value);
	return step_done(s, st, "thread metric insert");
}

int store__mark_value_add(struct store *s, int64_t run_id, int64_t seq, const char *metric,
			  double value)
{
	sqlite3_stmt *st = prepared(s, &s->st_mark_value,
				    "INSERT OR REPLACE INTO mark_value(run_id, seq, metric, value) VALUES (?, ?, ?, ?)");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_text(st, 3, metric, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 4, value);
	return step_done(s, st, "mark value insert");
}

int store__mark_symbol_set(struct store *s, int64_t run_id, int64_t seq, const char *symbol,
			   const char *metric, double value)
{
	sqlite3_stmt *st = prepared(s, &s->st_mark_symbol,
				    "INSERT OR REPLACE INTO mark_symbol(run_id, seq, symbol, metric, value)"
				    " VALUES (?, ?, ?, ?, ?)");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_text(st, 3, symbol, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, metric, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 5, value);
	return step_done(s, st, "mark symbol insert");
}

int store__run_metric_set(struct store *s, int64_t run_id, const char *metric, double value)
{
	sqlite3_stmt *st = prepared(s, &s->st_run_metric,
				    "INSERT OR REPLACE INTO run_metric(run_id, metric, value) VALUES (?, ?, ?)");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_text(st, 2, metric, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 3, value);
	return step_done(s, st, "run metric insert");
}

int64_t store__region(struct store *s, int64_t workload_id, const char *key, const char *name)
{
	sqlite3_stmt *st = prepared(s, &s->st_region_find,
				    "SELECT id, name FROM region WHERE workload_id = ? AND key = ?");
	int64_t id = -1;
	int rc, has_name = 0;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, workload_id);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		has_name = sqlite3_column_type(st, 1) != SQLITE_NULL;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW) {
		if (name && !has_name) {
			char *sql = sqlite3_mprintf("UPDATE region SET name = %Q WHERE id = %lld", name,
						    (long long)id);
			int r = store__exec(s, sql);

			sqlite3_free(sql);
			if (r)
				return -1;
		}
		return id;
	}
	if (rc != SQLITE_DONE)
		return sql_error(s, "region lookup");
	st = prepared(s, &s->st_region_add, "INSERT INTO region(workload_id, key, name) VALUES (?, ?, ?)");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, workload_id);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
	if (step_done(s, st, "region insert"))
		return -1;
	return sqlite3_last_insert_rowid(s->db);
}

int store__region_metric_set(struct store *s, int64_t run_id, int64_t region_id,
			     const char *metric, double value)
{
	sqlite3_stmt *st = prepared(s, &s->st_region_metric,
				    "INSERT OR REPLACE INTO region_metric(run_id, region_id, metric, value) VALUES (?, ?, ?, ?)");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, region_id);
	sqlite3_bind_text(st, 3, metric, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 4, value);
	return step_done(s, st, "region metric insert");
}

int store__event_add(struct store *s, int64_t run_id, int64_t region_id, int64_t seq,
		     const char *kind, const char *detail, int64_t count)
{
	sqlite3_stmt *st = prepared(s, &s->st_event,
				    "INSERT INTO event_count(run_id, region_id, kind, detail, count, seq) VALUES (?, ?, ?, ?, ?, ?)");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	if (region_id > 0)
		sqlite3_bind_int64(st, 2, region_id);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, detail ? detail : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, count);
	if (seq >= 0)
		sqlite3_bind_int64(st, 6, seq);
	return step_done(s, st, "event insert");
}

/* Inside a transaction the caller holds (several runs stored whole or not at
 * all, as a console log's), a run's ingest is a savepoint of it. */
static int ingest_open(struct store *s)
{
	s->ingest_nested = s->in_tx;
	return s->ingest_nested ? store__exec(s, "SAVEPOINT ingest") : store__begin(s);
}

int64_t store__ingest_begin(struct store *s, const struct ingest_workload *w, struct run_info *ri)
{
	int64_t run_id;

	if (ingest_open(s))
		return -1;
	ri->workload_id = store__workload(s, w->name, w->arch, w->elf_path, w->argv_json);
	if (ri->workload_id < 0 || (run_id = store__run_add(s, ri)) < 0) {
		store__ingest_end(s, 1);
		return -1;
	}
	return run_id;
}

int store__ingest_end(struct store *s, int failed)
{
	if (s->ingest_nested) {
		s->ingest_nested = 0;
		if (failed) {
			sqlite3_exec(s->db, "ROLLBACK TO ingest; RELEASE ingest", NULL, NULL, NULL);
			return -1;
		}
		return store__exec(s, "RELEASE ingest");
	}
	if (failed) {
		store__rollback(s);
		return -1;
	}
	return store__commit(s);
}

int store__cell_done(struct store *s, const char *cell)
{
	sqlite3_stmt *st;
	int rc, done = -1;

	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM run WHERE cell = ? LIMIT 1", -1, &st, NULL))
		return sql_error(s, "cell lookup");
	sqlite3_bind_text(st, 1, cell, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		done = 1;
	else if (rc == SQLITE_DONE)
		done = 0;
	else
		sql_error(s, "cell lookup");
	sqlite3_finalize(st);
	return done;
}

