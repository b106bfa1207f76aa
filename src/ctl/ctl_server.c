/*
 * The control server's life and its part of the daemon's poll loop: open,
 * the descriptors to poll, one round of work after poll(), the next
 * deadline, and close (answer everyone still waiting, flush, unlink).
 * Connections themselves are in ctl_conn.c, requests in ctl_req.c.
 *
 * Threads: the loop thread only (ctl.h); no globals.
 *
 * Trust: nothing here reads client data; see ctl_conn.c.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl_internal.h"
#include "err.h"
#include "log.h"
#include "timing.h"
#include "xmalloc.h"

void
ctl_server_limits_default(struct ctl_limits *l)
{
	l->request_max = CTL_REQUEST_MAX;
	l->max_clients = CTL_MAX_CLIENTS;
	l->request_timeout_ms = CTL_REQUEST_TIMEOUT_MS;
	l->write_timeout_ms = CTL_WRITE_TIMEOUT_MS;
}

void
ctl_server_set_limits(struct ctl_server *s, const struct ctl_limits *l)
{
	s->lim = *l;
	if (s->lim.request_max < 1 || s->lim.request_max > CTL_REQUEST_MAX)
		s->lim.request_max = CTL_REQUEST_MAX;
	if (s->lim.max_clients < 1 || s->lim.max_clients > CTL_MAX_CLIENTS)
		s->lim.max_clients = CTL_MAX_CLIENTS;
	if (s->lim.request_timeout_ms < 1)
		s->lim.request_timeout_ms = 1;
	if (s->lim.write_timeout_ms < 1)
		s->lim.write_timeout_ms = 1;
}

unsigned
ctl_server_nclients(const struct ctl_server *s)
{
	return s->nconns;
}

int
ctl_server_open(const char *path, ctl_handler_fn *fn, void *arg,
    struct ctl_server **out, char *why, size_t whylen)
{
	struct ctl_server *s;
	dev_t dev;
	ino_t ino;
	int fd, r;

	if (whylen > 0)
		why[0] = '\0';
	if (path == NULL || fn == NULL) {
		snprintf(why, whylen, "no control socket path or handler");
		return -EINVAL;
	}
	if ((r = ctl_sock_listen(path, &fd, &dev, &ino, why, whylen)) < 0)
		return r;
	s = xcalloc(1, sizeof(*s));
	s->lfd = fd;
	s->path = xstrdup(path);
	s->dev = dev;
	s->ino = ino;
	s->euid = geteuid();
	s->fn = fn;
	s->arg = arg;
	ctl_server_limits_default(&s->lim);
	log_info("control socket listening on %s", path);
	*out = s;
	return 0;
}

size_t
ctl_server_pollfds(struct ctl_server *s, struct pollfd *fds, size_t max)
{
	struct ctl_conn *c;
	size_t n = 0;

	if (n < max && timing_now_ms() >= s->accept_pause_until) {
		fds[n].fd = s->lfd;
		fds[n].events = POLLIN;
		fds[n++].revents = 0;
	}
	for (c = s->conns; c != NULL && n < max; c = c->next) {
		fds[n].fd = c->fd;
		/*
		 * A client whose request the handler holds is polled for
		 * nothing: POLLHUP and POLLERR are reported anyway, which is
		 * how we learn that it went away. Not POLLIN: a client that
		 * sends more after its request must not wake us in a loop;
		 * and a client that only shut down its writing side
		 * (POLLRDHUP) still waits for its answer.
		 */
		switch (c->state) {
		case CTL_CONN_READING:
			fds[n].events = POLLIN;
			break;
		case CTL_CONN_WAITING:
			fds[n].events = 0;
			break;
		case CTL_CONN_WRITING:
			fds[n].events = POLLOUT;
			break;
		}
		fds[n++].revents = 0;
	}
	return n;
}

static struct ctl_conn *
ctl_server_find(struct ctl_server *s, int fd)
{
	struct ctl_conn *c;

	for (c = s->conns; c != NULL; c = c->next)
		if (c->fd == fd)
			return c;
	return NULL;
}

void
ctl_server_handle(struct ctl_server *s, const struct pollfd *fds, size_t n)
{
	struct ctl_conn *c, *next;
	bool accept = false;
	int64_t now;
	size_t i;

	/*
	 * Every entry names a connection that was alive at pollfds time,
	 * and only this function (and close) frees connections; new ones
	 * are accepted last, so a descriptor number reused by accept()
	 * cannot be mistaken for an entry's.
	 */
	for (i = 0; i < n; i++) {
		if (fds[i].fd == s->lfd) {
			if ((fds[i].revents & POLLIN) != 0)
				accept = true;
			continue;
		}
		if ((c = ctl_server_find(s, fds[i].fd)) != NULL)
			ctl_conn_step(s, c, fds[i].revents);
	}
	now = timing_now_ms();
	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		ctl_conn_expire(s, c, now);
	}
	if (accept)
		ctl_conn_accept(s);
}

int
ctl_server_next_timeout_ms(const struct ctl_server *s)
{
	const struct ctl_conn *c;
	int64_t now = timing_now_ms(), best = -1, d;

	if (s->accept_pause_until > now)
		best = s->accept_pause_until - now;
	for (c = s->conns; c != NULL; c = c->next) {
		if (c->state == CTL_CONN_WAITING)
			continue;
		d = c->deadline_ms - now;
		if (d < 0)
			d = 0;
		if (best < 0 || d < best)
			best = d;
	}
	return best > INT_MAX ? INT_MAX : (int)best;
}

/* Removes the socket file, but only if it is still the one we bound. */
static void
ctl_server_unlink(const struct ctl_server *s)
{
	struct stat sb;

	if (lstat(s->path, &sb) < 0 || !S_ISSOCK(sb.st_mode) ||
	    sb.st_dev != s->dev || sb.st_ino != s->ino) {
		log_info("control socket %s was replaced or removed; leaving "
		    "it alone", s->path);
		return;
	}
	if (unlink(s->path) < 0)
		log_warn("cannot remove the control socket %s", s->path);
}

/* Gives pending replies up to CTL_CLOSE_FLUSH_MS to go out. */
static void
ctl_server_flush_all(struct ctl_server *s)
{
	struct pollfd fds[CTL_MAX_CLIENTS];
	struct ctl_conn *c, *next;
	int64_t deadline = timing_now_ms() + CTL_CLOSE_FLUSH_MS, left;
	size_t n;

	for (;;) {
		n = 0;
		for (c = s->conns; c != NULL; c = next) {
			next = c->next;
			if (ctl_conn_flush(s, c) != 0)
				ctl_conn_free(s, c);
			else if (n < CTL_MAX_CLIENTS) {
				fds[n].fd = c->fd;
				fds[n].events = POLLOUT;
				fds[n++].revents = 0;
			}
		}
		left = deadline - timing_now_ms();
		if (n == 0 || left <= 0)
			return;
		if (poll(fds, n, (int)left) < 0 && errno != EINTR)
			return;
	}
}

void
ctl_server_close(struct ctl_server *s)
{
	struct ctl_conn *c;

	if (s == NULL)
		return;
	close(s->lfd);
	ctl_server_unlink(s);
	for (c = s->conns; c != NULL; c = c->next)
		if (c->state != CTL_CONN_WRITING)
			ctl_conn_fail(s, c, "the daemon is stopping");
	ctl_server_flush_all(s);
	while (s->conns != NULL) {
		log_info("control client %u: reply not sent before the daemon "
		    "stopped", s->conns->id);
		ctl_conn_free(s, s->conns);
	}
	log_info("control socket %s closed", s->path);
	free(s->path);
	free(s);
}
