/*
 * plugin_tables.h - private to the plugin: the two hash tables it fills at
 * run time, an event counter keyed by (marker seq, kind, detail) and a set of
 * page numbers. Callers hold the plugin's lock. Out of memory aborts QEMU
 * with a message (a plugin has no way to fail a guest instruction).
 */
#ifndef EMUDIFF_PLUGIN_TABLES_H
#define EMUDIFF_PLUGIN_TABLES_H

#include <stddef.h>
#include <stdint.h>

struct event_count {
	int64_t seq;       /* last marker hit before the events, -1 before the first */
	const char *kind;  /* static string; NULL marks an empty slot */
	char detail[32];
	uint64_t count;
};

/* Open addressing, power-of-two capacity; iterate slots[0..cap) skipping kind == NULL. */
struct event_table {
	struct event_count *slots;
	size_t n, cap;
};

void event_table__count(struct event_table *t, int64_t seq, const char *kind, const char *detail);

/* Distinct non-zero 64-bit values (page numbers + 1). */
struct page_set {
	uint64_t *slots; /* 0 = empty */
	size_t n, cap;
};

void page_set__insert(struct page_set *s, uint64_t value);
/* Empty the set; a table that once grew big for a big region is given back. */
void page_set__clear(struct page_set *s);

/* Instructions per (marker interval, symbol): seq is the marker hit that
 * opens the interval (-1 before the first), sym QEMU's stable symbol string
 * or NULL; a value may go down as well as up (a marker's pending tail). */
struct msym_count {
	int64_t seq;
	const char *sym;
	int64_t insns;
	int used;
};

struct msym_table {
	struct msym_count *slots;
	size_t n, cap;
};

void msym_table__add(struct msym_table *t, int64_t seq, const char *sym, int64_t insns);

/* calloc that aborts with a message instead of returning NULL. */
void *plugin_zalloc(size_t n);

#endif
