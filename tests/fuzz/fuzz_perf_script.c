/* Fuzz target: `perf script` text for import perf-script. */
#include "fuzz_input.h"
#include "hw.h"

int fuzz_target(const uint8_t *data, size_t size, struct fuzz_sum *sum)
{
	struct perf_script ps = { 0 };
	FILE *f = fuzz_file(data, size);
	int ok;

	fuzz_quiet();
	if (!f)
		return 0;
	ok = perf_script__parse(f, "fuzz", NULL, &ps) == 0;
	if (ok) {
		fuzz_add(sum, "samples=%llu symbols=%zu event=%s comm=%s",
			 (unsigned long long)ps.samples, ps.n, ps.event ? ps.event : "-",
			 ps.comm ? ps.comm : "-");
		perf_script__free(&ps);
	}
	fclose(f);
	return ok;
}

FUZZ_ENTRY
