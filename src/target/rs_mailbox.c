/*
 * Rackspace Email mailboxes (rackspace-api.md §5.1, §8):
 * /customers/{c}/domains/{d}/rs/mailboxes[/{name}]. Reads are nested
 * (contactInfo) and list forwarding addresses as an array; writes are flat
 * form fields with a comma-separated emailForwardingAddresses. The decoder
 * maps the first onto the second so records diff directly. Client's owning
 * thread; JSON input untrusted (rs_json.c bounds it).
 */
#include <string.h>

#include "err.h"
#include "target_internal.h"

static const char *const rs_mailbox_lift[] = { "contactInfo", NULL };

static const struct rs_json_rename rs_mailbox_ren[] = {
	{ "emailForwardingAddressList", "emailForwardingAddresses" },
	{ NULL, NULL }
};

int
rs_mailbox_decode(const char *json, size_t len, struct rs_record *out)
{
	json_t *o;
	int r;

	if ((o = rs_json_parse_object(json, len)) == NULL)
		return -ADSYNC_EPROTO;
	r = rs_json_flatten(o, rs_mailbox_lift, rs_mailbox_ren, out);
	json_decref(o);
	return r;
}

int
rs_mailbox_list(struct rs_client *c, const char *dom,
    const struct rs_list_opts *opts, struct rs_records *out,
    struct rs_error *err)
{
	struct buf q;
	int r;

	buf_init(&q, RS_PATH_MAX / 2);
	r = 0;
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
	r = rs_op_list_offset(c, dom, "rs", "mailboxes", buf_str(&q),
	    "rsMailboxes", out, err);
out:
	buf_fini(&q);
	if (r < 0 && (err == NULL || err->code == 0))
		rs_error_set(err, r, "bad index options");
	return r;
}

int
rs_mailbox_show(struct rs_client *c, const char *dom, const char *name,
    struct rs_record *out, struct rs_error *err)
{
	struct rs_request *req;
	int r;

	if ((req = rs_op_request(c, RS_GET, dom, NULL, "rs", "mailboxes",
	    name, NULL, &r)) == NULL)
		return rs_error_set(err, r, "bad mailbox name");
	return rs_op_show(c, req, rs_mailbox_decode, out, err);
}

struct rs_mailbox_ref {
	const char *dom;
	const char *name;
};

static int
rs_mailbox_exists(struct rs_client *c, void *arg, struct rs_error *err)
{
	struct rs_mailbox_ref *m = arg;
	struct rs_request *req;
	int r;

	if ((req = rs_op_request(c, RS_GET, m->dom, NULL, "rs", "mailboxes",
	    m->name, NULL, &r)) == NULL)
		return r;
	return rs_op_exists_get(c, req, err);
}

static int
rs_mailbox_post(struct rs_client *c, const char *dom, const char *name,
    const struct rs_record *fields, const struct secret *password,
    bool recover, struct rs_error *err)
{
	struct rs_mailbox_ref ref = { dom, name };

	return rs_op_add(c, dom, "rs", "mailboxes", name, fields, password,
	    recover ? "recoverDeleted" : NULL, "true", rs_mailbox_exists, &ref,
	    err);
}

int
rs_mailbox_add(struct rs_client *c, const char *dom, const char *name,
    const struct rs_record *fields, const struct secret *password,
    struct rs_error *err)
{
	return rs_mailbox_post(c, dom, name, fields, password, false, err);
}

int
rs_mailbox_recover(struct rs_client *c, const char *dom, const char *name,
    const struct secret *password, struct rs_error *err)
{
	return rs_mailbox_post(c, dom, name, NULL, password, true, err);
}

int
rs_mailbox_edit(struct rs_client *c, const char *dom, const char *name,
    const struct rs_record *fields, struct rs_error *err)
{
	return rs_op_edit(c, dom, "rs", "mailboxes", name, fields, err);
}

int
rs_mailbox_set_password(struct rs_client *c, const char *dom,
    const char *name, const struct secret *password, struct rs_error *err)
{
	return rs_op_set_password(c, dom, "rs", "mailboxes", name, password,
	    err);
}

int
rs_mailbox_set_enabled(struct rs_client *c, const char *dom,
    const char *name, bool enabled, struct rs_error *err)
{
	return rs_op_set_enabled(c, dom, "rs", "mailboxes", name, enabled,
	    err);
}

int
rs_mailbox_delete(struct rs_client *c, const char *dom, const char *name,
    struct rs_error *err)
{
	return rs_op_delete(c, dom, "rs", "mailboxes", name, err);
}
