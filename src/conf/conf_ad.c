/*
 * The [ad] section: which domain controllers to read, where in the tree,
 * as whom, how the server certificate is checked, and how the reader pages,
 * ranges, times out and notices changes. The keys feed src/ldap (see
 * docs/ldap.md and adsync.conf(5)). Pure data and checks; any thread.
 * Trusts nothing in the values.
 *
 * SECURITY: every URI must end up under TLS: ldaps://, or ldap:// with
 * starttls = true. A simple bind over plain LDAP would send the password
 * in the clear, so there is no way to configure one.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "conf_internal.h"
#include "strparse.h"

#define AD(field) offsetof(struct conf, ad.field)

/* "key = value" must stay under libinih's 199 bytes. */
#define AD_URI_MAX 190
#define AD_DN_MAX 180
#define AD_PATH_MAX 160
/* Most URIs in the list. */
#define AD_URIS_MAX 8

/* One host name label character, or a dot between labels. */
static bool
conf_ad_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/*
 * Checks one URI of `len` bytes: ldap[s]://HOST[:PORT], HOST a name, an
 * IPv4 address or [IPv6]. Sets *tls for ldaps://.
 */
static int
conf_ad_check_one(const char *u, size_t len, bool *tls, char *why,
    size_t whylen)
{
	size_t i, h, port_digits;
	unsigned long port = 0;

	if (len > 8 && strncmp(u, "ldaps://", 8) == 0) {
		*tls = true;
		i = 8;
	} else if (len > 7 && strncmp(u, "ldap://", 7) == 0) {
		*tls = false;
		i = 7;
	} else {
		snprintf(why, whylen, "\"%.*s\" is not an ldaps:// or "
		    "ldap:// URI; write e.g. ldaps://dc1.example.test",
		    (int)len, u);
		return -1;
	}
	h = i;
	if (u[i] == '[') {
		for (i++; i < len && u[i] != ']'; i++)
			if (!((u[i] >= '0' && u[i] <= '9') ||
			    (u[i] >= 'a' && u[i] <= 'f') ||
			    (u[i] >= 'A' && u[i] <= 'F') || u[i] == ':'))
				break;
		if (i == len || u[i] != ']') {
			snprintf(why, whylen, "\"%.*s\": bad IPv6 address; "
			    "write ldaps://[2001:db8::1]", (int)len, u);
			return -1;
		}
		i++;
	} else {
		while (i < len && conf_ad_host_char(u[i]))
			i++;
		if (i == h || u[h] == '.' || u[h] == '-') {
			snprintf(why, whylen, "\"%.*s\" has no valid host "
			    "name", (int)len, u);
			return -1;
		}
	}
	if (i < len && u[i] == ':') {
		port_digits = 0;
		for (i++; i < len && u[i] >= '0' && u[i] <= '9'; i++) {
			port = port * 10 + (unsigned long)(u[i] - '0');
			if (++port_digits > 5)
				break;
		}
		if (port_digits == 0 || port_digits > 5 || port == 0 ||
		    port > 65535) {
			snprintf(why, whylen, "\"%.*s\": the port must be a "
			    "number from 1 to 65535", (int)len, u);
			return -1;
		}
	}
	if (i < len && u[i] == '/' && i + 1 == len)
		i++;
	if (i != len) {
		snprintf(why, whylen, "\"%.*s\": only ldaps://HOST[:PORT] is "
		    "accepted (no path, user, query or non-ASCII host)",
		    (int)len, u);
		return -1;
	}
	return 0;
}

/* Walks the space-separated list; counts plain and TLS URIs. */
static int
conf_ad_uri_walk(const char *value, unsigned *nplain, unsigned *ntls,
    char *why, size_t whylen)
{
	const char *p = value, *u;
	unsigned n = 0;
	size_t len;
	bool tls;

	*nplain = *ntls = 0;
	while (strparse_word(&p, &u, &len)) {
		if (++n > AD_URIS_MAX) {
			snprintf(why, whylen, "more than %d URIs; list at "
			    "most %d domain controllers", AD_URIS_MAX,
			    AD_URIS_MAX);
			return -1;
		}
		if (conf_ad_check_one(u, len, &tls, why, whylen) < 0)
			return -1;
		if (tls)
			(*ntls)++;
		else
			(*nplain)++;
	}
	return 0;
}

static int
conf_ad_check_uri(const char *value, char *why, size_t whylen)
{
	unsigned nplain, ntls;

	return conf_ad_uri_walk(value, &nplain, &ntls, why, whylen);
}

/* A DN or a bind name: printable, no control characters (the reader
 * forbids those already), no leading or trailing blank. */
static int
conf_ad_check_blank(const char *value, char *why, size_t whylen)
{
	size_t len = strlen(value);

	if (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t')) {
		snprintf(why, whylen, "ends with a blank; remove it");
		return -1;
	}
	return 0;
}

/* One attribute type of an RDN, `len` bytes: a name (letter, then letters,
 * digits, '-') or an OID (digits and dots), RFC 4514 section 3. */
static bool
conf_dn_type_ok(const char *t, size_t len)
{
	size_t i;
	bool oid;

	if (len == 0)
		return false;
	oid = t[0] >= '0' && t[0] <= '9';
	for (i = 0; i < len; i++) {
		char c = t[i];

		if (oid ? !((c >= '0' && c <= '9') || c == '.') :
		    !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

bool
conf_dn_valid(const char *value)
{
	const char *p = value, *rdn = value, *eq = NULL;
	const char *t, *te;

	/*
	 * RDNs separated by ',' (or '+' inside a multi-valued RDN), each
	 * TYPE=VALUE with blanks allowed around TYPE; a backslash escapes
	 * the next byte. Values are not checked further: AD says what it
	 * holds, and a wrong but well-formed DN is the directory's to refuse
	 * (the sync names it then).
	 */
	for (;; p++) {
		if (*p == '\\') {
			if (p[1] == '\0' || eq == NULL)
				return false;
			p++;
			continue;
		}
		if (*p == '=' && eq == NULL)
			eq = p;
		if (*p != ',' && *p != '+' && *p != '\0')
			continue;
		if (eq == NULL)
			return false;
		for (t = rdn; *t == ' '; t++)
			;
		for (te = eq; te > t && te[-1] == ' '; te--)
			;
		if (!conf_dn_type_ok(t, (size_t)(te - t)))
			return false;
		if (*p == '\0')
			return true;
		rdn = p + 1;
		eq = NULL;
	}
}

static int
conf_ad_check_base_dn(const char *value, char *why, size_t whylen)
{
	if (conf_ad_check_blank(value, why, whylen) < 0)
		return -1;
	if (!conf_dn_valid(value)) {
		snprintf(why, whylen, "\"%s\" is not a distinguished name; "
		    "write the DN of the subtree to read, e.g. "
		    "DC=example,DC=test", value);
		return -1;
	}
	return 0;
}

/*
 * bind_dn: what AD takes in a simple bind, adsync.conf(5): a user principal
 * name (svc@example.test), a down-level name (EXAMPLE\svc) or a DN. A bare
 * account name binds nowhere (AD answers "invalid credentials", which
 * sends the administrator to the password), so it is refused here.
 */
static int
conf_ad_check_bind_dn(const char *value, char *why, size_t whylen)
{
	const char *at, *bs;

	if (conf_ad_check_blank(value, why, whylen) < 0)
		return -1;
	if (strchr(value, '=') != NULL) {
		if (conf_dn_valid(value))
			return 0;
		snprintf(why, whylen, "\"%s\" is not a distinguished name; "
		    "write the account as a UPN (svc-adsync@example.test), "
		    "DOMAIN\\user or a DN such as CN=svc-adsync,OU=Service,"
		    "DC=example,DC=test", value);
		return -1;
	}
	at = strchr(value, '@');
	bs = strchr(value, '\\');
	if (at != NULL && bs == NULL && at != value && at[1] != '\0' &&
	    strchr(at + 1, '@') == NULL)
		return 0;
	if (bs != NULL && at == NULL && bs != value && bs[1] != '\0' &&
	    strchr(bs + 1, '\\') == NULL)
		return 0;
	snprintf(why, whylen, "\"%s\" is not a user principal name (UPN), "
	    "DOMAIN\\user or distinguished name; write the account as a UPN, "
	    "e.g. svc-adsync@example.test", value);
	return -1;
}

static int
conf_ad_check_incremental(const char *value, char *why, size_t whylen)
{
	if (strcmp(value, "auto") == 0 || strcmp(value, "dirsync") == 0 ||
	    strcmp(value, "usn") == 0)
		return 0;
	snprintf(why, whylen, "\"%s\" is not auto, dirsync or usn", value);
	return -1;
}

static void
conf_ad_check(const struct conf *conf, struct conf_report *r)
{
	const struct conf_ad *ad = &conf->ad;
	unsigned nplain = 0, ntls = 0;
	char why[256];

	if (conf_ad_uri_walk(ad->uri, &nplain, &ntls, why, sizeof(why)) < 0)
		return;
	/* SECURITY: a simple bind must never travel in the clear. */
	if (nplain > 0 && !ad->starttls)
		conf_report_add(r, "uri", "ldap:// would send the bind "
		    "password unencrypted; use ldaps:// or set starttls = "
		    "true");
	if (ntls > 0 && ad->starttls)
		conf_report_add(r, "starttls", "starttls = true needs ldap:// "
		    "URIs (ldaps:// is TLS already); change the URIs or set "
		    "starttls = false");
	if (ad->uri[0] != '\0' && ad->base_dn[0] == '\0')
		conf_report_add(r, "base_dn", "uri is set but base_dn is not; "
		    "set base_dn, e.g. DC=example,DC=test");
	if (ad->network_timeout > ad->timeout)
		conf_report_add(r, "network_timeout", "network_timeout (%u s) "
		    "is longer than timeout (%u s); lower network_timeout or "
		    "raise timeout", ad->network_timeout, ad->timeout);
}

static const struct conf_key conf_ad_keys[] = {
	{ .name = "uri", .type = CONF_T_STRING, .offset = AD(uri),
	  .max = AD_URI_MAX, .def_str = "", .flags = CONF_F_EMPTY_OK,
	  .check = conf_ad_check_uri },
	{ .name = "base_dn", .type = CONF_T_STRING, .offset = AD(base_dn),
	  .max = AD_DN_MAX, .def_str = "", .flags = CONF_F_EMPTY_OK,
	  .check = conf_ad_check_base_dn },
	{ .name = "bind_dn", .type = CONF_T_STRING, .offset = AD(bind_dn),
	  .max = AD_DN_MAX, .def_str = "", .flags = CONF_F_EMPTY_OK,
	  .check = conf_ad_check_bind_dn },
	{ .name = "bind_password_file", .type = CONF_T_PATH,
	  .offset = AD(bind_password_file), .max = AD_PATH_MAX,
	  .def_str = "/etc/adsync/ad-bind.pw", .flags = CONF_F_SENSITIVE,
	  .needed_if = "bind_dn" },
	{ .name = "ca_file", .type = CONF_T_PATH, .offset = AD(ca_file),
	  .max = AD_PATH_MAX, .def_str = "", .flags = CONF_F_EMPTY_OK },
	{ .name = "starttls", .type = CONF_T_BOOL, .offset = AD(starttls),
	  .def_num = 0 },
	/* AD's MaxPageSize is 1000 by default; a larger page is cut to it. */
	{ .name = "page_size", .type = CONF_T_UINT, .offset = AD(page_size),
	  .min = 1, .max = 100000, .def_num = 1000 },
	/* AD's MaxValRange is 1500 (Windows 2003 and later). */
	{ .name = "range_size", .type = CONF_T_UINT,
	  .offset = AD(range_size), .min = 1, .max = 100000,
	  .def_num = 1500 },
	{ .name = "timeout", .type = CONF_T_UINT, .offset = AD(timeout),
	  .min = 1, .max = 3600, .def_num = 60 },
	{ .name = "network_timeout", .type = CONF_T_UINT,
	  .offset = AD(network_timeout), .min = 1, .max = 600,
	  .def_num = 10 },
	{ .name = "connect_retries", .type = CONF_T_UINT,
	  .offset = AD(connect_retries), .min = 0, .max = 20,
	  .def_num = 2 },
	{ .name = "incremental", .type = CONF_T_STRING,
	  .offset = AD(incremental), .max = 16, .def_str = "auto",
	  .check = conf_ad_check_incremental },
	{ .name = "notify", .type = CONF_T_BOOL, .offset = AD(notify),
	  .def_num = 1 },
	{ .name = "poll_interval", .type = CONF_T_UINT,
	  .offset = AD(poll_interval), .min = 1, .max = 86400,
	  .def_num = 300 },
};

const struct conf_section conf_ad_section = {
	.name = "ad",
	.keys = conf_ad_keys,
	.nkeys = sizeof(conf_ad_keys) / sizeof(conf_ad_keys[0]),
	.check = conf_ad_check,
};
