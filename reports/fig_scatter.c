/*
 * fig_scatter.c - figure 1: predicted (instruction) share against measured
 * hardware share per region, log-log, with y = x and the tolerance band
 * [x/t, x*t]; hardware CIs as vertical bars; flagged regions labelled (the
 * 12 largest misses, so labels stay legible on big workloads).
 */
#include "report_int.h"
#include "common.h"

#include <math.h>
#include <plplot.h>
#include <stdlib.h>

#define MAX_LABELS 12

struct scatter {
	const struct workload *w;
	double tolerance;
};

static int usable(const struct region_row *r)
{
	return isfinite(r->insn_share) && isfinite(r->hw_share) && r->insn_share > 0 && r->hw_share > 0;
}

static void draw(const struct figure *fig, void *arg)
{
	const struct scatter *sc = arg;
	const struct workload *w = sc->w;
	double lo = INFINITY, hi = -INFINITY, lt = log10(sc->tolerance);
	size_t nlab = 0;
	long lab[MAX_LABELS];
	(void)fig;

	for (size_t i = 0; i < w->nregions; i++) {
		const struct region_row *r = &w->regions[i];
		if (!usable(r))
			continue;
		lo = fmin(lo, fmin(r->insn_share, r->hw_share));
		hi = fmax(hi, fmax(r->insn_share, r->hw_share));
		if (isfinite(r->hw_lo) && r->hw_lo > 0)
			lo = fmin(lo, r->hw_lo);
		if (isfinite(r->hw_hi))
			hi = fmax(hi, r->hw_hi);
	}
	lo = floor(log10(lo) * 4 - 1) / 4;
	hi = fmin(ceil(log10(hi) * 4 + 1) / 4, 0.05);
	if (hi - lo < 1)
		lo = hi - 1;

	struct fig_axes ax = { { 100, 24, 64, 40 }, lo, hi, lo, hi, AX_LOG_PCT, AX_LOG_PCT, 1, 1, 1, 1,
			       "predicted share (instructions under QEMU)", NULL };
	char ylab[128];
	snprintf(ylab, sizeof(ylab), "measured share (hardware %s)", fig__text(w->hw_metric ? w->hw_metric : METRIC_TIME_NS, 40));
	ax.ylabel = ylab;

	/* tolerance band first, so everything else draws over it */
	PLFLT bx[4] = { lo, hi, hi, lo }, by[4] = { lo + lt, hi + lt, hi - lt, lo - lt };
	fig__viewport(ax.margin[0], ax.margin[1], ax.margin[2], ax.margin[3]);
	plwind(lo, hi, lo, hi);
	plcol0(C_BAND);
	plfill(4, bx, by);
	fig__axes(&ax);
	PLFLT lx[2] = { lo, hi };
	plcol0(C_FG);
	pllsty(2);
	plline(2, lx, lx);
	pllsty(1);

	for (size_t i = 0; i < w->nregions; i++) {
		const struct region_row *r = &w->regions[i];
		PLFLT x, y, y0, y1;
		if (!usable(r))
			continue;
		x = log10(r->insn_share);
		y = log10(r->hw_share);
		plcol0(fig__verdict_colour(r->verdict));
		if (isfinite(r->hw_lo) && isfinite(r->hw_hi) && r->hw_lo > 0) {
			y0 = log10(r->hw_lo);
			y1 = log10(r->hw_hi);
			plwidth(1.2);
			plerry(1, &x, &y0, &y1);
			plwidth(1);
		}
		fig__dots(1, &x, &y, w->nregions > 300 ? 3 : 4.5);
		if (!verdict_flagged(r->verdict))
			continue;
		/* keep the MAX_LABELS largest misses */
		double miss = fabs(log(r->factor));
		size_t k = nlab < MAX_LABELS ? nlab++ : MAX_LABELS;
		if (k == MAX_LABELS) {
			size_t smallest = 0;
			for (size_t j = 1; j < MAX_LABELS; j++)
				if (fabs(log(w->regions[lab[j]].factor)) < fabs(log(w->regions[lab[smallest]].factor)))
					smallest = j;
			if (!(miss > fabs(log(w->regions[lab[smallest]].factor))))
				continue;
			k = smallest;
		}
		lab[k] = (long)i;
	}
	plschr(0, 0.7);
	plcol0(C_FG);
	struct fig_labels placed = { .n = 0 };
	for (size_t j = 0; j < nlab; j++) {
		const struct region_row *r = &w->regions[lab[j]];
		if (!fig__label_fits(&placed, (log10(r->insn_share) - lo) / (hi - lo), (log10(r->hw_share) - lo) / (hi - lo)))
			continue;
		plptex(log10(r->insn_share) + (hi - lo) * 0.012, log10(r->hw_share), 1, 0, 0,
		       fig__text(region_label(r), 28));
	}

	static const char *const text[] = { "underestimates", "overestimates", "agrees", "inconclusive", "y = x" };
	static const int col[] = { C_UNDER, C_OVER, C_AGREE, C_INCONCL, C_FG };
	static const int kind[] = { 0, 0, 0, 0, 2 };
	fig__legend(5, text, col, kind);
}

int fig_scatter__emit(struct report_ctx *ctx, FILE *html, const char *dir, const struct workload *w)
{
	struct scatter sc = { w, ctx->tolerance };
	struct figure fig = { "scatter", 900, 600, draw };
	size_t n = 0;
	char *cap;
	int rc;

	for (size_t i = 0; i < w->nregions; i++)
		n += usable(&w->regions[i]);
	if (!n) {
		fputs("<p class=\"muted\">Figure 1 (predicted against measured share) needs regions with both an "
		      "instruction share and a hardware share; this workload has none.</p>\n", html);
		return 0;
	}
	cap = xasprintf("Figure 1. Predicted (instruction) share against measured hardware share of %zu regions, "
			"log-log. Dashed: y = x; shaded: tolerance band [1/%.3g, %.3g]; bars: hardware CI. "
			"Flagged regions are labelled (at most %d).",
			n, ctx->tolerance, ctx->tolerance, MAX_LABELS);
	rc = fig__emit(ctx, html, dir, "", &fig, &sc, cap);
	free(cap);
	return rc;
}
