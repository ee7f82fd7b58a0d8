/*
 * phase_net.c - network ping-pong over loopback TCP: small messages sent from
 * one socket of a connection to the other and echoed back. Both ends live in
 * this one thread (loopback delivers a message before write() returns), so
 * the program stays single-threaded, which QEMU 7's plugin counters need to
 * be exact. Nearly all the time is system calls and the network stack,
 * invisible to an instruction count.
 */
#include "synth.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { NET_MSG = 64 };

static int read_full(int fd, char *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int send_recv(int from, int to, char *msg)
{
	if (write(from, msg, NET_MSG) != NET_MSG)
		return -1;
	return read_full(to, msg, NET_MSG);
}

uint64_t phase_net(const struct synth_sizes *z)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t alen = sizeof(addr);
	char msg[NET_MSG];
	uint64_t sum = 0;
	int lfd, client = -1, server = -1, one = 1;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) || listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&addr, &alen)) {
		perror("wl-synth: net_tcp: listen on loopback");
		sum = SYNTH_FAILED;
		goto out;
	}
	/* the handshake completes in the kernel's backlog, before accept() */
	client = socket(AF_INET, SOCK_STREAM, 0);
	if (client < 0 || connect(client, (struct sockaddr *)&addr, sizeof(addr)) ||
	    (server = accept(lfd, NULL, NULL)) < 0) {
		perror("wl-synth: net_tcp: connect");
		sum = SYNTH_FAILED;
		goto out;
	}
	setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(msg, 'e', sizeof(msg));
	for (uint64_t i = 0; i < z->net_msgs; i++) {
		uint64_t back;

		memcpy(msg, &i, sizeof(i));
		if (send_recv(client, server, msg) || send_recv(server, client, msg)) {
			perror("wl-synth: net_tcp: ping-pong");
			sum = SYNTH_FAILED;
			goto out;
		}
		memcpy(&back, msg, sizeof(back));
		if (back != i) {
			sum = SYNTH_FAILED;
			goto out;
		}
		sum += back;
	}
out:
	if (server >= 0)
		close(server);
	if (client >= 0)
		close(client);
	if (lfd >= 0)
		close(lfd);
	return sum;
}
