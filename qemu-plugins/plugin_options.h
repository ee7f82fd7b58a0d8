/*
 * plugin_options.h - the plugin's options (KEY=VALUE, README "The plugin on
 * its own"), parsed once when QEMU installs the plugin.
 */
#ifndef EMUDIFF_PLUGIN_OPTIONS_H
#define EMUDIFF_PLUGIN_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_insn.h"
#include "plugin_keys.h"

struct plugin_config {
	enum guest_arch arch;
	bool system, exact, mem, mix, symbols, marksyms;
	bool threads; /* API 1, user mode: count threads exactly (callback mode) */
	unsigned long blocks; /* hottest translation blocks to write */
	unsigned long long marksyms_limit; /* segment visits of the marksyms walk */
	unsigned long long lean_limit; /* segment visits of hit sums before the second add */
	char *out_path;
	uint64_t trapvec[MAX_TRAPVEC];
	char trapvec_tag[MAX_TRAPVEC][3]; /* "hs", "vs" or "" (untagged) */
	size_t n_trapvec;
	uint64_t guest_lo[MAX_GUEST_RANGES], guest_hi[MAX_GUEST_RANGES]; /* [lo, hi) */
	size_t n_guest;
	char options[1024]; /* the options as applied, for the output header */
};

/* The options in force; arch and system are filled in from QEMU's info. */
extern struct plugin_config cfg;

/* Defaults, then argv's KEY=VALUE options; 0, or -1 with a message on stderr. */
int plugin_options__parse(int argc, char **argv);

#endif
