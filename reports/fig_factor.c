/*
 * fig_factor.c - figure 2: misprediction factor per region with its CI,
 * sorted. Up to 30 regions it is a forest plot with the region names; beyond
 * that a rank plot (names would not fit), flagged extremes labelled.
 */
#include "report_int.h"
#include "common.h"

#include <math.h>
#include <plplot.h>
#include <stdlib.h>

#define FOREST_MAX 30

struct factor_fig {
	const struct workload *w;
	double tolerance;
	long *order;
	size_t n;
};

static const struct workload *sort_w;

static int by_factor(const void *a, const void *b)
{
	const struct region_row *x = &sort_w->regions[*(const long *)a], *y = &sort_w->regions[*(const long *)b];

	if (x->factor != y->factor)
		return x->factor < y->factor ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static void draw(const struct figure *fig, void *arg)
{
	const struct factor_fig *ff = arg;
	const struct region_row *rs = ff->w->regions;
	int forest = ff->n <= FOREST_MAX;
	double lo = log10(1 / ff->tolerance), hi = log10(ff->tolerance), lt = hi;
	(void)fig;

	for (size_t k = 0; k < ff->n; k++) {
		const struct region_row *r = &rs[ff->order[k]];
		lo = fmin(lo, log10(r->factor));
		hi = fmax(hi, log10(r->factor));
		if (isfinite(r->f_lo) && r->f_lo > 0)
			lo = fmin(lo, log10(r->f_lo));
		if (isfinite(r->f_hi) && r->f_hi > 0)
			hi = fmax(hi, log10(r->f_hi));
	}
	lo -= 0.08 * (hi - lo);
	hi += 0.08 * (hi - lo);

	/* forest: factor on x, one row per region (first at the top); rank plot: factor on y */
	double n = (double)ff->n;
	struct fig_axes ax;
	if (forest)
		ax = (struct fig_axes){ { 250, 24, 64, 40 }, lo, hi, 0.4, n + 0.6, AX_LOG_FACTOR, AX_PLAIN,
					1, 0, 1, 0, "misprediction factor (hardware share / predicted share)", NULL };
	else
		ax = (struct fig_axes){ { 100, 24, 64, 40 }, 0, n + 1, lo, hi, AX_PLAIN, AX_LOG_FACTOR,
					1, 1, 0, 1, "regions, sorted by factor", "misprediction factor" };
	fig__viewport(ax.margin[0], ax.margin[1], ax.margin[2], ax.margin[3]);
	plwind(ax.x0, ax.x1, ax.y0, ax.y1);
	plcol0(C_BAND);
	if (forest) {
		PLFLT bx[4] = { -lt, lt, lt, -lt }, by[4] = { ax.y0, ax.y0, ax.y1, ax.y1 };
		plfill(4, bx, by);
	} else {
		PLFLT bx[4] = { ax.x0, ax.x1, ax.x1, ax.x0 }, by[4] = { -lt, -lt, lt, lt };
		plfill(4, bx, by);
	}
	fig__axes(&ax);
	plcol0(C_FG);
	pllsty(2);
	if (forest)
		pljoin(0, ax.y0, 0, ax.y1);
	else
		pljoin(ax.x0, 0, ax.x1, 0);
	pllsty(1);

	for (size_t k = 0; k < ff->n; k++) {
		const struct region_row *r = &rs[ff->order[k]];
		PLFLT pos = forest ? n - (double)k : (double)k + 1, v = log10(r->factor);
		plcol0(fig__verdict_colour(r->verdict));
		if (isfinite(r->f_lo) && isfinite(r->f_hi) && r->f_lo > 0) {
			PLFLT a = log10(r->f_lo), b = log10(r->f_hi);
			plwidth(forest ? 2 : 1);
			if (forest)
				plerrx(1, &a, &b, &pos);
			else
				plerry(1, &pos, &a, &b);
			plwidth(1);
		}
		if (forest)
			fig__dots(1, &v, &pos, 5);
		else
			fig__dots(1, &pos, &v, n > 300 ? 2 : 3);
		if (forest) {
			plcol0(C_FG);
			plschr(0, 0.75);
			plmtex("lv", 0.8, (pos - ax.y0) / (ax.y1 - ax.y0), 1.0, fig__text(region_label(r), 34));
		}
	}
	if (!forest) {
		/* name the 5 most extreme flagged regions at each end */
		struct fig_labels placed = { .n = 0 };
		plschr(0, 0.65);
		plcol0(C_FG);
		for (size_t k = 0; k < ff->n; k++) {
			const struct region_row *r = &rs[ff->order[k]];
			if ((k >= 5 && k + 5 < ff->n) || !verdict_flagged(r->verdict) ||
			    !fig__label_fits(&placed, ((double)k + 1) / (n + 1), (log10(r->factor) - lo) / (hi - lo)))
				continue;
			plptex((double)k + 1 + (k < 5 ? 0.012 : -0.012) * n, log10(r->factor), 1, 0, k < 5 ? 0 : 1,
			       fig__text(region_label(r), 24));
		}
	}
	static const char *const text[] = { "underestimates", "overestimates", "agrees", "inconclusive" };
	static const int col[] = { C_UNDER, C_OVER, C_AGREE, C_INCONCL };
	static const int kind[] = { 0, 0, 0, 0 };
	fig__legend(4, text, col, kind);
}

int fig_factor__emit(struct report_ctx *ctx, FILE *html, const char *dir, const struct workload *w)
{
	struct factor_fig ff = { w, ctx->tolerance, xmalloc((w->nregions + 1) * sizeof(long)), 0 };
	struct figure fig = { "factor", 900, 560, draw };
	char *cap;
	int rc = 0;

	for (size_t i = 0; i < w->nregions; i++)
		if (isfinite(w->regions[i].factor) && w->regions[i].factor > 0)
			ff.order[ff.n++] = (long)i;
	if (!ff.n) {
		fputs("<p class=\"muted\">Figure 2 (misprediction factors) needs findings; run "
		      "<code>emudiff stats</code> first.</p>\n", html);
		goto out;
	}
	sort_w = w;
	qsort(ff.order, ff.n, sizeof(long), by_factor);
	if (ff.n <= FOREST_MAX)
		fig.height = 130 + 26 * (int)(ff.n < 4 ? 4 : ff.n);
	cap = xasprintf("Figure 2. Misprediction factor of the primary finding per region with its CI, sorted "
			"(%zu regions). Shaded: agreement band [1/%.3g, %.3g]; above 1 hardware spends more than "
			"emulation predicts.",
			ff.n, ctx->tolerance, ctx->tolerance);
	rc = fig__emit(ctx, html, dir, "", &fig, &ff, cap);
	free(cap);
out:
	free(ff.order);
	return rc;
}
