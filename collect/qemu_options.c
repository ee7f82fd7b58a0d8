/*
 * qemu_options.c - the plugin's options as `emudiff collect qemu` forwards
 * them: --plugin-opt words checked by the plugin's own key table
 * (plugin_keys.h) before QEMU runs, and --trapvec/--guest resolved from the
 * guest ELF's symbols into the plugin's trapvec= and guest= lists.
 */
#include "collect.h"

#include "align.h"
#include "plugin_keys.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Symbols taken as trap vectors when the guest ELF has them (README). */
static const char *const trap_vector_symbols[] = {
	"trap_vector", "trap_entry", "trap_handler", "stvec_handler", "mtvec_handler",
	"_trap_handler", "__alltraps", "handle_exception", "_start_trap", "strap_entry",
};

const char *qemu_plugin_opt__check(const char *kv)
{
	static char unknown[200];
	const char *v = strchr(kv, '=') + 1;
	int64_t n;

	switch (plugin_key__find(kv, (size_t)(v - 1 - kv))) {
	case PK_MODE:
		return strcmp(v, "default") && strcmp(v, "exact") ? "expected default or exact" : NULL;
	case PK_MEM: case PK_MIX: case PK_SYMBOLS: case PK_MARKSYMS: case PK_THREADS:
		return strcmp(v, "on") && strcmp(v, "off") ? "expected on or off" : NULL;
	case PK_BLOCKS: case PK_MARKSYMS_LIMIT:
		return parse_i64(v, &n) || n < 0 ? "expected a count" : NULL;
	case PK_TRAPVEC: case PK_GUEST:
		return NULL; /* the plugin checks the addresses */
	case PK_OUT:
		return "out= is chosen by the collector";
	default: {
		char names[160];

		snprintf(unknown, sizeof(unknown), "unknown plugin option (%s)",
			 plugin_key__list(names, sizeof(names), 0));
		return unknown;
	}
	}
}

/* Append to a malloc'd string. */
EMUDIFF_PRINTF(2, 3) static void append(char **s, const char *fmt, ...)
{
	va_list ap;
	char *more, *both;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	more = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(more, (size_t)n + 1, fmt, ap);
	va_end(ap);
	both = xasprintf("%s%s", *s, more);
	free(more);
	free(*s);
	*s = both;
}

static const struct sym *sym_named(const struct symtab *t, const char *name)
{
	const struct sym *found = NULL;

	for (size_t k = 0; t && k < symtab__count(t); k++)
		if (!strcmp(symtab__at(t, k)->name, name))
			found = symtab__at(t, k);
	return found;
}

/* An address or a symbol of the --elf file (len bytes of s); opt names the option. */
static int resolve_addr(const char *opt, const char *s, size_t len, const struct symtab *t,
			uint64_t *a)
{
	char *word = xasprintf("%.*s", (int)len, s), *end;
	const struct sym *found;

	errno = 0;
	*a = strtoull(word, &end, 0);
	if (!errno && end != word && !*end) {
		free(word);
		return 0;
	}
	found = sym_named(t, word);
	if (!found) {
		error("%s %s: no such symbol%s", opt, word,
		      t ? " in the --elf file" : " (give --elf, or an address)");
		free(word);
		return -1;
	}
	*a = found->addr;
	free(word);
	return 0;
}

/* --trapvec words, else the well-known vector symbols, as ADDR[@tag]:... */
static int resolve_trapvecs(const struct qemu_plugin_words *w, const struct symtab *t, char **list)
{
	int n = 0;

	for (int i = 0; i < w->n_trapvec; i++) {
		const char *v = w->trapvec[i], *at = strchr(v, '@');
		uint64_t a;

		if (at && strcmp(at, "@hs") && strcmp(at, "@vs"))
			return error("--trapvec %s: '%s': expected @hs or @vs", v, at);
		if (resolve_addr("--trapvec", v, at ? (size_t)(at - v) : strlen(v), t, &a))
			return -1;
		append(list, "%s0x%llx%s", n++ ? ":" : "", (unsigned long long)a, at ? at : "");
	}
	if (w->n_trapvec || !t)
		return 0;
	for (size_t k = 0; k < symtab__count(t); k++)
		for (size_t j = 0; j < sizeof(trap_vector_symbols) / sizeof(*trap_vector_symbols); j++)
			if (!strcmp(symtab__at(t, k)->name, trap_vector_symbols[j]) && n < MAX_TRAPVEC)
				append(list, "%s0x%llx", n++ ? ":" : "",
				       (unsigned long long)symtab__at(t, k)->addr);
	return 0;
}

/* One --guest word: LO-HI (addresses or symbols) or a function symbol's extent. */
static int resolve_range(const char *v, const struct symtab *t, uint64_t *lo, uint64_t *hi)
{
	const char *dash = strchr(v, '-');

	*lo = *hi = 0;
	if (!dash) {
		const struct sym *s = sym_named(t, v);

		if (!s)
			return error("--guest %s: no such symbol%s", v,
				     t ? " in the --elf file" : " (give --elf, or LO-HI)");
		*lo = s->addr;
		*hi = s->addr + s->size;
	} else if (dash == v || !dash[1]) {
		return error("--guest %s: expected LO-HI or SYMBOL", v);
	} else if (resolve_addr("--guest", v, (size_t)(dash - v), t, lo) ||
		   resolve_addr("--guest", dash + 1, strlen(dash + 1), t, hi)) {
		return -1;
	}
	if (*hi <= *lo)
		return error("--guest %s: empty range (0x%llx-0x%llx)", v, (unsigned long long)*lo,
			     (unsigned long long)*hi);
	return 0;
}

/* --guest words as LO-HI:LO-HI... */
static int resolve_guest(const struct qemu_plugin_words *w, const struct symtab *t, char **list)
{
	for (int i = 0; i < w->n_guest; i++) {
		uint64_t lo, hi;

		if (resolve_range(w->guest[i], t, &lo, &hi))
			return -1;
		append(list, "%s0x%llx-0x%llx", i ? ":" : "", (unsigned long long)lo,
		       (unsigned long long)hi);
	}
	return 0;
}

char *qemu_plugin_opts__build(const struct qemu_plugin_words *w, int system, const struct symtab *t)
{
	char *opts = xstrdup(""), *trapvec = xstrdup(""), *guest = xstrdup("");
	int rc = 0;

	int threads_given = 0;

	for (int i = 0; i < w->n_opts; i++) {
		append(&opts, "%s%s", i ? "," : "", w->opts[i]);
		threads_given |= !strncmp(w->opts[i], "threads=", 8);
	}
	if (w->threads && !threads_given)
		append(&opts, "%sthreads=on", *opts ? "," : "");
	if (system) {
		rc = resolve_trapvecs(w, t, &trapvec) || resolve_guest(w, t, &guest);
		if (!rc && *trapvec)
			append(&opts, "%strapvec=%s", *opts ? "," : "", trapvec);
		if (!rc && *guest)
			append(&opts, "%sguest=%s", *opts ? "," : "", guest);
	}
	free(trapvec);
	free(guest);
	if (rc) {
		free(opts);
		return NULL;
	}
	return opts;
}
