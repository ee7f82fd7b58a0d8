/*
 * mkstore.c - make a store holding synthetic runs, for command-line tests:
 *   mkstore DB WORKLOAD NRUNS [PLATFORM]
 * Each run has three markers (1, 2, 3) with known instruction counts and times.
 */
#include "common.h"
#include "store.h"

#include <stdlib.h>

int main(int argc, char **argv)
{
	struct store *s;
	int64_t w, n;

	if (argc < 4 || parse_i64(argv[3], &n))
		die("usage: mkstore DB WORKLOAD NRUNS [PLATFORM]");
	s = store__open(argv[1], STORE_CREATE);
	if (!s)
		return 2;
	if (store__begin(s))
		return 1;
	w = store__workload(s, argv[2], "x86_64", NULL, "[]");
	for (int64_t i = 0; i < n; i++) {
		struct run_info ri = {
			.workload_id = w, .platform = argc > 4 ? argv[4] : "hw", .config_json = "{}",
			.rep = (int)i, .status = "ok", .exit_code = 0, .wall_ns = 1000000 + i,
		};
		int64_t r = store__run_add(s, &ri);

		if (r < 0 || store__mark_add(s, r, 0, 0, 1, 0, 0) || store__mark_add(s, r, 1, 0, 2, 1000, 500 + i) ||
		    store__mark_add(s, r, 2, 0, 3, 3000, 2000 + i) || store__run_metric_set(s, r, "insns", 3000))
			return 1;
	}
	if (store__commit(s))
		return 1;
	store__close(s);
	return 0;
}
