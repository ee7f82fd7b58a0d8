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

/* a, on pid, once per CPU, each with its ring of up to pages pages: 0 or -errno */
int ringset__open(struct ringset *s, struct perf_event_attr *a, pid_t pid, size_t pages);
void ringset__close(struct ringset *s);
void ringset__drain(struct ringset *s, void (*fn)(const struct perf_event_header *h, void *arg), void *arg);
uint64_t ringset__lost(const struct ringset *s);

/* One exited thread's own counts (its PERF_RECORD_READs, merged). */
struct thread_read {
	int32_t tid, pid;
	struct hw_reading r;
	uint32_t have; /* group events seen */
};

/* A traced system call before the runtime's own are told apart (at the end,
 * when the marker runtime's thread slots say when it made them). */
struct sys_raw {
	int64_t time; /* absolute CLOCK_MONOTONIC_RAW */
	int64_t nr;
	uint64_t a0, a4;
	int32_t tid;
};

/* What the records of one run go into. */
struct collect_ctx {
	struct hw_run_result *r;
	size_t cap_ips, cap_maps;
	struct syscall_format tp;
	int64_t t0;
	int mark_fd;
	uint64_t *ip_list; /* all sampled ips, aggregated at the end */
	uint64_t *period_list;
	int64_t *time_list;
	int32_t *tid_list;
	size_t n_ip_list, cap_ip_list;
	struct sys_raw *sys_raw;
	size_t n_sys_raw, cap_sys_raw;
	/* the counting group's own records (threads.c): the threads' ends with
	 * their counts in one ring, their creations and ends in per-CPU rings
	 * (tasks; else, task_in_group, in that one ring too) */
	int stat_fd; /* the ring's event; -1: none */
	struct ring stat;
	struct ringset tasks;
	int task_in_group;
	struct hw_fork *forks;
	size_t n_forks, cap_forks;
	struct hw_fork *exits; /* PERF_RECORD_EXIT: the task that ended and when */
	size_t n_exits, cap_exits;
	struct thread_read *reads;
	size_t n_reads, cap_reads;
};

/* ringset__drain's callbacks: samples and mappings, system calls. */
void on_sample_record(const struct perf_event_header *h, void *arg);
void on_syscall_record(const struct perf_event_header *h, void *arg);
/* The sampler (cycles, else cpu-clock) on pid: 0, or -errno with r->sample_errno set. */
int open_sampler(const struct hw_run_opts *o, pid_t pid, struct hw_run_result *r, int exclude_kernel,
		 struct ringset *rs);
/* raw_syscalls:sys_enter on pid: 0, or -errno with r->syscall_why set. */
int open_syscalls(pid_t pid, struct collect_ctx *c, int exclude_kernel, struct ringset *rs);
/* Once the child is reaped: samples kept and added up per IP, mappings in
 * time order, the workload's calls (not the marker runtime's) in time order. */
void collect_ctx__finish(struct collect_ctx *c);

/* threads.c: the per-CPU rings of each thread's creation and end (a dummy
 * event with task, inherited, once per CPU on pid): 0 or -errno. */
int task_rings__open(struct collect_ctx *c, pid_t pid);
/* threads.c: the ring the counting group writes its READ records to (and its
 * FORK/EXIT records without the task rings): a dummy event on pid, not
 * inherited, which the kernel maps; the group's output redirected to it. 0,
 * or -1 with r->threads_why set. */
int stat_ring__open(struct collect_ctx *c, pid_t pid, const struct hw_group *g);
void stat_ring__close(struct collect_ctx *c);
void on_stat_record(const struct perf_event_header *h, void *arg);
/* After collect_ctx__finish: the threads in creation order, each mark's
 * thread, every thread's own totals when they are all known. */
void collect_ctx__threads(struct collect_ctx *c, pid_t main_tid);

#endif
