/*
 * launch.c - one measured invocation of a workload.
 *
 * The child is forked and waits on a socket. The collector then opens every
 * event on the child's pid, disabled and enabled on its exec (so nothing of
 * the collector or of the fork is counted), and passes over the socket
 * (SCM_RIGHTS) the fds the marker runtime of emudiff/mark.h reads: by
 * default a second, not inherited group on the same task, whose counter
 * pages the runtime maps and reads without a system call; with read mode
 * syscall the counting group's leader. The child publishes them in its
 * environment, with the shared buffer (a memfd) into which the runtime
 * writes one record per marker hit, and execs. While the workload runs the
 * collector drains the sampling and syscall ring buffers and watches the
 * child's pidfd; common.h's supervisor applies the deadline policy and reaps
 * the child with its resource usage.
 */
#include "hw.h"
#include "ring.h"
#include "common.h"
#include "emudiff/mark.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SAMPLE_RING_PAGES 128
#define SYSCALL_RING_PAGES 512

static int64_t raw_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int perf_open(struct perf_event_attr *a, pid_t pid, int cpu)
{
	long fd = syscall(SYS_perf_event_open, a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : (int)fd;
}

/*
 * One event per CPU for the child's pid. The kernel refuses to map the ring
 * of an inherited per-task event (cpu -1), so, as perf record does, sampled
 * events that must follow threads and children are opened on every CPU, each
 * with its own ring.
 */
struct ringset {
	int n;
	int *fd, *hup;
	struct ring *ring;
};

static void ringset__close(struct ringset *s)
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

static int ringset__open(struct ringset *s, struct perf_event_attr *a, pid_t pid, size_t pages)
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

static void ringset__drain(struct ringset *s, void (*fn)(const struct perf_event_header *h, void *arg),
			   void *arg)
{
	for (int i = 0; i < s->n; i++)
		ring__drain(&s->ring[i], fn, arg);
}

static uint64_t ringset__lost(const struct ringset *s)
{
	uint64_t lost = 0;

	for (int i = 0; i < s->n; i++)
		lost += s->ring[i].lost;
	return lost;
}

/* ---- the child ----------------------------------------------------------- */

/* The go message: the buffer size, the fds the marker runtime reads and
 * their event ids (go[0] bytes, go[1 + i] id of fds[i]). */
static int send_start(int sock, const int *fds, int n, const uint64_t *go)
{
	struct iovec iov = { (void *)go, sizeof(uint64_t) * (1 + HW_MAX_EVENTS) };
	union {
		char buf[CMSG_SPACE(sizeof(int) * HW_MAX_EVENTS)];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (n > 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)iov.iov_len ? 0 : -1;
}

/* Returns the number of fds received into fds[], -1 on EOF/error. */
static int recv_start(int sock, int *fds, uint64_t *go)
{
	struct iovec iov = { go, sizeof(uint64_t) * (1 + HW_MAX_EVENTS) };
	union {
		char buf[CMSG_SPACE(sizeof(int) * HW_MAX_EVENTS)];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	int n = 0;

	if (recvmsg(sock, &msg, MSG_WAITALL) != (ssize_t)iov.iov_len)
		return -1;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			if (n > HW_MAX_EVENTS)
				n = HW_MAX_EVENTS;
			memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)n);
		}
	return n;
}

/* One int written by the child; 0 at end of file. */
static int read_int(int sock, int *v)
{
	size_t got = 0;

	while (got < sizeof(*v)) {
		ssize_t n = read(sock, (char *)v + got, sizeof(*v) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		got += (size_t)n;
	}
	return 1;
}

static void write_int(int sock, int v)
{
	ssize_t n = write(sock, &v, sizeof(v));

	(void)n;
}

static _Noreturn void child(const struct hw_run_opts *o, int sock, int mark_fd, size_t env_pad)
{
	char num[32], list[HW_MAX_EVENTS * 36 + 1];
	int fds[HW_MAX_EVENTS], n;
	uint64_t go[1 + HW_MAX_EVENTS] = { 0 };

	if (o->pin_cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o->pin_cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			write_int(sock, -1);
			write_int(sock, errno);
			_exit(127);
		}
	}
	if (o->no_aslr) {
		int cur = personality(0xffffffff);

		if (cur != -1)
			personality((unsigned long)cur | ADDR_NO_RANDOMIZE);
	}
	n = recv_start(sock, fds, go);
	if (n < 0)
		_exit(127); /* the collector gave up */
	snprintf(num, sizeof(num), "%d", mark_fd);
	setenv("EMUDIFF_MARK_FD", num, 1);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)go[0]);
	setenv("EMUDIFF_MARK_BYTES", num, 1);
	unsetenv("EMUDIFF_MARK_GROUP_FD");
	unsetenv("EMUDIFF_MARK_COUNTER_FDS");
	if (n > 0 && o->mark_read == HW_MARK_READ_SYSCALL) {
		snprintf(num, sizeof(num), "%d", fds[0]);
		setenv("EMUDIFF_MARK_GROUP_FD", num, 1);
	} else if (n > 0) {
		size_t l = 0;

		for (int i = 0; i < n; i++)
			l += (size_t)snprintf(list + l, sizeof(list) - l, "%s%d:%llu", i ? "," : "", fds[i],
					      (unsigned long long)go[1 + i]);
		setenv("EMUDIFF_MARK_COUNTER_FDS", list, 1);
	}
	if (env_pad) {
		char *pad = malloc(env_pad + 1);

		if (pad) {
			memset(pad, 'x', env_pad);
			pad[env_pad] = 0;
			setenv("EMUDIFF_ENV_PAD", pad, 1);
		}
	} else {
		unsetenv("EMUDIFF_ENV_PAD");
	}
	/* tell the collector the fd numbers (to recognise the runtime's calls) */
	write_int(sock, n);
	for (int i = 0; i < n; i++)
		write_int(sock, fds[i]);
	execvp(o->argv[0], o->argv);
	write_int(sock, errno);
	_exit(127);
}

/* ---- what the rings deliver ---------------------------------------------- */

struct collect_ctx {
	struct hw_run_result *r;
	size_t cap_ips, cap_maps, cap_sys;
	struct syscall_format tp;
	int64_t t0;
	int child_group_fd, mark_fd;
	int child_fds[HW_MAX_EVENTS], n_child_fds; /* as numbered in the workload */
	uint64_t *ip_list; /* all sampled ips, aggregated at the end */
	uint64_t *period_list;
	int64_t *time_list;
	size_t n_ip_list, cap_ip_list;
};

static void on_sample_record(const struct perf_event_header *h, void *arg)
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
		}
		c->time_list[c->n_ip_list] = (int64_t)s.time - c->t0;
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

static void on_syscall_record(const struct perf_event_header *h, void *arg)
{
	struct collect_ctx *c = arg;
	struct hw_run_result *r = c->r;
	const unsigned char *p = (const unsigned char *)(h + 1);
	uint64_t time, a0 = 0, a4 = 0;
	uint32_t size;
	int64_t nr = 0;

	if (h->type != PERF_RECORD_SAMPLE || h->size < sizeof(*h) + 12)
		return;
	memcpy(&time, p, 8);
	memcpy(&size, p + 8, 4);
	if (sizeof(*h) + 12 + size > h->size || (int)size < c->tp.args_offset + 48)
		return;
	p += 12;
	if (c->tp.id_size == 8)
		memcpy(&nr, p + c->tp.id_offset, 8);
	else {
		int32_t n32;

		memcpy(&n32, p + c->tp.id_offset, 4);
		nr = n32;
	}
	memcpy(&a0, p + c->tp.args_offset, 8);
	memcpy(&a4, p + c->tp.args_offset + 32, 8);
	/* The marker runtime's own system calls are the collector's, not the workload's:
	 * reads of the group (read mode syscall), maps of the buffer and of counter
	 * pages, the check that a counter fd is still the event (PERF_EVENT_IOC_ID). */
	if ((nr == SYS_read && c->child_group_fd >= 0 && a0 == (uint64_t)c->child_group_fd) ||
	    (nr == SYS_mmap && a4 == (uint64_t)c->mark_fd)) {
		r->runtime_syscalls_dropped++;
		return;
	}
	for (int i = 0; i < c->n_child_fds; i++)
		if ((nr == SYS_mmap && a4 == (uint64_t)c->child_fds[i]) ||
		    (nr == SYS_ioctl && a0 == (uint64_t)c->child_fds[i])) {
			r->runtime_syscalls_dropped++;
			return;
		}
	if (r->n_sys == c->cap_sys) {
		c->cap_sys = c->cap_sys ? 2 * c->cap_sys : 4096;
		r->sys = xrealloc(r->sys, c->cap_sys * sizeof(*r->sys));
	}
	r->sys[r->n_sys].time_ns = (int64_t)time - c->t0;
	r->sys[r->n_sys++].nr = nr;
}

/* ---- opening the sampler and the syscall tracepoint ----------------------- */

static int open_sampler(const struct hw_run_opts *o, pid_t pid, struct hw_run_result *r, int exclude_kernel,
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
	a->sample_type = PERF_SAMPLE_TIME | PERF_SAMPLE_RAW;
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

static int open_syscalls(pid_t pid, struct collect_ctx *c, int exclude_kernel, struct ringset *rs)
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
		r->sample_list[i] = (struct hw_sample){ c->time_list[i], c->ip_list[i], c->period_list[i] };
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

/* ---- the invocation ------------------------------------------------------- */

/* What one invocation holds from the fork to the reaping of the child. */
struct launch {
	const struct hw_run_opts *o;
	struct hw_run_result *r;
	struct collect_ctx c;
	struct ringset srs, yrs; /* samples, system calls */
	struct emudiff_mark_buffer *buf;
	size_t bytes;
	int sv[2], mfd, pidfd, exec_err;
	int64_t t_fork;
	pid_t pid;        /* the child until it is reaped; -1 then */
	struct proc proc; /* its supervisor, from the go message on */
};

/* The marker buffer (a memfd, created now so that the child inherits it; sized
 * once the groups are open) and the socket of the go message. */
static int launch_channels(struct launch *l)
{
	l->mfd = memfd_create("emudiff-marks", 0);
	if (l->mfd < 0)
		return error("marker buffer: %s", strerror(errno));
	l->c.mark_fd = l->mfd;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, l->sv))
		return error("socketpair: %s", strerror(errno));
	return 0;
}

static int launch_fork(struct launch *l)
{
	fflush(NULL);
	l->t_fork = raw_ns();
	l->pid = fork();
	if (l->pid < 0)
		return error("fork: %s", strerror(errno));
	if (l->pid == 0) {
		close(l->sv[0]);
		child(l->o, l->sv[1], l->mfd, l->o->env_pad);
	}
	close(l->sv[1]);
	l->sv[1] = -1;
	return 0;
}

/* Counting group, sampler, syscall tracepoint and the group the markers read,
 * all opened on the child while it waits for the go message. */
static void launch_open_events(struct launch *l)
{
	const struct hw_run_opts *o = l->o;
	struct hw_run_result *r = l->r;

	hw_group__open(&r->group, l->pid, o->ev, o->n_ev);
	if (o->sample_hz > 0 && open_sampler(o, l->pid, r, r->group.exclude_kernel, &l->srs))
		r->sample_event = NULL;
	if (o->syscalls)
		r->syscall_errno = -open_syscalls(l->pid, &l->c, r->group.exclude_kernel, &l->yrs);
	else
		r->syscall_errno = -1;
	if (o->mark_read == HW_MARK_READ_RDPMC && r->group.n)
		hw_group__open_task(&r->mark_group, l->pid, &r->group);
}

/* Counter words per marker record: as few as the read mode allows, so that a
 * hit touches fewer pages and cache lines. */
static size_t mark_record_words(const struct hw_run_opts *o, const struct hw_run_result *r)
{
	switch (o->mark_read) {
	case HW_MARK_READ_SYSCALL:
		return r->group.n ? 3 + (size_t)r->group.n : 0;
	case HW_MARK_READ_RDPMC:
		return r->mark_group.n ? 2 + (size_t)r->mark_group.n : 0;
	case HW_MARK_READ_TIME:
		break;
	}
	return 0;
}

static int launch_mark_buffer(struct launch *l)
{
	const struct hw_run_opts *o = l->o;
	size_t record_size = sizeof(struct emudiff_mark_record) + 8 * mark_record_words(o, l->r);
	struct emudiff_mark_buffer *buf;

	l->bytes = sizeof(struct emudiff_mark_buffer) + o->mark_capacity * record_size;
	if (ftruncate(l->mfd, (off_t)l->bytes))
		return error("marker buffer: %s", strerror(errno));
	/* allocate the pages now, in the collector: the runtime maps them populated */
	if (fallocate(l->mfd, 0, 0, (off_t)l->bytes) && errno != EOPNOTSUPP)
		warning("marker buffer: cannot preallocate %zu bytes: %s", l->bytes, strerror(errno));
	buf = mmap(NULL, l->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, l->mfd, 0);
	if (buf == MAP_FAILED)
		return error("marker buffer: %s", strerror(errno));
	l->buf = buf;
	buf->magic = EMUDIFF_MARK_MAGIC;
	buf->version = EMUDIFF_MARK_VERSION;
	buf->record_size = (uint32_t)record_size;
	buf->capacity = o->mark_capacity;
	buf->read_mode = o->mark_read == HW_MARK_READ_RDPMC     ? EMUDIFF_MARK_READ_RDPMC
			 : o->mark_read == HW_MARK_READ_SYSCALL ? EMUDIFF_MARK_READ_SYSCALL
								: EMUDIFF_MARK_READ_TIME;
	buf->counters = (uint32_t)l->r->mark_group.n;
	buf->counter_pid = (int32_t)l->pid;
	return 0;
}

/* What the child says after the go message: the fd numbers in the workload
 * (-1: the child failed before exec), then errno if exec failed; end of file
 * when the exec succeeded. */
static void launch_hear_child(struct launch *l)
{
	struct collect_ctx *c = &l->c;
	int v = 0;

	if (read_int(l->sv[0], &v) && v > 0 && v <= HW_MAX_EVENTS) {
		for (int i = 0; i < v; i++)
			if (read_int(l->sv[0], &c->child_fds[c->n_child_fds]))
				c->n_child_fds++;
		if (l->o->mark_read == HW_MARK_READ_SYSCALL && c->n_child_fds)
			c->child_group_fd = c->child_fds[0];
		if (l->o->mark_read != HW_MARK_READ_RDPMC)
			c->n_child_fds = 0;
	}
	if (read_int(l->sv[0], &v))
		l->exec_err = v;
	if (l->exec_err)
		snprintf(l->r->exec_error, sizeof(l->r->exec_error), "cannot start %s: %s", l->o->argv[0],
			 strerror(l->exec_err));
}

/* The go message: the fds the marker runtime reads and their event ids. The
 * deadline runs from here, as the counting does. */
static int launch_start(struct launch *l)
{
	const struct hw_run_opts *o = l->o;
	struct hw_run_result *r = l->r;
	uint64_t go[1 + HW_MAX_EVENTS] = { l->bytes };
	const int *fds = NULL;
	int n_fds = 0;

	if (o->mark_read == HW_MARK_READ_SYSCALL && r->group.n)
		n_fds = 1, fds = r->group.fd;
	else if (o->mark_read == HW_MARK_READ_RDPMC)
		n_fds = r->mark_group.n, fds = r->mark_group.fd;
	for (int i = 0; i < r->mark_group.n && o->mark_read == HW_MARK_READ_RDPMC; i++)
		if (ioctl(r->mark_group.fd[i], PERF_EVENT_IOC_ID, &go[1 + i]))
			go[1 + i] = ~(uint64_t)0; /* never matches: the runtime leaves it unread */
	l->c.t0 = raw_ns();
	proc__adopt(&l->proc, l->pid, 0, o->timeout_s, 0);
	if (send_start(l->sv[0], fds, n_fds, go))
		return error("cannot start the workload: %s", strerror(errno));
	launch_hear_child(l);
	return 0;
}

/* The fds to poll: the child's pidfd and every ring not hung up. */
static int launch_pollset(const struct launch *l, struct pollfd *p)
{
	int np = 0;

	if (l->pidfd >= 0)
		p[np++] = (struct pollfd){ .fd = l->pidfd, .events = POLLIN };
	for (int i = 0; i < l->srs.n; i++)
		if (!l->srs.hup[i])
			p[np++] = (struct pollfd){ .fd = l->srs.fd[i], .events = POLLIN };
	for (int i = 0; i < l->yrs.n; i++)
		if (!l->yrs.hup[i])
			p[np++] = (struct pollfd){ .fd = l->yrs.fd[i], .events = POLLIN };
	return np;
}

/* A ring whose task is gone reports POLLHUP for ever: stop polling it. */
static void launch_mark_hup(struct launch *l, const struct pollfd *p, int np)
{
	for (int i = 0; i < np; i++) {
		if (!(p[i].revents & POLLHUP))
			continue;
		for (int k = 0; k < l->srs.n; k++)
			l->srs.hup[k] |= l->srs.fd[k] == p[i].fd;
		for (int k = 0; k < l->yrs.n; k++)
			l->yrs.hup[k] |= l->yrs.fd[k] == p[i].fd;
	}
}

/* Drain the rings until the supervisor has reaped the child, which it ends
 * by the policy of common.h at the deadline (SIGTERM, SIGKILL PROC_GRACE_S
 * later). */
static void launch_supervise(struct launch *l)
{
	struct pollfd *p = xcalloc((size_t)(1 + l->srs.n + l->yrs.n), sizeof(*p));

	l->pidfd = (int)syscall(SYS_pidfd_open, l->pid, 0);
	while (!proc__step(&l->proc)) {
		int np = launch_pollset(l, p);
		/* no pidfd: look at the child now and then */
		int ms = proc__wait_ms(&l->proc, l->pidfd >= 0 ? INT_MAX : 20);

		if (poll(p, (nfds_t)np, ms) < 0 && errno != EINTR) {
			error("poll: %s", strerror(errno));
			proc__wait(&l->proc);
			break;
		}
		launch_mark_hup(l, p, np);
		ringset__drain(&l->srs, on_sample_record, &l->c);
		ringset__drain(&l->yrs, on_syscall_record, &l->c);
	}
	free(p);
	l->pid = -1;
}

/* The result of the reaped child: status, totals, marks, samples, calls. */
static void launch_finish(struct launch *l)
{
	struct hw_run_result *r = l->r;
	int ws = l->proc.wstatus;

	r->time_ns = raw_ns() - l->c.t0;
	r->wall_ns = raw_ns() - l->t_fork;
	r->ru = l->proc.ru;
	ringset__drain(&l->srs, on_sample_record, &l->c);
	ringset__drain(&l->yrs, on_syscall_record, &l->c);
	r->samples_lost = ringset__lost(&l->srs);
	r->sys_lost = ringset__lost(&l->yrs);
	if (WIFEXITED(ws))
		r->exit_code = WEXITSTATUS(ws);
	else if (WIFSIGNALED(ws))
		r->exit_code = 128 + WTERMSIG(ws);
	if (l->proc.end == PROC_TIMEOUT)
		r->status = RUN_TIMEOUT;
	else if (l->exec_err || r->exit_code != 0)
		r->status = RUN_FAILED;
	else
		r->status = RUN_OK;
	if (r->group.n)
		r->total_ok = !hw_group__read(&r->group, &r->total);
	hw_run_result__collect_marks(r, l->buf, l->c.t0);
	keep_samples(&l->c);
	aggregate_ips(&l->c);
	/* the rings are per CPU: put mappings and calls back in time order */
	if (r->n_maps) /* the arrays are NULL when empty */
		qsort(r->maps, r->n_maps, sizeof(*r->maps), cmp_map_time);
	if (r->n_sys)
		qsort(r->sys, r->n_sys, sizeof(*r->sys), cmp_sys_time);
}

static void launch_close(struct launch *l)
{
	if (l->pid > 0) { /* the collector failed: the child has nothing to finish */
		kill(l->pid, SIGKILL);
		waitpid(l->pid, NULL, 0);
	}
	ringset__close(&l->srs);
	ringset__close(&l->yrs);
	if (l->pidfd >= 0)
		close(l->pidfd);
	hw_group__close(&l->r->group);
	hw_group__close(&l->r->mark_group);
	if (l->buf)
		munmap(l->buf, l->bytes);
	if (l->mfd >= 0)
		close(l->mfd);
	for (int i = 0; i < 2; i++)
		if (l->sv[i] >= 0)
			close(l->sv[i]);
	free(l->c.ip_list);
	free(l->c.period_list);
	free(l->c.time_list);
}

int hw_run(const struct hw_run_opts *o, struct hw_run_result *r)
{
	struct launch l = { .o = o, .r = r, .sv = { -1, -1 }, .mfd = -1, .pidfd = -1, .pid = -1 };
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->exit_code = -1;
	r->env_pad = o->env_pad;
	l.c.r = r;
	l.c.child_group_fd = -1;
	if (!launch_channels(&l) && !launch_fork(&l)) {
		launch_open_events(&l);
		if (!launch_mark_buffer(&l) && !launch_start(&l)) {
			launch_supervise(&l);
			launch_finish(&l);
			rc = 0;
		}
	}
	launch_close(&l);
	return rc;
}

void hw_run_result__free(struct hw_run_result *r)
{
	free(r->marks);
	free(r->ips);
	free(r->sample_list);
	for (size_t i = 0; i < r->n_maps; i++)
		free(r->maps[i].path);
	free(r->maps);
	free(r->sys);
	memset(r, 0, sizeof(*r));
}
