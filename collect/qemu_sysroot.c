/*
 * qemu_sysroot.c - where user-mode QEMU finds a dynamically linked foreign
 * program's loader and libraries (QEMU's -L, QEMU_LD_PREFIX): --sysroot DIR,
 * else QEMU_LD_PREFIX when the user set it, else Debian's cross sysroot
 * /usr/<arch>-linux-gnu (libc6-<arch>-cross) when it holds the loader. A
 * program that needs one and has none is refused before QEMU runs, instead
 * of a failed run with QEMU's "Could not open '/lib/ld-...'".
 */
#include "align.h"
#include "collect.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Does dir hold the loader interp? */
static int holds(const char *dir, const char *interp)
{
	char *p = xasprintf("%s%s%s", dir, interp[0] == '/' ? "" : "/", interp);
	int ok = access(p, F_OK) == 0;

	free(p);
	return ok;
}

static int is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int qemu__sysroot(const char *prog, const char *given, char **dir)
{
	const char *env = getenv("QEMU_LD_PREFIX");
	struct elf_probe ep;
	char *debian;

	*dir = NULL;
	if (given && !is_dir(given))
		return error("--sysroot %s: not a directory", given);
	if (elf__probe(prog, &ep))
		return -1;
	if (!ep.is_elf || !ep.interp[0] || (!given && !strcmp(ep.machine, elf__host_machine()))) {
		*dir = given ? xstrdup(given) : NULL; /* static, or this machine's own loader */
		return 0;
	}
	if (given) {
		if (!holds(given, ep.interp))
			return error("%s: its loader %s is not in --sysroot %s", prog, ep.interp, given);
		*dir = xstrdup(given);
		return 0;
	}
	if (env && *env) {
		if (!holds(env, ep.interp))
			return error("%s: its loader %s is not in QEMU_LD_PREFIX=%s", prog, ep.interp, env);
		*dir = xstrdup(env);
		return 0;
	}
	debian = xasprintf("/usr/%s-linux-gnu", ep.machine);
	if (holds(debian, ep.interp)) {
		*dir = debian;
		return 0;
	}
	error("%s: a dynamically linked %s program, and its loader %s is not in %s: give --sysroot DIR "
	      "(Debian: install libc6-%s-cross) or link it statically", prog, ep.machine, ep.interp, debian,
	      ep.machine);
	free(debian);
	return -1;
}
