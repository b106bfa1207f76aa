/*
 * Reply construction (see emu_resp.h). The error text goes both into the
 * JSON body and, cleaned to printable ASCII on one line, into the
 * x-error-message header: a name sent by a client may contain anything, and
 * a CR or LF in a header would split the reply. Handler thread only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_form.h"
#include "emu_resp.h"

void
emu_resp_init(struct emu_resp *r, time_t now)
{
	memset(r, 0, sizeof(*r));
	r->now = now;
}

void
emu_resp_fini(struct emu_resp *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

void
emu_resp_status(struct emu_resp *r, unsigned status)
{
	emu_resp_fini(r);
	r->status = status;
	r->errmsg[0] = '\0';
}

void
emu_resp_json(struct emu_resp *r, unsigned status, json_t *j)
{
	emu_resp_fini(r);
	r->status = status;
	r->errmsg[0] = '\0';
	r->body = json_dumps(j, JSON_COMPACT);
	r->len = r->body != NULL ? strlen(r->body) : 0;
	if (r->body == NULL)
		r->status = 500;
	json_decref(j);
}

void
emu_resp_time_us(time_t t, char *out, size_t outlen)
{
	struct tm tm;
	int h;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(out, outlen, "1/1/1970 12:00:00 AM");
		return;
	}
	h = tm.tm_hour % 12;
	snprintf(out, outlen, "%d/%d/%d %d:%02d:%02d %s", tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_year + 1900, h == 0 ? 12 : h, tm.tm_min,
	    tm.tm_sec, tm.tm_hour < 12 ? "AM" : "PM");
}

static void
emu_resp_fault_v(struct emu_resp *r, unsigned status, const char *fault,
    const char *rtype, int recoverable, const char *fmt, va_list ap)
{
	char msg[EMU_ERRMSG_MAX], details[48];
	json_t *o, *inner, *extra;
	size_t i;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* Truncation may split a UTF-8 sequence; jansson would refuse it. */
	for (i = strlen(msg); i > 0 && !emu_form_utf8_valid(msg, i); i--)
		msg[i - 1] = '\0';
	emu_resp_time_us(r->now, details, sizeof(details));
	inner = json_object();
	/* jansson refuses invalid UTF-8; a message quoting a name from the
	 * client is valid because every decoder checked it. */
	json_object_set_new(inner, "message", json_string(msg));
	json_object_set_new(inner, "details", json_string(details));
	json_object_set_new(inner, "code", json_integer(status));
	if (rtype != NULL)
		json_object_set_new(inner, "resourceType", json_string(rtype));
	if (recoverable >= 0) {
		extra = json_object();
		json_object_set_new(extra, "isRecoverable",
		    json_boolean(recoverable));
		json_object_set_new(inner, "additionalData", extra);
	}
	o = json_object();
	json_object_set_new(o, fault, inner);
	emu_resp_json(r, status, o);
	r->status = status;
	for (i = 0; msg[i] != '\0' && i < sizeof(r->errmsg) - 1; i++) {
		unsigned char c = (unsigned char)msg[i];

		/* SECURITY: header text is printable ASCII on one line. */
		r->errmsg[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	r->errmsg[i] = '\0';
}

void
emu_resp_fault(struct emu_resp *r, unsigned status, const char *fault,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emu_resp_fault_v(r, status, fault, NULL, -1, fmt, ap);
	va_end(ap);
}

void
emu_resp_notfound(struct emu_resp *r, const char *resource_type,
    int recoverable, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emu_resp_fault_v(r, 404, "itemNotFoundFault", resource_type,
	    recoverable, fmt, ap);
	va_end(ap);
}
