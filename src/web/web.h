/*
 * web: the local web console of `adsync daemon` (docs/web.md) and its
 * /metrics and /healthz. Served with libmicrohttpd on [daemon] web_listen
 * (default 127.0.0.1:8080): plain HTTP on loopback only, TLS otherwise.
 *
 * The console is a client of the daemon like the CLI: every page asks the
 * daemon's control socket (src/ctl) for what it shows and every action is a
 * control request, so the console holds no state of the sync and cannot
 * disagree with `adsync status`. Only the set-up pages act on their own:
 * they check API keys and AD settings with their own short-lived clients,
 * write the configuration file (conf_edit_file) and ask the daemon to
 * reload it.
 *
 * Threads: web_start() and web_stop() are called from the daemon's loop
 * thread; libmicrohttpd runs one thread per connection (bounded), which
 * may block on the control socket, on AD or on the API.
 *
 * Trust: everything a browser sends is untrusted (see docs/web.md and
 * docs/SECURITY.md): the Host header is checked against the listen address
 * (DNS rebinding), a login (Argon2 hash from `adsync web passwd`) guards
 * every page but /healthz and, from loopback, /metrics; state-changing
 * requests are POSTs with a CSRF token; no secret is ever sent back.
 */
#ifndef ADSYNC_WEB_H
#define ADSYNC_WEB_H

#include <stddef.h>

#include "attributes.h"
#include "conf.h"

struct web;

/*
 * Starts the console for `conf` (copied) on conf->daemon.web_listen;
 * `conf_path` (copied) is the file the settings pages edit. Nothing is
 * started when web_listen is empty (0 and *out NULL). Returns 0 and *out
 * (owned; web_stop()), or a negative code and a sentence in `why` naming
 * web_listen or the TLS files and the fix.
 */
int web_start(const struct conf *conf, const char *conf_path,
    struct web **out /* OUT */, char *why, size_t whylen) ATTR_NODISCARD;

/* "ADDR:PORT" the console listens on (the real port when 0 was asked). */
const char *web_addr(const struct web *w);

/* Stops listening, waits for the connections in flight (each is bounded
 * by its timeouts) and frees `w`. Accepts NULL. */
void web_stop(struct web *w);

#endif
