/*
 * boot.c - boot latency (docs/statistics.md, "Boot latency"): every boot
 * stage's time (boot_<stage>_ns) and the console string's (until_console_ns)
 * compared between emulation (qemu-system) and hardware (console, hw-kvm)
 * by run_compare.c (server_compare rows of kind 'boot'): 'overestimates'
 * when QEMU takes longer to reach the stage than the hardware.
 *
 * A workload's stages are listed in boot order: by their mean over every ok
 * run of the workload (ord), so that a stage of one's own (--stage) falls
 * where it happened.
 */
#include "engine.h"
#include "common.h"

static const char boot_rows_sql[] =
	"WITH v AS (SELECT r.workload_id AS wid, w.name AS name, m.metric AS metric, r.platform AS platform,"
	"  r.id AS run, m.value AS value FROM run r JOIN workload w ON w.id = r.workload_id"
	"  JOIN run_metric m ON m.run_id = r.id WHERE r.status = 'ok' AND " BOOT_METRIC_SQL("m.metric") "),"
	" o AS (SELECT wid, metric, row_number() OVER (PARTITION BY wid ORDER BY avg(value), metric) - 1 AS ord"
	"  FROM v GROUP BY wid, metric)"
	" SELECT v.wid, v.name, v.metric, o.ord, v.platform, v.value FROM v"
	" JOIN o ON o.wid = v.wid AND o.metric = v.metric ORDER BY v.name, o.ord, v.metric, v.platform, v.run";

int engine__boot(struct engine *e)
{
	const struct run_compare_kind k = {
		.kind = "boot", .rows_sql = boot_rows_sql, .fmt_ci = dur_ci__fmt,
		.workloads = &e->sum->boots, .metrics = &e->sum->boot_metrics, .flagged = &e->sum->boot_flagged,
	};

	return run_compare__run(e, &k);
}
