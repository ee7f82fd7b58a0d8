/*
 * plugin_exit.c - when the output is written: at exit, on SIGTERM or SIGINT
 * in user mode (through a writer thread), and what a forked child resets.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin_state.h"

void on_exit_(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	state_lock();
	if (!output_written) {
		output_written = true;
		write_output(true);
	}
	state_unlock();
}

/*
 * SIGTERM (and SIGINT) in user mode: QEMU hands the signal to the guest, and a guest
 * killed by a signal leaves without running QEMU's atexit hooks. So the
 * plugin puts its own handler in front of QEMU's (once the guest runs, after
 * QEMU installed its handlers): it wakes a plugin thread that writes the
 * output (stdio is not async-signal-safe, so not in the handler), puts
 * QEMU's handler back and sends SIGTERM again, which QEMU then delivers to
 * the guest as usual. If the guest survives, its normal exit rewrites the
 * file with the final counts. System mode needs none of this: QEMU shuts
 * down cleanly on SIGTERM and runs the atexit hook.
 */
static int term_pipe[2] = { -1, -1 };
static bool term_active; /* our handler and its writer thread are in place */
static struct sigaction qemu_term_action, qemu_int_action;

static void on_sigterm(int sig)
{
	char c = (char)sig;
	int saved = errno;
	ssize_t r = write(term_pipe[1], &c, 1);

	(void)r;
	errno = saved;
}

static void *term_thread(void *arg)
{
	char c;

	(void)arg;
	while (read(term_pipe[0], &c, 1) < 0)
		if (errno != EINTR)
			return NULL;
	state_lock();
	if (!output_written)
		write_output(false);
	state_unlock();
	sigaction(SIGTERM, &qemu_term_action, NULL);
	sigaction(SIGINT, &qemu_int_action, NULL);
	kill(getpid(), c == SIGINT ? SIGINT : SIGTERM);
	return NULL;
}

/* The thread blocks every signal, so that none is delivered to it. */
static int term_thread_start(void)
{
	sigset_t all, old;
	pthread_t t;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&t, NULL, term_thread, NULL);

	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return -1;
	pthread_detach(t);
	return 0;
}

/* Called at translation time under the lock, once. */
void term_install(void)
{
	struct sigaction sa;

	term_installed = true;
	if (pipe(term_pipe))
		return;
	if (term_thread_start())
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigterm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, &qemu_term_action);
	sigaction(SIGINT, &sa, &qemu_int_action);
	term_active = true;
}

/*
 * A guest fork (user mode): QEMU calls fork() on the vCPU thread doing the
 * guest's fork, so these run around it. The lock is held across the fork so
 * that the child inherits consistent tables and an unlocked lock.
 */
void fork_prepare(void)
{
	state_lock();
}

void fork_parent(void)
{
	state_unlock();
}

/* The child starts afresh, as if the plugin had been loaded at the fork. The
 * translated blocks and their segments are inherited and stay valid; only
 * what they counted is the parent's. */
void fork_child(void)
{
	chunked__truncate(&marks, 0);
	chunked__truncate(&mark_values, 0);
	chunked__truncate(&msym_entries, 0);
	free(events.slots);
	memset(&events, 0, sizeof(events));
	msym_visits = 0;
	msym_stopped = false;
	msym_complete = 0;
	have_exit_code = false;
	output_written = false;
	vcpus__fork_child();
	stamp__start();
	/* threads are not copied by fork: the child needs its own SIGTERM
	 * writer, on its own pipe (the inherited one would wake the parent's) */
	if (term_active) {
		close(term_pipe[0]);
		close(term_pipe[1]);
		if (pipe(term_pipe) || term_thread_start()) {
			/* without a writer SIGTERM would vanish: give it back to QEMU */
			sigaction(SIGTERM, &qemu_term_action, NULL);
			sigaction(SIGINT, &qemu_int_action, NULL);
			term_active = false;
		}
	}
	state_unlock();
}
