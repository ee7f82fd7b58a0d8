/*
 * cmd_import_cyclictest.c - "emudiff import cyclictest FILE": the stdout of
 * rt-tests' cyclictest (histogram form -h/-H, or the summary lines) as one
 * run of the given platform: `hw` when it ran natively, `qemu-user` under
 * qemu-user, `qemu-system` in an emulated guest. Nothing is stored when a
 * line is malformed (exit 2, one line naming FILE:LINE).
 */
#include "cmd.h"
#include "common.h"
#include "collect.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: emudiff import cyclictest [options] FILE\n"
	"\n"
	"  FILE              stdout of `cyclictest -q -h US ...` (histogram) or of a summary run\n"
	"  --db F            results store (default $EMUDIFF_DB or emudiff.db)\n"
	"  --name W          workload name (default: FILE's basename without extension)\n"
	"  --arch A          architecture of the machine measured (default unknown)\n"
	"  --platform P      hw, qemu-user, qemu-system or import (default import)\n"
	"  --nsecs           the summary lines are in ns (cyclictest -N)\n"
	"  --rep R           repetition number (default 0)\n"
	"  --cell KEY        study cell key\n";

static const char *parse_opts(struct import_ingest *in, const char **db, int argc, char **argv)
{
	static const struct option longopts[] = {
		IMPORT_COMMON_OPTIONS,
		{ "platform", required_argument, NULL, 'p' }, { "nsecs", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
	};
	int c, p;

	optind = 1;
	while ((c = cmd_getopt(argc, argv, "h", longopts)) != -1) {
		if (import_common__opt(in, db, c, optarg))
			continue;
		switch (c) {
		case 'N': in->unit_ns = 1; break;
		case 'p':
			p = platform__parse(optarg);
			if (p != PLAT_HW && p != PLAT_QEMU_USER && p != PLAT_QEMU_SYSTEM && p != PLAT_IMPORT)
				usage_die("--platform: hw, qemu-user, qemu-system or import, not '%s'", optarg);
			in->platform = p;
			break;
		default:
			cmd_usage(usage_text, EXIT_BADINPUT);
		}
	}
	if (optind + 1 != argc)
		usage_die("import cyclictest: expected one FILE");
	return argv[optind];
}

int cmd_import_cyclictest(int argc, char **argv)
{
	struct import_ingest in = { .platform = PLAT_IMPORT, .unit_ns = 1e3 };
	const char *db = NULL;
	struct cyclictest ct;
	struct store *st;
	int64_t run_id;
	char *dflt;
	FILE *f;

	if (cmd_wants_help(argc, argv))
		cmd_usage(usage_text, EXIT_OK);
	in.file = parse_opts(&in, &db, argc, argv);
	f = cmd_open_input(in.file);
	if (!f || cyclictest__parse(f, in.file, &ct)) {
		if (f)
			fclose(f);
		return EXIT_BADINPUT;
	}
	fclose(f);
	st = cmd_import_store(&in, db, &dflt);
	run_id = st ? cyclictest__ingest(st, &in, &ct) : -1;
	store__close(st);
	if (run_id >= 0)
		printf("run %lld: %s %s: cyclictest %s, %zu thread(s)\n", (long long)run_id,
		       platform__name(in.platform), in.workload.name, ct.n_rows ? "histogram" : "summary",
		       ct.n_rows ? ct.hist_threads : ct.n_threads);
	free(dflt);
	cyclictest__free(&ct);
	if (!st)
		return EXIT_BADINPUT;
	return run_id < 0 || stdout_flush_check() ? EXIT_FINDINGS : EXIT_OK;
}
