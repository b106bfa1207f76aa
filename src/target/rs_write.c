/*
 * Prepared writes: the POST and PUT requests of mailboxes and contacts,
 * built without sending, for callers that submit many at once through the
 * asynchronous core (the sync engine's bulk apply) and for rs_op_add().
 * Client's owning thread; arguments are borrowed, the password is checked
 * against the service rule before it is encoded, and its encoded copy
 * lives only in the request body (wiped when the request is freed).
 */
#include <errno.h>
#include <string.h>

#include "err.h"
#include "target_internal.h"

int
rs_write_prepare(struct rs_client *c, enum rs_method m, const char *dom,
    const char *svc, const char *coll, const char *name,
    const struct rs_record *fields, const struct secret *password,
    struct rs_request **out, struct rs_error *err)
{
	struct rs_request *req;
	int r;

	*out = NULL;
	if (m != RS_POST && m != RS_PUT)
		return rs_error_set(err, -EINVAL, "only POST and PUT are "
		    "prepared");
	if (password != NULL &&
	    (r = rs_password_check_secret(password, err)) < 0)
		return r;
	if ((req = rs_op_request(c, m, dom, NULL, svc, coll, name, NULL,
	    &r)) == NULL)
		return rs_error_set(err, r, "bad %s name or domain", coll);
	if ((fields != NULL && (r = rs_op_form_record(req, fields)) < 0) ||
	    (password != NULL &&
	    (r = rs_request_form_add_secret(req, "password", password)) < 0)) {
		rs_request_free(req);
		return rs_error_set(err, r, "cannot encode the %s fields (a "
		    "field name is invalid or \"password\" is among them)",
		    coll);
	}
	*out = req;
	return 0;
}
