/*
 * suite_lines.c - the study's first closing lines: the suite-level findings
 * (stats/suite.c) in sentences a paper can quote, and the one-line summary of
 * region findings that never counts a comparison that cannot differ as
 * agreement.
 */
#include "cmd.h"
#include "common.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static const char *pred_words(const char *p)
{
	return !strcmp(p, "insns") ? "instruction count" : "QEMU host time";
}

static double col(sqlite3_stmt *q, int i)
{
	return sqlite3_column_type(q, i) == SQLITE_NULL ? NAN : sqlite3_column_double(q, i);
}

/* the workloads whose relative speed QEMU gets wrong in one unit (robust rows first) */
static int print_flagged(sqlite3 *db, const char *scope, const char *unit)
{
	sqlite3_stmt *q;
	int n = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT reason FROM (SELECT f.reason, f.severity, row_number() OVER (PARTITION BY"
			       " f.workload_id, f.predictor ORDER BY f.baseline = 'robust' DESC) AS k"
			       " FROM suite_finding f WHERE f.scope = ?1 AND f.unit = ?2"
			       " AND f.verdict IN ('underestimates', 'overestimates'))"
			       " WHERE k = 1 ORDER BY severity DESC",
			       -1, &q, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(q, 1, scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, unit, -1, SQLITE_STATIC);
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (!n++)
			printf("  relative speeds QEMU gets wrong beyond the tolerance:\n");
		printf("    %s\n", (const char *)sqlite3_column_text(q, 0));
	}
	sqlite3_finalize(q);
	return n;
}

void print_suite_findings(sqlite3 *db)
{
	sqlite3_stmt *q;
	char last[512] = "";
	int lone = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT scope, unit, predictor, workloads, spearman, spearman_lo, spearman_hi, kendall,"
			       " kendall_lo, kendall_hi, score, score_lo, score_hi, flagged,"
			       " (SELECT count(*) FROM suite_finding f WHERE f.scope = s.scope AND f.unit = s.unit"
			       "  AND f.predictor = s.predictor AND f.verdict = 'inconclusive')"
			       " FROM suite_summary s ORDER BY scope = 'region', unit, predictor",
			       -1, &q, NULL) != SQLITE_OK)
		return; /* a store from before schema 6 */
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *scope = (const char *)sqlite3_column_text(q, 0);
		const char *unit = (const char *)sqlite3_column_text(q, 1);
		const char *pred = (const char *)sqlite3_column_text(q, 2);
		int w = sqlite3_column_int(q, 3), flagged = sqlite3_column_int(q, 13);
		int inconclusive = sqlite3_column_int(q, 14);
		char key[512];

		snprintf(key, sizeof(key), "%s/%s", scope, unit);
		if (w < 2) {
			/* nothing to rank (a region name only one workload has, e.g. a
			 * thread's own region): counted, not printed unit by unit */
			if (strcmp(key, last))
				lone++;
			snprintf(last, sizeof(last), "%s", key);
			continue;
		}
		if (strcmp(key, last)) {
			printf("suite, %s (%d workloads; hardware time against what emulation predicts, relative to"
			       " the suite):\n",
			       !strcmp(scope, "run") ? "whole runs" : unit, w);
			snprintf(last, sizeof(last), "%s", key);
		}
		printf("  %s: rank agreement Spearman %.2f [%.2f, %.2f], Kendall %.2f [%.2f, %.2f]", pred_words(pred),
		       col(q, 4), col(q, 5), col(q, 6), col(q, 7), col(q, 8), col(q, 9));
		if (!strcmp(pred, "qemu_time"))
			printf("; QEMU runs the suite %.3gx [%.3g, %.3g] slower than hardware (geometric mean)",
			       col(q, 10), col(q, 11), col(q, 12));
		printf("\n");
		if (flagged)
			print_flagged(db, scope, unit);
		else if (inconclusive)
			printf("    no workload flagged; %d of %d comparisons inconclusive\n", inconclusive, 2 * w);
		else
			printf("    every workload's relative speed agrees within the tolerance\n");
	}
	sqlite3_finalize(q);
	if (lone)
		printf("suite: %d unit%s held by one workload only: not informative, nothing to rank"
		       " (emudiff show suite lists them)\n",
		       lone, lone == 1 ? "" : "s");
}

/* The summary line when no region is flagged: agreement only where something was compared. */
void print_unflagged_summary(sqlite3 *db)
{
	sqlite3_stmt *q;
	int nf = 0, informative = 0, agrees = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT count(*), coalesce(sum(informative IS NOT 0), 0),"
			       " coalesce(sum(verdict = 'agrees'), 0) FROM finding",
			       -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW) {
			nf = sqlite3_column_int(q, 0);
			informative = sqlite3_column_int(q, 1);
			agrees = sqlite3_column_int(q, 2);
		}
		sqlite3_finalize(q);
	}
	if (!nf)
		printf("no findings: no workload has both emulation and hardware runs to compare\n");
	else if (!informative)
		printf("no region compared: every region holds all of its workload's cost (or its interval has"
		       " zero width), so no region-level conclusion; see the suite lines above\n");
	else if (agrees == nf)
		printf("no region flagged: every predictor agrees with hardware within the tolerance\n");
	else
		printf("no region flagged: %d of %d region findings agree within the tolerance, %d are"
		       " inconclusive (%d not informative)\n",
		       agrees, nf, nf - agrees, nf - informative);
}
