/*
 * emudiff/mark-runtime.h - the hosted Linux marker runtime of emudiff/mark.h
 * (included by it; not to be included alone).
 *
 * Without -DEMUDIFF_FREESTANDING, the macro also calls emudiff_mark_hit(id),
 * a static inline function. When `emudiff collect hw` runs the program it
 * sets in the environment
 *
 *   EMUDIFF_MARK_FD=<n>           fd of a shared buffer (memfd) owned by the collector
 *   EMUDIFF_MARK_BYTES=<n>        its size in bytes
 *
 * and writes into the buffer header how hits read counters (read_mode) and
 * which counters every marking thread opens for itself (events,
 * event_type[], event_config[], exclude_kernel):
 *
 *   time     CLOCK_MONOTONIC_RAW only (vDSO, no system call)
 *   syscall  the time and one read(2) of the thread's own counter group:
 *            every counter, exact, one system call per hit (the collector
 *            discounts it)
 *   rdpmc    the time and, without a system call, the thread's counters
 *            whose perf_event_mmap_page allows user reads: each hit reads
 *            the page by its seqlock protocol (lock, index, offset, rdpmc on
 *            x86_64 or the counter CSR on riscv64, pmc_width sign extension,
 *            time_enabled/time_running advanced by the user clock when the
 *            group is multiplexed). A counter that is not scheduled at that
 *            moment (index 0), or multiplexed without a user clock
 *            (cap_user_time 0), is not read at that hit. The collector lists
 *            only counters whose page it found user readable (never software
 *            events: their pages say cap_user_rdpmc 0).
 *
 * Threads. Every thread that hits a marker gets its own state: a
 * thread-local struct (found without a system call) and a slot in the
 * buffer's thread table. At a thread's first hit the runtime calls gettid(),
 * takes a slot, and, unless the read mode is time, opens the listed events
 * as one group counting that thread only (perf_event_open pid 0, cpu -1, not
 * inherited, enabled at once, close-on-exec), maps each counter's page in
 * rdpmc mode, and registers a thread-exit hook (glibc's
 * __cxa_thread_atexit_impl, when the C library has it) that closes the group
 * again. So each hit's counter values are that thread's own counts since its
 * first hit. The slot records the thread id, what was opened (bit i: event i;
 * open_errno[i]: why not, EMUDIFF_MARK_NO_FD when the runtime's fd budget,
 * a quarter of RLIMIT_NOFILE, was spent), which pages allow user reads, the
 * group leader's fd (its read(2)s are the runtime's), and the
 * CLOCK_MONOTONIC_RAW interval around the first-hit work and around the
 * exit-time close: the collector discounts every system call of that thread
 * inside them. A thread that finds the table full still records its hits
 * (thread id, time) without counters.
 *
 * Processes. The buffer fd is inherited by children and across exec (so the
 * processes the program starts write to the same buffer, each attaching on
 * its own first hit). A forked copy of a process must not read its parent's
 * counters: the runtime keeps a generation number in a page it marks
 * MADV_WIPEONFORK, which a fork zeroes, so the child's first hit sets itself
 * up as a new process (new generation, new slot, the parent's group fds it
 * inherited closed). Without MADV_WIPEONFORK (Linux < 4.14) no counters are
 * opened at all (the slot's flags say so).
 *
 * On the first hit of a process the runtime maps the buffer (MAP_POPULATE:
 * the collector allocated the pages) and writes once to every record page it
 * may still fill, so that no later hit takes a page fault or, in a virtual
 * machine, a hypervisor exit on its first store into a page. Each hit then
 * takes the next record slot (atomic), stores the time, the thread id and
 * the counters and publishes the record by writing its id word last. When
 * the variables are absent, or the buffer does not carry the expected magic
 * and version, a hit costs a load and a predicted branch and does nothing.
 *
 * Buffer layout (host byte order): struct emudiff_mark_buffer, then
 * `capacity` records of `record_size` bytes (struct emudiff_mark_record and
 * (record_size - 16) / 8 words of read[]), then at threads_offset
 * `threads_capacity` struct emudiff_mark_thread slots:
 *
 *   record id  bits 0-15 the marker id, bits 16-31 the counters read at
 *              this hit (bit i: event i); 0 = never completed
 *   time       no words
 *   syscall    the raw group read (nr, enabled, running, values[nr]) of the
 *              thread's group, whose events are the set bits in order
 *   rdpmc      read[0] time_enabled, read[1] time_running (of the first
 *              counter read), read[2 + i] the raw count of event i
 *
 * `count` is the number of record slots taken; slots at or beyond `capacity`
 * are dropped (the collector reports how many); `threads_used` likewise.
 *
 */
#ifndef EMUDIFF_MARK_RUNTIME_H
#define EMUDIFF_MARK_RUNTIME_H

#include <stdint.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Strict ISO C modes (-std=c11) hide clock_gettime, syscall and madvise:
 * declare them (as the C library does) and use Linux's values. */
#ifdef CLOCK_MONOTONIC_RAW
#define EMUDIFF__CLOCK CLOCK_MONOTONIC_RAW
#else
#define EMUDIFF__CLOCK 4
int clock_gettime(int clock_id, struct timespec *tp);
#endif
#if !defined(__USE_MISC) && !defined(_BSD_SOURCE) && !defined(_GNU_SOURCE) && !defined(__cplusplus)
long syscall(long number, ...);
int madvise(void *addr, size_t length, int advice);
#endif

#ifdef MAP_POPULATE
#define EMUDIFF__MAP_POPULATE MAP_POPULATE
#else
#define EMUDIFF__MAP_POPULATE 0x8000 /* Linux's value; hidden in strict ISO C modes */
#endif
#ifdef MAP_ANONYMOUS
#define EMUDIFF__MAP_ANONYMOUS MAP_ANONYMOUS
#else
#define EMUDIFF__MAP_ANONYMOUS 0x20
#endif
#define EMUDIFF__MADV_WIPEONFORK 18 /* Linux 4.14 */

/* Thread-local storage: C11's keyword, GNU's in C++ and older C. */
#if !defined(__cplusplus) && defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define EMUDIFF__THREAD_LOCAL _Thread_local
#else
#define EMUDIFF__THREAD_LOCAL __thread
#endif

#define EMUDIFF_MARK_MAGIC 0x4b52414d46464445ull /* "EDFFMARK" little-endian */
#define EMUDIFF_MARK_VERSION 3
#define EMUDIFF_MARK_MAX_COUNTERS 16
#define EMUDIFF_MARK_ID_BITS 0xffffu /* record id word: the marker id; above: counters read */
#define EMUDIFF_MARK_NO_FD 255       /* open_errno: not opened, the fd budget was spent */
#define EMUDIFF_MARK_T_NO_FORK_CHECK 1u /* thread flags: no MADV_WIPEONFORK, no counters */

enum emudiff_mark_read {
	EMUDIFF_MARK_READ_TIME = 0,
	EMUDIFF_MARK_READ_SYSCALL = 1,
	EMUDIFF_MARK_READ_RDPMC = 2,
};

struct emudiff_mark_buffer {
	uint64_t magic;            /* EMUDIFF_MARK_MAGIC */
	uint32_t version;          /* EMUDIFF_MARK_VERSION */
	uint32_t record_size;      /* bytes per record, a multiple of 8, >= 16 */
	uint64_t capacity;         /* record slots after this header */
	uint64_t count;            /* slots taken (atomic); > capacity: hits dropped */
	uint32_t read_mode;        /* enum emudiff_mark_read */
	uint32_t events;           /* counters each marking thread opens */
	uint32_t exclude_kernel;   /* their attr.exclude_kernel and exclude_hv */
	uint32_t thread_size;      /* sizeof(struct emudiff_mark_thread) */
	uint64_t threads_offset;   /* the thread table, from the buffer's start */
	uint32_t threads_capacity; /* its slots */
	uint32_t threads_used;     /* slots taken (atomic); > capacity: threads without one */
	uint64_t processes;        /* processes attached (atomic): their generation numbers */
	uint32_t event_type[EMUDIFF_MARK_MAX_COUNTERS];   /* perf_event_attr.type of event i */
	uint64_t event_config[EMUDIFF_MARK_MAX_COUNTERS]; /* and .config */
};

/* A marking thread's slot: written by that thread, read by the collector
 * after the run (times CLOCK_MONOTONIC_RAW; 0 = not reached). */
struct emudiff_mark_thread {
	int32_t tid;       /* gettid() at the thread's first hit */
	uint32_t flags;    /* EMUDIFF_MARK_T_* */
	uint32_t opened;   /* bit i: event i is in the thread's group */
	uint32_t readable; /* rdpmc: bit i, event i's page allows user reads */
	int32_t leader_fd; /* the group's leader (read at each hit in syscall mode); -1 */
	int32_t fd[EMUDIFF_MARK_MAX_COUNTERS];         /* event i's fd; -1 */
	uint8_t open_errno[EMUDIFF_MARK_MAX_COUNTERS]; /* event i refused: errno (or NO_FD) */
	uint32_t reserved;
	uint64_t setup_ns[2]; /* around the runtime's work at the thread's first hit */
	uint64_t exit_ns[2];  /* around closing the group at thread exit */
	uint64_t page[EMUDIFF_MARK_MAX_COUNTERS]; /* rdpmc: event i's page, an address in the thread's process */
};

struct emudiff_mark_record {
	uint32_t id;      /* marker id | counters read << 16, written last; 0 = incomplete */
	uint32_t tid;     /* the thread that hit */
	uint64_t time_ns; /* CLOCK_MONOTONIC_RAW */
	uint64_t read[];  /* (record_size - 16) / 8 words, by read_mode */
};

/* struct perf_event_attr as far as the runtime sets it (the kernel's ABI,
 * <linux/perf_event.h>, size PERF_ATTR_SIZE_VER0, restated so that this
 * header needs no kernel headers and stays strict ISO C). */
struct emudiff_perf_attr {
	uint32_t type, size;
	uint64_t config, sample_period, sample_type, read_format;
	uint64_t flags; /* the bit fields: bit 0 disabled, 5 exclude_kernel, 6 exclude_hv */
	uint32_t wakeup_events, bp_type;
	uint64_t bp_addr;
};
#define EMUDIFF__ATTR_DISABLED (1ull << 0)
#define EMUDIFF__ATTR_EXCLUDE_KERNEL (1ull << 5)
#define EMUDIFF__ATTR_EXCLUDE_HV (1ull << 6)
#define EMUDIFF__FORMAT_GROUP 0xbull /* GROUP | TOTAL_TIME_ENABLED | TOTAL_TIME_RUNNING */
#define EMUDIFF__FLAG_FD_CLOEXEC 8ul
#define EMUDIFF__IOC_ENABLE 0x2400ul /* PERF_EVENT_IOC_ENABLE, _IO('$', 0) */
#define EMUDIFF__IOC_FLAG_GROUP 1ul

/* struct perf_event_mmap_page as far as the runtime reads it (restated, as above). */
struct emudiff_pmc_page {
	uint32_t version, compat_version;
	uint32_t lock;  /* seqlock: odd while the kernel updates the page */
	uint32_t index; /* hardware counter + 1; 0 = not readable now */
	int64_t offset; /* add to the counter's value */
	uint64_t time_enabled, time_running;
	uint64_t capabilities;
	uint16_t pmc_width, time_shift;
	uint32_t time_mult;
	uint64_t time_offset, time_zero;
	uint32_t size, reserved_1;
	uint64_t time_cycles, time_mask;
};
#define EMUDIFF__CAP_BIT0_IS_DEPRECATED (1ull << 1)
#define EMUDIFF__CAP_USER_RDPMC (1ull << 2)
#define EMUDIFF__CAP_USER_TIME (1ull << 3)
#define EMUDIFF__CAP_USER_TIME_SHORT (1ull << 5)

/* The hardware reads and the counter opening, replaceable by tests (which
 * feed synthetic pages). */
#ifndef EMUDIFF__RDPMC
#if defined(__x86_64__)
static inline uint64_t emudiff__rdpmc(uint32_t counter)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdpmc" : "=a"(lo), "=d"(hi) : "c"(counter));
	return (uint64_t)hi << 32 | lo;
}
static inline uint64_t emudiff__user_clock(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}
#define EMUDIFF__CAN_RDPMC 1
#elif defined(__riscv)
/* hpmcounter CSRs 0xc00 (cycle) .. 0xc1f: the CSR number is an immediate */
#define EMUDIFF__CSR(n)                                                              \
	case n:                                                                       \
		__asm__ __volatile__("csrr %0, %1" : "=r"(v) : "i"(0xc00 + n));      \
		break;
static inline uint64_t emudiff__rdpmc(uint32_t counter)
{
	uint64_t v = 0;

	switch (counter) {
	EMUDIFF__CSR(0) EMUDIFF__CSR(1) EMUDIFF__CSR(2) EMUDIFF__CSR(3) EMUDIFF__CSR(4)
	EMUDIFF__CSR(5) EMUDIFF__CSR(6) EMUDIFF__CSR(7) EMUDIFF__CSR(8) EMUDIFF__CSR(9)
	EMUDIFF__CSR(10) EMUDIFF__CSR(11) EMUDIFF__CSR(12) EMUDIFF__CSR(13) EMUDIFF__CSR(14)
	EMUDIFF__CSR(15) EMUDIFF__CSR(16) EMUDIFF__CSR(17) EMUDIFF__CSR(18) EMUDIFF__CSR(19)
	EMUDIFF__CSR(20) EMUDIFF__CSR(21) EMUDIFF__CSR(22) EMUDIFF__CSR(23) EMUDIFF__CSR(24)
	EMUDIFF__CSR(25) EMUDIFF__CSR(26) EMUDIFF__CSR(27) EMUDIFF__CSR(28) EMUDIFF__CSR(29)
	EMUDIFF__CSR(30) EMUDIFF__CSR(31)
	default:
		break;
	}
	return v;
}
static inline uint64_t emudiff__user_clock(void)
{
	uint64_t t;

	__asm__ __volatile__("rdtime %0" : "=r"(t));
	return t;
}
#define EMUDIFF__CAN_RDPMC 1
#else
/* aarch64: user counter access needs attr.config1 bit 1, which is not set;
 * the collector lists no counter for rdpmc mode there */
static inline uint64_t emudiff__rdpmc(uint32_t counter)
{
	(void)counter;
	return 0;
}
static inline uint64_t emudiff__user_clock(void)
{
	return 0;
}
#define EMUDIFF__CAN_RDPMC 0
#endif
#define EMUDIFF__RDPMC(counter) emudiff__rdpmc(counter)
#define EMUDIFF__USER_CLOCK() emudiff__user_clock()
#endif
#ifndef EMUDIFF__PERF_OPEN
#define EMUDIFF__PERF_OPEN(attr, group_fd)                                              \
	syscall(SYS_perf_event_open, attr, 0, -1, group_fd, EMUDIFF__FLAG_FD_CLOEXEC)
#endif
#ifndef EMUDIFF__GROUP_ENABLE
#define EMUDIFF__GROUP_ENABLE(fd) syscall(SYS_ioctl, fd, EMUDIFF__IOC_ENABLE, EMUDIFF__IOC_FLAG_GROUP)
#endif

/* The thread-exit hook (glibc >= 2.18; NULL elsewhere, e.g. static links,
 * musl: then a thread's counters stay open until the process ends). */
#ifdef __cplusplus
extern "C" {
#endif
__attribute__((weak)) int __cxa_thread_atexit_impl(void (*fn)(void *), void *obj, void *dso);
__attribute__((weak)) extern void *__dso_handle;
#ifdef __cplusplus
}
#endif

/*
 * One counter read by the protocol documented for struct
 * perf_event_mmap_page: retry while the kernel updated the page meanwhile
 * (lock changed or odd); count = offset + the counter sign-extended from
 * pmc_width bits; when the group is multiplexed (enabled != running) both
 * times are advanced to now with the user clock (time_offset + cycles scaled
 * by time_mult >> time_shift). Returns 1 with the raw count and the times, 0
 * when the counter cannot be read from user space now.
 */
static inline int emudiff__pmc_read(const volatile struct emudiff_pmc_page *pc, uint64_t *count,
				    uint64_t *enabled, uint64_t *running)
{
	uint64_t en, run, caps, pmc = 0, cyc = 0, toff = 0, tcyc = 0, tmask = 0;
	uint32_t seq, idx, tmult = 0;
	uint16_t width, tshift = 0;
	int64_t off;
	int tries = 0;

	do {
		if (++tries > 1000)
			return 0; /* a page that never settles: not readable */
		seq = pc->lock;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		en = pc->time_enabled;
		run = pc->time_running;
		caps = pc->capabilities;
		idx = pc->index;
		off = pc->offset;
		width = pc->pmc_width;
		if ((caps & EMUDIFF__CAP_USER_TIME) && en != run) {
			cyc = EMUDIFF__USER_CLOCK();
			toff = pc->time_offset;
			tmult = pc->time_mult;
			tshift = pc->time_shift;
			tcyc = pc->time_cycles;
			tmask = pc->time_mask;
		}
		if ((caps & EMUDIFF__CAP_USER_RDPMC) && idx)
			pmc = EMUDIFF__RDPMC(idx - 1);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	} while ((seq & 1) || pc->lock != seq);

	if (!(caps & EMUDIFF__CAP_BIT0_IS_DEPRECATED) || !(caps & EMUDIFF__CAP_USER_RDPMC) || !idx ||
	    width == 0 || width > 64)
		return 0;
	if (en != run) {
		uint64_t quot, rem, delta;

		if (!(caps & EMUDIFF__CAP_USER_TIME) || tshift > 63)
			return 0; /* multiplexed, and the times cannot be brought to now */
		if (caps & EMUDIFF__CAP_USER_TIME_SHORT)
			cyc = tcyc + ((cyc - tcyc) & tmask);
		quot = cyc >> tshift;
		rem = cyc & (((uint64_t)1 << tshift) - 1);
		delta = toff + quot * tmult + ((rem * tmult) >> tshift);
		en += delta;
		run += delta;
	}
	pmc <<= 64 - width;
	pmc = (uint64_t)((int64_t)pmc >> (64 - width));
	*count = (uint64_t)off + pmc;
	*enabled = en;
	*running = run;
	return 1;
}

/* Per-process state; weak, so every translation unit shares one copy. */
struct emudiff_mark_state {
	int status; /* 0 not yet looked, 1 attached, -1 detached, 2 attaching */
	uint32_t mode, record_size, events, threads_capacity;
	uint32_t fd_budget, fds; /* perf fds the runtime may hold, holds (atomic) */
	uint64_t capacity;
	long page;
	struct emudiff_mark_buffer *buf;
	unsigned char *records, *threads;
	/* this process's generation, in a page a fork wipes (a forked copy reads 0) */
	volatile uint64_t *gen;
	uint64_t gen_fallback; /* where gen points without MADV_WIPEONFORK */
	int fork_check;
};
__attribute__((weak)) struct emudiff_mark_state emudiff_mark_state_;

/* Per-thread state (thread-local, weak: one copy per thread). */
struct emudiff_mark_tls {
	uint64_t gen;                     /* the process generation it was set up in; 0: never */
	struct emudiff_mark_thread *slot; /* NULL: none (table full) */
	uint32_t tid;
	uint32_t live; /* counters to read at each hit */
	uint32_t open; /* group fds held (closed at thread exit) */
};
__attribute__((weak)) EMUDIFF__THREAD_LOCAL struct emudiff_mark_tls emudiff_mark_tls_;

static inline uint64_t emudiff__now(void)
{
	struct timespec ts;

	clock_gettime(EMUDIFF__CLOCK, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline int emudiff__env_int(const char *name, long *out)
{
	const char *s = getenv(name);
	long v = 0;

	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 0x7fffffffL)
			return -1;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

/* Counter words per record of a read mode (the collector sizes records alike). */
static inline uint32_t emudiff__record_words(uint32_t mode, uint32_t events)
{
	if (!events || mode == EMUDIFF_MARK_READ_TIME)
		return 0;
	return (mode == EMUDIFF_MARK_READ_SYSCALL ? 3 : 2) + events;
}

/* Is the buffer one this runtime can write (and every part of it inside its bytes)? */
static inline int emudiff__buffer_ok(const struct emudiff_mark_buffer *b, uint64_t bytes)
{
	if (b->magic != EMUDIFF_MARK_MAGIC || b->version != EMUDIFF_MARK_VERSION ||
	    b->read_mode > EMUDIFF_MARK_READ_RDPMC || b->events > EMUDIFF_MARK_MAX_COUNTERS ||
	    b->record_size < 16 + 8 * emudiff__record_words(b->read_mode, b->events) || b->record_size % 8 ||
	    b->thread_size != sizeof(struct emudiff_mark_thread) || b->threads_offset % 8 ||
	    b->threads_offset > bytes || b->capacity > (bytes - sizeof(*b)) / b->record_size)
		return 0;
	return b->threads_offset >= sizeof(*b) + b->capacity * b->record_size &&
	       b->threads_capacity <= (bytes - b->threads_offset) / sizeof(struct emudiff_mark_thread);
}

/* The process's generation page (wiped on fork) and fd budget. */
static inline void emudiff__process_init(struct emudiff_mark_state *st)
{
	struct { uint64_t cur, max; } lim;
	void *p = mmap(0, (size_t)st->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | EMUDIFF__MAP_ANONYMOUS,
		       -1, 0);

	st->gen = &st->gen_fallback;
	st->fork_check = 0;
	if (p != MAP_FAILED && !madvise(p, (size_t)st->page, EMUDIFF__MADV_WIPEONFORK)) {
		st->gen = (volatile uint64_t *)p;
		st->fork_check = 1;
	}
	*st->gen = __atomic_add_fetch(&st->buf->processes, 1, __ATOMIC_RELAXED);
	/* the runtime's counters take at most a quarter of the program's fds */
	st->fd_budget = 64;
	if (!syscall(SYS_prlimit64, 0, 7 /* RLIMIT_NOFILE */, 0, &lim))
		st->fd_budget = lim.cur / 4 < 1u << 20 ? (uint32_t)(lim.cur / 4) : 1u << 20;
	st->fds = 0;
}

/* First hit of the process: map the collector's buffer, or decide there is none. */
static inline int emudiff__mark_attach(struct emudiff_mark_state *st)
{
	int expected = 0;
	long fd, bytes;
	void *p;

	if (!__atomic_compare_exchange_n(&st->status, &expected, 2, 0, __ATOMIC_ACQUIRE,
					 __ATOMIC_ACQUIRE)) {
		while ((expected = __atomic_load_n(&st->status, __ATOMIC_ACQUIRE)) == 2)
			;
		return expected;
	}
	st->buf = 0;
	st->page = sysconf(_SC_PAGESIZE);
	if (emudiff__env_int("EMUDIFF_MARK_FD", &fd) || emudiff__env_int("EMUDIFF_MARK_BYTES", &bytes) ||
	    (unsigned long)bytes < sizeof(struct emudiff_mark_buffer) || st->page <= 0)
		goto detach;
	/* all pages mapped now, so that no marker hit takes a page fault (which would
	 * cost more than the hit and show up in the page_faults of its region) */
	p = mmap(0, (size_t)bytes, PROT_READ | PROT_WRITE, MAP_SHARED | EMUDIFF__MAP_POPULATE, (int)fd, 0);
	if (p == MAP_FAILED)
		goto detach;
	st->buf = (struct emudiff_mark_buffer *)p;
	if (!emudiff__buffer_ok(st->buf, (uint64_t)bytes)) {
		munmap(p, (size_t)bytes);
		st->buf = 0;
		goto detach;
	}
	st->mode = st->buf->read_mode;
	st->record_size = st->buf->record_size;
	st->capacity = st->buf->capacity;
	st->events = st->buf->events;
	st->threads_capacity = st->buf->threads_capacity;
	st->records = (unsigned char *)(st->buf + 1);
	st->threads = (unsigned char *)p + st->buf->threads_offset;
	/* One store into every record page still to be filled (an atomic add of 0, as
	 * other processes may be writing records): the first store into a page of a
	 * new mapping costs microseconds where a hypervisor shadows page tables, and
	 * here it happens before the first marker's timestamp. */
	{
		uint64_t from = __atomic_load_n(&st->buf->count, __ATOMIC_RELAXED);
		uintptr_t a = (uintptr_t)(st->records + (from < st->capacity ? from : st->capacity) * st->record_size);
		uintptr_t end = (uintptr_t)(st->records + st->capacity * st->record_size);

		for (a &= ~(uintptr_t)4095; a + 8 <= end; a += 4096)
			__atomic_fetch_add((uint64_t *)a, 0, __ATOMIC_RELAXED);
	}
	emudiff__process_init(st);
	__atomic_store_n(&st->status, 1, __ATOMIC_RELEASE);
	return 1;
detach:
	__atomic_store_n(&st->status, -1, __ATOMIC_RELEASE);
	return -1;
}

/* The listed events as one group counting the calling thread only. The
 * leader is opened disabled and the whole group enabled once complete: a
 * software event added to a group already counting on this thread would
 * count nothing until the thread is next scheduled in. */
static inline void emudiff__open_group(struct emudiff_mark_state *st, struct emudiff_mark_thread *s)
{
	for (uint32_t i = 0; i < st->events; i++) {
		struct emudiff_perf_attr a = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
		long fd;

		if (__atomic_add_fetch(&st->fds, 1, __ATOMIC_RELAXED) > st->fd_budget) {
			__atomic_sub_fetch(&st->fds, 1, __ATOMIC_RELAXED);
			s->open_errno[i] = EMUDIFF_MARK_NO_FD;
			continue;
		}
		a.type = st->buf->event_type[i];
		a.size = sizeof(a);
		a.config = st->buf->event_config[i];
		a.read_format = EMUDIFF__FORMAT_GROUP;
		if (st->buf->exclude_kernel)
			a.flags = EMUDIFF__ATTR_EXCLUDE_KERNEL | EMUDIFF__ATTR_EXCLUDE_HV;
		if (s->leader_fd < 0)
			a.flags |= EMUDIFF__ATTR_DISABLED;
		fd = EMUDIFF__PERF_OPEN(&a, s->leader_fd);
		if (fd < 0) {
			__atomic_sub_fetch(&st->fds, 1, __ATOMIC_RELAXED);
			s->open_errno[i] = (uint8_t)(errno > 0 && errno < EMUDIFF_MARK_NO_FD ? errno : 254);
			continue;
		}
		s->fd[i] = (int32_t)fd;
		s->opened |= 1u << i;
		if (s->leader_fd < 0)
			s->leader_fd = (int32_t)fd;
		if (st->mode == EMUDIFF_MARK_READ_RDPMC && EMUDIFF__CAN_RDPMC) {
			void *p = mmap(0, (size_t)st->page, PROT_READ, MAP_SHARED, (int)fd, 0);
			const volatile struct emudiff_pmc_page *pc = (const volatile struct emudiff_pmc_page *)p;

			if (p == MAP_FAILED)
				continue;
			s->page[i] = (uint64_t)(uintptr_t)p;
			/* capabilities are fixed when the event is mapped */
			if ((pc->capabilities & EMUDIFF__CAP_BIT0_IS_DEPRECATED) &&
			    (pc->capabilities & EMUDIFF__CAP_USER_RDPMC))
				s->readable |= 1u << i;
		}
	}
	if (s->leader_fd >= 0)
		EMUDIFF__GROUP_ENABLE(s->leader_fd);
}

/* Close a group (siblings first: closing the leader first would split it). */
static inline uint32_t emudiff__close_group(const struct emudiff_mark_thread *s, uint32_t events, long page)
{
	uint32_t closed = 0;

	for (uint32_t i = events; i-- > 0;) {
		if (s->page[i])
			munmap((void *)(uintptr_t)s->page[i], (size_t)page);
		if (s->fd[i] >= 0 && !close(s->fd[i]))
			closed++;
	}
	return closed;
}

/* Thread exit (or process exit, for the thread calling exit()). */
static inline void emudiff__thread_exit(void *arg)
{
	struct emudiff_mark_tls *t = (struct emudiff_mark_tls *)arg;
	struct emudiff_mark_state *st = &emudiff_mark_state_;
	struct emudiff_mark_thread *s = t->slot;

	/* a forked copy's inherited registration, or already closed: nothing to do */
	if (!s || !t->open || t->gen != *st->gen)
		return;
	t->live = 0;
	t->open = 0;
	s->exit_ns[0] = emudiff__now();
	__atomic_sub_fetch(&st->fds, emudiff__close_group(s, st->events, st->page), __ATOMIC_RELAXED);
	s->exit_ns[1] = emudiff__now();
}

/* First hit of a thread in this process: its slot and its own counters. */
static inline void emudiff__thread_setup(struct emudiff_mark_state *st, struct emudiff_mark_tls *t,
					 uint64_t begin)
{
	uint64_t gen = __atomic_load_n(st->gen, __ATOMIC_ACQUIRE);
	struct emudiff_mark_thread *s;
	uint32_t idx;

	if (!gen) {
		/* a forked copy of the process: a generation of its own, and the
		 * parent's group of this thread, copied by the fork, closed */
		uint64_t want = __atomic_add_fetch(&st->buf->processes, 1, __ATOMIC_RELAXED);

		if (__atomic_compare_exchange_n(st->gen, &gen, want, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			gen = want;
			__atomic_store_n(&st->fds, 0, __ATOMIC_RELAXED);
		}
		if (t->slot && t->open) {
			for (uint32_t i = st->events; i-- > 0;)
				if (t->slot->fd[i] >= 0)
					close(t->slot->fd[i]);
		}
	}
	t->slot = 0;
	t->live = t->open = 0;
	t->tid = (uint32_t)syscall(SYS_gettid);
	t->gen = gen;
	idx = __atomic_fetch_add(&st->buf->threads_used, 1, __ATOMIC_RELAXED);
	if (idx >= st->threads_capacity)
		return;
	s = (struct emudiff_mark_thread *)(st->threads + (size_t)idx * sizeof(*s));
	s->tid = (int32_t)t->tid;
	s->leader_fd = -1;
	for (uint32_t i = 0; i < EMUDIFF_MARK_MAX_COUNTERS; i++)
		s->fd[i] = -1;
	if (!st->fork_check)
		s->flags |= EMUDIFF_MARK_T_NO_FORK_CHECK;
	else if (st->mode != EMUDIFF_MARK_READ_TIME && st->events)
		emudiff__open_group(st, s);
	t->slot = s;
	t->open = s->opened != 0;
	if (t->open && __cxa_thread_atexit_impl)
		__cxa_thread_atexit_impl(emudiff__thread_exit, t, &__dso_handle);
	t->live = st->mode == EMUDIFF_MARK_READ_RDPMC ? s->readable != 0 : s->leader_fd >= 0;
	s->setup_ns[0] = begin;
	s->setup_ns[1] = emudiff__now();
}

/* Not attached yet, or this thread's first hit: 1 when the hit is to be recorded. */
static inline int emudiff__mark_slow(struct emudiff_mark_state *st)
{
	uint64_t begin = emudiff__now();
	struct emudiff_mark_tls *t;

	if (__atomic_load_n(&st->status, __ATOMIC_ACQUIRE) != 1 && emudiff__mark_attach(st) != 1)
		return 0;
	t = &emudiff_mark_tls_;
	if (!t->gen || t->gen != __atomic_load_n(st->gen, __ATOMIC_ACQUIRE))
		emudiff__thread_setup(st, t, begin);
	return 1;
}

static inline void emudiff_mark_hit(unsigned id)
{
	struct emudiff_mark_state *st = &emudiff_mark_state_;
	struct emudiff_mark_tls *t;
	struct emudiff_mark_record *r;
	struct timespec ts;
	uint64_t slot;
	uint32_t got = 0;
	int status = __atomic_load_n(&st->status, __ATOMIC_ACQUIRE);

	if (__builtin_expect(status != 1, 1) && (status < 0 || !emudiff__mark_slow(st)))
		return;
	t = &emudiff_mark_tls_;
	/* a new thread (gen 0; also in a forked copy, whose page reads 0 too) or a
	 * thread of the parent process */
	if (__builtin_expect(!t->gen || t->gen != *st->gen, 0) && !emudiff__mark_slow(st))
		return;
	slot = __atomic_fetch_add(&st->buf->count, 1, __ATOMIC_RELAXED);
	if (slot >= st->capacity)
		return;
	r = (struct emudiff_mark_record *)(st->records + slot * st->record_size);
	clock_gettime(EMUDIFF__CLOCK, &ts);
	if (t->live && st->mode == EMUDIFF_MARK_READ_RDPMC) {
		const struct emudiff_mark_thread *s = t->slot;
		uint64_t c, en, run;

		for (uint32_t i = 0; i < st->events; i++) {
			if (!(s->readable & (1u << i)) ||
			    !emudiff__pmc_read((const volatile struct emudiff_pmc_page *)(uintptr_t)s->page[i], &c,
					       &en, &run))
				continue;
			if (!got) {
				r->read[0] = en;
				r->read[1] = run;
			}
			r->read[2 + i] = c;
			got |= 1u << i;
		}
	} else if (t->live) {
		ssize_t n = read(t->slot->leader_fd, r->read, st->record_size - sizeof(*r));

		got = n > 0 ? t->slot->opened : 0;
	}
	r->time_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	r->tid = t->tid;
	__atomic_store_n(&r->id, (id & EMUDIFF_MARK_ID_BITS) | got << 16, __ATOMIC_RELEASE);
}

#endif /* EMUDIFF_MARK_RUNTIME_H */
