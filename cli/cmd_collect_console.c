/*
 * cmd_collect_console.c - "emudiff collect console": marker lines that a
 * freestanding build of emudiff/mark.h printed on a serial console
 * (unikernels, bare metal), parsed from a log into `console` runs by
 * collect/'s console_ingest(). Each `@emudiff exit` line ends a run; the
 * whole log is stored in one transaction or not at all.
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

static const char usage_text[] =
	"usage: emudiff collect console [options] --log SERIAL.txt\n"
	"\n"
	"  --log FILE        serial log holding `@emudiff mark` / `@emudiff exit` lines\n"
	"  --db F            results store (default $EMUDIFF_DB or emudiff.db)\n"
	"  --name W          workload name (default: the ELF's or the log's basename)\n"
	"  --elf F           the program that ran (architecture, marker names for align)\n"
	"  --arch A          architecture when no --elf is given (default riscv64)\n"
	"  --timebase HZ     rdtime ticks per second (default 10000000, QEMU virt's)\n"
	"  --rep R           repetition number of the first run in the log (default 0)\n"
	"  --reps N          the number of runs the log must hold (checked)\n"
	"  --cell KEY        study cell key (the log must hold one run)\n"
	"  --timeout SEC     accepted for uniformity; a log has no timeout\n"
	"  --fail-on-error   exit 1 when a run exited with a non-zero code\n"
	"  --until-console STR  boot latency: the logger's time of the first line\n"
	"                    holding STR is stored as until_console_ns\n"
	"  --stage NAME=REGEX  a boot stage of one's own, repeatable: the first line\n"
	"                    matching REGEX (POSIX extended) gives boot_NAME_ns; the\n"
	"                    known stages (spl, opensbi, uboot, linux, init) are always\n"
	"                    looked for; lines are timed by a logger's prefix ([S.F],\n"
	"                    grabserial -t; S.F, ts -s %.s; [HH:MM:SS.F], tio)\n";

struct opts {
	struct collect_common com;
	const char *log, *elf, *arch, *until_console;
	double hz;
	char *stage[BOOT_STAGE_MAX];
	size_t n_stage;
};

enum { OPT_UNTIL_CONSOLE = 0x420, OPT_STAGE };

static void parse_opts(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		COLLECT_COMMON_OPTIONS,
		{ "log", required_argument, NULL, 'l' },  { "elf", required_argument, NULL, 'E' },
		{ "arch", required_argument, NULL, 'a' }, { "timebase", required_argument, NULL, 'T' },
		{ "until-console", required_argument, NULL, OPT_UNTIL_CONSOLE },
		{ "stage", required_argument, NULL, OPT_STAGE }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	collect_common__init(&o->com);
	optind = 1;
	while ((c = cmd_getopt(argc, argv, "h", longopts)) != -1) {
		if (collect_common__opt(&o->com, c, optarg))
			continue;
		switch (c) {
		case 'l': o->log = optarg; break;
		case 'E': o->elf = optarg; break;
		case 'a': o->arch = optarg; break;
		case OPT_UNTIL_CONSOLE:
			if (!*optarg)
				usage_die("--until-console: empty string");
			o->until_console = optarg;
			break;
		case OPT_STAGE:
			if (o->n_stage == BOOT_STAGE_MAX)
				usage_die("--stage: at most %d", BOOT_STAGE_MAX);
			o->stage[o->n_stage++] = optarg;
			break;
		case 'T':
			if (parse_double(optarg, &o->hz) || o->hz <= 0)
				usage_die("--timebase: expected a positive frequency in Hz, got '%s'", optarg);
			break;
		default:
			cmd_usage(usage_text, EXIT_BADINPUT);
		}
	}
	if (!o->log)
		usage_die("collect console: --log SERIAL.txt is required");
	collect_common__check(&o->com, "collect console");
	if (optind < argc)
		usage_die("collect console: unexpected argument '%s'", argv[optind]);
}

/* Stages matched on lines without a logger time, said once when boot latency was asked
 * for (--stage, --until-console): they have no time. The known stages are looked for in
 * every log, most of which have no logger times; that is no news. */
static void untimed_note(const struct opts *o, const struct console_log *cl, const struct boot_stages *bs)
{
	uint32_t mask = 0;
	char names[256];

	if (!o->n_stage && !o->until_console)
		return;
	for (size_t i = 0; i < cl->n_runs; i++)
		mask |= cl->runs[i].boot.untimed & ~cl->runs[i].boot.seen;
	if (mask)
		warning("%s: boot stage lines (%s) without a logger time before them: no boot latency from"
			" them (time the log with grabserial -t, ts -s %%.s or tio -t)", o->log,
			boot_stages__names(bs, mask, names, sizeof(names)));
}

/* Parse the log and check it against --reps and --cell. 0 or -1 (error printed). */
static int read_log(const struct opts *o, struct console_log *cl, const struct boot_stages *bs)
{
	FILE *f = fopen(o->log, "r");
	int bad;

	memset(cl, 0, sizeof(*cl));
	if (!f)
		return error("%s: %s", o->log, strerror(errno));
	bad = console_log__parse_boot(f, o->log, bs, cl);
	fclose(f);
	if (bad)
		return -1;
	if (o->com.reps_given && (size_t)o->com.reps != cl->n_runs)
		return error("%s: holds %zu runs (split at `@emudiff exit` lines), --reps says %lld", o->log,
			     cl->n_runs, (long long)o->com.reps);
	if (o->com.cell && cl->n_runs != 1)
		return error("%s: --cell needs a log of one run, this one holds %zu", o->log, cl->n_runs);
	return 0;
}

/* Store the runs and say so; EXIT_OK, or EXIT_FINDINGS when nothing could be stored. */
static int store_log(const struct opts *o, const struct console_log *cl, const struct console_ingest *in)
{
	struct store *st = store__open(o->com.db, STORE_CREATE);
	int64_t *ids = xcalloc(cl->n_runs ? cl->n_runs : 1, sizeof(*ids));
	int rc = EXIT_OK;

	if (!st)
		rc = EXIT_BADINPUT;
	else if (console_ingest(st, in, cl, ids))
		rc = EXIT_FINDINGS;
	for (size_t i = 0; rc == EXIT_OK && i < cl->n_runs; i++) {
		char names[256];

		boot_stages__names(in->stages, cl->runs[i].boot.seen, names, sizeof(names));
		note("run %lld: console %s rep %lld: %zu marks, exit %d%s%s", (long long)ids[i], in->workload.name,
		     (long long)in->rep + (long long)i, cl->runs[i].n_marks,
		     cl->runs[i].has_exit ? cl->runs[i].exit_code : -1, names[0] ? ", boot stages: " : "", names);
	}
	store__close(st);
	free(ids);
	return rc;
}

int cmd_collect_console(int argc, char **argv)
{
	struct opts o = { .hz = 10000000 };
	struct console_log cl = { 0 };
	struct boot_stages bs;
	struct symtab *tab = NULL;
	char *dflt = NULL;
	int rc = EXIT_BADINPUT, failed = 0;

	if (cmd_wants_help(argc, argv))
		cmd_usage(usage_text, EXIT_OK);
	parse_opts(&o, argc, argv);
	if (boot_stages__init(&bs, o.stage, o.n_stage, o.until_console))
		return EXIT_BADINPUT;
	if (read_log(&o, &cl, &bs))
		goto out;
	if (o.elf) {
		tab = symtab__load(o.elf);
		if (!tab)
			goto out;
		o.arch = symtab__arch(tab);
	}
	untimed_note(&o, &cl, &bs);
	if (cl.garbage_lines)
		fprintf(stderr, "%s: %zu of %zu lines are not emudiff lines (skipped)\n", o.log, cl.garbage_lines,
			cl.lines);
	dflt = import__default_name(o.elf ? o.elf : o.log);
	rc = store_log(&o, &cl, &(struct console_ingest){
		.workload = { o.com.name ? o.com.name : dflt, o.arch ? o.arch : "riscv64", o.elf, NULL },
		.log = o.log, .timebase_hz = o.hz, .rep = (int)o.com.rep, .cell = o.com.cell, .stages = &bs });
	for (size_t i = 0; i < cl.n_runs; i++)
		failed += cl.runs[i].has_exit && cl.runs[i].exit_code != 0;
	if (rc == EXIT_OK && failed && o.com.fail_on_error)
		rc = EXIT_FINDINGS;
	if (stdout_flush_check() && rc == EXIT_OK)
		rc = EXIT_FINDINGS;
out:
	if (tab)
		symtab__free(tab);
	free(dflt);
	console_log__free(&cl);
	boot_stages__free(&bs);
	return rc;
}
