/*
 * smp.c - emudiff's SMP bare-metal riscv64 payload: every hart runs marked
 * phases of known instruction counts, then two harts measure IPI latency.
 *
 * Runs in S-mode under OpenSBI on QEMU's -M virt -smp N (or a board). The
 * hart OpenSBI boots (any of them: OpenSBI picks one) enters through
 * start.S, finds the other harts with SBI HSM hart_get_status and starts
 * them (hart_start) at smp_secondary_entry. Harts are numbered by hart id
 * (ordinal 0 = the lowest), as `emudiff collect console` numbers them. Each
 * hart then runs, between markers recorded by smp_work.S:
 *   10 smp_spin  (k + 1) * SMP_SPIN_ITERS iterations of 4 instructions on
 *                ordinal k: a known imbalance
 *   11 smp_mix   SMP_MIX_PASSES passes over its own SMP_MIX_WORDS words
 *   12 smp_wait  waits for every hart (a barrier: not an exact count)
 *   13 smp_done
 * and prints its four hits, in ordinal turn, as
 * "@emudiff mark <id> hart=<h> cycles=.. instret=.. time=..". Ordinal 0
 * waits for every hart's lines, then (marker 14, ipi_latency) sends IPIs to
 * ordinal 1 (smp_ipi.c) and prints their latencies ("@emudiff lat ipi_sbi
 * ticks=<n>", "ipi_sswi"), marks 15 (end), prints the results and powers the
 * machine off with SBI SRST. The other harts wait in wfi. Every wait is a
 * wfi ended by an IPI (smp.h says why), so that the payload also runs under
 * -icount, where each hart's instret deltas over the exact phases are then
 * its own counts.
 */
#include "smp.h"

#include <stddef.h>
#include <stdint.h>

/* The marker runtime's SMP hooks (emudiff/mark.h): the hart id lives in tp. */
static inline uint64_t smp_self(void)
{
	uint64_t h;

	__asm__ volatile("mv %0, tp" : "=r"(h));
	return h;
}
#define EMUDIFF_HART() smp_self()
#define EMUDIFF_CONSOLE_LOCK() console_lock()
#define EMUDIFF_CONSOLE_UNLOCK() console_unlock()
#include <emudiff/mark.h>

#include "put.h"
#include "sbi.h"

#define SIP_SSIP (1ull << 1)
#define SIE_SSIE (1ull << 1)

/* Per hart, by ordinal; one cache line at least each, so harts share none. */
struct hart {
	struct smp_hit hits[SMP_HITS];
	uint64_t mix[SMP_MIX_WORDS];
} __attribute__((aligned(64)));

static struct hart harts[SMP_MAX_HARTS];
static uint64_t hart_ids[SMP_MAX_HARTS]; /* ordinal -> hart id */
static unsigned n_harts;
static uint8_t stacks[SMP_MAX_HARTS][SMP_STACK_BYTES] __attribute__((aligned(16)));
/* barriers and the coordinator's wait: harts arrived / done / printed */
static volatile unsigned arrived, worked, printed;
static volatile int console_word;

void emudiff_putchar(int c)
{
	sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, c, 0);
}

/* Taken only by a hart whose turn it is to print (or that fails): no wait
 * worth a wfi. */
void console_lock(void)
{
	while (__atomic_exchange_n(&console_word, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&console_word, __ATOMIC_RELAXED))
			;
}

void console_unlock(void)
{
	__atomic_store_n(&console_word, 0, __ATOMIC_RELEASE);
}

uint64_t smp_time(void)
{
	uint64_t t;

	__asm__ volatile("rdtime %0" : "=r"(t));
	return t;
}

/* Wake a hart waiting in smp_wait_for (after the store it waits for). */
void smp_kick(uint64_t hart)
{
	/* hart_mask 1 at hart_mask_base hart: that hart only */
	struct sbiret r = sbi_call(SBI_EXT_IPI, SBI_IPI_SEND, 1, (long)hart);

	if (r.error)
		smp_fail("SBI send_ipi failed for hart", hart);
}

/* Until *v >= want, in wfi between looks: a kick (or any interrupt sie
 * enables) ends the wfi; its SSIP is cleared before the next look. */
void smp_wait_for(volatile unsigned *v, unsigned want)
{
	while (__atomic_load_n(v, __ATOMIC_ACQUIRE) < want) {
		__asm__ volatile("wfi");
		__asm__ volatile("csrc sip, %0" ::"r"(SIP_SSIP));
	}
}

static void shutdown(int failed) __attribute__((noreturn));
static void shutdown(int failed)
{
	sbi_call(SBI_EXT_SRST, SBI_SRST_RESET, 0 /* shutdown */, failed /* system failure */);
	/* SBI without SRST (older than v0.3): the legacy shutdown call. */
	sbi_call(SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0);
	for (;;)
		__asm__ volatile("wfi");
}

/* Something that must not happen: say what, exit status 1, power off. */
void smp_fail(const char *why, uint64_t detail)
{
	console_lock();
	put_str("payload: hart ");
	put_u64(smp_self());
	put_str(": ");
	put_str(why);
	put_kv("detail", detail);
	put_str("\n");
	console_unlock();
	EMUDIFF_EXIT(1);
	shutdown(1);
}

/* Called from trap_vector (start.S) with the trap's CSRs. */
void trap_handle(uint64_t scause, uint64_t sepc, uint64_t stval);
void trap_handle(uint64_t scause, uint64_t sepc, uint64_t stval)
{
	(void)sepc;
	(void)stval;
	if (!smp_ipi_interrupt(scause))
		smp_fail("unexpected trap, scause", scause);
}

/*
 * The last hart to arrive kicks each other hart once. The others wait for
 * that kick itself (its SSIP, which the firmware's handler of the machine
 * software interrupt sets), not only for the count: a kick still on its way
 * would run that handler, firmware instructions, inside the exact phase
 * that follows. Every kick a barrier sends is consumed by it.
 */
static void barrier(volatile unsigned *count, unsigned self)
{
	uint64_t sip;

	if (__atomic_add_fetch(count, 1, __ATOMIC_ACQ_REL) == n_harts) {
		for (unsigned o = 0; o < n_harts; o++)
			if (o != self)
				smp_kick(hart_ids[o]);
		return;
	}
	for (;;) {
		__asm__ volatile("csrr %0, sip" : "=r"(sip));
		if (sip & SIP_SSIP)
			break;
		__asm__ volatile("wfi");
	}
	__asm__ volatile("csrc sip, %0" ::"r"(SIP_SSIP));
	smp_wait_for(count, n_harts);
}

static unsigned ordinal_of(uint64_t hartid)
{
	for (unsigned o = 0; o < n_harts; o++)
		if (hart_ids[o] == hartid)
			return o;
	smp_fail("hart not found by the boot hart", hartid);
	return 0;
}

/* The recorded hits, one line each, in ordinal turn (so the log's order is
 * the same every run and no hart waits for the lock); then the next hart's
 * turn, and the coordinator counts the harts done. */
static void print_hits(unsigned o)
{
	static const unsigned ids[SMP_HITS] = { SMP_MARK_SPIN, SMP_MARK_MIX, SMP_MARK_WAIT, SMP_MARK_DONE };

	smp_wait_for(&printed, o);
	console_lock();
	for (unsigned i = 0; i < SMP_HITS; i++) {
		const struct smp_hit *h = &harts[o].hits[i];
		struct emudiff_mark_values v = {
			.have = EMUDIFF_HAVE_CYCLES | EMUDIFF_HAVE_INSTRET | EMUDIFF_HAVE_TIME,
			.cycles = h->cycles,
			.instret = h->instret,
			.time = h->time,
		};

		emudiff_mark_console_print(ids[i], (long)hart_ids[o], &v);
	}
	console_unlock();
	__atomic_add_fetch(&printed, 1, __ATOMIC_RELEASE);
	if (o + 1 < n_harts)
		smp_kick(hart_ids[o + 1]);
	if (o != 0)
		smp_kick(hart_ids[0]);
}

static void park(void) __attribute__((noreturn));
static void park(void)
{
	__asm__ volatile("csrc sie, %0" ::"r"(SIE_SSIE));
	for (;;)
		__asm__ volatile("wfi");
}

/* Ordinal 0, after every hart printed its hits. */
static void coordinate(void) __attribute__((noreturn));
static void coordinate(void)
{
	uint64_t mix = 0;

	smp_wait_for(&printed, n_harts);
	EMUDIFF_MARK_NAMED(14, "ipi_latency");
	if (n_harts > 1)
		smp_ipi_send(hart_ids[1]);
	EMUDIFF_MARK_NAMED(15, "end");

	for (unsigned o = 0; o < n_harts; o++)
		for (unsigned j = 0; j < SMP_MIX_WORDS; j++)
			mix += harts[o].mix[j];
	console_lock();
	put_str("payload: smp done");
	put_kv("harts", n_harts);
	put_kv("mix", mix);
	put_str("\n");
	console_unlock();
	/* every word got passes + (passes - 1) + ... + 1 */
	EMUDIFF_EXIT(mix == (uint64_t)n_harts * SMP_MIX_WORDS * SMP_MIX_PASSES * (SMP_MIX_PASSES + 1) / 2 ? 0 : 1);
	shutdown(0);
}

static void hart_run(unsigned o) __attribute__((noreturn));
static void hart_run(unsigned o)
{
	/* kicks wake wfi; sstatus.SIE stays clear, so they never trap */
	__asm__ volatile("csrs sie, %0" ::"r"(SIE_SSIE));
	barrier(&arrived, o);
	smp_work(harts[o].hits, (uint64_t)(o + 1) * SMP_SPIN_ITERS, harts[o].mix, SMP_MIX_PASSES);
	barrier(&worked, o);
	smp_mark_done(harts[o].hits);
	print_hits(o);
	if (o == 0)
		coordinate();
	if (o == 1)
		smp_ipi_receive(hart_ids[0]);
	park();
}

/* The harts SBI HSM knows (ids below SMP_MAX_HARTS), ascending. */
static void find_harts(uint64_t self)
{
	struct sbiret hsm = sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, SBI_EXT_HSM, 0);

	n_harts = 0;
	for (uint64_t h = 0; h < SMP_MAX_HARTS; h++) {
		/* without HSM only the boot hart runs */
		int present = hsm.error == 0 && hsm.value != 0 ?
				      sbi_call(SBI_EXT_HSM, SBI_HSM_HART_STATUS, (long)h, 0).error == 0 :
				      h == self;

		if (present)
			hart_ids[n_harts++] = h;
	}
	if (self >= SMP_MAX_HARTS)
		smp_fail("boot hart id too large", self);
}

void smp_secondary(uint64_t hartid);
void smp_secondary(uint64_t hartid)
{
	__asm__ volatile("mv tp, %0" ::"r"(hartid));
	hart_run(ordinal_of(hartid));
}

void payload_main(unsigned long hartid, unsigned long dtb);
void payload_main(unsigned long hartid, unsigned long dtb)
{
	__asm__ volatile("mv tp, %0" ::"r"((uint64_t)hartid));
	find_harts(hartid);
	put_str("payload: emudiff SMP riscv64 payload");
	put_kv("harts", n_harts);
	put_str("\n");
	smp_ipi_probe((const void *)dtb);
	for (unsigned o = 0; o < n_harts; o++) {
		struct sbiret r;

		if (hart_ids[o] == hartid)
			continue;
		r = sbi_call3(SBI_EXT_HSM, SBI_HSM_HART_START, (long)hart_ids[o], (long)(uintptr_t)smp_secondary_entry,
			      (long)(uintptr_t)&stacks[o][SMP_STACK_BYTES]);
		if (r.error)
			smp_fail("SBI hart_start failed for hart", hart_ids[o]);
	}
	hart_run(ordinal_of(hartid));
}
