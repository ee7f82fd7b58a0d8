/*
 * collect.h - the collectors as library code: for each way of measuring a
 * workload, running it (under the supervisor of common.h) and ingesting what
 * it produced into the store (one transaction per run, store__ingest_begin).
 * The commands in cli/cmd_collect_*.c and cli/cmd_import_*.c turn options
 * into these calls; tests/collect checks each ingest on recorded outputs.
 */
#ifndef EMUDIFF_COLLECT_H
#define EMUDIFF_COLLECT_H

#include "common.h"
#include "store.h"

/* ---- QEMU with the emudiff plugin (qemu_*.c) ---------------------------- */

/* ---- hardware: perf_event_open runs, consoles, imports (hw_*.c) ---------- */

/* ---- a guest under KVM, seen from the host (kvm_*.c) --------------------- */

#endif
