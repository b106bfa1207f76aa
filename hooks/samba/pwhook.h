/*
 * adsync-pwhook internals (docs/pwsync.md "Hooks", adsync-pwhook(8)): the
 * Samba DC side of password sync. One process, one thread; started by
 * Samba (check password script, as root, 10 s limit), by samba-tool user
 * syncpasswords --script, or by systemd (--sender). It holds a captured
 * password only in a struct secret or a wiped buffer, writes it to disk
 * only encrypted (the spool), and never logs it.
 */
#ifndef ADSYNC_PWHOOK_H
#define ADSYNC_PWHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attributes.h"
#include "buf.h"
#include "pwhook_complexity.h"
#include "pwproto.h"
#include "secret.h"

#define PWHOOK_SPOOL_DEFAULT "/var/spool/adsync-pwhook"
/* Spool entries older than this are dropped by the sender: the receiver
 * drops unconfirmed captures long before (password_hold). */
#define PWHOOK_SPOOL_MAX_AGE_MS (7LL * 24 * 3600 * 1000)
/* Deadline of the one send a capture mode tries (connect + transfer). */
#define PWHOOK_CAPTURE_TIMEOUT_MS 2000L
/* Deadline of a send by the sender. */
#define PWHOOK_SENDER_TIMEOUT_MS 15000L
/* Largest password read in the check password mode, for the complexity
 * check: AD allows 256 UTF-16 units ([MS-SAMR] 3.1.1.7.2), at most 768
 * bytes of UTF-8. Only PW_PASSWORD_MAX bytes of it can be captured. */
#define PWHOOK_CHECK_MAX 4096
/* Largest LDIF read from samba-tool (one object, a few attributes). */
#define PWHOOK_LDIF_MAX 65536

/* ---- pwhook_log.c: "adsync-pwhook: LEVEL: message" on stderr ---- */
enum pwhook_log_mode {
	PWHOOK_LOG_STDERR,	/* --sender: stderr only (journald) */
	PWHOOK_LOG_SYSLOG,	/* -c: stderr, and warnings also to syslog */
	PWHOOK_LOG_DEFERRED,	/* --syncpasswords: held until after
				 * DONE-EXIT, warnings also to syslog */
};
void pwhook_log_init(enum pwhook_log_mode mode, int verbosity);
/* Writes the held lines (PWHOOK_LOG_DEFERRED) to stderr. */
void pwhook_log_flush(void);
void pwhook_warnx(const char *fmt, ...) ATTR_PRINTF(1, 2);
void pwhook_info(const char *fmt, ...) ATTR_PRINTF(1, 2);
void pwhook_debug(const char *fmt, ...) ATTR_PRINTF(1, 2);
/* Copies `s` into `out` for a log line: printable ASCII kept, anything
 * else as '?', cut at `outlen` - 1. Returns `out`. */
const char *pwhook_log_safe(const char *s, char *out, size_t outlen);

/* ---- pwhook_spool.c: the encrypted spool ---- */
struct pwhook_spool {
	int dirfd;			/* owned; -1 when closed */
	struct secret *key;		/* owned: crypto_secretbox key */
	char dir[256];
};
struct pwhook_spool_ent {
	char id[PW_ID_LEN + 1];
	int64_t captured_ms;
};

/* Opens (creating with mode 0700) the spool directory `dir` and its key
 * (DIR/spool.key: 32 random bytes, created 0600 on first use). Refuses a
 * directory or key file that is a symlink, not owned by us, or open to
 * group or others. 0 or a negative code with `why`. */
int pwhook_spool_open(struct pwhook_spool *sp, const char *dir, char *why,
    size_t whylen);
void pwhook_spool_close(struct pwhook_spool *sp);
/* Seals `json` (a pw_capture_encode() body) into entry `id`, durably:
 * temporary file, fsync, rename, fsync of the directory. 0 or -errno. */
int pwhook_spool_put(struct pwhook_spool *sp, const char *id,
    const struct buf *json);
/* Opens entry `id` and decodes it into `out` (pw_capture_fini() it).
 * 0, -ENOENT, or -EINVAL with `why` when it cannot be authenticated or
 * decoded (a damaged entry or another key). */
int pwhook_spool_get(struct pwhook_spool *sp, const char *id,
    struct pw_capture *out /* OUT */, char *why, size_t whylen);
/* Removes entry `id` (a missing entry is not an error). */
int pwhook_spool_del(struct pwhook_spool *sp, const char *id);
/* The names of the entries (32 hex characters), unsorted, at most `max`.
 * 0 and *ents (malloc'd array of *n, captured_ms 0) or a negative code. */
int pwhook_spool_list(struct pwhook_spool *sp, size_t max,
    struct pwhook_spool_ent **ents /* OUT */, size_t *n /* OUT */);
/* Records / reads the capture time of the last delivered change (a plain
 * number in DIR/last-change, for heartbeats). */
void pwhook_spool_note_change(struct pwhook_spool *sp, int64_t captured_ms);
int64_t pwhook_spool_last_change(struct pwhook_spool *sp);

/* ---- pwhook_send.c: HTTPS with mutual TLS to the receiver ---- */
enum pwhook_result {
	PWHOOK_SENT,		/* 202 or 200: delete the entry */
	PWHOOK_DROP,		/* 400 or 413: delete the entry, logged */
	PWHOOK_KEEP,		/* anything else: keep it, retry later */
};
struct pwhook_client;
/* A client for the receiver of `hf` (borrowed; must outlive the client),
 * with a deadline of `timeout_ms` per request. NULL with `why`. */
struct pwhook_client *pwhook_client_new(const struct pw_hookfile *hf,
    long timeout_ms, char *why, size_t whylen);
void pwhook_client_free(struct pwhook_client *c);
/* POSTs `c` to /v1/password; logs the outcome (account names only). */
enum pwhook_result pwhook_send_capture(struct pwhook_client *cl,
    const struct pw_capture *c);
/* POSTs a heartbeat; 0 when answered 200. */
int pwhook_send_heartbeat(struct pwhook_client *cl,
    const struct pw_heartbeat *h);

/* ---- pwhook_ldif.c: the object samba-tool syncpasswords pipes ---- */
struct pwhook_ldif {
	char account[PW_ACCOUNT_MAX + 1];
	char upn[PW_ACCOUNT_MAX + 1];
	char guid[37];
	struct secret *password;	/* owned; NULL when absent */
};
/* Parses one LDIF record (`len` bytes). Attributes other than objectGUID,
 * sAMAccountName, userPrincipalName, pwdLastSet and virtualClearTextUTF8
 * are ignored. `out` is zeroed first; pwhook_ldif_fini() frees it, also
 * after a failure. 0 or -EINVAL with `why` (never quoting the password). */
int pwhook_ldif_parse(const char *text, size_t len,
    struct pwhook_ldif *out /* OUT */, char *why, size_t whylen);
void pwhook_ldif_fini(struct pwhook_ldif *l);

/* ---- pwhook_capture.c: the capture modes ---- */
/*
 * Samba's check password script. Reads the password and applies the
 * domain's complexity rule (pwhook_complexity.c) first, whatever the hook
 * file: returns 1 (Samba refuses the change) when the password breaks it
 * or cannot be read, and captures nothing. Otherwise captures it (spool,
 * one send) and returns 0, also when capturing fails. `hookfile` NULL:
 * check only (the caller has logged why), without libsodium.
 */
int pwhook_check_password(const char *hookfile, const char *spooldir);
/* samba-tool syncpasswords' script: always answers DONE-EXIT: 0, returns
 * 0. `hookfile` NULL: answers and drains stdin only. */
int pwhook_syncpasswords(const char *hookfile, const char *spooldir);

/* ---- pwhook_sender.c: --sender ---- */
/* Runs until SIGTERM/SIGINT (once: one pass). Returns the exit status. */
int pwhook_sender(const char *hookfile, const char *spooldir, bool once);

#endif
