/*
 * The bulk pipeline of apply: the engine thread journals a batch's ops in
 * chunks while a pusher thread sends the single-request writes already
 * journaled (mailboxes, contacts, list creates and member adds), and the
 * engine records their outcomes as the answers come back. SQLite never
 * waits for the network and the network never idles while SQLite works:
 * the serial journal -> send -> record of a whole batch left the
 * connections idle for a third of an initial sync (docs/sync.md).
 *
 * Threads and ownership: for the life of sync_bulk_run() the pusher thread
 * owns e->rs (it starts after the engine thread last touched the client
 * and is joined before the engine thread touches it again); the engine
 * thread owns the store and the report. They share struct sync_bulk under
 * its mutex: `journaled`/`closed` (engine -> pusher) and the answered
 * slots (pusher -> engine). A slot is the pusher's from the moment it is
 * journaled until its index is handed over, then the engine's.
 *
 * Crash safety is the serial path's: an op is sent only after the commit
 * that journals it, and its outcome is committed after its answer, so a
 * crash leaves pending rows that sync_recover.c reconciles.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "sync_internal.h"
#include "timing.h"
#include "xmalloc.h"

/* Ops journaled per commit: the first chunk small so that the sends start
 * at once, then doubling up to the maximum, as each journal commit is
 * durable (an fsync). */
#define SYNC_BULK_CHUNK_FIRST 64
#define SYNC_BULK_CHUNK_MAX 2048
/* Answers recorded per commit (fewer only when fewer are outstanding, or
 * when the oldest has waited SYNC_BULK_RECORD_MS): a commit and a thread
 * wake-up per answer cost more than the answer. */
#define SYNC_BULK_RECORD 1024
#define SYNC_BULK_RECORD_MS 250

/* Ops the engine thread journals or records between two yields to the
 * pusher: a few tens of microseconds of SQLite. */
#define SYNC_BULK_YIELD_EVERY 16

struct sync_bulk {
	pthread_mutex_t mu;
	pthread_cond_t to_engine;	/* answers handed over, or ended */
	pthread_cond_t to_pusher;	/* more journaled, or closed */
	struct sync_engine *e;
	struct sync_slot *v;		/* borrowed: the batch */
	long long run_id;		/* for the pusher's log lines */
	/* Under mu. */
	size_t journaled;	/* v[0..journaled) are journaled (engine) */
	bool closed;		/* nothing more will be journaled (engine) */
	size_t *done;		/* answered, not handed over yet (pusher) */
	size_t ndone;
	size_t want;		/* wake the engine at this many (engine) */
	bool ended;		/* the pusher has finished (pusher) */
	int rc;			/* the client's failure, or 0 (pusher) */
};

void
sync_bulk_done(struct sync_slot *sl)
{
	struct sync_bulk *b = sl->bulk;

	pthread_mutex_lock(&b->mu);
	b->done[b->ndone++] = (size_t)(sl - b->v);
	if (b->ndone >= b->want)
		pthread_cond_signal(&b->to_engine);
	pthread_mutex_unlock(&b->mu);
}

/*
 * When the engine and pusher threads share a core (a small VM, or CPU
 * limits), the scheduler lets the engine finish its time slice of SQLite
 * work (milliseconds) before it runs the pusher woken by an answer; in the
 * meantime every connection drains and the service idles. Yielding every
 * few ops hands the core over at once: the initial sync's apply went from
 * 79% to 88% of the service's raw capacity (bench/sync.sh, one client
 * core). With a core each, sched_yield() returns at once.
 */
void
sync_bulk_yield(const struct sync_engine *e, size_t i)
{
	if (e->pushing && i % SYNC_BULK_YIELD_EVERY ==
	    SYNC_BULK_YIELD_EVERY - 1)
		(void)sched_yield();
}

/* Sends what is journaled, runs the client, until the engine closes and
 * nothing is in flight. */
static void *
sync_bulk_pusher(void *arg)
{
	struct sync_bulk *b = arg;
	struct rs_client *rs = b->e->rs;
	struct sync_slot *sl;
	size_t sent = 0, upto;
	bool closed;
	int r = 0;

	log_thread_name("pusher");
	log_ctx_set("run=%lld", b->run_id);
	for (;;) {
		pthread_mutex_lock(&b->mu);
		while (rs_client_pending(rs) == 0 && sent == b->journaled &&
		    !b->closed)
			pthread_cond_wait(&b->to_pusher, &b->mu);
		upto = b->journaled;
		closed = b->closed;
		pthread_mutex_unlock(&b->mu);
		for (; sent < upto; sent++) {
			sl = &b->v[sent];
			if (sl->skipped || !sync_apply_bulkable(sl->op))
				continue;
			sl->bulk = b;
			if (!sync_apply_submit(b->e, sl))
				sync_bulk_done(sl);
		}
		if (rs_client_pending(rs) == 0) {
			if (closed)
				break;
			continue;
		}
		/* Stopping: what is not sent yet never will be (its op is
		 * recorded as failed, and planned again by the next cycle). */
		if (sync_stopping(b->e))
			rs_client_cancel_queued(rs);
		/* Returns early on an answer or rs_client_wakeup(). */
		if ((r = rs_client_run(rs, 1000)) < 0)
			break;
	}
	pthread_mutex_lock(&b->mu);
	b->rc = r < 0 ? r : 0;
	b->ended = true;
	pthread_cond_signal(&b->to_engine);
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

/* Tells the pusher that v[0..journaled) may go, and whether more will. */
static void
sync_bulk_publish(struct sync_bulk *b, size_t journaled, bool closed)
{
	pthread_mutex_lock(&b->mu);
	b->journaled = journaled;
	b->closed = closed;
	pthread_cond_signal(&b->to_pusher);
	pthread_mutex_unlock(&b->mu);
	/* The pusher may be waiting in the client's poll, not on the cond. */
	rs_client_wakeup(b->e->rs);
}

/* Records the answered slots idx[0..n), except the creates whose reply
 * was lost and the member adds refused whole: settling them (a lookup, a
 * re-read of the list) is the caller's, after the pipeline. */
static int
sync_bulk_record(struct sync_bulk *b, size_t *idx, size_t n,
    struct sync_report *rep, struct sync_apply_failed *failed)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (sync_apply_settle_later(&b->v[idx[i]]))
			continue;
		idx[k++] = idx[i];
	}
	return k == 0 ? 0 : sync_apply_outcomes(b->e, b->v, idx, k, rep,
	    failed);
}

int
sync_bulk_run(struct sync_engine *e, struct sync_slot *v, size_t n,
    struct sync_report *rep, struct sync_apply_failed *failed)
{
	struct sync_bulk b;
	struct timespec dl;
	pthread_condattr_t ca;
	pthread_t th;
	size_t *taken, ntaken, jl = 0, m, open = 0, i;
	size_t chunk = SYNC_BULK_CHUNK_FIRST;
	bool closed = false, ended = false;
	int r = 0, err;

	memset(&b, 0, sizeof(b));
	b.e = e;
	b.v = v;
	b.run_id = (long long)rep->run_id;
	b.done = xcalloc(n, sizeof(*b.done));
	taken = xcalloc(n, sizeof(*taken));
	pthread_mutex_init(&b.mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b.to_engine, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&b.to_pusher, NULL);
	if ((err = pthread_create(&th, NULL, sync_bulk_pusher, &b)) != 0) {
		snprintf(rep->why, sizeof(rep->why), "cannot start the API "
		    "pusher thread: %s", adsync_strerror(-err));
		r = -err;
		goto out;
	}
	e->pushing = true;
	while (!ended) {
		if (!closed && sync_stopping(e)) {
			/* Journal no more: what is journaled goes out (or is
			 * cancelled by the pusher) and is recorded. */
			closed = true;
			sync_bulk_publish(&b, jl, closed);
		}
		/* Journal the whole batch ahead, chunk by chunk: what a
		 * crash leaves to recover is bounded by the batch's size. */
		if (!closed) {
			m = n - jl < chunk ? n - jl : chunk;
			if (chunk < SYNC_BULK_CHUNK_MAX)
				chunk *= 2;
			if ((r = sync_apply_journal(e, v + jl, m, rep)) == 0) {
				for (i = jl; i < jl + m; i++)
					if (!v[i].skipped &&
					    sync_apply_bulkable(v[i].op))
						open++;
				jl += m;
			}
			closed = r < 0 || jl == n;
			sync_bulk_publish(&b, jl, closed);
			continue;
		}
		pthread_mutex_lock(&b.mu);
		b.want = open < SYNC_BULK_RECORD ? open : SYNC_BULK_RECORD;
		if (b.want == 0)
			b.want = 1;
		/* A group of answers per commit, but never older than
		 * SYNC_BULK_RECORD_MS: against the real API (30 writes a
		 * minute) a group takes minutes to fill, and a crash would
		 * throw away every answer not yet recorded. */
		dl = timing_deadline(SYNC_BULK_RECORD_MS);
		while (b.ndone < b.want && !b.ended)
			if (pthread_cond_timedwait(&b.to_engine, &b.mu,
			    &dl) == ETIMEDOUT && b.ndone > 0)
				break;
		ntaken = b.ndone;
		memcpy(taken, b.done, ntaken * sizeof(*taken));
		b.ndone = 0;
		ended = b.ended;
		pthread_mutex_unlock(&b.mu);
		open -= ntaken;
		if (r == 0 && (r = sync_bulk_record(&b, taken, ntaken, rep,
		    failed)) < 0 && !closed) {
			/* The store failed: send nothing more. */
			closed = true;
			sync_bulk_publish(&b, jl, closed);
		}
	}
	pthread_join(th, NULL);
	e->pushing = false;
	if (r == 0 && b.rc < 0) {
		r = b.rc;
		snprintf(rep->why, sizeof(rep->why), "the HTTP client failed: "
		    "%s", adsync_strerror(r));
	}
out:
	pthread_cond_destroy(&b.to_pusher);
	pthread_cond_destroy(&b.to_engine);
	pthread_mutex_destroy(&b.mu);
	for (i = 0; i < n; i++)
		v[i].bulk = NULL;
	free(taken);
	free(b.done);
	return r;
}
