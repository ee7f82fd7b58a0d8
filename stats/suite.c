/*
 * suite.c - study-level findings across workloads (README, "Suite-level
 * findings"): does emulation order and scale the workloads of a suite as
 * hardware does?
 *
 * A unit is either the whole runs of every workload (scope 'run') or the
 * marker regions of one key and name that several workloads share (scope
 * 'region', e.g. every benchmark's start->stop). For each unit and
 * predictor (emulated instructions, QEMU host time), each workload i has a
 * mean hardware cost H_i and a mean predicted cost E_i over its runs; its
 * factor is (H_i / sum H) / (E_i / sum E): its share of the suite's hardware
 * time against its predicted share. A factor of 2 reads "under QEMU, i looks
 * 2x faster relative to the suite than on hardware". Baselines as for
 * regions: 'share' (the suite's weighted mean) and 'robust' (the weighted
 * median over the workloads, weights the predicted shares).
 *
 * Runs are the independent units: each workload's hardware and emulation
 * runs are resampled on their own (B resamples, one plan per workload and
 * side seeded from the user's seed and the workload's name, shared by every
 * unit); every statistic of a unit is computed on the same resamples:
 * factors, the robust baseline, Spearman and Kendall across workloads, and
 * the suite score, the geometric mean over workloads of
 * E_i / H_i (for QEMU host time: how many times slower QEMU runs the suite
 * than hardware). Intervals are bias-corrected percentile intervals
 * (stats__boot_ci without jackknife); p-values test "the factor lies within
 * the tolerance band" on the log scale with the bootstrap's standard error;
 * Benjamini-Hochberg runs over every suite row of the study. Verdicts follow
 * findings.c: flagged when the CI lies outside [1/t, t] and p_adj < alpha,
 * a share verdict demoted when its robust twin disagrees, and a comparison
 * that cannot differ (a single workload, a zero-width interval) is
 * inconclusive and marked not informative.
 *
 * suite_load.c gathers each unit's runs, suite_calc.c computes the rows and
 * summaries; this file judges and writes them.
 */
#include "suite.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- verdicts ------------------------------------------------------------- */

enum sverdict { SV_AGREES, SV_UNDER, SV_OVER, SV_INCONCLUSIVE };
static const char *const sverdict_name[] = { "agrees", "underestimates", "overestimates", "inconclusive" };

static enum sverdict sjudge(const struct srow *r, double t, double alpha)
{
	if (r->not_informative || !isfinite(r->lo) || !isfinite(r->p_adj))
		return SV_INCONCLUSIVE;
	if ((r->lo > t || r->hi < 1 / t) && r->p_adj < alpha)
		return r->factor > 1 ? SV_UNDER : SV_OVER;
	if (r->lo >= 1 / t && r->hi <= t)
		return SV_AGREES;
	return SV_INCONCLUSIVE;
}

/* "looks 2.1x [1.9, 2.3] faster" / "looks 1.5x [1.3, 1.8] slower" */
static void looks(char *buf, size_t n, double f, double lo, double hi)
{
	if (f >= 1)
		snprintf(buf, n, "looks %.3gx [%.3g, %.3g] faster", f, lo, hi);
	else
		snprintf(buf, n, "looks %.3gx [%.3g, %.3g] slower", 1 / f, 1 / hi, 1 / lo);
}

static void sreason(char *buf, size_t n, const struct srow *r, enum sverdict v, int demoted, double t)
{
	const char *under = r->q == SQ_INSNS ? "under QEMU's instruction count" : "under QEMU";
	const char *rel = r->baseline == BASE_SHARE ? "relative to the suite" : "relative to the suite's median workload";
	char l[96];

	if (r->not_informative) {
		snprintf(buf, n, !strcmp(r->not_informative, "whole_suite")
			 ? "not informative: the only workload of its suite with both sides measured holds all"
			   " of the suite's cost by construction"
			 : "not informative: identical costs in every run give a zero-width interval");
		return;
	}
	if (!isfinite(r->lo)) {
		snprintf(buf, n, "degenerate bootstrap distribution; %d emulation and %d hardware runs", r->n_emu,
			 r->n_hw);
		return;
	}
	looks(l, sizeof(l), r->factor, r->lo, r->hi);
	snprintf(buf, n, "%s, %s %s %s than on hardware (%.3g%% of the suite's hardware time, %.3g%% predicted)%s; "
		 "%d workloads, %d emulation and %d hardware runs",
		 under, r->wname, l, rel, 100 * r->hw_share, 100 * r->pred_share,
		 demoted ? "; not flagged: its robust factor stays within the tolerance"
		 : v == SV_AGREES ? "; within the tolerance"
		 : v == SV_INCONCLUSIVE && (r->lo > t || r->hi < 1 / t) ? "; outside the tolerance but not significant after BH"
		 : v == SV_INCONCLUSIVE ? "; the interval straddles the tolerance band" : "",
		 r->workloads, r->n_emu, r->n_hw);
}

static int write_rows(struct suite_calc *c)
{
	struct engine *e = c->e;
	double t = e->o->tolerance, alpha = 1 - e->o->confidence;
	double *p = xmalloc((c->n ? c->n : 1) * 2 * sizeof(double)), *adj = p + (c->n ? c->n : 1);
	sqlite3_stmt *st;
	int ret = 0;

	for (size_t i = 0; i < c->n; i++)
		p[i] = c->row[i].not_informative ? NAN : c->row[i].p;
	stats__bh_adjust(p, c->n, adj);
	for (size_t i = 0; i < c->n; i++)
		c->row[i].p_adj = adj[i];
	if (sqlite3_prepare_v2(e->db,
			       "INSERT INTO suite_finding (scope, unit, workload_id, region_id, metric, predictor,"
			       " baseline, factor, ci_lo, ci_hi, p_value, p_adj, verdict, reason, hw_share, pred_share,"
			       " n_emu, n_hw, workloads, informative, not_informative, severity)"
			       " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22)",
			       -1, &st, NULL) != SQLITE_OK) {
		free(p);
		return error("%s: writing suite findings: %s", e->path, sqlite3_errmsg(e->db));
	}
	for (size_t i = 0; i < c->n && !ret; i++) {
		const struct srow *r = &c->row[i];
		/* rows come in pairs: share, then its robust twin */
		const struct srow *twin = r->baseline == BASE_SHARE ? r + 1 : NULL;
		enum sverdict v = sjudge(r, t, alpha);
		int demoted = 0;
		char why[512];
		double sev = log(r->lo / t) > log(1 / (t * r->hi)) ? log(r->lo / t) : log(1 / (t * r->hi));

		if ((v == SV_UNDER || v == SV_OVER) && twin && sjudge(twin, t, alpha) != v) {
			v = SV_INCONCLUSIVE;
			demoted = 1;
		}
		if (v == SV_UNDER || v == SV_OVER)
			e->sum->suite_flagged++;
		sreason(why, sizeof(why), r, v, demoted, t);
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, r->scope, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->unit, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, r->wid);
		if (r->region_id)
			sqlite3_bind_int64(st, 4, r->region_id);
		else
			sqlite3_bind_null(st, 4);
		sqlite3_bind_text(st, 5, METRIC_TIME_NS, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, suite__predictor[r->q], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, r->baseline == BASE_SHARE ? "share" : "robust", -1, SQLITE_STATIC);
		{
			double x[5] = { r->factor, r->lo, r->hi, r->p, r->p_adj };

			for (int j = 0; j < 5; j++)
				if (isfinite(x[j]))
					sqlite3_bind_double(st, 8 + j, x[j]);
				else
					sqlite3_bind_null(st, 8 + j);
		}
		sqlite3_bind_text(st, 13, sverdict_name[v], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 14, why, -1, SQLITE_TRANSIENT);
		sqlite3_bind_double(st, 15, r->hw_share);
		sqlite3_bind_double(st, 16, r->pred_share);
		sqlite3_bind_int(st, 17, r->n_emu);
		sqlite3_bind_int(st, 18, r->n_hw);
		sqlite3_bind_int(st, 19, r->workloads);
		sqlite3_bind_int(st, 20, !r->not_informative);
		sqlite3_bind_text(st, 21, r->not_informative, -1, SQLITE_STATIC);
		if (isfinite(sev) && !r->not_informative)
			sqlite3_bind_double(st, 22, sev);
		else
			sqlite3_bind_null(st, 22);
		if (sqlite3_step(st) != SQLITE_DONE)
			ret = error("%s: writing suite findings: %s", e->path, sqlite3_errmsg(e->db));
	}
	sqlite3_finalize(st);
	free(p);
	return ret;
}

int engine__suite(struct engine *e)
{
	struct suite_calc c = { .e = e };
	struct suite_unit *units = NULL;
	size_t nunits = 0, cap = 0;
	sqlite3_stmt *ins = NULL;
	int ret = -1;
	int64_t t0 = now_ns();

	if (sqlite3_exec(e->db, "DELETE FROM suite_finding; DELETE FROM suite_summary;", NULL, NULL, NULL) !=
		    SQLITE_OK ||
	    sqlite3_prepare_v2(e->db,
			       "INSERT INTO suite_summary (scope, unit, predictor, metric, workloads, spearman,"
			       " spearman_lo, spearman_hi, kendall, kendall_lo, kendall_hi, score, score_lo, score_hi)"
			       " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)",
			       -1, &ins, NULL) != SQLITE_OK) {
		error("%s: not a store with suite tables (%s)", e->path, sqlite3_errmsg(e->db));
		goto out;
	}
	/* bench/stats-scale times stats without this phase, against a store
	 * that holds no suite results rather than stale ones */
	if (e->o->no_suite) {
		ret = 0;
		goto out;
	}
	/* a store without workloads: engine__suite_take never ran */
	if (!e->suite) {
		e->suite = xcalloc(1, sizeof(*e->suite));
		if (suite__region_units(e, e->suite))
			goto out;
	}
	/* the whole-run unit first, then the region units (taken over) */
	if (suite__whole_run(e, &units, &nunits, &cap))
		goto out;
	for (size_t i = 0; i < e->suite->nunits; i++) {
		if (nunits == cap) {
			cap = cap ? 2 * cap : 8;
			units = xrealloc(units, cap * sizeof(*units));
		}
		units[nunits++] = e->suite->units[i];
	}
	e->suite->nunits = 0;
	if (suite__compute(&c, units, nunits, ins))
		goto out;
	if (write_rows(&c) ||
	    sqlite3_exec(e->db,
			 "UPDATE suite_summary SET flagged = (SELECT count(DISTINCT f.workload_id) FROM suite_finding f"
			 " WHERE f.scope = suite_summary.scope AND f.unit = suite_summary.unit"
			 " AND f.predictor = suite_summary.predictor"
			 " AND f.verdict IN ('underestimates', 'overestimates'))",
			 NULL, NULL, NULL) != SQLITE_OK) {
		error("%s: writing suite summary: %s", e->path, sqlite3_errmsg(e->db));
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(ins);
	suite__free_units(units, nunits);
	suite_calc__free(&c);
	engine__suite_free(e);
	if (!e->o->no_suite)
		e->sum->suite_ns += now_ns() - t0;
	return ret;
}
