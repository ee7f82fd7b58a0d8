/*
 * hw-testdb.h - a temporary store for the hw/console/import ingest tests, and
 * one-value queries to assert its rows exactly.
 */
#ifndef EMUDIFF_HW_TESTDB_H
#define EMUDIFF_HW_TESTDB_H

#include "collect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct testdb {
	char dir[64], path[96];
	struct store *st;
};

static inline struct store *testdb__open(struct testdb *t)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(t->dir, sizeof(t->dir), "%s/emudiff-collect-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(t->dir)) {
		perror("mkdtemp");
		exit(99);
	}
	snprintf(t->path, sizeof(t->path), "%s/t.db", t->dir);
	t->st = store__open(t->path, STORE_CREATE);
	if (!t->st)
		exit(99);
	return t->st;
}

static inline void testdb__close(struct testdb *t)
{
	static const char *const ext[] = { "", "-wal", "-shm", "-journal" };
	char p[128];

	store__close(t->st);
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", t->path, ext[i]);
		unlink(p);
	}
	rmdir(t->dir);
}

/* The first column of the first row as text ("NULL" for NULL, "" for no row), in a static buffer. */
static inline const char *q(struct store *st, const char *sql)
{
	static char out[4096];
	sqlite3_stmt *s;

	out[0] = 0;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL)) {
		snprintf(out, sizeof(out), "SQL error: %s", sqlite3_errmsg(st->db));
		return out;
	}
	if (sqlite3_step(s) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(s, 0);

		snprintf(out, sizeof(out), "%s", t ? (const char *)t : "NULL");
	}
	sqlite3_finalize(s);
	return out;
}

#define CHECK_Q(st, sql, want)                                                                     \
	do {                                                                                       \
		const char *got_ = q(st, sql);                                                     \
		CHECKF(!strcmp(got_, want), "%s\n  gives '%s', expected '%s'", sql, got_, want);   \
	} while (0)

#endif
