/*
 * The daemon's metrics: the control socket's `metrics` command answers
 * {"text": ...} with the Prometheus text exposition format 0.0.4, which
 * the web console serves as GET /metrics (docs/daemon.md "Metrics" lists
 * every family). Runs on the loop thread: the counters of struct
 * dm_metrics are the loop's own (a change noted, a cycle ended), the API
 * counters are the target module's process-wide atomics, and the rest is
 * read at each scrape through the loop's read-only store handle and a
 * read-only pw.db connection, as `status` reads them.
 *
 * A scrape first collects everything into a struct dm_metrics_view, then
 * renders it with pure functions (tested by tests/unit/test_daemon_metrics.c
 * and, through its output, by tests/integration/promparse.py). What cannot
 * be read (no state database before the first cycle, an unreadable pw.db)
 * leaves its families without samples rather than with invented zeros.
 *
 * Trust: label values come from pw.db (DC names, checked at enrolment) and
 * our own tables; every one is escaped all the same.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "daemon_internal.h"
#include "plan.h"
#include "pwsync.h"
#include "target.h"
#include "timing.h"
#include "xmalloc.h"

/* Largest exposition: 16 MiB is the control socket's reply limit, and the
 * JSON string escapes every newline and quote. */
#define DM_METRICS_MAX (4 * 1024 * 1024)

static const double dm_latency_bounds[DM_LATENCY_NBOUNDS] = {
	0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60
};

/* ---- the text format ------------------------------------------------ */

/* A float as the text format writes it: the shortest of %.15g and %.17g
 * that reads back as the same double (0.1 stays "0.1"), integers without
 * a fraction, and +Inf, -Inf, NaN. */
static void
dm_prom_num(double v, char *out, size_t len)
{
	if (isnan(v))
		snprintf(out, len, "NaN");
	else if (isinf(v))
		snprintf(out, len, "%s", v > 0 ? "+Inf" : "-Inf");
	else {
		snprintf(out, len, "%.15g", v);
		if (strtod(out, NULL) != v)
			snprintf(out, len, "%.17g", v);
	}
}

/* Appends `s` escaped: backslash and newline always, the double quote
 * too when `quote` (label values; HELP text leaves it). */
static int
dm_prom_escape(struct buf *b, const char *s, bool quote)
{
	const char *p;
	int r = 0;

	for (p = s; *p != '\0' && r == 0; p++) {
		if (*p == '\\')
			r = buf_addstr(b, "\\\\");
		else if (*p == '\n')
			r = buf_addstr(b, "\\n");
		else if (*p == '"' && quote)
			r = buf_addstr(b, "\\\"");
		else
			r = buf_addc(b, *p);
	}
	return r;
}

int
dm_prom_head(struct buf *b, const char *name, const char *type,
    const char *help)
{
	int r;

	if ((r = buf_printf(b, "# HELP %s ", name)) < 0 ||
	    (r = dm_prom_escape(b, help, false)) < 0 ||
	    (r = buf_printf(b, "\n# TYPE %s %s\n", name, type)) < 0)
		return r;
	return 0;
}

int
dm_prom_sample(struct buf *b, const char *name, const char *const *labels,
    double v)
{
	char num[64];
	size_t i;
	int r;

	if ((r = buf_addstr(b, name)) < 0)
		return r;
	for (i = 0; labels != NULL && labels[i] != NULL &&
	    labels[i + 1] != NULL; i += 2) {
		if ((r = buf_printf(b, "%s%s=\"", i == 0 ? "{" : ",",
		    labels[i])) < 0 ||
		    (r = dm_prom_escape(b, labels[i + 1], true)) < 0 ||
		    (r = buf_addc(b, '"')) < 0)
			return r;
	}
	if (i > 0 && (r = buf_addc(b, '}')) < 0)
		return r;
	dm_prom_num(v, num, sizeof(num));
	return buf_printf(b, " %s\n", num);
}

/* A family of one unlabelled sample. */
static int
dm_prom_one(struct buf *b, const char *name, const char *type,
    const char *help, double v)
{
	int r;

	if ((r = dm_prom_head(b, name, type, help)) < 0)
		return r;
	return dm_prom_sample(b, name, NULL, v);
}

/* The change latency histogram: cumulative _bucket{le} lines ending at
 * +Inf, then _sum and _count (the +Inf bucket). */
static int
dm_prom_latency(struct buf *b, const struct dm_metrics *m)
{
	static const char name[] = "adsync_change_latency_seconds";
	char le[64], line[96];
	uint64_t cum = 0;
	size_t i;
	int r;

	if ((r = dm_prom_head(b, name, "histogram", "Seconds from the first "
	    "change notification of a cycle to that cycle's end, for cycles "
	    "that made operations.")) < 0)
		return r;
	snprintf(line, sizeof(line), "%s_bucket", name);
	for (i = 0; i <= DM_LATENCY_NBOUNDS; i++) {
		cum += m->latency[i];
		dm_prom_num(i < DM_LATENCY_NBOUNDS ? dm_latency_bounds[i] :
		    INFINITY, le, sizeof(le));
		if ((r = dm_prom_sample(b, line, (const char *const[]){ "le",
		    le, NULL }, (double)cum)) < 0)
			return r;
	}
	snprintf(line, sizeof(line), "%s_sum", name);
	if ((r = dm_prom_sample(b, line, NULL, m->latency_sum)) < 0)
		return r;
	snprintf(line, sizeof(line), "%s_count", name);
	return dm_prom_sample(b, line, NULL, (double)cum);
}

void
dm_metrics_observe(struct dm_metrics *m, double secs)
{
	size_t i;

	if (isnan(secs) || secs < 0)
		secs = 0;	/* a clock cannot run backwards here */
	for (i = 0; i < DM_LATENCY_NBOUNDS && secs > dm_latency_bounds[i];
	    i++)
		;
	m->latency[i]++;
	m->latency_sum += secs;
}

/* ---- rendering ------------------------------------------------------ */

/* The label values of services and kinds: words a dashboard reads, not
 * plan's short names. */
static const char *const dm_svc_label[PLAN_SVC_COUNT] = {
	[PLAN_SVC_EX] = "exchange", [PLAN_SVC_RS] = "rackspace_email"
};
static const char *const dm_kind_label[PLAN_K_COUNT] = {
	[PLAN_K_MAILBOX] = "mailbox", [PLAN_K_CONTACT] = "contact",
	[PLAN_K_DL] = "list"
};

static int
dm_render_objects(struct buf *b, const struct dm_metrics_view *v)
{
	static const char name[] = "adsync_objects";
	int r, svc, kind, en;

	if ((r = dm_prom_head(b, name, "gauge", "Objects synced to the "
	    "services (rows of the state), by service, kind and state.")) < 0)
		return r;
	if (!v->store_ok)
		return 0;
	for (svc = 0; svc < PLAN_SVC_COUNT; svc++) {
		for (kind = 0; kind < PLAN_K_COUNT; kind++) {
			/* Rackspace Email has mailboxes only. */
			if (svc == PLAN_SVC_RS && kind != PLAN_K_MAILBOX)
				continue;
			for (en = 1; en >= 0; en--)
				if ((r = dm_prom_sample(b, name,
				    (const char *const[]){ "service",
				    dm_svc_label[svc], "kind", dm_kind_label[kind],
				    "state", en ? "enabled" : "disabled", NULL },
				    (double)v->objects[svc][kind][en])) < 0)
					return r;
		}
	}
	return 0;
}

static int
dm_render_operations(struct buf *b, const struct dm_metrics_view *v)
{
	static const char name[] = "adsync_operations_total";
	uint64_t held, waiting = 0;
	int r, k, s;

	if ((r = dm_prom_head(b, name, "counter", "Operations in the journal "
	    "by kind and result: done and failed API operations, and "
	    "removals held back by the guard (held, whatever was decided "
	    "later).")) < 0)
		return r;
	if (!v->store_ok)
		goto held;
	for (k = 0; k < PLAN_OP_COUNT; k++) {
		/* Every removal ever held counts once, as "held": its
		 * decision moves it between states, a counter only grows. */
		held = 0;
		for (s = STORE_OP_HELD; s < STORE_OP_STATE_COUNT; s++)
			held += v->ops.n[k][s];
		waiting += v->ops.n[k][STORE_OP_HELD];
		if ((r = dm_prom_sample(b, name, (const char *const[]){
		    "kind", plan_opkind_name(k), "result", "done", NULL },
		    (double)v->ops.n[k][STORE_OP_DONE])) < 0 ||
		    (r = dm_prom_sample(b, name, (const char *const[]){
		    "kind", plan_opkind_name(k), "result", "failed", NULL },
		    (double)v->ops.n[k][STORE_OP_FAILED])) < 0 ||
		    (r = dm_prom_sample(b, name, (const char *const[]){
		    "kind", plan_opkind_name(k), "result", "held", NULL },
		    (double)held)) < 0)
			return r;
	}
held:
	if ((r = dm_prom_head(b, "adsync_held_operations", "gauge", "Removals "
	    "held back by the guard, waiting for adsync approve or reject.")) <
	    0 || !v->store_ok)
		return r;
	return dm_prom_sample(b, "adsync_held_operations", NULL,
	    (double)waiting);
}

static int
dm_render_api(struct buf *b, const struct rs_metrics *a)
{
	static const char *const cat[RS_CAT_COUNT] = {
		[RS_CAT_READ] = "read", [RS_CAT_WRITE] = "write",
		[RS_CAT_DOMAIN_WRITE] = "domain_write"
	};
	char status[16];
	int r, i;

	if ((r = dm_prom_head(b, "adsync_api_calls_total", "counter", "API "
	    "attempts that ended, by HTTP status of the answer; status \"0\": "
	    "no answer (a transport failure).")) < 0)
		return r;
	for (i = 0; i < RS_METRICS_STATUS_MAX; i++) {
		/* 2xx always, so that a rate of successes exists from the
		 * start; other statuses once seen. */
		if (a->answers[i] == 0 && i != 200)
			continue;
		snprintf(status, sizeof(status), "%d", i);
		if ((r = dm_prom_sample(b, "adsync_api_calls_total",
		    (const char *const[]){ "status", status, NULL },
		    (double)a->answers[i])) < 0)
			return r;
	}
	if ((r = dm_prom_head(b, "adsync_api_attempts_total", "counter", "API "
	    "attempts sent, by pacing category (retries included).")) < 0)
		return r;
	for (i = 0; i < RS_CAT_COUNT; i++)
		if ((r = dm_prom_sample(b, "adsync_api_attempts_total",
		    (const char *const[]){ "category", cat[i], NULL },
		    (double)a->sent[i])) < 0)
			return r;
	if ((r = dm_prom_one(b, "adsync_api_throttled_total", "counter",
	    "API answers \"Exceeded request limits\" (the request waits and "
	    "is sent again).", (double)a->throttled)) < 0 ||
	    (r = dm_prom_one(b, "adsync_api_retries_total", "counter",
	    "API requests sent again after a transport error or a 5xx "
	    "answer.", (double)a->retried)) < 0 ||
	    (r = dm_prom_one(b, "adsync_api_queue_wait_seconds_total",
	    "counter", "Seconds API attempts waited in the client's queue "
	    "(pacing, backoff, the in-flight cap).",
	    (double)a->waited_ms / 1000.0)) < 0 ||
	    (r = dm_prom_one(b, "adsync_api_queue_waits_total", "counter",
	    "API attempts whose queue wait is counted in "
	    "adsync_api_queue_wait_seconds_total.", (double)a->waits)) < 0)
		return r;
	return 0;
}

static int
dm_render_cycles(struct buf *b, const struct dm_metrics_view *v)
{
	static const enum store_run_status res[] = { STORE_RUN_OK,
	    STORE_RUN_PARTIAL, STORE_RUN_FAILED, STORE_RUN_HELD };
	size_t i;
	int r;

	if ((r = dm_prom_one(b, "adsync_queue_length", "gauge", "Operations "
	    "of the running cycle still to send (0 between cycles).",
	    (double)v->queue)) < 0 ||
	    (r = dm_prom_one(b, "adsync_sync_running", "gauge", "1 while a "
	    "cycle runs.", v->busy ? 1 : 0)) < 0 ||
	    (r = dm_prom_head(b, "adsync_cycles_total", "counter", "Cycles "
	    "ended since the daemon started, by result.")) < 0)
		return r;
	for (i = 0; i < sizeof(res) / sizeof(res[0]); i++)
		if ((r = dm_prom_sample(b, "adsync_cycles_total",
		    (const char *const[]){ "result",
		    store_run_status_name(res[i]), NULL },
		    (double)v->m->cycles[res[i]])) < 0)
			return r;
	if ((r = dm_prom_latency(b, v->m)) < 0 ||
	    (r = dm_prom_one(b, "adsync_last_success_timestamp_seconds",
	    "gauge", "When the last cycle that did not fail as a whole ended, "
	    "Unix seconds (0: none yet).", (double)v->last_ok)) < 0 ||
	    (r = dm_prom_one(b, "adsync_last_run_duration_seconds", "gauge",
	    "Seconds the last cycle spent reading AD, planning and applying.",
	    v->m->last_duration)) < 0 ||
	    (r = dm_prom_one(b, "adsync_change_notifications_up", "gauge",
	    "1 while the watcher has a change notification search up on a "
	    "domain controller.", v->notify_ok ? 1 : 0)) < 0)
		return r;
	return 0;
}

static int
dm_render_passwords(struct buf *b, const struct dm_metrics_view *v)
{
	static const char hb[] =
	    "adsync_password_hook_last_heartbeat_timestamp_seconds";
	char help[256];
	size_t i, up = 0;
	int r;

	if ((r = dm_prom_one(b, "adsync_password_sync_enabled", "gauge", "1 "
	    "when the daemon receives and delivers passwords.",
	    v->pw_enabled ? 1 : 0)) < 0 ||
	    (r = dm_prom_head(b, "adsync_password_queue_length", "gauge",
	    "Captured password changes waiting to be delivered.")) < 0 ||
	    (v->pw_ok && (r = dm_prom_sample(b,
	    "adsync_password_queue_length", NULL, (double)v->pw_queue)) < 0) ||
	    (r = dm_prom_head(b, hb, "gauge", "When an enrolled DC's hook "
	    "was last heard from, Unix seconds (0: never); revoked DCs are "
	    "not listed.")) < 0)
		return r;
	for (i = 0; v->pw_ok && i < v->ndcs; i++)
		if ((r = dm_prom_sample(b, hb, (const char *const[]){ "dc",
		    v->dcs[i].name, NULL },
		    (double)v->dcs[i].last_heartbeat)) < 0)
			return r;
	snprintf(help, sizeof(help), "1 when an enrolled DC's hook was heard "
	    "from within %d s; revoked DCs are not listed.", PW_DC_QUIET_S);
	if ((r = dm_prom_head(b, "adsync_password_hook_up", "gauge",
	    help)) < 0)
		return r;
	for (i = 0; v->pw_ok && i < v->ndcs; i++) {
		up += v->dcs[i].up;
		if ((r = dm_prom_sample(b, "adsync_password_hook_up",
		    (const char *const[]){ "dc", v->dcs[i].name, NULL },
		    v->dcs[i].up ? 1 : 0)) < 0)
			return r;
	}
	if ((r = dm_prom_head(b, "adsync_password_hooks", "gauge", "Enrolled "
	    "DCs by the state of their hook: up, quiet (not heard from "
	    "lately) or revoked.")) < 0 || !v->pw_ok)
		return r;
	if ((r = dm_prom_sample(b, "adsync_password_hooks",
	    (const char *const[]){ "state", "up", NULL }, (double)up)) < 0 ||
	    (r = dm_prom_sample(b, "adsync_password_hooks",
	    (const char *const[]){ "state", "quiet", NULL },
	    (double)(v->ndcs - up))) < 0 ||
	    (r = dm_prom_sample(b, "adsync_password_hooks",
	    (const char *const[]){ "state", "revoked", NULL },
	    (double)v->dcs_revoked)) < 0)
		return r;
	return 0;
}

int
dm_metrics_render(struct buf *b, const struct dm_metrics_view *v)
{
	int r;

	if ((r = dm_prom_one(b, "adsync_up", "gauge", "1: the daemon "
	    "answered this scrape.", 1)) < 0 ||
	    (r = dm_prom_head(b, "adsync_build_info", "gauge", "The running "
	    "build, in its labels; always 1.")) < 0 ||
	    (r = dm_prom_sample(b, "adsync_build_info", (const char *const[]){
	    "version", v->version, NULL }, 1)) < 0 ||
	    (r = dm_prom_one(b, "adsync_start_time_seconds", "gauge", "When "
	    "the daemon started, Unix seconds.", (double)v->started)) < 0 ||
	    (r = dm_render_objects(b, v)) < 0 ||
	    (r = dm_render_operations(b, v)) < 0 ||
	    (r = dm_render_api(b, v->api)) < 0 ||
	    (r = dm_render_cycles(b, v)) < 0 ||
	    (r = dm_prom_head(b, "adsync_alerts_open", "gauge", "Open alerts: "
	    "the sync's and the password sync's (adsync alerts).")) < 0 ||
	    (v->store_ok && (r = dm_prom_sample(b, "adsync_alerts_open", NULL,
	    (double)v->alerts)) < 0) ||
	    (r = dm_render_passwords(b, v)) < 0)
		return r;
	return 0;
}

/* ---- the loop's counters -------------------------------------------- */

/*
 * Which cycle reads a change: the loop debounces a change notification
 * (change_at_ms) and then schedules a cycle, or coalesces it into the one
 * after the running cycle. A change noted while no cycle runs is read by
 * the next cycle to end; one noted while a cycle runs, by the cycle after
 * it (the running one may have read AD already). Only the first change of
 * each is kept: the latency is the oldest change's.
 */
void
dm_metrics_change_seen(struct daemon *d)
{
	struct dm_metrics *m = &d->metrics;
	int64_t now;

	/* Called after every batch of watcher events: only a debounce that
	 * was not there before is a change noted now. */
	if (d->change_at_ms == 0 || d->change_at_ms == m->window)
		return;
	m->window = d->change_at_ms;
	now = timing_now_ms();
	if (d->busy) {
		if (m->change_next_ms == 0)
			m->change_next_ms = now;
	} else if (m->change_ms == 0) {
		m->change_ms = now;
	}
}

void
dm_metrics_cycle_done(struct daemon *d, const struct dm_result *res)
{
	struct dm_metrics *m = &d->metrics;
	enum store_run_status st = res->status;

	if (res->rc < 0 || st < STORE_RUN_OK || st > STORE_RUN_HELD)
		st = STORE_RUN_FAILED;
	m->cycles[st]++;
	m->last_duration = res->secs_read + res->secs_plan + res->secs_apply;
	if (res->rc < 0) {
		/* Nothing was applied: the next cycle reads these changes
		 * again, and their latency runs on. */
		if (m->change_ms == 0)
			m->change_ms = m->change_next_ms;
		m->change_next_ms = 0;
		return;
	}
	/* A cycle that made no operation delivered nothing to measure (the
	 * change was outside the scope, or already read). */
	if (m->change_ms != 0 && res->nops > 0)
		dm_metrics_observe(m, (double)(timing_now_ms() -
		    m->change_ms) / 1000.0);
	m->change_ms = m->change_next_ms;
	m->change_next_ms = 0;
}

/* ---- collecting ----------------------------------------------------- */

struct dm_dc_list {
	struct dm_metrics_dc *v;
	size_t n, cap, revoked;
	time_t now;
};

static int
dm_metrics_dc_cb(void *arg, const struct pw_dc *dc)
{
	struct dm_dc_list *l = arg;
	struct dm_metrics_dc *e;

	if (dc->revoked != 0) {
		l->revoked++;
		return 0;
	}
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 8 : l->cap * 2;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	e = &l->v[l->n++];
	snprintf(e->name, sizeof(e->name), "%s", dc->name);
	e->last_heartbeat = dc->last_heartbeat;
	e->up = dc->last_heartbeat != 0 &&
	    l->now - dc->last_heartbeat <= PW_DC_QUIET_S;
	return 0;
}

static int
dm_metrics_alert_cb(void *arg, const struct pw_alert *a)
{
	(void)a;
	(*(size_t *)arg)++;
	return 0;
}

/* pw.db's part: the queue, the hooks, the password alerts. No pw.db yet
 * (no DC ever enrolled) is an empty one. */
static void
dm_metrics_pw(struct daemon *d, struct dm_metrics_view *v,
    struct dm_dc_list *dcs, size_t *alerts)
{
	struct pw_db *db = NULL;
	char why[512];
	int r;

	v->pw_enabled = d->pw != NULL;
	if ((r = pw_db_open(d->conf->sync.state_dir, true, &db, why,
	    sizeof(why))) == -ENOENT) {
		v->pw_ok = true;
		return;
	}
	if (r < 0)
		return;
	dcs->now = time(NULL);
	if (pw_db_queue_count(db, &v->pw_queue) >= 0 &&
	    pw_db_dc_each(db, dm_metrics_dc_cb, dcs) >= 0 &&
	    pw_db_alert_each(db, dm_metrics_alert_cb, alerts) >= 0) {
		v->pw_ok = true;
		v->dcs = dcs->v;
		v->ndcs = dcs->n;
		v->dcs_revoked = dcs->revoked;
	}
	pw_db_close(db);
}

/* The store's part, through the loop's read-only handle (opened here on
 * first use, as the other commands do). */
static void
dm_metrics_store(struct daemon *d, struct dm_metrics_view *v)
{
	struct store_op_tally t = d->metrics.ops;
	char why[512];

	if (d->ro == NULL && store_open_readonly(d->conf->sync.state_dir,
	    &d->ro, why, sizeof(why)) < 0) {
		d->ro = NULL;
		return;
	}
	if (store_row_count_by_service_state(d->ro, v->objects) < 0 ||
	    store_op_count_by_kind_state(d->ro, &t, &v->ops) < 0 ||
	    store_alert_count(d->ro, &v->alerts) < 0)
		return;
	d->metrics.ops = t;
	v->store_ok = true;
}

json_t *
dm_cmd_metrics(struct daemon *d)
{
	struct dm_metrics_view *v = xcalloc(1, sizeof(*v));
	struct rs_metrics *api = xcalloc(1, sizeof(*api));
	struct dm_dc_list dcs = { NULL, 0, 0, 0, 0 };
	size_t pw_alerts = 0;
	struct buf b;
	json_t *j;
	int r;

	v->version = ADSYNC_VERSION;
	v->started = d->started;
	v->last_ok = d->last_ok;
	v->busy = d->busy;
	v->notify_ok = d->notify_ok;
	/* The same number as status's "queue". */
	if (d->busy && atomic_load(&d->engine.progress.stage) == 3) {
		size_t total = atomic_load(&d->engine.progress.total);
		size_t done = atomic_load(&d->engine.progress.done);

		v->queue = total > done ? total - done : 0;
	}
	v->m = &d->metrics;
	rs_metrics_snapshot(api);
	v->api = api;
	dm_metrics_store(d, v);
	dm_metrics_pw(d, v, &dcs, &pw_alerts);
	v->alerts += pw_alerts;
	buf_init(&b, DM_METRICS_MAX);
	if ((r = dm_metrics_render(&b, v)) < 0)
		j = json_pack("{s:s}", "error", "the metrics do not fit the "
		    "reply");
	else
		j = json_pack("{s:s,s:s}", "text", buf_str(&b), "content_type",
		    "text/plain; version=0.0.4; charset=utf-8");
	buf_fini(&b);
	free(dcs.v);
	free(api);
	free(v);
	return j;
}
