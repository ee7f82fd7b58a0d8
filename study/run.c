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
	if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM run WHERE cell = ?1 AND status = ?2 LIMIT 1", -1, &q,
			       NULL))
		return error("%s: %s", st->path, sqlite3_errmsg(st->db));
	sqlite3_bind_text(q, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, run_status__name(RUN_OK), -1, SQLITE_STATIC);
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
	int ok = !strcmp(status, run_status__name(RUN_OK));

	if (pg->tty)
		fprintf(stderr, "\r\033[K");
	if (pg->tty && ok)
		return; /* the bar says it */
	fprintf(stderr, "study: [%d/%d] %s: %s (%.1f s)%s%s\n", pg->done, pg->total - pg->skipped,
		j->cell->key, status, secs, why && *why ? ": " : "", why ? why : "");
	if (!ok)
		fprintf(stderr, "study:   log: %s\n", j->log);
}

/* Say in the cell's runs which machine and batch job ran them (a store
 * merged from many machines keeps it), unless the collector said. */
static int stamp_runs(struct store *st, const char *key, const struct study_run_opts *o)
{
	const char *const what[][2] = { { "$.hostname", o->host }, { "$.batch_job", o->batch_job } };
	sqlite3_stmt *q;

	for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		if (!what[i][1])
			continue;
		if (sqlite3_prepare_v2(st->db,
				       "UPDATE run SET config_json = json_set(config_json, ?2, ?3) WHERE cell = ?1"
				       " AND json_valid(config_json) AND json_type(config_json, ?2) IS NULL",
				       -1, &q, NULL))
			return error("%s: %s", st->path, sqlite3_errmsg(st->db));
		sqlite3_bind_text(q, 1, key, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 2, what[i][0], -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, what[i][1], -1, SQLITE_TRANSIENT);
		if (sqlite3_step(q) != SQLITE_DONE) {
			error("%s: %s", st->path, sqlite3_errmsg(st->db));
			sqlite3_finalize(q);
			return -1;
		}
		sqlite3_finalize(q);
	}
	return 0;
}

/* A job ended: find out what it left in the store. */
static int finish(struct store *st, struct job *j, struct progress *pg, struct study_result *res,
		  const struct study_run_opts *o)
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
	if (!rc)
		rc = stamp_runs(st, j->cell->key, o);
	pg->done++;
	if (!strcmp(status, run_status__name(RUN_OK))) {
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

/* The state of one study_run: the cells still to start and the jobs running. */
struct runner {
	struct store *st;
	const struct study_plan *plan;
	const struct study_run_opts *o;
	struct study_result *res;
	struct progress pg;
	int *todo;        /* plan indices of the cells to run; -1 once started */
	int ntodo, next;  /* todo[next]: the first not started */
	struct job *jobs;
	int njobs, maxjobs;
	const struct study_workload **warmed; /* workloads whose warm-up ran */
	int nwarmed;
	int rc;
};

/* The cells not yet in the store into r->todo; the others count as skipped. */
static int list_todo(struct runner *r)
{
	for (int i = 0; i < r->plan->ncells; i++) {
		int d = study_cell_done(r->st, r->plan->cells[i].key, r->o->retry_failed);

		if (d < 0)
			return -1;
		if (d)
			r->res->skipped++;
		else
			r->todo[r->ntodo++] = i;
	}
	return 0;
}

/*
 * The todo index of the cell to start now, or -1: exclusive cells only on
 * an idle machine; while one waits for the machine to drain, emulation cells
 * of the same repetition fill the free job slots.
 */
static int pick_cell(const struct runner *r)
{
	const struct study_cell *c;
	int pick = -1;

	if (r->njobs && study_cell_exclusive(r->jobs[0].cell))
		return -1;
	c = &r->plan->cells[r->todo[r->next]];
	if (!study_cell_exclusive(c) || !r->njobs) {
		pick = r->next;
	} else {
		for (int k = r->next + 1; k < r->ntodo; k++) {
			const struct study_cell *o2;
			if (r->todo[k] < 0)
				continue; /* started already */
			o2 = &r->plan->cells[r->todo[k]];
			if (o2->rep != c->rep)
				break;
			if (!study_cell_exclusive(o2)) {
				pick = k;
				break;
			}
		}
	}
	if (pick < 0 || (r->njobs && r->njobs >= r->maxjobs))
		return -1;
	return pick;
}

/* Whether cell c warms up first: the first exclusive cell of its workload. */
static int takes_warmup(struct runner *r, const struct study_cell *c)
{
	if (!study_platform_exclusive(c->platform))
		return 0;
	for (int k = 0; k < r->nwarmed; k++)
		if (r->warmed[k] == c->w)
			return 0;
	r->warmed[r->nwarmed++] = c->w;
	return 1;
}

/* Start the cell at todo index pick as a new job. */
static int start_cell(struct runner *r, int pick)
{
	const struct study_cell *c = &r->plan->cells[r->todo[pick]];
	struct job *j = &r->jobs[r->njobs];
	int warm;
	char **argv;

	r->todo[pick] = -1; /* started */
	while (r->next < r->ntodo && r->todo[r->next] < 0)
		r->next++;
	warm = takes_warmup(r, c);
	argv = study_cell__argv(c, r->o->exe, r->o->db, warm);
	*j = (struct job){ .cell = c, .timeout_s = deadline_of(c, warm, r->o->grace_s) };
	j->log = log_path(r->o->log_dir, c->key);
	if (spawn(j, argv, j->log)) {
		free(j->log);
		study_argv__free(argv);
		return -1;
	}
	study_argv__free(argv);
	r->njobs++;
	return 0;
}

/* Start what may start; whether anything did. */
static int start_ready(struct runner *r)
{
	int started = 0;

	while (r->next < r->ntodo && !stop_requested && r->rc == 0) {
		int pick = pick_cell(r);

		if (pick < 0)
			break;
		if (start_cell(r, pick)) {
			r->rc = -1;
			break;
		}
		started = 1;
	}
	return started;
}

/* Reap, enforce deadlines, forward a stop request. */
static void reap(struct runner *r)
{
	for (int k = 0; k < r->njobs; k++) {
		struct job *j = &r->jobs[k];

		if (stop_requested)
			proc__stop(&j->proc);
		if (!proc__step(&j->proc))
			continue;
		/* stopped by us on request: whatever it committed stays,
		 * nothing is recorded for it, so --resume runs it again */
		if (j->proc.end != PROC_STOPPED && finish(r->st, j, &r->pg, r->res, r->o))
			r->rc = -1;
		free(j->log);
		*j = r->jobs[--r->njobs];
		k--;
	}
}

/* Run the cells to run until all are done, or a stop request or an error. */
static void run_cells(struct runner *r)
{
	while ((r->next < r->ntodo && !stop_requested) || r->njobs > 0) {
		int started = start_ready(r);

		if (r->rc && !r->njobs)
			break;
		progress_draw(&r->pg, r->jobs, r->njobs, started);
		reap(r);
		if (r->njobs && !started)
			nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	}
	if (r->pg.tty) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
}

int study_run(struct store *st, const struct study_plan *plan, const struct study_run_opts *o,
	      struct study_result *res)
{
	struct runner r = {
		.st = st, .plan = plan, .o = o, .res = res,
		.pg = { .tty = isatty(2), .total = plan->ncells, .start_ns = now_ns() },
		.todo = xcalloc((size_t)plan->ncells + 1, sizeof(int)),
		.maxjobs = o->jobs > 0 ? o->jobs : 1,
		.warmed = xcalloc((size_t)plan->ncells + 1, sizeof(const struct study_workload *)),
	};
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;

	r.jobs = xcalloc((size_t)r.maxjobs, sizeof(*r.jobs));
	memset(res, 0, sizeof(*res));
	res->planned = plan->ncells;
	if (list_todo(&r)) {
		r.rc = -1;
		goto out;
	}
	r.pg.skipped = res->skipped;
	if (res->skipped)
		fprintf(stderr, "study: %d of %d cells already in %s, %d to run\n", res->skipped, plan->ncells,
			o->db, r.ntodo);

	stop_requested = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	run_cells(&r);
	res->interrupted = stop_requested ? 1 : 0;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
out:
	free(r.todo);
	free(r.warmed);
	free(r.jobs);
	return r.rc;
}
