/*
 * query.h - one number from a store, for the C tests: the first column of the
 * first row of a printf-formatted query, NaN when NULL or no row; a query
 * that does not prepare ends the test (exit 1) naming it.
 */
#ifndef EMUDIFF_TEST_QUERY_H
#define EMUDIFF_TEST_QUERY_H

#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static double test_query_d(sqlite3 *db, const char *fmt, ...) __attribute__((format(printf, 2, 3), unused));
static double test_query_d(sqlite3 *db, const char *fmt, ...)
{
	sqlite3_stmt *st;
	double v = NAN;
	char *sql;
	va_list ap;

	va_start(ap, fmt);
	sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	if (!sql || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bad test query %s: %s\n", sql ? sql : fmt, sqlite3_errmsg(db));
		exit(1);
	}
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	sqlite3_free(sql);
	return v;
}

/* The first column of the first row as a string ("" when NULL or no row), to free. */
__attribute__((unused)) static char *test_query_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	const unsigned char *t;
	char *r;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bad test query %s: %s\n", sql, sqlite3_errmsg(db));
		exit(1);
	}
	t = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	r = strdup(t ? (const char *)t : "");
	sqlite3_finalize(st);
	if (!r)
		exit(1);
	return r;
}

/* Region metric NAME of region KEY of workload WID in run RUN, -1 when the row is absent. */
__attribute__((unused)) static double test_region_metric(sqlite3 *db, int64_t wid, int64_t run, const char *key, const char *name)
{
	static const char sql[] = "SELECT m.value FROM region_metric m JOIN region g ON g.id = m.region_id"
				  " WHERE m.run_id = ?1 AND g.key = ?2 AND m.metric = ?3 AND g.workload_id = ?4";
	sqlite3_stmt *st;
	double v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bad test query %s: %s\n", sql, sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, wid);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return v;
}

#endif
