/*
 * guest_insn.c - recognise markers, exits and trap returns from the
 * instruction bytes (fixed encodings, docs/design.md's marker ABI), and classify
 * instructions with the project's RV64GC decoder (riscv64) or Capstone
 * (x86_64). Called at translation time only, under the plugin's lock.
 */
#include "guest_insn.h"

#include <capstone/capstone.h>
#include <stdio.h>
#include <string.h>

#ifdef EMUDIFF_HAVE_RV64
#include "align.h"
#endif

static csh cs_handle;
static cs_insn *cs_scratch;

static const char *const class_names[GC_COUNT] = {
	"other", "load", "store", "branch", "fp", "atomic", "system",
};

const char *guest_class_name(enum guest_class c)
{
	return c < GC_COUNT ? class_names[c] : "other";
}

int guest_insn__init(enum guest_arch arch, char *err, size_t errlen)
{
	if (arch != GUEST_X86_64)
		return 0;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs_handle) != CS_ERR_OK) {
		snprintf(err, errlen, "Capstone cannot open an x86_64 decoder");
		return -1;
	}
	cs_option(cs_handle, CS_OPT_DETAIL, CS_OPT_ON);
	cs_scratch = cs_malloc(cs_handle);
	if (!cs_scratch) {
		cs_close(&cs_handle);
		snprintf(err, errlen, "Capstone: out of memory");
		return -1;
	}
	return 0;
}

int guest_insn__can_classify(enum guest_arch arch)
{
#ifdef EMUDIFF_HAVE_RV64
	(void)arch;
	return 1;
#else
	return arch == GUEST_X86_64;
#endif
}

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* ---- riscv64 ------------------------------------------------------------- */

static void riscv64_describe(const uint8_t *b, size_t len, int classify, struct guest_insn *out)
{
	if (len == 4) {
		uint32_t raw = le32(b);

		/* slti x0, x0, id: opcode OP-IMM, funct3 2, rd = rs1 = x0 */
		if ((raw & 0x000fffff) == 0x00002013 && (raw >> 20) >= 1 && (raw >> 20) <= 2047)
			out->mark_id = (int)(raw >> 20);
		else if (raw == 0x00000073)
			out->exit_kind = "ecall";
		else if (raw == 0x00100073)
			out->exit_kind = "ebreak";
		else if (raw == 0x10500073)
			out->exit_kind = "wfi";
		else if (raw == 0x10200073)
			out->trap_ret = "sret";
		else if (raw == 0x30200073)
			out->trap_ret = "mret";
	} else if (len == 2 && b[0] == 0x02 && b[1] == 0x90) {
		out->exit_kind = "ebreak"; /* c.ebreak */
	}
	if (!classify)
		return;
#ifdef EMUDIFF_HAVE_RV64
	struct rv_insn ri;

	if (!rv64_decode(b, len, &ri)) {
		out->cls = GC_OTHER;
		out->may_fault = 1; /* illegal instruction */
		return;
	}
	out->cls = (enum guest_class)ri.cls;
	/* Integer ALU, M, branches and jumps cannot trap on RV64GC with C
	 * (misaligned targets are impossible); memory, FP (FS may be off) and
	 * system instructions can. */
	out->may_fault = ri.cls != INSN_OTHER && ri.cls != INSN_BRANCH;
#else
	out->may_fault = 1;
#endif
}

/* ---- x86_64 ------------------------------------------------------------------ */

static int has_group(const cs_detail *d, uint8_t g)
{
	for (int i = 0; i < d->groups_count; i++)
		if (d->groups[i] == g)
			return 1;
	return 0;
}

static int reads_implicit(const cs_detail *d, uint16_t reg)
{
	for (int i = 0; i < d->regs_read_count; i++)
		if (d->regs_read[i] == reg)
			return 1;
	for (int i = 0; i < d->regs_write_count; i++)
		if (d->regs_write[i] == reg)
			return 1;
	return 0;
}

static void x86_classify(const uint8_t *b, size_t len, struct guest_insn *out)
{
	const uint8_t *code = b;
	size_t size = len;
	uint64_t addr = 0;

	if (!cs_disasm_iter(cs_handle, &code, &size, &addr, cs_scratch)) {
		out->cls = GC_OTHER;
		out->may_fault = 1;
		return;
	}
	const cs_insn *in = cs_scratch;
	const cs_detail *d = in->detail;
	int mem_r = 0, mem_w = 0;

	if (in->id != X86_INS_LEA && in->id != X86_INS_NOP)
		for (int i = 0; i < d->x86.op_count; i++)
			if (d->x86.operands[i].type == X86_OP_MEM) {
				mem_r |= !!(d->x86.operands[i].access & CS_AC_READ);
				mem_w |= !!(d->x86.operands[i].access & CS_AC_WRITE);
				if (!d->x86.operands[i].access)
					mem_r = 1; /* unknown access: assume a read */
			}
	/* push/pop/call/ret/leave and the string instructions touch memory
	 * through implicit registers */
	int stack = reads_implicit(d, X86_REG_RSP);
	int string = reads_implicit(d, X86_REG_RSI) || reads_implicit(d, X86_REG_RDI);
	int system = has_group(d, X86_GRP_INT) || has_group(d, X86_GRP_IRET) ||
		     has_group(d, X86_GRP_PRIVILEGE) || in->id == X86_INS_SYSCALL ||
		     in->id == X86_INS_CPUID || in->id == X86_INS_RDTSC || in->id == X86_INS_RDTSCP ||
		     in->id == X86_INS_UD2;

	if (has_group(d, X86_GRP_JUMP) || has_group(d, X86_GRP_CALL) || has_group(d, X86_GRP_RET) ||
	    has_group(d, X86_GRP_BRANCH_RELATIVE))
		out->cls = GC_BRANCH;
	else if (system)
		out->cls = GC_SYSTEM;
	else if ((d->x86.prefix[0] == X86_PREFIX_LOCK && (mem_r || mem_w)) ||
		 (in->id == X86_INS_XCHG && (mem_r || mem_w)) || in->id == X86_INS_CMPXCHG ||
		 in->id == X86_INS_CMPXCHG8B || in->id == X86_INS_CMPXCHG16B)
		out->cls = GC_ATOMIC;
	else if (has_group(d, X86_GRP_FPU) || has_group(d, X86_GRP_SSE1) ||
		 has_group(d, X86_GRP_SSE2) || has_group(d, X86_GRP_SSE3) ||
		 has_group(d, X86_GRP_SSSE3) || has_group(d, X86_GRP_SSE41) ||
		 has_group(d, X86_GRP_SSE42) || has_group(d, X86_GRP_AVX) ||
		 has_group(d, X86_GRP_AVX2) || has_group(d, X86_GRP_AVX512) ||
		 has_group(d, X86_GRP_FMA))
		out->cls = GC_FP;
	else if (mem_w || (stack && in->id == X86_INS_PUSH))
		out->cls = GC_STORE;
	else if (mem_r || (stack && in->id == X86_INS_POP))
		out->cls = GC_LOAD;
	else
		out->cls = GC_OTHER;
	out->may_fault = mem_r || mem_w || stack || string || system || in->id == X86_INS_DIV ||
			 in->id == X86_INS_IDIV || has_group(d, X86_GRP_FPU);
}

static void x86_64_describe(const uint8_t *b, size_t len, int classify, struct guest_insn *out)
{
	/* nopl disp32(%rax) = 0f 1f 80 + le32(0x45440000 | id) */
	if (len == 7 && b[0] == 0x0f && b[1] == 0x1f && b[2] == 0x80) {
		uint32_t disp = le32(b + 3);

		if ((disp & 0xffff0000u) == 0x45440000u && (disp & 0xffff) >= 1 &&
		    (disp & 0xffff) <= 2047)
			out->mark_id = (int)(disp & 0xffff);
	} else if (len == 1 && b[0] == 0xf4) {
		out->exit_kind = "hlt";
	} else if (len == 2 && b[0] == 0x0f && b[1] == 0x05) {
		out->exit_kind = "syscall";
	} else if ((len == 2 && b[0] == 0xcd) || (len == 1 && b[0] == 0xcc)) {
		out->exit_kind = "int";
	} else if ((len == 1 && b[0] == 0xcf) || (len == 2 && (b[0] & 0xf0) == 0x40 && b[1] == 0xcf)) {
		out->trap_ret = "iret";
	} else if ((len == 2 && b[0] == 0x0f && b[1] == 0x07) ||
		   (len == 3 && (b[0] & 0xf0) == 0x40 && b[1] == 0x0f && b[2] == 0x07)) {
		out->trap_ret = "sysret";
	}
	if (classify)
		x86_classify(b, len, out);
}

void guest_insn__describe(enum guest_arch arch, const uint8_t *bytes, size_t len, int classify,
			  struct guest_insn *out)
{
	memset(out, 0, sizeof(*out));
	out->may_fault = 1;
	if (arch == GUEST_RISCV64)
		riscv64_describe(bytes, len, classify, out);
	else
		x86_64_describe(bytes, len, classify, out);
}
