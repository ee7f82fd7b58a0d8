/*
 * cmd_study_slurm.c - "emudiff study --submit slurm": the cells not yet stored
 * as Slurm job arrays (one task a cell, each writing a store of its own), a last
 * job that merges them and writes the report (study/slurm.c builds the jobs),
 * --status, and the modes the submitted jobs run (--slurm-task, --slurm-finish).
 */
#include "cmd.h"
#include "cmd_study.h"
#include "common.h"

#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- Slurm: --submit slurm, its array tasks and last job, --status ---- */

/* Where a cell stands: the status of its newest run (an ok one first) and the
 * machine that ran it; status "" when the cell is missing. */
struct cell_state {
	char status[16];
	char host[128];
};

static int newest_run(struct store *st, const char *key, struct cell_state *cs)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT status, coalesce(CASE WHEN json_valid(config_json)"
			       "  THEN json_extract(config_json, '$.hostname') END, '')"
			       " FROM run WHERE cell = ?1 ORDER BY status = ?2 DESC, status = ?3, id DESC LIMIT 1",
			       -1, &q, NULL))
		return error("%s: %s", st->path, sqlite3_errmsg(st->db));
	sqlite3_bind_text(q, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, run_status__name(RUN_OK), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, run_status__name(RUN_WARMUP), -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		snprintf(cs->status, sizeof(cs->status), "%s", (const char *)sqlite3_column_text(q, 0));
		snprintf(cs->host, sizeof(cs->host), "%s", (const char *)sqlite3_column_text(q, 1));
	}
	sqlite3_finalize(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : error("%s: %s", st->path, sqlite3_errmsg(st->db));
}

/* A cell's own store (Slurm), or NULL with *bad 0 when it is not there or its
 * task is creating it (no schema yet). */
static struct store *open_cell_store(const char *path, int *bad)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	int version = 0;

	*bad = 0;
	if (access(path, F_OK))
		return NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW)
			version = sqlite3_column_int(q, 0);
		sqlite3_finalize(q);
	}
	sqlite3_close(db);
	if (!version)
		return NULL;
	struct store *st = store__open(path, STORE_READONLY);
	*bad = !st;
	return st;
}

/* Every cell's state, from its task's store (Slurm) or else the study's store. */
static struct cell_state *cell_states(struct study_cmd *k)
{
	struct cell_state *cs = xcalloc((size_t)k->plan.ncells + 1, sizeof(*cs));
	struct store *main_st = access(k->db, F_OK) ? NULL : store__open(k->db, STORE_READONLY);
	int bad = !main_st && !access(k->db, F_OK);

	for (int i = 0; i < k->plan.ncells && !bad; i++) {
		const char *key = k->plan.cells[i].key;
		char *part = study_slurm__cell_store(k->out, key);
		struct store *st = open_cell_store(part, &bad);

		if (st)
			bad = newest_run(st, key, &cs[i]) < 0;
		if (!bad && !cs[i].status[0] && main_st)
			bad = newest_run(main_st, key, &cs[i]) < 0;
		store__close(st);
		free(part);
	}
	store__close(main_st);
	if (bad) {
		free(cs);
		return NULL;
	}
	return cs;
}

/* Stored: a run that is not a warm-up (with retry_failed: an ok run). */
static int cell_done(const struct cell_state *cs, int retry_failed)
{
	return cs->status[0] && strcmp(cs->status, run_status__name(RUN_WARMUP)) &&
	       (!retry_failed || !strcmp(cs->status, run_status__name(RUN_OK)));
}

/* Relative paths made absolute: the jobs run in another directory, on other nodes. */
static int absolute_paths(struct study_cmd *k, char **suite)
{
	char real[PATH_MAX], cwd[PATH_MAX];

	if (study_cmd__mkdir_p(k->out) || !realpath(k->out, real) || !getcwd(cwd, sizeof(cwd)))
		return error("%s: %s", k->out, strerror(errno));
	free(k->out);
	k->out = xstrdup(real);
	if (k->db[0] != '/') {
		char *db = xasprintf("%s/%s", cwd, k->db);
		free(k->db);
		k->db = db;
	}
	if (!realpath(k->o.suite, real))
		return error("%s: %s", k->o.suite, strerror(errno));
	*suite = xstrdup(real);
	if (k->o.exe) {
		char *exe = path__search(k->o.exe);
		if (!exe)
			return error("study: --exe %s: %s", k->o.exe, strerror(errno));
		free(k->exe);
		k->exe = exe;
	}
	return 0;
}

/* The command line of a job: `EMUDIFF study SUITE --out DIR` and what the
 * tasks (--exe, --retry-failed, --grace) or the last job (--db, --slurm-finish,
 * tolerance, confidence, --top) need of this command's options. */
static char **job_cmd(const struct study_cmd *k, const char *emudiff, const char *suite, int job)
{
	const struct study_opts *o = &k->o;
	char **a = NULL, num[64];

	study_argv__add(&a, emudiff);
	study_argv__add(&a, "study");
	study_argv__add(&a, suite);
	study_argv__add(&a, "--out");
	study_argv__add(&a, k->out);
	if (job == SLURM_REPORT) {
		study_argv__add(&a, "--db");
		study_argv__add(&a, k->db);
		study_argv__add(&a, "--slurm-finish");
		snprintf(num, sizeof(num), "--tolerance=%.17g", k->tol);
		study_argv__add(&a, num);
		snprintf(num, sizeof(num), "--confidence=%.17g", k->conf);
		study_argv__add(&a, num);
		snprintf(num, sizeof(num), "--top=%d", o->top);
		study_argv__add(&a, num);
		return a;
	}
	if (o->exe) {
		study_argv__add(&a, "--exe");
		study_argv__add(&a, k->exe);
	}
	if (o->retry_failed)
		study_argv__add(&a, "--retry-failed");
	snprintf(num, sizeof(num), "--grace=%d", o->grace);
	study_argv__add(&a, num);
	return a;
}

/* --submit slurm: the cells not stored yet, as one array task each; exit code. */
int study_cmd__submit(struct study_cmd *k)
{
	const struct study_opts *o = &k->o;
	struct study_slurm_spec spec[SLURM_JOBS];
	struct cell_state *cs = NULL;
	char *suite = NULL;
	int rc = EXIT_BADINPUT, held = 0, queued;

	memset(spec, 0, sizeof(spec));
	if (study_slurm__available())
		return EXIT_BADINPUT;
	for (int j = 0; j < SLURM_JOBS; j++) {
		const char *why;
		if (!o->slurm_opts[j]) {
			for (int i = 0; i < k->s->slurm[j].n; i++)
				study_argv__add(&spec[j].opts.v, k->s->slurm[j].v[i]);
			spec[j].opts.n = k->s->slurm[j].n;
		} else if (study_words__split(o->slurm_opts[j], &spec[j].opts, &why)) {
			error("study: --slurm-%s: %s", study_slurm_job_names[j], why);
			goto out;
		}
	}
	if (absolute_paths(k, &suite))
		goto out;
	queued = study_slurm__queued(k->out, NULL);
	if (queued < 0)
		goto out;
	if (queued > 0) {
		error("study: %d task%s of the last submission in %s %s still queued: wait for them or scancel"
		      " them (--status lists them)", queued, queued == 1 ? "" : "s", k->out, queued == 1 ? "is" : "are");
		goto out;
	}
	cs = cell_states(k);
	if (!cs)
		goto out;
	for (int i = 0; i < k->plan.ncells; i++) {
		const struct study_cell *c = &k->plan.cells[i];
		int j = study_platform_exclusive(c->platform) ? SLURM_HW : SLURM_EMULATION;

		held += cs[i].status[0] != '\0';
		if (cell_done(&cs[i], o->retry_failed))
			continue;
		spec[j].cells = xrealloc(spec[j].cells, (size_t)(spec[j].ncells + 1) * sizeof(*spec[j].cells));
		spec[j].cells[spec[j].ncells++] = c;
	}
	if (held && !o->resume) {
		error("%s already holds %d of the %d cells of suite '%s': --resume submits the others, or pass"
		      " another --out", k->out, held, k->plan.ncells, k->s->name);
		goto out;
	}
	spec[SLURM_EMULATION].cmd = job_cmd(k, k->self, suite, SLURM_EMULATION);
	spec[SLURM_HW].cmd = job_cmd(k, k->s->slurm_hw_emudiff ? k->s->slurm_hw_emudiff : k->self, suite, SLURM_HW);
	spec[SLURM_REPORT].cmd = job_cmd(k, k->self, suite, SLURM_REPORT);
	if (study_slurm__submit(k->out, k->s->name, spec))
		goto out;
	printf("report: %s/index.html once the last job ends (emudiff study %s --out %s --status says how far it"
	       " is)\n", k->out, o->suite, k->out);
	rc = EXIT_OK;
out:
	for (int j = 0; j < SLURM_JOBS; j++) {
		study_argv__free(spec[j].opts.v);
		study_argv__free(spec[j].cmd);
		free(spec[j].cells);
	}
	free(cs);
	free(suite);
	return rc;
}

/* --status: the cells by status and machine, the jobs, the report; exit code. */
int study_cmd__status(struct study_cmd *k)
{
	struct cell_state *cs = cell_states(k);
	static const char *const order[] = { "ok", "failed", "timeout", "warmup" };
	int n[5] = { 0 }, queued;
	char *index;

	if (!cs)
		return EXIT_BADINPUT;
	for (int i = 0; i < k->plan.ncells; i++) {
		int s = 4;
		for (int j = 0; j < 4; j++)
			if (!strcmp(cs[i].status, order[j]))
				s = j;
		n[s]++;
	}
	printf("study '%s': %d cells: %d ok, %d failed, %d timed out, %d missing\n", k->s->name, k->plan.ncells,
	       n[0], n[1], n[2], n[4] + n[3]);
	for (int i = 0; i < k->plan.ncells; i++)
		if (strcmp(cs[i].status, run_status__name(RUN_OK)))
			printf("  %s: %s%s%s\n", k->plan.cells[i].key, cs[i].status[0] ? cs[i].status : "missing",
			       cs[i].host[0] ? " on " : "", cs[i].host);
	/* which machine ran which cells */
	for (int i = 0; i < k->plan.ncells; i++) {
		int first = 1, count = 0;
		if (!cs[i].host[0])
			continue;
		for (int j = 0; j < i && first; j++)
			first = strcmp(cs[j].host, cs[i].host) != 0;
		if (!first)
			continue;
		for (int j = i; j < k->plan.ncells; j++)
			count += !strcmp(cs[j].host, cs[i].host);
		printf("machine %s: %d cell%s:", cs[i].host, count, count == 1 ? "" : "s");
		for (int j = i; j < k->plan.ncells; j++)
			if (!strcmp(cs[j].host, cs[i].host))
				printf(" %s", k->plan.cells[j].key);
		printf("\n");
	}
	queued = study_slurm__queued(k->out, stdout);
	index = xasprintf("%s/index.html", k->out);
	printf("report: %s%s\n", index, access(index, F_OK) ? " (not written yet)" : "");
	if (queued == 0 && n[4] + n[3] > 0)
		printf("missing cells: emudiff study %s --out %s --resume runs them here, or with --submit slurm on"
		       " the cluster\n", k->o.suite, k->out);
	free(index);
	free(cs);
	return queued < 0 ? EXIT_BADINPUT : EXIT_OK;
}

/* --slurm-task LIST: one array task, the cell on line $SLURM_ARRAY_TASK_ID,
 * into the cell's own store; exit code. */
int study_cmd__slurm_task(struct study_cmd *k)
{
	k->task_cell = study_slurm__task_cell(k->o.slurm_task);
	if (!k->task_cell)
		return EXIT_BADINPUT;
	k->o.cells = xrealloc(k->o.cells, sizeof(*k->o.cells));
	k->o.cells[0] = k->task_cell;
	k->o.ncells = 1;
	free(k->db);
	k->db = study_slurm__cell_store(k->out, k->task_cell);
	return study_cmd__run(k);
}

/* --slurm-finish: the last job. The cells' stores merged into the study's
 * store (all of them or none), then align, stats and report; exit code. */
int study_cmd__slurm_finish(struct study_cmd *k)
{
	char **args = NULL;
	int n = 0, rc;

	study_argv__add(&args, k->self);
	study_argv__add(&args, "merge");
	study_argv__add(&args, "--db");
	study_argv__add(&args, k->db);
	for (int i = 0; i < k->plan.ncells; i++) {
		char *part = study_slurm__cell_store(k->out, k->plan.cells[i].key);
		if (!access(part, F_OK)) {
			study_argv__add(&args, part);
			n++;
		}
		free(part);
	}
	rc = n ? study_cmd__run_step(k->self, args) : error("%s/slurm/cells: no cell of suite '%s' was stored", k->out, k->s->name);
	study_argv__free(args);
	if (rc)
		return EXIT_BADINPUT;
	k->o.analyze_only = 1;
	rc = study_cmd__run(k);
	if (rc == EXIT_OK)
		study_cmd__status(k);
	return rc;
}
