/*
 * Rackspace Email aliases (rackspace-api.md §5.2):
 * /customers/{c}/domains/{d}/rs/aliases[/{alias}[/{address}]]. Show lists
 * the members under emailAddressList.emailAddress; writes take them as the
 * comma-separated form field aliasEmails, which is also the name the
 * decoder gives them, so a record read back diffs against the one written.
 * adsync manages aliases as an extension: the product did not. Client's
 * owning thread; JSON input untrusted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "target_internal.h"

/* Members as CSV: emailAddressList may be {"emailAddress":[..]} (the
 * documented form), {"emailAddress":"one"} (XML-to-JSON of a single
 * element) or a plain array. */
static int
rs_alias_members(const json_t *l, struct buf *b)
{
	const json_t *a, *v;
	size_t i;
	int r;

	a = json_is_object(l) ? json_object_get(l, "emailAddress") : l;
	if (a == NULL || json_is_null(a))
		return 0;
	if (json_is_string(a))
		return buf_add(b, json_string_value(a), json_string_length(a));
	if (!json_is_array(a))
		return -ADSYNC_EPROTO;
	json_array_foreach(a, i, v) {
		if (json_is_object(v))
			v = json_object_get(v, "address");
		if (!json_is_string(v))
			return -ADSYNC_EPROTO;
		if ((i > 0 && (r = buf_addc(b, ',')) < 0) ||
		    (r = buf_add(b, json_string_value(v),
		    json_string_length(v))) < 0)
			return r;
	}
	return 0;
}

int
rs_alias_decode(const char *json, size_t len, struct rs_record *out)
{
	struct buf b;
	json_t *o;
	int r;

	if ((o = rs_json_parse_object(json, len)) == NULL)
		return -ADSYNC_EPROTO;
	buf_init(&b, RS_FIELD_VALUE_MAX);
	if ((r = rs_json_flatten(o, NULL, NULL, out)) < 0 ||
	    (r = rs_alias_members(json_object_get(o, "emailAddressList"),
	    &b)) < 0 ||
	    (r = rs_record_set(out, "aliasEmails", buf_str(&b))) < 0)
		rs_record_fini(out);
	buf_fini(&b);
	json_decref(o);
	return r;
}

int
rs_alias_list(struct rs_client *c, const char *dom, struct rs_records *out,
    struct rs_error *err)
{
	return rs_op_list_offset(c, dom, "rs", "aliases", NULL, "aliases",
	    out, err);
}

int
rs_alias_show(struct rs_client *c, const char *dom, const char *alias,
    struct rs_record *out, struct rs_error *err)
{
	struct rs_request *req;
	int r;

	if ((req = rs_op_request(c, RS_GET, dom, NULL, "rs", "aliases", alias,
	    NULL, &r)) == NULL)
		return rs_error_set(err, r, "bad alias name");
	return rs_op_show(c, req, rs_alias_decode, out, err);
}

struct rs_alias_ref {
	const char *dom;
	const char *alias;
	const char *address;	/* NULL: does the alias exist */
};

/* 1 when the alias exists (and has `address` as a member, if given). */
static int
rs_alias_exists(struct rs_client *c, void *arg, struct rs_error *err)
{
	struct rs_alias_ref *a = arg;
	struct rs_strlist members;
	struct rs_record rec;
	int r;

	rs_record_init(&rec);
	r = rs_alias_show(c, a->dom, a->alias, &rec, err);
	if (r == -ADSYNC_ENOTFOUND) {
		r = 0;
	} else if (r == 0 && a->address == NULL) {
		r = 1;
	} else if (r == 0) {
		rs_strlist_init(&members);
		r = rs_strlist_from_csv(&members,
		    rs_record_get(&rec, "aliasEmails"));
		if (r == 0)
			r = rs_strlist_has(&members, a->address) ? 1 : 0;
		rs_strlist_fini(&members);
	}
	rs_record_fini(&rec);
	return r;
}

static struct rs_request *
rs_alias_request(struct rs_client *c, enum rs_method m, const char *dom,
    const char *alias, const struct rs_strlist *members,
    struct rs_error *err)
{
	struct rs_request *req;
	char *csv;
	int r;

	if ((req = rs_op_request(c, m, dom, NULL, "rs", "aliases", alias,
	    NULL, &r)) == NULL) {
		rs_error_set(err, r, "bad alias name");
		return NULL;
	}
	if (members == NULL || members->n == 0) {
		/* The server refuses it too ("An alias must point to a
		 * valid email address."); say so without a call. */
		rs_request_free(req);
		rs_error_set(err, -ADSYNC_EVALIDATION, "an alias needs at "
		    "least one member");
		return NULL;
	}
	if ((csv = rs_strlist_join(members)) == NULL ||
	    (r = rs_request_form_add(req, "aliasEmails", csv)) < 0) {
		free(csv);
		rs_request_free(req);
		rs_error_set(err, csv == NULL ? -ENOMEM : r, "cannot encode "
		    "the members");
		return NULL;
	}
	free(csv);
	return req;
}

int
rs_alias_add(struct rs_client *c, const char *dom, const char *alias,
    const struct rs_strlist *members, struct rs_error *err)
{
	struct rs_alias_ref ref = { dom, alias, NULL };
	struct rs_request *req;

	if ((req = rs_alias_request(c, RS_POST, dom, alias, members,
	    err)) == NULL)
		return err != NULL ? err->code : -ADSYNC_EPARSE;
	return rs_op_create(c, req, rs_alias_exists, &ref, err);
}

int
rs_alias_replace(struct rs_client *c, const char *dom, const char *alias,
    const struct rs_strlist *members, struct rs_error *err)
{
	struct rs_request *req;

	if ((req = rs_alias_request(c, RS_PUT, dom, alias, members,
	    err)) == NULL)
		return err != NULL ? err->code : -ADSYNC_EPARSE;
	return rs_op_write(c, req, NULL, err);
}

int
rs_alias_member_add(struct rs_client *c, const char *dom, const char *alias,
    const char *address, struct rs_error *err)
{
	struct rs_alias_ref ref = { dom, alias, address };
	struct rs_request *req;
	int r;

	if ((req = rs_op_request(c, RS_POST, dom, NULL, "rs", "aliases",
	    alias, address, &r)) == NULL)
		return rs_error_set(err, r, "bad alias name or address");
	return rs_op_create(c, req, rs_alias_exists, &ref, err);
}

int
rs_alias_member_remove(struct rs_client *c, const char *dom,
    const char *alias, const char *address, struct rs_error *err)
{
	struct rs_alias_ref ref = { dom, alias, address };
	struct rs_response resp;
	struct rs_request *req;
	struct rs_error lerr;
	int r;

	if ((req = rs_op_request(c, RS_DELETE, dom, NULL, "rs", "aliases",
	    alias, address, &r)) == NULL)
		return rs_error_set(err, r, "bad alias name or address");
	r = rs_op_write(c, req, &resp, err);
	/* A retried removal finds the member already gone (an error,
	 * "Email address ... does not exist in alias ..."): if the member
	 * is indeed gone, the first attempt did the work. */
	if (r < 0 && resp.uncertain && r != -ADSYNC_ETHROTTLED &&
	    rs_alias_exists(c, &ref, &lerr) == 0) {
		rs_error_clear(err);
		r = 0;
	}
	rs_response_fini(&resp);
	return r;
}

int
rs_alias_delete(struct rs_client *c, const char *dom, const char *alias,
    struct rs_error *err)
{
	return rs_op_delete(c, dom, "rs", "aliases", alias, err);
}
