/*
 * rv64_user.S - riscv64 Linux user-mode test program with a hand-counted
 * number of instructions between markers (tests/plugin).
 *
 * Marker hits (seq: id, instructions executed before the marker):
 *   seq 0     id 1   0
 *   seq 1..1000 id 3   4 + 6 * (seq - 1)   (loop body: 6 instructions)
 *   seq 1001  id 2   6002
 *   seq 1002  id 4   6034  (2 + 3 * 8 + 6 + 6002)
 * Total 6038. Region seq 1001: three write(1, msg, 1) and one write(-1, ...)
 * (EBADF). Region seq 1002: exit_group(3). Each loop iteration does one
 * store and one load on the stack page.
 */
	.option norelax
	.text
	.globl _start
	.type _start, @function
_start:
	slti x0, x0, 1          /* seq 0 */
	li t0, 1000
1:	addi t1, t1, 1
	sd t1, -8(sp)
	slti x0, x0, 3          /* seq 1..1000: store before, load after, in one block */
	ld t2, -8(sp)
	addi t0, t0, -1
	bnez t0, 1b
	slti x0, x0, 2          /* seq 1001 */
	li s1, 3
2:	li a0, 1                /* 8 instructions per write */
	lla a1, msg
	li a2, 1
	li a7, 64
	ecall
	addi s1, s1, -1
	bnez s1, 2b
	li a0, -1               /* a failing write: EBADF */
	lla a1, msg
	li a2, 1
	li a7, 64
	ecall
	slti x0, x0, 4          /* seq 1002 */
	li a0, 3
	li a7, 94
	ecall
	.size _start, .-_start

	.section .rodata
msg:	.ascii "."
