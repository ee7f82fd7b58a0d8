/*
 * console_cyclictest.c - cyclictest's output as a guest frames it on its
 * console (datasets/linux-guest/init, docs/servers.md "Latency in the guest"):
 *
 *   @emudiff cyclictest begin
 *   <cyclictest's stdout, line by line>
 *   @emudiff cyclictest end exit=<its exit status> lines=<the lines between>
 *
 * Each line may carry a time before it (the collector's timed console copy,
 * a serial logger's: boot_line__time); the frame's lines are found anywhere
 * in theirs (firmware escapes may lead). The lines between are parsed by
 * cyclictest__parse, one definition for every path, with the console's line
 * numbers in its errors. One frame per console: a second is refused, as a
 * frame without its end, an end without a frame, a count that differs from
 * the lines seen (lines lost, or the kernel's printed in between) and a
 * cyclictest that exited non-zero.
 */
#include "collect.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define CT_BEGIN "@emudiff cyclictest begin"
#define CT_END "@emudiff cyclictest end"
#define CT_STDERR "emudiff-guest: cyclictest: " /* the init's prefix of cyclictest's stderr */

struct frame {
	const char *label;
	char *why;
	size_t n;
	unsigned begin, end; /* line numbers; 0: not seen */
	long long exit_code, lines;
	unsigned seen;       /* lines between begin and end */
	char stderr1[120];   /* cyclictest's first stderr line, for a failed run's why */
};

static int bad(struct frame *fr, unsigned line, const char *fmt, ...) EMUDIFF_PRINTF(3, 4);
static int bad(struct frame *fr, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int k = line ? snprintf(fr->why, fr->n, "%s:%u: ", fr->label, line) : snprintf(fr->why, fr->n, "%s: ", fr->label);

	va_start(ap, fmt);
	if (k >= 0 && (size_t)k < fr->n)
		vsnprintf(fr->why + k, fr->n - (size_t)k, fmt, ap);
	va_end(ap);
	return 1;
}

/* "exit=N lines=M" after the end marker, nothing else. */
static int end_line(struct frame *fr, const char *rest, unsigned lineno)
{
	int used = 0;

	if (sscanf(rest, " exit=%lld lines=%lld%n", &fr->exit_code, &fr->lines, &used) != 2 ||
	    rest[used + strspn(rest + used, " \t")] || fr->lines < 0)
		return bad(fr, lineno, "malformed frame end: not '" CT_END " exit=N lines=N'");
	fr->end = lineno;
	return 0;
}

/* One console line (its end cut off): kept in out when inside the frame,
 * an empty line there otherwise, so that out's line numbers are the console's. */
static int frame_line(struct frame *fr, char *line, unsigned lineno, FILE *out)
{
	const char *text, *at;
	int64_t ns;
	int rc = 0;

	if ((at = strstr(line, CT_BEGIN)) && !at[strlen(CT_BEGIN) + strspn(at + strlen(CT_BEGIN), " \t")]) {
		if (fr->begin && !fr->end)
			return bad(fr, lineno, "a second frame begins inside the one of line %u", fr->begin);
		if (fr->end)
			return bad(fr, lineno, "a second framed cyclictest output (the first: lines %u-%u)", fr->begin,
				   fr->end);
		fr->begin = lineno;
	} else if ((at = strstr(line, CT_END)) && (at[strlen(CT_END)] == ' ' || !at[strlen(CT_END)])) {
		if (!fr->begin || fr->end)
			return bad(fr, lineno, "frame end without its begin ('" CT_BEGIN "')");
		rc = end_line(fr, at + strlen(CT_END), lineno);
	} else if (fr->begin && !fr->end) {
		boot_line__time(line, &ns, &text);
		fr->seen++;
		fputs(text, out);
	} else if (!fr->begin && !fr->stderr1[0] && (at = strstr(line, CT_STDERR))) {
		snprintf(fr->stderr1, sizeof(fr->stderr1), "%s", at + strlen(CT_STDERR));
	}
	fputc('\n', out);
	return rc;
}

/* The frame's lines (empty lines elsewhere) into *buf; 0, or 1 with why. */
static int frame_read(FILE *f, struct frame *fr, char **buf, size_t *len)
{
	FILE *out = open_memstream(buf, len);
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	unsigned lineno = 0;
	int rc = 0;

	if (!out)
		return bad(fr, 0, "%s", strerror(errno));
	while (!rc && (got = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (memchr(line, 0, (size_t)got)) {
			rc = bad(fr, lineno, "NUL byte in a text line");
			break;
		}
		line[strcspn(line, "\r\n")] = 0;
		rc = frame_line(fr, line, lineno, out);
	}
	if (!rc && ferror(f))
		rc = bad(fr, 0, "read error: %s", strerror(errno));
	free(line);
	fclose(out);
	if (rc)
		return rc;
	if (!fr->begin)
		return bad(fr, 0, "no framed cyclictest output ('" CT_BEGIN "') in its %u lines", lineno);
	if (!fr->end)
		return bad(fr, fr->begin, "the framed cyclictest output has no end (the console ends inside it)");
	if (fr->exit_code)
		return bad(fr, fr->end, "cyclictest exited %lld in the guest%s%s%s", fr->exit_code,
			   fr->stderr1[0] ? " (" : "", fr->stderr1, fr->stderr1[0] ? ")" : "");
	if ((long long)fr->seen != fr->lines)
		return bad(fr, fr->end, "%u lines in the frame, the guest printed %lld (lines lost, or other output "
			   "in between)", fr->seen, fr->lines);
	return 0;
}

int cyclictest__read_console(FILE *f, const char *label, struct cyclictest *ct, char *why, size_t n)
{
	struct frame fr = { .label = label, .why = why, .n = n };
	char *buf = NULL;
	size_t len = 0;
	FILE *in;
	int rc;

	memset(ct, 0, sizeof(*ct));
	why[0] = '\0';
	rc = frame_read(f, &fr, &buf, &len);
	if (!rc) {
		in = fmemopen(buf, len ? len : 1, "r");
		if (!in)
			rc = bad(&fr, 0, "%s", strerror(errno));
		else if (cyclictest__parse(in, label, ct))
			rc = 1 + bad(&fr, fr.begin, "the framed cyclictest output (lines %u-%u) does not parse: the "
				     "error above names the line", fr.begin, fr.end);
		if (in)
			fclose(in);
	}
	free(buf);
	return rc;
}
