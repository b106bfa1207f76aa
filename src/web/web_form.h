/*
 * The web console's parsers for untrusted input and its output encoders:
 * application/x-www-form-urlencoded bodies and query strings, the Cookie
 * header, HTML escaping and URL-component encoding (docs/web.md).
 *
 * Trust: every byte handed to a parser comes from the browser, or from
 * anything that can reach 127.0.0.1, and is untrusted. Limits are checked
 * before allocating; a refusal returns a negative code and a sentence in
 * `why` (always NUL-terminated when whylen > 0) that names the problem but
 * never quotes a value (values may be passwords). The parsers are fuzzed
 * (tests/fuzz/fuzz_web_form.c).
 *
 * Pure; any thread. A struct web_form belongs to one thread at a time.
 */
#ifndef ADSYNC_WEB_FORM_H
#define ADSYNC_WEB_FORM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "attributes.h"
#include "buf.h"

/* Most fields in one body or query string. */
#define WEB_FORM_MAX_FIELDS 64
/* Longest decoded field name; names are 1..64 bytes of [A-Za-z0-9_.-]. */
#define WEB_FORM_NAME_MAX 64
/* Longest decoded value, in bytes. */
#define WEB_FORM_VALUE_MAX (8 * 1024)
/* Longest encoded body or query string web_form_parse() accepts. The
 * server should refuse a larger POST body (413) before buffering it. */
#define WEB_FORM_BODY_MAX (64 * 1024)
/* Longest Cookie header web_cookie_get() reads. */
#define WEB_COOKIE_HEADER_MAX (8 * 1024)

/* A decoded form: an ordered list of (name, value) fields. Opaque. */
struct web_form;

/* An empty form, for web_form_add(); NULL when out of memory. Owned:
 * web_form_free(). */
struct web_form *web_form_new(void);

/*
 * Decodes `len` bytes at `body` (no NUL needed) as
 * application/x-www-form-urlencoded: fields separated by '&' (empty
 * segments such as "a=1&&b=2" or a trailing '&' are skipped), each
 * NAME=VALUE, '+' a space, %XX one byte (hex digits of either case).
 * Refused, with -ADSYNC_EPARSE: a segment without '=', a '%' not followed
 * by two hex digits, an empty name or one outside [A-Za-z0-9_.-], a value
 * that is not valid UTF-8 or holds a NUL or a control character other
 * than TAB, CR and LF (web_text_check()). Refused with -ADSYNC_ETOOBIG:
 * more than WEB_FORM_BODY_MAX bytes, more than WEB_FORM_MAX_FIELDS
 * fields, a name over WEB_FORM_NAME_MAX or a value over
 * WEB_FORM_VALUE_MAX bytes (decoded). Repeated names are kept, in order.
 * -ENOMEM when out of memory.
 * Returns 0 and *out (owned; web_form_free()), or a negative code and
 * `why`; *out is written only on success.
 */
int web_form_parse(const char *body, size_t len,
    struct web_form **out /* OUT */, char *why, size_t whylen)
    ATTR_NODISCARD;

/*
 * The same for a URL query string (without the '?'), with one difference:
 * a segment without '=' ("?verbose") is a field whose value is "".
 * libmicrohttpd hands the handler its query arguments already decoded
 * (MHD_GET_ARGUMENT_KIND); pass those to web_form_add() instead, so they
 * get the same checks. This one is for a raw query string (a Location or
 * a link the console builds and reads back).
 */
int web_query_parse(const char *query, size_t len,
    struct web_form **out /* OUT */, char *why, size_t whylen)
    ATTR_NODISCARD;

/*
 * Appends one field that is already decoded (an argument from
 * MHD_get_connection_values_n(), say): `nlen` bytes of name and `vlen`
 * bytes of value (NULL = ""), both copied, checked with the rules of
 * web_form_parse() (an embedded NUL is refused: that is why the lengths
 * are passed). Returns 0, or -ADSYNC_EPARSE, -ADSYNC_ETOOBIG (the form
 * has WEB_FORM_MAX_FIELDS fields already, or a limit), -ENOMEM, with
 * `why`; the form is unchanged on failure.
 */
int web_form_add(struct web_form *f, const char *name, size_t nlen,
    const char *value, size_t vlen, char *why, size_t whylen)
    ATTR_NODISCARD;

/* The value of the first field named `name` (exact, case-sensitive), or
 * NULL. Borrowed, valid until web_form_free(). */
const char *web_form_get(const struct web_form *f, const char *name);

/* How many fields are named `name`; with `name` NULL, how many fields the
 * form has. */
size_t web_form_count(const struct web_form *f, const char *name);

/*
 * The i-th field (0-based, in the order received): true and *name,
 * *value (borrowed, valid until web_form_free(); either pointer may be
 * NULL if not wanted), or false when i >= web_form_count(f, NULL).
 *   for (i = 0; web_form_at(f, i, &n, &v); i++) ...
 */
bool web_form_at(const struct web_form *f, size_t i,
    const char **name /* OUT */, const char **value /* OUT */);

/* Wipes every name and value (forms carry passwords) and releases the
 * form; accepts NULL. */
void web_form_free(struct web_form *f);

/*
 * Checks `len` bytes of text: valid UTF-8 (no overlong forms, surrogates
 * or code points above U+10FFFF), no NUL, no C0 control character (TAB,
 * CR and LF allowed only with `allow_tab_crlf`), no DEL, no C1 control
 * (U+0080..U+009F). Returns the number of characters (code points), or
 * -1 when the text is refused.
 */
ssize_t web_text_check(const char *s, size_t len, bool allow_tab_crlf);

/*
 * Finds cookie `name` (exact, case-sensitive) in a Cookie request header
 * (`header` NUL-terminated, "a=b; c=d", NULL = no header) and copies its
 * value, without the double quotes RFC 6265 allows around it, to `out`
 * (NUL-terminated). The first cookie of that name wins (browsers send the
 * most specific first). Pairs that are malformed or hold bytes outside
 * RFC 6265's cookie-octet are skipped unless they carry `name`, so one
 * odd cookie another local service set does not break the console.
 * Returns 0 (out written), -ENOENT (no such cookie), -ADSYNC_EPARSE (the
 * cookie is there but malformed), -ADSYNC_ETOOBIG (the header is longer
 * than WEB_COOKIE_HEADER_MAX or the value does not fit in outlen - 1).
 */
int web_cookie_get(const char *header, const char *name,
    char *out /* OUT */, size_t outlen) ATTR_NODISCARD;

/*
 * Appends `s` (NUL-terminated) to `b` with & < > " ' escaped as &amp;
 * &lt; &gt; &quot; &#39;, which makes it safe in HTML text and in quoted
 * attribute values (not in scripts, styles or unquoted attributes).
 * Returns 0, or the error of buf_add() (-ADSYNC_ETOOBIG: `b` was freed,
 * see buf.h; -ENOMEM).
 */
int web_html_escape(struct buf *b, const char *s) ATTR_NODISCARD;

/*
 * Appends `s` (NUL-terminated) to `b` encoded as one URL component: the
 * unreserved characters A-Z a-z 0-9 - . _ ~ as they are, every other byte
 * as %XX (upper-case hex). The result also decodes back to `s` through
 * web_form_parse(). Returns 0 or the error of buf_add().
 */
int web_url_encode(struct buf *b, const char *s) ATTR_NODISCARD;

#endif
