/* cmd_stats.c - placeholder until its component lands; replaced entirely by its owner. */
#include "cmd.h"
#include "common.h"

int cmd_stats(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	error("'emudiff stats' is not available in this build yet");
	return EXIT_BADINPUT;
}
