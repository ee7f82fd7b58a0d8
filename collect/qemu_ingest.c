/*
 * qemu_ingest.c - a plugin output file (format: qemu_output.h), and the files
 * of the guest's forked children next to it, stored as one run: marks, mark
 * values, events (addresses symbolized by the guest ELF), totals, symbol
 * regions and symbols per marker interval, in one transaction
 * (store__ingest_begin/_end), so a run is stored whole or not at all. The
 * children's instruction totals are stored as the run metrics children and
 * insns_children; regions, marks and events stay the parent's. Threads
 * (format 4): each marker hit's thread; the threads of the parent and of
 * the children (run_thread, their process by ordinal) and their totals
 * (thread_metric), qemu_workers.c. A file whose counts the plugin declared invalid
 * (a second thread in API 1 inline mode) gives a failed run without counts.
 */
#include "collect.h"

#include "align.h"
#include "qemu_output.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Run metrics of this collector alone (the shared ones are in vocab.h). */
#define METRIC_EXIT_CODE "exit_code"
#define METRIC_CHILDREN "children"
#define METRIC_INSNS_CHILDREN "insns_children"
#define UNKNOWN_SYMBOL "[unknown]" /* the plugin's name for code outside any symbol */

/* ---- reading and checking ---- */

/* Is this output one of the collection's mode and arch (NULL: any)? Before
 * format 4 the plugin counted several threads together: refused. */
static int output_check(const char *path, const struct qemu_output *out, int system,
			const char *arch)
{
	if (out->system != system)
		return error("%s: plugin output is for %s mode, but this is a %s-mode collection", path,
			     out->system ? "system" : "user", system ? "system" : "user");
	if (arch && strcmp(arch, out->arch))
		return error("%s: plugin output is for %s, but the ELF is %s", path, out->arch, arch);
	if (out->version < 4 && out->vcpus > 1)
		return error("%s: the guest ran %d threads (vCPUs), which plugin output format %d does "
			     "not count apart, so nothing is stored", path, out->vcpus, out->version);
	return 0;
}

/* The first invalid line of the outputs read: the run's counts are not exact. */
static void note_invalid(struct qemu_outputs *o, const struct qemu_output *out, const char *child)
{
	if (out->invalid && !o->invalid)
		o->invalid = child ? xasprintf("forked child %s: %s", child, out->invalid) :
				     xstrdup(out->invalid);
}

static int all_digits(const char *p)
{
	if (!*p)
		return 0;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* FILE's directory (caller frees) and base name. */
static char *dir_of(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');

	*base = slash ? slash + 1 : path;
	return slash ? xasprintf("%.*s", (int)(slash - path), path) : xstrdup(".");
}

/* Is name "BASE.<digits>" (or with .tmp, "BASE.<digits>.tmp")? */
static int is_child_file(const char *name, const char *base, int tmp_too)
{
	size_t bl = strlen(base);
	char *pid;
	int yes;

	if (strncmp(name, base, bl) || name[bl] != '.')
		return 0;
	pid = xstrdup(name + bl + 1);
	size_t pl = strlen(pid);

	if (tmp_too && pl > 4 && !strcmp(pid + pl - 4, ".tmp"))
		pid[pl - 4] = '\0';
	yes = all_digits(pid);
	free(pid);
	return yes;
}

/* The paths of path's children's files, sorted; -1 when the directory cannot
 * be listed. For removal: with a killed child's FILE.<pid>.tmp, and quiet. */
static int list_children(const char *path, int removal, char ***paths, size_t *n)
{
	const char *base;
	char *dir = dir_of(path, &base);
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t cap = 0;

	*paths = NULL;
	*n = 0;
	if (!d) {
		if (!removal)
			error("%s: cannot list the directory: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	while ((e = readdir(d))) {
		if (!is_child_file(e->d_name, base, removal))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			*paths = xrealloc(*paths, cap * sizeof(**paths));
		}
		(*paths)[(*n)++] = xasprintf("%s/%s", dir, e->d_name);
	}
	closedir(d);
	free(dir);
	if (*n)
		qsort(*paths, *n, sizeof(**paths), cmp_str);
	return 0;
}

static void free_paths(char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

void qemu_outputs__remove_children(const char *path)
{
	char **paths;
	size_t n;

	if (!list_children(path, 1, &paths, &n))
		for (size_t i = 0; i < n; i++)
			unlink(paths[i]);
	free_paths(paths, n);
}

/* The system calls of an output (user mode's syscall events). */
static uint64_t qemu_output__syscalls(const struct qemu_output *out)
{
	uint64_t n = 0;

	for (size_t i = 0; i < out->n_events; i++)
		if (!strcmp(out->events[i].kind, EVENT_SYSCALL))
			n += out->events[i].count;
	return n;
}

/* The pid of a child's file FILE.<pid>. */
static int pid_of(const char *path)
{
	const char *dot = strrchr(path, '.');

	return dot ? atoi(dot + 1) : 0;
}

/* A file before format 4 is one thread: its totals as that thread's. */
static void one_thread(struct qemu_output *out)
{
	struct qemu_output_thread *t = xcalloc(1, sizeof(*t));

	t->totals = xcalloc(out->n_totals ? out->n_totals : 1, sizeof(*t->totals));
	for (size_t i = 0; i < out->n_totals; i++)
		if (strcmp(out->totals[i].metric, "host_ns"))
			t->totals[t->n_totals++] = (struct qemu_output_total){ xstrdup(out->totals[i].metric),
									      out->totals[i].value };
	out->threads = t;
	out->n_threads = 1;
}

/* The child's threads taken from its output (which no longer holds them). */
static void keep_threads(struct qemu_outputs *o, const char *path, struct qemu_output *out)
{
	struct qemu_child *c = &o->children[o->n_children++];

	if (!out->n_threads)
		one_thread(out);
	c->pid = pid_of(path);
	c->threads = out->threads;
	c->n_threads = out->n_threads;
	out->threads = NULL;
	out->n_threads = 0;
}

static void free_threads(struct qemu_output_thread *t, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < t[k].n_totals; i++)
			free(t[k].totals[i].metric);
		free(t[k].totals);
	}
	free(t);
}

static int cmp_child(const void *a, const void *b)
{
	const struct qemu_child *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

void qemu_outputs__child_pids(const char *path, struct pid_set *s)
{
	char **paths;
	size_t n;

	/* complete files only: a process still writing its file has not ended */
	if (!list_children(path, 0, &paths, &n))
		for (size_t i = 0; i < n; i++)
			pid_set__add(s, pid_of(paths[i]));
	free_paths(paths, n);
	pid_set__seal(s);
}

/* A forked child's file: checked like FILE, its total insns added up, its threads kept. */
static int read_child(const char *path, int system, const char *arch, struct qemu_outputs *o)
{
	struct qemu_output out;
	uint64_t insns;
	int rc = 0;

	if (qemu_output__read(path, &out))
		return -1;
	if (output_check(path, &out, system, arch))
		rc = -1;
	else if (out.invalid)
		note_invalid(o, &out, path);
	else if (qemu_output__total(&out, METRIC_INSNS, &insns))
		rc = error("%s: forked child's plugin output has no 'total insns' line", path);
	else
		o->insns_children += insns;
	o->syscalls_children += qemu_output__syscalls(&out);
	if (!rc && !out.invalid)
		keep_threads(o, path, &out);
	qemu_output__free(&out);
	return rc;
}

int qemu_outputs__read(const char *path, const char *label, int system, const char *arch,
		       struct qemu_outputs *o)
{
	char **paths;
	size_t n;
	int rc = 0;

	o->n_children = 0;
	o->children = NULL;
	o->insns_children = 0;
	o->syscalls_children = 0;
	o->invalid = NULL;
	if (qemu_output__read(path, o->main))
		return QEMU_OUT_DAMAGED;
	if (output_check(label ? label : path, o->main, system, arch)) {
		qemu_output__free(o->main);
		return QEMU_OUT_REFUSED;
	}
	note_invalid(o, o->main, NULL);
	/* a damaged child's file is bad input like a damaged FILE */
	if (list_children(path, 0, &paths, &n))
		rc = QEMU_OUT_DAMAGED;
	o->children = xcalloc(n ? n : 1, sizeof(*o->children));
	for (size_t i = 0; i < n && !rc; i++)
		if (read_child(paths[i], system, arch ? arch : o->main->arch, o))
			rc = QEMU_OUT_DAMAGED;
	free_paths(paths, n);
	/* by pid: the order they were forked in while pids do not wrap */
	qsort(o->children, o->n_children, sizeof(*o->children), cmp_child);
	o->n_children = n;
	if (rc)
		qemu_outputs__free(o);
	return rc;
}

void qemu_outputs__free(struct qemu_outputs *o)
{
	for (size_t i = 0; o->children && i < o->n_children; i++)
		free_threads(o->children[i].threads, o->children[i].n_threads);
	free(o->children);
	o->children = NULL;
	qemu_output__free(o->main);
	free(o->invalid);
	o->invalid = NULL;
}

/* ---- storing ---- */

/* The run's config_json. Values are JSON strings, as they always were here. */
static char *config_json(const struct qemu_run_record *rec, const struct qemu_outputs *o)
{
	const struct qemu_output *out = o ? o->main : NULL;
	const struct qemu_result *r = &rec->result;
	char until[32] = "", vcpus[16] = "", api[16] = "", release[32] = "";
	const char *keys[] = { "collector", "qemu", "qemu_binary", "plugin_options", "mode",
			       "system", "plugin_api", "vcpus", "until_console",
			       "until_console_result", "why", "qemu_version", "plugin_build", "counting" };
	const char *vals[] = { "qemu", rec->qemu_version, rec->qemu_binary, rec->plugin_opts,
			       out ? out->mode : "", rec->system ? "true" : "false", api, vcpus,
			       rec->until_console ? rec->until_console : "", until, r->why, release,
			       rec->plugin_build ? rec->plugin_build : "",
			       out && out->counting ? out->counting : "" };
	const char *v = rec->qemu_version ? strstr(rec->qemu_version, "version ") : NULL;

	/* "QEMU emulator version 7.2.19 (Debian ...)" -> "7.2.19" */
	if (v)
		sscanf(v + 8, "%31[0-9.]", release);
	struct json j;
	char *cfg;

	if (out) {
		snprintf(vcpus, sizeof(vcpus), "%d", out->vcpus);
		snprintf(api, sizeof(api), "%d", out->plugin_api);
	}
	if (rec->until_console)
		snprintf(until, sizeof(until), "%s", r->until_seen ? "seen" : "not seen");
	if (json__init(&j))
		return NULL;
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		char path[64];

		snprintf(path, sizeof(path), "$.%s", keys[k]);
		json__str(&j, path, vals[k]);
	}
	if (rec->sysroot)
		json__str(&j, "$.sysroot", rec->sysroot);
	if (o && o->n_children)
		json__int(&j, "$.forked", (int64_t)o->n_children);
	if (rec->driver)
		driver__config(&j, rec->driver);
	if (rec->parse) {
		json__str(&j, "$.parse", rec->parse->format);
		if (rec->parsed && r->status == RUN_OK)
			cyclictest__config(&j, rec->parsed, rec->parse->unit_ns);
	}
	if (rec->boot_console) {
		json__str(&j, "$.boot_console", rec->boot_console);
		json__bool(&j, "$.boot_console_seen", r->boot_ns >= 0);
	}
	boot__config(&j, rec->stages);
	/* align/ rolls up only the marker intervals below this seq */
	if (out && out->has_msym)
		json__int(&j, "$.mark_symbols_complete", out->msym_complete);
	cfg = j.text;
	j.text = NULL;
	json__free(&j);
	return cfg;
}

/* pc "0x..." -> "symbol+0xoff" when the guest ELF knows it, else unchanged;
 * a tagged pc "hs:0x..." keeps its tag ("hs:symbol"). */
static char *detail_symbolized(const struct symtab *t, const char *detail, int exact_only)
{
	uint64_t pc;
	const struct sym *sym;
	char *end;

	const char *colon = strchr(detail, ':');

	/* a tag before the pc: hs:, vs: (trapvec=), irq:, exc:, hcall: (QEMU 10.2's causes) */
	if (t && colon && colon - detail <= 5 && !strncmp(colon + 1, "0x", 2)) {
		char *rest = detail_symbolized(t, colon + 1, exact_only);
		char *out = xasprintf("%.*s%s", (int)(colon + 1 - detail), detail, rest);

		free(rest);
		return out;
	}
	if (!t || strncmp(detail, "0x", 2))
		return xstrdup(detail);
	errno = 0;
	pc = strtoull(detail + 2, &end, 16);
	if (errno || *end)
		return xstrdup(detail);
	sym = symtab__lookup(t, pc);
	if (!sym || !sym->name || (exact_only && sym->addr != pc))
		return xstrdup(detail);
	if (sym->addr == pc)
		return xstrdup(sym->name);
	return xasprintf("%s+0x%llx", sym->name, (unsigned long long)(pc - sym->addr));
}

static int store_marks(struct store *s, int64_t run, const struct qemu_output *out)
{
	for (size_t i = 0; i < out->n_marks; i++)
		if (store__mark_add(s, run, (int64_t)i, out->marks[i].thread, out->marks[i].id,
				    (int64_t)out->marks[i].insns, (int64_t)out->marks[i].host_ns))
			return -1;
	for (size_t i = 0; i < out->n_values; i++)
		if (store__mark_value_add(s, run, out->values[i].seq, out->values[i].metric,
					  (double)out->values[i].value))
			return -1;
	return 0;
}

/* Events by pc are symbolized; a trap vector or VM exit only at a symbol's start. */
static int store_events(struct store *s, int64_t run, const struct qemu_output *out,
			const struct symtab *t)
{
	for (size_t i = 0; i < out->n_events; i++) {
		const struct qemu_output_event *e = &out->events[i];
		int is_trap = !strcmp(e->kind, EVENT_TRAP_ENTRY) || !strcmp(e->kind, EVENT_VM_EXIT);
		int is_pc = strcmp(e->kind, EVENT_SYSCALL) && strcmp(e->kind, EVENT_TRAP_RETURN);
		char *detail = is_pc ? detail_symbolized(t, e->detail, is_trap) : xstrdup(e->detail);
		int bad = store__event_add(s, run, 0, e->seq, e->kind, detail, (int64_t)e->count);

		free(detail);
		if (bad)
			return -1;
	}
	return 0;
}

static int store_totals(struct store *s, int64_t run, const struct qemu_output *out)
{
	for (size_t i = 0; i < out->n_totals; i++) {
		const char *m = out->totals[i].metric;

		/* the plugin's host time is QEMU's, not the workload's */
		if (!strcmp(m, "host_ns"))
			m = METRIC_QEMU_HOST_NS;
		if (store__run_metric_set(s, run, m, (double)out->totals[i].value))
			return -1;
	}
	return 0;
}

/* Symbols as regions of the workload (qemu_maps.c), and symbols per marker interval. */
static int store_symbols(struct store *s, int64_t wid, int64_t run, const struct qemu_output *out)
{
	struct qemu_regions rg;
	int rc = 0;

	qemu_regions__build(out, &rg);
	for (size_t i = 0; i < rg.n && !rc; i++) {
		int64_t rid = store__region(s, wid, rg.v[i].key, rg.v[i].key + strlen(REGION_KEY_SYMBOL));

		if (rid < 0 || store__region_metric_set(s, run, rid, METRIC_INSNS, (double)rg.v[i].insns))
			rc = -1;
	}
	if (!rc && store__run_metric_set(s, run, METRIC_INSNS_UNATTRIBUTED, (double)rg.unattributed))
		rc = -1;
	qemu_regions__free(&rg);
	if (rc)
		return -1;
	/* [unknown] is kept here so that intervals add up */
	for (size_t i = 0; i < out->n_msyms; i++)
		if (store__mark_symbol_set(s, run, out->msyms[i].seq, out->msyms[i].name, METRIC_INSNS,
					   (double)out->msyms[i].insns))
			return -1;
	if (out->has_msym && out->msym_complete < (int64_t)out->n_marks)
		warning("run %lld: the plugin's marksyms_limit stopped symbols per marker interval at "
			"mark %lld of %zu; later marker regions have no per-symbol roll-up (raise "
			"--plugin-opt marksyms_limit=N)", (long long)run,
			(long long)out->msym_complete, out->n_marks);
	return 0;
}

/* The run's rows from the plugin's output, and its children's sums. */
static int store_output(struct store *s, int64_t wid, int64_t run,
			const struct qemu_run_record *rec, const struct qemu_outputs *o)
{
	const struct qemu_output *out = o->main;
	uint64_t insns;

	if (o->n_children &&
	    (store__run_metric_set(s, run, METRIC_CHILDREN, (double)o->n_children) ||
	     store__run_metric_set(s, run, METRIC_INSNS_CHILDREN, (double)o->insns_children)))
		return -1;
	struct worker_summary w;

	if (store_marks(s, run, out) || store_events(s, run, out, rec->elf_syms) ||
	    store_totals(s, run, out) || qemu__store_threads(s, run, rec, o, &w) || store_symbols(s, wid, run, out))
		return -1;
	if (rec->driver) {
		uint64_t insns = 0;
		struct driver_counts c = {
			.insns = qemu_output__total(out, METRIC_INSNS, &insns) ? -1 : (double)(insns + o->insns_children),
			.syscalls = (double)(qemu_output__syscalls(out) + o->syscalls_children),
			.w = w,
		};

		if (rec->system) {
			/* a guest boots (and may do more) before it serves: its instructions
			 * from its last marker on; its processes' system calls are not counted */
			if (c.insns >= 0 && out->n_marks)
				c.insns -= (double)out->marks[out->n_marks - 1].insns;
			c.syscalls = -1;
			c.w.workers = 0;
		}
		if (driver__store(s, run, &rec->driver->res, &c))
			return -1;
	}
	if (rec->boot_console && rec->result.boot_ns >= 0 &&
	    store__run_metric_set(s, run, METRIC_BOOT_NS, (double)rec->result.boot_ns))
		return -1;
	if (!rec->until_console || !rec->result.until_seen)
		return 0;
	if (store__run_metric_set(s, run, METRIC_UNTIL_CONSOLE_NS, (double)rec->result.until_ns))
		return -1;
	if (!qemu_output__total(out, METRIC_INSNS, &insns) &&
	    store__run_metric_set(s, run, METRIC_UNTIL_CONSOLE_INSNS, (double)insns))
		return -1;
	return 0;
}

int64_t qemu__ingest(struct store *s, const struct qemu_run_record *given, const struct qemu_outputs *o)
{
	struct qemu_run_record copy = *given, *rec = &copy;
	const struct qemu_result *r = &rec->result;

	/* counts the plugin could not take exactly: a failed run, and why, without them */
	if (o && o->invalid) {
		copy.result.status = RUN_FAILED;
		snprintf(copy.result.why, sizeof(copy.result.why), "%s", o->invalid);
	}
	char *cfg = config_json(rec, o), *argvj = json__argv(rec->argc, rec->argv);
	struct ingest_workload w = { rec->name, rec->arch, rec->elf_path, argvj };
	struct run_info ri = {
		.platform = platform__name(rec->system ? PLAT_QEMU_SYSTEM : PLAT_QEMU_USER),
		.config_json = cfg, .rep = rec->rep, .status = run_status__name(r->status),
		.exit_code = r->exit_code, .wall_ns = r->wall_ns, .cell = rec->cell,
	};
	int64_t run = cfg && argvj ? store__ingest_begin(s, &w, &ri) : -1;
	uint64_t overflows = 0;
	int bad;

	free(argvj);
	free(cfg);
	if (run < 0)
		return -1;
	bad = (r->wall_ns >= 0 && store__run_metric_set(s, run, METRIC_WALL_NS, (double)r->wall_ns)) ||
	      (r->exit_code >= 0 &&
	       store__run_metric_set(s, run, METRIC_EXIT_CODE, (double)r->exit_code)) ||
	      (o && !o->invalid && store_output(s, ri.workload_id, run, rec, o)) ||
	      (rec->console && latency__store_console(s, run, rec->console, QEMU_VIRT_TIMEBASE_HZ)) ||
	      boot__store(s, run, rec->stages, rec->boot) ||
	      /* a failed run keeps no samples: they would mix with the ok runs' */
	      (rec->parsed && r->status == RUN_OK &&
	       cyclictest__store(s, run, rec->parsed, rec->parse->unit_ns, &overflows));
	if (store__ingest_end(s, bad))
		return -1;
	note("run %lld: %s, %s, %zu marks, %s", (long long)run, ri.platform, ri.status,
	     o ? o->main->n_marks : 0, !o ? "no plugin output" : o->invalid ? "no counts" :
	     "plugin output ingested");
	if (o && o->n_children)
		warning("%s: the guest forked %zu child process(es); their %llu instructions are "
			"stored as insns_children, regions and markers are the parent's", rec->label,
			o->n_children, (unsigned long long)o->insns_children);
	cyclictest__warn_overflows(rec->label, overflows);
	return run;
}

int64_t qemu__ingest_file(struct store *s, const struct qemu_run_record *rec, const char *path)
{
	struct qemu_output main;
	struct qemu_outputs o = { .main = &main };
	struct qemu_run_record r = *rec;
	int64_t run;

	if (qemu_outputs__read(path, NULL, rec->system, rec->arch, &o))
		return -1;
	memset(&r.result, 0, sizeof(r.result));
	r.result.status = RUN_OK;
	r.result.exit_code = -1;
	r.result.wall_ns = -1;
	if (main.has_exit) {
		r.result.exit_code = main.exit_code;
		r.result.status = main.exit_code ? RUN_FAILED : RUN_OK;
	}
	r.arch = rec->arch ? rec->arch : main.arch;
	r.label = rec->label ? rec->label : path;
	r.plugin_opts = main.options;
	r.qemu_version = "unknown";
	r.qemu_binary = "";
	run = qemu__ingest(s, &r, &o);
	if (run >= 0 && o.invalid)
		warning("run %lld: failed, no counts stored (%s)", (long long)run, o.invalid);
	qemu_outputs__free(&o);
	return run;
}
