/*
 * cmd_cflags.c - "emudiff cflags": the flags a workload needs to use
 * <emudiff/mark.h>. The marker runtime is header-only, so an include path is
 * all there is (plus the freestanding switch for bare metal and unikernels).
 */
#include "cmd.h"
#include "common.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef EMUDIFF_SOURCE_ROOT
#define EMUDIFF_SOURCE_ROOT "."
#endif
#ifndef EMUDIFF_INCLUDEDIR
#define EMUDIFF_INCLUDEDIR "/usr/local/include"
#endif

static const char usage_text[] =
	"usage: emudiff cflags [--freestanding]\n"
	"\n"
	"Prints the compiler flags for building a workload with <emudiff/mark.h>:\n"
	"   cc $(emudiff cflags) -O2 -o wl wl.c\n"
	"From a build tree it points into the source tree; once installed, at the\n"
	"installed header (pkg-config --cflags emudiff-mark gives the same).\n"
	"\n"
	"   --freestanding   also select the freestanding runtime (bare metal, unikernels:\n"
	"                    markers print '@emudiff mark' console lines through\n"
	"                    emudiff_putchar(), which the program supplies)\n";

/* The include directory: the source tree's when this binary runs from its build tree. */
static const char *include_dir(void)
{
	static const char src_inc[] = EMUDIFF_SOURCE_ROOT "/hw-collectors/include";
	static char installed[4096];
	char self_marker[4096];

	/* A build-tree binary sits in BUILD/cli/, next to BUILD/build.ninja. */
	snprintf(self_marker, sizeof(self_marker), "%s/../build.ninja", cmd_self_dir());
	if (!access(self_marker, F_OK) && !access(src_inc, R_OK))
		return src_inc;
	snprintf(installed, sizeof(installed), "%s", EMUDIFF_INCLUDEDIR);
	return installed;
}

int cmd_cflags(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "freestanding", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	int freestanding = 0, c;

	while ((c = cmd_getopt(argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'f': freestanding = 1; break;
		case 'h': cmd_usage(usage_text, EXIT_OK);
		default: cmd_usage(usage_text, EXIT_BADINPUT);
		}
	}
	if (optind != argc)
		cmd_usage(usage_text, EXIT_BADINPUT);
	printf("-I%s%s\n", include_dir(), freestanding ? " -DEMUDIFF_FREESTANDING -ffreestanding" : "");
	return EXIT_OK;
}
