/*
 * Timer thread (see emu_timer.h): a list sorted by deadline and a condition
 * variable on CLOCK_MONOTONIC. Pending entries are few (one per delayed or
 * stalled request), so a sorted list is enough. Trusts its callers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "emu.h"
#include "emu_timer.h"
#include "log.h"

struct emu_timer_ent {
	int64_t due_ms;
	emu_timer_fn *fn;
	void *arg;
	struct emu_timer_ent *next;
};

struct emu_timer {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	struct emu_timer_ent *head;	/* sorted by due_ms */
	bool stop;
	bool flush;
};

static void *
emu_timer_main(void *arg)
{
	struct emu_timer *t = arg;
	struct emu_timer_ent *e;
	struct timespec ts;
	int64_t now;

	log_thread_name("timer");
	pthread_mutex_lock(&t->lock);
	for (;;) {
		now = emu_now_ms();
		if (t->head != NULL && (t->flush || t->head->due_ms <= now)) {
			e = t->head;
			t->head = e->next;
			pthread_mutex_unlock(&t->lock);
			e->fn(e->arg);
			free(e);
			pthread_mutex_lock(&t->lock);
			continue;
		}
		if (t->flush) {
			t->flush = false;
			pthread_cond_broadcast(&t->cond);
		}
		if (t->stop)
			break;
		if (t->head == NULL)
			pthread_cond_wait(&t->cond, &t->lock);
		else {
			ts.tv_sec = (time_t)(t->head->due_ms / 1000);
			ts.tv_nsec = (long)(t->head->due_ms % 1000) * 1000000L;
			pthread_cond_timedwait(&t->cond, &t->lock, &ts);
		}
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

struct emu_timer *
emu_timer_new(void)
{
	struct emu_timer *t;
	pthread_condattr_t ca;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&t->thread, NULL, emu_timer_main, t) != 0) {
		pthread_cond_destroy(&t->cond);
		pthread_mutex_destroy(&t->lock);
		free(t);
		return NULL;
	}
	return t;
}

int
emu_timer_add(struct emu_timer *t, int64_t due_ms, emu_timer_fn *fn,
    void *arg)
{
	struct emu_timer_ent *e, **pp;

	if ((e = malloc(sizeof(*e))) == NULL)
		return -ENOMEM;
	e->due_ms = due_ms;
	e->fn = fn;
	e->arg = arg;
	pthread_mutex_lock(&t->lock);
	for (pp = &t->head; *pp != NULL && (*pp)->due_ms <= due_ms;
	    pp = &(*pp)->next)
		;
	e->next = *pp;
	*pp = e;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

void
emu_timer_flush(struct emu_timer *t)
{
	pthread_mutex_lock(&t->lock);
	t->flush = true;
	pthread_cond_broadcast(&t->cond);
	while (t->flush)
		pthread_cond_wait(&t->cond, &t->lock);
	pthread_mutex_unlock(&t->lock);
}

void
emu_timer_free(struct emu_timer *t)
{
	if (t == NULL)
		return;
	emu_timer_flush(t);
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
