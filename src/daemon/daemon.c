/*
 * The daemon's loop (see daemon.h for the threads): one poll(2) over the
 * signals, the engine's answers, the watcher's wake-ups and the control
 * socket, with the timers (debounce, interval, daily full reconcile,
 * watchdog) as its timeout. It decides when a cycle runs; the engine thread
 * runs it. Cycles never overlap: what arrives meanwhile is coalesced into
 * the one cycle after (five edits of a user in a second are one read, one
 * plan and one PUT).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "daemon.h"
#include "daemon_internal.h"
#include "diag.h"
#include "err.h"
#include "log.h"
#include "pwsync.h"
#include "sdnotify.h"
#include "target.h"
#include "timing.h"
#include "web.h"
#include "xmalloc.h"

/* A burst of changes is read as one: the cycle starts this long after the
 * first notification (Samba and AD notify each attribute write). */
#define DM_DEBOUNCE_MS 30

int
daemon_socket_path(const char *state_dir, char *out, size_t outlen)
{
	if ((size_t)snprintf(out, outlen, "%s/%s", state_dir,
	    CTL_SOCKET_NAME) >= outlen)
		return -ENAMETOOLONG;
	return 0;
}

/* Hands the next cycle to the engine. */
static void
dm_dispatch(struct daemon *d, bool full, const char *trigger)
{
	struct dm_job *job = xcalloc(1, sizeof(*job));

	job->kind = DM_JOB_CYCLE;
	job->full = full;
	job->approve_run = d->approve_run;
	d->approve_run = 0;
	snprintf(job->trigger, sizeof(job->trigger), "%s", trigger);
	d->busy = true;
	snprintf(d->running_trigger, sizeof(d->running_trigger), "%s",
	    trigger);
	d->running_since = time(NULL);
	sdnotify_status("syncing (%s)", trigger);
	queue_push(d->engine.jobs, job);
}

bool
dm_setup_missing(const struct conf *c, char *why, size_t whylen)
{
	const char *what = NULL;

	if (c->rackspace.user_key[0] == '\0')
		what = "the API keys are not registered ([rackspace] "
		    "user_key and secret_key_file)";
	else if (c->ad.uri[0] == '\0' || c->ad.base_dn[0] == '\0')
		what = "the AD connection is not set ([ad] uri and base_dn)";
	else if (c->sync.exchange_group[0] == '\0' &&
	    c->sync.rackspace_email_group[0] == '\0')
		what = "no service group is chosen ([sync] exchange_group or "
		    "rackspace_email_group)";
	if (what == NULL)
		return false;
	if (whylen > 0)
		snprintf(why, whylen, "adsync is not set up yet: %s; finish "
		    "the set-up in the console (web_listen) or in %s, then "
		    "reload", what, c->path[0] != '\0' ? c->path :
		    "the configuration file");
	return true;
}

void
dm_schedule(struct daemon *d, bool full, const char *trigger)
{
	if (d->stopping)
		return;
	/* Nothing to sync before the set-up is done; the reload that
	 * completes it schedules the first cycle. */
	if (dm_setup_missing(d->conf, NULL, 0))
		return;
	/* The first cycle of a daemon reads AD in full. */
	if (d->cycles == 0 && !d->busy)
		full = true;
	if (!d->busy) {
		dm_dispatch(d, full, trigger);
		return;
	}
	/* Coalesced into the cycle after the running one. */
	if (!d->pending)
		snprintf(d->pending_trigger, sizeof(d->pending_trigger), "%s",
		    trigger);
	d->pending = true;
	d->pending_full |= full;
}

static void
dm_answer_waiters(struct dm_waiter **list, const struct dm_result *res,
    const char *error)
{
	struct dm_waiter *w;

	while ((w = *list) != NULL) {
		*list = w->next;
		ctl_req_reply(w->req, res != NULL ? dm_cmd_result_json(res) :
		    json_pack("{s:s}", "error", error));
		free(w);
	}
}

/* An answer from the engine thread. */
static void
dm_on_result(struct daemon *d, struct dm_result *res)
{
	int64_t now = timing_now_ms();

	if (res->kind == DM_JOB_RELOAD) {
		free(res);
		return;
	}
	if (res->kind == DM_JOB_EXPLAIN) {
		ctl_req_reply(res->req, res->rc < 0 ? json_pack("{s:s}",
		    "error", res->why) : res->answer);
		if (res->rc < 0)
			json_decref(res->answer);
		free(res);
		return;
	}
	if (res->kind == DM_JOB_REJECT) {
		ctl_req_reply(res->req, res->rc < 0 ? json_pack("{s:s}",
		    "error", res->why) : json_pack("{s:I,s:I}", "run",
		    (json_int_t)res->run_id, "rejected",
		    (json_int_t)res->rejected));
		free(res);
		return;
	}
	d->busy = false;
	d->cycles++;
	d->obj_by_valid = false;	/* the cycle changed rows */
	dm_metrics_cycle_done(d, res);
	/* Mailboxes made and pwdLastSet read may free waiting passwords. */
	pw_sync_wake(d->pw);
	if (res->rc == 0) {
		d->last_ok = res->ended;
		sdnotify_status("idle; last cycle (%s) at %ld: %lu created, "
		    "%lu updated, %lu errors", res->trigger, (long)res->ended,
		    res->counts.created, res->counts.updated,
		    res->counts.errors);
	} else {
		log_warnx("cycle (%s) failed: %s", res->trigger, res->why);
		sdnotify_status("last cycle (%s) failed: %s", res->trigger,
		    res->why);
	}
	if (res->full_read && res->rc == 0)
		d->next_full_ms = now +
		    (int64_t)d->conf->sync.full_sync_interval * 1000;
	d->next_interval_ms = now + (int64_t)d->conf->sync.interval * 1000;
	d->last = *res;
	d->have_last = true;
	free(res);
	dm_answer_waiters(&d->waiting, &d->last, NULL);
	d->waiting = d->waiting_next;
	d->waiting_next = NULL;
	if (d->pending) {
		d->pending = false;
		dm_dispatch(d, d->pending_full, d->pending_trigger);
		d->pending_full = false;
	} else if (d->waiting != NULL) {
		/* Cannot happen (waiters of a next cycle imply pending), but
		 * never leave a caller hanging. */
		dm_answer_waiters(&d->waiting, NULL, "no cycle to wait for");
	}
}

/* The password sync of `conf` (none without a user key: nowhere to send
 * passwords yet); a receiver that cannot listen is an error that names
 * hook_listen. */
static int
dm_pw_start(struct daemon *d, const struct conf *conf, char *why,
    size_t whylen)
{
	char w[768];
	int r;

	if (conf->rackspace.user_key[0] == '\0')
		return 0;
	if ((r = pw_sync_start(conf, d->pacer, &d->pw, w, sizeof(w))) < 0) {
		snprintf(why, whylen, "password sync: %s (set [daemon] "
		    "hook_listen to another address, or leave it empty to "
		    "receive no passwords)", w);
		return r;
	}
	return 0;
}

/* Once a day (with the full cycle): a receiver certificate about to end
 * is issued again, and the receiver restarted with it, so that a daemon
 * that runs for years never presents an expired one to the hooks. */
static void
dm_pw_renew(struct daemon *d)
{
	char w[768];

	if (d->pw == NULL || pw_pki_server_expiring(d->conf->sync.state_dir,
	    PW_PKI_RENEW_DAYS) != 1)
		return;
	log_info("the hook receiver's certificate ends within %d days: "
	    "restarting the receiver with a new one", PW_PKI_RENEW_DAYS);
	pw_sync_stop(d->pw);
	d->pw = NULL;
	if (dm_pw_start(d, d->conf, w, sizeof(w)) < 0)
		log_warnx("%s; passwords are not received until this is "
		    "fixed", w);
}

/* The canonical form of `c`, one "[section] key = value" per line. */
static char *
dm_conf_lines(const struct conf *c)
{
	char *text = NULL, *out, *line, *save = NULL, section[64] = "";
	size_t len = 0;
	FILE *fp;
	struct buf b;

	if ((fp = open_memstream(&text, &len)) == NULL)
		return xstrdup("");
	conf_dump(c, fp);
	fclose(fp);
	buf_init(&b, 1024 * 1024);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '[')
			snprintf(section, sizeof(section), "%s", line);
		else if (strchr(line, '=') != NULL &&
		    buf_printf(&b, "%s %s\n", section, line) < 0)
			break;	/* cannot happen under 1 MiB of settings */
	}
	free(text);
	out = buf_take(&b);
	return out != NULL ? out : xstrdup("");
}

/* Logs every key whose value differs; returns how many. */
static unsigned
dm_conf_diff(const struct conf *a, const struct conf *b)
{
	char *ta = dm_conf_lines(a), *tb = dm_conf_lines(b);
	char *la, *lb, *sa = NULL, *sb = NULL;
	unsigned n = 0;

	/* Both dumps list every key in the same order. */
	for (la = strtok_r(ta, "\n", &sa), lb = strtok_r(tb, "\n", &sb);
	    la != NULL && lb != NULL; la = strtok_r(NULL, "\n", &sa),
	    lb = strtok_r(NULL, "\n", &sb)) {
		if (strcmp(la, lb) != 0) {
			log_info("configuration changed: %s (was: %s)", lb,
			    strchr(la, '=') != NULL ? strchr(la, '=') + 2 :
			    la);
			n++;
		}
	}
	free(ta);
	free(tb);
	return n;
}

/* SIGHUP: read the file again; take it between cycles, or keep the old
 * one and say why. */
int
dm_reload(struct daemon *d, const char *who, char *why, size_t whylen)
{
	struct rs_pacer *pacer;
	struct conf *nc = NULL;
	struct dm_job *job;
	struct diag dg;
	char w[512];
	unsigned n;

	sdnotify_reloading();
	diag_init(&dg);
	if (conf_load_file(d->conf_path, &nc, &dg) < 0) {
		log_warnx("%s: %s has errors; the running configuration "
		    "stays:", who, d->conf_path);
		diag_print(&dg, stderr);
		if (dg.n > 0 && dg.v[0].line > 0)
			snprintf(why, whylen, "%s:%u: %s (the running "
			    "configuration stays)", d->conf_path,
			    dg.v[0].line, dg.v[0].msg);
		else
			snprintf(why, whylen, "%s has errors: %s (the "
			    "running configuration stays)", d->conf_path,
			    dg.n > 0 ? dg.v[0].msg : "see the log");
		diag_fini(&dg);
		sdnotify_ready("configuration not reloaded: errors in the "
		    "file");
		return -ADSYNC_ECONFIG;
	}
	diag_fini(&dg);
	if (strcmp(nc->sync.state_dir, d->conf->sync.state_dir) != 0) {
		snprintf(why, whylen, "state_dir changed from %s to %s; that "
		    "takes a restart (systemctl restart adsync); the running "
		    "configuration stays", d->conf->sync.state_dir,
		    nc->sync.state_dir);
		log_warnx("%s: %s", who, why);
		conf_free(nc);
		sdnotify_ready("configuration not reloaded: state_dir "
		    "changed");
		return -ADSYNC_ECONFIG;
	}
	n = dm_conf_diff(d->conf, nc);
	if (n == 0) {
		log_info("%s: %s read again; nothing changed", who,
		    d->conf_path);
		conf_free(nc);
		sdnotify_ready("configuration unchanged");
		return 0;
	}
	log_info("%s: %u setting(s) changed; they apply from the next "
	    "cycle", who, n);
	/* The console's own settings: it serves the page that asked for
	 * this reload, so it is not restarted under it. */
	if (strcmp(nc->daemon.web_listen, d->conf->daemon.web_listen) != 0 ||
	    strcmp(nc->daemon.web_tls_cert, d->conf->daemon.web_tls_cert) !=
	    0 || strcmp(nc->daemon.web_tls_key_file,
	    d->conf->daemon.web_tls_key_file) != 0 ||
	    strcmp(nc->daemon.web_password_file,
	    d->conf->daemon.web_password_file) != 0)
		log_warnx("%s: the console's settings (web_*) changed; they "
		    "take a restart (systemctl restart adsync)", who);
	job = xcalloc(1, sizeof(*job));
	job->kind = DM_JOB_RELOAD;
	snprintf(job->trigger, sizeof(job->trigger), "reload");
	job->conf = conf_dup(nc);
	if (job->conf == NULL) {
		dm_job_free(job);
		conf_free(nc);
		snprintf(why, whylen, "out of memory; the running "
		    "configuration stays");
		log_warnx("%s: %s", who, why);
		return -ENOMEM;
	}
	/* A new budget when the limits changed; the engine takes it with the
	 * new configuration, the password sync below. */
	if (rs_pacer_new(&nc->rackspace, true, &pacer) == 0) {
		rs_pacer_unref(d->pacer);
		d->pacer = pacer;
	}
	job->pacer = rs_pacer_ref(d->pacer);
	queue_push(d->engine.jobs, job);
	pw_sync_stop(d->pw);
	d->pw = NULL;
	if (dm_pw_start(d, nc, w, sizeof(w)) < 0)
		log_warnx("%s: %s; passwords are not received until "
		    "this is fixed", who, w);
	/* The watcher reconnects with the new [ad] settings. */
	dm_watch_stop(&d->watch);
	if (dm_watch_start(&d->watch, nc, w, sizeof(w)) < 0)
		log_warnx("%s: %s", who, w);
	conf_free(d->conf);
	d->conf = nc;
	d->next_interval_ms = timing_now_ms() +
	    (int64_t)d->conf->sync.interval * 1000;
	/* What changed (groups, domains) may change the scope. */
	dm_schedule(d, false, "reload");
	sdnotify_ready("configuration reloaded");
	return (int)n;
}

static void
dm_on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;
	char why[512];

	while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			(void)dm_reload(d, "SIGHUP", why, sizeof(why));
			break;
		case SIGTERM:
		case SIGINT:
			if (!d->stopping)
				log_info("signal %u: stopping", si.ssi_signo);
			d->stopping = true;
			break;
		default:
			break;
		}
	}
}

static void
dm_on_watch(struct daemon *d)
{
	struct dm_event *ev;

	while ((ev = queue_trypop(d->watch.events)) != NULL) {
		d->notify_ok = ev->notify_ok;
		snprintf(d->notify_why, sizeof(d->notify_why), "%s", ev->why);
		if (ev->changed && d->change_at_ms == 0)
			d->change_at_ms = timing_now_ms() + DM_DEBOUNCE_MS;
		dm_metrics_change_seen(d);
		free(ev);
	}
}

/* Runs the timers that are due; returns the poll timeout to the next. */
static int
dm_timers(struct daemon *d)
{
	int64_t now = timing_now_ms(), next = now + 60000;

	if (d->change_at_ms != 0 && now >= d->change_at_ms) {
		d->change_at_ms = 0;
		dm_schedule(d, false, "change");
	}
	if (now >= d->next_full_ms) {
		d->next_full_ms = now +
		    (int64_t)d->conf->sync.full_sync_interval * 1000;
		dm_schedule(d, true, "full");
		dm_pw_renew(d);
	}
	if (now >= d->next_interval_ms) {
		d->next_interval_ms = now +
		    (int64_t)d->conf->sync.interval * 1000;
		dm_schedule(d, false, "interval");
	}
	if (d->next_watchdog_ms != 0 && now >= d->next_watchdog_ms) {
		/* From the loop: a loop that hangs stops the pings. */
		sdnotify_watchdog();
		d->next_watchdog_ms = now +
		    (int64_t)(d->watchdog_usec / 2000);
	}
	if (d->change_at_ms != 0 && d->change_at_ms < next)
		next = d->change_at_ms;
	if (d->next_full_ms < next)
		next = d->next_full_ms;
	if (d->next_interval_ms < next)
		next = d->next_interval_ms;
	if (d->next_watchdog_ms != 0 && d->next_watchdog_ms < next)
		next = d->next_watchdog_ms;
	return next <= now ? 0 : (int)(next - now);
}

static int
dm_setup(struct daemon *d, char *why, size_t whylen)
{
	char path[512];
	sigset_t set;
	int r;

	if (mkdir(d->conf->sync.state_dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		snprintf(why, whylen, "cannot create the state directory %s: "
		    "%s", d->conf->sync.state_dir, adsync_strerror(r));
		return r;
	}
	if ((r = daemon_socket_path(d->conf->sync.state_dir, path,
	    sizeof(path))) < 0) {
		snprintf(why, whylen, "state_dir %s is too long for a control "
		    "socket; choose a shorter path", d->conf->sync.state_dir);
		return r;
	}
	/* Before any thread starts: the threads inherit the mask, so the
	 * signals reach only the signalfd. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (d->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot set up signals: %s",
		    adsync_strerror(r));
		return r;
	}
	/* A peer that goes away must be an error return, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	/* Before any thread starts: they inherit it (docs/SECURITY.md). */
	if ((r = dm_sandbox(d->conf_path, d->conf, d->sandbox,
	    sizeof(d->sandbox), why, whylen)) < 0)
		return r;
	if (geteuid() == 0)
		log_warnx("running as root (--allow-root): adsync needs no "
		    "privilege and %s; files it creates are root's: run it as "
		    "the adsync user, as packaging/adsync.service does",
		    d->conf->daemon.sandbox ? "has dropped its capabilities" :
		    "keeps root's power ([daemon] sandbox = no)");
	/* The socket first: a second daemon on this state directory stops
	 * here, before it touches anything. */
	if ((r = ctl_server_open(path, dm_cmd_handle, d, &d->ctl, why,
	    whylen)) < 0)
		return r;
	/* One API budget for the engine and the password sync, with a
	 * reserve for passwords (docs/pwsync.md). */
	if ((r = rs_pacer_new(&d->conf->rackspace, true, &d->pacer)) < 0) {
		snprintf(why, whylen, "out of memory");
		return r;
	}
	if ((r = dm_engine_start(&d->engine, d->conf, d->pacer, why,
	    whylen)) < 0)
		return r;
	if ((r = dm_watch_start(&d->watch, d->conf, why, whylen)) < 0)
		return r;
	if ((r = dm_pw_start(d, d->conf, why, whylen)) < 0)
		return r;
	/* The console last: it asks the loop, which is ready now. */
	if ((r = web_start(d->conf, d->conf_path, &d->web, why,
	    whylen)) < 0)
		return r;
	if (sdnotify_watchdog_usec(&d->watchdog_usec) == 1)
		d->next_watchdog_ms = timing_now_ms();
	return 0;
}

int
daemon_run(const char *conf_path, struct conf *conf, char *why,
    size_t whylen)
{
	struct pollfd fds[CTL_POLLFDS_MAX + 3];
	struct daemon *d = xcalloc(1, sizeof(*d));
	struct dm_result *res;
	size_t nctl, i;
	int r, timeout, t;

	d->conf_path = conf_path;
	d->conf = conf;
	d->sigfd = -1;
	d->started = time(NULL);
	d->next_interval_ms = timing_now_ms() +
	    (int64_t)conf->sync.interval * 1000;
	d->next_full_ms = timing_now_ms() +
	    (int64_t)conf->sync.full_sync_interval * 1000;
	if ((r = dm_setup(d, why, whylen)) < 0)
		goto out;
	log_info("adsync daemon started (state %s, control socket %s/%s)",
	    conf->sync.state_dir, conf->sync.state_dir, CTL_SOCKET_NAME);
	/* First a full reconcile; then changes as they come. */
	if (dm_setup_missing(d->conf, why, whylen)) {
		log_warnx("%s", why);
		why[0] = '\0';
	}
	dm_schedule(d, true, "start");
	sdnotify_ready("started; first cycle running");
	while (!d->stopping) {
		timeout = dm_timers(d);
		nctl = ctl_server_pollfds(d->ctl, fds, CTL_POLLFDS_MAX);
		t = ctl_server_next_timeout_ms(d->ctl);
		if (t >= 0 && t < timeout)
			timeout = t;
		fds[nctl].fd = d->sigfd;
		fds[nctl + 1].fd = queue_fd(d->engine.results);
		fds[nctl + 2].fd = queue_fd(d->watch.events);
		for (i = nctl; i < nctl + 3; i++) {
			fds[i].events = POLLIN;
			fds[i].revents = 0;
		}
		if (poll(fds, nctl + 3, timeout) < 0 && errno != EINTR) {
			r = -errno;
			snprintf(why, whylen, "poll failed: %s",
			    adsync_strerror(r));
			break;
		}
		ctl_server_handle(d->ctl, fds, nctl);
		if (fds[nctl].revents & POLLIN)
			dm_on_signal(d);
		while ((res = queue_trypop(d->engine.results)) != NULL)
			dm_on_result(d, res);
		if (fds[nctl + 2].revents & POLLIN)
			dm_on_watch(d);
	}
	r = 0;
	sdnotify_stopping();
	log_info("stopping: finishing the requests in flight");
out:
	d->stopping = true;
	/* The engine stops between batches; what is in flight finishes and
	 * is recorded, what was not sent is planned again next start. */
	/* Passwords first: the receiver stops answering, queued captures
	 * stay in pw.db for the next start. */
	pw_sync_stop(d->pw);
	d->pw = NULL;
	if (d->engine.jobs != NULL) {
		struct dm_job *job;

		dm_engine_stop(&d->engine);
		/* Requests that waited on the engine get their answer. */
		while ((job = queue_trypop(d->engine.jobs)) != NULL) {
			if (job->req != NULL)
				ctl_req_reply(job->req, json_pack("{s:s}",
				    "error", "the daemon is stopping"));
			dm_job_free(job);
		}
		while ((res = queue_trypop(d->engine.results)) != NULL) {
			if (res->req != NULL)
				ctl_req_reply(res->req, json_pack("{s:s}",
				    "error", "the daemon is stopping"));
			json_decref(res->answer);
			free(res);
		}
		dm_engine_fini(&d->engine);
	}
	if (d->watch.events != NULL)
		dm_watch_stop(&d->watch);
	dm_answer_waiters(&d->waiting, NULL, "the daemon is stopping");
	dm_answer_waiters(&d->waiting_next, NULL, "the daemon is stopping");
	ctl_server_close(d->ctl);
	/* The console after the socket: a page waiting on the loop has its
	 * "stopping" answer, a later one finds no socket, so no connection
	 * thread waits out its timeout. */
	web_stop(d->web);
	d->web = NULL;
	store_close(d->ro);
	if (d->sigfd >= 0)
		close(d->sigfd);
	rs_pacer_unref(d->pacer);
	conf_free(d->conf);
	free(d);
	if (r == 0)
		log_info("stopped");
	return r;
}
