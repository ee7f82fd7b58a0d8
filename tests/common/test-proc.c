/*
 * test-proc.c - the supervisor of child processes (common/proc.c): how each
 * kind of child ends, and the deadline policy of common.h (SIGTERM at the
 * deadline, SIGKILL PROC_GRACE_S later, one grace more per level, the whole
 * group with PROC_GROUP).
 */
#include "check.h"
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static double secs_since(int64_t t0)
{
	return (double)(now_ns() - t0) / 1e9;
}

static void exits_on_its_own(void)
{
	struct proc p;
	pid_t pid = proc__fork(&p, 0, 10, 0);
	char why[128];

	if (pid == 0)
		_exit(3);
	CHECK(pid > 0);
	proc__wait(&p);
	CHECK_EQ_INT(p.end, PROC_EXITED);
	CHECK(WIFEXITED(p.wstatus) && WEXITSTATUS(p.wstatus) == 3);
	CHECK(!p.term_ns && !p.killed);
	CHECKF(!strcmp(proc__describe(&p, why, sizeof(why)), "exit 3"), "described as '%s'", why);
}

static void crashes(void)
{
	struct proc p;
	pid_t pid = proc__fork(&p, 0, 0, 0);
	char why[128];

	if (pid == 0) {
		/* the default action, not a sanitizer's handler */
		signal(SIGSEGV, SIG_DFL);
		raise(SIGSEGV);
		_exit(0);
	}
	proc__wait(&p);
	CHECK_EQ_INT(p.end, PROC_EXITED);
	CHECK(WIFSIGNALED(p.wstatus) && WTERMSIG(p.wstatus) == SIGSEGV);
	CHECKF(!strncmp(proc__describe(&p, why, sizeof(why)), "signal 11", 9), "described as '%s'", why);
}

/* A child that ends on SIGTERM is not killed: it had its chance to write. */
static void deadline_terminates(void)
{
	struct proc p;
	int64_t t0 = now_ns();
	pid_t pid = proc__fork(&p, 0, 0.2, 0);

	if (pid == 0) {
		pause();
		_exit(0);
	}
	CHECK(proc__wait_ms(&p, 1000) <= 200);
	proc__wait(&p);
	CHECK_EQ_INT(p.end, PROC_TIMEOUT);
	CHECK(WIFSIGNALED(p.wstatus) && WTERMSIG(p.wstatus) == SIGTERM);
	CHECK(!p.killed);
	CHECKF(secs_since(t0) >= 0.2, "ended after %.3f s, before its deadline", secs_since(t0));
}

/* A child that ignores SIGTERM is killed one grace period later. */
static void grace_then_kill(void)
{
	struct proc p;
	int64_t t0 = now_ns();
	int ready[2];
	char c;
	pid_t pid;

	CHECK(pipe(ready) == 0);
	pid = proc__fork(&p, 0, 0.1, 0);
	if (pid == 0) {
		signal(SIGTERM, SIG_IGN);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	CHECK(read(ready[0], &c, 1) == 1);
	proc__wait(&p);
	CHECK_EQ_INT(p.end, PROC_TIMEOUT);
	CHECK(p.killed);
	CHECK(WIFSIGNALED(p.wstatus) && WTERMSIG(p.wstatus) == SIGKILL);
	CHECKF(secs_since(t0) >= 0.1 + PROC_GRACE_S, "killed after %.2f s, grace is %d s", secs_since(t0),
	       PROC_GRACE_S);
	close(ready[0]);
	close(ready[1]);
}

/* Levels below a child lengthen its grace: one period per level. */
static void grace_per_level(void)
{
	struct proc p;

	proc__adopt(&p, 1, 0, 1, 0);
	CHECK_EQ_INT(p.grace_ns, (int64_t)PROC_GRACE_S * 1000000000LL);
	proc__adopt(&p, 1, 0, 1, 2);
	CHECK_EQ_INT(p.grace_ns, 3 * (int64_t)PROC_GRACE_S * 1000000000LL);
	CHECK(p.deadline_ns - p.start_ns == 1000000000LL);
	proc__adopt(&p, 1, 0, 0, 0);
	CHECK_EQ_INT(p.deadline_ns, 0);
	CHECK_EQ_INT(proc__wait_ms(&p, 123), 123);
}

/* With PROC_GROUP what the child started ends with it. The test is the
 * grandchild's subreaper, so it sees how the grandchild ended. */
static void group_ends_together(void)
{
	struct proc p;
	int fds[2], wstatus = 0;
	pid_t pid, grandchild = 0;

	CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
	CHECK(pipe(fds) == 0);
	pid = proc__fork(&p, PROC_GROUP, 0.3, 0);
	if (pid == 0) {
		pid_t g = fork();
		if (g == 0) {
			pause();
			_exit(0);
		}
		if (write(fds[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		pause();
		_exit(0);
	}
	CHECK(read(fds[0], &grandchild, sizeof(grandchild)) == sizeof(grandchild));
	CHECK_EQ_INT(getpgid(pid), pid);
	proc__wait(&p);
	CHECK_EQ_INT(p.end, PROC_TIMEOUT);
	CHECK(waitpid(grandchild, &wstatus, 0) == grandchild);
	CHECKF(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGTERM, "grandchild status 0x%x", wstatus);
	close(fds[0]);
	close(fds[1]);
}

/* With PROC_LINGER a worker that outlives its group's leader gets the grace
 * to end on its own: the leader ends at once, the worker catches SIGTERM and
 * takes 300 ms to end (as a worker under QEMU writing its plugin output);
 * proc__wait returns after it has ended with its own exit status 7, reaped
 * here (this process is its subreaper). Without PROC_LINGER it is killed. */
static void group_lingers(int linger)
{
	struct proc p;
	int fds[2];
	char c = 0;
	pid_t pid;

	CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
	CHECK(pipe(fds) == 0);
	pid = proc__fork(&p, PROC_GROUP | (linger ? PROC_LINGER : 0), 0, 0);
	if (pid == 0) {
		if (fork() == 0) {
			sigset_t set;
			int sig;

			sigemptyset(&set);
			sigaddset(&set, SIGTERM);
			sigprocmask(SIG_BLOCK, &set, NULL);
			if (write(fds[1], "w", 1) != 1)
				_exit(1);
			sigwait(&set, &sig);
			nanosleep(&(struct timespec){ 0, 300000000L }, NULL);
			if (write(fds[1], "e", 1) != 1)
				_exit(1);
			_exit(7);
		}
		_exit(0); /* the leader leaves its worker behind */
	}
	close(fds[1]);
	CHECK(read(fds[0], &c, 1) == 1 && c == 'w');
	proc__wait(&p);
	CHECK_EQ_INT(p.end, PROC_EXITED);
	/* the worker wrote its end before proc__wait returned, or never */
	c = 0;
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	CHECKF(linger ? read(fds[0], &c, 1) == 1 && c == 'e' : read(fds[0], &c, 1) <= 0,
	       "linger %d: the worker %s", linger, c == 'e' ? "ended on its own" : "did not end on its own");
	if (!linger) { /* killed at once: its zombie is ours to reap */
		int ws = 0;

		CHECK(waitpid(-pid, &ws, 0) > 0 && WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
	}
	CHECK(kill(-pid, 0) && errno == ESRCH); /* nothing of the group is left */
	close(fds[0]);
}

static void stop_on_request(void)
{
	struct proc p;
	pid_t pid = proc__fork(&p, 0, 0, 0);

	if (pid == 0) {
		pause();
		_exit(0);
	}
	CHECK(!proc__step(&p));
	proc__stop(&p);
	proc__wait(&p);
	CHECK_EQ_INT(p.end, PROC_STOPPED);
	CHECK(WIFSIGNALED(p.wstatus) && WTERMSIG(p.wstatus) == SIGTERM);
}

int main(void)
{
	exits_on_its_own();
	crashes();
	deadline_terminates();
	grace_per_level();
	group_ends_together();
	group_lingers(1);
	group_lingers(0);
	stop_on_request();
	grace_then_kill();
	return check_exit();
}
