/*
 * The pacer: the per-category token buckets of pace.c behind a lock, so
 * that two clients on two threads share one throttle budget. The daemon
 * gives its engine's client and its password client one pacer: together
 * they never exceed what the API allows, and the password client is the
 * "priority" one: ordinary clients leave it a reserve (a tenth of each
 * category, at least one token where there are two or more), so a
 * password change finds a token at once even while a big sync has used
 * the rest of the window; and while a priority request waits for a token
 * (`demand`), ordinary clients take none in its categories, so the tokens
 * that come back go to the priority client first. Without sharing, a
 * client makes its own pacer with no reserve, which behaves exactly as
 * the bare buckets did.
 *
 * Locking: `mu` guards the buckets; it is taken for a few comparisons at
 * a time and never held across I/O or a callback. Reference counted: the
 * last client to let go frees it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "target_internal.h"
#include "xmalloc.h"

/* How soon an ordinary client held back by a priority request looks
 * again. */
#define RS_PACER_YIELD_MS 20

struct rs_pacer {
	pthread_mutex_t mu;
	unsigned refs;				/* under mu */
	struct pace_bucket bucket[RS_CAT_COUNT];
	unsigned keep[RS_CAT_COUNT];		/* reserve of priority clients */
	unsigned demand[RS_CAT_COUNT];		/* priority requests queued */
	/* Ordinary takes are spread (one per window/n) where there is a
	 * reserve: see rs_pacer_new. */
	int64_t spacing_ms[RS_CAT_COUNT];	/* 0 = no spreading */
	int64_t next_ordinary[RS_CAT_COUNT];
	/* When the priority client took its last tokens (a ring of n per
	 * category): the reserve grows to what it used in the last window. */
	int64_t *prio_at[RS_CAT_COUNT];
	unsigned prio_next[RS_CAT_COUNT];
};

int
rs_pacer_new(const struct conf_rackspace *conf, bool reserve,
    struct rs_pacer **out)
{
	unsigned lim[RS_CAT_COUNT];
	struct rs_pacer *p;
	int i, r;

	*out = NULL;
	lim[RS_CAT_READ] = conf->reads_per_minute;
	lim[RS_CAT_WRITE] = conf->writes_per_minute;
	lim[RS_CAT_DOMAIN_WRITE] = conf->domain_writes_per_minute;
	p = xcalloc(1, sizeof(*p));
	for (i = 0; i < RS_CAT_COUNT; i++) {
		if ((r = pace_init(&p->bucket[i], lim[i],
		    (int64_t)conf->throttle_window * 1000)) < 0) {
			while (--i >= 0)
				pace_fini(&p->bucket[i]);
			free(p);
			return r;
		}
		if (reserve && !p->bucket[i].unlimited && lim[i] >= 2) {
			p->keep[i] = lim[i] >= 20 ? lim[i] / 10 : 1;
			p->prio_at[i] = xcalloc(lim[i], sizeof(int64_t));
			for (unsigned k = 0; k < lim[i]; k++)
				p->prio_at[i][k] = INT64_MIN;
			/*
			 * A token comes back one window after it was spent,
			 * so tokens an ordinary client spends in a burst come
			 * back in a burst, and a password arriving after the
			 * reserve is gone would wait up to a window (measured:
			 * 9 s p95 with 6 s windows). Spread over the window,
			 * they come back one every window/n: a waiting
			 * password gets the next. The ordinary client still
			 * gets n a window.
			 */
			if (i == RS_CAT_WRITE)	/* what passwords use */
				p->spacing_ms[i] = (int64_t)
				    conf->throttle_window * 1000 / lim[i];
		}
	}
	pthread_mutex_init(&p->mu, NULL);
	p->refs = 1;
	*out = p;
	return 0;
}

struct rs_pacer *
rs_pacer_ref(struct rs_pacer *p)
{
	pthread_mutex_lock(&p->mu);
	p->refs++;
	pthread_mutex_unlock(&p->mu);
	return p;
}

void
rs_pacer_unref(struct rs_pacer *p)
{
	unsigned left;
	int i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	left = --p->refs;
	pthread_mutex_unlock(&p->mu);
	if (left > 0)
		return;
	for (i = 0; i < RS_CAT_COUNT; i++) {
		pace_fini(&p->bucket[i]);
		free(p->prio_at[i]);
	}
	pthread_mutex_destroy(&p->mu);
	free(p);
}

/*
 * The tokens ordinary clients leave free in category `c` (mu held): the
 * fixed reserve, or, when the priority client used more in the last
 * window, that much and one more. A steady stream of password changes
 * then always finds a token, and the engine gets the rest; without
 * passwords the reserve is back to a tenth within a window.
 */
static unsigned
rs_pacer_keep(const struct rs_pacer *p, enum rs_category c, int64_t now)
{
	unsigned k, used = 0, n = p->bucket[c].n;

	if (p->prio_at[c] == NULL)
		return p->keep[c];
	for (k = 0; k < n; k++)
		if (p->prio_at[c][k] > now - p->bucket[c].window_ms)
			used++;
	if (used + 1 > p->keep[c])
		return used + 1 < n ? used + 1 : n - 1;
	return p->keep[c];
}

void
rs_pacer_demand(struct rs_pacer *p, const enum rs_category *cats, int n,
    int delta)
{
	int i;

	pthread_mutex_lock(&p->mu);
	for (i = 0; i < n; i++) {
		if (delta > 0)
			p->demand[cats[i]]++;
		else if (p->demand[cats[i]] > 0)
			p->demand[cats[i]]--;
	}
	pthread_mutex_unlock(&p->mu);
}

int64_t
rs_pacer_ready_at(struct rs_pacer *p, const enum rs_category *cats, int n,
    bool prio, int64_t now)
{
	int64_t t, best = now;
	int i;

	pthread_mutex_lock(&p->mu);
	for (i = 0; i < n; i++) {
		t = pace_ready_at_keep(&p->bucket[cats[i]], now,
		    prio ? 0 : rs_pacer_keep(p, cats[i], now));
		/* Behind a priority request: look again shortly (nothing
		 * wakes an ordinary client when the demand ends). */
		if (!prio && p->demand[cats[i]] > 0 && t < now + RS_PACER_YIELD_MS)
			t = now + RS_PACER_YIELD_MS;
		if (!prio && t < p->next_ordinary[cats[i]])
			t = p->next_ordinary[cats[i]];
		if (t > best)
			best = t;
	}
	pthread_mutex_unlock(&p->mu);
	return best;
}

bool
rs_pacer_take(struct rs_pacer *p, const enum rs_category *cats, int n,
    bool prio, int64_t now, int tokens[2])
{
	bool ok = true;
	int i;

	pthread_mutex_lock(&p->mu);
	/* All or nothing: a domain write needs both of its buckets. */
	for (i = 0; i < n && ok; i++)
		ok = (prio || (p->demand[cats[i]] == 0 &&
		    p->next_ordinary[cats[i]] <= now)) &&
		    pace_ready_at_keep(&p->bucket[cats[i]], now,
		    prio ? 0 : rs_pacer_keep(p, cats[i], now)) <= now;
	for (i = 0; i < n; i++) {
		tokens[i] = ok ? pace_take(&p->bucket[cats[i]], now) : -1;
		if (ok && !prio)
			p->next_ordinary[cats[i]] = now +
			    p->spacing_ms[cats[i]];
		if (ok && prio && p->prio_at[cats[i]] != NULL) {
			p->prio_at[cats[i]][p->prio_next[cats[i]]] = now;
			p->prio_next[cats[i]] = (p->prio_next[cats[i]] + 1) %
			    p->bucket[cats[i]].n;
		}
	}
	pthread_mutex_unlock(&p->mu);
	return ok;
}

void
rs_pacer_release(struct rs_pacer *p, const enum rs_category *cats, int n,
    int tokens[2], int64_t now)
{
	int i;

	pthread_mutex_lock(&p->mu);
	for (i = 0; i < n; i++) {
		pace_release(&p->bucket[cats[i]], tokens[i], now);
		tokens[i] = -1;
	}
	pthread_mutex_unlock(&p->mu);
}

void
rs_pacer_refund(struct rs_pacer *p, const enum rs_category *cats, int n,
    int tokens[2])
{
	int i;

	pthread_mutex_lock(&p->mu);
	for (i = 0; i < n; i++) {
		pace_refund(&p->bucket[cats[i]], tokens[i]);
		tokens[i] = -1;
	}
	pthread_mutex_unlock(&p->mu);
}

unsigned
rs_pacer_answer(struct rs_pacer *p, const enum rs_category *cats, int n,
    bool throttled, bool answered, int64_t now)
{
	unsigned streak = 0;
	int i;

	pthread_mutex_lock(&p->mu);
	for (i = 0; i < n; i++) {
		if (throttled)
			pace_throttled(&p->bucket[cats[i]], now);
		else if (answered)
			pace_unthrottled(&p->bucket[cats[i]]);
	}
	if (n > 0)
		streak = p->bucket[cats[0]].streak;
	pthread_mutex_unlock(&p->mu);
	return streak;
}

void
rs_pacer_hold_writes(struct rs_pacer *p, int delta)
{
	enum rs_category w = RS_CAT_WRITE;

	if (p != NULL)
		rs_pacer_demand(p, &w, 1, delta);
}
