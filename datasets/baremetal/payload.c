/*
 * payload.c - emudiff's bare-metal riscv64 payload: the unikernel-shaped case.
 *
 * Runs in S-mode under OpenSBI on QEMU's -M virt (or a board), with no OS:
 *   compute  - integer work, no traps (work_compute)
 *   calls    - WORK_SYSTEM_CALLS SBI calls (base extension, probe_extension),
 *              the bare-metal counterpart of a syscall: an ecall into M-mode
 *   timer    - WORK_TIMER_TICKS timer interrupts: SBI set_timer, then wfi until
 *              trap_vector has taken the supervisor timer interrupt
 *   memory   - touches WORK_MEMORY_BYTES of .bss (work_touch)
 *   latency  - WORK_LATENCY_TICKS timer deadlines through SBI set_timer, then as
 *              many through the Sstc stimecmp CSR where the hart has it; each
 *              interrupt's latency, time CSR at handler entry minus the
 *              programmed deadline, printed as "@emudiff lat timer_sbi ticks=<n>"
 *              (timer_sstc) in the same region
 * and then powers the machine off with SBI SRST, so QEMU exits by itself.
 *
 * Each phase starts at a named marker; built with -DEMUDIFF_FREESTANDING the
 * marker also prints "@emudiff mark <id> cycles=.. instret=.. time=.." on the
 * SBI console, which `emudiff collect console` (or `collect hw-kvm`) parses.
 */
#include <emudiff/mark.h>

#include "put.h"
#include "sbi.h"
#include "work.h"

#include <stddef.h>
#include <stdint.h>

#define SCAUSE_INTERRUPT (1ull << 63)
#define IRQ_S_TIMER 5
#define CAUSE_ILLEGAL_INSN 2
#define CSR_STIMECMP "0x14d"
#define SIE_STIE (1ull << IRQ_S_TIMER)
#define SSTATUS_SIE (1ull << 1)

/* Timer period in ticks of the time CSR (10 MHz on QEMU virt: 100 us). */
#define TIMER_PERIOD_TICKS 1000u

/* The console the marker runtime prints through (mark.h's freestanding contract). */
void emudiff_putchar(int c)
{
	sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, c, 0);
}

static uint64_t read_time(void)
{
	uint64_t t;

	__asm__ volatile("rdtime %0" : "=r"(t));
	return t;
}

static void timer_arm(uint64_t when)
{
	sbi_call(SBI_EXT_TIME, SBI_TIME_SET_TIMER, (long)when, 0);
}

/* Written by the trap handler, read by the waiting loop. */
static volatile unsigned timer_ticks;
/* The latency phase: the deadline armed, the time the handler saw it, the
 * timer in use (0: SBI, 1: Sstc), a probe expecting an illegal instruction. */
static volatile uint64_t lat_deadline, lat_seen;
static volatile int lat_sstc, probing, probe_failed;
static volatile unsigned unexpected_traps;
static volatile uint64_t last_unexpected_cause;

/* Called from trap_vector (start.S) with the trap's CSRs. */
void trap_handle(uint64_t scause, uint64_t sepc, uint64_t stval);
void trap_handle(uint64_t scause, uint64_t sepc, uint64_t stval)
{
	(void)stval;
	if (scause == (SCAUSE_INTERRUPT | IRQ_S_TIMER)) {
		lat_seen = read_time();
		/* Push the deadline out of reach: this clears the pending bit. */
		if (lat_sstc)
			__asm__ volatile("csrw " CSR_STIMECMP ", %0" ::"r"(UINT64_MAX));
		else
			timer_arm(UINT64_MAX);
		timer_ticks = timer_ticks + 1;
		return;
	}
	if (probing && scause == CAUSE_ILLEGAL_INSN) {
		/* the Sstc probe: no stimecmp (or STCE not granted); skip the csrr */
		probe_failed = 1;
		__asm__ volatile("csrw sepc, %0" ::"r"(sepc + 4));
		return;
	}
	/* Nothing else is expected; count it and stop the run instead of looping. */
	unexpected_traps = unexpected_traps + 1;
	last_unexpected_cause = scause;
	put_str("payload: unexpected trap scause=");
	put_u64(scause);
	put_str("\n");
	sbi_call(SBI_EXT_SRST, SBI_SRST_RESET, 0, 1 /* system failure */);
	for (;;)
		__asm__ volatile("wfi");
}

static unsigned phase_calls(unsigned n)
{
	unsigned present = 0;

	for (unsigned i = 0; i < n; i++) {
		/* probe_extension(TIME): cheap, always answered by the SBI firmware */
		struct sbiret r = sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, SBI_EXT_TIME, 0);
		present += r.error == 0 && r.value != 0;
	}
	return present;
}

static void phase_timer(unsigned n)
{
	unsigned start = timer_ticks;

	/*
	 * The interrupt is enabled in sie but taken only in a short window with
	 * sstatus.SIE set: wfi wakes on a pending interrupt that sie enables even
	 * while SIE is clear, so a tick cannot slip in between the check of
	 * timer_ticks and the wfi (that would sleep for ever).
	 */
	__asm__ volatile("csrc sstatus, %0" ::"r"(SSTATUS_SIE));
	__asm__ volatile("csrs sie, %0" ::"r"(SIE_STIE));
	for (unsigned i = 0; i < n; i++) {
		timer_arm(read_time() + TIMER_PERIOD_TICKS);
		while (timer_ticks == start + i) {
			__asm__ volatile("wfi");
			__asm__ volatile("csrs sstatus, %0" ::"r"(SSTATUS_SIE));
			__asm__ volatile("csrc sstatus, %0" ::"r"(SSTATUS_SIE));
		}
	}
	__asm__ volatile("csrc sie, %0" ::"r"(SIE_STIE));
}

/* Does reading stimecmp work here (Sstc, and M-mode set menvcfg.STCE)? */
static int have_sstc(void)
{
	uint64_t v;

	probing = 1;
	probe_failed = 0;
	__asm__ volatile(".option push\n.option norvc\ncsrr %0, " CSR_STIMECMP "\n.option pop"
			 : "=r"(v)::"memory");
	probing = 0;
	(void)v;
	return !probe_failed;
}

static void print_lat(const char *name, uint64_t ticks)
{
	put_str("@emudiff lat ");
	put_str(name);
	put_kv("ticks", ticks);
	put_str("\n");
}

/* n deadlines WORK_LATENCY_PERIOD ticks ahead; latencies into lat[n]. */
static void latency_run(unsigned n, int sstc, uint64_t *lat)
{
	unsigned start = timer_ticks;

	lat_sstc = sstc;
	__asm__ volatile("csrc sstatus, %0" ::"r"(SSTATUS_SIE));
	__asm__ volatile("csrs sie, %0" ::"r"(SIE_STIE));
	for (unsigned i = 0; i < n; i++) {
		lat_deadline = read_time() + WORK_LATENCY_PERIOD;
		if (sstc)
			__asm__ volatile("csrw " CSR_STIMECMP ", %0" ::"r"(lat_deadline));
		else
			timer_arm(lat_deadline);
		while (timer_ticks == start + i) {
			__asm__ volatile("wfi");
			__asm__ volatile("csrs sstatus, %0" ::"r"(SSTATUS_SIE));
			__asm__ volatile("csrc sstatus, %0" ::"r"(SSTATUS_SIE));
		}
		lat[i] = lat_seen - lat_deadline;
	}
	__asm__ volatile("csrc sie, %0" ::"r"(SIE_STIE));
	lat_sstc = 0;
}

/* The latency phase; returns the number of interrupts measured. */
static unsigned phase_latency(void)
{
	static uint64_t lat[WORK_LATENCY_TICKS];
	unsigned before = timer_ticks;

	latency_run(WORK_LATENCY_TICKS, 0, lat);
	for (unsigned i = 0; i < WORK_LATENCY_TICKS; i++)
		print_lat("timer_sbi", lat[i]);
	if (have_sstc()) {
		latency_run(WORK_LATENCY_TICKS, 1, lat);
		for (unsigned i = 0; i < WORK_LATENCY_TICKS; i++)
			print_lat("timer_sstc", lat[i]);
	}
	return timer_ticks - before;
}

static uint8_t memory_area[WORK_MEMORY_BYTES] __attribute__((aligned(64)));

void payload_main(unsigned long hartid, unsigned long dtb);
void payload_main(unsigned long hartid, unsigned long dtb)
{
	uint64_t checksum, touched;
	unsigned probes, irqs, lat_irqs;

	(void)dtb;
	put_str("payload: emudiff bare-metal riscv64 payload, hart ");
	put_u64(hartid);
	put_str("\n");

	EMUDIFF_MARK_NAMED(1, "compute");
	checksum = work_compute(WORK_COMPUTE_ROUNDS);
	EMUDIFF_MARK_NAMED(2, "sbi_calls");
	probes = phase_calls(WORK_SYSTEM_CALLS);
	EMUDIFF_MARK_NAMED(3, "timer_irqs");
	phase_timer(WORK_TIMER_TICKS);
	irqs = timer_ticks;
	EMUDIFF_MARK_NAMED(4, "memory");
	touched = work_touch(memory_area, sizeof(memory_area), WORK_MEMORY_PASSES);
	EMUDIFF_MARK_NAMED(5, "timer_latency");
	lat_irqs = phase_latency();
	EMUDIFF_MARK_NAMED(6, "end");

	put_str("payload: done");
	put_kv("checksum", checksum);
	put_kv("sbi_calls", WORK_SYSTEM_CALLS);
	put_kv("probe_ok", probes);
	put_kv("timer_irqs", irqs);
	put_kv("touched", touched);
	put_kv("unexpected_traps", unexpected_traps);
	put_kv("latency_irqs", lat_irqs);
	put_str("\n");
	/* the console collector learns the exit status from this line */
	EMUDIFF_EXIT(unexpected_traps || probes != WORK_SYSTEM_CALLS ? 1 : 0);

	sbi_call(SBI_EXT_SRST, SBI_SRST_RESET, 0 /* shutdown */, 0 /* no reason */);
	/* SBI without SRST (older than v0.3): the legacy shutdown call. */
	sbi_call(SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0);
}
