/*
 * cmd.h - the emudiff subcommands. One file per subcommand (cmd_<verb>.c),
 * dispatched from the table in emudiff.c, in the manner of git and perf.
 *
 * Each cmd_* gets argv with argv[0] being the subcommand's own name and
 * returns the process exit code (EXIT_OK, EXIT_FINDINGS, EXIT_BADINPUT).
 */
#ifndef EMUDIFF_CMD_H
#define EMUDIFF_CMD_H

#include <stddef.h>
#include <stdio.h>

int cmd_collect(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_align(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_study(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_cflags(int argc, char **argv);

/* The study's closing lines (suite_lines.c): the suite-level findings, then
 * (when no region is flagged) a summary that never counts a comparison that
 * cannot differ as agreement. */
struct sqlite3;
void print_suite_findings(struct sqlite3 *db);
void print_unflagged_summary(struct sqlite3 *db);
/* Per server workload, emulation / hardware of its throughput and latency
 * percentiles with their verdicts (server_lines.c); nothing without servers. */
void print_server_lines(struct sqlite3 *db);
/* One line per booted workload: its boot latency under QEMU and on hardware
 * (boot_lines.c, present__boot_line); nothing without boot latencies. */
void print_boot_lines(struct sqlite3 *db);

/* collect's own subcommands (cmd_collect.c dispatches). */
int cmd_collect_qemu(int argc, char **argv);
int cmd_collect_hw(int argc, char **argv);
int cmd_collect_hw_kvm(int argc, char **argv);
int cmd_collect_console(int argc, char **argv);

/* import's formats (cmd_import.c dispatches). */
int cmd_import_perf_stat(int argc, char **argv);
int cmd_import_perf_script(int argc, char **argv);
int cmd_import_uftrace(int argc, char **argv);
int cmd_import_cyclictest(int argc, char **argv);

/*
 * Shared option handling: every subcommand accepts -h/--help, which prints
 * its usage text to stdout and exits 0. A wrong option prints the usage text
 * to stderr and exits 2. Subcommands use getopt_long with these helpers.
 */
_Noreturn void cmd_usage(const char *usage_text, int status);
/* True if argv holds -h or --help before any "--". */
int cmd_wants_help(int argc, char **argv);

/*
 * getopt_long, with git's manners for a mistyped option: one error line naming
 * it and the closest option ("did you mean '--tolerance'?"), or saying which
 * option lacks its value; returns '?' then, like getopt_long.
 */
struct option;
/* The subcommand being run, as messages name it ("stats", "collect qemu"). */
void cmd_set_name(const char *name);
const char *cmd_name(void);
int cmd_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);
/* The candidate closest to word when close enough to be a typo, else NULL. */
const char *cmd_suggest(const char *word, const char *const *cands, size_t n);
/* error: "<what> '<word>'; did you mean '<closest>'? (see '<help>')". */
void cmd_unknown(const char *what, const char *word, const char *const *cands, size_t n, const char *help);

/*
 * Option values every collector shares, checked the same way everywhere:
 * cmd_opt_int() returns ARG as an int in [min, INT_MAX]; cmd_opt_seconds() a
 * positive number of seconds. Bad values end with a usage error (exit 2).
 */
int cmd_opt_int(const char *opt, const char *arg, int min);
double cmd_opt_seconds(const char *opt, const char *arg);

/*
 * The options every collector takes, so that study can spawn any of them the
 * same way: --db, --name, --reps, --rep, --cell, --timeout, --fail-on-error.
 * A collector puts COLLECT_COMMON_OPTIONS in its getopt_long table, offers
 * each option to collect_common__opt() first, and calls collect_common__check()
 * after the loop. Their short codes (d n r R c t F) are taken.
 */
struct collect_common {
	const char *db;       /* --db, else $EMUDIFF_DB, else emudiff.db */
	const char *name;     /* --name W; NULL: the collector's default */
	const char *cell;     /* --cell KEY (study), only with --reps 1 */
	int reps, reps_given; /* --reps N (default 1) and whether it was given */
	int rep;              /* --rep R: repetition number of the first run */
	int fail_on_error;    /* --fail-on-error: exit non-zero when a run fails */
	double timeout_s;     /* --timeout SEC per invocation; 0: none */
};
#define COLLECT_COMMON_OPTIONS                                                       \
	{ "db", required_argument, NULL, 'd' }, { "name", required_argument, NULL, 'n' }, \
	{ "reps", required_argument, NULL, 'r' }, { "rep", required_argument, NULL, 'R' }, \
	{ "cell", required_argument, NULL, 'c' }, { "timeout", required_argument, NULL, 't' }, \
	{ "fail-on-error", no_argument, NULL, 'F' }
void collect_common__init(struct collect_common *o);
/* 1 when option code c is a common one (and is applied), else 0. */
int collect_common__opt(struct collect_common *o, int c, const char *arg);
/* Checks between the common options; usage error (exit 2) naming cmd. */
void collect_common__check(const struct collect_common *o, const char *cmd);

/*
 * Client-server runs (cmd_driver.c): `collect qemu` and `collect hw` put
 * COLLECT_DRIVER_OPTIONS in their table and offer each option to
 * collect_driver__opt(); collect_driver__check() returns the options, or NULL
 * when the run has no driver; with a driver, every child the collector starts
 * from then on leads a process group of its own (proc__children), the server
 * too. collect_driver_usage is their help. collect hw catches SIGINT and
 * SIGTERM (proc__catch_interrupts), which no longer reach the server, stops
 * the server when one came (proc__interrupted: the signal) and dies of it
 * without storing that invocation.
 */
struct driver_opts;
enum { OPT_DRIVER = 0x400, OPT_PORT, OPT_READY_TIMEOUT, OPT_BUDGET, OPT_READY_CONSOLE, OPT_BOOT_CONSOLE, OPT_PARSE };
#define COLLECT_DRIVER_OPTIONS                                                                  \
	{ "driver", required_argument, NULL, OPT_DRIVER }, { "port", required_argument, NULL, OPT_PORT }, \
	{ "ready-timeout", required_argument, NULL, OPT_READY_TIMEOUT },                             \
	{ "budget", required_argument, NULL, OPT_BUDGET },                                           \
	{ "ready-console", required_argument, NULL, OPT_READY_CONSOLE }
extern const char collect_driver_usage[];
void collect_driver__init(struct driver_opts *d);
int collect_driver__opt(struct driver_opts *d, int c, const char *arg);
/* guest: the collector runs a guest whose console it reads (--ready-console) */
const struct driver_opts *collect_driver__check(const struct driver_opts *d, int guest);
/* --boot-console STR of the collectors that run a guest (collect qemu --system,
 * collect hw-kvm); the value must not be empty (usage error). */
#define COLLECT_BOOT_CONSOLE_OPTION { "boot-console", required_argument, NULL, OPT_BOOT_CONSOLE }
const char *collect_boot_console__opt(const char *arg);
/* --parse FORMAT of collect qemu and collect hw-kvm: the workload's output (a
 * guest's: framed on its console) is a measurement too: cyclictest, or
 * cyclictest-nsecs (its summary lines in ns, -N); else a usage error. */
struct output_parse;
#define COLLECT_PARSE_OPTION { "parse", required_argument, NULL, OPT_PARSE }
void collect_parse__opt(struct output_parse *p, const char *v);
/* Die of signal sig, as the caller (a shell, the study) expects of an interrupted
 * command; returns 128 + sig should the signal not end the process. */
int cmd_die_of_signal(int sig);

/* What an importer does around its parser (cmd_util.c): the input file opened
 * for reading (NULL after "PATH: reason"); the store opened for in, with
 * in->workload.name defaulting to the file's basename (*dflt, caller frees). */
struct store;
struct import_ingest;
FILE *cmd_open_input(const char *path);
struct store *cmd_import_store(struct import_ingest *in, const char *db, char **dflt);

/*
 * The options every importer takes: --db, --name, --arch, --rep, --cell (short
 * codes d n a R c). An importer puts IMPORT_COMMON_OPTIONS in its getopt_long
 * table and offers each option to import_common__opt() first (1: applied).
 */
#define IMPORT_COMMON_OPTIONS                                                        \
	{ "db", required_argument, NULL, 'd' }, { "name", required_argument, NULL, 'n' }, \
	{ "arch", required_argument, NULL, 'a' }, { "rep", required_argument, NULL, 'R' }, \
	{ "cell", required_argument, NULL, 'c' }
struct import_ingest;
int import_common__opt(struct import_ingest *in, const char **db, int c, const char *arg);

/* The directory holding the emudiff binary (for finding the plugin and headers). */
const char *cmd_self_dir(void);

#endif
