/*
 * present_boot.c - a booted workload's boot latency in one sentence, as the
 * study's closing lines and the report's index give it: the latest stage
 * both sides reached, each side's mean [CI], and what QEMU does to it
 * (server_compare of kind boot, run_metric_stat; stats/boot.c).
 */
#include "common.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static double col(sqlite3_stmt *q, int i)
{
	return sqlite3_column_type(q, i) == SQLITE_NULL ? NAN : sqlite3_column_double(q, i);
}

static const char *where(const char *platform)
{
	return !strcmp(platform, "qemu-system") || !strcmp(platform, "qemu-user") ? "under QEMU"
	       : !strcmp(platform, "console")					 ? "on the board"
	       : !strcmp(platform, "hw-kvm")					 ? "under KVM"
	       : !strcmp(platform, "import")					 ? "imported"
										 : "on hardware";
}

/* What QEMU does to the stage: the verdict and the ratio [CI]. */
static void judged(char *buf, size_t n, sqlite3_stmt *q)
{
	const char *verdict = (const char *)sqlite3_column_text(q, 10);
	char r[32], lo[32], hi[32];

	num__fmt(r, sizeof(r), col(q, 11));
	num__fmt(lo, sizeof(lo), col(q, 12));
	num__fmt(hi, sizeof(hi), col(q, 13));
	if (!sqlite3_column_int(q, 14))
		snprintf(buf, n, "not informative (the same time in every run on both sides)");
	else if (!isfinite(col(q, 12)))
		snprintf(buf, n, "inconclusive x%s (needs at least 2 runs per side)", r);
	else if (!strcmp(verdict, "overestimates") || !strcmp(verdict, "underestimates"))
		snprintf(buf, n, "QEMU %s x%s [%s, %s]", verdict, r, lo, hi);
	else if (!strcmp(verdict, "agrees"))
		snprintf(buf, n, "QEMU agrees within the tolerance x%s [%s, %s]", r, lo, hi);
	else
		snprintf(buf, n, "inconclusive x%s [%s, %s]", r, lo, hi);
}

/* Columns: metric, console string, emu platform, emu, lo, hi, hw platform, hw, lo, hi (NULL:
 * no such side), verdict, ratio, lo, hi, informative. The comparison of the latest stage
 * first, else the latest stage of an emulation platform, else of a hardware one. */
static const char boot_line_sql[] =
	"SELECT c.metric, " BOOT_CONSOLE_SQL("?1", "c.metric") ", c.emu_platform, c.emu, c.emu_lo, c.emu_hi, c.hw_platform,"
	" c.hw, c.hw_lo, c.hw_hi, c.verdict, c.ratio, c.ratio_lo, c.ratio_hi, c.informative, 0 AS pref, c.ord"
	" FROM server_compare c WHERE c.kind = 'boot' AND c.workload_id = ?1"
	" UNION ALL SELECT s.metric, " BOOT_CONSOLE_SQL("?1", "s.metric") ", s.platform, s.mean, s.mean_lo, s.mean_hi, NULL,"
	" NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, 1 + (s.platform NOT IN ('qemu-user', 'qemu-system')), s.ord"
	" FROM run_metric_stat s WHERE s.kind = 'boot' AND s.workload_id = ?1"
	" ORDER BY pref, ord DESC LIMIT 1";

int present__boot_line(sqlite3 *db, int64_t wid, char *buf, size_t n)
{
	sqlite3_stmt *q;
	int rc;

	/* a store from before boot latency has none */
	if (sqlite3_prepare_v2(db, boot_line_sql, -1, &q, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(q, 1, wid);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		const char *p1 = (const char *)sqlite3_column_text(q, 2), *p2 = (const char *)sqlite3_column_text(q, 6);
		int emu = !strncmp(p1, "qemu-", 5);
		char label[256], a[128], b[128], v[160];

		boot_stage__label(label, sizeof(label), (const char *)sqlite3_column_text(q, 0),
				  (const char *)sqlite3_column_text(q, 1));
		dur_ci__fmt(a, sizeof(a), col(q, 3), col(q, 4), col(q, 5));
		if (p2) {
			dur_ci__fmt(b, sizeof(b), col(q, 7), col(q, 8), col(q, 9));
			judged(v, sizeof(v), q);
			snprintf(buf, n, "until '%s' %s %s, %s %s: %s", label, a, where(p1), b, where(p2), v);
		} else {
			snprintf(buf, n, "until '%s' %s %s: no %s side", label, a, where(p1), emu ? "hardware" : "emulation");
		}
	}
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}
