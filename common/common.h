/*
 * common.h - what every emudiff library shares: messages, exit codes, small
 * string helpers. Messages follow git's prefixes (usage:, fatal:, error:,
 * warning:) so a user learns them once; error() returns -1 so that
 * `return error("...")` reads naturally.
 */
#ifndef EMUDIFF_COMMON_H
#define EMUDIFF_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes of the emudiff command (docs/design.md). */
enum {
	EXIT_OK = 0,
	EXIT_FINDINGS = 1, /* findings or failed runs, when asked to fail on them; runtime failure */
	EXIT_BADINPUT = 2, /* bad usage or bad input, with a one-line reason */
};

#if defined(__GNUC__)
#define EMUDIFF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define EMUDIFF_PRINTF(a, b)
#endif

/* Print "error: ..." to stderr; returns -1. */
int error(const char *fmt, ...) EMUDIFF_PRINTF(1, 2);
/* Print "warning: ..." to stderr. */
void warning(const char *fmt, ...) EMUDIFF_PRINTF(1, 2);
/* Print a progress line (what a collector stored) to stderr, unprefixed:
 * a workload's stdout stays the workload's alone. */
void note(const char *fmt, ...) EMUDIFF_PRINTF(1, 2);
/* Print "fatal: ..." to stderr and exit with EXIT_BADINPUT. */
_Noreturn void die(const char *fmt, ...) EMUDIFF_PRINTF(1, 2);
/* Print "usage: ..." to stderr and exit with EXIT_BADINPUT. */
_Noreturn void usage_die(const char *fmt, ...) EMUDIFF_PRINTF(1, 2);

/* Silence warnings (tests of error paths); errors are still returned. */
void messages_quiet(int quiet);

/* Allocation that cannot fail silently: dies with "fatal: out of memory". */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) EMUDIFF_PRINTF(1, 2);

/* Monotonic nanoseconds (CLOCK_MONOTONIC_RAW when available). */
int64_t now_ns(void);

/* Strict number parsing: whole string must be a number. 0 on success, -1 otherwise. */
int parse_i64(const char *s, int64_t *out);
int parse_u64(const char *s, uint64_t *out);
int parse_double(const char *s, double *out);

/* Flush stdout and check for write errors (ENOSPC, EIO): perf's habit, so that a
 * full disk is never a silent success. Returns 0 or an error (already printed). */
int stdout_flush_check(void);

/* SHA-256 of a file as 64 hex chars + NUL (by coreutils' sha256sum, so no crypto
 * library is pulled in for one checksum). Returns 0 or -1 (error printed). */
int file_sha256(const char *path, char out[65]);

/* A read-only connection of its own (SQLITE_OPEN_NOMUTEX: one thread) to the
 * store file of db, which then reads while db writes; NULL when db is in
 * memory or temporary, or not in WAL mode with normal locking (db.c, the one
 * file here that needs SQLite). */
struct sqlite3;
struct sqlite3 *db__open_reader(struct sqlite3 *db);

/* ---- JSON, built by SQLite's JSON functions (json.c) ----
 * The one JSON builder: config_json objects, argv arrays. Paths are SQLite's
 * ("$.a.b", "$[0]"); escaping and nesting are SQLite's. */
struct json {
	struct sqlite3 *db; /* in memory */
	char *text;         /* the document so far */
};
int json__init(struct json *j); /* "{}"; -1 if SQLite cannot open (error printed) */
void json__str(struct json *j, const char *path, const char *v);
void json__num(struct json *j, const char *path, double v);
void json__int(struct json *j, const char *path, int64_t v);
void json__bool(struct json *j, const char *path, int v);
void json__raw(struct json *j, const char *path, const char *json); /* a JSON value */
void json__free(struct json *j);
/* A JSON array of the words, e.g. a command line; caller frees; NULL on error. */
char *json__argv(int argc, char *const *argv);

/* ---- paths ----
 * The last component of a path ("/usr/bin/xz" -> "xz"), inside p. */
const char *path__base(const char *p);
/* prog as the shell would run it: a path with '/' as given, else the first
 * executable in $PATH; the real path, caller frees; NULL with errno. */
char *path__search(const char *prog);

/* ---- child processes: one supervisor, one deadline policy (proc.c) ----
 *
 * Every child emudiff runs (a workload, QEMU, a VMM, a study cell's collector)
 * ends the same way: at its deadline, or when a stop is requested, it gets
 * SIGTERM (QEMU's plugin writes its output then, a server shuts down cleanly),
 * and SIGKILL PROC_GRACE_S seconds later if it is still there. A child that
 * supervises children of its own (a study cell's collector) gets one grace
 * period more per level below it, so that the innermost child is ended first
 * and its parent still stores what it measured. A child in its own process
 * group (PROC_GROUP) is signalled as a group, so nothing it started survives;
 * a workload keeps the collector's group, so that it can read the terminal,
 * except a server under load (collect/driver.c): proc__children(PROC_GROUP |
 * PROC_LINGER) gives it a group of its own, so that a server signalling its
 * group (lighttpd's master ends its workers with kill(0, SIGTERM)) never
 * reaches the collector, stopping it reaches every worker, and workers that
 * outlive their master end before the collector reads what they counted.
 */
#include <sys/resource.h>
#include <sys/types.h>

#define PROC_GRACE_S 5

enum proc_flags {
	PROC_GROUP = 1,  /* the child leads a process group of its own */
	/* with PROC_GROUP: once the child has ended, the rest of its group (a
	 * server's workers) gets SIGTERM and the grace period to end on its own
	 * (a worker under QEMU writes its plugin output then) before SIGKILL,
	 * instead of SIGKILL at once */
	PROC_LINGER = 2,
};

enum proc_end {
	PROC_RUNNING,
	PROC_EXITED,  /* on its own */
	PROC_TIMEOUT, /* ended by its deadline */
	PROC_STOPPED, /* ended on request (proc__stop) */
};

struct proc {
	pid_t pid;
	unsigned flags;
	int64_t start_ns, deadline_ns; /* deadline 0: none */
	int64_t grace_ns;
	int64_t term_ns; /* SIGTERM sent then; 0: not yet */
	int killed;      /* SIGKILL sent */
	enum proc_end end;
	int wstatus;     /* waitpid's, once the child is reaped */
	struct rusage ru; /* the child's resource usage, once reaped (wait4) */
};

/* fork() under the supervisor: 0 in the child (in its own group with
 * PROC_GROUP), the pid in the parent, -1 with errno on failure. levels is the
 * number of supervisors below this child (0 for a workload or QEMU). */
pid_t proc__fork(struct proc *p, unsigned flags, double timeout_s, int levels);
/* Supervise a child forked otherwise; with PROC_GROUP it is moved into a
 * group of its own here, which works until it calls exec. */
void proc__adopt(struct proc *p, pid_t pid, unsigned flags, double timeout_s, int levels);
/* Flags every child forked or adopted from now on gets besides its own. With
 * PROC_LINGER this process also becomes the subreaper of what its children
 * leave behind (prctl PR_SET_CHILD_SUBREAPER), so that it reaps a group's
 * orphaned workers itself. */
void proc__children(unsigned flags);
/* Reap without blocking and apply the deadline policy; 1 once the child is
 * reaped (p->end and p->wstatus set), 0 while it runs. */
int proc__step(struct proc *p);
/* Ask the child to stop: SIGTERM now, SIGKILL after the grace. */
void proc__stop(struct proc *p);
/* Milliseconds until proc__step has something to do (for poll), at most cap_ms. */
int proc__wait_ms(const struct proc *p, int cap_ms);
/* Block until the child is reaped, applying the policy. */
void proc__wait(struct proc *p);
/* Why the child ended, for a run's record: "exit 3", "signal 11", "timeout
 * after 2.0 s", ... into buf. */
const char *proc__describe(const struct proc *p, char *buf, size_t size);
/* A collector's SIGINT/SIGTERM stop what it supervises instead of ending it
 * (a handler is installed unless the signal is ignored, as a background
 * job's SIGINT is; without SA_RESTART, poll and sleeps return early), so
 * that it stores nothing of that invocation and then dies of the signal. */
void proc__catch_interrupts(void);
/* The signal caught since, or 0. */
int proc__interrupted(void);

#include "vocab.h"

/* ---- one presentation of results (present.c) ----
 * What the terminal, `emudiff show` and the report print of a result is
 * decided here once, so that the three say the same thing. */

/*
 * The primary finding of each region: predictor insns (the icount view), the
 * workload's hardware metric (cycles, else time_ns), share baseline. Its
 * verdict is flagged only when the robust baseline's verdict agrees
 * (stats/findings.c), and its factor is hardware share / instruction share,
 * so the two shares printed beside it divide to it. A subquery with every
 * column of finding; PRIMARY_FINDING_WHY says the same in words.
 */
#define PRIMARY_FINDINGS_OF(where)                                                         \
	"(SELECT * FROM (SELECT f.*, row_number() OVER (PARTITION BY f.workload_id, f.region_id" \
	" ORDER BY f.predictor = 'insns' DESC, f.metric = 'cycles' DESC, f.metric = 'time_ns' DESC," \
	" coalesce(f.baseline, '') = 'share' DESC, f.id) AS primary_rank FROM finding f"        \
	" WHERE f.region_id IS NOT NULL AND (" where ")) WHERE primary_rank = 1)"
/* of every workload; PRIMARY_FINDINGS_OF(condition on finding f) of some */
#define PRIMARY_FINDING_SQL PRIMARY_FINDINGS_OF("1")
#define PRIMARY_FINDING_WHY                                                                \
	"primary finding of a region: instruction share against the hardware metric, share"   \
	" baseline (factor = hardware share / instruction share; flagged only when the robust"  \
	" baseline, cost per instruction against the workload's weighted median, agrees)"
/* Counts every output prints: regions compared (with a primary finding), findings
 * (rows of finding), regions flagged (primary finding outside the tolerance). */
#define FINDING_COUNTS_SQL                                                                 \
	"SELECT (SELECT count(*) FROM " PRIMARY_FINDING_SQL "),"                               \
	" (SELECT count(*) FROM finding),"                                                     \
	" (SELECT count(*) FROM " PRIMARY_FINDING_SQL " WHERE verdict IN ('underestimates', 'overestimates'))"

/*
 * Whether a per-event cost (event_cost's v with interval lo..hi, fitted on n
 * regions for terms terms) is determined by the data: NULL when it is, else
 * why not. A fit with fewer than 3 regions per term, without an interval, with
 * a negative estimate or an interval reaching zero does not determine the cost.
 */
#define EVENT_COST_WHY_SQL(v, lo, n, terms)                                                \
	"CASE WHEN " v " IS NULL THEN NULL"                                                    \
	" WHEN " n " < 3 * " terms " THEN printf('only %d regions for %d terms', " n ", " terms ")" \
	" WHEN " v " < 0 THEN 'negative estimate'"                                             \
	" WHEN " lo " IS NULL THEN 'no interval'"                                              \
	" WHEN " lo " <= 0 THEN 'its interval reaches zero' END"
/* What would determine an event's cost (event: "syscall", "trap", "exit"). */
#define EVENT_COST_REMEDY "more regions that differ in their %s count"

/* What a run metric means where it is not plain, and for unattributed
 * instructions why they are and how to attribute them ('' otherwise). */
#define RUN_METRIC_NOTE_SQL(metric, value, elf_path)                                      \
	"CASE WHEN " metric " = '" METRIC_UNTIL_CONSOLE_NS "' THEN 'boot latency: host ns until the console string'" \
	" WHEN " metric " = '" METRIC_UNTIL_CONSOLE_INSNS "' THEN 'instructions until the console string'" \
	" WHEN " metric " = '" METRIC_BOOT_NS "' THEN 'boot latency: host ns until the --boot-console string'" \
	" WHEN " BOOT_METRIC_SQL(metric) " THEN 'boot latency: ns until the first line of stage '" \
	"  || " BOOT_STAGE_SQL(metric)                                                          \
	" WHEN " metric " = '" METRIC_INSNS_UNATTRIBUTED "' THEN CASE WHEN " value " = 0 THEN ''" \
	"  WHEN " elf_path " IS NULL OR " elf_path " = '' THEN 'no ELF given, so no symbols: collect with --elf F" \
	" (an ELF with symbols of the code run) to attribute them'"                            \
	"  ELSE 'outside every symbol of ' || " elf_path " || ' (stripped, or code not in that ELF such as" \
	" firmware): give --elf an ELF with symbols of that code to attribute them' END"      \
	" ELSE '' END"

/* A number as every output prints it: 3 significant digits, no exponent
 * between 1e-3 and 1e4 ("-" for NaN). */
void num__fmt(char *buf, size_t n, double v);
/* A duration in ns as every output prints a boot latency: in s, ms or us by
 * its size, num__fmt's digits, and its interval [lo, hi] in the same unit
 * when both ends are numbers: "2.29 s [2.23, 2.36]", "80.6 ms" ("-" for NaN). */
void dur_ci__fmt(char *buf, size_t n, double ns, double lo, double hi);
void dur__fmt(char *buf, size_t n, double ns);
/* A share (0..1) as every output prints it, in percent ("-" for NaN). */
void pct__fmt(char *buf, size_t n, double v);
/* Registers num__fmt as the SQL function emudiff_num(v) on db (NULL -> '-'),
 * dur_ci__fmt as emudiff_dur(ns, lo, hi) and boot_stage__label as
 * emudiff_stage(metric, console string). */
int num__register(struct sqlite3 *db);
/* Workload wid's boot latency in one sentence (present_boot.c): "until 'Linux
 * version' 1.23 s [1.20, 1.26] under QEMU, 812 ms [801, 823] on the board:
 * QEMU overestimates x1.52 [1.48, 1.55]", or "...: no hardware side". 1 with
 * it in buf, 0 when the workload has no boot latency, -1 on a SQL error. */
int present__boot_line(struct sqlite3 *db, int64_t wid, char *buf, size_t n);
/* Why workload wid (0: every workload) has no findings, from the store's state: the
 * missing side or the step not yet run, as a sentence in buf. 0, or -1 (SQL error). */
int present__why_no_findings(struct sqlite3 *db, int64_t wid, char *buf, size_t n);

#endif
