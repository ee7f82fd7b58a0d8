/* hw-spin-lib.c - a shared object to spin in, for sampling load-bias tests. */
#include <time.h>

void hw_lib_spin(long ms);

static volatile unsigned long sink;

void hw_lib_spin(long ms)
{
	struct timespec ts;
	double end;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	end = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6 + (double)ms;
	for (;;) {
		for (int i = 0; i < 1000000; i++)
			sink += (unsigned long)i * 3;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
		if ((double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6 >= end)
			break;
	}
}
