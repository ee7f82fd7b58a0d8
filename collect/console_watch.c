/*
 * console_watch.c - a string watched for on a guest console as the bytes
 * arrive (collect qemu --system, collect hw-kvm): --until-console stops the
 * run there, --boot-console times the boot, --ready-console lets a driver
 * start. The string may be split across reads, so the last strlen(needle)
 * bytes are kept between them.
 */
#include "collect.h"

#include <stdlib.h>
#include <string.h>

void console_watch__init(struct console_watch *w, const char *needle)
{
	memset(w, 0, sizeof(*w));
	w->needle = needle && *needle ? needle : NULL;
	w->at_ns = -1;
	if (w->needle)
		w->window = xmalloc(strlen(w->needle) + 1);
}

int console_watch__feed(struct console_watch *w, const char *buf, size_t n, int64_t now)
{
	size_t nl;

	if (!w->needle || w->seen)
		return 0;
	nl = strlen(w->needle);
	for (size_t i = 0; i < n; i++) {
		if (w->wlen == nl) {
			memmove(w->window, w->window + 1, nl - 1);
			w->wlen--;
		}
		w->window[w->wlen++] = buf[i];
		if (w->wlen == nl && !memcmp(w->window, w->needle, nl)) {
			w->seen = 1;
			w->at_ns = now;
			return 1;
		}
	}
	return 0;
}

void console_watch__free(struct console_watch *w)
{
	free(w->window);
	w->window = NULL;
}
