/*
 * Unit tests of the ctl module on real UNIX sockets in a temporary
 * directory under /tmp (removed after each case): round trips, deferred
 * replies, clients that go away, the transport's own refusals (too large,
 * malformed, too slow, too many clients, another uid), the socket file
 * (stale, live, not a socket, mode 0600, too long), ctl_call's timeout and
 * its errors, and close with requests pending. Runs under ASan/UBSan with
 * leak checking in the dev preset.
 *
 * The server runs on the test's main thread, as on the daemon's loop
 * thread; ctl_call(), which blocks, runs on a second thread while the
 * main thread turns the loop. Raw clients (to send what ctl_call never
 * would) are non-blocking sockets driven from the main thread. The
 * different-uid case forks a child that drops to uid 65534; it is skipped
 * unless the test runs as root and the child can change its uid.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ctl.h"
#include "ctl_internal.h"
#include "err.h"

#define HELD_MAX 64

/* ---- fixture: a temporary directory, a server and its handler ---- */

struct fx {
	char dir[64];
	char path[128];
	struct ctl_server *srv;
	unsigned calls;			/* handler invocations */
	uid_t last_uid;
	struct ctl_req *held[HELD_MAX];	/* requests the handler keeps */
	unsigned nheld;
};

/*
 * The test handler does what the request's "cmd" says: "echo" answers at
 * once with the body and the uid, "hold" keeps the request for the test
 * to answer, "big" answers with a string of "n" bytes.
 */
static void
handler(void *arg, struct ctl_req *req)
{
	struct fx *fx = arg;
	const json_t *body = ctl_req_body(req);
	const char *cmd = json_string_value(json_object_get(body, "cmd"));
	json_int_t n;
	char *s;

	fx->calls++;
	fx->last_uid = ctl_req_uid(req);
	if (cmd != NULL && strcmp(cmd, "hold") == 0 && fx->nheld < HELD_MAX) {
		fx->held[fx->nheld++] = req;
		return;
	}
	if (cmd != NULL && strcmp(cmd, "big") == 0) {
		n = json_integer_value(json_object_get(body, "n"));
		s = malloc((size_t)n + 1);
		memset(s, 'x', (size_t)n);
		s[n] = '\0';
		ctl_req_reply(req, json_pack("{s:s}", "big", s));
		free(s);
		return;
	}
	if (cmd != NULL && strcmp(cmd, "null") == 0) {
		ctl_req_reply(req, NULL);
		return;
	}
	ctl_req_reply(req, json_pack("{s:b, s:O, s:i}", "ok", 1, "echo",
	    (json_t *)(uintptr_t)body, "uid", (int)ctl_req_uid(req)));
}

static void
fx_rmtree(const char *dir)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0)
			unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
	rmdir(dir);
}

static int
setup_dir(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/adsync-ctl-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/%s", fx->dir,
	    CTL_SOCKET_NAME);
	*state = fx;
	return 0;
}

static void
fx_open(struct fx *fx)
{
	char why[512];

	assert_int_equal(ctl_server_open(fx->path, handler, fx, &fx->srv, why,
	    sizeof(why)), 0);
	assert_non_null(fx->srv);
}

static int
setup(void **state)
{
	setup_dir(state);
	fx_open(*state);
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	unsigned i;

	ctl_server_close(fx->srv);
	for (i = 0; i < fx->nheld; i++)
		ctl_req_reply(fx->held[i], NULL);
	fx_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* ---- the loop ---- */

static void
pump_once(struct ctl_server *s, int max_ms)
{
	struct pollfd fds[CTL_POLLFDS_MAX];
	size_t n = ctl_server_pollfds(s, fds, CTL_POLLFDS_MAX);
	int t = ctl_server_next_timeout_ms(s);

	if (t < 0 || t > max_ms)
		t = max_ms;
	(void)poll(fds, n, t);
	ctl_server_handle(s, fds, n);
}

static void
pump(struct ctl_server *s, int ms)
{
	int64_t end = timing_now_ms() + ms;

	while (timing_now_ms() < end)
		pump_once(s, 10);
}

/* Turns the loop until pred(arg) holds; false after max_ms. */
static bool
pump_until(struct ctl_server *s, bool (*pred)(void *), void *arg, int max_ms)
{
	int64_t end = timing_now_ms() + max_ms;

	while (!pred(arg)) {
		if (timing_now_ms() >= end)
			return false;
		pump_once(s, 10);
	}
	return true;
}

static bool
no_clients(void *arg)
{
	return ctl_server_nclients(arg) == 0;
}

/* ---- ctl_call on a thread ---- */

struct call {
	const char *path;
	json_t *request;		/* owned */
	int timeout_ms;
	int rc;
	json_t *reply;			/* owned */
	char why[512];
	int64_t elapsed_ms;
	atomic_int done;
	pthread_t thread;
};

static void *
call_main(void *arg)
{
	struct call *c = arg;
	int64_t t0 = timing_now_ms();

	c->rc = ctl_call(c->path, c->request, c->timeout_ms, &c->reply,
	    c->why, sizeof(c->why));
	c->elapsed_ms = timing_now_ms() - t0;
	atomic_store(&c->done, 1);
	return NULL;
}

static bool
call_done(void *arg)
{
	return atomic_load(&((struct call *)arg)->done) != 0;
}

/* Starts ctl_call(path, request (taken), timeout) on a thread. */
static struct call *
call_start(const char *path, json_t *request, int timeout_ms)
{
	struct call *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->path = path;
	c->request = request;
	c->timeout_ms = timeout_ms;
	atomic_init(&c->done, 0);
	assert_int_equal(pthread_create(&c->thread, NULL, call_main, c), 0);
	return c;
}

/* Turns the server's loop until the call ends, then joins it. */
static void
call_finish(struct fx *fx, struct call *c, int max_ms)
{
	if (fx->srv != NULL)
		assert_true(pump_until(fx->srv, call_done, c, max_ms));
	assert_int_equal(pthread_join(c->thread, NULL), 0);
}

static void
call_free(struct call *c)
{
	json_decref(c->request);
	json_decref(c->reply);
	free(c);
}

static const char *
reply_error(const json_t *reply)
{
	return json_string_value(json_object_get(reply, "error"));
}

/* ---- raw clients, driven from the main thread ---- */

static void
fill_addr(struct sockaddr_un *sa, const char *path)
{
	size_t len = strlen(path);

	assert_true(len < sizeof(sa->sun_path));
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, len + 1);
}

/* What a killed daemon leaves: a socket file nobody listens on. */
static void
make_stale(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	fill_addr(&sa, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
}

static int
raw_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	fill_addr(&sa, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

/* Sends `len` bytes, turning the loop when the socket is full; stops
 * quietly when the server has closed (it may refuse early). */
static void
raw_send(struct fx *fx, int fd, const void *data, size_t len)
{
	const char *p = data;
	int64_t end = timing_now_ms() + 10000;
	ssize_t n;

	while (len > 0 && timing_now_ms() < end) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return;
		assert_true(n < 0 && (errno == EAGAIN || errno == EINTR));
		pump_once(fx->srv, 10);
	}
	assert_int_equal(len, 0);
}

/* Reads until the server closes (turning the loop meanwhile); returns the
 * bytes (malloc'd, NUL-terminated) and their length. */
static char *
raw_read_all(struct fx *fx, int fd, size_t *lenp, int max_ms)
{
	size_t cap = 1 << 16, len = 0;
	char *b = malloc(cap + 1);
	int64_t end = timing_now_ms() + max_ms;
	ssize_t n;

	assert_non_null(b);
	for (;;) {
		assert_true(timing_now_ms() < end);
		if (len == cap) {
			cap *= 2;
			assert_non_null(b = realloc(b, cap + 1));
		}
		n = recv(fd, b + len, cap - len, 0);
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		if (n == 0 || errno == ECONNRESET)
			break;
		assert_true(errno == EAGAIN || errno == EINTR);
		pump_once(fx->srv, 10);
	}
	b[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return b;
}

/* Sends `req` on a new connection and returns the error text the server
 * answered with (malloc'd), checking that it is one JSON line. */
static char *
raw_exchange(struct fx *fx, const void *req, size_t len, bool shut)
{
	json_error_t jerr;
	json_t *j;
	size_t n;
	char *got, *e;
	int fd = raw_connect(fx->path);

	raw_send(fx, fd, req, len);
	if (shut)
		shutdown(fd, SHUT_WR);
	got = raw_read_all(fx, fd, &n, 10000);
	close(fd);
	assert_true(n > 0);
	assert_int_equal(got[n - 1], '\n');
	assert_null(memchr(got, '\n', n - 1));
	j = json_loadb(got, n - 1, 0, &jerr);
	assert_non_null(j);
	assert_non_null(reply_error(j));
	e = strdup(reply_error(j));
	json_decref(j);
	free(got);
	return e;
}

static void
assert_prefix(const char *s, const char *prefix)
{
	if (s == NULL || strncmp(s, prefix, strlen(prefix)) != 0)
		fail_msg("\"%s\" does not start with \"%s\"", s ? s : "(null)",
		    prefix);
}

static void
assert_contains(const char *s, const char *part)
{
	if (s == NULL || strstr(s, part) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", s ? s : "(null)",
		    part);
}

/* ---- cases ---- */

static void
test_round_trip(void **state)
{
	struct fx *fx = *state;
	struct call *c;
	const json_t *echo;

	c = call_start(fx->path, json_pack("{s:s, s:i}", "cmd", "echo",
	    "n", 42), 5000);
	call_finish(fx, c, 5000);
	assert_int_equal(c->rc, 0);
	assert_true(json_is_true(json_object_get(c->reply, "ok")));
	echo = json_object_get(c->reply, "echo");
	assert_int_equal(json_integer_value(json_object_get(echo, "n")), 42);
	assert_int_equal(json_integer_value(json_object_get(c->reply, "uid")),
	    (int)geteuid());
	assert_int_equal(fx->calls, 1);
	/* SO_PEERCRED: the allowed path (our own uid). */
	assert_int_equal(fx->last_uid, geteuid());
	assert_true(pump_until(fx->srv, no_clients, fx->srv, 5000));
	call_free(c);
}

static void
test_request_at_limit(void **state)
{
	struct fx *fx = *state;
	struct call *c;
	json_t *req;
	char *pad, why[512];
	json_t *reply = NULL;
	size_t padlen;

	/* {"cmd":"echo","p":"..."} is 25 bytes plus the padding. */
	padlen = CTL_REQUEST_MAX - strlen("{\"cmd\":\"echo\",\"p\":\"\"}");
	pad = malloc(padlen + 2);
	memset(pad, 'a', padlen + 1);
	pad[padlen] = '\0';
	req = json_pack("{s:s, s:s}", "cmd", "echo", "p", pad);
	c = call_start(fx->path, req, 5000);
	call_finish(fx, c, 5000);
	assert_int_equal(c->rc, 0);
	assert_null(reply_error(c->reply));
	assert_int_equal(fx->calls, 1);
	call_free(c);

	/* One byte more: ctl_call refuses it itself. */
	pad[padlen] = 'a';
	pad[padlen + 1] = '\0';
	req = json_pack("{s:s, s:s}", "cmd", "echo", "p", pad);
	assert_int_equal(ctl_call(fx->path, req, 5000, &reply, why,
	    sizeof(why)), -ADSYNC_ETOOBIG);
	assert_null(reply);
	assert_contains(why, "request too large");
	json_decref(req);
	free(pad);
}

static void
test_deferred_reply(void **state)
{
	struct fx *fx = *state;
	struct call *c;
	int i;

	c = call_start(fx->path, json_pack("{s:s}", "cmd", "hold"), 10000);
	for (i = 0; i < 100 && fx->nheld == 0; i++)
		pump_once(fx->srv, 10);
	assert_int_equal(fx->nheld, 1);
	/* Several loop rounds go by with the request held. */
	pump(fx->srv, 200);
	assert_false(call_done(c));
	assert_int_equal(ctl_server_nclients(fx->srv), 1);
	assert_string_equal(json_string_value(json_object_get(
	    ctl_req_body(fx->held[0]), "cmd")), "hold");
	ctl_req_reply(fx->held[0], json_pack("{s:s}", "result", "later"));
	fx->nheld = 0;
	call_finish(fx, c, 5000);
	assert_int_equal(c->rc, 0);
	assert_string_equal(json_string_value(json_object_get(c->reply,
	    "result")), "later");
	call_free(c);
}

static void
test_client_gone(void **state)
{
	struct fx *fx = *state;
	static const char req[] = "{\"cmd\":\"hold\",\"x\":[1,2,3]}\n";
	const json_t *body;
	int fd, i;

	fd = raw_connect(fx->path);
	raw_send(fx, fd, req, strlen(req));
	for (i = 0; i < 100 && fx->nheld == 0; i++)
		pump_once(fx->srv, 10);
	assert_int_equal(fx->nheld, 1);
	close(fd);
	/* The server notices the hang-up and drops the connection... */
	assert_true(pump_until(fx->srv, no_clients, fx->srv, 5000));
	pump(fx->srv, 50);
	/* ...but the request stays valid for the handler. */
	body = ctl_req_body(fx->held[0]);
	assert_int_equal(json_array_size(json_object_get(body, "x")), 3);
	assert_int_equal(ctl_req_uid(fx->held[0]), geteuid());
	ctl_req_reply(fx->held[0], json_pack("{s:b}", "ok", 1));
	fx->nheld = 0;
	pump(fx->srv, 50);
	/* A client that half-closes after its request still gets the answer. */
	fd = raw_connect(fx->path);
	raw_send(fx, fd, "{\"cmd\":\"echo\"}\n", 15);
	shutdown(fd, SHUT_WR);
	{
		char *got = raw_read_all(fx, fd, NULL, 5000);

		assert_contains(got, "\"ok\":true");
		free(got);
	}
	close(fd);
	assert_int_equal(fx->calls, 2);
}

static void
test_too_large(void **state)
{
	struct fx *fx = *state;
	size_t len = CTL_REQUEST_MAX + 4096;
	char *big = malloc(len), *e;

	memset(big, ' ', len);
	big[0] = '{';
	e = raw_exchange(fx, big, len, false);
	assert_prefix(e, "request too large");
	free(e);
	free(big);
	assert_int_equal(fx->calls, 0);
	assert_true(pump_until(fx->srv, no_clients, fx->srv, 5000));
}

static void
test_malformed(void **state)
{
	struct fx *fx = *state;
	static const struct {
		const char *req;
		size_t len;
		bool shut;
		const char *want;
	} cases[] = {
		{ "not json\n", 9, false, "malformed request: " },
		{ "[1,2]\n", 6, false, "malformed request: not a JSON object" },
		{ "\"str\"\n", 6, false, "malformed request: " },
		{ "\n", 1, false, "malformed request: " },
		{ "{\"a\":1,\"a\":2}\n", 14, false, "malformed request: " },
		{ "{\"a\":1}\n{}\n", 11, false,
		    "malformed request: data after the request" },
		{ "{\"a\":\"\xff\xfe\"}\n", 11, false, "malformed request: " },
		{ "{\"a\":\"x\0y\"}\n", 12, false, "malformed request: " },
		{ "{\"a\":1}", 7, true, "malformed request: no newline" },
	};
	size_t i;
	char *e;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e = raw_exchange(fx, cases[i].req, cases[i].len,
		    cases[i].shut);
		assert_prefix(e, cases[i].want);
		free(e);
	}
	assert_int_equal(fx->calls, 0);
	assert_true(pump_until(fx->srv, no_clients, fx->srv, 5000));
}

static void
test_bad_reply(void **state)
{
	struct fx *fx = *state;
	struct call *c;

	/* A handler that answers NULL: the client still gets one line. */
	c = call_start(fx->path, json_pack("{s:s}", "cmd", "null"), 5000);
	call_finish(fx, c, 5000);
	assert_int_equal(c->rc, 0);
	assert_prefix(reply_error(c->reply), "internal error");
	call_free(c);
}

static void
test_big_reply_and_slow_reader(void **state)
{
	struct fx *fx = *state;
	static const char req[] = "{\"cmd\":\"big\",\"n\":4000000}\n";
	struct call *c;
	json_t *j;
	char *got;
	size_t len;
	int fd;

	/* A client that asks for 4 MB and does not read... */
	fd = raw_connect(fx->path);
	raw_send(fx, fd, req, strlen(req));
	pump(fx->srv, 100);
	assert_int_equal(fx->calls, 1);
	/* ...does not hold up another client's round trip. */
	c = call_start(fx->path, json_pack("{s:s}", "cmd", "echo"), 5000);
	call_finish(fx, c, 5000);
	assert_int_equal(c->rc, 0);
	assert_true(json_is_true(json_object_get(c->reply, "ok")));
	call_free(c);
	/* Then it reads its reply, whole. */
	got = raw_read_all(fx, fd, &len, 20000);
	close(fd);
	assert_true(len > 4000000);
	assert_int_equal(got[len - 1], '\n');
	j = json_loadb(got, len - 1, 0, NULL);
	assert_non_null(j);
	assert_int_equal(strlen(json_string_value(json_object_get(j, "big"))),
	    4000000);
	json_decref(j);
	free(got);

	/* Through ctl_call too. */
	c = call_start(fx->path, json_pack("{s:s, s:i}", "cmd", "big", "n",
	    6000000), 20000);
	call_finish(fx, c, 20000);
	assert_int_equal(c->rc, 0);
	assert_int_equal(strlen(json_string_value(json_object_get(c->reply,
	    "big"))), 6000000);
	call_free(c);
}

static void
test_reply_too_large(void **state)
{
	struct fx *fx = *state;
	struct call *c;

	c = call_start(fx->path, json_pack("{s:s, s:i}", "cmd", "big", "n",
	    (int)CTL_REPLY_MAX), 20000);
	call_finish(fx, c, 20000);
	assert_int_equal(c->rc, 0);
	assert_string_equal(reply_error(c->reply), "reply too large");
	call_free(c);
}

static void
test_idle_timeout(void **state)
{
	struct fx *fx = *state;
	struct ctl_limits lim;
	int64_t t0;
	char *got;
	int fd, t;

	ctl_server_limits_default(&lim);
	lim.request_timeout_ms = 150;
	ctl_server_set_limits(fx->srv, &lim);
	assert_int_equal(ctl_server_next_timeout_ms(fx->srv), -1);
	t0 = timing_now_ms();
	fd = raw_connect(fx->path);
	raw_send(fx, fd, "{\"cmd\"", 6);
	pump_once(fx->srv, 10);
	pump_once(fx->srv, 10);
	assert_int_equal(ctl_server_nclients(fx->srv), 1);
	t = ctl_server_next_timeout_ms(fx->srv);
	assert_true(t >= 0 && t <= 150);
	got = raw_read_all(fx, fd, NULL, 5000);
	close(fd);
	assert_true(timing_now_ms() - t0 >= 150);
	assert_contains(got, "request timed out");
	free(got);
	assert_int_equal(fx->calls, 0);
	assert_true(pump_until(fx->srv, no_clients, fx->srv, 5000));
}

static void
test_write_timeout(void **state)
{
	struct fx *fx = *state;
	static const char req[] = "{\"cmd\":\"big\",\"n\":8000000}\n";
	struct ctl_limits lim;
	int64_t t0;
	int fd, i;

	ctl_server_limits_default(&lim);
	lim.write_timeout_ms = 150;
	ctl_server_set_limits(fx->srv, &lim);
	fd = raw_connect(fx->path);
	raw_send(fx, fd, req, strlen(req));
	for (i = 0; i < 200 && fx->calls == 0; i++)
		pump_once(fx->srv, 10);
	assert_int_equal(fx->calls, 1);
	t0 = timing_now_ms();
	/* The reply is far larger than the socket buffer. */
	pump(fx->srv, 50);
	assert_int_equal(ctl_server_nclients(fx->srv), 1);
	assert_true(ctl_server_next_timeout_ms(fx->srv) >= 0);
	/* Never read: the server gives up on the stalled reply. */
	assert_true(pump_until(fx->srv, no_clients, fx->srv, 5000));
	assert_true(timing_now_ms() - t0 >= 150);
	close(fd);
}

static void
test_max_clients(void **state)
{
	struct fx *fx = *state;
	int fds[CTL_MAX_CLIENTS], fd, i;
	struct call *c;
	char *got;

	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		fds[i] = raw_connect(fx->path);
		pump_once(fx->srv, 10);
	}
	pump(fx->srv, 50);
	assert_int_equal(ctl_server_nclients(fx->srv), CTL_MAX_CLIENTS);
	/* One more is accepted, told, and closed at once. */
	fd = raw_connect(fx->path);
	got = raw_read_all(fx, fd, NULL, 5000);
	close(fd);
	assert_contains(got, "too many clients");
	free(got);
	assert_int_equal(ctl_server_nclients(fx->srv), CTL_MAX_CLIENTS);
	/* So is a ctl_call, which sees an error object. */
	c = call_start(fx->path, json_pack("{s:s}", "cmd", "echo"), 5000);
	call_finish(fx, c, 5000);
	assert_int_equal(c->rc, 0);
	assert_contains(reply_error(c->reply), "too many clients");
	call_free(c);
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		close(fds[i]);
	assert_true(pump_until(fx->srv, no_clients, fx->srv, 5000));
	c = call_start(fx->path, json_pack("{s:s}", "cmd", "echo"), 5000);
	call_finish(fx, c, 5000);
	assert_int_equal(c->rc, 0);
	assert_true(json_is_true(json_object_get(c->reply, "ok")));
	call_free(c);
	assert_int_equal(fx->calls, 1);
}

static void
test_stale_socket(void **state)
{
	struct fx *fx = *state;
	struct stat sb;
	struct call *c;

	make_stale(fx->path);
	assert_int_equal(lstat(fx->path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	fx_open(fx);
	assert_int_equal(stat(fx->path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	c = call_start(fx->path, json_pack("{s:s}", "cmd", "echo"), 5000);
	call_finish(fx, c, 5000);
	assert_int_equal(c->rc, 0);
	call_free(c);
}

static void
test_second_open(void **state)
{
	struct fx *fx = *state;
	struct ctl_server *two = NULL;
	char why[512], want[256];
	struct call *c;

	assert_int_equal(ctl_server_open(fx->path, handler, fx, &two, why,
	    sizeof(why)), -EADDRINUSE);
	assert_null(two);
	snprintf(want, sizeof(want), "another adsync daemon is running on %s",
	    fx->path);
	assert_contains(why, want);
	/* The first server is untouched. */
	c = call_start(fx->path, json_pack("{s:s}", "cmd", "echo"), 5000);
	call_finish(fx, c, 5000);
	assert_int_equal(c->rc, 0);
	assert_true(json_is_true(json_object_get(c->reply, "ok")));
	call_free(c);
}

static void
test_not_socket(void **state)
{
	struct fx *fx = *state;
	char why[512], link[160];
	struct stat sb;
	int fd;

	fd = open(fx->path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ctl_server_open(fx->path, handler, fx, &fx->srv, why,
	    sizeof(why)), -EEXIST);
	assert_null(fx->srv);
	assert_contains(why, fx->path);
	assert_contains(why, "a regular file, not a socket");
	assert_contains(why, "move that file away");
	assert_int_equal(lstat(fx->path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));

	/* A symbolic link is not followed. */
	snprintf(link, sizeof(link), "%s/link.sock", fx->dir);
	assert_int_equal(symlink(fx->path, link), 0);
	assert_int_equal(ctl_server_open(link, handler, fx, &fx->srv, why,
	    sizeof(why)), -EEXIST);
	assert_contains(why, "a symbolic link, not a socket");
}

static void
test_mode_0600(void **state)
{
	struct fx *fx = *state;
	struct stat sb;
	mode_t old;

	old = umask(0);
	fx_open(fx);
	/* The umask is given back. */
	assert_int_equal(umask(old), 0);
	assert_int_equal(lstat(fx->path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(sb.st_uid, geteuid());
	/* close removes the file. */
	ctl_server_close(fx->srv);
	fx->srv = NULL;
	assert_int_equal(lstat(fx->path, &sb), -1);
	assert_int_equal(errno, ENOENT);
}

static void
test_close_leaves_foreign_file(void **state)
{
	struct fx *fx = *state;
	struct stat sb;
	int fd;

	/* Someone replaced our socket: close must not remove theirs. */
	assert_int_equal(unlink(fx->path), 0);
	fd = open(fx->path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	ctl_server_close(fx->srv);
	fx->srv = NULL;
	assert_int_equal(lstat(fx->path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
}

static void
test_path_too_long(void **state)
{
	struct fx *fx = *state;
	char path[300], why[512];
	json_t *req = json_pack("{s:s}", "cmd", "echo"), *reply = NULL;

	memset(path, 'p', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(ctl_server_open(path, handler, fx, &fx->srv, why,
	    sizeof(why)), -ENAMETOOLONG);
	assert_contains(why, "at most 107");
	assert_contains(why, "shorter state_dir");
	assert_int_equal(ctl_call(path, req, 1000, &reply, why, sizeof(why)),
	    -ENAMETOOLONG);
	assert_null(reply);
	json_decref(req);
}

static void
test_call_timeout(void **state)
{
	struct fx *fx = *state;
	struct call *c;

	c = call_start(fx->path, json_pack("{s:s}", "cmd", "hold"), 200);
	call_finish(fx, c, 5000);
	assert_int_equal(c->rc, -ADSYNC_ETIMEOUT);
	assert_null(c->reply);
	assert_contains(c->why, "no answer from the adsync daemon");
	assert_true(c->elapsed_ms >= 200 && c->elapsed_ms < 3000);
	call_free(c);
	assert_int_equal(fx->nheld, 1);
	/* The handler answers after the client gave up: just freed. */
	assert_true(pump_until(fx->srv, no_clients, fx->srv, 5000));
	ctl_req_reply(fx->held[0], json_pack("{s:b}", "ok", 1));
	fx->nheld = 0;
	pump(fx->srv, 20);
}

static void
test_call_unreachable(void **state)
{
	struct fx *fx = *state;
	json_t *req = json_pack("{s:s}", "cmd", "echo"), *reply = NULL;
	char why[512], want[256];

	assert_int_equal(ctl_call(fx->path, req, 1000, &reply, why,
	    sizeof(why)), -ENOENT);
	assert_null(reply);
	snprintf(want, sizeof(want), "cannot reach the adsync daemon at %s: ",
	    fx->path);
	assert_contains(why, want);
	assert_contains(why, "(is it running? `systemctl status adsync`)");

	/* A stale socket: connection refused, the same advice. */
	make_stale(fx->path);
	assert_int_equal(ctl_call(fx->path, req, 0, &reply, why, sizeof(why)),
	    -ECONNREFUSED);
	assert_contains(why, "systemctl status adsync");

	/* Not an object. */
	json_decref(req);
	req = json_array();
	assert_int_equal(ctl_call(fx->path, req, 0, &reply, why, sizeof(why)),
	    -EINVAL);
	json_decref(req);
}

static void
test_close_answers_pending(void **state)
{
	struct fx *fx = *state;
	struct call *c;
	struct stat sb;
	char *got;
	int fd, i;

	c = call_start(fx->path, json_pack("{s:s}", "cmd", "hold"), 10000);
	for (i = 0; i < 200 && fx->nheld == 0; i++)
		pump_once(fx->srv, 10);
	assert_int_equal(fx->nheld, 1);
	/* And one that has sent only half a request. */
	fd = raw_connect(fx->path);
	raw_send(fx, fd, "{\"cmd\"", 6);
	pump(fx->srv, 50);
	assert_int_equal(ctl_server_nclients(fx->srv), 2);
	ctl_server_close(fx->srv);
	fx->srv = NULL;
	assert_int_equal(lstat(fx->path, &sb), -1);
	call_finish(fx, c, 0);
	assert_int_equal(c->rc, 0);
	assert_string_equal(reply_error(c->reply), "the daemon is stopping");
	call_free(c);
	got = malloc(512);
	{
		ssize_t n = recv(fd, got, 511, 0);

		assert_true(n > 0);
		got[n] = '\0';
	}
	assert_contains(got, "the daemon is stopping");
	free(got);
	close(fd);
	/* The held request outlives the server; answering it only frees. */
	ctl_req_reply(fx->held[0], json_pack("{s:b}", "ok", 1));
	fx->nheld = 0;
	ctl_req_reply(NULL, json_pack("{}"));
}

static void
test_peer_uid_denied(void **state)
{
	struct fx *fx = *state;
	json_t *req, *reply = NULL;
	int64_t end;
	char why[512];
	const char *e;
	pid_t pid;
	int st = 0, rc;

	if (geteuid() != 0) {
		print_message("not root: the other-uid case is skipped\n");
		skip();
	}
	/* Let uid 65534 reach the socket, so that the uid check is what
	 * stops it (the mode is the first line, tested elsewhere). */
	assert_int_equal(chmod(fx->dir, 0711), 0);
	assert_int_equal(chmod(fx->path, 0666), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 ||
		    setuid(65534) < 0 || getuid() != 65534)
			_exit(77);
		req = json_pack("{s:s}", "cmd", "echo");
		rc = ctl_call(fx->path, req, 5000, &reply, why, sizeof(why));
		if (rc != 0)
			_exit(10);
		e = reply_error(reply);
		_exit(e != NULL && strncmp(e, "permission denied: uid 65534",
		    28) == 0 ? 0 : 11);
	}
	end = timing_now_ms() + 10000;
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (timing_now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			fail_msg("the child did not finish");
		}
		pump_once(fx->srv, 10);
	}
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77) {
		print_message("cannot change uid in a child: skipped\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(fx->calls, 0);
	assert_true(pump_until(fx->srv, no_clients, fx->srv, 5000));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_request_at_limit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_deferred_reply, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_client_gone, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_too_large, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_reply, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_big_reply_and_slow_reader,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_too_large, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_write_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_max_clients, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stale_socket, setup_dir,
		    teardown),
		cmocka_unit_test_setup_teardown(test_second_open, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_not_socket, setup_dir,
		    teardown),
		cmocka_unit_test_setup_teardown(test_mode_0600, setup_dir,
		    teardown),
		cmocka_unit_test_setup_teardown(test_close_leaves_foreign_file,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_too_long, setup_dir,
		    teardown),
		cmocka_unit_test_setup_teardown(test_call_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_call_unreachable,
		    setup_dir, teardown),
		cmocka_unit_test_setup_teardown(test_close_answers_pending,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_uid_denied, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
