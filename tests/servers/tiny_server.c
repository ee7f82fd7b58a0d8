/*
 * tiny_server.c - a single-process HTTP/1.0 server for the client-server
 * tests: `tiny_server PORT [--never-listen|--ignore-term|--crash-after N|
 * --workers N|--orphan-workers N]`. It binds 127.0.0.1 only, answers every request with a small
 * page, and exits 0 on SIGTERM; the options make the faults of issue #20 on
 * purpose. --workers N: N forked workers accept on the socket, and the
 * master, on SIGTERM, ends them as lighttpd's does (kill(0, SIGTERM): its
 * whole process group), reaps them and says how many ended cleanly.
 * --orphan-workers N: the same, but the master exits at once without reaping
 * them, as lighttpd's does, and each worker takes 300 ms to shut down (as a
 * worker under QEMU takes to write its plugin output) before it reports.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* The accept loop of one process until SIGTERM; the requests it served. */
static int serve(int fd, int crash_after)
{
	static const char page[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n";
	int served = 0;

	while (!stop) {
		char buf[2048];
		int c = accept(fd, NULL, NULL);
		ssize_t n;

		if (c < 0) {
			if (errno == EINTR)
				continue;
			perror("accept");
			exit(1);
		}
		n = read(c, buf, sizeof(buf));
		if (n > 0) {
			if (write(c, page, sizeof(page) - 1) < 0)
				perror("write");
			served++;
		}
		close(c);
		if (crash_after >= 0 && served >= crash_after)
			abort();
	}
	return served;
}

/* --workers N: the master forks the workers, waits for SIGTERM, then ends its
 * whole process group (as lighttpd's master does) and reaps them; orphan:
 * leaves them to end on their own. */
static int master(int fd, int n, int orphan)
{
	int clean = 0, served;

	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			served = serve(fd, -1);
			if (orphan)
				nanosleep(&(struct timespec){ 0, 300000000L }, NULL);
			printf("tiny_server: worker %d served %d requests\n", i, served);
			return 0;
		}
	}
	while (!stop)
		pause();
	kill(0, SIGTERM);
	if (orphan) {
		printf("tiny_server: the master leaves %d workers\n", n);
		return 0;
	}
	for (int i = 0; i < n; i++) {
		int ws;

		if (wait(&ws) > 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
			clean++;
	}
	printf("tiny_server: %d of %d workers ended cleanly\n", clean, n);
	return clean == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int port = argc > 1 ? atoi(argv[1]) : 0, one = 1, fd, crash_after = -1, workers = 0, orphan = 0;
	const char *mode = argc > 2 ? argv[2] : "";
	struct sigaction sa = { .sa_handler = on_term };

	if (port <= 0) {
		fprintf(stderr, "usage: tiny_server PORT [--never-listen|--ignore-term|--crash-after N|--[orphan-]workers N]\n");
		return 2;
	}
	if (!strcmp(mode, "--crash-after") && argc > 3)
		crash_after = atoi(argv[3]);
	if ((!strcmp(mode, "--workers") || !strcmp(mode, "--orphan-workers")) && argc > 3)
		workers = atoi(argv[3]);
	orphan = !strcmp(mode, "--orphan-workers");
	if (!strcmp(mode, "--ignore-term"))
		signal(SIGTERM, SIG_IGN);
	else
		sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: accept returns EINTR */
	if (!strcmp(mode, "--never-listen")) {
		while (!stop)
			pause();
		return 0;
	}
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 64)) {
		perror("tiny_server: 127.0.0.1");
		return 1;
	}
	printf("tiny_server: listening on 127.0.0.1:%d\n", port);
	fflush(stdout);
	if (workers > 0)
		return master(fd, workers, orphan);
	printf("tiny_server: served %d requests\n", serve(fd, crash_after));
	return 0;
}
