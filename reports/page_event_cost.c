/*
 * page_event_cost.c - the per-event cost lines of a workload page (table
 * event_cost, written by stats/event_cost.c): per syscall, trap and exit,
 * the instructions emulation attributes to one event next to what one costs
 * on hardware, and the hardware cost per emulated instruction of the event
 * against the workload's average.
 */
#include "report_int.h"
#include "common.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* METRIC_SYSCALLS -> "syscall" (the table names the model's terms) */
static const char *singular(char *buf, size_t n, const char *ev)
{
	size_t len = strlen(ev);

	snprintf(buf, n, "%.*s", (int)(len && ev[len - 1] == 's' ? len - 1 : len), ev);
	return buf;
}

static void event_name(FILE *f, const char *ev)
{
	char buf[64];

	fputs(singular(buf, sizeof(buf), ev), f);
}

/* a cost with its interval, or "not determined (why)" (EVENT_COST_WHY_SQL, as `show costs`) */
static void cost(FILE *f, sqlite3_stmt *st, int col, int why_col)
{
	if (sqlite3_column_type(st, why_col) != SQLITE_NULL) {
		fputs("<b>not determined</b> (", f);
		html__esc(f, db__text(st, why_col));
		fputc(')', f);
		return;
	}
	html__ci(f, db__double(st, col), db__double(st, col + 1), db__double(st, col + 2), 0);
}

static void event_cost_row(FILE *f, sqlite3_stmt *st, const void *arg)
{
	const char *ev = db__text(st, 0), *hw_metric = db__text(st, 4);
	const char *unit = !strcmp(hw_metric, METRIC_TIME_NS) ? "ns" : hw_metric;
	int undetermined = 0;

	(void)arg;
	for (int c = 16; c <= 18; c++)
		undetermined |= sqlite3_column_type(st, c) != SQLITE_NULL;
	fputs("<li><b>", f);
	event_name(f, ev);
	fputs("</b>: emulation ", f);
	cost(f, st, 1, 16);
	fputs(" instructions per ", f);
	event_name(f, ev);
	if (*hw_metric && isfinite(db__double(st, 5))) {
		fputs("; hardware ", f);
		cost(f, st, 5, 17);
		fputc(' ', f);
		html__esc(f, unit);
		fputs(" per ", f);
		event_name(f, ev);
	}
	if (isfinite(db__double(st, 8))) {
		fputs("; QEMU host ", f);
		cost(f, st, 8, 18);
		fputs(" ns", f);
	}
	/* per emulated instruction of the event: only from two determined costs */
	if (isfinite(db__double(st, 11)) && sqlite3_column_type(st, 16) == SQLITE_NULL &&
	    sqlite3_column_type(st, 17) == SQLITE_NULL) {
		fputs("; ratio: ", f);
		html__num(f, db__double(st, 11));
		fputc(' ', f);
		html__esc(f, unit);
		fputs(" per emulated instruction of one ", f);
		event_name(f, ev);
		fputs(" vs ", f);
		html__num(f, db__double(st, 12));
		fputs(" on average (&times;", f);
		html__num(f, db__double(st, 13));
		fputc(')', f);
	}
	if (undetermined) {
		char remedy[128], e[32];

		snprintf(remedy, sizeof(remedy), EVENT_COST_REMEDY, singular(e, sizeof(e), ev));
		fprintf(f, " <span class=\"muted\">(%d regions; %s would determine it)</span></li>\n",
			sqlite3_column_int(st, 14), remedy);
	} else {
		fprintf(f, " <span class=\"muted\">(%d regions)</span></li>\n", sqlite3_column_int(st, 14));
	}
}

static const struct query_table event_cost_query = {
	.sql = "SELECT event, emu_per_event, emu_lo, emu_hi, hw_metric, hw_per_event, hw_lo, hw_hi,"
		" qemu_ns_per_event, qemu_lo, qemu_hi, hw_per_insn, hw_per_insn_avg, ratio, n, terms, "
		EVENT_COST_WHY_SQL("emu_per_event", "emu_lo", "n", "terms") ", "
		EVENT_COST_WHY_SQL("hw_per_event", "hw_lo", "n", "terms") ", "
		EVENT_COST_WHY_SQL("qemu_ns_per_event", "qemu_lo", "n", "terms")
		" FROM event_cost WHERE workload_id = ?1"
		" ORDER BY CASE event WHEN 'syscalls' THEN 0 WHEN 'traps' THEN 1 ELSE 2 END",
	.head = "<h2>Per-event cost</h2>\n<p class=\"muted\">Fitted on the regions: emulated "
		"instructions on the event counts, the hardware cost on the same counts "
		"(plus the other instructions). The hardware cost per event includes its "
		"own instructions. Intervals in brackets. A cost is not determined when the fit "
		"has fewer than 3 regions per term, no interval, a negative estimate or an "
		"interval reaching zero.</p>\n<ul>\n",
	.row = event_cost_row,
	.foot = "</ul>\n",
};

int page_event_cost(struct report_ctx *ctx, FILE *f, int64_t workload_id)
{
	return db__table(ctx, f, &event_cost_query, workload_id, NULL);
}
