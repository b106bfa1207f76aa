/*
 * The emulated v1 API: one entry point, emu_api_process(), that takes a
 * fully received request (already cleared of Expect and size problems by
 * emu_http.c) and produces the reply. Order of checks: signature, throttle
 * (every signed call counts), route, method, Accept, query, account, body,
 * then the handler under the state lock in one transaction per write (a
 * failed write rolls back everything it did).
 *
 * The handlers live in emu_api.c (customer, domains, alternate domains),
 * emu_api_rs.c (RS mailboxes, aliases), emu_api_ex.c (EX mailboxes,
 * contacts) and emu_api_dl.c (distribution lists); the prototypes below are
 * grouped by defining file. Threads: MHD worker threads of the API
 * listener; the admin listener calls the *_show builders for its state
 * dump. Every request field is untrusted.
 */
#ifndef EMU_API_H
#define EMU_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "attributes.h"
#include "emu.h"
#include "emu_form.h"
#include "emu_resp.h"
#include "emu_route.h"
#include "emu_state.h"
#include "emu_valid.h"

/* One received API request, as emu_http.c hands it over. */
struct emu_call {
	const char *method;		/* borrowed */
	const char *target;		/* raw "path?query", borrowed */
	const char *signature;		/* X-Api-Signature or NULL */
	const char *user_agent;		/* or NULL */
	const char *accept;		/* or NULL */
	const char *content_type;	/* or NULL */
	const char *body;		/* borrowed, body_len bytes */
	size_t body_len;
	time_t now;			/* server clock */
	int64_t now_ms;			/* monotonic */
	/* Filled by emu_api_process() for the request log: */
	long user;			/* user index, -1 if not signed */
	unsigned stat_flags;		/* EMU_STAT_* */
	enum emu_route_kind route;
	json_t *logbody;		/* owned, redacted; or NULL */
};

/* A request being handled; everything is valid until the reply is built. */
struct emu_ctx {
	struct emu *e;
	struct emu_state *st;
	struct emu_call *c;
	struct emu_resp *r;
	struct emu_route rt;
	struct emu_domain dom;		/* when the route has a domain */
	long long account;		/* the signed user's account */
	bool get, post, put, del;
	struct emu_form q;		/* query string */
	struct emu_form f;		/* form body (empty for JSON) */
	json_t *json;			/* JSON body, or NULL */
	time_t now;
};

/* emu_api.c */

/* Handles `c`, filling `r` (initialised by the caller). */
void emu_api_process(struct emu *e, struct emu_call *c, struct emu_resp *r);

/* 500 appsFault for an internal error code. */
void emu_api_internal(struct emu_ctx *x, int err);
/* 409 appsFault "'NAME@DOMAIN' already exists." */
void emu_api_conflict(struct emu_ctx *x, const char *name);
/* 400 for an object name that emu_valid_name() refuses. */
void emu_api_bad_name(struct emu_ctx *x, const char *what, const char *name);
/* 400 "Unknown field: X" if a form field was not consumed; true if so. */
bool emu_api_unknown_field(struct emu_ctx *x);
/* Status 400 with the fault that matches error `err` from a parser:
 * validationFault for -ADSYNC_EVALIDATION, else badRequestFault. */
void emu_api_bad(struct emu_ctx *x, int err, const char *msg);

/*
 * Checks that NAME is free in the domain's namespace and that NAME@DOMAIN
 * is not used as an address on the account: 0, or a reply was set (409 or
 * 500) and a negative code returned.
 */
int emu_api_name_free(struct emu_ctx *x, const char *name) ATTR_NODISCARD;

/* --mailbox-limit: 0, or 400 "Mailbox limit exceeded" was set. */
int emu_api_mailbox_limit(struct emu_ctx *x) ATTR_NODISCARD;

/* Row builder for an offset-paged Index; `fields` is the validated list. */
typedef void emu_api_row_fn(struct emu_ctx *x, sqlite3_stmt *row,
    const struct emu_obj *o, const char *fields, json_t *out);

/*
 * An offset-paged Index of objects of `kind` in the domain: checks the
 * query (with ?enabled= when `with_enabled`), calls `fields_ok` on every
 * name in ?fields= (NULL = fields not supported), builds rows with `row`
 * and answers {"offset","size","total",KEY:[...]}.
 */
void emu_api_index(struct emu_ctx *x, enum emu_kind kind, bool with_enabled,
    bool (*fields_ok)(const char *name), emu_api_row_fn *row,
    const char *key);

/* Is `field` listed in the comma-separated `fields` (NULL = none)? */
bool emu_api_field_wanted(const char *fields, const char *field);

/* Copies displayName, `extra_key` and enabled from o->data into the
 * searchable columns of `o` before an insert or update. */
void emu_api_obj_sync(struct emu_obj *o, const char *extra_key);

/* The server time of `t` as a US-style string, new JSON reference. */
json_t *emu_api_time_json(time_t t);

/* emu_api_rs.c */

void emu_api_rs_mailboxes(struct emu_ctx *x);
void emu_api_rs_mailbox(struct emu_ctx *x);
void emu_api_rs_aliases(struct emu_ctx *x);
void emu_api_rs_alias(struct emu_ctx *x);
void emu_api_rs_alias_member(struct emu_ctx *x);
/* The Show JSON of an RS mailbox / alias (new reference). Lock held. */
json_t *emu_api_rs_mailbox_show(struct emu_state *st, const struct emu_obj *o);
json_t *emu_api_rs_alias_show(struct emu_state *st, const struct emu_obj *o);

/* emu_api_ex.c */

void emu_api_ex_mailboxes(struct emu_ctx *x);
void emu_api_ex_mailbox(struct emu_ctx *x);
void emu_api_ex_mailbox_addrs(struct emu_ctx *x);
void emu_api_ex_contacts(struct emu_ctx *x);
void emu_api_ex_contact(struct emu_ctx *x);
json_t *emu_api_ex_mailbox_show(struct emu_state *st, const struct emu_obj *o,
    const char *domain);
json_t *emu_api_ex_contact_show(const struct emu_obj *o);

/* emu_api_dl.c */

void emu_api_dl_index(struct emu_ctx *x);
void emu_api_dl_create(struct emu_ctx *x);
void emu_api_dl_item(struct emu_ctx *x);
void emu_api_dl_sub(struct emu_ctx *x);
json_t *emu_api_dl_show(struct emu_state *st, const struct emu_obj *o,
    const char *domain);

#endif
