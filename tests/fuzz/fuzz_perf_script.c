/* Fuzz target: `perf script` text for import perf-script. */
#include "fuzz_input.h"
#include "hw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct perf_script ps = { 0 };
	FILE *f = fuzz_file(data, size);

	fuzz_quiet();
	if (!f)
		return 0;
	if (perf_script__parse(f, "fuzz", NULL, &ps) == 0)
		perf_script__free(&ps);
	fclose(f);
	return 0;
}
