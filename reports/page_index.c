/*
 * page_index.c - OUT/index.html: A/B conclusion flips on top, then one row
 * per workload with its verdict at a glance, the runs and the machines.
 * The one line that changes between two reports of the same store is the
 * "generated at" line.
 */
#include "report_int.h"
#include "common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* per-region A/B rows shown in a table, after every whole-run row */
#define AB_REGION_ROWS 20

int page_ab_table(struct report_ctx *ctx, FILE *f, int64_t workload_id, const char *root)
{
	char *sql = xasprintf(
		"SELECT ab.name, a.name, b.name, ab.region_key, %s, ab.emu_ratio, ab.emu_lo, ab.emu_hi, "
		"ab.hw_ratio, ab.hw_lo, ab.hw_hi, ab.verdict, ab.reason, ab.a_workload_id, ab.b_workload_id "
		"FROM ab_compare ab JOIN workload a ON a.id = ab.a_workload_id JOIN workload b ON b.id = ab.b_workload_id "
		"WHERE ?1 IS NULL OR ?1 IN (ab.a_workload_id, ab.b_workload_id) "
		/* whole runs first, then the per-region rows (one per common region), flips first */
		"ORDER BY ab.region_key IS NOT NULL, ab.verdict = 'flip' DESC, ab.name, coalesce(ab.region_key, ''), 5, ab.id",
		ctx->ab_metric_sql);
	sqlite3_stmt *st = db__prepare(ctx, sql);
	int rc, any = 0, region_rows = 0, region_hidden = 0;

	free(sql);
	if (!st)
		return -1;
	if (workload_id > 0)
		sqlite3_bind_int64(st, 1, workload_id);
	while ((rc = db__step(ctx, st)) == SQLITE_ROW) {
		const char *verdict = db__text(st, 11);
		/* a pair can have a thousand common regions: show the first few */
		if (sqlite3_column_type(st, 3) != SQLITE_NULL && region_rows++ >= AB_REGION_ROWS) {
			region_hidden++;
			continue;
		}
		if (!any++)
			fputs("<table class=\"sortable\">\n<thead><tr><th>comparison</th><th>A</th><th>B</th><th>region</th>"
			      "<th>metric (QEMU / hardware)</th><th>QEMU ratio A/B [CI]</th><th>hardware ratio A/B [CI]</th><th>verdict</th>"
			      "<th>reason</th></tr></thead>\n<tbody>\n",
			      f);
		fprintf(f, "<tr%s><td>", !strcmp(verdict, "flip") ? " class=\"flag\"" : "");
		html__esc(f, db__text(st, 0));
		for (int side = 0; side < 2; side++) {
			int64_t id = sqlite3_column_int64(st, 13 + side);
			fputs("</td><td>", f);
			/* link by the same safe name the page was written under */
			char *safe = safe_file_name(db__text(st, 1 + side), id);
			int linked = !ctx->only_id || ctx->only_id == id; /* only pages this report wrote */
			if (linked)
				fprintf(f, "<a href=\"%s%s/index.html\">", root, safe);
			html__esc(f, db__text(st, 1 + side));
			if (linked)
				fputs("</a>", f);
			free(safe);
		}
		fputs("</td><td>", f);
		if (sqlite3_column_type(st, 3) == SQLITE_NULL)
			fputs("<span class=\"muted\">whole run</span>", f);
		else {
			fputs("<code>", f);
			html__esc(f, db__text(st, 3));
			fputs("</code>", f);
		}
		fputs("</td><td>", f);
		html__esc(f, db__text(st, 4));
		fputs("</td>", f);
		html__num_cell(f, db__double(st, 5));
		html__ci(f, db__double(st, 5), db__double(st, 6), db__double(st, 7), 0);
		fputs("</td>", f);
		html__num_cell(f, db__double(st, 8));
		html__ci(f, db__double(st, 8), db__double(st, 9), db__double(st, 10), 0);
		fputs("</td><td>", f);
		html__verdict(f, verdict);
		fputs("</td><td class=\"reason\">", f);
		html__esc(f, db__text(st, 12));
		fputs("</td></tr>\n", f);
	}
	if (any)
		fputs("</tbody>\n</table>\n", f);
	if (region_hidden)
		fprintf(f, "<p class=\"muted\">%d more per-region comparisons not shown (table "
			   "<code>ab_compare</code> with region_key set; <code>data/ab.csv</code> of this report).</p>\n",
			region_hidden);
	if (!any)
		fputs("<p class=\"muted\">No A/B comparisons in the store (declare pairs in a suite file; "
		      "<code>emudiff stats</code> compares them).</p>\n",
		      f);
	sqlite3_finalize(st);
	return rc < 0 ? -1 : 0;
}

/* SOURCE_DATE_EPOCH when set (reproducible builds), else now. */
static void generated_at(char *buf, size_t len)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	int64_t v;
	time_t t = time(NULL);
	struct tm tm;

	if (sde && !parse_i64(sde, &v) && v >= 0)
		t = (time_t)v;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void runs_cell(FILE *f, const struct run_counts *c)
{
	fprintf(f, "<td class=\"n\" data-v=\"%d\">%d", c->ok, c->ok);
	if (c->failed)
		fprintf(f, "<br/><span class=\"v v-failed\">%d failed</span>", c->failed);
	if (c->timeout)
		fprintf(f, "<br/><span class=\"v v-timeout\">%d timeout</span>", c->timeout);
	fputs("</td>", f);
}

static void workload_row(FILE *f, const struct workload *w)
{
	const struct region_row *worst = w->worst >= 0 ? &w->regions[w->worst] : NULL;

	fprintf(f, "<tr%s><td><a href=\"%s/index.html\">", w->nflagged ? " class=\"flag\"" : "", w->safe);
	html__esc(f, w->name);
	fputs("</a></td><td>", f);
	html__esc(f, w->arch);
	fprintf(f, "</td><td class=\"n\" data-v=\"%zu\">%zu</td><td class=\"n\" data-v=\"%zu\">%zu", w->ncompared,
		w->ncompared, w->nflagged, w->nflagged);
	if (w->nflagged)
		fprintf(f, " <span class=\"muted\">(%zu under, %zu over)</span>", w->nunder, w->nover);
	fputs("</td>", f);
	html__num_cell(f, worst ? fabs(log(worst->factor)) : NAN);
	if (worst) {
		html__ci(f, worst->factor, worst->f_lo, worst->f_hi, 0);
		fprintf(f, "<br/><a href=\"%s/index.html#r%lld\">", w->safe, (long long)worst->id);
		html__esc(f, region_label(worst));
		fputs("</a>", f);
		if (!verdict_flagged(worst->verdict))
			fputs(" <span class=\"muted\">(not flagged)</span>", f);
	} else {
		fputs("\xe2\x80\x93", f);
	}
	fputs("</td>", f);
	html__num_cell(f, w->spearman);
	html__num(f, w->spearman);
	fputs(" / ", f);
	html__num(f, w->kendall);
	fputs("</td>", f);
	runs_cell(f, &w->runs[SIDE_EMU]);
	runs_cell(f, &w->runs[SIDE_HW]);
	fputs("<td class=\"reason\">", f);
	for (int s = 0; s < SIDE_COUNT; s++) {
		if (!*w->env[s])
			continue;
		fputs(s == SIDE_EMU ? "<b>emulation</b> " : "<br/><b>hardware</b> ", f);
		html__esc(f, w->env[s]);
	}
	fputs("</td></tr>\n", f);
}

int page_index__write(struct report_ctx *ctx, struct workload *ws, size_t n)
{
	char *path = xasprintf("%s/index.html", ctx->o->out_dir);
	const char *base = strrchr(ctx->dbname, '/') ? strrchr(ctx->dbname, '/') + 1 : ctx->dbname;
	size_t regions = 0, flagged = 0, failed = 0, findings = 0;
	struct out o = { 0 };
	char when[64];
	FILE *f;
	int rc = -1;
	sqlite3_stmt *st = db__prepare(ctx, "SELECT count(*) FROM ab_compare WHERE verdict = 'flip'");
	int flips = 0;

	if (!st)
		goto out;
	if (db__step(ctx, st) == SQLITE_ROW)
		flips = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	for (size_t k = 0; k < n; k++) {
		regions += ws[k].ncompared;
		flagged += ws[k].nflagged;
		findings += ws[k].nfindings;
		for (int s = 0; s < SIDE_COUNT; s++)
			failed += (size_t)(ws[k].runs[s].failed + ws[k].runs[s].timeout);
	}
	if (out__open(&o, path))
		goto out;
	f = o.f;
	html__head(f, "emudiff report", "");
	fputs("<h1>Where QEMU misrepresents the cost on hardware</h1>\n", f);
	generated_at(when, sizeof(when));
	/* the only line that differs between two reports of one store */
	fprintf(f, "<p class=\"muted\">Generated at %s from store <code>", when);
	html__esc(f, base);
	fputs("</code>.</p>\n", f);
	fprintf(f, "<div class=\"cards\">\n<div class=\"card\"><b>%zu</b><span>workloads</span></div>\n"
		   "<div class=\"card\"><b>%zu</b><span>regions compared</span></div>\n"
		   "<div class=\"card\"><b>%zu</b><span>regions flagged</span></div>\n"
		   "<div class=\"card\"><b>%zu</b><span>findings</span></div>\n"
		   "<div class=\"card\"><b>%d</b><span>A/B conclusion flips</span></div>\n"
		   "<div class=\"card\"><b>%zu</b><span>failed or timed-out runs</span></div>\n</div>\n",
		n, regions, flagged, findings, flips, failed);
	if (page_suite__section(ctx, f) || page_boot__index(ctx, f, ws, n))
		goto fail;
	fputs("<h2 id=\"ab\">A/B comparisons: does the conclusion hold on hardware?</h2>\n", f);
	if (page_ab_table(ctx, f, ctx->only_id, "") || fig_ab__emit(ctx, f, ctx->o->out_dir, ""))
		goto fail;
	fputs("<h2 id=\"workloads\">Workloads</h2>\n<p class=\"muted\">Regions: regions compared. Flagged: regions whose "
	      "primary finding lies outside the tolerance with its whole CI (the " PRIMARY_FINDING_WHY "). "
	      "Worst: the flagged region furthest from 1. Rank agreement: Spearman \xcf\x81 / Kendall \xcf\x84 "
	      "between instruction share and hardware share.</p>\n",
	      f);
	fputs("<div class=\"tw\"><table class=\"sortable\">\n<thead><tr><th>workload</th><th>arch</th><th>regions compared</th>"
	      "<th>flagged</th><th>worst factor [CI]</th><th>\xcf\x81 / \xcf\x84</th><th>emulation runs</th>"
	      "<th>hardware runs</th><th>machines, kernel, QEMU</th></tr></thead>\n<tbody>\n",
	      f);
	for (size_t k = 0; k < n; k++)
		workload_row(f, &ws[k]);
	fputs("</tbody>\n</table></div>\n", f);
	if (page_cost_model(ctx, f, 0))
		goto fail;
	fputs("<h2 id=\"data\">Data for pandas and R</h2>\n<ul>\n"
	      "<li>regions as shown: <a href=\"data/regions.csv\">regions.csv</a>, "
	      "<a href=\"data/regions.jsonl\">regions.jsonl</a></li>\n"
	      "<li>every finding: <a href=\"data/findings.csv\">findings.csv</a>, "
	      "<a href=\"data/findings.jsonl\">findings.jsonl</a></li>\n"
	      "<li>A/B comparisons: <a href=\"data/ab.csv\">ab.csv</a>, <a href=\"data/ab.jsonl\">ab.jsonl</a></li>\n"
	      "</ul>\n",
	      f);
	html__foot(f, ctx);
	rc = out__close(&o, ctx);
	goto out;
fail:
	out__abort(&o);
out:
	free(path);
	return rc;
}
