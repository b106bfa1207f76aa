/*
 * Error messages of the LDAP source: LDAP result codes to adsync codes,
 * AD's "data NNN" sub-codes of a failed bind, and the sentences that name
 * the domain controller, the likely cause and the fix. Pure; any thread.
 * The diagnostic text comes from the server and is only copied into
 * messages (bounded), never interpreted beyond finding "data NNN".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ad_internal.h"
#include "err.h"

const char *
ad_change_name(enum ad_change c)
{
	switch (c) {
	case AD_CHANGE_ADD:
		return "add";
	case AD_CHANGE_MODIFY:
		return "modify";
	case AD_CHANGE_MOVE:
		return "move";
	case AD_CHANGE_DELETE:
		return "delete";
	case AD_CHANGE_NONE:
		break;
	}
	return NULL;
}

bool
ad_error_is_transport(int ldap_rc)
{
	return ldap_rc == LDAP_SERVER_DOWN || ldap_rc == LDAP_CONNECT_ERROR ||
	    ldap_rc == LDAP_TIMEOUT || ldap_rc == LDAP_UNAVAILABLE ||
	    ldap_rc == LDAP_BUSY;
}

int
ad_error_code(int ldap_rc)
{
	switch (ldap_rc) {
	case LDAP_SUCCESS:
		return 0;
	case LDAP_INVALID_CREDENTIALS:
	case LDAP_INAPPROPRIATE_AUTH:
	case LDAP_STRONG_AUTH_REQUIRED:
	case LDAP_INSUFFICIENT_ACCESS:
		return -ADSYNC_EAUTH;
	case LDAP_TIMEOUT:
	case LDAP_TIMELIMIT_EXCEEDED:
		return -ADSYNC_ETIMEOUT;
	case LDAP_SERVER_DOWN:
	case LDAP_CONNECT_ERROR:
	case LDAP_UNAVAILABLE:
	case LDAP_BUSY:
		return -ADSYNC_ETRANSPORT;
	case LDAP_NO_SUCH_OBJECT:
		return -ADSYNC_ENOTFOUND;
	case LDAP_NO_MEMORY:
		return -ENOMEM;
	case LDAP_SIZELIMIT_EXCEEDED:
	case LDAP_ADMINLIMIT_EXCEEDED:
		return -ADSYNC_ELIMIT;
	case LDAP_DECODING_ERROR:
	case LDAP_PROTOCOL_ERROR:
	case LDAP_UNAVAILABLE_CRITICAL_EXTENSION:
		return -ADSYNC_EPROTO;
	default:
		return -ADSYNC_ESERVER;
	}
}

/*
 * AD explains a failed simple bind in the diagnostic message:
 * "80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext
 * error, data 52e, v4563". Samba sends the same form. The hex code after
 * "data " is the Win32 error of the logon.
 */
const char *
ad_error_ad_data(const char *diag, char out[8])
{
	static const struct {
		const char *code;
		const char *text;
	} codes[] = {
		{ "525", "user not found" },
		{ "52e", "invalid credentials" },
		{ "530", "logon not permitted at this time" },
		{ "531", "logon not permitted from this workstation" },
		{ "532", "password expired" },
		{ "533", "account disabled" },
		{ "568", "too many security IDs" },
		{ "701", "account expired" },
		{ "773", "password must be reset" },
		{ "775", "account locked out" },
	};
	const char *p;
	size_t i, n;

	if (diag == NULL || (p = strstr(diag, "data ")) == NULL)
		return NULL;
	p += 5;
	for (n = 0; n < 7 && ((p[n] >= '0' && p[n] <= '9') ||
	    (p[n] >= 'a' && p[n] <= 'f') || (p[n] >= 'A' && p[n] <= 'F'));
	    n++)
		out[n] = (char)(p[n] >= 'A' && p[n] <= 'F' ? p[n] + 32 : p[n]);
	if (n == 0 || n == 7)
		return NULL;
	out[n] = '\0';
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(codes[i].code, out) == 0)
			return codes[i].text;
	return "logon failed";
}

void
ad_error_clean(const char *in, char *out, size_t outlen)
{
	size_t i, j = 0;

	if (outlen == 0)
		return;
	for (i = 0; in != NULL && in[i] != '\0' && j + 1 < outlen; i++) {
		unsigned char ch = (unsigned char)in[i];

		out[j++] = ch < ' ' || ch == 0x7f ? ' ' : (char)ch;
	}
	while (j > 0 && out[j - 1] == ' ')
		j--;
	out[j] = '\0';
}

void
ad_error_connect(char *why, size_t whylen, const char *uri, int ldap_rc,
    const char *diag, const char *bind_dn, const char *ca_file,
    bool starttls)
{
	char d[256], code[8];
	const char *data, *ca = ca_file != NULL && ca_file[0] != '\0' ?
	    ca_file : "the system CA bundle";

	ad_error_clean(diag, d, sizeof(d));
	switch (ldap_rc) {
	case LDAP_INVALID_CREDENTIALS:
		data = ad_error_ad_data(diag, code);
		if (data != NULL)
			snprintf(why, whylen, "%s: %s (AD data %s) for "
			    "bind_dn %s; check bind_dn and the password in "
			    "bind_password_file", uri, data, code, bind_dn);
		else
			snprintf(why, whylen, "%s: invalid credentials for "
			    "bind_dn %s%s%s%s; check bind_dn and the password "
			    "in bind_password_file", uri, bind_dn,
			    d[0] ? " (" : "", d, d[0] ? ")" : "");
		return;
	case LDAP_STRONG_AUTH_REQUIRED:
	case LDAP_CONFIDENTIALITY_REQUIRED:
		snprintf(why, whylen, "%s: the server requires a protected "
		    "connection (%s); use ldaps:// or starttls = true", uri,
		    d[0] ? d : ldap_err2string(ldap_rc));
		return;
	case LDAP_CONNECT_ERROR:
		/*
		 * libldap reports a failed TLS handshake (certificate not
		 * trusted, name mismatch) as a connect error whose
		 * diagnostic names the TLS problem.
		 */
		snprintf(why, whylen, "%s: TLS%s failed%s%s%s; the server "
		    "certificate must be signed by a CA in ca_file (%s) and "
		    "name the host of the URI", uri, starttls ? " (StartTLS)" :
		    "", d[0] ? " (" : "", d, d[0] ? ")" : "", ca);
		return;
	case LDAP_SERVER_DOWN:
		snprintf(why, whylen, "%s: cannot connect%s%s%s; check that "
		    "the domain controller is up and reachable on that port",
		    uri, d[0] ? " (" : "", d, d[0] ? ")" : "");
		return;
	case LDAP_TIMEOUT:
		snprintf(why, whylen, "%s: no answer within network_timeout "
		    "or timeout; check the network path to the domain "
		    "controller", uri);
		return;
	default:
		snprintf(why, whylen, "%s: %s%s%s%s", uri,
		    ldap_err2string(ldap_rc), d[0] ? " (" : "", d,
		    d[0] ? ")" : "");
		return;
	}
}
