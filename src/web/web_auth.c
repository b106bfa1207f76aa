/*
 * The web console's authentication (see web_auth.h): the Argon2id password
 * file, the session table and its CSRF tokens, the pre-login token and the
 * login rate limiter. The password functions use no shared state; a
 * struct web_sessions is shared by libmicrohttpd's handler threads and
 * every access to it holds its mutex. Tokens, cookies and addresses are
 * untrusted; the password file is trusted only once its owner and mode
 * are checked.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "err.h"
#include "fileio.h"
#include "web_auth.h"
#include "web_form.h"

#define WEB_ARGON2ID_PREFIX "$argon2id$"

struct web_session_slot {
	bool used;
	char id[WEB_TOKEN_LEN + 1];
	char csrf[WEB_TOKEN_LEN + 1];
	int64_t created;
	int64_t last_used;
};

struct web_login_slot {
	bool used;
	bool busy;		/* an admitted attempt not yet reported */
	char addr[WEB_LOGIN_ADDR_MAX];
	unsigned failures;	/* in a row, since the last success */
	int64_t last_failure;
	int64_t locked_until;
	int64_t last_seen;
	int64_t busy_since;
};

struct web_sessions {
	pthread_mutex_t mu;
	struct web_session_slot s[WEB_SESSIONS_MAX];
	unsigned char prelogin_key[crypto_auth_KEYBYTES];
	struct web_login_slot l[WEB_LOGIN_ADDRS_MAX];
	/* The times of the last WEB_LOGIN_GLOBAL_FAILURES failures of all
	 * addresses, a ring; gfail_n of them are set. */
	int64_t gfail[WEB_LOGIN_GLOBAL_FAILURES];
	size_t gfail_next;
	size_t gfail_n;
	unsigned inflight;	/* admitted attempts being checked */
};

/* ---- the admin password file ---------------------------------------- */

int
web_passwd_hash(const char *pw, size_t len, char out[crypto_pwhash_STRBYTES])
{
	char tmp[crypto_pwhash_STRBYTES];

	/*
	 * Argon2id with 32 MiB and 4 passes: above OWASP's minimum for
	 * Argon2id (19 MiB, 2 passes) with more passes instead of more
	 * memory, because the daemon's memory is a target of its own (at
	 * most 64 MB at 100,000 objects, peaks included: libsodium's
	 * MODERATE, 256 MiB, took the daemon from 93 to 284 MB at each
	 * login in bench/web.sh). The parameters are in the hash, so older
	 * hashes still verify. web_login_allowed() lets one attempt be
	 * checked at a time.
	 */
	if (crypto_pwhash_str(tmp, pw, len, WEB_PASSWD_OPSLIMIT,
	    WEB_PASSWD_MEMLIMIT) != 0)
		return -ENOMEM;
	memcpy(out, tmp, sizeof(tmp));
	sodium_memzero(tmp, sizeof(tmp));
	return 0;
}

int
web_passwd_check(const char *pw, size_t len, char *why, size_t whylen)
{
	ssize_t n;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (len > WEB_PASSWD_MAX_BYTES) {
		err_why(why, whylen, "the password is longer than %d bytes",
		    WEB_PASSWD_MAX_BYTES);
		return -ADSYNC_ETOOBIG;
	}
	/* The login form refuses control characters in every value, so a
	 * password holding one could never be typed in. */
	if ((n = web_text_check(pw, len, false)) < 0) {
		err_why(why, whylen, "the password is not valid UTF-8 text "
		    "or holds a control character");
		return -ADSYNC_EPARSE;
	}
	if (n < WEB_PASSWD_MIN_CHARS) {
		err_why(why, whylen, "the password is shorter than %d "
		    "characters", WEB_PASSWD_MIN_CHARS);
		return -ADSYNC_EPARSE;
	}
	return 0;
}

int
web_passwd_path(const char *configured, const char *state_dir, char *out,
    size_t outlen)
{
	int n;

	if (configured != NULL && configured[0] != '\0')
		n = snprintf(out, outlen, "%s", configured);
	else
		n = snprintf(out, outlen, "%s/%s", state_dir,
		    WEB_PASSWD_FILE_NAME);
	if (n < 0 || (size_t)n >= outlen)
		return -ENAMETOOLONG;
	return 0;
}

static bool
web_hash_ok(const char *hash)
{
	size_t len = strnlen(hash, crypto_pwhash_STRBYTES), i;

	if (len >= crypto_pwhash_STRBYTES ||
	    strncmp(hash, WEB_ARGON2ID_PREFIX,
	    sizeof(WEB_ARGON2ID_PREFIX) - 1) != 0)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)hash[i] <= ' ' ||
		    (unsigned char)hash[i] >= 0x7f)
			return false;
	return true;
}

int
web_passwd_write(const char *path, const char *hash, char *why,
    size_t whylen)
{
	/* SECURITY: 0600 whatever the umask (a umask of 0277 would make an
	 * unreadable file; the daemon then refuses every login). */
	static const struct file_replace_opts opts = {
		.mode = 0600,
		.tmp_infix = "new",
	};
	char line[crypto_pwhash_STRBYTES + 1];
	size_t len;

	if (!web_hash_ok(hash)) {
		err_why(why, whylen, "not an Argon2id password hash");
		return -EINVAL;
	}
	len = strlen(hash);
	memcpy(line, hash, len);
	line[len++] = '\n';
	return file_replace(path, line, len, &opts, why, whylen);
}

/* Opens and checks the password file, reads the hash into `hash`. */
static int
web_passwd_read(const char *path, char *hash, size_t hashlen, char *why,
    size_t whylen)
{
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT) {
			err_why(why, whylen, "no console password is set (%s "
			    "does not exist); run `adsync web passwd`", path);
			return r;
		}
		if (r == -ELOOP) {
			err_why(why, whylen, "%s is a symbolic link; run "
			    "`adsync web passwd` to write a file there", path);
			return -EPERM;
		}
		if (r == -EACCES) {
			/* Not -EACCES: that code means "wrong password". */
			err_why(why, whylen, "cannot read %s as uid %u: %s; "
			    "run `adsync web passwd` as the user the daemon "
			    "runs as", path, (unsigned)geteuid(),
			    adsync_strerror(r));
			return -EPERM;
		}
		err_why(why, whylen, "cannot open %s: %s", path,
		    adsync_strerror(r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		err_why(why, whylen, "cannot stat %s: %s", path,
		    adsync_strerror(r));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err_why(why, whylen, "%s is not a regular file; remove it and "
		    "run `adsync web passwd`", path);
		r = -EPERM;
		goto out;
	}
	/* SECURITY: a file someone else can write could hold a hash of
	 * their choosing; one others can read gives them an offline
	 * guessing target. */
	if (st.st_uid != geteuid()) {
		err_why(why, whylen, "%s is owned by uid %u, not by the user "
		    "adsync runs as (uid %u); run `adsync web passwd` as that "
		    "user, or chown %u %s", path, (unsigned)st.st_uid,
		    (unsigned)geteuid(), (unsigned)geteuid(), path);
		r = -EPERM;
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		err_why(why, whylen, "%s: mode %04o gives access to group or "
		    "others; chmod 600 %s", path,
		    (unsigned)(st.st_mode & 07777), path);
		r = -EPERM;
		goto out;
	}
	while (len < hashlen) {
		n = read(fd, hash + len, hashlen - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			err_why(why, whylen, "cannot read %s: %s", path,
			    adsync_strerror(r));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > 0 && hash[len - 1] == '\n')
		len--;
	if (len >= hashlen)
		len = hashlen - 1;	/* too long: refused just below */
	hash[len] = '\0';
	if (!web_hash_ok(hash) || memchr(hash, '\0', len) != NULL) {
		err_why(why, whylen, "%s holds no Argon2id password hash; run "
		    "`adsync web passwd` to set the password again", path);
		r = -ADSYNC_EPARSE;
	}
out:
	(void)close(fd);
	return r;
}

int
web_passwd_verify(const char *path, const char *pw, size_t len, char *why,
    size_t whylen)
{
	/* Room for a hash, its newline and one byte more, so that a longer
	 * file is seen to be too long. */
	char hash[crypto_pwhash_STRBYTES + 2];
	int r;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if ((r = web_passwd_read(path, hash, sizeof(hash), why, whylen)) < 0)
		goto out;
	/* SECURITY: a wrong password costs the full Argon2 time, like a
	 * right one; nothing before this depends on the password. */
	if (crypto_pwhash_str_verify(hash, pw, len) != 0) {
		err_why(why, whylen, "wrong password");
		r = -EACCES;
	}
out:
	sodium_memzero(hash, sizeof(hash));
	return r;
}

/* ---- sessions --------------------------------------------------------- */

struct web_sessions *
web_sessions_new(void)
{
	struct web_sessions *ws;

	if ((ws = calloc(1, sizeof(*ws))) == NULL)
		return NULL;
	if (pthread_mutex_init(&ws->mu, NULL) != 0) {
		free(ws);
		return NULL;
	}
	crypto_auth_keygen(ws->prelogin_key);
	return ws;
}

void
web_sessions_free(struct web_sessions *ws)
{
	if (ws == NULL)
		return;
	pthread_mutex_destroy(&ws->mu);
	sodium_memzero(ws, sizeof(*ws));
	free(ws);
}

/* 32 random bytes as base64url without padding. */
static void
web_token_new(char out[WEB_TOKEN_LEN + 1])
{
	unsigned char raw[WEB_TOKEN_BYTES];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, WEB_TOKEN_LEN + 1, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

/* A string that could be a token: its length is all that is looked at
 * here (it is not secret); the bytes are compared in constant time. */
static bool
web_token_shaped(const char *s)
{
	return s != NULL && strnlen(s, WEB_TOKEN_LEN + 1) == WEB_TOKEN_LEN;
}

static bool
web_session_expired(const struct web_session_slot *sl, int64_t now)
{
	return now - sl->last_used > WEB_SESSION_IDLE_S ||
	    now - sl->created > WEB_SESSION_MAX_S;
}

static void
web_session_wipe(struct web_session_slot *sl)
{
	sodium_memzero(sl, sizeof(*sl));
}

/*
 * The open session `id`, or NULL; drops it if it expired. Called with the
 * mutex held.
 */
static struct web_session_slot *
web_session_find(struct web_sessions *ws, const char *id, int64_t now)
{
	struct web_session_slot *found = NULL;
	size_t i;

	if (!web_token_shaped(id))
		return NULL;
	/* SECURITY: every open session is compared, in constant time, so
	 * the time taken does not tell how much of an id matched. */
	for (i = 0; i < WEB_SESSIONS_MAX; i++)
		if (ws->s[i].used && sodium_memcmp(ws->s[i].id, id,
		    WEB_TOKEN_LEN) == 0)
			found = &ws->s[i];
	if (found != NULL && web_session_expired(found, now)) {
		web_session_wipe(found);
		found = NULL;
	}
	return found;
}

int
web_session_create(struct web_sessions *ws, int64_t now,
    char id[WEB_TOKEN_LEN + 1], char csrf[WEB_TOKEN_LEN + 1])
{
	struct web_session_slot *sl = NULL, *lru = NULL;
	size_t i;

	pthread_mutex_lock(&ws->mu);
	for (i = 0; i < WEB_SESSIONS_MAX; i++) {
		if (ws->s[i].used && web_session_expired(&ws->s[i], now))
			web_session_wipe(&ws->s[i]);
		if (!ws->s[i].used) {
			if (sl == NULL)
				sl = &ws->s[i];
			continue;
		}
		if (lru == NULL || ws->s[i].last_used < lru->last_used ||
		    (ws->s[i].last_used == lru->last_used &&
		    ws->s[i].created < lru->created))
			lru = &ws->s[i];
	}
	if (sl == NULL) {
		/* Full of live sessions: the least recently used goes. */
		sl = lru;
		web_session_wipe(sl);
	}
	sl->used = true;
	web_token_new(sl->id);
	web_token_new(sl->csrf);
	sl->created = sl->last_used = now;
	memcpy(id, sl->id, WEB_TOKEN_LEN + 1);
	memcpy(csrf, sl->csrf, WEB_TOKEN_LEN + 1);
	pthread_mutex_unlock(&ws->mu);
	return 0;
}

bool
web_session_get(struct web_sessions *ws, const char *id, int64_t now,
    char csrf_out[WEB_TOKEN_LEN + 1])
{
	struct web_session_slot *sl;

	pthread_mutex_lock(&ws->mu);
	if ((sl = web_session_find(ws, id, now)) != NULL) {
		sl->last_used = now;
		if (csrf_out != NULL)
			memcpy(csrf_out, sl->csrf, WEB_TOKEN_LEN + 1);
	}
	pthread_mutex_unlock(&ws->mu);
	return sl != NULL;
}

bool
web_session_csrf_ok(struct web_sessions *ws, const char *id,
    const char *token, int64_t now)
{
	struct web_session_slot *sl;
	bool ok = false;

	pthread_mutex_lock(&ws->mu);
	if ((sl = web_session_find(ws, id, now)) != NULL &&
	    web_token_shaped(token) &&
	    sodium_memcmp(sl->csrf, token, WEB_TOKEN_LEN) == 0) {
		sl->last_used = now;
		ok = true;
	}
	pthread_mutex_unlock(&ws->mu);
	return ok;
}

void
web_session_end(struct web_sessions *ws, const char *id)
{
	size_t i;

	if (!web_token_shaped(id))
		return;
	pthread_mutex_lock(&ws->mu);
	for (i = 0; i < WEB_SESSIONS_MAX; i++)
		if (ws->s[i].used && sodium_memcmp(ws->s[i].id, id,
		    WEB_TOKEN_LEN) == 0)
			web_session_wipe(&ws->s[i]);
	pthread_mutex_unlock(&ws->mu);
}

/* ---- the pre-login token ---------------------------------------------- */

/*
 * The token is base64url(T || crypto_auth(PREFIX || T)) with T the time as
 * 8 big-endian bytes. The prefix keeps the tag from being valid for
 * anything else that might one day be signed with the same key.
 */
#define WEB_PRELOGIN_PREFIX "adsync-web-prelogin-v1:"
#define WEB_PRELOGIN_RAW (8 + crypto_auth_BYTES)
#define WEB_PRELOGIN_MSG (sizeof(WEB_PRELOGIN_PREFIX) - 1 + 8)

/* The message the tag is computed over: the prefix and the 8 time bytes. */
static void
web_prelogin_msg(const unsigned char t[8],
    unsigned char msg[WEB_PRELOGIN_MSG])
{
	memcpy(msg, WEB_PRELOGIN_PREFIX, sizeof(WEB_PRELOGIN_PREFIX) - 1);
	memcpy(msg + sizeof(WEB_PRELOGIN_PREFIX) - 1, t, 8);
}

void
web_prelogin_token(struct web_sessions *ws, int64_t now,
    char out[WEB_PRELOGIN_LEN + 1])
{
	unsigned char raw[WEB_PRELOGIN_RAW], msg[WEB_PRELOGIN_MSG];
	uint64_t u = (uint64_t)now;
	int i;

	for (i = 7; i >= 0; i--) {
		raw[i] = (unsigned char)(u & 0xff);
		u >>= 8;
	}
	web_prelogin_msg(raw, msg);
	/* The key never changes after web_sessions_new(): no lock. */
	crypto_auth(raw + 8, msg, sizeof(msg), ws->prelogin_key);
	sodium_bin2base64(out, WEB_PRELOGIN_LEN + 1, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool
web_prelogin_ok(struct web_sessions *ws, const char *token, int64_t now)
{
	unsigned char raw[WEB_PRELOGIN_RAW], msg[WEB_PRELOGIN_MSG];
	size_t rawlen = 0;
	uint64_t u = 0;
	int64_t t;
	int i;

	if (token == NULL ||
	    strnlen(token, WEB_PRELOGIN_LEN + 1) != WEB_PRELOGIN_LEN)
		return false;
	if (sodium_base642bin(raw, sizeof(raw), token, WEB_PRELOGIN_LEN, NULL,
	    &rawlen, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    rawlen != sizeof(raw))
		return false;
	web_prelogin_msg(raw, msg);
	/* Constant time; no lock, as above. */
	if (crypto_auth_verify(raw + 8, msg, sizeof(msg),
	    ws->prelogin_key) != 0)
		return false;
	for (i = 0; i < 8; i++)
		u = (u << 8) | raw[i];
	t = (int64_t)u;
	/* A token from the future was not made by this clock. */
	return t <= now && now - t <= WEB_PRELOGIN_MAX_S;
}

/* ---- the login limiter ------------------------------------------------ */

static void
web_login_gfail_push(struct web_sessions *ws, int64_t now)
{
	ws->gfail[ws->gfail_next] = now;
	ws->gfail_next = (ws->gfail_next + 1) % WEB_LOGIN_GLOBAL_FAILURES;
	if (ws->gfail_n < WEB_LOGIN_GLOBAL_FAILURES)
		ws->gfail_n++;
}

static void
web_login_fail(struct web_sessions *ws, struct web_login_slot *sl,
    int64_t now)
{
	unsigned k;
	int64_t lock;

	if (sl != NULL) {
		if (sl->failures < UINT_MAX)
			sl->failures++;
		sl->last_failure = now;
		sl->last_seen = now;
		if (sl->failures > WEB_LOGIN_FREE_FAILURES) {
			k = sl->failures - WEB_LOGIN_FREE_FAILURES;
			/* 2^9 is past the cap already: no shift overflow. */
			lock = k >= 9 ? WEB_LOGIN_LOCK_MAX_S :
			    (int64_t)1 << k;
			if (lock > WEB_LOGIN_LOCK_MAX_S)
				lock = WEB_LOGIN_LOCK_MAX_S;
			sl->locked_until = now + lock;
		}
	}
	web_login_gfail_push(ws, now);
}

/* Attempts admitted but never reported count as failures. */
static void
web_login_sweep(struct web_sessions *ws, int64_t now)
{
	size_t i;

	for (i = 0; i < WEB_LOGIN_ADDRS_MAX; i++) {
		struct web_login_slot *sl = &ws->l[i];

		if (sl->used && sl->busy &&
		    now - sl->busy_since >= WEB_LOGIN_INFLIGHT_S) {
			sl->busy = false;
			ws->inflight--;
			web_login_fail(ws, sl, now);
		}
	}
}

static void
web_login_key(const char *addr, char key[WEB_LOGIN_ADDR_MAX])
{
	snprintf(key, WEB_LOGIN_ADDR_MAX, "%s", addr != NULL ? addr : "");
}

static struct web_login_slot *
web_login_find(struct web_sessions *ws, const char *key)
{
	size_t i;

	for (i = 0; i < WEB_LOGIN_ADDRS_MAX; i++)
		if (ws->l[i].used && strcmp(ws->l[i].addr, key) == 0)
			return &ws->l[i];
	return NULL;
}

/* A new entry for `key`, replacing the least recently seen idle one;
 * NULL if every entry is busy. */
static struct web_login_slot *
web_login_add(struct web_sessions *ws, const char *key, int64_t now)
{
	struct web_login_slot *sl = NULL;
	size_t i;

	for (i = 0; i < WEB_LOGIN_ADDRS_MAX; i++) {
		if (!ws->l[i].used) {
			sl = &ws->l[i];
			break;
		}
		if (!ws->l[i].busy && (sl == NULL ||
		    ws->l[i].last_seen < sl->last_seen))
			sl = &ws->l[i];
	}
	if (sl == NULL)
		return NULL;
	memset(sl, 0, sizeof(*sl));
	sl->used = true;
	memcpy(sl->addr, key, WEB_LOGIN_ADDR_MAX);
	sl->last_seen = now;
	return sl;
}

bool
web_login_allowed(struct web_sessions *ws, const char *client_addr,
    int64_t now, unsigned *retry_after_s)
{
	char key[WEB_LOGIN_ADDR_MAX];
	struct web_login_slot *sl;
	int64_t wait = 0, t;
	size_t i, recent = 0;

	web_login_key(client_addr, key);
	pthread_mutex_lock(&ws->mu);
	web_login_sweep(ws, now);
	if ((sl = web_login_find(ws, key)) != NULL) {
		if (sl->failures > 0 && now >= sl->locked_until &&
		    now - sl->last_failure >= WEB_LOGIN_FORGET_S) {
			sl->failures = 0;
			sl->locked_until = 0;
		}
		if (sl->locked_until > now) {
			wait = sl->locked_until - now;
			goto deny;
		}
		if (sl->busy) {
			wait = 1;
			goto deny;
		}
	}
	if (ws->inflight >= WEB_LOGIN_INFLIGHT_MAX) {
		wait = 1;
		goto deny;
	}
	for (i = 0; i < ws->gfail_n; i++) {
		t = ws->gfail[i];
		if (now - t < WEB_LOGIN_GLOBAL_WINDOW_S) {
			recent++;
			if (wait == 0 || t + WEB_LOGIN_GLOBAL_WINDOW_S - now <
			    wait)
				wait = t + WEB_LOGIN_GLOBAL_WINDOW_S - now;
		}
	}
	if (recent + ws->inflight >= WEB_LOGIN_GLOBAL_FAILURES)
		goto deny;
	wait = 0;
	if (sl == NULL && (sl = web_login_add(ws, key, now)) == NULL) {
		wait = 1;
		goto deny;
	}
	sl->busy = true;
	sl->busy_since = now;
	sl->last_seen = now;
	ws->inflight++;
	pthread_mutex_unlock(&ws->mu);
	return true;
deny:
	pthread_mutex_unlock(&ws->mu);
	if (retry_after_s != NULL)
		*retry_after_s = wait < 1 ? 1 : wait > UINT_MAX ? UINT_MAX :
		    (unsigned)wait;
	return false;
}

void
web_login_result(struct web_sessions *ws, const char *client_addr, bool ok,
    int64_t now)
{
	char key[WEB_LOGIN_ADDR_MAX];
	struct web_login_slot *sl;

	web_login_key(client_addr, key);
	pthread_mutex_lock(&ws->mu);
	web_login_sweep(ws, now);
	sl = web_login_find(ws, key);
	if (sl != NULL && sl->busy) {
		sl->busy = false;
		ws->inflight--;
	}
	if (ok) {
		if (sl != NULL) {
			sl->failures = 0;
			sl->locked_until = 0;
			sl->last_seen = now;
		}
	} else {
		if (sl == NULL)
			sl = web_login_add(ws, key, now);
		web_login_fail(ws, sl, now);
	}
	pthread_mutex_unlock(&ws->mu);
}
