/*
 * x86_64_threads.S - x86_64 Linux user-mode test program with three threads
 * started by the raw clone system call (tests/plugin): thread 0 starts
 * thread 1, which starts thread 2 (so the creation order is fixed whatever
 * the scheduling), and each thread ends with exit, the last one ending the
 * process with status 0. Hand-counted instructions of each thread before
 * its markers (its own count):
 *
 *   thread 0: id 1: 0; id 2: 202 (mark, mov, 100 x 2); id 3: 212 (mark,
 *             6 setup, syscall, test, jz); id 4: 814 (mark, mov, 300 x 2);
 *             total 818 (mark, 2 movs, syscall)
 *   thread 1: id 11: 2 (test, jz after its clone returned 0); id 12: 1004;
 *             id 13: 1014; id 14: 1116; total 1120
 *   thread 2: id 21: 2; id 22: 1404 (mark, mov, 700 x 2); total 1408
 *
 * System calls: thread 0: clone after mark 2, exit after mark 4; thread 1:
 * clone after mark 12, exit after mark 14; thread 2: exit after mark 22.
 */
#define MARK(id) .byte 0x0f, 0x1f, 0x80; .long 0x45440000 + id
/* CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM */
#define THREAD_FLAGS 0x50f00

	.text
	.globl _start
	.type _start, @function
_start:
	MARK(1)
	mov $100, %ecx
1:	dec %ecx
	jnz 1b
	MARK(2)
	mov $THREAD_FLAGS, %edi
	lea stack1_top(%rip), %rsi
	xor %edx, %edx
	xor %r10d, %r10d
	xor %r8d, %r8d
	mov $56, %eax           /* clone */
	syscall
	test %rax, %rax
	jz thread1
	MARK(3)
	mov $300, %ecx
2:	dec %ecx
	jnz 2b
	MARK(4)
	xor %edi, %edi
	mov $60, %eax           /* exit: this thread only */
	syscall

thread1:
	MARK(11)
	mov $500, %ecx
3:	dec %ecx
	jnz 3b
	MARK(12)
	mov $THREAD_FLAGS, %edi
	lea stack2_top(%rip), %rsi
	xor %edx, %edx
	xor %r10d, %r10d
	xor %r8d, %r8d
	mov $56, %eax
	syscall
	test %rax, %rax
	jz thread2
	MARK(13)
	mov $50, %ecx
4:	dec %ecx
	jnz 4b
	MARK(14)
	xor %edi, %edi
	mov $60, %eax
	syscall

thread2:
	MARK(21)
	mov $700, %ecx
5:	dec %ecx
	jnz 5b
	MARK(22)
	xor %edi, %edi
	mov $60, %eax
	syscall
	.size _start, .-_start

	.bss
	.balign 16
	.space 4096
stack1_top:
	.space 4096
stack2_top:
	.section .note.GNU-stack, "", @progbits
