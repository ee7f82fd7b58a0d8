/*
 * plugin_write.c - the output file (format: qemu_output.h): header, marks and
 * values, events, symbols, symbols per marker interval, the hottest blocks,
 * threads and totals, written to FILE.tmp and renamed to FILE (FILE.<pid> in
 * a forked child). Threads are written by ordinal (creation order), so an
 * internal thread id becomes its ordinal here, and with it every seq
 * -1 - thread of an interval before a thread's first hit.
 *
 * A marker-heavy program has as many mark and msym lines as hits, so those
 * lines are formatted by hand into a large stdio buffer (printf costs more
 * than the rest of a hit).
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

#define OUT(f, ...) outbuf__line(f, __VA_ARGS__)

/* ---- hand formatting ---- */

/* decimal digits of v (at least 1): log10 from the bit length, one compare */
static size_t n_digits(uint64_t v)
{
	static const uint64_t pow10[20] = {
		1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
		100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
		10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
		100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull,
	};
	unsigned int t = ((64u - (unsigned int)__builtin_clzll(v | 1)) * 1233u) >> 12;

	return t + (v >= pow10[t]) + (v == 0);
}

static char *put_u64(char *p, uint64_t v)
{
	static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
				    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
				    "8081828384858687888990919293949596979899";
	size_t n = n_digits(v);
	char *end = p + n;

	while (v >= 100) {
		end -= 2;
		memcpy(end, pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(end - 2, pairs + 2 * v, 2);
	else
		end[-1] = (char)('0' + v);
	return p + n;
}

static char *put_i64(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return put_u64(p, (uint64_t)0 - (uint64_t)v);
	}
	return put_u64(p, (uint64_t)v);
}

static char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/* ---- sections ---- */

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

static void write_symbols(struct outbuf *f)
{
	struct sym_total *t = plugin_zalloc((n_segments ? n_segments : 1) * sizeof(*t));
	size_t nt = 0;

	for (size_t i = 0; i < n_segments; i++) {
		t[i].sym = segments[i]->sym;
		t[i].insns = segment__execs(i) * segments[i]->n_insns;
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

/* An interval's seq as written: -1 - ordinal before a thread's first hit. */
static int64_t seq_out(int64_t seq, const int *ordinal)
{
	return seq >= 0 ? seq : -1 - ordinal[-1 - seq];
}

static void write_span(struct outbuf *f, int64_t seq, const struct msym_span *span)
{
	for (uint32_t k = 0; span->closed && k < span->n; k++) {
		const struct msym_entry *e = chunked__at(&msym_entries, span->start + k);
		const char *name = msym__name(e->sym);
		size_t len = strlen(name);
		char *p = outbuf__room(f, 64 + len);

		p = put_i64(put_str(p, "msym "), seq);
		*p++ = ' ';
		p = put_i64(p, e->insns);
		*p++ = ' ';
		memcpy(p, name, len);
		p[len] = '\n';
		outbuf__put(f, p + len + 1);
		f->lines++;
	}
}

/* The open interval of the thread on vc. */
static struct msym_span *open_span(const struct vcpu *vc)
{
	return vc->seq >= 0 ? &((struct mark *)chunked__at(&marks, (size_t)vc->seq))->span :
			      &threads[vc->thread].pre;
}

static const struct msym_span *mark_span(size_t s)
{
	return &((const struct mark *)chunked__at(&marks, s))->span;
}

/* The intervals of marks below complete, by seq; a run of a thread's
 * intervals sharing their entries (msym_close) is written once, with an
 * msym_run line up to its last interval. */
static void write_mark_msyms(struct outbuf *f, int64_t complete)
{
	size_t n = (size_t)complete;
	int64_t *next = plugin_zalloc((n + 1) * sizeof(*next));
	int64_t *last = plugin_zalloc((n_threads + 1) * sizeof(*last));
	uint8_t *covered = plugin_zalloc(n + 1);

	for (size_t t = 0; t < n_threads; t++)
		last[t] = -1;
	for (size_t s = 0; s < n; s++) {
		int t = ((const struct mark *)chunked__at(&marks, s))->thread;

		next[s] = -1;
		if (last[t] >= 0)
			next[last[t]] = (int64_t)s;
		last[t] = (int64_t)s;
	}
	for (size_t s = 0; s < n; s++) {
		const struct msym_span *a = mark_span(s);
		int64_t e = (int64_t)s;

		if (covered[s] || !a->closed)
			continue;
		write_span(f, (int64_t)s, a);
		for (const struct msym_span *b; a->n && next[e] >= 0; covered[e = next[e]] = 1) {
			b = mark_span((size_t)next[e]);
			if (!b->closed || b->start != a->start || b->n != a->n)
				break;
		}
		if (e != (int64_t)s)
			outbuf__line(f, "msym_run %zu %" PRId64 "\n", s, e);
	}
	free(next);
	free(last);
	free(covered);
}

/* The intervals still open (live threads) are read, not closed, so that a
 * SIGTERM write leaves the counting as it was; complete: msym_complete. */
static void write_msyms(struct outbuf *f, const int *ordinal)
{
	int64_t complete = msym_stopped ? msym_complete : (int64_t)marks.n;
	size_t keep = msym_entries.n;
	int *by_ordinal = plugin_zalloc((n_threads + 1) * sizeof(int));

	for (unsigned int v = 0; !msym_stopped && v < n_vcpu_slots; v++)
		if (vcpus[v] && vcpus[v]->thread >= 0)
			*open_span(vcpus[v]) = msym_peek(v, vcpus[v]);
	OUT(f, "msym_complete %" PRId64 "\n", complete);
	for (size_t i = 0; i < n_threads; i++)
		by_ordinal[ordinal[i]] = (int)i;
	/* by seq: the intervals before a first hit (-1 - ordinal), then the hits' */
	for (size_t k = n_threads; complete >= 0 && k-- > 0;)
		write_span(f, -1 - (int64_t)k, &threads[by_ordinal[k]].pre);
	if (complete > 0)
		write_mark_msyms(f, complete);
	/* the open intervals are open again */
	for (unsigned int v = 0; !msym_stopped && v < n_vcpu_slots; v++)
		if (vcpus[v] && vcpus[v]->thread >= 0)
			open_span(vcpus[v])->closed = 0;
	chunked__truncate(&msym_entries, keep);
	free(by_ordinal);
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
static void write_blocks(struct outbuf *f)
{
	struct block_total *b = plugin_zalloc((n_segments ? n_segments : 1) * sizeof(*b));
	size_t nb = 0, nm = 0;

	for (size_t i = 0; i < n_segments; i++) {
		const struct segment *s = segments[i];
		uint64_t e = segment__execs(i);

		if (s->tb_start || !nb) {
			b[nb].vaddr = s->vaddr;
			b[nb].sym = s->sym;
			b[nb].execs = e;
			nb++;
		}
		b[nb - 1].n_insns += s->n_insns;
		b[nb - 1].insns += e * s->n_insns;
	}
	qsort(b, nb, sizeof(*b), cmp_block_vaddr);
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

static void write_header(struct outbuf *f)
{
	OUT(f, "emudiff-qemu-plugin %d\n", OUTPUT_VERSION);
	OUT(f, "arch %s\n", cfg.arch == GUEST_RISCV64 ? "riscv64" : "x86_64");
	OUT(f, "system %d\n", cfg.system);
	OUT(f, "mode %s\n", cfg.exact ? "exact" : "default");
	OUT(f, "plugin_api %d\n", QEMU_PLUGIN_VERSION);
	OUT(f, "counting %s\n", callback_mode ? "callback" : "inline");
	OUT(f, "options %s\n", cfg.options);
	if (!cfg.system && api_start_code && api_entry_code) {
		OUT(f, "start_code 0x%" PRIx64 "\n", start_code);
		OUT(f, "entry_code 0x%" PRIx64 "\n", entry_code);
	}
}

/* A mark on the previous one's thread is written by difference (an m line
 * of format 5), and as "m DNS" when its id and instructions repeat the last
 * m line's: a marker-heavy loop writes a few bytes per hit. */
struct mark_rep {
	bool on; /* an m line since the last mark line, of this id and difference */
	int32_t id;
	uint64_t d;
};

static char *put_mark(char *p, size_t i, const struct mark *m, const struct mark *prev,
		      uint64_t ns, uint64_t prev_ns, const int *ordinal, struct mark_rep *rep)
{
	if (!prev || prev->thread != m->thread) {
		rep->on = false;
		p = put_u64(put_str(p, "mark "), i);
		*p++ = ' ';
		p = put_u64(p, (uint64_t)ordinal[m->thread]);
		*p++ = ' ';
		p = put_u64(p, (uint64_t)m->id);
		*p++ = ' ';
		p = put_u64(p, m->insns);
		*p++ = ' ';
		return put_u64(p, ns);
	}
	uint64_t d = m->insns - prev->insns;

	p = put_str(p, "m ");
	if (!rep->on || m->id != rep->id || d != rep->d) {
		*rep = (struct mark_rep){ true, m->id, d };
		p = put_u64(p, (uint64_t)m->id);
		*p++ = ' ';
		p = put_u64(p, d);
		*p++ = ' ';
	}
	return put_i64(p, (int64_t)(ns - prev_ns));
}

static void write_marks(struct outbuf *f, const int *ordinal)
{
	uint64_t origin, prev_ns = 0;
	double scale = stamp__scale(&origin);
	const struct mark *prev = NULL;
	struct mark_rep rep = { 0 };

	for (size_t i = 0; i < marks.n; i++) {
		const struct mark *m = chunked__at(&marks, i);
		/* since the plugin was loaded: shorter, and differences are what count */
		uint64_t ns = (uint64_t)((double)(m->stamp - origin) * scale);
		char *p = outbuf__room(f, 128);

		p = put_mark(p, i, m, prev, ns, prev_ns, ordinal, &rep);
		*p++ = '\n';
		outbuf__put(f, p);
		f->lines++;
		prev = m;
		prev_ns = ns;
		for (int v = 0; v < V_COUNT && (cfg.mem || cfg.mix); v++)
			if (value_enabled(v)) {
				const uint64_t *val = chunked__at(&mark_values, i);

				OUT(f, "value %zu %s %" PRIu64 "\n", i, value_name(v), val[v]);
			}
	}
}

static void write_events(struct outbuf *f, const int *ordinal)
{
	for (size_t i = 0; i < events.cap; i++) {
		const struct event_count *e = &events.slots[i];

		if (e->kind)
			OUT(f, "event %" PRId64 " %s %s %" PRIu64 "\n", seq_out(e->seq, ordinal), e->kind,
			    e->detail[0] ? e->detail : "-", e->count);
	}
}

/* thread and thread_total lines by ordinal; the run's totals are their sums. */
static void write_threads(struct outbuf *f, const int *ordinal, uint64_t *insns, uint64_t *values,
			  uint64_t *syscalls)
{
	int *by_ordinal = plugin_zalloc((n_threads + 1) * sizeof(int));

	for (size_t i = 0; i < n_threads; i++)
		by_ordinal[ordinal[i]] = (int)i;
	for (size_t k = 0; k < n_threads; k++) {
		size_t id = (size_t)by_ordinal[k];
		uint64_t n, val[V_COUNT] = { 0 };

		thread__totals(id, &n, val);
		OUT(f, "thread %zu %d\n", k, threads[id].vcpu);
		OUT(f, "thread_total %zu insns %" PRIu64 "\n", k, n);
		if (!cfg.system)
			OUT(f, "thread_total %zu syscalls %" PRIu64 "\n", k, threads[id].syscalls);
		for (int v = 0; v < V_COUNT; v++)
			if (value_enabled(v))
				OUT(f, "thread_total %zu %s %" PRIu64 "\n", k, value_name(v), val[v]);
		*insns += n;
		*syscalls += threads[id].syscalls;
		for (int v = 0; v < V_COUNT; v++)
			values[v] += val[v];
	}
	free(by_ordinal);
}

/* Threads, totals and the exit status; host_ns up to end_ns. */
static void write_totals(struct outbuf *f, const int *ordinal, uint64_t end_ns, bool final)
{
	uint64_t insns = 0, syscalls = 0, values[V_COUNT] = { 0 };

	write_threads(f, ordinal, &insns, values, &syscalls);
	OUT(f, "total insns %" PRIu64 "\n", insns);
	OUT(f, "total host_ns %" PRIu64 "\n", end_ns - start_ns);
	if (!cfg.system)
		OUT(f, "total syscalls %" PRIu64 "\n", syscalls);
	for (int v = 0; v < V_COUNT; v++)
		if (value_enabled(v))
			OUT(f, "total %s %" PRIu64 "\n", value_name(v), values[v]);
	/* exit_group, or the exit of the last thread: the process ends when
	 * every thread left has entered exit (exit_code: the last one's status) */
	bool ended = have_exit_code || (final && n_live > 0);

	for (unsigned int v = 0; !have_exit_code && v < n_vcpu_slots; v++)
		if (vcpus[v] && vcpus[v]->thread >= 0 && !vcpus[v]->exiting)
			ended = false;
	if (ended)
		OUT(f, "exit %" PRId64 "\n", exit_code);
}

/* Every record, in the format's order, then the end line; 0 or -1. */
static int write_file(const char *tmp, bool final)
{
	uint64_t end_ns = host_ns();
	struct outbuf ob, *f = &ob;
	int *ordinal;

	if (outbuf__open(f, tmp)) {
		fprintf(stderr, "emudiff plugin: cannot write %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	write_header(f);
	if (invalid) {
		OUT(f, "invalid %s\n", invalid);
	} else {
		ordinal = threads__ordinals();
		write_marks(f, ordinal);
		/* a system call still pending at exit (exit, execve) is counted too;
		 * not on SIGTERM, where the guest may go on and return from it */
		if (final)
			syscalls_flush_pending();
		write_events(f, ordinal);
		write_symbols(f);
		if (cfg.marksyms)
			write_msyms(f, ordinal);
		write_blocks(f);
		maps__write(f);
		write_totals(f, ordinal, end_ns, final);
		free(ordinal);
	}
	outbuf__line(f, "end %lu\n", f->lines);
	if (outbuf__close(f)) {
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
