/*
 * study.h - the parts of `emudiff study`: the suite file (suite.c), the
 * plan of cells and the collector command of each (plan.c), and the
 * runner that executes cells with timeouts, parallel emulation jobs and a
 * progress display (run.c). cli/cmd_study.c ties them together.
 *
 * A cell is one invocation: workload x platform x repetition, keyed
 * "<workload>/<platform>/<rep>" and stored in run.cell by the collector, so
 * that --resume skips what a store already holds (store__cell_done()).
 */
#ifndef EMUDIFF_STUDY_H
#define EMUDIFF_STUDY_H

#include "store.h"
#include "common.h"

#include <stdint.h>

/* A study runs every platform of vocab.h but import, which has no collector:
 * cells' platforms are 0 .. STUDY_PLATFORMS - 1. */
enum { STUDY_PLATFORMS = PLAT_IMPORT };

/* Hardware measurements run alone (nothing else on the machine) and pinned. */
int study_platform_exclusive(enum platform p);

/* Words of a command line (from a suite value through wordexp(3)). */
struct study_words {
	char **v;
	int n;
};
/* Append the words of v to w (shell-like quoting, no command substitution);
 * -1 with *why set when v does not split. */
int study_words__split(const char *v, struct study_words *w, const char **why);
void study_words__free(struct study_words *w);

/* The Slurm jobs of a study (slurm.c): an array of the emulation cells, an
 * array of the hardware cells, and the merge and report after both. */
enum study_slurm_job { SLURM_EMULATION, SLURM_HW, SLURM_REPORT, SLURM_JOBS };
/* "emulation", "hw", "report": the suite keys slurm.<name> */
extern const char *const study_slurm_job_names[SLURM_JOBS];

/* A server workload's load generator (serve.c); driver NULL: none. */
struct study_serve {
	char *driver;        /* the driver's command line, as written */
	int port;            /* the server's port on 127.0.0.1 */
	char *ready_timeout; /* seconds, as written; NULL: the collector's default */
	char *budget;        /* "30s" or "2000" (requests); NULL: the collector's default */
	char *ready_console; /* a guest's console line saying it listens; NULL: the port alone */
};

struct study_workload {
	char *name;
	int line;          /* line of the [workload NAME] header */
	char *binary;      /* resolved path; NULL for console-only workloads */
	char *arch;        /* NULL: the collector reads it from the ELF */
	struct study_words args;
	struct study_words system; /* qemu-system / hw-kvm command line */
	/* system.<platform>: that platform's own command line (a guest under
	 * TCG and under KVM differ in -accel and -cpu); n == 0: system's */
	struct study_words system_on[STUDY_PLATFORMS];
	struct study_words opts[STUDY_PLATFORMS]; /* extra collector options per platform */
	char *log;         /* console: serial log */
	char *qemu;        /* qemu-user/qemu-system: QEMU's binary (NULL: the collector's default) */
	unsigned platforms; /* bit (1u << enum platform) */
	int optional;      /* a missing binary skips the workload (with a warning) */
	int reps, warmup, pin, timeout, sample;
	struct study_serve serve;
	char *parse; /* parse.c: the output its cells parse (cyclictest); NULL: a collector's cells */
};

struct study_pair {
	char *name;
	int line;
	char *a, *b;                 /* workload names */
	char *a_platform, *b_platform; /* NULL: every platform both ran on */
};

struct study_suite {
	char *path;
	char *name;
	double tolerance, confidence;
	int jobs; /* 0: one per online CPU */
	struct study_workload *workloads;
	int nworkloads;
	struct study_pair *pairs;
	int npairs;
	char **skipped; /* optional workloads left out: binary not built */
	int nskipped;
	struct study_words slurm[SLURM_JOBS]; /* sbatch options of each Slurm job */
	char *slurm_hw_emudiff; /* the emudiff of the board nodes; NULL: this one */
};

/*
 * Parse and check a suite file. build_root (may be NULL) is the second place
 * where relative binary paths are looked up, after the suite file's folder.
 * On bad input prints one line "error: SUITE:LINE: reason" and returns NULL.
 */
struct study_suite *study_suite__load(const char *path, const char *build_root);
void study_suite__free(struct study_suite *s);

struct study_cell {
	const struct study_workload *w;
	enum platform platform;
	int rep;
	char *key;
};

struct study_plan {
	struct study_cell *cells;
	int ncells;
};

/* Cells in execution order: repetition-major, so that slow drift (thermal,
 * other tenants) spreads over all workloads and platforms alike. */
int study_plan__build(struct study_plan *plan, const struct study_suite *s);
void study_plan__free(struct study_plan *plan);
/* The cell with this key, or NULL. */
const struct study_cell *study_plan__find(const struct study_plan *plan, const char *key);

/*
 * The collector command of a cell: argv (NULL-terminated, caller frees with
 * study_argv__free) for `<exe> collect ...`. warmup says whether to ask the
 * hardware collector for the workload's warm-up runs first.
 */
char **study_cell__argv(const struct study_cell *c, const char *exe, const char *db, int warmup);
void study_argv__free(char **argv);
/* Append a copy of s to the NULL-terminated argv (*argv NULL: a new one). */
void study_argv__add(char ***argv, const char *s);
/* The command as one shell-quoted line (for --print-commands); caller frees. */
char *study_argv__shell(char *const *argv);

struct study_run_opts {
	const char *exe;     /* the emudiff binary collectors are spawned from */
	const char *db;
	const char *log_dir; /* one log file per cell */
	int jobs;
	int retry_failed;    /* also run cells whose runs all failed or timed out */
	int grace_s;         /* extra time before the study itself kills a collector */
	const char *host;    /* recorded as the runs' $.hostname; NULL: none */
	const char *batch_job; /* recorded as $.batch_job (Slurm job and task); NULL: none */
};

struct study_result {
	int planned, skipped, ok, failed;
	int interrupted; /* SIGINT/SIGTERM: children stopped, store consistent */
};

/*
 * Run the cells of plan that the store does not hold yet. Emulation cells
 * run up to jobs at a time; exclusive (hardware) cells run alone. A cell whose
 * collector fails without storing a run gets a `failed` run recorded here, so
 * every attempted cell leaves a trace. Returns 0, or -1 on a store error.
 */
int study_run(struct store *st, const struct study_plan *plan, const struct study_run_opts *o,
	      struct study_result *res);

/* serve.c: a workload's key driver, port, ready_timeout or budget: 1 when
 * taken, 0 when not one of them, -1 with the reason in err. */
int study_serve__key(struct study_workload *w, const char *key, const char *v, char *err, size_t n);
/* Checks between those keys once the section is read: 0, or -1 with err. */
int study_serve__check(const struct study_workload *w, char *err, size_t n);
void study_serve__free(struct study_serve *s);
/* The collector options of the workload's driver, through push. */
void study_serve__argv(const struct study_workload *w, void (*push)(void *a, const char *s), void *a);
/* The command line of a qemu-system or hw-kvm cell: system.<platform>, else system. */
const struct study_words *study_cell_system(const struct study_cell *c);
/* Does the cell run alone (hardware, a server on its port, or a parsed latency)? */
int study_cell_exclusive(const struct study_cell *c);

/* parse.c: a workload's key parse: 1 when taken, 0 when not it, -1 with the
 * reason in err; its checks once the section is read (0, or -1 with err); the
 * importer command of a cell of such a workload (as study_cell__argv). */
int study_parse__key(struct study_workload *w, const char *key, const char *v, char *err, size_t n);
int study_parse__check(const struct study_workload *w, char *err, size_t n);
char **study_parse__argv(const struct study_cell *c, const char *exe, const char *db);

/* Is the cell finished in the store? retry_failed: only an ok run counts. */
int study_cell_done(struct store *st, const char *key, int retry_failed);

/*
 * Slurm (slurm.c). A submitted study lives in DIR/slurm/: the cell list of
 * each array (emulation.cells, hw.cells: task N runs line N), the job ids
 * (jobs), Slurm's output (logs/) and one store per cell (cells/), which the
 * report job merges into the study's store.
 */
struct study_slurm_spec {
	struct study_words opts; /* sbatch options (partition, constraint, ...) */
	char **cmd;              /* the job's command; arrays get --slurm-task LIST appended */
	const struct study_cell **cells; /* arrays: the cells, one task each */
	int ncells;
};
/* sbatch on PATH? 0, or -1 after one error line. */
int study_slurm__available(void);
/* The store of one cell's task: DIR/slurm/cells/<key, '/' as '_'>.db; caller frees. */
char *study_slurm__cell_store(const char *dir, const char *key);
/*
 * Submit the jobs (an array with no cells is left out; the report job depends
 * on the arrays submitted). Every job is checked with sbatch --test-only first,
 * and jobs already submitted are cancelled when a later one fails, so that a
 * study is submitted whole or not at all. Prints one line per job. 0 or -1
 * after one error line.
 */
int study_slurm__submit(const char *dir, const char *suite_name, struct study_slurm_spec spec[SLURM_JOBS]);
/* In an array task: the cell key on line $SLURM_ARRAY_TASK_ID of list; caller frees. */
char *study_slurm__task_cell(const char *list);
/* The Slurm job and task of this process ("12_3"), or NULL outside Slurm; caller frees. */
char *study_slurm__job_name(void);
/*
 * What the queue holds of the jobs recorded in DIR/slurm/jobs: one line per
 * job to out (tasks pending and running, running cells and their nodes) when
 * out is not NULL. Returns the number of tasks still queued (0 when there is
 * no submission or no squeue), or -1 after one error line.
 */
int study_slurm__queued(const char *dir, FILE *out);

#endif
