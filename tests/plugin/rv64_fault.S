/*
 * rv64_fault.S - an exception cuts a translation block short (tests/plugin).
 *
 * A load from address 0 in the middle of a block raises SIGSEGV; the
 * handler jumps past the rest of the block to marker 2. Instructions
 * before marker 1: 7 (rt_sigaction). From marker 1 to marker 2 the guest
 * starts exactly 5 instructions: slti (marker 1), addi, addi, ld (faults),
 * j (the handler). mode=exact counts 5. The default mode counts the whole
 * block at its entry (11 instructions, up to the ecall) plus the handler's
 * j: 12, the documented over-count of inline block counters.
 */
	.option norelax
	.text
	.globl _start
	.type _start, @function
_start:
	li a0, 11               /* rt_sigaction(SIGSEGV, &act, NULL, 8) */
	lla a1, act
	li a2, 0
	li a3, 8
	li a7, 134
	ecall
	slti x0, x0, 1          /* seq 0: 7 */
	addi t1, t1, 1
	addi t1, t1, 1
	ld t2, 0(zero)          /* SIGSEGV */
	addi t1, t1, 1          /* never executed */
	addi t1, t1, 1
	addi t1, t1, 1
resume:
	slti x0, x0, 2          /* seq 1: 12 (exact), 19 (default) */
	li a0, 0
	li a7, 94
	ecall
	.size _start, .-_start

	.type handler, @function
handler:
	j resume
	.size handler, .-handler

	.data
	.balign 8
act:	.dword handler          /* sa_handler */
	.dword 0                /* sa_flags */
	.dword 0                /* sa_mask */
