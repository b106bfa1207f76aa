/*
 * Logging implementation. A line is formatted into a fixed stack buffer and
 * written with one write(2) so that lines from different threads never
 * interleave. Any thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"

#define LOG_LINE_MAX 2048

static const char *log_prog = "adsync";
static int log_verbosity;
static enum log_dest log_to = LOG_DEST_STDERR;

static _Thread_local char log_tname[16];
static _Thread_local char log_ctx[256];

static const char *const log_level_name[] = {
	[LOG_LVL_FATAL] = "fatal",
	[LOG_LVL_WARN] = "warn",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
	[LOG_LVL_TRACE] = "trace",
};

void
log_init(const char *progname, int verbosity, enum log_dest dest)
{
	const char *slash;

	if (progname != NULL) {
		slash = strrchr(progname, '/');
		log_prog = slash != NULL ? slash + 1 : progname;
	}
	log_verbosity = verbosity;
	log_to = dest;
	if (dest == LOG_DEST_SYSLOG)
		openlog(log_prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_verbosity(int verbosity)
{
	log_verbosity = verbosity;
}

int
log_get_verbosity(void)
{
	return log_verbosity;
}

void
log_thread_name(const char *name)
{
	snprintf(log_tname, sizeof(log_tname), "%s", name);
}

void
log_ctx_set(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(log_ctx, sizeof(log_ctx), fmt, ap);
	va_end(ap);
}

void
log_ctx_clear(void)
{
	log_ctx[0] = '\0';
}

static int
log_syslog_prio(enum log_level lvl)
{
	switch (lvl) {
	case LOG_LVL_FATAL:
		return LOG_CRIT;
	case LOG_LVL_WARN:
		return LOG_WARNING;
	case LOG_LVL_INFO:
		return LOG_INFO;
	default:
		return LOG_DEBUG;
	}
}

void
log_vemit(enum log_level lvl, const char *func, bool with_errno,
    const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t n = 0;
	int saved = errno, r;
	struct timespec ts;
	struct tm tm;

	if ((int)lvl > log_verbosity + LOG_LVL_INFO && lvl != LOG_LVL_FATAL)
		goto out;

	if (log_to == LOG_DEST_STDERR) {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n += strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
		r = snprintf(line + n, sizeof(line) - n, ".%03ldZ %s[%d] ",
		    ts.tv_nsec / 1000000, log_prog, (int)getpid());
		n += r > 0 ? (size_t)r : 0;
	}
	r = snprintf(line + n, sizeof(line) - n, "%s %s%s%s: ",
	    log_level_name[lvl], log_tname[0] ? log_tname : "main",
	    func ? " " : "", func ? func : "");
	if (r > 0)
		n = n + (size_t)r < sizeof(line) ? n + (size_t)r : sizeof(line) - 1;
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (r > 0)
		n = n + (size_t)r < sizeof(line) ? n + (size_t)r : sizeof(line) - 1;
	if (with_errno && n < sizeof(line) - 1) {
		r = snprintf(line + n, sizeof(line) - n, ": %s",
		    adsync_strerror(saved));
		if (r > 0)
			n = n + (size_t)r < sizeof(line) ? n + (size_t)r
			    : sizeof(line) - 1;
	}
	if (log_ctx[0] && n < sizeof(line) - 1) {
		r = snprintf(line + n, sizeof(line) - n, " %s", log_ctx);
		if (r > 0)
			n = n + (size_t)r < sizeof(line) ? n + (size_t)r
			    : sizeof(line) - 1;
	}
	if (log_to == LOG_DEST_SYSLOG) {
		syslog(log_syslog_prio(lvl), "%s", line);
		goto out;
	}
	/* Keep room for the newline even when the message was cut. */
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line: lines of different threads never interleave. */
	(void)!write(STDERR_FILENO, line, n);
out:
	errno = saved;
}

void
log_emit(enum log_level lvl, const char *func, bool with_errno,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(lvl, func, with_errno, fmt, ap);
	va_end(ap);
}

void
log_fatal_exit(const char *func, bool with_errno, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LVL_FATAL, func, with_errno, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_vdebug_lib(const char *prefix, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	if (log_verbosity + LOG_LVL_INFO < LOG_LVL_DEBUG)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_debug("%s%s", prefix, line);
}
