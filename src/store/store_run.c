/*
 * Runs in the journal: one row per sync run (when, why it started, how it
 * ended, its summary counts), the head of the audit trail that `adsync`
 * subcommands and the web console read. Runs on the engine thread (reads
 * also on a read-only handle's thread). Inputs are the engine's own.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "store_internal.h"

static int64_t
store_run_clamp(unsigned long v)
{
	return (uint64_t)v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

int
store_run_begin(struct store *st, const char *trigger, int64_t now,
    int64_t *id)
{
	sqlite3_stmt *s;
	int r;

	if ((r = store_sql_writable(st, "starting a run record")) < 0)
		return r;
	r = store_sql_stmt(st, STORE_Q_RUN_BEGIN,
	    "INSERT INTO journal_run (started, run_trigger) VALUES (?1, ?2)",
	    &s);
	if (r < 0)
		return r;
	if ((r = store_sql_code(sqlite3_bind_int64(s, 1, now))) < 0 ||
	    (r = store_sql_bind_text(s, 2, trigger != NULL ? trigger : "")) <
	    0) {
		sqlite3_reset(s);
		return store_sql_failf(st, r, "starting a run record: "
		    "binding failed");
	}
	if ((r = store_sql_done(st, s, "starting a run record")) < 0)
		return r;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_run_end(struct store *st, int64_t id, enum store_run_status status,
    const struct store_run_counts *counts, const char *message, int64_t now)
{
	static const struct store_run_counts zero;
	sqlite3_stmt *s;
	int r;

	if ((r = store_sql_writable(st, "ending a run record")) < 0)
		return r;
	if ((unsigned)status > STORE_RUN_HELD)
		return store_sql_failf(st, -EINVAL, "ending run %lld: invalid "
		    "status", (long long)id);
	if (counts == NULL)
		counts = &zero;
	r = store_sql_stmt(st, STORE_Q_RUN_END,
	    "UPDATE journal_run SET finished = ?2, status = ?3,"
	    " n_created = ?4, n_updated = ?5, n_enabled = ?6,"
	    " n_disabled = ?7, n_deleted = ?8, n_errors = ?9,"
	    " n_alerts = ?10, n_held = ?11, n_api_calls = ?12,"
	    " message = ?13 WHERE id = ?1", &s);
	if (r < 0)
		return r;
	if ((r = store_sql_code(sqlite3_bind_int64(s, 1, id))) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int64(s, 2, now))) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int(s, 3, (int)status))) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int64(s, 4,
	    store_run_clamp(counts->created)))) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int64(s, 5,
	    store_run_clamp(counts->updated)))) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int64(s, 6,
	    store_run_clamp(counts->enabled)))) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int64(s, 7,
	    store_run_clamp(counts->disabled)))) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int64(s, 8,
	    store_run_clamp(counts->deleted)))) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int64(s, 9,
	    store_run_clamp(counts->errors)))) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int64(s, 10,
	    store_run_clamp(counts->alerts)))) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int64(s, 11,
	    store_run_clamp(counts->held)))) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int64(s, 12,
	    store_run_clamp(counts->api_calls)))) < 0 ||
	    (r = store_sql_bind_text(s, 13, message != NULL ? message : "")) <
	    0) {
		sqlite3_reset(s);
		return store_sql_failf(st, r, "ending run %lld: binding "
		    "failed", (long long)id);
	}
	if ((r = store_sql_done(st, s, "ending a run record")) < 0)
		return r;
	if (sqlite3_changes(st->db) == 0)
		return store_sql_failf(st, -ADSYNC_ENOTFOUND, "ending run "
		    "%lld: no such run", (long long)id);
	return 0;
}

static unsigned long
store_run_count_col(sqlite3_stmt *s, int i)
{
	int64_t v = sqlite3_column_int64(s, i);

	return v < 0 ? 0 : (unsigned long)v;
}

int
store_run_list(struct store *st, struct store_run *out, size_t max,
    size_t *n)
{
	return store_run_page(st, INT64_MAX, out, max, n);
}

int
store_run_page(struct store *st, int64_t from, struct store_run *out,
    size_t max, size_t *n)
{
	struct store_run *run;
	sqlite3_stmt *s;
	size_t got = 0;
	int status, rc = SQLITE_DONE, r;

	if (max == 0) {
		*n = 0;
		return 0;
	}
	r = store_sql_stmt(st, STORE_Q_RUN_LIST,
	    "SELECT id, started, finished, run_trigger, status, n_created,"
	    " n_updated, n_enabled, n_disabled, n_deleted, n_errors,"
	    " n_alerts, n_held, n_api_calls, message"
	    " FROM journal_run WHERE id <= ?2 ORDER BY id DESC LIMIT ?1",
	    &s);
	if (r < 0)
		return r;
	if ((r = store_sql_code(sqlite3_bind_int64(s, 1,
	    max > INT64_MAX ? INT64_MAX : (int64_t)max))) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int64(s, 2, from))) < 0)
		goto out;
	while (got < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		run = &out[got];
		memset(run, 0, sizeof(*run));
		run->id = sqlite3_column_int64(s, 0);
		run->started = sqlite3_column_int64(s, 1);
		run->finished = sqlite3_column_int64(s, 2);
		store_sql_col_copy(s, 3, run->trigger, sizeof(run->trigger));
		status = sqlite3_column_int(s, 4);
		if (status < 0 || status > STORE_RUN_HELD) {
			r = store_sql_failf(st, -ADSYNC_EPARSE, "run %lld in "
			    "%s has an invalid status (corrupt journal_run)",
			    (long long)run->id, st->path);
			goto out;
		}
		run->status = (enum store_run_status)status;
		run->counts.created = store_run_count_col(s, 5);
		run->counts.updated = store_run_count_col(s, 6);
		run->counts.enabled = store_run_count_col(s, 7);
		run->counts.disabled = store_run_count_col(s, 8);
		run->counts.deleted = store_run_count_col(s, 9);
		run->counts.errors = store_run_count_col(s, 10);
		run->counts.alerts = store_run_count_col(s, 11);
		run->counts.held = store_run_count_col(s, 12);
		run->counts.api_calls = store_run_count_col(s, 13);
		store_sql_col_copy(s, 14, run->message, sizeof(run->message));
		got++;
	}
	if (got < max && rc != SQLITE_DONE) {
		r = store_sql_fail(st, rc, "listing runs");
		goto out;
	}
	*n = got;
out:
	sqlite3_reset(s);
	return r;
}

const char *
store_op_state_name(enum store_op_state s)
{
	static const char *const name[] = { "pending", "done", "failed",
	    "held", "approved", "rejected", "superseded" };

	return (unsigned)s < sizeof(name) / sizeof(name[0]) ? name[s] :
	    "unknown";
}

const char *
store_run_status_name(enum store_run_status s)
{
	switch (s) {
	case STORE_RUN_OK:
		return "ok";
	case STORE_RUN_PARTIAL:
		return "partial";
	case STORE_RUN_HELD:
		return "held";
	case STORE_RUN_FAILED:
		return "failed";
	default:
		return "running";
	}
}

int
store_run_close_stale(struct store *st, int64_t current, const char *message,
    int64_t now, size_t *n)
{
	sqlite3_stmt *s;
	int r;

	*n = 0;
	if ((r = store_sql_writable(st, "closing interrupted runs")) < 0 ||
	    (r = store_sql_stmt(st, STORE_Q_RUN_CLOSE_STALE,
	    "UPDATE journal_run SET status = 3, finished = ?3, message = ?2"
	    " WHERE status = 0 AND id < ?1", &s)) < 0)
		return r;
	if ((r = store_sql_code(sqlite3_bind_int64(s, 1, current))) < 0 ||
	    (r = store_sql_bind_text(s, 2, message)) < 0 ||
	    (r = store_sql_code(sqlite3_bind_int64(s, 3, now))) < 0) {
		sqlite3_reset(s);
		return r;
	}
	if ((r = store_sql_done(st, s, "closing interrupted runs")) == 0)
		*n = (size_t)sqlite3_changes(st->db);
	return r;
}
