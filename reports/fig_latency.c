/*
 * fig_latency.c - figure 5: latency distributions as people read them: per
 * region and latency metric, the empirical CDF of every event (runs pooled)
 * of emulation and of hardware on one plot, latency on a log axis (us), with
 * p50, p99 and max marked on each curve; below it the comparison table
 * (latency_compare) and what an emulated latency measures.
 */
#include "report_int.h"
#include "common.h"

#include <math.h>
#include <plplot.h>
#include <stdlib.h>
#include <string.h>

#define LAT_FIGS 8     /* (region, metric) plots per workload */
#define LAT_POINTS 400 /* points per curve: evenly in probability, plus the tails */

struct lat_curve {
	double *v; /* sorted, us */
	size_t n;
};

struct lat_fig {
	const char *key, *metric;
	struct lat_curve c[SIDE_COUNT]; /* SIDE_EMU, SIDE_HW */
	double lo, hi;                  /* log10 us */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double at(const struct lat_curve *c, double q)
{
	size_t k = (size_t)ceil(q * (double)c->n);

	return c->v[(k < 1 ? 1 : k > c->n ? c->n : k) - 1];
}

static void draw(const struct figure *fig, void *arg)
{
	const struct lat_fig *lf = arg;
	static const int colour[SIDE_COUNT] = { C_EMU, C_HW };
	static const double mark_q[] = { 0.5, 0.99, 1 };
	static const char *const mark_name[] = { "p50", "p99", "max" };
	struct fig_axes ax = { { 80, 30, 64, 40 }, lf->lo, lf->hi, 0, 1.02, AX_LOG, AX_PLAIN, 1, 1, 1, 1,
			       "latency (us, log scale)", "fraction of events <= latency" };

	(void)fig;
	fig__axes(&ax);
	for (int s = 0; s < SIDE_COUNT; s++) {
		const struct lat_curve *c = &lf->c[s];
		PLFLT x[LAT_POINTS + 2], y[LAT_POINTS + 2];
		int n = 0;

		if (!c->n)
			continue;
		for (int i = 0; i <= LAT_POINTS; i++) {
			/* denser towards the tail: 1 - 10^(-4 i / LAT_POINTS) */
			double q = i == LAT_POINTS ? 1 : 1 - pow(10, -4.0 * i / LAT_POINTS);

			x[n] = log10(fmax(at(c, q), 1e-3));
			y[n++] = q;
		}
		plcol0(colour[s]);
		plwidth(2);
		plline(n, x, y);
		plwidth(1);
		for (int j = 0; j < 3; j++) {
			PLFLT px = log10(fmax(at(c, mark_q[j]), 1e-3)), py = mark_q[j];
			char label[64];

			fig__dots(1, &px, &py, 4);
			snprintf(label, sizeof(label), at(c, mark_q[j]) >= 100 ? "%s %.0f" : "%s %.3g", mark_name[j],
				 at(c, mark_q[j]));
			plschr(0, 0.7);
			/* p50 under its point; p99 and max to the left, one line per side */
			if (j == 0)
				plptex(px, py - 0.06 - 0.05 * s, 1, 0, 0.5, label);
			else
				plptex(px - 0.01 * (lf->hi - lf->lo), (j == 1 ? 0.9 : 0.8) - 0.05 * s, 1, 0, 1, label);
		}
	}
	static const char *const text[] = { "emulation", "hardware" };
	static const int kind[] = { 1, 1 };
	fig__legend(2, text, colour, kind);
}

/* The events of (workload, key, metric) on one side, sorted, in us. */
static int load_side(struct report_ctx *ctx, sqlite3_stmt *st, int64_t wid, const char *key, const char *metric,
		     int emu, struct lat_curve *c)
{
	size_t cap = 0;
	int rc;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, wid);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, metric, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, emu);
	while ((rc = db__step(ctx, st)) == SQLITE_ROW) {
		size_t bytes = (size_t)sqlite3_column_bytes(st, 0), m = bytes / sizeof(double);
		const unsigned char *b = sqlite3_column_blob(st, 0);

		if (c->n + m > cap) {
			cap = 2 * (c->n + m);
			c->v = xrealloc(c->v, cap * sizeof(double));
		}
		for (size_t i = 0; i < m; i++) {
			uint64_t u = 0;
			double d;

			for (int k = 7; k >= 0; k--) /* little-endian (store/latency.c) */
				u = u << 8 | b[i * 8 + (size_t)k];
			memcpy(&d, &u, sizeof(d));
			c->v[c->n++] = d / 1e3;
		}
	}
	if (c->n)
		qsort(c->v, c->n, sizeof(double), cmp_double);
	return rc < 0 ? -1 : 0;
}

static const char lat_keys_sql[] =
	"SELECT DISTINCT region_key, metric FROM latency_quantile WHERE workload_id = ?1"
	" ORDER BY region_key, metric LIMIT 8"; /* LAT_FIGS */
static const char lat_samples_sql[] =
	"SELECT s.samples FROM latency_sample s JOIN run r ON r.id = s.run_id"
	" WHERE r.workload_id = ?1 AND s.region_key = ?2 AND s.metric = ?3 AND r.status = 'ok'"
	" AND (r.platform IN ('qemu-user', 'qemu-system')) = ?4";
static const char lat_compare_sql[] =
	"SELECT emu_platform, hw_platform, stat, emu, hw, factor, ci_lo, ci_hi, verdict, ks_d, ks_p"
	" FROM latency_compare WHERE workload_id = ?1 AND region_key = ?2 AND metric = ?3"
	" ORDER BY emu_platform, hw_platform, CASE stat WHEN 'p50' THEN 0 WHEN 'p99' THEN 1 ELSE 2 END";

static int compare_table(struct report_ctx *ctx, FILE *html, int64_t wid, const char *key, const char *metric)
{
	sqlite3_stmt *st = db__prepare(ctx, lat_compare_sql);
	int rc, rows = 0;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, wid);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, metric, -1, SQLITE_STATIC);
	while ((rc = db__step(ctx, st)) == SQLITE_ROW) {
		if (!rows++)
			fputs("<table><tr><th>emulation / hardware</th><th>stat</th><th>emulation (us)</th>"
			      "<th>hardware (us)</th><th>hardware / emulation [CI]</th><th>verdict</th>"
			      "<th>KS D</th><th>KS p</th></tr>\n", html);
		fputs("<tr><td>", html);
		html__esc(html, db__text(st, 0));
		fputs(" / ", html);
		html__esc(html, db__text(st, 1));
		fprintf(html, "</td><td>%s</td>", db__text(st, 2)); /* p50, p99 or max (schema CHECK) */
		for (int c = 3; c <= 4; c++) {
			fputs("<td class=\"n\">", html);
			html__num(html, db__double(st, c) / 1e3);
			fputs("</td>", html);
		}
		fputs("<td class=\"n\">", html);
		html__ci(html, db__double(st, 5), db__double(st, 6), db__double(st, 7), 0);
		fputs("</td><td>", html);
		html__verdict(html, db__text(st, 8));
		fputs("</td><td class=\"n\">", html);
		html__num(html, db__double(st, 9));
		fputs("</td><td class=\"n\">", html);
		html__pval(html, db__double(st, 10));
		fputs("</td></tr>\n", html);
	}
	if (rows)
		fputs("</table>\n", html);
	sqlite3_finalize(st);
	return rc < 0 ? -1 : 0;
}

int fig_latency__emit(struct report_ctx *ctx, FILE *html, const char *dir, const struct workload *w)
{
	sqlite3_stmt *keys = db__prepare(ctx, lat_keys_sql), *samples = db__prepare(ctx, lat_samples_sql);
	int rc = 0, k = 0, ret = 0;

	if (!keys || !samples) {
		sqlite3_finalize(keys);
		sqlite3_finalize(samples);
		return -1;
	}
	sqlite3_bind_int64(keys, 1, w->id);
	while (!ret && (rc = db__step(ctx, keys)) == SQLITE_ROW) {
		char *key = db__strdup(keys, 0), *metric = db__strdup(keys, 1), *name, *cap;
		struct lat_fig lf = { key, metric, { { NULL, 0 }, { NULL, 0 } }, INFINITY, -INFINITY };
		struct figure fig = { NULL, 900, 420, draw };

		if (!k++)
			fputs("<h3>Latency</h3>\n<p class=\"muted\">Under TCG without <code>-icount</code> a guest's "
			      "timer fires when the host thread gets round to it: emulated interrupt latency measures "
			      "host scheduling and QEMU's main loop, not the modelled hardware. With "
			      "<code>-icount</code> guest time advances with executed instructions, so the latency "
			      "becomes the instructions between deadline and handler at the icount rate: "
			      "deterministic, but still not the hardware's. Hardware / emulation above the tolerance "
			      "band: emulation underestimates the latency.</p>\n", html);
		for (int s = 0; s < SIDE_COUNT && !ret; s++) {
			ret = load_side(ctx, samples, w->id, key, metric, s == SIDE_EMU, &lf.c[s]);
			if (lf.c[s].n) {
				lf.lo = fmin(lf.lo, log10(fmax(lf.c[s].v[0], 1e-3)));
				lf.hi = fmax(lf.hi, log10(fmax(lf.c[s].v[lf.c[s].n - 1], 1e-3)));
			}
		}
		if (!ret && isfinite(lf.lo)) {
			if (lf.hi - lf.lo < 0.3)
				lf.lo -= 0.15, lf.hi += 0.15;
			lf.lo -= 0.03 * (lf.hi - lf.lo);
			lf.hi += 0.05 * (lf.hi - lf.lo);
			name = xasprintf("latency-%d", k);
			fig.name = name;
			cap = xasprintf("Figure 5.%d. %s in region %s: cumulative distribution of every event "
					"(runs pooled; %zu emulated, %zu on hardware), p50, p99 and max marked.",
					k, metric, key, lf.c[SIDE_EMU].n, lf.c[SIDE_HW].n);
			ret = fig__emit(ctx, html, dir, "", &fig, &lf, cap) ||
			      compare_table(ctx, html, w->id, key, metric);
			free(cap);
			free(name);
		}
		for (int s = 0; s < SIDE_COUNT; s++)
			free(lf.c[s].v);
		free(key);
		free(metric);
	}
	sqlite3_finalize(keys);
	sqlite3_finalize(samples);
	return ret || rc < 0 ? -1 : 0;
}
