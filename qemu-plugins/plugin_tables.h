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
 * or NULL (no symbol). */
struct msym_count {
	int64_t seq;
	const char *sym;
	int64_t insns;
};

/* The closed intervals' counts, appended in seq order. */
struct msym_list {
	struct msym_count *v;
	size_t n, cap;
};

/* One open interval's instructions by symbol string; an amount may be
 * negative (a marker's tail moved to the next interval). */
struct sym_acc {
	struct sym_acc_slot {
		const char *sym;
		int64_t insns;
		int used;
	} *slots;
	size_t *used_at; /* slots in use, for emptying without a full sweep */
	size_t n, cap;
};

void sym_acc__add(struct sym_acc *a, const char *sym, int64_t insns);
/* Append the non-zero counts to out under seq, and empty the accumulator. */
void sym_acc__flush(struct sym_acc *a, int64_t seq, struct msym_list *out);
void sym_acc__free(struct sym_acc *a);

/* calloc that aborts with a message instead of returning NULL. */
void *plugin_zalloc(size_t n);

#endif
