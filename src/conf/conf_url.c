/*
 * URL checks for configuration values: the base URL of an HTTP API must be
 * https://, with one exception, plain http:// to a loopback address, so that
 * tests and benchmarks can talk to a local emulator. TLS verification itself
 * is never optional and is not configured here. Pure; any thread. Trusts
 * nothing in the value.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conf_internal.h"

#define CONF_URL_HOST_MAX 253	/* longest DNS name */

bool
conf_url_host_is_loopback(const char *host, size_t len)
{
	char tmp[INET6_ADDRSTRLEN + 2];
	struct in_addr a4;
	struct in6_addr a6;

	if (len == strlen("localhost") &&
	    strncasecmp(host, "localhost", len) == 0)
		return true;
	if (len < 3 || len >= sizeof(tmp))
		return false;
	if (host[0] == '[') {
		if (host[len - 1] != ']')
			return false;
		memcpy(tmp, host + 1, len - 2);
		tmp[len - 2] = '\0';
		return inet_pton(AF_INET6, tmp, &a6) == 1 &&
		    IN6_IS_ADDR_LOOPBACK(&a6);
	}
	memcpy(tmp, host, len);
	tmp[len] = '\0';
	/* inet_pton takes only the dotted quad, so "127.1" or
	 * "127.0.0.1.example.com" are names, not loopback addresses. */
	if (inet_pton(AF_INET, tmp, &a4) != 1)
		return false;
	return (ntohl(a4.s_addr) >> 24) == 127;
}

/* Checks HOST[:PORT]; 0 or -1 with `why`. */
static int
conf_url_check_authority(const char *auth, size_t len, char *why,
    size_t whylen, size_t *hostlen /* OUT */)
{
	char tmp[INET6_ADDRSTRLEN + 2];
	struct in6_addr a6;
	const char *colon;
	size_t hlen, i;
	unsigned long port = 0;

	if (len > 0 && auth[0] == '[') {
		colon = memchr(auth, ']', len);
		if (colon == NULL) {
			snprintf(why, whylen, "the IPv6 address has no "
			    "closing ']'");
			return -1;
		}
		hlen = (size_t)(colon - auth) + 1;
		if (hlen - 2 >= sizeof(tmp)) {
			snprintf(why, whylen, "the IPv6 address is invalid");
			return -1;
		}
		memcpy(tmp, auth + 1, hlen - 2);
		tmp[hlen - 2] = '\0';
		if (inet_pton(AF_INET6, tmp, &a6) != 1) {
			snprintf(why, whylen, "\"%s\" is not a valid IPv6 "
			    "address", tmp);
			return -1;
		}
		if (hlen < len && auth[hlen] != ':') {
			snprintf(why, whylen, "unexpected text after the "
			    "IPv6 address; write https://[ADDRESS]:PORT/PATH");
			return -1;
		}
	} else {
		colon = memchr(auth, ':', len);
		hlen = colon != NULL ? (size_t)(colon - auth) : len;
		if (hlen == 0) {
			snprintf(why, whylen, "no host name; write "
			    "https://HOST/PATH, e.g. "
			    "https://api.emailsrvr.com/v1");
			return -1;
		}
		if (hlen > CONF_URL_HOST_MAX) {
			snprintf(why, whylen, "the host name is longer than "
			    "%d characters", CONF_URL_HOST_MAX);
			return -1;
		}
		for (i = 0; i < hlen; i++) {
			unsigned char c = (unsigned char)auth[i];

			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '.')
				continue;
			snprintf(why, whylen, "the host name \"%.*s\" has a "
			    "character that is not a letter, digit, '-' or "
			    "'.'", (int)hlen, auth);
			return -1;
		}
		if (auth[0] == '-' || auth[0] == '.') {
			snprintf(why, whylen, "the host name \"%.*s\" is "
			    "invalid", (int)hlen, auth);
			return -1;
		}
	}
	if (hlen < len) {
		/* auth[hlen] is ':': a port of 1 to 5 digits follows. */
		if (len - hlen - 1 == 0 || len - hlen - 1 > 5) {
			snprintf(why, whylen, "the port after ':' must be a "
			    "number from 1 to 65535");
			return -1;
		}
		for (i = hlen + 1; i < len; i++) {
			if (auth[i] < '0' || auth[i] > '9') {
				snprintf(why, whylen, "the port after ':' must "
				    "be a number from 1 to 65535");
				return -1;
			}
			port = port * 10 + (unsigned long)(auth[i] - '0');
		}
		if (port < 1 || port > 65535) {
			snprintf(why, whylen, "the port after ':' must be a "
			    "number from 1 to 65535");
			return -1;
		}
	}
	*hostlen = hlen;
	return 0;
}

int
conf_url_check_http(const char *value, char *why, size_t whylen)
{
	const char *rest, *slash, *p;
	size_t alen, hostlen;
	bool tls;

	if (strncmp(value, "https://", 8) == 0) {
		tls = true;
		rest = value + 8;
	} else if (strncmp(value, "http://", 7) == 0) {
		tls = false;
		rest = value + 7;
	} else if (strncasecmp(value, "https://", 8) == 0 ||
	    strncasecmp(value, "http://", 7) == 0) {
		snprintf(why, whylen, "write the scheme in lower case "
		    "(https://)");
		return -1;
	} else if (strstr(value, "://") != NULL) {
		snprintf(why, whylen, "only https:// URLs are accepted; "
		    "write https://HOST/PATH, e.g. "
		    "https://api.emailsrvr.com/v1");
		return -1;
	} else {
		snprintf(why, whylen, "\"%s\" is not a URL; write "
		    "https://HOST/PATH, e.g. https://api.emailsrvr.com/v1",
		    value);
		return -1;
	}
	for (p = value; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c >= 0x7f) {
			snprintf(why, whylen, "the URL contains a space or a "
			    "non-ASCII character; percent-encode it");
			return -1;
		}
		if (c == '?' || c == '#') {
			snprintf(why, whylen, "the URL contains a query or "
			    "fragment ('%c'); give only the base URL, e.g. "
			    "https://api.emailsrvr.com/v1", c);
			return -1;
		}
	}
	slash = strchr(rest, '/');
	alen = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	/* SECURITY: credentials in a URL end up in logs and process
	 * listings; the API authenticates with the signed header instead. */
	if (memchr(rest, '@', alen) != NULL) {
		snprintf(why, whylen, "user names and passwords are never "
		    "written in the URL; remove the part before '@'");
		return -1;
	}
	if (conf_url_check_authority(rest, alen, why, whylen, &hostlen) < 0)
		return -1;
	if (slash != NULL && slash[strlen(slash) - 1] == '/') {
		snprintf(why, whylen, "remove the trailing '/' (request paths "
		    "are appended to this URL)");
		return -1;
	}
	/* SECURITY: the signature header and every mailbox password cross
	 * this connection; plain HTTP is allowed only where it never leaves
	 * the machine. */
	if (!tls && !conf_url_host_is_loopback(rest, hostlen)) {
		snprintf(why, whylen, "http:// is refused for %.*s; use "
		    "https:// (plain http is accepted only for a loopback "
		    "test server: 127.0.0.0/8, [::1] or localhost)",
		    (int)hostlen, rest);
		return -1;
	}
	return 0;
}
