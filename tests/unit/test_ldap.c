/*
 * Unit tests of the pure parts of the LDAP source (src/ldap): watermark
 * text form, filters and range descriptions, error messages, and entry
 * decoding on canned attribute values (what libldap would hand over),
 * including ranged member retrieval, DirSync member deltas, extended DNs
 * and malformed values. No server: the integration tests
 * (tests/integration/test_ldap.sh) cover the libldap side.
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

#include "ad.h"
#include "ad_internal.h"
#include "conf.h"
#include "err.h"
#include "obj.h"

/* ---- watermarks ------------------------------------------------------ */

static void
wm_usn(struct ad_watermark *wm)
{
	memset(wm, 0, sizeof(*wm));
	wm->kind = AD_WM_USN;
	snprintf(wm->dc, sizeof(wm->dc), "dc1.example.test");
	snprintf(wm->invocation_id, sizeof(wm->invocation_id),
	    "0287f587-d5e2-4f23-adff-37a069a35762");
	wm->usn = 3942;
}

static void
test_watermark_usn(void **state)
{
	struct ad_watermark wm, back;
	char text[AD_WM_TEXT_MAX];

	(void)state;
	wm_usn(&wm);
	assert_int_equal(ad_watermark_encode(&wm, text, sizeof(text)), 0);
	assert_string_equal(text, "adwm1;usn;dc1.example.test;"
	    "0287f587-d5e2-4f23-adff-37a069a35762;3942");
	assert_int_equal(ad_watermark_decode(text, strlen(text), &back), 0);
	assert_int_equal(back.kind, AD_WM_USN);
	assert_string_equal(back.dc, wm.dc);
	assert_string_equal(back.invocation_id, wm.invocation_id);
	assert_true(back.usn == 3942);
	assert_int_equal(back.cookie_len, 0);
	/* Too small a buffer. */
	assert_int_equal(ad_watermark_encode(&wm, text, 20), -ADSYNC_ETOOBIG);
	/* Nothing to encode. */
	wm.kind = AD_WM_NONE;
	assert_int_equal(ad_watermark_encode(&wm, text, sizeof(text)),
	    -ADSYNC_EPARSE);
	wm_usn(&wm);
	snprintf(wm.dc, sizeof(wm.dc), "dc;1");
	assert_int_equal(ad_watermark_encode(&wm, text, sizeof(text)),
	    -ADSYNC_EPARSE);
}

static void
test_watermark_dirsync(void **state)
{
	struct ad_watermark wm, back;
	char *text = malloc(AD_WM_TEXT_MAX);
	size_t len;

	(void)state;
	assert_non_null(text);
	for (len = 1; len <= 8; len++) {
		wm_usn(&wm);
		wm.kind = AD_WM_DIRSYNC;
		wm.cookie_len = len;
		memcpy(wm.cookie, "\x00\xff\x10MSDS\x03", len);
		assert_int_equal(ad_watermark_encode(&wm, text,
		    AD_WM_TEXT_MAX), 0);
		assert_int_equal(ad_watermark_decode(text, strlen(text),
		    &back), 0);
		assert_int_equal(back.kind, AD_WM_DIRSYNC);
		assert_int_equal(back.cookie_len, len);
		assert_memory_equal(back.cookie, wm.cookie, len);
	}
	/* The largest cookie fits the documented text size. */
	wm.cookie_len = AD_COOKIE_MAX;
	memset(wm.cookie, 0xab, AD_COOKIE_MAX);
	assert_int_equal(ad_watermark_encode(&wm, text, AD_WM_TEXT_MAX), 0);
	assert_int_equal(ad_watermark_decode(text, strlen(text), &back), 0);
	assert_int_equal(back.cookie_len, AD_COOKIE_MAX);
	/* A DirSync watermark needs its cookie. */
	wm.cookie_len = 0;
	assert_int_equal(ad_watermark_encode(&wm, text, AD_WM_TEXT_MAX),
	    -ADSYNC_EPARSE);
	free(text);
}

static void
test_watermark_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"adwm1",
		"adwm2;usn;dc;inv;1",
		"adwm1;lsn;dc;inv;1",
		"adwm1;usn;;inv;1",
		"adwm1;usn;dc;;1",
		"adwm1;usn;dc;inv;",
		"adwm1;usn;dc;inv;01",
		"adwm1;usn;dc;inv;-1",
		"adwm1;usn;dc;inv;1x",
		"adwm1;usn;dc;inv;18446744073709551616",
		"adwm1;usn;dc;inv;1;",
		"adwm1;usn;dc;inv;1;QUJD",
		"adwm1;usn;d c;inv;1",
		"adwm1;dirsync;dc;inv;1",
		"adwm1;dirsync;dc;inv;1;",
		"adwm1;dirsync;dc;inv;1;QUJ",
		"adwm1;dirsync;dc;inv;1;QU=D",
		"adwm1;dirsync;dc;inv;1;QR==",
		"adwm1;dirsync;dc;inv;1;QUJD;",
		"adwm1;dirsync;dc;inv;1;QU*D",
	};
	struct ad_watermark wm;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ad_watermark_decode(bad[i], strlen(bad[i]), &wm) >= 0) {
			print_error("accepted: \"%s\"\n", bad[i]);
			fail();
		}
	}
	/* An embedded NUL is not part of the text form. */
	assert_true(ad_watermark_decode("adwm1;usn;dc;inv;1\0", 19, &wm) < 0);
	assert_int_equal(ad_watermark_decode("adwm1;usn;dc;inv;0", 18, &wm),
	    0);
	assert_int_equal(ad_watermark_decode("adwm1;dirsync;dc;inv;7;QUI=",
	    27, &wm), 0);
	assert_int_equal(wm.cookie_len, 2);
	assert_memory_equal(wm.cookie, "AB", 2);
}

static void
test_b64(void **state)
{
	unsigned char out[16];
	char text[32];
	size_t n;

	(void)state;
	assert_int_equal(ad_watermark_b64enc((const unsigned char *)"foobar",
	    6, text, sizeof(text)), 0);
	assert_string_equal(text, "Zm9vYmFy");
	assert_int_equal(ad_watermark_b64enc((const unsigned char *)"fo", 2,
	    text, sizeof(text)), 0);
	assert_string_equal(text, "Zm8=");
	assert_int_equal(ad_watermark_b64dec("Zm8=", 4, out, sizeof(out),
	    &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ad_watermark_b64dec("Zm9=", 4, out, sizeof(out),
	    &n), -ADSYNC_EPARSE);
	assert_int_equal(ad_watermark_b64dec("Zm9vYmFy", 8, out, 5, &n),
	    -ADSYNC_ETOOBIG);
	assert_int_equal(ad_watermark_b64enc((const unsigned char *)"foobar",
	    6, text, 8), -ADSYNC_ETOOBIG);
}

/* ---- filters --------------------------------------------------------- */

static void
test_filters(void **state)
{
	char f[AD_FILTER_MAX], small[20];

	(void)state;
	assert_string_equal(ad_filter_objects(false),
	    "(|(&(objectCategory=person)(objectClass=user))"
	    "(objectClass=contact)(objectClass=group))");
	assert_string_equal(ad_filter_objects(true),
	    "(|(&(objectCategory=person)(objectClass=user))"
	    "(objectClass=contact)(objectClass=group)(objectClass=computer)"
	    "(objectClass=foreignSecurityPrincipal))");
	assert_int_equal(ad_filter_usn(f, sizeof(f), 3942), 0);
	assert_string_equal(f, "(uSNChanged>=3943)");
	assert_string_equal(ad_filter_dirsync(), "(objectClass=*)");
	assert_int_equal(ad_filter_usn(f, sizeof(f), UINT64_MAX),
	    -ADSYNC_ERANGE);
	assert_int_equal(ad_filter_usn(small, 16, 123456789),
	    -ADSYNC_ETOOBIG);
	assert_int_equal(ad_filter_range_attr(f, sizeof(f), 0, 1500), 0);
	assert_string_equal(f, "member;range=0-1499");
	assert_int_equal(ad_filter_range_attr(f, sizeof(f), 3000, 1), 0);
	assert_string_equal(f, "member;range=3000-3000");
	assert_int_equal(ad_filter_range_attr(f, sizeof(f), -1, 10),
	    -ADSYNC_ERANGE);
	assert_int_equal(ad_filter_range_attr(f, sizeof(f), 0, 0),
	    -ADSYNC_ERANGE);
	assert_int_equal(ad_filter_range_attr(f, sizeof(f), 0x7fffffffL, 10),
	    -ADSYNC_ERANGE);
	assert_int_equal(ad_filter_range_rest(f, sizeof(f), 1500), 0);
	assert_string_equal(f, "member;range=1500-*");
	assert_int_equal(ad_filter_range_rest(f, sizeof(f), -1),
	    -ADSYNC_ERANGE);
	assert_int_equal(ad_filter_range_rest(small, 16, 0),
	    -ADSYNC_ETOOBIG);
	assert_int_equal(ad_filter_escape("a*(b)\\c", 7, f, sizeof(f)), 0);
	assert_string_equal(f, "a\\2a\\28b\\29\\5cc");
	assert_int_equal(ad_filter_escape("x\0y", 3, f, sizeof(f)), 0);
	assert_string_equal(f, "x\\00y");
	assert_int_equal(ad_filter_escape("(((", 3, small, 9),
	    -ADSYNC_ETOOBIG);
}

/* ---- error messages -------------------------------------------------- */

static void
test_errors(void **state)
{
	char why[1024], code[8];

	(void)state;
	assert_string_equal(ad_error_ad_data("80090308: LdapErr: "
	    "DSID-0C09041C, comment: AcceptSecurityContext error, data 52e, "
	    "v4563", code), "invalid credentials");
	assert_string_equal(code, "52e");
	assert_string_equal(ad_error_ad_data("... data 775, v1db1", code),
	    "account locked out");
	assert_string_equal(ad_error_ad_data("... data 5A1, x", code),
	    "logon failed");
	assert_string_equal(code, "5a1");
	assert_null(ad_error_ad_data("no code here", code));
	assert_null(ad_error_ad_data(NULL, code));
	assert_null(ad_error_ad_data("data ", code));

	ad_error_connect(why, sizeof(why), "ldaps://dc1", LDAP_INVALID_CREDENTIALS,
	    "80090308: LdapErr: DSID-0C0903A9, comment: "
	    "AcceptSecurityContext error, data 52e, v1db1",
	    "svc@example.test", "/etc/ca.pem", false);
	assert_string_equal(why, "ldaps://dc1: invalid credentials (AD data "
	    "52e) for bind_dn svc@example.test; check bind_dn and the password "
	    "in bind_password_file");
	ad_error_connect(why, sizeof(why), "ldaps://dc1", LDAP_CONNECT_ERROR,
	    "", "svc", "/etc/adsync/ad-ca.pem", false);
	assert_non_null(strstr(why, "ldaps://dc1: TLS failed; the server "
	    "certificate must be signed by a CA in ca_file "
	    "(/etc/adsync/ad-ca.pem)"));
	ad_error_connect(why, sizeof(why), "ldap://dc1", LDAP_CONNECT_ERROR,
	    NULL, "svc", "", true);
	assert_non_null(strstr(why, "TLS (StartTLS) failed"));
	assert_non_null(strstr(why, "the system CA bundle"));
	ad_error_connect(why, sizeof(why), "ldaps://dc2", LDAP_SERVER_DOWN,
	    "x\ny", "svc", "", false);
	assert_string_equal(why, "ldaps://dc2: cannot connect (x y); check "
	    "that the domain controller is up and reachable on that port");
	ad_error_connect(why, sizeof(why), "ldap://dc3",
	    LDAP_STRONG_AUTH_REQUIRED, "BindSimple: Transport encryption "
	    "required.", "svc", "", false);
	assert_non_null(strstr(why, "use ldaps:// or starttls = true"));

	assert_int_equal(ad_error_code(LDAP_SUCCESS), 0);
	assert_int_equal(ad_error_code(LDAP_INVALID_CREDENTIALS),
	    -ADSYNC_EAUTH);
	assert_int_equal(ad_error_code(LDAP_SERVER_DOWN), -ADSYNC_ETRANSPORT);
	assert_int_equal(ad_error_code(LDAP_TIMEOUT), -ADSYNC_ETIMEOUT);
	assert_int_equal(ad_error_code(LDAP_OPERATIONS_ERROR),
	    -ADSYNC_ESERVER);
	assert_true(ad_error_is_transport(LDAP_SERVER_DOWN));
	assert_false(ad_error_is_transport(LDAP_INVALID_CREDENTIALS));
	assert_string_equal(adsync_strerror(-ADSYNC_ERESYNC),
	    "a full read of the directory is needed");
	assert_string_equal(ad_change_name(AD_CHANGE_MOVE), "move");
	assert_null(ad_change_name(AD_CHANGE_NONE));
}

/* ---- entry decoding -------------------------------------------------- */

/* Canned values: up to 8 per attribute. */
struct canned {
	struct berval bv[8];
	size_t n;
};

static int
attr(struct ad_decode *d, struct obj *o, const char *desc, size_t n, ...)
{
	struct canned c;
	va_list ap;
	size_t i;

	va_start(ap, n);
	for (i = 0; i < n; i++) {
		c.bv[i].bv_val = va_arg(ap, char *);
		c.bv[i].bv_len = strlen(c.bv[i].bv_val);
	}
	va_end(ap);
	return ad_decode_attr(d, o, desc, c.bv, n);
}

/* objectGUID 8f124ec6-7371-4702-a4bd-0c5368735e93 as AD stores it. */
static const char guid_raw[16] = {
	(char)0xc6, 0x4e, 0x12, (char)0x8f, 0x71, 0x73, 0x02, 0x47,
	(char)0xa4, (char)0xbd, 0x0c, 0x53, 0x68, 0x73, 0x5e, (char)0x93,
};

#define MEMBER(n) "<GUID=66a1d09f-6ffc-466a-9948-6a42670721a" n ">;" \
	"<SID=S-1-5-21-1-2-3-50" n ">;CN=User " n ",CN=Users,DC=example,DC=test"

static void
test_decode_user(void **state)
{
	static const char dn[] = "<GUID=8f124ec6-7371-4702-a4bd-"
	    "0c5368735e93>;<SID=S-1-5-21-1-2-3-500>;CN=Zo\xc3\xab,CN=Users,"
	    "DC=example,DC=test";
	struct berval gbv = { .bv_len = 16, .bv_val = (char *)(uintptr_t)guid_raw };
	struct ad_decode d;
	struct obj *o = obj_new();
	char g[OBJ_GUID_TEXT];
	static const char sid_raw[] = "\x01\x05\x00\x00\x00\x00\x00\x05"
	    "\x15\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00"
	    "\xf4\x01\x00\x00";
	struct berval sbv = { .bv_len = 28, .bv_val = (char *)(uintptr_t)sid_raw };

	(void)state;
	ad_decode_init(&d, false);
	assert_int_equal(ad_decode_dn(&d, o, dn, strlen(dn)), 0);
	assert_string_equal(o->dn, "CN=Zo\xc3\xab,CN=Users,DC=example,DC=test");
	assert_int_equal(ad_decode_attr(&d, o, "objectGUID", &gbv, 1), 0);
	obj_guid_format(&o->guid, g);
	assert_string_equal(g, "8f124ec6-7371-4702-a4bd-0c5368735e93");
	assert_int_equal(ad_decode_attr(&d, o, "objectSid", &sbv, 1), 0);
	assert_string_equal(o->object_sid, "S-1-5-21-1-2-3-500");
	assert_int_equal(attr(&d, o, "objectClass", 4, "top", "person",
	    "organizationalPerson", "user"), 0);
	assert_int_equal(attr(&d, o, "userAccountControl", 1, "514"), 0);
	assert_int_equal(o->uac, 514);
	assert_int_equal(attr(&d, o, "pwdLastSet", 1, "0"), 0);
	assert_int_equal(attr(&d, o, "whenChanged", 1, "20261124131516.0Z"),
	    0);
	assert_true(o->when_changed > 0);
	assert_int_equal(attr(&d, o, "uSNChanged", 1, "3944"), 0);
	assert_true(o->usn_changed == 3944);
	assert_int_equal(attr(&d, o, "uSNCreated", 1, "3900"), 0);
	assert_true(d.usn_created == 3900);
	assert_int_equal(attr(&d, o, "mail", 1, "zoe@example.test"), 0);
	assert_int_equal(attr(&d, o, "displayName", 1,
	    "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m"), 0);
	assert_int_equal(attr(&d, o, "proxyAddresses", 3, "SMTP:zoe@example.test",
	    "smtp:z@example.test", "X500:/o=x"), 0);
	assert_int_equal(attr(&d, o, "memberOf", 2, MEMBER("1"), "CN=Plain,"
	    "DC=example,DC=test"), 0);
	/* An attribute the model does not keep is ignored. */
	assert_int_equal(attr(&d, o, "thumbnailPhoto", 1, "\xff\xd8"), 0);
	assert_int_equal(attr(&d, o, "isDeleted", 1, "FALSE"), 0);
	assert_int_equal(ad_decode_finish(&d, o), 0);
	assert_int_equal(o->kind, OBJ_USER);
	assert_false(d.is_computer);
	assert_false(o->deleted);
	assert_string_equal(obj_value(o, OBJ_A_MAIL), "zoe@example.test");
	assert_int_equal(o->attrs[OBJ_A_PROXY_ADDRESSES].n, 3);
	assert_true(o->present & ((uint64_t)1 << OBJ_A_DISPLAY_NAME));
	assert_int_equal(o->member_of.n, 2);
	assert_false(obj_guid_is_zero(&o->member_of.v[0].guid));
	assert_true(obj_guid_is_zero(&o->member_of.v[1].guid));
	assert_string_equal(o->member_of.v[0].dn,
	    "CN=User 1,CN=Users,DC=example,DC=test");
	assert_false(o->member_present);
	obj_free(o);
}

static void
test_decode_kinds(void **state)
{
	struct ad_decode d;
	struct obj *o;

	(void)state;
	o = obj_new();
	ad_decode_init(&d, false);
	assert_int_equal(attr(&d, o, "objectClass", 5, "top", "person",
	    "organizationalPerson", "user", "computer"), 0);
	assert_true(d.is_computer);
	/* A computer is a user by class, never one for sync. */
	assert_int_equal(o->kind, OBJ_UNKNOWN);
	obj_free(o);

	o = obj_new();
	ad_decode_init(&d, false);
	assert_int_equal(attr(&d, o, "objectClass", 4, "top", "person",
	    "organizationalPerson", "contact"), 0);
	assert_int_equal(o->kind, OBJ_CONTACT);
	assert_int_equal(attr(&d, o, "objectclass", 2, "top", "GROUP"), 0);
	assert_int_equal(o->kind, OBJ_GROUP);
	assert_int_equal(attr(&d, o, "groupType", 1, "-2147483646"), 0);
	assert_int_equal(o->group_type, (int32_t)-2147483646);
	assert_int_equal(attr(&d, o, "isDeleted", 1, "TRUE"), 0);
	assert_true(o->deleted);
	/* No GUID: refused. */
	assert_int_equal(ad_decode_finish(&d, o), -ADSYNC_EPARSE);
	assert_non_null(strstr(d.why, "objectGUID"));
	obj_free(o);
}

static void
test_decode_ranges(void **state)
{
	struct ad_decode d;
	struct obj *o = obj_new();

	(void)state;
	ad_decode_init(&d, false);
	assert_int_equal(attr(&d, o, "member;range=0-1", 2, MEMBER("1"),
	    MEMBER("2")), 0);
	assert_true(o->member_present);
	assert_int_equal(d.member_next, 2);
	assert_int_equal(attr(&d, o, "member;range=2-3", 2, MEMBER("3"),
	    MEMBER("4")), 0);
	assert_int_equal(d.member_next, 4);
	/* A gap is refused: the list would be incomplete. */
	assert_int_equal(attr(&d, o, "member;range=5-5", 1, MEMBER("6")),
	    -ADSYNC_EPARSE);
	d.why[0] = '\0';
	/* Count and range disagree. */
	assert_int_equal(attr(&d, o, "member;range=4-5", 1, MEMBER("5")),
	    -ADSYNC_EPARSE);
	assert_int_equal(attr(&d, o, "member;range=4-*", 1, MEMBER("5")), 0);
	assert_int_equal(d.member_next, -1);
	assert_int_equal(o->member.n, 5);
	assert_string_equal(o->member.v[4].dn,
	    "CN=User 5,CN=Users,DC=example,DC=test");
	assert_int_equal(attr(&d, o, "member;range=x-*", 1, MEMBER("5")),
	    -ADSYNC_EPARSE);
	obj_free(o);

	/* Samba's answer to a range request on a small group. */
	o = obj_new();
	ad_decode_init(&d, false);
	assert_int_equal(attr(&d, o, "member;range=0-*", 1, MEMBER("1")), 0);
	assert_int_equal(d.member_next, -1);
	assert_int_equal(o->member.n, 1);
	/* A ranged part that does not start at 0. */
	obj_free(o);
	o = obj_new();
	ad_decode_init(&d, false);
	assert_int_equal(attr(&d, o, "member;range=1500-*", 1, MEMBER("1")),
	    -ADSYNC_EPARSE);
	obj_free(o);

	/* Plain member: whole list. */
	o = obj_new();
	ad_decode_init(&d, false);
	assert_int_equal(attr(&d, o, "member", 3, MEMBER("1"), MEMBER("2"),
	    "CN=x,DC=example,DC=test"), 0);
	assert_int_equal(o->member.n, 3);
	assert_int_equal(d.member_next, -1);
	obj_free(o);
}

static void
test_decode_dirsync(void **state)
{
	struct ad_decode d;
	struct obj *o = obj_new();

	(void)state;
	ad_decode_init(&d, true);
	assert_int_equal(attr(&d, o, "member;range=1-1", 2, MEMBER("1"),
	    MEMBER("2")), 0);
	assert_int_equal(attr(&d, o, "member;range=0-0", 1, MEMBER("3")), 0);
	assert_int_equal(o->member_added.n, 2);
	assert_int_equal(o->member_removed.n, 1);
	assert_false(o->member_present);
	/* A cleared attribute: present, no values. */
	assert_int_equal(attr(&d, o, "mail", 0), 0);
	assert_true(o->present & ((uint64_t)1 << OBJ_A_MAIL));
	assert_null(obj_value(o, OBJ_A_MAIL));
	assert_int_equal(attr(&d, o, "name", 1, "x"), 0);
	assert_int_equal(attr(&d, o, "parentGUID", 1, "0123456789abcdef"), 0);
	assert_true(d.has_name && d.has_parent);
	obj_free(o);
}

static void
test_decode_bad(void **state)
{
	char big[OBJ_VALUE_MAX + 2];
	struct ad_decode d;
	struct obj *o = obj_new();

	(void)state;
	ad_decode_init(&d, false);
	/* Kept attributes hold (test_decode_held); the rest fails. */
	assert_int_equal(attr(&d, o, "userAccountControl", 1, "12x"),
	    -ADSYNC_EPARSE);
	assert_int_equal(attr(&d, o, "userAccountControl", 1, ""),
	    -ADSYNC_EPARSE);
	assert_int_equal(attr(&d, o, "uSNChanged", 1, "-5"), -ADSYNC_EPARSE);
	assert_int_equal(attr(&d, o, "objectGUID", 1, "short"),
	    -ADSYNC_EPARSE);
	assert_int_equal(attr(&d, o, "objectGUID", 2, "0123456789abcdef",
	    "0123456789abcdef"), -ADSYNC_EPARSE);
	assert_int_equal(attr(&d, o, "objectSid", 1, "\x01"), -ADSYNC_EPARSE);
	assert_int_equal(attr(&d, o, "member", 1, "<GUID=zz>;CN=x"),
	    -ADSYNC_EPARSE);
	assert_int_equal(ad_decode_dn(&d, o, "<GUID=nope>;CN=x", 16),
	    -ADSYNC_EPARSE);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(attr(&d, o, "description", 1, big), -ADSYNC_ETOOBIG);
	assert_int_equal(attr(&d, o, "isDeleted", 2, "TRUE", "FALSE"),
	    -ADSYNC_EPARSE);
	assert_int_equal(o->held, 0);
	obj_free(o);
}

static struct berval many[OBJ_VALUES_MAX + 1];

/*
 * One bad value of a kept attribute holds that attribute (issue 9,
 * hostile rows ad_raw_*): the entry still decodes, the attribute has no
 * value and is not `present` (so a change read's merge keeps the stored
 * one), the other attributes are whole.
 */
static void
test_decode_held(void **state)
{
	static const char ivan[] = "CN=Ivan Ivanov,OU=People,DC=example,"
	    "DC=test";
	char big[OBJ_VALUE_MAX + 2], text[512];
	struct berval gbv = { .bv_len = 16,
	    .bv_val = (char *)(uintptr_t)guid_raw };
	struct ad_decode d;
	struct obj *o = obj_new();
	size_t i;

	(void)state;
	ad_decode_init(&d, true);
	assert_int_equal(ad_decode_dn(&d, o, ivan, strlen(ivan)), 0);
	assert_int_equal(ad_decode_attr(&d, o, "objectGUID", &gbv, 1), 0);
	assert_int_equal(attr(&d, o, "objectClass", 4, "top", "person",
	    "organizationalPerson", "user"), 0);
	assert_int_equal(attr(&d, o, "title", 1, "Bad\xff\xfeTitle"), 0);
	assert_int_equal(attr(&d, o, "mail", 1, "ivan@example.com"), 0);
	assert_int_equal(attr(&d, o, "department", 1, "Sales"), 0);
	/* A NUL byte: the length is given, strlen would stop at it. */
	many[0].bv_val = (char *)(uintptr_t)"Sales\0Dept";
	many[0].bv_len = 10;
	assert_int_equal(ad_decode_attr(&d, o, "company", many, 1), 0);
	memset(big, 'D', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(attr(&d, o, "l", 1, big), 0);
	assert_int_equal(attr(&d, o, "displayName", 2, "One", "Two"), 0);
	/* Overlong '/' and a surrogate are not UTF-8 either. */
	assert_int_equal(attr(&d, o, "sn", 1, "\xc0\xaf"), 0);
	assert_int_equal(attr(&d, o, "givenName", 1, "\xed\xa0\x80"), 0);
	for (i = 0; i <= OBJ_VALUES_MAX; i++) {
		many[i].bv_val = (char *)(uintptr_t)"smtp:x@other.org";
		many[i].bv_len = 16;
	}
	assert_int_equal(ad_decode_attr(&d, o, "proxyAddresses", many,
	    OBJ_VALUES_MAX + 1), 0);
	assert_int_equal(ad_decode_finish(&d, o), 0);

	assert_int_equal(o->kind, OBJ_USER);
	assert_string_equal(obj_value(o, OBJ_A_MAIL), "ivan@example.com");
	assert_string_equal(obj_value(o, OBJ_A_DEPARTMENT), "Sales");
	assert_true(obj_is_present(o, OBJ_A_DEPARTMENT));
#define HELD(a, why) do {						\
	assert_true((o->held & (uint64_t)1 << (a)) != 0);		\
	assert_int_equal(o->held_why[a], (why));			\
	assert_null(obj_value(o, (a)));					\
	assert_false(obj_is_present(o, (a)));				\
} while (0)
	HELD(OBJ_A_TITLE, OBJ_BAD_UTF8);
	HELD(OBJ_A_COMPANY, OBJ_BAD_NUL);
	HELD(OBJ_A_L, OBJ_BAD_LONG);
	HELD(OBJ_A_DISPLAY_NAME, OBJ_BAD_SINGLE);
	HELD(OBJ_A_SN, OBJ_BAD_UTF8);
	HELD(OBJ_A_GIVEN_NAME, OBJ_BAD_UTF8);
	HELD(OBJ_A_PROXY_ADDRESSES, OBJ_BAD_MANY);
#undef HELD
	assert_false((o->held & (uint64_t)1 << OBJ_A_MAIL) != 0);
	obj_held_text(o, text, sizeof(text));
	assert_non_null(strstr(text, "title: is not valid UTF-8"));
	assert_non_null(strstr(text, "company: contains a NUL byte"));
	assert_non_null(strstr(text, "l: is longer than 65536 bytes"));
	/* The same attribute again in the entry stays held. */
	assert_int_equal(attr(&d, o, "title", 1, "Good"), 0);
	assert_null(obj_value(o, OBJ_A_TITLE));
	obj_free(o);
}

/* Computers and foreign security principals: kind unknown, no attributes
 * (mail on a computer never makes a mailbox), DN and GUID kept. */
static void
test_decode_others(void **state)
{
	struct berval gbv = { .bv_len = 16,
	    .bv_val = (char *)(uintptr_t)guid_raw };
	static const char pc[] = "CN=HOSTILEPC,CN=Computers,DC=example,"
	    "DC=test";
	static const char fsp[] = "<GUID=8f124ec6-7371-4702-a4bd-0c5368735e93>;"
	    "<SID=S-1-5-21-1111-2222-3333-1105>;CN=S-1-5-21-1111-2222-3333-"
	    "1105,CN=ForeignSecurityPrincipals,DC=example,DC=test";
	struct ad_decode d;
	struct obj *o = obj_new();

	(void)state;
	ad_decode_init(&d, false);
	assert_int_equal(ad_decode_dn(&d, o, pc, strlen(pc)), 0);
	assert_int_equal(ad_decode_attr(&d, o, "objectGUID", &gbv, 1), 0);
	assert_int_equal(attr(&d, o, "objectClass", 5, "top", "person",
	    "organizationalPerson", "user", "computer"), 0);
	assert_int_equal(attr(&d, o, "mail", 1, "pc@example.com"), 0);
	assert_int_equal(attr(&d, o, "title", 1, "\xff"), 0);
	assert_int_equal(ad_decode_finish(&d, o), 0);
	assert_int_equal(o->kind, OBJ_UNKNOWN);
	assert_null(obj_value(o, OBJ_A_MAIL));
	assert_int_equal(o->present, 0);
	assert_int_equal(o->held, 0);
	assert_string_equal(o->dn, pc);
	obj_free(o);

	o = obj_new();
	ad_decode_init(&d, false);
	assert_int_equal(ad_decode_dn(&d, o, fsp, strlen(fsp)), 0);
	assert_int_equal(attr(&d, o, "objectClass", 2, "top",
	    "foreignSecurityPrincipal"), 0);
	assert_true(d.is_fsp);
	assert_int_equal(ad_decode_finish(&d, o), 0);
	assert_int_equal(o->kind, OBJ_UNKNOWN);
	assert_false(obj_guid_is_zero(&o->guid));
	assert_non_null(strstr(o->dn, "CN=ForeignSecurityPrincipals"));
	obj_free(o);
}

static void
test_decode_attrs(void **state)
{
	const char *a[AD_ATTRS_MAX];
	size_t n;
	bool member = false, guid = false;

	(void)state;
	ad_decode_attrs(a, AD_ATTRS_MAX, "member;range=0-1499");
	for (n = 0; a[n] != NULL; n++) {
		member |= strcmp(a[n], "member;range=0-1499") == 0;
		guid |= strcmp(a[n], "objectGUID") == 0;
	}
	assert_true(member && guid);
	assert_true(n > OBJ_A_COUNT);
	/* A short array is cut, never overrun. */
	ad_decode_attrs(a, 3, NULL);
	assert_null(a[2]);
}

/*
 * The watermark checks of an incremental read happen before any LDAP
 * call, so a handle without a connection is enough to test them.
 */
static int
never_called(struct obj *o, enum ad_change change, void *arg)
{
	(void)change;
	(void)arg;
	obj_free(o);
	fail();
	return -1;
}

static void
test_watermark_resync(void **state)
{
	struct conf_ad conf = { .incremental = (char *)(uintptr_t)"usn" };
	struct ad_conn c;
	struct ad_watermark in, out;
	char why[512];

	(void)state;
	memset(&c, 0, sizeof(c));
	c.conf = &conf;
	snprintf(c.dc, sizeof(c.dc), "dc1.example.test");
	snprintf(c.invocation_id, sizeof(c.invocation_id),
	    "0287f587-d5e2-4f23-adff-37a069a35762");
	c.highest_usn = 3942;
	wm_usn(&in);
	/* Nothing changed: no search, the same watermark. */
	assert_int_equal(ad_usn_read(&c, &in, never_called, NULL, &out, why,
	    sizeof(why)), 0);
	assert_true(out.usn == 3942);
	/* Another DC answered (failover). */
	snprintf(c.dc, sizeof(c.dc), "dc2.example.test");
	assert_int_equal(ad_usn_read(&c, &in, never_called, NULL, &out, why,
	    sizeof(why)), -ADSYNC_ERESYNC);
	assert_non_null(strstr(why, "from dc1.example.test but "
	    "dc2.example.test answered"));
	/* The DC was restored: new invocationId. */
	snprintf(c.dc, sizeof(c.dc), "DC1.example.test");
	snprintf(c.invocation_id, sizeof(c.invocation_id),
	    "11111111-d5e2-4f23-adff-37a069a35762");
	assert_int_equal(ad_usn_read(&c, &in, never_called, NULL, &out, why,
	    sizeof(why)), -ADSYNC_ERESYNC);
	assert_non_null(strstr(why, "new invocationId"));
	/* The uSN went backwards. */
	snprintf(c.invocation_id, sizeof(c.invocation_id), "%s",
	    in.invocation_id);
	c.highest_usn = 100;
	assert_int_equal(ad_usn_read(&c, &in, never_called, NULL, &out, why,
	    sizeof(why)), -ADSYNC_ERESYNC);
	/* No watermark, or a DirSync one without its cookie. */
	in.kind = AD_WM_NONE;
	assert_int_equal(ad_read_changes(&c, &in, never_called, NULL, &out,
	    why, sizeof(why)), -ADSYNC_ERESYNC);
	in.kind = AD_WM_DIRSYNC;
	assert_int_equal(ad_dirsync_read(&c, &in, never_called, NULL, &out,
	    why, sizeof(why)), -ADSYNC_ERESYNC);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watermark_usn),
		cmocka_unit_test(test_watermark_dirsync),
		cmocka_unit_test(test_watermark_bad),
		cmocka_unit_test(test_b64),
		cmocka_unit_test(test_watermark_resync),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_decode_user),
		cmocka_unit_test(test_decode_kinds),
		cmocka_unit_test(test_decode_ranges),
		cmocka_unit_test(test_decode_dirsync),
		cmocka_unit_test(test_decode_bad),
		cmocka_unit_test(test_decode_held),
		cmocka_unit_test(test_decode_others),
		cmocka_unit_test(test_decode_attrs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
