/*
 * latency.c - stats__latency(): for every workload, region and latency
 * metric, the quantiles of each platform's samples (latency_quantile) and,
 * for each emulation platform against each hardware platform, p50, p99 and
 * max as hardware / emulation with a bootstrap CI over runs and events, the
 * verdict of the tolerance band (as findings: > t means emulation
 * underestimates the latency) and the Kolmogorov-Smirnov test of the whole
 * distributions (latency_compare). README, "Latency".
 */
#include "engine.h"
#include "common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One platform's runs of one (workload, region, metric). */
struct plat_samples {
	int platform;
	struct latency_set s;
	double **runv;
	size_t cap;
};

struct family {
	int64_t wid;
	char *key, *metric;
	struct plat_samples p[PLAT_COUNT];
};

static void family_add(struct family *f, int platform, const void *blob, size_t bytes, size_t n)
{
	struct plat_samples *ps = &f->p[platform];
	double *v = xmalloc((n ? n : 1) * sizeof(*v));

	if (latency__unpack(blob, bytes, v, n)) {
		free(v);
		return; /* checked by the caller */
	}
	if (ps->s.runs == ps->cap) {
		ps->cap = ps->cap ? 2 * ps->cap : 8;
		ps->runv = xrealloc(ps->runv, ps->cap * sizeof(*ps->runv));
		ps->s.run_n = xrealloc(ps->s.run_n, ps->cap * sizeof(*ps->s.run_n));
	}
	latency__sort(v, n);
	ps->runv[ps->s.runs] = v;
	ps->s.run_n[ps->s.runs++] = n;
	ps->s.n += n;
}

/* Pool each platform's runs (sorted). */
static void family_pool(struct family *f)
{
	for (int p = 0; p < PLAT_COUNT; p++) {
		struct plat_samples *ps = &f->p[p];
		size_t k = 0;

		if (!ps->s.runs)
			continue;
		ps->s.run = (const double **)ps->runv;
		ps->s.pooled = xmalloc((ps->s.n ? ps->s.n : 1) * sizeof(double));
		for (size_t r = 0; r < ps->s.runs; r++) {
			memcpy(ps->s.pooled + k, ps->runv[r], ps->s.run_n[r] * sizeof(double));
			k += ps->s.run_n[r];
		}
		if (ps->s.runs > 1)
			latency__sort(ps->s.pooled, ps->s.n);
	}
}

static void family_free(struct family *f)
{
	for (int p = 0; p < PLAT_COUNT; p++) {
		for (size_t r = 0; r < f->p[p].s.runs; r++)
			free(f->p[p].runv[r]);
		free(f->p[p].runv);
		free(f->p[p].s.run_n);
		free(f->p[p].s.pooled);
	}
	free(f->key);
	free(f->metric);
	memset(f, 0, sizeof(*f));
}

static int step(sqlite3 *db, const char *path, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return error("%s: writing latency statistics: %s", path, sqlite3_errmsg(db));
	return 0;
}

static int write_quantiles(sqlite3 *db, const char *path, sqlite3_stmt *st, const struct family *f)
{
	static const double q[] = { 0, 0.5, 0.9, 0.99, 0.999, 1 };

	for (int p = 0; p < PLAT_COUNT; p++) {
		const struct latency_set *s = &f->p[p].s;
		double sum = 0;

		if (!s->runs || !s->n)
			continue;
		for (size_t i = 0; i < s->n; i++)
			sum += s->pooled[i];
		sqlite3_bind_int64(st, 1, f->wid);
		sqlite3_bind_text(st, 2, f->key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, f->metric, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, platform__name(p), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, (int64_t)s->runs);
		sqlite3_bind_int64(st, 6, (int64_t)s->n);
		for (int j = 0; j < 6; j++)
			sqlite3_bind_double(st, 7 + j, latency__quantile(s->pooled, s->n, q[j]));
		sqlite3_bind_double(st, 13, sum / (double)s->n);
		if (step(db, path, st))
			return -1;
	}
	return 0;
}

static int compare(sqlite3 *db, const char *path, sqlite3_stmt *st, const struct family *f, int pe, int ph,
		   const struct stats_options *o, unsigned long seed)
{
	static const double q[] = { 0.5, 0.99, 1 };
	static const char *const name[] = { "p50", "p99", "max" };
	const struct latency_set *e = &f->p[pe].s, *h = &f->p[ph].s;
	double lo[3], hi[3], ks_p, ks_d;

	if (!e->n || !h->n)
		return 0;
	if (latency__ratio_ci(e, h, q, 3, o->resamples, o->confidence, seed, lo, hi))
		lo[0] = lo[1] = lo[2] = hi[0] = hi[1] = hi[2] = NAN;
	ks_d = latency__ks(e->pooled, e->n, h->pooled, h->n, &ks_p);
	for (int j = 0; j < 3; j++) {
		double ve = latency__quantile(e->pooled, e->n, q[j]), vh = latency__quantile(h->pooled, h->n, q[j]);
		/* a percentile needs events beyond it on both sides */
		int usable = q[j] >= 1 || ((double)e->n * (1 - q[j]) >= 1 && (double)h->n * (1 - q[j]) >= 1);

		sqlite3_bind_int64(st, 1, f->wid);
		sqlite3_bind_text(st, 2, f->key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, f->metric, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, platform__name(pe), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, platform__name(ph), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, name[j], -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 7, ve);
		sqlite3_bind_double(st, 8, vh);
		if (ve > 0)
			sqlite3_bind_double(st, 9, vh / ve);
		else
			sqlite3_bind_null(st, 9);
		if (isfinite(lo[j]) && isfinite(hi[j])) {
			sqlite3_bind_double(st, 10, lo[j]);
			sqlite3_bind_double(st, 11, hi[j]);
		} else {
			sqlite3_bind_null(st, 10);
			sqlite3_bind_null(st, 11);
		}
		sqlite3_bind_text(st, 12, stats__band_verdict(lo[j], hi[j], o->tolerance, usable), -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 13, ks_d);
		sqlite3_bind_double(st, 14, ks_p);
		sqlite3_bind_int64(st, 15, (int64_t)e->n);
		sqlite3_bind_int64(st, 16, (int64_t)h->n);
		sqlite3_bind_int64(st, 17, (int64_t)e->runs);
		sqlite3_bind_int64(st, 18, (int64_t)h->runs);
		if (step(db, path, st))
			return -1;
	}
	return 0;
}

static int family_done(sqlite3 *db, const char *path, sqlite3_stmt *const ins[2], struct family *f,
		       const struct stats_options *o, unsigned long *seed)
{
	int ret = 0;

	if (!f->key)
		return 0;
	family_pool(f);
	ret = write_quantiles(db, path, ins[0], f);
	for (int pe = 0; pe < PLAT_COUNT && !ret; pe++)
		for (int ph = 0; ph < PLAT_COUNT && !ret; ph++)
			if (platform__is_emu(pe) && !platform__is_emu(ph) && f->p[pe].s.runs && f->p[ph].s.runs)
				ret = compare(db, path, ins[1], f, pe, ph, o, o->seed + (*seed)++);
	family_free(f);
	return ret;
}

static const char *const latency_sql[] = {
	"SELECT r.workload_id, s.region_key, s.metric, r.platform, s.n, s.samples FROM latency_sample s"
	" JOIN run r ON r.id = s.run_id WHERE r.status = 'ok'"
	" ORDER BY r.workload_id, s.region_key, s.metric, r.platform, r.id",
	"INSERT INTO latency_quantile (workload_id, region_key, metric, platform, runs, n, min, p50, p90, p99,"
	" p999, max, mean) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
	"INSERT INTO latency_compare (workload_id, region_key, metric, emu_platform, hw_platform, stat, emu, hw,"
	" factor, ci_lo, ci_hi, verdict, ks_d, ks_p, n_emu, n_hw, runs_emu, runs_hw)"
	" VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)",
};

int stats__latency(sqlite3 *db, const char *path, const struct stats_options *o)
{
	sqlite3_stmt *st[3] = { NULL, NULL, NULL };
	struct family f;
	unsigned long seed = 0;
	int rc, ret = -1;

	memset(&f, 0, sizeof(f));
	for (int i = 0; i < 3; i++)
		if (sqlite3_prepare_v2(db, latency_sql[i], -1, &st[i], NULL) != SQLITE_OK) {
			error("%s: latency statistics: %s", path, sqlite3_errmsg(db));
			goto out;
		}
	while ((rc = sqlite3_step(st[0])) == SQLITE_ROW) {
		int64_t wid = sqlite3_column_int64(st[0], 0);
		const char *key = (const char *)sqlite3_column_text(st[0], 1);
		const char *metric = (const char *)sqlite3_column_text(st[0], 2);
		int platform = platform__parse((const char *)sqlite3_column_text(st[0], 3));
		int64_t n = sqlite3_column_int64(st[0], 4);
		const void *blob = sqlite3_column_blob(st[0], 5);
		size_t bytes = (size_t)sqlite3_column_bytes(st[0], 5);

		if (platform < 0 || n < 0 || bytes != (size_t)n * sizeof(double)) {
			error("%s: latency_sample of %s %s: %lld values do not fill %zu bytes", path, key, metric,
			      (long long)n, bytes);
			goto out;
		}
		if (!f.key || f.wid != wid || strcmp(f.key, key) || strcmp(f.metric, metric)) {
			if (family_done(db, path, st + 1, &f, o, &seed))
				goto out;
			f.wid = wid;
			f.key = xstrdup(key);
			f.metric = xstrdup(metric);
		}
		family_add(&f, platform, blob, bytes, (size_t)n);
	}
	if (rc != SQLITE_DONE) {
		error("%s: reading latency samples: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	ret = family_done(db, path, st + 1, &f, o, &seed);
out:
	family_free(&f);
	for (int i = 0; i < 3; i++)
		sqlite3_finalize(st[i]);
	return ret;
}
