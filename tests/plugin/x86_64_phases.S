/*
 * x86_64_phases.S - x86_64 Linux user-mode program whose marker regions
 * call functions, with hand-counted instructions per (marker interval,
 * symbol) for the plugin's marksyms attribution (tests/plugin).
 *
 * fa(n) runs 2n + 1 instructions (n x dec/jnz, ret); fb(n) runs 2n + 4 of
 * its own (mov, n x dec/jnz, mov, call, ret) and calls fa(2) (5).
 *
 *   seq  id  insns  interval after it (callees included)
 *   -1   -   -      _start 1 (mov)
 *   0    1   1      _start 3 (mark, mov, call), fa 21 = fa(10)
 *   1    2   25     _start 5 (mark, mov, call, dec, jnz), fb 12 = fb(4), fa 5
 *   2    1   47     as seq 0
 *   3    2   71     as seq 1
 *   4    1   93     as seq 0
 *   5    2   117    as seq 1
 *   6    3   139    _start 4 (mark, mov, mov, syscall)
 * Total 143: _start 29, fa 78, fb 36. The first MARK(1) sits in the middle
 * of _start's first block (its tail is pending at the callback), the later
 * ones start the loop's block.
 */
#define MARK(id) .byte 0x0f, 0x1f, 0x80; .long 0x45440000 + id

	.text
	.globl _start
	.type _start, @function
_start:
	mov $3, %r12d
1:	MARK(1)                 /* seq 0, 2, 4 */
	mov $10, %edi
	call fa
	MARK(2)                 /* seq 1, 3, 5 */
	mov $4, %edi
	call fb
	dec %r12d
	jnz 1b
	MARK(3)                 /* seq 6 */
	mov $0, %edi
	mov $231, %eax
	syscall
	.size _start, .-_start

	.type fa, @function
fa:
2:	dec %edi
	jnz 2b
	ret
	.size fa, .-fa

	.type fb, @function
fb:
	mov %edi, %ebx
3:	dec %ebx
	jnz 3b
	mov $2, %edi
	call fa
	ret
	.size fb, .-fb
	.section .note.GNU-stack, "", @progbits
