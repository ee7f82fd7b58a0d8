/*
 * test-symtab-bad.c - writes the damaged ELF that test_symtab_bad.sh cannot
 * make with head and dd: GOOD-ELF with its first .emudiff_marks record
 * ("setup", id 1) claiming a 127-byte name, more than the section holds.
 * Prints the record's file offset.
 *
 * usage: test-symtab-bad GOOD-ELF OUT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	static const char rec[] = "\x01\0\0\0\x06\0\0\0setup";
	FILE *in, *out;
	char *buf, *hit;
	size_t n;

	if (argc != 3)
		return 2;
	in = fopen(argv[1], "rb");
	buf = malloc(1 << 24);
	if (!in || !buf)
		return 1;
	n = fread(buf, 1, 1 << 24, in);
	fclose(in);
	hit = memmem(buf, n, rec, sizeof(rec) - 1);
	if (!hit) {
		fprintf(stderr, "%s: no .emudiff_marks record 1 \"setup\"\n", argv[1]);
		return 1;
	}
	hit[4] = 0x7f; /* name_len 127 */
	out = fopen(argv[2], "wb");
	if (!out || fwrite(buf, 1, n, out) != n || fclose(out))
		return 1;
	printf("%zu\n", (size_t)(hit - buf));
	free(buf);
	return 0;
}
