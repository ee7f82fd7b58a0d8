/*
 * phase_zip.c - compression: a greedy LZ77 coder (4-byte hash, one candidate)
 * over generated text, then decompression and a byte-for-byte check. The
 * format is private to this workload: a token byte holds the literal count
 * (high nibble) and match length - 4 (low nibble), 15 meaning "more bytes
 * follow", then the literals, then a 16-bit little-endian offset.
 */
#include "synth.h"

#include <stdlib.h>
#include <string.h>

enum { ZIP_HASH_BITS = 14, ZIP_MIN = 4, ZIP_WINDOW = 65535 };

static uint8_t *put_len(uint8_t *o, size_t n)
{
	for (; n >= 255; n -= 255)
		*o++ = 255;
	*o++ = (uint8_t)n;
	return o;
}

static size_t zip_compress(const uint8_t *in, size_t n, uint8_t *out)
{
	uint32_t *table = calloc((size_t)1 << ZIP_HASH_BITS, sizeof(*table));
	size_t i = 0, lit = 0;
	uint8_t *o = out;

	if (!table)
		return 0;
	while (i + ZIP_MIN <= n) {
		uint32_t w, cand_w;
		memcpy(&w, in + i, 4);
		uint32_t h = (w * 2654435761u) >> (32 - ZIP_HASH_BITS);
		size_t cand = table[h];
		table[h] = (uint32_t)i;
		if (cand < i && i - cand <= ZIP_WINDOW && (memcpy(&cand_w, in + cand, 4), cand_w == w)) {
			size_t len = ZIP_MIN;
			while (i + len < n && in[cand + len] == in[i + len])
				len++;
			uint8_t *tok = o++;
			*tok = (uint8_t)((lit < 15 ? lit : 15) << 4 | (len - ZIP_MIN < 15 ? len - ZIP_MIN : 15));
			if (lit >= 15)
				o = put_len(o, lit - 15);
			memcpy(o, in + i - lit, lit);
			o += lit;
			*o++ = (uint8_t)(i - cand);
			*o++ = (uint8_t)((i - cand) >> 8);
			if (len - ZIP_MIN >= 15)
				o = put_len(o, len - ZIP_MIN - 15);
			i += len;
			lit = 0;
		} else {
			i++;
			lit++;
		}
	}
	lit += n - i;
	/* final literal-only token, match length field 0 and no offset */
	*o++ = (uint8_t)((lit < 15 ? lit : 15) << 4);
	if (lit >= 15)
		o = put_len(o, lit - 15);
	memcpy(o, in + n - lit, lit);
	o += lit;
	free(table);
	return (size_t)(o - out);
}

static size_t get_len(const uint8_t **p, const uint8_t *end, size_t base)
{
	if (base != 15)
		return base;
	while (*p < end) {
		uint8_t b = *(*p)++;
		base += b;
		if (b != 255)
			break;
	}
	return base;
}

static size_t zip_decompress(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	const uint8_t *p = in, *end = in + n;
	size_t o = 0;

	while (p < end) {
		uint8_t tok = *p++;
		size_t lit = get_len(&p, end, tok >> 4);
		if (lit > (size_t)(end - p) || o + lit > cap)
			return 0;
		memcpy(out + o, p, lit);
		p += lit;
		o += lit;
		if (p == end)
			break; /* the final token has no match */
		if (end - p < 2)
			return 0;
		size_t off = p[0] | (size_t)p[1] << 8;
		p += 2;
		size_t len = get_len(&p, end, tok & 15) + ZIP_MIN;
		if (!off || off > o || o + len > cap)
			return 0;
		for (size_t k = 0; k < len; k++, o++)
			out[o] = out[o - off];
	}
	return o;
}

uint64_t phase_compress(const struct synth_sizes *z)
{
	static const char *const words[] = { "the ", "emulator ", "counts ", "instructions ",
		"while ", "hardware ", "waits ", "for ", "memory ", "and ", "a ", "region ",
		"of ", "code ", "costs ", "cycles, ", "not ", "branches. ", "QEMU ", "RISC-V " };
	size_t n = (size_t)z->zip_kib * 1024, fill = 0;
	uint8_t *in = malloc(n + 16), *packed = malloc(n + n / 8 + 64), *back = malloc(n + 16);
	uint64_t s = z->seed | 1, result = SYNTH_FAILED;

	if (!in || !packed || !back)
		goto out;
	while (fill < n) {
		const char *w = words[synth_rand(&s) % (sizeof(words) / sizeof(words[0]))];
		size_t l = strlen(w);
		if (l > n - fill)
			l = n - fill;
		memcpy(in + fill, w, l);
		fill += l;
	}
	size_t psize = zip_compress(in, n, packed);
	if (!psize && n)
		goto out;
	if (zip_decompress(packed, psize, back, n + 16) != n || memcmp(in, back, n))
		goto out;
	result = psize;
out:
	free(in);
	free(packed);
	free(back);
	return result;
}
