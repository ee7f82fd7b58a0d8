/*
 * Fuzz target: the QEMU plugin's output file, as collect qemu reads it.
 *
 * The same bytes also drive a round trip: read as a list of symbol names
 * (one per line, the first byte picking the interval), they are sorted,
 * merged and written as the plugin writes its msym lines (msym_order.h, the
 * one definition of that order and spelling), and the reader must accept
 * that file and read back exactly those lines: whatever names the plugin
 * writes, the reader reads. A disagreement aborts (a crash for libFuzzer,
 * a failed test in replay).
 */
#include "fuzz_input.h"
#include "msym_order.h"
#include "qemu_output.h"

#include <inttypes.h>
#include <stdlib.h>

#define RT_SEQS 3 /* intervals -1, 0, 1 */

struct rt_entry {
	int64_t seq, insns;
	char *sym; /* NULL: outside any symbol */
};

static int rt_cmp(const void *a, const void *b)
{
	const struct rt_entry *x = a, *y = b;

	return msym__cmp(x->seq, x->sym, y->seq, y->sym);
}

static void round_trip(const uint8_t *data, size_t size)
{
	struct rt_entry *t = xcalloc(size + 1, sizeof(*t));
	char **own = xcalloc(size + 1, sizeof(*own)); /* the names, to free */
	size_t n = 0, nt = 0, lines = 0;
	struct qemu_output out = { 0 };
	char *buf = NULL, path[64];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int fd;

	/* lines: a byte for the interval, then the name (no NUL, no newline) */
	for (size_t i = 0; i < size;) {
		size_t j = i, k = 0;
		char *name;

		while (j < size && data[j] != '\n')
			j++;
		name = xmalloc(j - i + 1);
		for (size_t p = i + (j > i); p < j; p++)
			if (data[p])
				name[k++] = (char)data[p];
		name[k] = '\0';
		t[n].seq = j > i ? data[i] % RT_SEQS - 1 : -1;
		t[n].insns = (int64_t)(n % 7) + 1;
		t[n].sym = k ? name : NULL;
		own[n++] = name;
		i = j + 1;
	}
	qsort(t, n, sizeof(*t), rt_cmp);
	fprintf(f, "emudiff-qemu-plugin 2\narch x86_64\nmode default\n");
	lines = 3;
	for (int s = 0; s < RT_SEQS - 1; s++, lines++)
		fprintf(f, "mark %d 1 %d 0\n", s, s);
	fprintf(f, "msym_complete %d\n", RT_SEQS - 1);
	lines++;
	/* two entries of one written name are one line, as in the plugin */
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		int64_t insns = t[i].insns;

		while (j < n && !rt_cmp(&t[i], &t[j]))
			insns += t[j++].insns;
		fprintf(f, "msym %" PRId64 " %" PRId64 " %s\n", t[i].seq, insns, msym__name(t[i].sym));
		lines++;
		t[nt].seq = t[i].seq;
		t[nt].insns = insns;
		t[nt++].sym = (char *)msym__name(t[i].sym);
		i = j;
	}
	fprintf(f, "end %zu\n", lines);
	fclose(f);
	fd = fuzz_path((const uint8_t *)buf, len, path, sizeof(path));
	if (fd >= 0) {
		if (qemu_output__read(path, &out) || out.n_msyms != nt) {
			fprintf(stderr, "plugin-output round trip: the reader refused what the plugin writes\n");
			abort();
		}
		for (size_t i = 0; i < nt; i++)
			if (out.msyms[i].seq != t[i].seq || (int64_t)out.msyms[i].insns != t[i].insns ||
			    strcmp(out.msyms[i].name, t[i].sym)) {
				fprintf(stderr, "plugin-output round trip: line %zu read back differently\n", i);
				abort();
			}
		qemu_output__free(&out);
		close(fd);
	}
	free(buf);
	for (size_t i = 0; i < n; i++)
		free(own[i]);
	free(own);
	free(t);
}

int fuzz_target(const uint8_t *data, size_t size, struct fuzz_sum *sum)
{
	struct qemu_output out = { 0 };
	char path[64];
	int fd, ok;
	uint64_t v;

	fuzz_quiet();
	round_trip(data, size);
	fd = fuzz_path(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	ok = qemu_output__read(path, &out) == 0;
	if (ok) {
		fuzz_add(sum, "version=%d arch=%s marks=%zu events=%zu symbols=%zu msyms=%zu",
			 out.version, out.arch ? out.arch : "-", out.n_marks, out.n_events,
			 out.n_symbols, out.n_msyms);
		if (qemu_output__total(&out, "insns", &v) == 0)
			fuzz_add(sum, "insns=%llu", (unsigned long long)v);
		qemu_output__free(&out);
	}
	close(fd);
	return ok;
}

FUZZ_ENTRY
