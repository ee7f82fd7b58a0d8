/*
 * boot_lines.c - the study's closing lines on boot latency: one line per
 * booted workload (present__boot_line: the latest stage both sides reached,
 * each side's mean [CI], what QEMU does to it).
 */
#include "cmd.h"
#include "common.h"

#include <sqlite3.h>
#include <stdio.h>

void print_boot_lines(sqlite3 *db)
{
	sqlite3_stmt *q;
	int any = 0;

	/* a store from before boot latency has none to print */
	if (sqlite3_prepare_v2(db,
			       "SELECT w.id, w.name FROM workload w WHERE EXISTS (SELECT 1 FROM run_metric_stat s"
			       " WHERE s.workload_id = w.id AND s.kind = 'boot') ORDER BY w.name",
			       -1, &q, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(q) == SQLITE_ROW) {
		char line[768];

		if (present__boot_line(db, sqlite3_column_int64(q, 0), line, sizeof(line)) == 1) {
			printf("boot %s: %s\n", (const char *)sqlite3_column_text(q, 1), line);
			any = 1;
		}
	}
	if (any)
		printf("  (emudiff show boot lists every stage; under TCG without -icount QEMU's time is the host's speed)\n");
	sqlite3_finalize(q);
}
