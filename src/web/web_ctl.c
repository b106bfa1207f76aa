/*
 * The console's way to the daemon: one control request per call over the
 * daemon's own socket (src/ctl), exactly as the CLI does. The daemon checks
 * the peer's uid, which is its own. Any connection thread.
 */
#include <stdio.h>

#include "ctl.h"
#include "web_internal.h"

json_t *
web_ctl(struct web *w, json_t *req, int timeout_ms, char *why, size_t whylen)
{
	json_t *reply = NULL;
	const char *err;

	if (req == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	if (ctl_call(w->ctl_path, req, timeout_ms, &reply, why, whylen) < 0) {
		json_decref(req);
		return NULL;
	}
	json_decref(req);
	if ((err = json_string_value(json_object_get(reply, "error"))) !=
	    NULL) {
		snprintf(why, whylen, "%s", err);
		json_decref(reply);
		return NULL;
	}
	return reply;
}

const char *
web_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

json_int_t
web_int(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}
