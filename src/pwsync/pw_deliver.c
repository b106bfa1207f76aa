/*
 * The password thread: takes the captures the receiver queued in pw.db and
 * sets them on the users' mailboxes, by the rules of docs/pwsync.md:
 *
 *   1. the account must be a user in AD (read now, by sAMAccountName or
 *      UPN: the freshest pwdLastSet, and a user created a second ago);
 *   2. a pre-commit capture waits until pwdLastSet shows the change;
 *   3. only the newest capture of a user is sent;
 *   4. a password below the service's rule is never sent: alert;
 *   5. the user must have a mailbox (a synced row in state.db, in scope);
 *      a user who does not have one yet keeps the capture for
 *      password_hold minutes, so that a new employee's first password is
 *      set as soon as the mailbox is made.
 * A capture that cannot be used within password_hold minutes is dropped
 * with a log line that says why.
 *
 * Threads and ownership: one thread (pw_sync_start), which owns its pw.db
 * connection, a read-only state.db handle, an LDAP connection and an API
 * client of its own; the client shares the engine's throttle budget
 * through a pacer and has its reserve (priority). Woken by an eventfd:
 * the receiver after each capture, the daemon after each cycle (a mailbox
 * made, a pwdLastSet read), and a timer.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "ad.h"
#include "conf.h"
#include "err.h"
#include "log.h"
#include "obj.h"
#include "plan.h"
#include "pwsync.h"
#include "secret.h"
#include "store.h"
#include "target.h"
#include "timing.h"
#include "xmalloc.h"

/* How often a waiting capture is looked at again without a wake-up. */
#define PW_IDLE_MS 5000
/* A capture received this recently holds the engine's writes back while a
 * pass resolves it (see pw_pass); older ones wait without holding. */
#define PW_FRESH_MS 10000
/* How much older than a pre-commit capture AD's pwdLastSet may be for the
 * capture to count as committed (see pw_pass). */
#define PW_CONFIRM_MS 5000
/* Transport failures in a row before a capture waits PW_IDLE_MS. */
#define PW_TRY_NOW 3

struct pw_sync {
	struct conf *conf;		/* owned copy */
	struct rs_pacer *pacer;		/* a reference */
	struct pw_sealer *sealer;	/* owned; the receiver borrows it */
	struct pw_receiver *rx;		/* owned */
	pthread_t th;
	bool running;
	int efd;			/* wake-ups */
	atomic_bool stop;
	/* The thread's own. */
	struct pw_db *db;
	struct store *ro;
	struct ad_conn *ad;
	struct rs_client *rs;
};

/* One queued capture and what the pass learnt about it. */
struct pw_item {
	struct pw_entry e;
	struct obj *user;	/* owned; NULL until resolved */
	bool superseded;
	/* Submitted to the API: the mailbox, and the answer when it came. */
	bool answered;
	struct plan_row row;
	int code;
	struct rs_error err;
};

struct pw_list {
	struct pw_item *v;
	size_t n, cap;
};

static int
pw_list_add(void *arg, const struct pw_entry *e)
{
	struct pw_list *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
	l->v[l->n++].e = *e;
	return 0;
}

static const char *
pw_who(const struct pw_entry *e)
{
	return e->account[0] ? e->account : e->upn;
}

/* Drops entry `it` for good, with the reason in the log. */
static void
pw_drop(struct pw_sync *p, struct pw_item *it, const char *why)
{
	log_info("password: dropped the change of %s (capture %s from %s): %s",
	    pw_who(&it->e), it->e.capture_id, it->e.dc, why);
	if (pw_db_queue_done(p->db, it->e.id, timing_wall_ms()) < 0)
		log_warnx("password: cannot remove capture %s: %s",
		    it->e.capture_id, pw_db_errmsg(p->db));
}

static void
pw_wait(struct pw_sync *p, struct pw_item *it, const char *note,
    bool attempt)
{
	if (strcmp(it->e.note, note) != 0)
		log_info("password: the change of %s waits: %s",
		    pw_who(&it->e), note);
	if (pw_db_queue_note(p->db, it->e.id, note, attempt) < 0)
		log_warnx("password: cannot note capture %s: %s",
		    it->e.capture_id, pw_db_errmsg(p->db));
}

static void
pw_alert(struct pw_sync *p, struct pw_item *it, const char *msg)
{
	char g[OBJ_GUID_TEXT];

	obj_guid_format(&it->user->guid, g);
	log_warnx("password: %s", msg);
	if (pw_db_alert_set(p->db, pw_who(&it->e), g, it->user->dn, msg,
	    (int64_t)time(NULL)) < 0)
		log_warnx("password: cannot record the alert: %s",
		    pw_db_errmsg(p->db));
}

/* The thread's connections, made on first need (AD or the API may be
 * down at start; the queue waits). */
static int
pw_connect(struct pw_sync *p, char *why, size_t whylen)
{
	int r;

	if (p->ro == NULL && (r = store_open_readonly(
	    p->conf->sync.state_dir, &p->ro, why, whylen)) < 0)
		return r;
	if (p->ad == NULL && (r = ad_conn_new(&p->conf->ad, &p->ad, why,
	    whylen)) < 0)
		return r;
	if (p->rs == NULL) {
		if (p->conf->rackspace.user_key[0] == '\0') {
			snprintf(why, whylen, "[rackspace] user_key is not "
			    "set");
			return -ADSYNC_ECONFIG;
		}
		if ((r = rs_client_new(&p->conf->rackspace, &p->rs, why,
		    whylen)) < 0)
			return r;
		if (p->pacer != NULL)
			rs_client_share_pacer(p->rs, p->pacer, true);
	}
	return 0;
}

/* The user's mailbox: its synced row, in scope. 1 with *svc, or 0. */
static int
pw_mailbox(struct pw_sync *p, const struct obj *u, struct plan_row *row)
{
	enum plan_service s;
	int r;

	for (s = 0; s < PLAN_SVC_COUNT; s++) {
		plan_row_init(row);
		r = store_row_get(p->ro, &u->guid, s, row);
		if (r == 0 && row->kind == PLAN_K_MAILBOX && row->in_scope &&
		    row->domain != NULL && row->name != NULL)
			return 1;
		plan_row_fini(row);
		if (r < 0 && r != -ADSYNC_ENOTFOUND)
			return r;
	}
	return 0;
}

/*
 * The password of `it`, opened and checked against the service's rule:
 * 0 and *out (owned), or a negative code with `why` (the entry is then
 * dropped; a weak password also raises the user's alert).
 */
static int
pw_open(struct pw_sync *p, struct pw_item *it, struct secret **out,
    char *why, size_t whylen)
{
	const unsigned char *b;
	unsigned char *blob;
	struct secret *pw;
	char msg[256];
	size_t len;

	*out = NULL;
	if ((blob = pw_db_queue_sealed(p->db, it->e.id, &len)) == NULL) {
		snprintf(why, whylen, "the queued row has no password");
		return -ADSYNC_EPARSE;
	}
	pw = pw_unseal(p->sealer, blob, len);
	free(blob);
	if (pw == NULL) {
		snprintf(why, whylen, "the queued password does not open with "
		    "pki/queue.key (was the key replaced?)");
		return -ADSYNC_EPARSE;
	}
	b = secret_bytes(pw, &len);
	if (rs_password_check((const char *)b, len, msg, sizeof(msg)) < 0) {
		/* The rule of the seed ("Rackspace Email and Hosted Exchange
		 * password requirements"), in its words. */
		snprintf(why, whylen, "The password of %s was not synchronized: "
		    "it does not meet the password requirements of the mail "
		    "service (%s; at least eight characters, with at least 3 "
		    "of: a lowercase letter, an uppercase letter, a number, a "
		    "non-alphanumeric character). Change the domain password "
		    "rules to meet or exceed these requirements, and have the "
		    "user change the password again.", pw_who(&it->e), msg);
		secret_free(pw);
		pw_alert(p, it, why);
		return -ADSYNC_EVALIDATION;
	}
	*out = pw;
	return 0;
}

static void
pw_send_done(void *arg, struct rs_response *resp, const struct rs_error *err)
{
	struct pw_item *it = arg;

	it->answered = true;
	it->code = err != NULL ? (err->code < 0 ? err->code :
	    -ADSYNC_EPROTO) : 0;
	if (err != NULL)
		it->err = *err;
	rs_response_fini(resp);
}

/* Submits `pw` for the mailbox of it->row; the answer comes to
 * pw_send_done, or a failure to submit is the answer at once. */
static void
pw_send(struct pw_sync *p, struct pw_item *it, const struct secret *pw)
{
	struct rs_request *req;
	int r;

	r = rs_password_prepare(p->rs, it->row.domain,
	    it->row.service == PLAN_SVC_EX ? "ex" : "rs", it->row.name, pw,
	    &req, &it->err);
	if (r == 0)
		r = rs_client_submit(p->rs, req, pw_send_done, it);
	if (r < 0) {
		it->answered = true;
		it->code = r;
	}
}

/* What an answer means for `it`: 1 done, 0 wait (the service could not be
 * reached), <0 drop (refused; the user's alert says why). */
static int
pw_outcome(struct pw_sync *p, struct pw_item *it, char *why, size_t whylen)
{
	if (it->code == 0)
		return 1;
	if (it->code == -ADSYNC_EVALIDATION || (it->err.http_status >= 400 &&
	    it->err.http_status < 500 && it->code != -ADSYNC_ETHROTTLED &&
	    it->code != -ADSYNC_EAUTH)) {
		snprintf(why, whylen, "The password of %s was refused by the "
		    "mail service for %s@%s: %s", pw_who(&it->e), it->row.name,
		    it->row.domain, it->err.message);
		pw_alert(p, it, why);
		return it->code;
	}
	snprintf(why, whylen, "cannot reach the mail service: %s",
	    it->err.message[0] ? it->err.message :
	    adsync_strerror(it->code));
	return 0;
}

/* One pass over the queue. Returns the ms until the next pass is due. */
static int
pw_pass(struct pw_sync *p)
{
	struct pw_list l = { NULL, 0, 0 };
	struct secret *pw;
	bool fresh = false;
	int64_t now = timing_wall_ms(), hold, lat, last;
	char why[1024], g[OBJ_GUID_TEXT];
	size_t i, j;
	int r, next = PW_IDLE_MS;

	if (pw_db_queue_each(p->db, pw_list_add, &l) < 0) {
		log_warnx("password: cannot read the queue: %s",
		    pw_db_errmsg(p->db));
		return next;
	}
	if (l.n == 0)
		goto out;
	/*
	 * Fresh captures hold the engine's writes back for the whole pass,
	 * not only while their requests wait in the client: the account
	 * reads come first, and a write token the engine took meanwhile
	 * would make a password wait for the next one back (bench/pwsync.sh).
	 * Captures that wait long (for a mailbox, for AD) do not hold it.
	 */
	for (i = 0; i < l.n; i++)
		if (now - l.v[i].e.received_ms < PW_FRESH_MS)
			fresh = true;
	if (fresh)
		rs_pacer_hold_writes(p->pacer, 1);
	if ((r = pw_connect(p, why, sizeof(why))) < 0) {
		log_warnx("password: %zu change(s) wait: %s", l.n, why);
		goto out;
	}
	hold = (int64_t)p->conf->daemon.password_hold * 60000;
	/* Resolve every capture first: the newest per user wins. */
	for (i = 0; i < l.n && !atomic_load(&p->stop); i++) {
		struct pw_item *it = &l.v[i];

		why[0] = '\0';
		r = ad_read_account(p->ad, it->e.account, it->e.upn, &it->user,
		    why, sizeof(why));
		if (r == -ADSYNC_ENOTFOUND || r == -EEXIST) {
			if (now - it->e.received_ms > hold)
				pw_drop(p, it, r == -EEXIST ? why :
				    "no such user in AD");
			else
				pw_wait(p, it, r == -EEXIST ? why :
				    "no such user in AD (yet)", false);
		} else if (r < 0) {
			pw_wait(p, it, why, false);
		}
	}
	/* Newest by the DC's capture time, not by arrival: a change spooled
	 * on a DC while the daemon was down may arrive after a newer one. */
	for (i = 0; i < l.n; i++)
		for (j = i + 1; j < l.n && l.v[i].user != NULL; j++)
			if (l.v[j].user != NULL &&
			    obj_guid_equal(&l.v[i].user->guid,
			    &l.v[j].user->guid)) {
				if (l.v[i].e.captured_ms <=
				    l.v[j].e.captured_ms)
					l.v[i].superseded = true;
				else
					l.v[j].superseded = true;
			}
	for (i = 0; i < l.n && !atomic_load(&p->stop); i++) {
		struct pw_item *it = &l.v[i];
		bool expired = now - it->e.received_ms > hold;

		if (it->user == NULL)
			continue;
		if (it->superseded) {
			pw_drop(p, it, "a newer change of the same user came");
			continue;
		}
		/* ... and across passes: older than the password set last. */
		obj_guid_format(&it->user->guid, g);
		if (pw_db_last_get(p->db, g, &last) == 0 &&
		    it->e.captured_ms < last) {
			pw_drop(p, it, "a newer change of the same user was "
			    "set already (this one waited in a spool)");
			continue;
		}
		/* Samba stamps pwdLastSet when the change starts, then runs
		 * the script (measured: 40 ms before the capture), and our
		 * copy has second resolution: a change counts as shown when
		 * pwdLastSet is at most PW_CONFIRM_MS older than the capture.
		 * A change that failed within that window of a successful
		 * one is taken for it (docs/pwsync.md). */
		if (!it->e.committed && it->user->pwd_last_set * 1000 <
		    it->e.captured_ms - PW_CONFIRM_MS) {
			if (expired)
				pw_drop(p, it, "AD never showed the change "
				    "(pwdLastSet did not move): it failed "
				    "after the hook saw it");
			else {
				log_debug("password: %s: pwdLastSet %lld s, "
				    "captured %lld ms", pw_who(&it->e),
				    (long long)it->user->pwd_last_set,
				    (long long)it->e.captured_ms);
				pw_wait(p, it, "waiting for AD to show the "
				    "change (pwdLastSet)", false);
			}
			continue;
		}
		why[0] = '\0';
		if ((r = pw_open(p, it, &pw, why, sizeof(why))) < 0) {
			pw_drop(p, it, why);
			continue;
		}
		if ((r = pw_mailbox(p, it->user, &it->row)) <= 0) {
			secret_free(pw);
			if (r < 0)
				pw_wait(p, it, store_errmsg(p->ro), false);
			else if (expired)
				pw_drop(p, it, "the user has no mailbox (not "
				    "in a sync group, or not synced) after "
				    "password_hold minutes");
			else {
				/* The engine may create the mailbox with it
				 * (pw_held.c). */
				obj_guid_format(&it->user->guid, g);
				(void)pw_db_queue_ready(p->db, it->e.id, g);
				pw_wait(p, it, "no mailbox yet (not in a sync "
				    "group, or not synced yet)", false);
			}
			continue;
		}
		/* Every password of the pass is queued in the client at
		 * once: that queue is the password sync's demand on the
		 * pacer it shares with the engine (rs_pacer.c). */
		pw_send(p, it, pw);
		secret_free(pw);
	}
	/* Until every answer is in (the callbacks point into l.v): when
	 * stopping, what is not sent yet is cancelled (its capture stays
	 * queued), what is in flight finishes or times out. */
	while (rs_client_pending(p->rs) > 0) {
		if (atomic_load(&p->stop))
			rs_client_cancel_queued(p->rs);
		if (rs_client_run(p->rs, 1000) < 0)
			break;
	}
	for (i = 0; i < l.n; i++) {
		struct pw_item *it = &l.v[i];

		if (!it->answered)
			continue;
		if (it->code == -ADSYNC_ECANCELED) {
			/* Stopping: the capture stays queued. */
			plan_row_fini(&it->row);
			continue;
		}
		why[0] = '\0';
		r = pw_outcome(p, it, why, sizeof(why));
		if (r == 1) {
			lat = timing_wall_ms() - it->e.captured_ms;
			log_info("password: set for %s on %s %s@%s (capture %s "
			    "from %s, %lld ms after the change)",
			    pw_who(&it->e), plan_service_name(it->row.service),
			    it->row.name, it->row.domain, it->e.capture_id,
			    it->e.dc, (long long)lat);
			(void)pw_db_alert_clear(p->db, pw_who(&it->e));
			if (it->user != NULL) {
				obj_guid_format(&it->user->guid, g);
				if (pw_db_last_set(p->db, g,
				    it->e.captured_ms) < 0)
					log_warnx("password: cannot record the "
					    "change of %s: %s", pw_who(&it->e),
					    pw_db_errmsg(p->db));
			}
			if (pw_db_queue_done(p->db, it->e.id,
			    timing_wall_ms()) < 0)
				log_warnx("password: cannot remove capture "
				    "%s: %s", it->e.capture_id,
				    pw_db_errmsg(p->db));
		} else if (r < 0) {
			pw_drop(p, it, why);
		} else {
			pw_wait(p, it, why, true);
			if (it->e.attempts + 1 < PW_TRY_NOW)
				next = 1000;
		}
		plan_row_fini(&it->row);
	}
out:
	if (fresh)
		rs_pacer_hold_writes(p->pacer, -1);
	for (i = 0; i < l.n; i++)
		obj_free(l.v[i].user);
	free(l.v);
	return next;
}

static void *
pw_thread(void *arg)
{
	struct pw_sync *p = arg;
	struct pollfd pfd;
	uint64_t v;
	int wait = 0;

	log_thread_name("password");
	while (!atomic_load(&p->stop)) {
		pfd.fd = p->efd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, wait) > 0)
			(void)!read(p->efd, &v, sizeof(v));
		if (atomic_load(&p->stop))
			break;
		wait = pw_pass(p);
	}
	return NULL;
}

void
pw_sync_wake(struct pw_sync *p)
{
	uint64_t one = 1;

	if (p != NULL)
		(void)!write(p->efd, &one, sizeof(one));
}

static void
pw_sync_rx_notify(void *arg)
{
	pw_sync_wake(arg);
}

int
pw_sync_start(const struct conf *conf, struct rs_pacer *pacer,
    struct pw_sync **out, char *why, size_t whylen)
{
	struct pw_sync *p;
	int r, err;

	*out = NULL;
	p = xcalloc(1, sizeof(*p));
	p->efd = -1;
	atomic_init(&p->stop, false);
	if ((p->conf = conf_dup(conf)) == NULL) {
		free(p);
		return -ENOMEM;
	}
	if (pacer != NULL)
		p->pacer = rs_pacer_ref(pacer);
	if ((r = pw_pki_ensure(conf->sync.state_dir, conf->daemon.hook_names,
	    why, whylen)) < 0 ||
	    (r = pw_sealer_open(conf->sync.state_dir, &p->sealer, why,
	    whylen)) < 0 ||
	    (r = pw_db_open(conf->sync.state_dir, false, &p->db, why,
	    whylen)) < 0)
		goto fail;
	if ((p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		r = -errno;
		snprintf(why, whylen, "eventfd: %s", adsync_strerror(r));
		goto fail;
	}
	if (conf->daemon.hook_listen[0] != '\0' &&
	    (r = pw_receiver_start(conf->daemon.hook_listen,
	    conf->sync.state_dir, p->sealer, pw_sync_rx_notify, p, &p->rx,
	    why, whylen)) < 0)
		goto fail;
	if ((err = pthread_create(&p->th, NULL, pw_thread, p)) != 0) {
		r = -err;
		snprintf(why, whylen, "cannot start the password thread: %s",
		    adsync_strerror(r));
		goto fail;
	}
	p->running = true;
	*out = p;
	return 0;
fail:
	pw_sync_stop(p);
	return r;
}

const char *
pw_sync_receiver_addr(const struct pw_sync *p)
{
	return p != NULL && p->rx != NULL ? pw_receiver_addr(p->rx) : "";
}

void
pw_sync_stop(struct pw_sync *p)
{
	if (p == NULL)
		return;
	/* The receiver first: nothing new comes in while the thread ends. */
	pw_receiver_stop(p->rx);
	atomic_store(&p->stop, true);
	if (p->running) {
		pw_sync_wake(p);
		pthread_join(p->th, NULL);
	}
	if (p->efd >= 0)
		close(p->efd);
	rs_client_free(p->rs);
	ad_conn_free(p->ad);
	store_close(p->ro);
	pw_db_close(p->db);
	pw_sealer_free(p->sealer);
	rs_pacer_unref(p->pacer);
	conf_free(p->conf);
	free(p);
}
