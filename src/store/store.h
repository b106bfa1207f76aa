/*
 * store: adsync's state in SQLite (state_dir/state.db, WAL, versioned
 * migrations through PRAGMA user_version, SQLITE_DBCONFIG_DEFENSIVE,
 * prepared statements only). It holds four things:
 *
 *  1. the mirror: the last complete picture of the directory (every user,
 *     contact and group read from AD, with group memberships by GUID) and
 *     the AD watermark that describes it. A full read is staged beside the
 *     live mirror and swapped in only when complete (ypldap's snapshot or
 *     nothing); a change read is applied in one transaction together with
 *     its new watermark;
 *  2. the synced state: one struct plan_row per (objectGUID, service);
 *  3. the journal: runs, and every API operation of a run, written
 *     *before* the call (state "pending") and completed after it, so that
 *     after a crash the pending ones can be reconciled with the target;
 *  4. alerts: the current alerts per object, with first/last seen.
 *
 * Threads: a struct store is one SQLite connection owned by one thread
 * (the engine). Another thread that only reads (the web console, issue 8)
 * opens its own handle with store_open_readonly().
 *
 * Locking: store_open() takes an exclusive lock (flock on state_dir/lock)
 * so that two adsync processes never write the same state; the second one
 * fails with -EWOULDBLOCK and a sentence naming the holder's PID (written
 * into the lock file).
 *
 * Trust: the database is ours (0600 in a 0700 directory) but still read
 * defensively: a row that does not decode is an error naming the row, not
 * a crash. Nothing secret is stored here (no passwords, no keys).
 *
 * Errors: 0 or a negative code (-ADSYNC_E*, -errno) plus, for the calls
 * that take them, a sentence in `why` naming the file and the fix. Every
 * other failure leaves a sentence in store_errmsg() (e.g. the GUID of a
 * row that does not decode). SQLite's codes map to: SQLITE_BUSY -EBUSY,
 * SQLITE_NOMEM -ENOMEM, SQLITE_FULL -ENOSPC, SQLITE_READONLY -EROFS,
 * SQLITE_CORRUPT/NOTADB and undecodable rows -ADSYNC_EPARSE, SQLITE_TOOBIG
 * -ADSYNC_ETOOBIG, SQLITE_CONSTRAINT -EINVAL, anything else -EIO.
 *
 * Ownership: struct store is opaque and owned by the caller of
 * store_open*(); arguments are borrowed for the call; objects and rows
 * handed out are owned by the caller (obj_free, plan_row_fini); structs
 * handed to callbacks are borrowed for the callback only. Callbacks may
 * call any store function on the same handle (iteration never keeps a
 * statement open across a callback).
 *
 * docs/store.md has the schema, the transactions and what is durable when.
 */
#ifndef ADSYNC_STORE_H
#define ADSYNC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attributes.h"
#include "obj.h"
#include "plan.h"

struct store;

/*
 * Opens (creating when absent: directory 0700, file 0600) the state in
 * `state_dir`, applies pending migrations, and takes the process lock.
 * ":memory:" opens a private in-memory store without a lock (tests).
 * Returns 0 and *out (owned; store_close()), or a negative code and `why`:
 * -EPERM for a state_dir or state file owned by another uid or writable
 * by group/others (the sentence names the path and the chmod/chown that
 * fixes it), -ELOOP for a state file that is a symbolic link,
 * -EWOULDBLOCK when another process holds the lock, -ADSYNC_ERANGE for a
 * database newer than this build, -ADSYNC_EPARSE for an SQLite file that
 * is not an adsync state database.
 */
int store_open(const char *state_dir, struct store **out /* OUT */,
    char *why, size_t whylen) ATTR_NODISCARD;
/*
 * Read-only handle for other threads; no lock, no migrations: the database
 * must exist at exactly STORE_SCHEMA_VERSION (else -ADSYNC_ERANGE and a
 * sentence). Same permission checks. Writes fail with -EROFS.
 */
int store_open_readonly(const char *state_dir, struct store **out /* OUT */,
    char *why, size_t whylen) ATTR_NODISCARD;
/* Rolls back an open transaction, closes, releases the lock. NULL ok. */
void store_close(struct store *st);

/*
 * The sentence describing the last failure on `st` ("" when none yet):
 * borrowed, valid until the next call on `st`. Never contains a secret.
 */
const char *store_errmsg(const struct store *st);

/* The schema version this build writes (and the newest it reads). A
 * database with a newer one is refused by store_open(). */
#define STORE_SCHEMA_VERSION 2
/* PRAGMA user_version of the open database, or a negative code. */
int store_schema_version(struct store *st);

/* ---- the mirror ---------------------------------------------------- */

/*
 * Full read: store_mirror_full_begin() opens a transaction and an empty
 * staging area; store_mirror_full_put() adds one whole object (borrowed);
 * store_mirror_full_commit() swaps the staging area in as the mirror and
 * stores `watermark` (text, e.g. from ad_watermark_encode) in the same
 * transaction; store_mirror_full_abort() trashes the staging area and
 * leaves the old mirror as it was. Put of a GUID already staged replaces.
 *
 * What is stored of an object: guid, kind, dn, deleted, the typed fields,
 * object_sid, every attribute's values and the present bits; for a group,
 * o->member (GUID and DN of each member, duplicates dropped) becomes its
 * memberships. o->member_of is not stored: memberships come from groups
 * (a member's memberOf changes without its uSN changing), and
 * store_mirror_get() rebuilds member_of from them. o->incremental is
 * ignored here (a full read has whole objects).
 *
 * The transaction stays open from begin to commit/abort (it may last the
 * whole directory read); in between, only mirror calls and reads are
 * allowed on this handle: store_begin() and the journal and row writes
 * fail with -EBUSY. Read-only handles keep seeing the old mirror until
 * the commit. -EBUSY also when a transaction is already open.
 */
int store_mirror_full_begin(struct store *st) ATTR_NODISCARD;
int store_mirror_full_put(struct store *st, const struct obj *o)
    ATTR_NODISCARD;
int store_mirror_full_commit(struct store *st, const char *watermark)
    ATTR_NODISCARD;
void store_mirror_full_abort(struct store *st);

/*
 * Change read: begin, apply each change, commit with the new watermark (or
 * abort: nothing of it stays). store_mirror_apply() merges:
 *  - o->deleted: removes the object and its memberships (both as group
 *    and as member);
 *  - o->incremental (DirSync): only the attributes in o->present change
 *    (present with no value = cleared); dn, uac, group_type and the other
 *    typed fields change when the object carries them (non-zero / flagged
 *    in present); member_added / member_removed are applied to the group's
 *    memberships; a full `member` list (member_present) replaces them;
 *  - otherwise (uSN read): the object replaces the stored one whole.
 * An incremental change for an object not in the mirror is stored as it
 * is (it is completed by the next full read; the planner sees what is
 * known).
 *
 * "Carries": dn non-NULL, kind not OBJ_UNKNOWN, object_sid non-NULL, and
 * uac, group_type, pwd_last_set, usn_changed, when_changed non-zero (a
 * DirSync change that sets one of them to 0 is therefore not seen until
 * the next full read). An attribute cleared by a change loses its present
 * bit in the stored object, as if a full read had not returned it. A
 * member ref with a zero GUID is matched by DN (case-insensitively).
 * Same transaction rules as the full read.
 */
int store_mirror_changes_begin(struct store *st) ATTR_NODISCARD;
int store_mirror_apply(struct store *st, const struct obj *o) ATTR_NODISCARD;
int store_mirror_changes_commit(struct store *st, const char *watermark)
    ATTR_NODISCARD;
void store_mirror_changes_abort(struct store *st);

/* The watermark text of the mirror into `out` ("" when there is no
 * mirror yet: a full read is needed). 0, or -ADSYNC_ETOOBIG. */
int store_mirror_watermark(struct store *st, char *out, size_t outlen)
    ATTR_NODISCARD;
/* Forgets the watermark (the next read is full); the mirror stays. */
int store_mirror_forget_watermark(struct store *st) ATTR_NODISCARD;

/*
 * The object with GUID `g`, whole (incremental false), with `member` (and
 * member_of) lists rebuilt from the memberships with GUIDs and DNs. 0 and
 * *out (owned; obj_free), or -ADSYNC_ENOTFOUND, or -ADSYNC_EPARSE when the
 * stored row does not decode (store_errmsg() names the GUID).
 *
 * Groups get member_present = true and their members in the order they
 * were stored; a member that is itself in the mirror is listed with its
 * current DN (AD renames members without touching the group). member_of
 * lists the groups in the mirror that have the object as a member (by
 * GUID, or by DN for members stored without one), ordered by DN.
 */
int store_mirror_get(struct store *st, const struct obj_guid *g,
    struct obj **out /* OUT */) ATTR_NODISCARD;
/* The same without member_of (left empty): the planner derives
 * memberships from the groups' member lists, and that query was a quarter
 * of a plan's time. */
int store_mirror_get_lean(struct store *st, const struct obj_guid *g,
    struct obj **out /* OUT */) ATTR_NODISCARD;
/* The GUID of the object whose DN is `dn` (case-insensitive). 0 and
 * *out, or -ADSYNC_ENOTFOUND. */
int store_mirror_find_dn(struct store *st, const char *dn,
    struct obj_guid *out /* OUT */) ATTR_NODISCARD;
/* Objects in the mirror, by kind (OBJ_UNKNOWN: all). */
int store_mirror_count(struct store *st, enum obj_kind k,
    size_t *out /* OUT */) ATTR_NODISCARD;

/* ---- the synced state ---------------------------------------------- */

/* The row of (anchor, service) into the initialised, empty `out`, or
 * -ADSYNC_ENOTFOUND. NULL strings (dn, domain, name) come back NULL. */
int store_row_get(struct store *st, const struct obj_guid *anchor,
    enum plan_service s, struct plan_row *out /* OUT */) ATTR_NODISCARD;
/* Inserts or replaces the row (borrowed). -EBUSY during a mirror
 * transaction. */
int store_row_put(struct store *st, const struct plan_row *row)
    ATTR_NODISCARD;
/* Removes the row; 0 also when absent. */
int store_row_delete(struct store *st, const struct obj_guid *anchor,
    enum plan_service s) ATTR_NODISCARD;
/* Calls fn for each row, in table order (a sequential read; callers that
 * need an order sort); the row is borrowed for the call; stops at fn's
 * first non-zero return and returns it. */
int store_row_each(struct store *st,
    int (*fn)(const struct plan_row *row, void *arg), void *arg)
    ATTR_NODISCARD;
/* The same with identity and flags only (anchor, service, kind, dn,
 * domain, name, enabled, in_scope; no fields, members or addresses):
 * the planner's light copy of the state, without decoding every row. */
int store_row_each_ident(struct store *st,
    int (*fn)(const struct plan_row *row, void *arg), void *arg)
    ATTR_NODISCARD;
int store_row_count(struct store *st, size_t *out /* OUT */) ATTR_NODISCARD;
/* The same per service (indexed by enum plan_service). */
int store_row_count_by_service(struct store *st,
    size_t out[PLAN_SVC_COUNT] /* OUT */) ATTR_NODISCARD;
/* The same per service, kind and state: out[service][kind][enabled]
 * (enabled 1, disabled 0), for the daemon's metrics. One scan of the
 * rows' flags; a row that names an unknown service or kind is
 * -ADSYNC_EPARSE. */
int store_row_count_by_service_state(struct store *st,
    size_t out[PLAN_SVC_COUNT][PLAN_K_COUNT][2] /* OUT */) ATTR_NODISCARD;

/* One object found by store_search(). */
struct store_hit {
	struct obj_guid guid;
	bool in_mirror;			/* false: only a synced row is left */
	enum obj_kind obj_kind;		/* OBJ_UNKNOWN when !in_mirror */
	char dn[512];
	bool synced;			/* the fields below are set */
	enum plan_service service;
	char name[128], domain[256];
	bool enabled, in_scope;
};

/*
 * At most `max` objects whose DN or synced address (name@domain) contains
 * `q` (any case; at most 256 bytes), or whose GUID is `q`, ordered by DN:
 * fn per object (borrowed for the call) until it returns non-zero, which
 * is returned. An object synced to both services comes once per service.
 */
int store_search(struct store *st, const char *q, size_t max,
    int (*fn)(const struct store_hit *h, void *arg), void *arg)
    ATTR_NODISCARD;

/* ---- transactions around several calls ----------------------------- */

/*
 * BEGIN IMMEDIATE / COMMIT / ROLLBACK for a group of row and journal
 * writes (the mirror calls manage their own). Not nestable: -EBUSY when a
 * transaction (of either kind) is open. A failed COMMIT rolls back. The
 * group is committed with synchronous=FULL: when store_commit() returns 0
 * everything in it (pending ops included) survives a power loss.
 */
int store_begin(struct store *st) ATTR_NODISCARD;
int store_commit(struct store *st) ATTR_NODISCARD;
void store_rollback(struct store *st);

/* ---- the journal ----------------------------------------------------- */

enum store_run_status {
	STORE_RUN_RUNNING = 0,
	STORE_RUN_OK,		/* every operation succeeded */
	STORE_RUN_PARTIAL,	/* some objects had errors */
	STORE_RUN_FAILED,	/* the run failed as a whole */
	STORE_RUN_HELD		/* removals held back by the guard */
};

/* Summary counts of a run (what `sync --once` prints). */
struct store_run_counts {
	unsigned long created, updated, enabled, disabled, deleted;
	unsigned long errors, alerts, held, api_calls;
};

struct store_run {
	int64_t id;
	int64_t started;		/* Unix seconds */
	int64_t finished;		/* 0 while running */
	char trigger[32];		/* "once", "interval", "change", ... */
	enum store_run_status status;
	struct store_run_counts counts;
	char message[512];		/* why it failed, "" otherwise */
};

/* "ok", "partial", "failed", "held" or "running": static text. */
const char *store_run_status_name(enum store_run_status s);

/* Starts a run record; *id is its id. `now` in Unix seconds. */
int store_run_begin(struct store *st, const char *trigger, int64_t now,
    int64_t *id /* OUT */) ATTR_NODISCARD;
/* Closes run `id` with its status, counts (NULL: all zero) and message
 * (NULL: ""). -ADSYNC_ENOTFOUND for an unknown id. */
int store_run_end(struct store *st, int64_t id, enum store_run_status status,
    const struct store_run_counts *counts, const char *message,
    int64_t now) ATTR_NODISCARD;
/* Runs before `current` still marked running (a stop or a crash
 * interrupted them) become failed with `message`; *n how many. */
int store_run_close_stale(struct store *st, int64_t current,
    const char *message, int64_t now, size_t *n /* OUT */) ATTR_NODISCARD;
/* The newest `max` runs, newest first, into `out`; *n how many. */
int store_run_list(struct store *st, struct store_run *out, size_t max,
    size_t *n /* OUT */) ATTR_NODISCARD;
/* The same from run `from` down (from itself included): pages of the
 * history, or one run with from = its id and max = 1 (check its id). */
int store_run_page(struct store *st, int64_t from, struct store_run *out,
    size_t max, size_t *n /* OUT */) ATTR_NODISCARD;

enum store_op_state {
	STORE_OP_PENDING = 0,	/* journaled; the call may or may not have
				 * reached the service */
	STORE_OP_DONE,
	STORE_OP_FAILED,
	/* Held back by the guard (store_held_*), never sent: */
	STORE_OP_HELD,		/* waiting for approve or reject */
	STORE_OP_APPROVED,	/* approved: the next cycle may apply it */
	STORE_OP_REJECTED,	/* rejected: not planned while it stays the
				 * same removal */
	STORE_OP_SUPERSEDED	/* a later run held again, or no longer
				 * planned */
};
/* "pending", "done", "failed", "held", "approved", "rejected",
 * "superseded". */
const char *store_op_state_name(enum store_op_state s);
/* The number of states, for arrays indexed by state. */
#define STORE_OP_STATE_COUNT (STORE_OP_SUPERSEDED + 1)

/* One journaled operation. Text fields are copies, cut at a UTF-8
 * character boundary when longer than the array; no secrets. */
struct store_op {
	int64_t id;
	int64_t run_id;
	enum store_op_state state;
	enum plan_opkind op;
	enum plan_service service;
	enum plan_kind kind;
	struct obj_guid anchor;
	char dn[512];		/* the AD object's DN */
	char domain[256];
	char name[128];
	char reason[512];	/* the plan's sentence */
	char detail[1024];	/* e.g. the fields or values sent (names and
				 * values; never a password) */
	char result[512];	/* "" while pending; the error otherwise */
	int64_t started, finished;
};

/*
 * The spill of a streamed plan (store_spill.c, docs/plan.md "Memory"):
 * temporary tables of this handle. reset() empties it (and must come
 * before a plan); put() keeps one op (inside one transaction the spill
 * opens itself: the plan's reads share it); seal() ends it and fixes the
 * apply order (plan_op_order()'s); read() decodes up to `max` ops after
 * the `after`-th, in that order, into `out` (owned by the caller:
 * plan_op_fini each); count() says how many were kept; drop() frees it.
 * A password field is refused as by the journal. 0 or a code.
 */
int store_spill_reset(struct store *st) ATTR_NODISCARD;
int store_spill_put(struct store *st, const struct plan_op *op)
    ATTR_NODISCARD;
int store_spill_seal(struct store *st) ATTR_NODISCARD;
int store_spill_read(struct store *st, size_t after, size_t max,
    struct plan_op *out, size_t *n /* OUT */) ATTR_NODISCARD;
size_t store_spill_count(const struct store *st);
void store_spill_drop(struct store *st);

/*
 * Journals `op` as pending before its call; *id identifies it. Outside a
 * transaction it commits at once, durably (synchronous=FULL for this
 * write), so that a crash right after still finds it. Inside a
 * store_begin() group (several ops journaled with one fsync) it is durable
 * when store_commit() returns: make the API call only after that. -EBUSY
 * during a mirror transaction; -EINVAL (foreign key) for an unknown run.
 * `detail` becomes JSON {"fields":{name:value...},"values":[...]}.
 * SECURITY: plan ops never carry a password (the CREATE password is made
 * at apply time and never leaves the target module); as a second line of
 * defence an op with a field or change whose name contains "password"
 * (any case) is refused with -EINVAL and nothing is written.
 */
int store_op_begin(struct store *st, int64_t run_id, const struct plan_op *op,
    int64_t now, int64_t *id /* OUT */) ATTR_NODISCARD;
/* Marks it done or failed with `result` ("" for done; NULL = ""). Only a
 * pending op can end: -EALREADY otherwise, -ADSYNC_ENOTFOUND for an
 * unknown id, -EINVAL for STORE_OP_PENDING. */
int store_op_end(struct store *st, int64_t id, enum store_op_state state,
    const char *result, int64_t now) ATTR_NODISCARD;
/* Calls fn for every pending op, oldest first (crash recovery). */
int store_op_each_pending(struct store *st,
    int (*fn)(const struct store_op *op, void *arg), void *arg)
    ATTR_NODISCARD;
/* The ops of run `run_id` in order; fn per op. */
int store_op_each_of_run(struct store *st, int64_t run_id,
    int (*fn)(const struct store_op *op, void *arg), void *arg)
    ATTR_NODISCARD;

/* Which of a run's journaled operations a page shows. */
struct store_op_filter {
	const char *q;		/* part of the name, domain, DN or error, any
				 * case; NULL or "" = all */
	int op;			/* also those of this kind (enum
				 * plan_opkind), -1 = none */
	int state;		/* only this state (enum store_op_state),
				 * -1 = any */
};

/*
 * The journaled operations of run `run_id` that match `f`, in order, from
 * the `offset`-th, at most `limit`: fn per op (borrowed for the call);
 * *total how many match. Stops at fn's first non-zero return.
 */
int store_op_page_of_run(struct store *st, int64_t run_id,
    const struct store_op_filter *f, int64_t offset, int64_t limit,
    int (*fn)(const struct store_op *op, void *arg), void *arg,
    size_t *total /* OUT */) ATTR_NODISCARD;
/* How many of run `run_id`'s journaled operations are in each state. */
int store_op_count_states_of_run(struct store *st, int64_t run_id,
    size_t out[STORE_OP_SUPERSEDED + 1] /* OUT */) ATTR_NODISCARD;

/* The last `max` operations of `anchor` (any service), newest first,
 * into `out`; *n how many. */
int store_op_last_of_anchor(struct store *st, const struct obj_guid *anchor,
    struct store_op *out, size_t max, size_t *n /* OUT */) ATTR_NODISCARD;

/*
 * How often the same operation (op kind on `anchor` in service `s`) failed
 * in a row, newest first, looking at its last 16 journaled attempts:
 * *count (0 when the newest succeeded or there is none), *last when the
 * newest failure ended, and its error into `result` (may be NULL).
 */
int store_op_failures(struct store *st, const struct obj_guid *anchor,
    enum plan_service s, enum plan_opkind op, unsigned *count /* OUT */,
    int64_t *last /* OUT */, char *result, size_t resultlen)
    ATTR_NODISCARD;

/* Operations by kind (enum plan_opkind) and state (enum store_op_state). */
struct store_op_counts {
	uint64_t n[PLAN_OP_COUNT][STORE_OP_STATE_COUNT];
};

/*
 * What store_op_count_by_kind_state() remembers between calls. The journal
 * only grows and an op's state only leaves "pending", so the ops before
 * the oldest still pending one are final: they are counted once and kept
 * here, and each later call reads only the rows after them (a scrape of a
 * journal of millions of ops then costs the last cycle's rows, not a scan
 * of the table). Zero it before the first call; use it with one database.
 */
struct store_op_tally {
	struct store_op_counts settled;	/* the final ops up to settled_id */
	int64_t settled_id;
};

/*
 * Counts the journal by kind and state into *out: every journaled op
 * (pending, done, failed) and every removal the guard held back (held_op,
 * by its decision: held, approved, rejected, superseded). `t` (may be
 * NULL: the whole journal is read) is updated as described above, only on
 * success. -ADSYNC_EPARSE for a row with an unknown kind or state.
 */
int store_op_count_by_kind_state(struct store *st, struct store_op_tally *t,
    struct store_op_counts *out /* OUT */) ATTR_NODISCARD;

/* ---- removals held back by the guard ------------------------------- */

/*
 * Records `op` (a removal the guard held back) in run `run_id` as
 * waiting (STORE_OP_HELD). Its detail as store_op_begin's; no password.
 */
int store_held_put(struct store *st, int64_t run_id,
    const struct plan_op *op, int64_t now) ATTR_NODISCARD;
/* Held ops of run `run_id` (state STORE_OP_HELD..SUPERSEDED), in order;
 * fn per op, stops at its first non-zero return and returns it. */
int store_held_each_of_run(struct store *st, int64_t run_id,
    int (*fn)(const struct store_op *op, void *arg), void *arg)
    ATTR_NODISCARD;
/* Held ops in state `state`, oldest first; same callback rules. */
int store_held_each_in(struct store *st, enum store_op_state state,
    int (*fn)(const struct store_op *op, void *arg), void *arg)
    ATTR_NODISCARD;
/* Moves the held ops of run `run_id` that are in state `from` to `to`;
 * *n (may be NULL) how many. */
int store_held_decide(struct store *st, int64_t run_id,
    enum store_op_state from, enum store_op_state to, int64_t now,
    size_t *n /* OUT */) ATTR_NODISCARD;
/* Moves held op `id` to `to` (a rejection no longer planned: superseded). */
int store_held_set(struct store *st, int64_t id, enum store_op_state to,
    int64_t now) ATTR_NODISCARD;
/* Every waiting held op of runs before `run_id` becomes superseded: only
 * the newest held run can be approved. */
int store_held_supersede(struct store *st, int64_t run_id, int64_t now)
    ATTR_NODISCARD;

/* ---- alerts --------------------------------------------------------- */

/*
 * Replaces the set of current alerts with `alerts` (the plan's): alerts
 * still present keep their first_seen, new ones start now, vanished ones
 * are moved to the resolved history. Keyed by (anchor, service, message).
 */
int store_alerts_set(struct store *st, const struct plan_alert *alerts,
    size_t n, int64_t now) ATTR_NODISCARD;

/*
 * The same for the alerts of some objects only (a focused plan's): the
 * current alerts of `anchors` are replaced by `alerts`; the others stay.
 * anchors NULL: all, as store_alerts_set().
 */
int store_alerts_set_some(struct store *st, const struct plan_alert *alerts,
    size_t n, const struct obj_guid *anchors, size_t nanchors, int64_t now)
    ATTR_NODISCARD;

struct store_alert {
	enum plan_level level;
	enum plan_service service;
	struct obj_guid anchor;
	char dn[512];
	char message[1024];
	int64_t first_seen, last_seen;
	int64_t resolved;	/* 0 for a current alert */
};
/* Current alerts, oldest first (by first_seen); fn per alert; stops at
 * fn's first non-zero return and returns it. */
int store_alerts_each(struct store *st,
    int (*fn)(const struct store_alert *a, void *arg), void *arg)
    ATTR_NODISCARD;
/* How many alerts are current. */
int store_alert_count(struct store *st, size_t *out /* OUT */) ATTR_NODISCARD;
/* Resolved alerts (the history), newest resolution first, at most `max`
 * of them (0: all); a->resolved says when. Same callback rules. */
int store_alerts_each_resolved(struct store *st, size_t max,
    int (*fn)(const struct store_alert *a, void *arg), void *arg)
    ATTR_NODISCARD;

#endif
