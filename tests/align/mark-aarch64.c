/*
 * mark-aarch64.c - a freestanding aarch64 program (built with clang and lld,
 * the tree has no aarch64 gcc) with <emudiff/mark.h> markers, for the
 * aarch64 path of `emudiff align --check` and of the symbolizer.
 */
#include <emudiff/mark.h>

volatile long counter;

__attribute__((noinline)) void work(long n)
{
	EMUDIFF_MARK_INSN_NAMED(21, "work");
	for (long i = 0; i < n; i++)
		counter += i;
	EMUDIFF_MARK_INSN(22);
}

void _start(void)
{
	EMUDIFF_MARK_INSN_NAMED(20, "start");
	work(10);
	EMUDIFF_MARK_INSN_NAMED(23, "end");
	for (;;)
		;
}
