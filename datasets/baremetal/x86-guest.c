/*
 * x86-guest.c - the smallest x86 guest that `emudiff collect hw-kvm` can
 * measure under a real KVM: a 32-bit multiboot (v1) ELF that QEMU loads with
 * -kernel. It writes marker lines to the COM1 serial port, makes a known
 * number of port writes between markers 1 and 2 (each one a VM exit to the
 * VMM), and ends QEMU by a keyboard-controller reset, which with -no-reboot is
 * QEMU's exit 0:
 *
 *   qemu-system-x86_64 -accel kvm -M pc -m 32M -display none -monitor none \
 *       -serial stdio -nic none -no-reboot -kernel x86-guest.elf
 *
 * Console: "@emudiff mark 1", "@emudiff mark 2", "x86-guest: done
 * port80_writes=1000", "@emudiff mark 3", "@emudiff exit 0". Written from the
 * Multiboot 0.6.96 specification and the 8250/16550 UART and i8042 port maps.
 */
#include <stdint.h>

#define COM1 0x3f8
#define PORT80_WRITES 1000

/* magic, flags (none: an ELF kernel needs no address fields), checksum */
__attribute__((section(".multiboot"), used, aligned(4)))
static const uint32_t multiboot_header[3] = { 0x1BADB002u, 0, (uint32_t)-0x1BADB002 };

/* global: the entry code below refers to it by name */
uint8_t guest_stack[4096] __attribute__((aligned(16)));

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void putc_serial(char c)
{
	/* wait for the transmit holding register (LSR bit 5) */
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, (uint8_t)c);
}

static void puts_serial(const char *s)
{
	while (*s)
		putc_serial(*s++);
}

static void putu_serial(unsigned v)
{
	char buf[12];
	int n = 0;

	do
		buf[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		putc_serial(buf[--n]);
}

static void mark(unsigned id)
{
	puts_serial("@emudiff mark ");
	putu_serial(id);
	putc_serial('\n');
}

void guest_main(void);

void guest_main(void)
{
	mark(1);
	for (unsigned i = 0; i < PORT80_WRITES; i++)
		outb(0x80, (uint8_t)i); /* the POST port: nothing listens, the VMM sees each */
	mark(2);
	puts_serial("x86-guest: done port80_writes=");
	putu_serial(PORT80_WRITES);
	putc_serial('\n');
	mark(3);
	puts_serial("@emudiff exit 0\n");
	outb(0x64, 0xfe); /* i8042: pulse the reset line */
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* Multiboot enters in 32-bit protected mode, paging off, with no stack. */
__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	cli\n"
	"	movl $guest_stack + 4096, %esp\n"
	"	call guest_main\n"
	"1:	hlt\n"
	"	jmp 1b\n");
