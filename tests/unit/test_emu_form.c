/*
 * rsemu form decoding and path routing: percent-encoding, '+', duplicates,
 * bad escapes, UTF-8, limits; every routed resource and the refusals.
 * Single thread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emu_form.h"
#include "emu_route.h"
#include "err.h"

static int
parse(const char *s, struct emu_form *f)
{
	char why[256];

	return emu_form_parse(s, strlen(s), f, why, sizeof(why));
}

static void
test_form_basic(void **st)
{
	struct emu_form f;

	(void)st;
	assert_int_equal(parse("size=2048&displayName=John%20Smith&"
	    "password=abcABC123&notes=a+b%2Bc%26d%3De", &f), 0);
	assert_int_equal(f.n, 4);
	assert_string_equal(emu_form_get(&f, "size"), "2048");
	assert_string_equal(emu_form_get(&f, "displayName"), "John Smith");
	assert_string_equal(emu_form_get(&f, "notes"), "a b+c&d=e");
	assert_null(emu_form_get(&f, "Size"));	/* case-sensitive */
	assert_non_null(emu_form_unused(&f));	/* password not read */
	assert_string_equal(emu_form_unused(&f)->name, "password");
	(void)emu_form_get(&f, "password");
	assert_null(emu_form_unused(&f));
	emu_form_fini(&f);
}

static void
test_form_edges(void **st)
{
	struct emu_form f;

	(void)st;
	assert_int_equal(parse("", &f), 0);
	assert_int_equal(f.n, 0);
	emu_form_fini(&f);
	assert_int_equal(parse("a=1&&b=&", &f), 0);	/* empty segments */
	assert_int_equal(f.n, 2);
	assert_string_equal(emu_form_get(&f, "b"), "");
	emu_form_fini(&f);
	assert_int_equal(parse("a=%C3%A9t%C3%A9", &f), 0);	/* "été" */
	assert_string_equal(emu_form_get(&f, "a"), "\xc3\xa9t\xc3\xa9");
	emu_form_fini(&f);
	assert_int_equal(parse("a%5Bb%5D=x=y", &f), 0);	/* '=' in value */
	assert_string_equal(emu_form_get(&f, "a[b]"), "x=y");
	emu_form_fini(&f);
}

static void
test_form_bad(void **st)
{
	static const char *const bad[] = {
		"a=1&a=2",		/* duplicate */
		"a=%",			/* truncated escape */
		"a=%4",
		"a=%G1",		/* not hex */
		"a=%00",		/* NUL */
		"=x",			/* empty name */
		"%20=x&=y",
		"novalue",		/* no '=' */
		"a=1&b",
		"a=%C3%28",		/* invalid UTF-8 */
		"a=%ED%A0%80",		/* surrogate */
		"a=%C0%AF",		/* overlong */
	};
	struct emu_form f;
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&f, 0, sizeof(f));
		assert_true(parse(bad[i], &f) < 0);
		assert_int_equal(f.n, 0);	/* untouched on failure */
	}
}

static void
test_form_limits(void **st)
{
	struct emu_form f;
	char *s, name[EMU_FORM_NAME_MAX + 8];
	size_t i, n = 0, cap = EMU_FORM_MAX_FIELDS * 16 + 64;
	char why[256];

	(void)st;
	s = malloc(cap);
	assert_non_null(s);
	for (i = 0; i <= EMU_FORM_MAX_FIELDS; i++)
		n += (size_t)snprintf(s + n, cap - n, "f%zu=1&", i);
	assert_int_equal(emu_form_parse(s, n, &f, why, sizeof(why)),
	    -ADSYNC_ETOOBIG);
	free(s);
	memset(name, 'n', sizeof(name) - 1);
	name[EMU_FORM_NAME_MAX + 1] = '\0';
	s = malloc(strlen(name) + 8);
	assert_non_null(s);
	snprintf(s, strlen(name) + 8, "%s=1", name);
	assert_int_equal(emu_form_parse(s, strlen(s), &f, why, sizeof(why)),
	    -ADSYNC_ETOOBIG);
	free(s);
	/* A value of exactly the limit is fine. */
	s = malloc(EMU_FORM_VALUE_MAX + 8);
	assert_non_null(s);
	memcpy(s, "v=", 2);
	memset(s + 2, 'x', EMU_FORM_VALUE_MAX);
	assert_int_equal(emu_form_parse(s, EMU_FORM_VALUE_MAX + 2, &f, why,
	    sizeof(why)), 0);
	emu_form_fini(&f);
	s[EMU_FORM_VALUE_MAX + 2] = 'x';
	assert_int_equal(emu_form_parse(s, EMU_FORM_VALUE_MAX + 3, &f, why,
	    sizeof(why)), -ADSYNC_ETOOBIG);
	free(s);
}

static void
test_utf8(void **st)
{
	(void)st;
	assert_true(emu_form_utf8_valid("abc", 3));
	assert_true(emu_form_utf8_valid("\xf0\x9f\x98\x80", 4));
	assert_false(emu_form_utf8_valid("\xf0\x9f\x98", 3));
	assert_false(emu_form_utf8_valid("\xff", 1));
	assert_false(emu_form_utf8_valid("\xf4\x90\x80\x80", 4));
}

static int
route(const char *p, struct emu_route *r)
{
	return emu_route_parse(p, strlen(p), r);
}

static void
test_route_ok(void **st)
{
	static const struct {
		const char *path;
		enum emu_route_kind kind;
		const char *name, *sub;
	} ok[] = {
		{ "/v1/customers/me", EMU_R_CUSTOMER, "", "" },
		{ "/v1/customers/me/domains", EMU_R_DOMAINS, "", "" },
		{ "/v1/customers/me/domains/", EMU_R_DOMAINS, "", "" },
		{ "/v1/customers/1/domains/a.com", EMU_R_DOMAIN, "", "" },
		{ "/v1/customers/me/domains/a.com/alternatedomains",
		    EMU_R_ALTDOMAINS, "", "" },
		{ "/v1/customers/me/domains/a.com/alternatedomains/b.org",
		    EMU_R_ALTDOMAIN, "b.org", "" },
		{ "/v1/customers/me/domains/a.com/rs/mailboxes",
		    EMU_R_RS_MBXS, "", "" },
		{ "/v1/customers/me/domains/a.com/rs/mailboxes/john.smith",
		    EMU_R_RS_MBX, "john.smith", "" },
		{ "/v1/customers/me/domains/a.com/rs/aliases",
		    EMU_R_RS_ALIASES, "", "" },
		{ "/v1/customers/me/domains/a.com/rs/aliases/sales",
		    EMU_R_RS_ALIAS, "sales", "" },
		{ "/v1/customers/me/domains/a.com/rs/aliases/sales/x%40y.org",
		    EMU_R_RS_ALIAS_MEMBER, "sales", "x@y.org" },
		{ "/v1/customers/me/domains/a.com/ex/mailboxes/ann",
		    EMU_R_EX_MBX, "ann", "" },
		{ "/v1/customers/me/domains/a.com/ex/mailboxes/ann/"
		    "emailaddresses", EMU_R_EX_MBX_ADDRS, "ann", "" },
		{ "/v1/customers/me/domains/a.com/ex/mailboxes/ann/"
		    "emailaddresses/ann2@b.org", EMU_R_EX_MBX_ADDR, "ann",
		    "ann2@b.org" },
		{ "/v1/customers/me/domains/a.com/ex/contacts",
		    EMU_R_EX_CONTACTS, "", "" },
		{ "/v1/customers/me/domains/a.com/ex/contacts/"
		    "0b1e4c2a-1111-2222-3333-444455556666", EMU_R_EX_CONTACT,
		    "0b1e4c2a-1111-2222-3333-444455556666", "" },
		{ "/v1/customers/me/domains/a.com/ex/distributionlists",
		    EMU_R_EX_DLS, "", "" },
		{ "/v1/customers/me/domains/a.com/ex/distributionlists/l",
		    EMU_R_EX_DL, "l", "" },
		{ "/v1/customers/me/domains/a.com/ex/distributionlists/l/"
		    "members", EMU_R_EX_DL_MEMBERS, "l", "" },
		{ "/v1/customers/me/domains/a.com/ex/distributionlists/l/"
		    "senders", EMU_R_EX_DL_SENDERS, "l", "" },
		{ "/v1/customers/me/domains/a.com/ex/distributionlists/l/"
		    "emailaddresses", EMU_R_EX_DL_ADDRS, "l", "" },
		{ "/v1/customers/me/domains/a.com/ex/distributionlists/l/"
		    "errors/", EMU_R_EX_DL_ERRORS, "l", "" },
		{ "/v1/customers/me/domains/a.com/rs/mailboxes/a%2Bb",
		    EMU_R_RS_MBX, "a+b", "" },
	};
	struct emu_route r;
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(route(ok[i].path, &r), 0);
		assert_int_equal(r.kind, ok[i].kind);
		assert_string_equal(r.name, ok[i].name);
		assert_string_equal(r.sub, ok[i].sub);
	}
	assert_int_equal(route("/v1/customers/100042/domains/Ex.Com", &r), 0);
	assert_string_equal(r.acct, "100042");
	assert_string_equal(r.domain, "Ex.Com");
	assert_string_equal(emu_route_kind_name(EMU_R_RS_MBX), "rs_mailbox");
}

static void
test_route_bad(void **st)
{
	static const char *const notfound[] = {
		"/", "", "v1/customers/me", "/v0/customers/me",
		"/v2/domains/a.com", "/v1", "/v1/customers",
		"/v1/customers/me/other",
		"/v1/customers/me/domains/a.com/xx/mailboxes",
		"/v1/customers/me/domains/a.com/rs",
		"/v1/customers/me/domains/a.com/rs/contacts",
		"/v1/customers/me/domains/a.com/ex/aliases",
		"/v1/customers/me/domains/a.com/rs/mailboxes/a/b",
		"/v1/customers/me/domains/a.com/ex/mailboxes/a/permissions",
		"/v1/customers/me/domains/a.com/ex/distributionlists/l/x",
		"/v1/customers/me/domains/a.com/ex/contacts/c/x",
		"/v1/customers/me/domains/a.com/a/b/c/d/e/f/g/h/i",
	};
	static const char *const malformed[] = {
		"/v1/customers/me/domains//rs",
		"/v1/customers/me/domains/a.com/rs/mailboxes/%zz",
		"/v1/customers/me/domains/a.com/rs/mailboxes/a%00b",
		"/v1/customers/me/domains/a.com/rs/mailboxes//",
		"/v1/customers/me/domains/a.com/rs/mailboxes/%FF",
	};
	struct emu_route r;
	char longp[1200];
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(notfound) / sizeof(notfound[0]); i++)
		assert_int_equal(route(notfound[i], &r), -ADSYNC_ENOTFOUND);
	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
		assert_int_equal(route(malformed[i], &r), -ADSYNC_EPARSE);
	snprintf(longp, sizeof(longp), "/v1/customers/me/domains/%0300d", 0);
	assert_int_equal(route(longp, &r), -ADSYNC_ETOOBIG);
}

static void
test_route_split(void **st)
{
	const char *q;
	size_t n;

	(void)st;
	emu_route_split("/v1/a?size=5&offset=1", &n, &q);
	assert_int_equal(n, 5);
	assert_string_equal(q, "size=5&offset=1");
	emu_route_split("/v1/a", &n, &q);
	assert_int_equal(n, 5);
	assert_string_equal(q, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_basic),
		cmocka_unit_test(test_form_edges),
		cmocka_unit_test(test_form_bad),
		cmocka_unit_test(test_form_limits),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_route_ok),
		cmocka_unit_test(test_route_bad),
		cmocka_unit_test(test_route_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
