/*
 * Hosted Exchange contacts (rackspace-api.md §5.4, §9.6):
 * /customers/{c}/domains/{d}/ex/contacts[/{name}]. Directory Sync names
 * contacts by the AD objectGUID, so names are 36-character GUID strings.
 * Only displayName and externalEmail are documented; other fields pass
 * through as the engine gives them. Client's owning thread; JSON input
 * untrusted.
 */
#include "err.h"
#include "target_internal.h"

static const char *const ex_contact_lift[] = { "contactInfo", NULL };

int
ex_contact_decode(const char *json, size_t len, struct rs_record *out)
{
	json_t *o;
	int r;

	if ((o = rs_json_parse_object(json, len)) == NULL)
		return -ADSYNC_EPROTO;
	r = rs_json_flatten(o, ex_contact_lift, NULL, out);
	json_decref(o);
	return r;
}

int
ex_contact_list(struct rs_client *c, const char *dom, struct rs_records *out,
    struct rs_error *err)
{
	return rs_op_list_offset(c, dom, "ex", "contacts", NULL, "contacts",
	    out, err);
}

int
ex_contact_show(struct rs_client *c, const char *dom, const char *name,
    struct rs_record *out, struct rs_error *err)
{
	struct rs_request *req;
	int r;

	if ((req = rs_op_request(c, RS_GET, dom, NULL, "ex", "contacts", name,
	    NULL, &r)) == NULL)
		return rs_error_set(err, r, "bad contact name");
	return rs_op_show(c, req, ex_contact_decode, out, err);
}

struct ex_contact_ref {
	const char *dom;
	const char *name;
};

static int
ex_contact_exists(struct rs_client *c, void *arg, struct rs_error *err)
{
	struct ex_contact_ref *ref = arg;
	struct rs_request *req;
	int r;

	if ((req = rs_op_request(c, RS_GET, ref->dom, NULL, "ex", "contacts",
	    ref->name, NULL, &r)) == NULL)
		return r;
	return rs_op_exists_get(c, req, err);
}

static int
ex_contact_write(struct rs_client *c, enum rs_method m, const char *dom,
    const char *name, const struct rs_record *fields, struct rs_error *err)
{
	struct ex_contact_ref ref = { dom, name };
	struct rs_request *req;
	int r;

	if ((req = rs_op_request(c, m, dom, NULL, "ex", "contacts", name,
	    NULL, &r)) == NULL)
		return rs_error_set(err, r, "bad contact name");
	if ((r = rs_op_form_record(req, fields)) < 0) {
		rs_request_free(req);
		return rs_error_set(err, r, "cannot encode the contact fields");
	}
	if (m == RS_POST)
		return rs_op_create(c, req, ex_contact_exists, &ref, err);
	return rs_op_write(c, req, NULL, err);
}

int
ex_contact_add(struct rs_client *c, const char *dom, const char *name,
    const struct rs_record *fields, struct rs_error *err)
{
	return ex_contact_write(c, RS_POST, dom, name, fields, err);
}

int
ex_contact_edit(struct rs_client *c, const char *dom, const char *name,
    const struct rs_record *fields, struct rs_error *err)
{
	return ex_contact_write(c, RS_PUT, dom, name, fields, err);
}

int
ex_contact_delete(struct rs_client *c, const char *dom, const char *name,
    struct rs_error *err)
{
	return rs_op_delete(c, dom, "ex", "contacts", name, err);
}
