/*
 * hyp_start.S - entry, HS-mode trap vector, guest entry/leave and the guest's
 * VS-mode trap vector of the hypervisor payload (hyp.c).
 *
 * The symbols hs_trap_vector and vs_trap_vector are global so that
 * `emudiff collect qemu --trapvec hs_trap_vector@hs --trapvec
 * vs_trap_vector@vs` can tag them; the guest's code is the section
 * .text.guest, between __guest_start and __guest_end (payload.ld).
 */
#define FRAME_SLOTS 32

	.section .text.entry, "ax"
	.global _start
_start:
	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop
	la	sp, __stack_top
	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:	la	t0, hs_trap_vector
	csrw	stvec, t0		/* direct mode */
	/* sscratch holds the top of the trap stack whenever no trap is being
	 * handled: traps come from the guest (guest sp) or from host code */
	la	t0, __trap_stack_top
	csrw	sscratch, t0
	call	hyp_main
3:	wfi
	j	3b

/*
 * Every trap into HS. Saves all registers in a frame on the trap stack and
 * calls hs_trap(frame): 0 = resume where the trap came from (sret), 1 =
 * leave the guest, i.e. return from enter_guest() to the host.
 */
	.section .text
	.balign 4
	.global hs_trap_vector
	.type hs_trap_vector, @function
hs_trap_vector:
	csrrw	sp, sscratch, sp	/* sp = trap stack, sscratch = interrupted sp */
	addi	sp, sp, -FRAME_SLOTS*8
	.irp r, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	sd	x\r, \r*8(sp)
	.endr
	csrr	t0, sscratch
	sd	t0, 2*8(sp)
	mv	a0, sp
	call	hs_trap
	addi	t0, sp, FRAME_SLOTS*8
	csrw	sscratch, t0		/* ready for the next trap */
	bnez	a0, leave_guest
	.irp r, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ld	x\r, \r*8(sp)
	.endr
	ld	sp, 2*8(sp)
	sret
leave_guest:
	/* the guest's registers are dropped: back to enter_guest's caller */
	la	t0, host_ctx
	ld	ra, 0*8(t0)
	ld	sp, 1*8(t0)
	ld	gp, 2*8(t0)
	ld	tp, 3*8(t0)
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11
	ld	s\n, (4+\n)*8(t0)
	.endr
	li	a0, 0
	ret
	.size hs_trap_vector, . - hs_trap_vector

/*
 * void enter_guest(void (*entry)(void), void *guest_sp): run entry in VS
 * mode (V=1, hgatp Bare: guest physical = host physical) until it asks to
 * leave (hypercall HC_DONE); returns then.
 */
	.global enter_guest
	.type enter_guest, @function
enter_guest:
	la	t0, host_ctx
	sd	ra, 0*8(t0)
	sd	sp, 1*8(t0)
	sd	gp, 2*8(t0)
	sd	tp, 3*8(t0)
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11
	sd	s\n, (4+\n)*8(t0)
	.endr
	csrw	sepc, a0
	mv	sp, a1
	li	t0, 1 << 7		/* hstatus.SPV: sret enters V=1 */
	csrs	hstatus, t0
	li	t0, 1 << 8		/* sstatus.SPP: ... in (V)S-mode */
	csrs	sstatus, t0
	li	t0, 1 << 5		/* sstatus.SPIE: HS interrupts stay off */
	csrc	sstatus, t0
	sret
	.size enter_guest, . - enter_guest

/*
 * The guest's own trap vector (its stvec, i.e. vstvec), in guest code.
 * Breakpoints (delegated by hedeleg) are skipped, the VS software interrupt
 * (delegated by hideleg, injected by the host through hvip) is cleared; both
 * are counted. Anything else is reported to the host (HC_ABORT).
 */
	.section .text.guest, "ax"
	.balign 4
	.global vs_trap_vector
	.type vs_trap_vector, @function
vs_trap_vector:
	addi	sp, sp, -16
	sd	t0, 0(sp)
	sd	t1, 8(sp)
	csrr	t0, scause		/* vscause */
	bltz	t0, 1f
	li	t1, 3			/* breakpoint */
	bne	t0, t1, 2f
	la	t0, vs_breakpoints
	lw	t1, 0(t0)
	addi	t1, t1, 1
	sw	t1, 0(t0)
	csrr	t0, sepc		/* vsepc: skip the 4-byte ebreak */
	addi	t0, t0, 4
	csrw	sepc, t0
	j	3f
1:	slli	t0, t0, 1
	srli	t0, t0, 1
	li	t1, 1			/* supervisor software interrupt */
	bne	t0, t1, 2f
	li	t1, 1 << 1
	csrc	sip, t1			/* vsip.SSIP, i.e. hvip.VSSIP */
	la	t0, vs_interrupts
	lw	t1, 0(t0)
	addi	t1, t1, 1
	sw	t1, 0(t0)
	j	3f
2:	la	t1, vs_unexpected_cause
	sd	t0, 0(t1)
	li	a7, 3			/* HC_ABORT: the host leaves the guest */
	ecall
3:	ld	t0, 0(sp)
	ld	t1, 8(sp)
	addi	sp, sp, 16
	sret
	.size vs_trap_vector, . - vs_trap_vector

	.section .bss
	.balign 8
host_ctx:
	.space 16*8
