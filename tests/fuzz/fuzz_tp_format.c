/* Fuzz target: tracefs event format files (kvm:kvm_exit and friends) for collect hw-kvm. */
#include "fuzz_input.h"
#include "hw.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tp_format f;
	char *text = malloc(size + 1);

	fuzz_quiet();
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&f, 0, sizeof(f));
	if (tp_format__parse(&f, text, "fuzz") == 0) {
		tp_format__field(&f, "exit_reason");
		tp_format__free(&f);
	}
	free(text);
	return 0;
}
