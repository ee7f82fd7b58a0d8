/*
 * regions.c - build the marker regions of workloads in the store.
 *
 * Every run (status ok or warmup) has a marker sequence. One reference
 * sequence per workload is chosen (the most common among ok runs of all
 * platforms), every run is aligned to it (markseq.c), and regions are keyed
 * by the reference's numbering, m:<from>-><to>#<n>, so that the same key
 * means the same stretch of the program on every platform. A run that lost a
 * marker misses the two regions around it and keeps all the others; a run
 * with an extra marker measures the reference region across it (counters are
 * cumulative, so any two matched hits bound a region). All of this is per
 * thread (regions.h, struct lane): a region is the stretch between two
 * consecutive hits of one thread, and each thread ordinal has its reference
 * and its keys (@t<k> appended for k > 0).
 *
 * The reader (regions_read.c) computes each run's regions; this file writes
 * them. The caller holds the transaction; everything align wrote before for
 * a workload's marker regions is removed first, so re-running is idempotent.
 * Symbol regions (s:...) written by the collectors are left alone.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "regions.h"
#include "rollup.h"

/*
 * Metric rows go through multi-row INSERTs of METRIC_BATCH rows, the rest of
 * a run's through smaller ones: a statement step per row costs about as much
 * again as SQLite's insert itself (bench/stats-scale: 4.6 s -> 3.4 s).
 */
enum { METRIC_BATCH = 128, METRIC_STATEMENTS = 3 };
static const int metric_batch[METRIC_STATEMENTS] = { METRIC_BATCH, 16, 1 }; /* st_metrics[] */

/* The writer: statements prepared once, and the workload being written. */
struct ctx {
	sqlite3 *db;
	const char *dbname;
	sqlite3_stmt *st_workload, *st_metrics[METRIC_STATEMENTS], *st_event_region, *st_alignment,
		*st_alignment_thread;
	/* the current workload */
	int64_t wid;
	char *wname;
	const struct workload_seqs *w; /* NULL: no marker regions */
	int64_t *region_ids; /* per region of all lanes (w->nregions) */
	size_t *order;       /* regions by region id: the primary key's order */
	struct symtab *names;
	struct align_result *res;
	struct rollup **rollups; /* per lane */
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
	" AND region_id IN (SELECT id FROM region WHERE workload_id = ?1 AND substr(key, 1, 2) = '" REGION_KEY_MARK "')";
static const char clear_metrics_sql[] =
	"DELETE FROM region_metric"
	" WHERE run_id IN (SELECT id FROM run WHERE workload_id = ?1)"
	" AND region_id IN (SELECT id FROM region WHERE workload_id = ?1 AND substr(key, 1, 2) = '" REGION_KEY_MARK "')";

const char *const align__region_metric_sql[] = {
	clear_metrics_sql, rollup__clear_sql, rollup__drop_unused_sql, NULL,
};

static int clear_previous(struct ctx *c)
{
	if (exec_wid(c, clear_events_sql) < 0 || exec_wid(c, clear_metrics_sql) < 0)
		return -1;
	if (exec_wid(c, "DELETE FROM alignment_thread WHERE run_id IN"
			" (SELECT id FROM run WHERE workload_id = ?1)"))
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
	size_t i, n = c->w && c->region_ids ? c->w->nregions : 0;
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
	rc = exec_wid(c, "DELETE FROM region WHERE workload_id = ?1 AND substr(key, 1, 2) = '" REGION_KEY_MARK "'"
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

/* The region of key k (name: NULL or static), found or added, into *id. */
static int region_id(struct ctx *c, sqlite3_stmt *const sts[3], const char *k, const char *name, int64_t *id)
{
	int step, j;

	for (j = 0; j < 3; j++) {
		sqlite3_reset(sts[j]);
		sqlite3_bind_int64(sts[j], 1, c->wid);
		sqlite3_bind_text(sts[j], 2, k, -1, SQLITE_TRANSIENT);
		if (name)
			sqlite3_bind_text(sts[j], 3, name, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(sts[j], 3);
	}
	step = sqlite3_step(sts[0]);
	if (step == SQLITE_ROW) {
		*id = sqlite3_column_int64(sts[0], 0);
		if (!sqlite3_column_int(sts[0], 1) && sqlite3_step(sts[2]) != SQLITE_DONE)
			return db_error(c, "writing regions");
	} else if (step == SQLITE_DONE && sqlite3_step(sts[1]) == SQLITE_DONE) {
		*id = sqlite3_last_insert_rowid(c->db);
	} else {
		return db_error(c, "writing regions");
	}
	return 0;
}

/* The regions of one lane, m:<from>-><to>#<n>[@t<k>], into c->region_ids from lane->first. */
static int lane_regions(struct ctx *c, const struct lane *lane, sqlite3_stmt *const sts[3])
{
	const struct thread_seq *ref = lane->ref;
	size_t nreg = ref->n - 1, cap = 16, i;
	struct pair_count *tab;
	int rc = 0;

	while (cap < 2 * nreg + 2)
		cap *= 2;
	tab = xcalloc(cap, sizeof(*tab));
	for (i = 0; i < nreg && !rc; i++) {
		uint64_t key = (uint64_t)(uint32_t)ref->ids[i] << 32 | (uint32_t)ref->ids[i + 1];
		size_t h = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & (cap - 1);
		const char *name = c->names ? symtab__mark_name(c->names, ref->ids[i]) : NULL;
		char k[96];

		while (tab[h].count && tab[h].key != key)
			h = (h + 1) & (cap - 1);
		tab[h].key = key;
		tab[h].count++;
		if (lane->thread)
			snprintf(k, sizeof(k), REGION_KEY_MARK "%d->%d#%u" REGION_KEY_THREAD "%d", ref->ids[i],
				 ref->ids[i + 1], tab[h].count, lane->thread);
		else
			snprintf(k, sizeof(k), REGION_KEY_MARK "%d->%d#%u", ref->ids[i], ref->ids[i + 1], tab[h].count);
		rc = region_id(c, sts, k, name, &c->region_ids[lane->first + i]);
	}
	free(tab);
	return rc;
}

static int make_regions(struct ctx *c)
{
	sqlite3_stmt *sts[3];
	int rc = -1;

	c->region_ids = xcalloc(c->w->nregions ? c->w->nregions : 1, sizeof(int64_t));
	/* find, else insert: an upsert with RETURNING would open a statement journal per row */
	sts[0] = prepare(c, "SELECT id, name IS ?3 FROM region WHERE workload_id = ?1 AND key = ?2");
	sts[1] = prepare(c, "INSERT INTO region (workload_id, key, name) VALUES (?1, ?2, ?3)");
	sts[2] = prepare(c, "UPDATE region SET name = ?3 WHERE workload_id = ?1 AND key = ?2");
	if (sts[0] && sts[1] && sts[2]) {
		rc = 0;
		for (size_t l = 0; l < c->w->nlanes && !rc; l++)
			rc = lane_regions(c, &c->w->lanes[l], sts);
	}
	for (int j = 0; j < 3; j++)
		sqlite3_finalize(sts[j]);
	return rc;
}

struct region_order {
	int64_t id;
	size_t i;
};

static int region_order_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct region_order *)a)->id, y = ((const struct region_order *)b)->id;

	return (x > y) - (x < y);
}

/* Regions in id order: inserting metrics in primary key order appends to the tree. */
static void order_regions(struct ctx *c)
{
	size_t i, n = c->w->nregions;
	struct region_order *o = xmalloc((n ? n : 1) * sizeof(*o));

	for (i = 0; i < n; i++) {
		o[i].id = c->region_ids[i];
		o[i].i = i;
	}
	qsort(o, n, sizeof(*o), region_order_cmp);
	c->order = xmalloc((n ? n : 1) * sizeof(size_t));
	for (i = 0; i < n; i++)
		c->order[i] = o[i].i;
	free(o);
}

struct metric_row {
	int64_t region_id;
	const char *metric; /* the job's column name: outlives the step, not the job */
	double value;
};

static int put_rows(struct ctx *c, sqlite3_stmt *st, int64_t run_id, const struct metric_row *rows,
		    int n)
{
	int i, rc = 0;

	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 4 * i + 1, run_id);
		sqlite3_bind_int64(st, 4 * i + 2, rows[i].region_id);
		sqlite3_bind_text(st, 4 * i + 3, rows[i].metric, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 4 * i + 4, rows[i].value);
	}
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_error(c, "writing region metrics");
	sqlite3_reset(st);
	for (i = 0; i < n; i++)
		sqlite3_bind_null(st, 4 * i + 3); /* the names are freed with the job */
	return rc;
}

/* Rows rows[0..n), each batch by the largest statement that fits. */
static int put_batches(struct ctx *c, int64_t run_id, const struct metric_row *rows, int n)
{
	int done = 0, k = 0;

	while (done < n) {
		while (metric_batch[k] > n - done)
			k++;
		if (put_rows(c, c->st_metrics[k], run_id, rows + done, metric_batch[k]) < 0)
			return -1;
		done += metric_batch[k];
	}
	return 0;
}

static int put_metrics(struct ctx *c, const struct run_regions *rr)
{
	struct metric_row rows[METRIC_BATCH];
	size_t n = c->w->nregions, i, k;
	int nrows = 0;

	for (i = 0; i < n; i++) {
		size_t g = c->order[i];

		for (k = 0; k < rr->ncols; k++) {
			if (!rr->cols[k].has[g])
				continue;
			rows[nrows].region_id = c->region_ids[g];
			rows[nrows].metric = rr->cols[k].name;
			rows[nrows].value = rr->cols[k].v[g];
			if (++nrows < METRIC_BATCH)
				continue;
			if (put_batches(c, rr->run->id, rows, nrows) < 0)
				return -1;
			nrows = 0;
		}
	}
	return put_batches(c, rr->run->id, rows, nrows);
}

static int put_event_regions(struct ctx *c, const struct run_regions *rr)
{
	size_t i;

	for (i = 0; i < rr->nev; i++) {
		sqlite3_reset(c->st_event_region);
		sqlite3_bind_int64(c->st_event_region, 1, c->region_ids[rr->ev[i].reg]);
		sqlite3_bind_int64(c->st_event_region, 2, rr->ev[i].rowid);
		if (sqlite3_step(c->st_event_region) != SQLITE_DONE)
			return db_error(c, "assigning events to regions");
	}
	return 0;
}

/* The alignment of lane l's thread: thread 0 in alignment, the others in alignment_thread. */
static int record_alignment(struct ctx *c, const struct run_regions *rr, size_t l)
{
	const struct lane *lane = &c->w->lanes[l];
	const struct lane_map *lm = &rr->lanes[l];
	sqlite3_stmt *st = lane->thread ? c->st_alignment_thread : c->st_alignment;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, rr->run->id);
	sqlite3_bind_int64(st, 2, lane->ref_run->id);
	sqlite3_bind_int64(st, 3, (int64_t)lm->stats.matched);
	sqlite3_bind_int64(st, 4, (int64_t)lm->stats.gaps);
	sqlite3_bind_int64(st, 5, (int64_t)lm->stats.mismatches);
	sqlite3_bind_text(st, 6, lm->note, -1, SQLITE_TRANSIENT);
	if (lane->thread)
		sqlite3_bind_int(st, 7, lane->thread);
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_error(c, "writing the alignment");
	return 0;
}

/* Each lane's alignment row, and a warning for each thread that did not align exactly. */
static int lane_alignments(struct ctx *c, const struct run_regions *rr)
{
	const struct run_seq *r = rr->run;

	for (size_t l = 0; l < rr->nlanes; l++) {
		const struct lane_map *lm = &rr->lanes[l];
		char on[32] = "";

		if (c->w->lanes[l].thread)
			snprintf(on, sizeof(on), "thread %d: ", c->w->lanes[l].thread);
		if (record_alignment(c, rr, l) < 0)
			return -1;
		if (rr->outcome == RUN_NO_MARKERS || lm->outcome == RUN_EXACT)
			continue; /* a run without any marker gets one warning */
		if (lm->outcome == RUN_NO_MARKERS)
			warning("%s: run %lld (%s rep %d): no markers on thread %d", c->wname, (long long)r->id,
				r->platform, r->rep, c->w->lanes[l].thread);
		else if (lm->outcome == RUN_TOO_DIFFERENT)
			warning("%s: run %lld (%s rep %d): %smarker sequence %s", c->wname, (long long)r->id,
				r->platform, r->rep, on, lm->note);
		else
			warning("%s: run %lld (%s rep %d): %s%s", c->wname, (long long)r->id, r->platform,
				r->rep, on, lm->note);
	}
	return 0;
}

static int write_run(struct ctx *c, const struct run_regions *rr)
{
	const struct run_seq *r = rr->run;
	int rolled = 0;

	if (lane_alignments(c, rr) < 0)
		return -1;
	switch (rr->outcome) {
	case RUN_NO_MARKERS:
		warning("%s: run %lld (%s rep %d) has no markers", c->wname, (long long)r->id,
			r->platform, r->rep);
		c->res->runs_failed++;
		return 0;
	case RUN_TOO_DIFFERENT:
		c->res->runs_failed++;
		return 0;
	case RUN_PARTIAL:
		c->res->runs_partial++;
		break;
	case RUN_EXACT:
		c->res->runs_exact++;
		break;
	}
	if (put_metrics(c, rr) < 0 || put_event_regions(c, rr) < 0)
		return -1;
	for (size_t l = 0; l < rr->nlanes; l++) {
		const struct lane_map *lm = &rr->lanes[l];
		int got;

		if (lm->outcome != RUN_PARTIAL && lm->outcome != RUN_EXACT)
			continue;
		got = rollup__run(c->rollups[l], r->id, r->platform, lm->map, lm->seq, lm->insns);
		if (got < 0)
			return -1;
		rolled |= got;
	}
	c->res->rollup_runs += (size_t)rolled;
	return 0;
}

/* Forget the workload written; what the reader handed over is freed with its jobs. */
static void workload_done(struct ctx *c)
{
	for (size_t l = 0; c->rollups && l < c->w->nlanes; l++)
		rollup__free(c->rollups[l]);
	free(c->rollups);
	c->rollups = NULL;
	free(c->region_ids);
	c->region_ids = NULL;
	free(c->order);
	c->order = NULL;
	symtab__free(c->names);
	c->names = NULL;
	free(c->wname);
	c->wname = NULL;
	c->w = NULL;
}

static int begin_workload(struct ctx *c, const struct workload_seqs *w)
{
	sqlite3_stmt *st = c->st_workload;
	char *elf = NULL, *arch = NULL, *sha = NULL;
	struct align_result *res = c->res;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	c->wid = w->wid;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, w->wid);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return error("%s: no workload with id %lld", c->dbname, (long long)w->wid);
	}
	c->wname = xstrdup((const char *)sqlite3_column_text(st, 0));
#define COL_DUP(i) (sqlite3_column_type(st, i) == SQLITE_NULL ? NULL : xstrdup((const char *)sqlite3_column_text(st, i)))
	arch = COL_DUP(1);
	elf = COL_DUP(2);
	sha = COL_DUP(3);
#undef COL_DUP
	sqlite3_reset(st);

	if (clear_previous(c) < 0 || rollup__clear(c->db, c->dbname, c->wid) < 0)
		goto out;
	res->runs = w->nruns;
	if (!workload_seqs__has_regions(w)) {
		rc = 0;
		goto out;
	}
	c->w = w;
	res->ref_run_id = w->lanes[0].ref_run->id;
	res->regions = w->nregions;
	res->threads = w->nlanes;
	for (size_t l = 0; l < w->nlanes; l++) {
		res->ref_len += w->lanes[l].ref->n;
		res->refs_differ |= w->lanes[l].ref_run != w->lanes[0].ref_run;
	}
	if (load_names(c, elf, arch, sha) < 0 || make_regions(c) < 0)
		goto out;
	order_regions(c);
	c->rollups = xcalloc(w->nlanes, sizeof(*c->rollups));
	rc = 0;
	for (size_t l = 0; l < w->nlanes && !rc; l++) {
		c->rollups[l] = rollup__new(c->db, c->dbname, c->wid, c->wname, w->lanes[l].ref->ids,
					    w->lanes[l].ref->n, w->lanes[l].thread);
		if (!c->rollups[l])
			rc = -1;
	}
out:
	free(elf);
	free(arch);
	free(sha);
	return rc;
}

static int end_workload(struct ctx *c)
{
	struct align_result *res = c->res;

	if (drop_unused_regions(c) || rollup__drop_unused(c->db, c->dbname, c->wid, &res->rollup_regions))
		return -1;
	for (size_t l = 0; c->rollups && l < c->w->nlanes; l++)
		res->rollup_mismatches += rollup__mismatches(c->rollups[l]);
	return 0;
}

static int write_job(struct ctx *c, const struct job *j)
{
	switch (j->type) {
	case JOB_WORKLOAD_BEGIN:
		return begin_workload(c, j->seqs);
	case JOB_RUN:
		return write_run(c, &j->run);
	case JOB_WORKLOAD_END:
		return end_workload(c);
	}
	return -1;
}

/* INSERT ... VALUES (?, ?, ?, ?), ... n times */
static sqlite3_stmt *prepare_metrics(struct ctx *c, int n)
{
	static const char head[] = "INSERT INTO region_metric (run_id, region_id, metric, value) VALUES ";
	char *sql = xmalloc(sizeof(head) + (size_t)n * sizeof("(?,?,?,?),")), *p = sql;
	sqlite3_stmt *st;
	int i;

	p += sprintf(p, "%s", head);
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s(?,?,?,?)", i ? "," : "");
	st = prepare(c, sql);
	free(sql);
	return st;
}

static int ctx__init(struct ctx *c, sqlite3 *db, struct align_result *res)
{
	int i;

	memset(c, 0, sizeof(*c));
	c->db = db;
	c->res = res;
	c->dbname = sqlite3_db_filename(db, "main");
	if (!c->dbname || !*c->dbname)
		c->dbname = "store";
	c->st_workload = prepare(c, "SELECT name, arch, elf_path, elf_sha256 FROM workload WHERE id = ?1");
	/* plain INSERTs (no statement journal per row): clear_previous() emptied these rows */
	for (i = 0; i < METRIC_STATEMENTS; i++)
		c->st_metrics[i] = prepare_metrics(c, metric_batch[i]);
	c->st_event_region = prepare(c, "UPDATE event_count SET region_id = ?1 WHERE rowid = ?2");
	c->st_alignment = prepare(c, "INSERT OR REPLACE INTO alignment"
				     " (run_id, ref_run_id, matched, gaps, mismatches, note)"
				     " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	c->st_alignment_thread = prepare(c, "INSERT OR REPLACE INTO alignment_thread"
					    " (run_id, ref_run_id, matched, gaps, mismatches, note, thread)"
					    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	for (i = 0; i < METRIC_STATEMENTS; i++)
		if (!c->st_metrics[i])
			return -1;
	return c->st_workload && c->st_event_region && c->st_alignment && c->st_alignment_thread ? 0 : -1;
}

static void ctx__release(struct ctx *c)
{
	int i;

	workload_done(c);
	sqlite3_finalize(c->st_workload);
	for (i = 0; i < METRIC_STATEMENTS; i++)
		sqlite3_finalize(c->st_metrics[i]);
	sqlite3_finalize(c->st_event_region);
	sqlite3_finalize(c->st_alignment);
	sqlite3_finalize(c->st_alignment_thread);
}

/* Where the jobs come from: the reader on its own thread, or in this one. */
struct source {
	struct readahead *ra;
	struct reader *rd;
};

static int source__next(struct source *src, struct job **out)
{
	int got = src->ra ? readahead__next(src->ra, out) : reader__next(src->rd, out);

	if (got < 0)
		error("%s", src->ra ? readahead__error(src->ra) : reader__error(src->rd));
	return got;
}

static int align_batch(sqlite3 *db, const int64_t *ids, size_t n, int ahead, align_done_fn *done,
		       void *arg)
{
	struct align_result res = { 0 };
	struct source src = { NULL, NULL };
	struct ctx c;
	size_t w = 0;
	int rc = -1, got;

	if (ctx__init(&c, db, &res) < 0)
		goto out;
	if (ahead)
		src.ra = readahead__start(db, c.dbname, ids, n);
	if (!src.ra)
		src.rd = reader__new(db, c.dbname, ids, n);
	for (;;) {
		struct job *j = NULL;

		got = source__next(&src, &j);
		if (got <= 0) {
			rc = got;
			break;
		}
		if (write_job(&c, j) < 0) {
			job__free(j);
			break;
		}
		if (j->type == JOB_WORKLOAD_END) {
			workload_done(&c);
			if (done && done(arg, w, &res) < 0) {
				job__free(j);
				break;
			}
			w++;
		}
		job__free(j);
	}
out:
	/* first the writer: its reference points into what the reader holds */
	ctx__release(&c);
	readahead__free(src.ra);
	reader__free(src.rd);
	return rc;
}

int align__workloads(struct sqlite3 *db, const int64_t *ids, size_t n, align_done_fn *done,
		     void *arg)
{
	return align_batch(db, ids, n, 1, done, arg);
}

static int copy_result(void *arg, size_t i, const struct align_result *res)
{
	(void)i;
	memcpy(arg, res, sizeof(*res));
	return 0;
}

int align__workload(struct sqlite3 *db, int64_t workload_id, struct align_result *res)
{
	memset(res, 0, sizeof(*res));
	return align_batch(db, &workload_id, 1, 0, copy_result, res);
}
