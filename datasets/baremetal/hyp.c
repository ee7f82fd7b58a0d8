/*
 * hyp.c - emudiff's hypervisor payload: a bare-metal HS-mode program with a
 * VS-mode guest, for counting traps and VM exits per region under emulation
 * (QEMU -cpu rv64,h=true) and, on a board with the H extension, on hardware.
 *
 * Runs where baremetal-payload.elf runs (OpenSBI, S-mode at 0x80200000); with
 * the H extension S-mode is HS-mode. Two-stage translation is off (hgatp =
 * Bare, vsatp = 0), so guest physical = host physical: the guest is a few
 * functions of this image (section .text.guest) with their own stack and
 * trap vector. HYP_ROUNDS rounds k = 1, 2, 3 of four phases, each started by
 * a named marker printed by the host, with k times the base counts (so that
 * the regions differ in their event counts, which the per-event cost fit
 * needs):
 *   guest_breakpoints  the guest executes k * HYP_GUEST_BREAKPOINTS ebreaks;
 *                      hedeleg delegates them to its vstvec: VS trap
 *                      entries, no exit; then one exit (HC_DONE)
 *   host_breakpoints   the host executes k * HYP_HOST_BREAKPOINTS ebreaks: HS
 *                      trap entries that are not VM exits
 *   guest_hypercalls   k * HYP_GUEST_HYPERCALLS ecalls from VS (cause 10, always
 *                      an exit to HS), each resumed, then HC_DONE
 *   guest_virq         k * HYP_GUEST_VIRQS times: an exit asking for an
 *                      interrupt (HC_INJECT), the host sets hvip.VSSIP, the
 *                      guest takes it at its vstvec (hideleg) on return;
 *                      then HC_DONE
 * The counts are printed, and checked: exit status 1 when one is off.
 */
#include <emudiff/mark.h>

#include <stdint.h>

#define HYP_GUEST_BREAKPOINTS 12u
#define HYP_HOST_BREAKPOINTS 8u
#define HYP_GUEST_HYPERCALLS 20u
#define HYP_GUEST_VIRQS 6u
#define HYP_ROUNDS 3u
#define HYP_ROUND_SUM (HYP_ROUNDS * (HYP_ROUNDS + 1) / 2) /* 1 + 2 + 3 */

/* hypercalls: a7 of an ecall from VS-mode */
#define HC_COUNT 0
#define HC_DONE 1
#define HC_INJECT 2
#define HC_ABORT 3

#define CAUSE_BREAKPOINT 3
#define CAUSE_VS_ECALL 10
#define HSTATUS_SPV (1ull << 7)
#define IRQ_VS_SOFT 2
#define IRQ_VS_TIMER 6
#define IRQ_VS_EXT 10

#define SBI_EXT_LEGACY_PUTCHAR 0x01
#define SBI_EXT_SRST 0x53525354
#define SBI_EXT_LEGACY_SHUTDOWN 0x08

#define CSR_READ(csr) ({ uint64_t v_; __asm__ volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define CSR_WRITE(csr, v) __asm__ volatile("csrw " #csr ", %0" ::"r"((uint64_t)(v)))
/* 4-byte ebreak, so a handler can skip it with pc + 4 */
#define EBREAK4() __asm__ volatile(".option push\n.option norvc\nebreak\n.option pop" ::: "memory")

/* the frame hyp_start.S saves: x0..x31 (x0's slot unused, x2 = the trapped sp) */
struct frame {
	uint64_t x[32];
};

void enter_guest(void (*entry)(void), void *guest_sp);
uint64_t hs_trap(struct frame *f);
void hyp_main(unsigned long hartid, unsigned long dtb);

/* counted by the guest's vector (hyp_start.S) */
volatile uint32_t vs_breakpoints, vs_interrupts;
volatile uint64_t vs_unexpected_cause;
/* counted by the host */
static volatile uint32_t hs_host_breakpoints, hs_exits, hs_unexpected;
static volatile uint64_t hs_last_unexpected;

static uint8_t guest_stack[4096] __attribute__((aligned(16)));
/* the round, read by the guest (same memory: hgatp and vsatp are Bare) */
static volatile unsigned round_k;

static long sbi_call1(long ext, long arg0)
{
	register long a0 __asm__("a0") = arg0;
	register long a1 __asm__("a1") = 0;
	register long a6 __asm__("a6") = 0;
	register long a7 __asm__("a7") = ext;

	__asm__ volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a6), "r"(a7) : "memory");
	return a0;
}

void emudiff_putchar(int c)
{
	sbi_call1(SBI_EXT_LEGACY_PUTCHAR, c);
}

static void put_str(const char *s)
{
	while (*s)
		emudiff_putchar(*s++);
}

static void put_kv(const char *key, uint64_t v)
{
	char digits[21];
	int n = 0;

	put_str(" ");
	put_str(key);
	put_str("=");
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		emudiff_putchar(digits[--n]);
}

static void shutdown(unsigned reason)
{
	register long a0 __asm__("a0") = 0; /* shutdown */
	register long a1 __asm__("a1") = (long)reason;
	register long a6 __asm__("a6") = 0;
	register long a7 __asm__("a7") = SBI_EXT_SRST;

	__asm__ volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a6), "r"(a7) : "memory");
	sbi_call1(SBI_EXT_LEGACY_SHUTDOWN, 0);
	for (;;)
		__asm__ volatile("wfi");
}

/* ---- the guest (VS-mode); only this section runs with V=1 ---- */

#define GUEST __attribute__((section(".text.guest"), noinline))

/* always inlined, so that no guest instruction lies outside .text.guest */
static inline __attribute__((always_inline)) void hypercall(long nr)
{
	register long a7 __asm__("a7") = nr;

	__asm__ volatile("ecall" ::"r"(a7) : "memory");
}

static inline __attribute__((always_inline)) void guest_set_vector(void)
{
	extern char vs_trap_vector[];

	CSR_WRITE(stvec, (uint64_t)vs_trap_vector); /* vstvec, direct mode */
}

GUEST static void guest_breakpoints(void)
{
	guest_set_vector();
	for (unsigned i = 0; i < round_k * HYP_GUEST_BREAKPOINTS; i++)
		EBREAK4();
	hypercall(HC_DONE);
}

GUEST static void guest_hypercalls(void)
{
	guest_set_vector();
	for (unsigned i = 0; i < round_k * HYP_GUEST_HYPERCALLS; i++)
		hypercall(HC_COUNT);
	hypercall(HC_DONE);
}

GUEST static void guest_virq(void)
{
	guest_set_vector();
	__asm__ volatile("csrs sie, %0" ::"r"(1ull << 1));     /* vsie.SSIE */
	__asm__ volatile("csrs sstatus, %0" ::"r"(1ull << 1)); /* vsstatus.SIE */
	/* the interrupt is taken as soon as the host returns with it pending */
	for (unsigned i = 0; i < round_k * HYP_GUEST_VIRQS; i++)
		hypercall(HC_INJECT);
	__asm__ volatile("csrc sstatus, %0" ::"r"(1ull << 1));
	hypercall(HC_DONE);
}

/* ---- the host (HS-mode) ---- */

static uint32_t hs_hypercalls, hs_injects;

uint64_t hs_trap(struct frame *f)
{
	uint64_t cause = CSR_READ(scause), hstatus = CSR_READ(hstatus);
	uint64_t sepc = CSR_READ(sepc);

	if (hstatus & HSTATUS_SPV) {
		/* from the guest: a VM exit */
		hs_exits = hs_exits + 1;
		if (cause == CAUSE_VS_ECALL) {
			switch (f->x[17] /* a7 */) {
			case HC_COUNT:
				hs_hypercalls++;
				CSR_WRITE(sepc, sepc + 4);
				return 0;
			case HC_INJECT:
				hs_injects++;
				__asm__ volatile("csrs hvip, %0" ::"r"(1ull << IRQ_VS_SOFT));
				CSR_WRITE(sepc, sepc + 4);
				return 0;
			case HC_DONE:
				return 1;
			default:
				break;
			}
		}
	} else if (cause == CAUSE_BREAKPOINT) {
		hs_host_breakpoints = hs_host_breakpoints + 1;
		CSR_WRITE(sepc, sepc + 4);
		return 0;
	}
	hs_unexpected = hs_unexpected + 1;
	hs_last_unexpected = cause;
	if (hstatus & HSTATUS_SPV)
		return 1; /* leave the guest; the counts will not match */
	put_str("hyp: unexpected trap in HS-mode");
	put_kv("scause", cause);
	put_kv("sepc", sepc);
	put_str("\n");
	shutdown(1);
	return 1;
}

static void run_guest(void (*entry)(void))
{
	enter_guest(entry, guest_stack + sizeof(guest_stack));
}

void hyp_main(unsigned long hartid, unsigned long dtb)
{
	uint64_t ok;

	(void)dtb;
	put_str("hyp: emudiff hypervisor payload,");
	put_kv("hart", hartid);
	put_str("\n");
	/* guest physical = host physical; no virtual interrupt pending */
	CSR_WRITE(hgatp, 0);
	CSR_WRITE(hvip, 0);
	CSR_WRITE(hedeleg, 1ull << CAUSE_BREAKPOINT);
	CSR_WRITE(hideleg, (1ull << IRQ_VS_SOFT) | (1ull << IRQ_VS_TIMER) | (1ull << IRQ_VS_EXT));
	CSR_WRITE(vsatp, 0);

	for (round_k = 1; round_k <= HYP_ROUNDS; round_k++) {
		EMUDIFF_MARK_NAMED(1, "guest_breakpoints");
		run_guest(guest_breakpoints);
		EMUDIFF_MARK_NAMED(2, "host_breakpoints");
		for (unsigned i = 0; i < round_k * HYP_HOST_BREAKPOINTS; i++)
			EBREAK4();
		EMUDIFF_MARK_NAMED(3, "guest_hypercalls");
		run_guest(guest_hypercalls);
		EMUDIFF_MARK_NAMED(4, "guest_virq");
		run_guest(guest_virq);
	}
	EMUDIFF_MARK_NAMED(5, "end");

	ok = vs_breakpoints == HYP_ROUND_SUM * HYP_GUEST_BREAKPOINTS &&
	     hs_host_breakpoints == HYP_ROUND_SUM * HYP_HOST_BREAKPOINTS &&
	     hs_hypercalls == HYP_ROUND_SUM * HYP_GUEST_HYPERCALLS &&
	     hs_injects == HYP_ROUND_SUM * HYP_GUEST_VIRQS &&
	     vs_interrupts == HYP_ROUND_SUM * HYP_GUEST_VIRQS && !hs_unexpected && !vs_unexpected_cause &&
	     hs_exits == HYP_ROUNDS * 3 + HYP_ROUND_SUM * (HYP_GUEST_HYPERCALLS + HYP_GUEST_VIRQS);
	put_str("hyp: done");
	put_kv("vs_breakpoints", vs_breakpoints);
	put_kv("vs_interrupts", vs_interrupts);
	put_kv("host_breakpoints", hs_host_breakpoints);
	put_kv("hypercalls", hs_hypercalls);
	put_kv("injects", hs_injects);
	put_kv("exits", hs_exits);
	put_kv("unexpected", hs_unexpected);
	put_kv("last_unexpected", hs_last_unexpected);
	put_kv("vs_unexpected_cause", vs_unexpected_cause);
	put_str("\n");
	EMUDIFF_EXIT(ok ? 0 : 1);
	shutdown(0);
}
