/*
 * work.h - the workload shared by the bare-metal payload and its Linux-process
 * twin: the same compute and memory phases compiled into both, so that an A/B
 * comparison differs only in how the system is entered (SBI calls and timer
 * interrupts on bare metal, syscalls and timer signals under Linux).
 *
 * Freestanding: no libc, no floating point, nothing that needs an allocator.
 */
#ifndef BAREMETAL_WORK_H
#define BAREMETAL_WORK_H

#include <stddef.h>
#include <stdint.h>

/* Phase sizes. Both programs print them, so a log says what it measured. */
#define WORK_COMPUTE_ROUNDS 20000u /* xorshift + multiply rounds in work_compute() */
#define WORK_SYSTEM_CALLS 64u      /* SBI calls / syscalls in the "calls" phase */
#define WORK_TIMER_TICKS 16u       /* timer interrupts / signals in the "timer" phase */
#define WORK_MEMORY_BYTES (256u * 1024u)
#define WORK_MEMORY_STRIDE 64u     /* one touch per (typical) cache line */
#define WORK_MEMORY_PASSES 4u
#define WORK_LATENCY_TICKS 64u     /* timer deadlines per timer kind in the latency phase */
#define WORK_LATENCY_PERIOD 500u   /* ticks from arming to the deadline (50 us at 10 MHz) */

/* Deterministic integer work; returns a checksum so it cannot be optimised away. */
uint64_t work_compute(unsigned rounds);

/* Write then read back buf in WORK_MEMORY_STRIDE steps, passes times; returns a sum. */
uint64_t work_touch(volatile uint8_t *buf, size_t len, unsigned passes);


#endif
