/*
 * suite.c - the suite file of `emudiff study`, parsed with libinih.
 *
 *   [study]            name, tolerance, confidence, jobs, the Slurm jobs' sbatch
 *                      options (slurm.emulation, slurm.hw, slurm.report) and
 *                      slurm.hw_emudiff, and the defaults of every workload:
 *                      platforms, reps, warmup, pin, timeout, sample,
 *                      qemu (the QEMU binary of qemu-user/qemu-system cells)
 *   [workload NAME]    binary, args, arch, system, log, opts.<platform>, and the
 *                      defaults above for this workload only; driver, port,
 *                      ready_timeout, budget (serve.c), parse (parse.c)
 *   [pair NAME]        a, b (workload names), a_platform, b_platform
 *
 * The format is documented in the README (datasets section). Every error names
 * SUITE:LINE. libinih's handler does not see line numbers, so the file is read
 * through our own line reader, which counts lines, remembers where the last
 * [section] header was, and catches lines longer than libinih's buffer.
 */
#include "study.h"
#include "suite_int.h"
#include "common.h"

#include <errno.h>
#include <stdarg.h>
#include <ini.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <wordexp.h>

int study_platform_exclusive(enum platform p)
{
	return p == PLAT_HW || p == PLAT_HW_KVM;
}


struct parse_ctx {
	struct study_suite *s;
	FILE *f;
	int line;             /* line the reader returned last */
	int header_line;      /* line of the last [section] header */
	int cur_header;       /* header line of the section being filled */
	char *cur_section;    /* section of the previous handler call */
	int cur_index;        /* its workload or pair index, -1 for [study] */
	int err_line;         /* first error found by the handler, 0: none */
	char err[512];
	struct study_workload defaults;
	unsigned *set;        /* per workload: SET_* bits */
	unsigned study_set;   /* the same for [study] */
	char err_serve[256];  /* a reason from serve.c */
	char last_key[128];   /* key of the previous handler call (continuations) */
	int *headers, nheaders; /* lines of every [section] header, and whether */
	char *entered;          /* a key of that section reached the handler */
};

static void ctx_error(struct parse_ctx *c, const char *fmt, ...) EMUDIFF_PRINTF(2, 3);
static void ctx_error(struct parse_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err_line)
		return; /* keep the first */
	c->err_line = c->line;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

static char *line_reader(char *buf, int size, void *stream)
{
	struct parse_ctx *c = stream;
	const char *p;
	size_t len;

	if (!fgets(buf, size, c->f))
		return NULL;
	c->line++;
	len = strlen(buf);
	if (len == (size_t)size - 1 && buf[len - 1] != '\n' && !feof(c->f)) {
		ctx_error(c, "line longer than %d characters (continue a long value on indented lines)",
			  size - 2);
		/* skip the rest of the line so the count stays right */
		int ch;
		while ((ch = fgetc(c->f)) != EOF && ch != '\n')
			;
	}
	for (p = buf; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '[') {
		c->header_line = c->line;
		c->headers = xrealloc(c->headers, (size_t)(c->nheaders + 1) * sizeof(*c->headers));
		c->entered = xrealloc(c->entered, (size_t)(c->nheaders + 1));
		c->headers[c->nheaders] = c->line;
		c->entered[c->nheaders++] = 0;
	}
	return buf;
}

static int parse_int_key(struct parse_ctx *c, const char *key, const char *v, int lo, int hi, int *out)
{
	int64_t x;

	if (parse_i64(v, &x) || x < lo || x > hi) {
		ctx_error(c, "%s must be an integer in %d..%d, not '%s'", key, lo, hi, v);
		return -1;
	}
	*out = (int)x;
	return 0;
}

static int parse_platforms(struct parse_ctx *c, const char *v, unsigned *out)
{
	char *copy = xstrdup(v), *save = NULL;
	unsigned set = 0;

	for (char *t = strtok_r(copy, " \t,", &save); t; t = strtok_r(NULL, " \t,", &save)) {
		int p = platform__parse(t);

		if (p < 0 || p >= STUDY_PLATFORMS) {
			ctx_error(c, "unknown platform '%s' (qemu-user, qemu-system, hw, hw-kvm, console)", t);
			free(copy);
			return -1;
		}
		set |= 1u << p;
	}
	free(copy);
	if (!set) {
		ctx_error(c, "platforms is empty");
		return -1;
	}
	*out = set;
	return 0;
}

int study_words__split(const char *v, struct study_words *w, const char **why)
{
	wordexp_t we;
	int rc = wordexp(v, &we, WRDE_NOCMD);

	if (rc) {
		*why = rc == WRDE_BADCHAR ? "unquoted special character (one of | & ; < > ( ) { } newline)" :
		       rc == WRDE_CMDSUB  ? "command substitution is not allowed" :
		       rc == WRDE_SYNTAX  ? "unbalanced quotes" :
					    "cannot split into words";
		if (rc == WRDE_NOSPACE)
			wordfree(&we);
		return -1;
	}
	w->v = xrealloc(w->v, (size_t)(w->n + (int)we.we_wordc + 1) * sizeof(*w->v));
	for (size_t i = 0; i < we.we_wordc; i++)
		w->v[w->n++] = xstrdup(we.we_wordv[i]);
	w->v[w->n] = NULL;
	wordfree(&we);
	return 0;
}

/* Append the words of v (shell-like quoting, no command substitution). */
static int parse_words(struct parse_ctx *c, const char *key, const char *v, struct study_words *w)
{
	const char *why;

	if (study_words__split(v, w, &why)) {
		ctx_error(c, "%s: %s", key, why);
		return -1;
	}
	return 0;
}

void study_words__free(struct study_words *w)
{
	for (int i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	w->v = NULL;
	w->n = 0;
}

/* Keys shared by [study] (as defaults) and [workload] (for itself). */
static int common_key(struct parse_ctx *c, struct study_workload *w, unsigned *set, const char *key,
		      const char *v)
{
	static const struct {
		const char *key;
		unsigned bit;
	} bits[] = { { "platforms", SET_PLATFORMS }, { "reps", SET_REPS }, { "warmup", SET_WARMUP },
		     { "pin", SET_PIN },	     { "timeout", SET_TIMEOUT }, { "sample", SET_SAMPLE },
		     { "qemu", SET_QEMU } };

	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (!strcmp(key, bits[i].key) && (*set & bits[i].bit))
			return ctx_error(c, "key '%s' given twice in one section", key), -1;
	if (!strcmp(key, "platforms")) {
		*set |= SET_PLATFORMS;
		return parse_platforms(c, v, &w->platforms) ? -1 : 1;
	}
	if (!strcmp(key, "reps")) {
		*set |= SET_REPS;
		return parse_int_key(c, key, v, 1, 100000, &w->reps) ? -1 : 1;
	}
	if (!strcmp(key, "warmup")) {
		*set |= SET_WARMUP;
		return parse_int_key(c, key, v, 0, 1000, &w->warmup) ? -1 : 1;
	}
	if (!strcmp(key, "pin")) {
		*set |= SET_PIN;
		return parse_int_key(c, key, v, -1, 65535, &w->pin) ? -1 : 1;
	}
	if (!strcmp(key, "timeout")) {
		*set |= SET_TIMEOUT;
		return parse_int_key(c, key, v, 1, 7 * 24 * 3600, &w->timeout) ? -1 : 1;
	}
	if (!strcmp(key, "sample")) {
		*set |= SET_SAMPLE;
		return parse_int_key(c, key, v, 0, 100000, &w->sample) ? -1 : 1;
	}
	if (!strcmp(key, "qemu")) { /* collect qemu --qemu PATH */
		*set |= SET_QEMU;
		w->qemu = xstrdup(v);
		return 1;
	}
	return 0;
}

/* [study] slurm.emulation, slurm.hw, slurm.report: sbatch options of each job;
 * slurm.hw_emudiff: the emudiff that board nodes run. */
static int slurm_key(struct parse_ctx *c, const char *key, const char *v, int continuation)
{
	struct study_suite *s = c->s;
	int job = -1;

	for (int i = 0; i < SLURM_JOBS; i++)
		if (!strcmp(key + 6, study_slurm_job_names[i]))
			job = i;
	if (job < 0 && strcmp(key, "slurm.hw_emudiff"))
		return ctx_error(c, "unknown key '%s' in [study] (slurm.emulation, slurm.hw, slurm.report,"
				    " slurm.hw_emudiff)", key), -1;
	/* indented continuation lines of the options append (as in words_key) */
	if ((c->study_set & (job < 0 ? (unsigned)SET_HW_EMUDIFF : (unsigned)SET_SLURM << job)) &&
	    (job < 0 || !continuation))
		return ctx_error(c, "key '%s' given twice in [study]", key), -1;
	if (job >= 0) {
		c->study_set |= (unsigned)SET_SLURM << job;
		return parse_words(c, key, v, &s->slurm[job]);
	}
	c->study_set |= SET_HW_EMUDIFF;
	s->slurm_hw_emudiff = xstrdup(v);
	return 0;
}

static int study_key(struct parse_ctx *c, const char *key, const char *v, int continuation)
{
	struct study_suite *s = c->s;
	static const struct {
		const char *key;
		unsigned bit;
	} bits[] = { { "name", SET_NAME }, { "tolerance", SET_TOLERANCE }, { "confidence", SET_CONFIDENCE },
		     { "jobs", SET_JOBS } };
	int rc = common_key(c, &c->defaults, &c->study_set, key, v);

	if (rc)
		return rc < 0 ? -1 : 0;
	if (!strncmp(key, "slurm.", 6))
		return slurm_key(c, key, v, continuation);
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if (strcmp(key, bits[i].key))
			continue;
		if (c->study_set & bits[i].bit)
			return ctx_error(c, "key '%s' given twice in [study]", key), -1;
		c->study_set |= bits[i].bit;
	}
	if (!strcmp(key, "name")) {
		free(s->name);
		s->name = xstrdup(v);
	} else if (!strcmp(key, "tolerance")) {
		if (parse_double(v, &s->tolerance) || !(s->tolerance > 1.0))
			return ctx_error(c, "tolerance must be a number above 1, not '%s'", v), -1;
	} else if (!strcmp(key, "confidence")) {
		if (parse_double(v, &s->confidence) || !(s->confidence > 0.0 && s->confidence < 1.0))
			return ctx_error(c, "confidence must be a number between 0 and 1, not '%s'", v), -1;
	} else if (!strcmp(key, "jobs")) {
		return parse_int_key(c, key, v, 0, 1024, &s->jobs);
	} else {
		return ctx_error(c, "unknown key '%s' in [study]", key), -1;
	}
	return 0;
}

static int words_key(struct parse_ctx *c, int idx, unsigned bit, const char *key, const char *v,
		     int continuation, struct study_words *w)
{
	/* libinih calls again with the same key for each indented continuation
	 * line: those append; the key given again later is a mistake. */
	if ((c->set[idx] & bit) && !continuation)
		return ctx_error(c, "key '%s' given twice in [workload %s]", key, c->s->workloads[idx].name), -1;
	c->set[idx] |= bit;
	return parse_words(c, key, v, w);
}

static int workload_key(struct parse_ctx *c, int idx, const char *key, const char *v, int continuation)
{
	struct study_workload *w = &c->s->workloads[idx];
	char **slot = NULL;
	unsigned bit = 0;
	int rc;

	if (!strcmp(key, "args"))
		return words_key(c, idx, SET_ARGS, key, v, continuation, &w->args);
	if (!strcmp(key, "system"))
		return words_key(c, idx, SET_SYSTEM, key, v, continuation, &w->system);
	if (!strncmp(key, "system.", 7)) {
		int p = platform__parse(key + 7);

		if (p == PLAT_QEMU_SYSTEM || p == PLAT_HW_KVM)
			return words_key(c, idx, p == PLAT_HW_KVM ? SET_SYSTEM_KVM : SET_SYSTEM_QEMU, key, v,
					 continuation, &w->system_on[p]);
		return ctx_error(c, "'%s': a system line is for qemu-system or hw-kvm", key), -1;
	}
	if (!strncmp(key, "opts.", 5)) {
		int p = platform__parse(key + 5);

		if (p >= 0 && p < STUDY_PLATFORMS)
			return words_key(c, idx, (unsigned)SET_OPTS << p, key, v, continuation, &w->opts[p]);
		return ctx_error(c, "unknown platform in '%s'", key), -1;
	}
	rc = common_key(c, w, &c->set[idx], key, v);
	if (!rc)
		rc = study_serve__key(w, key, v, c->err_serve, sizeof(c->err_serve));
	if (!rc)
		rc = study_parse__key(w, key, v, c->err_serve, sizeof(c->err_serve));
	if (rc < 0 && c->err_serve[0])
		ctx_error(c, "%s", c->err_serve);
	if (rc)
		return rc < 0 ? -1 : 0;
	if (!strcmp(key, "optional")) {
		static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };
		if (c->set[idx] & SET_OPTIONAL)
			return ctx_error(c, "key '%s' given twice in [workload %s]", key, w->name), -1;
		c->set[idx] |= SET_OPTIONAL;
		w->optional = -1;
		for (int i = 0; i < 4; i++) {
			if (!strcasecmp(v, yes[i]))
				w->optional = 1;
			if (!strcasecmp(v, no[i]))
				w->optional = 0;
		}
		if (w->optional < 0)
			return ctx_error(c, "optional must be yes or no, not '%s'", v), -1;
		return 0;
	}
	if (!strcmp(key, "binary"))
		slot = &w->binary, bit = SET_BINARY;
	else if (!strcmp(key, "arch"))
		slot = &w->arch, bit = SET_ARCH;
	else if (!strcmp(key, "log"))
		slot = &w->log, bit = SET_LOG;
	else
		return ctx_error(c, "unknown key '%s' in [workload %s]", key, w->name), -1;
	if (c->set[idx] & bit)
		return ctx_error(c, "key '%s' given twice in [workload %s]", key, w->name), -1;
	c->set[idx] |= bit;
	*slot = xstrdup(v);
	return 0;
}

static int pair_key(struct parse_ctx *c, int idx, const char *key, const char *v)
{
	struct study_pair *p = &c->s->pairs[idx];
	char **slot = !strcmp(key, "a")		 ? &p->a :
		      !strcmp(key, "b")		 ? &p->b :
		      !strcmp(key, "a_platform") ? &p->a_platform :
		      !strcmp(key, "b_platform") ? &p->b_platform :
						   NULL;

	if (!slot)
		return ctx_error(c, "unknown key '%s' in [pair %s] (a, b, a_platform, b_platform)", key,
				 p->name), -1;
	if (*slot)
		return ctx_error(c, "key '%s' given twice in [pair %s]", key, p->name), -1;
	if (strstr(key, "platform")) {
		int k = platform__parse(v);

		if (k < 0 || k >= STUDY_PLATFORMS)
			return ctx_error(c, "unknown platform '%s'", v), -1;
	}
	*slot = xstrdup(v);
	return 0;
}

static int valid_name(const char *n)
{
	if (!*n)
		return 0;
	for (const char *p = n; *p; p++)
		if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.' || *p == '+'))
			return 0;
	return 1;
}

/* The section's kind and index; creates the workload or pair on first sight. */
static int enter_section(struct parse_ctx *c, const char *section)
{
	struct study_suite *s = c->s;
	const char *name;

	if (c->cur_section && !strcmp(c->cur_section, section) && c->cur_header == c->header_line)
		return c->cur_index;
	c->cur_header = c->header_line;
	if (c->nheaders && c->headers[c->nheaders - 1] == c->header_line)
		c->entered[c->nheaders - 1] = 1;
	free(c->cur_section);
	c->cur_section = xstrdup(section);
	if (!strcmp(section, "study"))
		return c->cur_index = -1;
	if (!strncmp(section, "workload ", 9) || !strncmp(section, "pair ", 5)) {
		int is_wl = section[0] == 'w';
		name = section + (is_wl ? 9 : 5);
		while (*name == ' ')
			name++;
		if (!valid_name(name)) {
			c->line = c->header_line;
			ctx_error(c, "section [%s]: a name of letters, digits, '-', '_', '.', '+' is needed",
				  section);
			return c->cur_index = -2;
		}
		for (int i = 0; is_wl && i < s->nworkloads; i++)
			if (!strcmp(s->workloads[i].name, name))
				goto duplicate;
		for (int i = 0; !is_wl && i < s->npairs; i++)
			if (!strcmp(s->pairs[i].name, name))
				goto duplicate;
		if (is_wl) {
			s->workloads = xrealloc(s->workloads, (size_t)(s->nworkloads + 1) * sizeof(*s->workloads));
			c->set = xrealloc(c->set, (size_t)(s->nworkloads + 1) * sizeof(*c->set));
			memset(&s->workloads[s->nworkloads], 0, sizeof(s->workloads[0]));
			s->workloads[s->nworkloads].name = xstrdup(name);
			s->workloads[s->nworkloads].line = c->header_line;
			c->set[s->nworkloads] = 0;
			return c->cur_index = s->nworkloads++;
		}
		s->pairs = xrealloc(s->pairs, (size_t)(s->npairs + 1) * sizeof(*s->pairs));
		memset(&s->pairs[s->npairs], 0, sizeof(s->pairs[0]));
		s->pairs[s->npairs].name = xstrdup(name);
		s->pairs[s->npairs].line = c->header_line;
		return c->cur_index = s->npairs++;
	duplicate:
		c->line = c->header_line;
		ctx_error(c, "section [%s] appears twice (sections cannot be split)", section);
		return c->cur_index = -2;
	}
	c->line = c->header_line;
	ctx_error(c, "unknown section [%s] (study, workload NAME, pair NAME)", section);
	return c->cur_index = -2;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct parse_ctx *c = user;
	int line = c->line, idx, continuation;
	int rc;

	if (c->err_line)
		return 1; /* only the first error is reported; libinih goes on */
	continuation = c->cur_section && !strcmp(c->cur_section, section) && !strcmp(c->last_key, key);
	idx = enter_section(c, section);
	c->line = line;
	snprintf(c->last_key, sizeof(c->last_key), "%s", key);
	if (idx == -2)
		return 0;
	if (idx == -1)
		rc = study_key(c, key, value, continuation);
	else if (!strncmp(section, "workload", 8))
		rc = workload_key(c, idx, key, value, continuation);
	else
		rc = pair_key(c, idx, key, value);
	return rc ? 0 : 1;
}

struct study_suite *study_suite__load(const char *path, const char *build_root)
{
	struct study_suite *s = xcalloc(1, sizeof(*s));
	struct parse_ctx c = { .s = s };
	char *dir, *slash;
	int rc, bad = 0;

	s->path = xstrdup(path);
	s->tolerance = 1.25;
	s->confidence = 0.95;
	c.defaults.platforms = 1u << PLAT_QEMU_USER | 1u << PLAT_HW;
	c.defaults.reps = 5;
	c.defaults.warmup = 1;
	c.defaults.pin = -1;
	c.defaults.timeout = 600;
	c.cur_index = -2;

	c.f = fopen(path, "r");
	if (!c.f) {
		error("%s: %s", path, strerror(errno));
		goto fail;
	}
	rc = ini_parse_stream(line_reader, &c, handler, &c);
	fclose(c.f);
	free(c.cur_section);
	if (c.err_line && (rc <= 0 || c.err_line <= rc)) {
		error("%s:%d: %s", path, c.err_line, c.err);
		goto fail;
	}
	if (rc > 0) {
		error("%s:%d: syntax error (expected [section], key = value, or an indented continuation)",
		      path, rc);
		goto fail;
	}
	if (rc < 0) {
		error("%s: cannot read the suite file", path);
		goto fail;
	}
	for (int i = 0; i < c.nheaders; i++)
		if (!c.entered[i]) {
			error("%s:%d: the section has no keys", path, c.headers[i]);
			goto fail;
		}
	if (!s->nworkloads) {
		error("%s: the suite has no [workload NAME] section", path);
		goto fail;
	}
	if (!s->name) {
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		s->name = xstrdup(base);
		if (strrchr(s->name, '.'))
			*strrchr(s->name, '.') = '\0';
	}
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	for (int i = 0; i < s->nworkloads && !bad; i++) {
		int r = suite__check_workload(s, &s->workloads[i], c.set[i], &c.defaults, dir, build_root);
		if (r < 0) {
			bad = 1;
			break;
		}
		if (r > 0) { /* optional and not built: the suite goes on without it */
			suite__workload_drop(s, i, c.set);
			i--;
		}
	}
	for (int i = 0; i < s->npairs && !bad; i++) {
		int r = suite__check_pair(s, &s->pairs[i]);
		if (r < 0)
			bad = 1;
		else if (r > 0)
			suite__pair_drop(s, i--);
	}
	if (!bad && !s->nworkloads) {
		error("%s: no workload of the suite is built", path);
		bad = 1;
	}
	free(dir);
	if (bad)
		goto fail;
	free(c.set);
	free(c.headers);
	free(c.entered);
	free(c.defaults.qemu);
	return s;
fail:
	free(c.set);
	free(c.headers);
	free(c.entered);
	free(c.defaults.qemu);
	study_suite__free(s);
	return NULL;
}

void study_suite__free(struct study_suite *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nworkloads; i++)
		suite__workload_free(&s->workloads[i]);
	for (int i = 0; i < s->npairs; i++) {
		free(s->pairs[i].name);
		free(s->pairs[i].a);
		free(s->pairs[i].b);
		free(s->pairs[i].a_platform);
		free(s->pairs[i].b_platform);
	}
	for (int i = 0; i < s->nskipped; i++)
		free(s->skipped[i]);
	for (int i = 0; i < SLURM_JOBS; i++)
		study_words__free(&s->slurm[i]);
	free(s->slurm_hw_emudiff);
	free(s->skipped);
	free(s->workloads);
	free(s->pairs);
	free(s->name);
	free(s->path);
	free(s);
}
