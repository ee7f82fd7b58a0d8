/*
 * suite_int.h - internal to study/: what the suite parser (suite.c) and its
 * checks of the parsed workloads and pairs (suite_check.c) share.
 */
#ifndef EMUDIFF_STUDY_SUITE_INT_H
#define EMUDIFF_STUDY_SUITE_INT_H

#include "study.h"

/* Which keys a workload set itself (the rest come from [study]). */
enum {
	SET_PLATFORMS = 1,
	SET_REPS = 2,
	SET_WARMUP = 4,
	SET_PIN = 8,
	SET_TIMEOUT = 16,
	SET_SAMPLE = 32,
	SET_BINARY = 64,
	SET_ARCH = 128,
	SET_LOG = 256,
	SET_ARGS = 512,
	SET_SYSTEM = 1024,
	SET_OPTIONAL = 2048,
	SET_OPTS = 4096, /* << platform */
	SET_NAME = SET_OPTS << STUDY_PLATFORMS,
	SET_TOLERANCE = SET_NAME << 1,
	SET_CONFIDENCE = SET_NAME << 2,
	SET_JOBS = SET_NAME << 3,
	SET_QEMU = SET_NAME << 4,
	SET_SLURM = SET_NAME << 5, /* << enum study_slurm_job */
	SET_HW_EMUDIFF = SET_SLURM << SLURM_JOBS,
	SET_SYSTEM_QEMU = SET_HW_EMUDIFF << 1, /* system.qemu-system */
	SET_SYSTEM_KVM = SET_HW_EMUDIFF << 2,  /* system.hw-kvm */
};

char *suite__resolve_path(const char *suite_dir, const char *build_root, const char *p);
int suite__check_workload(struct study_suite *s, struct study_workload *w, unsigned set,
			  const struct study_workload *d, const char *suite_dir, const char *build_root);
void suite__workload_free(struct study_workload *w);
int suite__skipped_workload(const struct study_suite *s, const char *name);
void suite__workload_drop(struct study_suite *s, int i, unsigned *set);
void suite__pair_drop(struct study_suite *s, int i);
int suite__check_pair(struct study_suite *s, struct study_pair *p);

#endif
