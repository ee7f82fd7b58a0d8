/*
 * page_servers.c - a server workload's driver metrics and its workers' side
 * by side on its page (server_compare, stats/server.c): per pair of platforms one table of
 * metric, emulation's mean [CI], hardware's mean [CI], emulation / hardware
 * [CI], the verdict and its reason, in the order every output lists them.
 */
#include "report_int.h"
#include "common.h"
#include "server_sql.h"

#include <string.h>

/* the comparisons, and a metric one side lacks as that side's row (server_sql.h) */
static const char servers_sql[] =
	"SELECT emu_platform, hw_platform, metric, emu, emu_lo, emu_hi, hw, hw_lo, hw_hi, ratio, ratio_lo,"
	" ratio_hi, verdict, n_emu, n_hw, reason FROM " SERVER_ROWS_SQL
	" WHERE workload_id = ?1 ORDER BY emu_platform, hw_platform, ord";

static void table_head(FILE *f, const char *pe, const char *ph)
{
	fputs("<h3>", f);
	html__esc(f, pe);
	fputs(" against ", f);
	html__esc(f, ph);
	fputs("</h3>\n<table>\n<thead><tr><th>metric</th><th>emulation [CI]</th><th>hardware [CI]</th>"
	      "<th>emulation / hardware [CI]</th><th>verdict</th><th>runs</th><th>reason</th></tr></thead>\n<tbody>\n",
	      f);
}

static void row(FILE *f, sqlite3_stmt *st)
{
	fputs("<tr><td><code>", f);
	html__esc(f, db__text(st, 2));
	fputs("</code></td>", f);
	for (int c = 3; c <= 9; c += 3) {
		html__num_cell(f, db__double(st, c));
		html__ci(f, db__double(st, c), db__double(st, c + 1), db__double(st, c + 2), 0);
		fputs("</td>", f);
	}
	fputs("<td>", f);
	if (sqlite3_column_type(st, 12) == SQLITE_NULL) /* one side only */
		fputs("<span class=\"muted\">not compared</span>", f);
	else
		html__verdict(f, db__text(st, 12));
	fprintf(f, "</td><td class=\"n\">%d / %d</td><td class=\"reason\">", sqlite3_column_int(st, 13),
		sqlite3_column_int(st, 14));
	html__esc(f, db__text(st, 15));
	fputs("</td></tr>\n", f);
}

int page_servers__table(struct report_ctx *ctx, FILE *f, int64_t workload_id)
{
	sqlite3_stmt *st = db__prepare(ctx, servers_sql);
	char pair[256] = "";
	int rc, any = 0;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, workload_id);
	while ((rc = db__step(ctx, st)) == SQLITE_ROW) {
		char key[256];

		if (!any++)
			fputs("<h2 id=\"servers\">Under load: emulation against hardware</h2>\n<p class=\"muted\">The "
			      "driver's report, the server's counts per request and its workers' (those that ran during the "
			      "load: how many, and each one's instructions and system calls, mean and largest per run), as "
			      "means over ok runs with their bootstrap intervals; emulation / hardware below the tolerance band: emulation "
			      "underestimates the metric (fewer requests per second, shorter latencies), above it "
			      "overestimates. Identical values in every run on both sides are not informative. "
			      "<code>emudiff show servers</code> lists the same rows.</p>\n",
			      f);
		snprintf(key, sizeof(key), "%s / %s", db__text(st, 0), db__text(st, 1));
		if (strcmp(key, pair)) {
			if (pair[0])
				fputs("</tbody>\n</table>\n", f);
			table_head(f, db__text(st, 0), db__text(st, 1));
			snprintf(pair, sizeof(pair), "%s", key);
		}
		row(f, st);
	}
	if (any)
		fputs("</tbody>\n</table>\n", f);
	sqlite3_finalize(st);
	return rc < 0 ? -1 : 0;
}
