/*
 * start.S - entry and trap vector of the bare-metal payload (S-mode, entered
 * by OpenSBI at 0x80200000 with a0 = hart id, a1 = device tree).
 *
 * trap_vector is a global symbol on purpose: the QEMU plugin finds trap
 * vectors by symbol in the guest ELF and counts entries there.
 */
	.section .text.entry, "ax"
	.global _start
_start:
	/* No relocation, no paging: satp stays 0 (bare), PC-relative la works. */
	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop
	la	sp, __stack_top
	/* Clear .bss: the memory phase and the counters start from zero. */
	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:	la	t0, trap_vector
	csrw	stvec, t0	/* direct mode: every trap enters trap_vector */
	call	payload_main
	/* payload_main shuts the machine down; if SRST failed, park the hart. */
3:	wfi
	j	3b

/*
 * Save the registers a C function may clobber, call trap_handle(scause,
 * sepc, stval), restore, sret. 16 slots keep sp 16-byte aligned.
 */
	.section .text
	.balign 4
	.global trap_vector
	.type trap_vector, @function
trap_vector:
	addi	sp, sp, -16*8
	sd	ra, 0*8(sp)
	sd	t0, 1*8(sp)
	sd	t1, 2*8(sp)
	sd	t2, 3*8(sp)
	sd	a0, 4*8(sp)
	sd	a1, 5*8(sp)
	sd	a2, 6*8(sp)
	sd	a3, 7*8(sp)
	sd	a4, 8*8(sp)
	sd	a5, 9*8(sp)
	sd	a6, 10*8(sp)
	sd	a7, 11*8(sp)
	sd	t3, 12*8(sp)
	sd	t4, 13*8(sp)
	sd	t5, 14*8(sp)
	sd	t6, 15*8(sp)
	csrr	a0, scause
	csrr	a1, sepc
	csrr	a2, stval
	call	trap_handle
	ld	ra, 0*8(sp)
	ld	t0, 1*8(sp)
	ld	t1, 2*8(sp)
	ld	t2, 3*8(sp)
	ld	a0, 4*8(sp)
	ld	a1, 5*8(sp)
	ld	a2, 6*8(sp)
	ld	a3, 7*8(sp)
	ld	a4, 8*8(sp)
	ld	a5, 9*8(sp)
	ld	a6, 10*8(sp)
	ld	a7, 11*8(sp)
	ld	t3, 12*8(sp)
	ld	t4, 13*8(sp)
	ld	t5, 14*8(sp)
	ld	t6, 15*8(sp)
	addi	sp, sp, 16*8
	sret
	.size trap_vector, . - trap_vector
