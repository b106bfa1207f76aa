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

int
plan_guard_apply(struct plan_ctx *ctx)
{
	const struct conf_sync *conf = ctx->conf;
	struct plan *p = ctx->p;
	size_t ndisable = 0, ndelete = 0, total, i, j;
	size_t synced = p->counts.synced;

	if (ctx->opts->allow_deletes)
		return 0;
	for (i = 0; i < p->nops; i++) {
		if (!p->ops[i].removal)
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
		if (p->ops[i].removal)
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
	    "`adsync plan` and apply with `adsync sync --once "
	    "--allow-deletes`", ndisable, ndisable == 1 ? "" : "es", ndelete,
	    conf->max_deletes,
	    conf->max_delete_percent, synced);
	return ctx->err;
}
