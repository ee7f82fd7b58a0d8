/*
 * hw_ingest.c - one invocation measured by hw_run() (hw-collectors/launch.c)
 * into the store as one `hw` run: its threads (ordinals in creation order,
 * each thread's own totals), marker hits with their thread and that thread's
 * counters read at each, totals and rusage, system calls per marker interval
 * of their thread, and config_json saying how it ran, on what machine, and
 * what could not be counted and why.
 */
#include "collect.h"
#include "emudiff/mark.h"

#include <stdlib.h>
#include <string.h>

static int group_index(const struct hw_group *g, const char *name)
{
	for (int i = 0; i < g->n; i++)
		if (!strcmp(g->ev[i]->name, name))
			return i;
	return -1;
}

/* ---- config_json ----------------------------------------------------------- */

static const char *const mark_read_name[] = { "rdpmc", "syscall", "time" };

/* Why the thread of a hit read no value of group event e there. */
static const char *thread_unread_why(const struct hw_run_opts *o, const struct hw_run_result *r, int32_t tid,
				     int e, char *why, size_t size)
{
	const struct hw_mark_slot *s = NULL;

	for (size_t k = 0; k < r->n_mark_slots && !s; k++)
		if (r->mark_slots[k].tid == tid)
			s = &r->mark_slots[k];
	if (!s) {
		snprintf(why, size, "a thread found no slot (more than %d marking threads)", HW_MARK_THREAD_SLOTS);
		return why;
	}
	if (s->flags & EMUDIFF_MARK_T_NO_FORK_CHECK)
		return "no MADV_WIPEONFORK (Linux < 4.14): no thread opens counters";
	if (!(s->opened & (1u << e)) && s->open_errno[e] == EMUDIFF_MARK_NO_FD)
		return "not opened: the runtime's fd budget (RLIMIT_NOFILE / 4) was spent";
	if (!(s->opened & (1u << e)))
		return hw_unsupported_why(s->open_errno[e], why, size);
	if (o->mark_read == HW_MARK_READ_SYSCALL)
		return "the group read failed";
	if (!(s->readable & (1u << e)))
		return "not readable from user space (cap_user_rdpmc 0)";
	return "not scheduled, or multiplexed without a user clock";
}

/* Why event e of the group has no value at some marker hits; NULL: it has one at every hit. */
static const char *mark_unread_why(const struct hw_run_opts *o, const struct hw_run_result *r, int e,
				   char *why, size_t size)
{
	uint32_t bit = 1u << e;
	size_t hits = 0, first = r->n_marks;
	char reason[96];
	const char *because;

	for (size_t m = 0; m < r->n_marks; m++) {
		hits += (r->marks[m].have & bit) != 0;
		if (!(r->marks[m].have & bit) && first == r->n_marks)
			first = m;
	}
	if (hits == r->n_marks)
		return NULL;
	if (r->mark_ev_why[e][0])
		return r->mark_ev_why[e]; /* no thread reads it in this mode */
	because = thread_unread_why(o, r, r->marks[first].tid, e, reason, sizeof(reason));
	if (!hits)
		snprintf(why, size, "%s", because);
	else
		snprintf(why, size, "read at %zu of %zu marker hits (%s)", hits, r->n_marks, because);
	return why;
}

/* How markers read counters, and why an event has no per-marker values. */
static void marks_json(struct json *j, const struct hw_run_opts *o, const struct hw_run_result *r)
{
	int any = 0;

	json__int(j, "$.marks.count", (int64_t)r->n_marks);
	json__int(j, "$.marks.dropped", (int64_t)r->marks_dropped);
	json__int(j, "$.marks.incomplete", (int64_t)r->marks_incomplete);
	json__str(j, "$.marks.read", mark_read_name[o->mark_read]);
	json__int(j, "$.marks.threads", (int64_t)(r->n_mark_slots + r->mark_threads_unslotted));
	for (size_t m = 0; m < r->n_marks; m++)
		any |= r->marks[m].have != 0;
	json__bool(j, "$.marks.counters", any);
	if (o->mark_read == HW_MARK_READ_TIME || !r->n_marks)
		return;
	json__raw(j, "$.marks.unsupported", "{}");
	for (int e = 0; e < r->group.n; e++) {
		char path[128], why[192];
		const char *reason = mark_unread_why(o, r, e, why, sizeof(why));

		if (!reason)
			continue;
		snprintf(path, sizeof(path), "$.marks.unsupported.\"%s\"", r->group.ev[e]->name);
		json__str(j, path, reason);
	}
}

/* The counting group: its events, the refused ones and why, multiplexing. */
static void events_json(struct json *j, const struct hw_run_opts *o, const struct hw_run_result *r)
{
	char path[128];
	int multiplexed;
	double min_fraction;

	for (int i = 0; i < r->group.n; i++) {
		snprintf(path, sizeof(path), "$.events[%d]", i);
		json__str(j, path, r->group.ev[i]->name);
	}
	if (!r->group.n)
		json__raw(j, "$.events", "[]");
	json__raw(j, "$.unsupported", "{}");
	for (int i = 0; i < r->group.n_unsupported; i++) {
		char why[96];

		snprintf(path, sizeof(path), "$.unsupported.\"%s\"", r->group.unsupported[i]->name);
		json__str(j, path, hw_unsupported_why(r->group.unsupported_errno[i], why, sizeof(why)));
	}
	if (o->syscalls && r->syscall_errno)
		json__str(j, "$.unsupported.syscalls",
			  r->syscall_why[0] ? r->syscall_why : hw_errno_name(r->syscall_errno));
	/* multiplexing: the final read and every marker read; values are scaled */
	multiplexed = hw_run_result__multiplexed(r, &min_fraction);
	json__bool(j, "$.multiplexed", multiplexed);
	json__bool(j, "$.scaled", multiplexed);
	if (multiplexed)
		json__num(j, "$.running_fraction", min_fraction);
	if (r->total_ok && !r->total.counted)
		json__bool(j, "$.group_never_scheduled", 1);
	json__bool(j, "$.inherit", r->group.inherit);
	json__bool(j, "$.exclude_kernel", r->group.exclude_kernel);
}

/* The threads: how they were numbered, whether each one's totals are known. */
static void threads_json(struct json *j, const struct hw_run_result *r)
{
	json__int(j, "$.threads.count", (int64_t)r->n_threads);
	json__str(j, "$.threads.order", r->threads_by_fork ? "created" : "thread id");
	json__bool(j, "$.threads.totals", r->thread_totals);
	if (!r->thread_totals && r->threads_why[0])
		json__str(j, "$.threads.why", r->threads_why);
	json__int(j, "$.threads.records_lost", (int64_t)r->thread_records_lost);
}

static void machine_json(struct json *j, const struct hw_machine *mach)
{
	json__str(j, "$.machine.cpu_model", mach->cpu_model);
	json__str(j, "$.machine.kernel", mach->kernel);
	json__str(j, "$.machine.governor", mach->governor);
	if (mach->cur_khz >= 0)
		json__int(j, "$.machine.cur_khz", mach->cur_khz);
	if (mach->max_khz >= 0)
		json__int(j, "$.machine.max_khz", mach->max_khz);
	json__int(j, "$.machine.perf_event_paranoid", mach->paranoid);
	json__bool(j, "$.machine.privileged", mach->privileged);
}

static void sampling_json(struct json *j, const struct hw_run_opts *o, const struct hw_run_result *r)
{
	if (o->sample_hz > 0) {
		json__int(j, "$.sampling.hz", o->sample_hz);
		if (r->sample_event) {
			json__str(j, "$.sampling.event", r->sample_event);
			json__int(j, "$.sampling.samples", (int64_t)r->samples);
			json__int(j, "$.sampling.lost", (int64_t)r->samples_lost);
		} else {
			json__raw(j, "$.sampling.event", "null");
		}
		if (r->sample_errno)
			json__str(j, r->sample_event ? "$.sampling.cycles" : "$.sampling.error",
				  hw_errno_name(r->sample_errno));
	}
	/* align/ rolls samples per marker interval up to marker regions */
	if (r->sample_event && r->samples && r->n_marks)
		/* with hits dropped, the last recorded hit's interval runs on past them */
		json__int(j, "$.mark_symbols_complete", (int64_t)r->n_marks - (r->marks_dropped > 0));
}

static char *config_json(const struct hw_ingest *in, const struct hw_run_result *r)
{
	const struct hw_run_opts *o = in->opts;
	struct json j;
	char *out;

	if (json__init(&j))
		return NULL;
	json__str(&j, "$.collector", platform__name(PLAT_HW));
	events_json(&j, o, r);
	machine_json(&j, in->machine);
	if (o->pin_cpu >= 0)
		json__int(&j, "$.pin", o->pin_cpu);
	else
		json__raw(&j, "$.pin", "null");
	json__str(&j, "$.aslr", o->no_aslr ? "off" : in->machine->aslr == 0 ? "off (system)" : "on");
	json__int(&j, "$.env_pad", (int64_t)r->env_pad);
	if (o->timeout_s > 0)
		json__num(&j, "$.timeout_s", o->timeout_s);
	json__bool(&j, "$.warmup", in->warmup);
	marks_json(&j, o, r);
	threads_json(&j, r);
	sampling_json(&j, o, r);
	if (o->syscalls && !r->syscall_errno) {
		json__int(&j, "$.syscalls.recorded", (int64_t)r->n_sys);
		json__int(&j, "$.syscalls.lost", (int64_t)r->sys_lost);
		json__int(&j, "$.syscalls.runtime_discounted", (int64_t)r->runtime_syscalls_dropped);
	}
	if (in->driver) {
		driver__config(&j, in->driver);
		if (hw_workers__why(r, in->driver))
			json__str(&j, "$.unsupported.workers", hw_workers__why(r, in->driver));
	}
	if (r->exec_error[0])
		json__str(&j, "$.exec_error", r->exec_error);
	out = xstrdup(j.text);
	json__free(&j);
	return out;
}

/* ---- rows ------------------------------------------------------------------ */

/* Marker hits on their thread: its instructions as the mark's insns, its other
 * counters as mark values; only the counters read at a hit, for an unread one
 * has no row, never a 0. */
static int store_marks(struct store *st, int64_t run_id, const struct hw_run_result *r)
{
	int ins = group_index(&r->group, "instructions");

	for (size_t m = 0; m < r->n_marks; m++) {
		const struct hw_mark *mk = &r->marks[m];
		int64_t insns = -1;

		if (ins >= 0 && (mk->have & (1u << ins)))
			insns = (int64_t)(mk->r.value[ins] + 0.5);
		if (store__mark_add(st, run_id, (int64_t)m, mk->thread, mk->id, insns, mk->time_ns))
			return -1;
		for (int e = 0; e < r->group.n; e++)
			if (e != ins && (mk->have & (1u << e)) &&
			    store__mark_value_add(st, run_id, (int64_t)m, r->group.ev[e]->metric, mk->r.value[e]))
				return -1;
	}
	return 0;
}

static double timeval_ns(struct timeval tv)
{
	return (double)tv.tv_sec * 1e9 + (double)tv.tv_usec * 1e3;
}

/* Whole-run totals: times, rusage, and the group's final read when it counted. */
static int store_totals(struct store *st, int64_t run_id, const struct hw_run_result *r)
{
	const struct {
		const char *metric;
		double value;
	} t[] = {
		{ METRIC_TIME_NS, (double)r->time_ns },
		{ METRIC_WALL_NS, (double)r->wall_ns },
		{ "max_rss_kb", (double)r->ru.ru_maxrss },
		{ "minor_faults", (double)r->ru.ru_minflt },
		{ "major_faults", (double)r->ru.ru_majflt },
		{ "vol_ctx_switches", (double)r->ru.ru_nvcsw },
		{ "invol_ctx_switches", (double)r->ru.ru_nivcsw },
		{ "user_ns", timeval_ns(r->ru.ru_utime) },
		{ "sys_ns", timeval_ns(r->ru.ru_stime) },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (store__run_metric_set(st, run_id, t[i].metric, t[i].value))
			return -1;
	if (r->total_ok && r->total.counted)
		for (int e = 0; e < r->group.n; e++)
			if (store__run_metric_set(st, run_id, r->group.ev[e]->metric, r->total.value[e]))
				return -1;
	return 0;
}

/* (seq, nr) pairs in order */
static int cmp_pair(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Each call's thread ordinal (-1: unknown). */
static int *sys_threads(const struct hw_run_result *r)
{
	int *th = xmalloc((r->n_sys ? r->n_sys : 1) * sizeof(*th));

	for (size_t i = 0; i < r->n_sys; i++)
		th[i] = hw_run_result__thread_of(r, r->sys[i].tid, r->sys[i].time_ns);
	return th;
}

/* Syscalls: mark_value "syscalls" (the hit's thread's calls so far), event_count
 * per region of the calling thread, run and thread totals. */
static int store_syscalls(struct store *st, int64_t run_id, const struct hw_run_result *r)
{
	int64_t *key = xmalloc((r->n_sys ? r->n_sys : 1) * 2 * sizeof(int64_t));
	int *th = sys_threads(r);
	double *count = xcalloc(r->n_threads ? r->n_threads : 1, sizeof(double));
	int rc = 0;

	/* key pairs (seq, nr), seq = the thread's last hit at or before the call, -1 before its first */
	for (size_t i = 0; i < r->n_sys; i++) {
		key[2 * i] = hw_run_result__seq_at(r, th[i], r->sys[i].time_ns);
		key[2 * i + 1] = r->sys[i].nr;
	}
	qsort(key, r->n_sys, 2 * sizeof(int64_t), cmp_pair);
	for (size_t i = 0; i < r->n_sys && !rc;) {
		size_t j = i;
		char detail[24];

		while (j < r->n_sys && key[2 * j] == key[2 * i] && key[2 * j + 1] == key[2 * i + 1])
			j++;
		snprintf(detail, sizeof(detail), "%lld", (long long)key[2 * i + 1]);
		if (store__event_add(st, run_id, 0, key[2 * i], EVENT_SYSCALL, detail, (int64_t)(j - i)))
			rc = -1;
		i = j;
	}
	/* cumulative count of the hit's thread at each marker hit */
	for (size_t m = 0, s = 0; m < r->n_marks && !rc; m++) {
		for (; s < r->n_sys && r->sys[s].time_ns < r->marks[m].time_ns; s++)
			if (th[s] >= 0)
				count[th[s]]++;
		if (store__mark_value_add(st, run_id, (int64_t)m, METRIC_SYSCALLS, count[r->marks[m].thread]))
			rc = -1;
	}
	if (!rc && store__run_metric_set(st, run_id, METRIC_SYSCALLS, (double)r->n_sys))
		rc = -1;
	memset(count, 0, (r->n_threads ? r->n_threads : 1) * sizeof(double));
	for (size_t i = 0; i < r->n_sys; i++)
		if (th[i] >= 0)
			count[th[i]]++;
	for (size_t k = 0; k < r->n_threads && !rc; k++)
		if (store__thread_metric_set(st, run_id, (int)k, METRIC_SYSCALLS, count[k]))
			rc = -1;
	free(count);
	free(th);
	free(key);
	return rc;
}

/* Every thread (ordinal, thread id) and its own whole-run totals. */
static int store_threads(struct store *st, int64_t run_id, const struct hw_run_result *r)
{
	for (size_t k = 0; k < r->n_threads; k++) {
		const struct hw_thread *t = &r->threads[k];

		if (store__thread_add(st, run_id, (int)k, t->tid, "thread"))
			return -1;
		for (int e = 0; e < r->group.n && r->thread_totals && t->has_total; e++)
			if (store__thread_metric_set(st, run_id, (int)k, r->group.ev[e]->metric, t->total.value[e]))
				return -1;
	}
	return 0;
}

/* ---- the run ------------------------------------------------------------- */

/* A client-server run: the driver's report and the server's counts per request
 * (instructions of the whole process tree, counted with inherit), and its
 * workers (hw_workers.c). */
static int hw_store_driver(struct store *st, const struct hw_ingest *in, int64_t run_id,
			   const struct hw_run_result *r, const struct worker_summary *w)
{
	struct driver_counts c = { .insns = -1, .syscalls = -1, .w = *w };

	for (int e = 0; e < r->group.n && r->total_ok && r->total.counted; e++)
		if (!strcmp(r->group.ev[e]->metric, METRIC_INSTRET))
			c.insns = r->total.value[e];
	if (in->opts->syscalls && !r->syscall_errno && r->sys_lost == 0)
		c.syscalls = (double)r->n_sys;
	return driver__store(st, run_id, &in->driver->res, &c);
}

static int store_rows(struct store *st, const struct hw_ingest *in, int64_t wid, int64_t run_id,
		      const struct hw_run_result *r)
{
	int tc = group_index(&r->group, "task-clock");
	/* the time samples share: the task's clock when it was counted, else exec to reap */
	double task_ns = tc >= 0 && r->total_ok && r->total.counted ? r->total.value[tc] : (double)r->time_ns;
	struct worker_summary w;

	if (store_threads(st, run_id, r) || hw__store_workers(st, run_id, in, r, &w) || store_marks(st, run_id, r) ||
	    store_totals(st, run_id, r))
		return -1;
	if (in->opts->syscalls && !r->syscall_errno && r->sys_lost == 0 && store_syscalls(st, run_id, r))
		return -1;
	if (in->driver && hw_store_driver(st, in, run_id, r, &w))
		return -1;
	if (r->sample_event && r->samples &&
	    (store__run_metric_set(st, run_id, "samples", (double)r->samples) ||
	     hw_ingest__samples(st, in, wid, run_id, r, task_ns)))
		return -1;
	return 0;
}

int64_t hw_ingest(struct store *st, const struct hw_ingest *in, const struct hw_run_result *r)
{
	char *cfg = config_json(in, r);
	struct run_info ri = {
		.platform = platform__name(PLAT_HW),
		.config_json = cfg,
		.rep = in->rep,
		.status = run_status__name(in->warmup ? RUN_WARMUP : (int)r->status),
		.exit_code = r->exit_code,
		.wall_ns = r->wall_ns,
		.cell = in->warmup ? NULL : in->cell,
	};
	int64_t run_id = -1;

	if (cfg)
		run_id = store__ingest_begin(st, &in->workload, &ri);
	if (run_id >= 0 && store__ingest_end(st, store_rows(st, in, ri.workload_id, run_id, r)))
		run_id = -1;
	free(cfg);
	return run_id;
}
