/*
 * cmd.h - the emudiff subcommands. One file per subcommand (cmd_<verb>.c),
 * dispatched from the table in emudiff.c, in the manner of git and perf.
 *
 * Each cmd_* gets argv with argv[0] being the subcommand's own name and
 * returns the process exit code (EXIT_OK, EXIT_FINDINGS, EXIT_BADINPUT).
 */
#ifndef EMUDIFF_CMD_H
#define EMUDIFF_CMD_H

int cmd_collect(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_align(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_study(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_cflags(int argc, char **argv);

/* collect's own subcommands (cmd_collect.c dispatches). */
int cmd_collect_qemu(int argc, char **argv);
int cmd_collect_hw(int argc, char **argv);
int cmd_collect_hw_kvm(int argc, char **argv);
int cmd_collect_console(int argc, char **argv);

/* import's formats (cmd_import.c dispatches). */
int cmd_import_perf_stat(int argc, char **argv);
int cmd_import_perf_script(int argc, char **argv);
int cmd_import_uftrace(int argc, char **argv);

/*
 * Shared option handling: every subcommand accepts -h/--help, which prints
 * its usage text to stdout and exits 0. A wrong option prints the usage text
 * to stderr and exits 2. Subcommands use getopt_long with these helpers.
 */
_Noreturn void cmd_usage(const char *usage_text, int status);
/* True if argv holds -h or --help before any "--". */
int cmd_wants_help(int argc, char **argv);

/*
 * Option values every collector shares, checked the same way everywhere:
 * cmd_opt_int() returns ARG as an int in [min, INT_MAX]; cmd_opt_seconds() a
 * positive number of seconds. Bad values end with a usage error (exit 2).
 */
int cmd_opt_int(const char *opt, const char *arg, int min);
double cmd_opt_seconds(const char *opt, const char *arg);

/* The directory holding the emudiff binary (for finding the plugin and headers). */
const char *cmd_self_dir(void);

#endif
