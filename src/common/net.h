/*
 * Listening sockets from "ADDR:PORT" specs, shared by adsync's servers (the
 * password hook receiver) and rsemu. "[::1]:8443" for IPv6; "localhost"
 * means 127.0.0.1; port 0 picks a free port. Any thread; the socket is the
 * caller's.
 */
#ifndef ADSYNC_NET_H
#define ADSYNC_NET_H

#include <stddef.h>
#include <sys/socket.h>

#include "attributes.h"

/* Splits "ADDR:PORT" into a sockaddr: 0 or -ADSYNC_EPARSE. Numeric
 * addresses only (and "localhost"): a server binds what it was told. */
int net_addr_parse(const char *s, struct sockaddr_storage *ss /* OUT */,
    unsigned *sslen /* OUT */) ATTR_NODISCARD;

/*
 * A TCP socket bound to `spec` and listening (SO_REUSEADDR, IPv6 only for
 * [::] specs, close-on-exec); `addr` gets the bound "ADDR:PORT" (the real
 * port when 0 was asked). Returns the descriptor, or a negative code with
 * `why` naming `what` (e.g. "--listen", "hook_listen") and the spec.
 */
int net_listen(const char *spec, const char *what, char *addr,
    size_t addrlen, char *why, size_t whylen) ATTR_NODISCARD;

#endif
