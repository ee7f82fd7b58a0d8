/*
 * elf_file.h - private to align/: open an ELF file with libelf and check that
 * it is something emudiff can work with (64-bit x86_64, riscv64 or aarch64
 * executable or shared object), with one-line errors naming the file.
 */
#ifndef EMUDIFF_ALIGN_ELF_FILE_H
#define EMUDIFF_ALIGN_ELF_FILE_H

#include <libelf.h>

struct elf_file {
	int fd;
	Elf *elf;
	const char *arch; /* "x86_64", "riscv64", "aarch64" */
	int machine;      /* e_machine */
	int type;         /* e_type: ET_EXEC or ET_DYN */
};

/* 0, or -1 with the error printed. */
int elf_file__open(struct elf_file *f, const char *path);
void elf_file__close(struct elf_file *f);

#endif
