/*
 * readahead.c - the reader of regions_read.c on a thread and a read-only
 * connection of its own (regions.h), so that reading and computing the next
 * runs overlaps writing the previous ones.
 *
 * A connection is used by one thread at a time (the store opens them
 * SQLITE_OPEN_NOMUTEX): the reader thread alone uses its connection until it
 * is joined. Jobs pass through a small queue under a mutex; a job and what
 * it points to belong to whoever holds it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "regions.h"

/* A few jobs ahead: enough to ride out a slow run, little memory per job. */
enum { READAHEAD_JOBS = 4 };

struct readahead {
	sqlite3 *db;
	struct reader *rd;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed; /* a job queued or taken, the reader done, or stop */
	struct job *queue[READAHEAD_JOBS];
	size_t head, count;
	int done, rc; /* the reader's last reader__next(): 0 or -1 */
	int stop;     /* the caller wants no more jobs */
};

static void *readahead__run(void *arg)
{
	struct readahead *ra = arg;
	int got;

	do {
		struct job *j = NULL;

		got = reader__next(ra->rd, &j);
		pthread_mutex_lock(&ra->lock);
		while (got > 0 && ra->count == READAHEAD_JOBS && !ra->stop)
			pthread_cond_wait(&ra->changed, &ra->lock);
		if (ra->stop) {
			pthread_mutex_unlock(&ra->lock);
			job__free(j);
			break;
		}
		if (got > 0) {
			ra->queue[(ra->head + ra->count) % READAHEAD_JOBS] = j;
			ra->count++;
		} else {
			ra->done = 1;
			ra->rc = got;
		}
		pthread_cond_broadcast(&ra->changed);
		pthread_mutex_unlock(&ra->lock);
	} while (got > 0);
	return NULL;
}

struct readahead *readahead__start(sqlite3 *db, const char *dbname, const int64_t *ids, size_t n)
{
	sqlite3 *second = db__open_reader(db);
	struct readahead *ra;

	if (!second)
		return NULL;
	ra = xcalloc(1, sizeof(*ra));
	ra->db = second;
	ra->rd = reader__new(second, dbname, ids, n);
	pthread_mutex_init(&ra->lock, NULL);
	pthread_cond_init(&ra->changed, NULL);
	if (pthread_create(&ra->thread, NULL, readahead__run, ra) != 0) {
		reader__free(ra->rd);
		sqlite3_close(ra->db);
		pthread_mutex_destroy(&ra->lock);
		pthread_cond_destroy(&ra->changed);
		free(ra);
		return NULL;
	}
	return ra;
}

int readahead__next(struct readahead *ra, struct job **out)
{
	int rc;

	pthread_mutex_lock(&ra->lock);
	while (!ra->count && !ra->done)
		pthread_cond_wait(&ra->changed, &ra->lock);
	if (ra->count) {
		*out = ra->queue[ra->head];
		ra->head = (ra->head + 1) % READAHEAD_JOBS;
		ra->count--;
		pthread_cond_broadcast(&ra->changed);
		rc = 1;
	} else {
		rc = ra->rc;
	}
	pthread_mutex_unlock(&ra->lock);
	return rc;
}

/* Only after readahead__next() returned -1: the thread no longer touches it. */
const char *readahead__error(const struct readahead *ra)
{
	return reader__error(ra->rd);
}

void readahead__free(struct readahead *ra)
{
	if (!ra)
		return;
	pthread_mutex_lock(&ra->lock);
	ra->stop = 1;
	pthread_cond_broadcast(&ra->changed);
	pthread_mutex_unlock(&ra->lock);
	/* it stops after the job it is reading, at the latest */
	pthread_join(ra->thread, NULL);
	while (ra->count) {
		job__free(ra->queue[ra->head]);
		ra->head = (ra->head + 1) % READAHEAD_JOBS;
		ra->count--;
	}
	reader__free(ra->rd);
	sqlite3_close(ra->db);
	pthread_mutex_destroy(&ra->lock);
	pthread_cond_destroy(&ra->changed);
	free(ra);
}
