/* Fuzz target: the RV64GC decoder over arbitrary bytes. */
#include "align.h"
#include "fuzz_input.h"

#include <stdint.h>
#include <string.h>

/* Decodes everything; the summary counts decoded instructions by length and
 * the 2-byte steps over what did not decode. Never refuses. */
int fuzz_target(const uint8_t *data, size_t size, struct fuzz_sum *sum)
{
	size_t off = 0, n2 = 0, n4 = 0, bad = 0;

	while (off < size) {
		struct rv_insn in;
		unsigned len = rv64_decode(data + off, size - off, &in);

		if (len == 0) {
			off += 2;
			bad++;
			continue;
		}
		/* a decoded instruction has a consistent length, a class and a name */
		if ((len != 2 && len != 4) || len > size - off || in.cls >= INSN_CLASS_COUNT ||
		    !in.mnemonic || !insn_class_name(in.cls))
			__builtin_trap();
		if (len == 2)
			n2++;
		else
			n4++;
		off += len;
	}
	fuzz_add(sum, "insns=%zu compressed=%zu undecoded=%zu", n2 + n4, n2, bad);
	return 1;
}

FUZZ_ENTRY
