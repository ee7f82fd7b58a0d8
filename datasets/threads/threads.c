/*
 * wl-threads - the threaded workload of emudiff's bundled suites: T threads
 * (default 4), each running fixed, deterministic work between named markers
 * (emudiff/mark.h), with a known imbalance, and one checksum on stdout.
 *
 *   usage: wl-threads [T] [--units N] [--serial]
 *
 * The main thread (thread ordinal 0) marks 1 "start", creates worker
 * k = 0..T-1 (thread ordinal k + 1, in that order), joins them, marks 2
 * "report" and prints the results. Worker k runs, each phase a hand-written
 * loop (threads_asm.h) whose instructions per iteration are stated there:
 *
 *   10 spin     (k + 1) * N iterations of a 4-instruction ALU loop: worker k
 *               does k + 1 units, so the imbalance is known
 *   11 atomic   THREADS_ATOMICS atomic adds to one shared counter (every
 *               worker the same count; they contend for one cache line)
 *   12 private  THREADS_PASSES passes over its own THREADS_WORDS words
 *   13 done
 *
 * --serial runs the same workers one after the other on the main thread
 * (no thread is created): the same work, markers and output, for A/B pairs
 * and for counting with a single-threaded collector. tests/plugin/
 * smp_expect.md states the instruction counts of each region.
 */
#include "threads_asm.h"

#include <emudiff/mark.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS_DEFAULT 4
#define THREADS_MAX 256
#define THREADS_UNITS 1000000  /* spin iterations of one unit */
#define THREADS_ATOMICS 100000 /* atomic adds per worker */
#define THREADS_WORDS 64       /* private words per worker */
#define THREADS_PASSES 2000    /* passes over them */

struct worker {
	unsigned k;
	uint64_t iters;
	uint64_t spin;                 /* the spin loop's result */
	uint64_t words[THREADS_WORDS]; /* its private words */
} __attribute__((aligned(64)));

static uint64_t shared_counter __attribute__((aligned(64)));

static void *work(void *arg)
{
	struct worker *w = arg;

	EMUDIFF_MARK_NAMED(10, "spin");
	w->spin = threads_spin(w->iters, w->k + 1);
	EMUDIFF_MARK_NAMED(11, "atomic");
	threads_atomic_add(&shared_counter, THREADS_ATOMICS);
	EMUDIFF_MARK_NAMED(12, "private");
	threads_private(w->words, THREADS_WORDS, THREADS_PASSES);
	EMUDIFF_MARK_NAMED(13, "done");
	return NULL;
}

static int usage(const char *why)
{
	fprintf(stderr, "wl-threads: %s (usage: wl-threads [T] [--units N] [--serial]; T in 1..%d, default %d)\n",
		why, THREADS_MAX, THREADS_DEFAULT);
	return 2;
}

static int parse_count(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || end == s || *end || *s == '-' || *out < 1 || *out > max ? -1 : 0;
}

/* Runs the workers (threads, or serially); 0 when all ran. */
static int run(struct worker *w, unsigned n, int serial)
{
	pthread_t tid[THREADS_MAX];
	int rc = 0;
	unsigned made = 0;

	if (serial) {
		for (unsigned k = 0; k < n; k++)
			work(&w[k]);
		return 0;
	}
	for (; made < n; made++) {
		rc = pthread_create(&tid[made], NULL, work, &w[made]);
		if (rc) {
			fprintf(stderr, "wl-threads: pthread_create: %s\n", strerror(rc));
			break;
		}
	}
	for (unsigned k = 0; k < made; k++)
		pthread_join(tid[k], NULL);
	return rc ? -1 : 0;
}

int main(int argc, char **argv)
{
	unsigned long n = THREADS_DEFAULT, units = THREADS_UNITS;
	uint64_t spin = 0, priv = 0, check;
	struct worker *w;
	int serial = 0, have_n = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--serial"))
			serial = 1;
		else if (!strcmp(argv[i], "--units")) {
			if (i + 1 == argc || parse_count(argv[++i], 1ul << 32, &units))
				return usage("--units: not a count in 1..2^32");
		} else if (!have_n && argv[i][0] != '-') {
			if (parse_count(argv[i], THREADS_MAX, &n))
				return usage("T: not a thread count in 1..256");
			have_n = 1;
		} else
			return usage("unknown argument");
	}
	w = aligned_alloc(64, n * sizeof(*w));
	if (!w) {
		fprintf(stderr, "wl-threads: out of memory\n");
		return 1;
	}
	memset(w, 0, n * sizeof(*w));
	for (unsigned k = 0; k < n; k++) {
		w[k].k = k;
		w[k].iters = (uint64_t)(k + 1) * units;
	}
	EMUDIFF_MARK_NAMED(1, "start");
	if (run(w, (unsigned)n, serial)) {
		free(w);
		return 1;
	}
	EMUDIFF_MARK_NAMED(2, "report");
	for (unsigned k = 0; k < n; k++) {
		spin += w[k].spin;
		for (unsigned j = 0; j < THREADS_WORDS; j++)
			priv += w[k].words[j];
	}
	check = spin * 31 + shared_counter * 17 + priv;
	printf("wl-threads: threads=%lu units=%lu spin=%" PRIu64 " atomic=%" PRIu64 " private=%" PRIu64
	       " checksum=%016" PRIx64 "\n",
	       n, units, spin, shared_counter, priv, check);
	free(w);
	/* every worker added THREADS_ATOMICS; every word got passes + ... + 1 */
	return shared_counter == (uint64_t)n * THREADS_ATOMICS &&
			       priv == (uint64_t)n * THREADS_WORDS * THREADS_PASSES * (THREADS_PASSES + 1) / 2 ?
		       0 :
		       1;
}
