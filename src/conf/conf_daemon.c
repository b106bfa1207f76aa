/*
 * The [daemon] section: what `adsync daemon` listens on besides its control
 * socket. Today the password hook receiver (docs/pwsync.md): its address,
 * the names the domain controllers reach it by (they go into the
 * receiver's certificate and into every hook file), and how long a
 * captured password waits for its user's mailbox. Pure data and checks;
 * any thread.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "conf_internal.h"
#include "strparse.h"

#define DM(field) offsetof(struct conf, daemon.field)

#define DAEMON_LISTEN_MAX 64
#define DAEMON_NAMES_MAX 170

/* One host name or IPv4 address of [A-Za-z0-9.-], at most 253 bytes. */
static bool
conf_daemon_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 253 || s[0] == '.' || s[0] == '-' ||
	    s[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		    s[i] == '-'))
			return false;
	return true;
}

/*
 * ADDRESS:PORT with an IPv4 address (0.0.0.0 = every interface) or
 * [IPv6]; empty = no receiver. The port is checked here; the address when
 * the daemon binds (a name that does not resolve is a bind error there).
 */
int
conf_daemon_check_listen(const char *value, char *why, size_t whylen)
{
	const char *colon;
	long long port;
	const char *errstr;
	size_t hostlen;

	if (value[0] == '\0')
		return 0;
	colon = strrchr(value, ':');
	if (colon == NULL || colon == value) {
		snprintf(why, whylen, "\"%s\" is not ADDRESS:PORT; write "
		    "e.g. 0.0.0.0:8732 (every interface) or 10.0.0.5:8732",
		    value);
		return -1;
	}
	hostlen = (size_t)(colon - value);
	if (value[0] == '[' ? value[hostlen - 1] != ']' || hostlen < 3 :
	    !conf_daemon_name_ok(value, hostlen)) {
		snprintf(why, whylen, "\"%.*s\" is not an address; write an "
		    "IPv4 address, a host name or [an IPv6 address]",
		    (int)hostlen, value);
		return -1;
	}
	if (strparse_num(colon + 1, 1, 65535, &port, &errstr) < 0) {
		snprintf(why, whylen, "port \"%s\" is %s; write a port "
		    "between 1 and 65535", colon + 1, errstr);
		return -1;
	}
	return 0;
}

/* Space-separated host names or addresses; empty = this host's name. */
static int
conf_daemon_check_names(const char *value, char *why, size_t whylen)
{
	const char *p = value, *w;
	size_t len;

	while (strparse_word(&p, &w, &len))
		if (!conf_daemon_name_ok(w, len)) {
			snprintf(why, whylen, "\"%.*s\" is not a host name or "
			    "IPv4 address; list the names the domain "
			    "controllers use to reach this host, e.g. "
			    "adsync.example.test 10.0.0.5", (int)len, w);
			return -1;
		}
	return 0;
}

static const struct conf_key conf_daemon_keys[] = {
	/* Port 8732 is the seed's: the firewall rules administrators
	 * already have for Rackspace's Password Handler keep working. */
	{ .name = "hook_listen", .type = CONF_T_STRING,
	  .offset = DM(hook_listen), .max = DAEMON_LISTEN_MAX,
	  .def_str = "0.0.0.0:8732", .flags = CONF_F_EMPTY_OK,
	  .check = conf_daemon_check_listen },
	{ .name = "hook_names", .type = CONF_T_STRING,
	  .offset = DM(hook_names), .max = DAEMON_NAMES_MAX, .def_str = "",
	  .flags = CONF_F_EMPTY_OK, .check = conf_daemon_check_names },
	/* Minutes a captured password waits for its user to show up, to
	 * get a mailbox, or (pre-commit captures) for AD to confirm it. */
	{ .name = "password_hold", .type = CONF_T_UINT,
	  .offset = DM(password_hold), .min = 1, .max = 10080,
	  .def_num = 60 },
};

const struct conf_section conf_daemon_section = {
	.name = "daemon",
	.keys = conf_daemon_keys,
	.nkeys = sizeof(conf_daemon_keys) / sizeof(conf_daemon_keys[0]),
	.check = NULL,
};
