/*
 * The safety valves (docs/plan.md rules 8-9, docs/style.md §13 "a plan
 * whose deletes or disables exceed a configured count or percentage is
 * not executed without approval"): a directory read that shows nothing in
 * scope is refused outright, and removals above [sync] max_deletes or
 * max_delete_percent are held back (kept in the plan for review, never
 * applied) unless the run was started with --allow-deletes. Pure; the
 * build's thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "plan_internal.h"

/*
 * A sync group that suddenly has no members is far more often a broken
 * read (a wrong base_dn, a bind account that lost the right to read
 * `member`, a group recreated under the same name) than a decision to
 * take mail away from everyone. So it is not a plan at all: the run
 * fails and says what to check. To stop syncing a service on purpose,
 * empty its group key: that leaves the service alone.
 */
int
plan_guard_empty(struct plan_ctx *ctx)
{
	size_t members = 0, s;

	for (s = 0; s < PLAN_SVC_COUNT; s++)
		members += ctx->nmembers[s];
	if (members > 0 || ctx->p->counts.synced == 0)
		return 0;
	snprintf(ctx->why, ctx->whylen, "the directory read returned nothing "
	    "in scope (no members in %s%s%s%s%s) while %zu objects are synced; "
	    "refusing to disable them all: check base_dn, the groups and the "
	    "bind account's rights",
	    ctx->group_dn[PLAN_SVC_EX] != NULL ? "the Exchange group " : "",
	    ctx->group_dn[PLAN_SVC_EX] != NULL ? ctx->group_dn[PLAN_SVC_EX] :
	    "",
	    ctx->group_dn[PLAN_SVC_EX] != NULL &&
	    ctx->group_dn[PLAN_SVC_RS] != NULL ? " nor " : "",
	    ctx->group_dn[PLAN_SVC_RS] != NULL ? "the Rackspace Email group " :
	    "",
	    ctx->group_dn[PLAN_SVC_RS] != NULL ? ctx->group_dn[PLAN_SVC_RS] :
	    "", ctx->p->counts.synced);
	return -ADSYNC_EPROTO;
}

/* Whether removal `op` is one of `keys`. */
static bool
plan_guard_in(const struct plan_op *op, const struct plan_opkey *keys,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (keys[i].service == op->service && keys[i].op == op->op &&
		    obj_guid_equal(&keys[i].anchor, &op->anchor))
			return true;
	return false;
}

/*
 * Removals the administrator rejected leave the plan while they stay the
 * same removal; each is a warning, so the difference between AD and the
 * service stays in sight. The plan keeps the keys it saw: the engine
 * forgets the rejections no plan makes any more.
 */
static int
plan_guard_rejected(struct plan_ctx *ctx)
{
	const struct plan_opts *o = ctx->opts;
	struct plan *p = ctx->p;
	struct plan_op *op;
	size_t i, j;

	if (o->nrejected == 0)
		return 0;
	for (i = 0, j = 0; i < p->nops; i++) {
		op = &p->ops[i];
		if (!op->removal || !plan_guard_in(op, o->rejected,
		    o->nrejected)) {
			p->ops[j++] = *op;
			continue;
		}
		p->rejected_seen = reallocarray(p->rejected_seen,
		    p->nrejected_seen + 1, sizeof(*p->rejected_seen));
		if (p->rejected_seen == NULL)
			return -ENOMEM;
		p->rejected_seen[p->nrejected_seen].anchor = op->anchor;
		p->rejected_seen[p->nrejected_seen].service = op->service;
		p->rejected_seen[p->nrejected_seen].op = op->op;
		p->nrejected_seen++;
		plan_alert(ctx, PLAN_ALERT_WARNING, op->service, &op->anchor,
		    op->dn != NULL ? op->dn : "", "Not performed: action '%s' "
		    "for %s@%s (%s) was rejected by the administrator "
		    "(`adsync reject`); it stays as it is in the service. Put "
		    "the object back in scope in AD, or approve a later held "
		    "run", plan_opkind_name(op->op), op->name, op->domain,
		    op->dn != NULL ? op->dn : "");
		plan_op_fini(op);
	}
	p->nops = j;
	return ctx->err;
}

int
plan_guard_apply(struct plan_ctx *ctx)
{
	const struct conf_sync *conf = ctx->conf;
	const struct plan_opts *o = ctx->opts;
	struct plan *p = ctx->p;
	size_t ndisable = 0, ndelete = 0, total, i, j;
	size_t synced = p->counts.synced;
	int r;

	if ((r = plan_guard_rejected(ctx)) < 0)
		return r;
	if (ctx->opts->allow_deletes)
		return 0;
	for (i = 0; i < p->nops; i++) {
		/* Approved removals pass and do not count. */
		if (!p->ops[i].removal || plan_guard_in(&p->ops[i],
		    o->approved, o->napproved))
			continue;
		if (p->ops[i].op == PLAN_OP_DISABLE)
			ndisable++;
		else
			ndelete++;
	}
	total = ndisable + ndelete;
	if (total == 0 || (total <= conf->max_deletes &&
	    (synced == 0 || total * 100 <=
	    (size_t)conf->max_delete_percent * synced)))
		return 0;
	if ((ctx->held = reallocarray(NULL, total, sizeof(*ctx->held))) ==
	    NULL)
		return -ENOMEM;
	for (i = 0, j = 0; i < p->nops; i++) {
		if (p->ops[i].removal && !plan_guard_in(&p->ops[i],
		    o->approved, o->napproved))
			ctx->held[ctx->nheld++] = p->ops[i];
		else
			p->ops[j++] = p->ops[i];
	}
	p->nops = j;
	p->held = true;
	plan_alert(ctx, PLAN_ALERT_HELD, PLAN_SVC_COUNT, NULL, "",
	    "Held: this run would disable %zu mailbox%s and delete %zu "
	    "contacts and lists, above the limit (max_deletes = %u, "
	    "max_delete_percent = %u%% of %zu synced objects); review with "
	    "`adsync plan`, then `adsync approve RUN` or `adsync reject RUN` "
	    "(RUN from `adsync history`), or `adsync sync --once "
	    "--allow-deletes` when no daemon runs", ndisable, ndisable == 1 ? "" : "es", ndelete,
	    conf->max_deletes,
	    conf->max_delete_percent, synced);
	return ctx->err;
}
