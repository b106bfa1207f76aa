/*
 * The systemd notify protocol (sd_notify(3)), without libsystemd: readiness,
 * status text, reload and stop announcements, and watchdog pings for the
 * daemon running under packaging/adsync.service (Type=notify, WatchdogSec=).
 *
 * The protocol: one AF_UNIX datagram of newline-separated VAR=VALUE lines
 * sent to the socket named by $NOTIFY_SOCKET, either a file system path
 * ("/run/systemd/notify") or, when it starts with '@', a name in the
 * abstract namespace. When NOTIFY_SOCKET is unset (run by hand, in tests,
 * under another supervisor) every function here is a no-op returning 0, so
 * the daemon calls them unconditionally.
 *
 * Threads: any thread of the main process. There is no state: each call
 * reads the environment, opens a socket, sends and closes it. The unit sets
 * NotifyAccess=main, and systemd compares the sender's process id (the
 * thread group id, the same for every thread) with MAINPID, so a message
 * from a forked child is dropped. The environment is only read: like every
 * getenv() user, these functions are safe only while no thread calls
 * setenv()/unsetenv()/putenv() (the tests do, single-threaded).
 *
 * Trust: the environment comes from systemd, or from whoever started us;
 * NOTIFY_SOCKET and the WATCHDOG_* values are checked (absolute or
 * abstract, length against sun_path, numbers in range) before use.
 *
 * Errors are 0 or negative (docs/style §8): -errno from the socket calls,
 * -ADSYNC_EPARSE / -ADSYNC_ERANGE from number parsing. A failed notification
 * is worth a warning, never a reason to stop: the daemon logs it and goes on.
 */
#ifndef ADSYNC_SDNOTIFY_H
#define ADSYNC_SDNOTIFY_H

#include <stdint.h>

#include "attributes.h"

/*
 * Largest message, in bytes: systemd (NOTIFY_BUFFER_MAX = PIPE_BUF) ignores
 * a longer datagram whole, so sdnotify_send() refuses it and the status
 * helpers truncate their text to fit.
 */
#define SDNOTIFY_MAX 4096

/*
 * Longest time one send may wait when systemd's receive queue is full
 * (SO_SNDTIMEO), in milliseconds. Long enough to ride out a busy PID 1,
 * short enough that a watchdog ping never stalls the thread that sends it.
 */
#define SDNOTIFY_SEND_TIMEOUT_MS 1000

/*
 * Sends `state` (borrowed, e.g. "READY=1\nSTATUS=Syncing") as one datagram
 * to $NOTIFY_SOCKET, exactly as given: no newline is added and none is
 * checked, so `state` must not carry text from outside (use
 * sdnotify_status() for that, which makes it safe).
 *
 * `state` is checked first, so a bad call fails in tests as well, where
 * NOTIFY_SOCKET is unset. Returns 0 when sent, 0 without doing anything
 * when NOTIFY_SOCKET is unset, or a negative code:
 *   -EINVAL        `state` NULL or empty; NOTIFY_SOCKET empty, "/" or "@";
 *   -EAFNOSUPPORT  NOTIFY_SOCKET neither absolute nor abstract ('@');
 *   -ENAMETOOLONG  the path or abstract name does not fit sun_path;
 *   -EMSGSIZE      `state` longer than SDNOTIFY_MAX;
 *   -EAGAIN        the receiver's queue stayed full for
 *                  SDNOTIFY_SEND_TIMEOUT_MS;
 *   other -errno   from socket()/setsockopt()/sendto() (-ENOENT,
 *                  -ECONNREFUSED: nobody listens there).
 * Blocks at most about SDNOTIFY_SEND_TIMEOUT_MS.
 */
int sdnotify_send(const char *state);

/*
 * Tells systemd that start-up (or a reload) is complete: "READY=1", plus
 * "STATUS=<status>" when `status` (borrowed) is not NULL. Until READY=1
 * arrives, `systemctl start adsync` waits, and after a RELOADING=1 the
 * unit stays "reloading". The status is made safe and truncated as in
 * sdnotify_status(). Returns as sdnotify_send().
 */
int sdnotify_ready(const char *status);

/*
 * Sets the one-line status shown by `systemctl status adsync`:
 * "STATUS=<printf(fmt, ...)>". The text may hold data from outside (a DC
 * name, an API error): every control character, newline included, becomes
 * a space, so it cannot add assignments of its own (a "\nMAINPID=1" or
 * "\nREADY=1" smuggled in by a server), and text longer than the message
 * limit is cut at a UTF-8 character boundary (systemd ignores a status
 * that is not valid UTF-8). Returns as sdnotify_send().
 */
int sdnotify_status(const char *fmt, ...) ATTR_PRINTF(1, 2);

/*
 * "STOPPING=1": shutdown has begun (SIGTERM received), so systemd shows
 * "deactivating" and starts TimeoutStopSec. Returns as sdnotify_send().
 */
int sdnotify_stopping(void);

/*
 * "RELOADING=1\nMONOTONIC_USEC=<CLOCK_MONOTONIC now, in µs>": a reload
 * (SIGHUP) has begun. systemd ≥ 253 wants the timestamp to tell this
 * reload from an earlier one, older versions ignore it. Send
 * sdnotify_ready() when the reload is done, whether it worked or not.
 * Returns as sdnotify_send(), or -errno if the clock cannot be read.
 */
int sdnotify_reloading(void);

/*
 * "WATCHDOG=1": the daemon is alive. Send it at least every half of the
 * interval from sdnotify_watchdog_usec(), from the thread whose progress
 * proves the daemon works (the main loop, not a helper timer thread that
 * would keep pinging while the main loop hangs). Returns as sdnotify_send().
 */
int sdnotify_watchdog(void);

/*
 * Reads the watchdog settings systemd passes (WatchdogSec=):
 * WATCHDOG_USEC, the interval in µs, and WATCHDOG_PID, the process that
 * must ping. Returns
 *   1  the watchdog is enabled for this process: *usec (OUT) is the
 *      interval, in [1, LLONG_MAX];
 *   0  it is not: WATCHDOG_USEC unset, or WATCHDOG_PID names another
 *      process (the variables were inherited, e.g. by a child);
 *   -ADSYNC_EPARSE / -ADSYNC_ERANGE  WATCHDOG_USEC or WATCHDOG_PID is not
 *      a decimal number in range; "0" is out of range, as for systemd's
 *      sd_watchdog_enabled() (systemd never sends it: no watchdog means no
 *      variable).
 * *usec is written only when 1 is returned.
 */
int sdnotify_watchdog_usec(uint64_t *usec /* OUT */) ATTR_NODISCARD;

#endif
