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

int plugin_options__parse(int argc, char **argv)
{
	size_t used = 0;

	cfg.symbols = true;
	cfg.blocks = 100;
	cfg.marksyms = true;
	cfg.marksyms_limit = MARKSYMS_LIMIT_DEFAULT;

	for (int i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (!eq) {
			fprintf(stderr, "emudiff plugin: option '%s' is not KEY=VALUE\n", argv[i]);
			return -1;
		}
		*eq = '\0';
		const char *key = argv[i], *val = eq + 1;
		int rc = 0;

		if (!strcmp(key, "out")) {
			free(cfg.out_path);
			cfg.out_path = strdup(val);
		} else if (!strcmp(key, "mode")) {
			if (!strcmp(val, "exact"))
				cfg.exact = true;
			else if (!strcmp(val, "default"))
				cfg.exact = false;
			else {
				fprintf(stderr, "emudiff plugin: mode=%s: expected default or exact\n", val);
				rc = -1;
			}
		} else if (!strcmp(key, "mem")) {
			rc = parse_bool(key, val, &cfg.mem);
		} else if (!strcmp(key, "mix")) {
			rc = parse_bool(key, val, &cfg.mix);
		} else if (!strcmp(key, "symbols")) {
			rc = parse_bool(key, val, &cfg.symbols);
		} else if (!strcmp(key, "blocks")) {
			char *end;

			errno = 0;
			cfg.blocks = strtoul(val, &end, 10);
			if (errno || end == val || *end) {
				fprintf(stderr, "emudiff plugin: blocks=%s: expected a count\n", val);
				rc = -1;
			}
		} else if (!strcmp(key, "trapvec")) {
			rc = parse_trapvec(val);
		} else if (!strcmp(key, "guest")) {
			rc = parse_guest(val);
		} else if (!strcmp(key, "marksyms")) {
			rc = parse_bool(key, val, &cfg.marksyms);
		} else if (!strcmp(key, "marksyms_limit")) {
			char *end;

			errno = 0;
			cfg.marksyms_limit = strtoull(val, &end, 10);
			if (errno || end == val || *end || val[0] == '-') {
				fprintf(stderr, "emudiff plugin: marksyms_limit=%s: expected a count\n", val);
				rc = -1;
			}
		} else {
			fprintf(stderr,
				"emudiff plugin: unknown option '%s' (out, mode, mem, mix, symbols, blocks, trapvec, "
				"guest, marksyms, marksyms_limit)\n",
				key);
			rc = -1;
		}
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
