/*
 * The Rackspace API request signature (docs/rackspace-api.md §2.4):
 *
 *   X-Api-Signature: UserKey:Timestamp:Base64(SHA1(UserKey + UserAgent +
 *                                                  Timestamp + SecretKey))
 *
 * with Timestamp = YYYYMMDDHHmmss in UTC. Used by the client to sign and by
 * rsemu to verify. Pure apart from the clock read in rs_auth_timestamp();
 * any thread. The secret is borrowed for the call and never copied.
 */
#ifndef ADSYNC_RS_AUTH_H
#define ADSYNC_RS_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "attributes.h"

#define RS_AUTH_TS_LEN 14	/* YYYYMMDDHHmmss */
#define RS_AUTH_HASH_LEN 28	/* base64 of 20 bytes */
#define RS_AUTH_KEY_MAX 128	/* longest user key we accept */
/* Longest header value: key, two colons, timestamp, hash. */
#define RS_AUTH_HEADER_MAX (RS_AUTH_KEY_MAX + 2 + RS_AUTH_TS_LEN + \
    RS_AUTH_HASH_LEN)

/* Formats `t` as the UTC timestamp; 0 or -ADSYNC_ERANGE. */
int rs_auth_timestamp(time_t t, char out[RS_AUTH_TS_LEN + 1] /* OUT */);

/* Parses a timestamp (exactly 14 digits, a valid UTC date) into *out. */
int rs_auth_timestamp_parse(const char *ts, time_t *out /* OUT */);

/* Computes the Base64 SHA-1 hash; all inputs borrowed. 0 or negative. */
int rs_auth_hash(const char *user_key, const char *user_agent,
    const char *timestamp, const unsigned char *secret, size_t secret_len,
    char out[RS_AUTH_HASH_LEN + 1] /* OUT */) ATTR_NODISCARD;

/* Builds the whole header value "UserKey:Timestamp:Hash" into `out`. */
int rs_auth_header(const char *user_key, const char *user_agent, time_t now,
    const unsigned char *secret, size_t secret_len, char *out /* OUT */,
    size_t outlen) ATTR_NODISCARD;

/* A header value split into its parts; views into the caller's copy. */
struct rs_auth_parts {
	char user_key[RS_AUTH_KEY_MAX + 1];
	char timestamp[RS_AUTH_TS_LEN + 1];
	char hash[RS_AUTH_HASH_LEN + 1];
};

/*
 * Splits a received X-Api-Signature value. Strict: a non-empty key of
 * printable characters without ':' up to RS_AUTH_KEY_MAX, a 14-digit
 * timestamp, a 28-character Base64 hash, nothing after it.
 * Returns 0 or -ADSYNC_EPARSE.
 */
int rs_auth_parse(const char *value, struct rs_auth_parts *out /* OUT */);

/* Constant-time comparison of two hashes. */
bool rs_auth_hash_equal(const char *a, const char *b);

#endif
