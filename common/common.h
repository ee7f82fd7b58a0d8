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

#endif
