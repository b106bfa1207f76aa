/*
 * Internals of the sync engine shared by its files (sync_engine.c,
 * sync_read.c, sync_source.c, sync_inventory.c, sync_apply.c,
 * sync_recover.c). Nothing outside src/sync includes this file. All of it
 * runs on the engine's owning thread.
 */
#ifndef ADSYNC_SYNC_INTERNAL_H
#define ADSYNC_SYNC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ad.h"
#include "plan.h"
#include "store.h"
#include "sync.h"
#include "target.h"

/* One name the service already holds in one domain. */
struct sync_inv_name {
	char *name;		/* owned, lower case */
	enum plan_kind kind;
};

/* The inventory of one (service, domain), loaded on first use. */
struct sync_inv_domain {
	enum plan_service service;
	char *domain;		/* owned, lower case */
	struct sync_inv_name *v; /* owned, sorted by name */
	size_t n;
};

/* What the service holds, per (service, domain), for adoption and
 * collision checks. Lives for one cycle: the service may change between
 * cycles. */
struct sync_inv {
	struct sync_inv_domain *v;
	size_t n, cap;
	unsigned long calls;	/* API calls spent loading it */
};

struct sync_engine {
	const struct conf *conf;	/* borrowed */
	struct store *st;		/* owned */
	struct ad_conn *ad;		/* owned; NULL until needed */
	struct rs_client *rs;		/* owned; NULL until needed */
	/* The password of the next new mailbox, renewed in place for each
	 * (sync_password_renew); used by whichever thread holds `rs`. */
	struct secret *newpw;		/* owned; NULL until needed */
	struct sync_inv inv;		/* this cycle's inventory */
	char why[1024];			/* scratch for callbacks */
	const atomic_bool *stop;	/* borrowed; NULL = never stop */
	struct sync_progress *progress;	/* borrowed; NULL = none */
	/* What the last change read returned (focus of the next plan):
	 * GUIDs, sorted after the read; `focusable` false once any is not a
	 * user or contact, or is deleted, or there are too many. */
	struct obj_guid *changed;	/* owned */
	size_t nchanged, capchanged;
	bool focusable;
	bool settled;		/* the last cycle applied everything it
				 * planned: no refusal, nothing held */
	bool pushing;		/* a bulk pipeline's pusher is running */
	struct rs_pacer *pacer;	/* a reference; NULL = the client's own */
	const struct sync_pwsource *pwsource;	/* borrowed; may be NULL */
};

/* Publishes the stage (and for stage 3 the total) when someone watches. */
void sync_progress_stage(struct sync_engine *e, int stage, size_t total);
/* `n` more operations applied. */
void sync_progress_done(struct sync_engine *e, size_t n);

/* True once the engine was asked to stop (sync_engine_set_stop). */
bool sync_stopping(const struct sync_engine *e);

/* sync_engine.c: the API client, made on first use. 0, or a negative code
 * with `why`. */
int sync_engine_client(struct sync_engine *e, char *why, size_t whylen);

/* sync_read.c: brings the mirror up to date from AD. *full says whether
 * the read was a full one. 0, or a negative code with `why`; on failure
 * the mirror and its watermark are as they were. */
int sync_read(struct sync_engine *e, bool force_full, bool *full /* OUT */,
    size_t *changes /* OUT: objects a change read returned */, char *why,
    size_t whylen);

/* sync_inventory.c */
void sync_inv_init(struct sync_inv *inv);
void sync_inv_fini(struct sync_inv *inv);
/* 1 and *kind when (service, domain) holds `name`, 0 when not, negative
 * on an API failure (with `why`). Loads the domain's names on first use. */
int sync_inv_find(struct sync_engine *e, enum plan_service s,
    const char *domain, const char *name, enum plan_kind *kind,
    char *why, size_t whylen);

/* sync_source.c: the planner's view over the store (and the inventory
 * unless `offline`). */
void sync_source_init(struct plan_source *src, struct sync_engine *e,
    bool offline);

/* sync_apply.c: applies the plan's ops in order under run rep->run_id,
 * counting into rep->counts and adding the service's refusals to
 * rep->errors. Returns 0 (object errors are counted, not returned) or a
 * negative code when the store fails (the run stops) with rep->why. */
int sync_apply(struct sync_engine *e, const struct plan *p,
    struct sync_report *rep);
/* Adds an owned copy of an alert about `op` to rep->errors. */
void sync_report_error(struct sync_report *rep, const struct plan_op *op,
    const char *fmt, ...) ATTR_PRINTF(3, 4);

/* sync_recover.c: reconciles ops left pending by a crashed run. *n is how
 * many. 0 or a negative code (store or API failure: the cycle stops, as
 * planning over an unknown outcome could duplicate a create). */
int sync_recover(struct sync_engine *e, size_t *n /* OUT */, char *why,
    size_t whylen);

/* True when the state row names the object `name` in `domain` (a contact
 * moved to another domain has a row naming its new half). */
bool sync_row_names(const struct plan_row *row, const char *domain,
    const char *name);

/* Typed API calls of one plan op on the service (sync_apply.c). */
/* One operation of a batch being applied: the unit of both apply paths
 * (sync_apply.c, sync_bulk.c). */
struct sync_slot {
	const struct plan_op *op;	/* borrowed from the plan */
	int64_t op_id;			/* its journal row */
	int code;		/* 0 or the call's negative code */
	struct rs_error err;
	bool skipped;		/* a dependency failed, or backoff: never
				 * sent */
	bool backoff;		/* skipped: failed `failures` times in a
				 * row, next try after `retry_at` */
	unsigned failures;
	int64_t retry_at;
	bool recorded;		/* its outcome is committed */
	/* A mailbox create: the password a DC captured for the user
	 * (e->pwsource), owned until sent; pw_token its queue entry. */
	struct secret *pw;
	int64_t pw_token;
	struct sync_bulk *bulk;	/* the pipeline sending it, or NULL */
	/* A members-add some of whose members are absent from the service
	 * (their create failed or waits in this run): `op` then points to
	 * `opv`, a shallow copy of the plan's op whose values are `vals`,
	 * the members that exist (owned; freed after the batch). */
	struct plan_op opv;
	struct rs_strlist vals;
	bool moot;		/* skipped: no member of it exists yet; the
				 * members' own errors say why */
};

/* (anchor, service) pairs whose create or adopt failed: their later ops
 * (addresses, memberships) are skipped, not sent to fail again. And the
 * addresses (name@domain) of the objects this run could not create,
 * sorted without regard to case: list members-adds leave them out (the
 * service refuses a whole members-add naming one), and the next run adds
 * them once they exist. */
struct sync_apply_failed {
	struct obj_guid *g;
	enum plan_service *s;
	size_t n;
	char **addr;		/* owned strings, sorted (strcasecmp) */
	size_t naddr, capaddr;
};

/*
 * The members of `values` a members-add (`add`) or -remove still has to
 * send to a list that now holds `have`: for an add those not in `have`,
 * for a remove those in it (compared without regard to ASCII case),
 * appended to the empty list `out`. Pure. 0 or -ENOMEM.
 */
int sync_members_rest(const struct rs_strlist *values,
    const struct rs_strlist *have, bool add, struct rs_strlist *out)
    ATTR_NODISCARD;

/*
 * The members of `values` that are not in the sorted (strcasecmp) array
 * absent[0..nabsent), appended to the empty list `out`. Pure. 0 or
 * -ENOMEM.
 */
int sync_members_present(const struct rs_strlist *values,
    char *const *absent, size_t nabsent, struct rs_strlist *out)
    ATTR_NODISCARD;

/* Whether the outcome of bulk slot `sl` is settled by the engine after
 * the pipeline (a create whose reply was lost, a members-add refused
 * whole) rather than recorded as it came. */
bool sync_apply_settle_later(const struct sync_slot *sl);

bool sync_apply_bulkable(const struct plan_op *op);
bool sync_apply_submit(struct sync_engine *e, struct sync_slot *sl);
int sync_apply_journal(struct sync_engine *e, struct sync_slot *v, size_t n,
    struct sync_report *rep);
int sync_apply_outcomes(struct sync_engine *e, struct sync_slot *v,
    const size_t *idx, size_t n, struct sync_report *rep,
    struct sync_apply_failed *failed);

/* The administrator's decisions on held removals (sync_decide.c). */
struct sync_keys {
	struct plan_opkey *v;	/* owned */
	int64_t *ids;		/* owned: their held_op rows */
	size_t n;
};

struct sync_decisions {
	struct sync_keys approved;	/* of the run being approved */
	struct sync_keys rejected;	/* every standing rejection */
};

/* Loads the rejections and, when approve_run != 0, approves that run's
 * waiting removals (a write: only when applying). 0, or a negative code
 * with `why` (-ADSYNC_ENOTFOUND: nothing waits in that run). */
int sync_decide_load(struct sync_engine *e, int64_t approve_run,
    struct sync_decisions *d, char *why, size_t whylen);
/* Points the plan options at the decision sets (borrowed from `d`). */
void sync_decide_opts(const struct sync_decisions *d, struct plan_opts *po);
/* After planning run `run_id`: records the held removals, supersedes older
 * waiting ones, forgets rejections the plan no longer needed. */
int sync_decide_record(struct sync_engine *e, int64_t run_id,
    const struct plan *p, const struct sync_decisions *d, char *why,
    size_t whylen);
void sync_decide_fini(struct sync_decisions *d);

/*
 * The bulk pipeline (sync_bulk.c): journals every op of v[0..n) in chunks
 * while a pusher thread sends the bulkable ones already journaled, and
 * records the outcomes of those answered (not the creates whose reply was
 * lost: their lookup is the caller's, as are the other ops). Returns 0, or
 * a negative code with rep->why (what was recorded stays; the rest is in
 * the journal for sync_recover.c).
 */
int sync_bulk_run(struct sync_engine *e, struct sync_slot *v, size_t n,
    struct sync_report *rep, struct sync_apply_failed *failed);
/* The pusher's completion of `sl` (from its rs_done_fn). Pusher thread. */
void sync_bulk_done(struct sync_slot *sl);
/* Called by the engine thread's store loops once per op `i`: while a
 * pusher runs, gives it the CPU every few ops (see sync_bulk.c). */
void sync_bulk_yield(const struct sync_engine *e, size_t i);

int sync_apply_call(struct sync_engine *e, const struct plan_op *op,
    struct rs_error *err);
/* Whether the object (service, kind, domain, name) exists in the service:
 * 1, 0, or a negative code with `err`. */
int sync_apply_exists(struct sync_engine *e, enum plan_service s,
    enum plan_kind k, const char *domain, const char *name,
    struct rs_error *err);

#endif
