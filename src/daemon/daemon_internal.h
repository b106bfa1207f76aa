/*
 * Internals of src/daemon shared between its files (see daemon.h for the
 * threads). Messages on the queues are owned by whoever holds them.
 */
#ifndef ADSYNC_DAEMON_INTERNAL_H
#define ADSYNC_DAEMON_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "conf.h"
#include "ctl.h"
#include "queue.h"
#include "timing.h"
#include "store.h"
#include "sync.h"

#define DM_TRIGGER_MAX 32

/* Work for the engine thread. */
enum dm_job_kind {
	DM_JOB_CYCLE,		/* one sync cycle */
	DM_JOB_RELOAD,		/* take a new configuration between cycles */
	DM_JOB_REJECT,		/* reject the removals held in a run */
	DM_JOB_EXPLAIN,		/* explain one object */
};

struct dm_job {
	enum dm_job_kind kind;
	bool full;		/* CYCLE: read AD in full */
	int64_t approve_run;	/* CYCLE: removals of this run approved */
	int64_t reject_run;	/* REJECT: the run */
	char key[512];		/* EXPLAIN: address, DN or GUID */
	void *req;		/* REJECT: the loop's struct ctl_req, opaque
				 * to the engine, handed back in the result */
	char trigger[DM_TRIGGER_MAX];	/* start, change, interval, full,
					 * now, approve */
	struct conf *conf;	/* RELOAD: owned */
	struct rs_pacer *pacer;	/* RELOAD: a reference to the new budget */
};

/* What the engine thread did with a job. */
struct dm_result {
	enum dm_job_kind kind;
	int rc;			/* 0 or the cycle's negative code */
	void *req;		/* the job's `req`, handed back */
	size_t rejected;	/* REJECT: how many removals */
	json_t *answer;		/* EXPLAIN: owned */
	char trigger[DM_TRIGGER_MAX];
	int64_t run_id;		/* 0 when no run was recorded */
	enum store_run_status status;
	struct store_run_counts counts;
	bool full_read;
	size_t nops;
	double secs_read, secs_plan, secs_apply;
	time_t started, ended;
	char dc[256];		/* the DC the cycle read from */
	char why[1024];
};

/* The engine thread and its queues (daemon_engine.c). */
struct dm_engine {
	pthread_t th;
	bool running;
	struct queue *jobs;	/* loop -> engine: struct dm_job */
	struct queue *results;	/* engine -> loop: struct dm_result */
	atomic_bool stop;	/* SIGTERM: finish what is in flight, quit */
	struct conf *conf;	/* the engine thread's own copy */
	struct rs_pacer *pacer;	/* the API budget shared with the password
				 * sync; given to dm_engine_start(), then
				 * the engine thread's (replaced on RELOAD) */
	struct sync_progress progress;	/* the running cycle's (atomics) */
	/* The engine thread's: captured passwords for new mailboxes. */
	struct pw_held *held;
	struct sync_pwsource pwsource;
};

struct rs_pacer;
int dm_engine_start(struct dm_engine *de, const struct conf *conf,
    struct rs_pacer *pacer /* a reference is taken; may be NULL */,
    char *why, size_t whylen);
/* Asks the engine to stop (a running cycle stops between batches, unsent
 * requests are cancelled) and joins it; the queues stay for the loop to
 * answer what they hold, then dm_engine_fini() frees them. */
void dm_engine_stop(struct dm_engine *de);
void dm_engine_fini(struct dm_engine *de);
void dm_job_free(void *job);

/* The change watcher (daemon_watch.c). */
struct dm_watch {
	pthread_t th;
	bool running;
	struct queue *events;	/* watcher -> loop: struct dm_event */
	atomic_bool stop;
	struct conf *conf;	/* the watcher's own copy */
};

struct dm_event {
	bool notify_ok;		/* the watcher has a notification search up */
	bool changed;		/* a change was notified */
	char why[512];		/* why notifications are down, or "" */
};

int dm_watch_start(struct dm_watch *w, const struct conf *conf, char *why,
    size_t whylen);
void dm_watch_stop(struct dm_watch *w);

/* A cycle the loop still has to answer (sync --now). */
struct dm_waiter {
	struct ctl_req *req;	/* answered when the cycle ends */
	struct dm_waiter *next;
};

/* The loop's state (daemon.c); owned by the loop thread. */
struct daemon {
	const char *conf_path;
	struct conf *conf;		/* owned: the current configuration */
	struct dm_engine engine;
	struct dm_watch watch;
	struct ctl_server *ctl;
	struct store *ro;		/* read-only handle for commands */
	struct rs_pacer *pacer;		/* the API budget (a reference) */
	struct pw_sync *pw;		/* password sync; NULL when off */
	int sigfd;
	bool stopping;

	/* Scheduling. */
	bool busy;			/* a cycle is with the engine */
	bool pending;			/* another incremental is due */
	bool pending_full;		/* ... a full one */
	char pending_trigger[DM_TRIGGER_MAX];
	int64_t approve_run;		/* the next cycle approves this run */
	int64_t change_at_ms;		/* debounce: run at this time, 0 none */
	int64_t next_interval_ms;	/* the safety-net cycle */
	int64_t next_full_ms;		/* the daily reconcile */
	int64_t next_watchdog_ms;	/* 0 = no watchdog */
	uint64_t watchdog_usec;
	struct dm_waiter *waiting;	/* sync --now callers of the running
					 * cycle */
	struct dm_waiter *waiting_next;	/* ... of the pending one */

	/* What `status` shows. */
	time_t started;
	char running_trigger[DM_TRIGGER_MAX];
	time_t running_since;
	struct dm_result last;		/* the last cycle's result */
	bool have_last;
	time_t last_ok;			/* end of the last successful cycle */
	bool notify_ok;
	char notify_why[512];
	unsigned long cycles;
};

/* Schedules a cycle: `full` or incremental, with a trigger name. Runs it at
 * once if the engine is idle, else after the running one (coalesced). */
void dm_schedule(struct daemon *d, bool full, const char *trigger);

/* The control socket's handler (daemon_cmd.c). */
void dm_cmd_handle(void *arg, struct ctl_req *req);
/* The JSON answer of `sync --now` for a finished cycle. */
json_t *dm_cmd_result_json(const struct dm_result *res);

#endif
