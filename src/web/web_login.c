/*
 * Logging in and out. The password is the one `adsync web passwd` set
 * (an Argon2id hash in web_password_file, read on every attempt); the
 * attempt is admitted by the limiter first (per address and overall), so
 * guessing is slow and the hash's memory is spent once at a time. A good
 * password opens a new session: cookie HttpOnly, SameSite=Strict, Secure
 * over TLS. Failures are logged with the client's address, never with
 * what was typed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "web_internal.h"

void
web_view_login(struct web_req *r, struct web_page *p)
{
	char token[WEB_PRELOGIN_LEN + 1];

	if (r->logged_in) {
		wp_redirect(p, "/", NULL);
		return;
	}
	web_prelogin_token(r->w->sessions, (int64_t)time(NULL), token);
	wp_begin(p, r, "Log in", NULL);
	if (access(r->w->passwd_path, F_OK) != 0) {
		wp_note(p, "info", "No console password is set yet. On this "
		    "host, run: adsync web passwd");
	}
	wp_raw(p, "<form method=\"post\" action=\"/login\" id=\"login-form\">"
	    "<input type=\"hidden\" name=\"csrf\" value=\"");
	wp_text(p, token);
	wp_raw(p, "\"><label for=\"password\">Console password</label>"
	    "<input type=\"password\" id=\"password\" name=\"password\" "
	    "autocomplete=\"current-password\" required autofocus>"
	    "<p><button type=\"submit\" id=\"login\">Log in</button></p>"
	    "</form>");
	wp_end(p);
}

void
web_post_login(struct web_req *r, struct web_page *p)
{
	const char *pw = web_field(r, "password");
	int64_t now = (int64_t)time(NULL);
	char why[512], sid[WEB_TOKEN_LEN + 1];
	unsigned wait = 0;
	int rc;

	if (!web_prelogin_ok(r->w->sessions, web_field(r, "csrf"), now)) {
		wp_error_page(p, r, 403, "Form expired", "The login form is "
		    "too old or did not come from the console; reload it "
		    "and try again.");
		return;
	}
	if (!web_login_allowed(r->w->sessions, r->client, now, &wait)) {
		p->retry_after = (int)wait;
		log_info("console: login from %s refused: too many failed "
		    "attempts (retry in %u s)", r->client, wait);
		snprintf(why, sizeof(why), "Too many failed attempts: wait "
		    "%u seconds and try again.", wait);
		wp_error_page(p, r, 429, "Log in", why);
		return;
	}
	rc = web_passwd_verify(r->w->passwd_path, pw != NULL ? pw : "",
	    pw != NULL ? strlen(pw) : 0, why, sizeof(why));
	web_login_result(r->w->sessions, r->client, rc == 0, now);
	if (rc != 0) {
		log_info("console: failed login from %s%s%s", r->client,
		    rc == -EACCES ? "" : ": ", rc == -EACCES ? "" : why);
		p->status = 401;
		wp_begin(p, r, "Log in", NULL);
		wp_note(p, "error", rc == -EACCES ? "Wrong password." :
		    rc == -ENOENT ? "No console password is set yet. On this "
		    "host, run: adsync web passwd" : "The console password "
		    "cannot be checked; see the daemon's log.");
		wp_raw(p, "<p><a href=\"/login\" id=\"again\">Try again</a>"
		    "</p>");
		wp_end(p);
		return;
	}
	(void)web_session_create(r->w->sessions, now, sid, r->csrf);
	snprintf(r->set_cookie, sizeof(r->set_cookie), "%s=%s; Path=/; "
	    "HttpOnly; SameSite=Strict%s", WEB_COOKIE, sid,
	    r->w->tls ? "; Secure" : "");
	log_info("console: login from %s", r->client);
	wp_redirect(p, "/", NULL);
}

void
web_post_logout(struct web_req *r, struct web_page *p)
{
	web_session_end(r->w->sessions, r->sid);
	snprintf(r->set_cookie, sizeof(r->set_cookie), "%s=; Path=/; "
	    "HttpOnly; SameSite=Strict; Max-Age=0%s", WEB_COOKIE,
	    r->w->tls ? "; Secure" : "");
	wp_redirect(p, "/login", "Logged out.");
}
