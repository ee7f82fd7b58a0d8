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
#include <stdlib.h>

static double test_query_d(sqlite3 *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
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

#endif
