/*
 * json.c - the one JSON builder (common.h): json_set on an in-memory SQLite
 * connection, so that escaping and nesting are SQLite's, not ours.
 */
#include "common.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

int json__init(struct json *j)
{
	j->text = xstrdup("{}");
	j->db = NULL;
	if (sqlite3_open(":memory:", &j->db) != SQLITE_OK) {
		sqlite3_close(j->db);
		j->db = NULL;
		return error("sqlite: cannot open an in-memory database");
	}
	return 0;
}

/* json_set(text, path, value); kind: 0 text, 1 double, 2 int, 3 JSON. */
static void set(struct json *j, const char *path, int kind, const char *s, double d, int64_t i)
{
	static const char *const sql[] = {
		"SELECT json_set(?1, ?2, ?3)",
		"SELECT json_set(?1, ?2, ?3)",
		"SELECT json_set(?1, ?2, ?3)",
		"SELECT json_set(?1, ?2, json(?3))",
	};
	sqlite3_stmt *st;

	if (!j->db || sqlite3_prepare_v2(j->db, sql[kind], -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, j->text, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_TRANSIENT);
	if (kind == 1)
		sqlite3_bind_double(st, 3, d);
	else if (kind == 2)
		sqlite3_bind_int64(st, 3, i);
	else
		sqlite3_bind_text(st, 3, s, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
		free(j->text);
		j->text = xstrdup((const char *)sqlite3_column_text(st, 0));
	} else {
		error("config_json: cannot set %s: %s", path, sqlite3_errmsg(j->db));
	}
	sqlite3_finalize(st);
}

void json__str(struct json *j, const char *path, const char *v)
{
	set(j, path, 0, v ? v : "", 0, 0);
}

void json__num(struct json *j, const char *path, double v)
{
	set(j, path, 1, NULL, v, 0);
}

void json__int(struct json *j, const char *path, int64_t v)
{
	set(j, path, 2, NULL, 0, v);
}

void json__bool(struct json *j, const char *path, int v)
{
	set(j, path, 3, v ? "true" : "false", 0, 0);
}

void json__raw(struct json *j, const char *path, const char *json)
{
	set(j, path, 3, json, 0, 0);
}

void json__free(struct json *j)
{
	sqlite3_close((sqlite3 *)j->db);
	free(j->text);
	j->db = NULL;
	j->text = NULL;
}

char *json__argv(int argc, char *const *argv)
{
	struct json j;
	char *out;

	if (json__init(&j))
		return NULL;
	free(j.text);
	j.text = xstrdup("[]");
	for (int i = 0; i < argc; i++) {
		char path[32];

		snprintf(path, sizeof(path), "$[%d]", i);
		json__str(&j, path, argv[i]);
	}
	out = j.text;
	j.text = NULL;
	json__free(&j);
	return out;
}
