/*
 * gen-funcs.c - write an assembly file with N functions of known sizes, for
 * the symbolizer scale test: function i is f<i>, size_of(i) bytes long, and
 * every 10th function is followed by a 3-byte hole that belongs to no
 * function. test-symtab-scale.c recomputes the same layout.
 *
 * usage: gen-funcs N OUT.S
 */
#include <stdio.h>
#include <stdlib.h>

#include "scale-layout.h"

int main(int argc, char **argv)
{
	FILE *f;
	long n, i;

	if (argc != 3)
		return 2;
	n = atol(argv[1]);
	f = fopen(argv[2], "w");
	if (!f) {
		perror(argv[2]);
		return 1;
	}
	fprintf(f, "\t.text\n\t.globl _start\n_start:\n");
	for (i = 0; i < n; i++) {
		fprintf(f, "\t.globl f%ld\n\t.type f%ld, @function\nf%ld:\n\t.fill %u, 1, 0x90\n"
			   "\t.size f%ld, %u\n",
			i, i, i, scale_size_of(i), i, scale_size_of(i));
		if (scale_has_hole(i))
			fprintf(f, "\t.fill %u, 1, 0xcc\n", SCALE_HOLE);
	}
	if (fclose(f) != 0) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
