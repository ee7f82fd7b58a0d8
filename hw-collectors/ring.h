/* ring.h - perf_event_open ring buffers (internal to hw-collectors). */
#ifndef EMUDIFF_HW_RING_H
#define EMUDIFF_HW_RING_H

#include <linux/perf_event.h>
#include <stddef.h>
#include <stdint.h>

struct ring {
	int fd;
	struct perf_event_mmap_page *meta;
	unsigned char *data;
	size_t size;      /* data pages, bytes (a power of two) */
	size_t map_bytes; /* meta page + data */
	unsigned char *scratch; /* a record that wraps around the end, copied whole */
	size_t scratch_size;
	uint64_t lost;
};

/* Map the ring of an event fd: up to max_pages data pages, halved while the
 * per-user locked-memory limit refuses. Returns 0 or -errno. */
int ring__map(struct ring *r, int fd, size_t max_pages);
void ring__unmap(struct ring *r);
/* Hand every complete record to fn; PERF_RECORD_LOST is counted in r->lost. */
void ring__drain(struct ring *r, void (*fn)(const struct perf_event_header *h, void *arg), void *arg);

#endif
