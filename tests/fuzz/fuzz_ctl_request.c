/*
 * Fuzz harness: the control socket's request handling (src/ctl), which is
 * the one place the daemon parses what a local client sends: the request
 * line (framing, the size limit, one request per connection), its JSON
 * (json_loadb, must be an object), the hand-over to the handler, and the
 * reply line (ctl_req_format). The parsing is not a function of its own
 * but a step of the connection's state machine, so the harness drives the
 * real server: ctl_server_open() on a socket in a private temporary
 * directory, once; then per input one client connects, sends the input,
 * shuts its writing side and reads until the server closes, while the
 * harness turns the server's loop (ctl_server_pollfds, poll,
 * ctl_server_handle). The request limit is lowered to FUZZ_CTL_REQ_MAX
 * (ctl_server_set_limits, as the unit test does) so that the fuzzer
 * reaches "too large" with short inputs.
 *
 * The handler's behaviour depends on the input's length, modulo 3:
 *   0: answers at once with {"echo": BODY};
 *   1: keeps the request for a turn of the loop, then answers so;
 *   2: keeps it until the client has gone away and the server has
 *      dropped the connection, then answers (which must only free it).
 *
 * Checked in modes 0 and 1, independently of the code under test: the
 * answer is one line, a JSON object; a request that is one JSON object on
 * one line within the limit, with nothing after its "\n", gets the echo of
 * exactly that object; anything else that is not such a line gets an
 * {"error": TEXT}; a line followed by more data gets either; a client
 * that sends nothing gets nothing (the daemon's own probe). Every
 * exchange ends (the harness gives it FUZZ_CTL_ROUNDS turns of the loop).
 * ASan sees the rest, e.g. a request used after its connection was freed.
 * Single thread; the input is untrusted and capped at 16 KiB.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl.h"
#include "ctl_internal.h"
#include "log.h"

#define FUZZ_CTL_MAX (16 * 1024)
#define FUZZ_CTL_REQ_MAX 4096
#define FUZZ_CTL_ROUNDS 2000
#define FUZZ_CTL_REPLY_MAX (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
	struct ctl_server *srv;
	char dir[64];
	char path[100];		/* fits in sun_path */
	unsigned mode;
	struct ctl_req *held;	/* mode 1 and 2: the request kept */
	unsigned calls;		/* handler calls for this input */
} fuzz_ctl;

static json_t *
fuzz_ctl_echo(const struct ctl_req *r)
{
	json_t *o = json_object();

	if (o == NULL || json_object_set(o, "echo",
	    (json_t *)(uintptr_t)ctl_req_body(r)) != 0)
		abort();
	return o;
}

static void
fuzz_ctl_handler(void *arg, struct ctl_req *req)
{
	(void)arg;
	fuzz_ctl.calls++;
	if (fuzz_ctl.held != NULL || !json_is_object(ctl_req_body(req)) ||
	    ctl_req_uid(req) != geteuid())
		abort();
	if (fuzz_ctl.mode == 0)
		ctl_req_reply(req, fuzz_ctl_echo(req));
	else
		fuzz_ctl.held = req;
}

static void
fuzz_ctl_cleanup(void)
{
	ctl_server_close(fuzz_ctl.srv);
	fuzz_ctl.srv = NULL;
	unlink(fuzz_ctl.path);
	rmdir(fuzz_ctl.dir);
}

static void
fuzz_ctl_init(void)
{
	struct ctl_limits lim;
	char why[512];

	/* Quiet: a refused request is logged at info or warning level. */
	log_init("fuzz_ctl_request", -2, LOG_DEST_STDERR);
	snprintf(fuzz_ctl.dir, sizeof(fuzz_ctl.dir), "/tmp/fuzz_ctl.XXXXXX");
	if (mkdtemp(fuzz_ctl.dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	snprintf(fuzz_ctl.path, sizeof(fuzz_ctl.path), "%s/%s", fuzz_ctl.dir,
	    CTL_SOCKET_NAME);
	if (ctl_server_open(fuzz_ctl.path, fuzz_ctl_handler, NULL,
	    &fuzz_ctl.srv, why, sizeof(why)) != 0) {
		fprintf(stderr, "fuzz_ctl_request: %s\n", why);
		abort();
	}
	ctl_server_limits_default(&lim);
	lim.request_max = FUZZ_CTL_REQ_MAX;
	lim.request_timeout_ms = 2000;
	lim.write_timeout_ms = 2000;
	ctl_server_set_limits(fuzz_ctl.srv, &lim);
	atexit(fuzz_ctl_cleanup);
}

/* One turn of the daemon's loop; `wait_ms` bounds the poll. */
static void
fuzz_ctl_turn(int wait_ms)
{
	struct pollfd fds[CTL_POLLFDS_MAX];
	size_t n;

	n = ctl_server_pollfds(fuzz_ctl.srv, fds, CTL_POLLFDS_MAX);
	if (poll(fds, (nfds_t)n, wait_ms) < 0 && errno != EINTR)
		abort();
	ctl_server_handle(fuzz_ctl.srv, fds, n);
}

/* What the server must answer, judged without the server's code. */
enum fuzz_ctl_expect {
	FUZZ_CTL_ECHO,		/* the echo of `want` */
	FUZZ_CTL_ERROR,		/* an {"error": ...} */
	FUZZ_CTL_EITHER		/* data after the line: either */
};

static enum fuzz_ctl_expect
fuzz_ctl_expect(const uint8_t *data, size_t size, json_t **want)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t linelen;
	json_t *j;

	*want = NULL;
	if (nl == NULL)
		return FUZZ_CTL_ERROR;
	linelen = (size_t)(nl - data);
	if (linelen > FUZZ_CTL_REQ_MAX)
		return FUZZ_CTL_ERROR;
	j = json_loadb((const char *)data, linelen, JSON_REJECT_DUPLICATES,
	    NULL);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		return FUZZ_CTL_ERROR;
	}
	*want = j;
	return linelen + 1 == size ? FUZZ_CTL_ECHO : FUZZ_CTL_EITHER;
}

static void
fuzz_ctl_check_reply(const char *buf, size_t len, enum fuzz_ctl_expect e,
    const json_t *want)
{
	const json_t *echo, *err;
	json_t *j;

	if (len == 0 || buf[len - 1] != '\n' ||
	    memchr(buf, '\n', len - 1) != NULL) {
		fprintf(stderr, "reply is not one line: %zu bytes\n", len);
		abort();
	}
	if ((j = json_loadb(buf, len - 1, JSON_REJECT_DUPLICATES, NULL)) ==
	    NULL || !json_is_object(j)) {
		fprintf(stderr, "reply is not a JSON object: %.*s\n",
		    (int)len, buf);
		abort();
	}
	echo = json_object_get(j, "echo");
	err = json_object_get(j, "error");
	if ((echo == NULL) == (err == NULL) || json_object_size(j) != 1 ||
	    (err != NULL && (!json_is_string(err) ||
	    json_string_length(err) == 0)))
		abort();
	if (e == FUZZ_CTL_ECHO && (echo == NULL || !json_equal(echo, want))) {
		fprintf(stderr, "a valid request was not echoed: %.*s\n",
		    (int)len, buf);
		abort();
	}
	if (e == FUZZ_CTL_ERROR && echo != NULL) {
		fprintf(stderr, "an invalid request reached the handler\n");
		abort();
	}
	if (e == FUZZ_CTL_EITHER && echo != NULL && !json_equal(echo, want))
		abort();
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_un sa;
	static char reply[FUZZ_CTL_REPLY_MAX];
	enum fuzz_ctl_expect e;
	json_t *want;
	size_t sent = 0, got = 0;
	bool shut = false, eof = false, gone = false;
	unsigned round;
	ssize_t n;
	int cfd;

	if (size > FUZZ_CTL_MAX)
		return 0;
	if (fuzz_ctl.srv == NULL)
		fuzz_ctl_init();
	fuzz_ctl.mode = (unsigned)(size % 3);
	fuzz_ctl.held = NULL;
	fuzz_ctl.calls = 0;

	if ((cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0)
		abort();
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fuzz_ctl.path);
	if (connect(cfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		abort();

	for (round = 0; round < FUZZ_CTL_ROUNDS && !eof; round++) {
		if (sent < size) {
			n = send(cfd, data + sent, size - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
			else if (n < 0 && errno != EAGAIN &&
			    errno != EWOULDBLOCK)
				sent = size;	/* the server closed early */
		}
		if (sent == size && !shut) {
			(void)shutdown(cfd, SHUT_WR);
			shut = true;
		}
		fuzz_ctl_turn(sent < size ? 0 : 10);
		if (fuzz_ctl.held != NULL && fuzz_ctl.mode == 1) {
			ctl_req_reply(fuzz_ctl.held,
			    fuzz_ctl_echo(fuzz_ctl.held));
			fuzz_ctl.held = NULL;
		}
		if (fuzz_ctl.held != NULL && fuzz_ctl.mode == 2 && !gone) {
			/* The client goes away while the handler holds its
			 * request. */
			close(cfd);
			cfd = -1;
			gone = true;
		}
		if (gone) {
			if (ctl_server_nclients(fuzz_ctl.srv) == 0)
				eof = true;
			continue;
		}
		for (;;) {
			n = recv(cfd, reply + got, sizeof(reply) - got, 0);
			if (n > 0) {
				got += (size_t)n;
				if (got == sizeof(reply))
					abort();	/* reply too long */
				continue;
			}
			if (n == 0 || (errno != EAGAIN &&
			    errno != EWOULDBLOCK))
				eof = true;
			break;
		}
	}
	if (!eof) {
		fprintf(stderr, "the exchange did not end within %u turns\n",
		    FUZZ_CTL_ROUNDS);
		abort();
	}
	if (cfd >= 0)
		close(cfd);
	if (fuzz_ctl.held != NULL) {
		/* Mode 2: the connection is gone; answering only frees. */
		ctl_req_reply(fuzz_ctl.held, fuzz_ctl_echo(fuzz_ctl.held));
		fuzz_ctl.held = NULL;
	}
	if (fuzz_ctl.calls > 1 || ctl_server_nclients(fuzz_ctl.srv) != 0)
		abort();

	e = fuzz_ctl_expect(data, size, &want);
	if (e == FUZZ_CTL_ECHO && fuzz_ctl.calls != 1)
		abort();
	if (e == FUZZ_CTL_ERROR && fuzz_ctl.calls != 0)
		abort();
	/* A client that sends nothing at all is closed without an answer
	 * (a starting daemon probes the socket so). */
	if (size == 0 && got != 0)
		abort();
	if (!gone && size > 0)
		fuzz_ctl_check_reply(reply, got, e, want);
	json_decref(want);
	return 0;
}
