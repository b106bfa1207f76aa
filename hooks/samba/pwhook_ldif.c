/*
 * The LDIF record `samba-tool user syncpasswords --script` pipes to the
 * hook, one object per run, e.g.
 *
 *   dn: CN=alice,CN=Users,DC=example,DC=test
 *   objectGUID: 6f0c2b5e-...            (ldb prints it as text; a raw
 *   objectGUID:: XitsbwBx...             binary value is accepted too)
 *   sAMAccountName: alice
 *   userPrincipalName: alice@example.test
 *   pwdLastSet: 133...
 *   virtualClearTextUTF8:: UMOkc3N3...
 *
 * Lines starting with one space continue the previous one (RFC 2849
 * folding); "attr:: " values are base64. Single thread; the text comes from
 * samba-tool on the DC, but is parsed as untrusted and bounded.
 * SECURITY: the unfolded copy and the decoded password are wiped.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "pwhook.h"
#include "strparse.h"

/* Decodes an LDIF value: base64 (`b64`) or the text itself. 0 and *out
 * (malloc'd, NUL-terminated, *outlen bytes; wiped by the caller) or
 * -EINVAL. */
static int
pwhook_ldif_value(const char *v, size_t vlen, bool b64, char **out,
    size_t *outlen)
{
	size_t max = vlen + 3, got = 0;
	char *p;

	if ((p = malloc(max + 1)) == NULL)
		return -ENOMEM;
	if (!b64) {
		memcpy(p, v, vlen);
		got = vlen;
	} else if (sodium_base642bin((unsigned char *)p, max, v, vlen, NULL,
	    &got, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
		sodium_memzero(p, max + 1);
		free(p);
		return -EINVAL;
	}
	p[got] = '\0';
	*out = p;
	*outlen = got;
	return 0;
}

static void
pwhook_ldif_drop(char *p, size_t len)
{
	if (p != NULL) {
		sodium_memzero(p, len);
		free(p);
	}
}

/* Copies a name attribute (sAMAccountName, userPrincipalName). */
static int
pwhook_ldif_name(char *dst, size_t dstlen, const char *val, size_t len,
    const char *attr, char *why, size_t whylen)
{
	size_t i;

	if (len == 0 || len >= dstlen || memchr(val, '\0', len) != NULL) {
		snprintf(why, whylen, "%s: empty, too long or binary", attr);
		return -EINVAL;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)val[i] < 0x20 || val[i] == 0x7f) {
			snprintf(why, whylen, "%s: control character", attr);
			return -EINVAL;
		}
	memcpy(dst, val, len);
	dst[len] = '\0';
	return 0;
}

static int
pwhook_ldif_attr(struct pwhook_ldif *out, const char *name, size_t nlen,
    const char *val, size_t vlen, bool b64, char *why, size_t whylen)
{
	char *dec = NULL, num[32];
	const char *errstr;
	long long n;
	size_t dlen = 0, i;
	int r = 0;

#define IS(s) (nlen == strlen(s) && strncasecmp(name, s, nlen) == 0)
	if (!IS("objectGUID") && !IS("sAMAccountName") &&
	    !IS("userPrincipalName") && !IS("pwdLastSet") &&
	    !IS("virtualClearTextUTF8"))
		return 0;	/* dn, and whatever else the admin asked for */
	if ((r = pwhook_ldif_value(val, vlen, b64, &dec, &dlen)) < 0) {
		if (r == -EINVAL)
			snprintf(why, whylen, "%.*s: invalid base64", (int)nlen,
			    name);
		return r;
	}
	if (IS("objectGUID")) {
		if (dlen == 16 && b64)
			pw_guid_format((const unsigned char *)dec, out->guid);
		else if (dlen == 36 && pw_guid_ok(dec)) {
			for (i = 0; i < 36; i++)
				out->guid[i] = (dec[i] >= 'A' && dec[i] <= 'F')
				    ? (char)(dec[i] - 'A' + 'a') : dec[i];
			out->guid[36] = '\0';
		} else {
			snprintf(why, whylen, "objectGUID: neither 16 bytes "
			    "nor 8-4-4-4-12 hex");
			r = -EINVAL;
		}
	} else if (IS("sAMAccountName"))
		r = pwhook_ldif_name(out->account, sizeof(out->account), dec,
		    dlen, "sAMAccountName", why, whylen);
	else if (IS("userPrincipalName"))
		r = pwhook_ldif_name(out->upn, sizeof(out->upn), dec, dlen,
		    "userPrincipalName", why, whylen);
	else if (IS("pwdLastSet")) {
		/* Checked for syntax only: the receiver learns pwdLastSet
		 * from AD itself; a committed capture needs no proof. */
		bool ok = dlen > 0 && dlen < sizeof(num);

		if (ok) {
			memcpy(num, dec, dlen);
			num[dlen] = '\0';
			ok = strparse_num(num, -1, INT64_MAX, &n, &errstr) == 0;
		}
		if (!ok) {
			snprintf(why, whylen, "pwdLastSet: not a number");
			r = -EINVAL;
		}
	} else {
		if (out->password != NULL) {
			snprintf(why, whylen, "virtualClearTextUTF8: more than "
			    "one value");
			r = -EINVAL;
		} else if (dlen == 0 || dlen > PW_PASSWORD_MAX) {
			snprintf(why, whylen, "virtualClearTextUTF8: empty or "
			    "longer than %d bytes", PW_PASSWORD_MAX);
			r = -EINVAL;
		} else if ((out->password = secret_new(dec, dlen,
		    "password")) == NULL)
			r = -ENOMEM;
	}
#undef IS
	pwhook_ldif_drop(dec, dlen);
	return r;
}

int
pwhook_ldif_parse(const char *text, size_t len, struct pwhook_ldif *out,
    char *why, size_t whylen)
{
	char *u = NULL;
	size_t ulen = 0, i, n, nlen;
	const char *p, *end, *nl, *colon, *v;
	bool b64, seen_dn = false;
	int r = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (len > PWHOOK_LDIF_MAX) {
		snprintf(why, whylen, "LDIF larger than %d bytes",
		    PWHOOK_LDIF_MAX);
		return -EINVAL;
	}
	if ((u = malloc(len + 1)) == NULL)
		return -ENOMEM;
	/* Unfold: drop each "\n " (and "\r\n "); drop CRs before newlines. */
	for (i = 0; i < len; i++) {
		if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
			continue;
		if (text[i] == '\n' && i + 1 < len && text[i + 1] == ' ') {
			i++;
			continue;
		}
		u[ulen++] = text[i];
	}
	u[ulen] = '\0';
	if (memchr(u, '\0', ulen) != NULL) {
		snprintf(why, whylen, "NUL byte in the LDIF");
		goto out;
	}
	for (p = u, end = u + ulen; p < end; p = nl != NULL ? nl + 1 : end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		if (n == 0) {
			/* A blank line ends the record; samba-tool sends one
			 * object, so whatever follows is not ours. */
			if (seen_dn)
				break;
			continue;
		}
		if (p[0] == '#')
			continue;
		if ((colon = memchr(p, ':', n)) == NULL || colon == p) {
			snprintf(why, whylen, "LDIF line without attribute");
			goto out;
		}
		nlen = (size_t)(colon - p);
		v = colon + 1;
		b64 = v < p + n && *v == ':';
		if (b64)
			v++;
		else if (v < p + n && *v == '<') {
			/* A URL value; we never ask for one. */
			continue;
		}
		while (v < p + n && *v == ' ')
			v++;
		if (nlen == 2 && strncasecmp(p, "dn", 2) == 0) {
			seen_dn = true;
			continue;
		}
		if ((r = pwhook_ldif_attr(out, p, nlen, v,
		    (size_t)(p + n - v), b64, why, whylen)) < 0)
			goto out;
		r = -EINVAL;
	}
	r = 0;
out:
	pwhook_ldif_drop(u, len + 1);
	if (r < 0)
		pwhook_ldif_fini(out);
	return r;
}

void
pwhook_ldif_fini(struct pwhook_ldif *l)
{
	secret_free(l->password);
	sodium_memzero(l, sizeof(*l));
}
