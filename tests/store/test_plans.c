/*
 * test_plans.c - query plans of the statements that read or delete
 * region_metric.
 *
 * Since schema 5 the table has no index on region_id: its only key is
 * (run_id, region_id, metric). A statement that looks rows up by region_id
 * alone scans the whole table, once per region when it sits in a loop or a
 * correlated subquery (millions of rows in a study). So every access must be
 * a search on the primary key that starts with run_id. The statements are the
 * strings the code runs (align, stats, report, show, merge), checked with
 * EXPLAIN QUERY PLAN on a new store; without ANALYZE statistics SQLite's
 * plans depend on the schema only, not on the rows. The checker itself is
 * checked on the statements this replaced, which it must reject.
 */
#include "check.h"
#include "common.h"
#include "store.h"
#include "store_sql.h"

#include "align.h"
#include "report.h"
#include "stats.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* in the working directory (meson runs tests in the build tree) */
static char dir[] = "emudiff-test-plans-XXXXXX";

/* The names a statement gives region_metric: its aliases, or the name itself. */
static size_t region_metric_names(const char *sql, char names[][32], size_t max)
{
	static const char *const keywords[] = {
		"WHERE", "JOIN", "ON", "SELECT", "VALUES", "LEFT", "CROSS", "INNER", "GROUP",
		"ORDER", "USING", "SET", "NATURAL", "LIMIT", "UNION", NULL,
	};
	static const char table[] = "region_metric";
	size_t n = 0;

	for (const char *p = strstr(sql, table); p && n < max; p = strstr(p + 1, table)) {
		const char *q = p + strlen(table);
		char word[32];
		size_t len = 0;

		if ((p > sql && (isalnum((unsigned char)p[-1]) || p[-1] == '_')) ||
		    isalnum((unsigned char)*q) || *q == '_')
			continue;
		for (int pass = 0; pass < 2; pass++) {
			while (*q == ' ')
				q++;
			for (len = 0; (isalnum((unsigned char)q[len]) || q[len] == '_') && len + 1 < sizeof(word); len++)
				word[len] = q[len];
			word[len] = '\0';
			q += len;
			if (strcasecmp(word, "AS"))
				break;
		}
		for (size_t k = 0; keywords[k] && len; k++)
			if (!strcasecmp(word, keywords[k]))
				len = 0;
		snprintf(names[n++], sizeof(names[0]), "%s", len ? word : table);
	}
	return n;
}

/*
 * 0 when every step of the plan that touches region_metric is a search on
 * its primary key by run_id; else -1, after printing the offending steps
 * when loud. Also -1 when no step names the table (the checker would be
 * checking nothing).
 */
static int check_plan(sqlite3 *db, const char *what, const char *sql, int loud)
{
	char names[16][32];
	size_t nnames = region_metric_names(sql, names, 16);
	char *eqp = xasprintf("EXPLAIN QUERY PLAN %s", sql);
	sqlite3_stmt *st = NULL;
	int seen = 0, bad = 0;

	if (sqlite3_prepare_v2(db, eqp, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: cannot prepare: %s\n%s\n", what, sqlite3_errmsg(db), sql);
		free(eqp);
		return -1;
	}
	free(eqp);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(st, 3);
		char verb[16], object[64];
		size_t k;

		if (!detail || sscanf(detail, "%15s %63s", verb, object) != 2 ||
		    (strcmp(verb, "SCAN") && strcmp(verb, "SEARCH")))
			continue;
		for (k = 0; k < nnames && strcmp(object, names[k]); k++)
			;
		if (k == nnames)
			continue;
		seen++;
		if (strcmp(verb, "SEARCH") || strncmp(detail + strlen("SEARCH ") + strlen(object),
						      " USING PRIMARY KEY (run_id=", 27)) {
			bad++;
			if (loud)
				fprintf(stderr, "%s: region_metric not reached by run_id: %s\n", what, detail);
		}
	}
	sqlite3_finalize(st);
	if (!seen && loud)
		fprintf(stderr, "%s: no step of the plan names region_metric\n%s\n", what, sql);
	return seen && !bad ? 0 : -1;
}

static void check_list(sqlite3 *db, const char *lib, const char *const *sql)
{
	size_t n = 0;

	for (; sql[n]; n++) {
		char *what = xasprintf("%s statement %zu", lib, n);

		CHECKF(check_plan(db, what, sql[n], 1) == 0, "%s: bad plan", what);
		free(what);
	}
	CHECKF(n > 0, "%s: no statements", lib);
}

int main(void)
{
	/* What schema 4's code ran; each must be rejected (per-region lookups). */
	static const char *const before[] = {
		"DELETE FROM region_metric WHERE region_id IN"
		" (SELECT id FROM region WHERE workload_id = ?1 AND substr(key, 1, 2) = 'm:')",
		"DELETE FROM region WHERE workload_id = ?1 AND substr(key, 1, 3) = 'ms:'"
		" AND NOT EXISTS (SELECT 1 FROM region_metric rm WHERE rm.region_id = region.id)",
		"SELECT g.id, (SELECT count(DISTINCT run_id) FROM region_metric m WHERE m.region_id = g.id)"
		" FROM region g",
		"SELECT rm.value FROM region_metric rm JOIN run ON run.id = rm.run_id"
		" WHERE rm.region_id = ?1 AND rm.metric = ?2",
	};
	char *p, *src;
	struct store *s, *in;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	messages_quiet(1);
	p = xasprintf("%s/plans.db", dir);
	src = xasprintf("%s/src.db", dir);
	s = store__open(p, STORE_CREATE);
	in = store__open(src, STORE_CREATE);
	CHECK(s != NULL && in != NULL);
	if (!s || !in)
		return check_exit();
	store__close(in);

	for (size_t i = 0; i < sizeof(before) / sizeof(before[0]); i++)
		CHECKF(check_plan(s->db, "before", before[i], 0) < 0,
		       "the checker accepts a per-region statement: %s", before[i]);

	check_list(s->db, "align", align__region_metric_sql);
	check_list(s->db, "stats", stats__region_metric_sql);
	check_list(s->db, "report", report__region_metric_sql);
	CHECK(check_plan(s->db, "show regions", SHOW_REGIONS_SQL, 1) == 0);
	CHECK(check_plan(s->db, "show regions --json", SHOW_REGIONS_JSON_SQL, 1) == 0);

	/* merge: the input attached as src, the maps as cmd_merge.c makes them */
	{
		char *sql = sqlite3_mprintf("ATTACH DATABASE %Q AS src", src);

		CHECK(store__exec(s, sql) == 0);
		sqlite3_free(sql);
		CHECK(store__exec(s, "CREATE TEMP TABLE run_map(src_id INTEGER PRIMARY KEY, dst_id INTEGER NOT NULL);"
				     "CREATE TEMP TABLE region_map(src_id INTEGER PRIMARY KEY, dst_id INTEGER NOT NULL)") == 0);
		CHECK(check_plan(s->db, "merge", MERGE_REGION_METRIC_SQL, 1) == 0);
	}
	store__close(s);
	free(p);
	free(src);
	return check_exit_removing(dir);
}
