/*
 * Exchange distribution lists, v1 model (docs/rackspace-api.md §5.5; S6
 * fields, C5's body shape): JSON bodies only, create by POST to the
 * collection, membership and addresses changed by PUT with Action
 * Add/Remove (members) and Add/Update/Remove (addresses), marker paging.
 * [UNKNOWN] details chosen here are listed in rsemu.1. Runs on API worker
 * threads with the state lock held and a transaction open for writes; the
 * JSON body is untrusted (types and keys are checked one by one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu_api.h"
#include "emu_fields.h"
#include "err.h"
#include "xmalloc.h"

#define EMU_DL_MEMBERS_MAX 5000		/* [UNKNOWN] our bound */
#define EMU_DL_ADDRS_MAX 100
#define EMU_DL_TEXT_MAX 1024

static const char *
emu_dl_kind_name(int kind)
{
	switch (kind) {
	case EMU_K_RS_MBX:
		return "RackspaceMailbox";
	case EMU_K_EX_MBX:
		return "Mailbox";
	case EMU_K_CONTACT:
		return "Contact";
	case EMU_K_DL:
		return "DistributionList";
	default:
		return "Other";
	}
}

static json_t *
emu_dl_recipients(struct emu_state *st, int64_t id, enum emu_role role)
{
	char addr[EMU_ADDRESS_MAX + EMU_NAME_MAX + 2];
	json_t *arr = json_array(), *o;
	sqlite3_stmt *s;

	s = emu_state_stmt(st, EMU_SQL_MEMBER_LIST);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, (int)role);
	while (sqlite3_step(s) == SQLITE_ROW) {
		o = json_object();
		snprintf(addr, sizeof(addr), "%s@%s", emu_state_col_text(s, 2),
		    emu_state_col_text(s, 5));
		json_object_set_new(o, "Value", json_string(addr));
		json_object_set_new(o, "Name",
		    json_string(emu_state_col_text(s, 2)));
		json_object_set_new(o, "DisplayName",
		    json_string(emu_state_col_text(s, 3)));
		json_object_set_new(o, "RecipientType",
		    json_string(emu_dl_kind_name(sqlite3_column_int(s, 4))));
		json_array_append_new(arr, o);
	}
	sqlite3_reset(s);
	return arr;
}

/* EmailAddresses, and the primary smtp address into `primary`. */
static json_t *
emu_dl_addresses(struct emu_state *st, int64_t id, char *primary,
    size_t plen)
{
	json_t *arr = json_array(), *o;
	sqlite3_stmt *s;

	primary[0] = '\0';
	s = emu_state_stmt(st, EMU_SQL_ADDR_LIST);
	sqlite3_bind_int64(s, 1, id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		o = json_object();
		json_object_set_new(o, "AddressPrimary",
		    json_boolean(sqlite3_column_int(s, 1)));
		json_object_set_new(o, "AddressProtocol",
		    json_string(emu_state_col_text(s, 2)));
		json_object_set_new(o, "Value",
		    json_string(emu_state_col_text(s, 0)));
		if (sqlite3_column_int(s, 1) &&
		    strcmp(emu_state_col_text(s, 2), "smtp") == 0)
			snprintf(primary, plen, "%s", emu_state_col_text(s, 0));
		json_array_append_new(arr, o);
	}
	sqlite3_reset(s);
	return arr;
}

static long long
emu_dl_count(struct emu_state *st, int64_t id, enum emu_role role)
{
	sqlite3_stmt *s = emu_state_stmt(st, EMU_SQL_MEMBER_COUNT);
	long long n = 0;

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, (int)role);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return n;
}

json_t *
emu_api_dl_show(struct emu_state *st, const struct emu_obj *o,
    const char *domain)
{
	char primary[EMU_ADDRESS_MAX + 1];
	json_t *out = json_object(), *addrs, *m;
	const json_t *desc = json_object_get(o->data, "Description");

	(void)domain;
	addrs = emu_dl_addresses(st, o->id, primary, sizeof(primary));
	json_object_set_new(out, "CommonName", json_string(o->name));
	json_object_set_new(out, "DisplayName", json_string(o->display));
	json_object_set_new(out, "Description", desc != NULL ?
	    json_incref((json_t *)(uintptr_t)desc) : json_null());
	json_object_set_new(out, "MemberCount",
	    json_integer(emu_dl_count(st, o->id, EMU_ROLE_MEMBER)));
	json_object_set_new(out, "PrimarySmtpAddress", json_string(primary));
	json_object_set_new(out, "EmailAddresses", addrs);
	m = json_object();
	json_object_set_new(m, "Recipients",
	    emu_dl_recipients(st, o->id, EMU_ROLE_MEMBER));
	json_object_set_new(out, "Members", m);
	m = json_object();
	json_object_set_new(m, "Recipients",
	    emu_dl_recipients(st, o->id, EMU_ROLE_SENDER));
	json_object_set_new(out, "AcceptMessagesOnlyFrom", m);
	return out;
}

static json_t *
emu_dl_row(struct emu_state *st, const struct emu_obj *o)
{
	char primary[EMU_ADDRESS_MAX + 1];
	json_t *out = json_object();

	json_decref(emu_dl_addresses(st, o->id, primary, sizeof(primary)));
	json_object_set_new(out, "CommonName", json_string(o->name));
	json_object_set_new(out, "DisplayName", json_string(o->display));
	json_object_set_new(out, "PrimarySmtpAddress", json_string(primary));
	json_object_set_new(out, "MemberCount",
	    json_integer(emu_dl_count(st, o->id, EMU_ROLE_MEMBER)));
	return out;
}

void
emu_api_dl_index(struct emu_ctx *x)
{
	static const enum emu_sql which[2][2] = {
		{ EMU_SQL_DL_CN_ASC, EMU_SQL_DL_CN_DESC },
		{ EMU_SQL_DL_DN_ASC, EMU_SQL_DL_DN_DESC },
	};
	struct emu_obj o, m;
	struct emu_dl_q q;
	char why[256], next[EMU_NAME_MAX + 1];
	int64_t *ids = NULL;
	json_t *out, *rows;
	sqlite3_stmt *s;
	size_t n = 0, i;
	long long total;
	int r;

	memset(&m, 0, sizeof(m));
	if (!x->get) {
		emu_resp_fault(x->r, 405, "badRequestFault", "Method not "
		    "allowed on the list collection.");
		return;
	}
	if (emu_valid_dl_query(&x->q, &q, why, sizeof(why)) < 0) {
		emu_resp_fault(x->r, 400, "badRequestFault", "%s", why);
		return;
	}
	if (q.marker != NULL && q.by_display) {
		/* Sorting by display name continues after the marker's
		 * (display name, common name). */
		r = emu_state_obj_get(x->st, x->dom.id, q.marker, &m);
		if (r < 0 || m.kind != EMU_K_DL) {
			emu_resp_fault(x->r, 400, "badRequestFault", "Invalid "
			    "marker: no list named %.80s.", q.marker);
			goto out;
		}
	}
	s = emu_state_stmt(x->st, EMU_SQL_DL_COUNT);
	sqlite3_bind_int64(s, 1, x->dom.id);
	if (q.like[0] != '\0')
		sqlite3_bind_text(s, 3, q.like, -1, SQLITE_STATIC);
	total = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	s = emu_state_stmt(x->st, which[q.by_display][q.desc]);
	sqlite3_bind_int64(s, 1, x->dom.id);
	if (q.marker != NULL)
		sqlite3_bind_text(s, 2, q.marker, -1, SQLITE_STATIC);
	if (q.like[0] != '\0')
		sqlite3_bind_text(s, 3, q.like, -1, SQLITE_STATIC);
	/* One row more than asked tells whether there is a next page. */
	sqlite3_bind_int64(s, 4, (long long)q.limit + 1);
	if (m.display != NULL)
		sqlite3_bind_text(s, 5, m.display, -1, SQLITE_STATIC);
	ids = xcalloc((size_t)q.limit + 1, sizeof(*ids));
	while (n <= q.limit && sqlite3_step(s) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	rows = json_array();
	next[0] = '\0';
	for (i = 0; i < n && i < q.limit; i++) {
		if ((r = emu_state_obj_get_id(x->st, ids[i], &o)) < 0)
			continue;
		json_array_append_new(rows, emu_dl_row(x->st, &o));
		if (n > q.limit && i == q.limit - 1)
			snprintf(next, sizeof(next), "%s", o.name);
		emu_state_obj_fini(&o);
	}
	out = json_object();
	json_object_set_new(out, "Marker", q.marker != NULL ?
	    json_string(q.marker) : json_null());
	json_object_set_new(out, "NextMarker", next[0] != '\0' ?
	    json_string(next) : json_null());
	json_object_set_new(out, "Limit", json_integer(q.limit));
	json_object_set_new(out, "Sort", json_string(q.by_display ?
	    "DisplayName" : "CN"));
	json_object_set_new(out, "Order", json_string(q.desc ? "desc" :
	    "asc"));
	json_object_set_new(out, "Total", json_integer(total));
	json_object_set_new(out, "DistributionLists", rows);
	emu_resp_json(x->r, 200, out);
out:
	free(ids);
	emu_state_obj_fini(&m);
}

/* Checks that `j` has only keys from the NULL-terminated `allowed`. */
static bool
emu_dl_keys(struct emu_ctx *x, const json_t *j, const char *const *allowed,
    const char *where)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)(uintptr_t)j, key, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL) {
			emu_resp_fault(x->r, 400, "badRequestFault", "Unknown "
			    "property %s%.64s.", where, key);
			return false;
		}
	}
	return true;
}

/* A string member of `j` (NULL if absent); false if it has another type
 * or is too long. */
static bool
emu_dl_str(struct emu_ctx *x, const json_t *j, const char *key, size_t max,
    const char **out)
{
	const json_t *v = json_object_get(j, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_string(v) || json_string_length(v) > max) {
		emu_resp_fault(x->r, 400, "badRequestFault", "%s must be a "
		    "string of at most %zu characters.", key, max);
		return false;
	}
	*out = json_string_value(v);
	return true;
}

/*
 * Resolves a member value: a bare name on the list's domain or
 * name@domain on one of the account's domains (C5 sends bare names).
 */
static int
emu_dl_resolve(struct emu_ctx *x, const char *value, int64_t self,
    struct emu_obj *o, char *addr, size_t addrlen)
{
	char local[EMU_NAME_MAX + 1];
	const char *at = strchr(value, '@');
	struct emu_domain d;
	int r;

	if (at == NULL) {
		if (!emu_valid_name(value))
			return -ADSYNC_ENOTFOUND;
		d = x->dom;
		snprintf(local, sizeof(local), "%s", value);
	} else {
		if (!emu_valid_address(value) ||
		    (size_t)(at - value) > EMU_NAME_MAX)
			return -ADSYNC_ENOTFOUND;
		memcpy(local, value, (size_t)(at - value));
		local[at - value] = '\0';
		if ((r = emu_state_domain_get(x->st, at + 1, &d)) < 0)
			return r;
		if (d.account != x->account)
			return -ADSYNC_ENOTFOUND;
	}
	if ((r = emu_state_obj_get(x->st, d.id, local, o)) < 0)
		return r;
	if (o->kind == EMU_K_ALIAS || o->id == self) {
		emu_state_obj_fini(o);
		return -ADSYNC_ENOTFOUND;
	}
	snprintf(addr, addrlen, "%s@%s", o->name, d.name);
	return 0;
}

/* Applies {"Recipients":[{"Action","Value"}]} of `key` to list `id`. */
static bool
emu_dl_apply_recipients(struct emu_ctx *x, const json_t *body,
    const char *key, enum emu_role role, int64_t id, const char *list,
    bool creating)
{
	static const char *const okeys[] = { "Recipients", NULL };
	static const char *const rkeys[] = { "Action", "Value", NULL };
	char addr[EMU_ADDRESS_MAX + EMU_NAME_MAX + 2];
	const json_t *wrap = json_object_get(body, key), *arr, *it;
	const char *action, *value;
	struct emu_obj o;
	sqlite3_stmt *s;
	bool add, has;
	size_t i;
	/* The member count, read once and kept up to date: counting for
	 * every add made a 3,000-member PUT quadratic. -1 = not read yet. */
	long count = -1;
	int r;

	if (wrap == NULL || json_is_null(wrap))
		return true;
	if (!json_is_object(wrap) || !emu_dl_keys(x, wrap, okeys, key) ||
	    !json_is_array(arr = json_object_get(wrap, "Recipients"))) {
		if (x->r->status == 0)
			emu_resp_fault(x->r, 400, "badRequestFault", "%s must "
			    "be {\"Recipients\":[{\"Action\":.., "
			    "\"Value\":..}]}",
			    key);
		return false;
	}
	json_array_foreach(arr, i, it) {
		if (!json_is_object(it) || !emu_dl_keys(x, it, rkeys, "in "
		    "Recipients: ") || !emu_dl_str(x, it, "Action", 16,
		    &action) || !emu_dl_str(x, it, "Value", EMU_ADDRESS_MAX,
		    &value)) {
			if (x->r->status == 0)
				emu_resp_fault(x->r, 400, "badRequestFault",
				    "Each recipient must be an object.");
			return false;
		}
		if (value == NULL || action == NULL) {
			emu_resp_fault(x->r, 400, "badRequestFault", "Missing "
			    "required field: %s", value == NULL ? "Value" :
			    "Action");
			return false;
		}
		add = strcasecmp(action, "Add") == 0;
		if (!add && (creating || strcasecmp(action, "Remove") != 0)) {
			emu_resp_fault(x->r, 400, "badRequestFault", "Invalid "
			    "Action '%.16s' for %s (use Add%s).", action, key,
			    creating ? "" : " or Remove");
			return false;
		}
		r = emu_dl_resolve(x, value, id, &o, addr, sizeof(addr));
		if (r == -ADSYNC_ENOTFOUND) {
			emu_resp_fault(x->r, 400, "validationFault", "Unknown "
			    "member: %.80s is not a mailbox or contact on this "
			    "account.", value);
			return false;
		}
		if (r < 0) {
			emu_api_internal(x, r);
			return false;
		}
		s = emu_state_stmt(x->st, EMU_SQL_MEMBER_HAS_ID);
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int(s, 2, (int)role);
		sqlite3_bind_int64(s, 3, o.id);
		has = sqlite3_step(s) == SQLITE_ROW;
		sqlite3_reset(s);
		if (!add && !has) {
			emu_resp_fault(x->r, 400, "validationFault",
			    "%s is not a member of list %s.", addr, list);
			emu_state_obj_fini(&o);
			return false;
		}
		if (add && !has && count < 0)
			count = emu_dl_count(x->st, id, role);
		if (add && !has && count >= EMU_DL_MEMBERS_MAX) {
			emu_resp_fault(x->r, 400, "validationFault", "A list "
			    "can have at most %d members.",
			    EMU_DL_MEMBERS_MAX);
			emu_state_obj_fini(&o);
			return false;
		}
		/* Adding a present member is a no-op (idempotent sync). */
		if (add != has) {
			s = emu_state_stmt(x->st, add ? EMU_SQL_MEMBER_ADD :
			    EMU_SQL_MEMBER_DEL_ID);
			sqlite3_bind_int64(s, 1, id);
			sqlite3_bind_int(s, 2, (int)role);
			if (add) {
				sqlite3_bind_text(s, 3, addr, -1,
				    SQLITE_STATIC);
				sqlite3_bind_int64(s, 4, o.id);
			} else
				sqlite3_bind_int64(s, 3, o.id);
			if (sqlite3_step(s) != SQLITE_DONE) {
				emu_state_obj_fini(&o);
				emu_api_internal(x, -ADSYNC_ESERVER);
				return false;
			}
			if (count >= 0)
				count += add ? 1 : -1;
		}
		emu_state_obj_fini(&o);
	}
	return true;
}

static bool
emu_dl_exec(struct emu_ctx *x, enum emu_sql id, int64_t obj, const char *a)
{
	sqlite3_stmt *s = emu_state_stmt(x->st, id);

	sqlite3_bind_int64(s, 1, obj);
	if (a != NULL)
		sqlite3_bind_text(s, 2, a, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_DONE)
		return true;
	emu_api_internal(x, -ADSYNC_ESERVER);
	return false;
}

/* Adds one address; `primary` makes it the primary. */
static bool
emu_dl_addr_add(struct emu_ctx *x, int64_t id, const char *value,
    const char *proto, bool primary)
{
	sqlite3_stmt *s;
	int64_t owner = 0;
	int r;

	if (strcmp(proto, "smtp") == 0) {
		if (!emu_valid_address(value)) {
			emu_resp_fault(x->r, 400, "validationFault",
			    "'%.80s' is not a valid email address.", value);
			return false;
		}
		if (!emu_api_addr_domain_ok(x, value)) {
			emu_resp_fault(x->r, 400, "validationFault", "The "
			    "address %.80s is not in the primary domain or any "
			    "of the alternate domains", value);
			return false;
		}
		if ((r = emu_state_addr_used(x->st, x->account, value,
		    &owner)) < 0) {
			emu_api_internal(x, r);
			return false;
		}
	}
	if (owner != 0 && owner != id) {
		emu_resp_fault(x->r, 409, "appsFault", "The email address "
		    "%s is already in use.", value);
		return false;
	}
	if (primary && !emu_dl_exec(x, EMU_SQL_ADDR_CLEAR_PRIMARY, id, NULL))
		return false;
	s = emu_state_stmt(x->st, EMU_SQL_ADDR_INSERT);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, x->account);
	sqlite3_bind_text(s, 3, value, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, primary);
	sqlite3_bind_text(s, 5, proto, -1, SQLITE_STATIC);
	r = sqlite3_step(s);
	sqlite3_reset(s);
	if (r == SQLITE_CONSTRAINT) {
		emu_resp_fault(x->r, 409, "appsFault", "The email address "
		    "%s is already in use.", value);
		return false;
	}
	if (r != SQLITE_DONE) {
		emu_api_internal(x, -ADSYNC_ESERVER);
		return false;
	}
	return true;
}

/* Applies EmailAddresses (S6): Action Add / Update / Remove. */
static bool
emu_dl_apply_addresses(struct emu_ctx *x, const json_t *body, int64_t id,
    const char *cn_addr, bool creating)
{
	static const char *const keys[] = { "Action", "AddressPrimary",
	    "AddressProtocol", "Value", NULL };
	const json_t *arr = json_object_get(body, "EmailAddresses"), *it, *p;
	const char *action, *value, *proto;
	sqlite3_stmt *s;
	bool primary, has, was_primary = false, was_smtp = false;
	size_t i;

	if (arr == NULL || json_is_null(arr))
		return true;
	if (!json_is_array(arr) || json_array_size(arr) > EMU_DL_ADDRS_MAX) {
		emu_resp_fault(x->r, 400, "badRequestFault", "EmailAddresses "
		    "must be an array of at most %d entries.",
		    EMU_DL_ADDRS_MAX);
		return false;
	}
	json_array_foreach(arr, i, it) {
		if (!json_is_object(it) || !emu_dl_keys(x, it, keys,
		    "in EmailAddresses: ") || !emu_dl_str(x, it, "Action", 16,
		    &action) || !emu_dl_str(x, it, "Value", EMU_DL_TEXT_MAX,
		    &value) || !emu_dl_str(x, it, "AddressProtocol", 8,
		    &proto)) {
			if (x->r->status == 0)
				emu_resp_fault(x->r, 400, "badRequestFault",
				    "Each EmailAddresses entry must be an "
				    "object.");
			return false;
		}
		p = json_object_get(it, "AddressPrimary");
		if (p != NULL && !json_is_boolean(p)) {
			emu_resp_fault(x->r, 400, "badRequestFault",
			    "AddressPrimary must be true or false.");
			return false;
		}
		primary = p != NULL && json_is_true(p);
		if (action == NULL)
			action = "Add";
		if (proto == NULL)
			proto = "smtp";
		if (strcasecmp(proto, "smtp") == 0)
			proto = "smtp";
		else if (strcasecmp(proto, "x500") == 0)
			proto = "x500";
		else {
			emu_resp_fault(x->r, 400, "validationFault",
			    "AddressProtocol must be smtp or x500.");
			return false;
		}
		if (value == NULL || value[0] == '\0') {
			emu_resp_fault(x->r, 400, "badRequestFault", "Missing "
			    "required field: Value");
			return false;
		}
		if (primary && strcmp(proto, "smtp") != 0) {
			emu_resp_fault(x->r, 400, "validationFault", "The "
			    "primary address must be an smtp address.");
			return false;
		}
		s = emu_state_stmt(x->st, EMU_SQL_ADDR_GET);
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
		has = sqlite3_step(s) == SQLITE_ROW;
		if (has) {
			was_primary = sqlite3_column_int(s, 0) != 0;
			was_smtp = strcmp(emu_state_col_text(s, 1),
			    "smtp") == 0;
		}
		sqlite3_reset(s);
		if (strcasecmp(action, "Add") == 0) {
			if (has) {
				emu_resp_fault(x->r, 409, "appsFault", "The "
				    "list already has the address %.80s.",
				    value);
				return false;
			}
			if (!emu_dl_addr_add(x, id, value, proto, primary))
				return false;
			continue;
		}
		if (creating || (strcasecmp(action, "Update") != 0 &&
		    strcasecmp(action, "Remove") != 0)) {
			emu_resp_fault(x->r, 400, "badRequestFault", "Invalid "
			    "Action '%.16s' for EmailAddresses (use Add%s).",
			    action, creating ? "" : ", Update or Remove");
			return false;
		}
		if (!has) {
			emu_resp_fault(x->r, 400, "validationFault", "The list "
			    "has no address %.80s.", value);
			return false;
		}
		if (strcasecmp(action, "Remove") == 0) {
			if (strcasecmp(value, cn_addr) == 0) {
				emu_resp_fault(x->r, 400, "validationFault",
				    "The common name address cannot be "
				    "removed.");
				return false;
			}
			if (was_primary) {
				emu_resp_fault(x->r, 400, "validationFault",
				    "The primary address cannot be removed; "
				    "make another address primary first.");
				return false;
			}
			if (!emu_dl_exec(x, EMU_SQL_ADDR_DELETE, id, value))
				return false;
			continue;
		}
		/* Update: only the primary flag can change; exactly one
		 * primary, so clearing it is refused. The stored protocol
		 * counts, not the request's (which defaults to smtp): an x500
		 * address never becomes the primary (S6). */
		if (primary && !was_smtp) {
			emu_resp_fault(x->r, 400, "validationFault", "The "
			    "primary address must be an smtp address.");
			return false;
		}
		if (!primary && was_primary) {
			emu_resp_fault(x->r, 400, "validationFault", "A list "
			    "must have exactly one primary address.");
			return false;
		}
		if (primary && (!emu_dl_exec(x, EMU_SQL_ADDR_CLEAR_PRIMARY, id,
		    NULL) || !emu_dl_exec(x, EMU_SQL_ADDR_SET_PRIMARY, id,
		    value)))
			return false;
	}
	return true;
}

static bool
emu_dl_set_text(struct emu_ctx *x, struct emu_obj *o, bool creating)
{
	const char *dn, *desc;

	if (!emu_dl_str(x, x->json, "DisplayName", 256, &dn) ||
	    !emu_dl_str(x, x->json, "Description", EMU_DL_TEXT_MAX, &desc))
		return false;
	if (creating && (dn == NULL || dn[0] == '\0')) {
		emu_resp_fault(x->r, 400, "badRequestFault", "Missing required "
		    "field: DisplayName");
		return false;
	}
	if (dn != NULL) {
		if (dn[0] == '\0') {
			emu_resp_fault(x->r, 400, "validationFault",
			    "DisplayName cannot be empty.");
			return false;
		}
		free(o->display);
		o->display = xstrdup(dn);
	}
	if (desc != NULL)
		json_object_set_new(o->data, "Description", json_string(desc));
	return true;
}

/*
 * What every list body must be, on create and update: a JSON object with
 * only the list's keys and, if present, a string CommonName (into *cn,
 * else NULL). False if a reply was set.
 */
static bool
emu_dl_body(struct emu_ctx *x, const char **cn)
{
	static const char *const keys[] = { "CommonName", "DisplayName",
	    "Description", "Members", "EmailAddresses",
	    "AcceptMessagesOnlyFrom", NULL };

	if (x->json == NULL) {
		emu_resp_fault(x->r, 400, "badRequestFault", "A JSON body is "
		    "required.");
		return false;
	}
	return emu_dl_keys(x, x->json, keys, "") &&
	    emu_dl_str(x, x->json, "CommonName", EMU_NAME_MAX * 2, cn);
}

void
emu_api_dl_create(struct emu_ctx *x)
{
	char cn_addr[EMU_ADDRESS_MAX + EMU_NAME_MAX + 2];
	const char *cn;
	struct emu_obj o;
	bool primary_given = false;
	const json_t *arr, *it;
	size_t i;

	memset(&o, 0, sizeof(o));
	if (!emu_dl_body(x, &cn))
		return;
	if (cn == NULL) {
		emu_resp_fault(x->r, 400, "badRequestFault", "Missing required "
		    "field: CommonName");
		return;
	}
	if (!emu_valid_name(cn)) {
		emu_api_bad_name(x, EMU_K_DL, cn);
		return;
	}
	o.data = json_object();
	o.display = xstrdup("");
	if (!emu_dl_set_text(x, &o, true) || emu_api_name_free(x, cn) < 0)
		goto out;
	emu_api_obj_init(x, &o, EMU_K_DL, cn);
	if (emu_api_obj_insert(x, &o) < 0)
		goto out;
	arr = json_object_get(x->json, "EmailAddresses");
	json_array_foreach(arr, i, it)
		if (json_is_true(json_object_get(it, "AddressPrimary")))
			primary_given = true;
	/* The common-name address always exists (S6); primary unless the
	 * body names another. */
	snprintf(cn_addr, sizeof(cn_addr), "%s@%s", cn, x->dom.name);
	if (!emu_dl_addr_add(x, o.id, cn_addr, "smtp", !primary_given) ||
	    !emu_dl_apply_addresses(x, x->json, o.id, cn_addr, true) ||
	    !emu_dl_apply_recipients(x, x->json, "Members", EMU_ROLE_MEMBER,
	    o.id, cn, true) ||
	    !emu_dl_apply_recipients(x, x->json, "AcceptMessagesOnlyFrom",
	    EMU_ROLE_SENDER, o.id, cn, true))
		goto out;
	/* C5 checks for 204 on create. */
	emu_resp_status(x->r, 204);
out:
	emu_state_obj_fini(&o);
}

static void
emu_dl_update(struct emu_ctx *x, struct emu_obj *o)
{
	char cn_addr[EMU_ADDRESS_MAX + EMU_NAME_MAX + 2];
	const char *cn;
	int r;

	if (!emu_dl_body(x, &cn))
		return;
	if (cn != NULL && strcasecmp(cn, o->name) != 0) {
		emu_resp_fault(x->r, 400, "badRequestFault", "CommonName "
		    "cannot be changed.");
		return;
	}
	snprintf(cn_addr, sizeof(cn_addr), "%s@%s", o->name, x->dom.name);
	if (!emu_dl_set_text(x, o, false) ||
	    !emu_dl_apply_addresses(x, x->json, o->id, cn_addr, false) ||
	    !emu_dl_apply_recipients(x, x->json, "Members", EMU_ROLE_MEMBER,
	    o->id, o->name, false) ||
	    !emu_dl_apply_recipients(x, x->json, "AcceptMessagesOnlyFrom",
	    EMU_ROLE_SENDER, o->id, o->name, false))
		return;
	if ((r = emu_state_obj_update(x->st, o)) < 0) {
		emu_api_internal(x, r);
		return;
	}
	emu_resp_status(x->r, 204);
}

void
emu_api_dl_item(struct emu_ctx *x)
{
	struct emu_obj o;
	int r;

	if (x->post) {
		/* [UNKNOWN] v1 create URL; C5 posts to the collection. We
		 * accept the item URL too when the names agree. */
		const json_t *cn = x->json != NULL ?
		    json_object_get(x->json, "CommonName") : NULL;

		if (cn == NULL && x->json != NULL)
			json_object_set_new(x->json, "CommonName",
			    json_string(x->rt.name));
		else if (cn != NULL && (!json_is_string(cn) ||
		    strcasecmp(json_string_value(cn), x->rt.name) != 0)) {
			emu_resp_fault(x->r, 400, "badRequestFault",
			    "CommonName does not match the URL.");
			return;
		}
		emu_api_dl_create(x);
		return;
	}
	if (!emu_api_load(x, EMU_K_DL, &o))
		return;
	if (x->get)
		emu_resp_json(x->r, 200, emu_api_dl_show(x->st, &o,
		    x->dom.name));
	else if (x->put)
		emu_dl_update(x, &o);
	else if ((r = emu_state_obj_delete(x->st, o.id)) < 0)
		emu_api_internal(x, r);
	else
		emu_resp_status(x->r, 204);
	emu_state_obj_fini(&o);
}

void
emu_api_dl_sub(struct emu_ctx *x)
{
	char primary[EMU_ADDRESS_MAX + 1];
	struct emu_obj o;
	json_t *out;

	if (!x->get) {
		emu_resp_fault(x->r, 405, "badRequestFault", "Method not "
		    "allowed; change a list with PUT on the list.");
		return;
	}
	if (!emu_api_load(x, EMU_K_DL, &o))
		return;
	out = json_object();
	switch (x->rt.kind) {
	case EMU_R_EX_DL_MEMBERS:
		json_object_set_new(out, "Recipients",
		    emu_dl_recipients(x->st, o.id, EMU_ROLE_MEMBER));
		break;
	case EMU_R_EX_DL_SENDERS:
		json_object_set_new(out, "Recipients",
		    emu_dl_recipients(x->st, o.id, EMU_ROLE_SENDER));
		break;
	case EMU_R_EX_DL_ADDRS:
		json_object_set_new(out, "EmailAddresses",
		    emu_dl_addresses(x->st, o.id, primary, sizeof(primary)));
		break;
	default:
		/* Provisioning is synchronous here: never any errors. */
		json_object_set_new(out, "Errors", json_array());
		break;
	}
	emu_resp_json(x->r, 200, out);
	emu_state_obj_fini(&o);
}
