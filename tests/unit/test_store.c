/*
 * Unit tests of the store module against real SQLite databases, in memory
 * and in temporary state directories: migrations (fresh, reopen, a newer
 * database refused), directory and file modes, the process lock, the
 * mirror (full read put/commit/abort, round trip of a fully populated
 * object and of a group with 3,000 members, DN lookup, change reads with
 * DirSync partial objects, tombstones and uSN replacements), synced rows,
 * the journal, alerts, and corrupt rows (written with raw SQL) that must
 * give errors, not crashes. Runs under ASan/UBSan with leak checking in
 * the dev preset.
 *
 * ADSYNC_STORE_BENCH=N (e.g. 100000) runs only a timed case: N objects with 25
 * attributes and N memberships through a full read, then per-call costs
 * of get and find_dn; figures go to stderr (docs/store.md quotes them).
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "obj.h"
#include "plan.h"
#include "store.h"
#include "store_internal.h"
#include "strparse.h"

/* ---- helpers ---- */

static struct obj_guid
guid_n(uint32_t n)
{
	struct obj_guid g;
	int i;

	for (i = 0; i < 16; i++)
		g.b[i] = (uint8_t)(0xa5 ^ i);
	g.b[0] = (uint8_t)n;
	g.b[1] = (uint8_t)(n >> 8);
	g.b[2] = (uint8_t)(n >> 16);
	g.b[3] = (uint8_t)(n >> 24);
	return g;
}

static void
add_val(struct obj *o, enum obj_attr a, const char *v)
{
	assert_int_equal(obj_value_add(o, a, v, strlen(v)), 0);
}

static void
add_ref(struct obj_refs *refs, const struct obj_guid *g, const char *dn)
{
	assert_int_equal(obj_ref_add(refs, g, dn, strlen(dn)), 0);
}

static struct obj *
make_obj(uint32_t n, enum obj_kind kind, const char *dn)
{
	struct obj *o = obj_new();

	o->guid = guid_n(n);
	o->kind = kind;
	assert_int_equal(obj_dn_set(o, dn, strlen(dn)), 0);
	return o;
}

static struct obj *
make_user(uint32_t n, const char *dn, const char *mail)
{
	struct obj *o = make_obj(n, OBJ_USER, dn);

	add_val(o, OBJ_A_MAIL, mail);
	add_val(o, OBJ_A_DISPLAY_NAME, "User");
	o->uac = OBJ_UAC_NORMAL_ACCOUNT;
	o->usn_changed = 1000 + n;
	return o;
}

/* Runs constant SQL on a raw connection (sqlite3_exec is banned). */
static void
raw_sql(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	const char *tail = sql;
	int rc;

	while (*tail != '\0') {
		rc = sqlite3_prepare_v2(db, tail, -1, &s, &tail);
		assert_int_equal(rc, SQLITE_OK);
		if (s == NULL)
			break;
		while ((rc = sqlite3_step(s)) == SQLITE_ROW)
			;
		assert_int_equal(rc, SQLITE_DONE);
		sqlite3_finalize(s);
	}
}

static int64_t
raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Sets column `col` of mirror_obj/sync_row (by `sql`, whose ?1 is the
 * GUID) to the blob `p`. */
static void
raw_set_blob(sqlite3 *db, const char *sql, const struct obj_guid *g,
    const void *p, int len)
{
	sqlite3_stmt *s = NULL;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_bind_blob(s, 1, g->b, 16, SQLITE_STATIC),
	    SQLITE_OK);
	assert_int_equal(sqlite3_bind_blob(s, 2, p, len, SQLITE_STATIC),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_finalize(s);
}

static struct store *
open_mem(void)
{
	struct store *st = NULL;
	char why[512];

	assert_int_equal(store_open(":memory:", &st, why, sizeof(why)), 0);
	assert_non_null(st);
	return st;
}

/* A fresh temporary directory path (not created) under $TMPDIR. */
static void
tmp_state_dir(char *out, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	char tmpl[512];

	snprintf(tmpl, sizeof(tmpl), "%s/adsync-store-XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	assert_non_null(mkdtemp(tmpl));
	snprintf(out, len, "%s/state", tmpl);
}

static void
rm_state_dir(const char *dir)
{
	static const char *const files[] = {
		"state.db", "state.db-wal", "state.db-shm", "lock",
		"link-target"
	};
	char path[PATH_MAX], parent[PATH_MAX];
	size_t i;
	char *slash;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	chmod(dir, 0700);
	rmdir(dir);
	snprintf(parent, sizeof(parent), "%s", dir);
	if ((slash = strrchr(parent, '/')) != NULL) {
		*slash = '\0';
		rmdir(parent);
	}
}

static mode_t
file_mode(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat sb;

	if (name != NULL)
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	else
		snprintf(path, sizeof(path), "%s", dir);
	assert_int_equal(lstat(path, &sb), 0);
	return sb.st_mode & 07777;
}

static void
assert_refs_equal(const struct obj_refs *a, const struct obj_refs *b)
{
	size_t i;

	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		assert_memory_equal(a->v[i].guid.b, b->v[i].guid.b, 16);
		assert_string_equal(a->v[i].dn, b->v[i].dn);
	}
}

/* Everything the mirror stores of an object (not the references). */
static void
assert_obj_equal(const struct obj *a, const struct obj *b)
{
	size_t i;
	int k;

	assert_memory_equal(a->guid.b, b->guid.b, 16);
	assert_int_equal(a->kind, b->kind);
	assert_string_equal(a->dn, b->dn);
	assert_int_equal(a->deleted, b->deleted);
	assert_int_equal(a->usn_changed, b->usn_changed);
	assert_int_equal(a->when_changed, b->when_changed);
	assert_int_equal(a->uac, b->uac);
	assert_int_equal(a->group_type, b->group_type);
	assert_int_equal(a->pwd_last_set, b->pwd_last_set);
	if (a->object_sid == NULL)
		assert_null(b->object_sid);
	else
		assert_string_equal(a->object_sid, b->object_sid);
	assert_int_equal(a->present, b->present);
	assert_int_equal(a->held, b->held);
	for (k = 0; k < OBJ_A_COUNT; k++) {
		assert_int_equal(a->held_why[k], b->held_why[k]);
		assert_int_equal(a->attrs[k].n, b->attrs[k].n);
		for (i = 0; i < a->attrs[k].n; i++)
			assert_string_equal(a->attrs[k].v[i], b->attrs[k].v[i]);
	}
}

static void
full_put_all(struct store *st, struct obj **objs, size_t n, const char *wm)
{
	size_t i;

	assert_int_equal(store_mirror_full_begin(st), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(store_mirror_full_put(st, objs[i]), 0);
	assert_int_equal(store_mirror_full_commit(st, wm), 0);
}

static void
free_all(struct obj **objs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		obj_free(objs[i]);
}

/* ---- migrations, modes, lock ---- */

static void
test_migrate_fresh(void **state)
{
	struct store *st;
	char wm[64];
	size_t n = 99;

	(void)state;
	assert_int_equal(store_migrate_latest(), STORE_SCHEMA_VERSION);
	st = open_mem();
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	assert_int_equal(store_mirror_count(st, OBJ_UNKNOWN, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_mirror_watermark(st, wm, sizeof(wm)), 0);
	assert_string_equal(wm, "");
	/* The settings the brief asks for are in force. */
	assert_int_equal(raw_int(store_db(st), "PRAGMA foreign_keys"), 1);
	assert_int_equal(raw_int(store_db(st), "PRAGMA cache_size"), -8000);
	assert_int_equal(raw_int(store_db(st), "PRAGMA synchronous"), 1);
	store_close(st);
	store_close(NULL);
}

static void
test_migrate_reopen(void **state)
{
	char dir[1024], why[512], wm[64];
	struct store *st = NULL;
	struct obj *o, *got = NULL;
	struct obj_guid g = guid_n(7);

	(void)state;
	tmp_state_dir(dir, sizeof(dir));
	assert_int_equal(store_open(dir, &st, why, sizeof(why)), 0);
	o = make_user(7, "CN=Seven,DC=example,DC=test", "seven@example.test");
	full_put_all(st, &o, 1, "wm-7");
	obj_free(o);
	store_close(st);
	st = NULL;

	assert_int_equal(store_open(dir, &st, why, sizeof(why)), 0);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	assert_int_equal(store_mirror_watermark(st, wm, sizeof(wm)), 0);
	assert_string_equal(wm, "wm-7");
	assert_int_equal(store_mirror_get(st, &g, &got), 0);
	assert_string_equal(obj_value(got, OBJ_A_MAIL), "seven@example.test");
	obj_free(got);
	/* A watermark longer than the caller's buffer is refused. */
	assert_int_equal(store_mirror_watermark(st, wm, 3), -ADSYNC_ETOOBIG);
	store_close(st);
	rm_state_dir(dir);
}

static void
test_migrate_newer_refused(void **state)
{
	char dir[1024], why[512];
	struct store *st = NULL;
	sqlite3 *db = NULL;

	(void)state;
	tmp_state_dir(dir, sizeof(dir));
	assert_int_equal(store_open(dir, &st, why, sizeof(why)), 0);
	raw_sql(store_db(st), "PRAGMA user_version = 3");
	store_close(st);
	st = NULL;

	memset(why, 0, sizeof(why));
	assert_int_equal(store_open(dir, &st, why, sizeof(why)),
	    -ADSYNC_ERANGE);
	assert_null(st);
	assert_non_null(strstr(why, "schema version 3, newer than this "
	    "adsync supports (2)"));
	assert_non_null(strstr(why, dir));
	assert_int_equal(store_open_readonly(dir, &st, why, sizeof(why)),
	    -ADSYNC_ERANGE);
	assert_null(st);

	/* And a version-0 file with tables is not ours. */
	rm_state_dir(dir);
	tmp_state_dir(dir, sizeof(dir));
	assert_int_equal(mkdir(dir, 0700), 0);
	{
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/state.db", dir);
		assert_int_equal(sqlite3_open_v2(path, &db,
		    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
		    SQLITE_OK);
		raw_sql(db, "CREATE TABLE t (x); PRAGMA user_version = 0;");
		sqlite3_close(db);
		chmod(path, 0600);
	}
	assert_int_equal(store_open(dir, &st, why, sizeof(why)),
	    -ADSYNC_EPARSE);
	assert_non_null(strstr(why, "not an adsync state database"));
	rm_state_dir(dir);
}

static void
test_dir_modes(void **state)
{
	char dir[1024], why[512], path[PATH_MAX], target[PATH_MAX];
	struct store *st = NULL;

	(void)state;
	tmp_state_dir(dir, sizeof(dir));
	assert_int_equal(store_open(dir, &st, why, sizeof(why)), 0);
	assert_int_equal(file_mode(dir, NULL), 0700);
	assert_int_equal(file_mode(dir, "state.db"), 0600);
	assert_int_equal(file_mode(dir, "state.db-wal"), 0600);
	assert_int_equal(file_mode(dir, "state.db-shm"), 0600);
	assert_int_equal(file_mode(dir, "lock"), 0600);
	store_close(st);
	st = NULL;

	/* A group-writable state_dir is refused with the fix. */
	assert_int_equal(chmod(dir, 0770), 0);
	assert_int_equal(store_open(dir, &st, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "writable by group or others"));
	assert_non_null(strstr(why, "chmod go-w"));
	assert_non_null(strstr(why, dir));
	assert_int_equal(chmod(dir, 0700), 0);

	/* So is a world-writable database. */
	snprintf(path, sizeof(path), "%s/state.db", dir);
	assert_int_equal(chmod(path, 0606), 0);
	assert_int_equal(store_open(dir, &st, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, path));
	assert_non_null(strstr(why, "chmod go-w"));
	assert_int_equal(store_open_readonly(dir, &st, why, sizeof(why)),
	    -EPERM);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(store_open(dir, &st, why, sizeof(why)), 0);
	store_close(st);
	st = NULL;

	/* And a database that is a symbolic link. */
	snprintf(target, sizeof(target), "%s/link-target", dir);
	assert_int_equal(rename(path, target), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(store_open(dir, &st, why, sizeof(why)), -ELOOP);
	assert_non_null(strstr(why, "symbolic link"));
	assert_null(st);
	rm_state_dir(dir);
}

static void
test_lock(void **state)
{
	char dir[1024], why[512], pid[64];
	struct store *a = NULL, *b = NULL;

	(void)state;
	tmp_state_dir(dir, sizeof(dir));
	assert_int_equal(store_open(dir, &a, why, sizeof(why)), 0);
	memset(why, 0, sizeof(why));
	assert_int_equal(store_open(dir, &b, why, sizeof(why)), -EWOULDBLOCK);
	assert_null(b);
	snprintf(pid, sizeof(pid), "in use by process %ld (another adsync)",
	    (long)getpid());
	assert_non_null(strstr(why, pid));
	assert_non_null(strstr(why, dir));
	assert_non_null(strstr(why, "stop it or use another state_dir"));
	/* A read-only handle takes no lock. */
	assert_int_equal(store_open_readonly(dir, &b, why, sizeof(why)), 0);
	store_close(b);
	b = NULL;
	store_close(a);
	assert_int_equal(store_open(dir, &b, why, sizeof(why)), 0);
	store_close(b);
	rm_state_dir(dir);
}

static void
test_readonly(void **state)
{
	char dir[1024], why[512];
	struct store *rw = NULL, *ro = NULL;
	struct obj *o, *got = NULL;
	struct obj_guid g = guid_n(3);
	struct plan_row row;
	size_t n = 0;

	(void)state;
	tmp_state_dir(dir, sizeof(dir));
	assert_int_equal(store_open_readonly(dir, &ro, why, sizeof(why)),
	    -ENOENT);
	assert_non_null(strstr(why, "does not exist"));
	assert_int_equal(store_open(dir, &rw, why, sizeof(why)), 0);
	o = make_user(3, "CN=Three,DC=example,DC=test", "three@example.test");
	full_put_all(rw, &o, 1, "wm");
	obj_free(o);
	assert_int_equal(store_open_readonly(dir, &ro, why, sizeof(why)), 0);
	assert_int_equal(store_mirror_get(ro, &g, &got), 0);
	obj_free(got);
	assert_int_equal(store_mirror_count(ro, OBJ_USER, &n), 0);
	assert_int_equal(n, 1);
	plan_row_init(&row);
	row.anchor = g;
	assert_int_equal(store_row_put(ro, &row), -EROFS);
	assert_int_equal(store_mirror_full_begin(ro), -EROFS);
	assert_int_equal(store_begin(ro), -EROFS);
	store_close(ro);
	store_close(rw);
	/* With no writer (and so no -wal file) it reads all the same. */
	ro = NULL;
	assert_int_equal(store_open_readonly(dir, &ro, why, sizeof(why)), 0);
	got = NULL;
	assert_int_equal(store_mirror_get(ro, &g, &got), 0);
	obj_free(got);
	store_close(ro);
	rm_state_dir(dir);
}

/* The mirror tables have the same shape after a swap as the migrations
 * made them (the staging DDL must follow the migrations). */
static char *
schema_shape(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	char *out;

	assert_int_equal(sqlite3_prepare_v2(db,
	    "SELECT group_concat(x, '|') FROM (SELECT type || ':' ||"
	    " name || ':' || tbl_name || ':' ||"
	    " coalesce(substr(sql, instr(sql, '(')), '') AS x"
	    " FROM sqlite_schema WHERE tbl_name LIKE 'mirror%'"
	    " ORDER BY type, name)", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	out = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	assert_non_null(out);
	return out;
}

static void
test_schema_after_swap(void **state)
{
	struct store *st = open_mem();
	struct obj *o = make_user(1, "CN=A,DC=x", "a@x.test");
	char *before, *after;

	(void)state;
	before = schema_shape(store_db(st));
	assert_non_null(strstr(before, "index:mirror_obj_dn:mirror_obj"));
	full_put_all(st, &o, 1, "wm");
	after = schema_shape(store_db(st));
	assert_string_equal(before, after);
	/* No staging table is left behind. */
	assert_null(strstr(after, "stage"));
	free(before);
	free(after);
	obj_free(o);
	store_close(st);
}

/* ---- the mirror ---- */

static struct obj *
make_full_user(void)
{
	static const uint8_t sid[28] = {
		0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
		0x15, 0x00, 0x00, 0x00, 0xc7, 0xf7, 0xfe, 0xd7,
		0x7c, 0x77, 0x55, 0xc8, 0x94, 0x5a, 0xce, 0x01,
		0xf4, 0x01, 0x00, 0x00
	};
	struct obj *o = make_obj(42, OBJ_USER,
	    "CN=Zoë Ångström,OU=Ünits,DC=example,DC=test");
	char v[64];
	int a;

	for (a = 0; a < OBJ_A_COUNT; a++) {
		if (a == OBJ_A_MOBILE)
			continue;	/* present without values, below */
		snprintf(v, sizeof(v), "välue-%d-日本", a);
		add_val(o, (enum obj_attr)a, v);
	}
	add_val(o, OBJ_A_PROXY_ADDRESSES, "smtp:zoe@example.test");
	add_val(o, OBJ_A_PROXY_ADDRESSES, "X500:/o=Ex/cn=zoë");
	add_val(o, OBJ_A_O, "");
	obj_mark_present(o, OBJ_A_MOBILE);
	o->usn_changed = 123456789012ull;
	o->when_changed = 1795000000;
	o->uac = OBJ_UAC_NORMAL_ACCOUNT | OBJ_UAC_ACCOUNTDISABLE;
	o->group_type = 0;
	o->pwd_last_set = 1731312000;
	assert_int_equal(obj_sid_set(o, sid, sizeof(sid)), 0);
	return o;
}

static void
test_mirror_round_trip(void **state)
{
	struct store *st = open_mem();
	struct obj *objs[3], *got = NULL, *grp;
	struct obj_guid gg = guid_n(500), ug = guid_n(42);
	char dn[128];
	uint32_t i;

	(void)state;
	objs[0] = make_full_user();
	/* A group of 3,000 members: 2,998 with GUIDs, two without. */
	grp = make_obj(500, OBJ_GROUP, "CN=Big Group,OU=Groups,DC=example,"
	    "DC=test");
	grp->group_type = (int32_t)(OBJ_GROUP_SECURITY | 2u);
	for (i = 0; i < 3000; i++) {
		struct obj_guid mg = guid_n(10000 + i);

		snprintf(dn, sizeof(dn), "CN=Member %u,OU=Ünits,DC=example,"
		    "DC=test", i);
		add_ref(&grp->member, i == 7 || i == 2999 ? NULL : &mg, dn);
	}
	add_ref(&grp->member, &ug, objs[0]->dn);
	objs[1] = grp;
	objs[2] = make_obj(501, OBJ_GROUP, "CN=Small,DC=example,DC=test");
	add_ref(&objs[2]->member, &ug, "CN=stale name,DC=example,DC=test");
	full_put_all(st, objs, 3, "wm");

	assert_int_equal(store_mirror_get(st, &ug, &got), 0);
	assert_obj_equal(objs[0], got);
	assert_false(got->incremental);
	assert_false(got->member_present);
	assert_int_equal(got->member.n, 0);
	/* member_of: both groups, by DN order. */
	assert_int_equal(got->member_of.n, 2);
	assert_string_equal(got->member_of.v[0].dn, grp->dn);
	assert_memory_equal(got->member_of.v[0].guid.b, gg.b, 16);
	assert_string_equal(got->member_of.v[1].dn, objs[2]->dn);
	assert_true(obj_is_present(got, OBJ_A_MOBILE));
	assert_null(obj_value(got, OBJ_A_MOBILE));
	obj_free(got);
	got = NULL;

	assert_int_equal(store_mirror_get(st, &gg, &got), 0);
	assert_obj_equal(grp, got);
	assert_true(got->member_present);
	assert_refs_equal(&grp->member, &got->member);
	assert_true(obj_guid_is_zero(&got->member.v[7].guid));
	assert_int_equal(got->member_of.n, 0);
	obj_free(got);
	got = NULL;

	/* A member in the mirror is listed under its current DN. */
	assert_int_equal(store_mirror_get(st, &objs[2]->guid, &got), 0);
	assert_int_equal(got->member.n, 1);
	assert_string_equal(got->member.v[0].dn, objs[0]->dn);
	obj_free(got);
	got = NULL;

	gg = guid_n(999);
	assert_int_equal(store_mirror_get(st, &gg, &got), -ADSYNC_ENOTFOUND);
	assert_null(got);
	free_all(objs, 3);
	store_close(st);
}

static void
test_mirror_find_dn(void **state)
{
	struct store *st = open_mem();
	struct obj *objs[2];
	struct obj_guid g;
	size_t n = 0;

	(void)state;
	objs[0] = make_user(1, "CN=Alice Smith,OU=Staff,DC=Example,DC=Test",
	    "alice@example.test");
	objs[1] = make_obj(2, OBJ_CONTACT, "CN=Bob,OU=Contacts,DC=example,"
	    "DC=test");
	full_put_all(st, objs, 2, "wm");
	memset(&g, 0, sizeof(g));
	assert_int_equal(store_mirror_find_dn(st,
	    "cn=alice smith,ou=staff,dc=example,dc=test", &g), 0);
	assert_memory_equal(g.b, objs[0]->guid.b, 16);
	assert_int_equal(store_mirror_find_dn(st,
	    "CN=BOB,OU=CONTACTS,DC=EXAMPLE,DC=TEST", &g), 0);
	assert_memory_equal(g.b, objs[1]->guid.b, 16);
	assert_int_equal(store_mirror_find_dn(st, "CN=Carol,DC=example,DC=test",
	    &g), -ADSYNC_ENOTFOUND);
	assert_non_null(strstr(store_errmsg(st), "CN=Carol"));
	/* The lookup uses the index, not a scan. */
	{
		sqlite3_stmt *s = NULL;
		const char *detail;

		assert_int_equal(sqlite3_prepare_v2(store_db(st),
		    "EXPLAIN QUERY PLAN SELECT guid FROM mirror_obj"
		    " WHERE dn = 'x'", -1, &s, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		detail = (const char *)sqlite3_column_text(s, 3);
		assert_non_null(strstr(detail, "mirror_obj_dn"));
		sqlite3_finalize(s);
	}
	assert_int_equal(store_mirror_count(st, OBJ_CONTACT, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_mirror_count(st, OBJ_UNKNOWN, &n), 0);
	assert_int_equal(n, 2);
	free_all(objs, 2);
	store_close(st);
}

static void
test_mirror_full_abort(void **state)
{
	struct store *st = open_mem();
	struct obj *objs[2], *o2, *got = NULL;
	struct obj_guid g;
	char wm[64];
	size_t n = 0;

	(void)state;
	objs[0] = make_user(1, "CN=One,DC=x", "one@x.test");
	objs[1] = make_user(2, "CN=Two,DC=x", "two@x.test");
	full_put_all(st, objs, 2, "wm-old");

	/* A second full read that fails half-way changes nothing. */
	o2 = make_user(3, "CN=Three,DC=x", "three@x.test");
	assert_int_equal(store_mirror_full_begin(st), 0);
	assert_int_equal(store_mirror_full_put(st, o2), 0);
	/* Other writes wait for the mirror transaction. */
	assert_int_equal(store_begin(st), -EBUSY);
	assert_int_equal(store_mirror_forget_watermark(st), -EBUSY);
	assert_int_equal(store_mirror_full_begin(st), -EBUSY);
	/* The live mirror is what readers still see. */
	assert_int_equal(store_mirror_count(st, OBJ_UNKNOWN, &n), 0);
	assert_int_equal(n, 2);
	store_mirror_full_abort(st);
	assert_int_equal(store_mirror_count(st, OBJ_UNKNOWN, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_mirror_get(st, &o2->guid, &got),
	    -ADSYNC_ENOTFOUND);
	assert_int_equal(store_mirror_watermark(st, wm, sizeof(wm)), 0);
	assert_string_equal(wm, "wm-old");
	assert_int_equal(store_mirror_full_put(st, o2), -EINVAL);

	/* A transaction that SQLite rolled back by itself (as it does after
	 * SQLITE_FULL) is noticed: nothing goes on in autocommit mode. */
	assert_int_equal(store_mirror_full_begin(st), 0);
	assert_int_equal(store_mirror_full_put(st, o2), 0);
	raw_sql(store_db(st), "ROLLBACK");
	assert_int_equal(store_mirror_full_put(st, o2), -EIO);
	assert_non_null(strstr(store_errmsg(st), "rolled the transaction"));
	assert_int_equal(store_mirror_full_commit(st, "x"), -EINVAL);
	assert_int_equal(store_mirror_count(st, OBJ_UNKNOWN, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_mirror_changes_begin(st), 0);
	raw_sql(store_db(st), "ROLLBACK");
	assert_int_equal(store_mirror_changes_commit(st, "x"), -EIO);
	assert_int_equal(store_mirror_watermark(st, wm, sizeof(wm)), 0);
	assert_string_equal(wm, "wm-old");

	/* A full read that commits replaces the mirror whole. */
	full_put_all(st, &o2, 1, "wm-new");
	assert_int_equal(store_mirror_count(st, OBJ_UNKNOWN, &n), 0);
	assert_int_equal(n, 1);
	g = objs[0]->guid;
	assert_int_equal(store_mirror_get(st, &g, &got), -ADSYNC_ENOTFOUND);
	assert_int_equal(store_mirror_watermark(st, wm, sizeof(wm)), 0);
	assert_string_equal(wm, "wm-new");
	assert_int_equal(store_mirror_forget_watermark(st), 0);
	assert_int_equal(store_mirror_watermark(st, wm, sizeof(wm)), 0);
	assert_string_equal(wm, "");
	assert_int_equal(store_mirror_count(st, OBJ_UNKNOWN, &n), 0);
	assert_int_equal(n, 1);
	free_all(objs, 2);
	obj_free(o2);
	store_close(st);
}

static void
test_mirror_put_replaces_and_dedups(void **state)
{
	struct store *st = open_mem();
	struct obj *g1, *g2, *got = NULL;
	struct obj_guid m1 = guid_n(11), m2 = guid_n(12);

	(void)state;
	g1 = make_obj(1, OBJ_GROUP, "CN=G,DC=x");
	add_ref(&g1->member, &m1, "CN=M1,DC=x");
	add_ref(&g1->member, &m2, "CN=M2,DC=x");
	/* Second put of the same GUID, with repeated members. */
	g2 = make_obj(1, OBJ_GROUP, "CN=G2,DC=x");
	add_ref(&g2->member, &m2, "CN=M2,DC=x");
	add_ref(&g2->member, NULL, "CN=NoGuid,DC=x");
	add_ref(&g2->member, &m2, "CN=M2 again,DC=x");
	add_ref(&g2->member, NULL, "cn=noguid,dc=x");
	assert_int_equal(store_mirror_full_begin(st), 0);
	assert_int_equal(store_mirror_full_put(st, g1), 0);
	assert_int_equal(store_mirror_full_put(st, g2), 0);
	assert_int_equal(store_mirror_full_commit(st, "wm"), 0);
	assert_int_equal(store_mirror_get(st, &g1->guid, &got), 0);
	assert_string_equal(got->dn, "CN=G2,DC=x");
	assert_int_equal(got->member.n, 2);
	assert_memory_equal(got->member.v[0].guid.b, m2.b, 16);
	assert_string_equal(got->member.v[0].dn, "CN=M2,DC=x");
	assert_true(obj_guid_is_zero(&got->member.v[1].guid));
	assert_string_equal(got->member.v[1].dn, "CN=NoGuid,DC=x");
	obj_free(got);
	obj_free(g1);
	obj_free(g2);
	store_close(st);
}

/* The fixture of the change-read tests: users 1..3, contact 4, group 10
 * with members 1, 2 and a GUID-less DN, group 11 with member 1. */
static struct store *
changes_fixture(void)
{
	struct store *st = open_mem();
	struct obj *objs[6];
	struct obj_guid g1 = guid_n(1), g2 = guid_n(2);

	objs[0] = make_user(1, "CN=One,DC=x", "one@x.test");
	add_val(objs[0], OBJ_A_TITLE, "Engineer");
	add_val(objs[0], OBJ_A_TELEPHONE_NUMBER, "+1 555 0100");
	objs[0]->pwd_last_set = 1700000000;
	obj_mark_present(objs[0], OBJ_A_PAGER);	/* returned empty */
	objs[1] = make_user(2, "CN=Two,DC=x", "two@x.test");
	objs[2] = make_user(3, "CN=Three,DC=x", "three@x.test");
	objs[3] = make_obj(4, OBJ_CONTACT, "CN=Four,DC=x");
	objs[4] = make_obj(10, OBJ_GROUP, "CN=G10,DC=x");
	add_ref(&objs[4]->member, &g1, "CN=One,DC=x");
	add_ref(&objs[4]->member, &g2, "CN=Two,DC=x");
	add_ref(&objs[4]->member, NULL, "CN=Foreign,DC=other");
	objs[5] = make_obj(11, OBJ_GROUP, "CN=G11,DC=x");
	add_ref(&objs[5]->member, &g1, "CN=One,DC=x");
	full_put_all(st, objs, 6, "wm-0");
	free_all(objs, 6);
	return st;
}

static struct obj *
get_ok(struct store *st, uint32_t n)
{
	struct obj_guid g = guid_n(n);
	struct obj *o = NULL;

	assert_int_equal(store_mirror_get(st, &g, &o), 0);
	return o;
}

static void
test_mirror_apply_incremental(void **state)
{
	struct store *st = changes_fixture();
	struct obj *ch, *got;
	struct obj_guid g3 = guid_n(3), g1 = guid_n(1), g2 = guid_n(2);
	char wm[64];

	(void)state;
	assert_int_equal(store_mirror_apply(st, NULL), -EINVAL);
	assert_int_equal(store_mirror_changes_begin(st), 0);
	/* Partial: title changes, telephoneNumber is cleared, the rest
	 * (mail, displayName, pwd_last_set) stays. */
	ch = obj_new();
	ch->guid = guid_n(1);
	ch->incremental = true;
	assert_int_equal(obj_dn_set(ch, "CN=One,DC=x", 11), 0);
	add_val(ch, OBJ_A_TITLE, "Manager");
	obj_mark_present(ch, OBJ_A_TELEPHONE_NUMBER);
	ch->usn_changed = 5000;
	assert_int_equal(store_mirror_apply(st, ch), 0);
	obj_free(ch);

	/* Group 10: member 2 removed, 3 added, a GUID-less one removed. */
	ch = obj_new();
	ch->guid = guid_n(10);
	ch->incremental = true;
	add_ref(&ch->member_removed, &g2, "CN=Two,DC=x");
	add_ref(&ch->member_removed, NULL, "cn=foreign,dc=other");
	add_ref(&ch->member_added, &g3, "CN=Three,DC=x");
	assert_int_equal(store_mirror_apply(st, ch), 0);
	obj_free(ch);
	assert_int_equal(store_mirror_changes_commit(st, "wm-1"), 0);

	got = get_ok(st, 1);
	assert_string_equal(obj_value(got, OBJ_A_TITLE), "Manager");
	assert_null(obj_value(got, OBJ_A_TELEPHONE_NUMBER));
	assert_false(obj_is_present(got, OBJ_A_TELEPHONE_NUMBER));
	assert_string_equal(obj_value(got, OBJ_A_MAIL), "one@x.test");
	assert_string_equal(obj_value(got, OBJ_A_DISPLAY_NAME), "User");
	assert_int_equal(got->kind, OBJ_USER);
	assert_int_equal(got->uac, OBJ_UAC_NORMAL_ACCOUNT);
	assert_int_equal(got->pwd_last_set, 1700000000);
	assert_int_equal(got->usn_changed, 5000);
	assert_true(obj_is_present(got, OBJ_A_PAGER));
	obj_free(got);

	got = get_ok(st, 10);
	assert_string_equal(got->dn, "CN=G10,DC=x");
	assert_int_equal(got->kind, OBJ_GROUP);
	assert_int_equal(got->member.n, 2);
	assert_memory_equal(got->member.v[0].guid.b, g1.b, 16);
	assert_memory_equal(got->member.v[1].guid.b, g3.b, 16);
	assert_string_equal(got->member.v[1].dn, "CN=Three,DC=x");
	obj_free(got);
	got = get_ok(st, 2);
	assert_int_equal(got->member_of.n, 0);
	obj_free(got);
	got = get_ok(st, 3);
	assert_int_equal(got->member_of.n, 1);
	assert_string_equal(got->member_of.v[0].dn, "CN=G10,DC=x");
	obj_free(got);
	assert_int_equal(store_mirror_watermark(st, wm, sizeof(wm)), 0);
	assert_string_equal(wm, "wm-1");

	/* An incremental change for an unknown object is stored as is. */
	assert_int_equal(store_mirror_changes_begin(st), 0);
	ch = make_obj(77, OBJ_USER, "CN=New,DC=x");
	ch->incremental = true;
	add_val(ch, OBJ_A_MAIL, "new@x.test");
	assert_int_equal(store_mirror_apply(st, ch), 0);
	obj_free(ch);
	/* Without a DN it cannot be. */
	ch = obj_new();
	ch->guid = guid_n(78);
	ch->incremental = true;
	assert_int_equal(store_mirror_apply(st, ch), -EINVAL);
	obj_free(ch);
	assert_int_equal(store_mirror_changes_commit(st, "wm-2"), 0);
	got = get_ok(st, 77);
	assert_string_equal(obj_value(got, OBJ_A_MAIL), "new@x.test");
	assert_false(got->incremental);
	obj_free(got);
	store_close(st);
}

static void
test_mirror_apply_full_member_list(void **state)
{
	struct store *st = changes_fixture();
	struct obj *ch, *got;
	struct obj_guid g4 = guid_n(4);

	(void)state;
	assert_int_equal(store_mirror_changes_begin(st), 0);
	ch = obj_new();
	ch->guid = guid_n(10);
	ch->incremental = true;
	ch->member_present = true;
	add_ref(&ch->member, &g4, "CN=Four,DC=x");
	assert_int_equal(store_mirror_apply(st, ch), 0);
	obj_free(ch);
	assert_int_equal(store_mirror_changes_commit(st, "wm-1"), 0);
	got = get_ok(st, 10);
	assert_int_equal(got->member.n, 1);
	assert_memory_equal(got->member.v[0].guid.b, g4.b, 16);
	obj_free(got);
	got = get_ok(st, 1);
	assert_int_equal(got->member_of.n, 1);
	assert_string_equal(got->member_of.v[0].dn, "CN=G11,DC=x");
	obj_free(got);
	store_close(st);
}

static void
test_mirror_apply_tombstone(void **state)
{
	struct store *st = changes_fixture();
	struct obj *ch, *got = NULL;
	struct obj_guid g1 = guid_n(1), g10 = guid_n(10);
	size_t n = 0;

	(void)state;
	assert_int_equal(store_mirror_changes_begin(st), 0);
	/* User 1 is deleted: gone, and gone from groups 10 and 11. */
	ch = make_obj(1, OBJ_USER, "CN=One\\0ADEL:x,CN=Deleted Objects,DC=x");
	ch->deleted = true;
	ch->incremental = true;
	assert_int_equal(store_mirror_apply(st, ch), 0);
	obj_free(ch);
	/* Group 10 is deleted: its memberships go. */
	ch = make_obj(10, OBJ_GROUP, "CN=G10\\0ADEL:y,CN=Deleted Objects,"
	    "DC=x");
	ch->deleted = true;
	assert_int_equal(store_mirror_apply(st, ch), 0);
	obj_free(ch);
	assert_int_equal(store_mirror_changes_commit(st, "wm-1"), 0);

	assert_int_equal(store_mirror_get(st, &g1, &got), -ADSYNC_ENOTFOUND);
	assert_int_equal(store_mirror_get(st, &g10, &got), -ADSYNC_ENOTFOUND);
	assert_int_equal(store_mirror_count(st, OBJ_UNKNOWN, &n), 0);
	assert_int_equal(n, 4);
	got = get_ok(st, 11);
	assert_int_equal(got->member.n, 0);
	obj_free(got);
	got = get_ok(st, 2);
	assert_int_equal(got->member_of.n, 0);
	obj_free(got);
	assert_int_equal(raw_int(store_db(st),
	    "SELECT count(*) FROM mirror_member"), 0);
	store_close(st);
}

static void
test_mirror_apply_usn_and_abort(void **state)
{
	struct store *st = changes_fixture();
	struct obj *ch, *got;
	struct obj_guid g2 = guid_n(2);
	char wm[64];

	(void)state;
	/* uSN read: the object replaces the stored one whole. */
	assert_int_equal(store_mirror_changes_begin(st), 0);
	ch = make_obj(1, OBJ_USER, "CN=One Renamed,DC=x");
	add_val(ch, OBJ_A_MAIL, "one.new@x.test");
	ch->usn_changed = 9000;
	assert_int_equal(store_mirror_apply(st, ch), 0);
	obj_free(ch);
	/* A group from a uSN read without `member` has no members. */
	ch = make_obj(11, OBJ_GROUP, "CN=G11,DC=x");
	assert_int_equal(store_mirror_apply(st, ch), 0);
	obj_free(ch);
	assert_int_equal(store_mirror_changes_commit(st, "wm-usn"), 0);
	got = get_ok(st, 1);
	assert_string_equal(got->dn, "CN=One Renamed,DC=x");
	assert_string_equal(obj_value(got, OBJ_A_MAIL), "one.new@x.test");
	assert_null(obj_value(got, OBJ_A_TITLE));
	assert_null(obj_value(got, OBJ_A_DISPLAY_NAME));
	assert_int_equal(got->pwd_last_set, 0);
	assert_int_equal(got->uac, 0);
	assert_int_equal(got->member_of.n, 1);
	obj_free(got);
	/* Group 10 lists member 1 under its new DN. */
	got = get_ok(st, 10);
	assert_string_equal(got->member.v[0].dn, "CN=One Renamed,DC=x");
	obj_free(got);
	got = get_ok(st, 11);
	assert_int_equal(got->member.n, 0);
	obj_free(got);

	/* Abort: nothing of the change read stays. */
	assert_int_equal(store_mirror_changes_begin(st), 0);
	ch = make_obj(2, OBJ_USER, "CN=Two,DC=x");
	ch->deleted = true;
	assert_int_equal(store_mirror_apply(st, ch), 0);
	obj_free(ch);
	ch = make_obj(10, OBJ_GROUP, "CN=G10,DC=x");
	ch->incremental = true;
	add_ref(&ch->member_removed, &g2, "CN=Two,DC=x");
	assert_int_equal(store_mirror_apply(st, ch), 0);
	obj_free(ch);
	store_mirror_changes_abort(st);
	got = get_ok(st, 2);
	assert_int_equal(got->member_of.n, 1);
	obj_free(got);
	assert_int_equal(store_mirror_watermark(st, wm, sizeof(wm)), 0);
	assert_string_equal(wm, "wm-usn");
	assert_int_equal(store_mirror_apply(st, got = get_ok(st, 3)), -EINVAL);
	obj_free(got);
	store_close(st);
}

static void
test_mirror_corrupt_row(void **state)
{
	static const uint8_t garbage[] = { 0x01, 0x00, 0xff, 0xff, 0xff };
	struct store *st = changes_fixture();
	struct obj_guid g1 = guid_n(1), g2 = guid_n(2);
	struct obj *got = NULL, *ch;
	char gt[OBJ_GUID_TEXT];

	(void)state;
	raw_set_blob(store_db(st), "UPDATE mirror_obj SET body = ?2"
	    " WHERE guid = ?1", &g1, garbage, sizeof(garbage));
	assert_int_equal(store_mirror_get(st, &g1, &got), -ADSYNC_EPARSE);
	assert_null(got);
	obj_guid_format(&g1, gt);
	assert_non_null(strstr(store_errmsg(st), gt));
	assert_non_null(strstr(store_errmsg(st), "does not decode"));
	/* Other objects still read. */
	got = get_ok(st, 2);
	obj_free(got);
	/* A change on top of a corrupt row fails, the tombstone removes it. */
	assert_int_equal(store_mirror_changes_begin(st), 0);
	ch = make_obj(1, OBJ_USER, "CN=One,DC=x");
	ch->incremental = true;
	assert_int_equal(store_mirror_apply(st, ch), -ADSYNC_EPARSE);
	ch->deleted = true;
	assert_int_equal(store_mirror_apply(st, ch), 0);
	obj_free(ch);
	assert_int_equal(store_mirror_changes_commit(st, "wm"), 0);
	assert_int_equal(store_mirror_get(st, &g1, &got), -ADSYNC_ENOTFOUND);

	/* A membership with a 2-byte GUID (past the CHECK constraint). */
	raw_sql(store_db(st), "PRAGMA ignore_check_constraints = ON;"
	    "UPDATE mirror_member SET member_guid = x'0102'"
	    " WHERE member_guid IS NOT NULL;"
	    "PRAGMA ignore_check_constraints = OFF;");
	got = NULL;
	{
		struct obj_guid g10 = guid_n(10), g11 = guid_n(11);

		assert_int_equal(store_mirror_get(st, &g10, &got),
		    -ADSYNC_EPARSE);
		assert_null(got);
		obj_guid_format(&g10, gt);
		assert_non_null(strstr(store_errmsg(st), gt));
		assert_non_null(strstr(store_errmsg(st), "membership"));
		/* A body that is not even a blob. */
		raw_sql(store_db(st), "UPDATE mirror_obj SET body = 'text'"
		    " WHERE kind = 3");
		assert_int_equal(store_mirror_get(st, &g11, &got),
		    -ADSYNC_EPARSE);
		assert_null(got);
	}
	assert_int_equal(store_mirror_get(st, &g2, &got), 0);
	obj_free(got);
	store_close(st);
}

/* The codec refuses every truncation and any trailing byte. */
static void
test_codec_strict(void **state)
{
	struct obj *o = make_full_user(), *d;
	struct buf b;
	size_t cut;
	uint8_t *copy;

	(void)state;
	buf_init(&b, STORE_BODY_MAX);
	assert_int_equal(store_codec_obj_encode(o, &b), 0);
	d = obj_new();
	assert_int_equal(store_codec_obj_decode(b.data, b.len, d), 0);
	d->guid = o->guid;
	d->kind = o->kind;
	assert_int_equal(obj_dn_set(d, o->dn, strlen(o->dn)), 0);
	assert_obj_equal(o, d);
	obj_free(d);
	for (cut = 0; cut < b.len; cut++) {
		d = obj_new();
		assert_int_equal(store_codec_obj_decode(b.data, cut, d),
		    -ADSYNC_EPARSE);
		obj_free(d);
	}
	copy = malloc(b.len + 1);
	assert_non_null(copy);
	memcpy(copy, b.data, b.len);
	copy[b.len] = 0;
	d = obj_new();
	assert_int_equal(store_codec_obj_decode(copy, b.len + 1, d),
	    -ADSYNC_EPARSE);
	obj_free(d);
	/* Unknown format, unknown flag. */
	copy[0] = 2;
	d = obj_new();
	assert_int_equal(store_codec_obj_decode(copy, b.len, d),
	    -ADSYNC_EPARSE);
	obj_free(d);
	copy[0] = 1;
	copy[1] = 0x80;
	d = obj_new();
	assert_int_equal(store_codec_obj_decode(copy, b.len, d),
	    -ADSYNC_EPARSE);
	obj_free(d);
	free(copy);
	buf_fini(&b);
	obj_free(o);
}

/* ---- synced rows ---- */

static void
fill_row(struct plan_row *r, uint32_t n, enum plan_service s)
{
	char buf[64];

	plan_row_init(r);
	r->anchor = guid_n(n);
	r->service = s;
	r->kind = s == PLAN_SVC_EX ? PLAN_K_MAILBOX : PLAN_K_CONTACT;
	snprintf(buf, sizeof(buf), "CN=Row %u,DC=x", n);
	r->dn = strdup(buf);
	r->domain = strdup("example.test");
	snprintf(buf, sizeof(buf), "user%u", n);
	r->name = strdup(buf);
	assert_int_equal(rs_record_set(&r->fields, "displayName", "Zoë"), 0);
	assert_int_equal(rs_record_set(&r->fields, "lastName", ""), 0);
	r->enabled = true;
	r->in_scope = n % 2 == 0;
	assert_int_equal(rs_strlist_add(&r->members, "a@example.test"), 0);
	assert_int_equal(rs_strlist_add(&r->members, "b@example.test"), 0);
	assert_int_equal(rs_strlist_add(&r->addresses, "alt@example.test"),
	    0);
}

/* Rows walked: each key must come once (the order is the table's). */
struct row_walk {
	size_t n;
	uint8_t keys[512][17];
	bool sorted;		/* every key distinct (kept name) */
	size_t stop_at;
};

static int
row_key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 17);
}

static int
row_walk_fn(const struct plan_row *row, void *arg)
{
	struct row_walk *w = arg;
	size_t i;

	if (w->n < 512) {
		memcpy(w->keys[w->n], row->anchor.b, 16);
		w->keys[w->n][16] = (uint8_t)row->service;
	}
	w->n++;
	if (w->n <= 512) {
		uint8_t (*k)[17] = malloc(w->n * 17);

		memcpy(k, w->keys, w->n * 17);
		qsort(k, w->n, 17, row_key_cmp);
		for (i = 1; i < w->n; i++)
			if (memcmp(k[i - 1], k[i], 17) == 0)
				w->sorted = false;
		free(k);
	}
	assert_non_null(row->name);
	return w->stop_at != 0 && w->n == w->stop_at ? 7 : 0;
}

static int
row_ident_fn(const struct plan_row *row, void *arg)
{
	assert_int_equal(row->fields.n, 0);
	assert_int_equal(row->members.n, 0);
	assert_int_equal(row->addresses.n, 0);
	return row_walk_fn(row, arg);
}

/*
 * Held attributes (obj.h) in a body: the flag, the mask and a reason per
 * bit; a body without holds is written as before (flags 0), so rows
 * written before holds existed read as they did.
 */
static void
test_codec_held(void **state)
{
	struct obj *o = make_user(5, "CN=Five,DC=x", "five@x.test"), *d;
	struct buf b;
	size_t cut, i;
	uint8_t *copy;

	(void)state;
	buf_init(&b, STORE_BODY_MAX);
	assert_int_equal(store_codec_obj_encode(o, &b), 0);
	assert_int_equal(b.data[1], 0);
	buf_fini(&b);

	/* title held with its last good value; department held, none. */
	add_val(o, OBJ_A_TITLE, "Engineer");
	o->held = (uint64_t)1 << OBJ_A_TITLE | (uint64_t)1 << OBJ_A_DEPARTMENT;
	o->held_why[OBJ_A_TITLE] = OBJ_BAD_UTF8;
	o->held_why[OBJ_A_DEPARTMENT] = OBJ_BAD_LONG;
	buf_init(&b, STORE_BODY_MAX);
	assert_int_equal(store_codec_obj_encode(o, &b), 0);
	assert_int_equal(b.data[1], 0x02);
	d = make_obj(5, OBJ_USER, "CN=Five,DC=x");
	assert_int_equal(store_codec_obj_decode(b.data, b.len, d), 0);
	assert_obj_equal(o, d);
	obj_free(d);
	for (cut = 0; cut < b.len; cut++) {
		d = obj_new();
		assert_int_equal(store_codec_obj_decode(b.data, cut, d),
		    -ADSYNC_EPARSE);
		obj_free(d);
	}
	copy = malloc(b.len);
	assert_non_null(copy);
	/* The reasons are the last two bytes: 0 and out of range refused. */
	for (i = 0; i < 2; i++) {
		memcpy(copy, b.data, b.len);
		copy[b.len - 1] = i == 0 ? OBJ_BAD_NONE : OBJ_BAD_COUNT;
		d = obj_new();
		assert_int_equal(store_codec_obj_decode(copy, b.len, d),
		    -ADSYNC_EPARSE);
		obj_free(d);
	}
	/* A mask of 0 with the flag set (8 bytes of mask, 2 reasons). */
	memcpy(copy, b.data, b.len);
	memset(copy + b.len - 10, 0, 8);
	d = obj_new();
	assert_int_equal(store_codec_obj_decode(copy, b.len - 2, d),
	    -ADSYNC_EPARSE);
	obj_free(d);
	free(copy);
	buf_fini(&b);
	/* A reason that is no reason is not written. */
	o->held_why[OBJ_A_TITLE] = OBJ_BAD_NONE;
	buf_init(&b, STORE_BODY_MAX);
	assert_int_equal(store_codec_obj_encode(o, &b), -ADSYNC_EPARSE);
	buf_fini(&b);
	obj_free(o);
}

/* One change read of object `n` bringing attribute `a` = `v`, committed
 * with watermark `wm`. */
static void
change_one(struct store *st, uint32_t n, enum obj_attr a, const char *v,
    const char *wm)
{
	struct obj *ch;

	assert_int_equal(store_mirror_changes_begin(st), 0);
	ch = obj_new();
	ch->guid = guid_n(n);
	ch->incremental = true;
	add_val(ch, a, v);
	assert_int_equal(store_mirror_apply(st, ch), 0);
	obj_free(ch);
	assert_int_equal(store_mirror_changes_commit(st, wm), 0);
}

/*
 * Holds through change reads: a DirSync change that holds title keeps the
 * stored title and records the hold, while its other attributes apply; a
 * later change that brings title ends the hold; a uSN read (whole object)
 * stores the hold it carries.
 */
static void
test_mirror_held(void **state)
{
	struct store *st = changes_fixture();
	struct obj *ch, *got;

	(void)state;
	assert_int_equal(store_mirror_changes_begin(st), 0);
	ch = obj_new();
	ch->guid = guid_n(1);
	ch->incremental = true;
	assert_int_equal(obj_dn_set(ch, "CN=One,DC=x", 11), 0);
	add_val(ch, OBJ_A_DEPARTMENT, "Sales");
	obj_hold(ch, OBJ_A_TITLE, OBJ_BAD_UTF8);
	assert_int_equal(store_mirror_apply(st, ch), 0);
	obj_free(ch);
	assert_int_equal(store_mirror_changes_commit(st, "wm-h1"), 0);
	got = get_ok(st, 1);
	assert_string_equal(obj_value(got, OBJ_A_TITLE), "Engineer");
	assert_string_equal(obj_value(got, OBJ_A_DEPARTMENT), "Sales");
	assert_int_equal(got->held, (uint64_t)1 << OBJ_A_TITLE);
	assert_int_equal(got->held_why[OBJ_A_TITLE], OBJ_BAD_UTF8);
	obj_free(got);

	/* Another change that does not touch title: still held. */
	change_one(st, 1, OBJ_A_MOBILE, "+1 555 0199", "wm-h2");
	got = get_ok(st, 1);
	assert_int_equal(got->held, (uint64_t)1 << OBJ_A_TITLE);
	assert_string_equal(obj_value(got, OBJ_A_TITLE), "Engineer");
	obj_free(got);

	/* Corrected in AD: title comes, the hold ends. */
	change_one(st, 1, OBJ_A_TITLE, "Tester", "wm-h3");
	got = get_ok(st, 1);
	assert_int_equal(got->held, 0);
	assert_string_equal(obj_value(got, OBJ_A_TITLE), "Tester");
	assert_string_equal(obj_value(got, OBJ_A_DEPARTMENT), "Sales");
	obj_free(got);

	/* A uSN read (whole object) with a hold: stored as it comes. */
	assert_int_equal(store_mirror_changes_begin(st), 0);
	ch = make_user(2, "CN=Two,DC=x", "two@x.test");
	add_val(ch, OBJ_A_TITLE, "Kept");
	obj_hold(ch, OBJ_A_COMPANY, OBJ_BAD_NUL);
	assert_int_equal(store_mirror_apply(st, ch), 0);
	obj_free(ch);
	assert_int_equal(store_mirror_changes_commit(st, "wm-h4"), 0);
	got = get_ok(st, 2);
	assert_int_equal(got->held, (uint64_t)1 << OBJ_A_COMPANY);
	assert_int_equal(got->held_why[OBJ_A_COMPANY], OBJ_BAD_NUL);
	assert_null(obj_value(got, OBJ_A_COMPANY));
	obj_free(got);
	store_close(st);
}

static void
test_rows(void **state)
{
	struct store *st = open_mem();
	struct plan_row r, got;
	struct row_walk w;
	struct obj_guid g;
	size_t n = 0;
	uint32_t i;

	(void)state;
	fill_row(&r, 5, PLAN_SVC_EX);
	assert_int_equal(store_row_put(st, &r), 0);
	plan_row_init(&got);
	assert_int_equal(store_row_get(st, &r.anchor, PLAN_SVC_EX, &got), 0);
	assert_memory_equal(got.anchor.b, r.anchor.b, 16);
	assert_int_equal(got.service, PLAN_SVC_EX);
	assert_int_equal(got.kind, PLAN_K_MAILBOX);
	assert_string_equal(got.dn, r.dn);
	assert_string_equal(got.domain, "example.test");
	assert_string_equal(got.name, "user5");
	assert_int_equal(got.fields.n, 2);
	assert_string_equal(rs_record_get(&got.fields, "displayName"), "Zoë");
	assert_string_equal(rs_record_get(&got.fields, "lastName"), "");
	assert_true(got.enabled);
	assert_false(got.in_scope);
	assert_int_equal(got.members.n, 2);
	assert_string_equal(got.members.v[1], "b@example.test");
	assert_int_equal(got.addresses.n, 1);
	plan_row_fini(&got);
	assert_int_equal(store_row_get(st, &r.anchor, PLAN_SVC_RS, &got),
	    -ADSYNC_ENOTFOUND);
	/* Replace, with NULL strings and empty lists. */
	free(r.dn);
	r.dn = NULL;
	rs_strlist_fini(&r.members);
	r.enabled = false;
	assert_int_equal(store_row_put(st, &r), 0);
	assert_int_equal(store_row_get(st, &r.anchor, PLAN_SVC_EX, &got), 0);
	assert_null(got.dn);
	assert_int_equal(got.members.n, 0);
	assert_false(got.enabled);
	plan_row_fini(&got);
	plan_row_fini(&r);

	/* 150 objects x 2 services: more than one batch, each row once. */
	for (i = 0; i < 150; i++) {
		fill_row(&r, 1000 + i * 7919, PLAN_SVC_RS);
		assert_int_equal(store_row_put(st, &r), 0);
		r.service = PLAN_SVC_EX;
		assert_int_equal(store_row_put(st, &r), 0);
		plan_row_fini(&r);
	}
	assert_int_equal(store_row_count(st, &n), 0);
	assert_int_equal(n, 301);
	memset(&w, 0, sizeof(w));
	w.sorted = true;
	assert_int_equal(store_row_each(st, row_walk_fn, &w), 0);
	assert_int_equal(w.n, 301);
	assert_true(w.sorted);
	/* Identity only: the same rows, no fields decoded. */
	memset(&w, 0, sizeof(w));
	w.sorted = true;
	assert_int_equal(store_row_each_ident(st, row_ident_fn, &w), 0);
	assert_int_equal(w.n, 301);
	assert_true(w.sorted);
	memset(&w, 0, sizeof(w));
	w.sorted = true;
	w.stop_at = 70;
	assert_int_equal(store_row_each(st, row_walk_fn, &w), 7);
	assert_int_equal(w.n, 70);

	g = guid_n(5);
	assert_int_equal(store_row_delete(st, &g, PLAN_SVC_EX), 0);
	assert_int_equal(store_row_delete(st, &g, PLAN_SVC_EX), 0);
	assert_int_equal(store_row_count(st, &n), 0);
	assert_int_equal(n, 300);

	/* A corrupt fields blob is an error naming the anchor. */
	g = guid_n(1000);
	raw_set_blob(store_db(st), "UPDATE sync_row SET fields = ?2"
	    " WHERE anchor = ?1 AND service = 0", &g, "\x01\x09", 2);
	assert_int_equal(store_row_get(st, &g, PLAN_SVC_EX, &got),
	    -ADSYNC_EPARSE);
	{
		char gt[OBJ_GUID_TEXT];

		obj_guid_format(&g, gt);
		assert_non_null(strstr(store_errmsg(st), gt));
	}
	assert_int_equal(store_row_get(st, &g, PLAN_SVC_RS, &got), 0);
	plan_row_fini(&got);
	memset(&w, 0, sizeof(w));
	w.sorted = true;
	assert_int_equal(store_row_each(st, row_walk_fn, &w), -ADSYNC_EPARSE);
	store_close(st);
}

/* ---- transactions ---- */

static void
test_transactions(void **state)
{
	struct store *st = open_mem();
	struct plan_row r;
	size_t n = 0;

	(void)state;
	assert_int_equal(store_commit(st), -EINVAL);
	store_rollback(st);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_begin(st), -EBUSY);
	assert_int_equal(store_mirror_changes_begin(st), -EBUSY);
	fill_row(&r, 1, PLAN_SVC_RS);
	assert_int_equal(store_row_put(st, &r), 0);
	store_rollback(st);
	assert_int_equal(store_row_count(st, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_row_put(st, &r), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_row_count(st, &n), 0);
	assert_int_equal(n, 1);
	/* Row writes wait for a mirror transaction. */
	assert_int_equal(store_mirror_changes_begin(st), 0);
	assert_int_equal(store_row_put(st, &r), -EBUSY);
	assert_int_equal(store_row_delete(st, &r.anchor, PLAN_SVC_RS), -EBUSY);
	store_mirror_changes_abort(st);
	plan_row_fini(&r);
	store_close(st);
}

/* ---- the journal ---- */

static void
fill_op(struct plan_op *op, uint32_t n, enum plan_opkind k)
{
	static char dn[] = "CN=Journal,DC=x", domain[] = "example.test";
	static char name[] = "jo", reason[] = "new user in scope";

	memset(op, 0, sizeof(*op));
	op->op = k;
	op->service = PLAN_SVC_RS;
	op->kind = PLAN_K_MAILBOX;
	op->anchor = guid_n(n);
	op->dn = dn;
	op->domain = domain;
	op->name = name;
	op->reason = reason;
	rs_record_init(&op->fields);
	rs_strlist_init(&op->values);
}

struct op_walk {
	size_t n;
	int64_t ids[64];
	enum store_op_state states[64];
	char detail[1024];
	char result[512];
};

static int
op_walk_fn(const struct store_op *op, void *arg)
{
	struct op_walk *w = arg;

	if (w->n < 64) {
		w->ids[w->n] = op->id;
		w->states[w->n] = op->state;
	}
	if (w->n == 0) {
		snprintf(w->detail, sizeof(w->detail), "%s", op->detail);
		snprintf(w->result, sizeof(w->result), "%s", op->result);
	}
	w->n++;
	return 0;
}

/* Ends every pending op it sees: iteration must survive writes. */
static int
op_end_fn(const struct store_op *op, void *arg)
{
	struct store *st = arg;

	assert_int_equal(store_op_end(st, op->id, STORE_OP_FAILED,
	    "recovered", 99), 0);
	return 0;
}

/* Held removals: recorded per run, decided per run, superseded by a
 * newer held run, read back through the journal's reader. */
static void
test_held(void **state)
{
	char dir[1024], why[512];
	struct store *st = NULL, *ro = NULL;
	struct store_op last[4];
	struct plan_op op;
	struct op_walk w;
	int64_t run1, run2, id;
	size_t n;

	(void)state;
	tmp_state_dir(dir, sizeof(dir));
	assert_int_equal(store_open(dir, &st, why, sizeof(why)), 0);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	assert_int_equal(store_run_begin(st, "interval", 1000, &run1), 0);
	fill_op(&op, 1, PLAN_OP_DISABLE);
	assert_int_equal(store_held_put(st, run1, &op, 1001), 0);
	fill_op(&op, 2, PLAN_OP_DISABLE);
	assert_int_equal(store_held_put(st, run1, &op, 1001), 0);
	/* SECURITY: as the journal, never a password. */
	assert_int_equal(rs_record_set(&op.fields, "password", "S3cret!x"), 0);
	assert_int_equal(store_held_put(st, run1, &op, 1001), -EINVAL);
	rs_record_del(&op.fields, "password");

	memset(&w, 0, sizeof(w));
	assert_int_equal(store_held_each_of_run(st, run1, op_walk_fn, &w), 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.states[0], STORE_OP_HELD);
	assert_int_equal(w.states[1], STORE_OP_HELD);

	/* A newer held run supersedes the waiting ones of older runs. */
	assert_int_equal(store_run_begin(st, "interval", 1010, &run2), 0);
	assert_int_equal(store_held_put(st, run2, &op, 1011), 0);
	assert_int_equal(store_held_supersede(st, run2, 1012), 0);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_held_each_in(st, STORE_OP_SUPERSEDED,
	    op_walk_fn, &w), 0);
	assert_int_equal(w.n, 2);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_held_each_in(st, STORE_OP_HELD, op_walk_fn, &w),
	    0);
	assert_int_equal(w.n, 1);
	id = w.ids[0];

	/* Rejected: only the waiting ones of that run move. */
	assert_int_equal(store_held_decide(st, run2, STORE_OP_HELD,
	    STORE_OP_REJECTED, 1020, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_held_decide(st, run2, STORE_OP_HELD,
	    STORE_OP_APPROVED, 1021, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_held_set(st, id, STORE_OP_SUPERSEDED, 1030), 0);
	assert_int_equal(store_held_decide(st, run2, STORE_OP_HELD,
	    STORE_OP_PENDING, 1, &n), -EINVAL);

	/* Read-only handles read; they cannot decide. */
	assert_int_equal(store_open_readonly(dir, &ro, why, sizeof(why)), 0);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_held_each_in(ro, STORE_OP_SUPERSEDED,
	    op_walk_fn, &w), 0);
	assert_int_equal(w.n, 3);
	assert_true(store_held_decide(ro, run1, STORE_OP_SUPERSEDED,
	    STORE_OP_APPROVED, 1, &n) < 0);
	store_close(ro);

	/* The last operations of an object, newest first. */
	rs_record_fini(&op.fields);
	fill_op(&op, 7, PLAN_OP_CREATE);
	assert_int_equal(store_op_begin(st, run2, &op, 1040, &id), 0);
	assert_int_equal(store_op_end(st, id, STORE_OP_DONE, "", 1041), 0);
	op.op = PLAN_OP_UPDATE;
	assert_int_equal(store_op_begin(st, run2, &op, 1042, &id), 0);
	assert_int_equal(store_op_last_of_anchor(st, &op.anchor, last, 4, &n),
	    0);
	assert_int_equal(n, 2);
	assert_int_equal(last[0].op, PLAN_OP_UPDATE);
	assert_int_equal(last[0].state, STORE_OP_PENDING);
	assert_int_equal(last[1].op, PLAN_OP_CREATE);
	assert_int_equal(last[1].state, STORE_OP_DONE);
	rs_record_fini(&op.fields);
	rs_strlist_fini(&op.values);
	store_close(st);
	rm_state_dir(dir);
}

static void
test_journal(void **state)
{
	char dir[1024], why[512];
	struct store *st = NULL, *ro = NULL;
	struct store_run runs[4];
	struct store_run_counts c;
	struct plan_op op;
	struct op_walk w;
	int64_t run, run2, id[40], gid;
	size_t n = 0;
	int i;

	(void)state;
	tmp_state_dir(dir, sizeof(dir));
	assert_int_equal(store_open(dir, &st, why, sizeof(why)), 0);
	assert_int_equal(store_run_begin(st, "once", 1000, &run), 0);
	fill_op(&op, 1, PLAN_OP_CREATE);
	assert_int_equal(rs_record_set(&op.fields, "displayName", "Jo Ünïcode"),
	    0);
	assert_int_equal(rs_strlist_add(&op.values, "jo@example.test"), 0);
	assert_int_equal(store_op_begin(st, run, &op, 1001, &id[0]), 0);
	/* Durable at once: another connection sees the pending op, and the
	 * connection is back to synchronous=NORMAL. */
	assert_int_equal(raw_int(store_db(st), "PRAGMA synchronous"), 1);
	assert_int_equal(store_open_readonly(dir, &ro, why, sizeof(why)), 0);
	/* A read-only handle keeps a smaller page cache (store.c). */
	assert_int_equal(raw_int(store_db(ro), "PRAGMA cache_size"), -2000);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_op_each_pending(ro, op_walk_fn, &w), 0);
	assert_int_equal(w.n, 1);
	assert_int_equal(w.ids[0], id[0]);
	assert_string_equal(w.detail, "{\"fields\":{\"displayName\":"
	    "\"Jo Ünïcode\"},\"values\":[\"jo@example.test\"]}");
	store_close(ro);

	/* SECURITY: a password field is refused, nothing is written. */
	assert_int_equal(rs_record_set(&op.fields, "password", "S3cret!x"), 0);
	assert_int_equal(store_op_begin(st, run, &op, 1002, &id[1]), -EINVAL);
	assert_non_null(strstr(store_errmsg(st), "password"));
	assert_null(strstr(store_errmsg(st), "S3cret"));
	rs_record_del(&op.fields, "password");
	assert_int_equal(rs_record_set(&op.fields, "currentPassword", "x"), 0);
	assert_int_equal(store_op_begin(st, run, &op, 1002, &id[1]), -EINVAL);
	rs_record_del(&op.fields, "currentPassword");
	assert_int_equal(raw_int(store_db(st),
	    "SELECT count(*) FROM journal_op"), 1);
	/* In a group, the group's commit is durable (FULL while it is open,
	 * NORMAL again after); a rolled-back group journals nothing. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(raw_int(store_db(st), "PRAGMA synchronous"), 2);
	assert_int_equal(store_op_begin(st, run, &op, 1002, &id[1]), 0);
	store_rollback(st);
	assert_int_equal(raw_int(store_db(st), "PRAGMA synchronous"), 1);
	assert_int_equal(raw_int(store_db(st),
	    "SELECT count(*) FROM journal_op"), 1);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_op_begin(st, run, &op, 1002, &gid), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_op_end(st, gid, STORE_OP_DONE, "", 1003), 0);
	assert_int_equal(raw_int(store_db(st), "PRAGMA synchronous"), 1);
	assert_int_equal(raw_int(store_db(st),
	    "SELECT count(*) FROM journal_op"), 2);
	/* Not during a mirror read, not for an unknown run. */
	assert_int_equal(store_mirror_changes_begin(st), 0);
	assert_int_equal(store_op_begin(st, run, &op, 1002, &id[2]), -EBUSY);
	store_mirror_changes_abort(st);
	assert_int_equal(store_op_begin(st, run + 100, &op, 1002, &id[2]),
	    -EINVAL);

	/* 39 more ops: more than two batches. */
	for (i = 1; i < 40; i++) {
		rs_record_fini(&op.fields);
		op.op = (enum plan_opkind)(i % PLAN_OP_COUNT);
		assert_int_equal(store_op_begin(st, run, &op, 1002 + i,
		    &id[i]), 0);
		assert_true(id[i] > id[i - 1]);
	}
	assert_int_equal(store_op_end(st, id[0], STORE_OP_DONE, "", 1100), 0);
	assert_int_equal(store_op_end(st, id[1], STORE_OP_FAILED,
	    "conflict (HTTP 409): name in use", 1101), 0);
	assert_int_equal(store_op_end(st, id[1], STORE_OP_DONE, NULL, 1102),
	    -EALREADY);
	assert_int_equal(store_op_end(st, id[39] + 1, STORE_OP_DONE, NULL, 1),
	    -ADSYNC_ENOTFOUND);
	assert_int_equal(store_op_end(st, id[2], STORE_OP_PENDING, NULL, 1),
	    -EINVAL);

	memset(&w, 0, sizeof(w));
	assert_int_equal(store_op_each_pending(st, op_walk_fn, &w), 0);
	assert_int_equal(w.n, 38);
	assert_int_equal(w.ids[0], id[2]);
	assert_int_equal(w.ids[37], id[39]);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_op_each_of_run(st, run, op_walk_fn, &w), 0);
	assert_int_equal(w.n, 41);
	assert_int_equal(w.states[0], STORE_OP_DONE);
	assert_int_equal(w.ids[1], gid);
	assert_int_equal(w.states[1], STORE_OP_DONE);
	assert_int_equal(w.states[2], STORE_OP_FAILED);
	assert_int_equal(w.states[3], STORE_OP_PENDING);
	assert_int_equal(w.ids[0], id[0]);
	for (i = 1; i < 40; i++)
		assert_int_equal(w.ids[i + 1], id[i]);

	/* Recovery may end ops while iterating. */
	assert_int_equal(store_op_each_pending(st, op_end_fn, st), 0);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_op_each_pending(st, op_walk_fn, &w), 0);
	assert_int_equal(w.n, 0);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_op_each_of_run(st, run + 1, op_walk_fn, &w), 0);
	assert_int_equal(w.n, 0);

	/* Runs: ended with counts, listed newest first. */
	memset(&c, 0, sizeof(c));
	c.created = 3;
	c.errors = 1;
	c.api_calls = 40;
	assert_int_equal(store_run_end(st, run, STORE_RUN_PARTIAL, &c,
	    "1 object had errors", 1200), 0);
	assert_int_equal(store_run_end(st, run + 50, STORE_RUN_OK, NULL, NULL,
	    1), -ADSYNC_ENOTFOUND);
	assert_int_equal(store_run_begin(st, "interval", 2000, &run2), 0);
	assert_int_equal(store_run_list(st, runs, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(runs[0].id, run2);
	assert_string_equal(runs[0].trigger, "interval");
	assert_int_equal(runs[0].status, STORE_RUN_RUNNING);
	assert_int_equal(runs[0].finished, 0);
	assert_int_equal(runs[1].id, run);
	assert_int_equal(runs[1].status, STORE_RUN_PARTIAL);
	assert_int_equal(runs[1].counts.created, 3);
	assert_int_equal(runs[1].counts.errors, 1);
	assert_int_equal(runs[1].counts.api_calls, 40);
	assert_int_equal(runs[1].started, 1000);
	assert_int_equal(runs[1].finished, 1200);
	assert_string_equal(runs[1].message, "1 object had errors");
	assert_int_equal(store_run_list(st, runs, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(runs[0].id, run2);
	rs_record_fini(&op.fields);
	rs_strlist_fini(&op.values);
	store_close(st);
	rm_state_dir(dir);
}

/* ---- alerts ---- */

struct alert_walk {
	size_t n;
	struct store_alert a[8];
};

static int
alert_walk_fn(const struct store_alert *a, void *arg)
{
	struct alert_walk *w = arg;

	if (w->n < 8)
		w->a[w->n] = *a;
	w->n++;
	return 0;
}

static void
test_alerts(void **state)
{
	static char dn_a[] = "CN=A,DC=x", dn_c[] = "CN=C,DC=x", empty[] = "";
	static char msg_a[] = "alert A", msg_b[] = "alert B";
	static char msg_c[] = "alert C";
	struct store *st = open_mem();
	struct plan_alert al[3];
	struct alert_walk w;

	(void)state;
	memset(al, 0, sizeof(al));
	al[0].level = PLAN_ALERT_ERROR;
	al[0].service = PLAN_SVC_RS;
	al[0].anchor = guid_n(1);
	al[0].dn = dn_a;
	al[0].message = msg_a;
	al[1].level = PLAN_ALERT_WARNING;
	al[1].service = PLAN_SVC_COUNT;	/* not service-specific */
	al[1].dn = empty;
	al[1].message = msg_b;
	assert_int_equal(store_alerts_set(st, al, 2, 100), 0);

	/* Later: A vanished, B still there, C new. */
	al[0] = al[1];
	al[1].level = PLAN_ALERT_HELD;
	al[1].service = PLAN_SVC_EX;
	al[1].anchor = guid_n(3);
	al[1].dn = dn_c;
	al[1].message = msg_c;
	assert_int_equal(store_alerts_set(st, al, 2, 200), 0);

	memset(&w, 0, sizeof(w));
	assert_int_equal(store_alerts_each(st, alert_walk_fn, &w), 0);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.a[0].message, "alert B");
	assert_int_equal(w.a[0].first_seen, 100);
	assert_int_equal(w.a[0].last_seen, 200);
	assert_int_equal(w.a[0].service, PLAN_SVC_COUNT);
	assert_true(obj_guid_is_zero(&w.a[0].anchor));
	assert_int_equal(w.a[0].resolved, 0);
	assert_string_equal(w.a[1].message, "alert C");
	assert_int_equal(w.a[1].first_seen, 200);
	assert_int_equal(w.a[1].level, PLAN_ALERT_HELD);
	assert_string_equal(w.a[1].dn, "CN=C,DC=x");

	memset(&w, 0, sizeof(w));
	assert_int_equal(store_alerts_each_resolved(st, 0, alert_walk_fn, &w),
	    0);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.a[0].message, "alert A");
	assert_int_equal(w.a[0].first_seen, 100);
	assert_int_equal(w.a[0].last_seen, 100);
	assert_int_equal(w.a[0].resolved, 200);
	assert_int_equal(w.a[0].level, PLAN_ALERT_ERROR);

	/* Nothing left: everything resolves, newest first in history. */
	assert_int_equal(store_alerts_set(st, NULL, 0, 300), 0);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_alerts_each(st, alert_walk_fn, &w), 0);
	assert_int_equal(w.n, 0);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_alerts_each_resolved(st, 2, alert_walk_fn, &w),
	    0);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.a[0].resolved, 300);
	assert_int_equal(w.a[1].resolved, 300);
	assert_int_equal(w.a[0].first_seen, 200);	/* C, newer id */
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_alerts_each_resolved(st, 0, alert_walk_fn, &w),
	    0);
	assert_int_equal(w.n, 3);
	assert_string_equal(w.a[2].message, "alert A");

	/* An invalid alert changes nothing. */
	al[0].level = (enum plan_level)9;
	assert_int_equal(store_alerts_set(st, al, 1, 400), -EINVAL);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_alerts_each_resolved(st, 0, alert_walk_fn, &w),
	    0);
	assert_int_equal(w.n, 3);
	store_close(st);
}

/* ---- optional benchmark ---- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
peak_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int
bench_row_fn(const struct plan_row *row, void *arg)
{
	(void)row;
	(*(size_t *)arg)++;
	return 0;
}

/* One full read of `nobj` objects (the first nobj/100 are groups of 100
 * members each), timed. */
static void
bench_full_read(struct store *st, long long nobj, const char *wm)
{
	char dn[128], v[64];
	struct obj *o;
	struct obj_guid g;
	double t0, t1, t2;
	int64_t i, ngroups;
	int a, k;

	/* One group per 100 objects, each with 100 members: nobj
	 * memberships in all. */
	ngroups = nobj / 100;
	t0 = now_s();
	assert_int_equal(store_mirror_full_begin(st), 0);
	for (i = 0; i < nobj; i++) {
		bool grp = i < ngroups;

		snprintf(dn, sizeof(dn), "CN=Object %lld,OU=Bench,DC=example,"
		    "DC=test", (long long)i);
		o = make_obj((uint32_t)i * 2654435761u, grp ? OBJ_GROUP :
		    OBJ_USER, dn);
		for (a = 0, k = 0; a < OBJ_A_COUNT && k < 25; a++, k++) {
			snprintf(v, sizeof(v), "value %d of object %lld", a,
			    (long long)i);
			add_val(o, (enum obj_attr)a, v);
		}
		o->usn_changed = (uint64_t)i + 1;
		o->uac = OBJ_UAC_NORMAL_ACCOUNT;
		if (grp) {
			for (k = 0; k < 100; k++) {
				int64_t m = ngroups + (i * 100 + k) %
				    (nobj - ngroups);

				g = guid_n((uint32_t)m * 2654435761u);
				snprintf(dn, sizeof(dn), "CN=Object %lld,OU="
				    "Bench,DC=example,DC=test", (long long)m);
				add_ref(&o->member, &g, dn);
			}
		}
		assert_int_equal(store_mirror_full_put(st, o), 0);
		obj_free(o);
	}
	t1 = now_s();
	assert_int_equal(store_mirror_full_commit(st, wm), 0);
	t2 = now_s();
	fprintf(stderr, "bench: full read of %lld objects, %lld "
	    "memberships: put %.2f s, commit %.2f s, total %.2f s; peak RSS "
	    "%ld KiB\n", nobj, (long long)ngroups * 100, t1 - t0, t2 - t1,
	    t2 - t0, peak_rss_kib());
}

static void
test_bench(void **state)
{
	const char *env = getenv("ADSYNC_STORE_BENCH");
	char dir[1024], why[512], dn[128], path[PATH_MAX];
	long long nobj;
	const char *errstr;
	struct store *st = NULL;
	struct obj *got;
	struct obj_guid g;
	struct plan_row row;
	struct plan_op op;
	struct stat sb;
	double t0, t1, t2;
	int64_t i, run, id;
	size_t n = 0;

	(void)state;
	if (env == NULL || strparse_num(env, 100, 10000000, &nobj,
	    &errstr) != 0)
		skip();
	tmp_state_dir(dir, sizeof(dir));
	assert_int_equal(store_open(dir, &st, why, sizeof(why)), 0);
	fprintf(stderr, "bench: peak RSS before %ld KiB\n", peak_rss_kib());
	bench_full_read(st, nobj, "bench-1");
	/* The second one replaces a full mirror (drops the old tables). */
	bench_full_read(st, nobj, "bench-2");
	snprintf(path, sizeof(path), "%s/state.db", dir);
	assert_int_equal(stat(path, &sb), 0);
	fprintf(stderr, "bench: state.db %lld MiB\n",
	    (long long)sb.st_size / (1024 * 1024));

	t0 = now_s();
	for (i = 0; i < 10000; i++) {
		g = guid_n((uint32_t)((i * 7) % nobj) * 2654435761u);
		assert_int_equal(store_mirror_get(st, &g, &got), 0);
		obj_free(got);
	}
	t1 = now_s();
	for (i = 0; i < 10000; i++) {
		snprintf(dn, sizeof(dn), "cn=object %lld,ou=bench,dc=example,"
		    "dc=test", (long long)((i * 7) % nobj));
		assert_int_equal(store_mirror_find_dn(st, dn, &g), 0);
	}
	t2 = now_s();
	fprintf(stderr, "bench: get %.1f us/call, find_dn %.1f us/call\n",
	    (t1 - t0) / 10000 * 1e6, (t2 - t1) / 10000 * 1e6);
	t0 = now_s();
	g = guid_n(0);
	assert_int_equal(store_mirror_get(st, &g, &got), 0);
	t1 = now_s();
	fprintf(stderr, "bench: get of a group of %zu members %.2f ms\n",
	    got->member.n, (t1 - t0) * 1e3);
	obj_free(got);

	/* Journal: op_begin is an fsync'd commit, op_end a normal one. */
	assert_int_equal(store_run_begin(st, "bench", 1, &run), 0);
	fill_op(&op, 1, PLAN_OP_UPDATE);
	t0 = now_s();
	for (i = 0; i < 1000; i++) {
		assert_int_equal(store_op_begin(st, run, &op, 2, &id), 0);
		assert_int_equal(store_op_end(st, id, STORE_OP_DONE, "", 3), 0);
	}
	t1 = now_s();
	fprintf(stderr, "bench: op_begin+op_end %.1f us/pair\n",
	    (t1 - t0) / 1000 * 1e6);
	/* The engine's way: 100 ops journaled in one group, one fsync. */
	t0 = now_s();
	for (i = 0; i < 10; i++) {
		int j;

		assert_int_equal(store_begin(st), 0);
		for (j = 0; j < 100; j++)
			assert_int_equal(store_op_begin(st, run, &op, 2, &id),
			    0);
		assert_int_equal(store_commit(st), 0);
	}
	t1 = now_s();
	rs_record_fini(&op.fields);
	rs_strlist_fini(&op.values);
	fprintf(stderr, "bench: op_begin in groups of 100 %.1f us/op\n",
	    (t1 - t0) / 1000 * 1e6);

	/* Rows: 10,000 puts in one transaction, then one walk. */
	t0 = now_s();
	assert_int_equal(store_begin(st), 0);
	for (i = 0; i < 10000; i++) {
		fill_row(&row, (uint32_t)i, PLAN_SVC_EX);
		assert_int_equal(store_row_put(st, &row), 0);
		plan_row_fini(&row);
	}
	assert_int_equal(store_commit(st), 0);
	t1 = now_s();
	assert_int_equal(store_row_each(st, bench_row_fn, &n), 0);
	t2 = now_s();
	assert_int_equal(n, 10000);
	fprintf(stderr, "bench: row_put %.1f us/row (one transaction), "
	    "row_each %.1f us/row\n", (t1 - t0) / 10000 * 1e6,
	    (t2 - t1) / 10000 * 1e6);
	fprintf(stderr, "bench: peak RSS at the end %ld KiB\n",
	    peak_rss_kib());
	store_close(st);
	rm_state_dir(dir);
}


/* ---- the spill of a streamed plan (store_spill.c) ---- */

/* An op with owned texts, as the planner makes them. */
static void
spill_op(struct plan_op *op, uint32_t n, unsigned phase, const char *name)
{
	memset(op, 0, sizeof(*op));
	rs_record_init(&op->fields);
	rs_strlist_init(&op->values);
	op->op = PLAN_OP_CREATE;
	op->service = PLAN_SVC_EX;
	op->kind = phase == 3 ? PLAN_K_DL : PLAN_K_MAILBOX;
	op->phase = phase;
	op->anchor = guid_n(n);
	op->dn = strdup("CN=Spill,DC=x");
	op->domain = strdup("example.test");
	op->name = strdup(name);
	assert_non_null(op->dn);
	assert_non_null(op->domain);
	assert_non_null(op->name);
}

static void
spill_change(struct plan_op *op, const char *f, const char *o,
    const char *n)
{
	op->changes = realloc(op->changes, (op->nchanges + 1) *
	    sizeof(*op->changes));
	assert_non_null(op->changes);
	op->changes[op->nchanges].field = strdup(f);
	op->changes[op->nchanges].old = strdup(o);
	op->changes[op->nchanges].new = strdup(n);
	op->nchanges++;
	assert_int_equal(rs_record_set(&op->fields, f, n), 0);
}

static void
spill_same(const struct plan_op *a, const struct plan_op *b)
{
	size_t i;

	assert_int_equal(a->op, b->op);
	assert_int_equal(a->service, b->service);
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->phase, b->phase);
	assert_true(obj_guid_equal(&a->anchor, &b->anchor));
	assert_string_equal(a->dn, b->dn);
	assert_string_equal(a->domain, b->domain);
	assert_string_equal(a->name, b->name);
	assert_true((a->external == NULL) == (b->external == NULL));
	if (a->external != NULL)
		assert_string_equal(a->external, b->external);
	assert_true((a->reason == NULL) == (b->reason == NULL));
	if (a->reason != NULL)
		assert_string_equal(a->reason, b->reason);
	assert_int_equal(a->leaves_scope, b->leaves_scope);
	assert_int_equal(a->removal, b->removal);
	assert_int_equal(a->fields.n, b->fields.n);
	for (i = 0; i < a->fields.n; i++)
		assert_string_equal(rs_record_get(&b->fields,
		    a->fields.v[i].name), a->fields.v[i].value);
	assert_int_equal(a->nchanges, b->nchanges);
	for (i = 0; i < a->nchanges; i++) {
		assert_string_equal(a->changes[i].field, b->changes[i].field);
		assert_string_equal(a->changes[i].old, b->changes[i].old);
		assert_string_equal(a->changes[i].new, b->changes[i].new);
	}
	assert_int_equal(a->values.n, b->values.n);
	for (i = 0; i < a->values.n; i++)
		assert_string_equal(a->values.v[i], b->values.v[i]);
}

/* Ops kept and read back whole, in the apply order; a password field
 * refused; a body cut anywhere refused by the decoder. */
static void
test_spill(void **state)
{
	struct store *st = open_mem();
	struct plan_op in[3], out[4], bad;
	struct buf b;
	size_t n, cut;
	int r;

	(void)state;
	spill_op(&in[0], 1, 3, "zeta");
	spill_change(&in[0], "displayName", "", "Zeta Ünïcode list");
	spill_change(&in[0], "emailAddress", "old@x", "zeta@example.test");
	assert_int_equal(rs_strlist_add(&in[0].values, "a@example.test"), 0);
	assert_int_equal(rs_strlist_add(&in[0].values, "b@example.test"), 0);
	in[0].reason = strdup("new list in scope");
	spill_op(&in[1], 2, 0, "beta");
	in[1].external = strdup("beta@elsewhere.test");
	in[1].leaves_scope = true;
	spill_change(&in[1], "title", "", "Engineer");
	spill_op(&in[2], 3, 0, "alpha");
	assert_int_equal(store_spill_reset(st), 0);
	for (n = 0; n < 3; n++)
		assert_int_equal(store_spill_put(st, &in[n]), 0);
	assert_int_equal(store_spill_count(st), 3);
	assert_int_equal(store_spill_seal(st), 0);
	/* Rule 10: phase, then name. */
	assert_int_equal(store_spill_read(st, 0, 4, out, &n), 0);
	assert_int_equal(n, 3);
	spill_same(&in[2], &out[0]);
	spill_same(&in[1], &out[1]);
	spill_same(&in[0], &out[2]);
	for (n = 0; n < 3; n++)
		plan_op_fini(&out[n]);
	assert_int_equal(store_spill_read(st, 1, 1, out, &n), 0);
	assert_int_equal(n, 1);
	spill_same(&in[1], &out[0]);
	plan_op_fini(&out[0]);
	assert_int_equal(store_spill_read(st, 3, 4, out, &n), 0);
	assert_int_equal(n, 0);

	/* Every cut of an encoding is refused, never half an op. */
	buf_init(&b, STORE_LIST_MAX);
	assert_int_equal(store_codec_op_encode(&in[0], &b), 0);
	for (cut = 0; cut < b.len; cut++) {
		r = store_codec_op_decode(b.data, cut, &bad);
		plan_op_fini(&bad);
		assert_true(r < 0);
	}
	assert_int_equal(store_codec_op_decode(b.data, b.len, &bad), 0);
	spill_same(&in[0], &bad);
	plan_op_fini(&bad);
	buf_fini(&b);

	/* A new spill starts empty; a password is refused as by the
	 * journal. */
	assert_int_equal(store_spill_reset(st), 0);
	spill_change(&in[2], "password", "", "Secret-1");
	assert_int_equal(store_spill_put(st, &in[2]), -EINVAL);
	assert_int_equal(store_spill_count(st), 0);
	assert_int_equal(store_spill_seal(st), 0);
	store_spill_drop(st);
	for (n = 0; n < 3; n++)
		plan_op_fini(&in[n]);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_fresh),
		cmocka_unit_test(test_migrate_reopen),
		cmocka_unit_test(test_migrate_newer_refused),
		cmocka_unit_test(test_held),
		cmocka_unit_test(test_dir_modes),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_readonly),
		cmocka_unit_test(test_schema_after_swap),
		cmocka_unit_test(test_mirror_round_trip),
		cmocka_unit_test(test_mirror_find_dn),
		cmocka_unit_test(test_mirror_full_abort),
		cmocka_unit_test(test_mirror_put_replaces_and_dedups),
		cmocka_unit_test(test_mirror_apply_incremental),
		cmocka_unit_test(test_mirror_apply_full_member_list),
		cmocka_unit_test(test_mirror_apply_tombstone),
		cmocka_unit_test(test_mirror_apply_usn_and_abort),
		cmocka_unit_test(test_mirror_corrupt_row),
		cmocka_unit_test(test_codec_strict),
		cmocka_unit_test(test_codec_held),
		cmocka_unit_test(test_mirror_held),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_transactions),
		cmocka_unit_test(test_journal),
		cmocka_unit_test(test_spill),
		cmocka_unit_test(test_alerts),
	};
	/* The timed case is a measurement, not a test: it runs only when
	 * asked for, and is otherwise not listed at all (never "skipped"). */
	const struct CMUnitTest bench[] = {
		cmocka_unit_test(test_bench),
	};

	if (getenv("ADSYNC_STORE_BENCH") != NULL)
		return cmocka_run_group_tests(bench, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
