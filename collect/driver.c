/*
 * driver.c - client-server cells: a server runs under a collector (QEMU user
 * or system mode, hardware) and a load generator, the driver, runs natively
 * beside it once the server accepts connections on 127.0.0.1:PORT.
 *
 * The driver is a small state machine that the collector's supervision loop
 * steps (driver__step): wait for readiness (a TCP connect to the port, until
 * ready_timeout), run the driver command under the supervisor of common.h
 * with its budget, then stop the server (proc__stop: SIGTERM, SIGKILL
 * PROC_GRACE_S later), so that the server's counts and the plugin's output
 * are complete. The driver's output is parsed (wrk --latency, redis-benchmark
 * --csv, or `@emudiff driver k=v ...` lines of a driver of one's own) and
 * stored as run metrics of the server's run (driver__store), with the
 * per-request instruction and system-call counts derived from the run's
 * totals, and its workers' (workers.c): when the driver starts and ends it
 * notes the time and which of the server's processes had ended or were
 * alive (the load's bounds).
 */
#include "collect.h"

#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wordexp.h>

/* ---- options ---- */

int driver_budget__parse(const char *s, struct driver_opts *o)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || !(v > 0) || !isfinite(v))
		return -1;
	if (!strcmp(end, "s")) {
		o->budget_is_time = 1;
	} else if (!*end || !strcmp(end, "r")) {
		if (v != floor(v))
			return -1;
		o->budget_is_time = 0;
	} else {
		return -1;
	}
	o->budget = v;
	return 0;
}

/* One word with @port@ and @budget@ replaced. */
static char *substitute(const char *w, const struct driver_opts *o)
{
	char *out = xstrdup(w);
	char val[2][32];
	static const char *const keys[2] = { "@port@", "@budget@" };

	snprintf(val[0], sizeof(val[0]), "%d", o->port);
	snprintf(val[1], sizeof(val[1]), "%.0f", o->budget);
	for (int k = 0; k < 2; k++) {
		char *at;

		while ((at = strstr(out, keys[k]))) {
			char *n = xasprintf("%.*s%s%s", (int)(at - out), out, val[k], at + strlen(keys[k]));

			free(out);
			out = n;
		}
	}
	return out;
}

char **driver__argv(const struct driver_opts *o)
{
	wordexp_t we;
	char **v;

	if (!o->cmd || wordexp(o->cmd, &we, WRDE_NOCMD)) {
		error("driver '%s': cannot split into words (quotes? special characters?)", o->cmd ? o->cmd : "");
		return NULL;
	}
	if (we.we_wordc == 0) {
		wordfree(&we);
		error("driver: empty command");
		return NULL;
	}
	v = xcalloc(we.we_wordc + 1, sizeof(*v));
	for (size_t i = 0; i < we.we_wordc; i++)
		v[i] = substitute(we.we_wordv[i], o);
	wordfree(&we);
	return v;
}

static void argv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

static int loopback_socket(int port, struct sockaddr_in *a)
{
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

/* Does something accept connections on 127.0.0.1:port? */
static int port_accepts(int port)
{
	struct sockaddr_in a;
	int fd = loopback_socket(port, &a), ok;

	if (fd < 0)
		return 0;
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* Is the port free for a server (SO_REUSEADDR, as servers bind)? */
static int port_free(int port)
{
	struct sockaddr_in a;
	int fd = loopback_socket(port, &a), one = 1, ok;

	if (fd < 0)
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok && !port_accepts(port);
}

int driver__check(const struct driver_opts *o)
{
	char **argv = driver__argv(o);
	char *found;

	if (!argv)
		return -1;
	found = path__search(argv[0]);
	if (!found) {
		error("driver %s: not found (install it, or fix the driver command)", argv[0]);
		argv_free(argv);
		return -1;
	}
	free(found);
	argv_free(argv);
	if (o->port < 1 || o->port > 65535)
		return error("driver: port %d is not a TCP port", o->port);
	if (!port_free(o->port))
		return error("port %d: in use on 127.0.0.1 (another server listens there)", o->port);
	return 0;
}

/* ---- the state machine ---- */

void driver__begin(struct driver *d, const struct driver_opts *o)
{
	memset(d, 0, sizeof(*d));
	d->o = o;
	d->out_fd = -1;
	d->state = DRIVER_WAIT_READY;
	d->start_ns = now_ns();
}

static void fail(struct driver *d, struct proc *server, const char *fmt, ...) EMUDIFF_PRINTF(3, 4);
static void fail(struct driver *d, struct proc *server, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
	d->failed = 1;
	d->state = DRIVER_DONE;
	if (server)
		proc__stop(server);
}

static void read_output(struct driver *d)
{
	char buf[4096];
	ssize_t n;

	while (d->out_fd >= 0 && (n = read(d->out_fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				close(d->out_fd), d->out_fd = -1;
			return;
		}
		fwrite(buf, 1, (size_t)n, stderr); /* the driver's report stays visible (cell logs) */
		if (d->len + (size_t)n + 1 > d->cap) {
			d->cap = 2 * (d->len + (size_t)n + 1);
			d->out = xrealloc(d->out, d->cap);
		}
		memcpy(d->out + d->len, buf, (size_t)n);
		d->len += (size_t)n;
		d->out[d->len] = '\0';
	}
	if (d->out_fd >= 0 && n == 0)
		close(d->out_fd), d->out_fd = -1;
}

static void start_driver(struct driver *d, struct proc *server)
{
	char **argv = driver__argv(d->o);
	int pfd[2];
	double timeout = 0;
	pid_t pid;

	if (!argv || pipe2(pfd, O_CLOEXEC)) {
		argv_free(argv);
		fail(d, server, "driver could not be started");
		return;
	}
	if (d->o->budget_is_time)
		timeout = 2 * d->o->budget + 10;
	else if (server->deadline_ns)
		timeout = (double)(server->deadline_ns - now_ns()) / 1e9;
	fflush(stderr);
	pid = proc__fork(&d->proc, PROC_GROUP, timeout > 0 ? timeout : 0.001, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0)
			dup2(null, 0);
		dup2(pfd[1], 1);
		execvp(argv[0], argv);
		fprintf(stderr, "error: driver %s: cannot execute: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		argv_free(argv);
		fail(d, server, "driver: fork: %s", strerror(errno));
		return;
	}
	d->name = xstrdup(path__base(argv[0]));
	argv_free(argv);
	/* the load starts: processes that ended by now are none of its workers */
	d->load_start_ns = now_ns();
	if (d->child_files)
		qemu_outputs__child_pids(d->child_files, &d->files_start);
	d->out_fd = pfd[0];
	fcntl(d->out_fd, F_SETFL, O_NONBLOCK);
	d->state = DRIVER_RUNNING;
}

/* The driver ended: judge it, parse its report, stop the server. */
static void driver_ended(struct driver *d, struct proc *server)
{
	char how[128];

	read_output(d);
	proc__describe(&d->proc, how, sizeof(how));
	if (d->proc.end == PROC_TIMEOUT)
		fail(d, server, "driver %s: %s", d->name, how);
	else if (!WIFEXITED(d->proc.wstatus) || WEXITSTATUS(d->proc.wstatus))
		fail(d, server, "driver %s failed: %s", d->name, how);
	else if (driver__parse(d->out ? d->out : "", d->o, &d->res))
		fail(d, server, "driver %s: its output holds no request count (wrk --latency, "
				"redis-benchmark --csv, or '@emudiff driver requests=N ...' lines)", d->name);
	/* the load's end, before the server is stopped: its live processes
	 * first, then the plugin files, so that a process that ended between
	 * the two is in the files (it writes its file before it ends) */
	d->load_end_ns = now_ns();
	if (server->pid > 0 && server->flags & PROC_GROUP)
		pid_set__group(&d->alive_end, server->pid);
	if (d->child_files)
		qemu_outputs__child_pids(d->child_files, &d->files_end);
	d->state = DRIVER_DONE;
	proc__stop(server); /* its counts and the plugin's output are written on SIGTERM */
}

static int step(struct driver *d, struct proc *server)
{
	int64_t now = now_ns();

	switch (d->state) {
	case DRIVER_WAIT_READY:
		if (server->end != PROC_RUNNING)
			return 50;
		/* a guest's forwarded port accepts before the guest listens: its console says when */
		if ((!d->ready || d->ready->seen) && port_accepts(d->o->port)) {
			d->res.ready_ns = now - d->start_ns;
			start_driver(d, server);
			return 10;
		}
		if (now - d->start_ns < (int64_t)(d->o->ready_timeout_s * 1e9))
			return 20; /* readiness is polled every 20 ms */
		if (d->ready && !d->ready->seen)
			fail(d, server, "the guest did not print '%s' on its console within %g s",
			     d->o->ready_console, d->o->ready_timeout_s);
		else
			fail(d, server, "the server did not listen on 127.0.0.1:%d within %g s", d->o->port,
			     d->o->ready_timeout_s);
		return 20;
	case DRIVER_RUNNING:
		read_output(d);
		if (proc__step(&d->proc))
			driver_ended(d, server);
		else if (server->end != PROC_RUNNING)
			proc__stop(&d->proc); /* the server is gone: the driver's numbers mean nothing */
		return d->out_fd >= 0 ? 10 : proc__wait_ms(&d->proc, 20);
	case DRIVER_DONE:
		break;
	}
	return 50;
}

int driver__step(struct driver *d, struct proc *server, int cap_ms)
{
	int ms = step(d, server);

	return ms < cap_ms ? ms : cap_ms;
}

/* After the server was reaped: the driver ended too, and why the run fails. */
static void finish(struct driver *d, const struct proc *server)
{
	char how[128];

	if (d->state == DRIVER_RUNNING) {
		proc__stop(&d->proc);
		proc__wait(&d->proc);
		read_output(d);
	}
	if (d->out_fd >= 0)
		close(d->out_fd), d->out_fd = -1;
	proc__describe(server, how, sizeof(how));
	if (d->failed)
		;
	else if (d->state == DRIVER_WAIT_READY)
		snprintf(d->why, sizeof(d->why), "the server ended (%s) before it listened on 127.0.0.1:%d", how,
			 d->o->port);
	else if (d->state == DRIVER_RUNNING)
		snprintf(d->why, sizeof(d->why), "the server ended (%s) while the driver ran", how);
	else if (server->killed)
		snprintf(d->why, sizeof(d->why), "the server did not stop within %d s of SIGTERM: killed",
			 PROC_GRACE_S);
	else if (!(WIFEXITED(server->wstatus) && WEXITSTATUS(server->wstatus) == 0) &&
		 !(WIFSIGNALED(server->wstatus) && WTERMSIG(server->wstatus) == SIGTERM) &&
		 !(WIFEXITED(server->wstatus) && WEXITSTATUS(server->wstatus) == 128 + SIGTERM))
		/* stopped by us, it should end cleanly or of the SIGTERM it did not catch */
		snprintf(d->why, sizeof(d->why), "the server ended badly when stopped: %s", how);
	else
		d->why[0] = '\0';
	d->failed = d->why[0] != '\0';
	d->server_killed = server->killed;
	d->state = DRIVER_DONE;
}

void driver__conclude(struct driver *d, const struct proc *server, int *status, char *why, size_t size)
{
	finish(d, server);
	free(d->out);
	free(d->name);
	d->out = d->name = NULL;
	if (*status == RUN_TIMEOUT)
		return;
	*status = d->failed ? RUN_FAILED : RUN_OK;
	snprintf(why, size, "%s", d->why);
}

void driver__free(struct driver *d)
{
	pid_set__free(&d->alive_end);
	pid_set__free(&d->files_start);
	pid_set__free(&d->files_end);
}

void driver__config(struct json *j, const struct driver *d)
{
	json__str(j, "$.driver.command", d->o->cmd);
	json__int(j, "$.driver.port", d->o->port);
	if (d->o->ready_console)
		json__str(j, "$.driver.ready_console", d->o->ready_console);
	json__num(j, "$.driver.ready_timeout_s", d->o->ready_timeout_s);
	json__num(j, d->o->budget_is_time ? "$.driver.budget_s" : "$.driver.budget_requests", d->o->budget);
	json__bool(j, "$.driver.server_killed", d->server_killed);
	if (d->why[0])
		json__str(j, "$.driver.why", d->why);
}

/* ---- the driver's report ---- */

/* "120.50us", "1.23ms", "2.00s", "1.5m" as nanoseconds; -1 if not a duration. */
static double duration_ns(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s)
		return -1;
	if (!strncmp(end, "us", 2))
		return v * 1e3;
	if (!strncmp(end, "ms", 2))
		return v * 1e6;
	if (!strncmp(end, "ns", 2))
		return v;
	if (*end == 's')
		return v * 1e9;
	if (*end == 'm')
		return v * 60e9;
	return -1;
}

static void have(struct driver_result *r, int bit, double *slot, double v)
{
	*slot = v;
	r->have |= bit;
}

/* wrk (with --latency for the percentiles). */
static int parse_wrk(const char *out, struct driver_result *r)
{
	const char *p;
	double v;
	char pct[16], val[32];

	if (!(p = strstr(out, " requests in ")))
		return -1;
	while (p > out && p[-1] != '\n')
		p--;
	have(r, DRV_REQUESTS, &r->requests, strtod(p, NULL));
	if ((p = strstr(out, "Requests/sec:")))
		have(r, DRV_RPS, &r->requests_per_s, strtod(p + 13, NULL));
	r->errors = 0;
	r->have |= DRV_ERRORS;
	if ((p = strstr(out, "Socket errors:"))) {
		unsigned long a = 0, b = 0, c = 0, t = 0;

		if (sscanf(p, "Socket errors: connect %lu, read %lu, write %lu, timeout %lu", &a, &b, &c, &t) == 4)
			r->errors += (double)(a + b + c + t);
	}
	if ((p = strstr(out, "Non-2xx or 3xx responses:")))
		r->errors += strtod(p + 26, NULL);
	for (p = strstr(out, "Latency Distribution"); p && (p = strchr(p, '\n')); p++) {
		if (sscanf(p + 1, " %15s %31s", pct, val) != 2 || pct[strlen(pct) - 1] != '%')
			break;
		v = duration_ns(val);
		if (v < 0)
			break;
		if (!strcmp(pct, "50%"))
			have(r, DRV_P50, &r->p50_ns, v);
		else if (!strcmp(pct, "90%"))
			have(r, DRV_P90, &r->p90_ns, v);
		else if (!strcmp(pct, "99%"))
			have(r, DRV_P99, &r->p99_ns, v);
	}
	return 0;
}

/* Next CSV field of a line ("a","b",...) into f; the rest of the line, or NULL at its end. */
static const char *csv_field(const char *s, char *f, size_t n)
{
	size_t k = 0;
	int q = *s == '"';

	if (!*s || *s == '\n')
		return NULL;
	s += q;
	while (*s && *s != '\n' && (q ? *s != '"' : *s != ',')) {
		if (k + 1 < n)
			f[k++] = *s;
		s++;
	}
	f[k] = '\0';
	if (q && *s == '"')
		s++;
	if (*s == ',')
		s++;
	return s;
}

/* redis-benchmark --csv (7.x: test, rps, avg, min, p50, p95, p99, max in ms):
 * the requests are the budget's per test; several tests give their total,
 * the throughput over all of them, and the worst percentiles. */
static int parse_redis_csv(const char *out, const struct driver_opts *o, struct driver_result *r)
{
	const char *line = strstr(out, "\"test\",\"rps\"");
	double secs = 0, p50 = 0, p99 = 0;
	int tests = 0, cols = 0;

	if (!line || o->budget_is_time)
		return -1;
	for (line = strchr(line, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
		char f[64];
		const char *s = line + 1;
		double v[8];

		if (*s != '"')
			break;
		s = csv_field(s, f, sizeof(f)); /* the test's name */
		for (cols = 0; s && cols < 8 && (s = csv_field(s, f, sizeof(f))); cols++)
			v[cols] = strtod(f, NULL);
		if (cols < 1 || !(v[0] > 0))
			return -1;
		tests++;
		secs += o->budget / v[0];
		if (cols >= 7) {
			p50 = v[3] > p50 ? v[3] : p50;
			p99 = v[5] > p99 ? v[5] : p99;
		}
	}
	if (!tests)
		return -1;
	have(r, DRV_REQUESTS, &r->requests, o->budget * tests);
	have(r, DRV_RPS, &r->requests_per_s, r->requests / secs);
	have(r, DRV_ERRORS, &r->errors, 0);
	if (cols >= 7) {
		have(r, DRV_P50, &r->p50_ns, p50 * 1e6);
		have(r, DRV_P99, &r->p99_ns, p99 * 1e6);
	}
	return 0;
}

/* A driver of one's own: `@emudiff driver requests=N requests_per_s=X
 * p50_ns=X p90_ns=X p99_ns=X errors=N` (any subset but requests). */
static int parse_own(const char *out, struct driver_result *r)
{
	static const struct {
		const char *key;
		int bit;
		size_t off;
	} keys[] = {
		{ "requests", DRV_REQUESTS, offsetof(struct driver_result, requests) },
		{ "requests_per_s", DRV_RPS, offsetof(struct driver_result, requests_per_s) },
		{ "p50_ns", DRV_P50, offsetof(struct driver_result, p50_ns) },
		{ "p90_ns", DRV_P90, offsetof(struct driver_result, p90_ns) },
		{ "p99_ns", DRV_P99, offsetof(struct driver_result, p99_ns) },
		{ "errors", DRV_ERRORS, offsetof(struct driver_result, errors) },
	};
	const char *p = out;

	while ((p = strstr(p, "@emudiff driver "))) {
		p += 16;
		while (*p && *p != '\n') {
			size_t k = strcspn(p, "= \n");
			char *end;

			for (size_t i = 0; p[k] == '=' && i < sizeof(keys) / sizeof(keys[0]); i++)
				if (strlen(keys[i].key) == k && !strncmp(p, keys[i].key, k)) {
					double v = strtod(p + k + 1, &end);

					if (end != p + k + 1)
						have(r, keys[i].bit, (double *)((char *)r + keys[i].off), v);
				}
			p += strcspn(p, " \n");
			p += strspn(p, " ");
		}
	}
	return r->have & DRV_REQUESTS ? 0 : -1;
}

int driver__parse(const char *out, const struct driver_opts *o, struct driver_result *r)
{
	int64_t ready = r->ready_ns;

	memset(r, 0, sizeof(*r));
	r->ready_ns = ready;
	if (parse_own(out, r) && parse_wrk(out, r) && parse_redis_csv(out, o, r))
		return -1;
	return r->requests > 0 ? 0 : -1;
}

/* ---- the store ---- */

/* The workers that ran during the load, and their counts per worker (none unknown: never a 0). */
static int store_workers(struct store *s, int64_t run, const struct worker_summary *w)
{
	const struct {
		const char *metric;
		double v;
	} m[] = {
		{ METRIC_WORKERS, w->workers > 0 ? (double)w->workers : -1 },
		{ METRIC_INSNS_PER_WORKER, w->insns_mean },
		{ METRIC_INSNS_PER_WORKER_MAX, w->insns_max },
		{ METRIC_SYSCALLS_PER_WORKER, w->syscalls_mean },
		{ METRIC_SYSCALLS_PER_WORKER_MAX, w->syscalls_max },
	};

	for (size_t i = 0; w->workers > 0 && i < sizeof(m) / sizeof(m[0]); i++)
		if (m[i].v >= 0 && store__run_metric_set(s, run, m[i].metric, m[i].v))
			return -1;
	return 0;
}

int driver__store(struct store *s, int64_t run, const struct driver_result *r, const struct driver_counts *c)
{
	static const struct {
		const char *metric;
		int bit;
		size_t off;
	} m[] = {
		{ METRIC_REQUESTS, DRV_REQUESTS, offsetof(struct driver_result, requests) },
		{ METRIC_REQUESTS_PER_S, DRV_RPS, offsetof(struct driver_result, requests_per_s) },
		{ METRIC_REQ_P50_NS, DRV_P50, offsetof(struct driver_result, p50_ns) },
		{ METRIC_REQ_P90_NS, DRV_P90, offsetof(struct driver_result, p90_ns) },
		{ METRIC_REQ_P99_NS, DRV_P99, offsetof(struct driver_result, p99_ns) },
		{ METRIC_REQ_ERRORS, DRV_ERRORS, offsetof(struct driver_result, errors) },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (r->have & m[i].bit &&
		    store__run_metric_set(s, run, m[i].metric, *(const double *)((const char *)r + m[i].off)))
			return -1;
	/* a server that never became ready has no readiness time (never a 0) */
	if (r->ready_ns > 0 && store__run_metric_set(s, run, METRIC_READY_NS, (double)r->ready_ns))
		return -1;
	if (!(r->requests > 0) || !c)
		return 0;
	if (c->insns >= 0 && store__run_metric_set(s, run, METRIC_INSNS_PER_REQ, c->insns / r->requests))
		return -1;
	if (c->syscalls >= 0 && store__run_metric_set(s, run, METRIC_SYSCALLS_PER_REQ, c->syscalls / r->requests))
		return -1;
	return store_workers(s, run, &c->w);
}
