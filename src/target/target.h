/*
 * target: the client of the Rackspace Email / Hosted Exchange v1 REST API
 * (docs/rackspace-api.md, docs/target.md). It signs, sends, paces and
 * retries requests and decodes replies into typed errors and flat records;
 * it never decides *what* to change (that is the sync engine's job).
 *
 * Threads: a struct rs_client and everything made from it belong to one
 * owning thread (the API pusher). There are no globals but the
 * process-wide API counters (rs_metrics_*, atomics); curl_global_init()
 * and sodium_init() must have been called once by main before any thread
 * starts (docs/style.md §3).
 *
 * Trust: every byte from the API is untrusted: bodies are bounded
 * (RS_BODY_MAX), JSON is decoded defensively, header text is sanitised
 * before it reaches an error message. Nothing here logs a body, a password,
 * the secret key or the X-Api-Signature.
 *
 * Layers, bottom up:
 *  1. requests (struct rs_request) and the asynchronous core:
 *     rs_client_submit() + rs_client_run(), with libcurl multi, connection
 *     reuse, up to max_in_flight transfers, per-category pacing, backoff
 *     and retries; rs_client_call() is the synchronous wrapper;
 *  2. records (struct rs_record): an object as named string fields, the
 *     same names on read and write, so the engine can diff them;
 *  3. typed operations, one file per resource: rs_domain_*, rs_mailbox_*,
 *     rs_alias_*, ex_mailbox_*, ex_contact_*, ex_dl_*. They are synchronous.
 *
 * Error convention: functions return 0 or a negative code (-ADSYNC_E*,
 * -errno). Functions that talk to the API also fill a caller-provided
 * struct rs_error (which may be NULL) with the details of a failure.
 */
#ifndef ADSYNC_TARGET_H
#define ADSYNC_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attributes.h"
#include "conf.h"
#include "secret.h"

struct rs_client;
struct rs_request;

/* Largest response body we accept; larger ones fail with ADSYNC_ETOOBIG. */
#define RS_BODY_MAX (8 * 1024 * 1024)
/* Largest request body (a distribution list with many members fits). */
#define RS_REQ_BODY_MAX (1024 * 1024)
/* Largest request path including the query string. */
#define RS_PATH_MAX 2048
/* Offset paging: the API's maximum page size (rackspace-api.md §4.2). */
#define RS_PAGE_SIZE 250
/* Marker paging of distribution lists: the maximum page (§4.3). */
#define RS_DL_PAGE_SIZE 100
/* Bounds of decoded data, enforced before allocating. */
#define RS_RECORD_MAX_FIELDS 256
#define RS_FIELD_NAME_MAX 64
#define RS_FIELD_VALUE_MAX (64 * 1024)
#define RS_RECORDS_MAX 1000000
/* Password length bounds (rackspace-api.md §7; the maximum is ours). */
#define RS_PASSWORD_MIN 8
#define RS_PASSWORD_MAX 256

/*
 * A failure, decoded. `code` is the negative error code that the function
 * also returned; the text fields are NUL-terminated and sanitised (no
 * control characters), and never contain a body, a password or the
 * signature.
 */
struct rs_error {
	int code;		/* -ADSYNC_E*, or 0 when there was no error */
	long http_status;	/* 0 when no HTTP answer was received */
	char fault[32];		/* e.g. "itemNotFoundFault"; "" if none */
	char message[512];	/* the server's message, or ours */
	char resource_type[32];	/* itemNotFoundFault.resourceType */
	bool is_recoverable;	/* a deleted object can still be recovered */
	unsigned attempts;	/* how many times the request was sent */
	/* With code -ADSYNC_EUNKNOWN: what made the outcome unknown
	 * (-ADSYNC_ESERVER, -ADSYNC_ETRANSPORT, -ADSYNC_ETIMEOUT, or
	 * -ADSYNC_EPROTO for a success answer that was not the API's);
	 * 0 otherwise. */
	int cause;
};

/* Empties `e` (code 0, empty strings). Accepts NULL. */
void rs_error_clear(struct rs_error *e);

/*
 * The message of what made the outcome unknown, for an -ADSYNC_EUNKNOWN
 * error (its message without the "outcome of POST unknown: " the client
 * puts before it); any other error's message. Borrowed from `e`.
 */
const char *rs_error_cause_message(const struct rs_error *e);

/*
 * Formats `e` for a person: "not found (HTTP 404 itemNotFoundFault):
 * Mailbox not found" into `out` (always NUL-terminated). Returns `out`.
 */
const char *rs_error_format(const struct rs_error *e, char *out,
    size_t outlen);

/* ---------------------------------------------------------------------
 * Requests and the asynchronous core (rs_request.c, rs_client.c)
 */

enum rs_method {
	RS_GET,
	RS_POST,
	RS_PUT,
	RS_DELETE
};

/*
 * Pacing categories (rackspace-api.md §3.1). A domain write also spends a
 * write token, because the server's categories may overlap.
 */
enum rs_category {
	RS_CAT_READ,
	RS_CAT_WRITE,
	RS_CAT_DOMAIN_WRITE,
	RS_CAT_COUNT
};

/*
 * Makes a request for `path`, which is appended to the configured api_url
 * as it is: it must start with '/', may carry a query string, and must
 * already be percent-encoded (typed operations escape names for you;
 * rs_request_path_new() builds escaped paths). The category follows from
 * the method and path (see rs_request_category()). Returns an owned
 * request, or NULL with *errp (may be NULL) set to -ADSYNC_EPARSE for a bad
 * path, -ADSYNC_ETOOBIG for a long one, or -ENOMEM.
 */
struct rs_request *rs_request_new(enum rs_method method, const char *path,
    int *errp);

/*
 * Builds "/seg1/seg2/..." from `n` raw segments, percent-encoding each, and
 * makes a request for it with an optional raw query string `query` (without
 * '?', may be NULL). Segments must be non-empty and not "." or "..".
 * Same returns as rs_request_new().
 */
struct rs_request *rs_request_path_new(enum rs_method method,
    const char *const *segments, size_t n, const char *query, int *errp);

/* Releases a request that was not submitted; wipes its body. Accepts NULL. */
void rs_request_free(struct rs_request *req);

/* Returns an owned copy (body included), or NULL on allocation failure. */
struct rs_request *rs_request_dup(const struct rs_request *req);

/*
 * Adds one form field (application/x-www-form-urlencoded). `name` must be
 * 1..RS_FIELD_NAME_MAX characters [A-Za-z0-9_.-]; the field "password" is
 * refused here (use rs_request_form_add_secret). Both are copied.
 * Returns 0, -ADSYNC_EPARSE, -ADSYNC_ETOOBIG or -ENOMEM. A request has
 * either a form body or a JSON body.
 */
int rs_request_form_add(struct rs_request *req, const char *name,
    const char *value) ATTR_NODISCARD;

/*
 * Adds a form field whose value is a secret (a password). The secret is
 * borrowed for the call; its encoded copy lives in the request body, which
 * is wiped when the request is freed (after it was sent). Same returns.
 */
int rs_request_form_add_secret(struct rs_request *req, const char *name,
    const struct secret *value) ATTR_NODISCARD;

/*
 * Sets a JSON body of `len` bytes (copied), sent as application/json; used
 * for distribution lists. Returns 0, -ADSYNC_ETOOBIG or -ENOMEM.
 */
int rs_request_json_set(struct rs_request *req, const char *json,
    size_t len) ATTR_NODISCARD;

/* The request's method, category and path (borrowed, valid until free). */
enum rs_method rs_request_method(const struct rs_request *req);
enum rs_category rs_request_category(const struct rs_request *req);
const char *rs_request_path(const struct rs_request *req);

/* "GET", "POST", ...; static. */
const char *rs_method_name(enum rs_method method);

/*
 * The outcome of a request that received an HTTP success answer
 * (200, 201, 202 or 204).
 */
struct rs_response {
	long http_status;
	char *body;		/* owned; NUL-terminated; "" when empty */
	size_t body_len;
	/* An earlier attempt of this request failed in a way that leaves its
	 * effect unknown (transport error or 5xx after sending): e.g. a
	 * retried DELETE that now answers 404 probably succeeded before. Also
	 * set in failed callbacks, see rs_done_fn. */
	bool uncertain;
	unsigned attempts;	/* times sent, throttled attempts included */
};

/* Frees resp->body; accepts NULL. */
void rs_response_fini(struct rs_response *resp);

/*
 * Completion callback, called from rs_client_run() (or rs_client_free(),
 * with -ADSYNC_ECANCELED) exactly once per submitted request. On success
 * `err` is NULL and `resp` holds the answer; on failure `err` holds the
 * decoded error and resp->body is empty (resp->uncertain still tells
 * whether an earlier attempt may have been processed). `resp` is borrowed
 * for the call; the callback may take resp->body by setting it to NULL.
 * The callback may submit new requests; it must not free the client nor
 * call rs_client_run() or rs_client_call() (no re-entry).
 */
typedef void rs_done_fn(void *arg, struct rs_response *resp,
    const struct rs_error *err);

/*
 * Makes a client from `conf` (borrowed; values are copied): checks the URL
 * (https, or http only for a loopback host), the user key and the limits,
 * and loads the secret key with secret_load_file(). Returns 0 and *out
 * (owned; free with rs_client_free), or -ADSYNC_ECONFIG / -ADSYNC_ESECRET /
 * -ENOMEM with a sentence naming the problem and the fix in `why`.
 */
int rs_client_new(const struct conf_rackspace *conf,
    struct rs_client **out /* OUT */, char *why, size_t whylen)
    ATTR_NODISCARD;

/*
 * A throttle budget two clients can share (rs_pacer.c): made from the
 * limits of `conf`; with `reserve`, ordinary clients leave a tenth of
 * each category to priority ones. Reference counted; 0 or -ENOMEM.
 */
struct rs_pacer;
int rs_pacer_new(const struct conf_rackspace *conf, bool reserve,
    struct rs_pacer **out /* OUT */) ATTR_NODISCARD;
struct rs_pacer *rs_pacer_ref(struct rs_pacer *p);
void rs_pacer_unref(struct rs_pacer *p);
/* A priority client about to send writes (+1) or done (-1): ordinary
 * clients take no write token meanwhile, as while its requests wait. */
void rs_pacer_hold_writes(struct rs_pacer *p, int delta);
/*
 * Makes `c` pace with `p` (a reference is taken) instead of its own
 * budget; `priority` lets it use the reserve. Only before the client's
 * first request. Any number of clients on any threads may share `p`.
 */
void rs_client_share_pacer(struct rs_client *c, struct rs_pacer *p,
    bool priority);

/*
 * Cancels pending requests (their callbacks run with -ADSYNC_ECANCELED),
 * closes connections, wipes the secret and frees. Accepts NULL.
 */
void rs_client_free(struct rs_client *c);

/* The customer segment ("me" or an account number); borrowed. */
const char *rs_client_customer(const struct rs_client *c);

/*
 * Queues `req` (ownership taken, also on failure) to be paced, signed, sent
 * and retried; `done(arg, ...)` runs once from rs_client_run(). Returns 0,
 * or -EINVAL when `done` is NULL (the request is freed).
 */
int rs_client_submit(struct rs_client *c, struct rs_request *req,
    rs_done_fn *done, void *arg);

/*
 * Drives transfers, timers, pacing and retries: waits at most
 * `timeout_ms` (0 = do not wait) for something to happen, handles it, and
 * runs the callbacks of finished requests. Returns the number of requests
 * still pending (queued, waiting or in flight), or a negative code when
 * libcurl itself fails.
 */
int rs_client_run(struct rs_client *c, int timeout_ms);

/* Requests submitted and not yet completed. */
size_t rs_client_pending(const struct rs_client *c);

/*
 * Completes every request still waiting in the queue (never sent) with
 * -ADSYNC_ECANCELED: their callbacks run now, from this call. Requests in
 * flight go on. For a shutdown that must not start anything new. Owning
 * thread.
 */
void rs_client_cancel_queued(struct rs_client *c);

/*
 * Makes a rs_client_run() that waits, in the owning thread, return at once
 * (or the next one, if none waits now). The one function any thread may
 * call: a thread that hands work to the owner calls it after queuing.
 */
void rs_client_wakeup(struct rs_client *c);

/*
 * Synchronous wrapper: submits `req` (ownership taken) and runs the client
 * until it completes (other pending requests make progress meanwhile and
 * their callbacks run). Returns 0 and fills *resp (may be NULL; caller
 * finalises it with rs_response_fini), or a negative code with `err`
 * (may be NULL) filled; on failure *resp is still filled with
 * `uncertain` and `attempts`, and its body is NULL (nothing to finalise).
 */
int rs_client_call(struct rs_client *c, struct rs_request *req,
    struct rs_response *resp /* OUT */, struct rs_error *err);

/* Counters since rs_client_new(), for tests, logs and benchmarks. */
struct rs_client_stats {
	unsigned long sent[RS_CAT_COUNT];	/* attempts, by category */
	unsigned long throttled;	/* 403 "Exceeded request limits" */
	unsigned long retried;		/* transport/5xx retries */
	unsigned long succeeded;	/* requests completed with success */
	unsigned long failed;		/* requests completed with an error */
	unsigned long waited_ms;	/* total time requests spent queued
					 * (pacing, backoff, in-flight cap) */
	unsigned long connects;		/* new connections opened (the rest
					 * of the attempts reused one) */
};
void rs_client_stats(const struct rs_client *c,
    struct rs_client_stats *out /* OUT */);

/* ---------------------------------------------------------------------
 * Process-wide API counters (rs_metrics.c), for the daemon's metrics
 * (docs/daemon.md "Metrics"): every rs_client of the process adds to them
 * (the engine's, its pusher's, the password sync's), so they say what the
 * process did to the API whichever thread did it. They are the module's
 * one piece of global state: lock-free atomic counters that only grow
 * from the process's start, updated with relaxed ordering (each is exact;
 * a snapshot taken while requests run may show one counter a step ahead of
 * another). Any thread may call any of these.
 */

/* HTTP statuses counted one by one: 0 (no answer) .. 999. */
#define RS_METRICS_STATUS_MAX 1000

struct rs_metrics {
	/* Attempts that ended, by the HTTP status of their answer; [0]: no
	 * answer (a transport failure: connect, TLS, timeout, reset). */
	unsigned long answers[RS_METRICS_STATUS_MAX];
	unsigned long sent[RS_CAT_COUNT];	/* attempts, by category */
	unsigned long throttled;	/* 403 "Exceeded request limits" */
	unsigned long retried;		/* transport/5xx retries */
	unsigned long waited_ms;	/* time attempts spent queued (pacing,
					 * backoff, the in-flight cap) */
	unsigned long waits;		/* attempts whose wait was counted */
};

/* The counters now into *out. */
void rs_metrics_snapshot(struct rs_metrics *out /* OUT */);

/* An attempt of category `cat` was sent after `waited_ms` in the queue. */
void rs_metrics_attempt(enum rs_category cat, int64_t waited_ms);
/* An attempt ended with HTTP `status` (0: no answer; out of range: not
 * counted). */
void rs_metrics_answer(long status);
void rs_metrics_throttled(void);
void rs_metrics_retried(void);

/* ---------------------------------------------------------------------
 * Records (rs_record.c) and string lists (rs_strlist.c)
 *
 * A record is an object as (name, value) string pairs, in the order first
 * set. Names are the API's *write* names: reads are flattened (contactInfo
 * is lifted to the top level), `null` and "" both become "", booleans are
 * "true"/"false", numbers decimal, and list values are comma-separated
 * (emailForwardingAddressList becomes emailForwardingAddresses). So a
 * record read from the API can be compared field by field with the record
 * the engine wants to write.
 */

struct rs_field {
	char *name;	/* owned */
	char *value;	/* owned, never NULL; "" = unset */
};

struct rs_record {
	struct rs_field *v;	/* owned array */
	size_t n;
	size_t cap;
};

struct rs_records {
	struct rs_record *v;	/* owned array */
	size_t n;
	size_t cap;
};

void rs_record_init(struct rs_record *r);
/* Frees every field; the record is empty and can be reused. */
void rs_record_fini(struct rs_record *r);

/*
 * Sets `name` to `value` (both copied; NULL value = ""), replacing an
 * earlier value. Returns 0, -ADSYNC_EPARSE (bad name), -ADSYNC_ETOOBIG
 * (more than RS_RECORD_MAX_FIELDS fields or a value over
 * RS_FIELD_VALUE_MAX) or -ENOMEM.
 */
int rs_record_set(struct rs_record *r, const char *name, const char *value)
    ATTR_NODISCARD;

/* The value of `name`, borrowed until the record changes; NULL if absent. */
const char *rs_record_get(const struct rs_record *r, const char *name);

/* Removes `name` if present. */
void rs_record_del(struct rs_record *r, const char *name);

/* Copies `src` into the empty, initialised `dst`. 0 or -ENOMEM. */
int rs_record_copy(struct rs_record *dst, const struct rs_record *src)
    ATTR_NODISCARD;

void rs_records_init(struct rs_records *rs);
void rs_records_fini(struct rs_records *rs);
/* Appends an empty record; returns it (borrowed), or NULL on ENOMEM or past
 * RS_RECORDS_MAX (*errp says which; may be NULL). */
struct rs_record *rs_records_add(struct rs_records *rs, int *errp);

/* A list of owned strings. */
struct rs_strlist {
	char **v;	/* owned array of owned strings */
	size_t n;
	size_t cap;
};

void rs_strlist_init(struct rs_strlist *l);
void rs_strlist_fini(struct rs_strlist *l);
/* Appends a copy of `s`. 0 or -ENOMEM / -ADSYNC_ETOOBIG. */
int rs_strlist_add(struct rs_strlist *l, const char *s) ATTR_NODISCARD;
/* True when `s` is in the list, compared without regard to ASCII case
 * (addresses and names are case-insensitive in the API). */
bool rs_strlist_has(const struct rs_strlist *l, const char *s);
/* Appends a copy of `s` unless rs_strlist_has() finds it. Same returns as
 * rs_strlist_add(). */
int rs_strlist_add_new(struct rs_strlist *l, const char *s) ATTR_NODISCARD;
/* Removes and frees every item equal to `s` without regard to ASCII case. */
void rs_strlist_remove(struct rs_strlist *l, const char *s);
/* Appends a copy of each string of `add` that `l` (or an earlier one of
 * `add`) does not have yet, in order, compared without regard to case;
 * linear time. Same returns as rs_strlist_add() (the ones before a failure
 * stay appended). */
int rs_strlist_add_all_new(struct rs_strlist *l,
    const struct rs_strlist *add) ATTR_NODISCARD;
/* Removes every string of `rm` from `l` (without regard to case); linear
 * time. 0 or -ENOMEM (then `l` is unchanged). */
int rs_strlist_remove_all(struct rs_strlist *l,
    const struct rs_strlist *rm) ATTR_NODISCARD;
/* Splits a comma-separated value, trimming blanks and dropping empty
 * items, into the empty list `l`. 0 or -ENOMEM / -ADSYNC_ETOOBIG. */
int rs_strlist_from_csv(struct rs_strlist *l, const char *csv)
    ATTR_NODISCARD;
/* Joins into an owned "a,b,c" (free() it); NULL on ENOMEM. */
char *rs_strlist_join(const struct rs_strlist *l);

/* ---------------------------------------------------------------------
 * Password rule (rs_password.c), rackspace-api.md §7: at least 8
 * characters from at least 3 of 4 classes (upper case, lower case, digit,
 * other; a non-ASCII character counts as "other").
 */

/*
 * Checks `len` bytes of `pw` (counted as UTF-8 characters). Pure. Returns 0,
 * or -ADSYNC_EVALIDATION with a sentence in `why` (never containing the
 * password).
 */
int rs_password_check(const char *pw, size_t len, char *why, size_t whylen);

/* The same check for a secret; fills `err` (may be NULL) on failure. */
int rs_password_check_secret(const struct secret *pw, struct rs_error *err);

/* ---------------------------------------------------------------------
 * Typed operations. All are synchronous, take a domain name `dom` and an
 * object name as the API knows them (raw: escaping is done here), borrow
 * their arguments, and return 0 or a negative code with `err` filled.
 * Index operations page through everything and append one record per row
 * to `out` (initialised by the caller; on failure it holds what was read
 * so far, which the caller must discard). Show operations fill the empty,
 * initialised record `out`.
 *
 * Creates (POST) never resend blindly: when the outcome of a create is
 * unknown (reply lost, timeout, 5xx) the object is looked up, and "found"
 * counts as created; the create is repeated only when the object is
 * certainly absent. Passwords are checked with rs_password_check() first;
 * a weak one fails with -ADSYNC_EVALIDATION and never reaches the network.
 */

/*
 * Prepared writes (rs_write.c): the request that rs_mailbox_add,
 * ex_mailbox_add, ex_contact_add (m = RS_POST) or rs_mailbox_edit,
 * ex_mailbox_edit, ex_contact_edit (m = RS_PUT) would send, built without
 * sending, so that a caller can submit many through rs_client_submit().
 * `svc` is "rs" or "ex", `coll` "mailboxes" or "contacts"; `password` may
 * be NULL (PUT: never give one; use *_set_password). The caller then owns
 * what the synchronous calls do for it: a POST failing with
 * -ADSYNC_EUNKNOWN (reply lost) must be looked up (the *_show calls) before
 * it is sent again. 0 and *out (owned), or a negative code with `err`.
 */
int rs_write_prepare(struct rs_client *c, enum rs_method m, const char *dom,
    const char *svc, const char *coll, const char *name,
    const struct rs_record *fields, const struct secret *password,
    struct rs_request **out /* OUT */, struct rs_error *err) ATTR_NODISCARD;

/*
 * The request *_set_password sends (PUT password=... on mailbox `name` of
 * service `svc`, "rs" or "ex"), built without sending, so that a caller
 * can submit many at once through rs_client_submit(): the password sync
 * of the daemon, whose queued requests are its demand on a shared pacer.
 * The rule is checked first (-ADSYNC_EVALIDATION, nothing built). 0 and
 * *out (owned; the encoded password in it is wiped when it is freed).
 */
int rs_password_prepare(struct rs_client *c, const char *dom, const char *svc,
    const char *name, const struct secret *password,
    struct rs_request **out /* OUT */, struct rs_error *err) ATTR_NODISCARD;

/*
 * Settles a create whose outcome is unknown, so that it is never sent
 * twice blindly: `sent` (>= 1) POSTs of it were made already, the last
 * one failing with -ADSYNC_EUNKNOWN, whose error `err` holds on entry.
 * The object {svc}/{coll}/{name} of domain `dom` ("ex"/"rs",
 * "mailboxes", "contacts" or "distributionlists") is looked up: found ->
 * created (0); certainly absent -> `post` (taken: the same create, e.g.
 * from rs_write_prepare or ex_dl_prepare_create) is sent again and
 * settled the same way, as long as the POSTs in all stay within
 * 1 + max_retries; absent after the last one -> the create failed, and
 * `err` says why with its cause's code (the outcome is known: not
 * created); the lookup failed -> -ADSYNC_EUNKNOWN. A re-sent create
 * answered "already exists" counts as created (our earlier copy, late).
 */
int rs_create_settle(struct rs_client *c, struct rs_request *post,
    unsigned sent, const char *dom, const char *svc, const char *coll,
    const char *name, struct rs_error *err);

/* Options of offset-paged index operations. */
struct rs_list_opts {
	const char *fields;	/* "?fields=" extras, e.g. "enabled,size" */
	int enabled;		/* -1 all (default), 0 disabled, 1 enabled */
};

/* rs_domain.c: GET /customers/{c}/domains; rows name, accountNumber,
 * serviceType. */
int rs_domain_list(struct rs_client *c, struct rs_records *out,
    struct rs_error *err);

/* rs_mailbox.c: Rackspace Email mailboxes (rackspace-api.md §5.1). */
int rs_mailbox_list(struct rs_client *c, const char *dom,
    const struct rs_list_opts *opts, struct rs_records *out,
    struct rs_error *err);
int rs_mailbox_show(struct rs_client *c, const char *dom, const char *name,
    struct rs_record *out, struct rs_error *err);
/* `fields` holds flat write fields ("size" is required by the API);
 * `password` is required. */
int rs_mailbox_add(struct rs_client *c, const char *dom, const char *name,
    const struct rs_record *fields, const struct secret *password,
    struct rs_error *err);
/* PUT of any subset of flat fields; "password" is refused here. */
int rs_mailbox_edit(struct rs_client *c, const char *dom, const char *name,
    const struct rs_record *fields, struct rs_error *err);
int rs_mailbox_set_password(struct rs_client *c, const char *dom,
    const char *name, const struct secret *password, struct rs_error *err);
int rs_mailbox_set_enabled(struct rs_client *c, const char *dom,
    const char *name, bool enabled, struct rs_error *err);
/* A DELETE retried after a lost reply that then answers 404 succeeds. */
int rs_mailbox_delete(struct rs_client *c, const char *dom, const char *name,
    struct rs_error *err);
/* POST with recoverDeleted=true (within 14 days of the delete). */
int rs_mailbox_recover(struct rs_client *c, const char *dom,
    const char *name, const struct secret *password, struct rs_error *err);
/* Decodes a Show body into the empty record `out`. Pure; for tests and
 * fuzzing. 0 or -ADSYNC_EPROTO / -ADSYNC_ETOOBIG / -ENOMEM. */
int rs_mailbox_decode(const char *json, size_t len, struct rs_record *out);

/* rs_alias.c: Rackspace Email aliases (§5.2). Members are full addresses;
 * Show gives them as the CSV field "aliasEmails". */
int rs_alias_list(struct rs_client *c, const char *dom,
    struct rs_records *out, struct rs_error *err);
int rs_alias_show(struct rs_client *c, const char *dom, const char *alias,
    struct rs_record *out, struct rs_error *err);
int rs_alias_add(struct rs_client *c, const char *dom, const char *alias,
    const struct rs_strlist *members, struct rs_error *err);
int rs_alias_replace(struct rs_client *c, const char *dom, const char *alias,
    const struct rs_strlist *members, struct rs_error *err);
int rs_alias_member_add(struct rs_client *c, const char *dom,
    const char *alias, const char *address, struct rs_error *err);
int rs_alias_member_remove(struct rs_client *c, const char *dom,
    const char *alias, const char *address, struct rs_error *err);
int rs_alias_delete(struct rs_client *c, const char *dom, const char *alias,
    struct rs_error *err);
int rs_alias_decode(const char *json, size_t len, struct rs_record *out);

/* ex_mailbox.c: Exchange mailboxes (§5.3). Show adds the read-only CSV
 * field "emailAddresses" (every address of emailAddressList) and
 * "primaryEmailAddress" (the replyTo one). Add requires "displayName" and
 * "size" in `fields`, and `password`. */
int ex_mailbox_list(struct rs_client *c, const char *dom,
    const struct rs_list_opts *opts, struct rs_records *out,
    struct rs_error *err);
int ex_mailbox_show(struct rs_client *c, const char *dom, const char *name,
    struct rs_record *out, struct rs_error *err);
int ex_mailbox_add(struct rs_client *c, const char *dom, const char *name,
    const struct rs_record *fields, const struct secret *password,
    struct rs_error *err);
int ex_mailbox_edit(struct rs_client *c, const char *dom, const char *name,
    const struct rs_record *fields, struct rs_error *err);
int ex_mailbox_set_password(struct rs_client *c, const char *dom,
    const char *name, const struct secret *password, struct rs_error *err);
int ex_mailbox_set_enabled(struct rs_client *c, const char *dom,
    const char *name, bool enabled, struct rs_error *err);
int ex_mailbox_delete(struct rs_client *c, const char *dom, const char *name,
    struct rs_error *err);
/* Alternate (proxy) addresses: `address` is a full address. */
int ex_mailbox_address_add(struct rs_client *c, const char *dom,
    const char *name, const char *address, struct rs_error *err);
int ex_mailbox_address_remove(struct rs_client *c, const char *dom,
    const char *name, const char *address, struct rs_error *err);
int ex_mailbox_decode(const char *json, size_t len, struct rs_record *out);

/* ex_contact.c: Exchange contacts (§5.4); fields displayName,
 * externalEmail (and whatever else the API accepts). */
int ex_contact_list(struct rs_client *c, const char *dom,
    struct rs_records *out, struct rs_error *err);
int ex_contact_show(struct rs_client *c, const char *dom, const char *name,
    struct rs_record *out, struct rs_error *err);
int ex_contact_add(struct rs_client *c, const char *dom, const char *name,
    const struct rs_record *fields, struct rs_error *err);
int ex_contact_edit(struct rs_client *c, const char *dom, const char *name,
    const struct rs_record *fields, struct rs_error *err);
int ex_contact_delete(struct rs_client *c, const char *dom, const char *name,
    struct rs_error *err);
int ex_contact_decode(const char *json, size_t len, struct rs_record *out);

/* ex_dl.c: Exchange distribution lists (§5.5), JSON bodies, marker paging.
 * Show gives "name", "displayName", ... plus the CSV fields "members"
 * (member names as the API returns them) and "emailAddresses". */
int ex_dl_list(struct rs_client *c, const char *dom, struct rs_records *out,
    struct rs_error *err);
int ex_dl_show(struct rs_client *c, const char *dom, const char *name,
    struct rs_record *out, struct rs_error *err);
/* `fields` may hold "displayName", "description", "primarySmtpAddress"
 * (NULL = none); `members` may be NULL. */
int ex_dl_create(struct rs_client *c, const char *dom, const char *name,
    const struct rs_record *fields, const struct rs_strlist *members,
    struct rs_error *err);
/* The requests ex_dl_create() and ex_dl_members_add/remove() send, built
 * without sending (see rs_write_prepare for what the caller then owns: a
 * lost create reply is looked up with ex_dl_show before any re-send).
 * 0 and *out (owned), or a negative code with `err`. */
int ex_dl_prepare_create(struct rs_client *c, const char *dom,
    const char *name, const struct rs_record *fields,
    const struct rs_strlist *members, struct rs_request **out /* OUT */,
    struct rs_error *err) ATTR_NODISCARD;
int ex_dl_prepare_members(struct rs_client *c, const char *dom,
    const char *name, const struct rs_strlist *members, bool add,
    struct rs_request **out /* OUT */, struct rs_error *err) ATTR_NODISCARD;
/* PUT of "displayName" and/or "description" from `fields`. */
int ex_dl_edit(struct rs_client *c, const char *dom, const char *name,
    const struct rs_record *fields, struct rs_error *err);
int ex_dl_members_add(struct rs_client *c, const char *dom, const char *name,
    const struct rs_strlist *members, struct rs_error *err);
int ex_dl_members_remove(struct rs_client *c, const char *dom,
    const char *name, const struct rs_strlist *members, struct rs_error *err);
int ex_dl_address_add(struct rs_client *c, const char *dom, const char *name,
    const char *address, struct rs_error *err);
int ex_dl_address_remove(struct rs_client *c, const char *dom,
    const char *name, const char *address, struct rs_error *err);
int ex_dl_delete(struct rs_client *c, const char *dom, const char *name,
    struct rs_error *err);
/* Provisioning errors of a list (the /errors sub-resource), one record per
 * entry. */
int ex_dl_errors(struct rs_client *c, const char *dom, const char *name,
    struct rs_records *out, struct rs_error *err);
int ex_dl_decode(const char *json, size_t len, struct rs_record *out);

#endif
