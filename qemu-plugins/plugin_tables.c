/* plugin_tables.c - the plugin's event counter and page set (plugin_tables.h). */
#include "plugin_tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *plugin_zalloc(size_t n)
{
	void *p = calloc(1, n);

	if (!p) {
		fprintf(stderr, "emudiff plugin: out of memory\n");
		abort();
	}
	return p;
}

/* ---- events ---- */

static size_t event_hash(int64_t seq, const char *kind, const char *detail)
{
	uint64_t h = 1469598103934665603u ^ (uint64_t)seq; /* FNV-1a */

	for (const char *s = kind; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211u;
	for (const char *s = detail; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211u;
	return (size_t)h;
}

static void event_table_grow(struct event_table *t)
{
	struct event_count *old = t->slots;
	size_t old_cap = t->cap;

	t->cap = old_cap ? old_cap * 2 : 64;
	t->slots = plugin_zalloc(t->cap * sizeof(*t->slots));
	for (size_t i = 0; i < old_cap; i++) {
		if (!old[i].kind)
			continue;
		size_t j = event_hash(old[i].seq, old[i].kind, old[i].detail) & (t->cap - 1);

		while (t->slots[j].kind)
			j = (j + 1) & (t->cap - 1);
		t->slots[j] = old[i];
	}
	free(old);
}

void event_table__count(struct event_table *t, int64_t seq, const char *kind, const char *detail)
{
	if ((t->n + 1) * 2 > t->cap)
		event_table_grow(t);
	size_t j = event_hash(seq, kind, detail) & (t->cap - 1);

	while (t->slots[j].kind) {
		struct event_count *e = &t->slots[j];

		if (e->seq == seq && !strcmp(e->kind, kind) && !strcmp(e->detail, detail)) {
			e->count++;
			return;
		}
		j = (j + 1) & (t->cap - 1);
	}
	t->slots[j].seq = seq;
	t->slots[j].kind = kind;
	snprintf(t->slots[j].detail, sizeof(t->slots[j].detail), "%s", detail);
	t->slots[j].count = 1;
	t->n++;
}

/* ---- instructions per marker interval and symbol ---- */

static size_t sym_hash(const char *sym)
{
	uint64_t h = (uint64_t)(uintptr_t)sym * 0x9e3779b97f4a7c15u;

	return (size_t)(h ^ h >> 29);
}

static void sym_acc_grow(struct sym_acc *a)
{
	struct sym_acc_slot *old = a->slots;
	size_t old_cap = a->cap, n = a->n;
	size_t *old_used = a->used_at;

	a->cap = old_cap ? old_cap * 2 : 64;
	a->slots = plugin_zalloc(a->cap * sizeof(*a->slots));
	a->used_at = plugin_zalloc(a->cap / 2 * sizeof(*a->used_at));
	a->n = 0;
	for (size_t k = 0; k < n; k++)
		sym_acc__add(a, old[old_used[k]].sym, old[old_used[k]].insns);
	free(old);
	free(old_used);
}

void sym_acc__add(struct sym_acc *a, const char *sym, int64_t insns)
{
	if ((a->n + 1) * 2 > a->cap)
		sym_acc_grow(a);
	size_t j = sym_hash(sym) & (a->cap - 1);

	while (a->slots[j].used) {
		if (a->slots[j].sym == sym) {
			a->slots[j].insns += insns;
			return;
		}
		j = (j + 1) & (a->cap - 1);
	}
	a->slots[j] = (struct sym_acc_slot){ .sym = sym, .insns = insns, .used = 1 };
	a->used_at[a->n++] = j;
}

void sym_acc__flush(struct sym_acc *a, int64_t seq, struct msym_list *out)
{
	for (size_t k = 0; k < a->n; k++) {
		struct sym_acc_slot *s = &a->slots[a->used_at[k]];

		if (s->insns) {
			if (out->n == out->cap) {
				size_t ncap = out->cap ? out->cap * 2 : 1024;
				struct msym_count *nv = realloc(out->v, ncap * sizeof(*nv));

				if (!nv) {
					fprintf(stderr, "emudiff plugin: out of memory\n");
					abort();
				}
				out->v = nv;
				out->cap = ncap;
			}
			out->v[out->n++] = (struct msym_count){ seq, s->sym, s->insns };
		}
		*s = (struct sym_acc_slot){ 0 };
	}
	a->n = 0;
}

void sym_acc__free(struct sym_acc *a)
{
	free(a->slots);
	free(a->used_at);
	*a = (struct sym_acc){ 0 };
}

/* ---- pages ---- */

static void page_set_grow(struct page_set *s)
{
	uint64_t *old = s->slots;
	size_t old_cap = s->cap;

	s->cap = old_cap ? old_cap * 2 : 1024;
	s->slots = plugin_zalloc(s->cap * sizeof(*s->slots));
	s->n = 0;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i])
			page_set__insert(s, old[i]);
	free(old);
}

void page_set__insert(struct page_set *s, uint64_t value)
{
	if ((s->n + 1) * 2 > s->cap)
		page_set_grow(s);
	size_t j = (size_t)((value * 0x9e3779b97f4a7c15u) >> 20) & (s->cap - 1);

	while (s->slots[j]) {
		if (s->slots[j] == value)
			return;
		j = (j + 1) & (s->cap - 1);
	}
	s->slots[j] = value;
	s->n++;
}

void page_set__clear(struct page_set *s)
{
	if (s->cap > 8192 && s->n * 8 < s->cap) {
		/* do not clear a table sized for one big region at every marker */
		free(s->slots);
		s->slots = NULL;
		s->cap = 0;
	} else if (s->n) {
		memset(s->slots, 0, s->cap * sizeof(*s->slots));
	}
	s->n = 0;
}
