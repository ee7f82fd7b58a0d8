/*
 * x86_64_crash.S - x86_64 Linux user-mode test program that crashes: marker 1,
 * then a load from address 0 (SIGSEGV). With -DSPIN it loops forever after the
 * marker instead (the guest of the interrupt test).
 */
#define MARK(id) .byte 0x0f, 0x1f, 0x80; .long 0x45440000 + id

	.text
	.globl _start
	.type _start, @function
_start:
	MARK(1)
#ifdef SPIN
1:	jmp 1b
#else
	xor %eax, %eax
	mov (%rax), %rax
	ud2
#endif
