/*
 * cmd_collect_hw_kvm.c - `emudiff collect hw-kvm`: a guest under KVM, seen
 * from the host. The VMM command (QEMU with -accel kvm, kvmtool, Firecracker,
 * crosvm...) is started and measured as a whole:
 *  - guest-only counters of the VMM process (exclude_host: while vCPUs run
 *    guest code), inherited by its vCPU threads;
 *  - VM exits by reason, sampled from KVM's exit tracepoints (kvm:kvm_exit,
 *    whose layout differs on x86 and riscv64, and kvm:kvm_userspace_exit);
 *  - marker lines `@emudiff mark ...` of the guest's serial console (the
 *    freestanding emudiff/mark.h), from the VMM's stdout or --serial-log;
 *  - with --parse cyclictest, the cyclictest output the guest framed on that
 *    console, as latency samples (collect/console_cyclictest.c).
 * What the machine cannot give (no /dev/kvm, no tracepoint, no hardware
 * counters) is recorded as unsupported in config_json, never as zero.
 * The collector is library code (collect/kvm_*.c, collect.h); this file turns
 * the options into its calls.
 */
#include "cmd.h"
#include "collect.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: emudiff collect hw-kvm [options] -- VMM-COMMAND [ARGS...]\n"
	"\n"
	"  --db F               results store (default $EMUDIFF_DB or emudiff.db)\n"
	"  --name W             workload name (default: the VMM's basename)\n"
	"  --reps N             invocations (default 1)\n"
	"  --rep R              repetition number of the first run (default 0)\n"
	"  --cell KEY           study cell key (only with --reps 1)\n"
	"  --timeout SEC        kill an invocation after SEC seconds (a 'timeout' run)\n"
	"  --fail-on-error      exit 1 when a run failed or timed out\n"
	"  --serial-log FILE    the guest console is FILE, written by the VMM\n"
	"                       (e.g. -serial file:FILE); default: the VMM's stdout\n"
	"  --timebase-hz HZ     frequency of the guest's time CSR (default 10000000)\n"
	"  --events LIST        guest-only counters (default cycles,instructions)\n"
	"  --exit-event SYS:EV[/FIELD]  exit tracepoint to sample, repeatable\n"
	"                       (default kvm:kvm_exit and kvm:kvm_userspace_exit;\n"
	"                       FIELD: decode that numeric field as the reason)\n"
	"  --tracefs DIR        tracefs mount (default /sys/kernel/tracing)\n"
	"  --boot-console STR   store boot_ns: the time from starting the VMM until STR\n"
	"                       appears on the guest's console (the run goes on)\n"
	"  --parse FORMAT       the guest's output framed on its console ('@emudiff\n"
	"                       cyclictest begin' ... 'end exit=N lines=N') is a measurement\n"
	"                       too, stored in the run: cyclictest (its histogram as latency\n"
	"                       samples), cyclictest-nsecs (with -N)\n"
	"  --stage NAME=REGEX   a boot stage of one's own, repeatable: the first console\n"
	"                       line matching REGEX (POSIX extended) gives boot_NAME_ns,\n"
	"                       ns from the VMM's start; the known stages (spl, opensbi,\n"
	"                       uboot, linux, init) are always looked for\n"
	"  --dry-run            say what would be measured on this machine, run nothing\n";

struct kvm_cmd {
	struct collect_common com;
	struct kvm_opts kvm;
	struct driver_opts drv; /* --driver: the guest is a server */
	struct output_parse parse; /* --parse */
	const char *events;
	const struct hw_event *ev[HW_MAX_EVENTS];
	int dry_run;
	char *stage[BOOT_STAGE_MAX];
	size_t n_stage;
};

/* The options only this collector takes; 0 when c is not one of them. */
static int kvm_opt(struct kvm_cmd *c, int opt, char *arg)
{
	struct kvm_opts *o = &c->kvm;

	switch (opt) {
	case 's': o->serial_log = arg; break;
	case 'e': c->events = arg; break;
	case 'T': o->tracefs = arg; break;
	case 'D': c->dry_run = 1; break;
	case OPT_BOOT_CONSOLE: o->boot_console = collect_boot_console__opt(arg); break;
	case OPT_PARSE:
		collect_parse__opt(&c->parse, arg);
		o->parse = &c->parse;
		break;
	case 'S':
		if (c->n_stage == BOOT_STAGE_MAX)
			usage_die("--stage: at most %d", BOOT_STAGE_MAX);
		c->stage[c->n_stage++] = arg;
		break;
	case 'b':
		if (parse_double(arg, &o->timebase_hz) || o->timebase_hz <= 0)
			usage_die("--timebase-hz: '%s' is not a positive frequency", arg);
		break;
	case 'x':
		if (o->n_exit_events == KVM_MAX_EXIT_EVENTS)
			usage_die("--exit-event: at most %d", KVM_MAX_EXIT_EVENTS);
		o->exit_events[o->n_exit_events++] = arg;
		break;
	default:
		return 0;
	}
	return 1;
}

static void parse_opts(int argc, char **argv, struct kvm_cmd *c)
{
	static const struct option longopts[] = {
		COLLECT_COMMON_OPTIONS,
		COLLECT_DRIVER_OPTIONS,
		COLLECT_BOOT_CONSOLE_OPTION,
		COLLECT_PARSE_OPTION,
		{ "serial-log", required_argument, NULL, 's' },
		{ "timebase-hz", required_argument, NULL, 'b' },
		{ "events", required_argument, NULL, 'e' },
		{ "exit-event", required_argument, NULL, 'x' },
		{ "tracefs", required_argument, NULL, 'T' },
		{ "dry-run", no_argument, NULL, 'D' },
		{ "stage", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kvm_opts *o = &c->kvm;
	int opt;

	memset(c, 0, sizeof(*c));
	collect_common__init(&c->com);
	collect_driver__init(&c->drv);
	o->timebase_hz = 10e6;
	c->events = "cycles,instructions";
	optind = 1;
	while ((opt = cmd_getopt(argc, argv, "+h", longopts)) != -1) {
		if (collect_common__opt(&c->com, opt, optarg) || collect_driver__opt(&c->drv, opt, optarg) ||
		    kvm_opt(c, opt, optarg))
			continue;
		if (opt == 'h') {
			fputs(usage_text, stdout);
			cmd_usage(collect_driver_usage, 0);
		}
		cmd_usage(usage_text, EXIT_BADINPUT);
	}
	if (optind >= argc && !c->dry_run)
		usage_die("collect hw-kvm: no VMM command given (after --)");
	collect_common__check(&c->com, "collect hw-kvm");
	o->driver = collect_driver__check(&c->drv, 1);
	if (o->parse && o->driver)
		usage_die("--parse and --driver do not go together (a guest measures itself, or is a server)");
	o->argv = argv + optind;
	if (!o->n_exit_events) {
		o->exit_events[o->n_exit_events++] = "kvm:kvm_exit";
		o->exit_events[o->n_exit_events++] = "kvm:kvm_userspace_exit";
	}
	if (!o->tracefs)
		o->tracefs = kvm_default_tracefs();
	o->timeout_s = c->com.timeout_s;
	o->cell = c->com.cell;
	/* the workload is the VMM's basename unless named */
	o->name = c->com.name ? c->com.name : o->argv[0] ? path__base(o->argv[0]) : NULL;
	o->dev_kvm = access("/dev/kvm", F_OK) == 0;
}

/* One invocation, run and stored: 0 with *bad set when the run was not ok,
 * -1 on a failure of the collector (error printed). */
static int collect_one(struct store *s, const struct kvm_opts *o, int *bad)
{
	struct kvm_run r;
	size_t n_marks;
	int64_t run_id = -1;

	/* a missing driver or a busy port is bad input: nothing runs */
	if (o->driver && driver__check(o->driver))
		return -1;
	if (!kvm_run(o, &r)) {
		if (r.exec_error[0])
			error("%s", r.exec_error);
		else if (r.message[0])
			warning("the VMM failed (%s): %s", r.why, r.message);
		run_id = kvm_ingest(s, o, kvm_guest_arch(o->dev_kvm), &r, &n_marks);
	}
	if (run_id >= 0) {
		note("%s run %lld: %s, %zu marks, wall %.3f s", platform__name(PLAT_HW_KVM), (long long)run_id,
		     run_status__name(r.status),
		     n_marks, (double)r.wall_ns / 1e9);
		*bad |= r.status != RUN_OK;
	}
	kvm_run__free(&r);
	return run_id < 0 ? -1 : 0;
}

int cmd_collect_hw_kvm(int argc, char **argv)
{
	struct kvm_cmd c;
	struct kvm_opts *o = &c.kvm;
	struct boot_stages bs;
	int any_bad = 0, ret = EXIT_OK;
	struct store *s;

	parse_opts(argc, argv, &c);
	if (hw_event__parse_list(c.events, c.ev, &o->n_ev))
		return EXIT_BADINPUT;
	o->ev = c.ev;
	if (c.dry_run)
		return kvm_dry_run(o);
	if (boot_stages__init(&bs, c.stage, c.n_stage, NULL))
		return EXIT_BADINPUT;
	o->stages = &bs;
	if (!o->dev_kvm)
		warning("no /dev/kvm: the VMM runs without KVM; exits are recorded as measured (none expected)");
	s = store__open(c.com.db, STORE_CREATE);
	if (!s) {
		boot_stages__free(&bs);
		return EXIT_BADINPUT;
	}
	for (int k = 0; k < c.com.reps && ret == EXIT_OK; k++) {
		o->rep = c.com.rep + k;
		if (collect_one(s, o, &any_bad))
			ret = EXIT_BADINPUT;
	}
	store__close(s);
	boot_stages__free(&bs);
	if (ret == EXIT_OK && any_bad && c.com.fail_on_error)
		ret = EXIT_FINDINGS;
	if (stdout_flush_check() && ret == EXIT_OK)
		ret = EXIT_FINDINGS;
	return ret;
}
