/*
 * cmd_merge.c - "emudiff merge --db OUT A.db B.db ...": join stores measured on
 * several machines or boards into one.
 *
 * Workloads are matched by name and regions by (workload, key), so that the
 * same marker region measured on a board and under QEMU on a laptop meet in one
 * place. Runs are copied with new ids; a run already present (same workload,
 * platform, repetition, start time, cell and wall time) is skipped, so merging
 * the same store twice duplicates nothing. Derived tables (findings, stats) are
 * not copied: run `emudiff align` and `emudiff stats` on the merged store.
 * Every input is checked before the first is merged (a store emudiff can
 * read, of this schema, of the same study as the others and as OUT), so a
 * bad input merges nothing; then each input is merged in one transaction.
 */
#include "cmd.h"
#include "common.h"
#include "store.h"
#include "store_sql.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: emudiff merge [--db OUT] STORE...\n"
	"\n"
	"Copies workloads, runs, markers, metrics, regions, events and latency samples of\n"
	"each STORE into OUT (default $EMUDIFF_DB or emudiff.db; created if missing). Runs\n"
	"already in OUT are skipped. Every STORE must be of this emudiff's schema and of\n"
	"the same study as the others and OUT, or nothing is merged. Re-run 'emudiff align'\n"
	"and 'emudiff stats' afterwards.\n";

/* Runs of src that main does not hold yet, by identity rather than by id. */
#define NEW_RUNS                                                                           \
	"SELECT r.* FROM src.run r JOIN src.workload w ON w.id = r.workload_id"             \
	" WHERE NOT EXISTS (SELECT 1 FROM main.run m JOIN main.workload mw ON mw.id = m.workload_id" \
	"  WHERE mw.name = w.name AND m.platform = r.platform AND m.rep = r.rep"            \
	"  AND m.started_at = r.started_at AND coalesce(m.cell, '') = coalesce(r.cell, '')" \
	"  AND coalesce(m.wall_ns, -1) = coalesce(r.wall_ns, -1))"

#define MERGE_MARK_SQL(thread)                                                                  \
	"INSERT INTO main.mark(run_id, seq, mark_id, insns, time_ns, thread)"                     \
	" SELECT m.dst_id, k.seq, k.mark_id, k.insns, k.time_ns, " thread                        \
	" FROM src.mark k JOIN temp.run_map m ON m.src_id = k.run_id"

static const char *const merge_sql[] = {
	"CREATE TEMP TABLE run_map(src_id INTEGER PRIMARY KEY, dst_id INTEGER NOT NULL)",
	"INSERT INTO main.workload(name, arch, elf_path, elf_sha256, argv)"
	" SELECT name, arch, elf_path, elf_sha256, argv FROM src.workload"
	" WHERE name NOT IN (SELECT name FROM main.workload) ORDER BY id",
	"INSERT INTO temp.run_map(src_id, dst_id)"
	" SELECT id, (SELECT coalesce(max(id), 0) FROM main.run) + row_number() OVER (ORDER BY id)"
	" FROM (" NEW_RUNS ")",
	"INSERT INTO main.run(id, workload_id, platform, config_json, rep, status, exit_code, wall_ns, started_at, cell)"
	" SELECT m.dst_id, (SELECT mw.id FROM main.workload mw JOIN src.workload sw ON sw.name = mw.name"
	"  WHERE sw.id = r.workload_id), r.platform, r.config_json, r.rep, r.status, r.exit_code,"
	"  r.wall_ns, r.started_at, r.cell"
	" FROM src.run r JOIN temp.run_map m ON m.src_id = r.id ORDER BY m.dst_id",
	"INSERT INTO main.mark_value SELECT m.dst_id, k.seq, k.metric, k.value"
	" FROM src.mark_value k JOIN temp.run_map m ON m.src_id = k.run_id",
	"INSERT INTO main.run_metric SELECT m.dst_id, k.metric, k.value"
	" FROM src.run_metric k JOIN temp.run_map m ON m.src_id = k.run_id",
	"INSERT INTO main.region(workload_id, key, name)"
	" SELECT mw.id, g.key, g.name FROM src.region g JOIN src.workload sw ON sw.id = g.workload_id"
	" JOIN main.workload mw ON mw.name = sw.name"
	" WHERE NOT EXISTS (SELECT 1 FROM main.region x WHERE x.workload_id = mw.id AND x.key = g.key)"
	" ORDER BY g.id",
	/* keyed, so that the copies below look regions up instead of scanning */
	"CREATE TEMP TABLE region_map(src_id INTEGER PRIMARY KEY, dst_id INTEGER NOT NULL)",
	"INSERT INTO temp.region_map SELECT g.id, x.id"
	" FROM src.region g JOIN src.workload sw ON sw.id = g.workload_id"
	" JOIN main.workload mw ON mw.name = sw.name"
	" JOIN main.region x ON x.workload_id = mw.id AND x.key = g.key",
	MERGE_REGION_METRIC_SQL,
	"INSERT INTO main.event_count(run_id, region_id, kind, detail, count, seq)"
	" SELECT m.dst_id, rm.dst_id, k.kind, k.detail, k.count, k.seq"
	" FROM src.event_count k JOIN temp.run_map m ON m.src_id = k.run_id"
	" LEFT JOIN temp.region_map rm ON rm.src_id = k.region_id",
	"INSERT OR IGNORE INTO main.ab_pair SELECT * FROM src.ab_pair",
	/* the study the runs belong to, for the next merge's check */
	"INSERT OR IGNORE INTO main.meta(key, value) SELECT key, value FROM src.meta WHERE key LIKE 'study.%'",
};

/* Does the attached input store have table name? */
static int src_has(struct store *out, const char *name)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(out->db, "SELECT 1 FROM src.sqlite_master WHERE name = ?1", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW;
}

/* The study a store belongs to (meta study.name), or NULL; caller frees. */
static char *study_of(struct store *st)
{
	sqlite3_stmt *q;
	char *name = NULL;

	if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = 'study.name'", -1, &q, NULL) != SQLITE_OK)
		return NULL;
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
		name = xstrdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return name;
}

/*
 * Every input opens as a store of this schema (the checks of any store:
 * garbage, another application, older or newer schema) and all that belong
 * to a study belong to the same one as each other and as out (if it exists);
 * 0, or -1 after one line naming the store.
 */
static int check_inputs(const char *out, char **paths, int n)
{
	char *study = NULL, *from = NULL;
	int rc = 0;

	for (int i = -1; i < n && !rc; i++) {
		const char *path = i < 0 ? out : paths[i];
		struct store *st;
		char *name;

		if (i < 0 && access(out, F_OK))
			continue;
		/* out is written anyway: an older schema of it is migrated */
		st = store__open(path, i < 0 ? 0 : STORE_READONLY);
		if (!st) {
			rc = -1;
			break;
		}
		name = study_of(st);
		store__close(st);
		if (name && study && strcmp(name, study))
			rc = error("%s: a store of study '%s', not '%s' like %s; nothing merged", path, name, study, from);
		if (name && !study) {
			study = name;
			from = xstrdup(path);
		} else {
			free(name);
		}
	}
	free(study);
	free(from);
	return rc;
}

static int merge_one(struct store *out, const char *path, int *nruns)
{
	sqlite3_stmt *st;
	char *sql;
	int rc;

	sql = sqlite3_mprintf("ATTACH DATABASE %Q AS src", path);
	rc = store__exec(out, sql);
	sqlite3_free(sql);
	if (rc)
		return -1;
	if (store__begin(out))
		goto detach;
	for (size_t i = 0; i < sizeof(merge_sql) / sizeof(merge_sql[0]); i++)
		if (store__exec(out, merge_sql[i]))
			goto fail;
	/* mark.thread, run_thread and thread_metric came with schema 9 (run_thread.process, pid, in_load
	 * with 13; an input store is of this schema: read-only opens refuse older ones) */
	if (store__exec(out, src_has(out, "run_thread") ? MERGE_MARK_SQL("k.thread") : MERGE_MARK_SQL("0")))
		goto fail;
	if (src_has(out, "run_thread") &&
	    (store__exec(out, "INSERT INTO main.run_thread (run_id, thread, os_id, kind, process, pid, in_load)"
			      " SELECT m.dst_id, k.thread, k.os_id, k.kind, k.process, k.pid, k.in_load"
			      " FROM src.run_thread k JOIN temp.run_map m ON m.src_id = k.run_id") ||
	     store__exec(out, "INSERT INTO main.thread_metric SELECT m.dst_id, k.thread, k.metric, k.value"
			      " FROM src.thread_metric k JOIN temp.run_map m ON m.src_id = k.run_id")))
		goto fail;
	/* mark_symbol came with schema 4, latency_sample with 6; an older input store has none */
	if (src_has(out, "mark_symbol") &&
	    store__exec(out, "INSERT INTO main.mark_symbol SELECT m.dst_id, k.seq, k.symbol, k.metric, k.value"
			     " FROM src.mark_symbol k JOIN temp.run_map m ON m.src_id = k.run_id"))
		goto fail;
	if (src_has(out, "latency_sample") &&
	    store__exec(out, "INSERT INTO main.latency_sample SELECT m.dst_id, k.region_key, k.metric, k.n, k.samples"
			     " FROM src.latency_sample k JOIN temp.run_map m ON m.src_id = k.run_id"))
		goto fail;
	*nruns = 0;
	if (sqlite3_prepare_v2(out->db, "SELECT count(*) FROM temp.run_map", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			*nruns = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	if (store__exec(out, "DROP TABLE temp.run_map; DROP TABLE temp.region_map"))
		goto fail;
	if (store__commit(out))
		goto detach;
	return store__exec(out, "DETACH DATABASE src");
fail:
	store__rollback(out);
	store__exec(out, "DROP TABLE IF EXISTS temp.run_map; DROP TABLE IF EXISTS temp.region_map");
detach:
	store__exec(out, "DETACH DATABASE src");
	return -1;
}

int cmd_merge(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *db = store__default_path();
	struct store *out;
	int c, ret = EXIT_OK;

	while ((c = cmd_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'h': cmd_usage(usage_text, EXIT_OK);
		default: cmd_usage(usage_text, EXIT_BADINPUT);
		}
	}
	if (optind >= argc)
		cmd_usage(usage_text, EXIT_BADINPUT);
	if (check_inputs(db, argv + optind, argc - optind))
		return EXIT_BADINPUT;
	out = store__open(db, STORE_CREATE);
	if (!out)
		return EXIT_BADINPUT;
	for (int i = optind; i < argc; i++) {
		int nruns = 0;

		if (merge_one(out, argv[i], &nruns)) {
			ret = EXIT_BADINPUT;
			break;
		}
		printf("%s: %d run%s merged into %s\n", argv[i], nruns, nruns == 1 ? "" : "s", db);
	}
	store__close(out);
	return ret;
}
