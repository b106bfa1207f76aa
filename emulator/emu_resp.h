/*
 * One API reply under construction: status, JSON body and the text of the
 * x-error-message header, plus the fault bodies of docs/rackspace-api.md §6
 * ({"<fault>":{"message","details","code"}}) and the US-style date strings
 * the service prints. Built by the handler thread that owns the request;
 * nothing here is shared.
 */
#ifndef EMU_RESP_H
#define EMU_RESP_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "attributes.h"

#define EMU_ERRMSG_MAX 512

struct emu_resp {
	unsigned status;		/* 0 until set */
	char *body;			/* owned JSON text, or NULL */
	size_t len;
	char errmsg[EMU_ERRMSG_MAX];	/* x-error-message, "" = none */
	time_t now;			/* server clock, for "details" */
};

/* Starts an empty reply; `now` is the server's clock. */
void emu_resp_init(struct emu_resp *r, time_t now);
/* Frees the body; accepts an initialised reply. */
void emu_resp_fini(struct emu_resp *r);

/* Status only, no body (writes). Replaces whatever was set. */
void emu_resp_status(struct emu_resp *r, unsigned status);

/* Status and the JSON serialisation of `j`, whose reference is taken. */
void emu_resp_json(struct emu_resp *r, unsigned status, json_t *j);

/*
 * A fault reply: {"<fault>":{"message":M,"details":<server time>,"code":S}}
 * and x-error-message M. Replaces whatever was set.
 */
void emu_resp_fault(struct emu_resp *r, unsigned status, const char *fault,
    const char *fmt, ...) ATTR_PRINTF(4, 5);

/*
 * 404 itemNotFoundFault with "resourceType" and, if `recoverable` >= 0,
 * "additionalData":{"isRecoverable":bool}.
 */
void emu_resp_notfound(struct emu_resp *r, const char *resource_type,
    int recoverable, const char *fmt, ...) ATTR_PRINTF(4, 5);

/* "4/11/2014 3:03:24 PM" (no zero padding, 12-hour clock) for UTC `t`. */
void emu_resp_time_us(time_t t, char *out /* OUT */, size_t outlen);

#endif
