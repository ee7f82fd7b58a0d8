/*
 * tp_format.c - tracefs format files: a tracepoint's ID and the layout of
 * its raw sample data (field name, offset, size, signedness), and reading
 * one field from a raw sample. Used for raw_syscalls:sys_enter (launch.c)
 * and KVM's exit tracepoints (kvm_exit.c); offsets always come from the
 * format file, never assumed.
 */
#include "hw.h"

#include "common.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int field_parse(struct tp_field *fld, const char *line)
{
	const char *decl = strstr(line, "field:"), *semi, *p;
	const char *end, *start;
	unsigned off, size;
	int sgn;

	if (!decl)
		return -1;
	decl += 6;
	semi = strchr(decl, ';');
	if (!semi)
		return -1;
	/* The name is the last identifier of the declaration, minus any [N]. */
	end = semi;
	p = memchr(decl, '[', (size_t)(semi - decl));
	if (p)
		end = p;
	while (end > decl && end[-1] == ' ')
		end--;
	start = end;
	while (start > decl && (start[-1] == '_' || (start[-1] >= '0' && start[-1] <= '9') ||
				(start[-1] >= 'a' && start[-1] <= 'z') ||
				(start[-1] >= 'A' && start[-1] <= 'Z')))
		start--;
	if (start == end || (size_t)(end - start) >= sizeof(fld->name))
		return -1;
	if (sscanf(semi + 1, " offset:%u; size:%u; signed:%d;", &off, &size, &sgn) != 3)
		return -1;
	if (!size || size > 1 << 16 || off > 1 << 16)
		return -1;
	memcpy(fld->name, start, (size_t)(end - start));
	fld->name[end - start] = '\0';
	fld->offset = off;
	fld->size = size;
	fld->is_signed = sgn != 0;
	return 0;
}

int tp_format__parse(struct tp_format *f, const char *text, const char *origin)
{
	const char *line = text;
	int lineno = 0, have_id = 0;
	size_t cap = 0;

	memset(f, 0, sizeof(*f));
	f->id = -1;
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[512];

		lineno++;
		if (len >= sizeof(buf))
			len = sizeof(buf) - 1; /* long "print fmt" lines are not needed */
		memcpy(buf, line, len);
		buf[len] = '\0';
		if (!strncmp(buf, "name: ", 6)) {
			snprintf(f->name, sizeof(f->name), "%.95s", buf + 6);
		} else if (!strncmp(buf, "ID: ", 4)) {
			int64_t id;

			if (parse_i64(buf + 4, &id) || id < 0 || id > INT32_MAX) {
				tp_format__free(f);
				return error("%s:%d: bad tracepoint ID '%s'", origin, lineno, buf + 4);
			}
			f->id = (int)id;
			have_id = 1;
		} else if (strstr(buf, "field:")) {
			if (f->nfields == cap) {
				cap = cap ? 2 * cap : 16;
				f->fields = xrealloc(f->fields, cap * sizeof(*f->fields));
			}
			if (field_parse(&f->fields[f->nfields], buf)) {
				tp_format__free(f);
				return error("%s:%d: not a tracepoint field line", origin, lineno);
			}
			f->nfields++;
		}
		line += nl ? len + 1 : len;
		if (nl && len == sizeof(buf) - 1)
			line = nl + 1;
	}
	if (!have_id || !f->nfields) {
		tp_format__free(f);
		return error("%s: not a tracepoint format file (no ID or no fields)", origin);
	}
	return 0;
}

static char *file_slurp(const char *path, size_t max)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	size_t n;

	if (!fp)
		return NULL;
	buf = xmalloc(max + 1);
	n = fread(buf, 1, max, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

int tp_format__load(struct tp_format *f, const char *tracefs, const char *system, const char *event)
{
	char *path = xasprintf("%s/events/%s/%s/format", tracefs, system, event);
	char *text = file_slurp(path, 1 << 20);
	int ret;

	if (!text) {
		/* missing, or closed to this user: both are answers, not errors */
		if (errno == ENOENT || errno == EACCES || errno == EPERM)
			ret = errno == ENOENT ? -ENOENT : -EACCES;
		else
			ret = error("%s: %s", path, strerror(errno));
		free(path);
		return ret;
	}
	ret = tp_format__parse(f, text, path);
	if (!ret)
		snprintf(f->name, sizeof(f->name), "%.40s:%.50s", system, event);
	free(text);
	free(path);
	return ret;
}

const struct tp_field *tp_format__field(const struct tp_format *f, const char *name)
{
	for (size_t i = 0; i < f->nfields; i++)
		if (!strcmp(f->fields[i].name, name))
			return &f->fields[i];
	return NULL;
}

int tp_field__read(const struct tp_field *fld, const void *raw, size_t raw_size, uint64_t *out)
{
	const uint8_t *p = (const uint8_t *)raw + fld->offset;
	uint64_t v = 0;

	if ((size_t)fld->offset + fld->size > raw_size)
		return -1;
	/* Raw tracepoint data is in the traced machine's byte order: little endian
	 * on every architecture emudiff supports. */
	switch (fld->size) {
	case 1: case 2: case 4: case 8:
		for (unsigned i = 0; i < fld->size; i++)
			v |= (uint64_t)p[i] << (8 * i);
		break;
	default:
		return -1;
	}
	if (fld->is_signed && fld->size < 8 && (v >> (8 * fld->size - 1)) & 1)
		v |= ~0ull << (8 * fld->size);
	*out = v;
	return 0;
}

void tp_format__free(struct tp_format *f)
{
	free(f->fields);
	f->fields = NULL;
	f->nfields = 0;
}

int syscall_format__from(struct syscall_format *f, const struct tp_format *fmt)
{
	const struct tp_field *id = tp_format__field(fmt, "id"), *args = tp_format__field(fmt, "args");

	if (fmt->id <= 0 || !id || !args || (id->size != 8 && id->size != 4) || args->size < 48)
		return -1;
	f->id_offset = (int)id->offset;
	f->id_size = (int)id->size;
	f->args_offset = (int)args->offset;
	return 0;
}

const char *tracefs__path(void)
{
	static const char *const candidates[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	struct stat st;

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		char *ev = xasprintf("%s/events", candidates[i]);
		int ok = !stat(ev, &st) && S_ISDIR(st.st_mode);

		free(ev);
		if (ok)
			return candidates[i];
	}
	return NULL;
}
