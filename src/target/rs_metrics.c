/*
 * Process-wide API counters (target.h, "Process-wide API counters"): what
 * every rs_client of the process sent and what came back, for the daemon's
 * metrics. rs_client.c adds to them where it updates its own per-client
 * stats; the daemon's loop thread reads them with rs_metrics_snapshot().
 *
 * Threads: any. The counters are C11 atomics with relaxed ordering: no
 * counter is derived from another, so none needs to be ordered against the
 * others, and an increment costs one uncontended atomic add (a few
 * nanoseconds against a request's milliseconds). Trust: the numbers come
 * from our own client; a status out of range is not counted rather than
 * trusted as an index.
 */
#include <stdatomic.h>
#include <stdint.h>

#include "target.h"

static atomic_ulong rs_metrics_answers[RS_METRICS_STATUS_MAX];
static atomic_ulong rs_metrics_sent[RS_CAT_COUNT];
static atomic_ulong rs_metrics_nthrottled;
static atomic_ulong rs_metrics_nretried;
static atomic_ulong rs_metrics_waited_ms;
static atomic_ulong rs_metrics_waits;

void
rs_metrics_snapshot(struct rs_metrics *out)
{
	size_t i;

	for (i = 0; i < RS_METRICS_STATUS_MAX; i++)
		out->answers[i] = atomic_load_explicit(&rs_metrics_answers[i],
		    memory_order_relaxed);
	for (i = 0; i < RS_CAT_COUNT; i++)
		out->sent[i] = atomic_load_explicit(&rs_metrics_sent[i],
		    memory_order_relaxed);
	out->throttled = atomic_load_explicit(&rs_metrics_nthrottled,
	    memory_order_relaxed);
	out->retried = atomic_load_explicit(&rs_metrics_nretried,
	    memory_order_relaxed);
	out->waited_ms = atomic_load_explicit(&rs_metrics_waited_ms,
	    memory_order_relaxed);
	out->waits = atomic_load_explicit(&rs_metrics_waits,
	    memory_order_relaxed);
}

void
rs_metrics_attempt(enum rs_category cat, int64_t waited_ms)
{
	if ((int)cat >= 0 && cat < RS_CAT_COUNT)
		atomic_fetch_add_explicit(&rs_metrics_sent[cat], 1,
		    memory_order_relaxed);
	/* A clock step backwards cannot make a negative wait. */
	atomic_fetch_add_explicit(&rs_metrics_waited_ms, waited_ms > 0 ?
	    (unsigned long)waited_ms : 0, memory_order_relaxed);
	atomic_fetch_add_explicit(&rs_metrics_waits, 1, memory_order_relaxed);
}

void
rs_metrics_answer(long status)
{
	if (status >= 0 && status < RS_METRICS_STATUS_MAX)
		atomic_fetch_add_explicit(&rs_metrics_answers[status], 1,
		    memory_order_relaxed);
}

void
rs_metrics_throttled(void)
{
	atomic_fetch_add_explicit(&rs_metrics_nthrottled, 1,
	    memory_order_relaxed);
}

void
rs_metrics_retried(void)
{
	atomic_fetch_add_explicit(&rs_metrics_nretried, 1,
	    memory_order_relaxed);
}
