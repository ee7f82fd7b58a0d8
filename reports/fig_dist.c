/*
 * fig_dist.c - figure 3: the hardware metric of each region across
 * invocations, relative to the region's median, as a box (quartiles,
 * whiskers to Tukey's fences) with every invocation drawn as a point:
 * warm-up invocations (status warmup, or before region_stat.warmup_until)
 * in orange, points beyond the fences in red, so neither is hidden. The 16
 * regions with the largest hardware share are shown.
 */
#include "report_int.h"
#include "common.h"

#include <math.h>
#include <plplot.h>
#include <stdlib.h>
#include <string.h>

#define DIST_MAX 16

struct dist_region {
	long idx;
	double *v;    /* value / median, in invocation order */
	int *warm;
	size_t n;
	double q1, med, q3, wlo, whi;
};

struct dist_fig {
	const struct workload *w;
	struct dist_region r[DIST_MAX];
	size_t n;
	double lo, hi;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double quantile(const double *sorted, size_t n, double q)
{
	double pos = q * (double)(n - 1);
	size_t i = (size_t)pos;
	double frac = pos - (double)i;

	return i + 1 < n ? sorted[i] * (1 - frac) + sorted[i + 1] * frac : sorted[n - 1];
}

static void draw(const struct figure *fig, void *arg)
{
	const struct dist_fig *df = arg;
	double n = (double)df->n;
	(void)fig;
	struct fig_axes ax = { { 250, 24, 64, 40 }, df->lo, df->hi, 0.4, n + 0.6, AX_PLAIN, AX_PLAIN,
			       1, 0, 1, 0, "value / median of the region (hardware, per invocation)", NULL };

	fig__axes(&ax);
	plcol0(C_FG);
	pllsty(2);
	pljoin(1, ax.y0, 1, ax.y1);
	pllsty(1);
	for (size_t k = 0; k < df->n; k++) {
		const struct dist_region *d = &df->r[k];
		PLFLT y = n - (double)k, h = 0.28;
		PLFLT bx[4] = { d->q1, d->q3, d->q3, d->q1 }, by[4] = { y - h, y - h, y + h, y + h };
		plcol0(C_BAND);
		plfill(4, bx, by);
		plcol0(C_FG);
		plline(4, bx, by);
		pljoin(d->q1, y - h, d->q1, y + h);
		plwidth(2);
		pljoin(d->med, y - h, d->med, y + h);
		plwidth(1);
		pljoin(d->wlo, y, d->q1, y);
		pljoin(d->q3, y, d->whi, y);
		pljoin(d->wlo, y - h / 2, d->wlo, y + h / 2);
		pljoin(d->whi, y - h / 2, d->whi, y + h / 2);
		for (size_t j = 0; j < d->n; j++) {
			/* deterministic jitter so repeated values stay visible */
			PLFLT px = d->v[j], py = y + ((double)(j % 9) - 4) * 0.05;
			int out = d->v[j] < d->wlo || d->v[j] > d->whi;
			plcol0(d->warm[j] ? C_WARM : out ? C_UNDER : C_POINT);
			fig__dots(1, &px, &py, 3);
		}
		plcol0(C_FG);
		plschr(0, 0.75);
		plmtex("lv", 0.8, (y - ax.y0) / (ax.y1 - ax.y0), 1.0,
		       fig__text(region_label(&df->w->regions[d->idx]), 34));
	}
	static const char *const text[] = { "invocation", "warm-up", "outlier (beyond 1.5 IQR)" };
	static const int col[] = { C_POINT, C_WARM, C_UNDER };
	static const int kind[] = { 0, 0, 0 };
	fig__legend(3, text, col, kind);
}

static int by_share(const void *a, const void *b, void *w_)
{
	const struct workload *w = w_;
	const struct region_row *x = &w->regions[*(const long *)a], *y = &w->regions[*(const long *)b];
	double sx = isfinite(x->hw_share) ? x->hw_share : -1, sy = isfinite(y->hw_share) ? y->hw_share : -1;

	if (sx != sy)
		return sx > sy ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * One region's values (?1 region, ?2 metric, ?3 its workload), run by run:
 * region_metric is reached by (run, region, metric), its primary key (it has
 * no index on region_id), from the workload's runs.
 */
const char fig_dist__values_sql[] =
	"SELECT rm.value, run.status = 'warmup' OR row_number() OVER (ORDER BY run.rep, run.id) <= "
	"  coalesce((SELECT warmup_until FROM region_stat WHERE region_id = ?1 AND platform = run.platform "
	"            AND metric = ?2), 0) "
	"FROM run JOIN region_metric rm ON rm.run_id = run.id AND rm.region_id = ?1 AND rm.metric = ?2 "
	"WHERE run.workload_id = ?3 AND run.status IN ('ok', 'warmup') "
	"AND run.platform NOT IN ('qemu-user', 'qemu-system') ORDER BY run.rep, run.id";

static int load(struct report_ctx *ctx, struct dist_fig *df)
{
	const struct workload *w = df->w;
	long *order = xmalloc((w->nregions + 1) * sizeof(long));
	sqlite3_stmt *st = db__prepare(ctx, fig_dist__values_sql);
	int rc = 0;

	if (!st) {
		free(order);
		return -1;
	}
	for (size_t i = 0; i < w->nregions; i++)
		order[i] = (long)i;
	qsort_r(order, w->nregions, sizeof(long), by_share, (void *)w);
	df->lo = 1;
	df->hi = 1;
	for (size_t k = 0; k < w->nregions && df->n < DIST_MAX && !rc; k++) {
		struct dist_region *d = &df->r[df->n];
		size_t cap = 16, nok = 0;
		double *sorted;
		memset(d, 0, sizeof(*d));
		d->idx = order[k];
		d->v = xmalloc(cap * sizeof(double));
		d->warm = xmalloc(cap * sizeof(int));
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, w->regions[d->idx].id);
		sqlite3_bind_text(st, 2, w->hw_metric, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, w->id);
		while ((rc = db__step(ctx, st)) == SQLITE_ROW) {
			if (d->n == cap) {
				cap *= 2;
				d->v = xrealloc(d->v, cap * sizeof(double));
				d->warm = xrealloc(d->warm, cap * sizeof(int));
			}
			d->v[d->n] = sqlite3_column_double(st, 0);
			d->warm[d->n++] = sqlite3_column_int(st, 1);
		}
		rc = rc < 0 ? -1 : 0;
		/* quartiles of the steady-state invocations; warm-up drawn but not summarised */
		sorted = xmalloc((d->n + 1) * sizeof(double));
		for (size_t j = 0; j < d->n; j++)
			if (!d->warm[j])
				sorted[nok++] = d->v[j];
		if (nok < 2 || rc) {
			free(sorted);
			free(d->v);
			free(d->warm);
			continue;
		}
		qsort(sorted, nok, sizeof(double), cmp_double);
		d->med = quantile(sorted, nok, 0.5);
		if (!(d->med > 0)) {
			free(sorted);
			free(d->v);
			free(d->warm);
			continue;
		}
		for (size_t j = 0; j < nok; j++)
			sorted[j] /= d->med;
		for (size_t j = 0; j < d->n; j++)
			d->v[j] /= d->med;
		d->q1 = quantile(sorted, nok, 0.25);
		d->q3 = quantile(sorted, nok, 0.75);
		d->med = 1;
		double iqr = d->q3 - d->q1, f0 = d->q1 - 1.5 * iqr, f1 = d->q3 + 1.5 * iqr;
		d->wlo = d->q1;
		d->whi = d->q3;
		for (size_t j = 0; j < nok; j++) {
			if (sorted[j] >= f0 && sorted[j] < d->wlo)
				d->wlo = sorted[j];
			if (sorted[j] <= f1 && sorted[j] > d->whi)
				d->whi = sorted[j];
		}
		for (size_t j = 0; j < d->n; j++) {
			df->lo = fmin(df->lo, d->v[j]);
			df->hi = fmax(df->hi, d->v[j]);
		}
		free(sorted);
		df->n++;
	}
	double pad = 0.06 * (df->hi - df->lo) + 0.01;
	df->lo -= pad;
	df->hi += pad;
	sqlite3_finalize(st);
	free(order);
	return rc;
}

int fig_dist__emit(struct report_ctx *ctx, FILE *html, const char *dir, const struct workload *w)
{
	struct dist_fig df = { .w = w };
	struct figure fig = { "distribution", 900, 560, draw };
	char *cap = NULL;
	int rc = 0;

	if (w->hw_metric && load(ctx, &df))
		rc = -1;
	else if (!df.n)
		fputs("<p class=\"muted\">Figure 3 (distributions across invocations) needs at least two hardware "
		      "invocations with per-region values; this workload has fewer.</p>\n", html);
	else {
		fig.height = 130 + 30 * (int)(df.n < 4 ? 4 : df.n);
		cap = xasprintf("Figure 3. Hardware %s per invocation relative to each region's median "
				"(%zu regions with the largest hardware share). Box: quartiles of steady-state "
				"invocations, whiskers to 1.5 IQR; warm-up invocations and outliers are marked, "
				"not dropped.",
				w->hw_metric, df.n);
		rc = fig__emit(ctx, html, dir, "", &fig, &df, cap);
	}
	for (size_t k = 0; k < df.n; k++) {
		free(df.r[k].v);
		free(df.r[k].warm);
	}
	free(cap);
	return rc;
}
