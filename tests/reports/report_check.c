/*
 * report_check.c - checks a report directory against the store it came from:
 *
 *   report_check DB OUT          everything below
 *   report_check --links OUT     only the links (for partial reports)
 *
 * - every workload of the store has a page linked from the index, and the page
 *   lists each of its regions (key, row) and each of its findings (id)
 * - data/regions.csv|jsonl hold one record per region, data/findings.* one per
 *   finding, JSON lines are valid JSON (sqlite's json_valid) with the ids
 * - no href/src in any page points at a missing file or a missing #anchor
 * - every PNG is a PNG, 900 pixels wide; scatter plots are 900 x 600
 * - values of the curated store (mkreportstore.c) appear where they belong
 */
#include "check.h"

#include <dirent.h>
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static char *esc(const char *s)
{
	char *out = malloc(strlen(s) * 6 + 1), *o = out;

	for (; *s; s++) {
		switch (*s) {
		case '&': o = stpcpy(o, "&amp;"); break;
		case '<': o = stpcpy(o, "&lt;"); break;
		case '>': o = stpcpy(o, "&gt;"); break;
		case '"': o = stpcpy(o, "&quot;"); break;
		case '\'': o = stpcpy(o, "&#39;"); break;
		default: *o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static int has_anchor(const char *page, const char *frag)
{
	char *needle;
	int ok;

	if (asprintf(&needle, "id=\"%s\"", frag) < 0)
		return 0;
	ok = strstr(page, needle) != NULL;
	free(needle);
	return ok;
}

static size_t links_checked;

static void check_links(const char *html_path)
{
	char *page = slurp(html_path), *dir = strdup(html_path);

	*strrchr(dir, '/') = '\0';
	for (const char *p = page; p && *p;) {
		const char *h = strstr(p, "href=\""), *s = strstr(p, "src=\"");
		const char *a = h && (!s || h < s) ? h : s;
		if (!a)
			break;
		a = strchr(a, '"') + 1;
		const char *end = strchr(a, '"');
		char *url = strndup(a, (size_t)(end - a));
		p = end + 1;
		if (!strncmp(url, "http:", 5) || !strncmp(url, "https:", 6) || !strncmp(url, "mailto:", 7) ||
		    !strncmp(url, "http://www.w3.org", 17)) {
			free(url);
			continue;
		}
		links_checked++;
		char *frag = strchr(url, '#');
		if (frag)
			*frag++ = '\0';
		if (!*url) {
			if (!has_anchor(page, frag)) {
				fprintf(stderr, "%s: broken anchor #%s\n", html_path, frag);
				check_failures++;
			}
		} else {
			char *target;
			struct stat st;
			CHECK(url[0] != '/'); /* self-contained: relative links only */
			if (asprintf(&target, "%s/%s", dir, url) < 0)
				abort();
			if (stat(target, &st) || !S_ISREG(st.st_mode)) {
				fprintf(stderr, "%s: broken link %s\n", html_path, url);
				check_failures++;
			} else if (frag) {
				char *tp = slurp(target);
				if (!has_anchor(tp, frag)) {
					fprintf(stderr, "%s: broken link %s#%s\n", html_path, url, frag);
					check_failures++;
				}
				free(tp);
			}
			free(target);
		}
		free(url);
	}
	free(page);
	free(dir);
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static size_t pngs_checked;

static void check_png(const char *path)
{
	unsigned char h[24];
	FILE *f = fopen(path, "rb");
	int ok = f && fread(h, 1, 24, f) == 24;

	if (f)
		fclose(f);
	CHECK(ok && !memcmp(h, "\x89PNG\r\n\x1a\n", 8) && !memcmp(h + 12, "IHDR", 4));
	if (!ok)
		return;
	pngs_checked++;
	CHECK_EQ_INT(be32(h + 16), 900);
	if (strstr(path, "/scatter.png"))
		CHECK_EQ_INT(be32(h + 20), 600);
	else
		CHECK(be32(h + 20) >= 200 && be32(h + 20) <= 2000);
}

static void walk(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	CHECK(d != NULL);
	while (d && (e = readdir(d))) {
		char *path;
		size_t n = strlen(e->d_name);
		if (e->d_name[0] == '.')
			continue;
		if (asprintf(&path, "%s/%s", dir, e->d_name) < 0)
			abort();
		CHECK(!strstr(e->d_name, ".tmp")); /* no temporary file left behind */
		if (e->d_type == DT_DIR)
			walk(path);
		else if (n > 5 && !strcmp(e->d_name + n - 5, ".html"))
			check_links(path);
		else if (n > 4 && !strcmp(e->d_name + n - 4, ".png"))
			check_png(path);
		free(path);
	}
	if (d)
		closedir(d);
}

/* The page of workload name, found through the index's link to it. */
static char *page_of(const char *out, const char *index, const char *name)
{
	char *needle, *path = NULL, *e = esc(name);

	if (asprintf(&needle, "/index.html\">%s</a>", e) < 0)
		abort();
	const char *hit = strstr(index, needle);
	CHECK(hit != NULL);
	if (hit) {
		const char *start = hit;
		while (start > index && *(start - 1) != '"')
			start--;
		if (asprintf(&path, "%s/%.*s/index.html", out, (int)(hit - start), start) < 0)
			abort();
	}
	free(needle);
	free(e);
	return path;
}

static size_t lines(const char *s)
{
	return count(s, "\n");
}

static void check_store(sqlite3 *db, const char *out)
{
	char *path, *index;
	sqlite3_stmt *w, *r, *f, *js;
	size_t nregions = 0, nfindings = 0;

	if (asprintf(&path, "%s/index.html", out) < 0)
		abort();
	index = slurp(path);
	free(path);
	CHECK(index != NULL);
	if (!index)
		return;
	sqlite3_prepare_v2(db, "SELECT id, name FROM workload ORDER BY id", -1, &w, NULL);
	sqlite3_prepare_v2(db, "SELECT key FROM region WHERE workload_id = ? ORDER BY id", -1, &r, NULL);
	sqlite3_prepare_v2(db, "SELECT id FROM finding WHERE workload_id = ? ORDER BY id", -1, &f, NULL);
	while (sqlite3_step(w) == SQLITE_ROW) {
		char *page_path = page_of(out, index, (const char *)sqlite3_column_text(w, 1));
		char *page = page_path ? slurp(page_path) : NULL;
		size_t nr = 0, nf = 0;
		CHECK(page != NULL);
		if (!page) {
			free(page_path);
			continue;
		}
		sqlite3_bind_int64(r, 1, sqlite3_column_int64(w, 0));
		while (sqlite3_step(r) == SQLITE_ROW) {
			char *needle, *k = esc((const char *)sqlite3_column_text(r, 0));
			if (asprintf(&needle, "<td><code>%s</code></td>", k) < 0)
				abort();
			if (!strstr(page, needle)) {
				fprintf(stderr, "%s: region %s missing\n", page_path, k);
				check_failures++;
			}
			nr++;
			free(needle);
			free(k);
		}
		sqlite3_reset(r);
		sqlite3_bind_int64(f, 1, sqlite3_column_int64(w, 0));
		while (sqlite3_step(f) == SQLITE_ROW) {
			char *needle;
			long long id = sqlite3_column_int64(f, 0);
			if (asprintf(&needle, "<td class=\"n\" data-v=\"%lld\">%lld</td>", id, id) < 0)
				abort();
			if (!strstr(page, needle)) {
				fprintf(stderr, "%s: finding %lld missing\n", page_path, id);
				check_failures++;
			}
			nf++;
			free(needle);
		}
		sqlite3_reset(f);
		/* one table row per region, and per finding */
		CHECK_EQ_INT(count(page, "<tr id=\"r"), nr);
		nregions += nr;
		nfindings += nf;
		free(page);
		free(page_path);
	}
	sqlite3_finalize(w);
	sqlite3_finalize(r);
	sqlite3_finalize(f);

	/* exports: one record per region / finding, valid JSON, every id present */
	char *csv, *jsonl;
	if (asprintf(&path, "%s/data/regions.csv", out) < 0)
		abort();
	csv = slurp(path);
	free(path);
	CHECK(csv && lines(csv) == nregions + 1 && count(csv, "\r\n") == nregions + 1);
	if (asprintf(&path, "%s/data/findings.csv", out) < 0)
		abort();
	free(csv);
	csv = slurp(path);
	free(path);
	CHECK(csv && count(csv, "\r\n") == nfindings + 1);
	free(csv);
	static const char *const kinds[2] = { "regions", "findings" };
	for (int k = 0; k < 2; k++) {
		size_t n = 0;
		if (asprintf(&path, "%s/data/%s.jsonl", out, kinds[k]) < 0)
			abort();
		jsonl = slurp(path);
		free(path);
		CHECK(jsonl != NULL);
		sqlite3_prepare_v2(db,
				   k == 0 ? "SELECT json_valid(?1) AND (SELECT count(*) FROM region WHERE id = json_extract(?1, '$.region_id') "
					    "AND key = json_extract(?1, '$.key'))"
					  : "SELECT json_valid(?1) AND (SELECT count(*) FROM finding WHERE id = json_extract(?1, '$.id') "
					    "AND verdict = json_extract(?1, '$.verdict'))",
				   -1, &js, NULL);
		for (char *line = jsonl, *nl; line && (nl = strchr(line, '\n')); line = nl + 1) {
			*nl = '\0';
			sqlite3_bind_text(js, 1, line, -1, SQLITE_STATIC);
			CHECK(sqlite3_step(js) == SQLITE_ROW && sqlite3_column_int(js, 0) == 1);
			sqlite3_reset(js);
			n++;
		}
		sqlite3_finalize(js);
		CHECK_EQ_INT(n, k == 0 ? nregions : nfindings);
		free(jsonl);
	}
	free(index);
}

/* Values of the curated store (see mkreportstore.c). */
static void check_curated(const char *out)
{
	char *path, *index, *hermit, *linux_page, *csv;

	if (asprintf(&path, "%s/index.html", out) < 0)
		abort();
	index = slurp(path);
	free(path);
	if (asprintf(&path, "%s/hermit-fib/index.html", out) < 0)
		abort();
	hermit = slurp(path);
	free(path);
	/* 'linux fib/β': space, slash and two bytes of UTF-8 replaced, id appended */
	if (asprintf(&path, "%s/linux_fib___~2/index.html", out) < 0)
		abort();
	linux_page = slurp(path);
	free(path);
	if (asprintf(&path, "%s/data/regions.csv", out) < 0)
		abort();
	csv = slurp(path);
	free(path);
	CHECK(index && hermit && linux_page && csv);
	if (!index || !hermit || !linux_page || !csv)
		return;
	/* worst flagged region of hermit-fib is 'io' (region 5, factor 0.294) */
	CHECK(strstr(index, "href=\"hermit-fib/index.html#r5\">io</a>") != NULL);
	CHECK(strstr(index, "0.29 <span class=\"muted\">[0.27, 0.32]</span>") != NULL);
	/* the flip comes first, failed and timed-out runs are visible */
	CHECK(strstr(index, "unikernel vs linux") && strstr(index, "compute phase") &&
	      strstr(index, "unikernel vs linux") < strstr(index, "compute phase"));
	CHECK(strstr(index, "1 failed</span>") && strstr(index, "1 timeout</span>"));
	CHECK(strstr(index, "qemu: 7.2.0") && strstr(index, "kernel: 6.1.0-riscv") &&
	      strstr(index, "cpu: SiFive U74") && strstr(index, "machine: VisionFive 2"));
	CHECK(strstr(index, "Spearman") && strstr(index, "0.70 / 0.60"));
	/* hermit-fib: 4 of 6 flagged, escaping of a hostile region name */
	CHECK(strstr(hermit, "4 of 6 regions compared are flagged") != NULL);
	CHECK(strstr(hermit, "parse &lt;json&gt; &amp; &quot;q&quot;") != NULL);
	CHECK(strstr(hermit, "<json>") == NULL);
	CHECK(strstr(hermit, "VisionFive 2") && strstr(hermit, "SiFive U74"));
	CHECK_EQ_INT(count(hermit, "<figure "), 4);
	CHECK_EQ_INT(count(hermit, "<svg "), 4);
	/* each inline SVG's ids are prefixed with its figure, so glyphs cannot clash */
	CHECK(strstr(hermit, "id=\"scatter-glyph") && strstr(hermit, "href=\"#factor-glyph"));
	CHECK(strstr(hermit, "id=\"glyph") == NULL);
	/* linux: no findings, shares from run means: insns 25/75 %, time 40/60 % */
	CHECK(strstr(linux_page, ">25.00%</td>") && strstr(linux_page, ">75.00%</td>"));
	CHECK(strstr(linux_page, ">40.00%") && strstr(linux_page, ">60.00%"));
	/* a nested "machine" object is read leniently */
	CHECK(strstr(linux_page, "board: virt; qemu: 7.2.0") != NULL);
	/* RFC 4180: quotes doubled, fields with commas quoted */
	CHECK(strstr(csv, ",\"parse <json> & \"\"q\"\"\",") != NULL);
	CHECK(strstr(csv, "\"parsing is cheap on hardware, \"\"quoted\"\", with commas\"") != NULL);
	free(index);
	free(hermit);
	free(linux_page);
	free(csv);
}

int main(int argc, char **argv)
{
	sqlite3 *db;

	if (argc == 3 && !strcmp(argv[1], "--links")) {
		walk(argv[2]);
		CHECK(links_checked > 0);
		return check_exit();
	}
	if (argc != 3) {
		fprintf(stderr, "usage: report_check DB OUT | --links OUT\n");
		return 2;
	}
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return 2;
	check_store(db, argv[2]);
	walk(argv[2]);
	CHECK(links_checked > 20);
	CHECK(pngs_checked >= 7);
	check_curated(argv[2]);
	sqlite3_close(db);
	printf("checked %zu links, %zu PNG files\n", links_checked, pngs_checked);
	return check_exit();
}
