/*
 * Ops (docs/plan.md rules 4-7): for each candidate that passed its checks,
 * what the service lacks — a create or an adoption, the changed fields,
 * enable or disable, alternate addresses, list members — and for each
 * state row no candidate claims, the removal the seed prescribes (a
 * mailbox is disabled, never deleted; a contact or list is deleted,
 * rackspace-api.md §9.4). Updates carry only the fields that changed
 * since the last applied state. Pure; the build's thread; values come
 * from AD and are checked here before they become form fields.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "err.h"
#include "plan_internal.h"

#define PLAN_REASON_MAX 4096

static const char *
plan_diff_value(const struct rs_record *r, const char *field)
{
	const char *v = r != NULL ? rs_record_get(r, field) : NULL;

	return v != NULL ? v : "";
}

static int
plan_diff_count(const struct rs_record *want, const struct rs_record *have)
{
	size_t i;
	int n = 0;

	for (i = 0; i < want->n; i++)
		if (strcmp(want->v[i].value,
		    plan_diff_value(have, want->v[i].name)) != 0)
			n++;
	return n;
}

int
plan_diff_fields(struct plan_op *op, const struct rs_record *want,
    const struct rs_record *have)
{
	const char *old;
	size_t i;
	int n = 0, r;

	for (i = 0; i < want->n; i++) {
		old = plan_diff_value(have, want->v[i].name);
		if (strcmp(want->v[i].value, old) == 0)
			continue;
		if ((r = plan_op_field(op, want->v[i].name, old,
		    want->v[i].value)) < 0)
			return r;
		n++;
	}
	return n;
}

/* Every wanted field (CREATE, ADOPT); only the non-empty ones are shown
 * as changes, the empty ones clear what an adopted object had. */
static int
plan_diff_all(struct plan_op *op, const struct rs_record *want)
{
	size_t i;
	int r;

	for (i = 0; i < want->n; i++) {
		if (want->v[i].value[0] == '\0')
			r = rs_record_set(&op->fields, want->v[i].name, "");
		else
			r = plan_op_field(op, want->v[i].name, "",
			    want->v[i].value);
		if (r < 0)
			return r;
	}
	return 0;
}

/* "enabled", shown as a change only when it changes. */
static int
plan_diff_enabled(struct plan_op *op, const char *old, bool enabled)
{
	const char *v = enabled ? "true" : "false";

	if (old != NULL && strcmp(old, v) == 0)
		return rs_record_set(&op->fields, "enabled", v);
	return plan_op_field(op, "enabled", old != NULL ? old : "", v);
}

static const char *
plan_diff_what(enum plan_kind k)
{
	return k == PLAN_K_MAILBOX ? "user" : k == PLAN_K_CONTACT ?
	    "contact" : "group";
}

/*
 * A value that may go into a form field: at most PLAN_FIELD_MAX bytes and
 * no control characters except tab, CR and LF (AD's streetAddress holds
 * several lines). NULL when fine, else what is wrong.
 */
static const char *
plan_diff_bad_value(const char *v)
{
	const unsigned char *p;

	if (strlen(v) > PLAN_FIELD_MAX)
		return "is longer than 256 bytes";
	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if ((*p < 0x20 && *p != '\t' && *p != '\r' && *p != '\n') ||
		    *p == 0x7f)
			return "contains control characters";
	return NULL;
}

/*
 * The fields the candidate should have, checked. A bad value is left out
 * with a warning (the service keeps what it has). Exchange requires a
 * display name, so a bad one is replaced by cn, or by the object's name.
 */
static int
plan_diff_want(struct plan_ctx *ctx, const struct plan_cand *c,
    struct rs_record *want)
{
	const struct obj *o = c->ent->o;
	const char *bad, *cn, *dname, *at;
	char *fallback;
	size_t i;
	int r;

	if ((r = plan_map_fields(o, c->svc, c->kind, want)) < 0)
		return r;
	for (i = want->n; i-- > 0;) {
		if ((bad = plan_diff_bad_value(want->v[i].value)) == NULL)
			continue;
		plan_alert(ctx, PLAN_ALERT_WARNING, c->svc, &c->ent->guid,
		    o->dn, "The value of %s for %s %s %s; it is not synced "
		    "(%s keeps its %s): correct it in AD",
		    plan_map_attr_of(c->svc, c->kind, want->v[i].name),
		    plan_diff_what(c->kind), o->dn, bad,
		    plan_service_title(c->svc), want->v[i].name);
		rs_record_del(want, want->v[i].name);
	}
	if (c->svc != PLAN_SVC_EX ||
	    plan_diff_value(want, "displayName")[0] != '\0')
		return 0;
	cn = obj_value(o, OBJ_A_CN);
	if (cn != NULL && cn[0] != '\0' && plan_diff_bad_value(cn) == NULL)
		return rs_record_set(want, "displayName", cn);
	if (c->kind != PLAN_K_CONTACT)
		return rs_record_set(want, "displayName", c->name);
	/* Contacts: the local part of the (checked) external address. */
	at = strchr(c->external, '@');
	dname = c->external;
	if ((fallback = strndup(dname, (size_t)(at - dname))) == NULL)
		return -ENOMEM;
	r = rs_record_set(want, "displayName", fallback);
	free(fallback);
	return r;
}

/*
 * The reason of an op: `base`, then the AD attributes behind its changed
 * fields ("title and mobile changed in AD"). "enabled" and "size" are not
 * attributes.
 */
static void
plan_diff_reason(struct plan_ctx *ctx, struct plan_op *op, const char *base)
{
	const char *names[64];
	size_t i, n = 0;
	struct buf b;
	int r = 0;

	for (i = 0; i < op->nchanges && n < 64; i++)
		if (strcmp(op->changes[i].field, "enabled") != 0 &&
		    strcmp(op->changes[i].field, "size") != 0)
			names[n++] = plan_map_attr_of(op->service, op->kind,
			    op->changes[i].field);
	buf_init(&b, PLAN_REASON_MAX);
	if (base != NULL && base[0] != '\0')
		r = buf_addstr(&b, base);
	if (n > 0 && r == 0 && base != NULL && base[0] != '\0')
		r = buf_addstr(&b, "; ");
	for (i = 0; i < n && r == 0; i++)
		r = buf_printf(&b, "%s%s", i == 0 ? "" : i + 1 == n ?
		    " and " : ", ", names[i]);
	if (n > 0 && r == 0)
		r = buf_addstr(&b, " changed in AD");
	if (r < 0) {
		ctx->err = r;
		buf_fini(&b);
		return;
	}
	plan_op_reason(ctx, op, "%s", buf_str(&b));
	buf_fini(&b);
}

/* ---- mailboxes --------------------------------------------------------- */

/* Whether `addr` (lower case) is the address of another object: a
 * candidate's, or a mailbox or list row of another anchor. Its DN. */
static const char *
plan_diff_taken(struct plan_ctx *ctx, const char *addr,
    const struct plan_ent *self)
{
	const struct plan_cand *o = plan_check_claimant(ctx, addr, self);
	struct plan_lrow *const *v;
	size_t n, i;

	if (o != NULL)
		return plan_ent_dn(ctx, o->ent, "");
	n = plan_rows_by_address(ctx, addr, &v);
	for (i = 0; i < n; i++)
		if (v[i]->kind != PLAN_K_CONTACT &&
		    !obj_guid_equal(&v[i]->anchor, &self->guid))
			return v[i]->dn;
	return NULL;
}

static int
plan_diff_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Addresses compare without regard to case (the API's names do). */
static int
plan_diff_casecmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	int c = strcasecmp(x, y);

	return c != 0 ? c : strcmp(x, y);
}

/* Sorts `l` and drops repeated items (the same address twice). */
static void
plan_diff_unique(struct rs_strlist *l)
{
	size_t i, j = 0;

	plan_sort(l->v, l->n, sizeof(*l->v), plan_diff_casecmp);
	for (i = 0; i < l->n; i++) {
		if (j > 0 && strcasecmp(l->v[j - 1], l->v[i]) == 0) {
			free(l->v[i]);
			continue;
		}
		l->v[j++] = l->v[i];
	}
	l->n = j;
}

/*
 * Whether the service holds `name`@`domain` as an object of its own (a
 * mailbox, list, contact or alias, in either service): then it cannot
 * become an alternate address. 1 and its words in *what, 0, or a negative
 * code.
 */
static int
plan_diff_proxy_taken(struct plan_ctx *ctx, const char *domain,
    const char *name, const char **what)
{
	enum plan_service s;
	enum plan_kind k;
	int r;

	if (ctx->src->target_find == NULL)
		return 0;
	for (s = 0; s < PLAN_SVC_COUNT; s++) {
		r = ctx->src->target_find(ctx->src->arg, s, domain, name, &k);
		if (r < 0) {
			snprintf(ctx->why, ctx->whylen, "looking up %s@%s in "
			    "%s failed: %s", name, domain,
			    plan_service_title(s), adsync_strerror(r));
			return r;
		}
		if (r > 0) {
			*what = plan_check_kind_words(s, k);
			return 1;
		}
	}
	return 0;
}

/* One smtp: value of proxyAddresses: into `want`, or a warning. Only a
 * new alternate address (not in `have`) is looked up in the service. */
static int
plan_diff_proxy(struct plan_ctx *ctx, const struct plan_cand *c,
    const char *v, const struct rs_strlist *have, struct rs_strlist *want)
{
	const char *dn = c->ent->o->dn, *addr, *other;
	const char *what = NULL;
	enum obj_proxy_kind k;
	char *lower = NULL, *name = NULL, *domain = NULL;
	char q[PLAN_QUOTE_MAX + 8];
	size_t alen;
	int r = 0;

	if (obj_proxy_parse(v, strlen(v), &k, &addr, &alen) < 0) {
		if (strncmp(v, "smtp:", 5) == 0)
			plan_alert(ctx, PLAN_ALERT_WARNING, c->svc,
			    &c->ent->guid, dn, "The alternate address '%s' in "
			    "proxyAddresses of user %s is not a valid "
			    "address; correct it or remove it",
			    plan_quote(v + 5, q, sizeof(q)), dn);
		return 0;
	}
	/* SMTP: (the primary) is mail itself, which names the mailbox;
	 * X500:, SIP: and the like are not addresses of the service. */
	if (k != OBJ_PROXY_SECONDARY)
		return 0;
	if ((lower = strndup(addr, alen)) == NULL)
		return -ENOMEM;
	for (char *p = lower; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (strcmp(lower, c->address) == 0)
		goto out;
	if ((r = plan_addr_split(lower, &name, &domain)) < 0)
		goto out;
	if (r == 0) {
		plan_alert(ctx, PLAN_ALERT_WARNING, c->svc, &c->ent->guid, dn,
		    "The alternate address '%s' in proxyAddresses of user %s "
		    "is not a valid address; correct it or remove it",
		    plan_quote(lower, q, sizeof(q)), dn);
	} else if (!plan_addr_domain_ok(ctx, domain)) {
		/* The seed's words (H3); domain aliases are derived by
		 * the service and cannot be set (§9.7). */
		plan_alert(ctx, PLAN_ALERT_WARNING, c->svc, &c->ent->guid, dn,
		    "The alternate address %s was not in the primary domain "
		    "or any of the alternate domains (user %s); use one of "
		    "the account's domains (%s) or remove it from "
		    "proxyAddresses", lower, dn, ctx->domain_list);
	} else if ((other = plan_diff_taken(ctx, lower, c->ent)) != NULL) {
		plan_alert(ctx, PLAN_ALERT_WARNING, c->svc, &c->ent->guid, dn,
		    "The alternate address %s was not in the primary domain "
		    "or any of the alternate domains (user %s): it is already "
		    "the address of %s; remove it from proxyAddresses", lower,
		    dn, other);
	} else if ((have == NULL || !rs_strlist_has(have, lower)) &&
	    (r = plan_diff_proxy_taken(ctx, domain, name, &what)) != 0) {
		if (r < 0)
			goto out;
		plan_alert(ctx, PLAN_ALERT_WARNING, c->svc, &c->ent->guid, dn,
		    "The alternate address %s was not in the primary domain "
		    "or any of the alternate domains (user %s): the service "
		    "already has %s of that name; remove it from "
		    "proxyAddresses", lower, dn, what);
	} else if (!rs_strlist_has(want, lower)) {
		r = rs_strlist_add(want, lower);
		goto out;
	}
	r = 0;
out:
	free(lower);
	free(name);
	free(domain);
	return r;
}

/*
 * Alternate addresses of an Exchange mailbox from the smtp: entries of
 * proxyAddresses (§9.7), compared with what was applied. Only with
 * sync_proxy_addresses: without it, applied ones are left alone.
 */
static int
plan_diff_proxies(struct plan_ctx *ctx, const struct plan_cand *c)
{
	const struct obj_values *pv = &c->ent->o->attrs[OBJ_A_PROXY_ADDRESSES];
	const struct rs_strlist *have = c->has_row ? &ctx->row.addresses : NULL;
	struct rs_strlist want;
	struct plan_op *op;
	size_t i;
	int r = 0;

	rs_strlist_init(&want);
	for (i = 0; i < pv->n && r == 0; i++)
		r = plan_diff_proxy(ctx, c, pv->v[i], have, &want);
	if (r < 0)
		goto out;
	plan_sort(want.v, want.n, sizeof(*want.v), plan_diff_strcmp);
	for (i = 0; i < want.n; i++) {
		if (have != NULL && rs_strlist_has(have, want.v[i]))
			continue;
		op = plan_op_add(ctx, PLAN_OP_ADDRESS_ADD, c->svc,
		    PLAN_K_MAILBOX, &c->ent->guid, c->ent->o->dn, c->domain,
		    c->name);
		if (op == NULL || (r = rs_strlist_add(&op->values,
		    want.v[i])) < 0)
			goto fail;
		plan_op_reason(ctx, op, "smtp:%s is in proxyAddresses",
		    want.v[i]);
	}
	for (i = 0; have != NULL && i < have->n; i++) {
		if (rs_strlist_has(&want, have->v[i]))
			continue;
		op = plan_op_add(ctx, PLAN_OP_ADDRESS_REMOVE, c->svc,
		    PLAN_K_MAILBOX, &c->ent->guid, c->ent->o->dn, c->domain,
		    c->name);
		if (op == NULL || (r = rs_strlist_add(&op->values,
		    have->v[i])) < 0)
			goto fail;
		plan_op_reason(ctx, op, "%s is no longer in proxyAddresses",
		    have->v[i]);
	}
	goto out;
fail:
	if (r == 0)
		r = ctx->err;
out:
	rs_strlist_fini(&want);
	return r;
}

/*
 * The UPDATE of an object already synced: only the fields of `want` that
 * differ from what the state row says was applied. 0 or a negative code.
 */
static int
plan_diff_update(struct plan_ctx *ctx, const struct plan_cand *c,
    const struct rs_record *want)
{
	struct plan_op *op;
	int r;

	op = plan_op_add(ctx, PLAN_OP_UPDATE, c->svc, c->kind, &c->ent->guid,
	    c->ent->o->dn, c->domain, c->name);
	if (op == NULL || (c->external != NULL &&
	    (op->external = strdup(c->external)) == NULL))
		return ctx->err < 0 ? ctx->err : -ENOMEM;
	if ((r = plan_diff_fields(op, want, &ctx->row.fields)) < 0)
		return r;
	plan_diff_reason(ctx, op, NULL);
	return 0;
}

static int
plan_diff_mailbox(struct plan_ctx *ctx, const struct plan_cand *c)
{
	const struct obj *o = c->ent->o;
	const char *grp = plan_group_title(c->svc), *base;
	bool enabled = (o->uac & OBJ_UAC_ACCOUNTDISABLE) == 0;
	struct rs_record want;
	struct plan_op *op;
	char size[24], text[OBJ_DN_MAX + 256];
	int r;

	rs_record_init(&want);
	if ((r = plan_diff_want(ctx, c, &want)) < 0)
		goto out;
	if (!c->has_row) {
		op = plan_op_add(ctx, c->adopt ? PLAN_OP_ADOPT :
		    PLAN_OP_CREATE, c->svc, PLAN_K_MAILBOX, &c->ent->guid,
		    o->dn, c->domain, c->name);
		if (op == NULL)
			goto nomem;
		if ((r = plan_diff_all(op, &want)) < 0)
			goto out;
		snprintf(size, sizeof(size), "%u", c->svc == PLAN_SVC_EX ?
		    ctx->conf->exchange_mailbox_size :
		    ctx->conf->rackspace_email_mailbox_size);
		/* Adoption keeps the mailbox's size: it is the customer's
		 * (and the bill's), not AD's. */
		if ((!c->adopt && (r = plan_op_field(op, "size", "",
		    size)) < 0) || (r = plan_diff_enabled(op, NULL,
		    enabled)) < 0)
			goto out;
		plan_op_reason(ctx, op, "new in the %s group%s%s%s%s%s%s",
		    grp, c->adopt ? "; the mailbox already exists in " : "",
		    c->adopt ? plan_service_title(c->svc) : "",
		    c->adopt ? " and is adopted" : "",
		    c->prev_owner != NULL ? ", last synced for " : "",
		    c->prev_owner != NULL ? c->prev_owner : "",
		    enabled ? "" : " (account disabled in AD)");
	} else if (!ctx->row.in_scope || ctx->row.enabled != enabled) {
		op = plan_op_add(ctx, enabled ? PLAN_OP_ENABLE :
		    PLAN_OP_DISABLE, c->svc, PLAN_K_MAILBOX, &c->ent->guid,
		    o->dn, c->domain, c->name);
		if (op == NULL)
			goto nomem;
		if ((r = plan_diff_enabled(op, ctx->row.enabled ? "true" :
		    "false", enabled)) < 0 ||
		    (r = plan_diff_fields(op, &want, &ctx->row.fields)) < 0)
			goto out;
		/* Disabling an enabled mailbox takes mail away from a
		 * person: the guard counts it. */
		op->removal = !enabled && ctx->row.enabled;
		if (ctx->row.in_scope)
			base = enabled ? "account enabled in AD "
			    "(userAccountControl)" : "account disabled in AD "
			    "(userAccountControl)";
		else if (enabled)
			base = snprintf(text, sizeof(text), "back in the %s "
			    "group", grp) < 0 ? "" : text;
		else
			base = snprintf(text, sizeof(text), "back in the %s "
			    "group, but the account is disabled in AD "
			    "(userAccountControl)", grp) < 0 ? "" : text;
		plan_diff_reason(ctx, op, base);
	} else if (plan_diff_count(&want, &ctx->row.fields) > 0 &&
	    (r = plan_diff_update(ctx, c, &want)) < 0) {
		goto out;
	}
	r = 0;
	if (c->svc == PLAN_SVC_EX && ctx->conf->sync_proxy_addresses)
		r = plan_diff_proxies(ctx, c);
	goto out;
nomem:
	r = ctx->err;
out:
	rs_record_fini(&want);
	return r < 0 ? r : 0;
}

/* ---- contacts ---------------------------------------------------------- */

static int
plan_diff_contact(struct plan_ctx *ctx, const struct plan_cand *c)
{
	const struct obj *o = c->ent->o;
	const char *old_ext;
	struct rs_record want;
	struct plan_op *op;
	bool moving;
	char *old_domain = NULL;
	int r;

	rs_record_init(&want);
	if ((r = plan_diff_want(ctx, c, &want)) < 0)
		goto out;
	moving = c->has_row && (ctx->row.domain == NULL ||
	    strcasecmp(ctx->row.domain, c->domain) != 0);
	if (c->has_row && !moving) {
		if (plan_diff_count(&want, &ctx->row.fields) > 0)
			r = plan_diff_update(ctx, c, &want);
		goto out;
	}
	op = plan_op_add(ctx, c->adopt ? PLAN_OP_ADOPT : PLAN_OP_CREATE,
	    c->svc, PLAN_K_CONTACT, &c->ent->guid, o->dn, c->domain, c->name);
	if (op == NULL || (op->external = strdup(c->external)) == NULL)
		goto nomem;
	if ((r = plan_diff_all(op, &want)) < 0)
		goto out;
	if (moving)
		plan_op_reason(ctx, op, "otherMailBox now names %s (was %s): "
		    "the contact moves there", c->domain,
		    ctx->row.domain != NULL ? ctx->row.domain : "");
	else if (c->adopt)
		plan_op_reason(ctx, op, "new in the Exchange group; a contact "
		    "with its name already exists in %s and is adopted",
		    c->domain);
	else
		plan_op_reason(ctx, op, "new in the Exchange group");
	if (!moving)
		goto out;
	/*
	 * A contact cannot change domain in place: it is made in the new
	 * one (above, which re-points the state row) and deleted from the
	 * old one (phase 5). This delete is half of a move, not a removal:
	 * the guard does not count or hold it, as holding it alone would
	 * leave a stray copy behind.
	 */
	if ((old_domain = plan_addr_lower(ctx->row.domain != NULL ?
	    ctx->row.domain : "")) == NULL)
		goto nomem;
	op = plan_op_add(ctx, PLAN_OP_DELETE, c->svc, PLAN_K_CONTACT,
	    &c->ent->guid, o->dn, old_domain, ctx->row.name);
	old_ext = rs_record_get(&ctx->row.fields, "externalEmail");
	if (op == NULL || (op->external = strdup(old_ext != NULL ? old_ext :
	    c->external)) == NULL)
		goto nomem;
	op->removal = false;
	plan_op_reason(ctx, op, "otherMailBox now names %s: the contact moves "
	    "out of %s", c->domain, old_domain);
	goto out;
nomem:
	r = ctx->err < 0 ? ctx->err : -ENOMEM;
out:
	free(old_domain);
	rs_record_fini(&want);
	return r < 0 ? r : 0;
}

/* ---- distribution lists ------------------------------------------------ */

/*
 * The list address of a member, when the member is synced in this plan:
 * a user with a mailbox in either service, or an Exchange contact. A
 * member whose candidate has an error but whose mailbox or contact is
 * still synced (e.g. its mail changed: "The Service ID has changed", the
 * mailbox is left alone) keeps the address it has in the service, so the
 * error does not also take it off its lists.
 */
static const char *
plan_diff_member_address(struct plan_ctx *ctx, const struct plan_ent *m)
{
	const struct plan_cand *mc;
	const struct plan_lrow *lr;
	enum plan_service s;

	for (s = 0; s < PLAN_SVC_COUNT; s++) {
		mc = plan_ent_cand(ctx, m, s);
		if (mc != NULL && mc->ok && mc->kind != PLAN_K_DL)
			return mc->address;
	}
	for (s = 0; s < PLAN_SVC_COUNT; s++) {
		mc = plan_ent_cand(ctx, m, s);
		if (mc == NULL || mc->kind == PLAN_K_DL)
			continue;
		lr = plan_rows_find(ctx, &m->guid, s);
		if (lr != NULL && lr->in_scope && lr->kind != PLAN_K_DL &&
		    lr->address != NULL)
			return lr->address;
	}
	return NULL;
}

/* The addresses the list should hold (rule 6: only members synced by this
 * plan, §9.5 "A list member is synced only if that member is itself in
 * the Exchange or Rackspace Email sync group"). */
static int
plan_diff_member_want(struct plan_ctx *ctx, const struct plan_cand *c,
    struct rs_strlist *want)
{
	const struct obj *o = c->ent->o;
	const struct obj_ref *ref;
	struct plan_ent *m;
	const char *addr, *mdn;
	struct obj_guid g;
	bool read;
	size_t i;
	int r;

	for (i = 0; i < o->member.n; i++) {
		ref = &o->member.v[i];
		g = ref->guid;
		if (obj_guid_is_zero(&g)) {
			r = ctx->src->find_dn(ctx->src->arg, ref->dn, &g);
			if (r == -ADSYNC_ENOTFOUND)
				continue;	/* a dangling reference */
			if (r < 0) {
				snprintf(ctx->why, ctx->whylen, "looking up "
				    "the member %s failed: %s", ref->dn,
				    adsync_strerror(r));
				return r;
			}
		}
		m = plan_ent_find(ctx, &g);
		if (m != NULL && m->fetched && m->gone)
			continue;
		addr = m != NULL ? plan_diff_member_address(ctx, m) : NULL;
		if (addr != NULL) {
			if ((r = rs_strlist_add(want, addr)) < 0)
				return r;
			continue;
		}
		/* The member's own DN when we read it: two spellings of
		 * one reference then give one (deduplicated) warning. */
		read = m != NULL && m->fetched && m->has_obj;
		mdn = read ? plan_ent_dn(ctx, m, ref->dn) : ref->dn;
		if (read && m->kind == OBJ_GROUP)
			plan_alert(ctx, PLAN_ALERT_WARNING, c->svc, &g, mdn,
			    "The member %s of the distribution list %s (group "
			    "%s) is a group; adsync does not nest lists, so it "
			    "is left out: add its users to %s directly",
			    mdn, c->address, o->dn, o->dn);
		else
			plan_alert(ctx, PLAN_ALERT_WARNING, c->svc, &g, mdn,
			    "The member %s of the distribution list %s (group "
			    "%s) is not synced, so it is left out of the list; "
			    "add it to the Exchange or Rackspace Email group "
			    "(and fix any error reported for it)", mdn,
			    c->address, o->dn);
	}
	plan_diff_unique(want);
	return 0;
}

/*
 * Items of `a` that are not in `b` (both sorted with plan_diff_casecmp),
 * copied into `out`. A merge, not a search per item: an "all staff" list
 * has thousands of members.
 */
static int
plan_diff_minus(char *const *a, size_t na, char *const *b, size_t nb,
    struct rs_strlist *out)
{
	size_t i = 0, j = 0;
	int c, r;

	while (i < na) {
		c = j < nb ? strcasecmp(a[i], b[j]) : -1;
		if (c > 0) {
			j++;
			continue;
		}
		if (c < 0 && (r = rs_strlist_add(out, a[i])) < 0)
			return r;
		i++;
	}
	return 0;
}

static int
plan_diff_members(struct plan_ctx *ctx, const struct plan_cand *c)
{
	const struct rs_strlist *have = c->has_row ? &ctx->row.members : NULL;
	struct rs_strlist want, add, del;
	struct plan_op *op;
	char **sorted = NULL;
	size_t nsorted = 0;
	int r;

	rs_strlist_init(&want);
	rs_strlist_init(&add);
	rs_strlist_init(&del);
	if ((r = plan_diff_member_want(ctx, c, &want)) < 0)
		goto out;
	/* A sorted view of the applied members (borrowed strings). */
	if (have != NULL && have->n > 0) {
		if ((sorted = reallocarray(NULL, have->n,
		    sizeof(*sorted))) == NULL) {
			r = -ENOMEM;
			goto out;
		}
		memcpy(sorted, have->v, have->n * sizeof(*sorted));
		nsorted = have->n;
		plan_sort(sorted, nsorted, sizeof(*sorted), plan_diff_casecmp);
	}
	if ((r = plan_diff_minus(want.v, want.n, sorted, nsorted,
	    &add)) < 0 ||
	    (r = plan_diff_minus(sorted, nsorted, want.v, want.n, &del)) < 0)
		goto out;
	if (add.n > 0) {
		op = plan_op_add(ctx, PLAN_OP_MEMBERS_ADD, c->svc, PLAN_K_DL,
		    &c->ent->guid, c->ent->o->dn, c->domain, c->name);
		if (op == NULL) {
			r = ctx->err;
			goto out;
		}
		op->values = add;
		rs_strlist_init(&add);
		plan_op_reason(ctx, op, "%s", c->has_row ? "synced members "
		    "added to the group in AD" : "the synced members of the "
		    "group");
	}
	if (del.n > 0) {
		op = plan_op_add(ctx, PLAN_OP_MEMBERS_REMOVE, c->svc,
		    PLAN_K_DL, &c->ent->guid, c->ent->o->dn, c->domain,
		    c->name);
		if (op == NULL) {
			r = ctx->err;
			goto out;
		}
		op->values = del;
		rs_strlist_init(&del);
		plan_op_reason(ctx, op, "no longer members of the group in AD, "
		    "or no longer synced");
	}
	r = 0;
out:
	free(sorted);
	rs_strlist_fini(&want);
	rs_strlist_fini(&add);
	rs_strlist_fini(&del);
	return r;
}

static int
plan_diff_dl(struct plan_ctx *ctx, const struct plan_cand *c)
{
	const struct obj *o = c->ent->o;
	struct rs_record want;
	struct plan_op *op;
	int r;

	rs_record_init(&want);
	if ((r = plan_diff_want(ctx, c, &want)) < 0)
		goto out;
	if (!c->has_row) {
		op = plan_op_add(ctx, c->adopt ? PLAN_OP_ADOPT :
		    PLAN_OP_CREATE, c->svc, PLAN_K_DL, &c->ent->guid, o->dn,
		    c->domain, c->name);
		if (op == NULL)
			goto nomem;
		if ((r = plan_diff_all(op, &want)) < 0)
			goto out;
		plan_op_reason(ctx, op, "%s", c->adopt ? "new in the Exchange "
		    "group; the list already exists in Hosted Exchange and is "
		    "adopted" : "new in the Exchange group");
	} else if (plan_diff_count(&want, &ctx->row.fields) > 0 &&
	    (r = plan_diff_update(ctx, c, &want)) < 0) {
		goto out;
	}
	r = plan_diff_members(ctx, c);
	goto out;
nomem:
	r = ctx->err;
out:
	rs_record_fini(&want);
	return r < 0 ? r : 0;
}

/*
 * The whole state row of `c` into ctx->row, for as long as it is compared
 * (only the light copies of all rows are held through a build).
 */
static int
plan_diff_row_load(struct plan_ctx *ctx, struct plan_cand *c)
{
	int r;

	if (!c->has_row)
		return 0;
	r = ctx->src->row_get(ctx->src->arg, &c->ent->guid, c->svc, &ctx->row);
	if (r == -ADSYNC_ENOTFOUND) {
		snprintf(ctx->why, ctx->whylen, "the state row of %s vanished "
		    "while planning", c->lrow->dn);
		return -ADSYNC_EPROTO;
	}
	if (r < 0)
		snprintf(ctx->why, ctx->whylen, "reading the state row of %s "
		    "failed: %s", c->lrow->dn, adsync_strerror(r));
	return r;
}

int
plan_diff_candidates(struct plan_ctx *ctx)
{
	struct plan_cand *c;
	size_t i;
	int r = 0;

	for (i = 0; i < ctx->ncands && r == 0; i++) {
		c = &ctx->cands[i];
		if (!c->ok)
			continue;
		/* The comparisons below borrow c->ent->o and ctx->row: the
		 * object is held (fetched again if it was let go of) and
		 * nothing is trimmed until the candidate is done. */
		if (plan_ent_obj(ctx, c->ent) == NULL) {
			r = ctx->err < 0 ? ctx->err : -ADSYNC_EPROTO;
			break;
		}
		if ((r = plan_diff_row_load(ctx, c)) < 0)
			break;
		switch (c->kind) {
		case PLAN_K_MAILBOX:
			r = plan_diff_mailbox(ctx, c);
			break;
		case PLAN_K_CONTACT:
			r = plan_diff_contact(ctx, c);
			break;
		default:
			r = plan_diff_dl(ctx, c);
			break;
		}
		plan_row_fini(&ctx->row);
		plan_row_init(&ctx->row);
		plan_ent_trim(ctx);
		if (r == 0)
			r = plan_flush(ctx);
	}
	if (r == 0)
		r = ctx->err;
	return r;
}

/* ---- rows no candidate claims ----------------------------------------- */

static void
plan_diff_gone_reason(struct plan_ctx *ctx, struct plan_op *op,
    const struct plan_lrow *l, const struct plan_ent *e)
{
	enum plan_service os = plan_service_other(l->svc);

	if (e->gone) {
		plan_op_reason(ctx, op, "deleted in AD");
		return;
	}
	if (l->kind == PLAN_K_MAILBOX && e->kind == OBJ_USER &&
	    (e->member_of & (1u << os)) != 0) {
		plan_op_reason(ctx, op, "now in the %s group (a user has a "
		    "mailbox in one service only)", plan_group_title(os));
		return;
	}
	if (l->kind == PLAN_K_DL && (e->member_of & (1u << l->svc)) != 0 &&
	    e->mail == NULL) {
		plan_op_reason(ctx, op, "the group no longer has mail");
		return;
	}
	plan_op_reason(ctx, op, "left the %s group", plan_group_title(l->svc));
}

/* A contact about to be deleted is shown by its external address, which
 * only its full state row knows. */
static int
plan_diff_unseen_external(struct plan_ctx *ctx, const struct plan_lrow *l,
    struct plan_op *op)
{
	struct plan_row row;
	const char *ext;
	int r;

	plan_row_init(&row);
	r = ctx->src->row_get(ctx->src->arg, &l->anchor, l->svc, &row);
	if (r == -ADSYNC_ENOTFOUND) {
		r = 0;
	} else if (r < 0) {
		snprintf(ctx->why, ctx->whylen, "reading the state row of %s "
		    "failed: %s", l->dn, adsync_strerror(r));
	} else if ((ext = rs_record_get(&row.fields, "externalEmail")) !=
	    NULL && ext[0] != '\0' && (op->external = strdup(ext)) == NULL) {
		r = -ENOMEM;
	}
	plan_row_fini(&row);
	return r;
}

int
plan_diff_unseen(struct plan_ctx *ctx)
{
	const struct plan_lrow *l;
	struct plan_ent *e;
	struct plan_op *op;
	size_t i;
	int r;

	for (i = 0; i < ctx->nrows; i++) {
		l = &ctx->rows[i];
		if (!plan_in_focus(ctx, &l->anchor))
			continue;	/* not looked at by a focused plan */
		e = plan_ent_find(ctx, &l->anchor);
		if (e != NULL && e->cand[l->svc] != 0)
			continue;	/* seen: a candidate, ok or not */
		/* Already disabled when it left: nothing more to do. */
		if (l->kind == PLAN_K_MAILBOX && !l->in_scope)
			continue;
		if (e == NULL && (e = plan_ent_add(ctx, &l->anchor)) == NULL)
			return -ENOMEM;
		if ((r = plan_ent_fetch(ctx, e)) < 0)
			return r;
		/*
		 * The key behaviour (§9.4): a user that leaves scope keeps
		 * the mailbox, disabled, never deleted — deleting is a
		 * manual step in the Control Panel, to prevent accidental
		 * loss. Lists and contacts that leave are deleted.
		 */
		op = plan_op_add(ctx, l->kind == PLAN_K_MAILBOX ?
		    PLAN_OP_DISABLE : PLAN_OP_DELETE, l->svc, l->kind,
		    &l->anchor, e->gone ? l->dn : plan_ent_dn(ctx, e, l->dn),
		    l->domain, l->name);
		if (op == NULL)
			return ctx->err;
		if (l->kind == PLAN_K_MAILBOX) {
			if ((r = plan_diff_enabled(op, l->enabled ? "true" :
			    "false", false)) < 0)
				return r;
			op->leaves_scope = true;
			op->removal = l->enabled;
		} else {
			op->removal = true;
		}
		plan_diff_gone_reason(ctx, op, l, e);
		if (l->kind == PLAN_K_CONTACT &&
		    (r = plan_diff_unseen_external(ctx, l, op)) < 0)
			return r;
		plan_ent_trim(ctx);
		if ((r = plan_flush(ctx)) < 0)
			return r;
	}
	return ctx->err;
}
