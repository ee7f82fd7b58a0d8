/*
 * smp.h - the SMP bare-metal payload (smp.c, smp_ipi.c, smp_work.S): sizes,
 * marker ids and what the files share. docs/virtualization.md describes the
 * payload; tests/plugin/smp_expect.md states the exact instruction counts
 * of its regions.
 */
#ifndef BAREMETAL_SMP_H
#define BAREMETAL_SMP_H

#define SMP_MAX_HARTS 8        /* hart ids 0..7 (QEMU virt: -smp 1..8) */
#define SMP_STACK_BYTES 8192   /* per secondary hart (the boot hart has start.S's) */

/*
 * The exact phases (smp_work.S). Hart ordinal k (harts numbered by hart id,
 * the lowest 0) spins (k + 1) * SMP_SPIN_ITERS iterations of a 4-instruction
 * loop: a known imbalance. Every hart then makes SMP_MIX_PASSES passes of a
 * load/add/store loop over its own SMP_MIX_WORDS words.
 */
#define SMP_SPIN_ITERS 20000
#define SMP_MIX_WORDS 64
#define SMP_MIX_PASSES 100

/* Marker ids; 10-13 are recorded by smp_work.S and printed later, 14 and 15
 * are printed when hit (by the coordinator, ordinal 0). */
#define SMP_MARK_SPIN 10
#define SMP_MARK_MIX 11
#define SMP_MARK_WAIT 12
#define SMP_MARK_DONE 13
#define SMP_MARK_IPI 14
#define SMP_MARK_END 15
#define SMP_HITS 4             /* recorded hits per hart: 10, 11, 12, 13 */

/* IPI latency: SMP_IPI_COUNT IPIs per kind, each SMP_IPI_PERIOD ticks of the
 * time CSR after the previous one was taken (50 us at QEMU virt's 10 MHz). */
#define SMP_IPI_COUNT 64
#define SMP_IPI_PERIOD 500

/*
 * Waiting harts sleep in wfi and are woken by an IPI (a "kick": SBI send_ipi,
 * a supervisor software interrupt that sie enables but sstatus.SIE keeps from
 * trapping) instead of spinning: under -icount QEMU runs one vCPU at a time
 * and moves to the next only when one waits in wfi (or after 100 ms of
 * virtual time), so a spinning hart would stall the hart it waits for. And no
 * hart arms a timer, as QEMU's icount ends a vCPU's turn at the next timer
 * deadline: each exact phase then runs in one turn, so that its instret
 * delta (QEMU's instruction count, shared by all vCPUs) is its hart's own.
 */

#ifndef __ASSEMBLER__
#include <stdint.h>

/* One recorded marker hit: the counters smp_work.S read right after the
 * marker instruction (offsets used by the assembly: 0, 8, 16; 32 bytes). */
struct smp_hit {
	uint64_t time, cycles, instret, pad;
};

/* smp_work.S: markers 10, 11, 12 with the spin and mix phases between them
 * (spin_iters, passes >= 1); smp_mark_done: marker 13. */
void smp_work(struct smp_hit *hits, uint64_t spin_iters, uint64_t *mix, uint64_t passes);
void smp_mark_done(struct smp_hit *hits);
void smp_secondary_entry(void);

/* smp.c */
void console_lock(void);
void console_unlock(void);
void smp_fail(const char *why, uint64_t detail);
uint64_t smp_time(void);
void smp_kick(uint64_t hart);
void smp_wait_for(volatile unsigned *v, unsigned want);

/* smp_ipi.c: the IPI latency phase between the coordinator (ordinal 0) and
 * the receiver (ordinal 1). smp_ipi_probe() runs on the boot hart (the only
 * one with the device tree). */
void smp_ipi_probe(const void *fdt);
void smp_ipi_receive(uint64_t coordinator_hart) __attribute__((noreturn));
int smp_ipi_interrupt(uint64_t scause);
void smp_ipi_send(uint64_t target_hart);
#endif

#endif
