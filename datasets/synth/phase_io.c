/*
 * phase_io.c - syscall-heavy file i/o: a temporary file written and read back
 * in small chunks, one write(2)/read(2) each. The time goes to the kernel,
 * which a user-mode emulator does not count as instructions at all.
 */
#include "synth.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

uint64_t phase_file_io(const struct synth_sizes *z)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	size_t chunk = z->io_chunk ? z->io_chunk : 1;
	uint64_t total = z->io_kib * 1024, sum = 0, s = z->seed | 1;
	unsigned char *buf = malloc(chunk);
	int fd;

	if (!buf)
		return SYNTH_FAILED;
	snprintf(path, sizeof(path), "%s/wl-synth-io-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0) {
		perror("wl-synth: file_io: mkstemp");
		free(buf);
		return SYNTH_FAILED;
	}
	unlink(path); /* nothing left behind, even if we are killed */
	for (size_t i = 0; i < chunk; i++)
		buf[i] = (unsigned char)synth_rand(&s);
	for (uint64_t done = 0; done < total; done += chunk) {
		buf[0] = (unsigned char)done;
		if (write(fd, buf, chunk) != (ssize_t)chunk) {
			perror("wl-synth: file_io: write");
			sum = SYNTH_FAILED;
			goto out;
		}
	}
	if (lseek(fd, 0, SEEK_SET) != 0) {
		sum = SYNTH_FAILED;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf, chunk);
		if (n <= 0)
			break;
		sum += buf[0] + buf[n - 1];
	}
out:
	close(fd);
	free(buf);
	return sum;
}
