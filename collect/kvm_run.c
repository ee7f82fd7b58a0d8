/*
 * kvm_run.c - one invocation of a VMM for `collect hw-kvm` (collect.h): the
 * VMM started under the supervisor of common.h with the counters and exit
 * tracepoints opened on its pid before it execs, its stdout and stderr
 * passed through while they are read for marker lines and KVM stop messages,
 * and what was measured gathered into a struct kvm_run for kvm_ingest(),
 * with the output the guest framed on its console when it is parsed.
 */
#include "kvm_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Pass the VMM's bytes on unchanged; a closed stdout/stderr of ours loses them
 * without stopping the measurement. */
static void write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t k = write(fd, buf, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		buf += k;
		n -= (size_t)k;
	}
}

/* A read that found nothing now, rather than the end of the stream. */
static int nothing_yet(ssize_t k)
{
	return k < 0 && (errno == EINTR || errno == EAGAIN);
}

/*
 * The guest console as it arrives: from the VMM's stdout (a pipe) or from the
 * --serial-log file the VMM writes, read while the VMM runs so that each
 * marker line gets the host time it was seen at. Exits sampled between two
 * marker lines belong to the region they start.
 */
struct console_tail {
	int fd;
	FILE *copy; /* the captured stdout, parsed after the run; NULL for a log file */
	char line[512];
	size_t len;
	int64_t *mark_ns;
	size_t n_marks, cap;
	struct console_watch boot, ready; /* --boot-console, --ready-console */
	const struct boot_stages *stages; /* boot stages looked for (NULL: none), found into times */
	struct boot_times *times;
	int64_t t0, line_ns; /* the VMM's start; when the line being read began */
};

static void console_tail__feed(struct console_tail *c, const char *buf, size_t n)
{
	int64_t now = now_ns();

	console_watch__feed(&c->boot, buf, n, now);
	console_watch__feed(&c->ready, buf, n, now);
	if (c->copy) {
		/* the VMM's stdout stays its output too, byte for byte */
		write_all(STDOUT_FILENO, buf, n);
		fwrite(buf, 1, n, c->copy);
	}
	for (size_t i = 0; i < n; i++) {
		if (c->len == 0)
			c->line_ns = now;
		if (buf[i] != '\n') {
			if (c->len < sizeof(c->line) - 1)
				c->line[c->len++] = buf[i];
			continue;
		}
		c->line[c->len] = '\0';
		if (strstr(c->line, "@emudiff mark ")) {
			if (c->n_marks == c->cap) {
				c->cap = c->cap ? 2 * c->cap : 64;
				c->mark_ns = xrealloc(c->mark_ns, c->cap * sizeof(*c->mark_ns));
			}
			c->mark_ns[c->n_marks++] = now;
		}
		if (c->stages)
			boot_times__line(c->stages, c->times, c->line, 1, c->line_ns - c->t0);
		c->len = 0;
	}
}

/* Read all there is now; 0 at the end of a pipe, else 1. */
static int console_tail__pump(struct console_tail *c)
{
	char buf[4096];
	ssize_t k;

	while ((k = read(c->fd, buf, sizeof(buf))) > 0)
		console_tail__feed(c, buf, (size_t)k);
	return nothing_yet(k);
}

/* ---- the VMM's stderr ---- */

static const char *const kvm_stop_prefixes[] = {
	"KVM internal error. Suberror: ", /* then "emulation failure" for suberror 1 */
	"KVM: entry failed, hardware error ",
	"error: kvm run failed ",
};

/* 1 when the line is the first KVM stop message. */
static int kvm_stderr__line(struct kvm_stderr *e)
{
	char *l = e->line;

	l[e->len] = '\0';
	e->len = 0;
	l[strcspn(l, "\r")] = '\0';
	if (!*l)
		return 0;
	snprintf(e->last, sizeof(e->last), "%s", l);
	/* the detail line QEMU prints after an internal error (and its extra data) belongs to it */
	if (e->stop_lines == 1 && !strcmp(l, "emulation failure")) {
		size_t n = strlen(e->stop);

		snprintf(e->stop + n, sizeof(e->stop) - n, "; %s", l);
		e->stop_lines++;
		return 0;
	}
	if (e->stop[0])
		return 0;
	for (size_t i = 0; i < sizeof(kvm_stop_prefixes) / sizeof(kvm_stop_prefixes[0]); i++) {
		/* QEMU may put its program name first ("qemu-system-x86_64: ...") */
		const char *at = strstr(l, kvm_stop_prefixes[i]);

		if (at) {
			snprintf(e->stop, sizeof(e->stop), "%s", at);
			e->stop_lines = 1;
			return 1;
		}
	}
	return 0;
}

int kvm_stderr__feed(struct kvm_stderr *e, const char *buf, size_t n)
{
	int stop = 0;

	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n')
			stop |= kvm_stderr__line(e);
		else if (e->len < sizeof(e->line) - 1)
			e->line[e->len++] = buf[i];
	}
	return stop;
}

void kvm_stderr__end(struct kvm_stderr *e)
{
	if (e->len)
		kvm_stderr__line(e);
}

/* ---- one invocation ---- */

/* The VMM while it runs: what is read from it and opened on it. */
struct vmm {
	struct proc p;
	struct console_tail tail;
	int out_open;
	int err_fd, err_open;
	struct kvm_stderr err;
	int exec_fd; /* the child's errno when exec failed */
	struct kvm_trace *trace[KVM_MAX_EXIT_EVENTS];
	struct guest_counters gc;
};

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Where the console is read from: the --serial-log file, emptied first, or a
 * temporary copy of the VMM's stdout. */
static int console_open(const struct kvm_opts *o, struct kvm_run *r, struct vmm *v)
{
	if (o->serial_log) {
		/* a stale log from an earlier run must not be read as this run's */
		int fd = open(o->serial_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0)
			return error("%s: %s", o->serial_log, strerror(errno));
		close(fd);
		v->tail.fd = open(o->serial_log, O_RDONLY | O_CLOEXEC);
		if (v->tail.fd < 0)
			return error("%s: %s", o->serial_log, strerror(errno));
		return 0;
	}
	r->console = tmpfile();
	if (!r->console)
		return error("collect hw-kvm: temporary file for the console: %s", strerror(errno));
	v->tail.copy = r->console;
	return 0;
}

/* In the child: wait until the parent has opened the counters on this pid,
 * then become the VMM. */
static _Noreturn void vmm_exec(const struct kvm_opts *o, int go, int out, int err, int exec_fd)
{
	char b;
	int e;

	if (read(go, &b, 1) != 1)
		_exit(127);
	if (!o->serial_log)
		dup2(out, STDOUT_FILENO);
	dup2(err, STDERR_FILENO);
	execvp(o->argv[0], o->argv);
	e = errno;
	if (write(exec_fd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

/* Counters and exit tracepoints on the VMM's pid, before it execs. -1 on a
 * bad exit event spec (error printed). */
static int vmm_measure(const struct kvm_opts *o, struct kvm_run *r, struct vmm *v)
{
	guest_counters__open(&v->gc, v->p.pid, o->ev, o->n_ev);
	for (int i = 0; i < o->n_exit_events; i++) {
		struct kvm_exits *x = &r->exits[r->n_exits++];

		v->trace[i] = kvm_exits__open(x, o->tracefs, o->exit_events[i], v->p.pid,
					      (const int64_t *const *)&v->tail.mark_ns, &v->tail.n_marks);
		if (!v->trace[i] && !x->why[0])
			return -1;
	}
	return 0;
}

/* Fork the VMM, measure it, let it exec. -1 (error printed) when it could not
 * be started; the child is then reaped. */
static int vmm_start(const struct kvm_opts *o, struct kvm_run *r, struct vmm *v)
{
	int go[2], out[2], exec_pipe[2], err[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(exec_pipe, O_CLOEXEC) ||
	    pipe2(err, O_CLOEXEC))
		return error("collect hw-kvm: pipe: %s", strerror(errno));
	if (console_open(o, r, v))
		return -1;
	/* our own earlier lines before the VMM's passed-through bytes */
	fflush(stdout);
	fflush(stderr);
	pid = proc__fork(&v->p, 0, o->timeout_s, 0);
	if (pid < 0)
		return error("collect hw-kvm: fork: %s", strerror(errno));
	v->tail.stages = o->stages;
	v->tail.times = &r->boot_times;
	v->tail.t0 = v->p.start_ns;
	if (!pid) {
		close(go[1]);
		vmm_exec(o, go[0], out[1], err[1], exec_pipe[1]);
	}
	close(go[0]);
	close(out[1]);
	close(exec_pipe[1]);
	close(err[1]);
	v->exec_fd = exec_pipe[0];
	if (o->serial_log) {
		close(out[0]);
	} else {
		v->tail.fd = out[0];
		v->out_open = 1;
		set_nonblock(out[0]);
	}
	/* non-blocking: a child the VMM leaves behind may hold the pipes open */
	v->err_fd = err[0];
	v->err_open = 1;
	set_nonblock(err[0]);
	if (vmm_measure(o, r, v))
		goto abort;
	if (write(go[1], "g", 1) != 1) {
		error("collect hw-kvm: cannot start the VMM: %s", strerror(errno));
		goto abort;
	}
	close(go[1]);
	return 0;
abort:
	/* the child, not yet the VMM, exits when the go pipe closes unread */
	close(go[1]);
	proc__wait(&v->p);
	return -1;
}

/* Read the VMM's stderr; its first KVM stop message is a stop request. */
static void vmm_read_stderr(struct vmm *v)
{
	char buf[4096];
	ssize_t k;

	while ((k = read(v->err_fd, buf, sizeof(buf))) > 0) {
		write_all(STDERR_FILENO, buf, (size_t)k);
		if (kvm_stderr__feed(&v->err, buf, (size_t)k))
			proc__stop(&v->p);
	}
	v->err_open = nothing_yet(k);
}

/* console before samples: a marker line read now is older than any sample
 * not yet drained that it should precede */
static void vmm_read(const struct kvm_opts *o, struct vmm *v)
{
	if (o->serial_log)
		console_tail__pump(&v->tail); /* a growing file: what is new */
	else if (v->out_open)
		v->out_open = console_tail__pump(&v->tail);
	if (v->err_open)
		vmm_read_stderr(v);
	for (int i = 0; i < o->n_exit_events; i++)
		if (v->trace[i])
			kvm_trace__drain(v->trace[i]);
}

/* Until the VMM is reaped: its output read as it comes, the supervisor's
 * policy applied (deadline, stop request, SIGKILL after the grace). Returns
 * the wall time, fork to reap. */
static int64_t vmm_supervise(const struct kvm_opts *o, struct vmm *v, struct driver *drv)
{
	int64_t wall_ns;

	do {
		int ms;
		struct pollfd p[2];
		int np = 0;

		if (v->out_open)
			p[np++] = (struct pollfd){ .fd = v->tail.fd, .events = POLLIN };
		if (v->err_open)
			p[np++] = (struct pollfd){ .fd = v->err_fd, .events = POLLIN };
		ms = proc__wait_ms(&v->p, 20);
		if (drv)
			ms = driver__step(drv, &v->p, ms);
		/* the log file is looked at after each poll, 20 ms apart at most */
		poll(p, (nfds_t)np, ms);
		vmm_read(o, v);
	} while (!proc__step(&v->p));
	wall_ns = now_ns() - v->p.start_ns;
	/* whatever the VMM wrote just before it exited (without waiting for
	 * writers it may have left behind) */
	v->out_open = !o->serial_log;
	v->err_open = 1;
	vmm_read(o, v);
	kvm_stderr__end(&v->err);
	return wall_ns;
}

/* What was measured, into r, once the VMM is reaped. */
static void vmm_gather(const struct kvm_opts *o, struct kvm_run *r, struct vmm *v)
{
	int e;

	if (read(v->exec_fd, &e, sizeof(e)) == (ssize_t)sizeof(e))
		snprintf(r->exec_error, sizeof(r->exec_error), "%s: %s", o->argv[0], strerror(e));
	for (int i = 0; i < r->n_exits; i++) {
		const struct reason_tally *t;

		if (!v->trace[i])
			continue;
		t = kvm_trace__tally(v->trace[i]);
		for (size_t k = 0; k < t->n; k++)
			reason_tally__add(&r->exits[i].tally, t->v[k].reason, t->v[k].seq, t->v[k].count);
		r->exits[i].sampled = 1;
		r->exits[i].lost = kvm_trace__lost(v->trace[i]) + kvm_trace__undecoded(v->trace[i]);
	}
	for (int i = 0; i < v->gc.n; i++) {
		struct kvm_counter *c = &r->counters[r->n_counters++];

		c->ev = v->gc.ev[i];
		c->counted = !guest_counters__read(&v->gc, i, &c->value);
	}
	for (int i = 0; i < v->gc.n_unsupported; i++)
		r->counters[r->n_counters++] = (struct kvm_counter){
			.ev = v->gc.unsupported[i], .err = v->gc.unsupported_errno[i] };
}

static void vmm_close(struct vmm *v)
{
	for (int i = 0; i < KVM_MAX_EXIT_EVENTS; i++)
		kvm_trace__close(v->trace[i]);
	guest_counters__close(&v->gc);
	if (v->tail.fd >= 0)
		close(v->tail.fd);
	if (v->err_fd >= 0)
		close(v->err_fd);
	if (v->exec_fd >= 0)
		close(v->exec_fd);
	free(v->tail.mark_ns);
	console_watch__free(&v->tail.boot);
	console_watch__free(&v->tail.ready);
}

void kvm_run__conclude(struct kvm_run *r, const struct proc *p, const struct kvm_stderr *e, double timeout_s)
{
	int ws = p->wstatus;

	r->exit_code = WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : -1;
	r->status = RUN_FAILED;
	if (e->stop[0]) {
		/* a guest KVM stopped is a failed run, however the VMM then exited */
		snprintf(r->why, sizeof(r->why), "KVM stopped the guest; the VMM was ended");
		snprintf(r->message, sizeof(r->message), "%s", e->stop);
	} else if (p->end == PROC_TIMEOUT) {
		r->status = RUN_TIMEOUT;
		snprintf(r->why, sizeof(r->why), "timeout after %.3g s", timeout_s);
	} else if (r->exec_error[0]) {
		snprintf(r->why, sizeof(r->why), "%s", r->exec_error);
	} else if (r->exit_code != 0) {
		if (WIFSIGNALED(ws))
			snprintf(r->why, sizeof(r->why), "the VMM was killed by signal %d", WTERMSIG(ws));
		else
			snprintf(r->why, sizeof(r->why), "the VMM exited with %d", r->exit_code);
		snprintf(r->message, sizeof(r->message), "%s", e->last);
	} else {
		r->status = RUN_OK;
	}
}

/* The driver's word on the run, unless the VMM failed on its own (KVM stopped
 * the guest, the VMM could not be executed, or it ended before the guest was
 * ready): then the VMM's why stands, and the driver's is in its config. */
static void conclude_driver(struct kvm_run *r, const struct proc *p, const struct kvm_stderr *e)
{
	int own = e->stop[0] || r->exec_error[0] ||
		  (r->status == RUN_FAILED && r->driver->state == DRIVER_WAIT_READY);
	int status = (int)r->status;
	char why[sizeof(r->why)];

	snprintf(why, sizeof(why), "%s", r->why);
	r->driver->ready = NULL; /* the console tail is gone after this */
	driver__conclude(r->driver, p, &status, r->why, sizeof(r->why));
	if (own)
		snprintf(r->why, sizeof(r->why), "%s", why);
	else
		r->status = (enum run_status)status;
}

/* An ok run's output framed on the console into r->parsed; a run whose
 * frame is missing or does not parse fails, saying why. */
static void parse_console(const struct kvm_opts *o, struct kvm_run *r)
{
	struct cyclictest ct;
	char why[sizeof(r->why)];

	if (r->status != RUN_OK)
		return;
	if (cyclictest__read_console(r->console, o->serial_log ? o->serial_log : "VMM stdout", &ct, why, sizeof(why))) {
		r->status = RUN_FAILED;
		snprintf(r->why, sizeof(r->why), "%s", why);
	} else {
		r->parsed = xmalloc(sizeof(*r->parsed));
		*r->parsed = ct;
	}
	rewind(r->console);
}

int kvm_run(const struct kvm_opts *o, struct kvm_run *r)
{
	struct vmm v = { .tail.fd = -1, .err_fd = -1, .exec_fd = -1 };
	int ret = -1;

	memset(r, 0, sizeof(*r));
	r->status = RUN_FAILED;
	r->exit_code = -1;
	r->boot_ns = -1;
	console_watch__init(&v.tail.boot, o->boot_console);
	console_watch__init(&v.tail.ready, o->driver ? o->driver->ready_console : NULL);
	if (vmm_start(o, r, &v))
		goto out;
	if (o->driver) {
		r->driver = xcalloc(1, sizeof(*r->driver));
		driver__begin(r->driver, o->driver);
		if (v.tail.ready.needle)
			r->driver->ready = &v.tail.ready;
	}
	r->wall_ns = vmm_supervise(o, &v, r->driver);
	vmm_gather(o, r, &v);
	kvm_run__conclude(r, &v.p, &v.err, o->timeout_s);
	if (v.tail.boot.seen)
		r->boot_ns = v.tail.boot.at_ns - v.p.start_ns;
	r->console_marks = (int)v.tail.n_marks;
	if (r->driver)
		conclude_driver(r, &v.p, &v.err);
	if (o->serial_log) {
		r->console = fopen(o->serial_log, "r");
		if (!r->console) {
			error("%s: %s", o->serial_log, strerror(errno));
			goto out;
		}
	}
	rewind(r->console);
	if (o->parse)
		parse_console(o, r);
	ret = 0;
out:
	vmm_close(&v);
	return ret;
}

void kvm_run__free(struct kvm_run *r)
{
	for (int i = 0; i < r->n_exits; i++)
		reason_tally__free(&r->exits[i].tally);
	if (r->console)
		fclose(r->console);
	r->console = NULL;
	if (r->driver)
		driver__free(r->driver);
	free(r->driver);
	r->driver = NULL;
	if (r->parsed)
		cyclictest__free(r->parsed);
	free(r->parsed);
	r->parsed = NULL;
}
