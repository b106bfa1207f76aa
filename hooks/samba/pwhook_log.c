/*
 * adsync-pwhook's log: one line per event, "adsync-pwhook: LEVEL: text",
 * on stderr, which Samba and samba-tool capture and journald keeps for the
 * sender. In the capture modes warnings also go to syslog, because Samba
 * logs a script's output only at a high debug level. Under samba-tool
 * syncpasswords, stderr is merged into the reply that must start with
 * "DONE-EXIT: ", so lines are held and written after it.
 * SECURITY: callers pass account names and codes, never a password, a key
 * or a body.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "pwhook.h"

#define PWHOOK_LINE_MAX 1024
#define PWHOOK_HELD_MAX 16384

static enum pwhook_log_mode pwhook_mode = PWHOOK_LOG_STDERR;
static int pwhook_verbosity;
static char pwhook_held[PWHOOK_HELD_MAX];
static size_t pwhook_held_len;

void
pwhook_log_init(enum pwhook_log_mode mode, int verbosity)
{
	pwhook_mode = mode;
	pwhook_verbosity = verbosity;
	if (mode != PWHOOK_LOG_STDERR)
		openlog("adsync-pwhook", LOG_PID, LOG_AUTH);
}

static void
pwhook_vlog(int prio, const char *level, const char *fmt, va_list ap)
{
	char line[PWHOOK_LINE_MAX];
	int n, m;

	n = snprintf(line, sizeof(line), "adsync-pwhook: %s: ", level);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	if (prio == LOG_WARNING && pwhook_mode != PWHOOK_LOG_STDERR)
		syslog(prio, "%s", line + strlen("adsync-pwhook: "));
	line[n++] = '\n';
	if (pwhook_mode == PWHOOK_LOG_DEFERRED) {
		if (pwhook_held_len + (size_t)n <= sizeof(pwhook_held)) {
			memcpy(pwhook_held + pwhook_held_len, line, (size_t)n);
			pwhook_held_len += (size_t)n;
		}
		return;
	}
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

void
pwhook_log_flush(void)
{
	if (pwhook_held_len > 0)
		(void)!write(STDERR_FILENO, pwhook_held, pwhook_held_len);
	pwhook_held_len = 0;
	if (pwhook_mode == PWHOOK_LOG_DEFERRED)
		pwhook_mode = PWHOOK_LOG_SYSLOG;
}

void
pwhook_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pwhook_vlog(LOG_WARNING, "warn", fmt, ap);
	va_end(ap);
}

void
pwhook_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pwhook_vlog(LOG_INFO, "info", fmt, ap);
	va_end(ap);
}

void
pwhook_debug(const char *fmt, ...)
{
	va_list ap;

	if (pwhook_verbosity < 1)
		return;
	va_start(ap, fmt);
	pwhook_vlog(LOG_DEBUG, "debug", fmt, ap);
	va_end(ap);
}

const char *
pwhook_log_safe(const char *s, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < outlen; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[i] = '\0';
	return out;
}
