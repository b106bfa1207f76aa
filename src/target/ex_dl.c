/*
 * Hosted Exchange distribution lists (rackspace-api.md §4.3, §5.5):
 * /customers/{c}/domains/{d}/ex/distributionlists[/{name}[/members|
 * /emailaddresses|/errors]]. Unlike everything else, v1 lists take JSON
 * bodies only, are created by POST to the *collection* with the name in the
 * body, change membership by PUT with Members.Recipients[].Action = Add or
 * Remove, and page by marker instead of offset. The exact v1 read shape is
 * not documented ([UNKNOWN] in the spec), so the decoder accepts both the
 * capitalised v2-style names (CommonName, DisplayName, Members.Recipients,
 * EmailAddresses[].Value) and lower-case ones, and turns them into a record
 * with name, displayName, ..., and the CSV fields members and
 * emailAddresses. Client's owning thread; JSON input untrusted.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "target_internal.h"

/* First letter lower-cased ("DisplayName" -> "displayName"); the common
 * name is the list's name. */
static void
ex_dl_key(const char *key, char *out, size_t outlen)
{
	if (strcasecmp(key, "CommonName") == 0 || strcasecmp(key, "Name") == 0)
		key = "name";
	snprintf(out, outlen, "%s", key);
	out[0] = (char)tolower((unsigned char)out[0]);
}

/* The string of an array element: a string, or an object's Value/value,
 * Address/address, Name/name. */
static const json_t *
ex_dl_item(const json_t *v)
{
	static const char *const keys[] = { "Value", "value", "Address",
	    "address", "EmailAddress", "emailAddress", "Name", "name", NULL };
	const json_t *s;
	size_t i;

	if (json_is_string(v))
		return v;
	if (!json_is_object(v))
		return NULL;
	for (i = 0; keys[i] != NULL; i++)
		if (json_is_string(s = json_object_get(v, keys[i])))
			return s;
	return NULL;
}

static bool
ex_dl_primary(const json_t *v)
{
	const json_t *p;

	if (!json_is_object(v))
		return false;
	p = json_object_get(v, "AddressPrimary");
	if (p == NULL)
		p = json_object_get(v, "addressPrimary");
	if (p == NULL)
		p = json_object_get(v, "replyTo");
	return json_is_true(p);
}

/* Members: an array, or an object holding one under Recipients. */
static const json_t *
ex_dl_array(const json_t *v)
{
	const json_t *a;

	if (json_is_array(v))
		return v;
	if (!json_is_object(v))
		return NULL;
	if ((a = json_object_get(v, "Recipients")) != NULL ||
	    (a = json_object_get(v, "recipients")) != NULL)
		return json_is_array(a) ? a : NULL;
	return NULL;
}

static int
ex_dl_csv(const json_t *a, struct buf *b, struct buf *primary)
{
	const json_t *v, *s;
	size_t i;
	int r;

	json_array_foreach(a, i, v) {
		if ((s = ex_dl_item(v)) == NULL)
			return -ADSYNC_EPROTO;
		if ((b->len > 0 && (r = buf_addc(b, ',')) < 0) ||
		    (r = buf_add(b, json_string_value(s),
		    json_string_length(s))) < 0)
			return r;
		if (primary != NULL && primary->len == 0 && ex_dl_primary(v) &&
		    (r = buf_add(primary, json_string_value(s),
		    json_string_length(s))) < 0)
			return r;
	}
	return 0;
}

static int
ex_dl_flatten(json_t *o, struct rs_record *out)
{
	char name[RS_FIELD_NAME_MAX + 1];
	struct buf b, p;
	const json_t *a;
	json_t *v;
	const char *key;
	int r = 0, k;

	buf_init(&b, RS_FIELD_VALUE_MAX);
	buf_init(&p, RS_FIELD_VALUE_MAX);
	json_object_foreach(o, key, v) {
		if (strlen(key) > RS_FIELD_NAME_MAX)
			continue;
		ex_dl_key(key, name, sizeof(name));
		if (!http_field_name_ok(name))
			continue;
		buf_reset(&b);
		if (strcmp(name, "members") == 0 ||
		    strcmp(name, "emailAddresses") == 0) {
			if ((a = ex_dl_array(v)) == NULL)
				continue;
			buf_reset(&p);
			if ((r = ex_dl_csv(a, &b, &p)) < 0 ||
			    (r = rs_record_set(out, name, buf_str(&b))) < 0)
				goto out;
			if (p.len > 0 && rs_record_get(out,
			    "primarySmtpAddress") == NULL &&
			    (r = rs_record_set(out, "primarySmtpAddress",
			    buf_str(&p))) < 0)
				goto out;
			continue;
		}
		if ((k = rs_json_scalar(v, &b)) < 0) {
			r = k;
			goto out;
		}
		if (k > 0 && (r = rs_record_set(out, name, buf_str(&b))) < 0)
			goto out;
	}
out:
	buf_fini(&b);
	buf_fini(&p);
	return r;
}

int
ex_dl_decode(const char *json, size_t len, struct rs_record *out)
{
	json_t *o;
	int r;

	if ((o = rs_json_parse_object(json, len)) == NULL)
		return -ADSYNC_EPROTO;
	if ((r = ex_dl_flatten(o, out)) < 0)
		rs_record_fini(out);
	json_decref(o);
	return r;
}

/* The array of a list page: under a known key, else the only array. */
static json_t *
ex_dl_page(json_t *o)
{
	static const char *const keys[] = { "distributionLists",
	    "DistributionLists", "lists", "Errors", "errors", NULL };
	json_t *a = NULL, *v;
	const char *key;
	size_t i;

	for (i = 0; keys[i] != NULL; i++)
		if (json_is_array(a = json_object_get(o, keys[i])))
			return a;
	a = NULL;
	json_object_foreach(o, key, v) {
		if (json_is_array(v)) {
			if (a != NULL)
				return NULL;
			a = v;
		}
	}
	return a;
}

int
ex_dl_list(struct rs_client *c, const char *dom, struct rs_records *out,
    struct rs_error *err)
{
	struct rs_op_marks marks;
	struct rs_response resp;
	struct rs_request *req;
	struct rs_record *rec;
	struct buf q;
	json_t *o = NULL, *a, *v, *nm;
	const char *next;
	char *marker = NULL, why[256];
	size_t i, pages = 0;
	int r;

	/*
	 * Marker paging (§4.3): ask for `limit` lists after `marker`, the
	 * server's NextMarker (or the name of the last list of a full page
	 * when it gives none); a short page, or a null NextMarker, is the
	 * last one. An empty page that names a next marker, or a marker
	 * named before, ends the read with an error (rs_op_marker_next).
	 */
	rs_op_marks_init(&marks);
	for (;;) {
		buf_init(&q, RS_PATH_MAX);
		if ((r = buf_printf(&q, "limit=%d", RS_DL_PAGE_SIZE)) < 0 ||
		    (marker != NULL && ((r = buf_addstr(&q, "&marker=")) < 0 ||
		    (r = http_escape(&q, marker, strlen(marker),
		    false)) < 0))) {
			buf_fini(&q);
			r = rs_error_set(err, r, "bad marker");
			goto out;
		}
		free(marker);
		marker = NULL;
		req = rs_op_request(c, RS_GET, dom, buf_str(&q), "ex",
		    "distributionlists", NULL, NULL, &r);
		buf_fini(&q);
		if (req == NULL) {
			r = rs_error_set(err, r, "bad domain name");
			goto out;
		}
		if ((r = rs_client_call(c, req, &resp, err)) < 0)
			goto out;
		o = rs_json_parse_object(resp.body, resp.body_len);
		rs_response_fini(&resp);
		if (o == NULL || (a = ex_dl_page(o)) == NULL) {
			r = rs_error_set(err, -ADSYNC_EPROTO, "cannot decode a "
			    "distribution list page");
			goto out;
		}
		json_array_foreach(a, i, v) {
			if (!json_is_object(v) ||
			    (rec = rs_records_add(out, &r)) == NULL ||
			    (r = ex_dl_flatten(v, rec)) < 0) {
				if (r == 0)
					r = -ADSYNC_EPROTO;
				r = rs_error_set(err, r, "cannot decode a "
				    "distribution list row");
				goto out;
			}
		}
		/* The server's NextMarker when it gives one (null on the
		 * last page); else the last name of a full page. */
		nm = json_object_get(o, "NextMarker");
		if (nm == NULL)
			nm = json_object_get(o, "nextMarker");
		next = NULL;
		if (json_is_string(nm) && json_string_length(nm) > 0)
			next = json_string_value(nm);
		else if (nm == NULL && json_array_size(a) >= RS_DL_PAGE_SIZE &&
		    out->n > 0)
			next = rs_record_get(&out->v[out->n - 1], "name");
		r = rs_op_marker_next(&marks, json_array_size(a), next, why,
		    sizeof(why));
		if (r == -ADSYNC_EPROTO) {
			rs_error_set(err, r, "cannot follow the distribution "
			    "list index: %s", why);
			if (err != NULL)
				err->http_status = 200;
			goto out;
		}
		if (r < 0) {
			r = rs_error_set(err, r, "out of memory");
			goto out;
		}
		if (r == 0)
			goto out;
		if ((marker = strdup(next)) == NULL) {
			r = rs_error_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		json_decref(o);
		o = NULL;
		if (++pages > RS_RECORDS_MAX / RS_DL_PAGE_SIZE) {
			r = rs_error_set(err, -ADSYNC_ETOOBIG,
			    "index too long");
			goto out;
		}
	}
out:
	json_decref(o);
	free(marker);
	rs_op_marks_fini(&marks);
	return r;
}

int
ex_dl_show(struct rs_client *c, const char *dom, const char *name,
    struct rs_record *out, struct rs_error *err)
{
	struct rs_request *req;
	int r;

	if ((req = rs_op_request(c, RS_GET, dom, NULL, "ex",
	    "distributionlists", name, NULL, &r)) == NULL)
		return rs_error_set(err, r, "bad list name");
	return rs_op_show(c, req, ex_dl_decode, out, err);
}

struct ex_dl_ref {
	const char *dom;
	const char *name;
};

static int
ex_dl_exists(struct rs_client *c, void *arg, struct rs_error *err)
{
	struct ex_dl_ref *ref = arg;
	struct rs_request *req;
	int r;

	if ((req = rs_op_request(c, RS_GET, ref->dom, NULL, "ex",
	    "distributionlists", ref->name, NULL, &r)) == NULL)
		return r;
	return rs_op_exists_get(c, req, err);
}

/* {"Recipients":[{"Action":action,"Value":m}, ...]} */
static json_t *
ex_dl_recipients(const struct rs_strlist *members, const char *action)
{
	json_t *a, *o;
	size_t i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; members != NULL && i < members->n; i++) {
		o = json_pack("{s:s, s:s}", "Action", action, "Value",
		    members->v[i]);
		if (o == NULL || json_array_append_new(a, o) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return json_pack("{s:o}", "Recipients", a);
}

/* Sets `o` (taken) as the JSON body of `req`. */
static int
ex_dl_body(struct rs_request *req, json_t *o)
{
	char *s;
	int r;

	if (o == NULL)
		return -ENOMEM;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		return -ENOMEM;
	r = rs_request_json_set(req, s, strlen(s));
	free(s);
	return r;
}

int
ex_dl_prepare_create(struct rs_client *c, const char *dom, const char *name,
    const struct rs_record *fields, const struct rs_strlist *members,
    struct rs_request **out, struct rs_error *err)
{
	static const struct rs_json_rename names[] = {
		{ "displayName", "DisplayName" },
		{ "description", "Description" },
		{ "primarySmtpAddress", "PrimarySmtpAddress" },
		{ NULL, NULL }
	};
	struct rs_request *req;
	const char *v;
	json_t *o;
	size_t i;
	int r;

	*out = NULL;
	if (name == NULL || name[0] == '\0')
		return rs_error_set(err, -ADSYNC_EPARSE, "a list needs a name");
	if ((req = rs_op_request(c, RS_POST, dom, NULL, "ex",
	    "distributionlists", NULL, NULL, &r)) == NULL)
		return rs_error_set(err, r, "bad domain name");
	r = -ENOMEM;
	if ((o = json_pack("{s:s}", "CommonName", name)) == NULL)
		goto fail;
	for (i = 0; fields != NULL && names[i].from != NULL; i++) {
		v = rs_record_get(fields, names[i].from);
		if (v != NULL && json_object_set_new(o, names[i].to,
		    json_string(v)) < 0)
			goto fail;
	}
	if (json_object_get(o, "DisplayName") == NULL &&
	    json_object_set_new(o, "DisplayName", json_string(name)) < 0)
		goto fail;
	if (members != NULL && members->n > 0 && json_object_set_new(o,
	    "Members", ex_dl_recipients(members, "Add")) < 0)
		goto fail;
	/* ex_dl_body takes `o`, whatever happens. */
	r = ex_dl_body(req, o);
	o = NULL;
	if (r < 0)
		goto fail;
	*out = req;
	return 0;
fail:
	json_decref(o);
	rs_request_free(req);
	return rs_error_set(err, r, "cannot encode the list");
}

int
ex_dl_create(struct rs_client *c, const char *dom, const char *name,
    const struct rs_record *fields, const struct rs_strlist *members,
    struct rs_error *err)
{
	struct ex_dl_ref ref = { dom, name };
	struct rs_request *req;
	int r;

	if ((r = ex_dl_prepare_create(c, dom, name, fields, members, &req,
	    err)) < 0)
		return r;
	return rs_op_create(c, req, ex_dl_exists, &ref, err);
}

/* Is `want` in the CSV field `field` of list `name`? A member given
 * without a domain matches "want@anything". 1, 0, or negative. */
static int
ex_dl_has(struct rs_client *c, const char *dom, const char *name,
    const char *field, const char *want, struct rs_error *err)
{
	struct rs_record rec;
	struct rs_strlist l;
	const char *v;
	size_t i, wl = strlen(want);
	int r;

	rs_record_init(&rec);
	rs_strlist_init(&l);
	if ((r = ex_dl_show(c, dom, name, &rec, err)) < 0)
		goto out;
	v = rs_record_get(&rec, field);
	if ((r = rs_strlist_from_csv(&l, v != NULL ? v : "")) < 0)
		goto out;
	for (i = 0; i < l.n; i++)
		if (strcasecmp(l.v[i], want) == 0 ||
		    (strchr(want, '@') == NULL &&
		    strncasecmp(l.v[i], want, wl) == 0 && l.v[i][wl] == '@'))
			break;
	r = i < l.n ? 1 : 0;
out:
	rs_strlist_fini(&l);
	rs_record_fini(&rec);
	return r;
}

/*
 * PUT of one JSON change to the list. `field` and `gone` name what a
 * removal takes away: a Remove retried after a lost reply is refused
 * ("... is not a member") when the first attempt did the work, so that
 * refusal counts as success once a Show confirms the items are gone.
 */
static int
ex_dl_put(struct rs_client *c, const char *dom, const char *name, json_t *o,
    const char *field, const char *const *gone, size_t ngone,
    struct rs_error *err)
{
	struct rs_response resp;
	struct rs_request *req;
	struct rs_error lerr;
	size_t i;
	int r;

	if ((req = rs_op_request(c, RS_PUT, dom, NULL, "ex",
	    "distributionlists", name, NULL, &r)) == NULL) {
		json_decref(o);
		return rs_error_set(err, r, "bad list name");
	}
	if ((r = ex_dl_body(req, o)) < 0) {
		rs_request_free(req);
		return rs_error_set(err, r, "cannot encode the change");
	}
	r = rs_op_write(c, req, &resp, err);
	if (r == -ADSYNC_EVALIDATION && resp.uncertain && ngone > 0) {
		for (i = 0; i < ngone; i++)
			if (ex_dl_has(c, dom, name, field, gone[i], &lerr) != 0)
				break;
		if (i == ngone) {
			rs_error_clear(err);
			r = 0;
		}
	}
	rs_response_fini(&resp);
	return r;
}

int
ex_dl_edit(struct rs_client *c, const char *dom, const char *name,
    const struct rs_record *fields, struct rs_error *err)
{
	const char *dn = rs_record_get(fields, "displayName");
	const char *desc = rs_record_get(fields, "description");
	json_t *o;

	if ((o = json_object()) == NULL ||
	    (dn != NULL && json_object_set_new(o, "DisplayName",
	    json_string(dn)) < 0) ||
	    (desc != NULL && json_object_set_new(o, "Description",
	    json_string(desc)) < 0)) {
		json_decref(o);
		return rs_error_set(err, -ENOMEM, "out of memory");
	}
	if (json_object_size(o) == 0) {
		json_decref(o);
		return 0;
	}
	/* ex_dl_put takes `o`; an edit is idempotent, nothing is gone. */
	return ex_dl_put(c, dom, name, o, "members", NULL, 0, err);
}

int
ex_dl_prepare_members(struct rs_client *c, const char *dom, const char *name,
    const struct rs_strlist *members, bool add, struct rs_request **out,
    struct rs_error *err)
{
	struct rs_request *req;
	json_t *rec;
	int r;

	*out = NULL;
	if (members == NULL || members->n == 0)
		return rs_error_set(err, -EINVAL, "no members");
	if ((req = rs_op_request(c, RS_PUT, dom, NULL, "ex",
	    "distributionlists", name, NULL, &r)) == NULL)
		return rs_error_set(err, r, "bad list name");
	if ((rec = ex_dl_recipients(members, add ? "Add" : "Remove")) ==
	    NULL) {
		rs_request_free(req);
		return rs_error_set(err, -ENOMEM, "out of memory");
	}
	if ((r = ex_dl_body(req, json_pack("{s:o}", "Members", rec))) < 0) {
		rs_request_free(req);
		return rs_error_set(err, r, "cannot encode the change");
	}
	*out = req;
	return 0;
}

static int
ex_dl_members(struct rs_client *c, const char *dom, const char *name,
    const struct rs_strlist *members, const char *action,
    struct rs_error *err)
{
	json_t *rec;
	bool removing;

	if (members == NULL || members->n == 0)
		return 0;
	if ((rec = ex_dl_recipients(members, action)) == NULL)
		return rs_error_set(err, -ENOMEM, "out of memory");
	removing = strcmp(action, "Remove") == 0;
	return ex_dl_put(c, dom, name, json_pack("{s:o}", "Members", rec),
	    "members", (const char *const *)members->v, removing ?
	    members->n : 0, err);
}

int
ex_dl_members_add(struct rs_client *c, const char *dom, const char *name,
    const struct rs_strlist *members, struct rs_error *err)
{
	return ex_dl_members(c, dom, name, members, "Add", err);
}

int
ex_dl_members_remove(struct rs_client *c, const char *dom, const char *name,
    const struct rs_strlist *members, struct rs_error *err)
{
	return ex_dl_members(c, dom, name, members, "Remove", err);
}

static int
ex_dl_address(struct rs_client *c, const char *dom, const char *name,
    const char *address, const char *action, struct rs_error *err)
{
	bool removing = strcmp(action, "Remove") == 0;
	json_t *o;

	/* S6: EmailAddresses entries with an Action on PUT; only smtp
	 * addresses are ours to manage, never the primary. */
	o = json_pack("{s:[{s:s, s:s, s:s, s:b}]}", "EmailAddresses",
	    "Action", action, "Value", address, "AddressProtocol", "smtp",
	    "AddressPrimary", 0);
	if (o == NULL)
		return rs_error_set(err, -ENOMEM, "out of memory");
	return ex_dl_put(c, dom, name, o, "emailAddresses", &address,
	    removing ? 1 : 0, err);
}

int
ex_dl_address_add(struct rs_client *c, const char *dom, const char *name,
    const char *address, struct rs_error *err)
{
	return ex_dl_address(c, dom, name, address, "Add", err);
}

int
ex_dl_address_remove(struct rs_client *c, const char *dom, const char *name,
    const char *address, struct rs_error *err)
{
	return ex_dl_address(c, dom, name, address, "Remove", err);
}

int
ex_dl_delete(struct rs_client *c, const char *dom, const char *name,
    struct rs_error *err)
{
	return rs_op_delete(c, dom, "ex", "distributionlists", name, err);
}

int
ex_dl_errors(struct rs_client *c, const char *dom, const char *name,
    struct rs_records *out, struct rs_error *err)
{
	struct rs_response resp;
	struct rs_request *req;
	struct rs_record *rec;
	json_t *o, *a, *v;
	size_t i;
	int r;

	if ((req = rs_op_request(c, RS_GET, dom, NULL, "ex",
	    "distributionlists", name, "errors", &r)) == NULL)
		return rs_error_set(err, r, "bad list name");
	if ((r = rs_client_call(c, req, &resp, err)) < 0)
		return r;
	o = rs_json_parse_object(resp.body, resp.body_len);
	rs_response_fini(&resp);
	if (o == NULL || (a = ex_dl_page(o)) == NULL) {
		json_decref(o);
		return rs_error_set(err, -ADSYNC_EPROTO, "cannot decode the "
		    "list's errors");
	}
	r = 0;
	json_array_foreach(a, i, v) {
		if ((rec = rs_records_add(out, &r)) == NULL)
			break;
		if (json_is_object(v))
			r = ex_dl_flatten(v, rec);
		else if (json_is_string(v))
			r = rs_record_set(rec, "message", json_string_value(v));
		if (r < 0)
			break;
	}
	json_decref(o);
	if (r < 0)
		return rs_error_set(err, r, "cannot decode the list's errors");
	return 0;
}
