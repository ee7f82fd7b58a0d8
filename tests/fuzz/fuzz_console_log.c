/* Fuzz target: serial console logs (`@emudiff mark` lines) for collect console. */
#include "fuzz_input.h"
#include "hw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct console_log log = { 0 };
	FILE *f = fuzz_file(data, size);

	fuzz_quiet();
	if (!f)
		return 0;
	if (console_log__parse(f, "fuzz", &log) == 0)
		console_log__free(&log);
	fclose(f);
	return 0;
}
