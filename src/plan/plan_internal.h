/*
 * Internals of the planner shared by its files (plan.c, plan_ent.c,
 * plan_rows.c, plan_scope.c, plan_addr.c, plan_check.c, plan_diff.c,
 * plan_guard.c, plan_fmt.c, plan_map.c) and by tests/unit/test_plan.c.
 * Nothing else includes this file. Everything here runs on the thread that called
 * plan_build(); no globals.
 *
 * One build keeps a context (struct plan_ctx) with:
 *  - the entities: every AD object met (the sync groups, their direct
 *    members, list members, anchors of state rows), each fetched once
 *    through the source and kept in a hash table by objectGUID;
 *  - the candidates: one per (object, service) the groups put in scope,
 *    with the identity they claim in the service and their state row;
 *  - a light copy of every state row (identity and flags, no fields),
 *    indexed by (anchor, service) and by address, for "seen" marking,
 *    address conflicts and the removals of rule 7.
 */
#ifndef ADSYNC_PLAN_INTERNAL_H
#define ADSYNC_PLAN_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "attributes.h"
#include "plan.h"

/*
 * Our bound on a mapped value, in bytes. The API's limits are [UNKNOWN]
 * (rackspace-api.md §5); rsemu refuses contact-info values above 256
 * bytes, and AD's own range for displayName is 256 characters. A longer
 * value is left out with a warning rather than cut, so nothing half-true
 * reaches the service.
 */
#define PLAN_FIELD_MAX 256
/* A mailbox or list name (the local part of mail): RFC 5321's 64. */
#define PLAN_NAME_MAX 64
/* Longest value quoted in an alert; longer ones end in "...". */
#define PLAN_QUOTE_MAX 120

/*
 * Objects held at once by one build, beyond the sync groups. Above it,
 * plan_ent_trim() lets go of them at the next point where none is
 * borrowed, and plan_ent_obj() fetches one again when it is needed: a
 * directory of 100,000 objects is planned in the memory of a few
 * thousand (docs/plan.md "Memory"), and a smaller one is fetched once.
 */
#define PLAN_RESIDENT_MAX 1024
/* Entities allocated at once (plan_ent.c). */
#define PLAN_ENT_SLAB 1024

/* One AD object met during the build. */
struct plan_ent {
	struct obj_guid guid;
	struct obj *o;		/* owned; NULL when the source does not know
				 * it (then `gone`), or when trimmed (then
				 * `has_obj`): use plan_ent_obj() */
	enum obj_kind kind;	/* the object's, kept when `o` is trimmed */
	char *mail;		/* owned; its mail when set and not empty,
				 * kept too: the identities of a large
				 * directory are checked without fetching
				 * every object again */
	bool has_obj;		/* the source returned an object (it may be a
				 * tombstone) */
	bool held;		/* a value of it could not be read (obj.h
				 * `held`; kept too) */
	bool pinned;		/* never trimmed: a sync group */
	bool resident;		/* listed in ctx->resident */
	bool fetched;		/* get() was asked */
	bool gone;		/* not found, or a tombstone */
	unsigned member_of;	/* bit (1u << service): a direct member of
				 * that service's sync group */
	size_t cand[PLAN_SVC_COUNT]; /* index + 1 into ctx->cands; 0: none */
};

/* An object in scope of one service. */
struct plan_cand {
	struct plan_ent *ent;	/* borrowed */
	enum plan_service svc;
	enum plan_kind kind;
	char *name;		/* lower case, in `address`'s block; NULL
				 * until resolved */
	char *domain;		/* lower case, in `address`'s block */
	char *address;		/* owned "name@domain"; the block holds
				 * name and domain too */
	char *external;		/* owned; contacts: mail as written */
	const struct plan_lrow *lrow; /* borrowed; its light state row,
				 * when has_row (the whole row is read only
				 * to compare it: ctx->row) */
	bool has_row;
	bool ok;		/* no error: it gets ops, and it may be a
				 * list member */
	bool adopt;		/* no row, and the service holds the name
				 * with the right kind: adopt it */
	char *prev_owner;	/* owned DN; the address was last synced
				 * for another object (now out of scope) */
};

/* What the planner keeps of each state row. */
struct plan_lrow {
	struct obj_guid anchor;
	enum plan_service svc;
	enum plan_kind kind;
	char *address;		/* owned, lower case "name@domain"; the block
				 * also holds the three below */
	char *name;		/* lower case; in `address`'s block */
	char *domain;		/* lower case; in `address`'s block */
	char *dn;		/* in `address`'s block */
	bool enabled;
	bool in_scope;
};

struct plan_ctx {
	const struct plan_source *src;
	const struct plan_opts *opts;
	const struct conf_sync *conf;
	struct plan *p;
	char *why;
	size_t whylen;
	int err;		/* sticky allocation failure (alerts) */

	char **domains;		/* owned, lower case, from conf->domains */
	size_t ndomains;
	char *domain_list;	/* owned "example.com, example.net" */
	const char *group_dn[PLAN_SVC_COUNT];	/* NULL: not configured */
	struct plan_ent *group[PLAN_SVC_COUNT];	/* borrowed */

	struct plan_ent **tab;	/* owned hash table of the entities */
	size_t tabcap;
	size_t nents;
	struct plan_ent **slabs; /* owned slabs of PLAN_ENT_SLAB entities */
	size_t nslabs;
	size_t slab_used;	/* entities used in the last slab */
	/* entities holding their object, not pinned (borrowed) */
	struct plan_ent **resident;
	size_t nresident;
	size_t capresident;
	/* direct members per service, in the group's order, deduplicated */
	struct plan_ent **members[PLAN_SVC_COUNT];
	size_t nmembers[PLAN_SVC_COUNT];
	size_t capmembers[PLAN_SVC_COUNT];

	struct plan_cand *cands;	/* owned array */
	size_t ncands;
	size_t capcands;

	/* The whole state row of the candidate being compared, read and
	 * released by plan_diff_candidates() (a build holds one). */
	struct plan_row row;

	struct plan_lrow *rows;		/* owned, sorted by (anchor, svc) */
	size_t nrows;
	size_t caprows;
	struct plan_lrow **rows_by_addr; /* owned array of borrowed rows */
	size_t *claims;		/* owned: indices into cands of the ok
				 * mailboxes and lists, by address */
	size_t nclaims;

	size_t flushed;			/* p->ops before it are removals
					 * kept by plan_flush() */
	struct plan_op *held;		/* owned; ops the guard held back */
	size_t nheld;
};

/* plan.c: ops and alerts. */
/* A new op appended to the plan (zeroed, lists initialised), with owned
 * copies of dn, domain and name. NULL on ENOMEM (sticky in ctx->err). */
struct plan_op *plan_op_add(struct plan_ctx *ctx, enum plan_opkind op,
    enum plan_service svc, enum plan_kind kind,
    const struct obj_guid *anchor, const char *dn, const char *domain,
    const char *name);
/* With plan_opts.sink, hands the ops added since the last flush that are
 * not removals to it (called where a candidate or row is done). 0 or the
 * sink's code (why set). */
int plan_flush(struct plan_ctx *ctx) ATTR_NODISCARD;
/* Sets a write field of `op` and records the change old -> new for
 * display. "password" is refused (SECURITY). 0 or a negative code. */
int plan_op_field(struct plan_op *op, const char *field, const char *old,
    const char *new) ATTR_NODISCARD;
/* The op's reason, formatted. */
void plan_op_reason(struct plan_ctx *ctx, struct plan_op *op,
    const char *fmt, ...) ATTR_PRINTF(3, 4);
/* Appends an alert; allocation failure is sticky in ctx->err. */
/* Whether `g` is planned: always without a focus, else when focused. */
bool plan_in_focus(const struct plan_ctx *ctx, const struct obj_guid *g);

void plan_alert(struct plan_ctx *ctx, enum plan_level level,
    enum plan_service svc, const struct obj_guid *anchor, const char *dn,
    const char *fmt, ...) ATTR_PRINTF(6, 7);
/* qsort that accepts an empty (NULL) array, which qsort does not. */
void plan_sort(void *base, size_t n, size_t size,
    int (*cmp)(const void *, const void *));
/* "Hosted Exchange" / "Rackspace Email"; "Exchange" / "Rackspace Email"
 * (group names in sentences). Static. */
const char *plan_service_title(enum plan_service s);
const char *plan_group_title(enum plan_service s);
/* The other service. */
enum plan_service plan_service_other(enum plan_service s);
/* `s` quoted for an alert: at most PLAN_QUOTE_MAX bytes (cut on a UTF-8
 * boundary, then "..."), into `out`. Returns `out`. */
const char *plan_quote(const char *s, char *out, size_t outlen);

/* plan_map.c */
/* The AD attribute that feeds `field` of (s, k), for reasons ("title"
 * for jobTitle); `field` itself when none does. Static or borrowed. */
const char *plan_map_attr_of(enum plan_service s, enum plan_kind k,
    const char *field);

/* plan_ent.c: the entity table. */
/* The entity of `g`, created (not fetched) when absent. NULL on ENOMEM. */
struct plan_ent *plan_ent_add(struct plan_ctx *ctx,
    const struct obj_guid *g);
/* The entity of `g`, or NULL. */
struct plan_ent *plan_ent_find(const struct plan_ctx *ctx,
    const struct obj_guid *g);
/* Fetches the object of `e` through the source once. 0, or the source's
 * negative code (other than -ADSYNC_ENOTFOUND, which sets `gone`). */
int plan_ent_fetch(struct plan_ctx *ctx, struct plan_ent *e) ATTR_NODISCARD;
/* The object of `e`, fetched (again, when trimmed) as needed; owned by
 * `e` and valid until the next plan_ent_trim(). NULL when the source does
 * not know it (`gone`), or on a read failure: then ctx->err and ctx->why
 * are set. */
const struct obj *plan_ent_obj(struct plan_ctx *ctx, struct plan_ent *e);
/* The DN of `e` for messages: its object's, else `fallback`. */
const char *plan_ent_dn(struct plan_ctx *ctx, struct plan_ent *e,
    const char *fallback);
/* Call where no object is borrowed: above PLAN_RESIDENT_MAX held
 * objects (or opts->resident_max), frees every one but the pinned
 * (fetched again when asked). */
void plan_ent_trim(struct plan_ctx *ctx);
/* Frees every entity and the table. */
void plan_ent_free_all(struct plan_ctx *ctx);
/* The candidate of `e` in service `s`, or NULL. */
struct plan_cand *plan_ent_cand(const struct plan_ctx *ctx,
    const struct plan_ent *e, enum plan_service s);

/* plan_rows.c: the light copy of the state. */
/* Reads every row through row_each; rows of services that are not
 * configured are skipped (left alone). 0 or a negative code. */
int plan_rows_load(struct plan_ctx *ctx) ATTR_NODISCARD;
/* The row of (anchor, svc), or NULL. */
const struct plan_lrow *plan_rows_find(const struct plan_ctx *ctx,
    const struct obj_guid *anchor, enum plan_service svc);
/* Rows (mailboxes and lists) whose address is `address` (lower case):
 * *first (borrowed) and the count. */
size_t plan_rows_by_address(const struct plan_ctx *ctx, const char *address,
    struct plan_lrow *const **first /* OUT */);
void plan_rows_free(struct plan_ctx *ctx);

/* plan_addr.c: addresses, names and domains. */
/* Splits `mail` into an owned, lower-case local part and domain when it
 * is local@domain with a valid mailbox name (1-64 of [A-Za-z0-9._'+-],
 * no leading, trailing or double dot) and a non-empty domain without
 * blanks. 1 when valid, 0 when not, -ENOMEM. */
int plan_addr_split(const char *mail, char **name /* OUT */,
    char **domain /* OUT */) ATTR_NODISCARD;
/* True when `name` is a valid mailbox or list name. */
bool plan_addr_name_ok(const char *name, size_t len);
/* True when `s` looks like an external address (one '@', both sides
 * non-empty, no blanks or control characters, at most 254 bytes). */
bool plan_addr_external_ok(const char *s);
/* True when `domain` is one of conf->domains (ASCII case-insensitive). */
bool plan_addr_domain_ok(const struct plan_ctx *ctx, const char *domain);
/* Parses conf->domains into ctx->domains. 0 or -ENOMEM. */
int plan_addr_domains(struct plan_ctx *ctx) ATTR_NODISCARD;
/* A lower-case copy of `s`; NULL on ENOMEM. */
char *plan_addr_lower(const char *s);
/* Copies `s` lowered (ASCII) to `d`, NUL included; returns the byte after
 * the NUL. */
char *plan_addr_lower_to(char *d, const char *s);

/* plan_scope.c: groups and their direct members (rules 1-3). */
int plan_scope_read(struct plan_ctx *ctx) ATTR_NODISCARD;
/* Turns direct members into candidates or warnings. */
int plan_scope_classify(struct plan_ctx *ctx) ATTR_NODISCARD;

/* plan_check.c: who may have which address (rules 3-6 checks). */
/* The identity of every candidate (mail, Not authorized, otherMailBox),
 * its state row (Service ID changed), conflicts between objects that
 * claim one address, and what the service already holds under that name
 * (adoption, collisions, the other service). A candidate that fails gets
 * an error alert and ok = false. 0 or a source's negative code. */
int plan_check_identities(struct plan_ctx *ctx) ATTR_NODISCARD;
/* The ok candidate (mailbox or list) that claims `address`, other than
 * the entity `self`; NULL if none. */
const struct plan_cand *plan_check_claimant(const struct plan_ctx *ctx,
    const char *address, const struct plan_ent *self);
/* "a mailbox", "a contact", "a distribution list" / "an alias" (RS). */
const char *plan_check_kind_words(enum plan_service s, enum plan_kind k);

/* plan_diff.c: candidates -> ops (rules 4-7). */
/* Ops for candidates (mailboxes and contacts, then lists). */
int plan_diff_candidates(struct plan_ctx *ctx) ATTR_NODISCARD;
/* Ops for state rows no candidate claimed (rule 7). */
int plan_diff_unseen(struct plan_ctx *ctx) ATTR_NODISCARD;
/* Compares `desired` with `have` (absent = ""): for each field of
 * `desired` that differs, sets it on `op`. Returns the number of changed
 * fields, or a negative code. */
int plan_diff_fields(struct plan_op *op, const struct rs_record *desired,
    const struct rs_record *have) ATTR_NODISCARD;

/* plan_guard.c: the safety valves (rules 8-9). */
/* -ADSYNC_EPROTO with `why` when nothing is in scope but rows are. */
int plan_guard_empty(struct plan_ctx *ctx) ATTR_NODISCARD;
/* Moves removals above the limits to ctx->held (unless allow_deletes). */
int plan_guard_apply(struct plan_ctx *ctx) ATTR_NODISCARD;

#endif
