/* cmd_study.c - placeholder until its component lands; replaced entirely by its owner. */
#include "cmd.h"
#include "common.h"

int cmd_study(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	error("'emudiff study' is not available in this build yet");
	return EXIT_BADINPUT;
}
