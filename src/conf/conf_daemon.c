/*
 * The [daemon] section: what `adsync daemon` listens on besides its control
 * socket. The password hook receiver (docs/pwsync.md): its address, the
 * names the domain controllers reach it by (they go into the receiver's
 * certificate and into every hook file), and how long a captured password
 * waits for its user's mailbox. The local web console (issue 8): its
 * address, its TLS certificate and key, and the file holding its admin
 * password hash. Pure data and checks; any thread.
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
/* "web_password_file = " plus the path stays under libinih's 199 bytes. */
#define DAEMON_PATH_MAX 160

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
		    "e.g. 127.0.0.1:8080 (this host only) or 0.0.0.0:8732 "
		    "(every interface)", value);
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

bool
conf_listen_is_loopback(const char *listen)
{
	const char *colon;

	if (listen == NULL || (colon = strrchr(listen, ':')) == NULL ||
	    colon == listen)
		return false;
	return conf_url_host_is_loopback(listen, (size_t)(colon - listen));
}

/*
 * SECURITY: the console's login form carries the admin password and its
 * pages the session cookie. On a loopback address only this host can
 * listen in; anywhere else plain HTTP would hand both to the network, so
 * a certificate and its key are required there. Names other than
 * localhost count as not loopback even if they resolve to 127.0.0.1: we
 * judge the text, not what DNS says today.
 */
static void
conf_daemon_check(const struct conf *conf, struct conf_report *r)
{
	const struct conf_daemon *d = &conf->daemon;
	bool cert = d->web_tls_cert[0] != '\0';
	bool key = d->web_tls_key_file[0] != '\0';
	const char *colon;

	if (cert && !key) {
		conf_report_add(r, "web_tls_cert", "web_tls_cert is set but "
		    "web_tls_key_file is not; set web_tls_key_file to the file "
		    "holding the certificate's private key (mode 0600), or "
		    "remove web_tls_cert");
		return;
	}
	if (key && !cert) {
		conf_report_add(r, "web_tls_key_file", "web_tls_key_file is "
		    "set but web_tls_cert is not; set web_tls_cert to the PEM "
		    "certificate chain of that key, or remove "
		    "web_tls_key_file");
		return;
	}
	if (d->web_listen[0] == '\0' || cert ||
	    conf_listen_is_loopback(d->web_listen))
		return;
	/* conf_daemon_check_listen() accepted it: the colon is there. */
	colon = strrchr(d->web_listen, ':');
	conf_report_add(r, "web_listen", "web_listen = %s would serve the "
	    "console in plain HTTP beyond this host; set web_tls_cert and "
	    "web_tls_key_file, or listen on 127.0.0.1%s", d->web_listen,
	    colon != NULL ? colon : ":8080");
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
	/* The console is for the administrator on this host; reaching it
	 * from elsewhere is a choice (and needs TLS, see the check). */
	{ .name = "web_listen", .type = CONF_T_STRING,
	  .offset = DM(web_listen), .max = DAEMON_LISTEN_MAX,
	  .def_str = "127.0.0.1:8080", .flags = CONF_F_EMPTY_OK,
	  .check = conf_daemon_check_listen },
	{ .name = "web_tls_cert", .type = CONF_T_PATH,
	  .offset = DM(web_tls_cert), .max = DAEMON_PATH_MAX, .def_str = "",
	  .flags = CONF_F_EMPTY_OK },
	{ .name = "web_tls_key_file", .type = CONF_T_PATH,
	  .offset = DM(web_tls_key_file), .max = DAEMON_PATH_MAX,
	  .def_str = "", .flags = CONF_F_SENSITIVE | CONF_F_EMPTY_OK,
	  .needed_if = "web_tls_cert" },
	/* Not CONF_F_SENSITIVE: `adsync web passwd` creates it, so it may
	 * not exist yet when the configuration is checked; src/web checks
	 * its mode each time it reads it. Empty: STATE_DIR/web.passwd. */
	{ .name = "web_password_file", .type = CONF_T_PATH,
	  .offset = DM(web_password_file), .max = DAEMON_PATH_MAX,
	  .def_str = "", .flags = CONF_F_EMPTY_OK },
	/* On unless the administrator says otherwise: a kernel without
	 * Landlock gets what it has (docs/SECURITY.md). */
	{ .name = "sandbox", .type = CONF_T_BOOL, .offset = DM(sandbox),
	  .def_num = 1 },
};

const struct conf_section conf_daemon_section = {
	.name = "daemon",
	.keys = conf_daemon_keys,
	.nkeys = sizeof(conf_daemon_keys) / sizeof(conf_daemon_keys[0]),
	.check = conf_daemon_check,
};
