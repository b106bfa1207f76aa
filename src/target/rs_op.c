/*
 * Helpers shared by the typed operations (rs_domain.c ... ex_dl.c): resource
 * paths, form bodies from records, Show and offset-paged Index calls, and
 * the create that is never sent twice blindly. Runs on the client's owning
 * thread; answers are untrusted and decoded through rs_json.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "target_internal.h"

struct rs_request *
rs_op_request(struct rs_client *c, enum rs_method m, const char *dom,
    const char *query, const char *s1, const char *s2, const char *s3,
    const char *s4, int *errp)
{
	const char *seg[8];
	size_t n = 0;

	seg[n++] = "customers";
	seg[n++] = rs_client_customer(c);
	seg[n++] = "domains";
	if (dom != NULL) {
		seg[n++] = dom;
		/* Trailing NULLs end the list; a NULL in the middle is a
		 * missing name and fails in rs_request_path_new(). */
		if (s1 != NULL)
			seg[n++] = s1;
		if (s2 != NULL)
			seg[n++] = s2;
		if (s3 != NULL || s4 != NULL)
			seg[n++] = s3;
		if (s4 != NULL)
			seg[n++] = s4;
	}
	return rs_request_path_new(m, seg, n, query, errp);
}

int
rs_op_form_record(struct rs_request *req, const struct rs_record *rec)
{
	size_t i;
	int r;

	if (rec == NULL)
		return 0;
	for (i = 0; i < rec->n; i++)
		if ((r = rs_request_form_add(req, rec->v[i].name,
		    rec->v[i].value)) < 0)
			return r;
	return 0;
}

int
rs_op_write(struct rs_client *c, struct rs_request *req,
    struct rs_response *resp, struct rs_error *err)
{
	struct rs_response tmp;
	int r;

	r = rs_client_call(c, req, &tmp, err);
	if (resp != NULL) {
		*resp = tmp;
	} else {
		rs_response_fini(&tmp);
	}
	return r;
}

int
rs_op_show(struct rs_client *c, struct rs_request *req,
    rs_op_decode_fn *decode, struct rs_record *out, struct rs_error *err)
{
	struct rs_response resp;
	int r;

	if ((r = rs_client_call(c, req, &resp, err)) < 0)
		return r;
	r = decode(resp.body, resp.body_len, out);
	rs_response_fini(&resp);
	if (r < 0) {
		rs_record_fini(out);
		rs_error_set(err, r, "cannot decode the answer: %s",
		    adsync_strerror(r));
		if (err != NULL)
			err->http_status = 200;
	}
	return r;
}

/* Appends one record per object of the array `a`. */
static int
rs_op_rows(json_t *a, struct rs_records *out)
{
	struct rs_record *rec;
	json_t *v;
	size_t i;
	int r = 0;

	json_array_foreach(a, i, v) {
		if (!json_is_object(v))
			return -ADSYNC_EPROTO;
		if ((rec = rs_records_add(out, &r)) == NULL)
			return r;
		if ((r = rs_json_flatten(v, NULL, NULL, rec)) < 0)
			return r;
	}
	return 0;
}

/*
 * Decodes one offset page into `out`. Returns 1 when more pages follow
 * (*offset advanced), 0 when this was the last, or a negative code.
 */
static int
rs_op_page(json_t *o, const char *key, struct rs_records *out,
    json_int_t *offset)
{
	json_t *a, *t, *sz;
	json_int_t total, step;
	int r;

	a = json_object_get(o, key);
	if (a == NULL) {
		/* An empty index may leave the array out. */
		a = json_array();
		json_object_set_new(o, key, a);
	}
	if (!json_is_array(a))
		return -ADSYNC_EPROTO;
	if ((r = rs_op_rows(a, out)) < 0)
		return r;
	t = json_object_get(o, "total");
	sz = json_object_get(o, "size");
	if (t == NULL)
		return 0;	/* no envelope: everything came at once */
	if (!json_is_integer(t) || json_integer_value(t) < 0)
		return -ADSYNC_EPROTO;
	total = json_integer_value(t);
	step = json_is_integer(sz) && json_integer_value(sz) > 0 ?
	    json_integer_value(sz) : RS_PAGE_SIZE;
	/* The numbers are the server's: no addition that can overflow
	 * (a size of 2^62 twice; found by fuzz_target_index). */
	if (*offset >= total || step >= total - *offset) {
		*offset = total;
		return 0;
	}
	/* A page without rows before the total is reached would loop
	 * forever against a confused server. */
	if (json_array_size(a) == 0)
		return -ADSYNC_EPROTO;
	*offset += step;
	return *offset < total ? 1 : 0;
}

int
rs_op_list_offset(struct rs_client *c, const char *dom, const char *s1,
    const char *s2, const char *extra, const char *key,
    struct rs_records *out, struct rs_error *err)
{
	struct rs_response resp;
	struct rs_request *req;
	json_t *o;
	json_int_t offset = 0, at;
	char query[RS_PATH_MAX];
	unsigned pages = 0;
	int r;

	/*
	 * Offset paging (rackspace-api.md §4.2): ask for the largest page and
	 * loop offset += size while offset < total, as the official clients
	 * do. The answer's own "size" is the step, in case the server caps
	 * the page below what we asked for.
	 */
	do {
		if ((size_t)snprintf(query, sizeof(query), "size=%d&offset=%"
		    JSON_INTEGER_FORMAT "%s%s", RS_PAGE_SIZE, offset,
		    extra != NULL && extra[0] ? "&" : "",
		    extra != NULL ? extra : "") >= sizeof(query))
			return rs_error_set(err, -ADSYNC_ETOOBIG,
			    "index query too long");
		if ((req = rs_op_request(c, RS_GET, dom, query, s1, s2, NULL,
		    NULL, &r)) == NULL)
			return rs_error_set(err, r, "bad index path");
		if ((r = rs_client_call(c, req, &resp, err)) < 0)
			return r;
		o = rs_json_parse_object(resp.body, resp.body_len);
		rs_response_fini(&resp);
		at = offset;
		r = o != NULL ? rs_op_page(o, key, out, &offset) :
		    -ADSYNC_EPROTO;
		json_decref(o);
		if (r < 0) {
			rs_error_set(err, r, "cannot decode the index page at "
			    "offset %" JSON_INTEGER_FORMAT ": %s", at,
			    adsync_strerror(r));
			if (err != NULL)
				err->http_status = 200;
			return r;
		}
		if (++pages > RS_RECORDS_MAX / 50)
			return rs_error_set(err, -ADSYNC_ETOOBIG,
			    "index too long");
	} while (r == 1);
	return 0;
}

int
rs_op_exists_get(struct rs_client *c, struct rs_request *req,
    struct rs_error *err)
{
	struct rs_response resp;
	int r;

	r = rs_client_call(c, req, &resp, err);
	rs_response_fini(&resp);
	if (r == 0)
		return 1;
	if (r == -ADSYNC_ENOTFOUND)
		return 0;
	return r;
}

int
rs_op_create(struct rs_client *c, struct rs_request *post,
    rs_op_exists_fn *exists, void *arg, struct rs_error *err)
{
	return rs_op_create_from(c, post, 0, exists, arg, err);
}

int
rs_op_create_from(struct rs_client *c, struct rs_request *post,
    unsigned sent, rs_op_exists_fn *exists, void *arg, struct rs_error *err)
{
	/* Every POST whose outcome may be unknown counts, the caller's
	 * too: the first and max_retries more, at most. */
	unsigned budget = 1 + rs_client_max_retries(c);
	struct rs_request *copy = NULL;
	struct rs_error lerr;
	int r = -ADSYNC_EUNKNOWN, e;

	if (sent > 0) {
		/* Sent before: look it up first; `post` is the re-send. */
		copy = post;
		post = NULL;
	}
	for (;;) {
		if (post != NULL) {
			/* Keep a copy in case the create must be sent
			 * again. */
			if (sent + 1 < budget &&
			    (copy = rs_request_dup(post)) == NULL) {
				rs_request_free(post);
				return rs_error_set(err, -ENOMEM,
				    "out of memory");
			}
			r = rs_client_call(c, post, NULL, err);
			post = NULL;
			sent++;
			if (r != -ADSYNC_EUNKNOWN) {
				if (r == -ADSYNC_ECONFLICT && sent > 1) {
					/* Absent a moment ago, present
					 * now: most likely our own earlier
					 * create, late. */
					log_warnx("create conflict after a "
					    "lost reply; taking the object as "
					    "created");
					r = 0;
					rs_error_clear(err);
				}
				break;
			}
		}
		/*
		 * The reply was lost: the object may exist now. Look it up
		 * instead of sending the create again, which could make a
		 * duplicate or fail with a misleading conflict.
		 */
		log_warnx("create outcome unknown after %u attempt%s; looking "
		    "the object up", sent, sent > 1 ? "s" : "");
		e = exists(c, arg, &lerr);
		if (e == 1) {
			rs_error_clear(err);
			r = 0;
			break;
		}
		if (e < 0) {
			if (err != NULL) {
				size_t l = strlen(err->message);

				snprintf(err->message + l,
				    sizeof(err->message) - l,
				    "; the lookup failed too: %s",
				    adsync_strerror(e));
			}
			r = -ADSYNC_EUNKNOWN;
			break;
		}
		if (sent >= budget || copy == NULL) {
			/* Certainly absent after the last attempt: the
			 * outcome is known, not created. */
			rs_error_not_created(err, sent);
			r = err != NULL ? err->code : -ADSYNC_ESERVER;
			break;
		}
		/* Certainly absent: creating again is safe. */
		post = copy;
		copy = NULL;
	}
	rs_request_free(post);
	rs_request_free(copy);
	return r;
}

/* The object a create made: {dom}/{svc}/{coll}/{name}. */
struct rs_op_ref {
	const char *dom;
	const char *svc;
	const char *coll;
	const char *name;
};

static int
rs_op_ref_exists(struct rs_client *c, void *arg, struct rs_error *err)
{
	struct rs_op_ref *ref = arg;
	struct rs_request *req;
	int r;

	if ((req = rs_op_request(c, RS_GET, ref->dom, NULL, ref->svc,
	    ref->coll, ref->name, NULL, &r)) == NULL)
		return rs_error_set(err, r, "bad %s name or domain",
		    ref->coll);
	return rs_op_exists_get(c, req, err);
}

int
rs_create_settle(struct rs_client *c, struct rs_request *post,
    unsigned sent, const char *dom, const char *svc, const char *coll,
    const char *name, struct rs_error *err)
{
	struct rs_op_ref ref = { dom, svc, coll, name };

	if (sent == 0) {
		rs_request_free(post);
		return rs_error_set(err, -EINVAL, "nothing to settle: the "
		    "create was never sent");
	}
	return rs_op_create_from(c, post, sent, rs_op_ref_exists, &ref, err);
}

void
rs_op_marks_init(struct rs_op_marks *m)
{
	memset(m, 0, sizeof(*m));
}

void
rs_op_marks_fini(struct rs_op_marks *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i]);
	free(m->v);
	rs_op_marks_init(m);
}

int
rs_op_marker_next(struct rs_op_marks *m, size_t rows, const char *next,
    char *why, size_t whylen)
{
	size_t lo = 0, hi = m->n, mid;
	char **nv, *dup;
	int c;

	if (next == NULL || next[0] == '\0')
		return 0;
	/*
	 * A page without rows that still names a next marker, or a marker
	 * named before, is a server going round in circles: followed, it
	 * would cost a read per page up to the page limit (10,000 reads, at
	 * 60 a minute hours of a stuck sync) before "index too long".
	 */
	if (rows == 0) {
		err_why(why, whylen, "an empty page names the next marker "
		    "'%.64s'; the index would never end", next);
		return -ADSYNC_EPROTO;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(next, m->v[mid])) == 0) {
			err_why(why, whylen, "the marker '%.64s' came back "
			    "after %zu pages; the index would never end", next,
			    m->n);
			return -ADSYNC_EPROTO;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (m->n == m->cap) {
		if ((nv = reallocarray(m->v, m->cap ? m->cap * 2 : 16,
		    sizeof(*nv))) == NULL)
			return -ENOMEM;
		m->v = nv;
		m->cap = m->cap ? m->cap * 2 : 16;
	}
	if ((dup = strdup(next)) == NULL)
		return -ENOMEM;
	memmove(m->v + lo + 1, m->v + lo, (m->n - lo) * sizeof(*m->v));
	m->v[lo] = dup;
	m->n++;
	return 1;
}

/* Makes the request for {s1}/{s2}/{name} of a domain into *out; 0, or a
 * negative code with `err` set. */
static int
rs_op_item(struct rs_client *c, enum rs_method m, const char *dom,
    const char *s1, const char *s2, const char *name,
    struct rs_request **out /* OUT */, struct rs_error *err)
{
	struct rs_request *req;
	int r;

	/* Set first so callers see a defined value on every path (and the
	 * optimiser can prove it). */
	*out = NULL;
	if ((req = rs_op_request(c, m, dom, NULL, s1, s2, name, NULL, &r)) ==
	    NULL)
		return rs_error_set(err, r, "bad %s name or domain", s2);
	*out = req;
	return 0;
}

int
rs_op_add(struct rs_client *c, const char *dom, const char *s1,
    const char *s2, const char *name, const struct rs_record *fields,
    const struct secret *password, const char *extra_name,
    const char *extra_value, rs_op_exists_fn *exists, void *arg,
    struct rs_error *err)
{
	struct rs_request *req;
	int r;

	if ((r = rs_write_prepare(c, RS_POST, dom, s1, s2, name, fields,
	    password, &req, err)) < 0)
		return r;
	if (extra_name != NULL &&
	    (r = rs_request_form_add(req, extra_name, extra_value)) < 0) {
		rs_request_free(req);
		return rs_error_set(err, r, "cannot encode %s", extra_name);
	}
	return rs_op_create(c, req, exists, arg, err);
}

int
rs_op_edit(struct rs_client *c, const char *dom, const char *s1,
    const char *s2, const char *name, const struct rs_record *fields,
    struct rs_error *err)
{
	struct rs_request *req;
	int r;

	if ((r = rs_write_prepare(c, RS_PUT, dom, s1, s2, name, fields, NULL,
	    &req, err)) < 0)
		return r;
	return rs_op_write(c, req, NULL, err);
}

int
rs_password_prepare(struct rs_client *c, const char *dom, const char *svc,
    const char *name, const struct secret *password,
    struct rs_request **out, struct rs_error *err)
{
	struct rs_request *req;
	int r;

	*out = NULL;
	if ((r = rs_password_check_secret(password, err)) < 0)
		return r;
	if ((r = rs_op_item(c, RS_PUT, dom, svc, "mailboxes", name, &req,
	    err)) < 0)
		return r;
	if ((r = rs_request_form_add_secret(req, "password", password)) < 0) {
		rs_request_free(req);
		return rs_error_set(err, r, "cannot encode the password");
	}
	*out = req;
	return 0;
}

int
rs_op_set_password(struct rs_client *c, const char *dom, const char *s1,
    const char *s2, const char *name, const struct secret *password,
    struct rs_error *err)
{
	struct rs_request *req;
	int r;

	if (strcmp(s2, "mailboxes") != 0)
		return rs_error_set(err, -EINVAL, "passwords are set on "
		    "mailboxes only");
	if ((r = rs_password_prepare(c, dom, s1, name, password, &req,
	    err)) < 0)
		return r;
	return rs_op_write(c, req, NULL, err);
}

int
rs_op_set_enabled(struct rs_client *c, const char *dom, const char *s1,
    const char *s2, const char *name, bool enabled, struct rs_error *err)
{
	struct rs_request *req;
	int r;

	if ((r = rs_op_item(c, RS_PUT, dom, s1, s2, name, &req, err)) < 0)
		return r;
	if ((r = rs_request_form_add(req, "enabled",
	    enabled ? "true" : "false")) < 0) {
		rs_request_free(req);
		return rs_error_set(err, r, "out of memory");
	}
	return rs_op_write(c, req, NULL, err);
}

int
rs_op_delete(struct rs_client *c, const char *dom, const char *s1,
    const char *s2, const char *name, struct rs_error *err)
{
	struct rs_response resp;
	struct rs_request *req;
	int r;

	if ((r = rs_op_item(c, RS_DELETE, dom, s1, s2, name, &req, err)) < 0)
		return r;
	r = rs_op_write(c, req, &resp, err);
	/* A retry of a DELETE whose first reply was lost finds nothing:
	 * the first attempt did the work. */
	if (r == -ADSYNC_ENOTFOUND && resp.uncertain) {
		rs_error_clear(err);
		r = 0;
	}
	rs_response_fini(&resp);
	return r;
}
