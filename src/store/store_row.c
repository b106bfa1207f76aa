/*
 * The synced state: one struct plan_row per (objectGUID, service), the
 * identity the object has in the service and what was last applied. The
 * record and the two lists are stored as store_codec encodings. Runs on
 * the engine thread (reads also on a read-only handle's thread).
 *
 * Trust: rows are ours but decoded strictly; a bad one is -ADSYNC_EPARSE
 * with a sentence naming its anchor.
 */
#include <errno.h>
#include <string.h>

#include "err.h"
#include "store_internal.h"

/* Rows decoded per step of store_row_each(): iteration keeps no
 * statement open across the callback, at a bounded memory cost. */
#define STORE_ROW_BATCH 64

/* The columns store_row_decode() reads, from `base` on. */
#define STORE_ROW_COLS "kind, dn, domain, name, enabled, in_scope," \
	" fields, members, addresses"

static int
store_row_dupcol(sqlite3_stmt *s, int i, char **out)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	size_t len;

	if (sqlite3_column_type(s, i) == SQLITE_NULL) {
		*out = NULL;
		return 0;
	}
	if (t == NULL)
		return -ENOMEM;
	len = (size_t)sqlite3_column_bytes(s, i);
	if (!obj_utf8_valid((const char *)t, len))
		return -ADSYNC_EPARSE;
	if ((*out = strndup((const char *)t, len)) == NULL)
		return -ENOMEM;
	return 0;
}

/* The blob of column `i` (a zero-length blob reads as NULL pointer). */
static int
store_row_blob(sqlite3_stmt *s, int i, const void **p, size_t *len)
{
	static const char empty[1];

	if (sqlite3_column_type(s, i) != SQLITE_BLOB)
		return -ADSYNC_EPARSE;
	*p = sqlite3_column_blob(s, i);
	*len = (size_t)sqlite3_column_bytes(s, i);
	if (*p == NULL)
		*p = empty;
	return 0;
}

/*
 * Decodes the STORE_ROW_COLS of the current row of `s`, starting at
 * column `base`, into the initialised, empty `row` (anchor and service
 * are set by the caller). On failure `row` may hold parts (plan_row_fini).
 */
static int
store_row_decode_as(sqlite3_stmt *s, int base, struct plan_row *row,
    bool whole);

static int
store_row_decode(sqlite3_stmt *s, int base, struct plan_row *row)
{
	return store_row_decode_as(s, base, row, true);
}

/* The same, `whole` false: identity and flags only (fields, members and
 * addresses left empty). */
static int
store_row_decode_as(sqlite3_stmt *s, int base, struct plan_row *row,
    bool whole)
{
	const void *p;
	size_t len;
	int kind, r;

	kind = sqlite3_column_int(s, base);
	if (kind < 0 || kind >= PLAN_K_COUNT)
		return -ADSYNC_EPARSE;
	row->kind = (enum plan_kind)kind;
	if ((r = store_row_dupcol(s, base + 1, &row->dn)) < 0 ||
	    (r = store_row_dupcol(s, base + 2, &row->domain)) < 0 ||
	    (r = store_row_dupcol(s, base + 3, &row->name)) < 0)
		return r;
	row->enabled = sqlite3_column_int(s, base + 4) != 0;
	row->in_scope = sqlite3_column_int(s, base + 5) != 0;
	if (!whole)
		return 0;
	if ((r = store_row_blob(s, base + 6, &p, &len)) < 0 ||
	    (r = store_codec_record_decode(p, len, &row->fields)) < 0)
		return r;
	if ((r = store_row_blob(s, base + 7, &p, &len)) < 0 ||
	    (r = store_codec_strlist_decode(p, len, &row->members)) < 0)
		return r;
	if ((r = store_row_blob(s, base + 8, &p, &len)) < 0 ||
	    (r = store_codec_strlist_decode(p, len, &row->addresses)) < 0)
		return r;
	return 0;
}

static int
store_row_corrupt(struct store *st, int r, const struct obj_guid *anchor,
    enum plan_service svc)
{
	char g[OBJ_GUID_TEXT];

	obj_guid_format(anchor, g);
	if (r == -ENOMEM)
		return store_sql_failf(st, r, "reading the state row of %s "
		    "(%s): out of memory", g, plan_service_name(svc));
	return store_sql_failf(st, -ADSYNC_EPARSE, "the state row of %s (%s) "
	    "in %s does not decode (corrupt sync_row)", g,
	    plan_service_name(svc), st->path);
}

int
store_row_get(struct store *st, const struct obj_guid *anchor,
    enum plan_service svc, struct plan_row *out)
{
	struct plan_row row;
	char g[OBJ_GUID_TEXT];
	sqlite3_stmt *s;
	int rc, r;

	plan_row_init(&row);
	r = store_sql_stmt(st, STORE_Q_ROW_GET, "SELECT " STORE_ROW_COLS
	    " FROM sync_row WHERE anchor = ?1 AND service = ?2", &s);
	if (r < 0)
		return r;
	if ((r = store_sql_bind_guid(s, 1, anchor, false)) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int(s, 2, (int)svc))) < 0)
		goto out;
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		obj_guid_format(anchor, g);
		r = store_sql_failf(st, -ADSYNC_ENOTFOUND, "no state row for "
		    "%s (%s)", g, plan_service_name(svc));
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = store_sql_fail(st, rc, "reading a state row");
		goto out;
	}
	row.anchor = *anchor;
	row.service = svc;
	if ((r = store_row_decode(s, 0, &row)) < 0) {
		r = store_row_corrupt(st, r, anchor, svc);
		goto out;
	}
	/* `out` was empty: moving the row in leaks nothing. */
	*out = row;
	plan_row_init(&row);
out:
	sqlite3_reset(s);
	plan_row_fini(&row);
	return r;
}

int
store_row_put(struct store *st, const struct plan_row *row)
{
	struct buf fields, members, addresses;
	char g[OBJ_GUID_TEXT];
	sqlite3_stmt *s;
	int r;

	buf_init(&fields, STORE_LIST_MAX);
	buf_init(&members, STORE_LIST_MAX);
	buf_init(&addresses, STORE_LIST_MAX);
	if ((r = store_sql_writable(st, "storing a state row")) < 0)
		goto out;
	obj_guid_format(&row->anchor, g);
	if ((unsigned)row->service >= PLAN_SVC_COUNT ||
	    (unsigned)row->kind >= PLAN_K_COUNT) {
		r = store_sql_failf(st, -EINVAL, "storing the state row of "
		    "%s: invalid service or kind", g);
		goto out;
	}
	if ((r = store_codec_record_encode(&row->fields, &fields)) < 0 ||
	    (r = store_codec_strlist_encode(&row->members, &members)) < 0 ||
	    (r = store_codec_strlist_encode(&row->addresses,
	    &addresses)) < 0) {
		store_sql_failf(st, r, "storing the state row of %s: %s", g,
		    adsync_strerror(r));
		goto out;
	}
	r = store_sql_stmt(st, STORE_Q_ROW_PUT,
	    "INSERT OR REPLACE INTO sync_row (anchor, service, "
	    STORE_ROW_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
	    " ?10, ?11)", &s);
	if (r < 0)
		goto out;
	if ((r = store_sql_bind_guid(s, 1, &row->anchor, false)) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int(s, 2,
	    (int)row->service))) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int(s, 3, (int)row->kind))) < 0 ||
	    (r = store_sql_bind_text(s, 4, row->dn)) < 0 ||
	    (r = store_sql_bind_text(s, 5, row->domain)) < 0 ||
	    (r = store_sql_bind_text(s, 6, row->name)) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int(s, 7, row->enabled))) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int(s, 8, row->in_scope))) < 0 ||
	    (r = store_sql_bind_blob(s, 9, fields.data, fields.len)) < 0 ||
	    (r = store_sql_bind_blob(s, 10, members.data, members.len)) < 0 ||
	    (r = store_sql_bind_blob(s, 11, addresses.data,
	    addresses.len)) < 0) {
		sqlite3_reset(s);
		store_sql_failf(st, r, "storing the state row of %s: binding "
		    "failed", g);
		goto out;
	}
	r = store_sql_done(st, s, "storing a state row");
out:
	buf_fini(&addresses);
	buf_fini(&members);
	buf_fini(&fields);
	return r;
}

int
store_row_delete(struct store *st, const struct obj_guid *anchor,
    enum plan_service svc)
{
	sqlite3_stmt *s;
	int r;

	if ((r = store_sql_writable(st, "removing a state row")) < 0)
		return r;
	r = store_sql_stmt(st, STORE_Q_ROW_DEL,
	    "DELETE FROM sync_row WHERE anchor = ?1 AND service = ?2", &s);
	if (r < 0)
		return r;
	if ((r = store_sql_bind_guid(s, 1, anchor, false)) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int(s, 2, (int)svc))) < 0) {
		sqlite3_reset(s);
		return r;
	}
	return store_sql_done(st, s, "removing a state row");
}

int
store_row_count(struct store *st, size_t *out)
{
	sqlite3_stmt *s;
	int rc, r;

	r = store_sql_stmt(st, STORE_Q_ROW_COUNT,
	    "SELECT count(*) FROM sync_row", &s);
	if (r < 0)
		return r;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = (size_t)sqlite3_column_int64(s, 0);
	else
		r = store_sql_fail(st, rc, "counting state rows");
	sqlite3_reset(s);
	return r;
}

/*
 * Reads up to STORE_ROW_BATCH rows after rowid `*last` (in table order:
 * a sequential read; by (anchor, service) every row was a random page
 * read through the index) into `batch`; *n how many, *last the rowid to
 * continue from.
 */
static int
store_row_fetch(struct store *st, int64_t *last, bool whole,
    struct plan_row *batch, size_t *n)
{
	struct obj_guid a;
	sqlite3_stmt *s;
	int svc, rc, r;

	*n = 0;
	r = store_sql_stmt(st, STORE_Q_ROW_NEXT,
	    "SELECT anchor, service, " STORE_ROW_COLS ", id"
	    " FROM sync_row WHERE id > ?1 ORDER BY id LIMIT ?3", &s);
	if (r < 0)
		return r;
	if ((r = store_sql_code(sqlite3_bind_int64(s, 1, *last))) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int(s, 3,
	    STORE_ROW_BATCH))) < 0)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct plan_row *row = &batch[*n];

		plan_row_init(row);
		(*n)++;
		svc = sqlite3_column_int(s, 1);
		if ((r = store_sql_col_guid(s, 0, false, &a)) < 0 ||
		    svc < 0 || svc >= PLAN_SVC_COUNT) {
			r = store_sql_failf(st, -ADSYNC_EPARSE, "a state row "
			    "in %s has a bad anchor or service (corrupt "
			    "sync_row)", st->path);
			goto out;
		}
		row->anchor = a;
		row->service = (enum plan_service)svc;
		*last = sqlite3_column_int64(s, 11);
		if ((r = store_row_decode_as(s, 2, row, whole)) < 0) {
			r = store_row_corrupt(st, r, &a, row->service);
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		r = store_sql_fail(st, rc, "reading state rows");
out:
	sqlite3_reset(s);
	return r;
}

static int
store_row_each_as(struct store *st, bool whole,
    int (*fn)(const struct plan_row *row, void *arg), void *arg)
{
	struct plan_row batch[STORE_ROW_BATCH];
	int64_t last = 0;
	size_t n = 0, i;
	int r = 0;

	for (;;) {
		r = store_row_fetch(st, &last, whole, batch, &n);
		/* The statement is reset: fn may use the store freely. */
		for (i = 0; i < n; i++) {
			if (r == 0)
				r = fn(&batch[i], arg);
			plan_row_fini(&batch[i]);
		}
		if (r != 0 || n < STORE_ROW_BATCH)
			break;
	}
	return r;
}

int
store_row_each(struct store *st,
    int (*fn)(const struct plan_row *row, void *arg), void *arg)
{
	return store_row_each_as(st, true, fn, arg);
}

int
store_row_each_ident(struct store *st,
    int (*fn)(const struct plan_row *row, void *arg), void *arg)
{
	return store_row_each_as(st, false, fn, arg);
}

int
store_row_count_by_service(struct store *st, size_t out[PLAN_SVC_COUNT])
{
	sqlite3_stmt *s;
	int rc, r, svc;

	memset(out, 0, PLAN_SVC_COUNT * sizeof(*out));
	r = store_sql_stmt(st, STORE_Q_ROW_COUNT_SVC,
	    "SELECT service, count(*) FROM sync_row GROUP BY service", &s);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		svc = sqlite3_column_int(s, 0);
		if (svc >= 0 && svc < PLAN_SVC_COUNT)
			out[svc] = (size_t)sqlite3_column_int64(s, 1);
	}
	if (rc != SQLITE_DONE)
		r = store_sql_fail(st, rc, "counting state rows");
	sqlite3_reset(s);
	return r;
}

/*
 * Not one of the cached statements (enum store_q): it runs once per
 * metrics scrape, seconds apart, where preparing it costs microseconds
 * against the scan.
 */
int
store_row_count_by_service_state(struct store *st,
    size_t out[PLAN_SVC_COUNT][PLAN_K_COUNT][2])
{
	size_t n[PLAN_SVC_COUNT][PLAN_K_COUNT][2];
	sqlite3_stmt *s = NULL;
	int rc, r = 0, svc, kind;

	memset(n, 0, sizeof(n));
	rc = sqlite3_prepare_v2(st->db, "SELECT service, kind, enabled,"
	    " count(*) FROM sync_row GROUP BY service, kind, enabled", -1, &s,
	    NULL);
	if (rc != SQLITE_OK)
		return store_sql_fail(st, rc, "counting state rows");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		svc = sqlite3_column_int(s, 0);
		kind = sqlite3_column_int(s, 1);
		if (svc < 0 || svc >= PLAN_SVC_COUNT || kind < 0 ||
		    kind >= PLAN_K_COUNT) {
			r = store_sql_failf(st, -ADSYNC_EPARSE, "a state row in "
			    "%s has service %d and kind %d (corrupt sync_row)",
			    st->path, svc, kind);
			goto out;
		}
		n[svc][kind][sqlite3_column_int(s, 2) != 0] +=
		    (size_t)sqlite3_column_int64(s, 3);
	}
	if (rc != SQLITE_DONE) {
		r = store_sql_fail(st, rc, "counting state rows");
		goto out;
	}
	memcpy(out, n, sizeof(n));
out:
	sqlite3_finalize(s);
	return r;
}
