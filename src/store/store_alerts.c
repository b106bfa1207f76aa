/*
 * Alerts: what the last plan said a person must fix, with when each alert
 * was first and last seen, and the history of resolved ones (an alert
 * that a later plan no longer raises). Keyed by (anchor, service,
 * message). Runs on the engine thread (reads also on a read-only handle's
 * thread). The messages are the planner's sentences; they name objects
 * and fields, never secrets.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "store_internal.h"

#define STORE_ALERT_BATCH 16

static int
store_alerts_upsert(struct store *st, const struct plan_alert *a,
    int64_t now)
{
	sqlite3_stmt *s;
	int r;

	if ((unsigned)a->level > PLAN_ALERT_HELD ||
	    (unsigned)a->service > PLAN_SVC_COUNT || a->message == NULL)
		return store_sql_failf(st, -EINVAL, "storing alerts: an alert "
		    "with an invalid level or service, or no message");
	r = store_sql_stmt(st, STORE_Q_ALERT_UPSERT,
	    "INSERT INTO alert (anchor, service, message, level, dn,"
	    " first_seen, last_seen, mark)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, 1)"
	    " ON CONFLICT (anchor, service, message) DO UPDATE SET"
	    " level = excluded.level, dn = excluded.dn,"
	    " last_seen = excluded.last_seen, mark = 1", &s);
	if (r < 0)
		return r;
	if ((r = store_sql_bind_guid(s, 1, &a->anchor, false)) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int(s, 2, (int)a->service))) <
	    0 ||
	    (r = store_sql_bind_text(s, 3, a->message)) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int(s, 4, (int)a->level))) < 0 ||
	    (r = store_sql_bind_text(s, 5, a->dn != NULL ? a->dn : "")) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int64(s, 6, now))) < 0) {
		sqlite3_reset(s);
		return store_sql_failf(st, r, "storing alerts: binding failed");
	}
	return store_sql_done(st, s, "storing an alert");
}

/* Unmarks the current alerts of `anchors` (all of them when NULL). */
static int
store_alerts_unmark(struct store *st, const struct obj_guid *anchors,
    size_t nanchors)
{
	sqlite3_stmt *s;
	size_t i;
	int r;

	if (anchors == NULL)
		return store_sql_simple(st, STORE_Q_ALERT_UNMARK,
		    "UPDATE alert SET mark = 0", "storing alerts");
	for (i = 0; i < nanchors; i++) {
		if ((r = store_sql_stmt(st, STORE_Q_ALERT_UNMARK_ONE,
		    "UPDATE alert SET mark = 0 WHERE anchor = ?1", &s)) < 0)
			return r;
		if ((r = store_sql_bind_guid(s, 1, &anchors[i], false)) < 0) {
			sqlite3_reset(s);
			return r;
		}
		if ((r = store_sql_done(st, s, "storing alerts")) < 0)
			return r;
	}
	return 0;
}

int
store_alerts_set(struct store *st, const struct plan_alert *alerts,
    size_t n, int64_t now)
{
	return store_alerts_set_some(st, alerts, n, NULL, 0, now);
}

int
store_alerts_set_some(struct store *st, const struct plan_alert *alerts,
    size_t n, const struct obj_guid *anchors, size_t nanchors, int64_t now)
{
	sqlite3_stmt *s;
	bool own = false;
	size_t i;
	int r;

	if ((r = store_sql_writable(st, "storing alerts")) < 0)
		return r;
	/* One transaction, the caller's or ours: the set changes whole. */
	if (st->txn == STORE_TXN_NONE) {
		if ((r = store_begin(st)) < 0)
			return r;
		own = true;
	}
	if ((r = store_alerts_unmark(st, anchors, nanchors)) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if ((r = store_alerts_upsert(st, &alerts[i], now)) < 0)
			goto out;
	r = store_sql_stmt(st, STORE_Q_ALERT_ARCHIVE,
	    "INSERT INTO alert_history (anchor, service, message, level, dn,"
	    " first_seen, last_seen, resolved)"
	    " SELECT anchor, service, message, level, dn, first_seen,"
	    " last_seen, ?1 FROM alert WHERE mark = 0 ORDER BY id", &s);
	if (r < 0)
		goto out;
	if ((r = store_sql_code(sqlite3_bind_int64(s, 1, now))) < 0) {
		sqlite3_reset(s);
		goto out;
	}
	if ((r = store_sql_done(st, s, "archiving resolved alerts")) < 0)
		goto out;
	r = store_sql_simple(st, STORE_Q_ALERT_PURGE,
	    "DELETE FROM alert WHERE mark = 0", "archiving resolved alerts");
out:
	if (own) {
		if (r == 0)
			r = store_commit(st);
		else
			store_rollback(st);
	}
	return r;
}

/* Fills `a` from columns level, service, anchor, dn, message, first_seen,
 * last_seen, resolved. */
static int
store_alerts_read(struct store *st, sqlite3_stmt *s, struct store_alert *a)
{
	int level, svc;

	memset(a, 0, sizeof(*a));
	level = sqlite3_column_int(s, 0);
	svc = sqlite3_column_int(s, 1);
	if (level < 0 || level > PLAN_ALERT_HELD || svc < 0 ||
	    svc > PLAN_SVC_COUNT ||
	    store_sql_col_guid(s, 2, false, &a->anchor) < 0)
		return store_sql_failf(st, -ADSYNC_EPARSE, "an alert in %s does "
		    "not decode (corrupt alert table)", st->path);
	a->level = (enum plan_level)level;
	a->service = (enum plan_service)svc;
	store_sql_col_copy(s, 3, a->dn, sizeof(a->dn));
	store_sql_col_copy(s, 4, a->message, sizeof(a->message));
	a->first_seen = sqlite3_column_int64(s, 5);
	a->last_seen = sqlite3_column_int64(s, 6);
	a->resolved = sqlite3_column_int64(s, 7);
	return 0;
}

/*
 * Calls fn for the alerts that slot `id` returns batch by batch; the
 * statement takes the key to continue after (?1, ?2), starting from
 * (start, start), and the batch size ?3. `max` 0: no limit.
 */
static int
store_alerts_iter(struct store *st, enum store_q id, const char *sql,
    int64_t start, size_t max,
    int (*fn)(const struct store_alert *a, void *arg), void *arg)
{
	struct store_alert *batch;
	int64_t *keys = NULL, k1 = start, k2 = start;
	sqlite3_stmt *s;
	size_t n, i, done = 0, want;
	int rc, r = 0;

	batch = calloc(STORE_ALERT_BATCH, sizeof(*batch));
	keys = calloc(STORE_ALERT_BATCH, sizeof(*keys));
	if (batch == NULL || keys == NULL) {
		r = store_sql_failf(st, -ENOMEM, "reading alerts: out of "
		    "memory");
		goto out;
	}
	for (;;) {
		want = STORE_ALERT_BATCH;
		if (max > 0 && max - done < want)
			want = max - done;
		if (want == 0)
			goto out;
		n = 0;
		if ((r = store_sql_stmt(st, id, sql, &s)) < 0)
			goto out;
		if ((r = store_sql_code(sqlite3_bind_int64(s, 1, k1))) < 0 ||
		    (r = store_sql_code(sqlite3_bind_int64(s, 2, k2))) < 0 ||
		    (r = store_sql_code(sqlite3_bind_int64(s, 3,
		    (int64_t)want))) < 0) {
			sqlite3_reset(s);
			goto out;
		}
		rc = SQLITE_DONE;
		while (r == 0 && n < want &&
		    (rc = sqlite3_step(s)) == SQLITE_ROW) {
			if ((r = store_alerts_read(st, s, &batch[n])) < 0)
				break;
			/* Column 8 is the id, the tie-breaker of the key. */
			keys[n] = sqlite3_column_int64(s, 8);
			n++;
		}
		if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
			r = store_sql_fail(st, rc, "reading alerts");
		sqlite3_reset(s);
		if (r < 0)
			goto out;
		for (i = 0; i < n && r == 0; i++)
			r = fn(&batch[i], arg);
		done += n;
		if (r != 0 || n < want)
			goto out;
		k1 = id == STORE_Q_ALERT_EACH ? batch[n - 1].first_seen :
		    batch[n - 1].resolved;
		k2 = keys[n - 1];
	}
out:
	free(keys);
	free(batch);
	return r;
}

int
store_alerts_each(struct store *st,
    int (*fn)(const struct store_alert *a, void *arg), void *arg)
{
	return store_alerts_iter(st, STORE_Q_ALERT_EACH,
	    "SELECT level, service, anchor, dn, message, first_seen,"
	    " last_seen, 0, id FROM alert"
	    " WHERE (first_seen, id) > (?1, ?2)"
	    " ORDER BY first_seen, id LIMIT ?3", INT64_MIN, 0, fn, arg);
}

int
store_alerts_each_resolved(struct store *st, size_t max,
    int (*fn)(const struct store_alert *a, void *arg), void *arg)
{
	return store_alerts_iter(st, STORE_Q_ALERT_HIST,
	    "SELECT level, service, anchor, dn, message, first_seen,"
	    " last_seen, resolved, id FROM alert_history"
	    " WHERE (resolved, id) < (?1, ?2)"
	    " ORDER BY resolved DESC, id DESC LIMIT ?3", INT64_MAX, max, fn,
	    arg);
}

int
store_alert_count(struct store *st, size_t *out)
{
	sqlite3_stmt *s;
	int rc, r;

	r = store_sql_stmt(st, STORE_Q_ALERT_COUNT,
	    "SELECT count(*) FROM alert", &s);
	if (r < 0)
		return r;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = (size_t)sqlite3_column_int64(s, 0);
	else
		r = store_sql_fail(st, rc, "counting alerts");
	sqlite3_reset(s);
	return r;
}
