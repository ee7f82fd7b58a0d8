/* Fuzz target: ELF files through the libelf symbolizer and the .emudiff_marks reader. */
#include "align.h"
#include "fuzz_input.h"

int fuzz_target(const uint8_t *data, size_t size, struct fuzz_sum *sum)
{
	struct symtab *t;
	char path[64];
	int fd;

	fuzz_quiet();
	fd = fuzz_path(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	t = symtab__load(path);
	if (t) {
		size_t n = symtab__count(t), m = symtab__mark_count(t);
		const struct sym *lo = symtab__at(t, 0), *hi = symtab__at(t, n ? n - 1 : 0);

		for (size_t i = 0; i < n; i++) {
			const struct sym *s = symtab__at(t, i);

			/* every symbol must be found at its own address */
			if (s->size && !symtab__lookup(t, s->addr))
				__builtin_trap();
		}
		for (size_t i = 0; i < m; i++) {
			const char *name;

			symtab__mark_at(t, i, &name);
		}
		symtab__lookup(t, 0);
		symtab__lookup(t, UINT64_MAX);
		fuzz_add(sum, "arch=%s pie=%d source=%s funcs=%zu marks=%zu", symtab__arch(t),
			 symtab__is_pie(t), symtab__source(t), n, m);
		/* the lowest and highest function: names and addresses are cheap to check */
		if (lo)
			fuzz_add(sum, "first=%s@%#llx last=%s@%#llx", lo->name,
				 (unsigned long long)lo->addr, hi->name, (unsigned long long)hi->addr);
		symtab__free(t);
	}
	close(fd);
	return t != NULL;
}

FUZZ_ENTRY
