/*
 * qemu_output_v4.c - format 4's records of the plugin's output (threads,
 * their totals, runs of repeated msym intervals) and its checks across
 * lines; the rest of the reader is qemu_output.c, the format qemu_output.h.
 */
#include "qemu_output_priv.h"
#include "msym_order.h"

#include <string.h>

/* msym_run SEQ LAST (version 4): the msym lines just read, of interval SEQ,
 * are also those of each later interval of SEQ's thread up to LAST. */
int qo_rec_msym_run(struct reader *r, struct qemu_output *o, size_t *caps)
{
	int64_t seq, last;
	size_t from, n;

	if (o->version < 4)
		return qo_bad(r, "msym_run line in a file before version 4");
	if (qo_expect_fields(r, 3) || qo_num_i64(r, r->fields[1], &seq) ||
	    qo_num_i64(r, r->fields[2], &last))
		return -1;
	if (!r->have_msym || o->msyms[r->last_msym].seq != seq || seq < 0)
		return qo_bad(r, "msym_run does not follow its interval's msym lines");
	if (last <= seq || last >= o->msym_complete || last >= (int64_t)o->n_marks ||
	    o->marks[last].thread != o->marks[seq].thread)
		return qo_bad(r, "msym_run ends outside its thread's complete intervals");
	if (!r->covered)
		r->covered = xcalloc(o->n_marks, 1);
	from = r->seq_first;
	n = r->last_msym + 1 - from;
	for (int64_t s = seq + 1; s <= last; s++) {
		if (o->marks[s].thread != o->marks[seq].thread)
			continue;
		r->covered[s] = 1;
		for (size_t k = 0; k < n; k++) {
			struct qemu_output_msym m = o->msyms[from + k];

			m.seq = s;
			m.name = xstrdup(m.name);
			PUSH(o->msyms, o->n_msyms, caps[CAP_MSYMS]);
			o->msyms[o->n_msyms++] = m;
		}
	}
	r->have_run = 1;
	return 0;
}

/* thread K VCPU (version 4): ordinals 0, 1, 2... in order */
int qo_rec_thread(struct reader *r, struct qemu_output *o, size_t *caps)
{
	int64_t k, v;

	if (o->version < 4)
		return qo_bad(r, "thread line in a file before version 4");
	if (qo_expect_fields(r, 3) || qo_num_i64(r, r->fields[1], &k) || qo_num_i64(r, r->fields[2], &v))
		return -1;
	if (k != (int64_t)o->n_threads)
		return qo_bad(r, "thread lines out of sequence");
	if (v < 0 || v > 0x7fffffff)
		return qo_bad(r, "vCPU index out of range");
	PUSH(o->threads, o->n_threads, caps[CAP_THREADS]);
	o->threads[o->n_threads++] = (struct qemu_output_thread){ .vcpu = (int)v };
	return 0;
}

/* thread_total K METRIC N (version 4), after thread K's line */
int qo_rec_thread_total(struct reader *r, struct qemu_output *o, size_t *caps)
{
	struct qemu_output_thread *t;
	int64_t k;
	uint64_t v;

	(void)caps;
	if (o->version < 4)
		return qo_bad(r, "thread_total line in a file before version 4");
	if (qo_expect_fields(r, 4) || qo_num_i64(r, r->fields[1], &k) || qo_num_u64(r, r->fields[3], &v))
		return -1;
	if (k < 0 || k >= (int64_t)o->n_threads)
		return qo_bad(r, "thread_total of a thread without its thread line");
	if (qo_has_space(r->fields[2]))
		return qo_bad(r, "malformed metric");
	t = &o->threads[k];
	PUSH(t->totals, t->n_totals, t->cap_totals);
	t->totals[t->n_totals++] = (struct qemu_output_total){ xstrdup(r->fields[2]), v };
	return 0;
}

static int cmp_msym_rec(const void *a, const void *b)
{
	const struct qemu_output_msym *x = a, *y = b;

	return msym__cmp(x->seq, x->name, y->seq, y->name);
}

/* A thread's total of metric; 0 found, -1 absent. */
static int thread_total(const struct qemu_output_thread *t, const char *metric, uint64_t *v)
{
	for (size_t i = 0; i < t->n_totals; i++)
		if (!strcmp(t->totals[i].metric, metric)) {
			*v = t->totals[i].value;
			return 0;
		}
	return -1;
}

/* Version 4's checks across lines, once the file is read: every thread
 * named has its line, and the threads' totals add up to the run's. */
static int check_threads(const struct reader *r, struct qemu_output *o)
{
	uint64_t insns = 0;

	if (o->version < 4 || o->invalid)
		return 0;
	/* no thread yet: QEMU stopped before its first vCPU started */
	if (!o->n_threads && (o->n_marks || (!qemu_output__total(o, "insns", &insns) && insns)))
		return error("%s: no thread lines", r->path);
	for (size_t i = 0; i < o->n_marks; i++)
		if ((size_t)o->marks[i].thread >= o->n_threads)
			return error("%s: mark %zu is on thread %d, which has no thread line", r->path, i,
				     o->marks[i].thread);
	if (r->min_seq < -(int64_t)o->n_threads)
		return error("%s: an event or msym line of seq %lld names a thread without a thread line",
			     r->path, (long long)r->min_seq);
	for (size_t m = 0; m < o->n_totals; m++) {
		uint64_t sum = 0, v;
		int any = 0;

		for (size_t k = 0; k < o->n_threads; k++)
			if (!thread_total(&o->threads[k], o->totals[m].metric, &v)) {
				sum += v;
				any = 1;
			}
		if (any && sum != o->totals[m].value)
			return error("%s: the threads' %s add up to %llu, but the total is %llu", r->path,
				     o->totals[m].metric, (unsigned long long)sum,
				     (unsigned long long)o->totals[m].value);
	}
	o->vcpus = (int)o->n_threads;
	return 0;
}

int qo_finish_v4(const struct reader *r, struct qemu_output *o)
{
	if (check_threads(r, o))
		return -1;
	/* the intervals msym_run lines gave come in their order */
	if (r->have_run)
		qsort(o->msyms, o->n_msyms, sizeof(*o->msyms), cmp_msym_rec);
	return 0;
}
