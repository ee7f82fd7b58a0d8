/*
 * suite_load.c - the runs of each workload in each suite unit (suite.c):
 * the whole runs from run_metric, and the regions named alike from the
 * workload data the engine loads anyway (engine__suite_take). Looking those
 * up in region_metric again, three seeks per run and region, was most of the
 * analysis's time at study scale.
 *
 * In a unit, a workload's emulation side is its first emulation platform in
 * name order with a run whose status is ok, its hardware side the first
 * hardware platform in name order with such a run that has a value; the runs
 * come in id order, and a run without the value is left out.
 */
#include "suite.h"

#include <stdlib.h>
#include <string.h>

const char *const suite__predictor[SQ_COUNT] = { "insns", "qemu_time" };

void dvec__push(struct dvec *d, double x)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 8;
		d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
	}
	d->v[d->n++] = x;
}

static struct suite_unit *unit_add(struct suite_unit **units, size_t *n, size_t *cap, const char *scope,
				   char *label)
{
	struct suite_unit *u;

	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 8;
		*units = xrealloc(*units, *cap * sizeof(**units));
	}
	u = &(*units)[(*n)++];
	memset(u, 0, sizeof(*u));
	u->scope = scope;
	u->unit = label;
	return u;
}

struct suite_wl *suite_unit__add(struct suite_unit *u, int64_t wid, const char *name, int64_t region_id)
{
	struct suite_wl *w;

	if (u->n == u->cap) {
		u->cap = u->cap ? 2 * u->cap : 16;
		u->wl = xrealloc(u->wl, u->cap * sizeof(*u->wl));
	}
	w = &u->wl[u->n++];
	memset(w, 0, sizeof(*w));
	w->wid = wid;
	w->name = xstrdup(name);
	w->region_id = region_id;
	w->emu_p = w->hw_p = -1;
	return w;
}

void suite__free_units(struct suite_unit *units, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < units[i].n; j++) {
			struct suite_wl *w = &units[i].wl[j];

			free(w->name);
			free(w->h.v);
			for (int q = 0; q < SQ_COUNT; q++)
				free(w->e[q].v);
		}
		free(units[i].wl);
		free(units[i].unit);
	}
	free(units);
}

/* platform a before b in name order (the order the store's rows sort in) */
static int plat_before(int a, int b)
{
	return b < 0 || strcmp(platform__name(a), platform__name(b)) < 0;
}

#define RUN_VALUE(m) "(SELECT value FROM run_metric v WHERE v.run_id = r.id AND v.metric = '" m "')"

/* (workload id, workload name, platform, insns, qemu_host_ns, hardware ns) of every ok run */
static const char whole_run_sql[] =
	"SELECT w.id, w.name, r.platform, " RUN_VALUE(METRIC_INSNS) ", " RUN_VALUE(METRIC_QEMU_HOST_NS)
	", coalesce(" RUN_VALUE(METRIC_TIME_NS) ", r.wall_ns)"
	" FROM run r JOIN workload w ON w.id = r.workload_id WHERE r.status = 'ok'"
	" ORDER BY w.name, r.platform, r.id";

/* one run's row of whole_run_sql into w (rows in platform, then id order) */
static void whole_run_row(sqlite3_stmt *st, struct suite_wl *w, int plat)
{
	if (platform__is_emu(plat)) {
		if (w->emu_p < 0)
			w->emu_p = plat;
		if (plat != w->emu_p)
			return;
		for (int q = 0; q < SQ_COUNT; q++)
			if (sqlite3_column_type(st, 3 + q) != SQLITE_NULL)
				dvec__push(&w->e[q], sqlite3_column_double(st, 3 + q));
	} else if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
		if (w->hw_p < 0)
			w->hw_p = plat;
		if (plat == w->hw_p)
			dvec__push(&w->h, sqlite3_column_double(st, 5));
	}
}

int suite__whole_run(struct engine *e, struct suite_unit **units, size_t *nunits, size_t *cap)
{
	struct suite_unit *u = NULL;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(e->db, whole_run_sql, -1, &st, NULL) != SQLITE_OK)
		return error("%s: reading suite data: %s", e->path, sqlite3_errmsg(e->db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t wid = sqlite3_column_int64(st, 0);
		int plat = platform__parse((const char *)sqlite3_column_text(st, 2));
		struct suite_wl *w;

		if (plat < 0)
			continue;
		if (!u)
			u = unit_add(units, nunits, cap, "run", xstrdup("whole run"));
		w = u->n ? &u->wl[u->n - 1] : NULL;
		if (!w || w->wid != wid)
			w = suite_unit__add(u, wid, (const char *)sqlite3_column_text(st, 1), 0);
		whole_run_row(st, w, plat);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return error("%s: reading suite data: %s", e->path, sqlite3_errmsg(e->db));
	return 0;
}

/* marker regions named alike in two workloads or more, by unit, then workload name */
static const char named_region_sql[] =
	"SELECT g.key, g.name, g.id, w.id, w.name FROM"
	" (SELECT id, key, name, workload_id, count(*) OVER (PARTITION BY key, name) AS c FROM region"
	"  WHERE key GLOB '" REGION_KEY_MARK "*' AND name IS NOT NULL) g"
	" JOIN workload w ON w.id = g.workload_id WHERE g.c >= 2 ORDER BY g.key, g.name, w.name";

static int cmp_i64_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int cmp_ref(const void *a, const void *b)
{
	const struct suite_ref *x = a, *y = b;

	if (x->wid != y->wid)
		return x->wid < y->wid ? -1 : 1;
	return (x->region_id > y->region_id) - (x->region_id < y->region_id);
}

int suite__region_units(struct engine *e, struct suite_state *s)
{
	sqlite3_stmt *st;
	size_t refcap = 0;
	int rc;

	if (sqlite3_prepare_v2(e->db, named_region_sql, -1, &st, NULL) != SQLITE_OK)
		return error("%s: reading suite data: %s", e->path, sqlite3_errmsg(e->db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		struct suite_unit *u = s->nunits ? &s->units[s->nunits - 1] : NULL;
		char *label = xasprintf("%s (%s)", name, key);

		if (!u || strcmp(u->unit, label))
			u = unit_add(&s->units, &s->nunits, &s->cap, "region", label);
		else
			free(label);
		suite_unit__add(u, sqlite3_column_int64(st, 3), (const char *)sqlite3_column_text(st, 4),
				sqlite3_column_int64(st, 2));
		if (s->nref == refcap) {
			refcap = refcap ? 2 * refcap : 64;
			s->ref = xrealloc(s->ref, refcap * sizeof(*s->ref));
		}
		s->ref[s->nref++] = (struct suite_ref){ sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 2),
							s->nunits - 1, u->n - 1 };
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return error("%s: reading suite data: %s", e->path, sqlite3_errmsg(e->db));
	if (s->nref)
		qsort(s->ref, s->nref, sizeof(*s->ref), cmp_ref);
	return 0;
}

/* region rix of w into its slot sw, from the ok runs of platforms emu_p and the first hardware one */
static void take_region(const struct workload_data *w, size_t rix, int emu_p, const int m[SQ_COUNT + 1],
			struct suite_wl *sw)
{
	sw->emu_p = emu_p;
	for (size_t r = 0; r < w->nruns; r++) {
		int p = w->run[r].platform;

		if (w->run[r].status == RUN_OK && p >= 0 && !platform__is_emu(p) &&
		    !isnan(workload_data__get(w, m[SQ_COUNT], r, rix)) && plat_before(p, sw->hw_p))
			sw->hw_p = p;
	}
	for (size_t r = 0; r < w->nruns; r++) {
		int p = w->run[r].platform;

		if (w->run[r].status != RUN_OK || p < 0)
			continue;
		if (p == emu_p) {
			for (int q = 0; q < SQ_COUNT; q++)
				if (!isnan(workload_data__get(w, m[q], r, rix)))
					dvec__push(&sw->e[q], workload_data__get(w, m[q], r, rix));
		} else if (p == sw->hw_p && !isnan(workload_data__get(w, m[SQ_COUNT], r, rix))) {
			dvec__push(&sw->h, workload_data__get(w, m[SQ_COUNT], r, rix));
		}
	}
}

/* the slots of workload w's named regions (their refs: [lo, hi) of s->ref) */
static void take(struct suite_state *s, const struct workload_data *w, size_t lo, size_t hi)
{
	int m[SQ_COUNT + 1] = { workload_data__metric(w, METRIC_INSNS), workload_data__metric(w, METRIC_QEMU_HOST_NS),
				workload_data__metric(w, METRIC_TIME_NS) };
	int emu_p = -1;

	for (size_t r = 0; r < w->nruns; r++)
		if (w->run[r].status == RUN_OK && w->run[r].platform >= 0 && platform__is_emu(w->run[r].platform) &&
		    plat_before(w->run[r].platform, emu_p))
			emu_p = w->run[r].platform;
	for (size_t i = lo; i < hi; i++) {
		const int64_t *id = bsearch(&s->ref[i].region_id, w->region_id, w->nregions, sizeof(*id), cmp_i64_id);

		if (id)
			take_region(w, (size_t)(id - w->region_id), emu_p, m,
				    &s->units[s->ref[i].unit].wl[s->ref[i].slot]);
	}
}

int engine__suite_take(struct engine *e, const struct workload_data *w)
{
	struct suite_state *s = e->suite;
	size_t lo = 0, hi;
	int64_t t0 = now_ns();

	if (e->o->no_suite)
		return 0;
	if (!s) {
		s = e->suite = xcalloc(1, sizeof(*s));
		if (suite__region_units(e, s))
			return -1;
	}
	/* the first ref of workload w, then its last */
	for (size_t n = s->nref; n > 0;) {
		size_t half = n / 2;

		if (s->ref[lo + half].wid < w->id) {
			lo += half + 1;
			n -= half + 1;
		} else {
			n = half;
		}
	}
	for (hi = lo; hi < s->nref && s->ref[hi].wid == w->id; hi++)
		;
	if (hi > lo)
		take(s, w, lo, hi);
	e->sum->suite_ns += now_ns() - t0;
	return 0;
}

void engine__suite_free(struct engine *e)
{
	if (!e->suite)
		return;
	suite__free_units(e->suite->units, e->suite->nunits);
	free(e->suite->ref);
	free(e->suite);
	e->suite = NULL;
}
