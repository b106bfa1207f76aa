/*
 * The password hook receiver (docs/pwsync.md): HTTPS on hook_listen with
 * mutual TLS, POST /v1/password and POST /v1/heartbeat, nothing else.
 *
 * libmicrohttpd (GnuTLS) runs one internal epoll thread: a slow or hostile
 * peer costs a connection slot (at most PW_RX_CONNS, each with a timeout),
 * never the thread. That thread owns a pw.db connection and runs every
 * handler: captures are few (one per password change), and queueing one is
 * a single durable commit.
 *
 * Order of checks for each request, before a byte of the body is taken:
 * method and path, then the client certificate (chained to adsync's CA,
 * in date, and its fingerprint that of an enrolled, unrevoked DC), then
 * Content-Type (application/json, else 415) and Content-Length against
 * PW_BODY_MAX. Only then the body is read, into a
 * buffer capped at PW_BODY_MAX, and decoded by pw_capture_decode (strict,
 * fuzzed). The answer is sent once the capture is committed to pw.db; the
 * password is wiped from every buffer it passed through.
 *
 * Logs name the DC, the account and the capture id; never a body.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <sodium.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "net.h"
#include "pwsync.h"
#include "secret.h"
#include "strparse.h"
#include "timing.h"
#include "xmalloc.h"

#define PW_RX_CONNS 64
#define PW_RX_TIMEOUT_S 15
/* TLS 1.2 and 1.3 only (the floor), GnuTLS's secure defaults
 * otherwise. */
#define PW_RX_PRIORITIES "SECURE256:SECURE128:-VERS-ALL:+VERS-TLS1.3:" \
	"+VERS-TLS1.2:%SERVER_PRECEDENCE"

struct pw_receiver {
	struct MHD_Daemon *d;
	int fd;
	char addr[80];
	char *state_dir;		/* owned */
	struct pw_db *db;		/* owned; the MHD thread's */
	struct pw_sealer *sealer;	/* borrowed */
	pw_rx_notify_fn *notify;	/* a capture was queued */
	void *arg;
	char *cert_pem, *key_pem, *ca_pem;	/* owned; key wiped */
	size_t key_len;
};

/* One request in flight. */
struct pw_rx_req {
	bool heartbeat;
	char dc[PW_DC_MAX + 1];
	struct buf body;		/* wiped by buf_fini */
	bool too_big;
};

static void
pw_rx_mhdlog(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	/* A DC with a wrong certificate shows up here as a failed handshake. */
	log_vdebug_lib("hook receiver: ", fmt, ap);
}

static enum MHD_Result
pw_rx_answer(struct MHD_Connection *conn, unsigned status, bool close_conn,
    const char *fmt, ...) ATTR_PRINTF(4, 5);

static enum MHD_Result
pw_rx_answer(struct MHD_Connection *conn, unsigned status, bool close_conn,
    const char *fmt, ...)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char body[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	resp = MHD_create_response_from_buffer(strlen(body), body,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(resp, "Content-Type",
	    "application/json");
	(void)MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (close_conn)
		(void)MHD_add_response_header(resp, "Connection", "close");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* A JSON string's content for an error message we wrote ourselves: only
 * our own sentences go there, but never trust that they have no quote. */
static void
pw_rx_json_text(char *dst, size_t dstlen, const char *src)
{
	size_t i = 0;

	for (; *src != '\0' && i + 1 < dstlen; src++)
		dst[i++] = (*src == '"' || *src == '\\' ||
		    (unsigned char)*src < 0x20) ? '\'' : *src;
	dst[i] = '\0';
}

/*
 * The DC a certificate was issued to: its CN (adsync hook enroll writes
 * the DC's name there). Only called on a certificate GnuTLS verified
 * against adsync's own CA, so the name is one adsync wrote; checked with
 * pw_dc_name_ok() all the same, since it goes into a log and an answer.
 * 0 and `dc`, or -1.
 */
static int
pw_rx_cert_cn(const gnutls_datum_t *der, char dc[PW_DC_MAX + 1])
{
	gnutls_x509_crt_t crt;
	size_t len = PW_DC_MAX + 1;
	int r = -1;

	if (gnutls_x509_crt_init(&crt) != GNUTLS_E_SUCCESS)
		return -1;
	if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) ==
	    GNUTLS_E_SUCCESS && gnutls_x509_crt_get_dn_by_oid(crt,
	    GNUTLS_OID_X520_COMMON_NAME, 0, 0, dc, &len) == GNUTLS_E_SUCCESS &&
	    pw_dc_name_ok(dc))
		r = 0;
	gnutls_x509_crt_deinit(crt);
	return r;
}

/*
 * A certificate of adsync's CA, in date, whose fingerprint is no enrolled
 * DC's: what `adsync hook enroll` replaced (enrolling a DC again issues a
 * new certificate and forgets the old one) or a DC no longer in pw.db.
 * Says which DC and what to install. 0 (refuse) or -1 (pw.db unreadable).
 */
static int
pw_rx_unknown(struct pw_receiver *rx, const gnutls_datum_t *der,
    const char *fp, char *why, size_t whylen)
{
	char dc[PW_DC_MAX + 1];
	struct pw_dc d;
	int r;

	if (pw_rx_cert_cn(der, dc) < 0) {
		snprintf(why, whylen, "certificate %.16s... is not enrolled "
		    "and names no DC; enrol the DC with `adsync hook enroll "
		    "DCNAME` and install the hook file it writes", fp);
		return 0;
	}
	if ((r = pw_db_dc_by_name(rx->db, dc, &d)) < 0) {
		snprintf(why, whylen, "cannot read pw.db: %s",
		    pw_db_errmsg(rx->db));
		return -1;
	}
	if (r == 0)
		snprintf(why, whylen, "the certificate of %s (%.16s...) is not "
		    "enrolled: no DC of that name is; enrol it with `adsync "
		    "hook enroll %s` and install the hook file it writes on %s",
		    dc, fp, dc, dc);
	else
		snprintf(why, whylen, "the certificate of %s (%.16s...) is not "
		    "enrolled: a newer enrolment of %s replaced it; install on "
		    "%s the hook file of the last `adsync hook enroll %s`%s",
		    dc, fp, dc, dc, dc, d.revoked != 0 ? " (that one was "
		    "revoked since: enrol the DC again)" : "");
	return 0;
}

/*
 * The peer's certificate: verified against adsync's CA (GnuTLS checks the
 * chain, the dates and the signature), then its fingerprint looked up
 * among the enrolled DCs. 1 and `dc` when accepted; 0 with `why` when
 * refused.
 */
static int
pw_rx_peer(struct pw_receiver *rx, struct MHD_Connection *conn,
    char dc[PW_DC_MAX + 1], char *why, size_t whylen)
{
	const union MHD_ConnectionInfo *ci;
	const gnutls_datum_t *certs;
	unsigned int n = 0, status = 0;
	char fp[PW_FP_HEX + 1];
	struct pw_dc d;
	int r;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL) {
		snprintf(why, whylen, "no TLS session");
		return 0;
	}
	certs = gnutls_certificate_get_peers(
	    (gnutls_session_t)ci->tls_session, &n);
	if (certs == NULL || n == 0) {
		snprintf(why, whylen, "no client certificate; enrol the DC "
		    "with adsync hook enroll and install its hook file");
		return 0;
	}
	if (gnutls_certificate_verify_peers2((gnutls_session_t)ci->tls_session,
	    &status) != GNUTLS_E_SUCCESS || status != 0) {
		snprintf(why, whylen, "client certificate not issued by this "
		    "adsync's CA, or expired (GnuTLS status 0x%x); enrol the "
		    "DC again", status);
		return 0;
	}
	pw_pki_fingerprint(certs[0].data, certs[0].size, fp);
	if ((r = pw_db_dc_by_fp(rx->db, fp, &d)) < 0) {
		snprintf(why, whylen, "cannot read pw.db: %s",
		    pw_db_errmsg(rx->db));
		return -1;
	}
	if (r == 0)
		return pw_rx_unknown(rx, &certs[0], fp, why, whylen);
	if (d.revoked != 0) {
		snprintf(why, whylen, "the certificate of %s was revoked; "
		    "enrol the DC again to let it send", d.name);
		return 0;
	}
	snprintf(dc, PW_DC_MAX + 1, "%s", d.name);
	return 1;
}

static enum MHD_Result
pw_rx_capture(struct pw_receiver *rx, struct MHD_Connection *conn,
    struct pw_rx_req *q)
{
	struct pw_capture c;
	char why[512], msg[512];
	int r;

	memset(&c, 0, sizeof(c));
	r = pw_capture_decode(buf_str(&q->body), q->body.len, &c, why,
	    sizeof(why));
	buf_fini(&q->body);
	if (r < 0) {
		pw_capture_fini(&c);
		log_warnx("hook receiver: refused a capture from %s: %s",
		    q->dc, why);
		pw_rx_json_text(msg, sizeof(msg), why);
		return pw_rx_answer(conn, MHD_HTTP_BAD_REQUEST, false,
		    "{\"error\":\"%s\"}", msg);
	}
	r = pw_db_queue_put(rx->db, rx->sealer, q->dc, &c, timing_wall_ms());
	if (r < 0) {
		log_warnx("hook receiver: cannot queue the capture %s from %s "
		    "for %s: %s", c.id, q->dc, c.account[0] ? c.account :
		    c.upn, pw_db_errmsg(rx->db));
		pw_capture_fini(&c);
		return pw_rx_answer(conn, MHD_HTTP_SERVICE_UNAVAILABLE, false,
		    "{\"error\":\"cannot queue the change now; the hook keeps "
		    "it and sends it again\"}");
	}
	log_info("hook receiver: %s capture %s from %s for %s (%s)",
	    r == 1 ? "queued" : "already had", c.id, q->dc,
	    c.account[0] ? c.account : c.upn, pw_source_name(c.source));
	if (r == 1 && rx->notify != NULL)
		rx->notify(rx->arg);
	snprintf(msg, sizeof(msg), "%s", c.id);
	pw_capture_fini(&c);
	if (r == 0)
		return pw_rx_answer(conn, MHD_HTTP_OK, false,
		    "{\"id\":\"%s\",\"duplicate\":true}", msg);
	return pw_rx_answer(conn, MHD_HTTP_ACCEPTED, false, "{\"id\":\"%s\"}",
	    msg);
}

static enum MHD_Result
pw_rx_heartbeat(struct pw_receiver *rx, struct MHD_Connection *conn,
    struct pw_rx_req *q)
{
	struct pw_heartbeat h;
	char why[512], msg[512];

	memset(&h, 0, sizeof(h));
	if (pw_heartbeat_decode(buf_str(&q->body), q->body.len, &h, why,
	    sizeof(why)) < 0) {
		log_warnx("hook receiver: bad heartbeat from %s: %s", q->dc,
		    why);
		pw_rx_json_text(msg, sizeof(msg), why);
		return pw_rx_answer(conn, MHD_HTTP_BAD_REQUEST, false,
		    "{\"error\":\"%s\"}", msg);
	}
	if (pw_db_dc_heartbeat(rx->db, q->dc, &h, (int64_t)time(NULL)) < 0)
		log_warnx("hook receiver: cannot record the heartbeat of %s: "
		    "%s", q->dc, pw_db_errmsg(rx->db));
	log_debug("hook receiver: heartbeat from %s (version %s, %llu "
	    "spooled)", q->dc, h.version, (unsigned long long)h.spooled);
	return pw_rx_answer(conn, MHD_HTTP_OK, false, "{\"ok\":true}");
}

/* The first call of a request: everything that can be refused before the
 * body is read. */
static enum MHD_Result
pw_rx_begin(struct pw_receiver *rx, struct MHD_Connection *conn,
    const char *url, const char *method, void **con_cls)
{
	struct pw_rx_req *q;
	const char *cl, *ct, *errstr;
	long long clen;
	char why[512], dc[PW_DC_MAX + 1], msg[512];
	bool hb;
	int r;

	hb = strcmp(url, "/v1/heartbeat") == 0;
	if (!hb && strcmp(url, "/v1/password") != 0)
		return pw_rx_answer(conn, MHD_HTTP_NOT_FOUND, true,
		    "{\"error\":\"no such resource\"}");
	if (strcmp(method, "POST") != 0)
		return pw_rx_answer(conn, MHD_HTTP_METHOD_NOT_ALLOWED, true,
		    "{\"error\":\"only POST\"}");
	if ((r = pw_rx_peer(rx, conn, dc, why, sizeof(why))) <= 0) {
		log_warnx("hook receiver: refused a connection: %s", why);
		pw_rx_json_text(msg, sizeof(msg), why);
		return pw_rx_answer(conn, r < 0 ?
		    MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_FORBIDDEN, true,
		    "{\"error\":\"%s\"}", msg);
	}
	/* After the certificate, so that a stranger learns nothing. */
	ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!pw_content_type_ok(ct)) {
		log_warnx("hook receiver: refused a request from %s: "
		    "Content-Type is not %s", dc, PW_CONTENT_TYPE);
		return pw_rx_answer(conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
		    true, "{\"error\":\"the body must be sent as Content-Type: "
		    "%s\"}", PW_CONTENT_TYPE);
	}
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL && strparse_num(cl, 0, PW_BODY_MAX, &clen,
	    &errstr) < 0)
		return pw_rx_answer(conn, MHD_HTTP_CONTENT_TOO_LARGE, true,
		    "{\"error\":\"body larger than %d bytes\"}", PW_BODY_MAX);
	q = xcalloc(1, sizeof(*q));
	q->heartbeat = hb;
	snprintf(q->dc, sizeof(q->dc), "%s", dc);
	buf_init(&q->body, PW_BODY_MAX);
	*con_cls = q;
	return MHD_YES;
}

static enum MHD_Result
pw_rx_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct pw_receiver *rx = cls;
	struct pw_rx_req *q = *con_cls;

	(void)version;
	if (q == NULL)
		return pw_rx_begin(rx, conn, url, method, con_cls);
	if (*upload_data_size > 0) {
		if (!q->too_big && buf_add(&q->body, upload_data,
		    *upload_data_size) < 0)
			q->too_big = true;	/* the buffer freed itself */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (q->too_big)
		return pw_rx_answer(conn, MHD_HTTP_CONTENT_TOO_LARGE, true,
		    "{\"error\":\"body larger than %d bytes\"}", PW_BODY_MAX);
	return q->heartbeat ? pw_rx_heartbeat(rx, conn, q) :
	    pw_rx_capture(rx, conn, q);
}

static void
pw_rx_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct pw_rx_req *q = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (q == NULL)
		return;
	buf_fini(&q->body);
	free(q);
	*con_cls = NULL;
}

/* A PEM file of the pki directory (secret_load_pem: the key through the
 * secret loader, the public certificates as plain files). */
static char *
pw_rx_read_pem(const char *state_dir, const char *name, bool secret,
    char *why, size_t whylen)
{
	char path[4096];
	size_t len;

	snprintf(path, sizeof(path), "%s/pki/%s", state_dir, name);
	return secret_load_pem(path, secret ? name : NULL, secret, &len, why,
	    whylen);
}

int
pw_receiver_start(const char *listen_spec, const char *state_dir,
    struct pw_sealer *sealer, pw_rx_notify_fn *notify, void *arg,
    struct pw_receiver **out, char *why, size_t whylen)
{
	struct pw_receiver *rx;
	struct MHD_OptionItem opts[16];
	size_t n = 0;
	int r;

	*out = NULL;
	rx = xcalloc(1, sizeof(*rx));
	rx->fd = -1;
	rx->state_dir = xstrdup(state_dir);
	rx->sealer = sealer;
	rx->notify = notify;
	rx->arg = arg;
	if ((rx->cert_pem = pw_rx_read_pem(state_dir, "server.pem", false,
	    why, whylen)) == NULL || (rx->key_pem = pw_rx_read_pem(state_dir,
	    "server.key", true, why, whylen)) == NULL ||
	    (rx->ca_pem = pw_rx_read_pem(state_dir, "ca.pem", false, why,
	    whylen)) == NULL) {
		r = -ADSYNC_ECONFIG;
		goto fail;
	}
	rx->key_len = strlen(rx->key_pem);
	if ((r = pw_db_open(state_dir, false, &rx->db, why, whylen)) < 0)
		goto fail;
	if ((rx->fd = net_listen(listen_spec, "hook_listen", rx->addr,
	    sizeof(rx->addr), why, whylen)) < 0) {
		r = rx->fd;
		goto fail;
	}
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER,
	    (intptr_t)pw_rx_mhdlog, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET,
	    rx->fd, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
	    PW_RX_CONNS, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    8, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
	    PW_RX_TIMEOUT_S, NULL };
	opts[n++] = (struct MHD_OptionItem){
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, 32 * 1024, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
	    (intptr_t)pw_rx_completed, rx };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0,
	    rx->cert_pem };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0,
	    rx->key_pem };
	/* With a trust list GnuTLS asks every peer for its certificate;
	 * pw_rx_peer() refuses a request without a valid one. */
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0,
	    rx->ca_pem };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
	    (void *)(uintptr_t)PW_RX_PRIORITIES };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	rx->d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD |
	    MHD_USE_TLS | MHD_USE_ERROR_LOG, 0, NULL, NULL, pw_rx_access, rx,
	    MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (rx->d == NULL) {
		snprintf(why, whylen, "cannot start the hook receiver on %s "
		    "(are %s/pki/server.pem and server.key a valid pair?)",
		    rx->addr, state_dir);
		r = -ADSYNC_ECONFIG;
		goto fail;
	}
	rx->fd = -1;	/* MHD's now */
	log_info("hook receiver: listening on %s (mutual TLS)", rx->addr);
	*out = rx;
	return 0;
fail:
	pw_receiver_stop(rx);
	return r;
}

const char *
pw_receiver_addr(const struct pw_receiver *rx)
{
	return rx->addr;
}

void
pw_receiver_stop(struct pw_receiver *rx)
{
	if (rx == NULL)
		return;
	if (rx->d != NULL)
		MHD_stop_daemon(rx->d);
	if (rx->fd >= 0)
		close(rx->fd);
	pw_db_close(rx->db);
	if (rx->key_pem != NULL)
		sodium_memzero(rx->key_pem, rx->key_len);
	free(rx->key_pem);
	free(rx->cert_pem);
	free(rx->ca_pem);
	free(rx->state_dir);
	free(rx);
}
