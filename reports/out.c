/*
 * out.c - report files: written under a temporary name and renamed into
 * place, so an interrupted report never leaves a half-written page behind
 * a good-looking name; write errors (ENOSPC, EIO) are caught at close.
 */
#include "report_int.h"
#include "common.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int out__open(struct out *o, const char *path)
{
	o->path = xstrdup(path);
	o->tmp = xasprintf("%s.tmp", path);
	o->f = fopen(o->tmp, "w");
	if (!o->f) {
		error("%s: cannot write: %s", o->tmp, strerror(errno));
		free(o->path);
		free(o->tmp);
		return -1;
	}
	return 0;
}

void out__abort(struct out *o)
{
	if (o->f)
		fclose(o->f);
	unlink(o->tmp);
	free(o->path);
	free(o->tmp);
	o->f = NULL;
}

int out__close(struct out *o, struct report_ctx *ctx)
{
	int rc = 0;

	if (fflush(o->f) || ferror(o->f))
		rc = error("%s: write failed: %s", o->tmp, strerror(errno ? errno : EIO));
	if (fclose(o->f) && !rc)
		rc = error("%s: write failed: %s", o->tmp, strerror(errno));
	o->f = NULL;
	if (!rc && rename(o->tmp, o->path))
		rc = error("%s: cannot rename into place: %s", o->path, strerror(errno));
	if (rc)
		unlink(o->tmp);
	else if (ctx)
		ctx->sum.files++;
	free(o->path);
	free(o->tmp);
	return rc;
}

int mkdir_p(const char *dir)
{
	char *p = xstrdup(dir);
	int rc = 0;

	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0777) && errno != EEXIST) {
			rc = error("%s: cannot create directory: %s", p, strerror(errno));
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	if (!rc) {
		struct stat st;
		if (stat(dir, &st) || !S_ISDIR(st.st_mode))
			rc = error("%s: not a directory", dir);
	}
	free(p);
	return rc;
}

/*
 * A workload name as a file name: letters, digits, '.', '_' and '-' are kept.
 * A name that needed changes (or could be mistaken for "." / ".." / "data")
 * gets "~<id>" appended, and '~' itself is never kept, so two workloads can
 * never share a directory.
 */
char *safe_file_name(const char *name, int64_t id)
{
	size_t n = strlen(name);
	char *s = xmalloc(n + 32);
	int changed = n == 0 || name[0] == '.' || !strcmp(name, "data") || n > 100;

	if (n > 100)
		n = 100;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (isalnum(c) || c == '.' || c == '_' || c == '-') {
			s[i] = (char)c;
		} else {
			s[i] = '_';
			changed = 1;
		}
	}
	s[n] = '\0';
	if (changed)
		sprintf(s + n, "~%lld", (long long)id);
	return s;
}

char *file_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		error("%s: cannot read: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 131072;
			buf = xrealloc(buf, cap + 1);
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		error("%s: read failed", path);
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}
