/*
 * test-mark-pmc.c - the marker runtime's counter reads without a system call
 * (emudiff/mark.h, read mode rdpmc), against synthetic perf_event_mmap_pages:
 * the page and attr layouts against the kernel's header, the seqlock retry,
 * index 0 (not readable), pmc_width sign extension,
 * time_enabled/time_running brought to now with the user clock when
 * multiplexed, and the collector's scaling. The hardware reads (rdpmc, the
 * user clock) are replaced by functions of this test. Then the records and
 * thread slots of a buffer as the collector reads them (marks.c, threads.c),
 * and a real counter page of this machine. The runtime itself on real
 * buffers: test-mark-runtime.c.
 */
#include <stdint.h>

static uint64_t test_rdpmc(uint32_t counter);
static uint64_t test_user_clock(void);
#define EMUDIFF__RDPMC(counter) test_rdpmc(counter)
#define EMUDIFF__USER_CLOCK() test_user_clock()
#define EMUDIFF__CAN_RDPMC 1
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

/* The attr the runtime opens each thread's counters with, against the kernel's. */
static void test_attr_layout(void)
{
	struct perf_event_attr k;
	struct emudiff_perf_attr e;
	uint64_t flags;

	CHECK_EQ_INT(sizeof(e), PERF_ATTR_SIZE_VER0);
	CHECK_EQ_INT(offsetof(struct emudiff_perf_attr, config), offsetof(struct perf_event_attr, config));
	CHECK_EQ_INT(offsetof(struct emudiff_perf_attr, read_format), offsetof(struct perf_event_attr, read_format));
	CHECK_EQ_INT(offsetof(struct emudiff_perf_attr, flags), offsetof(struct perf_event_attr, read_format) + 8);
	CHECK_EQ_INT(offsetof(struct emudiff_perf_attr, bp_addr), offsetof(struct perf_event_attr, bp_addr));
	memset(&k, 0, sizeof(k));
	k.exclude_kernel = 1;
	k.exclude_hv = 1;
	memcpy(&flags, (const unsigned char *)&k + offsetof(struct emudiff_perf_attr, flags), 8);
	CHECK_EQ_INT(flags, EMUDIFF__ATTR_EXCLUDE_KERNEL | EMUDIFF__ATTR_EXCLUDE_HV);
	memset(&k, 0, sizeof(k));
	k.disabled = 1;
	memcpy(&flags, (const unsigned char *)&k + offsetof(struct emudiff_perf_attr, flags), 8);
	CHECK_EQ_INT(flags, EMUDIFF__ATTR_DISABLED);
	CHECK_EQ_INT(EMUDIFF__IOC_ENABLE, PERF_EVENT_IOC_ENABLE);
	CHECK_EQ_INT(EMUDIFF__IOC_FLAG_GROUP, PERF_IOC_FLAG_GROUP);
	CHECK_EQ_INT(EMUDIFF__FORMAT_GROUP,
		     PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING);
	CHECK_EQ_INT(EMUDIFF__FLAG_FD_CLOEXEC, PERF_FLAG_FD_CLOEXEC);
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

/* A buffer as the collector lays it out: header, cap records, slots. */
static struct emudiff_mark_buffer *buffer_new(uint32_t mode, uint32_t events, uint64_t cap, uint32_t slots)
{
	size_t rsize = 16 + 8 * emudiff__record_words(mode, events);
	size_t table = sizeof(struct emudiff_mark_buffer) + cap * rsize;
	struct emudiff_mark_buffer *b = calloc(1, table + slots * sizeof(struct emudiff_mark_thread));

	b->magic = EMUDIFF_MARK_MAGIC;
	b->version = EMUDIFF_MARK_VERSION;
	b->record_size = (uint32_t)rsize;
	b->capacity = cap;
	b->read_mode = mode;
	b->events = events;
	b->thread_size = sizeof(struct emudiff_mark_thread);
	b->threads_offset = table;
	b->threads_capacity = slots;
	return b;
}

static struct emudiff_mark_record *record(struct emudiff_mark_buffer *b, size_t i)
{
	return (struct emudiff_mark_record *)((unsigned char *)(b + 1) + i * b->record_size);
}

static struct emudiff_mark_thread *slot(struct emudiff_mark_buffer *b, size_t i)
{
	return (struct emudiff_mark_thread *)((unsigned char *)b + b->threads_offset) + i;
}

/* The group of a run with 4 events; the buffer lists cycles and page-faults. */
static void group4(struct hw_run_result *r)
{
	const char *names[] = { "task-clock", "cycles", "instructions", "page-faults" };

	memset(r, 0, sizeof(*r));
	for (int i = 0; i < 4; i++)
		r->group.ev[r->group.n++] = hw_event__find(names[i]);
	r->n_mark_ev = 2;
	r->mark_ev[0] = 1;
	r->mark_ev[1] = 3;
}

static void free_marks(struct hw_run_result *r)
{
	for (size_t i = 0; i < r->n_threads; i++)
		free(r->threads[i].hits);
	free(r->threads);
	free(r->thread_by_tid);
	free(r->marks);
	free(r->mark_slots);
}

/* Records into hw_marks: values of their thread's own counters in the
 * counting group's order, only those read; the slots; the threads. */
static void test_collect_marks(void)
{
	enum { CAP = 4 };
	struct emudiff_mark_buffer *b = buffer_new(EMUDIFF_MARK_READ_RDPMC, 2, CAP, 2);
	static const struct hw_fork fork200 = { 200, 100, 50 };
	struct hw_run_result r;
	double fraction = 0;

	group4(&r);
	b->count = CAP + 1; /* one hit dropped */
	b->threads_used = 3; /* one thread found no slot */
	*record(b, 0) = (struct emudiff_mark_record){ .id = 1 | 3u << 16, .tid = 100, .time_ns = 1100 };
	memcpy(record(b, 0)->read, (const uint64_t[]){ 1000, 1000, 50, 7 }, 32);
	*record(b, 1) = (struct emudiff_mark_record){ .id = 0, .tid = 100, .time_ns = 1150 }; /* never completed */
	*record(b, 2) = (struct emudiff_mark_record){ .id = 2 | 1u << 16, .tid = 200, .time_ns = 1300 };
	memcpy(record(b, 2)->read, (const uint64_t[]){ 2000, 500, 80, 12345 }, 32); /* a quarter of the time */
	*record(b, 3) = (struct emudiff_mark_record){ .id = 3, .tid = 100, .time_ns = 1200 }; /* nothing read */
	*slot(b, 0) = (struct emudiff_mark_thread){ .tid = 100, .opened = 3, .readable = 3, .leader_fd = 5,
						    .setup_ns = { 1050, 1090 } };
	*slot(b, 1) = (struct emudiff_mark_thread){ .tid = 200, .opened = 1, .readable = 1, .leader_fd = 6,
						    .open_errno = { 0, EMFILE } };
	hw_run_result__collect_marks(&r, b, 1000);
	CHECK_EQ_INT(r.n_marks, 3);
	CHECK_EQ_INT(r.marks_dropped, 1);
	CHECK_EQ_INT(r.marks_incomplete, 1);
	CHECK_EQ_INT(r.n_mark_slots, 2);
	CHECK_EQ_INT(r.mark_threads_unslotted, 1);
	if (r.n_mark_slots == 2) {
		/* bits and errnos by group event: cycles 1, page-faults 3 */
		CHECK_EQ_INT(r.mark_slots[0].opened, 0xa);
		CHECK_EQ_INT(r.mark_slots[1].opened, 0x2);
		CHECK_EQ_INT(r.mark_slots[1].readable, 0x2);
		CHECK_EQ_INT(r.mark_slots[1].open_errno[3], EMFILE);
		CHECK_EQ_INT(r.mark_slots[0].setup_ns[1], 1090);
	}
	if (r.n_marks == 3) {
		/* in time order */
		CHECK_EQ_INT(r.marks[0].id, 1);
		CHECK_EQ_INT(r.marks[1].id, 3);
		CHECK_EQ_INT(r.marks[2].id, 2);
		CHECK_EQ_INT(r.marks[0].tid, 100);
		CHECK_EQ_INT(r.marks[2].tid, 200);
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
	/* threads: 100 first, 200 created at 50; each hit on its thread, each
	 * thread's last hit at a time; a thread id never reported comes last */
	r.n_mark_slots = 3;
	r.mark_slots = realloc(r.mark_slots, 3 * sizeof(*r.mark_slots));
	r.mark_slots[2] = (struct hw_mark_slot){ .tid = 50 };
	hw_run_result__threads(&r, 100, &fork200, 1);
	CHECK_EQ_INT(r.n_threads, 3);
	if (r.n_threads == 3 && r.n_marks == 3) {
		CHECK_EQ_INT(r.threads[0].tid, 100);
		CHECK_EQ_INT(r.threads[1].tid, 200);
		CHECK_EQ_INT(r.threads[2].tid, 50);
		CHECK_EQ_INT(r.marks[0].thread, 0);
		CHECK_EQ_INT(r.marks[1].thread, 0);
		CHECK_EQ_INT(r.marks[2].thread, 1);
		CHECK_EQ_INT(r.threads[0].n_hits, 2);
		CHECK_EQ_INT(hw_run_result__thread_of(&r, 200, 400), 1);
		CHECK_EQ_INT(hw_run_result__thread_of(&r, 300, 400), -1);
		CHECK_EQ_INT(hw_run_result__seq_at(&r, 0, 99), -1);
		CHECK_EQ_INT(hw_run_result__seq_at(&r, 0, 100), 0);
		CHECK_EQ_INT(hw_run_result__seq_at(&r, 0, 1000), 1);
		CHECK_EQ_INT(hw_run_result__seq_at(&r, 1, 299), -1);
		CHECK_EQ_INT(hw_run_result__seq_at(&r, 1, 300), 2);
		CHECK_EQ_INT(hw_run_result__seq_at(&r, 2, 1000), -1);
	}
	free_marks(&r);
	free(b);

	/* read mode syscall: the raw read of the thread's group (cycles, page-faults) */
	b = buffer_new(EMUDIFF_MARK_READ_SYSCALL, 2, CAP, 1);
	group4(&r);
	b->count = 2;
	*record(b, 0) = (struct emudiff_mark_record){ .id = 5 | 3u << 16, .tid = 7, .time_ns = 10 };
	memcpy(record(b, 0)->read, (const uint64_t[]){ 2, 9, 9, 1, 4 }, 40);
	*record(b, 1) = (struct emudiff_mark_record){ .id = 6, .tid = 7, .time_ns = 20 }; /* the read failed */
	hw_run_result__collect_marks(&r, b, 0);
	CHECK_EQ_INT(r.n_marks, 2);
	if (r.n_marks == 2) {
		CHECK_EQ_INT(r.marks[0].have, 0xa);
		CHECK_NEAR(r.marks[0].r.value[1], 1.0, 1e-12);
		CHECK_NEAR(r.marks[0].r.value[3], 4.0, 1e-12);
		CHECK_EQ_INT(r.marks[1].have, 0);
	}
	free_marks(&r);
	free(b);
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
	test_attr_layout();
	test_reads();
	test_seqlock();
	test_multiplexed();
	test_collect_marks();
	test_real_page();
	return check_exit();
}
