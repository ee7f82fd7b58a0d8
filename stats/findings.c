/*
 * findings.c - from collected factor rows to verdicts: Benjamini-Hochberg
 * over every row of the study, the tolerance band, and a one-line reason.
 *
 * Two baselines per region and predictor (README, "Baselines"):
 *  - share: hardware share / predicted share, i.e. the region's cost per
 *    predicted unit relative to the workload's weighted MEAN cost per unit;
 *  - robust: the same relative to the weighted MEDIAN over the workload's
 *    regions, which one very slow region cannot move.
 * A share verdict is only flagged when the robust verdict agrees with it:
 * otherwise the share moved because another region is slow, and the row says so.
 */
#include "engine.h"
#include "common.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum verdict { V_AGREES, V_UNDER, V_OVER, V_INCONCLUSIVE };
static const char *const verdict_names[] = { "agrees", "underestimates", "overestimates",
					     "inconclusive" };

/*
 * A comparison that cannot differ by construction (README, "Not
 * informative"): NULL when it can, else the store's word for why.
 */
static const char *not_informative(const struct finding_row *f)
{
	if (!f->usable)
		return NULL;
	if (f->pred_share >= 1 - 1e-9 && f->hw_share >= 1 - 1e-9)
		return "whole_workload";
	if (f->ci_lo == f->ci_hi)
		return "zero_width";
	return NULL;
}

static enum verdict judge(const struct finding_row *f, double t, double alpha)
{
	if (!f->usable || not_informative(f))
		return V_INCONCLUSIVE;
	if ((f->ci_lo > t || f->ci_hi < 1 / t) && f->p_adj < alpha)
		return f->factor > 1 ? V_UNDER : V_OVER;
	if (f->ci_lo >= 1 / t && f->ci_hi <= t)
		return V_AGREES;
	return V_INCONCLUSIVE;
}

/* log-distance of the CI from the band: > 0 outside, <= 0 inside (for sorting) */
static double severity(const struct finding_row *f, double t)
{
	double up, down;

	if (!f->usable || not_informative(f))
		return -INFINITY;
	up = log(f->ci_lo / t);
	down = log(1 / (t * f->ci_hi));
	return up > down ? up : down;
}

static const char *what(const char *metric)
{
	return !strcmp(metric, METRIC_TIME_NS) ? "time" : metric;
}

/* shares and factors in reasons as the terminal, `show` and the report print them */
static void pct(char *buf, size_t n, double share)
{
	pct__fmt(buf, n, share);
}

/* numbers in reasons: 3 significant digits, but never an exponent for big factors */
static const char *num(char *buf, size_t n, double v)
{
	snprintf(buf, n, fabs(v) >= 1000 ? "%.0f" : "%.3g", v);
	return buf;
}

static const char *fac(char *buf, size_t n, double v)
{
	num__fmt(buf, n, v);
	return buf;
}

/* what a row rests on: its runs, and for sampled hardware its samples */
static void runs_text(char *buf, size_t n, const struct finding_row *f)
{
	int len;

	if (f->n_emu == f->n_hw)
		len = snprintf(buf, n, "%d runs each", f->n_emu);
	else
		len = snprintf(buf, n, "%d emulation and %d hardware runs", f->n_emu, f->n_hw);
	if (f->samples >= 0 && len >= 0 && (size_t)len < n)
		snprintf(buf + len, n - (size_t)len, ", %lld of %lld hardware samples",
			 (long long)f->samples, (long long)f->samples_total);
}

static const char *pred_phrase(int q)
{
	return q == PRED_INSNS ? "instruction share" : q == PRED_QEMU_TIME ? "share of QEMU host time"
								      : "share of the cost model";
}

static const char *unit_phrase(int q)
{
	return q == PRED_INSNS ? "emulated instruction" : q == PRED_QEMU_TIME ? "QEMU host ns"
									  : "unit of modelled cost";
}

/* The tolerance band as reasons print it: the same for every row, formatted once. */
struct band {
	double t, alpha;
	char lo[32], hi[32];
};

static void band__init(struct band *b, double t, double alpha)
{
	b->t = t;
	b->alpha = alpha;
	num(b->lo, sizeof(b->lo), 1 / t);
	num(b->hi, sizeof(b->hi), t);
}

static void reason(char *buf, size_t n, const struct finding_row *f, const struct finding_row *rob,
		   enum verdict v, int demoted, const struct band *band)
{
	char ps[32], hs[32], runs[128], tail[64] = "";
	double t = band->t;
	size_t len;

	runs_text(runs, sizeof(runs), f);
	if (!f->usable) {
		snprintf(buf, n, "%s; %s", f->why ? f->why : "not enough data", runs);
		return;
	}
	if (not_informative(f)) {
		snprintf(buf, n, *not_informative(f) == 'w'
			 ? "not informative: the region holds all of its workload's cost on both sides, so its"
			   " factor is 1 by construction (compare workloads across the suite instead); %s"
			 : "not informative: identical shares in every run on both sides give a zero-width"
			   " interval; %s", runs);
		return;
	}
	if (f->outliers)
		snprintf(tail, sizeof(tail), "; %d outlier hardware run%s kept", f->outliers,
			 f->outliers > 1 ? "s" : "");
	{
		char f1[32], f2[32], lo[32], hi[32], rlo[32], rhi[32];
		const char *b1 = band->lo, *b2 = band->hi;
		char base[96];

		/* every sentence names its baseline: what the factor divides by */
		if (f->baseline == BASE_SHARE)
			snprintf(base, sizeof(base), "share factor (hardware share / %s)", pred_phrase(f->predictor));
		else
			snprintf(base, sizeof(base), "%s per %s against the workload's weighted median",
				 what(f->metric), unit_phrase(f->predictor));

		fac(f1, sizeof(f1), f->factor);
		num(lo, sizeof(lo), f->ci_lo);
		num(hi, sizeof(hi), f->ci_hi);
		if (demoted) {
			fac(f2, sizeof(f2), rob->factor);
			num(rlo, sizeof(rlo), rob->ci_lo);
			num(rhi, sizeof(rhi), rob->ci_hi);
			snprintf(buf, n,
				 "share factor %s (CI %s-%s) but its %s per %s is %sx the workload median "
				 "(CI %s-%s): other regions moved its share; %s",
				 f1, lo, hi, what(f->metric), unit_phrase(f->predictor), f2, rlo, rhi, runs);
		} else if (v == V_OVER && f->baseline == BASE_SHARE && f->samples == 0) {
			pct(ps, sizeof(ps), f->pred_share);
			pct(hs, sizeof(hs), f->hw_hi);
			snprintf(buf, n, "no hardware samples where its %s predicts %s of the %s (exact upper"
					 " bound %s); CI %s-%s; %s",
				 pred_phrase(f->predictor), ps, what(f->metric), hs, lo, hi, runs);
		} else if ((v == V_UNDER || v == V_OVER) && f->baseline == BASE_SHARE) {
			pct(ps, sizeof(ps), f->pred_share);
			pct(hs, sizeof(hs), f->hw_share);
			snprintf(buf, n, v == V_UNDER ? "%sx more %s on hardware than its %s %s predicts (%s vs %s); CI %s-%s; %s"
						     : "only %sx the %s on hardware that its %s %s predicts (%s vs %s); CI %s-%s; %s",
				 f1, what(f->metric), ps, pred_phrase(f->predictor), hs, ps, lo, hi, runs);
		} else if (v == V_UNDER || v == V_OVER) {
			snprintf(buf, n, "its %s per %s on hardware is %sx the workload's weighted median over"
				 " regions (robust baseline); CI %s-%s; %s", what(f->metric), unit_phrase(f->predictor),
				 f1, lo, hi, runs);
		} else if (v == V_AGREES && f->baseline == BASE_SHARE) {
			pct(ps, sizeof(ps), f->pred_share);
			pct(hs, sizeof(hs), f->hw_share);
			snprintf(buf, n, "%s %s, CI %s-%s within [%s, %s] (hardware %s, predicted %s); %s", base, f1, lo,
				 hi, b1, b2, hs, ps, runs);
		} else if (v == V_AGREES) {
			snprintf(buf, n, "%s %s, CI %s-%s within [%s, %s]; %s", base, f1, lo, hi, b1, b2, runs);
		} else if (f->ci_lo > t || f->ci_hi < 1 / t) {
			snprintf(buf, n, "%s %s, CI %s-%s outside [%s, %s] but BH-adjusted p = %.2g is not below %.2g; %s",
				 base, f1, lo, hi, b1, b2, f->p_adj, band->alpha, runs);
		} else {
			snprintf(buf, n, "%s %s, CI %s-%s straddles the tolerance band [%s, %s]; %s", base, f1, lo, hi,
				 b1, b2, runs);
		}
	}
	len = strlen(buf);
	if (len < n)
		snprintf(buf + len, n - len, "%s", tail);
}

static int same_cell(const struct finding_row *a, const struct finding_row *b)
{
	return a->workload_id == b->workload_id && a->region_id == b->region_id &&
	       a->predictor == b->predictor;
}

/*
 * Verdicts and reasons of every row, formatted by a second thread ahead of
 * the serial inserts (snprintf of doubles was a fifth of the serial loop),
 * block by block: the main thread inserts a block as soon as it is ready,
 * so formatting and inserting overlap. Each block has a text buffer of its
 * own, written by one thread only, so its buffer can grow freely.
 */
#define JUDGE_BLOCKS 64

struct judged {
	size_t off; /* of the reason in its block's text */
	int len;
	enum verdict v;
};

struct text {
	char *p;
	size_t len, cap;
};

struct judge_job {
	const struct finding_list *l;
	const struct band *band;
	size_t nblocks;
	struct judged *out;  /* [l->n] */
	struct text *text;   /* [nblocks] */
	/* progress of the formatting thread: blocks [0, ready) are done */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t ready;
	int stop;
};

static size_t block_lo(const struct judge_job *j, size_t b)
{
	return j->l->n * b / j->nblocks;
}

static void text__add(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = 2 * (t->len + n + 1);
		t->p = xrealloc(t->p, t->cap);
	}
	memcpy(t->p + t->len, s, n + 1);
	t->len += n + 1;
}

/* The verdict of row i (the share row demoted when its robust twin disagrees) and its reason. */
static void judge_row(const struct judge_job *j, size_t i, struct text *t)
{
	const struct finding_list *l = j->l;
	const struct finding_row *f = &l->row[i], *rob = NULL;
	double tol = j->band->t, alpha = j->band->alpha;
	enum verdict v = judge(f, tol, alpha);
	int demoted = 0;
	char why[512];
	size_t n;

	if (f->baseline == BASE_SHARE && i + 1 < l->n && l->row[i + 1].baseline == BASE_ROBUST &&
	    same_cell(f, &l->row[i + 1]))
		rob = &l->row[i + 1];
	if ((v == V_UNDER || v == V_OVER) && rob && judge(rob, tol, alpha) != v) {
		v = V_INCONCLUSIVE;
		demoted = 1;
	}
	reason(why, sizeof(why), f, rob, v, demoted, j->band);
	n = strlen(why);
	j->out[i] = (struct judged){ t->len, (int)n, v };
	text__add(t, why, n);
}

static void judge_block(struct judge_job *j, size_t b)
{
	size_t end = block_lo(j, b + 1);

	for (size_t i = block_lo(j, b); i < end; i++)
		judge_row(j, i, &j->text[b]);
}

static void *judge_thread(void *arg)
{
	struct judge_job *j = arg;

	for (size_t b = 0; b < j->nblocks; b++) {
		int stop;

		pthread_mutex_lock(&j->mu);
		stop = j->stop;
		pthread_mutex_unlock(&j->mu);
		if (stop)
			break;
		judge_block(j, b);
		pthread_mutex_lock(&j->mu);
		j->ready = b + 1;
		pthread_cond_signal(&j->cv);
		pthread_mutex_unlock(&j->mu);
	}
	return NULL;
}

static void judge_wait(struct judge_job *j, size_t b)
{
	pthread_mutex_lock(&j->mu);
	while (j->ready <= b)
		pthread_cond_wait(&j->cv, &j->mu);
	pthread_mutex_unlock(&j->mu);
}

#define FINDING_COLS 27
/* rows per INSERT: one statement's overhead then serves many rows */
#define FINDING_BATCH 64

static void bind_row(sqlite3_stmt *st, int base, const struct finding_row *f, const struct judged *d,
		     const char *why, double sev)
{
	sqlite3_bind_int64(st, base + 1, f->workload_id);
	sqlite3_bind_int64(st, base + 2, f->region_id);
	sqlite3_bind_text(st, base + 3, f->metric, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, base + 4, predictor__name(f->predictor), -1, SQLITE_STATIC);
#define BIND_REAL(k, x) (isfinite(x) ? sqlite3_bind_double(st, base + (k), x) : sqlite3_bind_null(st, base + (k)))
	BIND_REAL(5, f->factor);
	BIND_REAL(6, f->ci_lo);
	BIND_REAL(7, f->ci_hi);
	BIND_REAL(8, f->p_adj);
	sqlite3_bind_text(st, base + 9, verdict_names[d->v], -1, SQLITE_STATIC);
	/* the block's text outlives the statement: no copy */
	sqlite3_bind_text(st, base + 10, why, d->len, SQLITE_STATIC);
	sqlite3_bind_text(st, base + 11, f->baseline == BASE_SHARE ? "share" : "robust", -1, SQLITE_STATIC);
	BIND_REAL(12, f->p_value);
	BIND_REAL(13, f->pred_share);
	BIND_REAL(14, f->hw_share);
	BIND_REAL(15, f->hw_lo);
	BIND_REAL(16, f->hw_hi);
	sqlite3_bind_int(st, base + 17, f->n_emu);
	sqlite3_bind_int(st, base + 18, f->n_hw);
	sqlite3_bind_text(st, base + 19, platform__name(f->emu_platform), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, base + 20, platform__name(f->hw_platform), -1, SQLITE_STATIC);
	BIND_REAL(21, f->pct_lo);
	BIND_REAL(22, f->pct_hi);
	BIND_REAL(23, sev);
#undef BIND_REAL
	sqlite3_bind_int(st, base + 24, !not_informative(f));
	sqlite3_bind_text(st, base + 25, not_informative(f), -1, SQLITE_STATIC);
	if (f->samples >= 0) {
		sqlite3_bind_int64(st, base + 26, f->samples);
		sqlite3_bind_int64(st, base + 27, f->samples_total);
	} else {
		sqlite3_bind_null(st, base + 26);
		sqlite3_bind_null(st, base + 27);
	}
}

/* INSERT INTO finding of `rows` rows at once */
static sqlite3_stmt *prepare_insert(struct engine *e, size_t rows)
{
	static const char head[] =
		"INSERT INTO finding (workload_id, region_id, metric, predictor, factor, ci_lo, ci_hi,"
		" p_adj, verdict, reason, baseline, p_value, pred_share, hw_share, hw_share_lo,"
		" hw_share_hi, n_emu, n_hw, emu_platform, hw_platform, pct_lo, pct_hi, severity,"
		" informative, not_informative, samples, samples_total) VALUES ";
	static const char row[] = "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
	size_t len = sizeof(head) + rows * sizeof(row);
	char *sql = xmalloc(len), *p = sql;
	sqlite3_stmt *st = NULL;

	p += sprintf(p, "%s", head);
	for (size_t k = 0; k < rows; k++)
		p += sprintf(p, "%s%s", k ? "," : "", row);
	if (sqlite3_prepare_v2(e->db, sql, -1, &st, NULL) != SQLITE_OK)
		error("%s: preparing findings: %s", e->path, sqlite3_errmsg(e->db));
	free(sql);
	return st;
}

static void bh(struct finding_list *l)
{
	double *p = xmalloc((l->n ? l->n : 1) * sizeof(*p)), *adj = xmalloc((l->n ? l->n : 1) * sizeof(*adj));

	for (size_t i = 0; i < l->n; i++)
		p[i] = l->row[i].usable && !not_informative(&l->row[i]) ? l->row[i].p_value : NAN;
	stats__bh_adjust(p, l->n, adj);
	for (size_t i = 0; i < l->n; i++)
		l->row[i].p_adj = adj[i];
	free(p);
	free(adj);
}

int engine__write_findings(struct engine *e)
{
	struct finding_list *l = &e->findings;
	struct band band;
	struct judge_job j;
	sqlite3_stmt *st = NULL, *batch = NULL;
	pthread_t th;
	int ret = -1, started = 0;

	bh(l);
	band__init(&band, e->o->tolerance, 1 - e->o->confidence);
	memset(&j, 0, sizeof(j));
	j.l = l;
	j.band = &band;
	j.nblocks = l->n < JUDGE_BLOCKS ? 1 : JUDGE_BLOCKS;
	j.out = xmalloc((l->n ? l->n : 1) * sizeof(*j.out));
	j.text = xcalloc(j.nblocks, sizeof(*j.text));
	pthread_mutex_init(&j.mu, NULL);
	pthread_cond_init(&j.cv, NULL);
	/* one thread asked for, or none to be had: format everything first */
	if (e->threads > 1 && !pthread_create(&th, NULL, judge_thread, &j)) {
		started = 1;
	} else {
		for (size_t b = 0; b < j.nblocks; b++)
			judge_block(&j, b);
		j.ready = j.nblocks;
	}
	if (!(batch = prepare_insert(e, FINDING_BATCH)) || !(st = prepare_insert(e, 1)))
		goto out;
	for (size_t b = 0; b < j.nblocks; b++) {
		size_t i = block_lo(&j, b), end = block_lo(&j, b + 1);

		judge_wait(&j, b);
		/* a block's rows by batches, the rest one by one */
		while (i < end) {
			size_t rows = end - i >= FINDING_BATCH ? FINDING_BATCH : 1;
			sqlite3_stmt *ins = rows > 1 ? batch : st;

			sqlite3_reset(ins);
			for (size_t k = 0; k < rows; k++, i++)
				bind_row(ins, (int)(k * FINDING_COLS), &l->row[i], &j.out[i],
					 j.text[b].p + j.out[i].off, severity(&l->row[i], band.t));
			if (sqlite3_step(ins) != SQLITE_DONE) {
				error("%s: writing findings: %s", e->path, sqlite3_errmsg(e->db));
				goto out;
			}
		}
	}
	ret = 0;
out:
	if (started) {
		/* on an error the thread stops at its next block */
		pthread_mutex_lock(&j.mu);
		j.stop = 1;
		pthread_mutex_unlock(&j.mu);
		pthread_join(th, NULL);
	}
	pthread_cond_destroy(&j.cv);
	pthread_mutex_destroy(&j.mu);
	/* after the statements: their last bindings point into the texts */
	sqlite3_finalize(st);
	sqlite3_finalize(batch);
	for (size_t b = 0; b < j.nblocks; b++)
		free(j.text[b].p);
	free(j.text);
	free(j.out);
	return ret;
}
