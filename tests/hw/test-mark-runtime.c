/*
 * test-mark-runtime.c - the marker runtime (emudiff/mark.h) on real buffers,
 * as a program under `collect hw` runs it: every thread opens its own
 * counters at its first hit and reads them at each hit; a forked copy sets
 * itself up as a new process; a thread's group is closed when it exits.
 *
 * Read mode rdpmc with three events: task-clock (real: a software event,
 * whose page says it is not user readable), a synthetic counter (a memfd
 * page that allows user reads, with rdpmc replaced by this test) and an
 * event the kernel refuses. Read mode syscall with task-clock and
 * page-faults (real, read by read(2)), and the fd budget spent.
 */
#include <stdint.h>

struct emudiff_perf_attr;
static uint64_t test_rdpmc(uint32_t counter);
static long test_perf_open(const struct emudiff_perf_attr *a, long group_fd);
#define EMUDIFF__RDPMC(counter) test_rdpmc(counter)
#define EMUDIFF__USER_CLOCK() 0
#define EMUDIFF__CAN_RDPMC 1
#define EMUDIFF__PERF_OPEN(attr, group_fd) test_perf_open(attr, group_fd)
#include <emudiff/mark.h>

#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { SYNTHETIC = 77, REFUSED = 78 };

static _Thread_local uint64_t my_pmc; /* what rdpmc returns in this thread */
static int synthetic_opens;           /* each open's page gets offset 1000 x this */

static uint64_t test_rdpmc(uint32_t counter)
{
	(void)counter;
	return my_pmc;
}

/* The synthetic event: a page that allows user reads; the refused one:
 * ENOENT; every other event as the kernel opens it. */
static long test_perf_open(const struct emudiff_perf_attr *a, long group_fd)
{
	int fd;
	struct emudiff_pmc_page *p;

	if (a->type == REFUSED) {
		errno = ENOENT;
		return -1;
	}
	if (a->type != SYNTHETIC)
		return syscall(SYS_perf_event_open, a, 0, -1, group_fd, EMUDIFF__FLAG_FD_CLOEXEC);
	fd = memfd_create("synthetic-counter", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 4096))
		return -1;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -1;
	memset(p, 0, sizeof(*p));
	p->capabilities = EMUDIFF__CAP_BIT0_IS_DEPRECATED | EMUDIFF__CAP_USER_RDPMC;
	p->index = 1;
	p->pmc_width = 48;
	p->offset = 1000 * ++synthetic_opens;
	p->time_enabled = p->time_running = 5;
	munmap(p, 4096);
	return fd;
}

/* A buffer as the collector lays it out, published in the environment. */
static struct emudiff_mark_buffer *buffer_new(uint32_t mode, const uint32_t *type, const uint64_t *config,
					      uint32_t events, uint64_t cap, uint32_t slots)
{
	size_t rsize = 16 + 8 * emudiff__record_words(mode, events);
	size_t table = sizeof(struct emudiff_mark_buffer) + cap * rsize;
	size_t bytes = table + slots * sizeof(struct emudiff_mark_thread);
	int fd = memfd_create("marks", 0);
	struct emudiff_mark_buffer *b;
	char num[32];

	if (fd < 0 || ftruncate(fd, (off_t)bytes))
		return NULL;
	b = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (b == MAP_FAILED)
		return NULL;
	b->magic = EMUDIFF_MARK_MAGIC;
	b->version = EMUDIFF_MARK_VERSION;
	b->record_size = (uint32_t)rsize;
	b->capacity = cap;
	b->read_mode = mode;
	b->events = events;
	for (uint32_t i = 0; i < events; i++) {
		b->event_type[i] = type[i];
		b->event_config[i] = config[i];
	}
	b->thread_size = sizeof(struct emudiff_mark_thread);
	b->threads_offset = table;
	b->threads_capacity = slots;
	snprintf(num, sizeof(num), "%d", fd);
	setenv("EMUDIFF_MARK_FD", num, 1);
	snprintf(num, sizeof(num), "%zu", bytes);
	setenv("EMUDIFF_MARK_BYTES", num, 1);
	return b;
}

static const struct emudiff_mark_record *record(const struct emudiff_mark_buffer *b, size_t i)
{
	return (const struct emudiff_mark_record *)((const unsigned char *)(b + 1) + i * b->record_size);
}

static const struct emudiff_mark_thread *slot(const struct emudiff_mark_buffer *b, size_t i)
{
	return (const struct emudiff_mark_thread *)((const unsigned char *)b + b->threads_offset) + i;
}

static int fd_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

static volatile unsigned long sink;

static void spin(void)
{
	for (unsigned long i = 0; i < 3000000; i++)
		sink += i;
}

/* Write n fresh pages: n page faults. */
static void touch_pages(int n)
{
	unsigned char *p = mmap(NULL, (size_t)n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	madvise(p, (size_t)n * 4096, MADV_NOHUGEPAGE);
	for (int i = 0; i < n; i++)
		p[i * 4096] = 1;
}

/* ---- rdpmc ---------------------------------------------------------------- */

static pid_t thread_tid;
static struct emudiff_mark_thread thread_slot_seen;

static void *rdpmc_thread(void *arg)
{
	(void)arg;
	thread_tid = (pid_t)syscall(SYS_gettid);
	my_pmc = 3;
	EMUDIFF_MARK(9);
	my_pmc = 4;
	EMUDIFF_MARK(9);
	thread_slot_seen = *emudiff_mark_tls_.slot;
	return NULL;
}

/* In a forked copy, a new thread's hit before the copy's own first one. */
static void *forked_thread(void *arg)
{
	(void)arg;
	EMUDIFF_MARK(10);
	return NULL;
}

static void test_rdpmc_mode(void)
{
	static const uint32_t type[] = { PERF_TYPE_SOFTWARE, SYNTHETIC, REFUSED };
	static const uint64_t config[] = { PERF_COUNT_SW_TASK_CLOCK, 0, 0 };
	struct emudiff_mark_buffer *b = buffer_new(EMUDIFF_MARK_READ_RDPMC, type, config, 3, 16, 4);
	pid_t me = (pid_t)syscall(SYS_gettid), child;
	const struct emudiff_mark_thread *s;
	pthread_t th;
	int status = -1;

	if (!b) {
		fprintf(stderr, "buffer: %s\n", strerror(errno));
		check_failures++;
		return;
	}
	my_pmc = 7;
	EMUDIFF_MARK(1);
	my_pmc = 20;
	EMUDIFF_MARK(2);
	pthread_create(&th, NULL, rdpmc_thread, NULL);
	pthread_join(th, NULL);
	/* the thread's group was closed when it exited (glibc's thread-exit hook) */
	if (__cxa_thread_atexit_impl) {
		CHECK(!fd_open(thread_slot_seen.fd[0]) && !fd_open(thread_slot_seen.fd[1]));
		CHECK(slot(b, 1)->exit_ns[0] >= slot(b, 1)->setup_ns[1] && slot(b, 1)->exit_ns[1] >= slot(b, 1)->exit_ns[0]);
	}
	child = fork();
	if (child == 0) {
		/* a process of its own: each thread its own slot, its own counters */
		pthread_create(&th, NULL, forked_thread, NULL);
		pthread_join(th, NULL);
		EMUDIFF_MARK(13);
		_exit(0);
	}
	waitpid(child, &status, 0);
	CHECK_EQ_INT(status, 0);
	my_pmc = 25;
	EMUDIFF_MARK(3);

	/* records: id | counters read << 16, the thread, its own counter */
	CHECK_EQ_INT(b->count, 7);
	CHECK_EQ_INT(record(b, 0)->id, 1 | 2u << 16);
	CHECK_EQ_INT(record(b, 1)->id, 2 | 2u << 16);
	CHECK_EQ_INT(record(b, 2)->id, 9 | 2u << 16);
	CHECK_EQ_INT(record(b, 4)->id, 10 | 2u << 16);
	CHECK_EQ_INT(record(b, 5)->id, 13 | 2u << 16);
	CHECK_EQ_INT(record(b, 6)->id, 3 | 2u << 16);
	CHECK_EQ_INT(record(b, 0)->tid, me);
	CHECK_EQ_INT(record(b, 2)->tid, thread_tid);
	CHECK(record(b, 4)->tid != 0 && record(b, 4)->tid != (uint32_t)child && record(b, 4)->tid != (uint32_t)me);
	CHECK_EQ_INT(record(b, 5)->tid, child);
	CHECK_EQ_INT(record(b, 6)->tid, me);
	CHECK_EQ_INT(record(b, 0)->read[0], 5); /* enabled, running of the page */
	CHECK_EQ_INT(record(b, 0)->read[3], 1007);
	CHECK_EQ_INT(record(b, 1)->read[3], 1020);
	CHECK_EQ_INT(record(b, 2)->read[3], 2003); /* the thread's own page */
	CHECK_EQ_INT(record(b, 3)->read[3], 2004);
	CHECK_EQ_INT(record(b, 4)->read[3], 3000); /* the forked copy's new thread's own page */
	CHECK_EQ_INT(record(b, 5)->read[3], 4020); /* the forked copy's own page */
	CHECK_EQ_INT(record(b, 6)->read[3], 1025);
	for (int i = 1; i < 7; i++)
		CHECK(record(b, i)->time_ns >= record(b, i - 1)->time_ns);
	/* slots: main, thread, the forked copy's thread and main; two processes */
	CHECK_EQ_INT(b->threads_used, 4);
	CHECK_EQ_INT(b->processes, 2);
	CHECK_EQ_INT(slot(b, 0)->tid, me);
	CHECK_EQ_INT(slot(b, 1)->tid, thread_tid);
	CHECK_EQ_INT(slot(b, 2)->tid, record(b, 4)->tid);
	CHECK_EQ_INT(slot(b, 3)->tid, child);
	for (int k = 0; k < 4; k++) {
		s = slot(b, k);
		CHECK_EQ_INT(s->opened, 3); /* task-clock, synthetic */
		CHECK_EQ_INT(s->readable, 2); /* the software event's page says no */
		CHECK_EQ_INT(s->open_errno[2], ENOENT);
		CHECK(s->leader_fd >= 0 && s->leader_fd == s->fd[0]);
		CHECK(s->setup_ns[0] > 0 && s->setup_ns[1] >= s->setup_ns[0]);
	}
	/* the main thread's group stays open for its later hits */
	CHECK(fd_open(slot(b, 0)->fd[0]));
	CHECK(slot(b, 0)->setup_ns[1] <= record(b, 0)->time_ns);
}

/* ---- syscall, fd budget ---------------------------------------------------- */

static void *syscall_thread(void *arg)
{
	(void)arg;
	EMUDIFF_MARK(21);
	spin();
	EMUDIFF_MARK(22);
	return NULL;
}

static void test_syscall_mode(void)
{
	static const uint32_t type[] = { PERF_TYPE_SOFTWARE, PERF_TYPE_SOFTWARE };
	static const uint64_t config[] = { PERF_COUNT_SW_TASK_CLOCK, PERF_COUNT_SW_PAGE_FAULTS };
	struct emudiff_mark_buffer *b = buffer_new(EMUDIFF_MARK_READ_SYSCALL, type, config, 2, 8, 4);
	const struct emudiff_mark_record *r[4];
	pthread_t th;

	if (!b)
		return;
	/* a new attach of this process, as after an exec */
	memset(&emudiff_mark_state_, 0, sizeof(emudiff_mark_state_));
	memset(&emudiff_mark_tls_, 0, sizeof(emudiff_mark_tls_));
	EMUDIFF_MARK(11);
	spin();
	touch_pages(4);
	EMUDIFF_MARK(12);
	/* one fd left of the budget: the next thread opens task-clock only */
	emudiff_mark_state_.fd_budget = emudiff_mark_state_.fds + 1;
	pthread_create(&th, NULL, syscall_thread, NULL);
	pthread_join(th, NULL);
	CHECK_EQ_INT(b->count, 4);
	for (int i = 0; i < 4; i++)
		r[i] = record(b, (size_t)i);
	if (slot(b, 0)->opened != 3) {
		printf("note: software counters refused here (opened %u, errno %u): no values\n", slot(b, 0)->opened,
		       slot(b, 0)->open_errno[0]);
		CHECK_EQ_INT(r[0]->id >> 16, 0);
		return;
	}
	/* main: both counters, one group read of nr 2 per hit */
	CHECK_EQ_INT(r[0]->id, 11 | 3u << 16);
	CHECK_EQ_INT(r[0]->read[0], 2);
	CHECK(r[1]->read[3] > r[0]->read[3]); /* task clock of the spin */
	CHECK(r[1]->read[4] >= r[0]->read[4] + 4); /* the pages' faults: the whole group counts at once */
	/* the thread: task-clock only, its own (from its first hit: less than main's) */
	CHECK_EQ_INT(r[2]->id, 21 | 1u << 16);
	CHECK_EQ_INT(r[2]->read[0], 1);
	CHECK(r[3]->read[3] > r[2]->read[3]);
	CHECK(r[2]->read[3] < r[1]->read[3]);
	CHECK_EQ_INT(slot(b, 1)->opened, 1);
	CHECK_EQ_INT(slot(b, 1)->open_errno[1], EMUDIFF_MARK_NO_FD);
}

int main(void)
{
	test_rdpmc_mode();
	test_syscall_mode();
	return check_exit();
}
