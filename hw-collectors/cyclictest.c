/*
 * cyclictest.c - the output of rt-tests' cyclictest (unmodified), in its two
 * forms:
 *  - histogram (-h US / -H US, with or without -q): rows "BIN C0 C1 ..." (BIN
 *    in us, one count column per thread), then "# Total:", "# Min Latencies:",
 *    "# Avg Latencies:", "# Max Latencies:", "# Histogram Overflows:" with
 *    one value per thread (-H adds a last column summed over the threads);
 *  - summary: "T: <n> (<tid>) P:<prio> I:<intv> C:<cycles> Min: Act: Avg:
 *    Max:" per thread (the live display repeats them with cursor escapes:
 *    the last line of each thread is its summary).
 * A row, comment or T: line that does not parse is refused with the file and
 * line; other text (policy:, the cpu_dma_latency note) is skipped.
 */
#include "hw.h"
#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CT_MAX_THREADS 1024

/* A decimal number with cyclictest's leading zeros (not octal); 0 or -1. */
static int dec(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return 0;
}

/* Whitespace-separated unsigned numbers of s into v[max]; the count, -1 on a non-number. */
static int numbers(char *s, uint64_t *v, int max)
{
	char *save = NULL, *tok;
	int n = 0;

	for (tok = strtok_r(s, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (n == max || dec(tok, &v[n]))
			return -1;
		n++;
	}
	return n;
}

static struct cyclictest_thread *thread_at(struct cyclictest *ct, size_t t)
{
	if (t >= ct->n_threads) {
		ct->threads = xrealloc(ct->threads, (t + 1) * sizeof(*ct->threads));
		memset(ct->threads + ct->n_threads, 0, (t + 1 - ct->n_threads) * sizeof(*ct->threads));
		ct->n_threads = t + 1;
	}
	return &ct->threads[t];
}

/* "T: 0 (30792) P: 0 I:200 C:    500 Min:     32 Act:   67 Avg:  184 Max:    8442" */
static int parse_summary(struct cyclictest *ct, const char *s, const char **why)
{
	unsigned long long t, c, mn, act, avg, mx;
	int tid, prio, intv, used = 0;
	struct cyclictest_thread *th;

	if (sscanf(s, "T:%llu (%d) P:%d I:%d C:%llu Min:%llu Act:%llu Avg:%llu Max:%llu%n", &t, &tid, &prio,
		   &intv, &c, &mn, &act, &avg, &mx, &used) != 9 || s[used + strspn(s + used, " \t")]) {
		*why = "summary line is not 'T: N (TID) P:P I:I C:C Min:M Act:A Avg:A Max:M'";
		return -1;
	}
	if (t >= CT_MAX_THREADS) {
		*why = "thread number out of range";
		return -1;
	}
	th = thread_at(ct, (size_t)t);
	th->has_summary = 1;
	th->cycles = c;
	th->min = (double)mn;
	th->avg = (double)avg;
	th->max = (double)mx;
	ct->has_summary = 1;
	return 0;
}

/* One "# Word:" line of the histogram's footer into field off of each thread. */
static int parse_footer(struct cyclictest *ct, char *vals, int which, const char **why)
{
	uint64_t v[CT_MAX_THREADS + 1];
	int n = numbers(vals, v, CT_MAX_THREADS + 1);

	if (n < 1 || (ct->hist_cols && n != (int)ct->hist_cols && n != (int)ct->hist_threads)) {
		*why = n < 0 ? "value is not an unsigned number" : "number of values differs from the histogram's columns";
		return -1;
	}
	for (int t = 0; t < n && (size_t)t < ct->hist_threads; t++) {
		struct cyclictest_thread *th = thread_at(ct, (size_t)t);

		switch (which) {
		case 0: th->total = v[t]; th->has_total = 1; break;
		case 1: th->hmin = (double)v[t]; break;
		case 2: th->havg = (double)v[t]; break;
		case 3: th->hmax = (double)v[t]; th->has_hmax = 1; break;
		default: th->overflows = v[t]; break;
		}
	}
	return 0;
}

static int parse_row(struct cyclictest *ct, char *s, const char **why)
{
	uint64_t v[CT_MAX_THREADS + 2];
	int n = numbers(s, v, CT_MAX_THREADS + 2);

	if (n < 2) {
		*why = n < 0 ? "histogram row holds a non-number" : "histogram row without counts";
		return -1;
	}
	if (!ct->hist_cols) {
		ct->hist_cols = (size_t)n - 1;
	} else if ((size_t)n - 1 != ct->hist_cols) {
		*why = "histogram row has another number of columns than the first";
		return -1;
	}
	if (ct->n_rows && v[0] <= ct->rows[ct->n_rows - 1].bin) {
		*why = "histogram bins out of order";
		return -1;
	}
	if (ct->n_rows == ct->cap_rows) {
		ct->cap_rows = ct->cap_rows ? 2 * ct->cap_rows : 256;
		ct->rows = xrealloc(ct->rows, ct->cap_rows * sizeof(*ct->rows));
		ct->counts = xrealloc(ct->counts, ct->cap_rows * ct->hist_cols * sizeof(*ct->counts));
	}
	ct->rows[ct->n_rows].bin = v[0];
	memcpy(ct->counts + ct->n_rows * ct->hist_cols, v + 1, ct->hist_cols * sizeof(*v));
	ct->n_rows++;
	return 0;
}

/* -H's last column sums the threads: its rows, less one column, are the threads. */
static void settle_columns(struct cyclictest *ct)
{
	ct->hist_threads = ct->hist_cols;
	if (ct->hist_cols < 2 || !ct->n_rows)
		return;
	for (size_t r = 0; r < ct->n_rows; r++) {
		const uint64_t *c = ct->counts + r * ct->hist_cols;
		uint64_t sum = 0;

		for (size_t t = 0; t + 1 < ct->hist_cols; t++)
			sum += c[t];
		if (sum != c[ct->hist_cols - 1])
			return;
	}
	ct->hist_threads = ct->hist_cols - 1;
}

static const char *const footers[] = { "Total:", "Min Latencies:", "Avg Latencies:", "Max Latencies:",
				       "Histogram Overflows:" };

static int parse_line(struct cyclictest *ct, char *line, const char **why)
{
	char *s = line, *t;

	/* the live display's cursor moves (ESC [ n A) before a line */
	while ((t = strchr(s, '\033')) && t[1] == '[') {
		s = t + 2 + strspn(t + 2, "0123456789");
		if (*s)
			s++;
	}
	s += strspn(s, " \t");
	if (!strncmp(s, "T:", 2))
		return parse_summary(ct, s, why);
	if (*s >= '0' && *s <= '9')
		return ct->footer_seen ? (*why = "histogram row after the footer", -1) : parse_row(ct, s, why);
	if (*s != '#')
		return 0;
	s++;
	s += strspn(s, " \t");
	for (int i = 0; i < 5; i++) {
		size_t n = strlen(footers[i]);

		if (strncmp(s, footers[i], n))
			continue;
		if (!ct->footer_seen) {
			ct->footer_seen = 1;
			settle_columns(ct);
		}
		return parse_footer(ct, s + n, i, why);
	}
	return 0;
}

/* The histogram's counts against its footer. */
static int check(struct cyclictest *ct, const char *path)
{
	if (!ct->n_rows && !ct->has_summary)
		return error("%s: no cyclictest histogram rows or 'T:' summary lines", path);
	if (ct->n_rows && !ct->footer_seen)
		return error("%s: histogram without its '# Total:' footer (output cut short?)", path);
	for (size_t t = 0; t < ct->hist_threads && ct->n_rows; t++) {
		uint64_t sum = 0;

		for (size_t r = 0; r < ct->n_rows; r++)
			sum += ct->counts[r * ct->hist_cols + t];
		if (!ct->threads[t].has_total || sum != ct->threads[t].total)
			return error("%s: thread %zu: histogram rows sum to %llu, '# Total:' says %llu", path, t,
				     (unsigned long long)sum, (unsigned long long)ct->threads[t].total);
	}
	return 0;
}

int cyclictest__parse(FILE *f, const char *path, struct cyclictest *ct)
{
	char *line = NULL;
	size_t len = 0;
	ssize_t got;
	unsigned lineno = 0;
	int rc = 0;

	memset(ct, 0, sizeof(*ct));
	while ((got = getline(&line, &len, f)) >= 0) {
		const char *why = NULL;

		lineno++;
		if (memchr(line, 0, (size_t)got)) {
			rc = error("%s:%u: NUL byte in a text line", path, lineno);
			break;
		}
		line[strcspn(line, "\r\n")] = 0;
		if (parse_line(ct, line, &why)) {
			rc = error("%s:%u: malformed cyclictest line: %s", path, lineno, why);
			break;
		}
	}
	if (!rc && ferror(f))
		rc = error("%s: read error: %s", path, strerror(errno));
	free(line);
	if (!rc)
		rc = check(ct, path);
	if (rc)
		cyclictest__free(ct);
	return rc;
}

double *cyclictest__samples(const struct cyclictest *ct, size_t *n, uint64_t *overflows)
{
	size_t k = 0, cap = 0;
	double *v;

	*overflows = 0;
	for (size_t t = 0; t < ct->hist_threads; t++) {
		cap += ct->threads[t].total + ct->threads[t].overflows;
		*overflows += ct->threads[t].overflows;
	}
	v = xmalloc((cap ? cap : 1) * sizeof(*v));
	for (size_t t = 0; t < ct->hist_threads; t++) {
		for (size_t r = 0; r < ct->n_rows; r++)
			for (uint64_t c = ct->counts[r * ct->hist_cols + t]; c; c--)
				v[k++] = (double)ct->rows[r].bin * 1e3;
		/* beyond the histogram: only the thread's maximum is known */
		for (uint64_t c = ct->threads[t].overflows; c; c--)
			v[k++] = ct->threads[t].hmax * 1e3;
	}
	*n = k;
	return v;
}

void cyclictest__free(struct cyclictest *ct)
{
	free(ct->threads);
	free(ct->rows);
	free(ct->counts);
	memset(ct, 0, sizeof(*ct));
}
