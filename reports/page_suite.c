/*
 * page_suite.c - the index's first section: the suite-level findings
 * (stats/suite.c). Per unit (whole runs, regions named alike across
 * workloads) and predictor: rank agreement across workloads and the suite
 * score with CIs, then every workload's factor relative to the suite
 * (robust baseline; the share row's verdict beside it), flagged first, with
 * the sentence of its reason.
 */
#include "report_int.h"

#include <math.h>
#include <string.h>

int page_suite__section(struct report_ctx *ctx, FILE *f)
{
	sqlite3_stmt *s = db__prepare(ctx,
		"SELECT scope, unit, predictor, workloads, spearman, spearman_lo, spearman_hi, kendall, kendall_lo,"
		" kendall_hi, score, score_lo, score_hi, flagged FROM suite_summary ORDER BY scope = 'region', unit, predictor");
	sqlite3_stmt *r = db__prepare(ctx,
		"SELECT w.name, f.factor, f.ci_lo, f.ci_hi, f.verdict, f.reason, f.severity,"
		" (SELECT g.verdict FROM suite_finding g WHERE g.scope = f.scope AND g.unit = f.unit"
		"  AND g.predictor = f.predictor AND g.workload_id = f.workload_id AND g.baseline = 'share')"
		" FROM suite_finding f JOIN workload w ON w.id = f.workload_id"
		" WHERE f.scope = ?1 AND f.unit = ?2 AND f.predictor = ?3 AND f.baseline = 'robust'"
		" ORDER BY f.verdict IN ('underestimates', 'overestimates') DESC, f.severity IS NULL, f.severity DESC, w.name");
	int rc, any = 0, ret = -1;

	if (!s || !r)
		goto out;
	fputs("<h2 id=\"suite\">Across the suite: does QEMU order and scale the workloads as hardware does?</h2>\n"
	      "<p class=\"muted\">Factor: a workload's share of the suite's hardware time divided by its share of "
	      "what emulation predicts (emulated instructions, QEMU host time), relative to the suite's median "
	      "workload; bootstrap CIs over invocations, Benjamini-Hochberg over all suite rows. A factor of 2 "
	      "reads: under QEMU the workload looks 2x faster relative to the suite than on hardware.</p>\n",
	      f);
	while ((rc = db__step(ctx, s)) == SQLITE_ROW) {
		const char *pred = db__text(s, 2);

		any++;
		fputs("<h3>", f);
		html__esc(f, !strcmp(db__text(s, 0), "run") ? "whole runs" : db__text(s, 1));
		fprintf(f, ", %s (%d workloads)</h3>\n<p>Rank agreement with hardware: Spearman ",
			!strcmp(pred, "insns") ? "instruction count" : "QEMU host time", sqlite3_column_int(s, 3));
		html__ci(f, db__double(s, 4), db__double(s, 5), db__double(s, 6), 0);
		fputs(", Kendall ", f);
		html__ci(f, db__double(s, 7), db__double(s, 8), db__double(s, 9), 0);
		if (!strcmp(pred, "qemu_time")) {
			fputs(". Suite score: QEMU runs the suite ", f);
			html__ci(f, db__double(s, 10), db__double(s, 11), db__double(s, 12), 0);
			fputs("x slower than hardware (geometric mean over workloads)", f);
		}
		fprintf(f, ". %d workload%s flagged.</p>\n", sqlite3_column_int(s, 13),
			sqlite3_column_int(s, 13) == 1 ? "" : "s");
		fputs("<div class=\"tw\"><table class=\"sortable\">\n<thead><tr><th>workload</th><th>factor [CI]</th>"
		      "<th>verdict (robust)</th><th>verdict (share)</th><th>reason</th></tr></thead>\n<tbody>\n",
		      f);
		sqlite3_reset(r);
		sqlite3_bind_text(r, 1, db__text(s, 0), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(r, 2, db__text(s, 1), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(r, 3, pred, -1, SQLITE_TRANSIENT);
		while ((rc = db__step(ctx, r)) == SQLITE_ROW) {
			const char *v = db__text(r, 4);
			int flag = !strcmp(v, "underestimates") || !strcmp(v, "overestimates");

			fprintf(f, "<tr%s><td>", flag ? " class=\"flag\"" : "");
			html__esc(f, db__text(r, 0));
			fputs("</td>", f);
			html__num_cell(f, db__double(r, 1));
			html__ci(f, db__double(r, 1), db__double(r, 2), db__double(r, 3), 0);
			fputs("</td><td>", f);
			html__verdict(f, v);
			fputs("</td><td>", f);
			html__verdict(f, db__text(r, 7));
			fputs("</td><td>", f);
			html__esc(f, db__text(r, 5));
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody>\n</table></div>\n", f);
		if (rc < 0)
			goto out;
	}
	if (rc < 0)
		goto out;
	if (!any)
		fputs("<p class=\"muted\">No workload has both emulation and hardware runs with whole-run totals.</p>\n", f);
	ret = 0;
out:
	sqlite3_finalize(s);
	sqlite3_finalize(r);
	return ret;
}
