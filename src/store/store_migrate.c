/*
 * The schema of state.db and its migrations. PRAGMA user_version is the
 * schema version; store_migrations[] holds one entry per version, each a
 * constant SQL script that takes the database from the previous version
 * to its own and ends by setting user_version. store_migrate_run() applies
 * the missing ones in order, each in its own transaction, so a crash
 * half-way leaves a database at a version it knows. Version 2 is one more
 * entry (and STORE_SCHEMA_VERSION 2); entries are never edited once
 * released. Runs on the thread that opens the store, under the process
 * lock (only store_open() migrates).
 *
 * Trust: a database newer than this build is refused rather than guessed
 * at; a database at version 0 that already has tables is not ours and is
 * refused too.
 */
#include <errno.h>
#include <stdio.h>

#include "err.h"
#include "store_internal.h"

/*
 * Version 1.
 *
 * mirror_obj / mirror_member: the mirror (rowid tables on purpose: a full
 * read inserts in arrival order, which is append-only for the table, and
 * only the small guid index sees random GUIDs; WITHOUT ROWID would scatter
 * whole bodies over the tree). Members without a GUID have member_guid
 * NULL and are matched by DN. `seq` keeps each group's member order.
 * No foreign keys here: a full read swaps these tables whole.
 *
 * sync_row: one plan_row per (anchor, service); fields, members and
 * addresses are store_codec encodings.
 *
 * journal_run / journal_op: the audit trail; an op is written pending
 * (state 0) before its API call. alert / alert_history: current alerts and
 * resolved ones; alert.mark is scratch for store_alerts_set().
 */
static const char store_migrate_v1[] =
	"CREATE TABLE meta ("
	" key TEXT PRIMARY KEY NOT NULL,"
	" value TEXT NOT NULL"
	") WITHOUT ROWID;"

	"CREATE TABLE mirror_obj ("
	" id INTEGER PRIMARY KEY,"
	" guid BLOB NOT NULL UNIQUE CHECK (length(guid) = 16),"
	" kind INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 3),"
	" dn TEXT NOT NULL COLLATE NOCASE,"
	" body BLOB NOT NULL"
	");"
	"CREATE INDEX mirror_obj_dn ON mirror_obj (dn);"

	"CREATE TABLE mirror_member ("
	" id INTEGER PRIMARY KEY,"
	" group_guid BLOB NOT NULL CHECK (length(group_guid) = 16),"
	" seq INTEGER NOT NULL,"
	" member_guid BLOB CHECK (member_guid IS NULL OR"
	"  length(member_guid) = 16),"
	" member_dn TEXT NOT NULL COLLATE NOCASE,"
	" UNIQUE (group_guid, seq)"
	");"
	"CREATE INDEX mirror_member_guid ON mirror_member (member_guid)"
	" WHERE member_guid IS NOT NULL;"
	"CREATE INDEX mirror_member_dn ON mirror_member (member_dn)"
	" WHERE member_guid IS NULL;"

	"CREATE TABLE sync_row ("
	" anchor BLOB NOT NULL CHECK (length(anchor) = 16),"
	" service INTEGER NOT NULL CHECK (service BETWEEN 0 AND 1),"
	" kind INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 2),"
	" dn TEXT,"
	" domain TEXT,"
	" name TEXT,"
	" enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),"
	" in_scope INTEGER NOT NULL CHECK (in_scope IN (0, 1)),"
	" fields BLOB NOT NULL,"
	" members BLOB NOT NULL,"
	" addresses BLOB NOT NULL,"
	" PRIMARY KEY (anchor, service)"
	") WITHOUT ROWID;"

	"CREATE TABLE journal_run ("
	" id INTEGER PRIMARY KEY,"
	" started INTEGER NOT NULL,"
	" finished INTEGER NOT NULL DEFAULT 0,"
	" run_trigger TEXT NOT NULL,"
	" status INTEGER NOT NULL DEFAULT 0 CHECK (status BETWEEN 0 AND 4),"
	" n_created INTEGER NOT NULL DEFAULT 0,"
	" n_updated INTEGER NOT NULL DEFAULT 0,"
	" n_enabled INTEGER NOT NULL DEFAULT 0,"
	" n_disabled INTEGER NOT NULL DEFAULT 0,"
	" n_deleted INTEGER NOT NULL DEFAULT 0,"
	" n_errors INTEGER NOT NULL DEFAULT 0,"
	" n_alerts INTEGER NOT NULL DEFAULT 0,"
	" n_held INTEGER NOT NULL DEFAULT 0,"
	" n_api_calls INTEGER NOT NULL DEFAULT 0,"
	" message TEXT NOT NULL DEFAULT ''"
	");"

	"CREATE TABLE journal_op ("
	" id INTEGER PRIMARY KEY,"
	" run_id INTEGER NOT NULL REFERENCES journal_run (id),"
	" state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 2),"
	" op INTEGER NOT NULL CHECK (op BETWEEN 0 AND 9),"
	" service INTEGER NOT NULL CHECK (service BETWEEN 0 AND 1),"
	" kind INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 2),"
	" anchor BLOB NOT NULL CHECK (length(anchor) = 16),"
	" dn TEXT NOT NULL,"
	" domain TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" reason TEXT NOT NULL,"
	" detail TEXT NOT NULL,"
	" result TEXT NOT NULL DEFAULT '',"
	" started INTEGER NOT NULL,"
	" finished INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX journal_op_pending ON journal_op (id) WHERE state = 0;"
	"CREATE INDEX journal_op_run ON journal_op (run_id, id);"

	"CREATE TABLE alert ("
	" id INTEGER PRIMARY KEY,"
	" anchor BLOB NOT NULL CHECK (length(anchor) = 16),"
	" service INTEGER NOT NULL CHECK (service BETWEEN 0 AND 2),"
	" message TEXT NOT NULL,"
	" level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 2),"
	" dn TEXT NOT NULL,"
	" first_seen INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL,"
	" mark INTEGER NOT NULL DEFAULT 1,"
	" UNIQUE (anchor, service, message)"
	");"
	"CREATE INDEX alert_first_seen ON alert (first_seen, id);"

	"CREATE TABLE alert_history ("
	" id INTEGER PRIMARY KEY,"
	" anchor BLOB NOT NULL CHECK (length(anchor) = 16),"
	" service INTEGER NOT NULL,"
	" message TEXT NOT NULL,"
	" level INTEGER NOT NULL,"
	" dn TEXT NOT NULL,"
	" first_seen INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL,"
	" resolved INTEGER NOT NULL"
	");"
	"CREATE INDEX alert_history_resolved ON alert_history (resolved, id);"

	"PRAGMA user_version = 1;";

/*
 * Version 2.
 *
 * held_op: the removals the mass-removal guard held back, per run, with
 * the administrator's decision (0 waiting, 1 approved, 2 rejected, 3
 * superseded by a later held run or no longer planned). Its columns follow
 * journal_op's so that one reader serves both. journal_op_anchor: the last
 * operations of one object (`adsync explain`).
 *
 * sync_row becomes a rowid table with a UNIQUE (anchor, service) index:
 * keyed on the random anchor, the WITHOUT ROWID table scattered a first
 * sync's inserts over every leaf page, so each outcome commit rewrote
 * nearly the whole table into the WAL. Rows now append, and only the small
 * index pages are scattered.
 */
static const char store_migrate_v2[] =
	"CREATE TABLE sync_row_v2 ("
	" id INTEGER PRIMARY KEY,"
	" anchor BLOB NOT NULL CHECK (length(anchor) = 16),"
	" service INTEGER NOT NULL CHECK (service BETWEEN 0 AND 1),"
	" kind INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 2),"
	" dn TEXT,"
	" domain TEXT,"
	" name TEXT,"
	" enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),"
	" in_scope INTEGER NOT NULL CHECK (in_scope IN (0, 1)),"
	" fields BLOB NOT NULL,"
	" members BLOB NOT NULL,"
	" addresses BLOB NOT NULL,"
	" UNIQUE (anchor, service)"
	");"
	"INSERT INTO sync_row_v2 (anchor, service, kind, dn, domain, name,"
	" enabled, in_scope, fields, members, addresses)"
	" SELECT anchor, service, kind, dn, domain, name, enabled, in_scope,"
	" fields, members, addresses FROM sync_row ORDER BY anchor, service;"
	"DROP TABLE sync_row;"
	"ALTER TABLE sync_row_v2 RENAME TO sync_row;"

	"CREATE TABLE held_op ("
	" id INTEGER PRIMARY KEY,"
	" run_id INTEGER NOT NULL REFERENCES journal_run (id),"
	" decision INTEGER NOT NULL DEFAULT 0 CHECK (decision BETWEEN 0 AND 3),"
	" op INTEGER NOT NULL CHECK (op BETWEEN 0 AND 9),"
	" service INTEGER NOT NULL CHECK (service BETWEEN 0 AND 1),"
	" kind INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 2),"
	" anchor BLOB NOT NULL CHECK (length(anchor) = 16),"
	" dn TEXT NOT NULL,"
	" domain TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" reason TEXT NOT NULL,"
	" detail TEXT NOT NULL,"
	" decided INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX held_op_run ON held_op (run_id, id);"
	"CREATE INDEX held_op_decision ON held_op (decision, id);"
	"CREATE INDEX journal_op_anchor ON journal_op (anchor, id);"
	"PRAGMA user_version = 2;";

static const struct store_migration {
	int version;
	const char *sql;
} store_migrations[] = {
	{ 1, store_migrate_v1 },
	{ 2, store_migrate_v2 },
};

#define STORE_MIGRATIONS_N \
	(sizeof(store_migrations) / sizeof(store_migrations[0]))

/*
 * The staging tables of a full read: the current shape of mirror_obj and
 * mirror_member (as the last migration left them) under other names, with
 * only the constraint indexes (guid, (group_guid, seq)), which SQLite
 * names after the table and renames with it. Made inside the full read's
 * transaction, so a crash or an abort leaves nothing behind.
 */
const char store_migrate_stage_sql[] =
	"DROP TABLE IF EXISTS mirror_stage_member;"
	"DROP TABLE IF EXISTS mirror_stage_obj;"
	"CREATE TABLE mirror_stage_obj ("
	" id INTEGER PRIMARY KEY,"
	" guid BLOB NOT NULL UNIQUE CHECK (length(guid) = 16),"
	" kind INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 3),"
	" dn TEXT NOT NULL COLLATE NOCASE,"
	" body BLOB NOT NULL"
	");"
	"CREATE TABLE mirror_stage_member ("
	" id INTEGER PRIMARY KEY,"
	" group_guid BLOB NOT NULL CHECK (length(group_guid) = 16),"
	" seq INTEGER NOT NULL,"
	" member_guid BLOB CHECK (member_guid IS NULL OR"
	"  length(member_guid) = 16),"
	" member_dn TEXT NOT NULL COLLATE NOCASE,"
	" UNIQUE (group_guid, seq)"
	");";

/*
 * The swap at commit: the old mirror goes, the staging tables take its
 * names, and the lookup indexes are built once over the loaded rows
 * (cheaper than keeping them up to date during 100k inserts).
 */
const char store_migrate_swap_sql[] =
	"DROP TABLE mirror_member;"
	"DROP TABLE mirror_obj;"
	"ALTER TABLE mirror_stage_obj RENAME TO mirror_obj;"
	"ALTER TABLE mirror_stage_member RENAME TO mirror_member;"
	"CREATE INDEX mirror_obj_dn ON mirror_obj (dn);"
	"CREATE INDEX mirror_member_guid ON mirror_member (member_guid)"
	" WHERE member_guid IS NOT NULL;"
	"CREATE INDEX mirror_member_dn ON mirror_member (member_dn)"
	" WHERE member_guid IS NULL;";

int
store_migrate_latest(void)
{
	return store_migrations[STORE_MIGRATIONS_N - 1].version;
}

int
store_migrate_version(struct store *st, int *out)
{
	sqlite3_stmt *s;
	int r, rc;

	r = store_sql_stmt(st, STORE_Q_USER_VERSION, "PRAGMA user_version",
	    &s);
	if (r < 0)
		return r;
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW)
		r = store_sql_fail(st, rc, "reading the schema version");
	else
		*out = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return r;
}

/* Whether the database has any table yet (a version-0 file that has some
 * is someone else's database). */
static int
store_migrate_empty(struct store *st, bool *empty)
{
	sqlite3_stmt *s = NULL;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(st->db,
	    "SELECT count(*) FROM sqlite_schema", -1, &s, NULL);
	if (rc != SQLITE_OK || (rc = sqlite3_step(s)) != SQLITE_ROW) {
		r = store_sql_fail(st, rc, "reading the schema");
		goto out;
	}
	*empty = sqlite3_column_int64(s, 0) == 0;
out:
	sqlite3_finalize(s);
	return r;
}

int
store_migrate_check(struct store *st, int *version, char *why,
    size_t whylen)
{
	bool empty = false;
	int v = 0, r;

	if (store_migrate_latest() != STORE_SCHEMA_VERSION) {
		snprintf(why, whylen, "this build is inconsistent: its "
		    "migrations reach schema version %d, STORE_SCHEMA_VERSION "
		    "is %d", store_migrate_latest(), STORE_SCHEMA_VERSION);
		return -EINVAL;
	}
	if ((r = store_migrate_version(st, &v)) < 0)
		goto fail;
	if (v > STORE_SCHEMA_VERSION) {
		snprintf(why, whylen, "%s has schema version %d, newer than "
		    "this adsync supports (%d); run the adsync version that "
		    "wrote it, or use another state_dir", st->path, v,
		    STORE_SCHEMA_VERSION);
		return -ADSYNC_ERANGE;
	}
	if (v == 0) {
		if ((r = store_migrate_empty(st, &empty)) < 0)
			goto fail;
		if (!empty) {
			snprintf(why, whylen, "%s has tables but no adsync "
			    "schema version; it is not an adsync state "
			    "database: move it away or use another state_dir",
			    st->path);
			return -ADSYNC_EPARSE;
		}
	}
	*version = v;
	return 0;
fail:
	snprintf(why, whylen, "%s: %s", st->path, st->err);
	return r;
}

int
store_migrate_run(struct store *st, char *why, size_t whylen)
{
	const struct store_migration *m;
	size_t i;
	int v = 0, after = 0, r;

	if ((r = store_migrate_check(st, &v, why, whylen)) < 0)
		return r;
	for (i = 0; i < STORE_MIGRATIONS_N; i++) {
		m = &store_migrations[i];
		if (m->version <= v)
			continue;
		r = store_sql_simple(st, STORE_Q_BEGIN, "BEGIN IMMEDIATE",
		    "starting a migration");
		if (r == 0)
			r = store_sql_run(st, m->sql, "migrating");
		if (r == 0)
			r = store_migrate_version(st, &after);
		if (r == 0 && after != m->version)
			r = store_sql_failf(st, -EINVAL, "the migration to "
			    "version %d left version %d", m->version, after);
		if (r == 0)
			r = store_sql_simple(st, STORE_Q_COMMIT, "COMMIT",
			    "committing a migration");
		if (r < 0) {
			store_rollback(st);
			snprintf(why, whylen, "migrating %s to schema version "
			    "%d failed: %s", st->path, m->version, st->err);
			return r;
		}
		v = m->version;
	}
	return 0;
}
