/*
 * pwproto internals shared by its files (not part of the module API):
 * base64, JSON loading with content-free errors, JSON string output, and the
 * small syntax checks. Pure; any thread.
 */
#ifndef ADSYNC_PW_INTERNAL_H
#define ADSYNC_PW_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "buf.h"

/*
 * Decodes `len` bytes of standard base64 with padding (one line, nothing
 * else). 0 and *out (malloc'd, *outlen bytes; the caller frees it, wiping
 * first when it is a secret), -EINVAL (not base64, or empty) or -ENOMEM.
 */
int pw_b64_decode(const char *s, size_t len, unsigned char **out /* OUT */,
    size_t *outlen /* OUT */);

/* Appends the standard base64 of `len` bytes (one line, padded) to `b`.
 * The temporary copy is wiped, so `bin` may be a secret. 0 or a negative
 * code (buf's). */
int pw_b64_add(struct buf *b, const void *bin, size_t len);

/* True when `len` bytes are valid UTF-8 (no overlong forms, no surrogates,
 * nothing above U+10FFFF, no NUL). */
bool pw_utf8_ok(const char *s, size_t len);

/* True when no byte of `len` is a control character (< 0x20 or 0x7f). */
bool pw_nocntrl(const char *s, size_t len);

/* Appends `len` bytes of UTF-8 as a JSON string (quotes included). */
int pw_json_add_str(struct buf *b, const char *s, size_t len);

/*
 * Parses a JSON object of at most PW_BODY_MAX bytes with duplicate keys
 * refused. Errors never quote the input (jansson's own messages do, and the
 * input holds a password): they give a line and column. 0 and *out (the
 * caller json_decref()s it), -E2BIG, -ENOMEM or -EINVAL with `why`.
 */
int pw_json_load(const char *body, size_t len, json_t **out /* OUT */,
    char *why, size_t whylen);

/* Refuses a key of `obj` not in the NULL-terminated `allowed`; the message
 * quotes the key only when it is a short identifier. 0 or -EINVAL. */
int pw_json_known(json_t *obj, const char *const *allowed, char *why,
    size_t whylen);

/*
 * Fetches string field `name`: 1 and *s, *len (borrowed from `obj`) when
 * present, 0 when absent, -EINVAL with `why` when it is not a string, is
 * empty, is longer than `max` bytes, or (when `name_like`) holds a control
 * character.
 */
int pw_json_str(json_t *obj, const char *name, size_t max, bool name_like,
    const char **s /* OUT */, size_t *len /* OUT */, char *why,
    size_t whylen);

/* Fetches integer field `name` in [min, max]: 1 and *v when present, 0 when
 * absent, -EINVAL with `why` otherwise (a real such as 1.0 is refused). */
int pw_json_int(json_t *obj, const char *name, long long min, long long max,
    long long *v /* OUT */, char *why, size_t whylen);

#endif
