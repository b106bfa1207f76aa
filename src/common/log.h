/*
 * Logging. One line per event, `key=value` data, a per-thread name and
 * context (e.g. "run=12" or "req=7") printed on every line until cleared.
 * Output goes to stderr (journald captures it) or syslog. errno is preserved.
 *
 * Any thread. log_init() runs once in main before threads start; the
 * per-thread name and context are thread-local.
 *
 * SECURITY: never pass a secret, password, signature or HTTP body to these
 * functions; struct secret has no format support on purpose.
 */
#ifndef ADSYNC_LOG_H
#define ADSYNC_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#include "attributes.h"

enum log_level {
	LOG_LVL_FATAL = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
	LOG_LVL_TRACE
};

enum log_dest {
	LOG_DEST_STDERR,
	LOG_DEST_SYSLOG
};

/* `progname` is borrowed and must outlive logging (use argv[0] or a literal).
 * `verbosity` 0 = info, 1 = debug (-v), 2 = trace (-vv), -1 = warnings. */
void log_init(const char *progname, int verbosity, enum log_dest dest);
void log_set_verbosity(int verbosity);
int log_get_verbosity(void);

/* Names the calling thread in log lines; `name` is copied (15 chars kept). */
void log_thread_name(const char *name);

/* Sets the calling thread's context, copied (255 chars kept); cleared by
 * log_ctx_clear(). */
void log_ctx_set(const char *fmt, ...) ATTR_PRINTF(1, 2);
void log_ctx_clear(void);

void log_emit(enum log_level lvl, const char *func, bool with_errno,
    const char *fmt, ...) ATTR_PRINTF(4, 5);
void log_vemit(enum log_level lvl, const char *func, bool with_errno,
    const char *fmt, va_list ap) ATTR_PRINTF(4, 0);

/*
 * A library's printf-style message (libmicrohttpd's external logger has
 * this shape) as one debug line: `prefix`, then the message without its
 * trailing newlines. Peers' TLS and HTTP mistakes arrive this way: useful
 * when debugging, noise otherwise.
 */
void log_vdebug_lib(const char *prefix, const char *fmt, va_list ap)
    ATTR_PRINTF(2, 0);

/* fatal/fatalx: start-up and small fixed-size allocation failures only. */
ATTR_NORETURN void log_fatal_exit(const char *func, bool with_errno,
    const char *fmt, ...) ATTR_PRINTF(3, 4);

#define log_warn(...) log_emit(LOG_LVL_WARN, __func__, true, __VA_ARGS__)
#define log_warnx(...) log_emit(LOG_LVL_WARN, __func__, false, __VA_ARGS__)
#define log_info(...) log_emit(LOG_LVL_INFO, __func__, false, __VA_ARGS__)
#define log_debug(...) log_emit(LOG_LVL_DEBUG, __func__, false, __VA_ARGS__)
#define log_trace(...) log_emit(LOG_LVL_TRACE, __func__, false, __VA_ARGS__)
#define fatal(...) log_fatal_exit(__func__, true, __VA_ARGS__)
#define fatalx(...) log_fatal_exit(__func__, false, __VA_ARGS__)

#endif
