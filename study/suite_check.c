/* suite_check.c - a parsed suite made whole: defaults from [study], paths
 * resolved, workloads and pairs checked (or dropped when optional). */
#include "suite_int.h"
#include "common.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Relative binaries: next to the suite file first, then in the build tree. */
char *suite__resolve_path(const char *suite_dir, const char *build_root, const char *p)
{
	char *cand;

	if (p[0] == '/')
		return access(p, F_OK) ? NULL : xstrdup(p);
	cand = xasprintf("%s/%s", suite_dir, p);
	if (!access(cand, F_OK))
		return cand;
	free(cand);
	if (build_root) {
		cand = xasprintf("%s/%s", build_root, p);
		if (!access(cand, F_OK))
			return cand;
		free(cand);
	}
	return NULL;
}

int suite__check_workload(struct study_suite *s, struct study_workload *w, unsigned set,
			  const struct study_workload *d, const char *suite_dir, const char *build_root)
{
	if (!(set & SET_PLATFORMS))
		w->platforms = d->platforms;
	if (!(set & SET_REPS))
		w->reps = d->reps;
	if (!(set & SET_WARMUP))
		w->warmup = d->warmup;
	if (!(set & SET_PIN))
		w->pin = d->pin;
	if (!(set & SET_TIMEOUT))
		w->timeout = d->timeout;
	if (!(set & SET_SAMPLE))
		w->sample = d->sample;
	if (!(set & SET_QEMU) && d->qemu)
		w->qemu = xstrdup(d->qemu);

	char c_err[256];

	if (study_serve__check(w, c_err, sizeof(c_err)) || study_parse__check(w, c_err, sizeof(c_err)))
		return error("%s:%d: %s", s->path, w->line, c_err);
	/* a program to run, except for serial logs and for system command lines */
	if ((w->platforms & (1u << PLAT_QEMU_USER | 1u << PLAT_HW)) && !w->binary)
		return error("%s:%d: workload '%s' has no 'binary'", s->path, w->line, w->name);
	if (w->binary) {
		char *r = suite__resolve_path(suite_dir, build_root, w->binary);
		if (!r && w->optional) {
			warning("%s:%d: workload '%s' skipped: binary '%s' is not built", s->path, w->line, w->name,
				w->binary);
			return 1;
		}
		if (!r)
			return error("%s:%d: workload '%s': binary '%s' not found next to the suite file%s%s"
				     " (is it built?)",
				     s->path, w->line, w->name, w->binary, build_root ? " nor in " : "",
				     build_root ? build_root : "");
		free(w->binary);
		w->binary = r;
	}
	static const enum platform sys[] = { PLAT_QEMU_SYSTEM, PLAT_HW_KVM };

	for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++) {
		enum platform p = sys[i];

		if ((w->platforms & (1u << p)) && !w->system.n && !w->system_on[p].n)
			return error("%s:%d: workload '%s' runs on %s but has no 'system' (or 'system.%s') command line",
				     s->path, w->line, w->name, platform__name(p), platform__name(p));
	}
	if (w->platforms & (1u << PLAT_CONSOLE)) {
		char *r;
		if (!w->log)
			return error("%s:%d: workload '%s' runs on console but has no 'log'", s->path, w->line,
				     w->name);
		r = suite__resolve_path(suite_dir, build_root, w->log);
		if (!r)
			return error("%s:%d: workload '%s': serial log '%s' not found", s->path, w->line, w->name,
				     w->log);
		free(w->log);
		w->log = r;
	}
	return 0;
}

void suite__workload_free(struct study_workload *w)
{
	free(w->name);
	free(w->binary);
	free(w->arch);
	free(w->log);
	free(w->qemu);
	study_words__free(&w->args);
	study_words__free(&w->system);
	study_serve__free(&w->serve);
	free(w->parse);
	for (int p = 0; p < STUDY_PLATFORMS; p++) {
		study_words__free(&w->opts[p]);
		study_words__free(&w->system_on[p]);
	}
}

int suite__skipped_workload(const struct study_suite *s, const char *name)
{
	for (int i = 0; i < s->nskipped; i++)
		if (!strcmp(s->skipped[i], name))
			return 1;
	return 0;
}

void suite__workload_drop(struct study_suite *s, int i, unsigned *set)
{
	s->skipped = xrealloc(s->skipped, (size_t)(s->nskipped + 1) * sizeof(*s->skipped));
	s->skipped[s->nskipped++] = xstrdup(s->workloads[i].name);
	suite__workload_free(&s->workloads[i]);
	memmove(&s->workloads[i], &s->workloads[i + 1], (size_t)(s->nworkloads - i - 1) * sizeof(*s->workloads));
	memmove(&set[i], &set[i + 1], (size_t)(s->nworkloads - i - 1) * sizeof(*set));
	s->nworkloads--;
}

void suite__pair_drop(struct study_suite *s, int i)
{
	struct study_pair *p = &s->pairs[i];

	free(p->name);
	free(p->a);
	free(p->b);
	free(p->a_platform);
	free(p->b_platform);
	memmove(p, p + 1, (size_t)(s->npairs - i - 1) * sizeof(*p));
	s->npairs--;
}

int suite__check_pair(struct study_suite *s, struct study_pair *p)
{
	const char *ab[2] = { p->a, p->b };

	if (!p->a || !p->b)
		return error("%s:%d: pair '%s' needs both 'a' and 'b'", s->path, p->line, p->name);
	for (int k = 0; k < 2; k++) {
		int i;
		for (i = 0; i < s->nworkloads; i++)
			if (!strcmp(s->workloads[i].name, ab[k]))
				break;
		if (i == s->nworkloads && suite__skipped_workload(s, ab[k])) {
			warning("%s:%d: pair '%s' skipped: workload '%s' is not built", s->path, p->line, p->name,
				ab[k]);
			return 1;
		}
		if (i == s->nworkloads)
			return error("%s:%d: pair '%s': no [workload %s] in this suite", s->path, p->line, p->name,
				     ab[k]);
	}
	return 0;
}
