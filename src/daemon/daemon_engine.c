/*
 * The daemon's engine thread: owns the sync engine (the store's writer, the
 * LDAP connection, the API client) and runs the cycles the loop asks for,
 * one at a time, answering each with a struct dm_result. A new
 * configuration (SIGHUP) is taken between cycles: the engine is made again
 * from it, so nothing half-old, half-new ever runs (snapshot then swap).
 * The engine is created lazily and again after a cycle that could not even
 * start (the state directory, the API keys), so a fixed configuration heals
 * without a restart.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_internal.h"
#include "err.h"
#include "log.h"
#include "pwsync.h"
#include "sync.h"
#include "target.h"
#include "xmalloc.h"

void
dm_job_free(void *job)
{
	struct dm_job *j = job;

	if (j == NULL)
		return;
	conf_free(j->conf);
	rs_pacer_unref(j->pacer);
	free(j);
}

/* The engine's source of captured passwords for new mailboxes
 * (src/pwsync/pw_held.c), opened on the engine's thread when needed. */
static bool
dm_pw_any(void *arg)
{
	struct dm_engine *de = arg;
	char why[512];

	if (de->held == NULL && pw_held_open(de->conf->sync.state_dir,
	    &de->held, why, sizeof(why)) < 0) {
		log_warnx("password: new mailboxes get random passwords: %s",
		    why);
		return false;
	}
	return pw_held_any(de->held);
}

static int
dm_pw_take(void *arg, const char *guid, struct secret **pw, int64_t *token)
{
	struct dm_engine *de = arg;

	return pw_held_take(de->held, guid, pw, token);
}

static void
dm_pw_used(void *arg, int64_t token)
{
	struct dm_engine *de = arg;

	pw_held_used(de->held, token);
}

/* Makes *e when missing, wired to the daemon's stop flag and progress:
 * whichever job comes first (a cycle, explain, reject) makes the engine
 * the later ones use. 0, or the negative code with `why`. */
static int
dm_engine_ensure(struct dm_engine *de, struct sync_engine **e, char *why,
    size_t whylen)
{
	int r;

	if (*e != NULL)
		return 0;
	if ((r = sync_engine_new(de->conf, e, why, whylen)) < 0) {
		*e = NULL;
		return r;
	}
	sync_engine_set_stop(*e, &de->stop);
	sync_engine_set_progress(*e, &de->progress);
	sync_engine_set_pacer(*e, de->pacer);
	de->pwsource = (struct sync_pwsource){ dm_pw_any, dm_pw_take,
	    dm_pw_used, de };
	sync_engine_set_pwsource(*e, &de->pwsource);
	return 0;
}

/* One cycle into `res`. *e is made when missing and dropped when a cycle
 * fails as a whole (the next one starts from scratch: new connections). */
static void
dm_engine_cycle(struct dm_engine *de, struct sync_engine **e,
    const struct dm_job *job, struct dm_result *res)
{
	struct sync_opts opts = { .trigger = job->trigger, .apply = true,
	    .approve_run = job->approve_run, .full = job->full,
	    /* A wake-up with nothing new in AD costs one change read. */
	    .skip_unchanged = strcmp(job->trigger, "change") == 0 ||
	    strcmp(job->trigger, "interval") == 0 };
	struct sync_report rep;

	res->started = time(NULL);
	if ((res->rc = dm_engine_ensure(de, e, res->why,
	    sizeof(res->why))) < 0) {
		res->status = STORE_RUN_FAILED;
		res->ended = time(NULL);
		return;
	}
	res->rc = sync_engine_run(*e, &opts, &rep);
	res->run_id = rep.run_id;
	res->status = rep.status;
	res->counts = rep.counts;
	res->full_read = rep.full_read;
	res->nops = plan_nops_all(rep.plan);
	res->secs_read = rep.secs_read;
	res->secs_plan = rep.secs_plan;
	res->secs_apply = rep.secs_apply;
	snprintf(res->why, sizeof(res->why), "%s", rep.why);
	snprintf(res->dc, sizeof(res->dc), "%s", sync_engine_dc(*e));
	sync_report_fini(&rep);
	res->ended = time(NULL);
	if (res->rc < 0 && res->rc != -ADSYNC_ECANCELED) {
		/* Start the next cycle afresh: a DC or the API that failed
		 * is connected again, the others tried. */
		sync_engine_free(*e);
		*e = NULL;
	}
}

static void *
dm_engine_main(void *arg)
{
	struct dm_engine *de = arg;
	struct sync_engine *e = NULL;
	struct dm_result *res;
	struct dm_job *job;

	log_thread_name("engine");
	while (!atomic_load(&de->stop)) {
		if ((job = queue_pop(de->jobs, 500)) == NULL)
			continue;
		res = xcalloc(1, sizeof(*res));
		res->kind = job->kind;
		snprintf(res->trigger, sizeof(res->trigger), "%s",
		    job->trigger);
		res->req = job->req;
		if (job->kind == DM_JOB_RELOAD) {
			sync_engine_free(e);
			e = NULL;
			conf_free(de->conf);
			de->conf = job->conf;
			job->conf = NULL;
			rs_pacer_unref(de->pacer);
			de->pacer = job->pacer;
			job->pacer = NULL;
		} else if (job->kind == DM_JOB_REJECT) {
			res->run_id = job->reject_run;
			if ((res->rc = dm_engine_ensure(de, &e, res->why,
			    sizeof(res->why))) == 0)
				res->rc = sync_engine_reject(e, job->reject_run,
				    &res->rejected, res->why,
				    sizeof(res->why));
		} else if (job->kind == DM_JOB_EXPLAIN) {
			if ((res->rc = dm_engine_ensure(de, &e, res->why,
			    sizeof(res->why))) == 0)
				res->rc = sync_engine_explain(e, job->key,
				    &res->answer, res->why,
				    sizeof(res->why));
		} else {
			dm_engine_cycle(de, &e, job, res);
		}
		dm_job_free(job);
		queue_push(de->results, res);
		/* A cycle allocates and frees the whole plan; give the pages
		 * back, or an idle daemon keeps the peak of its largest
		 * cycle (glibc keeps freed memory in the thread's arena). */
		malloc_trim(0);
	}
	sync_engine_free(e);
	return NULL;
}

int
dm_engine_start(struct dm_engine *de, const struct conf *conf,
    struct rs_pacer *pacer, char *why, size_t whylen)
{
	int err;

	memset(de, 0, sizeof(*de));
	atomic_init(&de->stop, false);
	de->pacer = pacer != NULL ? rs_pacer_ref(pacer) : NULL;
	if ((de->conf = conf_dup(conf)) == NULL ||
	    (de->jobs = queue_new()) == NULL ||
	    (de->results = queue_new()) == NULL) {
		snprintf(why, whylen, "out of memory starting the engine");
		return -ENOMEM;
	}
	if ((err = pthread_create(&de->th, NULL, dm_engine_main, de)) != 0) {
		snprintf(why, whylen, "cannot start the engine thread: %s",
		    adsync_strerror(-err));
		return -err;
	}
	de->running = true;
	return 0;
}

void
dm_engine_stop(struct dm_engine *de)
{
	atomic_store(&de->stop, true);
	if (de->running)
		pthread_join(de->th, NULL);
	de->running = false;
}

void
dm_engine_fini(struct dm_engine *de)
{
	queue_free(de->jobs, dm_job_free);
	queue_free(de->results, free);
	de->jobs = de->results = NULL;
	conf_free(de->conf);
	de->conf = NULL;
	rs_pacer_unref(de->pacer);
	de->pacer = NULL;
	pw_held_close(de->held);
	de->held = NULL;
}
