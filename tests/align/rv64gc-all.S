/*
 * rv64gc-all.S - one or more of every RV64GC instruction (I, M, A, F, D,
 * Zicsr, Zifencei, C) and the privileged ones a system guest runs. Assembled
 * with the cross toolchain and disassembled with objdump -M no-aliases; the
 * decoder must agree with objdump on every instruction's length and name.
 */
	.option norvc
	.text
	.globl _start
_start:
	/* RV64I */
	lui	a0, 0x12345
	auipc	a1, 0xfffff
	jal	ra, 1f
1:	jalr	ra, 0(a0)
	beq	a0, a1, 2f
	bne	a0, a1, 2f
	blt	a0, a1, 2f
	bge	a0, a1, 2f
	bltu	a0, a1, 2f
	bgeu	a0, a1, 2f
2:	lb	a0, -1(sp)
	lh	a0, 2(sp)
	lw	a0, 4(sp)
	ld	a0, 8(sp)
	lbu	a0, 1(sp)
	lhu	a0, 2(sp)
	lwu	a0, 4(sp)
	sb	a0, -1(sp)
	sh	a0, 2(sp)
	sw	a0, 4(sp)
	sd	a0, 2040(sp)
	addi	a0, a1, -2048
	slti	a0, a1, 5
	slti	zero, zero, 42
	sltiu	a0, a1, 5
	xori	a0, a1, -1
	ori	a0, a1, 0x7ff
	andi	a0, a1, 0xf
	slli	a0, a1, 63
	srli	a0, a1, 33
	srai	a0, a1, 1
	add	a0, a1, a2
	sub	a0, a1, a2
	sll	a0, a1, a2
	slt	a0, a1, a2
	sltu	a0, a1, a2
	xor	a0, a1, a2
	srl	a0, a1, a2
	sra	a0, a1, a2
	or	a0, a1, a2
	and	a0, a1, a2
	addiw	a0, a1, 7
	slliw	a0, a1, 31
	srliw	a0, a1, 3
	sraiw	a0, a1, 3
	addw	a0, a1, a2
	subw	a0, a1, a2
	sllw	a0, a1, a2
	srlw	a0, a1, a2
	sraw	a0, a1, a2
	fence	rw, rw
	fence	iorw, iorw
	fence.tso
	ecall
	ebreak
	/* Zifencei */
	fence.i
	/* Zicsr */
	csrrw	a0, mscratch, a1
	csrrs	a0, cycle, zero
	csrrc	a0, sstatus, a1
	csrrwi	a0, fcsr, 3
	csrrsi	a0, fflags, 1
	csrrci	a0, frm, 2
	/* privileged */
	sret
	mret
	wfi
	sfence.vma	zero, zero
	sfence.vma	a0, a1
	/* M */
	mul	a0, a1, a2
	mulh	a0, a1, a2
	mulhsu	a0, a1, a2
	mulhu	a0, a1, a2
	div	a0, a1, a2
	divu	a0, a1, a2
	rem	a0, a1, a2
	remu	a0, a1, a2
	mulw	a0, a1, a2
	divw	a0, a1, a2
	divuw	a0, a1, a2
	remw	a0, a1, a2
	remuw	a0, a1, a2
	/* A */
	lr.w	a0, (a1)
	sc.w	a0, a2, (a1)
	amoswap.w	a0, a2, (a1)
	amoadd.w	a0, a2, (a1)
	amoxor.w	a0, a2, (a1)
	amoand.w	a0, a2, (a1)
	amoor.w	a0, a2, (a1)
	amomin.w	a0, a2, (a1)
	amomax.w	a0, a2, (a1)
	amominu.w	a0, a2, (a1)
	amomaxu.w	a0, a2, (a1)
	lr.d.aqrl	a0, (a1)
	sc.d.rl	a0, a2, (a1)
	amoswap.d.aq	a0, a2, (a1)
	amoadd.d	a0, a2, (a1)
	amoxor.d	a0, a2, (a1)
	amoand.d	a0, a2, (a1)
	amoor.d	a0, a2, (a1)
	amomin.d	a0, a2, (a1)
	amomax.d	a0, a2, (a1)
	amominu.d	a0, a2, (a1)
	amomaxu.d	a0, a2, (a1)
	/* F */
	flw	fa0, 4(a0)
	fsw	fa0, 4(a0)
	fmadd.s	fa0, fa1, fa2, fa3
	fmsub.s	fa0, fa1, fa2, fa3, rtz
	fnmsub.s	fa0, fa1, fa2, fa3
	fnmadd.s	fa0, fa1, fa2, fa3
	fadd.s	fa0, fa1, fa2
	fsub.s	fa0, fa1, fa2, rup
	fmul.s	fa0, fa1, fa2
	fdiv.s	fa0, fa1, fa2
	fsqrt.s	fa0, fa1
	fsgnj.s	fa0, fa1, fa2
	fsgnjn.s	fa0, fa1, fa2
	fsgnjx.s	fa0, fa1, fa2
	fmin.s	fa0, fa1, fa2
	fmax.s	fa0, fa1, fa2
	fcvt.w.s	a0, fa1
	fcvt.wu.s	a0, fa1
	fcvt.l.s	a0, fa1
	fcvt.lu.s	a0, fa1
	fmv.x.w	a0, fa1
	feq.s	a0, fa1, fa2
	flt.s	a0, fa1, fa2
	fle.s	a0, fa1, fa2
	fclass.s	a0, fa1
	fcvt.s.w	fa0, a1
	fcvt.s.wu	fa0, a1
	fcvt.s.l	fa0, a1
	fcvt.s.lu	fa0, a1
	fmv.w.x	fa0, a1
	/* D */
	fld	fa0, 8(a0)
	fsd	fa0, 8(a0)
	fmadd.d	fa0, fa1, fa2, fa3
	fmsub.d	fa0, fa1, fa2, fa3
	fnmsub.d	fa0, fa1, fa2, fa3
	fnmadd.d	fa0, fa1, fa2, fa3, rdn
	fadd.d	fa0, fa1, fa2
	fsub.d	fa0, fa1, fa2
	fmul.d	fa0, fa1, fa2, rmm
	fdiv.d	fa0, fa1, fa2
	fsqrt.d	fa0, fa1
	fsgnj.d	fa0, fa1, fa2
	fsgnjn.d	fa0, fa1, fa2
	fsgnjx.d	fa0, fa1, fa2
	fmin.d	fa0, fa1, fa2
	fmax.d	fa0, fa1, fa2
	fcvt.s.d	fa0, fa1
	fcvt.d.s	fa0, fa1
	feq.d	a0, fa1, fa2
	flt.d	a0, fa1, fa2
	fle.d	a0, fa1, fa2
	fclass.d	a0, fa1
	fcvt.w.d	a0, fa1
	fcvt.wu.d	a0, fa1
	fcvt.l.d	a0, fa1
	fcvt.lu.d	a0, fa1
	fcvt.d.w	fa0, a1
	fcvt.d.wu	fa0, a1
	fcvt.d.l	fa0, a1
	fcvt.d.lu	fa0, a1
	fmv.x.d	a0, fa1
	fmv.d.x	fa0, a1

	/* C, quadrant by quadrant */
	.option rvc
	c.addi4spn	a0, sp, 16
	c.fld	fa0, 8(a1)
	c.lw	a0, 4(a1)
	c.ld	a0, 8(a1)
	c.fsd	fa0, 8(a1)
	c.sw	a0, 4(a1)
	c.sd	a0, 8(a1)
	c.nop
	c.addi	a0, -3
	c.addiw	a0, 5
	c.li	a0, -7
	c.addi16sp	sp, -64
	c.lui	a0, 0x1f
	c.srli	a0, 3
	c.srai	a0, 33
	c.andi	a0, -1
	c.sub	a0, a1
	c.xor	a0, a1
	c.or	a0, a1
	c.and	a0, a1
	c.subw	a0, a1
	c.addw	a0, a1
	c.j	3f
	c.beqz	a0, 3f
	c.bnez	a0, 3f
3:	c.slli	a0, 5
	c.fldsp	fa0, 8(sp)
	c.lwsp	a0, 4(sp)
	c.ldsp	a0, 8(sp)
	c.jr	ra
	c.mv	a0, a1
	c.ebreak
	c.jalr	a0
	c.add	a0, a1
	c.fsdsp	fa0, 8(sp)
	c.swsp	a0, 4(sp)
	c.sdsp	a0, 8(sp)
