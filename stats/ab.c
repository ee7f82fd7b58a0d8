/*
 * ab.c - A/B comparisons declared in ab_pair: does emulation reach the same
 * conclusion about "A is faster than B" as hardware?
 *
 * ratio = mean whole-run cost of A / mean whole-run cost of B (> 1: A is
 * slower), on emulation (instructions, and QEMU host time) and on hardware,
 * each with a BCa bootstrap CI over invocations. Verdicts: flip when the two
 * CIs lie on opposite sides of 1, magnitude when they do not overlap,
 * agrees when they overlap, inconclusive without enough runs.
 *
 * The same, per common region: marker regions are matched by their markers'
 * names (the same phase in a unikernel and a Linux variant, whatever their
 * ids), unnamed ones by their keys; each match gets its own rows with
 * region_key set (A's key), from the region's cost in each ok run. A pair
 * whose regions share marker ids under different names is refused region by
 * region (a warning names both); workloads without marker regions are
 * matched by symbol.
 *
 * Servers (their runs hold the driver's requests_per_s) are also compared by
 * their throughput, as cost per request: B's requests per second over A's.
 */
#include "engine.h"
#include "common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct side {
	int64_t workload_id;
	const char *name;
	int emu_p, hw_p;
};

static int64_t workload_id(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st;
	int64_t id = -1;

	if (sqlite3_prepare_v2(db, "SELECT id FROM workload WHERE name = ?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

/* the platform of the kind asked with the most ok runs of the workload */
static int busiest_platform(sqlite3 *db, int64_t wid, int emu)
{
	sqlite3_stmt *st;
	int best = -1, best_n = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT platform, count(*) FROM run WHERE workload_id = ?1 AND status = 'ok' "
			       "GROUP BY platform ORDER BY platform",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, wid);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int p = platform__parse((const char *)sqlite3_column_text(st, 0));
		int n = sqlite3_column_int(st, 1);

		if (p >= 0 && platform__is_emu(p) == emu && (n > best_n || (n == best_n && p < best))) {
			best = p;
			best_n = n;
		}
	}
	sqlite3_finalize(st);
	return best;
}

/* region_metric is reached by run (its primary key's prefix; the table has
 * no index on region_id): ?1 workload, ?2 platform, ?3 metric, ?4 region key. */
const char ab__region_costs_sql[] =
	"SELECT rm.value, NULL FROM run r JOIN region g ON g.workload_id = r.workload_id AND g.key = ?4"
	" LEFT JOIN region_metric rm ON rm.run_id = r.id AND rm.region_id = g.id AND rm.metric = ?3"
	" WHERE r.workload_id = ?1 AND r.platform = ?2 AND r.status = 'ok' ORDER BY r.id";
const char ab__run_costs_sql[] =
	"SELECT (SELECT value FROM run_metric WHERE run_id = r.id AND metric = ?3),"
	" (SELECT sum(rm.value) FROM region_metric rm JOIN region g ON g.id = rm.region_id"
	"  WHERE rm.run_id = r.id AND rm.metric = ?3 AND g.key LIKE '" REGION_KEY_MARK "%')"
	" FROM run r WHERE r.workload_id = ?1 AND r.platform = ?2 AND r.status = 'ok'"
	" ORDER BY r.id";

/*
 * Cost per ok run: with key NULL the whole run's (run_metric, else the sum
 * over marker regions), else the cost of the region with that key. Runs
 * without a value are counted in *missing.
 */
static double *run_costs(sqlite3 *db, int64_t wid, int platform, const char *metric, const char *key,
			 size_t *n, int *missing)
{
	sqlite3_stmt *st;
	double *v = NULL;
	size_t alloc = 0;
	const char *sql = key ? ab__region_costs_sql : ab__run_costs_sql;

	*n = 0;
	*missing = 0;
	if (platform < 0)
		return NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(st, 1, wid);
	sqlite3_bind_text(st, 2, platform__name(platform), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, metric, -1, SQLITE_STATIC);
	if (key)
		sqlite3_bind_text(st, 4, key, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int col = sqlite3_column_type(st, 0) != SQLITE_NULL ? 0 : 1;

		if (sqlite3_column_type(st, col) == SQLITE_NULL) {
			(*missing)++;
			continue;
		}
		if (*n == alloc) {
			alloc = alloc ? 2 * alloc : 32;
			v = xrealloc(v, alloc * sizeof(*v));
		}
		v[(*n)++] = sqlite3_column_double(st, col);
	}
	sqlite3_finalize(st);
	return v;
}

static void fmt_ci(char *buf, size_t n, double r, const struct boot_ci *ci)
{
	snprintf(buf, n, "%.3gx, CI %.3g-%.3g", r, ci->bca_lo, ci->bca_hi);
}

/*
 * The resample plans shared by the common regions of a pair: [0] emulation,
 * [1] hardware runs; [k][0] side A, [k][1] side B, sized by the ok runs of
 * that side. Like the regions of one workload in the engine, the regions of
 * one run are resampled together; drawing a plan per region made 1000 common
 * regions cost seconds of random numbers. A region missing from some runs
 * draws its own plans.
 */
struct pair_plans {
	struct boot_plan p[2][2];
	int ready[2]; /* 0: not drawn yet, 1: drawn, -1: cannot */
};

static size_t ok_runs(sqlite3 *db, int64_t wid, int platform)
{
	sqlite3_stmt *st;
	size_t n = 0;

	if (platform < 0 || sqlite3_prepare_v2(db, "SELECT count(*) FROM run WHERE workload_id = ?1 AND"
						   " platform = ?2 AND status = 'ok'", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, wid);
	sqlite3_bind_text(st, 2, platform__name(platform), -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void pair_plans__free(struct pair_plans *pp)
{
	for (int k = 0; k < 2; k++)
		if (pp->ready[k] == 1)
			for (int s = 0; s < 2; s++)
				boot_plan__free(&pp->p[k][s]);
}

/* ratio CI of one region: the pair's plans when the sizes fit, else its own stream */
static int region_ratio(struct engine *e, struct pair_plans *pp, int kind, const struct side *a,
			const struct side *b, const double *x, size_t nx, const double *y, size_t ny,
			const char *pair, const char *stream, double *r, struct boot_ci *ci)
{
	if (!pp->ready[kind]) {
		size_t na = ok_runs(e->db, a->workload_id, kind ? a->hw_p : a->emu_p);
		size_t nb = ok_runs(e->db, b->workload_id, kind ? b->hw_p : b->emu_p);
		unsigned long seed = engine__seed(e->o->seed, pair, kind ? "ab:regions:hw" : "ab:regions:emu");

		pp->ready[kind] = -1;
		if (na >= 2 && nb >= 2 && !boot_plan__init(&pp->p[kind][0], e->o->resamples, na, seed)) {
			if (!boot_plan__init(&pp->p[kind][1], e->o->resamples, nb, seed * 2654435761UL + 0x9e3779b9UL))
				pp->ready[kind] = 1;
			else
				boot_plan__free(&pp->p[kind][0]);
		}
	}
	if (pp->ready[kind] == 1 && pp->p[kind][0].n == nx && pp->p[kind][1].n == ny)
		return stats__ratio_ci_plans(x, nx, y, ny, &pp->p[kind][0], &pp->p[kind][1], e->o->confidence, r,
					     ci);
	return stats__ratio_ci(x, nx, y, ny, e->o->resamples, engine__seed(e->o->seed, pair, stream),
			       e->o->confidence, r, ci);
}

/* one ab_compare row: the whole run (keys NULL, pp NULL) or the region key of
 * A matched to key_b of B. per_request: the metrics are a throughput
 * (requests_per_s of a server), so the cost of A against B is B's throughput
 * over A's, and a ratio above 1 still says A is slower. */
static int compare(struct engine *e, sqlite3_stmt *ins, const char *pair, const struct side *a,
		   const struct side *b, const char *emu_metric, const char *hw_metric, const char *key,
		   const char *key_b, struct pair_plans *pp, int per_request)
{
	size_t nae, nbe, nah, nbh;
	int ma, mb, mc, md, ok_e, ok_h;
	const struct side *xa = per_request ? b : a, *xb = per_request ? a : b;
	double *ae = run_costs(e->db, xa->workload_id, xa->emu_p, emu_metric, key, &nae, &ma);
	double *be = run_costs(e->db, xb->workload_id, xb->emu_p, emu_metric, key_b, &nbe, &mb);
	double *ah = run_costs(e->db, xa->workload_id, xa->hw_p, hw_metric, key, &nah, &mc);
	double *bh = run_costs(e->db, xb->workload_id, xb->hw_p, hw_metric, key_b, &nbh, &md);
	double re, rh;
	struct boot_ci ce, ch;
	char stream[320], es[96], hs[96], reason[768], where[256] = "";
	const char *verdict;
	int ret = 0;

	if (!nae && !nbe && !nah && !nbh)
		goto out; /* this emulation metric is not in the store at all */
	/* a region that lacks some runs draws from a stream of its own */
	snprintf(stream, sizeof(stream), "ab:emu:%s%s%s", emu_metric, key ? ":" : "", key ? key : "");
	ok_e = !(pp ? region_ratio(e, pp, 0, a, b, ae, nae, be, nbe, pair, stream, &re, &ce)
		    : stats__ratio_ci(ae, nae, be, nbe, e->o->resamples, engine__seed(e->o->seed, pair, stream),
				      e->o->confidence, &re, &ce));
	if (key && strcmp(key, key_b))
		snprintf(where, sizeof(where), "in region %s (%s of '%s'), ", key, key_b, b->name);
	else if (key)
		snprintf(where, sizeof(where), "in region %s, ", key);
	else if (per_request)
		snprintf(where, sizeof(where), "per request (the inverse of %s), ", emu_metric);
	snprintf(stream, sizeof(stream), "ab:hw:%s%s%s", hw_metric, key ? ":" : "", key ? key : "");
	ok_h = !(pp ? region_ratio(e, pp, 1, a, b, ah, nah, bh, nbh, pair, stream, &rh, &ch)
		    : stats__ratio_ci(ah, nah, bh, nbh, e->o->resamples, engine__seed(e->o->seed, pair, stream),
				      e->o->confidence, &rh, &ch));
	fmt_ci(es, sizeof(es), re, &ce);
	fmt_ci(hs, sizeof(hs), rh, &ch);
	if (!ok_e || !ok_h) {
		verdict = "inconclusive";
		snprintf(reason, sizeof(reason),
			 "%sneeds at least 2 ok runs per side: %s %zu/%zu on emulation, %zu/%zu on hardware",
			 where, emu_metric, per_request ? nbe : nae, per_request ? nae : nbe, per_request ? nbh : nah,
			 per_request ? nah : nbh);
	} else if ((ce.bca_hi < 1 && ch.bca_lo > 1) || (ce.bca_lo > 1 && ch.bca_hi < 1)) {
		verdict = "flip";
		if (key)
			e->sum->region_flips++;
		else
			e->sum->flips++;
		snprintf(reason, sizeof(reason),
			 "%sconclusion flips: '%s' costs %s of '%s' under emulation (%s) but %s on hardware (%s)",
			 where, a->name, es, b->name, emu_metric, hs, hw_metric);
	} else if (ce.bca_hi < ch.bca_lo || ch.bca_hi < ce.bca_lo) {
		verdict = "magnitude";
		snprintf(reason, sizeof(reason),
			 "%ssame direction, different size: '%s' costs %s of '%s' under emulation (%s) but %s on hardware (%s)",
			 where, a->name, es, b->name, emu_metric, hs, hw_metric);
	} else {
		verdict = "agrees";
		snprintf(reason, sizeof(reason), "%s'%s' costs %s of '%s' under emulation (%s) and %s on hardware (%s)",
			 where, a->name, es, b->name, emu_metric, hs, hw_metric);
	}
	if (ma || mb || mc || md) {
		size_t len = strlen(reason);

		snprintf(reason + len, sizeof(reason) - len, "; %d ok runs lacked the metric",
			 ma + mb + mc + md);
	}
	sqlite3_reset(ins);
	sqlite3_bind_text(ins, 1, pair, -1, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 2, a->workload_id);
	sqlite3_bind_int64(ins, 3, b->workload_id);
	sqlite3_bind_text(ins, 4, hw_metric, -1, SQLITE_STATIC);
	if (key)
		sqlite3_bind_text(ins, 14, key, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(ins, 14);
#define BIND_REAL(k, x) (isfinite(x) ? sqlite3_bind_double(ins, k, x) : sqlite3_bind_null(ins, k))
	BIND_REAL(5, re);
	BIND_REAL(6, ok_e ? ce.bca_lo : NAN);
	BIND_REAL(7, ok_e ? ce.bca_hi : NAN);
	BIND_REAL(8, rh);
	BIND_REAL(9, ok_h ? ch.bca_lo : NAN);
	BIND_REAL(10, ok_h ? ch.bca_hi : NAN);
#undef BIND_REAL
	sqlite3_bind_text(ins, 11, verdict, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 12, reason, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(ins, 13, emu_metric, -1, SQLITE_STATIC);
	if (sqlite3_step(ins) != SQLITE_DONE)
		ret = error("%s: writing ab_compare: %s", e->path, sqlite3_errmsg(e->db));
out:
	free(ae);
	free(be);
	free(ah);
	free(bh);
	return ret;
}

/* A marker region of one side: its key, and its name key "FROM->TO#n" by
 * its markers' names, "@t<k>" appended for thread k > 0 (NULL when its first
 * marker has no name; TO "?" when the second's is not known). */
struct mregion {
	char *key, *name, *nk;
	int from, to;
	unsigned occ;
};

static void mregions__free(struct mregion *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].key);
		free(r[i].name);
		free(r[i].nk);
	}
	free(r);
}

/* The regions of workload wid whose keys start with prefix, sorted by key;
 * marker regions get their name keys. */
static struct mregion *load_regions(sqlite3 *db, int64_t wid, const char *prefix, size_t *n)
{
	sqlite3_stmt *st;
	struct mregion *r = NULL;
	size_t alloc = 0;

	*n = 0;
	if (sqlite3_prepare_v2(db, "SELECT key, name FROM region WHERE workload_id = ?1 AND substr(key, 1, length(?2)) = ?2"
				   " ORDER BY key", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(st, 1, wid);
	sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);

		if (*n == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			r = xrealloc(r, alloc * sizeof(*r));
		}
		memset(&r[*n], 0, sizeof(r[*n]));
		r[*n].key = xstrdup((const char *)sqlite3_column_text(st, 0));
		r[*n].name = name ? xstrdup(name) : NULL;
		sscanf(r[*n].key, REGION_KEY_MARK "%d->%d#%u", &r[*n].from, &r[*n].to, &r[*n].occ);
		(*n)++;
	}
	sqlite3_finalize(st);
	/* a region is named after its first marker: the names of the ids */
	for (size_t i = 0; i < *n && !strcmp(prefix, REGION_KEY_MARK); i++) {
		const char *to = NULL;

		for (size_t j = 0; j < *n && !to; j++)
			if (r[j].from == r[i].to)
				to = r[j].name;
		int t = region_key__thread(r[i].key, NULL);

		/* the last marker starts no region: its name is not known here */
		if (r[i].name && t)
			r[i].nk = xasprintf("%s->%s#%u" REGION_KEY_THREAD "%d", r[i].name, to ? to : "?", r[i].occ, t);
		else if (r[i].name)
			r[i].nk = xasprintf("%s->%s#%u", r[i].name, to ? to : "?", r[i].occ);
	}
	return r;
}

/* Which region of B each region of A is compared with: keys[2 * i] of A,
 * keys[2 * i + 1] of B. Marker regions by their markers' names, unnamed ones
 * by key; symbol regions (by name) when neither side has marker regions.
 * Regions with the same marker ids but other names refuse the pair's regions
 * (NULL, with a warning naming both). */
static char **matched_regions(struct engine *e, const char *pair, const struct side *a, const struct side *b,
			      size_t *n)
{
	size_t na, nb;
	struct mregion *ra = load_regions(e->db, a->workload_id, REGION_KEY_MARK, &na);
	struct mregion *rb = load_regions(e->db, b->workload_id, REGION_KEY_MARK, &nb);
	const char *prefix = na || nb ? NULL : REGION_KEY_SYMBOL;
	char **keys = NULL;

	*n = 0;
	if (prefix) {
		mregions__free(ra, na);
		mregions__free(rb, nb);
		ra = load_regions(e->db, a->workload_id, prefix, &na);
		rb = load_regions(e->db, b->workload_id, prefix, &nb);
	}
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			if (ra[i].nk && rb[j].nk && !strcmp(ra[i].key, rb[j].key) && strcmp(ra[i].nk, rb[j].nk)) {
				warning("%s: ab_pair '%s': regions not compared: %s is '%s' in '%s' but '%s' in '%s' "
					"(the same marker ids, other names)", e->path, pair, ra[i].key, ra[i].nk, a->name,
					rb[j].nk, b->name);
				goto out;
			}
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++) {
			int same = ra[i].nk || rb[j].nk ? ra[i].nk && rb[j].nk && !strcmp(ra[i].nk, rb[j].nk)
							 : !strcmp(ra[i].key, rb[j].key);

			if (!same)
				continue;
			keys = xrealloc(keys, (*n + 1) * 2 * sizeof(*keys));
			keys[2 * *n] = xstrdup(ra[i].key);
			keys[2 * *n + 1] = xstrdup(rb[j].key);
			(*n)++;
			break;
		}
out:
	mregions__free(ra, na);
	mregions__free(rb, nb);
	return keys;
}

/* cycles only when every ok hardware run of both sides has them */
static const char *ab_hw_metric(struct engine *e, const struct side *a, const struct side *b)
{
	size_t n;
	int missing;
	const struct side *s[2] = { a, b };

	if (e->o->metric)
		return e->o->metric;
	for (int k = 0; k < 2; k++) {
		double *v = run_costs(e->db, s[k]->workload_id, s[k]->hw_p, METRIC_CYCLES, NULL, &n, &missing);

		free(v);
		if (!n || missing)
			return METRIC_TIME_NS;
	}
	return METRIC_CYCLES;
}

int engine__ab(struct engine *e)
{
	sqlite3_stmt *st = NULL, *ins = NULL;
	int ret = -1, rc;

	if (sqlite3_prepare_v2(e->db,
			       "SELECT name, a_workload, b_workload, a_platform, b_platform FROM ab_pair ORDER BY name",
			       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(e->db,
			       "INSERT INTO ab_compare (name, a_workload_id, b_workload_id, region_key, metric,"
			       " emu_ratio, emu_lo, emu_hi, hw_ratio, hw_lo, hw_hi, verdict, reason, emu_metric)"
			       " VALUES (?1, ?2, ?3, ?14, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
			       -1, &ins, NULL) != SQLITE_OK) {
		error("%s: reading ab_pair: %s", e->path, sqlite3_errmsg(e->db));
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *pair = (const char *)sqlite3_column_text(st, 0);
		struct side s[2] = { { -1, NULL, -1, -1 }, { -1, NULL, -1, -1 } };
		const char *hw_metric;

		for (int k = 0; k < 2; k++) {
			const char *plat = (const char *)sqlite3_column_text(st, 3 + k);
			int p = platform__parse(plat);

			s[k].name = (const char *)sqlite3_column_text(st, 1 + k);
			if (!s[k].name)
				s[k].name = "";
			s[k].workload_id = workload_id(e->db, s[k].name);
			if (plat && p < 0) {
				error("%s: ab_pair '%s': unknown platform '%s'", e->path, pair, plat);
				goto out;
			}
			if (s[k].workload_id < 0)
				break;
			/* a declared platform picks that side's emulation or hardware platform */
			s[k].emu_p = p >= 0 && platform__is_emu(p) ? p : busiest_platform(e->db, s[k].workload_id, 1);
			s[k].hw_p = p >= 0 && !platform__is_emu(p) ? p : busiest_platform(e->db, s[k].workload_id, 0);
		}
		if (s[0].workload_id < 0 || s[1].workload_id < 0) {
			warning("%s: ab_pair '%s': workload '%s' is not in the store; pair skipped", e->path,
				pair, s[s[0].workload_id < 0 ? 0 : 1].name);
			continue;
		}
		hw_metric = ab_hw_metric(e, &s[0], &s[1]);
		/* servers also by their throughput, whole runs only (docs/servers.md) */
		if (compare(e, ins, pair, &s[0], &s[1], METRIC_INSNS, hw_metric, NULL, NULL, NULL, 0) ||
		    compare(e, ins, pair, &s[0], &s[1], METRIC_QEMU_HOST_NS, hw_metric, NULL, NULL, NULL, 0) ||
		    compare(e, ins, pair, &s[0], &s[1], METRIC_REQUESTS_PER_S, METRIC_REQUESTS_PER_S, NULL, NULL, NULL,
			    1))
			goto out;
		{
			size_t nk = 0;
			char **keys = s[0].workload_id != s[1].workload_id ? matched_regions(e, pair, &s[0], &s[1], &nk)
									   : NULL;
			struct pair_plans pp = { 0 };
			int bad = 0;

			for (size_t k = 0; k < nk; k++) {
				const char *ka = keys[2 * k], *kb = keys[2 * k + 1];

				bad = bad || compare(e, ins, pair, &s[0], &s[1], METRIC_INSNS, hw_metric, ka, kb, &pp, 0) ||
				      compare(e, ins, pair, &s[0], &s[1], METRIC_QEMU_HOST_NS, hw_metric, ka, kb, &pp, 0);
				free(keys[2 * k]);
				free(keys[2 * k + 1]);
			}
			free(keys);
			pair_plans__free(&pp);
			if (bad)
				goto out;
		}
		e->sum->ab_pairs++;
	}
	if (rc != SQLITE_DONE) {
		error("%s: reading ab_pair: %s", e->path, sqlite3_errmsg(e->db));
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	sqlite3_finalize(ins);
	return ret;
}
