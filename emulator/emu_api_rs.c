/*
 * Rackspace Email resources (docs/rackspace-api.md §5.1, §5.2): mailboxes
 * with the nested-read / flat-write asymmetry, delete-and-recover within 14
 * days, rename by PUT name; aliases with their 50 local + 4 external limits.
 * Runs on API worker threads with the state lock held and a transaction open
 * for writes (emu_api_process); form values are untrusted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu_api.h"
#include "emu_fields.h"
#include "err.h"
#include "xmalloc.h"

#define EMU_ALIAS_LOCAL_MAX 50
#define EMU_ALIAS_EXTERNAL_MAX 4
#define EMU_ALIAS_TOTAL_MAX 50

static const char *const emu_rs_computed[] = {
	"size", "currentUsage", "enabled", "createdDate", "lastLogin", NULL
};

static bool
emu_rs_fields_ok(const char *name)
{
	const struct emu_field *f;
	size_t i;

	for (i = 0; emu_rs_computed[i] != NULL; i++)
		if (strcmp(name, emu_rs_computed[i]) == 0)
			return true;
	f = emu_fields_find(emu_fields_rs_mbx, name);
	return f != NULL && (f->flags & EMU_F_NESTED) == 0;
}

/* Adds field `name` of `o` to an index row or a Show object. */
static void
emu_rs_field(const struct emu_obj *o, const char *name, json_t *out)
{
	const struct emu_field *f;

	if (strcmp(name, "currentUsage") == 0)
		json_object_set_new(out, name, json_integer(0));
	else if (strcmp(name, "createdDate") == 0)
		json_object_set_new(out, name, emu_api_time_json(o->created));
	else if (strcmp(name, "lastLogin") == 0)
		/* The emulator has no logins: "" as for a new mailbox. */
		json_object_set_new(out, name, json_string(""));
	else if ((f = emu_fields_find(emu_fields_rs_mbx, name)) != NULL)
		json_object_set_new(out, f->read != NULL ? f->read : f->name,
		    emu_fields_value(f, o->data));
}

static void
emu_rs_row(struct emu_ctx *x, sqlite3_stmt *row, const struct emu_obj *o,
    const char *fields, json_t *out)
{
	const char *p, *comma;
	char name[EMU_FORM_NAME_MAX + 1];
	size_t len;

	(void)x;
	(void)row;
	json_object_set_new(out, "name", json_string(o->name));
	emu_rs_field(o, "displayName", out);
	for (p = fields; p != NULL; p = comma != NULL ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (len > EMU_FORM_NAME_MAX)
			continue;
		memcpy(name, p, len);
		name[len] = '\0';
		emu_rs_field(o, name, out);
	}
}

json_t *
emu_api_rs_mailbox_show(struct emu_state *st, const struct emu_obj *o)
{
	json_t *out = json_object(), *ci = json_object();

	(void)st;
	json_object_set_new(out, "name", json_string(o->name));
	emu_fields_show(emu_fields_rs_mbx, o->data, out, ci);
	json_object_set_new(out, "currentUsage", json_integer(0));
	json_object_set_new(out, "createdDate",
	    emu_api_time_json(o->created));
	json_object_set_new(out, "lastLogin", json_string(""));
	json_object_set_new(out, "contactInfo", ci);
	return out;
}

void
emu_api_rs_mailboxes(struct emu_ctx *x)
{
	if (!x->get) {
		emu_resp_fault(x->r, 405, "badRequestFault", "Method not "
		    "allowed on the mailbox list; add with POST to "
		    ".../rs/mailboxes/{name}.");
		return;
	}
	emu_api_index(x, EMU_K_RS_MBX, true, emu_rs_fields_ok, emu_rs_row,
	    "rsMailboxes");
}

/* Id of the recoverable deleted mailbox `name`, or 0. */
static int64_t
emu_rs_deleted_id(struct emu_ctx *x, const char *name)
{
	sqlite3_stmt *s;
	int64_t id = 0;

	s = emu_state_stmt(x->st, EMU_SQL_DELETED_PURGE);
	sqlite3_bind_int64(s, 1, (int64_t)x->now - EMU_RECOVER_SECONDS);
	(void)sqlite3_step(s);
	s = emu_state_stmt(x->st, EMU_SQL_DELETED_GET);
	sqlite3_bind_int64(s, 1, x->dom.id);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return id;
}

static void
emu_rs_notfound(struct emu_ctx *x)
{
	bool rec = x->dom.id != 0 && emu_valid_name(x->rt.name) &&
	    emu_rs_deleted_id(x, x->rt.name) != 0;

	/* C4's canRecover reads additionalData.isRecoverable. */
	emu_resp_notfound(x->r, "Mailbox", rec, "Mailbox not found: %.80s",
	    x->rt.name);
}

/* Loads the RS mailbox of the route; false (404 set) if there is none. */
static bool
emu_rs_load(struct emu_ctx *x, struct emu_obj *o)
{
	int r;

	if (!emu_valid_name(x->rt.name)) {
		emu_rs_notfound(x);
		return false;
	}
	r = emu_state_obj_get(x->st, x->dom.id, x->rt.name, o);
	if (r == 0 && o->kind == EMU_K_RS_MBX)
		return true;
	if (r == 0)
		emu_state_obj_fini(o);
	else if (r != -ADSYNC_ENOTFOUND) {
		emu_api_internal(x, r);
		return false;
	}
	emu_rs_notfound(x);
	return false;
}

static bool
emu_rs_password_ok(struct emu_ctx *x, const char *pw)
{
	const char *why;

	if (emu_valid_password(pw, &why) == 0)
		return true;
	emu_resp_fault(x->r, 400, "validationFault", "%s", why);
	return false;
}

/* POST with recoverDeleted=true (§5.1, C5 restore_mailbox). */
static void
emu_rs_recover(struct emu_ctx *x, const char *pw)
{
	struct emu_obj o;
	sqlite3_stmt *s;
	char why[256];
	int64_t did, id;
	int r;

	memset(&o, 0, sizeof(o));
	if (pw == NULL) {
		emu_resp_fault(x->r, 400, "badRequestFault", "Missing "
		    "required field: password");
		return;
	}
	if (!emu_rs_password_ok(x, pw))
		return;
	if ((did = emu_rs_deleted_id(x, x->rt.name)) == 0) {
		emu_resp_notfound(x->r, "Mailbox", 0, "No recoverable deleted "
		    "mailbox named %s.", x->rt.name);
		return;
	}
	if (emu_api_name_free(x, x->rt.name) < 0 ||
	    emu_api_mailbox_limit(x) < 0)
		return;
	s = emu_state_stmt(x->st, EMU_SQL_DELETED_RESTORE);
	sqlite3_bind_int64(s, 1, did);
	if (sqlite3_step(s) != SQLITE_DONE) {
		emu_api_internal(x, -ADSYNC_ESERVER);
		return;
	}
	id = emu_state_last_id(x->st);
	s = emu_state_stmt(x->st, EMU_SQL_DELETED_DEL);
	sqlite3_bind_int64(s, 1, did);
	if (sqlite3_step(s) != SQLITE_DONE ||
	    (r = emu_state_obj_get_id(x->st, id, &o)) < 0) {
		emu_api_internal(x, -ADSYNC_ESERVER);
		return;
	}
	/* Other fields of the request apply to the recovered mailbox. */
	if ((r = emu_fields_apply(emu_fields_rs_mbx, &x->f, o.data, false,
	    why, sizeof(why))) < 0) {
		emu_api_bad(x, r, why);
		goto out;
	}
	emu_api_obj_sync(&o, "customID");
	if ((r = emu_state_obj_update(x->st, &o)) < 0 ||
	    (r = emu_state_pw_set(x->st, o.id, pw)) < 0) {
		emu_api_internal(x, r);
		goto out;
	}
	emu_resp_status(x->r, 200);
out:
	emu_state_obj_fini(&o);
}

static void
emu_rs_add(struct emu_ctx *x)
{
	const char *pw, *rec;
	struct emu_obj o;
	sqlite3_stmt *s;
	char why[256];
	bool recover = false;
	int r;

	memset(&o, 0, sizeof(o));
	if (!emu_valid_name(x->rt.name)) {
		emu_api_bad_name(x, "mailbox", x->rt.name);
		return;
	}
	rec = emu_form_get(&x->f, "recoverDeleted");
	pw = emu_form_get(&x->f, "password");
	if (rec != NULL && emu_valid_bool(rec, &recover) < 0) {
		emu_resp_fault(x->r, 400, "validationFault", "recoverDeleted "
		    "must be true or false.");
		return;
	}
	if (recover) {
		emu_rs_recover(x, pw);
		return;
	}
	if (pw == NULL) {
		/* S2's example text. */
		emu_resp_fault(x->r, 400, "badRequestFault", "Missing "
		    "required field: password");
		return;
	}
	if (!emu_rs_password_ok(x, pw))
		return;
	o.data = json_object();
	if ((r = emu_fields_apply(emu_fields_rs_mbx, &x->f, o.data, true, why,
	    sizeof(why))) < 0) {
		emu_api_bad(x, r, why);
		goto out;
	}
	if (emu_api_name_free(x, x->rt.name) < 0 ||
	    emu_api_mailbox_limit(x) < 0)
		goto out;
	/* A new mailbox of the same name ends the old one's recovery. */
	s = emu_state_stmt(x->st, EMU_SQL_DELETED_DEL_NAME);
	sqlite3_bind_int64(s, 1, x->dom.id);
	sqlite3_bind_text(s, 2, x->rt.name, -1, SQLITE_STATIC);
	(void)sqlite3_step(s);
	o.domain_id = x->dom.id;
	o.kind = EMU_K_RS_MBX;
	snprintf(o.name, sizeof(o.name), "%.64s", x->rt.name);
	o.created = x->now;
	emu_api_obj_sync(&o, "customID");
	if ((r = emu_state_obj_insert(x->st, &o)) == -ADSYNC_ECONFLICT) {
		emu_api_conflict(x, x->rt.name);
		goto out;
	}
	if (r < 0 || (r = emu_state_pw_set(x->st, o.id, pw)) < 0) {
		emu_api_internal(x, r);
		goto out;
	}
	emu_resp_status(x->r, 200);
out:
	emu_state_obj_fini(&o);
}

static void
emu_rs_edit(struct emu_ctx *x)
{
	const char *pw, *newname;
	struct emu_obj o;
	sqlite3_stmt *s;
	char why[256], addr[EMU_ADDRESS_MAX + EMU_NAME_MAX + 2];
	int r;

	if (!emu_rs_load(x, &o))
		return;
	newname = emu_form_get(&x->f, "name");
	pw = emu_form_get(&x->f, "password");
	if (pw != NULL && !emu_rs_password_ok(x, pw))
		goto out;
	if ((r = emu_fields_apply(emu_fields_rs_mbx, &x->f, o.data, false,
	    why, sizeof(why))) < 0) {
		emu_api_bad(x, r, why);
		goto out;
	}
	if (newname != NULL && strcmp(newname, o.name) != 0) {
		/* Rename (C4 account.rename): the new name must be free,
		 * unless only its case changes. */
		if (!emu_valid_name(newname)) {
			emu_api_bad_name(x, "mailbox", newname);
			goto out;
		}
		if (strcasecmp(newname, o.name) != 0 &&
		    emu_api_name_free(x, newname) < 0)
			goto out;
		snprintf(o.name, sizeof(o.name), "%.64s", newname);
		snprintf(addr, sizeof(addr), "%s@%s", newname, x->dom.name);
		s = emu_state_stmt(x->st, EMU_SQL_MEMBER_RENAME);
		sqlite3_bind_int64(s, 1, o.id);
		sqlite3_bind_text(s, 2, addr, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE) {
			emu_api_internal(x, -ADSYNC_ESERVER);
			goto out;
		}
	}
	emu_api_obj_sync(&o, "customID");
	if ((r = emu_state_obj_update(x->st, &o)) == -ADSYNC_ECONFLICT) {
		emu_api_conflict(x, o.name);
		goto out;
	}
	if (r < 0 || (pw != NULL && (r = emu_state_pw_set(x->st, o.id,
	    pw)) < 0)) {
		emu_api_internal(x, r);
		goto out;
	}
	emu_resp_status(x->r, 200);
out:
	emu_state_obj_fini(&o);
}

static void
emu_rs_delete(struct emu_ctx *x)
{
	struct emu_obj o;
	sqlite3_stmt *s;
	int r;

	if (!emu_rs_load(x, &o))
		return;
	/* Recoverable for 14 days (H6): keep the row aside. */
	s = emu_state_stmt(x->st, EMU_SQL_DELETED_DEL_NAME);
	sqlite3_bind_int64(s, 1, x->dom.id);
	sqlite3_bind_text(s, 2, o.name, -1, SQLITE_STATIC);
	(void)sqlite3_step(s);
	s = emu_state_stmt(x->st, EMU_SQL_DELETED_FROM_OBJ);
	sqlite3_bind_int64(s, 1, o.id);
	sqlite3_bind_int64(s, 2, (int64_t)x->now);
	if (sqlite3_step(s) != SQLITE_DONE ||
	    (r = emu_state_obj_delete(x->st, o.id)) < 0)
		emu_api_internal(x, -ADSYNC_ESERVER);
	else
		emu_resp_status(x->r, 200);
	emu_state_obj_fini(&o);
}

void
emu_api_rs_mailbox(struct emu_ctx *x)
{
	struct emu_obj o;

	if (x->get) {
		if (!emu_rs_load(x, &o))
			return;
		emu_resp_json(x->r, 200, emu_api_rs_mailbox_show(x->st, &o));
		emu_state_obj_fini(&o);
	} else if (x->post)
		emu_rs_add(x);
	else if (x->put)
		emu_rs_edit(x);
	else
		emu_rs_delete(x);
}

/* --- aliases --- */

static void
emu_alias_row(struct emu_ctx *x, sqlite3_stmt *row, const struct emu_obj *o,
    const char *fields, json_t *out)
{
	long long n = sqlite3_column_int64(row, 9);

	(void)x;
	(void)fields;
	json_object_set_new(out, "name", json_string(o->name));
	json_object_set_new(out, "numberOfMembers", json_integer(n));
	/* C4's parser expects the lone target on one-member rows. */
	if (n == 1)
		json_object_set_new(out, "singleMemberName",
		    json_string(emu_state_col_text(row, 10)));
}

json_t *
emu_api_rs_alias_show(struct emu_state *st, const struct emu_obj *o)
{
	json_t *out = json_object(), *list = json_object(), *arr;
	sqlite3_stmt *s;

	arr = json_array();
	s = emu_state_stmt(st, EMU_SQL_MEMBER_LIST);
	sqlite3_bind_int64(s, 1, o->id);
	sqlite3_bind_int(s, 2, EMU_ROLE_ALIAS);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(arr,
		    json_string(emu_state_col_text(s, 0)));
	sqlite3_reset(s);
	json_object_set_new(out, "name", json_string(o->name));
	json_object_set_new(list, "emailAddress", arr);
	json_object_set_new(out, "emailAddressList", list);
	return out;
}

void
emu_api_rs_aliases(struct emu_ctx *x)
{
	if (!x->get) {
		emu_resp_fault(x->r, 405, "badRequestFault", "Method not "
		    "allowed on the alias list; add with POST to "
		    ".../rs/aliases/{name}.");
		return;
	}
	emu_api_index(x, EMU_K_ALIAS, false, NULL, emu_alias_row, "aliases");
}

static bool
emu_alias_is_local(struct emu_ctx *x, const char *addr)
{
	const char *at = strchr(addr, '@');

	return at != NULL && strcasecmp(at + 1, x->dom.name) == 0;
}

/*
 * Checks a complete target list (array of strings) against the S8 rules;
 * `self` is the alias's own name. False if a reply was set.
 */
static bool
emu_alias_check(struct emu_ctx *x, json_t *list, const char *self)
{
	char missing[400], local[EMU_NAME_MAX + 1];
	size_t i, nlocal = 0, next = 0, mlen = 0;
	struct emu_obj o;
	const char *a, *at;
	json_t *v;
	int r;

	missing[0] = '\0';
	if (json_array_size(list) == 0) {
		emu_resp_fault(x->r, 400, "validationFault", "An alias must "
		    "point to a valid email address.");
		return false;
	}
	json_array_foreach(list, i, v) {
		a = json_string_value(v);
		if (!emu_alias_is_local(x, a)) {
			next++;
			continue;
		}
		nlocal++;
		at = strchr(a, '@');
		memcpy(local, a, (size_t)(at - a));
		local[at - a] = '\0';
		if (strcasecmp(local, self) == 0) {
			emu_resp_fault(x->r, 400, "validationFault", "An alias "
			    "cannot point to itself.");
			return false;
		}
		r = emu_state_obj_get(x->st, x->dom.id, local, &o);
		if (r == 0) {
			emu_state_obj_fini(&o);
			continue;
		}
		if (r != -ADSYNC_ENOTFOUND) {
			emu_api_internal(x, r);
			return false;
		}
		if (mlen < sizeof(missing) - 1)
			mlen += (size_t)snprintf(missing + mlen,
			    sizeof(missing) - mlen, "%s%s", mlen ? ", " : "",
			    a);
		if (mlen >= sizeof(missing))
			mlen = sizeof(missing) - 1;
	}
	if (missing[0] != '\0') {
		emu_resp_fault(x->r, 400, "validationFault", "The following "
		    "email addresses do not exist in domain %s: %s",
		    x->dom.name, missing);
		return false;
	}
	if (next > EMU_ALIAS_EXTERNAL_MAX) {
		emu_resp_fault(x->r, 400, "validationFault", "Max number of "
		    "non-local email recipients reached.");
		return false;
	}
	if (nlocal > EMU_ALIAS_LOCAL_MAX) {
		emu_resp_fault(x->r, 400, "validationFault", "Max number of "
		    "local email recipients reached.");
		return false;
	}
	if (nlocal + next > EMU_ALIAS_TOTAL_MAX) {
		emu_resp_fault(x->r, 400, "validationFault", "Max number of "
		    "email recipients reached.");
		return false;
	}
	return true;
}

/* Parses aliasEmails (CSV) into a deduplicated array; NULL if a reply was
 * set. */
static json_t *
emu_alias_parse(struct emu_ctx *x)
{
	const char *csv = emu_form_get(&x->f, "aliasEmails");
	char item[EMU_ADDRESS_MAX + 1];
	const char *p, *comma, *a, *b;
	json_t *arr, *v;
	size_t len, i;
	bool dup;

	if (csv == NULL) {
		emu_resp_fault(x->r, 400, "badRequestFault", "Missing "
		    "required field: aliasEmails");
		return NULL;
	}
	if (emu_api_unknown_field(x))
		return NULL;
	arr = json_array();
	for (p = csv; p != NULL; p = comma != NULL ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		b = comma != NULL ? comma : p + strlen(p);
		for (a = p; a < b && *a == ' '; a++)
			;
		while (b > a && b[-1] == ' ')
			b--;
		len = (size_t)(b - a);
		if (len == 0)
			continue;
		if (len > EMU_ADDRESS_MAX)
			len = EMU_ADDRESS_MAX;
		memcpy(item, a, len);
		item[len] = '\0';
		if (!emu_valid_address(item)) {
			emu_resp_fault(x->r, 400, "validationFault", "'%.80s' "
			    "is not a valid email address.", item);
			json_decref(arr);
			return NULL;
		}
		dup = false;
		json_array_foreach(arr, i, v)
			if (strcasecmp(json_string_value(v), item) == 0)
				dup = true;
		if (!dup)
			json_array_append_new(arr, json_string(item));
		if (json_array_size(arr) > 1000) {
			emu_resp_fault(x->r, 400, "validationFault", "Max "
			    "number of email recipients reached.");
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static int
emu_alias_store(struct emu_ctx *x, int64_t id, json_t *list)
{
	sqlite3_stmt *s;
	json_t *v;
	size_t i;

	s = emu_state_stmt(x->st, EMU_SQL_MEMBER_CLEAR);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, EMU_ROLE_ALIAS);
	if (sqlite3_step(s) != SQLITE_DONE)
		return -ADSYNC_ESERVER;
	json_array_foreach(list, i, v) {
		s = emu_state_stmt(x->st, EMU_SQL_MEMBER_ADD);
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int(s, 2, EMU_ROLE_ALIAS);
		sqlite3_bind_text(s, 3, json_string_value(v), -1,
		    SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE)
			return -ADSYNC_ESERVER;
	}
	return 0;
}

static bool
emu_alias_load(struct emu_ctx *x, struct emu_obj *o)
{
	int r = -ADSYNC_ENOTFOUND;

	if (emu_valid_name(x->rt.name))
		r = emu_state_obj_get(x->st, x->dom.id, x->rt.name, o);
	if (r == 0 && o->kind == EMU_K_ALIAS)
		return true;
	if (r == 0)
		emu_state_obj_fini(o);
	else if (r != -ADSYNC_ENOTFOUND) {
		emu_api_internal(x, r);
		return false;
	}
	emu_resp_notfound(x->r, "Alias", -1, "Alias not found: %.80s",
	    x->rt.name);
	return false;
}

void
emu_api_rs_alias(struct emu_ctx *x)
{
	struct emu_obj o;
	json_t *list = NULL;
	int r;

	memset(&o, 0, sizeof(o));
	if (x->post) {
		if (!emu_valid_name(x->rt.name)) {
			emu_api_bad_name(x, "alias", x->rt.name);
			return;
		}
		if ((list = emu_alias_parse(x)) == NULL ||
		    !emu_alias_check(x, list, x->rt.name) ||
		    emu_api_name_free(x, x->rt.name) < 0)
			goto out;
		o.domain_id = x->dom.id;
		o.kind = EMU_K_ALIAS;
		snprintf(o.name, sizeof(o.name), "%.64s", x->rt.name);
		o.created = x->now;
		o.data = json_object();
		emu_api_obj_sync(&o, NULL);
		if ((r = emu_state_obj_insert(x->st, &o)) < 0 ||
		    (r = emu_alias_store(x, o.id, list)) < 0) {
			if (r == -ADSYNC_ECONFLICT)
				emu_api_conflict(x, x->rt.name);
			else
				emu_api_internal(x, r);
			goto out;
		}
		emu_resp_status(x->r, 200);
		goto out;
	}
	if (!emu_alias_load(x, &o))
		return;
	if (x->get)
		emu_resp_json(x->r, 200, emu_api_rs_alias_show(x->st, &o));
	else if (x->put) {
		/* Bulk modify (S8 diff 448): replaces the whole list. */
		if ((list = emu_alias_parse(x)) == NULL ||
		    !emu_alias_check(x, list, o.name))
			goto out;
		if ((r = emu_alias_store(x, o.id, list)) < 0) {
			emu_api_internal(x, r);
			goto out;
		}
		emu_resp_status(x->r, 200);
	} else if ((r = emu_state_obj_delete(x->st, o.id)) < 0)
		emu_api_internal(x, r);
	else
		emu_resp_status(x->r, 200);
out:
	json_decref(list);
	emu_state_obj_fini(&o);
}

void
emu_api_rs_alias_member(struct emu_ctx *x)
{
	struct emu_obj o;
	sqlite3_stmt *s;
	json_t *list = NULL, *show;
	bool has;
	int r;

	if (x->get || x->put) {
		emu_resp_fault(x->r, 405, "badRequestFault", "Method not "
		    "allowed on an alias member: use POST or DELETE.");
		return;
	}
	if (!emu_alias_load(x, &o))
		return;
	if (!emu_valid_address(x->rt.sub)) {
		emu_resp_fault(x->r, 400, "validationFault", "'%.80s' is not a "
		    "valid email address.", x->rt.sub);
		goto out;
	}
	if (emu_api_unknown_field(x))
		goto out;
	s = emu_state_stmt(x->st, EMU_SQL_MEMBER_HAS);
	sqlite3_bind_int64(s, 1, o.id);
	sqlite3_bind_int(s, 2, EMU_ROLE_ALIAS);
	sqlite3_bind_text(s, 3, x->rt.sub, -1, SQLITE_STATIC);
	has = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	if (x->del && !has) {
		/* S8 diff 448 error table. */
		emu_resp_fault(x->r, 400, "validationFault", "Email address "
		    "%s does not exist in alias %s.", x->rt.sub, o.name);
		goto out;
	}
	if (x->post && has) {
		emu_resp_fault(x->r, 400, "validationFault", "Email address "
		    "%s already exists in alias %s.", x->rt.sub, o.name);
		goto out;
	}
	/* Re-check the whole resulting list against the limits. */
	show = emu_api_rs_alias_show(x->st, &o);
	list = json_incref(json_object_get(json_object_get(show,
	    "emailAddressList"), "emailAddress"));
	json_decref(show);
	if (x->post)
		json_array_append_new(list, json_string(x->rt.sub));
	else {
		size_t i;
		json_t *v;

		json_array_foreach(list, i, v) {
			if (strcasecmp(json_string_value(v), x->rt.sub) == 0) {
				json_array_remove(list, i);
				break;
			}
		}
	}
	if (!emu_alias_check(x, list, o.name))
		goto out;
	if ((r = emu_alias_store(x, o.id, list)) < 0) {
		emu_api_internal(x, r);
		goto out;
	}
	emu_resp_status(x->r, 200);
out:
	json_decref(list);
	emu_state_obj_fini(&o);
}
