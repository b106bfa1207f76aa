/*
 * Removals held back by the mass-removal guard (table held_op, schema
 * version 2) and the administrator's decision on them: `adsync approve RUN`
 * lets the held removals of a run through the next cycle's guard, `adsync
 * reject RUN` keeps them out of later plans while they stay the same
 * removal. Only the newest held run is waiting: holding again supersedes
 * the older ones. The engine's thread writes; any handle reads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "store_internal.h"

/* held_op read as journal_op's columns (STORE_OP_COLS), so that
 * store_op_read() decodes both: decision 0..3 is STORE_OP_HELD.. */
#define STORE_HELD_COLS "id, run_id, decision + 3, op, service, kind," \
	" anchor, dn, domain, name, reason, detail, '', decided, decided"

int
store_held_put(struct store *st, int64_t run_id, const struct plan_op *op,
    int64_t now)
{
	char *detail = NULL;
	sqlite3_stmt *s;
	int r;

	(void)now;
	if ((r = store_sql_writable(st, "recording a held op")) < 0 ||
	    (r = store_op_check(st, op)) < 0)
		return r;
	if ((r = store_op_detail(op, &detail)) < 0)
		return store_sql_failf(st, r, "recording a held op: the fields "
		    "cannot be written as JSON");
	r = store_sql_stmt(st, STORE_Q_HELD_PUT,
	    "INSERT INTO held_op (run_id, op, service, kind, anchor, dn,"
	    " domain, name, reason, detail)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", &s);
	if (r < 0)
		goto out;
	if ((r = store_sql_code(sqlite3_bind_int64(s, 1, run_id))) < 0 ||
	    (r = store_op_bind(s, op, detail)) < 0) {
		sqlite3_reset(s);
		goto out;
	}
	r = store_sql_done(st, s, "recording a held op");
out:
	free(detail);
	return r;
}

int
store_held_each_of_run(struct store *st, int64_t run_id,
    int (*fn)(const struct store_op *op, void *arg), void *arg)
{
	return store_op_each(st, STORE_Q_HELD_OF_RUN,
	    "SELECT " STORE_HELD_COLS " FROM held_op"
	    " WHERE run_id = ?3 AND id > ?1 ORDER BY id LIMIT ?2",
	    true, run_id, fn, arg);
}

int
store_held_each_in(struct store *st, enum store_op_state state,
    int (*fn)(const struct store_op *op, void *arg), void *arg)
{
	if (state < STORE_OP_HELD || state > STORE_OP_SUPERSEDED)
		return -EINVAL;
	return store_op_each(st, STORE_Q_HELD_IN,
	    "SELECT " STORE_HELD_COLS " FROM held_op"
	    " WHERE decision = ?3 - 3 AND id > ?1 ORDER BY id LIMIT ?2",
	    true, (int64_t)state, fn, arg);
}

/* One UPDATE of held_op; its parameters ?1.. (as many as `sql` has, at
 * most four) take a, b, c, d in order. */
static int
store_held_update(struct store *st, enum store_q id, const char *sql,
    int64_t a, int64_t b, int64_t c, int64_t d, size_t *n)
{
	const int64_t v[4] = { a, b, c, d };
	sqlite3_stmt *s;
	int i, np, r;

	if ((r = store_sql_writable(st, "deciding on held ops")) < 0 ||
	    (r = store_sql_stmt(st, id, sql, &s)) < 0)
		return r;
	np = sqlite3_bind_parameter_count(s);
	for (i = 0; i < np && i < 4; i++)
		if ((r = store_sql_code(sqlite3_bind_int64(s, i + 1,
		    v[i]))) < 0) {
			sqlite3_reset(s);
			return r;
		}
	if ((r = store_sql_done(st, s, "deciding on held ops")) == 0 &&
	    n != NULL)
		*n = (size_t)sqlite3_changes(st->db);
	return r;
}

int
store_held_decide(struct store *st, int64_t run_id, enum store_op_state from,
    enum store_op_state to, int64_t now, size_t *n)
{
	if (from < STORE_OP_HELD || from > STORE_OP_SUPERSEDED ||
	    to < STORE_OP_HELD || to > STORE_OP_SUPERSEDED)
		return -EINVAL;
	return store_held_update(st, STORE_Q_HELD_DECIDE,
	    "UPDATE held_op SET decision = ?3 - 3, decided = ?4"
	    " WHERE run_id = ?1 AND decision = ?2 - 3",
	    run_id, (int64_t)from, (int64_t)to, now, n);
}

int
store_held_set(struct store *st, int64_t id, enum store_op_state to,
    int64_t now)
{
	if (to < STORE_OP_HELD || to > STORE_OP_SUPERSEDED)
		return -EINVAL;
	return store_held_update(st, STORE_Q_HELD_SET,
	    "UPDATE held_op SET decision = ?2 - 3, decided = ?3"
	    " WHERE id = ?1",
	    id, (int64_t)to, now, 0, NULL);
}

int
store_held_supersede(struct store *st, int64_t run_id, int64_t now)
{
	return store_held_update(st, STORE_Q_HELD_SUPERSEDE,
	    "UPDATE held_op SET decision = 3, decided = ?2"
	    " WHERE decision = 0 AND run_id < ?1",
	    run_id, now, 0, 0, NULL);
}
