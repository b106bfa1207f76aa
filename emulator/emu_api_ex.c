/*
 * Hosted Exchange resources (docs/rackspace-api.md §5.3, §5.4, §9.7): the
 * mailbox service descriptor for the mailbox handler of emu_api.c (a
 * samAccountName on add, no renames, emailAddressList in the Show), the
 * alternate addresses of a mailbox, and contacts. Runs on API worker
 * threads with the state lock held and a transaction open for writes; form
 * values are untrusted.
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

/* In the order the Show prints them. */
static const char *const emu_ex_computed[] = {
	"currentUsage", "lastLogin", "createdDate", NULL
};

/* One entry of emailAddressList; replyTo marks the primary (§5.3). */
static json_t *
emu_ex_address(const char *addr, bool primary)
{
	json_t *a = json_object();

	json_object_set_new(a, "address", json_string(addr));
	json_object_set_new(a, "replyTo", json_boolean(primary));
	return a;
}

/* emailAddressList: the primary (replyTo) and the alternates (§5.3). */
static json_t *
emu_ex_addresses(struct emu_state *st, const struct emu_obj *o,
    const char *domain)
{
	char primary[EMU_ADDRESS_MAX + EMU_NAME_MAX + 2];
	json_t *arr = json_array();
	sqlite3_stmt *s;

	snprintf(primary, sizeof(primary), "%s@%s", o->name, domain);
	json_array_append_new(arr, emu_ex_address(primary, true));
	s = emu_state_stmt(st, EMU_SQL_ADDR_LIST);
	sqlite3_bind_int64(s, 1, o->id);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(arr,
		    emu_ex_address(emu_state_col_text(s, 0), false));
	sqlite3_reset(s);
	return arr;
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

/* The samAccountName is derived once, on add. */
static void
emu_ex_add_prepare(struct emu_ctx *x, struct emu_obj *o)
{
	char sam[32];

	emu_ex_sam(x->dom.name, x->rt.name, sam, sizeof(sam));
	json_object_set_new(o->data, "samAccountName", json_string(sam));
}

/*
 * No `remove` hook: Exchange deletions are recoverable only by support
 * (H6), so the mailbox is gone for the API.
 */
const struct emu_api_mbx emu_api_ex_mbx = {
	.res = {
		.kind = EMU_K_EX_MBX,
		.path = "ex/mailboxes",
		.key = "mailboxes",
		.with_enabled = true,
		.fields = emu_fields_ex_mbx,
		.search = "customID",
		.computed = emu_ex_computed,
		.addresses = emu_ex_addresses,
	},
	/* H3: the "Service ID" of an Exchange mailbox cannot be changed
	 * through the product; [UNKNOWN] for the API. */
	.rename_refused = "Renaming an Exchange mailbox is not supported.",
	.add_prepare = emu_ex_add_prepare,
};

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

	if (!emu_api_load(x, EMU_K_EX_MBX, &o))
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
			emu_resp_json(x->r, 200,
			    emu_ex_address(has ? x->rt.sub : primary, !has));
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
	if (!emu_api_addr_domain_ok(x, x->rt.sub)) {
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

static const char *const emu_contact_computed[] = { "createdDate", NULL };

/* [UNKNOWN] beyond §5.4: flat, no contactInfo (emu_fields.c). */
const struct emu_api_res emu_api_ex_contact_res = {
	.kind = EMU_K_CONTACT,
	.path = "ex/contacts",
	.key = "contacts",
	.fields = emu_fields_contact,
	.search = "externalEmail",
	.computed = emu_contact_computed,
};

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
	const struct emu_api_res *res = &emu_api_ex_contact_res;
	struct emu_obj o;
	int r;

	memset(&o, 0, sizeof(o));
	if (x->post) {
		if (!emu_valid_name(x->rt.name)) {
			emu_api_bad_name(x, EMU_K_CONTACT, x->rt.name);
			return;
		}
		o.data = json_object();
		if (!emu_api_fields_apply(x, res->fields, o.data, true) ||
		    emu_api_name_free(x, x->rt.name) < 0 ||
		    !emu_contact_target_ok(x, &o))
			goto out;
		emu_api_obj_init(x, &o, EMU_K_CONTACT, x->rt.name);
		emu_api_obj_sync(&o, res->search);
		if (emu_api_obj_insert(x, &o) == 0)
			emu_resp_status(x->r, 200);
		goto out;
	}
	if (!emu_api_load(x, EMU_K_CONTACT, &o))
		return;
	if (x->get)
		emu_resp_json(x->r, 200, emu_api_show(res, x->st, &o,
		    x->dom.name));
	else if (x->put) {
		if (!emu_api_fields_apply(x, res->fields, o.data, false) ||
		    !emu_contact_target_ok(x, &o))
			goto out;
		emu_api_obj_sync(&o, res->search);
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
