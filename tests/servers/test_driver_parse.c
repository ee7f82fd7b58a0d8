/*
 * test_driver_parse.c - the driver's reports as collect/driver.c reads them:
 * wrk --latency and redis-benchmark --csv as recorded from Debian's 4.1.0 and
 * 7.0.15 (tests/servers/data), emudiff's own lines, budgets, and output that
 * holds no request count (a failed run, never zeros).
 *   test-driver-parse DATA_DIR
 */
#include "check.h"
#include "collect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name), *buf = xcalloc(1, 1 << 16);
	FILE *f = fopen(path, "r");

	CHECKF(f != NULL, "%s", path);
	if (f) {
		size_t n = fread(buf, 1, (1 << 16) - 1, f);

		buf[n] = '\0';
		fclose(f);
	}
	free(path);
	return buf;
}

int main(int argc, char **argv)
{
	struct driver_opts o = { .cmd = "x", .port = 1 };
	struct driver_result r = { 0 };
	char *s;

	if (argc < 2)
		return 2;
	/* budgets: seconds or requests */
	CHECK(driver_budget__parse("30s", &o) == 0 && o.budget_is_time && o.budget == 30);
	CHECK(driver_budget__parse("2000", &o) == 0 && !o.budget_is_time && o.budget == 2000);
	CHECK(driver_budget__parse("2000r", &o) == 0 && !o.budget_is_time);
	CHECK(driver_budget__parse("1.5", &o) == -1);
	CHECK(driver_budget__parse("0s", &o) == -1);
	CHECK(driver_budget__parse("3m", &o) == -1);

	/* wrk --latency: requests, throughput, percentiles in their units */
	s = slurp(argv[1], "wrk.txt");
	o.budget_is_time = 1;
	CHECK(driver__parse(s, &o, &r) == 0);
	CHECK_NEAR(r.requests, 26907, 1e-9);
	CHECK_NEAR(r.requests_per_s, 26626.31, 1e-9);
	CHECK_NEAR(r.p50_ns, 75000, 1e-9);
	CHECK_NEAR(r.p90_ns, 3.09e6, 1e-9);
	CHECK_NEAR(r.p99_ns, 11.75e6, 1e-9);
	CHECK(r.have & DRV_ERRORS && r.errors == 0);
	free(s);

	/* wrk's socket errors and non-2xx answers are errors */
	CHECK(driver__parse("  10 requests in 1.00s, 1KB read\n  Socket errors: connect 1, read 2, write 0, "
			    "timeout 3\n  Non-2xx or 3xx responses: 4\nRequests/sec: 10.00\n",
			    &o, &r) == 0);
	CHECK_NEAR(r.errors, 10, 1e-9);
	CHECK(!(r.have & DRV_P50));

	/* redis-benchmark --csv, two tests of 2000 requests each */
	s = slurp(argv[1], "redis.csv");
	CHECK(driver_budget__parse("2000", &o) == 0);
	CHECK(driver__parse(s, &o, &r) == 0);
	CHECK_NEAR(r.requests, 4000, 1e-9);
	CHECK_NEAR(r.requests_per_s, 4000 / (2000 / 9345.79 + 2000 / 13245.03), 1e-9);
	CHECK_NEAR(r.p50_ns, 0.063e6, 1e-9); /* the worse of the two tests */
	CHECK_NEAR(r.p99_ns, 7.063e6, 1e-9);
	/* a time budget says nothing of its requests: refused, not guessed */
	o.budget_is_time = 1;
	CHECK(driver__parse(s, &o, &r) == -1);
	free(s);

	/* emudiff's own lines; ready_ns survives the parse */
	r.ready_ns = 42;
	CHECK(driver__parse("noise\n@emudiff driver requests=300 requests_per_s=9000.5 p50_ns=1000 "
			    "p99_ns=5000 errors=2 unknown=7\n",
			    &o, &r) == 0);
	CHECK(r.ready_ns == 42);
	CHECK_NEAR(r.requests, 300, 1e-9);
	CHECK_NEAR(r.requests_per_s, 9000.5, 1e-9);
	CHECK_NEAR(r.errors, 2, 1e-9);
	CHECK(!(r.have & DRV_P90));

	/* nothing countable: a failed run, not zeros */
	CHECK(driver__parse("", &o, &r) == -1);
	CHECK(driver__parse("Running 2s test @ http://127.0.0.1:1/\nunable to connect\n", &o, &r) == -1);
	CHECK(driver__parse("@emudiff driver requests=0\n", &o, &r) == -1);
	CHECK(driver__parse("@emudiff driver requests_per_s=5\n", &o, &r) == -1);

	/* @port@ and @budget@ in the driver's words */
	{
		struct driver_opts w = { .cmd = "wrk -d@budget@s 'http://127.0.0.1:@port@/a b'", .port = 8080,
					 .budget = 3, .budget_is_time = 1 };
		char **v = driver__argv(&w);

		CHECK(v && !strcmp(v[0], "wrk") && !strcmp(v[1], "-d3s") &&
		      !strcmp(v[2], "http://127.0.0.1:8080/a b") && !v[3]);
		for (char **p = v; p && *p; p++)
			free(*p);
		free(v);
	}
	return check_exit();
}
