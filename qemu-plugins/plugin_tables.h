/*
 * plugin_tables.h - private to the plugin: the two hash tables it fills at
 * run time, an event counter keyed by (marker seq, kind, detail) and a set of
 * page numbers. Callers hold the plugin's lock. Out of memory aborts QEMU
 * with a message (a plugin has no way to fail a guest instruction).
 */
#ifndef EMUDIFF_PLUGIN_TABLES_H
#define EMUDIFF_PLUGIN_TABLES_H

#include <stdbool.h>
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

/* An append-only array in fixed blocks (up to 2 MiB): elements never move,
 * and growing it neither copies nor touches memory ahead of use (huge
 * pages were tried: zeroing them cost more than the 4 KiB faults). */
struct chunked {
	char **blocks;
	size_t n, n_blocks, cap_blocks, elem;
	unsigned int shift; /* elements per block: 1 << shift */
};

void chunked__init(struct chunked *c, size_t elem);
/* A zeroed element appended at index n. */
void *chunked__push(struct chunked *c);
/* The same, not zeroed (the caller sets every field). */
void *chunked__push_raw(struct chunked *c);
static inline void *chunked__at(const struct chunked *c, size_t i)
{
	return c->blocks[i >> c->shift] + (i & (((size_t)1 << c->shift) - 1)) * c->elem;
}
/* Forget the elements from n on (their blocks are kept, and zeroed again when reused). */
void chunked__truncate(struct chunked *c, size_t n);
void chunked__free(struct chunked *c);

/* Instructions of one symbol in a marker interval: sym is QEMU's stable
 * symbol string or NULL (no symbol). */
struct msym_entry {
	const char *sym;
	int64_t insns;
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
/* Append the non-zero counts to out (struct msym_entry) in the order of
 * their names as written, one entry per name, and empty the accumulator;
 * returns how many were appended. */
uint32_t sym_acc__flush(struct sym_acc *a, struct chunked *out);
void sym_acc__free(struct sym_acc *a);

/* A file written through one big buffer, without stdio's per-call locking
 * (a marker-heavy run writes a line per hit); lines counts the lines. */
struct outbuf {
	int fd;
	bool err;
	char *buf;
	size_t n, cap;
	unsigned long lines;
};

/* Open path for writing (0, or -1 with errno). */
int outbuf__open(struct outbuf *o, const char *path);
/* Room for len more bytes at the returned pointer; outbuf__put after writing them. */
char *outbuf__room(struct outbuf *o, size_t len);
static inline void outbuf__put(struct outbuf *o, const char *end)
{
	o->n = (size_t)(end - o->buf);
}
/* One formatted line (fmt ends with a newline). */
void outbuf__line(struct outbuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Write out and close: 0, or -1 when any write failed. */
int outbuf__close(struct outbuf *o);

/* calloc that aborts with a message instead of returning NULL. */
void *plugin_zalloc(size_t n);

#endif
