/*
 * test-mark-pmc.c - the marker runtime's counter reads without a system call
 * (emudiff/mark.h, read mode rdpmc), against synthetic perf_event_mmap_pages:
 * the page layout against the kernel's header, the seqlock retry, index 0
 * (not readable), pmc_width sign extension, time_enabled/time_running brought
 * to now with the user clock when multiplexed, and the collector's scaling.
 * The hardware reads (rdpmc, the user clock) are replaced by functions of
 * this test. Then the whole runtime on a real buffer: a synthetic counter page
 * (a memfd) read at each hit, a real task-clock page that says "not user
 * readable" (this machine has no hardware PMU, so that is the real path
 * here), and no counter reads from another thread or a forked copy.
 */
#include <stdint.h>

static uint64_t test_rdpmc(uint32_t counter);
static uint64_t test_user_clock(void);
static long test_event_id(int fd, uint64_t *id);
#define EMUDIFF__RDPMC(counter) test_rdpmc(counter)
#define EMUDIFF__USER_CLOCK() test_user_clock()
#define EMUDIFF__CAN_RDPMC 1
#define EMUDIFF__EVENT_ID(fd, id) test_event_id(fd, id)
#include <emudiff/mark.h>

#include "hw.h"
#include "check.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CAPS_RDPMC (EMUDIFF__CAP_BIT0_IS_DEPRECATED | EMUDIFF__CAP_USER_RDPMC)

static volatile struct emudiff_pmc_page *page; /* what the hooks act on */
static uint64_t pmc_value, clock_value;
static uint32_t last_counter;
static int rdpmc_calls;
/* on the first rdpmc of a read, act as the kernel updating the page meanwhile */
static int update_on_first;
static int64_t updated_offset;

static uint64_t test_rdpmc(uint32_t counter)
{
	last_counter = counter;
	if (rdpmc_calls++ == 0 && update_on_first) {
		page->lock++;
		page->offset = updated_offset;
		page->lock++;
	}
	return pmc_value;
}

static uint64_t test_user_clock(void)
{
	return clock_value;
}

/* The synthetic counter page (a memfd) answers as an event of id 77; every
 * other fd as the kernel does. */
static int synthetic_fd = -1;

static long test_event_id(int fd, uint64_t *id)
{
	if (fd == synthetic_fd) {
		*id = 77;
		return 0;
	}
	return syscall(SYS_ioctl, fd, PERF_EVENT_IOC_ID, id);
}

static void reset(volatile struct emudiff_pmc_page *p)
{
	memset((void *)p, 0, sizeof(*p));
	page = p;
	rdpmc_calls = 0;
	update_on_first = 0;
	pmc_value = 0;
	clock_value = 0;
}

static void test_layout(void)
{
	struct perf_event_mmap_page k;

	/* restated in mark.h: must be the kernel's ABI */
	CHECK_EQ_INT(offsetof(struct emudiff_pmc_page, lock), offsetof(struct perf_event_mmap_page, lock));
	CHECK_EQ_INT(offsetof(struct emudiff_pmc_page, index), offsetof(struct perf_event_mmap_page, index));
	CHECK_EQ_INT(offsetof(struct emudiff_pmc_page, offset), offsetof(struct perf_event_mmap_page, offset));
	CHECK_EQ_INT(offsetof(struct emudiff_pmc_page, time_enabled),
		     offsetof(struct perf_event_mmap_page, time_enabled));
	CHECK_EQ_INT(offsetof(struct emudiff_pmc_page, time_running),
		     offsetof(struct perf_event_mmap_page, time_running));
	CHECK_EQ_INT(offsetof(struct emudiff_pmc_page, capabilities),
		     offsetof(struct perf_event_mmap_page, capabilities));
	CHECK_EQ_INT(offsetof(struct emudiff_pmc_page, pmc_width), offsetof(struct perf_event_mmap_page, pmc_width));
	CHECK_EQ_INT(offsetof(struct emudiff_pmc_page, time_shift), offsetof(struct perf_event_mmap_page, time_shift));
	CHECK_EQ_INT(offsetof(struct emudiff_pmc_page, time_mult), offsetof(struct perf_event_mmap_page, time_mult));
	CHECK_EQ_INT(offsetof(struct emudiff_pmc_page, time_offset),
		     offsetof(struct perf_event_mmap_page, time_offset));
	CHECK_EQ_INT(offsetof(struct emudiff_pmc_page, time_cycles),
		     offsetof(struct perf_event_mmap_page, time_cycles));
	CHECK_EQ_INT(offsetof(struct emudiff_pmc_page, time_mask), offsetof(struct perf_event_mmap_page, time_mask));
	memset(&k, 0, sizeof(k));
	k.cap_bit0_is_deprecated = 1;
	CHECK_EQ_INT(k.capabilities, EMUDIFF__CAP_BIT0_IS_DEPRECATED);
	k.capabilities = 0;
	k.cap_user_rdpmc = 1;
	CHECK_EQ_INT(k.capabilities, EMUDIFF__CAP_USER_RDPMC);
	k.capabilities = 0;
	k.cap_user_time = 1;
	CHECK_EQ_INT(k.capabilities, EMUDIFF__CAP_USER_TIME);
	k.capabilities = 0;
	k.cap_user_time_short = 1;
	CHECK_EQ_INT(k.capabilities, EMUDIFF__CAP_USER_TIME_SHORT);
}

static void test_reads(void)
{
	static struct emudiff_pmc_page p;
	uint64_t c = 0, en = 0, run = 0;

	/* offset + counter index-1, times as on the page (not multiplexed) */
	reset(&p);
	p.capabilities = CAPS_RDPMC;
	p.index = 3;
	p.offset = 1000;
	p.pmc_width = 48;
	p.time_enabled = p.time_running = 777;
	pmc_value = 500;
	CHECK_EQ_INT(emudiff__pmc_read(&p, &c, &en, &run), 1);
	CHECK_EQ_INT(c, 1500);
	CHECK_EQ_INT(last_counter, 2);
	CHECK_EQ_INT(en, 777);
	CHECK_EQ_INT(run, 777);

	/* a 48-bit counter: bits above are not the counter's; bit 47 is its sign
	 * (the kernel's offset is negative by the counter's start value) */
	pmc_value = 0xabcd000000000005ull;
	CHECK_EQ_INT(emudiff__pmc_read(&p, &c, &en, &run), 1);
	CHECK_EQ_INT(c, 1005);
	pmc_value = 0x0000ffffffffff00ull; /* -256 in 48 bits */
	p.offset = 10000;
	CHECK_EQ_INT(emudiff__pmc_read(&p, &c, &en, &run), 1);
	CHECK_EQ_INT(c, 9744);
	p.pmc_width = 64;
	pmc_value = 0xffffffffffffff00ull;
	CHECK_EQ_INT(emudiff__pmc_read(&p, &c, &en, &run), 1);
	CHECK_EQ_INT(c, 9744);
	p.pmc_width = 40; /* what x86 AMD reports... any width: 2^40 - 1 is -1 */
	pmc_value = 0xffffffffffull;
	CHECK_EQ_INT(emudiff__pmc_read(&p, &c, &en, &run), 1);
	CHECK_EQ_INT(c, 9999);

	/* not readable: index 0 (not scheduled), no cap_user_rdpmc, a kernel older
	 * than the capability bits, a width of 0 */
	c = 42;
	p.pmc_width = 48;
	p.index = 0;
	rdpmc_calls = 0;
	CHECK_EQ_INT(emudiff__pmc_read(&p, &c, &en, &run), 0);
	CHECK_EQ_INT(rdpmc_calls, 0);
	p.index = 1;
	p.capabilities = EMUDIFF__CAP_BIT0_IS_DEPRECATED;
	CHECK_EQ_INT(emudiff__pmc_read(&p, &c, &en, &run), 0);
	CHECK_EQ_INT(rdpmc_calls, 0);
	p.capabilities = EMUDIFF__CAP_USER_RDPMC;
	CHECK_EQ_INT(emudiff__pmc_read(&p, &c, &en, &run), 0);
	p.capabilities = CAPS_RDPMC;
	p.pmc_width = 0;
	CHECK_EQ_INT(emudiff__pmc_read(&p, &c, &en, &run), 0);
	CHECK_EQ_INT(c, 42);
}

static void test_seqlock(void)
{
	static struct emudiff_pmc_page p;
	uint64_t c = 0, en = 0, run = 0;

	/* the kernel rewrote the page during the first read: read again */
	reset(&p);
	p.capabilities = CAPS_RDPMC;
	p.index = 1;
	p.pmc_width = 48;
	p.offset = 100;
	p.lock = 8;
	pmc_value = 5;
	update_on_first = 1;
	updated_offset = 200;
	CHECK_EQ_INT(emudiff__pmc_read(&p, &c, &en, &run), 1);
	CHECK_EQ_INT(rdpmc_calls, 2);
	CHECK_EQ_INT(c, 205);
	CHECK_EQ_INT(p.lock, 10);

	/* caught in the middle of an update (odd): read again once it is done */
	reset(&p);
	p.capabilities = CAPS_RDPMC;
	p.index = 1;
	p.pmc_width = 48;
	p.offset = 100;
	p.lock = 7;
	pmc_value = 5;
	update_on_first = 1; /* 7 -> 9: odd for ever after */
	updated_offset = 300;
	CHECK_EQ_INT(emudiff__pmc_read(&p, &c, &en, &run), 0); /* never settles: given up */
	CHECK(rdpmc_calls > 100);
	reset(&p);
	p.capabilities = CAPS_RDPMC;
	p.index = 1;
	p.pmc_width = 48;
	p.offset = 100;
	p.lock = 6;
	update_on_first = 1; /* 6 -> 8 */
	updated_offset = 400;
	pmc_value = 1;
	CHECK_EQ_INT(emudiff__pmc_read(&p, &c, &en, &run), 1);
	CHECK_EQ_INT(c, 401);
}

static void test_multiplexed(void)
{
	static struct emudiff_pmc_page p;
	uint64_t c = 0, en = 0, run = 0, words[4];
	struct hw_reading r;

	/* the group ran 400 of 1000 ns at the last update; 600 ns later (it has
	 * been running since, as index != 0 says) enabled 1600, running 1000 */
	reset(&p);
	p.capabilities = CAPS_RDPMC | EMUDIFF__CAP_USER_TIME;
	p.index = 2;
	p.pmc_width = 48;
	p.offset = 0;
	p.time_enabled = 1000;
	p.time_running = 400;
	p.time_shift = 10;
	p.time_mult = 2048; /* 2 ns per cycle */
	clock_value = 5 * 1024 + 512; /* quot 5, rem 512: 10240 + 1024 ns */
	p.time_offset = (uint64_t)600 - 11264; /* wraps, as the kernel's does */
	pmc_value = 3000;
	CHECK_EQ_INT(emudiff__pmc_read(&p, &c, &en, &run), 1);
	CHECK_EQ_INT(c, 3000);
	CHECK_EQ_INT(en, 1600);
	CHECK_EQ_INT(run, 1000);
	/* the collector scales to time enabled, as perf does */
	words[0] = en;
	words[1] = run;
	words[2] = c;
	words[3] = 999; /* counter 1 not read at this hit: no value */
	hw_reading__from_pmc(words, 1u, 2, &r);
	CHECK(r.counted);
	CHECK(r.multiplexed);
	CHECK_NEAR(r.value[0], 4800.0, 1e-12);
	CHECK_EQ_INT(r.raw[1], 0);
	CHECK(r.value[1] == 0);

	/* cap_user_time_short: the clock is time_cycles + (now - time_cycles) & time_mask */
	p.capabilities |= EMUDIFF__CAP_USER_TIME_SHORT;
	p.time_cycles = 5000;
	p.time_mask = 0xff;
	clock_value = 0x12345; /* -> 5000 + 189 = 5189: quot 5, rem 69 -> 10240 + 138 */
	p.time_offset = (uint64_t)0 - 10378 + 50;
	CHECK_EQ_INT(emudiff__pmc_read(&p, &c, &en, &run), 1);
	CHECK_EQ_INT(en, 1050);
	CHECK_EQ_INT(run, 450);

	/* multiplexed and no user clock (cap_user_time 0, as under kvm-clock): the
	 * times at the last update cannot be brought to now: not read */
	p.capabilities = CAPS_RDPMC;
	CHECK_EQ_INT(emudiff__pmc_read(&p, &c, &en, &run), 0);
	/* ... but not multiplexed, no clock is needed */
	p.time_running = p.time_enabled;
	CHECK_EQ_INT(emudiff__pmc_read(&p, &c, &en, &run), 1);
	/* not counted at all yet: both 0, read while scheduled: a value */
	words[0] = words[1] = 0;
	hw_reading__from_pmc(words, 1u, 1, &r);
	CHECK(r.counted && !r.multiplexed);
	CHECK_NEAR(r.value[0], 3000.0, 1e-12);
}

/* ---- the whole runtime on a buffer -------------------------------------- */

/* Is this process privileged, by the machine's facts (tests/lib/machine-facts)?
 * A privileged process must be able to open task-clock: only an unprivileged
 * one under a strict perf_event_paranoid may be refused. */
static int privileged_by_facts(void)
{
	const char *facts = getenv("EMUDIFF_FACTS");
	char line[256];
	int priv = 0;
	FILE *f;

	if (!facts || !(f = popen(facts, "r")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "privileged=", 11))
			priv = line[11] == '1' || (line[11] == '\'' && line[12] == '1');
	pclose(f);
	return priv;
}

static int open_task_clock(void)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
	return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static void *other_thread(void *arg)
{
	(void)arg;
	EMUDIFF_MARK(9);
	return NULL;
}

static void test_runtime(void)
{
	enum { CAP = 16, COUNTERS = 3 };
	size_t rsize = 16 + 8 * (2 + COUNTERS), bytes = sizeof(struct emudiff_mark_buffer) + CAP * rsize;
	int bfd = memfd_create("marks", 0), pfd = memfd_create("synthetic-counter", 0), tfd = open_task_clock();
	int ifd = memfd_create("impostor", 0);
	uint64_t tid = 0;
	struct emudiff_mark_buffer *b;
	struct emudiff_pmc_page *syn, *imp;
	const struct emudiff_mark_record *rec[6];
	char env[128];
	pthread_t th;
	pid_t child;
	int status = -1;

	if (bfd < 0 || pfd < 0 || ifd < 0 || ftruncate(bfd, (off_t)bytes) || ftruncate(pfd, 4096) ||
	    ftruncate(ifd, 4096)) {
		fprintf(stderr, "memfd: %s\n", strerror(errno));
		check_failures++;
		return;
	}
	b = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, bfd, 0);
	syn = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, pfd, 0);
	imp = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ifd, 0);
	if (b == MAP_FAILED || syn == MAP_FAILED || imp == MAP_FAILED) {
		check_failures++;
		return;
	}
	b->magic = EMUDIFF_MARK_MAGIC;
	b->version = EMUDIFF_MARK_VERSION;
	b->record_size = (uint32_t)rsize;
	b->capacity = CAP;
	b->read_mode = EMUDIFF_MARK_READ_RDPMC;
	b->counters = COUNTERS;
	b->counter_pid = getpid();
	/* counter 0: a synthetic page that allows user reads; counter 1: a real
	 * task-clock page (software: never user readable) or, if the kernel refused
	 * the event, an fd that cannot be mapped; counter 2: a file that took the
	 * number of a closed counter fd and looks like a readable page: never
	 * mapped (it is no perf event) */
	synthetic_fd = pfd;
	if (tfd >= 0 && ioctl(tfd, PERF_EVENT_IOC_ID, &tid))
		check_failures++;
	memset(imp, 0, sizeof(*imp));
	imp->capabilities = CAPS_RDPMC;
	imp->index = 1;
	imp->pmc_width = 48;
	reset(syn);
	syn->capabilities = CAPS_RDPMC;
	syn->index = 4;
	syn->pmc_width = 48;
	syn->offset = 1000;
	syn->time_enabled = syn->time_running = 5;
	snprintf(env, sizeof(env), "%d", bfd);
	setenv("EMUDIFF_MARK_FD", env, 1);
	snprintf(env, sizeof(env), "%zu", bytes);
	setenv("EMUDIFF_MARK_BYTES", env, 1);
	snprintf(env, sizeof(env), "%d:77,%d:%llu,%d:5", pfd, tfd >= 0 ? tfd : 0, (unsigned long long)tid, ifd);
	setenv("EMUDIFF_MARK_COUNTER_FDS", env, 1);

	pmc_value = 7;
	EMUDIFF_MARK(1);
	pmc_value = 20;
	syn->offset = 2000; /* as after a reschedule */
	EMUDIFF_MARK(2);
	pthread_create(&th, NULL, other_thread, NULL);
	pthread_join(th, NULL);
	child = fork();
	if (child == 0) {
		EMUDIFF_MARK(10);
		_exit(0);
	}
	waitpid(child, &status, 0);
	CHECK_EQ_INT(status, 0);
	syn->index = 0; /* descheduled */
	EMUDIFF_MARK(3);
	syn->index = 4;
	syn->time_running = 2; /* multiplexed, and no user clock on the page */
	EMUDIFF_MARK(4);

	CHECK_EQ_INT(b->count, 6);
	for (int i = 0; i < 6; i++)
		rec[i] = (const struct emudiff_mark_record *)((const unsigned char *)(b + 1) + (size_t)i * rsize);
	CHECK_EQ_INT(rec[0]->id, 1);
	CHECK_EQ_INT(rec[1]->id, 2);
	CHECK_EQ_INT(rec[2]->id, 9);
	CHECK_EQ_INT(rec[3]->id, 10);
	CHECK_EQ_INT(rec[4]->id, 3);
	CHECK_EQ_INT(rec[5]->id, 4);
	for (int i = 1; i < 6; i++)
		CHECK(rec[i]->time_ns >= rec[i - 1]->time_ns && rec[i]->time_ns > 0);
	/* the owner's hits read the synthetic counter (counter 0) */
	CHECK_EQ_INT(rec[0]->flags, 1);
	CHECK_EQ_INT(rec[0]->read[0], 5);
	CHECK_EQ_INT(rec[0]->read[1], 5);
	CHECK_EQ_INT(rec[0]->read[2], 1007);
	CHECK_EQ_INT(rec[1]->flags, 1);
	CHECK_EQ_INT(rec[1]->read[2], 2020);
	CHECK_EQ_INT(last_counter, 3);
	/* another thread, a forked copy, a descheduled counter, multiplexed without a
	 * user clock: no counter read */
	CHECK_EQ_INT(rec[2]->flags, 0);
	CHECK_EQ_INT(rec[3]->flags, 0);
	CHECK_EQ_INT(rec[4]->flags, 0);
	CHECK_EQ_INT(rec[5]->flags, 0);
	/* both pages mapped; only the synthetic one user readable */
	if (tfd >= 0) {
		CHECK_EQ_INT(b->pmc_mapped, 3); /* not the impostor */
		CHECK_EQ_INT(b->pmc_readable, 1);
	} else {
		printf("note: task-clock refused (%s): the real page was not read\n", strerror(errno));
		CHECK(!privileged_by_facts());
		CHECK_EQ_INT(b->pmc_readable, 1);
	}
	/* the buffer's pages were touched at attach without changing a byte */
	for (int i = 0; i < 6; i++)
		CHECK(rec[i]->id != 0);
	for (size_t i = 6; i < CAP; i++)
		CHECK_EQ_INT(((const struct emudiff_mark_record *)((const unsigned char *)(b + 1) + i * rsize))->id, 0);
	munmap(b, bytes);
	munmap(syn, 4096);
	munmap(imp, 4096);
}

/* Records into hw_marks: values in the counting group's order, only those read. */
static void test_collect_marks(void)
{
	enum { CAP = 4, RDPMC_WORDS = 2 + 2, SYSCALL_WORDS = 3 + 4 };
	uint64_t space[(sizeof(struct emudiff_mark_buffer) + CAP * (16 + 8 * SYSCALL_WORDS)) / 8];
	struct emudiff_mark_buffer *b = (struct emudiff_mark_buffer *)space;
	struct emudiff_mark_record *rec[CAP];
	struct hw_run_result r;
	const char *names[] = { "task-clock", "cycles", "instructions", "page-faults" };
	double fraction = 0;

	memset(&r, 0, sizeof(r));
	for (int i = 0; i < 4; i++)
		r.group.ev[r.group.n++] = hw_event__find(names[i]);
	/* the per-task group: task-clock and instructions could not be opened */
	r.mark_group.ev[r.mark_group.n++] = hw_event__find("cycles");
	r.mark_group.ev[r.mark_group.n++] = hw_event__find("page-faults");
	CHECK(r.group.ev[3] && r.mark_group.ev[1]);

	memset(space, 0, sizeof(space));
	b->record_size = 16 + 8 * RDPMC_WORDS;
	b->capacity = CAP;
	b->count = CAP + 1; /* one hit dropped */
	b->read_mode = EMUDIFF_MARK_READ_RDPMC;
	b->counters = 2;
	b->pmc_mapped = 3;
	b->pmc_readable = 1;
	for (int i = 0; i < CAP; i++)
		rec[i] = (struct emudiff_mark_record *)((unsigned char *)(b + 1) + (size_t)i * b->record_size);
	*rec[0] = (struct emudiff_mark_record){ .id = 1, .flags = 3, .time_ns = 1100 };
	memcpy(rec[0]->read, (const uint64_t[]){ 1000, 1000, 50, 7 }, 32);
	*rec[1] = (struct emudiff_mark_record){ .id = 0, .flags = 3, .time_ns = 1150 }; /* never completed */
	*rec[2] = (struct emudiff_mark_record){ .id = 2, .flags = 1, .time_ns = 1300 };
	memcpy(rec[2]->read, (const uint64_t[]){ 2000, 500, 80, 12345 }, 32); /* a quarter of the time */
	*rec[3] = (struct emudiff_mark_record){ .id = 3, .flags = 0, .time_ns = 1200 }; /* nothing read */
	hw_run_result__collect_marks(&r, b, 1000);
	CHECK_EQ_INT(r.n_marks, 3);
	CHECK_EQ_INT(r.marks_dropped, 1);
	CHECK_EQ_INT(r.marks_incomplete, 1);
	CHECK_EQ_INT(r.pmc_opened, 0xa);
	CHECK_EQ_INT(r.pmc_mapped, 0xa);
	CHECK_EQ_INT(r.pmc_readable, 0x2);
	if (r.n_marks == 3) {
		/* in time order */
		CHECK_EQ_INT(r.marks[0].id, 1);
		CHECK_EQ_INT(r.marks[1].id, 3);
		CHECK_EQ_INT(r.marks[2].id, 2);
		CHECK_EQ_INT(r.marks[0].time_ns, 100);
		CHECK_EQ_INT(r.marks[0].have, 0xa); /* cycles, page-faults */
		CHECK_NEAR(r.marks[0].r.value[1], 50.0, 1e-12);
		CHECK_NEAR(r.marks[0].r.value[3], 7.0, 1e-12);
		CHECK(!r.marks[0].r.multiplexed);
		CHECK_EQ_INT(r.marks[1].have, 0);
		CHECK_EQ_INT(r.marks[1].has_reading, 0);
		CHECK_EQ_INT(r.marks[2].have, 0x2); /* cycles only, scaled */
		CHECK_NEAR(r.marks[2].r.value[1], 320.0, 1e-12);
		CHECK(r.marks[2].r.value[3] == 0);
	}
	CHECK_EQ_INT(hw_run_result__multiplexed(&r, &fraction), 1);
	CHECK_NEAR(fraction, 0.25, 1e-12);
	free(r.marks);

	/* read mode syscall: the raw group read, every counter */
	memset(&r, 0, sizeof(r));
	for (int i = 0; i < 4; i++)
		r.group.ev[r.group.n++] = hw_event__find(names[i]);
	memset(space, 0, sizeof(space));
	b->record_size = 16 + 8 * SYSCALL_WORDS;
	b->capacity = CAP;
	b->count = 2;
	b->read_mode = EMUDIFF_MARK_READ_SYSCALL;
	for (int i = 0; i < 2; i++)
		rec[i] = (struct emudiff_mark_record *)((unsigned char *)(b + 1) + (size_t)i * b->record_size);
	*rec[0] = (struct emudiff_mark_record){ .id = 5, .flags = 8 * SYSCALL_WORDS, .time_ns = 10 };
	memcpy(rec[0]->read, (const uint64_t[]){ 4, 9, 9, 1, 2, 3, 4 }, 8 * SYSCALL_WORDS);
	*rec[1] = (struct emudiff_mark_record){ .id = 6, .flags = 0, .time_ns = 20 }; /* the read failed */
	hw_run_result__collect_marks(&r, b, 0);
	CHECK_EQ_INT(r.n_marks, 2);
	if (r.n_marks == 2) {
		CHECK_EQ_INT(r.marks[0].have, 0xf);
		CHECK_NEAR(r.marks[0].r.value[2], 3.0, 1e-12);
		CHECK_EQ_INT(r.marks[1].have, 0);
	}
	free(r.marks);
}

/* A real counter page of this machine, read by the documented protocol. */
static void test_real_page(void)
{
	int fd = open_task_clock();
	const struct emudiff_pmc_page *p;
	uint64_t c, en, run;

	if (fd < 0) {
		printf("note: task-clock refused: %s\n", strerror(errno));
		CHECK(!privileged_by_facts());
		return;
	}
	p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	/* a software event: the kernel says it cannot be read in user space */
	CHECK(p->capabilities & EMUDIFF__CAP_BIT0_IS_DEPRECATED);
	CHECK(!(p->capabilities & EMUDIFF__CAP_USER_RDPMC));
	CHECK_EQ_INT(p->index, 0);
	rdpmc_calls = 0;
	CHECK_EQ_INT(emudiff__pmc_read(p, &c, &en, &run), 0);
	CHECK_EQ_INT(rdpmc_calls, 0);
	munmap((void *)p, (size_t)sysconf(_SC_PAGESIZE));
	close(fd);
}

int main(void)
{
	test_layout();
	test_reads();
	test_seqlock();
	test_multiplexed();
	test_collect_marks();
	test_real_page();
	test_runtime();
	return check_exit();
}
