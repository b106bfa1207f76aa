/*
 * Scope (docs/plan.md rules 1-3): the configured security groups and
 * their DIRECT members, and what each member becomes in each service.
 * The seed: "Directory Sync creates and manages mailboxes for all user
 * objects that you add to the security groups"; nested groups become
 * Exchange distribution lists, never mailboxes for their members
 * (rackspace-api.md §9.3, §9.5); contacts and lists exist in Hosted
 * Exchange only (§9.5, §9.6). Pure; the build's thread; group membership
 * comes from AD through the source.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "plan_internal.h"

static const char *
plan_scope_key(enum plan_service s)
{
	return s == PLAN_SVC_EX ? "exchange_group" : "rackspace_email_group";
}

/* The configured group of `s`, or -ADSYNC_ECONFIG naming key, DN, fix. */
static int
plan_scope_group(struct plan_ctx *ctx, enum plan_service s,
    struct plan_ent **out)
{
	const char *dn = ctx->group_dn[s];
	struct obj_guid g;
	struct plan_ent *e;
	int r;

	r = ctx->src->find_dn(ctx->src->arg, dn, &g);
	if (r == -ADSYNC_ENOTFOUND)
		goto missing;
	if (r < 0) {
		snprintf(ctx->why, ctx->whylen, "looking up [sync] %s (%s) "
		    "failed: %s", plan_scope_key(s), dn, adsync_strerror(r));
		return r;
	}
	if ((e = plan_ent_add(ctx, &g)) == NULL)
		return -ENOMEM;
	/* Its member list is walked while members are fetched and let go. */
	e->pinned = true;
	if ((r = plan_ent_fetch(ctx, e)) < 0)
		return r;
	if (e->gone)
		goto missing;
	if (e->kind != OBJ_GROUP) {
		snprintf(ctx->why, ctx->whylen, "[sync] %s = %s is a %s, not "
		    "a group; set it to the DN of the security group whose "
		    "members get %s mailboxes", plan_scope_key(s), dn,
		    obj_kind_name(e->kind), plan_service_title(s));
		return -ADSYNC_ECONFIG;
	}
	*out = e;
	return 0;
missing:
	snprintf(ctx->why, ctx->whylen, "[sync] %s = %s is not in the "
	    "directory (no object has that DN under [ad] base_dn); set it to "
	    "the group's distinguishedName as `adsync ad dump` shows it, or "
	    "empty it to stop syncing %s", plan_scope_key(s), dn,
	    plan_service_title(s));
	return -ADSYNC_ECONFIG;
}

static int
plan_scope_member_add(struct plan_ctx *ctx, enum plan_service s,
    struct plan_ent *m)
{
	struct plan_ent **nv;
	size_t ncap;

	if (m->member_of & (1u << s))
		return 0;	/* listed twice (two DN spellings) */
	if (ctx->nmembers[s] == ctx->capmembers[s]) {
		ncap = ctx->capmembers[s] ? ctx->capmembers[s] * 2 : 64;
		nv = reallocarray(ctx->members[s], ncap, sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		ctx->members[s] = nv;
		ctx->capmembers[s] = ncap;
	}
	ctx->members[s][ctx->nmembers[s]++] = m;
	m->member_of |= 1u << s;
	return 0;
}

/*
 * Resolves a member reference to its entity: by GUID when the source gave
 * one, else by DN. A member that is not in the directory (a reference
 * left behind, or deleted since) is skipped: it is in no scope. *out is
 * NULL then.
 */
static int
plan_scope_ref(struct plan_ctx *ctx, const struct obj_ref *ref,
    struct plan_ent **out)
{
	struct obj_guid g = ref->guid;
	struct plan_ent *m;
	int r;

	*out = NULL;
	if (obj_guid_is_zero(&g)) {
		r = ctx->src->find_dn(ctx->src->arg, ref->dn, &g);
		if (r == -ADSYNC_ENOTFOUND)
			return 0;
		if (r < 0) {
			snprintf(ctx->why, ctx->whylen, "looking up the member "
			    "%s failed: %s", ref->dn, adsync_strerror(r));
			return r;
		}
	}
	/* A focused plan reads only its own objects (and no nested
	 * group). */
	if (!plan_in_focus(ctx, &g))
		return 0;
	if ((m = plan_ent_add(ctx, &g)) == NULL)
		return -ENOMEM;
	if ((r = plan_ent_fetch(ctx, m)) < 0)
		return r;
	if (!m->gone)
		*out = m;
	return 0;
}

/*
 * A member that is not a user, contact or group (a computer, a trusted
 * domain's foreignSecurityPrincipal: the mirror has them as objects of no
 * kind, docs/ldap.md) is named once per group (rule 2) and is not a
 * member: it never becomes a candidate, and it does not count as scope
 * for the empty-directory guard (rule 9), as before it was read at all.
 */
static void
plan_scope_other(struct plan_ctx *ctx, enum plan_service s,
    struct plan_ent *m)
{
	const char *dn;

	if (m->member_of & (1u << s))
		return;		/* listed twice (two DN spellings) */
	m->member_of |= 1u << s;
	dn = plan_ent_dn(ctx, m, "");
	plan_alert(ctx, PLAN_ALERT_WARNING, s, &m->guid, dn,
	    "%s is in the %s group but is not a user, contact or group; it "
	    "is ignored: remove it from the group", dn,
	    plan_group_title(s));
}

int
plan_scope_read(struct plan_ctx *ctx)
{
	struct plan_ent *m;
	const struct obj *g;
	enum plan_service s;
	size_t i;
	int r;

	for (s = 0; s < PLAN_SVC_COUNT; s++) {
		if (ctx->group_dn[s] == NULL)
			continue;
		if ((r = plan_scope_group(ctx, s, &ctx->group[s])) < 0)
			return r;
	}
	for (s = 0; s < PLAN_SVC_COUNT; s++) {
		if (ctx->group[s] == NULL)
			continue;
		g = ctx->group[s]->o;
		for (i = 0; i < g->member.n; i++) {
			if ((r = plan_scope_ref(ctx, &g->member.v[i], &m)) < 0)
				return r;
			if (m != NULL && m->kind == OBJ_UNKNOWN)
				plan_scope_other(ctx, s, m);
			else if (m != NULL &&
			    (r = plan_scope_member_add(ctx, s, m)) < 0)
				return r;
			plan_ent_trim(ctx);
		}
	}
	/* Their member lists are walked: the groups' objects (a reference
	 * per member, 9 MB at 100,000) are let go of before the stages that
	 * hold candidates, and fetched again if a later stage asks. */
	for (s = 0; s < PLAN_SVC_COUNT; s++) {
		if (ctx->group[s] == NULL || !ctx->group[s]->pinned)
			continue;
		obj_free(ctx->group[s]->o);
		ctx->group[s]->o = NULL;
		ctx->group[s]->pinned = false;
	}
	return 0;
}

static int
plan_scope_cand(struct plan_ctx *ctx, struct plan_ent *e,
    enum plan_service s, enum plan_kind k, bool ok)
{
	struct plan_cand *c, *nv;
	size_t ncap;

	if (ctx->ncands == ctx->capcands) {
		ncap = ctx->capcands ? ctx->capcands * 2 : 64;
		if ((nv = reallocarray(ctx->cands, ncap, sizeof(*nv))) == NULL)
			return -ENOMEM;
		ctx->cands = nv;
		ctx->capcands = ncap;
	}
	c = &ctx->cands[ctx->ncands];
	memset(c, 0, sizeof(*c));
	c->ent = e;
	c->svc = s;
	c->kind = k;
	c->ok = ok;
	ctx->ncands++;
	e->cand[s] = ctx->ncands;
	return 0;
}

/*
 * A user in both groups would need a mailbox in each service with one
 * address, which the service refuses; the seed reports it as "... does
 * not already exist in another service in control panel" (H3). Neither
 * service gets an op, and the user's existing mailboxes are left as they
 * are (a candidate, not ok, so its rows count as seen).
 */
static void
plan_scope_both(struct plan_ctx *ctx, struct plan_ent *e)
{
	const char *dn = plan_ent_dn(ctx, e, "");

	plan_alert(ctx, PLAN_ALERT_ERROR, PLAN_SVC_COUNT, &e->guid, dn,
	    "The user %s is a direct member of both the Exchange group (%s) "
	    "and the Rackspace Email group (%s), but a user has a mailbox in "
	    "one service only. Check that the user does not already exist in "
	    "another service in control panel, and keep the user in one of "
	    "the two groups", dn, ctx->group_dn[PLAN_SVC_EX],
	    ctx->group_dn[PLAN_SVC_RS]);
}

/*
 * A held object (obj.h: a value AD sent that adsync cannot read; the
 * mirror keeps its last good values): an error per held attribute, in the
 * seed's words (the attribute, the object, the fix), and a candidate
 * without ops, as for any other error: its rows are seen (no disable, no
 * delete), it keeps its place in lists (plan_diff.c), and nothing is
 * created for it until the value is corrected and a read brings it.
 * Where the object would only get a warning (a contact or a group in the
 * Rackspace Email group) it gets that warning as usual.
 */
static int
plan_scope_held(struct plan_ctx *ctx, enum plan_service s, struct plan_ent *e,
    bool both)
{
	const struct obj *o = plan_ent_obj(ctx, e);
	const char *what = e->kind == OBJ_USER ? "user" :
	    e->kind == OBJ_CONTACT ? "contact" : "group";
	enum plan_kind k = e->kind == OBJ_USER ? PLAN_K_MAILBOX :
	    e->kind == OBJ_CONTACT ? PLAN_K_CONTACT : PLAN_K_DL;
	int a;

	if (o == NULL)
		return ctx->err;
	if (!both || s == PLAN_SVC_EX)
		for (a = 0; a < OBJ_A_COUNT; a++)
			if ((o->held & (uint64_t)1 << a) != 0)
				plan_alert(ctx, PLAN_ALERT_ERROR, both ?
				    PLAN_SVC_COUNT : s, &e->guid, o->dn,
				    "The value specified in the %s attribute "
				    "for %s %s %s, so adsync cannot read it; "
				    "the %s is held as it was last synced "
				    "(nothing is created, updated, disabled or "
				    "removed for it) until the value is "
				    "corrected: correct it in AD",
				    obj_attr_desc((enum obj_attr)a)->ldap,
				    what, o->dn, obj_bad_text((enum obj_bad)
				    o->held_why[a]), what);
	return plan_scope_cand(ctx, e, s, k, false);
}

static int
plan_scope_one(struct plan_ctx *ctx, enum plan_service s, struct plan_ent *e)
{
	bool both = e->member_of == ((1u << PLAN_SVC_EX) | (1u << PLAN_SVC_RS));
	const char *dn;

	if (e->held && (e->kind == OBJ_USER ||
	    (s == PLAN_SVC_EX && (e->kind == OBJ_CONTACT ||
	    e->kind == OBJ_GROUP))))
		return plan_scope_held(ctx, s, e, both);
	/* Kind, mail and held are kept by the entity: only a warning needs
	 * the object (its DN) again. */
	switch (e->kind) {
	case OBJ_USER:
		if (both && s == PLAN_SVC_EX)
			plan_scope_both(ctx, e);
		return plan_scope_cand(ctx, e, s, PLAN_K_MAILBOX, !both);
	case OBJ_CONTACT:
		if (s == PLAN_SVC_EX)
			return plan_scope_cand(ctx, e, s, PLAN_K_CONTACT, true);
		dn = plan_ent_dn(ctx, e, "");
		plan_alert(ctx, PLAN_ALERT_WARNING, s, &e->guid, dn,
		    "The contact %s is in the Rackspace Email group, but "
		    "contacts exist in Hosted Exchange only; it is ignored: "
		    "add it to the Exchange group (%s) instead", dn,
		    ctx->group_dn[PLAN_SVC_EX] != NULL ?
		    ctx->group_dn[PLAN_SVC_EX] : "not configured");
		return 0;
	case OBJ_GROUP:
		if (s == PLAN_SVC_EX && e->mail != NULL)
			return plan_scope_cand(ctx, e, s, PLAN_K_DL, true);
		dn = plan_ent_dn(ctx, e, "");
		if (s == PLAN_SVC_EX)
			plan_alert(ctx, PLAN_ALERT_WARNING, s, &e->guid, dn,
			    "The group %s is nested in the Exchange group but "
			    "has no mail; set mail to make it a distribution "
			    "list (its members do not get mailboxes: add "
			    "users to the Exchange group directly)", dn);
		else
			plan_alert(ctx, PLAN_ALERT_WARNING, s, &e->guid, dn,
			    "The group %s is nested in the Rackspace Email "
			    "group, but distribution lists exist in Hosted "
			    "Exchange only; it is ignored (its members do not "
			    "get mailboxes): add its users to the Rackspace "
			    "Email group directly, or nest the group in the "
			    "Exchange group with mail set to make it a list",
			    dn);
		return 0;
	default:
		/* plan_scope_read() names the others; kept for a kind the
		 * model may add. */
		dn = plan_ent_dn(ctx, e, "");
		plan_alert(ctx, PLAN_ALERT_WARNING, s, &e->guid, dn,
		    "%s is in the %s group but is not a user, contact or "
		    "group; it is ignored: remove it from the group", dn,
		    plan_group_title(s));
		return 0;
	}
}

int
plan_scope_classify(struct plan_ctx *ctx)
{
	struct plan_cand *nv;
	enum plan_service s;
	size_t i, n = 0;
	int r;

	/* At most one candidate per member: one array of the right size
	 * rather than doublings (at 100,000 members a doubling would hold
	 * both arrays at once). */
	for (s = 0; s < PLAN_SVC_COUNT; s++)
		n += ctx->nmembers[s];
	if (n > ctx->capcands) {
		if ((nv = reallocarray(ctx->cands, n, sizeof(*nv))) == NULL)
			return -ENOMEM;
		ctx->cands = nv;
		ctx->capcands = n;
	}
	for (s = 0; s < PLAN_SVC_COUNT; s++)
		for (i = 0; i < ctx->nmembers[s]; i++) {
			if ((r = plan_scope_one(ctx, s,
			    ctx->members[s][i])) < 0)
				return r;
			plan_ent_trim(ctx);
		}
	return ctx->err;
}
