/*
 * threads.c - how a workload's work is spread over its threads, under
 * emulation and on hardware (docs/statistics.md, "Threads").
 *
 *  - thread_imbalance: for each marker region that several threads run
 *    (the keys m:<from>-><to>#<n> and m:...#<n>@t<k> of one base key), and
 *    for the whole run (thread_metric), the spread max/mean of the
 *    per-thread cost on each platform (the cost of a thread: its mean over
 *    the platform's ok runs), and hardware's over emulation's;
 *  - thread_share: each thread's share of the run (thread_metric) on both
 *    platforms, and hardware's over emulation's.
 *
 * The runs are the independent units, as in the findings: each side's runs
 * are resampled on their own (one resample plan per side and row) and every
 * interval is the percentile interval of the resampled statistic. The
 * maximum over threads makes the imbalance a non-smooth statistic, for which
 * BCa's bias correction and acceleration do not hold; percentile intervals
 * keep one rule for every row here. Verdicts are the findings' tolerance
 * band on the interval of hardware / emulation (stats__band_verdict), not
 * adjusted for multiple testing.
 */
#include "threads.h"
#include "common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tside *tside__new(int platform, const char *metric, size_t nruns, size_t K)
{
	struct tside *s = xcalloc(1, sizeof(*s) + K * sizeof(double));

	s->platform = platform;
	s->metric = metric;
	s->K = K;
	s->x = xcalloc((nruns ? nruns : 1) * K, sizeof(double));
	return s;
}

void tside__free(struct tside *s)
{
	if (s)
		free(s->x);
	free(s);
}

static void col_means(const double *x, size_t n, size_t K, const uint16_t *count, double *m)
{
	for (size_t k = 0; k < K; k++)
		m[k] = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < K; k++)
			m[k] += (count ? count[i] : 1) * x[i * K + k];
	for (size_t k = 0; k < K; k++)
		m[k] /= (double)n;
}

/* max / mean of m[0..K), *arg the column of the maximum; NaN without cost. */
static double imbalance(const double *m, size_t K, size_t *arg)
{
	double max = m[0], sum = 0;

	*arg = 0;
	for (size_t k = 0; k < K; k++) {
		sum += m[k];
		if (m[k] > max) {
			max = m[k];
			*arg = k;
		}
	}
	return sum > 0 ? max / (sum / (double)K) : NAN;
}

/* The percentile interval of the finite values of v[0..b) (reordered). */
void thr__pct_interval(double *v, size_t b, double confidence, double *lo, double *hi)
{
	size_t m = 0;

	for (size_t i = 0; i < b; i++)
		if (isfinite(v[i]))
			v[m++] = v[i];
	*lo = *hi = NAN;
	if (m < 2)
		return;
	*lo = stats__quantile_select(v, m, (1 - confidence) / 2);
	*hi = stats__quantile_select(v, m, 1 - (1 - confidence) / 2);
}

/* The plan for n runs of side (0 emulation, 1 hardware), drawn once per workload; NULL: no memory. */
static const struct boot_plan *plan_for(struct tctx *t, int side, size_t n)
{
	struct plan_cache *c;
	char stream[64];

	for (size_t i = 0; i < t->nplans; i++)
		if (t->plans[i].side == side && t->plans[i].plan.n == n)
			return &t->plans[i].plan;
	t->plans = xrealloc(t->plans, (t->nplans + 1) * sizeof(*t->plans));
	c = &t->plans[t->nplans];
	c->side = side;
	snprintf(stream, sizeof(stream), "threads:%s:%zu", side ? "hw" : "emu", n);
	if (boot_plan__init(&c->plan, t->e->o->resamples, n, engine__seed(t->e->o->seed, t->w->name, stream)))
		return NULL;
	t->nplans++;
	return &c->plan;
}

/*
 * Column means of every resample of s's runs into boot[B x K], and s->mean.
 * 0, or -1 when the plan cannot be had.
 */
int tside__boot(struct tctx *t, struct tside *s, int side, double *boot)
{
	size_t B = t->e->o->resamples, K = s->K, i;
	const struct boot_plan *plan;

	col_means(s->x, s->n, K, NULL, s->mean);
	/* every run alike (QEMU's instruction counts): every resample is that run */
	for (i = 1; i < s->n && !memcmp(s->x, s->x + i * K, K * sizeof(double)); i++)
		;
	if (i == s->n) {
		for (size_t b = 0; b < B; b++)
			memcpy(boot + b * K, s->x, K * sizeof(double));
		return 0;
	}
	plan = plan_for(t, side, s->n);
	if (!plan)
		return -1;
	for (size_t b = 0; b < B; b++)
		col_means(s->x, s->n, K, plan->counts + b * s->n, boot + b * K);
	return 0;
}

/* ---- thread_imbalance ------------------------------------------------------ */

void thr__bind_side(sqlite3_stmt *st, int col, const struct tside *s)
{
	if (s && s->platform >= 0)
		sqlite3_bind_text(st, col, platform__name(s->platform), -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, col);
}

void thr__bind_num(sqlite3_stmt *st, int col, double v)
{
	if (isfinite(v))
		sqlite3_bind_double(st, col, v);
	else
		sqlite3_bind_null(st, col);
}

void thr__fmt_ci(char *buf, size_t n, double v, double lo, double hi)
{
	char a[32], b[32], c[32];

	num__fmt(a, sizeof(a), v);
	num__fmt(b, sizeof(b), lo);
	num__fmt(c, sizeof(c), hi);
	if (isfinite(lo))
		snprintf(buf, n, "%s [%s, %s]", a, b, c);
	else
		snprintf(buf, n, "%s", a);
}

static const char *const imb_lead[] = {
	"threads are more unbalanced on hardware than emulation shows",
	"threads are less unbalanced on hardware than emulation shows",
	"emulation shows the threads' balance as on hardware",
	"whether emulation shows the threads' balance as on hardware cannot be told",
};

int thr__lead(const char *verdict)
{
	return !strcmp(verdict, "underestimates") ? 0 : !strcmp(verdict, "overestimates") ? 1
	       : !strcmp(verdict, "agrees")       ? 2
						  : 3;
}

/* One side's estimate in words: "hardware: t2 costs 1.80x the threads' mean [1.60, 2.00] (cycles, 5 runs)". */
static void side_words(char *buf, size_t n, const char *name, const struct tside *s, const struct test *x,
		       const char *lacks)
{
	char ci[128];

	if (lacks) {
		snprintf(buf, n, "%s", lacks);
		return;
	}
	num__fmt(ci, sizeof(ci), x->point);
	snprintf(buf, n, "%s: t%d costs %sx the threads' mean", name, x->max_thread, ci);
	if (isfinite(x->lo)) {
		char lo[32], hi[32];

		num__fmt(lo, sizeof(lo), x->lo);
		num__fmt(hi, sizeof(hi), x->hi);
		snprintf(buf + strlen(buf), n - strlen(buf), " [%s, %s]", lo, hi);
	}
	snprintf(buf + strlen(buf), n - strlen(buf), " (%s, %zu runs)", s->metric, s->n);
}

/* Whether side s (never NULL) can be judged: its reason when not. */
const char *thr__side_lacks(const struct tside *s, const char *what, char *buf, size_t n)
{
	if (s->platform < 0)
		snprintf(buf, n, "%s: no ok runs", what);
	else if (s->n < 2)
		snprintf(buf, n, "%s: fewer than 2 ok runs measured %s here", what, s->metric);
	else
		return NULL;
	return buf;
}

int thr__write_imbalance(struct tctx *t, const char *key, struct tside *emu, struct tside *hw, const int *tid)
{
	size_t B = t->e->o->resamples, K = hw->K, arg;
	double conf = t->e->o->confidence, *eb = NULL, *hb = NULL, *rb = NULL;
	struct test x[2] = { { NAN, NAN, NAN, -1 }, { NAN, NAN, NAN, -1 } };
	struct tside *s[2] = { emu, hw };
	char lack_buf[2][128], words[2][256], reason[800], fc[128];
	const char *lacks[2], *verdict;
	double factor = NAN, flo = NAN, fhi = NAN;
	sqlite3_stmt *st = t->ins_imb;

	for (int k = 0; k < 2; k++) {
		double *boot;

		lacks[k] = thr__side_lacks(s[k], k ? "hardware" : "emulation", lack_buf[k], sizeof(lack_buf[k]));
		if (lacks[k])
			continue;
		boot = xmalloc(B * K * sizeof(double));
		if (tside__boot(t, s[k], k, boot)) {
			free(boot);
			return error("%s: no memory for the bootstrap of %s", t->e->path, t->w->name);
		}
		x[k].point = imbalance(s[k]->mean, K, &arg);
		x[k].max_thread = tid[arg];
		for (size_t b = 0; b < B; b++)
			boot[b] = imbalance(boot + b * K, K, &arg); /* in place: row b is read first */
		if (k)
			hb = boot;
		else
			eb = boot;
		if (!isfinite(x[k].point))
			lacks[k] = k ? "hardware: no cost here" : "emulation: no cost here";
	}
	if (eb && hb && !lacks[0] && !lacks[1]) {
		rb = xmalloc(B * sizeof(double));
		for (size_t b = 0; b < B; b++)
			rb[b] = hb[b] / eb[b];
		factor = x[1].point / x[0].point;
		thr__pct_interval(rb, B, conf, &flo, &fhi);
	}
	if (eb)
		thr__pct_interval(eb, B, conf, &x[0].lo, &x[0].hi);
	if (hb)
		thr__pct_interval(hb, B, conf, &x[1].lo, &x[1].hi);
	verdict = stats__band_verdict(flo, fhi, t->e->o->tolerance, rb != NULL);
	for (int k = 0; k < 2; k++)
		side_words(words[k], sizeof(words[k]), k ? "hardware" : "emulation", s[k], &x[k], lacks[k]);
	thr__fmt_ci(fc, sizeof(fc), factor, flo, fhi);
	snprintf(reason, sizeof(reason), "%s: %s; %s%s%s", imb_lead[thr__lead(verdict)], words[1],
		 words[0], rb ? "; hardware / emulation " : "", rb ? fc : "");
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, t->w->id);
	if (key)
		sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_text(st, 3, emu->metric, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, hw->metric, -1, SQLITE_STATIC);
	thr__bind_side(st, 5, emu);
	thr__bind_side(st, 6, hw);
	sqlite3_bind_int64(st, 7, (int64_t)K);
	for (int k = 0; k < 2; k++) {
		thr__bind_num(st, 8 + 4 * k, x[k].point);
		thr__bind_num(st, 9 + 4 * k, x[k].lo);
		thr__bind_num(st, 10 + 4 * k, x[k].hi);
		if (x[k].max_thread >= 0)
			sqlite3_bind_int(st, 11 + 4 * k, x[k].max_thread);
		else
			sqlite3_bind_null(st, 11 + 4 * k);
	}
	thr__bind_num(st, 16, factor);
	thr__bind_num(st, 17, flo);
	thr__bind_num(st, 18, fhi);
	sqlite3_bind_int64(st, 19, (int64_t)emu->n);
	sqlite3_bind_int64(st, 20, (int64_t)hw->n);
	sqlite3_bind_text(st, 21, verdict, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 22, reason, -1, SQLITE_TRANSIENT);
	free(eb);
	free(hb);
	free(rb);
	if (sqlite3_step(st) != SQLITE_DONE)
		return error("%s: writing thread_imbalance: %s", t->e->path, sqlite3_errmsg(t->e->db));
	return 0;
}

/* ---- marker regions run by several threads --------------------------------- */

struct tentry {
	const char *key;
	size_t base_len, region;
	int thread;
};

static int tentry_cmp(const void *a, const void *b)
{
	const struct tentry *x = a, *y = b;
	size_t l = x->base_len < y->base_len ? x->base_len : y->base_len;
	int c = memcmp(x->key, y->key, l);

	if (c)
		return c;
	if (x->base_len != y->base_len)
		return x->base_len < y->base_len ? -1 : 1;
	return (x->thread > y->thread) - (x->thread < y->thread);
}

/* The ok runs of platform p with a value of metric m in some of the K regions reg[]. */
static struct tside *side_of_regions(const struct workload_data *w, int p, const char *metric, const size_t *reg,
				     size_t K)
{
	int m = workload_data__metric(w, metric);
	struct tside *s = tside__new(p, metric, w->nruns, K);

	for (size_t i = 0; p >= 0 && m >= 0 && i < w->nruns; i++) {
		double *row = s->x + s->n * K;
		int any = 0;

		if (w->run[i].status != RUN_OK || w->run[i].platform != p)
			continue;
		for (size_t k = 0; k < K; k++) {
			double v = workload_data__get(w, m, i, reg[k]);

			any |= !isnan(v);
			row[k] = isnan(v) ? 0 : v; /* not run there in that run */
		}
		s->n += (size_t)any;
	}
	return s;
}

static int region_groups(struct tctx *t, int emu_p, int hw_p, const char *hw_metric)
{
	const struct workload_data *w = t->w;
	struct tentry *en = xmalloc((w->nregions ? w->nregions : 1) * sizeof(*en));
	size_t n = 0, *reg = xmalloc((w->nregions ? w->nregions : 1) * sizeof(size_t));
	int *tid = xmalloc((w->nregions ? w->nregions : 1) * sizeof(int)), rc = 0, any_thread = 0;
	static const char *const emu_metrics[] = { METRIC_INSNS, METRIC_QEMU_HOST_NS };

	for (size_t r = 0; r < w->nregions; r++) {
		if (!region_key__is(w->region_key[r], REGION_KEY_MARK))
			continue;
		en[n].key = w->region_key[r];
		en[n].region = r;
		en[n].thread = region_key__thread(en[n].key, &en[n].base_len);
		any_thread |= en[n].thread > 0;
		n++;
	}
	if (any_thread)
		qsort(en, n, sizeof(*en), tentry_cmp);
	for (size_t g = 0; any_thread && g < n && !rc;) {
		size_t e = g, K;
		char *base;

		while (e < n && en[e].base_len == en[g].base_len && !memcmp(en[e].key, en[g].key, en[g].base_len))
			e++;
		K = e - g;
		for (size_t k = 0; k < K; k++) {
			reg[k] = en[g + k].region;
			tid[k] = en[g + k].thread;
		}
		base = xasprintf("%.*s", (int)en[g].base_len, en[g].key);
		for (size_t q = 0; K >= 2 && q < 2 && !rc; q++) {
			struct tside *es, *hs;

			/* qemu_host_ns only where emulation measured it */
			if (q && workload_data__metric(w, emu_metrics[q]) < 0)
				continue;
			es = side_of_regions(w, emu_p, emu_metrics[q], reg, K);
			hs = side_of_regions(w, hw_p, hw_metric, reg, K);
			rc = thr__write_imbalance(t, base, es, hs, tid);
			tside__free(es);
			tside__free(hs);
		}
		free(base);
		g = e;
	}
	free(en);
	free(reg);
	free(tid);
	return rc;
}

/* ---- the workload ------------------------------------------------------------- */

int threads__workload(struct engine *e, const struct workload_data *w, int emu_p, int hw_p, const char *hw_metric)
{
	struct tctx t = { .e = e, .w = w };
	int rc = -1;

	if (sqlite3_prepare_v2(e->db,
			       "INSERT INTO thread_imbalance (workload_id, region_key, emu_metric, metric,"
			       " emu_platform, hw_platform, threads, emu_imbalance, emu_lo, emu_hi, emu_max_thread,"
			       " hw_imbalance, hw_lo, hw_hi, hw_max_thread, factor, ci_lo, ci_hi, n_emu, n_hw, verdict,"
			       " reason) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,"
			       "?21,?22)",
			       -1, &t.ins_imb, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(e->db,
			       "INSERT INTO thread_share (workload_id, thread, emu_metric, metric, emu_platform,"
			       " hw_platform, emu_share, emu_lo, emu_hi, hw_share, hw_lo, hw_hi, factor, ci_lo, ci_hi,"
			       " n_emu, n_hw, verdict, reason) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,"
			       "?15,?16,?17,?18,?19)",
			       -1, &t.ins_share, NULL) != SQLITE_OK) {
		error("%s: not a store with the thread tables (%s)", e->path, sqlite3_errmsg(e->db));
		goto out;
	}
	if (!region_groups(&t, emu_p, hw_p, hw_metric) && !thr__whole_runs(&t, emu_p, hw_p, hw_metric))
		rc = 0;
out:
	sqlite3_finalize(t.ins_imb);
	sqlite3_finalize(t.ins_share);
	for (size_t i = 0; i < t.nplans; i++)
		boot_plan__free(&t.plans[i].plan);
	free(t.plans);
	return rc;
}
