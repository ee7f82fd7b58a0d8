/* query.c - prepared statements whose errors name the store. */
#include "report_int.h"
#include "common.h"

#include <math.h>
#include <string.h>

sqlite3_stmt *db__prepare(struct report_ctx *ctx, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(ctx->db, sql, -1, &st, NULL) != SQLITE_OK) {
		error("%s: not a readable emudiff store: %s", ctx->dbname, sqlite3_errmsg(ctx->db));
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

int db__step(struct report_ctx *ctx, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc;
	return error("%s: query failed: %s", ctx->dbname, sqlite3_errmsg(ctx->db));
}

double db__double(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return NAN;
	return sqlite3_column_double(st, col);
}

char *db__strdup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? xstrdup((const char *)t) : NULL;
}

const char *db__text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? (const char *)t : "";
}

int db__table(struct report_ctx *ctx, FILE *f, const struct query_table *t, int64_t id, const void *arg)
{
	sqlite3_stmt *st = db__prepare(ctx, t->sql);
	int rc, any = 0;

	if (!st)
		return -1;
	if (id > 0)
		sqlite3_bind_int64(st, 1, id);
	while ((rc = db__step(ctx, st)) == SQLITE_ROW) {
		if (!any++) {
			if (t->head_fn)
				t->head_fn(f, st, arg);
			else
				fputs(t->head, f);
		}
		t->row(f, st, arg);
	}
	if (any)
		fputs(t->foot ? t->foot : "</tbody>\n</table>\n", f);
	sqlite3_finalize(st);
	return rc < 0 ? -1 : 0;
}
