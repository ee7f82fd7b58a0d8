/*
 * latency_ingest.c - `@emudiff lat` events of a console (collect console,
 * collect qemu --system) into latency_sample rows: one per marker region
 * and metric, values in ns.
 */
#include "collect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The region key of an event after `after` marks of r. */
static void lat_key(const struct console_run *r, size_t after, char *key, size_t n)
{
	int from, to, occ = 0;

	if (after == 0 || after >= r->n_marks) {
		snprintf(key, n, "%s", LATENCY_KEY_RUN);
		return;
	}
	from = r->marks[after - 1].id;
	to = r->marks[after].id;
	for (size_t k = 1; k <= after; k++)
		occ += r->marks[k - 1].id == from && r->marks[k].id == to;
	snprintf(key, n, "%s%d->%d#%d", REGION_KEY_MARK, from, to, occ);
}

int latency__store_console(struct store *st, int64_t run, const struct console_run *r, double timebase_hz)
{
	char *done = xcalloc(r->n_lats ? r->n_lats : 1, 1);
	double *v = xmalloc((r->n_lats ? r->n_lats : 1) * sizeof(*v));
	int rc = 0;

	/* group by (region, name) in order of first appearance */
	for (size_t i = 0; i < r->n_lats && !rc; i++) {
		char key[64], other[64], metric[64];
		size_t n = 0;

		if (done[i])
			continue;
		lat_key(r, r->lats[i].after, key, sizeof(key));
		for (size_t j = i; j < r->n_lats; j++) {
			if (done[j] || strcmp(r->lats[j].name, r->lats[i].name))
				continue;
			lat_key(r, r->lats[j].after, other, sizeof(other));
			if (strcmp(key, other))
				continue;
			done[j] = 1;
			v[n++] = (double)r->lats[j].ticks * 1e9 / timebase_hz;
		}
		snprintf(metric, sizeof(metric), "%s%s%s", METRIC_LATENCY_PREFIX, r->lats[i].name,
			 METRIC_LATENCY_SUFFIX);
		rc = store__latency_add(st, run, key, metric, v, n);
	}
	free(done);
	free(v);
	return rc;
}

int latency__read_console(const char *path, const char *label, struct console_log *cl)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t len = 0;
	int any = 0, rc = 0;

	memset(cl, 0, sizeof(*cl));
	if (!f)
		return 0; /* QEMU wrote nothing */
	while (!any && getline(&line, &len, f) >= 0)
		any = strstr(line, "@emudiff lat ") != NULL;
	free(line);
	if (any) {
		char *name = xasprintf("%s console", label);

		rewind(f);
		rc = console_log__parse(f, name, cl);
		free(name);
	}
	fclose(f);
	return rc;
}
