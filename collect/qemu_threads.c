/*
 * qemu_threads.c - what `emudiff collect qemu` decides about threads before
 * QEMU runs: whether the program can start threads (then the plugin is told
 * threads=on, which an API 1 plugin build needs to count them exactly), and
 * how many vCPUs a system-mode -smp argument asks for (refused beyond what
 * the plugin counts).
 */
#include "collect.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The functions through which a program starts threads. */
static const char *const thread_starters[] = {
	"pthread_create", "clone", "clone3", "__clone", "__clone3", "thrd_create",
};

static int is_starter(const char *name)
{
	size_t len = strcspn(name, "@"); /* a versioned name: pthread_create@GLIBC_2.34 */

	for (size_t i = 0; i < sizeof(thread_starters) / sizeof(*thread_starters); i++)
		if (strlen(thread_starters[i]) == len && !strncmp(name, thread_starters[i], len))
			return 1;
	return 0;
}

int qemu__elf_starts_threads(const char *path)
{
	int fd = open(path, O_RDONLY), found = 0;
	Elf *e;
	Elf_Scn *scn = NULL;

	if (fd < 0)
		return 0;
	if (elf_version(EV_CURRENT) == EV_NONE || !(e = elf_begin(fd, ELF_C_READ, NULL))) {
		close(fd);
		return 0;
	}
	/* defined (a static program) or referenced (a dynamic one), in either table */
	while (!found && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize && !found; i++) {
			GElf_Sym sym;
			const char *n;

			if (gelf_getsym(d, (int)i, &sym) && GELF_ST_TYPE(sym.st_info) != STT_FILE &&
			    (n = elf_strptr(e, sh.sh_link, sym.st_name)))
				found = is_starter(n);
		}
	}
	elf_end(e);
	close(fd);
	return found;
}

/* The number after key= in a -smp word list, or -1. */
static long smp_key(const char *arg, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = arg; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, key, kl) && p[kl] == '=')
			return strtol(p + kl + 1, NULL, 10);
	return -1;
}

long qemu__smp_vcpus(const char *arg)
{
	static const char *const topology[] = { "sockets", "dies", "clusters", "cores", "threads" };
	long cpus = smp_key(arg, "cpus"), max = smp_key(arg, "maxcpus"), product = 1, n;

	if (cpus < 0 && arg[0] >= '0' && arg[0] <= '9')
		cpus = strtol(arg, NULL, 10);
	/* without cpus=, QEMU takes the topology's product */
	for (size_t i = 0; i < sizeof(topology) / sizeof(*topology); i++)
		if ((n = smp_key(arg, topology[i])) > 0)
			product *= n;
	n = cpus > product ? cpus : product;
	return max > n ? max : n;
}
