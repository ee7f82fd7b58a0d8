/*
 * phase_cpu.c - compute phases that stay in registers or in the L1/L2 cache:
 * integer ALU, unpredictable branches and hashing. Integer ALU and hashing are
 * the controls of the study: their hardware cost should follow the emulated
 * instruction count; branches should not (a misprediction costs ~15 cycles on
 * hardware and nothing extra under TCG).
 */
#include "synth.h"

#include <stdlib.h>
#include <string.h>

uint64_t phase_int_alu(const struct synth_sizes *z)
{
	/* Four dependent chains of add/xor/shift/rotate/multiply: a steady,
	 * branch-free integer mix that a superscalar core overlaps moderately. */
	uint64_t a = z->seed, b = z->seed ^ 0x9E3779B97F4A7C15ULL, c = 0x243F6A8885A308D3ULL, d = 7;

	for (uint64_t i = 0; i < z->alu_iters; i++) {
		a += b ^ (c >> 3);
		b = ((b << 7) | (b >> 57)) + d;
		c ^= a * 0x9E3779B97F4A7C15ULL;
		d += c + i;
	}
	return a ^ b ^ c ^ d;
}

uint64_t phase_branch(const struct synth_sizes *z)
{
	/* Random bytes in a cache-resident table; the branch on each byte is a
	 * coin flip, so about half the branches mispredict on hardware. The empty
	 * volatile asm keeps the compiler from turning the branch into a cmov. */
	enum { TABLE = 64 * 1024 };
	uint8_t *t = malloc(TABLE);
	uint64_t s = z->seed | 1, acc = 0, hits = 0;

	if (!t)
		return SYNTH_FAILED;
	for (size_t i = 0; i < TABLE; i += 8) {
		uint64_t r = synth_rand(&s);
		memcpy(t + i, &r, 8);
	}
	for (uint64_t i = 0; i < z->branch_iters; i++) {
		uint8_t v = t[i & (TABLE - 1)];
		if (v & 0x80) {
			__asm__ volatile("");
			hits++;
			acc += v;
		} else {
			acc ^= (uint64_t)v << (i & 31);
		}
	}
	free(t);
	return acc + hits;
}

static inline uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

uint64_t phase_hash(const struct synth_sizes *z)
{
	/* A two-lane multiply-rotate hash over a buffer that fits in L2: a
	 * dependent multiply chain per lane, the shape of FNV/xxHash inner loops
	 * (our own code). Like int_alu, its cost follows its instruction count. */
	size_t words = (size_t)z->hash_kib * 1024 / 16 * 2;
	uint64_t *buf = malloc((words ? words : 2) * sizeof(*buf)), s = z->seed | 1, h = 0;

	if (!buf)
		return SYNTH_FAILED;
	for (size_t i = 0; i < words; i++)
		buf[i] = synth_rand(&s);
	for (uint64_t p = 0; p < z->hash_passes; p++) {
		uint64_t v1 = p + 0x60EA27EEADC0B5D6ULL, v2 = p ^ 0xC2B2AE3D27D4EB4FULL;

		for (size_t i = 0; i < words; i += 2) {
			v1 = rotl64(v1 ^ buf[i], 31) * 0x9E3779B185EBCA87ULL;
			v2 = rotl64(v2 ^ buf[i + 1], 27) * 0xC2B2AE3D27D4EB4FULL;
		}
		h ^= rotl64(v1, 1) + rotl64(v2, 7);
	}
	free(buf);
	return h;
}
