/*
 * ctl: the daemon's control socket, a UNIX stream socket in the state
 * directory through which `adsync status`, `adsync sync --now`, `adsync
 * history`... talk to a running daemon. This module is only the transport;
 * what a request means is the daemon's business.
 *
 * Protocol (docs/ctl.md): the client connects and sends ONE request, a
 * compact JSON object on one line terminated by "\n"; the server answers
 * with ONE JSON object on one line terminated by "\n" and closes. The
 * answer may come much later (`sync --now` answers when the cycle ends).
 *
 * Threads: a struct ctl_server and every struct ctl_req it hands out
 * belong to ONE thread, the daemon's loop thread: every ctl_server_* and
 * ctl_req_* call is made there. ctl_call() is independent (no globals,
 * no server state) and may be called from any thread.
 *
 * Trust: the server trusts nothing a client sends. A client is accepted
 * only if its SO_PEERCRED uid is 0 or the daemon's effective uid; a
 * request is bounded (CTL_REQUEST_MAX), must arrive within 5 s and must be
 * a JSON object, or the transport answers {"error": "..."} itself and the
 * handler never sees it. The socket file is created 0600. Request bodies
 * are never logged. The client trusts the reply only as far as its size
 * bound (CTL_REPLY_MAX) and JSON syntax.
 *
 * Errors: 0 or a negative code (-errno, -ADSYNC_E* from err.h), plus for
 * the calls that take them a sentence in `why` (always NUL-terminated when
 * whylen > 0) naming the path and the fix.
 */
#ifndef ADSYNC_CTL_H
#define ADSYNC_CTL_H

#include <sys/types.h>

#include <poll.h>
#include <stddef.h>

#include <jansson.h>

#include "attributes.h"

/* Largest request line, "\n" excluded. */
#define CTL_REQUEST_MAX (64u * 1024)
/* Largest reply line, "\n" included. */
#define CTL_REPLY_MAX (16u * 1024 * 1024)
/* Most clients connected at once; one more is answered with an error and
 * closed at once. */
#define CTL_MAX_CLIENTS 32
/* Entries ctl_server_pollfds() may fill: the listener and every client. */
#define CTL_POLLFDS_MAX (1 + CTL_MAX_CLIENTS)

/* The name of the socket in the state directory. */
#define CTL_SOCKET_NAME "ctl.sock"

struct ctl_server;
struct ctl_req;

/*
 * Called on the loop thread, from inside ctl_server_handle(), once per
 * well-formed request from an allowed peer. The handler now owns `req`:
 * it must pass it to ctl_req_reply() exactly once, at once or at any
 * later time (minutes later is fine), from the loop thread, even when the
 * client has gone away or the server has been closed in the meantime.
 * The handler must not call ctl_server_close() or ctl_server_handle().
 */
typedef void ctl_handler_fn(void *arg, struct ctl_req *req);

/*
 * Creates the control socket at `path` (e.g. state_dir "/" CTL_SOCKET_NAME;
 * the directory must exist) with mode 0600, listening, non-blocking,
 * close-on-exec. `fn` and `arg` are borrowed and must outlive the server.
 *
 * An existing `path` is examined first: a socket that a server answers on
 * gives -EADDRINUSE ("another adsync daemon is running on PATH"); a stale
 * socket (connection refused) is removed and replaced; anything that is
 * not a socket gives -EEXIST with a sentence naming the path and the fix.
 * Other failures: -ENAMETOOLONG (the path does not fit in sun_path), -EPERM
 * (the socket file did not end up ours with mode 0600), other -errno.
 *
 * The process umask is changed for the duration of bind(): call this
 * before starting threads that create files.
 *
 * Returns 0 and *out (owned; ctl_server_close()), or a negative code and
 * `why`.
 */
int ctl_server_open(const char *path, ctl_handler_fn *fn, void *arg,
    struct ctl_server **out /* OUT */, char *why, size_t whylen)
    ATTR_NODISCARD;

/*
 * Fills fds[0..n) with the descriptors to poll (listener and clients,
 * their events set, revents cleared) and returns n <= max. Give it
 * CTL_POLLFDS_MAX entries so that every client is polled. The entries
 * are valid until ctl_server_handle() or ctl_server_close().
 */
size_t ctl_server_pollfds(struct ctl_server *s, struct pollfd *fds,
    size_t max);

/*
 * After poll(): does all the work of the transport without blocking:
 * accepts clients, reads requests, calls the handler, writes replies,
 * drops clients that went away, and enforces the time limits. `fds` and
 * `n` are exactly what the last ctl_server_pollfds() filled (revents set
 * by poll); call it also when poll() timed out (revents all 0) so that
 * deadlines are enforced. Between the two, only ctl_req_reply() and
 * ctl_server_next_timeout_ms() may be called.
 */
void ctl_server_handle(struct ctl_server *s, const struct pollfd *fds,
    size_t n);

/*
 * Milliseconds until the next deadline of the transport (a client's
 * request timeout, a stalled reply), 0 if one is due, -1 if none: use the
 * minimum of this and your own as the poll() timeout.
 */
int ctl_server_next_timeout_ms(const struct ctl_server *s);

/*
 * Stops listening, removes the socket file (only if it is still the one
 * this server created), answers every client still waiting (also those
 * whose request the handler holds) with {"error": "the daemon is
 * stopping"}, flushes pending replies for at most one second, closes
 * every connection and frees `s`. Requests the handler still holds stay
 * valid: pass each to ctl_req_reply() later, which then only frees it.
 * Accepts NULL.
 */
void ctl_server_close(struct ctl_server *s);

/*
 * The request: a JSON object, borrowed, valid until ctl_req_reply(r).
 * Do not modify it; to keep a part longer, json_deep_copy() it (or
 * json_incref() it: the reference count is all you may change).
 */
const json_t *ctl_req_body(const struct ctl_req *r);

/* The peer's uid (SO_PEERCRED at accept): 0 or the daemon's euid. */
uid_t ctl_req_uid(const struct ctl_req *r);

/*
 * Answers `r` and frees it (r is invalid afterwards). Takes `reply` (the
 * reference is stolen, as with json_object_set_new): a JSON object whose
 * compact text must be below CTL_REPLY_MAX. NULL, a non-object or a
 * reply that is too large is logged and replaced by an {"error": ...}
 * object. The reply is queued and written by later ctl_server_handle()
 * calls without blocking. If the client has gone away, or the server was
 * closed, it only frees `r` and `reply`. Loop thread only. Accepts r ==
 * NULL (then it only releases `reply`).
 */
void ctl_req_reply(struct ctl_req *r, json_t *reply);

/*
 * Client: connects to the daemon at `path`, sends `request` (a JSON
 * object, borrowed; its compact text at most CTL_REQUEST_MAX bytes),
 * waits for the reply line and parses it. `timeout_ms` bounds the whole
 * call (connect, send, wait); <= 0 waits forever. Blocking; any thread;
 * no global state (SIGPIPE is avoided with MSG_NOSIGNAL).
 *
 * Returns 0 and *reply (owned, json_decref(); a JSON object, which may be
 * {"error": "..."} from the daemon or from its transport: interpreting it
 * is the caller's business), or a negative code and `why`:
 * -ENOENT / -ECONNREFUSED ("cannot reach the adsync daemon at PATH: ...
 * (is it running? `systemctl status adsync`)"), -EACCES, -ENAMETOOLONG,
 * -EINVAL (request not an object), -ADSYNC_ETOOBIG (request or reply too
 * large), -ADSYNC_ETIMEOUT, -ADSYNC_ETRANSPORT (connection closed without
 * a reply), -ADSYNC_EPROTO (a reply that is not one JSON object), other
 * -errno.
 */
int ctl_call(const char *path, const json_t *request, int timeout_ms,
    json_t **reply /* OUT */, char *why, size_t whylen) ATTR_NODISCARD;

#endif
