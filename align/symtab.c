/*
 * symtab.c - ELF symbolizer: function symbols in a sorted array, binary
 * search per lookup (10^6 lookups in 10^5 symbols take milliseconds).
 *
 * Symbols come from .symtab, else .dynsym (stripped binary), else nothing;
 * the user is told which. Functions of size 0 (hand-written assembly) are
 * widened to the next symbol or the end of their section, so that an address
 * in them still resolves; a label inside a sized function is no symbol.
 * Aliases at one address keep a single name: the sized, global,
 * function-typed one wins, then the alphabetically first, so the result does
 * not depend on symbol table order.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "align.h"
#include "common.h"
#include "elf_file.h"

struct load_seg {
	uint64_t vaddr, offset, filesz;
};

struct mark_name {
	int id;
	char *name;
};

struct symtab {
	char *path;
	const char *arch;
	const char *source;
	int is_pie;
	struct sym *syms;
	size_t nsyms;
	/* address buckets of 2^bucket_shift bytes from syms[0].addr: bucket b's
	 * candidates are syms[bucket[b]] .. syms[bucket[b + 1]], so a lookup
	 * searches a handful of entries instead of the whole array */
	uint32_t *bucket;
	size_t nbuckets;
	unsigned bucket_shift;
	char *names; /* all symbol names, NUL-separated */
	struct load_seg *segs;
	size_t nsegs;
	uint64_t base_vaddr;
	struct mark_name *marks;
	size_t nmarks;
};

/* A candidate before sorting and deduplication. */
struct cand {
	uint64_t addr, size, sec_end;
	size_t name_off;
	int rank; /* higher wins among aliases */
};

static const char *cand_names; /* for the comparator's tie-break */

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return y->rank - x->rank;
	return strcmp(cand_names + x->name_off, cand_names + y->name_off);
}

static int sym_rank(const GElf_Sym *s)
{
	int r = 0;

	if (s->st_size)
		r += 8;
	if (GELF_ST_TYPE(s->st_info) == STT_FUNC || GELF_ST_TYPE(s->st_info) == STT_GNU_IFUNC)
		r += 4;
	if (GELF_ST_BIND(s->st_info) == STB_GLOBAL)
		r += 2;
	else if (GELF_ST_BIND(s->st_info) == STB_WEAK)
		r += 1;
	return r;
}

struct builder {
	struct cand *c;
	size_t n, cap;
	char *names;
	size_t names_len, names_cap;
};

static void builder__add(struct builder *b, const GElf_Sym *s, const char *name, uint64_t sec_end)
{
	size_t len = strlen(name) + 1;

	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 1024;
		b->c = xrealloc(b->c, b->cap * sizeof(*b->c));
	}
	while (b->names_len + len > b->names_cap) {
		b->names_cap = b->names_cap ? b->names_cap * 2 : 16384;
		b->names = xrealloc(b->names, b->names_cap);
	}
	memcpy(b->names + b->names_len, name, len);
	b->c[b->n++] = (struct cand){ .addr = s->st_value, .size = s->st_size,
				      .sec_end = sec_end, .name_off = b->names_len,
				      .rank = sym_rank(s) };
	b->names_len += len;
}

/* Which symbols name code: functions; global labels in code; local labels only as a last resort. */
enum pick { PICK_FUNC, PICK_LOCAL_LABELS };

static int section_bounds(Elf *elf, size_t shndx, uint64_t *end, int *exec)
{
	GElf_Shdr sh;
	Elf_Scn *scn = elf_getscn(elf, shndx);

	if (!scn || !gelf_getshdr(scn, &sh))
		return -1;
	*end = sh.sh_addr + sh.sh_size;
	*exec = (sh.sh_flags & SHF_EXECINSTR) != 0;
	return 0;
}

static size_t collect_syms(Elf *elf, Elf_Scn *scn, enum pick pick, struct builder *b)
{
	GElf_Shdr sh;
	Elf_Data *data = NULL;
	size_t n, i, added = 0;

	if (!gelf_getshdr(scn, &sh) || !sh.sh_entsize)
		return 0;
	n = sh.sh_size / sh.sh_entsize;
	while ((data = elf_getdata(scn, data)) != NULL) {
		for (i = 0; i < n; i++) {
			GElf_Sym s;
			const char *name;
			uint64_t sec_end;
			int type, bind, exec;

			if (!gelf_getsym(data, (int)i, &s))
				break;
			type = GELF_ST_TYPE(s.st_info);
			bind = GELF_ST_BIND(s.st_info);
			if (s.st_shndx == SHN_UNDEF || s.st_shndx >= SHN_LORESERVE)
				continue;
			if (section_bounds(elf, s.st_shndx, &sec_end, &exec) < 0 || !exec)
				continue;
			if (type == STT_FUNC || type == STT_GNU_IFUNC) {
				if (pick != PICK_FUNC)
					continue;
			} else if (type == STT_NOTYPE) {
				if (bind == STB_LOCAL && pick != PICK_LOCAL_LABELS)
					continue;
			} else {
				continue;
			}
			name = elf_strptr(elf, sh.sh_link, s.st_name);
			/* mapping symbols ($x, $d) and assembler-local labels name no function */
			if (!name || !*name || name[0] == '$' || !strncmp(name, ".L", 2))
				continue;
			builder__add(b, &s, name, sec_end);
			added++;
		}
	}
	return added;
}

static void symtab__index(struct symtab *t)
{
	uint64_t span;
	size_t b, i;

	if (t->nsyms == 0)
		return;
	span = t->syms[t->nsyms - 1].addr - t->syms[0].addr + 1;
	t->bucket_shift = 0;
	/* about one symbol per bucket */
	while ((span >> t->bucket_shift) > t->nsyms)
		t->bucket_shift++;
	t->nbuckets = (size_t)(span >> t->bucket_shift) + 1;
	t->bucket = xmalloc((t->nbuckets + 1) * sizeof(*t->bucket));
	/* bucket[b]: the last symbol starting at or before the bucket's first byte */
	for (b = 0, i = 0; b <= t->nbuckets; b++) {
		uint64_t first = t->syms[0].addr, at = UINT64_MAX;
		/* (saturating: symbols near the top of the address space) */
		if ((uint64_t)b <= (UINT64_MAX - first) >> t->bucket_shift)
			at = first + ((uint64_t)b << t->bucket_shift);
		while (i + 1 < t->nsyms && t->syms[i + 1].addr <= at)
			i++;
		t->bucket[b] = (uint32_t)i;
	}
}

static void symtab__build(struct symtab *t, struct builder *b)
{
	size_t i, j;

	cand_names = b->names;
	if (b->n) /* b->c is NULL when there are no candidates */
		qsort(b->c, b->n, sizeof(*b->c), cand_cmp);
	t->names = b->names;
	b->names = NULL;
	t->syms = xcalloc(b->n ? b->n : 1, sizeof(*t->syms));
	for (i = 0; i < b->n; i++) {
		struct sym *s;

		if (t->nsyms && t->syms[t->nsyms - 1].addr == b->c[i].addr)
			continue; /* alias: the best-ranked one came first */
		if (b->c[i].size == 0 && t->nsyms &&
		    b->c[i].addr - t->syms[t->nsyms - 1].addr < t->syms[t->nsyms - 1].size)
			continue; /* a label inside a sized function (glibc 2.41's
				   * __syscall_cancel_arch_end) names no code of its own */
		s = &t->syms[t->nsyms++];
		*s = (struct sym){ .addr = b->c[i].addr, .size = b->c[i].size,
				   .name = t->names + b->c[i].name_off };
		if (s->size == 0) {
			/* widen to the next symbol or the end of the section */
			uint64_t end = b->c[i].sec_end;
			for (j = i + 1; j < b->n && b->c[j].addr == s->addr; j++)
				;
			if (j < b->n && b->c[j].addr < end)
				end = b->c[j].addr;
			s->size = end > s->addr ? end - s->addr : 0;
			if (s->size == 0)
				t->nsyms--; /* a label at the very end (_etext, _end): no code */
		}
	}
	free(b->c);
	b->c = NULL;
	symtab__index(t);
}

static int read_marks(struct symtab *t, Elf *elf, Elf_Scn *scn)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t off = 0, cap = 0;

	if (!data || !data->d_buf)
		return 0;
	while (off < data->d_size) {
		const uint8_t *p = (const uint8_t *)data->d_buf + off;
		uint32_t id, len;
		size_t rec;

		if (data->d_size - off < 8)
			return error("%s: .emudiff_marks: truncated record at offset %zu", t->path, off);
		memcpy(&id, p, 4);
		memcpy(&len, p + 4, 4);
		if (id == 0 && len == 0) {
			off += 8; /* alignment padding between object files */
			continue;
		}
		rec = 8 + (((size_t)len + 3) & ~(size_t)3);
		if (len > data->d_size - off - 8)
			return error("%s: .emudiff_marks: record at offset %zu claims a %u-byte name past the section end",
				     t->path, off, len);
		if (id < 1 || id > 2047)
			return error("%s: .emudiff_marks: marker id %u at offset %zu is outside 1..2047",
				     t->path, id, off);
		if (t->nmarks == cap) {
			cap = cap ? cap * 2 : 16;
			t->marks = xrealloc(t->marks, cap * sizeof(*t->marks));
		}
		t->marks[t->nmarks].id = (int)id;
		t->marks[t->nmarks].name = strndup((const char *)p + 8, len);
		if (!t->marks[t->nmarks].name)
			die("out of memory");
		t->nmarks++;
		off += rec;
	}
	(void)elf;
	return 0;
}

static int read_segments(struct symtab *t, Elf *elf)
{
	size_t n, i;

	if (elf_getphdrnum(elf, &n) != 0)
		return error("%s: cannot read program headers: %s", t->path, elf_errmsg(-1));
	t->segs = xcalloc(n ? n : 1, sizeof(*t->segs));
	t->base_vaddr = UINT64_MAX;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph))
			return error("%s: cannot read program header %zu: %s", t->path, i, elf_errmsg(-1));
		if (ph.p_type != PT_LOAD)
			continue;
		t->segs[t->nsegs++] = (struct load_seg){ ph.p_vaddr, ph.p_offset, ph.p_filesz };
		if (ph.p_vaddr < t->base_vaddr)
			t->base_vaddr = ph.p_vaddr & ~(uint64_t)0xfff;
	}
	if (t->base_vaddr == UINT64_MAX)
		t->base_vaddr = 0;
	return 0;
}

static struct symtab *symtab__open(const char *elf_path, int with_syms)
{
	struct symtab *t = xcalloc(1, sizeof(*t));
	struct builder b = { 0 };
	struct elf_file ef;
	Elf_Scn *scn = NULL, *symscn = NULL, *dynscn = NULL;
	size_t shstrndx;

	t->path = xstrdup(elf_path);
	if (elf_file__open(&ef, elf_path) < 0)
		goto fail;
	t->arch = ef.arch;
	t->is_pie = ef.type == ET_DYN;
	if (elf_getshdrstrndx(ef.elf, &shstrndx) != 0) {
		error("%s: cannot read section names: %s", elf_path, elf_errmsg(-1));
		goto fail_elf;
	}
	if (read_segments(t, ef.elf) < 0)
		goto fail_elf;
	while ((scn = elf_nextscn(ef.elf, scn)) != NULL) {
		GElf_Shdr sh;
		const char *name;
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB)
			symscn = scn;
		else if (sh.sh_type == SHT_DYNSYM)
			dynscn = scn;
		name = elf_strptr(ef.elf, shstrndx, sh.sh_name);
		if (name && !strcmp(name, ".emudiff_marks") && sh.sh_type != SHT_NOBITS &&
		    read_marks(t, ef.elf, scn) < 0)
			goto fail_elf;
	}
	t->source = symscn ? "symtab" : dynscn ? "dynsym" : "none";
	if (with_syms && (symscn || dynscn)) {
		Elf_Scn *use = symscn ? symscn : dynscn;
		if (!collect_syms(ef.elf, use, PICK_FUNC, &b))
			collect_syms(ef.elf, use, PICK_LOCAL_LABELS, &b);
	}
	symtab__build(t, &b);
	if (with_syms && !symscn && dynscn)
		warning("%s: stripped (no .symtab); using %zu dynamic symbols from .dynsym",
			elf_path, t->nsyms);
	else if (with_syms && !symscn)
		warning("%s: stripped (no symbol table); addresses will not resolve to functions",
			elf_path);
	elf_file__close(&ef);
	return t;

fail_elf:
	elf_file__close(&ef);
fail:
	free(b.c);
	free(b.names);
	symtab__free(t);
	return NULL;
}

struct symtab *symtab__load(const char *elf_path)
{
	return symtab__open(elf_path, 1);
}

struct symtab *symtab__load_marks(const char *elf_path)
{
	return symtab__open(elf_path, 0);
}

const struct sym *symtab__lookup(const struct symtab *t, uint64_t addr)
{
	size_t lo = 0, hi = t->nsyms;

	if (!t->nsyms || addr < t->syms[0].addr)
		return NULL;
	if (((addr - t->syms[0].addr) >> t->bucket_shift) < t->nbuckets) {
		size_t b = (size_t)((addr - t->syms[0].addr) >> t->bucket_shift);
		lo = t->bucket[b];
		hi = (size_t)t->bucket[b + 1] + 1;
	}

	/* last symbol with start <= addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	if (addr - t->syms[lo - 1].addr < t->syms[lo - 1].size)
		return &t->syms[lo - 1];
	return NULL;
}

int symtab__is_pie(const struct symtab *t)
{
	return t->is_pie;
}

const char *symtab__arch(const struct symtab *t)
{
	return t->arch;
}

const char *symtab__source(const struct symtab *t)
{
	return t->source;
}

size_t symtab__count(const struct symtab *t)
{
	return t->nsyms;
}

const struct sym *symtab__at(const struct symtab *t, size_t i)
{
	return i < t->nsyms ? &t->syms[i] : NULL;
}

uint64_t symtab__base_vaddr(const struct symtab *t)
{
	return t->base_vaddr;
}

int symtab__vaddr_of(const struct symtab *t, uint64_t map_start, uint64_t map_pgoff,
		     uint64_t addr, uint64_t *vaddr)
{
	uint64_t file_off = addr - map_start + map_pgoff;
	size_t i;

	for (i = 0; i < t->nsegs; i++) {
		const struct load_seg *s = &t->segs[i];
		if (file_off >= s->offset && file_off - s->offset < s->filesz) {
			*vaddr = file_off - s->offset + s->vaddr;
			return 0;
		}
	}
	return -1;
}

const char *symtab__mark_name(const struct symtab *t, int id)
{
	size_t i;

	for (i = 0; i < t->nmarks; i++)
		if (t->marks[i].id == id)
			return t->marks[i].name;
	return NULL;
}

size_t symtab__mark_count(const struct symtab *t)
{
	return t->nmarks;
}

int symtab__mark_at(const struct symtab *t, size_t i, const char **name)
{
	if (i >= t->nmarks)
		return -1;
	if (name)
		*name = t->marks[i].name;
	return t->marks[i].id;
}

void symtab__free(struct symtab *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nmarks; i++)
		free(t->marks[i].name);
	free(t->marks);
	free(t->segs);
	free(t->syms);
	free(t->bucket);
	free(t->names);
	free(t->path);
	free(t);
}
