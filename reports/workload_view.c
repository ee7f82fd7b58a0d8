/*
 * workload_view.c - what a report shows of one workload, read from the store.
 *
 * A region's row shows its primary finding, chosen by PRIMARY_FINDING_SQL
 * (common.h) as the terminal and `emudiff show` choose it: the
 * instruction-share predictor on the workload's hardware metric against the
 * share baseline, so that factor = hardware share / instruction share holds
 * across the row. Every other finding is listed in full on the page and in
 * the exports.
 * When stats/ has not written a share, it is computed from the means over ok
 * runs within the region's kind (marker regions and symbol regions overlap,
 * so each kind sums to 1 on its own).
 */
#include "report_int.h"
#include "common.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const char *const event_metric_names[EV_COUNT] = { METRIC_SYSCALLS, METRIC_TRAPS, METRIC_EXITS };

#define EMU_PLATFORMS "('qemu-user','qemu-system')"

int model__workloads(struct report_ctx *ctx, struct workload **out, size_t *n)
{
	sqlite3_stmt *st = db__prepare(ctx, "SELECT id, name, arch, elf_sha256, argv FROM workload "
					    "WHERE ?1 IS NULL OR name = ?1 ORDER BY name, id");
	struct workload *ws = NULL;
	size_t cnt = 0;
	int rc;

	if (!st)
		return -1;
	if (ctx->o->workload)
		sqlite3_bind_text(st, 1, ctx->o->workload, -1, SQLITE_STATIC);
	while ((rc = db__step(ctx, st)) == SQLITE_ROW) {
		ws = xrealloc(ws, (cnt + 1) * sizeof(*ws));
		struct workload *w = &ws[cnt++];
		memset(w, 0, sizeof(*w));
		w->id = sqlite3_column_int64(st, 0);
		w->name = xstrdup(db__text(st, 1));
		w->arch = xstrdup(db__text(st, 2));
		w->elf_sha256 = db__strdup(st, 3);
		w->argv = db__strdup(st, 4);
		w->safe = safe_file_name(w->name, w->id);
		w->worst = -1;
		w->pearson = w->spearman = w->kendall = NAN;
	}
	sqlite3_finalize(st);
	*out = ws;
	*n = cnt;
	if (rc < 0)
		return -1;
	if (ctx->o->workload && cnt == 0)
		return error("%s: no workload named '%s' in the store", ctx->dbname, ctx->o->workload);
	return 0;
}

static long region_index(const struct workload *w, int64_t id)
{
	size_t lo = 0, hi = w->nregions;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (w->regions[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < w->nregions && w->regions[lo].id == id ? (long)lo : -1;
}

/*
 * region_metric is read by run, its primary key's prefix (it has no index on
 * region_id): every row belongs to a run and a region of the same workload,
 * so the workload's runs reach all of its rows without joining region.
 */
static const char hw_metric_sql[] =
	"SELECT rm.metric FROM run JOIN region_metric rm ON rm.run_id = run.id "
	"WHERE run.workload_id = ?1 "
	"AND run.platform NOT IN " EMU_PLATFORMS " AND rm.metric IN ('" METRIC_CYCLES "', '" METRIC_TIME_NS "') "
	"GROUP BY rm.metric ORDER BY rm.metric = '" METRIC_CYCLES "' DESC LIMIT 1";
static const char means_sql[] =
	"SELECT rm.region_id, run.platform IN " EMU_PLATFORMS ", rm.metric, avg(rm.value) "
	"FROM run JOIN region_metric rm ON rm.run_id = run.id "
	"WHERE run.workload_id = ?1 AND run.status = 'ok' "
	"AND rm.metric IN ('" METRIC_INSNS "', '" METRIC_QEMU_HOST_NS "', ?2, '" METRIC_SYSCALLS "', '" METRIC_TRAPS
	"', '" METRIC_EXITS "') "
	"GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";

const char *const report__region_metric_sql[] = {
	hw_metric_sql, means_sql, page_workload__phase_symbols_sql, fig_dist__values_sql, NULL,
};

static int load_hw_metric(struct report_ctx *ctx, struct workload *w)
{
	static const char *const sql[2] = {
		"SELECT metric FROM finding WHERE workload_id = ?1 GROUP BY metric "
		"ORDER BY metric = '" METRIC_CYCLES "' DESC, metric = '" METRIC_TIME_NS "' DESC, count(*) DESC, metric "
		"LIMIT 1",
		hw_metric_sql,
	};

	for (int i = 0; i < 2 && !w->hw_metric; i++) {
		sqlite3_stmt *st = db__prepare(ctx, sql[i]);
		int rc;
		if (!st)
			return -1;
		sqlite3_bind_int64(st, 1, w->id);
		rc = db__step(ctx, st);
		if (rc == SQLITE_ROW)
			w->hw_metric = db__strdup(st, 0);
		sqlite3_finalize(st);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int load_regions(struct report_ctx *ctx, struct workload *w)
{
	/* symbol roll-ups of marker pairs (ms:) have their own table on the workload page */
	sqlite3_stmt *st = db__prepare(ctx, "SELECT id, key, name FROM region WHERE workload_id = ?1"
					    " AND substr(key, 1, 3) <> '" REGION_KEY_MARK_SYMBOL "' ORDER BY id");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, w->id);
	while ((rc = db__step(ctx, st)) == SQLITE_ROW) {
		w->regions = xrealloc(w->regions, (w->nregions + 1) * sizeof(*w->regions));
		struct region_row *r = &w->regions[w->nregions++];
		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(st, 0);
		r->key = xstrdup(db__text(st, 1));
		r->name = db__strdup(st, 2);
		/* a thread's region carries its thread in its label, as in its key */
		if (r->name && region_key__thread(r->key, NULL) > 0) {
			char *named = xasprintf("%s" REGION_KEY_THREAD "%d", r->name, region_key__thread(r->key, NULL));

			free(r->name);
			r->name = named;
		}
		r->insn_share = r->qtime_share = r->hw_share = r->hw_lo = r->hw_hi = NAN;
		r->factor = r->f_lo = r->f_hi = r->p_adj = NAN;
		for (int s = 0; s < SIDE_COUNT; s++)
			for (int e = 0; e < EV_COUNT; e++)
				r->ev[s][e] = NAN;
	}
	sqlite3_finalize(st);
	return rc < 0 ? -1 : 0;
}

static size_t kind_len(const char *key)
{
	const char *c = strchr(key, ':');
	return c ? (size_t)(c - key) : 0;
}

/* value[i] / sum of value over the regions of i's kind, into the field at off (kept when unknown). */
static void shares_within_kind(struct workload *w, const double *value, size_t off)
{
	struct kind_sum { const char *key; size_t len; double sum; } kinds[8];
	size_t nkinds = 0;

	for (size_t i = 0; i < w->nregions; i++) {
		const char *key = w->regions[i].key;
		size_t kl = kind_len(key), k;
		for (k = 0; k < nkinds; k++)
			if (kinds[k].len == kl && !strncmp(kinds[k].key, key, kl))
				break;
		if (k == nkinds) {
			if (nkinds == sizeof(kinds) / sizeof(kinds[0]))
				k = nkinds - 1; /* unknown kinds beyond m:/s: share one sum */
			else
				kinds[nkinds++] = (struct kind_sum){ key, kl, 0 };
		}
		if (isfinite(value[i]))
			kinds[k].sum += value[i];
	}
	for (size_t i = 0; i < w->nregions; i++) {
		const char *key = w->regions[i].key;
		size_t kl = kind_len(key), k;
		for (k = 0; k + 1 < nkinds; k++)
			if (kinds[k].len == kl && !strncmp(kinds[k].key, key, kl))
				break;
		if (isfinite(value[i]) && nkinds && kinds[k].sum > 0)
			*(double *)((char *)&w->regions[i] + off) = value[i] / kinds[k].sum;
	}
}

static int load_means(struct report_ctx *ctx, struct workload *w)
{
	/* ms: regions come too; region_index() skips them */
	sqlite3_stmt *st = db__prepare(ctx, means_sql);
	size_t n = w->nregions ? w->nregions : 1;
	double *insns = xmalloc(n * sizeof(double)), *qns = xmalloc(n * sizeof(double)),
	       *hw = xmalloc(n * sizeof(double));
	int rc;

	if (!st)
		goto fail;
	for (size_t i = 0; i < w->nregions; i++)
		insns[i] = qns[i] = hw[i] = NAN;
	sqlite3_bind_int64(st, 1, w->id);
	sqlite3_bind_text(st, 2, w->hw_metric ? w->hw_metric : METRIC_TIME_NS, -1, SQLITE_STATIC);
	while ((rc = db__step(ctx, st)) == SQLITE_ROW) {
		long i = region_index(w, sqlite3_column_int64(st, 0));
		int emu = sqlite3_column_int(st, 1);
		const char *m = db__text(st, 2);
		double v = sqlite3_column_double(st, 3);
		if (i < 0)
			continue;
		for (int e = 0; e < EV_COUNT; e++)
			if (!strcmp(m, event_metric_names[e]))
				w->regions[i].ev[emu ? SIDE_EMU : SIDE_HW][e] = v;
		if (emu && !strcmp(m, METRIC_INSNS))
			insns[i] = v;
		else if (emu && !strcmp(m, METRIC_QEMU_HOST_NS))
			qns[i] = v;
		else if (!emu && !strcmp(m, w->hw_metric ? w->hw_metric : METRIC_TIME_NS))
			hw[i] = v;
	}
	sqlite3_finalize(st);
	if (rc < 0)
		goto fail;
	shares_within_kind(w, insns, offsetof(struct region_row, insn_share));
	shares_within_kind(w, qns, offsetof(struct region_row, qtime_share));
	shares_within_kind(w, hw, offsetof(struct region_row, hw_share));
	free(insns);
	free(qns);
	free(hw);
	return 0;
fail:
	free(insns);
	free(qns);
	free(hw);
	return -1;
}

/* Each region's primary finding (PRIMARY_FINDING_SQL, as the terminal and `show` choose it)
 * first, then its other findings for the QEMU host-time share. */
static int load_findings(struct report_ctx *ctx, struct workload *w)
{
	sqlite3_stmt *st = db__prepare(ctx,
		"SELECT f.region_id, f.predictor, f.factor, f.ci_lo, f.ci_hi, f.p_adj, f.verdict, f.reason, f.baseline, "
		"f.pred_share, f.hw_share, f.hw_share_lo, f.hw_share_hi, f.metric = p.metric, f.id = p.id "
		"FROM finding f JOIN " PRIMARY_FINDINGS_OF("f.workload_id = ?1") " p "
		"ON p.workload_id = f.workload_id AND p.region_id = f.region_id WHERE f.workload_id = ?1 "
		"ORDER BY f.region_id, f.id = p.id DESC, f.id");
	int64_t last = -1;
	int qtime_done = 0, rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, w->id);
	while ((rc = db__step(ctx, st)) == SQLITE_ROW) {
		int64_t rid = sqlite3_column_int64(st, 0);
		long i = region_index(w, rid);
		const char *pred = db__text(st, 1);
		struct region_row *r;
		if (i < 0)
			continue;
		r = &w->regions[i];
		if (rid != last && sqlite3_column_int(st, 14)) {
			last = rid;
			qtime_done = 0;
			w->ncompared++;
			r->predictor = xstrdup(pred);
			r->factor = db__double(st, 2);
			r->f_lo = db__double(st, 3);
			r->f_hi = db__double(st, 4);
			r->p_adj = db__double(st, 5);
			r->verdict = xstrdup(db__text(st, 6));
			r->reason = xstrdup(db__text(st, 7));
			r->baseline = db__strdup(st, 8);
			if (!strcmp(pred, METRIC_INSNS) && isfinite(db__double(st, 9)))
				r->insn_share = db__double(st, 9);
			if (isfinite(db__double(st, 10))) {
				r->hw_share = db__double(st, 10);
				r->hw_lo = db__double(st, 11);
				r->hw_hi = db__double(st, 12);
			}
		}
		if (!qtime_done && !strcmp(pred, "qemu_time") && sqlite3_column_int(st, 13) &&
		    isfinite(db__double(st, 9))) {
			r->qtime_share = db__double(st, 9);
			qtime_done = 1;
		}
	}
	sqlite3_finalize(st);
	return rc < 0 ? -1 : 0;
}

static int load_counts(struct report_ctx *ctx, struct workload *w)
{
	sqlite3_stmt *st = db__prepare(ctx,
		"SELECT 0, platform IN " EMU_PLATFORMS ", status, count(*) FROM run WHERE workload_id = ?1 GROUP BY 2, 3 "
		"UNION ALL SELECT 1, 0, '', count(*) FROM finding WHERE workload_id = ?1 "
		"UNION ALL SELECT 2, 0, '', count(*) FROM finding WHERE workload_id = ?1 AND verdict IN ('underestimates', 'overestimates') "
		"ORDER BY 1, 2, 3");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, w->id);
	while ((rc = db__step(ctx, st)) == SQLITE_ROW) {
		int what = sqlite3_column_int(st, 0), n = sqlite3_column_int(st, 3);
		struct run_counts *c = &w->runs[sqlite3_column_int(st, 1) ? SIDE_EMU : SIDE_HW];
		int status = run_status__parse(db__text(st, 2));

		if (what == 1)
			w->nfindings = (size_t)n;
		else if (what == 2)
			w->nflagged_findings = (size_t)n;
		else if (status == RUN_OK)
			c->ok += n;
		else if (status == RUN_FAILED)
			c->failed += n;
		else if (status == RUN_TIMEOUT)
			c->timeout += n;
		else if (status == RUN_WARMUP)
			c->warmup += n;
	}
	sqlite3_finalize(st);
	return rc < 0 ? -1 : 0;
}

/*
 * Machine, kernel, CPU and QEMU versions the runs recorded, read leniently:
 * collectors put them at the top of config_json or inside a "machine" object,
 * under a few spellings; only scalar values are shown.
 */
static int load_env(struct report_ctx *ctx, struct workload *w)
{
	sqlite3_stmt *st = db__prepare(ctx,
		"WITH k(ord, label, path) AS (VALUES (1, 'machine', '$.machine'), (1, 'machine', '$.machine.name'), "
		"  (2, 'board', '$.board'), (2, 'board', '$.machine.board'), (3, 'cpu', '$.cpu_model'), "
		"  (3, 'cpu', '$.machine.cpu_model'), (3, 'cpu', '$.cpu'), (4, 'kernel', '$.kernel'), "
		"  (4, 'kernel', '$.machine.kernel'), (5, 'qemu', '$.qemu_version'), (5, 'qemu', '$.qemu'), "
		"  (6, 'host', '$.hostname'), (6, 'host', '$.machine.hostname')), "
		"v(ord, label, val) AS ("
		"  SELECT DISTINCT 0, 'platform', platform FROM run WHERE workload_id = ?1 AND (platform IN " EMU_PLATFORMS ") = ?2 "
		"  UNION SELECT DISTINCT k.ord, k.label, CAST(json_extract(run.config_json, k.path) AS TEXT) "
		"  FROM run, k WHERE run.workload_id = ?1 AND (run.platform IN " EMU_PLATFORMS ") = ?2 "
		"  AND json_valid(run.config_json) AND json_type(run.config_json, k.path) IN ('text', 'integer', 'real') "
		"  ORDER BY 1, 3) "
		"SELECT label, group_concat(val, ', ') FROM v WHERE val <> '' GROUP BY ord ORDER BY ord");

	if (!st)
		return -1;
	for (int side = 0; side < SIDE_COUNT; side++) {
		char *acc = xstrdup("");
		int rc;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, w->id);
		sqlite3_bind_int(st, 2, side == SIDE_EMU);
		while ((rc = db__step(ctx, st)) == SQLITE_ROW) {
			char *next = xasprintf("%s%s%s: %s", acc, *acc ? "; " : "", db__text(st, 0), db__text(st, 1));
			free(acc);
			acc = next;
		}
		w->env[side] = acc;
		if (rc < 0) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	return 0;
}

static int load_agreement(struct report_ctx *ctx, struct workload *w)
{
	sqlite3_stmt *st = db__prepare(ctx,
		"SELECT pearson, spearman, kendall FROM agreement WHERE workload_id = ?1 AND predictor = 'insns' "
		"ORDER BY metric = ?2 DESC, metric LIMIT 1");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, w->id);
	sqlite3_bind_text(st, 2, w->hw_metric ? w->hw_metric : "", -1, SQLITE_STATIC);
	rc = db__step(ctx, st);
	if (rc == SQLITE_ROW) {
		w->pearson = db__double(st, 0);
		w->spearman = db__double(st, 1);
		w->kendall = db__double(st, 2);
	}
	sqlite3_finalize(st);
	return rc < 0 ? -1 : 0;
}

int model__load(struct report_ctx *ctx, struct workload *w)
{
	double worst = -1;
	int worst_flagged = 0;

	if (load_hw_metric(ctx, w) || load_regions(ctx, w) || load_means(ctx, w) || load_findings(ctx, w) ||
	    load_counts(ctx, w) || load_env(ctx, w) || load_agreement(ctx, w))
		return -1;
	for (size_t i = 0; i < w->nregions; i++) {
		const struct region_row *r = &w->regions[i];
		int flagged = verdict_flagged(r->verdict);
		double size = fabs(log(r->factor));
		if (flagged) {
			w->nflagged++;
			if (!strcmp(r->verdict, "underestimates"))
				w->nunder++;
			else
				w->nover++;
		}
		if (!isfinite(size) || flagged < worst_flagged)
			continue;
		if (flagged > worst_flagged || size > worst) {
			worst = size;
			worst_flagged = flagged;
			w->worst = (long)i;
		}
	}
	return 0;
}

void model__free(struct workload *w)
{
	for (size_t i = 0; i < w->nregions; i++) {
		struct region_row *r = &w->regions[i];
		free(r->key);
		free(r->name);
		free(r->verdict);
		free(r->reason);
		free(r->predictor);
		free(r->baseline);
	}
	free(w->regions);
	free(w->name);
	free(w->arch);
	free(w->safe);
	free(w->elf_sha256);
	free(w->argv);
	free(w->hw_metric);
	for (int s = 0; s < SIDE_COUNT; s++)
		free(w->env[s]);
	memset(w, 0, sizeof(*w));
}

const char *region_label(const struct region_row *r)
{
	return r->name && *r->name ? r->name : r->key;
}
