/* rv64_spin.S - marker 5, then spins forever: the SIGTERM test (tests/plugin). */
	.text
	.globl _start
	.type _start, @function
_start:
	slti x0, x0, 5
1:	addi t1, t1, 1
	j 1b
	.size _start, .-_start
