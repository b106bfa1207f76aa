/*
 * Identities (docs/plan.md rules 4-6): which address each candidate
 * claims and whether it may have it. The seed matches users to mailboxes
 * by `mail` (rackspace-api.md §9.3), names contacts by objectGUID and puts
 * them in the domain otherMailBox names (§9.6), and refuses what the
 * service would refuse, with the messages of §9.9. Everything a check
 * refuses becomes an error alert naming the object and the fix, and the
 * candidate gets no op (its existing rows are left alone). Pure; the
 * build's thread; values come from AD and the state.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "plan_internal.h"

const char *
plan_check_kind_words(enum plan_service s, enum plan_kind k)
{
	switch (k) {
	case PLAN_K_MAILBOX:
		return "a mailbox";
	case PLAN_K_CONTACT:
		return "a contact";
	default:
		/* The inventory reports Rackspace Email aliases as lists. */
		return s == PLAN_SVC_EX ? "a distribution list" :
		    "an alias";
	}
}

static const char *
plan_check_what(const struct plan_cand *c)
{
	switch (c->kind) {
	case PLAN_K_MAILBOX:
		return "user";
	case PLAN_K_CONTACT:
		return "contact";
	default:
		return "group";
	}
}

/* Takes `name` and `domain` (owned): the candidate's three texts become
 * one block, "name@domain\0name\0domain\0" (docs/plan.md "Memory"). */
static int
plan_check_set_address(struct plan_cand *c, char *name, char *domain)
{
	size_t nl = strlen(name), dl = strlen(domain);
	char *b = malloc(2 * (nl + dl) + 4);

	if (b != NULL) {
		memcpy(b, name, nl);
		b[nl] = '@';
		memcpy(b + nl + 1, domain, dl + 1);
		c->address = b;
		c->name = b + nl + dl + 2;
		memcpy(c->name, name, nl + 1);
		c->domain = c->name + nl + 1;
		memcpy(c->domain, domain, dl + 1);
	}
	free(name);
	free(domain);
	return b != NULL ? 0 : -ENOMEM;
}

/* Mailboxes and lists: mail gives name and domain. */
static int
plan_check_mail(struct plan_ctx *ctx, struct plan_cand *c)
{
	/* The entity kept mail: the object is fetched for a DN only. */
	const char *mail = c->ent->mail, *what = plan_check_what(c), *dn;
	char *name = NULL, *domain = NULL, q[PLAN_QUOTE_MAX + 8];
	int r;

	if (mail == NULL) {
		dn = plan_ent_dn(ctx, c->ent, "");
		plan_alert(ctx, PLAN_ALERT_ERROR, c->svc, &c->ent->guid, dn,
		    "The value '' specified in the mail attribute for %s %s "
		    "is invalid; set mail to the %s's e-mail address "
		    "(name@domain, in one of the account's domains: %s)",
		    what, dn, what, ctx->domain_list);
		c->ok = false;
		return 0;
	}
	if ((r = plan_addr_split(mail, &name, &domain)) < 0)
		return r;
	if (r == 0) {
		dn = plan_ent_dn(ctx, c->ent, "");
		plan_alert(ctx, PLAN_ALERT_ERROR, c->svc, &c->ent->guid, dn,
		    "The value '%s' specified in the mail attribute for %s %s "
		    "is invalid; set mail to the %s's e-mail address: "
		    "name@domain, the name 1 to 64 letters, digits and "
		    ". _ ' + - (no dot at either end, no two in a row)",
		    plan_quote(mail, q, sizeof(q)), what, dn, what);
		c->ok = false;
		return 0;
	}
	if (!plan_addr_domain_ok(ctx, domain)) {
		/* The seed's "Not authorized" (H3): the API refuses a
		 * domain that is not on the account. */
		dn = plan_ent_dn(ctx, c->ent, "");
		plan_alert(ctx, PLAN_ALERT_ERROR, c->svc, &c->ent->guid, dn,
		    "Not authorized: %s %s has mail %s, but %s is not one of "
		    "the account's domains (%s); add %s to [sync] domains "
		    "(and to the account), or correct mail", what, dn,
		    plan_quote(mail, q, sizeof(q)), domain, ctx->domain_list,
		    domain);
		free(name);
		free(domain);
		c->ok = false;
		return 0;
	}
	return plan_check_set_address(c, name, domain);
}

/*
 * Contacts (§9.6): named by objectGUID, placed in the one domain of the
 * account, or with several domains in the one otherMailBox names. The
 * seed's otherMailBox holds the domain; a value written as an address
 * ("x@example.com") is read for its domain, as administrators write both.
 * The first value naming one of our domains wins (otherMailBox is
 * multi-valued and has other uses).
 */
static int
plan_check_contact(struct plan_ctx *ctx, struct plan_cand *c)
{
	const struct obj *o = plan_ent_obj(ctx, c->ent);
	const struct obj_values *om;
	const char *mail, *d = NULL, *at;
	char guid[OBJ_GUID_TEXT], q[PLAN_QUOTE_MAX + 8], *name, *domain;
	size_t i;

	if (o == NULL)
		return ctx->err;
	om = &o->attrs[OBJ_A_OTHER_MAILBOX];
	mail = obj_value(o, OBJ_A_MAIL);

	if (mail == NULL || mail[0] == '\0' || !plan_addr_external_ok(mail)) {
		plan_alert(ctx, PLAN_ALERT_ERROR, c->svc, &c->ent->guid, o->dn,
		    "The value '%s' specified in the mail attribute for "
		    "contact %s is invalid; set mail to the contact's "
		    "external e-mail address (name@domain)",
		    plan_quote(mail != NULL ? mail : "", q, sizeof(q)), o->dn);
		c->ok = false;
		return 0;
	}
	if (ctx->ndomains == 1) {
		d = ctx->domains[0];
	} else {
		for (i = 0; i < om->n && d == NULL; i++) {
			at = strrchr(om->v[i], '@');
			at = at != NULL ? at + 1 : om->v[i];
			if (plan_addr_domain_ok(ctx, at))
				d = at;
		}
	}
	if (d == NULL) {
		plan_alert(ctx, PLAN_ALERT_ERROR, c->svc, &c->ent->guid, o->dn,
		    "The value '%s' specified in the otherMailBox attribute "
		    "for contact %s is invalid; with several domains, set "
		    "otherMailBox to the domain to create the contact in "
		    "(one of %s)", om->n > 0 ? plan_quote(om->v[0], q,
		    sizeof(q)) : "", o->dn, ctx->domain_list);
		c->ok = false;
		return 0;
	}
	obj_guid_format(&c->ent->guid, guid);
	if ((c->external = strdup(mail)) == NULL ||
	    (name = strdup(guid)) == NULL)
		return -ENOMEM;
	if ((domain = plan_addr_lower(d)) == NULL) {
		free(name);
		return -ENOMEM;
	}
	return plan_check_set_address(c, name, domain);
}

/* The state row of the candidate (its light copy: the whole row is read
 * only to compare, plan_diff.c); and the Service ID rule. */
static int
plan_check_row(struct plan_ctx *ctx, struct plan_cand *c)
{
	const struct plan_lrow *l = plan_rows_find(ctx, &c->ent->guid, c->svc);
	const char *what = plan_check_what(c), *dn;

	if (l == NULL)
		return 0;
	c->lrow = l;
	c->has_row = true;
	if (c->kind == PLAN_K_CONTACT)
		return 0;	/* a new domain is a move (plan_diff.c) */
	if (strcasecmp(l->domain, c->domain) == 0 &&
	    strcasecmp(l->name, c->name) == 0)
		return 0;
	dn = plan_ent_dn(ctx, c->ent, l->dn);
	/*
	 * The seed (H3): "The Service ID ... has changed ... cannot change
	 * the Service ID". The mailbox keeps its name; renaming an Exchange
	 * mailbox takes a support ticket (§5.3 Gaps). A list can be made
	 * again: it is deleted when it leaves the group.
	 */
	if (c->kind == PLAN_K_MAILBOX)
		plan_alert(ctx, PLAN_ALERT_ERROR, c->svc, &c->ent->guid, dn,
		    "The Service ID %s@%s for user %s has changed to %s; "
		    "adsync cannot change the Service ID of an existing "
		    "mailbox, so %s@%s is left as it is: set mail back to "
		    "%s@%s%s", l->name, l->domain, dn, c->address,
		    l->name, l->domain, l->name, l->domain,
		    c->svc == PLAN_SVC_EX && ctx->conf->sync_proxy_addresses ?
		    " (to give the user the new address too, add it to "
		    "proxyAddresses as smtp:)" : "");
	else
		plan_alert(ctx, PLAN_ALERT_ERROR, c->svc, &c->ent->guid, dn,
		    "The Service ID %s@%s for %s %s has changed to %s; adsync "
		    "cannot change the Service ID of a distribution list, so "
		    "%s@%s is left as it is: set mail back to %s@%s, or "
		    "remove the group from the Exchange group (the list is "
		    "deleted at the next sync) and add it again to make the "
		    "list anew", l->name, l->domain, what, dn,
		    c->address, l->name, l->domain, l->name, l->domain);
	c->ok = false;
	return 0;
}

/* ---- one address, one object ---------------------------------------- */

static int
plan_check_claim_cmp(const void *a, const void *b, void *arg)
{
	const struct plan_ctx *ctx = arg;
	const struct plan_cand *x = &ctx->cands[*(const size_t *)a];
	const struct plan_cand *y = &ctx->cands[*(const size_t *)b];
	int c;

	if ((c = strcmp(x->address, y->address)) != 0)
		return c;
	if ((c = memcmp(x->ent->guid.b, y->ent->guid.b, 16)) != 0)
		return c;
	return x->svc < y->svc ? -1 : x->svc > y->svc;
}

static int
plan_check_claims_build(struct plan_ctx *ctx)
{
	size_t i;

	free(ctx->claims);
	ctx->claims = NULL;
	ctx->nclaims = 0;
	if (ctx->ncands == 0)
		return 0;
	if ((ctx->claims = reallocarray(NULL, ctx->ncands,
	    sizeof(*ctx->claims))) == NULL)
		return -ENOMEM;
	for (i = 0; i < ctx->ncands; i++)
		if (ctx->cands[i].ok && ctx->cands[i].kind != PLAN_K_CONTACT)
			ctx->claims[ctx->nclaims++] = i;
	if (ctx->nclaims > 1)
		qsort_r(ctx->claims, ctx->nclaims, sizeof(*ctx->claims),
		    plan_check_claim_cmp, ctx);
	return 0;
}

/*
 * The one of `n` claimants (indices into claims from `i`) that keeps the
 * address: the only one whose state row holds it in scope, else the only
 * one with a row at all (back after leaving scope). SIZE_MAX: none.
 */
static size_t
plan_check_keeper(const struct plan_ctx *ctx, size_t i, size_t n)
{
	size_t k, keep = SIZE_MAX, count = 0;
	const struct plan_cand *c;

	for (k = i; k < i + n; k++) {
		c = &ctx->cands[ctx->claims[k]];
		if (c->has_row && c->lrow->in_scope) {
			keep = k;
			count++;
		}
	}
	if (count == 1)
		return keep;
	if (count > 1)
		return SIZE_MAX;
	for (k = i; k < i + n; k++) {
		c = &ctx->cands[ctx->claims[k]];
		if (c->has_row) {
			keep = k;
			count++;
		}
	}
	return count == 1 ? keep : SIZE_MAX;
}

/*
 * Two objects with one address would make one mailbox (or a mailbox and
 * a list) for both. The one the state already binds to the address keeps
 * it; the others are refused. With no such one, all are refused:
 * guessing which one was meant could hand one person's mail to another.
 */
static int
plan_check_claims(struct plan_ctx *ctx)
{
	struct plan_cand *c, *o;
	const char *cdn, *odn;
	size_t i, j, k, keep;
	int r;

	if ((r = plan_check_claims_build(ctx)) < 0)
		return r;
	for (i = 0; i < ctx->nclaims; i = j) {
		c = &ctx->cands[ctx->claims[i]];
		for (j = i + 1; j < ctx->nclaims && strcmp(ctx->cands[
		    ctx->claims[j]].address, c->address) == 0; j++)
			;
		if (j - i < 2)
			continue;
		keep = plan_check_keeper(ctx, i, j - i);
		for (k = i; k < j; k++) {
			if (k == keep)
				continue;
			c = &ctx->cands[ctx->claims[k]];
			o = &ctx->cands[ctx->claims[keep != SIZE_MAX ? keep :
			    k == i ? i + 1 : i]];
			cdn = plan_ent_dn(ctx, c->ent, "");
			odn = plan_ent_dn(ctx, o->ent, "");
			plan_alert(ctx, PLAN_ALERT_ERROR, c->svc,
			    &c->ent->guid, cdn, "The address %s of "
			    "%s %s is also the mail of %s; each mailbox and "
			    "list needs its own address: give one of them "
			    "another mail", c->address, plan_check_what(c),
			    cdn, odn);
			plan_ent_trim(ctx);
		}
		for (k = i; k < j; k++)
			if (k != keep)
				ctx->cands[ctx->claims[k]].ok = false;
	}
	return plan_check_claims_build(ctx);
}

const struct plan_cand *
plan_check_claimant(const struct plan_ctx *ctx, const char *address,
    const struct plan_ent *self)
{
	size_t lo = 0, hi = ctx->nclaims, mid;
	const struct plan_cand *c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(ctx->cands[ctx->claims[mid]].address, address) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < ctx->nclaims; lo++) {
		c = &ctx->cands[ctx->claims[lo]];
		if (strcmp(c->address, address) != 0)
			break;
		if (c->ent != self)
			return c;
	}
	return NULL;
}

/* The seed's "already exist in another service" (H3), for users and
 * lists. `how` says what we know it from. */
static void
plan_check_other_service(struct plan_ctx *ctx, struct plan_cand *c,
    const char *how)
{
	enum plan_service os = plan_service_other(c->svc);
	const char *dn = plan_ent_dn(ctx, c->ent, "");

	if (c->kind == PLAN_K_MAILBOX)
		plan_alert(ctx, PLAN_ALERT_ERROR, c->svc, &c->ent->guid, dn,
		    "The address %s of user %s already exists in %s (%s). "
		    "Check that the user does not already exist in another "
		    "service in control panel: a user has a mailbox in one "
		    "service only; take the user out of the %s group, or "
		    "remove the %s object first", c->address, dn,
		    plan_service_title(os), how, plan_group_title(c->svc),
		    plan_service_title(os));
	else
		plan_alert(ctx, PLAN_ALERT_ERROR, c->svc, &c->ent->guid, dn,
		    "The address %s of group %s already exists in %s (%s). "
		    "Check that the group does not already exist in another "
		    "service in control panel; give the group another mail, "
		    "or remove that object", c->address, dn,
		    plan_service_title(os), how);
	c->ok = false;
}

/* State rows of other objects that hold the address of `c` (no row). */
static int
plan_check_rows(struct plan_ctx *ctx, struct plan_cand *c)
{
	struct plan_lrow *const *v;
	const struct plan_lrow *l;
	const char *dn;
	size_t n, i;
	char how[OBJ_DN_MAX + 64];

	n = plan_rows_by_address(ctx, c->address, &v);
	for (i = 0; i < n && c->ok; i++) {
		l = v[i];
		if (l->kind == PLAN_K_CONTACT)
			continue;
		if (l->svc != c->svc) {
			/* Online, the service's inventory says whether it
			 * still exists there (it may have been removed by
			 * hand); offline, the state is all we know. */
			if (ctx->src->target_find == NULL) {
				snprintf(how, sizeof(how), "synced for %s",
				    l->dn);
				plan_check_other_service(ctx, c, how);
			}
			continue;
		}
		if (!l->in_scope) {
			/* Disabled when its object left scope: the
			 * newcomer may take the address over, as the seed
			 * adopts any existing mailbox by address. The
			 * reason says whose it was. */
			free(c->prev_owner);
			if ((c->prev_owner = strdup(l->dn)) == NULL)
				return -ENOMEM;
			continue;
		}
		dn = plan_ent_dn(ctx, c->ent, "");
		plan_alert(ctx, PLAN_ALERT_ERROR, c->svc, &c->ent->guid,
		    dn, "The address %s of %s %s already belongs "
		    "to %s, which adsync keeps in sync as %s in %s; give the "
		    "%s another mail, or take %s out of the %s group first",
		    c->address, plan_check_what(c), dn, l->dn,
		    plan_check_kind_words(l->svc, l->kind),
		    plan_service_title(l->svc), plan_check_what(c), l->dn,
		    plan_group_title(l->svc));
		c->ok = false;
	}
	return 0;
}

static int
plan_check_find(struct plan_ctx *ctx, enum plan_service s, const char *domain,
    const char *name, enum plan_kind *kind)
{
	int r;

	r = ctx->src->target_find(ctx->src->arg, s, domain, name, kind);
	if (r < 0)
		snprintf(ctx->why, ctx->whylen, "looking up %s@%s in %s "
		    "failed: %s", name, domain, plan_service_title(s),
		    adsync_strerror(r));
	return r;
}

/* What the service holds under the candidate's name (no row yet, or a
 * contact moving to another domain): adopt, or refuse a collision. */
static int
plan_check_target(struct plan_ctx *ctx, struct plan_cand *c)
{
	const char *dn;
	enum plan_kind k;
	int r;

	if (ctx->src->target_find == NULL)
		return 0;
	if (c->kind != PLAN_K_CONTACT) {
		r = plan_check_find(ctx, plan_service_other(c->svc),
		    c->domain, c->name, &k);
		if (r < 0)
			return r;
		if (r > 0) {
			plan_check_other_service(ctx, c,
			    plan_check_kind_words(plan_service_other(c->svc),
			    k));
			return 0;
		}
	}
	if ((r = plan_check_find(ctx, c->svc, c->domain, c->name, &k)) < 0)
		return r;
	if (r == 0)
		return 0;
	if (k == c->kind) {
		c->adopt = true;
		return 0;
	}
	dn = plan_ent_dn(ctx, c->ent, "");
	switch (c->kind) {
	case PLAN_K_MAILBOX:
		plan_alert(ctx, PLAN_ALERT_ERROR, c->svc, &c->ent->guid, dn,
		    "The address %s of user %s is already used by %s in %s; "
		    "a mailbox cannot share its name with another object of "
		    "its domain: give the user another mail, or rename that "
		    "object", c->address, dn, plan_check_kind_words(c->svc, k),
		    plan_service_title(c->svc));
		break;
	case PLAN_K_CONTACT:
		plan_alert(ctx, PLAN_ALERT_ERROR, c->svc, &c->ent->guid, dn,
		    "The name %s of contact %s (its objectGUID) is already "
		    "used by %s in %s (%s); remove that object", c->name, dn,
		    plan_check_kind_words(c->svc, k),
		    plan_service_title(c->svc), c->domain);
		break;
	default:
		plan_alert(ctx, PLAN_ALERT_ERROR, c->svc, &c->ent->guid, dn,
		    "The address %s of group %s is already used by %s in %s. "
		    "Check that the group does not already exist in another "
		    "service in control panel; give the group another mail, "
		    "or remove that object", c->address, dn,
		    plan_check_kind_words(c->svc, k),
		    plan_service_title(c->svc));
		break;
	}
	c->ok = false;
	return 0;
}

int
plan_check_identities(struct plan_ctx *ctx)
{
	struct plan_cand *c;
	bool moving;
	size_t i;
	int r;

	for (i = 0; i < ctx->ncands; i++) {
		c = &ctx->cands[i];
		if (!c->ok)
			continue;
		r = c->kind == PLAN_K_CONTACT ? plan_check_contact(ctx, c) :
		    plan_check_mail(ctx, c);
		if (r < 0)
			return r;
		if (c->ok && (r = plan_check_row(ctx, c)) < 0)
			return r;
		plan_ent_trim(ctx);
	}
	if ((r = plan_check_claims(ctx)) < 0)
		return r;
	for (i = 0; i < ctx->ncands; i++) {
		c = &ctx->cands[i];
		if (!c->ok)
			continue;
		moving = c->kind == PLAN_K_CONTACT && c->has_row &&
		    strcasecmp(c->lrow->domain, c->domain) != 0;
		if (c->has_row && !moving)
			continue;
		/* A new or moving object is checked against every other
		 * candidate: a focused plan does not have them. */
		if (ctx->opts->focus != NULL) {
			snprintf(ctx->why, ctx->whylen, "%s is new in scope or "
			    "moves: plan in full",
			    plan_ent_dn(ctx, c->ent, ""));
			return -ADSYNC_ERESYNC;
		}
		if (c->kind != PLAN_K_CONTACT &&
		    (r = plan_check_rows(ctx, c)) < 0)
			return r;
		if (c->ok && (r = plan_check_target(ctx, c)) < 0)
			return r;
		plan_ent_trim(ctx);
	}
	/* Refusals above change who claims what (alternate addresses are
	 * checked against the final claims). */
	if ((r = plan_check_claims_build(ctx)) < 0)
		return r;
	return ctx->err;
}
