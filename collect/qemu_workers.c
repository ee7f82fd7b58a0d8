/*
 * qemu_workers.c - the threads of a QEMU run as run_thread rows with their
 * totals (thread_metric), those of the processes the guest forked included
 * (each wrote its plugin file FILE.<pid>), and a server's workers
 * (docs/servers.md, "Workers").
 *
 * Ordinals: the parent's threads first (the plugin's creation order), then
 * each forked process's threads, the processes by pid (creation order while
 * pids do not wrap); the plugin cannot see how the parent's thread
 * creations and its forks interleave, collect hw numbers them by time.
 * Process ordinals: 0 the parent, then the forked processes in that order.
 * A forked process ran during the load when its plugin file was not
 * written yet when the driver started (it had not ended) and it was alive
 * or its file written when the driver ended (it had started by then): the
 * driver's snapshots (collect/driver.c).
 */
#include "collect.h"

#include "qemu_output.h"

#include <stdlib.h>
#include <string.h>

/* Whether a forked process ran during the load; -1: not a server run, or no load. */
static int child_in_load(const struct driver *d, int pid)
{
	if (!d || !d->load_start_ns || !d->load_end_ns)
		return -1;
	return !pid_set__has(&d->files_start, pid) &&
	       (pid_set__has(&d->alive_end, pid) || pid_set__has(&d->files_end, pid));
}

static double total_of(const struct qemu_output_thread *t, const char *metric)
{
	for (size_t i = 0; i < t->n_totals; i++)
		if (!strcmp(t->totals[i].metric, metric))
			return (double)t->totals[i].value;
	return -1;
}

struct tasks {
	struct worker_task *v;
	size_t n;
};

/* One thread: its row, its process, its totals, and it as a worker's task. */
static int store_thread(struct store *s, int64_t run, const struct qemu_output_thread *t, const char *kind,
			int process, int pid, int in_load, struct tasks *out)
{
	int k = (int)out->n;

	if (store__thread_add(s, run, k, t->vcpu, kind) ||
	    (process >= 0 && store__thread_process(s, run, k, process, pid > 0 ? pid : -1, in_load)))
		return -1;
	for (size_t i = 0; i < t->n_totals; i++)
		if (strcmp(t->totals[i].metric, "host_ns") && /* a file's total before format 4: QEMU's */
		    store__thread_metric_set(s, run, k, t->totals[i].metric, (double)t->totals[i].value))
			return -1;
	out->v[out->n++] = (struct worker_task){
		.thread = k, .process = process, .in_load = in_load == 1,
		.insns = total_of(t, METRIC_INSNS), .syscalls = total_of(t, METRIC_SYSCALLS),
	};
	return 0;
}

int qemu__store_threads(struct store *s, int64_t run, const struct qemu_run_record *rec,
			const struct qemu_outputs *o, struct worker_summary *w)
{
	const struct qemu_output *out = o->main;
	const struct driver *d = rec->driver;
	const struct qemu_output_thread *parent = out->threads;
	struct qemu_output_thread one = { 0 };
	size_t n = out->n_threads, n_parent = out->n_threads;
	struct tasks t;
	int rc = 0;

	for (size_t i = 0; i < o->n_children; i++)
		n += o->children[i].n_threads;
	/* a parent's file before format 4 is its one thread (written when it has children, or serves) */
	if (!out->n_threads && !out->system && (o->n_children || d)) {
		one.totals = out->totals;
		one.n_totals = out->n_totals;
		parent = &one;
		n_parent = 1;
	}
	t.v = xcalloc(n + 1, sizeof(*t.v));
	t.n = 0;
	/* system mode: vCPUs, no processes */
	for (size_t k = 0; k < n_parent && !rc; k++)
		rc = store_thread(s, run, &parent[k], out->system ? THREAD_KIND_VCPU : THREAD_KIND_THREAD,
				  out->system ? -1 : 0, rec->result.pid, d && d->load_start_ns && d->load_end_ns ? 1 : -1,
				  &t);
	for (size_t i = 0; i < o->n_children && !rc; i++) {
		const struct qemu_child *c = &o->children[i];

		for (size_t k = 0; k < c->n_threads && !rc; k++)
			rc = store_thread(s, run, &c->threads[k], THREAD_KIND_THREAD, (int)i + 1, c->pid,
					  child_in_load(d, c->pid), &t);
	}
	memset(w, 0, sizeof(*w));
	w->insns_mean = w->insns_max = w->syscalls_mean = w->syscalls_max = -1;
	if (!rc && d && !out->system && d->load_start_ns && d->load_end_ns)
		workers__summarize(t.v, t.n, w);
	free(t.v);
	return rc;
}
