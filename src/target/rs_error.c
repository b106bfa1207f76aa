/*
 * Decoding of the API's error answers into struct rs_error
 * (rackspace-api.md §3.2, §6): JSON fault bodies such as
 * {"itemNotFoundFault":{"message":..,"code":404,"resourceType":"Mailbox",
 * "additionalData":{"isRecoverable":true}}}, and the old style with an
 * empty body and the text only in the x-error-message header. Pure; any
 * thread. The body and header come from the network: both are bounded by
 * the caller, parsed with jansson, and copied into fixed fields with
 * control characters replaced, so a hostile server cannot inject log lines.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "target_internal.h"

/* The throttle message; compared exactly and case-sensitively, as the
 * official client does (C1 ThrottledHandlingApiRequesterWrapper). */
static const char rs_throttle_msg[] = "Exceeded request limits";

void
rs_error_clear(struct rs_error *e)
{
	if (e == NULL)
		return;
	memset(e, 0, sizeof(*e));
}

void
rs_error_copy_text(char *out, size_t outlen, const char *src, size_t len)
{
	size_t i, o = 0;

	if (outlen == 0)
		return;
	for (i = 0; i < len && o + 1 < outlen; i++) {
		unsigned char ch = (unsigned char)src[i];

		if (ch == '\0')
			break;
		/* SECURITY: no CR/LF or escapes from the server into our
		 * logs and terminals. */
		out[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	out[o] = '\0';
}

int
rs_error_set(struct rs_error *e, int code, const char *fmt, ...)
{
	char tmp[sizeof(e->message)];
	va_list ap;

	if (e == NULL)
		return code;
	rs_error_clear(e);
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	rs_error_copy_text(e->message, sizeof(e->message), tmp, strlen(tmp));
	return code;
}

const char *
rs_error_cause_message(const struct rs_error *e)
{
	const char *m = e->message, *sep;

	/* The cause's own message, after the core's "outcome of POST
	 * unknown: " (rs_client.c). */
	if (e->code == -ADSYNC_EUNKNOWN && strncmp(m, RS_UNKNOWN_PREFIX,
	    sizeof(RS_UNKNOWN_PREFIX) - 1) == 0 &&
	    (sep = strstr(m, RS_UNKNOWN_SEP)) != NULL)
		m = sep + sizeof(RS_UNKNOWN_SEP) - 1;
	return m;
}

void
rs_error_not_created(struct rs_error *e, unsigned attempts)
{
	/* Room for the whole sentence; cut to the field below. */
	char tmp[sizeof(e->message) + 64];
	const char *m;

	if (e == NULL)
		return;
	m = rs_error_cause_message(e);
	snprintf(tmp, sizeof(tmp), "%s; not created (looked up after %s%u "
	    "attempt%s)", m, attempts > 1 ? "each of " : "", attempts,
	    attempts > 1 ? "s" : "");
	rs_error_copy_text(e->message, sizeof(e->message), tmp, strlen(tmp));
	e->code = e->cause < 0 ? e->cause : -ADSYNC_ESERVER;
	e->cause = 0;
}

/* Known fault names, in the order they are looked for. */
static const char *const rs_faults[] = {
	"unauthorizedFault",
	"itemNotFoundFault",
	"validationFault",
	"badRequestFault",
	"appsFault",
	NULL
};

static void
rs_error_from_fault(const char *name, json_t *f, struct rs_error *e)
{
	json_t *v, *ad;

	rs_error_copy_text(e->fault, sizeof(e->fault), name, strlen(name));
	if (!json_is_object(f))
		return;
	v = json_object_get(f, "message");
	if (json_is_string(v))
		rs_error_copy_text(e->message, sizeof(e->message),
		    json_string_value(v), json_string_length(v));
	v = json_object_get(f, "resourceType");
	if (json_is_string(v))
		rs_error_copy_text(e->resource_type, sizeof(e->resource_type),
		    json_string_value(v), json_string_length(v));
	ad = json_object_get(f, "additionalData");
	v = json_is_object(ad) ? json_object_get(ad, "isRecoverable") : NULL;
	/* Booleans are parsed leniently elsewhere in this API; accept the
	 * string forms too. */
	if (json_is_true(v) || (json_is_string(v) &&
	    strcasecmp(json_string_value(v), "true") == 0))
		e->is_recoverable = true;
}

static void
rs_error_from_body(const char *body, size_t len, struct rs_error *e)
{
	const char *key;
	json_t *o, *f;
	size_t i;

	if (len == 0 || (o = rs_json_parse_object(body, len)) == NULL)
		return;
	for (i = 0; rs_faults[i] != NULL; i++) {
		if ((f = json_object_get(o, rs_faults[i])) != NULL) {
			rs_error_from_fault(rs_faults[i], f, e);
			goto out;
		}
	}
	/* An unknown fault: the single member whose name ends in "Fault". */
	json_object_foreach(o, key, f) {
		size_t kl = strlen(key);

		if (kl > 5 && strcmp(key + kl - 5, "Fault") == 0) {
			rs_error_from_fault(key, f, e);
			break;
		}
	}
out:
	json_decref(o);
}

static bool
rs_error_says(const struct rs_error *e, const char *xmsg, const char *what)
{
	return strcasestr(e->message, what) != NULL ||
	    (xmsg != NULL && strcasestr(xmsg, what) != NULL);
}

int
rs_error_decode(long status, const char *xmsg, const char *body, size_t len,
    struct rs_error *e)
{
	bool throttled;

	rs_error_clear(e);
	e->http_status = status;
	rs_error_from_body(body, len, e);
	/* The old style carries the text only in the header; the new one
	 * echoes it there too (rackspace-api.md §2.6, §6). */
	if (e->message[0] == '\0' && xmsg != NULL)
		rs_error_copy_text(e->message, sizeof(e->message), xmsg,
		    strlen(xmsg));

	if (status == 403) {
		/*
		 * Throttling and bad credentials share 403 and the fault name;
		 * only the exact message tells them apart. A throttled call
		 * is retried later, an authentication failure never is.
		 */
		throttled = strcmp(e->message, rs_throttle_msg) == 0 ||
		    (xmsg != NULL && strcmp(xmsg, rs_throttle_msg) == 0);
		e->code = throttled ? -ADSYNC_ETHROTTLED : -ADSYNC_EAUTH;
	} else if (status == 401) {
		e->code = -ADSYNC_EAUTH;
	} else if (status == 404) {
		e->code = -ADSYNC_ENOTFOUND;
	} else if (status >= 400 && status <= 599 &&
	    rs_error_says(e, xmsg, "Mailbox limit exceeded")) {
		e->code = -ADSYNC_ELIMIT;
	} else if (status == 409 || (status >= 400 && status <= 499 &&
	    rs_error_says(e, xmsg, "already exist"))) {
		/* "already exists" and Directory Sync's "does not already
		 * exist in another service" both mean the name is taken. */
		e->code = -ADSYNC_ECONFLICT;
	} else if (status == 417) {
		/* Our own bug: an Expect header reached an IIS-like server. */
		e->code = -ADSYNC_EPROTO;
	} else if (status >= 400 && status <= 499) {
		e->code = -ADSYNC_EVALIDATION;
	} else if (status >= 500 && status <= 599) {
		e->code = -ADSYNC_ESERVER;
	} else {
		e->code = -ADSYNC_EPROTO;
	}
	if (e->message[0] == '\0')
		snprintf(e->message, sizeof(e->message), "HTTP %ld", status);
	return e->code;
}

const char *
rs_error_format(const struct rs_error *e, char *out, size_t outlen)
{
	char http[64] = "";

	if (outlen == 0)
		return out;
	if (e == NULL || e->code == 0) {
		snprintf(out, outlen, "no error");
		return out;
	}
	if (e->http_status != 0)
		snprintf(http, sizeof(http), " (HTTP %ld%s%s)", e->http_status,
		    e->fault[0] ? " " : "", e->fault);
	snprintf(out, outlen, "%s%s%s%s%s%s", adsync_strerror(e->code), http,
	    e->message[0] ? ": " : "", e->message,
	    e->resource_type[0] ? ", resourceType " : "", e->resource_type);
	if (e->is_recoverable) {
		size_t l = strlen(out);

		snprintf(out + l, outlen - l, ", recoverable");
	}
	return out;
}
