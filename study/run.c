/*
 * run.c - run the cells of a study: one `emudiff collect` process per
 * cell, its output in a log file of its own, a per-run deadline, emulation
 * cells in parallel (--jobs) and hardware cells alone, a progress bar on a
 * terminal and one line per cell otherwise.
 *
 * Each collector ingests its run in one transaction, so a cell is either in
 * the store or not; killing the study (or the machine) loses at most the
 * cells in flight, and --resume runs exactly those again.
 */
#include "study.h"
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct job {
	const struct study_cell *cell;
	struct proc proc; /* the cell's collector: deadline, then the policy of common.h */
	double timeout_s;
	char *log;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

int study_cell_done(struct store *st, const char *key, int retry_failed)
{
	sqlite3_stmt *q;
	int rc;

	if (!retry_failed)
		return store__cell_done(st, key);
	if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM run WHERE cell = ? AND status = 'ok' LIMIT 1", -1, &q,
			       NULL))
		return error("%s: %s", st->path, sqlite3_errmsg(st->db));
	sqlite3_bind_text(q, 1, key, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : error("%s: %s", st->path, sqlite3_errmsg(st->db));
}

/* Status of the newest run of a cell ("ok", "failed", ...) into buf, or "" if none. */
static int cell_status(struct store *st, const char *key, char *buf, size_t n)
{
	sqlite3_stmt *q;
	int rc;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(st->db, "SELECT status FROM run WHERE cell = ? ORDER BY id DESC LIMIT 1", -1,
			       &q, NULL))
		return error("%s: %s", st->path, sqlite3_errmsg(st->db));
	sqlite3_bind_text(q, 1, key, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		snprintf(buf, n, "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : error("%s: %s", st->path, sqlite3_errmsg(st->db));
}

/* The last non-empty line of a log file (the collector's one-line error). */
static char *log_last_line(const char *path)
{
	char line[512], last[512] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return xstrdup("");
	while (fgets(line, sizeof(line), f)) {
		size_t l = strlen(line);
		while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
			line[--l] = '\0';
		if (l)
			memcpy(last, line, l + 1);
	}
	fclose(f);
	return xstrdup(last);
}

/* A collector that stored nothing (bad input, crash, killed): record the
 * attempt as a failed or timeout run, so the store says what happened. */
static int record_failure(struct store *st, const struct study_cell *c, const char *status, int exit_code,
			  int64_t wall_ns, const char *why, const char *log)
{
	struct run_info ri = { .platform = platform__name(c->platform), .rep = c->rep, .status = status,
			       .exit_code = exit_code, .wall_ns = wall_ns, .cell = c->key };
	struct json j;
	int rc;

	if (json__init(&j))
		return -1;
	json__str(&j, "$.study_error", why);
	json__str(&j, "$.log", log);
	ri.config_json = j.text;
	rc = store__ingest_begin(st, &(struct ingest_workload){ c->w->name, c->w->arch, NULL, NULL }, &ri) < 0
		     ? -1 : store__ingest_end(st, 0);
	json__free(&j);
	return rc;
}

static char *log_path(const char *dir, const char *key)
{
	char *p = xasprintf("%s/%s.log", dir, key), *q;

	for (q = p + strlen(dir) + 1; *q; q++)
		if (*q == '/')
			*q = '_';
	return p;
}

static int spawn(struct job *j, char **argv, const char *log)
{
	/* its own process group: the deadline ends QEMU or the workload too; one
	 * supervisor level below (the collector), so the collector gets to end
	 * its child and store before it is killed */
	pid_t pid = proc__fork(&j->proc, PROC_GROUP, j->timeout_s, 1);

	if (pid < 0)
		return error("study: fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		int in = open("/dev/null", O_RDONLY);

		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (fd < 0 || in < 0 || dup2(in, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execvp(argv[0], argv);
		dprintf(2, "error: study: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return 0;
}

struct progress {
	int tty, total, done, ok, failed, skipped;
	int64_t start_ns;
	int64_t last_draw_ns;
};

static void format_duration(char *buf, size_t n, double s)
{
	if (s >= 3600)
		snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
	else if (s >= 60)
		snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
	else
		snprintf(buf, n, "%.0fs", s);
}

static void progress_draw(struct progress *pg, const struct job *jobs, int njobs, int force)
{
	int64_t now = now_ns();
	int todo = pg->total - pg->skipped, width = 24, filled;
	char eta[32] = "?", line[256];

	if (!pg->tty || (!force && now - pg->last_draw_ns < 250000000))
		return;
	pg->last_draw_ns = now;
	filled = todo ? width * pg->done / todo : width;
	if (pg->done && todo > pg->done)
		format_duration(eta, sizeof(eta),
				(double)(now - pg->start_ns) / 1e9 / pg->done * (todo - pg->done));
	else if (todo == pg->done)
		snprintf(eta, sizeof(eta), "0s");
	snprintf(line, sizeof(line), "[%.*s%*s] %d/%d cells, %d failed, ~%s left%s%s", filled,
		 "########################", width - filled, "", pg->done, todo, pg->failed, eta,
		 njobs ? ", running " : "", njobs ? jobs[0].cell->key : "");
	if (njobs > 1)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), " (+%d)", njobs - 1);
	fprintf(stderr, "\r\033[K%.*s", 120, line);
	fflush(stderr);
}

static void progress_line(struct progress *pg, const struct job *j, const char *status, const char *why)
{
	double secs = (double)(now_ns() - j->proc.start_ns) / 1e9;

	if (pg->tty)
		fprintf(stderr, "\r\033[K");
	if (pg->tty && !strcmp(status, "ok"))
		return; /* the bar says it */
	fprintf(stderr, "study: [%d/%d] %s: %s (%.1f s)%s%s\n", pg->done, pg->total - pg->skipped,
		j->cell->key, status, secs, why && *why ? ": " : "", why ? why : "");
	if (strcmp(status, "ok"))
		fprintf(stderr, "study:   log: %s\n", j->log);
}

/* A job ended: find out what it left in the store. */
static int finish(struct store *st, struct job *j, struct progress *pg, struct study_result *res)
{
	char status[16];
	int wstatus = j->proc.wstatus;
	int exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	int64_t wall = now_ns() - j->proc.start_ns;
	char *why = NULL;
	int rc = 0;

	if (cell_status(st, j->cell->key, status, sizeof(status)))
		return -1;
	if (!*status) {
		char *last = log_last_line(j->log);
		if (j->proc.end == PROC_TIMEOUT)
			why = xasprintf("killed by the study after its deadline (%d s)", j->cell->w->timeout);
		else if (WIFSIGNALED(wstatus))
			why = xasprintf("collector died of signal %d%s%s", WTERMSIG(wstatus), *last ? ": " : "",
					last);
		else
			why = xasprintf("collector exited with status %d%s%s", exit_code, *last ? ": " : "", last);
		free(last);
		snprintf(status, sizeof(status), "%s", run_status__name(j->proc.end == PROC_TIMEOUT ? RUN_TIMEOUT : RUN_FAILED));
		rc = record_failure(st, j->cell, status, exit_code, wall, why, j->log);
	}
	pg->done++;
	if (!strcmp(status, "ok")) {
		res->ok++;
		pg->ok++;
	} else {
		res->failed++;
		pg->failed++;
	}
	progress_line(pg, j, status, why);
	free(why);
	return rc;
}

/* A cell's deadline in seconds: its runs' timeouts and the study's grace. */
static double deadline_of(const struct study_cell *c, int warmup, int grace_s)
{
	return (double)c->w->timeout * (1 + (warmup ? c->w->warmup : 0)) + grace_s;
}

int study_run(struct store *st, const struct study_plan *plan, const struct study_run_opts *o,
	      struct study_result *res)
{
	struct job *jobs = xcalloc((size_t)(o->jobs > 0 ? o->jobs : 1), sizeof(*jobs));
	const struct study_workload **warmed = xcalloc((size_t)plan->ncells + 1, sizeof(*warmed));
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	struct progress pg = { .tty = isatty(2), .total = plan->ncells, .start_ns = now_ns() };
	int *todo = xcalloc((size_t)plan->ncells + 1, sizeof(*todo));
	int ntodo = 0, next = 0, njobs = 0, nwarmed = 0, maxjobs = o->jobs > 0 ? o->jobs : 1, rc = 0;

	memset(res, 0, sizeof(*res));
	res->planned = plan->ncells;
	for (int i = 0; i < plan->ncells; i++) {
		int d = study_cell_done(st, plan->cells[i].key, o->retry_failed);
		if (d < 0) {
			rc = -1;
			goto out;
		}
		if (d)
			res->skipped++;
		else
			todo[ntodo++] = i;
	}
	pg.skipped = res->skipped;
	if (res->skipped)
		fprintf(stderr, "study: %d of %d cells already in %s, %d to run\n", res->skipped, plan->ncells,
			o->db, ntodo);

	stop_requested = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	while ((next < ntodo && !stop_requested) || njobs > 0) {
		int started = 0;

		/* start what may start: exclusive cells only on an idle machine;
		 * while one waits for the machine to drain, emulation cells of the
		 * same repetition fill the free job slots */
		while (next < ntodo && !stop_requested && rc == 0) {
			int pick = -1, warm = 0;
			const struct study_cell *c;
			char **argv;

			if (njobs && study_platform_exclusive(jobs[0].cell->platform))
				break;
			c = &plan->cells[todo[next]];
			if (!study_platform_exclusive(c->platform) || !njobs) {
				pick = next;
			} else {
				for (int k = next + 1; k < ntodo; k++) {
					const struct study_cell *o2;
					if (todo[k] < 0)
						continue; /* started already */
					o2 = &plan->cells[todo[k]];
					if (o2->rep != c->rep)
						break;
					if (!study_platform_exclusive(o2->platform)) {
						pick = k;
						break;
					}
				}
			}
			if (pick < 0 || (njobs && njobs >= maxjobs))
				break;
			c = &plan->cells[todo[pick]];
			todo[pick] = -1; /* started */
			while (next < ntodo && todo[next] < 0)
				next++;
			if (study_platform_exclusive(c->platform)) {
				warm = 1;
				for (int k = 0; k < nwarmed; k++)
					if (warmed[k] == c->w)
						warm = 0;
				if (warm)
					warmed[nwarmed++] = c->w;
			}
			argv = study_cell__argv(c, o->exe, o->db, warm);
			jobs[njobs] = (struct job){ .cell = c, .timeout_s = deadline_of(c, warm, o->grace_s) };
			jobs[njobs].log = log_path(o->log_dir, c->key);
			if (spawn(&jobs[njobs], argv, jobs[njobs].log)) {
				free(jobs[njobs].log);
				study_argv__free(argv);
				rc = -1;
				break;
			}
			study_argv__free(argv);
			njobs++;
			started = 1;
		}
		if (rc && !njobs)
			break;
		progress_draw(&pg, jobs, njobs, started);

		/* reap, enforce deadlines, forward a stop request */
		for (int k = 0; k < njobs; k++) {
			if (stop_requested)
				proc__stop(&jobs[k].proc);
			if (!proc__step(&jobs[k].proc))
				continue;
			/* stopped by us on request: whatever it committed stays,
			 * nothing is recorded for it, so --resume runs it again */
			if (jobs[k].proc.end != PROC_STOPPED && finish(st, &jobs[k], &pg, res))
				rc = -1;
			free(jobs[k].log);
			jobs[k] = jobs[--njobs];
			k--;
		}
		if (njobs && !started)
			nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	}
	if (pg.tty) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
	res->interrupted = stop_requested ? 1 : 0;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
out:
	free(todo);
	free(warmed);
	free(jobs);
	return rc;
}
