/*
 * test-latency-parse.c - latency inputs parsed exactly: the bare-metal
 * payload's `@emudiff lat` lines (names, ticks, the marker region each falls
 * in) and cyclictest's outputs recorded on the development machine
 * (rt-tests 2.4: -h, -H with two threads, -q summary, the live display);
 * malformed lines of both refused.
 *
 * usage: test-latency-parse DATA_DIR
 */
#include "check.h"
#include "hw.h"
#include "common.h"

#include <string.h>

static FILE *text(const char *s)
{
	return fmemopen((void *)s, strlen(s), "r");
}

static void console_lat(void)
{
	static const char log[] =
		"OpenSBI v1.2\n"
		"@emudiff mark 5 cycles=1 instret=2 time=100\n"
		"@emudiff lat timer_sbi ticks=540\n"
		"[  0.1] @emudiff lat timer_sbi ticks=735\r\n"
		"@emudiff lat timer_sstc ticks=0\n"
		"@emudiff mark 6 cycles=3 instret=4 time=900\n"
		"@emudiff lat late ticks=18446744073709551615\n"
		"@emudiff exit 0\n";
	static const char *const bad[] = {
		"@emudiff lat timer_sbi ticks=-1\n", "@emudiff lat timer_sbi ticks=5 extra\n",
		"@emudiff lat Timer ticks=5\n", "@emudiff lat timer_sbi\n", "@emudiff lat timer_sbi ticks=1x\n",
		"@emudiff lat timer_sbi ticks=18446744073709551616\n", "@emudiff lat timer_sbi ticks=5",
	};
	struct console_log cl;
	FILE *f = text(log);

	CHECK(!console_log__parse(f, "lat.log", &cl));
	fclose(f);
	CHECK_EQ_INT(cl.n_runs, 1);
	if (cl.n_runs == 1) {
		const struct console_run *r = &cl.runs[0];

		CHECK_EQ_INT(r->n_marks, 2);
		CHECK_EQ_INT(r->n_lats, 4);
		if (r->n_lats == 4) {
			CHECK(!strcmp(r->lats[0].name, "timer_sbi") && r->lats[0].ticks == 540 && r->lats[0].after == 1);
			CHECK(r->lats[1].ticks == 735 && r->lats[1].line == 4 && r->lats[1].after == 1);
			CHECK(!strcmp(r->lats[2].name, "timer_sstc") && r->lats[2].ticks == 0);
			CHECK(!strcmp(r->lats[3].name, "late") && r->lats[3].ticks == UINT64_MAX &&
			      r->lats[3].after == 2);
		}
	}
	console_log__free(&cl);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = text(bad[i]);
		CHECKF(console_log__parse(f, "bad.log", &cl) == -1, "accepted '%s'", bad[i]);
		fclose(f);
	}
}

static int parse_file(const char *dir, const char *name, struct cyclictest *ct)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "r");
	int rc = f ? cyclictest__parse(f, p, ct) : -1;

	CHECKF(f != NULL, "%s: cannot open", p);
	if (f)
		fclose(f);
	free(p);
	return rc;
}

static void histograms(const char *dir)
{
	struct cyclictest ct;
	uint64_t over;
	size_t n;
	double *v;

	/* -h 60, one thread: 282 events in the bins, 18 beyond, max 1594 us */
	CHECK(!parse_file(dir, "cyclictest-h.txt", &ct));
	CHECK_EQ_INT(ct.n_rows, 60);
	CHECK_EQ_INT(ct.hist_threads, 1);
	v = cyclictest__samples(&ct, &n, &over);
	CHECK_EQ_INT(n, 300);
	CHECK_EQ_INT(over, 18);
	CHECK(n == 300 && v[n - 1] == 1594e3 && v[281] < 60e3 && v[0] == 20e3);
	free(v);
	cyclictest__free(&ct);

	/* -H 60 -t 2: a third column sums the threads; 289 + 287 events, 11 + 13 beyond */
	CHECK(!parse_file(dir, "cyclictest-H.txt", &ct));
	CHECK_EQ_INT(ct.hist_cols, 3);
	CHECK_EQ_INT(ct.hist_threads, 2);
	v = cyclictest__samples(&ct, &n, &over);
	CHECK_EQ_INT(n, 289 + 287 + 11 + 13);
	CHECK_EQ_INT(over, 24);
	CHECK(ct.n_threads == 2 && ct.threads[1].hmax == 7367 && ct.threads[0].hmin == 22);
	free(v);
	cyclictest__free(&ct);
}

static void summaries(const char *dir)
{
	struct cyclictest ct;

	CHECK(!parse_file(dir, "cyclictest-summary.txt", &ct));
	CHECK(ct.has_summary && ct.n_rows == 0 && ct.n_threads == 2);
	if (ct.n_threads == 2) {
		CHECK(ct.threads[0].cycles == 200 && ct.threads[0].min == 26 && ct.threads[0].avg == 306 &&
		      ct.threads[0].max == 9298);
		CHECK(ct.threads[1].cycles == 126 && ct.threads[1].max == 11123);
	}
	cyclictest__free(&ct);
	/* the live display: cursor escapes, the last line of the thread counts */
	CHECK(!parse_file(dir, "cyclictest-live.txt", &ct));
	CHECK(ct.n_threads == 1 && ct.threads[0].cycles == 50 && ct.threads[0].max == 4317);
	cyclictest__free(&ct);
}

static void malformed(void)
{
	static const char *const bad[] = {
		"000000 000001\n000001 0000x2\n# Total: 000000003\n",           /* not a number */
		"000000 000001 000002\n000001 000003\n# Total: 000000004\n",    /* columns change */
		"000000 000001\n000001 000002\n# Total: 000000004\n",           /* sum is not Total */
		"000000 000001\n000001 000002\n",                               /* footer missing */
		"000001 000001\n000000 000002\n# Total: 000000003\n",           /* bins out of order */
		"000000 000001\n# Total: 000000001 000000002 000000003\n",      /* footer columns */
		"T: 0 ( 785) P: 0 I:300 C:    200 Min:     26 Act:   73 Avg:  306\n", /* Max missing */
		"T: 0 ( 785) P: 0 I:300 C:    200 Min:     26 Act:   73 Avg:  306 Max: 9 x\n",
		"policy: other/other\n",                                        /* no data at all */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cyclictest ct;
		FILE *f = text(bad[i]);

		CHECKF(cyclictest__parse(f, "bad.txt", &ct) == -1, "accepted case %zu", i);
		fclose(f);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test-latency-parse DATA_DIR\n");
		return 2;
	}
	console_lat();
	histograms(argv[1]);
	summaries(argv[1]);
	malformed();
	return check_exit();
}
