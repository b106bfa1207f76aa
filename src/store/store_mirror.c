/*
 * The mirror: the last complete picture of the directory (users, contacts
 * and groups by objectGUID) with group memberships, and the watermark that
 * says how far it goes. A full read is staged beside the live tables and
 * swapped in at commit (snapshot or nothing); a change read merges
 * DirSync's partial objects or replaces whole ones (uSN reads), removes
 * tombstones, and commits with its watermark. Runs on the engine thread
 * (reads also on a read-only handle's thread).
 *
 * Trust: objects come from the LDAP reader, which has validated them;
 * rows read back are decoded strictly (store_codec.c) and a bad one is an
 * error naming its GUID.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "store_internal.h"

/* ---- helpers ---- */

static const char *
store_mirror_guid_text(const struct obj_guid *g, char buf[OBJ_GUID_TEXT])
{
	obj_guid_format(g, buf);
	return buf;
}

/* ASCII-only case-insensitive comparison, as SQLite's NOCASE (and AD for
 * the ASCII part of a DN); independent of the locale. */
static int
store_mirror_dncmp(const char *a, const char *b)
{
	unsigned char ca, cb;

	for (;; a++, b++) {
		ca = (unsigned char)*a;
		cb = (unsigned char)*b;
		if (ca >= 'A' && ca <= 'Z')
			ca = (unsigned char)(ca - 'A' + 'a');
		if (cb >= 'A' && cb <= 'Z')
			cb = (unsigned char)(cb - 'A' + 'a');
		if (ca != cb || ca == '\0')
			return (int)ca - (int)cb;
	}
}

static int
store_mirror_refcmp(const void *pa, const void *pb, void *arg)
{
	const struct obj_refs *refs = arg;
	size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
	const struct obj_ref *a = &refs->v[ia], *b = &refs->v[ib];
	bool za = obj_guid_is_zero(&a->guid), zb = obj_guid_is_zero(&b->guid);
	int c;

	if (za != zb)
		return za ? -1 : 1;
	if (za)
		c = store_mirror_dncmp(a->dn, b->dn);
	else
		c = memcmp(a->guid.b, b->guid.b, sizeof(a->guid.b));
	if (c != 0)
		return c;
	/* Equal keys: the earlier reference is the one kept. */
	return ia < ib ? -1 : ia > ib;
}

/*
 * Marks in *skip (owned array of refs->n, or NULL when nothing repeats)
 * the references that repeat an earlier one: same GUID, or for GUID-less
 * references the same DN. AD never sends a member twice; a reader bug
 * must not make the mirror say so either.
 */
static int
store_mirror_dups(const struct obj_refs *refs, bool **skip)
{
	size_t *idx = NULL, i;
	bool *sk = NULL, any = false;
	int r = 0;

	*skip = NULL;
	if (refs->n < 2)
		return 0;
	if ((idx = calloc(refs->n, sizeof(*idx))) == NULL ||
	    (sk = calloc(refs->n, sizeof(*sk))) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < refs->n; i++)
		idx[i] = i;
	qsort_r(idx, refs->n, sizeof(*idx), store_mirror_refcmp,
	    (void *)(uintptr_t)refs);
	for (i = 1; i < refs->n; i++) {
		const struct obj_ref *a = &refs->v[idx[i - 1]];
		const struct obj_ref *b = &refs->v[idx[i]];
		bool za = obj_guid_is_zero(&a->guid);

		if (za != obj_guid_is_zero(&b->guid))
			continue;
		if (za ? store_mirror_dncmp(a->dn, b->dn) == 0 :
		    obj_guid_equal(&a->guid, &b->guid)) {
			sk[idx[i]] = true;
			any = true;
		}
	}
	if (any) {
		*skip = sk;
		sk = NULL;
	}
out:
	free(idx);
	free(sk);
	return r;
}

static int
store_mirror_check_obj(struct store *st, const struct obj *o,
    const char *where)
{
	char g[OBJ_GUID_TEXT];

	if (o == NULL || obj_guid_is_zero(&o->guid))
		return store_sql_failf(st, -EINVAL, "%s: an object without "
		    "objectGUID", where);
	if ((unsigned)o->kind > OBJ_GROUP)
		return store_sql_failf(st, -EINVAL, "%s: object %s has an "
		    "invalid kind", where, store_mirror_guid_text(&o->guid, g));
	return 0;
}

/*
 * Writes the object row (guid, kind, dn, encoded body) with statement
 * `id` (the staging or the live upsert).
 */
static int
store_mirror_put_row(struct store *st, enum store_q id, const char *sql,
    const struct obj *o, enum obj_kind kind, const char *dn)
{
	char g[OBJ_GUID_TEXT];
	sqlite3_stmt *s;
	struct buf b;
	int r;

	buf_init(&b, STORE_BODY_MAX);
	if (dn == NULL) {
		r = store_sql_failf(st, -EINVAL, "storing object %s: it has "
		    "no DN", store_mirror_guid_text(&o->guid, g));
		goto out;
	}
	if ((r = store_codec_obj_encode(o, &b)) < 0) {
		store_sql_failf(st, r, "storing object %s: %s",
		    store_mirror_guid_text(&o->guid, g), adsync_strerror(r));
		goto out;
	}
	if ((r = store_sql_stmt(st, id, sql, &s)) < 0)
		goto out;
	if ((r = store_sql_bind_guid(s, 1, &o->guid, false)) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int(s, 2, (int)kind))) < 0 ||
	    (r = store_sql_bind_text(s, 3, dn)) < 0 ||
	    (r = store_sql_bind_blob(s, 4, b.data, b.len)) < 0) {
		store_sql_failf(st, r, "storing an object: binding failed");
		sqlite3_reset(s);
		goto out;
	}
	r = store_sql_done(st, s, "storing an object");
out:
	buf_fini(&b);
	return r;
}

/*
 * Runs a statement whose parameters are, where not NULL, a group GUID
 * (?1), a member GUID (?2) and a DN (?3).
 */
static int
store_mirror_exec(struct store *st, enum store_q id, const char *sql,
    const struct obj_guid *g, const struct obj_guid *m, const char *dn,
    const char *where)
{
	sqlite3_stmt *s;
	int r;

	if ((r = store_sql_stmt(st, id, sql, &s)) < 0)
		return r;
	if ((g != NULL && (r = store_sql_bind_guid(s, 1, g, false)) < 0) ||
	    (m != NULL && (r = store_sql_bind_guid(s, 2, m, false)) < 0) ||
	    (dn != NULL && (r = store_sql_bind_text(s, 3, dn)) < 0)) {
		sqlite3_reset(s);
		return store_sql_failf(st, r, "%s: binding failed", where);
	}
	return store_sql_done(st, s, where);
}

/* Inserts one membership with statement `id` at position `seq`. */
static int
store_mirror_put_member(struct store *st, enum store_q id, const char *sql,
    const struct obj_guid *group, int64_t seq, const struct obj_ref *ref)
{
	sqlite3_stmt *s;
	int r;

	if ((r = store_sql_stmt(st, id, sql, &s)) < 0)
		return r;
	if ((r = store_sql_bind_guid(s, 1, group, false)) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int64(s, 2, seq))) < 0 ||
	    (r = store_sql_bind_guid(s, 3, &ref->guid, true)) < 0 ||
	    (r = store_sql_bind_text(s, 4, ref->dn)) < 0) {
		sqlite3_reset(s);
		return store_sql_failf(st, r, "storing a membership: "
		    "binding failed");
	}
	return store_sql_done(st, s, "storing a membership");
}

static const char store_mirror_sql_mem_put[] =
	"INSERT INTO mirror_member (group_guid, seq, member_guid, member_dn)"
	" VALUES (?1, ?2, ?3, ?4)";
static const char store_mirror_sql_stage_mem_put[] =
	"INSERT INTO mirror_stage_member (group_guid, seq, member_guid,"
	" member_dn) VALUES (?1, ?2, ?3, ?4)";

/* Inserts the memberships of group `g` from `refs` (duplicates dropped),
 * numbered from 0; the caller has removed the old ones. */
static int
store_mirror_put_members(struct store *st, bool stage,
    const struct obj_guid *g, const struct obj_refs *refs)
{
	bool *skip = NULL;
	int64_t seq = 0;
	size_t i;
	int r;

	if ((r = store_mirror_dups(refs, &skip)) < 0)
		return store_sql_failf(st, r, "storing memberships: %s",
		    adsync_strerror(r));
	for (i = 0; i < refs->n; i++) {
		if (skip != NULL && skip[i])
			continue;
		if (refs->v[i].dn == NULL) {
			r = store_sql_failf(st, -EINVAL, "storing "
			    "memberships: a member without DN");
			goto out;
		}
		r = stage ?
		    store_mirror_put_member(st, STORE_Q_STAGE_PUT_MEMBER,
		    store_mirror_sql_stage_mem_put, g, seq, &refs->v[i]) :
		    store_mirror_put_member(st, STORE_Q_MEM_PUT,
		    store_mirror_sql_mem_put, g, seq, &refs->v[i]);
		if (r < 0)
			goto out;
		seq++;
	}
out:
	free(skip);
	return r;
}

/*
 * Reads the stored object `g` without references into *out (owned), or
 * -ADSYNC_ENOTFOUND. A row that does not decode is -ADSYNC_EPARSE with a
 * sentence naming the GUID.
 */
static int
store_mirror_load(struct store *st, const struct obj_guid *g,
    struct obj **out)
{
	char gt[OBJ_GUID_TEXT];
	const unsigned char *dn;
	struct obj *o = NULL;
	sqlite3_stmt *s;
	const void *body;
	int kind, rc, r;

	r = store_sql_stmt(st, STORE_Q_OBJ_GET,
	    "SELECT kind, dn, body FROM mirror_obj WHERE guid = ?1", &s);
	if (r < 0)
		return r;
	if ((r = store_sql_bind_guid(s, 1, g, false)) < 0)
		goto out;
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		r = store_sql_failf(st, -ADSYNC_ENOTFOUND, "object %s is not "
		    "in the mirror", store_mirror_guid_text(g, gt));
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = store_sql_fail(st, rc, "reading the mirror");
		goto out;
	}
	o = obj_new();
	o->guid = *g;
	kind = sqlite3_column_int(s, 0);
	dn = sqlite3_column_text(s, 1);
	body = sqlite3_column_blob(s, 2);
	if (kind < OBJ_UNKNOWN || kind > OBJ_GROUP ||
	    sqlite3_column_type(s, 2) != SQLITE_BLOB || dn == NULL) {
		r = -ADSYNC_EPARSE;
	} else {
		o->kind = (enum obj_kind)kind;
		r = obj_dn_set(o, (const char *)dn,
		    (size_t)sqlite3_column_bytes(s, 1));
		if (r == 0)
			r = store_codec_obj_decode(body,
			    (size_t)sqlite3_column_bytes(s, 2), o);
	}
	if (r == -ENOMEM) {
		store_sql_failf(st, r, "reading object %s: out of memory",
		    store_mirror_guid_text(g, gt));
		goto out;
	}
	if (r < 0) {
		r = store_sql_failf(st, -ADSYNC_EPARSE, "the stored object "
		    "%s in %s does not decode (corrupt mirror row); the next "
		    "full read replaces it", store_mirror_guid_text(g, gt),
		    st->path);
		goto out;
	}
	*out = o;
	o = NULL;
out:
	sqlite3_reset(s);
	obj_free(o);
	return r;
}

/* Appends the rows of `s` (GUID or NULL, DN) to `refs`. */
static int
store_mirror_read_refs(struct store *st, sqlite3_stmt *s,
    const struct obj_guid *g, struct obj_refs *refs, const char *what)
{
	char gt[OBJ_GUID_TEXT];
	const unsigned char *dn;
	struct obj_guid mg;
	int rc, r;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		dn = sqlite3_column_text(s, 1);
		if ((r = store_sql_col_guid(s, 0, true, &mg)) < 0 ||
		    dn == NULL ||
		    (r = obj_ref_add(refs, &mg, (const char *)dn,
		    (size_t)sqlite3_column_bytes(s, 1))) < 0) {
			if (r == -ENOMEM)
				return store_sql_failf(st, r, "reading the %s "
				    "of %s: out of memory", what,
				    store_mirror_guid_text(g, gt));
			return store_sql_failf(st, -ADSYNC_EPARSE, "a stored "
			    "%s of object %s in %s does not decode (corrupt "
			    "membership row); the next full read replaces it",
			    what, store_mirror_guid_text(g, gt), st->path);
		}
	}
	if (rc != SQLITE_DONE)
		return store_sql_fail(st, rc, "reading memberships");
	return 0;
}

/* ---- full read ---- */

int
store_mirror_full_begin(struct store *st)
{
	int r;

	if (st->readonly)
		return store_sql_failf(st, -EROFS, "full read: the store was "
		    "opened read-only");
	if (st->txn != STORE_TXN_NONE)
		return store_sql_failf(st, -EBUSY, "full read: a transaction "
		    "is already open");
	if ((r = store_sql_simple(st, STORE_Q_BEGIN, "BEGIN IMMEDIATE",
	    "starting a full read")) < 0)
		return r;
	st->txn = STORE_TXN_FULL;
	if ((r = store_sql_run(st, store_migrate_stage_sql,
	    "creating the staging tables")) < 0)
		store_rollback(st);
	return r;
}

int
store_mirror_full_put(struct store *st, const struct obj *o)
{
	int r;

	if (st->txn != STORE_TXN_FULL)
		return store_sql_failf(st, -EINVAL, "full read: put outside "
		    "store_mirror_full_begin()");
	if ((r = store_sql_in_txn(st, "full read")) < 0)
		return r;
	if ((r = store_mirror_check_obj(st, o, "full read")) < 0)
		return r;
	r = store_mirror_put_row(st, STORE_Q_STAGE_PUT_OBJ,
	    "INSERT INTO mirror_stage_obj (guid, kind, dn, body)"
	    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (guid) DO UPDATE SET"
	    " kind = excluded.kind, dn = excluded.dn, body = excluded.body",
	    o, o->kind, o->dn);
	if (r < 0)
		return r;
	/* A second put of the same GUID replaces its memberships too. */
	r = store_mirror_exec(st, STORE_Q_STAGE_DEL_MEMBERS,
	    "DELETE FROM mirror_stage_member WHERE group_guid = ?1",
	    &o->guid, NULL, NULL, "staging memberships");
	if (r < 0)
		return r;
	return store_mirror_put_members(st, true, &o->guid, &o->member);
}

/*
 * Ends a full (`full`) or change read: swaps the staging area in for a
 * full read, stores the watermark and commits, all in the read's own
 * transaction, so the mirror and the watermark that describes it move
 * together. On failure everything of the read is rolled back.
 */
static int
store_mirror_commit(struct store *st, bool full, const char *watermark)
{
	const char *what = full ? "full read" : "change read";
	int r;

	if (st->txn != (full ? STORE_TXN_FULL : STORE_TXN_CHANGES))
		return store_sql_failf(st, -EINVAL, "%s: commit outside "
		    "store_mirror_%s_begin()", what, full ? "full" : "changes");
	if ((r = store_sql_in_txn(st, what)) < 0)
		return r;
	if (watermark == NULL) {
		r = store_sql_failf(st, -EINVAL, "%s: no watermark", what);
		goto fail;
	}
	if (full) {
		/* The staging statements name tables the swap renames. */
		store_sql_finalize(st, STORE_Q_STAGE_FIRST, STORE_Q_COUNT);
		if ((r = store_sql_run(st, store_migrate_swap_sql,
		    "swapping in the new mirror")) < 0)
			goto fail;
	}
	if ((r = store_sql_meta_set(st, "watermark", watermark)) < 0)
		goto fail;
	if ((r = store_sql_simple(st, STORE_Q_COMMIT, "COMMIT", full ?
	    "committing the full read" : "committing the change read")) < 0)
		goto fail;
	st->txn = STORE_TXN_NONE;
	return 0;
fail:
	store_rollback(st);
	return r;
}

int
store_mirror_full_commit(struct store *st, const char *watermark)
{
	return store_mirror_commit(st, true, watermark);
}

void
store_mirror_full_abort(struct store *st)
{
	if (st != NULL && st->txn == STORE_TXN_FULL)
		store_rollback(st);
}

/* ---- change read ---- */

int
store_mirror_changes_begin(struct store *st)
{
	int r;

	if (st->readonly)
		return store_sql_failf(st, -EROFS, "change read: the store "
		    "was opened read-only");
	if (st->txn != STORE_TXN_NONE)
		return store_sql_failf(st, -EBUSY, "change read: a "
		    "transaction is already open");
	if ((r = store_sql_simple(st, STORE_Q_BEGIN, "BEGIN IMMEDIATE",
	    "starting a change read")) < 0)
		return r;
	st->txn = STORE_TXN_CHANGES;
	return 0;
}

static const char store_mirror_sql_obj_put[] =
	"INSERT INTO mirror_obj (guid, kind, dn, body)"
	" VALUES (?1, ?2, ?3, ?4) ON CONFLICT (guid) DO UPDATE SET"
	" kind = excluded.kind, dn = excluded.dn, body = excluded.body";

/* Removes the group memberships of `g` (as the group). */
static int
store_mirror_clear_members(struct store *st, const struct obj_guid *g)
{
	return store_mirror_exec(st, STORE_Q_MEM_DEL_GROUP,
	    "DELETE FROM mirror_member WHERE group_guid = ?1", g, NULL, NULL,
	    "removing memberships");
}

/* Removes member `ref` from group `g`: by GUID, and by DN for a
 * membership stored without GUID. */
static int
store_mirror_member_remove(struct store *st, const struct obj_guid *g,
    const struct obj_ref *ref)
{
	int r;

	if (!obj_guid_is_zero(&ref->guid)) {
		r = store_mirror_exec(st, STORE_Q_MEM_DEL_ONE_GUID,
		    "DELETE FROM mirror_member"
		    " WHERE member_guid = ?2 AND group_guid = ?1", g,
		    &ref->guid, NULL, "removing a membership");
		if (r < 0)
			return r;
	}
	if (ref->dn == NULL)
		return 0;
	return store_mirror_exec(st, STORE_Q_MEM_DEL_ONE_DN,
	    "DELETE FROM mirror_member WHERE member_guid IS NULL"
	    " AND member_dn = ?3 AND group_guid = ?1", g, NULL, ref->dn,
	    "removing a membership");
}

/* Adds member `ref` to group `g` after its last member (replacing an
 * equal membership). */
static int
store_mirror_member_add(struct store *st, const struct obj_guid *g,
    const struct obj_ref *ref)
{
	sqlite3_stmt *s;
	int64_t seq = 0;
	int rc, r;

	if (ref->dn == NULL)
		return store_sql_failf(st, -EINVAL, "adding a membership: a "
		    "member without DN");
	if ((r = store_mirror_member_remove(st, g, ref)) < 0)
		return r;
	r = store_sql_stmt(st, STORE_Q_MEM_MAXSEQ,
	    "SELECT coalesce(max(seq), -1) FROM mirror_member"
	    " WHERE group_guid = ?1", &s);
	if (r < 0)
		return r;
	if ((r = store_sql_bind_guid(s, 1, g, false)) < 0) {
		sqlite3_reset(s);
		return r;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		seq = sqlite3_column_int64(s, 0) + 1;
	else
		r = store_sql_fail(st, rc, "adding a membership");
	sqlite3_reset(s);
	if (r < 0)
		return r;
	return store_mirror_put_member(st, STORE_Q_MEM_PUT,
	    store_mirror_sql_mem_put, g, seq, ref);
}

/* A tombstone: the object and its memberships both ways go. */
static int
store_mirror_remove(struct store *st, const struct obj_guid *g)
{
	struct obj *cur = NULL;
	int r;

	r = store_mirror_load(st, g, &cur);
	if (r < 0 && r != -ADSYNC_ENOTFOUND && r != -ADSYNC_EPARSE)
		return r;
	/* A corrupt row is removed all the same. */
	r = store_mirror_exec(st, STORE_Q_OBJ_DEL,
	    "DELETE FROM mirror_obj WHERE guid = ?1", g, NULL, NULL,
	    "removing an object");
	if (r == 0)
		r = store_mirror_clear_members(st, g);
	if (r == 0)
		r = store_mirror_exec(st, STORE_Q_MEM_DEL_MEMBER_GUID,
		    "DELETE FROM mirror_member WHERE member_guid = ?2", NULL,
		    g, NULL, "removing memberships");
	if (r == 0 && cur != NULL)
		r = store_mirror_exec(st, STORE_Q_MEM_DEL_MEMBER_DN,
		    "DELETE FROM mirror_member WHERE member_guid IS NULL"
		    " AND member_dn = ?3", NULL, NULL, cur->dn,
		    "removing memberships");
	obj_free(cur);
	return r;
}

/* Copies the values of attribute `a` of `from` into the empty `to`. */
static int
store_mirror_copy_attr(struct obj *to, const struct obj *from,
    enum obj_attr a)
{
	const struct obj_values *v = &from->attrs[a];
	size_t i;
	int r;

	for (i = 0; i < v->n; i++)
		if ((r = obj_value_add(to, a, v->v[i], strlen(v->v[i]))) < 0)
			return r;
	return 0;
}

/*
 * The stored object `cur` (NULL: none) with DirSync's partial change `o`
 * applied, into *out (owned). Holds (obj.h) merge like values: an
 * attribute the change brought ends its hold, one the change held is
 * held, the others keep the stored hold.
 */
static int
store_mirror_merge(const struct obj *cur, const struct obj *o,
    struct obj **out)
{
	struct obj *m = obj_new();
	const char *sid;
	uint64_t bit;
	int a, r = 0;

	m->guid = o->guid;
	m->kind = o->kind != OBJ_UNKNOWN ? o->kind :
	    cur != NULL ? cur->kind : OBJ_UNKNOWN;
#define STORE_PICK(f) (o->f != 0 ? o->f : cur != NULL ? cur->f : 0)
	m->usn_changed = STORE_PICK(usn_changed);
	m->when_changed = STORE_PICK(when_changed);
	m->uac = STORE_PICK(uac);
	m->group_type = STORE_PICK(group_type);
	m->pwd_last_set = STORE_PICK(pwd_last_set);
#undef STORE_PICK
	sid = o->object_sid != NULL ? o->object_sid :
	    cur != NULL ? cur->object_sid : NULL;
	if (sid != NULL && (m->object_sid = strdup(sid)) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if (o->dn != NULL)
		r = obj_dn_set(m, o->dn, strlen(o->dn));
	else if (cur != NULL)
		r = obj_dn_set(m, cur->dn, strlen(cur->dn));
	if (r < 0)
		goto out;
	for (a = 0; a < OBJ_A_COUNT; a++) {
		bit = (uint64_t)1 << a;
		if ((o->present & bit) != 0) {
			/* Returned by the change: replaced, or cleared when
			 * it came without values; a hold ends. */
			r = store_mirror_copy_attr(m, o, (enum obj_attr)a);
		} else if (cur != NULL) {
			/* Unchanged, or held by the change (a value the
			 * reader could not take, never `present`): the last
			 * good values stay. */
			r = store_mirror_copy_attr(m, cur, (enum obj_attr)a);
			m->present |= cur->present & bit;
			if ((cur->held & bit) != 0 && (o->held & bit) == 0) {
				m->held |= bit;
				m->held_why[a] = cur->held_why[a];
			}
		}
		if ((o->held & bit) != 0) {
			m->held |= bit;
			m->held_why[a] = o->held_why[a];
		}
		if (r < 0)
			goto out;
	}
	*out = m;
	m = NULL;
out:
	obj_free(m);
	return r;
}

static int
store_mirror_apply_incremental(struct store *st, const struct obj *o)
{
	struct obj *cur = NULL, *m = NULL;
	char g[OBJ_GUID_TEXT];
	size_t i;
	int r;

	r = store_mirror_load(st, &o->guid, &cur);
	if (r < 0 && r != -ADSYNC_ENOTFOUND)
		goto out;
	if ((r = store_mirror_merge(cur, o, &m)) < 0) {
		store_sql_failf(st, r, "merging a change of object %s: %s",
		    store_mirror_guid_text(&o->guid, g), adsync_strerror(r));
		goto out;
	}
	r = store_mirror_put_row(st, STORE_Q_OBJ_PUT,
	    store_mirror_sql_obj_put, m, m->kind, m->dn);
	if (r < 0)
		goto out;
	if (o->member_present) {
		if ((r = store_mirror_clear_members(st, &o->guid)) < 0 ||
		    (r = store_mirror_put_members(st, false, &o->guid,
		    &o->member)) < 0)
			goto out;
	}
	for (i = 0; i < o->member_removed.n; i++)
		if ((r = store_mirror_member_remove(st, &o->guid,
		    &o->member_removed.v[i])) < 0)
			goto out;
	for (i = 0; i < o->member_added.n; i++)
		if ((r = store_mirror_member_add(st, &o->guid,
		    &o->member_added.v[i])) < 0)
			goto out;
out:
	obj_free(cur);
	obj_free(m);
	return r;
}

int
store_mirror_apply(struct store *st, const struct obj *o)
{
	int r;

	if (st->txn != STORE_TXN_CHANGES)
		return store_sql_failf(st, -EINVAL, "change read: apply "
		    "outside store_mirror_changes_begin()");
	if ((r = store_sql_in_txn(st, "change read")) < 0)
		return r;
	if ((r = store_mirror_check_obj(st, o, "change read")) < 0)
		return r;
	if (o->deleted)
		return store_mirror_remove(st, &o->guid);
	if (o->incremental)
		return store_mirror_apply_incremental(st, o);
	/* A uSN read: the whole object, and for a group its whole member
	 * list (AD omits an empty one, so no member means none). */
	r = store_mirror_put_row(st, STORE_Q_OBJ_PUT,
	    store_mirror_sql_obj_put, o, o->kind, o->dn);
	if (r == 0)
		r = store_mirror_clear_members(st, &o->guid);
	if (r == 0)
		r = store_mirror_put_members(st, false, &o->guid, &o->member);
	return r;
}

int
store_mirror_changes_commit(struct store *st, const char *watermark)
{
	return store_mirror_commit(st, false, watermark);
}

void
store_mirror_changes_abort(struct store *st)
{
	if (st != NULL && st->txn == STORE_TXN_CHANGES)
		store_rollback(st);
}

/* ---- watermark ---- */

int
store_mirror_watermark(struct store *st, char *out, size_t outlen)
{
	return store_sql_meta_get(st, "watermark", out, outlen);
}

int
store_mirror_forget_watermark(struct store *st)
{
	int r;

	if ((r = store_sql_writable(st, "forgetting the watermark")) < 0)
		return r;
	return store_sql_meta_set(st, "watermark", NULL);
}

/* ---- reads ---- */

static int
store_mirror_get_as(struct store *st, const struct obj_guid *g,
    bool member_of, struct obj **out);

int
store_mirror_get(struct store *st, const struct obj_guid *g,
    struct obj **out)
{
	return store_mirror_get_as(st, g, true, out);
}

int
store_mirror_get_lean(struct store *st, const struct obj_guid *g,
    struct obj **out)
{
	return store_mirror_get_as(st, g, false, out);
}

static int
store_mirror_get_as(struct store *st, const struct obj_guid *g,
    bool member_of, struct obj **out)
{
	struct obj *o = NULL;
	sqlite3_stmt *s;
	int r;

	if ((r = store_mirror_load(st, g, &o)) < 0)
		return r;
	if (o->kind == OBJ_GROUP) {
		/* A member in the mirror is named by its current DN: AD
		 * renames a member without changing the group. */
		r = store_sql_stmt(st, STORE_Q_MEM_LIST,
		    "SELECT m.member_guid, coalesce(o.dn, m.member_dn)"
		    " FROM mirror_member AS m"
		    " LEFT JOIN mirror_obj AS o ON o.guid = m.member_guid"
		    " WHERE m.group_guid = ?1 ORDER BY m.seq", &s);
		if (r < 0)
			goto out;
		if ((r = store_sql_bind_guid(s, 1, g, false)) == 0)
			r = store_mirror_read_refs(st, s, g, &o->member,
			    "member");
		sqlite3_reset(s);
		if (r < 0)
			goto out;
		o->member_present = true;
	}
	if (!member_of)
		goto done;
	r = store_sql_stmt(st, STORE_Q_MEM_OF,
	    "SELECT g.guid, g.dn FROM mirror_member AS m"
	    " JOIN mirror_obj AS g ON g.guid = m.group_guid"
	    " WHERE m.member_guid = ?1"
	    " UNION"
	    " SELECT g.guid, g.dn FROM mirror_member AS m"
	    " JOIN mirror_obj AS g ON g.guid = m.group_guid"
	    " WHERE m.member_guid IS NULL AND m.member_dn = ?2"
	    " ORDER BY 2", &s);
	if (r < 0)
		goto out;
	if ((r = store_sql_bind_guid(s, 1, g, false)) == 0 &&
	    (r = store_sql_bind_text(s, 2, o->dn)) == 0)
		r = store_mirror_read_refs(st, s, g, &o->member_of,
		    "group membership");
	sqlite3_reset(s);
	if (r < 0)
		goto out;
done:
	*out = o;
	o = NULL;
out:
	obj_free(o);
	return r;
}

int
store_mirror_find_dn(struct store *st, const char *dn, struct obj_guid *out)
{
	struct obj_guid g;
	sqlite3_stmt *s;
	int rc, r;

	if (dn == NULL)
		return -EINVAL;
	/* dn is declared COLLATE NOCASE: the index answers either case. */
	r = store_sql_stmt(st, STORE_Q_OBJ_FIND_DN,
	    "SELECT guid FROM mirror_obj WHERE dn = ?1 LIMIT 1", &s);
	if (r < 0)
		return r;
	if ((r = store_sql_bind_text(s, 1, dn)) < 0)
		goto out;
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		r = store_sql_failf(st, -ADSYNC_ENOTFOUND, "no object in the "
		    "mirror has the DN %s", dn);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = store_sql_fail(st, rc, "looking up a DN");
		goto out;
	}
	if ((r = store_sql_col_guid(s, 0, false, &g)) < 0) {
		store_sql_failf(st, r, "the mirror row of DN %s has a bad "
		    "GUID (corrupt row in %s)", dn, st->path);
		goto out;
	}
	*out = g;
out:
	sqlite3_reset(s);
	return r;
}

int
store_mirror_count(struct store *st, enum obj_kind k, size_t *out)
{
	sqlite3_stmt *s;
	int rc, r;

	if (k == OBJ_UNKNOWN)
		r = store_sql_stmt(st, STORE_Q_OBJ_COUNT,
		    "SELECT count(*) FROM mirror_obj", &s);
	else
		r = store_sql_stmt(st, STORE_Q_OBJ_COUNT_KIND,
		    "SELECT count(*) FROM mirror_obj WHERE kind = ?1", &s);
	if (r < 0)
		return r;
	if (k != OBJ_UNKNOWN && (r = store_sql_code(sqlite3_bind_int(s, 1,
	    (int)k))) < 0)
		goto out;
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		r = store_sql_fail(st, rc, "counting the mirror");
		goto out;
	}
	*out = (size_t)sqlite3_column_int64(s, 0);
out:
	sqlite3_reset(s);
	return r;
}
