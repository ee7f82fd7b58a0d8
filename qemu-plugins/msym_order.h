/*
 * msym_order.h - the one definition of the order and the spelling of symbol
 * names in the plugin's output (qemu_output.h): the plugin sorts and writes
 * its symbol and msym lines with it, and the reader checks the msym lines
 * against it. Names are compared as they are written ("[unknown]" for code
 * outside any symbol), byte by byte as unsigned char (strcmp's order), so a
 * name starting with a capital letter, a digit or any byte below '[' sorts
 * the same on both sides. Header-only and free of dependencies: the plugin
 * and the reader both compile it.
 */
#ifndef EMUDIFF_MSYM_ORDER_H
#define EMUDIFF_MSYM_ORDER_H

#include <stdint.h>
#include <string.h>

#define MSYM_UNKNOWN "[unknown]"

/* The name as written: code outside any (or a nameless) symbol is "[unknown]". */
static inline const char *msym__name(const char *sym)
{
	return sym && *sym ? sym : MSYM_UNKNOWN;
}

/* Order of two names as written (< 0, 0, > 0). */
static inline int msym__name_cmp(const char *a, const char *b)
{
	return a == b ? 0 : strcmp(msym__name(a), msym__name(b));
}

/* Order of msym lines: by interval, then name. */
static inline int msym__cmp(int64_t seq_a, const char *a, int64_t seq_b, const char *b)
{
	if (seq_a != seq_b)
		return seq_a < seq_b ? -1 : 1;
	return msym__name_cmp(a, b);
}

#endif
