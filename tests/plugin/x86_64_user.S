/*
 * x86_64_user.S - x86_64 Linux user-mode test program with a hand-counted
 * number of instructions between markers (tests/plugin).
 *
 * Marker hits (seq: id, instructions executed before the marker):
 *   seq 0     id 1   0
 *   seq 1..1000 id 3   4 + 6 * (seq - 1)   (loop body: 6 instructions)
 *   seq 1001  id 2   6002
 *   seq 1002  id 4   6030  (2 + 3 * 7 + 5 + 6002)
 * Total 6034. Region seq 1001: three write(1, msg, 1) and one write(-1, ...)
 * (EBADF). Region seq 1002: exit_group(3).
 */
#define MARK(id) .byte 0x0f, 0x1f, 0x80; .long 0x45440000 + id

	.text
	.globl _start
	.type _start, @function
_start:
	MARK(1)                 /* seq 0 */
	mov $1000, %ecx
1:	add $1, %rsi
	mov %rsi, -8(%rsp)
	MARK(3)                 /* seq 1..1000 */
	mov -8(%rsp), %rdx
	dec %ecx
	jnz 1b
	MARK(2)                 /* seq 1001 */
	mov $3, %ebx
2:	mov $1, %edi            /* 7 instructions per write */
	lea msg(%rip), %rsi
	mov $1, %edx
	mov $1, %eax
	syscall
	dec %ebx
	jnz 2b
	mov $-1, %edi           /* a failing write: EBADF */
	lea msg(%rip), %rsi
	mov $1, %edx
	mov $1, %eax
	syscall
	MARK(4)                 /* seq 1002 */
	mov $3, %edi
	mov $231, %eax
	syscall
	.size _start, .-_start

	.section .rodata
msg:	.ascii "."
	.section .note.GNU-stack, "", @progbits
