/*
 * x86_64_fork.S - x86_64 Linux user-mode test program that forks, with
 * hand-counted instructions in the parent and in the child (tests/plugin).
 * Built with FORK_NR 57 (fork) and FORK_NR 39 (getpid, which returns
 * non-zero: the parent's instructions are the same, no child exists and
 * wait4 fails with ECHILD), so the parent's count must be equal in both.
 *
 * Parent: marks 1 (seq 0, 0 before it) and 2 (seq 1, 3 + 2 * 1000 = 2003
 *   before it), then 4 (fork) + 2 (test, jz) + 6 (wait4) + 3 (exit_group):
 *   2019 instructions in all.
 * Child, counted from the fork on (after its syscall instruction): 2 (test,
 *   jz) + 1 + 2 * 1000000 (loop) + 1 (marker 3) + 3 (exit) = 2000007.
 *
 * With CHILD_SPINS the child writes "r\n" and spins until killed, and the
 * parent exits with the child's wait status (15 after SIGTERM): the test of
 * SIGTERM sent to a forked child. The parent then runs 2020 instructions
 * (one more to pass the status pointer to wait4).
 */
#define MARK(id) .byte 0x0f, 0x1f, 0x80; .long 0x45440000 + id

	.text
	.globl _start
	.type _start, @function
_start:
	MARK(1)
	mov $1000, %ecx
	xor %edx, %edx
1:	dec %ecx
	jnz 1b
	MARK(2)
	mov $FORK_NR, %eax      /* fork, or getpid in the no-fork build */
	xor %edi, %edi
	xor %esi, %esi
	syscall
	test %rax, %rax
	jz child
	mov $-1, %rdi           /* parent: wait4(-1, &status, 0, NULL) */
#ifdef CHILD_SPINS
	lea -8(%rsp), %rsi
	movl $0, (%rsi)
#else
	xor %esi, %esi
#endif
	xor %edx, %edx
	xor %r10d, %r10d
	mov $61, %eax
	syscall
#ifdef CHILD_SPINS
	mov -8(%rsp), %edi      /* exit_group(status), 15 for SIGTERM */
#else
	xor %edi, %edi          /* exit_group(0) */
#endif
	mov $231, %eax
	syscall
child:
#ifdef CHILD_SPINS
	mov $1, %edi            /* write(1, "r\n", 2), then spin */
	lea ready(%rip), %rsi
	mov $2, %edx
	mov $1, %eax
	syscall
3:	jmp 3b
#endif
	mov $1000000, %ecx
2:	dec %ecx
	jnz 2b
	MARK(3)                 /* the child's marker: not stored */
	xor %edi, %edi          /* exit(0) */
	mov $60, %eax
	syscall
	.size _start, .-_start

#ifdef CHILD_SPINS
	.section .rodata
ready:	.ascii "r\n"
#endif
	.section .note.GNU-stack, "", @progbits
