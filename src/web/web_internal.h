/*
 * Internals of the web console shared by its files: the server, one
 * request, the page builder, the views. Nothing outside src/web includes
 * this header.
 *
 * Threads: struct web is shared by every connection thread: its fields are
 * set at start and read-only afterwards, except `sessions` (locked inside
 * web_auth.c) and `conf_lock`/the files it guards. A struct web_req and a
 * struct web_page belong to the one connection thread that handles the
 * request.
 */
#ifndef ADSYNC_WEB_INTERNAL_H
#define ADSYNC_WEB_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "attributes.h"
#include "buf.h"
#include "conf.h"
#include "web.h"
#include "web_auth.h"
#include "web_form.h"

/* Largest POST body read (forms are small; a larger one is a 413). */
#define WEB_BODY_MAX WEB_FORM_BODY_MAX
/* Largest page produced. */
#define WEB_PAGE_MAX (8u * 1024 * 1024)
/* Connection threads at once, and per client address. */
#define WEB_CONNS 32
#define WEB_CONNS_PER_IP 16
/* Seconds a connection may stay idle. */
#define WEB_TIMEOUT_S 30
/* Memory per connection for headers and the read buffer: bounds the
 * request line and headers (larger ones are answered 431 by MHD). */
#define WEB_CONN_MEMORY (32 * 1024)
/* Most Host names the console answers to. */
#define WEB_HOSTS_MAX 8
#define WEB_COOKIE "adsync_session"

struct web {
	struct MHD_Daemon *d;
	int fd;				/* until MHD owns it */
	char addr[128];			/* bound ADDR:PORT */
	bool tls;
	bool listen_loopback;		/* web_listen is a loopback address */
	char *cert_pem, *key_pem;	/* owned; key wiped at stop */
	size_t key_len;
	char *conf_path;		/* owned */
	struct conf *conf;		/* owned copy of the start-up config */
	char ctl_path[512];		/* the daemon's control socket */
	char passwd_path[512];		/* the admin's password hash */
	char hosts[WEB_HOSTS_MAX][300];	/* Host values accepted */
	size_t nhosts;
	struct web_sessions *sessions;
	pthread_mutex_t conf_lock;	/* one settings save at a time */
};

/* One request, from its first call to the completion callback. */
struct web_req {
	struct web *w;
	struct MHD_Connection *c;
	const char *method;		/* MHD's, valid during the request */
	const char *url;
	bool post;
	struct buf body;		/* POST body so far */
	bool too_big;
	struct web_form *form;		/* parsed POST body, or NULL */
	struct web_form *query;		/* decoded query arguments */
	char client[64];		/* numeric client address */
	bool client_loopback;
	bool logged_in;
	char sid[WEB_TOKEN_LEN + 1];	/* session id when logged in */
	char csrf[WEB_TOKEN_LEN + 1];	/* its CSRF token */
	/* What the answer adds. */
	char set_cookie[256];
	char flash[512];		/* shown on the next page (?msg=) */
};

/* ---- the page builder (web_page.c) ---------------------------------- */

/* An HTML page or other answer being built; errors are sticky (a page
 * that failed to build is answered 500). */
struct web_page {
	struct buf b;
	bool failed;
	int status;			/* HTTP status, default 200 */
	const char *ctype;		/* default text/html */
	char location[1024];		/* a redirect (303) when set */
	int retry_after;		/* seconds, with 429/503 */
};

void wp_init(struct web_page *p);
void wp_fini(struct web_page *p);
/* Appends raw text (markup of ours, never from outside). */
void wp_raw(struct web_page *p, const char *s);
/* Appends formatted raw text: only for numbers and our own constants. */
void wp_fmt(struct web_page *p, const char *fmt, ...) ATTR_PRINTF(2, 3);
/* Appends `s` HTML-escaped (anything from AD, the API, a user). */
void wp_text(struct web_page *p, const char *s);
/* Appends `s` URL-component-encoded (inside an href we build). */
void wp_url(struct web_page *p, const char *s);
/* A service by its name in control answers ("ex", "rs"; "?" = both) as
 * people call it. */
void wp_service(struct web_page *p, const char *name);
/* A time as "2026-11-24 23:04:05 UTC", "-" for 0. */
void wp_time(struct web_page *p, int64_t t);
/* A duration in seconds as "2 min 05 s". */
void wp_duration(struct web_page *p, int64_t secs);
/* The page head, navigation (current = active item) and title. */
void wp_begin(struct web_page *p, const struct web_req *r,
    const char *title, const char *current);
void wp_end(struct web_page *p);
/* A hidden CSRF input for the request's session. */
void wp_csrf(struct web_page *p, const struct web_req *r);
/* A message box: kind "ok", "error", "info". */
void wp_note(struct web_page *p, const char *kind, const char *text);
/* A redirect (303 See Other) to `path` with an optional message. */
void wp_redirect(struct web_page *p, const char *path, const char *msg);
/* The same with an error message. */
void wp_redirect_err(struct web_page *p, const char *path, const char *msg);
/* An error page: status and sentence. */
void wp_error_page(struct web_page *p, const struct web_req *r, int status,
    const char *title, const char *text);

/* The static files (web_static.c): the stylesheet and the script. */
const char *web_static(const char *url, const char **ctype);

/* ---- the daemon (web_ctl.c) ----------------------------------------- */

/*
 * Sends `req` (stolen) to the daemon's control socket and waits at most
 * `timeout_ms`. The answer (owned), or NULL and `why`: the daemon is not
 * reachable, or it answered {"error": ...} (then `why` is that sentence).
 */
json_t *web_ctl(struct web *w, json_t *req, int timeout_ms, char *why,
    size_t whylen);
/* A member of an answer: its text ("" when absent or not text), its
 * number (0 when absent). */
const char *web_str(const json_t *o, const char *key);
json_int_t web_int(const json_t *o, const char *key);

/* ---- request helpers (web_server.c) ---------------------------------- */

/* A query or form argument, NULL when absent. */
const char *web_arg(const struct web_req *r, const char *name);
/* The POST form's value, NULL when absent. */
const char *web_field(const struct web_req *r, const char *name);

/* ---- the views -------------------------------------------------------- */

typedef void web_view_fn(struct web_req *r, struct web_page *p);

/* web_view_dash.c */
web_view_fn web_view_dashboard, web_view_status_json, web_post_sync,
    web_post_approve, web_post_reject;
/* web_view_history.c */
web_view_fn web_view_history, web_view_run;
/* web_view_objects.c */
web_view_fn web_view_alerts, web_view_objects, web_view_object,
    web_view_hooks;
/* web_setup.c */
web_view_fn web_view_setup, web_post_register, web_post_settings,
    web_post_test_ad;
/* web_login.c */
web_view_fn web_view_login, web_post_login, web_post_logout;
/* web_metrics.c */
web_view_fn web_view_metrics, web_view_healthz;

#endif
