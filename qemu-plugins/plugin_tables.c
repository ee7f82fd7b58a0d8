/* plugin_tables.c - the plugin's event counter and page set (plugin_tables.h). */
#include "plugin_tables.h"
#include "msym_order.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *plugin_zalloc(size_t n)
{
	void *p = calloc(1, n);

	if (!p) {
		fprintf(stderr, "emudiff plugin: out of memory\n");
		abort();
	}
	return p;
}

/* ---- the output buffer ---- */

int outbuf__open(struct outbuf *o, const char *path)
{
	*o = (struct outbuf){ .cap = 1 << 20 };
	o->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (o->fd < 0)
		return -1;
	o->buf = plugin_zalloc(o->cap);
	return 0;
}

static void outbuf_flush(struct outbuf *o)
{
	for (size_t done = 0; done < o->n && !o->err;) {
		ssize_t w = write(o->fd, o->buf + done, o->n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			o->err = true;
		else
			done += (size_t)w;
	}
	o->n = 0;
}

char *outbuf__room(struct outbuf *o, size_t len)
{
	if (o->cap - o->n < len) {
		outbuf_flush(o);
		if (o->cap < len) {
			free(o->buf);
			o->cap = len;
			o->buf = plugin_zalloc(o->cap);
		}
	}
	return o->buf + o->n;
}

void outbuf__line(struct outbuf *o, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0) {
		o->err = true;
		return;
	}
	char *p = outbuf__room(o, (size_t)len + 1);

	va_start(ap, fmt);
	vsnprintf(p, (size_t)len + 1, fmt, ap);
	va_end(ap);
	o->n += (size_t)len;
	o->lines++;
}

int outbuf__close(struct outbuf *o)
{
	outbuf_flush(o);
	if (close(o->fd))
		o->err = true;
	free(o->buf);
	o->buf = NULL;
	return o->err ? -1 : 0;
}

/* ---- append-only blocks ---- */

#define BLOCK_BYTES (2u << 20)

void chunked__init(struct chunked *c, size_t elem)
{
	*c = (struct chunked){ .elem = elem, .shift = 8 };
	while (elem << (c->shift + 1) <= BLOCK_BYTES)
		c->shift++;
}

void *chunked__push(struct chunked *c)
{
	size_t b = c->n >> c->shift;
	void *e;

	if (b == c->n_blocks) {
		if (c->n_blocks == c->cap_blocks) {
			size_t cap = c->cap_blocks ? c->cap_blocks * 2 : 16;
			char **nb = realloc(c->blocks, cap * sizeof(*nb));

			if (!nb) {
				fprintf(stderr, "emudiff plugin: out of memory\n");
				abort();
			}
			c->blocks = nb;
			c->cap_blocks = cap;
		}
		/* not zeroed: the pages are touched as they fill */
		c->blocks[c->n_blocks] = malloc(c->elem << c->shift);
		if (!c->blocks[c->n_blocks]) {
			fprintf(stderr, "emudiff plugin: out of memory\n");
			abort();
		}
		c->n_blocks++;
	}
	e = chunked__at(c, c->n++);
	memset(e, 0, c->elem);
	return e;
}

void *chunked__push_raw(struct chunked *c)
{
	if (c->n >> c->shift < c->n_blocks)
		return chunked__at(c, c->n++);
	return chunked__push(c);
}

void chunked__truncate(struct chunked *c, size_t n)
{
	if (n < c->n)
		c->n = n;
}

void chunked__free(struct chunked *c)
{
	for (size_t b = 0; b < c->n_blocks; b++)
		free(c->blocks[b]);
	free(c->blocks);
	chunked__init(c, c->elem);
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

/* by name as written (msym_order.h) */
static int cmp_entry(const void *a, const void *b)
{
	return msym__name_cmp(((const struct msym_entry *)a)->sym, ((const struct msym_entry *)b)->sym);
}

uint32_t sym_acc__flush(struct sym_acc *a, struct chunked *out)
{
	struct msym_entry one[8], *t = a->n <= 8 ? one : plugin_zalloc(a->n * sizeof(*t));
	size_t nt = 0;
	uint32_t appended = 0;

	for (size_t k = 0; k < a->n; k++) {
		struct sym_acc_slot *s = &a->slots[a->used_at[k]];

		if (s->insns)
			t[nt++] = (struct msym_entry){ s->sym, s->insns };
		*s = (struct sym_acc_slot){ 0 };
	}
	a->n = 0;
	if (nt > 8) {
		qsort(t, nt, sizeof(*t), cmp_entry);
	} else {
		for (size_t i = 1; i < nt; i++) /* few: insertion */
			for (size_t j = i; j > 0 && cmp_entry(&t[j - 1], &t[j]) > 0; j--) {
				struct msym_entry x = t[j];

				t[j] = t[j - 1];
				t[j - 1] = x;
			}
	}
	for (size_t i = 0; i < nt;) {
		size_t j = i + 1;
		int64_t insns = t[i].insns;

		/* two symbol strings of one name are one symbol */
		while (j < nt && !cmp_entry(&t[i], &t[j]))
			insns += t[j++].insns;
		if (insns) {
			*(struct msym_entry *)chunked__push(out) = (struct msym_entry){ t[i].sym, insns };
			appended++;
		}
		i = j;
	}
	if (t != one)
		free(t);
	return appended;
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
