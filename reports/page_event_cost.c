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
#include <string.h>

/* METRIC_SYSCALLS -> "syscall" (the table names the model's terms) */
static void event_name(FILE *f, const char *ev)
{
	size_t n = strlen(ev);

	fprintf(f, "%.*s", (int)(n && ev[n - 1] == 's' ? n - 1 : n), ev);
}

int page_event_cost(struct report_ctx *ctx, FILE *f, int64_t workload_id)
{
	sqlite3_stmt *st = db__prepare(ctx,
		"SELECT event, emu_per_event, emu_lo, emu_hi, hw_metric, hw_per_event, hw_lo, hw_hi,"
		" qemu_ns_per_event, qemu_lo, qemu_hi, hw_per_insn, hw_per_insn_avg, ratio, n, terms"
		" FROM event_cost WHERE workload_id = ?1"
		" ORDER BY CASE event WHEN 'syscalls' THEN 0 WHEN 'traps' THEN 1 ELSE 2 END");
	int rc, any = 0;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, workload_id);
	while ((rc = db__step(ctx, st)) == SQLITE_ROW) {
		const char *ev = db__text(st, 0), *hw_metric = db__text(st, 4);
		const char *unit = !strcmp(hw_metric, METRIC_TIME_NS) ? "ns" : hw_metric;

		if (!any++)
			fputs("<h2>Per-event cost</h2>\n<p class=\"muted\">Fitted on the regions: emulated "
			      "instructions on the event counts, the hardware cost on the same counts "
			      "(plus the other instructions). The hardware cost per event includes its "
			      "own instructions. Intervals in brackets.</p>\n<ul>\n",
			      f);
		fputs("<li><b>", f);
		event_name(f, ev);
		fputs("</b>: emulation ", f);
		html__ci(f, db__double(st, 1), db__double(st, 2), db__double(st, 3), 0);
		fputs(" instructions per ", f);
		event_name(f, ev);
		if (*hw_metric && isfinite(db__double(st, 5))) {
			fputs("; hardware ", f);
			html__ci(f, db__double(st, 5), db__double(st, 6), db__double(st, 7), 0);
			fputc(' ', f);
			html__esc(f, unit);
			fputs(" per ", f);
			event_name(f, ev);
		}
		if (isfinite(db__double(st, 8))) {
			fputs("; QEMU host ", f);
			html__ci(f, db__double(st, 8), db__double(st, 9), db__double(st, 10), 0);
			fputs(" ns", f);
		}
		if (isfinite(db__double(st, 11))) {
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
		if (sqlite3_column_int(st, 14) < 3 * sqlite3_column_int(st, 15))
			/* as for the cost model: fewer than 3 regions per term do not pin a slope */
			fprintf(f, " <b>(only %d regions for %d terms: not to be trusted)</b></li>\n",
				sqlite3_column_int(st, 14), sqlite3_column_int(st, 15));
		else
			fprintf(f, " <span class=\"muted\">(%d regions)</span></li>\n", sqlite3_column_int(st, 14));
	}
	if (any)
		fputs("</ul>\n", f);
	sqlite3_finalize(st);
	return rc < 0 ? -1 : 0;
}
