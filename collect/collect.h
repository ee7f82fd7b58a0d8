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

/* ---- a guest console watched as it arrives (console_watch.c) ------------ */
/* A string looked for in a stream of console bytes: whether and when (the
 * caller's clock) it first appeared. A NULL or empty needle is never seen. */
struct console_watch {
	const char *needle;
	char *window; /* the last bytes seen, up to strlen(needle) */
	size_t wlen;
	int seen;
	int64_t at_ns; /* when it was seen; -1 while not */
};
void console_watch__init(struct console_watch *w, const char *needle);
/* Feed bytes read at now; 1 when they complete the needle's first appearance. */
int console_watch__feed(struct console_watch *w, const char *buf, size_t n, int64_t now);
void console_watch__free(struct console_watch *w);

/* ---- QEMU with the emudiff plugin (qemu_*.c) ---------------------------- */

struct qemu_output;
struct symtab;
struct cyclictest;

/* What one QEMU invocation gave. */
struct qemu_result {
	int status;        /* RUN_OK, RUN_FAILED, RUN_TIMEOUT */
	int exit_code;     /* exit status or 128+signal; -1 unknown */
	int64_t wall_ns;   /* -1 unknown */
	int until_seen;    /* the --until-console string appeared, after until_ns */
	int64_t until_ns;
	int64_t boot_ns;   /* the --boot-console string appeared after boot_ns; -1: not seen */
	int pid;           /* QEMU's process id (user mode: the guest's); 0 unknown */
	char why[200];     /* why it failed, for config_json */
};

/* qemu_options.c: the plugin's options as the collector forwards them. */
/* Why the plugin would refuse KEY=VALUE kv (out= is the collector's), or NULL. */
const char *qemu_plugin_opt__check(const char *kv);
/* The plugin's option string (K=V,K=V) of the given --plugin-opt words and,
 * in system mode, the --trapvec and --guest words resolved by the ELF's
 * symbols t (NULL: addresses only); a malloc'd string, NULL (error printed). */
struct qemu_plugin_words {
	const char *const *opts, *const *trapvec, *const *guest;
	int n_opts, n_trapvec, n_guest;
	int threads; /* add threads=on, unless opts say threads= */
};
char *qemu_plugin_opts__build(const struct qemu_plugin_words *w, int system, const struct symtab *t);

/* qemu_threads.c: can the program at path start threads: it defines or
 * references pthread_create, clone, clone3..., or a library it needs
 * (DT_NEEDED, transitively, found as the loader would, in sysroot first when
 * not NULL) references one? 1 yes, 0 no or unreadable. */
int qemu__elf_starts_threads(const char *path, const char *sysroot);
/* The vCPUs a system-mode -smp argument asks for at most ("4",
 * "cpus=2,maxcpus=8", "sockets=2,cores=2"). */
long qemu__smp_vcpus(const char *arg);

/* qemu_select.c: the QEMU at hand and the plugin build it accepts. */
struct qemu_pick {
	char *path;         /* the QEMU binary (PATH searched) */
	char *version;      /* first line of its --version */
	int major, minor;
	int api;            /* API family of the build chosen (0: EMUDIFF_PLUGIN's) */
	char *plugin;       /* that build's path */
	char *plugin_build; /* its file name, e.g. libemudiff-qemu-api4.so */
};
/* Find qemu, check it is a QEMU with plugin support (one found on PATH without
 * gives way to the plugin-enabled one of build_dir/../qemu-versions.txt, or of
 * libdir/emudiff/qemu-versions.txt, with a warning), and choose the plugin:
 * $EMUDIFF_PLUGIN, else the newest libemudiff-qemu-apiN.so the QEMU accepts
 * in build_dir/../qemu-plugins, else in libdir/emudiff. 0, or -1 with a
 * one-line error naming the binary and what to do (p freed by the caller). */
int qemu__select(const char *qemu, const char *build_dir, const char *libdir, struct qemu_pick *p);
void qemu_pick__free(struct qemu_pick *p);

/* qemu_run.c: running QEMU. */
struct qemu_collect;
/* The QEMU binary c names: c->qemu, else system mode's first argument when
 * it is not an option (*first = 1), else qemu__default_binary's. */
const char *qemu__binary(const struct qemu_collect *c, int *first);
/* qemu-riscv64/qemu-x86_64 (user) or qemu-system-<arch> for arch (NULL: riscv64). */
const char *qemu__default_binary(int system, const char *arch);
/* First line of `QEMU --version`, or "unknown"; malloc'd. */
char *qemu__version(const char *qemu);

/* A workload whose stdout is a measurement too (collect qemu --parse, which
 * import cyclictest --run runs under QEMU): read as it runs and passed
 * through unchanged, parsed once it ended, stored in the same run. */
struct output_parse {
	const char *format; /* "cyclictest" */
	double unit_ns;     /* cyclictest's summary lines: ns per unit (1000; 1 with -N) */
};

/* One collection: reps invocations of QEMU with the plugin, each stored as a run. */
struct qemu_collect {
	const char *qemu;          /* QEMU's binary (NULL: by mode and arch) */
	const struct qemu_pick *pick; /* qemu__select of qemu__binary's answer */
	int system;
	int argc;
	char **argv;               /* user: PROG ARGS; system: [QEMU-BINARY] QEMU-ARGS */
	const char *plugin_opts;   /* K=V,... without out= ("": none) */
	double timeout_s;          /* 0: none */
	const char *until_console; /* system mode: stop when this appears on the console */
	const char *boot_console;  /* system mode: time from QEMU's start to this on the console */
	const struct boot_stages *stages; /* system mode: boot stages looked for on the console (NULL: none) */
	const char *name, *arch, *elf_path, *cell;
	const struct symtab *elf_syms; /* system mode's --elf, for symbolizing events */
	const char *sysroot;       /* user mode: QEMU's -L (qemu__sysroot); NULL: none */
	int rep, reps;
	const struct driver_opts *driver; /* a server with its load generator; NULL: none */
	const struct output_parse *parse; /* user mode: its stdout parsed too; NULL: none */
};
/* qemu_sysroot.c: the sysroot user-mode QEMU needs for the program prog:
 * given (--sysroot), else QEMU_LD_PREFIX, else Debian's /usr/<arch>-linux-gnu
 * for a dynamically linked program of another machine; *dir NULL when none is
 * needed (caller frees). 0, or -1 with a one-line error naming prog. */
int qemu__sysroot(const char *prog, const char *given, char **dir);
/* 0 when every run was ok, 1 when some failed or timed out (stored), -1 on
 * bad input or an error (printed; the run in question not stored). An
 * interrupt ends it early: see proc__interrupted(). */
int qemu__collect(struct store *s, const struct qemu_collect *c);

/* qemu_ingest.c: a plugin output, and its forked children's, as one run. */
struct qemu_output_thread;
/* A forked process: its pid (FILE.<pid>) and its threads with their totals
 * (one made of the file's totals before format 4). */
struct qemu_child {
	int pid;
	struct qemu_output_thread *threads;
	size_t n_threads;
};
struct qemu_outputs {
	struct qemu_output *main;
	size_t n_children;       /* FILE.<pid> files of forked children */
	struct qemu_child *children; /* theirs, by pid (creation order while pids do not wrap) */
	uint64_t insns_children; /* the sum of their total insns */
	uint64_t syscalls_children; /* and of their system calls */
	char *invalid; /* why the counts are not exact (a file's invalid line), else NULL */
};
enum { QEMU_OUT_REFUSED = -1, QEMU_OUT_DAMAGED = -2 };
/* Read path and its children's files, each checked against the mode and arch
 * (NULL: any) of the collection; label names the run in a refusal (NULL:
 * path). 0, QEMU_OUT_DAMAGED (a file unreadable or damaged) or
 * QEMU_OUT_REFUSED (a file of another mode or arch). A file whose counts
 * the plugin declared invalid is read: its run is stored as failed, without
 * counts (o->invalid says why). */
int qemu_outputs__read(const char *path, const char *label, int system, const char *arch,
		       struct qemu_outputs *o);
void qemu_outputs__free(struct qemu_outputs *o);
/* Remove path's children's files (and a killed child's FILE.<pid>.tmp). */
void qemu_outputs__remove_children(const char *path);

/* What the store records of a run besides the plugin's output. */
struct qemu_run_record {
	const char *name, *arch, *elf_path, *cell;
	const char *label; /* names the run in warnings: the ELF, QEMU or the file */
	int argc;
	char *const *argv; /* the workload's words, for the workload's argv */
	int system, rep;
	const char *plugin_opts, *qemu_version, *qemu_binary, *until_console;
	const char *boot_console; /* NULL: none; the time is result.boot_ns */
	const char *sysroot; /* QEMU's -L, NULL: none */
	const char *plugin_build; /* the plugin's file name (NULL: unknown) */
	const struct symtab *elf_syms; /* NULL: events keep their addresses */
	struct qemu_result result;
	const struct console_run *console; /* system mode: the console's `@emudiff lat` events */
	const struct boot_stages *stages;  /* system mode: the boot stages looked for, and */
	const struct boot_times *boot;     /* when they appeared (NULL: none) */
	const struct driver *driver; /* a client-server run: the driver's report; NULL: none */
	const struct output_parse *parse; /* its stdout was parsed (NULL: not) */
	const struct cyclictest *parsed;  /* what it held, stored when the run is ok; NULL: nothing */
};
/* Store one run: its record and o (NULL: QEMU left no output), in one
 * transaction; prints "run N: ..." and returns N, or -1 with nothing stored. */
/* The whole-run instructions of a plugin output by region key (qemu_maps.c):
 * s:<symbol> of the program (QEMU's names, and from format version 3 on the
 * ELF's for the code QEMU could not name), s:<symbol>@<dso> and
 * s:[unknown]@<dso> of the other files the guest mapped, keyed as collect hw
 * keys its samples; by key. Instructions outside any of them: unattributed. */
struct qemu_region {
	char *key;
	uint64_t insns;
};
struct qemu_regions {
	struct qemu_region *v;
	size_t n, cap;
	uint64_t unattributed;
};
struct qemu_output;
void qemu_regions__build(const struct qemu_output *out, struct qemu_regions *r);
void qemu_regions__free(struct qemu_regions *r);

int64_t qemu__ingest(struct store *s, const struct qemu_run_record *rec, const struct qemu_outputs *o);
/* qemu_workers.c: the threads of o's processes (run_thread with their process
 * and, for a server, whether it ran during the load) and their totals; the
 * server's workers summed up into w (workers 0: not a server run). */
struct worker_summary;
int qemu__store_threads(struct store *s, int64_t run, const struct qemu_run_record *rec,
			const struct qemu_outputs *o, struct worker_summary *w);
/* Store the plugin output file path (and its children's) made elsewhere:
 * status and exit code are the output's, the options its own (rec's result,
 * plugin_opts, qemu_version and qemu_binary are not used; arch NULL: the
 * output's). The run id, or -1 with nothing stored. */
int64_t qemu__ingest_file(struct store *s, const struct qemu_run_record *rec, const char *path);

/* ---- hardware: perf_event_open runs, consoles, imports (hw_*.c) ---------- */

#include "hw.h"

/* Symbol tables of the files that samples fell in, each loaded once for all
 * the runs of a command (hw_symbols.c). */
struct symtab;
struct hw_symcache {
	char **path;
	struct symtab **tab;
	size_t n;
};
/* path's table; NULL when it has none ([vdso], a deleted file, not ELF).
 * quiet: a file that cannot be read is not worth a warning. */
struct symtab *hw_symcache__get(struct hw_symcache *c, const char *path, int quiet);
void hw_symcache__free(struct hw_symcache *c);

/* One invocation of `collect hw` (hw_ingest.c). */
struct hw_ingest {
	struct ingest_workload workload;
	const char *prog;               /* the program's real path: its symbols keep bare names */
	const struct hw_run_opts *opts; /* how it ran, for config_json */
	const struct hw_machine *machine;
	int rep, warmup;                /* a warm-up is stored with status warmup, no cell */
	const char *cell;
	struct hw_symcache *syms;
	const struct driver *driver;    /* a client-server run: the driver's report; NULL: none */
};
/*
 * r as one `hw` run, in one transaction: marker hits and the counters read
 * at each, whole-run totals and rusage, system calls per marker interval
 * (unless records were lost), sampled symbols as s:<symbol> regions and per
 * marker interval, config_json with the options, the machine's facts and why
 * events are unsupported. The run id, or -1 with nothing stored.
 */
int64_t hw_ingest(struct store *st, const struct hw_ingest *in, const struct hw_run_result *r);
/* hw_workers.c: each thread's process (run_thread.process, pid, and for a
 * server run in_load), and the server's workers summed up into w (workers 0:
 * not known, or not a server run). Why the processes are not known, or NULL. */
struct worker_summary;
int hw__store_workers(struct store *st, int64_t run_id, const struct hw_ingest *in, const struct hw_run_result *r,
		      struct worker_summary *w);
const char *hw_workers__why(const struct hw_run_result *r, const struct driver *d);
/* The sampled part of hw_ingest, inside its transaction (hw_symbols.c):
 * samples per symbol (region metrics) and per marker interval (mark_symbol). */
int hw_ingest__samples(struct store *st, const struct hw_ingest *in, int64_t wid, int64_t run_id,
		       const struct hw_run_result *r, double task_ns);

/* A serial log of `@emudiff` lines (console_ingest.c). */
struct console_ingest {
	struct ingest_workload workload;
	const char *log;    /* recorded in config_json */
	double timebase_hz; /* rdtime ticks per second */
	int rep;            /* of the log's first run */
	const char *cell;
	const struct boot_stages *stages; /* parsed with the log: their times are stored; NULL: none */
};
/* Each run of the log as one `console` run, all in one transaction; ids[i]
 * gets run i's id. 0, or -1 with nothing stored. */
int console_ingest(struct store *st, const struct console_ingest *in, const struct console_log *cl,
		   int64_t *ids);
/* The harts a run's mark lines named (`hart=`), as run_thread rows (kind
 * hart, os_id the hart number); nothing for a log without `hart=`. */
int console__store_threads(struct store *st, int64_t run_id, const struct console_run *run);
/* The `@emudiff lat` events of r as latency samples of run (latency_ingest.c):
 * per metric lat_<name>_ns and marker region (m:<from>-><to>#<n> from r's
 * marks; 'run' outside every marker pair), ticks at timebase_hz. 0 or -1. */
int latency__store_console(struct store *st, int64_t run, const struct console_run *r, double timebase_hz);
/* The time CSR's rate on QEMU's riscv virt machine, for its consoles' ticks. */
#define QEMU_VIRT_TIMEBASE_HZ 10e6
/* A QEMU console copy at path: when it holds `@emudiff lat` lines, its
 * marks and latencies into cl (run 0 of it: the lines up to the first
 * `@emudiff exit`); else cl empty. -1 ("PATH:LINE: reason", label in place of
 * the temporary path) on a malformed line. */
int latency__read_console(const char *path, const char *label, struct console_log *cl);

/* Boot stages (boot_ingest.c; the stages and their matching: hw.h). */
/* The stages t saw as run metrics of run (boot_<stage>_ns, until_console_ns
 * for the console string), inside an ingest transaction; 0 or -1. */
int boot__store(struct store *st, int64_t run, const struct boot_stages *s, const struct boot_times *t);
/* The user's stages (--stage NAME=REGEX) as config_json's $.stages.NAME. */
void boot__config(struct json *j, const struct boot_stages *s);
/* Copy console bytes buf[0..n) that arrived at ns to log, each line led by
 * that time as "[S.NNNNNNNNN] " (boot_line__time reads it back); *mid_line
 * says whether the last byte copied ended a line (0) or not. */
void boot__copy_timed(FILE *log, int *mid_line, const char *buf, size_t n, int64_t ns);
/* The stages of s in the timed console copy at path (none when QEMU wrote
 * nothing); 0. */
int boot__read_console(const char *path, const struct boot_stages *s, struct boot_times *t);

/* Files written elsewhere: perf stat, perf script, uftrace (import_*.c). */
struct import_ingest {
	struct ingest_workload workload;
	const char *file;     /* the file (or directory) read, recorded in config_json */
	int platform;         /* PLAT_IMPORT, or PLAT_HW for perf stat --platform hw */
	int rep;
	const char *cell;
	int64_t repeats;      /* perf stat -r N; 0: not told */
	double unit_ns;       /* cyclictest: ns per unit of its T: lines (1000; 1 with -N) */
};
/* Each returns the run id, or -1 with nothing stored. Events perf could not
 * count are recorded as unsupported, never as 0. */
int64_t perf_stat__ingest(struct store *st, const struct import_ingest *in, const struct perf_stat *ps);
/* Samples of one event can be stored; -1 with "PATH: reason" for mixed events. */
int perf_script__check(const struct perf_script *ps, const char *path);
/* Samples per symbol as s:<symbol> regions; refuses what perf_script__check refuses. */
int64_t perf_script__ingest(struct store *st, const struct import_ingest *in, const struct perf_script *ps);
/* Self time per symbol as time_ns, with incl_time_ns and calls. */
int64_t uftrace__ingest(struct store *st, const struct import_ingest *in, const struct uftrace_data *d);
/* cyclictest's histogram as latency samples, its summary as run metrics
 * (import_cyclictest.c). */
int64_t cyclictest__ingest(struct store *st, const struct import_ingest *in, const struct cyclictest *ct);
/* What cyclictest's output adds to a run's config_json: its form, threads,
 * histogram overflows and the unit of its summary lines. */
void cyclictest__config(struct json *j, const struct cyclictest *ct, double unit_ns);
/* ct's histogram as latency samples (lat_wakeup_ns of the region 'run') and
 * its summary as run metrics of run, inside an ingest transaction; *overflows
 * the events beyond the histogram (stored at their thread's maximum). 0 or -1. */
int cyclictest__store(struct store *st, int64_t run, const struct cyclictest *ct, double unit_ns,
		      uint64_t *overflows);
/* The warning for events beyond the histogram of label's output, if any. */
void cyclictest__warn_overflows(const char *label, uint64_t overflows);
/* cyclictest's stdout as a guest framed it on its console (console_cyclictest.c:
 * "@emudiff cyclictest begin", the lines, "@emudiff cyclictest end exit=N
 * lines=N"), read from f into ct (errors of its lines: "LABEL:LINE", the
 * console's line). 0; else ct empty and why ("LABEL[:LINE]: reason"), and 1
 * (nothing printed): no frame, a malformed or second one, lines lost,
 * cyclictest failed; or 2: its output does not parse (that error printed). */
int cyclictest__read_console(FILE *f, const char *label, struct cyclictest *ct, char *why, size_t n);
/* A cyclictest this process ran natively (import_run.c): its run as it
 * ended, the output parsed into ct when it was ok (ct NULL: no output to
 * store, the run failed or its output did not parse, why set). The run id,
 * or -1 with nothing stored. */
struct cyclictest_exec {
	const struct import_run_result *r;
	const char *why; /* NULL: r's */
};
int64_t cyclictest__ingest_run(struct store *st, const struct import_ingest *in, const struct cyclictest *ct,
			       const struct cyclictest_exec *x);
/* import_run.c: a program an importer runs itself (import cyclictest --run
 * --platform hw), natively, under the supervisor's deadline policy; its
 * stdout read into out (and passed through to ours). 0 once it ran (r's
 * status says how it ended), or -1 (error printed) when it could not be
 * started. */
struct import_run {
	char *const *argv;  /* PROG (a path) ARGS, NULL-terminated */
	double timeout_s;   /* 0: none */
};
struct import_run_result {
	enum run_status status;
	int exit_code;      /* or 128 + signal */
	int64_t wall_ns;
	char why[160];      /* when not ok */
	char *out;          /* its stdout, NUL-terminated */
	size_t len, cap;
};
int import__run(const struct import_run *o, struct import_run_result *r);
void import_run_result__free(struct import_run_result *r);
/* A file's basename without its extension: the default workload name of a
 * log or an imported file; caller frees. */
char *import__default_name(const char *path);

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
	const struct driver_opts *driver; /* the guest is a server with its load generator; NULL: none */
	const char *boot_console; /* time from the VMM's start to this on the console; NULL: none */
	const struct boot_stages *stages; /* boot stages looked for on the console (NULL: none) */
	const struct output_parse *parse; /* the guest's output framed on its console is parsed (NULL: not) */
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
	int64_t boot_ns;       /* --boot-console seen after boot_ns; -1: not seen */
	int console_marks;     /* marker lines the console showed while the VMM ran */
	struct driver *driver; /* o->driver's state and report; NULL: no driver */
	struct boot_times boot_times; /* o->stages' lines, timed from the VMM's start as they arrived */
	struct cyclictest *parsed; /* o->parse: what the console's frame held (an ok run's); NULL: nothing */
};

/*
 * Run the VMM once under the supervisor of common.h: its stdout and stderr
 * pass through byte for byte; KVM stop messages on its stderr are a stop
 * request (QEMU pauses the VM and would wait forever). With o->driver the
 * guest is a server: the driver is stepped from the supervision loop (its
 * --ready-console read from the console) and its report kept in r->driver. 0 when the run
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

/* ---- client-server cells: a load generator beside a server (driver.c) ---- */
/*
 * The collector starts the server (the workload) as usual and steps a driver
 * from its supervision loop: readiness on 127.0.0.1:port within
 * ready_timeout_s, then the driver command natively with its budget, then
 * SIGTERM to the server (SIGKILL PROC_GRACE_S later). The driver's words
 * may hold @port@ and @budget@ (the budget's number).
 */
struct driver_opts {
	const char *cmd;        /* NULL: not a client-server run */
	int port;
	/* a guest behind QEMU's forwarded port: QEMU accepts connections there
	 * before the guest listens, so the guest says on its console when it
	 * does; NULL: the port alone tells */
	const char *ready_console;
	double ready_timeout_s;
	double budget;          /* seconds (budget_is_time) or requests */
	int budget_is_time;
};
enum { DRV_REQUESTS = 1, DRV_RPS = 2, DRV_P50 = 4, DRV_P90 = 8, DRV_P99 = 16, DRV_ERRORS = 32 };
struct driver_result {
	unsigned have; /* DRV_* bits of what the driver reported */
	double requests, requests_per_s, p50_ns, p90_ns, p99_ns, errors;
	int64_t ready_ns; /* server start to its first accepted connection */
};
/* A set of process ids (workers.c). */
struct pid_set {
	int *v;
	size_t n, cap;
	int sorted;
};
void pid_set__add(struct pid_set *s, int pid);
void pid_set__seal(struct pid_set *s); /* sorted: has() searches it */
int pid_set__has(const struct pid_set *s, int pid);
void pid_set__free(struct pid_set *s);
/* Add the live (not zombie) processes of process group pgid, from /proc. */
void pid_set__group(struct pid_set *s, int pgid);
enum driver_state { DRIVER_WAIT_READY, DRIVER_RUNNING, DRIVER_DONE };
struct driver {
	const struct driver_opts *o;
	const struct console_watch *ready; /* o->ready_console on the server's console; NULL: none */
	enum driver_state state;
	int failed;        /* the run fails: why says why */
	int server_killed; /* the server ignored SIGTERM and was killed */
	char why[200];
	char *name;        /* the driver's program */
	int64_t start_ns;
	struct proc proc;
	int out_fd;
	char *out;
	size_t len, cap;
	struct driver_result res;
	/* The load (workers.c): when the driver started and ended (now_ns; 0:
	 * not reached), the server's live processes when it ended, and under
	 * QEMU the forked processes whose plugin files (child_files.<pid>) were
	 * written by its start and by its end, that is, which had ended. */
	int64_t load_start_ns, load_end_ns;
	const char *child_files; /* the plugin's FILE under QEMU; NULL natively */
	struct pid_set alive_end, files_start, files_end;
};
/* "30s" (seconds) or "2000" / "2000r" (requests) into o; -1 if neither. */
int driver_budget__parse(const char *s, struct driver_opts *o);
/* The driver's words, substituted; NULL (error printed). */
char **driver__argv(const struct driver_opts *o);
/* Before the server starts: the driver is found and the port is free; -1
 * with one line naming the driver or the port. */
int driver__check(const struct driver_opts *o);
/* At the server's start (d's former sets freed by driver__free). */
void driver__begin(struct driver *d, const struct driver_opts *o);
/* From the server's supervision loop while it runs: the milliseconds until
 * it wants to be stepped again, at most cap_ms. Stops the server when the
 * driver is done or failed. */
int driver__step(struct driver *d, struct proc *server, int cap_ms);
/* After the server was reaped: the run's status (a timeout stays one) and
 * why it failed: the driver failed or is missing, the server never listened,
 * ended on its own, or did not stop within the grace and was killed. */
void driver__conclude(struct driver *d, const struct proc *server, int *status, char *why, size_t size);
/* The driver's setup and whether the server was killed, in config_json. */
void driver__config(struct json *j, const struct driver *d);
/* The driver's report (wrk --latency, redis-benchmark --csv, `@emudiff
 * driver k=v` lines) into r (its ready_ns kept); -1 without a request count. */
int driver__parse(const char *out, const struct driver_opts *o, struct driver_result *r);
/* After driver__conclude, once the run is stored: the load's sets freed. */
void driver__free(struct driver *d);

/* ---- a server's workers (workers.c) ---- */
/* One thread of the server's run: its ordinal, its process's ordinal (0: the
 * program started, then forked processes in creation order; -1: not known),
 * whether its process ran during the load, and its whole-life totals (< 0:
 * not counted). */
struct worker_task {
	int thread, process, in_load;
	double insns, syscalls;
};
/* The workers that ran during the load (0: not known), and per worker the
 * mean and max of its threads' instructions and system calls (< 0: some
 * worker's not counted). A worker: a thread of process 0, or a forked
 * process with its threads. */
struct worker_summary {
	int workers;
	double insns_mean, insns_max, syscalls_mean, syscalls_max;
};
void workers__summarize(const struct worker_task *t, size_t n, struct worker_summary *s);
/* Under QEMU: the pids of the plugin files FILE.<pid> written so far. */
void qemu_outputs__child_pids(const char *path, struct pid_set *s);

/* The server's totals, for the counts per request and per worker (< 0: unknown). */
struct driver_counts {
	double insns, syscalls;
	struct worker_summary w;
};
/* r's metrics and the per-request counts as run metrics of run (inside an
 * ingest transaction); 0 or -1. */
int driver__store(struct store *s, int64_t run, const struct driver_result *r, const struct driver_counts *c);

#endif
