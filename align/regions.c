/*
 * regions.c - build the marker regions of one workload in the store.
 *
 * Every run (status ok or warmup) has a marker sequence. One reference
 * sequence per workload is chosen (the most common among ok runs of all
 * platforms), every run is aligned to it (markseq.c), and regions are keyed
 * by the reference's numbering, m:<from>-><to>#<n>, so that the same key
 * means the same stretch of the program on every platform. A run that lost a
 * marker misses the two regions around it and keeps all the others; a run
 * with an extra marker measures the reference region across it (counters are
 * cumulative, so any two matched hits bound a region).
 *
 * Region metrics follow the contract in README/DESIGN: QEMU runs get insns
 * and qemu_host_ns, other platforms time_ns and instret; every mark_value
 * metric present at both ends gets its difference; events recorded after a
 * hit are assigned to the region that hit opens, and per-region totals
 * syscalls, traps and exits are written for the categories the run recorded.
 *
 * The caller holds the transaction; everything align wrote before for this
 * workload's marker regions is removed first, so re-running is idempotent.
 * Symbol regions (s:...) written by the collectors are left alone.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "align.h"
#include "common.h"
#include "rollup.h"

struct run_seq {
	int64_t id;
	char *platform;
	char *status;
	int rep;
	int *ids;
	size_t n;
	uint64_t hash;
};

struct ctx {
	sqlite3 *db;
	const char *dbname;
	int64_t wid;
	char *wname;
	struct run_seq *runs;
	size_t nruns;
	const struct run_seq *ref;
	int64_t *region_ids; /* per reference region (ref->n - 1) */
	struct symtab *names;
	struct align_result *res;
	struct rollup *rollup;
	sqlite3_stmt *st_metric, *st_event_region, *st_alignment;
};

static int db_error(struct ctx *c, const char *what)
{
	return error("%s: %s: %s", c->dbname, what, sqlite3_errmsg(c->db));
}

static sqlite3_stmt *prepare(struct ctx *c, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_error(c, "preparing a query");
		return NULL;
	}
	return st;
}

static int exec_wid(struct ctx *c, const char *sql)
{
	sqlite3_stmt *st = prepare(c, sql);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, c->wid);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_error(c, "updating the store");
}

static uint64_t seq_hash(const int *v, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (uint32_t)v[i];
		h *= 1099511628211ULL;
	}
	return h ^ n;
}

static int seq_equal(const struct run_seq *a, const struct run_seq *b)
{
	return a->hash == b->hash && a->n == b->n &&
	       (a->n == 0 || !memcmp(a->ids, b->ids, a->n * sizeof(int)));
}

static int load_runs(struct ctx *c)
{
	sqlite3_stmt *st = prepare(c, "SELECT id, platform, status, rep FROM run"
				      " WHERE workload_id = ?1 AND status IN ('ok', 'warmup') ORDER BY id");
	sqlite3_stmt *sm = prepare(c, "SELECT mark_id FROM mark WHERE run_id = ?1 ORDER BY seq");
	size_t cap = 0;
	int rc = -1, step;

	if (!st || !sm)
		goto out;
	sqlite3_bind_int64(st, 1, c->wid);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct run_seq *r;
		size_t mcap = 0;
		int ms;

		if (c->nruns == cap) {
			cap = cap ? cap * 2 : 16;
			c->runs = xrealloc(c->runs, cap * sizeof(*c->runs));
		}
		r = &c->runs[c->nruns++];
		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(st, 0);
		r->platform = xstrdup((const char *)sqlite3_column_text(st, 1));
		r->status = xstrdup((const char *)sqlite3_column_text(st, 2));
		r->rep = sqlite3_column_int(st, 3);
		sqlite3_reset(sm);
		sqlite3_bind_int64(sm, 1, r->id);
		while ((ms = sqlite3_step(sm)) == SQLITE_ROW) {
			if (r->n == mcap) {
				mcap = mcap ? mcap * 2 : 64;
				r->ids = xrealloc(r->ids, mcap * sizeof(int));
			}
			r->ids[r->n++] = sqlite3_column_int(sm, 0);
		}
		if (ms != SQLITE_DONE) {
			db_error(c, "reading markers");
			goto out;
		}
		r->hash = seq_hash(r->ids, r->n);
	}
	if (step != SQLITE_DONE) {
		db_error(c, "reading runs");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_finalize(sm);
	return rc;
}

/* The most common non-empty sequence among runs of this status; ties: longer, then older. */
static const struct run_seq *most_common(const struct ctx *c, const char *status)
{
	const struct run_seq *best = NULL;
	size_t best_count = 0, i, j;

	for (i = 0; i < c->nruns; i++) {
		const struct run_seq *r = &c->runs[i];
		size_t count = 0;
		if (!r->n || strcmp(r->status, status))
			continue;
		for (j = 0; j < c->nruns; j++)
			if (!strcmp(c->runs[j].status, status) && seq_equal(r, &c->runs[j]))
				count++;
		if (count > best_count || (count == best_count && r->n > best->n)) {
			best = r;
			best_count = count;
		}
	}
	return best;
}

/*
 * region_metric has no index on region_id (schema 5): its rows are reached
 * by run, the primary key's prefix. Every row belongs to a run and a region
 * of the same workload, so the workload's runs x its marker regions cover
 * them. event_count is reached the same way, through its (run_id, region_id)
 * index, instead of a scan of the whole table.
 */
static const char clear_events_sql[] =
	"UPDATE event_count SET region_id = NULL"
	" WHERE run_id IN (SELECT id FROM run WHERE workload_id = ?1)"
	" AND region_id IN (SELECT id FROM region WHERE workload_id = ?1 AND substr(key, 1, 2) = 'm:')";
static const char clear_metrics_sql[] =
	"DELETE FROM region_metric"
	" WHERE run_id IN (SELECT id FROM run WHERE workload_id = ?1)"
	" AND region_id IN (SELECT id FROM region WHERE workload_id = ?1 AND substr(key, 1, 2) = 'm:')";

const char *const align__region_metric_sql[] = {
	clear_metrics_sql, rollup__clear_sql, rollup__drop_unused_sql, NULL,
};

static int clear_previous(struct ctx *c)
{
	if (exec_wid(c, clear_events_sql) < 0 || exec_wid(c, clear_metrics_sql) < 0)
		return -1;
	return exec_wid(c, "DELETE FROM alignment WHERE run_id IN"
			   " (SELECT id FROM run WHERE workload_id = ?1)");
}

/*
 * Remove the marker regions of earlier aligns that the current reference does
 * not define (their metrics and event assignments are already cleared). The
 * ids to keep go through a temporary table: a NOT EXISTS over event_count per
 * region would be quadratic for loop-heavy workloads.
 */
static int drop_unused_regions(struct ctx *c)
{
	size_t i, n = c->ref && c->region_ids ? c->ref->n - 1 : 0;
	sqlite3_stmt *st;
	int rc = -1;

	if (sqlite3_exec(c->db, "CREATE TEMP TABLE IF NOT EXISTS align_keep (id INTEGER PRIMARY KEY);"
				"DELETE FROM temp.align_keep;", NULL, NULL, NULL) != SQLITE_OK)
		return db_error(c, "creating a temporary table");
	st = prepare(c, "INSERT OR IGNORE INTO temp.align_keep (id) VALUES (?1)");
	if (!st)
		return -1;
	for (i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, c->region_ids[i]);
		if (sqlite3_step(st) != SQLITE_DONE) {
			db_error(c, "creating a temporary table");
			goto out;
		}
	}
	rc = exec_wid(c, "DELETE FROM region WHERE workload_id = ?1 AND substr(key, 1, 2) = 'm:'"
			 " AND id NOT IN (SELECT id FROM temp.align_keep)");
out:
	sqlite3_finalize(st);
	sqlite3_exec(c->db, "DELETE FROM temp.align_keep", NULL, NULL, NULL);
	return rc;
}

/* Marker names from the workload's ELF, when it is still there. */
static int load_names(struct ctx *c, const char *elf_path, const char *arch, const char *sha)
{
	char now[65];

	if (!elf_path)
		return 0;
	if (access(elf_path, R_OK) != 0) {
		warning("%s: ELF %s is not readable any more; marker regions stay unnamed",
			c->wname, elf_path);
		return 0;
	}
	c->names = symtab__load_marks(elf_path);
	if (!c->names)
		return -1;
	if (arch && strcmp(arch, "unknown") && strcmp(arch, symtab__arch(c->names))) {
		warning("%s: ELF %s is %s but the workload is %s; ignoring its marker names",
			c->wname, elf_path, symtab__arch(c->names), arch);
		symtab__free(c->names);
		c->names = NULL;
		return 0;
	}
	if (sha && file_sha256(elf_path, now) == 0 && strcmp(now, sha))
		warning("%s: ELF %s changed since it was collected (SHA-256 differs); marker names may be wrong",
			c->wname, elf_path);
	return 0;
}

/* Occurrence numbering of the reference's consecutive pairs, via a hash table. */
struct pair_count {
	uint64_t key;
	unsigned count;
};

static int make_regions(struct ctx *c)
{
	const struct run_seq *ref = c->ref;
	size_t nreg = ref->n - 1, cap = 16, i;
	struct pair_count *tab;
	sqlite3_stmt *find = NULL, *add = NULL, *rename = NULL;
	int rc = -1;

	while (cap < 2 * nreg + 2)
		cap *= 2;
	tab = xcalloc(cap, sizeof(*tab));
	c->region_ids = xcalloc(nreg ? nreg : 1, sizeof(int64_t));
	/* find, else insert: an upsert with RETURNING would open a statement journal per row */
	find = prepare(c, "SELECT id, name IS ?3 FROM region WHERE workload_id = ?1 AND key = ?2");
	add = prepare(c, "INSERT INTO region (workload_id, key, name) VALUES (?1, ?2, ?3)");
	rename = prepare(c, "UPDATE region SET name = ?3 WHERE workload_id = ?1 AND key = ?2");
	if (!find || !add || !rename)
		goto out;
	for (i = 0; i < nreg; i++) {
		uint64_t key = (uint64_t)(uint32_t)ref->ids[i] << 32 | (uint32_t)ref->ids[i + 1];
		size_t h = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & (cap - 1);
		const char *name = c->names ? symtab__mark_name(c->names, ref->ids[i]) : NULL;
		sqlite3_stmt *sts[3] = { find, add, rename };
		char k[80];
		int step, j;

		while (tab[h].count && tab[h].key != key)
			h = (h + 1) & (cap - 1);
		tab[h].key = key;
		tab[h].count++;
		snprintf(k, sizeof(k), "m:%d->%d#%u", ref->ids[i], ref->ids[i + 1], tab[h].count);
		for (j = 0; j < 3; j++) {
			sqlite3_reset(sts[j]);
			sqlite3_bind_int64(sts[j], 1, c->wid);
			sqlite3_bind_text(sts[j], 2, k, -1, SQLITE_TRANSIENT);
			if (name)
				sqlite3_bind_text(sts[j], 3, name, -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(sts[j], 3);
		}
		step = sqlite3_step(find);
		if (step == SQLITE_ROW) {
			c->region_ids[i] = sqlite3_column_int64(find, 0);
			if (!sqlite3_column_int(find, 1) && sqlite3_step(rename) != SQLITE_DONE) {
				db_error(c, "writing regions");
				goto out;
			}
		} else if (step == SQLITE_DONE && sqlite3_step(add) == SQLITE_DONE) {
			c->region_ids[i] = sqlite3_last_insert_rowid(c->db);
		} else {
			db_error(c, "writing regions");
			goto out;
		}
	}
	rc = 0;
out:
	sqlite3_finalize(find);
	sqlite3_finalize(add);
	sqlite3_finalize(rename);
	free(tab);
	return rc;
}

static int put_metric(struct ctx *c, int64_t run_id, int64_t region_id, const char *metric,
		      double value)
{
	sqlite3_stmt *st = c->st_metric;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, region_id);
	sqlite3_bind_text(st, 3, metric, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 4, value);
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_error(c, "writing region metrics");
	return 0;
}

/* One run's marker hits: seq numbers and the two built-in counters (NAN: NULL). */
struct hits {
	int64_t *seq;
	double *insns, *time;
	size_t n;
};

static int load_hits(struct ctx *c, int64_t run_id, struct hits *h, size_t n)
{
	sqlite3_stmt *st = prepare(c, "SELECT seq, insns, time_ns FROM mark WHERE run_id = ?1 ORDER BY seq");
	size_t i = 0;

	h->seq = xcalloc(n ? n : 1, sizeof(int64_t));
	h->insns = xcalloc(n ? n : 1, sizeof(double));
	h->time = xcalloc(n ? n : 1, sizeof(double));
	h->n = n;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	while (i < n && sqlite3_step(st) == SQLITE_ROW) {
		h->seq[i] = sqlite3_column_int64(st, 0);
		h->insns[i] = sqlite3_column_type(st, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 1);
		h->time[i] = sqlite3_column_type(st, 2) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 2);
		i++;
	}
	sqlite3_finalize(st);
	if (i != n)
		return db_error(c, "reading markers");
	return 0;
}

static void hits__free(struct hits *h)
{
	free(h->seq);
	free(h->insns);
	free(h->time);
}

/* Index of the last hit whose seq is <= s, or -1. */
static long hit_at(const struct hits *h, int64_t s)
{
	size_t lo = 0, hi = h->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h->seq[mid] <= s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

static int diff_metric(struct ctx *c, const struct run_seq *r, const long *map,
		       const double *v, const char *metric)
{
	size_t i;

	for (i = 0; i + 1 < c->ref->n; i++) {
		long j = map[i], k = map[i + 1];
		if (j < 0 || k < 0 || isnan(v[j]) || isnan(v[k]))
			continue;
		if (put_metric(c, r->id, c->region_ids[i], metric, v[k] - v[j]) < 0)
			return -1;
	}
	return 0;
}

/* Metric names already written from the mark table or the events: those win. */
struct taken {
	const char *insns, *time; /* NULL when the run has no such column values */
};

static int taken_metric(const struct taken *t, const char *m)
{
	return (t->insns && !strcmp(m, t->insns)) || (t->time && !strcmp(m, t->time)) ||
	       !strcmp(m, "syscalls") || !strcmp(m, "traps") || !strcmp(m, "exits");
}

static int mark_values(struct ctx *c, const struct run_seq *r, const long *map,
		       const struct hits *h, const struct taken *taken)
{
	sqlite3_stmt *st = prepare(c, "SELECT metric, seq, value FROM mark_value WHERE run_id = ?1"
				      " ORDER BY metric, seq");
	double *v = xmalloc((h->n ? h->n : 1) * sizeof(double));
	char *cur = NULL;
	size_t i;
	int rc = -1, step;

	if (!st)
		goto out;
	sqlite3_bind_int64(st, 1, r->id);
	for (i = 0; i < h->n; i++)
		v[i] = NAN;
	do {
		const char *metric = NULL;
		step = sqlite3_step(st);
		if (step == SQLITE_ROW)
			metric = (const char *)sqlite3_column_text(st, 0);
		else if (step != SQLITE_DONE) {
			db_error(c, "reading marker values");
			goto out;
		}
		if (cur && (!metric || strcmp(metric, cur))) {
			if (diff_metric(c, r, map, v, cur) < 0)
				goto out;
			for (i = 0; i < h->n; i++)
				v[i] = NAN;
			free(cur);
			cur = NULL;
		}
		if (metric && taken_metric(taken, metric))
			continue; /* the mark table's own counters and the event totals take precedence */
		if (metric) {
			long j = hit_at(h, sqlite3_column_int64(st, 1));
			if (!cur)
				cur = xstrdup(metric);
			if (j >= 0 && h->seq[j] == sqlite3_column_int64(st, 1))
				v[j] = sqlite3_column_double(st, 2);
		}
	} while (step == SQLITE_ROW);
	rc = 0;
out:
	free(cur);
	free(v);
	sqlite3_finalize(st);
	return rc;
}

enum { EV_SYSCALLS, EV_TRAPS, EV_EXITS, EV_CATEGORIES };

static int event_category(const char *kind)
{
	if (!strcmp(kind, "syscall"))
		return EV_SYSCALLS;
	if (!strcmp(kind, "trap_entry") || !strcmp(kind, "interrupt") || !strcmp(kind, "exception"))
		return EV_TRAPS;
	if (!strcmp(kind, "ecall") || !strcmp(kind, "wfi") || !strcmp(kind, "hlt") ||
	    !strcmp(kind, "vm_exit"))
		return EV_EXITS;
	return -1;
}

static int events(struct ctx *c, const struct run_seq *r, const long *map, const struct hits *h)
{
	static const char *const names[EV_CATEGORIES] = { "syscalls", "traps", "exits" };
	size_t nreg = c->ref->n - 1, i;
	long *hit_region = xmalloc((h->n ? h->n : 1) * sizeof(long));
	double *tot = xcalloc(nreg * EV_CATEGORIES + 1, sizeof(double));
	int recorded[EV_CATEGORIES] = { 0 }, rc = -1, step, k;
	sqlite3_stmt *st = prepare(c, "SELECT rowid, seq, kind, count FROM event_count"
				      " WHERE run_id = ?1 AND seq IS NOT NULL");
	struct { int64_t rowid; long hit; int cat; double count; } *ev = NULL;
	size_t nev = 0, evcap = 0;

	/* the hits inside each matched reference region belong to it */
	for (i = 0; i < h->n; i++)
		hit_region[i] = -1;
	for (i = 0; i < nreg; i++) {
		long j;
		if (map[i] < 0 || map[i + 1] < 0)
			continue;
		for (j = map[i]; j < map[i + 1]; j++)
			hit_region[j] = (long)i;
	}
	if (!st)
		goto out;
	/* read first, update after: updating region_id moves rows in the index being scanned */
	sqlite3_bind_int64(st, 1, r->id);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (nev == evcap) {
			evcap = evcap ? evcap * 2 : 64;
			ev = xrealloc(ev, evcap * sizeof(*ev));
		}
		ev[nev].rowid = sqlite3_column_int64(st, 0);
		ev[nev].hit = hit_at(h, sqlite3_column_int64(st, 1));
		ev[nev].cat = event_category((const char *)sqlite3_column_text(st, 2));
		ev[nev].count = sqlite3_column_double(st, 3);
		nev++;
	}
	if (step != SQLITE_DONE) {
		db_error(c, "reading events");
		goto out;
	}
	for (i = 0; i < nev; i++) {
		long g;

		if (ev[i].cat >= 0)
			recorded[ev[i].cat] = 1;
		if (ev[i].hit < 0 || (g = hit_region[ev[i].hit]) < 0)
			continue;
		sqlite3_reset(c->st_event_region);
		sqlite3_bind_int64(c->st_event_region, 1, c->region_ids[g]);
		sqlite3_bind_int64(c->st_event_region, 2, ev[i].rowid);
		if (sqlite3_step(c->st_event_region) != SQLITE_DONE) {
			db_error(c, "assigning events to regions");
			goto out;
		}
		if (ev[i].cat >= 0)
			tot[(size_t)g * EV_CATEGORIES + (size_t)ev[i].cat] += ev[i].count;
	}
	for (i = 0; i < nreg; i++) {
		if (map[i] < 0 || map[i + 1] < 0)
			continue;
		for (k = 0; k < EV_CATEGORIES; k++)
			if (recorded[k] &&
			    put_metric(c, r->id, c->region_ids[i], names[k], tot[i * EV_CATEGORIES + (size_t)k]) < 0)
				goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	free(ev);
	free(hit_region);
	free(tot);
	return rc;
}

static int record_alignment(struct ctx *c, const struct run_seq *r, const struct markseq_stats *s,
			    const char *note)
{
	sqlite3_stmt *st = c->st_alignment;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_int64(st, 2, c->ref->id);
	sqlite3_bind_int64(st, 3, (int64_t)s->matched);
	sqlite3_bind_int64(st, 4, (int64_t)s->gaps);
	sqlite3_bind_int64(st, 5, (int64_t)s->mismatches);
	sqlite3_bind_text(st, 6, note, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_error(c, "writing the alignment");
	return 0;
}

static int align_run(struct ctx *c, const struct run_seq *r)
{
	const struct run_seq *ref = c->ref;
	long *map = xmalloc((ref->n ? ref->n : 1) * sizeof(long));
	struct markseq_stats s = { 0 };
	struct hits h = { 0 };
	struct taken taken = { 0 };
	char note[256];
	int rc = -1, qemu = !strncmp(r->platform, "qemu-", 5);
	size_t i;

	if (seq_equal(r, ref)) {
		for (i = 0; i < ref->n; i++)
			map[i] = (long)i;
		s.matched = ref->n;
		snprintf(note, sizeof(note), "identical to the reference");
		c->res->runs_exact++;
	} else {
		/* bound the work at a few 10^9 steps: (n + m) * edits */
		size_t len = ref->n + r->n, max_edits = 2000000000 / (len + 1);
		if (max_edits < 200)
			max_edits = 200;
		if (markseq__align(ref->ids, ref->n, r->ids, r->n, max_edits, map, &s) < 0) {
			snprintf(note, sizeof(note),
				 "too different from the reference (more than %zu markers differ): no marker regions",
				 max_edits);
			warning("%s: run %lld (%s rep %d): marker sequence %s",
				c->wname, (long long)r->id, r->platform, r->rep, note);
			c->res->runs_failed++;
			rc = record_alignment(c, r, &s, note);
			goto out;
		}
		snprintf(note, sizeof(note),
			 "%zu of %zu reference markers matched; %zu missing, %zu extra, %zu of them mismatched",
			 s.matched, ref->n, ref->n - s.matched, r->n - s.matched, s.mismatches);
		warning("%s: run %lld (%s rep %d): %s", c->wname, (long long)r->id, r->platform, r->rep,
			note);
		c->res->runs_partial++;
	}
	if (record_alignment(c, r, &s, note) < 0 || load_hits(c, r->id, &h, r->n) < 0)
		goto out;
	for (i = 0; i < h.n; i++) {
		if (!isnan(h.insns[i]))
			taken.insns = qemu ? "insns" : "instret";
		if (!isnan(h.time[i]))
			taken.time = qemu ? "qemu_host_ns" : "time_ns";
	}
	if (diff_metric(c, r, map, h.insns, qemu ? "insns" : "instret") < 0 ||
	    diff_metric(c, r, map, h.time, qemu ? "qemu_host_ns" : "time_ns") < 0 ||
	    mark_values(c, r, map, &h, &taken) < 0 || events(c, r, map, &h) < 0 ||
	    rollup__run(c->rollup, r->id, r->platform, map, h.seq, h.insns) < 0)
		goto out;
	rc = 0;
out:
	hits__free(&h);
	free(map);
	return rc;
}

int align__workload(struct sqlite3 *db, int64_t workload_id, struct align_result *res)
{
	struct ctx c = { .db = db, .wid = workload_id, .res = res };
	sqlite3_stmt *st;
	char *elf = NULL, *arch = NULL, *sha = NULL;
	size_t i;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	c.dbname = sqlite3_db_filename(db, "main");
	if (!c.dbname || !*c.dbname)
		c.dbname = "store";
	st = prepare(&c, "SELECT name, arch, elf_path, elf_sha256 FROM workload WHERE id = ?1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, workload_id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return error("%s: no workload with id %lld", c.dbname, (long long)workload_id);
	}
	c.wname = xstrdup((const char *)sqlite3_column_text(st, 0));
#define COL_DUP(i) (sqlite3_column_type(st, i) == SQLITE_NULL ? NULL : xstrdup((const char *)sqlite3_column_text(st, i)))
	arch = COL_DUP(1);
	elf = COL_DUP(2);
	sha = COL_DUP(3);
#undef COL_DUP
	sqlite3_finalize(st);

	/* plain INSERT (no statement journal per row): clear_previous() emptied these rows */
	c.st_metric = prepare(&c, "INSERT INTO region_metric (run_id, region_id, metric, value)"
				  " VALUES (?1, ?2, ?3, ?4)");
	c.st_event_region = prepare(&c, "UPDATE event_count SET region_id = ?1 WHERE rowid = ?2");
	c.st_alignment = prepare(&c, "INSERT OR REPLACE INTO alignment"
				     " (run_id, ref_run_id, matched, gaps, mismatches, note)"
				     " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (!c.st_metric || !c.st_event_region || !c.st_alignment)
		goto out;
	if (load_runs(&c) < 0 || clear_previous(&c) < 0 || rollup__clear(db, c.dbname, workload_id) < 0)
		goto out;
	res->runs = c.nruns;
	c.ref = most_common(&c, "ok");
	if (!c.ref)
		c.ref = most_common(&c, "warmup");
	if (!c.ref || c.ref->n < 2) {
		rc = drop_unused_regions(&c) ||
		     rollup__drop_unused(db, c.dbname, workload_id, &res->rollup_regions) ? -1 : 0;
		goto out;
	}
	res->ref_run_id = c.ref->id;
	res->ref_len = c.ref->n;
	res->regions = c.ref->n - 1;
	if (load_names(&c, elf, arch, sha) < 0 || make_regions(&c) < 0)
		goto out;
	c.rollup = rollup__new(db, c.dbname, workload_id, c.wname, c.ref->ids, c.ref->n);
	if (!c.rollup)
		goto out;
	for (i = 0; i < c.nruns; i++) {
		if (!c.runs[i].n) {
			struct markseq_stats s = { .gaps = c.ref->n };
			if (record_alignment(&c, &c.runs[i], &s, "no markers") < 0)
				goto out;
			warning("%s: run %lld (%s rep %d) has no markers", c.wname,
				(long long)c.runs[i].id, c.runs[i].platform, c.runs[i].rep);
			res->runs_failed++;
			continue;
		}
		if (align_run(&c, &c.runs[i]) < 0)
			goto out;
	}
	rc = drop_unused_regions(&c) ||
	     rollup__drop_unused(db, c.dbname, workload_id, &res->rollup_regions) ? -1 : 0;
	rollup__counts(c.rollup, &res->rollup_runs, &res->rollup_mismatches);
out:
	rollup__free(c.rollup);
	sqlite3_finalize(c.st_metric);
	sqlite3_finalize(c.st_event_region);
	sqlite3_finalize(c.st_alignment);
	for (i = 0; i < c.nruns; i++) {
		free(c.runs[i].ids);
		free(c.runs[i].platform);
		free(c.runs[i].status);
	}
	free(c.runs);
	free(c.region_ids);
	symtab__free(c.names);
	free(c.wname);
	free(elf);
	free(arch);
	free(sha);
	return rc;
}
