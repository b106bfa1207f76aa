/*
 * Fuzz harness: what the web console's authentication takes from a
 * browser (web_auth.h): the session cookie and the CSRF token
 * (web_session_get, web_session_csrf_ok, web_session_end), the pre-login
 * token of the login form (web_prelogin_ok: base64url and an HMAC tag),
 * a new console password (web_passwd_check), and the client address that
 * the login limiter keys on (web_login_allowed, web_login_result).
 *
 * Input: byte 0 picks the part. Even: tokens. The rest, up to its first
 * NUL, is offered as a session id, as a CSRF token and as a pre-login
 * token against a table with one open session and one genuine pre-login
 * token; the rest as bytes is checked as a password. Odd: a run of login
 * attempts, records of [dt][flags][address up to "\n"]: the clock moves
 * dt seconds (bytes from 0xf0 on: (dt - 0xf0) x 600 s), the address
 * (NULL when flags bit 1 is set) asks web_login_allowed(), and an
 * admitted attempt is reported at once as a success (flags bit 0) or a
 * failure.
 *
 * Checked against a model kept by the harness: only the session's own id
 * opens it and only its own token passes the CSRF check; ending another id
 * leaves it open; only the genuine pre-login token passes (its last
 * character may differ in the bits base64 leaves unused); an accepted
 * password has 1024 bytes at most, no control character and at least
 * WEB_PASSWD_MIN_CHARS characters; a refusal gives a reason and a
 * Retry-After of at least 1 s. The limiter never admits an attempt when
 * WEB_LOGIN_GLOBAL_FAILURES failures happened in the last
 * WEB_LOGIN_GLOBAL_WINDOW_S seconds, nor an address still locked by its
 * failures (2^k s after the k-th beyond WEB_LOGIN_FREE_FAILURES, capped at
 * WEB_LOGIN_LOCK_MAX_S; checked while the run has at most
 * WEB_LOGIN_ADDRS_MAX addresses, so none was forgotten to make room).
 * Single thread; the input is capped at 8 KiB.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "web_auth.h"

#define FUZZ_AUTH_MAX (8 * 1024)
#define FUZZ_AUTH_NOW 1000000
#define FUZZ_AUTH_ADDRS (WEB_LOGIN_ADDRS_MAX + 1)
#define FUZZ_AUTH_FAILS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
	struct web_sessions *ws;
	char id[WEB_TOKEN_LEN + 1];
	char csrf[WEB_TOKEN_LEN + 1];
	char prelogin[WEB_PRELOGIN_LEN + 1];
} fuzz_auth;

static void
fuzz_auth_session(void)
{
	if (web_session_create(fuzz_auth.ws, FUZZ_AUTH_NOW, fuzz_auth.id,
	    fuzz_auth.csrf) != 0)
		abort();
}

static void
fuzz_auth_init(void)
{
	if (sodium_init() < 0 || (fuzz_auth.ws = web_sessions_new()) == NULL)
		abort();
	fuzz_auth_session();
	web_prelogin_token(fuzz_auth.ws, FUZZ_AUTH_NOW - 10,
	    fuzz_auth.prelogin);
	if (!web_prelogin_ok(fuzz_auth.ws, fuzz_auth.prelogin, FUZZ_AUTH_NOW) ||
	    !web_session_get(fuzz_auth.ws, fuzz_auth.id, FUZZ_AUTH_NOW, NULL))
		abort();
}

static void
fuzz_auth_password(const char *pw, size_t len)
{
	char why[256] = "";
	size_t i, chars = 0;

	if (web_passwd_check(pw, len, why, sizeof(why)) != 0) {
		if (why[0] == '\0')
			abort();
		return;
	}
	if (len > WEB_PASSWD_MAX_BYTES)
		abort();
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)pw[i];

		if (c < 0x20 || c == 0x7f)
			abort();
		if ((c & 0xc0) != 0x80)
			chars++;	/* a character's first byte */
	}
	if (chars < WEB_PASSWD_MIN_CHARS)
		abort();
}

static void
fuzz_auth_tokens(const char *bytes, size_t len)
{
	char *s, csrf[WEB_TOKEN_LEN + 1];
	bool is_id, is_csrf;

	if ((s = strndup(bytes, len)) == NULL)
		abort();
	is_id = strcmp(s, fuzz_auth.id) == 0;
	is_csrf = strcmp(s, fuzz_auth.csrf) == 0;
	memset(csrf, 'x', sizeof(csrf));
	if (web_session_get(fuzz_auth.ws, s, FUZZ_AUTH_NOW, csrf) != is_id ||
	    (is_id && strcmp(csrf, fuzz_auth.csrf) != 0))
		abort();
	if (web_session_csrf_ok(fuzz_auth.ws, fuzz_auth.id, s,
	    FUZZ_AUTH_NOW) != is_csrf)
		abort();
	if (web_session_csrf_ok(fuzz_auth.ws, s, fuzz_auth.csrf,
	    FUZZ_AUTH_NOW) != is_id)
		abort();
	if (web_prelogin_ok(fuzz_auth.ws, s, FUZZ_AUTH_NOW) &&
	    (strlen(s) != WEB_PRELOGIN_LEN ||
	    strncmp(s, fuzz_auth.prelogin, WEB_PRELOGIN_LEN - 1) != 0))
		abort();
	web_session_end(fuzz_auth.ws, s);
	if (web_session_get(fuzz_auth.ws, fuzz_auth.id, FUZZ_AUTH_NOW, NULL) ==
	    is_id)
		abort();
	if (is_id)
		fuzz_auth_session();
	free(s);
}

/* The harness's model of one address in the limiter. */
struct fuzz_auth_addr {
	char key[WEB_LOGIN_ADDR_MAX];
	unsigned failures;	/* in a row */
	int64_t last_failure;
};

static void
fuzz_auth_logins(const uint8_t *p, size_t len)
{
	static struct fuzz_auth_addr addrs[FUZZ_AUTH_ADDRS];
	static int64_t fails[FUZZ_AUTH_FAILS];
	const uint8_t *end = p + len, *nl;
	struct web_sessions *ws;
	struct fuzz_auth_addr *a;
	size_t naddrs = 0, nfails = 0, i;
	int64_t now = FUZZ_AUTH_NOW, lock;
	char key[WEB_LOGIN_ADDR_MAX], *addr;
	unsigned retry;
	bool ok, allowed;

	if ((ws = web_sessions_new()) == NULL)
		abort();
	while (end - p >= 2 && nfails < FUZZ_AUTH_FAILS) {
		now += p[0] >= 0xf0 ? (int64_t)(p[0] - 0xf0) * 600 : p[0];
		ok = (p[1] & 1) != 0;
		nl = memchr(p + 2, '\n', (size_t)(end - p - 2));
		if (nl == NULL)
			nl = end;
		if ((p[1] & 2) != 0)
			addr = NULL;
		else if ((addr = strndup((const char *)p + 2,
		    (size_t)(nl - p - 2))) == NULL)
			abort();
		p = nl < end ? nl + 1 : end;
		snprintf(key, sizeof(key), "%s", addr != NULL ? addr : "");

		for (a = NULL, i = 0; i < naddrs; i++)
			if (strcmp(addrs[i].key, key) == 0)
				a = &addrs[i];
		if (a == NULL && naddrs < FUZZ_AUTH_ADDRS) {
			a = &addrs[naddrs++];
			memset(a, 0, sizeof(*a));
			memcpy(a->key, key, sizeof(key));
		}
		if (a != NULL && a->failures > 0 &&
		    now - a->last_failure >= WEB_LOGIN_FORGET_S)
			a->failures = 0;

		retry = 0;
		allowed = web_login_allowed(ws, addr, now, &retry);
		if (!allowed) {
			if (retry < 1)
				abort();
			free(addr);
			continue;
		}
		/* The failures are in time order: there were
		 * WEB_LOGIN_GLOBAL_FAILURES in the window if the one that
		 * many back is in it. */
		if (nfails >= WEB_LOGIN_GLOBAL_FAILURES &&
		    now - fails[nfails - WEB_LOGIN_GLOBAL_FAILURES] <
		    WEB_LOGIN_GLOBAL_WINDOW_S) {
			fprintf(stderr, "admitted after %d failures in %d s\n",
			    WEB_LOGIN_GLOBAL_FAILURES,
			    WEB_LOGIN_GLOBAL_WINDOW_S);
			abort();
		}
		if (a != NULL && naddrs <= WEB_LOGIN_ADDRS_MAX &&
		    a->failures > WEB_LOGIN_FREE_FAILURES) {
			unsigned k = a->failures - WEB_LOGIN_FREE_FAILURES;

			lock = k >= 9 ? WEB_LOGIN_LOCK_MAX_S :
			    (int64_t)1 << k;
			if (lock > WEB_LOGIN_LOCK_MAX_S)
				lock = WEB_LOGIN_LOCK_MAX_S;
			if (now < a->last_failure + lock) {
				fprintf(stderr, "address admitted %lld s after "
				    "failure %u, locked for %lld s\n",
				    (long long)(now - a->last_failure),
				    a->failures, (long long)lock);
				abort();
			}
		}
		web_login_result(ws, addr, ok, now);
		if (ok) {
			if (a != NULL)
				a->failures = 0;
		} else {
			fails[nfails++] = now;
			if (a != NULL) {
				a->failures++;
				a->last_failure = now;
			}
		}
		free(addr);
	}
	web_sessions_free(ws);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1;
	const char *nul;

	if (size < 1 || size > FUZZ_AUTH_MAX)
		return 0;
	if (fuzz_auth.ws == NULL)
		fuzz_auth_init();
	if ((data[0] & 1) == 0) {
		nul = memchr(s, '\0', size - 1);
		fuzz_auth_tokens(s, nul != NULL ? (size_t)(nul - s) : size - 1);
		fuzz_auth_password(s, size - 1);
	} else {
		fuzz_auth_logins(data + 1, size - 1);
	}
	return 0;
}
