/*
 * The planner's test world (see plan_fixture.h): a parser for the fixture
 * format, a struct plan_source over it, and a fake applier that checks
 * the plan's invariants. Test code: allocation failure aborts (xmalloc).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "plan_fixture.h"
#include "xmalloc.h"

#define FX_DEFAULT_EX "CN=Hosted Exchange Users,OU=Groups,DC=example,DC=test"
#define FX_DEFAULT_RS "CN=Rackspace Email Users,OU=Groups,DC=example,DC=test"

void
fixture_init(struct fixture *fx)
{
	memset(fx, 0, sizeof(*fx));
	fx->conf.exchange_group = xstrdup(FX_DEFAULT_EX);
	fx->conf.rackspace_email_group = xstrdup(FX_DEFAULT_RS);
	fx->conf.domains = xstrdup("example.com");
	fx->conf.state_dir = xstrdup(":memory:");
	fx->conf.exchange_mailbox_size = 102400;
	fx->conf.rackspace_email_mailbox_size = 25600;
	fx->conf.interval = 300;
	fx->conf.max_deletes = 500;
	fx->conf.max_delete_percent = 10;
	fx->next_guid = 1;
	fx->rounds = 1;
	fx->log = open_memstream(&fx->logbuf, &fx->loglen);
	if (fx->log == NULL)
		abort();
}

static void
fx_obj_fini(struct fx_obj *f)
{
	size_t i;

	obj_free(f->o);
	for (i = 0; i < f->nmembers; i++)
		free(f->members[i]);
	free(f->members);
	free(f->noguid);
	memset(f, 0, sizeof(*f));
}

void
fixture_fini(struct fixture *fx)
{
	size_t i;

	for (i = 0; i < fx->nobjs; i++)
		fx_obj_fini(&fx->objs[i]);
	free(fx->objs);
	for (i = 0; i < fx->ndecided; i++)
		free(fx->decided_spec[i]);
	for (i = 0; i < fx->nrows; i++)
		plan_row_fini(&fx->rows[i]);
	free(fx->rows);
	for (i = 0; i < fx->ntargets; i++) {
		free(fx->targets[i].domain);
		free(fx->targets[i].name);
	}
	free(fx->targets);
	free(fx->conf.exchange_group);
	free(fx->conf.rackspace_email_group);
	free(fx->conf.domains);
	free(fx->conf.state_dir);
	if (fx->log != NULL)
		fclose(fx->log);
	free(fx->logbuf);
	memset(fx, 0, sizeof(*fx));
}

const char *
fixture_log(struct fixture *fx)
{
	fflush(fx->log);
	return fx->logbuf != NULL ? fx->logbuf : "";
}

static int
fx_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- lookups ---------------------------------------------------------- */

static struct fx_obj *
fx_find_dn(struct fixture *fx, const char *dn, bool tombstones)
{
	size_t i;

	for (i = 0; i < fx->nobjs; i++)
		if (strcasecmp(fx->objs[i].o->dn, dn) == 0 &&
		    (tombstones || !fx->objs[i].o->deleted))
			return &fx->objs[i];
	return NULL;
}

static struct fx_obj *
fx_find_guid(struct fixture *fx, const struct obj_guid *g)
{
	size_t i;

	for (i = 0; i < fx->nobjs; i++)
		if (obj_guid_equal(&fx->objs[i].o->guid, g))
			return &fx->objs[i];
	return NULL;
}

static struct plan_row *
fx_row(struct fixture *fx, const struct obj_guid *g, enum plan_service s)
{
	size_t i;

	for (i = 0; i < fx->nrows; i++)
		if (obj_guid_equal(&fx->rows[i].anchor, g) &&
		    fx->rows[i].service == s)
			return &fx->rows[i];
	return NULL;
}

static struct fx_target *
fx_target(struct fixture *fx, enum plan_service s, const char *domain,
    const char *name)
{
	size_t i;

	for (i = 0; i < fx->ntargets; i++)
		if (fx->targets[i].svc == s &&
		    strcasecmp(fx->targets[i].domain, domain) == 0 &&
		    strcasecmp(fx->targets[i].name, name) == 0)
			return &fx->targets[i];
	return NULL;
}

static void
fx_target_add(struct fixture *fx, enum plan_service s, enum plan_kind k,
    const char *domain, const char *name)
{
	struct fx_target *t;

	fx->targets = xreallocarray(fx->targets, fx->ntargets + 1,
	    sizeof(*fx->targets));
	t = &fx->targets[fx->ntargets++];
	t->svc = s;
	t->kind = k;
	t->domain = xstrdup(domain);
	t->name = xstrdup(name);
}

static void
fx_target_del(struct fixture *fx, struct fx_target *t)
{
	size_t i = (size_t)(t - fx->targets);

	free(t->domain);
	free(t->name);
	memmove(t, t + 1, (fx->ntargets - i - 1) * sizeof(*t));
	fx->ntargets--;
}

/* ---- the source ---------------------------------------------------- */

static bool
fx_fail(const struct fixture *fx, const char *cb)
{
	return fx->fail_cb != NULL && strcmp(fx->fail_cb, cb) == 0;
}

static int
fx_src_find_dn(void *arg, const char *dn, struct obj_guid *out)
{
	struct fixture *fx = arg;
	struct fx_obj *f;

	if (fx_fail(fx, "find_dn"))
		return fx->fail_code;
	if ((f = fx_find_dn(fx, dn, false)) == NULL)
		return -ADSYNC_ENOTFOUND;
	*out = f->o->guid;
	return 0;
}

static struct obj *
fx_obj_dup(struct fixture *fx, const struct fx_obj *f)
{
	const struct obj *o = f->o;
	struct fx_obj *m;
	struct obj *c = obj_new();
	size_t a, i;

	c->guid = o->guid;
	c->kind = o->kind;
	c->deleted = o->deleted;
	c->uac = o->uac;
	c->group_type = o->group_type;
	c->held = o->held;
	memcpy(c->held_why, o->held_why, sizeof(c->held_why));
	if (obj_dn_set(c, o->dn, strlen(o->dn)) < 0)
		abort();
	for (a = 0; a < OBJ_A_COUNT; a++)
		for (i = 0; i < o->attrs[a].n; i++)
			if (obj_value_add(c, (enum obj_attr)a, o->attrs[a].v[i],
			    strlen(o->attrs[a].v[i])) < 0)
				abort();
	for (i = 0; i < f->nmembers; i++) {
		m = f->noguid[i] ? NULL : fx_find_dn(fx, f->members[i], false);
		if (obj_ref_add(&c->member, m != NULL ? &m->o->guid : NULL,
		    f->members[i], strlen(f->members[i])) < 0)
			abort();
	}
	c->member_present = f->nmembers > 0;
	return c;
}

static int
fx_src_get(void *arg, const struct obj_guid *g, struct obj **out)
{
	struct fixture *fx = arg;
	struct fx_obj *f;

	fx->gets++;
	if (fx_fail(fx, "get"))
		return fx->fail_code;
	if ((f = fx_find_guid(fx, g)) == NULL)
		return -ADSYNC_ENOTFOUND;
	*out = fx_obj_dup(fx, f);
	return 0;
}

static void
fx_row_copy(struct plan_row *dst, const struct plan_row *src)
{
	size_t i;

	dst->anchor = src->anchor;
	dst->service = src->service;
	dst->kind = src->kind;
	dst->dn = xstrdup(src->dn != NULL ? src->dn : "");
	dst->domain = xstrdup(src->domain != NULL ? src->domain : "");
	dst->name = xstrdup(src->name != NULL ? src->name : "");
	if (rs_record_copy(&dst->fields, &src->fields) < 0)
		abort();
	dst->enabled = src->enabled;
	dst->in_scope = src->in_scope;
	for (i = 0; i < src->members.n; i++)
		if (rs_strlist_add(&dst->members, src->members.v[i]) < 0)
			abort();
	for (i = 0; i < src->addresses.n; i++)
		if (rs_strlist_add(&dst->addresses, src->addresses.v[i]) < 0)
			abort();
}

static int
fx_src_row_get(void *arg, const struct obj_guid *anchor, enum plan_service s,
    struct plan_row *out)
{
	struct fixture *fx = arg;
	struct plan_row *r;

	if (fx_fail(fx, "row_get"))
		return fx->fail_code;
	if ((r = fx_row(fx, anchor, s)) == NULL)
		return -ADSYNC_ENOTFOUND;
	fx_row_copy(out, r);
	return 0;
}

static int
fx_row_cmp(const void *a, const void *b)
{
	const struct plan_row *x = *(struct plan_row *const *)a;
	const struct plan_row *y = *(struct plan_row *const *)b;
	int c = memcmp(x->anchor.b, y->anchor.b, 16);

	if (c != 0)
		return c;
	return (int)x->service - (int)y->service;
}

static int
fx_src_row_each(void *arg, int (*fn)(const struct plan_row *, void *),
    void *fnarg)
{
	struct fixture *fx = arg;
	struct plan_row **v;
	size_t i;
	int r = 0;

	if (fx_fail(fx, "row_each"))
		return fx->fail_code;
	v = xcalloc(fx->nrows + 1, sizeof(*v));
	for (i = 0; i < fx->nrows; i++)
		v[i] = &fx->rows[i];
	if (fx->nrows > 1)
		qsort(v, fx->nrows, sizeof(*v), fx_row_cmp);
	for (i = 0; i < fx->nrows && r == 0; i++)
		r = fn(v[i], fnarg);
	free(v);
	return r;
}

static int
fx_src_target_find(void *arg, enum plan_service s, const char *domain,
    const char *name, enum plan_kind *kind)
{
	struct fixture *fx = arg;
	struct fx_target *t;

	if (fx_fail(fx, "target_find"))
		return fx->fail_code;
	if ((t = fx_target(fx, s, domain, name)) == NULL)
		return 0;
	*kind = t->kind;
	return 1;
}

void
fixture_source(struct fixture *fx, struct plan_source *src)
{
	memset(src, 0, sizeof(*src));
	src->arg = fx;
	src->find_dn = fx_src_find_dn;
	src->get = fx_src_get;
	src->row_get = fx_src_row_get;
	src->row_each = fx_src_row_each;
	src->target_find = fx->offline ? NULL : fx_src_target_find;
}

void
fixture_opts(struct fixture *fx, struct plan_opts *opts)
{
	struct plan_opkey k;
	struct fx_obj *o;
	char dn[512], svc[8], op[16];
	size_t i;

	memset(opts, 0, sizeof(*opts));
	opts->conf = &fx->conf;
	opts->allow_deletes = fx->allow_deletes;
	opts->approved = fx->approved;
	opts->rejected = fx->rejected;
	for (i = 0; i < fx->ndecided; i++) {
		if (sscanf(fx->decided_spec[i], "%511[^|]|%7[^|]|%15s", dn, svc,
		    op) != 3 || (o = fx_find_dn(fx, dn, true)) == NULL)
			continue;	/* the golden output shows it ignored */
		k.anchor = o->o->guid;
		k.service = strcmp(svc, "rs") == 0 ? PLAN_SVC_RS : PLAN_SVC_EX;
		k.op = strcmp(op, "delete") == 0 ? PLAN_OP_DELETE :
		    PLAN_OP_DISABLE;
		if (fx->decided_reject[i])
			fx->rejected[opts->nrejected++] = k;
		else
			fx->approved[opts->napproved++] = k;
	}
}

/* ---- the fake applier --------------------------------------------------- */

static int
fx_merge_fields(struct plan_row *row, const struct rs_record *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		if (strcmp(f->v[i].name, "enabled") == 0 ||
		    strcmp(f->v[i].name, "size") == 0)
			continue;
		if (rs_record_set(&row->fields, f->v[i].name,
		    f->v[i].value) < 0)
			return -1;
	}
	return 0;
}

static void
fx_list_del(struct rs_strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (strcasecmp(l->v[i], s) != 0)
			continue;
		free(l->v[i]);
		memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) *
		    sizeof(*l->v));
		l->n--;
		return;
	}
}

static struct plan_row *
fx_row_new(struct fixture *fx)
{
	struct plan_row *r;

	fx->rows = xreallocarray(fx->rows, fx->nrows + 1, sizeof(*fx->rows));
	r = &fx->rows[fx->nrows++];
	plan_row_init(r);
	return r;
}

static void
fx_row_del(struct fixture *fx, struct plan_row *r)
{
	size_t i = (size_t)(r - fx->rows);

	plan_row_fini(r);
	memmove(r, r + 1, (fx->nrows - i - 1) * sizeof(*r));
	fx->nrows--;
}

/* Invariants every op must meet, whatever the rules decided. */
static int
fx_check_op(const struct plan_op *op, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < op->fields.n; i++) {
		if (strcasecmp(op->fields.v[i].name, "password") == 0)
			return fx_err(err, errlen, "a password in the plan");
		if (strlen(op->fields.v[i].value) > 256)
			return fx_err(err, errlen, "field %s too long",
			    op->fields.v[i].name);
	}
	if (op->op == PLAN_OP_DELETE && op->kind == PLAN_K_MAILBOX)
		return fx_err(err, errlen, "a mailbox delete");
	if (op->kind != PLAN_K_MAILBOX && op->service != PLAN_SVC_EX)
		return fx_err(err, errlen, "a %s in Rackspace Email",
		    plan_kind_name(op->kind));
	if ((op->op == PLAN_OP_ADDRESS_ADD || op->op == PLAN_OP_ADDRESS_REMOVE)
	    && (op->values.n != 1 || op->kind != PLAN_K_MAILBOX ||
	    op->service != PLAN_SVC_EX))
		return fx_err(err, errlen, "a bad address op");
	if ((op->op == PLAN_OP_MEMBERS_ADD || op->op == PLAN_OP_MEMBERS_REMOVE)
	    && (op->values.n == 0 || op->kind != PLAN_K_DL))
		return fx_err(err, errlen, "a bad members op");
	if (op->reason == NULL || op->reason[0] == '\0')
		return fx_err(err, errlen, "an op without a reason");
	if (op->domain[0] == '\0' || op->name[0] == '\0')
		return fx_err(err, errlen, "an op without an address");
	if ((op->op == PLAN_OP_CREATE || op->op == PLAN_OP_ADOPT) &&
	    op->kind != PLAN_K_MAILBOX && op->service == PLAN_SVC_EX &&
	    (rs_record_get(&op->fields, "displayName") == NULL ||
	    rs_record_get(&op->fields, "displayName")[0] == '\0'))
		return fx_err(err, errlen, "an Exchange object without a "
		    "display name");
	return 0;
}

static int
fx_apply_one(struct fixture *fx, const struct plan_op *op, char *err,
    size_t errlen)
{
	struct plan_row *row = fx_row(fx, &op->anchor, op->service);
	struct fx_target *t = fx_target(fx, op->service, op->domain,
	    op->name);
	const char *en;
	size_t i;

	if (fx_check_op(op, err, errlen) < 0)
		return -1;
	switch (op->op) {
	case PLAN_OP_CREATE:
	case PLAN_OP_ADOPT:
		if (op->op == PLAN_OP_CREATE && t != NULL)
			return fx_err(err, errlen, "create of %s@%s, which "
			    "exists", op->name, op->domain);
		if (op->op == PLAN_OP_ADOPT && (t == NULL ||
		    t->kind != op->kind))
			return fx_err(err, errlen, "adoption of %s@%s, which "
			    "is not there", op->name, op->domain);
		if (op->kind == PLAN_K_MAILBOX && op->op == PLAN_OP_CREATE &&
		    rs_record_get(&op->fields, "size") == NULL)
			return fx_err(err, errlen, "a mailbox without size");
		if (t == NULL)
			fx_target_add(fx, op->service, op->kind, op->domain,
			    op->name);
		if (row == NULL)
			row = fx_row_new(fx);
		else
			plan_row_fini(row);
		row->anchor = op->anchor;
		row->service = op->service;
		row->kind = op->kind;
		row->dn = xstrdup(op->dn);
		row->domain = xstrdup(op->domain);
		row->name = xstrdup(op->name);
		en = rs_record_get(&op->fields, "enabled");
		row->enabled = en == NULL || strcmp(en, "false") != 0;
		row->in_scope = true;
		return fx_merge_fields(row, &op->fields);
	case PLAN_OP_UPDATE:
	case PLAN_OP_ENABLE:
	case PLAN_OP_DISABLE:
		if (row == NULL || strcasecmp(row->name, op->name) != 0 ||
		    strcasecmp(row->domain, op->domain) != 0)
			return fx_err(err, errlen, "%s of %s@%s without its "
			    "row", plan_opkind_name(op->op), op->name,
			    op->domain);
		if (t == NULL)
			return fx_err(err, errlen, "%s of %s@%s, which is not "
			    "in the service", plan_opkind_name(op->op),
			    op->name, op->domain);
		if (op->op != PLAN_OP_UPDATE) {
			if (op->kind != PLAN_K_MAILBOX)
				return fx_err(err, errlen, "enable/disable of "
				    "a %s", plan_kind_name(op->kind));
			en = rs_record_get(&op->fields, "enabled");
			if (en == NULL || strcmp(en, op->op == PLAN_OP_ENABLE ?
			    "true" : "false") != 0)
				return fx_err(err, errlen, "%s without "
				    "enabled", plan_opkind_name(op->op));
			row->enabled = op->op == PLAN_OP_ENABLE;
			row->in_scope = op->op == PLAN_OP_ENABLE ||
			    !op->leaves_scope;
		}
		free(row->dn);
		row->dn = xstrdup(op->dn);
		return fx_merge_fields(row, &op->fields);
	case PLAN_OP_DELETE:
		if (t == NULL)
			return fx_err(err, errlen, "delete of %s@%s, which is "
			    "not there", op->name, op->domain);
		fx_target_del(fx, t);
		if (row != NULL && strcasecmp(row->domain, op->domain) == 0 &&
		    strcasecmp(row->name, op->name) == 0)
			fx_row_del(fx, row);
		return 0;
	case PLAN_OP_ADDRESS_ADD:
	case PLAN_OP_MEMBERS_ADD:
	case PLAN_OP_ADDRESS_REMOVE:
	case PLAN_OP_MEMBERS_REMOVE:
		if (row == NULL || t == NULL)
			return fx_err(err, errlen, "%s on %s@%s without its "
			    "row", plan_opkind_name(op->op), op->name,
			    op->domain);
		for (i = 0; i < op->values.n; i++) {
			struct rs_strlist *l = (op->op == PLAN_OP_ADDRESS_ADD ||
			    op->op == PLAN_OP_ADDRESS_REMOVE) ?
			    &row->addresses : &row->members;

			if (op->op == PLAN_OP_ADDRESS_ADD ||
			    op->op == PLAN_OP_MEMBERS_ADD) {
				if (rs_strlist_has(l, op->values.v[i]))
					return fx_err(err, errlen, "%s of %s, "
					    "already there",
					    plan_opkind_name(op->op),
					    op->values.v[i]);
				if (rs_strlist_add(l, op->values.v[i]) < 0)
					abort();
			} else {
				if (!rs_strlist_has(l, op->values.v[i]))
					return fx_err(err, errlen, "%s of %s, "
					    "not there",
					    plan_opkind_name(op->op),
					    op->values.v[i]);
				fx_list_del(l, op->values.v[i]);
			}
		}
		return 0;
	default:
		return fx_err(err, errlen, "unknown op %d", (int)op->op);
	}
}

int
fixture_apply(struct fixture *fx, const struct plan *p, char *err,
    size_t errlen)
{
	size_t i;

	for (i = 0; i < p->nops; i++) {
		if (i > 0 && p->ops[i].phase < p->ops[i - 1].phase)
			return fx_err(err, errlen, "ops out of phase order");
		if (fx_apply_one(fx, &p->ops[i], err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* ---- the parser --------------------------------------------------------- */

enum fx_section {
	FX_NONE,
	FX_CONF,
	FX_AD,
	FX_MODIFY,
	FX_DELETE,
	FX_STATE,
	FX_TARGET
};

/* A GUID from canonical text or a short hex number. */
static int
fx_guid(const char *s, struct obj_guid *g)
{
	char text[OBJ_GUID_TEXT];
	size_t len = strlen(s);

	if (len == 36)
		return obj_guid_parse(s, g);
	if (len == 0 || len > 12)
		return -1;
	snprintf(text, sizeof(text), "00000000-0000-0000-0000-%12s", s);
	for (char *p = text; *p != '\0'; p++)
		if (*p == ' ')
			*p = '0';
	return obj_guid_parse(text, g);
}

static bool
fx_bool(const char *v)
{
	return strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
	    strcasecmp(v, "yes") == 0;
}

static int
fx_service(const char *v, enum plan_service *s)
{
	if (strcmp(v, "ex") == 0)
		*s = PLAN_SVC_EX;
	else if (strcmp(v, "rs") == 0)
		*s = PLAN_SVC_RS;
	else
		return -1;
	return 0;
}

static int
fx_kind(const char *v, enum plan_kind *k)
{
	if (strcmp(v, "mailbox") == 0)
		*k = PLAN_K_MAILBOX;
	else if (strcmp(v, "contact") == 0)
		*k = PLAN_K_CONTACT;
	else if (strcmp(v, "dl") == 0)
		*k = PLAN_K_DL;
	else
		return -1;
	return 0;
}

static void
fx_setstr(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

static int
fx_conf(struct fixture *fx, const char *key, const char *v, char *err,
    size_t errlen)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);

	if (strcmp(key, "exchange_group") == 0)
		fx_setstr(&fx->conf.exchange_group, v);
	else if (strcmp(key, "rackspace_email_group") == 0)
		fx_setstr(&fx->conf.rackspace_email_group, v);
	else if (strcmp(key, "domains") == 0)
		fx_setstr(&fx->conf.domains, v);
	else if (strcmp(key, "sync_proxy_addresses") == 0)
		fx->conf.sync_proxy_addresses = fx_bool(v);
	else if (strcmp(key, "allow_deletes") == 0)
		fx->allow_deletes = fx_bool(v);
	else if ((strcmp(key, "approve") == 0 || strcmp(key, "reject") == 0) &&
	    fx->ndecided < 16) {
		fx->decided_reject[fx->ndecided] = key[0] == 'r';
		fx->decided_spec[fx->ndecided++] = xstrdup(v);
	}
	else if (strcmp(key, "target") == 0)
		fx->offline = strcmp(v, "offline") == 0;
	else if (*end != '\0' || v[0] == '\0')
		return fx_err(err, errlen, "[conf] %s: not a number", key);
	else if (strcmp(key, "exchange_mailbox_size") == 0)
		fx->conf.exchange_mailbox_size = (unsigned)n;
	else if (strcmp(key, "rackspace_email_mailbox_size") == 0)
		fx->conf.rackspace_email_mailbox_size = (unsigned)n;
	else if (strcmp(key, "max_deletes") == 0)
		fx->conf.max_deletes = (unsigned)n;
	else if (strcmp(key, "max_delete_percent") == 0)
		fx->conf.max_delete_percent = (unsigned)n;
	else if (strcmp(key, "rounds") == 0)
		fx->rounds = (unsigned)n;
	else
		return fx_err(err, errlen, "[conf] unknown key %s", key);
	return 0;
}

static void
fx_member_add(struct fx_obj *f, const char *dn, bool noguid)
{
	f->members = xreallocarray(f->members, f->nmembers + 1,
	    sizeof(*f->members));
	f->noguid = xreallocarray(f->noguid, f->nmembers + 1,
	    sizeof(*f->noguid));
	f->members[f->nmembers] = xstrdup(dn);
	f->noguid[f->nmembers] = noguid;
	f->nmembers++;
}

static void
fx_member_del(struct fx_obj *f, const char *dn)
{
	size_t i;

	for (i = 0; i < f->nmembers; i++) {
		if (strcasecmp(f->members[i], dn) != 0)
			continue;
		free(f->members[i]);
		memmove(&f->members[i], &f->members[i + 1],
		    (f->nmembers - i - 1) * sizeof(*f->members));
		memmove(&f->noguid[i], &f->noguid[i + 1],
		    (f->nmembers - i - 1) * sizeof(*f->noguid));
		f->nmembers--;
		return;
	}
}

static void
fx_attr_clear(struct obj *o, enum obj_attr a)
{
	size_t i;

	for (i = 0; i < o->attrs[a].n; i++)
		free(o->attrs[a].v[i]);
	o->attrs[a].n = 0;
}

/*
 * "held: ATTR REASON" (utf8, nul, long, many, single): what the reader
 * gives for a value it cannot take and the mirror keeps (obj.h). The
 * attribute's values stay: in the mirror they are the last good ones.
 */
static int
fx_held(struct obj *o, const char *v, char *err, size_t errlen)
{
	static const char *const why[OBJ_BAD_COUNT] = {
		[OBJ_BAD_UTF8] = "utf8", [OBJ_BAD_NUL] = "nul",
		[OBJ_BAD_LONG] = "long", [OBJ_BAD_MANY] = "many",
		[OBJ_BAD_SINGLE] = "single",
	};
	const char *sp = strchr(v, ' ');
	int a, k;

	if (sp == NULL ||
	    (a = obj_attr_lookup(v, (size_t)(sp - v))) < 0)
		return fx_err(err, errlen, "held: want ATTR REASON, got %s", v);
	for (k = 1; k < OBJ_BAD_COUNT; k++)
		if (strcmp(sp + 1, why[k]) == 0)
			break;
	if (k == OBJ_BAD_COUNT)
		return fx_err(err, errlen, "held: unknown reason %s", sp + 1);
	o->held |= 1ULL << a;
	o->held_why[a] = (uint8_t)k;
	return 0;
}

/* One "attr: value" line of an [ad] or [modify] block. `cleared` tracks
 * which attributes this block has replaced already. */
static int
fx_ad_attr(struct fixture *fx, struct fx_obj *f, const char *key,
    const char *v, bool modify, uint64_t *cleared, char *err, size_t errlen)
{
	struct obj *o = f->o;
	int a;

	if (strcasecmp(key, "objectGUID") == 0) {
		if (fx_guid(v, &o->guid) < 0)
			return fx_err(err, errlen, "bad objectGUID %s", v);
	} else if (strcasecmp(key, "objectClass") == 0) {
		o->kind = strcmp(v, "user") == 0 ? OBJ_USER :
		    strcmp(v, "contact") == 0 ? OBJ_CONTACT :
		    strcmp(v, "group") == 0 ? OBJ_GROUP : OBJ_UNKNOWN;
	} else if (strcasecmp(key, "userAccountControl") == 0) {
		if (obj_uac_parse(v, strlen(v), &o->uac) < 0)
			return fx_err(err, errlen, "bad userAccountControl %s",
			    v);
	} else if (strcasecmp(key, "isDeleted") == 0) {
		o->deleted = fx_bool(v);
	} else if (strcasecmp(key, "member") == 0 ||
	    strcasecmp(key, "member+") == 0) {
		fx_member_add(f, v, false);
	} else if (strcasecmp(key, "member-noguid") == 0) {
		fx_member_add(f, v, true);
	} else if (strcasecmp(key, "member-") == 0) {
		fx_member_del(f, v);
	} else if (strcasecmp(key, "newdn") == 0) {
		if (obj_dn_set(o, v, strlen(v)) < 0)
			return fx_err(err, errlen, "bad dn %s", v);
	} else if (strcasecmp(key, "held") == 0) {
		return fx_held(o, v, err, errlen);
	} else if ((a = obj_attr_lookup(key, strlen(key))) >= 0) {
		if (modify && !(*cleared & (1ULL << a))) {
			fx_attr_clear(o, (enum obj_attr)a);
			*cleared |= 1ULL << a;
		}
		/* A value read again ends a hold, as in the mirror. */
		o->held &= ~(1ULL << a);
		if (v[0] != '\0' && obj_value_add(o, (enum obj_attr)a, v,
		    strlen(v)) < 0)
			return fx_err(err, errlen, "bad value for %s", key);
	} else {
		return fx_err(err, errlen, "unknown attribute %s", key);
	}
	(void)fx;
	return 0;
}

/* AD always has cn: the value of the DN's first RDN (unescaped here:
 * fixtures do not use escapes). */
static void
fx_default_cn(struct obj *o)
{
	const char *eq, *end;

	if (obj_value(o, OBJ_A_CN) != NULL || (eq = strchr(o->dn, '=')) == NULL)
		return;
	eq++;
	end = strchr(eq, ',');
	if (end == NULL)
		end = eq + strlen(eq);
	if (end > eq && obj_value_add(o, OBJ_A_CN, eq, (size_t)(end - eq)) < 0)
		abort();
}

struct fx_block {
	enum fx_section sec;
	struct fx_obj *obj;	/* [ad] / [modify]: the object */
	bool fresh;		/* [ad]: a new object (appended) */
	struct fx_obj tmp;	/* [ad]: the object being read */
	uint64_t cleared;
	struct plan_row row;	/* [state] */
	bool row_open;
};

static int
fx_block_end(struct fixture *fx, struct fx_block *b, char *err,
    size_t errlen)
{
	struct fx_obj *old;
	struct plan_row *r;

	if (b->sec == FX_AD && b->tmp.o != NULL) {
		fx_default_cn(b->tmp.o);
		old = fx_find_dn(fx, b->tmp.o->dn, true);
		if (old != NULL) {
			if (obj_guid_is_zero(&b->tmp.o->guid))
				b->tmp.o->guid = old->o->guid;
			fx_obj_fini(old);
			*old = b->tmp;
		} else {
			if (obj_guid_is_zero(&b->tmp.o->guid)) {
				char hex[16];

				snprintf(hex, sizeof(hex), "%x",
				    fx->next_guid++);
				(void)fx_guid(hex, &b->tmp.o->guid);
			}
			fx->objs = xreallocarray(fx->objs, fx->nobjs + 1,
			    sizeof(*fx->objs));
			fx->objs[fx->nobjs++] = b->tmp;
			if (fx->applied)
				fx->added_late = true;
		}
		memset(&b->tmp, 0, sizeof(b->tmp));
	}
	if (b->sec == FX_STATE && b->row_open) {
		if (obj_guid_is_zero(&b->row.anchor) || b->row.name == NULL ||
		    b->row.domain == NULL) {
			plan_row_fini(&b->row);
			b->row_open = false;
			return fx_err(err, errlen, "[state] block without "
			    "anchor or address");
		}
		if (b->row.dn == NULL)
			b->row.dn = xstrdup("");
		r = fx_row_new(fx);
		*r = b->row;
		plan_row_init(&b->row);
		b->row_open = false;
	}
	b->obj = NULL;
	b->cleared = 0;
	return 0;
}

static int
fx_state_line(struct fixture *fx, struct fx_block *b, const char *key,
    const char *v, char *err, size_t errlen)
{
	struct plan_row *r = &b->row;
	struct fx_obj *f;
	const char *at, *eq;
	char *name;

	if (!b->row_open) {
		plan_row_init(r);
		r->enabled = true;
		r->in_scope = true;
		b->row_open = true;
	}
	if (strcmp(key, "anchor") == 0) {
		if (fx_guid(v, &r->anchor) < 0)
			return fx_err(err, errlen, "bad anchor %s", v);
	} else if (strcmp(key, "object") == 0) {
		if ((f = fx_find_dn(fx, v, true)) == NULL)
			return fx_err(err, errlen, "no object %s", v);
		r->anchor = f->o->guid;
		if (r->dn == NULL)
			r->dn = xstrdup(v);
	} else if (strcmp(key, "service") == 0) {
		if (fx_service(v, &r->service) < 0)
			return fx_err(err, errlen, "bad service %s", v);
	} else if (strcmp(key, "kind") == 0) {
		if (fx_kind(v, &r->kind) < 0)
			return fx_err(err, errlen, "bad kind %s", v);
	} else if (strcmp(key, "dn") == 0) {
		fx_setstr(&r->dn, v);
	} else if (strcmp(key, "address") == 0) {
		if ((at = strchr(v, '@')) == NULL)
			return fx_err(err, errlen, "bad address %s", v);
		name = xstrndup(v, (size_t)(at - v));
		free(r->name);
		r->name = name;
		fx_setstr(&r->domain, at + 1);
	} else if (strcmp(key, "enabled") == 0) {
		r->enabled = fx_bool(v);
	} else if (strcmp(key, "in_scope") == 0) {
		r->in_scope = fx_bool(v);
	} else if (strcmp(key, "field") == 0) {
		if ((eq = strchr(v, '=')) == NULL)
			return fx_err(err, errlen, "bad field %s", v);
		name = xstrndup(v, (size_t)(eq - v));
		if (rs_record_set(&r->fields, name, eq + 1) < 0) {
			free(name);
			return fx_err(err, errlen, "bad field %s", v);
		}
		free(name);
	} else if (strcmp(key, "member") == 0) {
		if (rs_strlist_add(&r->members, v) < 0)
			abort();
	} else if (strcmp(key, "alternate") == 0) {
		if (rs_strlist_add(&r->addresses, v) < 0)
			abort();
	} else {
		return fx_err(err, errlen, "[state] unknown key %s", key);
	}
	return 0;
}

static int
fx_target_line(struct fixture *fx, char *line, char *err, size_t errlen)
{
	char *svc, *domain, *kind, *name, *save = NULL;
	char gtext[OBJ_GUID_TEXT];
	enum plan_service s;
	enum plan_kind k;
	struct fx_obj *f;

	svc = strtok_r(line, " \t", &save);
	domain = strtok_r(NULL, " \t", &save);
	kind = strtok_r(NULL, " \t", &save);
	name = save;
	while (name != NULL && (*name == ' ' || *name == '\t'))
		name++;
	if (svc == NULL || domain == NULL || kind == NULL || name == NULL ||
	    *name == '\0' || fx_service(svc, &s) < 0 || fx_kind(kind, &k) < 0)
		return fx_err(err, errlen, "bad [target] line");
	if (name[0] == '@') {
		if ((f = fx_find_dn(fx, name + 1, true)) == NULL)
			return fx_err(err, errlen, "no object %s", name + 1);
		obj_guid_format(&f->o->guid, gtext);
		name = gtext;
	}
	fx_target_add(fx, s, k, domain, name);
	return 0;
}

/* Deleted in AD: gone from every group, and gone (or a tombstone). */
static int
fx_delete_line(struct fixture *fx, char *line, char *err, size_t errlen)
{
	char *bar = strstr(line, " | tombstone");
	struct fx_obj *f;
	size_t i;

	if (bar != NULL)
		*bar = '\0';
	if ((f = fx_find_dn(fx, line, false)) == NULL)
		return fx_err(err, errlen, "[delete] no object %s", line);
	if (fx->applied)
		fx->added_late = true;	/* a structural change too */
	for (i = 0; i < fx->nobjs; i++)
		fx_member_del(&fx->objs[i], line);
	if (bar != NULL) {
		f->o->deleted = true;
		return 0;
	}
	i = (size_t)(f - fx->objs);
	fx_obj_fini(f);
	memmove(f, f + 1, (fx->nobjs - i - 1) * sizeof(*f));
	fx->nobjs--;
	return 0;
}

static int
fx_apply_section(struct fixture *fx, char *err, size_t errlen)
{
	struct plan_source src;
	struct plan_opts opts;
	struct plan *p = NULL;
	char why[2048], sum[512];
	int r;

	fixture_source(fx, &src);
	fixture_opts(fx, &opts);
	if ((r = plan_build(&src, &opts, &p, why, sizeof(why))) < 0)
		return fx_err(err, errlen, "[apply]: %s", why);
	r = fixture_apply(fx, p, err, errlen);
	plan_fmt_summary(p, sum, sizeof(sum));
	fprintf(fx->log, "# applied: %s\n", sum);
	plan_free(p);
	return r;
}

static char *
fx_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int
fx_line(struct fixture *fx, struct fx_block *b, char *line, char *err,
    size_t errlen)
{
	char *colon, *key, *v;

	if (b->sec == FX_TARGET)
		return fx_target_line(fx, line, err, errlen);
	if (b->sec == FX_DELETE)
		return fx_delete_line(fx, line, err, errlen);
	if (b->sec == FX_CONF) {
		if ((colon = strchr(line, '=')) == NULL)
			return fx_err(err, errlen, "bad [conf] line %s", line);
		*colon = '\0';
		return fx_conf(fx, fx_trim(line), fx_trim(colon + 1), err,
		    errlen);
	}
	if ((colon = strchr(line, ':')) == NULL)
		return fx_err(err, errlen, "bad line %s", line);
	*colon = '\0';
	key = fx_trim(line);
	v = fx_trim(colon + 1);
	if (b->sec == FX_STATE)
		return fx_state_line(fx, b, key, v, err, errlen);
	if (b->obj == NULL && b->tmp.o == NULL) {
		if (strcasecmp(key, "dn") != 0)
			return fx_err(err, errlen, "a block starts with dn:");
		if (b->sec == FX_MODIFY) {
			if ((b->obj = fx_find_dn(fx, v, true)) == NULL)
				return fx_err(err, errlen, "[modify] no object "
				    "%s", v);
			b->obj->modified = true;
			return 0;
		}
		b->tmp.o = obj_new();
		if (obj_dn_set(b->tmp.o, v, strlen(v)) < 0)
			return fx_err(err, errlen, "bad dn %s", v);
		return 0;
	}
	return fx_ad_attr(fx, b->obj != NULL ? b->obj : &b->tmp, key, v,
	    b->sec == FX_MODIFY, &b->cleared, err, errlen);
}

int
fixture_load(struct fixture *fx, const char *text, char *err, size_t errlen)
{
	struct fx_block b;
	char *copy = xstrdup(text), *line, *save = NULL, *t;
	unsigned lineno = 0;
	int r = 0;

	memset(&b, 0, sizeof(b));
	plan_row_init(&b.row);
	for (line = copy; line != NULL && r == 0; line = save) {
		save = strchr(line, '\n');
		if (save != NULL)
			*save++ = '\0';
		lineno++;
		t = fx_trim(line);
		if (t[0] == '#')
			continue;
		if (t[0] == '\0' || t[0] == '[') {
			if ((r = fx_block_end(fx, &b, err, errlen)) < 0)
				break;
			if (t[0] == '\0')
				continue;
			if (strcmp(t, "[apply]") == 0) {
				b.sec = FX_NONE;
				r = fx_apply_section(fx, err, errlen);
				fx->applied = true;
				continue;
			}
			b.sec = strcmp(t, "[conf]") == 0 ? FX_CONF :
			    strcmp(t, "[ad]") == 0 ? FX_AD :
			    strcmp(t, "[modify]") == 0 ? FX_MODIFY :
			    strcmp(t, "[delete]") == 0 ? FX_DELETE :
			    strcmp(t, "[state]") == 0 ? FX_STATE :
			    strcmp(t, "[target]") == 0 ? FX_TARGET : FX_NONE;
			if (b.sec == FX_NONE)
				r = fx_err(err, errlen, "unknown section %s",
				    t);
			continue;
		}
		if (b.sec == FX_NONE) {
			r = fx_err(err, errlen, "a line outside a section");
			break;
		}
		r = fx_line(fx, &b, t, err, errlen);
	}
	if (r == 0)
		r = fx_block_end(fx, &b, err, errlen);
	if (r < 0) {
		size_t n = strlen(err);

		snprintf(err + n, errlen - n, " (line %u)", lineno);
	}
	if (b.tmp.o != NULL)
		fx_obj_fini(&b.tmp);
	plan_row_fini(&b.row);
	free(copy);
	return r < 0 ? -1 : 0;
}
