/*
 * plugin_write.c - the output file (format: qemu_output.h): header, marks and
 * values, events, symbols, symbols per marker interval, the hottest blocks and
 * totals, written to FILE.tmp and renamed to FILE (FILE.<pid> in a forked child).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin_maps.h"
#include "plugin_state.h"
#include "msym_order.h"

struct sym_total {
	const char *sym;
	uint64_t insns;
};

static int cmp_sym(const void *a, const void *b)
{
	const struct sym_total *x = a, *y = b;

	/* the reader's order (msym_order.h): names as written */
	return msym__name_cmp(x->sym, y->sym);
}

static unsigned long out_lines;

#define OUT(f, ...) (out_lines++, fprintf(f, __VA_ARGS__))

static void write_symbols(FILE *f)
{
	struct sym_total *t = plugin_zalloc((n_segments ? n_segments : 1) * sizeof(*t));
	size_t nt = 0;

	for (size_t i = 0; i < n_segments; i++) {
		t[i].sym = segments[i]->sym;
		t[i].insns = counter__read(segments[i]->execs) * segments[i]->n_insns;
	}
	qsort(t, n_segments, sizeof(*t), cmp_sym);
	for (size_t i = 0; i < n_segments; i++) {
		if (nt && !cmp_sym(&t[nt - 1], &t[i]))
			t[nt - 1].insns += t[i].insns;
		else
			t[nt++] = t[i];
	}
	for (size_t i = 0; i < nt; i++) {
		if (!t[i].insns)
			continue;
		/* symbol names never contain newlines; other bytes pass through */
		OUT(f, "symbol %" PRIu64 " %s\n", t[i].insns, msym__name(t[i].sym));
	}
	free(t);
}

static int cmp_msym(const void *a, const void *b)
{
	const struct msym_count *x = a, *y = b;

	return msym__cmp(x->seq, x->sym, y->seq, y->sym);
}

/* The interval still open is closed first (its walk counts against the limit). */
static void write_msyms(FILE *f)
{
	struct msym_count *t;
	size_t nt;

	msym_close(cur_seq, NULL, 0);
	t = msym_closed.v;
	nt = msym_closed.n;
	/* in seq order already; within an interval by name (and a SIGTERM write may have
	 * closed the open interval once before: its two parts are merged here) */
	qsort(t, nt, sizeof(*t), cmp_msym);
	OUT(f, "msym_complete %" PRId64 "\n", msym_complete);
	for (size_t i = 0; i < nt;) {
		size_t j = i + 1;
		int64_t insns = t[i].insns;

		/* two symbol strings of one name are one symbol */
		while (j < nt && !cmp_msym(&t[i], &t[j]))
			insns += t[j++].insns;
		if (insns && t[i].seq < msym_complete)
			OUT(f, "msym %" PRId64 " %" PRId64 " %s\n", t[i].seq, insns, msym__name(t[i].sym));
		i = j;
	}
}

struct block_total {
	uint64_t vaddr, execs, insns;
	uint32_t n_insns;
	const char *sym;
};

static int cmp_block_vaddr(const void *a, const void *b)
{
	const struct block_total *x = a, *y = b;

	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

static int cmp_block_insns(const void *a, const void *b)
{
	const struct block_total *x = a, *y = b;

	if (x->insns != y->insns)
		return x->insns < y->insns ? 1 : -1;
	return cmp_block_vaddr(a, b);
}

/* The hottest translation blocks by instructions executed: a block's
 * translations (QEMU may translate one address more than once) and its
 * segments are summed by start address; execs counts block entries. */
static void write_blocks(FILE *f)
{
	struct block_total *b = plugin_zalloc((n_segments ? n_segments : 1) * sizeof(*b));
	size_t nb = 0;
	uint64_t start = 0;

	for (size_t i = 0; i < n_segments; i++) {
		const struct segment *s = segments[i];
		uint64_t e = counter__read(s->execs);

		if (s->tb_start || !nb) {
			start = s->vaddr;
			b[nb].vaddr = start;
			b[nb].sym = s->sym;
			b[nb].execs = e;
			nb++;
		}
		b[nb - 1].n_insns += s->n_insns;
		b[nb - 1].insns += e * s->n_insns;
	}
	qsort(b, nb, sizeof(*b), cmp_block_vaddr);
	size_t nm = 0;

	for (size_t i = 0; i < nb; i++) {
		if (nm && b[nm - 1].vaddr == b[i].vaddr) {
			b[nm - 1].execs += b[i].execs;
			b[nm - 1].insns += b[i].insns;
			if (b[i].n_insns > b[nm - 1].n_insns)
				b[nm - 1].n_insns = b[i].n_insns;
		} else {
			b[nm++] = b[i];
		}
	}
	qsort(b, nm, sizeof(*b), cmp_block_insns);
	for (size_t i = 0; i < nm && i < cfg.blocks && b[i].insns; i++)
		OUT(f, "block 0x%" PRIx64 " %" PRIu32 " %" PRIu64 " %" PRIu64 " %s\n", b[i].vaddr,
		    b[i].n_insns, b[i].execs, b[i].insns, b[i].sym ? b[i].sym : "[unknown]");
	free(b);
}

static const char *value_name(int v)
{
	static const char *const mix_names[GC_COUNT] = {
		"insns_other", "insns_load", "insns_store", "insns_branch",
		"insns_fp", "insns_atomic", "insns_system",
	};
	if (v == V_MEM)
		return "mem_accesses";
	if (v == V_PAGES)
		return "pages";
	return mix_names[v - V_CLS0];
}

static bool value_enabled(int v)
{
	return v < V_CLS0 ? cfg.mem : cfg.mix;
}

static void write_header(FILE *f)
{
	OUT(f, "emudiff-qemu-plugin %d\n", OUTPUT_VERSION);
	OUT(f, "arch %s\n", cfg.arch == GUEST_RISCV64 ? "riscv64" : "x86_64");
	OUT(f, "system %d\n", cfg.system);
	OUT(f, "mode %s\n", cfg.exact ? "exact" : "default");
	OUT(f, "plugin_api %d\n", QEMU_PLUGIN_VERSION);
	OUT(f, "options %s\n", cfg.options);
	if (!cfg.system && api_start_code && api_entry_code) {
		OUT(f, "start_code 0x%" PRIx64 "\n", start_code);
		OUT(f, "entry_code 0x%" PRIx64 "\n", entry_code);
	}
}

static void write_marks(FILE *f)
{
	for (size_t i = 0; i < n_marks; i++) {
		OUT(f, "mark %zu %d %" PRIu64 " %" PRIu64 "\n", i, marks[i].id, marks[i].insns,
		    marks[i].host_ns);
		for (int v = 0; v < V_COUNT; v++)
			if (value_enabled(v))
				OUT(f, "value %zu %s %" PRIu64 "\n", i, value_name(v), marks[i].values[v]);
	}
}

static void write_events(FILE *f)
{
	for (size_t i = 0; i < events.cap; i++) {
		const struct event_count *e = &events.slots[i];

		if (e->kind)
			OUT(f, "event %" PRId64 " %s %s %" PRIu64 "\n", e->seq, e->kind,
			    e->detail[0] ? e->detail : "-", e->count);
	}
}

/* Totals, vCPUs and the exit status; host_ns up to end_ns. */
static void write_totals(FILE *f, uint64_t end_ns)
{
	uint64_t totals[V_COUNT] = { 0 };

	OUT(f, "total insns %" PRIu64 "\n", counter__read(&insn_count));
	OUT(f, "total host_ns %" PRIu64 "\n", end_ns - start_ns);
	if (cfg.mem) {
		totals[V_MEM] = counter__read(&mem_count);
		totals[V_PAGES] = pages_done + pages.n;
	}
	for (int c = 0; cfg.mix && c < GC_COUNT; c++)
		totals[V_CLS0 + c] = counter__read(&cls_count[c]);
	for (int v = 0; v < V_COUNT; v++)
		if (value_enabled(v))
			OUT(f, "total %s %" PRIu64 "\n", value_name(v), totals[v]);
	OUT(f, "vcpus %d\n", n_vcpus);
	if (have_exit_code)
		OUT(f, "exit %" PRId64 "\n", exit_code);
}

/* Every record, in the format's order, then the end line; 0 or -1. */
static int write_file(const char *tmp, bool final)
{
	uint64_t end_ns = host_ns();
	FILE *f = fopen(tmp, "w");
	int bad;

	if (!f) {
		fprintf(stderr, "emudiff plugin: cannot write %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	out_lines = 0;
	write_header(f);
	write_marks(f);
	/* a system call still pending at exit (exit, execve) is counted too;
	 * not on SIGTERM, where the guest may go on and return from it */
	if (final)
		syscalls_flush_pending();
	write_events(f);
	write_symbols(f);
	if (cfg.marksyms)
		write_msyms(f);
	write_blocks(f);
	out_lines += maps__write(f);
	write_totals(f, end_ns);
	fprintf(f, "end %lu\n", out_lines);
	bad = ferror(f);
	if (fclose(f) || bad) {
		fprintf(stderr, "emudiff plugin: write error on %s\n", tmp);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int write_output(bool final)
{
	char *tmp, *path;
	pid_t pid = getpid();
	int rc = 0;

	/* a forked child writes FILE.<pid>, so that it does not replace the parent's FILE */
	if (pid == install_pid)
		path = strdup(cfg.out_path);
	else if (asprintf(&path, "%s.%d", cfg.out_path, (int)pid) < 0)
		path = NULL;
	if (!path)
		return -1;
	if (asprintf(&tmp, "%s.tmp", path) < 0) {
		free(path);
		return -1;
	}
	if (write_file(tmp, final)) {
		rc = -1;
	} else if (rename(tmp, path)) {
		fprintf(stderr, "emudiff plugin: cannot rename %s: %s\n", tmp, strerror(errno));
		rc = -1;
	}
	free(tmp);
	free(path);
	return rc;
}
