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
 * ms:<from>-><to>/<symbol> (a symbol within a marker phase). A symbol of a
 * shared object is <symbol>@<basename of the mapped file> ("memcpy@libc.so.6",
 * "[unknown]@liblzma.so.5.4.1"); the program's own keep bare names. */
#define REGION_KEY_MARK "m:"
#define REGION_KEY_SYMBOL "s:"
#define REGION_KEY_MARK_SYMBOL "ms:"
/* key starts with prefix (one of the three above). */
static inline int region_key__is(const char *key, const char *prefix)
{
	return key && !strncmp(key, prefix, strlen(prefix));
}
/* Marker regions and roll-ups of a thread other than the first (thread ordinal
 * k > 0, docs/store.md "Threads") end in @t<k>: m:3->4#2@t1, ms:3->4/f@t1. */
#define REGION_KEY_THREAD "@t"
/* SQL: the label of region row R as people read it: its name, with the
 * thread suffix of a further thread's marker region (name@t2), else its key */
#define REGION_LABEL_SQL(R)                                                                       \
	"coalesce(" R ".name || CASE WHEN " R ".key LIKE 'm:%" REGION_KEY_THREAD "%' THEN substr(" R \
	".key, instr(" R ".key, '" REGION_KEY_THREAD "')) ELSE '' END, " R ".key)"
/* The thread ordinal of an m: or ms: key (0 without the suffix); *base_len
 * (when not NULL) gets the length of the key without it. */
int region_key__thread(const char *key, size_t *base_len);

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
/* Run metrics of collect qemu: instructions outside every known symbol, and (system
 * mode, --until-console) host time and instructions until the console string. */
#define METRIC_INSNS_UNATTRIBUTED "insns_unattributed"
#define METRIC_UNTIL_CONSOLE_NS "until_console_ns"
#define METRIC_UNTIL_CONSOLE_INSNS "until_console_insns"
/* A guest's boot (collect qemu --system, collect hw-kvm --boot-console): host
 * time from starting QEMU (the VMM) to the string on the guest's console. */
#define METRIC_BOOT_NS "boot_ns"
/* Boot stages (docs/virtualization.md, "Boot stages"): the time from the start
 * (QEMU's start; a console log's logger zero) until a stage's line first
 * appears on the console, one run metric per stage named boot_<stage>_ns;
 * the user's console strings keep theirs: until_console_ns (--until-console,
 * stage "console") and boot_ns (--boot-console, stage "boot"). */
#define METRIC_BOOT_PREFIX "boot_"
#define METRIC_BOOT_SUFFIX "_ns"
/* SQL: the run metric m is a boot latency (a stage's or a console string's) */
#define BOOT_METRIC_SQL(m)                                                                 \
	"(" m " IN ('" METRIC_UNTIL_CONSOLE_NS "', '" METRIC_BOOT_NS "') OR " m " LIKE 'boot\\_%\\_ns' ESCAPE '\\')"
/* SQL: the stage of the boot metric m (boot_<stage>_ns -> stage, until_console_ns ->
 * console, boot_ns -> boot) */
#define BOOT_STAGE_SQL(m)                                                                  \
	"CASE " m " WHEN '" METRIC_UNTIL_CONSOLE_NS "' THEN 'console' WHEN '" METRIC_BOOT_NS "' THEN 'boot'" \
	" ELSE substr(" m ", length('" METRIC_BOOT_PREFIX "') + 1, length(" m ")"                 \
	" - length('" METRIC_BOOT_PREFIX "') - length('" METRIC_BOOT_SUFFIX "')) END"
/* SQL: the console string of boot metric m in workload wid's runs (config_json's
 * boot_console for boot_ns, else until_console), NULL when none has one */
#define BOOT_CONSOLE_SQL(wid, m)                                                           \
	"(SELECT s FROM (SELECT x.id AS id, json_extract(x.config_json, CASE " m " WHEN '"       \
	METRIC_BOOT_NS "' THEN '$.boot_console' ELSE '$.until_console' END) AS s FROM run x"   \
	" WHERE x.workload_id = " wid ") WHERE coalesce(s, '') != '' ORDER BY id LIMIT 1)"
/* The stages whose metrics are until_console_ns and boot_ns: the user's console strings. */
#define BOOT_STAGE_CONSOLE "console"
#define BOOT_STAGE_BOOT "boot"
#define BOOT_STAGE_NAME_MAX 32
/* The stages recognised without being asked for, in boot order: name,
 * what the outputs call it, and the POSIX extended regular expression that
 * finds its line (vocab.c, the table of docs/virtualization.md). */
struct boot_stage_word {
	const char *name, *label, *pattern;
};
extern const struct boot_stage_word boot_stage_words[];
extern const size_t boot_stage_words_count;
/* 1 when s is a stage name: 1..BOOT_STAGE_NAME_MAX of [a-z0-9_]. */
int boot_stage__valid_name(const char *s);
/* The metric of stage name into buf (boot_<name>_ns; until_console_ns for
 * "console", boot_ns for "boot"); buf. */
const char *boot_stage__metric(char *buf, size_t n, const char *name);
/* The stage of a boot metric into buf ("console" for until_console_ns, "boot"
 * for boot_ns), or NULL when metric is not one. */
const char *boot_stage__of_metric(char *buf, size_t n, const char *metric);
/* What the outputs call the stage of a boot metric: a known stage's label,
 * the console string for until_console_ns and boot_ns (console: NULL or ""
 * gives "the console string"), else the stage's name; buf. */
const char *boot_stage__label(char *buf, size_t n, const char *metric, const char *console);
/* hardware samples of a region (collect hw --sample): counts, not costs */
#define METRIC_SAMPLES "samples"
/* Latency metrics (one value per event, table latency_sample): lat_<what>_ns,
 * e.g. lat_timer_sbi_ns (deadline to handler), lat_wakeup_ns (cyclictest). */
#define METRIC_LATENCY_PREFIX "lat_"
#define METRIC_LATENCY_SUFFIX "_ns"
/* latency_sample.region_key of samples outside any marker pair: the whole run */
#define LATENCY_KEY_RUN "run"
#define METRIC_WALL_NS "wall_ns" /* a run's elapsed time */
#define METRIC_USER_NS "user_ns" /* its user and system CPU time (perf stat's) */
#define METRIC_SYS_NS "sys_ns"
/* Client-server cells (collect/driver.c): the driver's report and the
 * server's counts per request. */
#define METRIC_REQUESTS "requests"             /* requests the driver completed */
#define METRIC_REQUESTS_PER_S "requests_per_s" /* its throughput */
#define METRIC_REQ_P50_NS "req_p50_ns"         /* its latency percentiles */
#define METRIC_REQ_P90_NS "req_p90_ns"
#define METRIC_REQ_P99_NS "req_p99_ns"
#define METRIC_REQ_ERRORS "req_errors"         /* socket errors and non-2xx/3xx answers */
#define METRIC_READY_NS "ready_ns"             /* server start to its first accepted connection */
#define METRIC_INSNS_PER_REQ "insns_per_req"   /* the server's instructions (all workers) / requests */
#define METRIC_SYSCALLS_PER_REQ "syscalls_per_req"
/* The server's workers (docs/servers.md, "Workers"): its threads and the
 * processes it forked, those that ran while the driver ran; each worker's
 * whole-life instructions and system calls, mean and max over them. */
#define METRIC_WORKERS "workers"
#define METRIC_INSNS_PER_WORKER "insns_per_worker"
#define METRIC_INSNS_PER_WORKER_MAX "insns_per_worker_max"
#define METRIC_SYSCALLS_PER_WORKER "syscalls_per_worker"
#define METRIC_SYSCALLS_PER_WORKER_MAX "syscalls_per_worker_max"

/* run_thread.kind: a program's thread, a guest's vCPU, a hart (console) */
#define THREAD_KIND_THREAD "thread"
#define THREAD_KIND_VCPU "vcpu"
#define THREAD_KIND_HART "hart"

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
