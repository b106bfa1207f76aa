/*
 * The web console's authentication (docs/web.md, "Authentication"): the
 * admin password file (Argon2id through libsodium), the session table with
 * its CSRF tokens, the pre-login CSRF token of the login form and the
 * login rate limiter.
 *
 * Threads: web_passwd_*() use no shared state and may run on any thread
 * (the CLI's main thread, libmicrohttpd's handler threads). A struct
 * web_sessions is the one structure the handler threads share: every
 * web_session_* and web_login_* call takes its mutex, and web_prelogin_*
 * only read its key, fixed at creation; so any thread may call them,
 * concurrently.
 *
 * Time: every `now` is whole seconds of one clock, the same in every call
 * on a table; only differences between two `now` values are used, so tests
 * drive it by hand. CLOCK_MONOTONIC seconds are best. With time(NULL), a
 * step of the clock back makes pre-login tokens "from the future" (the
 * login form must be reloaded) and locks last longer by the step; a step
 * forward ends sessions and tokens early. None of it lets anyone in.
 *
 * Trust: tokens, cookies and client addresses come from the browser and
 * are untrusted; they are compared in constant time (sodium_memcmp) and
 * never logged. The password file is trusted only if it is a regular file
 * of the effective user with no group or other access. Passwords are
 * never copied, printed or logged here.
 *
 * libsodium must be initialised (sodium_init() in main) before any call.
 */
#ifndef ADSYNC_WEB_AUTH_H
#define ADSYNC_WEB_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "attributes.h"

/* The password file's name in state_dir when [daemon] web_password_file
 * is not set. */
#define WEB_PASSWD_FILE_NAME "web.passwd"
/* What `adsync web passwd` accepts: characters (code points) and bytes. */
#define WEB_PASSWD_MIN_CHARS 10
#define WEB_PASSWD_MAX_BYTES 1024
/* Argon2id cost of a new hash: passes and bytes (web_passwd_hash()). */
#define WEB_PASSWD_OPSLIMIT 4
#define WEB_PASSWD_MEMLIMIT (32u * 1024 * 1024)

/* Session id and CSRF token: 32 random bytes, base64url without padding. */
#define WEB_TOKEN_BYTES 32
#define WEB_TOKEN_LEN 43
/* The pre-login token: 8 bytes of time and a 32-byte crypto_auth tag,
 * base64url without padding. */
#define WEB_PRELOGIN_LEN 54

#define WEB_SESSIONS_MAX 64		/* the least recently used goes */
#define WEB_SESSION_IDLE_S (30 * 60)	/* idle timeout */
#define WEB_SESSION_MAX_S (12 * 60 * 60) /* absolute lifetime */
#define WEB_PRELOGIN_MAX_S (60 * 60)	/* a login form is good this long */

/* Login rate limiting (web_login_allowed()). */
#define WEB_LOGIN_FREE_FAILURES 5	/* per address before locking */
#define WEB_LOGIN_LOCK_MAX_S 300	/* longest lock of one address */
#define WEB_LOGIN_FORGET_S (60 * 60)	/* failures forgotten after this
					 * long without one */
#define WEB_LOGIN_GLOBAL_FAILURES 20	/* failures of all addresses... */
#define WEB_LOGIN_GLOBAL_WINDOW_S 60	/* ...within this many seconds */
#define WEB_LOGIN_INFLIGHT_MAX 1	/* attempts being checked at once */
#define WEB_LOGIN_INFLIGHT_S 60		/* an attempt not reported back
					 * within this is taken as failed */
#define WEB_LOGIN_ADDRS_MAX 256		/* addresses remembered */
#define WEB_LOGIN_ADDR_MAX 64		/* bytes of an address kept */

/* ---- the admin password file ---------------------------------------- */

/*
 * Hashes `len` bytes of `pw` with Argon2id (crypto_pwhash_str, libsodium's
 * WEB_PASSWD_OPSLIMIT passes over WEB_PASSWD_MEMLIMIT bytes) into `out`, a
 * NUL-terminated "$argon2id$v=19$m=...,t=...,p=...$salt$hash" string.
 * Returns 0, or -ENOMEM (the 32 MiB could not be had). `pw` is borrowed
 * and not copied; the caller wipes it.
 */
int web_passwd_hash(const char *pw, size_t len,
    char out[crypto_pwhash_STRBYTES] /* OUT */) ATTR_NODISCARD;

/*
 * Whether `len` bytes of `pw` may become the console password: at least
 * WEB_PASSWD_MIN_CHARS characters, at most WEB_PASSWD_MAX_BYTES bytes,
 * valid UTF-8 without control characters (what a browser can send back
 * through the login form). Returns 0, or -ADSYNC_EPARSE / -ADSYNC_ETOOBIG
 * with a sentence in `why` that never quotes the password.
 */
int web_passwd_check(const char *pw, size_t len, char *why, size_t whylen)
    ATTR_NODISCARD;

/*
 * The password file's path into `out`: `configured` when it is not empty
 * (the [daemon] web_password_file setting), else
 * state_dir "/" WEB_PASSWD_FILE_NAME. Returns 0 or -ENAMETOOLONG.
 */
int web_passwd_path(const char *configured, const char *state_dir,
    char *out /* OUT */, size_t outlen) ATTR_NODISCARD;

/*
 * Replaces the file at `path` with `hash` (from web_passwd_hash()) and a
 * newline, atomically (file_replace()): a temporary file beside it (O_EXCL,
 * mode 0600), fsync, rename over `path`, fsync of the directory. A crash
 * leaves the old file or the new one, never a mix or an empty file. The
 * file belongs to the effective user. The directory must exist. Returns 0,
 * or -EINVAL (`hash` is not an Argon2id string) or -errno, with a sentence
 * naming the file in `why`.
 */
int web_passwd_write(const char *path, const char *hash, char *why,
    size_t whylen) ATTR_NODISCARD;

/*
 * Checks `len` bytes of `pw` against the hash in the file at `path`.
 * Returns:
 *   0        the password is right;
 *   -EACCES  the password is wrong (after the full Argon2 time: a wrong
 *            password is never told apart by timing);
 *   -ENOENT  no file: "no console password is set; run `adsync web
 *            passwd`";
 *   -EPERM   the file is not a regular file, is a symbolic link, is owned
 *            by another user, gives access to group or others ("...;
 *            chmod 600 PATH"), or cannot be opened for that reason;
 *   -ADSYNC_EPARSE  the file holds no Argon2id hash;
 *   other -errno (the file cannot be read).
 * Every code but 0 comes with a sentence in `why` for the log (it names
 * the file and the fix; it never holds the password). The file is read on
 * every call, so a new password takes effect without a restart.
 *
 * SECURITY: one call holds 32 MiB (a hash of an older cost: what it
 * names) for a fraction of a second. Call it only after
 * web_login_allowed() said yes, which admits WEB_LOGIN_INFLIGHT_MAX calls
 * at a time; the memory and CPU an attacker can make the daemon spend are
 * bounded by that and the limiter's failure budget.
 */
int web_passwd_verify(const char *path, const char *pw, size_t len,
    char *why, size_t whylen) ATTR_NODISCARD;

/* ---- sessions, CSRF and the login limiter ----------------------------- */

/* Sessions, the pre-login key and the limiter's table. Opaque, locked. */
struct web_sessions;

/*
 * A new, empty table with a fresh random pre-login key (tokens of an
 * earlier process are not accepted). Owned: web_sessions_free(). NULL when
 * out of memory (or the mutex cannot be made).
 */
struct web_sessions *web_sessions_new(void);

/* Wipes every session, token and key and releases the table; accepts
 * NULL. No other thread may be using it. */
void web_sessions_free(struct web_sessions *ws);

/*
 * Opens a session after a successful login: a new random session id and
 * CSRF token (WEB_TOKEN_LEN characters each, NUL-terminated) into `id` and
 * `csrf`. When WEB_SESSIONS_MAX sessions are open, expired ones are
 * dropped first, then the least recently used one. Always a new id (no
 * session fixation). Returns 0.
 */
int web_session_create(struct web_sessions *ws, int64_t now,
    char id[WEB_TOKEN_LEN + 1] /* OUT */,
    char csrf[WEB_TOKEN_LEN + 1] /* OUT */);

/*
 * Whether `id` (a cookie value: untrusted, any string or NULL) names an
 * open session: idle for at most WEB_SESSION_IDLE_S and opened at most
 * WEB_SESSION_MAX_S ago. If so, marks it used at `now` and copies its CSRF
 * token to `csrf_out` (may be NULL), for the pages' forms. An expired
 * session is dropped.
 */
bool web_session_get(struct web_sessions *ws, const char *id, int64_t now,
    char csrf_out[WEB_TOKEN_LEN + 1] /* OUT */);

/*
 * Whether `token` (from a form field or header: untrusted, may be NULL) is
 * the CSRF token of the open session `id`; compared in constant time.
 * A yes also marks the session used at `now`.
 */
bool web_session_csrf_ok(struct web_sessions *ws, const char *id,
    const char *token, int64_t now);

/* Closes session `id` (logout), wiping its tokens; unknown ids are
 * ignored. */
void web_session_end(struct web_sessions *ws, const char *id);

/*
 * A token for the login form, which has no session yet: the time `now`
 * and its crypto_auth (HMAC-SHA-512-256) under the table's key, into `out`
 * (WEB_PRELOGIN_LEN characters, NUL-terminated). It keeps another site
 * from posting a login (login CSRF); it is not secret and may be reused
 * until it expires.
 */
void web_prelogin_token(struct web_sessions *ws, int64_t now,
    char out[WEB_PRELOGIN_LEN + 1] /* OUT */);

/* Whether `token` (untrusted, may be NULL) came from web_prelogin_token()
 * of this table at most WEB_PRELOGIN_MAX_S before `now`. */
bool web_prelogin_ok(struct web_sessions *ws, const char *token,
    int64_t now);

/*
 * Before checking a login: whether an attempt from `client_addr` (its IP
 * address as text; NULL counts as ""; only the first
 * WEB_LOGIN_ADDR_MAX - 1 bytes are kept) may be checked now. No when:
 *   - the address is locked: after WEB_LOGIN_FREE_FAILURES failures in a
 *     row, the k-th failure beyond them locks it for 2^k seconds (2, 4,
 *     8, ...), at most WEB_LOGIN_LOCK_MAX_S;
 *   - an attempt of that address, or WEB_LOGIN_INFLIGHT_MAX attempts in
 *     all, are being checked;
 *   - all addresses together had WEB_LOGIN_GLOBAL_FAILURES failures in
 *     the last WEB_LOGIN_GLOBAL_WINDOW_S seconds (attempts being checked
 *     count as failures here).
 * On no, *retry_after_s (may be NULL) is the seconds to wait (at least 1,
 * for a Retry-After header) and nothing is recorded. On yes, the attempt
 * is recorded as being checked: the caller MUST report its outcome with
 * web_login_result() exactly once (one not reported within
 * WEB_LOGIN_INFLIGHT_S counts as a failure).
 *
 * The table remembers WEB_LOGIN_ADDRS_MAX addresses; a new one replaces
 * the one seen least recently that is not being checked. An address's
 * failures are forgotten WEB_LOGIN_FORGET_S after its last one.
 */
bool web_login_allowed(struct web_sessions *ws, const char *client_addr,
    int64_t now, unsigned *retry_after_s /* OUT */);

/*
 * The outcome of an attempt web_login_allowed() admitted: `ok` clears the
 * address's failures and lock; a failure counts towards its lock and the
 * global budget.
 */
void web_login_result(struct web_sessions *ws, const char *client_addr,
    bool ok, int64_t now);

#endif
