/*
 * Pacing and backoff arithmetic for the API client. Pure apart from
 * pace_backoff(), which draws jitter from libsodium; every function takes
 * the current time as an argument (ms of a monotonic clock) so that the
 * unit tests can drive it. Runs on the client's owning thread.
 *
 * Why tokens come back one window after an attempt *finished* (not when it
 * started): the server counts a call when it arrives, which is somewhere
 * between our send and its answer. Counting from the answer means two calls
 * that share a token are always at least one window apart at the server,
 * even when the first one was slow (a TLS handshake) and the second fast.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "target_internal.h"

int
pace_init(struct pace_bucket *b, unsigned n, int64_t window_ms)
{
	unsigned i;

	if (n == 0 || window_ms <= 0)
		return -EINVAL;
	b->window_ms = window_ms;
	b->blocked_until = INT64_MIN;
	b->streak = 0;
	if (n > PACE_MAX_TOKENS) {
		/* More tokens than we track one by one: no pacing. */
		b->ret = NULL;
		b->n = 0;
		b->unlimited = true;
		return 0;
	}
	b->unlimited = false;
	b->ret = calloc(n, sizeof(*b->ret));
	if (b->ret == NULL)
		return -ENOMEM;
	/* Every token is free from the start of time. */
	for (i = 0; i < n; i++)
		b->ret[i] = INT64_MIN;
	b->n = n;
	b->window_ms = window_ms;
	b->blocked_until = INT64_MIN;
	b->streak = 0;
	return 0;
}

void
pace_fini(struct pace_bucket *b)
{
	free(b->ret);
	b->ret = NULL;
	b->n = 0;
}

int64_t
pace_ready_at(const struct pace_bucket *b, int64_t now)
{
	int64_t best = b->unlimited ? now : PACE_IN_USE;
	unsigned i;

	for (i = 0; i < b->n; i++)
		if (b->ret[i] < best)
			best = b->ret[i];
	if (best == PACE_IN_USE)
		return PACE_IN_USE;
	if (best < now)
		best = now;
	if (b->blocked_until > best)
		best = b->blocked_until;
	return best;
}

static int
pace_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int64_t
pace_ready_at_keep(const struct pace_bucket *b, int64_t now, unsigned keep)
{
	int64_t *v, t;

	if (keep == 0 || b->unlimited)
		return pace_ready_at(b, now);
	if (keep >= b->n)
		return PACE_IN_USE;
	/* When keep+1 tokens are free: the (keep+1)-th earliest return time.
	 * n is a per-minute limit and this runs only for a client sharing
	 * its budget with a priority one (rs_pacer.c), so a sorted copy is
	 * cheap enough. */
	v = malloc(b->n * sizeof(*v));
	if (v == NULL)
		return pace_ready_at(b, now) == PACE_IN_USE ? PACE_IN_USE :
		    now + b->window_ms;
	memcpy(v, b->ret, b->n * sizeof(*v));
	qsort(v, b->n, sizeof(*v), pace_cmp);
	t = v[keep];
	free(v);
	if (t == PACE_IN_USE)
		return PACE_IN_USE;
	if (t < now)
		t = now;
	if (b->blocked_until > t)
		t = b->blocked_until;
	return t;
}

int
pace_take(struct pace_bucket *b, int64_t now)
{
	unsigned i;

	if (b->blocked_until > now)
		return -1;
	if (b->unlimited)
		return 0;	/* release and refund ignore it (n is 0) */
	for (i = 0; i < b->n; i++) {
		/* A token returned at exactly `now` is usable: the window
		 * is half-open, [spent, spent + window). */
		if (b->ret[i] <= now) {
			b->ret[i] = PACE_IN_USE;
			return (int)i;
		}
	}
	return -1;
}

void
pace_release(struct pace_bucket *b, int token, int64_t now)
{
	if (token < 0 || (unsigned)token >= b->n)
		return;
	b->ret[token] = now > INT64_MAX - b->window_ms ? INT64_MAX - 1 :
	    now + b->window_ms;
}

void
pace_refund(struct pace_bucket *b, int token)
{
	if (token < 0 || (unsigned)token >= b->n)
		return;
	b->ret[token] = INT64_MIN;
}

void
pace_backoff_bounds(int64_t base_ms, int64_t cap_ms, unsigned attempt,
    int64_t *lo, int64_t *hi)
{
	int64_t d = base_ms;
	unsigned i;

	if (d < 1)
		d = 1;
	if (cap_ms < d)
		cap_ms = d;
	/* Doubling stops at the cap, so there is no overflow however large
	 * `attempt` is. */
	for (i = 0; i < attempt && d < cap_ms; i++)
		d = d > cap_ms / 2 ? cap_ms : d * 2;
	if (d > cap_ms)
		d = cap_ms;
	*hi = d;
	*lo = d / 2;
}

int64_t
pace_backoff(int64_t base_ms, int64_t cap_ms, unsigned attempt)
{
	int64_t lo, hi, span;

	pace_backoff_bounds(base_ms, cap_ms, attempt, &lo, &hi);
	span = hi - lo + 1;
	if (span > (int64_t)UINT32_MAX)
		span = UINT32_MAX;
	/* SECURITY: jitter from the system CSPRNG (libsodium), never rand():
	 * clients that back off in step would hit the limit together. */
	return lo + (int64_t)randombytes_uniform((uint32_t)span);
}

void
pace_throttled(struct pace_bucket *b, int64_t now)
{
	int64_t base = b->window_ms / 4, until;

	/*
	 * Throttled calls count against the limit too (rackspace-api.md §3.1),
	 * so hammering keeps the key throttled: the whole category waits, with
	 * a delay that doubles per consecutive throttled answer from a quarter
	 * window and stays below two windows (by then a fixed server window
	 * has surely passed): at most four refused calls per exhausted window.
	 */
	if (base < 250)
		base = 250;
	until = now + pace_backoff(base, 2 * b->window_ms, b->streak);
	if (b->streak < 32)
		b->streak++;
	if (until > b->blocked_until)
		b->blocked_until = until;
}

void
pace_unthrottled(struct pace_bucket *b)
{
	b->streak = 0;
}
