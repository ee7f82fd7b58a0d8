/*
 * import_run.c - a program an importer runs itself (`emudiff import
 * cyclictest --run` on hw, a suite workload's hw cells with `parse =`):
 * natively, under the supervisor of common.h (the
 * deadline policy), with its stdout read for the importer and passed through
 * to ours unchanged; its stderr and stdin are its own.
 */
#include "collect.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Append what fd has now to r->out (and to our stdout); 0 at its end. */
static int drain(int fd, struct import_run_result *r)
{
	char buf[8192];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 && errno == EAGAIN;
		fwrite(buf, 1, (size_t)n, stdout);
		if (r->len + (size_t)n + 1 > r->cap) {
			r->cap = 2 * (r->len + (size_t)n + 1);
			r->out = xrealloc(r->out, r->cap);
		}
		memcpy(r->out + r->len, buf, (size_t)n);
		r->len += (size_t)n;
		r->out[r->len] = '\0';
	}
}

static void judge(const struct proc *p, struct import_run_result *r)
{
	char how[128];

	proc__describe(p, how, sizeof(how));
	r->exit_code = WIFEXITED(p->wstatus) ? WEXITSTATUS(p->wstatus)
		       : WIFSIGNALED(p->wstatus) ? 128 + WTERMSIG(p->wstatus) : -1;
	if (p->end == PROC_TIMEOUT) {
		r->status = RUN_TIMEOUT;
		snprintf(r->why, sizeof(r->why), "%s", how);
	} else if (r->exit_code != 0) {
		r->status = RUN_FAILED;
		snprintf(r->why, sizeof(r->why), "%s", how);
	} else {
		r->status = RUN_OK;
	}
}

int import__run(const struct import_run *o, struct import_run_result *r)
{
	char *const *argv = o->argv;
	int pfd[2], open_fd;
	struct proc p;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->exit_code = -1;
	if (pipe2(pfd, O_CLOEXEC))
		return error("pipe: %s", strerror(errno));
	fflush(stdout);
	pid = proc__fork(&p, 0, o->timeout_s, 0);
	if (pid == 0) {
		dup2(pfd[1], 1);
		execvp(argv[0], argv);
		fprintf(stderr, "error: %s: cannot execute: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		return error("fork: %s", strerror(errno));
	}
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	open_fd = 1;
	while (!proc__step(&p)) {
		struct pollfd pf = { .fd = pfd[0], .events = POLLIN };

		if (open_fd)
			open_fd = drain(pfd[0], r);
		poll(&pf, open_fd ? 1 : 0, proc__wait_ms(&p, 20));
	}
	if (open_fd)
		drain(pfd[0], r); /* what it wrote before it ended */
	close(pfd[0]);
	fflush(stdout);
	r->wall_ns = now_ns() - p.start_ns;
	judge(&p, r);
	return 0;
}

void import_run_result__free(struct import_run_result *r)
{
	free(r->out);
	r->out = NULL;
	r->len = r->cap = 0;
}
