/*
 * cmd_align.c - "emudiff align": turn the stored marker hits of every run
 * into regions keyed identically on emulation and on hardware (one
 * transaction per workload, idempotent), and "emudiff align --check ELF":
 * list the marker sites a binary contains and warn about ids used twice and
 * markers without a name, before any run is spent on it.
 */
#include "align.h"
#include "cmd.h"
#include "common.h"
#include "store.h"

#include <getopt.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: emudiff align [--db F] [--workload W]\n"
	"   or: emudiff align --check ELF [--json] [--strict]\n"
	"\n"
	"   --db F         the store (default $EMUDIFF_DB or emudiff.db)\n"
	"   --workload W   only this workload (default: all)\n"
	"   --check ELF    list the marker sites in ELF (address, id, name, function)\n"
	"                  and warn about ids used at several sites, markers without\n"
	"                  a name and names without a marker; nothing is stored\n"
	"   --json         with --check: one JSON object instead of text\n"
	"   --strict       with --check: exit 1 when there is any warning\n";

/* ---- --check ------------------------------------------------------------ */

struct check {
	const char *elf;
	const char *arch;
	struct marksite *sites;
	size_t nsites;
	struct symtab *syms;
	sqlite3 *json; /* in-memory, for JSON output; NULL for text */
	int warnings;
};

static void check__warn(struct check *c, const char *fmt, ...) EMUDIFF_PRINTF(2, 3);

static void check__warn(struct check *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	warning("%s: %s", c->elf, buf);
	c->warnings++;
	if (c->json) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(c->json, "INSERT INTO warn VALUES (?1)", -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_text(st, 1, buf, -1, SQLITE_TRANSIENT);
			sqlite3_step(st);
			sqlite3_finalize(st);
		}
	}
}

/* Warnings about the marker ids: used at several sites, unnamed, named twice, named but absent. */
static void check__ids(struct check *c)
{
	size_t i, j, nm = symtab__mark_count(c->syms);

	if (!c->nsites)
		check__warn(c, "no marker instructions found; only symbol regions are possible");
	for (i = 0; i < c->nsites; i++) {
		int id = c->sites[i].id, first = 1;
		size_t count = 0;
		for (j = 0; j < c->nsites; j++) {
			if (c->sites[j].id != id)
				continue;
			if (j < i)
				first = 0;
			count++;
		}
		if (!first)
			continue;
		if (count > 1)
			check__warn(c, "marker id %d is used at %zu sites (or inlined/unrolled copies of one); its regions mix them",
				    id, count);
		if (!symtab__mark_name(c->syms, id))
			check__warn(c, "marker id %d at %#llx has no name (use EMUDIFF_MARK_NAMED)", id,
				    (unsigned long long)c->sites[i].addr);
	}
	for (i = 0; i < nm; i++) {
		const char *name, *first;
		int id = symtab__mark_at(c->syms, i, &name), seen = 0;
		first = symtab__mark_name(c->syms, id);
		for (j = 0; j < i; j++)
			if (symtab__mark_at(c->syms, j, NULL) == id)
				seen = 1;
		if (strcmp(name, first)) {
			check__warn(c, "marker id %d has two names, \"%s\" and \"%s\" (the first is used)",
				    id, first, name);
			continue;
		}
		if (seen)
			continue;
		for (j = 0; j < c->nsites; j++)
			if (c->sites[j].id == id)
				break;
		if (j == c->nsites)
			check__warn(c, "marker id %d is named \"%s\" but no marker instruction has it (optimized away?)",
				    id, name);
	}
}

static int check__json_init(struct check *c)
{
	if (sqlite3_open(":memory:", &c->json) != SQLITE_OK ||
	    sqlite3_exec(c->json,
			 "CREATE TABLE site (addr TEXT, id INTEGER, name TEXT, symbol TEXT, offset INTEGER);"
			 "CREATE TABLE warn (message TEXT);",
			 NULL, NULL, NULL) != SQLITE_OK)
		return error("cannot create an in-memory database: %s", sqlite3_errmsg(c->json));
	return 0;
}

static int check__json_print(struct check *c)
{
	sqlite3_stmt *st;
	int rc = -1;

	if (sqlite3_prepare_v2(c->json,
			       "SELECT json_object('elf', ?1, 'arch', ?2, 'symbols', ?3,"
			       " 'sites', (SELECT json_group_array(json_object('addr', addr, 'id', id,"
			       "   'name', name, 'symbol', symbol, 'offset', offset)) FROM"
			       "   (SELECT * FROM site ORDER BY rowid)),"
			       " 'warnings', (SELECT json_group_array(message) FROM"
			       "   (SELECT * FROM warn ORDER BY rowid)))",
			       -1, &st, NULL) != SQLITE_OK)
		return error("building JSON: %s", sqlite3_errmsg(c->json));
	sqlite3_bind_text(st, 1, c->elf, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->arch, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, symtab__source(c->syms), -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		printf("%s\n", (const char *)sqlite3_column_text(st, 0));
		rc = 0;
	} else {
		error("building JSON: %s", sqlite3_errmsg(c->json));
	}
	sqlite3_finalize(st);
	return rc;
}

static int check__site(struct check *c, const struct marksite *s)
{
	const struct sym *fn = symtab__lookup(c->syms, s->addr);
	const char *name = symtab__mark_name(c->syms, s->id);
	char addr[32];

	snprintf(addr, sizeof(addr), "%#llx", (unsigned long long)s->addr);
	if (!c->json) {
		printf("%-18s %5d  %-20s", addr, s->id, name ? name : "-");
		if (fn)
			printf(" %s+0x%llx", fn->name, (unsigned long long)(s->addr - fn->addr));
		printf("\n");
		return 0;
	}
	{
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(c->json, "INSERT INTO site VALUES (?1, ?2, ?3, ?4, ?5)", -1, &st,
				       NULL) != SQLITE_OK)
			return error("building JSON: %s", sqlite3_errmsg(c->json));
		sqlite3_bind_text(st, 1, addr, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 2, s->id);
		if (name)
			sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
		if (fn) {
			sqlite3_bind_text(st, 4, fn->name, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(st, 5, (sqlite3_int64)(s->addr - fn->addr));
		}
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	return 0;
}

static int align_check(const char *elf, int json, int strict)
{
	struct check c = { .elf = elf };
	size_t i;
	int rc = EXIT_BADINPUT;

	if (marksites__scan(elf, &c.sites, &c.nsites, &c.arch) < 0)
		return EXIT_BADINPUT;
	c.syms = symtab__load(elf);
	if (!c.syms)
		goto out;
	if (json && check__json_init(&c) < 0)
		goto out;
	if (!json)
		printf("%s: %s, %zu marker sites, %zu named marker records, symbols from %s\n", elf,
		       c.arch, c.nsites, symtab__mark_count(c.syms), symtab__source(c.syms));
	for (i = 0; i < c.nsites; i++)
		if (check__site(&c, &c.sites[i]) < 0)
			goto out;
	check__ids(&c);
	if (json && check__json_print(&c) < 0)
		goto out;
	rc = strict && c.warnings ? EXIT_FINDINGS : EXIT_OK;
out:
	if (c.json)
		sqlite3_close(c.json);
	symtab__free(c.syms);
	free(c.sites);
	if (stdout_flush_check() < 0)
		return EXIT_FINDINGS;
	return rc;
}

/* ---- building regions ------------------------------------------------------- */

/* After each workload: commit it, say what it got, begin the next one's transaction. */
struct align_progress {
	struct store *s;
	char **names;
	size_t n;
};

static int align_done(void *arg, size_t i, const struct align_result *r)
{
	struct align_progress *p = arg;

	if (store__commit(p->s) < 0)
		return -1;
	if (!r->ref_run_id)
		printf("%s: no marker sequence in %zu runs; symbol regions only\n", p->names[i], r->runs);
	else if (r->threads <= 1)
		printf("%s: %zu marker regions from reference run %lld (%zu markers); %zu runs:"
		       " %zu identical, %zu aligned with gaps, %zu without marker regions\n",
		       p->names[i], r->regions, (long long)r->ref_run_id, r->ref_len, r->runs,
		       r->runs_exact, r->runs_partial, r->runs_failed);
	else if (!r->refs_differ)
		printf("%s: %zu marker regions on %zu threads from reference run %lld (%zu markers); %zu runs:"
		       " %zu identical, %zu aligned with gaps, %zu without marker regions\n",
		       p->names[i], r->regions, r->threads, (long long)r->ref_run_id, r->ref_len, r->runs,
		       r->runs_exact, r->runs_partial, r->runs_failed);
	else
		printf("%s: %zu marker regions on %zu threads, each from its own reference run (%zu markers);"
		       " %zu runs: %zu identical, %zu aligned with gaps, %zu without marker regions\n",
		       p->names[i], r->regions, r->threads, r->ref_len, r->runs, r->runs_exact, r->runs_partial,
		       r->runs_failed);
	if (r->rollup_regions)
		printf("%s: %zu symbol roll-ups of marker pairs (ms:) from %zu runs%s\n", p->names[i],
		       r->rollup_regions, r->rollup_runs,
		       r->rollup_mismatches ? "; some do not add up (see the warnings)" : "");
	return i + 1 < p->n ? store__begin(p->s) : 0;
}

static int align_store(const char *db, const char *only)
{
	struct store *s = store__open(db, 0);
	sqlite3_stmt *st = NULL;
	int rc = EXIT_OK, step;

	if (!s)
		return EXIT_BADINPUT;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT id, name FROM workload WHERE ?1 IS NULL OR name = ?1 ORDER BY name",
			       -1, &st, NULL) != SQLITE_OK) {
		error("%s: %s", db, sqlite3_errmsg(s->db));
		store__close(s);
		return EXIT_BADINPUT;
	}
	if (only)
		sqlite3_bind_text(st, 1, only, -1, SQLITE_STATIC);
	/* the workload list is read first: each workload then gets its own transaction */
	{
		struct align_progress p = { s, NULL, 0 };
		int64_t *ids = NULL;
		size_t i;

		while ((step = sqlite3_step(st)) == SQLITE_ROW) {
			ids = xrealloc(ids, (p.n + 1) * sizeof(*ids));
			p.names = xrealloc(p.names, (p.n + 1) * sizeof(*p.names));
			ids[p.n] = sqlite3_column_int64(st, 0);
			p.names[p.n++] = xstrdup((const char *)sqlite3_column_text(st, 1));
		}
		sqlite3_finalize(st);
		if (step != SQLITE_DONE) {
			error("%s: reading workloads: %s", db, sqlite3_errmsg(s->db));
			rc = EXIT_BADINPUT;
		} else if (only && p.n == 0) {
			error("%s: no workload named '%s'", db, only);
			rc = EXIT_BADINPUT;
		}
		if (rc == EXIT_OK && p.n) {
			/* a failed workload (or commit) rolls back its own transaction only */
			if (store__begin(s) < 0 || align__workloads(s->db, ids, p.n, align_done, &p) < 0) {
				if (s->in_tx)
					store__rollback(s);
				rc = EXIT_BADINPUT;
			}
		}
		for (i = 0; i < p.n; i++)
			free(p.names[i]);
		free(p.names);
		free(ids);
		if (rc == EXIT_OK && !p.n)
			printf("%s: no workloads\n", db);
	}
	store__close(s);
	if (stdout_flush_check() < 0)
		return EXIT_FINDINGS;
	return rc;
}

int cmd_align(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "workload", required_argument, NULL, 'w' },
		{ "check", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "strict", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = store__default_path(), *workload = NULL, *check = NULL;
	int json = 0, strict = 0, o;

	if (cmd_wants_help(argc, argv))
		cmd_usage(usage_text, EXIT_OK);
	optind = 1;
	while ((o = cmd_getopt(argc, argv, "h", opts)) != -1) {
		switch (o) {
		case 'd': db = optarg; break;
		case 'w': workload = optarg; break;
		case 'c': check = optarg; break;
		case 'j': json = 1; break;
		case 's': strict = 1; break;
		default: cmd_usage(usage_text, EXIT_BADINPUT);
		}
	}
	if (optind < argc) {
		error("align: unexpected argument '%s'", argv[optind]);
		cmd_usage(usage_text, EXIT_BADINPUT);
	}
	if (check && workload) {
		error("align: --check works on a binary, not on a stored workload");
		cmd_usage(usage_text, EXIT_BADINPUT);
	}
	if ((json || strict) && !check) {
		error("align: --json and --strict go with --check");
		cmd_usage(usage_text, EXIT_BADINPUT);
	}
	if (check)
		return align_check(check, json, strict);
	return align_store(db, workload);
}
