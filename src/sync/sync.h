/*
 * sync: the engine that runs one sync cycle end to end (docs/sync.md):
 *
 *   1. recover: operations journaled as pending by a run that crashed are
 *      reconciled with the service (a lost create is found by name, never
 *      sent twice);
 *   2. read: the directory mirror in the store is brought up to date from
 *      AD (a DirSync/uSN change read from the stored watermark, or a full
 *      read when there is none or it cannot be continued) — snapshot or
 *      nothing: a failed read changes nothing;
 *   3. plan: src/plan decides from the mirror, the synced state and (for
 *      objects not yet synced) the service's inventory;
 *   4. apply (unless only planning): each operation is journaled, sent, and
 *      its result and the new state row are committed together.
 *
 * Threads: a struct sync_engine and everything it holds (the store, the
 * LDAP connection, the API client) belong to the thread that made it.
 *
 * Secrets: the AD bind password and the API secret key are loaded by the
 * ldap and target modules for each use; new mailboxes get a random
 * password (never stored, logged or shown) that lives in a struct secret
 * for the one request and is wiped after it.
 */
#ifndef ADSYNC_SYNC_H
#define ADSYNC_SYNC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attributes.h"
#include "conf.h"
#include "plan.h"
#include "store.h"

struct sync_engine;

/*
 * Makes an engine for `conf` (borrowed: it must outlive the engine) and
 * opens the state in conf->sync.state_dir (taking its lock). Connections
 * to AD and the API are made when first needed. 0 and *out (owned;
 * sync_engine_free), or a negative code and a sentence in `why`.
 */
int sync_engine_new(const struct conf *conf, struct sync_engine **out /* OUT */,
    char *why, size_t whylen) ATTR_NODISCARD;
void sync_engine_free(struct sync_engine *e);

/* What one cycle should do. */
struct sync_opts {
	const char *trigger;	/* "once", "plan", "interval", ... (run
				 * record and logs) */
	bool apply;		/* false: plan only, change nothing in the
				 * service (adsync plan, sync --dry-run) */
	bool allow_deletes;	/* skip the mass-removal guard */
	bool offline;		/* never ask the service (no inventory):
				 * plan without adoption checks */
	bool skip_unchanged;	/* when the change read returns nothing and
				 * the last cycle settled everything, end
				 * here: the plan would be empty (the
				 * daemon's change and interval cycles) */
	const struct obj_guid *focus;	/* plan only these (sorted), as a
					 * focused plan (explain); NULL: as
					 * the engine decides */
	size_t nfocus;
	bool no_read;		/* plan from the mirror as it is, without
				 * reading AD (explain) */
	int64_t approve_run;	/* lift the guard for the removals held in
				 * this run (`adsync approve RUN`); 0: none */
	bool full;		/* read AD in full even when the watermark
				 * could be continued (the daemon's daily
				 * reconcile, `sync --now --full`) */
};

/*
 * Makes a running cycle stop early once *stop becomes true (another thread
 * sets it: the daemon on SIGTERM): no new batch starts, requests not yet
 * sent are cancelled (their ops are recorded as failed, never sent), the
 * ones in flight finish and are recorded, and sync_engine_run() fails with
 * -ADSYNC_ECANCELED. `stop` is borrowed for the engine's life; NULL = never.
 */
void sync_engine_set_stop(struct sync_engine *e, const atomic_bool *stop);

/*
 * `adsync reject RUN`: the removals held in run `run_id` and still waiting
 * are rejected (left out of later plans while they stay the same removal).
 * 0 and *n how many; -ADSYNC_ENOTFOUND (with `why`) when none waits in
 * that run.
 */
int sync_engine_reject(struct sync_engine *e, int64_t run_id,
    size_t *n /* OUT */, char *why, size_t whylen) ATTR_NODISCARD;

/*
 * `adsync explain KEY` (an address name@domain, a DN or a GUID): why the
 * object is or is not synced, in which service, its last operations and
 * what is pending, from an offline plan of the mirror as it is (nothing
 * read, sent or changed). 0 and *out (a new JSON object: key, guid, ad,
 * scope, synced, pending, alerts, operations), or a negative code with a
 * sentence in `why` naming the fix.
 */
int sync_engine_explain(struct sync_engine *e, const char *key,
    json_t **out /* OUT */, char *why, size_t whylen) ATTR_NODISCARD;

/*
 * Progress of a running cycle, for another thread to show (the daemon's
 * status): written by the engine's thread, read anywhere. The stage is
 * 0 idle, 1 reading AD, 2 planning, 3 applying; `done` of `total`
 * operations applied, counted per batch.
 */
struct sync_progress {
	atomic_int stage;
	atomic_size_t total;
	atomic_size_t done;
	atomic_llong apply_started_ms;	/* timing_now_ms() at stage 3 */
};

/* Makes the engine publish its progress into `p` (borrowed for the
 * engine's life; NULL: none). */
void sync_engine_set_progress(struct sync_engine *e, struct sync_progress *p);

/*
 * Where a new mailbox's password may come from instead of a random one:
 * the password a DC captured for that user before the mailbox existed
 * (the daemon's password sync, src/pwsync/pw_held.c). Called on the
 * engine's thread: any() once per batch, take() per mailbox create (1 and
 * an owned *pw and *token, or 0), used() after the create succeeded.
 */
struct secret;
struct sync_pwsource {
	bool (*any)(void *arg);
	int (*take)(void *arg, const char *guid, struct secret **pw,
	    int64_t *token);
	void (*used)(void *arg, int64_t token);
	void *arg;
};
/* Borrowed until the engine is freed or the source is set again; NULL:
 * random passwords only. */
void sync_engine_set_pwsource(struct sync_engine *e,
    const struct sync_pwsource *src);

/* The throttle budget the engine's API client shares with other clients
 * (the daemon's password sync, which has priority): a reference is taken;
 * before the first cycle. */
struct rs_pacer;
void sync_engine_set_pacer(struct sync_engine *e, struct rs_pacer *p);

/* The domain controller the engine reads from ("" before the first
 * read). Borrowed, valid until the next cycle or sync_engine_free(). */
const char *sync_engine_dc(const struct sync_engine *e);

/* What one cycle did. */
struct sync_report {
	struct plan *plan;		/* owned; NULL when planning failed */
	enum store_run_status status;	/* STORE_RUN_OK/PARTIAL/FAILED/HELD */
	struct store_run_counts counts;	/* applied (all zero when !apply) */
	int64_t run_id;			/* 0 when !apply */
	bool full_read;			/* the mirror was read whole */
	size_t changes;			/* objects a change read returned */
	bool skipped;			/* skip_unchanged: nothing to do */
	size_t focused;			/* objects of a focused plan; 0:
					 * the whole mirror was planned */
	size_t recovered;		/* pending ops reconciled first */
	double secs_read;		/* time spent reading AD */
	double secs_plan;		/* ... planning (inventory included) */
	double secs_apply;		/* ... applying */
	struct plan_alert *errors;	/* owned: operations the service
					 * refused, in the seed's words
					 * ("Performed action 'Create' for
					 * user ...: Mailbox limit exceeded.") */
	size_t nerrors;
	char why[1024];			/* why it failed as a whole, or "" */
};

void sync_report_init(struct sync_report *r);
void sync_report_fini(struct sync_report *r);

/*
 * Runs one cycle. Returns 0 when the cycle ran (individual objects may
 * still have failed: see rep->status and counts.errors), or a negative
 * code when it failed as a whole (AD unreachable, the plan refused, the
 * store failed): then nothing was applied and rep->why says why.
 */
int sync_engine_run(struct sync_engine *e, const struct sync_opts *opts,
    struct sync_report *rep /* OUT */) ATTR_NODISCARD;

/*
 * Writes a random password of `len` characters (16..64) that meets the
 * service rule (rackspace-api.md §7: 8+ characters, 3 of 4 classes; we
 * use all 4) into a new secret. NULL on failure. Uses libsodium's CSPRNG.
 */
struct secret *sync_password_new(size_t len);

/* The same into the existing secret `s` (secret_replace): 0, or -EINVAL /
 * -ENOSPC. For a caller that makes many. */
int sync_password_renew(struct secret *s, size_t len);

#endif
