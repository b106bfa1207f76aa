/*
 * struct queue: a mutex, a condition variable and a singly linked list of
 * nodes; an eventfd mirrors "not empty" for poll(2) users. Any thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "queue.h"
#include "timing.h"
#include "xmalloc.h"

struct queue_node {
	void *msg;
	struct queue_node *next;
};

struct queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct queue_node *head, *tail;
	int efd;		/* counter > 0 while the list is not empty */
};

struct queue *
queue_new(void)
{
	struct queue *q;
	pthread_condattr_t ca;

	q = xcalloc(1, sizeof(*q));
	if ((q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		free(q);
		return NULL;
	}
	pthread_mutex_init(&q->mu, NULL);
	/* Timed waits on the monotonic clock: a clock step must not make
	 * a worker sleep an hour. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
	return q;
}

void
queue_free(struct queue *q, void (*free_fn)(void *msg))
{
	struct queue_node *n;

	if (q == NULL)
		return;
	while ((n = q->head) != NULL) {
		q->head = n->next;
		if (free_fn != NULL)
			free_fn(n->msg);
		free(n);
	}
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	close(q->efd);
	free(q);
}

void
queue_push(struct queue *q, void *msg)
{
	struct queue_node *n = xcalloc(1, sizeof(*n));
	uint64_t one = 1;

	n->msg = msg;
	pthread_mutex_lock(&q->mu);
	if (q->tail != NULL)
		q->tail->next = n;
	else
		q->head = n;
	q->tail = n;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	/* Wakes a poll(2) consumer; a full counter (2^64 - 2 pushes
	 * unread) cannot happen, and EAGAIN would still leave it readable. */
	(void)!write(q->efd, &one, sizeof(one));
}

/* Unlinks the head; the caller holds mu. */
static void *
queue_take(struct queue *q)
{
	struct queue_node *n = q->head;
	uint64_t v;
	void *msg;

	if (n == NULL) {
		/* Empty: reset the eventfd so poll stops reporting it. */
		(void)!read(q->efd, &v, sizeof(v));
		return NULL;
	}
	q->head = n->next;
	if (q->head == NULL)
		q->tail = NULL;
	msg = n->msg;
	free(n);
	return msg;
}

void *
queue_pop(struct queue *q, int timeout_ms)
{
	struct timespec ts;
	void *msg;

	pthread_mutex_lock(&q->mu);
	if (timeout_ms >= 0)
		ts = timing_deadline(timeout_ms);
	while (q->head == NULL) {
		if (timeout_ms < 0)
			pthread_cond_wait(&q->cv, &q->mu);
		else if (pthread_cond_timedwait(&q->cv, &q->mu, &ts) ==
		    ETIMEDOUT)
			break;
	}
	msg = queue_take(q);
	pthread_mutex_unlock(&q->mu);
	return msg;
}

void *
queue_trypop(struct queue *q)
{
	void *msg;

	pthread_mutex_lock(&q->mu);
	msg = queue_take(q);
	pthread_mutex_unlock(&q->mu);
	return msg;
}

int
queue_fd(const struct queue *q)
{
	return q->efd;
}
