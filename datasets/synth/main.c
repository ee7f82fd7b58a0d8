/*
 * wl-synth - the synthetic workload of emudiff's bundled suite.
 *
 * One program, one named marker per behaviour (emudiff/mark.h), so that each
 * phase is one region on both QEMU and hardware:
 *
 *   int_alu  fp_libm  mem_stream  chase_setup  ptr_chase  branch  hash
 *   file_io  net_tcp  kv_insert  kv_lookup  kv_scan  compress  (end)
 *
 * Every size is a command-line option; --only runs a subset (each behaviour
 * alone if wanted) and --scale multiplies every size. Default sizes give each
 * phase some tens of milliseconds natively on a current x86_64 core.
 */
#include "synth.h"

#include <emudiff/mark.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const phase_names[] = { "int_alu", "fp_libm", "mem_stream", "ptr_chase",
	"branch", "hash", "file_io", "net_tcp", "kv", "compress" };
enum { NPHASES = sizeof(phase_names) / sizeof(phase_names[0]) };

static const char usage_text[] =
	"usage: wl-synth [--only LIST] [--scale F] [--seed N] [--SIZE N ...]\n"
	"  --only LIST        comma-separated phases: int_alu, fp_libm, mem_stream, ptr_chase\n"
	"                     (includes chase_setup), branch, hash, file_io, net_tcp, kv\n"
	"                     (kv_insert, kv_lookup, kv_scan), compress; default all\n"
	"  --scale F          multiply every iteration count (not the working sets) by F\n"
	"  sizes (defaults in brackets):\n"
	"  --alu-iters N [30000000]   --fp-iters N [1000000]\n"
	"  --stream-mib N [32]        --stream-passes N [3]\n"
	"  --chase-mib N [64]         --chase-steps N [500000]\n"
	"  --branch-iters N [10000000]\n"
	"  --hash-kib N [256]         --hash-passes N [1500]\n"
	"  --io-kib N [8192]          --io-chunk N [1024]\n"
	"  --net-msgs N [3000]        --kv-keys N [200000]      --kv-lookups N [1000000]\n"
	"  --zip-kib N [2048]         --seed N [42]\n";

struct size_opt {
	const char *name;
	size_t offset;
	int scales; /* iteration counts scale; working-set sizes do not */
};

#define SIZE_OPT(n, f, s) { n, offsetof(struct synth_sizes, f), s }
static const struct size_opt size_opts[] = {
	SIZE_OPT("alu-iters", alu_iters, 1),     SIZE_OPT("fp-iters", fp_iters, 1),
	SIZE_OPT("stream-mib", stream_mib, 0),   SIZE_OPT("stream-passes", stream_passes, 1),
	SIZE_OPT("chase-mib", chase_mib, 0),     SIZE_OPT("chase-steps", chase_steps, 1),
	SIZE_OPT("branch-iters", branch_iters, 1), SIZE_OPT("hash-kib", hash_kib, 0),
	SIZE_OPT("hash-passes", hash_passes, 1), SIZE_OPT("io-kib", io_kib, 1),
	SIZE_OPT("io-chunk", io_chunk, 0),       SIZE_OPT("net-msgs", net_msgs, 1),
	SIZE_OPT("kv-keys", kv_keys, 1),         SIZE_OPT("kv-lookups", kv_lookups, 1),
	        SIZE_OPT("zip-kib", zip_kib, 1),
	SIZE_OPT("seed", seed, 0),
};
enum { NSIZE_OPTS = sizeof(size_opts) / sizeof(size_opts[0]) };

static int parse_only(const char *list, int *want)
{
	char *copy = strdup(list), *save = NULL;

	if (!copy)
		return -1;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int found = 0;
		for (int p = 0; p < NPHASES; p++)
			if (!strcmp(tok, phase_names[p]))
				want[p] = found = 1;
		if (!found) {
			fprintf(stderr, "wl-synth: unknown phase '%s' in --only\n", tok);
			free(copy);
			return -1;
		}
	}
	free(copy);
	return 0;
}

static int parse_args(int argc, char **argv, struct synth_sizes *z, int *want)
{
	struct option longopts[NSIZE_OPTS + 4];
	double scale = 1.0;
	int any_only = 0, c, idx;

	for (int i = 0; i < NSIZE_OPTS; i++)
		longopts[i] = (struct option){ size_opts[i].name, required_argument, NULL, 0 };
	longopts[NSIZE_OPTS] = (struct option){ "only", required_argument, NULL, 'o' };
	longopts[NSIZE_OPTS + 1] = (struct option){ "scale", required_argument, NULL, 's' };
	longopts[NSIZE_OPTS + 2] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[NSIZE_OPTS + 3] = (struct option){ 0 };
	while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
		char *end;
		switch (c) {
		case 0: {
			unsigned long long v = strtoull(optarg, &end, 10);
			if (!*optarg || *end || optarg[0] == '-') {
				fprintf(stderr, "wl-synth: --%s wants a non-negative integer, not '%s'\n",
					size_opts[idx].name, optarg);
				return -1;
			}
			*(uint64_t *)((char *)z + size_opts[idx].offset) = v;
			break;
		}
		case 'o':
			if (parse_only(optarg, want))
				return -1;
			any_only = 1;
			break;
		case 's':
			scale = strtod(optarg, &end);
			if (!*optarg || *end || !(scale > 0)) {
				fprintf(stderr, "wl-synth: --scale wants a positive number, not '%s'\n", optarg);
				return -1;
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			fputs(usage_text, stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "wl-synth: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (!any_only)
		for (int p = 0; p < NPHASES; p++)
			want[p] = 1;
	for (int i = 0; i < NSIZE_OPTS; i++) {
		uint64_t *v = (uint64_t *)((char *)z + size_opts[i].offset);
		if (size_opts[i].scales && scale != 1.0)
			*v = (uint64_t)((double)*v * scale + 0.5);
	}
	return 0;
}

static int report(const char *name, uint64_t sum, int *failed)
{
	if (sum == SYNTH_FAILED) {
		fprintf(stderr, "wl-synth: phase %s failed its own check\n", name);
		*failed = 1;
		return 0;
	}
	printf("%-12s %016" PRIx64 "\n", name, sum);
	return 0;
}

int main(int argc, char **argv)
{
	struct synth_sizes z = {
		.alu_iters = 30000000, .fp_iters = 1000000, .stream_mib = 32, .stream_passes = 3,
		.chase_mib = 64, .chase_steps = 500000, .branch_iters = 10000000, .hash_kib = 256,
		.hash_passes = 1500, .io_kib = 8192, .io_chunk = 1024, .net_msgs = 3000,
		.kv_keys = 200000, .kv_lookups = 1000000, .zip_kib = 2048, .seed = 42,
	};
	int want[NPHASES] = { 0 }, failed = 0;

	if (parse_args(argc, argv, &z, want))
		return 2;

	/* Marker ids are fixed: regions keep their identity across builds. */
	if (want[0]) {
		EMUDIFF_MARK_NAMED(1, "int_alu");
		report("int_alu", phase_int_alu(&z), &failed);
	}
	if (want[1]) {
		EMUDIFF_MARK_NAMED(2, "fp_libm");
		report("fp_libm", phase_fp(&z), &failed);
	}
	if (want[2]) {
		EMUDIFF_MARK_NAMED(3, "mem_stream");
		report("mem_stream", phase_stream(&z), &failed);
	}
	if (want[3]) {
		EMUDIFF_MARK_NAMED(4, "chase_setup");
		struct chase *c = chase__new(&z);
		if (!c) {
			fprintf(stderr, "wl-synth: ptr_chase: cannot allocate %" PRIu64 " MiB\n", z.chase_mib);
			return 1;
		}
		EMUDIFF_MARK_NAMED(5, "ptr_chase");
		report("ptr_chase", chase__run(c, z.chase_steps), &failed);
		chase__free(c);
	}
	if (want[4]) {
		EMUDIFF_MARK_NAMED(6, "branch");
		report("branch", phase_branch(&z), &failed);
	}
	if (want[5]) {
		EMUDIFF_MARK_NAMED(7, "hash");
		report("hash", phase_hash(&z), &failed);
	}
	if (want[6]) {
		EMUDIFF_MARK_NAMED(8, "file_io");
		report("file_io", phase_file_io(&z), &failed);
	}
	if (want[7]) {
		EMUDIFF_MARK_NAMED(9, "net_tcp");
		report("net_tcp", phase_net(&z), &failed);
	}
	if (want[8]) {
		EMUDIFF_MARK_NAMED(10, "kv_insert");
		struct kv *kv = kv__new(z.kv_keys);
		if (!kv) {
			fprintf(stderr, "wl-synth: kv: cannot allocate %" PRIu64 " keys\n", z.kv_keys);
			return 1;
		}
		report("kv_insert", kv__insert_all(kv, z.seed), &failed);
		EMUDIFF_MARK_NAMED(11, "kv_lookup");
		report("kv_lookup", kv__lookup_all(kv, z.seed, z.kv_lookups), &failed);
		EMUDIFF_MARK_NAMED(12, "kv_scan");
		report("kv_scan", kv__scan(kv), &failed);
		kv__free(kv);
	}
	if (want[9]) {
		EMUDIFF_MARK_NAMED(13, "compress");
		report("compress", phase_compress(&z), &failed);
	}
	EMUDIFF_MARK_NAMED(14, "end");
	return failed ? 1 : 0;
}
