/*
 * rv64.c - RV64GC decoder and classifier.
 *
 * Capstone 4 has no RISC-V, and the QEMU plugin needs to classify guest
 * instructions at translation time without pulling in libelf or Capstone, so
 * this file depends on nothing but libc. It follows the opcode maps of the
 * RISC-V unprivileged spec (RV64I, M, A, F, D, Zicsr, Zifencei, C) and accepts
 * the few privileged instructions a system guest runs. Every reserved or
 * unassigned encoding is rejected (returns 0), so a scan over data bytes
 * stops rather than inventing instructions. Mnemonics are binutils' no-alias
 * names, which is what the decoder table test compares against.
 */
#include <stddef.h>
#include <stdint.h>

#include "align.h"

const char *insn_class_name(enum insn_class c)
{
	switch (c) {
	case INSN_LOAD: return "load";
	case INSN_STORE: return "store";
	case INSN_BRANCH: return "branch";
	case INSN_FP: return "fp";
	case INSN_ATOMIC: return "atomic";
	case INSN_SYSTEM: return "system";
	case INSN_OTHER:
	case INSN_CLASS_COUNT: break;
	}
	return "other";
}

static unsigned set(struct rv_insn *out, uint32_t raw, unsigned len, enum insn_class cls,
		    const char *mnemonic)
{
	out->raw = raw;
	out->len = len;
	out->cls = cls;
	out->mnemonic = mnemonic;
	return len;
}

#define BITS(x, hi, lo) (((x) >> (lo)) & ((1u << ((hi) - (lo) + 1)) - 1))

/* Rounding-mode field: 5 and 6 are reserved. */
static int rm_ok(unsigned rm)
{
	return rm != 5 && rm != 6;
}

static unsigned decode_op_fp(uint32_t w, struct rv_insn *out)
{
	unsigned f7 = BITS(w, 31, 25), rs2 = BITS(w, 24, 20), f3 = BITS(w, 14, 12);
	int d = f7 & 1;
	const char *m = NULL;

	if (f7 & 2)
		return 0; /* fmt H and Q: not in RV64GC */
	switch (f7 >> 2) {
	case 0x00: m = d ? "fadd.d" : "fadd.s"; break;
	case 0x01: m = d ? "fsub.d" : "fsub.s"; break;
	case 0x02: m = d ? "fmul.d" : "fmul.s"; break;
	case 0x03: m = d ? "fdiv.d" : "fdiv.s"; break;
	case 0x0b:
		if (rs2 == 0)
			m = d ? "fsqrt.d" : "fsqrt.s";
		break;
	case 0x04: {
		static const char *const s[] = { "fsgnj.s", "fsgnjn.s", "fsgnjx.s" };
		static const char *const dd[] = { "fsgnj.d", "fsgnjn.d", "fsgnjx.d" };
		if (f3 < 3)
			return set(out, w, 4, INSN_FP, d ? dd[f3] : s[f3]);
		return 0;
	}
	case 0x05:
		if (f3 < 2)
			return set(out, w, 4, INSN_FP,
				   f3 ? (d ? "fmax.d" : "fmax.s") : (d ? "fmin.d" : "fmin.s"));
		return 0;
	case 0x08:
		if (!d && rs2 == 1)
			m = "fcvt.s.d";
		else if (d && rs2 == 0)
			m = "fcvt.d.s";
		break;
	case 0x14: {
		static const char *const s[] = { "fle.s", "flt.s", "feq.s" };
		static const char *const dd[] = { "fle.d", "flt.d", "feq.d" };
		if (f3 < 3)
			return set(out, w, 4, INSN_FP, d ? dd[f3] : s[f3]);
		return 0;
	}
	case 0x18: {
		static const char *const s[] = { "fcvt.w.s", "fcvt.wu.s", "fcvt.l.s", "fcvt.lu.s" };
		static const char *const dd[] = { "fcvt.w.d", "fcvt.wu.d", "fcvt.l.d", "fcvt.lu.d" };
		if (rs2 < 4)
			m = d ? dd[rs2] : s[rs2];
		break;
	}
	case 0x1a: {
		static const char *const s[] = { "fcvt.s.w", "fcvt.s.wu", "fcvt.s.l", "fcvt.s.lu" };
		static const char *const dd[] = { "fcvt.d.w", "fcvt.d.wu", "fcvt.d.l", "fcvt.d.lu" };
		if (rs2 < 4)
			m = d ? dd[rs2] : s[rs2];
		break;
	}
	case 0x1c:
		if (rs2 != 0)
			return 0;
		if (f3 == 0)
			return set(out, w, 4, INSN_FP, d ? "fmv.x.d" : "fmv.x.w");
		if (f3 == 1)
			return set(out, w, 4, INSN_FP, d ? "fclass.d" : "fclass.s");
		return 0;
	case 0x1e:
		if (rs2 == 0 && f3 == 0)
			return set(out, w, 4, INSN_FP, d ? "fmv.d.x" : "fmv.w.x");
		return 0;
	default:
		return 0;
	}
	/* Everything that reaches here takes a rounding mode in funct3. */
	if (!m || !rm_ok(f3))
		return 0;
	return set(out, w, 4, INSN_FP, m);
}

/* A extension names by funct5, width (w, d) and ordering bits (aq << 1 | rl):
 * binutils prints the ordering suffix as part of the mnemonic. */
static const char *const amo_names[32][2][4] = {
	[0x02][0] = { "lr.w", "lr.w.rl", "lr.w.aq", "lr.w.aqrl" },
	[0x02][1] = { "lr.d", "lr.d.rl", "lr.d.aq", "lr.d.aqrl" },
	[0x03][0] = { "sc.w", "sc.w.rl", "sc.w.aq", "sc.w.aqrl" },
	[0x03][1] = { "sc.d", "sc.d.rl", "sc.d.aq", "sc.d.aqrl" },
	[0x01][0] = { "amoswap.w", "amoswap.w.rl", "amoswap.w.aq", "amoswap.w.aqrl" },
	[0x01][1] = { "amoswap.d", "amoswap.d.rl", "amoswap.d.aq", "amoswap.d.aqrl" },
	[0x00][0] = { "amoadd.w", "amoadd.w.rl", "amoadd.w.aq", "amoadd.w.aqrl" },
	[0x00][1] = { "amoadd.d", "amoadd.d.rl", "amoadd.d.aq", "amoadd.d.aqrl" },
	[0x04][0] = { "amoxor.w", "amoxor.w.rl", "amoxor.w.aq", "amoxor.w.aqrl" },
	[0x04][1] = { "amoxor.d", "amoxor.d.rl", "amoxor.d.aq", "amoxor.d.aqrl" },
	[0x0c][0] = { "amoand.w", "amoand.w.rl", "amoand.w.aq", "amoand.w.aqrl" },
	[0x0c][1] = { "amoand.d", "amoand.d.rl", "amoand.d.aq", "amoand.d.aqrl" },
	[0x08][0] = { "amoor.w", "amoor.w.rl", "amoor.w.aq", "amoor.w.aqrl" },
	[0x08][1] = { "amoor.d", "amoor.d.rl", "amoor.d.aq", "amoor.d.aqrl" },
	[0x10][0] = { "amomin.w", "amomin.w.rl", "amomin.w.aq", "amomin.w.aqrl" },
	[0x10][1] = { "amomin.d", "amomin.d.rl", "amomin.d.aq", "amomin.d.aqrl" },
	[0x14][0] = { "amomax.w", "amomax.w.rl", "amomax.w.aq", "amomax.w.aqrl" },
	[0x14][1] = { "amomax.d", "amomax.d.rl", "amomax.d.aq", "amomax.d.aqrl" },
	[0x18][0] = { "amominu.w", "amominu.w.rl", "amominu.w.aq", "amominu.w.aqrl" },
	[0x18][1] = { "amominu.d", "amominu.d.rl", "amominu.d.aq", "amominu.d.aqrl" },
	[0x1c][0] = { "amomaxu.w", "amomaxu.w.rl", "amomaxu.w.aq", "amomaxu.w.aqrl" },
	[0x1c][1] = { "amomaxu.d", "amomaxu.d.rl", "amomaxu.d.aq", "amomaxu.d.aqrl" },
};

static unsigned decode_amo(uint32_t w, struct rv_insn *out)
{
	unsigned f5 = BITS(w, 31, 27), f3 = BITS(w, 14, 12), rs2 = BITS(w, 24, 20);
	const char *m;

	if (f3 != 2 && f3 != 3)
		return 0;
	if (f5 == 0x02 && rs2 != 0)
		return 0; /* lr has no source register */
	m = amo_names[f5][f3 - 2][BITS(w, 26, 25)];
	return m ? set(out, w, 4, INSN_ATOMIC, m) : 0;
}

static unsigned decode_system(uint32_t w, struct rv_insn *out)
{
	unsigned f3 = BITS(w, 14, 12), f7 = BITS(w, 31, 25), rd = BITS(w, 11, 7),
		 rs1 = BITS(w, 19, 15);
	static const char *const csr[8] = { NULL, "csrrw", "csrrs", "csrrc",
					    NULL, "csrrwi", "csrrsi", "csrrci" };

	if (f3 != 0)
		return csr[f3] ? set(out, w, 4, INSN_SYSTEM, csr[f3]) : 0;
	switch (w) {
	case 0x00000073: return set(out, w, 4, INSN_SYSTEM, "ecall");
	case 0x00100073: return set(out, w, 4, INSN_SYSTEM, "ebreak");
	case 0x10200073: return set(out, w, 4, INSN_SYSTEM, "sret");
	case 0x30200073: return set(out, w, 4, INSN_SYSTEM, "mret");
	case 0x10500073: return set(out, w, 4, INSN_SYSTEM, "wfi");
	default: break;
	}
	if (rd != 0)
		return 0;
	(void)rs1;
	if (f7 == 0x09)
		return set(out, w, 4, INSN_SYSTEM, "sfence.vma");
	if (f7 == 0x11)
		return set(out, w, 4, INSN_SYSTEM, "hfence.vvma");
	if (f7 == 0x31)
		return set(out, w, 4, INSN_SYSTEM, "hfence.gvma");
	return 0;
}

static unsigned decode32(uint32_t w, struct rv_insn *out)
{
	unsigned f3 = BITS(w, 14, 12), f7 = BITS(w, 31, 25);

	switch (BITS(w, 6, 0)) {
	case 0x03: {
		static const char *const m[8] = { "lb", "lh", "lw", "ld", "lbu", "lhu", "lwu", NULL };
		return m[f3] ? set(out, w, 4, INSN_LOAD, m[f3]) : 0;
	}
	case 0x07:
		if (f3 == 2)
			return set(out, w, 4, INSN_LOAD, "flw");
		if (f3 == 3)
			return set(out, w, 4, INSN_LOAD, "fld");
		return 0;
	case 0x0f:
		if (w == 0x0100000f)
			return set(out, w, 4, INSN_SYSTEM, "pause"); /* Zihintpause: fence w,0 */
		if (f3 == 0 && BITS(w, 31, 20) == 0x833 && !BITS(w, 19, 15) && !BITS(w, 11, 7))
			return set(out, w, 4, INSN_SYSTEM, "fence.tso");
		if (f3 == 0)
			return set(out, w, 4, INSN_SYSTEM, "fence");
		if (f3 == 1)
			return set(out, w, 4, INSN_SYSTEM, "fence.i");
		return 0;
	case 0x13: {
		static const char *const m[8] = { "addi", NULL, "slti", "sltiu",
						  "xori", NULL, "ori", "andi" };
		unsigned f6 = BITS(w, 31, 26);
		if (f3 == 1)
			return f6 == 0 ? set(out, w, 4, INSN_OTHER, "slli") : 0;
		if (f3 == 5) {
			if (f6 == 0)
				return set(out, w, 4, INSN_OTHER, "srli");
			if (f6 == 0x10)
				return set(out, w, 4, INSN_OTHER, "srai");
			return 0;
		}
		return set(out, w, 4, INSN_OTHER, m[f3]);
	}
	case 0x17: return set(out, w, 4, INSN_OTHER, "auipc");
	case 0x37: return set(out, w, 4, INSN_OTHER, "lui");
	case 0x1b:
		if (f3 == 0)
			return set(out, w, 4, INSN_OTHER, "addiw");
		if (f3 == 1 && f7 == 0)
			return set(out, w, 4, INSN_OTHER, "slliw");
		if (f3 == 5 && f7 == 0)
			return set(out, w, 4, INSN_OTHER, "srliw");
		if (f3 == 5 && f7 == 0x20)
			return set(out, w, 4, INSN_OTHER, "sraiw");
		return 0;
	case 0x23: {
		static const char *const m[8] = { "sb", "sh", "sw", "sd" };
		return f3 < 4 ? set(out, w, 4, INSN_STORE, m[f3]) : 0;
	}
	case 0x27:
		if (f3 == 2)
			return set(out, w, 4, INSN_STORE, "fsw");
		if (f3 == 3)
			return set(out, w, 4, INSN_STORE, "fsd");
		return 0;
	case 0x2f: return decode_amo(w, out);
	case 0x33: {
		static const char *const base[8] = { "add", "sll", "slt", "sltu",
						     "xor", "srl", "or", "and" };
		static const char *const mul[8] = { "mul", "mulh", "mulhsu", "mulhu",
						    "div", "divu", "rem", "remu" };
		if (f7 == 0)
			return set(out, w, 4, INSN_OTHER, base[f3]);
		if (f7 == 1)
			return set(out, w, 4, INSN_OTHER, mul[f3]);
		if (f7 == 0x20 && f3 == 0)
			return set(out, w, 4, INSN_OTHER, "sub");
		if (f7 == 0x20 && f3 == 5)
			return set(out, w, 4, INSN_OTHER, "sra");
		return 0;
	}
	case 0x3b: {
		static const char *const mul[8] = { "mulw", NULL, NULL, NULL,
						    "divw", "divuw", "remw", "remuw" };
		if (f7 == 0 && f3 == 0)
			return set(out, w, 4, INSN_OTHER, "addw");
		if (f7 == 0 && f3 == 1)
			return set(out, w, 4, INSN_OTHER, "sllw");
		if (f7 == 0 && f3 == 5)
			return set(out, w, 4, INSN_OTHER, "srlw");
		if (f7 == 0x20 && f3 == 0)
			return set(out, w, 4, INSN_OTHER, "subw");
		if (f7 == 0x20 && f3 == 5)
			return set(out, w, 4, INSN_OTHER, "sraw");
		if (f7 == 1 && mul[f3])
			return set(out, w, 4, INSN_OTHER, mul[f3]);
		return 0;
	}
	case 0x43: case 0x47: case 0x4b: case 0x4f: {
		static const char *const s[4] = { "fmadd.s", "fmsub.s", "fnmsub.s", "fnmadd.s" };
		static const char *const d[4] = { "fmadd.d", "fmsub.d", "fnmsub.d", "fnmadd.d" };
		unsigned fmt = BITS(w, 26, 25), k = BITS(w, 3, 2);
		if (fmt > 1 || !rm_ok(f3))
			return 0;
		return set(out, w, 4, INSN_FP, fmt ? d[k] : s[k]);
	}
	case 0x53: return decode_op_fp(w, out);
	case 0x63: {
		static const char *const m[8] = { "beq", "bne", NULL, NULL,
						  "blt", "bge", "bltu", "bgeu" };
		return m[f3] ? set(out, w, 4, INSN_BRANCH, m[f3]) : 0;
	}
	case 0x67: return f3 == 0 ? set(out, w, 4, INSN_BRANCH, "jalr") : 0;
	case 0x6f: return set(out, w, 4, INSN_BRANCH, "jal");
	case 0x73: return decode_system(w, out);
	default: return 0;
	}
}

static unsigned decode16(uint32_t h, struct rv_insn *out)
{
	unsigned f3 = BITS(h, 15, 13), rd = BITS(h, 11, 7), rs2 = BITS(h, 6, 2), b12 = BITS(h, 12, 12);

	if (h == 0)
		return 0; /* defined illegal */
	switch (BITS(h, 1, 0)) {
	case 0:
		switch (f3) {
		case 0: return BITS(h, 12, 5) ? set(out, h, 2, INSN_OTHER, "c.addi4spn") : 0;
		case 1: return set(out, h, 2, INSN_LOAD, "c.fld");
		case 2: return set(out, h, 2, INSN_LOAD, "c.lw");
		case 3: return set(out, h, 2, INSN_LOAD, "c.ld");
		case 5: return set(out, h, 2, INSN_STORE, "c.fsd");
		case 6: return set(out, h, 2, INSN_STORE, "c.sw");
		case 7: return set(out, h, 2, INSN_STORE, "c.sd");
		default: return 0;
		}
	case 1:
		switch (f3) {
		case 0: return set(out, h, 2, INSN_OTHER, "c.addi");
		case 1: return rd ? set(out, h, 2, INSN_OTHER, "c.addiw") : 0;
		case 2: return set(out, h, 2, INSN_OTHER, "c.li");
		case 3:
			if (!b12 && !rs2)
				return 0; /* nzimm == 0 is reserved */
			if (rd == 2)
				return set(out, h, 2, INSN_OTHER, "c.addi16sp");
			return set(out, h, 2, INSN_OTHER, "c.lui");
		case 4:
			switch (BITS(h, 11, 10)) {
			case 0: return set(out, h, 2, INSN_OTHER, "c.srli");
			case 1: return set(out, h, 2, INSN_OTHER, "c.srai");
			case 2: return set(out, h, 2, INSN_OTHER, "c.andi");
			default: {
				static const char *const m[8] = { "c.sub", "c.xor", "c.or", "c.and",
								  "c.subw", "c.addw", NULL, NULL };
				const char *mn = m[b12 << 2 | BITS(h, 6, 5)];
				return mn ? set(out, h, 2, INSN_OTHER, mn) : 0;
			}
			}
		case 5: return set(out, h, 2, INSN_BRANCH, "c.j");
		case 6: return set(out, h, 2, INSN_BRANCH, "c.beqz");
		default: return set(out, h, 2, INSN_BRANCH, "c.bnez");
		}
	default: /* quadrant 2 */
		switch (f3) {
		case 0: return set(out, h, 2, INSN_OTHER, "c.slli");
		case 1: return set(out, h, 2, INSN_LOAD, "c.fldsp");
		case 2: return rd ? set(out, h, 2, INSN_LOAD, "c.lwsp") : 0;
		case 3: return rd ? set(out, h, 2, INSN_LOAD, "c.ldsp") : 0;
		case 4:
			if (!b12) {
				if (rs2)
					return set(out, h, 2, INSN_OTHER, "c.mv");
				return rd ? set(out, h, 2, INSN_BRANCH, "c.jr") : 0;
			}
			if (!rd && !rs2)
				return set(out, h, 2, INSN_SYSTEM, "c.ebreak");
			if (!rs2)
				return set(out, h, 2, INSN_BRANCH, "c.jalr");
			return set(out, h, 2, INSN_OTHER, "c.add");
		case 5: return set(out, h, 2, INSN_STORE, "c.fsdsp");
		case 6: return set(out, h, 2, INSN_STORE, "c.swsp");
		default: return set(out, h, 2, INSN_STORE, "c.sdsp");
		}
	}
}

unsigned rv64_decode(const uint8_t *bytes, size_t avail, struct rv_insn *out)
{
	uint32_t lo;

	if (avail < 2)
		return 0;
	lo = (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8;
	if ((lo & 3) != 3)
		return decode16(lo, out);
	if ((lo & 0x1c) == 0x1c)
		return 0; /* 48-bit and longer encodings: not RV64GC */
	if (avail < 4)
		return 0;
	return decode32(lo | (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24, out);
}
