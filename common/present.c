/* present.c - numbers as the terminal, `emudiff show` and the report print them. */
#include "common.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>

void num__fmt(char *buf, size_t n, double v)
{
	if (!isfinite(v))
		snprintf(buf, n, "-");
	else if (v != 0 && (fabs(v) >= 1e4 || fabs(v) < 1e-3))
		snprintf(buf, n, "%.3g", v);
	else if (fabs(v) >= 100)
		snprintf(buf, n, "%.0f", v);
	else if (fabs(v) >= 10)
		snprintf(buf, n, "%.1f", v);
	else
		snprintf(buf, n, "%.2f", v);
}

void dur_ci__fmt(char *buf, size_t n, double ns, double lo, double hi)
{
	/* the value's unit, for its interval too: 1 s and above, 1 ms and above, else us */
	double unit = fabs(ns) >= 1e9 ? 1e9 : fabs(ns) >= 1e6 ? 1e6 : 1e3;
	const char *name = unit == 1e9 ? "s" : unit == 1e6 ? "ms" : "us";
	char v[32], l[32], h[32];

	if (!isfinite(ns)) {
		snprintf(buf, n, "-");
		return;
	}
	num__fmt(v, sizeof(v), ns / unit);
	if (!isfinite(lo) || !isfinite(hi)) {
		snprintf(buf, n, "%s %s", v, name);
		return;
	}
	num__fmt(l, sizeof(l), lo / unit);
	num__fmt(h, sizeof(h), hi / unit);
	snprintf(buf, n, "%s %s [%s, %s]", v, name, l, h);
}

void dur__fmt(char *buf, size_t n, double ns)
{
	dur_ci__fmt(buf, n, ns, NAN, NAN);
}

void pct__fmt(char *buf, size_t n, double v)
{
	if (!isfinite(v))
		snprintf(buf, n, "-");
	else if (v != 0 && fabs(v) < 0.001)
		snprintf(buf, n, "%.2g%%", v * 100);
	else
		snprintf(buf, n, "%.2f%%", v * 100);
}

static void sql_num(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	char buf[64];

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_text(c, "-", 1, SQLITE_STATIC);
		return;
	}
	num__fmt(buf, sizeof(buf), sqlite3_value_double(argv[0]));
	sqlite3_result_text(c, buf, -1, SQLITE_TRANSIENT);
}

static double sql_double(sqlite3_value *v)
{
	return sqlite3_value_type(v) == SQLITE_NULL ? NAN : sqlite3_value_double(v);
}

/* emudiff_dur(ns, lo, hi): dur_ci__fmt's */
static void sql_dur(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	char buf[128];

	(void)argc;
	dur_ci__fmt(buf, sizeof(buf), sql_double(argv[0]), sql_double(argv[1]), sql_double(argv[2]));
	sqlite3_result_text(c, buf, -1, SQLITE_TRANSIENT);
}

/* emudiff_stage(metric, console string): boot_stage__label's */
static void sql_stage(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	char buf[256];

	(void)argc;
	boot_stage__label(buf, sizeof(buf), (const char *)sqlite3_value_text(argv[0]),
			  (const char *)sqlite3_value_text(argv[1]));
	sqlite3_result_text(c, buf, -1, SQLITE_TRANSIENT);
}

int num__register(sqlite3 *db)
{
	const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;

	if (sqlite3_create_function(db, "emudiff_num", 1, flags, NULL, sql_num, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "emudiff_dur", 3, flags, NULL, sql_dur, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "emudiff_stage", 2, flags, NULL, sql_stage, NULL, NULL) != SQLITE_OK)
		return -1;
	return 0;
}

/*
 * Why a workload (wid; 0: the whole store) has no findings, from the store's
 * state, each hint checked before it is given: which side is missing, or
 * which step has not run. 0 and a sentence in buf; -1 on a SQL error.
 */
int present__why_no_findings(sqlite3 *db, int64_t wid, char *buf, size_t n)
{
	static const char sql[] =
		"SELECT (SELECT count(*) FROM run WHERE (?1 = 0 OR workload_id = ?1) AND status = 'ok'"
		"  AND platform IN ('qemu-user', 'qemu-system')),"
		" (SELECT count(*) FROM run WHERE (?1 = 0 OR workload_id = ?1) AND status = 'ok'"
		"  AND platform NOT IN ('qemu-user', 'qemu-system')),"
		" (SELECT count(*) FROM workload w WHERE (?1 = 0 OR w.id = ?1)"
		"  AND EXISTS (SELECT 1 FROM run WHERE workload_id = w.id AND status = 'ok' AND platform IN ('qemu-user', 'qemu-system'))"
		"  AND EXISTS (SELECT 1 FROM run WHERE workload_id = w.id AND status = 'ok' AND platform NOT IN ('qemu-user', 'qemu-system'))),"
		" (SELECT count(*) FROM region WHERE ?1 = 0 OR workload_id = ?1),"
		" (SELECT count(*) FROM finding WHERE ?1 = 0 OR workload_id = ?1),"
		" (SELECT count(*) FROM meta WHERE key = 'stats_seed')";
	sqlite3_stmt *st;
	int64_t emu = 0, hw = 0, both = 0, regions = 0, findings = 0, judged = 0;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, wid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		emu = sqlite3_column_int64(st, 0);
		hw = sqlite3_column_int64(st, 1);
		both = sqlite3_column_int64(st, 2);
		regions = sqlite3_column_int64(st, 3);
		findings = sqlite3_column_int64(st, 4);
		judged = sqlite3_column_int64(st, 5);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return -1;
	if (!emu && !hw)
		snprintf(buf, n, "no ok runs to compare");
	else if (!hw || (!both && wid))
		snprintf(buf, n, "there is no hardware side: only emulation runs (add hardware runs with"
				 " 'emudiff collect hw', 'collect console' or an import, then 'emudiff stats')");
	else if (!emu)
		snprintf(buf, n, "there is no emulation side: only hardware runs (add runs with"
				 " 'emudiff collect qemu', then 'emudiff stats')");
	else if (!both)
		snprintf(buf, n, "no workload has ok runs on both sides: emulation and hardware runs belong to"
				 " different workloads (name them alike with --name)");
	else if (!regions)
		snprintf(buf, n, "no regions yet: run 'emudiff align', then 'emudiff stats'");
	else if (!findings && !judged)
		snprintf(buf, n, "not judged yet: run 'emudiff stats'");
	else
		snprintf(buf, n, "no region has its cost measured on both sides (marker or symbol regions"
				 " of one side only: give both collectors the same ELF, or the same markers)");
	return 0;
}
