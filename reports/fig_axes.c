/*
 * fig_axes.c - what the figures share inside a plot: margins in pixels, axes
 * with readable log ticks (percent, factors), a one-line legend, filled dots
 * and labels that do not overlap.
 */
#include "report_int.h"
#include "common.h"

#include <math.h>
#include <plplot.h>
#include <stdio.h>

/*
 * Filled dots of r pixels as arcs in world coordinates (radii per axis, so they
 * stay round on any scale): vector paths in SVG and PDF, and far cheaper than
 * a text glyph per point.
 */
void fig__dots(PLINT n, const PLFLT *x, const PLFLT *y, double r)
{
	PLFLT vx0, vx1, vy0, vy1, wx0, wx1, wy0, wy1;

	plgvpd(&vx0, &vx1, &vy0, &vy1);
	plgvpw(&wx0, &wx1, &wy0, &wy1);
	double ax = r * (wx1 - wx0) / ((vx1 - vx0) * fig_w), ay = r * (wy1 - wy0) / ((vy1 - vy0) * fig_h);
	for (PLINT i = 0; i < n; i++)
		plarc(x[i], y[i], ax, ay, 0, 360, 0, 1);
}

/* A log-axis tick label: plain number, percent or factor. */
static void tick_label(char *buf, size_t len, double v, int fmt)
{
	if (fmt == AX_LOG_PCT)
		snprintf(buf, len, "%g%%", v * 100);
	else if (fmt == AX_LOG_FACTOR)
		snprintf(buf, len, "%g\xc3\x97", v); /* multiplication sign */
	else
		snprintf(buf, len, "%g", v);
}

/*
 * Ticks of a log axis at 1-2-5 steps (or finer when the range is short), with
 * grid lines: plplot labels only whole decades, too few for a factor axis
 * spanning 0.3x..3x. Positions are log10 world coordinates.
 */
static void log_ticks(int xaxis, double lo, double hi, int fmt, int grid, double o0, double o1)
{
	static const double decade[] = { 1 }, coarse[] = { 1, 2, 5 }, medium[] = { 1, 2, 3, 5 },
			    fine[] = { 1, 1.5, 2, 3, 4, 5, 7 };
	const double *m = coarse;
	size_t nm = 3;

	if (hi - lo < 0.6) {
		m = fine;
		nm = 7;
	} else if (hi - lo < 1.5) {
		m = medium;
		nm = 4;
	} else if (hi - lo > 4) {
		m = decade;
		nm = 1;
	}
	for (int dec = (int)floor(lo) - 1; dec <= (int)ceil(hi); dec++) {
		for (size_t i = 0; i < nm; i++) {
			double v = m[i] * pow(10, dec), p = log10(v);
			char buf[32];
			if (p < lo - 1e-9 || p > hi + 1e-9)
				continue;
			if (grid) {
				plcol0(C_GRID);
				plwidth(0.6);
				if (xaxis)
					pljoin(p, o0, p, o1);
				else
					pljoin(o0, p, o1, p);
				plwidth(1);
			}
			plcol0(C_FG);
			tick_label(buf, sizeof(buf), v, fmt);
			plschr(0, 0.85);
			if (xaxis)
				plmtex("b", 1.6, (p - lo) / (hi - lo), 0.5, buf);
			else
				plmtex("lv", 0.7, (p - lo) / (hi - lo), 1.0, buf);
		}
	}
}

int fig__label_fits(struct fig_labels *l, double fx, double fy)
{
	for (int i = 0; i < l->n; i++)
		if (fabs(l->x[i] - fx) < 0.18 && fabs(l->y[i] - fy) < 0.035)
			return 0;
	if (l->n < (int)(sizeof(l->x) / sizeof(l->x[0]))) {
		l->x[l->n] = fx;
		l->y[l->n++] = fy;
	}
	return 1;
}

void fig__viewport(int left, int right, int bottom, int top)
{
	plvpor((double)left / fig_w, 1 - (double)right / fig_w, (double)bottom / fig_h, 1 - (double)top / fig_h);
}

void fig__axes(const struct fig_axes *ax)
{
	char opt[16];

	fig__viewport(ax->margin[0], ax->margin[1], ax->margin[2], ax->margin[3]);
	plwind(ax->x0, ax->x1, ax->y0, ax->y1);
	plschr(0, 0.85);
	if (ax->xfmt == AX_PLAIN && ax->xgrid) {
		plcol0(C_GRID);
		plwidth(0.6);
		plbox("g", 0, 0, "", 0, 0);
		plwidth(1);
	}
	if (ax->yfmt == AX_PLAIN && ax->ygrid) {
		plcol0(C_GRID);
		plwidth(0.6);
		plbox("", 0, 0, "g", 0, 0);
		plwidth(1);
	}
	if (ax->xfmt != AX_PLAIN && ax->xticks)
		log_ticks(1, ax->x0, ax->x1, ax->xfmt, ax->xgrid, ax->y0, ax->y1);
	if (ax->yfmt != AX_PLAIN && ax->yticks)
		log_ticks(0, ax->y0, ax->y1, ax->yfmt, ax->ygrid, ax->x0, ax->x1);
	plcol0(C_FG);
	plwidth(1);
	snprintf(opt, sizeof(opt), "bc%s", ax->xfmt == AX_PLAIN && ax->xticks ? "nst" : "");
	char yopt[16];
	snprintf(yopt, sizeof(yopt), "bc%s", ax->yfmt == AX_PLAIN && ax->yticks ? "nstv" : "");
	plbox(opt, 0, 0, yopt, 0, 0);
	plschr(0, 0.9);
	if (ax->xlabel)
		plmtex("b", 3.2, 0.5, 0.5, ax->xlabel);
	if (ax->ylabel)
		plmtex("l", 5.6, 0.5, 0.5, ax->ylabel);
}

/* Approximate width in mm of text at the current character height: plplot does
 * not export plstrl(); DejaVu Sans averages about 0.8 of the character height per character. */
static double text_mm(const char *s)
{
	PLFLT def, ht;
	size_t chars = 0;

	plgchr(&def, &ht);
	for (; *s; s++)
		chars += ((unsigned char)*s & 0xc0) != 0x80;
	return (double)chars * ht * 0.8;
}

/* A one-line legend centred above the plot area. */
void fig__legend(int n, const char *const *text, const int *colours, const int *kinds)
{
	PLFLT xmin, xmax, ymin, ymax, x = 0, total = 0;

	plgspa(&xmin, &xmax, &ymin, &ymax);
	double mm = xmax - xmin, ydev = 1 - 14.0 / fig_h;
	plvpor(0, 1, 0, 1);
	plwind(0, 1, 0, 1);
	plschr(0, 0.85);
	for (int i = 0; i < n; i++)
		total += (text_mm(text[i]) + 9) / mm;
	x = fmax(0.01, (1 - total) / 2);
	for (int i = 0; i < n; i++) {
		PLFLT sx[2] = { x, x + 5 / mm }, sy[2] = { ydev, ydev }, cx = x + 2.5 / mm;
		plcol0(colours[i]);
		if (kinds[i] == 0) {
			fig__dots(1, &cx, &sy[0], 4.5);
		} else {
			pllsty(kinds[i] == 2 ? 2 : 1);
			plwidth(kinds[i] == 1 ? 3 : 1);
			plline(2, sx, sy);
			pllsty(1);
			plwidth(1);
		}
		plcol0(C_FG);
		plptex(x + 6.5 / mm, ydev, 1, 0, 0, text[i]);
		x += (text_mm(text[i]) + 9) / mm;
	}
}
