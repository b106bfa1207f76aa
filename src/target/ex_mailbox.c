/*
 * Hosted Exchange mailboxes (rackspace-api.md §5.3):
 * /customers/{c}/domains/{d}/ex/mailboxes[/{name}[/emailaddresses/{addr}]].
 * Show nests contactInfo and lists every address as emailAddressList, an
 * array of {"address", "replyTo"}; the decoder lifts contactInfo and gives
 * the addresses as the CSV field emailAddresses plus primaryEmailAddress
 * (the replyTo one), so the engine can diff alternate addresses as a set.
 * Client's owning thread; JSON input untrusted.
 */
#include <string.h>

#include "err.h"
#include "target_internal.h"

static const char *const ex_mailbox_lift[] = { "contactInfo", NULL };

static int
ex_mailbox_addresses(const json_t *a, struct rs_record *out)
{
	struct buf all, primary;
	const json_t *v, *addr, *rt;
	size_t i;
	int r = 0;

	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return -ADSYNC_EPROTO;
	buf_init(&all, RS_FIELD_VALUE_MAX);
	buf_init(&primary, RS_FIELD_VALUE_MAX);
	json_array_foreach(a, i, v) {
		addr = json_is_object(v) ? json_object_get(v, "address") : v;
		if (!json_is_string(addr)) {
			r = -ADSYNC_EPROTO;
			goto out;
		}
		if ((all.len > 0 && (r = buf_addc(&all, ',')) < 0) ||
		    (r = buf_add(&all, json_string_value(addr),
		    json_string_length(addr))) < 0)
			goto out;
		rt = json_is_object(v) ? json_object_get(v, "replyTo") : NULL;
		if (json_is_true(rt) && primary.len == 0 &&
		    (r = buf_add(&primary, json_string_value(addr),
		    json_string_length(addr))) < 0)
			goto out;
	}
	if ((r = rs_record_set(out, "emailAddresses", buf_str(&all))) < 0 ||
	    (r = rs_record_set(out, "primaryEmailAddress",
	    buf_str(&primary))) < 0)
		goto out;
out:
	buf_fini(&all);
	buf_fini(&primary);
	return r;
}

int
ex_mailbox_decode(const char *json, size_t len, struct rs_record *out)
{
	json_t *o;
	int r;

	if ((o = rs_json_parse_object(json, len)) == NULL)
		return -ADSYNC_EPROTO;
	if ((r = rs_json_flatten(o, ex_mailbox_lift, NULL, out)) < 0 ||
	    (r = ex_mailbox_addresses(json_object_get(o, "emailAddressList"),
	    out)) < 0)
		rs_record_fini(out);
	json_decref(o);
	return r;
}

int
ex_mailbox_list(struct rs_client *c, const char *dom,
    const struct rs_list_opts *opts, struct rs_records *out,
    struct rs_error *err)
{
	struct buf q;
	int r = 0;

	buf_init(&q, RS_PATH_MAX / 2);
	if (opts != NULL && opts->fields != NULL && opts->fields[0] != '\0') {
		if ((r = buf_addstr(&q, "fields=")) < 0 ||
		    (r = http_escape(&q, opts->fields, strlen(opts->fields),
		    false)) < 0)
			goto out;
	}
	if (opts != NULL && opts->enabled >= 0 &&
	    (r = buf_printf(&q, "%senabled=%s", q.len ? "&" : "",
	    opts->enabled ? "true" : "false")) < 0)
		goto out;
	r = rs_op_list_offset(c, dom, "ex", "mailboxes", buf_str(&q),
	    "mailboxes", out, err);
out:
	buf_fini(&q);
	if (r < 0 && (err == NULL || err->code == 0))
		rs_error_set(err, r, "bad index options");
	return r;
}

int
ex_mailbox_show(struct rs_client *c, const char *dom, const char *name,
    struct rs_record *out, struct rs_error *err)
{
	struct rs_request *req;
	int r;

	if ((req = rs_op_request(c, RS_GET, dom, NULL, "ex", "mailboxes",
	    name, NULL, &r)) == NULL)
		return rs_error_set(err, r, "bad mailbox name");
	return rs_op_show(c, req, ex_mailbox_decode, out, err);
}

struct ex_mailbox_ref {
	const char *dom;
	const char *name;
	const char *address;	/* NULL: does the mailbox exist */
};

static int
ex_mailbox_exists(struct rs_client *c, void *arg, struct rs_error *err)
{
	struct ex_mailbox_ref *m = arg;
	struct rs_strlist l;
	struct rs_record rec;
	int r;

	rs_record_init(&rec);
	r = ex_mailbox_show(c, m->dom, m->name, &rec, err);
	if (r == -ADSYNC_ENOTFOUND) {
		r = 0;
	} else if (r == 0 && m->address == NULL) {
		r = 1;
	} else if (r == 0) {
		rs_strlist_init(&l);
		r = rs_strlist_from_csv(&l, rs_record_get(&rec,
		    "emailAddresses") ? rs_record_get(&rec,
		    "emailAddresses") : "");
		if (r == 0)
			r = rs_strlist_has(&l, m->address) ? 1 : 0;
		rs_strlist_fini(&l);
	}
	rs_record_fini(&rec);
	return r;
}

int
ex_mailbox_add(struct rs_client *c, const char *dom, const char *name,
    const struct rs_record *fields, const struct secret *password,
    struct rs_error *err)
{
	struct ex_mailbox_ref ref = { dom, name, NULL };

	return rs_op_add(c, dom, "ex", "mailboxes", name, fields, password,
	    NULL, NULL, ex_mailbox_exists, &ref, err);
}

int
ex_mailbox_edit(struct rs_client *c, const char *dom, const char *name,
    const struct rs_record *fields, struct rs_error *err)
{
	return rs_op_edit(c, dom, "ex", "mailboxes", name, fields, err);
}

int
ex_mailbox_set_password(struct rs_client *c, const char *dom,
    const char *name, const struct secret *password, struct rs_error *err)
{
	return rs_op_set_password(c, dom, "ex", "mailboxes", name, password,
	    err);
}

int
ex_mailbox_set_enabled(struct rs_client *c, const char *dom,
    const char *name, bool enabled, struct rs_error *err)
{
	return rs_op_set_enabled(c, dom, "ex", "mailboxes", name, enabled,
	    err);
}

int
ex_mailbox_delete(struct rs_client *c, const char *dom, const char *name,
    struct rs_error *err)
{
	return rs_op_delete(c, dom, "ex", "mailboxes", name, err);
}

int
ex_mailbox_address_add(struct rs_client *c, const char *dom,
    const char *name, const char *address, struct rs_error *err)
{
	struct ex_mailbox_ref ref = { dom, name, address };
	struct rs_request *req;
	const char *seg[] = { "customers", rs_client_customer(c), "domains",
	    dom, "ex", "mailboxes", name, "emailaddresses", address };
	int r;

	if ((req = rs_request_path_new(RS_POST, seg, 9, NULL, &r)) == NULL)
		return rs_error_set(err, r, "bad mailbox name or address");
	return rs_op_create(c, req, ex_mailbox_exists, &ref, err);
}

int
ex_mailbox_address_remove(struct rs_client *c, const char *dom,
    const char *name, const char *address, struct rs_error *err)
{
	struct ex_mailbox_ref ref = { dom, name, address };
	struct rs_response resp;
	struct rs_request *req;
	struct rs_error lerr;
	const char *seg[] = { "customers", rs_client_customer(c), "domains",
	    dom, "ex", "mailboxes", name, "emailaddresses", address };
	int r;

	if ((req = rs_request_path_new(RS_DELETE, seg, 9, NULL, &r)) == NULL)
		return rs_error_set(err, r, "bad mailbox name or address");
	r = rs_op_write(c, req, &resp, err);
	if (r < 0 && resp.uncertain && r != -ADSYNC_ETHROTTLED &&
	    ex_mailbox_exists(c, &ref, &lerr) == 0) {
		rs_error_clear(err);
		r = 0;
	}
	rs_response_fini(&resp);
	return r;
}
