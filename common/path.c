/* path.c - path names (common.h). */
#include "common.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *path__base(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

char *path__search(const char *prog)
{
	const char *path = getenv("PATH");
	char real[PATH_MAX];

	if (strchr(prog, '/')) {
		if (access(prog, X_OK))
			return NULL;
		return xstrdup(realpath(prog, real) ? real : prog);
	}
	/* the shell's default when PATH is unset */
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (1) {
		size_t n = strcspn(path, ":");
		char *cand = xasprintf("%.*s/%s", (int)n, n ? path : ".", prog);
		int ok = !access(cand, X_OK) && realpath(cand, real);

		free(cand);
		if (ok)
			return xstrdup(real);
		if (!path[n])
			break;
		path += n + 1;
	}
	errno = ENOENT;
	return NULL;
}
