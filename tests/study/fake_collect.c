/*
 * fake_collect.c - stands in for `emudiff collect` in the study tests (run
 * through `emudiff study --exe`). It parses the collector conventions the
 * study must follow, stores one ok run for the cell in one transaction, and
 * misbehaves on request, so the runner's failure, timeout, resume and kill
 * handling can be tested without QEMU or hardware:
 *
 *   FAKE_FAIL=KEY    exit 2 with a one-line error, storing nothing
 *   FAKE_HANG=KEY    sleep until killed
 *   FAKE_CRASH=KEY   abort()
 *                    (each of these three: one key or several, comma-separated)
 *   FAKE_HW_SLOW=F   hw runs spend F times as long between marks 2 and 1 as
 *                    emulation predicts, with a little spread between reps, so
 *                    that stats flags that region
 *   FAKE_SLEEP_MS=N  take N ms per run
 *   FAKE_LOG=FILE    append "start|end KEY PLATFORM warmup=K t=NS pid=PID" lines (O_APPEND)
 *   FAKE_INGEST_MS=N spend N ms inside the ingest transaction, between the
 *                    FAKE_MARKS marker rows each run stores (default 4), so that
 *                    a kill can land in the middle of a transaction
 */
#include "common.h"
#include "store.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void log_event(const char *what, const char *cell, const char *kind, const char *warmup)
{
	const char *path = getenv("FAKE_LOG");
	int fd;

	if (!path)
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd < 0)
		return;
	dprintf(fd, "%s %s %s warmup=%s t=%lld pid=%ld\n", what, cell, kind, warmup ? warmup : "0",
		(long long)now_ns(), (long)getpid());
	close(fd);
}

static int is(const char *env, const char *cell)
{
	const char *v = getenv(env);
	size_t l = strlen(cell);

	for (; v && *v; v += strcspn(v, ",") + (v[strcspn(v, ",")] == ',')) {
		if (strcspn(v, ",") == l && !strncmp(v, cell, l))
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *db = NULL, *name = NULL, *cell = NULL, *warmup = NULL, *kind, *sleep_ms;
	int64_t rep = -1, reps = -1, timeout = -1;
	struct store *st;
	struct run_info ri = { 0 };
	int64_t wid, run;
	int i;

	if (argc < 3 || strcmp(argv[1], "collect")) {
		fprintf(stderr, "fake_collect: expected 'collect KIND ...'\n");
		return 2;
	}
	kind = argv[2];
	for (i = 3; i < argc && strcmp(argv[i], "--"); i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(o, "--system"))
			continue;
		if (!v) {
			fprintf(stderr, "fake_collect: option %s without a value\n", o);
			return 2;
		}
		i++;
		if (!strcmp(o, "--db"))
			db = v;
		else if (!strcmp(o, "--name"))
			name = v;
		else if (!strcmp(o, "--cell"))
			cell = v;
		else if (!strcmp(o, "--warmup"))
			warmup = v;
		else if (!strcmp(o, "--rep"))
			parse_i64(v, &rep);
		else if (!strcmp(o, "--reps"))
			parse_i64(v, &reps);
		else if (!strcmp(o, "--timeout"))
			parse_i64(v, &timeout);
		/* --pin, --sample, --elf, --log: accepted as the real collectors do */
	}
	if (!db || !name || !cell || rep < 0 || reps != 1) {
		fprintf(stderr, "fake_collect: missing --db, --name, --cell, --rep or --reps 1\n");
		return 2;
	}
	if (strcmp(kind, "console") && timeout <= 0) {
		fprintf(stderr, "fake_collect: missing --timeout\n");
		return 2;
	}
	log_event("start", cell, kind, warmup);
	if (is("FAKE_FAIL", cell)) {
		fprintf(stderr, "error: fake: %s: the workload is not an ELF file\n", cell);
		return 2;
	}
	if (is("FAKE_CRASH", cell))
		abort();
	if (is("FAKE_HANG", cell))
		for (;;)
			pause();
	sleep_ms = getenv("FAKE_SLEEP_MS");
	if (sleep_ms) {
		long ms = atol(sleep_ms);
		nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
	}
	st = store__open(db, STORE_CREATE);
	if (!st || store__begin(st))
		return 2;
	wid = store__workload(st, name, NULL, NULL, NULL);
	ri.workload_id = wid;
	ri.platform = strcmp(kind, "qemu") ? kind : "qemu-user";
	for (int k = 3; k < argc && strcmp(argv[k], "--"); k++)
		if (!strcmp(argv[k], "--system"))
			ri.platform = "qemu-system";
	ri.config_json = "{}";
	ri.rep = (int)rep;
	ri.status = "ok";
	ri.exit_code = 0;
	ri.wall_ns = 1000;
	ri.cell = cell;
	run = wid > 0 ? store__run_add(st, &ri) : -1;
	{
		const char *ingest_ms = getenv("FAKE_INGEST_MS"), *marks = getenv("FAKE_MARKS");
		const char *slow = !strcmp(kind, "hw") ? getenv("FAKE_HW_SLOW") : NULL;
		long ms = ingest_ms ? atol(ingest_ms) : 0, n = marks ? atol(marks) : 4;
		int64_t t = 0;

		for (long k = 0; run > 0 && k < n; k++) {
			if (store__mark_add(st, run, k, 0, 1 + (int)(k % 2), k * 100, slow ? t : k * 1000))
				run = -1;
			t += (k % 2 && slow ? atol(slow) : 1) * 1000 + (rep + 1) * (k + 1) * 13;
			if (k == n / 2 && ms > 0)
				nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
		}
	}
	if (run < 0 || store__commit(st)) {
		store__rollback(st);
		store__close(st);
		return 2;
	}
	store__close(st);
	log_event("end", cell, kind, warmup);
	return 0;
}
