/*
 * server_lines.c - the study's closing lines on client-server workloads
 * (server_compare, stats/server.c): per server workload and pair of
 * platforms, emulation / hardware of throughput and of the latency
 * percentiles with their intervals and verdicts, numbers as every output
 * prints them (num__fmt).
 */
#include "cmd.h"
#include "common.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static double col(sqlite3_stmt *q, int i)
{
	return sqlite3_column_type(q, i) == SQLITE_NULL ? NAN : sqlite3_column_double(q, i);
}

void print_server_lines(sqlite3 *db)
{
	sqlite3_stmt *q;
	char last[512] = "";

	/* a store from before server_compare has none to print */
	if (sqlite3_prepare_v2(db,
			       "SELECT w.name, c.emu_platform, c.hw_platform, c.metric, c.ratio, c.ratio_lo, c.ratio_hi,"
			       " c.verdict, c.informative FROM server_compare c JOIN workload w ON w.id = c.workload_id"
			       " WHERE c.kind = 'server' AND c.metric IN ('" METRIC_REQUESTS_PER_S "', '" METRIC_REQ_P50_NS "', '"
			       METRIC_REQ_P99_NS "') ORDER BY w.name, c.emu_platform, c.hw_platform, c.ord",
			       -1, &q, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 0);
		const char *pe = (const char *)sqlite3_column_text(q, 1), *ph = (const char *)sqlite3_column_text(q, 2);
		char key[512], r[32], lo[32], hi[32];

		snprintf(key, sizeof(key), "%s/%s/%s", name, pe, ph);
		if (strcmp(key, last)) {
			printf("%sserver %s, %s / %s:", last[0] ? "\n" : "", name, pe, ph);
			snprintf(last, sizeof(last), "%s", key);
		} else {
			putchar(';');
		}
		num__fmt(r, sizeof(r), col(q, 4));
		num__fmt(lo, sizeof(lo), col(q, 5));
		num__fmt(hi, sizeof(hi), col(q, 6));
		printf(" %s %sx", (const char *)sqlite3_column_text(q, 3), r);
		if (isfinite(col(q, 5)))
			printf(" [%s, %s]", lo, hi);
		printf(" %s%s", (const char *)sqlite3_column_text(q, 7),
		       sqlite3_column_int(q, 8) ? "" : " (not informative)");
	}
	if (last[0])
		printf("\n  (emulation / hardware; emudiff show servers lists every driver metric)\n");
	sqlite3_finalize(q);
}
