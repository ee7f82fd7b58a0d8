/*
 * marked-prog.c - a small workload for the align tests: a handful of
 * functions (static and global), named markers, one marker id used at two
 * sites and one marker without a name, so that symbolization, the
 * .emudiff_marks reader and `emudiff align --check` all have known answers.
 *
 * Markers are written here with the encoding of docs/design.md's marker ABI
 * directly (inline assembly), so this file builds for x86_64 and riscv64
 * without the marker runtime; the record layout in .emudiff_marks is
 * mark.h's: uint32 id, uint32 name_len (with the NUL), name, padding to 4.
 */
#include <stdio.h>
#include <stdlib.h>

#define STR_(x) #x
#define STR(x) STR_(x)

#define MARK_RECORD(id, name)                                                        \
	__asm__ volatile(".pushsection .emudiff_marks,\"a\",@progbits\n\t"           \
			 ".balign 4\n\t"                                             \
			 ".long " STR(id) "\n\t"                                     \
			 ".long 2f - 1f\n"                                           \
			 "1:\t.asciz \"" name "\"\n"                                 \
			 "2:\t.balign 4\n\t"                                         \
			 ".popsection")

#if defined(__x86_64__)
#define MARK_INSN(id) __asm__ volatile(".byte 0x0f, 0x1f, 0x80\n\t.long 0x45440000 + " STR(id))
#elif defined(__riscv)
#define MARK_INSN(id) __asm__ volatile("slti x0, x0, " STR(id))
#else
#error "marked-prog.c: x86_64 or riscv64 only"
#endif

#define MARK(id) MARK_INSN(id)
#define MARK_NAMED(id, name)                                                          \
	do {                                                                          \
		MARK_RECORD(id, name);                                                \
		MARK_INSN(id);                                                        \
	} while (0)

volatile long sink;

static __attribute__((noinline)) long local_helper(long x)
{
	return x * 3 + 1;
}

__attribute__((noinline)) long phase_setup(long n)
{
	long i, s = 0;

	MARK_NAMED(1, "setup");
	for (i = 0; i < n; i++)
		s += local_helper(i);
	return s;
}

__attribute__((noinline)) long phase_compute(long n)
{
	long i, s = 1;

	MARK_NAMED(2, "compute");
	for (i = 1; i < n; i++)
		s = s * 7 % 1000003 + i;
	MARK(3); /* no name on purpose */
	return s;
}

__attribute__((noinline)) void phase_output(long v)
{
	MARK_NAMED(4, "output");
	sink = v;
	MARK_NAMED(4, "output"); /* id 4 used twice on purpose */
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100;
	long a = phase_setup(n), b = phase_compute(n);

	phase_output(a + b);
	MARK_NAMED(5, "end");
	printf("%ld\n", (long)sink);
	return 0;
}
