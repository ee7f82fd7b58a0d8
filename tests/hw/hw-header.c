/*
 * hw-header.c - hw.h compiles on its own (no include before it), and its
 * public API is usable as README documents it: the default events in order
 * with their store metrics, unknown events refused, and the `unsupported`
 * reasons config_json records.
 */
#include "hw.h"

#include <errno.h>
#include <string.h>

static int fails;

static void expect_str(const char *what, const char *got, const char *want)
{
	if (!got || strcmp(got, want)) {
		printf("FAIL: %s: '%s', expected '%s'\n", what, got ? got : "(null)", want);
		fails++;
	}
}

int main(void)
{
	/* README, collect hw: --events default, in group order, and the metrics of mark_value/run_metric */
	static const char *const defaults[][2] = {
		{ "cycles", "cycles" }, { "instructions", "instret" }, { "branches", "branches" },
		{ "branch-misses", "branch_misses" }, { "cache-references", "cache_references" },
		{ "cache-misses", "cache_misses" }, { "task-clock", "task_clock_ns" },
		{ "page-faults", "page_faults" }, { "context-switches", "context_switches" },
		{ "cpu-migrations", "cpu_migrations" },
	};
	const struct hw_event *ev[HW_MAX_EVENTS];
	char buf[160];
	int n = -1;

	if (hw_event__parse_list(hw_default_events, ev, &n) || n != 10) {
		printf("FAIL: the default list parses into %d events, expected 10\n", n);
		return 1;
	}
	for (int i = 0; i < 10; i++) {
		expect_str("default event", ev[i]->name, defaults[i][0]);
		expect_str(defaults[i][0], ev[i]->metric, defaults[i][1]);
		if (hw_event__find(defaults[i][0]) != ev[i]) {
			printf("FAIL: hw_event__find(%s)\n", defaults[i][0]);
			fails++;
		}
	}
	if (hw_event__find("bogus") || !hw_event__parse_list("task-clock,bogus", ev, &n)) {
		printf("FAIL: an unknown event was accepted\n");
		fails++;
	}
	/* a repeated event is counted once */
	if (hw_event__parse_list("task-clock,page-faults,task-clock", ev, &n) || n != 2) {
		printf("FAIL: duplicates: %d events\n", n);
		fails++;
	}
	expect_str("ENOENT", hw_unsupported_why(ENOENT, buf, sizeof(buf)), "ENOENT");
	expect_str("EOPNOTSUPP", hw_errno_name(EOPNOTSUPP), "EOPNOTSUPP");
	hw_unsupported_why(EACCES, buf, sizeof(buf));
	if (strncmp(buf, "EACCES (perf_event_paranoid ", 28) || buf[strlen(buf) - 1] != ')') {
		printf("FAIL: EACCES reason '%s'\n", buf);
		fails++;
	}
	expect_str("no tracefs", HW_NO_TRACEFS,
		   "no-tracefs: tracefs not mounted (mount -t tracefs nodev /sys/kernel/tracing)");
	if (!fails)
		printf("hw.h API: ok\n");
	return fails != 0;
}
