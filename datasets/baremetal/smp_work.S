/*
 * smp_work.S - the SMP payload's exact phases and its secondary harts' entry.
 *
 * Written in assembly so that the instructions between two markers are
 * exactly the ones below, whatever the compiler: tests/plugin/smp_expect.md
 * counts them. A hit is the marker instruction, then the time, cycle and
 * instret CSRs stored into the hart's record (struct smp_hit, smp.h); smp.c
 * prints the records after the phases, so that no console output (SBI
 * calls into the firmware, a lock shared with the other harts) falls inside
 * a measured region.
 */
#include "smp.h"

/* The marker instruction of emudiff/mark.h (slti x0, x0, id) and its record
 * in .emudiff_marks (uint32 id, uint32 name length with the NUL, the name,
 * zero padding to 4 bytes), the format mark.h documents. */
.macro MARK id, name
	slti	x0, x0, \id
	.pushsection .emudiff_marks, "", @progbits
	.balign 4
	.4byte	\id
	.4byte	.Lname_end\@ - .Lname\@
.Lname\@:
	.asciz	"\name"
.Lname_end\@:
	.balign	4, 0
	.popsection
.endm

/* A recorded hit: 7 instructions, into the record at a0 + off. */
.macro HIT id, name, off
	MARK	\id, \name
	rdtime	t0
	rdcycle	t1
	rdinstret t2
	sd	t0, \off(a0)
	sd	t1, \off + 8(a0)
	sd	t2, \off + 16(a0)
.endm

	.text
/*
 * void smp_work(struct smp_hit *hits, uint64_t spin_iters, uint64_t *mix, uint64_t passes)
 *
 * Instructions from marker 10 up to marker 11: 7 + 1 + 4 * spin_iters.
 * From marker 11 up to marker 12: 7 + 1 + passes * (4 + 6 * SMP_MIX_WORDS).
 */
	.balign 4
	.global smp_work
	.type smp_work, @function
smp_work:
	HIT	SMP_MARK_SPIN, smp_spin, 0
	mv	t3, a1
1:	addi	t4, t4, 3		/* spin: 4 instructions an iteration */
	xor	t5, t5, t4
	addi	t3, t3, -1
	bnez	t3, 1b
	HIT	SMP_MARK_MIX, smp_mix, 32
	mv	t3, a3
2:	mv	t5, a2			/* a pass: 4 + 6 per word */
	li	t6, SMP_MIX_WORDS
3:	ld	t4, 0(t5)		/* mix[j] += passes left */
	add	t4, t4, t3
	sd	t4, 0(t5)
	addi	t5, t5, 8
	addi	t6, t6, -1
	bnez	t6, 3b
	addi	t3, t3, -1
	bnez	t3, 2b
	HIT	SMP_MARK_WAIT, smp_wait, 64
	ret
	.size smp_work, . - smp_work

/* void smp_mark_done(struct smp_hit *hits): marker 13, after the barrier. */
	.balign 4
	.global smp_mark_done
	.type smp_mark_done, @function
smp_mark_done:
	HIT	SMP_MARK_DONE, smp_done, 96
	ret
	.size smp_mark_done, . - smp_mark_done

/*
 * Where SBI HSM hart_start sends a secondary hart: S-mode, translation off,
 * interrupts off, a0 = its hart id, a1 = the opaque argument: its stack top.
 */
	.balign 4
	.global smp_secondary_entry
	.type smp_secondary_entry, @function
smp_secondary_entry:
	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop
	mv	sp, a1
	la	t0, trap_vector
	csrw	stvec, t0
	call	smp_secondary
4:	wfi
	j	4b
	.size smp_secondary_entry, . - smp_secondary_entry
