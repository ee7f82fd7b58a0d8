/*
 * parse.c - workloads whose output is the measurement (issue #24): `parse =
 * cyclictest` in a [workload] section. Its cells run the program through the
 * importer instead of a collector: `emudiff import cyclictest --run`, natively
 * for hw and for qemu-user under user-mode QEMU with the plugin (the importer
 * runs `collect qemu --parse cyclictest`: counts and samples in one run), and the
 * histogram it prints becomes the run's latency samples (lat_wakeup_ns), so
 * that `emudiff stats` compares the two distributions (latency_compare).
 * Such cells run alone, as hardware cells do: a latency is measured on an
 * otherwise idle machine.
 */
#include "study.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The outputs a cell can parse, each with its importer. */
static const char *const parsers[] = { "cyclictest" };

int study_parse__key(struct study_workload *w, const char *key, const char *v, char *err, size_t n)
{
	if (strcmp(key, "parse"))
		return 0;
	if (w->parse)
		return snprintf(err, n, "key 'parse' given twice in [workload %s]", w->name), -1;
	for (size_t i = 0; i < sizeof(parsers) / sizeof(parsers[0]); i++)
		if (!strcmp(v, parsers[i])) {
			w->parse = xstrdup(v);
			return 1;
		}
	return snprintf(err, n, "parse: '%s' is not an output emudiff parses (cyclictest)", v), -1;
}

int study_parse__check(const struct study_workload *w, char *err, size_t n)
{
	if (!w->parse)
		return 0;
	if (w->platforms & ~(1u << PLAT_HW | 1u << PLAT_QEMU_USER))
		return snprintf(err, n, "[workload %s]: parse = %s runs on hw and qemu-user only", w->name, w->parse),
		       -1;
	if (w->serve.driver)
		return snprintf(err, n, "[workload %s]: parse = and driver = do not go together", w->name), -1;
	return 0;
}

static void add_int(char ***a, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	study_argv__add(a, buf);
}

char **study_parse__argv(const struct study_cell *c, const char *exe, const char *db)
{
	const struct study_workload *w = c->w;
	const char *const head[] = { exe, "import", w->parse, "--db", db, "--name", w->name, "--cell", c->key,
				     "--platform", platform__name(c->platform), "--timeout" };
	char **a = NULL;

	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		study_argv__add(&a, head[i]);
	add_int(&a, w->timeout);
	study_argv__add(&a, "--rep");
	add_int(&a, c->rep);
	if (w->arch) {
		study_argv__add(&a, "--arch");
		study_argv__add(&a, w->arch);
	}
	if (c->platform == PLAT_QEMU_USER && w->qemu) {
		study_argv__add(&a, "--qemu");
		study_argv__add(&a, w->qemu);
	}
	for (int i = 0; i < w->opts[c->platform].n; i++)
		study_argv__add(&a, w->opts[c->platform].v[i]);
	study_argv__add(&a, "--run");
	study_argv__add(&a, "--");
	study_argv__add(&a, w->binary);
	for (int i = 0; i < w->args.n; i++)
		study_argv__add(&a, w->args.v[i]);
	return a;
}
