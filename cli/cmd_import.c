/* cmd_import.c - "emudiff import <format> FILE": dispatch to the importers. */
#include "cmd.h"
#include "common.h"

#include <stdio.h>
#include <string.h>

static const char usage_text[] =
	"usage: emudiff import perf-stat   [options] FILE   (perf stat -x, CSV)\n"
	"       emudiff import perf-script [options] FILE   (perf script output)\n"
	"       emudiff import uftrace     [options] DIR    (uftrace / rftrace data)\n"
	"       emudiff import cyclictest  [options] FILE   (rt-tests cyclictest output)\n"
	"\n'emudiff import <format> --help' lists the options of each.\n";

static const struct {
	const char *name;
	int (*fn)(int, char **);
} importers[] = {
	{ "perf-stat", cmd_import_perf_stat },
	{ "perf-script", cmd_import_perf_script },
	{ "uftrace", cmd_import_uftrace },
	{ "cyclictest", cmd_import_cyclictest },
};

int cmd_import(int argc, char **argv)
{
	if (argc < 2)
		cmd_usage(usage_text, EXIT_BADINPUT);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		cmd_usage(usage_text, EXIT_OK);
	for (size_t i = 0; i < sizeof(importers) / sizeof(importers[0]); i++)
		if (!strcmp(argv[1], importers[i].name)) {
			char name[64];

			snprintf(name, sizeof(name), "import %s", importers[i].name);
			cmd_set_name(name);
			return importers[i].fn(argc - 1, argv + 1);
		}
	{
		const char *names[sizeof(importers) / sizeof(importers[0])];

		for (size_t i = 0; i < sizeof(importers) / sizeof(importers[0]); i++)
			names[i] = importers[i].name;
		cmd_unknown("import: unknown format", argv[1], names, sizeof(names) / sizeof(names[0]),
			    "emudiff import --help");
	}
	return EXIT_BADINPUT;
}
