/*
 * The web console's authentication (src/web/web_auth.h): the password file
 * (hash, atomic write, verify, refusals by mode, owner, type and content),
 * the password rules, sessions (create, get, idle and absolute expiry,
 * eviction, end), CSRF tokens, the pre-login token (valid, expired,
 * forged) and the login limiter, all on a clock the test drives. Each
 * password case works in its own temporary directory. Single thread; the
 * owner case needs root and is skipped otherwise.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "err.h"
#include "web_auth.h"

#define PW_RIGHT "correct horse battery staple"
#define PW_OTHER "Tr0ub4dor&3 is not it"

/* One hash for every verify case: each costs ~0.4 s. */
static char test_hash[crypto_pwhash_STRBYTES];

struct tdir {
	char dir[64];
	char path[128];
};

static void
tdir_make(struct tdir *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/test_web_auth.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/web.passwd", t->dir);
}

static void
tdir_remove(struct tdir *t)
{
	char cmd[256];

	/* Only files this test made; no shell involved. */
	(void)unlink(t->path);
	snprintf(cmd, sizeof(cmd), "%s/link", t->dir);
	(void)unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/sub", t->dir);
	(void)rmdir(cmd);
	assert_int_equal(rmdir(t->dir), 0);
}

/* Entries of `dir` other than "." and "..". */
static int
count_entries(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

static int
group_setup(void **st)
{
	(void)st;
	if (sodium_init() < 0)
		return -1;
	return web_passwd_hash(PW_RIGHT, strlen(PW_RIGHT), test_hash);
}

static void
write_text(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* ---- password file ----------------------------------------------------- */

static void
test_passwd_hash_verify(void **st)
{
	struct tdir t;
	struct stat sb;
	char why[512];
	mode_t old;

	(void)st;
	tdir_make(&t);
	assert_int_equal(strncmp(test_hash, "$argon2id$", 10), 0);
	/* 0600 whatever the umask. */
	old = umask(0277);
	assert_int_equal(web_passwd_write(t.path, test_hash, why,
	    sizeof(why)), 0);
	umask(old);
	assert_int_equal(stat(t.path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(web_passwd_verify(t.path, PW_RIGHT, strlen(PW_RIGHT),
	    why, sizeof(why)), 0);
	assert_int_equal(web_passwd_verify(t.path, PW_OTHER, strlen(PW_OTHER),
	    why, sizeof(why)), -EACCES);
	assert_string_equal(why, "wrong password");
	/* A prefix of the right password is wrong: the length counts. */
	assert_int_equal(web_passwd_verify(t.path, PW_RIGHT,
	    strlen(PW_RIGHT) - 1, why, sizeof(why)), -EACCES);
	tdir_remove(&t);
}

static void
test_passwd_replace(void **st)
{
	char hash2[crypto_pwhash_STRBYTES], why[512];
	struct tdir t;

	(void)st;
	tdir_make(&t);
	assert_int_equal(web_passwd_write(t.path, test_hash, why,
	    sizeof(why)), 0);
	assert_int_equal(web_passwd_hash(PW_OTHER, strlen(PW_OTHER), hash2),
	    0);
	/* Salted: the same scheme, another string. */
	assert_string_not_equal(hash2, test_hash);
	assert_int_equal(web_passwd_write(t.path, hash2, why, sizeof(why)),
	    0);
	assert_int_equal(web_passwd_verify(t.path, PW_OTHER, strlen(PW_OTHER),
	    why, sizeof(why)), 0);
	assert_int_equal(web_passwd_verify(t.path, PW_RIGHT, strlen(PW_RIGHT),
	    why, sizeof(why)), -EACCES);
	/* No temporary file left beside it. */
	assert_int_equal(count_entries(t.dir), 1);
	tdir_remove(&t);
}

static void
test_passwd_write_bad(void **st)
{
	struct tdir t;
	char why[512];

	(void)st;
	tdir_make(&t);
	assert_int_equal(web_passwd_write(t.path, "plain text", why,
	    sizeof(why)), -EINVAL);
	assert_int_equal(web_passwd_write(t.path, "$argon2id$x\ny", why,
	    sizeof(why)), -EINVAL);
	assert_int_equal(access(t.path, F_OK), -1);
	snprintf(t.path, sizeof(t.path), "%s/no/such/dir", t.dir);
	assert_int_equal(web_passwd_write(t.path, test_hash, why,
	    sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "cannot create"));
	snprintf(t.path, sizeof(t.path), "%s/web.passwd", t.dir);
	tdir_remove(&t);
}

static void
test_passwd_refused(void **st)
{
	struct tdir t;
	char why[512], other[160], line[2 * crypto_pwhash_STRBYTES];

	(void)st;
	tdir_make(&t);
	/* No file. */
	assert_int_equal(web_passwd_verify(t.path, PW_RIGHT, strlen(PW_RIGHT),
	    why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "no console password is set"));
	assert_non_null(strstr(why, "adsync web passwd"));
	/* Readable by the group or others. */
	snprintf(line, sizeof(line), "%s\n", test_hash);
	write_text(t.path, line, 0640);
	assert_int_equal(web_passwd_verify(t.path, PW_RIGHT, strlen(PW_RIGHT),
	    why, sizeof(why)), -EPERM);
	snprintf(other, sizeof(other), "chmod 600 %s", t.path);
	assert_non_null(strstr(why, other));
	assert_non_null(strstr(why, "0640"));
	assert_int_equal(chmod(t.path, 0604), 0);
	assert_int_equal(web_passwd_verify(t.path, PW_RIGHT, strlen(PW_RIGHT),
	    why, sizeof(why)), -EPERM);
	/* 0400 is fine, and the file may lack its newline. */
	assert_int_equal(chmod(t.path, 0400), 0);
	assert_int_equal(web_passwd_verify(t.path, PW_RIGHT, strlen(PW_RIGHT),
	    why, sizeof(why)), 0);
	(void)unlink(t.path);
	write_text(t.path, test_hash, 0600);
	assert_int_equal(web_passwd_verify(t.path, PW_RIGHT, strlen(PW_RIGHT),
	    why, sizeof(why)), 0);
	/* Not a hash: garbage, an argon2i hash, too long, empty. */
	write_text(t.path, "hunter2\n", 0600);
	assert_int_equal(web_passwd_verify(t.path, PW_RIGHT, strlen(PW_RIGHT),
	    why, sizeof(why)), -ADSYNC_EPARSE);
	assert_null(strstr(why, "hunter2"));
	write_text(t.path, "$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$"
	    "aGFzaGhhc2hoYXNoaGFzaA\n", 0600);
	assert_int_equal(web_passwd_verify(t.path, PW_RIGHT, strlen(PW_RIGHT),
	    why, sizeof(why)), -ADSYNC_EPARSE);
	snprintf(line, sizeof(line), "%s%s", test_hash,
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	write_text(t.path, line, 0600);
	assert_int_equal(web_passwd_verify(t.path, PW_RIGHT, strlen(PW_RIGHT),
	    why, sizeof(why)), -ADSYNC_EPARSE);
	write_text(t.path, "", 0600);
	assert_int_equal(web_passwd_verify(t.path, PW_RIGHT, strlen(PW_RIGHT),
	    why, sizeof(why)), -ADSYNC_EPARSE);
	/* A symbolic link, even to a good file. */
	snprintf(line, sizeof(line), "%s\n", test_hash);
	write_text(t.path, line, 0600);
	snprintf(other, sizeof(other), "%s/link", t.dir);
	assert_int_equal(symlink(t.path, other), 0);
	assert_int_equal(web_passwd_verify(other, PW_RIGHT, strlen(PW_RIGHT),
	    why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "symbolic link"));
	/* A directory. */
	snprintf(other, sizeof(other), "%s/sub", t.dir);
	assert_int_equal(mkdir(other, 0700), 0);
	assert_int_equal(web_passwd_verify(other, PW_RIGHT, strlen(PW_RIGHT),
	    why, sizeof(why)), -EPERM);
	tdir_remove(&t);
}

static void
test_passwd_owner(void **st)
{
	struct tdir t;
	char why[512];

	(void)st;
	if (geteuid() != 0) {
		skip();
		return;
	}
	tdir_make(&t);
	assert_int_equal(web_passwd_write(t.path, test_hash, why,
	    sizeof(why)), 0);
	assert_int_equal(chown(t.path, 65534, 65534), 0);
	assert_int_equal(web_passwd_verify(t.path, PW_RIGHT, strlen(PW_RIGHT),
	    why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "owned by uid 65534"));
	tdir_remove(&t);
}

static void
test_passwd_check(void **st)
{
	char why[256], big[WEB_PASSWD_MAX_BYTES + 2];

	(void)st;
	assert_int_equal(web_passwd_check("abcdefghij", 10, why, sizeof(why)),
	    0);
	assert_int_equal(web_passwd_check("abcdefghi", 9, why, sizeof(why)),
	    -ADSYNC_EPARSE);
	assert_non_null(strstr(why, "shorter than 10 characters"));
	/* Characters, not bytes: nine é are 18 bytes but too short. */
	assert_int_equal(web_passwd_check("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 18, why, sizeof(why)),
	    -ADSYNC_EPARSE);
	assert_int_equal(web_passwd_check("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 20, why,
	    sizeof(why)), 0);
	assert_int_equal(web_passwd_check("abcdefghij\x01", 11, why,
	    sizeof(why)), -ADSYNC_EPARSE);
	assert_int_equal(web_passwd_check("abcdefghij\t", 11, why,
	    sizeof(why)), -ADSYNC_EPARSE);
	assert_int_equal(web_passwd_check("abcdefghij\xff", 11, why,
	    sizeof(why)), -ADSYNC_EPARSE);
	memset(big, 'x', sizeof(big));
	assert_int_equal(web_passwd_check(big, WEB_PASSWD_MAX_BYTES, why,
	    sizeof(why)), 0);
	assert_int_equal(web_passwd_check(big, WEB_PASSWD_MAX_BYTES + 1, why,
	    sizeof(why)), -ADSYNC_ETOOBIG);
	assert_non_null(strstr(why, "longer than 1024 bytes"));
	assert_null(strstr(why, "xxx"));
}

static void
test_passwd_path(void **st)
{
	char out[64], longdir[128];

	(void)st;
	assert_int_equal(web_passwd_path("", "/var/lib/adsync", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "/var/lib/adsync/web.passwd");
	assert_int_equal(web_passwd_path(NULL, "/s", out, sizeof(out)), 0);
	assert_string_equal(out, "/s/web.passwd");
	assert_int_equal(web_passwd_path("/etc/adsync/web.pw", "/s", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "/etc/adsync/web.pw");
	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[sizeof(longdir) - 1] = '\0';
	assert_int_equal(web_passwd_path("", longdir, out, sizeof(out)),
	    -ENAMETOOLONG);
}

/* ---- sessions ---------------------------------------------------------- */

static bool
token_shaped(const char *s)
{
	size_t i;

	if (strlen(s) != WEB_TOKEN_LEN)
		return false;
	for (i = 0; i < WEB_TOKEN_LEN; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789-_", s[i]) == NULL)
			return false;
	return true;
}

static void
test_session_basic(void **st)
{
	char id[WEB_TOKEN_LEN + 1], csrf[WEB_TOKEN_LEN + 1];
	char id2[WEB_TOKEN_LEN + 1], csrf2[WEB_TOKEN_LEN + 1];
	char got[WEB_TOKEN_LEN + 1], bad[WEB_TOKEN_LEN + 1];
	struct web_sessions *ws = web_sessions_new();

	(void)st;
	assert_non_null(ws);
	assert_int_equal(web_session_create(ws, 1000, id, csrf), 0);
	assert_int_equal(web_session_create(ws, 1000, id2, csrf2), 0);
	assert_true(token_shaped(id));
	assert_true(token_shaped(csrf));
	assert_string_not_equal(id, id2);
	assert_string_not_equal(id, csrf);
	assert_true(web_session_get(ws, id, 1001, got));
	assert_string_equal(got, csrf);
	assert_true(web_session_get(ws, id2, 1001, NULL));
	/* Not sessions. */
	assert_false(web_session_get(ws, NULL, 1001, got));
	assert_false(web_session_get(ws, "", 1001, got));
	assert_false(web_session_get(ws, csrf, 1001, got));
	memcpy(bad, id, sizeof(bad));
	bad[5] = bad[5] == 'A' ? 'B' : 'A';
	assert_false(web_session_get(ws, bad, 1001, got));
	bad[WEB_TOKEN_LEN - 1] = '\0';
	assert_false(web_session_get(ws, bad, 1001, got));
	/* CSRF: right, wrong, the other session's, missing. */
	assert_true(web_session_csrf_ok(ws, id, csrf, 1002));
	assert_false(web_session_csrf_ok(ws, id, csrf2, 1002));
	assert_false(web_session_csrf_ok(ws, id2, csrf, 1002));
	assert_false(web_session_csrf_ok(ws, id, NULL, 1002));
	assert_false(web_session_csrf_ok(ws, id, "", 1002));
	assert_false(web_session_csrf_ok(ws, NULL, csrf, 1002));
	memcpy(bad, csrf, sizeof(bad));
	bad[WEB_TOKEN_LEN - 1] = bad[WEB_TOKEN_LEN - 1] == 'x' ? 'y' : 'x';
	assert_false(web_session_csrf_ok(ws, id, bad, 1002));
	/* Logout. */
	web_session_end(ws, id);
	assert_false(web_session_get(ws, id, 1003, got));
	assert_false(web_session_csrf_ok(ws, id, csrf, 1003));
	assert_true(web_session_get(ws, id2, 1003, got));
	web_session_end(ws, id);
	web_session_end(ws, NULL);
	web_session_end(ws, "nonsense");
	web_sessions_free(ws);
	web_sessions_free(NULL);
}

static void
test_session_idle(void **st)
{
	char id[WEB_TOKEN_LEN + 1], csrf[WEB_TOKEN_LEN + 1];
	struct web_sessions *ws = web_sessions_new();
	int64_t t = 5000;

	(void)st;
	assert_int_equal(web_session_create(ws, t, id, csrf), 0);
	/* Exactly the idle timeout is still fine, and refreshes it. */
	t += WEB_SESSION_IDLE_S;
	assert_true(web_session_get(ws, id, t, NULL));
	t += WEB_SESSION_IDLE_S;
	assert_true(web_session_csrf_ok(ws, id, csrf, t));	/* refreshes */
	t += WEB_SESSION_IDLE_S + 1;
	assert_false(web_session_get(ws, id, t, NULL));
	/* It was dropped: not back even at a time it would have been
	 * valid. */
	assert_false(web_session_get(ws, id, t - 10, NULL));
	/* A wrong CSRF token does not refresh. */
	assert_int_equal(web_session_create(ws, t, id, csrf), 0);
	assert_false(web_session_csrf_ok(ws, id, "x", t + 1000));
	assert_false(web_session_get(ws, id, t + WEB_SESSION_IDLE_S + 1,
	    NULL));
	web_sessions_free(ws);
}

static void
test_session_absolute(void **st)
{
	char id[WEB_TOKEN_LEN + 1], csrf[WEB_TOKEN_LEN + 1];
	struct web_sessions *ws = web_sessions_new();
	int64_t t;

	(void)st;
	assert_int_equal(web_session_create(ws, 0, id, csrf), 0);
	/* Used every 20 minutes, it still ends after 12 hours. */
	for (t = 1200; t <= WEB_SESSION_MAX_S; t += 1200)
		assert_true(web_session_get(ws, id, t, NULL));
	assert_false(web_session_get(ws, id, WEB_SESSION_MAX_S + 1, NULL));
	web_sessions_free(ws);
}

static void
test_session_evict(void **st)
{
	char ids[WEB_SESSIONS_MAX + 1][WEB_TOKEN_LEN + 1];
	char csrf[WEB_TOKEN_LEN + 1];
	struct web_sessions *ws = web_sessions_new();
	int i;

	(void)st;
	for (i = 0; i < WEB_SESSIONS_MAX; i++)
		assert_int_equal(web_session_create(ws, 100 + i, ids[i], csrf),
		    0);
	/* Session 0 is used again: session 1 is now the least recent. */
	assert_true(web_session_get(ws, ids[0], 200, NULL));
	assert_int_equal(web_session_create(ws, 201, ids[WEB_SESSIONS_MAX],
	    csrf), 0);
	assert_false(web_session_get(ws, ids[1], 202, NULL));
	assert_true(web_session_get(ws, ids[0], 202, NULL));
	for (i = 2; i <= WEB_SESSIONS_MAX; i++)
		assert_true(web_session_get(ws, ids[i], 202, NULL));
	web_sessions_free(ws);

	/* Expired sessions go before a live one is evicted. */
	ws = web_sessions_new();
	for (i = 0; i < WEB_SESSIONS_MAX - 1; i++)
		assert_int_equal(web_session_create(ws, 0, ids[i], csrf), 0);
	assert_int_equal(web_session_create(ws, 1000, ids[WEB_SESSIONS_MAX -
	    1], csrf), 0);
	assert_int_equal(web_session_create(ws, WEB_SESSION_IDLE_S + 1,
	    ids[WEB_SESSIONS_MAX], csrf), 0);
	assert_int_equal(web_session_create(ws, WEB_SESSION_IDLE_S + 2,
	    ids[0], csrf), 0);
	assert_true(web_session_get(ws, ids[WEB_SESSIONS_MAX - 1],
	    WEB_SESSION_IDLE_S + 3, NULL));
	assert_true(web_session_get(ws, ids[WEB_SESSIONS_MAX],
	    WEB_SESSION_IDLE_S + 3, NULL));
	assert_true(web_session_get(ws, ids[0], WEB_SESSION_IDLE_S + 3,
	    NULL));
	web_sessions_free(ws);
}

/* ---- the pre-login token ----------------------------------------------- */

static void
test_prelogin(void **st)
{
	char tok[WEB_PRELOGIN_LEN + 1], bad[WEB_PRELOGIN_LEN + 1];
	unsigned char raw[64];
	size_t rawlen;
	struct web_sessions *ws = web_sessions_new(), *ws2 = web_sessions_new();

	(void)st;
	web_prelogin_token(ws, 10000, tok);
	assert_int_equal(strlen(tok), WEB_PRELOGIN_LEN);
	assert_true(web_prelogin_ok(ws, tok, 10000));
	assert_true(web_prelogin_ok(ws, tok, 10000 + WEB_PRELOGIN_MAX_S));
	/* Expired; from the future. */
	assert_false(web_prelogin_ok(ws, tok, 10001 + WEB_PRELOGIN_MAX_S));
	assert_false(web_prelogin_ok(ws, tok, 9999));
	/* Another process's key (another table). */
	assert_false(web_prelogin_ok(ws2, tok, 10000));
	/* Forged: any changed character, the time moved with the tag kept,
	 * truncated, padded, nothing. */
	memcpy(bad, tok, sizeof(bad));
	bad[WEB_PRELOGIN_LEN - 3] = bad[WEB_PRELOGIN_LEN - 3] == 'A' ? 'B' :
	    'A';
	assert_false(web_prelogin_ok(ws, bad, 10000));
	assert_int_equal(sodium_base642bin(raw, sizeof(raw), tok,
	    WEB_PRELOGIN_LEN, NULL, &rawlen, NULL,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
	assert_int_equal(rawlen, 40);
	raw[7] ^= 1;
	sodium_bin2base64(bad, sizeof(bad), raw, rawlen,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	assert_false(web_prelogin_ok(ws, bad, 10001));
	memcpy(bad, tok, sizeof(bad));
	bad[WEB_PRELOGIN_LEN - 1] = '\0';
	assert_false(web_prelogin_ok(ws, bad, 10000));
	assert_false(web_prelogin_ok(ws, NULL, 10000));
	assert_false(web_prelogin_ok(ws, "", 10000));
	assert_false(web_prelogin_ok(ws, "======================================"
	    "================", 10000));
	web_sessions_free(ws);
	web_sessions_free(ws2);
}

/* ---- the login limiter ------------------------------------------------- */

#define A1 "127.0.0.1"
#define A2 "::1"

/* One admitted, failed attempt of `addr` at `now`. */
static void
fail_once(struct web_sessions *ws, const char *addr, int64_t now)
{
	unsigned retry = 0;

	assert_true(web_login_allowed(ws, addr, now, &retry));
	web_login_result(ws, addr, false, now);
}

static void
test_login_backoff(void **st)
{
	struct web_sessions *ws = web_sessions_new();
	unsigned retry = 0, k, lock;
	int64_t t = 100000;
	int i;

	(void)st;
	for (i = 0; i < WEB_LOGIN_FREE_FAILURES; i++)
		fail_once(ws, A1, t);
	/* Five free failures; the sixth locks for 2 s, then 4, 8, ... */
	for (k = 1; k <= 11; k++) {
		fail_once(ws, A1, t);
		lock = k >= 9 ? WEB_LOGIN_LOCK_MAX_S : 1u << k;
		if (lock > WEB_LOGIN_LOCK_MAX_S)
			lock = WEB_LOGIN_LOCK_MAX_S;
		assert_false(web_login_allowed(ws, A1, t, &retry));
		assert_int_equal(retry, lock);
		assert_false(web_login_allowed(ws, A1, t + lock - 1, &retry));
		assert_int_equal(retry, 1);
		/* Another address is not locked. */
		assert_true(web_login_allowed(ws, A2, t + 1, &retry));
		web_login_result(ws, A2, true, t + 1);
		t += lock;
	}
	/* A success clears it all: five free failures again. */
	assert_true(web_login_allowed(ws, A1, t, &retry));
	web_login_result(ws, A1, true, t);
	t += 1;
	for (i = 0; i < WEB_LOGIN_FREE_FAILURES; i++)
		fail_once(ws, A1, t);
	assert_true(web_login_allowed(ws, A1, t, &retry));
	web_login_result(ws, A1, false, t);
	assert_false(web_login_allowed(ws, A1, t + 1, &retry));
	assert_int_equal(retry, 1);
	/* An hour without failures forgets them. */
	t += WEB_LOGIN_FORGET_S;
	fail_once(ws, A1, t);
	assert_true(web_login_allowed(ws, A1, t, &retry));
	web_login_result(ws, A1, true, t);
	web_sessions_free(ws);
}

static void
test_login_inflight(void **st)
{
	struct web_sessions *ws = web_sessions_new();
	unsigned retry = 0;
	int64_t t = 500;

	(void)st;
	assert_true(web_login_allowed(ws, A1, t, &retry));
	/* One attempt is checked at a time (Argon2's memory). */
	assert_false(web_login_allowed(ws, A1, t, &retry));
	assert_int_equal(retry, 1);
	assert_false(web_login_allowed(ws, A2, t, &retry));
	web_login_result(ws, A1, true, t);
	assert_true(web_login_allowed(ws, A2, t, &retry));
	/* Never reported: after a minute it is taken as failed. */
	assert_false(web_login_allowed(ws, A1, t + WEB_LOGIN_INFLIGHT_S - 1,
	    &retry));
	assert_true(web_login_allowed(ws, A1, t + WEB_LOGIN_INFLIGHT_S,
	    &retry));
	web_login_result(ws, A1, true, t + WEB_LOGIN_INFLIGHT_S);
	/* A2's abandoned attempt counted as its first failure: four more
	 * are free, the fifth locks. */
	t += WEB_LOGIN_INFLIGHT_S;
	fail_once(ws, A2, t);
	fail_once(ws, A2, t);
	fail_once(ws, A2, t);
	fail_once(ws, A2, t);
	fail_once(ws, A2, t);
	assert_false(web_login_allowed(ws, A2, t, &retry));
	assert_int_equal(retry, 2);
	/* NULL and over-long addresses are fine keys. */
	assert_true(web_login_allowed(ws, NULL, t, &retry));
	web_login_result(ws, NULL, false, t);
	assert_true(web_login_allowed(ws, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", t,
	    &retry));
	web_login_result(ws, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true, t);
	web_sessions_free(ws);
}

static void
test_login_global(void **st)
{
	struct web_sessions *ws = web_sessions_new();
	char addr[32];
	unsigned retry = 0;
	int64_t t = 7000;
	int i;

	(void)st;
	/* 20 failures of 20 addresses within a minute... */
	for (i = 0; i < WEB_LOGIN_GLOBAL_FAILURES; i++) {
		snprintf(addr, sizeof(addr), "10.0.0.%d", i);
		fail_once(ws, addr, t + i);
	}
	/* ...stop every address, including one never seen, until the
	 * oldest leaves the window. */
	assert_false(web_login_allowed(ws, "10.9.9.9", t + 30, &retry));
	assert_int_equal(retry, WEB_LOGIN_GLOBAL_WINDOW_S - 30);
	assert_false(web_login_allowed(ws, A1, t + 59, &retry));
	assert_int_equal(retry, 1);
	assert_true(web_login_allowed(ws, A1, t + 60, &retry));
	/* One attempt is checked at a time. */
	assert_false(web_login_allowed(ws, A2, t + 60, &retry));
	web_login_result(ws, A1, true, t + 60);
	assert_true(web_login_allowed(ws, A2, t + 61, &retry));
	web_login_result(ws, A2, true, t + 61);
	web_sessions_free(ws);
}

static void
test_login_table(void **st)
{
	struct web_sessions *ws;
	char addr[32];
	unsigned retry = 0;
	int64_t t;
	int i, round;

	(void)st;
	/*
	 * A1 has five failures; then other addresses fail, one every 4 s
	 * (under the global budget). With 10 of them A1 is remembered and
	 * its next failure locks it; with WEB_LOGIN_ADDRS_MAX of them A1 was
	 * the least recently seen and is forgotten.
	 */
	for (round = 0; round < 2; round++) {
		int others = round == 0 ? 10 : WEB_LOGIN_ADDRS_MAX;

		ws = web_sessions_new();
		t = 1;
		for (i = 0; i < WEB_LOGIN_FREE_FAILURES; i++)
			fail_once(ws, A1, t);
		for (i = 0; i < others; i++) {
			t += 4;
			snprintf(addr, sizeof(addr), "10.1.%d.%d", i / 256,
			    i % 256);
			fail_once(ws, addr, t);
		}
		t += 4;
		fail_once(ws, A1, t);
		assert_int_equal(web_login_allowed(ws, A1, t, &retry),
		    round == 1);
		if (round == 1)
			web_login_result(ws, A1, true, t);
		web_sessions_free(ws);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passwd_hash_verify),
		cmocka_unit_test(test_passwd_replace),
		cmocka_unit_test(test_passwd_write_bad),
		cmocka_unit_test(test_passwd_refused),
		cmocka_unit_test(test_passwd_owner),
		cmocka_unit_test(test_passwd_check),
		cmocka_unit_test(test_passwd_path),
		cmocka_unit_test(test_session_basic),
		cmocka_unit_test(test_session_idle),
		cmocka_unit_test(test_session_absolute),
		cmocka_unit_test(test_session_evict),
		cmocka_unit_test(test_prelogin),
		cmocka_unit_test(test_login_backoff),
		cmocka_unit_test(test_login_inflight),
		cmocka_unit_test(test_login_global),
		cmocka_unit_test(test_login_table),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
