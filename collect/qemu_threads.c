/*
 * qemu_threads.c - what `emudiff collect qemu` decides about threads before
 * QEMU runs: whether the program can start threads, itself or through a
 * library it needs (then the plugin is told threads=on, which an API 1
 * plugin build needs to count them exactly), and
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

/* A starter in e's symbol tables: defined or referenced (the program: a
 * static one defines it), or only referenced (a library: libc defines them
 * all, a library that starts threads imports one). */
static int has_starter(Elf *e, int undefined_only)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *n;

			if (gelf_getsym(d, (int)i, &sym) && GELF_ST_TYPE(sym.st_info) != STT_FILE &&
			    (!undefined_only || sym.st_shndx == SHN_UNDEF) &&
			    (n = elf_strptr(e, sh.sh_link, sym.st_name)) && is_starter(n))
				return 1;
		}
	}
	return 0;
}

/* The libraries a program needs, found as its loader would (a sketch of it:
 * RPATH/RUNPATH with $ORIGIN, LD_LIBRARY_PATH, the machine's default
 * directories; under QEMU's -L the sysroot's copy first), breadth first. */
#define MAX_LIBS 128
struct libs {
	char *path[MAX_LIBS];
	size_t n, next;
	const char *sysroot;
	int machine; /* the program's e_machine: a library of another is skipped */
};

static const char *const default_dirs_x86_64[] = {
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
	"/usr/local/lib", "/lib", "/usr/lib", NULL,
};
static const char *const default_dirs_riscv64[] = {
	"/lib/riscv64-linux-gnu", "/usr/lib/riscv64-linux-gnu", "/lib64/lp64d", "/usr/lib64/lp64d",
	"/usr/local/lib", "/lib", "/usr/lib", NULL,
};

static Elf *open_elf(const char *path, int *fd)
{
	Elf *e;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return NULL;
	if (elf_version(EV_CURRENT) == EV_NONE || !(e = elf_begin(*fd, ELF_C_READ, NULL))) {
		close(*fd);
		return NULL;
	}
	return e;
}

/* Is path an ELF object of the program's machine? */
static int of_machine(const char *path, int machine)
{
	int fd, ok;
	GElf_Ehdr eh;
	Elf *e = open_elf(path, &fd);

	if (!e)
		return 0;
	ok = gelf_getehdr(e, &eh) && eh.e_machine == machine;
	elf_end(e);
	close(fd);
	return ok;
}

static void add_lib(struct libs *l, char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->path[i], path)) {
			free(path);
			return;
		}
	if (l->n == MAX_LIBS) {
		free(path);
		return;
	}
	l->path[l->n++] = path;
}

/* dir/name, the sysroot's first; 1 when found (and added) */
static int try_dir(struct libs *l, const char *dir, size_t dlen, const char *name)
{
	for (int pass = l->sysroot ? 0 : 1; pass < 2; pass++) {
		char *p = xasprintf("%s%.*s/%s", pass ? "" : l->sysroot, (int)dlen, dir, name);

		if (of_machine(p, l->machine)) {
			add_lib(l, p);
			return 1;
		}
		free(p);
	}
	return 0;
}

/* Each directory of a colon-separated list, $ORIGIN as origin. */
static int try_list(struct libs *l, const char *list, const char *origin, const char *name)
{
	for (const char *p = list; p && *p; p += strcspn(p, ":") + (p[strcspn(p, ":")] == ':')) {
		size_t n = strcspn(p, ":");
		int found;

		if (!n)
			continue;
		if (origin && !strncmp(p, "$ORIGIN", 7) && (n == 7 || p[7] == '/')) {
			char *d = xasprintf("%s%.*s", origin, (int)n - 7, p + 7);

			found = try_dir(l, d, strlen(d), name);
			free(d);
		} else {
			found = try_dir(l, p, n, name);
		}
		if (found)
			return 1;
	}
	return 0;
}

static void find_lib(struct libs *l, const char *name, const char *rpath, const char *runpath,
		     const char *origin)
{
	const char *const *dirs = l->machine == EM_X86_64 ? default_dirs_x86_64 : default_dirs_riscv64;

	if (strchr(name, '/')) {
		if (of_machine(name, l->machine))
			add_lib(l, xstrdup(name));
		return;
	}
	/* RPATH only without RUNPATH, LD_LIBRARY_PATH between them, as ld.so */
	if ((!runpath && try_list(l, rpath, origin, name)) || try_list(l, getenv("LD_LIBRARY_PATH"), NULL, name) ||
	    try_list(l, runpath, origin, name))
		return;
	for (int i = 0; dirs[i]; i++)
		if (try_dir(l, dirs[i], strlen(dirs[i]), name))
			return;
}

/* Add the libraries e (at path) needs. */
static void add_needed(struct libs *l, Elf *e, const char *path)
{
	const char *rpath = NULL, *runpath = NULL, *needed[64];
	char *origin = xstrdup(path), *slash = strrchr(origin, '/');
	Elf_Scn *scn = NULL;
	size_t nn = 0;

	if (slash)
		*slash = '\0';
	else
		strcpy(origin, ".");
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !sh.sh_entsize ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Dyn dyn;
			const char *v;

			if (!gelf_getdyn(d, (int)i, &dyn) ||
			    (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_RPATH && dyn.d_tag != DT_RUNPATH) ||
			    !(v = elf_strptr(e, sh.sh_link, dyn.d_un.d_val)))
				continue;
			if (dyn.d_tag == DT_RPATH)
				rpath = v;
			else if (dyn.d_tag == DT_RUNPATH)
				runpath = v;
			else if (nn < sizeof(needed) / sizeof(*needed))
				needed[nn++] = v;
		}
	}
	for (size_t i = 0; i < nn; i++)
		find_lib(l, needed[i], rpath, runpath, origin);
	free(origin);
}

int qemu__elf_starts_threads(const char *path, const char *sysroot)
{
	struct libs l = { .sysroot = sysroot };
	GElf_Ehdr eh;
	int fd, found;
	Elf *e = open_elf(path, &fd);

	if (!e)
		return 0;
	found = has_starter(e, 0);
	if (!found && gelf_getehdr(e, &eh) && (eh.e_machine == EM_X86_64 || eh.e_machine == EM_RISCV)) {
		/* a dynamic program may start threads through a library (xz -T2 through liblzma) */
		l.machine = eh.e_machine;
		add_needed(&l, e, path);
	}
	elf_end(e);
	close(fd);
	for (; !found && l.next < l.n; l.next++) {
		const char *lib = l.path[l.next];

		if (!(e = open_elf(lib, &fd)))
			continue;
		found = has_starter(e, 1);
		if (!found)
			add_needed(&l, e, lib);
		elf_end(e);
		close(fd);
	}
	for (size_t i = 0; i < l.n; i++)
		free(l.path[i]);
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
