/*
 * cmd_collect_hw.c - "emudiff collect hw": run a workload natively with
 * perf_event_open counters, the marker runtime, sampling and syscall
 * tracing (hw-collectors/ does the measuring), and store each invocation as
 * one `hw` run in one transaction.
 */
#include "cmd.h"
#include "common.h"
#include "hw.h"
#include "store.h"
#include "align.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: emudiff collect hw [options] -- PROG ARGS\n"
	"\n"
	"  --db F            results store (default $EMUDIFF_DB or emudiff.db)\n"
	"  --name W          workload name (default: PROG's basename)\n"
	"  --reps N          measured invocations (default 1)\n"
	"  --rep R           repetition number of the first one (default 0)\n"
	"  --cell KEY        study cell key stored with the run (only with --reps 1)\n"
	"  --warmup K        invocations run first and stored with status warmup (default 0)\n"
	"  --timeout SEC     kill an invocation after SEC seconds (stored as timeout)\n"
	"  --fail-on-error   exit 1 when an invocation failed or timed out\n"
	"  --events LIST     counting group (default: cycles,instructions,branches,\n"
	"                    branch-misses,cache-references,cache-misses,task-clock,\n"
	"                    page-faults,context-switches,cpu-migrations)\n"
	"  --list-events     print the events that --events knows, their metrics and\n"
	"                    whether they can be counted here (else why not); then\n"
	"                    syscalls (raw_syscalls:sys_enter, traced unless --no-syscalls)\n"
	"  --sample HZ       sample IPs at HZ (cycles, else cpu-clock) into s:<symbol> regions\n"
	"  --pin CPU         run the workload on CPU only\n"
	"  --no-aslr         disable address space randomization for the workload\n"
	"  --vary-env STEP   pad the environment by STEP x rep bytes (layout bias)\n"
	"  --no-syscalls     do not trace system calls\n"
	"  --mark-capacity N marker hits the buffer holds (default 131072)\n"
	"  --mark-read MODE  what a marker hit reads besides CLOCK_MONOTONIC_RAW:\n"
	"                    rdpmc    (default) counters user space can read, no system\n"
	"                             call; the others get no per-region value\n"
	"                    syscall  every counter, one read(2) per hit\n"
	"                    time     no counter\n"
	"  --mark-time-only  same as --mark-read time\n";

struct opts {
	struct collect_common com;
	const char *events;
	int warmup, sample_hz, pin, no_aslr, no_syscalls;
	enum hw_mark_read mark_read;
	size_t vary_env, mark_capacity;
};

/* ---- symbolization of samples -------------------------------------------- */

struct symcache {
	char **path;
	struct symtab **tab;
	size_t n;
};

static struct symtab *symcache__get(struct symcache *c, const char *path, int quiet)
{
	struct symtab *t;

	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->path[i], path))
			return c->tab[i];
	if (path[0] == '[' || access(path, R_OK))
		t = NULL; /* [vdso], [anon], deleted files */
	else {
		messages_quiet(quiet);
		t = symtab__load(path);
		messages_quiet(0);
	}
	c->path = xrealloc(c->path, (c->n + 1) * sizeof(*c->path));
	c->tab = xrealloc(c->tab, (c->n + 1) * sizeof(*c->tab));
	c->path[c->n] = xstrdup(path);
	c->tab[c->n++] = t;
	return t;
}

static void symcache__free(struct symcache *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->path[i]);
		if (c->tab[i])
			symtab__free(c->tab[i]);
	}
	free(c->path);
	free(c->tab);
}


/* Region key of one sampled IP: s:<sym> in the program, s:<sym>@<dso> elsewhere. */
static char *ip_region(struct symcache *c, const struct hw_run_result *r, const char *prog, uint64_t ip)
{
	const struct hw_map *m = NULL;
	struct symtab *t;
	const struct sym *s = NULL;
	uint64_t vaddr;
	int is_prog;

	/* the last mapping wins: a later mmap replaces an earlier one */
	for (size_t i = r->n_maps; i-- > 0;)
		if (ip >= r->maps[i].start && ip - r->maps[i].start < r->maps[i].len) {
			m = &r->maps[i];
			break;
		}
	if (!m)
		return xstrdup(ip >> 63 ? "s:[kernel]" : "s:[unknown]");
	is_prog = !strcmp(m->path, prog);
	t = symcache__get(c, m->path, !is_prog);
	if (t && !symtab__vaddr_of(t, m->start, m->pgoff, ip, &vaddr))
		s = symtab__lookup(t, vaddr);
	if (is_prog)
		return xasprintf("s:%s", s ? s->name : "[unknown]");
	return xasprintf("s:%s@%s", s ? s->name : "[unknown]", path__base(m->path));
}

struct symagg {
	char *key;
	uint64_t samples, period;
};

static int cmp_symagg(const void *a, const void *b)
{
	return strcmp(((const struct symagg *)a)->key, ((const struct symagg *)b)->key);
}

/* Estimated time of samples: cpu-clock periods are nanoseconds; cycles samples share the task's time. */
static double samples_time_ns(const struct hw_run_result *r, uint64_t samples, uint64_t period, double task_ns)
{
	if (!strcmp(r->sample_event, "cpu-clock"))
		return (double)period;
	return r->samples ? task_ns * (double)samples / (double)r->samples : 0;
}

static int cmp_ip(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = ((const struct hw_ip *)b)->ip;

	return x < y ? -1 : x > y;
}

/* (marker interval, symbol) of samples, for ordering and adding up */
struct seqagg {
	int64_t seq;
	const char *key;
	uint64_t samples, period;
};

static int cmp_seqagg(const void *a, const void *b)
{
	const struct seqagg *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return strcmp(x->key, y->key);
}

/*
 * Samples per marker interval and symbol into mark_symbol: a sample belongs
 * to the last marker hit at or before its time (-1 before the first); both
 * clocks are CLOCK_MONOTONIC_RAW from the workload's exec.
 */
static int store_mark_samples(struct store *st, int64_t run_id, const struct hw_run_result *r,
			      char *const *ip_key, double task_ns)
{
	struct seqagg *a = xcalloc(r->n_sample_list ? r->n_sample_list : 1, sizeof(*a));
	size_t n = 0, m = 0;
	int rc = 0;

	for (size_t i = 0; i < r->n_sample_list; i++) {
		const struct hw_sample *s = &r->sample_list[i];
		const struct hw_ip *ip = bsearch(&s->ip, r->ips, r->n_ips, sizeof(*r->ips), cmp_ip);
		size_t lo = 0, hi = r->n_marks;

		if (!ip)
			continue;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (r->marks[mid].time_ns <= s->time_ns)
				lo = mid + 1;
			else
				hi = mid;
		}
		a[n++] = (struct seqagg){ (int64_t)lo - 1, ip_key[ip - r->ips] + 2, 1, s->period };
	}
	qsort(a, n, sizeof(*a), cmp_seqagg);
	for (size_t i = 0; i < n; i++) {
		if (m && !cmp_seqagg(&a[m - 1], &a[i])) {
			a[m - 1].samples += a[i].samples;
			a[m - 1].period += a[i].period;
		} else {
			a[m++] = a[i];
		}
	}
	for (size_t i = 0; i < m && !rc; i++) {
		double t = samples_time_ns(r, a[i].samples, a[i].period, task_ns);

		if (store__mark_symbol_set(st, run_id, a[i].seq, a[i].key, "samples", (double)a[i].samples) ||
		    (t > 0 && store__mark_symbol_set(st, run_id, a[i].seq, a[i].key, "time_ns", t)))
			rc = -1;
	}
	free(a);
	return rc;
}

static int store_samples(struct store *st, int64_t wid, int64_t run_id, struct symcache *c,
			 const struct hw_run_result *r, const char *prog, double task_ns)
{
	struct symagg *agg = xcalloc(r->n_ips ? r->n_ips : 1, sizeof(*agg));
	char **ip_key = xcalloc(r->n_ips ? r->n_ips : 1, sizeof(*ip_key));
	size_t n = 0, out = 0;
	int rc = 0;

	for (size_t i = 0; i < r->n_ips; i++) {
		ip_key[i] = ip_region(c, r, prog, r->ips[i].ip);
		agg[n].key = xstrdup(ip_key[i]);
		agg[n].samples = r->ips[i].samples;
		agg[n++].period = r->ips[i].period;
	}
	qsort(agg, n, sizeof(*agg), cmp_symagg);
	for (size_t i = 0; i < n; i++) {
		if (out && !strcmp(agg[out - 1].key, agg[i].key)) {
			agg[out - 1].samples += agg[i].samples;
			agg[out - 1].period += agg[i].period;
			free(agg[i].key);
			continue;
		}
		agg[out++] = agg[i];
	}
	for (size_t i = 0; i < out && !rc; i++) {
		int64_t region = store__region(st, wid, agg[i].key, agg[i].key + 2);
		double time_ns;

		time_ns = samples_time_ns(r, agg[i].samples, agg[i].period, task_ns);
		if (region < 0 ||
		    store__region_metric_set(st, run_id, region, "samples", (double)agg[i].samples) ||
		    (time_ns > 0 && store__region_metric_set(st, run_id, region, "time_ns", time_ns)) ||
		    (!strcmp(r->sample_event, "cycles") &&
		     store__region_metric_set(st, run_id, region, "cycles", (double)agg[i].period)))
			rc = -1;
	}
	if (!rc && r->n_marks && store_mark_samples(st, run_id, r, ip_key, task_ns))
		rc = -1;
	for (size_t i = 0; i < out; i++)
		free(agg[i].key);
	for (size_t i = 0; i < r->n_ips; i++)
		free(ip_key[i]);
	free(ip_key);
	free(agg);
	return rc;
}

/* ---- one run into the store ---------------------------------------------- */

static int group_index(const struct hw_group *g, const char *name)
{
	for (int i = 0; i < g->n; i++)
		if (!strcmp(g->ev[i]->name, name))
			return i;
	return -1;
}

static const char *const mark_read_name[] = { "rdpmc", "syscall", "time" };

/* How markers read counters, and why an event has no per-marker values. */
static void marks_json(struct json *j, const struct opts *o, const struct hw_run_result *r)
{
	int any = 0;

	json__str(j, "$.marks.read", mark_read_name[o->mark_read]);
	for (size_t m = 0; m < r->n_marks; m++)
		any |= r->marks[m].have != 0;
	json__bool(j, "$.marks.counters", any);
	if (o->mark_read == HW_MARK_READ_TIME || !r->n_marks)
		return;
	json__raw(j, "$.marks.unsupported", "{}");
	for (int e = 0; e < r->group.n; e++) {
		uint32_t bit = 1u << e;
		size_t hits = 0;
		char path[128], why[96];
		const char *reason = NULL;

		for (size_t m = 0; m < r->n_marks; m++)
			hits += (r->marks[m].have & bit) != 0;
		if (hits == r->n_marks)
			continue;
		if (o->mark_read == HW_MARK_READ_SYSCALL) {
			reason = "the group read failed";
		} else if (!(r->pmc_opened & bit)) {
			reason = "could not be opened on the task alone";
			for (int k = 0; k < r->mark_group.n_unsupported; k++)
				if (r->mark_group.unsupported[k] == r->group.ev[e])
					reason = hw_unsupported_why(r->mark_group.unsupported_errno[k], why,
								    sizeof(why));
		} else if (!(r->pmc_mapped & bit)) {
			reason = "page not mapped: the markers were hit by another task than the one counted";
		} else if (!(r->pmc_readable & bit)) {
			reason = "not readable from user space (cap_user_rdpmc 0)";
		} else if (!hits) {
			reason = "not read at any marker (not scheduled, or multiplexed without a user clock)";
		}
		if (!reason) {
			snprintf(why, sizeof(why), "read at %zu of %zu marker hits", hits, r->n_marks);
			reason = why;
		}
		snprintf(path, sizeof(path), "$.marks.unsupported.\"%s\"", r->group.ev[e]->name);
		json__str(j, path, reason);
	}
}

static char *config_json(const struct opts *o, const struct hw_machine *mach,
			 const struct hw_run_result *r, int warmup)
{
	struct json j;
	char path[128], *out;
	int multiplexed;
	double min_fraction;

	if (json__init(&j))
		return NULL;
	json__str(&j, "$.collector", "hw");
	for (int i = 0; i < r->group.n; i++) {
		snprintf(path, sizeof(path), "$.events[%d]", i);
		json__str(&j, path, r->group.ev[i]->name);
	}
	if (!r->group.n)
		json__raw(&j, "$.events", "[]");
	json__raw(&j, "$.unsupported", "{}");
	for (int i = 0; i < r->group.n_unsupported; i++) {
		char why[96];

		snprintf(path, sizeof(path), "$.unsupported.\"%s\"", r->group.unsupported[i]->name);
		json__str(&j, path, hw_unsupported_why(r->group.unsupported_errno[i], why, sizeof(why)));
	}
	if (!o->no_syscalls && r->syscall_errno)
		json__str(&j, "$.unsupported.syscalls",
			     r->syscall_why[0] ? r->syscall_why : hw_errno_name(r->syscall_errno));
	/* multiplexing: the final read and every marker read; values are scaled */
	multiplexed = hw_run_result__multiplexed(r, &min_fraction);
	json__bool(&j, "$.multiplexed", multiplexed);
	json__bool(&j, "$.scaled", multiplexed);
	if (multiplexed)
		json__num(&j, "$.running_fraction", min_fraction);
	if (r->total_ok && !r->total.counted)
		json__bool(&j, "$.group_never_scheduled", 1);
	json__bool(&j, "$.inherit", r->group.inherit);
	json__bool(&j, "$.exclude_kernel", r->group.exclude_kernel);
	json__str(&j, "$.machine.cpu_model", mach->cpu_model);
	json__str(&j, "$.machine.kernel", mach->kernel);
	json__str(&j, "$.machine.governor", mach->governor);
	if (mach->cur_khz >= 0)
		json__int(&j, "$.machine.cur_khz", mach->cur_khz);
	if (mach->max_khz >= 0)
		json__int(&j, "$.machine.max_khz", mach->max_khz);
	json__int(&j, "$.machine.perf_event_paranoid", mach->paranoid);
	json__bool(&j, "$.machine.privileged", mach->privileged);
	if (o->pin >= 0)
		json__int(&j, "$.pin", o->pin);
	else
		json__raw(&j, "$.pin", "null");
	json__str(&j, "$.aslr", o->no_aslr ? "off" : mach->aslr == 0 ? "off (system)" : "on");
	json__int(&j, "$.env_pad", (int64_t)r->env_pad);
	if (o->com.timeout_s > 0)
		json__num(&j, "$.timeout_s", o->com.timeout_s);
	json__bool(&j, "$.warmup", warmup);
	json__int(&j, "$.marks.count", (int64_t)r->n_marks);
	json__int(&j, "$.marks.dropped", (int64_t)r->marks_dropped);
	json__int(&j, "$.marks.incomplete", (int64_t)r->marks_incomplete);
	marks_json(&j, o, r);
	if (o->sample_hz > 0) {
		json__int(&j, "$.sampling.hz", o->sample_hz);
		if (r->sample_event) {
			json__str(&j, "$.sampling.event", r->sample_event);
			json__int(&j, "$.sampling.samples", (int64_t)r->samples);
			json__int(&j, "$.sampling.lost", (int64_t)r->samples_lost);
		} else {
			json__raw(&j, "$.sampling.event", "null");
		}
		if (r->sample_errno)
			json__str(&j, r->sample_event ? "$.sampling.cycles" : "$.sampling.error",
				     hw_errno_name(r->sample_errno));
	}
	/* align/ rolls samples per marker interval up to marker regions */
	if (r->sample_event && r->samples && r->n_marks)
		/* with hits dropped, the last recorded hit's interval runs on past them */
		json__int(&j, "$.mark_symbols_complete", (int64_t)r->n_marks - (r->marks_dropped > 0));
	if (!o->no_syscalls && !r->syscall_errno) {
		json__int(&j, "$.syscalls.recorded", (int64_t)r->n_sys);
		json__int(&j, "$.syscalls.lost", (int64_t)r->sys_lost);
		json__int(&j, "$.syscalls.runtime_discounted", (int64_t)r->runtime_syscalls_dropped);
	}
	if (r->exec_error[0])
		json__str(&j, "$.exec_error", r->exec_error);
	out = xstrdup(j.text);
	json__free(&j);
	return out;
}

/* (seq, nr) pairs in order */
static int cmp_pair(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Syscalls: mark_value "syscalls" (cumulative), event_count per region, run total. */
static int store_syscalls(struct store *st, int64_t run_id, const struct hw_run_result *r)
{
	int64_t *key = xmalloc((r->n_sys ? r->n_sys : 1) * 2 * sizeof(int64_t));
	size_t k = 0;
	int rc = 0;

	/* key pairs (seq, nr), seq = last marker hit at or before the call, -1 before the first */
	for (size_t i = 0; i < r->n_sys; i++) {
		int64_t seq;
		size_t lo = 0, hi = r->n_marks;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (r->marks[mid].time_ns <= r->sys[i].time_ns)
				lo = mid + 1;
			else
				hi = mid;
		}
		seq = (int64_t)lo - 1;
		key[2 * i] = seq;
		key[2 * i + 1] = r->sys[i].nr;
	}
	qsort(key, r->n_sys, 2 * sizeof(int64_t), cmp_pair);
	for (size_t i = 0; i < r->n_sys && !rc;) {
		size_t j = i;
		char detail[24];

		while (j < r->n_sys && key[2 * j] == key[2 * i] && key[2 * j + 1] == key[2 * i + 1])
			j++;
		snprintf(detail, sizeof(detail), "%lld", (long long)key[2 * i + 1]);
		if (store__event_add(st, run_id, 0, key[2 * i], "syscall", detail, (int64_t)(j - i)))
			rc = -1;
		k += j - i;
		i = j;
	}
	/* cumulative count at each marker hit */
	for (size_t m = 0, s = 0; m < r->n_marks && !rc; m++) {
		while (s < r->n_sys && r->sys[s].time_ns < r->marks[m].time_ns)
			s++;
		if (store__mark_value_add(st, run_id, (int64_t)m, "syscalls", (double)s))
			rc = -1;
	}
	if (!rc && store__run_metric_set(st, run_id, "syscalls", (double)k))
		rc = -1;
	free(key);
	return rc;
}

static int store_run(struct store *st, int64_t wid, const struct opts *o, const struct hw_machine *mach,
		     const struct hw_run_result *r, int rep, int warmup, struct symcache *sc,
		     const char *prog, int64_t *run_id_out)
{
	static const char *const status_name[] = { "ok", "failed", "timeout" };
	struct run_info ri = { 0 };
	char *cfg = config_json(o, mach, r, warmup);
	int64_t run_id;
	int ins = group_index(&r->group, "instructions"), tc = group_index(&r->group, "task-clock");
	double task_ns = (double)r->time_ns;
	int rc = -1;

	if (!cfg)
		return -1;
	ri.workload_id = wid;
	ri.platform = "hw";
	ri.config_json = cfg;
	ri.rep = rep;
	ri.status = warmup ? "warmup" : status_name[r->status];
	ri.exit_code = r->exit_code;
	ri.wall_ns = r->wall_ns;
	ri.cell = warmup ? NULL : o->com.cell;
	if (store__begin(st))
		goto out;
	run_id = store__run_add(st, &ri);
	if (run_id < 0)
		goto fail;
	*run_id_out = run_id;

	/* markers */
	for (size_t m = 0; m < r->n_marks; m++) {
		const struct hw_mark *mk = &r->marks[m];
		int64_t insns = -1;

		/* only the counters read at this hit: an unread one has no row, never a 0 */
		if (ins >= 0 && (mk->have & (1u << ins)))
			insns = (int64_t)(mk->r.value[ins] + 0.5);
		if (store__mark_add(st, run_id, (int64_t)m, mk->id, insns, mk->time_ns))
			goto fail;
		for (int e = 0; e < r->group.n; e++)
			if (e != ins && (mk->have & (1u << e)) &&
			    store__mark_value_add(st, run_id, (int64_t)m, r->group.ev[e]->metric, mk->r.value[e]))
				goto fail;
	}
	/* whole-run totals */
	if (store__run_metric_set(st, run_id, "time_ns", (double)r->time_ns) ||
	    store__run_metric_set(st, run_id, "wall_ns", (double)r->wall_ns) ||
	    store__run_metric_set(st, run_id, "max_rss_kb", (double)r->ru.ru_maxrss) ||
	    store__run_metric_set(st, run_id, "minor_faults", (double)r->ru.ru_minflt) ||
	    store__run_metric_set(st, run_id, "major_faults", (double)r->ru.ru_majflt) ||
	    store__run_metric_set(st, run_id, "vol_ctx_switches", (double)r->ru.ru_nvcsw) ||
	    store__run_metric_set(st, run_id, "invol_ctx_switches", (double)r->ru.ru_nivcsw) ||
	    store__run_metric_set(st, run_id, "user_ns",
				  (double)r->ru.ru_utime.tv_sec * 1e9 + (double)r->ru.ru_utime.tv_usec * 1e3) ||
	    store__run_metric_set(st, run_id, "sys_ns",
				  (double)r->ru.ru_stime.tv_sec * 1e9 + (double)r->ru.ru_stime.tv_usec * 1e3))
		goto fail;
	if (r->total_ok && r->total.counted) {
		for (int e = 0; e < r->group.n; e++)
			if (store__run_metric_set(st, run_id, r->group.ev[e]->metric, r->total.value[e]))
				goto fail;
		if (tc >= 0)
			task_ns = r->total.value[tc];
	}
	if (!o->no_syscalls && !r->syscall_errno && r->sys_lost == 0 && store_syscalls(st, run_id, r))
		goto fail;
	if (r->sample_event && r->samples) {
		if (store__run_metric_set(st, run_id, "samples", (double)r->samples) ||
		    store_samples(st, wid, run_id, sc, r, prog, task_ns))
			goto fail;
	}
	rc = store__commit(st);
	goto out;
fail:
	store__rollback(st);
out:
	free(cfg);
	return rc;
}

/* ---- the command --------------------------------------------------------- */

/* PROG as execvp would find it, made absolute; NULL with an error printed. */
static char *resolve_prog(const char *prog)
{
	char *found = path__search(prog);

	if (!found)
		error(strchr(prog, '/') ? "%s: %s" : "%s: command not found in PATH: %s", prog, strerror(errno));
	return found;
}


static void warn_unsupported(const struct hw_run_result *r, const struct hw_machine *mach, int syscalls)
{
	char list[512] = "";
	int eacces = 0;

	for (int i = 0; i < r->group.n_unsupported; i++) {
		size_t l = strlen(list);
		char why[96];

		snprintf(list + l, sizeof(list) - l, "%s%s (%s)", l ? ", " : "", r->group.unsupported[i]->name,
			 hw_unsupported_why(r->group.unsupported_errno[i], why, sizeof(why)));
		eacces |= r->group.unsupported_errno[i] == EACCES || r->group.unsupported_errno[i] == EPERM;
	}
	if (list[0])
		warning("not countable here, recorded as unsupported (not as 0): %s", list);
	if (syscalls && r->syscall_errno) {
		warning("system calls not traced, recorded as unsupported (raw_syscalls:sys_enter: %s)",
			r->syscall_why[0] ? r->syscall_why : hw_errno_name(r->syscall_errno));
		eacces |= r->syscall_errno == EACCES || r->syscall_errno == EPERM;
	}
	if (r->group.exclude_kernel)
		warning("counting user space only: kernel.perf_event_paranoid=%d forbids kernel counting to this user",
			mach->paranoid);
	if (eacces && !mach->privileged)
		warning("kernel.perf_event_paranoid=%d: run as root (or with CAP_PERFMON) or lower it with "
			"'sysctl kernel.perf_event_paranoid=-1' for the refused events", mach->paranoid);
}

/* Counters of the group that no marker hit could read without a system call. */
static void warn_unread(const struct hw_run_result *r, enum hw_mark_read mode)
{
	char list[512] = "";

	if (mode != HW_MARK_READ_RDPMC || !r->n_marks)
		return;
	for (int e = 0; e < r->group.n; e++) {
		size_t l = strlen(list), hits = 0;

		for (size_t m = 0; m < r->n_marks; m++)
			hits += (r->marks[m].have >> e) & 1;
		if (!hits)
			snprintf(list + l, sizeof(list) - l, "%s%s", l ? ", " : "", r->group.ev[e]->name);
	}
	if (list[0])
		warning("per-marker values not readable without a system call (none stored; whole-run totals "
			"are): %s; --mark-read syscall reads them at one system call per hit", list);
}

/*
 * --list-events: every event --events knows, its store metric, and whether
 * this process may count it here (opened alone on itself, as a run would
 * open it on the workload: user space only if the paranoid level demands),
 * with the reason config_json would record; then system call tracing.
 */
static void list_events(void)
{
	char why[160];

	/* NAME METRIC supported | NAME METRIC unsupported: WHY */
	for (size_t i = 0; hw_event__at(i); i++) {
		const struct hw_event *e = hw_event__at(i);
		struct hw_group g;

		if (hw_group__open(&g, 0, &e, 1) == 1)
			snprintf(why, sizeof(why), "supported");
		else if (g.n_unsupported == 1)
			hw_unsupported_why(g.unsupported_errno[0], why, sizeof(why));
		else
			snprintf(why, sizeof(why), "EUNKNOWN");
		hw_group__close(&g);
		printf("%-24s %-24s %s%s\n", e->name, e->metric, strcmp(why, "supported") ? "unsupported: " : "", why);
	}
	if (hw_syscalls__probe(why, sizeof(why)))
		printf("%-24s %-24s unsupported: %s\n", "syscalls", "syscalls", why);
	else
		printf("%-24s %-24s supported\n", "syscalls", "syscalls");
}

int cmd_collect_hw(int argc, char **argv)
{
	static const struct option longopts[] = {
		COLLECT_COMMON_OPTIONS,
		{ "warmup", required_argument, NULL, 'w' },
		{ "pin", required_argument, NULL, 'p' },      { "events", required_argument, NULL, 'e' },
		{ "sample", required_argument, NULL, 's' },   { "no-aslr", no_argument, NULL, 'A' },
		{ "vary-env", required_argument, NULL, 'v' }, { "no-syscalls", no_argument, NULL, 'S' },
		{ "mark-capacity", required_argument, NULL, 'm' },
		{ "mark-time-only", no_argument, NULL, 'M' }, { "mark-read", required_argument, NULL, 'k' },
		{ "list-events", no_argument, NULL, 'L' },    { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .pin = -1, .mark_capacity = 1 << 17 };
	const struct hw_event *ev[HW_MAX_EVENTS];
	struct symcache sc = { 0 };
	struct hw_machine mach;
	struct store *st = NULL;
	char *prog = NULL, *aj = NULL, **pargv;
	const char *arch = NULL, *elf = NULL;
	struct symtab *main_tab = NULL;
	int n_ev = 0, c, failures = 0, rc = EXIT_OK;
	int64_t wid;

	if (cmd_wants_help(argc, argv))
		cmd_usage(usage_text, EXIT_OK);
	collect_common__init(&o.com);
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (collect_common__opt(&o.com, c, optarg))
			continue;
		switch (c) {
		case 'e': o.events = optarg; break;
		case 'A': o.no_aslr = 1; break;
		case 'S': o.no_syscalls = 1; break;
		case 'M': o.mark_read = HW_MARK_READ_TIME; break;
		case 'k':
			if (!strcmp(optarg, "rdpmc"))
				o.mark_read = HW_MARK_READ_RDPMC;
			else if (!strcmp(optarg, "syscall"))
				o.mark_read = HW_MARK_READ_SYSCALL;
			else if (!strcmp(optarg, "time"))
				o.mark_read = HW_MARK_READ_TIME;
			else
				usage_die("--mark-read: expected rdpmc, syscall or time, got '%s'", optarg);
			break;
		case 'L':
			list_events();
			return stdout_flush_check() ? EXIT_FINDINGS : EXIT_OK;
		case 'w': o.warmup = cmd_opt_int("warmup", optarg, 0); break;
		case 'p': o.pin = cmd_opt_int("pin", optarg, 0); break;
		case 's': o.sample_hz = cmd_opt_int("sample", optarg, 0); break;
		case 'v': o.vary_env = (size_t)cmd_opt_int("vary-env", optarg, 0); break;
		case 'm': o.mark_capacity = (size_t)cmd_opt_int("mark-capacity", optarg, 0); break;
		default:
			cmd_usage(usage_text, EXIT_BADINPUT);
		}
	}
	if (optind >= argc)
		usage_die("collect hw: no program given (emudiff collect hw [options] -- PROG ARGS)");
	collect_common__check(&o.com, "collect hw");
	if (o.pin >= 0 && o.pin >= sysconf(_SC_NPROCESSORS_CONF))
		usage_die("--pin: no CPU %d on this machine", o.pin);
	if (hw_event__parse_list(o.events ? o.events : hw_default_events, ev, &n_ev))
		return EXIT_BADINPUT;
	pargv = argv + optind;
	prog = resolve_prog(pargv[0]);
	if (!prog)
		return EXIT_BADINPUT;

	/* the program's symbols (and architecture) when it is an ELF file */
	{
		FILE *f = fopen(prog, "rb");
		unsigned char magic[4] = { 0 };

		if (f) {
			if (fread(magic, 1, 4, f) != 4)
				magic[0] = 0;
			fclose(f);
		}
		if (!memcmp(magic, "\177ELF", 4)) {
			main_tab = symcache__get(&sc, prog, 0);
			if (main_tab) {
				arch = symtab__arch(main_tab);
				elf = prog;
			}
		}
		if (!arch) {
			static struct utsname u;

			arch = uname(&u) ? "unknown" : u.machine;
		}
	}
	hw_machine__probe(&mach, o.pin);
	st = store__open(o.com.db, STORE_CREATE);
	if (!st) {
		rc = EXIT_BADINPUT;
		goto out;
	}
	aj = json__argv(argc - optind, pargv);
	wid = store__workload(st, o.com.name ? o.com.name : path__base(pargv[0]), arch, elf, aj);
	if (wid < 0) {
		rc = EXIT_FINDINGS;
		goto out;
	}
	for (int i = 0; i < o.warmup + o.com.reps; i++) {
		int warmup = i < o.warmup;
		int rep = warmup ? i - o.warmup : o.com.rep + (i - o.warmup);
		struct hw_run_opts ro = {
			.argv = pargv, .ev = ev, .n_ev = n_ev, .pin_cpu = o.pin, .no_aslr = o.no_aslr,
			.env_pad = o.vary_env * (size_t)(rep > 0 ? rep : 0), .timeout_s = o.com.timeout_s,
			.sample_hz = o.sample_hz, .syscalls = !o.no_syscalls, .mark_capacity = o.mark_capacity,
			.mark_read = o.mark_read,
		};
		struct hw_run_result r;
		int64_t run_id = -1;

		if (hw_run(&ro, &r)) {
			rc = EXIT_FINDINGS;
			break;
		}
		if (i == 0) {
			warn_unsupported(&r, &mach, !o.no_syscalls);
			warn_unread(&r, o.mark_read);
		}
		if (r.exec_error[0])
			warning("%s", r.exec_error);
		if (r.marks_dropped)
			warning("%llu marker hits dropped: the buffer holds %zu (raise --mark-capacity)",
				(unsigned long long)r.marks_dropped, o.mark_capacity);
		if (r.sys_lost)
			warning("%llu system call records lost: syscalls not stored for this run",
				(unsigned long long)r.sys_lost);
		if (store_run(st, wid, &o, &mach, &r, rep, warmup, &sc, prog, &run_id)) {
			hw_run_result__free(&r);
			rc = EXIT_FINDINGS;
			break;
		}
		if (!warmup && r.status != HW_OK)
			failures++;
		printf("run %lld: hw %s rep %d: %s, exit %d, %zu marks, %.3f s\n", (long long)run_id,
		       o.com.name ? o.com.name : path__base(pargv[0]), rep,
		       warmup ? "warmup" : r.status == HW_OK ? "ok" : r.status == HW_FAILED ? "failed" : "timeout",
		       r.exit_code, r.n_marks, (double)r.time_ns / 1e9);
		hw_run_result__free(&r);
	}
	if (rc == EXIT_OK && failures && o.com.fail_on_error)
		rc = EXIT_FINDINGS;
	if (stdout_flush_check() && rc == EXIT_OK)
		rc = EXIT_FINDINGS;
out:
	if (st)
		store__close(st);
	symcache__free(&sc);
	free(aj);
	free(prog);
	return rc;
}
