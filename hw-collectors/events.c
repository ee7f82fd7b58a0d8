/* events.c - the events `collect hw` can count, by perf's names. */
#include "hw.h"
#include "common.h"

#include <errno.h>
#include <stdio.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>

/* Store metrics follow docs/design.md: lower case, unit-suffixed; instructions
 * retired are "instret" on every hardware platform. */
static const struct hw_event events[] = {
	{ "cycles", "cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
	{ "instructions", "instret", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS },
	{ "branches", "branches", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS },
	{ "branch-misses", "branch_misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES },
	{ "cache-references", "cache_references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES },
	{ "cache-misses", "cache_misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES },
	{ "task-clock", "task_clock_ns", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK },
	{ "page-faults", "page_faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS },
	{ "context-switches", "context_switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES },
	{ "cpu-migrations", "cpu_migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS },
	{ "cpu-clock", "cpu_clock_ns", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK },
	{ "stalled-cycles-frontend", "stalled_cycles_frontend", PERF_TYPE_HARDWARE,
	  PERF_COUNT_HW_STALLED_CYCLES_FRONTEND },
	{ "stalled-cycles-backend", "stalled_cycles_backend", PERF_TYPE_HARDWARE,
	  PERF_COUNT_HW_STALLED_CYCLES_BACKEND },
	{ "ref-cycles", "ref_cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES },
};

const char hw_default_events[] = "cycles,instructions,branches,branch-misses,cache-references,"
				 "cache-misses,task-clock,page-faults,context-switches,cpu-migrations";

const struct hw_event *hw_event__find(const char *name)
{
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (!strcmp(events[i].name, name))
			return &events[i];
	return NULL;
}

const struct hw_event *hw_event__at(size_t i)
{
	return i < sizeof(events) / sizeof(events[0]) ? &events[i] : NULL;
}

int hw_event__parse_list(const char *list, const struct hw_event **out, int *n)
{
	char *copy = xstrdup(list), *save = NULL, *tok;
	int rc = 0;

	*n = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct hw_event *e = hw_event__find(tok);
		int dup = 0;

		if (!e) {
			rc = error("--events: unknown event '%s' (see 'emudiff collect hw --list-events')", tok);
			break;
		}
		for (int i = 0; i < *n; i++)
			dup |= out[i] == e;
		if (dup)
			continue;
		if (*n == HW_MAX_EVENTS) {
			rc = error("--events: more than %d events", HW_MAX_EVENTS);
			break;
		}
		out[(*n)++] = e;
	}
	if (!rc && *n == 0)
		rc = error("--events: empty list");
	free(copy);
	return rc;
}

const char *hw_errno_name(int err)
{
	switch (err) {
	case ENOENT: return "ENOENT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EINVAL: return "EINVAL";
	case ENODEV: return "ENODEV";
	case ENOSPC: return "ENOSPC";
	case EBUSY: return "EBUSY";
	case EMFILE: return "EMFILE";
	case ENOSYS: return "ENOSYS";
	case E2BIG: return "E2BIG";
	case ESRCH: return "ESRCH";
	case 0: return "OK";
	default: return "EUNKNOWN";
	}
}

const char *hw_unsupported_why(int err, char *buf, size_t size)
{
	if (err == EACCES || err == EPERM) {
		/* the level says what would allow it (kernel.perf_event_paranoid) */
		FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
		int level = 0, known = f && fscanf(f, "%d", &level) == 1;

		if (f)
			fclose(f);
		if (known)
			snprintf(buf, size, "%s (perf_event_paranoid %d)", hw_errno_name(err), level);
		else
			snprintf(buf, size, "%s (perf_event_paranoid unreadable)", hw_errno_name(err));
	} else {
		snprintf(buf, size, "%s", hw_errno_name(err));
	}
	return buf;
}
