/*
 * cmd_show.c - "emudiff show runs|regions|findings|costs [--json]": look into a store.
 *
 * JSON is produced by SQLite's own JSON functions (json_group_array over
 * json_object rows), so quoting is SQLite's, not ours. The text form is an
 * aligned table.
 */
#include "cmd.h"
#include "common.h"
#include "store.h"
#include "store_sql.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage_text[] =
	"usage: emudiff show runs|regions|findings|suite|costs|metrics|servers|boot|latency|latency-compare|threads\n"
	"                    [--db F] [--workload W] [--json]\n"
	"\n"
	"   runs       one line per run: workload, platform, repetition, status, exit code, wall time\n"
	"   regions    one line per region: workload, key, name, runs measured, metrics\n"
	"   findings   misprediction findings, most severe first (flagged, then by factor);\n"
	"              a comparison that cannot differ says 'not informative' first in its reason;\n"
	"              '*' (JSON: primary) marks each region's primary finding, the one the\n"
	"              study's summary and the report show\n"
	"   suite      per workload, its cost relative to the suite on hardware against what\n"
	"              emulation predicts (whole runs, and regions named alike across workloads)\n"
	"   costs      per event (syscall, trap, exit): emulated instructions and hardware cost\n"
	"              per event [CI], QEMU host ns, hardware cost per emulated instruction of\n"
	"              the event against the workload's average, and their ratio; a cost the\n"
	"              fit does not determine says 'not determined', why, and what would\n"
	"   metrics    whole-run metrics, run by run (boot latency until_console_ns, unattributed\n"
	"              instructions with why and how to attribute them)\n"
	"   servers    client-server workloads: per driver metric (requests_per_s, req_p50_ns, ...)\n"
	"              emulation's and hardware's mean [CI], emulation / hardware [CI], verdict\n"
	"   boot       boot latency: per stage (OpenSBI, U-Boot, Linux, init, the console\n"
	"              string, stages of one's own) and platform the time to it [CI], then\n"
	"              emulation against hardware: both [CI], emulation / hardware [CI], verdict\n"
	"              (--json: one object of two arrays)\n"
	"   latency    latency percentiles (us) per region, metric and platform\n"
	"   latency-compare  hardware / emulation of p50, p99, max [CI], verdict, KS test\n"
	"   threads    the threads of each run that has several (marker hits, totals), each\n"
	"              thread's share of the run and the imbalance across threads (max / mean\n"
	"              of the per-thread cost) per region and whole run, hardware against\n"
	"              emulation [CI] with a verdict (--json: one object of three arrays)\n"
	"\n"
	"   --db F         the store (default $EMUDIFF_DB or emudiff.db)\n"
	"   --workload W   only this workload\n"
	"   --json         a JSON array of objects instead of a table\n";

#include "show_latency.h"
#include "show_servers.h"
#include "show_boot.h"
#include "show_threads.h"

/* A further table of a view: a title line above it, a line instead when it has no rows,
 * a note under it when it has (or NULL). */
struct section {
	const char *title, *select, *none, *note;
};

struct view {
	const char *name;
	/* Selects the columns (text form) in display order; ?1 is the workload filter. */
	const char *select;
	/* The same rows as one JSON array. */
	const char *json;
	/* printed under the table when it has rows, or NULL */
	const char *note;
};

static const struct section threads_more[] = {
	{ "each thread's share of the run, hardware against emulation (thread_share):", SHOW_THREAD_SHARES_SQL,
	  "no thread shares (emudiff stats compares the threads' totals, thread_metric)", NULL },
	{ "imbalance across threads, max / mean of the per-thread cost (thread_imbalance):",
	  SHOW_THREAD_IMBALANCE_SQL, "no regions run by several threads", NULL },
	{ NULL, NULL, NULL, NULL },
};

static const struct section boot_more[] = {
	{ "emulation against hardware (server_compare, kind boot):", SHOW_BOOT_COMPARE_SQL,
	  "no stage timed on both an emulation and a hardware platform", BOOT_COMPARE_NOTE },
	{ NULL, NULL, NULL, NULL },
};

/* Views of several tables: a title above the first, and the tables that follow (NULL select ends). */
static const struct multi {
	const char *view, *title;
	const struct section *more;
} multis[] = {
	{ "threads", "threads of the runs with several:", threads_more },
	{ "boot", "boot latency per stage and platform, mean over ok runs [CI] (run_metric_stat):", boot_more },
};

/* WL_FILTER (?1: --workload) and the regions view are in store_sql.h. */
#define RUNS_FROM                                                                          \
	" FROM run r JOIN workload w ON w.id = r.workload_id WHERE " WL_FILTER              \
	" ORDER BY w.name, r.platform, r.rep, r.id"

/* Most severe first: flagged verdicts, then inconclusive, then agreeing; within
 * each, by how far the CI lies outside the tolerance band (finding.severity). */
#define FINDINGS_FROM                                                                      \
	" FROM finding f JOIN workload w ON w.id = f.workload_id"                             \
	" LEFT JOIN region g ON g.id = f.region_id"                                            \
	" LEFT JOIN " PRIMARY_FINDING_SQL " p ON p.id = f.id WHERE " WL_FILTER                  \
	" ORDER BY CASE f.verdict WHEN 'underestimates' THEN 0 WHEN 'overestimates' THEN 0"  \
	" WHEN 'inconclusive' THEN 1 ELSE 2 END, f.severity IS NULL, f.severity DESC,"       \
	" w.name, g.key, f.predictor, f.baseline"

/* Suite-level findings (stats/suite.c): flagged first, most severe first. */
#define SUITE_FROM                                                                         \
	" FROM suite_finding f JOIN workload w ON w.id = f.workload_id WHERE " WL_FILTER      \
	" ORDER BY f.scope = 'region', f.unit, CASE f.verdict WHEN 'underestimates' THEN 0"     \
	" WHEN 'overestimates' THEN 0 WHEN 'inconclusive' THEN 1 ELSE 2 END,"                  \
	" f.severity IS NULL, f.severity DESC, w.name, f.predictor, f.baseline"

/* Per-event cost (stats/event_cost.c): syscalls, traps, exits in that order; each
 * cost with why the data do not determine it (EVENT_COST_WHY_SQL, NULL when they do). */
#define COSTS_FROM                                                                         \
	" FROM (SELECT *, " EVENT_COST_WHY_SQL("emu_per_event", "emu_lo", "n", "terms") " AS emu_why," \
	" " EVENT_COST_WHY_SQL("hw_per_event", "hw_lo", "n", "terms") " AS hw_why,"             \
	" " EVENT_COST_WHY_SQL("qemu_ns_per_event", "qemu_lo", "n", "terms") " AS qemu_why"     \
	" FROM event_cost) c JOIN workload w ON w.id = c.workload_id WHERE " WL_FILTER          \
	" ORDER BY w.name, CASE c.event WHEN 'syscalls' THEN 0 WHEN 'traps' THEN 1 ELSE 2 END"
/* Every reason a row's costs are not determined, and what would determine them. */
#define COSTS_NOTE                                                                         \
	"CASE WHEN coalesce(c.emu_why, c.hw_why, c.qemu_why) IS NULL THEN '' ELSE"              \
	" 'not determined: ' || rtrim(coalesce('emulated insns: ' || c.emu_why || '; ', '')"   \
	" || coalesce('hardware: ' || c.hw_why || '; ', '')"                                   \
	" || coalesce('QEMU ns: ' || c.qemu_why || '; ', ''), '; ')"                          \
	" || printf('; " EVENT_COST_REMEDY " would determine it', rtrim(c.event, 's')) END"

/* Whole-run metrics (run_metric), run by run. */
#define METRICS_FROM                                                                       \
	" FROM run r JOIN workload w ON w.id = r.workload_id JOIN run_metric m ON m.run_id = r.id" \
	" WHERE " WL_FILTER " ORDER BY w.name, r.platform, r.rep, r.id, m.metric"
/* a number with its interval, "-" when absent */
#define CI_TEXT(v, lo, hi, fmt)                                                            \
	"CASE WHEN " v " IS NULL THEN '-' WHEN " lo " IS NULL THEN printf('" fmt "', " v ")"      \
	" ELSE printf('" fmt " [" fmt ", " fmt "]', " v ", " lo ", " hi ") END"

static const struct view views[] = {
	{ "runs",
	  "SELECT r.id AS id, w.name AS workload, r.platform AS platform, r.rep AS rep,"
	  " r.status AS status, r.exit_code AS exit, printf('%.3f', r.wall_ns / 1e9) AS wall_s,"
	  " r.started_at AS started, coalesce(r.cell, '') AS cell" RUNS_FROM,
	  "SELECT json_group_array(json_object('id', id, 'workload', workload, 'platform', platform,"
	  " 'rep', rep, 'status', status, 'exit_code', exit_code, 'wall_ns', wall_ns,"
	  " 'started_at', started_at, 'cell', cell, 'config', json(config_json))) FROM ("
	  "SELECT r.id, w.name AS workload, r.platform, r.rep, r.status, r.exit_code, r.wall_ns,"
	  " r.started_at, r.cell, r.config_json" RUNS_FROM ")", NULL },
	{ "regions", SHOW_REGIONS_SQL, SHOW_REGIONS_JSON_SQL, NULL },
	{ "findings",
	  "SELECT w.name AS workload, coalesce(g.key, '-') AS region, coalesce(g.name, '') AS name,"
	  " CASE WHEN p.id IS NULL THEN '' ELSE '*' END AS \"primary\","
	  " f.predictor AS predictor, coalesce(f.baseline, '-') AS baseline, f.metric AS metric,"
	  " emudiff_num(f.factor) AS factor,"
	  " CASE WHEN f.ci_lo IS NULL THEN '-' ELSE '[' || emudiff_num(f.ci_lo) || ', ' || emudiff_num(f.ci_hi) || ']' END AS ci,"
	  " CASE WHEN f.p_adj IS NULL THEN '-' ELSE printf('%.2g', f.p_adj) END AS p_adj,"
	  " f.verdict AS verdict, f.reason AS reason" FINDINGS_FROM,
	  "SELECT json_group_array(json_object('id', id, 'workload', workload, 'region', region,"
	  " 'name', name, 'primary', json(CASE WHEN is_primary THEN 'true' ELSE 'false' END),"
	  " 'metric', metric, 'predictor', predictor, 'baseline', baseline,"
	  " 'verdict', verdict, 'factor', factor, 'ci_lo', ci_lo, 'ci_hi', ci_hi, 'pct_lo', pct_lo,"
	  " 'pct_hi', pct_hi, 'p_value', p_value, 'p_adj', p_adj, 'pred_share', pred_share,"
	  " 'hw_share', hw_share, 'hw_share_lo', hw_share_lo, 'hw_share_hi', hw_share_hi,"
	  " 'n_emu', n_emu, 'n_hw', n_hw, 'emu_platform', emu_platform, 'hw_platform', hw_platform,"
	  " 'severity', severity, 'informative', informative, 'not_informative', not_informative,"
	  " 'reason', reason)) FROM ("
	  "SELECT f.*, w.name AS workload, g.key AS region, g.name, p.id IS NOT NULL AS is_primary" FINDINGS_FROM ")",
	  "* primary: the " PRIMARY_FINDING_WHY },
	{ "suite",
	  "SELECT f.unit AS unit, w.name AS workload, f.predictor AS predictor, f.baseline AS baseline,"
	  " " CI_TEXT("f.factor", "f.ci_lo", "f.ci_hi", "%.3g") " AS factor,"
	  " CASE WHEN f.p_adj IS NULL THEN '-' ELSE printf('%.2g', f.p_adj) END AS p_adj,"
	  " f.verdict AS verdict, f.reason AS reason" SUITE_FROM,
	  "SELECT json_group_array(json_object('scope', scope, 'unit', unit, 'workload', workload,"
	  " 'metric', metric, 'predictor', predictor, 'baseline', baseline, 'factor', factor,"
	  " 'ci_lo', ci_lo, 'ci_hi', ci_hi, 'p_value', p_value, 'p_adj', p_adj, 'verdict', verdict,"
	  " 'hw_share', hw_share, 'pred_share', pred_share, 'n_emu', n_emu, 'n_hw', n_hw,"
	  " 'workloads', workloads, 'informative', informative, 'not_informative', not_informative,"
	  " 'reason', reason)) FROM ("
	  "SELECT f.*, w.name AS workload" SUITE_FROM ")", NULL },
	{ "costs",
	  "SELECT w.name AS workload, rtrim(c.event, 's') AS event,"
	  " CASE WHEN c.emu_why IS NOT NULL THEN 'not determined' ELSE "
	  CI_TEXT("c.emu_per_event", "c.emu_lo", "c.emu_hi", "%.0f") " END AS emu_insns,"
	  " coalesce(c.hw_metric, '-') AS hw_metric,"
	  " CASE WHEN c.hw_why IS NOT NULL THEN 'not determined' ELSE "
	  CI_TEXT("c.hw_per_event", "c.hw_lo", "c.hw_hi", "%.0f") " END AS hw_cost,"
	  " CASE WHEN c.qemu_why IS NOT NULL THEN 'not determined' ELSE "
	  CI_TEXT("c.qemu_ns_per_event", "c.qemu_lo", "c.qemu_hi", "%.0f") " END AS qemu_ns,"
	  /* per emulated instruction of the event: needs both of its costs */
	  " CASE WHEN c.hw_per_insn IS NULL THEN '-' WHEN coalesce(c.emu_why, c.hw_why) IS NOT NULL"
	  " THEN 'not determined' ELSE printf('%.3g', c.hw_per_insn) END AS per_insn,"
	  " CASE WHEN c.hw_per_insn_avg IS NULL THEN '-' ELSE printf('%.3g', c.hw_per_insn_avg) END AS avg,"
	  " CASE WHEN c.ratio IS NULL THEN '-' WHEN coalesce(c.emu_why, c.hw_why) IS NOT NULL"
	  " THEN 'not determined' ELSE printf('x%.3g', c.ratio) END AS ratio,"
	  " c.n AS regions, " COSTS_NOTE " AS note" COSTS_FROM,
	  "SELECT json_group_array(json_object('workload', workload, 'event', event,"
	  " 'emu_metric', emu_metric, 'emu_per_event', emu_per_event, 'emu_lo', emu_lo,"
	  " 'emu_hi', emu_hi, 'hw_metric', hw_metric, 'hw_per_event', hw_per_event, 'hw_lo', hw_lo,"
	  " 'hw_hi', hw_hi, 'qemu_ns_per_event', qemu_ns_per_event, 'qemu_lo', qemu_lo,"
	  " 'qemu_hi', qemu_hi, 'hw_per_insn', hw_per_insn, 'hw_per_insn_avg', hw_per_insn_avg,"
	  " 'ratio', ratio, 'regions', n, 'terms', terms,"
	  " 'emu_determined', json(CASE WHEN emu_why IS NULL THEN 'true' ELSE 'false' END),"
	  " 'hw_determined', json(CASE WHEN hw_why IS NULL THEN 'true' ELSE 'false' END),"
	  " 'qemu_determined', json(CASE WHEN qemu_why IS NULL THEN 'true' ELSE 'false' END),"
	  " 'not_determined', note)) FROM ("
	  "SELECT c.*, w.name AS workload, " COSTS_NOTE " AS note" COSTS_FROM ")", NULL },
	{ "metrics",
	  "SELECT w.name AS workload, r.id AS run, r.platform AS platform, r.rep AS rep,"
	  " r.status AS status, m.metric AS metric,"
	  " CASE WHEN m.value = CAST(m.value AS INTEGER) THEN CAST(m.value AS INTEGER)"
	  " ELSE printf('%.17g', m.value) END AS value, " RUN_METRIC_NOTE_SQL("m.metric", "m.value", "w.elf_path") " AS note" METRICS_FROM,
	  "SELECT json_group_array(json_object('workload', workload, 'run', run_id, 'platform', platform,"
	  " 'rep', rep, 'status', status, 'metric', metric, 'value', value, 'note', note)) FROM ("
	  "SELECT w.name AS workload, r.id AS run_id, r.platform, r.rep, r.status, m.metric, m.value,"
	  " " RUN_METRIC_NOTE_SQL("m.metric", "m.value", "w.elf_path") " AS note" METRICS_FROM ")", NULL },
	{ "servers", SHOW_SERVERS_SQL, SHOW_SERVERS_JSON_SQL,
	  "emu_per_hw: emulation / hardware; underestimates: emulation's value lies below hardware's" },
	{ "boot", SHOW_BOOT_SQL, SHOW_BOOT_JSON_SQL, NULL },
	{ "latency", SHOW_LATENCY_SQL, SHOW_LATENCY_JSON_SQL, NULL },
	{ "latency-compare", SHOW_LATENCY_COMPARE_SQL, SHOW_LATENCY_COMPARE_JSON_SQL, NULL },
	{ "threads", SHOW_THREADS_SQL, SHOW_THREADS_JSON_SQL, NULL },
};

static void bind_filter(sqlite3_stmt *st, const char *workload)
{
	if (workload)
		sqlite3_bind_text(st, 1, workload, -1, SQLITE_TRANSIENT);
}

static int show_json(struct store *s, const struct view *v, const char *workload)
{
	sqlite3_stmt *st;
	int rc = -1;

	if (sqlite3_prepare_v2(s->db, v->json, -1, &st, NULL) != SQLITE_OK)
		return error("%s: %s", s->path, sqlite3_errmsg(s->db));
	bind_filter(st, workload);
	if (sqlite3_step(st) == SQLITE_ROW) {
		printf("%s\n", (const char *)sqlite3_column_text(st, 0));
		rc = 0;
	} else {
		error("%s: %s", s->path, sqlite3_errmsg(s->db));
	}
	sqlite3_finalize(st);
	return rc;
}

static void print_cell(const char *text, int width, int last)
{
	if (last)
		printf("%s\n", text);
	else
		printf("%-*s  ", width, text);
}

/* Print rows as an aligned table: widths from the widest cell of each column; none when empty. */
static int show_rows(struct store *s, const char *select, const char *none, const char *note, const char *workload)
{
	sqlite3_stmt *st;
	char **cells = NULL;
	size_t nrows = 0, cap = 0;
	int ncol, rc, ret = 0;
	size_t *width;

	if (sqlite3_prepare_v2(s->db, select, -1, &st, NULL) != SQLITE_OK)
		return error("%s: %s", s->path, sqlite3_errmsg(s->db));
	bind_filter(st, workload);
	ncol = sqlite3_column_count(st);
	width = xcalloc(ncol, sizeof(*width));
	for (int c = 0; c < ncol; c++)
		width[c] = strlen(sqlite3_column_name(st, c));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (nrows == cap) {
			cap = cap ? 2 * cap : 64;
			cells = xrealloc(cells, cap * ncol * sizeof(*cells));
		}
		for (int c = 0; c < ncol; c++) {
			const unsigned char *t = sqlite3_column_text(st, c);
			char *cell = xstrdup(t ? (const char *)t : "");

			cells[nrows * ncol + c] = cell;
			if (strlen(cell) > width[c])
				width[c] = strlen(cell);
		}
		nrows++;
	}
	if (rc != SQLITE_DONE)
		ret = error("%s: %s", s->path, sqlite3_errmsg(s->db));
	if (!ret && nrows == 0) {
		printf("%s\n", none);
	} else if (!ret) {
		for (int c = 0; c < ncol; c++)
			print_cell(sqlite3_column_name(st, c), (int)width[c], c + 1 == ncol);
		for (size_t r = 0; r < nrows; r++)
			for (int c = 0; c < ncol; c++)
				print_cell(cells[r * ncol + c], (int)width[c], c + 1 == ncol);
		if (note)
			printf("%s\n", note);
	}
	for (size_t i = 0; i < nrows * ncol; i++)
		free(cells[i]);
	free(cells);
	free(width);
	sqlite3_finalize(st);
	return ret;
}

static int show_table(struct store *s, const struct view *v, const char *workload)
{
	const struct multi *mv = NULL;
	char none[64];
	int ret;

	for (size_t i = 0; i < sizeof(multis) / sizeof(multis[0]); i++)
		if (!strcmp(multis[i].view, v->name))
			mv = &multis[i];
	snprintf(none, sizeof(none), "no %s", v->name);
	if (mv)
		printf("%s\n", mv->title);
	ret = show_rows(s, v->select, none, v->note, workload);
	for (const struct section *m = mv ? mv->more : NULL; !ret && m && m->select; m++) {
		printf("\n%s\n", m->title);
		ret = show_rows(s, m->select, m->none, m->note, workload);
	}
	return ret;
}

int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "workload", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *db = store__default_path(), *workload = NULL;
	const struct view *v = NULL;
	struct store *s;
	struct stat stbuf;
	int json = 0, c, rc;

	while ((c = cmd_getopt(argc, argv, "hj", opts)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'w': workload = optarg; break;
		case 'j': json = 1; break;
		case 'h': cmd_usage(usage_text, EXIT_OK);
		default: cmd_usage(usage_text, EXIT_BADINPUT);
		}
	}
	if (optind + 1 != argc)
		cmd_usage(usage_text, EXIT_BADINPUT);
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		if (!strcmp(argv[optind], views[i].name))
			v = &views[i];
	if (!v) {
		error("show: unknown view '%s' (runs, regions, findings, suite, costs, metrics, servers, boot, latency,"
		      " latency-compare"
		      " or threads)", argv[optind]);
		return EXIT_BADINPUT;
	}
	if (stat(db, &stbuf) && strcmp(db, ":memory:")) {
		/* a mistyped path must not read as "no runs" */
		error("%s: no such store (run a collect or study first)", db);
		return EXIT_BADINPUT;
	}
	if (stbuf.st_size == 0 && strcmp(db, ":memory:")) {
		/* an empty file is an empty store: create nothing in it */
		s = store__open(":memory:", STORE_CREATE);
	} else {
		s = store__open(db, STORE_READONLY);
	}
	if (!s)
		return EXIT_BADINPUT;
	if (num__register(s->db)) {
		store__close(s);
		return error("%s: %s", db, sqlite3_errmsg(s->db)), EXIT_BADINPUT;
	}
	rc = json ? show_json(s, v, workload) : show_table(s, v, workload);
	store__close(s);
	return rc ? EXIT_BADINPUT : EXIT_OK;
}
