/*
 * uftrace.c - reading a uftrace data directory (uftrace record, or Hermit's
 * rftrace inside a unikernel) into function-level times per symbol.
 *
 * The directory holds (uftrace's doc/uftrace-dump and its data format):
 *  - info: a 40-byte header (magic "Ftrace!\0", u32 version, u16 header size,
 *    u8 endian (1 little), u8 ELF class (2: 64-bit), feature and info masks)
 *    followed by "key:value" text lines;
 *  - task.txt: "SESS ... sid=<sid> exename=\"<path>\"" and "TASK ... tid=<tid>";
 *  - sid-<sid>.map: the session's executable mappings, /proc/PID/maps style;
 *  - <module>.sym: "<hex offset> <type> <name>" per symbol (uftrace 0.13;
 *    from 0.14 on "<hex offset> <hex size> <type> <name>"), offsets from the
 *    module's load address (the start of its first mapping);
 *  - <tid>.dat: 16-byte records: u64 time (ns), u64 packed as type:2 (0 entry,
 *    1 exit, 2 lost, 3 event), more:1, magic:3 (= 5), depth:10, addr:48;
 *    with more set, argument data follows (u32 length, padded to 8 bytes).
 */
#include "hw.h"

#include "common.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define UFTRACE_MAGIC "Ftrace!"
#define UFTRACE_HEADER_MIN 40
#define UFTRACE_RECORD_MAGIC 5
#define UFTRACE_MAX_DEPTH 1024

enum { REC_ENTRY, REC_EXIT, REC_LOST, REC_EVENT };

struct usym {
	uint64_t addr; /* absolute */
	char *name;
};

struct loader {
	const char *dir;
	struct usym *syms;
	size_t n_syms, cap_syms;
	struct uftrace_data *d;
};

static char *dir_file(const struct loader *l, const char *name)
{
	return xasprintf("%s/%s", l->dir, name);
}

static int read_info(struct loader *l)
{
	char *path = dir_file(l, "info");
	FILE *f = fopen(path, "rb");
	unsigned char h[UFTRACE_HEADER_MIN];
	uint32_t version;
	uint16_t hsize;
	char line[4096];
	int ret = -1;

	if (!f) {
		error("%s: %s (not a uftrace data directory?)", path, strerror(errno));
		goto out;
	}
	if (fread(h, 1, sizeof(h), f) != sizeof(h) || memcmp(h, UFTRACE_MAGIC, 8)) {
		error("%s: not a uftrace info file (bad magic or shorter than its header)", path);
		goto out;
	}
	memcpy(&version, h + 8, 4);
	memcpy(&hsize, h + 12, 2);
	if (version < 3 || version > 4 || hsize < UFTRACE_HEADER_MIN) {
		error("%s: uftrace file version %u (header %u bytes) is not supported (3 or 4)", path,
		      version, hsize);
		goto out;
	}
	if (h[14] != 1 || h[15] != 2) {
		error("%s: only little-endian 64-bit traces are supported (endian %u, class %u)", path,
		      h[14], h[15]);
		goto out;
	}
	l->d->version = (int)version;
	if (fseek(f, hsize, SEEK_SET)) {
		error("%s: truncated header", path);
		goto out;
	}
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "exename:", 8) && !l->d->exename) {
			line[strcspn(line, "\n")] = '\0';
			l->d->exename = xstrdup(line + 8);
		}
	}
	ret = 0;
out:
	if (f)
		fclose(f);
	free(path);
	return ret;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct usym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Load <basename>.sym for a module mapped at base. A module without a symbol
 * file (uftrace writes none for modules it never traced) is skipped. */
static int load_syms(struct loader *l, const char *module, uint64_t base)
{
	const char *b = strrchr(module, '/');
	char *name = xasprintf("%s.sym", b ? b + 1 : module);
	char *path = dir_file(l, name);
	FILE *f = fopen(path, "r");
	char line[1024];
	unsigned lineno = 0;
	int ret = 0;

	free(name);
	if (!f) {
		free(path);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		char hex[32], t1[32], t2[512], t3[512], type, *sname, *end;
		unsigned long long off;
		int n;

		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		n = sscanf(line, "%31s %31s %511s %511s", hex, t1, t2, t3);
		off = strtoull(hex, &end, 16);
		if (n == 4 && !t2[1] && strspn(t1, "0123456789abcdefABCDEF") == strlen(t1)) {
			type = t2[0]; /* uftrace >= 0.14: the size between offset and type */
			sname = t3;
		} else if (n >= 3 && !t1[1]) {
			type = t1[0];
			sname = t2;
		} else {
			n = 0;
		}
		if (!n || *end || end == hex) {
			ret = error("%s:%u: not a symbol line \"<hex> [<hex size>] <type> <name>\"", path, lineno);
			break;
		}
		/* '?' marks ends of tables, data symbols cannot be traced functions */
		if (type == '?' || type == 'd' || type == 'D' || type == 'b' || type == 'B' ||
		    type == 'r' || type == 'R')
			continue;
		if (l->n_syms == l->cap_syms) {
			l->cap_syms = l->cap_syms ? 2 * l->cap_syms : 256;
			l->syms = xrealloc(l->syms, l->cap_syms * sizeof(*l->syms));
		}
		l->syms[l->n_syms].addr = base + off;
		l->syms[l->n_syms++].name = xstrdup(sname);
	}
	fclose(f);
	free(path);
	return ret;
}

static int read_map(struct loader *l, const char *sid)
{
	char *name = xasprintf("sid-%s.map", sid);
	char *path = dir_file(l, name);
	FILE *f = fopen(path, "r");
	char line[4096], last_module[1024] = "";
	unsigned lineno = 0;
	int ret = 0;

	free(name);
	if (!f) {
		ret = error("%s: %s (task.txt names this session)", path, strerror(errno));
		free(path);
		return ret;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end;
		char perms[8], module[1024] = "";

		lineno++;
		if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %1023s", &start, &end, perms, module) < 3) {
			ret = error("%s:%u: not a mapping line", path, lineno);
			break;
		}
		/* one module may have several mappings: its base is the first */
		if (module[0] != '/' || !strcmp(module, last_module))
			continue;
		snprintf(last_module, sizeof(last_module), "%s", module);
		if (load_syms(l, module, start)) {
			ret = -1;
			break;
		}
	}
	fclose(f);
	free(path);
	return ret;
}

/* task.txt: sessions (maps, symbols) and the task ids whose .dat files to read. */
static int read_tasks(struct loader *l, int64_t **tids, size_t *n_tids)
{
	char *path = dir_file(l, "task.txt");
	FILE *f = fopen(path, "r");
	char line[4096];
	size_t cap = 0;
	int ret = 0, sessions = 0;

	*tids = NULL;
	*n_tids = 0;
	if (!f) {
		ret = error("%s: %s", path, strerror(errno));
		free(path);
		return ret;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p;

		if (!strncmp(line, "SESS ", 5)) {
			char sid[64];

			p = strstr(line, " sid=");
			if (!p || sscanf(p + 5, "%63[0-9a-fA-F]", sid) != 1) {
				ret = error("%s: SESS line without sid=", path);
				break;
			}
			p = strstr(line, "exename=\"");
			if (p) {
				char *q = strchr(p + 9, '"');

				if (q) {
					free(l->d->exename);
					l->d->exename = xasprintf("%.*s", (int)(q - p - 9), p + 9);
				}
			}
			if (read_map(l, sid)) {
				ret = -1;
				break;
			}
			sessions++;
		} else if (!strncmp(line, "TASK ", 5)) {
			int64_t tid;
			char num[32];

			p = strstr(line, " tid=");
			if (!p || sscanf(p + 5, "%31[0-9]", num) != 1 || parse_i64(num, &tid)) {
				ret = error("%s: TASK line without tid=", path);
				break;
			}
			if (*n_tids == cap) {
				cap = cap ? 2 * cap : 8;
				*tids = xrealloc(*tids, cap * sizeof(**tids));
			}
			(*tids)[(*n_tids)++] = tid;
		}
	}
	fclose(f);
	if (!ret && (!sessions || !*n_tids))
		ret = error("%s: no SESS or no TASK line", path);
	free(path);
	return ret;
}

static const char *sym_name(const struct loader *l, uint64_t addr)
{
	size_t lo = 0, hi = l->n_syms;

	/* the symbol is the last one at or below addr (uftrace's own rule) */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (l->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? l->syms[lo - 1].name : NULL;
}

/* Index of the function called name, added when new. An index, not a
 * pointer: the array moves when it grows, frames on the stack must not. */
static size_t func_index(struct uftrace_data *d, const char *name)
{
	for (size_t i = 0; i < d->n_funcs; i++)
		if (!strcmp(d->funcs[i].name, name))
			return i;
	d->funcs = xrealloc(d->funcs, (d->n_funcs + 1) * sizeof(*d->funcs));
	memset(&d->funcs[d->n_funcs], 0, sizeof(*d->funcs));
	d->funcs[d->n_funcs].name = xstrdup(name);
	return d->n_funcs++;
}

struct frame {
	size_t fn;
	uint64_t entry, child_ns;
	int outermost; /* first activation of fn on this stack (recursion counted once) */
};

static void frame_close(struct uftrace_data *d, struct frame *st, size_t *depth, uint64_t t)
{
	struct frame *f = &st[--*depth];
	struct uftrace_func *fn = &d->funcs[f->fn];
	uint64_t incl = t > f->entry ? t - f->entry : 0;

	fn->calls++;
	fn->self_ns += incl > f->child_ns ? incl - f->child_ns : 0;
	if (f->outermost)
		fn->incl_ns += incl;
	if (*depth)
		st[*depth - 1].child_ns += incl;
}

static int read_task(struct loader *l, int64_t tid)
{
	char *name = xasprintf("%lld.dat", (long long)tid);
	char *path = dir_file(l, name);
	FILE *f = fopen(path, "rb");
	struct frame st[UFTRACE_MAX_DEPTH];
	size_t depth = 0;
	uint64_t last = 0, rec[2], n = 0;
	int ret = 0;

	free(name);
	if (!f) {
		/* a task that never called a traced function leaves no file */
		free(path);
		return 0;
	}
	for (;;) {
		size_t got = fread(rec, 1, sizeof(rec), f);
		unsigned type, more, magic;
		uint64_t addr, t;

		if (!got)
			break;
		n++;
		if (got < sizeof(rec)) {
			ret = error("%s: record %llu: truncated (%zu of 16 bytes; was the recording cut short?)",
				    path, (unsigned long long)n, got);
			break;
		}
		type = rec[1] & 3;
		more = (rec[1] >> 2) & 1;
		magic = (rec[1] >> 3) & 7;
		addr = rec[1] >> 16;
		t = rec[0];
		if (magic != UFTRACE_RECORD_MAGIC) {
			ret = error("%s: record %llu: bad magic %u (corrupt or not a uftrace .dat file)",
				    path, (unsigned long long)n, magic);
			break;
		}
		if (more) {
			/* argument/return data: u32 length, data, padded to 8 bytes */
			uint32_t len;

			if (fread(&len, 4, 1, f) != 1 || fseek(f, (long)(((4 + len + 7) & ~7u) - 4), SEEK_CUR)) {
				ret = error("%s: record %llu: truncated argument data", path, (unsigned long long)n);
				break;
			}
		}
		if (t < last) {
			ret = error("%s: record %llu: time goes backwards", path, (unsigned long long)n);
			break;
		}
		last = t;
		if (!l->d->first_ns || t < l->d->first_ns)
			l->d->first_ns = t;
		if (t > l->d->last_ns)
			l->d->last_ns = t;
		l->d->records++;
		if (type == REC_LOST) {
			/* the lost count sits in the addr field; the stack is unknown now */
			l->d->lost_records += addr;
			while (depth)
				frame_close(l->d, st, &depth, t);
			continue;
		}
		if (type == REC_EVENT)
			continue;
		if (type == REC_ENTRY) {
			const char *s = sym_name(l, addr);
			char hex[32];
			size_t fn;
			int outer = 1;

			if (depth == UFTRACE_MAX_DEPTH) {
				ret = error("%s: record %llu: call depth over %d", path, (unsigned long long)n,
					    UFTRACE_MAX_DEPTH);
				break;
			}
			if (!s) {
				snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)addr);
				s = hex;
			}
			fn = func_index(l->d, s);
			for (size_t i = 0; i < depth; i++)
				outer &= st[i].fn != fn;
			st[depth++] = (struct frame){ fn, t, 0, outer };
		} else {
			/* exit: close frames down to the matching one (missing exits of
			 * longjmp'd frames close here too) */
			if (!depth)
				continue; /* exit of a function entered before tracing began */
			frame_close(l->d, st, &depth, t);
		}
	}
	if (!ret && ferror(f))
		ret = error("%s: %s", path, strerror(errno));
	if (!ret) {
		l->d->unclosed += depth;
		while (depth)
			frame_close(l->d, st, &depth, last);
	}
	fclose(f);
	free(path);
	return ret;
}

int uftrace__load(const char *dir, struct uftrace_data *out)
{
	struct loader l = { .dir = dir, .d = out };
	int64_t *tids = NULL;
	size_t n_tids = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = read_info(&l);
	if (!ret)
		ret = read_tasks(&l, &tids, &n_tids);
	if (!ret) {
		qsort(l.syms, l.n_syms, sizeof(*l.syms), sym_cmp);
		out->n_tasks = n_tids;
		for (size_t i = 0; i < n_tids && !ret; i++)
			ret = read_task(&l, tids[i]);
	}
	if (!ret && !out->records)
		ret = error("%s: no function records in any task's .dat file", dir);
	for (size_t i = 0; i < l.n_syms; i++)
		free(l.syms[i].name);
	free(l.syms);
	free(tids);
	if (ret)
		uftrace__free(out);
	return ret;
}

void uftrace__free(struct uftrace_data *d)
{
	for (size_t i = 0; i < d->n_funcs; i++)
		free(d->funcs[i].name);
	free(d->funcs);
	free(d->exename);
	memset(d, 0, sizeof(*d));
}
