/*
 * vocab.h - the words the store, the collectors, the study and the analysis
 * share (docs/design.md, "Results store"): platforms, run statuses, region-key
 * prefixes, metric names and event kinds. Each word is defined here once; code
 * names the constant, never the literal, so a renamed word cannot drift.
 */
#ifndef EMUDIFF_VOCAB_H
#define EMUDIFF_VOCAB_H

#include <string.h>

/* run.platform */
enum platform {
	PLAT_QEMU_USER, PLAT_QEMU_SYSTEM, PLAT_HW, PLAT_HW_KVM, PLAT_CONSOLE, PLAT_IMPORT,
	PLAT_COUNT,
};
/* The store's name of p ("qemu-user", ...); "?" out of range. */
const char *platform__name(int p);
/* The platform named s; -1 for an unknown name. */
int platform__parse(const char *s);
/* Emulation (QEMU) rather than hardware. */
int platform__is_emu(int p);

/* run.status */
enum run_status { RUN_OK, RUN_FAILED, RUN_TIMEOUT, RUN_WARMUP, RUN_STATUS_COUNT };
const char *run_status__name(int s);
int run_status__parse(const char *s);

/* region.key: m:<from>-><to>#<n> (marker pair), s:<symbol> (whole run),
 * ms:<from>-><to>/<symbol> (a symbol within a marker phase). */
#define REGION_KEY_MARK "m:"
#define REGION_KEY_SYMBOL "s:"
#define REGION_KEY_MARK_SYMBOL "ms:"
/* key starts with prefix (one of the three above). */
static inline int region_key__is(const char *key, const char *prefix)
{
	return key && !strncmp(key, prefix, strlen(prefix));
}

/* Metric names: lower case and unit-suffixed. */
#define METRIC_INSNS "insns"
#define METRIC_TIME_NS "time_ns"
#define METRIC_CYCLES "cycles"
#define METRIC_INSTRET "instret"
#define METRIC_BRANCH_MISSES "branch_misses"
#define METRIC_CACHE_MISSES "cache_misses"
#define METRIC_PAGE_FAULTS "page_faults"
#define METRIC_SYSCALLS "syscalls"
#define METRIC_TRAPS "traps"
#define METRIC_EXITS "exits"
#define METRIC_MEM_ACCESSES "mem_accesses"
#define METRIC_QEMU_HOST_NS "qemu_host_ns"
/* hardware samples of a region (collect hw --sample): counts, not costs */
#define METRIC_SAMPLES "samples"
/* Latency metrics (one value per event, table latency_sample): lat_<what>_ns,
 * e.g. lat_timer_sbi_ns (deadline to handler), lat_wakeup_ns (cyclictest). */
#define METRIC_LATENCY_PREFIX "lat_"
#define METRIC_LATENCY_SUFFIX "_ns"
/* latency_sample.region_key of samples outside any marker pair: the whole run */
#define LATENCY_KEY_RUN "run"

/* event_count.kind */
#define EVENT_SYSCALL "syscall"
#define EVENT_ECALL "ecall"
#define EVENT_WFI "wfi"
#define EVENT_HLT "hlt"
#define EVENT_TRAP_ENTRY "trap_entry"
#define EVENT_TRAP_RETURN "trap_return"
#define EVENT_INTERRUPT "interrupt"
#define EVENT_EXCEPTION "exception"
#define EVENT_VM_EXIT "vm_exit"
#define EVENT_PAGE_FAULT "page_fault"
#define EVENT_CONTEXT_SWITCH "context_switch"

#endif
