/* forker.c - a workload that forks: parent and child each run a loop. */
#include <sys/wait.h>
#include <unistd.h>

/* returns the sum so that no compiler calls s unused */
static long spin(long n)
{
	volatile long s = 0;

	for (long i = 0; i < n; i++)
		s += i;
	return s;
}

int main(void)
{
	pid_t p;
	int status;

	(void)spin(2000000);
	p = fork();
	if (p < 0)
		return 1;
	if (p == 0) {
		(void)spin(2000000);
		_exit(0);
	}
	if (waitpid(p, &status, 0) != p || !WIFEXITED(status))
		return 1;
	return WEXITSTATUS(status);
}
