/* Fuzz target: perf stat output (text, -x, CSV, -j JSON) for import perf-stat. */
#include "fuzz_input.h"
#include "hw.h"

int fuzz_target(const uint8_t *data, size_t size, struct fuzz_sum *sum)
{
	struct perf_stat st = { 0 };
	FILE *f = fuzz_file(data, size);
	int ok;

	fuzz_quiet();
	if (!f)
		return 0;
	ok = perf_stat__parse(f, "fuzz", &st) == 0;
	if (ok) {
		size_t unsupported = 0;

		for (size_t i = 0; i < st.n; i++)
			unsupported += !st.rows[i].supported;
		fuzz_add(sum, "rows=%zu unsupported=%zu repeated=%d", st.n, unsupported, st.repeated);
		if (st.n)
			fuzz_add(sum, "first=%s:%g", st.rows[0].event, st.rows[0].value);
		perf_stat__free(&st);
	}
	fclose(f);
	return ok;
}

FUZZ_ENTRY
