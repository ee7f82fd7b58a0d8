/*
 * put.h - console text of the bare-metal payloads, through the program's
 * emudiff_putchar() (the console mark.h's freestanding markers print on).
 */
#ifndef BAREMETAL_PUT_H
#define BAREMETAL_PUT_H

#include <stdint.h>

void emudiff_putchar(int c);

static inline void put_str(const char *s)
{
	while (*s)
		emudiff_putchar(*s++);
}

static inline void put_u64(uint64_t v)
{
	char digits[21];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		emudiff_putchar(digits[--n]);
}

/* " key=value" */
static inline void put_kv(const char *key, uint64_t v)
{
	put_str(" ");
	put_str(key);
	put_str("=");
	put_u64(v);
}

#endif
