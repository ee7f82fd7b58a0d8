/* forker.c - a workload that forks: parent and child each run a loop. */
#include <sys/wait.h>
#include <unistd.h>

static void spin(long n)
{
	volatile long s = 0;

	for (long i = 0; i < n; i++)
		s += i;
}

int main(void)
{
	pid_t p;
	int status;

	spin(2000000);
	p = fork();
	if (p < 0)
		return 1;
	if (p == 0) {
		spin(2000000);
		_exit(0);
	}
	if (waitpid(p, &status, 0) != p || !WIFEXITED(status))
		return 1;
	return WEXITSTATUS(status);
}
