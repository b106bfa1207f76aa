/*
 * Connections to the domain controllers: open, secure (ldaps:// or
 * StartTLS, always verified), bind, fail over between the configured URIs,
 * reconnect with a growing pause, and read what the reader needs from the
 * rootDSE (dnsHostName, defaultNamingContext, highestCommittedUSN) and the
 * DSA object (invocationId). Runs on the thread that owns the struct
 * ad_conn. Trusts nothing the server sends: rootDSE values are checked for
 * length and form before they are kept.
 *
 * SECURITY:
 *  - TLS: a TLS context per handle (LDAP_OPT_X_TLS_NEWCTX) that demands a
 *    valid certificate, signed by a CA of ca_file (or the system bundle),
 *    naming the host; there is no setting that lowers this;
 *  - the bind password is loaded from its 0600 file for each bind and
 *    wiped right after ldap_sasl_bind_s() returns (libldap keeps no copy
 *    of a simple bind's credentials);
 *  - referrals are off: a referral would make libldap bind to a server we
 *    did not choose.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ad_internal.h"
#include "conf.h"
#include "err.h"
#include "log.h"
#include "secret.h"

/* The pause before round N of the URI list: 1, 2, 4... seconds, cap 30. */
#define AD_BACKOFF_MAX 30

struct timeval
ad_conn_timeout(const struct ad_conn *c)
{
	struct timeval tv = { .tv_sec = c->conf->timeout, .tv_usec = 0 };

	return tv;
}

/* libldap's diagnostic message of `ld` (borrowed into `out`). */
static void
ad_conn_diag(LDAP *ld, char *out, size_t outlen)
{
	char *msg = NULL;

	out[0] = '\0';
	if (ld != NULL && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE,
	    &msg) == LDAP_OPT_SUCCESS && msg != NULL) {
		/* SECURITY: server text, made printable and bounded. */
		ad_error_clean(msg, out, outlen);
		ldap_memfree(msg);
	}
}

/*
 * Can a TCP connection to the host and port of `uri` be made? Tells a TLS
 * failure (the port answers, the handshake failed) from an unreachable
 * server, since libldap reports both as "Can't contact LDAP server".
 */
static bool
ad_conn_tcp_ok(const char *uri, int timeout_s)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL,
	    *ai;
	LDAPURLDesc *lud = NULL;
	struct pollfd pfd;
	char port[8];
	bool ok = false;
	int fd, err;
	socklen_t elen = sizeof(err);

	if (ldap_url_parse(uri, &lud) != LDAP_URL_SUCCESS)
		return false;
	snprintf(port, sizeof(port), "%d", lud->lud_port != 0 ?
	    lud->lud_port : strcmp(lud->lud_scheme, "ldaps") == 0 ? 636 : 389);
	if (getaddrinfo(lud->lud_host != NULL ? lud->lud_host : "localhost",
	    port, &hints, &res) != 0)
		goto out;
	for (ai = res; ai != NULL && !ok; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			ok = true;
		} else if (errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, timeout_s * 1000) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
			    &elen) == 0 && err == 0)
				ok = true;
		}
		close(fd);
	}
out:
	if (res != NULL)
		freeaddrinfo(res);
	ldap_free_urldesc(lud);
	return ok;
}

static int
ad_conn_set(LDAP *ld, int opt, const void *val, const char *uri,
    const char *name, char *why, size_t whylen)
{
	if (ldap_set_option(ld, opt, val) == LDAP_OPT_SUCCESS)
		return 0;
	snprintf(why, whylen, "%s: cannot set %s in libldap", uri, name);
	return -ADSYNC_ECONFIG;
}

/* The error of a failed connect or bind on `ld`: a sentence and a code. */
static int
ad_conn_open_error(const struct conf_ad *conf, const char *uri, LDAP *ld,
    int rc, char *why, size_t whylen)
{
	char diag[512];

	ad_conn_diag(ld, diag, sizeof(diag));
	/*
	 * libldap says "Can't contact LDAP server" both when nothing
	 * listens and when the TLS handshake failed (GnuTLS gives no
	 * diagnostic, only "(unknown error code)"): if the port accepts a
	 * TCP connection, it was TLS.
	 */
	if (strstr(diag, "unknown error code") != NULL)
		diag[0] = '\0';
	if ((rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR) &&
	    (strncmp(uri, "ldaps://", 8) == 0 || conf->starttls) &&
	    ad_conn_tcp_ok(uri, (int)conf->network_timeout))
		rc = LDAP_CONNECT_ERROR;	/* port open: TLS failed */
	ad_error_connect(why, whylen, uri, rc, diag, conf->bind_dn,
	    conf->ca_file, conf->starttls);
	return rc == LDAP_CONNECT_ERROR ? -ADSYNC_ETLS : ad_error_code(rc);
}

int
ad_conn_open_uri(const struct conf_ad *conf, const char *uri, LDAP **out,
    char *why, size_t whylen)
{
	struct timeval nt = { .tv_sec = conf->network_timeout };
	struct timeval ot = { .tv_sec = conf->timeout };
	int version = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0;
	struct secret *pw = NULL;
	struct berval cred;
	const unsigned char *bytes;
	char swhy[512];
	size_t len;
	LDAP *ld = NULL;
	int rc, r;

	if ((rc = ldap_initialize(&ld, uri)) != LDAP_SUCCESS) {
		snprintf(why, whylen, "%s: not a usable LDAP URI (%s)", uri,
		    ldap_err2string(rc));
		return -ADSYNC_ECONFIG;
	}
	if ((r = ad_conn_set(ld, LDAP_OPT_PROTOCOL_VERSION, &version, uri,
	    "the protocol version", why, whylen)) < 0 ||
	    (r = ad_conn_set(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF, uri,
	    "referrals off", why, whylen)) < 0 ||
	    (r = ad_conn_set(ld, LDAP_OPT_RESTART, LDAP_OPT_ON, uri,
	    "restart", why, whylen)) < 0 ||
	    (r = ad_conn_set(ld, LDAP_OPT_NETWORK_TIMEOUT, &nt, uri,
	    "the network timeout", why, whylen)) < 0 ||
	    (r = ad_conn_set(ld, LDAP_OPT_TIMEOUT, &ot, uri,
	    "the timeout", why, whylen)) < 0 ||
	    (r = ad_conn_set(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand, uri,
	    "TLS certificate checks", why, whylen)) < 0)
		goto fail;
	if (conf->ca_file[0] != '\0' && (r = ad_conn_set(ld,
	    LDAP_OPT_X_TLS_CACERTFILE, conf->ca_file, uri, "ca_file", why,
	    whylen)) < 0)
		goto fail;
	/* A TLS context of this handle's own, built from the options above
	 * (never the process-wide default context). */
	if ((r = ad_conn_set(ld, LDAP_OPT_X_TLS_NEWCTX, &zero, uri,
	    "a TLS context (is ca_file readable PEM?)", why, whylen)) < 0)
		goto fail;
	rc = conf->starttls ? ldap_start_tls_s(ld, NULL, NULL) :
	    ldap_connect(ld);
	if (rc != LDAP_SUCCESS) {
		r = ad_conn_open_error(conf, uri, ld, rc, why, whylen);
		goto fail;
	}
	r = secret_load_file(conf->bind_password_file, "ad.bind_password_file",
	    SECRET_FILE_MAX, &pw, swhy, sizeof(swhy));
	if (r < 0) {
		snprintf(why, whylen, "bind_password_file: %s", swhy);
		r = -ADSYNC_ESECRET;
		goto fail;
	}
	bytes = secret_bytes(pw, &len);
	cred.bv_val = (char *)(uintptr_t)bytes;
	cred.bv_len = len;
	rc = ldap_sasl_bind_s(ld, conf->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL,
	    NULL, NULL);
	secret_free(pw);
	pw = NULL;
	if (rc != LDAP_SUCCESS) {
		r = ad_conn_open_error(conf, uri, ld, rc, why, whylen);
		goto fail;
	}
	*out = ld;
	return 0;
fail:
	secret_free(pw);
	ldap_unbind_ext_s(ld, NULL, NULL);
	return r;
}

/* First value of `attr` in `e` as text into `out`; 0 or -ADSYNC_EPROTO. */
static int
ad_conn_value(LDAP *ld, LDAPMessage *e, const char *attr, char *out,
    size_t outlen, size_t *lenp)
{
	struct berval **v = ldap_get_values_len(ld, e, attr);
	int r = 0;

	if (v == NULL || v[0] == NULL || v[0]->bv_len >= outlen) {
		r = -ADSYNC_EPROTO;
	} else {
		memcpy(out, v[0]->bv_val, v[0]->bv_len);
		out[v[0]->bv_len] = '\0';
		if (lenp != NULL)
			*lenp = v[0]->bv_len;
	}
	ldap_value_free_len(v);
	return r;
}

int
ad_conn_rootdse(struct ad_conn *c, char *why, size_t whylen)
{
	static const char *const attrs[] = {
		"dnsHostName", "defaultNamingContext", "dsServiceName",
		"highestCommittedUSN", "supportedControl", NULL,
	};
	static const char *const dsa_attrs[] = { "invocationId", NULL };
	struct timeval tv = ad_conn_timeout(c);
	LDAPMessage *res = NULL, *e;
	struct berval **v = NULL;
	struct obj_guid g;
	char num[32], inv[17];
	size_t i, len;
	int rc, r;

	rc = ldap_search_ext_s(c->ld, "", LDAP_SCOPE_BASE, "(objectClass=*)",
	    (char **)(uintptr_t)attrs, 0, NULL, NULL, &tv, 1, &res);
	if (rc != LDAP_SUCCESS) {
		r = ad_conn_fail(c, rc, "reading the rootDSE", why, whylen);
		goto out;
	}
	r = -ADSYNC_EPROTO;
	if ((e = ldap_first_entry(c->ld, res)) == NULL ||
	    ad_conn_value(c->ld, e, "dnsHostName", c->dc, sizeof(c->dc),
	    NULL) < 0 ||
	    ad_conn_value(c->ld, e, "defaultNamingContext", c->nc,
	    sizeof(c->nc), NULL) < 0 ||
	    ad_conn_value(c->ld, e, "dsServiceName", c->dsa, sizeof(c->dsa),
	    NULL) < 0 ||
	    ad_conn_value(c->ld, e, "highestCommittedUSN", num, sizeof(num),
	    &len) < 0 || obj_usn_parse(num, len, &c->highest_usn) < 0) {
		snprintf(why, whylen, "%s: the rootDSE lacks dnsHostName, "
		    "defaultNamingContext, dsServiceName or "
		    "highestCommittedUSN; is this an Active Directory domain "
		    "controller?", c->uris[c->cur]);
		goto out;
	}
	c->has_dirsync = c->has_notify = false;
	v = ldap_get_values_len(c->ld, e, "supportedControl");
	for (i = 0; v != NULL && v[i] != NULL; i++) {
		if (v[i]->bv_len == strlen(LDAP_CONTROL_X_DIRSYNC) &&
		    memcmp(v[i]->bv_val, LDAP_CONTROL_X_DIRSYNC,
		    v[i]->bv_len) == 0)
			c->has_dirsync = true;
		if (v[i]->bv_len == strlen(LDAP_CONTROL_X_SERVER_NOTIFICATION) &&
		    memcmp(v[i]->bv_val, LDAP_CONTROL_X_SERVER_NOTIFICATION,
		    v[i]->bv_len) == 0)
			c->has_notify = true;
	}
	ldap_value_free_len(v);
	ldap_msgfree(res);
	res = NULL;
	/*
	 * The invocationId names this DC's copy of the database; a restore
	 * from backup gives it a new one, and uSNs from before then mean
	 * nothing: the watermark keeps it to notice that.
	 */
	rc = ldap_search_ext_s(c->ld, c->dsa, LDAP_SCOPE_BASE,
	    "(objectClass=*)", (char **)(uintptr_t)dsa_attrs, 0, NULL, NULL,
	    &tv, 1, &res);
	if (rc != LDAP_SUCCESS) {
		r = ad_conn_fail(c, rc, "reading the invocationId", why,
		    whylen);
		goto out;
	}
	if ((e = ldap_first_entry(c->ld, res)) == NULL ||
	    ad_conn_value(c->ld, e, "invocationId", inv, sizeof(inv),
	    &len) < 0 || obj_guid_from_raw(inv, len, &g) < 0) {
		snprintf(why, whylen, "%s: cannot read the invocationId of "
		    "%s", c->uris[c->cur], c->dsa);
		r = -ADSYNC_EPROTO;
		goto out;
	}
	obj_guid_format(&g, c->invocation_id);
	r = 0;
out:
	ldap_msgfree(res);
	return r;
}

void
ad_conn_drop(struct ad_conn *c)
{
	if (c->ld != NULL) {
		ldap_unbind_ext_s(c->ld, NULL, NULL);
		c->ld = NULL;
	}
}

int
ad_conn_fail(struct ad_conn *c, int ldap_rc, const char *where, char *why,
    size_t whylen)
{
	char diag[512];

	ad_conn_diag(c->ld, diag, sizeof(diag));
	snprintf(why, whylen, "%s (%s): %s: %s%s%s%s", c->uris[c->cur],
	    c->dc[0] != '\0' ? c->dc : "?", where, ldap_err2string(ldap_rc),
	    diag[0] ? " (" : "", diag, diag[0] ? ")" : "");
	if (ad_error_is_transport(ldap_rc))
		ad_conn_drop(c);
	return ad_error_code(ldap_rc);
}

/* Appends "; " and `s` to `acc` (bounded). */
static void
ad_conn_append(char *acc, size_t acclen, const char *s)
{
	size_t n = strlen(acc);

	if (n + 3 < acclen)
		snprintf(acc + n, acclen - n, "%s%s", n > 0 ? "; " : "", s);
}

int
ad_conn_ensure(struct ad_conn *c, char *why, size_t whylen)
{
	char last[AD_URIS_MAX][512], all[AD_WHY_MAX];
	unsigned round, pause;
	size_t i;
	bool transient;
	int r = -ADSYNC_ETRANSPORT, rr;

	if (c->ld != NULL)
		return 0;
	for (round = 0; round <= c->conf->connect_retries; round++) {
		if (round > 0) {
			pause = 1u << (round - 1 < 5 ? round - 1 : 5);
			if (pause > AD_BACKOFF_MAX)
				pause = AD_BACKOFF_MAX;
			log_info("ad: no domain controller answered; trying "
			    "again in %u s", pause);
			sleep(pause);
		}
		transient = false;
		for (i = 0; i < c->nuris; i++) {
			rr = ad_conn_open_uri(c->conf, c->uris[i], &c->ld,
			    last[i], sizeof(last[i]));
			if (rr == 0) {
				c->cur = i;
				rr = ad_conn_rootdse(c, last[i],
				    sizeof(last[i]));
				if (rr == 0) {
					log_debug("ad: connected to %s (%s)",
					    c->uris[i], c->dc);
					return 0;
				}
				ad_conn_drop(c);
			}
			r = rr;
			log_debug("ad: %s", last[i]);
			/* Wrong credentials or a bad password file are the
			 * same on every DC; retrying could lock the account
			 * out. */
			if (rr == -ADSYNC_EAUTH || rr == -ADSYNC_ESECRET ||
			    rr == -ADSYNC_ECONFIG) {
				snprintf(why, whylen, "%s", last[i]);
				return rr;
			}
			if (rr == -ADSYNC_ETRANSPORT || rr == -ADSYNC_ETIMEOUT)
				transient = true;
		}
		/* A certificate that fails now fails in a second too. */
		if (!transient)
			break;
	}
	all[0] = '\0';
	for (i = 0; i < c->nuris; i++)
		ad_conn_append(all, sizeof(all), last[i]);
	snprintf(why, whylen, "no domain controller could be used: %s", all);
	return r;
}

int
ad_conn_new(const struct conf_ad *conf, struct ad_conn **out, char *why,
    size_t whylen)
{
	struct ad_conn *c;
	const char *p, *e;
	int r;

	if (conf->uri[0] == '\0' || conf->base_dn[0] == '\0' ||
	    conf->bind_dn[0] == '\0') {
		snprintf(why, whylen, "[ad] needs uri, base_dn and bind_dn; set "
		    "them in the configuration file (see adsync.conf(5))");
		return -ADSYNC_ECONFIG;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	c->conf = conf;
	c->dirsync_flags = -1;
	for (p = conf->uri; *p != '\0';) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != ' ' && *e != '\t'; e++)
			;
		if (c->nuris == AD_URIS_MAX || (size_t)(e - p) >= AD_URI_MAX) {
			snprintf(why, whylen, "[ad] uri: too many or too long "
			    "URIs");
			r = -ADSYNC_ECONFIG;
			goto fail;
		}
		if ((c->uris[c->nuris++] = strndup(p, (size_t)(e - p))) ==
		    NULL) {
			snprintf(why, whylen, "out of memory");
			r = -ENOMEM;
			goto fail;
		}
		p = e;
	}
	if ((r = ad_conn_ensure(c, why, whylen)) < 0)
		goto fail;
	*out = c;
	return 0;
fail:
	ad_conn_free(c);
	return r;
}

void
ad_conn_free(struct ad_conn *c)
{
	size_t i;

	if (c == NULL)
		return;
	ad_conn_drop(c);
	for (i = 0; i < c->nuris; i++)
		free(c->uris[i]);
	free(c);
}

const char *
ad_conn_uri(const struct ad_conn *c)
{
	return c->ld != NULL ? c->uris[c->cur] : "";
}

const char *
ad_conn_dc(const struct ad_conn *c)
{
	return c->dc;
}

void
ad_conn_read_others(struct ad_conn *c, bool on)
{
	c->read_others = on;
}
