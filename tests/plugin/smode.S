/*
 * smode.S - a bare-metal riscv64 S-mode payload started by OpenSBI under
 * qemu-system-riscv64 -M virt (tests/plugin). Known events per region:
 *   seq 0 (marker 1 -> 2): 3 ecalls (SBI get_spec_version)
 *   seq 1 (marker 2 -> 3): 4 supervisor timer interrupts, each taken at
 *       trap_vector (0x80200100) and left with sret; 8 ecalls (set_timer
 *       before each wait, set_timer(-1) in the handler); wfi 0..4 times
 *       (the timer may be pending before the wfi is reached)
 *   seq 2 (marker 3 -> end): 1 ecall (SBI SRST shutdown)
 */
	.option norelax
	.text
	.globl _start
	.type _start, @function
_start:
	lla sp, stack_top
	lla t0, trap_vector
	csrw stvec, t0
	slti x0, x0, 1
	li s2, 3
1:	li a7, 0x10             /* SBI base extension, get_spec_version */
	li a6, 0
	ecall
	addi s2, s2, -1
	bnez s2, 1b
	slti x0, x0, 2
	li s2, 4                /* timer interrupts to take */
	li t0, 0x20
	csrs sie, t0            /* STIE */
2:	li s3, 0                /* set to 1 by the handler */
	rdtime a0
	addi a0, a0, 1000       /* 100 us at the 10 MHz timebase */
	li a7, 0x54494D45       /* SBI TIME, set_timer */
	li a6, 0
	ecall
	/* wait with SIE off, so that the interrupt cannot slip in between the
	 * test and the wfi (wfi wakes on a pending enabled interrupt anyway),
	 * then open the window to take it */
3:	csrci sstatus, 2
	bnez s3, 4f
	wfi
	csrsi sstatus, 2
	j 3b
4:	addi s2, s2, -1
	bnez s2, 2b
	slti x0, x0, 3
	li a7, 0x53525354       /* SBI SRST: shutdown, no reason */
	li a6, 0
	li a0, 0
	li a1, 0
	ecall
5:	j 5b
	.size _start, .-_start

	.org 0x100
	.globl trap_vector
	.type trap_vector, @function
trap_vector:
	addi sp, sp, -32
	sd a0, 0(sp)
	sd a1, 8(sp)
	sd a6, 16(sp)
	sd a7, 24(sp)
	li a0, -1               /* set_timer(infinity) clears the pending interrupt */
	li a7, 0x54494D45
	li a6, 0
	ecall
	li s3, 1
	ld a0, 0(sp)
	ld a1, 8(sp)
	ld a6, 16(sp)
	ld a7, 24(sp)
	addi sp, sp, 32
	sret
	.size trap_vector, .-trap_vector

	.bss
	.balign 16
	.space 4096
stack_top:
