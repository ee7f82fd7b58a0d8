/*
 * qemu_output.c - read and validate the plugin's output file (format in
 * qemu_output.h). Strict: anything unexpected is an error naming the file
 * and line, and nothing is returned from a damaged file.
 */
#include "qemu_output_priv.h"
#include "msym_order.h"

#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int qo_bad(const struct reader *r, const char *what)
{
	return error("%s: line %zu: %s", r->path, r->line, what);
}

int qo_num_u64(const struct reader *r, const char *s, uint64_t *v)
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
	return qo_bad(r, "malformed number");
}

int qo_num_i64(const struct reader *r, const char *s, int64_t *v)
{
	return parse_i64(s, v) ? qo_bad(r, "malformed number") : 0;
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

int qo_expect_fields(const struct reader *r, int n)
{
	return r->n_fields == n ? 0 : qo_bad(r, "wrong number of fields");
}

int qo_has_space(const char *s)
{
	return strchr(s, ' ') != NULL || !*s;
}

/* symbol INSNS NAME: the name is the rest of the line */
static int rec_symbol(struct reader *r, char *rest, struct qemu_output *o, size_t *caps)
{
	struct qemu_output_symbol s;
	char *sp = strchr(rest, ' ');

	if (!sp || !sp[1])
		return qo_bad(r, "wrong number of fields");
	*sp = '\0';
	if (qo_num_u64(r, rest, &s.insns))
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

	if (qo_expect_fields(r, 4) || qo_num_i64(r, r->fields[1], &m.seq) ||
	    qo_num_u64(r, r->fields[2], &m.insns))
		return -1;
	if (!o->has_msym)
		return qo_bad(r, "msym line before the msym_complete line");
	/* an interval before a thread's first mark counts as -1 (qemu_output.h) */
	if ((o->version < 4 && m.seq < -1) || (m.seq < 0 ? -1 : m.seq) >= o->msym_complete)
		return qo_bad(r, "msym for an interval outside -1..msym_complete-1");
	if (m.seq < r->min_seq)
		r->min_seq = m.seq;
	if (!*r->fields[3])
		return qo_bad(r, "msym without a symbol name");
	if (m.seq >= 0 && r->covered && r->covered[m.seq])
		return qo_bad(r, "msym line for an interval an msym_run line gave");
	if (r->have_msym) {
		const struct qemu_output_msym *p = &o->msyms[r->last_msym];

		if (msym__cmp(p->seq, p->name, m.seq, r->fields[3]) >= 0)
			return qo_bad(r, "msym lines out of order or repeated");
	}
	if (!r->have_msym || o->msyms[r->last_msym].seq != m.seq)
		r->seq_first = o->n_msyms;
	m.name = xstrdup(r->fields[3]);
	PUSH(o->msyms, o->n_msyms, caps[CAP_MSYMS]);
	r->last_msym = o->n_msyms;
	r->have_msym = 1;
	o->msyms[o->n_msyms++] = m;
	return 0;
}

/* block 0xADDR N EXECS INSNS NAME */
static int rec_block(struct reader *r, struct qemu_output *o, size_t *caps)
{
	struct qemu_output_block b;
	uint64_t n;

	if (qo_expect_fields(r, 6) || qo_num_u64(r, r->fields[1], &b.vaddr) ||
	    qo_num_u64(r, r->fields[2], &n) || qo_num_u64(r, r->fields[3], &b.execs) ||
	    qo_num_u64(r, r->fields[4], &b.insns))
		return -1;
	if (!*r->fields[5])
		return qo_bad(r, "block without a symbol field");
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
		return qo_bad(r, "map line in a version 1 or 2 file");
	if (qo_expect_fields(r, 5) || qo_num_u64(r, r->fields[1], &m.start) ||
	    qo_num_u64(r, r->fields[2], &m.end) || qo_num_u64(r, r->fields[3], &m.offset))
		return -1;
	if (m.start >= m.end)
		return qo_bad(r, "map range is empty or reversed");
	if (r->fields[4][0] != '/')
		return qo_bad(r, "map path is not an absolute path");
	if (o->n_pcs)
		return qo_bad(r, "map line after the pc lines");
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
		return qo_bad(r, "pc line in a version 1 or 2 file");
	if (qo_expect_fields(r, 3) || qo_num_u64(r, r->fields[1], &p.vaddr) ||
	    qo_num_u64(r, r->fields[2], &p.insns))
		return -1;
	if (o->n_pcs && o->pcs[o->n_pcs - 1].vaddr >= p.vaddr)
		return qo_bad(r, "pc lines out of order or repeated");
	PUSH(o->pcs, o->n_pcs, caps[CAP_PCS]);
	o->pcs[o->n_pcs++] = p;
	return 0;
}

/* arch A, mode M, counting C (version 4): header words, once each */
static int rec_word(struct reader *r, struct qemu_output *o, size_t *caps)
{
	const char *k = r->fields[0];
	char **dst = k[0] == 'a' ? &o->arch : k[0] == 'm' ? &o->mode : &o->counting;

	(void)caps;
	if (qo_expect_fields(r, 2))
		return -1;
	if (*dst)
		return qo_bad(r, "repeated header record");
	if (k[0] == 'a' && strcmp(r->fields[1], "riscv64") && strcmp(r->fields[1], "x86_64"))
		return qo_bad(r, "unknown architecture");
	if (k[0] == 'm' && strcmp(r->fields[1], "default") && strcmp(r->fields[1], "exact"))
		return qo_bad(r, "unknown mode");
	if (k[0] == 'c' && o->version < 4)
		return qo_bad(r, "counting line in a file before version 4");
	if (k[0] == 'c' && strcmp(r->fields[1], "inline") && strcmp(r->fields[1], "callback"))
		return qo_bad(r, "unknown counting (inline or callback)");
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
		return qo_bad(r, "wrong number of fields");
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
	if (qo_expect_fields(r, 2) || qo_num_i64(r, r->fields[1], &i))
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
	if (qo_expect_fields(r, 2) || qo_num_u64(r, r->fields[1], &u))
		return -1;
	*(r->fields[0][0] == 's' ? &o->start_code : &o->entry_code) = u;
	return 0;
}

/* The next mark, of marker id u on thread t: a thread's counts never go backwards. */
static int push_mark(struct reader *r, struct qemu_output *o, size_t *caps, struct qemu_output_mark m,
		     uint64_t u, uint64_t t)
{
	if (u < 1 || u > 2047)
		return qo_bad(r, "marker id outside 1..2047");
	if (t > 65535)
		return qo_bad(r, "thread ordinal above 65535");
	if (t >= r->cap_last) {
		size_t cap = r->cap_last;

		r->cap_last = t + 64;
		r->last_insns = xrealloc(r->last_insns, r->cap_last * sizeof(*r->last_insns));
		memset(r->last_insns + cap, 0, (r->cap_last - cap) * sizeof(*r->last_insns));
	}
	if (r->last_insns[t] && m.insns < r->last_insns[t] - 1)
		return qo_bad(r, "instruction count goes backwards");
	r->last_insns[t] = m.insns + 1;
	m.id = (int)u;
	m.thread = (int)t;
	PUSH(o->marks, o->n_marks, caps[CAP_MARKS]);
	o->marks[o->n_marks++] = m;
	return 0;
}

/* mark SEQ [THREAD] ID INSNS HOST_NS, in sequence */
static int rec_mark(struct reader *r, struct qemu_output *o, size_t *caps)
{
	struct qemu_output_mark m;
	int v4 = o->version >= 4;
	int64_t i;
	uint64_t u, t = 0;

	if (qo_expect_fields(r, 5 + v4) || qo_num_i64(r, r->fields[1], &i) ||
	    (v4 && qo_num_u64(r, r->fields[2], &t)) || qo_num_u64(r, r->fields[3 + v4], &m.insns) ||
	    qo_num_u64(r, r->fields[4 + v4], &m.host_ns) || qo_num_u64(r, r->fields[2 + v4], &u))
		return -1;
	if (i != (int64_t)o->n_marks)
		return qo_bad(r, "marks out of sequence");
	r->have_m = 0;
	return push_mark(r, o, caps, m, u, t);
}

/* m ID DINSNS DNS, m DNS (version 5): the next mark, on the previous one's
 * thread, by its differences to it; m DNS repeats the last m line's ID and DINSNS */
static int rec_m(struct reader *r, struct qemu_output *o, size_t *caps)
{
	const struct qemu_output_mark *p = o->n_marks ? &o->marks[o->n_marks - 1] : NULL;
	struct qemu_output_mark m;
	int64_t dns;

	if (o->version < 5)
		return qo_bad(r, "m line in a file before version 5");
	if (r->n_fields != 2 && r->n_fields != 4)
		return qo_bad(r, "wrong number of fields");
	if (qo_num_i64(r, r->fields[r->n_fields - 1], &dns) ||
	    (r->n_fields == 4 && (qo_num_u64(r, r->fields[1], &r->m_id) ||
				  qo_num_u64(r, r->fields[2], &r->m_dinsns))))
		return -1;
	if (!p)
		return qo_bad(r, "m line before the first mark line");
	if (r->n_fields == 2 && !r->have_m)
		return qo_bad(r, "m DNS line without an m line to repeat");
	if (r->m_dinsns > UINT64_MAX - p->insns)
		return qo_bad(r, "instruction count overflows");
	if ((dns < 0 && (uint64_t)-(dns + 1) >= p->host_ns) ||
	    (dns > 0 && (uint64_t)dns > UINT64_MAX - p->host_ns))
		return qo_bad(r, "host time out of range");
	r->have_m = 1;
	m.insns = p->insns + r->m_dinsns;
	m.host_ns = dns < 0 ? p->host_ns - (uint64_t)-(dns + 1) - 1 : p->host_ns + (uint64_t)dns;
	return push_mark(r, o, caps, m, r->m_id, (uint64_t)p->thread);
}

/* value SEQ METRIC N, of a mark already read */
static int rec_value(struct reader *r, struct qemu_output *o, size_t *caps)
{
	struct qemu_output_value v;

	if (qo_expect_fields(r, 4) || qo_num_i64(r, r->fields[1], &v.seq) ||
	    qo_num_u64(r, r->fields[3], &v.value))
		return -1;
	if (v.seq < 0 || v.seq >= (int64_t)o->n_marks)
		return qo_bad(r, "value for a mark that does not exist");
	v.metric = xstrdup(r->fields[2]);
	PUSH(o->values, o->n_values, caps[CAP_VALUES]);
	o->values[o->n_values++] = v;
	return 0;
}

/* event SEQ KIND DETAIL COUNT */
static int rec_event(struct reader *r, struct qemu_output *o, size_t *caps)
{
	struct qemu_output_event e;

	if (qo_expect_fields(r, 5) || qo_num_i64(r, r->fields[1], &e.seq) ||
	    qo_num_u64(r, r->fields[4], &e.count))
		return -1;
	if (e.seq < -1 && o->version < 4)
		return qo_bad(r, "event seq below -1");
	if (e.seq < r->min_seq)
		r->min_seq = e.seq;
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
	if (qo_expect_fields(r, 2) || qo_num_i64(r, r->fields[1], &i))
		return -1;
	if (o->version < 2)
		return qo_bad(r, "msym_complete in a version 1 file");
	if (o->has_msym)
		return qo_bad(r, "repeated msym_complete line");
	if (i < -1 || i > (int64_t)o->n_marks)
		return qo_bad(r, "msym_complete outside -1..number of marks");
	o->has_msym = 1;
	o->msym_complete = i;
	return 0;
}

/* total METRIC N */
static int rec_total(struct reader *r, struct qemu_output *o, size_t *caps)
{
	struct qemu_output_total t;

	if (qo_expect_fields(r, 3) || qo_num_u64(r, r->fields[2], &t.value))
		return -1;
	if (qo_has_space(r->fields[1]))
		return qo_bad(r, "malformed metric");
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
	{ "arch", rec_word }, { "mode", rec_word }, { "counting", rec_word }, { "options", rec_options },
	{ "system", rec_int }, { "plugin_api", rec_int }, { "vcpus", rec_int }, { "exit", rec_int },
	{ "start_code", rec_addr }, { "entry_code", rec_addr }, { "mark", rec_mark }, { "m", rec_m },
	{ "value", rec_value }, { "event", rec_event }, { "msym_complete", rec_msym_complete },
	{ "total", rec_total }, { "pc", rec_pc }, { "thread", qo_rec_thread },
	{ "thread_total", qo_rec_thread_total }, { "msym_run", qo_rec_msym_run },
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
	if (!strncmp(line, "invalid ", 8)) {
		if (o->version < 4 || o->invalid || !line[8])
			return qo_bad(r, "invalid line in a file before version 4, repeated or empty");
		o->invalid = xstrdup(line + 8);
		return 0;
	}
	split(r, line, 6);
	for (size_t i = 0; i < sizeof(records) / sizeof(records[0]); i++)
		if (!strcmp(r->fields[0], records[i].key))
			return records[i].parse(r, o, caps);
	return qo_bad(r, "unknown record");
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
			qo_bad(&r, "data after the end line (file corrupt)");
			goto out;
		}
		if (len == 0 || line[len - 1] != '\n') {
			qo_bad(&r, "incomplete last line: the file is truncated");
			goto out;
		}
		line[--len] = '\0';
		if (memchr(line, '\0', (size_t)len)) {
			qo_bad(&r, "NUL byte in a line (file corrupt)");
			goto out;
		}
		if (r.line == 1) {
			int64_t v;

			if (strncmp(line, "emudiff-qemu-plugin ", 20)) {
				error("%s: not an emudiff QEMU plugin output file", path);
				goto out;
			}
			if (parse_i64(line + 20, &v) || v < 1) {
				qo_bad(&r, "malformed format version");
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
				qo_bad(&r, "malformed end line");
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
	if (qo_finish_v4(&r, o))
		goto out;
	rc = 0;
out:
	free(line);
	free(r.last_insns);
	free(r.covered);
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
	free(o->counting);
	free(o->invalid);
	for (size_t k = 0; k < o->n_threads; k++) {
		for (size_t i = 0; i < o->threads[k].n_totals; i++)
			free(o->threads[k].totals[i].metric);
		free(o->threads[k].totals);
	}
	free(o->threads);
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
