/*
 * plugin_keys.h - the plugin's option keys (KEY=VALUE, README "The plugin on
 * its own") and their limits, defined once: the plugin parses by this table
 * (plugin_options.c) and `emudiff collect qemu` checks --plugin-opt by it
 * before QEMU runs. No QEMU header here, so the collector can use it too.
 */
#ifndef EMUDIFF_PLUGIN_KEYS_H
#define EMUDIFF_PLUGIN_KEYS_H

#include <stddef.h>

#define MAX_TRAPVEC 64      /* trapvec= addresses */
#define MAX_GUEST_RANGES 16 /* guest= ranges */
/* vCPU indexes the plugin counts: system mode's -smp, user mode's threads
 * running at once (QEMU reuses the index of a thread that ended) */
#define PLUGIN_MAX_VCPUS 1024

enum plugin_key_id {
	PK_OUT, PK_MODE, PK_MEM, PK_MIX, PK_SYMBOLS, PK_BLOCKS, PK_TRAPVEC, PK_GUEST,
	PK_MARKSYMS, PK_MARKSYMS_LIMIT, PK_THREADS, PK_LEAN_LIMIT, PK_COUNT,
};

enum plugin_key_kind {
	PK_PATH,   /* a file name */
	PK_MODE_V, /* default or exact */
	PK_BOOL,   /* on or off */
	PK_NUMBER, /* a count */
	PK_LIST,   /* ':'-separated addresses or ranges, checked by the plugin */
};

struct plugin_key {
	const char *name;
	enum plugin_key_kind kind;
};

extern const struct plugin_key plugin_keys[PK_COUNT];

/* The key of the first len bytes of name; PK_COUNT when unknown. */
enum plugin_key_id plugin_key__find(const char *name, size_t len);
/* The keys as "a, b, c" into buf, out= left out when !with_out. */
const char *plugin_key__list(char *buf, size_t size, int with_out);

#endif
