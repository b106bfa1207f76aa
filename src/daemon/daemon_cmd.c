/*
 * The control socket's commands, on the loop thread. A request is
 * {"cmd": NAME, ...arguments}; every answer is a JSON object, with "error"
 * (a sentence naming the fix) when the command cannot be done. History and
 * alerts are read through the loop's own read-only store handle, so a
 * command never waits for the engine (SQLite WAL: readers and the writer do
 * not block each other). Trusts nothing in the request beyond what src/ctl
 * checked (a JSON object from root or the daemon's user).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_internal.h"
#include "err.h"
#include "log.h"
#include "plan.h"
#include "pwsync.h"
#include "timing.h"
#include "xmalloc.h"

json_t *
dm_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:s}", "error", msg);
}

json_t *
dm_counts_json(const struct store_run_counts *c)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "created", (json_int_t)c->created,
	    "updated", (json_int_t)c->updated,
	    "enabled", (json_int_t)c->enabled,
	    "disabled", (json_int_t)c->disabled,
	    "deleted", (json_int_t)c->deleted,
	    "errors", (json_int_t)c->errors,
	    "alerts", (json_int_t)c->alerts,
	    "held", (json_int_t)c->held,
	    "api_calls", (json_int_t)c->api_calls);
}

json_t *
dm_cmd_result_json(const struct dm_result *res)
{
	json_t *j;

	j = json_pack("{s:s,s:I,s:s,s:I,s:I,s:b,s:I,s:f,s:f,s:f,s:s,s:o}",
	    "trigger", res->trigger,
	    "run", (json_int_t)res->run_id,
	    "status", store_run_status_name(res->status),
	    "started", (json_int_t)res->started,
	    "ended", (json_int_t)res->ended,
	    "full_read", res->full_read,
	    "operations", (json_int_t)res->nops,
	    "read_seconds", res->secs_read,
	    "plan_seconds", res->secs_plan,
	    "apply_seconds", res->secs_apply,
	    "dc", res->dc,
	    "counts", dm_counts_json(&res->counts));
	if (j != NULL && res->why[0] != '\0')
		json_object_set_new(j, "error", json_string(res->why));
	return j;
}

/* The read-only store handle, opened on first use (the engine creates the
 * database on its first cycle). NULL with `why` when not there yet. */
struct store *
dm_ro(struct daemon *d, char *why, size_t whylen)
{
	if (d->ro == NULL && store_open_readonly(d->conf->sync.state_dir,
	    &d->ro, why, whylen) < 0) {
		d->ro = NULL;
		return NULL;
	}
	return d->ro;
}

struct dm_list {
	json_t *arr;
};

static int
dm_pw_alert_cb(void *arg, const struct pw_alert *a)
{
	struct dm_list *l = arg;

	json_array_append_new(l->arr, json_pack(
	    "{s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "level", "error",
	    "service", "password", "guid", a->guid, "dn", a->dn,
	    "message", a->message, "first_seen", (json_int_t)a->first_seen,
	    "last_seen", (json_int_t)a->last_seen));
	return 0;
}

/* The password sync's alerts (pw.db, written by its own thread) appended
 * to `l`, and their number; nothing when there is no pw.db yet. */
static size_t
dm_pw_alerts(struct daemon *d, struct dm_list *l)
{
	struct dm_list tmp = { json_array() };
	struct pw_db *db = NULL;
	char why[512];
	size_t n;

	if (pw_db_open(d->conf->sync.state_dir, true, &db, why,
	    sizeof(why)) < 0) {
		json_decref(tmp.arr);
		return 0;
	}
	(void)pw_db_alert_each(db, dm_pw_alert_cb, l != NULL ? l : &tmp);
	pw_db_close(db);
	n = json_array_size(l != NULL ? l->arr : tmp.arr);
	json_decref(tmp.arr);
	return n;
}

/* The running cycle: trigger, start, stage, operations done of total,
 * the rate so far and the time left at that rate. */
static json_t *
dm_cmd_progress(struct daemon *d)
{
	static const char *const stage[] = { "starting", "reading AD",
	    "planning", "applying" };
	struct sync_progress *p = &d->engine.progress;
	int st = atomic_load(&p->stage);
	size_t done = atomic_load(&p->done), total = atomic_load(&p->total);
	double secs, rate;
	json_t *j;

	j = json_pack("{s:s,s:I,s:s}", "trigger", d->running_trigger,
	    "since", (json_int_t)d->running_since, "stage",
	    stage[st >= 0 && st <= 3 ? st : 0]);
	if (j == NULL || st != 3)
		return j;
	secs = (double)(timing_now_ms() - atomic_load(&p->apply_started_ms)) /
	    1000.0;
	rate = secs > 0 ? (double)done / secs : 0.0;
	json_object_set_new(j, "done", json_integer((json_int_t)done));
	json_object_set_new(j, "total", json_integer((json_int_t)total));
	json_object_set_new(j, "rate", json_real(rate));
	if (rate > 0 && total > done)
		json_object_set_new(j, "eta_seconds", json_integer(
		    (json_int_t)((double)(total - done) / rate + 0.5)));
	return j;
}

static int
dm_cmd_held_cb(const struct store_op *op, void *arg)
{
	*(int64_t *)arg = op->run_id;
	return 1;	/* the first is enough */
}

struct dm_dcs {
	size_t n, quiet, revoked;
	time_t now;
};

static int
dm_dc_cb(void *arg, const struct pw_dc *dc)
{
	struct dm_dcs *c = arg;

	c->n++;
	if (dc->revoked != 0)
		c->revoked++;
	else if (c->now - dc->last_heartbeat > PW_DC_QUIET_S)
		c->quiet++;
	return 0;
}

/* The password sync at a glance: the receiver, queued changes, enrolled
 * DCs and how many went quiet (`adsync hook status` has the detail). */
static json_t *
dm_pw_status(struct daemon *d)
{
	struct dm_dcs c = { 0, 0, 0, time(NULL) };
	struct pw_db *db = NULL;
	uint64_t queued = 0;
	char why[512];

	if (d->pw == NULL)
		return NULL;
	if (pw_db_open(d->conf->sync.state_dir, true, &db, why,
	    sizeof(why)) == 0) {
		(void)pw_db_queue_count(db, &queued);
		(void)pw_db_dc_each(db, dm_dc_cb, &c);
		pw_db_close(db);
	}
	return json_pack("{s:s,s:I,s:I,s:I,s:I}", "receiver",
	    pw_sync_receiver_addr(d->pw), "queued", (json_int_t)queued,
	    "dcs", (json_int_t)c.n, "quiet", (json_int_t)c.quiet,
	    "revoked", (json_int_t)c.revoked);
}

static json_t *
dm_cmd_status(struct daemon *d)
{
	int64_t now = timing_now_ms(), next;
	char why[512];
	struct store *st;
	size_t alerts = 0, by[PLAN_SVC_COUNT];
	int64_t held;
	json_t *j, *pw;
	int r;

	if (dm_setup_missing(d->conf, why, sizeof(why)))
		return json_pack("{s:s,s:s,s:I,s:I}", "state", "setup",
		    "setup", why, "started", (json_int_t)d->started,
		    "cycles", (json_int_t)d->cycles);
	j = json_pack("{s:s,s:I,s:I,s:b,s:b,s:s}",
	    "state", d->busy ? "syncing" : "idle",
	    "started", (json_int_t)d->started,
	    "cycles", (json_int_t)d->cycles,
	    "pending", d->pending,
	    "notifications", d->notify_ok,
	    "sandbox", d->sandbox);
	if (j == NULL)
		return NULL;
	if (!d->notify_ok && d->notify_why[0] != '\0')
		json_object_set_new(j, "notifications_why",
		    json_string(d->notify_why));
	if (d->busy)
		json_object_set_new(j, "running", dm_cmd_progress(d));
	/* Operations still to send: the rest of the running cycle's. */
	json_object_set_new(j, "queue", json_integer(d->busy &&
	    atomic_load(&d->engine.progress.stage) == 3 ?
	    (json_int_t)(atomic_load(&d->engine.progress.total) -
	    atomic_load(&d->engine.progress.done)) : 0));
	if (d->have_last)
		json_object_set_new(j, "last", dm_cmd_result_json(&d->last));
	json_object_set_new(j, "last_success", json_integer(d->last_ok));
	next = d->next_interval_ms < d->next_full_ms ? d->next_interval_ms :
	    d->next_full_ms;
	json_object_set_new(j, "next_run_in", json_integer(next > now ?
	    (next - now + 999) / 1000 : 0));
	json_object_set_new(j, "next_full_in", json_integer(
	    d->next_full_ms > now ? (d->next_full_ms - now + 999) / 1000 :
	    0));
	if ((st = dm_ro(d, why, sizeof(why))) != NULL) {
		/* One count per service; the total is their sum. Rows change
		 * only in cycles: between them the count is kept (a dashboard
		 * polls status every second). */
		if (!d->busy && d->obj_by_valid) {
			memcpy(by, d->obj_by, sizeof(by));
			r = 0;
		} else if ((r = store_row_count_by_service(st, by)) == 0 &&
		    !d->busy) {
			memcpy(d->obj_by, by, sizeof(by));
			d->obj_by_valid = true;
		}
		if (r == 0) {
			json_object_set_new(j, "objects", json_integer(
			    (json_int_t)(by[PLAN_SVC_EX] + by[PLAN_SVC_RS])));
			json_object_set_new(j, "objects_by_service", json_pack(
			    "{s:I,s:I}", plan_service_name(PLAN_SVC_EX),
			    (json_int_t)by[PLAN_SVC_EX],
			    plan_service_name(PLAN_SVC_RS),
			    (json_int_t)by[PLAN_SVC_RS]));
		}
		if (store_alert_count(st, &alerts) == 0)
			json_object_set_new(j, "alerts", json_integer(
			    (json_int_t)(alerts + dm_pw_alerts(d, NULL))));
		held = 0;
		if (store_held_each_in(st, STORE_OP_HELD, dm_cmd_held_cb,
		    &held) >= 0 && held > 0)
			json_object_set_new(j, "held_run", json_integer(held));
	}
	if ((pw = dm_pw_status(d)) != NULL)
		json_object_set_new(j, "passwords", pw);
	if (d->have_last && d->last.dc[0] != '\0')
		json_object_set_new(j, "dc", json_string(d->last.dc));
	/* How old the copy of AD is: since the last cycle that read it. */
	if (d->last_ok > 0)
		json_object_set_new(j, "watermark_age", json_integer(
		    (json_int_t)(time(NULL) - d->last_ok)));
	return j;
}

/* `req` is answered by the cycle about to be scheduled: the next one if
 * one runs now (it may have read AD before what the caller wants). */
static void
dm_cmd_wait(struct daemon *d, struct ctl_req *req)
{
	struct dm_waiter *w = xcalloc(1, sizeof(*w));
	struct dm_waiter **list = d->busy ? &d->waiting_next : &d->waiting;

	w->req = req;
	w->next = *list;
	*list = w;
}

static json_t *
dm_cmd_sync(struct daemon *d, struct ctl_req *req, const json_t *body)
{
	const json_t *full = json_object_get(body, "full");

	char why[1024];

	if (full != NULL && !json_is_boolean(full))
		return dm_error("\"full\" must be true or false");
	if (dm_setup_missing(d->conf, why, sizeof(why)))
		return dm_error("%s", why);
	if (json_is_false(json_object_get(body, "wait"))) {
		/* The console: scheduled now, followed on the dashboard. */
		bool running = d->busy;

		dm_schedule(d, json_is_true(full), json_is_true(full) ?
		    "now-full" : "now");
		return json_pack("{s:b,s:b}", "scheduled", true, "after_running",
		    running);
	}
	dm_cmd_wait(d, req);
	dm_schedule(d, json_is_true(full), json_is_true(full) ? "now-full" :
	    "now");
	return NULL;	/* answered when the cycle ends */
}

/* The "run" of an approve or reject request; 0 (and *err) when bad. */
static int64_t
dm_cmd_run(const json_t *body, json_t **err)
{
	const json_t *j = json_object_get(body, "run");

	if (!json_is_integer(j) || json_integer_value(j) < 1) {
		*err = dm_error("\"run\" must be a run number (see `adsync "
		    "history`)");
		return 0;
	}
	return (int64_t)json_integer_value(j);
}

static int
dm_cmd_count_waiting(const struct store_op *op, void *arg)
{
	size_t *n = arg;

	if (op->state == STORE_OP_HELD)
		(*n)++;
	return 0;
}

/* Whether run `run` holds removals waiting for a decision. */
static bool
dm_cmd_waiting(struct daemon *d, int64_t run)
{
	struct store *st;
	char why[512];
	size_t n = 0;

	if ((st = dm_ro(d, why, sizeof(why))) == NULL)
		return false;
	return store_held_each_of_run(st, run, dm_cmd_count_waiting,
	    &n) == 0 && n > 0;
}

/* approve RUN: the next cycle lets the removals held in RUN through; the
 * answer is that cycle's result. */
static json_t *
dm_cmd_approve(struct daemon *d, struct ctl_req *req, const json_t *body)
{
	json_t *err = NULL;
	int64_t run;

	if ((run = dm_cmd_run(body, &err)) == 0)
		return err;
	if (!dm_cmd_waiting(d, run))
		return dm_error("run %lld has no removals waiting for approval "
		    "(decided already, superseded by a later held run, or not "
		    "a held run: see `adsync history`)", (long long)run);
	if (d->approve_run != 0 && d->approve_run != run)
		return dm_error("run %lld's approval is already waiting for "
		    "the next cycle; try again when it ended",
		    (long long)d->approve_run);
	d->approve_run = run;
	if (json_is_false(json_object_get(body, "wait"))) {
		dm_schedule(d, false, "approve");
		return json_pack("{s:b,s:I}", "scheduled", true, "run",
		    (json_int_t)run);
	}
	dm_cmd_wait(d, req);
	dm_schedule(d, false, "approve");
	return NULL;
}

/* reject RUN: the engine records the decision (between cycles). */
static json_t *
dm_cmd_reject(struct daemon *d, struct ctl_req *req, const json_t *body)
{
	struct dm_job *job;
	json_t *err = NULL;
	int64_t run;

	if ((run = dm_cmd_run(body, &err)) == 0)
		return err;
	job = xcalloc(1, sizeof(*job));
	job->kind = DM_JOB_REJECT;
	job->reject_run = run;
	job->req = req;
	snprintf(job->trigger, sizeof(job->trigger), "reject");
	queue_push(d->engine.jobs, job);
	return NULL;
}

/* explain KEY: on the engine thread, between cycles (it plans). */
static json_t *
dm_cmd_explain(struct daemon *d, struct ctl_req *req, const json_t *body)
{
	const char *key = json_string_value(json_object_get(body, "key"));
	struct dm_job *job;

	if (key == NULL || key[0] == '\0' || strlen(key) >= sizeof(job->key))
		return dm_error("\"key\" must be an address (name@domain), a "
		    "DN or a GUID");
	job = xcalloc(1, sizeof(*job));
	job->kind = DM_JOB_EXPLAIN;
	snprintf(job->key, sizeof(job->key), "%s", key);
	job->req = req;
	snprintf(job->trigger, sizeof(job->trigger), "explain");
	queue_push(d->engine.jobs, job);
	return NULL;
}

static int
dm_alert_cb(const struct store_alert *a, void *arg)
{
	struct dm_list *l = arg;
	char guid[OBJ_GUID_TEXT];

	obj_guid_format(&a->anchor, guid);
	json_array_append_new(l->arr, json_pack(
	    "{s:s,s:s,s:s,s:s,s:s,s:I,s:I}",
	    "level", plan_level_name(a->level),
	    "service", plan_service_name(a->service),
	    "guid", guid, "dn", a->dn, "message", a->message,
	    "first_seen", (json_int_t)a->first_seen,
	    "last_seen", (json_int_t)a->last_seen));
	return 0;
}

static json_t *
dm_cmd_alerts(struct daemon *d)
{
	struct dm_list l;
	struct store *st;
	char why[512];

	if ((st = dm_ro(d, why, sizeof(why))) == NULL)
		return dm_error("no alerts yet: %s", why);
	l.arr = json_array();
	if (store_alerts_each(st, dm_alert_cb, &l) < 0) {
		json_decref(l.arr);
		return dm_error("cannot read the alerts: %s",
		    store_errmsg(st));
	}
	(void)dm_pw_alerts(d, &l);
	return json_pack("{s:o}", "alerts", l.arr);
}

void
dm_cmd_handle(void *arg, struct ctl_req *req)
{
	struct daemon *d = arg;
	const json_t *body = ctl_req_body(req);
	const char *cmd = json_string_value(json_object_get(body, "cmd"));
	json_t *reply;

	if (cmd == NULL)
		reply = dm_error("the request has no \"cmd\"");
	else if (d->stopping)
		reply = dm_error("the daemon is stopping");
	else if (strcmp(cmd, "status") == 0)
		reply = dm_cmd_status(d);
	else if (strcmp(cmd, "sync") == 0) {
		if ((reply = dm_cmd_sync(d, req, body)) == NULL)
			return;	/* answered when the cycle ends */
	} else if (strcmp(cmd, "approve") == 0) {
		if ((reply = dm_cmd_approve(d, req, body)) == NULL)
			return;	/* answered when the cycle ends */
	} else if (strcmp(cmd, "reject") == 0) {
		if ((reply = dm_cmd_reject(d, req, body)) == NULL)
			return;	/* answered by the engine */
	} else if (strcmp(cmd, "explain") == 0) {
		if ((reply = dm_cmd_explain(d, req, body)) == NULL)
			return;	/* answered by the engine */
	} else if (strcmp(cmd, "history") == 0)
		reply = dm_cmd_history(d, body);
	else if (strcmp(cmd, "alerts") == 0)
		reply = dm_cmd_alerts(d);
	else if (strcmp(cmd, "ops") == 0)
		reply = dm_cmd_ops(d, body);
	else if (strcmp(cmd, "objects") == 0)
		reply = dm_cmd_objects(d, body);
	else if (strcmp(cmd, "hooks") == 0)
		reply = dm_cmd_hooks(d);
	else if (strcmp(cmd, "reload") == 0)
		reply = dm_cmd_reload(d);
	else if (strcmp(cmd, "metrics") == 0)
		reply = dm_cmd_metrics(d);
	else
		reply = dm_error("unknown command \"%.64s\" (this daemon knows "
		    "status, sync, history, alerts, explain, approve, reject, ops, "
		    "objects, hooks, reload, metrics)",
		    cmd);
	if (reply == NULL)
		reply = dm_error("out of memory");
	ctl_req_reply(req, reply);
}
