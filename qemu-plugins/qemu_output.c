/*
 * qemu_output.c - read and validate the plugin's output file (format in
 * qemu_output.h). Strict: anything unexpected is an error naming the file
 * and line, and nothing is returned from a damaged file.
 */
#include "qemu_output.h"
#include "msym_order.h"

#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct reader {
	const char *path;
	size_t line;
	char *fields[8];
	int n_fields;
	char *rest; /* for symbol: the name after the count */
};

static int bad(const struct reader *r, const char *what)
{
	return error("%s: line %zu: %s", r->path, r->line, what);
}

static int num_u64(const struct reader *r, const char *s, uint64_t *v)
{
	if (parse_u64(s, v) == 0)
		return 0;
	if (!strncmp(s, "0x", 2) && s[2]) {
		char *end;

		errno = 0;
		*v = strtoull(s + 2, &end, 16);
		if (!errno && !*end)
			return 0;
	}
	return bad(r, "malformed number");
}

static int num_i64(const struct reader *r, const char *s, int64_t *v)
{
	return parse_i64(s, v) ? bad(r, "malformed number") : 0;
}

/* Split at single spaces into at most max fields; the last takes the rest. */
static void split(struct reader *r, char *line, int max)
{
	r->n_fields = 0;
	while (r->n_fields < max) {
		r->fields[r->n_fields++] = line;
		if (r->n_fields == max)
			break;
		char *sp = strchr(line, ' ');

		if (!sp)
			break;
		*sp = '\0';
		line = sp + 1;
	}
}

#define PUSH(arr, n, cap)                                                 \
	do {                                                              \
		if ((n) == (cap)) {                                       \
			(cap) = (cap) ? (cap) * 2 : 64;                   \
			(arr) = xrealloc((arr), (cap) * sizeof(*(arr)));  \
		}                                                         \
	} while (0)

static int expect_fields(const struct reader *r, int n)
{
	return r->n_fields == n ? 0 : bad(r, "wrong number of fields");
}

static int has_space(const char *s)
{
	return strchr(s, ' ') != NULL || !*s;
}

/* Growable arrays' capacities, one per kind of record. */
enum { CAP_MARKS, CAP_VALUES, CAP_EVENTS, CAP_SYMBOLS, CAP_TOTALS, CAP_BLOCKS, CAP_MSYMS, CAP_MAPS, CAP_PCS, CAP_COUNT };

/* symbol INSNS NAME: the name is the rest of the line */
static int rec_symbol(struct reader *r, char *rest, struct qemu_output *o, size_t *caps)
{
	struct qemu_output_symbol s;
	char *sp = strchr(rest, ' ');

	if (!sp || !sp[1])
		return bad(r, "wrong number of fields");
	*sp = '\0';
	if (num_u64(r, rest, &s.insns))
		return -1;
	s.name = xstrdup(sp + 1);
	PUSH(o->symbols, o->n_symbols, caps[CAP_SYMBOLS]);
	o->symbols[o->n_symbols++] = s;
	return 0;
}

/* msym SEQ INSNS NAME (fields split in 4: the name is the rest of the line) */
static int rec_msym(struct reader *r, struct qemu_output *o, size_t *caps)
{
	struct qemu_output_msym m;

	if (expect_fields(r, 4) || num_i64(r, r->fields[1], &m.seq) ||
	    num_u64(r, r->fields[2], &m.insns))
		return -1;
	if (!o->has_msym)
		return bad(r, "msym line before the msym_complete line");
	if (m.seq < -1 || m.seq >= o->msym_complete)
		return bad(r, "msym for an interval outside -1..msym_complete-1");
	if (!*r->fields[3])
		return bad(r, "msym without a symbol name");
	if (o->n_msyms) {
		const struct qemu_output_msym *p = &o->msyms[o->n_msyms - 1];

		if (msym__cmp(p->seq, p->name, m.seq, r->fields[3]) >= 0)
			return bad(r, "msym lines out of order or repeated");
	}
	m.name = xstrdup(r->fields[3]);
	PUSH(o->msyms, o->n_msyms, caps[CAP_MSYMS]);
	o->msyms[o->n_msyms++] = m;
	return 0;
}

/* block 0xADDR N EXECS INSNS NAME */
static int rec_block(struct reader *r, struct qemu_output *o, size_t *caps)
{
	struct qemu_output_block b;
	uint64_t n;

	if (expect_fields(r, 6) || num_u64(r, r->fields[1], &b.vaddr) ||
	    num_u64(r, r->fields[2], &n) || num_u64(r, r->fields[3], &b.execs) ||
	    num_u64(r, r->fields[4], &b.insns))
		return -1;
	if (!*r->fields[5])
		return bad(r, "block without a symbol field");
	b.n_insns = (unsigned)n;
	b.name = xstrdup(r->fields[5]);
	PUSH(o->blocks, o->n_blocks, caps[CAP_BLOCKS]);
	o->blocks[o->n_blocks++] = b;
	return 0;
}

/* map 0xSTART 0xEND 0xOFFSET PATH (version 3; fields split in 5: the path is the rest) */
static int rec_map(struct reader *r, struct qemu_output *o, size_t *caps)
{
	struct qemu_output_map m;

	if (o->version < 3)
		return bad(r, "map line in a version 1 or 2 file");
	if (expect_fields(r, 5) || num_u64(r, r->fields[1], &m.start) ||
	    num_u64(r, r->fields[2], &m.end) || num_u64(r, r->fields[3], &m.offset))
		return -1;
	if (m.start >= m.end)
		return bad(r, "map range is empty or reversed");
	if (r->fields[4][0] != '/')
		return bad(r, "map path is not an absolute path");
	if (o->n_pcs)
		return bad(r, "map line after the pc lines");
	m.path = xstrdup(r->fields[4]);
	PUSH(o->maps, o->n_maps, caps[CAP_MAPS]);
	o->maps[o->n_maps++] = m;
	return 0;
}

/* pc 0xADDR INSNS (version 3), by address, each once */
static int rec_pc(struct reader *r, struct qemu_output *o, size_t *caps)
{
	struct qemu_output_pc p;

	if (o->version < 3)
		return bad(r, "pc line in a version 1 or 2 file");
	if (expect_fields(r, 3) || num_u64(r, r->fields[1], &p.vaddr) ||
	    num_u64(r, r->fields[2], &p.insns))
		return -1;
	if (o->n_pcs && o->pcs[o->n_pcs - 1].vaddr >= p.vaddr)
		return bad(r, "pc lines out of order or repeated");
	PUSH(o->pcs, o->n_pcs, caps[CAP_PCS]);
	o->pcs[o->n_pcs++] = p;
	return 0;
}

/* arch A, mode M: header words, once each */
static int rec_word(struct reader *r, struct qemu_output *o, size_t *caps)
{
	const char *k = r->fields[0];
	char **dst = k[0] == 'a' ? &o->arch : &o->mode;

	(void)caps;
	if (expect_fields(r, 2))
		return -1;
	if (*dst)
		return bad(r, "repeated header record");
	if (k[0] == 'a' && strcmp(r->fields[1], "riscv64") && strcmp(r->fields[1], "x86_64"))
		return bad(r, "unknown architecture");
	if (k[0] == 'm' && strcmp(r->fields[1], "default") && strcmp(r->fields[1], "exact"))
		return bad(r, "unknown mode");
	*dst = xstrdup(r->fields[1]);
	return 0;
}

/* options K=V K=V: the rest of the line, spaces included */
static int rec_options(struct reader *r, struct qemu_output *o, size_t *caps)
{
	(void)caps;
	for (int f = 2; f < r->n_fields; f++)
		r->fields[f][-1] = ' ';
	if (r->n_fields < 2)
		return bad(r, "wrong number of fields");
	free(o->options);
	o->options = xstrdup(r->fields[1]);
	return 0;
}

/* system, plugin_api, vcpus, exit: one integer */
static int rec_int(struct reader *r, struct qemu_output *o, size_t *caps)
{
	const char *k = r->fields[0];
	int64_t i;

	(void)caps;
	if (expect_fields(r, 2) || num_i64(r, r->fields[1], &i))
		return -1;
	if (k[0] == 's')
		o->system = i != 0;
	else if (k[0] == 'p')
		o->plugin_api = (int)i;
	else if (k[0] == 'v')
		o->vcpus = (int)i;
	else {
		o->has_exit = 1;
		o->exit_code = (int)i;
	}
	return 0;
}

/* start_code, entry_code: one address */
static int rec_addr(struct reader *r, struct qemu_output *o, size_t *caps)
{
	uint64_t u;

	(void)caps;
	if (expect_fields(r, 2) || num_u64(r, r->fields[1], &u))
		return -1;
	*(r->fields[0][0] == 's' ? &o->start_code : &o->entry_code) = u;
	return 0;
}

/* mark SEQ ID INSNS HOST_NS, in sequence, counts never going backwards */
static int rec_mark(struct reader *r, struct qemu_output *o, size_t *caps)
{
	struct qemu_output_mark m;
	int64_t i;
	uint64_t u;

	if (expect_fields(r, 5) || num_i64(r, r->fields[1], &i) ||
	    num_u64(r, r->fields[3], &m.insns) || num_u64(r, r->fields[4], &m.host_ns) ||
	    num_u64(r, r->fields[2], &u))
		return -1;
	if (i != (int64_t)o->n_marks)
		return bad(r, "marks out of sequence");
	if (u < 1 || u > 2047)
		return bad(r, "marker id outside 1..2047");
	if (o->n_marks && m.insns < o->marks[o->n_marks - 1].insns)
		return bad(r, "instruction count goes backwards");
	m.id = (int)u;
	PUSH(o->marks, o->n_marks, caps[CAP_MARKS]);
	o->marks[o->n_marks++] = m;
	return 0;
}

/* value SEQ METRIC N, of a mark already read */
static int rec_value(struct reader *r, struct qemu_output *o, size_t *caps)
{
	struct qemu_output_value v;

	if (expect_fields(r, 4) || num_i64(r, r->fields[1], &v.seq) ||
	    num_u64(r, r->fields[3], &v.value))
		return -1;
	if (v.seq < 0 || v.seq >= (int64_t)o->n_marks)
		return bad(r, "value for a mark that does not exist");
	v.metric = xstrdup(r->fields[2]);
	PUSH(o->values, o->n_values, caps[CAP_VALUES]);
	o->values[o->n_values++] = v;
	return 0;
}

/* event SEQ KIND DETAIL COUNT */
static int rec_event(struct reader *r, struct qemu_output *o, size_t *caps)
{
	struct qemu_output_event e;

	if (expect_fields(r, 5) || num_i64(r, r->fields[1], &e.seq) ||
	    num_u64(r, r->fields[4], &e.count))
		return -1;
	if (e.seq < -1)
		return bad(r, "event seq below -1");
	e.kind = xstrdup(r->fields[2]);
	e.detail = xstrdup(strcmp(r->fields[3], "-") ? r->fields[3] : "");
	PUSH(o->events, o->n_events, caps[CAP_EVENTS]);
	o->events[o->n_events++] = e;
	return 0;
}

/* msym_complete N (version 2), once, before the msym lines */
static int rec_msym_complete(struct reader *r, struct qemu_output *o, size_t *caps)
{
	int64_t i;

	(void)caps;
	if (expect_fields(r, 2) || num_i64(r, r->fields[1], &i))
		return -1;
	if (o->version < 2)
		return bad(r, "msym_complete in a version 1 file");
	if (o->has_msym)
		return bad(r, "repeated msym_complete line");
	if (i < -1 || i > (int64_t)o->n_marks)
		return bad(r, "msym_complete outside -1..number of marks");
	o->has_msym = 1;
	o->msym_complete = i;
	return 0;
}

/* total METRIC N */
static int rec_total(struct reader *r, struct qemu_output *o, size_t *caps)
{
	struct qemu_output_total t;

	if (expect_fields(r, 3) || num_u64(r, r->fields[2], &t.value))
		return -1;
	if (has_space(r->fields[1]))
		return bad(r, "malformed metric");
	t.metric = xstrdup(r->fields[1]);
	PUSH(o->totals, o->n_totals, caps[CAP_TOTALS]);
	o->totals[o->n_totals++] = t;
	return 0;
}

/* The records read from fields split at spaces (at most 6). */
static const struct record {
	const char *key;
	int (*parse)(struct reader *r, struct qemu_output *o, size_t *caps);
} records[] = {
	{ "arch", rec_word }, { "mode", rec_word }, { "options", rec_options },
	{ "system", rec_int }, { "plugin_api", rec_int }, { "vcpus", rec_int }, { "exit", rec_int },
	{ "start_code", rec_addr }, { "entry_code", rec_addr }, { "mark", rec_mark },
	{ "value", rec_value }, { "event", rec_event }, { "msym_complete", rec_msym_complete },
	{ "total", rec_total }, { "pc", rec_pc },
};

static int parse_line(struct reader *r, char *line, struct qemu_output *o, size_t *caps)
{
	/* the records whose last field is a name that may hold spaces */
	if (!strncmp(line, "symbol ", 7))
		return rec_symbol(r, line + 7, o, caps);
	if (!strncmp(line, "msym ", 5)) {
		split(r, line, 4);
		return rec_msym(r, o, caps);
	}
	if (!strncmp(line, "block ", 6)) {
		split(r, line, 6);
		return rec_block(r, o, caps);
	}
	if (!strncmp(line, "map ", 4)) {
		split(r, line, 5);
		return rec_map(r, o, caps);
	}
	split(r, line, 6);
	for (size_t i = 0; i < sizeof(records) / sizeof(records[0]); i++)
		if (!strcmp(r->fields[0], records[i].key))
			return records[i].parse(r, o, caps);
	return bad(r, "unknown record");
}

int qemu_output__read(const char *path, struct qemu_output *o)
{
	struct reader r = { .path = path };
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, caps[CAP_COUNT] = { 0 };
	ssize_t len;
	int rc = -1, ended = 0;

	memset(o, 0, sizeof(*o));
	if (!f)
		return error("%s: cannot open plugin output: %s", path, strerror(errno));
	while ((len = getline(&line, &cap, f)) >= 0) {
		r.line++;
		if (ended) {
			bad(&r, "data after the end line (file corrupt)");
			goto out;
		}
		if (len == 0 || line[len - 1] != '\n') {
			bad(&r, "incomplete last line: the file is truncated");
			goto out;
		}
		line[--len] = '\0';
		if (memchr(line, '\0', (size_t)len)) {
			bad(&r, "NUL byte in a line (file corrupt)");
			goto out;
		}
		if (r.line == 1) {
			int64_t v;

			if (strncmp(line, "emudiff-qemu-plugin ", 20)) {
				error("%s: not an emudiff QEMU plugin output file", path);
				goto out;
			}
			if (parse_i64(line + 20, &v) || v < 1) {
				bad(&r, "malformed format version");
				goto out;
			}
			if (v > QEMU_OUTPUT_VERSION) {
				error("%s: format version %lld is newer than this emudiff reads (%d)",
				      path, (long long)v, QEMU_OUTPUT_VERSION);
				goto out;
			}
			o->version = (int)v;
			continue;
		}
		if (!strncmp(line, "end ", 4)) {
			int64_t n;

			if (parse_i64(line + 4, &n)) {
				bad(&r, "malformed end line");
				goto out;
			}
			if (n != (int64_t)r.line - 1) {
				error("%s: end line counts %lld lines but %zu precede it: the file is "
				      "damaged", path, (long long)n, r.line - 1);
				goto out;
			}
			ended = 1;
			continue;
		}
		if (parse_line(&r, line, o, caps))
			goto out;
	}
	if (ferror(f)) {
		error("%s: read error: %s", path, strerror(errno));
		goto out;
	}
	if (r.line == 0) {
		error("%s: empty plugin output file", path);
		goto out;
	}
	if (!ended) {
		error("%s: truncated after line %zu (no end line): the plugin did not finish "
		      "writing it", path, r.line);
		goto out;
	}
	if (!o->arch || !o->mode) {
		error("%s: header lacks arch or mode", path);
		goto out;
	}
	if (!o->options)
		o->options = xstrdup("-");
	rc = 0;
out:
	free(line);
	fclose(f);
	if (rc)
		qemu_output__free(o);
	return rc;
}

void qemu_output__free(struct qemu_output *o)
{
	free(o->arch);
	free(o->mode);
	free(o->options);
	free(o->marks);
	for (size_t i = 0; i < o->n_values; i++)
		free(o->values[i].metric);
	free(o->values);
	for (size_t i = 0; i < o->n_events; i++) {
		free(o->events[i].kind);
		free(o->events[i].detail);
	}
	free(o->events);
	for (size_t i = 0; i < o->n_symbols; i++)
		free(o->symbols[i].name);
	free(o->symbols);
	for (size_t i = 0; i < o->n_msyms; i++)
		free(o->msyms[i].name);
	free(o->msyms);
	for (size_t i = 0; i < o->n_blocks; i++)
		free(o->blocks[i].name);
	free(o->blocks);
	for (size_t i = 0; i < o->n_maps; i++)
		free(o->maps[i].path);
	free(o->maps);
	free(o->pcs);
	for (size_t i = 0; i < o->n_totals; i++)
		free(o->totals[i].metric);
	free(o->totals);
	memset(o, 0, sizeof(*o));
}

int qemu_output__total(const struct qemu_output *o, const char *metric, uint64_t *value)
{
	for (size_t i = 0; i < o->n_totals; i++)
		if (!strcmp(o->totals[i].metric, metric)) {
			*value = o->totals[i].value;
			return 0;
		}
	return -1;
}
