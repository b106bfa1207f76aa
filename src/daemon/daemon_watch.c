/*
 * The daemon's change watcher: a connection of its own to a domain
 * controller with a change-notification search up (LDAP_SERVER_NOTIFICATION,
 * src/ldap), and one message to the loop per wake-up. It never reads the
 * changes itself: the engine does, from its watermark, so a missed or
 * spurious notification costs at most one cheap incremental read. When
 * notifications are down (a DC that refuses them, a dropped connection) it
 * says so once, retries with backoff, and the loop's interval cycle is the
 * safety net meanwhile.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ad.h"
#include "daemon_internal.h"
#include "err.h"
#include "log.h"
#include "xmalloc.h"

/* Backoff between attempts to get notifications back, in seconds. */
#define DM_WATCH_BACKOFF_MIN 2
#define DM_WATCH_BACKOFF_MAX 300

static void
dm_watch_post(struct dm_watch *w, bool ok, bool changed, const char *why)
{
	struct dm_event *ev = xcalloc(1, sizeof(*ev));

	ev->notify_ok = ok;
	ev->changed = changed;
	snprintf(ev->why, sizeof(ev->why), "%s", why != NULL ? why : "");
	queue_push(w->events, ev);
}

/* Sleeps `secs` in slices, returning early when asked to stop. */
static void
dm_watch_sleep(struct dm_watch *w, unsigned secs)
{
	unsigned i;

	for (i = 0; i < secs * 4 && !atomic_load(&w->stop); i++)
		usleep(250 * 1000);
}

static void *
dm_watch_main(void *arg)
{
	struct dm_watch *w = arg;
	struct ad_conn *conn = NULL;
	struct ad_notify *n = NULL;
	char why[512];
	unsigned backoff = DM_WATCH_BACKOFF_MIN;
	int r;

	log_thread_name("watch");
	while (!atomic_load(&w->stop)) {
		if (n == NULL) {
			if ((conn == NULL && ad_conn_new(&w->conf->ad, &conn,
			    why, sizeof(why)) < 0) || ad_notify_open(conn, &n,
			    why, sizeof(why)) < 0) {
				log_warnx("change notification unavailable: "
				    "%s; retrying in %u s (the interval "
				    "cycle runs meanwhile)", why, backoff);
				dm_watch_post(w, false, false, why);
				ad_conn_free(conn);
				conn = NULL;
				dm_watch_sleep(w, backoff);
				backoff = backoff * 2 > DM_WATCH_BACKOFF_MAX ?
				    DM_WATCH_BACKOFF_MAX : backoff * 2;
				continue;
			}
			log_info("watching %s for changes", ad_conn_dc(conn));
			/* A change made while notifications were down is
			 * read by the cycle this wake-up starts. */
			dm_watch_post(w, true, true, NULL);
			backoff = DM_WATCH_BACKOFF_MIN;
		}
		/* Short slices: a stop is noticed within a quarter second. */
		r = ad_notify_wait(n, 250, why, sizeof(why));
		if (r > 0) {
			dm_watch_post(w, true, true, NULL);
		} else if (r < 0) {
			log_warnx("change notification lost: %s", why);
			dm_watch_post(w, false, false, why);
			ad_notify_close(n);
			n = NULL;
			ad_conn_free(conn);
			conn = NULL;
		}
	}
	ad_notify_close(n);
	ad_conn_free(conn);
	return NULL;
}

int
dm_watch_start(struct dm_watch *w, const struct conf *conf, char *why,
    size_t whylen)
{
	int err;

	memset(w, 0, sizeof(*w));
	atomic_init(&w->stop, false);
	if ((w->conf = conf_dup(conf)) == NULL ||
	    (w->events = queue_new()) == NULL) {
		snprintf(why, whylen, "out of memory starting the watcher");
		return -ENOMEM;
	}
	if (!conf->ad.notify)
		return 0;	/* the interval alone, as configured */
	if (conf->ad.uri[0] == '\0' || conf->ad.base_dn[0] == '\0')
		return 0;	/* not set up yet: nothing to watch */
	if ((err = pthread_create(&w->th, NULL, dm_watch_main, w)) != 0) {
		snprintf(why, whylen, "cannot start the watcher thread: %s",
		    adsync_strerror(-err));
		return -err;
	}
	w->running = true;
	return 0;
}

void
dm_watch_stop(struct dm_watch *w)
{
	atomic_store(&w->stop, true);
	if (w->running)
		pthread_join(w->th, NULL);
	w->running = false;
	queue_free(w->events, free);
	w->events = NULL;
	conf_free(w->conf);
	w->conf = NULL;
}
