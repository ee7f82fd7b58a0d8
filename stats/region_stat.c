/* region_stat.c - per region, platform and metric summaries across invocations, and warm-up. */
#include "engine.h"
#include "common.h"

#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- region_stat and warm-up ------------------------------------------- */

struct occurrence {
	const char *key; /* "m:a->b#n", "m:a->b#n@t<k>" */
	size_t pair_len, n, region;
	int thread; /* a thread's occurrences are a sequence of their own */
};

static int occurrence_cmp(const void *a, const void *b)
{
	const struct occurrence *x = a, *y = b;
	size_t l = x->pair_len < y->pair_len ? x->pair_len : y->pair_len;
	int c = memcmp(x->key, y->key, l);

	if (c)
		return c;
	if (x->pair_len != y->pair_len)
		return x->pair_len < y->pair_len ? -1 : 1;
	if (x->thread != y->thread)
		return x->thread < y->thread ? -1 : 1;
	return (x->n > y->n) - (x->n < y->n);
}

/*
 * warm[(p * nmetrics + m) * nregions + r] = steady-state start index for the
 * #1 region of a repeated marker pair, 0 when not judged. Per run stats__warmup(), then
 * the median over runs (ok and warmup runs of that platform).
 */
static size_t *warmup_compute(const struct workload_data *w, double confidence)
{
	size_t cells = (size_t)PLAT_COUNT * w->nmetrics * w->nregions;
	size_t *warm = xcalloc(cells ? cells : 1, sizeof(*warm));
	struct occurrence *occ = xmalloc((w->nregions ? w->nregions : 1) * sizeof(*occ));
	double *seq = NULL, *starts = NULL;
	size_t nocc = 0;

	for (size_t r = 0; r < w->nregions; r++) {
		const char *k = w->region_key[r], *hash;

		if (!region_key__is(k, REGION_KEY_MARK) || !(hash = strrchr(k, '#')))
			continue;
		occ[nocc].thread = region_key__thread(k, NULL);
		occ[nocc].key = k;
		occ[nocc].pair_len = (size_t)(hash - k);
		occ[nocc].n = strtoul(hash + 1, NULL, 10);
		occ[nocc++].region = r;
	}
	qsort(occ, nocc, sizeof(*occ), occurrence_cmp);
	seq = xmalloc((nocc ? nocc : 1) * sizeof(*seq));
	starts = xmalloc((w->nruns ? w->nruns : 1) * sizeof(*starts));
	for (size_t g = 0; g < nocc;) {
		size_t e = g;

		while (e < nocc && occ[e].pair_len == occ[g].pair_len && occ[e].thread == occ[g].thread &&
		       !memcmp(occ[e].key, occ[g].key, occ[g].pair_len))
			e++;
		if (e - g >= 4 && occ[g].n == 1) {
			for (int p = 0; p < PLAT_COUNT; p++) {
				for (size_t m = 0; m < w->nmetrics; m++) {
					size_t ns = 0;

					for (size_t i = 0; i < w->nruns; i++) {
						size_t len = 0, s;

						if (w->run[i].platform != p || (w->run[i].status != RUN_OK && w->run[i].status != RUN_WARMUP))
							continue;
						/* consecutive occurrences #1, #2, ... of this run */
						for (size_t j = g; j < e && occ[j].n == j - g + 1; j++) {
							double v = workload_data__get(w, (int)m, i, occ[j].region);

							if (isnan(v))
								break;
							seq[len++] = v;
						}
						s = stats__warmup(seq, len, confidence);
						if (s)
							starts[ns++] = (double)s;
					}
					if (ns)
						warm[((size_t)p * w->nmetrics + m) * w->nregions + occ[g].region] =
							(size_t)ceil(gsl_stats_median(starts, 1, ns));
				}
			}
		}
		g = e;
	}
	free(seq);
	free(starts);
	free(occ);
	return warm;
}

/* The summaries of every (platform, metric, region) cell, computed in
 * parallel over regions before the serial writing. */
struct describe_job {
	const struct workload_data *w;
	const int *plats; /* platforms with ok runs */
	int np;
	double confidence;
	struct describe *d; /* [(k * nmetrics + m) * nregions + r] */
};

static void describe_chunk(void *ctx, size_t lo, size_t hi)
{
	struct describe_job *j = ctx;
	const struct workload_data *w = j->w;
	double *v = xmalloc((w->nruns ? w->nruns : 1) * sizeof(*v));

	for (size_t r = lo; r < hi; r++) {
		for (int k = 0; k < j->np; k++) {
			for (size_t m = 0; m < w->nmetrics; m++) {
				size_t n = 0;

				for (size_t i = 0; i < w->nruns; i++)
					if (w->run[i].platform == j->plats[k] && w->run[i].status == RUN_OK)
						v[n++] = workload_data__get(w, (int)m, i, r);
				stats__describe(v, n, j->confidence,
						&j->d[((size_t)k * w->nmetrics + m) * w->nregions + r]);
			}
		}
	}
	free(v);
}

int region_stat__write(struct engine *e, const struct workload_data *w, int hw_platform,
			      int hw_metric, size_t *hw_outliers)
{
	sqlite3_stmt *st = e->ins_region_stat;
	size_t *warm = warmup_compute(w, e->o->confidence);
	int plats[PLAT_COUNT], np = 0, ret = 0;
	struct describe_job j;

	for (int p = 0; p < PLAT_COUNT; p++) {
		size_t nok = 0;

		for (size_t i = 0; i < w->nruns; i++)
			nok += w->run[i].platform == p && w->run[i].status == RUN_OK;
		if (nok)
			plats[np++] = p;
	}
	j = (struct describe_job){ w, plats, np, e->o->confidence,
				   xmalloc(((size_t)np * w->nmetrics * w->nregions + 1) * sizeof(struct describe)) };
	parallel__for(w->nregions, e->threads, describe_chunk, &j);
	/* region by region: the rows then arrive near their primary key's order */
	for (size_t r = 0; r < w->nregions && !ret; r++) {
		for (int k = 0; k < np && !ret; k++) {
			int p = plats[k];

			for (size_t m = 0; m < w->nmetrics; m++) {
				struct describe d = j.d[((size_t)k * w->nmetrics + m) * w->nregions + r];
				size_t wu;

				if (d.n == 0)
					continue;
				if (p == hw_platform && (int)m == hw_metric)
					hw_outliers[r] = d.outliers;
				wu = warm[((size_t)p * w->nmetrics + m) * w->nregions + r];
				sqlite3_reset(st);
				sqlite3_bind_int64(st, 1, w->region_id[r]);
				sqlite3_bind_text(st, 2, platform__name(p), -1, SQLITE_STATIC);
				sqlite3_bind_text(st, 3, w->metric[m], -1, SQLITE_STATIC);
				sqlite3_bind_int64(st, 4, (int64_t)d.n);
				sqlite3_bind_double(st, 5, d.mean);
				sqlite3_bind_double(st, 6, d.median);
#define BIND_REAL(i, x) (isfinite(x) ? sqlite3_bind_double(st, i, x) : sqlite3_bind_null(st, i))
				BIND_REAL(7, d.sd);
				BIND_REAL(8, d.cv);
				BIND_REAL(9, d.ci_lo);
				BIND_REAL(10, d.ci_hi);
#undef BIND_REAL
				if (wu)
					sqlite3_bind_int64(st, 11, (int64_t)wu);
				else
					sqlite3_bind_null(st, 11);
				sqlite3_bind_int64(st, 12, (int64_t)d.outliers);
				if (sqlite3_step(st) != SQLITE_DONE) {
					ret = error("%s: writing region_stat: %s", e->path, sqlite3_errmsg(e->db));
					break;
				}
			}
		}
	}
	free(warm);
	free(j.d);
	return ret;
}
