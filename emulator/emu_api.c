/*
 * The API's front door (see emu_api.h): authentication, throttling, routing,
 * content negotiation and body decoding, then dispatch to a handler inside
 * one state transaction. Also the customer, domain and alternate-domain
 * resources, the helpers shared by the handler files, and what the
 * form-encoded resources share: the offset-paged Index, the Show and the
 * mailbox handler, each driven by the resource's descriptor (struct
 * emu_api_res, struct emu_api_mbx). Runs on the API listener's MHD worker
 * threads; everything in the request is untrusted.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu_api.h"
#include "emu_auth.h"
#include "emu_config.h"
#include "emu_fields.h"
#include "emu_reqlog.h"
#include "emu_throttle.h"
#include "err.h"
#include "log.h"
#include "strparse.h"
#include "xmalloc.h"

#define EMU_FORM_CT "application/x-www-form-urlencoded"

/* How replies name each kind of object. */
static const struct {
	const char *rtype;	/* 404 resourceType */
	const char *title;	/* 404 "TITLE not found: NAME" */
	const char *noun;	/* "Invalid NOUN name", "the NOUN list" */
} emu_api_kinds[] = {
	[EMU_K_RS_MBX] = { "Mailbox", "Mailbox", "mailbox" },
	[EMU_K_EX_MBX] = { "Mailbox", "Mailbox", "mailbox" },
	[EMU_K_CONTACT] = { "Contact", "Contact", "contact" },
	[EMU_K_ALIAS] = { "Alias", "Alias", "alias" },
	[EMU_K_DL] = { "DistributionList", "Distribution list", "list" },
};

void
emu_api_internal(struct emu_ctx *x, int err)
{
	log_warnx("internal error: %s", adsync_strerror(err));
	emu_resp_fault(x->r, 500, "appsFault", "Internal server error.");
}

void
emu_api_conflict(struct emu_ctx *x, const char *name)
{
	/* [UNKNOWN] exact text (§6); H3 hints at "already exist". */
	emu_resp_fault(x->r, 409, "appsFault", "'%s@%s' already exists.",
	    name, x->dom.name);
}

void
emu_api_bad_name(struct emu_ctx *x, enum emu_kind kind, const char *name)
{
	emu_resp_fault(x->r, 400, "badRequestFault", "Invalid %s name: "
	    "'%.80s' (1 to %d of letters, digits and . _ - ' +).",
	    emu_api_kinds[kind].noun, name, EMU_NAME_MAX);
}

bool
emu_api_unknown_field(struct emu_ctx *x)
{
	const struct emu_form_field *u = emu_form_unused(&x->f);

	if (u == NULL)
		return false;
	emu_resp_fault(x->r, 400, "badRequestFault", "Unknown field: %.64s",
	    u->name);
	return true;
}

bool
emu_api_fields_apply(struct emu_ctx *x, const struct emu_field *tab,
    json_t *data, bool adding)
{
	char why[256];
	int r;

	if ((r = emu_fields_apply(tab, &x->f, data, adding, why,
	    sizeof(why))) == 0)
		return true;
	emu_resp_fault(x->r, 400, r == -ADSYNC_EVALIDATION ?
	    "validationFault" : "badRequestFault", "%s", why);
	return false;
}

bool
emu_api_password_ok(struct emu_ctx *x, const char *pw)
{
	const char *why;

	if (pw == NULL) {
		/* S2's example text. */
		emu_resp_fault(x->r, 400, "badRequestFault", "Missing "
		    "required field: password");
		return false;
	}
	if (emu_valid_password(pw, &why) == 0)
		return true;
	emu_resp_fault(x->r, 400, "validationFault", "%s", why);
	return false;
}

/*
 * emu_api_load(), with the 404's isRecoverable from `recoverable` (asked
 * only when there is no such object; NULL: the 404 has none).
 */
static bool
emu_api_load_rec(struct emu_ctx *x, enum emu_kind kind,
    bool (*recoverable)(struct emu_ctx *), struct emu_obj *o)
{
	int r = -ADSYNC_ENOTFOUND;

	if (emu_valid_name(x->rt.name))
		r = emu_state_obj_get(x->st, x->dom.id, x->rt.name, o);
	if (r == 0 && o->kind == kind)
		return true;
	if (r == 0)
		emu_state_obj_fini(o);
	else if (r != -ADSYNC_ENOTFOUND) {
		emu_api_internal(x, r);
		return false;
	}
	emu_resp_notfound(x->r, emu_api_kinds[kind].rtype,
	    recoverable != NULL ? recoverable(x) : -1, "%s not found: %.80s",
	    emu_api_kinds[kind].title, x->rt.name);
	return false;
}

bool
emu_api_load(struct emu_ctx *x, enum emu_kind kind, struct emu_obj *o)
{
	return emu_api_load_rec(x, kind, NULL, o);
}

int
emu_api_name_free(struct emu_ctx *x, const char *name)
{
	char addr[EMU_ADDRESS_MAX + EMU_NAME_MAX + 2];
	struct emu_obj o;
	int64_t owner;
	int r;

	r = emu_state_obj_get(x->st, x->dom.id, name, &o);
	if (r == 0) {
		emu_state_obj_fini(&o);
		emu_api_conflict(x, name);
		return -ADSYNC_ECONFLICT;
	}
	if (r != -ADSYNC_ENOTFOUND) {
		emu_api_internal(x, r);
		return r;
	}
	snprintf(addr, sizeof(addr), "%s@%s", name, x->dom.name);
	if ((r = emu_state_addr_used(x->st, x->account, addr, &owner)) < 0) {
		emu_api_internal(x, r);
		return r;
	}
	if (owner != 0) {
		emu_api_conflict(x, name);
		return -ADSYNC_ECONFLICT;
	}
	return 0;
}

int
emu_api_mailbox_limit(struct emu_ctx *x)
{
	sqlite3_stmt *s;
	long long n;

	if (x->dom.mailbox_limit == 0)
		return 0;
	s = emu_state_stmt(x->st, EMU_SQL_OBJ_COUNT_MBX);
	sqlite3_bind_int64(s, 1, x->dom.id);
	if (sqlite3_step(s) != SQLITE_ROW) {
		emu_api_internal(x, -ADSYNC_ESERVER);
		return -ADSYNC_ESERVER;
	}
	n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (n >= (long long)x->dom.mailbox_limit) {
		/* [UNKNOWN] code; H3 quotes the text. 400: it is the
		 * request that cannot be done, and a 403 would read as an
		 * authentication or throttling failure to clients. */
		emu_resp_fault(x->r, 400, "badRequestFault",
		    "Mailbox limit exceeded.");
		return -ADSYNC_ELIMIT;
	}
	return 0;
}

bool
emu_api_addr_domain_ok(struct emu_ctx *x, const char *addr)
{
	const char *at = strchr(addr, '@');
	sqlite3_stmt *s;
	bool ok;

	if (at == NULL)
		return false;
	if (strcasecmp(at + 1, x->dom.name) == 0)
		return true;
	s = emu_state_stmt(x->st, EMU_SQL_ACCEPTED_HAS);
	sqlite3_bind_int64(s, 1, x->dom.id);
	sqlite3_bind_text(s, 2, at + 1, -1, SQLITE_STATIC);
	ok = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	return ok;
}

void
emu_api_obj_init(struct emu_ctx *x, struct emu_obj *o, enum emu_kind kind,
    const char *name)
{
	o->domain_id = x->dom.id;
	o->kind = kind;
	snprintf(o->name, sizeof(o->name), "%.64s", name);
	o->created = x->now;
	o->enabled = true;
}

int
emu_api_obj_insert(struct emu_ctx *x, struct emu_obj *o)
{
	int r;

	if ((r = emu_state_obj_insert(x->st, o)) == -ADSYNC_ECONFLICT)
		emu_api_conflict(x, o->name);
	else if (r < 0)
		emu_api_internal(x, r);
	return r;
}

void
emu_api_obj_sync(struct emu_obj *o, const char *extra_key)
{
	free(o->display);
	o->display = xstrdup(emu_fields_str(o->data, "displayName", ""));
	free(o->extra);
	o->extra = xstrdup(extra_key != NULL ?
	    emu_fields_str(o->data, extra_key, "") : "");
	o->enabled = emu_fields_bool(o->data, "enabled", true);
}

json_t *
emu_api_time_json(time_t t)
{
	char buf[48];

	emu_resp_time_us(t, buf, sizeof(buf));
	return json_string(buf);
}

/* --- the form-encoded resources: Index, Show, mailboxes --- */

static bool
emu_api_is_computed(const struct emu_api_res *res, const char *name)
{
	size_t i;

	for (i = 0; res->computed != NULL && res->computed[i] != NULL; i++)
		if (strcmp(name, res->computed[i]) == 0)
			return true;
	return false;
}

/* A computed value of `o` (new reference; null for an unknown name). */
static json_t *
emu_api_computed(const struct emu_obj *o, const char *name)
{
	/* The emulator has no usage and no logins: 0, and "" as for a new
	 * mailbox. */
	if (strcmp(name, "currentUsage") == 0)
		return json_integer(0);
	if (strcmp(name, "createdDate") == 0)
		return emu_api_time_json(o->created);
	if (strcmp(name, "lastLogin") == 0)
		return json_string("");
	return json_null();
}

/* May ?fields= name `name`: a computed value or a top-level field? */
static bool
emu_api_field_ok(const struct emu_api_res *res, const char *name)
{
	const struct emu_field *f;

	if (emu_api_is_computed(res, name))
		return true;
	f = res->fields != NULL ? emu_fields_find(res->fields, name) : NULL;
	return f != NULL && (f->flags & EMU_F_NESTED) == 0;
}

/*
 * The next item of a ?fields= list at *p: its start in *item and its
 * length, returned; *p moves past it (NULL after the last). The item is
 * copied into `name` (EMU_FORM_NAME_MAX + 1 bytes) unless it is empty or
 * longer than EMU_FORM_NAME_MAX.
 */
static size_t
emu_api_fields_next(const char **p, const char **item, char *name)
{
	const char *comma = strchr(*p, ',');
	size_t len = comma != NULL ? (size_t)(comma - *p) : strlen(*p);

	*item = *p;
	*p = comma != NULL ? comma + 1 : NULL;
	if (len > 0 && len <= EMU_FORM_NAME_MAX) {
		memcpy(name, *item, len);
		name[len] = '\0';
	}
	return len;
}

/* Checks every name in ?fields=. */
static bool
emu_api_fields_valid(struct emu_ctx *x, const struct emu_api_res *res,
    const char *fields)
{
	char name[EMU_FORM_NAME_MAX + 1];
	const char *p = fields, *item;
	size_t len;

	while (p != NULL) {
		len = emu_api_fields_next(&p, &item, name);
		if (len == 0 || len > EMU_FORM_NAME_MAX ||
		    !emu_api_field_ok(res, name)) {
			emu_resp_fault(x->r, 400, "badRequestFault", "Invalid "
			    "fields parameter: '%.*s' is not a field of this "
			    "index.", (int)(len > 64 ? 64 : len), item);
			return false;
		}
	}
	return true;
}

/* Adds field or computed value `name` of `o` to an Index row. */
static void
emu_api_row_field(const struct emu_api_res *res, const struct emu_obj *o,
    const char *name, json_t *out)
{
	const struct emu_field *f;

	if (emu_api_is_computed(res, name))
		json_object_set_new(out, name, emu_api_computed(o, name));
	else if ((f = emu_fields_find(res->fields, name)) != NULL)
		json_object_set_new(out, f->read != NULL ? f->read : f->name,
		    emu_fields_value(f, o->data));
}

/* The row of a form-encoded object: name, displayName, then ?fields=. */
static void
emu_api_row(const struct emu_api_res *res, const struct emu_obj *o,
    const char *fields, json_t *out)
{
	char name[EMU_FORM_NAME_MAX + 1];
	const char *p = fields, *item;
	size_t len;

	json_object_set_new(out, "name", json_string(o->name));
	emu_api_row_field(res, o, "displayName", out);
	while (p != NULL) {
		len = emu_api_fields_next(&p, &item, name);
		if (len > 0 && len <= EMU_FORM_NAME_MAX)
			emu_api_row_field(res, o, name, out);
	}
}

/* Binds the Index filter ?1..?5, which the count and the page share. */
static void
emu_api_index_bind(sqlite3_stmt *s, int64_t domain_id, enum emu_kind kind,
    const struct emu_index_q *q)
{
	sqlite3_bind_int64(s, 1, domain_id);
	sqlite3_bind_int(s, 2, (int)kind);
	if (q->enabled >= 0)
		sqlite3_bind_int(s, 3, q->enabled);
	if (q->like[0] != '\0')
		sqlite3_bind_text(s, 4, q->like, -1, SQLITE_STATIC);
	if (q->digits)
		sqlite3_bind_int(s, 5, 1);
}

/* Answers an offset-paged Index (§4.2); takes `rows`. */
static void
emu_api_index_reply(struct emu_ctx *x, const struct emu_index_q *q,
    long long total, const char *key, json_t *rows)
{
	json_t *out = json_object();

	json_object_set_new(out, "offset", json_integer(q->offset));
	json_object_set_new(out, "size", json_integer(q->size));
	json_object_set_new(out, "total", json_integer(total));
	json_object_set_new(out, key, rows);
	emu_resp_json(x->r, 200, out);
}

void
emu_api_index(struct emu_ctx *x, const struct emu_api_res *res)
{
	struct emu_index_q q;
	char why[256];
	sqlite3_stmt *s;
	struct emu_obj o;
	json_t *rows;
	long long total;
	int r, rc;

	if (!x->get) {
		emu_resp_fault(x->r, 405, "badRequestFault", "Method not "
		    "allowed on the %s list; add with POST to .../%s/{name}.",
		    emu_api_kinds[res->kind].noun, res->path);
		return;
	}
	if ((r = emu_valid_index_query(&x->q, res->with_enabled, &q, why,
	    sizeof(why))) < 0) {
		emu_resp_fault(x->r, 400, "badRequestFault", "%s", why);
		return;
	}
	if (q.fields != NULL && !emu_api_fields_valid(x, res, q.fields))
		return;
	s = emu_state_stmt(x->st, EMU_SQL_OBJ_INDEX_COUNT);
	emu_api_index_bind(s, x->dom.id, res->kind, &q);
	if (sqlite3_step(s) != SQLITE_ROW) {
		emu_api_internal(x, -ADSYNC_ESERVER);
		return;
	}
	total = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	s = emu_state_stmt(x->st, EMU_SQL_OBJ_INDEX);
	emu_api_index_bind(s, x->dom.id, res->kind, &q);
	sqlite3_bind_int64(s, 6, q.size);
	sqlite3_bind_int64(s, 7, q.offset);
	rows = json_array();
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_error_t jerr;
		json_t *item = json_object();

		memset(&o, 0, sizeof(o));
		o.id = sqlite3_column_int64(s, 0);
		o.kind = res->kind;
		snprintf(o.name, sizeof(o.name), "%.64s",
		    emu_state_col_text(s, 3));
		o.display = (char *)(uintptr_t)emu_state_col_text(s, 4);
		o.enabled = sqlite3_column_int(s, 5) != 0;
		o.created = sqlite3_column_int64(s, 6);
		o.data = json_loads(emu_state_col_text(s, 7), 0, &jerr);
		if (o.data == NULL)
			o.data = json_object();
		if (res->row != NULL)
			res->row(x, s, &o, q.fields, item);
		else
			emu_api_row(res, &o, q.fields, item);
		json_decref(o.data);
		json_array_append_new(rows, item);
	}
	if (rc != SQLITE_DONE) {
		json_decref(rows);
		emu_api_internal(x, -ADSYNC_ESERVER);
		return;
	}
	emu_api_index_reply(x, &q, total, res->key, rows);
}

json_t *
emu_api_show(const struct emu_api_res *res, struct emu_state *st,
    const struct emu_obj *o, const char *domain)
{
	json_t *out = json_object(), *ci = json_object();
	size_t i;

	json_object_set_new(out, "name", json_string(o->name));
	emu_fields_show(res->fields, o->data, out, ci);
	for (i = 0; res->computed != NULL && res->computed[i] != NULL; i++)
		json_object_set_new(out, res->computed[i],
		    emu_api_computed(o, res->computed[i]));
	if (res->addresses != NULL)
		json_object_set_new(out, "emailAddressList",
		    res->addresses(st, o, domain));
	/* contactInfo holds the nested fields: contacts have none. */
	if (json_object_size(ci) > 0)
		json_object_set_new(out, "contactInfo", ci);
	else
		json_decref(ci);
	return out;
}

static void
emu_api_mailbox_add(struct emu_ctx *x, const struct emu_api_mbx *svc)
{
	struct emu_obj o;
	const char *pw;
	int r;

	memset(&o, 0, sizeof(o));
	if (!emu_valid_name(x->rt.name)) {
		emu_api_bad_name(x, svc->res.kind, x->rt.name);
		return;
	}
	if (svc->add_first != NULL && svc->add_first(x))
		return;
	pw = emu_form_get(&x->f, "password");
	if (!emu_api_password_ok(x, pw))
		return;
	o.data = json_object();
	if (!emu_api_fields_apply(x, svc->res.fields, o.data, true) ||
	    emu_api_name_free(x, x->rt.name) < 0 ||
	    emu_api_mailbox_limit(x) < 0)
		goto out;
	if (svc->add_prepare != NULL)
		svc->add_prepare(x, &o);
	emu_api_obj_init(x, &o, svc->res.kind, x->rt.name);
	emu_api_obj_sync(&o, svc->res.search);
	if (emu_api_obj_insert(x, &o) < 0)
		goto out;
	if ((r = emu_state_pw_set(x->st, o.id, pw)) < 0) {
		emu_api_internal(x, r);
		goto out;
	}
	emu_resp_status(x->r, 200);
out:
	emu_state_obj_fini(&o);
}

/*
 * Renames `o` (C4 account.rename): the new name must be free, unless only
 * its case changes; list members that are `o` follow. False if a reply was
 * set.
 */
static bool
emu_api_mailbox_rename(struct emu_ctx *x, struct emu_obj *o,
    const char *newname)
{
	char addr[EMU_ADDRESS_MAX + EMU_NAME_MAX + 2];
	sqlite3_stmt *s;

	if (!emu_valid_name(newname)) {
		emu_api_bad_name(x, o->kind, newname);
		return false;
	}
	if (strcasecmp(newname, o->name) != 0 &&
	    emu_api_name_free(x, newname) < 0)
		return false;
	snprintf(o->name, sizeof(o->name), "%.64s", newname);
	snprintf(addr, sizeof(addr), "%s@%s", newname, x->dom.name);
	s = emu_state_stmt(x->st, EMU_SQL_MEMBER_RENAME);
	sqlite3_bind_int64(s, 1, o->id);
	sqlite3_bind_text(s, 2, addr, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		emu_api_internal(x, -ADSYNC_ESERVER);
		return false;
	}
	return true;
}

static void
emu_api_mailbox_edit(struct emu_ctx *x, const struct emu_api_mbx *svc)
{
	const char *pw, *newname;
	struct emu_obj o;

	if (!emu_api_load_rec(x, svc->res.kind, svc->recoverable, &o))
		return;
	newname = emu_form_get(&x->f, "name");
	if (newname != NULL && svc->rename_refused != NULL) {
		emu_resp_fault(x->r, 400, "badRequestFault", "%s",
		    svc->rename_refused);
		goto out;
	}
	pw = emu_form_get(&x->f, "password");
	if ((pw != NULL && !emu_api_password_ok(x, pw)) ||
	    !emu_api_fields_apply(x, svc->res.fields, o.data, false))
		goto out;
	if (newname != NULL && strcmp(newname, o.name) != 0 &&
	    !emu_api_mailbox_rename(x, &o, newname))
		goto out;
	emu_api_mailbox_save(x, svc, &o, pw);
out:
	emu_state_obj_fini(&o);
}

void
emu_api_mailbox_save(struct emu_ctx *x, const struct emu_api_mbx *svc,
    struct emu_obj *o, const char *pw)
{
	int r;

	emu_api_obj_sync(o, svc->res.search);
	if ((r = emu_state_obj_update(x->st, o)) == -ADSYNC_ECONFLICT) {
		emu_api_conflict(x, o->name);
		return;
	}
	if (r < 0 || (pw != NULL && (r = emu_state_pw_set(x->st, o->id,
	    pw)) < 0)) {
		emu_api_internal(x, r);
		return;
	}
	emu_resp_status(x->r, 200);
}

void
emu_api_mailbox(struct emu_ctx *x, const struct emu_api_mbx *svc)
{
	struct emu_obj o;
	int r;

	if (x->post) {
		emu_api_mailbox_add(x, svc);
		return;
	}
	if (x->put) {
		emu_api_mailbox_edit(x, svc);
		return;
	}
	if (!emu_api_load_rec(x, svc->res.kind, svc->recoverable, &o))
		return;
	if (x->get)
		emu_resp_json(x->r, 200, emu_api_show(&svc->res, x->st, &o,
		    x->dom.name));
	else if ((r = svc->remove != NULL ? svc->remove(x, &o) :
	    emu_state_obj_delete(x->st, o.id)) < 0)
		emu_api_internal(x, r);
	else
		emu_resp_status(x->r, 200);
	emu_state_obj_fini(&o);
}

/* GET /v1/customers/{acct} */
static void
emu_api_customer(struct emu_ctx *x)
{
	json_t *o;

	if (!x->get) {
		emu_resp_fault(x->r, 405, "badRequestFault", "Method not "
		    "allowed on a customer.");
		return;
	}
	o = json_object();
	json_object_set_new(o, "accountNumber", json_integer(x->account));
	json_object_set_new(o, "name", json_null());
	emu_resp_json(x->r, 200, o);
}

static json_t *
emu_api_domain_row(long long account, const char *name, int svc)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "accountNumber", json_integer(account));
	json_object_set_new(o, "serviceType",
	    json_string(emu_config_service_name(svc)));
	return o;
}

/* GET /v1/customers/{acct}/domains */
static void
emu_api_domains(struct emu_ctx *x)
{
	struct emu_index_q q;
	sqlite3_stmt *s;
	long long total;
	char why[256];
	json_t *rows;

	if (!x->get) {
		emu_resp_fault(x->r, 405, "badRequestFault", "Method not "
		    "allowed on the domain list.");
		return;
	}
	if (emu_valid_index_query(&x->q, false, &q, why, sizeof(why)) < 0) {
		emu_resp_fault(x->r, 400, "badRequestFault", "%s", why);
		return;
	}
	s = emu_state_stmt(x->st, EMU_SQL_DOMAIN_COUNT);
	sqlite3_bind_int64(s, 1, x->account);
	if (sqlite3_step(s) != SQLITE_ROW) {
		emu_api_internal(x, -ADSYNC_ESERVER);
		return;
	}
	total = sqlite3_column_int64(s, 0);
	s = emu_state_stmt(x->st, EMU_SQL_DOMAIN_LIST);
	sqlite3_bind_int64(s, 1, x->account);
	sqlite3_bind_int64(s, 2, q.size);
	sqlite3_bind_int64(s, 3, q.offset);
	rows = json_array();
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(rows, emu_api_domain_row(x->account,
		    emu_state_col_text(s, 0), sqlite3_column_int(s, 1)));
	emu_api_index_reply(x, &q, total, "domains", rows);
}

static json_t *
emu_api_accepted_list(struct emu_state *st, int64_t domain_id)
{
	sqlite3_stmt *s = emu_state_stmt(st, EMU_SQL_ACCEPTED_LIST);
	json_t *arr = json_array(), *o;

	sqlite3_bind_int64(s, 1, domain_id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		o = json_object();
		json_object_set_new(o, "name",
		    json_string(emu_state_col_text(s, 0)));
		json_array_append_new(arr, o);
	}
	return arr;
}

/* .../domains/{dom}: GET shows it; writes are counted no-ops (§3.1). */
static void
emu_api_domain(struct emu_ctx *x)
{
	json_t *o;

	if (!x->get) {
		/* A domain write has no emulated effect; what matters to
		 * clients is that it counts in the domain bucket. */
		emu_resp_status(x->r, 200);
		return;
	}
	o = emu_api_domain_row(x->account, x->dom.name, x->dom.service);
	json_object_set_new(o, "alternateDomains",
	    emu_api_accepted_list(x->st, x->dom.id));
	emu_resp_json(x->r, 200, o);
}

/* .../domains/{dom}/alternatedomains[/{name}]: the accepted domains used
 * by the alternate-address rules (§5.3). */
static void
emu_api_altdomains(struct emu_ctx *x)
{
	sqlite3_stmt *s;
	json_t *o;
	char probe[EMU_ADDRESS_MAX + 8];
	int rc;

	if (x->rt.kind == EMU_R_ALTDOMAINS) {
		if (!x->get) {
			emu_resp_fault(x->r, 405, "badRequestFault", "Method "
			    "not allowed on alternate domains.");
			return;
		}
		o = json_object();
		json_object_set_new(o, "alternateDomains",
		    emu_api_accepted_list(x->st, x->dom.id));
		emu_resp_json(x->r, 200, o);
		return;
	}
	snprintf(probe, sizeof(probe), "a@%s", x->rt.name);
	if (!emu_valid_address(probe)) {
		emu_resp_fault(x->r, 400, "badRequestFault", "Invalid domain "
		    "name: '%.80s'.", x->rt.name);
		return;
	}
	s = emu_state_stmt(x->st, EMU_SQL_ACCEPTED_HAS);
	sqlite3_bind_int64(s, 1, x->dom.id);
	sqlite3_bind_text(s, 2, x->rt.name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (x->get || x->del) {
		if (rc != SQLITE_ROW) {
			emu_resp_notfound(x->r, "AlternateDomain", -1,
			    "Alternate domain not found.");
			return;
		}
		if (x->get) {
			o = json_object();
			json_object_set_new(o, "name",
			    json_string(x->rt.name));
			emu_resp_json(x->r, 200, o);
			return;
		}
		s = emu_state_stmt(x->st, EMU_SQL_ACCEPTED_DEL);
	} else if (x->post) {
		if (rc == SQLITE_ROW) {
			emu_resp_fault(x->r, 409, "appsFault", "Alternate "
			    "domain '%s' already exists.", x->rt.name);
			return;
		}
		s = emu_state_stmt(x->st, EMU_SQL_ACCEPTED_ADD);
	} else {
		emu_resp_fault(x->r, 405, "badRequestFault", "Method not "
		    "allowed on an alternate domain.");
		return;
	}
	sqlite3_bind_int64(s, 1, x->dom.id);
	sqlite3_bind_text(s, 2, x->rt.name, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		emu_api_internal(x, -ADSYNC_ESERVER);
		return;
	}
	emu_resp_status(x->r, 200);
}

static bool
emu_api_route_is_dl(enum emu_route_kind k)
{
	return k == EMU_R_EX_DLS || k == EMU_R_EX_DL ||
	    k == EMU_R_EX_DL_MEMBERS || k == EMU_R_EX_DL_SENDERS ||
	    k == EMU_R_EX_DL_ADDRS || k == EMU_R_EX_DL_ERRORS;
}

static bool
emu_api_route_is_rs(enum emu_route_kind k)
{
	return k >= EMU_R_RS_MBXS && k <= EMU_R_RS_ALIAS_MEMBER;
}

static bool
emu_api_route_is_ex(enum emu_route_kind k)
{
	return k >= EMU_R_EX_MBXS && k <= EMU_R_EX_DL_ERRORS;
}

/* Compares a media type (before any ';') with `want`, ignoring case. */
static bool
emu_api_ctype_is(const char *ct, const char *want)
{
	size_t n = strlen(want);

	while (*ct == ' ')
		ct++;
	return strncasecmp(ct, want, n) == 0 && (ct[n] == '\0' ||
	    ct[n] == ';' || ct[n] == ' ');
}

/*
 * Accept negotiation for Index/Show (§2.3): required; JSON for
 * application/json, application/(any) or (any)/(any); XML is not
 * emulated (406).
 * Returns true if JSON may be sent.
 */
static bool
emu_api_accept_ok(struct emu_ctx *x)
{
	const char *a = x->c->accept;

	if (a == NULL || a[0] == '\0') {
		emu_resp_fault(x->r, 400, "badRequestFault", "Accept header "
		    "required.");
		return false;
	}
	if (strcasestr(a, "application/json") != NULL ||
	    strstr(a, "*/*") != NULL || strcasestr(a, "application/*") !=
	    NULL)
		return true;
	emu_resp_fault(x->r, 406, "badRequestFault", "Not acceptable: "
	    "rsemu answers application/json only (XML is not emulated).");
	return false;
}

/* Decodes the body per the resource family; false if a reply was set. */
static bool
emu_api_body(struct emu_ctx *x)
{
	const char *ct = x->c->content_type;
	char why[256];
	json_error_t jerr;
	int r;

	if (x->c->body_len == 0)
		return true;
	if (emu_api_route_is_dl(x->rt.kind)) {
		if (ct != NULL && emu_api_ctype_is(ct, EMU_FORM_CT)) {
			/* S6, quoted. */
			emu_resp_fault(x->r, 400, "badRequestFault", "the v0 "
			    "method of submitting data via form URL-encoded "
			    "variables is NOT supported in v1");
			return false;
		}
		if (ct == NULL || !emu_api_ctype_is(ct, "application/json")) {
			emu_resp_fault(x->r, 415, "badRequestFault",
			    "Unsupported Content-Type: distribution lists "
			    "take application/json (XML is not emulated).");
			return false;
		}
		x->json = json_loadb(x->c->body, x->c->body_len,
		    JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(x->json)) {
			emu_resp_fault(x->r, 400, "badRequestFault", "Invalid "
			    "JSON body: %s", x->json == NULL ? jerr.text :
			    "not an object");
			return false;
		}
		return true;
	}
	if (ct == NULL || !emu_api_ctype_is(ct, EMU_FORM_CT)) {
		emu_resp_fault(x->r, 415, "badRequestFault", "Unsupported "
		    "Content-Type: this resource takes "
		    "application/x-www-form-urlencoded.");
		return false;
	}
	if ((r = emu_form_parse(x->c->body, x->c->body_len, &x->f, why,
	    sizeof(why))) < 0) {
		emu_resp_fault(x->r, 400, "badRequestFault", "Invalid form "
		    "body: %s", why);
		return false;
	}
	return true;
}

/* {acct}: "me" or the signed user's own number (§2.1). */
static bool
emu_api_account_ok(struct emu_ctx *x)
{
	const char *errstr;
	long long n;

	if (strcmp(x->rt.acct, "me") == 0)
		return true;
	if (strparse_num(x->rt.acct, 0, EMU_ACCOUNT_MAX, &n, &errstr) == 0 &&
	    n == x->account)
		return true;
	emu_resp_notfound(x->r, "Customer", -1, "Customer Not Found");
	return false;
}

/* Resolves {dom}; false if a reply was set. Lock held. */
static bool
emu_api_domain_ok(struct emu_ctx *x)
{
	int r;

	r = emu_state_domain_get(x->st, x->rt.domain, &x->dom);
	if (r == -ADSYNC_ENOTFOUND) {
		emu_resp_notfound(x->r, "Domain", -1, "Domain not found: "
		    "%.80s", x->rt.domain);
		return false;
	}
	if (r < 0) {
		emu_api_internal(x, r);
		return false;
	}
	if (x->dom.account != x->account) {
		/* H3: a domain of another account reads "Not authorized". */
		emu_resp_fault(x->r, 403, "unauthorizedFault",
		    "Not authorized");
		return false;
	}
	if (emu_api_route_is_rs(x->rt.kind) &&
	    (x->dom.service & EMU_SVC_RS) == 0) {
		emu_resp_fault(x->r, 400, "badRequestFault", "Domain %s has no "
		    "Rackspace Email service (it is an Exchange-only "
		    "domain).", x->dom.name);
		return false;
	}
	if (emu_api_route_is_ex(x->rt.kind) &&
	    (x->dom.service & EMU_SVC_EX) == 0) {
		emu_resp_fault(x->r, 400, "badRequestFault", "Domain %s has no "
		    "Hosted Exchange service (it is a Rackspace Email-only "
		    "domain).", x->dom.name);
		return false;
	}
	return true;
}

static void
emu_api_dispatch(struct emu_ctx *x)
{
	switch (x->rt.kind) {
	case EMU_R_CUSTOMER:
		emu_api_customer(x);
		break;
	case EMU_R_DOMAINS:
		emu_api_domains(x);
		break;
	case EMU_R_DOMAIN:
		emu_api_domain(x);
		break;
	case EMU_R_ALTDOMAINS:
	case EMU_R_ALTDOMAIN:
		emu_api_altdomains(x);
		break;
	case EMU_R_RS_MBXS:
		emu_api_index(x, &emu_api_rs_mbx.res);
		break;
	case EMU_R_RS_MBX:
		emu_api_mailbox(x, &emu_api_rs_mbx);
		break;
	case EMU_R_RS_ALIASES:
		emu_api_index(x, &emu_api_rs_alias_res);
		break;
	case EMU_R_RS_ALIAS:
		emu_api_rs_alias(x);
		break;
	case EMU_R_RS_ALIAS_MEMBER:
		emu_api_rs_alias_member(x);
		break;
	case EMU_R_EX_MBXS:
		emu_api_index(x, &emu_api_ex_mbx.res);
		break;
	case EMU_R_EX_MBX:
		emu_api_mailbox(x, &emu_api_ex_mbx);
		break;
	case EMU_R_EX_MBX_ADDRS:
	case EMU_R_EX_MBX_ADDR:
		emu_api_ex_mailbox_addrs(x);
		break;
	case EMU_R_EX_CONTACTS:
		emu_api_index(x, &emu_api_ex_contact_res);
		break;
	case EMU_R_EX_CONTACT:
		emu_api_ex_contact(x);
		break;
	case EMU_R_EX_DLS:
		if (x->post)
			emu_api_dl_create(x);
		else
			emu_api_dl_index(x);
		break;
	case EMU_R_EX_DL:
		emu_api_dl_item(x);
		break;
	case EMU_R_EX_DL_MEMBERS:
	case EMU_R_EX_DL_SENDERS:
	case EMU_R_EX_DL_ADDRS:
	case EMU_R_EX_DL_ERRORS:
		emu_api_dl_sub(x);
		break;
	default:
		emu_resp_notfound(x->r, NULL, -1, "Resource not found.");
		break;
	}
	if (x->r->status == 0)
		emu_api_internal(x, -ADSYNC_EPROTO);
}

/* The decoded body for the request log, redacted; NULL if undecodable. */
static json_t *
emu_api_log_body(const struct emu_call *c)
{
	struct emu_form f;
	json_error_t jerr;
	json_t *j = NULL;
	char why[128];
	size_t i;

	if (c->body_len == 0)
		return NULL;
	if (c->content_type != NULL &&
	    emu_api_ctype_is(c->content_type, EMU_FORM_CT)) {
		if (emu_form_parse(c->body, c->body_len, &f, why,
		    sizeof(why)) < 0)
			return NULL;
		j = json_object();
		for (i = 0; i < f.n; i++)
			json_object_set_new(j, f.v[i].name,
			    json_string(f.v[i].value));
		emu_form_fini(&f);
	} else if (c->content_type != NULL &&
	    emu_api_ctype_is(c->content_type, "application/json"))
		j = json_loadb(c->body, c->body_len, 0, &jerr);
	if (j != NULL)
		emu_reqlog_redact(j);
	return j;
}

void
emu_api_process(struct emu *e, struct emu_call *c, struct emu_resp *r)
{
	struct emu_ctx x;
	enum emu_auth_fail af;
	const char *query;
	size_t plen, user = 0;
	unsigned mask;
	char why[256];
	bool write, locked = false, txn = false;
	int rr;

	memset(&x, 0, sizeof(x));
	x.e = e;
	x.st = e->state;
	x.c = c;
	x.r = r;
	x.now = c->now;
	c->user = -1;
	c->logbody = emu_api_log_body(c);
	x.get = strcmp(c->method, "GET") == 0;
	x.post = strcmp(c->method, "POST") == 0;
	x.put = strcmp(c->method, "PUT") == 0;
	x.del = strcmp(c->method, "DELETE") == 0;
	write = !x.get && strcmp(c->method, "HEAD") != 0;

	af = emu_auth_verify(e->cfg, c->signature, c->user_agent, c->now,
	    &user);
	if (af != EMU_AUTH_OK) {
		/* SECURITY: one reply for every reason, so a prober cannot
		 * tell a known key from an unknown one. */
		log_debug("auth failed reason=%s", emu_auth_fail_name(af));
		c->stat_flags |= EMU_STAT_AUTHFAIL;
		emu_resp_fault(r, 403, "unauthorizedFault",
		    "Authentication failed.");
		goto out;
	}
	c->user = (long)user;
	x.account = e->cfg->users[user].account;

	emu_route_split(c->target, &plen, &query);
	rr = emu_route_parse(c->target, plen, &x.rt);
	c->route = rr == 0 ? x.rt.kind : EMU_R_NONE;
	mask = 1u << (write ? EMU_B_WRITE : EMU_B_GET);
	if (rr == 0 && write && x.rt.kind == EMU_R_DOMAIN)
		mask |= 1u << EMU_B_DOMAIN;
	if (rr == 0 && (x.post || x.del) && x.rt.kind == EMU_R_ALTDOMAIN)
		mask |= 1u << EMU_B_ALTDOMAIN;
	if (!emu_throttle_check(e->throttle, user, mask, c->now_ms)) {
		c->stat_flags |= EMU_STAT_THROTTLED;
		emu_resp_fault(r, 403, "unauthorizedFault",
		    "Exceeded request limits");
		goto out;
	}
	if (rr == -ADSYNC_ENOTFOUND) {
		emu_resp_notfound(r, NULL, -1, "Resource not found.");
		goto out;
	}
	if (rr < 0) {
		emu_resp_fault(r, 400, "badRequestFault", "Malformed request "
		    "path.");
		goto out;
	}
	if (!x.get && !x.post && !x.put && !x.del) {
		emu_resp_fault(r, 405, "badRequestFault", "Method %.16s not "
		    "allowed.", c->method);
		goto out;
	}
	if (x.get && !emu_api_accept_ok(&x))
		goto out;
	if (emu_form_parse(query, strlen(query), &x.q, why,
	    sizeof(why)) < 0) {
		emu_resp_fault(r, 400, "badRequestFault", "Invalid query "
		    "string: %s", why);
		goto out;
	}
	if (!emu_api_account_ok(&x))
		goto out;
	if (!x.get && !x.del && !emu_api_body(&x))
		goto out;

	emu_state_lock(x.st);
	locked = true;
	if (write) {
		if ((rr = emu_state_begin(x.st)) < 0) {
			emu_api_internal(&x, rr);
			goto out;
		}
		txn = true;
	}
	if (x.rt.domain[0] != '\0' && !emu_api_domain_ok(&x))
		goto out;
	emu_api_dispatch(&x);
out:
	if (txn) {
		if (r->status < 400 && (rr = emu_state_commit(x.st)) < 0) {
			emu_state_rollback(x.st);
			emu_api_internal(&x, rr);
		} else if (r->status >= 400)
			emu_state_rollback(x.st);
	}
	if (locked)
		emu_state_unlock(x.st);
	emu_form_fini(&x.q);
	emu_form_fini(&x.f);
	json_decref(x.json);
}
