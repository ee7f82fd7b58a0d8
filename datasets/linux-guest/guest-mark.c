/*
 * guest-mark.c - the phase markers of the minimal Linux guest (init, next to
 * this file). `emudiff-mark PHASE` executes the marker instruction of the
 * phase (seen by the QEMU plugin under TCG) and prints its console line
 * (read by `collect hw-kvm` and `collect console`), so the same regions
 * exist on both sides:
 *
 *   @emudiff mark <id> time=<CLOCK_MONOTONIC in ns>
 *
 * The time is the guest's own clock in nanoseconds: collect it with
 * --timebase-hz 1000000000. A marker names the phase that starts at it.
 * Linked away from 0x400000/0x10000, where Debian's static busybox lives,
 * so that its symbols (when it is the --elf of a run) never name busybox code.
 */
#include <emudiff/mark.h>

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const phases[] = { NULL, "init", "disk_write", "disk_read", "serve", "end", "cyclictest" };

/* The marker instruction of phase id: an immediate, hence one branch each. */
static void mark_insn(int id)
{
	switch (id) {
	case 1: EMUDIFF_MARK_INSN_NAMED(1, "init"); break;
	case 2: EMUDIFF_MARK_INSN_NAMED(2, "disk_write"); break;
	case 3: EMUDIFF_MARK_INSN_NAMED(3, "disk_read"); break;
	case 4: EMUDIFF_MARK_INSN_NAMED(4, "serve"); break;
	case 5: EMUDIFF_MARK_INSN_NAMED(5, "end"); break;
	case 6: EMUDIFF_MARK_INSN_NAMED(6, "cyclictest"); break;
	}
}

int main(int argc, char **argv)
{
	int n = (int)(sizeof(phases) / sizeof(phases[0]));
	struct timespec ts;
	char line[96];
	int id, len;

	for (id = 1; argc == 2 && id < n; id++)
		if (!strcmp(argv[1], phases[id]))
			break;
	if (argc != 2 || id == n) {
		fprintf(stderr, "usage: emudiff-mark init|disk_write|disk_read|serve|end|cyclictest\n");
		return 2;
	}
	mark_insn(id);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	len = snprintf(line, sizeof(line), "@emudiff mark %d time=%llu\n", id,
		       (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec);
	/* one write: the line is never interleaved with the kernel's messages */
	return write(STDOUT_FILENO, line, (size_t)len) == len ? 0 : 1;
}
