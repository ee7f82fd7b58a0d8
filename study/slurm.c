/*
 * slurm.c - a study submitted to Slurm: one job array of the emulation
 * cells, one of the hardware cells (their own sbatch options, e.g. a board
 * partition and --exclusive, so a hardware cell has its node to itself), and
 * a last job, after both (afterany), that merges the cells' stores and runs
 * the analysis. Each array task is `emudiff study SUITE --slurm-task LIST`:
 * the cell on line $SLURM_ARRAY_TASK_ID of LIST, into a store of its own.
 *
 * sbatch, squeue and scancel run as children under the supervisor of
 * common.h, with their output in temporary files.
 */
#include "study.h"
#include "common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *const study_slurm_job_names[SLURM_JOBS] = { "emulation", "hw", "report" };

/* What each job is, for the lines that name it. */
static const char *const job_what[SLURM_JOBS] = { "emulation cells", "hardware cells", "merge and report" };

/* A Slurm client command must answer within this time (a busy controller is slow). */
#define CLIENT_TIMEOUT_S 120.0

int study_slurm__available(void)
{
	char *p = path__search("sbatch");

	if (!p)
		return error("study: --submit slurm: no sbatch on PATH (Slurm's client commands are needed)");
	free(p);
	return 0;
}

char *study_slurm__cell_store(const char *dir, const char *key)
{
	char *p = xasprintf("%s/slurm/cells/%s.db", dir, key);

	for (char *q = p + strlen(dir) + strlen("/slurm/cells/"); *q; q++)
		if (*q == '/')
			*q = '_';
	return p;
}

static char *read_all(FILE *f)
{
	size_t cap = 4096, len = 0, n;
	char *buf = xmalloc(cap);

	rewind(f);
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 2)
			buf = xrealloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	return buf;
}

/*
 * Run a Slurm client command: its exit status (-1 if it could not run), its
 * standard output into *out and the line of its standard error that says what
 * is wrong (the first "error:" line, else the last line) into *why.
 */
static int client(char *const *argv, char **out, char **why)
{
	FILE *fo = tmpfile(), *fe = tmpfile();
	struct proc p;
	pid_t pid;
	char *err, *line = NULL;
	int rc = -1;

	*out = *why = NULL;
	if (!fo || !fe) {
		error("study: temporary file: %s", strerror(errno));
		goto out;
	}
	pid = proc__fork(&p, 0, CLIENT_TIMEOUT_S, 0);
	if (pid < 0) {
		error("study: fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		if (dup2(fileno(fo), 1) < 0 || dup2(fileno(fe), 2) < 0)
			_exit(127);
		execvp(argv[0], argv);
		dprintf(2, "error: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	proc__wait(&p);
	rc = p.end == PROC_EXITED && WIFEXITED(p.wstatus) ? WEXITSTATUS(p.wstatus) : 128;
	*out = read_all(fo);
	err = read_all(fe);
	for (char *s = strtok(err, "\n"); s; s = strtok(NULL, "\n")) {
		line = s;
		if (strstr(s, "error: ")) {
			line = strstr(s, "error: ") + 7;
			break;
		}
	}
	*why = xstrdup(line ? line : p.end == PROC_TIMEOUT ? "no answer in time" : "");
	free(err);
out:
	if (fo)
		fclose(fo);
	if (fe)
		fclose(fe);
	return rc;
}

static void add_words(char ***a, const struct study_words *w)
{
	for (int i = 0; i < w->n; i++)
		study_argv__add(a, w->v[i]);
}

/* Append s and free it (s from xasprintf). */
static void add_own(char ***a, char *s)
{
	study_argv__add(a, s);
	free(s);
}

/* The cell list of a job array (job: its name, study_slurm_job_names). */
static char *list_path(const char *dir, const char *job)
{
	return xasprintf("%s/slurm/%s.cells", dir, job);
}

/* The sbatch command of one job; test: --test-only instead of --parsable. */
static char **sbatch_argv(const char *dir, const char *suite_name, int job, const struct study_slurm_spec *sp,
			  const char *after, int test)
{
	char **a = NULL, **cmd = NULL, *line;

	study_argv__add(&a, "sbatch");
	study_argv__add(&a, test ? "--test-only" : "--parsable");
	add_own(&a, xasprintf("--job-name=emudiff-%s-%s", suite_name, study_slurm_job_names[job]));
	add_own(&a, xasprintf("--output=%s/slurm/logs/%%x-%s.out", dir, job == SLURM_REPORT ? "%j" : "%A_%a"));
	if (job != SLURM_REPORT)
		add_own(&a, xasprintf("--array=1-%d", sp->ncells));
	if (after && *after)
		add_own(&a, xasprintf("--dependency=afterany:%s", after));
	add_words(&a, &sp->opts);
	for (char **c = sp->cmd; *c; c++)
		study_argv__add(&cmd, *c);
	if (job != SLURM_REPORT) {
		study_argv__add(&cmd, "--slurm-task");
		add_own(&cmd, list_path(dir, study_slurm_job_names[job]));
	}
	line = study_argv__shell(cmd);
	study_argv__add(&a, "--wrap");
	add_own(&a, xasprintf("exec %s", line));
	free(line);
	study_argv__free(cmd);
	return a;
}

static int write_list(const char *dir, int job, const struct study_slurm_spec *sp)
{
	char *path = list_path(dir, study_slurm_job_names[job]);
	FILE *f = fopen(path, "w");
	int rc = 0;

	if (!f) {
		rc = error("%s: %s", path, strerror(errno));
		free(path);
		return rc;
	}
	for (int i = 0; i < sp->ncells; i++)
		fprintf(f, "%s\n", sp->cells[i]->key);
	if (fclose(f))
		rc = error("%s: %s", path, strerror(errno));
	free(path);
	return rc;
}

static int make_dirs(const char *dir)
{
	static const char *const sub[] = { "slurm", "slurm/logs", "slurm/cells" };

	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		char *p = xasprintf("%s/%s", dir, sub[i]);
		int bad = mkdir(p, 0755) && errno != EEXIST;

		if (bad)
			error("%s: %s", p, strerror(errno));
		free(p);
		if (bad)
			return -1;
	}
	return 0;
}

/* Which jobs to submit: the arrays with cells, and the report job. */
static int wanted(const struct study_slurm_spec spec[SLURM_JOBS], int job)
{
	return job == SLURM_REPORT || spec[job].ncells > 0;
}

static void cancel(char ids[SLURM_JOBS][32])
{
	for (int j = 0; j < SLURM_JOBS; j++) {
		char *argv[] = { "scancel", ids[j], NULL }, *out, *why;

		if (!ids[j][0])
			continue;
		if (client(argv, &out, &why))
			warning("study: scancel %s: %s", ids[j], why ? why : "");
		free(out);
		free(why);
	}
}

/* Every job through sbatch --test-only: the partitions exist, the options are valid. */
static int test_jobs(const char *dir, const char *suite_name, struct study_slurm_spec spec[SLURM_JOBS])
{
	for (int j = 0; j < SLURM_JOBS; j++) {
		char **argv, *out, *why, *opts;
		int rc;

		if (!wanted(spec, j))
			continue;
		argv = sbatch_argv(dir, suite_name, j, &spec[j], NULL, 1);
		rc = client(argv, &out, &why);
		study_argv__free(argv);
		if (rc) {
			opts = study_argv__shell(spec[j].opts.n ? spec[j].opts.v : (char *[]){ "(none)", NULL });
			error("study: sbatch refuses the %s job (slurm.%s = %s): %s; nothing submitted", job_what[j],
			      study_slurm_job_names[j], opts, why && *why ? why : "no reason given");
			free(opts);
		}
		free(out);
		free(why);
		if (rc)
			return -1;
	}
	return 0;
}

int study_slurm__submit(const char *dir, const char *suite_name, struct study_slurm_spec spec[SLURM_JOBS])
{
	char ids[SLURM_JOBS][32] = { { 0 } }, after[3 * 32 + 4] = "";
	char *jobs_path;
	FILE *f;

	if (make_dirs(dir))
		return -1;
	for (int j = 0; j < SLURM_REPORT; j++)
		if (wanted(spec, j) && write_list(dir, j, &spec[j]))
			return -1;
	if (test_jobs(dir, suite_name, spec))
		return -1;
	for (int j = 0; j < SLURM_JOBS; j++) {
		char **argv, *out, *why;
		int rc;

		if (!wanted(spec, j))
			continue;
		argv = sbatch_argv(dir, suite_name, j, &spec[j], j == SLURM_REPORT ? after : NULL, 0);
		rc = client(argv, &out, &why);
		study_argv__free(argv);
		if (rc == 0 && out)
			snprintf(ids[j], sizeof(ids[j]), "%.*s", (int)strcspn(out, ";\n"), out);
		if (rc || !ids[j][0]) {
			error("study: sbatch of the %s job failed: %s; the jobs submitted before it are cancelled",
			      job_what[j], why && *why ? why : "no job id");
			free(out);
			free(why);
			cancel(ids);
			return -1;
		}
		free(out);
		free(why);
		if (j != SLURM_REPORT)
			snprintf(after + strlen(after), sizeof(after) - strlen(after), "%s%s", *after ? ":" : "",
				 ids[j]);
	}
	jobs_path = xasprintf("%s/slurm/jobs", dir);
	f = fopen(jobs_path, "w");
	for (int j = 0; f && j < SLURM_JOBS; j++)
		if (ids[j][0])
			fprintf(f, "%s %s %d\n", study_slurm_job_names[j], ids[j], spec[j].ncells);
	if (!f || fclose(f))
		warning("%s: %s (--status cannot follow the jobs)", jobs_path, strerror(errno));
	free(jobs_path);
	for (int j = 0; j < SLURM_JOBS; j++) {
		if (!ids[j][0])
			continue;
		if (j == SLURM_REPORT)
			printf("submitted: job %s: %s (after %s)\n", ids[j], job_what[j], *after ? after : "nothing");
		else
			printf("submitted: job %s: %s, %d task%s\n", ids[j], job_what[j], spec[j].ncells,
			       spec[j].ncells == 1 ? "" : "s");
	}
	return 0;
}

char *study_slurm__task_cell(const char *list)
{
	const char *id = getenv("SLURM_ARRAY_TASK_ID");
	int64_t n;
	char line[1024];
	FILE *f;

	if (!id || parse_i64(id, &n) || n < 1) {
		error("study: --slurm-task: SLURM_ARRAY_TASK_ID is %s%s%s (the option is for the array tasks of"
		      " --submit slurm)", id ? "'" : "not set", id ? id : "", id ? "'" : "");
		return NULL;
	}
	f = fopen(list, "r");
	if (!f) {
		error("%s: %s", list, strerror(errno));
		return NULL;
	}
	for (int64_t i = 1; fgets(line, sizeof(line), f); i++) {
		if (i < n)
			continue;
		fclose(f);
		line[strcspn(line, "\n")] = '\0';
		return xstrdup(line);
	}
	fclose(f);
	error("%s: no line %lld (SLURM_ARRAY_TASK_ID)", list, (long long)n);
	return NULL;
}

char *study_slurm__job_name(void)
{
	const char *a = getenv("SLURM_ARRAY_JOB_ID"), *t = getenv("SLURM_ARRAY_TASK_ID"), *j = getenv("SLURM_JOB_ID");

	if (a && t)
		return xasprintf("%s_%s", a, t);
	return j ? xstrdup(j) : NULL;
}

/* The key on line n of a job's cell list ("?" when unknown); caller frees. */
static char *list_line(const char *dir, const char *job, long n)
{
	char *path = list_path(dir, job), line[1024];
	FILE *f = fopen(path, "r");

	free(path);
	for (long i = 1; f && fgets(line, sizeof(line), f); i++)
		if (i == n) {
			fclose(f);
			line[strcspn(line, "\n")] = '\0';
			return xstrdup(line);
		}
	if (f)
		fclose(f);
	return xstrdup("?");
}

struct queued_job {
	char name[16], id[32];
	int pending, running, other;
	char reason[128];
};

/* One squeue line "ID|STATE|NODES|REASON" into the job it belongs to. */
static void count_task(const char *dir, struct queued_job *jobs, int njobs, char *line, FILE *out)
{
	char *f[4] = { line, NULL, NULL, NULL };

	for (int i = 1; i < 4; i++) {
		f[i] = f[i - 1] ? strchr(f[i - 1], '|') : NULL;
		if (f[i])
			*f[i]++ = '\0';
	}
	if (!f[3])
		return;
	for (int j = 0; j < njobs; j++) {
		struct queued_job *q = &jobs[j];
		size_t l = strlen(q->id);
		char *task;

		if (strncmp(line, q->id, l) || (line[l] && line[l] != '_'))
			continue;
		if (!strcmp(f[1], "PENDING")) {
			q->pending++;
			snprintf(q->reason, sizeof(q->reason), "%s", f[3]);
		} else if (!strcmp(f[1], "RUNNING")) {
			q->running++;
			if (out && line[l] == '_') {
				task = list_line(dir, q->name, atol(line + l + 1));
				fprintf(out, "slurm:   %s running on %s (task %s)\n", task, f[2], line);
				free(task);
			}
		} else {
			q->other++;
		}
	}
}

int study_slurm__queued(const char *dir, FILE *out)
{
	char *path = xasprintf("%s/slurm/jobs", dir), line[256], *sq, *text, *why;
	char *argv[] = { "squeue", "-h", "-r", "-o", "%i|%T|%N|%r", NULL };
	struct queued_job jobs[SLURM_JOBS] = { 0 };
	int njobs = 0, total = 0, rc;
	FILE *f = fopen(path, "r");

	free(path);
	if (!f)
		return 0; /* never submitted */
	while (njobs < SLURM_JOBS && fgets(line, sizeof(line), f))
		if (sscanf(line, "%15s %31s", jobs[njobs].name, jobs[njobs].id) == 2)
			njobs++;
	fclose(f);
	sq = path__search("squeue");
	if (!sq) {
		if (out)
			fprintf(out, "slurm: no squeue on PATH: the state of the jobs is unknown\n");
		return 0;
	}
	free(sq);
	rc = client(argv, &text, &why);
	if (rc) {
		error("study: squeue: %s", why && *why ? why : "failed");
		free(text);
		free(why);
		return -1;
	}
	for (char *save = NULL, *s = strtok_r(text, "\n", &save); s; s = strtok_r(NULL, "\n", &save))
		count_task(dir, jobs, njobs, s, out);
	for (int j = 0; j < njobs; j++) {
		struct queued_job *q = &jobs[j];
		int n = q->pending + q->running + q->other;
		const char *what = q->name;

		for (int k = 0; k < SLURM_JOBS; k++)
			if (!strcmp(q->name, study_slurm_job_names[k]))
				what = job_what[k];
		total += n;
		if (!out)
			continue;
		if (!n)
			fprintf(out, "slurm: job %s (%s): ended\n", q->id, what);
		else
			fprintf(out, "slurm: job %s (%s): %d running, %d pending%s%s%s, %d ending\n", q->id, what,
				q->running, q->pending, q->pending ? " (" : "", q->pending ? q->reason : "",
				q->pending ? ")" : "", q->other);
	}
	free(text);
	free(why);
	return total;
}
