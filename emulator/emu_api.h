/*
 * The emulated v1 API: one entry point, emu_api_process(), that takes a
 * fully received request (already cleared of Expect and size problems by
 * emu_http.c) and produces the reply. Order of checks: signature, throttle
 * (every signed call counts), route, method, Accept, query, account, body,
 * then the handler under the state lock in one transaction per write (a
 * failed write rolls back everything it did).
 *
 * The handlers live in emu_api.c (customer, domains, alternate domains, and
 * the Index, Show and mailbox handler shared by the form-encoded
 * resources), emu_api_rs.c (what only RS mailboxes do, aliases),
 * emu_api_ex.c (what only EX mailboxes do, alternate addresses, contacts)
 * and emu_api_dl.c (distribution lists); the prototypes below are grouped
 * by defining file. Threads: MHD worker threads of the API listener; the
 * admin listener calls the Show builders for its state dump. Every request
 * field is untrusted.
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

struct emu_field;

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

/* Row builder for an offset-paged Index; `fields` is the validated list. */
typedef void emu_api_row_fn(struct emu_ctx *x, sqlite3_stmt *row,
    const struct emu_obj *o, const char *fields, json_t *out);

/*
 * A resource with an offset-paged Index (RS mailboxes, aliases, EX
 * mailboxes, contacts), described by data: emu_api_index() and
 * emu_api_show() serve all of them from this. Each is a constant of the
 * file that handles the resource.
 */
struct emu_api_res {
	enum emu_kind kind;
	const char *path;		/* ".../PATH/{name}" adds one (405) */
	const char *key;		/* the Index's array, "rsMailboxes" */
	bool with_enabled;		/* the Index takes ?enabled= */
	const struct emu_field *fields;	/* emu_fields.h table, or NULL */
	const char *search;		/* field kept in the searched column */
	/*
	 * Values computed rather than stored (currentUsage, createdDate,
	 * lastLogin), NULL-terminated, in the order the Show prints them;
	 * ?fields= may name them too. NULL: none.
	 */
	const char *const *computed;
	/* The Show's "emailAddressList" (new reference); NULL: none. */
	json_t *(*addresses)(struct emu_state *st, const struct emu_obj *o,
	    const char *domain);
	/* Index row; NULL: name, displayName and what ?fields= names. */
	emu_api_row_fn *row;
};

/*
 * A mailbox service. emu_api_mailbox() is the one handler of RS and EX
 * mailboxes (add, Show, edit, delete); what only one service does is in
 * the hooks, NULL where a service has nothing to add.
 */
struct emu_api_mbx {
	struct emu_api_res res;
	/* The 400 text for PUT with name=; NULL: that renames the mailbox. */
	const char *rename_refused;
	/* The 404's isRecoverable; NULL: the 404 has none. */
	bool (*recoverable)(struct emu_ctx *x);
	/* Runs first on POST (name valid); true if it has answered. */
	bool (*add_first)(struct emu_ctx *x);
	/* Runs on POST after the name and limit checks, before the insert. */
	void (*add_prepare)(struct emu_ctx *x, struct emu_obj *o);
	/* Deletes `o` (loaded): 0 or a negative code. NULL: deleted for
	 * good. */
	int (*remove)(struct emu_ctx *x, const struct emu_obj *o);
};

/* Handles `c`, filling `r` (initialised by the caller). */
void emu_api_process(struct emu *e, struct emu_call *c, struct emu_resp *r);

/* 500 appsFault for an internal error code. */
void emu_api_internal(struct emu_ctx *x, int err);
/* 409 appsFault "'NAME@DOMAIN' already exists." */
void emu_api_conflict(struct emu_ctx *x, const char *name);
/* 400 for a name of `kind` that emu_valid_name() refuses. */
void emu_api_bad_name(struct emu_ctx *x, enum emu_kind kind,
    const char *name);
/* 400 "Unknown field: X" if a form field was not consumed; true if so. */
bool emu_api_unknown_field(struct emu_ctx *x);

/*
 * Applies the unused fields of the form body to `data` (emu_fields_apply);
 * false if a 400 was set (validationFault for a bad value, else
 * badRequestFault).
 */
bool emu_api_fields_apply(struct emu_ctx *x, const struct emu_field *tab,
    json_t *data, bool adding);

/* The password rule for `pw` (NULL: missing); false if a 400 was set. */
bool emu_api_password_ok(struct emu_ctx *x, const char *pw);

/*
 * Loads the object the route names into `o` if it is of `kind`: true, or
 * false with the reply set (404 when the name is invalid, unknown or of
 * another kind; 500). Release `o` with emu_state_obj_fini().
 */
bool emu_api_load(struct emu_ctx *x, enum emu_kind kind,
    struct emu_obj *o /* OUT */);

/*
 * Checks that NAME is free in the domain's namespace and that NAME@DOMAIN
 * is not used as an address on the account: 0, or a reply was set (409 or
 * 500) and a negative code returned.
 */
int emu_api_name_free(struct emu_ctx *x, const char *name) ATTR_NODISCARD;

/* --mailbox-limit: 0, or 400 "Mailbox limit exceeded" was set. */
int emu_api_mailbox_limit(struct emu_ctx *x) ATTR_NODISCARD;

/* Is the domain of `addr` the route's domain or one of its accepted
 * domains (§9.7)? */
bool emu_api_addr_domain_ok(struct emu_ctx *x, const char *addr);

/* Makes `o` (data and display untouched) a new enabled object of `kind`
 * named `name` in the route's domain, created now. */
void emu_api_obj_init(struct emu_ctx *x, struct emu_obj *o,
    enum emu_kind kind, const char *name);

/* Inserts `o` and sets o->id: 0, or 409 (name taken) / 500 set and a
 * negative code. */
int emu_api_obj_insert(struct emu_ctx *x, struct emu_obj *o)
    ATTR_NODISCARD;

/* Copies displayName, `extra_key` and enabled from o->data into the
 * searchable columns of `o` before an insert or update. */
void emu_api_obj_sync(struct emu_obj *o, const char *extra_key);

/* The server time of `t` as a US-style string, new JSON reference. */
json_t *emu_api_time_json(time_t t);

/*
 * GET on the collection of `res`: checks the query (?enabled= when
 * res->with_enabled, ?fields= against res->fields and res->computed) and
 * answers {"offset","size","total",KEY:[...]}; other methods get a 405.
 */
void emu_api_index(struct emu_ctx *x, const struct emu_api_res *res);

/*
 * The Show JSON of `o`, a `res` object of `domain` (new reference): name,
 * the fields (nested ones in "contactInfo"), the computed values and the
 * addresses. `res` has form fields (not aliases). Lock held.
 */
json_t *emu_api_show(const struct emu_api_res *res, struct emu_state *st,
    const struct emu_obj *o, const char *domain);

/* A request on one mailbox of `svc` (.../mailboxes/{name}). */
void emu_api_mailbox(struct emu_ctx *x, const struct emu_api_mbx *svc);

/*
 * Writes back a changed mailbox `o` of `svc` (borrowed, still the caller's
 * to release), with a new password when `pw` is not NULL, and answers 200;
 * 409 if a rename hit a taken name, 500.
 */
void emu_api_mailbox_save(struct emu_ctx *x, const struct emu_api_mbx *svc,
    struct emu_obj *o, const char *pw);

/* emu_api_rs.c */

extern const struct emu_api_mbx emu_api_rs_mbx;
extern const struct emu_api_res emu_api_rs_alias_res;
void emu_api_rs_alias(struct emu_ctx *x);
void emu_api_rs_alias_member(struct emu_ctx *x);
/* The Show JSON of an alias (new reference). Lock held. */
json_t *emu_api_rs_alias_show(struct emu_state *st, const struct emu_obj *o);

/* emu_api_ex.c */

extern const struct emu_api_mbx emu_api_ex_mbx;
extern const struct emu_api_res emu_api_ex_contact_res;
void emu_api_ex_mailbox_addrs(struct emu_ctx *x);
void emu_api_ex_contact(struct emu_ctx *x);

/* emu_api_dl.c */

void emu_api_dl_index(struct emu_ctx *x);
void emu_api_dl_create(struct emu_ctx *x);
void emu_api_dl_item(struct emu_ctx *x);
void emu_api_dl_sub(struct emu_ctx *x);
json_t *emu_api_dl_show(struct emu_state *st, const struct emu_obj *o,
    const char *domain);

#endif
