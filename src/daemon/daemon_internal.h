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

/* Upper bounds of adsync_change_latency_seconds's buckets (+Inf aside). */
#define DM_LATENCY_NBOUNDS 9

/* What the metrics count on the loop thread (daemon_metrics.c). */
struct dm_metrics {
	int64_t window;			/* the debounce (change_at_ms) last
					 * seen: a new one is a new change */
	int64_t change_ms;		/* first change the next cycle to end
					 * reads, timing_now_ms(); 0 none */
	int64_t change_next_ms;		/* ... noticed while a cycle ran: the
					 * cycle after it reads it */
	unsigned long cycles[STORE_RUN_HELD + 1];	/* by status */
	uint64_t latency[DM_LATENCY_NBOUNDS + 1];	/* per bucket, not
							 * cumulative; last:
							 * +Inf */
	double latency_sum;
	double last_duration;		/* seconds, the engine's timing */
	struct store_op_tally ops;	/* the journal counted so far */
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
	struct web *web;		/* the console; NULL when off */
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
	char sandbox[160];		/* what the sandbox holds, or "off" */
	char running_trigger[DM_TRIGGER_MAX];
	time_t running_since;
	struct dm_result last;		/* the last cycle's result */
	bool have_last;
	time_t last_ok;			/* end of the last successful cycle */
	bool notify_ok;
	char notify_why[512];
	unsigned long cycles;
	/* Synced objects per service, counted when idle (status). */
	size_t obj_by[PLAN_SVC_COUNT];
	bool obj_by_valid;
	struct dm_metrics metrics;	/* daemon_metrics.c */
};

/* Schedules a cycle: `full` or incremental, with a trigger name. Runs it at
 * once if the engine is idle, else after the running one (coalesced). */
void dm_schedule(struct daemon *d, bool full, const char *trigger);

/* Whether `c` lacks what a cycle needs (API keys, the AD connection, a
 * service group); then `why` (when whylen > 0) says what and where to set
 * it. No cycle runs until a reload brings the missing settings. */
bool dm_setup_missing(const struct conf *c, char *why, size_t whylen);

/* Reads the configuration file again and applies it (SIGHUP, the console's
 * "Save"): `who` labels the log lines. The number of changed settings, or
 * a negative code with `why` (the running configuration then stays). */
int dm_reload(struct daemon *d, const char *who, char *why, size_t whylen);

/* The control socket's handler (daemon_cmd.c). */
void dm_cmd_handle(void *arg, struct ctl_req *req);
/* {"error": formatted sentence}. */
json_t *dm_error(const char *fmt, ...) ATTR_PRINTF(1, 2);
/* The loop's read-only store handle, opened on first use; NULL and `why`
 * before the engine created the database. */
struct store *dm_ro(struct daemon *d, char *why, size_t whylen);
json_t *dm_counts_json(const struct store_run_counts *c);

/* Most runs `history` returns at once. */
#define DM_HISTORY_MAX 1000
/* The console's queries (daemon_query.c): history [n, from], ops of a run,
 * object search, the password hooks, reload. */
json_t *dm_cmd_history(struct daemon *d, const json_t *body);
json_t *dm_cmd_ops(struct daemon *d, const json_t *body);
json_t *dm_cmd_objects(struct daemon *d, const json_t *body);
json_t *dm_cmd_hooks(struct daemon *d);
json_t *dm_cmd_reload(struct daemon *d);
json_t *dm_op_json(const struct store_op *op);
/* The JSON answer of `sync --now` for a finished cycle. */
json_t *dm_cmd_result_json(const struct dm_result *res);

/* ---- metrics (daemon_metrics.c, docs/daemon.md "Metrics") ---------- */

/* The watcher's events were taken: a change noted now (a new debounce)
 * starts the change latency of the cycle that will read it. */
void dm_metrics_change_seen(struct daemon *d);
/* A cycle ended (`res` borrowed): counts it, and observes the change
 * latency of the changes it read if it made operations. */
void dm_metrics_cycle_done(struct daemon *d, const struct dm_result *res);
/* `{"text": exposition}`: the Prometheus text format 0.0.4 (owned). */
json_t *dm_cmd_metrics(struct daemon *d);

/* An enrolled DC's hook, as the metrics show it. */
struct dm_metrics_dc {
	char name[72];			/* PW_DC_MAX fits */
	int64_t last_heartbeat;		/* Unix s; 0 never */
	bool up;			/* heard from within PW_DC_QUIET_S */
};

struct rs_metrics;

/* Everything an exposition shows, collected first so that rendering is
 * pure (and tested: tests/unit/test_daemon_metrics.c). */
struct dm_metrics_view {
	const char *version;		/* borrowed */
	int64_t started, last_ok;	/* Unix s; last_ok 0: never */
	bool busy, notify_ok;
	size_t queue;
	const struct dm_metrics *m;	/* borrowed */
	const struct rs_metrics *api;	/* borrowed */
	bool store_ok;			/* the store fields below were read */
	size_t objects[PLAN_SVC_COUNT][PLAN_K_COUNT][2];
	struct store_op_counts ops;
	size_t alerts;			/* store's and password's */
	bool pw_ok;			/* pw.db was read */
	bool pw_enabled;		/* the password sync runs */
	uint64_t pw_queue;
	struct dm_metrics_dc *dcs;	/* borrowed; not revoked */
	size_t ndcs, dcs_revoked;
};

struct buf;
/* Appends the exposition of `v` to `b`: 0 or buf's codes. */
int dm_metrics_render(struct buf *b, const struct dm_metrics_view *v)
    ATTR_NODISCARD;
/* Counts one change latency of `secs` into m's histogram. */
void dm_metrics_observe(struct dm_metrics *m, double secs);
/* Text format pieces: "# HELP" and "# TYPE" lines (help escaped); one
 * sample `name{k="v",...} value` with `labels` a NULL-terminated list of
 * name, value pairs (NULL: none; values escaped: \\, \", \n). */
int dm_prom_head(struct buf *b, const char *name, const char *type,
    const char *help) ATTR_NODISCARD;
int dm_prom_sample(struct buf *b, const char *name,
    const char *const *labels, double v) ATTR_NODISCARD;

/* daemon_sandbox.c: the sandbox of `adsync daemon` from its configuration
 * (docs/SECURITY.md); on the main thread before any other thread starts.
 * `text` gets what it holds, for status. 0, or a negative code and `why`
 * (the daemon must not start). */
int dm_sandbox(const char *conf_path, const struct conf *c, char *text,
    size_t textlen, char *why, size_t whylen) ATTR_NODISCARD;

#endif
