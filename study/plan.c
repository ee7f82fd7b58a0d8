/*
 * plan.c - the cells of a study and the collector command of each cell.
 *
 * Cell keys are "<workload>/<platform>/<rep>": the collector stores them in
 * run.cell, --resume and --cell use them, and a batch system gets them from
 * --list-cells. The command of a cell follows the collector conventions of
 * the brief: --db --name --reps 1 --rep R --cell KEY --timeout SEC.
 */
#include "study.h"
#include "common.h"

#include <stdlib.h>
#include <string.h>

int study_plan__build(struct study_plan *plan, const struct study_suite *s)
{
	int maxreps = 0, n = 0;

	plan->cells = NULL;
	plan->ncells = 0;
	for (int i = 0; i < s->nworkloads; i++) {
		if (s->workloads[i].reps > maxreps)
			maxreps = s->workloads[i].reps;
		for (int p = 0; p < STUDY_PLATFORMS; p++)
			if (s->workloads[i].platforms & (1u << p))
				n += s->workloads[i].reps;
	}
	plan->cells = xcalloc((size_t)(n ? n : 1), sizeof(*plan->cells));
	for (int r = 0; r < maxreps; r++)
		for (int i = 0; i < s->nworkloads; i++) {
			const struct study_workload *w = &s->workloads[i];
			if (r >= w->reps)
				continue;
			for (int p = 0; p < STUDY_PLATFORMS; p++) {
				struct study_cell *c;
				if (!(w->platforms & (1u << p)))
					continue;
				c = &plan->cells[plan->ncells++];
				c->w = w;
				c->platform = (enum platform)p;
				c->rep = r;
				c->key = xasprintf("%s/%s/%d", w->name, platform__name(c->platform), r);
			}
		}
	return plan->ncells;
}

void study_plan__free(struct study_plan *plan)
{
	for (int i = 0; i < plan->ncells; i++)
		free(plan->cells[i].key);
	free(plan->cells);
	plan->cells = NULL;
	plan->ncells = 0;
}

const struct study_cell *study_plan__find(const struct study_plan *plan, const char *key)
{
	for (int i = 0; i < plan->ncells; i++)
		if (!strcmp(plan->cells[i].key, key))
			return &plan->cells[i];
	return NULL;
}

struct argv_buf {
	char **v;
	int n, cap;
};

static void push(struct argv_buf *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? 2 * a->cap : 32;
		a->v = xrealloc(a->v, (size_t)a->cap * sizeof(*a->v));
	}
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

static void push_words(struct argv_buf *a, const struct study_words *w)
{
	for (int i = 0; i < w->n; i++)
		push(a, w->v[i]);
}

const struct study_words *study_cell_system(const struct study_cell *c)
{
	const struct study_words *on = &c->w->system_on[c->platform];

	return on->n ? on : &c->w->system;
}

/* A system command line names the workload's (resolved) binary as @binary@,
 * its folder as @dir@ (a guest's kernel and initramfs lie beside it) and a
 * server's port as @port@ (QEMU's forwarded port). */
static void push_system(struct argv_buf *a, const struct study_cell *c)
{
	static const char *const keys[] = { "@binary@", "@dir@", "@port@" };
	const struct study_workload *w = c->w;
	const struct study_words *sys = study_cell_system(c);
	char port[16], *dir = w->binary ? xstrdup(w->binary) : NULL;
	char *slash = dir ? strrchr(dir, '/') : NULL;
	const char *vals[] = { w->binary, dir, w->serve.port ? port : NULL };

	snprintf(port, sizeof(port), "%d", w->serve.port);
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else if (dir)
		strcpy(dir, ".");
	for (int i = 0; i < sys->n; i++) {
		char *word = xstrdup(sys->v[i]), *at;

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			while (vals[k] && (at = strstr(word, keys[k]))) {
				char *n = xasprintf("%.*s%s%s", (int)(at - word), word, vals[k], at + strlen(keys[k]));

				free(word);
				word = n;
			}
		push(a, word);
		free(word);
	}
	free(dir);
}

static void push_cb(void *a, const char *s)
{
	push(a, s);
}

static void push_int(struct argv_buf *a, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	push(a, buf);
}

char **study_cell__argv(const struct study_cell *c, const char *exe, const char *db, int warmup)
{
	static const char *const collector[STUDY_PLATFORMS] = { "qemu", "qemu", "hw", "hw-kvm", "console" };
	const struct study_workload *w = c->w;
	struct argv_buf a = { 0 };

	if (w->parse) /* its output is the measurement: the importer runs it */
		return study_parse__argv(c, exe, db);
	push(&a, exe);
	push(&a, "collect");
	push(&a, collector[c->platform]);
	push(&a, "--db");
	push(&a, db);
	push(&a, "--name");
	push(&a, w->name);
	push(&a, "--reps");
	push(&a, "1");
	push(&a, "--rep");
	push_int(&a, c->rep);
	push(&a, "--cell");
	push(&a, c->key);
	if (c->platform != PLAT_CONSOLE) {
		push(&a, "--timeout");
		push_int(&a, w->timeout);
	}
	if ((c->platform == PLAT_QEMU_USER || c->platform == PLAT_QEMU_SYSTEM) && w->qemu) {
		push(&a, "--qemu");
		push(&a, w->qemu);
	}
	switch (c->platform) {
	case PLAT_QEMU_USER:
		push_words(&a, &w->opts[c->platform]);
		study_serve__argv(w, push_cb, &a);
		push(&a, "--");
		push(&a, w->binary);
		push_words(&a, &w->args);
		break;
	case PLAT_QEMU_SYSTEM:
		push(&a, "--system");
		if (w->binary) {
			push(&a, "--elf");
			push(&a, w->binary);
		}
		push_words(&a, &w->opts[c->platform]);
		study_serve__argv(w, push_cb, &a);
		push(&a, "--");
		push_system(&a, c);
		break;
	case PLAT_HW:
		if (w->pin >= 0) {
			push(&a, "--pin");
			push_int(&a, w->pin);
		}
		if (warmup && w->warmup > 0) {
			push(&a, "--warmup");
			push_int(&a, w->warmup);
		}
		if (w->sample > 0) {
			push(&a, "--sample");
			push_int(&a, w->sample);
		}
		push_words(&a, &w->opts[c->platform]);
		study_serve__argv(w, push_cb, &a);
		push(&a, "--");
		push(&a, w->binary);
		push_words(&a, &w->args);
		break;
	case PLAT_HW_KVM:
		/* the VMM command pins and sizes the guest itself */
		push_words(&a, &w->opts[c->platform]);
		study_serve__argv(w, push_cb, &a);
		push(&a, "--");
		push_system(&a, c);
		break;
	case PLAT_CONSOLE:
		push(&a, "--log");
		push(&a, w->log);
		if (w->binary) {
			push(&a, "--elf");
			push(&a, w->binary);
		}
		push_words(&a, &w->opts[c->platform]);
		break;
	case PLAT_IMPORT: /* not a study platform (study.h) */
	case PLAT_COUNT:
		break;
	}
	return a.v;
}

void study_argv__add(char ***argv, const char *s)
{
	size_t n = 0;

	while (*argv && (*argv)[n])
		n++;
	*argv = xrealloc(*argv, (n + 2) * sizeof(**argv));
	(*argv)[n] = xstrdup(s);
	(*argv)[n + 1] = NULL;
}

void study_argv__free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

char *study_argv__shell(char *const *argv)
{
	size_t cap = 256, len = 0;
	char *out = xmalloc(cap);

	out[0] = '\0';
	for (char *const *p = argv; *p; p++) {
		const char *s = *p;
		int plain = *s != '\0';
		for (const char *q = s; *q && plain; q++)
			plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=+,:@%",
				       *q) != NULL;
		/* worst case: every char becomes '\'' (4) plus quotes and a space */
		size_t need = len + 4 * strlen(s) + 4;
		if (need > cap) {
			cap = 2 * need;
			out = xrealloc(out, cap);
		}
		if (p != argv)
			out[len++] = ' ';
		if (plain) {
			strcpy(out + len, s);
			len += strlen(s);
		} else {
			out[len++] = '\'';
			for (const char *q = s; *q; q++) {
				if (*q == '\'') {
					memcpy(out + len, "'\\''", 4);
					len += 4;
				} else {
					out[len++] = *q;
				}
			}
			out[len++] = '\'';
		}
		out[len] = '\0';
	}
	return out;
}
