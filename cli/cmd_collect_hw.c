/*
 * cmd_collect_hw.c - "emudiff collect hw": run a workload natively with
 * perf_event_open counters, the marker runtime, sampling and syscall
 * tracing (hw_run() measures, collect/'s hw_ingest() stores each invocation
 * as one `hw` run).
 */
#include "cmd.h"
#include "common.h"
#include "collect.h"
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
	struct driver_opts drv;            /* --driver: the workload is a server */
	const struct driver_opts *driver; /* &drv when given, else NULL */
};

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

		if (hw_group__open(&g, 0, &e, 1, 0) == 1)
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

static void parse_opts(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		COLLECT_COMMON_OPTIONS,
		COLLECT_DRIVER_OPTIONS,
		{ "warmup", required_argument, NULL, 'w' },
		{ "pin", required_argument, NULL, 'p' },      { "events", required_argument, NULL, 'e' },
		{ "sample", required_argument, NULL, 's' },   { "no-aslr", no_argument, NULL, 'A' },
		{ "vary-env", required_argument, NULL, 'v' }, { "no-syscalls", no_argument, NULL, 'S' },
		{ "mark-capacity", required_argument, NULL, 'm' },
		{ "mark-time-only", no_argument, NULL, 'M' }, { "mark-read", required_argument, NULL, 'k' },
		{ "list-events", no_argument, NULL, 'L' },    { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	collect_common__init(&o->com);
	collect_driver__init(&o->drv);
	optind = 1;
	while ((c = cmd_getopt(argc, argv, "+h", longopts)) != -1) {
		if (collect_common__opt(&o->com, c, optarg) || collect_driver__opt(&o->drv, c, optarg))
			continue;
		switch (c) {
		case 'e': o->events = optarg; break;
		case 'A': o->no_aslr = 1; break;
		case 'S': o->no_syscalls = 1; break;
		case 'M': o->mark_read = HW_MARK_READ_TIME; break;
		case 'k':
			if (!strcmp(optarg, "rdpmc"))
				o->mark_read = HW_MARK_READ_RDPMC;
			else if (!strcmp(optarg, "syscall"))
				o->mark_read = HW_MARK_READ_SYSCALL;
			else if (!strcmp(optarg, "time"))
				o->mark_read = HW_MARK_READ_TIME;
			else
				usage_die("--mark-read: expected rdpmc, syscall or time, got '%s'", optarg);
			break;
		case 'L':
			list_events();
			exit(stdout_flush_check() ? EXIT_FINDINGS : EXIT_OK);
		case 'w': o->warmup = cmd_opt_int("warmup", optarg, 0); break;
		case 'p': o->pin = cmd_opt_int("pin", optarg, 0); break;
		case 's': o->sample_hz = cmd_opt_int("sample", optarg, 0); break;
		case 'v': o->vary_env = (size_t)cmd_opt_int("vary-env", optarg, 0); break;
		case 'm': o->mark_capacity = (size_t)cmd_opt_int("mark-capacity", optarg, 0); break;
		default:
			cmd_usage(usage_text, EXIT_BADINPUT);
		}
	}
	if (optind >= argc)
		usage_die("collect hw: no program given (emudiff collect hw [options] -- PROG ARGS)");
	collect_common__check(&o->com, "collect hw");
	o->driver = collect_driver__check(&o->drv, 0);
	if (o->pin >= 0 && o->pin >= sysconf(_SC_NPROCESSORS_CONF))
		usage_die("--pin: no CPU %d on this machine", o->pin);
}

/* An ELF for another machine would be handed to /bin/sh by execvp and
 * stored as failed runs: refused before anything runs or is stored. */
static int check_machine(const char *prog)
{
	struct elf_probe ep;

	if (elf__probe(prog, &ep))
		return -1;
	if (ep.is_elf && strcmp(ep.machine, elf__host_machine()))
		return error("%s: an ELF for %s, this machine is %s: collect hw runs programs natively "
			     "(collect qemu emulates it)", prog, ep.machine, elf__host_machine());
	return 0;
}

/* The program's symbols (and architecture) when it is an ELF file: the
 * workload's elf_path is then the program; else the machine's architecture. */
static void program_facts(struct hw_ingest *in, const char *prog)
{
	FILE *f = fopen(prog, "rb");
	unsigned char magic[4] = { 0 };
	struct symtab *tab;

	if (f) {
		if (fread(magic, 1, 4, f) != 4)
			magic[0] = 0;
		fclose(f);
	}
	if (!memcmp(magic, "\177ELF", 4) && (tab = hw_symcache__get(in->syms, prog, 0))) {
		in->workload.arch = symtab__arch(tab);
		in->workload.elf_path = prog;
	}
	if (!in->workload.arch) {
		static struct utsname u;

		in->workload.arch = uname(&u) ? "unknown" : u.machine;
	}
}

/* What a run's result deserves a warning for; the first run also says what is not countable here. */
static void warn_run(const struct hw_run_result *r, const struct opts *o, const struct hw_machine *mach,
		     int first)
{
	if (first) {
		warn_unsupported(r, mach, !o->no_syscalls);
		warn_unread(r, o->mark_read);
	}
	if (!r->thread_totals && r->threads_why[0] && (first || r->thread_records_lost))
		warning("per-thread totals not stored: %s", r->threads_why);
	if (r->exec_error[0])
		warning("%s", r->exec_error);
	if (r->marks_dropped)
		warning("%llu marker hits dropped: the buffer holds %zu (raise --mark-capacity)",
			(unsigned long long)r->marks_dropped, o->mark_capacity);
	if (r->sys_lost)
		warning("%llu system call records lost: syscalls not stored for this run",
			(unsigned long long)r->sys_lost);
}

static int drive(void *arg, struct proc *server, int cap_ms)
{
	/* the server, in a group of its own, did not get the signal */
	if (proc__interrupted())
		proc__stop(server);
	return driver__step(arg, server, cap_ms);
}

/* Warm-ups, then the measured invocations, each run and stored; the number of
 * measured ones that failed or timed out, or -1 when the collector failed.
 * drv: the load driver's state, the caller's (in and ro keep pointers to it). */
static int run_all(struct store *st, const struct opts *o, struct hw_ingest *in, struct hw_run_opts *ro,
		   struct driver *drv)
{
	int failures = 0;
	char why[200];

	if (o->driver) {
		ro->tick = drive;
		ro->tick_arg = drv;
		in->driver = drv;
	}
	for (int i = 0; i < o->warmup + o->com.reps; i++) {
		struct hw_run_result r;
		int64_t run_id;

		in->warmup = i < o->warmup;
		in->rep = in->warmup ? i - o->warmup : o->com.rep + (i - o->warmup);
		ro->env_pad = o->vary_env * (size_t)(in->rep > 0 ? in->rep : 0);
		if (o->driver && driver__check(o->driver))
			return -1;
		if (o->driver)
			driver__begin(drv, o->driver);
		if (hw_run(ro, &r)) {
			if (o->driver)
				driver__free(drv);
			return -1;
		}
		if (o->driver) {
			int status = (int)r.status;

			driver__conclude(drv, &r.proc, &status, why, sizeof(why));
			r.status = (enum run_status)status;
			if (proc__interrupted()) {
				warning("interrupted: run %d not stored", in->rep);
				hw_run_result__free(&r);
				driver__free(drv);
				return -1;
			}
			if (why[0])
				warning("run %d: %s", in->rep, why);
		}
		warn_run(&r, o, in->machine, i == 0);
		run_id = hw_ingest(st, in, &r);
		if (o->driver)
			driver__free(drv);
		if (run_id < 0) {
			hw_run_result__free(&r);
			return -1;
		}
		if (!in->warmup && r.status != RUN_OK)
			failures++;
		note("run %lld: hw %s rep %d: %s, exit %d, %zu marks, %zu threads, %.3f s", (long long)run_id,
		     in->workload.name, in->rep, run_status__name(in->warmup ? RUN_WARMUP : (int)r.status),
		     r.exit_code, r.n_marks, r.n_threads, (double)r.time_ns / 1e9);
		hw_run_result__free(&r);
	}
	return failures;
}

int cmd_collect_hw(int argc, char **argv)
{
	struct opts o = { .pin = -1, .mark_capacity = 1 << 17 };
	const struct hw_event *ev[HW_MAX_EVENTS];
	struct hw_symcache sc = { 0 };
	struct hw_machine mach;
	struct store *st = NULL;
	char *prog, *aj = NULL, **pargv;
	int n_ev = 0, failures, rc = EXIT_OK;

	if (cmd_wants_help(argc, argv)) {
		fputs(usage_text, stdout);
		cmd_usage(collect_driver_usage, EXIT_OK);
	}
	parse_opts(&o, argc, argv);
	if (hw_event__parse_list(o.events ? o.events : hw_default_events, ev, &n_ev))
		return EXIT_BADINPUT;
	pargv = argv + optind;
	prog = resolve_prog(pargv[0]);
	/* a missing driver or a busy port is bad input, like a missing program */
	if (!prog || check_machine(prog) || (o.driver && driver__check(o.driver))) {
		free(prog);
		return EXIT_BADINPUT;
	}
	aj = json__argv(argc - optind, pargv);
	{
		struct hw_run_opts ro = {
			.argv = pargv, .ev = ev, .n_ev = n_ev, .pin_cpu = o.pin, .no_aslr = o.no_aslr,
			.timeout_s = o.com.timeout_s, .sample_hz = o.sample_hz, .syscalls = !o.no_syscalls,
			.mark_capacity = o.mark_capacity, .mark_read = o.mark_read,
		};
		struct driver drv;
		struct hw_ingest in = {
			.workload = { o.com.name ? o.com.name : path__base(pargv[0]), NULL, NULL, aj },
			.prog = prog, .opts = &ro, .machine = &mach, .cell = o.com.cell, .syms = &sc,
		};

		program_facts(&in, prog);
		hw_machine__probe(&mach, o.pin);
		st = store__open(o.com.db, STORE_CREATE);
		if (!st) {
			rc = EXIT_BADINPUT;
			goto out;
		}
		if (o.driver)
			proc__catch_interrupts();
		failures = run_all(st, &o, &in, &ro, &drv);
	}
	if (proc__interrupted()) {
		store__close(st);
		hw_symcache__free(&sc);
		free(aj);
		free(prog);
		return cmd_die_of_signal(proc__interrupted());
	}
	if (failures < 0)
		rc = EXIT_FINDINGS;
	else if (failures && o.com.fail_on_error)
		rc = EXIT_FINDINGS;
	if (stdout_flush_check() && rc == EXIT_OK)
		rc = EXIT_FINDINGS;
out:
	store__close(st);
	hw_symcache__free(&sc);
	free(aj);
	free(prog);
	return rc;
}
