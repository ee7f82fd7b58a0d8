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
/*
 * `collect hw-kvm`: a VMM command started and measured as a whole: guest-only
 * counters on its process, VM exits sampled from KVM's exit tracepoints
 * (kvm_probe.c), `@emudiff` marker lines of the guest console (kvm_run.c),
 * then one `hw-kvm` run in the store (kvm_ingest.c). What the machine cannot
 * give is recorded as unsupported, never as zero.
 */
#include "hw.h"

#define KVM_MAX_EXIT_EVENTS 8

/* What to run and how to record it; run and ingest read the same options. */
struct kvm_opts {
	char **argv;                      /* the VMM command (PATH searched) */
	const char *serial_log;           /* the console is this file the VMM writes; NULL: its stdout */
	const char *tracefs;              /* tracefs mount; NULL: none (kvm_default_tracefs) */
	const struct hw_event *const *ev; /* guest-only counters */
	int n_ev;
	const char *exit_events[KVM_MAX_EXIT_EVENTS]; /* "SYS:EV[/FIELD]" */
	int n_exit_events;
	double timeout_s;   /* <= 0: none */
	double timebase_hz; /* of the guest's time CSR, for marker times */
	int dev_kvm;        /* the host has /dev/kvm */
	/* the run's record */
	const char *name, *cell;
	int rep;
};

/* The tracefs to use by default: tracefs__path()'s, else a mounted one this
 * user may not enter (so that the refusal is named); NULL when none. */
const char *kvm_default_tracefs(void);
/* 0 when dir is a tracefs mount this user reads; -ENOENT (none) or -EACCES. */
int kvm_tracefs_state(const char *dir);
/* The instruction set a KVM guest runs here (the host's); NULL without
 * /dev/kvm or on a host whose guests emudiff does not know. */
const char *kvm_guest_arch(int dev_kvm);
/* `--dry-run`: print to stdout what would be measured here, run nothing.
 * An exit code (EXIT_OK, or EXIT_BADINPUT for a bad exit event spec). */
int kvm_dry_run(const struct kvm_opts *o);

/* One exit tracepoint of a run: its exits by reason and marker seq, or why
 * it could not be sampled. */
struct kvm_exits {
	char spec[128];            /* as given: "kvm:kvm_exit", "raw_syscalls:sys_enter/id" */
	int sampled;
	char why[256];             /* when not sampled: a token and its reason */
	struct reason_tally tally; /* when sampled */
	uint64_t lost;             /* samples lost to full rings or too short to decode */
};

/* One guest-only counter: refused (err), opened but never run, or counted. */
struct kvm_counter {
	const struct hw_event *ev;
	int err; /* the errno that refused it; 0: opened */
	int counted;
	double value;
};

/* One invocation of the VMM, as measured. */
struct kvm_run {
	enum run_status status; /* RUN_OK, RUN_FAILED or RUN_TIMEOUT */
	int exit_code;       /* exit status, 128+signal, -1 unknown */
	int64_t wall_ns;
	char exec_error[160]; /* the VMM could not be executed */
	char why[160];        /* why the run failed or timed out; "" when ok */
	char message[512];    /* the VMM's own word on a failure: its KVM stop, else its last stderr line */
	FILE *console;        /* the guest console (stdout captured, or the serial log), rewound */
	struct kvm_exits exits[KVM_MAX_EXIT_EVENTS];
	int n_exits;
	struct kvm_counter counters[HW_MAX_EVENTS];
	int n_counters;
};

/*
 * Run the VMM once under the supervisor of common.h: its stdout and stderr
 * pass through byte for byte; KVM stop messages on its stderr are a stop
 * request (QEMU pauses the VM and would wait forever). 0 when the run
 * happened, whatever its status; -1 on a failure of the collector (error
 * printed). Free r with kvm_run__free() either way.
 */
int kvm_run(const struct kvm_opts *o, struct kvm_run *r);
void kvm_run__free(struct kvm_run *r);

/*
 * The VMM's stderr, read line by line for the messages with which QEMU
 * reports that KVM stopped the guest (accel/kvm/kvm-all.c): after them it
 * pauses the VM and keeps running.
 */
struct kvm_stderr {
	char line[512];
	size_t len;
	char last[512]; /* the last non-empty line */
	char stop[512]; /* the KVM stop message and its detail; "" while none seen */
	int stop_lines;
};
/* Read bytes of the VMM's stderr; 1 when they hold the first KVM stop message. */
int kvm_stderr__feed(struct kvm_stderr *e, const char *buf, size_t n);
/* At the end of the stream: a last line without its newline. */
void kvm_stderr__end(struct kvm_stderr *e);
/* r's status, exit code, why and message from how the VMM ended (p reaped)
 * and what its stderr said; exec_error is set before. */
void kvm_run__conclude(struct kvm_run *r, const struct proc *p, const struct kvm_stderr *e,
		       double timeout_s);

/*
 * Store r as one `hw-kvm` run (one ingest transaction): marks of the first
 * `@emudiff` run of the console, guest-only counters and exits as run
 * metrics, exits as `vm_exit` event counts, config_json with what was
 * unsupported and why. arch as kvm_guest_arch(). Returns the run id and its
 * number of marks in *n_marks, or -1 (error printed; nothing stored).
 */
int64_t kvm_ingest(struct store *s, const struct kvm_opts *o, const char *arch, const struct kvm_run *r,
		   size_t *n_marks);

#endif
