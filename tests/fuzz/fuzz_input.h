/*
 * fuzz_input.h - helpers for fuzz targets whose parser takes a path or a FILE:
 * the input is handed over through fmemopen() or a memfd (no files on disk).
 *
 * Every target defines fuzz_target(): 1 when the parser accepted the input,
 * 0 when it refused it, and, when sum is not NULL, a summary of what was
 * parsed ("marks=12 runs=2") that replay.c compares with the expected
 * outcomes in expect/TARGET. LLVMFuzzerTestOneInput only calls it.
 */
#ifndef EMUDIFF_FUZZ_INPUT_H
#define EMUDIFF_FUZZ_INPUT_H

#include "common.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct fuzz_sum {
	char *buf;
	size_t len;
};

int fuzz_target(const uint8_t *data, size_t size, struct fuzz_sum *sum);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ENTRY                                                       \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)     \
	{                                                                \
		fuzz_target(data, size, NULL);                           \
		return 0;                                                \
	}

/* Appends " key=value" to the summary (nothing without one). */
__attribute__((format(printf, 2, 3)))
static inline void fuzz_add(struct fuzz_sum *sum, const char *fmt, ...)
{
	size_t used;
	va_list ap;

	if (!sum)
		return;
	used = strlen(sum->buf);
	if (used + 1 >= sum->len)
		return;
	if (used)
		sum->buf[used++] = ' ';
	va_start(ap, fmt);
	vsnprintf(sum->buf + used, sum->len - used, fmt, ap);
	va_end(ap);
}

/* The bytes as a FILE (NULL for empty input, which fmemopen refuses). */
static inline FILE *fuzz_file(const uint8_t *data, size_t size)
{
	return size ? fmemopen((void *)data, size, "r") : NULL;
}

/* The bytes behind a path (/proc/self/fd/N of a memfd); fd to close after. */
static inline int fuzz_path(const uint8_t *data, size_t size, char *path, size_t pathlen)
{
	int fd = memfd_create("fuzz", 0);

	if (fd < 0)
		return -1;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	return fd;
}

/* Messages off: the fuzzer feeds mostly bad input on purpose (libFuzzer's own
 * statistics go to stderr too, so stderr itself stays open). */
static inline void fuzz_quiet(void)
{
	messages_quiet(1);
}

#endif
