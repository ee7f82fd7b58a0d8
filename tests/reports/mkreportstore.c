/*
 * mkreportstore.c - builds stores for the report tests and the report-scale
 * benchmark with plain SQL inserts (no align/ or stats/ code involved).
 *
 *   mkreportstore DB                 the small curated store the tests check
 *   mkreportstore DB --scale W R     W workloads x R marker regions, 3 QEMU and
 *                                    5 hardware runs each, findings for every region
 *
 * The curated store (values the tests assert are noted next to them):
 *   hermit-fib (id 1): 5 marker regions + 1 symbol region, 3 QEMU runs, hardware
 *     runs: 1 warm-up, 5 ok, 1 failed, 1 timeout; findings for every region, the
 *     most extreme flagged one is region 5 "io" (factor 0.294).
 *   "linux fib/β" (id 2): 2 regions, no findings: shares come from run means,
 *     instruction shares 25% / 75%, hardware shares 40% / 60%.
 *   empty (id 3): no runs at all.
 *   two A/B comparisons, one of them a conclusion flip.
 */
#include "common.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char curated[] =
	"INSERT INTO meta VALUES ('tolerance', '1.25');"
	"INSERT INTO workload(id, name, arch, elf_path, elf_sha256, argv) VALUES"
	" (1, 'hermit-fib', 'riscv64', 'fib.elf', 'ab12cd34', '[\"fib\",\"30\"]'),"
	" (2, 'linux fib/\xce\xb2', 'riscv64', NULL, NULL, NULL),"
	" (3, 'empty', 'x86_64', NULL, NULL, NULL);"
	"INSERT INTO run(id, workload_id, platform, config_json, rep, status, exit_code, wall_ns, started_at) VALUES"
	" (1, 1, 'qemu-user', '{\"qemu_version\":\"7.2.0\",\"machine\":\"build-host\"}', 0, 'ok', 0, 1000, '2026-01-01T00:00:01.000Z'),"
	" (2, 1, 'qemu-user', '{\"qemu_version\":\"7.2.0\",\"machine\":\"build-host\"}', 1, 'ok', 0, 1000, '2026-01-01T00:00:02.000Z'),"
	" (3, 1, 'qemu-user', '{\"qemu_version\":\"7.2.0\",\"machine\":\"build-host\"}', 2, 'ok', 0, 1000, '2026-01-01T00:00:03.000Z'),"
	" (4, 1, 'hw', '{\"machine\":\"VisionFive 2\",\"kernel\":\"6.1.0-riscv\",\"cpu_model\":\"SiFive U74\"}', 0, 'warmup', 0, 1000, '2026-01-01T00:01:00.000Z'),"
	" (5, 1, 'hw', '{\"machine\":\"VisionFive 2\",\"kernel\":\"6.1.0-riscv\",\"cpu_model\":\"SiFive U74\"}', 1, 'ok', 0, 1000, '2026-01-01T00:01:01.000Z'),"
	" (6, 1, 'hw', '{\"machine\":\"VisionFive 2\",\"kernel\":\"6.1.0-riscv\",\"cpu_model\":\"SiFive U74\"}', 2, 'ok', 0, 1000, '2026-01-01T00:01:02.000Z'),"
	" (7, 1, 'hw', '{\"machine\":\"VisionFive 2\",\"kernel\":\"6.1.0-riscv\",\"cpu_model\":\"SiFive U74\"}', 3, 'ok', 0, 1000, '2026-01-01T00:01:03.000Z'),"
	" (8, 1, 'hw', '{\"machine\":\"VisionFive 2\",\"kernel\":\"6.1.0-riscv\",\"cpu_model\":\"SiFive U74\"}', 4, 'ok', 0, 1000, '2026-01-01T00:01:04.000Z'),"
	" (9, 1, 'hw', '{\"machine\":\"VisionFive 2\",\"kernel\":\"6.1.0-riscv\",\"cpu_model\":\"SiFive U74\"}', 5, 'ok', 0, 1000, '2026-01-01T00:01:05.000Z'),"
	" (10, 1, 'hw', '{\"machine\":\"VisionFive 2\"}', 6, 'failed', 139, 1000, '2026-01-01T00:01:06.000Z'),"
	" (11, 1, 'hw', '{\"machine\":\"VisionFive 2\"}', 7, 'timeout', NULL, NULL, '2026-01-01T00:01:07.000Z'),"
	" (12, 2, 'qemu-system', '{\"qemu_version\":\"7.2.0\",\"machine\":{\"board\":\"virt\",\"smp\":1}}', 0, 'ok', 0, 1, '2026-01-02T00:00:00.000Z'),"
	" (13, 2, 'qemu-system', '{\"qemu_version\":\"7.2.0\"}', 1, 'ok', 0, 1, '2026-01-02T00:00:01.000Z'),"
	" (14, 2, 'hw-kvm', '{\"kernel\":\"6.1.0\"}', 0, 'ok', 0, 1, '2026-01-02T00:01:00.000Z'),"
	" (15, 2, 'hw-kvm', '{\"kernel\":\"6.1.0\"}', 1, 'ok', 0, 1, '2026-01-02T00:01:01.000Z');"
	"INSERT INTO region(id, workload_id, key, name) VALUES"
	" (1, 1, 'm:1->2#1', 'init'), (2, 1, 'm:2->3#1', 'parse <json> & \"q\"'),"
	" (3, 1, 'm:3->4#1', 'compute#hot'), (4, 1, 'm:4->5#1', NULL), (5, 1, 'm:5->1#1', 'io'),"
	" (6, 1, 's:memcpy', 'memcpy'),"
	" (7, 2, 'm:1->2#1', 'init'), (8, 2, 'm:2->3#1', 'compute');"
	/* hermit-fib under QEMU: insns 1000, 2000, 4000, 2000, 1000 (+ 500 in memcpy) */
	"WITH r(id, insns, ns) AS (VALUES (1, 1000, 3000), (2, 2000, 5000), (3, 4000, 9000), (4, 2000, 4000),"
	"  (5, 1000, 8000), (6, 500, 700))"
	" INSERT INTO region_metric SELECT run.id, r.id, 'insns', r.insns FROM run, r WHERE run.workload_id = 1 AND run.platform = 'qemu-user'"
	" UNION ALL SELECT run.id, r.id, 'qemu_host_ns', r.ns + run.rep * 10 FROM run, r WHERE run.workload_id = 1 AND run.platform = 'qemu-user';"
	/* on hardware: time_ns grows 1% per rep, the warm-up run is twice as slow */
	"WITH r(id, t) AS (VALUES (1, 1000), (2, 1500), (3, 12000), (4, 2000), (5, 500), (6, 300))"
	" INSERT INTO region_metric SELECT run.id, r.id, 'time_ns',"
	"  r.t * (1 + 0.01 * run.rep) * (CASE run.status WHEN 'warmup' THEN 2 ELSE 1 END)"
	"  FROM run, r WHERE run.workload_id = 1 AND run.platform = 'hw' AND run.status IN ('ok', 'warmup');"
	"INSERT INTO region_metric SELECT id, 5, 'syscalls', 12 FROM run WHERE workload_id = 1 AND status = 'ok';"
	"INSERT INTO region_metric SELECT id, 3, 'traps', CASE platform WHEN 'hw' THEN 40 ELSE 0 END FROM run WHERE workload_id = 1 AND status = 'ok';"
	"INSERT INTO region_metric SELECT id, 1, 'exits', 1 FROM run WHERE workload_id = 1 AND status = 'ok';"
	/* linux fib: insns 250 / 750 and time 400 / 600 */
	"INSERT INTO region_metric SELECT run.id, 7, 'insns', 250 FROM run WHERE workload_id = 2 AND platform = 'qemu-system';"
	"INSERT INTO region_metric SELECT run.id, 8, 'insns', 750 FROM run WHERE workload_id = 2 AND platform = 'qemu-system';"
	"INSERT INTO region_metric SELECT run.id, 7, 'time_ns', 400 FROM run WHERE workload_id = 2 AND platform = 'hw-kvm';"
	"INSERT INTO region_metric SELECT run.id, 8, 'time_ns', 600 FROM run WHERE workload_id = 2 AND platform = 'hw-kvm';"
	"INSERT INTO finding(id, workload_id, region_id, metric, predictor, factor, ci_lo, ci_hi, p_adj, verdict, reason,"
	" baseline, pred_share, hw_share, hw_share_lo, hw_share_hi, n_emu, n_hw) VALUES"
	" (1, 1, 1, 'time_ns', 'insns', 0.588, 0.55, 0.63, 0.001, 'overestimates', 'hardware share 5.9% against 10% of the instructions', 'share', 0.1, 0.0588, 0.055, 0.063, 3, 5),"
	" (2, 1, 2, 'time_ns', 'insns', 0.441, 0.40, 0.48, 0.001, 'overestimates', 'parsing is cheap on hardware, \"quoted\", with commas', 'share', 0.2, 0.0882, 0.08, 0.096, 3, 5),"
	" (3, 1, 3, 'time_ns', 'insns', 1.765, 1.70, 1.83, 0.001, 'underestimates', 'traps on hardware that QEMU does not take', 'share', 0.4, 0.7059, 0.68, 0.73, 3, 5),"
	" (4, 1, 4, 'time_ns', 'insns', 0.588, 0.30, 1.10, 0.4, 'inconclusive', 'CI straddles the tolerance band', 'share', 0.2, 0.1176, 0.06, 0.22, 3, 5),"
	" (5, 1, 5, 'time_ns', 'insns', 0.294, 0.27, 0.32, 0.001, 'overestimates', 'syscall cost differs', 'share', 0.1, 0.0294, 0.027, 0.032, 3, 5),"
	" (6, 1, 6, 'time_ns', 'insns', 1.0, 0.9, 1.1, 0.9, 'agrees', 'within tolerance', 'share', 1.0, 1.0, 0.95, 1.0, 3, 5),"
	" (7, 1, 1, 'time_ns', 'qemu_time', 0.7, 0.6, 0.8, 0.01, 'overestimates', 'host time', 'share', 0.1034, 0.0588, 0.055, 0.063, 3, 5),"
	" (8, 1, 3, 'time_ns', 'qemu_time', 2.27, 2.1, 2.4, 0.001, 'underestimates', 'host time', 'robust', 0.3103, 0.7059, 0.68, 0.73, 3, 5),"
	" (9, 1, NULL, 'time_ns', 'model', 1.02, 0.97, 1.08, 0.5, 'agrees', 'whole run within tolerance', NULL, NULL, NULL, NULL, NULL, 3, 5);"
	"INSERT INTO region_stat(region_id, platform, metric, n, mean, median, sd, cv, ci_lo, ci_hi, warmup_until, outliers)"
	" VALUES (3, 'hw', 'time_ns', 5, 12360, 12360, 190, 0.015, 12100, 12600, 1, 0);"
	"INSERT INTO agreement VALUES (1, 'insns', 'time_ns', 5, 0.91, 0.7, 0.6, 0.35),"
	" (1, 'qemu_time', 'time_ns', 5, 0.95, 0.9, 0.8, 0.2);"
	"INSERT INTO cost_model VALUES (1, 'time_ns', 'insns', 2.5, 2.1, 2.9, 0.97, 0.05, 5),"
	" (NULL, 'time_ns', 'syscalls', 310, 250, 370, 0.9, 0.1, 8);"
	"INSERT INTO ab_compare(id, name, a_workload_id, b_workload_id, region_key, metric, emu_ratio, emu_lo, emu_hi,"
	" hw_ratio, hw_lo, hw_hi, verdict, reason) VALUES"
	" (1, 'compute phase', 1, 2, 'm:3->4#1', 'time_ns', 0.5, 0.45, 0.55, 0.6, 0.5, 0.7, 'agrees', 'both faster'),"
	" (2, 'unikernel vs linux', 1, 2, NULL, 'time_ns', 0.8, 0.75, 0.85, 1.3, 1.2, 1.4, 'flip', 'QEMU says A is faster; hardware says B is');";

/* W workloads x R regions; deterministic pseudo-random values from the ids. */
static const char scale_sql[] =
	"WITH RECURSIVE w(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM w WHERE i < ?1)"
	" INSERT INTO workload(id, name, arch) SELECT i, printf('wl-%03d', i), 'riscv64' FROM w;"
	"WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 7)"
	" INSERT INTO run(workload_id, platform, config_json, rep, status, started_at)"
	" SELECT w.id, CASE WHEN k.i < 3 THEN 'qemu-user' ELSE 'hw' END,"
	"  CASE WHEN k.i < 3 THEN '{\"qemu_version\":\"7.2.0\"}' ELSE '{\"machine\":\"bench\",\"kernel\":\"6.1\"}' END,"
	"  k.i, 'ok', '2026-01-01T00:00:00.000Z' FROM workload w, k ORDER BY w.id, k.i;"
	"WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < ?2)"
	" INSERT INTO region(workload_id, key, name) SELECT w.id, printf('m:%d->%d#1', r.i, r.i + 1),"
	"  printf('phase %d', r.i) FROM workload w, r ORDER BY w.id, r.i;"
	"INSERT INTO region_metric SELECT run.id, region.id, CASE run.platform WHEN 'qemu-user' THEN 'insns' ELSE 'time_ns' END,"
	"  1000 + (region.id * 7919 % 997) * (CASE run.platform WHEN 'hw' THEN 1 + (region.id % 13) * 0.1 + run.rep * 0.002 ELSE 1 END)"
	"  FROM run JOIN region ON region.workload_id = run.workload_id;"
	"INSERT INTO region_metric SELECT run.id, region.id, 'syscalls', region.id % 5 FROM run"
	"  JOIN region ON region.workload_id = run.workload_id WHERE region.id % 50 = 0;"
	"INSERT INTO finding(workload_id, region_id, metric, predictor, factor, ci_lo, ci_hi, p_adj, verdict, reason, baseline,"
	"  pred_share, hw_share, hw_share_lo, hw_share_hi, n_emu, n_hw)"
	" SELECT workload_id, id, 'time_ns', 'insns', 0.7 + (id % 13) * 0.1, 0.65 + (id % 13) * 0.1, 0.75 + (id % 13) * 0.1,"
	"  0.01, CASE WHEN 0.65 + (id % 13) * 0.1 > 1.25 THEN 'underestimates' WHEN 0.75 + (id % 13) * 0.1 < 0.8"
	"  THEN 'overestimates' ELSE 'agrees' END, 'synthetic', 'share', 1.0 / ?2, (0.7 + (id % 13) * 0.1) / ?2,"
	"  (0.65 + (id % 13) * 0.1) / ?2, (0.75 + (id % 13) * 0.1) / ?2, 3, 5 FROM region;";

static int exec_bound(struct store *s, const char *sql, long w, long r)
{
	const char *tail = sql;

	while (tail && *tail) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(s->db, tail, -1, &st, &tail) != SQLITE_OK)
			return error("%s", sqlite3_errmsg(s->db));
		if (!st)
			break;
		if (sqlite3_bind_parameter_count(st) >= 1)
			sqlite3_bind_int64(st, 1, w);
		if (sqlite3_bind_parameter_count(st) >= 2)
			sqlite3_bind_int64(st, 2, r);
		int rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return error("%s", sqlite3_errmsg(s->db));
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct store *s;
	long w = 0, r = 0;

	if (argc == 5 && !strcmp(argv[2], "--scale")) {
		w = atol(argv[3]);
		r = atol(argv[4]);
	} else if (argc != 2) {
		fprintf(stderr, "usage: mkreportstore DB [--scale WORKLOADS REGIONS]\n");
		return 2;
	}
	unlink(argv[1]);
	s = store__open(argv[1], STORE_CREATE);
	if (!s || store__begin(s))
		return 1;
	if (exec_bound(s, w ? scale_sql : curated, w, r)) {
		store__rollback(s);
		return 1;
	}
	if (store__commit(s))
		return 1;
	store__close(s);
	return 0;
}
