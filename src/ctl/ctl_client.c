/*
 * The control client, ctl_call(): connect to the daemon's socket, send one
 * request line, read one reply line, parse it. Used by the `adsync`
 * subcommands that talk to a running daemon.
 *
 * Threads: any; blocking; no global state. SIGPIPE is avoided with
 * MSG_NOSIGNAL, not with a process-wide signal disposition.
 *
 * Trust: the daemon is trusted as far as it can be reached through a 0600
 * socket, but its reply is still bounded (CTL_REPLY_MAX) before it is
 * allocated and must be exactly one JSON object.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_internal.h"
#include "err.h"
#include "timing.h"

/* No deadline. */
#define CTL_NEVER (-1)

/* Waits until `fd` is ready for `events`; 0, -ADSYNC_ETIMEOUT or -errno. */
static int
ctl_client_wait(int fd, short events, int64_t deadline)
{
	struct pollfd pfd;
	int64_t left;
	int ms, n;

	for (;;) {
		ms = -1;
		if (deadline != CTL_NEVER) {
			if ((left = deadline - timing_now_ms()) <= 0)
				return -ADSYNC_ETIMEOUT;
			ms = left > INT_MAX ? INT_MAX : (int)left;
		}
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, ms);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			return 0;
	}
}

static int
ctl_client_connect(int fd, const struct sockaddr_un *sa, const char *path,
    int64_t deadline, int timeout_ms, char *why, size_t whylen)
{
	struct timeval tv;
	int64_t left;
	int e;

	/*
	 * A blocking connect() to a UNIX socket waits only while the
	 * server's backlog is full, for at most SO_SNDTIMEO, and then fails
	 * with EAGAIN. (Non-blocking, it would fail at once instead.)
	 */
	if (deadline != CTL_NEVER) {
		left = deadline - timing_now_ms();
		if (left < 1)
			left = 1;
		tv.tv_sec = (time_t)(left / 1000);
		tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
		    sizeof(tv)) < 0) {
			e = errno;
			snprintf(why, whylen, "cannot set a timeout: %s",
			    adsync_strerror(-e));
			return -e;
		}
	}
	while (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		e = errno;
		if (e == EINTR)
			continue;
		if (e == EISCONN)
			break;
		if (e == EAGAIN || e == EWOULDBLOCK) {
			snprintf(why, whylen, "the adsync daemon at %s did not "
			    "accept the connection within %d ms (it is busy)",
			    path, timeout_ms);
			return -ADSYNC_ETIMEOUT;
		}
		if (e == ENOENT || e == ECONNREFUSED)
			snprintf(why, whylen, "cannot reach the adsync daemon "
			    "at %s: %s (is it running? `systemctl status "
			    "adsync`)", path, adsync_strerror(-e));
		else if (e == EACCES || e == EPERM)
			snprintf(why, whylen, "cannot reach the adsync daemon "
			    "at %s: %s (run this as root or as the user the "
			    "daemon runs as)", path, adsync_strerror(-e));
		else
			snprintf(why, whylen, "cannot reach the adsync daemon "
			    "at %s: %s", path, adsync_strerror(-e));
		return -e;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		e = errno;
		snprintf(why, whylen, "cannot make the socket non-blocking: %s",
		    adsync_strerror(-e));
		return -e;
	}
	return 0;
}

/*
 * Sends the request line. A daemon that refuses us (too many clients,
 * permission denied) writes why and closes, so EPIPE/ECONNRESET end the
 * sending but not the call: the reply is read next.
 */
static int
ctl_client_send(int fd, const struct buf *req, int64_t deadline)
{
	size_t off = 0;
	ssize_t n;
	int r;

	while (off < req->len) {
		n = send(fd, req->data + off, req->len - off, MSG_NOSIGNAL);
		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EPIPE || errno == ECONNRESET)
			return 0;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		if ((r = ctl_client_wait(fd, POLLOUT, deadline)) < 0)
			return r;
	}
	return 0;
}

/* Reads until "\n" or the end of the stream into `in` (bounded). */
static int
ctl_client_recv(int fd, struct buf *in, int64_t deadline)
{
	char chunk[16384];
	size_t room;
	ssize_t n;
	int r;

	for (;;) {
		if ((room = in->max - in->len) == 0)
			return -ADSYNC_ETOOBIG;
		n = recv(fd, chunk, room < sizeof(chunk) ? room :
		    sizeof(chunk), 0);
		if (n > 0) {
			if ((r = buf_add(in, chunk, (size_t)n)) < 0)
				return r;
			/* Only the new bytes: a reply may be 16 MiB. */
			if (memchr(chunk, '\n', (size_t)n) != NULL)
				return 0;
			continue;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		/* Linux hands out the queued bytes before the reset. */
		if (errno == ECONNRESET)
			return 0;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		if ((r = ctl_client_wait(fd, POLLIN, deadline)) < 0)
			return r;
	}
}

/* Parses the reply line in `in`; 0 and *out, or a negative code. */
static int
ctl_client_parse(const struct buf *in, const char *path, json_t **out,
    char *why, size_t whylen)
{
	json_error_t jerr;
	const char *nl;
	size_t len = in->len;
	json_t *j;

	if (len == 0) {
		snprintf(why, whylen, "the adsync daemon at %s closed the "
		    "connection without answering", path);
		return -ADSYNC_ETRANSPORT;
	}
	if ((nl = memchr(in->data, '\n', len)) != NULL) {
		if ((size_t)(nl - in->data) + 1 != len) {
			snprintf(why, whylen, "the adsync daemon at %s sent "
			    "data after its reply", path);
			return -ADSYNC_EPROTO;
		}
		len = (size_t)(nl - in->data);
	}
	j = json_loadb(in->data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL || !json_is_object(j)) {
		snprintf(why, whylen, "the adsync daemon at %s sent a reply "
		    "that is not a JSON object%s%s", path, j == NULL ? ": " : "",
		    j == NULL ? jerr.text : "");
		json_decref(j);
		return -ADSYNC_EPROTO;
	}
	*out = j;
	return 0;
}

int
ctl_call(const char *path, const json_t *request, int timeout_ms,
    json_t **reply, char *why, size_t whylen)
{
	struct sockaddr_un sa;
	struct buf req, in;
	int64_t deadline;
	char *text = NULL;
	int fd = -1, r;

	buf_init(&req, CTL_REQUEST_MAX + 1);
	buf_init(&in, CTL_REPLY_MAX);
	if (whylen > 0)
		why[0] = '\0';
	deadline = timeout_ms > 0 ? timing_now_ms() + timeout_ms : CTL_NEVER;
	if (path == NULL || request == NULL || !json_is_object(request)) {
		snprintf(why, whylen, "a control request must be a JSON object");
		r = -EINVAL;
		goto out;
	}
	if ((r = ctl_sock_addr(path, &sa, why, whylen)) < 0)
		goto out;
	if ((text = json_dumps(request, JSON_COMPACT)) == NULL) {
		snprintf(why, whylen, "cannot format the request");
		r = -ENOMEM;
		goto out;
	}
	if ((r = buf_addstr(&req, text)) < 0 ||
	    (r = buf_addc(&req, '\n')) < 0) {
		if (r == -ADSYNC_ETOOBIG)
			snprintf(why, whylen, "request too large (the limit is "
			    "%u bytes)", CTL_REQUEST_MAX);
		else
			snprintf(why, whylen, "cannot format the request: %s",
			    adsync_strerror(r));
		goto out;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot create a socket: %s",
		    adsync_strerror(r));
		goto out;
	}
	if ((r = ctl_client_connect(fd, &sa, path, deadline, timeout_ms, why,
	    whylen)) < 0)
		goto out;
	if ((r = ctl_client_send(fd, &req, deadline)) < 0 ||
	    (r = ctl_client_recv(fd, &in, deadline)) < 0) {
		if (r == -ADSYNC_ETIMEOUT)
			snprintf(why, whylen, "no answer from the adsync daemon "
			    "at %s within %d ms", path, timeout_ms);
		else if (r == -ADSYNC_ETOOBIG)
			snprintf(why, whylen, "the reply of the adsync daemon at "
			    "%s is larger than %u bytes", path, CTL_REPLY_MAX);
		else
			snprintf(why, whylen, "talking to the adsync daemon at "
			    "%s: %s", path, adsync_strerror(r));
		goto out;
	}
	r = ctl_client_parse(&in, path, reply, why, whylen);
out:
	if (fd >= 0)
		close(fd);
	free(text);
	buf_fini(&in);
	buf_fini(&req);
	return r;
}
