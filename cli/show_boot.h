/*
 * show_boot.h - the SQL of `emudiff show boot` (docs/statistics.md, "Boot
 * latency"): per booted workload, stage and platform the mean time to the
 * stage with its interval (run_metric_stat), then emulation against hardware
 * (server_compare of kind boot): both means [CI], emulation / hardware [CI],
 * the verdict and its reason. ?1 is the workload filter; times in seconds
 * (emudiff_dur), ratios as every output prints them (emudiff_num).
 */
#ifndef EMUDIFF_SHOW_BOOT_H
#define EMUDIFF_SHOW_BOOT_H

/* "1.23 s [1.20, 1.26]", "80.6 ms" without an interval, "-" without a value */
#define BOOT_DUR_CI(v, lo, hi) "emudiff_dur(" v ", " lo ", " hi ")"
/* what a stage is called: a known stage's banner, the console string, a stage of one's own */
#define BOOT_UNTIL(m) "emudiff_stage(" m ", " BOOT_CONSOLE_SQL("w.id", m) ")"

#define BOOT_STAGES_FROM                                                                   \
	" FROM run_metric_stat s JOIN workload w ON w.id = s.workload_id"                      \
	" WHERE s.kind = 'boot' AND " WL_FILTER                                                \
	" ORDER BY w.name, s.ord, s.platform NOT IN ('qemu-user', 'qemu-system'), s.platform"
#define BOOT_COMPARE_FROM                                                                  \
	" FROM server_compare c JOIN workload w ON w.id = c.workload_id"                      \
	" WHERE c.kind = 'boot' AND " WL_FILTER                                                \
	" ORDER BY w.name, c.emu_platform, c.hw_platform, c.ord"

#define SHOW_BOOT_SQL                                                                      \
	"SELECT w.name AS workload, " BOOT_STAGE_SQL("s.metric") " AS stage,"                   \
	" " BOOT_UNTIL("s.metric") " AS until, s.platform AS platform, s.n AS runs,"           \
	" " BOOT_DUR_CI("s.mean", "s.mean_lo", "s.mean_hi") " AS latency" BOOT_STAGES_FROM
#define SHOW_BOOT_COMPARE_SQL                                                              \
	"SELECT w.name AS workload, " BOOT_STAGE_SQL("c.metric") " AS stage,"                   \
	" c.emu_platform || '/' || c.hw_platform AS platforms, c.n_emu || '/' || c.n_hw AS runs," \
	" " BOOT_DUR_CI("c.emu", "c.emu_lo", "c.emu_hi") " AS emulation,"                     \
	" " BOOT_DUR_CI("c.hw", "c.hw_lo", "c.hw_hi") " AS hardware,"                         \
	" CASE WHEN c.ratio IS NULL THEN '-' WHEN c.ratio_lo IS NULL THEN emudiff_num(c.ratio)" \
	" ELSE emudiff_num(c.ratio) || ' [' || emudiff_num(c.ratio_lo) || ', '"                 \
	" || emudiff_num(c.ratio_hi) || ']' END AS emu_per_hw,"                                \
	" c.verdict AS verdict, c.reason AS reason" BOOT_COMPARE_FROM
#define BOOT_COMPARE_NOTE                                                                  \
	"emu_per_hw: emulation / hardware; overestimates: QEMU reaches the stage later than the hardware.\n" \
	"Under TCG without -icount, emulation's time is this host's speed at emulating the boot (and\n" \
	"the guest's timer waits in host time), not the modelled board's (docs/statistics.md, Boot latency)"

#define SHOW_BOOT_JSON_SQL                                                                 \
	"SELECT json_object('stages', json((SELECT json_group_array(json_object('workload', workload," \
	" 'stage', stage, 'until', until, 'metric', metric, 'platform', platform, 'n', n, 'mean', mean," \
	" 'mean_lo', mean_lo, 'mean_hi', mean_hi)) FROM (SELECT s.*, w.name AS workload,"      \
	" " BOOT_STAGE_SQL("s.metric") " AS stage, " BOOT_UNTIL("s.metric") " AS until" BOOT_STAGES_FROM "))),"    \
	" 'compare', json((SELECT json_group_array(json_object('workload', workload, 'stage', stage,"   \
	" 'metric', metric, 'emu_platform', emu_platform, 'hw_platform', hw_platform, 'n_emu', n_emu," \
	" 'n_hw', n_hw, 'emu', emu, 'emu_lo', emu_lo, 'emu_hi', emu_hi, 'hw', hw, 'hw_lo', hw_lo,"     \
	" 'hw_hi', hw_hi, 'ratio', ratio, 'ratio_lo', ratio_lo, 'ratio_hi', ratio_hi,"          \
	" 'verdict', verdict, 'informative', informative, 'not_informative', not_informative," \
	" 'reason', reason)) FROM (SELECT c.*, w.name AS workload, " BOOT_STAGE_SQL("c.metric") " AS stage" \
	BOOT_COMPARE_FROM "))))"

#endif
