/*
 * console_lat.c - `@emudiff lat <name> ticks=<n>` lines: one latency event
 * (e.g. timer deadline to handler entry) in ticks of the time counter,
 * printed by a freestanding payload. The event belongs to the marker region
 * the line appears in (console_lat.after: the marks before it).
 */
#include "hw.h"
#include "common.h"

#include <string.h>

int console_lat__parse(char *rest, struct console_lat *l, const char **why)
{
	char *save = NULL, *name = strtok_r(rest, " \t", &save), *tok, *extra;
	size_t len = name ? strlen(name) : 0;

	if (!name || len >= sizeof(l->name) || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != len) {
		*why = "latency name is not 1-39 characters of [a-z0-9_]";
		return -1;
	}
	memcpy(l->name, name, len + 1);
	tok = strtok_r(NULL, " \t", &save);
	if (!tok || strncmp(tok, "ticks=", 6)) {
		*why = "expected ticks=<n> after the name";
		return -1;
	}
	if (!tok[6] || tok[6] == '-' || tok[6] == '+' || parse_u64(tok + 6, &l->ticks)) {
		*why = "ticks is not an unsigned number";
		return -1;
	}
	extra = strtok_r(NULL, " \t", &save);
	if (extra) {
		*why = "unexpected text after ticks=<n>";
		return -1;
	}
	return 0;
}
