/*
 * threads_run.c - the whole runs' threads (thread_metric): each thread's
 * share of the run on both platforms (thread_share) and the imbalance of the
 * run across its threads (thread_imbalance, region_key NULL); threads.c says
 * how they are computed.
 */
#include "threads.h"
#include "common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- thread_share ---------------------------------------------------------- */

/* s's runs as shares of their total (runs without any cost dropped), in a new side. */
static struct tside *as_shares(const struct tside *s)
{
	struct tside *o = tside__new(s->platform, s->metric, s->n, s->K);
	size_t K = s->K;

	for (size_t i = 0; i < s->n; i++) {
		double sum = 0;

		for (size_t k = 0; k < K; k++)
			sum += s->x[i * K + k];
		if (!(sum > 0))
			continue;
		for (size_t k = 0; k < K; k++)
			o->x[o->n * K + k] = s->x[i * K + k] / sum;
		o->n++;
	}
	return o;
}

static const char *const share_lead[] = {
	"hardware gives this thread a larger share of the run than emulation",
	"hardware gives this thread a smaller share of the run than emulation",
	"emulation gives this thread its share of the run on hardware",
	"whether emulation gives this thread its share of the run on hardware cannot be told",
};

static int write_share(struct tctx *t, const struct tside *s[2], const double *const boot[2], size_t k, int thread,
		       double *scratch)
{
	size_t B = t->e->o->resamples, K = s[0]->K;
	double conf = t->e->o->confidence, lo[3] = { NAN, NAN, NAN }, hi[3] = { NAN, NAN, NAN }, pt[3];
	char buf[3][160], lack_buf[2][128], reason[800];
	const char *lacks[2], *verdict;
	sqlite3_stmt *st = t->ins_share;
	int both;

	for (int j = 0; j < 2; j++) {
		lacks[j] = thr__side_lacks(s[j], j ? "hardware" : "emulation", lack_buf[j], sizeof(lack_buf[j]));
		pt[j] = lacks[j] ? NAN : s[j]->mean[k];
		if (lacks[j])
			continue;
		for (size_t b = 0; b < B; b++)
			scratch[b] = boot[j][b * K + k];
		thr__pct_interval(scratch, B, conf, &lo[j], &hi[j]);
	}
	both = !lacks[0] && !lacks[1] && pt[0] > 0;
	pt[2] = both ? pt[1] / pt[0] : NAN;
	for (size_t b = 0; both && b < B; b++)
		scratch[b] = boot[1][b * K + k] / boot[0][b * K + k];
	if (both)
		thr__pct_interval(scratch, B, conf, &lo[2], &hi[2]);
	verdict = stats__band_verdict(lo[2], hi[2], t->e->o->tolerance, both);
	for (int j = 0; j < 2; j++) {
		char a[32], c[32], d[32];

		pct__fmt(a, sizeof(a), pt[j]);
		pct__fmt(c, sizeof(c), lo[j]);
		pct__fmt(d, sizeof(d), hi[j]);
		if (lacks[j])
			snprintf(buf[j], sizeof(buf[j]), "%s", lacks[j]);
		else
			snprintf(buf[j], sizeof(buf[j]), "%s: %s [%s, %s] of %s (%zu runs)", j ? "hardware" : "emulation",
				 a, c, d, s[j]->metric, s[j]->n);
	}
	thr__fmt_ci(buf[2], sizeof(buf[2]), pt[2], lo[2], hi[2]);
	snprintf(reason, sizeof(reason), "%s: thread %d's share, %s; %s%s%s", share_lead[thr__lead(verdict)],
		 thread, buf[1], buf[0], both ? "; hardware / emulation " : "", both ? buf[2] : "");
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, t->w->id);
	sqlite3_bind_int(st, 2, thread);
	sqlite3_bind_text(st, 3, s[0]->metric, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, s[1]->metric, -1, SQLITE_STATIC);
	thr__bind_side(st, 5, s[0]);
	thr__bind_side(st, 6, s[1]);
	for (int j = 0; j < 3; j++) {
		thr__bind_num(st, 7 + 3 * j, pt[j]);
		thr__bind_num(st, 8 + 3 * j, lo[j]);
		thr__bind_num(st, 9 + 3 * j, hi[j]);
	}
	sqlite3_bind_int64(st, 16, (int64_t)s[0]->n);
	sqlite3_bind_int64(st, 17, (int64_t)s[1]->n);
	sqlite3_bind_text(st, 18, verdict, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 19, reason, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		return error("%s: writing thread_share: %s", t->e->path, sqlite3_errmsg(t->e->db));
	return 0;
}

/* Each thread's share of the run on both sides: one thread_share row per thread. */
static int write_shares(struct tctx *t, const struct tside *emu, const struct tside *hw, const int *tid)
{
	size_t B = t->e->o->resamples, K = emu->K;
	const struct tside *s[2] = { as_shares(emu), as_shares(hw) };
	double *boot[2] = { NULL, NULL }, *scratch = xmalloc(B * sizeof(double));
	int rc = 0;

	for (int j = 0; j < 2 && !rc; j++) {
		if (s[j]->n < 2)
			continue;
		boot[j] = xmalloc(B * K * sizeof(double));
		if (tside__boot(t, (struct tside *)s[j], j, boot[j]))
			rc = error("%s: no memory for the bootstrap of %s", t->e->path, t->w->name);
	}
	for (size_t k = 0; k < K && !rc; k++)
		rc = write_share(t, s, (const double *const *)boot, k, tid[k], scratch);
	for (int j = 0; j < 2; j++) {
		tside__free((struct tside *)s[j]);
		free(boot[j]);
	}
	free(scratch);
	return rc;
}

/* ---- the whole run: thread_metric ------------------------------------------- */

/* A workload's thread_metric rows of ok runs. */
struct trow {
	int64_t run;
	int platform, thread;
	char *metric;
	double value;
};

static int read_thread_metrics(struct tctx *t, struct trow **out, size_t *n)
{
	sqlite3_stmt *st;
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(t->e->db,
			       "SELECT r.id, r.platform, m.thread, m.metric, m.value FROM run r"
			       " JOIN thread_metric m ON m.run_id = r.id WHERE r.workload_id = ?1 AND r.status = 'ok'"
			       " ORDER BY r.id, m.thread",
			       -1, &st, NULL) != SQLITE_OK)
		return error("%s: reading thread_metric: %s", t->e->path, sqlite3_errmsg(t->e->db));
	sqlite3_bind_int64(st, 1, t->w->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			*out = xrealloc(*out, alloc * sizeof(**out));
		}
		(*out)[*n].run = sqlite3_column_int64(st, 0);
		(*out)[*n].platform = platform__parse((const char *)sqlite3_column_text(st, 1));
		(*out)[*n].thread = sqlite3_column_int(st, 2);
		(*out)[*n].metric = xstrdup((const char *)sqlite3_column_text(st, 3));
		(*out)[*n].value = sqlite3_column_double(st, 4);
		(*n)++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : error("%s: reading thread_metric: %s", t->e->path, sqlite3_errmsg(t->e->db));
}

/* The runs of platform p with metric in thread_metric, per thread tid[0..K). */
static struct tside *side_of_threads(const struct trow *rows, size_t nrows, int p, const char *metric,
				     const int *tid, size_t K)
{
	struct tside *s = tside__new(p, metric, nrows, K);
	int64_t last = -1;

	for (size_t i = 0; metric && p >= 0 && i < nrows; i++) {
		size_t k = 0;

		if (rows[i].platform != p || strcmp(rows[i].metric, metric))
			continue;
		if (rows[i].run != last) {
			last = rows[i].run;
			s->n++;
		}
		while (k < K && tid[k] != rows[i].thread)
			k++;
		s->x[(s->n - 1) * K + k] = rows[i].value;
	}
	return s;
}

/* The first of the candidates that some run of platform p has in thread_metric. */
static const char *pick_metric(const struct trow *rows, size_t n, int p, const char *const *cand, size_t nc)
{
	for (size_t c = 0; c < nc; c++)
		for (size_t i = 0; cand[c] && p >= 0 && i < n; i++)
			if (rows[i].platform == p && !strcmp(rows[i].metric, cand[c]))
				return cand[c];
	return NULL;
}

int thr__whole_runs(struct tctx *t, int emu_p, int hw_p, const char *hw_metric)
{
	const char *hw_cand[] = { hw_metric, METRIC_CYCLES, METRIC_TIME_NS, METRIC_INSTRET };
	const char *emu_cand[] = { METRIC_INSNS, METRIC_QEMU_HOST_NS };
	const char *hm, *em;
	struct trow *rows;
	size_t n, K = 0;
	int *tid = NULL, rc;

	if (read_thread_metrics(t, &rows, &n))
		return -1;
	hm = pick_metric(rows, n, hw_p, hw_cand, 4);
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;

		if ((rows[i].platform != emu_p || !pick_metric(rows + i, 1, emu_p, emu_cand, 2)) &&
		    (rows[i].platform != hw_p || !hm || strcmp(rows[i].metric, hm)))
			continue;
		while (k < K && tid[k] != rows[i].thread)
			k++;
		if (k < K)
			continue;
		tid = xrealloc(tid, (K + 1) * sizeof(*tid));
		for (k = K; k > 0 && tid[k - 1] > rows[i].thread; k--)
			tid[k] = tid[k - 1];
		tid[k] = rows[i].thread;
		K++;
	}
	rc = 0;
	for (size_t q = 0; K >= 2 && q < 2 && !rc; q++) {
		struct tside *es, *hs;

		em = pick_metric(rows, n, emu_p, emu_cand + q, 1);
		if (q && !em)
			continue;
		es = side_of_threads(rows, n, emu_p, em ? em : emu_cand[q], tid, K);
		hs = side_of_threads(rows, n, hw_p, hm ? hm : hw_metric, tid, K);
		rc = thr__write_imbalance(t, NULL, es, hs, tid);
		if (!rc)
			rc = write_shares(t, es, hs, tid);
		tside__free(es);
		tside__free(hs);
	}
	for (size_t i = 0; i < n; i++)
		free(rows[i].metric);
	free(rows);
	free(tid);
	return rc;
}

