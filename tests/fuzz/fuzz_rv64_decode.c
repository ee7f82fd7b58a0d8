/* Fuzz target: the RV64GC decoder over arbitrary bytes. */
#include "align.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (off < size) {
		struct rv_insn in;
		unsigned len = rv64_decode(data + off, size - off, &in);

		if (len == 0) {
			off += 2;
			continue;
		}
		/* a decoded instruction has a consistent length, a class and a name */
		if ((len != 2 && len != 4) || len > size - off || in.cls >= INSN_CLASS_COUNT ||
		    !in.mnemonic || !insn_class_name(in.cls))
			__builtin_trap();
		off += len;
	}
	return 0;
}
