/* cmd_collect.c - "emudiff collect <where>": dispatch to the collectors. */
#include "cmd.h"
#include "common.h"

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
		if (!strcmp(argv[1], collectors[i].name))
			return collectors[i].fn(argc - 1, argv + 1);
	error("collect: unknown collector '%s' (qemu, hw, hw-kvm or console)", argv[1]);
	return EXIT_BADINPUT;
}
