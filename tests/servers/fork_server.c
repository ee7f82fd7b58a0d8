/*
 * fork_server.c - a server that forks a worker per request, each making a
 * known number of system calls, for the workers tests (docs/servers.md,
 * "Workers"): `fork_server PORT N K`.
 *
 * Before it listens it forks a start-up helper and waits for it; it then
 * answers every request on 127.0.0.1:PORT with a small page, and after
 * each of its first N requests (request i = 1..N; a connection without one,
 * the collector's readiness probe, is none) forks a worker; on
 * SIGTERM it forks a shutdown helper, waits for every child and exits 0.
 * Each child makes its getppid() calls (the helpers K, worker i i*K) and
 * exit_group(0), nothing else: fork and the calls are raw system calls, so
 * that no library code runs in a child. A worker thus enters i*K + 1 system
 * calls (natively, raw_syscalls:sys_enter); under QEMU the plugin counts one
 * more, the fork returning in the child. The helpers ran before and after
 * the load: none of its workers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* A child making n getppid() calls, then exit_group(0); the pid in the parent.
 * It is forked with every signal blocked, and keeps them blocked: the
 * collector's SIGTERM to the server's group, should it come while the child
 * runs, must not run the handler there (its return is a system call too). */
static long child(long n)
{
	sigset_t all, old;
	long pid;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = syscall(SYS_fork);
	if (pid == 0) {
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
		syscall(SYS_exit_group, 0);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		perror("fork_server: fork");
		exit(1);
	}
	return pid;
}

/* Wait for every child; how many ended with status 0. */
static int reap_all(void)
{
	int ws, clean = 0;

	for (;;) {
		pid_t p = wait(&ws);

		if (p > 0) {
			clean += WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
			continue;
		}
		if (errno == EINTR)
			continue;
		return clean; /* ECHILD */
	}
}

static int listen_on(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 64)) {
		perror("fork_server: 127.0.0.1");
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	static const char page[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n";
	int port = argc > 3 ? atoi(argv[1]) : 0, n = argc > 3 ? atoi(argv[2]) : -1, clean, served = 0, fd;
	long k = argc > 3 ? atol(argv[3]) : -1;
	struct sigaction sa = { .sa_handler = on_term };

	if (port <= 0 || n < 0 || k < 0) {
		fprintf(stderr, "usage: fork_server PORT N K\n");
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: accept returns EINTR */
	child(k);
	clean = reap_all();
	fd = listen_on(port);
	printf("fork_server: listening on 127.0.0.1:%d\n", port);
	fflush(stdout);
	while (!stop) {
		char buf[2048];
		int c = accept(fd, NULL, NULL);

		if (c < 0) {
			if (errno == EINTR)
				continue;
			perror("fork_server: accept");
			return 1;
		}
		/* a connection without a request (the collector's readiness probe) is none */
		if (read(c, buf, sizeof(buf)) <= 0) {
			close(c);
			continue;
		}
		if (write(c, page, sizeof(page) - 1) < 0)
			perror("fork_server: write");
		close(c);
		if (++served <= n)
			child(served * k);
		for (int ws; waitpid(-1, &ws, WNOHANG) > 0;)
			clean += WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
	}
	child(k);
	clean += reap_all();
	printf("fork_server: served %d requests, %d of %d children ended cleanly\n", served,
	       clean, 2 + (served < n ? served : n));
	return 0;
}
