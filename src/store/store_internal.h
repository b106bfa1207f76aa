/*
 * Internals of the store module, shared by its files and its unit test:
 * struct store, the prepared-statement cache, SQL helpers, the row codec,
 * the state directory checks and the migration runner. Nothing outside
 * src/store and tests/unit/test_store.c includes this header.
 *
 * Threads: as store.h (one owner thread per handle).
 */
#ifndef ADSYNC_STORE_INTERNAL_H
#define ADSYNC_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "attributes.h"
#include "buf.h"
#include "obj.h"
#include "plan.h"
#include "store.h"

/* Limits on what one row may hold, checked before allocating. */
#define STORE_BODY_MAX (32u * 1024 * 1024)	/* one encoded object */
#define STORE_LIST_MAX (32u * 1024 * 1024)	/* one encoded record/list */
#define STORE_DETAIL_MAX (1024u * 1024)		/* one op's detail JSON */
#define STORE_ERRMSG_MAX 512

/* How long a writer waits for another connection's lock. */
#define STORE_BUSY_TIMEOUT_MS 5000
/* Largest string or blob SQLite will hand us (SQLITE_LIMIT_LENGTH). */
#define STORE_SQL_LENGTH_MAX (64 * 1024 * 1024)

/*
 * Cached prepared statements, one slot per statement. Each is used from one
 * place, which passes its SQL text (a constant) to store_sql_stmt(); the
 * slot is prepared on first use and reused after a reset. The STAGE_ ones
 * refer to the staging tables, which exist only during a full read: they
 * are finalized when it ends.
 */
enum store_q {
	STORE_Q_BEGIN,
	STORE_Q_COMMIT,
	STORE_Q_ROLLBACK,
	STORE_Q_SYNC_FULL,
	STORE_Q_SYNC_NORMAL,
	STORE_Q_USER_VERSION,
	STORE_Q_META_GET,
	STORE_Q_META_SET,
	STORE_Q_META_DEL,
	/* mirror */
	STORE_Q_OBJ_PUT,
	STORE_Q_OBJ_GET,
	STORE_Q_OBJ_DEL,
	STORE_Q_OBJ_FIND_DN,
	STORE_Q_OBJ_COUNT,
	STORE_Q_OBJ_COUNT_KIND,
	STORE_Q_MEM_DEL_GROUP,
	STORE_Q_MEM_DEL_MEMBER_GUID,
	STORE_Q_MEM_DEL_MEMBER_DN,
	STORE_Q_MEM_DEL_ONE_GUID,
	STORE_Q_MEM_DEL_ONE_DN,
	STORE_Q_MEM_MAXSEQ,
	STORE_Q_MEM_PUT,
	STORE_Q_MEM_LIST,
	STORE_Q_MEM_OF,
	/* synced rows */
	STORE_Q_ROW_GET,
	STORE_Q_ROW_PUT,
	STORE_Q_ROW_DEL,
	STORE_Q_ROW_COUNT,
	STORE_Q_ROW_COUNT_SVC,
	STORE_Q_ROW_NEXT,
	/* journal */
	STORE_Q_RUN_BEGIN,
	STORE_Q_RUN_END,
	STORE_Q_RUN_LIST,
	STORE_Q_OP_BEGIN,
	STORE_Q_OP_END,
	STORE_Q_OP_STATE,
	STORE_Q_OP_PENDING,
	STORE_Q_OP_OF_RUN,
	STORE_Q_OP_OF_ANCHOR,
	STORE_Q_RUN_CLOSE_STALE,
	STORE_Q_OP_FAILURES,
	STORE_Q_HELD_PUT,
	STORE_Q_HELD_OF_RUN,
	STORE_Q_HELD_IN,
	STORE_Q_HELD_DECIDE,
	STORE_Q_HELD_SET,
	STORE_Q_HELD_SUPERSEDE,
	/* alerts */
	STORE_Q_ALERT_UNMARK,
	STORE_Q_ALERT_UNMARK_ONE,
	STORE_Q_ALERT_UPSERT,
	STORE_Q_ALERT_ARCHIVE,
	STORE_Q_ALERT_PURGE,
	STORE_Q_ALERT_EACH,
	STORE_Q_ALERT_COUNT,
	STORE_Q_ALERT_HIST,
	/* the spill of a streamed plan (temporary tables, finalized when
	 * they are made again) */
	STORE_Q_SPILL_FIRST,
	STORE_Q_SPILL_PUT = STORE_Q_SPILL_FIRST,
	STORE_Q_SPILL_GET,
	STORE_Q_SPILL_END,
	/* staging tables of a full read (finalized at its end) */
	STORE_Q_STAGE_FIRST = STORE_Q_SPILL_END,
	STORE_Q_STAGE_PUT_OBJ = STORE_Q_STAGE_FIRST,
	STORE_Q_STAGE_DEL_MEMBERS,
	STORE_Q_STAGE_PUT_MEMBER,
	STORE_Q_COUNT
};

/* Which transaction the handle has open. */
enum store_txn {
	STORE_TXN_NONE = 0,
	STORE_TXN_USER,		/* store_begin() */
	STORE_TXN_FULL,		/* store_mirror_full_begin() */
	STORE_TXN_CHANGES	/* store_mirror_changes_begin() */
};

struct store {
	sqlite3 *db;
	char *dir;			/* owned; NULL for ":memory:" */
	char *path;			/* owned; state.db path or ":memory:" */
	int lock_fd;			/* -1: no lock held */
	bool readonly;
	bool sync_full;			/* PRAGMA synchronous is FULL now */
	enum store_txn txn;
	bool spill_txn;			/* the spill's own BEGIN is open */
	size_t spilled;			/* ops in the spill */
	sqlite3_stmt *q[STORE_Q_COUNT];
	char err[STORE_ERRMSG_MAX];	/* last failure, for store_errmsg() */
};

/* store_search.c: `q` as the LIKE pattern "%q%" (ESCAPE '\\'), owned;
 * NULL when out of memory. */
char *store_search_like(const char *q);

/* ---- store_sql.c: statements, errors, binding ------------------------ */

/* Maps an SQLite result code to 0 or a negative code (see store.h). */
int store_sql_code(int rc);
/* Records "where: <sqlite's message>" in st->err; returns the mapped code
 * of `rc`. */
int store_sql_fail(struct store *st, int rc, const char *where);
/* Records a formatted sentence in st->err; returns `code`. */
int store_sql_failf(struct store *st, int code, const char *fmt, ...)
    ATTR_PRINTF(3, 4);
/*
 * The cached statement of slot `id` (prepared from the constant `sql` on
 * first use) into *out, reset and with no bindings. 0 or a code.
 */
int store_sql_stmt(struct store *st, enum store_q id, const char *sql,
    sqlite3_stmt **out /* OUT */) ATTR_NODISCARD;
/* Finalizes slots [from, to). */
void store_sql_finalize(struct store *st, enum store_q from, enum store_q to);
/* Steps `s` expecting SQLITE_DONE, then resets it. 0 or a code. */
int store_sql_done(struct store *st, sqlite3_stmt *s, const char *where)
    ATTR_NODISCARD;
/* Steps and resets a cached statement without parameters (BEGIN, ...). */
int store_sql_simple(struct store *st, enum store_q id, const char *sql,
    const char *where) ATTR_NODISCARD;
/*
 * Runs constant SQL text, possibly several statements (schema, DDL).
 * SECURITY: `sql` is always a literal of this module, never formatted; it
 * replaces sqlite3_exec, which the banned list forbids outright.
 */
int store_sql_run(struct store *st, const char *sql, const char *where)
    ATTR_NODISCARD;
/* Binds: a GUID as a 16-byte blob (NULL when zero and `zero_null`); text
 * (NULL stays NULL); a blob. The data must outlive the step. */
int store_sql_bind_guid(sqlite3_stmt *s, int i, const struct obj_guid *g,
    bool zero_null) ATTR_NODISCARD;
int store_sql_bind_text(sqlite3_stmt *s, int i, const char *t)
    ATTR_NODISCARD;
int store_sql_bind_blob(sqlite3_stmt *s, int i, const void *p, size_t len)
    ATTR_NODISCARD;
/* Reads column `i` as a GUID: a 16-byte blob, or NULL (zero GUID) when
 * `null_ok`. 0 or -ADSYNC_EPARSE. */
int store_sql_col_guid(sqlite3_stmt *s, int i, bool null_ok,
    struct obj_guid *out /* OUT */) ATTR_NODISCARD;
/* Copies text column `i` into `dst` (cut at a UTF-8 boundary). */
void store_sql_col_copy(sqlite3_stmt *s, int i, char *dst, size_t dstlen);
/* Copies at most dstlen-1 bytes of `src` (NULL = "") into `dst`, cut at a
 * UTF-8 character boundary; always NUL-terminates (dstlen > 0). */
void store_sql_copy_utf8(char *dst, size_t dstlen, const char *src,
    size_t len);
/* The value of meta key `key` into `out`; "" when absent. */
int store_sql_meta_get(struct store *st, const char *key, char *out,
    size_t outlen) ATTR_NODISCARD;
/* Sets (value non-NULL) or removes (NULL) meta key `key`. */
int store_sql_meta_set(struct store *st, const char *key, const char *value)
    ATTR_NODISCARD;
/*
 * Checks that the transaction st->txn says is open still is: SQLite rolls
 * a transaction back by itself after some errors (SQLITE_FULL, IOERR,
 * NOMEM), and going on would run the rest in autocommit mode, e.g. a
 * mirror swap that is no longer atomic. If it is gone: st->txn is reset
 * and the call fails with -EIO. 0 otherwise.
 */
int store_sql_in_txn(struct store *st, const char *where) ATTR_NODISCARD;
/*
 * Sets PRAGMA synchronous to FULL (`full`) or back to NORMAL, if it is not
 * so already. Only outside a transaction (SQLite refuses the change
 * inside one). 0 or a code.
 */
int store_sql_sync(struct store *st, bool full) ATTR_NODISCARD;
/* -EROFS for a read-only handle, -EBUSY while a mirror transaction is
 * open (the writes of rows and journal must not join it); else 0. */
int store_sql_writable(struct store *st, const char *where) ATTR_NODISCARD;

/* ---- store_codec.c: strict binary encodings of row bodies ----------- */

/*
 * Appends the encoding of `o` (typed fields, object_sid, present bits,
 * attribute values; not guid, kind, dn or references, which are columns
 * and rows of their own) to `b`. 0, -ADSYNC_ETOOBIG or -ENOMEM.
 */
int store_codec_obj_encode(const struct obj *o, struct buf *b)
    ATTR_NODISCARD;
/*
 * Decodes `len` bytes into the empty object `o` (fresh from obj_new()).
 * Strict: known format version, every length within the input and the
 * OBJ_* limits, values valid UTF-8, attributes ascending, single-valued
 * ones with one value, present bits consistent, no trailing bytes.
 * 0 or -ADSYNC_EPARSE / -ENOMEM; on failure `o` may hold part of the data
 * (the caller frees it).
 */
int store_codec_obj_decode(const void *p, size_t len, struct obj *o)
    ATTR_NODISCARD;
/* A struct rs_record as (name, value) pairs. Same rules. */
int store_codec_record_encode(const struct rs_record *r, struct buf *b)
    ATTR_NODISCARD;
int store_codec_record_decode(const void *p, size_t len,
    struct rs_record *out) ATTR_NODISCARD;
/* A whole plan op (store_spill.c): its kind, flags, anchor, texts,
 * fields, display changes and values. Same rules; on a decode failure the
 * caller plan_op_fini()s what was filled. */
int store_codec_op_encode(const struct plan_op *op, struct buf *b)
    ATTR_NODISCARD;
int store_codec_op_decode(const void *p, size_t len, struct plan_op *op)
    ATTR_NODISCARD;
/* A struct rs_strlist. Same rules. */
int store_codec_strlist_encode(const struct rs_strlist *l, struct buf *b)
    ATTR_NODISCARD;
int store_codec_strlist_decode(const void *p, size_t len,
    struct rs_strlist *out) ATTR_NODISCARD;

/* ---- store_dir.c: the state directory, file modes, the lock ---------- */

/*
 * Checks (creating it 0700 when `create` and absent) the directory `dir`:
 * owned by the effective uid and not writable by group or others. Then
 * checks state.db, state.db-wal, state.db-shm and lock where they exist:
 * regular files (no symlinks), same owner, not group/other-writable; and
 * when `create`, creates state.db 0600 if absent. 0, or a negative code
 * and a sentence naming the path and the fix.
 */
int store_dir_check(const char *dir, bool create, char *why, size_t whylen)
    ATTR_NODISCARD;
/*
 * Takes the exclusive lock state_dir/lock (flock, non-blocking) and writes
 * our PID into it. 0 and *fd (owned; close() releases the lock), or
 * -EWOULDBLOCK with "state_dir ... is in use by process PID ...", or
 * another code and a sentence.
 */
int store_dir_lock(const char *dir, int *fd /* OUT */, char *why,
    size_t whylen) ATTR_NODISCARD;

/* ---- store_migrate.c: schema and migrations -------------------------- */

/*
 * Whether this build can use the database: its version into *version, or
 * -ADSYNC_ERANGE for a newer one and -ADSYNC_EPARSE for a version-0 file
 * with tables (not ours), with a sentence. Changes nothing.
 */
int store_migrate_check(struct store *st, int *version /* OUT */,
    char *why, size_t whylen) ATTR_NODISCARD;
/*
 * Brings the database to STORE_SCHEMA_VERSION, one transaction per step
 * (after store_migrate_check()). 0 or a code + `why`.
 */
int store_migrate_run(struct store *st, char *why, size_t whylen)
    ATTR_NODISCARD;
/* PRAGMA user_version into *out. 0 or a code. */
int store_migrate_version(struct store *st, int *out /* OUT */)
    ATTR_NODISCARD;
/* The version the migrations reach (the last entry's); for the test. */
int store_migrate_latest(void);

/*
 * The staging tables of a full read (same columns as mirror_obj and
 * mirror_member, secondary indexes created at the swap) and the swap
 * itself. Kept beside the migrations because both must describe the same
 * tables: a migration that changes the mirror changes these too (the unit
 * test compares the shapes after a swap).
 */
extern const char store_migrate_stage_sql[];
extern const char store_migrate_swap_sql[];

/* ---- test access ----------------------------------------------------- */

/* The connection (borrowed), for tests that write raw rows. */
sqlite3 *store_db(struct store *st);

/* store_op.c, shared with store_held.c. */
#define STORE_OP_COLS "id, run_id, state, op, service, kind, anchor, dn," \
	" domain, name, reason, detail, result, started, finished"
int store_op_detail(const struct plan_op *op, char **out /* OUT */);
int store_op_check(struct store *st, const struct plan_op *op);
/* Binds ?2..?10 of an insert into journal_op or held_op: op, service,
 * kind, anchor, dn, domain, name, reason, detail. */
int store_op_bind(sqlite3_stmt *s, const struct plan_op *op,
    const char *detail);
int store_op_read(struct store *st, sqlite3_stmt *s, struct store_op *op);
int store_op_each(struct store *st, enum store_q id, const char *sql,
    bool run, int64_t run_id,
    int (*fn)(const struct store_op *op, void *arg), void *arg);

#endif
