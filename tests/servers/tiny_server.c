/*
 * tiny_server.c - a single-process HTTP/1.0 server for the client-server
 * tests: `tiny_server PORT [--never-listen|--ignore-term|--crash-after N]`.
 * It binds 127.0.0.1 only, answers every request with a small page, and
 * exits 0 on SIGTERM; the options make the faults of issue #20 on purpose.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	static const char page[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n";
	struct sockaddr_in a = { .sin_family = AF_INET };
	int port = argc > 1 ? atoi(argv[1]) : 0, one = 1, fd, served = 0, crash_after = -1;
	const char *mode = argc > 2 ? argv[2] : "";
	struct sigaction sa = { .sa_handler = on_term };

	if (port <= 0) {
		fprintf(stderr, "usage: tiny_server PORT [--never-listen|--ignore-term|--crash-after N]\n");
		return 2;
	}
	if (!strcmp(mode, "--crash-after") && argc > 3)
		crash_after = atoi(argv[3]);
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
	while (!stop) {
		char buf[2048];
		int c = accept(fd, NULL, NULL);
		ssize_t n;

		if (c < 0) {
			if (errno == EINTR)
				continue;
			perror("accept");
			return 1;
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
	printf("tiny_server: served %d requests\n", served);
	return 0;
}
