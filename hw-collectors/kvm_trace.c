/*
 * kvm_trace.c - VM exits of a VMM process, sampled from KVM's exit
 * tracepoints (every exit is one sample: period 1), and guest-only counters.
 *
 * A tracepoint on a process needs one event per CPU: the kernel refuses to
 * mmap an inherited per-task (cpu == -1) event, and inherit is what follows
 * the vCPU threads the VMM creates after exec. Each sample carries
 * PERF_SAMPLE_RAW, decoded with the tracepoint's format file (kvm_exit.c).
 */
#include "hw.h"
#include "ring.h"

#include "common.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define KVM_TRACE_RING_PAGES 64

struct kvm_trace {
	struct kvm_exit_decoder dec; /* its field pointers point into dec.fmt's heap array */
	int ncpu;
	struct ring *rings;
	struct reason_tally tally;
	uint64_t undecoded;
	const int64_t *const *mark_ns; /* marker arrival times, the caller's */
	const size_t *n_marks;
};

static int perf_open(struct perf_event_attr *a, pid_t pid, int cpu)
{
	long fd = syscall(SYS_perf_event_open, a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : (int)fd;
}

struct kvm_trace *kvm_trace__open(pid_t pid, struct kvm_exit_decoder *dec, int *err)
{
	struct kvm_trace *t = xcalloc(1, sizeof(*t));
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	struct perf_event_attr a;

	t->dec = *dec;
	memset(dec, 0, sizeof(*dec));
	if (ncpu < 1)
		ncpu = 1;
	t->rings = xcalloc((size_t)ncpu, sizeof(*t->rings));
	for (long cpu = 0; cpu < ncpu; cpu++)
		t->rings[cpu].fd = -1;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_TRACEPOINT;
	a.config = (uint64_t)t->dec.fmt.id;
	a.sample_period = 1;
	a.sample_type = PERF_SAMPLE_TIME | PERF_SAMPLE_RAW;
	/* sample times on the clock now_ns() reads, to place them between markers */
	a.use_clockid = 1;
	a.clockid = CLOCK_MONOTONIC_RAW;
	a.disabled = 1;
	a.enable_on_exec = 1;
	a.inherit = 1;
	a.wakeup_events = 1;
	for (long cpu = 0; cpu < ncpu; cpu++) {
		int fd = perf_open(&a, pid, (int)cpu), ret;

		if (fd == -ENODEV || fd == -ENXIO) /* CPU offline or absent */
			continue;
		if (fd < 0) {
			*err = fd;
			goto fail;
		}
		ret = ring__map(&t->rings[cpu], fd, KVM_TRACE_RING_PAGES);
		if (ret) {
			close(fd);
			*err = ret;
			goto fail;
		}
		t->ncpu = (int)cpu + 1;
	}
	if (!t->ncpu) {
		*err = -ENODEV;
		goto fail;
	}
	*err = 0;
	return t;
fail:
	t->ncpu = (int)ncpu;
	kvm_trace__close(t);
	return NULL;
}

static void on_record(const struct perf_event_header *h, void *arg)
{
	struct kvm_trace *t = arg;
	const unsigned char *p = (const unsigned char *)(h + 1);
	size_t len = h->size > sizeof(*h) ? h->size - sizeof(*h) : 0;
	uint32_t raw_size;
	uint64_t time;
	int64_t seq = -1;
	char reason[96];

	if (h->type != PERF_RECORD_SAMPLE)
		return;
	/* TIME | RAW: u64 time, u32 size, then size bytes of tracepoint data */
	if (len < sizeof(time) + sizeof(raw_size)) {
		t->undecoded++;
		return;
	}
	memcpy(&time, p, sizeof(time));
	p += sizeof(time);
	len -= sizeof(time);
	memcpy(&raw_size, p, sizeof(raw_size));
	if (raw_size > len - sizeof(raw_size) ||
	    kvm_exit_decoder__reason(&t->dec, p + sizeof(raw_size), raw_size, reason, sizeof(reason))) {
		t->undecoded++;
		return;
	}
	if (t->mark_ns) {
		size_t n = *t->n_marks;

		/* the last marker seen at or before the sample (few markers: linear) */
		while (seq + 1 < (int64_t)n && (*t->mark_ns)[seq + 1] <= (int64_t)time)
			seq++;
	}
	reason_tally__add(&t->tally, reason, seq, 1);
}

void kvm_trace__set_marks(struct kvm_trace *t, const int64_t *const *mark_ns, const size_t *n)
{
	t->mark_ns = mark_ns;
	t->n_marks = n;
}

void kvm_trace__drain(struct kvm_trace *t)
{
	for (int cpu = 0; cpu < t->ncpu; cpu++)
		if (t->rings[cpu].fd >= 0)
			ring__drain(&t->rings[cpu], on_record, t);
}

const struct reason_tally *kvm_trace__tally(const struct kvm_trace *t)
{
	return &t->tally;
}

const char *kvm_trace__name(const struct kvm_trace *t)
{
	return t->dec.fmt.name;
}

uint64_t kvm_trace__lost(const struct kvm_trace *t)
{
	uint64_t lost = 0;

	for (int cpu = 0; cpu < t->ncpu; cpu++)
		lost += t->rings[cpu].lost;
	return lost;
}

uint64_t kvm_trace__undecoded(const struct kvm_trace *t)
{
	return t->undecoded;
}

void kvm_trace__close(struct kvm_trace *t)
{
	if (!t)
		return;
	for (int cpu = 0; cpu < t->ncpu; cpu++) {
		int fd = t->rings[cpu].fd;

		if (fd >= 0) {
			ring__unmap(&t->rings[cpu]);
			close(fd);
		}
	}
	free(t->rings);
	kvm_exit_decoder__free(&t->dec);
	reason_tally__free(&t->tally);
	free(t);
}

/* ---- guest-only counters ---- */

int guest_counters__open(struct guest_counters *g, pid_t pid, const struct hw_event *const *ev, int n)
{
	memset(g, 0, sizeof(*g));
	for (int i = 0; i < n && i < HW_MAX_EVENTS; i++) {
		struct perf_event_attr a;
		int fd;

		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.type = ev[i]->type;
		a.config = ev[i]->config;
		a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
		a.disabled = 1;
		a.enable_on_exec = 1;
		a.inherit = 1;
		/* guest only: what the vCPUs execute, not the VMM's own host code */
		a.exclude_host = 1;
		fd = perf_open(&a, pid, -1);
		if (fd < 0) {
			g->unsupported[g->n_unsupported] = ev[i];
			g->unsupported_errno[g->n_unsupported++] = -fd;
			continue;
		}
		g->fd[g->n] = fd;
		g->ev[g->n++] = ev[i];
	}
	return g->n;
}

int guest_counters__read(const struct guest_counters *g, int i, double *value)
{
	uint64_t v[3];

	if (i < 0 || i >= g->n || read(g->fd[i], v, sizeof(v)) != (ssize_t)sizeof(v) || !v[2])
		return -1;
	*value = v[2] < v[1] ? (double)v[0] * (double)v[1] / (double)v[2] : (double)v[0];
	return 0;
}

void guest_counters__close(struct guest_counters *g)
{
	for (int i = 0; i < g->n; i++)
		close(g->fd[i]);
	g->n = 0;
}
