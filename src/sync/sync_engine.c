/*
 * The engine's handle and one cycle: recover, read, plan, apply (see
 * sync.h). Runs on the engine's owning thread. Records every applied run
 * in the store's journal, and the plan's alerts as the current alerts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "log.h"
#include "secret.h"
#include "sync_internal.h"
#include "timing.h"
#include "xmalloc.h"

int
sync_engine_new(const struct conf *conf, struct sync_engine **out,
    char *why, size_t whylen)
{
	struct sync_engine *e;
	int r;

	if (conf->sync.exchange_group[0] == '\0' &&
	    conf->sync.rackspace_email_group[0] == '\0') {
		snprintf(why, whylen, "%s: [sync] names no group: set "
		    "exchange_group and/or rackspace_email_group to the DN of "
		    "the security group whose members get mailboxes",
		    conf->path[0] != '\0' ? conf->path : "configuration");
		return -ADSYNC_ECONFIG;
	}
	if (conf->ad.uri[0] == '\0' || conf->ad.base_dn[0] == '\0') {
		snprintf(why, whylen, "%s: [ad] uri and base_dn must be set "
		    "to read the directory", conf->path[0] != '\0' ?
		    conf->path : "configuration");
		return -ADSYNC_ECONFIG;
	}
	e = xcalloc(1, sizeof(*e));
	e->conf = conf;
	sync_inv_init(&e->inv);
	if ((r = store_open(conf->sync.state_dir, &e->st, why, whylen)) < 0) {
		free(e);
		return r;
	}
	*out = e;
	return 0;
}

void
sync_engine_free(struct sync_engine *e)
{
	if (e == NULL)
		return;
	sync_inv_fini(&e->inv);
	rs_client_free(e->rs);
	rs_pacer_unref(e->pacer);
	secret_free(e->newpw);
	free(e->changed);
	ad_conn_free(e->ad);
	store_close(e->st);
	free(e);
}

int
sync_engine_client(struct sync_engine *e, char *why, size_t whylen)
{
	int r;

	if (e->rs != NULL)
		return 0;
	if (e->conf->rackspace.user_key[0] == '\0') {
		snprintf(why, whylen, "[rackspace] user_key is not set: "
		    "register adsync with the API keys of the account first");
		return -ADSYNC_ECONFIG;
	}
	if ((r = rs_client_new(&e->conf->rackspace, &e->rs, why, whylen)) <
	    0)
		return r;
	if (e->pacer != NULL)
		rs_client_share_pacer(e->rs, e->pacer, false);
	return 0;
}

void
sync_engine_set_pwsource(struct sync_engine *e,
    const struct sync_pwsource *src)
{
	e->pwsource = src;
}

void
sync_engine_set_pacer(struct sync_engine *e, struct rs_pacer *p)
{
	rs_pacer_unref(e->pacer);
	e->pacer = p != NULL ? rs_pacer_ref(p) : NULL;
}

void
sync_report_init(struct sync_report *r)
{
	memset(r, 0, sizeof(*r));
}

void
sync_report_fini(struct sync_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	plan_free(r->plan);
	for (i = 0; i < r->nerrors; i++) {
		free(r->errors[i].dn);
		free(r->errors[i].message);
	}
	free(r->errors);
	sync_report_init(r);
}

void
sync_engine_set_stop(struct sync_engine *e, const atomic_bool *stop)
{
	e->stop = stop;
}

void
sync_engine_set_progress(struct sync_engine *e, struct sync_progress *p)
{
	e->progress = p;
}

void
sync_progress_stage(struct sync_engine *e, int stage, size_t total)
{
	if (e->progress == NULL)
		return;
	if (stage == 3) {
		atomic_store(&e->progress->done, 0);
		atomic_store(&e->progress->total, total);
		atomic_store(&e->progress->apply_started_ms,
		    (long long)timing_now_ms());
	}
	atomic_store(&e->progress->stage, stage);
}

void
sync_progress_done(struct sync_engine *e, size_t n)
{
	if (e->progress != NULL)
		atomic_fetch_add(&e->progress->done, n);
}

const char *
sync_engine_dc(const struct sync_engine *e)
{
	return e->ad != NULL ? ad_conn_dc(e->ad) : "";
}

bool
sync_stopping(const struct sync_engine *e)
{
	return e->stop != NULL && atomic_load(e->stop);
}

static int64_t
sync_now(void)
{
	return (int64_t)time(NULL);
}

/* The run's status from what happened. */
static enum store_run_status
sync_status(const struct plan *p, const struct store_run_counts *c)
{
	if (p->held)
		return STORE_RUN_HELD;
	if (c->errors > 0 || p->counts.alerts[PLAN_ALERT_ERROR] > 0)
		return STORE_RUN_PARTIAL;
	return STORE_RUN_OK;
}

/* Runs a stop or crash left "running" are closed: the history must not
 * show them running forever. */
static int
sync_engine_close_stale(struct sync_engine *e, int64_t run_id,
    struct sync_report *rep)
{
	char msg[160];
	size_t n;
	int r;

	snprintf(msg, sizeof(msg), "interrupted: adsync stopped or crashed "
	    "during this run; run %lld reconciled its pending operations",
	    (long long)run_id);
	if ((r = store_run_close_stale(e->st, run_id, msg, sync_now(),
	    &n)) < 0) {
		snprintf(rep->why, sizeof(rep->why), "cannot close interrupted "
		    "runs: %s", adsync_strerror(r));
		return r;
	}
	if (n > 0)
		log_info("%zu interrupted run(s) closed", n);
	return 0;
}

static int
sync_guid_cmp(const void *a, const void *b)
{
	return memcmp(((const struct obj_guid *)a)->b,
	    ((const struct obj_guid *)b)->b, 16);
}

/*
 * Plans only what the change read returned when that is safe: a daemon
 * change or interval cycle after a cycle that settled everything, users
 * and contacts only (no group, no tombstone), no approval, no alternate
 * addresses. The planner itself says "plan in full" for what needs every
 * candidate (a new or moving object); test_plan proves a focused plan
 * equal to the full one for its objects.
 */
static void
sync_engine_focus(struct sync_engine *e, const struct sync_opts *opts,
    struct sync_report *rep, struct plan_opts *po)
{
	size_t i, n;

	if (opts->focus != NULL) {
		po->focus = opts->focus;
		po->nfocus = opts->nfocus;
		rep->focused = opts->nfocus;
		return;
	}
	if (!opts->apply || !opts->skip_unchanged || !e->settled ||
	    rep->full_read || !e->focusable || e->nchanged == 0 ||
	    opts->approve_run != 0 || e->conf->sync.sync_proxy_addresses)
		return;
	qsort(e->changed, e->nchanged, sizeof(*e->changed), sync_guid_cmp);
	for (i = n = 0; i < e->nchanged; i++)
		if (n == 0 || !obj_guid_equal(&e->changed[n - 1],
		    &e->changed[i]))
			e->changed[n++] = e->changed[i];
	e->nchanged = n;
	po->focus = e->changed;
	po->nfocus = n;
	rep->focused = n;
}

/* Ends run `run_id` at once: nothing changed in AD since a cycle that
 * settled everything, so the plan would be empty (no plan made: at 100k
 * objects a plan costs seconds). */
static int
sync_engine_skip(struct sync_engine *e, int64_t run_id,
    struct sync_report *rep)
{
	int r;

	rep->skipped = true;
	rep->status = STORE_RUN_OK;
	if ((r = store_run_end(e->st, run_id, STORE_RUN_OK, &rep->counts, "",
	    sync_now())) < 0)
		snprintf(rep->why, sizeof(rep->why), "cannot record the end "
		    "of the run: %s", adsync_strerror(r));
	log_debug("no change in AD since a settled cycle: nothing to plan");
	log_ctx_clear();
	return r;
}

/*
 * The alerts of the cycle: the plan's, and the operations the service
 * refused (so that `adsync alerts` shows them until the object syncs).
 */
static int
sync_engine_alerts(struct sync_engine *e, const struct sync_report *rep)
{
	const struct plan *p = rep->plan;
	/* A focused plan knows the alerts of its objects only. */
	const struct obj_guid *anchors = rep->focused > 0 ? e->changed : NULL;
	struct plan_alert *all;
	size_t n = p->nalerts + rep->nerrors;
	int r;

	if (rep->nerrors == 0)
		return store_alerts_set_some(e->st, p->alerts, p->nalerts,
		    anchors, rep->focused, sync_now());
	/* Shallow copies: the strings stay the plan's and the report's. */
	all = xcalloc(n, sizeof(*all));
	if (p->nalerts > 0)	/* a focused plan may have none (NULL) */
		memcpy(all, p->alerts, p->nalerts * sizeof(*all));
	memcpy(all + p->nalerts, rep->errors, rep->nerrors * sizeof(*all));
	r = store_alerts_set_some(e->st, all, n, anchors, rep->focused,
	    sync_now());
	free(all);
	return r;
}

/* plan_opts.sink of an applying cycle: the op goes to the store's
 * spill and is read back by sync_apply() (docs/plan.md "Memory"). */
static int
sync_engine_spill(void *arg, struct plan_op *op)
{
	struct sync_engine *e = arg;
	int r = store_spill_put(e->st, op);

	plan_op_fini(op);
	return r;
}

/* An empty spill for the next build, when the cycle applies. */
static int
sync_engine_spill_reset(struct sync_engine *e, const struct sync_opts *opts,
    struct sync_report *rep)
{
	int r;

	if (!opts->apply)
		return 0;
	if ((r = store_spill_reset(e->st)) < 0)
		snprintf(rep->why, sizeof(rep->why), "cannot keep the plan in "
		    "the state: %s", store_errmsg(e->st));
	return r;
}

int
sync_engine_run(struct sync_engine *e, const struct sync_opts *opts,
    struct sync_report *rep)
{
	struct plan_opts po = { .conf = &e->conf->sync,
	    .allow_deletes = opts->allow_deletes };
	struct plan_source src;
	struct sync_decisions dec;
	const char *where = "recovering";
	bool spilling = false;
	int64_t run_id = 0;
	double t, cpu;
	int r, r2;

	sync_report_init(rep);
	memset(&dec, 0, sizeof(dec));
	if (opts->approve_run != 0 && !opts->apply) {
		snprintf(rep->why, sizeof(rep->why), "approving a run needs a "
		    "cycle that applies");
		return -EINVAL;
	}
	/* A fresh inventory each cycle: the service changes on its own
	 * (the Control Panel, other tools). */
	sync_inv_fini(&e->inv);
	sync_inv_init(&e->inv);
	if (opts->apply) {
		if ((r = store_run_begin(e->st, opts->trigger, sync_now(),
		    &run_id)) < 0) {
			snprintf(rep->why, sizeof(rep->why), "cannot record "
			    "the run in the state: %s", adsync_strerror(r));
			return r;
		}
		rep->run_id = run_id;
		log_ctx_set("run=%lld", (long long)run_id);
		if ((r = sync_engine_close_stale(e, run_id, rep)) < 0)
			goto fail;
		if ((r = sync_recover(e, &rep->recovered, rep->why,
		    sizeof(rep->why))) < 0)
			goto fail;
	}
	where = "reading the directory";
	sync_progress_stage(e, 1, 0);
	t = timing_now();
	r = opts->no_read ? 0 : sync_read(e, opts->full, &rep->full_read,
	    &rep->changes, rep->why, sizeof(rep->why));
	rep->secs_read = timing_now() - t;
	if (r < 0)
		goto fail;
	if (opts->apply && opts->skip_unchanged && e->settled &&
	    !rep->full_read && rep->changes == 0 && rep->recovered == 0 &&
	    opts->approve_run == 0)
		return sync_engine_skip(e, run_id, rep);
	where = "planning";
	sync_progress_stage(e, 2, 0);
	if ((r = sync_decide_load(e, opts->apply ? opts->approve_run : 0,
	    &dec, rep->why, sizeof(rep->why))) < 0)
		goto fail;
	sync_decide_opts(&dec, &po);
	sync_source_init(&src, e, opts->offline);
	/* An applying cycle streams its plan: the ops other than removals
	 * wait in the store, not in memory, until their batch. */
	if (opts->apply) {
		po.sink = sync_engine_spill;
		po.sink_arg = e;
	}
	t = timing_now();
	sync_engine_focus(e, opts, rep, &po);
	e->why[0] = '\0';
	if ((r = sync_engine_spill_reset(e, opts, rep)) < 0)
		goto fail;
	spilling = opts->apply;
	r = plan_build(&src, &po, &rep->plan, rep->why, sizeof(rep->why));
	if (r == -ADSYNC_ERESYNC && po.focus != NULL) {
		log_debug("a focused plan will not do (%s): planning in full",
		    rep->why);
		po.focus = NULL;
		po.nfocus = 0;
		rep->focused = 0;
		rep->why[0] = '\0';
		if ((r = sync_engine_spill_reset(e, opts, rep)) < 0)
			goto fail;
		r = plan_build(&src, &po, &rep->plan, rep->why,
		    sizeof(rep->why));
	}
	if (r == 0 && opts->apply && (r = store_spill_seal(e->st)) < 0)
		snprintf(rep->why, sizeof(rep->why), "cannot keep the plan in "
		    "the state: %s", store_errmsg(e->st));
	rep->secs_plan = timing_now() - t;
	/* A failed index read: its own words (the index, the request, the
	 * reason), not the planner's "looking up <whoever needed it>". */
	if (r < 0 && e->why[0] != '\0')
		snprintf(rep->why, sizeof(rep->why), "%s", e->why);
	if (r < 0)
		goto fail;
	if (!opts->apply) {
		rep->status = sync_status(rep->plan, &rep->counts);
		sync_decide_fini(&dec);
		log_ctx_clear();
		return 0;
	}
	if ((r = sync_decide_record(e, run_id, rep->plan, &dec, rep->why,
	    sizeof(rep->why))) < 0)
		goto fail;
	where = "applying";
	sync_progress_stage(e, 3, plan_nops_all(rep->plan));
	t = timing_now();
	cpu = timing_cpu();
	r = sync_apply(e, rep->plan, rep);
	store_spill_drop(e->st);
	spilling = false;
	rep->secs_apply = timing_now() - t;
	/* Wall against CPU says whether the apply waits on the service or
	 * on us (bench/sync.sh, docs/sync.md). */
	log_info("apply: %zu ops in %.3f s, %.3f s of CPU",
	    plan_nops_all(rep->plan), rep->secs_apply, timing_cpu() - cpu);
	if (r < 0)
		goto fail;
	rep->counts.alerts = rep->plan->nalerts;
	rep->counts.held = rep->plan->counts.held;
	rep->status = sync_status(rep->plan, &rep->counts);
	if ((r = sync_engine_alerts(e, rep)) < 0) {
		snprintf(rep->why, sizeof(rep->why), "cannot record the "
		    "alerts: %s", adsync_strerror(r));
		goto fail;
	}
	if ((r = store_run_end(e->st, run_id, rep->status, &rep->counts, "",
	    sync_now())) < 0) {
		snprintf(rep->why, sizeof(rep->why), "cannot record the end "
		    "of the run: %s", adsync_strerror(r));
		sync_decide_fini(&dec);
		log_ctx_clear();
		return r;
	}
	sync_decide_fini(&dec);
	e->settled = rep->counts.errors == 0 && !rep->plan->held;
	if (rep->focused > 0)
		log_debug("planned %zu changed object(s) only", rep->focused);
	log_info("run done: status=%d created=%lu updated=%lu enabled=%lu "
	    "disabled=%lu deleted=%lu errors=%lu alerts=%lu held=%lu",
	    (int)rep->status, rep->counts.created, rep->counts.updated,
	    rep->counts.enabled, rep->counts.disabled, rep->counts.deleted,
	    rep->counts.errors, rep->counts.alerts, rep->counts.held);
	log_ctx_clear();
	return 0;
fail:
	if (spilling)
		store_spill_drop(e->st);
	sync_decide_fini(&dec);
	e->settled = false;
	rep->status = STORE_RUN_FAILED;
	log_warnx("run failed while %s: %s", where, rep->why);
	if (run_id != 0 && (r2 = store_run_end(e->st, run_id,
	    STORE_RUN_FAILED, &rep->counts, rep->why, sync_now())) < 0)
		log_warnx("cannot record the failed run: %s",
		    adsync_strerror(r2));
	log_ctx_clear();
	return r;
}
