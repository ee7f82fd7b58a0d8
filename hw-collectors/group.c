/*
 * group.c - one perf_event_open counting group per run.
 *
 * All events of a group are scheduled on the PMU together, so one pair
 * (time_enabled, time_running) describes all of them: when running is less
 * than enabled the group was multiplexed with other users of the counters and
 * perf's estimate value * enabled / running is used (and marked as such).
 */
#include "hw.h"
#include "common.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define GROUP_READ_FORMAT                                                                  \
	(PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING)

static int perf_open(struct perf_event_attr *a, pid_t pid, int group_fd)
{
	long fd = syscall(SYS_perf_event_open, a, pid, -1, group_fd, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : (int)fd;
}

static void attr_init(struct perf_event_attr *a, const struct hw_event *e, const struct hw_group *g,
		      int leader)
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
}

/*
 * What the kernel allows here, probed with task-clock (a software event every
 * kernel has): group reads of inherited events (older kernels refuse
 * GROUP|inherit with EINVAL) and counting kernel code (perf_event_paranoid 2
 * refuses it to unprivileged users with EACCES).
 */
static void probe_limits(struct hw_group *g, pid_t pid)
{
	const struct hw_event *tc = hw_event__find("task-clock");
	struct perf_event_attr a;
	int fd;

	g->inherit = 1;
	g->exclude_kernel = 0;
	for (int attempt = 0; attempt < 3; attempt++) {
		attr_init(&a, tc, g, 1);
		fd = perf_open(&a, pid, -1);
		if (fd >= 0) {
			close(fd);
			return;
		}
		if ((fd == -EACCES || fd == -EPERM) && !g->exclude_kernel)
			g->exclude_kernel = 1;
		else if (fd == -EINVAL && g->inherit)
			g->inherit = 0;
		else
			return;
	}
}

int hw_group__open(struct hw_group *g, pid_t pid, const struct hw_event *const *ev, int n)
{
	struct perf_event_attr a;

	memset(g, 0, sizeof(*g));
	probe_limits(g, pid);
	for (int i = 0; i < n && i < HW_MAX_EVENTS; i++) {
		int leader = g->n == 0;
		int fd;

		attr_init(&a, ev[i], g, leader);
		fd = perf_open(&a, pid, leader ? -1 : g->fd[0]);
		if (fd < 0) {
			g->unsupported[g->n_unsupported] = ev[i];
			g->unsupported_errno[g->n_unsupported++] = -fd;
			continue;
		}
		g->fd[g->n] = fd;
		g->ev[g->n++] = ev[i];
	}
	return g->n;
}

int hw_group__open_task(struct hw_group *g, pid_t pid, const struct hw_group *like)
{
	struct perf_event_attr a;

	memset(g, 0, sizeof(*g));
	g->exclude_kernel = like->exclude_kernel;
	for (int i = 0; i < like->n; i++) {
		int leader = g->n == 0;
		int fd;

		attr_init(&a, like->ev[i], g, leader);
		fd = perf_open(&a, pid, leader ? -1 : g->fd[0]);
		if (fd < 0) {
			g->unsupported[g->n_unsupported] = like->ev[i];
			g->unsupported_errno[g->n_unsupported++] = -fd;
			continue;
		}
		g->fd[g->n] = fd;
		g->ev[g->n++] = like->ev[i];
	}
	return g->n;
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
	out->counted = out->time_running > 0;
	out->multiplexed = out->time_running < out->time_enabled;
	for (int i = 0; i < n_expected; i++) {
		out->raw[i] = w[3 + i];
		if (!out->counted)
			out->value[i] = 0;
		else if (out->multiplexed)
			out->value[i] = (double)out->raw[i] * ((double)out->time_enabled /
							      (double)out->time_running);
		else
			out->value[i] = (double)out->raw[i];
	}
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
	uint64_t buf[3 + HW_MAX_EVENTS];
	ssize_t got;

	if (g->n == 0)
		return -1;
	got = read(g->fd[0], buf, sizeof(buf));
	if (got < 0)
		return error("reading the counter group: %s", strerror(errno));
	if (hw_reading__parse(buf, (size_t)got, g->n, out))
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
