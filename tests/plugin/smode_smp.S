/*
 * smode_smp.S - a bare-metal riscv64 S-mode payload for two harts, started by
 * OpenSBI under qemu-system-riscv64 -M virt -smp 2 (tests/plugin). The hart
 * OpenSBI boots starts the other one (SBI HSM hart_start); each hart then
 * does the work of its hart id, so what runs on each vCPU is fixed whatever
 * hart OpenSBI boots. Hand-counted instructions between markers, per hart:
 *
 *   hart 0: id 1 -> id 2: 202 (mark, li, 100 x 2); id 2 -> id 3: 402
 *           (mark, li, 200 x 2); then it waits for hart 1 and shuts down
 *   hart 1: id 11 -> id 12: 602 (mark, li, 300 x 2); id 12 -> id 13: 802
 *           (mark, li, 400 x 2); then it says so and stops (SBI HSM hart_stop)
 *
 * Everything else (OpenSBI's M-mode code on both harts, the start, the wait)
 * takes a number of instructions that depends on timing.
 */
	.option norelax
	.text
	.globl _start
	.type _start, @function
_start:
	mv s0, a0               /* this hart's id */
	li a0, 1
	sub a0, a0, s0          /* the other hart */
	lla a1, secondary
	li a2, 0
	li a7, 0x48534D         /* SBI HSM: hart_start(hartid, start, opaque) */
	li a6, 0
	ecall
	j role
secondary:                  /* the started hart, in S-mode, a0 = its id */
	mv s0, a0
role:
	bnez s0, hart1
hart0:
	slti x0, x0, 1
	li t0, 100
1:	addi t0, t0, -1
	bnez t0, 1b
	slti x0, x0, 2
	li t0, 200
2:	addi t0, t0, -1
	bnez t0, 2b
	slti x0, x0, 3
	lla t1, done
3:	ld t0, 0(t1)            /* wait for hart 1 */
	beqz t0, 3b
	li a7, 0x53525354       /* SBI SRST: shutdown, no reason */
	li a6, 0
	li a0, 0
	li a1, 0
	ecall
4:	j 4b
hart1:
	slti x0, x0, 11
	li t0, 300
5:	addi t0, t0, -1
	bnez t0, 5b
	slti x0, x0, 12
	li t0, 400
6:	addi t0, t0, -1
	bnez t0, 6b
	slti x0, x0, 13
	lla t1, done
	li t0, 1
	fence
	sd t0, 0(t1)
	li a7, 0x48534D         /* SBI HSM: hart_stop */
	li a6, 1
	ecall
7:	j 7b
	.size _start, .-_start

	.data
	.balign 8
done:	.dword 0
