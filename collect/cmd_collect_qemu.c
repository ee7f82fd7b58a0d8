/* cmd_collect_qemu.c - placeholder until its component lands; replaced entirely by its owner. */
#include "cmd.h"
#include "common.h"

int cmd_collect_qemu(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	error("'emudiff collect qemu' is not available in this build yet");
	return EXIT_BADINPUT;
}
