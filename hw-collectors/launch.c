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
 * the child with its resource usage. The rings and their records are
 * launch_rings.c's.
 */
#include "launch.h"
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

static int64_t raw_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
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

		if (l->o->tick)
			ms = l->o->tick(l->o->tick_arg, &l->proc, ms);

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
	r->proc = l->proc;
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
	collect_ctx__finish(&l->c);
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
