/*
 * Form, query and cookie parsing, HTML and URL encoding for the web console
 * (see web_form.h). Every parser takes a buffer and a length, checks the
 * limits on the encoded length before allocating (a decoded value is never
 * longer than its encoding), and wipes what it decoded when it gives up,
 * because the login and password forms carry passwords.
 * Pure; any thread; every input byte is untrusted.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "strparse.h"
#include "utf8.h"
#include "web_form.h"

struct web_form_field {
	char *name;	/* owned, NUL-terminated */
	size_t nlen;
	char *value;	/* owned, NUL-terminated, wiped on free */
	size_t vlen;
};

struct web_form {
	/* Fixed: the field count is bounded, so one allocation holds the
	 * whole index and adding never reallocates. */
	struct web_form_field v[WEB_FORM_MAX_FIELDS];
	size_t n;
};

ssize_t
web_text_check(const char *s, size_t len, bool allow_tab_crlf)
{
	size_t i = 0, k;
	uint32_t cp;
	ssize_t n = 0;

	while (i < len) {
		if ((k = utf8_decode(s + i, len - i, &cp)) == 0)
			return -1;
		if (cp < 0x20 && !(allow_tab_crlf &&
		    (cp == '\t' || cp == '\r' || cp == '\n')))
			return -1;
		if (cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
			return -1;
		i += k;
		n++;
	}
	return n;
}

static bool
web_form_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > WEB_FORM_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		    c == '-'))
			return false;
	}
	return true;
}

static void
web_form_field_wipe(struct web_form_field *fl)
{
	if (fl->value != NULL) {
		sodium_memzero(fl->value, fl->vlen);
		free(fl->value);
	}
	if (fl->name != NULL) {
		sodium_memzero(fl->name, fl->nlen);
		free(fl->name);
	}
	fl->name = fl->value = NULL;
	fl->nlen = fl->vlen = 0;
}

struct web_form *
web_form_new(void)
{
	return calloc(1, sizeof(struct web_form));
}

void
web_form_free(struct web_form *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++)
		web_form_field_wipe(&f->v[i]);
	free(f);
}

/* Checks a decoded name and value and appends copies. */
static int
web_form_push(struct web_form *f, const char *name, size_t nlen,
    const char *value, size_t vlen, char *why, size_t whylen)
{
	struct web_form_field *fl;

	if (f->n >= WEB_FORM_MAX_FIELDS) {
		err_why(why, whylen, "more than %d form fields",
		    WEB_FORM_MAX_FIELDS);
		return -ADSYNC_ETOOBIG;
	}
	if (nlen > WEB_FORM_NAME_MAX) {
		err_why(why, whylen, "form field %zu: the name is longer than "
		    "%d bytes", f->n + 1, WEB_FORM_NAME_MAX);
		return -ADSYNC_ETOOBIG;
	}
	if (!web_form_name_ok(name, nlen)) {
		err_why(why, whylen, "form field %zu: the name is empty or "
		    "not made of A-Z a-z 0-9 _ . -", f->n + 1);
		return -ADSYNC_EPARSE;
	}
	/* SECURITY: the value may be a password: messages name the field,
	 * never quote the value. */
	if (vlen > WEB_FORM_VALUE_MAX) {
		err_why(why, whylen, "form field %.*s: the value is longer "
		    "than %d bytes", (int)nlen, name, WEB_FORM_VALUE_MAX);
		return -ADSYNC_ETOOBIG;
	}
	if (web_text_check(value, vlen, true) < 0) {
		err_why(why, whylen, "form field %.*s: the value is not "
		    "valid UTF-8 text (or holds a NUL or control character)",
		    (int)nlen, name);
		return -ADSYNC_EPARSE;
	}
	fl = &f->v[f->n];
	if ((fl->name = malloc(nlen + 1)) == NULL ||
	    (fl->value = malloc(vlen + 1)) == NULL) {
		free(fl->name);
		fl->name = NULL;
		err_why(why, whylen, "out of memory");
		return -ENOMEM;
	}
	memcpy(fl->name, name, nlen);
	fl->name[nlen] = '\0';
	fl->nlen = nlen;
	if (vlen > 0)
		memcpy(fl->value, value, vlen);
	fl->value[vlen] = '\0';
	fl->vlen = vlen;
	f->n++;
	return 0;
}

int
web_form_add(struct web_form *f, const char *name, size_t nlen,
    const char *value, size_t vlen, char *why, size_t whylen)
{
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (value == NULL) {
		value = "";
		vlen = 0;
	}
	return web_form_push(f, name, nlen, value, vlen, why, whylen);
}

/*
 * The common body of web_form_parse() and web_query_parse(); `bare`
 * accepts a segment without '=' as an empty value.
 */
static int
web_form_parse_any(const char *s, size_t len, bool bare, struct web_form **out,
    char *why, size_t whylen)
{
	/* A name's encoding is at most three bytes per decoded byte. */
	char nbuf[3 * WEB_FORM_NAME_MAX + 1];
	const char *seg, *end, *amp, *eq, *venc;
	struct web_form *f = NULL;
	size_t nenc, vencl = 0, idx = 0;
	ssize_t nlen, vlen = 0;
	char *vbuf = NULL;
	int r = 0;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (len > WEB_FORM_BODY_MAX) {
		err_why(why, whylen, "form longer than %d bytes",
		    WEB_FORM_BODY_MAX);
		return -ADSYNC_ETOOBIG;
	}
	if ((f = web_form_new()) == NULL) {
		err_why(why, whylen, "out of memory");
		return -ENOMEM;
	}
	end = s + len;
	for (seg = s; seg < end; seg = amp + 1) {
		amp = memchr(seg, '&', (size_t)(end - seg));
		if (amp == NULL)
			amp = end;
		if (amp == seg)
			continue;
		idx++;
		if (f->n >= WEB_FORM_MAX_FIELDS) {
			err_why(why, whylen, "more than %d form fields",
			    WEB_FORM_MAX_FIELDS);
			r = -ADSYNC_ETOOBIG;
			goto fail;
		}
		eq = memchr(seg, '=', (size_t)(amp - seg));
		if (eq == NULL && !bare) {
			err_why(why, whylen, "form field %zu has no '=' "
			    "(expected NAME=VALUE)", idx);
			r = -ADSYNC_EPARSE;
			goto fail;
		}
		if (eq == NULL) {
			nenc = (size_t)(amp - seg);
			venc = amp;
			vencl = 0;
		} else {
			nenc = (size_t)(eq - seg);
			venc = eq + 1;
			vencl = (size_t)(amp - venc);
		}
		if (nenc >= sizeof(nbuf)) {
			err_why(why, whylen, "form field %zu: the name is "
			    "longer than %d bytes", idx, WEB_FORM_NAME_MAX);
			r = -ADSYNC_ETOOBIG;
			goto fail;
		}
		if ((nlen = strparse_pct_decode(seg, nenc, nbuf, true)) < 0) {
			err_why(why, whylen, "form field %zu: malformed "
			    "%%-escape in the name", idx);
			r = -ADSYNC_EPARSE;
			goto fail;
		}
		if (vencl > 3 * (size_t)WEB_FORM_VALUE_MAX) {
			err_why(why, whylen, "form field %zu: the value is "
			    "longer than %d bytes", idx, WEB_FORM_VALUE_MAX);
			r = -ADSYNC_ETOOBIG;
			goto fail;
		}
		if ((vbuf = malloc(vencl + 1)) == NULL) {
			err_why(why, whylen, "out of memory");
			r = -ENOMEM;
			goto fail;
		}
		if ((vlen = strparse_pct_decode(venc, vencl, vbuf, true)) < 0) {
			err_why(why, whylen, "form field %zu: malformed "
			    "%%-escape in the value", idx);
			r = -ADSYNC_EPARSE;
			goto fail;
		}
		/* The count check above keeps push's own "too many" from
		 * hiding behind the field number. */
		if ((r = web_form_push(f, nbuf, (size_t)nlen, vbuf,
		    (size_t)vlen, why, whylen)) < 0)
			goto fail;
		sodium_memzero(vbuf, (size_t)vlen);
		free(vbuf);
		vbuf = NULL;
	}
	*out = f;
	return 0;
fail:
	if (vbuf != NULL) {
		/* Decoding may have stopped part-way: wipe the whole
		 * allocation, not just what was counted. */
		sodium_memzero(vbuf, vencl + 1);
		free(vbuf);
	}
	web_form_free(f);
	return r;
}

int
web_form_parse(const char *body, size_t len, struct web_form **out,
    char *why, size_t whylen)
{
	return web_form_parse_any(body, len, false, out, why, whylen);
}

int
web_query_parse(const char *query, size_t len, struct web_form **out,
    char *why, size_t whylen)
{
	return web_form_parse_any(query, len, true, out, why, whylen);
}

const char *
web_form_get(const struct web_form *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->v[i].name, name) == 0)
			return f->v[i].value;
	return NULL;
}

size_t
web_form_count(const struct web_form *f, const char *name)
{
	size_t i, n = 0;

	if (name == NULL)
		return f->n;
	for (i = 0; i < f->n; i++)
		n += strcmp(f->v[i].name, name) == 0;
	return n;
}

bool
web_form_at(const struct web_form *f, size_t i, const char **name,
    const char **value)
{
	if (i >= f->n)
		return false;
	if (name != NULL)
		*name = f->v[i].name;
	if (value != NULL)
		*value = f->v[i].value;
	return true;
}

/* RFC 6265 section 4.1.1: cookie-octet. */
static bool
web_cookie_octet(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x2b) ||
	    (c >= 0x2d && c <= 0x3a) || (c >= 0x3c && c <= 0x5b) ||
	    (c >= 0x5d && c <= 0x7e);
}

int
web_cookie_get(const char *header, const char *name, char *out,
    size_t outlen)
{
	const char *p, *end, *semi, *a, *b, *eq;
	size_t hlen, nlen = strlen(name), vlen, i;

	if (header == NULL)
		return -ENOENT;
	hlen = strnlen(header, WEB_COOKIE_HEADER_MAX + 1);
	if (hlen > WEB_COOKIE_HEADER_MAX)
		return -ADSYNC_ETOOBIG;
	end = header + hlen;
	for (p = header; p < end; p = semi + 1) {
		semi = memchr(p, ';', (size_t)(end - p));
		if (semi == NULL)
			semi = end;
		/* Trim the optional white space around the pair. */
		for (a = p; a < semi && (*a == ' ' || *a == '\t'); a++)
			;
		for (b = semi; b > a && (b[-1] == ' ' || b[-1] == '\t'); b--)
			;
		eq = memchr(a, '=', (size_t)(b - a));
		if (eq == NULL || (size_t)(eq - a) != nlen || nlen == 0 ||
		    memcmp(a, name, nlen) != 0)
			continue;
		a = eq + 1;
		vlen = (size_t)(b - a);
		if (vlen > 0 && (a[0] == '"' || a[vlen - 1] == '"')) {
			if (vlen < 2 || a[0] != '"' || a[vlen - 1] != '"')
				return -ADSYNC_EPARSE;
			a++;
			vlen -= 2;
		}
		for (i = 0; i < vlen; i++)
			if (!web_cookie_octet((unsigned char)a[i]))
				return -ADSYNC_EPARSE;
		if (vlen >= outlen)
			return -ADSYNC_ETOOBIG;
		memcpy(out, a, vlen);
		out[vlen] = '\0';
		return 0;
	}
	return -ENOENT;
}

int
web_html_escape(struct buf *b, const char *s)
{
	const char *run = s, *ent;
	int r;

	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			ent = "&amp;";
			break;
		case '<':
			ent = "&lt;";
			break;
		case '>':
			ent = "&gt;";
			break;
		case '"':
			ent = "&quot;";
			break;
		case '\'':
			ent = "&#39;";
			break;
		default:
			continue;
		}
		if ((r = buf_add(b, run, (size_t)(s - run))) < 0 ||
		    (r = buf_addstr(b, ent)) < 0)
			return r;
		run = s + 1;
	}
	return buf_add(b, run, (size_t)(s - run));
}

int
web_url_encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *run = s;
	unsigned char c;
	char esc[3];
	int r;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			continue;
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 0x0f];
		if ((r = buf_add(b, run, (size_t)(s - run))) < 0 ||
		    (r = buf_add(b, esc, sizeof(esc))) < 0)
			return r;
		run = s + 1;
	}
	return buf_add(b, run, (size_t)(s - run));
}
