/*
 * SQL plumbing of the store: the prepared-statement cache, mapping SQLite
 * result codes to adsync's negative codes with a sentence in st->err,
 * running constant multi-statement SQL without sqlite3_exec, binding and
 * reading GUIDs and text, and the small key/value table `meta`. Runs on
 * the thread that owns the handle. The database is ours but its contents
 * are read defensively: a GUID column that is not 16 bytes is an error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "store_internal.h"

int
store_sql_code(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -ADSYNC_EPARSE;
	case SQLITE_TOOBIG:
		return -ADSYNC_ETOOBIG;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
		return -EINVAL;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EPERM;
	default:
		return -EIO;
	}
}

int
store_sql_fail(struct store *st, int rc, const char *where)
{
	const char *msg;
	int code;

	msg = st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
	snprintf(st->err, sizeof(st->err), "%s: %s", where, msg);
	/* A caller that fails on SQLITE_DONE/ROW still reports a failure. */
	code = store_sql_code(rc);
	return code != 0 ? code : -EIO;
}

int
store_sql_failf(struct store *st, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return code;
}

int
store_sql_stmt(struct store *st, enum store_q id, const char *sql,
    sqlite3_stmt **out)
{
	int rc;

	if (st->q[id] == NULL) {
		/* PERSISTENT: these live as long as the handle. */
		rc = sqlite3_prepare_v3(st->db, sql, -1,
		    SQLITE_PREPARE_PERSISTENT, &st->q[id], NULL);
		if (rc != SQLITE_OK) {
			st->q[id] = NULL;
			return store_sql_fail(st, rc, "preparing a statement");
		}
	} else {
		sqlite3_reset(st->q[id]);
		sqlite3_clear_bindings(st->q[id]);
	}
	*out = st->q[id];
	return 0;
}

void
store_sql_finalize(struct store *st, enum store_q from, enum store_q to)
{
	int i;

	for (i = (int)from; i < (int)to; i++) {
		sqlite3_finalize(st->q[i]);
		st->q[i] = NULL;
	}
}

int
store_sql_done(struct store *st, sqlite3_stmt *s, const char *where)
{
	int rc, r = 0;

	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		/* A PRAGMA that reports its new value; nothing to read. */
		while ((rc = sqlite3_step(s)) == SQLITE_ROW)
			;
	}
	if (rc != SQLITE_DONE)
		r = store_sql_fail(st, rc, where);
	sqlite3_reset(s);
	return r;
}

int
store_sql_simple(struct store *st, enum store_q id, const char *sql,
    const char *where)
{
	sqlite3_stmt *s;
	int r;

	if ((r = store_sql_stmt(st, id, sql, &s)) < 0)
		return r;
	return store_sql_done(st, s, where);
}

int
store_sql_run(struct store *st, const char *sql, const char *where)
{
	sqlite3_stmt *s = NULL;
	const char *tail = sql;
	int rc, r = 0;

	while (*tail != '\0') {
		rc = sqlite3_prepare_v2(st->db, tail, -1, &s, &tail);
		if (rc != SQLITE_OK) {
			r = store_sql_fail(st, rc, where);
			goto out;
		}
		if (s == NULL)		/* only blanks or comments left */
			break;
		while ((rc = sqlite3_step(s)) == SQLITE_ROW)
			;
		if (rc != SQLITE_DONE) {
			r = store_sql_fail(st, rc, where);
			goto out;
		}
		sqlite3_finalize(s);
		s = NULL;
	}
out:
	sqlite3_finalize(s);
	return r;
}

int
store_sql_bind_guid(sqlite3_stmt *s, int i, const struct obj_guid *g,
    bool zero_null)
{
	if (g == NULL || (zero_null && obj_guid_is_zero(g)))
		return store_sql_code(sqlite3_bind_null(s, i));
	return store_sql_code(sqlite3_bind_blob(s, i, g->b, sizeof(g->b),
	    SQLITE_STATIC));
}

int
store_sql_bind_text(sqlite3_stmt *s, int i, const char *t)
{
	if (t == NULL)
		return store_sql_code(sqlite3_bind_null(s, i));
	return store_sql_code(sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC));
}

int
store_sql_bind_blob(sqlite3_stmt *s, int i, const void *p, size_t len)
{
	/* sqlite3_bind_blob64 with a NULL pointer would bind NULL. */
	static const char empty[1];

	return store_sql_code(sqlite3_bind_blob64(s, i, len > 0 ? p : empty,
	    len, SQLITE_STATIC));
}

int
store_sql_col_guid(sqlite3_stmt *s, int i, bool null_ok,
    struct obj_guid *out)
{
	const void *p;

	if (sqlite3_column_type(s, i) == SQLITE_NULL) {
		if (!null_ok)
			return -ADSYNC_EPARSE;
		memset(out, 0, sizeof(*out));
		return 0;
	}
	if (sqlite3_column_type(s, i) != SQLITE_BLOB)
		return -ADSYNC_EPARSE;
	p = sqlite3_column_blob(s, i);
	if (p == NULL || sqlite3_column_bytes(s, i) != (int)sizeof(out->b))
		return -ADSYNC_EPARSE;
	memcpy(out->b, p, sizeof(out->b));
	return 0;
}

void
store_sql_copy_utf8(char *dst, size_t dstlen, const char *src, size_t len)
{
	if (dstlen == 0)
		return;
	if (src == NULL)
		len = 0;
	if (len >= dstlen) {
		len = dstlen - 1;
		/* Do not end inside a multi-byte character. */
		while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80)
			len--;
	}
	if (len > 0)
		memcpy(dst, src, len);
	dst[len] = '\0';
}

void
store_sql_col_copy(sqlite3_stmt *s, int i, char *dst, size_t dstlen)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	size_t len;

	len = t != NULL ? (size_t)sqlite3_column_bytes(s, i) : 0;
	store_sql_copy_utf8(dst, dstlen, (const char *)t, len);
	/* An embedded NUL (only raw SQL can put one there) ends the text. */
}

int
store_sql_meta_get(struct store *st, const char *key, char *out,
    size_t outlen)
{
	sqlite3_stmt *s;
	const unsigned char *t;
	size_t len;
	int r, rc;

	r = store_sql_stmt(st, STORE_Q_META_GET,
	    "SELECT value FROM meta WHERE key = ?1", &s);
	if (r < 0)
		return r;
	if ((r = store_sql_bind_text(s, 1, key)) < 0)
		goto out;
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		if (outlen == 0) {
			r = -ADSYNC_ETOOBIG;
			goto out;
		}
		out[0] = '\0';
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = store_sql_fail(st, rc, "reading the meta table");
		goto out;
	}
	t = sqlite3_column_text(s, 0);
	len = t != NULL ? (size_t)sqlite3_column_bytes(s, 0) : 0;
	if (len >= outlen) {
		r = store_sql_failf(st, -ADSYNC_ETOOBIG,
		    "the stored %s is %zu bytes, too long for its buffer",
		    key, len);
		goto out;
	}
	if (len > 0)
		memcpy(out, t, len);
	out[len] = '\0';
out:
	sqlite3_reset(s);
	return r;
}

int
store_sql_meta_set(struct store *st, const char *key, const char *value)
{
	sqlite3_stmt *s;
	int r;

	if (value == NULL)
		r = store_sql_stmt(st, STORE_Q_META_DEL,
		    "DELETE FROM meta WHERE key = ?1", &s);
	else
		r = store_sql_stmt(st, STORE_Q_META_SET,
		    "INSERT INTO meta (key, value) VALUES (?1, ?2) "
		    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
		    &s);
	if (r < 0)
		return r;
	if ((r = store_sql_bind_text(s, 1, key)) < 0 ||
	    (value != NULL && (r = store_sql_bind_text(s, 2, value)) < 0)) {
		sqlite3_reset(s);
		return r;
	}
	return store_sql_done(st, s, "writing the meta table");
}

int
store_sql_sync(struct store *st, bool full)
{
	int r;

	if (st->sync_full == full)
		return 0;
	if (full)
		r = store_sql_simple(st, STORE_Q_SYNC_FULL,
		    "PRAGMA synchronous = FULL", "making commits durable");
	else
		r = store_sql_simple(st, STORE_Q_SYNC_NORMAL,
		    "PRAGMA synchronous = NORMAL", "restoring synchronous");
	if (r == 0)
		st->sync_full = full;
	return r;
}

int
store_sql_in_txn(struct store *st, const char *where)
{
	if (st->txn == STORE_TXN_NONE || !sqlite3_get_autocommit(st->db))
		return 0;
	store_rollback(st);
	return store_sql_failf(st, -EIO, "%s: SQLite rolled the transaction "
	    "back after an earlier error; nothing of it was kept", where);
}

int
store_sql_writable(struct store *st, const char *where)
{
	if (st->readonly)
		return store_sql_failf(st, -EROFS,
		    "%s: the store was opened read-only", where);
	if (st->txn == STORE_TXN_FULL || st->txn == STORE_TXN_CHANGES)
		return store_sql_failf(st, -EBUSY,
		    "%s: a mirror read is in progress on this handle", where);
	return 0;
}
