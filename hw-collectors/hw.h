/*
 * hw.h - hw-collectors/: measurements taken on real hardware and brought in
 * from outside, for `emudiff collect hw|console` and `emudiff import`.
 *
 *  - hw_event__*: the countable events (perf's names) and their store metrics.
 *  - hw_group__*: one perf_event_open counting group per run: refused events
 *    are dropped and remembered with their errno; reads are parsed and
 *    scaled when the group was multiplexed.
 *  - hw_run(): one invocation of a workload: fork, pin, ASLR, environment
 *    padding, counting group and sampler opened on the child before exec,
 *    the marker runtime's buffer (emudiff/mark.h), syscalls by tracepoint,
 *    the deadline (common.h's supervisor), rusage of the reaped child; its
 *    threads numbered in creation order with their own totals (threads.c).
 *  - console_log__parse(): `@emudiff` lines of a serial log.
 *  - perf_stat__parse(), perf_script__parse(): perf's text outputs.
 *
 * Errors: functions return -1 after printing one line ("error: FILE: ...").
 */
#ifndef EMUDIFF_HW_H
#define EMUDIFF_HW_H

#include <regex.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "common.h"
#include "vocab.h"

/* ---- events ------------------------------------------------------------- */

#define HW_MAX_EVENTS 16

struct hw_event {
	const char *name;   /* perf's name: "cycles", "task-clock" */
	const char *metric; /* store metric: "cycles", "task_clock_ns"; instructions -> "instret" */
	uint32_t type;      /* PERF_TYPE_HARDWARE / PERF_TYPE_SOFTWARE */
	uint64_t config;
};

/* The events `collect hw` counts by default, in group order. */
extern const char hw_default_events[];
const struct hw_event *hw_event__find(const char *name); /* NULL if unknown */
const struct hw_event *hw_event__at(size_t i);           /* NULL past the end */
/* Parse a comma-separated list into events; -1 (error printed) on an unknown name. */
int hw_event__parse_list(const char *list, const struct hw_event **out, int *n);
/* "ENOENT", "EOPNOTSUPP", ... for the errnos perf_event_open returns. */
const char *hw_errno_name(int err);
/*
 * Why an event is unsupported, as config_json's `unsupported` map records it:
 * a token, then the reason when there is one. Permission refusals name the
 * paranoid level: "EACCES (perf_event_paranoid 2)" (EPERM alike); any other
 * errno is its name ("ENOENT"). Writes into buf and returns it.
 */
const char *hw_unsupported_why(int err, char *buf, size_t size);
/* Events that need tracefs (tracepoints) when it is not mounted. */
#define HW_NO_TRACEFS "no-tracefs: tracefs not mounted (mount -t tracefs nodev /sys/kernel/tracing)"

/* ---- counting group ----------------------------------------------------- */

struct hw_group {
	int n;                                   /* events in the group (read order) */
	int fd[HW_MAX_EVENTS];                   /* fd[0] is the leader */
	const struct hw_event *ev[HW_MAX_EVENTS];
	uint64_t id[HW_MAX_EVENTS];              /* PERF_EVENT_IOC_ID of each */
	int n_unsupported;
	const struct hw_event *unsupported[HW_MAX_EVENTS];
	int unsupported_errno[HW_MAX_EVENTS];
	int inherit;        /* counts threads and children (kernel allowed GROUP|inherit) */
	int exclude_kernel; /* user space only (perf_event_paranoid demanded it) */
	/* per-thread totals: inherit_stat (a PERF_RECORD_READ with each exiting
	 * thread's own counts), ids in the read format, CLOCK_MONOTONIC_RAW (and
	 * task, PERF_RECORD_FORK/EXIT, on the leader when asked); 0 when the
	 * kernel refused them */
	int thread_stats;
};

/*
 * Open the events as one group on pid (disabled, enabled on the pid's next
 * exec). An event the kernel refuses is dropped and recorded in
 * unsupported[] with its errno, never opened as a zero. task: the leader
 * reports each thread's creation and end (with thread_stats). Returns the
 * number of events opened (0 is not an error: nothing countable).
 */
int hw_group__open(struct hw_group *g, pid_t pid, const struct hw_event *const *ev, int n, int task);
/*
 * Can the marker runtime read event e without a system call? Opened alone on
 * this process (same exclude_kernel) and its perf_event_mmap_page mapped: 1
 * when the page allows user reads, else 0 with why ("not readable from user
 * space (cap_user_rdpmc 0)", or why it could not be opened).
 */
int hw_event__user_readable(const struct hw_event *e, int exclude_kernel, char *why, size_t size);
/* Close the fds; the description (n, ev, unsupported) stays for reporting. */
void hw_group__close(struct hw_group *g);

struct hw_reading {
	uint64_t time_enabled, time_running;
	int n;
	uint64_t raw[HW_MAX_EVENTS];
	double value[HW_MAX_EVENTS]; /* scaled to time_enabled when multiplexed */
	int multiplexed;             /* time_running < time_enabled: values are estimates */
	int counted;                 /* time_running > 0: values mean something */
};

/*
 * Parse one read(2) of the group leader (PERF_FORMAT_GROUP |
 * TOTAL_TIME_ENABLED | TOTAL_TIME_RUNNING: nr, enabled, running, values[nr]).
 * Returns 0, or -1 when the buffer is short or nr does not match the group.
 */
int hw_reading__parse(const void *buf, size_t len, int n_expected, struct hw_reading *out);
/*
 * The same with PERF_FORMAT_ID (nr, enabled, running, {value, id}[nr]): each
 * value goes to the group event of its id; *have gets a bit per event found
 * (a thread's PERF_RECORD_READ may hold part of the group). -1 when short.
 */
int hw_reading__parse_ids(const uint64_t *w, size_t n_words, const struct hw_group *g, struct hw_reading *out,
			  uint32_t *have);
/*
 * A marker record of read mode rdpmc (emudiff/mark.h): words[0] enabled,
 * words[1] running, words[2 + i] the raw count of counter i, read when bit i
 * of mask is set. Fills out (n counters; unread ones stay 0 and are not
 * values) and scales as hw_reading__parse does.
 */
void hw_reading__from_pmc(const uint64_t *words, uint32_t mask, int n, struct hw_reading *out);
/* Scale raw counts to time_enabled when multiplexed (sets counted, multiplexed, value[]). */
void hw_reading__scale(struct hw_reading *r);
/* read(2) the group now and parse it. */
int hw_group__read(const struct hw_group *g, struct hw_reading *out);

/* ---- machine facts ------------------------------------------------------- */

struct hw_machine {
	char cpu_model[128];
	char kernel[256];    /* uname -r and -v */
	char governor[32];   /* of the pinned CPU (or cpu0); "" when not exposed */
	int64_t cur_khz;     /* -1 when not exposed */
	int64_t max_khz;
	int paranoid;        /* kernel.perf_event_paranoid; -99 when unreadable */
	int privileged;      /* root or CAP_PERFMON/CAP_SYS_ADMIN */
	int aslr;            /* kernel.randomize_va_space */
};
void hw_machine__probe(struct hw_machine *m, int cpu);

/* ---- one invocation ------------------------------------------------------ */

/* A run's status is vocab.h's enum run_status (RUN_OK, RUN_FAILED, RUN_TIMEOUT). */

/* Slots of the marker runtime's thread table: threads beyond it record their
 * hits without counters. */
#define HW_MARK_THREAD_SLOTS 1024

struct hw_run_opts {
	char **argv;                      /* program and arguments (PATH searched) */
	const struct hw_event *const *ev; /* counting group */
	int n_ev;
	int pin_cpu;          /* -1: no pinning */
	int no_aslr;          /* personality(ADDR_NO_RANDOMIZE) */
	size_t env_pad;       /* bytes of EMUDIFF_ENV_PAD in the child's environment */
	double timeout_s;     /* <= 0: none */
	int sample_hz;        /* 0: no sampling */
	int syscalls;         /* try raw_syscalls:sys_enter */
	size_t mark_capacity; /* marker records the buffer holds */
	enum hw_mark_read {
		HW_MARK_READ_RDPMC,   /* time + user-readable counters, no system call (default) */
		HW_MARK_READ_SYSCALL, /* time + one read(2) of the counting group per hit */
		HW_MARK_READ_TIME,    /* time only */
	} mark_read;
	/* called from the supervision loop while the child runs (a client-server
	 * run's driver, collect/driver.c): the milliseconds until the next call,
	 * at most cap_ms; NULL: none */
	int (*tick)(void *arg, struct proc *child, int cap_ms);
	void *tick_arg;
};

struct hw_mark {
	int id;
	int thread;      /* ordinal (hw_run_result.threads) */
	int32_t tid;     /* the thread that hit */
	int64_t time_ns; /* CLOCK_MONOTONIC_RAW, relative to exec */
	int has_reading;
	struct hw_reading r; /* that thread's own counts, in the order of hw_run_result.group */
	uint32_t have;       /* bit e: r.value[e] was read at this hit */
};

/* A marking thread's slot in the runtime's thread table (emudiff/mark.h). */
struct hw_mark_slot {
	int32_t tid;
	uint32_t flags;    /* EMUDIFF_MARK_T_* */
	uint32_t opened;   /* bit e: group event e is in the thread's own group */
	uint32_t readable; /* rdpmc: bit e, its page allows user reads */
	int32_t leader_fd; /* -1: none */
	int open_errno[HW_MAX_EVENTS]; /* group event e refused: errno, or EMUDIFF_MARK_NO_FD */
	int64_t setup_ns[2], exit_ns[2]; /* the runtime's own system calls (absolute clock) */
};

/* A thread (task) of the run: ordinal = index in hw_run_result.threads. */
struct hw_thread {
	int32_t tid, pid;
	int64_t start_ns;     /* created (PERF_RECORD_FORK), relative to exec; 0 for thread 0 */
	int64_t end_ns;       /* ended (PERF_RECORD_EXIT), relative to exec; INT64_MAX: no record */
	int has_total;        /* total holds its own whole-run counts */
	struct hw_reading total; /* in group order */
	size_t *hits, n_hits; /* its marker hits (indices into marks), in time order */
};

struct hw_map {
	uint64_t start, len, pgoff;
	uint64_t time; /* perf clock; maps are sorted by it */
	char *path;
};

struct hw_ip {
	uint64_t ip;
	uint64_t samples;
	uint64_t period; /* sum of sample periods (ns for cpu-clock, cycles for cycles) */
};

/* One sample, for placing it between marker hits. */
struct hw_sample {
	int64_t time_ns; /* CLOCK_MONOTONIC_RAW, relative to exec, like hw_mark */
	uint64_t ip;
	uint64_t period;
	int32_t tid;
};

struct hw_syscall {
	int64_t time_ns; /* relative to exec */
	int64_t nr;
	int32_t tid;
};

struct hw_run_result {
	enum run_status status; /* RUN_OK, RUN_FAILED, RUN_TIMEOUT */
	struct proc proc;       /* the supervisor's record of the child, once reaped */
	int exit_code;      /* exit status, 128+signal, -1 unknown */
	int64_t wall_ns;    /* fork to reap */
	int64_t time_ns;    /* exec to reap */
	int64_t t0_ns;      /* exec, on CLOCK_MONOTONIC_RAW (now_ns's clock): what times are relative to */
	struct rusage ru;
	size_t env_pad;
	struct hw_group group;
	struct hw_reading total;   /* final read (valid if group.n > 0) */
	int total_ok;
	/* markers: the events each marking thread opens (indices into group), and
	 * per group event why the runtime does not read it ("": it does) */
	int mark_ev[HW_MAX_EVENTS], n_mark_ev;
	char mark_ev_why[HW_MAX_EVENTS][96];
	struct hw_mark *marks;
	size_t n_marks;
	uint64_t marks_dropped;    /* buffer full */
	uint64_t marks_incomplete; /* records never completed */
	struct hw_mark_slot *mark_slots; /* the marking threads' slots */
	size_t n_mark_slots;
	uint64_t mark_threads_unslotted; /* marking threads that found the table full */
	/* threads: ordinal 0 the program, the others in creation order */
	struct hw_thread *threads;
	size_t n_threads;
	size_t *thread_by_tid;     /* ordinals by (tid, start_ns), for hw_run_result__thread_of */
	int threads_by_fork;       /* ordinals from PERF_RECORD_FORK (else by thread id) */
	int thread_totals;         /* every thread's own totals are known */
	char threads_why[160];     /* why not, when not */
	uint64_t thread_records_lost;
	/* sampling */
	const char *sample_event;  /* "cycles", "cpu-clock", or NULL when sampling was refused */
	int sample_errno;
	struct hw_ip *ips;
	size_t n_ips;
	struct hw_map *maps;
	size_t n_maps;
	uint64_t samples, samples_lost;
	struct hw_sample *sample_list; /* every sample, in time order (markers' clock) */
	size_t n_sample_list;
	/* syscalls */
	int syscall_errno;         /* 0 when recorded */
	char syscall_why[160];     /* when not: hw_unsupported_why() or HW_NO_TRACEFS */
	struct hw_syscall *sys;
	size_t n_sys;
	uint64_t sys_lost;
	uint64_t runtime_syscalls_dropped; /* the marker runtime's own read()/mmap() */
	char exec_error[160];      /* the program could not be executed */
};

/*
 * Run one invocation. Returns 0 when the run happened (whatever its status:
 * a crash or timeout is a result), -1 on a failure of the collector itself
 * (error printed). Free the result with hw_run_result__free().
 */
int hw_run(const struct hw_run_opts *o, struct hw_run_result *r);
void hw_run_result__free(struct hw_run_result *r);
/*
 * Can raw_syscalls:sys_enter be traced by this process? 0, or -1 with why in
 * config_json's form (HW_NO_TRACEFS, "EACCES (perf_event_paranoid N)",
 * "ENOENT: ..."). For --list-events; hw_run() finds the same.
 */
int hw_syscalls__probe(char *why, size_t size);
/*
 * Fill r->marks (and the dropped/incomplete counts) and r->mark_slots from
 * the marker buffer: values in the order of r->group (the buffer's event i is
 * group event r->mark_ev[i]); times relative to t0. Sorted by time (seq
 * order). Used by hw_run(), exposed for tests.
 */
struct emudiff_mark_buffer;
void hw_run_result__collect_marks(struct hw_run_result *r, const struct emudiff_mark_buffer *b, int64_t t0);
/*
 * Threads (threads.c). The tasks seen, by thread id and creation time: r's
 * threads in creation order (fork records: n of them, tid, pid, start_ns
 * relative to exec, in the order the kernel reported them), then any other
 * thread id seen in marks, samples or calls, by id; each mark's thread
 * ordinal and each thread's hits. Exposed for tests.
 */
struct hw_fork {
	int32_t tid, pid;
	int64_t time_ns;
};
void hw_run_result__threads(struct hw_run_result *r, int32_t main_tid, const struct hw_fork *forks, size_t n);
/* Each thread's end_ns from the exit records (tid, time_ns; pid unused), after hw_run_result__threads. */
void hw_run_result__exits(struct hw_run_result *r, const struct hw_fork *exits, size_t n);
/* The ordinal of thread id tid at time t (relative to exec); -1 if unknown. */
int hw_run_result__thread_of(const struct hw_run_result *r, int32_t tid, int64_t t);
/* The last marker hit of thread `thread` at or before t (its seq), -1 before its first. */
int64_t hw_run_result__seq_at(const struct hw_run_result *r, int thread, int64_t t);
/*
 * Was the counting group multiplexed anywhere in the run (the final read or
 * any marker's read)? Returns 1 or 0; *fraction gets the smallest
 * time_running / time_enabled seen (1 when never multiplexed).
 */
int hw_run_result__multiplexed(const struct hw_run_result *r, double *fraction);

/* ---- ring buffer records (used by hw_run, exposed for tests) ------------- */

/* Sample layout of the sampler: IP | TID | TIME | PERIOD. */
struct hw_sample_fields {
	uint64_t ip;
	uint32_t pid, tid;
	uint64_t time;
	uint64_t period;
};
int hw_sample__parse(const void *rec, size_t len, struct hw_sample_fields *out);


/* ---- boot stages on a console (boot_stage.c) ----------------------------- */

#define BOOT_STAGE_MAX 24

/* One stage: a known one (vocab.h's boot_stage_words), one of --stage
 * NAME=REGEX, or the console string (a substring, not a pattern). */
struct boot_stage {
	char name[BOOT_STAGE_NAME_MAX + 1];
	char metric[BOOT_STAGE_NAME_MAX + 16]; /* boot_<name>_ns, until_console_ns */
	const char *pattern;                   /* as given (the console string for it) */
	int user, literal;
	regex_t re;                            /* when !literal */
};
struct boot_stages {
	struct boot_stage v[BOOT_STAGE_MAX];
	size_t n;
};
/* When each stage's line first appeared in one run, in ns from the start. */
struct boot_times {
	int64_t ns[BOOT_STAGE_MAX];
	uint32_t seen;    /* bit i: stage i has a time */
	uint32_t untimed; /* bit i: stage i matched a line without a time */
};
/*
 * The known stages, then specs[0..n) ("NAME=REGEX": a new stage, or a known
 * one's pattern replaced), then the console string (NULL: none) as stage
 * "console". -1 after a one-line error naming the --stage word and the
 * problem (bad name, bad pattern, too many).
 */
int boot_stages__init(struct boot_stages *s, char *const *specs, size_t n, const char *console);
void boot_stages__free(struct boot_stages *s);
/* The logger's time at the start of a log line ([S.F], [S.F D.F], S.F,
 * [HH:MM:SS.F], HH:MM:SS.F, then a blank), in ns: 1 with *ns and *rest (the
 * text after it) set, else 0 with *rest = line. */
int boot_line__time(const char *line, int64_t *ns, const char **rest);
/* A line's text: the stages not yet seen that it matches get time ns
 * (timed), or are noted untimed. */
void boot_times__line(const struct boot_stages *s, struct boot_times *t, const char *text, int timed, int64_t ns);
/* The names of the stages in mask, comma-separated, into buf; buf. */
const char *boot_stages__names(const struct boot_stages *s, uint32_t mask, char *buf, size_t n);

/* ---- console logs (freestanding markers) --------------------------------- */

#define CONSOLE_HART_MAX 2147483647u /* hart=<h> fits a thread ordinal and os_id */

struct console_mark {
	int id;
	unsigned line;
	int has_cycles, has_instret, has_time, has_hart;
	uint64_t cycles, instret, time;
	uint64_t hart;   /* hart=<h>; 0 when the line has none */
	int thread;      /* ordinal of hart among the run's harts, lowest hart 0 */
};

/* `@emudiff lat <name> ticks=<n>`: one latency event (console_lat.c). */
struct console_lat {
	char name[40];   /* the metric is lat_<name>_ns */
	uint64_t ticks;  /* of the time counter (the log's timebase) */
	size_t after;    /* marks of the run before the line: in region after-1 -> after */
	unsigned line;
};

struct console_run {
	struct console_mark *marks;
	size_t n_marks;
	uint64_t *harts;  /* the distinct harts of the marks, ascending: harts[thread] */
	size_t n_harts;
	int any_hart;     /* some mark line named its hart */
	struct console_lat *lats;
	size_t n_lats;
	int has_exit;
	int exit_code;
	struct boot_times boot; /* console_log__parse_boot's stages in the run's lines */
};

struct console_log {
	struct console_run *runs; /* split at `@emudiff exit` lines */
	size_t n_runs;
	size_t garbage_lines;     /* lines without `@emudiff` */
	size_t lines;
};

/*
 * Parse `@emudiff mark <id> [hart=<h>] [cycles=<n>] [instret=<n>] [time=<n>]` and
 * `@emudiff exit <code>` lines, and `@emudiff lat <name> ticks=<n>` latency
 * events (console_lat.c); any text before `@emudiff` is ignored; other
 * lines are counted as garbage. A line holding `@emudiff mark` or `@emudiff
 * exit` that does not parse is an error "PATH:LINE: reason" (-1). Each run's
 * marks get their thread ordinal (the rank of their hart among the run's).
 */
int console_log__parse(FILE *f, const char *path, struct console_log *out);
/* The same, and the boot stages of s (NULL: none) in each run's lines, timed
 * by the logger's prefix (boot_line__time): a log without `@emudiff` lines
 * whose lines show stages is one run of them. */
int console_log__parse_boot(FILE *f, const char *path, const struct boot_stages *s, struct console_log *out);
/* The words after `@emudiff lat` (modified in place) into l (not l->after,
 * l->line); -1 with *why set. */
int console_lat__parse(char *rest, struct console_lat *l, const char **why);
void console_log__free(struct console_log *l);

/* ---- cyclictest (rt-tests) output: histogram and summary forms ---------- */

struct cyclictest_thread {
	int has_summary, has_total, has_hmax;
	uint64_t cycles;            /* T: line's C: */
	double min, avg, max;       /* T: line (us, or ns with cyclictest -N) */
	uint64_t total, overflows;  /* histogram footer */
	double hmin, havg, hmax;    /* histogram footer, us */
};

struct cyclictest {
	struct cyclictest_thread *threads;
	size_t n_threads;
	int has_summary, footer_seen;
	struct { uint64_t bin; } *rows; /* histogram bins in us, ascending */
	size_t n_rows, cap_rows;
	size_t hist_cols;    /* count columns per row */
	size_t hist_threads; /* of which per thread (-H adds a sum column) */
	uint64_t *counts;    /* [row * hist_cols + column] */
};

/* Parse cyclictest's stdout (cyclictest.c); -1 with "PATH:LINE: reason". */
int cyclictest__parse(FILE *f, const char *path, struct cyclictest *ct);
/* The histogram as one value per event in ns, threads pooled (bin i: i us);
 * overflowed events at their thread's maximum (an upper bound); malloc'd. */
double *cyclictest__samples(const struct cyclictest *ct, size_t *n, uint64_t *overflows);
void cyclictest__free(struct cyclictest *ct);

/* ---- perf stat: -x, CSV, the human-readable default, -j JSON ------------- */

struct perf_stat_row {
	char *event;       /* as perf names it: "task-clock", "cycles:u" */
	int supported;     /* 0: <not supported> / <not counted> */
	char *why;         /* "not supported", "not counted" */
	double value;      /* as perf printed it (scaled by perf when multiplexed) */
	char *text;        /* the value's text as perf printed it: "1,234,567", "0.95" */
	char *unit;        /* "msec" or "" */
	double variance_pct; /* with -r; < 0 when absent */
	double pct_running;  /* < 0 when absent; < 100: multiplexed, perf scaled the value */
};

enum perf_stat_form { PERF_STAT_CSV, PERF_STAT_TEXT, PERF_STAT_JSON };

struct perf_stat {
	struct perf_stat_row *rows;
	size_t n;
	int repeated;   /* the -r form (variance column or "(N runs)") */
	enum perf_stat_form form;
	char *command;  /* text form: the command of "stats for 'CMD'"; NULL */
	int runs;       /* text form: N of "(N runs)"; 0 */
	double elapsed_s, user_s, sys_s; /* text form: "seconds time elapsed/user/sys"; < 0 absent */
	double elapsed_var_pct;          /* -r: the elapsed time's "( +- N% )"; < 0 absent */
};

/* Parse perf stat's output: `-x,` CSV (with or without -r), the default
 * human-readable text (with or without -r) or `-j` JSON lines, told apart by
 * their first line. -1 with "PATH:LINE: reason". */
int perf_stat__parse(FILE *f, const char *path, struct perf_stat *out);
void perf_stat__free(struct perf_stat *s);
const char *perf_stat__form_name(enum perf_stat_form form);
/* Store metric name of a perf event name ("task-clock" -> "task_clock_ns"), NULL if unknown. */
const char *perf_stat__metric(const char *event, const char *unit, double value, double *scaled);

/* ---- perf script --------------------------------------------------------- */

struct perf_script_sym {
	char *name; /* "sym" or "sym@dso-basename" for shared objects, "[unknown]" */
	uint64_t samples;
	double period;
};

struct perf_script {
	struct perf_script_sym *syms;
	size_t n;
	uint64_t samples;
	char *event;       /* event of the samples ("cpu-clock") */
	char *comm;        /* command of the first sample */
	int mixed_events;  /* more than one event name seen */
};

/*
 * Parse the default output of `perf script` (with or without callchains):
 * the sampled IP's symbol of each sample. -1 with "PATH:LINE: reason".
 * main_dso: basename of the program whose symbols keep their bare name (NULL:
 * the comm's binary).
 */
int perf_script__parse(FILE *f, const char *path, const char *main_dso, struct perf_script *out);
void perf_script__free(struct perf_script *s);


/* ==== BEGIN section owned by tp_format.c, kvm_exit.c, kvm_trace.c, uftrace.c
 * Tracepoint format files (syscalls, VM exits), VM exits from KVM tracepoints
 * (collect hw-kvm) and uftrace import. */

/* One field of a tracepoint, as its tracefs format file describes it. */
struct tp_field {
	char name[64];
	unsigned offset, size;
	int is_signed;
};

/* A tracepoint's format file: id and field layout of its raw sample data. */
struct tp_format {
	char name[96]; /* "system:event" */
	int id;
	size_t nfields;
	struct tp_field *fields;
};

/* Parse the text of a format file; origin names it in messages. 0 or -1 (error printed). */
int tp_format__parse(struct tp_format *f, const char *text, const char *origin);
/* Read TRACEFS/events/SYSTEM/EVENT/format. Returns 0, -1 on bad content (error
 * printed), -ENOENT when the tracepoint does not exist or -EACCES when this
 * user may not read it (nothing printed). */
int tp_format__load(struct tp_format *f, const char *tracefs, const char *system, const char *event);
const struct tp_field *tp_format__field(const struct tp_format *f, const char *name);
/* Read an unsigned or sign-extended field from raw data; -1 if it lies outside. */
int tp_field__read(const struct tp_field *fld, const void *raw, size_t raw_size, uint64_t *out);
void tp_format__free(struct tp_format *f);
/* Where the call number and the six arguments sit in a raw_syscalls:sys_enter
 * sample (collect hw reads them from each sample; the runtime's own calls are
 * told apart by their arguments). */
struct syscall_format {
	int id_offset, id_size;
	int args_offset;
};
/* From sys_enter's format: 0, or -1 when a field is missing or sized unexpectedly. */
int syscall_format__from(struct syscall_format *f, const struct tp_format *fmt);
/* The tracefs mount: /sys/kernel/tracing, else /sys/kernel/debug/tracing; NULL if none. */
const char *tracefs__path(void);

/* Exit-reason tables. NULL when the code is not in the table. */
const char *kvm_exit__vmx_reason(uint32_t basic_reason);  /* Intel SDM appendix C */
const char *kvm_exit__svm_reason(uint64_t exit_code);     /* AMD APM vol. 2, VMCB EXITCODE */
const char *kvm_exit__riscv_scause(uint64_t scause);      /* RISC-V privileged spec, H ext. */
const char *kvm_exit__userspace_reason(uint32_t reason);  /* KVM_EXIT_* (linux/kvm.h) */

/* How to turn one raw sample of an exit tracepoint into a reason name. */
enum kvm_exit_layout {
	KVM_LAYOUT_X86,       /* kvm:kvm_exit on x86: exit_reason + isa (1 VMX, 2 SVM) */
	KVM_LAYOUT_RISCV,     /* kvm:kvm_exit on riscv64: scause */
	KVM_LAYOUT_USERSPACE, /* kvm:kvm_userspace_exit: reason (KVM_EXIT_*) */
	KVM_LAYOUT_FIELD,     /* any tracepoint: the numeric value of one named field */
};

struct kvm_exit_decoder {
	struct tp_format fmt;
	enum kvm_exit_layout layout;
	const struct tp_field *reason, *isa;
	char prefix[32]; /* prepended to reason names ("userspace:"), may be "" */
};

/* Choose the layout from the format's fields; reason_field forces
 * KVM_LAYOUT_FIELD with that field (NULL: detect). Takes ownership of fmt.
 * 0 or -1 (error printed: no field to decode a reason from). */
int kvm_exit_decoder__init(struct kvm_exit_decoder *d, struct tp_format *fmt,
			   const char *reason_field);
/* Decode one raw sample into out ("EPT_VIOLATION", "VS-mode ecall",
 * "vmx:0x45" when not in the table). 0, or -1 when the sample is too short. */
int kvm_exit_decoder__reason(const struct kvm_exit_decoder *d, const void *raw, size_t size,
			     char *out, size_t out_size);
void kvm_exit_decoder__free(struct kvm_exit_decoder *d);

/* A tally of (reason name, marker seq) -> count, in first-seen order; seq -1
 * when no marker had been seen yet. */
struct reason_tally {
	size_t n, cap;
	struct reason_count { char *reason; int64_t seq; uint64_t count; } *v;
};
void reason_tally__add(struct reason_tally *t, const char *reason, int64_t seq, uint64_t count);
uint64_t reason_tally__total(const struct reason_tally *t);
void reason_tally__free(struct reason_tally *t);
/* Sampling of exit tracepoints on a VMM process (kvm_trace.c): one event per
 * online CPU on pid with inherit (vCPU threads), each with its own ring. */
struct kvm_trace;
/* Open decoder's tracepoint on pid (disabled, enabled at the pid's next exec).
 * Takes ownership of the decoder. NULL with -errno in *err (nothing printed). */
struct kvm_trace *kvm_trace__open(pid_t pid, struct kvm_exit_decoder *dec, int *err);
/* Attribute samples to marker regions: mark_ns[i] is when marker hit i was
 * seen (CLOCK_MONOTONIC_RAW ns, now_ns()); a sample taken after mark_ns[k]
 * and before mark_ns[k+1] counts with seq k. The arrays stay the caller's
 * and may grow between drains (*n is re-read). */
void kvm_trace__set_marks(struct kvm_trace *t, const int64_t *const *mark_ns, const size_t *n);
/* Read every complete sample so far into the tally. */
void kvm_trace__drain(struct kvm_trace *t);
const struct reason_tally *kvm_trace__tally(const struct kvm_trace *t);
const char *kvm_trace__name(const struct kvm_trace *t); /* "kvm:kvm_exit" */
uint64_t kvm_trace__lost(const struct kvm_trace *t);     /* samples lost to full rings */
uint64_t kvm_trace__undecoded(const struct kvm_trace *t); /* samples too short to decode */
void kvm_trace__close(struct kvm_trace *t);

/* Guest-only counters of a VMM process (exclude_host: counted while a vCPU
 * runs guest code), one event each, inherited by threads. */
struct guest_counters {
	int n;
	int fd[HW_MAX_EVENTS];
	const struct hw_event *ev[HW_MAX_EVENTS];
	int n_unsupported;
	const struct hw_event *unsupported[HW_MAX_EVENTS];
	int unsupported_errno[HW_MAX_EVENTS];
};
/* Returns the number opened; refused events land in unsupported[]. */
int guest_counters__open(struct guest_counters *g, pid_t pid, const struct hw_event *const *ev, int n);
/* Scaled value of event i (multiplexing); -1 when it never ran. */
int guest_counters__read(const struct guest_counters *g, int i, double *value);
void guest_counters__close(struct guest_counters *g);
/* uftrace data directories (uftrace.c): the format uftrace record writes and
 * Hermit's rftrace writes for unikernels. Function-level times per symbol. */
struct uftrace_func {
	char *name;       /* symbol; "0x<addr>" when no symbol file covers it */
	uint64_t calls;
	uint64_t incl_ns; /* inclusive: outermost activations only (recursion counted once) */
	uint64_t self_ns; /* exclusive: inclusive minus traced callees */
};

struct uftrace_data {
	char *exename;          /* from task.txt (SESS) or the info file */
	int version;            /* file format version of the info header */
	size_t n_tasks;
	struct uftrace_func *funcs;
	size_t n_funcs;
	uint64_t first_ns, last_ns; /* record timestamps over all tasks */
	uint64_t records, lost_records;
	uint64_t unclosed;      /* entries without an exit, closed at the task's last time */
};

/* Read DIR. -1 with one line "DIR/FILE: reason" on bad or truncated data. */
int uftrace__load(const char *dir, struct uftrace_data *out);
void uftrace__free(struct uftrace_data *d);
/* ==== END section owned by kvm_exit.c, kvm_trace.c, uftrace.c ============== */

#endif
