/* cmd_collect.c - "emudiff collect <where>": dispatch to the collectors. */
#include "cmd.h"
#include "common.h"

#include <stdio.h>
#include <string.h>

static const char usage_text[] =
	"usage: emudiff collect qemu    [options] -- PROG ARGS | QEMU ARGS\n"
	"       emudiff collect hw      [options] -- PROG ARGS\n"
	"       emudiff collect hw-kvm  [options] -- VMM ARGS\n"
	"       emudiff collect console [options] --log SERIAL.txt\n"
	"\n'emudiff collect <where> --help' lists the options of each.\n";

static const struct {
	const char *name;
	int (*fn)(int, char **);
} collectors[] = {
	{ "qemu", cmd_collect_qemu },
	{ "hw", cmd_collect_hw },
	{ "hw-kvm", cmd_collect_hw_kvm },
	{ "console", cmd_collect_console },
};

int cmd_collect(int argc, char **argv)
{
	if (argc < 2)
		cmd_usage(usage_text, EXIT_BADINPUT);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		cmd_usage(usage_text, EXIT_OK);
	for (size_t i = 0; i < sizeof(collectors) / sizeof(collectors[0]); i++)
		if (!strcmp(argv[1], collectors[i].name)) {
			char name[64];

			snprintf(name, sizeof(name), "collect %s", collectors[i].name);
			cmd_set_name(name);
			return collectors[i].fn(argc - 1, argv + 1);
		}
	{
		const char *names[sizeof(collectors) / sizeof(collectors[0])];

		for (size_t i = 0; i < sizeof(collectors) / sizeof(collectors[0]); i++)
			names[i] = collectors[i].name;
		cmd_unknown("collect: unknown collector", argv[1], names, sizeof(names) / sizeof(names[0]),
			    "emudiff collect --help");
	}
	return EXIT_BADINPUT;
}
