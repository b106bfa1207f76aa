/*
 * The spill of a streamed plan (docs/plan.md "Memory"): the ops the
 * planner hands to its sink (plan_opts.sink) are kept in temporary tables
 * of the engine's connection, not in memory, then read back in the apply
 * order a batch at a time. Temporary tables live in a file of SQLite's
 * temporary directory, vanish with the connection and are never
 * journaled, so nothing of them survives a crash: a plan is made again
 * at the next start. Engine's thread (the owner of the handle).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "store_internal.h"

/* The order of plan_op_order() (rule 10), as columns. */
#define STORE_SPILL_ORDER "phase, service, kind, domain, name, op, anchor, v0"

int
store_spill_reset(struct store *st)
{
	int r;

	if ((r = store_sql_writable(st, "starting a plan's spill")) < 0)
		return r;
	if (st->spill_txn) {
		(void)!store_sql_run(st, "ROLLBACK", "ending a plan's spill");
		st->spill_txn = false;
	}
	/* The statements name tables that are made again. */
	store_sql_finalize(st, STORE_Q_SPILL_FIRST, STORE_Q_SPILL_END);
	st->spilled = 0;
	return store_sql_run(st,
	    "DROP TABLE IF EXISTS temp.plan_rank;"
	    "DROP TABLE IF EXISTS temp.plan_spill;"
	    "CREATE TEMP TABLE plan_spill (seq INTEGER PRIMARY KEY,"
	    " phase INTEGER, service INTEGER, kind INTEGER, domain TEXT,"
	    " name TEXT, op INTEGER, anchor BLOB, v0 TEXT, body BLOB);"
	    "CREATE TEMP TABLE plan_rank (rank INTEGER PRIMARY KEY,"
	    " seq INTEGER);", "starting a plan's spill");
}

int
store_spill_put(struct store *st, const struct plan_op *op)
{
	sqlite3_stmt *s;
	struct buf b;
	int r;

	buf_init(&b, STORE_LIST_MAX);
	if ((r = store_op_check(st, op)) < 0)
		goto out;
	if ((r = store_codec_op_encode(op, &b)) < 0) {
		r = store_sql_failf(st, r, "keeping an op of the plan: %s@%s "
		    "cannot be encoded", op->name, op->domain);
		goto out;
	}
	/* One transaction for the whole spill: thousands of inserts. */
	if (!st->spill_txn) {
		if ((r = store_sql_run(st, "BEGIN", "keeping the plan")) < 0)
			goto out;
		st->spill_txn = true;
	}
	if ((r = store_sql_stmt(st, STORE_Q_SPILL_PUT,
	    "INSERT INTO plan_spill (phase, service, kind, domain, name, op,"
	    " anchor, v0, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	    &s)) < 0)
		goto out;
	sqlite3_bind_int(s, 1, (int)op->phase);
	sqlite3_bind_int(s, 2, (int)op->service);
	sqlite3_bind_int(s, 3, (int)op->kind);
	sqlite3_bind_int(s, 6, (int)op->op);
	if ((r = store_sql_bind_text(s, 4, op->domain)) < 0 ||
	    (r = store_sql_bind_text(s, 5, op->name)) < 0 ||
	    (r = store_sql_bind_blob(s, 7, op->anchor.b,
	    sizeof(op->anchor.b))) < 0 ||
	    (r = store_sql_bind_text(s, 8, op->values.n > 0 ?
	    op->values.v[0] : NULL)) < 0 ||
	    (r = store_sql_bind_blob(s, 9, b.data, b.len)) < 0)
		goto out;
	if ((r = store_sql_done(st, s, "keeping an op of the plan")) == 0)
		st->spilled++;
out:
	buf_fini(&b);
	return r;
}

int
store_spill_seal(struct store *st)
{
	int r;

	if (!st->spill_txn)
		return 0;
	r = store_sql_run(st, "INSERT INTO plan_rank (seq) SELECT seq FROM"
	    " plan_spill ORDER BY " STORE_SPILL_ORDER ", seq;"
	    "COMMIT", "ordering the plan");
	if (r < 0)
		(void)!store_sql_run(st, "ROLLBACK", "ordering the plan");
	st->spill_txn = false;
	return r;
}

int
store_spill_read(struct store *st, size_t after, size_t max,
    struct plan_op *out, size_t *n)
{
	const void *p;
	sqlite3_stmt *s;
	size_t len;
	int rc, r = 0;

	*n = 0;
	if ((r = store_sql_stmt(st, STORE_Q_SPILL_GET,
	    "SELECT s.body FROM plan_rank r JOIN plan_spill s ON s.seq = r.seq"
	    " WHERE r.rank > ?1 ORDER BY r.rank LIMIT ?2", &s)) < 0)
		return r;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)after);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		p = sqlite3_column_blob(s, 0);
		len = (size_t)sqlite3_column_bytes(s, 0);
		if ((r = store_codec_op_decode(p, len, &out[*n])) < 0) {
			plan_op_fini(&out[*n]);
			r = store_sql_failf(st, r, "reading the plan back: op "
			    "%zu does not decode", after + *n + 1);
			break;
		}
		(*n)++;
	}
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = store_sql_fail(st, rc, "reading the plan back");
	sqlite3_reset(s);
	if (r < 0) {
		while (*n > 0)
			plan_op_fini(&out[--*n]);
	}
	return r;
}

size_t
store_spill_count(const struct store *st)
{
	return st->spilled;
}

void
store_spill_drop(struct store *st)
{
	if (st == NULL || st->db == NULL)
		return;
	if (st->spill_txn) {
		(void)!store_sql_run(st, "ROLLBACK", "dropping the plan");
		st->spill_txn = false;
	}
	store_sql_finalize(st, STORE_Q_SPILL_FIRST, STORE_Q_SPILL_END);
	(void)!store_sql_run(st, "DROP TABLE IF EXISTS temp.plan_rank;"
	    "DROP TABLE IF EXISTS temp.plan_spill;", "dropping the plan");
	st->spilled = 0;
}
