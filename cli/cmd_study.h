/*
 * cmd_study.h - internal to the study command: what cmd_study.c (a study run
 * here) and cmd_study_slurm.c (the same study submitted to Slurm) share.
 */
#ifndef EMUDIFF_CMD_STUDY_H
#define EMUDIFF_CMD_STUDY_H

#include "store.h"
#include "study.h"

struct study_opts {
	const char *suite, *out, *db, *exe;
	int resume, retry_failed, jobs, top, grace, fail_on_error;
	int list, print, collect_only, analyze_only;
	int submit, status, slurm_finish, top_given;
	const char *slurm_opts[SLURM_JOBS]; /* --slurm-<job>: replaces the suite's slurm.<job> */
	const char *slurm_task;             /* --slurm-task LIST */
	double tolerance, confidence;
	char **cells;
	int ncells;
};

/* Everything one `emudiff study` works with. */
struct study_cmd {
	struct study_opts o;
	struct study_suite *s;
	struct study_plan plan, chosen; /* chosen: the --cell cells */
	const struct study_plan *todo;  /* &plan or &chosen */
	struct store *st;
	char *build_root, *out, *db, *logs, *exe, *self;
	char *task_cell; /* --slurm-task: the cell of this array task */
	double tol, conf;
	struct study_result res;
};

/* mkdir -p; 0, or -1 with an error printed. */
int study_cmd__mkdir_p(const char *path);
/* Run `exe ARGS...` as one step of the analysis; its exit status. */
int study_cmd__run_step(const char *exe, char *const *args);
/* The study as the options ask, here: collect, then align, stats and report. */
int study_cmd__run(struct study_cmd *k);

/* cmd_study_slurm.c: --submit slurm, --status, and what the submitted jobs run. */
int study_cmd__submit(struct study_cmd *k);
int study_cmd__status(struct study_cmd *k);
int study_cmd__slurm_task(struct study_cmd *k);
int study_cmd__slurm_finish(struct study_cmd *k);

#endif
