/*
 * synth.h - the synthetic workload's phases. Each phase exercises one
 * behaviour whose cost QEMU may misrepresent (see datasets/README section of
 * the project README); main.c runs them between named markers so that every
 * phase becomes one region on both emulation and hardware.
 *
 * Every phase returns a checksum that main.c prints, so the compiler keeps
 * the work, and a phase that can verify itself (compression round trip, key
 * lookups) returns SYNTH_FAILED when the check fails.
 */
#ifndef EMUDIFF_SYNTH_H
#define EMUDIFF_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#define SYNTH_FAILED UINT64_MAX

/* Sizes, one per phase, all set from the command line (main.c). */
struct synth_sizes {
	uint64_t alu_iters;      /* integer ALU: iterations of the mixing loop */
	uint64_t fp_iters;       /* floating point: libm calls per function */
	uint64_t stream_mib;     /* memory streaming: buffer size (MiB) */
	uint64_t stream_passes;  /* ... and passes over it */
	uint64_t chase_mib;      /* pointer chasing: working set (MiB), far above the LLC */
	uint64_t chase_steps;    /* ... and dependent loads */
	uint64_t branch_iters;   /* unpredictable branches */
	uint64_t hash_kib;       /* hashing: buffer size (KiB), cache-resident */
	uint64_t hash_passes;
	uint64_t io_kib;         /* file i/o: bytes written then read back (KiB) */
	uint64_t io_chunk;       /* ... in chunks of this many bytes (one syscall each) */
	uint64_t net_msgs;       /* loopback TCP ping-pong round trips */
	uint64_t kv_keys;        /* key-value store: keys inserted (then scanned) */
	uint64_t kv_lookups;     /* ... and point lookups of inserted keys */
	uint64_t zip_kib;        /* compression: input size (KiB) */
	uint64_t seed;
};

/* xorshift64*: the one PRNG all phases use, so runs are reproducible. */
static inline uint64_t synth_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

uint64_t phase_int_alu(const struct synth_sizes *z);
uint64_t phase_fp(const struct synth_sizes *z);
uint64_t phase_stream(const struct synth_sizes *z);

/* Pointer chasing has a set-up (building the random cycle) and the chase. */
struct chase;
struct chase *chase__new(const struct synth_sizes *z);
uint64_t chase__run(struct chase *c, uint64_t steps);
void chase__free(struct chase *c);

uint64_t phase_branch(const struct synth_sizes *z);
uint64_t phase_hash(const struct synth_sizes *z);
uint64_t phase_file_io(const struct synth_sizes *z);
uint64_t phase_net(const struct synth_sizes *z);

/* The key-value store has three phases on one table. */
struct kv;
struct kv *kv__new(uint64_t nkeys);
uint64_t kv__insert_all(struct kv *kv, uint64_t seed);
uint64_t kv__lookup_all(struct kv *kv, uint64_t seed, uint64_t lookups);
uint64_t kv__scan(struct kv *kv);
void kv__free(struct kv *kv);

uint64_t phase_compress(const struct synth_sizes *z);

#endif
