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
 * a workload keeps the collector's group, so that it can read the terminal.
 */
#include <sys/resource.h>
#include <sys/types.h>

#define PROC_GRACE_S 5

enum proc_flags {
	PROC_GROUP = 1, /* the child leads a process group of its own */
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
/* Supervise a child forked otherwise. */
void proc__adopt(struct proc *p, pid_t pid, unsigned flags, double timeout_s, int levels);
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

#include "vocab.h"

#endif
