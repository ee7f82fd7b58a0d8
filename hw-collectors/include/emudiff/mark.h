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
 *   EMUDIFF_MARK_FD=<n>           fd of a shared buffer (memfd) owned by the collector
 *   EMUDIFF_MARK_BYTES=<n>        its size in bytes
 *   EMUDIFF_MARK_GROUP_FD=<n>     read mode "syscall": fd of the counter group
 *                                 leader (read_format GROUP|TOTAL_TIME_ENABLED|
 *                                 TOTAL_TIME_RUNNING)
 *   EMUDIFF_MARK_COUNTER_FDS=<fd>:<id>,...  read mode "rdpmc": one fd per
 *                                 counter of a group opened on this very task
 *                                 (not inherited), in counter order, with the
 *                                 event's id (PERF_EVENT_IOC_ID): the runtime
 *                                 maps an fd only if it is still that event (a
 *                                 program may have closed it and reused the
 *                                 number)
 *
 * and writes into the buffer header how hits read counters (read_mode):
 *
 *   time     CLOCK_MONOTONIC_RAW only (vDSO, no system call)
 *   syscall  the time and one read(2) of the group: every counter, exact, but
 *            one system call per hit (the collector discounts it)
 *   rdpmc    the time and, without a system call, every counter the kernel
 *            lets user space read: on the first hit the runtime maps each
 *            counter's perf_event_mmap_page (one page, read only) and each hit
 *            reads it by the page's seqlock protocol (lock, index, offset,
 *            rdpmc on x86_64 or the counter CSR on riscv64, pmc_width sign
 *            extension, time_enabled/time_running advanced by the user clock
 *            when the group is multiplexed). A counter whose page says it is
 *            not user readable (software events: cap_user_rdpmc 0), that is
 *            not scheduled at that moment (index 0), or that is multiplexed
 *            without a user clock (cap_user_time 0) is not read at that hit:
 *            its bit in the record's mask stays clear and the collector
 *            stores no value (never a 0). Only the task the counters were
 *            opened on reads them (counter_pid, its main thread, and not a
 *            forked copy: the owner check lives in a wipe-on-fork page).
 *
 * On the first hit the runtime maps the buffer (MAP_POPULATE: the collector
 * allocated the pages) and writes once to every page it may still fill, so
 * that no later hit takes a page fault or, in a virtual machine, a
 * hypervisor exit on its first store into a page. Each hit then takes the
 * next record slot (atomic, so threads may mark), stores the time and the
 * counters and publishes the record by writing its id last. When the
 * variables are absent, or the buffer does not carry the expected magic and
 * version, a hit costs a load and a predicted branch and does nothing.
 * Processes the program execs inherit the variables and write to the same
 * buffer.
 *
 * Buffer layout (host byte order): struct emudiff_mark_buffer, then
 * `capacity` records of `record_size` bytes (struct emudiff_mark_record and
 * (record_size - 16) / 8 words of read[]):
 *
 *   time     no words; flags 0
 *   syscall  the raw group read (nr, enabled, running, values[nr]); flags =
 *            bytes read(2) returned (0: none)
 *   rdpmc    read[0] time_enabled, read[1] time_running (of the first counter
 *            read), read[2 + i] the raw count of counter i; flags bit i set
 *            when counter i was read at this hit
 *
 * `count` is the number of slots taken; slots at or beyond `capacity` are
 * dropped (the collector reports how many). A record whose id is 0 was never
 * completed (the program died in the middle of it). In rdpmc mode the runtime
 * ORs into pmc_mapped / pmc_readable the counters whose page it could map /
 * that were user readable, so the collector can say why a counter has no
 * per-marker values.
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
 *
 * SMP (several harts or CPUs printing): define, before including this header,
 *
 *   EMUDIFF_HART()            an expression: the number of the hart (CPU)
 *                             running the marker (the hart id on riscv64)
 *   EMUDIFF_CONSOLE_LOCK(), EMUDIFF_CONSOLE_UNLOCK()
 *                             taken around each line, so that lines of
 *                             different harts never interleave
 *
 * and every line carries the hart right after the id:
 *
 *   @emudiff mark <id> hart=<h> cycles=<rdcycle> instret=<rdinstret> time=<rdtime>
 *
 * (the counters are read before the lock is taken). A line without `hart=`
 * is hart 0's. The collector numbers the harts of a run by hart number, the
 * lowest first (its thread ordinal 0). A program that records its hits
 * itself (to keep the printing out of measured regions) prints each one later
 * with emudiff_mark_console_print(), in the same format.
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

/* The counters a freestanding marker reads (have: EMUDIFF_HAVE_* bits). */
#define EMUDIFF_HAVE_CYCLES 1u
#define EMUDIFF_HAVE_INSTRET 2u
#define EMUDIFF_HAVE_TIME 4u
struct emudiff_mark_values {
	unsigned have;
	uint64_t cycles, instret, time;
};

#ifndef EMUDIFF_CONSOLE_LOCK
#define EMUDIFF_CONSOLE_LOCK() ((void)0)
#define EMUDIFF_CONSOLE_UNLOCK() ((void)0)
#endif

/* One `@emudiff mark` line; hart < 0: no hart field. The caller holds the
 * console lock when other harts may print. */
static inline void emudiff_mark_console_print(unsigned id, long hart, const struct emudiff_mark_values *v)
{
	emudiff__puts("@emudiff mark ");
	emudiff__putu64(id);
	if (hart >= 0)
		emudiff__field("hart", (uint64_t)hart);
	if (v->have & EMUDIFF_HAVE_CYCLES)
		emudiff__field("cycles", v->cycles);
	if (v->have & EMUDIFF_HAVE_INSTRET)
		emudiff__field("instret", v->instret);
	if (v->have & EMUDIFF_HAVE_TIME)
		emudiff__field("time", v->time);
	emudiff_putchar('\n');
}

static inline void emudiff_mark_console(unsigned id)
{
	/* names of their own: the hook macros expand in this scope */
	struct emudiff_mark_values emudiff__v;
	long emudiff__hart = -1;

#if defined(__riscv)
	/* time first: it is the one compared across runs */
	__asm__ __volatile__("rdtime %0" : "=r"(emudiff__v.time));
	__asm__ __volatile__("rdcycle %0" : "=r"(emudiff__v.cycles));
	__asm__ __volatile__("rdinstret %0" : "=r"(emudiff__v.instret));
	emudiff__v.have = EMUDIFF_HAVE_CYCLES | EMUDIFF_HAVE_INSTRET | EMUDIFF_HAVE_TIME;
#elif defined(__x86_64__)
	uint32_t emudiff__lo, emudiff__hi;

	__asm__ __volatile__("rdtsc" : "=a"(emudiff__lo), "=d"(emudiff__hi));
	emudiff__v.cycles = emudiff__v.time = (uint64_t)emudiff__hi << 32 | emudiff__lo;
	emudiff__v.have = EMUDIFF_HAVE_CYCLES | EMUDIFF_HAVE_TIME;
#elif defined(__aarch64__)
	__asm__ __volatile__("isb\n\tmrs %0, cntvct_el0" : "=r"(emudiff__v.time));
	emudiff__v.have = EMUDIFF_HAVE_TIME;
#endif
#ifdef EMUDIFF_HART
	emudiff__hart = (long)(EMUDIFF_HART());
#endif
	EMUDIFF_CONSOLE_LOCK();
	emudiff_mark_console_print(id, emudiff__hart, &emudiff__v);
	EMUDIFF_CONSOLE_UNLOCK();
}

static inline void emudiff_exit_console(int emudiff__code)
{
	EMUDIFF_CONSOLE_LOCK();
	emudiff__puts("@emudiff exit ");
	if (emudiff__code < 0) {
		emudiff_putchar('-');
		emudiff__putu64((uint64_t)0 - (uint64_t)(int64_t)emudiff__code);
	} else {
		emudiff__putu64((uint64_t)emudiff__code);
	}
	emudiff_putchar('\n');
	EMUDIFF_CONSOLE_UNLOCK();
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
#define EMUDIFF__PERF_EVENT_IOC_ID 0x80082407ul /* _IOR('$', 7, __u64 *) */

#define EMUDIFF_MARK_MAGIC 0x4b52414d46464445ull /* "EDFFMARK" little-endian */
#define EMUDIFF_MARK_VERSION 2
#define EMUDIFF_MARK_MAX_COUNTERS 16

enum emudiff_mark_read {
	EMUDIFF_MARK_READ_TIME = 0,
	EMUDIFF_MARK_READ_SYSCALL = 1,
	EMUDIFF_MARK_READ_RDPMC = 2,
};

struct emudiff_mark_buffer {
	uint64_t magic;        /* EMUDIFF_MARK_MAGIC */
	uint32_t version;      /* EMUDIFF_MARK_VERSION */
	uint32_t record_size;  /* bytes per record, a multiple of 8, >= 16 */
	uint64_t capacity;     /* record slots after this header */
	uint64_t count;        /* slots taken (atomic); > capacity: hits dropped */
	uint32_t read_mode;    /* enum emudiff_mark_read */
	uint32_t counters;     /* rdpmc: counters in EMUDIFF_MARK_COUNTER_FDS */
	int32_t counter_pid;   /* rdpmc: the task the counters count */
	uint32_t pmc_mapped;   /* rdpmc: bit i, counter i's page was mapped (runtime) */
	uint32_t pmc_readable; /* rdpmc: bit i, that page allowed user reads (runtime) */
	uint32_t reserved0;
	uint64_t reserved1;
};

struct emudiff_mark_record {
	uint32_t id;      /* marker id, written last; 0 = incomplete */
	uint32_t flags;   /* syscall: bytes read; rdpmc: counters read (bit i) */
	uint64_t time_ns; /* CLOCK_MONOTONIC_RAW */
	uint64_t read[];  /* (record_size - 16) / 8 words, by read_mode */
};

/* struct perf_event_mmap_page as far as the runtime reads it (the kernel's
 * ABI, <linux/perf_event.h>, restated so that this header needs no kernel
 * headers and stays strict ISO C). */
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

/* The hardware reads and the event id check, replaceable by tests (which
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
/* aarch64: user counter access needs attr.config1 bit 1, which the collector
 * does not set; counters are never read by the runtime there */
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
#ifndef EMUDIFF__EVENT_ID
#define EMUDIFF__EVENT_ID(fd, id) syscall(SYS_ioctl, fd, EMUDIFF__PERF_EVENT_IOC_ID, id)
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

static inline uintptr_t emudiff__thread_pointer(void)
{
	uintptr_t tp;

#if defined(__x86_64__)
	__asm__("movq %%fs:0, %0" : "=r"(tp)); /* the TCB's self pointer (x86_64 TLS ABI) */
#elif defined(__riscv)
	__asm__("mv %0, tp" : "=r"(tp));
#else
	__asm__("mrs %0, tpidr_el0" : "=r"(tp));
#endif
	return tp;
}

/* Per-process state; weak, so every translation unit shares one copy. */
struct emudiff_mark_state {
	int status; /* 0 not yet looked, 1 attached, -1 detached, 2 attaching */
	int group_fd;
	uint32_t mode, record_size, counters, n_pmc;
	uint64_t capacity;
	struct emudiff_mark_buffer *buf;
	unsigned char *records;
	/* rdpmc: the owning thread's pointer, in a page wiped on fork (a forked
	 * copy reads 0 and so never reads counters that count its parent) */
	volatile uintptr_t *owner;
	const volatile struct emudiff_pmc_page *pmc[EMUDIFF_MARK_MAX_COUNTERS];
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

/* rdpmc mode, on the task the counters were opened on (its main thread: tid
 * = pid): map their pages. Pages that allow no user read stay mapped unused
 * (unmapping them would be one more system call for nothing). */
static inline void emudiff__pmc_attach(struct emudiff_mark_state *st)
{
	const char *s = getenv("EMUDIFF_MARK_COUNTER_FDS");
	long page = sysconf(_SC_PAGESIZE);
	uint32_t i = 0;
	void *p;

	if (!EMUDIFF__CAN_RDPMC || !s || page <= 0 || st->counters > EMUDIFF_MARK_MAX_COUNTERS ||
	    syscall(SYS_gettid) != (long)st->buf->counter_pid)
		return;
	p = mmap(0, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | EMUDIFF__MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;
	if (madvise(p, (size_t)page, EMUDIFF__MADV_WIPEONFORK)) {
		munmap(p, (size_t)page);
		return;
	}
	st->owner = (volatile uintptr_t *)p;
	while (*s && i < st->counters) {
		long fd = 0;
		uint64_t id = 0, got = ~(uint64_t)0;
		const volatile struct emudiff_pmc_page *pc;

		for (; *s >= '0' && *s <= '9' && fd <= 0x7fffffffL; s++)
			fd = fd * 10 + (*s - '0');
		if (*s++ != ':')
			break;
		for (; *s >= '0' && *s <= '9' && id < (~(uint64_t)0 - 9) / 10; s++)
			id = id * 10 + (uint64_t)(*s - '0');
		if (*s == ',')
			s++;
		else if (*s)
			break;
		/* still the collector's event? (not a file that reuses the number) */
		if (!EMUDIFF__EVENT_ID((int)fd, &got) && got == id &&
		    (p = mmap(0, (size_t)page, PROT_READ, MAP_SHARED, (int)fd, 0)) != MAP_FAILED) {
			pc = (const volatile struct emudiff_pmc_page *)p;
			__atomic_fetch_or(&st->buf->pmc_mapped, 1u << i, __ATOMIC_RELAXED);
			/* capabilities are fixed when the event is created */
			if ((pc->capabilities & EMUDIFF__CAP_BIT0_IS_DEPRECATED) &&
			    (pc->capabilities & EMUDIFF__CAP_USER_RDPMC)) {
				st->pmc[i] = pc;
				st->n_pmc++;
				__atomic_fetch_or(&st->buf->pmc_readable, 1u << i, __ATOMIC_RELAXED);
			}
		}
		i++;
	}
	*st->owner = emudiff__thread_pointer();
}

/* First hit: map the collector's buffer, or decide there is none. */
static inline int emudiff__mark_attach(struct emudiff_mark_state *st)
{
	int expected = 0;
	long fd, bytes, gfd;
	uint64_t size;
	void *p;

	if (!__atomic_compare_exchange_n(&st->status, &expected, 2, 0, __ATOMIC_ACQUIRE,
					 __ATOMIC_ACQUIRE)) {
		while ((expected = __atomic_load_n(&st->status, __ATOMIC_ACQUIRE)) == 2)
			;
		return expected;
	}
	st->group_fd = -1;
	st->buf = 0;
	st->n_pmc = 0;
	st->owner = 0;
	if (emudiff__env_int("EMUDIFF_MARK_FD", &fd) || emudiff__env_int("EMUDIFF_MARK_BYTES", &bytes) ||
	    (unsigned long)bytes < sizeof(struct emudiff_mark_buffer))
		goto detach;
	/* all pages mapped now, so that no marker hit takes a page fault (which would
	 * cost more than the hit and show up in the page_faults of its region) */
	p = mmap(0, (size_t)bytes, PROT_READ | PROT_WRITE, MAP_SHARED | EMUDIFF__MAP_POPULATE, (int)fd, 0);
	if (p == MAP_FAILED)
		goto detach;
	st->buf = (struct emudiff_mark_buffer *)p;
	st->mode = st->buf->read_mode;
	st->record_size = st->buf->record_size;
	st->capacity = st->buf->capacity;
	st->counters = st->buf->counters;
	size = sizeof(*st->buf) + st->capacity * st->record_size;
	if (st->buf->magic != EMUDIFF_MARK_MAGIC || st->buf->version != EMUDIFF_MARK_VERSION ||
	    st->record_size < sizeof(struct emudiff_mark_record) || st->record_size % 8 ||
	    st->mode > EMUDIFF_MARK_READ_RDPMC ||
	    (st->mode == EMUDIFF_MARK_READ_RDPMC &&
	     (st->counters > EMUDIFF_MARK_MAX_COUNTERS ||
	      (st->counters && st->record_size < 16 + 8 * (2 + st->counters)))) ||
	    st->capacity > (uint64_t)bytes || st->record_size > (uint64_t)bytes ||
	    size > (unsigned long)bytes) {
		munmap(p, (size_t)bytes);
		st->buf = 0;
		goto detach;
	}
	st->records = (unsigned char *)(st->buf + 1);
	/* One store into every page still to be filled (an atomic add of 0, as other
	 * processes may be writing records): the first store into a page of a new
	 * mapping costs microseconds where a hypervisor shadows page tables, and
	 * here it happens before the first marker's timestamp. */
	{
		uint64_t from = __atomic_load_n(&st->buf->count, __ATOMIC_RELAXED);
		uintptr_t a = (uintptr_t)(st->records + (from < st->capacity ? from : st->capacity) * st->record_size);
		uintptr_t end = (uintptr_t)p + (uintptr_t)size;

		for (a &= ~(uintptr_t)4095; a + 8 <= end; a += 4096)
			__atomic_fetch_add((uint64_t *)a, 0, __ATOMIC_RELAXED);
	}
	if (st->mode == EMUDIFF_MARK_READ_SYSCALL && !emudiff__env_int("EMUDIFF_MARK_GROUP_FD", &gfd))
		st->group_fd = (int)gfd;
	if (st->mode == EMUDIFF_MARK_READ_RDPMC)
		emudiff__pmc_attach(st);
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
	uint32_t flags = 0;

	if (__builtin_expect(__atomic_load_n(&st->status, __ATOMIC_ACQUIRE) != 1, 1) &&
	    emudiff__mark_attach(st) != 1)
		return;
	slot = __atomic_fetch_add(&st->buf->count, 1, __ATOMIC_RELAXED);
	if (slot >= st->capacity)
		return;
	r = (struct emudiff_mark_record *)(st->records + slot * st->record_size);
	clock_gettime(EMUDIFF__CLOCK, &ts);
	if (st->mode == EMUDIFF_MARK_READ_RDPMC) {
		if (st->n_pmc && st->owner && *st->owner == emudiff__thread_pointer()) {
			uint64_t c, en, run;

			for (uint32_t i = 0; i < st->counters; i++) {
				if (!st->pmc[i] || !emudiff__pmc_read(st->pmc[i], &c, &en, &run))
					continue;
				if (!flags) {
					r->read[0] = en;
					r->read[1] = run;
				}
				r->read[2 + i] = c;
				flags |= 1u << i;
			}
		}
	} else if (st->mode == EMUDIFF_MARK_READ_SYSCALL && st->group_fd >= 0) {
		ssize_t n = read(st->group_fd, r->read, st->record_size - sizeof(*r));

		flags = n > 0 ? (uint32_t)n : 0;
	}
	r->time_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	r->flags = flags;
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
