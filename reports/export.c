/*
 * export.c - data/ exports for pandas and R: CSV (RFC 4180 quoting, header
 * row) and JSON Lines (one json_object() per row, built by sqlite's JSON
 * functions) of the same queries. Regions are exported as the pages show them
 * (the computed shares and primary finding, through a TEMP table); findings
 * and A/B comparisons come straight from the store, every column of their
 * tables, so the exports follow schema extensions.
 */
#include "report_int.h"
#include "common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void csv_field(FILE *f, sqlite3_stmt *st, int col)
{
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL:
		break;
	case SQLITE_INTEGER:
		fprintf(f, "%lld", (long long)sqlite3_column_int64(st, col));
		break;
	case SQLITE_FLOAT:
		fprintf(f, "%.10g", sqlite3_column_double(st, col));
		break;
	default: {
		const char *s = db__text(st, col);
		if (!s[strcspn(s, ",\"\r\n")] && s[0] != ' ' && (!*s || s[strlen(s) - 1] != ' ')) {
			fputs(s, f);
			break;
		}
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	}
	}
}

static void bind_workload(struct report_ctx *ctx, sqlite3_stmt *st)
{
	if (sqlite3_bind_parameter_count(st) >= 1 && ctx->o->workload)
		sqlite3_bind_text(st, 1, ctx->o->workload, -1, SQLITE_STATIC);
}

/* OUT/data/<base>.csv and .jsonl from sql; ?1 is the --workload filter (NULL: all). */
static int export_query(struct report_ctx *ctx, const char *base, const char *sql, const char *order)
{
	char *csv_sql = xasprintf("SELECT * FROM (%s) ORDER BY %s", sql, order);
	sqlite3_stmt *st = db__prepare(ctx, csv_sql), *js = NULL;
	char *path = NULL, *json_sql = NULL;
	struct out o = { 0 };
	int rc = -1, ncol;

	if (!st)
		goto out;
	ncol = sqlite3_column_count(st);
	path = xasprintf("%s/data/%s.csv", ctx->o->out_dir, base);
	if (out__open(&o, path))
		goto out;
	for (int c = 0; c < ncol; c++)
		fprintf(o.f, "%s%s", c ? "," : "", sqlite3_column_name(st, c));
	fputs("\r\n", o.f); /* RFC 4180 line ends */
	bind_workload(ctx, st);
	while ((rc = db__step(ctx, st)) == SQLITE_ROW) {
		for (int c = 0; c < ncol; c++) {
			if (c)
				fputc(',', o.f);
			csv_field(o.f, st, c);
		}
		fputs("\r\n", o.f);
	}
	if (rc < 0) {
		out__abort(&o);
		goto out;
	}
	if (out__close(&o, ctx))
		goto out;

	/* the same rows, as JSON objects whose keys are the column names */
	char *obj = xstrdup("");
	for (int c = 0; c < ncol; c++) {
		char *next = xasprintf("%s%s'%s', \"%s\"", obj, c ? ", " : "", sqlite3_column_name(st, c),
				       sqlite3_column_name(st, c));
		free(obj);
		obj = next;
	}
	json_sql = xasprintf("SELECT json_object(%s) FROM (%s) ORDER BY %s", obj, sql, order);
	free(obj);
	js = db__prepare(ctx, json_sql);
	free(path);
	path = xasprintf("%s/data/%s.jsonl", ctx->o->out_dir, base);
	rc = -1;
	if (!js || out__open(&o, path))
		goto out;
	bind_workload(ctx, js);
	while ((rc = db__step(ctx, js)) == SQLITE_ROW)
		fprintf(o.f, "%s\n", db__text(js, 0));
	if (rc < 0) {
		out__abort(&o);
		goto out;
	}
	rc = out__close(&o, ctx);
out:
	sqlite3_finalize(st);
	sqlite3_finalize(js);
	free(csv_sql);
	free(json_sql);
	free(path);
	return rc < 0 ? -1 : 0;
}

static void bind_double(sqlite3_stmt *st, int i, double v)
{
	if (isfinite(v))
		sqlite3_bind_double(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* The region rows as the pages show them, into temp.report_region. */
static int fill_regions(struct report_ctx *ctx, struct workload *ws, size_t n)
{
	sqlite3_stmt *st;
	int rc = 0;

	if (sqlite3_exec(ctx->db,
			 "DROP TABLE IF EXISTS temp.report_region;"
			 "CREATE TEMP TABLE report_region (workload TEXT, region_id INTEGER, key TEXT, name TEXT,"
			 " insn_share REAL, qemu_time_share REAL, hw_metric TEXT, hw_share REAL, hw_share_lo REAL,"
			 " hw_share_hi REAL, predictor TEXT, baseline TEXT, factor REAL, factor_lo REAL, factor_hi REAL,"
			 " p_adj REAL, verdict TEXT, reason TEXT, emu_syscalls REAL, emu_traps REAL, emu_exits REAL,"
			 " hw_syscalls REAL, hw_traps REAL, hw_exits REAL)",
			 NULL, NULL, NULL) != SQLITE_OK)
		return error("%s: cannot create a temporary table: %s", ctx->dbname, sqlite3_errmsg(ctx->db));
	st = db__prepare(ctx, "INSERT INTO temp.report_region VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	if (!st)
		return -1;
	for (size_t k = 0; k < n && !rc; k++) {
		const struct workload *w = &ws[k];
		for (size_t i = 0; i < w->nregions && !rc; i++) {
			const struct region_row *r = &w->regions[i];
			int p = 1;
			sqlite3_reset(st);
			bind_text(st, p++, w->name);
			sqlite3_bind_int64(st, p++, r->id);
			bind_text(st, p++, r->key);
			bind_text(st, p++, r->name);
			bind_double(st, p++, r->insn_share);
			bind_double(st, p++, r->qtime_share);
			bind_text(st, p++, w->hw_metric);
			bind_double(st, p++, r->hw_share);
			bind_double(st, p++, r->hw_lo);
			bind_double(st, p++, r->hw_hi);
			bind_text(st, p++, r->predictor);
			bind_text(st, p++, r->baseline);
			bind_double(st, p++, r->factor);
			bind_double(st, p++, r->f_lo);
			bind_double(st, p++, r->f_hi);
			bind_double(st, p++, r->p_adj);
			bind_text(st, p++, r->verdict);
			bind_text(st, p++, r->reason);
			for (int s = 0; s < SIDE_COUNT; s++)
				for (int e = 0; e < EV_COUNT; e++)
					bind_double(st, p++, r->ev[s][e]);
			rc = db__step(ctx, st) == SQLITE_DONE ? 0 : -1;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

int export__all(struct report_ctx *ctx, struct workload *ws, size_t n)
{
	char *dir = xasprintf("%s/data", ctx->o->out_dir);
	int rc = mkdir_p(dir);

	free(dir);
	if (rc || fill_regions(ctx, ws, n))
		return -1;
	if (export_query(ctx, "regions", "SELECT * FROM temp.report_region", "workload, region_id"))
		return -1;
	/* f.*: every column the store's schema has, so exports follow schema extensions */
	if (export_query(ctx, "findings",
			 "SELECT w.name AS workload, r.key AS region_key, r.name AS region_name, f.* "
			 "FROM finding f JOIN workload w ON w.id = f.workload_id "
			 "LEFT JOIN region r ON r.id = f.region_id WHERE ?1 IS NULL OR w.name = ?1",
			 "workload, region_id, metric, predictor, baseline, id"))
		return -1;
	return export_query(ctx, "ab",
			    "SELECT a.name AS a_workload, b.name AS b_workload, ab.* FROM ab_compare ab "
			    "JOIN workload a ON a.id = ab.a_workload_id JOIN workload b ON b.id = ab.b_workload_id "
			    "WHERE ?1 IS NULL OR a.name = ?1 OR b.name = ?1",
			    "name, region_key, metric, id");
}
