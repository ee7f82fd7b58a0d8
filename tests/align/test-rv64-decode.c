/*
 * test-rv64-decode.c - the RV64GC decoder against a typed-in table of known
 * encodings (taken from binutils' assembler output) with the class each must
 * get, covering RV64I, M, A, F, D, Zicsr, Zifencei, C and the privileged
 * instructions; then encodings that must be rejected, and short buffers.
 */
#include "align.h" /* first: the public header compiles on its own */

#include <stdio.h>
#include <string.h>

struct known {
	uint32_t raw;
	unsigned len;
	const char *mnemonic;
	enum insn_class cls;
};

static const struct known known[] = {
	/* RV64I */
	{ 0x12345537, 4, "lui", INSN_OTHER },
	{ 0xfffff597, 4, "auipc", INSN_OTHER },
	{ 0x004000ef, 4, "jal", INSN_BRANCH },
	{ 0x000500e7, 4, "jalr", INSN_BRANCH },
	{ 0x00b50c63, 4, "beq", INSN_BRANCH },
	{ 0x00b57263, 4, "bgeu", INSN_BRANCH },
	{ 0xfff10503, 4, "lb", INSN_LOAD },
	{ 0x00813503, 4, "ld", INSN_LOAD },
	{ 0x00416503, 4, "lwu", INSN_LOAD },
	{ 0xfea10fa3, 4, "sb", INSN_STORE },
	{ 0x7ea13c23, 4, "sd", INSN_STORE },
	{ 0x80058513, 4, "addi", INSN_OTHER },
	{ 0x02a02013, 4, "slti", INSN_OTHER }, /* the riscv64 marker, id 42 */
	{ 0x03f59513, 4, "slli", INSN_OTHER },
	{ 0x4015d513, 4, "srai", INSN_OTHER },
	{ 0x40c58533, 4, "sub", INSN_OTHER },
	{ 0x40c5d533, 4, "sra", INSN_OTHER },
	{ 0x0075851b, 4, "addiw", INSN_OTHER },
	{ 0x4035d51b, 4, "sraiw", INSN_OTHER },
	{ 0x40c5853b, 4, "subw", INSN_OTHER },
	{ 0x0ff0000f, 4, "fence", INSN_SYSTEM },
	{ 0x8330000f, 4, "fence.tso", INSN_SYSTEM },
	{ 0x0100000f, 4, "pause", INSN_SYSTEM },
	{ 0x00000073, 4, "ecall", INSN_SYSTEM },
	{ 0x00100073, 4, "ebreak", INSN_SYSTEM },
	/* Zifencei */
	{ 0x0000100f, 4, "fence.i", INSN_SYSTEM },
	/* Zicsr */
	{ 0x34059573, 4, "csrrw", INSN_SYSTEM },
	{ 0xc0002573, 4, "csrrs", INSN_SYSTEM },
	{ 0x00217573, 4, "csrrci", INSN_SYSTEM },
	/* privileged and hypervisor */
	{ 0x10200073, 4, "sret", INSN_SYSTEM },
	{ 0x30200073, 4, "mret", INSN_SYSTEM },
	{ 0x10500073, 4, "wfi", INSN_SYSTEM },
	{ 0x12b50073, 4, "sfence.vma", INSN_SYSTEM },
	{ 0x22b50073, 4, "hfence.vvma", INSN_SYSTEM },
	{ 0x62000073, 4, "hfence.gvma", INSN_SYSTEM },
	/* M */
	{ 0x02c58533, 4, "mul", INSN_OTHER },
	{ 0x02c5a533, 4, "mulhsu", INSN_OTHER },
	{ 0x02c5f533, 4, "remu", INSN_OTHER },
	{ 0x02c5853b, 4, "mulw", INSN_OTHER },
	{ 0x02c5f53b, 4, "remuw", INSN_OTHER },
	/* A */
	{ 0x1005a52f, 4, "lr.w", INSN_ATOMIC },
	{ 0x18c5a52f, 4, "sc.w", INSN_ATOMIC },
	{ 0x1605b52f, 4, "lr.d.aqrl", INSN_ATOMIC },
	{ 0x1ac5b52f, 4, "sc.d.rl", INSN_ATOMIC },
	{ 0x0cc5b52f, 4, "amoswap.d.aq", INSN_ATOMIC },
	{ 0xe0c5a52f, 4, "amomaxu.w", INSN_ATOMIC },
	{ 0x60c5b52f, 4, "amoand.d", INSN_ATOMIC },
	/* F */
	{ 0x00452507, 4, "flw", INSN_LOAD },
	{ 0x00a52227, 4, "fsw", INSN_STORE },
	{ 0x68c5f543, 4, "fmadd.s", INSN_FP },
	{ 0x68c5f54f, 4, "fnmadd.s", INSN_FP },
	{ 0x08c5b553, 4, "fsub.s", INSN_FP },
	{ 0x5805f553, 4, "fsqrt.s", INSN_FP },
	{ 0x20c5a553, 4, "fsgnjx.s", INSN_FP },
	{ 0x28c59553, 4, "fmax.s", INSN_FP },
	{ 0xc035f553, 4, "fcvt.lu.s", INSN_FP },
	{ 0xe0058553, 4, "fmv.x.w", INSN_FP },
	{ 0xa0c5a553, 4, "feq.s", INSN_FP },
	{ 0xe0059553, 4, "fclass.s", INSN_FP },
	{ 0xd025f553, 4, "fcvt.s.l", INSN_FP },
	{ 0xf0058553, 4, "fmv.w.x", INSN_FP },
	/* D */
	{ 0x00853507, 4, "fld", INSN_LOAD },
	{ 0x00a53427, 4, "fsd", INSN_STORE },
	{ 0x6ac5f547, 4, "fmsub.d", INSN_FP },
	{ 0x12c5c553, 4, "fmul.d", INSN_FP },
	{ 0x5a05f553, 4, "fsqrt.d", INSN_FP },
	{ 0x4015f553, 4, "fcvt.s.d", INSN_FP },
	{ 0x42058553, 4, "fcvt.d.s", INSN_FP },
	{ 0xa2c58553, 4, "fle.d", INSN_FP },
	{ 0xc215f553, 4, "fcvt.wu.d", INSN_FP },
	{ 0xd2158553, 4, "fcvt.d.wu", INSN_FP },
	{ 0xe2058553, 4, "fmv.x.d", INSN_FP },
	{ 0xf2058553, 4, "fmv.d.x", INSN_FP },
	/* C, quadrant 0 */
	{ 0x0808, 2, "c.addi4spn", INSN_OTHER },
	{ 0x2588, 2, "c.fld", INSN_LOAD },
	{ 0x41c8, 2, "c.lw", INSN_LOAD },
	{ 0x6588, 2, "c.ld", INSN_LOAD },
	{ 0xa588, 2, "c.fsd", INSN_STORE },
	{ 0xc1c8, 2, "c.sw", INSN_STORE },
	{ 0xe588, 2, "c.sd", INSN_STORE },
	/* C, quadrant 1 */
	{ 0x0001, 2, "c.addi", INSN_OTHER }, /* c.nop */
	{ 0x1575, 2, "c.addi", INSN_OTHER },
	{ 0x2515, 2, "c.addiw", INSN_OTHER },
	{ 0x5565, 2, "c.li", INSN_OTHER },
	{ 0x7139, 2, "c.addi16sp", INSN_OTHER },
	{ 0x657d, 2, "c.lui", INSN_OTHER },
	{ 0x810d, 2, "c.srli", INSN_OTHER },
	{ 0x9505, 2, "c.srai", INSN_OTHER },
	{ 0x997d, 2, "c.andi", INSN_OTHER },
	{ 0x8d0d, 2, "c.sub", INSN_OTHER },
	{ 0x8d2d, 2, "c.xor", INSN_OTHER },
	{ 0x8d4d, 2, "c.or", INSN_OTHER },
	{ 0x8d6d, 2, "c.and", INSN_OTHER },
	{ 0x9d0d, 2, "c.subw", INSN_OTHER },
	{ 0x9d2d, 2, "c.addw", INSN_OTHER },
	{ 0xa019, 2, "c.j", INSN_BRANCH },
	{ 0xc111, 2, "c.beqz", INSN_BRANCH },
	{ 0xe109, 2, "c.bnez", INSN_BRANCH },
	/* C, quadrant 2 */
	{ 0x0516, 2, "c.slli", INSN_OTHER },
	{ 0x2522, 2, "c.fldsp", INSN_LOAD },
	{ 0x4512, 2, "c.lwsp", INSN_LOAD },
	{ 0x6522, 2, "c.ldsp", INSN_LOAD },
	{ 0x8082, 2, "c.jr", INSN_BRANCH },
	{ 0x852e, 2, "c.mv", INSN_OTHER },
	{ 0x9002, 2, "c.ebreak", INSN_SYSTEM },
	{ 0x9502, 2, "c.jalr", INSN_BRANCH },
	{ 0x952e, 2, "c.add", INSN_OTHER },
	{ 0xa42a, 2, "c.fsdsp", INSN_STORE },
	{ 0xc22a, 2, "c.swsp", INSN_STORE },
	{ 0xe42a, 2, "c.sdsp", INSN_STORE },
};

/* Encodings that are reserved, unassigned or outside RV64GC. */
static const uint32_t invalid[] = {
	0x0000,     /* all-zero halfword: defined illegal */
	0x8000,     /* quadrant 0, funct3 100: reserved */
	0x6001,     /* c.addi16sp/c.lui with nzimm 0: reserved */
	0x4002,     /* c.lwsp rd=0 */
	0x8002,     /* c.jr rs1=0 */
	0x9c41,     /* c.subw group's reserved funct2 (10) */
	0x0000001f, /* 48-bit encoding */
	0x0000003f, /* 64-bit encoding */
	0x00007003, /* load funct3 111 */
	0x00004023, /* store funct3 100 (sq: RV128) */
	0x02a0150b, /* custom-0 opcode */
	0x80059513, /* slli with funct6 100000 */
	0x1005a52f | 1u << 20, /* lr.w with rs2 != 0 */
	0x2800302f, /* AMO funct5 00101: unassigned */
	0x00c5c573, /* SYSTEM funct3 100 */
	0x04c5f553, /* fadd.h: half precision is not in RV64GC */
	0x00c5d553, /* fadd.s with reserved rounding mode 5 */
	0x08c5e553, /* fsub.s with reserved rounding mode 6 */
	0x20c5b553, /* fsgnj.s with funct3 3 */
	0x00002063, /* branch funct3 010 */
	0x00001067, /* jalr funct3 001 */
	0x0200103b, /* OP-32 funct7 1 funct3 001: unassigned */
};

int main(void)
{
	size_t i;
	int bad = 0, seen[INSN_CLASS_COUNT] = { 0 }, c;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const struct known *k = &known[i];
		uint8_t b[4] = { k->raw & 0xff, k->raw >> 8 & 0xff, k->raw >> 16 & 0xff,
				 k->raw >> 24 & 0xff };
		struct rv_insn insn;
		unsigned len = rv64_decode(b, k->len, &insn);

		if (len != k->len || strcmp(insn.mnemonic, k->mnemonic) || insn.cls != k->cls ||
		    insn.len != k->len || insn.raw != k->raw) {
			fprintf(stderr, "FAIL %08x: want %s/%s/%u, got %s/%s/%u\n", k->raw,
				k->mnemonic, insn_class_name(k->cls), k->len,
				len ? insn.mnemonic : "invalid", len ? insn_class_name(insn.cls) : "-",
				len);
			bad++;
		}
		seen[k->cls]++;
		/* one byte short of the instruction: not decodable */
		if (rv64_decode(b, k->len - 1, &insn) != 0) {
			fprintf(stderr, "FAIL %08x: decoded from %u bytes\n", k->raw, k->len - 1);
			bad++;
		}
	}
	for (c = 0; c < INSN_CLASS_COUNT; c++)
		if (!seen[c])
			bad++, fprintf(stderr, "FAIL: table lacks class %d\n", c);
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		uint32_t w = invalid[i];
		uint8_t b[4] = { w & 0xff, w >> 8 & 0xff, w >> 16 & 0xff, w >> 24 & 0xff };
		struct rv_insn insn;
		unsigned len = rv64_decode(b, 4, &insn);
		if (len) {
			fprintf(stderr, "FAIL %08x: reserved encoding decoded as %s\n", w, insn.mnemonic);
			bad++;
		}
	}
	if (strcmp(insn_class_name(INSN_ATOMIC), "atomic") || strcmp(insn_class_name(INSN_OTHER), "other"))
		bad++, fprintf(stderr, "FAIL: class names\n");
	printf("%zu known encodings, %zu reserved ones, %d failures\n",
	       sizeof(known) / sizeof(known[0]), sizeof(invalid) / sizeof(invalid[0]), bad);
	return bad ? 1 : 0;
}
