/*
 * check.h - the few assertion macros the C tests share. A failed CHECK prints
 * file:line and the expression and the test carries on, so one run shows every
 * failure; check_exit() turns the count into the exit status meson reads.
 */
#ifndef EMUDIFF_CHECK_H
#define EMUDIFF_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int check_failures;

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			check_failures++;                                                  \
		}                                                                          \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                                 \
	do {                                                                               \
		long long a_ = (long long)(a), b_ = (long long)(b);                        \
		if (a_ != b_) {                                                            \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__,  \
				__LINE__, #a, a_, #b, b_);                                 \
			check_failures++;                                                  \
		}                                                                          \
	} while (0)

/* CHECK with a printf-style account of what was expected. */
#define CHECKF(cond, ...)                                                                  \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                    \
			fprintf(stderr, __VA_ARGS__);                                      \
			fputc('\n', stderr);                                               \
			check_failures++;                                                  \
		}                                                                          \
	} while (0)

/* Relative tolerance check for numerical results. */
#define CHECK_NEAR(a, b, rel)                                                              \
	do {                                                                               \
		double a_ = (a), b_ = (b);                                                 \
		if (!(fabs(a_ - b_) <= (rel) * (fabs(b_) > 1e-300 ? fabs(b_) : 1e-300))) { \
			fprintf(stderr, "%s:%d: %s == %.12g, expected %.12g (rel %g)\n",       \
				__FILE__, __LINE__, #a, a_, b_, (double)(rel));            \
			check_failures++;                                                  \
		}                                                                          \
	} while (0)

static inline int check_exit(void)
{
	if (check_failures)
		fprintf(stderr, "%d check(s) failed\n", check_failures);
	return check_failures ? 1 : 0;
}

/* check_exit(), after removing the test's scratch directory dir when every
 * check passed (a failed run keeps it to look at). */
static inline int check_exit_removing(const char *dir)
{
	if (!check_failures) {
		char cmd[4352];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return check_exit();
}

#endif
