/* x86_64_libspin_main.c - calls emu_spin(N) of libemuspin.so once (N: argv[1], default 1000). */
#include <stdlib.h>

void emu_spin(long n);

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;

	emu_spin(n > 0 ? n : 1);
	return 0;
}
