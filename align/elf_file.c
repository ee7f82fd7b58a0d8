/*
 * elf_file.c - open and validate an ELF file (see elf_file.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "elf_file.h"

/* Does a table of n entries of entsize bytes at off end within size bytes?
 * *end gets where it ends (saturated). */
static int table_fits(uint64_t off, uint64_t n, uint64_t entsize, uint64_t size, uint64_t *end)
{
	if (entsize && n > (UINT64_MAX - off) / entsize) {
		*end = UINT64_MAX;
		return 0;
	}
	*end = off + n * entsize;
	return *end <= size;
}

/*
 * A file cut short (a copy interrupted, a download stopped) keeps a valid
 * ELF header, and libelf then just sees fewer sections: the file would pass
 * as stripped. Its program and section header tables must lie in the file.
 */
static int check_truncated(const char *path, int fd, const GElf_Ehdr *eh)
{
	struct stat st;
	uint64_t end, size;

	if (fstat(fd, &st))
		return error("%s: %s", path, strerror(errno));
	size = (uint64_t)st.st_size;
	if (eh->e_phoff && !table_fits(eh->e_phoff, eh->e_phnum, eh->e_phentsize, size, &end))
		return error("%s: truncated ELF: the program headers end at byte %llu, the file has %llu",
			     path, (unsigned long long)end, (unsigned long long)size);
	/* e_shnum 0 with a table: the count is in section 0, which must be there */
	if (eh->e_shoff && !table_fits(eh->e_shoff, eh->e_shnum ? eh->e_shnum : 1, eh->e_shentsize,
				       size, &end))
		return error("%s: truncated ELF: the section headers end at byte %llu, the file has %llu",
			     path, (unsigned long long)end, (unsigned long long)size);
	return 0;
}

static const char *machine_arch(int machine)
{
	switch (machine) {
	case EM_X86_64: return "x86_64";
	case EM_RISCV: return "riscv64";
	case EM_AARCH64: return "aarch64";
	default: return NULL;
	}
}

int elf_file__open(struct elf_file *f, const char *path)
{
	GElf_Ehdr eh;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return error("libelf is out of date: %s", elf_errmsg(-1));
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return error("%s: %s", path, strerror(errno));
	f->elf = elf_begin(f->fd, ELF_C_READ, NULL);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF) {
		error("%s: not an ELF file", path);
		goto fail;
	}
	if (!gelf_getehdr(f->elf, &eh)) {
		error("%s: damaged ELF header: %s", path, elf_errmsg(-1));
		goto fail;
	}
	f->machine = eh.e_machine;
	f->type = eh.e_type;
	f->arch = machine_arch(eh.e_machine);
	if (gelf_getclass(f->elf) != ELFCLASS64) {
		error("%s: 32-bit ELF (e_machine %d); emudiff handles 64-bit x86_64, riscv64 and aarch64",
		      path, eh.e_machine);
		goto fail;
	}
	if (!f->arch) {
		error("%s: unsupported architecture (e_machine %d); emudiff handles x86_64, riscv64 and aarch64",
		      path, eh.e_machine);
		goto fail;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		error("%s: not an executable or shared object (e_type %d); link it first", path,
		      eh.e_type);
		goto fail;
	}
	if (check_truncated(path, f->fd, &eh) < 0)
		goto fail;
	return 0;
fail:
	elf_file__close(f);
	return -1;
}

void elf_file__close(struct elf_file *f)
{
	if (f->elf)
		elf_end(f->elf);
	if (f->fd >= 0)
		close(f->fd);
	f->elf = NULL;
	f->fd = -1;
}
