/*
 * pwfilter_conf.c: the hook file parser of the Windows DLL (format in
 * docs/pwsync.md, "The hook file"). The DLL cannot link adsync's Linux
 * libraries, so this is a small, strict re-implementation of
 * pw_hookfile_parse(): key = value lines, '#' comments (whole lines, or
 * after whitespace), every key required, unknown and duplicate keys
 * refused, base64 with padding. Run once by InitializeChangeNotify on an
 * LSASS thread. Input: the hook file, bounded to PWF_HOOKFILE_MAX; error
 * messages name the line and key, never a value.
 */
#include "pwfilter.h"

#include <stdio.h>
#include <string.h>

enum {
	K_FORMAT = 1 << 0,
	K_DC = 1 << 1,
	K_RECEIVER = 1 << 2,
	K_CA_CERT = 1 << 3,
	K_CLIENT_CERT = 1 << 4,
	K_CLIENT_KEY = 1 << 5,
	K_CLIENT_P12 = 1 << 6,
	K_ALL = (1 << 7) - 1
};

static const struct {
	const char *name;
	int bit;
} keys[] = {
	{ "format", K_FORMAT },
	{ "dc", K_DC },
	{ "receiver", K_RECEIVER },
	{ "ca_cert", K_CA_CERT },
	{ "client_cert", K_CLIENT_CERT },
	{ "client_key", K_CLIENT_KEY },
	{ "client_p12", K_CLIENT_P12 },
};

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

BYTE *
pwf_base64_decode(const char *s, size_t len, DWORD *outlen)
{
	BYTE *out;
	size_t i, o = 0, pad = 0;

	if (len == 0 || len % 4 != 0 || len > PWF_HOOKFILE_MAX)
		return NULL;
	if (s[len - 1] == '=')
		pad++;
	if (s[len - 2] == '=')
		pad++;
	if ((out = pwf_alloc(len / 4 * 3)) == NULL)
		return NULL;
	for (i = 0; i < len; i += 4) {
		int v[4], k;
		bool last = i + 4 == len;

		for (k = 0; k < 4; k++) {
			if (last && s[i + k] == '=' && k >= 4 - (int)pad)
				v[k] = 0;
			else if ((v[k] = b64val((unsigned char)s[i + k])) < 0)
				goto fail;
		}
		out[o++] = (BYTE)(v[0] << 2 | v[1] >> 4);
		if (!last || pad < 2)
			out[o++] = (BYTE)((v[1] & 15) << 4 | v[2] >> 2);
		if (!last || pad < 1)
			out[o++] = (BYTE)((v[2] & 3) << 6 | v[3]);
	}
	*outlen = (DWORD)o;
	return out;
fail:
	pwf_free(out, len / 4 * 3);
	return NULL;
}

/* A DC name: 1..64 of [A-Za-z0-9._-], not starting with '.' or '-'. */
static bool
dc_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > PWF_DC_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			return false;
	}
	return true;
}

/* https://HOST:PORT[/]: HOST a DNS name, an IPv4 address or [IPv6]. */
static int
parse_receiver(const char *v, size_t n, struct pwf_conf *c)
{
	const char *h, *end = v + n, *colon, *hend;
	unsigned long port = 0;
	size_t hl, i;

	if (n < 9 || _strnicmp(v, "https://", 8) != 0)
		return -1;
	h = v + 8;
	if (end > h && end[-1] == '/')
		end--;
	if (*h == '[') {
		hend = memchr(h, ']', (size_t)(end - h));
		if (hend == NULL)
			return -1;
		h++;
		colon = hend + 1;
		if (colon >= end || *colon != ':')
			return -1;
	} else {
		colon = NULL;
		for (i = 0; h + i < end; i++)
			if (h[i] == ':')
				colon = h + i;
		if (colon == NULL)
			return -1;
		hend = colon;
	}
	hl = (size_t)(hend - h);
	if (hl == 0 || hl >= sizeof(c->host))
		return -1;
	/* Only a bracketed IPv6 literal may contain ':'. */
	if (h[-1] != '[' && memchr(h, ':', hl) != NULL)
		return -1;
	for (i = 0; i < hl; i++) {
		char ch = h[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
		    ch == ':'))
			return -1;
	}
	if (colon + 1 >= end || end - (colon + 1) > 5)
		return -1;
	for (const char *p = colon + 1; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port == 0 || port > 65535)
		return -1;
	memcpy(c->host, h, hl);
	c->host[hl] = 0;
	for (i = 0; i <= hl; i++)
		c->whost[i] = (WCHAR)(unsigned char)c->host[i];
	c->port = (INTERNET_PORT)port;
	return 0;
}

int
pwf_conf_parse(const char *text, size_t len, struct pwf_conf *out,
    char *why, size_t whylen)
{
	const char *p = text, *end = text + len;
	int seen = 0, lineno = 0;

	memset(out, 0, sizeof(*out));
	if (len > PWF_HOOKFILE_MAX) {
		snprintf(why, whylen, "file larger than %d bytes",
		    PWF_HOOKFILE_MAX);
		return -1;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *k, *ke, *v, *ve, *eq;
		size_t i;
		int bit = 0;

		lineno++;
		k = p;
		p = nl ? nl + 1 : end;
		if (le > k && le[-1] == '\r')
			le--;
		while (k < le && (*k == ' ' || *k == '\t'))
			k++;
		if (k == le || *k == '#')
			continue;
		for (const char *q = k; q < le; q++)
			if ((unsigned char)*q < 0x20 && *q != '\t') {
				snprintf(why, whylen,
				    "line %d: control character", lineno);
				return -1;
			}
		if ((eq = memchr(k, '=', (size_t)(le - k))) == NULL) {
			snprintf(why, whylen, "line %d: expected key = value",
			    lineno);
			return -1;
		}
		ke = eq;
		while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
			ke--;
		v = eq + 1;
		while (v < le && (*v == ' ' || *v == '\t'))
			v++;
		/* A '#' after whitespace starts a comment (the enrolment
		 * output annotates its values this way); base64, names and
		 * URLs never contain one. */
		ve = v;
		while (ve < le && !(*ve == '#' && ve > v &&
		    (ve[-1] == ' ' || ve[-1] == '\t')))
			ve++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if ((size_t)(ke - k) == strlen(keys[i].name) &&
			    memcmp(k, keys[i].name, (size_t)(ke - k)) == 0)
				bit = keys[i].bit;
		if (bit == 0) {
			snprintf(why, whylen, "line %d: unknown key (written "
			    "by a newer adsync? upgrade the hook)", lineno);
			return -1;
		}
		if (seen & bit) {
			snprintf(why, whylen, "line %d: duplicate key",
			    lineno);
			return -1;
		}
		seen |= bit;
		if (bit == K_FORMAT) {
			if (ve - v != 1 || *v != '1') {
				snprintf(why, whylen,
				    "line %d: format is not 1", lineno);
				return -1;
			}
		} else if (bit == K_DC) {
			if (!dc_ok(v, (size_t)(ve - v))) {
				snprintf(why, whylen,
				    "line %d: bad dc name", lineno);
				return -1;
			}
			memcpy(out->dc, v, (size_t)(ve - v));
			out->dc[ve - v] = 0;
		} else if (bit == K_RECEIVER) {
			if (parse_receiver(v, (size_t)(ve - v), out) < 0) {
				snprintf(why, whylen, "line %d: receiver is not"
				    " https://HOST:PORT", lineno);
				return -1;
			}
		} else {
			DWORD n = 0;
			BYTE *b = pwf_base64_decode(v, (size_t)(ve - v), &n);

			if (b == NULL) {
				snprintf(why, whylen, "line %d: bad base64",
				    lineno);
				return -1;
			}
			if (bit == K_CA_CERT) {
				out->ca_der = b;
				out->ca_len = n;
			} else if (bit == K_CLIENT_P12) {
				out->p12 = b;
				out->p12_len = n;
			} else {
				/* client_cert and client_key are for the
				 * Samba hook; only their syntax matters. */
				pwf_free(b, n);
			}
		}
	}
	if (seen != K_ALL) {
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!(seen & keys[i].bit)) {
				snprintf(why, whylen, "missing key %s",
				    keys[i].name);
				break;
			}
		return -1;
	}
	return 0;
}

int
pwf_conf_load(const WCHAR *path, struct pwf_conf *out, char *why,
    size_t whylen)
{
	HANDLE h;
	LARGE_INTEGER size;
	char *buf = NULL;
	DWORD got = 0;
	int rc = -1;

	size.QuadPart = 0;
	memset(out, 0, sizeof(*out));
	h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL,
	    OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		snprintf(why, whylen, "cannot open the hook file (error %lu)",
		    (unsigned long)GetLastError());
		return -1;
	}
	if (!GetFileSizeEx(h, &size) || size.QuadPart > PWF_HOOKFILE_MAX) {
		snprintf(why, whylen, "hook file larger than %d bytes",
		    PWF_HOOKFILE_MAX);
		goto out;
	}
	if ((buf = pwf_alloc((size_t)size.QuadPart + 1)) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	if (!ReadFile(h, buf, (DWORD)size.QuadPart, &got, NULL) ||
	    got != (DWORD)size.QuadPart) {
		snprintf(why, whylen, "cannot read the hook file");
		goto out;
	}
	rc = pwf_conf_parse(buf, got, out, why, whylen);
out:
	/* SECURITY: the text holds client_key and client_p12. */
	pwf_free(buf, (size_t)size.QuadPart + 1);
	CloseHandle(h);
	return rc;
}

void
pwf_conf_fini(struct pwf_conf *c)
{
	if (c == NULL)
		return;
	pwf_free(c->ca_der, c->ca_len);
	pwf_free(c->p12, c->p12_len);
	SecureZeroMemory(c, sizeof(*c));
}
