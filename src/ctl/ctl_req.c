/*
 * Requests: handing a parsed request to the daemon's handler, its
 * getters, and the answer, which may come at any later time. A request
 * and its connection point at each other until one of them ends: a client
 * that goes away detaches the request (which stays valid for the handler),
 * and an answer detaches the connection (which then writes the reply and
 * closes). So the handler can hold a request for minutes without a
 * use-after-free whatever the client does.
 *
 * Threads: the loop thread only (ctl.h).
 *
 * Trust: the body has been parsed and checked to be an object by
 * ctl_conn.c; the reply comes from the daemon and is only bounded.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_internal.h"
#include "err.h"
#include "log.h"
#include "timing.h"
#include "xmalloc.h"

void
ctl_req_dispatch(struct ctl_server *s, struct ctl_conn *c, json_t *body)
{
	struct ctl_req *r;

	r = xcalloc(1, sizeof(*r));
	r->conn = c;
	r->body = body;
	r->uid = c->uid;
	c->req = r;
	log_debug("control client %u uid=%u: request handed to the daemon",
	    c->id, (unsigned)c->uid);
	s->fn(s->arg, r);
}

const json_t *
ctl_req_body(const struct ctl_req *r)
{
	return r->body;
}

uid_t
ctl_req_uid(const struct ctl_req *r)
{
	return r->uid;
}

struct ctl_dump {
	struct buf *out;
	int err;
};

static int
ctl_req_dump_cb(const char *data, size_t size, void *arg)
{
	struct ctl_dump *d = arg;
	int r;

	if ((r = buf_add(d->out, data, size)) < 0) {
		d->err = r;
		return -1;
	}
	return 0;
}

int
ctl_req_format(const json_t *reply, struct buf *out)
{
	struct ctl_dump d = { out, 0 };
	int r;

	if (reply == NULL || !json_is_object(reply))
		return -EINVAL;
	if (json_dump_callback(reply, ctl_req_dump_cb, &d, JSON_COMPACT) < 0)
		return d.err < 0 ? d.err : -ENOMEM;
	/* JSON_COMPACT never writes a newline (strings escape theirs); the
	 * check costs little and keeps the framing safe. */
	if (out->len > 0 && memchr(out->data, '\n', out->len) != NULL) {
		buf_fini(out);
		return -EINVAL;
	}
	if ((r = buf_addc(out, '\n')) < 0)
		return r;
	return 0;
}

void
ctl_req_reply(struct ctl_req *r, json_t *reply)
{
	struct ctl_conn *c;
	int e;

	if (r == NULL) {
		json_decref(reply);
		return;
	}
	if ((c = r->conn) != NULL) {
		c->req = NULL;
		r->conn = NULL;
		if ((e = ctl_req_format(reply, &c->out)) < 0) {
			log_warnx("control client %u: the daemon's reply cannot "
			    "be sent: %s", c->id, e == -EINVAL ?
			    "not a JSON object" : adsync_strerror(e));
			ctl_conn_fail(c->srv, c, e == -ADSYNC_ETOOBIG ?
			    "reply too large" : "internal error: the reply "
			    "cannot be sent");
		} else {
			c->state = CTL_CONN_WRITING;
			c->out_off = 0;
			c->deadline_ms = timing_now_ms() +
			    c->srv->lim.write_timeout_ms;
		}
	}
	json_decref(reply);
	json_decref(r->body);
	free(r);
}
