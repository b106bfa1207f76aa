/*
 * HTTP helpers of the API client: percent-encoding of path segments and
 * form fields, the api_url check (TLS everywhere but loopback), and the
 * mapping of libcurl results to adsync error codes. Pure (the URL check
 * uses libcurl's URL parser, which touches no network). Any thread.
 * Inputs are untrusted names and values; outputs are bounded by the
 * caller's struct buf.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "err.h"
#include "target_internal.h"

static bool
http_unreserved(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
	    ch == '~';
}

int
http_escape(struct buf *b, const char *s, size_t len, bool path)
{
	static const char hex[] = "0123456789ABCDEF";
	char enc[3];
	size_t i, run;
	int r;

	for (i = 0; i < len; i += run) {
		unsigned char ch = (unsigned char)s[i];

		/* Copy runs of safe characters at once. '@' is legal in a
		 * path segment (RFC 3986 pchar) and keeps addresses in
		 * recorded paths readable; in forms it is encoded. */
		for (run = 0; i + run < len; run++) {
			ch = (unsigned char)s[i + run];
			if (!http_unreserved(ch) && !(path && ch == '@'))
				break;
		}
		if (run > 0) {
			if ((r = buf_add(b, s + i, run)) < 0)
				return r;
			continue;
		}
		enc[0] = '%';
		enc[1] = hex[ch >> 4];
		enc[2] = hex[ch & 15];
		if ((r = buf_add(b, enc, 3)) < 0)
			return r;
		run = 1;
	}
	return 0;
}

bool
http_field_name_ok(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > RS_FIELD_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
		    ch == '-'))
			return false;
	}
	return true;
}

int
http_form_add(struct buf *b, const char *name, const char *value,
    size_t vlen)
{
	int r;

	if (!http_field_name_ok(name))
		return -ADSYNC_EPARSE;
	if (b->len > 0 && (r = buf_addc(b, '&')) < 0)
		return r;
	if ((r = buf_addstr(b, name)) < 0 || (r = buf_addc(b, '=')) < 0)
		return r;
	return http_escape(b, value, vlen, false);
}

static bool
http_host_loopback(const char *host)
{
	struct in_addr a4;
	size_t len = strlen(host);

	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	/* libcurl gives IPv6 hosts in brackets. */
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
		return len == 5 && memcmp(host, "[::1]", 5) == 0;
	return false;
}

int
http_url_check(const char *url, char *why, size_t whylen)
{
	char *scheme = NULL, *host = NULL, *user = NULL, *query = NULL;
	char *frag = NULL;
	CURLU *u;
	int r = -ADSYNC_ECONFIG;

	if ((u = curl_url()) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	if (url[0] == '\0' || curl_url_set(u, CURLUPART_URL, url, 0) !=
	    CURLUE_OK) {
		snprintf(why, whylen, "rackspace.api_url \"%s\" is not an "
		    "absolute URL (e.g. https://api.emailsrvr.com/v1)", url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(why, whylen, "rackspace.api_url \"%s\" has no host",
		    url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_OK) {
		snprintf(why, whylen, "rackspace.api_url must not contain "
		    "user info, a query or a fragment");
		goto out;
	}
	if (strcasecmp(scheme, "https") == 0) {
		r = 0;
	} else if (strcasecmp(scheme, "http") == 0) {
		/* SECURITY: the signature is replayable for the server's
		 * clock window, so it never travels in clear text except
		 * to this host (tests and benchmarks against rsemu). */
		if (http_host_loopback(host))
			r = 0;
		else
			snprintf(why, whylen, "rackspace.api_url uses plain "
			    "http to %s: only https is allowed (http only "
			    "for a loopback host)", host);
	} else {
		snprintf(why, whylen, "rackspace.api_url: unsupported scheme "
		    "\"%s\" (use https)", scheme);
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(query);
	curl_free(frag);
	curl_url_cleanup(u);
	return r;
}

bool
http_curl_not_sent(int curlcode)
{
	switch (curlcode) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return true;
	default:
		return false;
	}
}

bool
http_curl_reset(int curlcode, const char *msg)
{
	/* What OpenSSL and libcurl 7.88 say when the peer goes away in the
	 * middle of a handshake; a certificate or name problem has codes
	 * and words of its own. */
	static const char *const cut[] = {
		"reset by peer", "broken pipe", "ssl_error_syscall",
		"unexpected eof", "connection refused", "connection closed",
		"connection was reset", NULL
	};
	size_t i;

	if (http_curl_error(curlcode) != -ADSYNC_ETLS || msg == NULL)
		return false;
	if (curlcode != CURLE_SSL_CONNECT_ERROR &&
	    curlcode != CURLE_SSL_SHUTDOWN_FAILED)
		return false;
	for (i = 0; cut[i] != NULL; i++)
		if (strcasestr(msg, cut[i]) != NULL)
			return true;
	return false;
}

int
http_curl_error(int curlcode)
{
	switch (curlcode) {
	case CURLE_OPERATION_TIMEDOUT:
		return -ADSYNC_ETIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED:
		return -ADSYNC_ETLS;
	default:
		return -ADSYNC_ETRANSPORT;
	}
}
