/*
 * One control client: accept with the peer's credentials, the limit on
 * clients, reading the request line, the transport's own error answers,
 * non-blocking reply writes, deadlines, and freeing. A connection is
 * READING, then WAITING while the handler holds its request, then WRITING
 * its reply line; any refusal jumps straight to WRITING an
 * {"error": ...} line, and the connection is closed once that is sent.
 *
 * Threads: the loop thread only (ctl.h).
 *
 * Trust: everything a client sends is hostile until it has passed the
 * uid check, the size limit, the deadline and json_loadb(): the handler
 * only ever sees a parsed JSON object from an allowed uid. Request bytes
 * never reach the log.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_internal.h"
#include "err.h"
#include "log.h"
#include "timing.h"
#include "xmalloc.h"

/* Accepts per ctl_server_handle(), so that a flood cannot hold the loop. */
#define CTL_ACCEPT_BATCH (2 * CTL_MAX_CLIENTS)
/* After accept() fails for lack of descriptors or memory, stop for this
 * long (the listener stays readable, and poll would spin). */
#define CTL_ACCEPT_PAUSE_MS 200
/* At most one "too many clients" warning per this many ms. */
#define CTL_FULL_WARN_MS 10000
/* Longest error text the transport sends. */
#define CTL_ERRMSG_MAX 256

static const char ctl_busy_line[] =
    "{\"error\":\"too many clients on the adsync control socket; "
    "try again\"}\n";

static void
ctl_conn_refuse_busy(struct ctl_server *s, int fd)
{
	int64_t now = timing_now_ms();

	/* SECURITY: refused before anything is allocated or read: one
	 * best-effort non-blocking send of a constant line, then close. */
	(void)send(fd, ctl_busy_line, sizeof(ctl_busy_line) - 1,
	    MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
	s->full_refused++;
	if (s->full_warned_ms == 0 || now - s->full_warned_ms >=
	    CTL_FULL_WARN_MS) {
		log_warnx("control socket: %u clients connected already; "
		    "refused %u more", s->nconns, s->full_refused);
		s->full_warned_ms = now;
		s->full_refused = 0;
	}
}

static void
ctl_conn_new(struct ctl_server *s, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct ctl_conn *c;
	char msg[CTL_ERRMSG_MAX], who[64];

	if (s->nconns >= s->lim.max_clients) {
		ctl_conn_refuse_busy(s, fd);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    len != sizeof(cred)) {
		log_warn("control socket: cannot read a client's credentials; "
		    "closing it");
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->srv = s;
	c->fd = fd;
	c->uid = cred.uid;
	c->pid = cred.pid;
	c->id = ++s->next_id;
	c->state = CTL_CONN_READING;
	c->deadline_ms = timing_now_ms() + s->lim.request_timeout_ms;
	buf_init(&c->in, s->lim.request_max + 1);
	buf_init(&c->out, CTL_REPLY_MAX);
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	/*
	 * SECURITY: the socket's mode 0600 already keeps other users out;
	 * this is the second line, the one that holds if the file's mode or
	 * the directory is ever loosened. The uid is the peer's effective uid
	 * when it connected (SO_PEERCRED), which it cannot forge.
	 */
	if (cred.uid != 0 && cred.uid != s->euid) {
		if (s->euid == 0)
			snprintf(who, sizeof(who), "only root");
		else
			snprintf(who, sizeof(who), "only root and uid %u",
			    (unsigned)s->euid);
		log_warnx("control socket: refused client %u uid=%u pid=%d "
		    "(%s may use it)", c->id, (unsigned)cred.uid,
		    (int)cred.pid, who);
		snprintf(msg, sizeof(msg), "permission denied: uid %u may not "
		    "use the adsync control socket (%s may)",
		    (unsigned)cred.uid, who);
		ctl_conn_fail(s, c, msg);
		return;
	}
	log_debug("control client %u connected uid=%u pid=%d", c->id,
	    (unsigned)cred.uid, (int)cred.pid);
}

void
ctl_conn_accept(struct ctl_server *s)
{
	int fd, i;

	for (i = 0; i < CTL_ACCEPT_BATCH; i++) {
		fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0) {
			ctl_conn_new(s, fd);
			continue;
		}
		switch (errno) {
		case EINTR:
		case ECONNABORTED:
			continue;
		case EAGAIN:
#if EWOULDBLOCK != EAGAIN
		case EWOULDBLOCK:
#endif
			return;
		default:
			log_warn("control socket: accept failed; pausing %d ms",
			    CTL_ACCEPT_PAUSE_MS);
			s->accept_pause_until = timing_now_ms() +
			    CTL_ACCEPT_PAUSE_MS;
			return;
		}
	}
}

void
ctl_conn_fail(struct ctl_server *s, struct ctl_conn *c, const char *msg)
{
	char clean[CTL_ERRMSG_MAX];
	json_t *j;
	size_t i;

	/*
	 * Only printable ASCII goes out: jansson's error texts quote a few
	 * bytes of the request, which need not be UTF-8, and json_string()
	 * would refuse them.
	 */
	for (i = 0; msg[i] != '\0' && i < sizeof(clean) - 1; i++)
		clean[i] = (msg[i] >= 0x20 && msg[i] < 0x7f) ? msg[i] : '?';
	clean[i] = '\0';
	if (c->req != NULL) {
		c->req->conn = NULL;
		c->req = NULL;
	}
	buf_fini(&c->in);
	buf_fini(&c->out);
	buf_init(&c->out, CTL_REPLY_MAX);
	j = json_pack("{s:s}", "error", clean);
	if (j == NULL || ctl_req_format(j, &c->out) < 0) {
		/* Out of memory: the client gets the end of the stream. */
		log_warnx("control client %u: cannot format an error reply",
		    c->id);
		buf_fini(&c->out);
	}
	json_decref(j);
	c->state = CTL_CONN_WRITING;
	c->out_off = 0;
	c->deadline_ms = timing_now_ms() + s->lim.write_timeout_ms;
}

void
ctl_conn_free(struct ctl_server *s, struct ctl_conn *c)
{
	/* The handler may hold the request for minutes yet: it stays valid,
	 * and ctl_req_reply() will only free it. */
	if (c->req != NULL) {
		c->req->conn = NULL;
		c->req = NULL;
	}
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->nconns--;
	close(c->fd);
	buf_fini(&c->in);
	buf_fini(&c->out);
	free(c);
}

int
ctl_conn_flush(struct ctl_server *s, struct ctl_conn *c)
{
	size_t start = c->out_off;
	ssize_t n;

	while (c->out_off < c->out.len) {
		n = send(c->fd, c->out.data + c->out_off,
		    c->out.len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off > start)
		c->deadline_ms = timing_now_ms() + s->lim.write_timeout_ms;
	return c->out_off == c->out.len ? 1 : 0;
}

/* A complete line of `linelen` bytes (its "\n" excluded) is in c->in. */
static void
ctl_conn_request(struct ctl_server *s, struct ctl_conn *c, size_t linelen)
{
	char msg[CTL_ERRMSG_MAX];
	json_error_t jerr;
	json_t *body;

	if (c->in.len != linelen + 1) {
		log_info("control client %u uid=%u: data after the request; "
		    "refused", c->id, (unsigned)c->uid);
		ctl_conn_fail(s, c, "malformed request: data after the request "
		    "line (one request per connection)");
		return;
	}
	body = json_loadb(c->in.data, linelen, JSON_REJECT_DUPLICATES, &jerr);
	if (body == NULL || !json_is_object(body)) {
		/* jerr.text may quote request bytes: it goes back to the
		 * client that sent them, never to the log. */
		if (body == NULL)
			snprintf(msg, sizeof(msg), "malformed request: %s "
			    "(line %d, column %d)", jerr.text, jerr.line,
			    jerr.column);
		else
			snprintf(msg, sizeof(msg), "malformed request: not a "
			    "JSON object");
		json_decref(body);
		log_info("control client %u uid=%u: malformed request refused",
		    c->id, (unsigned)c->uid);
		ctl_conn_fail(s, c, msg);
		return;
	}
	buf_fini(&c->in);
	c->state = CTL_CONN_WAITING;
	ctl_req_dispatch(s, c, body);
}

/* Reads what is there; 0 to go on, or a negative code: the client is
 * gone (free it). */
static int
ctl_conn_read(struct ctl_server *s, struct ctl_conn *c)
{
	char chunk[16384];
	const char *nl;
	size_t room;
	ssize_t n;

	while (c->state == CTL_CONN_READING) {
		/* Never more than the limit + 1: the +1 tells "too large". */
		room = c->in.max - c->in.len;
		n = recv(c->fd, chunk, room < sizeof(chunk) ? room :
		    sizeof(chunk), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		if (n == 0) {
			if (c->in.len == 0) {
				/* Also what a starting daemon's probe does. */
				log_debug("control client %u closed without a "
				    "request", c->id);
				return -ECONNRESET;
			}
			ctl_conn_fail(s, c, "malformed request: no newline at "
			    "the end of the request");
			return 0;
		}
		if (buf_add(&c->in, chunk, (size_t)n) < 0) {
			ctl_conn_fail(s, c, "internal error: out of memory");
			return 0;
		}
		nl = memchr(c->in.data + c->in.len - (size_t)n, '\n',
		    (size_t)n);
		if (nl != NULL)
			ctl_conn_request(s, c, (size_t)(nl - c->in.data));
		else if (c->in.len == c->in.max) {
			log_warnx("control client %u uid=%u: request larger "
			    "than %zu bytes; refused", c->id,
			    (unsigned)c->uid, s->lim.request_max);
			ctl_conn_fail(s, c, "request too large");
		}
	}
	return 0;
}

void
ctl_conn_step(struct ctl_server *s, struct ctl_conn *c, short revents)
{
	int r;

	if ((revents & POLLNVAL) != 0) {
		log_warnx("control client %u: descriptor closed behind our "
		    "back", c->id);
		ctl_conn_free(s, c);
		return;
	}
	switch (c->state) {
	case CTL_CONN_READING:
		if (revents == 0)
			return;
		if (ctl_conn_read(s, c) < 0) {
			ctl_conn_free(s, c);
			return;
		}
		/* The handler may have answered at once. */
		if (c->state != CTL_CONN_WRITING)
			return;
		break;
	case CTL_CONN_WAITING:
		if ((revents & (POLLHUP | POLLERR)) != 0) {
			log_info("control client %u went away before its "
			    "answer", c->id);
			ctl_conn_free(s, c);
		}
		return;
	case CTL_CONN_WRITING:
		break;
	}
	/* Also tried without POLLOUT: a reply queued since pollfds goes
	 * out now instead of one poll round later. */
	if ((r = ctl_conn_flush(s, c)) == 0)
		return;
	if (r < 0)
		log_info("control client %u went away before reading its "
		    "answer: %s", c->id, adsync_strerror(r));
	ctl_conn_free(s, c);
}

void
ctl_conn_expire(struct ctl_server *s, struct ctl_conn *c, int64_t now)
{
	char msg[CTL_ERRMSG_MAX];

	if (c->state == CTL_CONN_WAITING || now < c->deadline_ms)
		return;
	if (c->state == CTL_CONN_READING) {
		log_info("control client %u uid=%u: no complete request "
		    "within %d ms; closing", c->id, (unsigned)c->uid,
		    s->lim.request_timeout_ms);
		snprintf(msg, sizeof(msg), "request timed out: the whole "
		    "request must arrive within %d ms",
		    s->lim.request_timeout_ms);
		ctl_conn_fail(s, c, msg);
		if (ctl_conn_flush(s, c) != 0)
			ctl_conn_free(s, c);
		return;
	}
	log_warnx("control client %u uid=%u: reply stalled for %d ms (%zu of "
	    "%zu bytes sent); closing", c->id, (unsigned)c->uid,
	    s->lim.write_timeout_ms, c->out_off, c->out.len);
	ctl_conn_free(s, c);
}
