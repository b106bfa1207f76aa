/*
 * Rackspace Email resources (docs/rackspace-api.md §5.1, §5.2): the mailbox
 * service descriptor, whose hooks add delete-and-recover within 14 days to
 * the mailbox handler of emu_api.c (nested-read / flat-write fields, rename
 * by PUT name); aliases with their 50 local + 4 external limits. Runs on
 * API worker threads with the state lock held and a transaction open for
 * writes (emu_api_process); form values are untrusted.
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

/* In the order the Show prints them. */
static const char *const emu_rs_computed[] = {
	"currentUsage", "createdDate", "lastLogin", NULL
};

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

/* The 404 says whether the mailbox can be recovered: C4's canRecover
 * reads additionalData.isRecoverable. */
static bool
emu_rs_recoverable(struct emu_ctx *x)
{
	return x->dom.id != 0 && emu_valid_name(x->rt.name) &&
	    emu_rs_deleted_id(x, x->rt.name) != 0;
}

/* POST with recoverDeleted=true (§5.1, C5 restore_mailbox). */
static void
emu_rs_recover(struct emu_ctx *x, const char *pw)
{
	struct emu_obj o;
	sqlite3_stmt *s;
	int64_t did, id;

	memset(&o, 0, sizeof(o));
	if (!emu_api_password_ok(x, pw))
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
	    emu_state_obj_get_id(x->st, id, &o) < 0) {
		emu_api_internal(x, -ADSYNC_ESERVER);
		return;
	}
	/* Other fields of the request apply to the recovered mailbox. */
	if (emu_api_fields_apply(x, emu_fields_rs_mbx, o.data, false))
		emu_api_mailbox_save(x, &emu_api_rs_mbx, &o, pw);
	emu_state_obj_fini(&o);
}

/* recoverDeleted=true makes the POST a recovery; true if it answered. */
static bool
emu_rs_add_first(struct emu_ctx *x)
{
	const char *rec = emu_form_get(&x->f, "recoverDeleted");
	bool recover = false;

	if (rec != NULL && emu_valid_bool(rec, &recover) < 0) {
		emu_resp_fault(x->r, 400, "validationFault", "recoverDeleted "
		    "must be true or false.");
		return true;
	}
	if (recover)
		emu_rs_recover(x, emu_form_get(&x->f, "password"));
	return recover;
}

/* A new mailbox of the same name ends the old one's recovery. */
static void
emu_rs_add_prepare(struct emu_ctx *x, struct emu_obj *o)
{
	sqlite3_stmt *s = emu_state_stmt(x->st, EMU_SQL_DELETED_DEL_NAME);

	(void)o;
	sqlite3_bind_int64(s, 1, x->dom.id);
	sqlite3_bind_text(s, 2, x->rt.name, -1, SQLITE_STATIC);
	(void)sqlite3_step(s);
}

/* Recoverable for 14 days (H6): the row is kept aside. */
static int
emu_rs_remove(struct emu_ctx *x, const struct emu_obj *o)
{
	sqlite3_stmt *s;

	s = emu_state_stmt(x->st, EMU_SQL_DELETED_DEL_NAME);
	sqlite3_bind_int64(s, 1, x->dom.id);
	sqlite3_bind_text(s, 2, o->name, -1, SQLITE_STATIC);
	(void)sqlite3_step(s);
	s = emu_state_stmt(x->st, EMU_SQL_DELETED_FROM_OBJ);
	sqlite3_bind_int64(s, 1, o->id);
	sqlite3_bind_int64(s, 2, (int64_t)x->now);
	if (sqlite3_step(s) != SQLITE_DONE ||
	    emu_state_obj_delete(x->st, o->id) < 0)
		return -ADSYNC_ESERVER;
	return 0;
}

/* Renamed by PUT name= (C4 account.rename). */
const struct emu_api_mbx emu_api_rs_mbx = {
	.res = {
		.kind = EMU_K_RS_MBX,
		.path = "rs/mailboxes",
		.key = "rsMailboxes",
		.with_enabled = true,
		.fields = emu_fields_rs_mbx,
		.search = "customID",
		.computed = emu_rs_computed,
	},
	.recoverable = emu_rs_recoverable,
	.add_first = emu_rs_add_first,
	.add_prepare = emu_rs_add_prepare,
	.remove = emu_rs_remove,
};

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

/* Aliases have no form fields: ?fields= is refused. */
const struct emu_api_res emu_api_rs_alias_res = {
	.kind = EMU_K_ALIAS,
	.path = "rs/aliases",
	.key = "aliases",
	.row = emu_alias_row,
};

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
	const char *p = csv, *a;
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
	while (emu_valid_csv_next(&p, &a, &len)) {
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

void
emu_api_rs_alias(struct emu_ctx *x)
{
	struct emu_obj o;
	json_t *list = NULL;
	int r;

	memset(&o, 0, sizeof(o));
	if (x->post) {
		if (!emu_valid_name(x->rt.name)) {
			emu_api_bad_name(x, EMU_K_ALIAS, x->rt.name);
			return;
		}
		if ((list = emu_alias_parse(x)) == NULL ||
		    !emu_alias_check(x, list, x->rt.name) ||
		    emu_api_name_free(x, x->rt.name) < 0)
			goto out;
		o.data = json_object();
		emu_api_obj_init(x, &o, EMU_K_ALIAS, x->rt.name);
		emu_api_obj_sync(&o, NULL);
		if (emu_api_obj_insert(x, &o) < 0)
			goto out;
		if ((r = emu_alias_store(x, o.id, list)) < 0) {
			emu_api_internal(x, r);
			goto out;
		}
		emu_resp_status(x->r, 200);
		goto out;
	}
	if (!emu_api_load(x, EMU_K_ALIAS, &o))
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
	if (!emu_api_load(x, EMU_K_ALIAS, &o))
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
