/*
 * cmd_import_cyclictest.c - "emudiff import cyclictest FILE": the stdout of
 * rt-tests' cyclictest (histogram form -h/-H, or the summary lines) as one
 * run of the given platform: `hw` when it ran natively, `qemu-user` under
 * qemu-user, `qemu-system` in an emulated guest. With --console, FILE is a
 * guest's console log and the output is the one framed in it. Nothing is
 * stored when a line or the frame is malformed (exit 2, one line naming
 * FILE:LINE).
 *
 * With --run, the command runs cyclictest itself and stores its output as
 * above with the run's status, exit code and wall time: natively for
 * --platform hw (collect/import_run.c), and for --platform qemu-user as
 * `emudiff collect qemu --parse cyclictest` (the plugin counts cyclictest's
 * threads apart), so the run has the plugin's counts and the samples. This
 * is what a suite workload with `parse = cyclictest` runs in each cell.
 */
#include "cmd.h"
#include "common.h"
#include "collect.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

static const char usage_text[] =
	"usage: emudiff import cyclictest [options] FILE\n"
	"       emudiff import cyclictest [options] --run -- PROG ARGS\n"
	"\n"
	"  FILE              stdout of `cyclictest -q -h US ...` (histogram) or of a summary run\n"
	"  --db F            results store (default $EMUDIFF_DB or emudiff.db)\n"
	"  --name W          workload name (default: FILE's basename without extension, PROG's)\n"
	"  --arch A          architecture of the machine measured (default unknown; with --run\n"
	"                    this machine's, or under QEMU PROG's)\n"
	"  --platform P      hw, qemu-user, qemu-system or import (default import; with --run\n"
	"                    hw or qemu-user, default hw)\n"
	"  --nsecs           the summary lines are in ns (cyclictest -N)\n"
	"  --console         FILE is a guest's console log: the cyclictest output framed in\n"
	"                    it ('@emudiff cyclictest begin' ... 'end exit=N lines=N',\n"
	"                    docs/servers.md) is read\n"
	"  --rep R           repetition number (default 0)\n"
	"  --cell KEY        study cell key\n"
	"  --run             run PROG ARGS (cyclictest) and store its stdout (passed through):\n"
	"                    natively for hw; for qemu-user under user-mode QEMU with the\n"
	"                    plugin (collect qemu --parse cyclictest), its counts in the same\n"
	"                    run; a run that fails or times out is stored as such\n"
	"  --qemu Q          with --run on qemu-user: QEMU's binary (default by PROG's machine)\n"
	"  --timeout SEC     with --run: end PROG after SEC seconds (stored as timeout)\n";

struct ct_opts {
	int run, console;
	const char *qemu;
	double timeout_s;
};

static int parse_opts(struct import_ingest *in, const char **db, struct ct_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		IMPORT_COMMON_OPTIONS,
		{ "platform", required_argument, NULL, 'p' }, { "nsecs", no_argument, NULL, 'N' },
		{ "run", no_argument, NULL, 'X' },	      { "qemu", required_argument, NULL, 'Q' },
		{ "timeout", required_argument, NULL, 'T' }, { "console", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, p, given = 0;

	optind = 1;
	while ((c = cmd_getopt(argc, argv, "h", longopts)) != -1) {
		if (import_common__opt(in, db, c, optarg))
			continue;
		switch (c) {
		case 'N': in->unit_ns = 1; break;
		case 'X': o->run = 1; break;
		case 'C': o->console = 1; break;
		case 'Q': o->qemu = optarg; break;
		case 'T': o->timeout_s = cmd_opt_seconds("timeout", optarg); break;
		case 'p':
			p = platform__parse(optarg);
			if (p != PLAT_HW && p != PLAT_QEMU_USER && p != PLAT_QEMU_SYSTEM && p != PLAT_IMPORT)
				usage_die("--platform: hw, qemu-user, qemu-system or import, not '%s'", optarg);
			in->platform = p;
			given = 1;
			break;
		default:
			cmd_usage(usage_text, EXIT_BADINPUT);
		}
	}
	if (!o->run) {
		if (optind + 1 != argc)
			usage_die("import cyclictest: expected one FILE");
		if (o->qemu || o->timeout_s > 0)
			usage_die("import cyclictest: --qemu and --timeout go with --run");
		return optind;
	}
	if (o->console)
		usage_die("import cyclictest: --console reads a FILE, not --run's output");
	if (optind >= argc)
		usage_die("import cyclictest --run: expected -- PROG ARGS");
	if (!given)
		in->platform = PLAT_HW;
	if (in->platform != PLAT_HW && in->platform != PLAT_QEMU_USER)
		usage_die("import cyclictest --run: --platform hw or qemu-user");
	if (o->qemu && in->platform != PLAT_QEMU_USER)
		usage_die("import cyclictest --run: --qemu goes with --platform qemu-user");
	return optind;
}

/* FILE's cyclictest output (a console log's frame with --console) into ct; 0 or -1 (one line printed). */
static int read_file(FILE *f, const char *path, int console, struct cyclictest *ct)
{
	char why[512];
	int rc;

	if (!console)
		return cyclictest__parse(f, path, ct);
	rc = cyclictest__read_console(f, path, ct, why, sizeof(why));
	if (rc == 1)
		error("%s", why);
	return rc ? -1 : 0;
}

static int from_file(struct import_ingest *in, const char *db, int console)
{
	struct cyclictest ct;
	struct store *st;
	int64_t run_id;
	char *dflt;
	FILE *f = cmd_open_input(in->file);

	if (!f || read_file(f, in->file, console, &ct)) {
		if (f)
			fclose(f);
		return EXIT_BADINPUT;
	}
	fclose(f);
	st = cmd_import_store(in, db, &dflt);
	run_id = st ? cyclictest__ingest(st, in, &ct) : -1;
	store__close(st);
	if (run_id >= 0)
		printf("run %lld: %s %s: cyclictest %s, %zu thread(s)\n", (long long)run_id,
		       platform__name(in->platform), in->workload.name, ct.n_rows ? "histogram" : "summary",
		       ct.n_rows ? ct.hist_threads : ct.n_threads);
	free(dflt);
	cyclictest__free(&ct);
	if (!st)
		return EXIT_BADINPUT;
	return run_id < 0 || stdout_flush_check() ? EXIT_FINDINGS : EXIT_OK;
}

/* The run's output parsed into ct; 0, or -1 with why (its error line printed). */
static int parse_output(const struct import_run_result *r, const char *label, struct cyclictest *ct,
			const char **why)
{
	FILE *f = fmemopen(r->out ? r->out : "", r->len, "r");
	int rc;

	if (!f) {
		*why = "its output could not be read";
		return -1;
	}
	rc = cyclictest__parse(f, label, ct);
	fclose(f);
	if (rc)
		*why = "its output is not cyclictest's (the error above names the line)";
	return rc;
}

/* --run --platform qemu-user: the run is collect qemu's, with the output
 * parsed into it (its "run N:" line on stderr, stdout the program's alone). */
static int under_qemu(const struct import_ingest *in, const char *db, const struct ct_opts *o, char *prog,
		      char **prog_argv, int n)
{
	char rep[16], timeout[32];
	const char **a = xcalloc((size_t)n + 20, sizeof(*a));
	int k = 0, rc;

	snprintf(rep, sizeof(rep), "%d", in->rep);
	snprintf(timeout, sizeof(timeout), "%.17g", o->timeout_s);
	a[k++] = "collect qemu";
	a[k++] = "--parse";
	a[k++] = in->unit_ns == 1 ? "cyclictest-nsecs" : "cyclictest";
	a[k++] = "--rep";
	a[k++] = rep;
	if (db) {
		a[k++] = "--db";
		a[k++] = db;
	}
	if (in->workload.name) {
		a[k++] = "--name";
		a[k++] = in->workload.name;
	}
	if (in->cell) {
		a[k++] = "--cell";
		a[k++] = in->cell;
	}
	if (o->timeout_s > 0) {
		a[k++] = "--timeout";
		a[k++] = timeout;
	}
	if (o->qemu) {
		a[k++] = "--qemu";
		a[k++] = o->qemu;
	}
	a[k++] = "--";
	a[k++] = prog; /* QEMU takes a path, not a name to search */
	for (int i = 1; i < n; i++)
		a[k++] = prog_argv[i];
	rc = cmd_collect_qemu(k, (char **)a);
	free(a);
	return rc;
}

static int from_run(struct import_ingest *in, const char *db, const struct ct_opts *o, char **prog_argv, int n)
{
	static struct utsname u;
	char *prog = path__search(prog_argv[0]), *aj, *label, *dflt = NULL;
	struct import_run_result r;
	struct cyclictest ct;
	struct store *st = NULL;
	int64_t run_id = -1;
	int parsed = 0;

	if (!prog)
		return error("%s: not found (install rt-tests, or give its path)", prog_argv[0]), EXIT_BADINPUT;
	if (in->platform == PLAT_QEMU_USER) {
		int rc = under_qemu(in, db, o, prog, prog_argv, n);

		free(prog);
		return rc;
	}
	if (!in->workload.arch)
		in->workload.arch = uname(&u) ? NULL : u.machine;
	prog_argv[0] = prog;
	aj = json__argv(n, prog_argv);
	in->file = prog;
	in->workload.elf_path = prog;
	in->workload.argv_json = aj;
	if (!in->workload.name)
		in->workload.name = dflt = xstrdup(path__base(prog));
	label = xasprintf("%s's output", prog);
	if (!import__run(&(struct import_run){ prog_argv, o->timeout_s }, &r)) {
		const char *why = NULL;
		struct cyclictest_exec x = { &r, NULL };

		parsed = r.status == RUN_OK && !parse_output(&r, label, &ct, &why);
		x.why = why;
		st = store__open(db ? db : store__default_path(), STORE_CREATE);
		run_id = st ? cyclictest__ingest_run(st, in, parsed ? &ct : NULL, &x) : -1;
		/* on stderr: stdout is the program's alone */
		if (run_id >= 0)
			note("run %lld: %s %s: %s%s%s", (long long)run_id, platform__name(in->platform),
			     in->workload.name, run_status__name(parsed ? RUN_OK : r.status == RUN_OK ? RUN_FAILED : (int)r.status),
			     parsed ? "" : ": ", parsed ? "" : why ? why : r.why);
		import_run_result__free(&r);
	}
	store__close(st);
	if (parsed)
		cyclictest__free(&ct);
	free(label);
	free(aj);
	free(dflt);
	free(prog);
	return run_id < 0 || stdout_flush_check() ? (st ? EXIT_FINDINGS : EXIT_BADINPUT) : EXIT_OK;
}

int cmd_import_cyclictest(int argc, char **argv)
{
	struct import_ingest in = { .platform = PLAT_IMPORT, .unit_ns = 1e3 };
	struct ct_opts o = { 0 };
	const char *db = NULL;
	int first;

	if (cmd_wants_help(argc, argv))
		cmd_usage(usage_text, EXIT_OK);
	first = parse_opts(&in, &db, &o, argc, argv);
	if (!o.run) {
		in.file = argv[first];
		return from_file(&in, db, o.console);
	}
	return from_run(&in, db, &o, argv + first, argc - first);
}
