/*
 * qemu_output_priv.h - private to the reader of the plugin's output
 * (qemu_output.c, and qemu_output_v4.c for format 4's threads): the reader's
 * state and the field parsers both use.
 */
#ifndef EMUDIFF_QEMU_OUTPUT_PRIV_H
#define EMUDIFF_QEMU_OUTPUT_PRIV_H

#include "qemu_output.h"

#include "common.h"

#include <stdint.h>
#include <stdlib.h>

struct reader {
	const char *path;
	size_t line;
	char *fields[8];
	int n_fields;
	char *rest; /* for symbol: the name after the count */
	uint64_t *last_insns; /* version 4: each thread's last mark's insns + 1 (0: none yet) */
	size_t cap_last;
	/* version 5: an m line was read since the last mark line, with these */
	int have_m;
	uint64_t m_id, m_dinsns;
	int64_t min_seq;      /* the lowest event or msym seq read */
	/* msym lines: the last one written out (index), where its interval's
	 * lines start, and the intervals msym_run lines gave */
	size_t last_msym, seq_first;
	int have_msym, have_run;
	uint8_t *covered;
};

/* "error: FILE: line N: what"; returns -1. */
int qo_bad(const struct reader *r, const char *what);
/* Decimal (or 0x hex) numbers of a field; 0, or -1 with the error printed. */
int qo_num_u64(const struct reader *r, const char *s, uint64_t *v);
int qo_num_i64(const struct reader *r, const char *s, int64_t *v);
/* The line has n fields; 0, or -1 with the error printed. */
int qo_expect_fields(const struct reader *r, int n);
/* Is s empty or has a space? */
int qo_has_space(const char *s);

#define PUSH(arr, n, cap)                                                 \
	do {                                                              \
		if ((n) == (cap)) {                                       \
			(cap) = (cap) ? (cap) * 2 : 64;                   \
			(arr) = xrealloc((arr), (cap) * sizeof(*(arr)));  \
		}                                                         \
	} while (0)

/* Growable arrays' capacities, one per kind of record. */
enum { CAP_MARKS, CAP_VALUES, CAP_EVENTS, CAP_SYMBOLS, CAP_TOTALS, CAP_BLOCKS, CAP_MSYMS, CAP_MAPS,
       CAP_PCS, CAP_THREADS, CAP_COUNT };

/* Format 4's records (qemu_output_v4.c). */
int qo_rec_thread(struct reader *r, struct qemu_output *o, size_t *caps);
int qo_rec_thread_total(struct reader *r, struct qemu_output *o, size_t *caps);
int qo_rec_msym_run(struct reader *r, struct qemu_output *o, size_t *caps);
/* Once the file is read: version 4's checks across lines, and the order of
 * the msym records msym_run lines gave. 0, or -1 with the error printed. */
int qo_finish_v4(const struct reader *r, struct qemu_output *o);

#endif
