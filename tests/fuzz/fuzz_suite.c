/* Fuzz target: suite files (INI) for emudiff study. */
#include "fuzz_input.h"
#include "study.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
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

		/* returns the number of cells; the plan is always to be freed */
		study_plan__build(&plan, s);
		study_plan__free(&plan);
		study_suite__free(s);
	}
	close(fd);
	return 0;
}
