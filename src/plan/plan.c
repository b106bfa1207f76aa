/*
 * plan_build(): the order of the stages (docs/plan.md), and the helpers
 * every stage uses to add ops and alerts; plan_free(). Pure: the source
 * callbacks are the only way out, and the thread that calls plan_build()
 * is the only one that touches the context. Directory values are
 * untrusted; they are checked in plan_addr.c and plan_diff.c before they
 * become an op.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "plan_internal.h"

/* Longest alert message we keep (DNs are at most OBJ_DN_MAX; values in
 * messages are quoted with plan_quote()). */
#define PLAN_MESSAGE_MAX (3 * OBJ_DN_MAX)

const char *
plan_service_title(enum plan_service s)
{
	return s == PLAN_SVC_EX ? "Hosted Exchange" : "Rackspace Email";
}

const char *
plan_group_title(enum plan_service s)
{
	return s == PLAN_SVC_EX ? "Exchange" : "Rackspace Email";
}

enum plan_service
plan_service_other(enum plan_service s)
{
	return s == PLAN_SVC_EX ? PLAN_SVC_RS : PLAN_SVC_EX;
}

const char *
plan_quote(const char *s, char *out, size_t outlen)
{
	size_t len = strlen(s), cut;

	if (len <= PLAN_QUOTE_MAX || outlen < PLAN_QUOTE_MAX + 4) {
		snprintf(out, outlen, "%s", s);
		return out;
	}
	/* Never cut inside a UTF-8 sequence: back up to its lead byte so
	 * that the message stays valid UTF-8 (JSON needs it). */
	cut = PLAN_QUOTE_MAX;
	while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
		cut--;
	snprintf(out, outlen, "%.*s...", (int)cut, s);
	return out;
}

void
plan_sort(void *base, size_t n, size_t size,
    int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

/* ---- ops ------------------------------------------------------------ */

void
plan_op_fini(struct plan_op *op)
{
	size_t i;

	if (op == NULL)
		return;
	free(op->dn);
	free(op->domain);
	free(op->name);
	free(op->external);
	free(op->reason);
	rs_record_fini(&op->fields);
	for (i = 0; i < op->nchanges; i++) {
		free(op->changes[i].field);
		free(op->changes[i].old);
		free(op->changes[i].new);
	}
	free(op->changes);
	rs_strlist_fini(&op->values);
	memset(op, 0, sizeof(*op));
}

/* Apply order (plan.h, rule 10). */
static unsigned
plan_op_phase(enum plan_opkind op, enum plan_kind kind)
{
	switch (op) {
	case PLAN_OP_ADDRESS_ADD:
	case PLAN_OP_ADDRESS_REMOVE:
		return 1;
	case PLAN_OP_MEMBERS_ADD:
	case PLAN_OP_MEMBERS_REMOVE:
		return 4;
	case PLAN_OP_DELETE:
		return 5;
	default:
		break;
	}
	if (kind == PLAN_K_CONTACT)
		return 2;
	if (kind == PLAN_K_DL)
		return 3;
	return 0;
}

struct plan_op *
plan_op_add(struct plan_ctx *ctx, enum plan_opkind kind,
    enum plan_service svc, enum plan_kind k, const struct obj_guid *anchor,
    const char *dn, const char *domain, const char *name)
{
	struct plan *p = ctx->p;
	struct plan_op *op, *nv;
	size_t ncap;

	if (p->nops == p->ops_cap) {
		ncap = p->ops_cap ? p->ops_cap * 2 : 32;
		if ((nv = reallocarray(p->ops, ncap, sizeof(*nv))) == NULL) {
			ctx->err = -ENOMEM;
			return NULL;
		}
		p->ops = nv;
		p->ops_cap = ncap;
	}
	op = &p->ops[p->nops];
	memset(op, 0, sizeof(*op));
	rs_record_init(&op->fields);
	rs_strlist_init(&op->values);
	op->op = kind;
	op->service = svc;
	op->kind = k;
	op->anchor = *anchor;
	op->phase = plan_op_phase(kind, k);
	op->dn = strdup(dn != NULL ? dn : "");
	op->domain = strdup(domain != NULL ? domain : "");
	op->name = strdup(name != NULL ? name : "");
	if (op->dn == NULL || op->domain == NULL || op->name == NULL) {
		plan_op_fini(op);
		ctx->err = -ENOMEM;
		return NULL;
	}
	p->nops++;
	return op;
}

int
plan_op_field(struct plan_op *op, const char *field, const char *old,
    const char *new)
{
	struct plan_change *nv, *c;
	int r;

	/* SECURITY: a plan is printed, journaled and shown in the web
	 * console; a password never enters it. New mailboxes get theirs
	 * from the applier, which makes it at apply time. */
	if (strcmp(field, "password") == 0)
		return -EINVAL;
	if ((r = rs_record_set(&op->fields, field, new)) < 0)
		return r;
	nv = reallocarray(op->changes, op->nchanges + 1, sizeof(*nv));
	if (nv == NULL)
		return -ENOMEM;
	op->changes = nv;
	c = &op->changes[op->nchanges];
	c->field = strdup(field);
	c->old = strdup(old != NULL ? old : "");
	c->new = strdup(new != NULL ? new : "");
	if (c->field == NULL || c->old == NULL || c->new == NULL) {
		free(c->field);
		free(c->old);
		free(c->new);
		return -ENOMEM;
	}
	op->nchanges++;
	return 0;
}

/* vasprintf with our bound; NULL on ENOMEM. */
static char *
plan_vformat(const char *fmt, va_list ap)
{
	va_list aq;
	char *s;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return NULL;
	if ((size_t)n > PLAN_MESSAGE_MAX)
		n = PLAN_MESSAGE_MAX;
	if ((s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

void
plan_op_reason(struct plan_ctx *ctx, struct plan_op *op, const char *fmt,
    ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = plan_vformat(fmt, ap);
	va_end(ap);
	if (s == NULL) {
		ctx->err = -ENOMEM;
		return;
	}
	free(op->reason);
	op->reason = s;
}

void
plan_alert(struct plan_ctx *ctx, enum plan_level level,
    enum plan_service svc, const struct obj_guid *anchor, const char *dn,
    const char *fmt, ...)
{
	struct plan *p = ctx->p;
	struct plan_alert *a, *nv;
	size_t ncap;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = plan_vformat(fmt, ap);
	va_end(ap);
	if (msg == NULL)
		goto nomem;
	if (p->nalerts == p->alerts_cap) {
		ncap = p->alerts_cap ? p->alerts_cap * 2 : 16;
		if ((nv = reallocarray(p->alerts, ncap, sizeof(*nv))) == NULL) {
			free(msg);
			goto nomem;
		}
		p->alerts = nv;
		p->alerts_cap = ncap;
	}
	a = &p->alerts[p->nalerts];
	memset(a, 0, sizeof(*a));
	a->level = level;
	a->service = svc;
	if (anchor != NULL)
		a->anchor = *anchor;
	a->message = msg;
	if ((a->dn = strdup(dn != NULL ? dn : "")) == NULL) {
		free(msg);
		goto nomem;
	}
	p->nalerts++;
	return;
nomem:
	ctx->err = -ENOMEM;
}

/* ---- order and counts ----------------------------------------------- */

/* Rule 10: (phase, service, kind, domain, name, op), then the anchor and
 * the first value so that equal keys still sort the same every time. */
int
plan_op_order(const struct plan_op *x, const struct plan_op *y)
{
	int c;

	if (x->phase != y->phase)
		return x->phase < y->phase ? -1 : 1;
	if (x->service != y->service)
		return x->service < y->service ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if ((c = strcmp(x->domain, y->domain)) != 0)
		return c;
	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	if (x->op != y->op)
		return x->op < y->op ? -1 : 1;
	if ((c = memcmp(x->anchor.b, y->anchor.b, 16)) != 0)
		return c;
	if (x->values.n > 0 && y->values.n > 0)
		return strcmp(x->values.v[0], y->values.v[0]);
	return 0;
}

static int
plan_op_cmp(const void *a, const void *b)
{
	return plan_op_order(a, b);
}

size_t
plan_nops_all(const struct plan *p)
{
	return p == NULL ? 0 : p->nops + p->nspilled;
}

int
plan_flush(struct plan_ctx *ctx)
{
	struct plan *p = ctx->p;
	struct plan_op op;
	size_t i, j;
	int r = 0;

	if (ctx->opts->sink == NULL)
		return 0;
	for (i = j = ctx->flushed; i < p->nops; i++) {
		if (p->ops[i].removal || r < 0) {
			p->ops[j++] = p->ops[i];
			continue;
		}
		op = p->ops[i];
		p->counts.op[op.op]++;
		p->nspilled++;
		if ((r = ctx->opts->sink(ctx->opts->sink_arg, &op)) < 0)
			snprintf(ctx->why, ctx->whylen, "keeping the plan's "
			    "operations failed: %s", adsync_strerror(r));
	}
	p->nops = j;
	ctx->flushed = j;
	return r;
}

/* Alerts: errors, then warnings, then the held notice; by service, DN
 * and message within a level. */
static int
plan_alert_cmp(const void *a, const void *b)
{
	const struct plan_alert *x = a, *y = b;
	int c;

	if (x->level != y->level)
		return x->level < y->level ? -1 : 1;
	if (x->service != y->service)
		return x->service < y->service ? -1 : 1;
	if ((c = strcmp(x->dn, y->dn)) != 0)
		return c;
	return strcmp(x->message, y->message);
}

/* The same alert twice (a member listed twice under two DN spellings)
 * is said once. `p->alerts` is sorted. */
static void
plan_alert_unique(struct plan *p)
{
	struct plan_alert *a = p->alerts;
	size_t i, j = 0;

	for (i = 0; i < p->nalerts; i++) {
		if (j > 0 && a[j - 1].level == a[i].level &&
		    a[j - 1].service == a[i].service &&
		    obj_guid_equal(&a[j - 1].anchor, &a[i].anchor) &&
		    strcmp(a[j - 1].dn, a[i].dn) == 0 &&
		    strcmp(a[j - 1].message, a[i].message) == 0) {
			free(a[i].dn);
			free(a[i].message);
			continue;
		}
		a[j++] = a[i];
	}
	p->nalerts = j;
}

static void
plan_count(struct plan_ctx *ctx)
{
	struct plan *p = ctx->p;
	size_t i;

	for (i = 0; i < p->nops; i++)
		p->counts.op[p->ops[i].op]++;
	for (i = 0; i < p->nalerts; i++)
		p->counts.alerts[p->alerts[i].level]++;
	for (i = 0; i < ctx->ncands; i++)
		p->counts.in_scope[ctx->cands[i].svc][ctx->cands[i].kind]++;
	p->counts.held = ctx->nheld;
}

/* ---- the build ------------------------------------------------------- */

static void
plan_ctx_fini(struct plan_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->ncands; i++) {
		free(ctx->cands[i].address);	/* name, domain too */
		free(ctx->cands[i].external);
		free(ctx->cands[i].prev_owner);
	}
	plan_row_fini(&ctx->row);
	free(ctx->cands);
	free(ctx->claims);
	for (i = 0; i < PLAN_SVC_COUNT; i++)
		free(ctx->members[i]);
	plan_ent_free_all(ctx);
	plan_rows_free(ctx);
	for (i = 0; i < ctx->ndomains; i++)
		free(ctx->domains[i]);
	free(ctx->domains);
	free(ctx->domain_list);
	for (i = 0; i < ctx->nheld; i++)
		plan_op_fini(&ctx->held[i]);
	free(ctx->held);
}

static int
plan_guid_cmp(const void *a, const void *b)
{
	return memcmp(((const struct obj_guid *)a)->b,
	    ((const struct obj_guid *)b)->b, 16);
}

bool
plan_in_focus(const struct plan_ctx *ctx, const struct obj_guid *g)
{
	return ctx->opts->focus == NULL || bsearch(g, ctx->opts->focus,
	    ctx->opts->nfocus, sizeof(*g), plan_guid_cmp) != NULL;
}

int
plan_build(const struct plan_source *src, const struct plan_opts *opts,
    struct plan **out, char *why, size_t whylen)
{
	struct plan_ctx ctx;
	const char *where = "starting";
	int r;

	if (src == NULL || opts == NULL || opts->conf == NULL || out == NULL ||
	    src->find_dn == NULL || src->get == NULL ||
	    src->row_get == NULL || src->row_each == NULL) {
		snprintf(why, whylen, "plan_build: incomplete arguments");
		return -EINVAL;
	}
	memset(&ctx, 0, sizeof(ctx));
	plan_row_init(&ctx.row);
	ctx.src = src;
	ctx.opts = opts;
	ctx.conf = opts->conf;
	ctx.why = why;
	ctx.whylen = whylen;
	if (whylen > 0)
		why[0] = '\0';
	if ((ctx.p = calloc(1, sizeof(*ctx.p))) == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	if (ctx.conf->exchange_group != NULL &&
	    ctx.conf->exchange_group[0] != '\0')
		ctx.group_dn[PLAN_SVC_EX] = ctx.conf->exchange_group;
	if (ctx.conf->rackspace_email_group != NULL &&
	    ctx.conf->rackspace_email_group[0] != '\0')
		ctx.group_dn[PLAN_SVC_RS] = ctx.conf->rackspace_email_group;

	where = "reading the domains";
	if ((r = plan_addr_domains(&ctx)) < 0)
		goto fail;
	where = "reading the state";
	if ((r = plan_rows_load(&ctx)) < 0)
		goto fail;
	where = "reading the sync groups";
	if ((r = plan_scope_read(&ctx)) < 0)
		goto fail;
	where = "classifying members";
	if ((r = plan_scope_classify(&ctx)) < 0)
		goto fail;
	/* Before anything is decided: a read that shows nothing must not
	 * turn into a disable of everything (rule 9). A focused plan
	 * collects only its own objects: the groups' members were counted
	 * by the full plan that settled before. */
	if (opts->focus == NULL && (r = plan_guard_empty(&ctx)) < 0)
		goto fail;
	if (opts->focus != NULL && ctx.conf->sync_proxy_addresses) {
		snprintf(why, whylen, "alternate addresses are synced: plan in "
		    "full");
		r = -ADSYNC_ERESYNC;
		goto fail;
	}
	where = "checking identities";
	if ((r = plan_check_identities(&ctx)) < 0)
		goto fail;
	where = "comparing";
	if ((r = plan_diff_candidates(&ctx)) < 0)
		goto fail;
	where = "finding removals";
	if ((r = plan_diff_unseen(&ctx)) < 0)
		goto fail;
	where = "checking the limits";
	if ((r = plan_flush(&ctx)) < 0 || (r = plan_guard_apply(&ctx)) < 0)
		goto fail;
	if ((r = ctx.err) < 0)
		goto fail;

	plan_sort(ctx.p->ops, ctx.p->nops, sizeof(*ctx.p->ops), plan_op_cmp);
	plan_sort(ctx.held, ctx.nheld, sizeof(*ctx.held), plan_op_cmp);
	plan_sort(ctx.p->alerts, ctx.p->nalerts, sizeof(*ctx.p->alerts),
	    plan_alert_cmp);
	plan_alert_unique(ctx.p);
	plan_count(&ctx);
	ctx.p->held_ops = ctx.held;
	ctx.p->nheld = ctx.nheld;
	ctx.held = NULL;
	ctx.nheld = 0;
	*out = ctx.p;
	ctx.p = NULL;
	plan_ctx_fini(&ctx);
	return 0;
fail:
	if (r == -ENOMEM || (whylen > 0 && why[0] == '\0'))
		snprintf(why, whylen, "planning failed while %s: %s", where,
		    adsync_strerror(r));
	plan_free(ctx.p);
	plan_ctx_fini(&ctx);
	return r;
}

void
plan_free(struct plan *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nops; i++)
		plan_op_fini(&p->ops[i]);
	free(p->ops);
	for (i = 0; i < p->nheld; i++)
		plan_op_fini(&p->held_ops[i]);
	free(p->held_ops);
	free(p->rejected_seen);
	for (i = 0; i < p->nalerts; i++) {
		free(p->alerts[i].dn);
		free(p->alerts[i].message);
	}
	free(p->alerts);
	free(p);
}
