/*
 * launch.c - one measured invocation of a workload.
 *
 * The child is forked and waits on a socket. The collector then opens every
 * event on the child's pid, disabled and enabled on its exec (so nothing of
 * the collector or of the fork is counted): the counting group (inherited,
 * with the records that give each thread's creation and own totals:
 * threads.c), the sampler, the syscall tracepoint. It writes into the shared
 * buffer of the marker runtime (emudiff/mark.h, a memfd the child inherits)
 * which counters each marking thread is to open for itself, and sends the
 * go message; the child publishes the buffer in its environment and execs.
 * While the workload runs the collector drains the rings and watches the
 * child's pidfd; common.h's supervisor applies the deadline policy and reaps
 * the child with its resource usage. The sampling and syscall rings and
 * their records are launch_rings.c's.
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

/* The go message: the buffer's size. */
static int send_start(int sock, uint64_t bytes)
{
	return send(sock, &bytes, sizeof(bytes), MSG_NOSIGNAL) == (ssize_t)sizeof(bytes) ? 0 : -1;
}

/* 0, or -1 when the collector gave up (end of file). */
static int recv_start(int sock, uint64_t *bytes)
{
	return recv(sock, bytes, sizeof(*bytes), MSG_WAITALL) == (ssize_t)sizeof(*bytes) ? 0 : -1;
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
	char num[32];
	uint64_t bytes = 0;

	if (o->pin_cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o->pin_cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			write_int(sock, errno);
			_exit(127);
		}
	}
	if (o->no_aslr) {
		int cur = personality(0xffffffff);

		if (cur != -1)
			personality((unsigned long)cur | ADDR_NO_RANDOMIZE);
	}
	if (recv_start(sock, &bytes))
		_exit(127); /* the collector gave up */
	snprintf(num, sizeof(num), "%d", mark_fd);
	setenv("EMUDIFF_MARK_FD", num, 1);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)bytes);
	setenv("EMUDIFF_MARK_BYTES", num, 1);
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
	int sv[2], mfd, pidfd, exec_err, stat_hup;
	int64_t t_fork;
	pid_t pid;        /* the child until it is reaped; -1 then */
	pid_t child;      /* the child: thread 0 of the run */
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
	l->child = l->pid = fork();
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

/*
 * The counters every marking thread opens for itself: all of the group's
 * with read mode syscall; with rdpmc those whose page allows user reads here
 * (software events never do), the others with why not; none with time.
 */
static void mark_events(const struct hw_run_opts *o, struct hw_run_result *r)
{
	r->n_mark_ev = 0;
	for (int e = 0; e < r->group.n; e++) {
		char *why = r->mark_ev_why[e];

		why[0] = 0;
		if (o->mark_read == HW_MARK_READ_TIME)
			continue;
		if (o->mark_read == HW_MARK_READ_RDPMC && !EMUDIFF__CAN_RDPMC)
			snprintf(why, sizeof(r->mark_ev_why[e]), "not read from user space on this architecture");
		else if (o->mark_read == HW_MARK_READ_SYSCALL ||
			 hw_event__user_readable(r->group.ev[e], r->group.exclude_kernel, why, sizeof(r->mark_ev_why[e])))
			r->mark_ev[r->n_mark_ev++] = e;
	}
}

/* Counting group (with its thread records), sampler, syscall tracepoint, all
 * opened on the child while it waits for the go message. */
static void launch_open_events(struct launch *l)
{
	const struct hw_run_opts *o = l->o;
	struct hw_run_result *r = l->r;

	/* the threads' creations and ends in per-CPU rings, else by the group's leader */
	l->c.task_in_group = task_rings__open(&l->c, l->pid) != 0;
	hw_group__open(&r->group, l->pid, o->ev, o->n_ev, l->c.task_in_group);
	stat_ring__open(&l->c, l->pid, &r->group);
	if (o->sample_hz > 0 && open_sampler(o, l->pid, r, r->group.exclude_kernel, &l->srs))
		r->sample_event = NULL;
	if (o->syscalls)
		r->syscall_errno = -open_syscalls(l->pid, &l->c, r->group.exclude_kernel, &l->yrs);
	else
		r->syscall_errno = -1;
	mark_events(o, r);
}

static uint32_t mark_read_mode(enum hw_mark_read m)
{
	return m == HW_MARK_READ_RDPMC ? EMUDIFF_MARK_READ_RDPMC
	       : m == HW_MARK_READ_SYSCALL ? EMUDIFF_MARK_READ_SYSCALL
					   : EMUDIFF_MARK_READ_TIME;
}

/* The buffer: header, records (counter words as few as the read mode needs,
 * so that a hit touches fewer pages and cache lines), thread table. */
static int launch_mark_buffer(struct launch *l)
{
	const struct hw_run_opts *o = l->o;
	const struct hw_run_result *r = l->r;
	uint32_t mode = mark_read_mode(o->mark_read);
	size_t record_size = sizeof(struct emudiff_mark_record) + 8 * emudiff__record_words(mode, (uint32_t)r->n_mark_ev);
	size_t table = sizeof(struct emudiff_mark_buffer) + o->mark_capacity * record_size;
	struct emudiff_mark_buffer *buf;

	l->bytes = table + HW_MARK_THREAD_SLOTS * sizeof(struct emudiff_mark_thread);
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
	buf->read_mode = mode;
	buf->events = (uint32_t)r->n_mark_ev;
	buf->exclude_kernel = (uint32_t)r->group.exclude_kernel;
	for (int i = 0; i < r->n_mark_ev; i++) {
		buf->event_type[i] = r->group.ev[r->mark_ev[i]]->type;
		buf->event_config[i] = r->group.ev[r->mark_ev[i]]->config;
	}
	buf->thread_size = sizeof(struct emudiff_mark_thread);
	buf->threads_offset = table;
	buf->threads_capacity = HW_MARK_THREAD_SLOTS;
	return 0;
}

/* What the child says after the go message: errno when pinning or exec
 * failed; end of file when the exec succeeded. */
static void launch_hear_child(struct launch *l)
{
	int v = 0;

	if (read_int(l->sv[0], &v))
		l->exec_err = v;
	if (l->exec_err)
		snprintf(l->r->exec_error, sizeof(l->r->exec_error), "cannot start %s: %s", l->o->argv[0],
			 strerror(l->exec_err));
}

/* The go message. The deadline runs from here, as the counting does. */
static int launch_start(struct launch *l)
{
	l->c.t0 = raw_ns();
	proc__adopt(&l->proc, l->pid, 0, l->o->timeout_s, 0);
	if (send_start(l->sv[0], l->bytes))
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
	if (l->c.stat_fd >= 0 && !l->stat_hup)
		p[np++] = (struct pollfd){ .fd = l->c.stat_fd, .events = POLLIN };
	for (int i = 0; i < l->c.tasks.n; i++)
		if (!l->c.tasks.hup[i])
			p[np++] = (struct pollfd){ .fd = l->c.tasks.fd[i], .events = POLLIN };
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
		l->stat_hup |= l->c.stat_fd == p[i].fd;
		for (int k = 0; k < l->c.tasks.n; k++)
			l->c.tasks.hup[k] |= l->c.tasks.fd[k] == p[i].fd;
	}
}

/* Drain the rings until the supervisor has reaped the child, which it ends
 * by the policy of common.h at the deadline (SIGTERM, SIGKILL PROC_GRACE_S
 * later). */
static void launch_supervise(struct launch *l)
{
	struct pollfd *p = xcalloc((size_t)(2 + l->srs.n + l->yrs.n + l->c.tasks.n), sizeof(*p));

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
		ring__drain(&l->c.stat, on_stat_record, &l->c);
		ringset__drain(&l->c.tasks, on_stat_record, &l->c);
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
	r->t0_ns = l->c.t0;
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
	collect_ctx__threads(&l->c, l->child);
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
	stat_ring__close(&l->c);
	hw_group__close(&l->r->group);
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
	free(l->c.tid_list);
	free(l->c.sys_raw);
}

int hw_run(const struct hw_run_opts *o, struct hw_run_result *r)
{
	struct launch l = { .o = o, .r = r, .sv = { -1, -1 }, .mfd = -1, .pidfd = -1, .pid = -1 };
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->exit_code = -1;
	r->env_pad = o->env_pad;
	l.c.r = r;
	l.c.stat_fd = -1;
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
	for (size_t i = 0; i < r->n_threads; i++)
		free(r->threads[i].hits);
	free(r->threads);
	free(r->thread_by_tid);
	free(r->mark_slots);
	free(r->marks);
	free(r->ips);
	free(r->sample_list);
	for (size_t i = 0; i < r->n_maps; i++)
		free(r->maps[i].path);
	free(r->maps);
	free(r->sys);
	memset(r, 0, sizeof(*r));
}
