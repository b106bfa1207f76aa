/*
 * The hook's HTTPS client (docs/pwsync.md "The wire protocol"): libcurl,
 * TLS 1.2 or later, the receiver verified against the hook file's CA only
 * and its host name, always; our client certificate and key presented from
 * memory. Single thread; one easy handle per client (connections reused by
 * the sender). Answers are untrusted: only the status and a bounded,
 * sanitized `error` text are used.
 * SECURITY: the body (with the password) is passed to curl without a copy
 * (CURLOPT_POSTFIELDS) from a buf that is wiped after the request; it is
 * never logged, nor is curl's verbose output enabled.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "buf.h"
#include "pwhook.h"

#define PWHOOK_ANSWER_MAX 4096

struct pwhook_client {
	CURL *h;
	const struct pw_hookfile *hf;	/* borrowed */
	char *ca_pem;			/* owned */
	struct curl_slist *hdrs;	/* owned */
	char url_pw[PW_RECEIVER_MAX + 32];
	char url_hb[PW_RECEIVER_MAX + 32];
	char errbuf[CURL_ERROR_SIZE];
	struct buf answer;
};

static size_t
pwhook_answer_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct pwhook_client *c = arg;
	size_t n = size * nmemb;

	/* Keep the start of an answer for its message; drop the rest. A
	 * failed append frees the buffer, which is only a lost message. */
	if (c->answer.len + n <= c->answer.max)
		(void)!buf_add(&c->answer, p, n);
	return n;
}

/* curl takes PEM for CURLOPT_CAINFO_BLOB with OpenSSL; the hook file has
 * DER. */
static char *
pwhook_der_to_pem(const unsigned char *der, size_t len)
{
	size_t b64len = sodium_base64_ENCODED_LEN(len,
	    sodium_base64_VARIANT_ORIGINAL);
	char *b64, *pem;
	struct buf b;
	size_t i, n;

	if ((b64 = malloc(b64len)) == NULL)
		return NULL;
	sodium_bin2base64(b64, b64len, der, len,
	    sodium_base64_VARIANT_ORIGINAL);
	n = strlen(b64);
	buf_init(&b, n + n / 64 + 128);
	if (buf_addstr(&b, "-----BEGIN CERTIFICATE-----\n") < 0)
		goto fail;
	for (i = 0; i < n; i += 64)
		if (buf_add(&b, b64 + i, n - i < 64 ? n - i : 64) < 0 ||
		    buf_addc(&b, '\n') < 0)
			goto fail;
	if (buf_addstr(&b, "-----END CERTIFICATE-----\n") < 0)
		goto fail;
	free(b64);
	pem = buf_take(&b);
	return pem;
fail:
	free(b64);
	buf_fini(&b);
	return NULL;
}

struct pwhook_client *
pwhook_client_new(const struct pw_hookfile *hf, long timeout_ms, char *why,
    size_t whylen)
{
	struct pwhook_client *c;
	struct curl_blob ca, cert, key;
	const unsigned char *kb;
	size_t kl;
	CURLcode cr = CURLE_OK;
	struct curl_slist *h;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->hf = hf;
	buf_init(&c->answer, PWHOOK_ANSWER_MAX);
	snprintf(c->url_pw, sizeof(c->url_pw), "%s/v1/password", hf->receiver);
	snprintf(c->url_hb, sizeof(c->url_hb), "%s/v1/heartbeat",
	    hf->receiver);
	if ((c->ca_pem = pwhook_der_to_pem(hf->ca_der, hf->ca_len)) == NULL ||
	    (c->h = curl_easy_init()) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	if ((h = curl_slist_append(NULL, "Content-Type: application/json")) ==
	    NULL) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	c->hdrs = h;
	/* An empty Expect: stops curl from waiting for 100-continue. */
	if ((h = curl_slist_append(c->hdrs, "Expect:")) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	c->hdrs = h;

	ca.data = c->ca_pem;
	ca.len = strlen(c->ca_pem);
	ca.flags = CURL_BLOB_NOCOPY;
	cert.data = hf->cert_der;
	cert.len = hf->cert_len;
	cert.flags = CURL_BLOB_NOCOPY;
	kb = secret_bytes(hf->key_der, &kl);
	/* NOCOPY: the key stays in the secret's locked pages instead of a
	 * heap copy curl would free without wiping. The secret outlives the
	 * handle (pw_hookfile outlives the client). */
	key.data = (void *)(uintptr_t)kb;
	key.len = kl;
	key.flags = CURL_BLOB_NOCOPY;

#define SET(opt, val) if (cr == CURLE_OK) cr = curl_easy_setopt(c->h, opt, val)
	SET(CURLOPT_ERRORBUFFER, c->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	/* The receiver is on the DC's network; an http(s)_proxy inherited
	 * from whoever changed the password must not reroute the body. */
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	/* SECURITY: trust adsync's CA and nothing else. Debian's libcurl
	 * also loads /etc/ssl/certs through its default CA path unless it is
	 * cleared. Peer and host verification stay on, always. */
	SET(CURLOPT_CAINFO_BLOB, &ca);
	SET(CURLOPT_CAINFO, NULL);
	SET(CURLOPT_CAPATH, NULL);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLCERTTYPE, "DER");
	SET(CURLOPT_SSLCERT_BLOB, &cert);
	SET(CURLOPT_SSLKEYTYPE, "DER");
	SET(CURLOPT_SSLKEY_BLOB, &key);
	SET(CURLOPT_HTTPHEADER, c->hdrs);
	SET(CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, timeout_ms);
	SET(CURLOPT_WRITEFUNCTION, pwhook_answer_cb);
	SET(CURLOPT_WRITEDATA, c);
	SET(CURLOPT_USERAGENT, "adsync-pwhook/" ADSYNC_VERSION);
#undef SET
	if (cr != CURLE_OK) {
		snprintf(why, whylen, "libcurl: %s", curl_easy_strerror(cr));
		goto fail;
	}
	return c;
fail:
	pwhook_client_free(c);
	return NULL;
}

void
pwhook_client_free(struct pwhook_client *c)
{
	if (c == NULL)
		return;
	if (c->h != NULL)
		curl_easy_cleanup(c->h);
	curl_slist_free_all(c->hdrs);
	free(c->ca_pem);
	buf_fini(&c->answer);
	free(c);
}

/* POSTs `body`; 0 and *status, or -1 with the transport error logged. */
static int
pwhook_post(struct pwhook_client *c, const char *url, const struct buf *body,
    long *status, const char *what)
{
	CURLcode cr;

	buf_fini(&c->answer);
	buf_init(&c->answer, PWHOOK_ANSWER_MAX);
	c->errbuf[0] = '\0';
	if (curl_easy_setopt(c->h, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body->data) !=
	    CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE, (long)body->len) !=
	    CURLE_OK)
		return -1;
	cr = curl_easy_perform(c->h);
	/* curl keeps the pointer; the buffer is about to be wiped. */
	(void)curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, "");
	if (cr != CURLE_OK) {
		pwhook_warnx("%s: %s: %s%s%s", what, c->hf->receiver,
		    curl_easy_strerror(cr), c->errbuf[0] ? ": " : "",
		    c->errbuf);
		return -1;
	}
	if (curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, status) !=
	    CURLE_OK)
		return -1;
	return 0;
}

/* The receiver's `error` text, printable ASCII only, for a log line. */
static const char *
pwhook_answer_error(struct pwhook_client *c, char *out, size_t outlen)
{
	json_t *root, *e;

	snprintf(out, outlen, "(no message)");
	root = json_loadb(buf_str(&c->answer), c->answer.len, 0, NULL);
	if (root != NULL && (e = json_object_get(root, "error")) != NULL &&
	    json_is_string(e))
		pwhook_log_safe(json_string_value(e), out, outlen);
	json_decref(root);
	return out;
}

enum pwhook_result
pwhook_send_capture(struct pwhook_client *cl, const struct pw_capture *c)
{
	enum pwhook_result res = PWHOOK_KEEP;
	char who[PW_ACCOUNT_MAX + 1], msg[200];
	struct buf body;
	long status = 0;
	int r;

	pwhook_log_safe(c->account[0] ? c->account : c->upn, who, sizeof(who));
	buf_init(&body, PW_BODY_MAX);
	if ((r = pw_capture_encode(c, &body)) < 0) {
		pwhook_warnx("capture %s account=%s cannot be encoded (%s): "
		    "dropped", c->id, who, r == -EINVAL ? "invalid field, e.g. "
		    "a password that is not UTF-8" : "too large");
		res = PWHOOK_DROP;
		goto out;
	}
	if (pwhook_post(cl, cl->url_pw, &body, &status, "send") < 0)
		goto out;
	switch (status) {
	case 200:
	case 202:
		pwhook_info("delivered capture %s account=%s source=%s%s",
		    c->id, who, pw_source_name(c->source),
		    status == 200 ? " (duplicate)" : "");
		res = PWHOOK_SENT;
		break;
	case 400:
		pwhook_warnx("receiver refused capture %s account=%s: %s: "
		    "dropped", c->id, who,
		    pwhook_answer_error(cl, msg, sizeof(msg)));
		res = PWHOOK_DROP;
		break;
	case 413:
		pwhook_warnx("receiver refused capture %s account=%s as too "
		    "large: dropped", c->id, who);
		res = PWHOOK_DROP;
		break;
	case 403:
		pwhook_warnx("receiver refused this DC's certificate (dc=%s): "
		    "revoked: re-enrol this DC; capture %s kept", cl->hf->dc,
		    c->id);
		break;
	case 503:
		pwhook_info("receiver busy (503): capture %s account=%s kept",
		    c->id, who);
		break;
	default:
		pwhook_warnx("receiver answered %ld: capture %s account=%s "
		    "kept", status, c->id, who);
		break;
	}
out:
	buf_fini(&body);
	return res;
}

int
pwhook_send_heartbeat(struct pwhook_client *cl, const struct pw_heartbeat *h)
{
	struct buf body;
	long status = 0;
	int r;

	buf_init(&body, PW_BODY_MAX);
	if ((r = pw_heartbeat_encode(h, &body)) < 0)
		goto out;
	r = -1;
	if (pwhook_post(cl, cl->url_hb, &body, &status, "heartbeat") < 0)
		goto out;
	if (status == 200) {
		pwhook_debug("heartbeat sent (spooled=%llu)",
		    (unsigned long long)h->spooled);
		r = 0;
	} else if (status == 403)
		pwhook_warnx("heartbeat refused (403): revoked: re-enrol this "
		    "DC (dc=%s)", cl->hf->dc);
	else
		pwhook_warnx("heartbeat answered %ld", status);
out:
	buf_fini(&body);
	return r;
}
