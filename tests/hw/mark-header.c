/*
 * mark-header.c - emudiff/mark.h compiles on its own, in strict C11, with no
 * other include before it (STYLE: public headers compiled alone), and at run
 * time the bytes a marker compiles to are the ABI encoding the header and the
 * README document (what the QEMU plugin recognises):
 *   x86_64   0f 1f 80, then little-endian disp32 0x45440000 | id
 *   riscv64  one 32-bit word 0x00002013 | id << 20 (slti x0, x0, id)
 *   aarch64  one 32-bit word 0xf280001f | id << 5 (movk xzr, #id)
 * A global label is put right before each marker by an asm statement of its
 * own: volatile asm statements keep their order, so the marker starts there.
 * Detached (no collector), the runtime must do nothing visible.
 */
#include <emudiff/mark.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define AT(label) __asm__ __volatile__(".globl " #label "\n.hidden " #label "\n" #label ":\n")

extern const unsigned char mh_at_1[], mh_at_7[], mh_at_2047[], mh_at_named_300[];

/* not inlined: each label must be emitted exactly once */
__attribute__((noinline)) void mh_mark_1(void);
__attribute__((noinline)) void mh_mark_7(void);
__attribute__((noinline)) void mh_mark_2047(void);
__attribute__((noinline)) void mh_mark_named_300(void);

void mh_mark_1(void) { AT(mh_at_1); EMUDIFF_MARK(1); }
void mh_mark_7(void) { AT(mh_at_7); EMUDIFF_MARK(7); }
void mh_mark_2047(void) { AT(mh_at_2047); EMUDIFF_MARK(2047); }
void mh_mark_named_300(void) { AT(mh_at_named_300); EMUDIFF_MARK_NAMED(300, "three-hundred"); }

static int check(const unsigned char *at, unsigned id)
{
	unsigned char want[8];
	size_t n;

#if defined(__x86_64__)
	uint32_t disp = 0x45440000u | id;

	want[0] = 0x0f, want[1] = 0x1f, want[2] = 0x80;
	for (int i = 0; i < 4; i++)
		want[3 + i] = (unsigned char)(disp >> (8 * i));
	n = 7;
#else
#if defined(__riscv)
	uint32_t word = 0x00002013u | (uint32_t)id << 20;
#else
	uint32_t word = 0xf280001fu | (uint32_t)id << 5;
#endif
	for (int i = 0; i < 4; i++) /* instructions are little-endian on both */
		want[i] = (unsigned char)(word >> (8 * i));
	n = 4;
#endif
	if (memcmp(at, want, n)) {
		printf("FAIL: marker %u: bytes", id);
		for (size_t i = 0; i < n; i++)
			printf(" %02x", at[i]);
		printf(", expected");
		for (size_t i = 0; i < n; i++)
			printf(" %02x", want[i]);
		printf("\n");
		return 1;
	}
	return 0;
}

int main(void)
{
	int fails = 0;

	/* detached: every hit runs through the runtime and comes back */
	mh_mark_1();
	mh_mark_7();
	mh_mark_2047();
	mh_mark_named_300();
	fails += check(mh_at_1, 1);
	fails += check(mh_at_7, 7);
	fails += check(mh_at_2047, 2047);
	fails += check(mh_at_named_300, 300);
	if (EMUDIFF_MARK_ID_MAX != 2047) {
		printf("FAIL: EMUDIFF_MARK_ID_MAX is %d, documented 2047\n", EMUDIFF_MARK_ID_MAX);
		fails++;
	}
	if (!fails)
		printf("marker encodings: ok\n");
	return fails != 0;
}
