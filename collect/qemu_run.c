/*
 * qemu_run.c - running a workload under QEMU with the emudiff plugin: QEMU's
 * binary and the plugin build it accepts (qemu_select.c), QEMU's command line, the invocation under the
 * supervisor of common.h (SIGTERM at the deadline, on an interrupt or when
 * the --until-console string appears; SIGKILL PROC_GRACE_S later), and the
 * repetitions, each ingested as one run (qemu_ingest.c). The workload's
 * stdout and stderr are QEMU's and stay the user's; in system mode the
 * console is copied through while it is watched, and so is a user-mode
 * workload's stdout that is parsed (--parse: cyclictest's histogram; in
 * system mode it is read from the console, framed by the guest).
 */
#include "collect.h"

#include "qemu_output.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- finding things ---- */

const char *qemu__binary(const struct qemu_collect *c, int *first)
{
	*first = 0;
	if (c->qemu)
		return c->qemu;
	/* system mode: QEMU's binary may be the first of its arguments */
	if (c->system && c->argc && c->argv[0][0] != '-')
		return c->argv[(*first)++];
	return qemu__default_binary(c->system, c->arch);
}

const char *qemu__default_binary(int system, const char *arch)
{
	int x86 = arch && !strcmp(arch, "x86_64");

	if (system)
		return x86 ? "qemu-system-x86_64" : "qemu-system-riscv64";
	return x86 ? "qemu-x86_64" : "qemu-riscv64";
}

char *qemu__version(const char *qemu)
{
	char *cmd, line[256] = "";
	FILE *p;

	if (strchr(qemu, '\''))
		return xstrdup("unknown");
	cmd = xasprintf("'%s' --version 2>/dev/null", qemu);
	p = popen(cmd, "r");
	free(cmd);
	if (!p)
		return xstrdup("unknown");
	if (!fgets(line, sizeof(line), p))
		line[0] = '\0';
	pclose(p);
	line[strcspn(line, "\n")] = '\0';
	return xstrdup(line[0] ? line : "unknown");
}

/* ---- one invocation ---- */

static _Noreturn void child_exec(char **argv, int out_fd, int stdin_null)
{
	if (stdin_null) {
		int fd = open("/dev/null", O_RDONLY);

		if (fd >= 0) {
			dup2(fd, 0);
			close(fd);
		}
	}
	if (out_fd >= 0) {
		dup2(out_fd, 1);
		close(out_fd);
	}
	execvp(argv[0], argv);
	fprintf(stderr, "error: %s: cannot execute: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* The console as QEMU writes it: copied through, kept for its `@emudiff lat`
 * lines, and watched for the --until-console, --boot-console and
 * --ready-console strings. */
struct console {
	int fd;           /* read end of QEMU's stdout; -1: not watched, or closed */
	struct console_watch until, boot, ready;
	FILE *log;        /* system mode: a copy, each line led by its time (boot stages, `@emudiff lat` lines) */
	int64_t t0;       /* QEMU's start: the copy's time 0 (system mode); 0: the copy is not timed */
	int mid_line;     /* the copy's last byte did not end a line */
};

/* Wait up to ms for console output and copy it through; 1 when the
 * --until-console string appeared. */
static int console_step(struct console *c, int ms)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	char buf[4096];
	ssize_t n;
	int64_t now;

	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	n = read(c->fd, buf, sizeof(buf));
	if (n <= 0) {
		close(c->fd);
		c->fd = -1;
		return 0;
	}
	now = now_ns();
	fwrite(buf, 1, (size_t)n, stdout); /* the console stays visible to the user */
	/* system mode's console copy is timed line by line (boot stages); --parse's
	 * copy of a program's stdout stays as it was written */
	if (c->log && c->t0)
		boot__copy_timed(c->log, &c->mid_line, buf, (size_t)n, now - c->t0);
	else if (c->log)
		fwrite(buf, 1, (size_t)n, c->log);
	console_watch__feed(&c->boot, buf, (size_t)n, now);
	console_watch__feed(&c->ready, buf, (size_t)n, now);
	return console_watch__feed(&c->until, buf, (size_t)n, now);
}

/* Why the run is not ok, or that it is, from how QEMU ended. */
static void judge(struct qemu_result *r, const struct proc *p, const struct qemu_collect *c,
		  const char *prog)
{
	if (WIFEXITED(p->wstatus))
		r->exit_code = WEXITSTATUS(p->wstatus);
	else if (WIFSIGNALED(p->wstatus))
		r->exit_code = 128 + WTERMSIG(p->wstatus);
	r->status = RUN_FAILED;
	if (p->end == PROC_TIMEOUT) {
		r->status = RUN_TIMEOUT;
		snprintf(r->why, sizeof(r->why), "timeout after %.3g s", c->timeout_s);
	} else if (c->until_console && r->until_seen) {
		r->status = RUN_OK; /* stopped on purpose */
	} else if (c->until_console) {
		snprintf(r->why, sizeof(r->why), "console string not seen before QEMU exited");
	} else if (r->exit_code == 0) {
		r->status = RUN_OK;
	} else if (r->exit_code == 127) {
		snprintf(r->why, sizeof(r->why), "%s could not be executed", prog);
	} else {
		snprintf(r->why, sizeof(r->why), "exit status %d", r->exit_code);
	}
}

/* Run argv under the supervisor: QEMU's stdout is watched in system mode
 * (for --until-console) and whenever it is copied to console_log (system
 * mode's console, --parse's stdout), its stdin is /dev/null in system mode. */
static void run_once(char **argv, const struct qemu_collect *c, const char *console_log, struct qemu_result *r,
		     struct driver *drv, const char *outfile)
{
	struct console con = { .fd = -1 };
	int watch = c->until_console || console_log;
	int pipefd[2] = { -1, -1 };
	struct proc p;

	memset(r, 0, sizeof(*r));
	r->status = RUN_FAILED;
	r->exit_code = -1;
	r->boot_ns = -1;
	console_watch__init(&con.until, c->until_console);
	console_watch__init(&con.boot, c->boot_console);
	console_watch__init(&con.ready, c->driver ? c->driver->ready_console : NULL);
	if (console_log && !(con.log = fopen(console_log, "w")))
		warning("%s: %s (no latency lines from this run's console)", console_log, strerror(errno));
	if (watch && pipe(pipefd)) {
		snprintf(r->why, sizeof(r->why), "pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	pid_t pid = proc__fork(&p, 0, c->timeout_s, 0);

	if (pid == 0) {
		if (pipefd[0] >= 0)
			close(pipefd[0]);
		child_exec(argv, pipefd[1], c->system);
	}
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (pid < 0) {
		snprintf(r->why, sizeof(r->why), "fork: %s", strerror(errno));
		if (pipefd[0] >= 0)
			close(pipefd[0]);
		return;
	}
	con.fd = pipefd[0];
	con.t0 = c->system ? p.start_ns : 0;
	r->pid = (int)pid;
	if (c->driver) {
		driver__begin(drv, c->driver);
		/* a user-mode guest's forked processes write outfile.<pid> when they end */
		drv->child_files = c->system ? NULL : outfile;
		if (con.ready.needle)
			drv->ready = &con.ready;
	}
	while (!proc__step(&p)) {
		int ms = proc__wait_ms(&p, con.fd >= 0 ? 50 : 10);

		if (c->driver)
			ms = driver__step(drv, &p, ms);

		/* without this, a SIGINT to the collector alone would leave QEMU running */
		if (proc__interrupted())
			proc__stop(&p);
		if (con.fd < 0) {
			nanosleep(&(struct timespec){ 0, (long)ms * 1000000L }, NULL);
		} else if (console_step(&con, ms) && !r->until_seen) {
			r->until_seen = 1;
			r->until_ns = now_ns() - p.start_ns;
			proc__stop(&p); /* the plugin writes its output on SIGTERM */
		}
	}
	/* what QEMU wrote just before it ended (a workload's last lines); for a
	 * second at most, should a process it left keep writing */
	for (int64_t end = now_ns() + 1000000000; con.fd >= 0 && now_ns() < end;) {
		struct pollfd pf = { .fd = con.fd, .events = POLLIN };

		if (poll(&pf, 1, 0) <= 0)
			break;
		console_step(&con, 0);
	}
	fflush(stdout);
	r->wall_ns = r->until_seen ? r->until_ns : now_ns() - p.start_ns;
	if (con.boot.seen)
		r->boot_ns = con.boot.at_ns - p.start_ns;
	judge(r, &p, c, argv[0]);
	if (c->driver) {
		drv->ready = NULL; /* con is gone after this */
		driver__conclude(drv, &p, &r->status, r->why, sizeof(r->why));
	}
	if (con.fd >= 0)
		close(con.fd);
	if (con.log)
		fclose(con.log);
	console_watch__free(&con.until);
	console_watch__free(&con.boot);
	console_watch__free(&con.ready);
}

/* ---- the repetitions ---- */

/* What the repetitions share: QEMU's command line and the output file. */
struct session {
	const char *qemu;
	struct qemu_pick pick; /* the QEMU found, its version, the plugin build (c->pick's) */
	char *version, *tmpdir, *outfile, *plugin_arg;
	char *console; /* system mode's copy of the console, --parse's of the stdout; NULL: none */
	char **argv;
	int keep_output; /* a damaged output is kept for a post-mortem */
};

/* QEMU's command line: the plugin before the program in user mode, after
 * QEMU's own arguments in system mode. */
static void build_argv(struct session *ss, const struct qemu_collect *c, int first)
{
	int n = 0;

	ss->plugin_arg = xasprintf("%s,out=%s%s%s", ss->pick.plugin, ss->outfile,
				   *c->plugin_opts ? "," : "", c->plugin_opts);
	ss->argv = xcalloc((size_t)c->argc + 6, sizeof(*ss->argv));
	ss->argv[n++] = ss->pick.path;
	if (!c->system && c->sysroot) {
		ss->argv[n++] = "-L";
		ss->argv[n++] = (char *)c->sysroot;
	}
	if (!c->system) {
		ss->argv[n++] = "-plugin";
		ss->argv[n++] = ss->plugin_arg;
	}
	for (int i = first; i < c->argc; i++)
		ss->argv[n++] = c->argv[i];
	if (c->system) {
		ss->argv[n++] = "-plugin";
		ss->argv[n++] = ss->plugin_arg;
	}
}

static int session_open(struct session *ss, const struct qemu_collect *c)
{
	const char *td = getenv("TMPDIR");
	int first = 0;

	memset(ss, 0, sizeof(*ss));
	ss->qemu = qemu__binary(c, &first);
	ss->pick = *c->pick;
	ss->tmpdir = xasprintf("%s/emudiff-qemu-XXXXXX", td && *td ? td : "/tmp");
	if (!mkdtemp(ss->tmpdir)) {
		error("%s: cannot create a temporary directory: %s", ss->tmpdir, strerror(errno));
		free(ss->tmpdir);
		ss->tmpdir = NULL;
		return -1;
	}
	ss->outfile = xasprintf("%s/plugin.out", ss->tmpdir);
	if (c->system || c->parse)
		ss->console = xasprintf("%s/%s", ss->tmpdir, c->system ? "console.log" : "stdout.log");
	build_argv(ss, c, first);
	ss->version = xstrdup(ss->pick.version);
	return 0;
}

static void session_close(struct session *ss)
{
	if (ss->keep_output) {
		warning("the damaged plugin output is kept in %s", ss->outfile);
	} else if (ss->outfile) {
		char *tmp = xasprintf("%s.tmp", ss->outfile);

		unlink(ss->outfile);
		qemu_outputs__remove_children(ss->outfile);
		unlink(tmp);
		free(tmp);
		if (ss->console)
			unlink(ss->console);
		rmdir(ss->tmpdir);
	}
	free(ss->outfile);
	free(ss->console);
	free(ss->tmpdir);
	free(ss->plugin_arg);
	free(ss->version);
	free(ss->argv);
}

/* --parse: an ok run's stdout (its copy at path) into ct, or in system mode
 * the output the guest framed on its console (the console's copy at path);
 * 1 when parsed, else 0, and a run whose output does not parse fails, saying why. */
static int parse_output(const char *path, const struct qemu_collect *c, const char *label, struct qemu_result *r,
			struct cyclictest *ct)
{
	char *name;
	FILE *f;
	int rc = -1;

	if (r->status != RUN_OK)
		return 0;
	f = fopen(path, "r");
	name = c->system ? xasprintf("%s console", label) : xasprintf("%s's output", c->argv[0]);
	if (!f)
		snprintf(r->why, sizeof(r->why), "%s: %s", name, strerror(errno));
	else if (c->system)
		rc = cyclictest__read_console(f, name, ct, r->why, sizeof(r->why));
	else if ((rc = cyclictest__parse(f, name, ct)))
		snprintf(r->why, sizeof(r->why), "its output is not %s's (the error above names the line)",
			 c->parse->format);
	if (f)
		fclose(f);
	free(name);
	if (!f || rc)
		r->status = RUN_FAILED;
	return f && !rc;
}

/* Run repetition rep and store it: 0, or -1 (bad input, nothing stored). */
static int run_and_store(struct store *s, const struct qemu_collect *c, struct session *ss, int rep,
			 struct qemu_result *r, struct driver *drv_state)
{
	struct qemu_output main;
	struct qemu_outputs outs = { .main = &main };
	const char *label = c->elf_path ? c->elf_path : ss->qemu;
	struct console_log lat = { 0 };
	struct boot_times boot = { 0 };
	struct driver *drv = drv_state;
	struct cyclictest ct;
	int have_out = 0, have_parsed = 0, rc;

	unlink(ss->outfile);
	qemu_outputs__remove_children(ss->outfile);
	if (c->driver && driver__check(c->driver))
		return -1;
	run_once(ss->argv, c, ss->console, r, drv, ss->outfile);
	if (proc__interrupted()) {
		warning("interrupted: run %d not stored", rep);
		return 0;
	}
	if (c->system && latency__read_console(ss->console, label, &lat))
		return -1;
	if (c->system && c->stages)
		boot__read_console(ss->console, c->stages, &boot);
	if (c->parse)
		have_parsed = parse_output(ss->console, c, label, r, &ct);
	if (access(ss->outfile, F_OK) == 0) {
		/* a present but damaged file is bad input: nothing is stored */
		rc = qemu_outputs__read(ss->outfile, label, c->system, c->arch, &outs);
		ss->keep_output = rc == QEMU_OUT_DAMAGED;
		if (rc) {
			console_log__free(&lat);
			return -1;
		}
		have_out = 1;
		if (outs.invalid) { /* stored as failed, without counts (qemu__ingest) */
			r->status = RUN_FAILED;
			snprintf(r->why, sizeof(r->why), "%s", outs.invalid);
		}
	} else if (r->status == RUN_OK) {
		console_log__free(&lat);
		return error("%s: QEMU exited with status 0 but the plugin wrote no output (%s)",
			     ss->qemu, ss->outfile);
	}
	struct qemu_run_record rec = {
		.name = c->name, .arch = c->arch ? c->arch : have_out ? main.arch : NULL,
		.elf_path = c->elf_path, .cell = c->cell, .label = label,
		.argc = c->argc, .argv = c->argv, .system = c->system, .rep = rep,
		.plugin_opts = *c->plugin_opts ? c->plugin_opts : "-", .qemu_version = ss->version,
		.qemu_binary = ss->qemu, .plugin_build = ss->pick.plugin_build, .until_console = c->until_console,
		.boot_console = c->boot_console,
		.sysroot = c->sysroot,
		.elf_syms = c->system ? c->elf_syms : NULL, .result = *r,
		.console = lat.n_runs ? &lat.runs[0] : NULL, .driver = c->driver ? drv : NULL,
		.stages = c->stages, .boot = &boot,
		.parse = c->parse, .parsed = have_parsed ? &ct : NULL,
	};

	rc = qemu__ingest(s, &rec, have_out ? &outs : NULL) < 0 ? -1 : 0;
	if (have_parsed)
		cyclictest__free(&ct);
	qemu_outputs__remove_children(ss->outfile);
	if (have_out)
		qemu_outputs__free(&outs);
	console_log__free(&lat);
	return rc;
}

static int collect_one(struct store *s, const struct qemu_collect *c, struct session *ss, int rep,
		       struct qemu_result *r)
{
	struct driver drv = { 0 };
	int rc = run_and_store(s, c, ss, rep, r, &drv);

	driver__free(&drv);
	return rc;
}

int qemu__collect(struct store *s, const struct qemu_collect *c)
{
	struct session ss;
	int any_bad = 0, rc = 0;

	if (session_open(&ss, c)) {
		session_close(&ss);
		return -1;
	}
	for (int rep = c->rep; rep < c->rep + c->reps && !proc__interrupted() && !rc; rep++) {
		struct qemu_result r;

		rc = collect_one(s, c, &ss, rep, &r);
		if (rc || proc__interrupted())
			break;
		any_bad |= r.status != RUN_OK;
		if (r.status != RUN_OK)
			warning("run %d: %s (%s)", rep, run_status__name(r.status), r.why);
	}
	session_close(&ss);
	return rc ? -1 : any_bad;
}
