/*
 * Unit tests of the systemd notify protocol (src/common/sdnotify.c) against
 * a real AF_UNIX datagram socket standing in for systemd: bound to a path
 * in a mkdtemp directory, or to an abstract name. Covers the no-op without
 * NOTIFY_SOCKET, addresses (path, abstract, lengths at and past sun_path,
 * malformed), every message helper, status sanitising and truncation, the
 * bounded send timeout, sends from several threads, and the watchdog
 * variables. Single-threaded except test_threads; the tests change the
 * environment, which the module only reads.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "sdnotify.h"
#include "strparse.h"

static char tmpdir[64];
static char sockpath[128];

static int
setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/adsync-sdn-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(sockpath, sizeof(sockpath), "%s/notify", tmpdir);
	return 0;
}

static int
teardown_tmp(void **state)
{
	(void)state;
	/* Only our own mkdtemp directory and the socket made in it. */
	unlink(sockpath);
	return rmdir(tmpdir);
}

/* Every test starts without the variables ctest or a parent might pass. */
static int
setup_env(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return 0;
}

/* Binds a datagram socket to `path` and returns it. */
static int
recv_open_path(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	assert_true(strlen(path) < sizeof(sa.sun_path));
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/*
 * Binds a datagram socket to the abstract name `name` (without the '@')
 * as systemd does: the address length covers the name and no NUL.
 */
static int
recv_open_abstract(const char *name)
{
	struct sockaddr_un sa;
	size_t len = strlen(name);
	int fd;

	assert_true(len < sizeof(sa.sun_path));
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path + 1, name, len);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)), 0);
	return fd;
}

/* A unique abstract name of exactly `len` characters (at least 24). */
static void
abstract_name(char *dst, size_t len)
{
	static unsigned counter;
	int n;

	n = snprintf(dst, len + 1, "adsync-sdn-%ld-%u-", (long)getpid(),
	    counter++);
	assert_true(n > 0 && (size_t)n < len);
	memset(dst + n, 'x', len - (size_t)n);
	dst[len] = '\0';
}

/*
 * Receives the one queued datagram into buf (NUL-terminated) and returns
 * its full length (MSG_TRUNC: a longer one would show), then checks that
 * nothing else is queued: each call sends exactly one message.
 */
static size_t
recv_one(int fd, char *buf, size_t size)
{
	ssize_t n;
	char extra[16];

	n = recv(fd, buf, size - 1, MSG_DONTWAIT | MSG_TRUNC);
	assert_true(n >= 0);
	assert_true((size_t)n < size);
	buf[n] = '\0';
	assert_int_equal(recv(fd, extra, sizeof(extra), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	return (size_t)n;
}

static void
expect_msg(int fd, const char *want)
{
	char buf[SDNOTIFY_MAX + 2];

	assert_int_equal(recv_one(fd, buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);
}

/* No NOTIFY_SOCKET: everything is a no-op, but bad calls still fail. */
static void
test_unset_noop(void **state)
{
	char big[SDNOTIFY_MAX + 2];

	(void)state;
	assert_int_equal(sdnotify_send("READY=1"), 0);
	assert_int_equal(sdnotify_ready(NULL), 0);
	assert_int_equal(sdnotify_ready("up"), 0);
	assert_int_equal(sdnotify_status("run=%u", 1u), 0);
	assert_int_equal(sdnotify_stopping(), 0);
	assert_int_equal(sdnotify_reloading(), 0);
	assert_int_equal(sdnotify_watchdog(), 0);

	assert_int_equal(sdnotify_send(NULL), -EINVAL);
	assert_int_equal(sdnotify_send(""), -EINVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(sdnotify_send(big), -EMSGSIZE);
}

/* A path socket receives exactly the message, once, no NUL or newline. */
static void
test_path_socket(void **state)
{
	int fd;

	(void)state;
	fd = recv_open_path(sockpath);
	assert_int_equal(setenv("NOTIFY_SOCKET", sockpath, 1), 0);
	assert_int_equal(sdnotify_send("READY=1\nSTATUS=Synced 3 objects"), 0);
	expect_msg(fd, "READY=1\nSTATUS=Synced 3 objects");
	assert_int_equal(sdnotify_send("X=1"), 0);
	expect_msg(fd, "X=1");
	close(fd);
	unlink(sockpath);
}

/* '@name' is the abstract namespace: the leading NUL, no trailing one. */
static void
test_abstract_socket(void **state)
{
	char name[64], env[80];
	int fd;

	(void)state;
	abstract_name(name, 40);
	fd = recv_open_abstract(name);
	snprintf(env, sizeof(env), "@%s", name);
	assert_int_equal(setenv("NOTIFY_SOCKET", env, 1), 0);
	assert_int_equal(sdnotify_send("READY=1"), 0);
	expect_msg(fd, "READY=1");
	close(fd);
}

/* sun_path holds 108 bytes: a path of 107 plus NUL, or '\0' + 107. */
static void
test_address_length(void **state)
{
	struct sockaddr_un sa;
	const size_t max = sizeof(sa.sun_path);
	char path[256], name[256], env[260];
	size_t dirlen;
	int fd;

	(void)state;
	assert_int_equal(max, 108);

	/* Path of exactly max - 1 bytes: accepted and delivered. */
	dirlen = strlen(tmpdir);
	snprintf(path, sizeof(path), "%s/", tmpdir);
	memset(path + dirlen + 1, 's', max - 1 - dirlen - 1);
	path[max - 1] = '\0';
	assert_int_equal(strlen(path), max - 1);
	fd = recv_open_path(path);
	assert_int_equal(setenv("NOTIFY_SOCKET", path, 1), 0);
	assert_int_equal(sdnotify_watchdog(), 0);
	expect_msg(fd, "WATCHDOG=1");
	close(fd);
	unlink(path);

	/* One byte more leaves no room for the NUL: refused. */
	memset(path + dirlen + 1, 's', max - dirlen - 1);
	path[max] = '\0';
	assert_int_equal(setenv("NOTIFY_SOCKET", path, 1), 0);
	assert_int_equal(sdnotify_send("READY=1"), -ENAMETOOLONG);
	memset(path + dirlen + 1, 's', 200);
	path[dirlen + 201] = '\0';
	assert_int_equal(setenv("NOTIFY_SOCKET", path, 1), 0);
	assert_int_equal(sdnotify_ready("x"), -ENAMETOOLONG);

	/* Abstract name of max - 1 characters: accepted and delivered. */
	abstract_name(name, max - 1);
	fd = recv_open_abstract(name);
	snprintf(env, sizeof(env), "@%s", name);
	assert_int_equal(setenv("NOTIFY_SOCKET", env, 1), 0);
	assert_int_equal(sdnotify_stopping(), 0);
	expect_msg(fd, "STOPPING=1");
	close(fd);

	/* One more: refused. */
	abstract_name(name, max);
	snprintf(env, sizeof(env), "@%s", name);
	assert_int_equal(setenv("NOTIFY_SOCKET", env, 1), 0);
	assert_int_equal(sdnotify_send("READY=1"), -ENAMETOOLONG);
}

/* Malformed or dead addresses fail with a negative errno, never crash. */
static void
test_address_bad(void **state)
{
	char path[160];
	int fd;

	(void)state;
	assert_int_equal(setenv("NOTIFY_SOCKET", "", 1), 0);
	assert_int_equal(sdnotify_send("READY=1"), -EINVAL);
	assert_int_equal(setenv("NOTIFY_SOCKET", "/", 1), 0);
	assert_int_equal(sdnotify_send("READY=1"), -EINVAL);
	assert_int_equal(setenv("NOTIFY_SOCKET", "@", 1), 0);
	assert_int_equal(sdnotify_send("READY=1"), -EINVAL);
	assert_int_equal(setenv("NOTIFY_SOCKET", "run/notify", 1), 0);
	assert_int_equal(sdnotify_send("READY=1"), -EAFNOSUPPORT);
	assert_int_equal(setenv("NOTIFY_SOCKET", "vsock:2:1234", 1), 0);
	assert_int_equal(sdnotify_send("READY=1"), -EAFNOSUPPORT);

	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	assert_int_equal(setenv("NOTIFY_SOCKET", path, 1), 0);
	assert_int_equal(sdnotify_send("READY=1"), -ENOENT);

	/* The socket file outlives its receiver: nobody listens. */
	fd = recv_open_path(sockpath);
	close(fd);
	assert_int_equal(setenv("NOTIFY_SOCKET", sockpath, 1), 0);
	assert_int_equal(sdnotify_send("READY=1"), -ECONNREFUSED);
	unlink(sockpath);
}

/* The helpers send the documented assignments. */
static void
test_messages(void **state)
{
	char buf[SDNOTIFY_MAX + 2];
	const char *p, *err;
	struct timespec t0, t1;
	long long usec, lo, hi;
	int fd;

	(void)state;
	fd = recv_open_path(sockpath);
	assert_int_equal(setenv("NOTIFY_SOCKET", sockpath, 1), 0);

	assert_int_equal(sdnotify_ready(NULL), 0);
	expect_msg(fd, "READY=1");
	assert_int_equal(sdnotify_ready("Idle, next run in 300 s"), 0);
	expect_msg(fd, "READY=1\nSTATUS=Idle, next run in 300 s");
	assert_int_equal(sdnotify_ready(""), 0);
	expect_msg(fd, "READY=1\nSTATUS=");
	assert_int_equal(sdnotify_status("run=%u objects=%d %s", 12u, -1,
	    "ok"), 0);
	expect_msg(fd, "STATUS=run=12 objects=-1 ok");
	assert_int_equal(sdnotify_stopping(), 0);
	expect_msg(fd, "STOPPING=1");
	assert_int_equal(sdnotify_watchdog(), 0);
	expect_msg(fd, "WATCHDOG=1");

	/* MONOTONIC_USEC: a decimal between two readings of the clock. */
	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &t0), 0);
	assert_int_equal(sdnotify_reloading(), 0);
	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &t1), 0);
	recv_one(fd, buf, sizeof(buf));
	p = "RELOADING=1\nMONOTONIC_USEC=";
	assert_memory_equal(buf, p, strlen(p));
	assert_int_equal(strparse_num(buf + strlen(p), 1, LLONG_MAX, &usec,
	    &err), 0);
	lo = (long long)t0.tv_sec * 1000000 + t0.tv_nsec / 1000;
	hi = (long long)t1.tv_sec * 1000000 + t1.tv_nsec / 1000;
	assert_true(usec >= lo);
	assert_true(usec <= hi);

	close(fd);
	unlink(sockpath);
}

/* SECURITY: status text cannot add assignments or control characters. */
static void
test_status_sanitised(void **state)
{
	int fd;

	(void)state;
	fd = recv_open_path(sockpath);
	assert_int_equal(setenv("NOTIFY_SOCKET", sockpath, 1), 0);

	assert_int_equal(sdnotify_status("dc said: %s",
	    "busy\nMAINPID=1\nREADY=1"), 0);
	expect_msg(fd, "STATUS=dc said: busy MAINPID=1 READY=1");
	assert_int_equal(sdnotify_ready("a\r\n\x1b[31mred\x7f\tb"), 0);
	expect_msg(fd, "READY=1\nSTATUS=a   [31mred  b");
	/* UTF-8 text is left alone. */
	assert_int_equal(sdnotify_status("%s", "Jürgen Müller — ok"), 0);
	expect_msg(fd, "STATUS=Jürgen Müller — ok");

	close(fd);
	unlink(sockpath);
}

/* Long status text is cut to fit, at a UTF-8 character boundary. */
static void
test_status_truncated(void **state)
{
	char buf[SDNOTIFY_MAX + 2];
	char *text;
	size_t n, i;
	int fd;

	(void)state;
	text = malloc(3 * SDNOTIFY_MAX);
	assert_non_null(text);
	fd = recv_open_path(sockpath);
	assert_int_equal(setenv("NOTIFY_SOCKET", sockpath, 1), 0);

	/* ASCII: exactly SDNOTIFY_MAX bytes arrive. */
	memset(text, 'a', 2 * SDNOTIFY_MAX);
	text[2 * SDNOTIFY_MAX] = '\0';
	assert_int_equal(sdnotify_status("%s", text), 0);
	n = recv_one(fd, buf, sizeof(buf));
	assert_int_equal(n, SDNOTIFY_MAX);
	assert_memory_equal(buf, "STATUS=aaa", 10);

	/*
	 * "é" is 2 bytes; after "STATUS=" (7) there are 4089 bytes of room,
	 * an odd number, so the cut falls inside a character: it is dropped.
	 */
	for (i = 0; i < SDNOTIFY_MAX; i++)
		memcpy(text + 2 * i, "\xc3\xa9", 2);
	text[2 * SDNOTIFY_MAX] = '\0';
	assert_int_equal(sdnotify_status("%s", text), 0);
	n = recv_one(fd, buf, sizeof(buf));
	assert_int_equal(n, SDNOTIFY_MAX - 1);
	assert_int_equal((unsigned char)buf[n - 2], 0xc3);
	assert_int_equal((unsigned char)buf[n - 1], 0xa9);

	/* "€" is 3 bytes: 4089 = 3 * 1363, so a whole character ends there
	 * and nothing is dropped; one ASCII byte more shifts the cut. */
	for (i = 0; i < SDNOTIFY_MAX; i++)
		memcpy(text + 3 * i, "\xe2\x82\xac", 3);
	text[3 * SDNOTIFY_MAX - 1] = '\0';
	assert_int_equal(sdnotify_status("%s", text), 0);
	n = recv_one(fd, buf, sizeof(buf));
	assert_int_equal(n, SDNOTIFY_MAX);
	assert_int_equal((unsigned char)buf[n - 1], 0xac);
	assert_int_equal(sdnotify_status("x%s", text), 0);
	n = recv_one(fd, buf, sizeof(buf));
	assert_int_equal(n, SDNOTIFY_MAX - 2);
	assert_int_equal((unsigned char)buf[n - 1], 0xac);

	/* READY=1 with a long status: still one message within the limit. */
	memset(text, 'b', 2 * SDNOTIFY_MAX);
	text[2 * SDNOTIFY_MAX] = '\0';
	assert_int_equal(sdnotify_ready(text), 0);
	n = recv_one(fd, buf, sizeof(buf));
	assert_int_equal(n, SDNOTIFY_MAX);
	assert_memory_equal(buf, "READY=1\nSTATUS=bbb", 18);

	close(fd);
	unlink(sockpath);
	free(text);
}

/* sdnotify_send: SDNOTIFY_MAX bytes go out whole, one more is refused. */
static void
test_send_limit(void **state)
{
	char msg[SDNOTIFY_MAX + 2];
	char buf[SDNOTIFY_MAX + 2];
	int fd;

	(void)state;
	fd = recv_open_path(sockpath);
	assert_int_equal(setenv("NOTIFY_SOCKET", sockpath, 1), 0);
	memcpy(msg, "STATUS=", 7);
	memset(msg + 7, 'z', SDNOTIFY_MAX - 7);
	msg[SDNOTIFY_MAX] = '\0';
	assert_int_equal(sdnotify_send(msg), 0);
	assert_int_equal(recv_one(fd, buf, sizeof(buf)), SDNOTIFY_MAX);
	assert_string_equal(buf, msg);
	msg[SDNOTIFY_MAX] = 'z';
	msg[SDNOTIFY_MAX + 1] = '\0';
	assert_int_equal(sdnotify_send(msg), -EMSGSIZE);
	close(fd);
	unlink(sockpath);
}

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A receiver that reads nothing: the send gives up after the timeout. */
static void
test_send_timeout(void **state)
{
	double t0, dt = 0;
	int fd, r = 0, i;

	(void)state;
	fd = recv_open_path(sockpath);
	assert_int_equal(setenv("NOTIFY_SOCKET", sockpath, 1), 0);
	/* The queue holds net.unix.max_dgram_qlen datagrams (10 to 512). */
	for (i = 0; i < 100000 && r == 0; i++) {
		t0 = now();
		r = sdnotify_watchdog();
		dt = now() - t0;
	}
	close(fd);
	unlink(sockpath);
	if (r == 0)
		skip();	/* the kernel never reported a full queue */
	assert_int_equal(r, -EAGAIN);
	assert_true(dt >= SDNOTIFY_SEND_TIMEOUT_MS / 1000.0 * 0.8);
	assert_true(dt < SDNOTIFY_SEND_TIMEOUT_MS / 1000.0 * 3);
}

#define THREADS 4
#define PER_THREAD 50

static void *
sender(void *arg)
{
	intptr_t id = (intptr_t)arg;
	int i, bad = 0;

	for (i = 0; i < PER_THREAD; i++)
		if (sdnotify_status("thread=%ld i=%d", (long)id, i) != 0)
			bad++;
	return (void *)(intptr_t)bad;
}

/* Several threads at once: every message arrives whole. */
static void
test_threads(void **state)
{
	pthread_t t[THREADS];
	char buf[256];
	struct timeval tv = { 5, 0 };
	int fd, i, got = 0, count[THREADS] = { 0 };
	long id;
	int seq;
	void *bad;
	ssize_t n;

	(void)state;
	fd = recv_open_path(sockpath);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", sockpath, 1), 0);
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, sender,
		    (void *)(intptr_t)i), 0);
	while (got < THREADS * PER_THREAD) {
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		assert_true(n > 0);
		buf[n] = '\0';
		assert_int_equal(sscanf(buf, "STATUS=thread=%ld i=%d", &id,
		    &seq), 2);
		assert_true(id >= 0 && id < THREADS);
		/* One sender's messages arrive in order. */
		assert_int_equal(seq, count[id]);
		count[id]++;
		got++;
	}
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], &bad), 0);
		assert_int_equal((intptr_t)bad, 0);
	}
	close(fd);
	unlink(sockpath);
}

static void
test_watchdog_usec(void **state)
{
	char pid[32];
	uint64_t usec = 7;

	(void)state;
	/* Unset: disabled, *usec untouched. */
	assert_int_equal(sdnotify_watchdog_usec(&usec), 0);
	assert_int_equal(usec, 7);

	assert_int_equal(setenv("WATCHDOG_USEC", "30000000", 1), 0);
	assert_int_equal(sdnotify_watchdog_usec(&usec), 1);
	assert_int_equal(usec, 30000000);

	/* Our pid: enabled. Another pid: the variables are not ours. */
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	assert_int_equal(setenv("WATCHDOG_PID", pid, 1), 0);
	usec = 7;
	assert_int_equal(sdnotify_watchdog_usec(&usec), 1);
	assert_int_equal(usec, 30000000);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	assert_int_equal(setenv("WATCHDOG_PID", pid, 1), 0);
	usec = 7;
	assert_int_equal(sdnotify_watchdog_usec(&usec), 0);
	assert_int_equal(usec, 7);
	assert_int_equal(setenv("WATCHDOG_PID", "1", 1), 0);
	if (getpid() != 1)
		assert_int_equal(sdnotify_watchdog_usec(&usec), 0);

	/* A malformed WATCHDOG_PID is an error, not "some other process". */
	assert_int_equal(setenv("WATCHDOG_PID", "12ab", 1), 0);
	assert_int_equal(sdnotify_watchdog_usec(&usec), -ADSYNC_EPARSE);
	assert_int_equal(setenv("WATCHDOG_PID", "", 1), 0);
	assert_int_equal(sdnotify_watchdog_usec(&usec), -ADSYNC_EPARSE);
	assert_int_equal(setenv("WATCHDOG_PID", "0", 1), 0);
	assert_int_equal(sdnotify_watchdog_usec(&usec), -ADSYNC_ERANGE);
	assert_int_equal(setenv("WATCHDOG_PID", "99999999999", 1), 0);
	assert_int_equal(sdnotify_watchdog_usec(&usec), -ADSYNC_ERANGE);
	assert_int_equal(usec, 7);
	unsetenv("WATCHDOG_PID");

	/* 1 µs and the largest value kept are valid. */
	assert_int_equal(setenv("WATCHDOG_USEC", "1", 1), 0);
	assert_int_equal(sdnotify_watchdog_usec(&usec), 1);
	assert_int_equal(usec, 1);
	assert_int_equal(setenv("WATCHDOG_USEC", "9223372036854775807", 1), 0);
	assert_int_equal(sdnotify_watchdog_usec(&usec), 1);
	assert_int_equal(usec, (uint64_t)LLONG_MAX);

	/* 0, garbage and overflow: negative, *usec untouched. */
	usec = 7;
	assert_int_equal(setenv("WATCHDOG_USEC", "0", 1), 0);
	assert_int_equal(sdnotify_watchdog_usec(&usec), -ADSYNC_ERANGE);
	assert_int_equal(setenv("WATCHDOG_USEC", "-5", 1), 0);
	assert_int_equal(sdnotify_watchdog_usec(&usec), -ADSYNC_ERANGE);
	assert_int_equal(setenv("WATCHDOG_USEC", "abc", 1), 0);
	assert_int_equal(sdnotify_watchdog_usec(&usec), -ADSYNC_EPARSE);
	assert_int_equal(setenv("WATCHDOG_USEC", "", 1), 0);
	assert_int_equal(sdnotify_watchdog_usec(&usec), -ADSYNC_EPARSE);
	assert_int_equal(setenv("WATCHDOG_USEC", " 30", 1), 0);
	assert_int_equal(sdnotify_watchdog_usec(&usec), -ADSYNC_EPARSE);
	assert_int_equal(setenv("WATCHDOG_USEC", "30s", 1), 0);
	assert_int_equal(sdnotify_watchdog_usec(&usec), -ADSYNC_EPARSE);
	assert_int_equal(setenv("WATCHDOG_USEC", "0x10", 1), 0);
	assert_int_equal(sdnotify_watchdog_usec(&usec), -ADSYNC_EPARSE);
	assert_int_equal(setenv("WATCHDOG_USEC", "9223372036854775808", 1), 0);
	assert_int_equal(sdnotify_watchdog_usec(&usec), -ADSYNC_ERANGE);
	/* systemd's USEC_INFINITY (UINT64_MAX) is never a real interval. */
	assert_int_equal(setenv("WATCHDOG_USEC", "18446744073709551615", 1),
	    0);
	assert_int_equal(sdnotify_watchdog_usec(&usec), -ADSYNC_ERANGE);
	assert_int_equal(setenv("WATCHDOG_USEC", "99999999999999999999999", 1),
	    0);
	assert_int_equal(sdnotify_watchdog_usec(&usec), -ADSYNC_ERANGE);
	assert_int_equal(usec, 7);

	/* A bad WATCHDOG_USEC is reported before WATCHDOG_PID is looked at. */
	assert_int_equal(setenv("WATCHDOG_PID", pid, 1), 0);
	assert_int_equal(sdnotify_watchdog_usec(&usec), -ADSYNC_ERANGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_unset_noop, setup_env),
		cmocka_unit_test_setup(test_path_socket, setup_env),
		cmocka_unit_test_setup(test_abstract_socket, setup_env),
		cmocka_unit_test_setup(test_address_length, setup_env),
		cmocka_unit_test_setup(test_address_bad, setup_env),
		cmocka_unit_test_setup(test_messages, setup_env),
		cmocka_unit_test_setup(test_status_sanitised, setup_env),
		cmocka_unit_test_setup(test_status_truncated, setup_env),
		cmocka_unit_test_setup(test_send_limit, setup_env),
		cmocka_unit_test_setup(test_send_timeout, setup_env),
		cmocka_unit_test_setup(test_threads, setup_env),
		cmocka_unit_test_setup(test_watchdog_usec, setup_env),
	};

	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
