/* db.c - a second connection to a store, for reading while the first writes. */
#include "common.h"

#include <sqlite3.h>

/* A one-row text PRAGMA equals want (case-insensitively). */
static int pragma_is(sqlite3 *db, const char *sql, const char *want)
{
	sqlite3_stmt *st;
	int is = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		is = !sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), want);
	sqlite3_finalize(st);
	return is;
}

/*
 * A second connection sees the file as last committed, and can read it
 * while the first one writes, only in WAL mode with normal locking; with a
 * rollback journal the reader and the writer would wait on each other.
 */
sqlite3 *db__open_reader(sqlite3 *db)
{
	const char *path = sqlite3_db_filename(db, "main");
	sqlite3 *second = NULL;

	if (!path || !*path) /* in-memory or temporary: no other connection sees it */
		return NULL;
	if (!pragma_is(db, "PRAGMA main.journal_mode", "wal") ||
	    !pragma_is(db, "PRAGMA main.locking_mode", "normal"))
		return NULL;
	if (sqlite3_open_v2(path, &second, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sqlite3_close(second);
		return NULL;
	}
	sqlite3_extended_result_codes(second, 1);
	sqlite3_busy_timeout(second, 30000);
	return second;
}
