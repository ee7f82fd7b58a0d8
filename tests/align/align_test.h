/*
 * align_test.h - what the align tests share: align one workload in a
 * transaction of its own, as `emudiff align` does, and a snapshot of what
 * align wrote (every region metric and event count, sorted), to compare a
 * second alignment against the first. Needs check.h and store.h before it.
 */
#ifndef EMUDIFF_ALIGN_TEST_H
#define EMUDIFF_ALIGN_TEST_H

/* align__workload's result; committed when 0, rolled back otherwise */
__attribute__((unused)) static int test_align_once(struct store *s, int64_t w, struct align_result *r)
{
	int rc;

	CHECK(store__begin(s) == 0);
	rc = align__workload(s->db, w, r);
	if (rc == 0)
		CHECK(store__commit(s) == 0);
	else
		store__rollback(s);
	return rc;
}

/* The start of a snapshot query: SNAPSHOT_OF("(SELECT ... the test's own part)") */
#define SNAPSHOT_OF(rest)                                                                          \
	"SELECT (SELECT group_concat(x, ';') FROM (SELECT g.key || '|' || coalesce(g.name, '') ||"      \
	" '|' || m.run_id || '|' || m.metric || '=' || m.value AS x FROM region_metric m"                 \
	" JOIN region g ON g.id = m.region_id ORDER BY x)) || '#' ||"                                     \
	" (SELECT group_concat(x, ';') FROM (SELECT e.run_id || coalesce(g.key, '-') || e.kind ||"         \
	" e.count AS x FROM event_count e LEFT JOIN region g ON g.id = e.region_id ORDER BY x)) || '#' ||" \
	rest

#endif
