/*
 * Opening and closing the store: the state directory checks and the
 * process lock (store_dir.c), the SQLite connection and its settings
 * (defensive mode, WAL, synchronous, foreign keys, a bounded page cache),
 * the migrations (store_migrate.c), and the transactions that group row
 * and journal writes. Runs on the thread that owns the handle; a read-only
 * handle for another thread is opened by that thread.
 *
 * Trust: the state directory path comes from the configuration; what is in
 * it is checked before SQLite opens it (see store_dir.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "store_internal.h"

/*
 * Connection settings, all constant. WAL lets a read-only handle (the web
 * console) read while the engine writes, and makes a commit one append.
 * synchronous=NORMAL: in WAL mode a commit survives a crash of the process
 * (the OS has the pages) but not necessarily of the machine; the journal's
 * pending ops, which must survive both, switch to FULL for their commit
 * (store_op.c), and so do store_begin() groups, which may hold them.
 * cache_size=-8000: at most about 8 MB of pages for the engine's
 * connection, so a 100k-object mirror never lives in memory (a long
 * transaction spills its dirty pages to the WAL); 2 MB for a read-only
 * one (the daemon's commands, the password thread: point lookups and
 * pages of a search, the OS caches the file behind). journal_size_limit
 * truncates the WAL after a checkpoint that followed a full read.
 */
static const char store_pragmas_rw[] =
	"PRAGMA foreign_keys = ON;"
	"PRAGMA cache_size = -8000;"
	"PRAGMA synchronous = NORMAL;"
	"PRAGMA journal_size_limit = 67108864;"
	"PRAGMA temp_store = FILE;";
static const char store_pragmas_ro[] =
	"PRAGMA foreign_keys = ON;"
	"PRAGMA cache_size = -2000;"
	"PRAGMA query_only = ON;";

const char *
store_errmsg(const struct store *st)
{
	return st != NULL ? st->err : "no store";
}

sqlite3 *
store_db(struct store *st)
{
	return st->db;
}

int
store_schema_version(struct store *st)
{
	int v = 0, r;

	if ((r = store_migrate_version(st, &v)) < 0)
		return r;
	return v;
}

static struct store *
store_alloc(const char *dir, const char *path, bool readonly)
{
	struct store *st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	st->lock_fd = -1;
	st->readonly = readonly;
	if (dir != NULL && (st->dir = strdup(dir)) == NULL)
		goto fail;
	if ((st->path = strdup(path)) == NULL)
		goto fail;
	return st;
fail:
	free(st->dir);
	free(st);
	return NULL;
}

/* SECURITY: defensive mode (no writable_schema, no shadow-table writes),
 * no double-quoted string literals, no functions from the schema. */
static int
store_configure(struct store *st)
{
	int rc, r = 0;

	if ((rc = sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1,
	    NULL)) != SQLITE_OK ||
	    (rc = sqlite3_db_config(st->db, SQLITE_DBCONFIG_DQS_DDL, 0,
	    NULL)) != SQLITE_OK ||
	    (rc = sqlite3_db_config(st->db, SQLITE_DBCONFIG_DQS_DML, 0,
	    NULL)) != SQLITE_OK ||
	    (rc = sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0,
	    NULL)) != SQLITE_OK ||
	    (rc = sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS)) !=
	    SQLITE_OK) {
		r = store_sql_fail(st, rc, "configuring SQLite");
		goto out;
	}
	sqlite3_limit(st->db, SQLITE_LIMIT_LENGTH, STORE_SQL_LENGTH_MAX);
	r = store_sql_run(st, st->readonly ? store_pragmas_ro :
	    store_pragmas_rw, "configuring SQLite");
out:
	return r;
}

/* WAL, once we know the database is ours (it persists in the file). */
static int
store_wal(struct store *st, bool memory)
{
	sqlite3_stmt *s = NULL;
	const unsigned char *mode;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s,
	    NULL);
	if (rc != SQLITE_OK || (rc = sqlite3_step(s)) != SQLITE_ROW) {
		r = store_sql_fail(st, rc, "switching to WAL");
		goto out;
	}
	mode = sqlite3_column_text(s, 0);
	if (mode == NULL || strcmp((const char *)mode,
	    memory ? "memory" : "wal") != 0)
		r = store_sql_failf(st, -EIO, "switching to WAL: the journal "
		    "mode stayed %s", mode != NULL ? (const char *)mode : "?");
out:
	sqlite3_finalize(s);
	return r;
}

/* Opens the connection of `st`; on failure leaves a sentence in `why`. */
static int
store_connect(struct store *st, bool memory, char *why, size_t whylen)
{
	int flags, rc, r;

	flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	if (memory)
		flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_MEMORY;
	else if (st->readonly)
		flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW;
	else
		flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW;
	rc = sqlite3_open_v2(st->path, &st->db, flags, NULL);
	if (rc != SQLITE_OK) {
		r = store_sql_fail(st, rc, "opening the database");
		snprintf(why, whylen, "cannot open %s: %s", st->path, st->err);
		return r;
	}
	if ((r = store_configure(st)) < 0) {
		snprintf(why, whylen, "%s: %s", st->path, st->err);
		return r;
	}
	return 0;
}

int
store_open(const char *state_dir, struct store **out, char *why,
    size_t whylen)
{
	char path[PATH_MAX];
	struct store *st = NULL;
	bool memory;
	int r, v;

	if (state_dir == NULL) {
		snprintf(why, whylen, "no state_dir given");
		return -EINVAL;
	}
	memory = strcmp(state_dir, ":memory:") == 0;
	if (!memory) {
		if ((r = store_dir_check(state_dir, true, why, whylen)) < 0)
			goto fail;
		snprintf(path, sizeof(path), "%s/state.db", state_dir);
	} else {
		snprintf(path, sizeof(path), ":memory:");
	}
	if ((st = store_alloc(memory ? NULL : state_dir, path, false)) ==
	    NULL) {
		r = -ENOMEM;
		snprintf(why, whylen, "out of memory opening the store");
		goto fail;
	}
	/* The lock comes first: a second adsync must not even migrate. */
	if (!memory && (r = store_dir_lock(state_dir, &st->lock_fd, why,
	    whylen)) < 0)
		goto fail;
	if ((r = store_connect(st, memory, why, whylen)) < 0)
		goto fail;
	if ((r = store_migrate_check(st, &v, why, whylen)) < 0)
		goto fail;
	if ((r = store_wal(st, memory)) < 0) {
		snprintf(why, whylen, "%s: %s", st->path, st->err);
		goto fail;
	}
	if ((r = store_migrate_run(st, why, whylen)) < 0)
		goto fail;
	st->err[0] = '\0';
	*out = st;
	return 0;
fail:
	store_close(st);
	return r;
}

int
store_open_readonly(const char *state_dir, struct store **out, char *why,
    size_t whylen)
{
	char path[PATH_MAX];
	struct store *st = NULL;
	int r, v;

	if (state_dir == NULL || strcmp(state_dir, ":memory:") == 0) {
		snprintf(why, whylen, "a read-only store needs a state_dir");
		return -EINVAL;
	}
	if ((r = store_dir_check(state_dir, false, why, whylen)) < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/state.db", state_dir);
	if ((st = store_alloc(state_dir, path, true)) == NULL) {
		r = -ENOMEM;
		snprintf(why, whylen, "out of memory opening the store");
		goto fail;
	}
	if ((r = store_connect(st, false, why, whylen)) < 0)
		goto fail;
	if ((v = store_schema_version(st)) < 0) {
		r = v;
		snprintf(why, whylen, "%s: %s", path, st->err);
		goto fail;
	}
	if (v != STORE_SCHEMA_VERSION) {
		r = -ADSYNC_ERANGE;
		snprintf(why, whylen, "%s has schema version %d, this adsync "
		    "reads version %d; %s", path, v, STORE_SCHEMA_VERSION,
		    v < STORE_SCHEMA_VERSION ? "start the daemon once to "
		    "migrate it" : "run the adsync version that wrote it");
		goto fail;
	}
	*out = st;
	return 0;
fail:
	store_close(st);
	return r;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->db != NULL) {
		store_rollback(st);
		store_sql_finalize(st, 0, STORE_Q_COUNT);
		/* Every statement is finalized, so this cannot fail busy. */
		sqlite3_close(st->db);
	}
	/* Closing the descriptor releases the flock. The file (and the PID
	 * in it) stays: unlinking would race with the next adsync. */
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	free(st->path);
	free(st->dir);
	free(st);
}

int
store_begin(struct store *st)
{
	int r;

	if ((r = store_sql_writable(st, "starting a transaction")) < 0)
		return r;
	if (st->txn != STORE_TXN_NONE)
		return store_sql_failf(st, -EBUSY, "starting a transaction: "
		    "one is already open");
	/*
	 * A group may journal pending ops (store_op_begin), which must be
	 * durable once committed; SQLite does not let synchronous change
	 * inside a transaction, so every group commits with FULL: one WAL
	 * fsync per group, about 0.2 ms here (docs/store.md).
	 */
	if ((r = store_sql_sync(st, true)) < 0)
		return r;
	if ((r = store_sql_simple(st, STORE_Q_BEGIN, "BEGIN IMMEDIATE",
	    "starting a transaction")) < 0) {
		if (store_sql_sync(st, false) < 0)
			st->sync_full = true;	/* retried next time */
		return r;
	}
	st->txn = STORE_TXN_USER;
	return 0;
}

int
store_commit(struct store *st)
{
	int r;

	if (st->txn != STORE_TXN_USER)
		return store_sql_failf(st, -EINVAL, "committing: no "
		    "transaction from store_begin() is open");
	if ((r = store_sql_in_txn(st, "committing")) < 0)
		return r;
	r = store_sql_simple(st, STORE_Q_COMMIT, "COMMIT", "committing");
	if (r < 0) {
		store_rollback(st);
		return r;
	}
	st->txn = STORE_TXN_NONE;
	/* Committed (durably); NORMAL again for what follows. */
	return store_sql_sync(st, false);
}

void
store_rollback(struct store *st)
{
	sqlite3_stmt *s;

	if (st == NULL || st->db == NULL)
		return;
	/* The staging tables vanish with the transaction; so must the
	 * statements that name them. */
	if (st->txn == STORE_TXN_FULL)
		store_sql_finalize(st, STORE_Q_STAGE_FIRST, STORE_Q_COUNT);
	if (!sqlite3_get_autocommit(st->db) &&
	    store_sql_stmt(st, STORE_Q_ROLLBACK, "ROLLBACK", &s) == 0) {
		/* ROLLBACK fails only when there is nothing to roll back. */
		(void)sqlite3_step(s);
		sqlite3_reset(s);
	}
	st->txn = STORE_TXN_NONE;
	/* Best effort: a failure leaves sync_full set, so the next
	 * store_begin() or store_commit() tries again. */
	if (sqlite3_get_autocommit(st->db) && store_sql_sync(st, false) < 0)
		st->sync_full = true;
}
