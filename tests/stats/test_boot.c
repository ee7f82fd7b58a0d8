/*
 * test_boot.c - boot latency compared (stats/boot.c through run_compare.c)
 * on a planted store whose answers are computed by hand:
 *  - "board", 5 ok runs under qemu-system and 5 from a board's console (and
 *    one failed console run that must not count), times in ms:
 *      stage        emulation      board       ratio   verdict
 *      spl          -              10          -       (board only: no row)
 *      opensbi      100            50          2       overestimates
 *      uboot        300            250         1.2     agrees (CI inside [0.8, 1.25])
 *      kernel_load  1000           300         3.33    overestimates (a stage of one's own)
 *      linux        1500           500         3       overestimates
 *      init         1800 (each)    1000 (each) 1.8     not informative (zero width)
 *      console      2000 (+-300)   2500 (each) 0.8     inconclusive (across 1/1.25)
 *    listed in boot order (ord 0..6 by the stages' mean over all runs);
 *  - "kvm": until_console_ns 3 s under qemu-system, 1 s under hw-kvm: x3;
 *    boot_ns (--boot-console, stage "boot") 2.4 s against 1.2 s: x2;
 *  - "onerun": one console run: inconclusive, needs 2 per side;
 *  - "alone": qemu-system only (80, 90, 100 ms): a run_metric_stat row with
 *    mean 90 ms and no comparison.
 * Every interval holds the planted value; a second stats run gives the same
 * rows. The store stays in DIR/boot.db for boot-cli.sh.
 *
 * usage: test_stats_boot DIR
 */
#include "stats.h"
#include "store.h"
#include "check.h"
#include "query.h"
#include "common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUNS 5

/* values in ms as run metrics of runs 0..n-1 of (w, platform), made when missing */
static void runs(struct store *s, int64_t w, const char *platform, int n, const char *metric, const double *ms)
{
	for (int k = 0; k < n; k++) {
		char sql[256];
		int64_t run;

		snprintf(sql, sizeof(sql),
			 "SELECT id FROM run WHERE workload_id = %lld AND platform = '%s' AND rep = %d AND status = 'ok'",
			 (long long)w, platform, k);
		run = (int64_t)test_query_d(s->db, "%s", sql);
		if (run <= 0) {
			const char *cfg = !strcmp(platform, "qemu-system")
						  ? "{\"until_console\":\"login:\",\"boot_console\":\"init reached\"}"
						  : "{}";
			struct run_info ri = { w, platform, cfg, k, "ok", 0, -1, NULL };

			run = store__run_add(s, &ri);
		}
		CHECK(!store__run_metric_set(s, run, metric, ms[k] * 1e6));
	}
}

static void fill(struct store *s)
{
	static const double spl_h[] = { 10, 10.5, 9.5, 10.2, 9.8 };
	static const double sbi_e[] = { 100, 102, 98, 101, 99 }, sbi_h[] = { 50, 51, 49, 50.5, 49.5 };
	static const double ub_e[] = { 300, 303, 297, 301.5, 298.5 }, ub_h[] = { 250, 252.5, 247.5, 251, 249 };
	static const double kl_e[] = { 1000, 1010, 990, 1005, 995 }, kl_h[] = { 300, 303, 297, 301, 299 };
	static const double lx_e[] = { 1500, 1520, 1480, 1510, 1490 }, lx_h[] = { 500, 505, 495, 502, 498 };
	static const double in_e[] = { 1800, 1800, 1800, 1800, 1800 }, in_h[] = { 1000, 1000, 1000, 1000, 1000 };
	static const double co_e[] = { 1700, 2300, 1900, 2100, 2000 }, co_h[] = { 2500, 2500, 2500, 2500, 2500 };
	static const double kvm_e[] = { 3000, 3030, 2970, 3010, 2990 }, kvm_h[] = { 1000, 1010, 990, 1005, 995 };
	static const double bn_e[] = { 2400, 2424, 2376, 2412, 2388 }, bn_h[] = { 1200, 1212, 1188, 1206, 1194 };
	static const double alone[] = { 80, 90, 100 };
	int64_t w;

	store__begin(s);
	w = store__workload(s, "board", "riscv64", NULL, NULL);
	runs(s, w, "console", RUNS, "boot_spl_ns", spl_h);
	runs(s, w, "qemu-system", RUNS, "boot_opensbi_ns", sbi_e);
	runs(s, w, "console", RUNS, "boot_opensbi_ns", sbi_h);
	runs(s, w, "qemu-system", RUNS, "boot_uboot_ns", ub_e);
	runs(s, w, "console", RUNS, "boot_uboot_ns", ub_h);
	runs(s, w, "qemu-system", RUNS, "boot_kernel_load_ns", kl_e);
	runs(s, w, "console", RUNS, "boot_kernel_load_ns", kl_h);
	runs(s, w, "qemu-system", RUNS, "boot_linux_ns", lx_e);
	runs(s, w, "console", RUNS, "boot_linux_ns", lx_h);
	runs(s, w, "qemu-system", RUNS, "boot_init_ns", in_e);
	runs(s, w, "console", RUNS, "boot_init_ns", in_h);
	runs(s, w, "qemu-system", RUNS, "until_console_ns", co_e);
	runs(s, w, "console", RUNS, "until_console_ns", co_h);
	{
		struct run_info ri = { w, "console", "{}", 9, "failed", 1, -1, NULL };
		int64_t bad = store__run_add(s, &ri);

		store__run_metric_set(s, bad, "boot_opensbi_ns", 1e12);
	}
	w = store__workload(s, "kvm", "riscv64", NULL, NULL);
	runs(s, w, "qemu-system", RUNS, "until_console_ns", kvm_e);
	runs(s, w, "hw-kvm", RUNS, "until_console_ns", kvm_h);
	runs(s, w, "qemu-system", RUNS, "boot_ns", bn_e);
	runs(s, w, "hw-kvm", RUNS, "boot_ns", bn_h);
	w = store__workload(s, "onerun", "riscv64", NULL, NULL);
	runs(s, w, "qemu-system", 2, "boot_opensbi_ns", sbi_e);
	runs(s, w, "console", 1, "boot_opensbi_ns", sbi_h);
	w = store__workload(s, "alone", "riscv64", NULL, NULL);
	runs(s, w, "qemu-system", 3, "boot_opensbi_ns", alone);
	CHECK(!store__commit(s));
}

#define ROW(w, m, col) \
	test_query_d(s->db, "SELECT " col " FROM server_compare c JOIN workload w ON w.id = c.workload_id" \
			    " WHERE c.kind = 'boot' AND w.name = '%s' AND c.metric = '%s'", w, m)
#define STAT(w, m, p, col) \
	test_query_d(s->db, "SELECT " col " FROM run_metric_stat c JOIN workload w ON w.id = c.workload_id" \
			    " WHERE c.kind = 'boot' AND w.name = '%s' AND c.metric = '%s' AND c.platform = '%s'", w, m, p)
#define VERDICT_IS(w, m, v)                                                                                \
	test_query_d(s->db, "SELECT count(*) FROM server_compare c JOIN workload w ON w.id = c.workload_id"  \
			    " WHERE c.kind = 'boot' AND w.name = '%s' AND c.metric = '%s' AND c.verdict = '%s'", w, m, v)

/* The planted means (ms) and their ratio, each inside its interval, the verdict, and
 * each side's run_metric_stat row equal to the comparison's side. */
static void check_row(struct store *s, const char *w, const char *m, const char *pe, const char *ph, double emu,
		      double hw, const char *verdict)
{
	double r = emu / hw;

	emu *= 1e6;
	hw *= 1e6;
	CHECKF(fabs(ROW(w, m, "emu") / emu - 1) < 1e-12, "%s %s: emulation mean %g, planted %g", w, m,
	       ROW(w, m, "emu"), emu);
	CHECKF(fabs(ROW(w, m, "hw") / hw - 1) < 1e-12, "%s %s: hardware mean %g, planted %g", w, m, ROW(w, m, "hw"), hw);
	CHECKF(fabs(ROW(w, m, "ratio") / r - 1) < 1e-12, "%s %s: ratio %g, planted %g", w, m, ROW(w, m, "ratio"), r);
	CHECKF(ROW(w, m, "emu_lo") <= emu && emu <= ROW(w, m, "emu_hi"), "%s %s: emulation CI misses %g", w, m, emu);
	CHECKF(ROW(w, m, "hw_lo") <= hw && hw <= ROW(w, m, "hw_hi"), "%s %s: hardware CI misses %g", w, m, hw);
	CHECKF(ROW(w, m, "ratio_lo") <= r && r <= ROW(w, m, "ratio_hi"), "%s %s: ratio CI [%g, %g] misses %g", w, m,
	       ROW(w, m, "ratio_lo"), ROW(w, m, "ratio_hi"), r);
	CHECKF(VERDICT_IS(w, m, verdict) == 1, "%s %s: verdict is not %s", w, m, verdict);
	CHECK_EQ_INT(test_query_d(s->db, "SELECT count(*) FROM server_compare c JOIN workload w ON w.id = c.workload_id"
					 " WHERE w.name = '%s' AND c.metric = '%s' AND emu_platform = '%s' AND"
					 " hw_platform = '%s' AND n_emu = %d AND n_hw = %d", w, m, pe, ph, RUNS, RUNS), 1);
	CHECK_NEAR(STAT(w, m, pe, "mean"), emu, 1e-12);
	CHECK_NEAR(STAT(w, m, ph, "mean"), hw, 1e-12);
	CHECK(STAT(w, m, pe, "mean_lo") == ROW(w, m, "emu_lo") && STAT(w, m, pe, "mean_hi") == ROW(w, m, "emu_hi"));
	CHECK(STAT(w, m, ph, "mean_lo") == ROW(w, m, "hw_lo") && STAT(w, m, ph, "mean_hi") == ROW(w, m, "hw_hi"));
}

static void check(struct store *s, const struct stats_summary *sum)
{
	check_row(s, "board", "boot_opensbi_ns", "qemu-system", "console", 100, 50, "overestimates");
	check_row(s, "board", "boot_uboot_ns", "qemu-system", "console", 300, 250, "agrees");
	check_row(s, "board", "boot_kernel_load_ns", "qemu-system", "console", 1000, 300, "overestimates");
	check_row(s, "board", "boot_linux_ns", "qemu-system", "console", 1500, 500, "overestimates");
	check_row(s, "board", "until_console_ns", "qemu-system", "console", 2000, 2500, "inconclusive");
	CHECK(ROW("board", "until_console_ns", "1.0 / ratio_hi") < 1.25 &&
	      ROW("board", "until_console_ns", "1.0 / ratio_lo") > 1.25);
	/* identical values on both sides: not informative, never agrees */
	CHECK(VERDICT_IS("board", "boot_init_ns", "inconclusive") == 1);
	CHECK_NEAR(ROW("board", "boot_init_ns", "ratio"), 1.8, 1e-12);
	CHECK_EQ_INT(test_query_d(s->db, "SELECT count(*) FROM server_compare WHERE informative = 0 AND"
					 " not_informative = 'zero_width' AND reason LIKE 'not informative: boot_init_ns is"
					 " 1.80 s in every qemu-system run and 1.00 s in every console run%%'"), 1);
	CHECK_EQ_INT(test_query_d(s->db, "SELECT count(*) FROM server_compare WHERE reason = 'emulation overestimates"
					 " boot_opensbi_ns: 100 ms [' || printf('%%.1f', emu_lo / 1e6) || ', ' ||"
					 " printf('%%.0f', emu_hi / 1e6) || '] under qemu-system vs 50.0 ms [' ||"
					 " printf('%%.1f', hw_lo / 1e6) || ', ' || printf('%%.1f', hw_hi / 1e6) || ']"
					 " on console, emulation / hardware 2.00x [' || printf('%%.2f', ratio_lo) ||"
					 " ', ' || printf('%%.2f', ratio_hi) || ']; 5 runs each'"), 1);
	/* the board's own stage has no emulation side: its mean, no comparison */
	CHECK(isnan(ROW("board", "boot_spl_ns", "ratio")));
	CHECK_NEAR(STAT("board", "boot_spl_ns", "console", "mean"), 10e6, 1e-12);
	/* boot order: by the stages' means over every run */
	CHECK_EQ_INT(test_query_d(s->db, "SELECT group_concat(metric, ' ') = 'boot_spl_ns boot_opensbi_ns boot_uboot_ns"
					 " boot_kernel_load_ns boot_linux_ns boot_init_ns until_console_ns' FROM (SELECT"
					 " metric FROM run_metric_stat WHERE platform = 'console' AND workload_id = 1"
					 " ORDER BY ord)"), 1);
	CHECK_EQ_INT(test_query_d(s->db, "SELECT count(*) FROM run_metric_stat WHERE workload_id = 1 AND ord != (SELECT"
					 " count(DISTINCT metric) FROM run_metric_stat x WHERE x.workload_id = 1 AND"
					 " x.ord < run_metric_stat.ord)"), 0);
	check_row(s, "kvm", "until_console_ns", "qemu-system", "hw-kvm", 3000, 1000, "overestimates");
	check_row(s, "kvm", "boot_ns", "qemu-system", "hw-kvm", 2400, 1200, "overestimates");
	CHECK(STAT("kvm", "boot_ns", "hw-kvm", "ord") < STAT("kvm", "until_console_ns", "hw-kvm", "ord"));
	CHECK(VERDICT_IS("onerun", "boot_opensbi_ns", "inconclusive") == 1);
	CHECK(isnan(STAT("onerun", "boot_opensbi_ns", "console", "mean_lo")));
	CHECK_EQ_INT(test_query_d(s->db, "SELECT count(*) FROM server_compare c JOIN workload w ON w.id = c.workload_id"
					 " WHERE w.name = 'onerun' AND reason LIKE 'needs at least 2 ok runs per side%%'"), 1);
	/* one side only: its mean and interval, nothing compared */
	CHECK_NEAR(STAT("alone", "boot_opensbi_ns", "qemu-system", "mean"), 90e6, 1e-12);
	CHECK(STAT("alone", "boot_opensbi_ns", "qemu-system", "mean_lo") <= 90e6 &&
	      STAT("alone", "boot_opensbi_ns", "qemu-system", "mean_hi") >= 90e6);
	CHECK_EQ_INT(test_query_d(s->db, "SELECT count(*) FROM server_compare c JOIN workload w ON w.id = c.workload_id"
					 " WHERE w.name = 'alone'"), 0);
	CHECK_EQ_INT(test_query_d(s->db, "SELECT count(*) FROM server_compare WHERE kind != 'boot'"), 0);
	CHECK_EQ_INT(sum->boots, 3);
	CHECK_EQ_INT(sum->boot_metrics, 9);
	CHECK_EQ_INT(sum->boot_flagged, 5);
	CHECK_EQ_INT(sum->servers, 0);
}

int main(int argc, char **argv)
{
	char *path = xasprintf("%s/boot.db", argc > 1 ? argv[1] : ".");
	struct stats_options o;
	struct stats_summary sum;
	struct store *s;

	unlink(path);
	s = store__open(path, STORE_CREATE);
	CHECK(s != NULL);
	if (!s) {
		free(path);
		return check_exit();
	}
	fill(s);
	stats_options__init(&o);
	o.quiet = 1;
	o.resamples = 1000;
	for (int pass = 0; pass < 2; pass++) {
		CHECK(!stats__run(s->db, path, &o, &sum));
		check(s, &sum);
	}
	CHECK_EQ_INT(test_query_d(s->db, "SELECT count(*) FROM server_compare"), 9);
	store__close(s);
	free(path);
	return check_exit();
}
