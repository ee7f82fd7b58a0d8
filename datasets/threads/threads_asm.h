/*
 * threads_asm.h - the loops of wl-threads, written in assembly (x86_64 and
 * riscv64) so that their instruction counts follow from the code, whatever
 * the compiler does around them:
 *
 *   threads_spin(n, x)            4 instructions per iteration (n >= 1)
 *   threads_atomic_add(p, n)      3 per iteration: one atomic add of 1 to *p
 *   threads_private(w, words, passes)
 *                                 passes * (4 + 6 * words): per pass 2 to set
 *                                 up, 6 per word (load, add, store, advance,
 *                                 count, branch), 2 to count the pass
 */
#ifndef THREADS_ASM_H
#define THREADS_ASM_H

#include <stdint.h>

static inline uint64_t threads_spin(uint64_t n, uint64_t x)
{
	uint64_t a = 0;

#if defined(__x86_64__)
	__asm__ volatile("1:\n\t"
			 "add $3, %[a]\n\t"
			 "xor %[a], %[x]\n\t"
			 "dec %[n]\n\t"
			 "jnz 1b"
			 : [a] "+r"(a), [x] "+r"(x), [n] "+r"(n)
			 :
			 : "cc");
#elif defined(__riscv) && __riscv_xlen == 64
	__asm__ volatile("1:\n\t"
			 "addi %[a], %[a], 3\n\t"
			 "xor %[x], %[x], %[a]\n\t"
			 "addi %[n], %[n], -1\n\t"
			 "bnez %[n], 1b"
			 : [a] "+r"(a), [x] "+r"(x), [n] "+r"(n));
#else
#error "wl-threads: x86_64 and riscv64 only"
#endif
	return x;
}

static inline void threads_atomic_add(uint64_t *p, uint64_t n)
{
#if defined(__x86_64__)
	__asm__ volatile("1:\n\t"
			 "lock addq $1, %[p]\n\t"
			 "dec %[n]\n\t"
			 "jnz 1b"
			 : [p] "+m"(*p), [n] "+r"(n)
			 :
			 : "cc", "memory");
#else
	uint64_t one = 1;

	__asm__ volatile("1:\n\t"
			 "amoadd.d zero, %[one], (%[p])\n\t"
			 "addi %[n], %[n], -1\n\t"
			 "bnez %[n], 1b"
			 : [n] "+r"(n)
			 : [one] "r"(one), [p] "r"(p)
			 : "memory");
#endif
}

static inline void threads_private(uint64_t *w, uint64_t words, uint64_t passes)
{
	uint64_t ptr, cnt, t;

#if defined(__x86_64__)
	__asm__ volatile("2:\n\t"
			 "mov %[w], %[ptr]\n\t"
			 "mov %[words], %[cnt]\n\t"
			 "3:\n\t"
			 "mov (%[ptr]), %[t]\n\t"
			 "add %[passes], %[t]\n\t"
			 "mov %[t], (%[ptr])\n\t"
			 "add $8, %[ptr]\n\t"
			 "dec %[cnt]\n\t"
			 "jnz 3b\n\t"
			 "dec %[passes]\n\t"
			 "jnz 2b"
			 : [passes] "+r"(passes), [ptr] "=&r"(ptr), [cnt] "=&r"(cnt), [t] "=&r"(t)
			 : [w] "r"(w), [words] "r"(words)
			 : "cc", "memory");
#else
	__asm__ volatile("2:\n\t"
			 "mv %[ptr], %[w]\n\t"
			 "mv %[cnt], %[words]\n\t"
			 "3:\n\t"
			 "ld %[t], 0(%[ptr])\n\t"
			 "add %[t], %[t], %[passes]\n\t"
			 "sd %[t], 0(%[ptr])\n\t"
			 "addi %[ptr], %[ptr], 8\n\t"
			 "addi %[cnt], %[cnt], -1\n\t"
			 "bnez %[cnt], 3b\n\t"
			 "addi %[passes], %[passes], -1\n\t"
			 "bnez %[passes], 2b"
			 : [passes] "+r"(passes), [ptr] "=&r"(ptr), [cnt] "=&r"(cnt), [t] "=&r"(t)
			 : [w] "r"(w), [words] "r"(words)
			 : "memory");
#endif
}

#endif
