/* work.c - the compute and memory phases shared by both programs (see work.h). */
#include "work.h"

uint64_t work_compute(unsigned rounds)
{
	uint64_t x = 0x9e3779b97f4a7c15ull, acc = 0;

	for (unsigned i = 0; i < rounds; i++) {
		/* xorshift64: a dependent chain of ALU work with no memory traffic */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		acc += x * (i | 1);
	}
	return acc;
}

uint64_t work_touch(volatile uint8_t *buf, size_t len, unsigned passes)
{
	uint64_t sum = 0;

	for (unsigned p = 0; p < passes; p++) {
		for (size_t off = 0; off < len; off += WORK_MEMORY_STRIDE)
			buf[off] = (uint8_t)(off + p);
		for (size_t off = 0; off < len; off += WORK_MEMORY_STRIDE)
			sum += buf[off];
	}
	return sum;
}
