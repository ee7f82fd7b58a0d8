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

static size_t msym_hash(int64_t seq, const char *sym)
{
	uint64_t h = (uint64_t)seq * 0x9e3779b97f4a7c15u ^ (uint64_t)(uintptr_t)sym * 0xc2b2ae3d27d4eb4fu;

	return (size_t)(h ^ h >> 29);
}

static void msym_table_grow(struct msym_table *t)
{
	struct msym_count *old = t->slots;
	size_t old_cap = t->cap;

	t->cap = old_cap ? old_cap * 2 : 256;
	t->slots = plugin_zalloc(t->cap * sizeof(*t->slots));
	for (size_t i = 0; i < old_cap; i++) {
		if (!old[i].used)
			continue;
		size_t j = msym_hash(old[i].seq, old[i].sym) & (t->cap - 1);

		while (t->slots[j].used)
			j = (j + 1) & (t->cap - 1);
		t->slots[j] = old[i];
	}
	free(old);
}

void msym_table__add(struct msym_table *t, int64_t seq, const char *sym, int64_t insns)
{
	if ((t->n + 1) * 2 > t->cap)
		msym_table_grow(t);
	size_t j = msym_hash(seq, sym) & (t->cap - 1);

	while (t->slots[j].used) {
		if (t->slots[j].seq == seq && t->slots[j].sym == sym) {
			t->slots[j].insns += insns;
			return;
		}
		j = (j + 1) & (t->cap - 1);
	}
	t->slots[j] = (struct msym_count){ .seq = seq, .sym = sym, .insns = insns, .used = 1 };
	t->n++;
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
