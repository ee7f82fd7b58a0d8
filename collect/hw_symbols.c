/*
 * hw_symbols.c - the samples of a `collect hw` run, by symbol: each sampled
 * IP is placed in the mapping that held it at the time and looked up in that
 * file's symbol table, then samples (and their time) are added up per
 * s:<symbol> region and per marker interval of the sampled thread, and
 * counted per thread.
 */
#include "collect.h"
#include "align.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct symtab *hw_symcache__get(struct hw_symcache *c, const char *path, int quiet)
{
	struct symtab *t;

	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->path[i], path))
			return c->tab[i];
	if (path[0] == '[' || access(path, R_OK))
		t = NULL; /* [vdso], [anon], deleted files */
	else {
		messages_quiet(quiet);
		t = symtab__load(path);
		messages_quiet(0);
	}
	c->path = xrealloc(c->path, (c->n + 1) * sizeof(*c->path));
	c->tab = xrealloc(c->tab, (c->n + 1) * sizeof(*c->tab));
	c->path[c->n] = xstrdup(path);
	c->tab[c->n++] = t;
	return t;
}

void hw_symcache__free(struct hw_symcache *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->path[i]);
		if (c->tab[i])
			symtab__free(c->tab[i]);
	}
	free(c->path);
	free(c->tab);
	memset(c, 0, sizeof(*c));
}

/* Region key of one sampled IP: s:<sym> in the program, s:<sym>@<dso> elsewhere. */
static char *ip_region(struct hw_symcache *c, const struct hw_run_result *r, const char *prog, uint64_t ip)
{
	const struct hw_map *m = NULL;
	struct symtab *t;
	const struct sym *s = NULL;
	uint64_t vaddr;
	int is_prog;

	/* the last mapping wins: a later mmap replaces an earlier one */
	for (size_t i = r->n_maps; i-- > 0;)
		if (ip >= r->maps[i].start && ip - r->maps[i].start < r->maps[i].len) {
			m = &r->maps[i];
			break;
		}
	if (!m)
		return xstrdup(ip >> 63 ? REGION_KEY_SYMBOL "[kernel]" : REGION_KEY_SYMBOL "[unknown]");
	is_prog = prog && !strcmp(m->path, prog);
	t = hw_symcache__get(c, m->path, !is_prog);
	if (t && !symtab__vaddr_of(t, m->start, m->pgoff, ip, &vaddr))
		s = symtab__lookup(t, vaddr);
	if (is_prog)
		return xasprintf(REGION_KEY_SYMBOL "%s", s ? s->name : "[unknown]");
	return xasprintf(REGION_KEY_SYMBOL "%s@%s", s ? s->name : "[unknown]", path__base(m->path));
}

/* Estimated time of samples: cpu-clock periods are nanoseconds; cycles samples share the task's time. */
static double samples_time_ns(const struct hw_run_result *r, uint64_t samples, uint64_t period, double task_ns)
{
	if (!strcmp(r->sample_event, "cpu-clock"))
		return (double)period;
	return r->samples ? task_ns * (double)samples / (double)r->samples : 0;
}

static int cmp_ip(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = ((const struct hw_ip *)b)->ip;

	return x < y ? -1 : x > y;
}

/* Samples of one (marker interval, region key); seq is 0 in the whole-run sums. */
struct symagg {
	int64_t seq;
	const char *key;
	uint64_t samples, period;
};

static int cmp_symagg(const void *a, const void *b)
{
	const struct symagg *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Sort a and add up the entries of the same (seq, key); returns how many are left. */
static size_t symagg__fold(struct symagg *a, size_t n)
{
	size_t m = 0;

	qsort(a, n, sizeof(*a), cmp_symagg);
	for (size_t i = 0; i < n; i++) {
		if (m && !cmp_symagg(&a[m - 1], &a[i])) {
			a[m - 1].samples += a[i].samples;
			a[m - 1].period += a[i].period;
		} else {
			a[m++] = a[i];
		}
	}
	return m;
}

/* The interval a sample falls in: its thread's last hit at or before it,
 * else -1 - the thread's ordinal (docs/store.md, "Threads"). */
static int64_t sample_seq(const struct hw_run_result *r, const struct hw_sample *s)
{
	int th = hw_run_result__thread_of(r, s->tid, s->time_ns);
	int64_t seq;

	if (th < 0)
		th = 0; /* a thread id never seen: the program's */
	seq = hw_run_result__seq_at(r, th, s->time_ns);
	return seq >= 0 ? seq : -1 - th;
}

/*
 * Samples per marker interval and symbol into mark_symbol: a sample belongs
 * to the last marker hit of its own thread at or before its time; both
 * clocks are CLOCK_MONOTONIC_RAW from the workload's exec.
 */
static int store_mark_samples(struct store *st, int64_t run_id, const struct hw_run_result *r,
			      char *const *ip_key, double task_ns)
{
	struct symagg *a = xcalloc(r->n_sample_list ? r->n_sample_list : 1, sizeof(*a));
	size_t n = 0;
	int rc = 0;

	for (size_t i = 0; i < r->n_sample_list; i++) {
		const struct hw_sample *s = &r->sample_list[i];
		const struct hw_ip *ip = bsearch(&s->ip, r->ips, r->n_ips, sizeof(*r->ips), cmp_ip);

		if (ip)
			a[n++] = (struct symagg){ sample_seq(r, s),
						  ip_key[ip - r->ips] + strlen(REGION_KEY_SYMBOL), 1, s->period };
	}
	n = symagg__fold(a, n);
	for (size_t i = 0; i < n && !rc; i++) {
		double t = samples_time_ns(r, a[i].samples, a[i].period, task_ns);

		if (store__mark_symbol_set(st, run_id, a[i].seq, a[i].key, "samples", (double)a[i].samples) ||
		    (t > 0 && store__mark_symbol_set(st, run_id, a[i].seq, a[i].key, METRIC_TIME_NS, t)))
			rc = -1;
	}
	free(a);
	return rc;
}

/* Whole-run samples per s:<symbol> region: samples, time_ns, cycles when sampled by cycles. */
static int store_symbol_regions(struct store *st, int64_t wid, int64_t run_id, const struct hw_run_result *r,
				char *const *ip_key, double task_ns)
{
	struct symagg *a = xcalloc(r->n_ips ? r->n_ips : 1, sizeof(*a));
	size_t n;
	int rc = 0;

	for (size_t i = 0; i < r->n_ips; i++)
		a[i] = (struct symagg){ 0, ip_key[i], r->ips[i].samples, r->ips[i].period };
	n = symagg__fold(a, r->n_ips);
	for (size_t i = 0; i < n && !rc; i++) {
		int64_t region = store__region(st, wid, a[i].key, a[i].key + strlen(REGION_KEY_SYMBOL));
		double time_ns = samples_time_ns(r, a[i].samples, a[i].period, task_ns);

		if (region < 0 ||
		    store__region_metric_set(st, run_id, region, "samples", (double)a[i].samples) ||
		    (time_ns > 0 && store__region_metric_set(st, run_id, region, METRIC_TIME_NS, time_ns)) ||
		    (!strcmp(r->sample_event, "cycles") &&
		     store__region_metric_set(st, run_id, region, METRIC_CYCLES, (double)a[i].period)))
			rc = -1;
	}
	free(a);
	return rc;
}

/* Samples per thread (thread_metric; their sum is the run's `samples`). */
static int store_thread_samples(struct store *st, int64_t run_id, const struct hw_run_result *r)
{
	double *n = xcalloc(r->n_threads ? r->n_threads : 1, sizeof(double));
	int rc = 0;

	for (size_t i = 0; i < r->n_sample_list; i++) {
		int th = hw_run_result__thread_of(r, r->sample_list[i].tid, r->sample_list[i].time_ns);

		n[th < 0 ? 0 : th]++;
	}
	for (size_t k = 0; k < r->n_threads && !rc; k++)
		rc = store__thread_metric_set(st, run_id, (int)k, "samples", n[k]);
	free(n);
	return rc;
}

int hw_ingest__samples(struct store *st, const struct hw_ingest *in, int64_t wid, int64_t run_id,
		       const struct hw_run_result *r, double task_ns)
{
	char **ip_key = xcalloc(r->n_ips ? r->n_ips : 1, sizeof(*ip_key));
	int rc;

	for (size_t i = 0; i < r->n_ips; i++)
		ip_key[i] = ip_region(in->syms, r, in->prog, r->ips[i].ip);
	rc = store_symbol_regions(st, wid, run_id, r, ip_key, task_ns);
	if (!rc && r->n_threads)
		rc = store_thread_samples(st, run_id, r);
	if (!rc && r->n_marks)
		rc = store_mark_samples(st, run_id, r, ip_key, task_ns);
	for (size_t i = 0; i < r->n_ips; i++)
		free(ip_key[i]);
	free(ip_key);
	return rc;
}
