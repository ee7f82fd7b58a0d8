/*
 * server.c - client-server workloads (docs/servers.md): for every workload
 * whose runs hold the driver's metrics, per metric and pair of an emulation
 * and a hardware platform, the mean over the ok runs of each side with its
 * BCa bootstrap interval, and ratio = emulation / hardware with its interval
 * (table server_compare).
 *
 * Runs are the units. Each side's runs are resampled on their own, with one
 * plan per side, metric and platform drawn from the user's seed and the
 * workload's name, so that a side's interval does not depend on the side it
 * is compared with; the side's mean and the ratio are computed on the same
 * resamples (stats__mean_ci_plan, stats__ratio_ci_plans). The verdict is the
 * tolerance band's on the interval, as for latency (no p-value):
 * 'underestimates' when emulation's value lies below hardware's (fewer
 * requests per second, shorter latencies), 'overestimates' above it.
 * Identical values in every run on both sides (one worker on each, no
 * errors on either) give a zero-width interval: not informative.
 */
#include "engine.h"
#include "common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The driver's metrics compared, in the order every output lists them
 * (server_compare.ord). `requests` is left out: a budget, or throughput again. */
static const char *const server_metric[] = {
	METRIC_REQUESTS_PER_S, METRIC_REQ_P50_NS, METRIC_REQ_P90_NS,       METRIC_REQ_P99_NS, METRIC_REQ_ERRORS,
	METRIC_READY_NS,       METRIC_INSNS_PER_REQ, METRIC_SYSCALLS_PER_REQ, METRIC_WORKERS,
};
#define N_SERVER_METRICS (sizeof(server_metric) / sizeof(server_metric[0]))

struct vals {
	double *v;
	size_t n, cap;
};

/* One workload's values of one metric, per platform (ok runs, in run order). */
struct family {
	int64_t wid;
	char *name;
	int metric; /* index into server_metric; -1: none yet */
	struct vals p[PLAT_COUNT];
};

/* One row of server_compare. */
struct srow {
	size_t ne, nh;
	double emu, emu_lo, emu_hi, hw, hw_lo, hw_hi, ratio, lo, hi;
	const char *verdict, *not_informative;
	char reason[640];
};

static void vals__push(struct vals *s, double x)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 8;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = x;
}

static void family__reset(struct family *f)
{
	for (int p = 0; p < PLAT_COUNT; p++) {
		free(f->p[p].v);
		memset(&f->p[p], 0, sizeof(f->p[p]));
	}
	free(f->name);
	f->name = NULL;
	f->metric = -1;
}

static int constant(const struct vals *s)
{
	for (size_t i = 1; i < s->n; i++)
		if (s->v[i] != s->v[0])
			return 0;
	return s->n > 0;
}

static double mean_of(const struct vals *s)
{
	double t = 0;

	for (size_t i = 0; i < s->n; i++)
		t += s->v[i];
	return s->n ? t / (double)s->n : NAN;
}

static const char *num(char *buf, size_t n, double v)
{
	num__fmt(buf, n, v);
	return buf;
}

static void runs_text(char *buf, size_t n, const struct srow *r)
{
	if (r->ne == r->nh)
		snprintf(buf, n, "%zu runs each", r->ne);
	else
		snprintf(buf, n, "%zu emulation and %zu hardware runs", r->ne, r->nh);
}

/* The reason of a row whose numbers and verdict are set. */
static void reason(struct srow *r, const char *metric, int pe, int ph, double t)
{
	char a[9][32], runs[64];
	const char *head;
	size_t len;

	runs_text(runs, sizeof(runs), r);
	if (r->not_informative) {
		snprintf(r->reason, sizeof(r->reason),
			 "not informative: %s is %s in every %s run and %s in every %s run, a zero-width interval; %s",
			 metric, num(a[0], 32, r->emu), platform__name(pe), num(a[1], 32, r->hw), platform__name(ph),
			 runs);
		return;
	}
	if (r->ne < 2 || r->nh < 2) {
		snprintf(r->reason, sizeof(r->reason), "needs at least 2 ok runs per side: %s", runs);
		return;
	}
	if (!isfinite(r->ratio)) {
		snprintf(r->reason, sizeof(r->reason), "%s is 0 in every %s run: no ratio; %s", metric,
			 platform__name(ph), runs);
		return;
	}
	head = !strcmp(r->verdict, "underestimates")  ? "emulation underestimates"
	       : !strcmp(r->verdict, "overestimates") ? "emulation overestimates"
	       : !strcmp(r->verdict, "agrees")	      ? "emulation agrees within the tolerance on"
						      : "inconclusive on";
	snprintf(r->reason, sizeof(r->reason),
		 "%s %s: %s [%s, %s] under %s vs %s [%s, %s] on %s, emulation / hardware %sx [%s, %s]", head, metric,
		 num(a[0], 32, r->emu), num(a[1], 32, r->emu_lo), num(a[2], 32, r->emu_hi), platform__name(pe),
		 num(a[3], 32, r->hw), num(a[4], 32, r->hw_lo), num(a[5], 32, r->hw_hi), platform__name(ph),
		 num(a[6], 32, r->ratio), num(a[7], 32, r->lo), num(a[8], 32, r->hi));
	len = strlen(r->reason);
	/* an inconclusive row's interval reaches into the band without lying in it */
	if (!strcmp(r->verdict, "inconclusive") && len < sizeof(r->reason))
		len += (size_t)snprintf(r->reason + len, sizeof(r->reason) - len, " reaches into the band [%s, %s]",
					num(a[0], 32, 1 / t), num(a[1], 32, t));
	if (len < sizeof(r->reason))
		snprintf(r->reason + len, sizeof(r->reason) - len, "; %s", runs);
}

/* The plan of platform p's runs of f: stream "server:<metric>:<platform>". */
static int side_plan(const struct engine *e, const struct family *f, int p, struct boot_plan *plan)
{
	char stream[96];

	snprintf(stream, sizeof(stream), "server:%s:%s", server_metric[f->metric], platform__name(p));
	return boot_plan__init(plan, e->o->resamples, f->p[p].n, engine__seed(e->o->seed, f->name, stream));
}

/* Both sides' means and intervals and their ratio, on the sides' plans. */
static void intervals(const struct engine *e, const struct family *f, int pe, int ph, struct srow *r)
{
	const struct vals *x = &f->p[pe], *y = &f->p[ph];
	struct boot_plan px, py;
	struct boot_ci c;
	double m;

	if (side_plan(e, f, pe, &px))
		return;
	if (side_plan(e, f, ph, &py)) {
		boot_plan__free(&px);
		return;
	}
	if (!stats__mean_ci_plan(x->v, x->n, &px, e->o->confidence, &m, &c))
		r->emu_lo = c.bca_lo, r->emu_hi = c.bca_hi;
	if (!stats__mean_ci_plan(y->v, y->n, &py, e->o->confidence, &m, &c))
		r->hw_lo = c.bca_lo, r->hw_hi = c.bca_hi;
	if (!stats__ratio_ci_plans(x->v, x->n, y->v, y->n, &px, &py, e->o->confidence, &m, &c))
		r->lo = c.bca_lo, r->hi = c.bca_hi;
	boot_plan__free(&px);
	boot_plan__free(&py);
}

static void compute(const struct engine *e, const struct family *f, int pe, int ph, struct srow *r)
{
	const struct vals *x = &f->p[pe], *y = &f->p[ph];

	memset(r, 0, sizeof(*r));
	r->ne = x->n;
	r->nh = y->n;
	r->emu = mean_of(x);
	r->hw = mean_of(y);
	r->ratio = r->hw != 0 ? r->emu / r->hw : NAN;
	r->emu_lo = r->emu_hi = r->hw_lo = r->hw_hi = r->lo = r->hi = NAN;
	r->verdict = "inconclusive";
	if (r->ne < 2 || r->nh < 2)
		return;
	if (constant(x) && constant(y)) {
		r->not_informative = "zero_width";
		r->emu_lo = r->emu_hi = r->emu;
		r->hw_lo = r->hw_hi = r->hw;
		r->lo = r->hi = r->ratio;
		return;
	}
	intervals(e, f, pe, ph, r);
	/* the band is judged on hardware / emulation, findings' direction */
	if (isfinite(r->ratio) && r->lo > 0)
		r->verdict = stats__band_verdict(1 / r->hi, 1 / r->lo, e->o->tolerance, 1);
}

static void bind_real(sqlite3_stmt *st, int k, double v)
{
	if (isfinite(v))
		sqlite3_bind_double(st, k, v);
	else
		sqlite3_bind_null(st, k);
}

static int write_row(struct engine *e, sqlite3_stmt *ins, const struct family *f, int pe, int ph,
		     const struct srow *r)
{
	const double v[9] = { r->emu, r->emu_lo, r->emu_hi, r->hw, r->hw_lo, r->hw_hi, r->ratio, r->lo, r->hi };

	sqlite3_reset(ins);
	sqlite3_bind_int64(ins, 1, f->wid);
	sqlite3_bind_text(ins, 2, server_metric[f->metric], -1, SQLITE_STATIC);
	sqlite3_bind_int(ins, 3, f->metric);
	sqlite3_bind_text(ins, 4, platform__name(pe), -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 5, platform__name(ph), -1, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 6, (int64_t)r->ne);
	sqlite3_bind_int64(ins, 7, (int64_t)r->nh);
	for (int k = 0; k < 9; k++)
		bind_real(ins, 8 + k, v[k]);
	sqlite3_bind_text(ins, 17, r->verdict, -1, SQLITE_STATIC);
	sqlite3_bind_int(ins, 18, !r->not_informative);
	sqlite3_bind_text(ins, 19, r->not_informative, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 20, r->reason, -1, SQLITE_STATIC);
	if (sqlite3_step(ins) != SQLITE_DONE)
		return error("%s: writing server_compare: %s", e->path, sqlite3_errmsg(e->db));
	return 0;
}

/* Every emulation platform of f against every hardware platform. */
static int family_done(struct engine *e, sqlite3_stmt *ins, const struct family *f, int64_t *last_wid)
{
	for (int pe = 0; pe < PLAT_COUNT; pe++)
		for (int ph = 0; ph < PLAT_COUNT; ph++) {
			struct srow r;

			if (!platform__is_emu(pe) || platform__is_emu(ph) || !f->p[pe].n || !f->p[ph].n)
				continue;
			compute(e, f, pe, ph, &r);
			reason(&r, server_metric[f->metric], pe, ph, e->o->tolerance);
			if (write_row(e, ins, f, pe, ph, &r))
				return -1;
			e->sum->server_metrics++;
			e->sum->server_flagged += !strcmp(r.verdict, "underestimates") || !strcmp(r.verdict, "overestimates");
			if (*last_wid != f->wid)
				e->sum->servers++;
			*last_wid = f->wid;
		}
	return 0;
}

static int metric_index(const char *m)
{
	for (size_t i = 0; m && i < N_SERVER_METRICS; i++)
		if (!strcmp(m, server_metric[i]))
			return (int)i;
	return -1;
}

/* The metrics as a JSON array, for the query's json_each. */
static char *metrics_json(void)
{
	char *s = xstrdup("["), *n;

	for (size_t i = 0; i < N_SERVER_METRICS; i++) {
		n = xasprintf("%s%s\"%s\"", s, i ? "," : "", server_metric[i]);
		free(s);
		s = n;
	}
	n = xasprintf("%s]", s);
	free(s);
	return n;
}

static const char *const server_sql[2] = {
	"SELECT r.workload_id, w.name, m.metric, r.platform, m.value FROM run r"
	" JOIN workload w ON w.id = r.workload_id JOIN run_metric m ON m.run_id = r.id"
	" WHERE r.status = 'ok' AND m.metric IN (SELECT value FROM json_each(?1))"
	" ORDER BY w.name, m.metric, r.platform, r.id",
	"INSERT INTO server_compare (workload_id, metric, ord, emu_platform, hw_platform, n_emu, n_hw, emu, emu_lo,"
	" emu_hi, hw, hw_lo, hw_hi, ratio, ratio_lo, ratio_hi, verdict, informative, not_informative, reason)"
	" VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)",
};

int engine__servers(struct engine *e)
{
	sqlite3_stmt *st = NULL, *ins = NULL;
	struct family f = { .metric = -1 };
	char *list = metrics_json();
	int64_t last_wid = -1;
	int rc, ret = -1;

	if (sqlite3_prepare_v2(e->db, server_sql[0], -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(e->db, server_sql[1], -1, &ins, NULL) != SQLITE_OK) {
		error("%s: server metrics: %s", e->path, sqlite3_errmsg(e->db));
		goto out;
	}
	sqlite3_bind_text(st, 1, list, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t wid = sqlite3_column_int64(st, 0);
		int m = metric_index((const char *)sqlite3_column_text(st, 2));
		int p = platform__parse((const char *)sqlite3_column_text(st, 3));

		if (m < 0 || p < 0)
			continue;
		if (f.metric != m || f.wid != wid) {
			if (f.metric >= 0 && family_done(e, ins, &f, &last_wid))
				goto out;
			family__reset(&f);
			f.wid = wid;
			f.name = xstrdup((const char *)sqlite3_column_text(st, 1));
			f.metric = m;
		}
		vals__push(&f.p[p], sqlite3_column_double(st, 4));
	}
	if (rc != SQLITE_DONE) {
		error("%s: reading server metrics: %s", e->path, sqlite3_errmsg(e->db));
		goto out;
	}
	ret = f.metric >= 0 ? family_done(e, ins, &f, &last_wid) : 0;
out:
	family__reset(&f);
	free(list);
	sqlite3_finalize(st);
	sqlite3_finalize(ins);
	return ret;
}
