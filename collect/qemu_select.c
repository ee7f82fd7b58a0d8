/*
 * qemu_select.c - the QEMU at hand and the plugin build it accepts.
 *
 * The plugin is built once per QEMU plugin API family
 * (libemudiff-qemu-apiN.so, side by side in BUILD/qemu-plugins or
 * LIBDIR/emudiff). A QEMU accepts a plugin whose qemu_plugin_version lies
 * between its minimum and its own API level; those are known per QEMU
 * release (the table below, from QEMU's qemu-plugin.h history), so the QEMU's
 * `--version` decides, and the newest build it accepts is loaded. Before
 * anything runs, the binary must be a QEMU (its --version says so) with
 * plugin support (its .dynsym exports qemu_plugin_* functions: Debian's
 * static qemu-user has none and answers `unknown option 'plugin'`). A QEMU
 * found on PATH without it gives way, with a warning, to the plugin-enabled
 * QEMU of the same name that scripts/setup built and listed in
 * BUILD/qemu-versions.txt (or LIBDIR/emudiff/qemu-versions.txt); one named by
 * its path is refused, the listed one suggested.
 */
#include "collect.h"

#include <dirent.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* QEMU release -> the plugin API levels it accepts: [min_api, api]. */
static const struct {
	int major, minor; /* from this release on (until the next row) */
	int min_api, api;
} api_table[] = {
	{ 6, 0, 0, 1 },  /* 6.0 .. 8.2: API 1 */
	{ 9, 0, 2, 2 },  /* 9.0: API 2, and API 1 plugins are refused */
	{ 9, 1, 2, 3 },  /* 9.1: qemu_plugin_insn_data copies */
	{ 9, 2, 2, 4 },  /* 9.2 .. 10.0 */
	{ 10, 1, 2, 5 }, /* 10.1, 10.2 (discontinuity callbacks) */
	{ 11, 0, 6, 6 }, /* 11.x: API 6, incompatible with 5 */
};
#define NEWEST_KNOWN_MAJOR 11

static int newer_or_same(int ma, int mi, int mb, int nb)
{
	return ma > mb || (ma == mb && mi >= nb);
}

/* Does the ELF export any qemu_plugin_ function? 1 yes, 0 no, -1 not ELF. */
static int exports_plugin_api(const char *path)
{
	int fd = open(path, O_RDONLY), found = 0;
	Elf *e;
	Elf_Scn *scn = NULL;

	if (fd < 0)
		return -1;
	if (elf_version(EV_CURRENT) == EV_NONE || !(e = elf_begin(fd, ELF_C_READ, NULL))) {
		close(fd);
		return -1;
	}
	if (elf_kind(e) != ELF_K_ELF)
		found = -1;
	while (!found && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; sh.sh_entsize && i < sh.sh_size / sh.sh_entsize && !found; i++) {
			GElf_Sym sym;
			const char *n;

			if (gelf_getsym(d, (int)i, &sym) && sym.st_shndx != SHN_UNDEF &&
			    (n = elf_strptr(e, sh.sh_link, sym.st_name)) && !strncmp(n, "qemu_plugin_", 12))
				found = 1;
		}
	}
	elf_end(e);
	close(fd);
	return found;
}

/* The highest API level N <= max_api with N >= min_api built in dir; 0: none. */
static int best_build(const char *dir, int min_api, int max_api, char *have, size_t cap)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int best = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		int n, len = 0;

		if (sscanf(de->d_name, "libemudiff-qemu-api%d.so%n", &n, &len) != 1 ||
		    de->d_name[len] != '\0')
			continue;
		snprintf(have + strlen(have), cap - strlen(have), " api%d", n);
		if (n >= min_api && n <= max_api && n > best)
			best = n;
	}
	closedir(d);
	return best;
}

/* p->major, p->minor from p->version; -1: p->path is not a QEMU. */
static int read_version(struct qemu_pick *p)
{
	const char *v = strstr(p->version, "version ");

	if (!strstr(p->version, "QEMU") && strncmp(path__base(p->path), "qemu-", 5))
		v = NULL;
	return v && sscanf(v + 8, "%d.%d", &p->major, &p->minor) == 2 ? 0 : -1;
}

/* A plugin-enabled QEMU named like `refused` in a qemu-versions.txt
 * ("VERSION PATH MODE PLUGINS" a line), the same major.minor preferred, with
 * that list's path in *list; NULL when none is listed and present. */
static char *listed_alternative(const struct qemu_pick *refused, const char *build_dir,
				const char *libdir, char **list)
{
	/* the build's folder made absolute (not the list: it may be a link elsewhere) */
	char *up = xasprintf("%s/..", build_dir), *top = realpath(up, NULL);
	char *lists[2] = { xasprintf("%s/qemu-versions.txt", top ? top : up),
			   xasprintf("%s/emudiff/qemu-versions.txt", libdir) };
	char *best = NULL, line[4400];
	int best_same = 0;

	for (int i = 0; i < 2 && !best_same; i++) {
		FILE *f = fopen(lists[i], "r");

		while (f && fgets(line, sizeof(line), f)) {
			char ver[64], path[4096], mode[16], plugins[16], *alt;
			int ma, mi, same;

			if (line[0] == '#' || sscanf(line, "%63s %4095s %15s %15s", ver, path, mode, plugins) != 4 ||
			    strcmp(plugins, "yes") || strcmp(path__base(path), path__base(refused->path)) ||
			    !(alt = path__search(path)))
				continue;
			same = sscanf(ver, "%d.%d", &ma, &mi) == 2 && ma == refused->major && mi == refused->minor;
			if (strcmp(alt, refused->path) && (!best || (same && !best_same)) &&
			    exports_plugin_api(alt) == 1) {
				free(best);
				free(*list);
				best = alt;
				alt = NULL;
				best_same = same;
				*list = xstrdup(lists[i]);
			}
			free(alt);
		}
		if (f)
			fclose(f);
	}
	free(lists[0]);
	free(lists[1]);
	free(up);
	free(top);
	return best;
}

/* p->path has no plugin support: take the listed alternative when p->path was
 * found on PATH (qemu names no folder); else one line and -1. */
static int plugin_fallback(const char *qemu, const char *build_dir, const char *libdir, struct qemu_pick *p)
{
	char *list = NULL, *alt = listed_alternative(p, build_dir, libdir, &list);
	int rc = -1;

	if (alt && !strchr(qemu, '/')) {
		warning("%s: QEMU %d.%d without plugin support; using %s instead (listed in %s)", p->path,
			p->major, p->minor, alt, list);
		free(p->path);
		free(p->version);
		p->path = alt;
		p->version = qemu__version(alt);
		alt = NULL;
		rc = read_version(p) ? error("%s: not a QEMU (its --version printed '%s')", p->path, p->version) : 0;
	} else if (alt) {
		error("%s: QEMU %d.%d without plugin support (exports no qemu_plugin_* functions); "
		      "give --qemu %s (plugin-enabled, listed in %s)", p->path, p->major, p->minor, alt, list);
	} else {
		error("%s: QEMU %d.%d without plugin support (exports no qemu_plugin_* functions); "
		      "use a plugin-enabled QEMU, e.g. the user-mode build scripts/setup makes (see "
		      "build/qemu-versions.txt)", p->path, p->major, p->minor);
	}
	free(alt);
	free(list);
	return rc;
}

int qemu__select(const char *qemu, const char *build_dir, const char *libdir, struct qemu_pick *p)
{
	const char *env = getenv("EMUDIFF_PLUGIN");
	char *dirs[2], have[256] = "";
	int min_api = -1, api = -1, rc = -1;

	memset(p, 0, sizeof(*p));
	p->path = path__search(qemu);
	if (!p->path)
		return error("%s: not found (install Debian's qemu-user or qemu-system-misc, or give "
			     "--qemu PATH)", qemu);
	p->version = qemu__version(p->path);
	if (read_version(p))
		return error("%s: not a QEMU (its --version printed '%s'); give a QEMU with --qemu PATH",
			     p->path, p->version);
	if (exports_plugin_api(p->path) != 1 && plugin_fallback(qemu, build_dir, libdir, p))
		return -1;
	if (env && *env) {
		if (access(env, R_OK))
			return error("EMUDIFF_PLUGIN=%s: no such file", env);
		p->plugin = xstrdup(env);
		p->plugin_build = xstrdup(path__base(env));
		return 0;
	}
	for (size_t i = 0; i < sizeof(api_table) / sizeof(api_table[0]); i++)
		if (newer_or_same(p->major, p->minor, api_table[i].major, api_table[i].minor)) {
			min_api = api_table[i].min_api;
			api = api_table[i].api;
		}
	if (api < 0)
		return error("%s: QEMU %d.%d is older than any plugin build (6.0 and later); use a "
			     "newer QEMU", p->path, p->major, p->minor);
	if (p->major > NEWEST_KNOWN_MAJOR)
		return error("%s: QEMU %d.%d is newer than any plugin build (newest known: QEMU %d.x); "
			     "use an older QEMU or update emudiff", p->path, p->major, p->minor,
			     NEWEST_KNOWN_MAJOR);
	dirs[0] = xasprintf("%s/../qemu-plugins", build_dir);
	dirs[1] = xasprintf("%s/emudiff", libdir);
	for (int i = 0; i < 2 && rc; i++) {
		int n = best_build(dirs[i], min_api, api, have, sizeof(have));

		if (n) {
			p->api = n;
			p->plugin = xasprintf("%s/libemudiff-qemu-api%d.so", dirs[i], n);
			p->plugin_build = xasprintf("libemudiff-qemu-api%d.so", n);
			rc = 0;
		}
	}
	if (rc) {
		char want[32];

		snprintf(want, sizeof(want), min_api == api ? "%d" : "%d..%d", min_api == api ? api : min_api, api);
		error("%s: QEMU %d.%d needs a plugin build for API %s, built here:%s; run "
		      "scripts/setup (it fetches that QEMU's qemu-plugin.h) and rebuild, or set EMUDIFF_PLUGIN",
		      p->path, p->major, p->minor, want, *have ? have : " none");
	}
	free(dirs[0]);
	free(dirs[1]);
	return rc;
}

void qemu_pick__free(struct qemu_pick *p)
{
	free(p->path);
	free(p->version);
	free(p->plugin);
	free(p->plugin_build);
	memset(p, 0, sizeof(*p));
}
