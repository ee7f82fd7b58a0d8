/*
 * test-workers.c - a server's workers (collect/workers.c, hw_workers.c;
 * docs/servers.md, "Workers"), without running anything: the summary of
 * hand-made thread lists (threads of process 0 each a worker, a forked
 * process with its threads one, only those of the load counted, nothing
 * when a process or a count is not known), and hw_ingest() of a hand-made
 * server run whose fork and exit records place each task in its process and
 * each process before, in or after the load: the exact rows and metrics.
 */
#include "check.h"
#include "hw-testdb.h"

#include <math.h>

static void check_summary(void)
{
	/* Redis: three threads of process 0 */
	const struct worker_task redis[] = {
		{ 0, 0, 1, 700, 50 }, { 1, 0, 1, 10, 3 }, { 2, 0, 1, 40, 7 },
	};
	/* a master, a helper before the load, a worker of two threads, a worker of one */
	const struct worker_task forking[] = {
		{ 0, 0, 1, 100, 10 }, { 1, 1, 0, 5000, 900 }, { 2, 2, 1, 30, 4 }, { 3, 2, 1, 70, 6 }, { 4, 3, 1, 20, 2 },
	};
	struct worker_task t[5];
	struct worker_summary w;

	workers__summarize(redis, 3, &w);
	CHECK_EQ_INT(w.workers, 3);
	CHECK(w.insns_mean == 250 && w.insns_max == 700 && w.syscalls_mean == 20 && w.syscalls_max == 50);
	workers__summarize(forking, 5, &w);
	CHECK_EQ_INT(w.workers, 3); /* the helper ran outside the load */
	CHECK(w.insns_mean == 220.0 / 3 && w.insns_max == 100 && w.syscalls_mean == 22.0 / 3 && w.syscalls_max == 10);
	/* a worker without its system calls: no per-worker system calls; the helper's does not matter */
	memcpy(t, forking, sizeof(t));
	t[3].syscalls = -1;
	t[1].insns = -1;
	workers__summarize(t, 5, &w);
	CHECK(w.workers == 3 && w.syscalls_mean < 0 && w.syscalls_max < 0 && w.insns_max == 100);
	/* a thread of no known process: nothing known */
	memcpy(t, forking, sizeof(t));
	t[4].process = -1;
	workers__summarize(t, 5, &w);
	CHECK(w.workers == 0 && w.insns_mean < 0 && w.syscalls_max < 0);
	workers__summarize(t, 0, &w);
	CHECK_EQ_INT(w.workers, 0);
}

/*
 * A server run on hardware (times relative to exec, t0 = 1000 on the
 * driver's clock; the load from 50 to 100): the master 100 starts thread
 * 105 (5, ends 8), forks helper 101 (10-20), worker 102 (60, ends 80) which
 * starts thread 103 (65-75), worker 104 (70, no exit record: ended with
 * the run) and a shutdown helper 106 (150-160).
 */
static const struct hw_fork forks[] = { { 105, 100, 5 },  { 101, 101, 10 }, { 102, 102, 60 },
					{ 103, 102, 65 }, { 104, 104, 70 }, { 106, 106, 150 } };
static const struct hw_fork exits[] = { { 105, 100, 8 }, { 101, 101, 20 }, { 103, 102, 75 },
					{ 102, 102, 80 }, { 106, 106, 160 } };
/* system calls per tid, in creation order: 100 105 101 102 103 104 106 */
static const int32_t sys_tid[] = { 100, 105, 101, 102, 103, 104, 106 };
static const int sys_n[] = { 4, 1, 2, 3, 5, 7, 9 };
static const double instret[] = { 1000, 10, 20, 300, 200, 400, 50 };

static void make_run(struct hw_run_result *r, struct hw_syscall *sys)
{
	size_t n = 0;

	memset(r, 0, sizeof(*r));
	r->status = RUN_OK;
	r->t0_ns = 1000;
	r->time_ns = 200;
	r->group.n = 1;
	r->group.ev[0] = hw_event__find("instructions");
	r->total_ok = r->total.counted = 1;
	r->total.n = 1;
	for (size_t i = 0; i < 7; i++)
		for (int k = 0; k < sys_n[i]; k++)
			sys[n++] = (struct hw_syscall){ 100 + (int64_t)i, 39, sys_tid[i] };
	r->sys = sys;
	r->n_sys = n;
	hw_run_result__threads(r, 100, forks, sizeof(forks) / sizeof(forks[0]));
	hw_run_result__exits(r, exits, sizeof(exits) / sizeof(exits[0]));
	r->threads_by_fork = 1;
	r->thread_totals = 1;
	for (size_t k = 0; k < r->n_threads; k++) {
		r->threads[k].has_total = 1;
		r->threads[k].total.value[0] = instret[k];
		r->total.value[0] += instret[k];
	}
}

static void free_run(struct hw_run_result *r)
{
	for (size_t i = 0; i < r->n_threads; i++)
		free(r->threads[i].hits);
	free(r->threads);
	free(r->thread_by_tid);
}

static void check_hw(void)
{
	struct testdb t;
	struct store *st = testdb__open(&t);
	struct hw_machine mach = { .cpu_model = "Test CPU", .kernel = "6.1 test", .cur_khz = -1, .max_khz = -1 };
	struct hw_run_opts ro = { .pin_cpu = -1, .syscalls = 1 };
	struct driver_opts dopts = { .cmd = "drv", .port = 8080, .ready_timeout_s = 30, .budget = 10 };
	struct driver drv = { .o = &dopts, .load_start_ns = 1050, .load_end_ns = 1100 };
	struct hw_ingest in = { .workload = { "srv", "x86_64", NULL, NULL }, .prog = "/nonexistent/srv",
				.opts = &ro, .machine = &mach, .driver = &drv };
	struct hw_syscall sys[64];
	struct hw_run_result r;

	drv.res.have = DRV_REQUESTS;
	drv.res.requests = 10;
	/* alive when the driver ended: the master and worker 104, both recorded */
	pid_set__add(&drv.alive_end, 104);
	pid_set__add(&drv.alive_end, 100);
	pid_set__seal(&drv.alive_end);
	make_run(&r, sys);
	CHECK_EQ_INT(hw_ingest(st, &in, &r), 1);
	CHECK_Q(st, "SELECT group_concat(os_id||':'||process||':'||pid||':'||in_load, ' ') FROM "
		    "(SELECT * FROM run_thread WHERE run_id = 1 ORDER BY thread)",
		"100:0:100:1 105:0:100:1 101:1:101:0 102:2:102:1 103:2:102:1 104:3:104:1 106:4:106:0");
	/* workers: threads 100 and 105, processes 2 (102 + 103) and 3 */
	CHECK_Q(st, "SELECT group_concat(metric||'='||value, ' ') FROM (SELECT * FROM run_metric WHERE run_id = 1"
		    " AND (metric LIKE '%worker%' OR metric LIKE '%per_req') ORDER BY metric)",
		"insns_per_req=198.0 insns_per_worker=477.5 insns_per_worker_max=1000.0 syscalls_per_req=3.1 "
		"syscalls_per_worker=5.0 syscalls_per_worker_max=8.0 workers=4.0");
	CHECK_Q(st, "SELECT json_extract(config_json, '$.unsupported.workers') FROM run WHERE id = 1", "NULL");

	/* without the fork records the processes are not known: no workers, and why */
	r.threads_by_fork = 0;
	snprintf(r.threads_why, sizeof(r.threads_why), "the kernel refused inherit_stat or task records (EINVAL)");
	CHECK_EQ_INT(hw_ingest(st, &in, &r), 2);
	CHECK_Q(st, "SELECT count(*) FROM run_metric WHERE run_id = 2 AND metric LIKE '%worker%'", "0");
	CHECK_Q(st, "SELECT json_extract(config_json, '$.unsupported.workers') FROM run WHERE id = 2",
		"the kernel refused inherit_stat or task records (EINVAL)");
	CHECK_Q(st, "SELECT group_concat(ifnull(process, '-'), ' ') FROM run_thread WHERE run_id = 2",
		"0 - - - - - -");

	/* a process alive at the driver's end without its fork record: the kernel dropped records */
	r.threads_by_fork = 1;
	pid_set__add(&drv.alive_end, 999);
	pid_set__seal(&drv.alive_end);
	CHECK_EQ_INT(hw_ingest(st, &in, &r), 3);
	CHECK_Q(st, "SELECT count(*) FROM run_metric WHERE run_id = 3 AND metric LIKE '%worker%'", "0");
	CHECK_Q(st, "SELECT json_extract(config_json, '$.unsupported.workers') LIKE 'fork records missing: %' FROM run"
		    " WHERE id = 3", "1");
	CHECK_Q(st, "SELECT count(*) FROM run_thread WHERE run_id = 3 AND in_load IS NOT NULL", "0");
	driver__free(&drv);

	/* not a server: the processes, no load */
	r.threads_by_fork = 1;
	in.driver = NULL;
	CHECK_EQ_INT(hw_ingest(st, &in, &r), 4);
	CHECK_Q(st, "SELECT group_concat(process||':'||ifnull(in_load, '-'), ' ') FROM run_thread WHERE run_id = 4",
		"0:- 0:- 1:- 2:- 2:- 3:- 4:-");
	free_run(&r);
	testdb__close(&t);
}

int main(void)
{
	check_summary();
	check_hw();
	return check_exit();
}
