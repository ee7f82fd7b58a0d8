/*
 * boot_stage.c - boot stages on a console (docs/virtualization.md, "Boot
 * stages"): which line of a boot each stage is (a known banner, a pattern
 * of the user's, the console string), and when it appeared: the time a
 * logger put before the line (grabserial -t, moreutils ts, tio, or emudiff's
 * own copy of QEMU's console).
 */
#include "hw.h"
#include "common.h"

#include <stdlib.h>
#include <string.h>

static int add(struct boot_stages *s, const char *word, const char *name, const char *pattern, int user)
{
	struct boot_stage *st = NULL;
	int rc;

	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].name, name))
			st = &s->v[i];
	if (st && st->user)
		return error("--stage %s: stage '%s' is given twice", word, name);
	if (!st) {
		if (s->n == BOOT_STAGE_MAX)
			return error("--stage %s: at most %d stages", word, BOOT_STAGE_MAX);
		st = &s->v[s->n++];
		memset(st, 0, sizeof(*st));
		snprintf(st->name, sizeof(st->name), "%s", name);
		boot_stage__metric(st->metric, sizeof(st->metric), name);
	} else {
		/* a known stage's pattern replaced by the user's */
		regfree(&st->re);
	}
	st->pattern = pattern;
	st->user = user;
	rc = regcomp(&st->re, pattern, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		char why[160];

		regerror(rc, &st->re, why, sizeof(why));
		st->literal = 1; /* nothing to free */
		return error("--stage %s: not a POSIX extended regular expression: %s", word, why);
	}
	return 0;
}

static int add_spec(struct boot_stages *s, char *spec)
{
	char *eq = strchr(spec, '='), name[BOOT_STAGE_NAME_MAX + 2];

	if (!eq || eq == spec || (size_t)(eq - spec) > BOOT_STAGE_NAME_MAX || !eq[1])
		return error("--stage %s: expected NAME=REGEX (NAME 1-%d characters of [a-z0-9_])", spec,
			     BOOT_STAGE_NAME_MAX);
	snprintf(name, sizeof(name), "%.*s", (int)(eq - spec), spec);
	if (!boot_stage__valid_name(name))
		return error("--stage %s: the name '%s' is not 1-%d characters of [a-z0-9_]", spec, name,
			     BOOT_STAGE_NAME_MAX);
	if (!strcmp(name, BOOT_STAGE_CONSOLE) || !strcmp(name, BOOT_STAGE_BOOT))
		return error("--stage %s: '%s' is a console string's stage (--%s-console)", spec, name,
			     !strcmp(name, BOOT_STAGE_BOOT) ? "boot" : "until");
	return add(s, spec, name, eq + 1, 1);
}

int boot_stages__init(struct boot_stages *s, char *const *specs, size_t n, const char *console)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < boot_stage_words_count; i++)
		if (add(s, boot_stage_words[i].name, boot_stage_words[i].name, boot_stage_words[i].pattern, 0))
			goto bad;
	for (size_t i = 0; i < n; i++)
		if (add_spec(s, specs[i]))
			goto bad;
	if (console && *console) {
		struct boot_stage *st;

		if (s->n == BOOT_STAGE_MAX) {
			error("--until-console: at most %d stages with --stage", BOOT_STAGE_MAX);
			goto bad;
		}
		st = &s->v[s->n++];
		memset(st, 0, sizeof(*st));
		snprintf(st->name, sizeof(st->name), "%s", BOOT_STAGE_CONSOLE);
		boot_stage__metric(st->metric, sizeof(st->metric), BOOT_STAGE_CONSOLE);
		st->pattern = console;
		st->literal = 1;
	}
	return 0;
bad:
	boot_stages__free(s);
	return -1;
}

void boot_stages__free(struct boot_stages *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (!s->v[i].literal)
			regfree(&s->v[i].re);
	s->n = 0;
}

/* Digits at *p as a number (at most 12 of them); the count read, 0 for none. */
static int digits(const char **p, int64_t *v)
{
	int k = 0;

	*v = 0;
	while (**p >= '0' && **p <= '9' && k < 12) {
		*v = 10 * *v + (**p - '0');
		(*p)++;
		k++;
	}
	return **p >= '0' && **p <= '9' ? 0 : k;
}

/* A fraction after the point as ns (digits beyond the 9th dropped). */
static int fraction(const char **p, int64_t *ns)
{
	int k = 0;

	*ns = 0;
	while (**p >= '0' && **p <= '9') {
		if (k < 9)
			*ns = 10 * *ns + (**p - '0');
		(*p)++;
		k++;
	}
	for (int i = k; i < 9; i++)
		*ns *= 10;
	return k;
}

/* S.F or HH:MM:SS[.F] at *p into ns; 0 when neither. */
static int stamp(const char **p, int64_t *ns)
{
	int64_t a, b, c, f = 0;
	const char *q = *p;

	if (!digits(&q, &a))
		return 0;
	if (*q == '.') {
		q++;
		if (!fraction(&q, &f))
			return 0;
		*ns = a * 1000000000 + f;
		*p = q;
		return 1;
	}
	/* a clock since the logger's start: hours, then two-digit minutes and seconds */
	if (*q != ':' || (q++, digits(&q, &b)) != 2 || b > 59 || *q != ':' || (q++, digits(&q, &c)) != 2 || c > 59)
		return 0;
	if (*q == '.' && (q++, !fraction(&q, &f)))
		return 0;
	*ns = ((a * 60 + b) * 60 + c) * 1000000000 + f;
	*p = q;
	return 1;
}

int boot_line__time(const char *line, int64_t *ns, const char **rest)
{
	const char *p = line;
	int bracket = *p == '[';
	int64_t delta;

	*rest = line;
	p += bracket;
	/* "[" then a digit: Linux's "[    0.000000]" (padded) is the kernel's clock, not a logger's */
	if (!stamp(&p, ns))
		return 0;
	if (bracket) {
		const char *q = p;

		/* grabserial -t: "[elapsed delta]" */
		if (*q == ' ' && (q++, stamp(&q, &delta)))
			p = q;
		if (*p++ != ']')
			return 0;
	}
	if (*p != ' ' && *p != '\t' && (bracket ? *p != '\0' : 1))
		return 0;
	if (*p)
		p++;
	*rest = p;
	return 1;
}

void boot_times__line(const struct boot_stages *s, struct boot_times *t, const char *text, int timed, int64_t ns)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct boot_stage *st = &s->v[i];
		uint32_t bit = 1u << i;
		int hit;

		if (t->seen & bit)
			continue;
		hit = st->literal ? strstr(text, st->pattern) != NULL : !regexec(&st->re, text, 0, NULL, 0);
		if (!hit)
			continue;
		if (timed) {
			t->seen |= bit;
			t->ns[i] = ns;
		} else {
			t->untimed |= bit;
		}
	}
}

const char *boot_stages__names(const struct boot_stages *s, uint32_t mask, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n && len < n; i++)
		if (mask & (1u << i))
			len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? ", " : "", s->v[i].name);
	return buf;
}
