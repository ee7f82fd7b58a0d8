/*
 * emudiff/mark.h - program phase markers for emudiff (header only, no library).
 *
 *   #include <emudiff/mark.h>
 *   EMUDIFF_MARK(1);                    // a point in the program
 *   EMUDIFF_MARK_NAMED(2, "solve");     // same, and the phase starting here is "solve"
 *
 * A region is the stretch between two consecutive marker hits. The id is an
 * integer constant in 1..2047 (checked at compile time). Build flags:
 * `emudiff cflags` or `pkg-config --cflags emudiff-mark`.
 *
 * 1. The marker instruction
 * -------------------------
 * Every marker is one architectural no-op that the emudiff QEMU plugin
 * recognises at translation time (so emulation-side counts never depend on
 * the guest's own counters):
 *
 *   riscv64  slti x0, x0, id      0x00002013 | id << 20 (a HINT "designated for
 *                                 custom use"; never compressed)
 *   x86_64   nopl disp32(%rax)    bytes 0f 1f 80, then little-endian disp32
 *                                 0x45440000 | id ("DE" in the top half)
 *   aarch64  movk xzr, #id        0xf280001f | id << 5 (MOVK, 64-bit, hw=0,
 *                                 Rd=XZR: the write to the zero register is
 *                                 discarded, so it does nothing; chosen over
 *                                 HINT #n because the hint space is being
 *                                 allocated by Arm (BTI, PAC...) and has only
 *                                 7 bits)
 *
 * The asm statement has a "memory" clobber so the compiler does not move loads
 * and stores across a marker.
 *
 * 2. Names: the .emudiff_marks ELF section
 * ----------------------------------------
 * EMUDIFF_MARK_NAMED(id, "name") also appends one record to the non-allocated
 * (not loaded, not removed by --gc-sections) ELF section `.emudiff_marks`:
 *
 *   uint32_t id;          target byte order
 *   uint32_t name_len;    bytes of name INCLUDING its terminating NUL
 *   char     name[name_len];
 *   0..3 zero bytes       so that the next record starts 4-byte aligned
 *
 * The section is a plain concatenation of such records (alignment 4). The
 * same record appears once per expansion of the macro (inlining and
 * unrolling duplicate it): readers keep the first name seen for an id. The
 * name must be a plain string literal without quotes or backslashes.
 *
 * 3. Hosted Linux: the marker runtime
 * -----------------------------------
 * Without -DEMUDIFF_FREESTANDING, the macro also calls emudiff_mark_hit(id),
 * a static inline function. When `emudiff collect hw` runs the program it
 * sets in the environment
 *
 *   EMUDIFF_MARK_FD=<n>        fd of a shared buffer (memfd) owned by the collector
 *   EMUDIFF_MARK_BYTES=<n>     its size in bytes
 *   EMUDIFF_MARK_GROUP_FD=<n>  fd of the collector's perf_event counter group
 *                              leader, opened on this process before exec with
 *                              read_format GROUP|TOTAL_TIME_ENABLED|
 *                              TOTAL_TIME_RUNNING (absent: no counters)
 *
 * On the first hit the runtime maps the buffer (one mmap system call, with
 * MAP_POPULATE: the collector allocated the pages, so hits take no page
 * faults). Each
 * hit then takes the next record slot (atomic, so threads may mark), stores
 * CLOCK_MONOTONIC_RAW (vDSO, no system call) and the raw result of one
 * read(2) of the group (one system call; the collector knows and discounts
 * it), and publishes the record by writing its id last. When the variables
 * are absent, or the buffer does not carry the expected magic and version, a
 * hit costs a load and a predicted branch and does nothing. Processes the
 * program execs inherit the variables and write to the same buffer.
 *
 * Buffer layout (host byte order): struct emudiff_mark_buffer, then
 * `capacity` records of `record_size` bytes (struct emudiff_mark_record).
 * `count` is the number of slots taken; slots at or beyond `capacity` are
 * dropped (the collector reports how many). A record whose id is 0 was never
 * completed (the program died in the middle of it).
 *
 * 4. Freestanding (unikernels, bare metal): -DEMUDIFF_FREESTANDING
 * ----------------------------------------------------------------
 * After the marker instruction the macro calls emudiff_mark_console(id),
 * which reads the hardware counters and prints one line through a function
 * the program supplies, `void emudiff_putchar(int c);`:
 *
 *   riscv64  @emudiff mark <id> cycles=<rdcycle> instret=<rdinstret> time=<rdtime>
 *   x86_64   @emudiff mark <id> cycles=<rdtsc> time=<rdtsc>
 *   aarch64  @emudiff mark <id> time=<cntvct_el0>
 *
 * EMUDIFF_EXIT(code) prints `@emudiff exit <code>` (code a decimal int), so
 * that the console collector learns the program's exit status. `emudiff
 * collect console --log FILE` parses these lines from a serial log; text
 * before `@emudiff` on a line (a logger's timestamp) is ignored. Under QEMU,
 * rdcycle/rdinstret read host ticks unless -icount is used.
 */
#ifndef EMUDIFF_MARK_H
#define EMUDIFF_MARK_H

#include <stdint.h>

#define EMUDIFF_MARK_ID_MAX 2047

/* Compile-time check that id is a constant in 1..2047 (an error otherwise). */
#define EMUDIFF__CHECK_ID(id) ((void)sizeof(char[((id) >= 1 && (id) <= EMUDIFF_MARK_ID_MAX) ? 1 : -1]))
#define EMUDIFF__STR(x) #x

#if defined(__x86_64__)
#define EMUDIFF__INSN ".byte 0x0f, 0x1f, 0x80\n\t.long 0x45440000 + %c0\n\t"
#elif defined(__riscv) && __riscv_xlen == 64
#define EMUDIFF__INSN "slti x0, x0, %c0\n\t"
#elif defined(__aarch64__)
#define EMUDIFF__INSN ".inst 0xf280001f | (%c0 << 5)\n\t"
#else
#error "emudiff/mark.h: markers are defined for x86_64, riscv64 and aarch64 only"
#endif

/* The record of a named marker (section format in the comment above). */
#define EMUDIFF__NAME_RECORD(name)                                                   \
	".pushsection .emudiff_marks, \"\", @progbits\n\t"                            \
	".balign 4\n\t"                                                              \
	".4byte %c0\n\t"                                                              \
	".4byte 772f - 771f\n"                                                       \
	"771:\n\t"                                                                   \
	".asciz " EMUDIFF__STR(name) "\n"                                            \
	"772:\n\t"                                                                   \
	".balign 4, 0\n\t"                                                           \
	".popsection\n\t"

#define EMUDIFF_MARK_INSN(id)                                                        \
	do {                                                                          \
		EMUDIFF__CHECK_ID(id);                                               \
		__asm__ __volatile__(EMUDIFF__INSN : : "i"(id) : "memory");          \
	} while (0)

#define EMUDIFF_MARK_INSN_NAMED(id, name)                                            \
	do {                                                                          \
		EMUDIFF__CHECK_ID(id);                                               \
		__asm__ __volatile__(EMUDIFF__INSN EMUDIFF__NAME_RECORD(name)        \
				     : : "i"(id) : "memory");                        \
	} while (0)

/* ------------------------------------------------------------------------ */
#if defined(EMUDIFF_FREESTANDING)

/* Supplied by the program: write one character to the console. */
void emudiff_putchar(int c);

static inline void emudiff__puts(const char *s)
{
	while (*s)
		emudiff_putchar(*s++);
}

static inline void emudiff__putu64(uint64_t v)
{
	char buf[21];
	int i = 20;

	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	emudiff__puts(buf + i);
}

static inline void emudiff__field(const char *key, uint64_t v)
{
	emudiff_putchar(' ');
	emudiff__puts(key);
	emudiff_putchar('=');
	emudiff__putu64(v);
}

static inline void emudiff_mark_console(unsigned id)
{
#if defined(__riscv)
	uint64_t cycles, instret, time;

	/* time first: it is the one compared across runs */
	__asm__ __volatile__("rdtime %0" : "=r"(time));
	__asm__ __volatile__("rdcycle %0" : "=r"(cycles));
	__asm__ __volatile__("rdinstret %0" : "=r"(instret));
	emudiff__puts("@emudiff mark ");
	emudiff__putu64(id);
	emudiff__field("cycles", cycles);
	emudiff__field("instret", instret);
	emudiff__field("time", time);
#elif defined(__x86_64__)
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	emudiff__puts("@emudiff mark ");
	emudiff__putu64(id);
	emudiff__field("cycles", (uint64_t)hi << 32 | lo);
	emudiff__field("time", (uint64_t)hi << 32 | lo);
#elif defined(__aarch64__)
	uint64_t t;

	__asm__ __volatile__("isb\n\tmrs %0, cntvct_el0" : "=r"(t));
	emudiff__puts("@emudiff mark ");
	emudiff__putu64(id);
	emudiff__field("time", t);
#endif
	emudiff_putchar('\n');
}

static inline void emudiff_exit_console(int code)
{
	emudiff__puts("@emudiff exit ");
	if (code < 0) {
		emudiff_putchar('-');
		emudiff__putu64((uint64_t)0 - (uint64_t)(int64_t)code);
	} else {
		emudiff__putu64((uint64_t)code);
	}
	emudiff_putchar('\n');
}

#define EMUDIFF_MARK(id)                                                             \
	do {                                                                          \
		EMUDIFF_MARK_INSN(id);                                               \
		emudiff_mark_console(id);                                            \
	} while (0)
#define EMUDIFF_MARK_NAMED(id, name)                                                 \
	do {                                                                          \
		EMUDIFF_MARK_INSN_NAMED(id, name);                                   \
		emudiff_mark_console(id);                                            \
	} while (0)
#define EMUDIFF_EXIT(code) emudiff_exit_console(code)

/* ------------------------------------------------------------------------ */
#else /* hosted Linux */

#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* Strict ISO C modes (-std=c11) hide clock_gettime: declare it (clockid_t is an
 * int on Linux) and use the Linux value of CLOCK_MONOTONIC_RAW. */
#ifdef CLOCK_MONOTONIC_RAW
#define EMUDIFF__CLOCK CLOCK_MONOTONIC_RAW
#else
#define EMUDIFF__CLOCK 4
int clock_gettime(int clock_id, struct timespec *tp);
#endif

#ifdef MAP_POPULATE
#define EMUDIFF__MAP_POPULATE MAP_POPULATE
#else
#define EMUDIFF__MAP_POPULATE 0x8000 /* Linux's value; hidden in strict ISO C modes */
#endif

#define EMUDIFF_MARK_MAGIC 0x4b52414d46464445ull /* "EDFFMARK" little-endian */
#define EMUDIFF_MARK_VERSION 1
/* u64 words kept from one group read: nr, time_enabled, time_running, values */
#define EMUDIFF_MARK_READ_WORDS 24

struct emudiff_mark_buffer {
	uint64_t magic;       /* EMUDIFF_MARK_MAGIC */
	uint32_t version;     /* EMUDIFF_MARK_VERSION */
	uint32_t record_size; /* sizeof(struct emudiff_mark_record) */
	uint64_t capacity;    /* record slots after this header */
	uint64_t count;       /* slots taken (atomic); > capacity: hits dropped */
	uint64_t reserved[4];
};

struct emudiff_mark_record {
	uint32_t id;         /* marker id, written last; 0 = incomplete */
	uint32_t read_bytes; /* bytes read(2) returned from the group fd; 0 = no counters */
	uint64_t time_ns;    /* CLOCK_MONOTONIC_RAW */
	uint64_t read[EMUDIFF_MARK_READ_WORDS]; /* raw PERF_FORMAT_GROUP read */
};

/* Per-process state; weak, so every translation unit shares one copy. */
struct emudiff_mark_state {
	int status; /* 0 not yet looked, 1 attached, -1 detached, 2 attaching */
	int group_fd;
	struct emudiff_mark_buffer *buf;
};
__attribute__((weak)) struct emudiff_mark_state emudiff_mark_state_;

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

/* First hit: map the collector's buffer, or decide there is none. */
static inline int emudiff__mark_attach(struct emudiff_mark_state *st)
{
	int expected = 0;
	long fd, bytes, gfd;
	void *p;

	if (!__atomic_compare_exchange_n(&st->status, &expected, 2, 0, __ATOMIC_ACQUIRE,
					 __ATOMIC_ACQUIRE)) {
		while ((expected = __atomic_load_n(&st->status, __ATOMIC_ACQUIRE)) == 2)
			;
		return expected;
	}
	st->group_fd = -1;
	st->buf = 0;
	if (emudiff__env_int("EMUDIFF_MARK_FD", &fd) || emudiff__env_int("EMUDIFF_MARK_BYTES", &bytes) ||
	    (unsigned long)bytes < sizeof(struct emudiff_mark_buffer))
		goto detach;
	/* all pages mapped now, so that no marker hit takes a page fault (which would
	 * cost more than the hit and show up in the page_faults of its region) */
	p = mmap(0, (size_t)bytes, PROT_READ | PROT_WRITE, MAP_SHARED | EMUDIFF__MAP_POPULATE, (int)fd, 0);
	if (p == MAP_FAILED)
		goto detach;
	st->buf = (struct emudiff_mark_buffer *)p;
	if (st->buf->magic != EMUDIFF_MARK_MAGIC || st->buf->version != EMUDIFF_MARK_VERSION ||
	    st->buf->record_size != sizeof(struct emudiff_mark_record) ||
	    sizeof(*st->buf) + st->buf->capacity * sizeof(struct emudiff_mark_record) > (unsigned long)bytes) {
		munmap(p, (size_t)bytes);
		st->buf = 0;
		goto detach;
	}
	if (!emudiff__env_int("EMUDIFF_MARK_GROUP_FD", &gfd))
		st->group_fd = (int)gfd;
	__atomic_store_n(&st->status, 1, __ATOMIC_RELEASE);
	return 1;
detach:
	__atomic_store_n(&st->status, -1, __ATOMIC_RELEASE);
	return -1;
}

static inline void emudiff_mark_hit(unsigned id)
{
	struct emudiff_mark_state *st = &emudiff_mark_state_;
	struct emudiff_mark_record *r;
	struct timespec ts;
	uint64_t slot;
	ssize_t n = 0;

	if (__builtin_expect(__atomic_load_n(&st->status, __ATOMIC_ACQUIRE) != 1, 1) &&
	    emudiff__mark_attach(st) != 1)
		return;
	slot = __atomic_fetch_add(&st->buf->count, 1, __ATOMIC_RELAXED);
	if (slot >= st->buf->capacity)
		return;
	r = (struct emudiff_mark_record *)(st->buf + 1) + slot;
	clock_gettime(EMUDIFF__CLOCK, &ts);
	if (st->group_fd >= 0)
		n = read(st->group_fd, r->read, sizeof(r->read));
	r->time_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	r->read_bytes = n > 0 ? (uint32_t)n : 0;
	__atomic_store_n(&r->id, id, __ATOMIC_RELEASE);
}

#define EMUDIFF_MARK(id)                                                             \
	do {                                                                          \
		EMUDIFF_MARK_INSN(id);                                               \
		emudiff_mark_hit(id);                                                \
	} while (0)
#define EMUDIFF_MARK_NAMED(id, name)                                                 \
	do {                                                                          \
		EMUDIFF_MARK_INSN_NAMED(id, name);                                   \
		emudiff_mark_hit(id);                                                \
	} while (0)

#endif /* EMUDIFF_FREESTANDING */
#endif /* EMUDIFF_MARK_H */
