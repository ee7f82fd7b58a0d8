/*
 * server_sql.h - a server workload's rows as `emudiff show servers` and the
 * report's Under load table list them (docs/servers.md): the comparisons
 * (server_compare of kind 'server'), and for each pair of platforms
 * compared, a metric only one of the two has (run_metric_stat: natively no
 * instruction counter, no traced system calls) as a row of that side alone:
 * the other side's columns and the ratio NULL, verdict NULL ("not
 * compared"), informative 0, not_informative 'one_side'.
 */
#ifndef EMUDIFF_SERVER_SQL_H
#define EMUDIFF_SERVER_SQL_H

/* side(x, y): x when the stat is the emulation side's, y when the hardware's */
#define SERVER_ONE_SIDE(col, emu)                                                                   \
	" CASE WHEN (s.platform = p.emu_platform) = " emu " THEN s." col " END"

#define SERVER_ROWS_SQL                                                                             \
	"(SELECT workload_id, metric, ord, emu_platform, hw_platform, n_emu, n_hw, emu, emu_lo, emu_hi,"  \
	" hw, hw_lo, hw_hi, ratio, ratio_lo, ratio_hi, verdict, informative, not_informative, reason"     \
	" FROM server_compare WHERE kind = 'server'"                                                   \
	" UNION ALL SELECT p.workload_id, s.metric, s.ord, p.emu_platform, p.hw_platform,"              \
	" CASE WHEN s.platform = p.emu_platform THEN s.n ELSE 0 END,"                                  \
	" CASE WHEN s.platform = p.hw_platform THEN s.n ELSE 0 END,"                                   \
	SERVER_ONE_SIDE("mean", "1") "," SERVER_ONE_SIDE("mean_lo", "1") "," SERVER_ONE_SIDE("mean_hi", "1") "," \
	SERVER_ONE_SIDE("mean", "0") "," SERVER_ONE_SIDE("mean_lo", "0") "," SERVER_ONE_SIDE("mean_hi", "0") "," \
	" NULL, NULL, NULL, NULL, 0, 'one_side',"                                                      \
	" printf('not compared: %s is measured on %s only (%d runs), not on %s', s.metric, s.platform, s.n," \
	"  CASE WHEN s.platform = p.emu_platform THEN p.hw_platform ELSE p.emu_platform END)"          \
	" FROM (SELECT DISTINCT workload_id, emu_platform, hw_platform FROM server_compare"             \
	"  WHERE kind = 'server') p"                                                                  \
	" JOIN run_metric_stat s ON s.workload_id = p.workload_id AND s.kind = 'server'"               \
	"  AND s.platform IN (p.emu_platform, p.hw_platform)"                                          \
	" WHERE NOT EXISTS (SELECT 1 FROM run_metric_stat o WHERE o.workload_id = s.workload_id"        \
	"  AND o.kind = 'server' AND o.metric = s.metric AND o.platform <> s.platform"                 \
	"  AND o.platform IN (p.emu_platform, p.hw_platform)))"

#endif
