/*
 * x86_64_names.S - x86_64 Linux user-mode program whose functions carry
 * names in every byte class the output order must handle (tests/plugin):
 * '$', '.', a digit, '@' (first and inside), a capital, '_' with a C++ mangled name, lower
 * case and UTF-8, and code outside any function symbol ("[unknown]").
 * Between MARK(1) (seq 0) and MARK(2) (seq 1) _start calls each function
 * once; each runs 1 instruction (ret), the unnamed stub 2 (nop, ret).
 */
#define MARK(id) .byte 0x0f, 0x1f, 0x80; .long 0x45440000 + id
#define FUNC(name) .type name, @function; name: ret; .size name, .-name

	.text
	.globl _start
	.type _start, @function
_start:
	MARK(1)
	call "$x"
	call ".dot"
	call "9lives"
	call "@at"
	call "DepthwiseConvPerChannel.constprop.0"
	call "_ZN3foo3barEv"
	call "f@v"
	call "main.cold"
	call "été"
	call stub
	MARK(2)
	mov $0, %edi
	mov $231, %eax
	syscall
	.size _start, .-_start

	FUNC("$x")
	FUNC(".dot")
	FUNC("9lives")
	FUNC("@at")
	FUNC("DepthwiseConvPerChannel.constprop.0")
	FUNC("_ZN3foo3barEv")
	FUNC("f@v")
	FUNC("main.cold")
	FUNC("été")
/* not a function symbol: QEMU attributes it to no symbol */
stub:
	nop
	ret
	.section .note.GNU-stack, "", @progbits
