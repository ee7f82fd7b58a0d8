/*
 * threads.c - the threads of a run: ordinals and per-thread totals.
 *
 * Ordinals. Thread 0 is the program the collector started; the others are
 * numbered in the order they were created, which the kernel reports: a
 * dummy event with attr.task, inherited, once per CPU, writes for every fork
 * or thread creation in the tree a PERF_RECORD_FORK (new tid, its process,
 * the time on the marker clock), and for its end a PERF_RECORD_EXIT, into
 * the ring of the CPU it happened on. One ring per CPU, because a ring is
 * written without cross-CPU atomicity: with one ring shared by the inherited
 * events of tasks running on several CPUs at once (the kernel refuses to map
 * such a ring, and a redirected output sidesteps that) whole records were
 * silently missing (5000 short-lived processes of a server on 2 CPUs: 12% to
 * 100% of them seen, none reported lost). Without the per-CPU rings the
 * leader of the counting group reports them into its ring, as before.
 * Creation order is what the QEMU side numbers vCPUs by, so the same thread
 * of a program gets the same ordinal on both. Sorting by thread id would not
 * do: ids wrap, and other processes take ids meanwhile (only a fallback).
 *
 * Totals. The group is inherited with inherit_stat: when a thread or child
 * process exits, the kernel writes one PERF_RECORD_READ per event with that
 * thread's own counts (and each event's id) before adding them to the
 * group's totals. The thread holding the group itself at its exit (thread 0,
 * unless perf swapped contexts) writes none: its own counts are the group's
 * final totals minus everyone else's, so the threads' totals add up to the
 * run's.
 */
#include "launch.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define STAT_RING_PAGES 128
#define TASK_RING_PAGES 64

int task_rings__open(struct collect_ctx *c, pid_t pid)
{
	struct perf_event_attr a;
	int e = -EINVAL;

	/* counting kernel code may be refused (perf_event_paranoid): then without it */
	for (int exclude = 0; exclude < 2; exclude++) {
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.type = PERF_TYPE_SOFTWARE;
		a.config = PERF_COUNT_SW_DUMMY;
		a.task = 1;
		a.inherit = 1;
		a.use_clockid = 1;
		a.clockid = CLOCK_MONOTONIC_RAW;
		a.exclude_kernel = exclude;
		a.exclude_hv = exclude;
		a.disabled = 1;
		a.enable_on_exec = 1;
		a.watermark = 1;
		a.wakeup_watermark = TASK_RING_PAGES * 4096 / 4;
		e = ringset__open(&c->tasks, &a, pid, TASK_RING_PAGES);
		if (e != -EACCES && e != -EPERM)
			break;
	}
	return e;
}

int stat_ring__open(struct collect_ctx *c, pid_t pid, const struct hw_group *g)
{
	struct hw_run_result *r = c->r;
	struct perf_event_attr a;
	long fd;
	int e;

	c->stat_fd = -1;
	if (!g->n) {
		snprintf(r->threads_why, sizeof(r->threads_why), "no event was counted");
		return -1;
	}
	if (!g->thread_stats) {
		snprintf(r->threads_why, sizeof(r->threads_why), "%s",
			 g->inherit ? "the kernel refused inherit_stat or task records (EINVAL)"
				    : "the kernel counts no inherited group here (EINVAL)");
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_DUMMY;
	a.use_clockid = 1; /* the kernel mixes no clocks in one ring */
	a.clockid = CLOCK_MONOTONIC_RAW;
	a.exclude_kernel = g->exclude_kernel; /* what perf_event_paranoid demands of the group */
	a.exclude_hv = g->exclude_kernel;
	a.watermark = 1;
	a.wakeup_watermark = STAT_RING_PAGES * 4096 / 4;
	fd = syscall(SYS_perf_event_open, &a, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		e = errno;
		snprintf(r->threads_why, sizeof(r->threads_why), "no record ring (dummy event: %s)", hw_errno_name(e));
		return -1;
	}
	e = -ring__map(&c->stat, (int)fd, STAT_RING_PAGES);
	for (int i = 0; i < g->n && !e; i++)
		if (ioctl(g->fd[i], PERF_EVENT_IOC_SET_OUTPUT, fd))
			e = errno;
	if (e) {
		snprintf(r->threads_why, sizeof(r->threads_why), "no record ring (%s)", hw_errno_name(e));
		ring__unmap(&c->stat);
		close((int)fd);
		return -1;
	}
	c->stat_fd = (int)fd;
	return 0;
}

void stat_ring__close(struct collect_ctx *c)
{
	ringset__close(&c->tasks);
	ring__unmap(&c->stat);
	if (c->stat_fd >= 0)
		close(c->stat_fd);
	c->stat_fd = -1;
	free(c->forks);
	free(c->exits);
	free(c->reads);
}

/* A thread's PERF_RECORD_READ: pid, tid, then nr, enabled, running, {value, id}[nr]. */
static void on_read(struct collect_ctx *c, const struct perf_event_header *h)
{
	const unsigned char *p = (const unsigned char *)(h + 1);
	size_t words = (h->size - sizeof(*h) - 8) / 8;
	uint64_t w[3 + 2 * HW_MAX_EVENTS];
	struct thread_read one = { 0 }, *t = NULL;

	if (h->size < sizeof(*h) + 8 + 24)
		return;
	memcpy(&one.pid, p, 4);
	memcpy(&one.tid, p + 4, 4);
	if (words > sizeof(w) / 8)
		words = sizeof(w) / 8;
	memcpy(w, p + 8, words * 8);
	if (hw_reading__parse_ids(w, words, &c->r->group, &one.r, &one.have))
		return;
	/* one record per event: merge them (the latest of this tid) */
	for (size_t i = c->n_reads; i-- > 0 && !t;)
		if (c->reads[i].tid == one.tid)
			t = &c->reads[i];
	if (t && !(t->have & one.have)) {
		for (int e = 0; e < c->r->group.n; e++)
			if (one.have & (1u << e))
				t->r.raw[e] = one.r.raw[e];
		t->have |= one.have;
		hw_reading__scale(&t->r);
		return;
	}
	if (c->n_reads == c->cap_reads) {
		c->cap_reads = c->cap_reads ? 2 * c->cap_reads : 64;
		c->reads = xrealloc(c->reads, c->cap_reads * sizeof(*c->reads));
	}
	c->reads[c->n_reads++] = one;
}

void on_stat_record(const struct perf_event_header *h, void *arg)
{
	struct collect_ctx *c = arg;

	if ((h->type == PERF_RECORD_FORK || h->type == PERF_RECORD_EXIT) && h->size >= sizeof(*h) + 24) {
		const unsigned char *p = (const unsigned char *)(h + 1);
		int fork = h->type == PERF_RECORD_FORK;
		struct hw_fork f, **list = fork ? &c->forks : &c->exits;
		size_t *n = fork ? &c->n_forks : &c->n_exits, *cap = fork ? &c->cap_forks : &c->cap_exits;
		uint64_t time;

		/* pid, ppid, tid, ptid, time (both records) */
		memcpy(&f.pid, p, 4);
		memcpy(&f.tid, p + 8, 4);
		memcpy(&time, p + 16, 8);
		f.time_ns = (int64_t)time - c->t0;
		if (*n == *cap) {
			*cap = *cap ? 2 * *cap : 64;
			*list = xrealloc(*list, *cap * sizeof(**list));
		}
		(*list)[(*n)++] = f;
	} else if (h->type == PERF_RECORD_READ) {
		on_read(c, h);
	}
}

/* ---- ordinals ------------------------------------------------------------- */

static const struct hw_run_result *sort_r; /* qsort has no argument */

static int cmp_tid_start(const void *a, const void *b)
{
	const struct hw_thread *x = &sort_r->threads[*(const size_t *)a], *y = &sort_r->threads[*(const size_t *)b];

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int cmp_fork(const void *a, const void *b)
{
	const struct hw_fork *x = a, *y = b;

	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return x < y ? -1 : x > y;
}

static void add_thread(struct hw_run_result *r, size_t *cap, int32_t tid, int32_t pid, int64_t start)
{
	if (r->n_threads == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		r->threads = xrealloc(r->threads, *cap * sizeof(*r->threads));
	}
	memset(&r->threads[r->n_threads], 0, sizeof(r->threads[0]));
	r->threads[r->n_threads].tid = tid;
	r->threads[r->n_threads].pid = pid;
	r->threads[r->n_threads].end_ns = INT64_MAX;
	r->threads[r->n_threads++].start_ns = start;
}

static void index_threads(struct hw_run_result *r)
{
	free(r->thread_by_tid);
	r->thread_by_tid = xmalloc((r->n_threads ? r->n_threads : 1) * sizeof(size_t));
	for (size_t i = 0; i < r->n_threads; i++)
		r->thread_by_tid[i] = i;
	sort_r = r;
	qsort(r->thread_by_tid, r->n_threads, sizeof(size_t), cmp_tid_start);
}

int hw_run_result__thread_of(const struct hw_run_result *r, int32_t tid, int64_t t)
{
	size_t lo = 0, hi = r->n_threads;
	int found = -1;

	/* the first entry of tid, then the latest one created at or before t */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (r->threads[r->thread_by_tid[mid]].tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < r->n_threads && r->threads[r->thread_by_tid[i]].tid == tid; i++)
		if (found < 0 || r->threads[r->thread_by_tid[i]].start_ns <= t)
			found = (int)r->thread_by_tid[i];
	return found;
}

/* Thread ids seen anywhere but in the fork records, not yet known: by id. */
static void add_unknown(struct hw_run_result *r, size_t *cap)
{
	size_t n = r->n_marks + r->n_sample_list + r->n_sys + r->n_mark_slots, k = 0;
	int32_t *ids = xmalloc((n ? n : 1) * sizeof(*ids));

	index_threads(r);
	for (size_t i = 0; i < r->n_marks; i++)
		ids[k++] = r->marks[i].tid;
	for (size_t i = 0; i < r->n_sample_list; i++)
		ids[k++] = r->sample_list[i].tid;
	for (size_t i = 0; i < r->n_sys; i++)
		ids[k++] = r->sys[i].tid;
	for (size_t i = 0; i < r->n_mark_slots; i++)
		ids[k++] = r->mark_slots[i].tid;
	qsort(ids, k, sizeof(*ids), cmp_i32);
	n = 0; /* the unknown ones first (the index is of the known threads), then added */
	for (size_t i = 0; i < k; i++)
		if (ids[i] > 0 && (i == 0 || ids[i] != ids[i - 1]) && hw_run_result__thread_of(r, ids[i], 0) < 0)
			ids[n++] = ids[i];
	for (size_t i = 0; i < n; i++)
		add_thread(r, cap, ids[i], 0, 0);
	if (n)
		r->threads_by_fork = 0;
	free(ids);
	index_threads(r);
}

void hw_run_result__threads(struct hw_run_result *r, int32_t main_tid, const struct hw_fork *forks, size_t n)
{
	struct hw_fork *f = xmalloc((n ? n : 1) * sizeof(*f));
	size_t cap = 0;

	add_thread(r, &cap, main_tid, main_tid, 0);
	if (n) /* forks is NULL without fork records */
		memcpy(f, forks, n * sizeof(*f));
	/* one ring per CPU: in time order only once merged */
	qsort(f, n, sizeof(*f), cmp_fork);
	for (size_t i = 0; i < n; i++)
		add_thread(r, &cap, f[i].tid, f[i].pid, f[i].time_ns);
	free(f);
	add_unknown(r, &cap);
	for (size_t i = 0; i < r->n_marks; i++) {
		struct hw_mark *m = &r->marks[i];

		m->thread = m->tid ? hw_run_result__thread_of(r, m->tid, m->time_ns) : 0;
		if (m->thread < 0)
			m->thread = 0;
		r->threads[m->thread].n_hits++;
	}
	for (size_t k = 0; k < r->n_threads; k++) {
		r->threads[k].hits = xmalloc((r->threads[k].n_hits ? r->threads[k].n_hits : 1) * sizeof(size_t));
		r->threads[k].n_hits = 0;
	}
	for (size_t i = 0; i < r->n_marks; i++) {
		struct hw_thread *t = &r->threads[r->marks[i].thread];

		t->hits[t->n_hits++] = i;
	}
}

void hw_run_result__exits(struct hw_run_result *r, const struct hw_fork *exits, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int k = hw_run_result__thread_of(r, exits[i].tid, exits[i].time_ns);

		if (k >= 0)
			r->threads[k].end_ns = exits[i].time_ns;
	}
}

int64_t hw_run_result__seq_at(const struct hw_run_result *r, int thread, int64_t t)
{
	const struct hw_thread *th;
	size_t lo = 0, hi;

	if (thread < 0 || (size_t)thread >= r->n_threads)
		return -1;
	th = &r->threads[thread];
	hi = th->n_hits;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (r->marks[th->hits[mid]].time_ns <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? (int64_t)th->hits[lo - 1] : -1;
}

/* ---- totals --------------------------------------------------------------- */

/*
 * The one thread without an exit record, or -1 when none or more than one
 * lacks it (why in r->threads_why). perf swaps the contexts of two threads of
 * the tree when one follows the other on a CPU (inherit_stat swaps their
 * counts along), so the group the collector opened may end in any thread:
 * that thread exits without a record, and the program's first thread, which
 * then holds an inherited copy, writes one.
 */
static int thread_without_record(struct hw_run_result *r)
{
	int missing = -1, n = 0;

	for (size_t k = 0; k < r->n_threads; k++)
		if (!r->threads[k].has_total && n++ == 0)
			missing = (int)k;
	if (n == 1)
		return missing;
	if (n)
		snprintf(r->threads_why, sizeof(r->threads_why), "no exit record of %d threads (thread %d, tid %d, first)",
			 n, missing, (int)r->threads[missing].tid);
	else
		snprintf(r->threads_why, sizeof(r->threads_why), "an exit record of every thread, the group's own too");
	return -1;
}

/* Every thread's own totals, or why not (r->threads_why). */
static void thread_totals(struct collect_ctx *c)
{
	struct hw_run_result *r = c->r;
	uint32_t all = (1u << r->group.n) - 1;
	int rest;

	if (c->stat_fd < 0 || !r->total_ok || !r->total.counted)
		return;
	if (r->thread_records_lost) {
		snprintf(r->threads_why, sizeof(r->threads_why), "%llu thread records lost",
			 (unsigned long long)r->thread_records_lost);
		return;
	}
	for (size_t i = 0; i < c->n_reads; i++) {
		int k = hw_run_result__thread_of(r, c->reads[i].tid, INT64_MAX);

		if (k < 0 || c->reads[i].have != all)
			continue;
		r->threads[k].total = c->reads[i].r;
		r->threads[k].has_total = 1;
	}
	rest = thread_without_record(r);
	if (rest < 0)
		return;
	/* its own counts: the group's totals minus everyone else's */
	r->threads[rest].total = r->total;
	for (size_t k = 0; k < r->n_threads; k++)
		for (int e = 0; e < r->group.n && k != (size_t)rest; e++)
			r->threads[rest].total.value[e] -= r->threads[k].total.value[e];
	r->threads[rest].has_total = 1;
	r->thread_totals = 1;
}

void collect_ctx__threads(struct collect_ctx *c, pid_t main_tid)
{
	struct hw_run_result *r = c->r;

	if (c->stat_fd >= 0)
		ring__drain(&c->stat, on_stat_record, c);
	ringset__drain(&c->tasks, on_stat_record, c);
	r->thread_records_lost = c->stat.lost + ringset__lost(&c->tasks);
	r->threads_by_fork = c->tasks.n > 0 || (c->stat_fd >= 0 && c->task_in_group);
	hw_run_result__threads(r, (int32_t)main_tid, c->forks, c->n_forks);
	hw_run_result__exits(r, c->exits, c->n_exits);
	thread_totals(c);
}
