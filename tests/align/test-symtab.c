/*
 * test-symtab.c - the ELF symbolizer against nm: every function that
 * `nm -S --defined-only` lists with a size must resolve at its first and
 * last byte to a symbol starting at nm's address with nm's size, and the
 * byte after it must not resolve to it. For a stripped file ("none") every
 * address must fail to resolve. With =LIST instead of NM-OUTPUT, the symbol
 * table must be exactly LIST's lines "ADDR SIZE NAME" (hand-written), each
 * resolving at its first and last byte.
 *
 * usage: test-symtab ELF NM-OUTPUT|=LIST ARCH PIE SOURCE MIN-FUNCS [ID=NAME...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "check.h"
#include "common.h"

int main(int argc, char **argv)
{
	struct symtab *t;
	char line[1024];
	FILE *f;
	int checked = 0, i;
	int none;

	if (argc < 7) {
		fprintf(stderr, "usage: %s ELF NM-OUTPUT ARCH PIE SOURCE MIN-FUNCS [ID=NAME...]\n",
			argv[0]);
		return 2;
	}
	none = !strcmp(argv[5], "none");
	t = symtab__load(argv[1]);
	if (!t)
		return 1;
	CHECK(!strcmp(symtab__arch(t), argv[3]));
	CHECK_EQ_INT(symtab__is_pie(t), atoi(argv[4]));
	CHECK(!strcmp(symtab__source(t), argv[5]));
	if (none)
		CHECK_EQ_INT(symtab__count(t), 0);

	/* every symbol resolves to itself at its first byte, wherever it lies */
	for (size_t k = 0; k < symtab__count(t); k++) {
		const struct sym *y = symtab__at(t, k);
		if (y->size && symtab__lookup(t, y->addr) != y) {
			fprintf(stderr, "FAIL %s at %#llx does not resolve to itself\n", y->name,
				(unsigned long long)y->addr);
			check_failures++;
		}
	}
	if (argv[2][0] == '=') {
		/* the exact list: same count, same entries in address order */
		size_t k = 0;

		f = fopen(argv[2] + 1, "r");
		if (!f) {
			perror(argv[2] + 1);
			return 1;
		}
		while (fgets(line, sizeof(line), f)) {
			unsigned long long addr, size;
			char name[512];
			const struct sym *y;

			if (line[0] == '#' || sscanf(line, "%llx %llx %511s", &addr, &size, name) != 3)
				continue;
			y = symtab__at(t, k++);
			if (!y || y->addr != addr || y->size != size || strcmp(y->name, name)) {
				fprintf(stderr, "FAIL function %zu: want %s at %#llx size %#llx, got %s at %#llx size %#llx\n",
					k - 1, name, addr, size, y ? y->name : "nothing",
					y ? (unsigned long long)y->addr : 0ULL,
					y ? (unsigned long long)y->size : 0ULL);
				check_failures++;
				continue;
			}
			CHECK(symtab__lookup(t, addr) == y);
			CHECK(symtab__lookup(t, addr + size - 1) == y);
			checked++;
		}
		fclose(f);
		CHECK_EQ_INT(symtab__count(t), k);
		if (checked < atoi(argv[6])) {
			fprintf(stderr, "FAIL: only %d functions checked, expected at least %s\n", checked,
				argv[6]);
			check_failures++;
		}
		goto marks;
	}
	f = fopen(argv[2], "r");
	if (!f) {
		perror(argv[2]);
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr, size;
		char type, name[512];
		const struct sym *s;

		if (sscanf(line, "%llx %llx %c %511s", &addr, &size, &type, name) != 4)
			continue; /* no size: not a sized function */
		if (type != 'T' && type != 't' && type != 'W' && type != 'i')
			continue;
		if (size == 0)
			continue;
		s = symtab__lookup(t, addr);
		if (none) {
			CHECK(s == NULL);
			checked++;
			continue;
		}
		if (!s || s->addr != addr || s->size != size) {
			fprintf(stderr, "FAIL %s at %#llx size %llu: got %s at %#llx size %llu\n", name,
				addr, size, s ? s->name : "nothing",
				s ? (unsigned long long)s->addr : 0ULL,
				s ? (unsigned long long)s->size : 0ULL);
			check_failures++;
			continue;
		}
		s = symtab__lookup(t, addr + size - 1);
		if (!s || s->addr != addr) {
			fprintf(stderr, "FAIL %s at %#llx size %llu: its last byte resolves to %s at %#llx\n",
				name, addr, size, s ? s->name : "nothing", s ? (unsigned long long)s->addr : 0ULL);
			check_failures++;
		}
		if (symtab__is_pie(t)) {
			/* loaded at a bias, as perf and /proc/PID/maps show it: the code
			 * mapping starts at bias + 0x1000 and maps the file from 0x1000 */
			uint64_t bias = 0x555555554000ULL, v = 0;
			CHECK(symtab__vaddr_of(t, bias + 0x1000, 0x1000, bias + addr, &v) == 0);
			CHECK_EQ_INT(v, addr);
			CHECK(symtab__lookup(t, v) != NULL);
		}
		s = symtab__lookup(t, addr + size);
		CHECK(!s || s->addr != addr);
		checked++;
	}
	fclose(f);
	if (checked < atoi(argv[6])) {
		fprintf(stderr, "FAIL: only %d functions checked, expected at least %s\n", checked,
			argv[6]);
		check_failures++;
	}
	if (symtab__is_pie(t)) {
		uint64_t v;
		CHECK_EQ_INT(symtab__base_vaddr(t), 0);
		/* an offset past every segment is not in the file */
		CHECK(symtab__vaddr_of(t, 0x7f0000000000ULL, 1ULL << 40, 0x7f0000000010ULL, &v) == -1);
	}
marks:
	/* the symbol array is sorted and non-overlapping */
	for (size_t k = 1; k < symtab__count(t); k++) {
		const struct sym *a = symtab__at(t, k - 1), *b = symtab__at(t, k);
		CHECK(a->addr < b->addr);
	}
	for (i = 7; i < argc; i++) {
		int id = atoi(argv[i]);
		const char *want = strchr(argv[i], '=') + 1;
		const char *got = symtab__mark_name(t, id);
		if (!*want)
			CHECK(got == NULL);
		else if (!got || strcmp(got, want)) {
			fprintf(stderr, "FAIL mark %d: want %s, got %s\n", id, want, got ? got : "none");
			check_failures++;
		}
	}
	printf("%s: %zu symbols from %s, %d functions checked against nm\n", argv[1],
	       symtab__count(t), symtab__source(t), checked);
	symtab__free(t);
	return check_exit();
}
