/*
 * test-symtab-bad.c - input the symbolizer must refuse, each with a NULL
 * and (checked by the meson test's stderr match in test_symtab_bad) a
 * one-line error: a missing file, a text file, an ELF whose e_machine is
 * rewritten to 32-bit ARM's, a 32-bit ELF header, and a .emudiff_marks
 * record that claims more bytes than the section has.
 *
 * usage: test-symtab-bad GOOD-ELF SCRATCH-DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "check.h"
#include "common.h"

static char *copy_patched(const char *src, char *dst, long off, unsigned char val)
{
	FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
	int c;
	long pos = 0;

	if (!in || !out)
		exit(1);
	while ((c = fgetc(in)) != EOF) {
		fputc(pos == off ? val : c, out);
		pos++;
	}
	fclose(in);
	fclose(out);
	return dst;
}

int main(int argc, char **argv)
{
	char *p;
	FILE *f;

	if (argc != 3)
		return 2;
	CHECK(symtab__load("/nonexistent/emudiff-test") == NULL);

	p = xasprintf("%s/not-elf.txt", argv[2]);
	f = fopen(p, "w");
	fputs("hello, not an ELF\n", f);
	fclose(f);
	CHECK(symtab__load(p) == NULL);
	free(p);

	/* e_machine (offset 18) = 40, EM_ARM */
	p = copy_patched(argv[1], xasprintf("%s/arm.elf", argv[2]), 18, 40);
	CHECK(symtab__load(p) == NULL);
	free(p);
	/* EI_CLASS (offset 4) = ELFCLASS32 */
	p = copy_patched(argv[1], xasprintf("%s/class32.elf", argv[2]), 4, 1);
	CHECK(symtab__load(p) == NULL);
	free(p);
	/* a .emudiff_marks record whose name runs past the section's end */
	{
		FILE *in = fopen(argv[1], "rb");
		char *buf = xmalloc(1 << 24), *hit;
		size_t n = fread(buf, 1, 1 << 24, in);
		static const char rec[] = "\x06\0\0\0setup";

		fclose(in);
		hit = memmem(buf, n, rec, sizeof(rec) - 1);
		CHECK(hit != NULL);
		if (hit) {
			hit[0] = 0x7f; /* name_len 127: beyond the last record */
			p = xasprintf("%s/badmarks.elf", argv[2]);
			f = fopen(p, "wb");
			fwrite(buf, 1, n, f);
			fclose(f);
			CHECK(symtab__load(p) == NULL);
			CHECK(symtab__load_marks(p) == NULL);
			free(p);
		}
		free(buf);
	}
	/* the good one loads */
	{
		struct symtab *t = symtab__load(argv[1]);
		CHECK(t != NULL);
		symtab__free(t);
	}
	return check_exit();
}
