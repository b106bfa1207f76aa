/*
 * Requests of the API client: method, escaped path, category and body
 * (form or JSON). A request body may hold a password (encoded from a
 * struct secret); it lives in a struct buf that is wiped when the request
 * is freed, and it is never logged. Owned by one thread; a submitted
 * request belongs to the client until its callback has run.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "target_internal.h"

const char *
rs_method_name(enum rs_method method)
{
	switch (method) {
	case RS_GET:
		return "GET";
	case RS_POST:
		return "POST";
	case RS_PUT:
		return "PUT";
	case RS_DELETE:
		return "DELETE";
	}
	return "?";
}

/*
 * Domain writes have their own, much smaller limit (2 per minute,
 * rackspace-api.md §3.1): writes on /customers/{c}/domains/{d} itself and
 * on its alternate domains.
 */
static enum rs_category
rs_request_classify(enum rs_method m, const char *path)
{
	const char *p = path, *q;
	int segs = 0;
	size_t len;

	if (m == RS_GET)
		return RS_CAT_READ;
	len = strcspn(path, "?");
	if (memmem(path, len, "/alternatedomains", 17) != NULL)
		return RS_CAT_DOMAIN_WRITE;
	while (p < path + len) {
		if (*p == '/')
			p++;
		q = p;
		while (q < path + len && *q != '/')
			q++;
		if (q > p)
			segs++;
		p = q;
	}
	if (segs == 4 && strncmp(path, "/customers/", 11) == 0 &&
	    memmem(path, len, "/domains/", 9) != NULL)
		return RS_CAT_DOMAIN_WRITE;
	return RS_CAT_WRITE;
}

static bool
rs_request_path_ok(const char *path)
{
	const unsigned char *p;

	if (path[0] != '/')
		return false;
	/* SECURITY: the path is pasted into the URL; no bytes that could
	 * end the request line or a header. */
	for (p = (const unsigned char *)path; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '#')
			return false;
	return true;
}

struct rs_request *
rs_request_new(enum rs_method method, const char *path, int *errp)
{
	struct rs_request *req;
	int err = -ENOMEM;

	if (path == NULL || !rs_request_path_ok(path) ||
	    (method != RS_GET && method != RS_POST && method != RS_PUT &&
	    method != RS_DELETE)) {
		err = -ADSYNC_EPARSE;
		goto fail;
	}
	if (strlen(path) > RS_PATH_MAX) {
		err = -ADSYNC_ETOOBIG;
		goto fail;
	}
	if ((req = calloc(1, sizeof(*req))) == NULL)
		goto fail;
	if ((req->path = strdup(path)) == NULL) {
		free(req);
		goto fail;
	}
	req->method = method;
	req->cat = rs_request_classify(method, path);
	buf_init(&req->body, RS_REQ_BODY_MAX);
	req->kind = RS_BODY_NONE;
	req->tokens[0] = req->tokens[1] = -1;
	return req;
fail:
	if (errp != NULL)
		*errp = err;
	return NULL;
}

struct rs_request *
rs_request_path_new(enum rs_method method, const char *const *segments,
    size_t n, const char *query, int *errp)
{
	struct rs_request *req = NULL;
	struct buf p;
	size_t i;
	int r = 0;

	buf_init(&p, RS_PATH_MAX);
	for (i = 0; i < n; i++) {
		const char *s = segments[i];

		/* ".." would climb out of the resource the caller meant. */
		if (s == NULL || s[0] == '\0' || strcmp(s, ".") == 0 ||
		    strcmp(s, "..") == 0) {
			r = -ADSYNC_EPARSE;
			goto out;
		}
		if ((r = buf_addc(&p, '/')) < 0 ||
		    (r = http_escape(&p, s, strlen(s), true)) < 0)
			goto out;
	}
	if (query != NULL && query[0] != '\0' &&
	    ((r = buf_addc(&p, '?')) < 0 || (r = buf_addstr(&p, query)) < 0))
		goto out;
	req = rs_request_new(method, buf_str(&p), &r);
out:
	buf_fini(&p);
	if (req == NULL && errp != NULL)
		*errp = r < 0 ? r : -ENOMEM;
	return req;
}

void
rs_request_free(struct rs_request *req)
{
	if (req == NULL)
		return;
	/* buf_fini wipes: the body may hold a password. */
	buf_fini(&req->body);
	free(req->path);
	free(req);
}

struct rs_request *
rs_request_dup(const struct rs_request *req)
{
	struct rs_request *d;

	if ((d = rs_request_new(req->method, req->path, NULL)) == NULL)
		return NULL;
	d->cat = req->cat;
	d->kind = req->kind;
	if (req->body.len > 0 &&
	    buf_add(&d->body, req->body.data, req->body.len) < 0) {
		rs_request_free(d);
		return NULL;
	}
	return d;
}

int
rs_request_form_add(struct rs_request *req, const char *name,
    const char *value)
{
	int r;

	if (req->kind == RS_BODY_JSON)
		return -EINVAL;
	/* SECURITY: passwords must arrive as struct secret, so that no
	 * plain char * copy of one exists in the engine's records. */
	if (strcmp(name, "password") == 0)
		return -ADSYNC_EPARSE;
	if (value == NULL)
		value = "";
	if ((r = http_form_add(&req->body, name, value, strlen(value))) < 0)
		return r;
	req->kind = RS_BODY_FORM;
	return 0;
}

int
rs_request_form_add_secret(struct rs_request *req, const char *name,
    const struct secret *value)
{
	const unsigned char *p;
	size_t len;
	int r;

	if (req->kind == RS_BODY_JSON || value == NULL)
		return -EINVAL;
	p = secret_bytes(value, &len);
	if ((r = http_form_add(&req->body, name, (const char *)p, len)) < 0)
		return r;
	req->kind = RS_BODY_FORM;
	return 0;
}

int
rs_request_json_set(struct rs_request *req, const char *json, size_t len)
{
	int r;

	if (req->kind == RS_BODY_FORM)
		return -EINVAL;
	buf_reset(&req->body);
	if ((r = buf_add(&req->body, json, len)) < 0) {
		buf_init(&req->body, RS_REQ_BODY_MAX);
		return r;
	}
	req->kind = RS_BODY_JSON;
	return 0;
}

enum rs_method
rs_request_method(const struct rs_request *req)
{
	return req->method;
}

enum rs_category
rs_request_category(const struct rs_request *req)
{
	return req->cat;
}

const char *
rs_request_path(const struct rs_request *req)
{
	return req->path;
}

bool
rs_request_idempotent(const struct rs_request *req)
{
	return req->method != RS_POST;
}
