/* Fuzz target: `perf stat -x,` CSV for import perf-stat. */
#include "fuzz_input.h"
#include "hw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct perf_stat st = { 0 };
	FILE *f = fuzz_file(data, size);

	fuzz_quiet();
	if (!f)
		return 0;
	if (perf_stat__parse(f, "fuzz", &st) == 0)
		perf_stat__free(&st);
	fclose(f);
	return 0;
}
