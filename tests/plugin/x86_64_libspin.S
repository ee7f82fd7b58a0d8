/*
 * x86_64_libspin.S - the shared library of the `collect qemu libraries`
 * test: emu_spin(n) executes exactly 2n + 2 instructions for n >= 1
 * (mov; n x (dec; jnz); ret), all inside the symbol emu_spin.
 */
	.text
	.globl emu_spin
	.type emu_spin, @function
emu_spin:
	mov %rdi, %rax
1:	dec %rax
	jnz 1b
	ret
	.size emu_spin, .-emu_spin
	.section .note.GNU-stack, "", @progbits
