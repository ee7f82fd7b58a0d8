/* A sized function with global labels inside it, as glibc 2.41's
 * __syscall_cancel_arch has (__syscall_cancel_arch_start/_end): the labels
 * must not cut the function (test symtab-label-in-function). */
	.text
	.globl	_start
	.type	_start, @function
_start:
	nop
	.globl	inner_start
inner_start:
	nop
	.globl	inner_end
inner_end:
	ret
	.size	_start, . - _start

	.globl	after
	.type	after, @function
after:
	xor	%edi, %edi
	mov	$60, %eax
	syscall
	.size	after, . - after
	.section .note.GNU-stack, "", @progbits
