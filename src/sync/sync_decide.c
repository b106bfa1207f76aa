/*
 * The administrator's decisions on removals the guard held back (docs/
 * sync.md "Held runs"): before planning, the rejected removals and, for
 * `adsync approve RUN`, that run's held removals become the plan's
 * decision sets; after planning, the newly held removals are recorded
 * (superseding older waiting ones: only the newest held run can be
 * approved) and rejections no plan makes any more are forgotten. Engine
 * thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "log.h"
#include "sync_internal.h"
#include "xmalloc.h"

static int
sync_decide_collect(const struct store_op *op, void *arg)
{
	struct sync_keys *k = arg;

	k->v = xreallocarray(k->v, k->n + 1, sizeof(*k->v));
	k->ids = xreallocarray(k->ids, k->n + 1, sizeof(*k->ids));
	k->v[k->n].anchor = op->anchor;
	k->v[k->n].service = op->service;
	k->v[k->n].op = op->op;
	k->ids[k->n] = op->id;
	k->n++;
	return 0;
}

void
sync_decide_fini(struct sync_decisions *d)
{
	free(d->approved.v);
	free(d->approved.ids);
	free(d->rejected.v);
	free(d->rejected.ids);
	memset(d, 0, sizeof(*d));
}

int
sync_decide_load(struct sync_engine *e, int64_t approve_run,
    struct sync_decisions *d, char *why, size_t whylen)
{
	size_t n = 0;
	int r;

	memset(d, 0, sizeof(*d));
	if ((r = store_held_each_in(e->st, STORE_OP_REJECTED,
	    sync_decide_collect, &d->rejected)) < 0) {
		snprintf(why, whylen, "cannot read the rejected removals: %s",
		    store_errmsg(e->st));
		return r;
	}
	if (approve_run == 0)
		return 0;
	if ((r = store_held_decide(e->st, approve_run, STORE_OP_HELD,
	    STORE_OP_APPROVED, (int64_t)time(NULL), &n)) < 0) {
		snprintf(why, whylen, "cannot approve run %lld: %s",
		    (long long)approve_run, store_errmsg(e->st));
		return r;
	}
	if (n == 0) {
		snprintf(why, whylen, "run %lld has no removals waiting for "
		    "approval (decided already, or superseded by a later held "
		    "run: see `adsync history`)", (long long)approve_run);
		return -ADSYNC_ENOTFOUND;
	}
	if ((r = store_held_each_of_run(e->st, approve_run,
	    sync_decide_collect, &d->approved)) < 0) {
		snprintf(why, whylen, "cannot read run %lld's held removals: "
		    "%s", (long long)approve_run, store_errmsg(e->st));
		return r;
	}
	log_info("approved: the %zu removals held in run %lld may go through "
	    "this cycle", n, (long long)approve_run);
	return 0;
}

void
sync_decide_opts(const struct sync_decisions *d, struct plan_opts *po)
{
	po->approved = d->approved.v;
	po->napproved = d->approved.n;
	po->rejected = d->rejected.v;
	po->nrejected = d->rejected.n;
}

static bool
sync_decide_seen(const struct plan *p, const struct plan_opkey *k)
{
	size_t i;

	for (i = 0; i < p->nrejected_seen; i++)
		if (p->rejected_seen[i].service == k->service &&
		    p->rejected_seen[i].op == k->op &&
		    obj_guid_equal(&p->rejected_seen[i].anchor, &k->anchor))
			return true;
	return false;
}

int
sync_decide_record(struct sync_engine *e, int64_t run_id,
    const struct plan *p, const struct sync_decisions *d, char *why,
    size_t whylen)
{
	int64_t now = (int64_t)time(NULL);
	size_t i;
	int r;

	if ((r = store_begin(e->st)) < 0)
		goto fail;
	for (i = 0; i < p->nheld; i++)
		if ((r = store_held_put(e->st, run_id, &p->held_ops[i],
		    now)) < 0)
			goto rollback;
	if (p->nheld > 0 && (r = store_held_supersede(e->st, run_id,
	    now)) < 0)
		goto rollback;
	/* A rejection this plan did not need any more is over: the object
	 * came back in scope, or the removal changed. */
	for (i = 0; i < d->rejected.n; i++)
		if (!sync_decide_seen(p, &d->rejected.v[i]) &&
		    (r = store_held_set(e->st, d->rejected.ids[i],
		    STORE_OP_SUPERSEDED, now)) < 0)
			goto rollback;
	if ((r = store_commit(e->st)) < 0)
		goto fail;
	return 0;
rollback:
	store_rollback(e->st);
fail:
	snprintf(why, whylen, "cannot record the held removals: %s",
	    store_errmsg(e->st));
	return r;
}

int
sync_engine_reject(struct sync_engine *e, int64_t run_id, size_t *n,
    char *why, size_t whylen)
{
	int r;

	*n = 0;
	if ((r = store_held_decide(e->st, run_id, STORE_OP_HELD,
	    STORE_OP_REJECTED, (int64_t)time(NULL), n)) < 0) {
		snprintf(why, whylen, "cannot reject run %lld: %s",
		    (long long)run_id, store_errmsg(e->st));
		return r;
	}
	if (*n == 0) {
		snprintf(why, whylen, "run %lld has no removals waiting for a "
		    "decision (decided already, or superseded by a later held "
		    "run: see `adsync history`)", (long long)run_id);
		return -ADSYNC_ENOTFOUND;
	}
	log_info("rejected: the %zu removals held in run %lld stay out of "
	    "the plans while they stay the same", *n, (long long)run_id);
	return 0;
}
