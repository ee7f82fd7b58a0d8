/*
 * perf_stat.c - perf stat's outputs, so that measurements taken where
 * emudiff is not installed (a board) can be brought into the store. Three
 * forms, told apart by the first line that is neither blank nor a comment:
 *
 * `-x,` CSV:
 *   value,unit,event,run_time,pct_running,metric,metric_unit          (plain)
 *   value,unit,event,variance%,run_time,pct_running,metric,metric_unit (-r N)
 *
 * the default, human-readable text (what `perf stat PROG` prints):
 *    Performance counter stats for 'CMD' (N runs):
 *              1,234,567      cycles        #  3.2 GHz   ( +-  0.52% )  (59.53%)
 *                   0.95 msec task-clock    #  0.431 CPUs utilized
 *        <not supported>      instructions
 *           0.002209092 seconds time elapsed        (with -r: T +- D seconds ... ( +- P% ))
 *           0.002309000 seconds user
 *           0.000000000 seconds sys
 *   "( +- P% )" is -r's variance, a last "(P%)" the share of the time the
 *   event was counted when perf multiplexed (its value then scaled by perf);
 *   "#" starts perf's derived metric, dropped; values may carry thousands
 *   separators (","; the C or an English locale).
 *
 * `-j` JSON, one flat object per line:
 *   {"counter-value" : "49.000000", "unit" : "", "event" : "page-faults",
 *    ["variance" : 0.67,] "event-runtime" : N, "pcnt-running" : 100.00, ...}
 *
 * value is "<not supported>" or "<not counted>" when perf could not count;
 * such events are kept as unsupported, never as 0.
 */
#include "hw.h"
#include "common.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	const char *path;
	unsigned lineno;
	struct perf_stat *out;
	int csv_fields; /* 7 plain, 8 with -r; 0 before the first line */
	int in_note;    /* text: inside perf's "Some events weren't counted" note */
};

/* "PATH:LINE: reason"; -1. */
static int bad(const struct parser *p, const char *fmt, ...) EMUDIFF_PRINTF(2, 3);
static int bad(const struct parser *p, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return error("%s:%u: %s", p->path, p->lineno, why);
}

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

/* A number as perf's text prints it: "1,234,567" (thousands separators in
 * groups of three), "0.95", "12". */
static int parse_grouped(const char *s, double *out)
{
	const char *dot = strchr(s, '.');
	char buf[64];
	size_t n = 0, digits = 0;
	int grouped = 0;

	if (dot && strchr(dot, ','))
		return -1;
	for (const char *c = s; *c && c != dot; c++) {
		if (*c == ',') {
			if (!digits || (grouped && digits != 3) || (!grouped && digits > 3))
				return -1;
			grouped = 1;
			digits = 0;
		} else {
			digits++;
		}
	}
	if (grouped && digits != 3)
		return -1;
	for (const char *c = s; *c; c++)
		if (*c != ',' && n + 1 < sizeof(buf))
			buf[n++] = *c;
	buf[n] = 0;
	return parse_double(buf, out);
}

/* The value: "<not supported>", "<not counted>" (unsupported, never 0) or a number. */
static int set_value(struct parser *p, struct perf_stat_row *row, const char *text, int grouped)
{
	size_t l = strlen(text);

	row->text = xstrdup(text);
	if (text[0] == '<') {
		if (l < 3 || text[l - 1] != '>')
			return bad(p, "bad value '%s'", text);
		row->supported = 0;
		row->why = xstrdup(text + 1);
		row->why[l - 2] = 0;
		return 0;
	}
	if (grouped ? parse_grouped(text, &row->value) : parse_double(text, &row->value))
		return bad(p, "value '%s' is not a number", text);
	row->supported = 1;
	return 0;
}

static void add_row(struct perf_stat *out, struct perf_stat_row *row)
{
	out->rows = xrealloc(out->rows, (out->n + 1) * sizeof(*out->rows));
	out->rows[out->n++] = *row;
	memset(row, 0, sizeof(*row));
}

static void row_free(struct perf_stat_row *r)
{
	free(r->event);
	free(r->unit);
	free(r->why);
	free(r->text);
}

/* ---- -x, ---- */

static int csv_line(struct parser *p, char *line)
{
	struct perf_stat_row row = { 0 };
	char *field[12];
	int n = split_csv(line, field, 10), v;

	if (n != 7 && n != 8)
		return bad(p, "not `perf stat -x,` output (%d fields, expected 7, or 8 with -r)", n > 10 ? 10 : n);
	if (n == 8 && parse_pct(field[3], &row.variance_pct))
		return bad(p, "expected the variance column (NN.NN%%) of `perf stat -r`");
	if (p->csv_fields && p->csv_fields != n)
		return bad(p, "mixed outputs with and without -r");
	p->csv_fields = n;
	if (n == 7)
		row.variance_pct = -1;
	if (!field[2][0])
		return bad(p, "empty event name");
	if (set_value(p, &row, field[0], 0)) {
		row_free(&row);
		return -1;
	}
	v = n == 8 ? 5 : 4;
	if (!field[v][0] || parse_double(field[v], &row.pct_running))
		row.pct_running = -1;
	row.event = xstrdup(field[2]);
	row.unit = xstrdup(field[1]);
	add_row(p->out, &row);
	p->out->repeated = n == 8;
	return 0;
}

/* ---- the human-readable text ---- */

static char *rtrim(char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

/* Cut a last "(P%)" (multiplexing, noise 0) or "( +- P% )" (-r, noise 1) off
 * the end of s: 1 and *pct when there was one of that kind, else 0. */
static int cut_paren(char *s, int noise, double *pct)
{
	size_t n = strlen(rtrim(s));
	char *open = strrchr(s, '('), *c, *end;
	double v;

	if (!n || s[n - 1] != ')' || !open)
		return 0;
	c = open + 1;
	while (*c == ' ')
		c++;
	if (noise != !strncmp(c, "+-", 2))
		return 0;
	if (noise)
		c += 2;
	v = strtod(c, &end);
	if (end == c || *end != '%')
		return 0;
	for (end++; *end == ' '; end++)
		;
	if (*end != ')' || end[1])
		return 0;
	*pct = v;
	*open = 0;
	rtrim(s);
	return 1;
}

/* The units perf's text puts between a value and its event: its own time
 * units and those of sysfs events' .unit files (energy, memory bandwidth). */
static int known_unit(const char *u)
{
	static const char *const units[] = { "msec", "usec", "nsec", "ns", "sec", "Joules", "MiB", "MiB/s",
					     "GiB", "KiB", "kB", "Bytes", "Watts", "W", "%" };

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(u, units[i]))
			return 1;
	return 0;
}

/* " Performance counter stats for 'CMD' (N runs):" */
static int text_header(struct parser *p, const char *line)
{
	const char *q = strchr(line, '\''), *q2 = strrchr(line, '\''), *runs;

	if (p->out->n || p->out->command)
		return bad(p, "a second perf stat output in one file");
	if (q && q2 > q)
		p->out->command = xasprintf("%.*s", (int)(q2 - q - 1), q + 1);
	runs = strstr(q2 ? q2 : line, " runs)");
	if (runs) {
		while (runs > line && isdigit((unsigned char)runs[-1]))
			runs--;
		p->out->runs = atoi(runs);
		p->out->repeated = 1;
	}
	return 0;
}

/* "T seconds time elapsed", "T +- D seconds time elapsed", "T seconds user|sys" */
static int text_time(struct parser *p, char *line, double var)
{
	static const char *const what[] = { " seconds time elapsed", " seconds user", " seconds sys" };
	double *dst[] = { &p->out->elapsed_s, &p->out->user_s, &p->out->sys_s };
	size_t n = strlen(line);

	for (int k = 0; k < 3; k++) {
		size_t w = strlen(what[k]);
		char *pm;

		if (n <= w || strcmp(line + n - w, what[k]))
			continue;
		line[n - w] = 0;
		pm = strstr(line, " +- ");
		if (pm)
			*pm = 0; /* the deviation: the variance percentage says it too */
		while (isspace((unsigned char)*line))
			line++;
		if (parse_double(line, dst[k]) || *dst[k] < 0)
			return bad(p, "time '%s' is not a number of seconds", line);
		if (k == 0)
			p->out->elapsed_var_pct = var;
		return 1;
	}
	return 0;
}

static int text_line(struct parser *p, char *line)
{
	struct perf_stat_row row = { .variance_pct = -1, .pct_running = -1 };
	char *tok[2], *hash, *c = line, *value;
	int n = 0, rc;
	double var = -1;

	if (strstr(line, "Performance counter stats for"))
		return text_header(p, line);
	if (!strncmp(line, "Some events weren't counted", 27) || (p->in_note && line[0] == '\t')) {
		p->in_note = 1; /* perf's advice, tab-indented commands */
		return 0;
	}
	p->in_note = 0;
	while (isspace((unsigned char)*c))
		c++;
	if (*c == '#')
		return 0; /* a derived metric on a line of its own */
	cut_paren(c, 0, &row.pct_running);
	cut_paren(c, 1, &var);
	row.variance_pct = var;
	if ((rc = text_time(p, c, var)) != 0)
		return rc < 0 ? -1 : 0;
	hash = strchr(c, '#');
	if (hash)
		*hash = 0;
	rtrim(c);
	value = c;
	if (*c == '<') {
		c = strchr(c, '>');
		if (!c)
			return bad(p, "bad value '%s'", value);
		c++;
	} else {
		c += strcspn(c, " \t");
	}
	if (*c)
		*c++ = 0;
	for (char *t = strtok(c, " \t"); t; t = strtok(NULL, " \t"), n++)
		if (n < 2)
			tok[n] = t;
	if (n < 1 || n > 2)
		return bad(p, "not a `perf stat` counter line (value, [unit,] event, [# metric], "
			      "[( +- N%% )], [(N%%)])");
	if (!p->out->command)
		return bad(p, "counter line before the \"Performance counter stats for\" header");
	if (n == 2 && !known_unit(tok[0]))
		return bad(p, "'%s %s': an event name with a space, or a unit perf does not print", tok[0], tok[1]);
	if (set_value(p, &row, value, 1)) {
		row_free(&row);
		return -1;
	}
	row.unit = xstrdup(n == 2 ? tok[0] : "");
	row.event = xstrdup(tok[n - 1]);
	add_row(p->out, &row);
	return 0;
}

/* ---- -j ---- */

/* A JSON string at *s (after its opening quote) into out; the end past the closing quote. */
static const char *json_string(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	for (; *s && *s != '"'; s++) {
		char ch = *s;

		if (ch == '\\') {
			s++;
			switch (*s) {
			case '"': case '\\': case '/': ch = *s; break;
			case 'n': ch = '\n'; break;
			case 't': ch = '\t'; break;
			case 'u':
				if (!isxdigit((unsigned char)s[1]) || !isxdigit((unsigned char)s[2]) ||
				    !isxdigit((unsigned char)s[3]) || !isxdigit((unsigned char)s[4]))
					return NULL;
				ch = '?'; /* perf writes ASCII; anything else is kept visible */
				s += 4;
				break;
			default: return NULL;
			}
		} else if ((unsigned char)ch < 0x20) {
			return NULL;
		}
		if (n + 1 >= cap)
			return NULL;
		out[n++] = ch;
	}
	out[n] = 0;
	return *s == '"' ? s + 1 : NULL;
}

static const char *skip_ws(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

static int json_line(struct parser *p, const char *s)
{
	struct perf_stat_row row = { .variance_pct = -1, .pct_running = -1 };
	char key[64], val[256];
	int has_value = 0;

	s = skip_ws(s);
	if (*s++ != '{')
		return bad(p, "not `perf stat -j` output (a line that is not a JSON object)");
	for (s = skip_ws(s); *s != '}';) {
		int is_str;
		double num = 0;

		if (*s != '"' || !(s = json_string(s + 1, key, sizeof(key))))
			goto bad;
		s = skip_ws(s);
		if (*s++ != ':')
			goto bad;
		s = skip_ws(s);
		is_str = *s == '"';
		if (is_str) {
			if (!(s = json_string(s + 1, val, sizeof(val))))
				goto bad;
		} else {
			char *end;

			num = strtod(s, &end);
			if (end == s)
				goto bad;
			snprintf(val, sizeof(val), "%.*s", (int)(end - s), s);
			s = end;
		}
		if (!strcmp(key, "event") && is_str && !row.event) {
			row.event = xstrdup(val);
		} else if (!strcmp(key, "unit") && is_str && !row.unit) {
			row.unit = xstrdup(val);
		} else if (!strcmp(key, "counter-value") && !has_value) {
			has_value = 1;
			if (set_value(p, &row, val, 0))
				goto fail;
		} else if (!strcmp(key, "variance") && !is_str) {
			row.variance_pct = num;
			p->out->repeated = 1;
		} else if (!strcmp(key, "pcnt-running") && !is_str) {
			row.pct_running = num;
		}
		s = skip_ws(s);
		if (*s == ',')
			s = skip_ws(s + 1);
		else if (*s != '}')
			goto bad;
	}
	if (*skip_ws(s + 1))
		goto bad;
	if (!row.event && !has_value) {
		row_free(&row); /* a derived metric of its own (newer perf) */
		return 0;
	}
	if (!row.event || !row.event[0] || !has_value) {
		row_free(&row);
		return bad(p, "a `perf stat -j` object without %s", has_value ? "\"event\"" : "\"counter-value\"");
	}
	if (!row.unit)
		row.unit = xstrdup("");
	add_row(p->out, &row);
	return 0;
bad:
	bad(p, "not `perf stat -j` output (malformed JSON object)");
fail:
	row_free(&row);
	return -1;
}

/* ---- the file ---- */

const char *perf_stat__form_name(enum perf_stat_form form)
{
	static const char *const names[] = { "csv", "text", "json" };

	return names[form];
}

/* Which form a file is in, from its first line that says something. */
static enum perf_stat_form detect(const char *line)
{
	const char *s = skip_ws(line);

	if (*s == '{')
		return PERF_STAT_JSON;
	if (strstr(line, "Performance counter stats for"))
		return PERF_STAT_TEXT;
	return PERF_STAT_CSV;
}

int perf_stat__parse(FILE *f, const char *path, struct perf_stat *out)
{
	struct parser p = { .path = path, .out = out };
	char *line = NULL;
	size_t len = 0;
	ssize_t got;
	int rc = 0, known = 0;

	memset(out, 0, sizeof(*out));
	out->elapsed_s = out->user_s = out->sys_s = out->elapsed_var_pct = -1;
	while (!rc && (got = getline(&line, &len, f)) >= 0) {
		p.lineno++;
		if (!got || line[got - 1] != '\n') {
			/* a file cut in the middle of a line: its last value may be cut too */
			rc = bad(&p, "truncated line (no newline at the end of the file)");
			break;
		}
		line[strcspn(line, "\r\n")] = 0;
		if (!*skip_ws(line) || line[0] == '#')
			continue; /* blank, or perf's "# started on ..." (-o FILE) */
		if (!known++)
			out->form = detect(line);
		switch (out->form) {
		case PERF_STAT_CSV: rc = csv_line(&p, line); break;
		case PERF_STAT_TEXT: rc = text_line(&p, line); break;
		case PERF_STAT_JSON: rc = json_line(&p, line); break;
		}
	}
	if (!rc && ferror(f))
		rc = error("%s: read error: %s", path, strerror(errno));
	if (!rc && out->n == 0)
		rc = error("%s: no counter lines (expected perf stat's output: its default text, -x, CSV or -j JSON)",
			   path);
	free(line);
	if (rc)
		perf_stat__free(out);
	return rc;
}

void perf_stat__free(struct perf_stat *s)
{
	for (size_t i = 0; i < s->n; i++)
		row_free(&s->rows[i]);
	free(s->rows);
	free(s->command);
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
		return METRIC_WALL_NS;
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
