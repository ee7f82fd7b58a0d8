/* Fuzz target: the QEMU plugin's output file, as collect qemu reads it. */
#include "fuzz_input.h"
#include "qemu_output.h"

int fuzz_target(const uint8_t *data, size_t size, struct fuzz_sum *sum)
{
	struct qemu_output out = { 0 };
	char path[64];
	int fd, ok;
	uint64_t v;

	fuzz_quiet();
	fd = fuzz_path(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	ok = qemu_output__read(path, &out) == 0;
	if (ok) {
		fuzz_add(sum, "version=%d arch=%s marks=%zu events=%zu symbols=%zu msyms=%zu",
			 out.version, out.arch ? out.arch : "-", out.n_marks, out.n_events,
			 out.n_symbols, out.n_msyms);
		if (qemu_output__total(&out, "insns", &v) == 0)
			fuzz_add(sum, "insns=%llu", (unsigned long long)v);
		qemu_output__free(&out);
	}
	close(fd);
	return ok;
}

FUZZ_ENTRY
