/*
 * Verification of X-Api-Signature (docs/rackspace-api.md §2.4): the hash is
 * recomputed from the request's own User-Agent and the user's secret key and
 * compared in constant time; the timestamp must be within --clock-skew of
 * the server's clock (UTC + --clock-offset). Pure apart from borrowing the
 * secrets in the read-only configuration; any thread; the header and the
 * User-Agent are untrusted.
 */
#ifndef EMU_AUTH_H
#define EMU_AUTH_H

#include <stddef.h>
#include <time.h>

#include "attributes.h"

struct emu_config;

enum emu_auth_fail {
	EMU_AUTH_OK = 0,
	EMU_AUTH_MISSING,	/* no X-Api-Signature header */
	EMU_AUTH_MALFORMED,	/* not KEY:YYYYMMDDHHmmss:BASE64 */
	EMU_AUTH_UNKNOWN_KEY,	/* no such user key */
	EMU_AUTH_CLOCK,		/* timestamp outside the window */
	EMU_AUTH_HASH		/* wrong hash */
};

/*
 * Checks `sig` (NULL if absent) against the users of `cfg`. `ua` is the
 * User-Agent (NULL = ""). On success returns EMU_AUTH_OK and sets *user to
 * the user's index; otherwise the reason (for logs and stats only: every
 * reason gets the same reply).
 */
enum emu_auth_fail emu_auth_verify(const struct emu_config *cfg,
    const char *sig, const char *ua, time_t server_now,
    size_t *user /* OUT */);

/* A short name of the reason, for logs ("missing", "hash", ...). */
const char *emu_auth_fail_name(enum emu_auth_fail f);

#endif
