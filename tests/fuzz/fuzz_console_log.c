/* Fuzz target: serial console logs (`@emudiff mark` lines) for collect console. */
#include "fuzz_input.h"
#include "hw.h"

int fuzz_target(const uint8_t *data, size_t size, struct fuzz_sum *sum)
{
	struct console_log log = { 0 };
	FILE *f = fuzz_file(data, size);
	int ok;

	fuzz_quiet();
	if (!f)
		return 0;
	ok = console_log__parse(f, "fuzz", &log) == 0;
	if (ok) {
		size_t marks = 0, exits = 0;

		for (size_t i = 0; i < log.n_runs; i++) {
			marks += log.runs[i].n_marks;
			exits += log.runs[i].has_exit;
		}
		fuzz_add(sum, "runs=%zu marks=%zu exits=%zu garbage=%zu", log.n_runs, marks, exits,
			 log.garbage_lines);
		console_log__free(&log);
	}
	fclose(f);
	return ok;
}

FUZZ_ENTRY
