/*
 * show_servers.h - the SQL of `emudiff show servers` (server_compare: per
 * server workload and driver metric, emulation's and hardware's means [CI],
 * emulation / hardware [CI], the verdict and its reason; stats/server.c;
 * a metric only one side of a compared pair has: that side alone, "not
 * compared", common/server_sql.h).
 * ?1 is the workload filter; numbers as every output prints them (emudiff_num).
 */
#ifndef EMUDIFF_SHOW_SERVERS_H
#define EMUDIFF_SHOW_SERVERS_H

#include "server_sql.h"

#define SERVERS_FROM                                                                       \
	" FROM " SERVER_ROWS_SQL " c JOIN workload w ON w.id = c.workload_id"                  \
	" WHERE " WL_FILTER                                                                    \
	" ORDER BY w.name, c.emu_platform, c.hw_platform, c.ord"
/* "v [lo, hi]", "v" without an interval, "-" without a value */
#define SERVER_CI(v, lo, hi)                                                               \
	"CASE WHEN " v " IS NULL THEN '-' WHEN " lo " IS NULL THEN emudiff_num(" v ")"         \
	" ELSE emudiff_num(" v ") || ' [' || emudiff_num(" lo ") || ', ' || emudiff_num(" hi ") || ']' END"

#define SHOW_SERVERS_SQL                                                                   \
	"SELECT w.name AS workload, c.metric AS metric,"                                       \
	" c.emu_platform || '/' || c.hw_platform AS platforms, c.n_emu || '/' || c.n_hw AS runs," \
	" " SERVER_CI("c.emu", "c.emu_lo", "c.emu_hi") " AS emulation,"                        \
	" " SERVER_CI("c.hw", "c.hw_lo", "c.hw_hi") " AS hardware,"                            \
	" " SERVER_CI("c.ratio", "c.ratio_lo", "c.ratio_hi") " AS emu_per_hw,"                 \
	" coalesce(c.verdict, 'not compared') AS verdict, c.reason AS reason" SERVERS_FROM
#define SHOW_SERVERS_JSON_SQL                                                              \
	"SELECT json_group_array(json_object('workload', workload, 'metric', metric,"         \
	" 'emu_platform', emu_platform, 'hw_platform', hw_platform, 'n_emu', n_emu, 'n_hw', n_hw," \
	" 'emu', emu, 'emu_lo', emu_lo, 'emu_hi', emu_hi, 'hw', hw, 'hw_lo', hw_lo, 'hw_hi', hw_hi," \
	" 'ratio', ratio, 'ratio_lo', ratio_lo, 'ratio_hi', ratio_hi, 'verdict', verdict,"    \
	" 'informative', informative, 'not_informative', not_informative, 'reason', reason))"  \
	" FROM (SELECT c.*, w.name AS workload" SERVERS_FROM ")"

#endif
