/*
 * Module-internal interfaces of src/target, shared between its files and
 * its unit tests (docs/style.md §12: a static that needs a test becomes a
 * module-internal function declared here). Nothing outside src/target and
 * tests/unit/test_target_*.c includes this header.
 *
 * Threads: the owning thread of the client, like target.h. The pure parts
 * (pace_*, http_* escaping, rs_error_decode, rs_json_*) are pure and may run
 * anywhere.
 */
#ifndef ADSYNC_TARGET_INTERNAL_H
#define ADSYNC_TARGET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "target.h"

/* ---------------------------------------------------------------------
 * pace.c: token buckets and backoff; pure arithmetic on times in ms.
 *
 * A bucket of N tokens: each attempt spends one, and a spent token comes
 * back one window after the attempt *finished* (pace_release). Any interval
 * of one window then holds at most N arrivals at the server whatever the
 * network latency, because a request reaches the server between its send
 * and its answer; so a fixed-window server limit of N is never exceeded and
 * is reached when latency is small against the window.
 */

#define PACE_MAX_TOKENS 4096
#define PACE_IN_USE INT64_MAX

struct pace_bucket {
	int64_t *ret;		/* per token: time it is free again, or
				 * PACE_IN_USE while its attempt runs */
	unsigned n;		/* tokens; 0 with `unlimited` */
	bool unlimited;		/* a limit above PACE_MAX_TOKENS: no pacing
				 * (an emulator with throttling off); only
				 * the throttle backoff applies */
	int64_t window_ms;
	int64_t blocked_until;	/* throttle backoff of the category */
	unsigned streak;	/* consecutive throttled answers */
};

/* 0, -EINVAL (n == 0, window <= 0) or -ENOMEM. n > PACE_MAX_TOKENS makes
 * an unlimited bucket (pace_take always succeeds unless throttled). */
int pace_init(struct pace_bucket *b, unsigned n, int64_t window_ms)
    ATTR_NODISCARD;
void pace_fini(struct pace_bucket *b);

/* Earliest time >= now at which a token can be taken (the block included);
 * PACE_IN_USE when every token belongs to a running attempt. */
int64_t pace_ready_at(const struct pace_bucket *b, int64_t now);

/* The same, when `keep` tokens must stay free after the take (the
 * reserve an ordinary client leaves to a priority one, rs_pacer.c). */
int64_t pace_ready_at_keep(const struct pace_bucket *b, int64_t now,
    unsigned keep);

/* Takes a token at `now`: its index, or -1 when none is free. */
int pace_take(struct pace_bucket *b, int64_t now);

/* The attempt holding `token` finished at `now`: it is free at now+window. */
void pace_release(struct pace_bucket *b, int token, int64_t now);

/* Gives a token back unused (the attempt never left this process). */
void pace_refund(struct pace_bucket *b, int token);

/*
 * Exponential backoff with "equal jitter": the ceiling of attempt k
 * (k = 0, 1, ...) is d = min(cap, base * 2^k), and the delay is uniform in
 * [d/2, d]. pace_backoff_bounds() gives the interval (pure);
 * pace_backoff() draws from it with libsodium's randombytes_uniform().
 */
void pace_backoff_bounds(int64_t base_ms, int64_t cap_ms, unsigned attempt,
    int64_t *lo /* OUT */, int64_t *hi /* OUT */);
int64_t pace_backoff(int64_t base_ms, int64_t cap_ms, unsigned attempt);

/* Throttle backoff of a category whose window is `window_ms`: base
 * window/4 (at least 250 ms), cap two windows. */
void pace_throttled(struct pace_bucket *b, int64_t now);
/* A non-throttled answer in the category ends the streak. */
void pace_unthrottled(struct pace_bucket *b);

/* ---------------------------------------------------------------------
 * rs_pacer.c: the buckets of one budget, locked, shared by clients
 * (target.h has the public part).
 */
int64_t rs_pacer_ready_at(struct rs_pacer *p, const enum rs_category *cats,
    int n, bool prio, int64_t now);
/* A priority client's request entered (+1) or left (-1) its queue: while
 * any waits, ordinary clients take no token in its categories. */
void rs_pacer_demand(struct rs_pacer *p, const enum rs_category *cats,
    int n, int delta);
/* Takes a token of every category in cats[0..n) or none: true when taken
 * (tokens[] set), false (tokens[] -1) when one is not ready. */
bool rs_pacer_take(struct rs_pacer *p, const enum rs_category *cats, int n,
    bool prio, int64_t now, int tokens[2]);
void rs_pacer_release(struct rs_pacer *p, const enum rs_category *cats,
    int n, int tokens[2], int64_t now);
void rs_pacer_refund(struct rs_pacer *p, const enum rs_category *cats,
    int n, int tokens[2]);
/* Records an answer (throttled or not; `answered` false for a transport
 * failure, which says nothing about throttling); returns the streak of
 * cats[0]. */
unsigned rs_pacer_answer(struct rs_pacer *p, const enum rs_category *cats,
    int n, bool throttled, bool answered, int64_t now);

/* ---------------------------------------------------------------------
 * http.c: escaping, form encoding, URL checks, libcurl result mapping.
 */

/* Appends `len` bytes of `s` percent-encoded: everything but the RFC 3986
 * unreserved characters (and '@' when `path` is true) becomes %XX. */
int http_escape(struct buf *b, const char *s, size_t len, bool path)
    ATTR_NODISCARD;

/* Appends "name=value" (with a leading '&' unless `b` is empty). */
int http_form_add(struct buf *b, const char *name, const char *value,
    size_t vlen) ATTR_NODISCARD;

/* True for a form field name we are willing to send: [A-Za-z0-9_.-]. */
bool http_field_name_ok(const char *name);

/*
 * Checks an api_url: absolute http(s) URL without user info, query or
 * fragment; plain http only for a loopback host (127.0.0.0/8, ::1,
 * localhost). Returns 0, or -ADSYNC_ECONFIG with a sentence in `why`.
 */
int http_url_check(const char *url, char *why, size_t whylen);

/* True for the libcurl results that mean the request never left this
 * host (no connection), so even a POST may be sent again. */
bool http_curl_not_sent(int curlcode);

/* Maps a libcurl result to -ADSYNC_ETLS / ETIMEOUT / ETRANSPORT. */
int http_curl_error(int curlcode);

/*
 * True when a TLS failure (a libcurl result http_curl_error() maps to
 * -ADSYNC_ETLS) is the connection being cut during the handshake, as when
 * the server restarts, rather than a problem of configuration (a wrong CA
 * or host name, a plain-HTTP port): `msg` is libcurl's error text
 * ("Recv failure: Connection reset by peer", "SSL_ERROR_SYSCALL",
 * "unexpected eof while reading"). Pure.
 */
bool http_curl_reset(int curlcode, const char *msg);

/* ---------------------------------------------------------------------
 * rs_error.c: reply decoding.
 */

/*
 * Decodes a non-success answer: `status`, the x-error-message header value
 * `xmsg` (NULL when absent) and the body (may be empty, JSON or not) into
 * `e`, and returns e->code. Pure. Mapping (rackspace-api.md §3, §6):
 * 403 "Exceeded request limits" (exact) -> ETHROTTLED, other 403/401 ->
 * EAUTH, 404 -> ENOTFOUND, 409 or "already exist" -> ECONFLICT,
 * "Mailbox limit exceeded" -> ELIMIT, other 4xx -> EVALIDATION,
 * 5xx -> ESERVER, anything else -> EPROTO.
 */
int rs_error_decode(long status, const char *xmsg, const char *body,
    size_t len, struct rs_error *e);

/* Sets `e` from a code and a printf message (no HTTP answer). Returns code. */
int rs_error_set(struct rs_error *e, int code, const char *fmt, ...)
    ATTR_PRINTF(3, 4);

/*
 * The core's prefix of the message of -ADSYNC_EUNKNOWN: "outcome of POST
 * unknown: " and the cause's message.
 */
#define RS_UNKNOWN_PREFIX "outcome of "
#define RS_UNKNOWN_SEP " unknown: "

/*
 * A create whose outcome was unknown (`e`: -ADSYNC_EUNKNOWN with its
 * cause) was looked up after its last POST and is not there: the outcome
 * is known now. `e` gets the cause's code back (-ADSYNC_ESERVER ...) and
 * the message "<the cause's message>; not created (looked up after each
 * of N attempts)", without the "outcome of POST unknown" prefix.
 */
void rs_error_not_created(struct rs_error *e, unsigned attempts);

/* Copies `src` (len bytes) into out[outlen] replacing control characters
 * and truncating. Always NUL-terminates. */
void rs_error_copy_text(char *out, size_t outlen, const char *src,
    size_t len);

/* ---------------------------------------------------------------------
 * rs_json.c: decoding helpers over jansson.
 */

/* Parses a body that must be a JSON object; owned result or NULL. */
json_t *rs_json_parse_object(const char *body, size_t len);

/*
 * Whether a success answer to a write (POST, PUT, DELETE) is the API's:
 * the API answers writes with an empty body or JSON. A body that is not
 * JSON, or an HTML one (`ctype`, the Content-Type, may be NULL), comes
 * from something between us and the API (a proxy's or captive portal's
 * page), and says nothing about whether the write was made. Pure.
 */
bool rs_json_write_answer_ok(const char *body, size_t len,
    const char *ctype);

/* Renames applied while flattening a read into a record. */
struct rs_json_rename {
	const char *from;
	const char *to;
};

/*
 * Flattens the JSON object `o` into `r`: scalars become strings (null and
 * "" -> "", booleans "true"/"false", numbers decimal), nested objects named
 * in `lift` (NULL-terminated, e.g. "contactInfo") are lifted to the top
 * level, arrays of strings become CSV, other arrays and objects are left
 * out. Keys are renamed through `ren` (may be NULL; {NULL,NULL}-ended).
 * 0 or -ADSYNC_EPROTO / -ADSYNC_ETOOBIG / -ENOMEM.
 */
int rs_json_flatten(json_t *o, const char *const *lift,
    const struct rs_json_rename *ren, struct rs_record *r) ATTR_NODISCARD;

/* Appends the string value of scalar `v` to `b` per the rules above.
 * Returns 1 if appended, 0 if `v` is not a scalar, or negative. */
int rs_json_scalar(const json_t *v, struct buf *b);

/* ---------------------------------------------------------------------
 * rs_op.c: helpers shared by the typed operations.
 */

/*
 * Builds the request for /customers/{customer}/domains/{dom}/{s1}[/{s2}
 * [/{s3}[/{s4}]]] (raw segments, escaped here; trailing NULLs end the
 * list) with optional raw `query`. NULL with *errp on failure.
 */
struct rs_request *rs_op_request(struct rs_client *c, enum rs_method m,
    const char *dom, const char *query, const char *s1, const char *s2,
    const char *s3, const char *s4, int *errp);

/* Adds every field of `rec` to a form request; refuses "password". */
int rs_op_form_record(struct rs_request *req, const struct rs_record *rec)
    ATTR_NODISCARD;

/* Calls and discards the body: for writes. */
int rs_op_write(struct rs_client *c, struct rs_request *req,
    struct rs_response *resp /* OUT, may be NULL */, struct rs_error *err);

/* A show: GET, parse as an object, hand to `decode`. */
typedef int rs_op_decode_fn(const char *json, size_t len,
    struct rs_record *out);
int rs_op_show(struct rs_client *c, struct rs_request *req,
    rs_op_decode_fn *decode, struct rs_record *out, struct rs_error *err);

/*
 * Offset paging (rackspace-api.md §4.2): GETs `base` (segments after the
 * domain, e.g. "rs","mailboxes") with size=250 and offset=0, 250, ...
 * while offset < total; each element of the array `key` is flattened
 * (lifting `lift`) into a new record of `out`. `extra` is a raw query
 * appended to each page (may be NULL). A domain-level index has dom NULL.
 */
int rs_op_list_offset(struct rs_client *c, const char *dom, const char *s1,
    const char *s2, const char *extra, const char *key,
    struct rs_records *out, struct rs_error *err);

/*
 * A create that is never sent twice blindly: sends `post` (taken); if the
 * outcome is unknown (transport error, timeout or 5xx after sending),
 * asks `exists(c, arg, err)`: 1 present -> success, 0 certainly absent ->
 * send a copy of the request again (up to max_retries), negative -> give
 * up with -ADSYNC_EUNKNOWN.
 */
typedef int rs_op_exists_fn(struct rs_client *c, void *arg,
    struct rs_error *err);
int rs_op_create(struct rs_client *c, struct rs_request *post,
    rs_op_exists_fn *exists, void *arg, struct rs_error *err);

/*
 * The same, for a create of which `sent` POSTs were made already (0: none,
 * as rs_op_create; >= 1: the last failed with -ADSYNC_EUNKNOWN, which
 * `err` holds, so it starts with the lookup). The POSTs in all, those
 * already sent included, are at most 1 + max_retries; a lookup that finds
 * nothing after the last one ends with rs_error_not_created().
 */
int rs_op_create_from(struct rs_client *c, struct rs_request *post,
    unsigned sent, rs_op_exists_fn *exists, void *arg,
    struct rs_error *err);

/*
 * Marker paging (distribution lists, rackspace-api.md §4.3): the markers
 * seen so far, to stop at one the server names a second time (a loop).
 */
struct rs_op_marks {
	char **v;		/* owned, sorted (strcmp) */
	size_t n;
	size_t cap;
};
void rs_op_marks_init(struct rs_op_marks *m);
void rs_op_marks_fini(struct rs_op_marks *m);

/*
 * Checks the next marker a page of `rows` rows names (`next`, NULL or ""
 * when it names none): 1 when the index goes on with `next` (remembered),
 * 0 when this was the last page, or -ADSYNC_EPROTO with a sentence in
 * `why` when the server contradicts itself: an empty page that names a
 * next marker, or a marker it named before (following either would loop
 * until the page limit). -ENOMEM. Pure.
 */
int rs_op_marker_next(struct rs_op_marks *m, size_t rows, const char *next,
    char *why, size_t whylen);

/*
 * Operations shared by every resource at
 * /customers/{customer}/domains/{dom}/{s1}/{s2}/{name}, e.g. s1 "rs" and s2
 * "mailboxes": the Rackspace Email and Exchange variants differ only in the
 * path, so one implementation serves both. Arguments are borrowed.
 *
 * rs_op_add: a create (POST) of the flat `fields` (may be NULL), the
 * password when `password` is not NULL (checked against the service rule
 * first; a weak one never reaches the network), and one more field
 * `extra_name`=`extra_value` when extra_name is not NULL; never resent
 * blindly (see rs_op_create, which gets `exists` and `arg`).
 * rs_op_edit: PUT of the flat `fields` ("password" is refused).
 * rs_op_set_password: PUT of the password, checked against the rule first.
 * rs_op_set_enabled: PUT enabled=true|false.
 * rs_op_delete: DELETE; a retried DELETE that then finds nothing counts as
 * done, because the lost first attempt did the work.
 */
int rs_op_add(struct rs_client *c, const char *dom, const char *s1,
    const char *s2, const char *name, const struct rs_record *fields,
    const struct secret *password, const char *extra_name,
    const char *extra_value, rs_op_exists_fn *exists, void *arg,
    struct rs_error *err);
int rs_op_edit(struct rs_client *c, const char *dom, const char *s1,
    const char *s2, const char *name, const struct rs_record *fields,
    struct rs_error *err);
int rs_op_set_password(struct rs_client *c, const char *dom, const char *s1,
    const char *s2, const char *name, const struct secret *password,
    struct rs_error *err);
int rs_op_set_enabled(struct rs_client *c, const char *dom, const char *s1,
    const char *s2, const char *name, bool enabled, struct rs_error *err);
int rs_op_delete(struct rs_client *c, const char *dom, const char *s1,
    const char *s2, const char *name, struct rs_error *err);

/* GET `req` (taken): 1 when it answers 2xx, 0 on 404, negative otherwise. */
int rs_op_exists_get(struct rs_client *c, struct rs_request *req,
    struct rs_error *err);

/* rs_client.c internals used by rs_op.c. */
unsigned rs_client_max_retries(const struct rs_client *c);

/* ---------------------------------------------------------------------
 * rs_request.c / rs_client.c: the request and its transfer state.
 */

enum rs_body_kind {
	RS_BODY_NONE,
	RS_BODY_FORM,
	RS_BODY_JSON
};

struct rs_request {
	enum rs_method method;
	enum rs_category cat;
	char *path;		/* owned, escaped, may include "?query" */
	struct buf body;	/* request body; wiped on free */
	enum rs_body_kind kind;

	/* Below: state owned by rs_client.c while the request is queued. */
	rs_done_fn *done;
	void *arg;
	unsigned long id;	/* per client, from 1: "req=" in log lines,
				 * so every attempt of one request greps
				 * together */
	struct rs_request *next;	/* queue link */
	int64_t not_before;	/* ms: retry backoff */
	int64_t queued_at;	/* ms: for the paced_ms statistic */
	unsigned attempts;	/* sent attempts */
	unsigned retries;	/* transport/5xx retries */
	unsigned throttles;	/* throttled answers */
	bool uncertain;		/* an attempt may have been processed */
	int tokens[2];		/* tokens held by the running attempt */
	struct rs_xfer *xfer;	/* running attempt, or NULL */
};

/* Whether the request may be sent again after its outcome became unknown
 * (GET, PUT, DELETE) — rackspace-api.md §1.2 and docs/target.md. */
bool rs_request_idempotent(const struct rs_request *req);

#endif
