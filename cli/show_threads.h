/*
 * show_threads.h - the SQL of `emudiff show threads` (docs/store.md, "Threads"):
 * the threads of every run that has several (run_thread, thread_metric and the
 * marker hits of each thread), each thread's share of the run on both sides
 * (thread_share) and the spread of the work across threads (thread_imbalance).
 * ?1 is the workload filter.
 */
#ifndef EMUDIFF_SHOW_THREADS_H
#define EMUDIFF_SHOW_THREADS_H

/* A run's threads: those named, with totals, or with marker hits; runs with one thread left out. */
#define THREADS_WITH                                                                       \
	"WITH rs AS (SELECT r.id, r.platform, r.rep, r.status, w.name AS workload FROM run r"   \
	"  JOIN workload w ON w.id = r.workload_id WHERE " WL_FILTER "),"                       \
	" hits AS (SELECT m.run_id, m.thread, count(*) AS n FROM rs CROSS JOIN mark m"           \
	"  ON m.run_id = rs.id GROUP BY m.run_id, m.thread),"                                   \
	" th AS (SELECT run_id, thread FROM run_thread WHERE run_id IN (SELECT id FROM rs)"      \
	"  UNION SELECT run_id, thread FROM thread_metric WHERE run_id IN (SELECT id FROM rs)"  \
	"  UNION SELECT run_id, thread FROM hits),"                                              \
	" multi AS (SELECT run_id FROM th GROUP BY run_id HAVING count(*) > 1),"                \
	" t AS (SELECT rs.*, th.thread, rt.kind, rt.os_id, coalesce(h.n, 0) AS hits FROM th"      \
	"  JOIN multi USING (run_id) JOIN rs ON rs.id = th.run_id"                               \
	"  LEFT JOIN run_thread rt ON rt.run_id = th.run_id AND rt.thread = th.thread"           \
	"  LEFT JOIN hits h ON h.run_id = th.run_id AND h.thread = th.thread) "
#define THREADS_ORDER " ORDER BY workload, platform, rep, id, thread"
/* an exact value: integers without a fraction */
#define THREAD_VALUE(v) "CASE WHEN " v " = CAST(" v " AS INTEGER) THEN CAST(" v " AS INTEGER) ELSE printf('%.17g', " v ") END"

#define SHOW_THREADS_SQL                                                                   \
	THREADS_WITH                                                                         \
	"SELECT workload, id AS run, platform, rep, status, thread, coalesce(kind, '-') AS kind," \
	" coalesce(os_id, '-') AS os_id, hits,"                                               \
	" coalesce((SELECT group_concat(x, ' ') FROM (SELECT m.metric || '=' || " THREAD_VALUE("m.value") " AS x" \
	"  FROM thread_metric m WHERE m.run_id = t.id AND m.thread = t.thread ORDER BY m.metric)), '') AS totals" \
	" FROM t" THREADS_ORDER

#define SHOW_THREADS_JSON_PART                                                             \
	"(SELECT json_group_array(json_object('workload', workload, 'run', id, 'platform', platform," \
	" 'rep', rep, 'status', status, 'thread', thread, 'kind', kind, 'os_id', os_id, 'hits', hits," \
	" 'totals', (SELECT json_group_object(metric, value) FROM thread_metric m"            \
	"  WHERE m.run_id = tt.id AND m.thread = tt.thread))) FROM (SELECT * FROM t" THREADS_ORDER ") tt)"

/* each thread's share of the run: hardware against emulation */
#define SHARES_FROM                                                                        \
	" FROM thread_share s JOIN workload w ON w.id = s.workload_id WHERE " WL_FILTER        \
	" ORDER BY w.name, s.thread, s.emu_metric"
#define PCT_CI(v, lo, hi)                                                                   \
	"CASE WHEN " v " IS NULL THEN '-' WHEN " lo " IS NULL THEN printf('%.1f%%', 100 * " v ")" \
	" ELSE printf('%.1f%% [%.1f, %.1f]', 100 * " v ", 100 * " lo ", 100 * " hi ") END"
#define NUM_CI(v, lo, hi)                                                                  \
	"CASE WHEN " v " IS NULL THEN '-' WHEN " lo " IS NULL THEN emudiff_num(" v ")"            \
	" ELSE emudiff_num(" v ") || ' [' || emudiff_num(" lo ") || ', ' || emudiff_num(" hi ") || ']' END"

#define SHOW_THREAD_SHARES_SQL                                                             \
	"SELECT w.name AS workload, s.thread AS thread, s.emu_metric || '/' || s.metric AS metrics," \
	" " PCT_CI("s.emu_share", "s.emu_lo", "s.emu_hi") " AS emu_share,"                       \
	" " PCT_CI("s.hw_share", "s.hw_lo", "s.hw_hi") " AS hw_share,"                           \
	" " NUM_CI("s.factor", "s.ci_lo", "s.ci_hi") " AS hw_per_emu, s.verdict AS verdict" SHARES_FROM
#define SHOW_THREAD_SHARES_JSON_PART                                                       \
	"(SELECT json_group_array(json_object('workload', workload, 'thread', thread,"         \
	" 'emu_metric', emu_metric, 'metric', metric, 'emu_platform', emu_platform,"            \
	" 'hw_platform', hw_platform, 'emu_share', emu_share, 'emu_lo', emu_lo, 'emu_hi', emu_hi," \
	" 'hw_share', hw_share, 'hw_lo', hw_lo, 'hw_hi', hw_hi, 'factor', factor, 'ci_lo', ci_lo," \
	" 'ci_hi', ci_hi, 'n_emu', n_emu, 'n_hw', n_hw, 'verdict', verdict, 'reason', reason))"   \
	" FROM (SELECT s.*, w.name AS workload" SHARES_FROM "))"

/* the spread across threads: whole runs first, then flagged regions, most off first */
#define IMBALANCE_FROM                                                                     \
	" FROM thread_imbalance i JOIN workload w ON w.id = i.workload_id WHERE " WL_FILTER    \
	" ORDER BY w.name, i.region_key IS NOT NULL, CASE i.verdict WHEN 'underestimates' THEN 0" \
	" WHEN 'overestimates' THEN 0 WHEN 'inconclusive' THEN 1 ELSE 2 END,"                 \
	" i.factor IS NULL, max(i.factor, 1 / i.factor) DESC, i.region_key, i.emu_metric"
#define MAX_THREAD(v, t) "CASE WHEN " v " IS NULL THEN '' ELSE ' t' || " t " END"

#define SHOW_THREAD_IMBALANCE_SQL                                                          \
	"SELECT w.name AS workload, coalesce(i.region_key, '(whole run)') AS region,"          \
	" coalesce((SELECT g.name FROM region g WHERE g.workload_id = i.workload_id AND g.key = i.region_key), '')" \
	" AS name, i.threads AS threads, i.emu_metric || '/' || i.metric AS metrics,"           \
	" " NUM_CI("i.emu_imbalance", "i.emu_lo", "i.emu_hi") " || " MAX_THREAD("i.emu_imbalance", "i.emu_max_thread") \
	" AS emu_max_mean, " NUM_CI("i.hw_imbalance", "i.hw_lo", "i.hw_hi") " || "              \
	MAX_THREAD("i.hw_imbalance", "i.hw_max_thread") " AS hw_max_mean,"                     \
	" " NUM_CI("i.factor", "i.ci_lo", "i.ci_hi") " AS hw_per_emu, i.verdict AS verdict" IMBALANCE_FROM
#define SHOW_THREAD_IMBALANCE_JSON_PART                                                    \
	"(SELECT json_group_array(json_object('workload', workload, 'region', region_key,"     \
	" 'name', name, 'threads', threads, 'emu_metric', emu_metric, 'metric', metric,"        \
	" 'emu_platform', emu_platform, 'hw_platform', hw_platform, 'emu_imbalance', emu_imbalance," \
	" 'emu_lo', emu_lo, 'emu_hi', emu_hi, 'emu_max_thread', emu_max_thread,"              \
	" 'hw_imbalance', hw_imbalance, 'hw_lo', hw_lo, 'hw_hi', hw_hi, 'hw_max_thread', hw_max_thread," \
	" 'factor', factor, 'ci_lo', ci_lo, 'ci_hi', ci_hi, 'n_emu', n_emu, 'n_hw', n_hw,"     \
	" 'verdict', verdict, 'reason', reason)) FROM (SELECT i.*, w.name AS workload,"         \
	" (SELECT g.name FROM region g WHERE g.workload_id = i.workload_id AND g.key = i.region_key) AS name" \
	IMBALANCE_FROM "))"

/* One JSON object: {"threads": [...], "shares": [...], "imbalance": [...]}. */
#define SHOW_THREADS_JSON_SQL                                                              \
	THREADS_WITH "SELECT json_object('threads', json(" SHOW_THREADS_JSON_PART "),"         \
	" 'shares', json(" SHOW_THREAD_SHARES_JSON_PART "),"                                   \
	" 'imbalance', json(" SHOW_THREAD_IMBALANCE_JSON_PART "))"

#endif
