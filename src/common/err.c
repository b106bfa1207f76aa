/*
 * adsync_strerror: one table for the private codes, strerrordesc_np (which,
 * unlike strerror, is thread-safe and returns static text) for errno values;
 * err_why, the one writer of `why` buffers. Any thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

static const char *const err_text[] = {
	[ADSYNC_EPARSE - ADSYNC_ERR_BASE] = "malformed input",
	[ADSYNC_ETOOBIG - ADSYNC_ERR_BASE] = "size limit exceeded",
	[ADSYNC_ERANGE - ADSYNC_ERR_BASE] = "value out of range",
	[ADSYNC_ECONFIG - ADSYNC_ERR_BASE] = "configuration error",
	[ADSYNC_ESECRET - ADSYNC_ERR_BASE] = "unsafe or unreadable secret file",
	[ADSYNC_EAUTH - ADSYNC_ERR_BASE] = "authentication failed",
	[ADSYNC_ETHROTTLED - ADSYNC_ERR_BASE] = "request limit exceeded",
	[ADSYNC_ENOTFOUND - ADSYNC_ERR_BASE] = "not found",
	[ADSYNC_EVALIDATION - ADSYNC_ERR_BASE] = "refused by validation",
	[ADSYNC_ECONFLICT - ADSYNC_ERR_BASE] = "name already in use",
	[ADSYNC_ESERVER - ADSYNC_ERR_BASE] = "server error",
	[ADSYNC_ETRANSPORT - ADSYNC_ERR_BASE] = "transport error",
	[ADSYNC_ETIMEOUT - ADSYNC_ERR_BASE] = "timed out",
	[ADSYNC_ETLS - ADSYNC_ERR_BASE] = "TLS error",
	[ADSYNC_EPROTO - ADSYNC_ERR_BASE] = "unexpected reply",
	[ADSYNC_EUNKNOWN - ADSYNC_ERR_BASE] = "outcome unknown",
	[ADSYNC_ELIMIT - ADSYNC_ERR_BASE] = "service limit reached",
	[ADSYNC_ECANCELED - ADSYNC_ERR_BASE] = "canceled",
	[ADSYNC_ERESYNC - ADSYNC_ERR_BASE] =
	    "a full read of the directory is needed",
};

const char *
adsync_strerror(int code)
{
	const char *s;

	if (code < 0)
		code = -code;
	if (code == 0)
		return "success";
	if (code > ADSYNC_ERR_BASE && code < ADSYNC_ERR_MAX)
		return err_text[code - ADSYNC_ERR_BASE];
	s = strerrordesc_np(code);
	return s != NULL ? s : "unknown error";
}

void
err_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}
