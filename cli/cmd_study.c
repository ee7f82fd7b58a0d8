/*
 * cmd_study.c - "emudiff study SUITE.ini": collect every cell of a suite
 * (workload x platform x repetition), then align, stats and report, in one
 * command; resumable, and splittable over a batch system (--list-cells,
 * --cell, then `emudiff merge` and --analyze-only), or submitted to Slurm
 * whole (--submit slurm, study/slurm.c; --status follows it).
 */
#include "cmd.h"
#include "common.h"
#include "store.h"
#include "study.h"
#include "cmd_study.h"

#include <errno.h>
#include <math.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: emudiff study SUITE.ini [options]\n"
	"\n"
	"Runs every cell (workload x platform x repetition) of the suite with `emudiff\n"
	"collect`, then `emudiff align`, `emudiff stats` and `emudiff report`, and prints\n"
	"the report's path and the top findings.\n"
	"\n"
	"  --out DIR          report folder, also holding logs/ (default ./study-<suite name>)\n"
	"  --db F             the store (default $EMUDIFF_DB, else DIR/emudiff.db)\n"
	"  --resume           skip the cells the store already holds\n"
	"  --retry-failed     with --resume, run again cells that only failed or timed out\n"
	"  -j, --jobs N       emulation runs at a time (default: suite's jobs, else CPUs);\n"
	"                     hardware runs always run alone, pinned as the suite says\n"
	"  --tolerance T      overrides the suite's tolerance (flag outside [1/T, T])\n"
	"  --confidence C     overrides the suite's confidence level\n"
	"  --top N            findings to print at the end (default 8)\n"
	"  --grace SEC        extra seconds past a run's timeout before the study kills\n"
	"                     its collector (default 30)\n"
	"  --fail-on-error    exit 1 if a cell failed or timed out\n"
	"  --exe PROG         run cells as `PROG collect ...` instead of this emudiff (a\n"
	"                     wrapper that runs the collector elsewhere, e.g. on a board)\n"
	"batch systems (one command per cell, then merge):\n"
	"  --list-cells       print the cell keys, one a line, and exit\n"
	"  --print-commands   print the collector command of each cell and exit\n"
	"  --cell KEY         run only this cell (repeatable; implies --resume and no analysis)\n"
	"  --collect-only     run the cells, skip align/stats/report\n"
	"  --analyze-only     skip collection: align, stats and report what the store holds\n"
	"Slurm (DIR on a file system every node shares; see docs/slurm.md):\n"
	"  --submit slurm     submit the cells not yet stored (with --resume) as job arrays,\n"
	"                     one task per cell, and a job after them that merges the\n"
	"                     cells' stores and writes the report; prints the job ids\n"
	"  --slurm-emulation ARGS, --slurm-hw ARGS, --slurm-report ARGS\n"
	"                     sbatch options of each job (default: the suite's slurm.*)\n"
	"  --status           cells stored, failed and missing, by machine, and the jobs\n"
	"  --slurm-task LIST, --slurm-finish   what the submitted jobs run\n";

enum {
	OPT_OUT = 256,
	OPT_DB,
	OPT_RESUME,
	OPT_RETRY,
	OPT_TOL,
	OPT_CONF,
	OPT_TOP,
	OPT_GRACE,
	OPT_FAIL,
	OPT_LIST,
	OPT_PRINT,
	OPT_CELL,
	OPT_COLLECT_ONLY,
	OPT_ANALYZE_ONLY,
	OPT_EXE,
	OPT_SUBMIT,
	OPT_SLURM_OPTS,                        /* + enum study_slurm_job */
	OPT_STATUS = OPT_SLURM_OPTS + SLURM_JOBS,
	OPT_SLURM_TASK,
	OPT_SLURM_FINISH,
};

static const struct option longopts[] = {
	{ "out", required_argument, NULL, OPT_OUT },
	{ "db", required_argument, NULL, OPT_DB },
	{ "resume", no_argument, NULL, OPT_RESUME },
	{ "retry-failed", no_argument, NULL, OPT_RETRY },
	{ "jobs", required_argument, NULL, 'j' },
	{ "tolerance", required_argument, NULL, OPT_TOL },
	{ "confidence", required_argument, NULL, OPT_CONF },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "fail-on-error", no_argument, NULL, OPT_FAIL },
	{ "list-cells", no_argument, NULL, OPT_LIST },
	{ "print-commands", no_argument, NULL, OPT_PRINT },
	{ "cell", required_argument, NULL, OPT_CELL },
	{ "collect-only", no_argument, NULL, OPT_COLLECT_ONLY },
	{ "analyze-only", no_argument, NULL, OPT_ANALYZE_ONLY },
	{ "exe", required_argument, NULL, OPT_EXE },
	{ "submit", required_argument, NULL, OPT_SUBMIT },
	{ "slurm-emulation", required_argument, NULL, OPT_SLURM_OPTS + SLURM_EMULATION },
	{ "slurm-hw", required_argument, NULL, OPT_SLURM_OPTS + SLURM_HW },
	{ "slurm-report", required_argument, NULL, OPT_SLURM_OPTS + SLURM_REPORT },
	{ "status", no_argument, NULL, OPT_STATUS },
	{ "slurm-task", required_argument, NULL, OPT_SLURM_TASK },
	{ "slurm-finish", no_argument, NULL, OPT_SLURM_FINISH },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};


static void parse_opts(int argc, char **argv, struct study_opts *o)
{
	int c;
	int64_t v;

	o->jobs = -1;
	o->top = 8;
	o->grace = 30;
	optind = 1;
	while ((c = cmd_getopt(argc, argv, "j:h", longopts)) != -1) {
		switch (c) {
		case OPT_OUT:
			o->out = optarg;
			break;
		case OPT_DB:
			o->db = optarg;
			break;
		case OPT_RESUME:
			o->resume = 1;
			break;
		case OPT_RETRY:
			o->retry_failed = 1;
			break;
		case 'j':
			if (parse_i64(optarg, &v) || v < 1 || v > 1024)
				usage_die("study: --jobs wants a number in 1..1024, not '%s'", optarg);
			o->jobs = (int)v;
			break;
		case OPT_TOL:
			if (parse_double(optarg, &o->tolerance) || !(o->tolerance > 1.0))
				usage_die("study: --tolerance wants a number above 1, not '%s'", optarg);
			break;
		case OPT_CONF:
			if (parse_double(optarg, &o->confidence) || !(o->confidence > 0 && o->confidence < 1))
				usage_die("study: --confidence wants a number between 0 and 1, not '%s'", optarg);
			break;
		case OPT_TOP:
			if (parse_i64(optarg, &v) || v < 0 || v > 10000)
				usage_die("study: --top wants a number in 0..10000, not '%s'", optarg);
			o->top = (int)v;
			o->top_given = 1;
			break;
		case OPT_GRACE:
			if (parse_i64(optarg, &v) || v < 0 || v > 86400)
				usage_die("study: --grace wants seconds in 0..86400, not '%s'", optarg);
			o->grace = (int)v;
			break;
		case OPT_FAIL:
			o->fail_on_error = 1;
			break;
		case OPT_LIST:
			o->list = 1;
			break;
		case OPT_PRINT:
			o->print = 1;
			break;
		case OPT_CELL:
			o->cells = xrealloc(o->cells, (size_t)(o->ncells + 1) * sizeof(*o->cells));
			o->cells[o->ncells++] = optarg;
			break;
		case OPT_COLLECT_ONLY:
			o->collect_only = 1;
			break;
		case OPT_ANALYZE_ONLY:
			o->analyze_only = 1;
			break;
		case OPT_EXE:
			o->exe = optarg;
			break;
		case OPT_SUBMIT:
			if (strcmp(optarg, "slurm"))
				usage_die("study: --submit wants 'slurm', not '%s'", optarg);
			o->submit = 1;
			break;
		case OPT_SLURM_OPTS + SLURM_EMULATION:
		case OPT_SLURM_OPTS + SLURM_HW:
		case OPT_SLURM_OPTS + SLURM_REPORT:
			o->slurm_opts[c - OPT_SLURM_OPTS] = optarg;
			break;
		case OPT_STATUS:
			o->status = 1;
			break;
		case OPT_SLURM_TASK:
			o->slurm_task = optarg;
			break;
		case OPT_SLURM_FINISH:
			o->slurm_finish = 1;
			break;
		case 'h':
			cmd_usage(usage_text, EXIT_OK);
		default:
			cmd_usage(usage_text, EXIT_BADINPUT);
		}
	}
	if (optind + 1 != argc)
		cmd_usage(usage_text, EXIT_BADINPUT);
	o->suite = argv[optind];
	if (o->collect_only && o->analyze_only)
		usage_die("study: --collect-only and --analyze-only exclude each other");
	if (o->ncells && o->analyze_only)
		usage_die("study: --cell and --analyze-only exclude each other");
	if (o->retry_failed && !o->resume && !o->ncells && !o->slurm_task)
		usage_die("study: --retry-failed goes with --resume");
	if (o->submit + o->status + o->slurm_finish + !!o->slurm_task + o->list + o->print > 1)
		usage_die("study: --submit, --status, --slurm-task, --slurm-finish, --list-cells and"
			  " --print-commands exclude each other");
	if ((o->submit || o->status || o->slurm_finish || o->slurm_task) &&
	    (o->ncells || o->collect_only || o->analyze_only))
		usage_die("study: --cell, --collect-only and --analyze-only do not go with Slurm's options");
}

/* The build tree the running binary sits in (build/cli/emudiff), if any:
 * suites name meson-built workloads relative to it. */
static char *find_build_root(void)
{
	char *root = xasprintf("%s/..", cmd_self_dir()), *probe = xasprintf("%s/meson-info", root);
	char real[PATH_MAX];

	if (access(probe, F_OK) || !realpath(root, real)) {
		free(probe);
		free(root);
		return NULL;
	}
	free(probe);
	free(root);
	return xstrdup(real);
}

int study_cmd__mkdir_p(const char *path)
{
	char *p = xstrdup(path);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST) {
			error("%s: %s", p, strerror(errno));
			free(p);
			return -1;
		}
		*s = '/';
	}
	if (mkdir(p, 0755) && errno != EEXIST) {
		error("%s: %s", p, strerror(errno));
		free(p);
		return -1;
	}
	free(p);
	return 0;
}

/* Study facts and A/B pairs go into the store in one transaction. */
static int record_suite(struct store *st, const struct study_suite *s, double tol, double conf)
{
	static const char meta_sql[] = "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)";
	char tol_s[32], conf_s[32];
	const char *meta[][2] = { { "study.name", s->name }, { "study.suite", s->path },
				  { "study.tolerance", tol_s }, { "study.confidence", conf_s } };
	sqlite3_stmt *q = NULL;

	snprintf(tol_s, sizeof(tol_s), "%g", tol);
	snprintf(conf_s, sizeof(conf_s), "%g", conf);
	if (store__begin(st))
		return -1;
	if (sqlite3_prepare_v2(st->db, meta_sql, -1, &q, NULL))
		goto sql_fail;
	for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++) {
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, meta[i][0], -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, meta[i][1], -1, SQLITE_STATIC);
		if (sqlite3_step(q) != SQLITE_DONE)
			goto sql_fail;
	}
	sqlite3_finalize(q);
	q = NULL;
	if (sqlite3_prepare_v2(st->db,
			       "INSERT OR REPLACE INTO ab_pair(name, a_workload, b_workload, a_platform, b_platform) "
			       "VALUES (?, ?, ?, ?, ?)",
			       -1, &q, NULL))
		goto sql_fail;
	for (int i = 0; i < s->npairs; i++) {
		const struct study_pair *p = &s->pairs[i];
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, p->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, p->a, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, p->b, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, p->a_platform, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, p->b_platform, -1, SQLITE_STATIC);
		if (sqlite3_step(q) != SQLITE_DONE)
			goto sql_fail;
	}
	sqlite3_finalize(q);
	return store__commit(st);
sql_fail:
	error("%s: recording the suite: %s", st->path, sqlite3_errmsg(st->db));
	sqlite3_finalize(q);
	store__rollback(st);
	return -1;
}

/* Run one analysis step as its own process (its exit code and messages are
 * its own; a crash there does not take the study down). */
int study_cmd__run_step(const char *exe, char *const *args)
{
	pid_t pid;
	int wstatus;

	fprintf(stderr, "study: emudiff");
	for (char *const *a = args + 1; *a; a++)
		fprintf(stderr, " %s", *a);
	fprintf(stderr, "\n");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return error("study: fork: %s", strerror(errno));
	if (pid == 0) {
		execv(exe, args);
		dprintf(2, "error: study: cannot run %s: %s\n", exe, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR)
			return error("study: waitpid: %s", strerror(errno));
	if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
		return 0;
	return error("study: 'emudiff %s' %s %d", args[1], WIFEXITED(wstatus) ? "exited with status" : "died of signal",
		     WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : WTERMSIG(wstatus));
}

static int analyze(const char *exe, const char *db, const char *out, double tol, double conf)
{
	char tol_s[32], conf_s[32];
	char *align_args[] = { (char *)exe, "align", "--db", (char *)db, NULL };
	char *stats_args[] = { (char *)exe, "stats", "--db", (char *)db, "--tolerance", tol_s,
			       "--confidence", conf_s, NULL };
	char *report_args[] = { (char *)exe, "report", "--db", (char *)db, "--out", (char *)out, NULL };

	snprintf(tol_s, sizeof(tol_s), "%g", tol);
	snprintf(conf_s, sizeof(conf_s), "%g", conf);
	if (study_cmd__run_step(exe, align_args) || study_cmd__run_step(exe, stats_args) || study_cmd__run_step(exe, report_args))
		return -1;
	return 0;
}

/*
 * The findings that matter most: regions whose primary finding
 * (PRIMARY_FINDING_SQL, the one the report and `show findings` show) is
 * flagged, ranked by how much of the workload's cost they misattribute
 * (|hardware share - predicted share|), so a rarely executed symbol with a
 * wild factor does not crowd out a phase that holds a third of the time.
 * The numbers are printed as the report prints them (num__fmt, pct__fmt).
 */
static void print_findings(struct store *st, int top)
{
	sqlite3_stmt *q;
	int n = 0;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT w.name, " REGION_LABEL_SQL("r") ", f.verdict, f.factor, f.ci_lo, f.ci_hi,"
			       " f.hw_share, f.pred_share, f.metric"
			       " FROM " PRIMARY_FINDING_SQL " f JOIN workload w ON w.id = f.workload_id"
			       " JOIN region r ON r.id = f.region_id"
			       " WHERE f.verdict IN ('underestimates', 'overestimates') AND f.factor > 0"
			       " ORDER BY coalesce(abs(f.hw_share - f.pred_share), 0) DESC,"
			       " max(f.factor, 1.0 / f.factor) DESC LIMIT ?",
			       -1, &q, NULL)) {
		warning("%s: cannot read findings: %s", st->path, sqlite3_errmsg(st->db));
		return;
	}
	print_suite_findings(st->db);
	print_server_lines(st->db);
	print_boot_lines(st->db);
	sqlite3_bind_int(q, 1, top);
	while (sqlite3_step(q) == SQLITE_ROW) {
		char f[32], lo[32], hi[32], hs[32], ps[32];

		if (!n++)
			printf("top findings (the " PRIMARY_FINDING_WHY "):\n");
		num__fmt(f, sizeof(f), sqlite3_column_double(q, 3));
		num__fmt(lo, sizeof(lo), sqlite3_column_double(q, 4));
		num__fmt(hi, sizeof(hi), sqlite3_column_double(q, 5));
		pct__fmt(hs, sizeof(hs), sqlite3_column_type(q, 6) == SQLITE_NULL ? NAN : sqlite3_column_double(q, 6));
		pct__fmt(ps, sizeof(ps), sqlite3_column_type(q, 7) == SQLITE_NULL ? NAN : sqlite3_column_double(q, 7));
		printf("  %s: %s: %s x%s [%s, %s]: hardware %s share %s vs instruction share %s\n",
		       (const char *)sqlite3_column_text(q, 0), (const char *)sqlite3_column_text(q, 1),
		       (const char *)sqlite3_column_text(q, 2), f, lo, hi, (const char *)sqlite3_column_text(q, 8), hs, ps);
	}
	sqlite3_finalize(q);
	if (!n)
		print_unflagged_summary(st->db);
	if (sqlite3_prepare_v2(st->db, "SELECT name, coalesce(region_key, '(whole run)'), reason"
				       " FROM ab_compare WHERE verdict = 'flip' ORDER BY name, id",
			       -1, &q, NULL) == SQLITE_OK) {
		while (sqlite3_step(q) == SQLITE_ROW)
			printf("  A/B pair %s, %s: %s\n", (const char *)sqlite3_column_text(q, 0),
			       (const char *)sqlite3_column_text(q, 1), (const char *)sqlite3_column_text(q, 2));
		sqlite3_finalize(q);
	}
}

/* Hardware cells run the binary natively: a riscv64 build's hw cells belong on
 * a riscv64 machine (run them there with --cell, then `emudiff merge`). */
static int check_native(const struct study_plan *todo, const struct study_suite *s)
{
	struct utsname u;

	if (uname(&u))
		return 0;
	for (int i = 0; i < todo->ncells; i++) {
		const struct study_cell *c = &todo->cells[i];
		if (c->platform == PLAT_HW && c->w->arch && strcmp(c->w->arch, u.machine))
			return error("%s:%d: workload '%s' is built for %s, this machine is %s: run its hw cells on"
				     " a %s machine (--list-cells, --cell) and join the stores with emudiff merge",
				     s->path, c->w->line, c->w->name, c->w->arch, u.machine, c->w->arch);
	}
	return 0;
}

/* How many of the plan's cells does the store hold already? */
static int cells_in_store(struct store *st, const struct study_plan *plan)
{
	int n = 0;

	for (int i = 0; i < plan->ncells; i++) {
		int d = store__cell_done(st, plan->cells[i].key);
		if (d < 0)
			return -1;
		n += d;
	}
	return n;
}


/* The suite, its plan, its tolerances and the paths; 0, or -1 after an error. */
static int load_suite(struct study_cmd *k)
{
	const struct study_opts *o = &k->o;

	k->build_root = find_build_root();
	k->s = study_suite__load(o->suite, k->build_root);
	if (!k->s)
		return -1;
	k->tol = o->tolerance > 0 ? o->tolerance : k->s->tolerance;
	k->conf = o->confidence > 0 ? o->confidence : k->s->confidence;
	study_plan__build(&k->plan, k->s);
	k->todo = &k->plan;
	k->self = xasprintf("%s/emudiff", cmd_self_dir());
	k->exe = xstrdup(o->exe ? o->exe : k->self);
	k->out = o->out ? xstrdup(o->out) : xasprintf("study-%s", k->s->name);
	k->db = o->db ? xstrdup(o->db)
	      : getenv("EMUDIFF_DB") ? xstrdup(getenv("EMUDIFF_DB"))
				     : xasprintf("%s/emudiff.db", k->out);
	return 0;
}

/* --list-cells, --print-commands */
static void list_cells(const struct study_cmd *k)
{
	for (int i = 0; i < k->plan.ncells; i++) {
		if (k->o.list) {
			printf("%s\n", k->plan.cells[i].key);
		} else {
			char **a = study_cell__argv(&k->plan.cells[i], k->exe, k->db, 1);
			char *line = study_argv__shell(a);
			printf("%s\n", line);
			free(line);
			study_argv__free(a);
		}
	}
}

/* --cell: a batch system's array task: these cells only, resumable, no analysis */
static int choose_cells(struct study_cmd *k)
{
	struct study_opts *o = &k->o;

	k->chosen.cells = xcalloc((size_t)o->ncells, sizeof(*k->chosen.cells));
	for (int i = 0; i < o->ncells; i++) {
		const struct study_cell *c = study_plan__find(&k->plan, o->cells[i]);
		if (!c)
			return error("%s: no cell '%s' in this suite (see --list-cells)", o->suite, o->cells[i]);
		k->chosen.cells[k->chosen.ncells++] = *c;
	}
	k->todo = &k->chosen;
	o->resume = 1;
	o->collect_only = 1;
	return 0;
}

/* The output directories and the store, with the suite recorded; an exit code. */
static int open_store(struct study_cmd *k)
{
	const struct study_opts *o = &k->o;

	if (!o->analyze_only && check_native(k->todo, k->s))
		return EXIT_BADINPUT;
	k->logs = xasprintf("%s/logs", k->out);
	if (study_cmd__mkdir_p(k->out) || study_cmd__mkdir_p(k->logs))
		return EXIT_BADINPUT;
	k->st = store__open(k->db, STORE_CREATE);
	if (!k->st)
		return EXIT_BADINPUT;
	if (!o->resume && !o->analyze_only) {
		int held = cells_in_store(k->st, &k->plan);
		if (held < 0)
			return EXIT_BADINPUT;
		if (held > 0) {
			error("%s already holds %d of the %d cells of suite '%s': --resume continues the study, or"
			      " pass another --db",
			      k->db, held, k->plan.ncells, k->s->name);
			return EXIT_BADINPUT;
		}
	}
	return record_suite(k->st, k->s, k->tol, k->conf) ? EXIT_FINDINGS : EXIT_OK;
}

/* Run the cells to run; an exit code. */
static int collect(struct study_cmd *k)
{
	const struct study_opts *o = &k->o;
	struct study_run_opts ro = {
		.exe = k->exe, .db = k->db, .log_dir = k->logs, .retry_failed = o->retry_failed, .grace_s = o->grace,
	};
	char host[256] = "", *batch_job = study_slurm__job_name();
	int rc = EXIT_OK;

	/* the machine that ran a cell: this one, unless --exe runs the collector elsewhere */
	if ((!o->exe || batch_job) && !gethostname(host, sizeof(host) - 1))
		ro.host = host;
	ro.batch_job = batch_job;

	ro.jobs = o->jobs > 0 ? o->jobs : k->s->jobs > 0 ? k->s->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (ro.jobs < 1)
		ro.jobs = 1;
	fprintf(stderr, "study: suite '%s': %d workloads, %d cells, store %s, %d emulation job%s\n",
		k->s->name, k->s->nworkloads, k->todo->ncells, k->db, ro.jobs, ro.jobs > 1 ? "s" : "");
	if (study_run(k->st, k->todo, &ro, &k->res)) {
		free(batch_job);
		return EXIT_FINDINGS;
	}
	free(batch_job);
	fprintf(stderr, "study: cells: %d run (%d ok, %d failed or timed out), %d already in the store\n",
		k->res.ok + k->res.failed, k->res.ok, k->res.failed, k->res.skipped);
	if (k->res.interrupted) {
		error("study interrupted; the finished cells are in %s: rerun with --resume to continue", k->db);
		rc = 130;
	}
	return rc;
}

/* align, stats and report on the store, then the top findings; an exit code. */
static int analyze_and_show(struct study_cmd *k)
{
	char *index;

	store__close(k->st);
	k->st = NULL;
	if (analyze(k->self, k->db, k->out, k->tol, k->conf))
		return EXIT_FINDINGS;
	k->st = store__open(k->db, STORE_READONLY);
	if (!k->st)
		return EXIT_FINDINGS;
	print_findings(k->st, k->o.top);
	index = xasprintf("%s/index.html", k->out);
	printf("report: %s\n", access(index, F_OK) ? k->out : index);
	free(index);
	return EXIT_OK;
}

/* The study proper, on a loaded suite: cells, store, collection, analysis. */
int study_cmd__run(struct study_cmd *k)
{
	int rc;

	if (k->o.ncells && choose_cells(k))
		return EXIT_BADINPUT;
	rc = open_store(k);
	if (rc == EXIT_OK && !k->o.analyze_only)
		rc = collect(k);
	if (rc == EXIT_OK && !k->o.collect_only)
		rc = analyze_and_show(k);
	else if (rc == EXIT_OK)
		printf("store: %s\n", k->db);
	if (rc == EXIT_OK && k->o.fail_on_error && k->res.failed)
		rc = EXIT_FINDINGS;
	return rc;
}

static void study_cmd__free(struct study_cmd *k)
{
	store__close(k->st);
	free(k->chosen.cells);
	study_plan__free(&k->plan);
	study_suite__free(k->s);
	free(k->build_root);
	free(k->out);
	free(k->db);
	free(k->logs);
	free(k->exe);
	free(k->self);
	free(k->task_cell);
	free(k->o.cells);
}

int cmd_study(int argc, char **argv)
{
	struct study_cmd k = { 0 };
	int rc = EXIT_OK;

	parse_opts(argc, argv, &k.o);
	if (load_suite(&k))
		rc = EXIT_BADINPUT;
	else if (k.o.list || k.o.print)
		list_cells(&k);
	else if (k.o.submit)
		rc = study_cmd__submit(&k);
	else if (k.o.status)
		rc = study_cmd__status(&k);
	else if (k.o.slurm_task)
		rc = study_cmd__slurm_task(&k);
	else if (k.o.slurm_finish)
		rc = study_cmd__slurm_finish(&k);
	else
		rc = study_cmd__run(&k);
	study_cmd__free(&k);
	return rc;
}
