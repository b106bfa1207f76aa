/*
 * A test fixture that runs rsemu (the Rackspace API emulator) as a child
 * process: it makes a private directory with a loopback TLS CA and server
 * certificate (tests/testbed/mkcert.sh) and a 0600 secret key file, starts
 * rsemu on ephemeral loopback ports with --ready-file, waits until the file
 * names the ports, and stops the child by its PID (SIGTERM, then SIGKILL)
 * and removes the directory. Used by the client's integration tests and by
 * the benchmarks.
 *
 * Environment: RSEMU = path of the rsemu binary (CTest sets it);
 * ADSYNC_TEST_SRCDIR = the source tree (for mkcert.sh). Single-threaded
 * use; one struct rsemu per child. Messages go to stderr.
 */
#ifndef ADSYNC_RSEMU_FIXTURE_H
#define ADSYNC_RSEMU_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "conf.h"

/* Exit status for "prerequisite missing" (CTest SKIP_RETURN_CODE). */
#define RSEMU_SKIP 77

#define RSEMU_PATH_MAX 512

struct rsemu_opts {
	bool plain_http;	/* no TLS on the API listener */
	const char *user_key;	/* default "testUserKey0001" */
	long long account;	/* default 100001 */
	/* Further rsemu arguments (--domain, --throttle, ...), NULL-ended;
	 * NULL = "--domain example.com:exchange --domain
	 * example.net:rsemail --throttle off". */
	const char *const *args;
	const char *dir;	/* reuse this directory's TLS files and
				 * secret (a restart); NULL = a new one */
};

struct rsemu {
	pid_t pid;		/* 0 when not running */
	bool own_dir;		/* rsemu_stop removes `dir` */
	char dir[RSEMU_PATH_MAX - 64];	/* private directory */
	char api_url[RSEMU_PATH_MAX];	/* "https://127.0.0.1:PORT/v1" */
	char admin_url[RSEMU_PATH_MAX];	/* "http://127.0.0.1:PORT" */
	int port;
	int admin_port;
	char ca_file[RSEMU_PATH_MAX];	/* DIR/tls/ca.pem */
	char secret_file[RSEMU_PATH_MAX];	/* DIR/secret.key, 0600 */
	char log_file[RSEMU_PATH_MAX];	/* rsemu's stderr */
	char user_key[128];
	char customer[16];		/* "me" */
	char user_agent[64];		/* "adsync-test/1" */
	long long account;
};

/* The rsemu binary from $RSEMU, or NULL when unset or not executable. */
const char *rsemu_binary(void);

/*
 * Runs tests/testbed/mkcert.sh DIR. Returns 0, RSEMU_SKIP when the script
 * or openssl is missing, or -1.
 */
int rsemu_mkcert(const char *dir);

/*
 * Starts rsemu. Returns 0 with `e` filled, RSEMU_SKIP when a prerequisite
 * is missing (no binary), or -1 after printing why (rsemu's log included).
 */
int rsemu_start(struct rsemu *e, const struct rsemu_opts *o);

/* Stops the child by PID and removes the directory; accepts a stopped or
 * zeroed `e`. Returns the child's exit status, or -1. */
int rsemu_stop(struct rsemu *e);

/*
 * One request to the admin listener (plain HTTP on loopback): `method`
 * "GET"/"POST", `path` like "/_emu/requests", `body` JSON or NULL. Returns
 * the HTTP status (0 on transport failure) and the body in *out (owned,
 * may be NULL when not wanted).
 */
long rsemu_admin(const struct rsemu *e, const char *method, const char *path,
    const char *body, char **out /* OUT */);

/* POST /_emu/reset; 0 or -1. */
int rsemu_reset(const struct rsemu *e);

/* POST /_emu/faults with `json`; 0 or -1. */
int rsemu_faults(const struct rsemu *e, const char *json);

/*
 * Counts the recorded requests (GET /_emu/requests) with this method (NULL
 * = any) whose path ends with `path_suffix` (NULL = any) and, if status is
 * not -1, with that status. -1 on failure.
 */
long rsemu_count_requests(const struct rsemu *e, const char *method,
    const char *path_suffix, long status);

/*
 * Fills `c` for an API client of this rsemu: the pointers borrow `e`'s
 * strings (valid while `e` lives); pacing generous (4000 per 60 s),
 * timeout 30 s, 3 retries, 4 in flight. Tests change what they test.
 */
void rsemu_client_conf(struct rsemu *e, struct conf_rackspace *c
    /* OUT */);

/* Writes `content` to DIR/NAME with mode 0600; the path into out. 0/-1. */
int rsemu_write_file(const struct rsemu *e, const char *name,
    const char *content, char *out, size_t outlen);

#endif
