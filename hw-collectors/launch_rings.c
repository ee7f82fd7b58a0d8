/*
 * launch_rings.c - what hw_run() reads while the workload runs: the sampler
 * and the raw_syscalls:sys_enter tracepoint, each one event per CPU with its
 * own ring (ringset), the records they deliver, and the samples, mappings
 * and calls put in order once the workload is gone.
 */
#include "launch.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SAMPLE_RING_PAGES 128
#define SYSCALL_RING_PAGES 512

static int perf_open(struct perf_event_attr *a, pid_t pid, int cpu)
{
	long fd = syscall(SYS_perf_event_open, a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : (int)fd;
}

void ringset__close(struct ringset *s)
{
	for (int i = 0; i < s->n; i++) {
		ring__unmap(&s->ring[i]);
		close(s->fd[i]);
	}
	free(s->fd);
	free(s->hup);
	free(s->ring);
	memset(s, 0, sizeof(*s));
}

int ringset__open(struct ringset *s, struct perf_event_attr *a, pid_t pid, size_t pages)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);

	memset(s, 0, sizeof(*s));
	if (ncpu < 1)
		ncpu = 1;
	s->fd = xcalloc((size_t)ncpu, sizeof(int));
	s->hup = xcalloc((size_t)ncpu, sizeof(int));
	s->ring = xcalloc((size_t)ncpu, sizeof(struct ring));
	for (int cpu = 0; cpu < ncpu; cpu++) {
		int fd = perf_open(a, pid, cpu), e;

		if (fd == -ENODEV)
			continue; /* offline CPU */
		if (fd < 0) {
			ringset__close(s);
			return fd;
		}
		e = ring__map(&s->ring[s->n], fd, pages);
		if (e) {
			close(fd);
			ringset__close(s);
			return e;
		}
		s->fd[s->n++] = fd;
	}
	if (!s->n) {
		ringset__close(s);
		return -ENODEV;
	}
	return 0;
}

void ringset__drain(struct ringset *s, void (*fn)(const struct perf_event_header *h, void *arg),
			   void *arg)
{
	for (int i = 0; i < s->n; i++)
		ring__drain(&s->ring[i], fn, arg);
}

uint64_t ringset__lost(const struct ringset *s)
{
	uint64_t lost = 0;

	for (int i = 0; i < s->n; i++)
		lost += s->ring[i].lost;
	return lost;
}

/* ---- what the rings deliver ---------------------------------------------- */

void on_sample_record(const struct perf_event_header *h, void *arg)
{
	struct collect_ctx *c = arg;
	struct hw_run_result *r = c->r;

	if (h->type == PERF_RECORD_SAMPLE) {
		struct hw_sample_fields s;

		if (hw_sample__parse(h, h->size, &s))
			return;
		if (c->n_ip_list == c->cap_ip_list) {
			c->cap_ip_list = c->cap_ip_list ? 2 * c->cap_ip_list : 1024;
			c->ip_list = xrealloc(c->ip_list, c->cap_ip_list * sizeof(uint64_t));
			c->period_list = xrealloc(c->period_list, c->cap_ip_list * sizeof(uint64_t));
			c->time_list = xrealloc(c->time_list, c->cap_ip_list * sizeof(int64_t));
			c->tid_list = xrealloc(c->tid_list, c->cap_ip_list * sizeof(int32_t));
		}
		c->time_list[c->n_ip_list] = (int64_t)s.time - c->t0;
		c->tid_list[c->n_ip_list] = (int32_t)s.tid;
		c->ip_list[c->n_ip_list] = s.ip;
		c->period_list[c->n_ip_list++] = s.period;
		r->samples++;
	} else if (h->type == PERF_RECORD_MMAP2 && h->size > sizeof(*h) + 64 + 16) {
		const unsigned char *p = (const unsigned char *)(h + 1);
		uint32_t prot;
		struct hw_map m;
		size_t maxlen = h->size - sizeof(*h) - 64 - 16;

		memcpy(&prot, p + 56, 4);
		if (!(prot & PROT_EXEC))
			return;
		memcpy(&m.start, p + 8, 8);
		memcpy(&m.len, p + 16, 8);
		memcpy(&m.pgoff, p + 24, 8);
		/* sample_id_all: pid, tid, time at the end of the record */
		memcpy(&m.time, (const unsigned char *)h + h->size - 8, 8);
		m.path = strndup((const char *)p + 64, maxlen);
		if (!m.path)
			die("out of memory");
		if (r->n_maps == c->cap_maps) {
			c->cap_maps = c->cap_maps ? 2 * c->cap_maps : 32;
			r->maps = xrealloc(r->maps, c->cap_maps * sizeof(*r->maps));
		}
		r->maps[r->n_maps++] = m;
	}
}

/* A raw_syscalls:sys_enter sample: TID (pid, tid), TIME, RAW (size, data). */
void on_syscall_record(const struct perf_event_header *h, void *arg)
{
	struct collect_ctx *c = arg;
	const unsigned char *p = (const unsigned char *)(h + 1);
	struct sys_raw y;
	uint64_t time;
	uint32_t size;

	if (h->type != PERF_RECORD_SAMPLE || h->size < sizeof(*h) + 20)
		return;
	memcpy(&y.tid, p + 4, 4);
	memcpy(&time, p + 8, 8);
	memcpy(&size, p + 16, 4);
	if (sizeof(*h) + 20 + size > h->size || (int)size < c->tp.args_offset + 48)
		return;
	p += 20;
	if (c->tp.id_size == 8)
		memcpy(&y.nr, p + c->tp.id_offset, 8);
	else {
		int32_t n32;

		memcpy(&n32, p + c->tp.id_offset, 4);
		y.nr = n32;
	}
	memcpy(&y.a0, p + c->tp.args_offset, 8);
	memcpy(&y.a4, p + c->tp.args_offset + 32, 8);
	y.time = (int64_t)time;
	if (c->n_sys_raw == c->cap_sys_raw) {
		c->cap_sys_raw = c->cap_sys_raw ? 2 * c->cap_sys_raw : 4096;
		c->sys_raw = xrealloc(c->sys_raw, c->cap_sys_raw * sizeof(*c->sys_raw));
	}
	c->sys_raw[c->n_sys_raw++] = y;
}

/* ---- opening the sampler and the syscall tracepoint ----------------------- */

int open_sampler(const struct hw_run_opts *o, pid_t pid, struct hw_run_result *r, int exclude_kernel,
			struct ringset *rs)
{
	static const struct {
		const char *name;
		uint32_t type;
		uint64_t config;
	} tries[] = {
		{ "cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
		{ "cpu-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK },
	};
	struct perf_event_attr a;
	int e = 0;

	for (size_t i = 0; i < 2; i++) {
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.type = tries[i].type;
		a.config = tries[i].config;
		a.freq = 1;
		a.sample_freq = (uint64_t)o->sample_hz;
		a.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_PERIOD;
		/* the marker runtime's clock, so that samples fall between the right marks */
		a.use_clockid = 1;
		a.clockid = CLOCK_MONOTONIC_RAW;
		/* mmap records carry TID and TIME too, so mappings can be put in order */
		a.sample_id_all = 1;
		a.mmap = 1;
		a.mmap2 = 1;
		a.disabled = 1;
		a.enable_on_exec = 1;
		a.inherit = 1;
		a.exclude_kernel = exclude_kernel;
		a.exclude_hv = exclude_kernel;
		a.watermark = 1;
		a.wakeup_watermark = SAMPLE_RING_PAGES * 4096 / 4;
		e = ringset__open(rs, &a, pid, SAMPLE_RING_PAGES);
		if (!e) {
			r->sample_event = tries[i].name;
			return 0;
		}
		if (i == 0)
			r->sample_errno = -e; /* why cycles could not be used */
	}
	r->sample_errno = -e;
	return e;
}

/*
 * raw_syscalls:sys_enter's id and layout, or why it cannot be had, told apart
 * precisely: tracefs not mounted, mounted but closed to this user, or
 * mounted without the tracepoint. Returns 0 or -errno (why filled).
 */
static int syscalls_locate(struct syscall_format *sf, uint64_t *id, char *why, size_t size)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	const char *found = NULL;
	struct tp_format fmt;
	int denied = 0, ret, bad;

	for (size_t i = 0; i < 2 && !found; i++) {
		char *ev = xasprintf("%s/events", dirs[i]);
		struct stat st;

		if (!stat(ev, &st) && S_ISDIR(st.st_mode))
			found = dirs[i];
		else if (errno == EACCES || errno == EPERM)
			denied = 1; /* a mount this user may not enter */
		free(ev);
	}
	if (!found && !denied) {
		snprintf(why, size, "%s", HW_NO_TRACEFS);
		return -ENOENT;
	}
	ret = found ? tp_format__load(&fmt, found, "raw_syscalls", "sys_enter") : -EACCES;
	if (ret == -EACCES) {
		hw_unsupported_why(EACCES, why, size);
		return -EACCES;
	}
	if (ret == -ENOENT) {
		snprintf(why, size, "ENOENT: no raw_syscalls:sys_enter tracepoint in %s/events", found);
		return -ENOENT;
	}
	if (ret) {
		snprintf(why, size, "EINVAL: %s/events/raw_syscalls/sys_enter/format not understood", found);
		return -EINVAL;
	}
	bad = syscall_format__from(sf, &fmt);
	*id = (uint64_t)fmt.id;
	tp_format__free(&fmt);
	if (bad) {
		snprintf(why, size, "EINVAL: raw_syscalls:sys_enter has no id/args fields of the expected size");
		return -EINVAL;
	}
	return 0;
}

static void syscalls_attr(struct perf_event_attr *a, uint64_t id, int exclude_kernel)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->type = PERF_TYPE_TRACEPOINT;
	a->config = id;
	a->sample_period = 1;
	a->sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_RAW;
	/* the marker runtime's clock, so that calls fall between the right marks */
	a->use_clockid = 1;
	a->clockid = CLOCK_MONOTONIC_RAW;
	a->disabled = 1;
	a->enable_on_exec = 1;
	a->inherit = 1;
	a->exclude_kernel = exclude_kernel;
	a->watermark = 1;
	a->wakeup_watermark = SYSCALL_RING_PAGES * 4096 / 4;
}

int open_syscalls(pid_t pid, struct collect_ctx *c, int exclude_kernel, struct ringset *rs)
{
	struct hw_run_result *r = c->r;
	struct perf_event_attr a;
	uint64_t id;
	int e = syscalls_locate(&c->tp, &id, r->syscall_why, sizeof(r->syscall_why));

	if (e)
		return e;
	syscalls_attr(&a, id, exclude_kernel);
	e = ringset__open(rs, &a, pid, SYSCALL_RING_PAGES);
	if (e)
		hw_unsupported_why(-e, r->syscall_why, sizeof(r->syscall_why));
	return e;
}

int hw_syscalls__probe(char *why, size_t size)
{
	struct syscall_format sf;
	struct perf_event_attr a;
	uint64_t id;
	int fd;

	if (syscalls_locate(&sf, &id, why, size))
		return -1;
	/* as hw_run opens it: kernel included unless the paranoid level forbids it */
	for (int exclude_kernel = 0; exclude_kernel < 2; exclude_kernel++) {
		syscalls_attr(&a, id, exclude_kernel);
		fd = perf_open(&a, 0, -1);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		if (fd != -EACCES && fd != -EPERM)
			break;
	}
	hw_unsupported_why(-fd, why, size);
	return -1;
}

/* ---- results ------------------------------------------------------------- */

static int cmp_u64_pair(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

static void aggregate_ips(struct collect_ctx *c)
{
	struct hw_run_result *r = c->r;
	uint64_t *pairs = xmalloc((c->n_ip_list ? c->n_ip_list : 1) * 2 * sizeof(uint64_t));

	for (size_t i = 0; i < c->n_ip_list; i++) {
		pairs[2 * i] = c->ip_list[i];
		pairs[2 * i + 1] = c->period_list[i];
	}
	qsort(pairs, c->n_ip_list, 2 * sizeof(uint64_t), cmp_u64_pair);
	r->ips = xcalloc(c->n_ip_list ? c->n_ip_list : 1, sizeof(*r->ips));
	for (size_t i = 0; i < c->n_ip_list; i++) {
		if (!r->n_ips || r->ips[r->n_ips - 1].ip != pairs[2 * i])
			r->ips[r->n_ips++].ip = pairs[2 * i];
		r->ips[r->n_ips - 1].samples++;
		r->ips[r->n_ips - 1].period += pairs[2 * i + 1];
	}
	free(pairs);
}

static int cmp_sample_time(const void *a, const void *b)
{
	const struct hw_sample *x = a, *y = b;

	return x->time_ns < y->time_ns ? -1 : x->time_ns > y->time_ns;
}

/* Every sample with its time; the rings are per CPU, so sorted here. */
static void keep_samples(struct collect_ctx *c)
{
	struct hw_run_result *r = c->r;

	if (!c->n_ip_list)
		return;
	r->sample_list = xmalloc(c->n_ip_list * sizeof(*r->sample_list));
	for (size_t i = 0; i < c->n_ip_list; i++)
		r->sample_list[i] = (struct hw_sample){ c->time_list[i], c->ip_list[i], c->period_list[i], c->tid_list[i] };
	r->n_sample_list = c->n_ip_list;
	qsort(r->sample_list, r->n_sample_list, sizeof(*r->sample_list), cmp_sample_time);
}

static int cmp_map_time(const void *a, const void *b)
{
	const struct hw_map *x = a, *y = b;

	return x->time < y->time ? -1 : x->time > y->time;
}

static int cmp_sys_time(const void *a, const void *b)
{
	const struct hw_syscall *x = a, *y = b;

	return x->time_ns < y->time_ns ? -1 : x->time_ns > y->time_ns;
}

static int cmp_slot_tid(const void *a, const void *b)
{
	const struct hw_mark_slot *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/*
 * Is this call the marker runtime's? Its first-hit work in a thread (mapping
 * the buffer, gettid, the thread's counters: perf_event_open, mmap of their
 * pages, ...) and the exit-time close happen between the times its slot
 * records; in read mode syscall each hit reads the thread's group leader
 * (while it is open: the number may have been the program's before); any
 * process maps the buffer by its fd.
 */
static int runtime_call(const struct collect_ctx *c, const struct hw_mark_slot *slots, size_t n,
			const struct sys_raw *y)
{
	struct hw_mark_slot key = { .tid = y->tid };
	const struct hw_mark_slot *s = n ? bsearch(&key, slots, n, sizeof(*slots), cmp_slot_tid) : NULL;

	if (y->nr == SYS_mmap && y->a4 == (uint64_t)c->mark_fd)
		return 1;
	for (; s && s > slots && s[-1].tid == y->tid; s--)
		;
	for (; s && s < slots + n && s->tid == y->tid; s++)
		if ((y->time >= s->setup_ns[0] && y->time <= s->setup_ns[1]) ||
		    (s->exit_ns[1] && y->time >= s->exit_ns[0] && y->time <= s->exit_ns[1]) ||
		    (y->nr == SYS_read && s->leader_fd >= 0 && y->a0 == (uint64_t)s->leader_fd &&
		     y->time > s->setup_ns[1] && (!s->exit_ns[0] || y->time < s->exit_ns[0])))
			return 1;
	return 0;
}

/* The workload's calls, without the runtime's, in time order. */
static void keep_syscalls(struct collect_ctx *c)
{
	struct hw_run_result *r = c->r;
	struct hw_mark_slot *slots = xmalloc((r->n_mark_slots ? r->n_mark_slots : 1) * sizeof(*slots));

	memcpy(slots, r->mark_slots, r->n_mark_slots * sizeof(*slots));
	qsort(slots, r->n_mark_slots, sizeof(*slots), cmp_slot_tid);
	r->sys = xmalloc((c->n_sys_raw ? c->n_sys_raw : 1) * sizeof(*r->sys));
	for (size_t i = 0; i < c->n_sys_raw; i++) {
		const struct sys_raw *y = &c->sys_raw[i];

		if (runtime_call(c, slots, r->n_mark_slots, y))
			r->runtime_syscalls_dropped++;
		else
			r->sys[r->n_sys++] = (struct hw_syscall){ y->time - c->t0, y->nr, y->tid };
	}
	free(slots);
	/* the rings are per CPU: back in time order */
	qsort(r->sys, r->n_sys, sizeof(*r->sys), cmp_sys_time);
}

void collect_ctx__finish(struct collect_ctx *c)
{
	struct hw_run_result *r = c->r;

	keep_samples(c);
	aggregate_ips(c);
	keep_syscalls(c);
	/* the rings are per CPU: put mappings back in time order */
	if (r->n_maps) /* the array is NULL when empty */
		qsort(r->maps, r->n_maps, sizeof(*r->maps), cmp_map_time);
}
