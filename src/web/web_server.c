/*
 * The console's HTTP server: libmicrohttpd, one thread per connection
 * (bounded), plain HTTP on loopback and TLS elsewhere. Every request goes
 * through the same gate before a view sees it:
 *   1. Host must be one the console answers to (DNS rebinding: a page on
 *      another site that resolves its name to 127.0.0.1 gets 421);
 *   2. a POST body is bounded (413) and must be a form (415, 400);
 *   3. every page but the static files, /healthz, /login and (from
 *      loopback) /metrics needs a session: a browser is sent to /login;
 *   4. every POST carries the session's CSRF token (the login form a
 *      pre-login token) and, when the browser sends one, an Origin of the
 *      console itself: else 403 and nothing is done.
 * Answers carry a strict CSP (no inline script or style, nothing from
 * elsewhere), nosniff, no framing, no referrer, no caching.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "err.h"
#include "log.h"
#include "net.h"
#include "secret.h"
#include "xmalloc.h"
#include "web_internal.h"

#define WEB_PRIORITIES "SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:" \
	"+VERS-TLS1.2:%SERVER_PRECEDENCE"

static const char web_csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self'; connect-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'";

const char *
web_arg(const struct web_req *r, const char *name)
{
	return r->query != NULL ? web_form_get(r->query, name) : NULL;
}

const char *
web_field(const struct web_req *r, const char *name)
{
	return r->form != NULL ? web_form_get(r->form, name) : NULL;
}

static bool
web_sa_loopback(const struct sockaddr *sa)
{
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		if (IN6_IS_ADDR_LOOPBACK(a))
			return true;
		if (IN6_IS_ADDR_V4MAPPED(a))
			return a->s6_addr[12] == 127;
	}
	return false;
}

static void
web_sa_text(const struct sockaddr *sa, char *out, size_t outlen)
{
	out[0] = '\0';
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)
		    sa)->sin_addr, out, (socklen_t)outlen);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr, out, (socklen_t)outlen);
}

/* ---- the Host names ----------------------------------------------------- */

static void
web_host_add(struct web *w, const char *host, size_t hostlen,
    const char *port)
{
	if (w->nhosts >= WEB_HOSTS_MAX || hostlen == 0 ||
	    hostlen + strlen(port) + 2 > sizeof(w->hosts[0]))
		return;
	snprintf(w->hosts[w->nhosts++], sizeof(w->hosts[0]), "%.*s:%s",
	    (int)hostlen, host, port);
}

/* The Host values to accept: the listen address itself, and for loopback
 * "localhost"; for a wildcard, this host's name, the hook names and
 * loopback. */
static void
web_hosts_init(struct web *w)
{
	const char *colon = strrchr(w->addr, ':'), *port, *p, *word;
	size_t hostlen, len;
	char name[256];
	bool wildcard;

	if (colon == NULL)
		return;
	port = colon + 1;
	hostlen = (size_t)(colon - w->addr);
	wildcard = strncmp(w->addr, "0.0.0.0:", 8) == 0 ||
	    strncmp(w->addr, "[::]:", 5) == 0;
	if (!wildcard)
		web_host_add(w, w->addr, hostlen, port);
	if (w->listen_loopback || wildcard) {
		web_host_add(w, "localhost", 9, port);
		web_host_add(w, "127.0.0.1", 9, port);
		web_host_add(w, "[::1]", 5, port);
	}
	if (wildcard) {
		if (gethostname(name, sizeof(name)) == 0) {
			name[sizeof(name) - 1] = '\0';
			web_host_add(w, name, strlen(name), port);
		}
		p = w->conf->daemon.hook_names;
		while (*p != '\0') {
			while (*p == ' ')
				p++;
			word = p;
			while (*p != '\0' && *p != ' ')
				p++;
			len = (size_t)(p - word);
			web_host_add(w, word, len, port);
		}
	}
}

/* Whether the request's Host is one of ours (any case; the default port
 * of the scheme may be left out, as browsers do). */
static bool
web_host_ok(const struct web *w, const char *host)
{
	const char *dport = w->tls ? "443" : "80";
	size_t i, n;

	if (host == NULL || host[0] == '\0' || strlen(host) > 300)
		return false;
	for (i = 0; i < w->nhosts; i++) {
		if (strcasecmp(host, w->hosts[i]) == 0)
			return true;
		/* "name" for "name:443" over TLS, "name:80" in clear. */
		n = strlen(host);
		if (strncasecmp(host, w->hosts[i], n) == 0 &&
		    w->hosts[i][n] == ':' &&
		    strcmp(w->hosts[i] + n + 1, dport) == 0)
			return true;
	}
	return false;
}

/* Whether an Origin header (absent: fine; browsers send one with every
 * POST) names the console itself. */
static bool
web_origin_ok(const struct web *w, const char *origin)
{
	const char *scheme = w->tls ? "https://" : "http://";
	size_t n = strlen(scheme);

	if (origin == NULL)
		return true;
	return strncmp(origin, scheme, n) == 0 && web_host_ok(w, origin + n);
}

/* ---- answering ------------------------------------------------------------ */

static enum MHD_Result
web_answer(struct web_req *r, struct web_page *p)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len;
	char *body, ra[16];

	if (p->failed) {
		buf_reset(&p->b);
		p->failed = false;
		p->status = 500;
		p->ctype = "text/plain; charset=utf-8";
		p->location[0] = '\0';
		wp_raw(p, "The page could not be built (too large or out of "
		    "memory); see the daemon's log.\n");
	}
	if (p->location[0] != '\0' && p->b.len == 0)
		wp_raw(p, "See Other\n");
	len = p->b.len;
	body = buf_take(&p->b);
	if (body == NULL)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(len, body,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", p->ctype);
	MHD_add_response_header(resp, "Content-Security-Policy", web_csp);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	/* Not no-referrer: with it, browsers send "Origin: null" on the
	 * console's own form posts, which web_origin_ok() must refuse. */
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (r->w->tls)
		MHD_add_response_header(resp, "Strict-Transport-Security",
		    "max-age=31536000");
	if (p->location[0] != '\0')
		MHD_add_response_header(resp, "Location", p->location);
	if (r->set_cookie[0] != '\0')
		MHD_add_response_header(resp, "Set-Cookie", r->set_cookie);
	if (p->retry_after > 0) {
		snprintf(ra, sizeof(ra), "%d", p->retry_after);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	ret = MHD_queue_response(r->c, (unsigned)p->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* ---- routing -------------------------------------------------------------- */

enum web_auth_need {
	WEB_OPEN,		/* anyone who passed the Host check */
	WEB_LOOPBACK_OPEN,	/* anyone on loopback, else a session */
	WEB_SESSION		/* a logged-in administrator */
};

struct web_route {
	const char *method;
	const char *path;	/* exact, or a prefix when ending in '/' */
	enum web_auth_need auth;
	web_view_fn *fn;
};

static const struct web_route web_routes[] = {
	{ "GET", "/healthz", WEB_OPEN, web_view_healthz },
	{ "GET", "/metrics", WEB_LOOPBACK_OPEN, web_view_metrics },
	{ "GET", "/login", WEB_OPEN, web_view_login },
	{ "POST", "/login", WEB_OPEN, web_post_login },
	{ "POST", "/logout", WEB_SESSION, web_post_logout },
	{ "GET", "/", WEB_SESSION, web_view_dashboard },
	{ "GET", "/status.json", WEB_SESSION, web_view_status_json },
	{ "POST", "/sync", WEB_SESSION, web_post_sync },
	{ "GET", "/history", WEB_SESSION, web_view_history },
	{ "GET", "/runs/", WEB_SESSION, web_view_run },
	{ "POST", "/approve", WEB_SESSION, web_post_approve },
	{ "POST", "/reject", WEB_SESSION, web_post_reject },
	{ "GET", "/alerts", WEB_SESSION, web_view_alerts },
	{ "GET", "/objects", WEB_SESSION, web_view_objects },
	{ "GET", "/objects/", WEB_SESSION, web_view_object },
	{ "GET", "/hooks", WEB_SESSION, web_view_hooks },
	{ "GET", "/setup", WEB_SESSION, web_view_setup },
	{ "POST", "/setup/register", WEB_SESSION, web_post_register },
	{ "POST", "/setup/settings", WEB_SESSION, web_post_settings },
	{ "POST", "/setup/test-ad", WEB_SESSION, web_post_test_ad },
};

static const struct web_route *
web_route_find(const char *method, const char *url, bool *path_known)
{
	const struct web_route *rt;
	size_t i, n;

	*path_known = false;
	for (i = 0; i < sizeof(web_routes) / sizeof(web_routes[0]); i++) {
		rt = &web_routes[i];
		n = strlen(rt->path);
		if (n > 1 && rt->path[n - 1] == '/' ?
		    strncmp(url, rt->path, n) != 0 || url[n] == '\0' :
		    strcmp(url, rt->path) != 0)
			continue;
		*path_known = true;
		if (strcmp(method, rt->method) == 0 ||
		    (strcmp(method, "HEAD") == 0 &&
		    strcmp(rt->method, "GET") == 0))
			return rt;
	}
	return NULL;
}

static enum MHD_Result
web_query_cb(void *cls, enum MHD_ValueKind kind, const char *key,
    size_t key_size, const char *value, size_t value_size)
{
	struct web_req *r = cls;
	char why[256];

	(void)kind;
	if (web_form_add(r->query, key, key_size, value, value_size, why,
	    sizeof(why)) < 0) {
		web_form_free(r->query);
		r->query = NULL;
		return MHD_NO;
	}
	return MHD_YES;
}

/* The session of the request's cookie, if any. */
static void
web_req_session(struct web_req *r)
{
	const char *cookies = MHD_lookup_connection_value(r->c,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE);
	char sid[WEB_TOKEN_LEN + 2];

	if (web_cookie_get(cookies, WEB_COOKIE, sid, sizeof(sid)) == 0 &&
	    web_session_get(r->w->sessions, sid, (int64_t)time(NULL),
	    r->csrf)) {
		/* A valid id is exactly WEB_TOKEN_LEN characters. */
		memcpy(r->sid, sid, sizeof(r->sid) - 1);
		r->sid[sizeof(r->sid) - 1] = '\0';
		r->logged_in = true;
	}
}

static void
web_handle(struct web_req *r, struct web_page *p)
{
	const struct web_route *rt;
	const char *static_ctype, *static_body, *ctype;
	char why[512];
	bool known;

	if (!web_host_ok(r->w, MHD_lookup_connection_value(r->c,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST))) {
		wp_error_page(p, NULL, 421, "Wrong address",
		    "This console answers only under the address it listens "
		    "on (web_listen). Open it by that address; a page that "
		    "reached it under another name is refused.");
		return;
	}
	r->query = web_form_new();
	if (r->query == NULL || MHD_get_connection_values_n(r->c,
	    MHD_GET_ARGUMENT_KIND, web_query_cb, r) < 0 || r->query == NULL) {
		wp_error_page(p, NULL, 400, "Bad request", "The address "
		    "holds an argument the console cannot read (too long, "
		    "too many, or not UTF-8 text).");
		return;
	}
	if ((static_body = web_static(r->url, &static_ctype)) != NULL) {
		p->ctype = static_ctype;
		wp_raw(p, static_body);
		return;
	}
	if (strcmp(r->url, "/favicon.ico") == 0) {
		p->status = 204;	/* none, and no 404 in the logs */
		return;
	}
	web_req_session(r);
	if ((rt = web_route_find(r->method, r->url, &known)) == NULL) {
		if (known)
			wp_error_page(p, r, 405, "Method not allowed",
			    "This address does not take that kind of "
			    "request.");
		else
			wp_error_page(p, r, 404, "Not found", "There is no "
			    "such page in the console.");
		return;
	}
	if (rt->auth == WEB_SESSION ||
	    (rt->auth == WEB_LOOPBACK_OPEN && !r->client_loopback)) {
		if (!r->logged_in) {
			if (strcmp(r->method, "GET") == 0 &&
			    strcmp(r->url, "/metrics") != 0)
				wp_redirect(p, "/login", NULL);
			else
				wp_error_page(p, r, 401, "Log in first",
				    "This needs a console session: log in "
				    "and try again.");
			return;
		}
	}
	if (r->post) {
		if (r->too_big) {
			wp_error_page(p, r, 413, "Too large", "The form is "
			    "larger than the console accepts.");
			return;
		}
		if (!web_origin_ok(r->w, MHD_lookup_connection_value(r->c,
		    MHD_HEADER_KIND, "Origin"))) {
			wp_error_page(p, r, 403, "Refused", "This request "
			    "came from another site; nothing was done.");
			return;
		}
		ctype = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_TYPE);
		if (r->body.len > 0 && (ctype == NULL || strncasecmp(ctype,
		    "application/x-www-form-urlencoded", 33) != 0)) {
			wp_error_page(p, r, 415, "Unsupported form", "The "
			    "console takes forms as "
			    "application/x-www-form-urlencoded only.");
			return;
		}
		if (web_form_parse(r->body.len > 0 ? r->body.data : "",
		    r->body.len, &r->form, why, sizeof(why)) < 0) {
			wp_error_page(p, r, 400, "Bad form", why);
			return;
		}
		/* The login form has no session yet: it carries a pre-login
		 * token, checked by its view. */
		if (rt->fn != web_post_login && !web_session_csrf_ok(
		    r->w->sessions, r->sid, web_field(r, "csrf"),
		    (int64_t)time(NULL))) {
			wp_error_page(p, r, 403, "Form expired", "This form "
			    "has no valid security token (it is too old, "
			    "from another session, or did not come from "
			    "the console). Nothing was done: reload the "
			    "page and try again.");
			log_info("console: %s %s from %s refused: no valid "
			    "CSRF token", r->method, r->url, r->client);
			return;
		}
	}
	rt->fn(r, p);
}

static enum MHD_Result
web_access(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct web *w = cls;
	struct web_req *r = *con_cls;
	const union MHD_ConnectionInfo *ci;
	struct web_page p;
	const char *cl;
	enum MHD_Result ret;

	(void)version;
	if (r == NULL) {
		r = xcalloc(1, sizeof(*r));
		r->w = w;
		r->c = c;
		r->method = method;
		r->url = url;
		r->post = strcmp(method, "POST") == 0;
		buf_init(&r->body, WEB_BODY_MAX);
		ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci != NULL) {
			r->client_loopback = web_sa_loopback(ci->client_addr);
			web_sa_text(ci->client_addr, r->client,
			    sizeof(r->client));
		}
		/* A body announced too large is refused before it is read. */
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && strlen(cl) > 6)
			r->too_big = true;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		if (!r->post || r->too_big || buf_add(&r->body, upload,
		    *upload_size) < 0) {
			r->too_big = true;	/* buf_add freed the buffer */
			buf_init(&r->body, WEB_BODY_MAX);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	wp_init(&p);
	web_handle(r, &p);
	ret = web_answer(r, &p);
	wp_fini(&p);
	return ret;
}

static void
web_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct web_req *r = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (r == NULL)
		return;
	/* Bodies carry passwords (login, registration, settings). */
	buf_reset(&r->body);
	buf_fini(&r->body);
	web_form_free(r->form);
	web_form_free(r->query);
	sodium_memzero(r, sizeof(*r));
	free(r);
	*con_cls = NULL;
}

static void
web_mhdlog(void *arg, const char *fmt, va_list ap)
{
	char msg[512];

	(void)arg;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("console: %s", msg);
}

/* ---- start and stop ------------------------------------------------------- */

int
web_start(const struct conf *conf, const char *conf_path, struct web **out,
    char *why, size_t whylen)
{
	struct MHD_OptionItem opts[16];
	unsigned flags;
	struct web *w;
	size_t n = 0, certlen;
	int r;

	*out = NULL;
	if (conf->daemon.web_listen[0] == '\0')
		return 0;
	w = xcalloc(1, sizeof(*w));
	w->fd = -1;
	pthread_mutex_init(&w->conf_lock, NULL);
	w->conf_path = xstrdup(conf_path);
	if ((w->conf = conf_dup(conf)) == NULL ||
	    (w->sessions = web_sessions_new()) == NULL) {
		snprintf(why, whylen, "out of memory starting the console");
		r = -ENOMEM;
		goto fail;
	}
	if ((size_t)snprintf(w->ctl_path, sizeof(w->ctl_path), "%s/%s",
	    conf->sync.state_dir, CTL_SOCKET_NAME) >= sizeof(w->ctl_path) ||
	    web_passwd_path(conf->daemon.web_password_file,
	    conf->sync.state_dir, w->passwd_path,
	    sizeof(w->passwd_path)) < 0) {
		snprintf(why, whylen, "state_dir or web_password_file is too "
		    "long; choose a shorter path");
		r = -ENAMETOOLONG;
		goto fail;
	}
	w->listen_loopback = conf_listen_is_loopback(conf->daemon.web_listen);
	if (conf->daemon.web_tls_cert[0] != '\0') {
		if ((w->cert_pem = secret_load_pem(conf->daemon.web_tls_cert,
		    "web_tls_cert", false, &certlen, why, whylen)) == NULL ||
		    (w->key_pem = secret_load_pem(
		    conf->daemon.web_tls_key_file, "web_tls_key_file", true,
		    &w->key_len, why, whylen)) == NULL) {
			r = -ADSYNC_ECONFIG;
			goto fail;
		}
		w->tls = true;
	} else if (!w->listen_loopback) {
		/* conf refuses this too; never serve the console in clear
		 * beyond this host, whatever the caller checked. */
		snprintf(why, whylen, "web_listen = %s would serve the "
		    "console in plain HTTP beyond this host; set "
		    "web_tls_cert and web_tls_key_file, or listen on "
		    "127.0.0.1:8080", conf->daemon.web_listen);
		r = -ADSYNC_ECONFIG;
		goto fail;
	}
	if ((w->fd = net_listen(conf->daemon.web_listen, "web_listen",
	    w->addr, sizeof(w->addr), why, whylen)) < 0) {
		r = w->fd;
		goto fail;
	}
	web_hosts_init(w);
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER,
	    (intptr_t)web_mhdlog, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET,
	    w->fd, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
	    WEB_CONNS, NULL };
	opts[n++] = (struct MHD_OptionItem){
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, WEB_CONNS_PER_IP, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
	    WEB_TIMEOUT_S, NULL };
	opts[n++] = (struct MHD_OptionItem){
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, WEB_CONN_MEMORY, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
	    (intptr_t)web_completed, NULL };
	flags = MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
	if (w->tls) {
		flags |= MHD_USE_TLS;
		opts[n++] = (struct MHD_OptionItem){
		    MHD_OPTION_HTTPS_MEM_CERT, 0, w->cert_pem };
		opts[n++] = (struct MHD_OptionItem){
		    MHD_OPTION_HTTPS_MEM_KEY, 0, w->key_pem };
		opts[n++] = (struct MHD_OptionItem){
		    MHD_OPTION_HTTPS_PRIORITIES, 0,
		    (void *)(uintptr_t)WEB_PRIORITIES };
	}
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	w->d = MHD_start_daemon(flags, 0, NULL, NULL, web_access, w,
	    MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (w->d == NULL) {
		snprintf(why, whylen, "cannot start the console on %s%s",
		    w->addr, w->tls ? " (are web_tls_cert and "
		    "web_tls_key_file a valid pair?)" : "");
		r = -ADSYNC_ECONFIG;
		goto fail;
	}
	w->fd = -1;	/* MHD's now */
	log_info("console: listening on %s://%s/", w->tls ? "https" : "http",
	    w->addr);
	*out = w;
	return 0;
fail:
	web_stop(w);
	return r;
}

const char *
web_addr(const struct web *w)
{
	return w->addr;
}

void
web_stop(struct web *w)
{
	if (w == NULL)
		return;
	if (w->d != NULL)
		MHD_stop_daemon(w->d);
	if (w->fd >= 0)
		close(w->fd);
	if (w->key_pem != NULL) {
		sodium_memzero(w->key_pem, w->key_len);
		free(w->key_pem);
	}
	free(w->cert_pem);
	web_sessions_free(w->sessions);
	conf_free(w->conf);
	free(w->conf_path);
	pthread_mutex_destroy(&w->conf_lock);
	free(w);
}
