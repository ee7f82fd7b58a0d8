/*
 * tiny_driver.c - a load generator of one's own for the client-server tests:
 * `tiny_driver PORT REQUESTS [--fail]` sends REQUESTS HTTP/1.0 requests to
 * 127.0.0.1:PORT one after the other and prints its report in emudiff's
 * driver format: `@emudiff driver requests=N requests_per_s=X p50_ns=X
 * p99_ns=X errors=N`. --fail: exit 3 after the requests (a driver failing).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static const char req[] = "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	int port = argc > 2 ? atoi(argv[1]) : 0, n = argc > 2 ? atoi(argv[2]) : 0, errors = 0, ok = 0;
	double *lat, t0;
	struct sockaddr_in a = { .sin_family = AF_INET };

	if (port <= 0 || n <= 0 || n > 1000000) {
		fprintf(stderr, "usage: tiny_driver PORT REQUESTS [--fail]\n");
		return 2;
	}
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lat = calloc((size_t)n, sizeof(*lat));
	t0 = now();
	for (int i = 0; i < n; i++) {
		double t = now();
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		char buf[512];
		ssize_t got, total = 0;

		if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
		    write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1) {
			errors++;
		} else {
			while ((got = read(fd, buf, sizeof(buf))) > 0)
				total += got;
			if (total > 12 && !memcmp(buf, "HTTP/1.0 200", 12))
				lat[ok++] = now() - t;
			else
				errors++;
		}
		if (fd >= 0)
			close(fd);
	}
	qsort(lat, (size_t)ok, sizeof(*lat), cmp);
	printf("@emudiff driver requests=%d requests_per_s=%.1f p50_ns=%.0f p99_ns=%.0f errors=%d\n", ok,
	       ok / ((now() - t0) / 1e9), ok ? lat[ok / 2] : 0.0, ok ? lat[(ok * 99) / 100 < ok ? (ok * 99) / 100 : ok - 1] : 0.0,
	       errors);
	free(lat);
	return argc > 3 && !strcmp(argv[3], "--fail") ? 3 : 0;
}
