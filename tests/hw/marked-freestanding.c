/*
 * marked-freestanding.c - emudiff/mark.h in freestanding mode, run under
 * qemu-riscv64 with emudiff_putchar() writing to stdout: the console lines of
 * a real build, for `emudiff collect console`.
 * Markers: 1, then 3 x 2, then 3; then `@emudiff exit 0`.
 */
#include <emudiff/mark.h>
#include <unistd.h>

void emudiff_putchar(int c)
{
	char ch = (char)c;

	if (write(1, &ch, 1) != 1)
		_exit(1);
}

static volatile unsigned long sink;

int main(void)
{
	EMUDIFF_MARK_NAMED(1, "init");
	for (int i = 0; i < 3; i++) {
		EMUDIFF_MARK_NAMED(2, "loop");
		for (unsigned long k = 0; k < 100000; k++)
			sink += k;
	}
	EMUDIFF_MARK(3);
	EMUDIFF_EXIT(0);
	return 0;
}
