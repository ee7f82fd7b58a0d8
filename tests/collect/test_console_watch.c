/*
 * test_console_watch.c - a string watched for on a console as it arrives
 * (collect/console_watch.c): seen when its bytes are split across reads, at
 * the time of the read that completes it, once; never for an empty needle;
 * not for a near miss.
 */
#include "check.h"
#include "collect.h"

#include <string.h>

static void feed(struct console_watch *w, const char *s, int64_t now, int want)
{
	CHECK_EQ_INT(console_watch__feed(w, s, strlen(s), now), want);
}

int main(void)
{
	struct console_watch w;

	/* split over three reads, after other output */
	console_watch__init(&w, "emudiff-guest: init reached");
	feed(&w, "Booting from ROM..\x1b[2Jemudiff-gu", 10, 0);
	feed(&w, "est: init", 20, 0);
	CHECK(!w.seen && w.at_ns == -1);
	feed(&w, " reached\r\n@emudiff mark 1 time=5\r\n", 30, 1);
	CHECK(w.seen && w.at_ns == 30);
	/* once: the second appearance changes nothing */
	feed(&w, "emudiff-guest: init reached\n", 40, 0);
	CHECK_EQ_INT(w.at_ns, 30);
	console_watch__free(&w);

	/* a near miss, then the string itself within one read */
	console_watch__init(&w, "serving http");
	feed(&w, "serving htt\nserving http", 5, 1);
	CHECK_EQ_INT(w.at_ns, 5);
	console_watch__free(&w);

	/* no needle: nothing is ever seen */
	console_watch__init(&w, NULL);
	feed(&w, "anything", 1, 0);
	console_watch__free(&w);
	console_watch__init(&w, "");
	feed(&w, "", 1, 0);
	CHECK(!w.seen);
	console_watch__free(&w);
	return check_exit();
}
