/*
 * SQLite storage for rsemu (see emu_state.h). All SQL text is in the table
 * below; emu_state_open() prepares it once with SQLITE_PREPARE_PERSISTENT,
 * so a Show costs one indexed lookup on obj(domain_id, name_lc). Objects
 * keep their fields as a JSON text column: the emulator's field tables
 * (emu_fields.c) define the resources, the database only has to find rows,
 * keep names unique per domain and addresses unique per account.
 *
 * Threads: any MHD worker, always under st->lock (one connection). Trusts
 * its callers to have validated names and values; binds everything.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "emu_config.h"
#include "emu_state.h"
#include "err.h"
#include "log.h"
#include "xmalloc.h"

#define EMU_SCHEMA_VERSION 1
#define EMU_SALT_LEN 16
#define EMU_HASH_LEN 32

struct emu_state {
	pthread_mutex_t lock;
	sqlite3 *db;
	sqlite3_stmt *stmt[EMU_SQL_COUNT];
	bool used[EMU_SQL_COUNT];	/* handed out since the lock */
};

/* Columns of an object row, in the order emu_state_obj_row() reads. */
#define EMU_OBJ_COLS "id, domain_id, kind, name, display, enabled, " \
	"created, data, extra"

#define EMU_IDX_FILTER \
	"domain_id = ?1 AND kind = ?2 AND (?3 IS NULL OR enabled = ?3) " \
	"AND (?4 IS NULL OR name LIKE ?4 ESCAPE '\\' OR display LIKE ?4 " \
	"ESCAPE '\\' OR extra LIKE ?4 ESCAPE '\\') AND (?5 IS NULL OR " \
	"name GLOB '[0-9]*' OR display GLOB '[0-9]*' OR extra GLOB '[0-9]*')"

/*
 * What a deleted RS mailbox keeps when it moves from obj to deleted and
 * back: every column of obj but id (deleted adds deleted_at; both tables
 * are built from EMU_OBJ_COLS_DDL).
 */
#define EMU_MOVE_COLS "domain_id, kind, name, name_lc, display, " \
	"display_lc, extra, enabled, created, pw_salt, pw_hash, data"

#define EMU_DL_FILTER \
	"domain_id = ?1 AND kind = 5 AND (?3 IS NULL OR name LIKE ?3 " \
	"ESCAPE '\\' OR display LIKE ?3 ESCAPE '\\')"

static const char *const emu_sql_text[EMU_SQL_COUNT] = {
	[EMU_SQL_DOMAIN_GET] = "SELECT id, account, name, service, "
	    "mailbox_limit FROM domain WHERE name_lc = lower(?1)",
	[EMU_SQL_DOMAIN_LIST] = "SELECT name, service, id FROM domain WHERE "
	    "account = ?1 ORDER BY name_lc LIMIT ?2 OFFSET ?3",
	[EMU_SQL_DOMAIN_COUNT] = "SELECT count(*) FROM domain WHERE "
	    "account = ?1",
	[EMU_SQL_DOMAIN_UPSERT] = "INSERT INTO domain(account, name, "
	    "name_lc, service, mailbox_limit) VALUES (?1, ?2, lower(?2), ?3, "
	    "?4) ON CONFLICT(name_lc) DO UPDATE SET account = "
	    "excluded.account, service = excluded.service, mailbox_limit = "
	    "excluded.mailbox_limit",
	[EMU_SQL_DOMAIN_ACCT_GET] = "SELECT id FROM domain WHERE account = ?1 "
	    "AND name_lc = lower(?2)",
	[EMU_SQL_ACCEPTED_ADD] = "INSERT OR IGNORE INTO accepted(domain_id, "
	    "name_lc) VALUES (?1, lower(?2))",
	[EMU_SQL_ACCEPTED_DEL] = "DELETE FROM accepted WHERE domain_id = ?1 "
	    "AND name_lc = lower(?2)",
	[EMU_SQL_ACCEPTED_LIST] = "SELECT name_lc FROM accepted WHERE "
	    "domain_id = ?1 ORDER BY name_lc",
	[EMU_SQL_ACCEPTED_HAS] = "SELECT 1 FROM accepted WHERE domain_id = ?1 "
	    "AND name_lc = lower(?2)",
	[EMU_SQL_OBJ_GET] = "SELECT " EMU_OBJ_COLS " FROM obj WHERE "
	    "domain_id = ?1 AND name_lc = lower(?2)",
	[EMU_SQL_OBJ_GET_ID] = "SELECT " EMU_OBJ_COLS " FROM obj WHERE "
	    "id = ?1",
	[EMU_SQL_OBJ_INSERT] = "INSERT INTO obj(domain_id, kind, name, "
	    "name_lc, display, display_lc, extra, enabled, created, data) "
	    "VALUES (?1, ?2, ?3, lower(?3), ?4, lower(?4), ?5, ?6, ?7, ?8)",
	/* Numbered as the INSERT for what both write (emu_state_obj_write). */
	[EMU_SQL_OBJ_UPDATE] = "UPDATE obj SET name = ?3, name_lc = "
	    "lower(?3), display = ?4, display_lc = lower(?4), extra = ?5, "
	    "enabled = ?6, data = ?8 WHERE id = ?1",
	[EMU_SQL_OBJ_SET_PW] = "UPDATE obj SET pw_salt = ?2, pw_hash = ?3 "
	    "WHERE id = ?1",
	[EMU_SQL_OBJ_GET_PW] = "SELECT pw_salt, pw_hash FROM obj WHERE "
	    "id = ?1",
	[EMU_SQL_OBJ_DELETE] = "DELETE FROM obj WHERE id = ?1",
	[EMU_SQL_OBJ_COUNT_MBX] = "SELECT count(*) FROM obj WHERE "
	    "domain_id = ?1 AND kind IN (1, 2)",
	[EMU_SQL_OBJ_INDEX] = "SELECT " EMU_OBJ_COLS ", (SELECT count(*) "
	    "FROM member m WHERE m.obj_id = obj.id AND m.role = 0), (SELECT "
	    "address FROM member m WHERE m.obj_id = obj.id AND m.role = 0 "
	    "ORDER BY seq LIMIT 1) FROM obj WHERE " EMU_IDX_FILTER
	    " ORDER BY name_lc LIMIT ?6 OFFSET ?7",
	[EMU_SQL_OBJ_INDEX_COUNT] = "SELECT count(*) FROM obj WHERE "
	    EMU_IDX_FILTER,
	[EMU_SQL_OBJ_LIST_KIND] = "SELECT id FROM obj WHERE domain_id = ?1 "
	    "AND kind = ?2 ORDER BY name_lc",
	[EMU_SQL_DL_CN_ASC] = "SELECT id FROM obj WHERE " EMU_DL_FILTER
	    " AND (?2 IS NULL OR name_lc > lower(?2)) ORDER BY name_lc ASC "
	    "LIMIT ?4",
	[EMU_SQL_DL_CN_DESC] = "SELECT id FROM obj WHERE " EMU_DL_FILTER
	    " AND (?2 IS NULL OR name_lc < lower(?2)) ORDER BY name_lc DESC "
	    "LIMIT ?4",
	[EMU_SQL_DL_DN_ASC] = "SELECT id FROM obj WHERE " EMU_DL_FILTER
	    " AND (?2 IS NULL OR (display_lc, name_lc) > (lower(?5), "
	    "lower(?2))) ORDER BY display_lc ASC, name_lc ASC LIMIT ?4",
	[EMU_SQL_DL_DN_DESC] = "SELECT id FROM obj WHERE " EMU_DL_FILTER
	    " AND (?2 IS NULL OR (display_lc, name_lc) < (lower(?5), "
	    "lower(?2))) ORDER BY display_lc DESC, name_lc DESC LIMIT ?4",
	[EMU_SQL_DL_COUNT] = "SELECT count(*) FROM obj WHERE " EMU_DL_FILTER,
	[EMU_SQL_DELETED_PURGE] = "DELETE FROM deleted WHERE deleted_at < ?1",
	[EMU_SQL_DELETED_GET] = "SELECT id, deleted_at FROM deleted WHERE "
	    "domain_id = ?1 AND name_lc = lower(?2)",
	[EMU_SQL_DELETED_FROM_OBJ] = "INSERT INTO deleted(" EMU_MOVE_COLS
	    ", deleted_at) SELECT " EMU_MOVE_COLS ", ?2 FROM obj WHERE id = ?1",
	[EMU_SQL_DELETED_RESTORE] = "INSERT INTO obj(" EMU_MOVE_COLS ") "
	    "SELECT " EMU_MOVE_COLS " FROM deleted WHERE id = ?1",
	[EMU_SQL_DELETED_DEL] = "DELETE FROM deleted WHERE id = ?1",
	[EMU_SQL_DELETED_DEL_NAME] = "DELETE FROM deleted WHERE "
	    "domain_id = ?1 AND name_lc = lower(?2)",
	[EMU_SQL_DELETED_LIST] = "SELECT name, deleted_at, display, data, "
	    "created FROM deleted WHERE domain_id = ?1 AND deleted_at >= ?2 "
	    "ORDER BY name_lc",
	[EMU_SQL_ADDR_OWNER] = "SELECT obj_id FROM addr WHERE account = ?1 "
	    "AND address_lc = lower(?2)",
	[EMU_SQL_ADDR_INSERT] = "INSERT INTO addr(obj_id, account, address, "
	    "address_lc, is_primary, protocol) VALUES (?1, ?2, ?3, lower(?3), "
	    "?4, ?5)",
	[EMU_SQL_ADDR_DELETE] = "DELETE FROM addr WHERE obj_id = ?1 AND "
	    "address_lc = lower(?2)",
	[EMU_SQL_ADDR_LIST] = "SELECT address, is_primary, protocol FROM "
	    "addr WHERE obj_id = ?1 ORDER BY id",
	[EMU_SQL_ADDR_CLEAR_PRIMARY] = "UPDATE addr SET is_primary = 0 WHERE "
	    "obj_id = ?1",
	[EMU_SQL_ADDR_SET_PRIMARY] = "UPDATE addr SET is_primary = 1 WHERE "
	    "obj_id = ?1 AND address_lc = lower(?2)",
	[EMU_SQL_ADDR_GET] = "SELECT is_primary, protocol, address FROM addr "
	    "WHERE obj_id = ?1 AND address_lc = lower(?2)",
	[EMU_SQL_MEMBER_ADD] = "INSERT OR IGNORE INTO member(obj_id, role, "
	    "seq, address, address_lc, member_id) VALUES (?1, ?2, (SELECT "
	    "coalesce(max(seq), 0) + 1 FROM member WHERE obj_id = ?1 AND "
	    "role = ?2), ?3, lower(?3), ?4)",
	[EMU_SQL_MEMBER_DEL] = "DELETE FROM member WHERE obj_id = ?1 AND "
	    "role = ?2 AND address_lc = lower(?3)",
	[EMU_SQL_MEMBER_DEL_ID] = "DELETE FROM member WHERE obj_id = ?1 AND "
	    "role = ?2 AND member_id = ?3",
	[EMU_SQL_MEMBER_CLEAR] = "DELETE FROM member WHERE obj_id = ?1 AND "
	    "role = ?2",
	[EMU_SQL_MEMBER_LIST] = "SELECT m.address, m.member_id, o.name, "
	    "o.display, o.kind, d.name FROM member m LEFT JOIN obj o ON "
	    "o.id = m.member_id LEFT JOIN domain d ON d.id = o.domain_id "
	    "WHERE m.obj_id = ?1 AND m.role = ?2 ORDER BY m.seq",
	[EMU_SQL_MEMBER_COUNT] = "SELECT count(*) FROM member WHERE "
	    "obj_id = ?1 AND role = ?2",
	[EMU_SQL_MEMBER_HAS] = "SELECT 1 FROM member WHERE obj_id = ?1 AND "
	    "role = ?2 AND address_lc = lower(?3)",
	[EMU_SQL_MEMBER_HAS_ID] = "SELECT 1 FROM member WHERE obj_id = ?1 "
	    "AND role = ?2 AND member_id = ?3",
	[EMU_SQL_MEMBER_RENAME] = "UPDATE member SET address = ?2, "
	    "address_lc = lower(?2) WHERE member_id = ?1",
	[EMU_SQL_RESET_OBJ] = "DELETE FROM obj",
	[EMU_SQL_RESET_DELETED] = "DELETE FROM deleted",
	[EMU_SQL_RESET_ACCEPTED] = "DELETE FROM accepted",
	[EMU_SQL_RESET_DOMAIN] = "DELETE FROM domain",
	[EMU_SQL_BEGIN] = "BEGIN IMMEDIATE",
	[EMU_SQL_COMMIT] = "COMMIT",
	[EMU_SQL_ROLLBACK] = "ROLLBACK",
};

/* The columns of obj, and of deleted before its deleted_at (see
 * EMU_MOVE_COLS). */
#define EMU_OBJ_COLS_DDL \
	"  id INTEGER PRIMARY KEY," \
	"  domain_id INTEGER NOT NULL REFERENCES domain(id) " \
	"ON DELETE CASCADE," \
	"  kind INTEGER NOT NULL," \
	"  name TEXT NOT NULL," \
	"  name_lc TEXT NOT NULL," \
	"  display TEXT NOT NULL DEFAULT ''," \
	"  display_lc TEXT NOT NULL DEFAULT ''," \
	"  extra TEXT NOT NULL DEFAULT ''," \
	"  enabled INTEGER NOT NULL DEFAULT 1," \
	"  created INTEGER NOT NULL," \
	"  pw_salt BLOB," \
	"  pw_hash BLOB," \
	"  data TEXT NOT NULL DEFAULT '{}',"

/*
 * The schema. name_lc columns hold lower(name): names are ASCII (checked
 * by emu_valid_name), so SQLite's ASCII lower() is exact, and the UNIQUE
 * constraint on (domain_id, name_lc) is the one-namespace-per-domain rule
 * of docs/rackspace-api.md §5.1 across every kind of object.
 */
static const char *const emu_schema[] = {
	"PRAGMA foreign_keys = ON",
	"CREATE TABLE IF NOT EXISTS domain ("
	"  id INTEGER PRIMARY KEY,"
	"  account INTEGER NOT NULL,"
	"  name TEXT NOT NULL,"
	"  name_lc TEXT NOT NULL UNIQUE,"
	"  service INTEGER NOT NULL,"
	"  mailbox_limit INTEGER NOT NULL DEFAULT 0)",
	"CREATE INDEX IF NOT EXISTS domain_account ON domain(account, "
	"name_lc)",
	"CREATE TABLE IF NOT EXISTS accepted ("
	"  domain_id INTEGER NOT NULL REFERENCES domain(id) ON DELETE CASCADE,"
	"  name_lc TEXT NOT NULL,"
	"  PRIMARY KEY (domain_id, name_lc))",
	"CREATE TABLE IF NOT EXISTS obj (" EMU_OBJ_COLS_DDL
	"  UNIQUE (domain_id, name_lc))",
	"CREATE INDEX IF NOT EXISTS obj_kind ON obj(domain_id, kind, name_lc)",
	"CREATE INDEX IF NOT EXISTS obj_kind_dn ON obj(domain_id, kind, "
	"display_lc, name_lc)",
	"CREATE TABLE IF NOT EXISTS deleted (" EMU_OBJ_COLS_DDL
	"  deleted_at INTEGER NOT NULL,"
	"  UNIQUE (domain_id, name_lc))",
	"CREATE TABLE IF NOT EXISTS addr ("
	"  id INTEGER PRIMARY KEY,"
	"  obj_id INTEGER NOT NULL REFERENCES obj(id) ON DELETE CASCADE,"
	"  account INTEGER NOT NULL,"
	"  address TEXT NOT NULL,"
	"  address_lc TEXT NOT NULL,"
	"  is_primary INTEGER NOT NULL DEFAULT 0,"
	"  protocol TEXT NOT NULL DEFAULT 'smtp',"
	"  UNIQUE (account, address_lc))",
	"CREATE INDEX IF NOT EXISTS addr_obj ON addr(obj_id)",
	"CREATE TABLE IF NOT EXISTS member ("
	"  obj_id INTEGER NOT NULL REFERENCES obj(id) ON DELETE CASCADE,"
	"  role INTEGER NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  address TEXT NOT NULL,"
	"  address_lc TEXT NOT NULL,"
	"  member_id INTEGER REFERENCES obj(id) ON DELETE CASCADE,"
	"  PRIMARY KEY (obj_id, role, address_lc))",
	/* Three columns so that "is X a member of list L" (MEMBER_HAS_ID)
	 * uses it rather than a scan of L's members by the primary key's
	 * (obj_id, role) prefix; it also serves the cascade and the rename. */
	"DROP INDEX IF EXISTS member_member",
	"CREATE INDEX IF NOT EXISTS member_by_id ON member(member_id, obj_id, "
	"role)",
	/* max(seq) of a list on every member add (EMU_SQL_MEMBER_ADD): without
	 * it a 3,000-member PUT is quadratic. */
	"CREATE INDEX IF NOT EXISTS member_seq ON member(obj_id, role, seq)",
};

static int
emu_state_run(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int rc;

	/* Constant SQL only; run through prepare/step, never sqlite3_exec. */
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -ADSYNC_ESERVER;
	do
		rc = sqlite3_step(s);
	while (rc == SQLITE_ROW);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -ADSYNC_ESERVER;
}

static int
emu_state_pragma_int(sqlite3 *db, const char *sql, long long *out)
{
	sqlite3_stmt *s = NULL;
	int r = -ADSYNC_ESERVER;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		r = 0;
	}
out:
	sqlite3_finalize(s);
	return r;
}

int
emu_state_open(const char *path, struct emu_state **out, char *why,
    size_t whylen)
{
	struct emu_state *st;
	long long ver = 0;
	size_t i;
	int r = 0, flags;

	st = xcalloc(1, sizeof(*st));
	pthread_mutex_init(&st->lock, NULL);
	/* One connection, serialised by st->lock: no SQLite mutexes. */
	flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path != NULL ? path : ":memory:", &st->db, flags,
	    NULL) != SQLITE_OK) {
		snprintf(why, whylen, "--state %s: cannot open: %s",
		    path != NULL ? path : ":memory:", st->db != NULL ?
		    sqlite3_errmsg(st->db) : "out of memory");
		r = -ADSYNC_ESERVER;
		goto fail;
	}
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_busy_timeout(st->db, 5000);
	if (emu_state_pragma_int(st->db, "PRAGMA user_version", &ver) < 0) {
		snprintf(why, whylen, "--state %s: not an SQLite database: %s",
		    path, sqlite3_errmsg(st->db));
		r = -ADSYNC_ESERVER;
		goto fail;
	}
	if (ver != 0 && ver != EMU_SCHEMA_VERSION) {
		snprintf(why, whylen, "--state %s: schema version %lld, this "
		    "rsemu knows %d; remove the file to start afresh", path,
		    ver, EMU_SCHEMA_VERSION);
		r = -ADSYNC_ECONFIG;
		goto fail;
	}
	if (path != NULL && (emu_state_run(st->db,
	    "PRAGMA journal_mode = WAL") < 0 || emu_state_run(st->db,
	    "PRAGMA synchronous = NORMAL") < 0)) {
		snprintf(why, whylen, "--state %s: cannot enable WAL: %s",
		    path, sqlite3_errmsg(st->db));
		r = -ADSYNC_ESERVER;
		goto fail;
	}
	for (i = 0; i < sizeof(emu_schema) / sizeof(emu_schema[0]); i++) {
		if (emu_state_run(st->db, emu_schema[i]) < 0) {
			snprintf(why, whylen, "--state: cannot create the "
			    "schema: %s", sqlite3_errmsg(st->db));
			r = -ADSYNC_ESERVER;
			goto fail;
		}
	}
	if (emu_state_run(st->db, "PRAGMA user_version = 1") < 0) {
		snprintf(why, whylen, "--state: cannot set the schema version");
		r = -ADSYNC_ESERVER;
		goto fail;
	}
	for (i = 0; i < EMU_SQL_COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, emu_sql_text[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL) !=
		    SQLITE_OK) {
			snprintf(why, whylen, "internal error: statement %zu: "
			    "%s", i, sqlite3_errmsg(st->db));
			r = -ADSYNC_ESERVER;
			goto fail;
		}
	}
	*out = st;
	return 0;
fail:
	emu_state_close(st);
	return r;
}

void
emu_state_close(struct emu_state *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < EMU_SQL_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db != NULL && sqlite3_close(st->db) != SQLITE_OK)
		log_warnx("sqlite3_close: %s", sqlite3_errmsg(st->db));
	pthread_mutex_destroy(&st->lock);
	free(st);
}

void
emu_state_lock(struct emu_state *st)
{
	pthread_mutex_lock(&st->lock);
}

void
emu_state_unlock(struct emu_state *st)
{
	size_t i;

	/* Reset what was used so no read statement keeps a snapshot open
	 * (it would hold back WAL checkpoints). */
	for (i = 0; i < EMU_SQL_COUNT; i++) {
		if (st->used[i]) {
			sqlite3_reset(st->stmt[i]);
			st->used[i] = false;
		}
	}
	pthread_mutex_unlock(&st->lock);
}

sqlite3_stmt *
emu_state_stmt(struct emu_state *st, enum emu_sql id)
{
	sqlite3_stmt *s = st->stmt[id];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	st->used[id] = true;
	return s;
}

static int
emu_state_exec_id(struct emu_state *st, enum emu_sql id)
{
	sqlite3_stmt *s = emu_state_stmt(st, id);

	return sqlite3_step(s) == SQLITE_DONE ? 0 : -ADSYNC_ESERVER;
}

int
emu_state_begin(struct emu_state *st)
{
	return emu_state_exec_id(st, EMU_SQL_BEGIN);
}

/* Statements still stepping would make COMMIT or ROLLBACK fail: resets
 * every statement used since the lock but `keep`. */
static void
emu_state_reset_used(struct emu_state *st, enum emu_sql keep)
{
	size_t i;

	for (i = 0; i < EMU_SQL_COUNT; i++)
		if (st->used[i] && i != (size_t)keep)
			sqlite3_reset(st->stmt[i]);
}

int
emu_state_commit(struct emu_state *st)
{
	emu_state_reset_used(st, EMU_SQL_COMMIT);
	return emu_state_exec_id(st, EMU_SQL_COMMIT);
}

void
emu_state_rollback(struct emu_state *st)
{
	emu_state_reset_used(st, EMU_SQL_ROLLBACK);
	if (sqlite3_get_autocommit(st->db) == 0)
		(void)emu_state_exec_id(st, EMU_SQL_ROLLBACK);
}

int64_t
emu_state_last_id(struct emu_state *st)
{
	return sqlite3_last_insert_rowid(st->db);
}

const char *
emu_state_col_text(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	return t != NULL ? (const char *)t : "";
}

int
emu_state_seed(struct emu_state *st, const struct emu_config *cfg, bool wipe)
{
	struct emu_domain d;
	sqlite3_stmt *s;
	size_t i;
	int r;

	if (wipe && ((r = emu_state_exec_id(st, EMU_SQL_RESET_OBJ)) < 0 ||
	    (r = emu_state_exec_id(st, EMU_SQL_RESET_DELETED)) < 0 ||
	    (r = emu_state_exec_id(st, EMU_SQL_RESET_ACCEPTED)) < 0 ||
	    (r = emu_state_exec_id(st, EMU_SQL_RESET_DOMAIN)) < 0))
		return r;
	for (i = 0; i < cfg->ndomains; i++) {
		s = emu_state_stmt(st, EMU_SQL_DOMAIN_UPSERT);
		sqlite3_bind_int64(s, 1, cfg->domains[i].account);
		sqlite3_bind_text(s, 2, cfg->domains[i].name, -1,
		    SQLITE_STATIC);
		sqlite3_bind_int(s, 3, cfg->domains[i].service);
		sqlite3_bind_int64(s, 4, cfg->domains[i].mailbox_limit);
		if (sqlite3_step(s) != SQLITE_DONE)
			return -ADSYNC_ESERVER;
	}
	for (i = 0; i < cfg->naccepted; i++) {
		if ((r = emu_state_domain_get(st, cfg->accepted[i].domain,
		    &d)) < 0)
			return r;
		s = emu_state_stmt(st, EMU_SQL_ACCEPTED_ADD);
		sqlite3_bind_int64(s, 1, d.id);
		sqlite3_bind_text(s, 2, cfg->accepted[i].other, -1,
		    SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE)
			return -ADSYNC_ESERVER;
	}
	return 0;
}

int
emu_state_domain_get(struct emu_state *st, const char *name,
    struct emu_domain *out)
{
	sqlite3_stmt *s = emu_state_stmt(st, EMU_SQL_DOMAIN_GET);
	int rc;

	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return -ADSYNC_ENOTFOUND;
	if (rc != SQLITE_ROW)
		return -ADSYNC_ESERVER;
	out->id = sqlite3_column_int64(s, 0);
	out->account = sqlite3_column_int64(s, 1);
	snprintf(out->name, sizeof(out->name), "%s",
	    emu_state_col_text(s, 2));
	out->service = sqlite3_column_int(s, 3);
	out->mailbox_limit = (unsigned)sqlite3_column_int64(s, 4);
	sqlite3_reset(s);
	return 0;
}

/* Fills `o` from a row of EMU_OBJ_COLS. */
static int
emu_state_obj_row(sqlite3_stmt *s, struct emu_obj *o)
{
	json_error_t jerr;

	memset(o, 0, sizeof(*o));
	o->id = sqlite3_column_int64(s, 0);
	o->domain_id = sqlite3_column_int64(s, 1);
	o->kind = (enum emu_kind)sqlite3_column_int(s, 2);
	snprintf(o->name, sizeof(o->name), "%.64s", emu_state_col_text(s, 3));
	o->display = xstrdup(emu_state_col_text(s, 4));
	o->enabled = sqlite3_column_int(s, 5) != 0;
	o->created = sqlite3_column_int64(s, 6);
	o->data = json_loads(emu_state_col_text(s, 7), 0, &jerr);
	o->extra = xstrdup(emu_state_col_text(s, 8));
	if (!json_is_object(o->data)) {
		emu_state_obj_fini(o);
		return -ADSYNC_ESERVER;
	}
	return 0;
}

static int
emu_state_obj_fetch(sqlite3_stmt *s, struct emu_obj *out)
{
	int rc = sqlite3_step(s), r;

	if (rc == SQLITE_DONE)
		return -ADSYNC_ENOTFOUND;
	if (rc != SQLITE_ROW)
		return -ADSYNC_ESERVER;
	r = emu_state_obj_row(s, out);
	sqlite3_reset(s);
	return r;
}

int
emu_state_obj_get(struct emu_state *st, int64_t domain_id, const char *name,
    struct emu_obj *out)
{
	sqlite3_stmt *s = emu_state_stmt(st, EMU_SQL_OBJ_GET);

	sqlite3_bind_int64(s, 1, domain_id);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	return emu_state_obj_fetch(s, out);
}

int
emu_state_obj_get_id(struct emu_state *st, int64_t id, struct emu_obj *out)
{
	sqlite3_stmt *s = emu_state_stmt(st, EMU_SQL_OBJ_GET_ID);

	sqlite3_bind_int64(s, 1, id);
	return emu_state_obj_fetch(s, out);
}

/*
 * Binds what EMU_SQL_OBJ_INSERT and EMU_SQL_OBJ_UPDATE both write (?3 name,
 * ?4 display, ?5 extra, ?6 enabled, ?8 data) and runs `s`: 0,
 * -ADSYNC_ECONFLICT if the name is taken, -ENOMEM or -ADSYNC_ESERVER.
 */
static int
emu_state_obj_write(sqlite3_stmt *s, const struct emu_obj *o)
{
	char *data;
	int rc;

	if ((data = json_dumps(o->data, JSON_COMPACT)) == NULL)
		return -ENOMEM;
	sqlite3_bind_text(s, 3, o->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, o->display ? o->display : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(s, 5, o->extra ? o->extra : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, o->enabled);
	sqlite3_bind_text(s, 8, data, -1, SQLITE_TRANSIENT);
	free(data);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT)
		return -ADSYNC_ECONFLICT;
	return rc == SQLITE_DONE ? 0 : -ADSYNC_ESERVER;
}

int
emu_state_obj_insert(struct emu_state *st, struct emu_obj *o)
{
	sqlite3_stmt *s = emu_state_stmt(st, EMU_SQL_OBJ_INSERT);
	int r;

	sqlite3_bind_int64(s, 1, o->domain_id);
	sqlite3_bind_int(s, 2, (int)o->kind);
	sqlite3_bind_int64(s, 7, o->created);
	if ((r = emu_state_obj_write(s, o)) == 0)
		o->id = sqlite3_last_insert_rowid(st->db);
	return r;
}

int
emu_state_obj_update(struct emu_state *st, const struct emu_obj *o)
{
	sqlite3_stmt *s = emu_state_stmt(st, EMU_SQL_OBJ_UPDATE);

	sqlite3_bind_int64(s, 1, o->id);
	return emu_state_obj_write(s, o);
}

int
emu_state_obj_delete(struct emu_state *st, int64_t id)
{
	sqlite3_stmt *s = emu_state_stmt(st, EMU_SQL_OBJ_DELETE);

	sqlite3_bind_int64(s, 1, id);
	return sqlite3_step(s) == SQLITE_DONE ? 0 : -ADSYNC_ESERVER;
}

void
emu_state_obj_fini(struct emu_obj *o)
{
	free(o->display);
	free(o->extra);
	json_decref(o->data);
	o->display = NULL;
	o->extra = NULL;
	o->data = NULL;
}

int
emu_state_pw_set(struct emu_state *st, int64_t id, const char *pw)
{
	unsigned char salt[EMU_SALT_LEN], hash[EMU_HASH_LEN];
	sqlite3_stmt *s;
	int r = 0;

	randombytes_buf(salt, sizeof(salt));
	/* Keyed BLAKE2b with the salt as key: fast (the emulator hashes on
	 * every add) and never reversible to the password. */
	if (crypto_generichash(hash, sizeof(hash), (const unsigned char *)pw,
	    strlen(pw), salt, sizeof(salt)) != 0) {
		r = -ADSYNC_ESERVER;
		goto out;
	}
	s = emu_state_stmt(st, EMU_SQL_OBJ_SET_PW);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_blob(s, 2, salt, sizeof(salt), SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, hash, sizeof(hash), SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		r = -ADSYNC_ESERVER;
	sqlite3_reset(s);
out:
	sodium_memzero(hash, sizeof(hash));
	return r;
}

bool
emu_state_pw_verify(struct emu_state *st, int64_t id, const char *pw)
{
	unsigned char hash[EMU_HASH_LEN];
	const void *salt, *stored;
	sqlite3_stmt *s = emu_state_stmt(st, EMU_SQL_OBJ_GET_PW);
	bool ok = false;

	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) != SQLITE_ROW)
		goto out;
	salt = sqlite3_column_blob(s, 0);
	if (salt == NULL || sqlite3_column_bytes(s, 0) != EMU_SALT_LEN)
		goto out;
	if (crypto_generichash(hash, sizeof(hash), (const unsigned char *)pw,
	    strlen(pw), salt, EMU_SALT_LEN) != 0)
		goto out;
	stored = sqlite3_column_blob(s, 1);
	ok = stored != NULL && sqlite3_column_bytes(s, 1) == EMU_HASH_LEN &&
	    sodium_memcmp(hash, stored, EMU_HASH_LEN) == 0;
out:
	sqlite3_reset(s);
	sodium_memzero(hash, sizeof(hash));
	return ok;
}

int
emu_state_addr_used(struct emu_state *st, long long account,
    const char *addr, int64_t *owner)
{
	const char *at = strchr(addr, '@');
	char local[EMU_NAME_MAX + 1];
	struct emu_obj o;
	sqlite3_stmt *s;
	int64_t dom;
	int rc, r;

	*owner = 0;
	s = emu_state_stmt(st, EMU_SQL_ADDR_OWNER);
	sqlite3_bind_int64(s, 1, account);
	sqlite3_bind_text(s, 2, addr, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*owner = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		return 0;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return -ADSYNC_ESERVER;
	if (at == NULL || (size_t)(at - addr) > EMU_NAME_MAX)
		return 0;
	memcpy(local, addr, (size_t)(at - addr));
	local[at - addr] = '\0';
	s = emu_state_stmt(st, EMU_SQL_DOMAIN_ACCT_GET);
	sqlite3_bind_int64(s, 1, account);
	sqlite3_bind_text(s, 2, at + 1, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return rc == SQLITE_DONE ? 0 : -ADSYNC_ESERVER;
	}
	dom = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	r = emu_state_obj_get(st, dom, local, &o);
	if (r == -ADSYNC_ENOTFOUND)
		return 0;
	if (r < 0)
		return r;
	*owner = o.id;
	emu_state_obj_fini(&o);
	return 0;
}
