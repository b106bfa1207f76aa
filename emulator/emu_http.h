/*
 * The two listeners: the API (TLS with --tls-cert/--tls-key, else plain
 * HTTP on loopback) and the admin API (plain HTTP, loopback). libmicrohttpd
 * with an internal epoll thread pool (--threads workers for the API, one for
 * admin), keep-alive, connection limits and timeouts; request bodies are
 * bounded as they arrive. Injected latency and stalls suspend the connection
 * and let the timer thread resume it, so no worker ever sleeps.
 *
 * emu_http_start/stop run on the main thread; the handlers on MHD's.
 */
#ifndef EMU_HTTP_H
#define EMU_HTTP_H

#include <stddef.h>

#include "attributes.h"
#include "emu.h"

struct secret;
struct emu_http;

/*
 * Binds both listeners (port 0 = ephemeral) and starts the daemons. `cert`
 * (PEM text) and `key` (borrowed, must outlive the daemons) enable TLS;
 * both NULL = plain HTTP. Returns 0 and *out, or negative with `why`.
 */
int emu_http_start(struct emu *e, const char *cert, const struct secret *key,
    struct emu_http **out /* OUT */, char *why, size_t whylen)
    ATTR_NODISCARD;

/* "ADDR:PORT" actually bound; borrowed until emu_http_stop(). The admin
 * one is "" when there is no admin listener. */
const char *emu_http_api_addr(const struct emu_http *h);
const char *emu_http_admin_addr(const struct emu_http *h);

/* Resumes every suspended connection (dropping it), stops both daemons and
 * closes the sockets. Accepts NULL. */
void emu_http_stop(struct emu_http *h);

#endif
