/*
 * Unit tests of the model module: every AD value decoder with real values
 * seen on the Samba testbed and with malformed ones (wrong length, trailing
 * bytes, overflow, invalid UTF-8, missing parts), the attribute table, and
 * the struct obj life cycle, which runs under ASan with leak checking in
 * the dev preset.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "obj.h"
#include "obj_internal.h"

#define S(lit) (lit), (sizeof(lit) - 1)

/* The raw objectGUID 00 11 22 .. ff and how AD tools print it. */
static const uint8_t guid_raw[16] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff
};
#define GUID_TEXT "33221100-5544-7766-8899-aabbccddeeff"

/* S-1-5-21-3623811015-3361044348-30300820-500: a domain Administrator. */
static const uint8_t sid_admin[28] = {
	0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
	0x15, 0x00, 0x00, 0x00, 0xc7, 0xf7, 0xfe, 0xd7,
	0x7c, 0x77, 0x55, 0xc8, 0x94, 0x5a, 0xce, 0x01,
	0xf4, 0x01, 0x00, 0x00
};
#define SID_ADMIN_TEXT "S-1-5-21-3623811015-3361044348-30300820-500"

/* ---- GUID ---- */

static void
test_guid_round_trip(void **state)
{
	struct obj_guid g, g2;
	char text[OBJ_GUID_TEXT];

	(void)state;
	assert_int_equal(obj_guid_from_raw(guid_raw, 16, &g), 0);
	assert_memory_equal(g.b, guid_raw, 16);
	obj_guid_format(&g, text);
	assert_string_equal(text, GUID_TEXT);
	assert_int_equal(obj_guid_parse(GUID_TEXT, &g2), 0);
	assert_true(obj_guid_equal(&g, &g2));
	/* Upper case parses to the same GUID; output is always lower. */
	assert_int_equal(obj_guid_parse("33221100-5544-7766-8899-AABBCCDDEEFF",
	    &g2), 0);
	assert_true(obj_guid_equal(&g, &g2));
	assert_int_equal(obj_guid_parse_len(S(GUID_TEXT), &g2), 0);
	assert_true(obj_guid_equal(&g, &g2));
	assert_false(obj_guid_is_zero(&g));
	memset(&g2, 0, sizeof(g2));
	assert_true(obj_guid_is_zero(&g2));
	assert_false(obj_guid_equal(&g, &g2));
	obj_guid_format(&g2, text);
	assert_string_equal(text, "00000000-0000-0000-0000-000000000000");
}

static void
test_guid_bad(void **state)
{
	static const char *bad[] = {
		"",
		"33221100-5544-7766-8899-aabbccddeef",		/* short */
		"33221100-5544-7766-8899-aabbccddeeff0",	/* trailing */
		"33221100-5544-7766-8899-aabbccddeeff ",
		"{33221100-5544-7766-8899-aabbccddeeff}",	/* braces */
		"33221100554477668899aabbccddeeff",		/* no hyphens */
		"33221100-5544-7766-8899aabbccddeeff-",	/* hyphen moved */
		"3322110-05544-7766-8899-aabbccddeeff",
		"33221100-5544-7766-8899-aabbccddeefg",		/* not hex */
		"33221100+5544-7766-8899-aabbccddeeff",
		" 3221100-5544-7766-8899-aabbccddeeff",
	};
	struct obj_guid g, before;
	size_t i;

	(void)state;
	memset(&g, 0xa5, sizeof(g));
	before = g;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(obj_guid_parse(bad[i], &g), -ADSYNC_EPARSE);
		/* Out-parameters are written only on success. */
		assert_true(obj_guid_equal(&g, &before));
	}
	assert_int_equal(obj_guid_parse(NULL, &g), -ADSYNC_EPARSE);
	/* An embedded NUL is not the end of a length-given string. */
	assert_int_equal(obj_guid_parse_len("33221100-5544-7766-8899-aabbccdd"
	    "ee\0f", 36, &g), -ADSYNC_EPARSE);
	assert_int_equal(obj_guid_from_raw(guid_raw, 15, &g), -ADSYNC_EPARSE);
	assert_int_equal(obj_guid_from_raw(guid_raw, 17, &g), -ADSYNC_EPARSE);
	assert_int_equal(obj_guid_from_raw(guid_raw, 0, &g), -ADSYNC_EPARSE);
	assert_int_equal(obj_guid_from_raw(NULL, 16, &g), -ADSYNC_EPARSE);
	assert_true(obj_guid_equal(&g, &before));
}

/* ---- SID ---- */

static void
test_sid_good(void **state)
{
	char text[OBJ_SID_TEXT];
	uint8_t raw[8 + 4 * 15];
	size_t i;

	(void)state;
	assert_int_equal(obj_sid_format(sid_admin, sizeof(sid_admin), text,
	    sizeof(text)), 0);
	assert_string_equal(text, SID_ADMIN_TEXT);
	assert_true(obj_sid_text_valid(S(SID_ADMIN_TEXT)));

	/* S-1-5-32-544 (BUILTIN\Administrators): 2 sub-authorities. */
	memcpy(raw, "\x01\x02\x00\x00\x00\x00\x00\x05"
	    "\x20\x00\x00\x00\x20\x02\x00\x00", 16);
	assert_int_equal(obj_sid_format(raw, 16, text, sizeof(text)), 0);
	assert_string_equal(text, "S-1-5-32-544");

	/* No sub-authority at all: S-1-5. */
	raw[1] = 0;
	assert_int_equal(obj_sid_format(raw, 8, text, sizeof(text)), 0);
	assert_string_equal(text, "S-1-5");

	/* 15 sub-authorities of 0xffffffff and a 48-bit authority: the
	 * longest text there is, in hex as MS-DTYP 2.4.2.1 says. */
	raw[0] = 1;
	raw[1] = 15;
	for (i = 2; i < 8; i++)
		raw[i] = 0xff;
	for (i = 8; i < sizeof(raw); i++)
		raw[i] = 0xff;
	assert_int_equal(obj_sid_format(raw, sizeof(raw), text,
	    sizeof(text)), 0);
	assert_string_equal(text, "S-1-0xFFFFFFFFFFFF-4294967295-4294967295-"
	    "4294967295-4294967295-4294967295-4294967295-4294967295-"
	    "4294967295-4294967295-4294967295-4294967295-4294967295-"
	    "4294967295-4294967295-4294967295");
	assert_true(strlen(text) < OBJ_SID_TEXT);
	assert_true(obj_sid_text_valid(text, strlen(text)));

	/* Authority 2^32 - 1 is still decimal. */
	memcpy(raw, "\x01\x00\x00\x00\xff\xff\xff\xff", 8);
	assert_int_equal(obj_sid_format(raw, 8, text, sizeof(text)), 0);
	assert_string_equal(text, "S-1-4294967295");
}

static void
test_sid_bad(void **state)
{
	uint8_t raw[sizeof(sid_admin) + 4];
	char text[OBJ_SID_TEXT];

	(void)state;
	memcpy(raw, sid_admin, sizeof(sid_admin));
	text[0] = 'x';
	/* Short, long, trailing bytes: the length must be exactly 8+4n. */
	assert_int_equal(obj_sid_format(raw, sizeof(sid_admin) - 1, text,
	    sizeof(text)), -ADSYNC_EPARSE);
	assert_int_equal(obj_sid_format(raw, sizeof(sid_admin) + 1, text,
	    sizeof(text)), -ADSYNC_EPARSE);
	assert_int_equal(obj_sid_format(raw, sizeof(sid_admin) + 4, text,
	    sizeof(text)), -ADSYNC_EPARSE);
	assert_int_equal(obj_sid_format(raw, 7, text, sizeof(text)),
	    -ADSYNC_EPARSE);
	assert_int_equal(obj_sid_format(raw, 0, text, sizeof(text)),
	    -ADSYNC_EPARSE);
	assert_int_equal(obj_sid_format(NULL, 8, text, sizeof(text)),
	    -ADSYNC_EPARSE);
	/* Revision 2, and more than 15 sub-authorities. */
	raw[0] = 2;
	assert_int_equal(obj_sid_format(raw, sizeof(sid_admin), text,
	    sizeof(text)), -ADSYNC_EPARSE);
	raw[0] = 1;
	raw[1] = 16;
	assert_int_equal(obj_sid_format(raw, 8 + 4 * 16, text, sizeof(text)),
	    -ADSYNC_EPARSE);
	raw[1] = 5;
	/* Output too small: an error, and nothing written. */
	assert_int_equal(obj_sid_format(raw, sizeof(sid_admin), text, 10),
	    -ADSYNC_ETOOBIG);
	assert_int_equal(obj_sid_format(raw, sizeof(sid_admin), text,
	    strlen(SID_ADMIN_TEXT)), -ADSYNC_ETOOBIG);
	assert_int_equal(text[0], 'x');
	assert_int_equal(obj_sid_format(raw, sizeof(sid_admin), text,
	    strlen(SID_ADMIN_TEXT) + 1), 0);
	assert_string_equal(text, SID_ADMIN_TEXT);
}

static void
test_sid_text(void **state)
{
	static const char *good[] = {
		"S-1-5", "S-1-0", "S-1-5-32-544", "S-1-5-18",
		"S-1-0x000100000000", "S-1-4294967295-0",
	};
	static const char *bad[] = {
		"", "S", "S-", "S-1", "S-1-", "S-2-5", "s-1-5", "S-1-5-",
		"S-1-5--1", "S-1-05", "S-1-5-01", "S-1-4294967296",
		"S-1-5-4294967296", "S-1-0x0000FFFFFFFF", "S-1-0x00010000000",
		"S-1-0x00010000000a",
		"S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16",
		"S-1-5 ", "S-1-5-a", "S-1--5",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(obj_sid_text_valid(good[i], strlen(good[i])));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (obj_sid_text_valid(bad[i], strlen(bad[i])))
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_true(obj_sid_text_valid(
	    "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15", 41));
}

/* ---- integers ---- */

static void
test_int_good(void **state)
{
	uint32_t uac = 0;
	int32_t i32 = 0;
	uint64_t usn = 0;

	(void)state;
	assert_int_equal(obj_uac_parse(S("512"), &uac), 0);
	assert_int_equal(uac, OBJ_UAC_NORMAL_ACCOUNT);
	assert_int_equal(obj_uac_parse(S("546"), &uac), 0);
	assert_true(uac & OBJ_UAC_ACCOUNTDISABLE);
	assert_int_equal(obj_uac_parse(S("66048"), &uac), 0);
	assert_int_equal(uac, 0x10200);
	assert_int_equal(obj_uac_parse(S("-1"), &uac), 0);
	assert_int_equal(uac, 0xffffffffu);
	assert_int_equal(obj_uac_parse(S("0"), &uac), 0);
	assert_int_equal(uac, 0);

	/* Global security group, as Samba returns it. */
	assert_int_equal(obj_int32_parse(S("-2147483646"), &i32), 0);
	assert_int_equal(i32, -2147483646);
	assert_true((uint32_t)i32 & OBJ_GROUP_SECURITY);
	assert_int_equal((uint32_t)i32 & 0xff, 2);
	assert_int_equal(obj_int32_parse(S("8"), &i32), 0);
	assert_int_equal(i32, 8);
	assert_int_equal(obj_int32_parse(S("-2147483648"), &i32), 0);
	assert_int_equal(i32, INT32_MIN);
	assert_int_equal(obj_int32_parse(S("2147483647"), &i32), 0);
	assert_int_equal(i32, INT32_MAX);

	assert_int_equal(obj_usn_parse(S("0"), &usn), 0);
	assert_int_equal(usn, 0);
	assert_int_equal(obj_usn_parse(S("3987"), &usn), 0);
	assert_int_equal(usn, 3987);
	assert_int_equal(obj_usn_parse(S("9223372036854775807"), &usn), 0);
	assert_true(usn == (uint64_t)INT64_MAX);
}

static void
test_int_bad(void **state)
{
	static const char *bad32[] = {
		"", "-", "+1", " 1", "1 ", "01", "00", "-0", "-01", "1a",
		"0x10", "2147483648", "-2147483649", "99999999999999999999",
		"1.0", "--1", "1-",
	};
	static const char *bad64[] = {
		"", "-1", "+1", "01", "9223372036854775808",
		"18446744073709551615", "18446744073709551616",
		"123456789012345678901", "1\n",
	};
	uint32_t uac = 7;
	int32_t i32 = 7;
	uint64_t usn = 7;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad32) / sizeof(bad32[0]); i++) {
		assert_int_equal(obj_uac_parse(bad32[i], strlen(bad32[i]),
		    &uac), -ADSYNC_EPARSE);
		assert_int_equal(obj_int32_parse(bad32[i], strlen(bad32[i]),
		    &i32), -ADSYNC_EPARSE);
	}
	for (i = 0; i < sizeof(bad64) / sizeof(bad64[0]); i++)
		assert_int_equal(obj_usn_parse(bad64[i], strlen(bad64[i]),
		    &usn), -ADSYNC_EPARSE);
	/* The length bounds the parse: "12" with length 1 is "1"... */
	assert_int_equal(obj_usn_parse("12", 1, &usn), 0);
	assert_int_equal(usn, 1);
	usn = 7;
	/* ...and an embedded NUL is a trailing byte, not an end. */
	assert_int_equal(obj_usn_parse("1\0", 2, &usn), -ADSYNC_EPARSE);
	assert_int_equal(obj_int32_parse(NULL, 1, &i32), -ADSYNC_EPARSE);
	assert_int_equal(obj_uac_parse("1", 1, NULL), -ADSYNC_EPARSE);
	assert_int_equal(uac, 7);
	assert_int_equal(i32, 7);
	assert_int_equal(usn, 7);
}

static void
test_num_internal(void **state)
{
	int64_t v = 0;

	(void)state;
	assert_int_equal(obj_num_parse(S("-9223372036854775808"), INT64_MIN,
	    INT64_MAX, &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(obj_num_parse(S("-9223372036854775809"), INT64_MIN,
	    INT64_MAX, &v), -ADSYNC_EPARSE);
	assert_int_equal(obj_num_parse(S("9223372036854775807"), INT64_MIN,
	    INT64_MAX, &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(obj_num_parse(S("5"), 6, 10, &v), -ADSYNC_EPARSE);
	assert_int_equal(obj_num_parse(S("11"), 6, 10, &v), -ADSYNC_EPARSE);
}

/* ---- times ---- */

static void
test_filetime(void **state)
{
	int64_t t = -1;

	(void)state;
	/* pwdLastSet of a password set on 2024-11-11 08:00:00 UTC. */
	assert_int_equal(obj_filetime_parse(S("133757856000000000"), &t), 0);
	assert_int_equal(t, 1731312000);
	/* Sub-second ticks are dropped. */
	assert_int_equal(obj_filetime_parse(S("133757856009999999"), &t), 0);
	assert_int_equal(t, 1731312000);
	/* The two "never" values. */
	t = -1;
	assert_int_equal(obj_filetime_parse(S("0"), &t), 0);
	assert_int_equal(t, 0);
	t = -1;
	assert_int_equal(obj_filetime_parse(S("9223372036854775807"), &t), 0);
	assert_int_equal(t, 0);
	/* 1970-01-01 exactly, and the 1601 epoch itself. */
	assert_int_equal(obj_filetime_parse(S("116444736000000000"), &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(obj_filetime_parse(S("1"), &t), 0);
	assert_int_equal(t, -11644473600LL);
	assert_int_equal(obj_filetime_parse(S("9223372036854775806"), &t), 0);
	assert_int_equal(t, 910692730085LL);

	t = 42;
	assert_int_equal(obj_filetime_parse(S("-1"), &t), -ADSYNC_EPARSE);
	assert_int_equal(obj_filetime_parse(S("9223372036854775808"), &t),
	    -ADSYNC_EPARSE);
	assert_int_equal(obj_filetime_parse(S(""), &t), -ADSYNC_EPARSE);
	assert_int_equal(obj_filetime_parse(S("0133757856000000000"), &t),
	    -ADSYNC_EPARSE);
	assert_int_equal(obj_filetime_parse(S("133757856000000000 "), &t),
	    -ADSYNC_EPARSE);
	assert_int_equal(t, 42);
}

static void
test_gentime_good(void **state)
{
	int64_t t = -1;

	(void)state;
	/* whenChanged as Samba returns it. */
	assert_int_equal(obj_gentime_parse(S("20261124131516.0Z"), &t), 0);
	assert_int_equal(t, 1795526116);
	assert_int_equal(obj_gentime_parse(S("20261124131516Z"), &t), 0);
	assert_int_equal(t, 1795526116);
	assert_int_equal(obj_gentime_parse(S("20261124131516,999Z"), &t), 0);
	assert_int_equal(t, 1795526116);
	assert_int_equal(obj_gentime_parse(S("19700101000000.0Z"), &t), 0);
	assert_int_equal(t, 0);
	/* dSCorePropagationData's "never". */
	assert_int_equal(obj_gentime_parse(S("16010101000000.0Z"), &t), 0);
	assert_int_equal(t, -11644473600LL);
	assert_int_equal(obj_gentime_parse(S("20240229000000.0Z"), &t), 0);
	assert_int_equal(t, 1709164800);
	assert_int_equal(obj_gentime_parse(S("20000229235959.0Z"), &t), 0);
	assert_int_equal(obj_gentime_parse(S("99991231235959.0Z"), &t), 0);
	assert_int_equal(t, 253402300799LL);
	assert_int_equal(obj_gentime_parse(S("20261124131516.123456789Z"),
	    &t), 0);
}

static void
test_gentime_bad(void **state)
{
	static const char *bad[] = {
		"", "Z", "20261124131516", "20261124131516.0",
		"20261124131516.0Z ", "20261124131516.0ZZ",
		"20261124131516.Z", "20261124131516.0+0100",
		"20261124131516+0000", "202611241315Z", "2026112413Z",
		"20261324131516.0Z", "20260024131516.0Z", "20261100131516.0Z",
		"20261131131516.0Z", "20261124241516.0Z", "20261124136016.0Z",
		"20261124131560.0Z", "20230229000000.0Z", "21000229000000.0Z",
		"2026112413151a.0Z", " 0261124131516.0Z",
		"20261124131516.1234567890Z", "-2026112413151.0Z",
		"20261124131516.0z", "20261124131516;0Z",
	};
	int64_t t = 42;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (obj_gentime_parse(bad[i], strlen(bad[i]), &t) !=
		    -ADSYNC_EPARSE)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(obj_gentime_parse("20261124131516.0Z\0", 18, &t),
	    -ADSYNC_EPARSE);
	assert_int_equal(obj_gentime_parse(NULL, 17, &t), -ADSYNC_EPARSE);
	assert_int_equal(t, 42);
}

/* ---- proxyAddresses ---- */

static void
test_proxy_good(void **state)
{
	static const char primary[] = "SMTP:jane.doe@example.test";
	static const char secondary[] = "smtp:jd@example.test";
	static const char x500[] =
	    "X500:/o=Org/ou=Exchange/cn=Recipients/cn=jd";
	enum obj_proxy_kind k;
	const char *a;
	size_t alen;

	(void)state;
	assert_int_equal(obj_proxy_parse(S(primary), &k, &a, &alen), 0);
	assert_int_equal(k, OBJ_PROXY_PRIMARY);
	assert_ptr_equal(a, primary + 5);
	assert_int_equal(alen, strlen("jane.doe@example.test"));
	assert_int_equal(obj_proxy_parse(S(secondary), &k, &a, &alen), 0);
	assert_int_equal(k, OBJ_PROXY_SECONDARY);
	assert_memory_equal(a, "jd@example.test", alen);
	assert_int_equal(obj_proxy_parse(S(x500), &k, &a, &alen), 0);
	assert_int_equal(k, OBJ_PROXY_OTHER);
	assert_memory_equal(a, "/o=Org/ou=Exchange/cn=Recipients/cn=jd", alen);
	assert_int_equal(obj_proxy_parse(S("sip:jd@example.test"), &k, &a,
	    &alen), 0);
	assert_int_equal(k, OBJ_PROXY_OTHER);
	/* Mixed case is not SMTP for sync: kept, not used. */
	assert_int_equal(obj_proxy_parse(S("Smtp:jd@example.test"), &k, &a,
	    &alen), 0);
	assert_int_equal(k, OBJ_PROXY_OTHER);
	/* Only the first colon splits. */
	assert_int_equal(obj_proxy_parse(S("X400:c=US;a= ;p=Org;"), &k, &a,
	    &alen), 0);
	assert_int_equal(obj_proxy_parse(S("EUM:1234;phone-context=x:y"), &k,
	    &a, &alen), 0);
	assert_memory_equal(a, "1234;phone-context=x:y", alen);
	/* UTF-8 in the local part is left for the target to judge. */
	assert_int_equal(obj_proxy_parse(S("smtp:j\xc3\xa9@example.test"), &k,
	    &a, &alen), 0);
}

static void
test_proxy_bad(void **state)
{
	static const char *bad[] = {
		"", ":", "SMTP:", "smtp:", "X500:", ":jd@example.test",
		"jd@example.test", "SMTP jd@example.test",
		"SM TP:jd@example.test", "S-MTP:jd@example.test",
		"SMTP:jd", "SMTP:@example.test", "SMTP:jd@",
		"SMTP:j d@example.test", "SMTP:jd@example.test ",
		"SMTP:jd@ex@ample.test", "smtp:jd@example.test\n",
		"SMTP:\tjd@example.test",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456:x",
		"SMTP:01234567890123456789012345678901234567890123456789"
		"012345678901234@example.test",		/* local part 65 */
	};
	enum obj_proxy_kind k = OBJ_PROXY_OTHER;
	const char *a = NULL;
	size_t alen = 99, i;
	char big[300];

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (obj_proxy_parse(bad[i], strlen(bad[i]), &k, &a, &alen) !=
		    -ADSYNC_EPARSE)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(obj_proxy_parse("X500:a\0b", 8, &k, &a, &alen),
	    -ADSYNC_EPARSE);
	/* An address longer than 254 bytes. */
	memcpy(big, "SMTP:a@", 7);
	memset(big + 7, 'b', sizeof(big) - 7);
	assert_int_equal(obj_proxy_parse(big, sizeof(big), &k, &a, &alen),
	    -ADSYNC_EPARSE);
	assert_int_equal(obj_proxy_parse(big, 5 + 254, &k, &a, &alen), 0);
	assert_int_equal(alen, 254);
	alen = 99;
	a = NULL;
	assert_int_equal(obj_proxy_parse(big, 5 + 255, &k, &a, &alen),
	    -ADSYNC_EPARSE);
	/* A 64-byte local part is the limit. */
	assert_int_equal(obj_proxy_parse(S("smtp:0123456789012345678901234567"
	    "890123456789012345678901234567890123@example.test"), &k, &a,
	    &alen), 0);
	/* A 32-byte type is the limit. */
	assert_int_equal(obj_proxy_parse(
	    S("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345:x"), &k, &a, &alen), 0);
	assert_int_equal(k, OBJ_PROXY_OTHER);
	assert_int_equal(obj_proxy_parse(NULL, 0, &k, &a, &alen),
	    -ADSYNC_EPARSE);
}

/* ---- Extended DN ---- */

static void
test_extdn_good(void **state)
{
	static const char both[] =
	    "<GUID=00112233445566778899aabbccddeeff>;"
	    "<SID=010500000000000515000000c7f7fed77c7755c8945ace01f4010000>;"
	    "CN=Administrator,CN=Users,DC=example,DC=test";
	static const char guid_only[] =
	    "<GUID=00112233445566778899AABBCCDDEEFF>;"
	    "CN=Jane Contact,OU=Contacts,DC=example,DC=test";
	static const char string_form[] =
	    "<GUID=" GUID_TEXT ">;<SID=" SID_ADMIN_TEXT ">;"
	    "CN=Administrator,CN=Users,DC=example,DC=test";
	static const char plain[] = "CN=Mail-Exchange,OU=Groups,DC=example,"
	    "DC=test";
	struct obj_guid g, want;
	const char *dn;
	size_t dn_len;
	bool has;

	(void)state;
	assert_int_equal(obj_guid_from_raw(guid_raw, 16, &want), 0);
	assert_int_equal(obj_extdn_parse(S(both), &g, &has, &dn, &dn_len), 0);
	assert_true(has);
	assert_true(obj_guid_equal(&g, &want));
	assert_int_equal(dn_len, strlen("CN=Administrator,CN=Users,"
	    "DC=example,DC=test"));
	assert_memory_equal(dn, "CN=Administrator,CN=Users,DC=example,DC=test",
	    dn_len);
	assert_true(dn > both && dn < both + sizeof(both));

	assert_int_equal(obj_extdn_parse(S(guid_only), &g, &has, &dn,
	    &dn_len), 0);
	assert_true(has);
	assert_true(obj_guid_equal(&g, &want));
	assert_memory_equal(dn, "CN=Jane Contact,", 16);

	/* The string form names the same object. */
	assert_int_equal(obj_extdn_parse(S(string_form), &g, &has, &dn,
	    &dn_len), 0);
	assert_true(has);
	assert_true(obj_guid_equal(&g, &want));

	memset(&g, 0xa5, sizeof(g));
	assert_int_equal(obj_extdn_parse(S(plain), &g, &has, &dn, &dn_len), 0);
	assert_false(has);
	assert_true(obj_guid_is_zero(&g));
	assert_ptr_equal(dn, plain);
	assert_int_equal(dn_len, sizeof(plain) - 1);

	/* A SID part alone (no GUID) is accepted. */
	assert_int_equal(obj_extdn_parse(S("<SID=S-1-5-32-544>;CN=x"), &g,
	    &has, &dn, &dn_len), 0);
	assert_false(has);
	assert_memory_equal(dn, "CN=x", 4);
}

static void
test_extdn_bad(void **state)
{
	static const char *bad[] = {
		"",
		"<GUID=00112233445566778899aabbccddeeff>;",	/* no DN */
		"<GUID=00112233445566778899aabbccddeeff>",
		"<GUID=00112233445566778899aabbccddeeff>CN=x",	/* no ';' */
		"<GUID=00112233445566778899aabbccddeef>;CN=x",	/* 31 hex */
		"<GUID=00112233445566778899aabbccddeeff0>;CN=x",
		"<GUID=00112233445566778899aabbccddeefg>;CN=x",
		"<GUID=33221100-5544-7766-8899-aabbccddeef>;CN=x",
		"<GUID=>;CN=x",
		"<GUID=00112233445566778899aabbccddeeff;CN=x",	/* no '>' */
		"<guid=00112233445566778899aabbccddeeff>;CN=x",
		"<WKGUID=00112233445566778899aabbccddeeff>;CN=x",
		"<SID=01050000000000051500000>;CN=x",		/* odd */
		"<SID=0105000000000005150000>;CN=x",		/* short SID */
		"<SID=02000000000000>;CN=x",
		"<SID=S-1-5-01>;CN=x",
		"<SID=S-1-5>CN=x",
		"<SID=S-1-5>;<GUID=00112233445566778899aabbccddeeff>;CN=x",
		"<GUID=00112233445566778899aabbccddeeff>;"
		"<GUID=00112233445566778899aabbccddeeff>;CN=x",
		"<GUID=00112233445566778899aabbccddeeff>;<SID=S-1-5>;",
		"<CN=x",
		"<",
	};
	struct obj_guid g;
	const char *dn = NULL;
	size_t dn_len = 99, i;
	bool has = true;
	char *big;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (obj_extdn_parse(bad[i], strlen(bad[i]), &g, &has, &dn,
		    &dn_len) != -ADSYNC_EPARSE)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	/* Invalid UTF-8 or a NUL in the DN. */
	assert_int_equal(obj_extdn_parse(S("CN=\xc0\xaf,DC=x"), &g, &has, &dn,
	    &dn_len), -ADSYNC_EPARSE);
	assert_int_equal(obj_extdn_parse("CN=a\0b", 6, &g, &has, &dn,
	    &dn_len), -ADSYNC_EPARSE);
	/* A DN of OBJ_DN_MAX bytes is fine, one more is not. */
	big = malloc(OBJ_DN_MAX + 1);
	assert_non_null(big);
	memset(big, 'a', OBJ_DN_MAX + 1);
	assert_int_equal(obj_extdn_parse(big, OBJ_DN_MAX + 1, &g, &has, &dn,
	    &dn_len), -ADSYNC_EPARSE);
	assert_int_equal(dn_len, 99);
	assert_true(has);
	assert_int_equal(obj_extdn_parse(big, OBJ_DN_MAX, &g, &has, &dn,
	    &dn_len), 0);
	assert_int_equal(dn_len, OBJ_DN_MAX);
	free(big);
}

/* ---- ranged attribute descriptions ---- */

static void
test_range(void **state)
{
	size_t blen = 99;
	long lo = 99, hi = 99;

	(void)state;
	assert_int_equal(obj_range_parse("member;range=0-1499", &blen, &lo,
	    &hi), 1);
	assert_int_equal(blen, 6);
	assert_int_equal(lo, 0);
	assert_int_equal(hi, 1499);
	assert_int_equal(obj_range_parse("member;range=1500-*", &blen, &lo,
	    &hi), 1);
	assert_int_equal(lo, 1500);
	assert_int_equal(hi, -1);
	assert_int_equal(obj_range_parse("member;Range=1-1", &blen, &lo, &hi),
	    1);
	assert_int_equal(lo, 1);
	assert_int_equal(hi, 1);
	assert_int_equal(obj_range_parse("member;RANGE=0-0", &blen, &lo, &hi),
	    1);
	assert_int_equal(obj_range_parse("member", &blen, &lo, &hi), 0);
	assert_int_equal(blen, 6);
	assert_int_equal(lo, 0);
	assert_int_equal(hi, -1);
	assert_int_equal(obj_range_parse("msDS-cloudExtensionAttribute1",
	    &blen, &lo, &hi), 0);
	assert_int_equal(obj_range_parse("1.2.840.113556.1.2.102;range=0-*",
	    &blen, &lo, &hi), 1);
	assert_int_equal(blen, 22);
	assert_int_equal(obj_range_parse("member;range=0-2147483647", &blen,
	    &lo, &hi), 1);
	assert_int_equal(hi, 2147483647L);
	/* Length-bounded: the rest of the buffer is not looked at. */
	assert_int_equal(obj_range_parse_len("member;range=0-9;x", 16, &blen,
	    &lo, &hi), 1);
	assert_int_equal(hi, 9);
}

static void
test_range_bad(void **state)
{
	static const char *bad[] = {
		"", ";range=0-1", "member;", "member;range", "member;range=",
		"member;range=0", "member;range=0-", "member;range=-1",
		"member;range=-1-5", "member;range=5-4", "member;range=01-5",
		"member;range=0-015", "member;range=0-*;x", "member;range=0-**",
		"member;range=*-*", "member;range=0-2147483648",
		"member;range=2147483648-*", "member;binary",
		"member;ranges=0-1",
		"member;range= 0-1", "member;range=0-1 ", "mem ber",
		"member;range=0-1;range=2-3", "mem_ber", "member;;range=0-1",
		"m\xc3\xa9mber",
	};
	size_t blen = 99, i;
	long lo = 99, hi = 99;
	char big[300];

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (obj_range_parse(bad[i], &blen, &lo, &hi) != -ADSYNC_EPARSE)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(obj_range_parse_len("member\0", 7, &blen, &lo, &hi),
	    -ADSYNC_EPARSE);
	assert_int_equal(obj_range_parse(NULL, &blen, &lo, &hi),
	    -ADSYNC_EPARSE);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(obj_range_parse(big, &blen, &lo, &hi),
	    -ADSYNC_EPARSE);
	assert_int_equal(blen, 99);
	assert_int_equal(lo, 99);
	assert_int_equal(hi, 99);
}

/* ---- UTF-8 ---- */

/*
 * A second, code-point-decoding implementation: decode greedily, then
 * check the code point against its length and the excluded ranges.
 */
static bool
ref_utf8_valid(const unsigned char *p, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		if (p[i] == 0)
			return false;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			n = 2;
			cp = p[i] & 0x1f;
		} else if ((p[i] & 0xf0) == 0xe0) {
			n = 3;
			cp = p[i] & 0x0f;
		} else if ((p[i] & 0xf8) == 0xf0) {
			n = 4;
			cp = p[i] & 0x07;
		} else
			return false;
		if (len - i < n)
			return false;
		for (k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
		    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n;
	}
	return true;
}

static void
test_utf8(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		bool ok;
	} v[] = {
		{ S(""), true },
		{ S("plain ASCII"), true },
		{ S("J\xc3\xa9r\xc3\xb4me"), true },		/* Jérôme */
		{ S("\xe2\x82\xac"), true },			/* € */
		{ S("\xf0\x9f\x98\x80"), true },		/* U+1F600 */
		{ S("\xf4\x8f\xbf\xbf"), true },		/* U+10FFFF */
		{ S("\xed\x9f\xbf"), true },			/* U+D7FF */
		{ S("\xee\x80\x80"), true },			/* U+E000 */
		{ S("\x7f"), true },
		{ "a\0b", 3, false },				/* NUL */
		{ S("\x80"), false },				/* lone cont. */
		{ S("\xbf"), false },
		{ S("\xc0\xaf"), false },			/* overlong / */
		{ S("\xc1\xbf"), false },
		{ S("\xe0\x80\xaf"), false },			/* overlong */
		{ S("\xe0\x9f\xbf"), false },
		{ S("\xf0\x80\x80\xaf"), false },
		{ S("\xf0\x8f\xbf\xbf"), false },
		{ S("\xc0\x80"), false },		/* overlong NUL */
		{ S("\xed\xa0\x80"), false },			/* U+D800 */
		{ S("\xed\xbf\xbf"), false },			/* U+DFFF */
		{ S("\xf4\x90\x80\x80"), false },		/* U+110000 */
		{ S("\xf5\x80\x80\x80"), false },
		{ S("\xff"), false },
		{ S("\xfe"), false },
		{ S("\xc3"), false },				/* truncated */
		{ S("\xe2\x82"), false },
		{ S("\xf0\x9f\x98"), false },
		{ S("\xc3\x28"), false },			/* bad cont. */
		{ S("\xe2\x28\xa1"), false },
		{ S("\xf0\x9f\x28\x80"), false },
		{ S("ok\xc3"), false },
	};
	uint8_t b[3];
	size_t i;
	unsigned x, y, z;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (obj_utf8_valid(v[i].s, v[i].len) != v[i].ok)
			fail_msg("vector %zu", i);
		assert_int_equal(ref_utf8_valid((const unsigned char *)v[i].s,
		    v[i].len), v[i].ok);
	}
	assert_true(obj_utf8_valid(NULL, 0));
	assert_false(obj_utf8_valid(NULL, 1));
	/* Exhaustive against the reference: all 1- and 2-byte strings and
	 * every 3-byte string with a lead byte of 0xe0..0xef. */
	for (x = 0; x < 256; x++) {
		b[0] = (uint8_t)x;
		assert_int_equal(obj_utf8_valid((char *)b, 1),
		    ref_utf8_valid(b, 1));
		for (y = 0; y < 256; y++) {
			b[1] = (uint8_t)y;
			if (obj_utf8_valid((char *)b, 2) !=
			    ref_utf8_valid(b, 2))
				fail_msg("%02x %02x", x, y);
		}
	}
	for (x = 0xe0; x <= 0xef; x++)
		for (y = 0; y < 256; y++)
			for (z = 0; z < 256; z++) {
				b[0] = (uint8_t)x;
				b[1] = (uint8_t)y;
				b[2] = (uint8_t)z;
				if (obj_utf8_valid((char *)b, 3) !=
				    ref_utf8_valid(b, 3))
					fail_msg("%02x %02x %02x", x, y, z);
			}
}

/* ---- attribute table ---- */

static void
test_attr_table(void **state)
{
	static const char *names[OBJ_A_COUNT] = {
		"mail", "displayName", "sn", "givenName",
		"generationQualifier", "initials", "o", "sAMAccountName",
		"userPrincipalName", "cn", "telephoneNumber", "pager",
		"homePhone", "mobile", "facsimileTelephoneNumber",
		"otherFacsimileTelephoneNumber", "streetAddress", "l", "st",
		"postalCode", "co", "title", "employeeID", "employeeType",
		"company", "department", "physicalDeliveryOfficeName",
		"proxyAddresses", "otherMailbox", "mailNickname",
		"targetAddress",
	};
	const struct obj_attr_desc *d;
	int a;

	(void)state;
	for (a = 0; a < OBJ_A_COUNT; a++) {
		d = obj_attr_desc((enum obj_attr)a);
		assert_non_null(d);
		assert_int_equal(d->id, a);
		assert_string_equal(d->ldap, names[a]);
		assert_int_equal(obj_attr_lookup(d->ldap, strlen(d->ldap)), a);
	}
	assert_null(obj_attr_desc(OBJ_A_COUNT));
	assert_null(obj_attr_desc((enum obj_attr)-1));
	assert_true(obj_attr_desc(OBJ_A_PROXY_ADDRESSES)->multi);
	assert_true(obj_attr_desc(OBJ_A_OTHER_MAILBOX)->multi);
	assert_true(obj_attr_desc(OBJ_A_OTHER_FACSIMILE_TELEPHONE_NUMBER)
	    ->multi);
	assert_true(obj_attr_desc(OBJ_A_O)->multi);
	assert_false(obj_attr_desc(OBJ_A_MAIL)->multi);
	assert_false(obj_attr_desc(OBJ_A_TELEPHONE_NUMBER)->multi);

	assert_int_equal(obj_attr_lookup(S("PROXYADDRESSES")),
	    OBJ_A_PROXY_ADDRESSES);
	assert_int_equal(obj_attr_lookup(S("samaccountname")),
	    OBJ_A_SAM_ACCOUNT_NAME);
	assert_int_equal(obj_attr_lookup(S("L")), OBJ_A_L);
	/* Length-bounded: "mailNickname" cut after "mail" is mail. */
	assert_int_equal(obj_attr_lookup("mailNickname", 4), OBJ_A_MAIL);
	assert_int_equal(obj_attr_lookup(S("mai")), -1);
	assert_int_equal(obj_attr_lookup(S("mailx")), -1);
	assert_int_equal(obj_attr_lookup(S("member")), -1);
	assert_int_equal(obj_attr_lookup(S("mail;range=0-1")), -1);
	assert_int_equal(obj_attr_lookup("mail\0", 5), -1);
	assert_int_equal(obj_attr_lookup(S("")), -1);
	assert_int_equal(obj_attr_lookup(NULL, 4), -1);
	assert_int_equal(obj_kind_name(OBJ_USER)[0], 'u');
	assert_string_equal(obj_kind_name(OBJ_CONTACT), "contact");
	assert_string_equal(obj_kind_name(OBJ_GROUP), "group");
	assert_string_equal(obj_kind_name(OBJ_UNKNOWN), "unknown");
	assert_string_equal(obj_kind_name((enum obj_kind)42), "unknown");
}

/* ---- struct obj life cycle ---- */

static void
test_obj_lifecycle(void **state)
{
	struct obj *o;
	struct obj_guid g;
	char val[32];
	int a, i;

	(void)state;
	obj_free(NULL);
	o = obj_new();
	assert_non_null(o);
	assert_true(obj_guid_is_zero(&o->guid));
	assert_int_equal(o->present, 0);
	assert_null(obj_value(o, OBJ_A_MAIL));
	assert_false(obj_is_present(o, OBJ_A_MAIL));

	/* One value for every attribute. */
	for (a = 0; a < OBJ_A_COUNT; a++) {
		snprintf(val, sizeof(val), "value %d", a);
		assert_int_equal(obj_value_add(o, (enum obj_attr)a, val,
		    strlen(val)), 0);
		assert_true(obj_is_present(o, (enum obj_attr)a));
	}
	assert_true(o->present == ((uint64_t)1 << OBJ_A_COUNT) - 1);
	assert_string_equal(obj_value(o, OBJ_A_CN), "value 9");
	/* Many values for a multi-valued one: the array grows. */
	for (i = 0; i < 1000; i++) {
		snprintf(val, sizeof(val), "smtp:u%d@example.test", i);
		assert_int_equal(obj_value_add(o, OBJ_A_PROXY_ADDRESSES, val,
		    strlen(val)), 0);
	}
	assert_int_equal(o->attrs[OBJ_A_PROXY_ADDRESSES].n, 1001);
	assert_string_equal(o->attrs[OBJ_A_PROXY_ADDRESSES].v[1000],
	    "smtp:u999@example.test");
	/* An empty value is a value. */
	assert_int_equal(obj_value_add(o, OBJ_A_OTHER_MAILBOX, "", 0), 0);
	assert_int_equal(obj_value_add(o, OBJ_A_OTHER_MAILBOX, NULL, 0), 0);
	assert_string_equal(o->attrs[OBJ_A_OTHER_MAILBOX].v[2], "");

	assert_int_equal(obj_dn_set(o, S("CN=Jane,OU=Staff,DC=example,"
	    "DC=test")), 0);
	assert_int_equal(obj_dn_set(o, S("CN=Jane Doe,OU=Staff,DC=example,"
	    "DC=test")), 0);
	assert_string_equal(o->dn, "CN=Jane Doe,OU=Staff,DC=example,DC=test");
	assert_int_equal(obj_sid_set(o, sid_admin, sizeof(sid_admin)), 0);
	assert_int_equal(obj_sid_set(o, sid_admin, sizeof(sid_admin)), 0);
	assert_string_equal(o->object_sid, SID_ADMIN_TEXT);
	assert_int_equal(obj_sid_set(o, sid_admin, 3), -ADSYNC_EPARSE);
	assert_string_equal(o->object_sid, SID_ADMIN_TEXT);

	assert_int_equal(obj_guid_from_raw(guid_raw, 16, &g), 0);
	for (i = 0; i < 100; i++) {
		snprintf(val, sizeof(val), "CN=m%d,DC=x", i);
		assert_int_equal(obj_ref_add(&o->member, i % 2 ? &g : NULL,
		    val, strlen(val)), 0);
	}
	assert_int_equal(o->member.n, 100);
	assert_true(obj_guid_is_zero(&o->member.v[0].guid));
	assert_true(obj_guid_equal(&o->member.v[1].guid, &g));
	assert_string_equal(o->member.v[99].dn, "CN=m99,DC=x");
	assert_int_equal(obj_ref_add(&o->member_of, &g, S("CN=g,DC=x")), 0);
	assert_int_equal(obj_ref_add(&o->member_added, &g, S("CN=a,DC=x")), 0);
	assert_int_equal(obj_ref_add(&o->member_removed, NULL, S("CN=r,DC=x")),
	    0);
	obj_mark_present(o, OBJ_A_COUNT);	/* ignored */
	obj_free(o);			/* LeakSanitizer checks the rest */
}

static void
test_obj_present(void **state)
{
	struct obj *o;

	(void)state;
	o = obj_new();
	/* Returned without values: cleared in a change read. */
	obj_mark_present(o, OBJ_A_TITLE);
	assert_true(obj_is_present(o, OBJ_A_TITLE));
	assert_null(obj_value(o, OBJ_A_TITLE));
	assert_false(obj_is_present(o, OBJ_A_TARGET_ADDRESS));
	obj_mark_present(o, OBJ_A_TARGET_ADDRESS);
	assert_true(o->present & (uint64_t)1 << OBJ_A_TARGET_ADDRESS);
	assert_false(obj_is_present(o, OBJ_A_COUNT));
	assert_false(obj_is_present(NULL, OBJ_A_MAIL));
	assert_null(obj_value(NULL, OBJ_A_MAIL));
	assert_null(obj_value(o, OBJ_A_COUNT));
	obj_free(o);
}

static void
test_obj_value_bad(void **state)
{
	static const char one[1] = { 'x' };
	struct obj *o;
	char *big;

	(void)state;
	o = obj_new();
	/*
	 * The limit is checked before the value is read or copied: a
	 * 1-byte buffer with a huge length must not be touched (ASan would
	 * report the overread).
	 */
	assert_int_equal(obj_value_add(o, OBJ_A_MAIL, one, SIZE_MAX),
	    -ADSYNC_ETOOBIG);
	assert_int_equal(obj_value_add(o, OBJ_A_MAIL, one, OBJ_VALUE_MAX + 1),
	    -ADSYNC_ETOOBIG);
	assert_int_equal(obj_ref_add(&o->member, NULL, one, OBJ_DN_MAX + 1),
	    -ADSYNC_ETOOBIG);
	assert_int_equal(obj_dn_set(o, one, OBJ_DN_MAX + 1), -ADSYNC_ETOOBIG);
	assert_false(obj_is_present(o, OBJ_A_MAIL));
	/* OBJ_VALUE_MAX itself is accepted. */
	big = malloc(OBJ_VALUE_MAX);
	assert_non_null(big);
	memset(big, 'a', OBJ_VALUE_MAX);
	assert_int_equal(obj_value_add(o, OBJ_A_DISPLAY_NAME, big,
	    OBJ_VALUE_MAX), 0);
	assert_int_equal(strlen(obj_value(o, OBJ_A_DISPLAY_NAME)),
	    OBJ_VALUE_MAX);
	free(big);

	/* Invalid UTF-8 and NUL bytes; the object is unchanged. */
	assert_int_equal(obj_value_add(o, OBJ_A_MAIL, S("a\xc0\xaf" "b")),
	    -ADSYNC_EPARSE);
	assert_int_equal(obj_value_add(o, OBJ_A_MAIL, "a\0b", 3),
	    -ADSYNC_EPARSE);
	assert_int_equal(obj_value_add(o, OBJ_A_MAIL, S("\xed\xa0\x80")),
	    -ADSYNC_EPARSE);
	assert_false(obj_is_present(o, OBJ_A_MAIL));
	assert_int_equal(o->attrs[OBJ_A_MAIL].n, 0);
	/* A second value of a single-valued attribute. */
	assert_int_equal(obj_value_add(o, OBJ_A_MAIL, S("a@example.test")), 0);
	assert_int_equal(obj_value_add(o, OBJ_A_MAIL, S("b@example.test")),
	    -ADSYNC_EPARSE);
	assert_int_equal(o->attrs[OBJ_A_MAIL].n, 1);
	assert_string_equal(obj_value(o, OBJ_A_MAIL), "a@example.test");
	/* Bad arguments. */
	assert_int_equal(obj_value_add(o, OBJ_A_COUNT, S("x")), -EINVAL);
	assert_int_equal(obj_value_add(o, (enum obj_attr)-1, S("x")), -EINVAL);
	assert_int_equal(obj_value_add(NULL, OBJ_A_MAIL, S("x")), -EINVAL);
	assert_int_equal(obj_value_add(o, OBJ_A_SN, NULL, 1), -EINVAL);
	assert_int_equal(obj_ref_add(NULL, NULL, S("CN=x")), -EINVAL);
	assert_int_equal(obj_ref_add(&o->member, NULL, NULL, 0), -EINVAL);
	assert_int_equal(obj_ref_add(&o->member, NULL, "", 0), -ADSYNC_EPARSE);
	assert_int_equal(obj_ref_add(&o->member, NULL, S("CN=\xff")),
	    -ADSYNC_EPARSE);
	assert_int_equal(o->member.n, 0);
	assert_int_equal(obj_dn_set(o, "", 0), -ADSYNC_EPARSE);
	assert_int_equal(obj_dn_set(o, S("CN=\xc1\x81")), -ADSYNC_EPARSE);
	assert_null(o->dn);
	assert_int_equal(obj_dn_set(NULL, S("CN=x")), -EINVAL);
	assert_int_equal(obj_sid_set(NULL, sid_admin, sizeof(sid_admin)),
	    -EINVAL);
	obj_free(o);
}

/* What the reader holds instead of failing (obj_value_check, obj_hold). */
static void
test_obj_hold(void **state)
{
	static const char one[1] = { 'x' };
	struct obj *o = obj_new();
	char text[256];

	(void)state;
	/* The length is checked before the bytes are read. */
	assert_int_equal(obj_value_check(one, SIZE_MAX), OBJ_BAD_LONG);
	assert_int_equal(obj_value_check(one, OBJ_VALUE_MAX + 1),
	    OBJ_BAD_LONG);
	assert_int_equal(obj_value_check("a\0b", 3), OBJ_BAD_NUL);
	assert_int_equal(obj_value_check(S("Bad\xff\xfeTitle")),
	    OBJ_BAD_UTF8);
	assert_int_equal(obj_value_check(S("\xc0\xaf")), OBJ_BAD_UTF8);
	assert_int_equal(obj_value_check(S("\xed\xa0\x80")), OBJ_BAD_UTF8);
	assert_int_equal(obj_value_check(S("Zo\xc3\xab")), OBJ_BAD_NONE);
	assert_int_equal(obj_value_check("", 0), OBJ_BAD_NONE);
	assert_int_equal(obj_value_check(NULL, 0), OBJ_BAD_NONE);

	assert_int_equal(obj_value_add(o, OBJ_A_TITLE, S("Old")), 0);
	assert_int_equal(obj_value_add(o, OBJ_A_MAIL, S("a@example.test")),
	    0);
	obj_hold(o, OBJ_A_TITLE, OBJ_BAD_UTF8);
	assert_null(obj_value(o, OBJ_A_TITLE));
	assert_false(obj_is_present(o, OBJ_A_TITLE));
	assert_int_equal(o->held, (uint64_t)1 << OBJ_A_TITLE);
	assert_int_equal(o->held_why[OBJ_A_TITLE], OBJ_BAD_UTF8);
	assert_string_equal(obj_value(o, OBJ_A_MAIL), "a@example.test");
	/* No reason, an invalid one or attribute: nothing happens. */
	obj_hold(o, OBJ_A_MAIL, OBJ_BAD_NONE);
	obj_hold(o, OBJ_A_MAIL, OBJ_BAD_COUNT);
	obj_hold(o, OBJ_A_COUNT, OBJ_BAD_UTF8);
	obj_hold(NULL, OBJ_A_MAIL, OBJ_BAD_UTF8);
	assert_int_equal(o->held, (uint64_t)1 << OBJ_A_TITLE);
	obj_hold(o, OBJ_A_DEPARTMENT, OBJ_BAD_LONG);
	assert_string_equal(obj_held_text(o, text, sizeof(text)),
	    "title: is not valid UTF-8; department: is longer than 65536 "
	    "bytes");
	/* Cut to fit, never overrun. */
	assert_int_equal(strlen(obj_held_text(o, text, 10)), 9);
	assert_string_equal(obj_bad_text(OBJ_BAD_NUL), "contains a NUL byte");
	assert_string_equal(obj_bad_text(OBJ_BAD_MANY),
	    "has more than 100000 values");
	assert_string_equal(obj_bad_text(OBJ_BAD_SINGLE),
	    "has several values, but the attribute takes one");
	assert_string_equal(obj_bad_text(OBJ_BAD_COUNT), "cannot be read");
	obj_values_clear(o, OBJ_A_MAIL);
	assert_null(obj_value(o, OBJ_A_MAIL));
	assert_false(obj_is_present(o, OBJ_A_MAIL));
	obj_free(o);
}

static void
test_obj_values_max(void **state)
{
	struct obj *o;
	size_t i;

	(void)state;
	o = obj_new();
	for (i = 0; i < OBJ_VALUES_MAX; i++)
		assert_int_equal(obj_value_add(o, OBJ_A_OTHER_MAILBOX, "m", 1),
		    0);
	assert_int_equal(obj_value_add(o, OBJ_A_OTHER_MAILBOX, "m", 1),
	    -ADSYNC_ETOOBIG);
	assert_int_equal(o->attrs[OBJ_A_OTHER_MAILBOX].n, OBJ_VALUES_MAX);
	for (i = 0; i < OBJ_VALUES_MAX; i++)
		assert_int_equal(obj_ref_add(&o->member, NULL, "m", 1), 0);
	assert_int_equal(obj_ref_add(&o->member, NULL, "m", 1),
	    -ADSYNC_ETOOBIG);
	assert_int_equal(o->member.n, OBJ_VALUES_MAX);
	obj_free(o);
}

/* ---- internals ---- */

static void
test_hex(void **state)
{
	uint8_t out[4];

	(void)state;
	assert_int_equal(obj_hex_decode(S("00aBcDfF"), out, 4), 0);
	assert_memory_equal(out, "\x00\xab\xcd\xff", 4);
	assert_int_equal(obj_hex_decode(S("00aBcDf"), out, 4), -ADSYNC_EPARSE);
	assert_int_equal(obj_hex_decode(S("00aBcDfg"), out, 4),
	    -ADSYNC_EPARSE);
	assert_int_equal(obj_hex_decode(S(""), out, 0), 0);
	assert_int_equal(obj_hex_value('g'), -1);
	assert_int_equal(obj_hex_value('F'), 15);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guid_round_trip),
		cmocka_unit_test(test_guid_bad),
		cmocka_unit_test(test_sid_good),
		cmocka_unit_test(test_sid_bad),
		cmocka_unit_test(test_sid_text),
		cmocka_unit_test(test_int_good),
		cmocka_unit_test(test_int_bad),
		cmocka_unit_test(test_num_internal),
		cmocka_unit_test(test_filetime),
		cmocka_unit_test(test_gentime_good),
		cmocka_unit_test(test_gentime_bad),
		cmocka_unit_test(test_proxy_good),
		cmocka_unit_test(test_proxy_bad),
		cmocka_unit_test(test_extdn_good),
		cmocka_unit_test(test_extdn_bad),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_range_bad),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_attr_table),
		cmocka_unit_test(test_obj_lifecycle),
		cmocka_unit_test(test_obj_present),
		cmocka_unit_test(test_obj_value_bad),
		cmocka_unit_test(test_obj_hold),
		cmocka_unit_test(test_obj_values_max),
		cmocka_unit_test(test_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
