/*
 * hw_workers.c - the processes of a `collect hw` run and a server's workers
 * (docs/servers.md, "Workers").
 *
 * Every task the program's tree created is a thread of the run (threads.c,
 * ordinals in creation order); its fork record names its process, so a task
 * whose id is its process's id, other than thread 0, is a forked process
 * (process ordinals in the same creation order) and the others are threads
 * of the process of that id. A process ran during the load when it was
 * created before the driver ended and its last thread ended after the driver
 * started (fork and exit records, on the driver's clock). Without the fork
 * records (the kernel refused them, or some were lost) the processes are
 * not known, and neither are the workers: nothing is stored of them.
 */
#include "collect.h"

#include <stdlib.h>
#include <string.h>

/* Has a task of pid pid a fork record (or is it the program)? */
static int recorded(const struct hw_run_result *r, int pid)
{
	for (size_t k = 0; k < r->n_threads; k++)
		if (r->threads[k].tid == pid && r->threads[k].pid == pid)
			return 1;
	return 0;
}

const char *hw_workers__why(const struct hw_run_result *r, const struct driver *d)
{
	if (!r->threads_by_fork)
		return r->threads_why[0] ? r->threads_why : "no fork records: the processes are not known";
	if (r->thread_records_lost)
		return "fork records lost: the processes are not known";
	for (size_t k = 1; k < r->n_threads; k++)
		if (r->threads[k].pid <= 0)
			return "a thread without a fork record: its process is not known";
	/* the kernel may drop task records without a PERF_RECORD_LOST (seen with
	 * short-lived processes on several CPUs): a process of the server alive
	 * when the driver ended must have its fork record */
	for (size_t i = 0; d && d->load_end_ns && i < d->alive_end.n; i++)
		if (!recorded(r, d->alive_end.v[i]))
			return "fork records missing: a process of the server alive when the driver ended has "
			       "none (the kernel dropped some; --pin keeps them)";
	return NULL;
}

/* Each thread's process ordinal (-1 for all but thread 0 when not known). */
static int *process_ordinals(const struct hw_run_result *r)
{
	int *proc = xmalloc((r->n_threads ? r->n_threads : 1) * sizeof(*proc));
	int known = !hw_workers__why(r, NULL), next = 1;

	for (size_t k = 0; k < r->n_threads; k++) {
		const struct hw_thread *t = &r->threads[k];

		proc[k] = k ? -1 : 0;
		if (!k || !known)
			continue;
		if (t->pid == r->threads[0].pid)
			proc[k] = 0;
		else if (t->tid == t->pid)
			proc[k] = next++;
		else /* a thread of a forked process: its leader's (the latest of that id) */
			for (size_t j = k; j-- > 0 && proc[k] < 0;)
				if (r->threads[j].tid == t->pid && r->threads[j].tid == r->threads[j].pid)
					proc[k] = proc[j];
	}
	return proc;
}

/* Per thread, whether its process ran during the load (-1: no load, or not known). */
static int *in_load(const struct hw_run_result *r, const struct driver *d, const int *proc)
{
	int *on = xmalloc((r->n_threads ? r->n_threads : 1) * sizeof(*on));
	size_t np = 0;
	int64_t *start, *end, ls, le;

	for (size_t k = 0; k < r->n_threads; k++) {
		on[k] = -1;
		if (proc[k] >= 0 && (size_t)proc[k] + 1 > np)
			np = (size_t)proc[k] + 1;
	}
	if (!d || !d->load_start_ns || !d->load_end_ns || hw_workers__why(r, d))
		return on;
	start = xcalloc(np, sizeof(*start));
	end = xcalloc(np, sizeof(*end));
	for (size_t k = 0; k < r->n_threads; k++) {
		const struct hw_thread *t = &r->threads[k];
		size_t p = (size_t)proc[k];

		if (!k || (p && t->tid == t->pid))
			start[p] = t->start_ns; /* the process's creation */
		if (t->end_ns > end[p])
			end[p] = t->end_ns; /* its last thread's end */
	}
	ls = d->load_start_ns - r->t0_ns;
	le = d->load_end_ns - r->t0_ns;
	for (size_t k = 0; k < r->n_threads; k++)
		on[k] = start[proc[k]] <= le && end[proc[k]] >= ls;
	free(start);
	free(end);
	return on;
}

/* Each thread's system calls; NULL when they were not all recorded. */
static double *thread_syscalls(const struct hw_ingest *in, const struct hw_run_result *r)
{
	double *n;

	if (!in->opts->syscalls || r->syscall_errno || r->sys_lost)
		return NULL;
	n = xcalloc(r->n_threads ? r->n_threads : 1, sizeof(*n));
	for (size_t i = 0; i < r->n_sys; i++) {
		int k = hw_run_result__thread_of(r, r->sys[i].tid, r->sys[i].time_ns);

		if (k < 0) { /* a call of no known thread: the threads' counts are not whole */
			free(n);
			return NULL;
		}
		n[k]++;
	}
	return n;
}

/* Thread k's instructions (instret) when every thread's own totals are known. */
static double thread_insns(const struct hw_run_result *r, size_t k)
{
	for (int e = 0; e < r->group.n && r->thread_totals && r->threads[k].has_total; e++)
		if (!strcmp(r->group.ev[e]->metric, METRIC_INSTRET))
			return r->threads[k].total.value[e];
	return -1;
}

int hw__store_workers(struct store *st, int64_t run_id, const struct hw_ingest *in, const struct hw_run_result *r,
		      struct worker_summary *w)
{
	int *proc = process_ordinals(r), *on = in_load(r, in->driver, proc), rc = 0;
	double *sys = thread_syscalls(in, r);
	struct worker_task *t = xcalloc(r->n_threads ? r->n_threads : 1, sizeof(*t));

	for (size_t k = 0; k < r->n_threads && !rc; k++) {
		rc = proc[k] >= 0 && store__thread_process(st, run_id, (int)k, proc[k], r->threads[k].pid, on[k]);
		t[k] = (struct worker_task){ .thread = (int)k, .process = proc[k], .in_load = on[k] == 1,
					     .insns = thread_insns(r, k), .syscalls = sys ? sys[k] : -1 };
	}
	memset(w, 0, sizeof(*w));
	w->insns_mean = w->insns_max = w->syscalls_mean = w->syscalls_max = -1;
	if (!rc && r->n_threads && on[0] >= 0)
		workers__summarize(t, r->n_threads, w);
	free(t);
	free(sys);
	free(on);
	free(proc);
	return rc ? -1 : 0;
}
