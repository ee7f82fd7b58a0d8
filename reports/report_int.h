/*
 * report_int.h - what the files of reports/ share (not a public header; the
 * library's interface is report.h).
 */
#ifndef EMUDIFF_REPORT_INT_H
#define EMUDIFF_REPORT_INT_H

#include "report.h"

#include <plplot.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

/* Statements on region_metric, listed in report__region_metric_sql (report.h). */
extern const char page_workload__phase_symbols_sql[], fig_dist__values_sql[];

enum side { SIDE_EMU, SIDE_HW, SIDE_COUNT };
/* Per-region event totals that align/ writes (region_metric names). */
enum { EV_SYSCALLS, EV_TRAPS, EV_EXITS, EV_COUNT };
extern const char *const event_metric_names[EV_COUNT];

struct region_row {
	int64_t id;
	char *key, *name;                 /* name may be NULL */
	/* Shares: from the findings when stats/ wrote them, else from run means. NAN: unknown. */
	double insn_share, qtime_share, hw_share, hw_lo, hw_hi;
	/* The region's primary finding (see workload_view.c); verdict NULL when it has none. */
	double factor, f_lo, f_hi, p_adj;
	char *verdict, *reason, *predictor, *baseline;
	double ev[SIDE_COUNT][EV_COUNT];  /* mean per ok run, NAN when never recorded */
};

struct run_counts {
	int ok, failed, timeout, warmup;
};

struct workload {
	int64_t id;
	char *name, *arch, *safe, *elf_sha256, *argv;
	char *hw_metric;                  /* hardware metric judged (findings), NULL: none */
	struct region_row *regions;       /* ordered by region id */
	/* ncompared: regions with a primary finding (PRIMARY_FINDING_SQL); nflagged: of them flagged */
	size_t nregions, ncompared, nfindings, nflagged_findings, nflagged, nunder, nover;
	long worst;                       /* region with the largest |log factor| among flagged, else among all; -1 */
	struct run_counts runs[SIDE_COUNT];
	char *env[SIDE_COUNT];            /* machine / kernel / CPU / QEMU versions, "" when unknown */
	double pearson, spearman, kendall; /* agreement of the insns predictor, NAN when absent */
};

struct report_ctx {
	sqlite3 *db;
	const char *dbname;               /* for messages */
	const struct report_opts *o;
	double tolerance;                 /* meta 'tolerance' or 1.25 */
	char pdf_date[15];                /* YYYYMMDDhhmmss written into PDFs (determinism) */
	int64_t only_id;                  /* --workload: its id, else 0 */
	const char *ab_metric_sql;        /* SQL for an A/B row's metric label (schema-dependent) */
	struct report_summary sum;
};

/* out.c: files written atomically (temporary name, then rename). */
struct out {
	FILE *f;
	char *path, *tmp;
};
int out__open(struct out *o, const char *path);
int out__close(struct out *o, struct report_ctx *ctx); /* flush, check, rename; -1 on error */
void out__abort(struct out *o);
int mkdir_p(const char *dir);
char *safe_file_name(const char *name, int64_t id);
char *file_slurp(const char *path, size_t *len);

/* query.c: statements with errors that name the store. */
sqlite3_stmt *db__prepare(struct report_ctx *ctx, const char *sql);
int db__step(struct report_ctx *ctx, sqlite3_stmt *st); /* SQLITE_ROW, SQLITE_DONE or -1 (printed) */
double db__double(sqlite3_stmt *st, int col);          /* NAN for NULL */
char *db__strdup(sqlite3_stmt *st, int col);           /* NULL for NULL */
const char *db__text(sqlite3_stmt *st, int col);       /* "" for NULL */
/* A table of a query's rows: sql's ?1 bound to the id (left NULL when id <= 0);
 * before the first row the head (head_fn's, else head's text), each row by row(),
 * after the last the foot (else "</tbody>\n</table>\n"); nothing without rows.
 * 0, or -1 when the query failed (printed). */
struct query_table {
	const char *sql;
	const char *head;
	void (*head_fn)(FILE *f, sqlite3_stmt *first, const void *arg);
	void (*row)(FILE *f, sqlite3_stmt *st, const void *arg);
	const char *foot;
};
int db__table(struct report_ctx *ctx, FILE *f, const struct query_table *t, int64_t id, const void *arg);

/* html.c */
/* the index's first section: suite-level findings (page_suite.c) */
int page_suite__section(struct report_ctx *ctx, FILE *f);
void html__esc(FILE *f, const char *s);
void html__head(FILE *f, const char *title, const char *root);
void html__foot(FILE *f, const struct report_ctx *ctx);
void html__num(FILE *f, double v);                      /* 3 significant digits or an en dash */
void html__pct(FILE *f, double v);                      /* share as percent */
void html__pval(FILE *f, double v);                     /* p-value: 3 decimals or "<0.001" */
void html__ci(FILE *f, double v, double lo, double hi, int pct); /* "v [lo, hi]" */
void html__verdict(FILE *f, const char *verdict);       /* coloured badge */
void html__sortkey(FILE *f, double v);                   /* data-v attribute for sorting */
void html__num_cell(FILE *f, double sortkey);           /* opens <td class="n" data-v=...> */
int verdict_flagged(const char *verdict);

/* workload_view.c */
int model__workloads(struct report_ctx *ctx, struct workload **out, size_t *n);
int model__load(struct report_ctx *ctx, struct workload *w);
void model__free(struct workload *w);
const char *region_label(const struct region_row *r);

/* fig.c: plplot figures. draw() plots into the current stream. */
struct figure {
	const char *name;                 /* file base name, e.g. "scatter" */
	int width, height;                /* pixels (PNG) = points (SVG, PDF) */
	void (*draw)(const struct figure *fig, void *arg);
};
/* Render fig in dir (SVG, PNG, PDF when asked) and write the inline SVG into html. */
int fig__emit(struct report_ctx *ctx, FILE *html, const char *dir, const char *rel,
	      const struct figure *fig, void *arg, const char *caption);
/* plplot escapes '#': text for plptex/plmtex with '#' doubled, at most max chars. */
const char *fig__text(const char *s, size_t max);
void fig__palette(void);
enum axis_fmt { AX_PLAIN, AX_LOG, AX_LOG_PCT, AX_LOG_FACTOR };
struct fig_axes {
	int margin[4];                    /* pixels: left, right, bottom, top */
	double x0, x1, y0, y1;            /* world coordinates (log10 on log axes) */
	int xfmt, yfmt;                   /* enum axis_fmt */
	int xticks, yticks, xgrid, ygrid; /* numbered ticks, grid lines */
	const char *xlabel, *ylabel;      /* plplot text (fig__text for user strings) */
};
void fig__axes(const struct fig_axes *ax);
void fig__viewport(int left, int right, int bottom, int top); /* margins in pixels */
extern int fig_w, fig_h;          /* size of the figure being drawn (fig.c) */
/* Labels that would overlap one already placed are skipped (positions 0..1 in the viewport). */
struct fig_labels {
	double x[64], y[64];
	int n;
};
int fig__label_fits(struct fig_labels *l, double fx, double fy);
void fig__dots(PLINT n, const PLFLT *x, const PLFLT *y, double r); /* filled dots, r in pixels */
/* Legend above the plot; kinds: 0 symbol, 1 thick line, 2 dashed line. */
void fig__legend(int n, const char *const *text, const int *colours, const int *kinds);
enum fig_colour { C_BG, C_FG, C_GRID, C_UNDER, C_OVER, C_AGREE, C_INCONCL, C_EMU, C_HW, C_BAND, C_WARM, C_POINT };
int fig__verdict_colour(const char *verdict);

/* fig_*.c: the figures of a workload page, and the A/B figure. */
int fig_scatter__emit(struct report_ctx *ctx, FILE *html, const char *dir, const struct workload *w);
int fig_factor__emit(struct report_ctx *ctx, FILE *html, const char *dir, const struct workload *w);
int fig_dist__emit(struct report_ctx *ctx, FILE *html, const char *dir, const struct workload *w);
int fig_events__emit(struct report_ctx *ctx, FILE *html, const char *dir, const struct workload *w);
/* Latency CDFs per region and metric with the comparison table (nothing without latency samples). */
int fig_latency__emit(struct report_ctx *ctx, FILE *html, const char *dir, const struct workload *w);
int fig_ab__emit(struct report_ctx *ctx, FILE *html, const char *dir, const char *rel);

/* export.c: data/ exports. */
int export__all(struct report_ctx *ctx, struct workload *ws, size_t n);

/* page_*.c */
int page_workload__write(struct report_ctx *ctx, struct workload *w);
int page_index__write(struct report_ctx *ctx, struct workload *ws, size_t n);
/* A/B table rows (ab_compare), flips first; workload_id > 0 restricts to pairs with it. */
int page_ab_table(struct report_ctx *ctx, FILE *f, int64_t workload_id, const char *root);
/* Cost-model terms of a workload, or of the study (workload_id 0). */
int page_cost_model(struct report_ctx *ctx, FILE *f, int64_t workload_id);
/* Per-event cost lines of a workload (event_cost), nothing when it has none. */
int page_event_cost(struct report_ctx *ctx, FILE *f, int64_t workload_id);
/* a server workload's driver metrics, emulation against hardware (page_servers.c) */
int page_servers__table(struct report_ctx *ctx, FILE *f, int64_t workload_id);
/* a booted workload's boot stages, emulation against hardware (page_boot.c);
 * on the index, one line per booted workload */
int page_boot__table(struct report_ctx *ctx, FILE *f, int64_t workload_id);
int page_boot__index(struct report_ctx *ctx, FILE *f, const struct workload *ws, size_t n);
/* The threads section of a workload (thread_share, thread_imbalance), nothing for one thread. */
int page_threads(struct report_ctx *ctx, FILE *f, int64_t workload_id);

#endif
