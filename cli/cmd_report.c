/*
 * cmd_report.c - emudiff report: write the HTML report, figures and exports
 * of a store (reports/ does the work; this file handles the command line).
 */
#include "cmd.h"
#include "common.h"
#include "report.h"
#include "store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef EMUDIFF_VERSION
#define EMUDIFF_VERSION "unknown"
#endif

static const char usage_text[] =
	"usage: emudiff report [--db F] --out DIR [--pdf] [--workload W] [--jobs N]\n"
	"\n"
	"Write a self-contained report directory: DIR/index.html (every workload at a\n"
	"glance, A/B conclusion flips on top), one page per workload with its regions,\n"
	"findings and figures (SVG inline, PNG files), and DIR/data/*.csv|jsonl exports.\n"
	"The same store gives the same bytes except one timestamp line (fixed by\n"
	"$SOURCE_DATE_EPOCH), so reports can be diffed and kept in version control.\n"
	"\n"
	"    --db F          the store (default $EMUDIFF_DB or emudiff.db)\n"
	"    --out DIR       output directory, created if missing (required)\n"
	"    --pdf           also write every figure as PDF (for papers)\n"
	"    --workload W    only workload W (the index then lists W only)\n"
	"    -j, --jobs N    worker processes for the pages (default: one per CPU, at most 8)\n"
	"    -q, --quiet     no progress output\n";

static void progress(size_t done, size_t total, const char *workload, void *arg)
{
	int tty = *(int *)arg;

	if (tty) {
		int width = 30, fill = (int)(done * (size_t)width / (total ? total : 1));
		fprintf(stderr, "\rreport: [%.*s%*s] %zu/%zu workloads", fill, "##############################",
			width - fill, "", done, total);
		if (done == total)
			fputc('\n', stderr);
	} else {
		fprintf(stderr, "report: %zu/%zu workload pages%s%s\n", done, total, *workload ? " " : "", workload);
	}
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },   { "out", required_argument, NULL, 'o' },
		{ "pdf", no_argument, NULL, 'p' },        { "workload", required_argument, NULL, 'w' },
		{ "quiet", no_argument, NULL, 'q' },      { "help", no_argument, NULL, 'h' },
		{ "jobs", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct report_opts o = { .version = EMUDIFF_VERSION };
	struct report_summary sum;
	const char *db = store__default_path();
	struct store *s;
	int c, quiet = 0, tty = isatty(STDERR_FILENO), rc;

	if (cmd_wants_help(argc, argv))
		cmd_usage(usage_text, 0);
	int64_t jobs;

	while ((c = cmd_getopt(argc, argv, "qj:", longopts)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'o': o.out_dir = optarg; break;
		case 'p': o.pdf = 1; break;
		case 'w': o.workload = optarg; break;
		case 'q': quiet = 1; break;
		case 'j':
			if (parse_i64(optarg, &jobs) || jobs < 1 || jobs > 64) {
				error("--jobs: '%s' is not a number of processes (1..64)", optarg);
				return EXIT_BADINPUT;
			}
			o.jobs = (int)jobs;
			break;
		default: cmd_usage(usage_text, EXIT_BADINPUT);
		}
	}
	if (optind != argc) {
		error("unexpected argument '%s'", argv[optind]);
		cmd_usage(usage_text, EXIT_BADINPUT);
	}
	if (!o.out_dir || !*o.out_dir) {
		error("--out DIR is required");
		cmd_usage(usage_text, EXIT_BADINPUT);
	}
	if (access(db, F_OK)) {
		error("%s: no such store", db);
		return EXIT_BADINPUT;
	}
	s = store__open(db, STORE_READONLY);
	if (!s)
		return EXIT_BADINPUT;
	if (!quiet) {
		o.progress = progress;
		o.progress_arg = &tty;
	}
	rc = report__write(s->db, &o, &sum);
	store__close(s);
	if (rc)
		return EXIT_BADINPUT;
	printf("report: %zu workloads, %zu regions compared, %zu findings, %zu figures, %zu files in %s/index.html\n",
	       sum.workloads, sum.regions, sum.findings, sum.figures, sum.files, o.out_dir);
	return stdout_flush_check() ? EXIT_FINDINGS : EXIT_OK;
}
