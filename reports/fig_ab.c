/*
 * fig_ab.c - figure 5: for each A/B comparison, the speed ratio A/B with its
 * CI under emulation and on hardware. A conclusion flip (the two CIs on
 * opposite sides of 1) is labelled in red. Flips first, at most 30 rows.
 */
#include "report_int.h"
#include "common.h"

#include <math.h>
#include <plplot.h>
#include <stdlib.h>
#include <string.h>

#define AB_MAX 30

struct ab_row {
	char *label;
	int flip;
	double r[SIDE_COUNT][3]; /* ratio, lo, hi */
};

struct ab_fig {
	struct ab_row rows[AB_MAX];
	size_t n;
	double lo, hi;
};

static void draw(const struct figure *fig, void *arg)
{
	const struct ab_fig *af = arg;
	double n = (double)af->n;
	(void)fig;
	struct fig_axes ax = { { 330, 24, 64, 40 }, af->lo, af->hi, 0.4, n + 0.6, AX_LOG_FACTOR, AX_PLAIN,
			       1, 0, 1, 0, "speed ratio A / B (time or cost of A over B)", NULL };

	fig__axes(&ax);
	plcol0(C_FG);
	pllsty(2);
	pljoin(0, ax.y0, 0, ax.y1);
	pllsty(1);
	for (size_t k = 0; k < af->n; k++) {
		const struct ab_row *row = &af->rows[k];
		double y = n - (double)k;
		for (int s = 0; s < SIDE_COUNT; s++) {
			PLFLT py = y + (s == SIDE_EMU ? 0.15 : -0.15), v = log10(row->r[s][0]);
			if (!(row->r[s][0] > 0))
				continue;
			plcol0(s == SIDE_EMU ? C_EMU : C_HW);
			if (row->r[s][1] > 0 && row->r[s][2] > 0) {
				PLFLT a = log10(row->r[s][1]), b = log10(row->r[s][2]);
				plwidth(2.5);
				plerrx(1, &a, &b, &py);
				plwidth(1);
			}
			fig__dots(1, &v, &py, 5);
		}
		plcol0(row->flip ? C_UNDER : C_FG);
		plschr(0, 0.75);
		plmtex("lv", 0.8, (y - ax.y0) / (ax.y1 - ax.y0), 1.0, fig__text(row->label, 44));
	}
	static const char *const text[] = { "emulation (QEMU)", "hardware", "flip: label in red" };
	static const int col[] = { C_EMU, C_HW, C_UNDER };
	static const int kind[] = { 1, 1, 0 };
	fig__legend(3, text, col, kind);
}

int fig_ab__emit(struct report_ctx *ctx, FILE *html, const char *dir, const char *rel)
{
	struct ab_fig af = { .lo = -0.1, .hi = 0.1 };
	struct figure fig = { "ab", 900, 560, draw };
	char *sql = xasprintf(
		"SELECT ab.name, a.name, b.name, ab.region_key, %s, ab.verdict = 'flip', "
		"ab.emu_ratio, ab.emu_lo, ab.emu_hi, ab.hw_ratio, ab.hw_lo, ab.hw_hi "
		"FROM ab_compare ab JOIN workload a ON a.id = ab.a_workload_id JOIN workload b ON b.id = ab.b_workload_id "
		"WHERE (?1 IS NULL OR ?1 IN (ab.a_workload_id, ab.b_workload_id)) AND ab.region_key IS NULL "
		"ORDER BY ab.verdict = 'flip' DESC, ab.name, 5, ab.id",
		ctx->ab_metric_sql);
	sqlite3_stmt *st = db__prepare(ctx, sql);
	char *cap = NULL;
	int rc;

	free(sql);
	if (!st)
		return -1;
	if (ctx->only_id)
		sqlite3_bind_int64(st, 1, ctx->only_id);
	while ((rc = db__step(ctx, st)) == SQLITE_ROW && af.n < AB_MAX) {
		struct ab_row *row = &af.rows[af.n++];
		/* the table next to the figure names A and B */
		row->label = xasprintf("%s (%s%s%s)", db__text(st, 0), db__text(st, 4),
				       sqlite3_column_type(st, 3) == SQLITE_NULL ? "" : ", ", db__text(st, 3));
		row->flip = sqlite3_column_int(st, 5);
		for (int s = 0; s < SIDE_COUNT; s++)
			for (int j = 0; j < 3; j++) {
				row->r[s][j] = db__double(st, 6 + 3 * s + j);
				if (row->r[s][j] > 0) {
					af.lo = fmin(af.lo, log10(row->r[s][j]));
					af.hi = fmax(af.hi, log10(row->r[s][j]));
				}
			}
	}
	sqlite3_finalize(st);
	if (rc < 0) {
		rc = -1;
		goto out;
	}
	rc = 0;
	if (!af.n)
		goto out;
	double pad = 0.08 * (af.hi - af.lo);
	af.lo -= pad;
	af.hi += pad;
	fig.height = 130 + 32 * (int)(af.n < 4 ? 4 : af.n);
	cap = xasprintf("Figure 5. Speed ratio A/B with its CI under emulation and on hardware for %zu "
			"comparisons%s; a conclusion flips when the two CIs lie on opposite sides of 1.",
			af.n, af.n == AB_MAX ? " (flips first, the table lists all)" : "");
	rc = fig__emit(ctx, html, dir, rel, &fig, &af, cap);
out:
	for (size_t k = 0; k < af.n; k++)
		free(af.rows[k].label);
	free(cap);
	return rc;
}
