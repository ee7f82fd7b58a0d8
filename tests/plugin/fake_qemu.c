/*
 * fake_qemu.c - a qemu-user without plugin support, as Debian 13's static
 * qemu-x86_64 is: `--version` names a QEMU release ($FAKE_QEMU_VERSION, else
 * 10.0.13), anything else is refused like an unknown -plugin. Exports no
 * qemu_plugin_* function (test_qemu_fallback.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	const char *v = getenv("FAKE_QEMU_VERSION");

	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("qemu-x86_64 version %s (fake: no plugin support)\n", v && *v ? v : "10.0.13");
		return 0;
	}
	fprintf(stderr, "qemu-x86_64: unknown option 'plugin'\n");
	return 1;
}
