/*
 * ring.c - reading perf_event_open ring buffers: records between data_tail
 * and data_head, a record that wraps copied whole, tail published after.
 */
#include "ring.h"
#include "hw.h"
#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int ring__map(struct ring *r, int fd, size_t max_pages)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	for (size_t pages = max_pages; pages >= 8; pages /= 2) {
		void *p = mmap(NULL, (pages + 1) * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (p == MAP_FAILED) {
			if (errno == EPERM || errno == ENOMEM)
				continue;
			return -errno;
		}
		r->fd = fd;
		r->meta = p;
		r->data = (unsigned char *)p + page;
		r->size = pages * page;
		r->map_bytes = (pages + 1) * page;
		return 0;
	}
	return -EPERM;
}

void ring__unmap(struct ring *r)
{
	if (r->meta)
		munmap(r->meta, r->map_bytes);
	free(r->scratch);
	r->meta = NULL;
	r->scratch = NULL;
}

void ring__drain(struct ring *r, void (*fn)(const struct perf_event_header *h, void *arg), void *arg)
{
	uint64_t head, tail;

	if (!r->meta)
		return;
	head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
	tail = r->meta->data_tail;
	while (tail + sizeof(struct perf_event_header) <= head) {
		size_t off = (size_t)(tail & (r->size - 1));
		struct perf_event_header hdr;
		const struct perf_event_header *h;

		/* the header itself may straddle the end */
		for (size_t i = 0; i < sizeof(hdr); i++)
			((unsigned char *)&hdr)[i] = r->data[(off + i) & (r->size - 1)];
		if (hdr.size < sizeof(hdr) || tail + hdr.size > head)
			break;
		if (off + hdr.size <= r->size) {
			h = (const struct perf_event_header *)(r->data + off);
		} else {
			size_t first = r->size - off;

			if (r->scratch_size < hdr.size) {
				r->scratch = xrealloc(r->scratch, hdr.size);
				r->scratch_size = hdr.size;
			}
			memcpy(r->scratch, r->data + off, first);
			memcpy(r->scratch + first, r->data, hdr.size - first);
			h = (const struct perf_event_header *)r->scratch;
		}
		if (h->type == PERF_RECORD_LOST && h->size >= sizeof(*h) + 16) {
			uint64_t lost;

			memcpy(&lost, (const unsigned char *)h + sizeof(*h) + 8, 8);
			r->lost += lost;
		} else {
			fn(h, arg);
		}
		tail += hdr.size;
	}
	__atomic_store_n(&r->meta->data_tail, tail, __ATOMIC_RELEASE);
}

int hw_sample__parse(const void *rec, size_t len, struct hw_sample_fields *out)
{
	const unsigned char *p = (const unsigned char *)rec + sizeof(struct perf_event_header);

	/* IP | TID | TIME | PERIOD, in the kernel's field order */
	if (len < sizeof(struct perf_event_header) + 32)
		return -1;
	memcpy(&out->ip, p, 8);
	memcpy(&out->pid, p + 8, 4);
	memcpy(&out->tid, p + 12, 4);
	memcpy(&out->time, p + 16, 8);
	memcpy(&out->period, p + 24, 8);
	return 0;
}
