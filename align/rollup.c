/*
 * rollup.c - symbol roll-ups of marker regions, ms:<from>-><to>/<symbol>
 * (rollup.h says what and when). The per-interval rows of a run are mapped
 * to reference pairs through a temporary table (seq -> pair), and SQLite
 * adds them up: a loop with 10^5 marker hits is one grouped query per run.
 */
#include "rollup.h"

#include "common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rollup {
	sqlite3 *db;
	const char *dbname, *wname;
	int64_t wid;
	int thread;         /* ordinal; > 0: keys end in @t<thread> */
	size_t nreg;        /* reference regions */
	size_t *pair_of;    /* per reference region: its pair */
	int (*pair)[2];     /* per pair: from and to marker ids */
	size_t npairs;
	int *ok;            /* per pair, for the current run */
	double *marked, *summed; /* per pair: marker regions' insns and the symbols' */
	sqlite3_stmt *st_complete, *st_seq, *st_sum, *st_find, *st_add, *st_metric;
	size_t mismatches;
};

static int db_fail(const struct rollup *ru, const char *what)
{
	return error("%s: %s: %s", ru->dbname, what, sqlite3_errmsg(ru->db));
}

static sqlite3_stmt *prep(struct rollup *ru, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(ru->db, sql, -1, &st, NULL) != SQLITE_OK)
		db_fail(ru, "preparing a roll-up query");
	return st;
}

/* Distinct (from, to) pairs of the reference, in order of first occurrence. */
static void make_pairs(struct rollup *ru, const int *ids)
{
	size_t cap = 16;
	struct { uint64_t key; size_t pair; int used; } *tab;

	while (cap < 2 * ru->nreg + 2)
		cap *= 2;
	tab = xcalloc(cap, sizeof(*tab));
	ru->pair_of = xcalloc(ru->nreg ? ru->nreg : 1, sizeof(*ru->pair_of));
	ru->pair = xcalloc(ru->nreg ? ru->nreg : 1, sizeof(*ru->pair));
	for (size_t i = 0; i < ru->nreg; i++) {
		uint64_t key = (uint64_t)(uint32_t)ids[i] << 32 | (uint32_t)ids[i + 1];
		size_t h = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & (cap - 1);

		while (tab[h].used && tab[h].key != key)
			h = (h + 1) & (cap - 1);
		if (!tab[h].used) {
			tab[h].used = 1;
			tab[h].key = key;
			tab[h].pair = ru->npairs;
			ru->pair[ru->npairs][0] = ids[i];
			ru->pair[ru->npairs][1] = ids[i + 1];
			ru->npairs++;
		}
		ru->pair_of[i] = tab[h].pair;
	}
	free(tab);
}

struct rollup *rollup__new(sqlite3 *db, const char *dbname, int64_t workload_id, const char *wname,
			   const int *ref_ids, size_t ref_n, int thread)
{
	struct rollup *ru = xcalloc(1, sizeof(*ru));

	ru->thread = thread;
	ru->db = db;
	ru->dbname = dbname;
	ru->wname = wname;
	ru->wid = workload_id;
	ru->nreg = ref_n > 1 ? ref_n - 1 : 0;
	make_pairs(ru, ref_ids);
	ru->ok = xcalloc(ru->npairs ? ru->npairs : 1, sizeof(*ru->ok));
	ru->marked = xcalloc(ru->npairs ? ru->npairs : 1, sizeof(double));
	ru->summed = xcalloc(ru->npairs ? ru->npairs : 1, sizeof(double));
	if (sqlite3_exec(db, "CREATE TEMP TABLE IF NOT EXISTS align_seq_pair"
			     " (seq INTEGER PRIMARY KEY, pair INTEGER NOT NULL);"
			     "DELETE FROM temp.align_seq_pair;", NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(ru, "creating a temporary table");
		rollup__free(ru);
		return NULL;
	}
	ru->st_complete = prep(ru, "SELECT json_extract(config_json, '$.mark_symbols_complete')"
				   " FROM run WHERE id = ?1");
	ru->st_seq = prep(ru, "INSERT INTO temp.align_seq_pair (seq, pair) VALUES (?1, ?2)");
	ru->st_sum = prep(ru, "SELECT p.pair, s.symbol, s.metric, sum(s.value) FROM mark_symbol s"
			      " JOIN temp.align_seq_pair p ON p.seq = s.seq WHERE s.run_id = ?1"
			      " GROUP BY 1, 2, 3");
	ru->st_find = prep(ru, "SELECT id FROM region WHERE workload_id = ?1 AND key = ?2");
	ru->st_add = prep(ru, "INSERT INTO region (workload_id, key, name) VALUES (?1, ?2, ?3)");
	/* plain INSERT: rollup__clear() emptied these rows */
	ru->st_metric = prep(ru, "INSERT INTO region_metric (run_id, region_id, metric, value)"
				 " VALUES (?1, ?2, ?3, ?4)");
	if (!ru->st_complete || !ru->st_seq || !ru->st_sum || !ru->st_find || !ru->st_add ||
	    !ru->st_metric) {
		rollup__free(ru);
		return NULL;
	}
	return ru;
}

/* The id of region ms:<from>-><to>/<symbol>, created when new; -1 on error. */
static int64_t region_id(struct rollup *ru, size_t pair, const char *symbol)
{
	char *key = ru->thread ? xasprintf(REGION_KEY_MARK_SYMBOL "%d->%d/%s" REGION_KEY_THREAD "%d", ru->pair[pair][0],
					   ru->pair[pair][1], symbol, ru->thread)
			       : xasprintf(REGION_KEY_MARK_SYMBOL "%d->%d/%s", ru->pair[pair][0], ru->pair[pair][1], symbol);
	int64_t id = -1;
	int step;

	sqlite3_reset(ru->st_find);
	sqlite3_bind_int64(ru->st_find, 1, ru->wid);
	sqlite3_bind_text(ru->st_find, 2, key, -1, SQLITE_STATIC);
	step = sqlite3_step(ru->st_find);
	if (step == SQLITE_ROW) {
		id = sqlite3_column_int64(ru->st_find, 0);
	} else if (step == SQLITE_DONE) {
		sqlite3_reset(ru->st_add);
		sqlite3_bind_int64(ru->st_add, 1, ru->wid);
		sqlite3_bind_text(ru->st_add, 2, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(ru->st_add, 3, symbol, -1, SQLITE_STATIC);
		if (sqlite3_step(ru->st_add) == SQLITE_DONE)
			id = sqlite3_last_insert_rowid(ru->db);
	}
	sqlite3_reset(ru->st_find);
	free(key);
	if (id < 0)
		db_fail(ru, "writing roll-up regions");
	return id;
}

/* Which pairs this run covers whole; returns how many. */
static size_t covered_pairs(struct rollup *ru, const long *map, const int64_t *seq,
			    const double *insns, int64_t complete)
{
	size_t n = 0;

	for (size_t p = 0; p < ru->npairs; p++) {
		ru->ok[p] = 1;
		ru->marked[p] = ru->summed[p] = 0;
	}
	for (size_t i = 0; i < ru->nreg; i++) {
		size_t p = ru->pair_of[i];
		long j = map[i], k = map[i + 1];

		/* the intervals seq[j] .. seq[k]-1 must all have been attributed */
		if (j < 0 || k < 0 || seq[k] > complete) {
			ru->ok[p] = 0;
			continue;
		}
		if (isnan(insns[j]) || isnan(insns[k]))
			ru->marked[p] = NAN;
		else
			ru->marked[p] += insns[k] - insns[j];
	}
	for (size_t p = 0; p < ru->npairs; p++)
		n += (size_t)ru->ok[p];
	return n;
}

static int fill_seq_pairs(struct rollup *ru, const long *map, const int64_t *seq)
{
	if (sqlite3_exec(ru->db, "DELETE FROM temp.align_seq_pair", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(ru, "filling a temporary table");
	for (size_t i = 0; i < ru->nreg; i++) {
		size_t p = ru->pair_of[i];

		if (!ru->ok[p])
			continue;
		/* a run's extra hits inside a reference region belong to it */
		for (long t = map[i]; t < map[i + 1]; t++) {
			sqlite3_reset(ru->st_seq);
			sqlite3_bind_int64(ru->st_seq, 1, seq[t]);
			sqlite3_bind_int64(ru->st_seq, 2, (int64_t)p);
			if (sqlite3_step(ru->st_seq) != SQLITE_DONE)
				return db_fail(ru, "filling a temporary table");
		}
	}
	return 0;
}

int rollup__run(struct rollup *ru, int64_t run_id, const char *platform, const long *map,
		const int64_t *seq, const double *insns)
{
	int qemu = !strncmp(platform, "qemu-", 5), step, rows = 0;
	int64_t complete;

	sqlite3_reset(ru->st_complete);
	sqlite3_bind_int64(ru->st_complete, 1, run_id);
	step = sqlite3_step(ru->st_complete);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return db_fail(ru, "reading a run");
	if (step == SQLITE_DONE || sqlite3_column_type(ru->st_complete, 0) == SQLITE_NULL) {
		sqlite3_reset(ru->st_complete);
		return 0; /* the collector recorded no symbols per marker interval */
	}
	complete = sqlite3_column_int64(ru->st_complete, 0);
	sqlite3_reset(ru->st_complete);
	if (!covered_pairs(ru, map, seq, insns, complete))
		return 0;
	if (fill_seq_pairs(ru, map, seq))
		return -1;
	sqlite3_reset(ru->st_sum);
	sqlite3_bind_int64(ru->st_sum, 1, run_id);
	/* read the grouped rows first, then write regions: no writes under a running query */
	struct row { size_t pair; char *symbol, *metric; double value; } *rw = NULL;
	size_t nrw = 0, cap = 0;

	while ((step = sqlite3_step(ru->st_sum)) == SQLITE_ROW) {
		if (nrw == cap) {
			cap = cap ? 2 * cap : 64;
			rw = xrealloc(rw, cap * sizeof(*rw));
		}
		rw[nrw].pair = (size_t)sqlite3_column_int64(ru->st_sum, 0);
		rw[nrw].symbol = xstrdup((const char *)sqlite3_column_text(ru->st_sum, 1));
		rw[nrw].metric = xstrdup((const char *)sqlite3_column_text(ru->st_sum, 2));
		rw[nrw].value = sqlite3_column_double(ru->st_sum, 3);
		nrw++;
	}
	sqlite3_reset(ru->st_sum);
	int rc = step == SQLITE_DONE ? 0 : db_fail(ru, "reading symbols per marker interval");

	for (size_t i = 0; i < nrw && !rc; i++) {
		int64_t rid;

		if (rw[i].pair >= ru->npairs) {
			rc = error("%s: roll-up pair %zu out of range", ru->dbname, rw[i].pair);
			break;
		}
		rid = region_id(ru, rw[i].pair, rw[i].symbol);
		if (rid < 0) {
			rc = -1;
			break;
		}
		sqlite3_reset(ru->st_metric);
		sqlite3_bind_int64(ru->st_metric, 1, run_id);
		sqlite3_bind_int64(ru->st_metric, 2, rid);
		sqlite3_bind_text(ru->st_metric, 3, rw[i].metric, -1, SQLITE_STATIC);
		sqlite3_bind_double(ru->st_metric, 4, rw[i].value);
		if (sqlite3_step(ru->st_metric) != SQLITE_DONE)
			rc = db_fail(ru, "writing roll-up metrics");
		if (!strcmp(rw[i].metric, METRIC_INSNS))
			ru->summed[rw[i].pair] += rw[i].value;
		rows++;
	}
	for (size_t i = 0; i < nrw; i++) {
		free(rw[i].symbol);
		free(rw[i].metric);
	}
	free(rw);
	if (rc)
		return -1;
	/* inclusive and exact on QEMU: the symbols of a pair are its marker regions */
	for (size_t p = 0; qemu && p < ru->npairs; p++) {
		if (!ru->ok[p] || isnan(ru->marked[p]) || ru->summed[p] == ru->marked[p])
			continue;
		char on[32] = "";

		ru->mismatches++;
		if (ru->thread)
			snprintf(on, sizeof(on), " on thread %d", ru->thread);
		warning("%s: run %lld: the symbols of marker pair %d->%d%s add up to %.0f instructions, "
			"its marker regions to %.0f", ru->wname, (long long)run_id, ru->pair[p][0],
			ru->pair[p][1], on, ru->summed[p], ru->marked[p]);
	}
	return rows > 0;
}

size_t rollup__mismatches(const struct rollup *ru)
{
	return ru->mismatches;
}

void rollup__free(struct rollup *ru)
{
	if (!ru)
		return;
	sqlite3_finalize(ru->st_complete);
	sqlite3_finalize(ru->st_seq);
	sqlite3_finalize(ru->st_sum);
	sqlite3_finalize(ru->st_find);
	sqlite3_finalize(ru->st_add);
	sqlite3_finalize(ru->st_metric);
	sqlite3_exec(ru->db, "DELETE FROM temp.align_seq_pair", NULL, NULL, NULL);
	free(ru->pair_of);
	free(ru->pair);
	free(ru->ok);
	free(ru->marked);
	free(ru->summed);
	free(ru);
}

static int exec_wid(sqlite3 *db, const char *dbname, int64_t wid, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return error("%s: preparing a roll-up query: %s", dbname, sqlite3_errmsg(db));
	sqlite3_bind_int64(st, 1, wid);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : error("%s: updating roll-up regions: %s", dbname, sqlite3_errmsg(db));
}

/* region_metric is reached by run (its primary key's prefix; no index on
 * region_id): the workload's runs x its ms: regions cover its roll-up rows. */
const char rollup__clear_sql[] =
	"DELETE FROM region_metric"
	" WHERE run_id IN (SELECT id FROM run WHERE workload_id = ?1)"
	" AND region_id IN (SELECT id FROM region WHERE workload_id = ?1 AND substr(key, 1, 3) = '" REGION_KEY_MARK_SYMBOL "')";

/* The regions that still have metrics, gathered once in one pass over the
 * workload's rows rather than looked up per region. */
const char rollup__drop_unused_sql[] =
	"DELETE FROM region WHERE workload_id = ?1 AND substr(key, 1, 3) = '" REGION_KEY_MARK_SYMBOL "'"
	" AND id NOT IN (SELECT rm.region_id FROM run r JOIN region_metric rm ON rm.run_id = r.id"
	"  WHERE r.workload_id = ?1)";

int rollup__clear(sqlite3 *db, const char *dbname, int64_t workload_id)
{
	return exec_wid(db, dbname, workload_id, rollup__clear_sql);
}

int rollup__drop_unused(sqlite3 *db, const char *dbname, int64_t workload_id, size_t *kept)
{
	sqlite3_stmt *st = NULL;
	int rc = exec_wid(db, dbname, workload_id, rollup__drop_unused_sql);

	*kept = 0;
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM region WHERE workload_id = ?1"
				   " AND substr(key, 1, 3) = '" REGION_KEY_MARK_SYMBOL "'", -1, &st, NULL) != SQLITE_OK)
		return error("%s: counting roll-up regions: %s", dbname, sqlite3_errmsg(db));
	sqlite3_bind_int64(st, 1, workload_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		*kept = (size_t)sqlite3_column_int64(st, 0);
	else
		rc = error("%s: counting roll-up regions: %s", dbname, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}
