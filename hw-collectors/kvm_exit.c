/*
 * kvm_exit.c - VM exits from KVM's tracepoints: decoding of one raw sample
 * (fields from tp_format.c) into an exit reason, and the exit-reason tables of x86 VMX and SVM,
 * riscv64 (scause of the trap that left the guest) and KVM_EXIT_* (exits to
 * the VMM in user space).
 *
 * The layout of kvm:kvm_exit differs by architecture: x86 has exit_reason and
 * isa (1 = VMX, 2 = SVM), riscv64 has scause (and sepc, stval, htval, htinst).
 * Offsets are always taken from the format file, never assumed.
 */
#include "hw.h"

#include "common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- exit-reason tables ---- */

struct code_name {
	uint64_t code;
	const char *name;
};

static const char *table_lookup(const struct code_name *t, size_t n, uint64_t code)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].name;
	return NULL;
}

#define LOOKUP(table, code) table_lookup(table, sizeof(table) / sizeof(table[0]), code)

/* Intel SDM vol. 3, appendix C "VMX basic exit reasons" (names as KVM prints them). */
static const struct code_name vmx_reasons[] = {
	{ 0, "EXCEPTION_NMI" }, { 1, "EXTERNAL_INTERRUPT" }, { 2, "TRIPLE_FAULT" },
	{ 3, "INIT_SIGNAL" }, { 4, "SIPI_SIGNAL" }, { 7, "INTERRUPT_WINDOW" },
	{ 8, "NMI_WINDOW" }, { 9, "TASK_SWITCH" }, { 10, "CPUID" }, { 12, "HLT" },
	{ 13, "INVD" }, { 14, "INVLPG" }, { 15, "RDPMC" }, { 16, "RDTSC" }, { 18, "VMCALL" },
	{ 19, "VMCLEAR" }, { 20, "VMLAUNCH" }, { 21, "VMPTRLD" }, { 22, "VMPTRST" },
	{ 23, "VMREAD" }, { 24, "VMRESUME" }, { 25, "VMWRITE" }, { 26, "VMOFF" }, { 27, "VMON" },
	{ 28, "CR_ACCESS" }, { 29, "DR_ACCESS" }, { 30, "IO_INSTRUCTION" }, { 31, "MSR_READ" },
	{ 32, "MSR_WRITE" }, { 33, "INVALID_STATE" }, { 34, "MSR_LOAD_FAIL" },
	{ 36, "MWAIT_INSTRUCTION" }, { 37, "MONITOR_TRAP_FLAG" }, { 39, "MONITOR_INSTRUCTION" },
	{ 40, "PAUSE_INSTRUCTION" }, { 41, "MCE_DURING_VMENTRY" }, { 43, "TPR_BELOW_THRESHOLD" },
	{ 44, "APIC_ACCESS" }, { 45, "EOI_INDUCED" }, { 46, "GDTR_IDTR" }, { 47, "LDTR_TR" },
	{ 48, "EPT_VIOLATION" }, { 49, "EPT_MISCONFIG" }, { 50, "INVEPT" }, { 51, "RDTSCP" },
	{ 52, "PREEMPTION_TIMER" }, { 53, "INVVPID" }, { 54, "WBINVD" }, { 55, "XSETBV" },
	{ 56, "APIC_WRITE" }, { 57, "RDRAND" }, { 58, "INVPCID" }, { 59, "VMFUNC" },
	{ 60, "ENCLS" }, { 61, "RDSEED" }, { 62, "PML_FULL" }, { 63, "XSAVES" }, { 64, "XRSTORS" },
	{ 67, "UMWAIT" }, { 68, "TPAUSE" }, { 74, "BUS_LOCK" }, { 75, "NOTIFY" }, { 77, "TDCALL" },
	{ 84, "MSR_READ_IMM" }, { 85, "MSR_WRITE_IMM" },
};

/* AMD APM vol. 2, appendix C "SVM intercept exit codes" (names as KVM prints them). */
static const struct code_name svm_reasons[] = {
	{ 0x000, "read_cr0" }, { 0x002, "read_cr2" }, { 0x003, "read_cr3" },
	{ 0x004, "read_cr4" }, { 0x008, "read_cr8" }, { 0x010, "write_cr0" },
	{ 0x012, "write_cr2" }, { 0x013, "write_cr3" }, { 0x014, "write_cr4" },
	{ 0x018, "write_cr8" },
	{ 0x020, "read_dr0" }, { 0x021, "read_dr1" }, { 0x022, "read_dr2" }, { 0x023, "read_dr3" },
	{ 0x024, "read_dr4" }, { 0x025, "read_dr5" }, { 0x026, "read_dr6" }, { 0x027, "read_dr7" },
	{ 0x030, "write_dr0" }, { 0x031, "write_dr1" }, { 0x032, "write_dr2" },
	{ 0x033, "write_dr3" }, { 0x034, "write_dr4" }, { 0x035, "write_dr5" },
	{ 0x036, "write_dr6" }, { 0x037, "write_dr7" },
	/* 0x040 + vector: intercepted exceptions */
	{ 0x040 + 0, "DE excp" }, { 0x040 + 1, "DB excp" }, { 0x040 + 3, "BP excp" },
	{ 0x040 + 4, "OF excp" }, { 0x040 + 5, "BR excp" }, { 0x040 + 6, "UD excp" },
	{ 0x040 + 7, "NM excp" }, { 0x040 + 8, "DF excp" }, { 0x040 + 10, "TS excp" },
	{ 0x040 + 11, "NP excp" }, { 0x040 + 12, "SS excp" }, { 0x040 + 13, "GP excp" },
	{ 0x040 + 14, "PF excp" }, { 0x040 + 16, "MF excp" }, { 0x040 + 17, "AC excp" },
	{ 0x040 + 18, "MC excp" }, { 0x040 + 19, "XF excp" },
	{ 0x066, "read_idtr" }, { 0x067, "read_gdtr" }, { 0x068, "read_ldtr" },
	{ 0x069, "read_rt" }, { 0x06a, "write_idtr" }, { 0x06b, "write_gdtr" },
	{ 0x06c, "write_ldtr" }, { 0x06d, "write_rt" },
	{ 0x060, "interrupt" }, { 0x061, "nmi" }, { 0x062, "smi" }, { 0x063, "init" },
	{ 0x064, "vintr" }, { 0x065, "cr0_sel_write" }, { 0x06e, "rdtsc" }, { 0x06f, "rdpmc" },
	{ 0x070, "pushf" }, { 0x071, "popf" }, { 0x072, "cpuid" }, { 0x073, "rsm" },
	{ 0x074, "iret" }, { 0x075, "swint" }, { 0x076, "invd" }, { 0x077, "pause" },
	{ 0x078, "hlt" }, { 0x079, "invlpg" }, { 0x07a, "invlpga" }, { 0x07b, "io" },
	{ 0x07c, "msr" }, { 0x07d, "task_switch" }, { 0x07e, "ferr_freeze" }, { 0x07f, "shutdown" },
	{ 0x080, "vmrun" }, { 0x081, "hypercall" }, { 0x082, "vmload" }, { 0x083, "vmsave" },
	{ 0x084, "stgi" }, { 0x085, "clgi" }, { 0x086, "skinit" }, { 0x087, "rdtscp" },
	{ 0x088, "icebp" }, { 0x089, "wbinvd" }, { 0x08a, "monitor" }, { 0x08b, "mwait" },
	{ 0x08d, "xsetbv" }, { 0x08f, "write_efer_trap" }, { 0x090, "write_cr0_trap" },
	{ 0x094, "write_cr4_trap" }, { 0x098, "write_cr8_trap" }, { 0x0a2, "invpcid" },
	{ 0x0a5, "buslock" }, { 0x0a6, "idle-halt" }, { 0x400, "npf" },
	{ 0x401, "avic_incomplete_ipi" }, { 0x402, "avic_unaccelerated_access" },
	{ 0x403, "vmgexit" },
	/* SEV-ES guest requests (GHCB exit codes) */
	{ 0x80000001, "vmgexit_mmio_read" }, { 0x80000002, "vmgexit_mmio_write" },
	{ 0x80000003, "vmgexit_nmi_complete" }, { 0x80000004, "vmgexit_ap_hlt_loop" },
	{ 0x80000005, "vmgexit_ap_jump_table" }, { 0x80000010, "vmgexit_page_state_change" },
	{ 0x80000011, "vmgexit_guest_request" }, { 0x80000012, "vmgexit_ext_guest_request" },
	{ 0x80000013, "vmgexit_ap_creation" }, { 0x8000fffd, "vmgexit_hypervisor_feature" },
	{ 0xffffffffffffffffull, "invalid_guest_state" },
};

/* RISC-V privileged spec: exception codes of scause as seen by HS-mode when
 * a trap leaves the guest (with the H extension's guest-page faults and
 * virtual-instruction exception). */
static const struct code_name riscv_exceptions[] = {
	{ 0, "instruction misaligned" }, { 1, "instruction access fault" },
	{ 2, "illegal instruction" }, { 3, "breakpoint" }, { 4, "load misaligned" },
	{ 5, "load access fault" }, { 6, "store misaligned" }, { 7, "store access fault" },
	{ 8, "U-mode ecall" }, { 9, "HS-mode ecall" }, { 10, "VS-mode ecall" },
	{ 11, "M-mode ecall" }, { 12, "instruction page fault" }, { 13, "load page fault" },
	{ 15, "store page fault" }, { 18, "software check" }, { 19, "hardware error" },
	{ 20, "instruction guest-page fault" }, { 21, "load guest-page fault" },
	{ 22, "virtual instruction" }, { 23, "store guest-page fault" },
};

static const struct code_name riscv_interrupts[] = {
	{ 1, "S software interrupt" }, { 2, "VS software interrupt" },
	{ 3, "M software interrupt" }, { 5, "S timer interrupt" }, { 6, "VS timer interrupt" },
	{ 7, "M timer interrupt" }, { 9, "S external interrupt" },
	{ 10, "VS external interrupt" }, { 11, "M external interrupt" },
	{ 12, "S guest external interrupt" }, { 13, "counter overflow interrupt" },
};

/* linux/kvm.h KVM_EXIT_* (the kvm_run exit reasons the VMM handles). */
static const struct code_name userspace_reasons[] = {
	{ 0, "KVM_EXIT_UNKNOWN" }, { 1, "KVM_EXIT_EXCEPTION" }, { 2, "KVM_EXIT_IO" },
	{ 3, "KVM_EXIT_HYPERCALL" }, { 4, "KVM_EXIT_DEBUG" }, { 5, "KVM_EXIT_HLT" },
	{ 6, "KVM_EXIT_MMIO" }, { 7, "KVM_EXIT_IRQ_WINDOW_OPEN" }, { 8, "KVM_EXIT_SHUTDOWN" },
	{ 9, "KVM_EXIT_FAIL_ENTRY" }, { 10, "KVM_EXIT_INTR" }, { 11, "KVM_EXIT_SET_TPR" },
	{ 12, "KVM_EXIT_TPR_ACCESS" }, { 13, "KVM_EXIT_S390_SIEIC" }, { 14, "KVM_EXIT_S390_RESET" },
	{ 15, "KVM_EXIT_DCR" }, { 16, "KVM_EXIT_NMI" }, { 17, "KVM_EXIT_INTERNAL_ERROR" },
	{ 18, "KVM_EXIT_OSI" }, { 19, "KVM_EXIT_PAPR_HCALL" }, { 20, "KVM_EXIT_S390_UCONTROL" },
	{ 21, "KVM_EXIT_WATCHDOG" }, { 22, "KVM_EXIT_S390_TSCH" }, { 23, "KVM_EXIT_EPR" },
	{ 24, "KVM_EXIT_SYSTEM_EVENT" }, { 25, "KVM_EXIT_S390_STSI" }, { 26, "KVM_EXIT_IOAPIC_EOI" },
	{ 27, "KVM_EXIT_HYPERV" }, { 28, "KVM_EXIT_ARM_NISV" }, { 29, "KVM_EXIT_X86_RDMSR" },
	{ 30, "KVM_EXIT_X86_WRMSR" }, { 31, "KVM_EXIT_DIRTY_RING_FULL" },
	{ 32, "KVM_EXIT_AP_RESET_HOLD" }, { 33, "KVM_EXIT_X86_BUS_LOCK" },
	{ 34, "KVM_EXIT_XEN" }, { 35, "KVM_EXIT_RISCV_SBI" }, { 36, "KVM_EXIT_RISCV_CSR" },
	{ 37, "KVM_EXIT_NOTIFY" }, { 38, "KVM_EXIT_LOONGARCH_IOCSR" },
	{ 39, "KVM_EXIT_MEMORY_FAULT" },
};

const char *kvm_exit__vmx_reason(uint32_t basic_reason)
{
	return LOOKUP(vmx_reasons, basic_reason);
}

const char *kvm_exit__svm_reason(uint64_t exit_code)
{
	return LOOKUP(svm_reasons, exit_code);
}

const char *kvm_exit__riscv_scause(uint64_t scause)
{
	const uint64_t irq = 1ull << 63;

	if (scause & irq)
		return LOOKUP(riscv_interrupts, scause & ~irq);
	return LOOKUP(riscv_exceptions, scause);
}

const char *kvm_exit__userspace_reason(uint32_t reason)
{
	return LOOKUP(userspace_reasons, reason);
}

/* ---- decoding samples ---- */

int kvm_exit_decoder__init(struct kvm_exit_decoder *d, struct tp_format *fmt,
			   const char *reason_field)
{
	memset(d, 0, sizeof(*d));
	d->fmt = *fmt;
	memset(fmt, 0, sizeof(*fmt));
	if (reason_field) {
		d->layout = KVM_LAYOUT_FIELD;
		d->reason = tp_format__field(&d->fmt, reason_field);
		snprintf(d->prefix, sizeof(d->prefix), "%s=", reason_field);
	} else if ((d->reason = tp_format__field(&d->fmt, "exit_reason")) &&
		   (d->isa = tp_format__field(&d->fmt, "isa"))) {
		d->layout = KVM_LAYOUT_X86;
	} else if ((d->reason = tp_format__field(&d->fmt, "scause"))) {
		d->layout = KVM_LAYOUT_RISCV;
	} else if ((d->reason = tp_format__field(&d->fmt, "reason"))) {
		d->layout = KVM_LAYOUT_USERSPACE;
		snprintf(d->prefix, sizeof(d->prefix), "userspace:");
	} else if ((d->reason = tp_format__field(&d->fmt, "exit_reason"))) {
		/* kvm_exit of an architecture without a table here: numeric reasons */
		d->layout = KVM_LAYOUT_FIELD;
		snprintf(d->prefix, sizeof(d->prefix), "exit_reason=");
	}
	if (!d->reason) {
		int ret = error("%s: no field to read an exit reason from%s%s", d->fmt.name,
				reason_field ? ": no field named " : "",
				reason_field ? reason_field : " (exit_reason, scause or reason)");

		kvm_exit_decoder__free(d);
		return ret;
	}
	return 0;
}

int kvm_exit_decoder__reason(const struct kvm_exit_decoder *d, const void *raw, size_t size,
			     char *out, size_t out_size)
{
	uint64_t reason, isa = 0;
	const char *name = NULL;

	if (tp_field__read(d->reason, raw, size, &reason))
		return -1;
	if (d->isa && tp_field__read(d->isa, raw, size, &isa))
		return -1;
	switch (d->layout) {
	case KVM_LAYOUT_X86:
		if (isa == 1) {
			/* bits 31:16 are flags (bit 31: VM-entry failure) */
			name = kvm_exit__vmx_reason((uint32_t)reason & 0xffff);
			if (!name)
				return snprintf(out, out_size, "vmx:%#llx",
						(unsigned long long)(reason & 0xffff)) < 0 ? -1 : 0;
			if (reason & 0x80000000u)
				return snprintf(out, out_size, "%s FAILED_VMENTRY", name) < 0 ? -1 : 0;
		} else {
			/* exit_reason is 32 bits in the trace; SVM's -1 arrives as 0xffffffff */
			name = kvm_exit__svm_reason(reason == 0xffffffffu ? ~0ull : reason);
			if (!name)
				return snprintf(out, out_size, "svm:%#llx", (unsigned long long)reason) < 0 ? -1 : 0;
		}
		break;
	case KVM_LAYOUT_RISCV:
		name = kvm_exit__riscv_scause(reason);
		if (!name)
			return snprintf(out, out_size, "scause:%#llx", (unsigned long long)reason) < 0 ? -1 : 0;
		break;
	case KVM_LAYOUT_USERSPACE:
		name = kvm_exit__userspace_reason((uint32_t)reason);
		if (!name)
			return snprintf(out, out_size, "%s%llu", d->prefix, (unsigned long long)reason) < 0 ? -1 : 0;
		break;
	case KVM_LAYOUT_FIELD:
		if (d->reason->is_signed)
			return snprintf(out, out_size, "%s%lld", d->prefix, (long long)reason) < 0 ? -1 : 0;
		return snprintf(out, out_size, "%s%llu", d->prefix, (unsigned long long)reason) < 0 ? -1 : 0;
	}
	return snprintf(out, out_size, "%s%s", d->prefix, name) < 0 ? -1 : 0;
}

void kvm_exit_decoder__free(struct kvm_exit_decoder *d)
{
	tp_format__free(&d->fmt);
	d->reason = d->isa = NULL;
}

/* ---- tallies ---- */

void reason_tally__add(struct reason_tally *t, const char *reason, int64_t seq, uint64_t count)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i].seq == seq && !strcmp(t->v[i].reason, reason)) {
			t->v[i].count += count;
			return;
		}
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	t->v[t->n].reason = xstrdup(reason);
	t->v[t->n].seq = seq;
	t->v[t->n].count = count;
	t->n++;
}

uint64_t reason_tally__total(const struct reason_tally *t)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < t->n; i++)
		sum += t->v[i].count;
	return sum;
}

void reason_tally__free(struct reason_tally *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].reason);
	free(t->v);
	memset(t, 0, sizeof(*t));
}
