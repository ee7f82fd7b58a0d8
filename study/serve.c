/*
 * serve.c - client-server workloads in a suite (issue #20): the keys
 * `driver =`, `port =`, `ready_timeout =`, `ready_console =` (a guest's
 * console line saying it listens) and `budget =` of a [workload]
 * section, their collector options, and the rule that such cells run alone.
 *
 * The collector (collect/driver.c) starts the workload as a server, waits
 * until 127.0.0.1:port accepts connections (ready_timeout seconds), runs the
 * driver natively with its budget (@port@ and @budget@ in its words), then
 * stops the server with SIGTERM. Cells of a server run alone: the port is
 * the workload's, and throughput and latency are measured on an idle machine.
 */
#include "study.h"

#include <stdlib.h>
#include <string.h>
#include <wordexp.h>

int study_serve__key(struct study_workload *w, const char *key, const char *v, char *err, size_t n)
{
	struct study_serve *s = &w->serve;
	char *end;

	if (!strcmp(key, "driver")) {
		wordexp_t we;

		if (s->driver)
			return snprintf(err, n, "key 'driver' given twice in [workload %s]", w->name), -1;
		if (wordexp(v, &we, WRDE_NOCMD))
			return snprintf(err, n, "driver: cannot split '%s' into words", v), -1;
		wordfree(&we);
		s->driver = xstrdup(v);
		return 1;
	}
	if (!strcmp(key, "port")) {
		long p = strtol(v, &end, 10);

		if (*end || end == v || p < 1 || p > 65535)
			return snprintf(err, n, "port must be a TCP port (1..65535), not '%s'", v), -1;
		s->port = (int)p;
		return 1;
	}
	if (!strcmp(key, "ready_timeout")) {
		double t = strtod(v, &end);

		if (*end || end == v || !(t > 0))
			return snprintf(err, n, "ready_timeout must be a positive number of seconds, not '%s'", v), -1;
		free(s->ready_timeout);
		s->ready_timeout = xstrdup(v);
		return 1;
	}
	if (!strcmp(key, "ready_console")) {
		if (!*v)
			return snprintf(err, n, "ready_console must not be empty"), -1;
		free(s->ready_console);
		s->ready_console = xstrdup(v);
		return 1;
	}
	if (!strcmp(key, "budget")) {
		double b = strtod(v, &end);

		if (end == v || !(b > 0) || (*end && strcmp(end, "s") && strcmp(end, "r")))
			return snprintf(err, n, "budget must be seconds (30s) or requests (2000), not '%s'", v), -1;
		free(s->budget);
		s->budget = xstrdup(v);
		return 1;
	}
	return 0;
}

int study_serve__check(const struct study_workload *w, char *err, size_t n)
{
	const struct study_serve *s = &w->serve;

	if (!s->driver && (s->port || s->ready_timeout || s->budget || s->ready_console))
		return snprintf(err, n, "[workload %s]: port, ready_timeout, ready_console and budget need driver =",
				w->name), -1;
	if (s->driver && !s->port)
		return snprintf(err, n, "[workload %s]: driver = needs port =, the server's port on 127.0.0.1",
				w->name), -1;
	return 0;
}

void study_serve__free(struct study_serve *s)
{
	free(s->driver);
	free(s->ready_timeout);
	free(s->budget);
	free(s->ready_console);
	memset(s, 0, sizeof(*s));
}

int study_cell_exclusive(const struct study_cell *c)
{
	return study_platform_exclusive(c->platform) || c->w->serve.driver || c->w->parse;
}

void study_serve__argv(const struct study_workload *w, void (*push)(void *a, const char *s), void *a)
{
	char port[16];

	if (!w->serve.driver)
		return;
	snprintf(port, sizeof(port), "%d", w->serve.port);
	push(a, "--driver");
	push(a, w->serve.driver);
	push(a, "--port");
	push(a, port);
	if (w->serve.ready_timeout) {
		push(a, "--ready-timeout");
		push(a, w->serve.ready_timeout);
	}
	if (w->serve.budget) {
		push(a, "--budget");
		push(a, w->serve.budget);
	}
	if (w->serve.ready_console) {
		push(a, "--ready-console");
		push(a, w->serve.ready_console);
	}
}
