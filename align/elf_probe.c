/*
 * elf_probe.c - what a program file is before it is run (align.h): ELF or
 * not, the machine it is for, and its dynamic loader. Unlike elf_file.c it
 * accepts any ELF, so that a collector can name a foreign machine in its
 * refusal.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "align.h"
#include "common.h"

/* e_machine as uname -m spells the machine. */
static void machine_name(int machine, int class64, char *out, size_t n)
{
	switch (machine) {
	case EM_X86_64: snprintf(out, n, "x86_64"); break;
	case EM_386: snprintf(out, n, "i386"); break;
	case EM_AARCH64: snprintf(out, n, "aarch64"); break;
	case EM_ARM: snprintf(out, n, "arm"); break;
	case EM_RISCV: snprintf(out, n, class64 ? "riscv64" : "riscv32"); break;
	case EM_PPC64: snprintf(out, n, "ppc64"); break;
	case EM_S390: snprintf(out, n, "s390x"); break;
	default: snprintf(out, n, "e_machine %d", machine);
	}
}

/* The PT_INTERP string into out ("" when there is none). */
static void read_interp(Elf *elf, char *out, size_t n)
{
	size_t phnum, size;
	const char *raw = elf_rawfile(elf, &size);

	out[0] = '\0';
	if (!raw || elf_getphdrnum(elf, &phnum))
		return;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_INTERP)
			continue;
		if (ph.p_offset >= size || ph.p_filesz > size - ph.p_offset || !ph.p_filesz)
			return;
		snprintf(out, n, "%.*s", (int)strnlen(raw + ph.p_offset, ph.p_filesz), raw + ph.p_offset);
		return;
	}
}

int elf__probe(const char *path, struct elf_probe *p)
{
	GElf_Ehdr eh;
	Elf *elf;
	int fd;

	memset(p, 0, sizeof(*p));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return error("libelf is out of date: %s", elf_errmsg(-1));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error("%s: %s", path, strerror(errno));
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF && gelf_getehdr(elf, &eh)) {
		p->is_elf = 1;
		machine_name(eh.e_machine, gelf_getclass(elf) == ELFCLASS64, p->machine, sizeof(p->machine));
		read_interp(elf, p->interp, sizeof(p->interp));
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return 0;
}

const char *elf__host_machine(void)
{
	static struct utsname u;

	if (!u.machine[0] && uname(&u))
		return "unknown";
	return u.machine;
}
