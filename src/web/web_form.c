/*
 * Form, query and cookie parsing, HTML and URL encoding for the web console
 * (see web_form.h). Every parser takes a buffer and a length, checks the
 * limits on the encoded length before allocating (a decoded value is never
 * longer than its encoding), and wipes what it decoded when it gives up,
 * because the login and password forms carry passwords.
 * Pure; any thread; every input byte is untrusted.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "err.h"
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

static void web_why(char *why, size_t whylen, const char *fmt, ...)
    ATTR_PRINTF(3, 4);

static void
web_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

static int
web_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

ssize_t
web_text_check(const char *s, size_t len, bool allow_tab_crlf)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, need, k;
	unsigned long cp, min;
	ssize_t n = 0;

	while (i < len) {
		if (p[i] < 0x80) {
			cp = p[i];
			need = 0;
		} else if ((p[i] & 0xe0) == 0xc0) {
			need = 1;
			cp = p[i] & 0x1f;
			min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			need = 2;
			cp = p[i] & 0x0f;
			min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			need = 3;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else
			return -1;
		if (need > 0) {
			if (len - i <= need)
				return -1;
			for (k = 1; k <= need; k++) {
				if ((p[i + k] & 0xc0) != 0x80)
					return -1;
				cp = (cp << 6) | (p[i + k] & 0x3f);
			}
			if (cp < min || cp > 0x10ffff ||
			    (cp >= 0xd800 && cp <= 0xdfff))
				return -1;
		}
		if (cp < 0x20 && !(allow_tab_crlf &&
		    (cp == '\t' || cp == '\r' || cp == '\n')))
			return -1;
		if (cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
			return -1;
		i += need + 1;
		n++;
	}
	return n;
}

/*
 * Percent-decodes s[0..len) into out (room for len + 1 bytes, always
 * NUL-terminated); '+' is a space. Returns the decoded length, or -1 on a
 * '%' not followed by two hex digits. A decoded NUL is left for the
 * caller's text check to refuse.
 */
static ssize_t
web_form_decode(const char *s, size_t len, char *out)
{
	size_t i, n = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			if (len - i < 3)
				goto bad;
			hi = web_hex((unsigned char)s[i + 1]);
			lo = web_hex((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			out[n++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (s[i] == '+') {
			out[n++] = ' ';
		} else {
			out[n++] = s[i];
		}
	}
	out[n] = '\0';
	return (ssize_t)n;
bad:
	sodium_memzero(out, n);
	return -1;
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
		web_why(why, whylen, "more than %d form fields",
		    WEB_FORM_MAX_FIELDS);
		return -ADSYNC_ETOOBIG;
	}
	if (nlen > WEB_FORM_NAME_MAX) {
		web_why(why, whylen, "form field %zu: the name is longer than "
		    "%d bytes", f->n + 1, WEB_FORM_NAME_MAX);
		return -ADSYNC_ETOOBIG;
	}
	if (!web_form_name_ok(name, nlen)) {
		web_why(why, whylen, "form field %zu: the name is empty or "
		    "not made of A-Z a-z 0-9 _ . -", f->n + 1);
		return -ADSYNC_EPARSE;
	}
	/* SECURITY: the value may be a password: messages name the field,
	 * never quote the value. */
	if (vlen > WEB_FORM_VALUE_MAX) {
		web_why(why, whylen, "form field %.*s: the value is longer "
		    "than %d bytes", (int)nlen, name, WEB_FORM_VALUE_MAX);
		return -ADSYNC_ETOOBIG;
	}
	if (web_text_check(value, vlen, true) < 0) {
		web_why(why, whylen, "form field %.*s: the value is not "
		    "valid UTF-8 text (or holds a NUL or control character)",
		    (int)nlen, name);
		return -ADSYNC_EPARSE;
	}
	fl = &f->v[f->n];
	if ((fl->name = malloc(nlen + 1)) == NULL ||
	    (fl->value = malloc(vlen + 1)) == NULL) {
		free(fl->name);
		fl->name = NULL;
		web_why(why, whylen, "out of memory");
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
		web_why(why, whylen, "form longer than %d bytes",
		    WEB_FORM_BODY_MAX);
		return -ADSYNC_ETOOBIG;
	}
	if ((f = web_form_new()) == NULL) {
		web_why(why, whylen, "out of memory");
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
			web_why(why, whylen, "more than %d form fields",
			    WEB_FORM_MAX_FIELDS);
			r = -ADSYNC_ETOOBIG;
			goto fail;
		}
		eq = memchr(seg, '=', (size_t)(amp - seg));
		if (eq == NULL && !bare) {
			web_why(why, whylen, "form field %zu has no '=' "
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
			web_why(why, whylen, "form field %zu: the name is "
			    "longer than %d bytes", idx, WEB_FORM_NAME_MAX);
			r = -ADSYNC_ETOOBIG;
			goto fail;
		}
		if ((nlen = web_form_decode(seg, nenc, nbuf)) < 0) {
			web_why(why, whylen, "form field %zu: malformed "
			    "%%-escape in the name", idx);
			r = -ADSYNC_EPARSE;
			goto fail;
		}
		if (vencl > 3 * (size_t)WEB_FORM_VALUE_MAX) {
			web_why(why, whylen, "form field %zu: the value is "
			    "longer than %d bytes", idx, WEB_FORM_VALUE_MAX);
			r = -ADSYNC_ETOOBIG;
			goto fail;
		}
		if ((vbuf = malloc(vencl + 1)) == NULL) {
			web_why(why, whylen, "out of memory");
			r = -ENOMEM;
			goto fail;
		}
		if ((vlen = web_form_decode(venc, vencl, vbuf)) < 0) {
			web_why(why, whylen, "form field %zu: malformed "
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
