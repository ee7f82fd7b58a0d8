/*
 * fig_events.c - figure 4: syscalls, traps and exits per region (mean per
 * invocation), emulation next to hardware, one panel per kind. The 14
 * regions with the most events are shown.
 */
#include "report_int.h"
#include "common.h"

#include <math.h>
#include <plplot.h>
#include <stdlib.h>

#define EVENTS_MAX 14

struct events_fig {
	const struct workload *w;
	long idx[EVENTS_MAX];
	size_t n;
};

static double total(const struct region_row *r)
{
	double t = 0;

	for (int s = 0; s < SIDE_COUNT; s++)
		for (int e = 0; e < EV_COUNT; e++)
			if (isfinite(r->ev[s][e]))
				t += r->ev[s][e];
	return t;
}

static int recorded(const struct region_row *r)
{
	for (int s = 0; s < SIDE_COUNT; s++)
		for (int e = 0; e < EV_COUNT; e++)
			if (isfinite(r->ev[s][e]))
				return 1;
	return 0;
}

static void draw(const struct figure *fig, void *arg)
{
	const struct events_fig *ef = arg;
	double n = (double)ef->n;
	static const char *const titles[EV_COUNT] = { METRIC_SYSCALLS, METRIC_TRAPS, METRIC_EXITS };

	for (int e = 0; e < EV_COUNT; e++) {
		double max = 0;
		for (size_t k = 0; k < ef->n; k++)
			for (int s = 0; s < SIDE_COUNT; s++) {
				double v = ef->w->regions[ef->idx[k]].ev[s][e];
				if (isfinite(v))
					max = fmax(max, v);
			}
		if (max <= 0)
			max = 1;
		int left = 250 + e * (195 + 20);
		struct fig_axes ax = { { left, fig->width - left - 195, 64, 40 }, 0, max * 1.08, 0.5, n + 0.5, AX_PLAIN,
				       AX_PLAIN, 1, 0, 1, 0, titles[e], NULL };
		fig__axes(&ax);
		for (size_t k = 0; k < ef->n; k++) {
			const struct region_row *r = &ef->w->regions[ef->idx[k]];
			double y = n - (double)k;
			for (int s = 0; s < SIDE_COUNT; s++) {
				double v = r->ev[s][e], y0 = s == SIDE_EMU ? y : y - 0.36;
				if (!isfinite(v))
					continue;
				PLFLT bx[4] = { 0, v, v, 0 }, by[4] = { y0, y0, y0 + 0.34, y0 + 0.34 };
				plcol0(s == SIDE_EMU ? C_EMU : C_HW);
				plfill(4, bx, by);
			}
			if (e == 0) {
				plcol0(C_FG);
				plschr(0, 0.75);
				plmtex("lv", 0.8, (y - ax.y0) / (ax.y1 - ax.y0), 1.0, fig__text(region_label(r), 30));
				plschr(0, 0.9);
			}
		}
	}
	static const char *const text[] = { "emulation (QEMU)", "hardware" };
	static const int col[] = { C_EMU, C_HW };
	static const int kind[] = { 1, 1 };
	fig__legend(2, text, col, kind);
}

int fig_events__emit(struct report_ctx *ctx, FILE *html, const char *dir, const struct workload *w)
{
	struct events_fig ef = { .w = w };
	struct figure fig = { "events", 900, 560, draw };
	char *cap;
	int rc;

	/* the EVENTS_MAX regions with the largest totals, ties by region order */
	for (size_t i = 0; i < w->nregions; i++) {
		if (!recorded(&w->regions[i]))
			continue;
		size_t k = ef.n < EVENTS_MAX ? ef.n++ : EVENTS_MAX;
		double t = total(&w->regions[i]);
		if (k == EVENTS_MAX) {
			if (!(t > total(&w->regions[ef.idx[EVENTS_MAX - 1]])))
				continue;
			k = EVENTS_MAX - 1;
		}
		while (k > 0 && total(&w->regions[ef.idx[k - 1]]) < t) {
			ef.idx[k] = ef.idx[k - 1];
			k--;
		}
		ef.idx[k] = (long)i;
	}
	if (!ef.n) {
		fputs("<p class=\"muted\">Figure 4 (traps, exits and syscalls per region) needs per-region event "
		      "counts (written by <code>emudiff align</code>); this workload has none.</p>\n", html);
		return 0;
	}
	fig.height = 130 + 34 * (int)(ef.n < 4 ? 4 : ef.n);
	cap = xasprintf("Figure 4. Syscalls, traps and exits per region, mean per invocation, emulation next to "
			"hardware (%zu regions with the most events). No bar: zero, or not recorded on that side.",
			ef.n);
	rc = fig__emit(ctx, html, dir, "", &fig, &ef, cap);
	free(cap);
	return rc;
}
