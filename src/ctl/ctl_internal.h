/*
 * Internals of the ctl module, shared by its files and its unit test:
 * struct ctl_server, connections and requests, the limits (which the test
 * shortens), and the per-connection steps. Nothing outside src/ctl and
 * tests/unit/test_ctl.c includes this header.
 *
 * Threads: as ctl.h (the server, its connections and its requests belong
 * to the loop thread).
 */
#ifndef ADSYNC_CTL_INTERNAL_H
#define ADSYNC_CTL_INTERNAL_H

#include <sys/types.h>
#include <sys/un.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ctl.h"
#include "timing.h"

/* A client must send its whole request within this time. */
#define CTL_REQUEST_TIMEOUT_MS 5000
/* A reply that makes no progress for this long is abandoned. */
#define CTL_WRITE_TIMEOUT_MS 30000
/* ctl_server_close() flushes pending replies for at most this long. */
#define CTL_CLOSE_FLUSH_MS 1000

struct ctl_limits {
	size_t request_max;	/* request line, "\n" excluded */
	unsigned max_clients;	/* 1..CTL_MAX_CLIENTS */
	int request_timeout_ms;
	int write_timeout_ms;
};

enum ctl_conn_state {
	CTL_CONN_READING,	/* reading the request line */
	CTL_CONN_WAITING,	/* the handler holds the request */
	CTL_CONN_WRITING	/* sending the reply, then close */
};

struct ctl_req;

struct ctl_conn {
	struct ctl_conn *prev, *next;
	struct ctl_server *srv;		/* outlives the connection */
	int fd;
	uid_t uid;
	pid_t pid;
	unsigned id;			/* for log lines */
	enum ctl_conn_state state;
	int64_t deadline_ms;		/* READING, WRITING; monotonic */
	struct buf in;			/* READING */
	struct buf out;			/* WRITING: the reply line */
	size_t out_off;			/* bytes of `out` already sent */
	struct ctl_req *req;		/* WAITING */
};

struct ctl_req {
	struct ctl_conn *conn;	/* NULL once the client is gone */
	json_t *body;		/* owned */
	uid_t uid;
};

struct ctl_server {
	int lfd;
	char *path;		/* owned */
	dev_t dev;		/* identity of the socket file we bound */
	ino_t ino;
	uid_t euid;
	ctl_handler_fn *fn;
	void *arg;
	struct ctl_limits lim;
	struct ctl_conn *conns;	/* doubly linked */
	unsigned nconns;
	unsigned next_id;
	int64_t accept_pause_until;	/* after EMFILE and the like */
	int64_t full_warned_ms;		/* rate limit of "too many clients" */
	unsigned full_refused;		/* refused since that warning */
};

/* ctl_server.c */
void ctl_server_limits_default(struct ctl_limits *l);
/* Replaces the limits (tests shorten them); values are clamped to
 * 1..CTL_REQUEST_MAX, 1..CTL_MAX_CLIENTS and >= 1 ms. Applies to
 * connections accepted afterwards and to deadlines set afterwards. */
void ctl_server_set_limits(struct ctl_server *s, const struct ctl_limits *l);
/* Number of connected clients (tests). */
unsigned ctl_server_nclients(const struct ctl_server *s);

/* ctl_sock.c: the socket file. */
int ctl_sock_listen(const char *path, int *fd /* OUT */, dev_t *dev,
    ino_t *ino, char *why, size_t whylen);
/* Fills `sa` for `path`; -ENAMETOOLONG and `why` if it does not fit. */
int ctl_sock_addr(const char *path, struct sockaddr_un *sa, char *why,
    size_t whylen);

/* ctl_conn.c: one client. */
/* Accepts every pending client (at most a batch per call). */
void ctl_conn_accept(struct ctl_server *s);
/* Does the work `revents` allow on `c`; may free `c`. */
void ctl_conn_step(struct ctl_server *s, struct ctl_conn *c, short revents);
/* Enforces `c`'s deadline at `now`; may free `c`. */
void ctl_conn_expire(struct ctl_server *s, struct ctl_conn *c, int64_t now);
/* Replaces whatever `c` was doing by the reply line `{"error": msg}`. */
void ctl_conn_fail(struct ctl_server *s, struct ctl_conn *c,
    const char *msg);
/* Closes `c`, detaches its request (if any) and frees it. */
void ctl_conn_free(struct ctl_server *s, struct ctl_conn *c);
/* Sends what the socket takes; 1 when the reply is all sent, 0 when more
 * remains, a negative code when the client is gone. */
int ctl_conn_flush(struct ctl_server *s, struct ctl_conn *c);

/* ctl_req.c */
/* Creates the request for `c` (takes `body`) and hands it to the handler. */
void ctl_req_dispatch(struct ctl_server *s, struct ctl_conn *c,
    json_t *body);
/* Formats `reply` as one line into `out` (empty, initialised); 0 or a
 * negative code (-ADSYNC_ETOOBIG, -ENOMEM, -EINVAL). */
int ctl_req_format(const json_t *reply, struct buf *out);

#endif
