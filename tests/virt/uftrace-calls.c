/*
 * uftrace-calls.c - a program with call counts known by construction, the
 * source of the recorded uftrace data in data/uftrace-calls (see
 * data/uftrace-calls.expected): main 1, middle 3, leaf 13, fib 15, spin 1.
 * Built with -pg so that uftrace records it without dynamic patching.
 */
static volatile long sink;

__attribute__((noinline)) void leaf(int i)
{
	sink += i;
}

__attribute__((noinline)) void middle(int n)
{
	for (int i = 0; i < n; i++)
		leaf(i);
}

/* fib(5) makes 15 calls: recursion must be counted once in inclusive time */
__attribute__((noinline)) long fib(int n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/* the one function with substantial self time */
__attribute__((noinline)) void spin(void)
{
	for (volatile int i = 0; i < 200000; i++)
		;
}

int main(void)
{
	for (int k = 0; k < 3; k++)
		middle(4);
	leaf(7);
	sink += fib(5);
	spin();
	return 0;
}
