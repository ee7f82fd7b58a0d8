/*
 * kvm_ingest.c - one measured VMM invocation (struct kvm_run) into the store
 * as an `hw-kvm` run (collect.h): marks from the console, counters and exits
 * as run metrics, exits by reason as event counts, the latency samples of
 * the guest's framed cyclictest output (--parse), config_json saying what
 * was measured and what was not.
 */
#include "kvm_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *console_name(const struct kvm_opts *o)
{
	return o->serial_log ? o->serial_log : "VMM stdout";
}

/* config_json's exit_events (sampled or unsupported), exits lost, and the
 * unsupported map with the reason of each exit source and counter. */
static void config_unsupported(struct json *j, const struct kvm_run *r)
{
	for (int i = 0; i < r->n_exits; i++) {
		const struct kvm_exits *x = &r->exits[i];
		char *path = xasprintf("$.exit_events.\"%s\"", x->spec);
		char *sub = xasprintf("$.%s.\"%s\"", x->sampled ? "exit_events_lost" : "unsupported", x->spec);

		json__str(j, path, x->sampled ? "sampled" : "unsupported");
		if (!x->sampled)
			json__str(j, sub, x->why);
		else if (x->lost)
			json__int(j, sub, (int64_t)x->lost);
		free(sub);
		free(path);
	}
	for (int i = 0; i < r->n_counters; i++) {
		char *path, why[64];

		if (!r->counters[i].err)
			continue;
		path = xasprintf("$.unsupported.\"%s\"", r->counters[i].ev->name);
		json__str(j, path, kvm_refusal(r->counters[i].err, why, sizeof(why)));
		free(path);
	}
}

/* Did KVM refuse this guest on this machine? A failed run whose guest never
 * printed a marker line, where KVM stopped it, /dev/kvm is missing, or the
 * VMM's last word names KVM (QEMU's "failed to initialize kvm", an abort in
 * its KVM code such as kvm_buf_set_msrs when the host refuses the vCPU's MSRs). */
static int kvm_unsupported(const struct kvm_opts *o, const struct kvm_run *r, size_t n_marks)
{
	if (r->status != RUN_FAILED || n_marks || r->console_marks || r->exec_error[0])
		return 0;
	return !o->dev_kvm || !strncmp(r->why, "KVM stopped", 11) || strcasestr(r->message, "kvm");
}

static char *config_json(const struct kvm_opts *o, const struct kvm_run *r, size_t n_marks)
{
	struct json j;
	char *text;

	if (json__init(&j))
		return NULL;
	json__str(&j, "$.collector", platform__name(PLAT_HW_KVM));
	json__bool(&j, "$.dev_kvm", o->dev_kvm);
	json__bool(&j, "$.guest_only_counters", 1);
	json__num(&j, "$.timebase_hz", o->timebase_hz);
	json__str(&j, "$.console", console_name(o));
	json__int(&j, "$.console_marks", (int64_t)n_marks);
	json__str(&j, "$.tracefs", kvm_tracefs_state(o->tracefs) ? "" : o->tracefs);
	if (o->timeout_s > 0)
		json__num(&j, "$.timeout_s", o->timeout_s);
	if (r->exec_error[0])
		json__str(&j, "$.exec_error", r->exec_error);
	if (r->why[0])
		json__str(&j, "$.why", r->why);
	if (r->message[0])
		json__str(&j, "$.vmm_message", r->message);
	config_unsupported(&j, r);
	if (kvm_unsupported(o, r, n_marks)) {
		char *u = xasprintf("KVM cannot run this guest here: %s%s%s", r->why, r->message[0] ? ": " : "",
				    r->message);

		json__str(&j, "$.unsupported.kvm", u);
		warning("unsupported: %s", u);
		free(u);
	}
	if (r->driver)
		driver__config(&j, r->driver);
	if (o->parse) {
		json__str(&j, "$.parse", o->parse->format);
		if (r->parsed)
			cyclictest__config(&j, r->parsed, o->parse->unit_ns);
	}
	if (o->boot_console) {
		json__str(&j, "$.boot_console", o->boot_console);
		json__bool(&j, "$.boot_console_seen", r->boot_ns >= 0);
	}
	boot__config(&j, o->stages);
	if (!o->dev_kvm)
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

/* The console's `@emudiff` runs; a guest without markers is still a run
 * (whole-run exits and counters). -1 on a damaged marker line. */
static int console_parse(const struct kvm_opts *o, FILE *f, struct console_log *log)
{
	memset(log, 0, sizeof(*log));
	if (!f)
		return 0;
	if (!console_has_markers(f)) {
		warning("%s: no `@emudiff` marker lines: the run has no marker regions", console_name(o));
		return 0;
	}
	if (console_log__parse(f, console_name(o), log))
		return -1;
	if (log->n_runs > 1)
		warning("%s: %zu `@emudiff exit` runs in one console; only the first is stored",
			console_name(o), log->n_runs);
	return 0;
}

static int add_marks(struct store *s, int64_t run_id, const struct kvm_opts *o, const struct console_run *cr)
{
	for (size_t i = 0; cr && i < cr->n_marks; i++) {
		const struct console_mark *m = &cr->marks[i];
		int64_t t = m->has_time ? (int64_t)((double)m->time * 1e9 / o->timebase_hz) : -1;

		if (store__mark_add(s, run_id, (int64_t)i, m->thread, m->id, m->has_instret ? (int64_t)m->instret : -1, t))
			return -1;
		if (m->has_cycles && store__mark_value_add(s, run_id, (int64_t)i, METRIC_CYCLES, (double)m->cycles))
			return -1;
	}
	if (cr && console__store_threads(s, run_id, cr))
		return -1;
	return cr ? latency__store_console(s, run_id, cr, o->timebase_hz) : 0;
}

/* Counters as run metrics; exits by reason (and marker seq) as event counts,
 * their sum as the run metric exits when any source was sampled. A guest that
 * KVM never ran (unsupported) has its wall time only: its counters and exit
 * tracepoints saw nothing of it, and 0 would read as a measurement. */
static int add_metrics(struct store *s, int64_t run_id, const struct kvm_run *r, int guest_ran)
{
	uint64_t exits = 0;
	int sampled = 0;

	if (store__run_metric_set(s, run_id, METRIC_WALL_NS, (double)r->wall_ns))
		return -1;
	if (!guest_ran)
		return 0;
	for (int i = 0; i < r->n_counters; i++)
		if (r->counters[i].counted &&
		    store__run_metric_set(s, run_id, r->counters[i].ev->metric, r->counters[i].value))
			return -1;
	for (int i = 0; i < r->n_exits; i++) {
		const struct reason_tally *t = &r->exits[i].tally;

		if (!r->exits[i].sampled)
			continue;
		sampled = 1;
		for (size_t k = 0; k < t->n; k++)
			if (store__event_add(s, run_id, 0, t->v[k].seq, EVENT_VM_EXIT, t->v[k].reason,
					     (int64_t)t->v[k].count))
				return -1;
		/* exits to user space are a subset of kvm_exit: count them apart */
		if (strncmp(r->exits[i].spec, "kvm:kvm_userspace_exit", 22))
			exits += reason_tally__total(t);
	}
	if (sampled && store__run_metric_set(s, run_id, METRIC_EXITS, (double)exits))
		return -1;
	return 0;
}

/* A server guest's driver report (its counts per request are unknown here:
 * the guest-only counters cover the boot too), the latencies its console's
 * frame held (an ok run's) and the boot time. */
static int add_guest_metrics(struct store *s, int64_t run_id, const struct kvm_opts *o, const struct kvm_run *r,
			     uint64_t *overflows)
{
	if (r->driver && r->status == RUN_OK && driver__store(s, run_id, &r->driver->res, NULL))
		return -1;
	if (r->parsed && r->status == RUN_OK && cyclictest__store(s, run_id, r->parsed, o->parse->unit_ns, overflows))
		return -1;
	if (o->boot_console && r->boot_ns >= 0 && store__run_metric_set(s, run_id, METRIC_BOOT_NS, (double)r->boot_ns))
		return -1;
	return 0;
}

static int argv_count(char **argv)
{
	int n = 0;

	while (argv[n])
		n++;
	return n;
}

int64_t kvm_ingest(struct store *s, const struct kvm_opts *o, const char *arch, const struct kvm_run *r,
		   size_t *n_marks)
{
	struct console_log log;
	const struct console_run *cr;
	char *argvj = NULL, *cfg = NULL;
	int64_t run_id = -1;
	uint64_t overflows = 0;

	if (console_parse(o, r->console, &log))
		return -1;
	cr = log.n_runs ? &log.runs[0] : NULL;
	*n_marks = cr ? cr->n_marks : 0;
	if (o->argv)
		argvj = json__argv(argv_count(o->argv), o->argv);
	cfg = config_json(o, r, *n_marks);
	if (cfg) {
		struct ingest_workload w = { .name = o->name, .arch = arch, .argv_json = argvj };
		struct run_info ri = {
			.platform = platform__name(PLAT_HW_KVM), .config_json = cfg, .rep = o->rep,
			.status = run_status__name(r->status), .exit_code = r->exit_code,
			.wall_ns = r->wall_ns, .cell = o->cell,
		};

		run_id = store__ingest_begin(s, &w, &ri);
	}
	if (run_id >= 0 &&
	    store__ingest_end(s, add_marks(s, run_id, o, cr) ||
				 add_metrics(s, run_id, r, !kvm_unsupported(o, r, *n_marks)) ||
				 add_guest_metrics(s, run_id, o, r, &overflows) ||
				 boot__store(s, run_id, o->stages, &r->boot_times)))
		run_id = -1;
	if (run_id >= 0)
		cyclictest__warn_overflows(console_name(o), overflows);
	free(argvj);
	free(cfg);
	console_log__free(&log);
	return run_id;
}
