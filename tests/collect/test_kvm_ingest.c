/*
 * test_kvm_ingest.c - the KVM collector's ingest and its reading of the VMM's
 * stderr (collect/kvm_*.c) on recorded data, without running a VMM: a console
 * log and exit samples become exact store rows; QEMU's KVM stop messages make
 * a failed run with vmm_message; a damaged console stores nothing.
 */
#include "check.h"
#include "collect.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[] = "/tmp/test-kvm-ingest-XXXXXX";

/* The rows a query yields, as "a|b" per row, rows joined by ", " ("" for none;
 * NULL columns as "NULL"). A static buffer: one answer at a time. */
static const char *q(struct store *s, const char *sql)
{
	static char out[4096];
	sqlite3_stmt *st;
	size_t n = 0;

	out[0] = '\0';
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(s->db));
		return "?";
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(st); c++) {
			const unsigned char *v = sqlite3_column_text(st, c);

			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", c ? "|" : n ? ", " : "",
					      v ? (const char *)v : "NULL");
			if (n >= sizeof(out))
				n = sizeof(out) - 1;
		}
	}
	sqlite3_finalize(st);
	return out;
}

#define CHECK_Q(s, sql, want)                                                             \
	do {                                                                              \
		const char *got_ = q(s, sql);                                             \
		CHECKF(!strcmp(got_, want), "%s\n  got  '%s'\n  want '%s'", sql, got_, want); \
	} while (0)

static FILE *text_file(const char *text)
{
	FILE *f = tmpfile();

	fputs(text, f);
	rewind(f);
	return f;
}

static char *vmm_argv[] = { "qemu-system-x86_64", "-accel", "kvm", NULL };

static void opts_init(struct kvm_opts *o, const char *name)
{
	memset(o, 0, sizeof(*o));
	o->argv = vmm_argv;
	o->timebase_hz = 10e6;
	o->dev_kvm = 1;
	o->name = name;
}

static void exits_add(struct kvm_run *r, const char *spec, const char *why)
{
	struct kvm_exits *x = &r->exits[r->n_exits++];

	snprintf(x->spec, sizeof(x->spec), "%s", spec);
	x->sampled = !why;
	snprintf(x->why, sizeof(x->why), "%s", why ? why : "");
}

/* Markers and exits of a guest whose KVM ran it: every row as recorded. */
static void test_rows(struct store *s, const char *tracefs)
{
	struct kvm_opts o;
	struct kvm_run r = { .status = RUN_OK, .wall_ns = 123456789 };
	size_t n_marks = 99;
	int64_t id;

	opts_init(&o, "guest");
	o.tracefs = tracefs;
	o.rep = 2;
	o.cell = "cell-1";
	o.timeout_s = 30;
	r.console = text_file("SeaBIOS\n@emudiff mark 1 cycles=100 instret=50 time=10\n"
			      "noise\n@emudiff mark 2 instret=150 time=30\n@emudiff exit 0\n");
	exits_add(&r, "kvm:kvm_exit", NULL);
	reason_tally__add(&r.exits[0].tally, "npf", -1, 3);
	reason_tally__add(&r.exits[0].tally, "hlt", 0, 5);
	reason_tally__add(&r.exits[0].tally, "io", 1, 7);
	r.exits[0].lost = 2;
	exits_add(&r, "kvm:kvm_userspace_exit", NULL);
	reason_tally__add(&r.exits[1].tally, "userspace:KVM_EXIT_IO", 1, 7);
	exits_add(&r, "kvm:kvm_nested_vmexit", HW_NO_TRACEFS);
	r.counters[r.n_counters++] = (struct kvm_counter){ hw_event__find("cycles"), 0, 1, 1000 };
	r.counters[r.n_counters++] = (struct kvm_counter){ hw_event__find("instructions"), 0, 0, 0 };
	r.counters[r.n_counters++] = (struct kvm_counter){ hw_event__find("branch-misses"), ENOENT, 0, 0 };

	id = kvm_ingest(s, &o, "x86_64", &r, &n_marks);
	CHECK_EQ_INT(id, 1);
	CHECK_EQ_INT(n_marks, 2);
	CHECK_Q(s, "SELECT name, arch, argv FROM workload",
		"guest|x86_64|[\"qemu-system-x86_64\",\"-accel\",\"kvm\"]");
	CHECK_Q(s, "SELECT workload_id, platform, rep, status, exit_code, wall_ns, cell FROM run",
		"1|hw-kvm|2|ok|0|123456789|cell-1");
	/* time = ticks of the 10 MHz timebase */
	CHECK_Q(s, "SELECT seq, mark_id, insns, time_ns FROM mark ORDER BY seq", "0|1|50|1000, 1|2|150|3000");
	CHECK_Q(s, "SELECT seq, metric, value FROM mark_value", "0|cycles|100.0");
	/* the exits metric leaves out the exits to user space, a subset of kvm_exit's */
	CHECK_Q(s, "SELECT metric, value FROM run_metric ORDER BY metric",
		"cycles|1000.0, exits|15.0, wall_ns|123456789.0");
	CHECK_Q(s, "SELECT region_id, kind, detail, count, seq FROM event_count ORDER BY rowid",
		"NULL|vm_exit|npf|3|NULL, NULL|vm_exit|hlt|5|0, NULL|vm_exit|io|7|1, "
		"NULL|vm_exit|userspace:KVM_EXIT_IO|7|1");
	CHECK_Q(s, "SELECT key, value FROM run, json_each(run.config_json) WHERE run.id = 1 AND "
		"key NOT IN ('tracefs', 'exit_events', 'exit_events_lost', 'unsupported')",
		"collector|hw-kvm, dev_kvm|1, guest_only_counters|1, timebase_hz|10000000.0, "
		"console|VMM stdout, console_marks|2, timeout_s|30.0");
	CHECKF(!strcmp(q(s, "SELECT json_extract(config_json, '$.tracefs') FROM run"), tracefs),
	       "config tracefs '%s', want '%s'", q(s, "SELECT json_extract(config_json, '$.tracefs') FROM run"),
	       tracefs);
	CHECK_Q(s, "SELECT json_extract(config_json, '$.exit_events') FROM run",
		"{\"kvm:kvm_exit\":\"sampled\",\"kvm:kvm_userspace_exit\":\"sampled\","
		"\"kvm:kvm_nested_vmexit\":\"unsupported\"}");
	CHECK_Q(s, "SELECT json_extract(config_json, '$.exit_events_lost') FROM run", "{\"kvm:kvm_exit\":2}");
	CHECK_Q(s, "SELECT json_extract(config_json, '$.unsupported') FROM run",
		"{\"kvm:kvm_nested_vmexit\":\"" HW_NO_TRACEFS "\",\"branch-misses\":\"ENOENT\"}");
	kvm_run__free(&r);
}

/* A child ended as the supervisor ends it (stopped or at its deadline), or
 * exiting with code: the wait status a VMM would leave. */
static void child(struct proc *p, double timeout_s, int code)
{
	if (proc__fork(p, 0, timeout_s, 0) == 0) {
		if (code < 0)
			pause();
		_exit(code);
	}
	if (code < 0 && timeout_s <= 0)
		proc__stop(p);
	proc__wait(p);
}

/* QEMU's internal error, fed in pieces that split its lines: the stop is
 * seen once, with its detail line, and makes a failed run with vmm_message. */
static void test_stop(struct store *s)
{
	static const char err[] =
		"qemu-system-x86_64: KVM internal error. Suberror: 1\r\n"
		"extra data[0]: 0x000000000000000f\nemulation failure\n"
		"EAX=00000000 EBX=00000000\nKVM: entry failed, hardware error 0x80000021\n";
	struct kvm_stderr e = { 0 };
	struct kvm_run r = { .wall_ns = 5 };
	struct kvm_opts o;
	struct proc p;
	size_t n_marks;
	int stops = 0;

	for (size_t i = 0; i < sizeof(err) - 1; i += 7)
		stops += kvm_stderr__feed(&e, err + i, sizeof(err) - 1 - i < 7 ? sizeof(err) - 1 - i : 7);
	kvm_stderr__end(&e);
	CHECK_EQ_INT(stops, 1);
	CHECK(!strcmp(e.stop, "KVM internal error. Suberror: 1; emulation failure"));
	child(&p, 0, -1);
	CHECK_EQ_INT(p.end, PROC_STOPPED);
	kvm_run__conclude(&r, &p, &e, 0);
	CHECK_EQ_INT(r.status, RUN_FAILED);
	CHECK_EQ_INT(r.exit_code, 128 + SIGTERM);

	opts_init(&o, "stopped");
	r.console = text_file("SeaBIOS (version 1.16.2)\n");
	exits_add(&r, "kvm:kvm_exit", HW_NO_TRACEFS);
	CHECK_EQ_INT(kvm_ingest(s, &o, NULL, &r, &n_marks), 2);
	CHECK_EQ_INT(n_marks, 0);
	CHECK_Q(s, "SELECT w.arch, r.status, r.exit_code, json_extract(config_json, '$.vmm_message'), "
		"json_extract(config_json, '$.why') FROM run r JOIN workload w ON w.id = r.workload_id WHERE r.id = 2",
		"unknown|failed|143|KVM internal error. Suberror: 1; emulation failure|"
		"KVM stopped the guest; the VMM was ended");
	/* nothing sampled: no exits metric, no counts; no marker lines: no marks */
	CHECK_Q(s, "SELECT (SELECT group_concat(metric) FROM run_metric WHERE run_id = 2), "
		"(SELECT count(*) FROM event_count WHERE run_id = 2), (SELECT count(*) FROM mark WHERE run_id = 2)",
		"wall_ns|0|0");
	kvm_run__free(&r);
}

/* How the VMM ended without a stop message: its exit code and last stderr
 * line (a last line without newline counts), the deadline, an ok exit. */
static void test_conclude(void)
{
	static const char no_kvm[] = "Could not access KVM kernel module\n\nqemu: failed to initialize kvm";
	struct kvm_stderr e = { 0 };
	struct kvm_run r = { 0 };
	struct proc p;

	CHECK_EQ_INT(kvm_stderr__feed(&e, no_kvm, strlen(no_kvm)), 0);
	kvm_stderr__end(&e);
	child(&p, 0, 1);
	kvm_run__conclude(&r, &p, &e, 0);
	CHECK(r.status == RUN_FAILED && r.exit_code == 1);
	CHECK(!strcmp(r.why, "the VMM exited with 1"));
	CHECK(!strcmp(r.message, "qemu: failed to initialize kvm"));

	memset(&r, 0, sizeof(r));
	child(&p, 0.05, -1);
	kvm_run__conclude(&r, &p, &e, 0.05);
	CHECK(r.status == RUN_TIMEOUT && r.exit_code == 128 + SIGTERM);
	CHECK(!strcmp(r.why, "timeout after 0.05 s") && !r.message[0]);

	memset(&r, 0, sizeof(r));
	child(&p, 0, 0);
	kvm_run__conclude(&r, &p, &e, 0);
	CHECK(r.status == RUN_OK && r.exit_code == 0 && !r.why[0] && !r.message[0]);
}

/* A damaged marker line: an error, and no run stored. */
static void test_damaged(struct store *s)
{
	struct kvm_opts o;
	struct kvm_run r = { .status = RUN_OK };
	size_t n_marks;

	opts_init(&o, "damaged");
	r.console = text_file("@emudiff mark 1\n@emudiff mark x\n");
	CHECK_EQ_INT(kvm_ingest(s, &o, NULL, &r, &n_marks), -1);
	CHECK_Q(s, "SELECT count(*) FROM run WHERE id > 2", "0");
	kvm_run__free(&r);
}

int main(void)
{
	char *db, *events;
	struct store *s;

	if (!mkdtemp(tmp))
		return 99;
	db = xasprintf("%s/k.db", tmp);
	events = xasprintf("%s/events", tmp);
	/* a directory with events/ stands for a tracefs mount */
	mkdir(events, 0755);
	s = store__open(db, STORE_CREATE);
	if (!s)
		return 99;
	messages_quiet(1);
	test_rows(s, tmp);
	test_stop(s);
	test_conclude();
	test_damaged(s);
	store__close(s);
	unlink(db);
	rmdir(events);
	rmdir(tmp);
	free(db);
	free(events);
	return check_exit();
}
