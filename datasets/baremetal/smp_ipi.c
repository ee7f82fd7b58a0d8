/*
 * smp_ipi.c - the SMP payload's IPI latency phase: the coordinator (ordinal
 * 0) sends SMP_IPI_COUNT inter-processor interrupts to the receiver
 * (ordinal 1), each at a programmed time SMP_IPI_PERIOD ticks after the
 * previous one was taken, and the receiver's handler reads the time CSR
 * (both harts read the same mtime through rdtime). The latency of one IPI
 * is the handler's time minus the time read just before sending, printed as
 * "@emudiff lat <kind> ticks=<n>" (metric lat_<kind>_ns), for two ways of
 * sending:
 *   ipi_sbi   SBI IPI extension send_ipi: an ecall; the firmware raises the
 *             receiver's machine software interrupt (CLINT/ACLINT MSWI, M-mode
 *             only, protected by PMP), whose M-mode handler sets its SSIP
 *   ipi_sswi  a store to the receiver's SETSSIP register of an ACLINT SSWI
 *             device (QEMU: -M virt,aclint=on), which S-mode may write: SSIP
 *             directly, no firmware. Skipped when the device tree has none.
 * Both arrive as a supervisor software interrupt; the handler clears SSIP.
 */
#include "smp.h"

#include "put.h"
#include "sbi.h"

#include <stddef.h>
#include <stdint.h>

#define SCAUSE_S_SOFT ((1ull << 63) | 1)
#define SIP_SSIP (1ull << 1)
#define SIE_SSIE (1ull << 1)
#define SSTATUS_SIE (1ull << 1)

/* The ACLINT SSWI device: one 32-bit SETSSIP register per hart, register i
 * for hart id i (QEMU virt, one socket; docs/virtualization.md). */
static volatile uint32_t *sswi;
/* receiver: ready to take IPIs; the coordinator's hart, which it kicks
 * when it took one; armed: an IPI of the coordinator is on its way (other
 * software interrupts, late kicks of the barriers, are ignored); the
 * handler's times, in order */
static volatile unsigned ipi_ready, ipi_armed, ipi_taken;
static uint64_t ipi_coordinator;
static volatile uint64_t ipi_seen[2 * SMP_IPI_COUNT];

/* ---- the device tree: the reg of the node compatible with "riscv,aclint-sswi" */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int str_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* Does the stringlist v[0..len) hold s? */
static int strlist_has(const char *v, uint32_t len, const char *s)
{
	for (uint32_t i = 0; i < len; i++) {
		if (str_eq(v + i, s))
			return 1;
		while (i < len && v[i])
			i++;
	}
	return 0;
}

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_DEPTH 16

/* The first address of the reg of the first node compatible with compat
 * (#address-cells 1 or 2 in its parent); 0 when there is none. */
static uint64_t fdt_reg_of(const uint8_t *fdt, const char *compat)
{
	uint32_t size, off, strings, cells[FDT_DEPTH];
	uint64_t reg[FDT_DEPTH];
	int match[FDT_DEPTH], depth = 0;

	if (!fdt || be32(fdt) != FDT_MAGIC)
		return 0;
	size = be32(fdt + 4);
	off = be32(fdt + 8);
	strings = be32(fdt + 12);
	cells[0] = 2;
	while (off + 4 <= size) {
		uint32_t tok = be32(fdt + off);

		off += 4;
		if (tok == FDT_BEGIN_NODE) {
			while (off < size && fdt[off])
				off++;
			off = (off + 4) & ~3u; /* the NUL, then padding */
			if (++depth >= FDT_DEPTH)
				return 0;
			cells[depth] = 2; /* the default #address-cells of its children */
			match[depth] = 0;
			reg[depth] = 0;
		} else if (tok == FDT_PROP && off + 8 <= size) {
			uint32_t len = be32(fdt + off), name = be32(fdt + off + 4);
			const uint8_t *v = fdt + off + 8;
			const char *pname = (const char *)fdt + strings + name;

			if (off + 8 + len > size || strings + name >= size)
				return 0;
			if (str_eq(pname, "#address-cells") && len == 4)
				cells[depth] = be32(v);
			else if (str_eq(pname, "compatible"))
				match[depth] = strlist_has((const char *)v, len, compat);
			else if (str_eq(pname, "reg") && depth > 0 && len >= 4 * cells[depth - 1])
				reg[depth] = cells[depth - 1] == 2 ? (uint64_t)be32(v) << 32 | be32(v + 4) :
					     cells[depth - 1] == 1 ? be32(v) : 0;
			off = (off + 8 + len + 3) & ~3u;
		} else if (tok == FDT_END_NODE && depth > 0) {
			if (match[depth] && reg[depth])
				return reg[depth];
			depth--;
		} else if (tok != FDT_NOP) {
			break; /* FDT_END or damage */
		}
	}
	return 0;
}

void smp_ipi_probe(const void *fdt)
{
	sswi = (volatile uint32_t *)(uintptr_t)fdt_reg_of(fdt, "riscv,aclint-sswi");
}

/* ---- receiver (ordinal 1) ------------------------------------------------ */

int smp_ipi_interrupt(uint64_t scause)
{
	uint64_t now = smp_time();
	unsigned n = ipi_taken;

	if (scause != SCAUSE_S_SOFT)
		return 0;
	__asm__ volatile("csrc sip, %0" ::"r"(SIP_SSIP));
	if (!__atomic_load_n(&ipi_armed, __ATOMIC_ACQUIRE))
		return 1;
	ipi_armed = 0;
	if (n < 2 * SMP_IPI_COUNT)
		ipi_seen[n] = now;
	__atomic_store_n(&ipi_taken, n + 1, __ATOMIC_RELEASE);
	smp_kick(ipi_coordinator);
	return 1;
}

void smp_ipi_receive(uint64_t coordinator)
{
	/*
	 * As the single-hart payload's timer phase: SSIE on, sstatus.SIE set only
	 * for a moment after each wfi (wfi wakes on an interrupt sie enables even
	 * with SIE clear), so the handler runs between two wfi, never inside one.
	 */
	ipi_coordinator = coordinator;
	__asm__ volatile("csrc sstatus, %0" ::"r"(SSTATUS_SIE));
	__asm__ volatile("csrs sie, %0" ::"r"(SIE_SSIE));
	__atomic_store_n(&ipi_ready, 1, __ATOMIC_RELEASE);
	smp_kick(coordinator);
	for (;;) {
		__asm__ volatile("wfi");
		__asm__ volatile("csrs sstatus, %0" ::"r"(SSTATUS_SIE));
		__asm__ volatile("csrc sstatus, %0" ::"r"(SSTATUS_SIE));
	}
}

/* ---- coordinator (ordinal 0) --------------------------------------------- */

/* Send IPIs of one kind, each SMP_IPI_PERIOD ticks after the previous was
 * taken (a spin on the time CSR: the receiver sleeps meanwhile); their
 * latencies in ticks into lat[]. */
static void ipi_run(int use_sswi, uint64_t target, uint64_t *lat)
{
	for (unsigned i = 0; i < SMP_IPI_COUNT; i++) {
		unsigned n = __atomic_load_n(&ipi_taken, __ATOMIC_ACQUIRE);
		uint64_t at = smp_time() + SMP_IPI_PERIOD, sent;

		while (smp_time() < at)
			;
		sent = smp_time();
		__atomic_store_n(&ipi_armed, 1, __ATOMIC_RELEASE);
		if (use_sswi) {
			__asm__ volatile("fence w, o" ::: "memory");
			sswi[target] = 1;
		} else {
			/* hart_mask 1 at hart_mask_base target: just that hart */
			struct sbiret r = sbi_call(SBI_EXT_IPI, SBI_IPI_SEND, 1, (long)target);

			if (r.error)
				smp_fail("SBI send_ipi failed, error", (uint64_t)r.error);
		}
		smp_wait_for(&ipi_taken, n + 1);
		lat[i] = ipi_seen[n] - sent;
	}
}

static void print_lats(const char *name, const uint64_t *lat)
{
	console_lock();
	for (unsigned i = 0; i < SMP_IPI_COUNT; i++) {
		put_str("@emudiff lat ");
		put_str(name);
		put_kv("ticks", lat[i]);
		put_str("\n");
	}
	console_unlock();
}

void smp_ipi_send(uint64_t target)
{
	static uint64_t lat[SMP_IPI_COUNT];
	struct sbiret ipi = sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, SBI_EXT_IPI, 0);

	smp_wait_for(&ipi_ready, 1);
	if (ipi.error == 0 && ipi.value != 0) {
		ipi_run(0, target, lat);
		print_lats("ipi_sbi", lat);
	}
	if (sswi) {
		ipi_run(1, target, lat);
		print_lats("ipi_sswi", lat);
	}
	console_lock();
	put_str("payload: ipi");
	put_kv("sbi", ipi.error == 0 && ipi.value != 0 ? SMP_IPI_COUNT : 0);
	put_kv("sswi", sswi ? SMP_IPI_COUNT : 0);
	put_kv("taken", ipi_taken);
	put_str("\n");
	console_unlock();
}
