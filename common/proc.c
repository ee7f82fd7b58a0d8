/* proc.c - the one supervisor of child processes and its deadline policy (common.h). */
#include "common.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void signal_child(const struct proc *p, int sig)
{
	if (p->flags & PROC_GROUP && kill(-p->pid, sig) == 0)
		return;
	kill(p->pid, sig);
}

/* proc__children's: the collector of a server sets PROC_GROUP before it starts it */
static unsigned children_flags;

void proc__children(unsigned flags)
{
	children_flags = flags;
	if (flags & PROC_LINGER)
		prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0UL, 0UL, 0UL);
}

static void sleep_ms(int ms)
{
	nanosleep(&(struct timespec){ ms / 1000, (long)(ms % 1000) * 1000000L }, NULL);
}

/* The leader of a PROC_LINGER group has ended: the rest of the group gets
 * SIGTERM (unless the group had it already) and the grace to end, SIGKILL
 * after it; orphans handed to this process (its subreaper) are reaped here. */
static void linger(const struct proc *p, pid_t pgid)
{
	int64_t until = now_ns() + p->grace_ns, killed_at = 0;

	if (!p->term_ns || p->killed)
		kill(-pgid, p->killed ? SIGKILL : SIGTERM);
	for (;;) {
		while (waitpid(-pgid, NULL, WNOHANG) > 0)
			;
		if (kill(-pgid, 0) && errno == ESRCH)
			return;
		if (!killed_at && now_ns() >= until) {
			kill(-pgid, SIGKILL);
			killed_at = now_ns();
		}
		/* zombies that another process must reap: not waited for long */
		if (killed_at && now_ns() - killed_at > 1000000000LL)
			return;
		sleep_ms(10);
	}
}

void proc__adopt(struct proc *p, pid_t pid, unsigned flags, double timeout_s, int levels)
{
	flags |= children_flags;
	/* a child that has exec'd already refuses (EACCES); proc__fork's did it itself */
	if (flags & PROC_GROUP && pid > 0)
		setpgid(pid, pid);
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->flags = flags;
	p->start_ns = now_ns();
	p->deadline_ns = timeout_s > 0 ? p->start_ns + (int64_t)(timeout_s * 1e9) : 0;
	p->grace_ns = (int64_t)PROC_GRACE_S * 1000000000LL * (1 + (levels > 0 ? levels : 0));
	p->end = PROC_RUNNING;
}

pid_t proc__fork(struct proc *p, unsigned flags, double timeout_s, int levels)
{
	pid_t pid;

	flags |= children_flags;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (flags & PROC_GROUP)
			setpgid(0, 0);
		return 0;
	}
	/* in the parent too (proc__adopt), so that a signal sent at once reaches the group */
	proc__adopt(p, pid, flags, timeout_s, levels);
	return pid;
}

static void term(struct proc *p, enum proc_end why)
{
	if (p->term_ns)
		return;
	signal_child(p, SIGTERM);
	p->term_ns = now_ns();
	p->end = why;
}

void proc__stop(struct proc *p)
{
	if (p->pid > 0 && p->end == PROC_RUNNING)
		term(p, PROC_STOPPED);
}

int proc__step(struct proc *p)
{
	int wstatus;
	pid_t r;
	int64_t now;

	if (p->pid <= 0)
		return 1;
	r = wait4(p->pid, &wstatus, WNOHANG, &p->ru);
	if (r == p->pid || (r < 0 && errno == ECHILD)) {
		p->wstatus = r == p->pid ? wstatus : 0;
		if (p->end == PROC_RUNNING)
			p->end = PROC_EXITED;
		/* the group may hold what the child started: end it with the child */
		if (p->flags & PROC_GROUP && p->flags & PROC_LINGER)
			linger(p, p->pid);
		else if (p->flags & PROC_GROUP)
			kill(-p->pid, SIGKILL);
		p->pid = -p->pid;
		return 1;
	}
	now = now_ns();
	if (p->end == PROC_RUNNING && p->deadline_ns && now >= p->deadline_ns)
		term(p, PROC_TIMEOUT);
	if (p->term_ns && !p->killed && now - p->term_ns >= p->grace_ns) {
		signal_child(p, SIGKILL);
		p->killed = 1;
	}
	return 0;
}

int proc__wait_ms(const struct proc *p, int cap_ms)
{
	int64_t now = now_ns(), next = -1, ms;

	if (p->term_ns && !p->killed)
		next = p->term_ns + p->grace_ns;
	else if (!p->term_ns && p->deadline_ns)
		next = p->deadline_ns;
	if (next < 0)
		return cap_ms;
	ms = next <= now ? 0 : (next - now + 999999) / 1000000;
	return ms < cap_ms ? (int)ms : cap_ms;
}

void proc__wait(struct proc *p)
{
	/* short sleeps: a child's exit is noticed within 20 ms */
	while (!proc__step(p))
		sleep_ms(proc__wait_ms(p, 20));
}

const char *proc__describe(const struct proc *p, char *buf, size_t size)
{
	double s = (double)(now_ns() - p->start_ns) / 1e9;

	if (p->end == PROC_TIMEOUT)
		snprintf(buf, size, "timeout: ended at its deadline after %.1f s%s", s,
			 p->killed ? " (SIGKILL after the grace period)" : "");
	else if (p->end == PROC_STOPPED)
		snprintf(buf, size, "stopped on request%s", p->killed ? " (SIGKILL after the grace period)" : "");
	else if (WIFEXITED(p->wstatus))
		snprintf(buf, size, "exit %d", WEXITSTATUS(p->wstatus));
	else if (WIFSIGNALED(p->wstatus))
		snprintf(buf, size, "signal %d (%s)", WTERMSIG(p->wstatus), strsignal(WTERMSIG(p->wstatus)));
	else
		snprintf(buf, size, "running");
	return buf;
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	interrupted = sig;
}

void proc__catch_interrupts(void)
{
	static const int sigs[] = { SIGINT, SIGTERM };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction sa, old;

		if (sigaction(sigs[i], NULL, &old) || old.sa_handler == SIG_IGN)
			continue;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_interrupt;
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
}

int proc__interrupted(void)
{
	return interrupted;
}
