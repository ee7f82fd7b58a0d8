/*
 * cmd_collect_qemu.c - `emudiff collect qemu`: run a workload under QEMU TCG
 * with emudiff's plugin (qemu-plugins/libemudiff-qemu.so) and ingest the
 * plugin's output file (format: qemu_output.h) into the store, one
 * transaction per run. The work is collect/'s (qemu_*.c); this file turns
 * the options into those calls.
 *
 * User mode: `-- PROG ARGS`; qemu-riscv64 or qemu-x86_64 is chosen from the
 * ELF's machine. System mode (--system): `-- [QEMU-BINARY] QEMU-ARGS`,
 * passed verbatim, with the guest kernel given by --elf for symbols, trap
 * vectors and the architecture; the plugin's -plugin argument is appended.
 *
 * A guest that forks makes QEMU fork: each child writes FILE.<pid> next to
 * the plugin's FILE (qemu_output.h). Those are read with FILE, and their
 * instruction totals stored as the run metrics children and insns_children;
 * regions, marks and events stay the parent's.
 *
 * Threads and vCPUs are counted apart (format 4). A program that can start
 * threads (or --threads) gets the plugin option threads=on, which the API 1
 * build (QEMU 7.2) needs to count them exactly; -smp N is accepted up to
 * the plugin's maximum.
 *
 * --parse cyclictest: the program's stdout is a measurement too (what
 * `import cyclictest --run --platform qemu-user` runs): copied through as it
 * comes, parsed once the program ended, its histogram stored as latency
 * samples of the same run as the plugin's counts. With --system, the
 * output a guest framed on its console (collect/console_cyclictest.c).
 */
#include "align.h"
#include "cmd.h"
#include "collect.h"
#include "plugin_keys.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: emudiff collect qemu [options] -- PROG [ARGS...]\n"
	"       emudiff collect qemu [options] --system --elf KERNEL -- [QEMU-BINARY] QEMU-ARGS...\n"
	"\n"
	"  --db F               results store (default $EMUDIFF_DB or emudiff.db)\n"
	"  --name W             workload name (default: basename of PROG or of --elf)\n"
	"  --reps N             invocations (default 1)\n"
	"  --rep R              repetition number of the first run (default 0)\n"
	"  --cell KEY           study cell key (only with --reps 1)\n"
	"  --timeout SEC        stop an invocation after SEC seconds (a 'timeout' run)\n"
	"  --fail-on-error      exit 1 when a run failed or timed out\n"
	"  --plugin-opt K=V     plugin option, repeatable (mode=exact, mem=on, mix=on,\n"
	"                       marksyms=off, marksyms_limit=N, threads=on|off...)\n"
	"  --threads            user mode: count threads exactly with a QEMU of plugin\n"
	"                       API 1 (7.2; threads=on: a callback per block); the\n"
	"                       default when PROG can start threads (pthread_create,\n"
	"                       clone, clone3 in its symbol tables or, referenced, in\n"
	"                       a library it needs)\n"
	"  --parse FORMAT       PROG's stdout (passed through) is a measurement too, stored\n"
	"                       in the run: cyclictest (its histogram as latency samples),\n"
	"                       cyclictest-nsecs (with -N); with --system the guest's\n"
	"                       output framed on its console ('@emudiff cyclictest begin'\n"
	"                       ... 'end exit=N lines=N', docs/servers.md)\n"
	"  --sysroot DIR        user mode: where a dynamically linked program of another\n"
	"                       machine finds its loader and libraries (QEMU's -L; default\n"
	"                       $QEMU_LD_PREFIX, else Debian's /usr/<arch>-linux-gnu)\n"
	"  --qemu PATH          QEMU binary (default qemu-riscv64/qemu-x86_64 by the ELF,\n"
	"                       qemu-system-<arch> with --system)\n"
	"  --system             system emulation: QEMU's arguments follow --\n"
	"  --elf KERNEL         the guest kernel ELF (symbols, trap vectors, arch)\n"
	"  --trapvec ADDR|SYM[@hs|@vs]\n"
	"                       a trap vector, repeatable (default: well-known handler\n"
	"                       symbols of --elf, see docs/plugin.md); @hs: the host's\n"
	"                       (hypervisor's) vector, @vs: a guest's (VS-mode) vector\n"
	"  --guest LO-HI|SYM    the guest's code: [LO, HI) (addresses or symbols) or a\n"
	"                       function symbol's extent; repeatable: an @hs entry\n"
	"                       after guest code ran is a vm_exit\n"
	"  --until-console STR  system mode: stop when STR appears on the console\n"
	"                       (QEMU's stdout: -nographic or -serial stdio)\n"
	"  --boot-console STR   system mode: store boot_ns, the time from starting QEMU\n"
	"                       until STR appears on the console (the run goes on)\n"
	"  --stage NAME=REGEX   system mode: a boot stage of one's own, repeatable: the\n"
	"                       first console line matching REGEX (POSIX extended) gives\n"
	"                       boot_NAME_ns, host ns from QEMU's start; the known stages\n"
	"                       (spl, opensbi, uboot, linux, init) are always looked for\n"
	"  --ingest FILE        store an existing plugin output file, run nothing\n";

#define MAX_PLUGIN_OPTS 32

struct qemu_opts {
	struct collect_common com;
	const char *qemu, *elf, *until_console, *boot_console, *ingest, *sysroot;
	int system, threads;
	struct output_parse parse; /* --parse; format NULL: none */
	const char *plugin_opts[MAX_PLUGIN_OPTS];
	int n_plugin_opts;
	const char *trapvec[MAX_TRAPVEC];
	int n_trapvec;
	const char *guest[MAX_GUEST_RANGES];
	int n_guest;
	char *stage[BOOT_STAGE_MAX];
	size_t n_stage;
	char **argv; /* after -- */
	int argc;
	struct driver_opts drv; /* --driver: the workload is a server */
};

/* ---- options ---- */

static void add_plugin_opt(struct qemu_opts *o, const char *kv)
{
	if (!strchr(kv, '=') || strchr(kv, ','))
		usage_die("--plugin-opt: '%s' is not KEY=VALUE (without commas)", kv);
	if (!strncmp(kv, "out=", 4))
		usage_die("--plugin-opt: out= is chosen by the collector");
	if (qemu_plugin_opt__check(kv))
		usage_die("--plugin-opt %s: %s", kv, qemu_plugin_opt__check(kv));
	if (o->n_plugin_opts == MAX_PLUGIN_OPTS)
		usage_die("--plugin-opt: at most %d", MAX_PLUGIN_OPTS);
	o->plugin_opts[o->n_plugin_opts++] = kv;
}

/* Checks between the options, after they are all read. */
static void check_opts(const struct qemu_opts *o)
{
	if (!o->ingest && o->argc < 1)
		usage_die("collect qemu: nothing to run (give PROG, or QEMU's arguments with --system, after --)");
	collect_common__check(&o->com, "collect qemu");
	if ((o->until_console || o->boot_console) && !o->system)
		usage_die("--%s needs --system", o->until_console ? "until-console" : "boot-console");
	if (o->n_stage && !o->system)
		usage_die("--stage needs --system (boot stages are read from the console)");
	if (o->ingest && o->com.reps != 1)
		usage_die("--ingest stores one run; --reps must be 1");
	if (o->system && !o->elf && !o->com.name && !o->ingest)
		usage_die("--system needs --elf KERNEL or --name W to name the workload");
	if (o->until_console && !*o->until_console)
		usage_die("--until-console: empty string");
	if (o->n_guest) {
		int hs = 0;

		for (int i = 0; i < o->n_trapvec; i++)
			hs |= strstr(o->trapvec[i], "@hs") != NULL;
		if (!hs)
			usage_die("--guest: give the host's vector as --trapvec ADDR|SYM@hs (VM exits are "
				  "counted there)");
	}
	for (int i = 0; o->system && i + 1 < o->argc; i++)
		if ((!strcmp(o->argv[i], "-smp") || !strcmp(o->argv[i], "--smp")) &&
		    qemu__smp_vcpus(o->argv[i + 1]) > PLUGIN_MAX_VCPUS)
			usage_die("-smp %s: the plugin counts at most %d vCPUs", o->argv[i + 1],
				  PLUGIN_MAX_VCPUS);
	if (o->threads && (o->system || o->ingest))
		usage_die("--threads is for running a program in user mode");
	if (o->sysroot && (o->system || o->ingest))
		usage_die("--sysroot is for running a program in user mode");
	if (o->parse.format && (o->ingest || o->drv.cmd))
		usage_die("--parse is for running a program or a guest (without --ingest or --driver)");
	if (!o->system && (o->n_trapvec || o->n_guest))
		usage_die("%s needs --system (user mode has no trap vectors)",
			  o->n_trapvec ? "--trapvec" : "--guest");
}

static void parse_opts(int argc, char **argv, struct qemu_opts *o)
{
	static const struct option longopts[] = {
		COLLECT_COMMON_OPTIONS,
		COLLECT_DRIVER_OPTIONS,
		{ "plugin-opt", required_argument, NULL, 'o' },
		{ "qemu", required_argument, NULL, 'q' },
		{ "sysroot", required_argument, NULL, 'L' },
		{ "system", no_argument, NULL, 's' },
		{ "threads", no_argument, NULL, 'P' },
		COLLECT_PARSE_OPTION,
		{ "elf", required_argument, NULL, 'e' },
		{ "trapvec", required_argument, NULL, 'T' },
		{ "guest", required_argument, NULL, 'G' },
		{ "until-console", required_argument, NULL, 'u' },
		COLLECT_BOOT_CONSOLE_OPTION,
		{ "stage", required_argument, NULL, 'S' },
		{ "ingest", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	collect_common__init(&o->com);
	collect_driver__init(&o->drv);
	optind = 1;
	while ((c = cmd_getopt(argc, argv, "+h", longopts)) != -1) {
		if (collect_common__opt(&o->com, c, optarg) || collect_driver__opt(&o->drv, c, optarg))
			continue;
		switch (c) {
		case 'q': o->qemu = optarg; break;
		case 'L': o->sysroot = optarg; break;
		case 's': o->system = 1; break;
		case 'P': o->threads = 1; break;
		case OPT_PARSE: collect_parse__opt(&o->parse, optarg); break;
		case 'e': o->elf = optarg; break;
		case 'u': o->until_console = optarg; break;
		case OPT_BOOT_CONSOLE: o->boot_console = collect_boot_console__opt(optarg); break;
		case 'S':
			if (o->n_stage == BOOT_STAGE_MAX)
				usage_die("--stage: at most %d", BOOT_STAGE_MAX);
			o->stage[o->n_stage++] = optarg;
			break;
		case 'i': o->ingest = optarg; break;
		case 'h':
			fputs(usage_text, stdout);
			cmd_usage(collect_driver_usage, 0);
		case 'o': add_plugin_opt(o, optarg); break;
		case 'T':
			if (o->n_trapvec == MAX_TRAPVEC)
				usage_die("--trapvec: at most %d", MAX_TRAPVEC);
			o->trapvec[o->n_trapvec++] = optarg;
			break;
		case 'G':
			if (o->n_guest == MAX_GUEST_RANGES)
				usage_die("--guest: at most %d ranges", MAX_GUEST_RANGES);
			o->guest[o->n_guest++] = optarg;
			break;
		default:
			cmd_usage(usage_text, EXIT_BADINPUT);
		}
	}
	o->argv = argv + optind;
	o->argc = argc - optind;
	check_opts(o);
}

/* ---- the command ---- */

/* The guest ELF's symbols and architecture; NULL with *bad set when unusable. */
static struct symtab *load_elf(const char *path, const char **arch, int *bad)
{
	struct symtab *syms;

	*arch = NULL;
	*bad = 0;
	if (!path)
		return NULL;
	syms = symtab__load(path);
	if (!syms) {
		*bad = 1;
		return NULL;
	}
	*arch = symtab__arch(syms);
	if (strcmp(*arch, "riscv64") && strcmp(*arch, "x86_64")) {
		error("%s: %s guests are not supported by the QEMU plugin (riscv64, x86_64)", path, *arch);
		symtab__free(syms);
		*bad = 1;
		return NULL;
	}
	return syms;
}

/* Run the repetitions: the exit code. */
static int collect(struct store *s, const struct qemu_opts *o, struct qemu_collect *c)
{
	int rc;

	c->timeout_s = o->com.timeout_s;
	c->until_console = o->until_console;
	c->boot_console = o->boot_console;
	c->reps = o->com.reps;
	c->driver = collect_driver__check(&o->drv, o->system);
	c->parse = o->parse.format ? &o->parse : NULL;
	proc__catch_interrupts();
	rc = qemu__collect(s, c);
	if (rc < 0)
		return EXIT_BADINPUT;
	return rc && o->com.fail_on_error ? EXIT_FINDINGS : EXIT_OK;
}

int cmd_collect_qemu(int argc, char **argv)
{
	struct qemu_opts o;
	struct qemu_plugin_words w;
	struct store *s = NULL;
	struct symtab *syms;
	const char *arch, *elf_path;
	char *opts = NULL, *sysroot = NULL;
	int ret = EXIT_BADINPUT, bad, first;
	struct qemu_collect c = { 0 };
	struct qemu_pick pick = { 0 };
	struct boot_stages bs = { 0 };

	parse_opts(argc, argv, &o);
	/* the console string keeps its own time (until_console_ns, when QEMU is stopped) */
	if (o.system && boot_stages__init(&bs, o.stage, o.n_stage, NULL))
		return EXIT_BADINPUT;
	c.stages = o.system ? &bs : NULL;
	elf_path = o.system ? o.elf : (o.argc ? o.argv[0] : o.elf);
	syms = load_elf(elf_path, &arch, &bad);
	if (bad) {
		boot_stages__free(&bs);
		return EXIT_BADINPUT;
	}
	if (!o.system && !o.ingest && qemu__sysroot(elf_path, o.sysroot, &sysroot)) {
		if (syms)
			symtab__free(syms);
		boot_stages__free(&bs);
		return EXIT_BADINPUT;
	}
	w = (struct qemu_plugin_words){ o.plugin_opts, o.trapvec, o.guest,
					o.n_plugin_opts, o.n_trapvec, o.n_guest, 0 };
	/* a program that can start threads: the API 1 build needs threads=on for them */
	w.threads = !o.system && !o.ingest && (o.threads || qemu__elf_starts_threads(elf_path, sysroot));
	opts = qemu_plugin_opts__build(&w, o.system, syms);
	/* the QEMU and its plugin build, before the store is touched */
	c.qemu = o.qemu;
	c.system = o.system;
	c.argc = o.argc;
	c.argv = o.argv;
	c.arch = arch;
	if (opts && !o.ingest && qemu__select(qemu__binary(&c, &first), cmd_self_dir(), EMUDIFF_LIBDIR, &pick)) {
		free(opts);
		opts = NULL;
	}
	if (opts)
		s = store__open(o.com.db, STORE_CREATE);
	if (s) {
		const char *name = o.com.name ? o.com.name : elf_path ? path__base(elf_path) : "qemu-system";
		struct qemu_run_record rec = { .name = name, .arch = arch, .elf_path = elf_path,
					       .cell = o.com.cell, .argc = o.argc, .argv = o.argv,
					       .system = o.system, .rep = o.com.rep, .elf_syms = syms };

		c.plugin_opts = opts;
		c.name = name;
		c.elf_path = elf_path;
		c.cell = o.com.cell;
		c.elf_syms = syms;
		c.rep = o.com.rep;
		c.pick = &pick;
		c.sysroot = sysroot;

		/* --ingest: a plugin output file made elsewhere (the plugin run standalone) */
		if (o.ingest)
			ret = qemu__ingest_file(s, &rec, o.ingest) < 0 ? EXIT_BADINPUT : EXIT_OK;
		else
			ret = collect(s, &o, &c);
	}
	free(opts);
	free(sysroot);
	qemu_pick__free(&pick);
	boot_stages__free(&bs);
	if (syms)
		symtab__free(syms);
	store__close(s);
	if (proc__interrupted())
		return cmd_die_of_signal(proc__interrupted());
	if (ret == EXIT_OK && stdout_flush_check())
		ret = EXIT_FINDINGS;
	return ret;
}
