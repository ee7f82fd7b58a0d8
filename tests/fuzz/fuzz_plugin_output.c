/* Fuzz target: the QEMU plugin's output file, as collect qemu reads it. */
#include "fuzz_input.h"
#include "qemu_output.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qemu_output out = { 0 };
	char path[64];
	int fd;
	uint64_t v;

	fuzz_quiet();
	fd = fuzz_path(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	if (qemu_output__read(path, &out) == 0) {
		qemu_output__total(&out, "insns", &v);
		qemu_output__free(&out);
	}
	close(fd);
	return 0;
}
