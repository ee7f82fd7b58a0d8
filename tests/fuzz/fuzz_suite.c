/* Fuzz target: suite files (INI) for emudiff study. */
#include "fuzz_input.h"
#include "study.h"

int fuzz_target(const uint8_t *data, size_t size, struct fuzz_sum *sum)
{
	struct study_suite *s;
	char path[64];
	int fd;

	fuzz_quiet();
	fd = fuzz_path(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	s = study_suite__load(path, NULL);
	if (s) {
		struct study_plan plan;
		int cells = study_plan__build(&plan, s);

		/* the plan is always to be freed */
		fuzz_add(sum, "name=%s workloads=%d pairs=%d skipped=%d cells=%d", s->name,
			 s->nworkloads, s->npairs, s->nskipped, cells);
		study_plan__free(&plan);
		study_suite__free(s);
	}
	close(fd);
	return s != NULL;
}

FUZZ_ENTRY
