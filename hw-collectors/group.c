/*
 * group.c - one perf_event_open counting group per run.
 *
 * All events of a group are scheduled on the PMU together, so one pair
 * (time_enabled, time_running) describes all of them: when running is less
 * than enabled the group was multiplexed with other users of the counters and
 * perf's estimate value * enabled / running is used (and marked as such).
 *
 * Per-thread totals come from the same group: with inherit_stat the kernel
 * writes, when an inheriting thread (or child process) exits, a
 * PERF_RECORD_READ with that thread's own counts into the leader's ring
 * (threads.c maps one and redirects the group's output to it). Ids in the
 * read format tell which event each value belongs to. Each new thread and
 * its end (PERF_RECORD_FORK/EXIT) are reported by per-CPU rings of their
 * own (threads.c); only when those cannot be had does the leader report
 * them (task) into that shared ring.
 */
#include "hw.h"
#include "common.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define GROUP_READ_FORMAT                                                                  \
	(PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING)

static int perf_open(struct perf_event_attr *a, pid_t pid, int group_fd)
{
	long fd = syscall(SYS_perf_event_open, a, pid, -1, group_fd, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : (int)fd;
}

static void attr_init(struct perf_event_attr *a, const struct hw_event *e, const struct hw_group *g,
		      int leader, int task)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->type = e->type;
	a->config = e->config;
	a->read_format = GROUP_READ_FORMAT;
	a->inherit = g->inherit;
	a->exclude_kernel = g->exclude_kernel;
	a->exclude_hv = g->exclude_kernel;
	/* Only the leader gates the group: counting starts at the child's exec. */
	a->disabled = leader;
	a->enable_on_exec = leader;
	if (g->thread_stats) {
		a->read_format |= PERF_FORMAT_ID;
		a->inherit_stat = 1;
		a->task = leader && task;
		/* the ring they write to is the marker clock's, like every ring of the run */
		a->use_clockid = 1;
		a->clockid = CLOCK_MONOTONIC_RAW;
	}
}

/*
 * What the kernel allows here, probed with task-clock (a software event every
 * kernel has): per-thread totals (inherit_stat, task, ids, clockid), group
 * reads of inherited events (older kernels refuse GROUP|inherit with EINVAL)
 * and counting kernel code (perf_event_paranoid 2 refuses it to unprivileged
 * users with EACCES).
 */
static void probe_limits(struct hw_group *g, pid_t pid)
{
	const struct hw_event *tc = hw_event__find("task-clock");
	struct perf_event_attr a;
	int fd;

	g->inherit = 1;
	g->thread_stats = 1;
	g->exclude_kernel = 0;
	for (int attempt = 0; attempt < 4; attempt++) {
		attr_init(&a, tc, g, 1, 1);
		fd = perf_open(&a, pid, -1);
		if (fd >= 0) {
			close(fd);
			return;
		}
		if ((fd == -EACCES || fd == -EPERM) && !g->exclude_kernel)
			g->exclude_kernel = 1;
		else if (fd == -EINVAL && g->thread_stats)
			g->thread_stats = 0;
		else if (fd == -EINVAL && g->inherit)
			g->inherit = 0;
		else
			return;
	}
}

int hw_group__open(struct hw_group *g, pid_t pid, const struct hw_event *const *ev, int n, int task)
{
	struct perf_event_attr a;

	memset(g, 0, sizeof(*g));
	probe_limits(g, pid);
	for (int i = 0; i < n && i < HW_MAX_EVENTS; i++) {
		int leader = g->n == 0;
		int fd;

		attr_init(&a, ev[i], g, leader, task);
		fd = perf_open(&a, pid, leader ? -1 : g->fd[0]);
		if (fd < 0) {
			g->unsupported[g->n_unsupported] = ev[i];
			g->unsupported_errno[g->n_unsupported++] = -fd;
			continue;
		}
		if (ioctl(fd, PERF_EVENT_IOC_ID, &g->id[g->n]))
			g->id[g->n] = ~(uint64_t)0;
		g->fd[g->n] = fd;
		g->ev[g->n++] = ev[i];
	}
	if (!g->inherit)
		g->thread_stats = 0; /* nothing is inherited: no thread but the first is counted */
	return g->n;
}

int hw_event__user_readable(const struct hw_event *e, int exclude_kernel, char *why, size_t size)
{
	struct hw_group alone = { .exclude_kernel = exclude_kernel };
	struct perf_event_attr a;
	long page = sysconf(_SC_PAGESIZE);
	const struct perf_event_mmap_page *pc;
	int fd, ok;

	attr_init(&a, e, &alone, 0, 0);
	fd = perf_open(&a, 0, -1);
	if (fd < 0) {
		hw_unsupported_why(-fd, why, size);
		return 0;
	}
	pc = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, fd, 0);
	if (pc == MAP_FAILED) {
		snprintf(why, size, "its page cannot be mapped (%s)", hw_errno_name(errno));
		close(fd);
		return 0;
	}
	/* as the runtime decides (emudiff/mark.h): fixed once the event is mapped */
	ok = pc->cap_bit0_is_deprecated && pc->cap_user_rdpmc;
	if (!ok)
		snprintf(why, size, "not readable from user space (cap_user_rdpmc 0)");
	munmap((void *)pc, (size_t)page);
	close(fd);
	return ok;
}

void hw_group__close(struct hw_group *g)
{
	/* siblings first: closing the leader first would split the group */
	for (int i = g->n - 1; i >= 0; i--) {
		if (g->fd[i] >= 0)
			close(g->fd[i]);
		g->fd[i] = -1;
	}
}

int hw_reading__parse(const void *buf, size_t len, int n_expected, struct hw_reading *out)
{
	uint64_t w[3 + HW_MAX_EVENTS];

	memset(out, 0, sizeof(*out));
	if (len < 3 * sizeof(uint64_t) || n_expected > HW_MAX_EVENTS)
		return -1;
	memcpy(w, buf, len < sizeof(w) ? len : sizeof(w));
	if (w[0] != (uint64_t)n_expected || len < (3 + w[0]) * sizeof(uint64_t))
		return -1;
	out->n = n_expected;
	out->time_enabled = w[1];
	out->time_running = w[2];
	for (int i = 0; i < n_expected; i++)
		out->raw[i] = w[3 + i];
	hw_reading__scale(out);
	return 0;
}

void hw_reading__scale(struct hw_reading *r)
{
	r->counted = r->time_running > 0;
	r->multiplexed = r->time_running < r->time_enabled;
	for (int i = 0; i < r->n && i < HW_MAX_EVENTS; i++) {
		if (!r->counted)
			r->value[i] = 0;
		else if (r->multiplexed)
			r->value[i] = (double)r->raw[i] * ((double)r->time_enabled / (double)r->time_running);
		else
			r->value[i] = (double)r->raw[i];
	}
}

int hw_reading__parse_ids(const uint64_t *w, size_t n_words, const struct hw_group *g, struct hw_reading *out,
			  uint32_t *have)
{
	memset(out, 0, sizeof(*out));
	*have = 0;
	if (n_words < 3 || w[0] > HW_MAX_EVENTS || n_words < 3 + 2 * w[0])
		return -1;
	out->n = g->n;
	out->time_enabled = w[1];
	out->time_running = w[2];
	for (uint64_t k = 0; k < w[0]; k++)
		for (int e = 0; e < g->n; e++)
			if (g->id[e] == w[3 + 2 * k + 1]) {
				out->raw[e] = w[3 + 2 * k];
				*have |= 1u << e;
			}
	hw_reading__scale(out);
	return 0;
}

void hw_reading__from_pmc(const uint64_t *words, uint32_t mask, int n, struct hw_reading *out)
{
	memset(out, 0, sizeof(*out));
	out->n = n;
	out->time_enabled = words[0];
	out->time_running = words[1];
	/* a counter is only read while it is scheduled: its value counts even when
	 * the page's times are both still 0 (not multiplexed, not updated since) */
	out->multiplexed = out->time_running < out->time_enabled;
	out->counted = mask && !(out->multiplexed && out->time_running == 0);
	for (int i = 0; i < n && i < HW_MAX_EVENTS; i++) {
		if (!(mask & (1u << i)))
			continue;
		out->raw[i] = words[2 + i];
		out->value[i] = out->multiplexed ? (double)out->raw[i] * ((double)out->time_enabled /
									 (double)out->time_running)
						 : (double)out->raw[i];
	}
}

int hw_group__read(const struct hw_group *g, struct hw_reading *out)
{
	uint64_t buf[3 + 2 * HW_MAX_EVENTS];
	uint32_t have = 0;
	ssize_t got;
	int bad;

	if (g->n == 0)
		return -1;
	got = read(g->fd[0], buf, sizeof(buf));
	if (got < 0)
		return error("reading the counter group: %s", strerror(errno));
	if (g->thread_stats)
		bad = hw_reading__parse_ids(buf, (size_t)got / 8, g, out, &have) || buf[0] != (uint64_t)g->n ||
		      have != (g->n >= 32 ? ~0u : (1u << g->n) - 1);
	else
		bad = hw_reading__parse(buf, (size_t)got, g->n, out);
	if (bad)
		return error("reading the counter group: unexpected read format (%zd bytes)", got);
	return 0;
}

static void fraction_min(const struct hw_reading *rd, int *mux, double *fraction)
{
	if (!rd->multiplexed)
		return;
	*mux = 1;
	if (rd->time_enabled && (double)rd->time_running / (double)rd->time_enabled < *fraction)
		*fraction = (double)rd->time_running / (double)rd->time_enabled;
}

int hw_run_result__multiplexed(const struct hw_run_result *r, double *fraction)
{
	int mux = 0;

	*fraction = 1;
	if (r->total_ok)
		fraction_min(&r->total, &mux, fraction);
	for (size_t i = 0; i < r->n_marks; i++)
		if (r->marks[i].has_reading)
			fraction_min(&r->marks[i].r, &mux, fraction);
	return mux;
}
