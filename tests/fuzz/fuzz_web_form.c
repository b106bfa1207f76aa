/*
 * Fuzz harness: the web console's parsers of what a browser sends
 * (web_form.h). The whole input is one form body (as MHD hands a POST body
 * over: no NUL), one query string, one decoded NAME=VALUE pair for
 * web_form_add(), and, up to its first NUL, one Cookie header.
 *
 * Checked: a refusal says why; a decoded form has at most
 * WEB_FORM_MAX_FIELDS fields whose names are 1..WEB_FORM_NAME_MAX bytes of
 * [A-Za-z0-9_.-] and whose values are text within WEB_FORM_VALUE_MAX;
 * encoding every field again (web_url_encode) parses back to the same
 * form; web_html_escape() leaves no markup character; a cookie value fits,
 * is made of cookie-octets, appears in the header, and is the same at any
 * buffer size it fits in. Single thread; inputs are capped at
 * WEB_FORM_BODY_MAX + 1 bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "web_form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_check_html(const char *v)
{
	struct buf b;
	const char *p;

	buf_init(&b, 6 * WEB_FORM_VALUE_MAX + 1);
	if (web_html_escape(&b, v) != 0)
		abort();
	for (p = buf_str(&b); *p != '\0'; p++) {
		if (*p == '<' || *p == '>' || *p == '"' || *p == '\'')
			abort();
		if (*p == '&' && strncmp(p, "&amp;", 5) != 0 &&
		    strncmp(p, "&lt;", 4) != 0 && strncmp(p, "&gt;", 4) != 0 &&
		    strncmp(p, "&quot;", 6) != 0 && strncmp(p, "&#39;", 5) != 0)
			abort();
	}
	buf_fini(&b);
}

/* Invariants of an accepted form, and its round trip through the URL
 * encoder and the parser. */
static void
fuzz_check_form(const struct web_form *f)
{
	const char *n, *v, *n2, *v2;
	struct web_form *back = NULL;
	size_t i, k, len, total = web_form_count(f, NULL);
	char why[256];
	struct buf b;

	if (total > WEB_FORM_MAX_FIELDS || web_form_at(f, total, &n, &v))
		abort();
	buf_init(&b, 3 * (WEB_FORM_NAME_MAX + WEB_FORM_VALUE_MAX + 2) *
	    WEB_FORM_MAX_FIELDS);
	for (i = 0; web_form_at(f, i, &n, &v); i++) {
		len = strlen(n);
		if (len == 0 || len > WEB_FORM_NAME_MAX ||
		    strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
		    "wxyz0123456789_.-") != len)
			abort();
		len = strlen(v);
		if (len > WEB_FORM_VALUE_MAX || web_text_check(v, len, true) < 0)
			abort();
		/* web_form_get gives the first of the name. */
		for (k = 0; web_form_at(f, k, &n2, &v2); k++)
			if (strcmp(n2, n) == 0)
				break;
		if (web_form_get(f, n) != v2 || web_form_count(f, n) == 0)
			abort();
		fuzz_check_html(v);
		if ((i > 0 && buf_addc(&b, '&') != 0) ||
		    web_url_encode(&b, n) != 0 || buf_addc(&b, '=') != 0 ||
		    web_url_encode(&b, v) != 0)
			abort();
	}
	/* The encoding may outgrow WEB_FORM_BODY_MAX; then it is refused
	 * for its size, and only that. */
	if (web_form_parse(buf_str(&b), b.len, &back, why, sizeof(why)) !=
	    0) {
		if (b.len <= WEB_FORM_BODY_MAX)
			abort();
		buf_fini(&b);
		return;
	}
	if (web_form_count(back, NULL) != total)
		abort();
	for (i = 0; web_form_at(f, i, &n, &v); i++)
		if (!web_form_at(back, i, &n2, &v2) || strcmp(n, n2) != 0 ||
		    strcmp(v, v2) != 0)
			abort();
	web_form_free(back);
	buf_fini(&b);
}

static void
fuzz_cookie(const char *header, const char *name)
{
	char small[8], big[WEB_COOKIE_HEADER_MAX + 1];
	int rs, rb;
	size_t i;

	rb = web_cookie_get(header, name, big, sizeof(big));
	rs = web_cookie_get(header, name, small, sizeof(small));
	if (rb != 0 && rb != -ENOENT && rb != -ADSYNC_EPARSE &&
	    rb != -ADSYNC_ETOOBIG)
		abort();
	if (rb != 0) {
		/* The big buffer holds any value of a header within the
		 * limit: a smaller one cannot do better. */
		if (rs == 0)
			abort();
		return;
	}
	if (strstr(header, big) == NULL)
		abort();
	for (i = 0; big[i] != '\0'; i++)
		if (big[i] <= ' ' || big[i] == '"' || big[i] == ',' ||
		    big[i] == ';' || big[i] == '\\' || big[i] >= 0x7f)
			abort();
	if (strlen(big) < sizeof(small)) {
		if (rs != 0 || strcmp(small, big) != 0)
			abort();
	} else if (rs != -ADSYNC_ETOOBIG) {
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *eq;
	struct web_form *f = NULL;
	char why[256], name[17], *hdr;
	size_t nlen;
	ssize_t nchars;
	int r;

	if (size > WEB_FORM_BODY_MAX + 1)
		return 0;

	nchars = web_text_check(s, size, true);
	if (nchars < -1 || (nchars >= 0 && (size_t)nchars > size))
		abort();

	why[0] = '\0';
	if ((r = web_form_parse(s, size, &f, why, sizeof(why))) == 0) {
		fuzz_check_form(f);
		web_form_free(f);
	} else if (why[0] == '\0' || (r != -ADSYNC_EPARSE &&
	    r != -ADSYNC_ETOOBIG && r != -ENOMEM)) {
		abort();
	}
	why[0] = '\0';
	if (web_query_parse(s, size, &f, why, sizeof(why)) == 0) {
		fuzz_check_form(f);
		web_form_free(f);
	} else if (why[0] == '\0') {
		abort();
	}

	/* One decoded pair: NAME=VALUE split at the first '='. */
	if ((f = web_form_new()) == NULL)
		abort();
	eq = memchr(s, '=', size);
	nlen = eq != NULL ? (size_t)(eq - s) : size;
	why[0] = '\0';
	if (web_form_add(f, s, nlen, eq != NULL ? eq + 1 : NULL,
	    eq != NULL ? size - nlen - 1 : 0, why, sizeof(why)) == 0)
		fuzz_check_form(f);
	else if (why[0] == '\0' || web_form_count(f, NULL) != 0)
		abort();
	web_form_free(f);

	/* The input up to its first NUL as a Cookie header; the names
	 * looked up are fixed ones and the header's first name. */
	if ((hdr = malloc(size + 1)) == NULL)
		abort();
	memcpy(hdr, s, size);
	hdr[size] = '\0';
	nlen = strcspn(hdr, "=;");
	if (nlen >= sizeof(name))
		nlen = sizeof(name) - 1;
	memcpy(name, hdr, nlen);
	name[nlen] = '\0';
	fuzz_cookie(hdr, "adsync_session");
	fuzz_cookie(hdr, "a");
	if (strlen(hdr) <= WEB_COOKIE_HEADER_MAX)
		fuzz_cookie(hdr, name);
	free(hdr);
	return 0;
}
