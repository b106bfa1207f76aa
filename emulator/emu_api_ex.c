/*
 * Hosted Exchange mailboxes, their alternate addresses, and contacts
 * (docs/rackspace-api.md §5.3, §5.4, §9.7). Runs on API worker threads with
 * the state lock held and a transaction open for writes; form values are
 * untrusted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "emu_api.h"
#include "emu_fields.h"
#include "err.h"
#include "xmalloc.h"

#define EMU_EX_ALT_MAX 100	/* [UNKNOWN] alternate addresses, ours */

static const char *const emu_ex_computed[] = {
	"size", "currentUsage", "enabled", "createdDate", "lastLogin",
	"hasBlackBerryMobileService", "hasActiveSyncMobileService", NULL
};

static bool
emu_ex_fields_ok(const char *name)
{
	const struct emu_field *f;
	size_t i;

	for (i = 0; emu_ex_computed[i] != NULL; i++)
		if (strcmp(name, emu_ex_computed[i]) == 0)
			return true;
	f = emu_fields_find(emu_fields_ex_mbx, name);
	return f != NULL && (f->flags & EMU_F_NESTED) == 0;
}

static void
emu_ex_field(const struct emu_field *tab, const struct emu_obj *o,
    const char *name, json_t *out)
{
	const struct emu_field *f;

	if (strcmp(name, "currentUsage") == 0)
		json_object_set_new(out, name, json_integer(0));
	else if (strcmp(name, "createdDate") == 0)
		json_object_set_new(out, name, emu_api_time_json(o->created));
	else if (strcmp(name, "lastLogin") == 0)
		json_object_set_new(out, name, json_string(""));
	else if ((f = emu_fields_find(tab, name)) != NULL)
		json_object_set_new(out, f->read != NULL ? f->read : f->name,
		    emu_fields_value(f, o->data));
}

static void
emu_ex_row_tab(const struct emu_field *tab, const struct emu_obj *o,
    const char *fields, json_t *out)
{
	char name[EMU_FORM_NAME_MAX + 1];
	const char *p, *comma;
	size_t len;

	json_object_set_new(out, "name", json_string(o->name));
	emu_ex_field(tab, o, "displayName", out);
	for (p = fields; p != NULL; p = comma != NULL ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (len > EMU_FORM_NAME_MAX)
			continue;
		memcpy(name, p, len);
		name[len] = '\0';
		emu_ex_field(tab, o, name, out);
	}
}

static void
emu_ex_row(struct emu_ctx *x, sqlite3_stmt *row, const struct emu_obj *o,
    const char *fields, json_t *out)
{
	(void)x;
	(void)row;
	emu_ex_row_tab(emu_fields_ex_mbx, o, fields, out);
}

/* emailAddressList: the primary (replyTo) and the alternates (§5.3). */
static json_t *
emu_ex_addresses(struct emu_state *st, const struct emu_obj *o,
    const char *domain)
{
	char primary[EMU_ADDRESS_MAX + EMU_NAME_MAX + 2];
	json_t *arr = json_array(), *a;
	sqlite3_stmt *s;

	snprintf(primary, sizeof(primary), "%s@%s", o->name, domain);
	a = json_object();
	json_object_set_new(a, "address", json_string(primary));
	json_object_set_new(a, "replyTo", json_true());
	json_array_append_new(arr, a);
	s = emu_state_stmt(st, EMU_SQL_ADDR_LIST);
	sqlite3_bind_int64(s, 1, o->id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		a = json_object();
		json_object_set_new(a, "address",
		    json_string(emu_state_col_text(s, 0)));
		json_object_set_new(a, "replyTo", json_false());
		json_array_append_new(arr, a);
	}
	sqlite3_reset(s);
	return arr;
}

json_t *
emu_api_ex_mailbox_show(struct emu_state *st, const struct emu_obj *o,
    const char *domain)
{
	json_t *out = json_object(), *ci = json_object();

	json_object_set_new(out, "name", json_string(o->name));
	emu_fields_show(emu_fields_ex_mbx, o->data, out, ci);
	json_object_set_new(out, "currentUsage", json_integer(0));
	json_object_set_new(out, "lastLogin", json_string(""));
	json_object_set_new(out, "createdDate",
	    emu_api_time_json(o->created));
	json_object_set_new(out, "emailAddressList",
	    emu_ex_addresses(st, o, domain));
	json_object_set_new(out, "contactInfo", ci);
	return out;
}

void
emu_api_ex_mailboxes(struct emu_ctx *x)
{
	if (!x->get) {
		emu_resp_fault(x->r, 405, "badRequestFault", "Method not "
		    "allowed on the mailbox list; add with POST to "
		    ".../ex/mailboxes/{name}.");
		return;
	}
	emu_api_index(x, EMU_K_EX_MBX, true, emu_ex_fields_ok, emu_ex_row,
	    "mailboxes");
}

static bool
emu_ex_load(struct emu_ctx *x, enum emu_kind kind, struct emu_obj *o)
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
	if (kind == EMU_K_EX_MBX)
		emu_resp_notfound(x->r, "Mailbox", -1, "Mailbox not found: "
		    "%.80s", x->rt.name);
	else
		emu_resp_notfound(x->r, "Contact", -1, "Contact not found: "
		    "%.80s", x->rt.name);
	return false;
}

static bool
emu_ex_password_ok(struct emu_ctx *x, const char *pw)
{
	const char *why;

	if (emu_valid_password(pw, &why) == 0)
		return true;
	emu_resp_fault(x->r, 400, "validationFault", "%s", why);
	return false;
}

/* samAccountName like the wiki's "apiexmailbox90_53B5B": a prefix of the
 * name and five hex digits derived from domain and name (stable). */
static void
emu_ex_sam(const char *domain, const char *name, char *out, size_t outlen)
{
	unsigned char h[8];
	crypto_generichash_state gs;

	crypto_generichash_init(&gs, NULL, 0, sizeof(h));
	crypto_generichash_update(&gs, (const unsigned char *)domain,
	    strlen(domain));
	crypto_generichash_update(&gs, (const unsigned char *)"/", 1);
	crypto_generichash_update(&gs, (const unsigned char *)name,
	    strlen(name));
	crypto_generichash_final(&gs, h, sizeof(h));
	snprintf(out, outlen, "%.14s_%02X%02X%X", name, h[0], h[1],
	    h[2] >> 4);
}

static void
emu_ex_add(struct emu_ctx *x)
{
	char why[256], sam[32];
	struct emu_obj o;
	const char *pw;
	int r;

	memset(&o, 0, sizeof(o));
	if (!emu_valid_name(x->rt.name)) {
		emu_api_bad_name(x, "mailbox", x->rt.name);
		return;
	}
	if ((pw = emu_form_get(&x->f, "password")) == NULL) {
		emu_resp_fault(x->r, 400, "badRequestFault", "Missing "
		    "required field: password");
		return;
	}
	if (!emu_ex_password_ok(x, pw))
		return;
	o.data = json_object();
	if ((r = emu_fields_apply(emu_fields_ex_mbx, &x->f, o.data, true, why,
	    sizeof(why))) < 0) {
		emu_api_bad(x, r, why);
		goto out;
	}
	if (emu_api_name_free(x, x->rt.name) < 0 ||
	    emu_api_mailbox_limit(x) < 0)
		goto out;
	emu_ex_sam(x->dom.name, x->rt.name, sam, sizeof(sam));
	json_object_set_new(o.data, "samAccountName", json_string(sam));
	o.domain_id = x->dom.id;
	o.kind = EMU_K_EX_MBX;
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
emu_ex_edit(struct emu_ctx *x)
{
	struct emu_obj o;
	const char *pw;
	char why[256];
	int r;

	if (!emu_ex_load(x, EMU_K_EX_MBX, &o))
		return;
	if (emu_form_get(&x->f, "name") != NULL) {
		/* H3: the "Service ID" of an Exchange mailbox cannot be
		 * changed through the product; [UNKNOWN] for the API. */
		emu_resp_fault(x->r, 400, "badRequestFault", "Renaming an "
		    "Exchange mailbox is not supported.");
		goto out;
	}
	pw = emu_form_get(&x->f, "password");
	if (pw != NULL && !emu_ex_password_ok(x, pw))
		goto out;
	if ((r = emu_fields_apply(emu_fields_ex_mbx, &x->f, o.data, false,
	    why, sizeof(why))) < 0) {
		emu_api_bad(x, r, why);
		goto out;
	}
	emu_api_obj_sync(&o, "customID");
	if ((r = emu_state_obj_update(x->st, &o)) < 0 ||
	    (pw != NULL && (r = emu_state_pw_set(x->st, o.id, pw)) < 0)) {
		emu_api_internal(x, r);
		goto out;
	}
	emu_resp_status(x->r, 200);
out:
	emu_state_obj_fini(&o);
}

void
emu_api_ex_mailbox(struct emu_ctx *x)
{
	struct emu_obj o;
	int r;

	if (x->post) {
		emu_ex_add(x);
		return;
	}
	if (x->put) {
		emu_ex_edit(x);
		return;
	}
	if (!emu_ex_load(x, EMU_K_EX_MBX, &o))
		return;
	if (x->get)
		emu_resp_json(x->r, 200, emu_api_ex_mailbox_show(x->st, &o,
		    x->dom.name));
	else if ((r = emu_state_obj_delete(x->st, o.id)) < 0)
		emu_api_internal(x, r);
	else
		/* Exchange deletions are recoverable only by support (H6):
		 * the mailbox is gone for the API. */
		emu_resp_status(x->r, 200);
	emu_state_obj_fini(&o);
}

/* Is the domain of `addr` the mailbox's domain or one of its accepted
 * domains (§9.7)? */
static bool
emu_ex_addr_domain_ok(struct emu_ctx *x, const char *addr)
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
emu_api_ex_mailbox_addrs(struct emu_ctx *x)
{
	char primary[EMU_ADDRESS_MAX + EMU_NAME_MAX + 2];
	struct emu_obj o;
	sqlite3_stmt *s;
	json_t *out;
	int64_t owner;
	long long n;
	bool has;
	int r;

	if (!emu_ex_load(x, EMU_K_EX_MBX, &o))
		return;
	snprintf(primary, sizeof(primary), "%s@%s", o.name, x->dom.name);
	if (x->rt.kind == EMU_R_EX_MBX_ADDRS) {
		if (!x->get) {
			emu_resp_fault(x->r, 405, "badRequestFault", "Method "
			    "not allowed; use .../emailaddresses/{address}.");
			goto out;
		}
		out = json_object();
		json_object_set_new(out, "emailAddressList",
		    emu_ex_addresses(x->st, &o, x->dom.name));
		emu_resp_json(x->r, 200, out);
		goto out;
	}
	if (x->put) {
		emu_resp_fault(x->r, 405, "badRequestFault", "Method not "
		    "allowed on an alternate address: use POST or DELETE.");
		goto out;
	}
	if (!emu_valid_address(x->rt.sub)) {
		emu_resp_fault(x->r, 400, "validationFault", "'%.80s' is not a "
		    "valid email address.", x->rt.sub);
		goto out;
	}
	s = emu_state_stmt(x->st, EMU_SQL_ADDR_GET);
	sqlite3_bind_int64(s, 1, o.id);
	sqlite3_bind_text(s, 2, x->rt.sub, -1, SQLITE_STATIC);
	has = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	if (x->get || x->del) {
		if (!has && strcasecmp(x->rt.sub, primary) == 0 && x->del) {
			emu_resp_fault(x->r, 400, "validationFault", "The "
			    "primary address cannot be removed.");
			goto out;
		}
		if (!has && strcasecmp(x->rt.sub, primary) != 0) {
			emu_resp_notfound(x->r, "EmailAddress", -1, "Email "
			    "address not found: %.80s", x->rt.sub);
			goto out;
		}
		if (x->get) {
			out = json_object();
			json_object_set_new(out, "address",
			    json_string(has ? x->rt.sub : primary));
			json_object_set_new(out, "replyTo", json_boolean(!has));
			emu_resp_json(x->r, 200, out);
			goto out;
		}
		s = emu_state_stmt(x->st, EMU_SQL_ADDR_DELETE);
		sqlite3_bind_int64(s, 1, o.id);
		sqlite3_bind_text(s, 2, x->rt.sub, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE)
			emu_api_internal(x, -ADSYNC_ESERVER);
		else
			emu_resp_status(x->r, 200);
		goto out;
	}
	if (emu_api_unknown_field(x))
		goto out;
	if (!emu_ex_addr_domain_ok(x, x->rt.sub)) {
		/* H3's text, exactly. */
		emu_resp_fault(x->r, 400, "validationFault", "The alternate "
		    "address was not in the primary domain or any of the "
		    "alternate domains");
		goto out;
	}
	if ((r = emu_state_addr_used(x->st, x->account, x->rt.sub,
	    &owner)) < 0) {
		emu_api_internal(x, r);
		goto out;
	}
	if (owner != 0) {
		emu_resp_fault(x->r, 409, "appsFault", "The email address "
		    "%s is already in use.", x->rt.sub);
		goto out;
	}
	s = emu_state_stmt(x->st, EMU_SQL_ADDR_LIST);
	sqlite3_bind_int64(s, 1, o.id);
	for (n = 0; sqlite3_step(s) == SQLITE_ROW; n++)
		;
	sqlite3_reset(s);
	if (n >= EMU_EX_ALT_MAX) {
		emu_resp_fault(x->r, 400, "validationFault", "A mailbox can "
		    "have at most %d alternate addresses.", EMU_EX_ALT_MAX);
		goto out;
	}
	s = emu_state_stmt(x->st, EMU_SQL_ADDR_INSERT);
	sqlite3_bind_int64(s, 1, o.id);
	sqlite3_bind_int64(s, 2, x->account);
	sqlite3_bind_text(s, 3, x->rt.sub, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, 0);
	sqlite3_bind_text(s, 5, "smtp", -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		emu_api_internal(x, -ADSYNC_ESERVER);
	else
		emu_resp_status(x->r, 200);
out:
	emu_state_obj_fini(&o);
}

/* --- contacts --- */

static bool
emu_contact_fields_ok(const char *name)
{
	return strcmp(name, "createdDate") == 0 ||
	    emu_fields_find(emu_fields_contact, name) != NULL;
}

static void
emu_contact_row(struct emu_ctx *x, sqlite3_stmt *row,
    const struct emu_obj *o, const char *fields, json_t *out)
{
	(void)x;
	(void)row;
	emu_ex_row_tab(emu_fields_contact, o, fields, out);
}

json_t *
emu_api_ex_contact_show(const struct emu_obj *o)
{
	json_t *out = json_object();

	json_object_set_new(out, "name", json_string(o->name));
	emu_fields_show(emu_fields_contact, o->data, out, out);
	json_object_set_new(out, "createdDate",
	    emu_api_time_json(o->created));
	return out;
}

void
emu_api_ex_contacts(struct emu_ctx *x)
{
	if (!x->get) {
		emu_resp_fault(x->r, 405, "badRequestFault", "Method not "
		    "allowed on the contact list; add with POST to "
		    ".../ex/contacts/{name}.");
		return;
	}
	emu_api_index(x, EMU_K_CONTACT, false, emu_contact_fields_ok,
	    emu_contact_row, "contacts");
}

/* An external address used on the account is not external: 409. */
static bool
emu_contact_target_ok(struct emu_ctx *x, const struct emu_obj *o)
{
	const char *ext = emu_fields_str(o->data, "externalEmail", "");
	int64_t owner;
	int r;

	if (ext[0] == '\0')
		return true;
	if ((r = emu_state_addr_used(x->st, x->account, ext, &owner)) < 0) {
		emu_api_internal(x, r);
		return false;
	}
	if (owner != 0 && owner != o->id) {
		emu_resp_fault(x->r, 409, "appsFault", "The email address "
		    "%s is already in use on this account.", ext);
		return false;
	}
	return true;
}

void
emu_api_ex_contact(struct emu_ctx *x)
{
	struct emu_obj o;
	char why[256];
	int r;

	memset(&o, 0, sizeof(o));
	if (x->post) {
		if (!emu_valid_name(x->rt.name)) {
			emu_api_bad_name(x, "contact", x->rt.name);
			return;
		}
		o.data = json_object();
		if ((r = emu_fields_apply(emu_fields_contact, &x->f, o.data,
		    true, why, sizeof(why))) < 0) {
			emu_api_bad(x, r, why);
			goto out;
		}
		if (emu_api_name_free(x, x->rt.name) < 0 ||
		    !emu_contact_target_ok(x, &o))
			goto out;
		o.domain_id = x->dom.id;
		o.kind = EMU_K_CONTACT;
		snprintf(o.name, sizeof(o.name), "%.64s", x->rt.name);
		o.created = x->now;
		emu_api_obj_sync(&o, "externalEmail");
		if ((r = emu_state_obj_insert(x->st, &o)) == -ADSYNC_ECONFLICT)
			emu_api_conflict(x, x->rt.name);
		else if (r < 0)
			emu_api_internal(x, r);
		else
			emu_resp_status(x->r, 200);
		goto out;
	}
	if (!emu_ex_load(x, EMU_K_CONTACT, &o))
		return;
	if (x->get)
		emu_resp_json(x->r, 200, emu_api_ex_contact_show(&o));
	else if (x->put) {
		if ((r = emu_fields_apply(emu_fields_contact, &x->f, o.data,
		    false, why, sizeof(why))) < 0) {
			emu_api_bad(x, r, why);
			goto out;
		}
		if (!emu_contact_target_ok(x, &o))
			goto out;
		emu_api_obj_sync(&o, "externalEmail");
		if ((r = emu_state_obj_update(x->st, &o)) < 0)
			emu_api_internal(x, r);
		else
			emu_resp_status(x->r, 200);
	} else if ((r = emu_state_obj_delete(x->st, o.id)) < 0)
		emu_api_internal(x, r);
	else
		emu_resp_status(x->r, 200);
out:
	emu_state_obj_fini(&o);
}
