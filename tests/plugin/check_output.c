/*
 * check_output.c - run a guest under QEMU with libemudiff-qemu.so and check
 * the plugin's output file (read with qemu_output.h's reader) against
 * hand-counted expectations given on the command line.
 *
 *   check_output QEMU PLUGIN PROG [checks...]
 *     --opt K=V              plugin option (repeatable)
 *     --system               qemu-system-riscv64 -M virt -bios default -kernel PROG
 *     --sigterm-after MS     send SIGTERM after MS milliseconds
 *     --qemu-arg ARG         an argument of QEMU's own, first (repeatable; a
 *                            -bios among them replaces -bios default)
 *     --marks SPEC           exact marker id sequence: "1,3x1000,2,4"
 *     --insns SEQ=N          instructions before marker hit SEQ
 *     --event SEQ:KIND:DETAIL=N   exactly N such events after mark SEQ
 *     --events SEQ:KIND=N    N events of KIND after mark SEQ, all details
 *     --value SEQ:METRIC=N   cumulative value at mark SEQ
 *     --total METRIC=N       whole-run total
 *     --min-total METRIC=N   whole-run total at least N
 *     --symbol NAME=N        instructions in symbol NAME
 *     --hottest-block N:EXECS   the hottest block has N instructions, entered EXECS times
 *     --exit N               the guest's exit status as the plugin saw it
 *     --msym SEQ:NAME=N      instructions in symbol NAME after mark SEQ (0 = no line)
 *     --msym-complete N      the msym_complete line says N
 *     --msym-sum             every interval's msym lines add up exactly to the
 *                            difference of its thread's marks (a thread's
 *                            last: to its total insns)
 *     --damage               also check that damaged copies of the file are rejected
 *   threads (format 4; K: thread ordinal, J: the thread's J-th mark, -1 before its first):
 *     --smp N                system mode: -smp N (default 1)
 *     --threads N            N thread lines
 *     --counting MODE        the counting line says MODE (inline, callback)
 *     --thread-marks K=SPEC  thread K's exact marker id sequence
 *     --thread-insns K:J=N   thread K's instructions before its J-th mark
 *     --thread-delta K:J=N   thread K's instructions between its marks J and J+1
 *     --thread-total K:METRIC=N  thread K's whole-run total
 *     --thread-event K:J:KIND:DETAIL=N  N such events of thread K after its mark J
 *     --thread-sum           the threads' insns add up to total insns
 *     --invalid TEXT         the counts were declared invalid, the reason holds TEXT
 *
 * Exit 77 (skipped) when QEMU is not installed.
 */
#include "check.h"
#include "common.h"
#include "qemu_output.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int spec_num(const char *s, long long *v)
{
	int64_t x;

	if (parse_i64(s, &x))
		return -1;
	*v = x;
	return 0;
}

/* "1,3x1000,2" -> ids */
static int expand_marks(const char *spec, int **ids, size_t *n)
{
	char *dup = xstrdup(spec), *save = NULL;
	size_t cap = 0;

	*n = 0;
	*ids = NULL;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		long long id, rep = 1;
		char *x = strchr(t, 'x');

		if (x)
			*x = '\0';
		if (spec_num(t, &id) || (x && spec_num(x + 1, &rep))) {
			free(dup);
			return -1;
		}
		for (long long i = 0; i < rep; i++) {
			if (*n == cap) {
				cap = cap ? cap * 2 : 64;
				*ids = xrealloc(*ids, cap * sizeof(**ids));
			}
			(*ids)[(*n)++] = (int)id;
		}
	}
	free(dup);
	return 0;
}

static int run_qemu(char **argv, int sigterm_ms)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		int null_fd = open("/dev/null", O_RDWR);

		if (null_fd >= 0) {
			dup2(null_fd, 0);
			dup2(null_fd, 1);
		}
		alarm(120); /* a hung guest fails the test instead of hanging it */
		execvp(argv[0], argv);
		_exit(127);
	}
	if (sigterm_ms > 0) {
		usleep((useconds_t)sigterm_ms * 1000);
		kill(pid, SIGTERM);
	}
	waitpid(pid, &st, 0);
	return st;
}

static int write_file(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fwrite(data, 1, n, f);
	return fclose(f);
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = xmalloc((size_t)len + 1);
	*n = fread(buf, 1, (size_t)len, f);
	fclose(f);
	buf[*n] = '\0';
	return buf;
}

/* Damaged copies of a good file must all be rejected. */
static void check_damage(const char *good)
{
	size_t n;
	char *data = slurp(good, &n);
	char *bad = xasprintf("%s.damaged", good);
	struct qemu_output o;

	CHECK(data != NULL);
	if (!data)
		return;
	messages_quiet(1);
	/* cut in the middle of a line */
	write_file(bad, data, n / 2);
	CHECK(qemu_output__read(bad, &o) == -1);
	/* cut at a line end: no end line */
	char *last = strstr(data, "\nend ");

	CHECK(last != NULL);
	if (last) {
		write_file(bad, data, (size_t)(last - data) + 1);
		CHECK(qemu_output__read(bad, &o) == -1);
	}
	/* a line lost in the middle: the end count no longer matches */
	char *second = strchr(data, '\n'), *third = second ? strchr(second + 1, '\n') : NULL;

	if (third) {
		char *cut = xmalloc(n);
		size_t head = (size_t)(second - data) + 1;

		memcpy(cut, data, head);
		memcpy(cut + head, third + 1, n - (size_t)(third + 1 - data));
		write_file(bad, cut, n - (size_t)(third - second));
		CHECK(qemu_output__read(bad, &o) == -1);
		free(cut);
	}
	/* a corrupted number */
	char *mark = strstr(data, "\nmark ");

	if (mark) {
		char *copy = xstrdup(data);

		copy[mark - data + 7] = 'z';
		write_file(bad, copy, n);
		CHECK(qemu_output__read(bad, &o) == -1);
		free(copy);
	}
	/* an unknown format version */
	{
		char *copy = xstrdup(data);

		copy[20] = '9';
		write_file(bad, copy, n);
		CHECK(qemu_output__read(bad, &o) == -1);
		free(copy);
	}
	/* the good one still reads */
	CHECK(qemu_output__read(good, &o) == 0);
	qemu_output__free(&o);
	messages_quiet(0);
	unlink(bad);
	free(bad);
	free(data);
}

static uint64_t msym_get(const struct qemu_output *o, long long seq, const char *name)
{
	for (size_t i = 0; i < o->n_msyms; i++)
		if (o->msyms[i].seq == seq && !strcmp(o->msyms[i].name, name))
			return o->msyms[i].insns;
	return 0;
}

static uint64_t events_sum(const struct qemu_output *o, long long seq, const char *kind,
			   const char *detail)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < o->n_events; i++)
		if (o->events[i].seq == seq && !strcmp(o->events[i].kind, kind) &&
		    (!detail || !strcmp(o->events[i].detail, detail)))
			sum += o->events[i].count;
	return sum;
}

/* Thread k's total of metric (format 4; before: the run's, one thread). */
static uint64_t thread_total(const struct qemu_output *o, size_t k, const char *metric)
{
	uint64_t v = 0;

	if (o->version < 4) {
		qemu_output__total(o, metric, &v);
		return v;
	}
	for (size_t i = 0; k < o->n_threads && i < o->threads[k].n_totals; i++)
		if (!strcmp(o->threads[k].totals[i].metric, metric))
			v = o->threads[k].totals[i].value;
	return v;
}

static size_t n_threads(const struct qemu_output *o)
{
	return o->version < 4 ? 1 : o->n_threads;
}

/* The seq of thread k's j-th mark (-1: -1 - k, its interval before the first); -2: none. */
static long long thread_mark(const struct qemu_output *o, size_t k, long long j)
{
	if (j < 0)
		return -1 - (long long)k;
	for (size_t i = 0; i < o->n_marks; i++)
		if ((size_t)o->marks[i].thread == k && j-- == 0)
			return (long long)i;
	return -2;
}

/* The symbols of each interval add up to the interval: exact, not approximate. */
static void check_msym_sum(const struct qemu_output *o)
{
	CHECK(o->has_msym);
	for (size_t k = 0; k < n_threads(o); k++) {
		uint64_t total = thread_total(o, k, "insns");

		for (long long j = -1;; j++) {
			long long seq = thread_mark(o, k, j), next = thread_mark(o, k, j + 1);
			uint64_t from = seq < 0 ? 0 : o->marks[seq].insns;
			uint64_t to = next >= 0 ? o->marks[next].insns : total;
			uint64_t sum = 0;

			if (seq == -2 || (seq < 0 ? -1 : seq) >= o->msym_complete)
				break;
			for (size_t i = 0; i < o->n_msyms; i++)
				if (o->msyms[i].seq == seq)
					sum += o->msyms[i].insns;
			if (sum != to - from)
				fprintf(stderr, "thread %zu, interval after mark %lld: symbols add up to %llu, "
					"marks differ by %llu\n", k, seq, (unsigned long long)sum,
					(unsigned long long)(to - from));
			CHECK_EQ_INT(sum, to - from);
		}
	}
}

/* One of the thread checks (format 4); 1 when a was one, *i past its value. */
static int thread_check(const struct qemu_output *o, const char *a, const char *v, int *i)
{
	char kind[64], detail[64], metric[64];
	long long k, j, num;

	if (!strcmp(a, "--threads") || !strcmp(a, "--counting") || !strcmp(a, "--invalid")) {
		(*i)++;
		if (a[2] == 't') {
			CHECK(spec_num(v, &num) == 0);
			CHECK_EQ_INT(o->n_threads, num);
		} else if (a[2] == 'c') {
			CHECK(o->counting && !strcmp(o->counting, v));
		} else {
			CHECK(o->invalid && strstr(o->invalid, v));
			CHECK(o->n_marks == 0 && o->n_threads == 0 && o->n_totals == 0);
		}
	} else if (!strcmp(a, "--thread-marks")) {
		int *ids;
		size_t nid, got = 0;

		(*i)++;
		CHECK(sscanf(v, "%lld=", &k) == 1 && strchr(v, '='));
		CHECK(expand_marks(strchr(v, '=') + 1, &ids, &nid) == 0);
		for (size_t m = 0; m < o->n_marks; m++)
			if (o->marks[m].thread == k) {
				if (got >= nid || o->marks[m].id != ids[got])
					fprintf(stderr, "thread %lld's mark %zu (seq %zu): id %d\n", k, got, m,
						o->marks[m].id);
				CHECK(got < nid && o->marks[m].id == ids[got]);
				got++;
			}
		CHECK_EQ_INT(got, nid);
		free(ids);
	} else if (!strcmp(a, "--thread-insns") || !strcmp(a, "--thread-delta")) {
		long long seq, next;

		(*i)++;
		CHECK(sscanf(v, "%lld:%lld=%lld", &k, &j, &num) == 3);
		seq = thread_mark(o, (size_t)k, j);
		next = a[9] == 'd' ? thread_mark(o, (size_t)k, j + 1) : seq;
		CHECK(seq >= 0 && next >= 0);
		if (seq >= 0 && next >= 0) {
			uint64_t got = o->marks[next].insns - (a[9] == 'd' ? o->marks[seq].insns : 0);

			if ((long long)got != num)
				fprintf(stderr, "%s %s: ", a, v);
			CHECK_EQ_INT(got, num);
		}
	} else if (!strcmp(a, "--thread-total")) {
		(*i)++;
		CHECK(sscanf(v, "%lld:%63[^=]=%lld", &k, metric, &num) == 3);
		if ((long long)thread_total(o, (size_t)k, metric) != num)
			fprintf(stderr, "%s %s: ", a, v);
		CHECK_EQ_INT(thread_total(o, (size_t)k, metric), num);
	} else if (!strcmp(a, "--thread-event")) {
		(*i)++;
		CHECK(sscanf(v, "%lld:%lld:%63[^:]:%63[^=]=%lld", &k, &j, kind, detail, &num) == 5);
		if (events_sum(o, thread_mark(o, (size_t)k, j), kind, detail) != (uint64_t)num)
			fprintf(stderr, "%s %s: ", a, v);
		CHECK_EQ_INT(events_sum(o, thread_mark(o, (size_t)k, j), kind, detail), num);
	} else if (!strcmp(a, "--thread-sum")) {
		uint64_t sum = 0, total = 0;

		for (size_t t = 0; t < n_threads(o); t++)
			sum += thread_total(o, t, "insns");
		CHECK(qemu_output__total(o, "insns", &total) == 0);
		CHECK_EQ_INT(sum, total);
	} else {
		return 0;
	}
	return 1;
}


int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: check_output QEMU PLUGIN PROG [checks...]\n");
		return 2;
	}
	const char *qemu = argv[1], *plugin = argv[2], *prog = argv[3];
	char dir[] = "/tmp/emudiff-plugin-test-XXXXXX";
	char opts[1024] = "";
	int system = 0, sigterm_ms = 0, n_qargs = 0, own_bios = 0;
	char *smp = "1";
	char *qargs[8];

	if (!*qemu || access(qemu, X_OK)) {
		fprintf(stderr, "%s not installed: skipped\n", *qemu ? qemu : "QEMU");
		return 77;
	}
	for (int i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "--opt") && i + 1 < argc) {
			size_t u = strlen(opts);

			snprintf(opts + u, sizeof(opts) - u, ",%s", argv[++i]);
		} else if (!strcmp(argv[i], "--system")) {
			system = 1;
		} else if (!strcmp(argv[i], "--qemu-arg") && i + 1 < argc && n_qargs < 8) {
			own_bios |= !strcmp(argv[i + 1], "-bios");
			qargs[n_qargs++] = argv[++i];
		} else if (!strcmp(argv[i], "--sigterm-after") && i + 1 < argc) {
			sigterm_ms = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--smp") && i + 1 < argc) {
			smp = argv[++i];
		}
	}
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char *out = xasprintf("%s/out", dir);
	char *parg = xasprintf("%s,out=%s%s", plugin, out, opts);
	char *qargv[24];
	int n = 0;

	qargv[n++] = (char *)qemu;
	for (int i = 0; i < n_qargs; i++)
		qargv[n++] = qargs[i];
	if (system) {
		char *sys[] = { "-M", "virt", "-smp", smp, "-m", "64M", "-nographic", "-kernel",
				(char *)prog, "-bios", "default", NULL };

		for (int i = 0; sys[i] && !(own_bios && !strcmp(sys[i], "-bios")); i++)
			qargv[n++] = sys[i];
		qargv[n++] = "-plugin";
		qargv[n++] = parg;
	} else {
		qargv[n++] = "-plugin";
		qargv[n++] = parg;
		qargv[n++] = (char *)prog;
	}
	qargv[n] = NULL;
	run_qemu(qargv, sigterm_ms);

	struct qemu_output o;

	if (qemu_output__read(out, &o)) {
		fprintf(stderr, "no valid plugin output\n");
		rmdir(dir);
		free(out);
		free(parg);
		return 1;
	}
	for (int i = 4; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
		char kind[64], detail[64], metric[64];
		long long seq, num;

		if (!strcmp(a, "--opt") || !strcmp(a, "--sigterm-after") || !strcmp(a, "--qemu-arg") ||
		    !strcmp(a, "--smp")) {
			i++;
		} else if (!strcmp(a, "--system") || thread_check(&o, a, v, &i)) {
		} else if (!strcmp(a, "--marks")) {
			int *ids;
			size_t nid;

			i++;
			CHECK(expand_marks(v, &ids, &nid) == 0);
			CHECK_EQ_INT(o.n_marks, nid);
			for (size_t k = 0; k < nid && k < o.n_marks; k++)
				if (o.marks[k].id != ids[k]) {
					fprintf(stderr, "mark seq %zu: id %d, expected %d\n", k, o.marks[k].id,
						ids[k]);
					check_failures++;
					break;
				}
			free(ids);
		} else if (!strcmp(a, "--insns")) {
			i++;
			CHECK(sscanf(v, "%lld=%lld", &seq, &num) == 2);
			CHECK(seq >= 0 && (size_t)seq < o.n_marks);
			if (seq >= 0 && (size_t)seq < o.n_marks) {
				if ((long long)o.marks[seq].insns != num)
					fprintf(stderr, "mark seq %lld: ", seq);
				CHECK_EQ_INT(o.marks[seq].insns, num);
			}
		} else if (!strcmp(a, "--event")) {
			i++;
			CHECK(sscanf(v, "%lld:%63[^:]:%63[^=]=%lld", &seq, kind, detail, &num) == 4);
			if (events_sum(&o, seq, kind, detail) != (uint64_t)num)
				fprintf(stderr, "event %s: ", v);
			CHECK_EQ_INT(events_sum(&o, seq, kind, detail), num);
		} else if (!strcmp(a, "--events")) {
			i++;
			CHECK(sscanf(v, "%lld:%63[^=]=%lld", &seq, kind, &num) == 3);
			if (events_sum(&o, seq, kind, NULL) != (uint64_t)num)
				fprintf(stderr, "events %s: ", v);
			CHECK_EQ_INT(events_sum(&o, seq, kind, NULL), num);
		} else if (!strcmp(a, "--value")) {
			int found = 0;

			i++;
			CHECK(sscanf(v, "%lld:%63[^=]=%lld", &seq, metric, &num) == 3);
			for (size_t k = 0; k < o.n_values; k++)
				if (o.values[k].seq == seq && !strcmp(o.values[k].metric, metric)) {
					found = 1;
					if ((long long)o.values[k].value != num)
						fprintf(stderr, "value %s: ", v);
					CHECK_EQ_INT(o.values[k].value, num);
				}
			CHECK(found);
		} else if (!strcmp(a, "--total") || !strcmp(a, "--min-total")) {
			uint64_t t = 0;

			i++;
			CHECK(sscanf(v, "%63[^=]=%lld", metric, &num) == 2);
			CHECK(qemu_output__total(&o, metric, &t) == 0);
			if (a[2] == 'm')
				CHECK((long long)t >= num);
			else
				CHECK_EQ_INT(t, num);
		} else if (!strcmp(a, "--symbol")) {
			uint64_t t = 0;

			i++;
			CHECK(sscanf(v, "%63[^=]=%lld", metric, &num) == 2);
			for (size_t k = 0; k < o.n_symbols; k++)
				if (!strcmp(o.symbols[k].name, metric))
					t += o.symbols[k].insns;
			CHECK_EQ_INT(t, num);
		} else if (!strcmp(a, "--hottest-block")) {
			i++;
			CHECK(sscanf(v, "%lld:%lld", &seq, &num) == 2);
			CHECK(o.n_blocks > 0);
			if (o.n_blocks) {
				CHECK_EQ_INT(o.blocks[0].n_insns, seq);
				CHECK_EQ_INT(o.blocks[0].execs, num);
				CHECK_EQ_INT(o.blocks[0].insns, seq * num);
				CHECK(!strcmp(o.blocks[0].name, "_start"));
			}
		} else if (!strcmp(a, "--exit")) {
			i++;
			CHECK(o.has_exit);
			CHECK(spec_num(v, &num) == 0);
			CHECK_EQ_INT(o.exit_code, num);
		} else if (!strcmp(a, "--msym")) {
			i++;
			CHECK(sscanf(v, "%lld:%63[^=]=%lld", &seq, metric, &num) == 3);
			if (msym_get(&o, seq, metric) != (uint64_t)num)
				fprintf(stderr, "msym %s: ", v);
			CHECK_EQ_INT(msym_get(&o, seq, metric), num);
		} else if (!strcmp(a, "--msym-complete")) {
			i++;
			CHECK(o.has_msym);
			CHECK(spec_num(v, &num) == 0);
			CHECK_EQ_INT(o.msym_complete, num);
		} else if (!strcmp(a, "--msym-sum")) {
			check_msym_sum(&o);
		} else if (!strcmp(a, "--damage")) {
			check_damage(out);
		} else {
			fprintf(stderr, "check_output: unknown check '%s'\n", a);
			return 2;
		}
	}
	qemu_output__free(&o);
	unlink(out);
	rmdir(dir);
	free(out);
	free(parg);
	return check_exit();
}
