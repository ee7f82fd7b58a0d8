/*
 * qemu_maps.c - the whole-run instructions of a plugin output by region key,
 * named as the hardware side names its samples (hw_symbols.c): QEMU's own
 * symbols of the program as s:<symbol>, and the code QEMU could not name
 * (format version 3's pc lines) through the guest's file mappings (map
 * lines) and each file's ELF symbols (.symtab, else .dynsym): s:<symbol> in
 * the program, s:<symbol>@<dso> and s:[unknown]@<dso> in any other file,
 * <dso> being the basename of the mapped file as the kernel names it
 * (symlinks resolved: liblzma.so.5.4.1).
 */
#include "collect.h"

#include "align.h"
#include "qemu_output.h"

#include <stdlib.h>
#include <string.h>

#define UNKNOWN_SYMBOL "[unknown]" /* the plugin's name for code outside any symbol */

static int cmp_region(const void *a, const void *b)
{
	return strcmp(((const struct qemu_region *)a)->key, ((const struct qemu_region *)b)->key);
}

static void add(struct qemu_regions *r, char *key, uint64_t insns)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	r->v[r->n++] = (struct qemu_region){ key, insns };
}

/* The map line holding addr: the last one, since a later mapping replaces an earlier one. */
static const struct qemu_output_map *map_of(const struct qemu_output *out, uint64_t addr)
{
	for (size_t i = out->n_maps; i-- > 0;)
		if (addr >= out->maps[i].start && addr < out->maps[i].end)
			return &out->maps[i];
	return NULL;
}

/* The key of one pc (caller frees), or NULL for code outside any known symbol of the program. */
static char *pc_key(const struct qemu_output *out, const char *prog, struct hw_symcache *c,
		    uint64_t pc)
{
	const struct qemu_output_map *m = map_of(out, pc);
	const struct sym *s = NULL;
	struct symtab *t;
	uint64_t vaddr;

	if (!m)
		return NULL;
	t = hw_symcache__get(c, m->path, 1);
	if (t && !symtab__vaddr_of(t, m->start, m->offset, pc, &vaddr))
		s = symtab__lookup(t, vaddr);
	if (prog && !strcmp(m->path, prog))
		return s && s->name ? xasprintf(REGION_KEY_SYMBOL "%s", s->name) : NULL;
	return xasprintf(REGION_KEY_SYMBOL "%s@%s", s && s->name ? s->name : UNKNOWN_SYMBOL,
			 path__base(m->path));
}

void qemu_regions__build(const struct qemu_output *out, struct qemu_regions *r)
{
	/* the program is the file mapped at its start_code (entry_code is the
	 * dynamic loader's entry when there is one) */
	const struct qemu_output_map *pm = out->system ? NULL : map_of(out, out->start_code);
	const char *prog = pm ? pm->path : NULL;
	struct hw_symcache c = { 0 };
	size_t n = 0;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < out->n_symbols; i++) {
		const struct qemu_output_symbol *sy = &out->symbols[i];

		/* with pc lines, they say where QEMU's [unknown] instructions were */
		if (strcmp(sy->name, UNKNOWN_SYMBOL))
			add(r, xasprintf(REGION_KEY_SYMBOL "%s", sy->name), sy->insns);
		else if (!out->n_pcs)
			r->unattributed += sy->insns;
	}
	for (size_t i = 0; i < out->n_pcs; i++) {
		char *key = pc_key(out, prog, &c, out->pcs[i].vaddr);

		if (key)
			add(r, key, out->pcs[i].insns);
		else
			r->unattributed += out->pcs[i].insns;
	}
	hw_symcache__free(&c);
	if (r->n)
		qsort(r->v, r->n, sizeof(*r->v), cmp_region);
	for (size_t i = 0; i < r->n; i++) {
		if (n && !strcmp(r->v[n - 1].key, r->v[i].key)) {
			r->v[n - 1].insns += r->v[i].insns;
			free(r->v[i].key);
		} else {
			r->v[n++] = r->v[i];
		}
	}
	r->n = n;
}

void qemu_regions__free(struct qemu_regions *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].key);
	free(r->v);
	memset(r, 0, sizeof(*r));
}
