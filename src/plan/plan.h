/*
 * plan: the pure heart of adsync. From what Active Directory holds (the
 * mirror of the directory), what was synced before (the state) and what
 * the mail service already has (the inventory), it decides exactly which
 * API operations bring the service in step, as data: an ordered list of
 * struct plan_op plus alerts, printable for a person (plan_fmt.c) and as
 * JSON lines. It performs no I/O: all three inputs come through the
 * callbacks of struct plan_source, so unit and golden tests feed
 * synthetic objects and the engine (src/sync) feeds the SQLite store and
 * the API client. See docs/plan.md for every rule and its source in the
 * seed and rackspace-api.md §9.
 *
 * Threads: a plan is built and used by one thread (the engine's). Pure:
 * no globals, no logging, no clock (the caller passes what it needs).
 *
 * Trust: directory values are untrusted (an administrator typed them, a
 * hostile one may have): every value that becomes a URL segment or a form
 * field is checked here (mailbox name syntax, lengths, domains) and an
 * object that fails gets an alert, never a request.
 *
 * Ownership: plan_build() returns an owned struct plan; plan_free()
 * releases it with every op, change and alert. Strings inside are owned by
 * the plan. struct obj values handed in by source callbacks are owned by
 * the planner once returned (it frees them).
 */
#ifndef ADSYNC_PLAN_H
#define ADSYNC_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "attributes.h"
#include "conf.h"
#include "obj.h"
#include "target.h"

/* The two services of an account. */
enum plan_service {
	PLAN_SVC_EX = 0,	/* Hosted Exchange */
	PLAN_SVC_RS,		/* Rackspace Email */
	PLAN_SVC_COUNT
};

/* What a target object is. */
enum plan_kind {
	PLAN_K_MAILBOX = 0,	/* EX or RS mailbox, from an AD user */
	PLAN_K_CONTACT,		/* EX contact, from an AD contact */
	PLAN_K_DL,		/* EX distribution list, from an AD group */
	PLAN_K_COUNT
};

/* One API write, or one small group of writes on one object. */
enum plan_opkind {
	PLAN_OP_CREATE = 0,	/* POST a new object with `fields` (mailboxes:
				 * plus a random password made at apply time) */
	PLAN_OP_ADOPT,		/* the address exists in the service but not
				 * in the state: take it over, PUT `fields` */
	PLAN_OP_UPDATE,		/* PUT only the changed `fields` */
	PLAN_OP_ENABLE,		/* PUT enabled=true (and any changed fields) */
	PLAN_OP_DISABLE,	/* PUT enabled=false; mailboxes only, never a
				 * delete */
	PLAN_OP_DELETE,		/* DELETE a contact or list (never a mailbox).
				 * The state row goes with it only while it
				 * still names op->domain/op->name: a contact
				 * whose otherMailBox moved it gets CREATE in
				 * the new domain (phase 2, re-pointing the
				 * row) and DELETE in the old (phase 5) */
	PLAN_OP_ADDRESS_ADD,	/* EX mailbox alternate address `values[0]` */
	PLAN_OP_ADDRESS_REMOVE,
	PLAN_OP_MEMBERS_ADD,	/* DL: add the addresses in `values` */
	PLAN_OP_MEMBERS_REMOVE,	/* DL: remove the addresses in `values` */
	PLAN_OP_COUNT
};

/* "ex", "rs"; "mailbox", "contact", "dl"; "create", "adopt", "update",
 * "enable", "disable", "delete", "address-add", "address-remove",
 * "members-add", "members-remove". Static strings. */
const char *plan_service_name(enum plan_service s);
const char *plan_kind_name(enum plan_kind k);
const char *plan_opkind_name(enum plan_opkind k);

/* A field that changes, for people: old -> new ("" = unset). */
struct plan_change {
	char *field;		/* API write name, e.g. "lastName" */
	char *old;		/* owned; "" when unset or unknown */
	char *new;		/* owned; "" when cleared */
};

struct plan_op {
	enum plan_opkind op;
	enum plan_service service;
	enum plan_kind kind;
	struct obj_guid anchor;	/* objectGUID of the AD object */
	char *dn;		/* owned; the AD object's DN (for people) */
	char *domain;		/* owned; target domain */
	char *name;		/* owned; target name (mailbox local part,
				 * contact GUID text, list local part) */
	struct rs_record fields; /* API write fields to send: everything on
				 * CREATE/ADOPT, the changed ones on
				 * UPDATE/ENABLE/DISABLE; empty otherwise */
	struct plan_change *changes; /* owned array, for display */
	size_t nchanges;
	struct rs_strlist values; /* addresses (ADDRESS_*: exactly one;
				 * MEMBERS_*: one or more full addresses) */
	char *external;		/* owned; contacts: the external address
				 * (AD mail); NULL for other kinds */
	char *reason;		/* owned sentence: why this op exists */
	bool leaves_scope;	/* DISABLE because the object left scope or
				 * was deleted in AD (the state row then
				 * gets in_scope = false); false for a
				 * DISABLE from userAccountControl */
	bool removal;		/* counted by the guard: a DISABLE of an
				 * enabled mailbox or a DELETE, except the
				 * old half of a contact's move */
	unsigned phase;		/* apply order: 0 mailboxes, 1 mailbox
				 * addresses, 2 contacts, 3 lists, 4 list
				 * members, 5 deletes of contacts and lists */
};

enum plan_level {
	PLAN_ALERT_ERROR = 0,	/* the object cannot be synced: fix AD */
	PLAN_ALERT_WARNING,	/* synced, but something was left out */
	PLAN_ALERT_HELD		/* the guard held removals back */
};

/* A removal, as the administrator's decisions name it. */
struct plan_opkey {
	struct obj_guid anchor;
	enum plan_service service;
	enum plan_opkind op;
};

/* "error", "warning" or "held": static text. */
const char *plan_level_name(enum plan_level l);

/*
 * Something a person must know. `message` follows the seed's wording
 * (rackspace-api.md §9.9) and names the object and the fix, e.g.
 * "The value '' specified in the mail attribute for user CN=Bob,... is
 * invalid; set mail to the user's address".
 */
struct plan_alert {
	enum plan_level level;
	enum plan_service service;	/* PLAN_SVC_COUNT: not service-specific */
	struct obj_guid anchor;		/* zero when not about one object */
	char *dn;			/* owned; "" when not about one object */
	char *message;			/* owned */
};

/* Counts by kind of op, for the summary line. */
struct plan_counts {
	size_t op[PLAN_OP_COUNT];
	size_t alerts[3];		/* by enum plan_level */
	size_t in_scope[PLAN_SVC_COUNT][PLAN_K_COUNT];
	size_t synced;			/* state rows in scope (synced
					 * objects) of the configured
					 * services, before the plan */
	size_t held;			/* disables + deletes held back */
};

struct plan {
	struct plan_op *ops;		/* owned array, in apply order (with
					 * plan_opts.sink: the removals only) */
	size_t nops;
	size_t ops_cap;
	size_t nspilled;		/* ops handed to plan_opts.sink */
	struct plan_alert *alerts;	/* owned array */
	size_t nalerts;
	size_t alerts_cap;
	struct plan_counts counts;
	bool held;			/* the guard held removals back */
	struct plan_op *held_ops;	/* owned: the removals held back, in
					 * apply order, for review only
					 * (never applied; not in counts.op) */
	size_t nheld;
	/* The rejected removals (plan_opts.rejected) this plan left out
	 * because it would have made them again: owned, n_rejected_seen. The
	 * others no longer apply (the object came back, or changed). */
	struct plan_opkey *rejected_seen;
	size_t nrejected_seen;
};

/*
 * What the state remembers of one synced object: the identity it has in
 * the service and what was last applied. Owned by whoever filled it;
 * plan_row_fini() frees the inside.
 */
struct plan_row {
	struct obj_guid anchor;
	enum plan_service service;
	enum plan_kind kind;
	char *dn;		/* owned; last known DN */
	char *domain;		/* owned */
	char *name;		/* owned */
	struct rs_record fields; /* last applied write fields, "enabled"
				 * excluded (see `enabled`) */
	bool enabled;		/* last applied enabled state */
	bool in_scope;		/* false: disabled because it left scope
				 * (or was deleted in AD) */
	struct rs_strlist members;   /* DL: applied member addresses */
	struct rs_strlist addresses; /* EX mailbox: applied alternates */
};

void plan_row_init(struct plan_row *r);
void plan_row_fini(struct plan_row *r);

/*
 * The planner's view of the world. Every callback gets `arg`. Returns of
 * int callbacks: 0 (or 1 where said), or a negative code which aborts
 * plan_build() with that code (an I/O failure below: nothing is planned).
 */
struct plan_source {
	void *arg;
	/* The GUID of the AD object whose DN is `dn` (compared without
	 * regard to case). 0 and *out, or -ADSYNC_ENOTFOUND. */
	int (*find_dn)(void *arg, const char *dn, struct obj_guid *out);
	/* The AD object `g` as a whole object (never incremental), groups
	 * with their full `member` list carrying GUIDs. 0 and *out (owned
	 * by the planner), or -ADSYNC_ENOTFOUND. */
	int (*get)(void *arg, const struct obj_guid *g, struct obj **out);
	/* The state row of (anchor, service), or -ADSYNC_ENOTFOUND. Fills
	 * the initialised, empty `out`. */
	int (*row_get)(void *arg, const struct obj_guid *anchor,
	    enum plan_service s, struct plan_row *out);
	/* Calls fn for every state row, in any order (the planner sorts),
	 * identity and flags at least (fields, members and addresses may
	 * be empty: the planner reads a row whole with row_get); the row is
	 * borrowed for the call. Stops at fn's first non-zero return and
	 * returns it. */
	int (*row_each)(void *arg,
	    int (*fn)(const struct plan_row *row, void *fnarg), void *fnarg);
	/* Whether the service already has an object named `name` in
	 * `domain`: 1 and *kind (the kind found), 0 when absent, or a
	 * negative code. May be NULL: then nothing is known to exist (no
	 * adoption, no cross-service check; `plan` offline). */
	int (*target_find)(void *arg, enum plan_service s,
	    const char *domain, const char *name,
	    enum plan_kind *kind /* OUT */);
};

/* Options of one plan. */
struct plan_opts {
	const struct conf_sync *conf;	/* borrowed */
	bool allow_deletes;		/* --allow-deletes: skip the guard */
	/* Removals the administrator approved (`adsync approve RUN`): they
	 * pass the guard and do not count against it. Borrowed. */
	const struct plan_opkey *approved;
	size_t napproved;
	/* Removals the administrator rejected (`adsync reject RUN`): left
	 * out of the plan, with a warning, while they stay the same removal.
	 * Borrowed. */
	const struct plan_opkey *rejected;
	size_t nrejected;
	/* Focus: plan only these objects (sorted by their bytes, memcmp),
	 * the ones a change read returned, all users or contacts. Groups
	 * are not re-planned, and a focused object that would be created,
	 * adopted or moved, or alternate addresses being synced, make
	 * plan_build() fail with -ADSYNC_ERESYNC ("plan in full"): checks
	 * across objects need every candidate. NULL: the whole mirror. */
	const struct obj_guid *focus;
	size_t nfocus;
	/* Objects the build holds at once before it lets go of them and
	 * fetches again what it needs (docs/plan.md "Memory"); 0: the
	 * default (1,024). Tests set 1 to fetch again at every step. */
	size_t resident_max;
	/*
	 * Streaming (docs/plan.md "Memory"): when set, every op that is not
	 * a removal is handed to `sink` as soon as its object is compared
	 * and leaves the plan, which then holds the removals only (the
	 * guard's, the held and the rejected work on them as before);
	 * p->nspilled counts the others and p->counts counts all. `sink`
	 * takes the op (it plan_op_fini()s it) and returns 0 or a negative
	 * code, which stops the build. Ops reach it unsorted: the apply
	 * order is plan_op_order()'s.
	 */
	int (*sink)(void *arg, struct plan_op *op);
	void *sink_arg;
};

/* Releases what `op` owns (an op of a plan, a sink's, a spill's). */
void plan_op_fini(struct plan_op *op);
/* The apply order of two ops (rule 10: phase, service, kind, domain, name,
 * op, anchor, first value): <0, 0, >0. */
int plan_op_order(const struct plan_op *a, const struct plan_op *b);
/* Every op of the plan: those it holds and those it handed to the sink. */
size_t plan_nops_all(const struct plan *p);

/*
 * Builds the plan. Returns 0 and *out (owned; plan_free()), or a negative
 * code and a sentence in `why`: a source callback's code, or
 * -ADSYNC_ECONFIG (a configured group is not in the directory, or is not
 * a group: the sentence names it and the fix). A directory that shows
 * nothing in scope while the state has synced objects is -ADSYNC_EPROTO
 * ("the directory read returned nothing in scope ..."), never a mass
 * disable.
 */
int plan_build(const struct plan_source *src, const struct plan_opts *opts,
    struct plan **out /* OUT */, char *why, size_t whylen) ATTR_NODISCARD;

/* One operation as the JSON object `plan --json` prints (op, service,
 * kind, address, anchor, dn, changes, values, reason, ...; "held" when
 * `held`). New reference, or NULL when out of memory. */
json_t *plan_op_json(const struct plan_op *op, bool held);

void plan_free(struct plan *p);

/*
 * The table of mapped attributes (plan_map.c): which AD attribute feeds
 * which API write field of each service and kind. NULL api name: not
 * synced to that service/kind. One table, in one place.
 */
struct plan_map_entry {
	enum obj_attr attr;
	const char *rs_mailbox;		/* Rackspace Email mailbox field */
	const char *ex_mailbox;		/* Exchange mailbox field */
	const char *ex_contact;		/* Exchange contact field */
};
extern const struct plan_map_entry plan_map[];
extern const size_t plan_map_n;
/* The column of `e` for (s, k); NULL when not synced there. */
const char *plan_map_column(const struct plan_map_entry *e,
    enum plan_service s, enum plan_kind k);

/*
 * The write fields the object `o` should have in service `s` as kind `k`
 * (mapped attributes, "" for absent ones; multi-valued ones give their
 * first value; for Exchange, which requires a display name, displayName
 * falls back to cn, then "givenName sn", then the local part of mail).
 * Lists (PLAN_K_DL) get displayName only. Values are copied as AD has
 * them (plan_build checks them). Does not include "enabled", "size" or
 * the password. Fills the initialised, empty `out` (`o` borrowed).
 * 0, -EINVAL (a kind the service does not have: RS contacts and lists),
 * or -ENOMEM / -ADSYNC_ETOOBIG; on failure `out` stays empty.
 */
int plan_map_fields(const struct obj *o, enum plan_service s,
    enum plan_kind k, struct rs_record *out /* OUT */) ATTR_NODISCARD;

/* Prints the plan for people: one aligned line per op with the op, the
 * service/kind, the address, the reason and the fields (old -> new) or
 * values; then the held ops (under "held back by the guard"); then the
 * alerts (level, service, DN, message); then the summary line. Control
 * characters in values are escaped. `p` and `fp` are borrowed. */
void plan_fmt_text(const struct plan *p, FILE *fp);
/* One JSON object per line per op: op, service, kind, address
 * (name@domain), external (contacts), anchor, dn, changes (array of
 * {field, old, new}), values, reason, phase, leaves_scope (disables),
 * held (held ops only); then one line per alert {"alert": level,
 * "service", "anchor", "dn", "message"} (null when not about one object);
 * then {"summary": {op counts, errors, warnings, held, synced,
 * in_scope}}. Uses jansson; `p` and `fp` are borrowed. */
void plan_fmt_json(const struct plan *p, FILE *fp);
/* "3 to create, 0 to adopt, 1 to update, 0 to enable, 0 to disable, 0 to
 * delete, 0 address changes, 2 membership changes; 1 error, 2 warnings"
 * and "; N held" when the guard held removals, into `out` (always
 * NUL-terminated, cut to outlen). */
void plan_fmt_summary(const struct plan *p, char *out, size_t outlen);

#endif
