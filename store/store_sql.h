/*
 * store_sql.h - statements of the emudiff commands that read region_metric,
 * shared with tests/store/test_plans.c, which checks their query plans.
 *
 * region_metric's primary key is (run_id, region_id, metric) and, since
 * schema 5, it has no other index: every statement reaches it through run_id,
 * never by region_id alone (that would scan the table, per region in a loop).
 */
#ifndef EMUDIFF_STORE_SQL_H
#define EMUDIFF_STORE_SQL_H

/* emudiff show: ?1 is the --workload filter (NULL: every workload). */
#define WL_FILTER "(?1 IS NULL OR w.name = ?1)"

/*
 * Runs measured and metrics present, per region, in one grouped pass over
 * the shown workloads' rows, reached by run. A row with a NULL run stands for
 * every region, so that regions without metrics are listed too (0, none).
 * The metrics come out as a JSON array, sorted by the callers with json_each
 * (SQLite 3.40 has no ORDER BY inside an aggregate).
 */
#define SHOW_REGIONS_WITH                                                                  \
	"WITH a AS (SELECT region_id, count(DISTINCT run_id) AS runs,"                       \
	" json_group_array(DISTINCT metric) FILTER (WHERE metric IS NOT NULL) AS metrics"    \
	" FROM (SELECT g.id AS region_id, NULL AS run_id, NULL AS metric"                    \
	"  FROM workload w JOIN region g ON g.workload_id = w.id WHERE " WL_FILTER            \
	"  UNION ALL SELECT rm.region_id, rm.run_id, rm.metric"                              \
	"  FROM workload w CROSS JOIN run r ON r.workload_id = w.id"                         \
	"  CROSS JOIN region_metric rm ON rm.run_id = r.id WHERE " WL_FILTER ")"              \
	" GROUP BY region_id) "

#define SHOW_REGIONS_FROM                                                                  \
	" FROM a JOIN region g ON g.id = a.region_id JOIN workload w ON w.id = g.workload_id"  \
	" ORDER BY w.name, g.key"

#define SHOW_REGIONS_SQL                                                                   \
	SHOW_REGIONS_WITH                                                                    \
	"SELECT g.id AS id, w.name AS workload, g.key AS key, coalesce(g.name, '') AS name,"  \
	" a.runs AS runs, coalesce((SELECT group_concat(value, ',') FROM"                    \
	"  (SELECT value FROM json_each(a.metrics) ORDER BY value)), '') AS metrics"         \
	SHOW_REGIONS_FROM

#define SHOW_REGIONS_JSON_SQL                                                              \
	SHOW_REGIONS_WITH                                                                    \
	"SELECT json_group_array(json_object('id', id, 'workload', workload, 'key', key,"     \
	" 'name', name, 'runs', runs, 'metrics', json(metrics))) FROM ("                     \
	"SELECT g.id, w.name AS workload, g.key, g.name, a.runs,"                            \
	" (SELECT json_group_array(value) FROM"                                              \
	"  (SELECT value FROM json_each(a.metrics) ORDER BY value)) AS metrics"              \
	SHOW_REGIONS_FROM ")"

/* emudiff merge: the input's rows of the runs it copies (temp.run_map), run
 * by run; new run ids grow with the old ones, so rows go in in key order. */
#define MERGE_REGION_METRIC_SQL                                                            \
	"INSERT INTO main.region_metric SELECT m.dst_id, g.dst_id, k.metric, k.value"          \
	" FROM temp.run_map m CROSS JOIN src.region_metric k ON k.run_id = m.src_id"          \
	" JOIN temp.region_map g ON g.src_id = k.region_id"

#endif
