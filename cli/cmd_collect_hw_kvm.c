/*
 * cmd_collect_hw_kvm.c - `emudiff collect hw-kvm`: a guest under KVM, seen
 * from the host. The VMM command (QEMU with -accel kvm, kvmtool, Firecracker,
 * crosvm...) is started and measured as a whole:
 *  - guest-only counters of the VMM process (exclude_host: while vCPUs run
 *    guest code), inherited by its vCPU threads;
 *  - VM exits by reason, sampled from KVM's exit tracepoints (kvm:kvm_exit,
 *    whose layout differs on x86 and riscv64, and kvm:kvm_userspace_exit);
 *  - marker lines `@emudiff mark ...` of the guest's serial console (the
 *    freestanding emudiff/mark.h), from the VMM's stdout or --serial-log.
 * What the machine cannot give (no /dev/kvm, no tracepoint, no hardware
 * counters) is recorded as unsupported in config_json, never as zero.
 */
#include "cmd.h"
#include "common.h"
#include "hw.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: emudiff collect hw-kvm [options] -- VMM-COMMAND [ARGS...]\n"
	"\n"
	"  --db F               results store (default $EMUDIFF_DB or emudiff.db)\n"
	"  --name W             workload name (default: the VMM's basename)\n"
	"  --reps N             invocations (default 1)\n"
	"  --rep R              repetition number of the first run (default 0)\n"
	"  --cell KEY           study cell key (only with --reps 1)\n"
	"  --timeout SEC        kill an invocation after SEC seconds (a 'timeout' run)\n"
	"  --fail-on-error      exit 1 when a run failed or timed out\n"
	"  --serial-log FILE    the guest console is FILE, written by the VMM\n"
	"                       (e.g. -serial file:FILE); default: the VMM's stdout\n"
	"  --timebase-hz HZ     frequency of the guest's time CSR (default 10000000)\n"
	"  --events LIST        guest-only counters (default cycles,instructions)\n"
	"  --exit-event SYS:EV[/FIELD]  exit tracepoint to sample, repeatable\n"
	"                       (default kvm:kvm_exit and kvm:kvm_userspace_exit;\n"
	"                       FIELD: decode that numeric field as the reason)\n"
	"  --tracefs DIR        tracefs mount (default /sys/kernel/tracing)\n"
	"  --dry-run            say what would be measured on this machine, run nothing\n";

#define MAX_EXIT_EVENTS 8

struct kvm_opts {
	struct collect_common com;
	const char *serial_log, *tracefs, *events;
	int dry_run;
	double timebase_hz;
	const char *exit_events[MAX_EXIT_EVENTS];
	int n_exit_events;
	char **argv;
};

/* One exit tracepoint: opened, missing, or refused. */
struct exit_source {
	char spec[128];
	struct kvm_trace *trace;
	char why[256]; /* "" when opened: a token (no-tracefs, ENOENT, EACCES...) and its reason */
};

/* The one reason for "no tracefs", shared with `collect hw`: the token first,
 * then what to do about it. */
#define WHY_NO_TRACEFS "no-tracefs: tracefs not mounted (mount -t tracefs nodev /sys/kernel/tracing)"

static int perf_paranoid(void)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
	int v = -99;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -99;
		fclose(f);
	}
	return v;
}

/* The refusal of perf_event_open (or of tracefs) as token and reason: a refused
 * event says which setting refused it, other errors are their errno's name. */
static void refusal_reason(int err, char *out, size_t size)
{
	if (err == EACCES || err == EPERM)
		snprintf(out, size, "EACCES (perf_event_paranoid %d)", perf_paranoid());
	else
		snprintf(out, size, "%s", hw_errno_name(err));
}

/* Is DIR a tracefs mount (has events/)? 0, -ENOENT (not mounted) or -EACCES
 * (mounted, closed to this user: tracefs is root's only by default). Only in a
 * mounted tracefs can a missing format file mean a missing tracepoint. */
static int tracefs_state(const char *dir)
{
	struct stat st;
	char *ev;
	int ret;

	if (!dir)
		return -ENOENT;
	ev = xasprintf("%s/events", dir);
	if (!stat(ev, &st))
		ret = S_ISDIR(st.st_mode) ? 0 : -ENOENT;
	else
		ret = errno == EACCES || errno == EPERM ? -EACCES : -ENOENT;
	free(ev);
	return ret;
}

/* The default tracefs: tracefs__path()'s, or one this user may not enter. */
static const char *default_tracefs(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	const char *t = tracefs__path();

	for (size_t i = 0; !t && i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (tracefs_state(dirs[i]) == -EACCES)
			t = dirs[i];
	return t;
}

/* 0 with dec ready, 1 with why[] set (unsupported here), -1 on a bad spec. */
static int exit_source__prepare(const char *tracefs, const char *spec, struct kvm_exit_decoder *dec,
				char *why, size_t why_size)
{
	char sys[64], ev[64], field[64] = "";
	struct tp_format fmt;
	int ret;

	if (sscanf(spec, "%63[^:]:%63[^/]/%63s", sys, ev, field) < 2)
		return error("--exit-event '%s': expected SYSTEM:EVENT[/FIELD]", spec);
	ret = tracefs_state(tracefs);
	if (ret == -ENOENT) {
		snprintf(why, why_size, "%s", WHY_NO_TRACEFS);
		return 1;
	}
	if (ret == -EACCES) {
		refusal_reason(EACCES, why, why_size);
		return 1;
	}
	ret = tp_format__load(&fmt, tracefs, sys, ev);
	if (ret == -ENOENT) {
		snprintf(why, why_size, "ENOENT: no tracepoint %s:%s in %.80s/events", sys, ev, tracefs);
		return 1;
	}
	if (ret == -EACCES) {
		refusal_reason(EACCES, why, why_size);
		return 1;
	}
	if (ret)
		return -1;
	if (kvm_exit_decoder__init(dec, &fmt, field[0] ? field : NULL))
		return -1;
	return 0;
}

static size_t argv_count(char **argv)
{
	size_t n = 0;

	while (argv[n])
		n++;
	return n;
}

static int parse_opts(int argc, char **argv, struct kvm_opts *o)
{
	static const struct option longopts[] = {
		COLLECT_COMMON_OPTIONS,
		{ "serial-log", required_argument, NULL, 's' },
		{ "timebase-hz", required_argument, NULL, 'b' },
		{ "events", required_argument, NULL, 'e' },
		{ "exit-event", required_argument, NULL, 'x' },
		{ "tracefs", required_argument, NULL, 'T' },
		{ "dry-run", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	collect_common__init(&o->com);
	o->timebase_hz = 10e6;
	o->events = "cycles,instructions";
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (collect_common__opt(&o->com, c, optarg))
			continue;
		switch (c) {
		case 's': o->serial_log = optarg; break;
		case 'e': o->events = optarg; break;
		case 'T': o->tracefs = optarg; break;
		case 'D': o->dry_run = 1; break;
		case 'h': cmd_usage(usage_text, 0);
		case 'b':
			if (parse_double(optarg, &o->timebase_hz) || o->timebase_hz <= 0)
				usage_die("--timebase-hz: '%s' is not a positive frequency", optarg);
			break;
		case 'x':
			if (o->n_exit_events == MAX_EXIT_EVENTS)
				usage_die("--exit-event: at most %d", MAX_EXIT_EVENTS);
			o->exit_events[o->n_exit_events++] = optarg;
			break;
		default:
			cmd_usage(usage_text, EXIT_BADINPUT);
		}
	}
	if (optind >= argc && !o->dry_run)
		usage_die("collect hw-kvm: no VMM command given (after --)");
	collect_common__check(&o->com, "collect hw-kvm");
	o->argv = argv + optind;
	if (!o->n_exit_events) {
		o->exit_events[o->n_exit_events++] = "kvm:kvm_exit";
		o->exit_events[o->n_exit_events++] = "kvm:kvm_userspace_exit";
	}
	if (!o->tracefs)
		o->tracefs = default_tracefs();
	return 0;
}

/* ---- one invocation ---- */

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
};

static void console_tail__feed(struct console_tail *c, const char *buf, size_t n)
{
	if (c->copy) {
		/* the VMM's stdout stays its output too, byte for byte */
		write_all(STDOUT_FILENO, buf, n);
		fwrite(buf, 1, n, c->copy);
	}
	for (size_t i = 0; i < n; i++) {
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
			c->mark_ns[c->n_marks++] = now_ns();
		}
		c->len = 0;
	}
}

/* Read what is there now; 0 at end of a pipe (or nothing new in a file). */
static ssize_t console_tail__read(struct console_tail *c)
{
	char buf[4096];
	ssize_t k = read(c->fd, buf, sizeof(buf));

	if (k > 0)
		console_tail__feed(c, buf, (size_t)k);
	return k;
}

/*
 * The VMM's stderr, passed through byte for byte and read line by line for the
 * messages with which QEMU reports that KVM stopped the guest. After them QEMU
 * pauses the VM and keeps running (accel/kvm/kvm-all.c: the message, a register
 * dump, vm_stop), so the run would never end by itself.
 */
struct vmm_stderr {
	int fd;
	char line[512];
	size_t len;
	char last[512];    /* the last non-empty line */
	char stop[512];    /* the KVM stop message(s); "" while none seen */
	int stop_lines;    /* lines in stop[] so far: the message, then its detail */
	int64_t stop_ns;   /* when the stop was seen; 0 while none */
};

static const char *const kvm_stop_prefixes[] = {
	"KVM internal error. Suberror: ", /* then "emulation failure" for suberror 1 */
	"KVM: entry failed, hardware error ",
	"error: kvm run failed ",
};

static void vmm_stderr__line(struct vmm_stderr *e, int64_t now)
{
	char *l = e->line;

	l[e->len] = '\0';
	e->len = 0;
	l[strcspn(l, "\r")] = '\0';
	if (!*l)
		return;
	snprintf(e->last, sizeof(e->last), "%s", l);
	/* the detail line QEMU prints after an internal error (and its extra data) belongs to it */
	if (e->stop_lines == 1 && !strcmp(l, "emulation failure")) {
		size_t n = strlen(e->stop);

		snprintf(e->stop + n, sizeof(e->stop) - n, "; %s", l);
		e->stop_lines++;
		return;
	}
	if (e->stop_ns)
		return;
	for (size_t i = 0; i < sizeof(kvm_stop_prefixes) / sizeof(kvm_stop_prefixes[0]); i++) {
		/* QEMU may put its program name first ("qemu-system-x86_64: ...") */
		const char *at = strstr(l, kvm_stop_prefixes[i]);

		if (at) {
			snprintf(e->stop, sizeof(e->stop), "%s", at);
			e->stop_lines = 1;
			e->stop_ns = now;
			return;
		}
	}
}

static void vmm_stderr__feed(struct vmm_stderr *e, const char *buf, size_t n)
{
	int64_t now = now_ns();

	write_all(STDERR_FILENO, buf, n);
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n')
			vmm_stderr__line(e, now);
		else if (e->len < sizeof(e->line) - 1)
			e->line[e->len++] = buf[i];
	}
}

/* Read what is there now; 0 at end of the pipe, -1 with EAGAIN when nothing. */
static ssize_t vmm_stderr__read(struct vmm_stderr *e)
{
	char buf[4096];
	ssize_t k = read(e->fd, buf, sizeof(buf));

	if (k > 0)
		vmm_stderr__feed(e, buf, (size_t)k);
	return k;
}

struct kvm_result {
	int status; /* HW_OK, HW_FAILED, HW_TIMEOUT */
	int exit_code;
	int64_t wall_ns;
	char exec_error[160];
	char why[160];    /* why the run failed or timed out; "" when ok */
	char message[512]; /* the VMM's message for a failed run: its KVM stop, else its last stderr line */
	FILE *console; /* captured stdout (rewound), or NULL with --serial-log */
	struct console_tail tail;
	struct vmm_stderr err;
	struct exit_source src[MAX_EXIT_EVENTS];
	int n_src;
	struct guest_counters gc;
	double gc_value[HW_MAX_EVENTS];
	int gc_ok[HW_MAX_EVENTS];
};

static void drain_all(struct kvm_result *r)
{
	for (int i = 0; i < r->n_src; i++)
		if (r->src[i].trace)
			kvm_trace__drain(r->src[i].trace);
}

/* How long after a KVM stop message the VMM may go on writing (QEMU's register
 * dump) before it is ended, and how long SIGTERM has before SIGKILL. */
#define STOP_GRACE_NS 300000000LL
#define TERM_GRACE_NS 2000000000LL

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int run_vmm(const struct kvm_opts *o, const struct hw_event *const *ev, int n_ev,
		   struct kvm_result *r)
{
	int go[2], out[2], err_pipe[2], vmm_err[2];
	int64_t start = now_ns(), deadline, term_ns = 0;
	pid_t pid;
	int wstatus = 0, reaped = 0, out_open = !o->serial_log, err_open = 1, timed_out = 0;
	char go_byte = 'g';

	r->status = HW_FAILED;
	r->exit_code = -1;
	r->tail.fd = -1;
	r->err.fd = -1;
	if (pipe2(go, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC) ||
	    pipe2(vmm_err, O_CLOEXEC))
		return error("collect hw-kvm: pipe: %s", strerror(errno));
	if (o->serial_log) {
		/* a stale log from an earlier run must not be read as this run's */
		int fd = open(o->serial_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0)
			return error("%s: %s", o->serial_log, strerror(errno));
		close(fd);
		r->tail.fd = open(o->serial_log, O_RDONLY | O_CLOEXEC);
		if (r->tail.fd < 0)
			return error("%s: %s", o->serial_log, strerror(errno));
	} else {
		r->console = tmpfile();
		if (!r->console)
			return error("collect hw-kvm: temporary file for the console: %s", strerror(errno));
		r->tail.copy = r->console;
	}
	/* our own earlier lines before the VMM's passed-through bytes */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return error("collect hw-kvm: fork: %s", strerror(errno));
	if (!pid) {
		char b;
		int e;

		/* Wait until the parent has opened the counters on this pid. */
		close(go[1]);
		if (read(go[0], &b, 1) != 1)
			_exit(127);
		if (!o->serial_log)
			dup2(out[1], STDOUT_FILENO);
		dup2(vmm_err[1], STDERR_FILENO);
		execvp(o->argv[0], o->argv);
		e = errno;
		if (write(err_pipe[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(out[1]);
	close(err_pipe[1]);
	close(vmm_err[1]);
	if (o->serial_log) {
		close(out[0]);
	} else {
		r->tail.fd = out[0];
		set_nonblock(out[0]);
	}
	/* non-blocking: a child the VMM leaves behind may hold the pipes open */
	r->err.fd = vmm_err[0];
	set_nonblock(vmm_err[0]);

	guest_counters__open(&r->gc, pid, ev, n_ev);
	for (int i = 0; i < o->n_exit_events; i++) {
		struct exit_source *s = &r->src[r->n_src++];
		struct kvm_exit_decoder dec;
		int ret, err;

		snprintf(s->spec, sizeof(s->spec), "%s", o->exit_events[i]);
		ret = exit_source__prepare(o->tracefs, s->spec, &dec, s->why, sizeof(s->why));
		if (ret < 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return -1;
		}
		if (ret == 0) {
			s->trace = kvm_trace__open(pid, &dec, &err);
			if (!s->trace)
				refusal_reason(-err, s->why, sizeof(s->why));
			else
				kvm_trace__set_marks(s->trace, (const int64_t *const *)&r->tail.mark_ns,
						     &r->tail.n_marks);
		}
		if (!s->trace)
			warning("exit event %s: unsupported: %s", s->spec, s->why);
	}
	if (write(go[1], &go_byte, 1) != 1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return error("collect hw-kvm: cannot start the VMM: %s", strerror(errno));
	}
	close(go[1]);

	deadline = o->com.timeout_s > 0 ? start + (int64_t)(o->com.timeout_s * 1e9) : INT64_MAX;
	while (!reaped) {
		struct pollfd p[2];
		int np = 0, now_stopped;
		int64_t now;

		if (out_open)
			p[np++] = (struct pollfd){ .fd = r->tail.fd, .events = POLLIN };
		if (err_open)
			p[np++] = (struct pollfd){ .fd = r->err.fd, .events = POLLIN };
		poll(p, (nfds_t)np, 20);
		if (o->serial_log) {
			/* a growing file: read what is new */
			while (console_tail__read(&r->tail) > 0)
				;
		} else if (out_open) {
			ssize_t k;

			while ((k = console_tail__read(&r->tail)) > 0)
				;
			if (k == 0 || (k < 0 && errno != EINTR && errno != EAGAIN))
				out_open = 0;
		}
		if (err_open) {
			ssize_t k;

			while ((k = vmm_stderr__read(&r->err)) > 0)
				;
			if (k == 0 || (k < 0 && errno != EINTR && errno != EAGAIN))
				err_open = 0;
		}
		/* console before samples: a marker line read now is older than any
		 * sample not yet drained that it should precede */
		drain_all(r);
		if (waitpid(pid, &wstatus, WNOHANG) == pid) {
			reaped = 1;
			break;
		}
		now = now_ns();
		now_stopped = r->err.stop_ns && now > r->err.stop_ns + STOP_GRACE_NS;
		if (!term_ns && (now > deadline || now_stopped)) {
			/* end the VMM by its pid: TERM lets QEMU exit cleanly, KILL if it will not */
			timed_out = !now_stopped;
			kill(pid, SIGTERM);
			term_ns = now;
		} else if (term_ns && now > term_ns + TERM_GRACE_NS) {
			kill(pid, SIGKILL);
			waitpid(pid, &wstatus, 0);
			reaped = 1;
		}
	}
	r->wall_ns = now_ns() - start;
	/* whatever the VMM wrote just before it exited (without waiting for
	 * writers it may have left behind) */
	while (console_tail__read(&r->tail) > 0)
		;
	while (vmm_stderr__read(&r->err) > 0)
		;
	if (r->err.len) /* a last line without its newline */
		vmm_stderr__line(&r->err, now_ns());
	drain_all(r);
	close(r->tail.fd);
	r->tail.fd = -1;
	close(r->err.fd);
	r->err.fd = -1;
	{
		int e;

		if (read(err_pipe[0], &e, sizeof(e)) == (ssize_t)sizeof(e))
			snprintf(r->exec_error, sizeof(r->exec_error), "%s: %s", o->argv[0], strerror(e));
		close(err_pipe[0]);
	}
	for (int i = 0; i < r->gc.n; i++)
		r->gc_ok[i] = !guest_counters__read(&r->gc, i, &r->gc_value[i]);
	if (WIFEXITED(wstatus))
		r->exit_code = WEXITSTATUS(wstatus);
	else if (WIFSIGNALED(wstatus))
		r->exit_code = 128 + WTERMSIG(wstatus);
	if (r->err.stop[0]) {
		/* a guest KVM stopped is a failed run, however the VMM then exited */
		r->status = HW_FAILED;
		snprintf(r->why, sizeof(r->why), "KVM stopped the guest; the VMM was ended");
		snprintf(r->message, sizeof(r->message), "%s", r->err.stop);
	} else if (timed_out) {
		r->status = HW_TIMEOUT;
		snprintf(r->why, sizeof(r->why), "timeout after %.3g s", o->com.timeout_s);
	} else if (r->exec_error[0]) {
		r->status = HW_FAILED;
		snprintf(r->why, sizeof(r->why), "%s", r->exec_error);
	} else if (r->exit_code != 0) {
		r->status = HW_FAILED;
		if (WIFSIGNALED(wstatus))
			snprintf(r->why, sizeof(r->why), "the VMM was killed by signal %d", WTERMSIG(wstatus));
		else
			snprintf(r->why, sizeof(r->why), "the VMM exited with %d", r->exit_code);
		snprintf(r->message, sizeof(r->message), "%s", r->err.last);
	} else {
		r->status = HW_OK;
	}
	if (r->console)
		rewind(r->console);
	return 0;
}

static void kvm_result__free(struct kvm_result *r)
{
	for (int i = 0; i < r->n_src; i++)
		kvm_trace__close(r->src[i].trace);
	guest_counters__close(&r->gc);
	if (r->console)
		fclose(r->console);
	if (r->tail.fd >= 0)
		close(r->tail.fd);
	if (r->err.fd >= 0)
		close(r->err.fd);
	free(r->tail.mark_ns);
}

/* ---- storing ---- */

static char *config_json(const struct kvm_opts *o, const struct kvm_result *r, int dev_kvm,
			 size_t n_marks, const char *console_path)
{
	struct json j;
	char *text;

	json__init(&j);
	json__str(&j, "$.collector", "hw-kvm");
	json__bool(&j, "$.dev_kvm", dev_kvm);
	json__bool(&j, "$.guest_only_counters", 1);
	json__num(&j, "$.timebase_hz", o->timebase_hz);
	json__str(&j, "$.console", console_path);
	json__int(&j, "$.console_marks", (int64_t)n_marks);
	json__str(&j, "$.tracefs", tracefs_state(o->tracefs) ? "" : o->tracefs);
	if (o->com.timeout_s > 0)
		json__num(&j, "$.timeout_s", o->com.timeout_s);
	if (r->exec_error[0])
		json__str(&j, "$.exec_error", r->exec_error);
	if (r->why[0])
		json__str(&j, "$.why", r->why);
	if (r->message[0])
		json__str(&j, "$.vmm_message", r->message);
	for (int i = 0; i < r->n_src; i++) {
		char *path = xasprintf("$.exit_events.\"%s\"", r->src[i].spec);

		if (r->src[i].trace) {
			char *lost = xasprintf("$.exit_events_lost.\"%s\"", r->src[i].spec);

			json__str(&j, path, "sampled");
			if (kvm_trace__lost(r->src[i].trace) || kvm_trace__undecoded(r->src[i].trace))
				json__int(&j, lost, (int64_t)(kvm_trace__lost(r->src[i].trace) +
							 kvm_trace__undecoded(r->src[i].trace)));
			free(lost);
		} else {
			char *u = xasprintf("$.unsupported.\"%s\"", r->src[i].spec);

			json__str(&j, path, "unsupported");
			json__str(&j, u, r->src[i].why);
			free(u);
		}
		free(path);
	}
	for (int i = 0; i < r->gc.n_unsupported; i++) {
		char *u = xasprintf("$.unsupported.\"%s\"", r->gc.unsupported[i]->name);

		char why[64];

		refusal_reason(r->gc.unsupported_errno[i], why, sizeof(why));
		json__str(&j, u, why);
		free(u);
	}
	if (!dev_kvm)
		json__str(&j, "$.note", "no /dev/kvm on the measuring host: the VMM cannot have run the guest under KVM");
	text = xstrdup(j.text);
	json__free(&j);
	return text;
}


/* Does the console hold any `@emudiff` line? Leaves f rewound. */
static int console_has_markers(FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	int found = 0;

	while (!found && getline(&line, &cap, f) >= 0)
		found = strstr(line, "@emudiff") != NULL;
	free(line);
	rewind(f);
	return found;
}

static int store_run(struct store *s, const struct kvm_opts *o, const char *name, int rep,
		     struct kvm_result *r, int dev_kvm)
{
	struct console_log log = { 0 };
	const struct console_run *cr = NULL;
	const char *console_path = o->serial_log ? o->serial_log : "VMM stdout";
	char *argvj = NULL, *cfg = NULL;
	int64_t wid, run_id;
	int ret = 0;

	{
		FILE *f = o->serial_log ? fopen(o->serial_log, "r") : r->console;

		if (!f)
			return error("%s: %s", o->serial_log, strerror(errno));
		/* A guest without markers is still a run (whole-run exits and
		 * counters); only a console that has marker lines is parsed. */
		if (console_has_markers(f))
			ret = console_log__parse(f, console_path, &log);
		else
			warning("%s: no `@emudiff` marker lines: the run has no marker regions", console_path);
		if (o->serial_log)
			fclose(f);
	}
	if (ret)
		return -1;
	if (log.n_runs > 1)
		warning("%s: %zu `@emudiff exit` runs in one console; only the first is stored",
			console_path, log.n_runs);
	if (log.n_runs)
		cr = &log.runs[0];

	argvj = json__argv((int)argv_count(o->argv), o->argv);
	cfg = config_json(o, r, dev_kvm, cr ? cr->n_marks : 0, console_path);
	ret = -1;
	if (store__begin(s))
		goto out;
	{
		/* a KVM guest runs the host's instruction set (without /dev/kvm: unknown) */
		struct utsname u;
		const char *arch = NULL;

		if (dev_kvm && !uname(&u) && (!strcmp(u.machine, "x86_64") || !strcmp(u.machine, "riscv64") ||
				   !strcmp(u.machine, "aarch64")))
			arch = u.machine;
		wid = store__workload(s, name, arch, NULL, argvj);
	}
	if (wid < 0)
		goto fail;
	{
		const char *status = r->status == HW_OK ? "ok" : r->status == HW_TIMEOUT ? "timeout" : "failed";
		struct run_info ri = {
			.workload_id = wid, .platform = "hw-kvm", .config_json = cfg, .rep = rep,
			.status = status, .exit_code = r->exit_code, .wall_ns = r->wall_ns,
			.cell = o->com.cell,
		};

		run_id = store__run_add(s, &ri);
	}
	if (run_id < 0)
		goto fail;
	for (size_t i = 0; cr && i < cr->n_marks; i++) {
		const struct console_mark *m = &cr->marks[i];
		int64_t t = m->has_time ? (int64_t)((double)m->time * 1e9 / o->timebase_hz) : -1;

		if (store__mark_add(s, run_id, (int64_t)i, m->id, m->has_instret ? (int64_t)m->instret : -1, t))
			goto fail;
		if (m->has_cycles && store__mark_value_add(s, run_id, (int64_t)i, "cycles", (double)m->cycles))
			goto fail;
	}
	if (store__run_metric_set(s, run_id, "wall_ns", (double)r->wall_ns))
		goto fail;
	for (int i = 0; i < r->gc.n; i++)
		if (r->gc_ok[i] && store__run_metric_set(s, run_id, r->gc.ev[i]->metric, r->gc_value[i]))
			goto fail;
	{
		uint64_t exits = 0;
		int sampled = 0;

		for (int i = 0; i < r->n_src; i++) {
			const struct reason_tally *t;

			if (!r->src[i].trace)
				continue;
			sampled = 1;
			t = kvm_trace__tally(r->src[i].trace);
			for (size_t k = 0; k < t->n; k++)
				if (store__event_add(s, run_id, 0, t->v[k].seq, "vm_exit", t->v[k].reason,
						     (int64_t)t->v[k].count))
					goto fail;
			/* exits to user space are a subset of kvm_exit: count them apart */
			if (strncmp(r->src[i].spec, "kvm:kvm_userspace_exit", 22))
				exits += reason_tally__total(t);
		}
		if (sampled && store__run_metric_set(s, run_id, "exits", (double)exits))
			goto fail;
	}
	if (store__commit(s))
		goto out;
	printf("hw-kvm run %lld: %s, %zu marks, wall %.3f s\n", (long long)run_id,
	       r->status == HW_OK ? "ok" : r->status == HW_TIMEOUT ? "timeout" : "failed",
	       cr ? cr->n_marks : 0, (double)r->wall_ns / 1e9);
	ret = 0;
	goto out;
fail:
	store__rollback(s);
out:
	free(argvj);
	free(cfg);
	console_log__free(&log);
	return ret;
}

static int dry_run(const struct kvm_opts *o, const struct hw_event *const *ev, int n_ev, int dev_kvm)
{
	struct guest_counters gc;

	printf("/dev/kvm: %s\n", dev_kvm ? "present" : "absent (no guest can run under KVM here)");
	switch (tracefs_state(o->tracefs)) {
	case 0: printf("tracefs: %s\n", o->tracefs); break;
	case -EACCES: printf("tracefs: %s (not readable by this user)\n", o->tracefs); break;
	default: printf("tracefs: not mounted\n");
	}
	for (int i = 0; i < o->n_exit_events; i++) {
		struct kvm_exit_decoder dec;
		char why[256];
		int ret = exit_source__prepare(o->tracefs, o->exit_events[i], &dec, why, sizeof(why));

		if (ret < 0)
			return EXIT_BADINPUT;
		if (ret > 0) {
			printf("exit event %s: unsupported (%s)\n", o->exit_events[i], why);
			continue;
		}
		printf("exit event %s: id %d, %s layout\n", o->exit_events[i], dec.fmt.id,
		       dec.layout == KVM_LAYOUT_X86 ? "x86 (exit_reason, isa)" :
		       dec.layout == KVM_LAYOUT_RISCV ? "riscv64 (scause)" :
		       dec.layout == KVM_LAYOUT_USERSPACE ? "KVM_EXIT_* (reason)" : "numeric field");
		kvm_exit_decoder__free(&dec);
	}
	/* the counters, tried on this process */
	guest_counters__open(&gc, 0, ev, n_ev);
	for (int i = 0; i < gc.n; i++)
		printf("guest-only counter %s: opens\n", gc.ev[i]->name);
	for (int i = 0; i < gc.n_unsupported; i++) {
		char why[64];

		refusal_reason(gc.unsupported_errno[i], why, sizeof(why));
		printf("guest-only counter %s: unsupported (%s)\n", gc.unsupported[i]->name, why);
	}
	guest_counters__close(&gc);
	return stdout_flush_check() ? EXIT_FINDINGS : EXIT_OK;
}

int cmd_collect_hw_kvm(int argc, char **argv)
{
	struct kvm_opts o;
	const struct hw_event *ev[HW_MAX_EVENTS];
	int n_ev = 0, any_bad = 0, ret = EXIT_OK;
	int dev_kvm = access("/dev/kvm", F_OK) == 0;
	struct store *s;
	char *name;

	parse_opts(argc, argv, &o);
	if (hw_event__parse_list(o.events, ev, &n_ev))
		return EXIT_BADINPUT;
	if (o.dry_run)
		return dry_run(&o, ev, n_ev, dev_kvm);
	if (!dev_kvm)
		warning("no /dev/kvm: the VMM runs without KVM; exits are recorded as measured (none expected)");
	s = store__open(o.com.db, STORE_CREATE);
	if (!s)
		return EXIT_BADINPUT;
	if (o.com.name) {
		name = xstrdup(o.com.name);
	} else {
		const char *b = strrchr(o.argv[0], '/');

		name = xstrdup(b ? b + 1 : o.argv[0]);
	}
	for (int k = 0; k < o.com.reps; k++) {
		struct kvm_result r;

		memset(&r, 0, sizeof(r));
		if (run_vmm(&o, ev, n_ev, &r)) {
			kvm_result__free(&r);
			ret = EXIT_BADINPUT;
			break;
		}
		if (r.exec_error[0])
			error("%s", r.exec_error);
		else if (r.message[0])
			warning("the VMM failed (%s): %s", r.why, r.message);
		if (store_run(s, &o, name, o.com.rep + k, &r, dev_kvm)) {
			kvm_result__free(&r);
			ret = EXIT_BADINPUT;
			break;
		}
		any_bad |= r.status != HW_OK;
		kvm_result__free(&r);
	}
	store__close(s);
	free(name);
	if (ret == EXIT_OK && any_bad && o.com.fail_on_error)
		ret = EXIT_FINDINGS;
	if (stdout_flush_check() && ret == EXIT_OK)
		ret = EXIT_FINDINGS;
	return ret;
}
