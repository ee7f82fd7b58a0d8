/* cmd_import_perf_script.c - placeholder until its component lands; replaced entirely by its owner. */
#include "cmd.h"
#include "common.h"

int cmd_import_perf_script(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	error("'emudiff import perf-script' is not available in this build yet");
	return EXIT_BADINPUT;
}
