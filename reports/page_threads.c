/*
 * page_threads.c - the threads section of a workload page: each thread's
 * share of the run on both sides (thread_share) and the imbalance across
 * threads of the whole run and of the regions several threads run
 * (thread_imbalance, the instruction count's rows), as `emudiff show
 * threads` lists them. Nothing for a workload with one thread.
 */
#include "report_int.h"
#include "common.h"

#include <math.h>

/* Rows of the imbalance table; the rest are in `emudiff show threads`. */
enum { IMBALANCE_ROWS = 20 };

static void shares_head(FILE *f, sqlite3_stmt *st, const void *arg)
{
	(void)arg;
	fprintf(f, "<p class=\"muted\">Each thread's share of the whole run (the threads' totals): "
		   "emulation's (%s) against hardware's (%s).</p>\n"
		   "<table class=\"sortable\" id=\"thread-shares\">\n<thead><tr><th>thread</th><th>kind</th>"
		   "<th>emulation share [CI]</th><th>hardware share [CI]</th><th>hardware / emulation [CI]</th>"
		   "<th>verdict</th><th>reason</th></tr></thead>\n<tbody>\n",
		db__text(st, 1), db__text(st, 2));
}

static void shares_row(FILE *f, sqlite3_stmt *st, const void *arg)
{
	const char *verdict = db__text(st, 12);

	(void)arg;
	fprintf(f, "<tr%s><td class=\"n\" data-v=\"%d\">%d</td><td>", verdict_flagged(verdict) ? " class=\"flag\"" : "",
		sqlite3_column_int(st, 0), sqlite3_column_int(st, 0));
	html__esc(f, *db__text(st, 14) ? db__text(st, 14) : "\xe2\x80\x93");
	fputs("</td>", f);
	for (int c = 3; c <= 9; c += 3) {
		html__num_cell(f, db__double(st, c));
		html__ci(f, db__double(st, c), db__double(st, c + 1), db__double(st, c + 2), c < 9);
		fputs("</td>", f);
	}
	fputs("<td>", f);
	html__verdict(f, verdict);
	fputs("</td><td class=\"reason\">", f);
	html__esc(f, db__text(st, 13));
	fputs("</td></tr>\n", f);
}

static const struct query_table shares_query = {
	.sql = "SELECT s.thread, s.emu_metric, s.metric, s.emu_share, s.emu_lo, s.emu_hi, s.hw_share, s.hw_lo, s.hw_hi,"
		" s.factor, s.ci_lo, s.ci_hi, s.verdict, s.reason,"
		" (SELECT group_concat(DISTINCT t.kind) FROM run_thread t JOIN run r ON r.id = t.run_id"
		"  WHERE r.workload_id = s.workload_id AND t.thread = s.thread)"
		" FROM thread_share s WHERE s.workload_id = ?1 ORDER BY s.thread, s.emu_metric",
	.head_fn = shares_head,
	.row = shares_row,
};

static int shares_table(struct report_ctx *ctx, FILE *f, int64_t wid)
{
	return db__table(ctx, f, &shares_query, wid, NULL);
}

/* One side's max / mean with its interval and its busiest thread. */
static void imbalance_cell(FILE *f, sqlite3_stmt *st, int col)
{
	double v = db__double(st, col);

	html__num_cell(f, v);
	html__ci(f, v, db__double(st, col + 1), db__double(st, col + 2), 0);
	if (isfinite(v))
		fprintf(f, " <span class=\"muted\">(t%d)</span>", sqlite3_column_int(st, col + 3));
	fputs("</td>", f);
}

static int imbalance_table(struct report_ctx *ctx, FILE *f, int64_t wid)
{
	sqlite3_stmt *st = db__prepare(ctx,
		"SELECT i.region_key, (SELECT g.name FROM region g WHERE g.workload_id = i.workload_id"
		"  AND g.key = i.region_key), i.threads, i.emu_imbalance, i.emu_lo, i.emu_hi, i.emu_max_thread,"
		" i.hw_imbalance, i.hw_lo, i.hw_hi, i.hw_max_thread, i.factor, i.ci_lo, i.ci_hi, i.verdict, i.reason,"
		" i.metric, count(*) OVER ()"
		" FROM thread_imbalance i WHERE i.workload_id = ?1 AND i.emu_metric = '" METRIC_INSNS "'"
		" ORDER BY i.region_key IS NOT NULL, CASE i.verdict WHEN 'underestimates' THEN 0"
		" WHEN 'overestimates' THEN 0 WHEN 'inconclusive' THEN 1 ELSE 2 END,"
		" i.factor IS NULL, max(i.factor, 1 / i.factor) DESC, i.region_key");
	int rc, n = 0, total = 0;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, wid);
	while ((rc = db__step(ctx, st)) == SQLITE_ROW && n < IMBALANCE_ROWS) {
		const char *verdict = db__text(st, 14);

		if (!n++) {
			total = sqlite3_column_int(st, 17);
			fputs("<p class=\"muted\">Imbalance: the busiest thread's cost over the threads' mean (1: "
			      "balanced), for the whole run and each region several threads run; emulation's "
			      "instructions against hardware's ", f);
			html__esc(f, db__text(st, 16));
			fputs(".</p>\n<table class=\"sortable\" id=\"thread-imbalance\">\n<thead><tr><th>region</th>"
			      "<th>threads</th><th>emulation max / mean [CI]</th><th>hardware max / mean [CI]</th>"
			      "<th>hardware / emulation [CI]</th><th>verdict</th><th>reason</th></tr></thead>\n<tbody>\n", f);
		}
		fprintf(f, "<tr%s><td>", verdict_flagged(verdict) ? " class=\"flag\"" : "");
		if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
			fputs("<span class=\"muted\">whole run</span>", f);
		} else {
			html__esc(f, db__text(st, 1));
			fputs(" <code>", f);
			html__esc(f, db__text(st, 0));
			fputs("</code>", f);
		}
		fprintf(f, "</td><td class=\"n\">%d</td>", sqlite3_column_int(st, 2));
		imbalance_cell(f, st, 3);
		imbalance_cell(f, st, 7);
		html__num_cell(f, db__double(st, 11));
		html__ci(f, db__double(st, 11), db__double(st, 12), db__double(st, 13), 0);
		fputs("</td><td>", f);
		html__verdict(f, verdict);
		fputs("</td><td class=\"reason\">", f);
		html__esc(f, db__text(st, 15));
		fputs("</td></tr>\n", f);
	}
	if (n)
		fputs("</tbody>\n</table>\n", f);
	if (total > n)
		fprintf(f, "<p class=\"muted\">%d more rows: <code>emudiff show threads</code>.</p>\n", total - n);
	sqlite3_finalize(st);
	return rc < 0 ? -1 : 0;
}

int page_threads(struct report_ctx *ctx, FILE *f, int64_t wid)
{
	sqlite3_stmt *st = db__prepare(ctx,
		"SELECT (SELECT count(*) FROM thread_share WHERE workload_id = ?1)"
		" + (SELECT count(*) FROM thread_imbalance WHERE workload_id = ?1)");
	int rc, rows = 0;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, wid);
	rc = db__step(ctx, st);
	if (rc == SQLITE_ROW)
		rows = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc < 0)
		return -1;
	if (!rows)
		return 0; /* one thread: nothing to say */
	fputs("<h2 id=\"threads\">Threads</h2>\n", f);
	return shares_table(ctx, f, wid) || imbalance_table(ctx, f, wid) ? -1 : 0;
}
