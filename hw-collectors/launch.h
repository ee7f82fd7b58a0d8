/*
 * launch.h - hw-collectors' private interface between launch.c (the child and
 * the invocation) and launch_rings.c (the sampler and syscall rings).
 */
#ifndef EMUDIFF_LAUNCH_H
#define EMUDIFF_LAUNCH_H

#include "hw.h"
#include "ring.h"
#include "common.h"

struct perf_event_header;

/*
 * One event per CPU for the child's pid. The kernel refuses to map the ring
 * of an inherited per-task event (cpu -1), so, as perf record does, sampled
 * events that must follow threads and children are opened on every CPU, each
 * with its own ring.
 */
struct ringset {
	int n;
	int *fd, *hup;
	struct ring *ring;
};

void ringset__close(struct ringset *s);
void ringset__drain(struct ringset *s, void (*fn)(const struct perf_event_header *h, void *arg), void *arg);
uint64_t ringset__lost(const struct ringset *s);

/* What the records of one run go into. */
struct collect_ctx {
	struct hw_run_result *r;
	size_t cap_ips, cap_maps, cap_sys;
	struct syscall_format tp;
	int64_t t0;
	int child_group_fd, mark_fd;
	int child_fds[HW_MAX_EVENTS], n_child_fds; /* as numbered in the workload */
	uint64_t *ip_list; /* all sampled ips, aggregated at the end */
	uint64_t *period_list;
	int64_t *time_list;
	size_t n_ip_list, cap_ip_list;
};

/* ringset__drain's callbacks: samples and mappings, system calls. */
void on_sample_record(const struct perf_event_header *h, void *arg);
void on_syscall_record(const struct perf_event_header *h, void *arg);
/* The sampler (cycles, else cpu-clock) on pid: 0, or -errno with r->sample_errno set. */
int open_sampler(const struct hw_run_opts *o, pid_t pid, struct hw_run_result *r, int exclude_kernel,
		 struct ringset *rs);
/* raw_syscalls:sys_enter on pid: 0, or -errno with r->syscall_why set. */
int open_syscalls(pid_t pid, struct collect_ctx *c, int exclude_kernel, struct ringset *rs);
/* Once the child is reaped: samples kept and added up per IP, mappings and calls in time order. */
void collect_ctx__finish(struct collect_ctx *c);

#endif
