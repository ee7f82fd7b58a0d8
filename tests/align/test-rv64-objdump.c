/*
 * test-rv64-objdump.c - the RV64GC decoder against binutils: every line of
 * `objdump -d -M no-aliases` of rv64gc-all.S (assembled at build time) must
 * decode to the same length and mnemonic. The list covers every RV64GC
 * instruction, so a wrong opcode table entry anywhere fails here.
 *
 * usage: test-rv64-objdump OBJDUMP-OUTPUT.txt MIN-INSNS
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"

int main(int argc, char **argv)
{
	char line[512];
	FILE *f;
	int n = 0, bad = 0, seen[INSN_CLASS_COUNT] = { 0 }, c;

	if (argc != 3) {
		fprintf(stderr, "usage: %s OBJDUMP-OUTPUT MIN-INSNS\n", argv[0]);
		return 2;
	}
	f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		char hex[16], mn[64];
		unsigned long raw;
		uint8_t bytes[4];
		struct rv_insn insn;
		unsigned len, want_len;
		char *p = line;

		/* "   1c:\t00b55663          \tbge\ta0,a1,28 <...>" */
		while (*p == ' ')
			p++;
		if (!isxdigit((unsigned char)*p))
			continue;
		p = strchr(p, ':');
		if (!p || p[1] != '\t')
			continue;
		if (sscanf(p + 2, "%15s %63s", hex, mn) != 2)
			continue;
		want_len = (unsigned)strlen(hex) / 2;
		if (want_len != 2 && want_len != 4)
			continue;
		raw = strtoul(hex, NULL, 16);
		bytes[0] = raw & 0xff;
		bytes[1] = raw >> 8 & 0xff;
		bytes[2] = raw >> 16 & 0xff;
		bytes[3] = raw >> 24 & 0xff;
		len = rv64_decode(bytes, want_len, &insn);
		n++;
		if (len != want_len || strcmp(insn.mnemonic, mn) != 0) {
			fprintf(stderr, "FAIL %s: objdump says %s (%u bytes), decoder says %s (%u bytes)\n",
				hex, mn, want_len, len ? insn.mnemonic : "invalid", len);
			bad++;
			continue;
		}
		if (insn.raw != raw) {
			fprintf(stderr, "FAIL %s: raw field %08x\n", hex, insn.raw);
			bad++;
		}
		seen[insn.cls]++;
	}
	fclose(f);
	if (n < atoi(argv[2])) {
		fprintf(stderr, "FAIL: only %d instructions in %s, expected at least %s\n", n,
			argv[1], argv[2]);
		return 1;
	}
	for (c = 0; c < INSN_CLASS_COUNT; c++) {
		if (!seen[c]) {
			fprintf(stderr, "FAIL: no instruction of class %s\n",
				insn_class_name((enum insn_class)c));
			bad++;
		}
	}
	printf("%d instructions checked, %d mismatches\n", n, bad);
	return bad ? 1 : 0;
}
