/*
 * pwsync: password synchronisation inside adsync (docs/pwsync.md).
 *
 *  - pw_pki.c: adsync's hook CA, the receiver's certificate, and one
 *    client certificate per enrolled DC (state_dir/pki).
 *  - pw_db.c: state_dir/pw.db, the password side's own SQLite database:
 *    enrolled DCs (fingerprints, heartbeats) and the queue of captured
 *    passwords, each sealed with libsodium under state_dir/pki/queue.key.
 *    Its own file because its writer is not the engine: the receiver must
 *    acknowledge a capture in milliseconds even while a long sync cycle
 *    holds state.db's writer. Several connections (the daemon's password
 *    thread, `adsync hook ...`) may write it; SQLite serialises them.
 *  - pw_seal.c: the queue key and sealing.
 *  - pw_receiver.c: the HTTPS receiver (libmicrohttpd + GnuTLS, mutual
 *    TLS) on hook_listen.
 *  - pw_deliver.c: the password thread: rules, then the API.
 *
 * Secrets: passwords only ever travel in `struct secret` or sealed; never
 * logged, never in state.db, never in a plan, journal or alert.
 */
#ifndef ADSYNC_PWSYNC_H
#define ADSYNC_PWSYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attributes.h"
#include "pwproto.h"
#include "secret.h"

#define PW_FP_HEX 64		/* SHA-256 fingerprint in hex */

/* ---- pw_pki.c ------------------------------------------------------ */

/*
 * Makes state_dir/pki (0700) and in it, when missing, adsync's hook CA and
 * the receiver's certificate for `names` (space-separated; "" = this
 * host's name) plus localhost and 127.0.0.1; the receiver's certificate is
 * issued again when the names change. 0, or a negative code with `why`.
 */
int pw_pki_ensure(const char *state_dir, const char *names, char *why,
    size_t whylen) ATTR_NODISCARD;
/* Days before its end at which the receiver's certificate (825 days) is
 * issued again: by pw_pki_ensure() at start and reload, and by the
 * daemon's daily check (which restarts the receiver). */
#define PW_PKI_RENEW_DAYS 30
/* pw_pki_ensure() with another renewal margin (tests). */
int pw_pki_ensure_renew(const char *state_dir, const char *names,
    int renew_days, char *why, size_t whylen) ATTR_NODISCARD;
/* 1 when the receiver's certificate ends within `days` (or is
 * unreadable), 0 when not or when there is none, or a negative code. */
int pw_pki_server_expiring(const char *state_dir, int days);

/*
 * Issues a client certificate for `dc` (an ECDSA P-256 key, or RSA 2048
 * with `rsa`) and fills `hf` (owned by the caller: pw_hookfile_fini) with
 * everything a hook file holds, the receiver URL included; `fp` gets the certificate's fingerprint and
 * `not_after` its end (Unix seconds). pw_pki_ensure() must have run.
 */
int pw_pki_issue(const char *state_dir, const char *dc, const char *receiver,
    bool rsa, struct pw_hookfile *hf /* OUT */, char fp[PW_FP_HEX + 1] /* OUT */,
    int64_t *not_after /* OUT */, char *why, size_t whylen) ATTR_NODISCARD;

/* SHA-256 of a DER certificate, lowercase hex ("" on failure). */
void pw_pki_fingerprint(const unsigned char *der, size_t len,
    char hex[PW_FP_HEX + 1] /* OUT */);

/* ---- pw_seal.c ----------------------------------------------------- */

struct pw_sealer;

/* Loads state_dir/pki/queue.key, creating it (0600) when absent. */
int pw_sealer_open(const char *state_dir, struct pw_sealer **out /* OUT */,
    char *why, size_t whylen) ATTR_NODISCARD;
void pw_sealer_free(struct pw_sealer *s);
/* nonce || secretbox(pw): a malloc'd blob of *len bytes, or NULL. */
unsigned char *pw_seal(const struct pw_sealer *s, const struct secret *pw,
    size_t *len /* OUT */);
/* The password of a sealed blob, or NULL when it does not open (another
 * key, a damaged row). */
struct secret *pw_unseal(const struct pw_sealer *s, const unsigned char *blob,
    size_t len);

/* ---- pw_db.c ------------------------------------------------------- */

struct pw_db;

/* Opens (creating: 0600, schema) state_dir/pw.db. `readonly`: no writes
 * (the receiver's per-request check, `hook status`). */
int pw_db_open(const char *state_dir, bool readonly,
    struct pw_db **out /* OUT */, char *why, size_t whylen) ATTR_NODISCARD;
void pw_db_close(struct pw_db *db);
const char *pw_db_errmsg(const struct pw_db *db);

struct pw_dc {
	char name[PW_DC_MAX + 1];
	char fingerprint[PW_FP_HEX + 1];
	int64_t enrolled, not_after, revoked;	/* Unix s; revoked 0 = no */
	int64_t last_heartbeat;			/* Unix s; 0 = never */
	int64_t last_change_ms;			/* last capture received */
	uint64_t captures;			/* captures received */
	uint64_t spooled;			/* the hook's own count */
	char version[64];
};

/* A DC whose hook sent no heartbeat for this long is "quiet" (hooks send
 * one at least every minute). */
#define PW_DC_QUIET_S 600

/* The state of enrolled DC `dc` at `now` (Unix s), as `hook status` and
 * the console show it: "revoked", "expired", "never heard from", "quiet"
 * or "ok". Static text. */
const char *pw_dc_state(const struct pw_dc *dc, int64_t now);

/* Enrols `dc` with its new certificate (a previous one is replaced, and
 * so refused from now on). */
int pw_db_dc_enroll(struct pw_db *db, const char *dc, const char *fp,
    int64_t now, int64_t not_after);
/* Revokes `dc`: -ENOENT when it was never enrolled. */
int pw_db_dc_revoke(struct pw_db *db, const char *dc, int64_t now);
/* The DC whose current certificate has fingerprint `fp`: 1 and *out,
 * 0 when none. */
int pw_db_dc_by_fp(struct pw_db *db, const char *fp, struct pw_dc *out);
/* The enrolled DC named `dc`: 1 and *out, 0 when none. */
int pw_db_dc_by_name(struct pw_db *db, const char *dc, struct pw_dc *out);
typedef int pw_dc_cb(void *arg, const struct pw_dc *dc);
int pw_db_dc_each(struct pw_db *db, pw_dc_cb *cb, void *arg);
int pw_db_dc_heartbeat(struct pw_db *db, const char *dc,
    const struct pw_heartbeat *h, int64_t now);

/* A queued capture, as the delivery sees it (no password: that stays
 * sealed until the moment it is sent). */
struct pw_entry {
	int64_t id;
	char capture_id[PW_ID_LEN + 1];
	char dc[PW_DC_MAX + 1];
	enum pw_source source;
	bool committed;
	char account[PW_ACCOUNT_MAX + 1];
	char upn[PW_ACCOUNT_MAX + 1];
	char guid[37];
	char sid[188];
	int64_t captured_ms, received_ms;
	int attempts;
	char note[256];		/* why it waits; never the password */
};

/*
 * Queues `c` from `dc`, sealed, in one durable commit: 1 when queued, 0
 * when a capture with that id was queued or delivered before (a resend).
 */
int pw_db_queue_put(struct pw_db *db, const struct pw_sealer *s,
    const char *dc, const struct pw_capture *c, int64_t now_ms);
typedef int pw_entry_cb(void *arg, const struct pw_entry *e);
/* Every queued entry, oldest capture first. */
int pw_db_queue_each(struct pw_db *db, pw_entry_cb *cb, void *arg);
int pw_db_queue_count(struct pw_db *db, uint64_t *n /* OUT */);
/* The sealed password of entry `id` (malloc'd), or NULL. */
unsigned char *pw_db_queue_sealed(struct pw_db *db, int64_t id,
    size_t *len /* OUT */);
/* Removes entry `id` and remembers its capture id as done (resends of it
 * are answered "duplicate" for PW_DONE_KEEP_S). */
int pw_db_queue_done(struct pw_db *db, int64_t id, int64_t now_ms);
/* The capture time of the password last set for the user whose
 * objectGUID is `user_guid` (text), 0 when none; and recording one (the
 * newer of the two is kept). */
int pw_db_last_get(struct pw_db *db, const char *user_guid,
    int64_t *captured_ms /* OUT */);
int pw_db_last_set(struct pw_db *db, const char *user_guid,
    int64_t captured_ms);
/* Entry `id` is confirmed, meets the service's rule, and waits only for
 * the mailbox of the user whose objectGUID is `user_guid` (text): the
 * engine may create that mailbox with it (pw_held_*). */
int pw_db_queue_ready(struct pw_db *db, int64_t id, const char *user_guid);
int pw_db_queue_ready_count(struct pw_db *db, uint64_t *n /* OUT */);
/* The newest ready entry of `user_guid`: its sealed password (malloc'd)
 * and *id, or NULL. */
unsigned char *pw_db_queue_ready_get(struct pw_db *db, const char *user_guid,
    int64_t *id /* OUT */, size_t *len /* OUT */);
/* Records why entry `id` still waits and counts an attempt. */
int pw_db_queue_note(struct pw_db *db, int64_t id, const char *note,
    bool attempt);

#define PW_DONE_KEEP_S (8 * 86400)

/* Alerts of the password sync (a weak password, a refused set), one per
 * account, cleared when a later change of that account is applied. They
 * live here, not in state.db, because the password thread writes them;
 * `adsync alerts` shows both. */
struct pw_alert {
	char account[PW_ACCOUNT_MAX + 1];
	char guid[37];
	char dn[512];
	char message[768];
	int64_t first_seen, last_seen;
};
int pw_db_alert_set(struct pw_db *db, const char *account, const char *guid,
    const char *dn, const char *message, int64_t now);
int pw_db_alert_clear(struct pw_db *db, const char *account);
typedef int pw_alert_cb(void *arg, const struct pw_alert *a);
int pw_db_alert_each(struct pw_db *db, pw_alert_cb *cb, void *arg);

/* ---- pw_receiver.c ------------------------------------------------- */

struct pw_receiver;

/* Called on the receiver's thread after a new capture was committed. */
typedef void pw_rx_notify_fn(void *arg);

/*
 * Starts the receiver on `listen_spec` (hook_listen) with the certificates
 * of state_dir/pki (pw_pki_ensure() first) and its own pw.db connection.
 * `sealer` is borrowed and must outlive the receiver. 0, or a negative
 * code with `why` (a port in use, a bad key pair).
 */
int pw_receiver_start(const char *listen_spec, const char *state_dir,
    struct pw_sealer *sealer, pw_rx_notify_fn *notify, void *arg,
    struct pw_receiver **out /* OUT */, char *why, size_t whylen)
    ATTR_NODISCARD;
/* "ADDR:PORT" it listens on (the real port when 0 was asked). */
const char *pw_receiver_addr(const struct pw_receiver *rx);
/* Stops (connections in flight are cut) and frees; NULL ok. */
void pw_receiver_stop(struct pw_receiver *rx);

/* ---- pw_held.c ----------------------------------------------------- */

/*
 * The engine's side of "a new employee's first password": when it creates
 * a mailbox, the password a DC captured for that user while the mailbox
 * did not exist yet (docs/pwsync.md). One struct pw_held per engine; the
 * engine's thread only. pw_held_open() gives NULL (no error) when there
 * is no pw.db or key yet.
 */
struct pw_held;
int pw_held_open(const char *state_dir, struct pw_held **out /* OUT */,
    char *why, size_t whylen) ATTR_NODISCARD;
void pw_held_close(struct pw_held *h);
/* Whether any capture waits for a mailbox (one query; call once per
 * batch of creates). */
bool pw_held_any(struct pw_held *h);
/* The password waiting for the mailbox of the user `guid`: 1 and *pw
 * (owned) and *token, or 0. */
int pw_held_take(struct pw_held *h, const char *guid,
    struct secret **pw /* OUT */, int64_t *token /* OUT */);
/* The mailbox was created with the password of `token`: done with it. */
void pw_held_used(struct pw_held *h, int64_t token);

/* ---- pw_deliver.c -------------------------------------------------- */

/*
 * The daemon's password sync: makes the PKI and the queue key when
 * missing, opens pw.db, starts the receiver on conf->daemon.hook_listen
 * (none when it is empty) and the password thread. `pacer` (may be NULL)
 * is the engine's throttle budget, shared with priority. 0, or a negative
 * code with `why`; pw_sync_stop() frees.
 */
struct pw_sync;
struct conf;
struct rs_pacer;
int pw_sync_start(const struct conf *conf, struct rs_pacer *pacer,
    struct pw_sync **out /* OUT */, char *why, size_t whylen) ATTR_NODISCARD;
/* Look at the queue again now (a cycle made mailboxes, read pwdLastSet).
 * Any thread; NULL ok. */
void pw_sync_wake(struct pw_sync *p);
/* The receiver's "ADDR:PORT", or "" when none. */
const char *pw_sync_receiver_addr(const struct pw_sync *p);
/* Stops the receiver, then the thread (an API call in flight finishes or
 * times out), and frees. NULL ok. */
void pw_sync_stop(struct pw_sync *p);

#endif
