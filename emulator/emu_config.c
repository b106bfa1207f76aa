/*
 * Command line and --config parsing (see emu_config.h). getopt_long() keeps
 * global state, which is fine: this runs once, in main, before any thread,
 * and tests reset optind. Every value is checked here so that the server
 * never starts half-configured. Trusts nothing on the command line or in the
 * INI file; secrets are loaded with secret_load_file().
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "emu_config.h"
#include "err.h"
#include "net.h"
#include "rs_auth.h"
#include "secret.h"
#include "strparse.h"
#include "xmalloc.h"

#define EMU_INI_MAX (256 * 1024)
#define EMU_INI_LINE_MAX 199	/* libinih 55 truncates from 200 on */
#define EMU_INI_ACCOUNTS_MAX 256

enum {
	OPT_LISTEN = 256, OPT_ADMIN, OPT_CERT, OPT_KEY, OPT_STATE,
	OPT_ACCOUNT, OPT_USERKEY, OPT_SECRET, OPT_DOMAIN, OPT_ACCEPTED,
	OPT_MBXLIMIT, OPT_THROTTLE, OPT_SKEW, OPT_OFFSET, OPT_FAULTS,
	OPT_LATENCY, OPT_READY, OPT_THREADS, OPT_CONFIG, OPT_BODYMAX,
	OPT_REQLOG, OPT_HELP
};

static const struct option emu_config_opts[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "admin-listen", required_argument, NULL, OPT_ADMIN },
	{ "tls-cert", required_argument, NULL, OPT_CERT },
	{ "tls-key", required_argument, NULL, OPT_KEY },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "account", required_argument, NULL, OPT_ACCOUNT },
	{ "user-key", required_argument, NULL, OPT_USERKEY },
	{ "secret-key-file", required_argument, NULL, OPT_SECRET },
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "accepted-domain", required_argument, NULL, OPT_ACCEPTED },
	{ "mailbox-limit", required_argument, NULL, OPT_MBXLIMIT },
	{ "throttle", required_argument, NULL, OPT_THROTTLE },
	{ "clock-skew", required_argument, NULL, OPT_SKEW },
	{ "clock-offset", required_argument, NULL, OPT_OFFSET },
	{ "faults", required_argument, NULL, OPT_FAULTS },
	{ "latency-ms", required_argument, NULL, OPT_LATENCY },
	{ "ready-file", required_argument, NULL, OPT_READY },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "max-body", required_argument, NULL, OPT_BODYMAX },
	{ "request-log", required_argument, NULL, OPT_REQLOG },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 }
};

void
emu_config_usage(FILE *fp)
{
	fputs("usage: rsemu --listen ADDR:PORT [--admin-listen ADDR:PORT]\n"
	    "             [--tls-cert FILE --tls-key FILE] [--state FILE]\n"
	    "             --account NUM --user-key KEY --secret-key-file FILE\n"
	    "             --domain NAME[:exchange|rsemail|both] ...\n"
	    "             [--config FILE] [--accepted-domain DOMAIN:OTHER] "
	    "...\n"
	    "             [--mailbox-limit N] [--throttle rackspace|off|SPEC]\n"
	    "             [--clock-skew SECONDS] [--clock-offset SECONDS]\n"
	    "             [--faults SPEC] [--latency-ms MIN-MAX]\n"
	    "             [--ready-file FILE] [--threads N] [--max-body BYTES]"
	    "\n"
	    "             [--request-log N] [-v] [--help]\n"
	    "See rsemu(1).\n", fp);
}

static int
emu_config_err(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -ADSYNC_ECONFIG;
}

/* "OPTION: " before the sentence already in `why` (a parser's); as
 * emu_config_err(), which must not read what it writes. */
static int
emu_config_prefix(char *why, size_t whylen, const char *option)
{
	char tmp[1024];

	snprintf(tmp, sizeof(tmp), "%s", why);
	return emu_config_err(why, whylen, "%s: %s", option, tmp);
}

/* A DNS name of dot-separated labels, returned lower-cased and owned. */
static char *
emu_config_domain_name(const char *s, size_t len)
{
	char *d;
	size_t i, lab = 0;
	int labels = 0;

	if (len == 0 || len > EMU_DOMAIN_MAX)
		return NULL;
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (lab == 0 || lab > 63 || s[i - 1] == '-')
				return NULL;
			labels++;
			lab = 0;
			continue;
		}
		if (!(isalnum((unsigned char)s[i]) || (s[i] == '-' && lab > 0)))
			return NULL;
		lab++;
	}
	if (labels < 2)
		return NULL;
	d = xstrndup(s, len);
	for (i = 0; i < len; i++)
		d[i] = (char)tolower((unsigned char)d[i]);
	return d;
}

const char *
emu_config_service_name(int service)
{
	return service == EMU_SVC_BOTH ? "both" : service == EMU_SVC_EX ?
	    "exchange" : "rsemail";
}

static int
emu_config_add_domain(struct emu_config *c, const char *spec,
    long long account, const char *where, char *why, size_t whylen)
{
	const char *colon = strchr(spec, ':');
	size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);
	char *name;
	int svc = EMU_SVC_BOTH;
	size_t i;

	if (colon != NULL) {
		if (strcmp(colon + 1, "exchange") == 0)
			svc = EMU_SVC_EX;
		else if (strcmp(colon + 1, "rsemail") == 0)
			svc = EMU_SVC_RS;
		else if (strcmp(colon + 1, "both") != 0)
			return emu_config_err(why, whylen, "%s: service "
			    "\"%.40s\" unknown; use NAME:exchange, "
			    "NAME:rsemail or NAME:both", where, colon + 1);
	}
	if ((name = emu_config_domain_name(spec, nlen)) == NULL)
		return emu_config_err(why, whylen, "%s: \"%.80s\" is not a "
		    "domain name; use e.g. example.com:exchange", where, spec);
	for (i = 0; i < c->ndomains; i++) {
		if (strcmp(c->domains[i].name, name) == 0) {
			free(name);
			return emu_config_err(why, whylen, "%s: domain %.80s "
			    "is given twice; give each domain once", where,
			    spec);
		}
	}
	c->domains = xreallocarray(c->domains, c->ndomains + 1,
	    sizeof(*c->domains));
	c->domains[c->ndomains].name = name;
	c->domains[c->ndomains].account = account;
	c->domains[c->ndomains].service = svc;
	c->domains[c->ndomains].mailbox_limit = 0;
	c->ndomains++;
	return 0;
}

static int
emu_config_add_accepted(struct emu_config *c, const char *spec,
    const char *where, char *why, size_t whylen)
{
	const char *colon = strchr(spec, ':');
	char *d, *o;

	if (colon == NULL ||
	    (d = emu_config_domain_name(spec, (size_t)(colon - spec))) ==
	    NULL)
		return emu_config_err(why, whylen, "%s: \"%.80s\" is not "
		    "DOMAIN:OTHER; use e.g. example.com:example.org", where,
		    spec);
	if ((o = emu_config_domain_name(colon + 1, strlen(colon + 1))) ==
	    NULL) {
		free(d);
		return emu_config_err(why, whylen, "%s: \"%.80s\" is not "
		    "DOMAIN:OTHER; use e.g. example.com:example.org", where,
		    spec);
	}
	c->accepted = xreallocarray(c->accepted, c->naccepted + 1,
	    sizeof(*c->accepted));
	c->accepted[c->naccepted].domain = d;
	c->accepted[c->naccepted].other = o;
	c->naccepted++;
	return 0;
}

static int
emu_config_add_user(struct emu_config *c, const char *key, const char *file,
    long long account, const char *where, char *why, size_t whylen)
{
	char probe[RS_AUTH_KEY_MAX + 64];
	struct rs_auth_parts parts;
	size_t i;

	/* A key must be something rs_auth_parse() can return. */
	snprintf(probe, sizeof(probe), "%s:20010308143725:"
	    "46VIwd66mOFGG8IkbgnLlXnfnkU=", key);
	if (strlen(key) > RS_AUTH_KEY_MAX || rs_auth_parse(probe, &parts) < 0)
		return emu_config_err(why, whylen, "%s: user key \"%.40s\" "
		    "must be 1 to %d printable characters without ':' or "
		    "spaces", where, key, RS_AUTH_KEY_MAX);
	if (file[0] == '\0')
		return emu_config_err(why, whylen, "%s: user %.40s needs a "
		    "secret key file", where, key);
	for (i = 0; i < c->nusers; i++)
		if (strcmp(c->users[i].key, key) == 0)
			return emu_config_err(why, whylen, "%s: user key "
			    "%.40s is given twice; keys must be unique",
			    where, key);
	c->users = xreallocarray(c->users, c->nusers + 1, sizeof(*c->users));
	c->users[c->nusers].key = xstrdup(key);
	c->users[c->nusers].secret_file = xstrdup(file);
	c->users[c->nusers].account = account;
	c->users[c->nusers].secret = NULL;
	c->nusers++;
	return 0;
}

static int
emu_config_num(const char *s, long long min, long long max, long long *out,
    const char *flag, const char *hint, char *why, size_t whylen)
{
	const char *errstr;

	if (strparse_num(s, min, max, out, &errstr) < 0)
		return emu_config_err(why, whylen, "%s %.40s: %s; %s", flag, s,
		    errstr, hint);
	return 0;
}

/* The INI parser's state. */
struct emu_ini {
	struct emu_config *cfg;
	const char *name;
	long long account;	/* current section, 0 = none */
	long long acct[EMU_INI_ACCOUNTS_MAX];
	unsigned limit[EMU_INI_ACCOUNTS_MAX];
	size_t nacct;
	char dir[1024];		/* directory of the file, for relative paths */
	int err;
	char *why;
	size_t whylen;
};

static int
emu_ini_handler(void *user, const char *section, const char *key,
    const char *value)
{
	struct emu_ini *ini = user;
	char where[128], path[2048];
	const char *colon;
	long long v;
	char keybuf[RS_AUTH_KEY_MAX + 1];
	size_t klen;

	if (ini->err != 0)
		return 0;
	snprintf(where, sizeof(where), "%s [%s] %s", ini->name, section, key);
	if (strncmp(section, "account ", 8) != 0 ||
	    emu_config_num(section + 8, 1, EMU_ACCOUNT_MAX, &v, where,
	    "sections are [account NUMBER]", ini->why, ini->whylen) < 0) {
		ini->err = emu_config_err(ini->why, ini->whylen, "%s: sections "
		    "must be [account NUMBER]", where);
		return 0;
	}
	if (v != ini->account) {
		ini->account = v;
		if (ini->nacct == EMU_INI_ACCOUNTS_MAX) {
			ini->err = emu_config_err(ini->why, ini->whylen, "%s: "
			    "more than %d accounts", where,
			    EMU_INI_ACCOUNTS_MAX);
			return 0;
		}
		ini->acct[ini->nacct] = v;
		ini->limit[ini->nacct++] = 0;
	}
	if (strcmp(key, "user") == 0) {
		if ((colon = strchr(value, ':')) == NULL ||
		    (klen = (size_t)(colon - value)) == 0 ||
		    klen > RS_AUTH_KEY_MAX) {
			ini->err = emu_config_err(ini->why, ini->whylen, "%s: "
			    "expected user = KEY:SECRET_KEY_FILE", where);
			return 0;
		}
		memcpy(keybuf, value, klen);
		keybuf[klen] = '\0';
		if (colon[1] != '/' && ini->dir[0] != '\0')
			snprintf(path, sizeof(path), "%s/%s", ini->dir,
			    colon + 1);
		else
			snprintf(path, sizeof(path), "%s", colon + 1);
		ini->err = emu_config_add_user(ini->cfg, keybuf, path,
		    ini->account, where, ini->why, ini->whylen);
	} else if (strcmp(key, "domain") == 0)
		ini->err = emu_config_add_domain(ini->cfg, value, ini->account,
		    where, ini->why, ini->whylen);
	else if (strcmp(key, "accepted_domain") == 0)
		ini->err = emu_config_add_accepted(ini->cfg, value, where,
		    ini->why, ini->whylen);
	else if (strcmp(key, "mailbox_limit") == 0) {
		ini->err = emu_config_num(value, 0, 10000000, &v, where,
		    "give a number of mailboxes per domain (0 = unlimited)",
		    ini->why, ini->whylen);
		if (ini->err == 0)
			ini->limit[ini->nacct - 1] = (unsigned)v;
	} else
		ini->err = emu_config_err(ini->why, ini->whylen, "%s: unknown "
		    "key (use user, domain, accepted_domain, mailbox_limit)",
		    where);
	return ini->err == 0;
}

int
emu_config_parse_ini(const char *buf, size_t len, const char *name,
    struct emu_config *cfg, char *why, size_t whylen)
{
	struct emu_ini *ini;
	const char *p, *nl, *slash;
	char *text = NULL;
	size_t i, j, line = 1;
	int r = 0;

	why[0] = '\0';
	for (p = buf; p < buf + len; p = nl + 1, line++) {
		nl = memchr(p, '\n', (size_t)(buf + len - p));
		if (nl == NULL)
			nl = buf + len;
		if ((size_t)(nl - p) > EMU_INI_LINE_MAX)
			return emu_config_err(why, whylen, "%s:%zu: line "
			    "longer than %d bytes", name, line,
			    EMU_INI_LINE_MAX);
		if (memchr(p, '\0', (size_t)(nl - p)) != NULL)
			return emu_config_err(why, whylen, "%s:%zu: NUL "
			    "byte", name, line);
	}
	ini = xcalloc(1, sizeof(*ini));
	ini->cfg = cfg;
	ini->name = name;
	ini->why = why;
	ini->whylen = whylen;
	if ((slash = strrchr(name, '/')) != NULL &&
	    (size_t)(slash - name) < sizeof(ini->dir))
		memcpy(ini->dir, name, (size_t)(slash - name));
	text = xstrndup(buf, len);
	r = ini_parse_string(text, emu_ini_handler, ini);
	if (ini->err != 0)
		r = ini->err;
	else if (r != 0)
		r = emu_config_err(why, whylen, "%s:%d: syntax error "
		    "(expected [account NUMBER] and key = value lines)", name,
		    r);
	if (r == 0) {
		for (i = 0; i < ini->nacct; i++)
			for (j = 0; j < cfg->ndomains; j++)
				if (cfg->domains[j].account == ini->acct[i] &&
				    ini->limit[i] != 0)
					cfg->domains[j].mailbox_limit =
					    ini->limit[i];
	}
	free(text);
	free(ini);
	return r;
}

static int
emu_config_read_ini(struct emu_config *cfg, const char *path, char *why,
    size_t whylen)
{
	char *buf = NULL;
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return emu_config_err(why, whylen, "--config %s: %s; give a "
		    "readable file", path, adsync_strerror(-errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > EMU_INI_MAX) {
		r = emu_config_err(why, whylen, "--config %s: not a regular "
		    "file of at most %d bytes", path, EMU_INI_MAX);
		goto out;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0) {
			r = emu_config_err(why, whylen, "--config %s: read "
			    "failed", path);
			goto out;
		}
		got += (size_t)n;
	}
	r = emu_config_parse_ini(buf, got, path, cfg, why, whylen);
out:
	free(buf);
	close(fd);
	return r;
}


bool
emu_config_addr_is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	return false;
}

static void
emu_config_set(char **slot, const char *v)
{
	free(*slot);
	*slot = xstrdup(v);
}

/* Checks made once every option has been read. */
static int
emu_config_check(struct emu_config *c, char *why, size_t whylen)
{
	struct sockaddr_storage ss;
	unsigned sslen;
	size_t i, j;
	bool found;

	if (c->listen == NULL)
		return emu_config_err(why, whylen, "--listen is missing; give "
		    "e.g. --listen 127.0.0.1:8443 (port 0 picks a free port)");
	if (net_addr_parse(c->listen, &ss, &sslen) < 0)
		return emu_config_err(why, whylen, "--listen %.80s: not "
		    "ADDR:PORT; give e.g. 127.0.0.1:8443 or [::1]:0",
		    c->listen);
	if (c->tls_cert == NULL && !emu_config_addr_is_loopback(&ss))
		return emu_config_err(why, whylen, "--listen %.80s: plain HTTP "
		    "is allowed only on a loopback address; add --tls-cert "
		    "and --tls-key, or listen on 127.0.0.1", c->listen);
	if ((c->tls_cert == NULL) != (c->tls_key == NULL))
		return emu_config_err(why, whylen, "--tls-cert and --tls-key "
		    "go together; give both or neither");
	if (c->admin_listen != NULL) {
		if (net_addr_parse(c->admin_listen, &ss, &sslen) < 0)
			return emu_config_err(why, whylen, "--admin-listen "
			    "%.80s: not ADDR:PORT; give e.g. 127.0.0.1:0",
			    c->admin_listen);
		if (!emu_config_addr_is_loopback(&ss))
			return emu_config_err(why, whylen, "--admin-listen "
			    "%.80s: the admin API has no authentication and "
			    "listens on loopback only; use 127.0.0.1:PORT",
			    c->admin_listen);
	}
	if (c->nusers == 0)
		return emu_config_err(why, whylen, "no API user; give "
		    "--account NUM --user-key KEY --secret-key-file FILE, or "
		    "--config FILE");
	for (i = 0; i < c->naccepted; i++) {
		found = false;
		for (j = 0; j < c->ndomains; j++)
			if (strcmp(c->domains[j].name,
			    c->accepted[i].domain) == 0)
				found = true;
		if (!found)
			return emu_config_err(why, whylen, "--accepted-domain "
			    "%s:%s: %s is not a configured domain; add "
			    "--domain %s first", c->accepted[i].domain,
			    c->accepted[i].other, c->accepted[i].domain,
			    c->accepted[i].domain);
	}
	for (j = 0; j < c->ndomains; j++)
		if (c->domains[j].mailbox_limit == 0)
			c->domains[j].mailbox_limit = c->mailbox_limit;
	return 0;
}

int
emu_config_parse_args(int argc, char **argv, struct emu_config *c, char *why,
    size_t whylen)
{
	const char *acct_s = NULL, *key = NULL, *secret = NULL;
	char **domains = NULL;
	size_t ndomains = 0, i;
	long long v, account = 0;
	int ch, r = 0;

	memset(c, 0, sizeof(*c));
	why[0] = '\0';
	emu_throttle_defaults(&c->throttle);
	c->faults.stall_ms = EMU_FAULTS_STALL_DEFAULT;
	c->clock_skew = 900;
	c->threads = 4;
	c->body_max = EMU_BODY_MAX_DEFAULT;
	c->reqlog_max = EMU_REQLOG_DEFAULT;
	domains = xcalloc((size_t)argc + 1, sizeof(*domains));
	optind = 0;	/* GNU: full re-initialisation (tests parse twice) */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+vh", emu_config_opts, NULL)) !=
	    -1) {
		switch (ch) {
		case OPT_LISTEN:
			emu_config_set(&c->listen, optarg);
			break;
		case OPT_ADMIN:
			emu_config_set(&c->admin_listen, optarg);
			break;
		case OPT_CERT:
			emu_config_set(&c->tls_cert, optarg);
			break;
		case OPT_KEY:
			emu_config_set(&c->tls_key, optarg);
			break;
		case OPT_STATE:
			emu_config_set(&c->state_path, optarg);
			break;
		case OPT_READY:
			emu_config_set(&c->ready_file, optarg);
			break;
		case OPT_ACCOUNT:
			acct_s = optarg;
			if ((r = emu_config_num(optarg, 1, EMU_ACCOUNT_MAX,
			    &account, "--account", "give the customer account "
			    "number, e.g. --account 100042", why, whylen)) < 0)
				goto out;
			break;
		case OPT_USERKEY:
			key = optarg;
			break;
		case OPT_SECRET:
			secret = optarg;
			break;
		case OPT_DOMAIN:
			domains[ndomains++] = optarg;
			break;
		case OPT_ACCEPTED:
			if ((r = emu_config_add_accepted(c, optarg,
			    "--accepted-domain", why, whylen)) < 0)
				goto out;
			break;
		case OPT_MBXLIMIT:
			if ((r = emu_config_num(optarg, 0, 10000000, &v,
			    "--mailbox-limit", "give mailboxes per domain "
			    "(0 = unlimited)", why, whylen)) < 0)
				goto out;
			c->mailbox_limit = (unsigned)v;
			break;
		case OPT_THROTTLE:
			if ((r = emu_throttle_spec_parse(optarg, &c->throttle,
			    why, whylen)) < 0) {
				r = emu_config_prefix(why, whylen, "--throttle");
				goto out;
			}
			break;
		case OPT_SKEW:
			if ((r = emu_config_num(optarg, 0, 10LL * 365 * 86400,
			    &c->clock_skew, "--clock-skew", "give the accepted "
			    "signature window in seconds (default 900)", why,
			    whylen)) < 0)
				goto out;
			break;
		case OPT_OFFSET:
			if ((r = emu_config_num(optarg, -10LL * 365 * 86400,
			    10LL * 365 * 86400, &c->clock_offset,
			    "--clock-offset", "give seconds to add to the "
			    "server clock, e.g. -3600", why, whylen)) < 0)
				goto out;
			break;
		case OPT_FAULTS:
			if ((r = emu_faults_spec_parse(optarg, &c->faults, why,
			    whylen)) < 0) {
				r = emu_config_prefix(why, whylen, "--faults");
				goto out;
			}
			break;
		case OPT_LATENCY:
			if ((r = emu_faults_latency_parse(optarg,
			    &c->faults.latency_min, &c->faults.latency_max,
			    why, whylen)) < 0) {
				r = emu_config_prefix(why, whylen,
				    "--latency-ms");
				goto out;
			}
			break;
		case OPT_THREADS:
			if ((r = emu_config_num(optarg, 1, EMU_THREADS_MAX, &v,
			    "--threads", "give 1 to 64 worker threads", why,
			    whylen)) < 0)
				goto out;
			c->threads = (unsigned)v;
			break;
		case OPT_CONFIG:
			emu_config_set(&c->config_file, optarg);
			if ((r = emu_config_read_ini(c, optarg, why,
			    whylen)) < 0)
				goto out;
			break;
		case OPT_BODYMAX:
			if ((r = emu_config_num(optarg, 1024, 64 * 1024 * 1024,
			    &v, "--max-body", "give bytes from 1024 to 64 MiB",
			    why, whylen)) < 0)
				goto out;
			c->body_max = (size_t)v;
			break;
		case OPT_REQLOG:
			if ((r = emu_config_num(optarg, 0, 10000000, &v,
			    "--request-log", "give the number of requests to "
			    "keep (0 = none)", why, whylen)) < 0)
				goto out;
			c->reqlog_max = (size_t)v;
			break;
		case 'v':
			c->verbosity++;
			break;
		case 'h':
		case OPT_HELP:
			c->help = true;
			goto out;
		default:
			if (optopt >= OPT_LISTEN || (optopt == 0 &&
			    argv[optind - 1][0] == '-'))
				r = emu_config_err(why, whylen, "%s: unknown "
				    "option or missing value; see rsemu --help",
				    argv[optind - 1]);
			else
				r = emu_config_err(why, whylen, "-%c: unknown "
				    "option; see rsemu --help", optopt);
			goto out;
		}
	}
	if (optind < argc) {
		r = emu_config_err(why, whylen, "%s: unexpected argument; "
		    "options start with --", argv[optind]);
		goto out;
	}
	if (acct_s != NULL || key != NULL || secret != NULL) {
		if (acct_s == NULL || key == NULL || secret == NULL) {
			r = emu_config_err(why, whylen, "--account, --user-key "
			    "and --secret-key-file go together; give all "
			    "three");
			goto out;
		}
		if ((r = emu_config_add_user(c, key, secret, account,
		    "--user-key", why, whylen)) < 0)
			goto out;
	}
	if (ndomains > 0 && acct_s == NULL) {
		r = emu_config_err(why, whylen, "--domain needs --account "
		    "(domains of --config accounts go in the file)");
		goto out;
	}
	for (i = 0; i < ndomains; i++)
		if ((r = emu_config_add_domain(c, domains[i], account,
		    "--domain", why, whylen)) < 0)
			goto out;
	r = emu_config_check(c, why, whylen);
out:
	free(domains);
	return r;
}

int
emu_config_load_secrets(struct emu_config *cfg, char *why, size_t whylen)
{
	char tag[64], sub[256];
	size_t i;
	int r;

	for (i = 0; i < cfg->nusers; i++) {
		snprintf(tag, sizeof(tag), "rsemu.user%zu.secret_key", i);
		if ((r = secret_load_file(cfg->users[i].secret_file, tag,
		    4096, &cfg->users[i].secret, sub, sizeof(sub))) < 0)
			return emu_config_err(why, whylen, "--secret-key-file "
			    "%s: %s", cfg->users[i].secret_file,
			    sub[0] ? sub : adsync_strerror(r));
	}
	return 0;
}

void
emu_config_fini(struct emu_config *c)
{
	size_t i;

	for (i = 0; i < c->nusers; i++) {
		free(c->users[i].key);
		free(c->users[i].secret_file);
		secret_free(c->users[i].secret);
	}
	for (i = 0; i < c->ndomains; i++)
		free(c->domains[i].name);
	for (i = 0; i < c->naccepted; i++) {
		free(c->accepted[i].domain);
		free(c->accepted[i].other);
	}
	free(c->users);
	free(c->domains);
	free(c->accepted);
	free(c->listen);
	free(c->admin_listen);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->state_path);
	free(c->ready_file);
	free(c->config_file);
	memset(c, 0, sizeof(*c));
}

long
emu_config_user_find(const struct emu_config *cfg, const char *key)
{
	size_t i;

	for (i = 0; i < cfg->nusers; i++)
		if (strcmp(cfg->users[i].key, key) == 0)
			return (long)i;
	return -1;
}
