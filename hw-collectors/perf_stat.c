/*
 * perf_stat.c - `perf stat -x,` output, so that measurements taken where
 * emudiff is not installed (a board) can be brought into the store.
 *
 *   value,unit,event,run_time,pct_running,metric,metric_unit          (plain)
 *   value,unit,event,variance%,run_time,pct_running,metric,metric_unit (-r N)
 *
 * value is "<not supported>" or "<not counted>" when perf could not count;
 * such events are kept as unsupported, never as 0.
 */
#include "hw.h"
#include "common.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int split_csv(char *line, char **field, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		char *comma = strchr(p, ',');

		if (n == max)
			return max + 1;
		field[n++] = p;
		if (!comma)
			break;
		*comma = 0;
		p = comma + 1;
	}
	return n;
}

static int parse_pct(const char *s, double *out)
{
	char buf[64];
	size_t n = strlen(s);

	if (!n || n >= sizeof(buf) || s[n - 1] != '%')
		return -1;
	memcpy(buf, s, n - 1);
	buf[n - 1] = 0;
	return parse_double(buf, out);
}

int perf_stat__parse(FILE *f, const char *path, struct perf_stat *out)
{
	char *line = NULL, *field[12];
	size_t len = 0;
	ssize_t got;
	unsigned lineno = 0;
	int rc = 0, form = 0; /* 7 plain, 8 with -r */

	memset(out, 0, sizeof(*out));
	while ((got = getline(&line, &len, f)) >= 0) {
		struct perf_stat_row row = { 0 };
		int n, v = 0;

		lineno++;
		if (line[got - 1] != '\n') {
			/* a file cut in the middle of a line: its last value may be cut too */
			rc = error("%s:%u: truncated line (no newline at the end of the file)", path, lineno);
			break;
		}
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		n = split_csv(line, field, 10);
		if (n != 7 && n != 8) {
			rc = error("%s:%u: not `perf stat -x,` output (%d fields, expected 7, or 8 with -r)",
				   path, lineno, n > 10 ? 10 : n);
			break;
		}
		if (n == 8 && parse_pct(field[3], &row.variance_pct)) {
			rc = error("%s:%u: expected the variance column (NN.NN%%) of `perf stat -r`", path, lineno);
			break;
		}
		if (form && form != n) {
			rc = error("%s:%u: mixed outputs with and without -r", path, lineno);
			break;
		}
		form = n;
		if (n == 7)
			row.variance_pct = -1;
		if (!field[2][0]) {
			rc = error("%s:%u: empty event name", path, lineno);
			break;
		}
		if (field[0][0] == '<') {
			size_t l = strlen(field[0]);

			if (l < 3 || field[0][l - 1] != '>') {
				rc = error("%s:%u: bad value '%s'", path, lineno, field[0]);
				break;
			}
			row.supported = 0;
			row.why = xstrdup(field[0] + 1);
			row.why[l - 2] = 0;
		} else if (parse_double(field[0], &row.value)) {
			rc = error("%s:%u: value '%s' is not a number", path, lineno, field[0]);
			break;
		} else {
			row.supported = 1;
		}
		v = n == 8 ? 5 : 4;
		if (!field[v][0] || parse_double(field[v], &row.pct_running))
			row.pct_running = -1;
		row.event = xstrdup(field[2]);
		row.unit = xstrdup(field[1]);
		out->rows = xrealloc(out->rows, (out->n + 1) * sizeof(*out->rows));
		out->rows[out->n++] = row;
	}
	out->repeated = form == 8;
	if (!rc && ferror(f))
		rc = error("%s: read error: %s", path, strerror(errno));
	if (!rc && out->n == 0)
		rc = error("%s: no counter lines (expected `perf stat -x,` output)", path);
	free(line);
	if (rc)
		perf_stat__free(out);
	return rc;
}

void perf_stat__free(struct perf_stat *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->rows[i].event);
		free(s->rows[i].unit);
		free(s->rows[i].why);
	}
	free(s->rows);
	memset(s, 0, sizeof(*s));
}

/* Metric of an event: emudiff's name for the events it counts itself, else
 * the event name made lower case with [^a-z0-9] -> '_'. Modifiers (":u") go. */
const char *perf_stat__metric(const char *event, const char *unit, double value, double *scaled)
{
	static char buf[128];
	const struct hw_event *e;
	size_t n = strcspn(event, ":");

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, event, n);
	buf[n] = 0;
	*scaled = value;
	if (!strcmp(unit, "msec"))
		*scaled = value * 1e6;
	else if (!strcmp(unit, "usec"))
		*scaled = value * 1e3;
	else if (!strcmp(unit, "sec") || !strcmp(unit, "s"))
		*scaled = value * 1e9;
	if (!strcmp(buf, "duration_time"))
		return "wall_ns";
	if (!strcmp(buf, "minor-faults"))
		return "minor_faults";
	if (!strcmp(buf, "major-faults"))
		return "major_faults";
	e = hw_event__find(buf);
	if (e)
		return e->metric;
	for (char *p = buf; *p; p++)
		*p = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : '_';
	if (!buf[0])
		return NULL;
	return buf;
}
