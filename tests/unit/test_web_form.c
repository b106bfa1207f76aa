/*
 * The web console's parsers and encoders (src/web/web_form.h): form and
 * query decoding with every refusal and limit, decoded fields added one by
 * one, text checks, the Cookie header, HTML escaping and URL encoding.
 * Single thread.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "web_form.h"

static int
parse(const char *s, struct web_form **f)
{
	char why[256];

	return web_form_parse(s, strlen(s), f, why, sizeof(why));
}

static void
test_form_basic(void **st)
{
	struct web_form *f = NULL;
	const char *n, *v;

	(void)st;
	assert_int_equal(parse("user=admin&password=p%40ss+w%C3%B6rd&"
	    "csrf.token_1-x=abc", &f), 0);
	assert_int_equal(web_form_count(f, NULL), 3);
	assert_string_equal(web_form_get(f, "user"), "admin");
	assert_string_equal(web_form_get(f, "password"), "p@ss w\xc3\xb6rd");
	assert_string_equal(web_form_get(f, "csrf.token_1-x"), "abc");
	assert_null(web_form_get(f, "User"));	/* case-sensitive */
	assert_true(web_form_at(f, 1, &n, &v));
	assert_string_equal(n, "password");
	assert_true(web_form_at(f, 2, NULL, &v));
	assert_string_equal(v, "abc");
	assert_false(web_form_at(f, 3, &n, &v));
	web_form_free(f);
	web_form_free(NULL);
}

static void
test_form_duplicates(void **st)
{
	struct web_form *f = NULL;
	const char *n, *v;

	(void)st;
	assert_int_equal(parse("a=1&b=x&a=2&a=3", &f), 0);
	assert_string_equal(web_form_get(f, "a"), "1");	/* the first */
	assert_int_equal(web_form_count(f, "a"), 3);
	assert_int_equal(web_form_count(f, "b"), 1);
	assert_int_equal(web_form_count(f, "c"), 0);
	assert_true(web_form_at(f, 2, &n, &v));		/* kept in order */
	assert_string_equal(n, "a");
	assert_string_equal(v, "2");
	assert_true(web_form_at(f, 3, &n, &v));
	assert_string_equal(v, "3");
	web_form_free(f);
}

static void
test_form_edges(void **st)
{
	struct web_form *f = NULL;

	(void)st;
	assert_int_equal(parse("", &f), 0);
	assert_int_equal(web_form_count(f, NULL), 0);
	web_form_free(f);
	assert_int_equal(parse("a=1&&b=&", &f), 0);	/* empty segments */
	assert_int_equal(web_form_count(f, NULL), 2);
	assert_string_equal(web_form_get(f, "b"), "");
	web_form_free(f);
	assert_int_equal(parse("a=x=y&b=%c3%a9%C3%A9", &f), 0);
	assert_string_equal(web_form_get(f, "a"), "x=y");
	assert_string_equal(web_form_get(f, "b"), "\xc3\xa9\xc3\xa9");
	web_form_free(f);
	/* TAB, CR and LF are text (a textarea sends CRLF). */
	assert_int_equal(parse("t=a%09b%0D%0Ac", &f), 0);
	assert_string_equal(web_form_get(f, "t"), "a\tb\r\nc");
	web_form_free(f);
	/* An escaped name is decoded before it is checked. */
	assert_int_equal(parse("%41b=1", &f), 0);
	assert_string_equal(web_form_get(f, "Ab"), "1");
	web_form_free(f);
	/* 4-byte UTF-8 (U+1F600). */
	assert_int_equal(parse("e=%F0%9F%98%80", &f), 0);
	web_form_free(f);
}

static void
test_form_bad(void **st)
{
	static const char *const bad[] = {
		"novalue",		/* no '=' */
		"a=1&b",
		"=x",			/* empty name */
		"a%20b=1",		/* name outside [A-Za-z0-9_.-] */
		"a[]=1",
		"%C3%A9=1",
		"a=%",			/* bad escapes */
		"a=%4",
		"a=%G1",
		"a=%4g",
		"%=1",
		"a=1%",
		"a=%00",		/* NUL */
		"a=%01",		/* control characters */
		"a=%1B",
		"a=%7F",		/* DEL */
		"a=%C2%85",		/* C1 (NEL) */
		"a=%C3%28",		/* invalid UTF-8 */
		"a=%ED%A0%80",		/* surrogate */
		"a=%C0%AF",		/* overlong */
		"a=%E0%80%AF",
		"a=%F4%90%80%80",	/* above U+10FFFF */
		"a=%FF",
		"a=%E2%82",		/* truncated */
		"a=%80",		/* lone continuation */
	};
	struct web_form *f, *const sentinel = (struct web_form *)&f;
	char why[256];
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = sentinel;
		why[0] = '\0';
		assert_int_equal(web_form_parse(bad[i], strlen(bad[i]), &f,
		    why, sizeof(why)), -ADSYNC_EPARSE);
		assert_ptr_equal(f, sentinel);	/* untouched on failure */
		assert_true(why[0] != '\0');
	}
	/* A message never quotes the value (it may be a password). */
	assert_true(web_form_parse("password=hunter2hunter%01", 25, &f, why,
	    sizeof(why)) < 0);
	assert_null(strstr(why, "hunter"));
	assert_non_null(strstr(why, "password"));
}

static void
test_form_limits(void **st)
{
	struct web_form *f = NULL;
	char why[256], *s;
	size_t i, n, cap = 2 * WEB_FORM_BODY_MAX;

	(void)st;
	s = malloc(cap + 1);
	assert_non_null(s);
	/* 64 fields are fine, 65 are not. */
	for (i = n = 0; i < WEB_FORM_MAX_FIELDS; i++)
		n += (size_t)snprintf(s + n, cap - n, "f%zu=1&", i);
	assert_int_equal(web_form_parse(s, n, &f, why, sizeof(why)), 0);
	assert_int_equal(web_form_count(f, NULL), WEB_FORM_MAX_FIELDS);
	web_form_free(f);
	n += (size_t)snprintf(s + n, cap - n, "x=1");
	assert_int_equal(web_form_parse(s, n, &f, why, sizeof(why)),
	    -ADSYNC_ETOOBIG);
	/* A name of 64 bytes is fine, 65 are not. */
	memset(s, 'n', WEB_FORM_NAME_MAX);
	memcpy(s + WEB_FORM_NAME_MAX, "=v", 2);
	assert_int_equal(web_form_parse(s, WEB_FORM_NAME_MAX + 2, &f, why,
	    sizeof(why)), 0);
	web_form_free(f);
	memset(s, 'n', WEB_FORM_NAME_MAX + 1);
	memcpy(s + WEB_FORM_NAME_MAX + 1, "=v", 2);
	assert_int_equal(web_form_parse(s, WEB_FORM_NAME_MAX + 3, &f, why,
	    sizeof(why)), -ADSYNC_ETOOBIG);
	/* ... also when it only gets long by decoding's arithmetic. */
	for (i = 0; i < 70; i++)
		memcpy(s + 3 * i, "%41", 3);
	memcpy(s + 210, "=v", 2);
	assert_int_equal(web_form_parse(s, 212, &f, why, sizeof(why)),
	    -ADSYNC_ETOOBIG);
	/* A value of 8 KiB is fine, one byte more is not. */
	memcpy(s, "v=", 2);
	memset(s + 2, 'x', WEB_FORM_VALUE_MAX);
	assert_int_equal(web_form_parse(s, 2 + WEB_FORM_VALUE_MAX, &f, why,
	    sizeof(why)), 0);
	assert_int_equal(strlen(web_form_get(f, "v")), WEB_FORM_VALUE_MAX);
	web_form_free(f);
	assert_int_equal(web_form_parse(s, 3 + WEB_FORM_VALUE_MAX, &f, why,
	    sizeof(why)), -ADSYNC_ETOOBIG);
	/* Escaped: 8 KiB decoded from 24 KiB is fine; 8 KiB + 1 is not. */
	for (i = 0; i < WEB_FORM_VALUE_MAX + 1; i++)
		memcpy(s + 2 + 3 * i, "%41", 3);
	assert_int_equal(web_form_parse(s, 2 + 3 * WEB_FORM_VALUE_MAX, &f,
	    why, sizeof(why)), 0);
	web_form_free(f);
	assert_int_equal(web_form_parse(s, 2 + 3 * (WEB_FORM_VALUE_MAX + 1),
	    &f, why, sizeof(why)), -ADSYNC_ETOOBIG);
	/* The whole body is bounded before anything is looked at. */
	memset(s, '&', WEB_FORM_BODY_MAX + 1);
	assert_int_equal(web_form_parse(s, WEB_FORM_BODY_MAX, &f, why,
	    sizeof(why)), 0);
	web_form_free(f);
	assert_int_equal(web_form_parse(s, WEB_FORM_BODY_MAX + 1, &f, why,
	    sizeof(why)), -ADSYNC_ETOOBIG);
	free(s);
}

static void
test_query(void **st)
{
	struct web_form *f = NULL;
	char why[256];
	const char *q = "verbose&page=2&q=a+b";

	(void)st;
	assert_int_equal(web_query_parse(q, strlen(q), &f, why, sizeof(why)),
	    0);
	assert_string_equal(web_form_get(f, "verbose"), "");
	assert_string_equal(web_form_get(f, "page"), "2");
	assert_string_equal(web_form_get(f, "q"), "a b");
	web_form_free(f);
	assert_int_equal(web_query_parse("a=%zz", 5, &f, why, sizeof(why)),
	    -ADSYNC_EPARSE);
	assert_int_equal(web_query_parse("b%20c", 5, &f, why, sizeof(why)),
	    -ADSYNC_EPARSE);
}

static void
test_form_add(void **st)
{
	struct web_form *f;
	char why[256], name[16];
	size_t i;

	(void)st;
	f = web_form_new();
	assert_non_null(f);
	assert_int_equal(web_form_add(f, "run", 3, "12", 2, why, sizeof(why)),
	    0);
	assert_int_equal(web_form_add(f, "flag", 4, NULL, 0, why,
	    sizeof(why)), 0);
	assert_string_equal(web_form_get(f, "flag"), "");
	/* Embedded NULs, bad names and values are refused. */
	assert_int_equal(web_form_add(f, "a\0b", 3, "x", 1, why, sizeof(why)),
	    -ADSYNC_EPARSE);
	assert_int_equal(web_form_add(f, "a", 1, "x\0y", 3, why, sizeof(why)),
	    -ADSYNC_EPARSE);
	assert_int_equal(web_form_add(f, "", 0, "x", 1, why, sizeof(why)),
	    -ADSYNC_EPARSE);
	assert_int_equal(web_form_add(f, "a", 1, "\xc3", 1, why, sizeof(why)),
	    -ADSYNC_EPARSE);
	assert_int_equal(web_form_count(f, NULL), 2);	/* unchanged */
	for (i = 2; i < WEB_FORM_MAX_FIELDS; i++) {
		snprintf(name, sizeof(name), "f%zu", i);
		assert_int_equal(web_form_add(f, name, strlen(name), "v", 1,
		    why, sizeof(why)), 0);
	}
	assert_int_equal(web_form_add(f, "x", 1, "v", 1, why, sizeof(why)),
	    -ADSYNC_ETOOBIG);
	assert_true(why[0] != '\0');
	web_form_free(f);
}

static void
test_text_check(void **st)
{
	(void)st;
	assert_int_equal(web_text_check("", 0, false), 0);
	assert_int_equal(web_text_check("abc", 3, false), 3);
	assert_int_equal(web_text_check("\xc3\xa9t\xc3\xa9", 5, false), 3);
	assert_int_equal(web_text_check("\xf0\x9f\x98\x80", 4, false), 1);
	assert_int_equal(web_text_check("a\tb", 3, false), -1);
	assert_int_equal(web_text_check("a\tb\r\n", 5, true), 5);
	assert_int_equal(web_text_check("a\0b", 3, true), -1);
	assert_int_equal(web_text_check("\x7f", 1, true), -1);
	assert_int_equal(web_text_check("\xc2\x9f", 2, true), -1);
	assert_int_equal(web_text_check("\xc2\xa0", 2, true), 1);
	assert_int_equal(web_text_check("\xe2\x82", 2, true), -1);
}

static void
test_cookie(void **st)
{
	char out[64], *big;

	(void)st;
	assert_int_equal(web_cookie_get("a=b; sid=xyz; c=d", "sid", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "xyz");
	assert_int_equal(web_cookie_get("sid=1", "sid", out, sizeof(out)), 0);
	assert_string_equal(out, "1");
	assert_int_equal(web_cookie_get("a=b;c=d", "c", out, sizeof(out)), 0);
	assert_string_equal(out, "d");
	assert_int_equal(web_cookie_get(" \tsid=v \t; x=y", "sid", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "v");
	assert_int_equal(web_cookie_get("sid=\"quoted\"", "sid", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "quoted");
	assert_int_equal(web_cookie_get("sid=", "sid", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* The first of a repeated name wins; names match exactly. */
	assert_int_equal(web_cookie_get("sid=1; sid=2", "sid", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "1");
	assert_int_equal(web_cookie_get("xsid=1; sidx=2; SID=3; sid=4", "sid",
	    out, sizeof(out)), 0);
	assert_string_equal(out, "4");
	/* Someone else's odd cookies do not get in the way. */
	assert_int_equal(web_cookie_get("junk; x=a b; y=\x01; =z; sid=ok",
	    "sid", out, sizeof(out)), 0);
	assert_string_equal(out, "ok");
	/* Absent. */
	assert_int_equal(web_cookie_get(NULL, "sid", out, sizeof(out)),
	    -ENOENT);
	assert_int_equal(web_cookie_get("", "sid", out, sizeof(out)), -ENOENT);
	assert_int_equal(web_cookie_get("a=b", "sid", out, sizeof(out)),
	    -ENOENT);
	assert_int_equal(web_cookie_get("sid", "sid", out, sizeof(out)),
	    -ENOENT);
	/* Ours, malformed. */
	assert_int_equal(web_cookie_get("sid=a b", "sid", out, sizeof(out)),
	    -ADSYNC_EPARSE);
	assert_int_equal(web_cookie_get("sid=\"open", "sid", out,
	    sizeof(out)), -ADSYNC_EPARSE);
	assert_int_equal(web_cookie_get("sid=\"", "sid", out, sizeof(out)),
	    -ADSYNC_EPARSE);
	assert_int_equal(web_cookie_get("sid=a,b", "sid", out, sizeof(out)),
	    -ADSYNC_EPARSE);
	assert_int_equal(web_cookie_get("sid=a\\b", "sid", out, sizeof(out)),
	    -ADSYNC_EPARSE);
	assert_int_equal(web_cookie_get("sid=\xc3\xa9", "sid", out,
	    sizeof(out)), -ADSYNC_EPARSE);
	/* Bounds: the value and the header. */
	assert_int_equal(web_cookie_get("sid=12345", "sid", out, 5),
	    -ADSYNC_ETOOBIG);
	assert_int_equal(web_cookie_get("sid=1234", "sid", out, 5), 0);
	big = malloc(WEB_COOKIE_HEADER_MAX + 2);
	assert_non_null(big);
	memset(big, 'a', WEB_COOKIE_HEADER_MAX + 1);
	memcpy(big, "sid=1; b=", 9);
	big[WEB_COOKIE_HEADER_MAX] = '\0';
	assert_int_equal(web_cookie_get(big, "sid", out, sizeof(out)), 0);
	big[WEB_COOKIE_HEADER_MAX] = 'a';
	big[WEB_COOKIE_HEADER_MAX + 1] = '\0';
	assert_int_equal(web_cookie_get(big, "sid", out, sizeof(out)),
	    -ADSYNC_ETOOBIG);
	free(big);
}

static void
test_html_escape(void **st)
{
	struct buf b;

	(void)st;
	buf_init(&b, 1024);
	assert_int_equal(web_html_escape(&b, "<a href=\"x\">'&'</a>"), 0);
	assert_string_equal(buf_str(&b),
	    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
	buf_reset(&b);
	assert_int_equal(web_html_escape(&b, ""), 0);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(web_html_escape(&b, "plain \xc3\xa9"), 0);
	assert_string_equal(buf_str(&b), "plain \xc3\xa9");
	buf_fini(&b);
	/* The buffer's limit holds, escapes included. */
	buf_init(&b, 8);
	assert_int_equal(web_html_escape(&b, "<<<"), -ADSYNC_ETOOBIG);
	buf_fini(&b);
}

static void
test_url_encode(void **st)
{
	static const char *const s = "a b&c=d/\xc3\xa9~._-+%";
	struct web_form *f = NULL;
	char why[256];
	struct buf b;

	(void)st;
	buf_init(&b, 1024);
	assert_int_equal(web_url_encode(&b, s), 0);
	assert_string_equal(buf_str(&b),
	    "a%20b%26c%3Dd%2F%C3%A9~._-%2B%25");
	/* It decodes back through the form parser. */
	buf_reset(&b);
	assert_int_equal(buf_addstr(&b, "k="), 0);
	assert_int_equal(web_url_encode(&b, s), 0);
	assert_int_equal(web_form_parse(buf_str(&b), b.len, &f, why,
	    sizeof(why)), 0);
	assert_string_equal(web_form_get(f, "k"), s);
	web_form_free(f);
	buf_fini(&b);
	buf_init(&b, 4);
	assert_int_equal(web_url_encode(&b, "\xff\xff"), -ADSYNC_ETOOBIG);
	buf_fini(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_basic),
		cmocka_unit_test(test_form_duplicates),
		cmocka_unit_test(test_form_edges),
		cmocka_unit_test(test_form_bad),
		cmocka_unit_test(test_form_limits),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_form_add),
		cmocka_unit_test(test_text_check),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_html_escape),
		cmocka_unit_test(test_url_encode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
