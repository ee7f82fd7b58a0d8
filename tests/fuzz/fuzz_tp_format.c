/* Fuzz target: tracefs event format files (kvm:kvm_exit and friends) for collect hw-kvm. */
#include "fuzz_input.h"
#include "hw.h"

#include <stdlib.h>
#include <string.h>

int fuzz_target(const uint8_t *data, size_t size, struct fuzz_sum *sum)
{
	struct tp_format f;
	char *text = malloc(size + 1);
	int ok;

	fuzz_quiet();
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&f, 0, sizeof(f));
	ok = tp_format__parse(&f, text, "fuzz") == 0;
	if (ok) {
		const struct tp_field *last = f.nfields ? &f.fields[f.nfields - 1] : NULL;

		fuzz_add(sum, "id=%d fields=%zu exit_reason=%s", f.id, f.nfields,
			 tp_format__field(&f, "exit_reason") ? "yes" : "no");
		if (last)
			fuzz_add(sum, "last=%s@%u+%u", last->name, last->offset, last->size);
		tp_format__free(&f);
	}
	free(text);
	return ok;
}

FUZZ_ENTRY
