/*
 * state_dir/pw.db: enrolled DCs and the queue of captured passwords
 * (pwsync.h says why this is not state.db). WAL, synchronous=FULL (a
 * capture is acknowledged to the hook only after its commit is on disk:
 * the hook then deletes its own copy), defensive mode, a busy timeout
 * because the CLI and the daemon may write at once. The passwords are in
 * `sealed` only (pw_seal.c); every other column is safe to show.
 *
 * One struct pw_db is one connection, owned by one thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "err.h"
#include "pwsync.h"
#include "xmalloc.h"

/* 2: pw_last (the newest capture per user). Every table is CREATE ...
 * IF NOT EXISTS, so running the schema brings any older pw.db up. */
#define PW_DB_VERSION 2
#define PW_DB_BUSY_MS 5000

struct pw_db {
	sqlite3 *db;
	char err[512];
};

static const char pw_db_schema[] =
	"CREATE TABLE IF NOT EXISTS hook_dc ("
	" name TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,"
	" fingerprint TEXT NOT NULL UNIQUE,"
	" enrolled INTEGER NOT NULL,"
	" not_after INTEGER NOT NULL,"
	" revoked INTEGER NOT NULL DEFAULT 0,"
	" last_heartbeat INTEGER NOT NULL DEFAULT 0,"
	" last_change INTEGER NOT NULL DEFAULT 0,"
	" captures INTEGER NOT NULL DEFAULT 0,"
	" spooled INTEGER NOT NULL DEFAULT 0,"
	" version TEXT NOT NULL DEFAULT ''"
	");"
	"CREATE TABLE IF NOT EXISTS pw_queue ("
	" id INTEGER PRIMARY KEY,"
	" capture_id TEXT NOT NULL UNIQUE,"
	" dc TEXT NOT NULL,"
	" source INTEGER NOT NULL,"
	" committed INTEGER NOT NULL,"
	" account TEXT NOT NULL,"
	" upn TEXT NOT NULL,"
	" guid TEXT NOT NULL,"
	" sid TEXT NOT NULL,"
	" captured INTEGER NOT NULL,"
	" received INTEGER NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" note TEXT NOT NULL DEFAULT '',"
	" user_guid TEXT NOT NULL DEFAULT '',"
	" ready INTEGER NOT NULL DEFAULT 0,"
	" sealed BLOB NOT NULL"
	");"
	"CREATE INDEX IF NOT EXISTS pw_queue_ready ON pw_queue (user_guid)"
	" WHERE ready = 1;"
	"CREATE TABLE IF NOT EXISTS pw_done ("
	" capture_id TEXT PRIMARY KEY NOT NULL,"
	" done INTEGER NOT NULL"
	") WITHOUT ROWID;"
	/* Per user, the capture time of the password last set: a change
	 * that comes later but was made earlier (spooled on a DC while the
	 * daemon was down) must not overwrite it. */
	"CREATE TABLE IF NOT EXISTS pw_last ("
	" user_guid TEXT PRIMARY KEY NOT NULL,"
	" captured_ms INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS pw_alert ("
	" account TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,"
	" guid TEXT NOT NULL,"
	" dn TEXT NOT NULL,"
	" message TEXT NOT NULL,"
	" first_seen INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"PRAGMA user_version = 2;";

static int
pw_db_fail(struct pw_db *db, int code, const char *what)
{
	snprintf(db->err, sizeof(db->err), "%s: %s", what,
	    db->db != NULL ? sqlite3_errmsg(db->db) : "no database");
	switch (code) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_CONSTRAINT:
		return -EINVAL;
	default:
		return -EIO;
	}
}

const char *
pw_db_errmsg(const struct pw_db *db)
{
	return db->err;
}

static int
pw_db_prep(struct pw_db *db, const char *sql, sqlite3_stmt **s)
{
	int rc = sqlite3_prepare_v2(db->db, sql, -1, s, NULL);

	return rc == SQLITE_OK ? 0 : pw_db_fail(db, rc, "preparing");
}

/* Runs every statement of `sql` in turn (prepared statements only: the
 * house rule; each may return rows, which are ignored). SQLite code. */
static int
pw_db_run(sqlite3 *db, const char *sql)
{
	const char *tail = sql;
	sqlite3_stmt *s;
	int rc = SQLITE_OK;

	while (rc == SQLITE_OK && tail != NULL && *tail != '\0') {
		s = NULL;
		rc = sqlite3_prepare_v2(db, tail, -1, &s, &tail);
		if (rc != SQLITE_OK || s == NULL)
			break;
		while ((rc = sqlite3_step(s)) == SQLITE_ROW)
			;
		sqlite3_finalize(s);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	return rc;
}

/* Steps a statement that returns no row, then finalizes it. */
static int
pw_db_done(struct pw_db *db, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : pw_db_fail(db, rc, what);
}

int
pw_db_open(const char *state_dir, bool readonly, struct pw_db **out,
    char *why, size_t whylen)
{
	char path[4096];
	struct pw_db *db;
	struct stat st;
	int rc, fd, v = 0;
	sqlite3_stmt *s;

	*out = NULL;
	if (snprintf(path, sizeof(path), "%s/pw.db", state_dir) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	if (!readonly) {
		/* Create it 0600 ourselves: SQLite would use the umask. */
		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			rc = -errno;
			snprintf(why, whylen, "cannot open %s: %s", path,
			    adsync_strerror(rc));
			return rc;
		}
		close(fd);
	}
	if (lstat(path, &st) < 0) {
		rc = -errno;
		snprintf(why, whylen, "cannot open %s: %s%s", path,
		    adsync_strerror(rc), rc == -ENOENT ? " (no DC has been "
		    "enrolled yet: adsync hook enroll DCNAME)" : "");
		return rc;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0 ||
	    st.st_uid != geteuid()) {
		snprintf(why, whylen, "%s must be a regular file of this user "
		    "with mode 0600 (it holds queued passwords): chmod 600 %s",
		    path, path);
		return -EPERM;
	}
	db = xcalloc(1, sizeof(*db));
	rc = sqlite3_open_v2(path, &db->db, (readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOFOLLOW |
	    SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(why, whylen, "cannot open %s: %s", path,
		    db->db != NULL ? sqlite3_errmsg(db->db) : "out of memory");
		pw_db_close(db);
		return -EIO;
	}
	sqlite3_busy_timeout(db->db, PW_DB_BUSY_MS);
	sqlite3_db_config(db->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	if (!readonly) {
		rc = pw_db_run(db->db, "PRAGMA journal_mode = WAL;"
		    "PRAGMA synchronous = FULL;"
		    /* Deleted rows are overwritten, not left in free pages
		     * (sealed, but still). */
		    "PRAGMA secure_delete = ON;");
		if (rc == SQLITE_OK && pw_db_prep(db, "PRAGMA user_version",
		    &s) == 0) {
			if (sqlite3_step(s) == SQLITE_ROW)
				v = sqlite3_column_int(s, 0);
			sqlite3_finalize(s);
		}
		if (rc == SQLITE_OK && v > PW_DB_VERSION) {
			snprintf(why, whylen, "%s was written by a newer adsync "
			    "(schema %d); upgrade adsync", path, v);
			pw_db_close(db);
			return -ADSYNC_ERANGE;
		}
		if (rc == SQLITE_OK && v < PW_DB_VERSION)
			rc = pw_db_run(db->db, pw_db_schema);
		if (rc != SQLITE_OK) {
			snprintf(why, whylen, "cannot set up %s: %s", path,
			    sqlite3_errmsg(db->db));
			pw_db_close(db);
			return -EIO;
		}
	}
	*out = db;
	return 0;
}

void
pw_db_close(struct pw_db *db)
{
	if (db == NULL)
		return;
	sqlite3_close_v2(db->db);
	free(db);
}

int
pw_db_dc_enroll(struct pw_db *db, const char *dc, const char *fp,
    int64_t now, int64_t not_after)
{
	sqlite3_stmt *s;
	int r;

	if ((r = pw_db_prep(db, "INSERT INTO hook_dc (name, fingerprint,"
	    " enrolled, not_after) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT (name) DO UPDATE SET fingerprint = ?2,"
	    " enrolled = ?3, not_after = ?4, revoked = 0", &s)) < 0)
		return r;
	sqlite3_bind_text(s, 1, dc, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, fp, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_int64(s, 4, not_after);
	return pw_db_done(db, s, "enrolling the DC");
}

int
pw_db_dc_revoke(struct pw_db *db, const char *dc, int64_t now)
{
	sqlite3_stmt *s;
	int r;

	if ((r = pw_db_prep(db, "UPDATE hook_dc SET revoked = ?2"
	    " WHERE name = ?1 AND revoked = 0", &s)) < 0)
		return r;
	sqlite3_bind_text(s, 1, dc, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, now);
	if ((r = pw_db_done(db, s, "revoking the DC")) < 0)
		return r;
	return sqlite3_changes(db->db) > 0 ? 0 : -ENOENT;
}

#define PW_DC_COLS "name, fingerprint, enrolled, not_after, revoked," \
	" last_heartbeat, last_change, captures, spooled, version"

static void
pw_db_dc_row(sqlite3_stmt *s, struct pw_dc *d)
{
	const unsigned char *t;

	memset(d, 0, sizeof(*d));
	if ((t = sqlite3_column_text(s, 0)) != NULL)
		snprintf(d->name, sizeof(d->name), "%s", t);
	if ((t = sqlite3_column_text(s, 1)) != NULL)
		snprintf(d->fingerprint, sizeof(d->fingerprint), "%s", t);
	d->enrolled = sqlite3_column_int64(s, 2);
	d->not_after = sqlite3_column_int64(s, 3);
	d->revoked = sqlite3_column_int64(s, 4);
	d->last_heartbeat = sqlite3_column_int64(s, 5);
	d->last_change_ms = sqlite3_column_int64(s, 6);
	d->captures = (uint64_t)sqlite3_column_int64(s, 7);
	d->spooled = (uint64_t)sqlite3_column_int64(s, 8);
	if ((t = sqlite3_column_text(s, 9)) != NULL)
		snprintf(d->version, sizeof(d->version), "%s", t);
}

/* The DC of the row whose `sql` (a query with one parameter) matches
 * `value`: 1 and *out, 0 when none, or a negative code (`what` names the
 * lookup in the error). */
static int
pw_db_dc_one(struct pw_db *db, const char *sql, const char *value,
    const char *what, struct pw_dc *out)
{
	sqlite3_stmt *s;
	int r, rc;

	if ((r = pw_db_prep(db, sql, &s)) < 0)
		return r;
	sqlite3_bind_text(s, 1, value, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		pw_db_dc_row(s, out);
		r = 1;
	} else if (rc == SQLITE_DONE) {
		r = 0;
	} else {
		r = pw_db_fail(db, rc, what);
	}
	sqlite3_finalize(s);
	return r;
}

int
pw_db_dc_by_fp(struct pw_db *db, const char *fp, struct pw_dc *out)
{
	return pw_db_dc_one(db, "SELECT " PW_DC_COLS " FROM hook_dc"
	    " WHERE fingerprint = ?1", fp, "looking the certificate up", out);
}

int
pw_db_dc_by_name(struct pw_db *db, const char *dc, struct pw_dc *out)
{
	return pw_db_dc_one(db, "SELECT " PW_DC_COLS " FROM hook_dc"
	    " WHERE name = ?1", dc, "looking the DC up", out);
}

int
pw_db_dc_each(struct pw_db *db, pw_dc_cb *cb, void *arg)
{
	struct pw_dc d;
	sqlite3_stmt *s;
	int r, rc;

	if ((r = pw_db_prep(db, "SELECT " PW_DC_COLS " FROM hook_dc"
	    " ORDER BY name", &s)) < 0)
		return r;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		pw_db_dc_row(s, &d);
		if ((r = cb(arg, &d)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = pw_db_fail(db, rc, "listing the DCs");
	sqlite3_finalize(s);
	return r;
}

int
pw_db_dc_heartbeat(struct pw_db *db, const char *dc,
    const struct pw_heartbeat *h, int64_t now)
{
	sqlite3_stmt *s;
	int r;

	if ((r = pw_db_prep(db, "UPDATE hook_dc SET last_heartbeat = ?2,"
	    " spooled = ?3, version = ?4 WHERE name = ?1", &s)) < 0)
		return r;
	sqlite3_bind_text(s, 1, dc, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)h->spooled);
	sqlite3_bind_text(s, 4, h->version, -1, SQLITE_TRANSIENT);
	return pw_db_done(db, s, "recording the heartbeat");
}

int
pw_db_queue_put(struct pw_db *db, const struct pw_sealer *sealer,
    const char *dc, const struct pw_capture *c, int64_t now_ms)
{
	unsigned char *blob;
	sqlite3_stmt *s = NULL;
	size_t len;
	int r, rc, dup = 0;

	if ((blob = pw_seal(sealer, c->password, &len)) == NULL)
		return -ENOMEM;
	if ((rc = pw_db_run(db->db, "BEGIN IMMEDIATE")) != SQLITE_OK) {
		free(blob);
		return pw_db_fail(db, rc, "queueing the capture");
	}
	/* A resend of a capture already delivered or queued. */
	if ((r = pw_db_prep(db, "SELECT 1 FROM pw_done WHERE capture_id = ?1"
	    " UNION ALL SELECT 1 FROM pw_queue WHERE capture_id = ?1",
	    &s)) < 0)
		goto fail;
	sqlite3_bind_text(s, 1, c->id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		dup = 1;
	else if (rc != SQLITE_DONE) {
		r = pw_db_fail(db, rc, "queueing the capture");
		goto fail;
	}
	if (!dup) {
		if ((r = pw_db_prep(db, "INSERT INTO pw_queue (capture_id, dc,"
		    " source, committed, account, upn, guid, sid, captured,"
		    " received, sealed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
		    " ?8, ?9, ?10, ?11)", &s)) < 0)
			goto fail;
		sqlite3_bind_text(s, 1, c->id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 2, dc, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(s, 3, (int)c->source);
		sqlite3_bind_int(s, 4, c->committed ? 1 : 0);
		sqlite3_bind_text(s, 5, c->account, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 6, c->upn, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 7, c->guid, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 8, c->sid, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 9, c->captured_ms);
		sqlite3_bind_int64(s, 10, now_ms);
		sqlite3_bind_blob(s, 11, blob, (int)len, SQLITE_TRANSIENT);
		if ((r = pw_db_done(db, s, "queueing the capture")) < 0)
			goto fail;
	}
	if ((r = pw_db_prep(db, "UPDATE hook_dc SET last_change = ?2,"
	    " captures = captures + ?3 WHERE name = ?1", &s)) < 0)
		goto fail;
	sqlite3_bind_text(s, 1, dc, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, now_ms);
	sqlite3_bind_int(s, 3, dup ? 0 : 1);
	if ((r = pw_db_done(db, s, "counting the capture")) < 0)
		goto fail;
	if ((rc = pw_db_run(db->db, "COMMIT")) !=
	    SQLITE_OK) {
		r = pw_db_fail(db, rc, "committing the capture");
		goto fail;
	}
	free(blob);
	return dup ? 0 : 1;
fail:
	(void)pw_db_run(db->db, "ROLLBACK");
	free(blob);
	return r;
}

int
pw_db_queue_each(struct pw_db *db, pw_entry_cb *cb, void *arg)
{
	const unsigned char *t;
	struct pw_entry e;
	sqlite3_stmt *s;
	int r, rc;

	if ((r = pw_db_prep(db, "SELECT id, capture_id, dc, source,"
	    " committed, account, upn, guid, sid, captured, received,"
	    " attempts, note FROM pw_queue ORDER BY captured, id", &s)) < 0)
		return r;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&e, 0, sizeof(e));
		e.id = sqlite3_column_int64(s, 0);
#define PW_COPY(field, col) do { \
	if ((t = sqlite3_column_text(s, col)) != NULL) \
		snprintf(e.field, sizeof(e.field), "%s", t); \
} while (0)
		PW_COPY(capture_id, 1);
		PW_COPY(dc, 2);
		e.source = (enum pw_source)sqlite3_column_int(s, 3);
		if ((unsigned)e.source >= PW_SRC_COUNT)
			e.source = PW_SRC_CHECK_PASSWORD;
		e.committed = sqlite3_column_int(s, 4) != 0;
		PW_COPY(account, 5);
		PW_COPY(upn, 6);
		PW_COPY(guid, 7);
		PW_COPY(sid, 8);
		e.captured_ms = sqlite3_column_int64(s, 9);
		e.received_ms = sqlite3_column_int64(s, 10);
		e.attempts = sqlite3_column_int(s, 11);
		PW_COPY(note, 12);
#undef PW_COPY
		if ((r = cb(arg, &e)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = pw_db_fail(db, rc, "reading the password queue");
	sqlite3_finalize(s);
	return r;
}

int
pw_db_queue_count(struct pw_db *db, uint64_t *n)
{
	sqlite3_stmt *s;
	int r, rc;

	*n = 0;
	if ((r = pw_db_prep(db, "SELECT count(*) FROM pw_queue", &s)) < 0)
		return r;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(s, 0);
	else
		r = pw_db_fail(db, rc, "counting the password queue");
	sqlite3_finalize(s);
	return r;
}

unsigned char *
pw_db_queue_sealed(struct pw_db *db, int64_t id, size_t *len)
{
	unsigned char *out = NULL;
	const void *p;
	sqlite3_stmt *s;
	int n;

	if (pw_db_prep(db, "SELECT sealed FROM pw_queue WHERE id = ?1",
	    &s) < 0)
		return NULL;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW &&
	    (p = sqlite3_column_blob(s, 0)) != NULL &&
	    (n = sqlite3_column_bytes(s, 0)) > 0) {
		out = xmalloc((size_t)n);
		memcpy(out, p, (size_t)n);
		*len = (size_t)n;
	}
	sqlite3_finalize(s);
	return out;
}

int
pw_db_queue_done(struct pw_db *db, int64_t id, int64_t now_ms)
{
	sqlite3_stmt *s;
	int r, rc;

	if ((rc = pw_db_run(db->db, "BEGIN IMMEDIATE")) != SQLITE_OK)
		return pw_db_fail(db, rc, "finishing a capture");
	if ((r = pw_db_prep(db, "INSERT OR IGNORE INTO pw_done (capture_id,"
	    " done) SELECT capture_id, ?2 FROM pw_queue WHERE id = ?1",
	    &s)) < 0)
		goto fail;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now_ms / 1000);
	if ((r = pw_db_done(db, s, "finishing a capture")) < 0)
		goto fail;
	if ((r = pw_db_prep(db, "DELETE FROM pw_queue WHERE id = ?1",
	    &s)) < 0)
		goto fail;
	sqlite3_bind_int64(s, 1, id);
	if ((r = pw_db_done(db, s, "finishing a capture")) < 0)
		goto fail;
	if ((r = pw_db_prep(db, "DELETE FROM pw_done WHERE done < ?1",
	    &s)) < 0)
		goto fail;
	sqlite3_bind_int64(s, 1, now_ms / 1000 - PW_DONE_KEEP_S);
	if ((r = pw_db_done(db, s, "pruning delivered captures")) < 0)
		goto fail;
	if ((rc = pw_db_run(db->db, "COMMIT")) !=
	    SQLITE_OK) {
		r = pw_db_fail(db, rc, "finishing a capture");
		goto fail;
	}
	return 0;
fail:
	(void)pw_db_run(db->db, "ROLLBACK");
	return r;
}

int
pw_db_queue_note(struct pw_db *db, int64_t id, const char *note,
    bool attempt)
{
	sqlite3_stmt *s;
	int r;

	if ((r = pw_db_prep(db, "UPDATE pw_queue SET note = ?2,"
	    " attempts = attempts + ?3 WHERE id = ?1", &s)) < 0)
		return r;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, note, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 3, attempt ? 1 : 0);
	return pw_db_done(db, s, "noting the capture");
}

int
pw_db_alert_set(struct pw_db *db, const char *account, const char *guid,
    const char *dn, const char *message, int64_t now)
{
	sqlite3_stmt *s;
	int r;

	if ((r = pw_db_prep(db, "INSERT INTO pw_alert (account, guid, dn,"
	    " message, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?5)"
	    " ON CONFLICT (account) DO UPDATE SET guid = ?2, dn = ?3,"
	    " last_seen = ?5, first_seen = CASE WHEN message = ?4 THEN"
	    " first_seen ELSE ?5 END, message = ?4", &s)) < 0)
		return r;
	sqlite3_bind_text(s, 1, account, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, guid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, dn, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, message, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 5, now);
	return pw_db_done(db, s, "recording the alert");
}

int
pw_db_last_get(struct pw_db *db, const char *user_guid, int64_t *captured_ms)
{
	sqlite3_stmt *s;
	int r, rc;

	*captured_ms = 0;
	if ((r = pw_db_prep(db, "SELECT captured_ms FROM pw_last WHERE"
	    " user_guid = ?1", &s)) < 0)
		return r;
	sqlite3_bind_text(s, 1, user_guid, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*captured_ms = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		r = pw_db_fail(db, rc, "reading the last password set");
	sqlite3_finalize(s);	/* pw_db_prep() prepares afresh */
	return r;
}

int
pw_db_last_set(struct pw_db *db, const char *user_guid, int64_t captured_ms)
{
	sqlite3_stmt *s;
	int r;

	if ((r = pw_db_prep(db, "INSERT INTO pw_last (user_guid, captured_ms)"
	    " VALUES (?1, ?2) ON CONFLICT (user_guid) DO UPDATE SET"
	    " captured_ms = max(captured_ms, excluded.captured_ms)",
	    &s)) < 0)
		return r;
	sqlite3_bind_text(s, 1, user_guid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, captured_ms);
	return pw_db_done(db, s, "recording the last password set");
}

const char *
pw_dc_state(const struct pw_dc *dc, int64_t now)
{
	if (dc->revoked != 0)
		return "revoked";
	if (dc->not_after < now)
		return "expired";
	if (dc->last_heartbeat == 0)
		return "never heard from";
	if (now - dc->last_heartbeat > PW_DC_QUIET_S)
		return "quiet";
	return "ok";
}

int
pw_db_alert_clear(struct pw_db *db, const char *account)
{
	sqlite3_stmt *s;
	int r;

	if ((r = pw_db_prep(db, "DELETE FROM pw_alert WHERE account = ?1",
	    &s)) < 0)
		return r;
	sqlite3_bind_text(s, 1, account, -1, SQLITE_TRANSIENT);
	return pw_db_done(db, s, "clearing the alert");
}

int
pw_db_alert_each(struct pw_db *db, pw_alert_cb *cb, void *arg)
{
	struct pw_alert a;
	const unsigned char *t;
	sqlite3_stmt *s;
	int r, rc;

	if ((r = pw_db_prep(db, "SELECT account, guid, dn, message,"
	    " first_seen, last_seen FROM pw_alert ORDER BY first_seen,"
	    " account", &s)) < 0)
		return r;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&a, 0, sizeof(a));
#define PW_COPY(field, col) do { \
	if ((t = sqlite3_column_text(s, col)) != NULL) \
		snprintf(a.field, sizeof(a.field), "%s", t); \
} while (0)
		PW_COPY(account, 0);
		PW_COPY(guid, 1);
		PW_COPY(dn, 2);
		PW_COPY(message, 3);
#undef PW_COPY
		a.first_seen = sqlite3_column_int64(s, 4);
		a.last_seen = sqlite3_column_int64(s, 5);
		if ((r = cb(arg, &a)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = pw_db_fail(db, rc, "reading the password alerts");
	sqlite3_finalize(s);
	return r;
}

int
pw_db_queue_ready(struct pw_db *db, int64_t id, const char *user_guid)
{
	sqlite3_stmt *s;
	int r;

	if ((r = pw_db_prep(db, "UPDATE pw_queue SET ready = 1,"
	    " user_guid = ?2 WHERE id = ?1", &s)) < 0)
		return r;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, user_guid, -1, SQLITE_TRANSIENT);
	return pw_db_done(db, s, "marking the capture ready");
}

int
pw_db_queue_ready_count(struct pw_db *db, uint64_t *n)
{
	sqlite3_stmt *s;
	int r, rc;

	*n = 0;
	if ((r = pw_db_prep(db, "SELECT count(*) FROM pw_queue"
	    " WHERE ready = 1", &s)) < 0)
		return r;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(s, 0);
	else
		r = pw_db_fail(db, rc, "counting ready captures");
	sqlite3_finalize(s);
	return r;
}

unsigned char *
pw_db_queue_ready_get(struct pw_db *db, const char *user_guid, int64_t *id,
    size_t *len)
{
	unsigned char *out = NULL;
	const void *p;
	sqlite3_stmt *s;
	int n;

	if (pw_db_prep(db, "SELECT id, sealed FROM pw_queue WHERE ready = 1"
	    " AND user_guid = ?1 ORDER BY captured DESC, id DESC LIMIT 1",
	    &s) < 0)
		return NULL;
	sqlite3_bind_text(s, 1, user_guid, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW &&
	    (p = sqlite3_column_blob(s, 1)) != NULL &&
	    (n = sqlite3_column_bytes(s, 1)) > 0) {
		*id = sqlite3_column_int64(s, 0);
		out = xmalloc((size_t)n);
		memcpy(out, p, (size_t)n);
		*len = (size_t)n;
	}
	sqlite3_finalize(s);
	return out;
}
