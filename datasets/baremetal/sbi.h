/*
 * sbi.h - the SBI calls of the bare-metal payloads (RISC-V SBI specification):
 * one ecall into the M-mode firmware (OpenSBI) with the extension id in a7 and
 * the function id in a6.
 */
#ifndef BAREMETAL_SBI_H
#define BAREMETAL_SBI_H

#define SBI_EXT_LEGACY_PUTCHAR 0x01
#define SBI_EXT_LEGACY_SHUTDOWN 0x08
#define SBI_EXT_BASE 0x10
#define SBI_BASE_PROBE_EXTENSION 3
#define SBI_EXT_TIME 0x54494D45
#define SBI_TIME_SET_TIMER 0
#define SBI_EXT_IPI 0x735049
#define SBI_IPI_SEND 0
#define SBI_EXT_HSM 0x48534D
#define SBI_HSM_HART_START 0
#define SBI_HSM_HART_STATUS 2
#define SBI_EXT_SRST 0x53525354
#define SBI_SRST_RESET 0

struct sbiret {
	long error;
	long value;
};

static inline struct sbiret sbi_call3(long ext, long fid, long arg0, long arg1, long arg2)
{
	register long a0 __asm__("a0") = arg0;
	register long a1 __asm__("a1") = arg1;
	register long a2 __asm__("a2") = arg2;
	register long a6 __asm__("a6") = fid;
	register long a7 __asm__("a7") = ext;

	__asm__ volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a2), "r"(a6), "r"(a7) : "memory");
	return (struct sbiret){ a0, a1 };
}

static inline struct sbiret sbi_call(long ext, long fid, long arg0, long arg1)
{
	return sbi_call3(ext, fid, arg0, arg1, 0);
}

#endif
