/*
 * The asynchronous core of the API client: a queue of requests, libcurl
 * multi for the transfers (connection reuse, up to max_in_flight at once),
 * per-category token buckets (pace.c), backoff on throttling, bounded
 * retries of idempotent calls, and the decoding of every answer into a
 * typed error (rs_error.c). rs_client_call() is the synchronous wrapper.
 *
 * Thread: the client's owning thread only; curl_global_init() was done by
 * main. Trust: answers are untrusted and bounded (RS_BODY_MAX, header text
 * copied into fixed fields). The secret key is borrowed from its struct
 * secret only for rs_auth_header(); each attempt is signed afresh with the
 * current UTC time, so a retry never reuses a stale signature.
 *
 * SECURITY: nothing here logs a body, the signature or the secret, and
 * CURLOPT_VERBOSE is never set (it would print the signature header).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "err.h"
#include "log.h"
#include "rs_auth.h"
#include "target_internal.h"
#include "timing.h"

/* Retry backoff of transport errors and 5xx answers. */
#define RS_RETRY_BASE_MS 250
#define RS_RETRY_CAP_MS 8000
/* Throttled answers per request before giving up with ETHROTTLED. */
#define RS_THROTTLE_MAX 16
/* Longest wait of one rs_client_run() round while requests are queued. */
#define RS_IDLE_MAX_MS 1000
#define RS_DEFAULT_UA "adsync/" ADSYNC_VERSION

/* One running attempt of a request. */
struct rs_xfer {
	struct rs_request *req;
	struct rs_xfer *next;	/* list of running attempts */
	CURL *easy;
	struct curl_slist *hdrs;
	struct buf resp;	/* response body, bounded */
	char xmsg[512];		/* x-error-message, sanitised */
	bool have_xmsg;
	bool too_big;
	unsigned sends;		/* times libcurl was about to send it */
	int64_t started;
	char errbuf[CURL_ERROR_SIZE];
};

/* Easy handles kept for reuse (max_in_flight is at most 64). */
#define RS_SPARE_EASY 64

struct rs_client {
	char *base;		/* api_url without a trailing '/' */
	char *customer;
	char *user_key;
	char *user_agent;
	char *ca_file;		/* NULL = system bundle */
	struct secret *secret;
	long timeout_ms;
	long connect_timeout_ms;
	unsigned max_retries;
	unsigned max_in_flight;
	bool plain_http;	/* loopback only, checked in rs_client_new */
	unsigned long next_id;	/* last request id given out */

	CURLM *multi;
	CURLSH *share;
	struct rs_pacer *pacer;	/* shared (rs_client_share_pacer) or own */
	bool prio;		/* may use the pacer's reserve */
	struct rs_request *qhead;	/* waiting to be sent */
	struct rs_request *qtail;
	struct rs_xfer *active;		/* running attempts */
	size_t nqueued;
	size_t nactive;
	bool closing;
	struct rs_client_stats stats;
	/* Easy handles of finished attempts, reset and kept for the next
	 * ones: a new handle per attempt cost more CPU (allocations of its
	 * buffers, and their unmapping) than the request itself. */
	CURL *spare[RS_SPARE_EASY];
	unsigned nspare;
	/* The signature header of the current second: its inputs are the
	 * same for every request in that second (the timestamp has second
	 * resolution), so a busy second computes it once. Secret-derived:
	 * overwritten each second, wiped by rs_client_free(). */
	time_t sig_time;
	char sig_hdr[RS_AUTH_HEADER_MAX + 32];
};

static bool
rs_printable(const char *s, bool colon_ok)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f ||
		    (!colon_ok && *s == ':'))
			return false;
	return true;
}

int
rs_client_new(const struct conf_rackspace *conf, struct rs_client **out,
    char *why, size_t whylen)
{
	struct rs_client *c;
	const char *ua;
	size_t len;
	char swhy[512];
	int r = -ADSYNC_ECONFIG, i;
	unsigned lim[RS_CAT_COUNT];

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	if (conf->api_url == NULL || http_url_check(conf->api_url, why,
	    whylen) < 0)
		goto fail;
	if (conf->user_key == NULL || conf->user_key[0] == '\0') {
		snprintf(why, whylen, "rackspace.user_key is not set: copy the "
		    "API user key from the Control Panel's API keys page");
		goto fail;
	}
	if (strlen(conf->user_key) > RS_AUTH_KEY_MAX ||
	    !rs_printable(conf->user_key, false) ||
	    strchr(conf->user_key, ' ') != NULL) {
		snprintf(why, whylen, "rackspace.user_key is not a valid API "
		    "user key (printable, no spaces or ':', at most %d "
		    "characters)", RS_AUTH_KEY_MAX);
		goto fail;
	}
	ua = conf->user_agent != NULL && conf->user_agent[0] != '\0' ?
	    conf->user_agent : RS_DEFAULT_UA;
	/* The User-Agent is hashed into the signature and must reach the
	 * server byte for byte: no control characters, no line breaks. */
	if (strlen(ua) > 256 || !rs_printable(ua, true)) {
		snprintf(why, whylen, "rackspace.user_agent must be printable "
		    "ASCII of at most 256 characters");
		goto fail;
	}
	if (conf->customer == NULL || conf->customer[0] == '\0' ||
	    strlen(conf->customer) > 64 || !rs_printable(conf->customer,
	    false) || strchr(conf->customer, '/') != NULL) {
		snprintf(why, whylen, "rackspace.customer must be \"me\" or an "
		    "account number");
		goto fail;
	}
	lim[RS_CAT_READ] = conf->reads_per_minute;
	lim[RS_CAT_WRITE] = conf->writes_per_minute;
	lim[RS_CAT_DOMAIN_WRITE] = conf->domain_writes_per_minute;
	for (i = 0; i < RS_CAT_COUNT; i++) {
		/* Above PACE_MAX_TOKENS a category is not paced at all:
		 * only an emulator without throttling is run so. */
		if (lim[i] == 0) {
			snprintf(why, whylen, "rackspace.*_per_minute must be "
			    "at least 1");
			goto fail;
		}
	}
	if (conf->throttle_window == 0 || conf->timeout == 0 ||
	    conf->connect_timeout == 0 || conf->max_in_flight == 0 ||
	    conf->max_in_flight > 64) {
		snprintf(why, whylen, "rackspace.throttle_window, timeout and "
		    "connect_timeout must be positive, max_in_flight 1..64");
		goto fail;
	}
	if (conf->ca_file != NULL && conf->ca_file[0] != '\0' &&
	    access(conf->ca_file, R_OK) != 0) {
		snprintf(why, whylen, "rackspace.ca_file %s cannot be read: %s "
		    "(set it to a PEM CA bundle, or leave it empty for the "
		    "system bundle)", conf->ca_file, adsync_strerror(-errno));
		goto fail;
	}

	len = strlen(conf->api_url);
	while (len > 0 && conf->api_url[len - 1] == '/')
		len--;
	c->base = strndup(conf->api_url, len);
	c->customer = strdup(conf->customer);
	c->user_key = strdup(conf->user_key);
	c->user_agent = strdup(ua);
	if (conf->ca_file != NULL && conf->ca_file[0] != '\0')
		c->ca_file = strdup(conf->ca_file);
	if (c->base == NULL || c->customer == NULL || c->user_key == NULL ||
	    c->user_agent == NULL || (conf->ca_file != NULL &&
	    conf->ca_file[0] != '\0' && c->ca_file == NULL)) {
		r = -ENOMEM;
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	c->plain_http = strncasecmp(c->base, "http:", 5) == 0;
	c->timeout_ms = (long)conf->timeout * 1000;
	c->connect_timeout_ms = (long)conf->connect_timeout * 1000;
	c->max_retries = conf->max_retries;
	c->max_in_flight = conf->max_in_flight;

	if ((r = rs_pacer_new(conf, false, &c->pacer)) < 0) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}

	if (conf->secret_key_file == NULL || conf->secret_key_file[0] ==
	    '\0') {
		r = -ADSYNC_ECONFIG;
		snprintf(why, whylen, "rackspace.secret_key_file is not set: "
		    "store the API secret key in a file of mode 0600 and name "
		    "it there");
		goto fail;
	}
	if ((r = secret_load_file(conf->secret_key_file,
	    "rackspace.secret_key_file", SECRET_FILE_MAX, &c->secret, swhy,
	    sizeof(swhy))) < 0) {
		/* One code for every unusable secret file; the sentence
		 * says which problem it is. */
		r = -ADSYNC_ESECRET;
		snprintf(why, whylen, "rackspace.secret_key_file: %s (the file "
		    "must be a regular file owned by this user or root, mode "
		    "0600 or 0400, holding the API secret key)", swhy);
		goto fail;
	}

	r = -ENOMEM;
	if ((c->multi = curl_multi_init()) == NULL ||
	    (c->share = curl_share_init()) == NULL) {
		snprintf(why, whylen, "cannot initialise libcurl");
		goto fail;
	}
	/* One thread, so the share needs no lock callbacks; it lets every
	 * transfer resume TLS sessions and reuse DNS answers. */
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(c->share, CURLSHOPT_SHARE,
	    CURL_LOCK_DATA_SSL_SESSION);
	curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)c->max_in_flight);
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS,
	    (long)c->max_in_flight + 1);
	*out = c;
	return 0;
fail:
	rs_client_free(c);
	return r;
}

void
rs_client_share_pacer(struct rs_client *c, struct rs_pacer *p,
    bool priority)
{
	rs_pacer_unref(c->pacer);
	c->pacer = rs_pacer_ref(p);
	c->prio = priority;
}

const char *
rs_client_customer(const struct rs_client *c)
{
	return c->customer;
}

unsigned
rs_client_max_retries(const struct rs_client *c)
{
	return c->max_retries;
}

size_t
rs_client_pending(const struct rs_client *c)
{
	return c->nqueued + c->nactive;
}

void
rs_client_stats(const struct rs_client *c, struct rs_client_stats *out)
{
	*out = c->stats;
}

void
rs_client_wakeup(struct rs_client *c)
{
	/* curl_multi_wakeup() is documented as callable from any thread. */
	(void)curl_multi_wakeup(c->multi);
}

void
rs_response_fini(struct rs_response *resp)
{
	if (resp == NULL)
		return;
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
}

/* The buckets an attempt of `req` needs: its own, and for a domain write
 * also the write bucket. */
static int
rs_client_cats(const struct rs_request *req, enum rs_category cats[2])
{
	cats[0] = req->cat;
	if (req->cat == RS_CAT_DOMAIN_WRITE) {
		cats[1] = RS_CAT_WRITE;
		return 2;
	}
	return 1;
}

/* A priority client's queue is its demand on the shared pacer. */
static void
rs_client_demand(struct rs_client *c, const struct rs_request *req,
    int delta)
{
	enum rs_category cats[2];

	if (c->prio)
		rs_pacer_demand(c->pacer, cats, rs_client_cats(req, cats),
		    delta);
}

static void
rs_queue_push(struct rs_client *c, struct rs_request *req, bool head)
{
	req->next = NULL;
	if (c->qhead == NULL) {
		c->qhead = c->qtail = req;
	} else if (head) {
		req->next = c->qhead;
		c->qhead = req;
	} else {
		c->qtail->next = req;
		c->qtail = req;
	}
	c->nqueued++;
	rs_client_demand(c, req, 1);
}

static void
rs_queue_unlink(struct rs_client *c, struct rs_request *prev,
    struct rs_request *req)
{
	if (prev == NULL)
		c->qhead = req->next;
	else
		prev->next = req->next;
	if (c->qtail == req)
		c->qtail = prev;
	req->next = NULL;
	c->nqueued--;
	rs_client_demand(c, req, -1);
}

/* Runs the callback once and frees the request. */
static void
rs_client_finish(struct rs_client *c, struct rs_request *req, char *body,
    size_t body_len, long status, struct rs_error *err)
{
	struct rs_response resp;

	memset(&resp, 0, sizeof(resp));
	resp.http_status = status;
	resp.uncertain = req->uncertain;
	resp.attempts = req->attempts;
	if (err != NULL) {
		free(body);
		body = NULL;
		err->attempts = req->attempts;
		c->stats.failed++;
	} else {
		c->stats.succeeded++;
	}
	if (body == NULL && (body = strdup("")) == NULL)
		body_len = 0;	/* callbacks cope with NULL on ENOMEM */
	resp.body = body;
	resp.body_len = body != NULL ? body_len : 0;
	req->done(req->arg, &resp, err);
	rs_response_fini(&resp);
	rs_request_free(req);
}

int
rs_client_submit(struct rs_client *c, struct rs_request *req,
    rs_done_fn *done, void *arg)
{
	if (req == NULL)
		return -EINVAL;
	if (done == NULL || c->closing) {
		rs_request_free(req);
		return done == NULL ? -EINVAL : -ADSYNC_ECANCELED;
	}
	req->done = done;
	req->arg = arg;
	req->id = ++c->next_id;
	req->not_before = 0;
	req->queued_at = timing_now_ms();
	rs_queue_push(c, req, false);
	return 0;
}

/*
 * CURLOPT_PREREQFUNCTION of writes: called before each send of the
 * request. The first call is ours; a second is libcurl resending it on a
 * new connection after a reused one died, which for a write must not
 * happen behind our back (see rs_client_start).
 */
static int
rs_xfer_prereq(void *arg, char *primary_ip, char *local_ip, int primary_port,
    int local_port)
{
	struct rs_xfer *x = arg;

	(void)primary_ip;
	(void)local_ip;
	(void)primary_port;
	(void)local_port;
	if (++x->sends > 1)
		return CURL_PREREQFUNC_ABORT;
	return CURL_PREREQFUNC_OK;
}

static size_t
rs_xfer_write(char *p, size_t sz, size_t n, void *arg)
{
	struct rs_xfer *x = arg;

	if (buf_add(&x->resp, p, sz * n) < 0) {
		/* Returning less than given makes libcurl abort the
		 * transfer with CURLE_WRITE_ERROR. */
		x->too_big = true;
		return 0;
	}
	return sz * n;
}

static size_t
rs_xfer_header(char *p, size_t sz, size_t n, void *arg)
{
	static const char name[] = "x-error-message:";
	struct rs_xfer *x = arg;
	size_t len = sz * n, off = sizeof(name) - 1;

	/* A new status line starts a new header block (e.g. after 100). */
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		x->have_xmsg = false;
		x->xmsg[0] = '\0';
	}
	if (len > off && strncasecmp(p, name, off) == 0) {
		while (off < len && (p[off] == ' ' || p[off] == '\t'))
			off++;
		while (len > off && (p[len - 1] == '\r' || p[len - 1] == '\n' ||
		    p[len - 1] == ' '))
			len--;
		rs_error_copy_text(x->xmsg, sizeof(x->xmsg), p + off,
		    len - off);
		x->have_xmsg = true;
	}
	return sz * n;
}

/* A new easy handle with the options every request of `c` shares. */
static CURL *
rs_easy_new(struct rs_client *c)
{
	CURL *e;

	if ((e = curl_easy_init()) == NULL)
		return NULL;
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR,
	    c->plain_http ? "http" : "https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	/* SECURITY: verification stays on, always (docs/style.md §13). */
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)RS_BODY_MAX);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, rs_xfer_write);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, rs_xfer_header);
	curl_easy_setopt(e, CURLOPT_SHARE, c->share);
	return e;
}

static void
rs_xfer_free(struct rs_client *c, struct rs_xfer *x)
{
	if (x == NULL)
		return;
	if (x->easy != NULL && c->nspare < RS_SPARE_EASY) {
		/* Kept with the client-wide options (rs_easy_new); the
		 * per-request ones are all set again by rs_client_start()
		 * before the handle runs. Connections stay in the multi's
		 * pool. */
		c->spare[c->nspare++] = x->easy;
	} else if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	/* The signature header is replayable within the server's clock
	 * window; do not leave it lying in freed memory. */
	if (x->hdrs != NULL) {
		struct curl_slist *h;

		for (h = x->hdrs; h != NULL; h = h->next)
			explicit_bzero(h->data, strlen(h->data));
		curl_slist_free_all(x->hdrs);
	}
	buf_fini(&x->resp);
	free(x);
}

static int
rs_xfer_headers(struct rs_client *c, struct rs_request *req,
    struct curl_slist **out)
{
	char sig[RS_AUTH_HEADER_MAX + 1];
	struct curl_slist *l = NULL, *t;
	const unsigned char *key;
	time_t now = time(NULL);
	size_t keylen;
	int r;

	/* A fresh UTC timestamp per attempt: a retry after a long backoff
	 * must not fall out of the server's clock window. */
	if (now != c->sig_time || c->sig_hdr[0] == '\0') {
		key = secret_bytes(c->secret, &keylen);
		r = rs_auth_header(c->user_key, c->user_agent, now, key,
		    keylen, sig, sizeof(sig));
		if (r < 0)
			return r;
		snprintf(c->sig_hdr, sizeof(c->sig_hdr),
		    "X-Api-Signature: %s", sig);
		explicit_bzero(sig, sizeof(sig));
		c->sig_time = now;
	}
	r = -ENOMEM;
	if ((t = curl_slist_append(l, c->sig_hdr)) == NULL)
		goto fail;
	l = t;
	if ((t = curl_slist_append(l, "Accept: application/json")) == NULL)
		goto fail;
	/* libcurl sends "Expect: 100-continue" for bodies over 1 KiB; the
	 * API (IIS) answers 417 to it (rackspace-api.md §2.6). An empty
	 * header suppresses it. */
	if ((t = curl_slist_append(l, "Expect:")) == NULL)
		goto fail;
	if (req->kind == RS_BODY_JSON)
		t = curl_slist_append(l, "Content-Type: application/json");
	else if (req->method == RS_POST || req->method == RS_PUT)
		t = curl_slist_append(l, "Content-Type: "
		    "application/x-www-form-urlencoded");
	if (t == NULL)
		goto fail;
	*out = l;
	return 0;
fail:
	if (l != NULL) {
		for (t = l; t != NULL; t = t->next)
			explicit_bzero(t->data, strlen(t->data));
		curl_slist_free_all(l);
	}
	return r;
}

/* Starts one attempt of `req`; on failure the caller finishes it. */
static int
rs_client_start(struct rs_client *c, struct rs_request *req, int64_t now,
    struct rs_error *err)
{
	struct rs_xfer *x;
	struct buf url;
	CURL *e;
	int r;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return rs_error_set(err, -ENOMEM, "out of memory");
	buf_init(&x->resp, RS_BODY_MAX);
	x->req = req;
	x->started = now;
	buf_init(&url, strlen(c->base) + RS_PATH_MAX + 1);
	if ((r = buf_addstr(&url, c->base)) < 0 ||
	    (r = buf_addstr(&url, req->path)) < 0) {
		rs_error_set(err, r, "request URL too long");
		goto fail;
	}
	if ((r = rs_xfer_headers(c, req, &x->hdrs)) < 0) {
		rs_error_set(err, r, "cannot sign the request");
		goto fail;
	}
	e = x->easy = c->nspare > 0 ? c->spare[--c->nspare] :
	    rs_easy_new(c);
	if (e == NULL) {
		r = rs_error_set(err, -ENOMEM, "cannot make a libcurl handle");
		goto fail;
	}
	/* Every per-request option, always (a reused handle still holds
	 * the previous request's). */
	curl_easy_setopt(e, CURLOPT_URL, buf_str(&url));
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	/*
	 * On a reused connection that dies before any answer byte, libcurl
	 * silently sends the request again on a new one: for a create whose
	 * first copy was processed that is a duplicate, and a retried DELETE
	 * or Remove then fails ("not found") without our knowing that a
	 * first copy ran. The pre-request callback runs before every send,
	 * so a second call is that resend: it is stopped, and the loss
	 * becomes an error we see and handle (rs_op_create, `uncertain`).
	 * Writes can therefore reuse connections (no TLS handshake each).
	 */
	curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, req->method != RS_GET ?
	    rs_xfer_prereq : NULL);
	curl_easy_setopt(e, CURLOPT_PREREQDATA, req->method != RS_GET ? x :
	    NULL);
	/* From a clean GET: no body or method of a previous request. */
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	switch (req->method) {
	case RS_GET:
		break;
	case RS_POST:
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, buf_str(&req->body));
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body.len);
		break;
	case RS_PUT:
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PUT");
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, buf_str(&req->body));
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body.len);
		break;
	case RS_DELETE:
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
		if (req->body.len > 0) {
			curl_easy_setopt(e, CURLOPT_POSTFIELDS,
			    buf_str(&req->body));
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)req->body.len);
		}
		break;
	}
	if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
		r = rs_error_set(err, -ENOMEM, "cannot start the transfer");
		goto fail;
	}
	buf_fini(&url);
	req->xfer = x;
	x->next = c->active;
	c->active = x;
	req->attempts++;
	c->nactive++;
	c->stats.sent[req->cat]++;
	c->stats.waited_ms += (unsigned long)(now - req->queued_at);
	rs_metrics_attempt(req->cat, now - req->queued_at);
	return 0;
fail:
	buf_fini(&url);
	rs_xfer_free(c, x);
	return r;
}

static void
rs_client_unlink_xfer(struct rs_client *c, struct rs_xfer *x)
{
	struct rs_xfer **pp;

	for (pp = &c->active; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	}
	x->next = NULL;
	curl_multi_remove_handle(c->multi, x->easy);
	c->nactive--;
	x->req->xfer = NULL;
}


static void
rs_client_dispatch(struct rs_client *c, int64_t now)
{
	struct rs_request *prev = NULL, *req, *next;
	struct rs_error err;
	enum rs_category cats[2];
	bool waiting[RS_CAT_COUNT] = { false };
	int i, n, ready;

	for (req = c->qhead; req != NULL && c->nactive < c->max_in_flight;
	    req = next) {
		next = req->next;
		if (req->not_before > now) {
			prev = req;
			continue;
		}
		n = rs_client_cats(req, cats);
		ready = 1;
		for (i = 0; i < n; i++)
			if (waiting[cats[i]])
				ready = 0;
		if (ready && !rs_pacer_take(c->pacer, cats, n, c->prio, now,
		    req->tokens))
			ready = 0;
		if (!ready) {
			/* Later requests of the category wait behind this
			 * one, so the queue stays first come, first served. */
			for (i = 0; i < n; i++)
				waiting[cats[i]] = true;
			prev = req;
			continue;
		}
		rs_queue_unlink(c, prev, req);
		if (rs_client_start(c, req, now, &err) < 0) {
			rs_pacer_refund(c->pacer, cats, n, req->tokens);
			rs_client_finish(c, req, NULL, 0, 0, &err);
			/* The callback may have changed the queue. */
			next = prev != NULL ? prev->next : c->qhead;
		}
	}
}

/* Puts `req` back in the queue for another attempt after `delay` ms. */
static void
rs_client_retry(struct rs_client *c, struct rs_request *req, int64_t now,
    int64_t delay)
{
	req->not_before = now + delay;
	req->queued_at = now;
	/* At the head: a retried request keeps its place in line. */
	rs_queue_push(c, req, true);
}

static void
rs_client_log(const struct rs_request *req, long status, int64_t ms,
    const char *what)
{
	char path[128];

	/* Only the path without the query, shortened: names yes, never a
	 * body, header or signature. */
	rs_error_copy_text(path, sizeof(path), req->path,
	    strcspn(req->path, "?"));
	log_debug("api req=%lu method=%s path=%s status=%ld ms=%lld "
	    "attempt=%u%s%s%s", req->id, rs_method_name(req->method), path,
	    status, (long long)ms,
	    req->attempts, what[0] ? " error=\"" : "", what,
	    what[0] ? "\"" : "");
}

/* What to do with a finished attempt. */
enum rs_next {
	RS_NEXT_OK,		/* success: hand the body over */
	RS_NEXT_FAIL,		/* finish with the error */
	RS_NEXT_RETRY,		/* transport/5xx: again after a backoff */
	RS_NEXT_THROTTLED,	/* again once the category backed off */
	RS_NEXT_UNKNOWN		/* a POST may have happened: EUNKNOWN */
};

/* Classifies a failed transfer (no HTTP answer). */
static enum rs_next
rs_client_transport(struct rs_client *c, struct rs_xfer *x, CURLcode res,
    struct rs_error *err)
{
	struct rs_request *req = x->req;
	const char *msg;
	bool cut;
	int code;

	if (res == CURLE_ABORTED_BY_CALLBACK && x->sends > 1) {
		/* rs_xfer_prereq stopped libcurl's silent resend: the first
		 * copy went out on a connection that then died. */
		rs_error_set(err, -ADSYNC_ETRANSPORT, "the connection closed "
		    "after the request was sent, before any answer");
		req->uncertain = true;
		if (!rs_request_idempotent(req))
			return RS_NEXT_UNKNOWN;
		return req->retries < c->max_retries ? RS_NEXT_RETRY :
		    RS_NEXT_FAIL;
	}

	msg = x->errbuf[0] ? x->errbuf : curl_easy_strerror(res);
	code = x->too_big || res == CURLE_FILESIZE_EXCEEDED ?
	    -ADSYNC_ETOOBIG : http_curl_error(res);
	/* A handshake cut by the peer (a server restarting, a reset) is
	 * the network's failure, not the configuration's. */
	cut = code == -ADSYNC_ETLS && http_curl_reset(res, msg);
	if (cut)
		code = -ADSYNC_ETRANSPORT;
	/* A connect or handshake failure after the request went out: the
	 * connection it went out on died, and libcurl's new one failed. */
	if (req->method != RS_GET && x->sends > 0 &&
	    (http_curl_not_sent(res) || cut))
		rs_error_set(err, code, "the connection died after the "
		    "request was sent, before any answer, and the new one "
		    "failed: %s", msg);
	else
		rs_error_set(err, code, "%s", msg);
	/* A TLS failure is a configuration problem (wrong CA, wrong host
	 * name), and an oversized answer will not shrink: neither is
	 * retried. */
	if (code != -ADSYNC_ETRANSPORT && code != -ADSYNC_ETIMEOUT)
		return RS_NEXT_FAIL;
	/*
	 * Was it sent? A write knows: its pre-request callback runs before
	 * each send (rs_xfer_prereq), so no call means no byte of it left.
	 * The libcurl code alone cannot say: after the first copy went out
	 * on a reused connection that died, libcurl opens a new one for its
	 * silent re-send, and when that connect is refused (the server
	 * restarting) the transfer ends with CURLE_COULDNT_CONNECT, or
	 * with a TLS error when the handshake is cut; taken for "nothing
	 * sent", the create was sent again and made twice (chaos_restart).
	 * A GET has no callback and is idempotent anyway.
	 */
	if (req->method != RS_GET ? x->sends > 0 : !http_curl_not_sent(res)) {
		/* It may have reached the server. */
		req->uncertain = true;
		if (!rs_request_idempotent(req))
			return RS_NEXT_UNKNOWN;
	}
	return req->retries < c->max_retries ? RS_NEXT_RETRY : RS_NEXT_FAIL;
}

/* Classifies an HTTP answer. */
static enum rs_next
rs_client_answer(struct rs_client *c, struct rs_xfer *x, long status,
    struct rs_error *err)
{
	struct rs_request *req = x->req;
	char *ctype;
	json_t *j;
	int code;

	if (status == 200 || status == 201 || status == 202 || status == 204) {
		if (req->method != RS_GET) {
			ctype = NULL;
			if (curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE,
			    &ctype) != CURLE_OK)
				ctype = NULL;
			if (rs_json_write_answer_ok(buf_str(&x->resp),
			    x->resp.len, ctype))
				return RS_NEXT_OK;
			/*
			 * A page where the API answers writes with nothing or
			 * JSON: a proxy's or a captive portal's, which says
			 * nothing about the write. Not trusted as done: a
			 * create is looked up (rs_op_create), an idempotent
			 * write is sent again.
			 */
			rs_error_set(err, -ADSYNC_EPROTO, "the answer to %s "
			    "is not the API's (a %.40s%sbody, not JSON)",
			    rs_method_name(req->method),
			    ctype != NULL ? ctype : "", ctype != NULL ? " " :
			    "");
			err->http_status = status;
			req->uncertain = true;
			if (!rs_request_idempotent(req))
				return RS_NEXT_UNKNOWN;
			return req->retries < c->max_retries ?
			    RS_NEXT_RETRY : RS_NEXT_FAIL;
		}
		/* Index and Show answers are JSON objects; anything else is
		 * not an answer we understand. */
		if ((j = rs_json_parse_object(buf_str(&x->resp),
		    x->resp.len)) == NULL) {
			rs_error_set(err, -ADSYNC_EPROTO, "the answer to GET "
			    "is not a JSON object");
			err->http_status = status;
			return RS_NEXT_FAIL;
		}
		json_decref(j);
		return RS_NEXT_OK;
	}
	code = rs_error_decode(status, x->have_xmsg ? x->xmsg : NULL,
	    buf_str(&x->resp), x->resp.len, err);
	if (code == -ADSYNC_ETHROTTLED)
		return req->throttles + 1 < RS_THROTTLE_MAX ?
		    RS_NEXT_THROTTLED : RS_NEXT_FAIL;
	if (code == -ADSYNC_ESERVER) {
		req->uncertain = true;
		if (!rs_request_idempotent(req))
			return RS_NEXT_UNKNOWN;
		if (req->retries < c->max_retries)
			return RS_NEXT_RETRY;
	}
	return RS_NEXT_FAIL;
}

/* A transfer finished: classify, then retry or finish. */
static void
rs_client_done(struct rs_client *c, struct rs_xfer *x, CURLcode res,
    int64_t now)
{
	struct rs_request *req = x->req;
	struct rs_error err;
	enum rs_category cats[2];
	enum rs_next next;
	char msg[sizeof(err.message) + 64];
	long status = 0, nconn = 0;
	size_t body_len;
	char *body;
	unsigned streak;
	int n;

	n = rs_client_cats(req, cats);
	rs_pacer_release(c->pacer, cats, n, req->tokens, now);
	if (curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &nconn) ==
	    CURLE_OK && nconn > 0)
		c->stats.connects += (unsigned long)nconn;
	rs_client_unlink_xfer(c, x);
	rs_error_clear(&err);

	if (res != CURLE_OK) {
		next = rs_client_transport(c, x, res, &err);
		rs_client_log(req, 0, now - x->started,
		    adsync_strerror(err.code));
	} else {
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		rs_client_log(req, status, now - x->started, "");
		next = rs_client_answer(c, x, status, &err);
	}
	rs_metrics_answer(status);
	/* Throttling is about the category; any other answer in it ends
	 * the category's streak. */
	streak = rs_pacer_answer(c->pacer, cats, n, next == RS_NEXT_THROTTLED ||
	    err.code == -ADSYNC_ETHROTTLED, res == CURLE_OK, now);

	switch (next) {
	case RS_NEXT_OK:
		body_len = x->resp.len;
		body = buf_take(&x->resp);
		rs_xfer_free(c, x);
		rs_client_finish(c, req, body, body_len, status, NULL);
		break;
	case RS_NEXT_THROTTLED:
		/* The call was refused, not processed, so even a POST may be
		 * sent again; but only after the category backed off. */
		c->stats.throttled++;
		rs_metrics_throttled();
		req->throttles++;
		log_info("api req=%lu throttled category=%d streak=%u",
		    req->id, req->cat, streak);
		rs_xfer_free(c, x);
		rs_client_retry(c, req, now, 0);
		break;
	case RS_NEXT_RETRY:
		c->stats.retried++;
		rs_metrics_retried();
		log_info("api req=%lu retry method=%s attempt=%u "
		    "error=\"%s\"", req->id, rs_method_name(req->method),
		    req->attempts,
		    adsync_strerror(err.code));
		rs_xfer_free(c, x);
		rs_client_retry(c, req, now, pace_backoff(RS_RETRY_BASE_MS,
		    RS_RETRY_CAP_MS, req->retries++));
		break;
	case RS_NEXT_UNKNOWN:
		/*
		 * A create whose answer was lost may or may not have
		 * happened: it is not sent again here. The typed layer looks
		 * the object up (rs_op_create) and re-creates only what is
		 * certainly absent.
		 */
		if (snprintf(msg, sizeof(msg), RS_UNKNOWN_PREFIX "%s"
		    RS_UNKNOWN_SEP "%s", rs_method_name(req->method),
		    err.message) < 0)
			msg[0] = '\0';
		rs_error_copy_text(err.message, sizeof(err.message), msg,
		    strlen(msg));
		err.cause = err.code;
		err.code = -ADSYNC_EUNKNOWN;
		rs_xfer_free(c, x);
		rs_client_finish(c, req, NULL, 0, status, &err);
		break;
	case RS_NEXT_FAIL:
		if (err.code == -ADSYNC_ETHROTTLED) {
			c->stats.throttled++;
			rs_metrics_throttled();
		}
		rs_xfer_free(c, x);
		rs_client_finish(c, req, NULL, 0, status, &err);
		break;
	}
}

/* Fails every request (shutdown, or libcurl broke). */
static void
rs_client_abort_all(struct rs_client *c, int code, const char *why)
{
	struct rs_request *req;
	struct rs_error err;
	struct rs_xfer *x;
	enum rs_category cats[2];
	int n;

	while ((x = c->active) != NULL) {
		req = x->req;
		n = rs_client_cats(req, cats);
		/* The attempt may have reached the server: its tokens
		 * return one window from now, as if it had finished. */
		rs_pacer_release(c->pacer, cats, n, req->tokens,
		    timing_now_ms());
		rs_client_unlink_xfer(c, x);
		rs_xfer_free(c, x);
		rs_error_set(&err, code, "%s", why);
		rs_client_finish(c, req, NULL, 0, 0, &err);
	}
	while ((req = c->qhead) != NULL) {
		rs_queue_unlink(c, NULL, req);
		rs_error_set(&err, code, "%s", why);
		rs_client_finish(c, req, NULL, 0, 0, &err);
	}
}

void
rs_client_cancel_queued(struct rs_client *c)
{
	struct rs_request *req;
	struct rs_error err;

	while ((req = c->qhead) != NULL) {
		rs_queue_unlink(c, NULL, req);
		rs_error_set(&err, -ADSYNC_ECANCELED, "not sent: adsync is "
		    "stopping");
		rs_client_finish(c, req, NULL, 0, 0, &err);
	}
}

static int
rs_client_step(struct rs_client *c)
{
	struct rs_xfer *x;
	CURLMsg *m;
	CURLMcode mc;
	int running, left;

	rs_client_dispatch(c, timing_now_ms());
	if ((mc = curl_multi_perform(c->multi, &running)) != CURLM_OK)
		goto fail;
	while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		x = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
		    (char **)&x);
		if (x != NULL)
			rs_client_done(c, x, m->data.result, timing_now_ms());
	}
	rs_client_dispatch(c, timing_now_ms());
	return 0;
fail:
	log_warnx("libcurl multi failed: %s", curl_multi_strerror(mc));
	rs_client_abort_all(c, -ADSYNC_ETRANSPORT, curl_multi_strerror(mc));
	return -ADSYNC_ETRANSPORT;
}

/* How long nothing can happen in the queue (ms); RS_IDLE_MAX_MS at most. */
static int64_t
rs_client_idle(struct rs_client *c, int64_t now)
{
	struct rs_request *req;
	enum rs_category cats[2];
	int64_t best = RS_IDLE_MAX_MS, t, r;
	int n;

	if (c->nactive >= c->max_in_flight)
		return best;	/* a finishing transfer wakes the poll */
	for (req = c->qhead; req != NULL; req = req->next) {
		t = req->not_before;
		n = rs_client_cats(req, cats);
		r = rs_pacer_ready_at(c->pacer, cats, n, c->prio, now);
		if (r > t)
			t = r;
		if (t - now < best)
			best = t - now;
	}
	return best < 0 ? 0 : best;
}

int
rs_client_run(struct rs_client *c, int timeout_ms)
{
	int64_t wait;
	CURLMcode mc;
	int r;

	if ((r = rs_client_step(c)) < 0)
		return r;
	if (timeout_ms <= 0 || rs_client_pending(c) == 0)
		return (int)rs_client_pending(c);
	wait = rs_client_idle(c, timing_now_ms());
	if (wait > timeout_ms)
		wait = timeout_ms;
	if (wait > 0) {
		/* libcurl shortens the wait to its own next timeout. */
		mc = curl_multi_poll(c->multi, NULL, 0, (int)wait, NULL);
		if (mc != CURLM_OK) {
			log_warnx("libcurl poll failed: %s",
			    curl_multi_strerror(mc));
			rs_client_abort_all(c, -ADSYNC_ETRANSPORT,
			    curl_multi_strerror(mc));
			return -ADSYNC_ETRANSPORT;
		}
	}
	if ((r = rs_client_step(c)) < 0)
		return r;
	return (int)rs_client_pending(c);
}

struct rs_sync {
	bool done;
	int rc;
	struct rs_response resp;
	struct rs_error err;
};

static void
rs_client_sync_done(void *arg, struct rs_response *resp,
    const struct rs_error *err)
{
	struct rs_sync *s = arg;

	s->done = true;
	s->resp = *resp;
	resp->body = NULL;	/* taken */
	if (err != NULL) {
		s->err = *err;
		s->rc = err->code < 0 ? err->code : -ADSYNC_EPROTO;
	}
}

int
rs_client_call(struct rs_client *c, struct rs_request *req,
    struct rs_response *resp, struct rs_error *err)
{
	struct rs_sync s;
	int r;

	memset(&s, 0, sizeof(s));
	if ((r = rs_client_submit(c, req, rs_client_sync_done, &s)) < 0)
		return rs_error_set(err, r, "cannot submit the request");
	while (!s.done) {
		/* A failing run fails every request, ours included, so the
		 * loop ends either way. */
		(void)rs_client_run(c, RS_IDLE_MAX_MS);
	}
	if (s.rc < 0) {
		/* Nothing to release on failure: callers may return at once. */
		rs_response_fini(&s.resp);
		if (err != NULL)
			*err = s.err;
	} else if (err != NULL) {
		rs_error_clear(err);
	}
	if (resp != NULL)
		*resp = s.resp;
	else
		rs_response_fini(&s.resp);
	return s.rc;
}

void
rs_client_free(struct rs_client *c)
{


	if (c == NULL)
		return;
	c->closing = true;
	if (c->multi != NULL)
		rs_client_abort_all(c, -ADSYNC_ECANCELED, "client closed");
	if (c->multi != NULL)
		curl_multi_cleanup(c->multi);
	while (c->nspare > 0)
		curl_easy_cleanup(c->spare[--c->nspare]);
	explicit_bzero(c->sig_hdr, sizeof(c->sig_hdr));
	if (c->share != NULL)
		curl_share_cleanup(c->share);
	rs_pacer_unref(c->pacer);
	secret_free(c->secret);
	free(c->base);
	free(c->customer);
	free(c->user_key);
	free(c->user_agent);
	free(c->ca_file);
	free(c);
}
