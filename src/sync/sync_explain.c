/*
 * `adsync explain ADDRESS|DN|GUID`: why one object is or is not synced,
 * where, what was done to it and what is pending. It plans the whole
 * mirror offline (no API call, nothing changed: the same plan `adsync plan
 * --offline` prints) and keeps what concerns the object, beside its AD
 * values from the mirror, its state rows and its last journaled
 * operations. Engine thread (it reads the engine's store between cycles).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "err.h"
#include "sync_internal.h"
#include "xmalloc.h"

/* Journaled operations shown per object. */
#define SYNC_EXPLAIN_OPS 10

static bool
sync_explain_is_addr(const char *name, const char *domain, const char *key)
{
	size_t n = strlen(name);

	return strncasecmp(key, name, n) == 0 && key[n] == '@' &&
	    strcasecmp(key + n + 1, domain) == 0;
}

struct sync_explain_find {
	const char *key;
	struct obj_guid g;
	bool found;
};

static int
sync_explain_row_cb(const struct plan_row *row, void *arg)
{
	struct sync_explain_find *f = arg;

	if (row->name != NULL && row->domain != NULL &&
	    sync_explain_is_addr(row->name, row->domain, f->key)) {
		f->g = row->anchor;
		f->found = true;
		return 1;	/* stop */
	}
	return 0;
}

/* The object `key` names, from the state, the mirror or the plan. */
static int
sync_explain_resolve(struct sync_engine *e, const char *key,
    const struct plan *p, struct obj_guid *g, char *why, size_t whylen)
{
	struct sync_explain_find f = { .key = key };
	size_t i;
	int r;

	if (obj_guid_parse(key, g) == 0)
		return 0;
	if (strchr(key, '=') != NULL) {
		if ((r = store_mirror_find_dn(e->st, key, g)) == 0)
			return 0;
		snprintf(why, whylen, "no object with the DN %s in the copy of "
		    "the directory (check the spelling; an object outside "
		    "base_dn is never read)", key);
		return r;
	}
	if (strchr(key, '@') == NULL) {
		snprintf(why, whylen, "%s is neither an address "
		    "(name@domain), a DN nor a GUID", key);
		return -EINVAL;
	}
	/* Names and domains only: no row's fields decoded. */
	if ((r = store_row_each_ident(e->st, sync_explain_row_cb, &f)) < 0 &&
	    r != 1) {
		snprintf(why, whylen, "cannot read the state: %s",
		    store_errmsg(e->st));
		return r;
	}
	if (f.found) {
		*g = f.g;
		return 0;
	}
	for (i = 0; p != NULL && i < p->nops; i++)
		if (sync_explain_is_addr(p->ops[i].name, p->ops[i].domain,
		    key)) {
			*g = p->ops[i].anchor;
			return 0;
		}
	snprintf(why, whylen, "no synced object and no pending operation has "
	    "the address %s; give the object's DN or GUID (an object that "
	    "is not in scope has no address in the service)", key);
	return -ADSYNC_ENOTFOUND;
}

static bool
sync_explain_member_of(const struct obj *o, const char *group)
{
	size_t i;

	if (group == NULL || group[0] == '\0')
		return false;
	for (i = 0; i < o->member_of.n; i++)
		if (o->member_of.v[i].dn != NULL &&
		    strcasecmp(o->member_of.v[i].dn, group) == 0)
			return true;
	return false;
}

/* The scope in words, from the AD object and the configured groups. */
static json_t *
sync_explain_scope(struct sync_engine *e, const struct obj *o)
{
	const struct conf_sync *c = &e->conf->sync;
	bool ex = sync_explain_member_of(o, c->exchange_group);
	bool rs = sync_explain_member_of(o, c->rackspace_email_group);
	const char *mail = obj_value(o, OBJ_A_MAIL);
	json_t *a = json_array();
	char s[1024];

	switch (o->kind) {
	case OBJ_USER:
		if (ex && rs)
			snprintf(s, sizeof(s), "a direct member of both groups: "
			    "not synced (\"already exist in another service\"); "
			    "remove it from one");
		else if (ex || rs)
			snprintf(s, sizeof(s), "a direct member of %s: in scope "
			    "for %s", ex ? c->exchange_group :
			    c->rackspace_email_group, ex ? "Hosted Exchange" :
			    "Rackspace Email");
		else
			snprintf(s, sizeof(s), "not a direct member of the "
			    "Hosted Exchange group or the Rackspace Email group: "
			    "no mailbox (members of nested groups get none)");
		json_array_append_new(a, json_string(s));
		if ((ex || rs) && (mail == NULL || mail[0] == '\0'))
			json_array_append_new(a, json_string("mail is empty: "
			    "no mailbox until it is set"));
		if (o->uac & OBJ_UAC_ACCOUNTDISABLE)
			json_array_append_new(a, json_string("ACCOUNTDISABLE is "
			    "set in userAccountControl: its mailbox is "
			    "disabled"));
		break;
	case OBJ_GROUP:
		snprintf(s, sizeof(s), "%s", ex ? (mail != NULL && mail[0] ?
		    "a mail-enabled group nested in the Hosted Exchange "
		    "group: a distribution list of its synced members" :
		    "a group nested in the Hosted Exchange group without "
		    "mail: reported, not synced") : "a group not nested in "
		    "the Hosted Exchange group: not synced");
		json_array_append_new(a, json_string(s));
		break;
	case OBJ_CONTACT:
		snprintf(s, sizeof(s), "%s", ex ? "a contact in the Hosted "
		    "Exchange group: an Exchange contact" : "a contact not in "
		    "the Hosted Exchange group: not synced");
		json_array_append_new(a, json_string(s));
		break;
	default:
		json_array_append_new(a, json_string("not a user, contact or "
		    "group: not synced"));
		break;
	}
	return a;
}

static json_t *
sync_explain_ad(const struct obj *o)
{
	json_t *j = json_object(), *groups = json_array(), *attrs =
	    json_object();
	size_t i, k;

	json_object_set_new(j, "kind", json_string(obj_kind_name(o->kind)));
	json_object_set_new(j, "dn", json_string(o->dn));
	if (o->kind == OBJ_USER)
		json_object_set_new(j, "disabled", json_boolean(o->uac &
		    OBJ_UAC_ACCOUNTDISABLE));
	for (i = 0; i < OBJ_A_COUNT; i++) {
		const struct obj_values *v = &o->attrs[i];

		if (v->n == 0)
			continue;
		if (obj_attr_desc((enum obj_attr)i)->multi) {
			json_t *arr = json_array();

			for (k = 0; k < v->n; k++)
				json_array_append_new(arr,
				    json_string(v->v[k]));
			json_object_set_new(attrs,
			    obj_attr_desc((enum obj_attr)i)->ldap, arr);
		} else {
			json_object_set_new(attrs,
			    obj_attr_desc((enum obj_attr)i)->ldap,
			    json_string(v->v[0]));
		}
	}
	json_object_set_new(j, "attributes", attrs);
	for (i = 0; i < o->member_of.n; i++)
		if (o->member_of.v[i].dn != NULL)
			json_array_append_new(groups,
			    json_string(o->member_of.v[i].dn));
	json_object_set_new(j, "member_of", groups);
	return j;
}

/* The value of write field `name` in `row`, or NULL. */
static const char *
sync_explain_field(const struct plan_row *row, const char *name)
{
	size_t i;

	for (i = 0; i < row->fields.n; i++)
		if (strcmp(row->fields.v[i].name, name) == 0)
			return row->fields.v[i].value != NULL ?
			    row->fields.v[i].value : "";
	return NULL;
}

/* Attribute by attribute, what AD holds (o may be NULL: no longer in AD)
 * and what adsync last wrote to the field it feeds in this row's service
 * and kind: the mapping table of plan_map.c made concrete. */
static json_t *
sync_explain_mapping(const struct obj *o, const struct plan_row *row)
{
	json_t *arr = json_array(), *m;
	const char *col, *ad, *applied;
	size_t i;

	for (i = 0; i < plan_map_n; i++) {
		col = plan_map_column(&plan_map[i], row->service, row->kind);
		if (col == NULL)
			continue;
		ad = o != NULL ? obj_value(o, plan_map[i].attr) : NULL;
		applied = sync_explain_field(row, col);
		m = json_pack("{s:s,s:s,s:s}", "attribute",
		    obj_attr_desc(plan_map[i].attr)->ldap, "field", col,
		    "ad", ad != NULL ? ad : "");
		if (m == NULL)
			continue;
		json_object_set_new(m, "applied", applied != NULL ?
		    json_string(applied) : json_null());
		json_array_append_new(arr, m);
	}
	return arr;
}

static json_t *
sync_explain_rows(struct sync_engine *e, const struct obj_guid *g,
    const struct obj *o)
{
	json_t *arr = json_array(), *j, *f;
	struct plan_row row;
	size_t s, i;

	for (s = 0; s < PLAN_SVC_COUNT; s++) {
		plan_row_init(&row);
		if (store_row_get(e->st, g, (enum plan_service)s, &row) == 0) {
			char addr[400];

			snprintf(addr, sizeof(addr), "%s@%s",
			    row.name != NULL ? row.name : "",
			    row.domain != NULL ? row.domain : "");
			f = json_object();
			for (i = 0; i < row.fields.n; i++)
				json_object_set_new(f, row.fields.v[i].name,
				    json_string(row.fields.v[i].value != NULL ?
				    row.fields.v[i].value : ""));
			j = json_pack("{s:s,s:s,s:s,s:b,s:b,s:o}",
			    "service", plan_service_name(row.service),
			    "kind", plan_kind_name(row.kind),
			    "address", addr, "enabled", row.enabled,
			    "in_scope", row.in_scope, "fields", f);
			if (j != NULL) {
				json_object_set_new(j, "mapping",
				    sync_explain_mapping(o, &row));
				json_array_append_new(arr, j);
			}
		}
		plan_row_fini(&row);
	}
	return arr;
}

static json_t *
sync_explain_journal(struct sync_engine *e, const struct obj_guid *g)
{
	struct store_op *ops = xcalloc(SYNC_EXPLAIN_OPS, sizeof(*ops));
	json_t *arr = json_array();
	size_t n = 0, i;

	if (store_op_last_of_anchor(e->st, g, ops, SYNC_EXPLAIN_OPS,
	    &n) == 0) {
		for (i = 0; i < n; i++)
			json_array_append_new(arr, json_pack(
			    "{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I}",
			    "run", (json_int_t)ops[i].run_id,
			    "op", plan_opkind_name(ops[i].op),
			    "service", plan_service_name(ops[i].service),
			    "state", store_op_state_name(ops[i].state),
			    "reason", ops[i].reason,
			    "detail", ops[i].detail,
			    "result", ops[i].result,
			    "started", (json_int_t)ops[i].started,
			    "finished", (json_int_t)ops[i].finished));
	}
	free(ops);
	return arr;
}

int
sync_engine_explain(struct sync_engine *e, const char *key, json_t **out,
    char *why, size_t whylen)
{
	struct sync_opts so = { .trigger = "explain", .offline = true };
	struct sync_report rep;
	struct obj *o = NULL;
	struct obj_guid g;
	json_t *j = NULL, *pending, *alerts;
	char gtext[OBJ_GUID_TEXT];
	const struct plan *p;
	size_t i;
	int r, found;

	*out = NULL;
	/* The plan from the mirror as it is: no read, no API; focused on the
	 * object when the state or the mirror names it (a user or contact),
	 * else of everything (an address only a pending create knows). */
	so.no_read = true;
	sync_report_init(&rep);
	found = sync_explain_resolve(e, key, NULL, &g, why, whylen);
	if (found < 0 && found != -ADSYNC_ENOTFOUND)
		return found;
	if (found == 0 && store_mirror_get_lean(e->st, &g, &o) == 0 &&
	    !o->deleted && (o->kind == OBJ_USER || o->kind == OBJ_CONTACT)) {
		so.focus = &g;
		so.nfocus = 1;
	}
	obj_free(o);
	o = NULL;
	if ((r = sync_engine_run(e, &so, &rep)) < 0) {
		snprintf(why, whylen, "%s", rep.why);
		sync_report_fini(&rep);
		return r;
	}
	p = rep.plan;
	/* Not named by the state or the mirror: maybe a pending create. */
	if (found != 0 &&
	    (r = sync_explain_resolve(e, key, p, &g, why, whylen)) < 0)
		goto out;
	obj_guid_format(&g, gtext);
	j = json_pack("{s:s,s:s}", "key", key, "guid", gtext);
	r = store_mirror_get(e->st, &g, &o);
	if (r == 0) {
		json_object_set_new(j, "ad", sync_explain_ad(o));
		json_object_set_new(j, "scope", sync_explain_scope(e, o));
	} else if (r == -ADSYNC_ENOTFOUND) {
		json_object_set_new(j, "scope", json_pack("[s]", "not in the "
		    "copy of the directory: deleted in AD, moved out of "
		    "base_dn, or never read"));
	} else {
		snprintf(why, whylen, "cannot read the object from the state: "
		    "%s", store_errmsg(e->st));
		goto out;
	}
	json_object_set_new(j, "synced", sync_explain_rows(e, &g, o));
	pending = json_array();
	for (i = 0; i < p->nops; i++)
		if (obj_guid_equal(&p->ops[i].anchor, &g))
			json_array_append_new(pending,
			    plan_op_json(&p->ops[i], false));
	for (i = 0; i < p->nheld; i++)
		if (obj_guid_equal(&p->held_ops[i].anchor, &g))
			json_array_append_new(pending,
			    plan_op_json(&p->held_ops[i], true));
	json_object_set_new(j, "pending", pending);
	alerts = json_array();
	for (i = 0; i < p->nalerts; i++)
		if (obj_guid_equal(&p->alerts[i].anchor, &g))
			json_array_append_new(alerts, json_pack("{s:s,s:s,s:s}",
			    "level", plan_level_name(p->alerts[i].level),
			    "service", p->alerts[i].service < PLAN_SVC_COUNT ?
			    plan_service_name(p->alerts[i].service) : "",
			    "message", p->alerts[i].message));
	json_object_set_new(j, "alerts", alerts);
	json_object_set_new(j, "operations", sync_explain_journal(e, &g));
	*out = j;
	j = NULL;
	r = 0;
out:
	json_decref(j);
	obj_free(o);
	sync_report_fini(&rep);
	return r;
}
