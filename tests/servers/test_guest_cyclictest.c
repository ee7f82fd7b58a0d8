/*
 * test_guest_cyclictest.c - cyclictest's output framed on a guest's console
 * (collect/console_cyclictest.c), read from a console captured from the
 * minimal Linux guest under qemu-system-x86_64 TCG (data/guest-cyclictest.console:
 * SeaBIOS's escapes, "\r\n" line ends, `-q -m -i 500 -l 2000 -h 20000`, one
 * event beyond the histogram): as QEMU printed it (what collect hw-kvm reads)
 * and as collect qemu --system copies it (each line led by its time, copied
 * in chunks that split lines). Every count and the histogram's values are
 * the capture's. Then the frame broken each way: no frame, no end, lines
 * lost or added, cyclictest failed, a second frame, an end alone, a bad end
 * line, a bad row (the parser's error), a NUL byte: each refused with its
 * reason and nothing parsed.
 *   test-guest-cyclictest DATA_DIR
 */
#include "check.h"
#include "collect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL "guest console"

static char *slurp(const char *dir, const char *name, size_t *len)
{
	char *path = xasprintf("%s/%s", dir, name), *buf = xcalloc(1, 1 << 16);
	FILE *f = fopen(path, "r");

	*len = 0;
	CHECKF(f != NULL, "%s", path);
	if (f) {
		*len = fread(buf, 1, (1 << 16) - 1, f);
		fclose(f);
	}
	free(path);
	return buf;
}

/* cyclictest__read_console on the bytes s[0..n). */
static int read_console(const char *s, size_t n, struct cyclictest *ct, char *why, size_t wn)
{
	FILE *f = fmemopen((void *)s, n, "r");
	int rc;

	CHECK(f != NULL);
	if (!f)
		return -1;
	rc = cyclictest__read_console(f, LABEL, ct, why, wn);
	fclose(f);
	return rc;
}

/* The row of bin us, or NULL. */
static const uint64_t *row_of(const struct cyclictest *ct, uint64_t us)
{
	for (size_t r = 0; r < ct->n_rows; r++)
		if (ct->rows[r].bin == us)
			return ct->counts + r * ct->hist_cols;
	return NULL;
}

/* The capture's histogram, exactly. */
static void check_capture(const struct cyclictest *ct, const char *form)
{
	const uint64_t *r;
	uint64_t overflows = 0;
	size_t n = 0;
	double *v;

	fprintf(stderr, "checking the %s console\n", form);
	CHECK_EQ_INT(ct->n_rows, 385);
	CHECK_EQ_INT(ct->hist_cols, 1);
	CHECK_EQ_INT(ct->hist_threads, 1);
	CHECK(ct->footer_seen);
	CHECK(!ct->has_summary);
	if (ct->n_threads < 1 || ct->n_rows < 385)
		return;
	CHECK_EQ_INT(ct->threads[0].total, 1999);
	CHECK_EQ_INT(ct->threads[0].overflows, 1);
	CHECK_EQ_INT(ct->threads[0].hmin, 87);
	CHECK_EQ_INT(ct->threads[0].havg, 563);
	CHECK_EQ_INT(ct->threads[0].hmax, 20653);
	/* first, most frequent and last rows */
	CHECK_EQ_INT(ct->rows[0].bin, 87);
	CHECK_EQ_INT(ct->counts[0], 1);
	CHECK((r = row_of(ct, 152)) != NULL && *r == 44);
	CHECK_EQ_INT(ct->rows[ct->n_rows - 1].bin, 12197);
	CHECK_EQ_INT(ct->counts[ct->n_rows - 1], 1);
	/* the samples: 1999 in the rows, the overflowed one at the maximum */
	v = cyclictest__samples(ct, &n, &overflows);
	CHECK_EQ_INT(n, 2000);
	CHECK_EQ_INT(overflows, 1);
	if (n == 2000) {
		CHECK_EQ_INT(v[0], 87000);
		CHECK_EQ_INT(v[1998], 12197000);
		CHECK_EQ_INT(v[1999], 20653000);
	}
	free(v);
}

/* The console as collect qemu --system copies it: "[S.NNNNNNNNN] " before
 * each line, written in chunks of 97 bytes 1 ms apart. */
static char *timed(const char *s, size_t n, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	int mid = 0;

	for (size_t i = 0; i < n; i += 97)
		boot__copy_timed(f, &mid, s + i, n - i < 97 ? n - i : 97, 5000000000 + (int64_t)i * 1000000);
	fclose(f);
	return buf;
}

/* s with the first from replaced by to (malloc'd). */
static char *edit(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);

	CHECKF(at != NULL, "'%s' is not in the capture", from);
	if (!at)
		return xstrdup(s);
	return xasprintf("%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
}

/* s refused with rc and a why that is want exactly; nothing parsed. */
static void refused(const char *what, const char *s, int rc_want, const char *want)
{
	struct cyclictest ct;
	char why[300];
	int rc = read_console(s, strlen(s), &ct, why, sizeof(why));

	CHECKF(rc == rc_want, "%s: rc %d, want %d (%s)", what, rc, rc_want, why);
	CHECKF(!strcmp(why, want), "%s: why\n  '%s'\nwant\n  '%s'", what, why, want);
	CHECKF(ct.n_rows == 0 && ct.threads == NULL && ct.rows == NULL && ct.counts == NULL,
	       "%s: something parsed", what);
	if (!rc)
		cyclictest__free(&ct);
}

static void check_refusals(const char *cap)
{
	const char *end = "@emudiff cyclictest end exit=0 lines=395\r\n";
	char *s, *t;

	t = edit(cap, "@emudiff cyclictest begin", "@emudiff cyclictest began");
	s = edit(t, "@emudiff cyclictest end", "@emudiff cyclictest ended");
	refused("no frame", s, 1, LABEL ": no framed cyclictest output ('@emudiff cyclictest begin') in its 411 lines");
	free(s);
	free(t);
	/* the console ends inside the frame (QEMU stopped, the guest died) */
	s = xstrdup(cap);
	s[strstr(s, end) - s] = '\0';
	refused("no end", s, 1, LABEL ":13: the framed cyclictest output has no end (the console ends inside it)");
	free(s);
	s = edit(cap, "lines=395", "lines=396");
	refused("a line lost", s, 1,
		LABEL ":409: 395 lines in the frame, the guest printed 396 (lines lost, or other output in between)");
	free(s);
	s = edit(cap, "# Histogram\r\n", "# Histogram\r\n[   12.000001] rcu: INFO: rcu_sched self-detected stall\r\n");
	refused("a kernel line in between", s, 1,
		LABEL ":410: 396 lines in the frame, the guest printed 395 (lines lost, or other output in between)");
	free(s);
	t = edit(cap, "exit=0 lines=395", "exit=255 lines=395");
	s = edit(t, "@emudiff mark 5", "emudiff-guest: cyclictest: ERROR: shm_open No such file or directory\r\n@emudiff mark 5");
	refused("cyclictest failed", s, 1,
		LABEL ":410: cyclictest exited 255 in the guest (ERROR: shm_open No such file or directory)");
	free(s);
	free(t);
	/* a second frame after the first */
	t = strstr(cap, "@emudiff cyclictest begin");
	s = xasprintf("%s%.*s", cap, (int)(strstr(cap, end) + strlen(end) - t), t);
	refused("two frames", s, 1, LABEL ":412: a second framed cyclictest output (the first: lines 13-409)");
	free(s);
	s = edit(cap, "# Histogram\r\n", "# Histogram\r\n@emudiff cyclictest begin\r\n");
	refused("nested begin", s, 1, LABEL ":16: a second frame begins inside the one of line 13");
	free(s);
	refused("end alone", "boot\r\n@emudiff cyclictest end exit=0 lines=0\r\n", 1,
		LABEL ":2: frame end without its begin ('@emudiff cyclictest begin')");
	s = edit(cap, "exit=0 lines=395", "exit=0");
	refused("bad end line", s, 1,
		LABEL ":409: malformed frame end: not '@emudiff cyclictest end exit=N lines=N'");
	free(s);
	s = edit(cap, "000152 000044", "000152 00004x");
	refused("a bad row (cyclictest__parse's error on stderr names line 71)", s, 2,
		LABEL ":13: the framed cyclictest output (lines 13-409) does not parse: the error above names the line");
	free(s);
	{
		size_t n = strlen(cap);
		struct cyclictest ct;
		char why[300];

		s = xstrdup(cap);
		s[strstr(s, "000152 000044") - s + 3] = '\0';
		CHECK(read_console(s, n, &ct, why, sizeof(why)) == 1);
		CHECKF(!strcmp(why, LABEL ":71: NUL byte in a text line"), "NUL: %s", why);
		free(s);
	}
}

int main(int argc, char **argv)
{
	struct cyclictest ct;
	char why[300], *cap, *tcap;
	size_t n, tn;

	if (argc < 2)
		return 2;
	cap = slurp(argv[1], "guest-cyclictest.console", &n);
	CHECK_EQ_INT(n, 6553);
	CHECK(read_console(cap, n, &ct, why, sizeof(why)) == 0);
	CHECKF(why[0] == '\0', "why: %s", why);
	check_capture(&ct, "raw");
	cyclictest__free(&ct);

	tcap = timed(cap, n, &tn);
	CHECK(!strncmp(tcap, "[5.000000000] ", 14));
	CHECK(read_console(tcap, tn, &ct, why, sizeof(why)) == 0);
	check_capture(&ct, "timed");
	cyclictest__free(&ct);
	free(tcap);

	check_refusals(cap);
	free(cap);
	return check_exit();
}
