/*
 * The adsync daemon (`adsync daemon`, docs/daemon.md): continuous sync.
 *
 * Threads (each owns its data; they talk through queues, src/common/queue.h):
 *   - the loop (the caller's thread): signals (signalfd), timers, the
 *     control socket (src/ctl), systemd notifications and the watchdog;
 *     it decides when a cycle runs and answers commands, reading history,
 *     alerts and objects through its own read-only store handle;
 *   - the engine (daemon_engine.c): owns the sync engine (the store's
 *     writer, the LDAP connection, the API client) and runs one cycle at a
 *     time on request;
 *   - the watcher (daemon_watch.c): its own LDAP connection with change
 *     notification; it only says "something changed".
 * A cycle's bulk sends add the engine's pusher thread (docs/sync.md).
 */
#ifndef ADSYNC_DAEMON_H
#define ADSYNC_DAEMON_H

#include <stddef.h>

#include "attributes.h"

struct conf;

/*
 * Runs the daemon until SIGTERM or SIGINT. `conf_path` (borrowed) is read
 * again on SIGHUP; `conf` (ownership taken) is its current content.
 * Returns 0 after a clean stop, or a negative code with `why` when start-up
 * fails (another daemon on the state directory, a socket that cannot be
 * made).
 */
int daemon_run(const char *conf_path, struct conf *conf, char *why,
    size_t whylen) ATTR_NODISCARD;

/* The control socket of a state directory, into `out`; -ENAMETOOLONG when
 * it does not fit. */
int daemon_socket_path(const char *state_dir, char *out, size_t outlen)
    ATTR_NODISCARD;

#endif
