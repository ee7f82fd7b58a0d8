/*
 * latency.c - latency samples (schema 6, table latency_sample): one row per
 * run, region and metric, the values packed as little-endian doubles so that
 * 10^6 events of a run are one row to write and one blob to read.
 */
#include "store.h"
#include "common.h"

#include <stdlib.h>
#include <string.h>

/* The blob of n values: the host's layout on little-endian hosts, swapped otherwise. */
static void *pack(const double *v, size_t n)
{
	uint64_t *out = xmalloc(n ? n * sizeof(*out) : 1);

	memcpy(out, v, n * sizeof(*out));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	for (size_t i = 0; i < n; i++)
		out[i] = __builtin_bswap64(out[i]);
#endif
	return out;
}

int store__latency_add(struct store *s, int64_t run_id, const char *region_key, const char *metric,
		       const double *v, size_t n)
{
	static const char sql[] = "INSERT INTO latency_sample(run_id, region_key, metric, n, samples)"
				  " VALUES (?, ?, ?, ?, ?)";
	void *blob = pack(v, n);
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		free(blob);
		return error("%s: latency insert: %s", s->path, sqlite3_errmsg(s->db));
	}
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_text(st, 2, region_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, metric, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)n);
	sqlite3_bind_blob64(st, 5, blob, n * sizeof(double), free);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return error("%s: latency insert (%s %s): %s", s->path, region_key, metric,
			     sqlite3_errmsg(s->db));
	return 0;
}
