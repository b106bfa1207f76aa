/*
 * The page builder: a bounded buffer with sticky errors, HTML escaping of
 * everything that comes from outside, and the layout every page shares
 * (head, navigation, footer). Server-rendered, no external resource: the
 * stylesheet and the script come from web_static.c under the strict CSP
 * web_server.c sends. One connection thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "web_internal.h"

void
wp_init(struct web_page *p)
{
	memset(p, 0, sizeof(*p));
	buf_init(&p->b, WEB_PAGE_MAX);
	p->status = 200;
	p->ctype = "text/html; charset=utf-8";
}

void
wp_fini(struct web_page *p)
{
	buf_fini(&p->b);
}

void
wp_raw(struct web_page *p, const char *s)
{
	if (!p->failed && buf_addstr(&p->b, s) < 0)
		p->failed = true;
}

void
wp_fmt(struct web_page *p, const char *fmt, ...)
{
	char tmp[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		p->failed = true;
	else
		wp_raw(p, tmp);
}

void
wp_text(struct web_page *p, const char *s)
{
	if (!p->failed && web_html_escape(&p->b, s != NULL ? s : "") < 0)
		p->failed = true;
}

void
wp_url(struct web_page *p, const char *s)
{
	if (!p->failed && web_url_encode(&p->b, s != NULL ? s : "") < 0)
		p->failed = true;
}

void
wp_time(struct web_page *p, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[64];

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL) {
		wp_raw(p, "-");
		return;
	}
	strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S UTC", &tm);
	wp_fmt(p, "<time datetime=\"%lld\">%s</time>", (long long)t, s);
}

void
wp_duration(struct web_page *p, int64_t secs)
{
	if (secs < 0)
		wp_raw(p, "-");
	else if (secs < 60)
		wp_fmt(p, "%lld s", (long long)secs);
	else if (secs < 3600)
		wp_fmt(p, "%lld min %02lld s", (long long)(secs / 60),
		    (long long)(secs % 60));
	else
		wp_fmt(p, "%lld h %02lld min", (long long)(secs / 3600),
		    (long long)(secs % 3600 / 60));
}

static const struct {
	const char *id, *href, *label;
} wp_nav[] = {
	{ "dashboard", "/", "Dashboard" },
	{ "history", "/history", "Sync History" },
	{ "alerts", "/alerts", "Alerts" },
	{ "objects", "/objects", "Objects" },
	{ "hooks", "/hooks", "Password hooks" },
	{ "setup", "/setup", "Settings" },
};

void
wp_begin(struct web_page *p, const struct web_req *r, const char *title,
    const char *current)
{
	size_t i;

	wp_raw(p, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">"
	    "<title>");
	wp_text(p, title);
	wp_raw(p, " · adsync</title>"
	    "<link rel=\"stylesheet\" href=\"/static/console.css\">"
	    "<script src=\"/static/console.js\" defer></script>"
	    "</head><body><header><a class=\"brand\" href=\"/\">adsync</a>");
	if (r != NULL && r->logged_in) {
		wp_raw(p, "<nav>");
		for (i = 0; i < sizeof(wp_nav) / sizeof(wp_nav[0]); i++)
			wp_fmt(p, "<a href=\"%s\" id=\"nav-%s\"%s>%s</a>",
			    wp_nav[i].href, wp_nav[i].id,
			    current != NULL && strcmp(current,
			    wp_nav[i].id) == 0 ? " aria-current=\"page\"" :
			    "", wp_nav[i].label);
		wp_raw(p, "</nav><form method=\"post\" action=\"/logout\" "
		    "class=\"logout\">");
		wp_csrf(p, r);
		wp_raw(p, "<button type=\"submit\" id=\"logout\">Log out"
		    "</button></form>");
	}
	wp_raw(p, "</header><main><h1>");
	wp_text(p, title);
	wp_raw(p, "</h1>");
	if (r != NULL) {
		const char *msg = web_arg(r, "msg");
		const char *err = web_arg(r, "err");

		if (msg != NULL && msg[0] != '\0')
			wp_note(p, "ok", msg);
		if (err != NULL && err[0] != '\0')
			wp_note(p, "error", err);
	}
}

void
wp_end(struct web_page *p)
{
	wp_raw(p, "</main><footer>adsync " ADSYNC_VERSION
	    " · <a href=\"/metrics\">metrics</a></footer></body></html>\n");
}

void
wp_csrf(struct web_page *p, const struct web_req *r)
{
	wp_raw(p, "<input type=\"hidden\" name=\"csrf\" value=\"");
	wp_text(p, r->csrf);
	wp_raw(p, "\">");
}

void
wp_note(struct web_page *p, const char *kind, const char *text)
{
	wp_fmt(p, "<p class=\"note %s\" role=\"%s\">", kind,
	    strcmp(kind, "error") == 0 ? "alert" : "status");
	wp_text(p, text);
	wp_raw(p, "</p>");
}

static void
wp_redirect_with(struct web_page *p, const char *path, const char *key,
    const char *msg)
{
	struct buf b;

	buf_init(&b, sizeof(p->location) - 1);
	if (buf_addstr(&b, path) < 0 || (msg != NULL && msg[0] != '\0' &&
	    (buf_addstr(&b, strchr(path, '?') != NULL ? "&" : "?") < 0 ||
	    buf_addstr(&b, key) < 0 || buf_addc(&b, '=') < 0 ||
	    web_url_encode(&b, msg) < 0))) {
		snprintf(p->location, sizeof(p->location), "%s", path);
	} else
		snprintf(p->location, sizeof(p->location), "%s",
		    buf_str(&b));
	buf_fini(&b);
	p->status = 303;
}

void
wp_redirect(struct web_page *p, const char *path, const char *msg)
{
	wp_redirect_with(p, path, "msg", msg);
}

void
wp_redirect_err(struct web_page *p, const char *path, const char *msg)
{
	wp_redirect_with(p, path, "err", msg);
}

void
wp_error_page(struct web_page *p, const struct web_req *r, int status,
    const char *title, const char *text)
{
	buf_reset(&p->b);
	p->failed = false;
	p->status = status;
	p->ctype = "text/html; charset=utf-8";
	wp_begin(p, r, title, NULL);
	wp_note(p, "error", text);
	wp_raw(p, "<p><a href=\"/\">Back to the dashboard</a></p>");
	wp_end(p);
}

void
wp_service(struct web_page *p, const char *name)
{
	if (name == NULL || name[0] == '\0' || strcmp(name, "?") == 0)
		wp_raw(p, "both services");
	else if (strcmp(name, "ex") == 0)
		wp_raw(p, "Hosted Exchange");
	else if (strcmp(name, "rs") == 0)
		wp_raw(p, "Rackspace Email");
	else
		wp_text(p, name);
}
