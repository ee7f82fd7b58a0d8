/*
 * fuzz_input.h - helpers for fuzz targets whose parser takes a path or a FILE:
 * the input is handed over through fmemopen() or a memfd (no files on disk).
 */
#ifndef EMUDIFF_FUZZ_INPUT_H
#define EMUDIFF_FUZZ_INPUT_H

#include "common.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

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
