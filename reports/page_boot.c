/*
 * page_boot.c - a booted workload's boot latency on its page (stats/boot.c):
 * per stage, in boot order, emulation's and hardware's mean time to it [CI],
 * emulation / hardware [CI] and the verdict (server_compare of kind boot),
 * and the stages only one side reached (run_metric_stat); with what an
 * emulated boot time measures.
 */
#include "report_int.h"
#include "common.h"

#include <math.h>
#include <string.h>

/* The comparisons, then each platform's stages that none compares; in boot order. */
static const char boot_sql[] =
	"SELECT metric, ord, emu_platform, emu, emu_lo, emu_hi, hw_platform, hw, hw_lo, hw_hi, ratio, ratio_lo,"
	" ratio_hi, verdict, n_emu, n_hw, reason, " BOOT_CONSOLE_SQL("?1", "metric") " FROM server_compare"
	" WHERE workload_id = ?1 AND kind = 'boot'"
	" UNION ALL SELECT metric, ord, CASE WHEN emu THEN platform END, CASE WHEN emu THEN mean END,"
	" CASE WHEN emu THEN mean_lo END, CASE WHEN emu THEN mean_hi END, CASE WHEN NOT emu THEN platform END,"
	" CASE WHEN NOT emu THEN mean END, CASE WHEN NOT emu THEN mean_lo END, CASE WHEN NOT emu THEN mean_hi END,"
	" NULL, NULL, NULL, NULL, CASE WHEN emu THEN n ELSE 0 END, CASE WHEN emu THEN 0 ELSE n END,"
	" CASE WHEN emu THEN 'no hardware side' ELSE 'no emulation side' END, " BOOT_CONSOLE_SQL("?1", "metric")
	" FROM (SELECT *, platform IN ('qemu-user', 'qemu-system') AS emu FROM run_metric_stat s"
	"  WHERE s.workload_id = ?1 AND s.kind = 'boot' AND NOT EXISTS (SELECT 1 FROM server_compare c"
	"  WHERE c.workload_id = s.workload_id AND c.kind = 'boot' AND c.metric = s.metric"
	"  AND s.platform IN (c.emu_platform, c.hw_platform)))"
	" ORDER BY 2, 3, 7";

/* "-icount" among the QEMU arguments the workload was collected with */
static const char icount_sql[] =
	"SELECT EXISTS (SELECT 1 FROM workload w, json_each(w.argv) a WHERE w.id = ?1 AND a.value = '-icount')";

/* The workload's, for the table's head. */
struct boot_of {
	struct report_ctx *ctx;
	int64_t workload_id;
};

static void head(FILE *f, sqlite3_stmt *first, const void *arg)
{
	const struct boot_of *b = arg;
	sqlite3_stmt *st = db__prepare(b->ctx, icount_sql);
	int icount = 0;

	(void)first;
	if (st) {
		sqlite3_bind_int64(st, 1, b->workload_id);
		icount = db__step(b->ctx, st) == SQLITE_ROW && sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	fputs("<h2 id=\"boot\">Boot</h2>\n<p class=\"muted\">Time from the start to each boot stage's first console "
	      "line (QEMU's start under QEMU; the logger's zero in a board's log; <code>until_console_ns</code>: the "
	      "console string), mean over ok runs with its bootstrap interval; emulation / hardware above the "
	      "tolerance band: QEMU <b>overestimates</b> the boot time, below it underestimates. ",
	      f);
	if (icount)
		fputs("The runs gave QEMU <code>-icount</code>: the guest's clock follows its instructions, but these "
		      "times are still host time, so they measure this host's speed too.",
		      f);
	else
		fputs("Under QEMU TCG without <code>-icount</code> emulation's time is this host's speed at emulating "
		      "the boot (and the guest's timer waits, in host time), not the modelled board's: a faster host "
		      "boots sooner.",
		      f);
	fputs(" <code>emudiff show boot</code> lists the same rows.</p>\n<table>\n<thead><tr><th>stage</th>"
	      "<th>emulation [CI]</th><th>hardware [CI]</th><th>emulation / hardware [CI]</th><th>verdict</th>"
	      "<th>runs</th><th>reason</th></tr></thead>\n<tbody>\n",
	      f);
}

/* A side's time [CI] and its platform; an en dash without one. */
static void side(FILE *f, sqlite3_stmt *st, int c)
{
	char buf[128];

	html__num_cell(f, db__double(st, c + 1));
	if (sqlite3_column_type(st, c) == SQLITE_NULL) {
		fputs("\xe2\x80\x93</td>", f);
		return;
	}
	dur_ci__fmt(buf, sizeof(buf), db__double(st, c + 1), db__double(st, c + 2), db__double(st, c + 3));
	html__esc(f, buf);
	fputs("<br/><span class=\"muted\">", f);
	html__esc(f, db__text(st, c));
	fputs("</span></td>", f);
}

static void row(FILE *f, sqlite3_stmt *st, const void *arg)
{
	char label[256];

	(void)arg;
	boot_stage__label(label, sizeof(label), db__text(st, 0), db__text(st, 17));
	fputs("<tr><td>", f);
	html__esc(f, label);
	fputs("<br/><code>", f);
	html__esc(f, db__text(st, 0));
	fputs("</code></td>", f);
	side(f, st, 2);
	side(f, st, 6);
	html__num_cell(f, db__double(st, 10));
	html__ci(f, db__double(st, 10), db__double(st, 11), db__double(st, 12), 0);
	fputs("</td><td>", f);
	if (sqlite3_column_type(st, 13) == SQLITE_NULL)
		fputs("\xe2\x80\x93", f);
	else
		html__verdict(f, db__text(st, 13));
	fprintf(f, "</td><td class=\"n\">%d / %d</td><td class=\"reason\">", sqlite3_column_int(st, 14),
		sqlite3_column_int(st, 15));
	html__esc(f, db__text(st, 16));
	fputs("</td></tr>\n", f);
}

static const struct query_table boot_query = {
	.sql = boot_sql,
	.head_fn = head,
	.row = row,
};

int page_boot__table(struct report_ctx *ctx, FILE *f, int64_t workload_id)
{
	struct boot_of b = { ctx, workload_id };

	return db__table(ctx, f, &boot_query, workload_id, &b);
}

int page_boot__index(struct report_ctx *ctx, FILE *f, const struct workload *ws, size_t n)
{
	int any = 0;

	for (size_t k = 0; k < n; k++) {
		char line[768];
		int r = present__boot_line(ctx->db, ws[k].id, line, sizeof(line));

		if (r < 0)
			return -1;
		if (!r)
			continue;
		if (!any++)
			fputs("<h2 id=\"boot\">Boot latency</h2>\n<p class=\"muted\">Per booted workload, the latest stage "
			      "both sides reached (its page's Boot table has every stage). Under QEMU TCG the time is "
			      "this host's speed at emulating the boot, not the board's.</p>\n<ul>\n",
			      f);
		fprintf(f, "<li><a href=\"%s/index.html#boot\">", ws[k].safe);
		html__esc(f, ws[k].name);
		fputs("</a>: ", f);
		html__esc(f, line);
		fputs("</li>\n", f);
	}
	if (any)
		fputs("</ul>\n", f);
	return 0;
}
