/*
 * Operations in the journal: every API write of a run is journaled as
 * pending *before* the call and completed after it, so that after a crash
 * the pending ones can be reconciled with the service (was the mailbox
 * created or not?). Runs on the engine thread (reads also on a read-only
 * handle's thread).
 *
 * Durability: the pending row is committed with synchronous=FULL (the WAL
 * is fsynced before store_op_begin() returns, or, inside a group, before
 * store_commit() returns), so it survives a crash of the machine, not
 * only of the process. Ends alone use the connection's NORMAL: an end lost
 * in a crash leaves the op pending, which recovery treats as "unknown",
 * the safe reading.
 *
 * SECURITY: nothing secret is journaled. Plan ops carry no password by
 * design; a field or change named like one is refused all the same.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#include "buf.h"
#include "err.h"
#include "obj.h"
#include "store_internal.h"

/* Ops decoded per step of the iterators (no statement stays open across
 * a callback). */
#define STORE_OP_BATCH 16


static bool
store_op_secret_name(const char *name)
{
	const char *p;

	/* strcasestr() per field of every op cost a tenth of a first
	 * sync's journaling: compare only where a 'p' is. */
	if (name == NULL)
		return false;
	for (p = name; *p != '\0'; p++)
		if ((*p | 0x20) == 'p' && strncasecmp(p, "password", 8) == 0)
			return true;
	return false;
}

/* Appends `v` as a JSON string, escaped as jansson's compact dump does;
 * -EINVAL when it is not valid UTF-8 (which JSON cannot carry). */
static int
store_op_json_str(struct buf *b, const char *v)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(v), i, run;
	unsigned char c;
	int r;

	if (!obj_utf8_valid(v, len))
		return -EINVAL;
	if ((r = buf_addc(b, '"')) < 0)
		return r;
	for (i = 0; i < len; i += run) {
		/* Copy the run that needs no escape in one go. */
		for (run = 0; i + run < len; run++) {
			c = (unsigned char)v[i + run];
			if (c < 0x20 || c == '"' || c == '\\')
				break;
		}
		if (run > 0) {
			if ((r = buf_add(b, v + i, run)) < 0)
				return r;
			continue;
		}
		c = (unsigned char)v[i];
		run = 1;
		switch (c) {
		case '"': r = buf_addstr(b, "\\\""); break;
		case '\\': r = buf_addstr(b, "\\\\"); break;
		case '\b': r = buf_addstr(b, "\\b"); break;
		case '\f': r = buf_addstr(b, "\\f"); break;
		case '\n': r = buf_addstr(b, "\\n"); break;
		case '\r': r = buf_addstr(b, "\\r"); break;
		case '\t': r = buf_addstr(b, "\\t"); break;
		default:
			r = buf_printf(b, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
			break;
		}
		if (r < 0)
			return r;
	}
	return buf_addc(b, '"');
}

/*
 * The detail of `op` as owned JSON text {"fields":{...},"values":[...]},
 * or, when that would pass STORE_DETAIL_MAX, a summary with the counts.
 * Written by hand, not through a jansson tree: one op per object of a
 * first sync, where the tree cost as much as the insert.
 */
int
store_op_detail(const struct plan_op *op, char **out)
{
	struct buf b;
	size_t i;
	int r;

	buf_init(&b, STORE_DETAIL_MAX + 1);
	r = buf_addstr(&b, "{\"fields\":{");
	for (i = 0; r == 0 && i < op->fields.n; i++) {
		const struct rs_field *f = &op->fields.v[i];

		if ((i > 0 && (r = buf_addc(&b, ',')) < 0) ||
		    (r = store_op_json_str(&b, f->name)) < 0 ||
		    (r = buf_addc(&b, ':')) < 0 ||
		    (r = store_op_json_str(&b, f->value != NULL ? f->value :
		    "")) < 0)
			break;
	}
	if (r == 0)
		r = buf_addstr(&b, "},\"values\":[");
	for (i = 0; r == 0 && i < op->values.n; i++)
		if ((i > 0 && (r = buf_addc(&b, ',')) < 0) ||
		    (r = store_op_json_str(&b, op->values.v[i])) < 0)
			break;
	if (r == 0)
		r = buf_addstr(&b, "]}");
	if (r == -EINVAL || r == -ENOMEM) {
		buf_fini(&b);
		return r;
	}
	if (r < 0) {
		/* Too long (-ADSYNC_ETOOBIG): the counts only. */
		buf_fini(&b);
		buf_init(&b, 256);
		if ((r = buf_printf(&b, "{\"truncated\":true,\"fields\":%zu,"
		    "\"values\":%zu}", op->fields.n, op->values.n)) < 0) {
			buf_fini(&b);
			return r;
		}
	}
	*out = buf_take(&b);
	return *out != NULL ? 0 : -ENOMEM;
}

int
store_op_check(struct store *st, const struct plan_op *op)
{
	size_t i;

	if ((unsigned)op->op >= PLAN_OP_COUNT ||
	    (unsigned)op->service >= PLAN_SVC_COUNT ||
	    (unsigned)op->kind >= PLAN_K_COUNT)
		return store_sql_failf(st, -EINVAL, "journaling an op: "
		    "invalid op, service or kind");
	/* SECURITY: the second line of defence against a password in the
	 * audit trail. */
	for (i = 0; i < op->fields.n; i++)
		if (store_op_secret_name(op->fields.v[i].name))
			return store_sql_failf(st, -EINVAL, "refusing to "
			    "journal an op with the field %s: passwords are "
			    "never stored", op->fields.v[i].name);
	for (i = 0; i < op->nchanges; i++)
		if (store_op_secret_name(op->changes[i].field))
			return store_sql_failf(st, -EINVAL, "refusing to "
			    "journal an op with the field %s: passwords are "
			    "never stored", op->changes[i].field);
	return 0;
}

int
store_op_bind(sqlite3_stmt *s, const struct plan_op *op, const char *detail)
{
	int r;

	if ((r = store_sql_code(sqlite3_bind_int(s, 2, (int)op->op))) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int(s, 3,
	    (int)op->service))) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int(s, 4, (int)op->kind))) < 0 ||
	    (r = store_sql_bind_guid(s, 5, &op->anchor, false)) < 0 ||
	    (r = store_sql_bind_text(s, 6, op->dn != NULL ? op->dn : "")) <
	    0 ||
	    (r = store_sql_bind_text(s, 7,
	    op->domain != NULL ? op->domain : "")) < 0 ||
	    (r = store_sql_bind_text(s, 8, op->name != NULL ? op->name : "")) <
	    0 ||
	    (r = store_sql_bind_text(s, 9,
	    op->reason != NULL ? op->reason : "")) < 0)
		return r;
	return store_sql_bind_text(s, 10, detail);
}

int
store_op_begin(struct store *st, int64_t run_id, const struct plan_op *op,
    int64_t now, int64_t *id)
{
	char *detail = NULL;
	sqlite3_stmt *s;
	bool own = false;
	int r, r2;

	/* -EBUSY in a mirror transaction, which may still be trashed. */
	if ((r = store_sql_writable(st, "journaling an op")) < 0)
		goto out;
	if ((r = store_op_check(st, op)) < 0)
		goto out;
	if ((r = store_op_detail(op, &detail)) < 0) {
		store_sql_failf(st, r, "journaling an op: the fields or values "
		    "cannot be written as JSON (%s)", adsync_strerror(r));
		goto out;
	}
	/* Inside store_begin() the group's commit is the durable one. */
	if (st->txn == STORE_TXN_NONE) {
		if ((r = store_sql_sync(st, true)) < 0)
			goto out;
		own = true;
	}
	r = store_sql_stmt(st, STORE_Q_OP_BEGIN,
	    "INSERT INTO journal_op (run_id, state, op, service, kind,"
	    " anchor, dn, domain, name, reason, detail, started)"
	    " VALUES (?1, 0, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", &s);
	if (r < 0)
		goto out;
	if ((r = store_sql_code(sqlite3_bind_int64(s, 1, run_id))) < 0 ||
	    (r = store_op_bind(s, op, detail)) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int64(s, 11, now))) < 0) {
		sqlite3_reset(s);
		store_sql_failf(st, r, "journaling an op: binding failed");
		goto out;
	}
	/* An unknown run_id fails the foreign key (-EINVAL). */
	if ((r = store_sql_done(st, s, "journaling an op")) < 0)
		goto out;
	*id = sqlite3_last_insert_rowid(st->db);
out:
	if (own && (r2 = store_sql_sync(st, false)) < 0 && r == 0)
		r = r2;
	free(detail);
	return r;
}

int
store_op_end(struct store *st, int64_t id, enum store_op_state state,
    const char *result, int64_t now)
{
	sqlite3_stmt *s;
	int rc, r;

	if ((r = store_sql_writable(st, "ending an op")) < 0)
		return r;
	if (state != STORE_OP_DONE && state != STORE_OP_FAILED)
		return store_sql_failf(st, -EINVAL, "ending op %lld: the new "
		    "state must be done or failed", (long long)id);
	r = store_sql_stmt(st, STORE_Q_OP_END,
	    "UPDATE journal_op SET state = ?2, result = ?3, finished = ?4"
	    " WHERE id = ?1 AND state = 0", &s);
	if (r < 0)
		return r;
	if ((r = store_sql_code(sqlite3_bind_int64(s, 1, id))) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int(s, 2, (int)state))) < 0 ||
	    (r = store_sql_bind_text(s, 3, result != NULL ? result : "")) <
	    0 ||
	    (r = store_sql_code(sqlite3_bind_int64(s, 4, now))) < 0) {
		sqlite3_reset(s);
		return store_sql_failf(st, r, "ending op %lld: binding failed",
		    (long long)id);
	}
	if ((r = store_sql_done(st, s, "ending an op")) < 0)
		return r;
	if (sqlite3_changes(st->db) > 0)
		return 0;
	/* Nothing changed: unknown, or no longer pending. */
	r = store_sql_stmt(st, STORE_Q_OP_STATE,
	    "SELECT state FROM journal_op WHERE id = ?1", &s);
	if (r < 0)
		return r;
	if ((r = store_sql_code(sqlite3_bind_int64(s, 1, id))) < 0) {
		sqlite3_reset(s);
		return r;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		r = store_sql_failf(st, -EALREADY, "ending op %lld: it has "
		    "already ended", (long long)id);
	else if (rc == SQLITE_DONE)
		r = store_sql_failf(st, -ADSYNC_ENOTFOUND, "ending op %lld: "
		    "no such op", (long long)id);
	else
		r = store_sql_fail(st, rc, "ending an op");
	sqlite3_reset(s);
	return r;
}

/* Fills `op` from the current row of `s` (STORE_OP_COLS). */
int
store_op_read(struct store *st, sqlite3_stmt *s, struct store_op *op)
{
	int state, kind, opk, svc, r;

	memset(op, 0, sizeof(*op));
	op->id = sqlite3_column_int64(s, 0);
	op->run_id = sqlite3_column_int64(s, 1);
	state = sqlite3_column_int(s, 2);
	opk = sqlite3_column_int(s, 3);
	svc = sqlite3_column_int(s, 4);
	kind = sqlite3_column_int(s, 5);
	if (state < 0 || state > STORE_OP_SUPERSEDED || opk < 0 ||
	    opk >= PLAN_OP_COUNT || svc < 0 || svc >= PLAN_SVC_COUNT ||
	    kind < 0 || kind >= PLAN_K_COUNT ||
	    (r = store_sql_col_guid(s, 6, false, &op->anchor)) < 0)
		return store_sql_failf(st, -ADSYNC_EPARSE, "op %lld in %s does "
		    "not decode (corrupt journal_op)", (long long)op->id,
		    st->path);
	op->state = (enum store_op_state)state;
	op->op = (enum plan_opkind)opk;
	op->service = (enum plan_service)svc;
	op->kind = (enum plan_kind)kind;
	store_sql_col_copy(s, 7, op->dn, sizeof(op->dn));
	store_sql_col_copy(s, 8, op->domain, sizeof(op->domain));
	store_sql_col_copy(s, 9, op->name, sizeof(op->name));
	store_sql_col_copy(s, 10, op->reason, sizeof(op->reason));
	store_sql_col_copy(s, 11, op->detail, sizeof(op->detail));
	store_sql_col_copy(s, 12, op->result, sizeof(op->result));
	op->started = sqlite3_column_int64(s, 13);
	op->finished = sqlite3_column_int64(s, 14);
	return 0;
}

/*
 * Calls fn for the ops that statement slot `id` (parameters: ?1 after-id,
 * ?2 batch size, ?3 `run_id` when `run` is set) returns, batch by batch.
 */
int
store_op_each(struct store *st, enum store_q id, const char *sql,
    bool run, int64_t run_id,
    int (*fn)(const struct store_op *op, void *arg), void *arg)
{
	struct store_op *batch;
	sqlite3_stmt *s;
	int64_t after = 0;
	size_t n, i;
	int rc, r = 0;

	if ((batch = calloc(STORE_OP_BATCH, sizeof(*batch))) == NULL)
		return store_sql_failf(st, -ENOMEM, "reading the journal: out "
		    "of memory");
	for (;;) {
		n = 0;
		if ((r = store_sql_stmt(st, id, sql, &s)) < 0)
			goto out;
		if ((r = store_sql_code(sqlite3_bind_int64(s, 1, after))) < 0 ||
		    (r = store_sql_code(sqlite3_bind_int(s, 2,
		    STORE_OP_BATCH))) < 0 ||
		    (run && (r = store_sql_code(sqlite3_bind_int64(s, 3,
		    run_id))) < 0)) {
			sqlite3_reset(s);
			goto out;
		}
		rc = SQLITE_DONE;
		while (r == 0 && n < STORE_OP_BATCH &&
		    (rc = sqlite3_step(s)) == SQLITE_ROW)
			if ((r = store_op_read(st, s, &batch[n])) == 0)
				n++;
		if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
			r = store_sql_fail(st, rc, "reading the journal");
		sqlite3_reset(s);
		if (r < 0)
			goto out;
		/* The statement is reset: fn may write the journal. */
		for (i = 0; i < n && r == 0; i++)
			r = fn(&batch[i], arg);
		if (r != 0 || n < STORE_OP_BATCH)
			goto out;
		after = batch[n - 1].id;
	}
out:
	free(batch);
	return r;
}

int
store_op_each_pending(struct store *st,
    int (*fn)(const struct store_op *op, void *arg), void *arg)
{
	return store_op_each(st, STORE_Q_OP_PENDING,
	    "SELECT " STORE_OP_COLS " FROM journal_op"
	    " WHERE state = 0 AND id > ?1 ORDER BY id LIMIT ?2",
	    false, 0, fn, arg);
}

int
store_op_each_of_run(struct store *st, int64_t run_id,
    int (*fn)(const struct store_op *op, void *arg), void *arg)
{
	return store_op_each(st, STORE_Q_OP_OF_RUN,
	    "SELECT " STORE_OP_COLS " FROM journal_op"
	    " WHERE run_id = ?3 AND id > ?1 ORDER BY id LIMIT ?2",
	    true, run_id, fn, arg);
}

int
store_op_last_of_anchor(struct store *st, const struct obj_guid *anchor,
    struct store_op *out, size_t max, size_t *n)
{
	sqlite3_stmt *s;
	int rc, r;

	*n = 0;
	r = store_sql_stmt(st, STORE_Q_OP_OF_ANCHOR,
	    "SELECT " STORE_OP_COLS " FROM journal_op"
	    " WHERE anchor = ?1 ORDER BY id DESC LIMIT ?2", &s);
	if (r < 0)
		return r;
	if ((r = store_sql_bind_guid(s, 1, anchor, false)) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int64(s, 2,
	    (sqlite3_int64)max))) < 0) {
		sqlite3_reset(s);
		return r;
	}
	rc = SQLITE_DONE;
	while (r == 0 && *n < max && (rc = sqlite3_step(s)) == SQLITE_ROW)
		if ((r = store_op_read(st, s, &out[*n])) == 0)
			(*n)++;
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = store_sql_fail(st, rc, "reading an object's operations");
	sqlite3_reset(s);
	return r;
}

int
store_op_failures(struct store *st, const struct obj_guid *anchor,
    enum plan_service svc, enum plan_opkind op, unsigned *count,
    int64_t *last, char *result, size_t resultlen)
{
	sqlite3_stmt *s;
	int rc, r;

	*count = 0;
	*last = 0;
	if (result != NULL && resultlen > 0)
		result[0] = '\0';
	r = store_sql_stmt(st, STORE_Q_OP_FAILURES,
	    "SELECT state, finished, result FROM journal_op"
	    " WHERE anchor = ?1 AND service = ?2 AND op = ?3"
	    " ORDER BY id DESC LIMIT 16", &s);
	if (r < 0)
		return r;
	if ((r = store_sql_bind_guid(s, 1, anchor, false)) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int(s, 2, (int)svc))) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int(s, 3, (int)op))) < 0) {
		sqlite3_reset(s);
		return r;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_int(s, 0) != STORE_OP_FAILED)
			break;
		if (*count == 0) {
			*last = sqlite3_column_int64(s, 1);
			if (result != NULL)
				store_sql_col_copy(s, 2, result, resultlen);
		}
		(*count)++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = store_sql_fail(st, rc, "reading an operation's failures");
	sqlite3_reset(s);
	return r;
}

/* Adds the rows (op, state, count) of `s`, stepped to the end, to `c`. */
static int
store_op_count_rows(struct store *st, sqlite3_stmt *s, const char *table,
    struct store_op_counts *c)
{
	int rc, op, state;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		op = sqlite3_column_int(s, 0);
		state = sqlite3_column_int(s, 1);
		if (op < 0 || op >= PLAN_OP_COUNT || state < 0 ||
		    state >= STORE_OP_STATE_COUNT)
			return store_sql_failf(st, -ADSYNC_EPARSE, "an op in %s "
			    "has kind %d and state %d (corrupt %s)", st->path,
			    op, state, table);
		c->n[op][state] += (uint64_t)sqlite3_column_int64(s, 2);
	}
	if (rc != SQLITE_DONE)
		return store_sql_fail(st, rc, "counting the journal");
	return 0;
}

/* Counts the journal's ops with `after` < id <= `upto` into `c`. */
static int
store_op_count_range(struct store *st, sqlite3_stmt *s, int64_t after,
    int64_t upto, struct store_op_counts *c)
{
	int r;

	sqlite3_reset(s);
	if ((r = store_sql_code(sqlite3_bind_int64(s, 1, after))) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int64(s, 2, upto))) < 0)
		return store_sql_failf(st, r, "counting the journal: binding "
		    "failed");
	return store_op_count_rows(st, s, "journal_op", c);
}

/*
 * Not cached statements (enum store_q): they run once per metrics scrape,
 * seconds apart, where preparing them costs microseconds. Each statement
 * has its own snapshot, which is enough: the ops up to the bound read
 * first were final then and stay final, and ops journaled meanwhile get
 * ids above it.
 */
int
store_op_count_by_kind_state(struct store *st, struct store_op_tally *t,
    struct store_op_counts *out)
{
	sqlite3_stmt *bound = NULL, *range = NULL, *held = NULL;
	struct store_op_tally nt;
	struct store_op_counts c;
	int64_t upto;
	int rc, r;

	memset(&nt, 0, sizeof(nt));
	if (t != NULL)
		nt = *t;
	if ((rc = sqlite3_prepare_v2(st->db, "SELECT"
	    " (SELECT min(id) FROM journal_op WHERE state = 0 AND id > ?1),"
	    " (SELECT max(id) FROM journal_op)", -1, &bound, NULL)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_prepare_v2(st->db, "SELECT op, state, count(*)"
	    " FROM journal_op WHERE id > ?1 AND id <= ?2 GROUP BY op, state",
	    -1, &range, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_prepare_v2(st->db, "SELECT op, decision + 3,"
	    " count(*) FROM held_op GROUP BY op, decision", -1, &held,
	    NULL)) != SQLITE_OK) {
		r = store_sql_fail(st, rc, "counting the journal");
		goto out;
	}
	if (t != NULL) {
		/* The final ops after the tally: up to the oldest pending one,
		 * or to the newest op when none is pending. */
		if ((r = store_sql_code(sqlite3_bind_int64(bound, 1,
		    nt.settled_id))) < 0)
			goto out;
		if ((rc = sqlite3_step(bound)) != SQLITE_ROW) {
			r = store_sql_fail(st, rc, "counting the journal");
			goto out;
		}
		if (sqlite3_column_type(bound, 0) != SQLITE_NULL)
			upto = sqlite3_column_int64(bound, 0) - 1;
		else if (sqlite3_column_type(bound, 1) != SQLITE_NULL)
			upto = sqlite3_column_int64(bound, 1);
		else
			upto = nt.settled_id;
		if (upto > nt.settled_id) {
			if ((r = store_op_count_range(st, range, nt.settled_id,
			    upto, &nt.settled)) < 0)
				goto out;
			nt.settled_id = upto;
		}
	}
	c = nt.settled;
	if ((r = store_op_count_range(st, range, nt.settled_id, INT64_MAX,
	    &c)) < 0 ||
	    (r = store_op_count_rows(st, held, "held_op", &c)) < 0)
		goto out;
	*out = c;
	if (t != NULL)
		*t = nt;
out:
	sqlite3_finalize(held);
	sqlite3_finalize(range);
	sqlite3_finalize(bound);
	return r;
}

/*
 * A page of the journaled operations of run `run_id` that match `f`, and
 * how many match, in SQL: the console's run page stays as fast at 100,000
 * operations as at 100 (the LIKE scans the run's rows through the
 * journal_op_run index, and only the page is decoded). Statements are
 * prepared per call: a page view is rare.
 */
int
store_op_page_of_run(struct store *st, int64_t run_id,
    const struct store_op_filter *f, int64_t offset, int64_t limit,
    int (*fn)(const struct store_op *op, void *arg), void *arg,
    size_t *total)
{
	static const char where[] =
	    " FROM journal_op WHERE run_id = ?1"
	    " AND (?2 < 0 OR state = ?2)"
	    " AND (?3 IS NULL OR name LIKE ?3 ESCAPE '\\'"
	    "  OR domain LIKE ?3 ESCAPE '\\' OR dn LIKE ?3 ESCAPE '\\'"
	    "  OR result LIKE ?3 ESCAPE '\\' OR op = ?4)";
	char sql[1024], *pat = NULL;
	struct store_op *op = NULL;
	sqlite3_stmt *s = NULL;
	int pass, rc, r = 0;

	*total = 0;
	if (f->q != NULL && f->q[0] != '\0' &&
	    (pat = store_search_like(f->q)) == NULL)
		return -ENOMEM;
	if ((op = calloc(1, sizeof(*op))) == NULL) {
		free(pat);
		return -ENOMEM;
	}
	for (pass = 0; pass < 2 && r == 0; pass++) {
		snprintf(sql, sizeof(sql), pass == 0 ?
		    "SELECT count(*)%s" : "SELECT " STORE_OP_COLS
		    "%s ORDER BY id LIMIT ?5 OFFSET ?6", where);
		rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
		if (rc != SQLITE_OK) {
			r = store_sql_fail(st, rc, "preparing a run's page");
			break;
		}
		if ((r = store_sql_code(sqlite3_bind_int64(s, 1, run_id))) < 0 ||
		    (r = store_sql_code(sqlite3_bind_int(s, 2, f->state))) < 0 ||
		    (r = store_sql_bind_text(s, 3, pat)) < 0 ||
		    (r = store_sql_code(sqlite3_bind_int(s, 4, f->op))) < 0 ||
		    (pass == 1 && ((r = store_sql_code(sqlite3_bind_int64(s, 5,
		    limit))) < 0 || (r = store_sql_code(sqlite3_bind_int64(s,
		    6, offset))) < 0))) {
			sqlite3_finalize(s);
			break;
		}
		while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
			if (pass == 0) {
				*total = (size_t)sqlite3_column_int64(s, 0);
				continue;
			}
			if ((r = store_op_read(st, s, op)) == 0)
				r = fn(op, arg);
		}
		if (r == 0 && rc != SQLITE_DONE)
			r = store_sql_fail(st, rc, "reading a run's page");
		sqlite3_finalize(s);
	}
	free(op);
	free(pat);
	return r;
}

int
store_op_count_states_of_run(struct store *st, int64_t run_id,
    size_t out[STORE_OP_SUPERSEDED + 1])
{
	sqlite3_stmt *s = NULL;
	int rc, r = 0, state;

	memset(out, 0, (STORE_OP_SUPERSEDED + 1) * sizeof(*out));
	rc = sqlite3_prepare_v2(st->db, "SELECT state, count(*) FROM "
	    "journal_op WHERE run_id = ?1 GROUP BY state", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_sql_fail(st, rc, "counting a run's operations");
	if ((r = store_sql_code(sqlite3_bind_int64(s, 1, run_id))) == 0) {
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			state = sqlite3_column_int(s, 0);
			if (state >= 0 && state <= STORE_OP_SUPERSEDED)
				out[state] = (size_t)sqlite3_column_int64(s, 1);
		}
		if (rc != SQLITE_DONE)
			r = store_sql_fail(st, rc, "counting a run's operations");
	}
	sqlite3_finalize(s);
	return r;
}
