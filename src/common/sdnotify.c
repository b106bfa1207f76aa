/*
 * The systemd notify protocol without libsystemd (sdnotify.h): one AF_UNIX
 * datagram per message to $NOTIFY_SOCKET, and the watchdog variables.
 *
 * Any thread of the main process; no state, nothing global. Trusts nothing
 * in the environment: the socket address and the numbers are checked before
 * use. Status text, which may come from outside, is made safe before it is
 * sent (sdnotify_status()).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sdnotify.h"
#include "strparse.h"

/* WATCHDOG_PID is parsed into a long long and compared with getpid(). */
_Static_assert(sizeof(pid_t) == sizeof(int), "pid_t is an int");

/*
 * Fills *sa from NOTIFY_SOCKET's value `e`: "/path" or "@abstract".
 * Returns 0, or -EINVAL / -EAFNOSUPPORT / -ENAMETOOLONG (sdnotify.h).
 */
static int
sdnotify_addr(const char *e, struct sockaddr_un *sa, socklen_t *salen)
{
	size_t len;

	len = strnlen(e, sizeof(sa->sun_path) + 1);
	/* "/" is a directory and "@" an empty abstract name (which would
	 * mean autobind, not an address): neither names a receiver. */
	if (len < 2)
		return -EINVAL;
	/* systemd ≥ 254 also offers "vsock:" (for virtual machines); a
	 * daemon on a host never gets one, so only the two Unix forms. */
	if (e[0] != '/' && e[0] != '@')
		return -EAFNOSUPPORT;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (e[0] == '@') {
		/*
		 * An abstract name is sun_path[0] = '\0' followed by the name,
		 * and its length is the address length: no terminating NUL,
		 * or the receiver (bound without one) would not match.
		 */
		if (len > sizeof(sa->sun_path))
			return -ENAMETOOLONG;
		memcpy(sa->sun_path + 1, e + 1, len - 1);
		*salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    len);
	} else {
		/*
		 * Linux accepts a path filling all of sun_path without a NUL,
		 * but keeping room for one is what systemd and every other
		 * tool assume, so a path of sizeof(sun_path) bytes is refused
		 * rather than sent somewhere that only looks the same.
		 */
		if (len >= sizeof(sa->sun_path))
			return -ENAMETOOLONG;
		memcpy(sa->sun_path, e, len + 1);
		*salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    len + 1);
	}
	return 0;
}

int
sdnotify_send(const char *state)
{
	struct sockaddr_un sa;
	struct timeval tv;
	socklen_t salen;
	const char *e;
	size_t len;
	ssize_t n;
	int fd, r, saved;

	if (state == NULL || *state == '\0')
		return -EINVAL;
	len = strnlen(state, SDNOTIFY_MAX + 1);
	if (len > SDNOTIFY_MAX)
		return -EMSGSIZE;
	if ((e = getenv("NOTIFY_SOCKET")) == NULL)
		return 0;
	if ((r = sdnotify_addr(e, &sa, &salen)) < 0)
		return r;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/*
	 * A datagram to a receiver whose queue is full (PID 1 busy, or a
	 * stuck supervisor) waits for room. SO_SNDTIMEO bounds that wait, so
	 * a watchdog ping or a STOPPING=1 during shutdown cannot hang the
	 * daemon; O_NONBLOCK instead would lose READY=1 at the first hiccup.
	 * Without the bound we would rather not send at all.
	 */
	tv.tv_sec = SDNOTIFY_SEND_TIMEOUT_MS / 1000;
	tv.tv_usec = (SDNOTIFY_SEND_TIMEOUT_MS % 1000) * 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		r = -errno;
		goto out;
	}
	/*
	 * MSG_NOSIGNAL: no SIGPIPE whatever the peer does. The kernel
	 * attaches our credentials itself (systemd sets SO_PASSCRED), which
	 * is how NotifyAccess=main recognises the main process.
	 */
	do {
		n = sendto(fd, state, len, MSG_NOSIGNAL,
		    (const struct sockaddr *)&sa, salen);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;	/* a datagram is sent whole or not at all */
	else
		r = 0;
out:
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

/*
 * Formats "<prefix><text>" into msg (SDNOTIFY_MAX + 1 bytes) and sends it.
 * The text is made safe as sdnotify_status() documents.
 */
static int ATTR_PRINTF(2, 0)
sdnotify_vsend_text(const char *prefix, const char *fmt, va_list ap)
{
	char msg[SDNOTIFY_MAX + 1];
	size_t plen, len, cap, i, j, need;
	unsigned char c;
	int n;

	plen = strlen(prefix);
	cap = sizeof(msg) - plen;	/* room for the text and its NUL */
	memcpy(msg, prefix, plen);
	n = vsnprintf(msg + plen, cap, fmt, ap);
	if (n < 0)
		return -EINVAL;
	len = plen + ((size_t)n < cap ? (size_t)n : cap - 1);

	/*
	 * SECURITY: the protocol is one assignment per line, and the text can
	 * hold what a DC or the API said. A newline in it would start an
	 * assignment of its own ("\nMAINPID=1", "\nREADY=1", "\nERRNO=..."),
	 * which systemd would take from us since we are the main process.
	 * Other control characters (an ESC from a server) have no business
	 * in a status line shown on an administrator's terminal either.
	 */
	for (i = plen; i < len; i++) {
		c = (unsigned char)msg[i];
		if (c < 0x20 || c == 0x7f)
			msg[i] = ' ';
	}

	/*
	 * Cut short: drop a UTF-8 sequence the cut left incomplete, because
	 * systemd ignores a STATUS= that is not valid UTF-8 and would keep
	 * showing the previous one.
	 */
	if ((size_t)n >= cap) {
		j = len;
		while (j > plen && ((unsigned char)msg[j - 1] & 0xc0) == 0x80)
			j--;
		if (j > plen && (c = (unsigned char)msg[j - 1]) >= 0xc0) {
			need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
			if (len - (j - 1) < need)
				len = j - 1;
		}
	}
	msg[len] = '\0';
	return sdnotify_send(msg);
}

static int ATTR_PRINTF(2, 3)
sdnotify_send_text(const char *prefix, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = sdnotify_vsend_text(prefix, fmt, ap);
	va_end(ap);
	return r;
}

int
sdnotify_ready(const char *status)
{
	if (status == NULL)
		return sdnotify_send("READY=1");
	return sdnotify_send_text("READY=1\nSTATUS=", "%s", status);
}

int
sdnotify_status(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = sdnotify_vsend_text("STATUS=", fmt, ap);
	va_end(ap);
	return r;
}

int
sdnotify_stopping(void)
{
	return sdnotify_send("STOPPING=1");
}

int
sdnotify_reloading(void)
{
	char msg[64];
	struct timespec ts;
	uint64_t usec;

	/*
	 * systemd ≥ 253 (Type=notify-reload) matches MONOTONIC_USEC against
	 * the time it asked for the reload, to tell our answer to this reload
	 * from a late one to the previous; it must be CLOCK_MONOTONIC, the
	 * clock systemd itself uses.
	 */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return -errno;
	usec = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
	    usec);
	return sdnotify_send(msg);
}

int
sdnotify_watchdog(void)
{
	return sdnotify_send("WATCHDOG=1");
}

int
sdnotify_watchdog_usec(uint64_t *usec)
{
	const char *e, *errstr;
	long long v, pid;
	int r;

	if ((e = getenv("WATCHDOG_USEC")) == NULL)
		return 0;
	/* strparse_num refuses blanks, signs out of range, trailing bytes
	 * and overflow; 0 is refused as systemd's own parser does. */
	if ((r = strparse_num(e, 1, LLONG_MAX, &v, &errstr)) < 0)
		return r;
	/*
	 * WATCHDOG_PID says which process must ping. The variables are
	 * inherited by anything we start (or that started us with them
	 * still set), and only the process named may take them as its own.
	 */
	if ((e = getenv("WATCHDOG_PID")) != NULL) {
		if ((r = strparse_num(e, 1, INT_MAX, &pid, &errstr)) < 0)
			return r;
		if ((pid_t)pid != getpid())
			return 0;
	}
	*usec = (uint64_t)v;
	return 1;
}
