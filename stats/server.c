/*
 * server.c - client-server workloads (docs/servers.md): the driver's metrics
 * and the server's workers' of every workload whose runs hold them, compared
 * between emulation and hardware by run_compare.c (server_compare rows of kind 'server'):
 * 'underestimates' when emulation's value lies below hardware's (fewer
 * requests per second, shorter latencies).
 */
#include "engine.h"
#include "common.h"

#include <stdlib.h>

/* The driver's metrics compared, in the order every output lists them
 * (server_compare.ord), then the workers': how many ran during the load and
 * each one's instructions and system calls, mean and max over them (per
 * run; the runs' means compared). `requests` is left out: a budget, or
 * throughput again. */
static const char *const server_metric[] = {
	METRIC_REQUESTS_PER_S,	     METRIC_REQ_P50_NS,
	METRIC_REQ_P90_NS,	     METRIC_REQ_P99_NS,
	METRIC_REQ_ERRORS,	     METRIC_READY_NS,
	METRIC_INSNS_PER_REQ,	     METRIC_SYSCALLS_PER_REQ,
	METRIC_WORKERS,		     METRIC_INSNS_PER_WORKER,
	METRIC_INSNS_PER_WORKER_MAX, METRIC_SYSCALLS_PER_WORKER,
	METRIC_SYSCALLS_PER_WORKER_MAX,
};
#define N_SERVER_METRICS (sizeof(server_metric) / sizeof(server_metric[0]))

/* The metrics as a JSON array, for the query's json_each (its key is the order). */
static char *metrics_json(void)
{
	char *s = xstrdup("["), *n;

	for (size_t i = 0; i < N_SERVER_METRICS; i++) {
		n = xasprintf("%s%s\"%s\"", s, i ? "," : "", server_metric[i]);
		free(s);
		s = n;
	}
	n = xasprintf("%s]", s);
	free(s);
	return n;
}

static const char server_rows_sql[] =
	"WITH wanted(ord, metric) AS (SELECT key, value FROM json_each(?1))"
	" SELECT r.workload_id, w.name, m.metric, l.ord, r.platform, m.value FROM run r"
	" JOIN workload w ON w.id = r.workload_id JOIN run_metric m ON m.run_id = r.id"
	" JOIN wanted l ON l.metric = m.metric WHERE r.status = 'ok'"
	" ORDER BY w.name, l.ord, r.platform, r.id";

int engine__servers(struct engine *e)
{
	char *list = metrics_json();
	const struct run_compare_kind k = {
		.kind = "server", .rows_sql = server_rows_sql, .param = list,
		.workloads = &e->sum->servers, .metrics = &e->sum->server_metrics, .flagged = &e->sum->server_flagged,
	};
	int rc = run_compare__run(e, &k);

	free(list);
	return rc;
}
