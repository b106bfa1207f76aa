/*
 * A queue of owned messages between threads (docs/style.md §3): the one way
 * adsync's threads hand each other work. queue_push() takes ownership of a
 * message, queue_pop() gives it to the caller; nothing else is shared.
 *
 * A consumer either blocks in queue_pop() (a worker thread) or polls
 * queue_fd() with its other descriptors (the daemon's loop): the fd is
 * readable while the queue may hold messages; queue_trypop() until NULL
 * then empties it.
 *
 * Threads: any number of producers and consumers. Messages are opaque
 * (void *); the free function given to queue_free() releases the ones
 * never popped.
 */
#ifndef ADSYNC_QUEUE_H
#define ADSYNC_QUEUE_H

#include "attributes.h"

struct queue;

/* A new empty queue, or NULL (errno set) when the eventfd or memory
 * cannot be had. */
struct queue *queue_new(void);

/* Frees `q` and, with `free_fn` (may be NULL), every message left. No
 * thread may use `q` any more. Accepts NULL. */
void queue_free(struct queue *q, void (*free_fn)(void *msg));

/* Appends `msg` (ownership taken; not NULL). Never blocks for long, never
 * fails (the list is unbounded: producers bound themselves). */
void queue_push(struct queue *q, void *msg);

/* The oldest message (ownership given), waiting up to `timeout_ms`
 * (negative = forever); NULL on timeout. */
void *queue_pop(struct queue *q, int timeout_ms);

/* The oldest message, or NULL at once when empty. */
void *queue_trypop(struct queue *q);

/* A descriptor readable while messages may be waiting (level-triggered
 * until queue_trypop() returns NULL). Borrowed; valid until queue_free(). */
int queue_fd(const struct queue *q);

#endif
