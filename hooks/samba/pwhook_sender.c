/*
 * --sender: delivers what the capture modes left in the spool, in capture
 * order, with backoff (1 s doubling to 60 s) while the receiver does not
 * take them, and posts a heartbeat at start and every 60 s. --once: one
 * pass and one heartbeat. Single thread; SIGTERM and SIGINT end it between
 * two requests (a request in flight finishes within its deadline).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "pwhook.h"
#include "timing.h"

#define PWHOOK_HEARTBEAT_MS (60 * 1000)
#define PWHOOK_BACKOFF_MIN_MS 1000
#define PWHOOK_BACKOFF_MAX_MS (60 * 1000)
/* How often an empty spool is looked at again: the capture modes send
 * themselves, so this only bounds the delay after their send failed. */
#define PWHOOK_IDLE_MS 1000
/* Entries handled in one pass; the rest wait for the next. */
#define PWHOOK_PASS_MAX 10000

static volatile sig_atomic_t pwhook_stop;

static void
pwhook_on_signal(int sig)
{
	(void)sig;
	pwhook_stop = 1;
}

static int
pwhook_ent_cmp(const void *a, const void *b)
{
	const struct pwhook_spool_ent *x = a, *y = b;

	if (x->captured_ms != y->captured_ms)
		return x->captured_ms < y->captured_ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* Drops an entry that can never be delivered. */
static void
pwhook_sender_drop(struct pwhook_spool *sp, const char *id)
{
	int r;

	if ((r = pwhook_spool_del(sp, id)) < 0)
		pwhook_warnx("spool: cannot remove %s: %s", id,
		    adsync_strerror(r));
}

/*
 * One pass over the spool. Returns the number of entries left, or -1 when
 * the spool cannot be read. Stops at the first entry the receiver did not
 * take, so that captures go out in order.
 */
static long
pwhook_sender_pass(struct pwhook_spool *sp, struct pwhook_client *cl)
{
	struct pwhook_spool_ent *ents = NULL;
	struct pw_capture c;
	enum pwhook_result res;
	int64_t now = timing_wall_ms();
	char why[300], who[PW_ACCOUNT_MAX + 1];
	size_t n = 0, i, kept;
	int r;

	if ((r = pwhook_spool_list(sp, PWHOOK_PASS_MAX, &ents, &n)) < 0) {
		pwhook_warnx("spool: %s: %s", sp->dir, adsync_strerror(r));
		return -1;
	}
	/* The capture time is inside the sealed entry; open each once to
	 * sort, without keeping the passwords around. */
	for (i = 0, kept = 0; i < n; i++) {
		r = pwhook_spool_get(sp, ents[i].id, &c, why, sizeof(why));
		if (r == -ENOENT)
			continue;	/* delivered by a capture mode */
		if (r == -EINVAL) {
			pwhook_warnx("spool entry %s %s: dropped", ents[i].id,
			    why);
			pwhook_sender_drop(sp, ents[i].id);
			continue;
		}
		if (r < 0) {
			pwhook_warnx("spool entry %s: %s", ents[i].id,
			    adsync_strerror(r));
			ents[kept++] = ents[i];
			continue;
		}
		if (c.captured_ms < now - PWHOOK_SPOOL_MAX_AGE_MS) {
			pwhook_warnx("capture %s account=%s is older than 7 "
			    "days: dropped", c.id, pwhook_log_safe(c.account[0]
			    ? c.account : c.upn, who, sizeof(who)));
			pwhook_sender_drop(sp, ents[i].id);
			pw_capture_fini(&c);
			continue;
		}
		ents[i].captured_ms = c.captured_ms;
		ents[kept++] = ents[i];
		pw_capture_fini(&c);
	}
	n = kept;
	if (n > 1)
		qsort(ents, n, sizeof(*ents), pwhook_ent_cmp);
	for (i = 0; i < n && !pwhook_stop; i++) {
		if (pwhook_spool_get(sp, ents[i].id, &c, why,
		    sizeof(why)) < 0)
			continue;
		res = pwhook_send_capture(cl, &c);
		if (res == PWHOOK_SENT)
			pwhook_spool_note_change(sp, c.captured_ms);
		pw_capture_fini(&c);
		if (res == PWHOOK_KEEP)
			break;
		pwhook_sender_drop(sp, ents[i].id);
	}
	free(ents);
	return (long)(n - i);
}

static void
pwhook_sender_heartbeat(struct pwhook_spool *sp, struct pwhook_client *cl)
{
	struct pwhook_spool_ent *ents = NULL;
	struct pw_heartbeat h;
	size_t n = 0;

	memset(&h, 0, sizeof(h));
	snprintf(h.version, sizeof(h.version), "adsync-pwhook %s",
	    ADSYNC_VERSION);
	if (pwhook_spool_list(sp, PWHOOK_PASS_MAX, &ents, &n) == 0)
		h.spooled = n;
	free(ents);
	h.last_change_ms = pwhook_spool_last_change(sp);
	(void)pwhook_send_heartbeat(cl, &h);
}

/* Sleeps up to `ms`, waking at once on SIGTERM/SIGINT (blocked outside). */
static void
pwhook_sender_sleep(int64_t ms, const sigset_t *unblocked)
{
	struct timespec ts;

	if (ms <= 0 || pwhook_stop)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	(void)ppoll(NULL, 0, &ts, unblocked);
}

static int64_t
pwhook_sender_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
pwhook_sender(const char *hookfile, const char *spooldir, bool once)
{
	struct pw_hookfile hf;
	struct pwhook_spool sp;
	struct pwhook_client *cl = NULL;
	struct sigaction sa;
	sigset_t block, old;
	int64_t next_hb = 0, backoff = PWHOOK_BACKOFF_MIN_MS, now;
	char why[512];
	long left = -1;
	int status = 1;

	memset(&hf, 0, sizeof(hf));
	sp.dirfd = -1;
	sp.key = NULL;
	/* The signals are blocked except while sleeping, so a SIGTERM that
	 * arrives between the check and the sleep is not lost. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = pwhook_on_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	(void)sigprocmask(SIG_BLOCK, &block, &old);

	if (pw_hookfile_load(hookfile, &hf, why, sizeof(why)) < 0) {
		pwhook_warnx("hook file: %s", why);
		goto out;
	}
	if (pwhook_spool_open(&sp, spooldir, why, sizeof(why)) < 0) {
		pwhook_warnx("spool: %s", why);
		goto out;
	}
	if ((cl = pwhook_client_new(&hf, PWHOOK_SENDER_TIMEOUT_MS, why,
	    sizeof(why))) == NULL) {
		pwhook_warnx("client: %s", why);
		goto out;
	}
	if (once) {
		left = pwhook_sender_pass(&sp, cl);
		pwhook_sender_heartbeat(&sp, cl);
		if (left > 0)
			pwhook_warnx("%ld capture(s) left in the spool", left);
		status = left == 0 ? 0 : 1;
		goto out;
	}
	pwhook_info("sender started (dc=%s, receiver=%s, spool=%s)", hf.dc,
	    hf.receiver, spooldir);
	while (!pwhook_stop) {
		now = pwhook_sender_mono();
		if (now >= next_hb) {
			pwhook_sender_heartbeat(&sp, cl);
			next_hb = now + PWHOOK_HEARTBEAT_MS;
		}
		left = pwhook_sender_pass(&sp, cl);
		if (left != 0) {
			pwhook_sender_sleep(backoff, &old);
			backoff = backoff * 2 > PWHOOK_BACKOFF_MAX_MS ?
			    PWHOOK_BACKOFF_MAX_MS : backoff * 2;
		} else {
			backoff = PWHOOK_BACKOFF_MIN_MS;
			pwhook_sender_sleep(PWHOOK_IDLE_MS, &old);
		}
	}
	pwhook_info("sender stopped");
	status = 0;
out:
	pwhook_client_free(cl);
	pwhook_spool_close(&sp);
	pw_hookfile_fini(&hf);
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	return status;
}
