/*
 * cmd_stats.c - emudiff stats: misprediction factors with confidence
 * intervals, rank agreement, cost models and A/B verdicts (stats/), written
 * to the store in one transaction, replacing the previous results.
 */
#include "cmd.h"
#include "common.h"
#include "stats.h"
#include "store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: emudiff stats [--db F] [--tolerance T] [--confidence C] [--seed N]\n"
	"                     [--resamples B] [--metric time_ns|cycles] [--fail-on-findings] [--quiet]\n"
	"\n"
	"  --db F              the store (default $EMUDIFF_DB or emudiff.db)\n"
	"  --tolerance T       factors within [1/T, T] agree (default 1.25)\n"
	"  --confidence C      confidence of every interval; BH level is 1-C (default 0.95)\n"
	"  --seed N            bootstrap seed, recorded in meta (default 1)\n"
	"  --resamples B       bootstrap resamples (default 2000)\n"
	"  --metric M          hardware metric (default: cycles when every hardware run has\n"
	"                      them, else time_ns)\n"
	"  --fail-on-findings  exit 1 when a region's primary finding is flagged or an A/B\n"
	"                      conclusion flips\n"
	"  --quiet             no summary line\n";

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "tolerance", required_argument, NULL, 't' },
		{ "confidence", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 's' },
		{ "resamples", required_argument, NULL, 'r' },
		{ "metric", required_argument, NULL, 'm' },
		{ "fail-on-findings", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct stats_options o;
	struct stats_summary sum;
	const char *db = store__default_path();
	int fail = 0, c;
	struct store *s;
	uint64_t u;
	int64_t i;

	if (cmd_wants_help(argc, argv))
		cmd_usage(usage_text, 0);
	stats_options__init(&o);
	optind = 1;
	while ((c = cmd_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 't':
			if (parse_double(optarg, &o.tolerance) || !(o.tolerance > 1))
				usage_die("--tolerance wants a number greater than 1, not '%s'", optarg);
			break;
		case 'c':
			if (parse_double(optarg, &o.confidence) || !(o.confidence > 0 && o.confidence < 1))
				usage_die("--confidence wants a number between 0 and 1, not '%s'", optarg);
			break;
		case 's':
			if (parse_u64(optarg, &u))
				usage_die("--seed wants a non-negative integer, not '%s'", optarg);
			o.seed = (unsigned long)u;
			break;
		case 'r':
			if (parse_i64(optarg, &i) || i < 100 || i > 1000000)
				usage_die("--resamples wants an integer from 100 to 1000000, not '%s'", optarg);
			o.resamples = (size_t)i;
			break;
		case 'm':
			if (strcmp(optarg, METRIC_TIME_NS) && strcmp(optarg, METRIC_CYCLES))
				usage_die("--metric wants time_ns or cycles, not '%s'", optarg);
			o.metric = optarg;
			break;
		case 'f':
			fail = 1;
			break;
		case 'q':
			o.quiet = 1;
			break;
		default:
			cmd_usage(usage_text, EXIT_BADINPUT);
		}
	}
	if (optind < argc)
		usage_die("emudiff stats takes no arguments ('%s')", argv[optind]);
	s = store__open(db, 0);
	if (!s)
		return EXIT_BADINPUT;
	if (stats__run(s->db, s->path, &o, &sum)) {
		store__close(s);
		return EXIT_BADINPUT;
	}
	if (sum.workloads && !sum.regions) {
		char why[256];

		/* the hint the store's state calls for, not a guess */
		if (!present__why_no_findings(s->db, 0, why, sizeof(why)))
			warning("%s: no region compared: %s", db, why);
	}
	store__close(s);
	if (!o.quiet)
		printf("stats: %zu workloads, %zu regions compared, %zu findings, %zu regions flagged; %zu A/B pairs, %zu flips (seed %lu, %zu resamples)\n",
		       sum.workloads, sum.regions, sum.findings, sum.flagged, sum.ab_pairs, sum.flips,
		       o.seed, o.resamples);
	if (!o.quiet && sum.servers)
		printf("stats: %zu server workloads, %zu driver metrics compared, %zu beyond the tolerance"
		       " (emudiff show servers)\n", sum.servers, sum.server_metrics, sum.server_flagged);
	if (!o.quiet && sum.boots)
		printf("stats: %zu booted workloads, %zu boot latencies compared, %zu beyond the tolerance"
		       " (emudiff show boot)\n", sum.boots, sum.boot_metrics, sum.boot_flagged);
	if (stdout_flush_check())
		return EXIT_FINDINGS;
	return fail && (sum.flagged || sum.flips) ? EXIT_FINDINGS : EXIT_OK;
}
