/*
 * rv64_threads.S - riscv64 Linux user-mode test program with three threads
 * started by the raw clone system call (tests/plugin): thread 0 starts
 * thread 1, which starts thread 2 (so the creation order is fixed whatever
 * the scheduling), and each thread ends with exit, the last one ending the
 * process with status 0. Hand-counted instructions of each thread before
 * its markers (its own count):
 *
 *   thread 0: id 1: 0; id 2: 202 (mark, li, 100 x 2); id 3: 213 (mark,
 *             8 setup: lui+addi, auipc+addi, 3 li, li a7; ecall; bnez);
 *             id 4: 815 (mark, li, 300 x 2); total 819 (mark, 2 li, ecall)
 *   thread 1: id 11: 1 (the bnez after its clone returned 0, not taken);
 *             id 12: 1003; id 13: 1014; id 14: 1116; total 1120
 *   thread 2: id 21: 1; id 22: 1403 (mark, li, 700 x 2); total 1407
 *
 * A new thread starts after the ecall with a0 = 0: the bnez does not
 * branch, and it falls through to its own code.
 * System calls: thread 0: clone after mark 2, exit after mark 4; thread 1:
 * clone after mark 12, exit after mark 14; thread 2: exit after mark 22.
 */
	.option norelax
	.text
	.globl _start
	.type _start, @function
_start:
	slti x0, x0, 1
	li t0, 100
1:	addi t0, t0, -1
	bnez t0, 1b
	slti x0, x0, 2
	lui a0, 0x51            /* CLONE_VM | FS | FILES | SIGHAND | THREAD | SYSVSEM */
	addi a0, a0, -0x100     /* = 0x50f00 */
	lla a1, stack1_top
	li a2, 0
	li a3, 0
	li a4, 0
	li a7, 220              /* clone */
	ecall
	bnez a0, parent0
thread1:
	slti x0, x0, 11
	li t0, 500
3:	addi t0, t0, -1
	bnez t0, 3b
	slti x0, x0, 12
	lui a0, 0x51
	addi a0, a0, -0x100
	lla a1, stack2_top
	li a2, 0
	li a3, 0
	li a4, 0
	li a7, 220
	ecall
	bnez a0, parent1
thread2:
	slti x0, x0, 21
	li t0, 700
5:	addi t0, t0, -1
	bnez t0, 5b
	slti x0, x0, 22
	li a0, 0
	li a7, 93               /* exit: this thread only */
	ecall
parent0:
	slti x0, x0, 3
	li t0, 300
2:	addi t0, t0, -1
	bnez t0, 2b
	slti x0, x0, 4
	li a0, 0
	li a7, 93
	ecall
parent1:
	slti x0, x0, 13
	li t0, 50
4:	addi t0, t0, -1
	bnez t0, 4b
	slti x0, x0, 14
	li a0, 0
	li a7, 93
	ecall
	.size _start, .-_start

	.bss
	.balign 16
	.space 4096
stack1_top:
	.space 4096
stack2_top:
