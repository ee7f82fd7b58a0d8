/*
 * perf_script.c - samples per symbol from the default output of `perf script`:
 *
 *   comm pid[/tid] [cpu] secs.usecs: [period] event: ip sym+off (dso)
 *
 * or, with callchains (perf record -g), the header line ends after the event
 * and the frames follow on indented lines, the sampled IP first. Only the
 * sampled IP counts (self samples, as in `perf report --no-children`).
 */
#include "hw.h"
#include "common.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct raw_sym {
	char *sym, *dso;
	uint64_t samples;
	double period;
};

struct parse_state {
	struct raw_sym *raw;
	size_t n_raw;
	double pending_period;
	int pending; /* a header without a frame: the next indented line is its IP */
};

static int is_time_token(const char *t)
{
	size_t n = strlen(t);
	const char *dot = strchr(t, '.');

	if (n < 3 || t[n - 1] != ':' || !dot || dot == t)
		return 0;
	for (const char *p = t; p < t + n - 1; p++)
		if (!isdigit((unsigned char)*p) && p != dot)
			return 0;
	return 1;
}

/* "ip sym+0x12 (dso)" -> sym, dso (malloc'd). 0 or -1. */
static int parse_frame(const char *s, char **sym, char **dso)
{
	const char *p = s + strspn(s, " \t"), *sp, *open, *close;
	size_t n;

	sp = p + strspn(p, "0123456789abcdefABCDEF");
	if (sp == p || (*sp != ' ' && *sp != '\t'))
		return -1;
	sp += strspn(sp, " \t");
	close = strrchr(sp, ')');
	open = close ? strrchr(sp, '(') : NULL;
	/* the dso is the last parenthesised group; C++ symbols carry their own */
	while (open && open > sp && open[-1] != ' ')
		open = memrchr(sp, '(', (size_t)(open - sp));
	if (!close || !open || close < open || close[1])
		return -1;
	n = (size_t)(open - sp);
	while (n && sp[n - 1] == ' ')
		n--;
	if (!n)
		return -1;
	*sym = strndup(sp, n);
	{
		char *plus = strstr(*sym, "+0x");

		if (plus)
			*plus = 0;
	}
	*dso = strndup(open + 1, (size_t)(close - open - 1));
	return 0;
}

static void add_sample(struct parse_state *st, char *sym, char *dso, double period)
{
	for (size_t i = 0; i < st->n_raw; i++)
		if (!strcmp(st->raw[i].sym, sym) && !strcmp(st->raw[i].dso, dso)) {
			st->raw[i].samples++;
			st->raw[i].period += period;
			free(sym);
			free(dso);
			return;
		}
	st->raw = xrealloc(st->raw, (st->n_raw + 1) * sizeof(*st->raw));
	st->raw[st->n_raw++] = (struct raw_sym){ sym, dso, 1, period };
}


/* The frame on a header line, after its event token: the text past the event
 * in the original line (tokens before it are intact in copy; the event was
 * cut at its first ':'). */
static const char *frame_text(const char *line, char *const *toks, int ei, size_t evlen)
{
	const char *rest = line;

	for (int k = 0; k <= ei; k++)
		rest = strstr(rest, toks[k]) + (k == ei ? evlen : strlen(toks[k]));
	return rest;
}

/*
 * A sample's header line: comm ... secs.usecs: [period] event: [ip sym (dso)].
 * Counts the sample; its frame is on the line or, with callchains, the next
 * indented line (st->pending). 0, or -1 when the line is not a header.
 */
static int parse_header(struct parse_state *st, const char *line, struct perf_script *out)
{
	char *toks[64], *save = NULL, *copy = xstrdup(line), *t, *sym, *dso;
	int nt = 0, ti = -1, ei, rc = -1;
	double period = 1;
	size_t evlen;

	for (t = strtok_r(copy, " \t", &save); t && nt < 64; t = strtok_r(NULL, " \t", &save))
		toks[nt++] = t;
	for (int i = 0; i < nt && ti < 0; i++)
		if (is_time_token(toks[i]))
			ti = i;
	if (ti < 1 || ti + 1 >= nt)
		goto out;
	ei = ti + 1;
	if (isdigit((unsigned char)toks[ei][0]) && ei + 1 < nt) {
		if (parse_double(toks[ei], &period))
			goto out;
		ei++;
	}
	evlen = strlen(toks[ei]);
	if (evlen < 2 || toks[ei][evlen - 1] != ':')
		goto out;
	*strchr(toks[ei], ':') = 0;
	if (!out->event)
		out->event = xstrdup(toks[ei]);
	else if (strcmp(out->event, toks[ei]))
		out->mixed_events = 1;
	if (!out->comm)
		out->comm = xstrdup(toks[0]);
	out->samples++;
	if (ei + 1 >= nt) {
		st->pending = 1;
		st->pending_period = period;
		rc = 0;
	} else if (!parse_frame(frame_text(line, toks, ei, evlen), &sym, &dso)) {
		add_sample(st, sym, dso, period);
		rc = 0;
	}
out:
	free(copy);
	return rc;
}

/* One line of the file; 0, or -1 with "PATH:LINE: reason" printed. */
static int parse_line(struct parse_state *st, const char *line, const char *path, unsigned lineno,
		      struct perf_script *out)
{
	char *sym, *dso;

	if (!line[strspn(line, " \t")])
		return 0;
	if (line[0] == '\t') {
		/* a frame line: the IP of a pending header, or one of its callers */
		if (!st->pending)
			return 0;
		if (parse_frame(line, &sym, &dso))
			return error("%s:%u: not `perf script` sample output", path, lineno);
		add_sample(st, sym, dso, st->pending_period);
		st->pending = 0;
		return 0;
	}
	if (st->pending)
		return error("%s:%u: sample without an instruction pointer before this line", path, lineno);
	if (parse_header(st, line, out))
		return error("%s:%u: not `perf script` sample output", path, lineno);
	return 0;
}

/* The program when --main is not given: the binary (not a shared object)
 * with most samples; its basename, inside st. NULL when there is none. */
static const char *pick_main_dso(const struct parse_state *st)
{
	const char *pick = NULL;
	uint64_t best = 0;

	for (size_t i = 0; i < st->n_raw; i++) {
		uint64_t n = 0;

		if (st->raw[i].dso[0] == '[' || strstr(path__base(st->raw[i].dso), ".so"))
			continue;
		for (size_t k = 0; k < st->n_raw; k++)
			if (!strcmp(st->raw[k].dso, st->raw[i].dso))
				n += st->raw[k].samples;
		if (n > best) {
			best = n;
			pick = st->raw[i].dso;
		}
	}
	return pick ? path__base(pick) : NULL;
}

/* (symbol, dso) pairs into named symbols: bare in the program, sym@dso elsewhere, [kernel]. */
static void name_symbols(const struct parse_state *st, const char *main_dso, struct perf_script *out)
{
	for (size_t i = 0; i < st->n_raw; i++) {
		const struct raw_sym *r = &st->raw[i];
		char *name;
		size_t k;

		if (!strcmp(r->dso, "[kernel.kallsyms]") || !strncmp(r->dso, "[kernel", 7))
			name = xstrdup("[kernel]");
		else if ((main_dso && !strcmp(path__base(r->dso), main_dso)) || !strcmp(r->dso, "[unknown]"))
			name = xstrdup(r->sym);
		else
			name = xasprintf("%s@%s", r->sym, path__base(r->dso));
		for (k = 0; k < out->n && strcmp(out->syms[k].name, name); k++)
			;
		if (k < out->n) {
			out->syms[k].samples += r->samples;
			out->syms[k].period += r->period;
			free(name);
			continue;
		}
		out->syms = xrealloc(out->syms, (out->n + 1) * sizeof(*out->syms));
		out->syms[out->n++] = (struct perf_script_sym){ name, r->samples, r->period };
	}
}

int perf_script__parse(FILE *f, const char *path, const char *main_dso, struct perf_script *out)
{
	struct parse_state st = { 0 };
	char *line = NULL;
	size_t len = 0;
	ssize_t got;
	unsigned lineno = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	while (!rc && (got = getline(&line, &len, f)) >= 0) {
		lineno++;
		if (line[got - 1] != '\n') {
			/* a file cut in the middle of a line: its last sample may be wrong */
			rc = error("%s:%u: truncated line (no newline at the end of the file)", path, lineno);
			break;
		}
		line[strcspn(line, "\r\n")] = 0;
		rc = parse_line(&st, line, path, lineno, out);
	}
	if (!rc && st.pending)
		rc = error("%s:%u: the last sample has no instruction pointer (truncated file?)", path, lineno);
	if (!rc && ferror(f))
		rc = error("%s: read error: %s", path, strerror(errno));
	if (!rc && out->samples == 0)
		rc = error("%s: no samples (expected `perf script` output)", path);
	if (!rc)
		name_symbols(&st, main_dso ? main_dso : pick_main_dso(&st), out);
	for (size_t i = 0; i < st.n_raw; i++) {
		free(st.raw[i].sym);
		free(st.raw[i].dso);
	}
	free(st.raw);
	free(line);
	if (rc)
		perf_script__free(out);
	return rc;
}

void perf_script__free(struct perf_script *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->syms[i].name);
	free(s->syms);
	free(s->event);
	free(s->comm);
	memset(s, 0, sizeof(*s));
}
