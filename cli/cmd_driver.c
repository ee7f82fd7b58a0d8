/*
 * cmd_driver.c - the options of a client-server run, shared by `collect qemu`,
 * `collect hw` and `collect hw-kvm` (collect/driver.c does the work): the workload is a
 * server, and a load generator runs natively beside it once the server
 * accepts connections on 127.0.0.1:PORT.
 */
#include "cmd.h"
#include "collect.h"

#include <getopt.h>
#include <signal.h>
#include <string.h>

const char collect_driver_usage[] =
	"  --driver CMD         the workload is a server: once it accepts connections on\n"
	"                       127.0.0.1:PORT, run CMD natively (@port@ and @budget@ in it\n"
	"                       replaced), store its report (wrk --latency, redis-benchmark\n"
	"                       --csv, '@emudiff driver k=v' lines), then stop the server\n"
	"  --port N             the server's TCP port on 127.0.0.1 (must be free)\n"
	"  --ready-timeout SEC  the server must listen within SEC (default 30)\n"
	"  --budget Ns|N        the driver's budget: seconds, or requests (default 5s)\n"
	"  --ready-console STR  a guest (collect qemu --system, collect hw-kvm): ready once\n"
	"                       STR appeared on its console and the port accepts (QEMU's\n"
	"                       forwarded port accepts before the guest listens)\n";

const char *collect_boot_console__opt(const char *arg)
{
	if (!*arg)
		usage_die("--boot-console: empty string");
	return arg;
}

void collect_parse__opt(struct output_parse *p, const char *v)
{
	if (strcmp(v, "cyclictest") && strcmp(v, "cyclictest-nsecs"))
		usage_die("--parse: cyclictest or cyclictest-nsecs, not '%s'", v);
	p->format = "cyclictest";
	p->unit_ns = strcmp(v, "cyclictest") ? 1 : 1e3;
}

void collect_driver__init(struct driver_opts *d)
{
	memset(d, 0, sizeof(*d));
	d->ready_timeout_s = 30;
	d->budget = 5;
	d->budget_is_time = 1;
}

int collect_driver__opt(struct driver_opts *d, int c, const char *arg)
{
	switch (c) {
	case OPT_DRIVER: d->cmd = arg; return 1;
	case OPT_PORT: d->port = cmd_opt_int("port", arg, 1); return 1;
	case OPT_READY_TIMEOUT: d->ready_timeout_s = cmd_opt_seconds("ready-timeout", arg); return 1;
	case OPT_READY_CONSOLE:
		if (!*arg)
			usage_die("--ready-console: empty string");
		d->ready_console = arg;
		return 1;
	case OPT_BUDGET:
		if (driver_budget__parse(arg, d))
			usage_die("--budget: '%s' is neither seconds (30s) nor a number of requests (2000)", arg);
		return 1;
	}
	return 0;
}

const struct driver_opts *collect_driver__check(const struct driver_opts *d, int guest)
{
	if (!d->cmd) {
		if (d->port || d->ready_console)
			usage_die("--%s needs --driver", d->port ? "port" : "ready-console");
		return NULL;
	}
	if (d->ready_console && !guest)
		usage_die("--ready-console is for a guest's console (collect qemu --system, collect hw-kvm)");
	if (!d->port || d->port > 65535)
		usage_die("--driver needs --port N (1..65535), the server's port on 127.0.0.1");
	/* the server leads a group of its own (common.h): its signals to its group
	 * (lighttpd's kill(0, SIGTERM)) stay there, stopping it reaches its workers,
	 * and workers that outlive it end before their counts are read */
	proc__children(PROC_GROUP | PROC_LINGER);
	return d;
}

