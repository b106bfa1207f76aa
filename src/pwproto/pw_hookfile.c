/*
 * The hook file (docs/pwsync.md "The hook file"): written by `adsync hook
 * enroll`, read by adsync-pwhook and the Windows DLL. Text, one `key =
 * value` per line. Pure except pw_hookfile_load(); any thread. The text is
 * trusted no more than any file: every line is bounded and checked, and
 * nothing of a value is ever quoted in a message (the file holds a key).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "pw_internal.h"
#include "pwproto.h"
#include "strparse.h"

enum pw_hf_key {
	PW_HF_FORMAT,
	PW_HF_DC,
	PW_HF_RECEIVER,
	PW_HF_CA_CERT,
	PW_HF_CLIENT_CERT,
	PW_HF_CLIENT_KEY,
	PW_HF_CLIENT_P12,
	PW_HF_COUNT
};

/* In the order pw_hookfile_write() prints them. */
static const char *const pw_hf_names[PW_HF_COUNT] = {
	[PW_HF_FORMAT] = "format",
	[PW_HF_DC] = "dc",
	[PW_HF_RECEIVER] = "receiver",
	[PW_HF_CA_CERT] = "ca_cert",
	[PW_HF_CLIENT_CERT] = "client_cert",
	[PW_HF_CLIENT_KEY] = "client_key",
	[PW_HF_CLIENT_P12] = "client_p12",
};

bool
pw_dc_name_ok(const char *dc)
{
	size_t i, n;

	if (dc == NULL)
		return false;
	n = strnlen(dc, PW_DC_MAX + 1);
	if (n == 0 || n > PW_DC_MAX || dc[0] == '.' || dc[0] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._-", dc[i]) == NULL)
			return false;
	return true;
}

/*
 * https://HOST[:PORT] and nothing more: the hook appends the paths itself,
 * and a user part, a query or a fragment have no use here but to confuse
 * the host name check.
 */
static bool
pw_receiver_ok(const char *s, size_t len)
{
	const char *p = s + 8, *end = s + len, *hend;
	char port[8];
	long long v;
	const char *errstr;
	size_t n;

	if (len <= 8 || len > PW_RECEIVER_MAX || strncmp(s, "https://", 8) != 0)
		return false;
	if (*p == '[') {
		if ((hend = memchr(p, ']', (size_t)(end - p))) == NULL ||
		    hend == p + 1)
			return false;
		for (p++; p < hend; p++)
			if (strchr("0123456789abcdefABCDEF:.", *p) == NULL)
				return false;
		p = hend + 1;
	} else {
		for (hend = p; hend < end && *hend != ':'; hend++)
			if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
			    "TUVWXYZ0123456789.-", *hend) == NULL)
				return false;
		if (hend == p || *p == '.' || *p == '-')
			return false;
		p = hend;
	}
	if (p == end)
		return true;
	if (*p != ':')
		return false;
	n = (size_t)(end - p - 1);
	if (n == 0 || n >= sizeof(port))
		return false;
	memcpy(port, p + 1, n);
	port[n] = '\0';
	return strparse_num(port, 1, 65535, &v, &errstr) == 0;
}

static bool
pw_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Handles one `key = value`; `val` is trimmed and not empty. */
static int
pw_hookfile_value(struct pw_hookfile *hf, enum pw_hf_key k, const char *val,
    size_t vlen, unsigned lineno, char *why, size_t whylen)
{
	unsigned char *bin = NULL;
	char tmp[PW_RECEIVER_MAX + 1];
	const char *errstr;
	long long fmt;
	size_t blen = 0;
	int r;

	switch (k) {
	case PW_HF_FORMAT:
		if (vlen >= 16)
			goto bad_format;
		memcpy(tmp, val, vlen);
		tmp[vlen] = '\0';
		if (strparse_num(tmp, 0, 1000000, &fmt, &errstr) != 0)
			goto bad_format;
		if (fmt != PW_HOOKFILE_FORMAT) {
			err_why(why, whylen, "line %u: format %lld is not "
			    "supported (this hook reads format %d; a newer "
			    "adsync wrote the file: upgrade the hook)", lineno,
			    fmt, PW_HOOKFILE_FORMAT);
			return -EINVAL;
		}
		return 0;
bad_format:
		err_why(why, whylen, "line %u: format: not a number", lineno);
		return -EINVAL;
	case PW_HF_DC:
		if (vlen > PW_DC_MAX)
			goto bad_dc;
		memcpy(tmp, val, vlen);
		tmp[vlen] = '\0';
		if (!pw_dc_name_ok(tmp))
			goto bad_dc;
		memcpy(hf->dc, tmp, vlen + 1);
		return 0;
bad_dc:
		err_why(why, whylen, "line %u: dc: not a DC name (1 to %d of "
		    "A-Z a-z 0-9 . _ -)", lineno, PW_DC_MAX);
		return -EINVAL;
	case PW_HF_RECEIVER:
		if (!pw_receiver_ok(val, vlen)) {
			err_why(why, whylen, "line %u: receiver: not "
			    "https://HOST[:PORT]", lineno);
			return -EINVAL;
		}
		if ((hf->receiver = strndup(val, vlen)) == NULL)
			return -ENOMEM;
		return 0;
	default:
		break;
	}

	if ((r = pw_b64_decode(val, vlen, &bin, &blen)) < 0) {
		if (r == -EINVAL)
			err_why(why, whylen, "line %u: %s: invalid base64",
			    lineno, pw_hf_names[k]);
		return r;
	}
	r = 0;
	switch (k) {
	case PW_HF_CA_CERT:
		hf->ca_der = bin;
		hf->ca_len = blen;
		bin = NULL;
		break;
	case PW_HF_CLIENT_CERT:
		hf->cert_der = bin;
		hf->cert_len = blen;
		bin = NULL;
		break;
	case PW_HF_CLIENT_KEY:
		if ((hf->key_der = secret_new(bin, blen, "hook.client_key")) ==
		    NULL)
			r = -ENOMEM;
		break;
	case PW_HF_CLIENT_P12:
		if ((hf->p12 = secret_new(bin, blen, "hook.client_p12")) ==
		    NULL)
			r = -ENOMEM;
		break;
	default:
		r = -EINVAL;
		break;
	}
	if (bin != NULL) {
		sodium_memzero(bin, blen);
		free(bin);
	}
	return r;
}

int
pw_hookfile_parse(const char *text, size_t len, struct pw_hookfile *out,
    char *why, size_t whylen)
{
	const char *p = text, *end = text + len, *nl, *eq, *k, *v, *c;
	bool seen[PW_HF_COUNT] = { false };
	size_t n, klen, vlen, i;
	unsigned lineno = 0;
	int r = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (len > PW_HOOKFILE_MAX) {
		err_why(why, whylen, "larger than %d bytes", PW_HOOKFILE_MAX);
		return -EINVAL;
	}
	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		/* A file that went through Windows may end lines in CRLF. */
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > PW_HOOKFILE_LINE_MAX) {
			err_why(why, whylen, "line %u: longer than %d bytes",
			    lineno, PW_HOOKFILE_LINE_MAX);
			goto fail;
		}
		if (memchr(p, '\0', n) != NULL) {
			err_why(why, whylen, "line %u: NUL byte", lineno);
			goto fail;
		}
		k = p;
		p = nl != NULL ? nl + 1 : end;
		while (n > 0 && pw_blank(*k)) {
			k++;
			n--;
		}
		if (n == 0 || *k == '#')
			continue;
		if ((eq = memchr(k, '=', n)) == NULL) {
			err_why(why, whylen, "line %u: expected key = value",
			    lineno);
			goto fail;
		}
		for (klen = (size_t)(eq - k); klen > 0 && pw_blank(k[klen - 1]);)
			klen--;
		v = eq + 1;
		vlen = n - (size_t)(v - k);
		/* `#` after a blank starts a comment (the example in
		 * docs/pwsync.md annotates values); no valid value holds a
		 * `#`, and one glued to a value makes it invalid. */
		for (c = v; c < v + vlen; c++)
			if (*c == '#' && c > v && pw_blank(c[-1])) {
				vlen = (size_t)(c - v);
				break;
			}
		while (vlen > 0 && pw_blank(*v)) {
			v++;
			vlen--;
		}
		while (vlen > 0 && pw_blank(v[vlen - 1]))
			vlen--;
		for (i = 0; i < PW_HF_COUNT; i++)
			if (strlen(pw_hf_names[i]) == klen &&
			    memcmp(pw_hf_names[i], k, klen) == 0)
				break;
		if (i == PW_HF_COUNT) {
			/* Key names are not secret, but print only a plain
			 * one: the line may be a pasted value. */
			bool plain = klen > 0 && klen <= 32;

			for (size_t j = 0; plain && j < klen; j++)
				plain = strchr("abcdefghijklmnopqrstuvwxyzABCD"
				    "EFGHIJKLMNOPQRSTUVWXYZ0123456789_-", k[j]) !=
				    NULL && k[j] != '\0';
			if (plain)
				err_why(why, whylen, "line %u: unknown key "
				    "\"%.*s\" (a newer adsync wrote this file: "
				    "upgrade the hook)", lineno, (int)klen, k);
			else
				err_why(why, whylen, "line %u: invalid key",
				    lineno);
			goto fail;
		}
		if (seen[i]) {
			err_why(why, whylen, "line %u: duplicate key \"%s\"",
			    lineno, pw_hf_names[i]);
			goto fail;
		}
		seen[i] = true;
		if (vlen == 0) {
			err_why(why, whylen, "line %u: %s: empty value", lineno,
			    pw_hf_names[i]);
			goto fail;
		}
		if ((r = pw_hookfile_value(out, (enum pw_hf_key)i, v, vlen,
		    lineno, why, whylen)) < 0) {
			if (r == -ENOMEM)
				err_why(why, whylen, "out of memory");
			goto fail;
		}
		r = -EINVAL;
	}
	for (i = 0; i < PW_HF_COUNT; i++)
		if (!seen[i]) {
			err_why(why, whylen, "missing key \"%s\"",
			    pw_hf_names[i]);
			goto fail;
		}
	return 0;
fail:
	pw_hookfile_fini(out);
	return r;
}

int
pw_hookfile_load(const char *path, struct pw_hookfile *out, char *why,
    size_t whylen)
{
	struct secret *text = NULL;
	const unsigned char *t;
	char sub[256];
	size_t len;
	int r;

	memset(out, 0, sizeof(*out));
	/* secret_load_file checks what we want for a file holding a private
	 * key: O_NOFOLLOW, a regular file, no group/other bits, the owner. */
	if ((r = secret_load_file(path, "hook_file", PW_HOOKFILE_MAX, &text,
	    why, whylen)) < 0)
		return r;
	t = secret_bytes(text, &len);
	if ((r = pw_hookfile_parse((const char *)t, len, out, sub,
	    sizeof(sub))) < 0)
		err_why(why, whylen, "%s: %s", path, sub);
	secret_free(text);
	return r;
}

int
pw_hookfile_write(const struct pw_hookfile *hf, struct buf *b)
{
	const unsigned char *kb, *pb;
	size_t kl, pl;
	int r;

	if (!pw_dc_name_ok(hf->dc) || hf->receiver == NULL ||
	    !pw_receiver_ok(hf->receiver, strlen(hf->receiver)) ||
	    hf->ca_der == NULL || hf->ca_len == 0 || hf->cert_der == NULL ||
	    hf->cert_len == 0 || hf->key_der == NULL || hf->p12 == NULL)
		return -EINVAL;
	kb = secret_bytes(hf->key_der, &kl);
	pb = secret_bytes(hf->p12, &pl);
	if (kl == 0 || pl == 0)
		return -EINVAL;
	if ((r = buf_printf(b, "# adsync hook configuration for %s (adsync "
	    "hook enroll); keep it secret\n"
	    "format = %d\ndc = %s\nreceiver = %s\n", hf->dc,
	    PW_HOOKFILE_FORMAT, hf->dc, hf->receiver)) < 0)
		return r;
	if ((r = buf_addstr(b, "ca_cert = ")) < 0 ||
	    (r = pw_b64_add(b, hf->ca_der, hf->ca_len)) < 0 ||
	    (r = buf_addstr(b, "\nclient_cert = ")) < 0 ||
	    (r = pw_b64_add(b, hf->cert_der, hf->cert_len)) < 0 ||
	    (r = buf_addstr(b, "\nclient_key = ")) < 0 ||
	    (r = pw_b64_add(b, kb, kl)) < 0 ||
	    (r = buf_addstr(b, "\nclient_p12 = ")) < 0 ||
	    (r = pw_b64_add(b, pb, pl)) < 0 ||
	    (r = buf_addc(b, '\n')) < 0)
		return r;
	return 0;
}

void
pw_hookfile_fini(struct pw_hookfile *hf)
{
	free(hf->receiver);
	free(hf->ca_der);
	free(hf->cert_der);
	secret_free(hf->key_der);
	secret_free(hf->p12);
	memset(hf, 0, sizeof(*hf));
}
