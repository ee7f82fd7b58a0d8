/*
 * cmd_collect_console.c - "emudiff collect console": marker lines that a
 * freestanding build of emudiff/mark.h printed on a serial console
 * (unikernels, bare metal), parsed from a log into `console` runs. Each
 * `@emudiff exit` line ends a run; the whole log is stored in one
 * transaction or not at all.
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
	"  --fail-on-error   exit 1 when a run exited with a non-zero code\n";

static char *default_name(const char *path)
{
	const char *b = strrchr(path, '/');
	char *name = xstrdup(b ? b + 1 : path), *dot = strrchr(name, '.');

	if (dot && dot != name)
		*dot = 0;
	return name;
}

static int store_console_run(struct store *st, int64_t wid, const struct console_run *run, double hz,
			     const char *cfg, int rep, const char *cell, int64_t *run_id)
{
	struct run_info ri = { 0 };
	const struct console_mark *first = run->n_marks ? &run->marks[0] : NULL;
	const struct console_mark *last = run->n_marks ? &run->marks[run->n_marks - 1] : NULL;
	int64_t id;

	ri.workload_id = wid;
	ri.platform = "console";
	ri.config_json = cfg;
	ri.rep = rep;
	ri.status = run->has_exit && run->exit_code != 0 ? "failed" : "ok";
	ri.exit_code = run->has_exit ? run->exit_code : -1;
	ri.wall_ns = first && first->has_time && last->has_time ?
			     (int64_t)((double)(last->time - first->time) * 1e9 / hz) : -1;
	ri.cell = cell;
	id = store__run_add(st, &ri);
	if (id < 0)
		return -1;
	*run_id = id;
	for (size_t i = 0; i < run->n_marks; i++) {
		const struct console_mark *m = &run->marks[i];
		int64_t t = -1;

		/* time relative to the first marker, so that large tick counts stay exact */
		if (m->has_time && first->has_time)
			t = (int64_t)((double)(m->time - first->time) * 1e9 / hz);
		if (store__mark_add(st, id, (int64_t)i, m->id, m->has_instret ? (int64_t)m->instret : -1, t))
			return -1;
		if (m->has_cycles && store__mark_value_add(st, id, (int64_t)i, "cycles", (double)m->cycles))
			return -1;
	}
	if (first && first->has_time && last->has_time &&
	    store__run_metric_set(st, id, "time_ns", (double)(last->time - first->time) * 1e9 / hz))
		return -1;
	if (first && first->has_instret && last->has_instret &&
	    store__run_metric_set(st, id, "instret", (double)(last->instret - first->instret)))
		return -1;
	if (first && first->has_cycles && last->has_cycles &&
	    store__run_metric_set(st, id, "cycles", (double)(last->cycles - first->cycles)))
		return -1;
	return 0;
}

int cmd_collect_console(int argc, char **argv)
{
	static const struct option longopts[] = {
		COLLECT_COMMON_OPTIONS,
		{ "log", required_argument, NULL, 'l' },  { "elf", required_argument, NULL, 'E' },
		{ "arch", required_argument, NULL, 'a' }, { "timebase", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *log = NULL, *elf = NULL, *arch = NULL;
	struct collect_common com;
	double hz = 10000000;
	int c, rc = EXIT_OK, failed = 0;
	struct console_log cl;
	struct symtab *tab = NULL;
	struct store *st = NULL;
	char *dflt = NULL;
	FILE *f;
	int64_t wid;

	if (cmd_wants_help(argc, argv))
		cmd_usage(usage_text, EXIT_OK);
	collect_common__init(&com);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (collect_common__opt(&com, c, optarg))
			continue;
		switch (c) {
		case 'l': log = optarg; break;
		case 'E': elf = optarg; break;
		case 'a': arch = optarg; break;
		case 'T':
			if (parse_double(optarg, &hz) || hz <= 0)
				usage_die("--timebase: expected a positive frequency in Hz, got '%s'", optarg);
			break;
		default:
			cmd_usage(usage_text, EXIT_BADINPUT);
		}
	}
	if (!log)
		usage_die("collect console: --log SERIAL.txt is required");
	collect_common__check(&com, "collect console");
	if (optind < argc)
		usage_die("collect console: unexpected argument '%s'", argv[optind]);
	f = fopen(log, "r");
	if (!f) {
		error("%s: %s", log, strerror(errno));
		return EXIT_BADINPUT;
	}
	if (console_log__parse(f, log, &cl)) {
		fclose(f);
		return EXIT_BADINPUT;
	}
	fclose(f);
	if (com.reps_given && (size_t)com.reps != cl.n_runs) {
		error("%s: holds %zu runs (split at `@emudiff exit` lines), --reps says %lld", log, cl.n_runs,
		      (long long)com.reps);
		rc = EXIT_BADINPUT;
		goto out;
	}
	if (com.cell && cl.n_runs != 1) {
		error("%s: --cell needs a log of one run, this one holds %zu", log, cl.n_runs);
		rc = EXIT_BADINPUT;
		goto out;
	}
	if (elf) {
		tab = symtab__load(elf);
		if (!tab) {
			rc = EXIT_BADINPUT;
			goto out;
		}
		arch = symtab__arch(tab);
	}
	if (cl.garbage_lines)
		fprintf(stderr, "%s: %zu of %zu lines are not emudiff lines (skipped)\n", log, cl.garbage_lines,
			cl.lines);
	st = store__open(com.db, STORE_CREATE);
	if (!st) {
		rc = EXIT_BADINPUT;
		goto out;
	}
	dflt = default_name(elf ? elf : log);
	if (store__begin(st)) {
		rc = EXIT_FINDINGS;
		goto out;
	}
	wid = store__workload(st, com.name ? com.name : dflt, arch ? arch : "riscv64", elf, NULL);
	for (size_t i = 0; wid > 0 && i < cl.n_runs; i++) {
		struct json j;
		int64_t run_id;

		if (json__init(&j)) {
			wid = -1;
			break;
		}
		json__str(&j, "$.collector", "console");
		json__str(&j, "$.log", log);
		json__num(&j, "$.timebase_hz", hz);
		json__int(&j, "$.run_in_log", (int64_t)i);
		json__int(&j, "$.runs_in_log", (int64_t)cl.n_runs);
		json__int(&j, "$.garbage_lines", (int64_t)cl.garbage_lines);
		if (cl.runs[i].n_marks)
			json__int(&j, "$.first_line", cl.runs[i].marks[0].line);
		json__bool(&j, "$.exit_line", cl.runs[i].has_exit);
		if (store_console_run(st, wid, &cl.runs[i], hz, j.text, com.rep + (int)i, com.cell, &run_id))
			wid = -1;
		else
			printf("run %lld: console %s rep %lld: %zu marks, exit %d\n", (long long)run_id,
			       com.name ? com.name : dflt, (long long)com.rep + (long long)i, cl.runs[i].n_marks,
			       cl.runs[i].has_exit ? cl.runs[i].exit_code : -1);
		failed += cl.runs[i].has_exit && cl.runs[i].exit_code != 0;
		json__free(&j);
	}
	if (wid < 0) {
		store__rollback(st);
		rc = EXIT_FINDINGS;
		goto out;
	}
	if (store__commit(st)) {
		rc = EXIT_FINDINGS;
		goto out;
	}
	if (failed && com.fail_on_error)
		rc = EXIT_FINDINGS;
	if (stdout_flush_check() && rc == EXIT_OK)
		rc = EXIT_FINDINGS;
out:
	if (st)
		store__close(st);
	if (tab)
		symtab__free(tab);
	free(dflt);
	console_log__free(&cl);
	return rc;
}
