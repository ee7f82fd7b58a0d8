/* cmd_import_uftrace.c - placeholder until its component lands; replaced entirely by its owner. */
#include "cmd.h"
#include "common.h"

int cmd_import_uftrace(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	error("'emudiff import uftrace' is not available in this build yet");
	return EXIT_BADINPUT;
}
