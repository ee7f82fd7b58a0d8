/*
 * plugin_maps.c - user mode: which file every translated block came from,
 * so that the collector can name code QEMU cannot (libraries, the dynamic
 * loader, stripped programs) with the files' own symbol tables.
 *
 * How the mappings are learnt, exactly and without guessing: in user mode
 * QEMU maps the guest's memory into its own process at guest_base + guest
 * address, with the guest's own file-backed mmaps (the program and the
 * interpreter QEMU loads itself, and every library the guest's loader
 * maps). qemu_plugin_insn_haddr() gives a block's host address; the mapping
 * of QEMU's /proc/self/maps that holds it is the file, the file offset and
 * the range the guest really has there, and haddr - vaddr translates the
 * range back to guest addresses. /proc/self/maps is read again only when a
 * block is not in the last snapshot or after the guest changed its mappings
 * (mmap, munmap, mremap, mprotect, shmat returned: plugin_events.c's
 * system-call return callback tells us, QEMU keeping one per plugin), so this costs nothing on
 * the execution path and little at translation.
 *
 * The output gets (format: qemu_output.h) one `map` line per file mapping
 * that held translated code (and the program's mapping at start_code), and one `pc` line per start address of the
 * segments QEMU named no symbol for, with their instructions.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_maps.h"
#include "plugin_state.h"

struct host_map {
	uintptr_t lo, hi;
	uint64_t offset;
	char *path; /* NULL: not a file */
};

/* the last snapshot of /proc/self/maps */
static struct host_map *snap;
static size_t n_snap, cap_snap;
static int snap_stale = 1; /* set by the guest's mapping system calls */

/* guest file mappings that held translated code, in the order first seen */
struct guest_map {
	uint64_t start, end, offset;
	char *path;
};
static struct guest_map *gmaps;
static size_t n_gmaps, cap_gmaps;
static size_t last_gmap; /* the one the last lookup hit */

static void snap_clear(void)
{
	for (size_t i = 0; i < n_snap; i++)
		free(snap[i].path);
	n_snap = 0;
}

static void snap_read(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char *line = NULL;
	size_t cap = 0;

	snap_clear();
	snap_stale = 0;
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		unsigned long lo, hi;
		unsigned long long off;
		int n = 0;

		if (sscanf(line, "%lx-%lx %*s %llx %*s %*u %n", &lo, &hi, &off, &n) != 3 || !n)
			continue;
		if (n_snap == cap_snap)
			snap = grow(snap, &cap_snap, sizeof(*snap));
		char *p = line + n;
		size_t len = strcspn(p, "\n");

		p[len] = '\0';
		snap[n_snap].lo = lo;
		snap[n_snap].hi = hi;
		snap[n_snap].offset = off;
		/* a file path starts with '/'; [heap], [stack], anonymous are not files */
		snap[n_snap].path = p[0] == '/' ? strdup(p) : NULL;
		n_snap++;
	}
	free(line);
	fclose(f);
}

static const struct host_map *snap_find(uintptr_t h)
{
	for (size_t i = 0; i < n_snap; i++)
		if (h >= snap[i].lo && h < snap[i].hi)
			return &snap[i];
	return NULL;
}

static int gmap_holds(size_t i, uint64_t vaddr)
{
	return vaddr >= gmaps[i].start && vaddr < gmaps[i].end;
}

static void note(uint64_t vaddr, uintptr_t h);

void maps__note_block(uint64_t vaddr, const void *haddr)
{
	static int program_noted;

	if (cfg.system || !cfg.symbols || !haddr)
		return;
	/* the program's own first mapping (start_code), which names the program
	 * to the collector even when it holds no code (guest_base is haddr - vaddr) */
	if (!program_noted && start_code) {
		program_noted = 1;
		note(start_code, (uintptr_t)haddr - (uintptr_t)vaddr + (uintptr_t)start_code);
	}
	note(vaddr, (uintptr_t)haddr);
}

static void note(uint64_t vaddr, uintptr_t h)
{
	const struct host_map *m;
	if (!snap_stale) {
		if (n_gmaps && gmap_holds(last_gmap, vaddr))
			return;
		for (size_t i = n_gmaps; i-- > 0;)
			if (gmap_holds(i, vaddr)) {
				last_gmap = i;
				return;
			}
	}
	m = snap_stale ? NULL : snap_find(h);
	if (!m) {
		snap_read();
		m = snap_find(h);
	}
	if (!m || !m->path)
		return;
	/* the guest range of this mapping: guest_base = haddr - vaddr */
	uint64_t start = vaddr - (uint64_t)(h - m->lo), end = start + (uint64_t)(m->hi - m->lo);

	for (size_t i = n_gmaps; i-- > 0;)
		if (gmaps[i].start == start && gmaps[i].end == end && gmaps[i].offset == m->offset &&
		    !strcmp(gmaps[i].path, m->path)) {
			last_gmap = i;
			return;
		}
	if (n_gmaps == cap_gmaps)
		gmaps = grow(gmaps, &cap_gmaps, sizeof(*gmaps));
	gmaps[n_gmaps] = (struct guest_map){ start, end, m->offset, strdup(m->path) };
	if (!gmaps[n_gmaps].path)
		return;
	last_gmap = n_gmaps++;
}

/* The system calls after which the guest's mappings may differ. */
static int changes_maps(int64_t nr)
{
	if (cfg.arch == GUEST_X86_64) /* mmap, mprotect, munmap, mremap, shmat */
		return nr == 9 || nr == 10 || nr == 11 || nr == 25 || nr == 30;
	/* riscv64 (asm-generic): munmap, mremap, shmat, mmap, mprotect */
	return nr == 215 || nr == 216 || nr == 196 || nr == 222 || nr == 226;
}

void maps__syscall_ret(int64_t num)
{
	if (changes_maps(num))
		__atomic_store_n(&snap_stale, 1, __ATOMIC_RELAXED);
}

struct pc_total {
	uint64_t vaddr, insns;
};

static int cmp_pc(const void *a, const void *b)
{
	const struct pc_total *x = a, *y = b;

	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

void maps__write(struct outbuf *f)
{
	struct pc_total *t;
	size_t nt = 0, nm = 0;

	if (cfg.system || !cfg.symbols)
		return;
	for (size_t i = 0; i < n_gmaps; i++)
		outbuf__line(f, "map 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64 " %s\n", gmaps[i].start,
			gmaps[i].end, gmaps[i].offset, gmaps[i].path);
	t = plugin_zalloc((n_segments ? n_segments : 1) * sizeof(*t));
	for (size_t i = 0; i < n_segments; i++) {
		const struct segment *s = segments[i];
		uint64_t e;

		if (s->sym || !(e = segment__execs(i)))
			continue;
		t[nt++] = (struct pc_total){ s->vaddr, e * s->n_insns };
	}
	qsort(t, nt, sizeof(*t), cmp_pc);
	for (size_t i = 0; i < nt; i++) {
		if (nm && t[nm - 1].vaddr == t[i].vaddr)
			t[nm - 1].insns += t[i].insns;
		else
			t[nm++] = t[i];
	}
	for (size_t i = 0; i < nm; i++)
		outbuf__line(f, "pc 0x%" PRIx64 " %" PRIu64 "\n", t[i].vaddr, t[i].insns);
	free(t);
}
