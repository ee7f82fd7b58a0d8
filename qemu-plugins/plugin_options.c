/*
 * plugin_options.c - the plugin's KEY=VALUE options: checked one by one, each
 * refused with a message naming it, and echoed into the output header.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

#include "plugin_options.h"

/* about 1 s of CPU for the marksyms walk before it stops (README) */
#define MARKSYMS_LIMIT_DEFAULT 1000000000ULL
/* about 1 ms of marker-hit sums before the per-vCPU instruction counter (docs/plugin.md) */
#define LEAN_LIMIT_DEFAULT 1048576ULL

struct plugin_config cfg;

static int parse_trapvec(const char *v)
{
	char *dup = strdup(v), *save = NULL;

	if (!dup)
		return -1;
	for (char *tok = strtok_r(dup, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		char *end, *at = strchr(tok, '@');
		uint64_t a;

		if (at)
			*at++ = '\0';
		if (at && strcmp(at, "hs") && strcmp(at, "vs")) {
			fprintf(stderr, "emudiff plugin: trapvec=%s: '@%s': expected @hs or @vs\n", v, at);
			free(dup);
			return -1;
		}
		errno = 0;
		a = strtoull(tok, &end, 0);
		if (errno || end == tok || *end) {
			fprintf(stderr,
				"emudiff plugin: trapvec=%s: '%s' is not an address (symbols are "
				"resolved by 'emudiff collect qemu --trapvec')\n", v, tok);
			free(dup);
			return -1;
		}
		if (cfg.n_trapvec == MAX_TRAPVEC) {
			fprintf(stderr, "emudiff plugin: more than %d trap vectors\n", MAX_TRAPVEC);
			free(dup);
			return -1;
		}
		snprintf(cfg.trapvec_tag[cfg.n_trapvec], sizeof(cfg.trapvec_tag[0]), "%s", at ? at : "");
		cfg.trapvec[cfg.n_trapvec++] = a;
	}
	free(dup);
	return 0;
}

/* guest=LO-HI[:LO-HI...]: the guest's code, half-open [LO, HI) */
static int parse_guest(const char *v)
{
	char *dup = strdup(v), *save = NULL;

	if (!dup)
		return -1;
	for (char *tok = strtok_r(dup, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		char *end = NULL, *end2 = NULL;
		uint64_t lo, hi = 0;

		errno = 0;
		lo = strtoull(tok, &end, 0);
		if (!errno && end != tok && *end == '-')
			hi = strtoull(end + 1, &end2, 0);
		if (errno || end == tok || *end != '-' || end2 == end + 1 || *end2 || hi <= lo) {
			fprintf(stderr, "emudiff plugin: guest=%s: '%s' is not a range LO-HI (LO < HI)\n",
				v, tok);
			free(dup);
			return -1;
		}
		if (cfg.n_guest == MAX_GUEST_RANGES) {
			fprintf(stderr, "emudiff plugin: more than %d guest ranges\n", MAX_GUEST_RANGES);
			free(dup);
			return -1;
		}
		cfg.guest_lo[cfg.n_guest] = lo;
		cfg.guest_hi[cfg.n_guest++] = hi;
	}
	free(dup);
	return 0;
}

static int parse_bool(const char *key, const char *val, bool *out)
{
	if (!qemu_plugin_bool_parse(key, val, out)) {
		fprintf(stderr, "emudiff plugin: %s=%s: expected on or off\n", key, val);
		return -1;
	}
	return 0;
}

/* A count: blocks= takes what strtoul takes, marksyms_limit= no sign. */
static int parse_count(const char *key, const char *val, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(val, &end, 10);
	if (errno || end == val || *end || (strcmp(key, "blocks") && val[0] == '-')) {
		fprintf(stderr, "emudiff plugin: %s=%s: expected a count\n", key, val);
		return -1;
	}
	return 0;
}

/* Apply one option; 0, or -1 with a message naming it. */
static int apply(enum plugin_key_id k, const char *key, const char *val)
{
	unsigned long long n;
	char names[160];

	switch (k) {
	case PK_OUT:
		free(cfg.out_path);
		cfg.out_path = strdup(val);
		return 0;
	case PK_MODE:
		if (strcmp(val, "exact") && strcmp(val, "default")) {
			fprintf(stderr, "emudiff plugin: mode=%s: expected default or exact\n", val);
			return -1;
		}
		cfg.exact = !strcmp(val, "exact");
		return 0;
	case PK_MEM: return parse_bool(key, val, &cfg.mem);
	case PK_MIX: return parse_bool(key, val, &cfg.mix);
	case PK_SYMBOLS: return parse_bool(key, val, &cfg.symbols);
	case PK_MARKSYMS: return parse_bool(key, val, &cfg.marksyms);
	case PK_THREADS: return parse_bool(key, val, &cfg.threads);
	case PK_BLOCKS:
		if (parse_count(key, val, &n))
			return -1;
		cfg.blocks = (unsigned long)n;
		return 0;
	case PK_MARKSYMS_LIMIT: return parse_count(key, val, &cfg.marksyms_limit);
	case PK_LEAN_LIMIT: return parse_count(key, val, &cfg.lean_limit);
	case PK_TRAPVEC: return parse_trapvec(val);
	case PK_GUEST: return parse_guest(val);
	default:
		fprintf(stderr, "emudiff plugin: unknown option '%s' (%s)\n", key,
			plugin_key__list(names, sizeof(names), 1));
		return -1;
	}
}

int plugin_options__parse(int argc, char **argv)
{
	size_t used = 0;

	cfg.symbols = true;
	cfg.blocks = 100;
	cfg.marksyms = true;
	cfg.marksyms_limit = MARKSYMS_LIMIT_DEFAULT;
	cfg.lean_limit = LEAN_LIMIT_DEFAULT;

	for (int i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (!eq) {
			fprintf(stderr, "emudiff plugin: option '%s' is not KEY=VALUE\n", argv[i]);
			return -1;
		}
		*eq = '\0';
		const char *key = argv[i], *val = eq + 1;
		int rc = apply(plugin_key__find(key, strlen(key)), key, val);

		if (!rc && used < sizeof(cfg.options))
			used += (size_t)snprintf(cfg.options + used, sizeof(cfg.options) - used, "%s%s=%s",
					 used ? " " : "", key, val);
		*eq = '=';
		if (rc)
			return -1;
	}
	if (!used)
		snprintf(cfg.options, sizeof(cfg.options), "-");
	/* without symbols every interval would be one [unknown] */
	if (!cfg.symbols)
		cfg.marksyms = false;
	return 0;
}
