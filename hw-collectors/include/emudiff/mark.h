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
 * a static inline function of emudiff/mark-runtime.h (included here), which
 * writes each hit, with its thread and that thread's own counters, into the
 * buffer `emudiff collect hw` shares with the program; that header describes
 * the buffer and how threads and processes are handled. Outside the
 * collector a hit costs a load and a predicted branch.
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

#include "mark-runtime.h"

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
