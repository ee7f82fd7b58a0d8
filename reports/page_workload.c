/*
 * page_workload.c - OUT/<workload>/index.html: the verdict, the machines,
 * failed runs, figures 1-4, the regions table and every finding.
 */
#include "report_int.h"
#include "common.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void card(FILE *f, const char *label, const char *fmt, ...) EMUDIFF_PRINTF(3, 4);

static void card(FILE *f, const char *label, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	fputs("<div class=\"card\"><b>", f);
	html__esc(f, s);
	fputs("</b><span>", f);
	html__esc(f, label);
	fputs("</span></div>\n", f);
	free(s);
}

static void summary(FILE *f, const struct report_ctx *ctx, const struct workload *w)
{
	const struct region_row *worst = w->worst >= 0 ? &w->regions[w->worst] : NULL;

	fputs("<p>", f);
	if (!w->ncompared) {
		char why[256];

		/* the real reason, from the store's state */
		if (present__why_no_findings(ctx->db, w->id, why, sizeof(why)))
			snprintf(why, sizeof(why), "the store could not be read");
		fputs("No region compared: ", f);
		html__esc(f, why);
		fputc('.', f);
	} else if (!w->nflagged) {
		fprintf(f, "QEMU's instruction share predicts the hardware %s of all %zu regions compared within the "
			   "tolerance of %.3g\xc3\x97 (or the data cannot tell).",
			w->hw_metric ? w->hw_metric : "cost", w->ncompared, ctx->tolerance);
	} else {
		fprintf(f, "<b>%zu of %zu regions compared are flagged</b>: emulation underestimates %zu and overestimates %zu "
			   "(hardware %s against the instruction share, tolerance %.3g\xc3\x97).",
			w->nflagged, w->ncompared, w->nunder, w->nover, w->hw_metric ? w->hw_metric : "cost",
			ctx->tolerance);
	}
	fputs(" <span class=\"muted\">(The " PRIMARY_FINDING_WHY ".)</span>", f);
	if (worst && verdict_flagged(worst->verdict)) {
		fprintf(f, " Largest miss: <a href=\"#r%lld\">", (long long)worst->id);
		html__esc(f, region_label(worst));
		fputs("</a>, factor ", f);
		html__ci(f, worst->factor, worst->f_lo, worst->f_hi, 0);
		fputs(" \xe2\x80\x94 ", f);
		html__esc(f, worst->reason);
	}
	fputs("</p>\n", f);
}

static void env_table(FILE *f, const struct workload *w)
{
	static const char *const side_name[SIDE_COUNT] = { "emulation", "hardware" };

	fputs("<table>\n<thead><tr><th>side</th><th>ok</th><th>warm-up</th><th>failed</th><th>timeout</th>"
	      "<th>platform, machine, kernel, CPU, QEMU</th></tr></thead>\n<tbody>\n",
	      f);
	for (int s = 0; s < SIDE_COUNT; s++) {
		const struct run_counts *c = &w->runs[s];
		fprintf(f, "<tr><td>%s</td><td class=\"n\">%d</td><td class=\"n\">%d</td><td class=\"n\">%s%d%s</td>"
			   "<td class=\"n\">%s%d%s</td><td>",
			side_name[s], c->ok, c->warmup, c->failed ? "<span class=\"v v-failed\">" : "", c->failed,
			c->failed ? "</span>" : "", c->timeout ? "<span class=\"v v-timeout\">" : "", c->timeout,
			c->timeout ? "</span>" : "");
		if (*w->env[s])
			html__esc(f, w->env[s]);
		else
			fputs("<span class=\"muted\">not recorded</span>", f);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

static void failed_runs_row(FILE *f, sqlite3_stmt *st, const void *arg)
{
	(void)arg;
	fprintf(f, "<tr><td class=\"n\" data-v=\"%lld\">%lld</td><td>", (long long)sqlite3_column_int64(st, 0),
		(long long)sqlite3_column_int64(st, 0));
	html__esc(f, db__text(st, 1));
	fprintf(f, "</td><td class=\"n\" data-v=\"%d\">%d</td><td>", sqlite3_column_int(st, 2),
		sqlite3_column_int(st, 2));
	html__verdict(f, db__text(st, 3));
	fputs("</td><td class=\"n\">", f);
	if (sqlite3_column_type(st, 4) == SQLITE_NULL)
		fputs("\xe2\x80\x93", f);
	else
		fprintf(f, "%d", sqlite3_column_int(st, 4));
	fputs("</td><td>", f);
	html__esc(f, db__text(st, 5));
	fputs("</td><td>", f);
	html__esc(f, db__text(st, 6));
	fputs("</td></tr>\n", f);
}

static const struct query_table failed_runs_query = {
	.sql = "SELECT id, platform, rep, status, exit_code, started_at, cell FROM run "
		"WHERE workload_id = ?1 AND status IN ('failed', 'timeout') ORDER BY started_at, id",
	.head = "<h2>Failed and timed-out runs</h2>\n<table class=\"sortable\">\n<thead><tr><th>run</th>"
		"<th>platform</th><th>rep</th><th>status</th><th>exit code</th><th>started</th>"
		"<th>study cell</th></tr></thead>\n<tbody>\n",
	.row = failed_runs_row,
};

static int failed_runs(struct report_ctx *ctx, FILE *f, const struct workload *w)
{
	return db__table(ctx, f, &failed_runs_query, w->id, NULL);
}

static void regions_table(FILE *f, const struct workload *w)
{
	fprintf(f, "<h2 id=\"regions\">Regions (%zu)</h2>\n"
		   "<p class=\"muted\">Shares are of the whole workload within the region's kind (marker or symbol "
		   "regions). Factor = hardware share / instruction share of the primary finding; click a column "
		   "to sort.</p>\n",
		w->nregions);
	fprintf(f, "<div class=\"tw\"><table class=\"sortable\">\n<thead><tr><th>#</th><th>region</th><th>key</th><th>instruction share</th>"
		   "<th>hardware share (%s) [CI]</th><th>QEMU host-time share</th><th>factor [CI]</th><th>verdict</th>"
		   "<th>reason</th></tr></thead>\n<tbody>\n",
		w->hw_metric ? w->hw_metric : "\xe2\x80\x93");
	for (size_t i = 0; i < w->nregions; i++) {
		const struct region_row *r = &w->regions[i];
		fprintf(f, "<tr id=\"r%lld\"%s><td class=\"n\" data-v=\"%zu\">%zu</td><td>", (long long)r->id,
			verdict_flagged(r->verdict) ? " class=\"flag\"" : "", i + 1, i + 1);
		html__esc(f, r->name ? r->name : "");
		fputs("</td><td><code>", f);
		html__esc(f, r->key);
		fputs("</code></td>", f);
		html__num_cell(f, r->insn_share);
		html__pct(f, r->insn_share);
		fputs("</td>", f);
		html__num_cell(f, r->hw_share);
		html__ci(f, r->hw_share, r->hw_lo, r->hw_hi, 1);
		fputs("</td>", f);
		html__num_cell(f, r->qtime_share);
		html__pct(f, r->qtime_share);
		fputs("</td>", f);
		html__num_cell(f, r->factor);
		html__ci(f, r->factor, r->f_lo, r->f_hi, 0);
		fputs("</td><td>", f);
		html__verdict(f, r->verdict);
		fputs("</td><td class=\"reason\">", f);
		html__esc(f, r->reason);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table></div>\n", f);
}

/*
 * The symbols of each marker pair (align's ms:<from>-><to>/<symbol> roll-ups,
 * the threads' ms:...@t<k> with them): per side the symbol's share of the
 * pair, summed over ok runs and threads (a run without
 * the symbol counts as 0); the 12 largest per pair. Only here: the regions
 * table, figures and shares keep to marker and symbol regions.
 * region_metric is reached by (run, region), its primary key's prefix (no
 * index on region_id); CROSS JOIN keeps the ms: regions outermost, so a
 * workload without roll-ups costs nothing instead of a pass over its rows.
 */
const char page_workload__phase_symbols_sql[] =
	"WITH v AS (SELECT substr(r.key, 4, instr(r.key, '/') - 4) AS pair, coalesce(r.name, '') AS sym,"
	"  sum(CASE WHEN emu AND rm.metric = '" METRIC_INSNS "' THEN rm.value END) AS e,"
	"  sum(CASE WHEN NOT emu AND rm.metric = '" METRIC_TIME_NS "' THEN rm.value END) AS h"
	"  FROM region r"
	"  CROSS JOIN (SELECT id, platform IN ('qemu-user', 'qemu-system') AS emu FROM run"
	"   WHERE workload_id = ?1 AND status = 'ok') run"
	"  CROSS JOIN region_metric rm ON rm.run_id = run.id AND rm.region_id = r.id"
	"  WHERE r.workload_id = ?1 AND substr(r.key, 1, 3) = '" REGION_KEY_MARK_SYMBOL "' GROUP BY 1, 2),"
	/* absent on a side that has the pair: 0; a side without the pair: NULL */
	" s AS (SELECT pair, sym, coalesce(e, 0) / sum(e) OVER (PARTITION BY pair) AS es,"
	"  coalesce(h, 0) / sum(h) OVER (PARTITION BY pair) AS hs FROM v),"
	" t AS (SELECT *, row_number() OVER (PARTITION BY pair ORDER BY max(coalesce(es, 0), coalesce(hs, 0)) DESC,"
	"  sym) AS k FROM s)"
	" SELECT pair, (SELECT name FROM region m WHERE m.workload_id = ?1 AND m.key = '" REGION_KEY_MARK "' || pair || '#1'),"
	"  sym, es, hs FROM t WHERE k <= 12 ORDER BY pair, k";

static void phase_symbols_row(FILE *f, sqlite3_stmt *st, const void *arg)
{
	double es = db__double(st, 3), hs = db__double(st, 4);

	(void)arg;
	fputs("<tr><td>", f);
	html__esc(f, db__text(st, 1));
	fputs("</td><td><code>", f);
	html__esc(f, db__text(st, 0));
	fputs("</code></td><td><code>", f);
	html__esc(f, db__text(st, 2));
	fputs("</code></td>", f);
	html__num_cell(f, es);
	html__pct(f, es);
	fputs("</td>", f);
	html__num_cell(f, hs);
	html__pct(f, hs);
	fputs("</td>", f);
	html__num_cell(f, es > 0 ? hs / es : NAN);
	html__num(f, es > 0 ? hs / es : NAN);
	fputs("</td></tr>\n", f);
}

static const struct query_table phase_symbols_query = {
	.sql = page_workload__phase_symbols_sql,
	.head = "<h2 id=\"phase-symbols\">Symbols per phase</h2>\n<p class=\"muted\">What each marker "
		"pair (all its occurrences) spends its cost in, callees included: the symbol's share of the "
		"phase's emulated instructions and of its sampled hardware time (ok runs).</p>\n"
		"<div class=\"tw\"><table class=\"sortable\">\n<thead><tr><th>phase</th><th>markers</th>"
		"<th>symbol</th><th>instruction share</th><th>hardware time share</th>"
		"<th>hardware / instruction share</th></tr></thead>\n<tbody>\n",
	.row = phase_symbols_row,
	.foot = "</tbody>\n</table></div>\n",
};

static int phase_symbols_table(struct report_ctx *ctx, FILE *f, const struct workload *w)
{
	return db__table(ctx, f, &phase_symbols_query, w->id, NULL);
}

static int findings_table(struct report_ctx *ctx, FILE *f, const struct workload *w)
{
	sqlite3_stmt *st = db__prepare(ctx,
		"SELECT f.id, r.id, r.key, r.name, f.metric, f.predictor, f.baseline, f.factor, f.ci_lo, f.ci_hi, "
		"f.p_adj, f.verdict, f.reason, f.n_emu, f.n_hw, f.samples, f.samples_total "
		"FROM finding f LEFT JOIN region r ON r.id = f.region_id "
		"WHERE f.workload_id = ?1 ORDER BY f.region_id, f.metric, f.predictor, f.baseline, f.id");
	int rc;

	if (!st)
		return -1;
	fprintf(f, "<h2 id=\"findings\">All findings (%zu)</h2>\n", w->nfindings);
	fputs("<div class=\"tw\"><table class=\"sortable\">\n<thead><tr><th>finding</th><th>region</th><th>metric</th><th>predictor</th>"
	      "<th>baseline</th><th>factor [CI]</th><th>p (adjusted)</th><th>n emu / hw</th>"
	      "<th title=\"sampled hardware: the region's samples of all samples in the runs compared\">"
	      "hardware samples</th><th>verdict</th><th>reason</th></tr></thead>\n<tbody>\n",
	      f);
	sqlite3_bind_int64(st, 1, w->id);
	while ((rc = db__step(ctx, st)) == SQLITE_ROW) {
		int64_t fid = sqlite3_column_int64(st, 0);
		const char *verdict = db__text(st, 11);
		fprintf(f, "<tr%s><td class=\"n\" data-v=\"%lld\">%lld</td><td>",
			verdict_flagged(verdict) ? " class=\"flag\"" : "", (long long)fid, (long long)fid);
		if (sqlite3_column_type(st, 1) == SQLITE_NULL) {
			fputs("<span class=\"muted\">whole run</span>", f);
		} else {
			fprintf(f, "<a href=\"#r%lld\">", (long long)sqlite3_column_int64(st, 1));
			html__esc(f, *db__text(st, 3) ? db__text(st, 3) : db__text(st, 2));
			fputs("</a> <code>", f);
			html__esc(f, db__text(st, 2));
			fputs("</code>", f);
		}
		fputs("</td><td>", f);
		html__esc(f, db__text(st, 4));
		fputs("</td><td>", f);
		html__esc(f, db__text(st, 5));
		fputs("</td><td>", f);
		html__esc(f, db__text(st, 6));
		fputs("</td>", f);
		html__num_cell(f, db__double(st, 7));
		html__ci(f, db__double(st, 7), db__double(st, 8), db__double(st, 9), 0);
		fputs("</td>", f);
		html__num_cell(f, db__double(st, 10));
		html__pval(f, db__double(st, 10));
		fputs("</td><td class=\"n\">", f);
		html__esc(f, sqlite3_column_type(st, 13) == SQLITE_NULL ? "\xe2\x80\x93" : db__text(st, 13));
		fputs(" / ", f);
		html__esc(f, sqlite3_column_type(st, 14) == SQLITE_NULL ? "\xe2\x80\x93" : db__text(st, 14));
		fputs("</td>", f);
		/* what a sampled judgement rests on: k of n samples (NULL: not sampled) */
		if (sqlite3_column_type(st, 15) == SQLITE_NULL) {
			html__num_cell(f, NAN);
			fputs("\xe2\x80\x93", f);
		} else {
			html__num_cell(f, db__double(st, 15));
			fprintf(f, "%lld of %lld", (long long)sqlite3_column_int64(st, 15),
				(long long)sqlite3_column_int64(st, 16));
		}
		fputs("</td><td>", f);
		html__verdict(f, verdict);
		fputs("</td><td class=\"reason\">", f);
		html__esc(f, db__text(st, 12));
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table></div>\n", f);
	sqlite3_finalize(st);
	return rc < 0 ? -1 : 0;
}

/*
 * Whole-run metrics (run_metric: boot latency until the console string,
 * unattributed instructions, ...) per platform over ok runs, as `emudiff show
 * metrics` lists them run by run; a metric both sides have gets hardware /
 * emulation of the means.
 */
static void run_metrics_row(FILE *f, sqlite3_stmt *st, const void *arg)
{
	(void)arg;
	fputs("<tr><td><code>", f);
	html__esc(f, db__text(st, 0));
	fputs("</code></td><td>", f);
	html__esc(f, db__text(st, 1));
	fprintf(f, "</td><td class=\"n\">%d</td>", sqlite3_column_int(st, 2));
	for (int c = 3; c <= 5; c++) {
		html__num_cell(f, db__double(st, c));
		html__num(f, db__double(st, c));
		fputs("</td>", f);
	}
	html__num_cell(f, db__double(st, 7));
	html__num(f, db__double(st, 7));
	fputs("</td><td class=\"reason\">", f);
	html__esc(f, db__text(st, 6));
	fputs("</td></tr>\n", f);
}

static const struct query_table run_metrics_query = {
	.sql = "WITH v AS (SELECT m.metric, r.platform, r.platform IN ('qemu-user', 'qemu-system') AS emu,"
		"  count(*) AS n, avg(m.value) AS mean, min(m.value) AS lo, max(m.value) AS hi,"
		"  " RUN_METRIC_NOTE_SQL("m.metric", "max(m.value)", "w.elf_path") " AS note"
		"  FROM run r JOIN run_metric m ON m.run_id = r.id JOIN workload w ON w.id = r.workload_id"
		"  WHERE r.workload_id = ?1 AND r.status = 'ok' GROUP BY m.metric, r.platform)"
		" SELECT metric, platform, n, mean, lo, hi, note,"
		"  (SELECT avg(h.mean) FROM v h WHERE h.metric = v.metric AND NOT h.emu) /"
		"  nullif((SELECT avg(e.mean) FROM v e WHERE e.metric = v.metric AND e.emu), 0)"
		" FROM v ORDER BY metric, platform",
	.head = "<h2 id=\"run-metrics\">Run metrics</h2>\n<p class=\"muted\">Whole-run totals over ok runs "
		"(<code>emudiff show metrics</code> lists them run by run); hardware / emulation when both "
		"sides have the metric.</p>\n<table class=\"sortable\">\n<thead><tr><th>metric</th>"
		"<th>platform</th><th>runs</th><th>mean</th><th>min</th><th>max</th>"
		"<th>hardware / emulation</th><th>note</th></tr></thead>\n<tbody>\n",
	.row = run_metrics_row,
};

static int run_metrics_table(struct report_ctx *ctx, FILE *f, const struct workload *w)
{
	return db__table(ctx, f, &run_metrics_query, w->id, NULL);
}

static void agreement_row(FILE *f, sqlite3_stmt *st, const void *arg)
{
	(void)arg;
	fputs("<tr><td>", f);
	html__esc(f, db__text(st, 0));
	fputs("</td><td>", f);
	html__esc(f, db__text(st, 1));
	fprintf(f, "</td><td class=\"n\">%d</td>", sqlite3_column_int(st, 2));
	for (int c = 3; c <= 5; c++) {
		fputs("<td class=\"n\">", f);
		html__num(f, db__double(st, c));
		fputs("</td>", f);
	}
	fputs("<td class=\"n\">", f);
	html__pct(f, db__double(st, 6));
	fputs("</td></tr>\n", f);
}

static const struct query_table agreement_query = {
	.sql = "SELECT predictor, metric, n, pearson, spearman, kendall, mape FROM agreement WHERE workload_id = ?1 "
		"ORDER BY predictor, metric",
	.head = "<h2>Rank agreement between predictor and hardware</h2>\n<table>\n<thead><tr><th>predictor</th>"
		"<th>hardware metric</th><th>regions</th><th>Pearson r</th><th>Spearman \xcf\x81</th>"
		"<th>Kendall \xcf\x84</th><th>MAPE</th></tr></thead>\n<tbody>\n",
	.row = agreement_row,
};

static int agreement_table(struct report_ctx *ctx, FILE *f, const struct workload *w)
{
	return db__table(ctx, f, &agreement_query, w->id, NULL);
}

static void cost_model_head(FILE *f, sqlite3_stmt *st, const void *study_wide)
{
	(void)st;
	fprintf(f, "<h2>Calibrated cost model%s</h2>\n<table>\n<thead><tr><th>hardware metric</th>"
		   "<th>term</th><th>coefficient [CI]</th><th>R\xc2\xb2</th><th>CV RMSE</th><th>n</th>"
		   "</tr></thead>\n<tbody>\n",
		study_wide ? " (fitted over the study)" : "");
}

static void cost_model_row(FILE *f, sqlite3_stmt *st, const void *arg)
{
	(void)arg;
	fputs("<tr><td>", f);
	html__esc(f, db__text(st, 0));
	fputs("</td><td><code>", f);
	html__esc(f, db__text(st, 1));
	fputs("</code></td><td class=\"n\">", f);
	html__ci(f, db__double(st, 2), db__double(st, 3), db__double(st, 4), 0);
	fputs("</td><td class=\"n\">", f);
	html__num(f, db__double(st, 5));
	fputs("</td><td class=\"n\">", f);
	html__num(f, db__double(st, 6));
	fprintf(f, "</td><td class=\"n\">%d</td></tr>\n", sqlite3_column_int(st, 7));
}

/* workload_id <= 0: the model fitted over the whole study (workload_id NULL) */
static const struct query_table cost_model_query = {
	.sql = "SELECT metric, term, coef, ci_lo, ci_hi, r2, cv_rmse, n FROM cost_model "
	       "WHERE workload_id IS ?1 ORDER BY metric, term",
	.head_fn = cost_model_head,
	.row = cost_model_row,
};

static int cost_model_table(struct report_ctx *ctx, FILE *f, int64_t workload_id)
{
	return db__table(ctx, f, &cost_model_query, workload_id, workload_id > 0 ? NULL : "study");
}

int page_cost_model(struct report_ctx *ctx, FILE *f, int64_t workload_id)
{
	return cost_model_table(ctx, f, workload_id);
}

int page_workload__write(struct report_ctx *ctx, struct workload *w)
{
	char *dir = xasprintf("%s/%s", ctx->o->out_dir, w->safe), *path = NULL;
	const struct region_row *worst = w->worst >= 0 ? &w->regions[w->worst] : NULL;
	struct out o = { 0 };
	FILE *f;
	int rc = -1;

	if (mkdir_p(dir))
		goto out;
	path = xasprintf("%s/index.html", dir);
	if (out__open(&o, path))
		goto out;
	f = o.f;
	html__head(f, w->name, "../");
	fputs("<h1>", f);
	html__esc(f, w->name);
	fputs("</h1>\n<p class=\"muted\">", f);
	html__esc(f, w->arch);
	if (w->argv) {
		fputs(" \xc2\xb7 argv <code>", f);
		html__esc(f, w->argv);
		fputs("</code>", f);
	}
	if (w->elf_sha256) {
		fputs(" \xc2\xb7 ELF sha256 <code>", f);
		html__esc(f, w->elf_sha256);
		fputs("</code>", f);
	}
	fputs("</p>\n<div class=\"cards\">\n", f);
	card(f, "regions compared", "%zu", w->ncompared);
	card(f, "flagged (under / over)", "%zu (%zu / %zu)", w->nflagged, w->nunder, w->nover);
	if (worst)
		card(f, verdict_flagged(worst->verdict) ? "worst flagged factor" : "largest factor (not flagged)",
		     "%.3g\xc3\x97", worst->factor);
	if (isfinite(w->spearman))
		card(f, "Spearman \xcf\x81 / Kendall \xcf\x84", "%.2f / %.2f", w->spearman, w->kendall);
	card(f, "ok runs emulation / hardware", "%d / %d", w->runs[SIDE_EMU].ok, w->runs[SIDE_HW].ok);
	card(f, "failed + timed-out runs", "%d",
	     w->runs[0].failed + w->runs[0].timeout + w->runs[1].failed + w->runs[1].timeout);
	fputs("</div>\n<h2>Verdict</h2>\n", f);
	summary(f, ctx, w);
	fputs("<h2>Runs and machines</h2>\n", f);
	env_table(f, w);
	if (failed_runs(ctx, f, w))
		goto fail;
	fputs("<h2>Figures</h2>\n", f);
	if (fig_scatter__emit(ctx, f, dir, w) || fig_factor__emit(ctx, f, dir, w) || fig_dist__emit(ctx, f, dir, w) ||
	    fig_events__emit(ctx, f, dir, w) || fig_latency__emit(ctx, f, dir, w))
		goto fail;
	regions_table(f, w);
	if (page_threads(ctx, f, w->id) || phase_symbols_table(ctx, f, w) || findings_table(ctx, f, w) ||
	    page_servers__table(ctx, f, w->id) || page_boot__table(ctx, f, w->id) || run_metrics_table(ctx, f, w) ||
	    agreement_table(ctx, f, w) ||
	    cost_model_table(ctx, f, w->id) || page_event_cost(ctx, f, w->id))
		goto fail;
	fputs("<h2>A/B comparisons</h2>\n", f);
	if (page_ab_table(ctx, f, w->id, "../"))
		goto fail;
	html__foot(f, ctx);
	rc = out__close(&o, ctx);
	goto out;
fail:
	out__abort(&o);
out:
	free(dir);
	free(path);
	return rc;
}
