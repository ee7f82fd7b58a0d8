/*
 * plugin_vcpu.c - per-vCPU counters (banks), the vCPUs and the threads of the
 * run: which thread runs on which vCPU index, its ordinal (creation order),
 * its totals when it ends, and what a forked child keeps.
 *
 * QEMU reuses the index of a vCPU whose thread ended (user mode), so live
 * state is kept by index and history by thread: when a thread ends (its
 * vcpu_exit callback, or the next init of its index if QEMU did not say),
 * its totals are kept under its thread id, its per-segment executions are
 * added to the retired sums and its rows are zeroed for the next thread.
 *
 * Ordinals are the creation order. QEMU 7.2 calls vcpu_init on the creating
 * thread within its clone, which is that order; QEMU 9 on calls it on the new
 * thread when it starts, so two threads created back to back may init in
 * the other order. There the parent's clone return gives the child's place
 * (its tid), whichever of the two comes first; ordinals are the ranks of
 * these keys, given at write.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "plugin_state.h"

bool callback_mode;
struct bank *gbank;
struct vcpu *vcpus[MAX_VCPUS];
unsigned int n_vcpu_slots;
struct thread_rec *threads;
size_t n_threads, cap_threads, n_live;
const char *invalid;
__thread int tls_vcpu __attribute__((tls_model("initial-exec"))) = -1;

static struct bank **all_banks;
static size_t n_banks, cap_banks;
static int64_t order_clock; /* creation order: thread inits and clone returns */

/* Clone returns whose child has not started yet: its tid and place. */
struct clone_ret {
	pid_t tid;
	int64_t key;
};
static struct clone_ret *clone_rets;
static size_t n_clone_rets, cap_clone_rets;

/* ---- banks ---- */

#if QEMU_PLUGIN_VERSION < 2
static void bank_alloc_row(struct bank *b, unsigned int v)
{
	if (!b->rows[v])
		b->rows[v] = plugin_zalloc(b->k * sizeof(uint64_t));
}
#endif

struct bank *bank__new(uint32_t k)
{
	struct bank *b = plugin_zalloc(sizeof(*b));

	b->k = k;
#if QEMU_PLUGIN_VERSION >= 2
	b->sb = qemu_plugin_scoreboard_new(k * sizeof(uint64_t));
#else
	if (!callback_mode)
		bank_alloc_row(b, 0);
	for (unsigned int v = 0; callback_mode && v < n_vcpu_slots; v++)
		if (vcpus[v])
			bank_alloc_row(b, v);
#endif
	if (n_banks == cap_banks)
		all_banks = grow(all_banks, &cap_banks, sizeof(*all_banks));
	all_banks[n_banks++] = b;
	return b;
}

void bank__inline_add(struct qemu_plugin_insn *insn, struct bank *b, uint32_t slot, uint64_t n)
{
#if QEMU_PLUGIN_VERSION >= 2
	qemu_plugin_u64 e = { b->sb, slot * sizeof(uint64_t) };

	qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(insn, QEMU_PLUGIN_INLINE_ADD_U64, e, n);
#else
	qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &b->rows[0][slot], n);
#endif
}

static void bank_zero(const struct bank *b, unsigned int v)
{
	uint64_t *row = bank__row(b, v);

	if (row)
		memset(row, 0, b->k * sizeof(uint64_t));
}

/* ---- cached rows ---- */

unsigned int rows_gen = 1;

void on_flush(qemu_plugin_id_t id)
{
	(void)id;
	/* in QEMU's exclusive section: no vCPU runs guest code or a callback */
	__atomic_add_fetch(&rows_gen, 1, __ATOMIC_RELAXED);
}

static void rows_check(struct vcpu *vc)
{
	unsigned int gen = __atomic_load_n(&rows_gen, __ATOMIC_RELAXED);

	if (vc->rows_gen != gen) {
		vc->rows_gen = gen;
		vc->grow = NULL;
		vc->n_crow = 0;
	}
}

uint64_t *vcpu__grow_find(struct vcpu *vc, unsigned int v)
{
	rows_check(vc);
	if (!vc->grow)
		vc->grow = bank__row(gbank, v);
	return vc->grow;
}

uint64_t *vcpu__chunk_row_find(struct vcpu *vc, unsigned int v, size_t c)
{
	rows_check(vc);
	while (vc->n_crow <= c) {
		if (vc->n_crow == vc->cap_crow)
			vc->crow = grow(vc->crow, &vc->cap_crow, sizeof(*vc->crow));
		vc->crow[vc->n_crow] = bank__row(chunks[vc->n_crow], v);
		vc->n_crow++;
	}
	return vc->crow[c];
}

/* ---- threads ---- */

void counts__invalidate(const char *why)
{
	if (!invalid)
		invalid = strdup(why);
}

struct vcpu *vcpu__get(unsigned int v)
{
	struct vcpu *vc = v < MAX_VCPUS ? vcpus[v] : NULL;

	if (invalid)
		return NULL;
	if (!vc || vc->thread < 0) {
		/* QEMU announces every vCPU before it runs: never count a stranger */
		counts__invalidate("a vCPU ran guest code before QEMU announced it (vcpu_init)");
		return NULL;
	}
	tls_vcpu = (int)v;
	return vc;
}

/* The new thread's place in creation order (file comment). */
static int64_t creation_key(unsigned int v, struct thread_rec *t)
{
	if (cfg.system)
		return v; /* vCPUs are created in index order */
	if (tls_vcpu >= 0 && tls_vcpu != (int)v)
		return order_clock++; /* on the creating thread, within its clone */
	t->tid = (pid_t)syscall(SYS_gettid);
	tls_vcpu = (int)v;
	for (size_t i = 0; i < n_clone_rets; i++)
		if (clone_rets[i].tid == t->tid) {
			int64_t key = clone_rets[i].key;

			clone_rets[i] = clone_rets[--n_clone_rets];
			return key;
		}
	return order_clock++;
}

void threads__cloned(pid_t tid)
{
	state_lock();
	bool started = false;

	for (size_t i = 0; i < n_threads && !started; i++)
		started = threads[i].tid == tid;
	/* a child that started already has its place; a forked process never starts here */
	if (!started) {
		if (n_clone_rets == cap_clone_rets)
			clone_rets = grow(clone_rets, &cap_clone_rets, sizeof(*clone_rets));
		clone_rets[n_clone_rets++] = (struct clone_ret){ tid, order_clock++ };
	}
	state_unlock();
}

static void thread_start(unsigned int v)
{
	struct vcpu *vc = vcpus[v];
	struct thread_rec *t;

	if (n_threads == cap_threads)
		threads = grow(threads, &cap_threads, sizeof(*threads));
	t = &threads[n_threads];
	memset(t, 0, sizeof(*t));
	t->vcpu = (int)v;
	t->live = true;
	t->key = creation_key(v, t);
	vc->thread = (int)n_threads;
	vc->seq = -1 - (int64_t)n_threads;
	n_threads++;
	n_live++;
	msym_thread_started();
}

void thread__totals(size_t id, uint64_t *insns, uint64_t *values)
{
	const struct thread_rec *t = &threads[id];
	const struct vcpu *vc;
	const uint64_t *g;

	if (!t->live) {
		*insns = t->insns;
		memcpy(values, t->values, sizeof(t->values));
		return;
	}
	vc = vcpus[t->vcpu];
	g = bank__row(gbank, (unsigned int)t->vcpu);
	*insns = vcpu__insns(vcpus[t->vcpu], (unsigned int)t->vcpu);
	values[V_MEM] = vc->mem;
	values[V_PAGES] = vc->pages_done + vc->pages.n;
	for (int c = 0; c < GC_COUNT; c++)
		values[V_CLS0 + c] = g[G_CLS0 + c];
}

/* The thread on v ends: its last interval closed, its totals kept, its rows zeroed. */
static void thread_end(unsigned int v)
{
	struct vcpu *vc = vcpus[v];
	struct thread_rec *t = &threads[vc->thread];

	if (cfg.marksyms && !invalid)
		msym_close(v, vc, NULL, 0, vcpu__insns(vc, v));
	thread__totals((size_t)vc->thread, &t->insns, t->values);
	t->live = false;
	for (size_t c = 0; c < n_chunks; c++) {
		const uint64_t *row = bank__row(chunks[c], v);

		if (!retired[c])
			retired[c] = plugin_zalloc(SEG_CHUNK * sizeof(**retired));
		for (size_t j = 0; row && j < SEG_CHUNK; j++)
			retired[c][j] += row[j];
	}
	for (size_t b = 0; b < n_banks; b++)
		bank_zero(all_banks[b], v);
	vc->mem = 0;
	page_set__clear(&vc->pages);
	vc->pages_done = 0;
	vc->sc.active = false;
	vc->exiting = false;
	vc->guest_at_hs = 0;
	msym_vcpu_reset(vc);
	vc->thread = -1;
	n_live--;
}

void on_vcpu_init(qemu_plugin_id_t id, unsigned int v)
{
	char why[160];

	(void)id;
	state_lock();
	if (v >= MAX_VCPUS) {
		snprintf(why, sizeof(why), "vCPU index %u: the plugin counts vCPU indexes below %d", v,
			 MAX_VCPUS);
		counts__invalidate(why);
		state_unlock();
		return;
	}
	if (!vcpus[v]) {
		vcpus[v] = plugin_zalloc(sizeof(*vcpus[v]));
		vcpus[v]->thread = -1;
		if (v >= n_vcpu_slots)
			n_vcpu_slots = v + 1;
#if QEMU_PLUGIN_VERSION < 2
		for (size_t b = 0; callback_mode && b < n_banks; b++)
			bank_alloc_row(all_banks[b], v);
#endif
	} else if (vcpus[v]->thread >= 0) {
		thread_end(v); /* its end was not announced: the index is reused */
	}
	if (QEMU_PLUGIN_VERSION < 2 && !callback_mode && n_threads)
		counts__invalidate("the guest started a second thread, which this QEMU's plugin API "
				   "(shared inline counters) counts exactly only with threads=on "
				   "(emudiff collect qemu --threads)");
	thread_start(v);
	state_unlock();
}

void on_vcpu_exit(qemu_plugin_id_t id, unsigned int v)
{
	(void)id;
	state_lock();
	if (v < MAX_VCPUS && vcpus[v] && vcpus[v]->thread >= 0 && !output_written)
		thread_end(v);
	state_unlock();
}

uint64_t segment__execs(size_t i)
{
	const struct segment *s = segments[i];
	size_t c = i / SEG_CHUNK;
	uint64_t e = retired[c] ? retired[c][s->slot] : 0;

	for (unsigned int v = 0; v < n_vcpu_slots; v++)
		if (vcpus[v] && vcpus[v]->thread >= 0)
			e += bank__row(s->bank, v)[s->slot];
	return e;
}

static const int64_t *sort_keys;

static int cmp_thread(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	if (sort_keys[x] != sort_keys[y])
		return sort_keys[x] < sort_keys[y] ? -1 : 1;
	return x - y;
}

int *threads__ordinals(void)
{
	int *by_rank = plugin_zalloc((n_threads + 1) * sizeof(int));
	int *ordinal = plugin_zalloc((n_threads + 1) * sizeof(int));
	int64_t *keys = plugin_zalloc((n_threads + 1) * sizeof(int64_t));

	for (size_t i = 0; i < n_threads; i++) {
		by_rank[i] = (int)i;
		keys[i] = threads[i].key;
	}
	sort_keys = keys;
	qsort(by_rank, n_threads, sizeof(*by_rank), cmp_thread);
	for (size_t r = 0; r < n_threads; r++)
		ordinal[by_rank[r]] = (int)r;
	free(by_rank);
	free(keys);
	return ordinal;
}

/* In the child of a guest's fork only the forking thread runs on: it is
 * thread 0 of the child, which counts from zero (plugin_exit.c). */
void vcpus__fork_child(void)
{
	int me = tls_vcpu;

	for (size_t b = 0; b < n_banks; b++)
		for (unsigned int v = 0; v < n_vcpu_slots; v++)
			if (vcpus[v])
				bank_zero(all_banks[b], v);
	for (size_t c = 0; c < n_chunks; c++)
		if (retired[c])
			memset(retired[c], 0, SEG_CHUNK * sizeof(**retired));
	for (unsigned int v = 0; v < n_vcpu_slots; v++) {
		struct vcpu *vc = vcpus[v];

		if (!vc)
			continue;
		vc->mem = 0;
		page_set__clear(&vc->pages);
		vc->pages_done = 0;
		/* the forking thread's syscall returns in the child too; it is the child's */
		vc->sc.seq = -1;
		vc->exiting = false;
		msym_vcpu_reset(vc);
		vc->thread = -1;
	}
	n_threads = n_live = 0;
	n_clone_rets = 0;
	order_clock = 0;
	free((void *)invalid);
	invalid = NULL;
	if (me >= 0 && vcpus[me]) {
		thread_start((unsigned int)me);
		threads[0].tid = getpid();
	}
}
