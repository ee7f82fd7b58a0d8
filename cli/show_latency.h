/*
 * show_latency.h - the SQL of `emudiff show latency` (latency_quantile: the
 * percentile table per workload, region, metric and platform, in us) and
 * `emudiff show latency-compare` (latency_compare: hardware / emulation of
 * p50, p99 and max with CI, verdict and the KS test). ?1 is the workload filter.
 */
#ifndef EMUDIFF_SHOW_LATENCY_H
#define EMUDIFF_SHOW_LATENCY_H

#define LATENCY_FROM                                                                       \
	" FROM latency_quantile q JOIN workload w ON w.id = q.workload_id WHERE " WL_FILTER   \
	" ORDER BY w.name, q.region_key, q.metric, q.platform"
#define LAT_US(col) "printf('%.1f', " col " / 1e3)"

#define SHOW_LATENCY_SQL                                                                   \
	"SELECT w.name AS workload, q.region_key AS region, q.metric AS metric,"              \
	" q.platform AS platform, q.runs AS runs, q.n AS events, " LAT_US("q.min") " AS min_us," \
	" " LAT_US("q.p50") " AS p50_us, " LAT_US("q.p90") " AS p90_us, " LAT_US("q.p99")      \
	" AS p99_us, " LAT_US("q.p999") " AS p999_us, " LAT_US("q.max") " AS max_us" LATENCY_FROM
#define SHOW_LATENCY_JSON_SQL                                                              \
	"SELECT json_group_array(json_object('workload', workload, 'region', region_key,"     \
	" 'metric', metric, 'platform', platform, 'runs', runs, 'events', n, 'min_ns', min,"  \
	" 'p50_ns', p50, 'p90_ns', p90, 'p99_ns', p99, 'p999_ns', p999, 'max_ns', max,"       \
	" 'mean_ns', mean)) FROM (SELECT q.*, w.name AS workload" LATENCY_FROM ")"

#define LATENCY_COMPARE_FROM                                                               \
	" FROM latency_compare c JOIN workload w ON w.id = c.workload_id WHERE " WL_FILTER    \
	" ORDER BY w.name, c.region_key, c.metric, c.emu_platform, c.hw_platform,"           \
	" CASE c.stat WHEN 'p50' THEN 0 WHEN 'p99' THEN 1 ELSE 2 END"

#define SHOW_LATENCY_COMPARE_SQL                                                           \
	"SELECT w.name AS workload, c.region_key AS region, c.metric AS metric,"              \
	" c.emu_platform || '/' || c.hw_platform AS platforms, c.stat AS stat,"               \
	" " LAT_US("c.emu") " AS emu_us, " LAT_US("c.hw") " AS hw_us,"                         \
	" CASE WHEN c.factor IS NULL THEN '-' ELSE printf('%.3g', c.factor) END AS hw_per_emu," \
	" CASE WHEN c.ci_lo IS NULL THEN '-' ELSE printf('%.3g-%.3g', c.ci_lo, c.ci_hi) END AS ci," \
	" c.verdict AS verdict, printf('%.3f', c.ks_d) AS ks_d, printf('%.2g', c.ks_p) AS ks_p"  \
	LATENCY_COMPARE_FROM
#define SHOW_LATENCY_COMPARE_JSON_SQL                                                      \
	"SELECT json_group_array(json_object('workload', workload, 'region', region_key,"     \
	" 'metric', metric, 'emu_platform', emu_platform, 'hw_platform', hw_platform,"        \
	" 'stat', stat, 'emu_ns', emu, 'hw_ns', hw, 'factor', factor, 'ci_lo', ci_lo,"        \
	" 'ci_hi', ci_hi, 'verdict', verdict, 'ks_d', ks_d, 'ks_p', ks_p, 'n_emu', n_emu,"     \
	" 'n_hw', n_hw, 'runs_emu', runs_emu, 'runs_hw', runs_hw)) FROM ("                    \
	"SELECT c.*, w.name AS workload" LATENCY_COMPARE_FROM ")"

#endif
