/*
 * workers.c - a server's workers (docs/servers.md, "Workers"): a worker is
 * a thread of the process the collector started, or a process forked in its
 * tree (with its threads); it ran during the load when its process existed
 * at some moment while the driver ran. Both collectors list every thread
 * with its process ordinal and whether its process ran during the load,
 * each by its own evidence (collect hw: fork and exit records; collect qemu:
 * the plugin files of the forked processes and the process group when the
 * driver started and ended); the summary here is one for both.
 */
#include "collect.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- sets of process ids ---- */

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

void pid_set__add(struct pid_set *s, int pid)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = pid;
	s->sorted = 0;
}

void pid_set__seal(struct pid_set *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_int);
	s->sorted = 1;
}

int pid_set__has(const struct pid_set *s, int pid)
{
	if (s->sorted)
		return s->n && bsearch(&pid, s->v, s->n, sizeof(*s->v), cmp_int) != NULL;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == pid)
			return 1;
	return 0;
}

void pid_set__free(struct pid_set *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* The live (not zombie) processes of process group pgid, from /proc. */
void pid_set__group(struct pid_set *s, int pgid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char path[300], buf[512], state;
		const char *rp;
		int ppid, pgrp;
		ssize_t len;
		int fd;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		/* "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses */
		rp = strrchr(buf, ')');
		if (rp && sscanf(rp + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 && pgrp == pgid && state != 'Z')
			pid_set__add(s, atoi(e->d_name));
	}
	if (d)
		closedir(d);
	pid_set__seal(s);
}

/* ---- the summary ---- */

/* One worker's sums while they are added up. */
struct wsum {
	int used, in_load;
	double insns, syscalls; /* < 0: a thread of it was not counted */
};

static void add_to(struct wsum *w, const struct worker_task *t)
{
	if (!w->used) {
		w->used = 1;
		w->in_load = t->in_load;
		w->insns = w->syscalls = 0;
	}
	w->insns = w->insns < 0 || t->insns < 0 ? -1 : w->insns + t->insns;
	w->syscalls = w->syscalls < 0 || t->syscalls < 0 ? -1 : w->syscalls + t->syscalls;
}

/* The mean and max of v over the workers that ran during the load; -1 when
 * any of them lacks it. */
static void mean_max(const struct wsum *w, size_t n, int which, double *mean, double *max)
{
	double sum = 0, top = 0;
	size_t k = 0;

	*mean = *max = -1;
	for (size_t i = 0; i < n; i++) {
		double v = which ? w[i].syscalls : w[i].insns;

		if (!w[i].used || !w[i].in_load)
			continue;
		if (v < 0)
			return;
		sum += v;
		if (!k++ || v > top)
			top = v;
	}
	if (k) {
		*mean = sum / (double)k;
		*max = top;
	}
}

void workers__summarize(const struct worker_task *t, size_t n, struct worker_summary *s)
{
	size_t n_threads0 = 0, n_procs = 0, nw;
	struct wsum *w;

	memset(s, 0, sizeof(*s));
	s->insns_mean = s->insns_max = s->syscalls_mean = s->syscalls_max = -1;
	for (size_t i = 0; i < n; i++) {
		if (t[i].process < 0)
			return; /* a thread of no known process: the workers are not known */
		if (t[i].process == 0)
			n_threads0++;
		else if ((size_t)t[i].process >= n_procs)
			n_procs = (size_t)t[i].process + 1;
	}
	if (!n)
		return;
	/* workers 0..n_threads0-1: process 0's threads; then process p at n_threads0 + p - 1 */
	nw = n_threads0 + (n_procs ? n_procs - 1 : 0);
	w = xcalloc(nw ? nw : 1, sizeof(*w));
	for (size_t i = 0, k = 0; i < n; i++)
		add_to(&w[t[i].process ? n_threads0 + (size_t)t[i].process - 1 : k++], &t[i]);
	for (size_t i = 0; i < nw; i++)
		s->workers += w[i].used && w[i].in_load;
	mean_max(w, nw, 0, &s->insns_mean, &s->insns_max);
	mean_max(w, nw, 1, &s->syscalls_mean, &s->syscalls_max);
	free(w);
}
