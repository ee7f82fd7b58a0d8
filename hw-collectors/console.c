/*
 * console.c - the `@emudiff` lines that freestanding builds of emudiff/mark.h
 * print on a serial console (format documented in mark.h).
 *
 * A serial log is noisy: boot messages, a logger's timestamps before each
 * line, lines of other harts. Lines without `@emudiff` are counted and
 * skipped; a line that claims to be a marker (`@emudiff mark`, `@emudiff
 * exit`) but does not parse is an error with its line number, because a
 * silently dropped marker would shift every region after it.
 *
 * SMP: a mark line may name its hart (`hart=<h>`, no field: hart 0); each
 * run numbers its harts by hart number (run_threads()).
 */
#include "hw.h"
#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int parse_u64_tok(const char *s, uint64_t *v)
{
	if (!*s || *s == '-' || *s == '+')
		return -1;
	return parse_u64(s, v);
}

static int parse_mark(char *rest, struct console_mark *m, const char **why)
{
	char *save = NULL, *tok = strtok_r(rest, " \t", &save);
	int64_t id;

	if (!tok || parse_i64(tok, &id)) {
		*why = "marker id is not a number";
		return -1;
	}
	if (id < 1 || id > 2047) {
		*why = "marker id outside 1..2047";
		return -1;
	}
	m->id = (int)id;
	while ((tok = strtok_r(NULL, " \t", &save))) {
		char *eq = strchr(tok, '=');
		uint64_t v;
		int *has;
		uint64_t *dst;

		if (!eq) {
			*why = "expected key=value after the id";
			return -1;
		}
		*eq = 0;
		if (!strcmp(tok, "cycles"))
			has = &m->has_cycles, dst = &m->cycles;
		else if (!strcmp(tok, "instret"))
			has = &m->has_instret, dst = &m->instret;
		else if (!strcmp(tok, "time"))
			has = &m->has_time, dst = &m->time;
		else if (!strcmp(tok, "hart"))
			has = &m->has_hart, dst = &m->hart;
		else {
			*why = "unknown key (hart, cycles, instret or time)";
			return -1;
		}
		if (*has) {
			*why = "key given twice";
			return -1;
		}
		if (parse_u64_tok(eq + 1, &v)) {
			*why = "value is not an unsigned number";
			return -1;
		}
		if (dst == &m->hart && v > CONSOLE_HART_MAX) {
			*why = "hart outside 0..2147483647";
			return -1;
		}
		*has = 1;
		*dst = v;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The run's distinct harts, ascending, and each mark's ordinal among them
 * (hart order, not order of appearance: the lowest hart is thread 0, as the
 * boot order of an SMP machine is not fixed). */
static void run_threads(struct console_run *r)
{
	size_t n = 0;

	r->harts = xmalloc((r->n_marks ? r->n_marks : 1) * sizeof(*r->harts));
	for (size_t i = 0; i < r->n_marks; i++)
		r->harts[i] = r->marks[i].hart;
	qsort(r->harts, r->n_marks, sizeof(*r->harts), cmp_u64);
	for (size_t i = 0; i < r->n_marks; i++)
		if (i == 0 || r->harts[i] != r->harts[n - 1])
			r->harts[n++] = r->harts[i];
	r->n_harts = n;
	for (size_t i = 0; i < r->n_marks; i++) {
		const uint64_t *h = bsearch(&r->marks[i].hart, r->harts, n, sizeof(*r->harts), cmp_u64);

		r->marks[i].thread = (int)(h - r->harts);
		r->any_hart |= r->marks[i].has_hart;
	}
}

static void run_push(struct console_log *l, struct console_run *cur)
{
	run_threads(cur);
	l->runs = xrealloc(l->runs, (l->n_runs + 1) * sizeof(*l->runs));
	l->runs[l->n_runs++] = *cur;
	memset(cur, 0, sizeof(*cur));
}

int console_log__parse(FILE *f, const char *path, struct console_log *out)
{
	return console_log__parse_boot(f, path, NULL, out);
}

/* A line's boot stages: the logger's time before it, then the stages it shows. */
static void boot_line(const struct boot_stages *s, struct console_run *cur, const char *line)
{
	const char *text;
	int64_t ns = 0;
	int timed;

	if (!s)
		return;
	timed = boot_line__time(line, &ns, &text);
	boot_times__line(s, &cur->boot, text, timed, ns);
}

int console_log__parse_boot(FILE *f, const char *path, const struct boot_stages *s, struct console_log *out)
{
	struct console_run cur = { 0 };
	size_t cap = 0, lcap = 0, len = 0;
	char *line = NULL;
	ssize_t got;
	unsigned lineno = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	while ((got = getline(&line, &len, f)) >= 0) {
		const char *why = NULL;
		char *at, *rest;
		int complete = got > 0 && line[got - 1] == '\n';

		lineno++;
		line[strcspn(line, "\r\n")] = 0;
		boot_line(s, &cur, line);
		at = strstr(line, "@emudiff");
		if (!at) {
			out->garbage_lines++;
			continue;
		}
		rest = at + 8;
		if (!complete && (!strncmp(rest, " mark", 5) || !strncmp(rest, " exit", 5) ||
				  !strncmp(rest, " lat ", 5))) {
			/* a number cut short would still parse: refuse the whole line */
			rc = error("%s:%u: truncated marker line (the log ends in the middle of it)", path, lineno);
			break;
		}
		if (!strncmp(rest, " mark", 5) && (rest[5] == ' ' || rest[5] == '\t' || !rest[5])) {
			struct console_mark m = { 0 };

			m.line = lineno;
			if (parse_mark(rest + 5, &m, &why)) {
				rc = error("%s:%u: malformed marker line: %s", path, lineno, why);
				break;
			}
			if (cur.n_marks == cap) {
				cap = cap ? 2 * cap : 64;
				cur.marks = xrealloc(cur.marks, cap * sizeof(*cur.marks));
			}
			cur.marks[cur.n_marks++] = m;
		} else if (!strncmp(rest, " lat ", 5)) {
			struct console_lat lt = { .line = lineno, .after = cur.n_marks };

			if (console_lat__parse(rest + 5, &lt, &why)) {
				rc = error("%s:%u: malformed latency line: %s", path, lineno, why);
				break;
			}
			if (cur.n_lats == lcap) {
				lcap = lcap ? 2 * lcap : 64;
				cur.lats = xrealloc(cur.lats, lcap * sizeof(*cur.lats));
			}
			cur.lats[cur.n_lats++] = lt;
		} else if (!strncmp(rest, " exit", 5) && (rest[5] == ' ' || rest[5] == '\t' || !rest[5])) {
			char *s = rest + 5;
			int64_t code;

			s += strspn(s, " \t");
			s[strcspn(s, " \t")] = 0;
			if (parse_i64(s, &code) || code < -2147483647 || code > 2147483647) {
				rc = error("%s:%u: malformed exit line: exit code is not a number", path, lineno);
				break;
			}
			cur.has_exit = 1;
			cur.exit_code = (int)code;
			run_push(out, &cur);
			cap = lcap = 0;
		} else {
			out->garbage_lines++;
		}
	}
	out->lines = lineno;
	if (!rc && ferror(f))
		rc = error("%s: read error: %s", path, strerror(errno));
	if (!rc && (cur.n_marks || cur.n_lats || cur.boot.seen))
		run_push(out, &cur);
	if (!rc && out->n_runs == 0 && s && cur.boot.untimed)
		rc = error("%s: no @emudiff lines, and its boot stage lines have no logger time (a log of grabserial -t,"
			   " ts -s %%.s or tio -t: see docs/virtualization.md, Boot stages)", path);
	else if (!rc && out->n_runs == 0)
		rc = error("%s: no @emudiff lines%s in %u lines (is this the serial log of a build with -DEMUDIFF_FREESTANDING?)",
			   path, s ? " and no boot stage" : "", lineno);
	free(cur.marks);
	free(cur.lats);
	free(line);
	if (rc)
		console_log__free(out);
	return rc;
}

void console_log__free(struct console_log *l)
{
	for (size_t i = 0; i < l->n_runs; i++) {
		free(l->runs[i].marks);
		free(l->runs[i].lats);
		free(l->runs[i].harts);
	}
	free(l->runs);
	memset(l, 0, sizeof(*l));
}
