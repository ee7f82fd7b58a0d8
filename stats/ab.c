/*
 * ab.c - A/B comparisons declared in ab_pair: does emulation reach the same
 * conclusion about "A is faster than B" as hardware?
 *
 * ratio = mean whole-run cost of A / mean whole-run cost of B (> 1: A is
 * slower), on emulation (instructions, and QEMU host time) and on hardware,
 * each with a BCa bootstrap CI over invocations. Verdicts: flip when the two
 * CIs lie on opposite sides of 1, magnitude when they do not overlap,
 * agrees when they overlap, inconclusive without enough runs.
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

/* whole-run cost per ok run: run_metric, else the sum over marker regions */
static double *run_costs(sqlite3 *db, int64_t wid, int platform, const char *metric, size_t *n,
			 int *missing)
{
	sqlite3_stmt *st;
	double *v = NULL;
	size_t alloc = 0;

	*n = 0;
	*missing = 0;
	if (platform < 0)
		return NULL;
	if (sqlite3_prepare_v2(db,
			       "SELECT (SELECT value FROM run_metric WHERE run_id = r.id AND metric = ?3),"
			       " (SELECT sum(rm.value) FROM region_metric rm JOIN region g ON g.id = rm.region_id"
			       "  WHERE rm.run_id = r.id AND rm.metric = ?3 AND g.key LIKE 'm:%')"
			       " FROM run r WHERE r.workload_id = ?1 AND r.platform = ?2 AND r.status = 'ok'"
			       " ORDER BY r.id",
			       -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(st, 1, wid);
	sqlite3_bind_text(st, 2, platform__name(platform), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, metric, -1, SQLITE_STATIC);
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

static int compare(struct engine *e, sqlite3_stmt *ins, const char *pair, const struct side *a,
		   const struct side *b, const char *emu_metric, const char *hw_metric)
{
	size_t nae, nbe, nah, nbh;
	int ma, mb, mc, md, ok_e, ok_h;
	double *ae = run_costs(e->db, a->workload_id, a->emu_p, emu_metric, &nae, &ma);
	double *be = run_costs(e->db, b->workload_id, b->emu_p, emu_metric, &nbe, &mb);
	double *ah = run_costs(e->db, a->workload_id, a->hw_p, hw_metric, &nah, &mc);
	double *bh = run_costs(e->db, b->workload_id, b->hw_p, hw_metric, &nbh, &md);
	double re, rh;
	struct boot_ci ce, ch;
	char stream[128], es[96], hs[96], reason[512];
	const char *verdict;
	int ret = 0;

	if (!nae && !nbe && !nah && !nbh)
		goto out; /* this emulation metric is not in the store at all */
	snprintf(stream, sizeof(stream), "ab:emu:%s", emu_metric);
	ok_e = !stats__ratio_ci(ae, nae, be, nbe, e->o->resamples, engine__seed(e->o->seed, pair, stream),
				e->o->confidence, &re, &ce);
	snprintf(stream, sizeof(stream), "ab:hw:%s", hw_metric);
	ok_h = !stats__ratio_ci(ah, nah, bh, nbh, e->o->resamples, engine__seed(e->o->seed, pair, stream),
				e->o->confidence, &rh, &ch);
	fmt_ci(es, sizeof(es), re, &ce);
	fmt_ci(hs, sizeof(hs), rh, &ch);
	if (!ok_e || !ok_h) {
		verdict = "inconclusive";
		snprintf(reason, sizeof(reason),
			 "needs at least 2 ok runs per side: %s %zu/%zu on emulation, %zu/%zu on hardware",
			 emu_metric, nae, nbe, nah, nbh);
	} else if ((ce.bca_hi < 1 && ch.bca_lo > 1) || (ce.bca_lo > 1 && ch.bca_hi < 1)) {
		verdict = "flip";
		e->sum->flips++;
		snprintf(reason, sizeof(reason),
			 "conclusion flips: '%s' costs %s of '%s' under emulation (%s) but %s on hardware (%s)",
			 a->name, es, b->name, emu_metric, hs, hw_metric);
	} else if (ce.bca_hi < ch.bca_lo || ch.bca_hi < ce.bca_lo) {
		verdict = "magnitude";
		snprintf(reason, sizeof(reason),
			 "same direction, different size: '%s' costs %s of '%s' under emulation (%s) but %s on hardware (%s)",
			 a->name, es, b->name, emu_metric, hs, hw_metric);
	} else {
		verdict = "agrees";
		snprintf(reason, sizeof(reason), "'%s' costs %s of '%s' under emulation (%s) and %s on hardware (%s)",
			 a->name, es, b->name, emu_metric, hs, hw_metric);
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

/* cycles only when every ok hardware run of both sides has them */
static const char *ab_hw_metric(struct engine *e, const struct side *a, const struct side *b)
{
	size_t n;
	int missing;
	const struct side *s[2] = { a, b };

	if (e->o->metric)
		return e->o->metric;
	for (int k = 0; k < 2; k++) {
		double *v = run_costs(e->db, s[k]->workload_id, s[k]->hw_p, "cycles", &n, &missing);

		free(v);
		if (!n || missing)
			return "time_ns";
	}
	return "cycles";
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
			       " VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
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
		if (compare(e, ins, pair, &s[0], &s[1], "insns", hw_metric) ||
		    compare(e, ins, pair, &s[0], &s[1], "qemu_host_ns", hw_metric))
			goto out;
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
