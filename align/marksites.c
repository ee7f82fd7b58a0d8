/*
 * marksites.c - find the marker instructions of a binary (emudiff align
 * --check). Executable sections are walked instruction by instruction from
 * their start, Capstone for x86_64 and aarch64 and rv64_decode() for
 * riscv64, so that only real instruction starts count: the marker's bytes
 * inside another instruction's immediate or in a literal pool do not.
 * Bytes that do not decode (data in code) are skipped one unit at a time.
 */
#include <capstone/capstone.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "common.h"
#include "elf_file.h"

struct sites {
	struct marksite *v;
	size_t n, cap;
};

static void sites__add(struct sites *s, uint64_t addr, int id)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = (struct marksite){ .addr = addr, .id = id };
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void scan_rv64(const uint8_t *code, size_t size, uint64_t addr, struct sites *s)
{
	size_t off = 0;

	while (off + 2 <= size) {
		struct rv_insn insn;
		unsigned len = rv64_decode(code + off, size - off, &insn);

		if (!len) {
			off += 2; /* instructions are 2-byte aligned with C */
			continue;
		}
		/* slti x0, x0, id: rd = rs1 = 0, funct3 = 2, opcode OP-IMM */
		if (len == 4 && (insn.raw & 0xfffff) == 0x00002013) {
			uint32_t id = insn.raw >> 20;
			if (id >= 1 && id <= 2047)
				sites__add(s, addr + off, (int)id);
		}
		off += len;
	}
}

static int scan_capstone(const char *path, int aarch64, const uint8_t *code, size_t size,
			 uint64_t addr, struct sites *s)
{
	csh cs;
	cs_insn *insn;
	size_t unit = aarch64 ? 4 : 1;

	if (cs_open(aarch64 ? CS_ARCH_ARM64 : CS_ARCH_X86,
		    aarch64 ? CS_MODE_LITTLE_ENDIAN : CS_MODE_64, &cs) != CS_ERR_OK)
		return error("%s: Capstone cannot disassemble %s", path, aarch64 ? "aarch64" : "x86_64");
	insn = cs_malloc(cs);
	while (size >= unit) {
		const uint8_t *p = code;
		size_t left = size;
		uint64_t a = addr;

		if (!cs_disasm_iter(cs, &p, &left, &a, insn)) {
			code += unit, size -= unit, addr += unit;
			continue;
		}
		if (!aarch64 && insn->size == 7 && insn->bytes[0] == 0x0f && insn->bytes[1] == 0x1f &&
		    insn->bytes[2] == 0x80) {
			uint32_t disp = le32(insn->bytes + 3);
			if (disp >> 16 == 0x4544 && (disp & 0xffff) >= 1 && (disp & 0xffff) <= 2047)
				sites__add(s, insn->address, (int)(disp & 0xffff));
		} else if (aarch64 && insn->size == 4) {
			uint32_t w = le32(insn->bytes);
			/* movk xzr, #id (hw = 0) */
			if ((w & 0xffe0001f) == 0xf280001f) {
				uint32_t id = (w >> 5) & 0xffff;
				if (id >= 1 && id <= 2047)
					sites__add(s, insn->address, (int)id);
			}
		}
		code = p, size = left, addr = a;
	}
	cs_free(insn, 1);
	cs_close(&cs);
	return 0;
}

static int site_cmp(const void *a, const void *b)
{
	const struct marksite *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int marksites__scan(const char *elf_path, struct marksite **sites, size_t *n, const char **arch)
{
	struct elf_file ef;
	struct sites s = { 0 };
	Elf_Scn *scn = NULL;
	int rc = 0;

	*sites = NULL;
	*n = 0;
	if (elf_file__open(&ef, elf_path) < 0)
		return -1;
	if (arch)
		*arch = ef.arch;
	while (rc == 0 && (scn = elf_nextscn(ef.elf, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR))
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf)
			continue;
		if (ef.machine == EM_RISCV)
			scan_rv64(data->d_buf, data->d_size, sh.sh_addr, &s);
		else
			rc = scan_capstone(elf_path, ef.machine == EM_AARCH64, data->d_buf,
					   data->d_size, sh.sh_addr, &s);
	}
	elf_file__close(&ef);
	if (rc < 0) {
		free(s.v);
		return -1;
	}
	qsort(s.v, s.n, sizeof(*s.v), site_cmp);
	*sites = s.v;
	*n = s.n;
	return 0;
}
