/*
 * Error codes. Functions that can fail return 0 or a negative code: -errno
 * for system errors, or -ADSYNC_E* from the private range above every errno
 * value (libuv's sign, sssd's private range). adsync_strerror() names both;
 * err_why() writes the sentence that goes with a code. Pure; any thread.
 */
#ifndef ADSYNC_ERR_H
#define ADSYNC_ERR_H

#include <stddef.h>

#include "attributes.h"

enum adsync_err {
	ADSYNC_ERR_BASE = 4096,
	ADSYNC_EPARSE,		/* malformed input */
	ADSYNC_ETOOBIG,		/* a size limit was exceeded */
	ADSYNC_ERANGE,		/* a number outside its bounds */
	ADSYNC_ECONFIG,		/* configuration error (see the diag) */
	ADSYNC_ESECRET,		/* secret file unsafe or unreadable */
	ADSYNC_EAUTH,		/* the peer refused our credentials */
	ADSYNC_ETHROTTLED,	/* the API's rate limit was exceeded */
	ADSYNC_ENOTFOUND,	/* the object does not exist */
	ADSYNC_EVALIDATION,	/* the peer refused the data (400) */
	ADSYNC_ECONFLICT,	/* the name is already taken */
	ADSYNC_ESERVER,		/* the peer failed (5xx) */
	ADSYNC_ETRANSPORT,	/* connection failed or was dropped */
	ADSYNC_ETIMEOUT,	/* no answer in time */
	ADSYNC_ETLS,		/* TLS handshake or verification failed */
	ADSYNC_EPROTO,		/* an answer we cannot understand */
	ADSYNC_EUNKNOWN,	/* outcome of a write is unknown */
	ADSYNC_ELIMIT,		/* a quota of the service was reached */
	ADSYNC_ECANCELED,	/* abandoned on purpose (shutdown) */
	ADSYNC_ERESYNC,		/* an incremental read cannot continue
				 * (another DC, a restored DC, a refused
				 * DirSync cookie): read the directory whole */
	ADSYNC_ERR_MAX
};

/*
 * Returns a static, thread-safe description of `code` (negative or positive
 * errno, or an adsync code). Never NULL.
 */
const char *adsync_strerror(int code);

/*
 * Formats a message into the caller's `why` buffer (`whylen` bytes, always
 * NUL-terminated, cut when longer), the "why" that functions taking
 * `char *why, size_t whylen` fill in on failure. Does nothing when `why`
 * is NULL or `whylen` is 0, so callers may pass NULL, 0 to ignore it.
 */
void err_why(char *why, size_t whylen, const char *fmt, ...)
    ATTR_PRINTF(3, 4);

#endif
