/*
 * emudiff.c - the emudiff command: a table of subcommands, one file each
 * (cmd_<verb>.c), in the manner of git and perf.
 */
#include "cmd.h"
#include "common.h"

#include <gsl/gsl_errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef EMUDIFF_VERSION
#define EMUDIFF_VERSION "unknown"
#endif

struct cmd_entry {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help; /* one line for the overview */
};

static const struct cmd_entry commands[] = {
	{ "collect", cmd_collect, "run a workload under QEMU or on hardware and store the measurements" },
	{ "import", cmd_import, "bring in measurements taken elsewhere (perf stat CSV, perf script, uftrace)" },
	{ "align", cmd_align, "build regions that mean the same on emulation and hardware" },
	{ "stats", cmd_stats, "compute misprediction factors with confidence intervals (findings)" },
	{ "report", cmd_report, "write an HTML report with figures and CSV/JSON exports" },
	{ "study", cmd_study, "run a whole suite: collect, align, stats and report, resumable" },
	{ "show", cmd_show, "print runs, regions, findings or per-event costs (table or JSON)" },
	{ "merge", cmd_merge, "join stores from several machines into one" },
	{ "cflags", cmd_cflags, "print compiler flags for building a workload with emudiff/mark.h" },
};

static void overview(FILE *f)
{
	fprintf(f, "usage: emudiff [--version] [--help] <command> [<args>]\n\n"
		   "emudiff tells where QEMU emulation misrepresents the cost of a workload on\n"
		   "real hardware, by how much, with confidence intervals.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "   %-9s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'emudiff <command> --help' describes a command. The store defaults to\n"
		   "$EMUDIFF_DB or ./emudiff.db. Exit codes: 0 success, 1 findings or failures\n"
		   "(when asked to fail on them), 2 bad usage or bad input.\n");
}

static char self_dir[PATH_MAX];

const char *cmd_self_dir(void)
{
	return self_dir;
}

static void find_self_dir(void)
{
	ssize_t n = readlink("/proc/self/exe", self_dir, sizeof(self_dir) - 1);
	char *slash;

	if (n <= 0) {
		strcpy(self_dir, ".");
		return;
	}
	self_dir[n] = '\0';
	slash = strrchr(self_dir, '/');
	if (slash)
		*slash = '\0';
}

int main(int argc, char **argv)
{
	int rc;

	/* GSL's default handler aborts; every caller checks return codes instead. */
	gsl_set_error_handler_off();
	find_self_dir();

	if (argc < 2) {
		overview(stderr);
		return EXIT_BADINPUT;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		overview(stdout);
		return stdout_flush_check() ? EXIT_FINDINGS : EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("emudiff %s\n", EMUDIFF_VERSION);
		return stdout_flush_check() ? EXIT_FINDINGS : EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		cmd_set_name(commands[i].name);
		rc = commands[i].fn(argc - 1, argv + 1);
		if (stdout_flush_check() && rc == EXIT_OK)
			rc = EXIT_FINDINGS;
		return rc;
	}
	{
		const char *names[sizeof(commands) / sizeof(commands[0])];

		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			names[i] = commands[i].name;
		cmd_unknown("not an emudiff command:", argv[1], names, sizeof(names) / sizeof(names[0]),
			    "emudiff --help");
	}
	return EXIT_BADINPUT;
}
