/*
 * libmicrohttpd glue (see emu_http.h). A request's context is allocated in
 * the URI callback (which also gives us the raw request target: MHD would
 * otherwise hand over the path already unescaped and the query already
 * parsed leniently), grows its body in a bounded buffer, and is freed in the
 * completion callback. Runs on MHD's worker threads; everything received is
 * untrusted.
 *
 * SECURITY: the X-Api-Signature header and bodies are never logged; the
 * request log gets a redacted copy of the body only.
 *
 * Hostile-reply rules (emu_faults.h: reply, html_error, garbage,
 * huge_body, truncate, wrong_type, drip) are applied here, where the reply
 * is queued: emu_http_send() builds their answer from the decision kept in
 * the request.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "buf.h"
#include "emu_admin.h"
#include "emu_api.h"
#include "emu_config.h"
#include "emu_faults.h"
#include "emu_http.h"
#include "emu_reqlog.h"
#include "emu_timer.h"
#include "err.h"
#include "net.h"
#include "log.h"
#include "secret.h"

#define EMU_CONN_LIMIT 512
#define EMU_CONN_TIMEOUT 120		/* idle seconds before MHD closes */
#define EMU_CONN_MEMORY (64 * 1024)	/* headers + MHD's buffers */

/* Names MHD's worker threads in log lines, once per thread. */
static _Thread_local bool emu_http_named;

struct emu_listener {
	struct emu *e;
	bool admin;
	int fd;
	struct MHD_Daemon *d;
	char addr[80];
};

struct emu_http {
	struct emu_listener api;
	struct emu_listener adm;
};

enum emu_phase {
	EMU_PH_NEW = 0,		/* headers received */
	EMU_PH_BODY,		/* receiving the body */
	EMU_PH_WAIT,		/* suspended for latency or a stall */
	EMU_PH_DONE		/* a reply was queued */
};

struct emu_req {
	struct emu_listener *l;
	char *target;		/* raw request target, owned */
	bool target_too_long;
	enum emu_phase phase;
	struct buf body;
	bool too_big;
	bool drop;		/* close instead of replying on resume */
	struct emu_resp resp;
	struct MHD_Connection *conn;
	struct emu_fault_decision fd;	/* hostile replies: how to send */
};

/* A proxy's error page, as IIS's ARR or a load balancer sends it. */
static const char emu_http_html_error[] =
    "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\">\r\n"
    "<html><head><title>502 - Web server received an invalid response "
    "while acting as a gateway or proxy server.</title></head>\r\n"
    "<body><h1>Server Error</h1><h2>502 - Web server received an invalid "
    "response while acting as a gateway or proxy server.</h2>\r\n"
    "<h3>There is a problem with the page you are looking for, and it "
    "cannot be displayed.</h3></body></html>\r\n";

/* A drip: the reply's body, `chunk` bytes a call, `ms` apart. */
struct emu_drip {
	char *body;		/* owned */
	size_t len;
	size_t chunk;
	unsigned ms;
};

static void *
emu_http_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct emu_listener *l = cls;
	struct emu_req *q;
	size_t len = strlen(uri);

	(void)conn;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->l = l;
	if (len > EMU_URI_MAX) {
		q->target_too_long = true;
		len = 1;
		uri = "/";
	}
	if ((q->target = strndup(uri, len)) == NULL) {
		free(q);
		return NULL;
	}
	buf_init(&q->body, l->e->cfg->body_max);
	return q;
}

static void
emu_http_done(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct emu_req *q = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (q == NULL)
		return;
	free(q->target);
	buf_fini(&q->body);
	emu_resp_fini(&q->resp);
	free(q);
	*con_cls = NULL;
}

static void
emu_http_mhdlog(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	/* MHD reports client mistakes (bad TLS, bad requests) here. */
	log_vdebug_lib("mhd: ", fmt, ap);
}

static ssize_t
emu_http_huge_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
	size_t i;

	(void)cls;
	for (i = 0; i < max; i++)
		buf[i] = emu_faults_huge_byte(pos + i);
	return (ssize_t)max;
}

static ssize_t
emu_http_drip_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct emu_drip *d = cls;
	struct timespec ts;
	size_t n;

	if (pos >= d->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	/*
	 * The only sleep in rsemu: a drip holds this worker thread for the
	 * whole reply (EMU_FAULTS_DRIP_MS_MAX per call bounds one wait; a
	 * client that gives up is noticed at the next write).
	 */
	if (pos > 0) {
		ts.tv_sec = d->ms / 1000;
		ts.tv_nsec = (long)(d->ms % 1000) * 1000000L;
		nanosleep(&ts, NULL);
	}
	n = d->len - (size_t)pos;
	if (n > d->chunk)
		n = d->chunk;
	if (n > max)
		n = max;
	memcpy(buf, d->body + pos, n);
	return (ssize_t)n;
}

static void
emu_http_drip_free(void *cls)
{
	struct emu_drip *d = cls;

	free(d->body);
	free(d);
}

/* The HTTP status a hostile reply sends (0: the request's own). */
static unsigned
emu_http_hostile_status(const struct emu_fault_decision *fd)
{
	switch (fd->action) {
	case EMU_FA_REPLY:
	case EMU_FA_GARBAGE:
		return fd->status != 0 ? fd->status : 200;
	case EMU_FA_HTML_ERROR:
		return fd->status != 0 ? fd->status : 502;
	case EMU_FA_HUGE_BODY:
		return 200;
	default:
		return 0;
	}
}

/* The reply of a hostile rule that replaces the whole answer, or of a
 * drip; NULL when the answer is sent as built (or on ENOMEM). */
static struct MHD_Response *
emu_http_hostile_resp(struct emu_req *q, const char **ctype)
{
	struct emu_fault_decision *fd = &q->fd;
	struct MHD_Response *resp = NULL;
	struct emu_drip *d;
	unsigned char *g;

	*ctype = "application/json; charset=utf-8";
	switch (fd->action) {
	case EMU_FA_REPLY:
		if (fd->ctype[0] != '\0')
			*ctype = fd->ctype;
		resp = MHD_create_response_from_buffer(fd->body_len, fd->body,
		    MHD_RESPMEM_MUST_COPY);
		break;
	case EMU_FA_HTML_ERROR:
		*ctype = "text/html";
		resp = MHD_create_response_from_buffer(
		    sizeof(emu_http_html_error) - 1,
		    (void *)(uintptr_t)emu_http_html_error,
		    MHD_RESPMEM_PERSISTENT);
		break;
	case EMU_FA_GARBAGE:
		if ((g = malloc(fd->bytes)) == NULL)
			return NULL;
		emu_faults_garbage(g, fd->bytes);
		resp = MHD_create_response_from_buffer(fd->bytes, g,
		    MHD_RESPMEM_MUST_FREE);
		if (resp == NULL)
			free(g);
		break;
	case EMU_FA_HUGE_BODY:
		resp = MHD_create_response_from_callback(fd->bytes, 64 * 1024,
		    emu_http_huge_cb, NULL, NULL);
		break;
	case EMU_FA_DRIP:
		if (q->resp.body == NULL)
			return NULL;	/* nothing to drip: sent as is */
		if ((d = calloc(1, sizeof(*d))) == NULL)
			return NULL;
		d->body = q->resp.body;
		d->len = q->resp.len;
		d->chunk = fd->bytes > 0 ? (size_t)fd->bytes : 1;
		d->ms = fd->stall_ms;
		resp = MHD_create_response_from_callback(d->len, d->chunk,
		    emu_http_drip_cb, d, emu_http_drip_free);
		if (resp == NULL) {
			free(d);
			return NULL;
		}
		q->resp.body = NULL;	/* the drip owns it now */
		break;
	default:
		break;
	}
	return resp;
}

static enum MHD_Result
emu_http_send(struct emu_req *q, struct MHD_Connection *conn)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	const char *ctype;
	unsigned status = q->resp.status;

	q->phase = EMU_PH_DONE;
	if ((resp = emu_http_hostile_resp(q, &ctype)) != NULL) {
		if (emu_http_hostile_status(&q->fd) != 0)
			status = emu_http_hostile_status(&q->fd);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    ctype);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
		    "private");
		ret = MHD_queue_response(conn, status, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	if (emu_http_hostile_status(&q->fd) != 0)
		return MHD_NO;	/* out of memory for the hostile reply */
	if (q->resp.body != NULL) {
		resp = MHD_create_response_from_buffer(q->resp.len,
		    q->resp.body, MHD_RESPMEM_MUST_FREE);
		if (resp == NULL)
			return MHD_NO;
		q->resp.body = NULL;	/* MHD owns it now */
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    "application/json; charset=utf-8");
	} else if ((resp = MHD_create_response_from_buffer(0, NULL,
	    MHD_RESPMEM_PERSISTENT)) == NULL)
		return MHD_NO;
	/* The real service answers through IIS with these (§2.6). */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "private");
	if (q->resp.errmsg[0] != '\0')
		MHD_add_response_header(resp, "x-error-message",
		    q->resp.errmsg);
	ret = MHD_queue_response(conn, q->resp.status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
emu_http_resume(void *arg)
{
	MHD_resume_connection(arg);
}

/* Suspends `conn` until `ms` from now; the handler runs again then. */
static enum MHD_Result
emu_http_wait(struct emu_req *q, struct MHD_Connection *conn, unsigned ms)
{
	q->phase = EMU_PH_WAIT;
	MHD_suspend_connection(conn);
	if (emu_timer_add(q->l->e->timer, emu_now_ms() + ms, emu_http_resume,
	    conn) < 0) {
		MHD_resume_connection(conn);
		q->drop = true;
	}
	return MHD_YES;
}

static const char *
emu_http_header(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

/* Records one API request in the log and the counters. */
static void
emu_http_record(struct emu_req *q, const char *method, struct emu_call *c,
    unsigned status, enum emu_fault_action fault, unsigned latency)
{
	struct emu *e = q->l->e;
	const char *query;
	char when[40];
	struct timespec ts;
	struct tm tm;
	size_t plen;
	json_t *j;

	emu_reqlog_count(e->reqlog, method, status, c->stat_flags, fault);
	log_debug("req method=%s status=%u route=%s fault=%s", method,
	    status, emu_route_kind_name(c->route),
	    emu_faults_action_name(fault));
	if (e->cfg->reqlog_max == 0) {
		json_decref(c->logbody);
		c->logbody = NULL;
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%03ldZ",
	    ts.tv_nsec / 1000000);
	emu_route_split(q->target, &plen, &query);
	j = json_object();
	json_object_set_new(j, "time", json_string(when));
	json_object_set_new(j, "method", json_string(method));
	json_object_set_new(j, "path", json_stringn(q->target, plen));
	json_object_set_new(j, "query", json_string(query));
	json_object_set_new(j, "status", json_integer(status));
	json_object_set_new(j, "user_key", c->user >= 0 ?
	    json_string(e->cfg->users[c->user].key) : json_null());
	json_object_set_new(j, "route",
	    json_string(emu_route_kind_name(c->route)));
	json_object_set_new(j, "user_agent", c->user_agent != NULL ?
	    json_string(c->user_agent) : json_null());
	json_object_set_new(j, "content_type", c->content_type != NULL ?
	    json_string(c->content_type) : json_null());
	json_object_set_new(j, "body", c->logbody != NULL ? c->logbody :
	    json_null());
	c->logbody = NULL;
	json_object_set_new(j, "body_bytes", json_integer(c->body_len));
	json_object_set_new(j, "fault", fault != EMU_FA_NONE ?
	    json_string(emu_faults_action_name(fault)) : json_null());
	json_object_set_new(j, "latency_ms", json_integer(latency));
	(void)emu_reqlog_add(e->reqlog, j);
}

/* truncate and wrong_type: the processed reply's body, changed. */
static void
emu_http_mangle(struct emu_resp *r, const struct emu_fault_decision *fd)
{
	json_error_t jerr;
	json_t *j, *w;
	char *out;

	if (r->body == NULL || r->len == 0)
		return;
	if (fd->action == EMU_FA_TRUNCATE) {
		/* Content-Length follows: a short but complete message. */
		if (fd->bytes == 0)
			r->len /= 2;
		else if (fd->bytes < r->len)
			r->len = (size_t)fd->bytes;
		return;
	}
	if ((j = json_loadb(r->body, r->len, 0, &jerr)) == NULL)
		return;
	w = emu_faults_wrong_type(j);
	json_decref(j);
	out = json_dumps(w, JSON_COMPACT);
	json_decref(w);
	if (out == NULL)
		return;
	free(r->body);
	r->body = out;
	r->len = strlen(out);
}

static enum MHD_Result
emu_http_api(struct emu_req *q, struct MHD_Connection *conn,
    const char *method)
{
	struct emu *e = q->l->e;
	struct emu_fault_decision *fdp = &q->fd;
	struct emu_call c;
	const char *query;
	char path[EMU_URI_MAX + 1];
	unsigned status;
	size_t plen;

	memset(&c, 0, sizeof(c));
	c.method = method;
	c.target = q->target;
	c.signature = emu_http_header(conn, "X-Api-Signature");
	c.user_agent = emu_http_header(conn, MHD_HTTP_HEADER_USER_AGENT);
	c.accept = emu_http_header(conn, MHD_HTTP_HEADER_ACCEPT);
	c.content_type = emu_http_header(conn, MHD_HTTP_HEADER_CONTENT_TYPE);
	c.body = buf_str(&q->body);
	c.body_len = q->body.len;
	c.now = emu_now(e);
	c.now_ms = emu_now_ms();
	c.user = -1;
	emu_route_split(q->target, &plen, &query);
	memcpy(path, q->target, plen);
	path[plen] = '\0';
	emu_faults_decide(e->faults, method, path, fdp);
	emu_resp_init(&q->resp, c.now);
	switch (fdp->action) {
	case EMU_FA_DROP:
		emu_http_record(q, method, &c, 0, fdp->action, 0);
		return MHD_NO;
	case EMU_FA_STALL:
		emu_http_record(q, method, &c, 0, fdp->action, fdp->stall_ms);
		q->drop = true;
		return emu_http_wait(q, conn, fdp->stall_ms);
	case EMU_FA_REPLY:
	case EMU_FA_HTML_ERROR:
	case EMU_FA_GARBAGE:
	case EMU_FA_HUGE_BODY:
		/* Not processed: the whole answer is the rule's. */
		emu_resp_status(&q->resp, emu_http_hostile_status(fdp));
		break;
	case EMU_FA_ERROR500:
		emu_resp_fault(&q->resp, 500, "appsFault", "Injected server "
		    "error (rsemu fault injection).");
		break;
	case EMU_FA_THROTTLE:
		emu_resp_fault(&q->resp, 403, "unauthorizedFault",
		    "Exceeded request limits");
		break;
	default:
		emu_api_process(e, &c, &q->resp);
		if (fdp->action == EMU_FA_TRUNCATE || fdp->action ==
		    EMU_FA_WRONG_TYPE)
			emu_http_mangle(&q->resp, fdp);
		break;
	}
	status = fdp->action == EMU_FA_DROP_AFTER ? 0 : q->resp.status;
	emu_http_record(q, method, &c, status, fdp->action, fdp->latency_ms);
	json_decref(c.logbody);
	if (fdp->action == EMU_FA_DROP_AFTER)
		return MHD_NO;
	if (fdp->latency_ms > 0)
		return emu_http_wait(q, conn, fdp->latency_ms);
	return emu_http_send(q, conn);
}

/* A reply decided before the body was read (417, 413, 414). */
static enum MHD_Result
emu_http_early(struct emu_req *q, struct MHD_Connection *conn,
    const char *method, unsigned status, const char *msg)
{
	struct emu_call c;

	emu_resp_init(&q->resp, emu_now(q->l->e));
	emu_resp_fault(&q->resp, status, "badRequestFault", "%s", msg);
	if (!q->l->admin) {
		memset(&c, 0, sizeof(c));
		c.user = -1;
		c.user_agent = emu_http_header(conn,
		    MHD_HTTP_HEADER_USER_AGENT);
		emu_http_record(q, method, &c, status, EMU_FA_NONE, 0);
	}
	return emu_http_send(q, conn);
}

static enum MHD_Result
emu_http_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct emu_listener *l = cls;
	struct emu_req *q = *con_cls;
	const char *v;
	char *end;
	unsigned long long clen;

	(void)version;
	if (!emu_http_named) {
		log_thread_name(l->admin ? "admin" : "api");
		emu_http_named = true;
	}
	if (q == NULL) {
		/* The URI callback failed to allocate. */
		if ((q = emu_http_uri(l, url, conn)) == NULL)
			return MHD_NO;
		*con_cls = q;
	}
	switch (q->phase) {
	case EMU_PH_WAIT:
		if (q->drop)
			return MHD_NO;
		return emu_http_send(q, conn);
	case EMU_PH_DONE:
		*upload_data_size = 0;
		return MHD_YES;
	case EMU_PH_NEW:
		q->phase = EMU_PH_BODY;
		q->conn = conn;
		/*
		 * IIS answered "Expect: 100-continue" with 417 (§2.6): a
		 * client must not send it, so the emulator fails it loudly
		 * before any body is read.
		 */
		if (emu_http_header(conn, MHD_HTTP_HEADER_EXPECT) != NULL)
			return emu_http_early(q, conn, method, 417,
			    "Expectation Failed: do not send Expect: "
			    "100-continue.");
		if (q->target_too_long)
			return emu_http_early(q, conn, method, 414,
			    "Request-URI Too Long.");
		v = emu_http_header(conn, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (v != NULL) {
			errno = 0;
			clen = strtoull(v, &end, 10);
			if (*v == '\0' || *end != '\0' || errno != 0 ||
			    clen > l->e->cfg->body_max)
				return emu_http_early(q, conn, method, 413,
				    "Request body too large.");
		}
		return MHD_YES;
	case EMU_PH_BODY:
		break;
	}
	if (*upload_data_size > 0) {
		/* Bounded as it arrives: buf_add frees the buffer and fails
		 * past the limit, and the rest is discarded. */
		if (!q->too_big && buf_add(&q->body, upload_data,
		    *upload_data_size) < 0)
			q->too_big = true;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (q->too_big)
		return emu_http_early(q, conn, method, 413,
		    "Request body too large.");
	if (l->admin) {
		emu_resp_init(&q->resp, emu_now(l->e));
		emu_admin_process(l->e, method, q->target, buf_str(&q->body),
		    q->body.len, &q->resp);
		return emu_http_send(q, conn);
	}
	return emu_http_api(q, conn, method);
}

static int
emu_http_bind(struct emu_listener *l, const char *spec, char *why,
    size_t whylen, const char *flag)
{
	int fd = net_listen(spec, flag, l->addr, sizeof(l->addr), why, whylen);

	if (fd < 0)
		return fd;
	l->fd = fd;
	return 0;
}

static int
emu_http_daemon(struct emu_listener *l, unsigned threads, const char *cert,
    const char *key, char *why, size_t whylen)
{
	struct MHD_OptionItem opts[16];
	unsigned flags;
	size_t n = 0;

	flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_ERROR_LOG;
	if (cert != NULL)
		flags |= MHD_USE_TLS;
	/* The logger first, so start-up messages go through it too. */
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER,
	    (intptr_t)emu_http_mhdlog, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET,
	    l->fd, NULL };
	if (threads > 1)
		opts[n++] = (struct MHD_OptionItem){
		    MHD_OPTION_THREAD_POOL_SIZE, threads, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
	    EMU_CONN_LIMIT, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
	    EMU_CONN_TIMEOUT, NULL };
	opts[n++] = (struct MHD_OptionItem){
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, EMU_CONN_MEMORY, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_URI_LOG_CALLBACK,
	    (intptr_t)emu_http_uri, l };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
	    (intptr_t)emu_http_done, l };
	if (cert != NULL) {
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT,
		    0, (void *)(uintptr_t)cert };
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY,
		    0, (void *)(uintptr_t)key };
	}
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	l->d = MHD_start_daemon(flags, 0, NULL, NULL, emu_http_access, l,
	    MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (l->d == NULL) {
		snprintf(why, whylen, "cannot start the %s listener on %s%s",
		    l->admin ? "admin" : "API", l->addr, cert != NULL ?
		    " (is the certificate/key pair valid PEM?)" : "");
		return -ADSYNC_ECONFIG;
	}
	return 0;
}

int
emu_http_start(struct emu *e, const char *cert, const struct secret *key,
    struct emu_http **out, char *why, size_t whylen)
{
	struct emu_http *h;
	const char *keytext = NULL;
	size_t keylen;
	int r;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return -ENOMEM;
	h->api.e = h->adm.e = e;
	h->api.fd = h->adm.fd = -1;
	h->adm.admin = true;
	if (key != NULL)
		keytext = (const char *)secret_bytes(key, &keylen);
	if ((r = emu_http_bind(&h->api, e->cfg->listen, why, whylen,
	    "--listen")) < 0)
		goto fail;
	if (e->cfg->admin_listen != NULL && (r = emu_http_bind(&h->adm,
	    e->cfg->admin_listen, why, whylen, "--admin-listen")) < 0)
		goto fail;
	if ((r = emu_http_daemon(&h->api, e->cfg->threads, cert, keytext, why,
	    whylen)) < 0)
		goto fail;
	if (e->cfg->admin_listen != NULL && (r = emu_http_daemon(&h->adm, 1,
	    NULL, NULL, why, whylen)) < 0)
		goto fail;
	*out = h;
	return 0;
fail:
	emu_http_stop(h);
	return r;
}

const char *
emu_http_api_addr(const struct emu_http *h)
{
	return h->api.addr;
}

const char *
emu_http_admin_addr(const struct emu_http *h)
{
	return h->adm.addr;
}

static void
emu_http_listener_stop(struct emu_listener *l)
{
	if (l->d != NULL) {
		/* MHD_stop_daemon() closes the listening socket it was
		 * given, so it is not closed a second time here. */
		MHD_stop_daemon(l->d);
		l->d = NULL;
		l->fd = -1;
	}
	if (l->fd >= 0) {
		close(l->fd);
		l->fd = -1;
	}
}

void
emu_http_stop(struct emu_http *h)
{
	if (h == NULL)
		return;
	/* MHD requires every suspended connection to be resumed before
	 * MHD_stop_daemon(); the timer resumes them all now. */
	if (h->api.e->timer != NULL)
		emu_timer_flush(h->api.e->timer);
	emu_http_listener_stop(&h->api);
	emu_http_listener_stop(&h->adm);
	free(h);
}
