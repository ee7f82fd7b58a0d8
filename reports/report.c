/*
 * report.c - report__write(): load every workload, write the pages and
 * figures (in worker processes, one per CPU: rendering dominates and plplot
 * keeps global state, so processes rather than threads), then the exports and
 * the index (last, so a report interrupted half way has no index pointing at
 * missing pages). Every file depends only on the store, never on which worker
 * wrote it, so the bytes do not depend on the number of workers.
 */
#include "report_int.h"
#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int read_settings(struct report_ctx *ctx)
{
	sqlite3_stmt *st;
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	int rc;

	ctx->tolerance = 1.25;
	strcpy(ctx->pdf_date, "19700101000000");
	/* the tolerance stats/ used, if it recorded one; the newest run time dates PDFs */
	st = db__prepare(ctx,
		"SELECT (SELECT CAST(value AS REAL) FROM meta WHERE key IN ('stats_tolerance', 'tolerance', 'study.tolerance') "
		"        AND CAST(value AS REAL) > 1 ORDER BY key = 'stats_tolerance' DESC, key = 'tolerance' DESC LIMIT 1), "
		"strftime('%Y%m%d%H%M%S', coalesce(datetime(?1, 'unixepoch'), (SELECT max(started_at) FROM run)))");
	if (!st)
		return -1;
	if (sde && *sde && strspn(sde, "0123456789") == strlen(sde))
		sqlite3_bind_int64(st, 1, strtoll(sde, NULL, 10));
	rc = db__step(ctx, st);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			ctx->tolerance = sqlite3_column_double(st, 0);
		if (strlen(db__text(st, 1)) == 14)
			memcpy(ctx->pdf_date, db__text(st, 1), 14);
	}
	sqlite3_finalize(st);
	if (rc < 0)
		return -1;
	/* ab_compare.emu_metric (stats/ extension): which emulation metric a ratio uses */
	st = db__prepare(ctx, "SELECT count(*) FROM pragma_table_info('ab_compare') WHERE name = 'emu_metric'");
	if (!st)
		return -1;
	rc = db__step(ctx, st);
	ctx->ab_metric_sql = rc == SQLITE_ROW && sqlite3_column_int(st, 0)
				     ? "coalesce(ab.emu_metric || ' / ', '') || ab.metric"
				     : "ab.metric";
	sqlite3_finalize(st);
	return rc < 0 ? -1 : 0;
}

/* Pages of the workloads k with k % nworkers == worker; ctx->db is this process's. */
static int write_pages(struct report_ctx *ctx, struct workload *ws, size_t n, size_t worker, size_t nworkers,
		       int progress_fd)
{
	for (size_t k = worker; k < n; k += nworkers) {
		if (page_workload__write(ctx, &ws[k]))
			return -1;
		if (progress_fd >= 0 && write(progress_fd, "", 1) != 1)
			return error("report: lost the progress pipe");
		else if (progress_fd < 0 && ctx->o->progress)
			ctx->o->progress(k + 1, n, ws[k].name, ctx->o->progress_arg);
	}
	return 0;
}

/* A worker: a fresh connection (a connection must not cross fork()), its pages, its counts. */
static _Noreturn void worker_main(struct report_ctx *parent, struct workload *ws, size_t n, size_t worker,
				  size_t nworkers, int progress_fd, int result_fd)
{
	struct report_ctx ctx = *parent;
	int rc;

	memset(&ctx.sum, 0, sizeof(ctx.sum));
	if (sqlite3_open_v2(parent->dbname, &ctx.db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		error("%s: cannot open store: %s", parent->dbname, sqlite3_errmsg(ctx.db));
		_exit(1);
	}
	sqlite3_busy_timeout(ctx.db, 30000);
	rc = write_pages(&ctx, ws, n, worker, nworkers, progress_fd);
	sqlite3_close(ctx.db);
	if (!rc && write(result_fd, &ctx.sum, sizeof(ctx.sum)) != (ssize_t)sizeof(ctx.sum))
		rc = -1;
	_exit(rc ? 1 : 0);
}

static size_t worker_count(const struct report_opts *o, size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t j = o->jobs > 0 ? (size_t)o->jobs : (size_t)(cpus > 0 ? cpus : 1);

	if (o->jobs <= 0 && j > 8)
		j = 8;
	return j < n ? j : n;
}

static int write_all_pages(struct report_ctx *ctx, struct workload *ws, size_t n)
{
	size_t nworkers = worker_count(ctx->o, n), done = 0;
	int progress[2], result[2], rc = 0;
	pid_t *pids;
	char byte;

	if (nworkers <= 1)
		return write_pages(ctx, ws, n, 0, 1, -1);
	if (pipe(progress) || pipe(result))
		return error("report: cannot create a pipe: %s", strerror(errno));
	fflush(NULL); /* nothing buffered may be written twice */
	pids = xcalloc(nworkers, sizeof(pid_t));
	for (size_t j = 0; j < nworkers; j++) {
		pids[j] = fork();
		if (pids[j] < 0) {
			rc = error("report: cannot fork: %s", strerror(errno));
			break;
		}
		if (pids[j] == 0) {
			close(progress[0]);
			close(result[0]);
			worker_main(ctx, ws, n, j, nworkers, progress[1], result[1]);
		}
	}
	close(progress[1]);
	close(result[1]);
	/* one byte per finished page, until every worker has closed its end */
	while (read(progress[0], &byte, 1) == 1) {
		done++;
		if (ctx->o->progress)
			ctx->o->progress(done, n, "", ctx->o->progress_arg);
	}
	for (size_t j = 0; j < nworkers; j++) {
		int status;
		if (pids[j] <= 0)
			continue;
		if (waitpid(pids[j], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			rc = -1; /* the worker printed why */
	}
	for (struct report_summary s; read(result[0], &s, sizeof(s)) == (ssize_t)sizeof(s);) {
		ctx->sum.figures += s.figures;
		ctx->sum.files += s.files;
	}
	close(progress[0]);
	close(result[0]);
	free(pids);
	return rc;
}

int report__write(sqlite3 *db, const struct report_opts *opts, struct report_summary *summary)
{
	struct report_ctx ctx = { .db = db, .o = opts };
	struct workload *ws = NULL;
	size_t n = 0;
	int rc = -1;

	ctx.dbname = sqlite3_db_filename(db, "main");
	if (!ctx.dbname || !*ctx.dbname)
		ctx.dbname = "(store)";
	if (read_settings(&ctx) || mkdir_p(opts->out_dir) || model__workloads(&ctx, &ws, &n))
		goto out;
	if (opts->workload)
		ctx.only_id = ws[0].id;
	for (size_t k = 0; k < n; k++) {
		if (model__load(&ctx, &ws[k]))
			goto out;
		ctx.sum.regions += ws[k].ncompared; /* as stats and the index count them */
		ctx.sum.findings += ws[k].nfindings;
	}
	ctx.sum.workloads = n;
	if (write_all_pages(&ctx, ws, n) || export__all(&ctx, ws, n) || page_index__write(&ctx, ws, n))
		goto out;
	rc = 0;
	if (summary)
		*summary = ctx.sum;
out:
	sqlite3_exec(db, "DROP TABLE IF EXISTS temp.report_region", NULL, NULL, NULL);
	for (size_t k = 0; k < n; k++)
		model__free(&ws[k]);
	free(ws);
	return rc;
}
