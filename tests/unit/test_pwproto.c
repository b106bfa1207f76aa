/*
 * Unit tests of pwproto (docs/pwsync.md): the hook file (round trip, every
 * refusal, the file checks of pw_hookfile_load), the capture payload (a
 * table of bad bodies with the field each message must name, round trips
 * with non-ASCII passwords and JSON escapes, no password in any message),
 * and the heartbeat.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "pwproto.h"
#include "secret.h"

/* A hook file with small stand-in DER values (base64 of 3 bytes each). */
#define HF_GOOD \
	"format = 1\n" \
	"dc = DC1\n" \
	"receiver = https://adsync.example.test:8732\n" \
	"ca_cert = AAEC\n" \
	"client_cert = AwQF\n" \
	"client_key = BgcI\n" \
	"client_p12 = CQoL\n"

static void
hf_fill(struct pw_hookfile *hf)
{
	static const unsigned char ca[] = { 0x30, 0x82, 0x01, 0x00, 0xff };
	static const unsigned char cert[] = { 0x30, 0x01, 0x02 };
	static const unsigned char key[] = { 0x30, 0x81, 0x87, 0x02, 0x01,
	    0x00, 0x00 };
	static const unsigned char p12[] = { 0x30, 0x82, 0x04, 0x00 };

	memset(hf, 0, sizeof(*hf));
	snprintf(hf->dc, sizeof(hf->dc), "DC-1.example_x");
	hf->receiver = strdup("https://[::1]:8732");
	hf->ca_der = malloc(sizeof(ca));
	memcpy(hf->ca_der, ca, sizeof(ca));
	hf->ca_len = sizeof(ca);
	hf->cert_der = malloc(sizeof(cert));
	memcpy(hf->cert_der, cert, sizeof(cert));
	hf->cert_len = sizeof(cert);
	hf->key_der = secret_new(key, sizeof(key), "k");
	hf->p12 = secret_new(p12, sizeof(p12), "p");
	assert_non_null(hf->receiver);
	assert_non_null(hf->key_der);
	assert_non_null(hf->p12);
}

static void
assert_secret_eq(const struct secret *a, const struct secret *b)
{
	const unsigned char *x, *y;
	size_t xl, yl;

	x = secret_bytes(a, &xl);
	y = secret_bytes(b, &yl);
	assert_int_equal(xl, yl);
	assert_memory_equal(x, y, xl);
}

static void
test_hookfile_roundtrip(void **state)
{
	struct pw_hookfile hf, back;
	char why[256] = "";
	struct buf b;

	(void)state;
	hf_fill(&hf);
	buf_init(&b, PW_HOOKFILE_MAX);
	assert_int_equal(pw_hookfile_write(&hf, &b), 0);
	assert_non_null(strstr(buf_str(&b), "# adsync hook configuration for "
	    "DC-1.example_x"));
	assert_int_equal(pw_hookfile_parse(b.data, b.len, &back, why,
	    sizeof(why)), 0);
	assert_string_equal(back.dc, hf.dc);
	assert_string_equal(back.receiver, hf.receiver);
	assert_int_equal(back.ca_len, hf.ca_len);
	assert_memory_equal(back.ca_der, hf.ca_der, hf.ca_len);
	assert_int_equal(back.cert_len, hf.cert_len);
	assert_memory_equal(back.cert_der, hf.cert_der, hf.cert_len);
	assert_secret_eq(back.key_der, hf.key_der);
	assert_secret_eq(back.p12, hf.p12);
	pw_hookfile_fini(&back);
	buf_fini(&b);

	/* An incomplete struct is not written. */
	secret_free(hf.p12);
	hf.p12 = NULL;
	buf_init(&b, PW_HOOKFILE_MAX);
	assert_int_equal(pw_hookfile_write(&hf, &b), -EINVAL);
	buf_fini(&b);
	pw_hookfile_fini(&hf);
	pw_hookfile_fini(&hf);	/* twice: zeroed by the first */
}

static void
test_hookfile_forms(void **state)
{
	static const char *const ok[] = {
		HF_GOOD,
		/* comments, blank lines, any order, CRLF, inline comments */
		"# header\r\n\r\n  client_p12 = CQoL\r\nclient_key=BgcI\r\n"
		"client_cert =\tAwQF   # DER of the DC\r\n"
		"ca_cert = AAEC # the CA\r\ndc = DC1\r\n"
		"receiver = https://10.0.0.1\r\nformat = 1",
		"format = 1\ndc = a\nreceiver = https://h:1\nca_cert = AAEC\n"
		"client_cert = AwQF\nclient_key = BgcI\nclient_p12 = CQo=\n",
	};
	struct pw_hookfile hf;
	char why[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		why[0] = '\0';
		if (pw_hookfile_parse(ok[i], strlen(ok[i]), &hf, why,
		    sizeof(why)) != 0)
			fail_msg("form %zu refused: %s", i, why);
		assert_int_equal(hf.ca_len, 3);
		assert_int_equal(hf.ca_der[2], 2);
		pw_hookfile_fini(&hf);
	}
}

struct bad_case {
	const char *text;
	const char *want;	/* substring of `why` */
};

static void
test_hookfile_errors(void **state)
{
	static const struct bad_case bad[] = {
		{ HF_GOOD "colour = blue\n", "line 8: unknown key \"colour\"" },
		{ HF_GOOD "dc = DC2\n", "line 8: duplicate key \"dc\"" },
		{ "format = 1\ndc = DC1\nreceiver = https://a:1\n"
		    "ca_cert = AAE!\nclient_cert = AwQF\nclient_key = BgcI\n"
		    "client_p12 = CQoL\n", "line 4: ca_cert: invalid base64" },
		{ "format = 1\ndc = DC1\nreceiver = https://a:1\n"
		    "ca_cert = AAEC\nclient_cert = AwQF\nclient_key = BgcIA\n"
		    "client_p12 = CQoL\n", "line 6: client_key: invalid base64" },
		{ "format = 1\ndc = DC1\nreceiver = https://a:1\n"
		    "ca_cert = AAEC\nclient_cert = AwQF\nclient_key = BgcI\n"
		    "client_p12 = CQo\n", "client_p12: invalid base64" },
		/* padding bits not zero */
		{ "format = 1\ndc = DC1\nreceiver = https://a:1\n"
		    "ca_cert = AAEC\nclient_cert = AwQF\nclient_key = BgcI\n"
		    "client_p12 = CQp=\n", "client_p12: invalid base64" },
		{ "format = 1\ndc = DC1\nreceiver = https://a:1\n"
		    "ca_cert = AAEC\nclient_cert = AwQF\nclient_key = BgcI\n",
		    "missing key \"client_p12\"" },
		{ "format = 2\ndc = DC1\n", "line 1: format 2 is not supported" },
		{ "format = one\n", "line 1: format: not a number" },
		{ "dc = .DC1\n", "line 1: dc: not a DC name" },
		{ "dc = DC 1\n", "line 1: dc: not a DC name" },
		{ "receiver = http://a:1\n", "line 1: receiver: not https://" },
		{ "receiver = https://a:1/path\n", "receiver: not https://" },
		{ "receiver = https://user@a:1\n", "receiver: not https://" },
		{ "receiver = https://a:0\n", "receiver: not https://" },
		{ "receiver = https://a:65536\n", "receiver: not https://" },
		{ "dc =\n", "line 1: dc: empty value" },
		{ "just text\n", "line 1: expected key = value" },
		{ "Format = 1\n", "unknown key" },
		{ "", "missing key \"format\"" },
	};
	struct pw_hookfile hf;
	char why[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (pw_hookfile_parse(bad[i].text, strlen(bad[i].text), &hf,
		    why, sizeof(why)) != -EINVAL)
			fail_msg("case %zu accepted", i);
		if (strstr(why, bad[i].want) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, why,
			    bad[i].want);
		assert_null(hf.receiver);
		assert_null(hf.key_der);
		pw_hookfile_fini(&hf);
	}
}

static void
test_hookfile_limits(void **state)
{
	struct pw_hookfile hf;
	char why[256] = "", *big;
	size_t n;

	(void)state;
	/* An overlong line, even a comment. */
	n = strlen(HF_GOOD) + 2 + PW_HOOKFILE_LINE_MAX + 2;
	big = malloc(n + 1);
	assert_non_null(big);
	memcpy(big, HF_GOOD "# ", strlen(HF_GOOD) + 2);
	memset(big + strlen(HF_GOOD) + 2, 'x', PW_HOOKFILE_LINE_MAX);
	memcpy(big + n - 2, "\n", 2);
	assert_int_equal(pw_hookfile_parse(big, strlen(big), &hf, why,
	    sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "line 8: longer than 16384 bytes"));
	free(big);

	/* A NUL byte. */
	assert_int_equal(pw_hookfile_parse("format = 1\0\n", 12, &hf, why,
	    sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "line 1: NUL byte"));

	/* Too large a file, checked before anything is read. */
	assert_int_equal(pw_hookfile_parse(HF_GOOD, PW_HOOKFILE_MAX + 1, &hf,
	    why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "larger than"));

	/* A key value is never quoted. */
	assert_int_equal(pw_hookfile_parse("client_key = S3cr3tK3y!\n", 24,
	    &hf, why, sizeof(why)), -EINVAL);
	assert_null(strstr(why, "S3cr3tK3y"));
}

static void
test_hookfile_load(void **state)
{
	char dir[] = "/tmp/test_pwproto.XXXXXX", path[64], link[64];
	char why[512] = "";
	struct pw_hookfile hf;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dc1.adsync-hook", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, HF_GOOD, strlen(HF_GOOD)),
	    (ssize_t)strlen(HF_GOOD));
	close(fd);

	assert_int_equal(pw_hookfile_load(path, &hf, why, sizeof(why)), 0);
	assert_string_equal(hf.dc, "DC1");
	assert_string_equal(hf.receiver, "https://adsync.example.test:8732");
	pw_hookfile_fini(&hf);

	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(pw_hookfile_load(path, &hf, why, sizeof(why)), 0);
	pw_hookfile_fini(&hf);

	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(pw_hookfile_load(path, &hf, why, sizeof(why)),
	    -ADSYNC_ESECRET);
	assert_non_null(strstr(why, "chmod 600"));
	pw_hookfile_fini(&hf);

	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(symlink(path, link), 0);
	assert_true(pw_hookfile_load(link, &hf, why, sizeof(why)) < 0);
	assert_non_null(strstr(why, "symbolic link"));
	pw_hookfile_fini(&hf);

	/* A parse error names the file and the line. */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "format = 2\n", 11), 11);
	close(fd);
	assert_int_equal(pw_hookfile_load(path, &hf, why, sizeof(why)),
	    -EINVAL);
	assert_non_null(strstr(why, "dc1.adsync-hook: line 1: format 2"));

	unlink(link);
	unlink(path);
	rmdir(dir);
}

static void
test_dc_name(void **state)
{
	char long_name[PW_DC_MAX + 2];

	(void)state;
	assert_true(pw_dc_name_ok("DC1"));
	assert_true(pw_dc_name_ok("dc1.example.test"));
	assert_true(pw_dc_name_ok("A_b-9"));
	assert_false(pw_dc_name_ok(""));
	assert_false(pw_dc_name_ok(NULL));
	assert_false(pw_dc_name_ok(".dc"));
	assert_false(pw_dc_name_ok("-dc"));
	assert_false(pw_dc_name_ok("dc/1"));
	assert_false(pw_dc_name_ok("dc 1"));
	memset(long_name, 'a', PW_DC_MAX);
	long_name[PW_DC_MAX] = '\0';
	assert_true(pw_dc_name_ok(long_name));
	long_name[PW_DC_MAX] = 'a';
	long_name[PW_DC_MAX + 1] = '\0';
	assert_false(pw_dc_name_ok(long_name));
}

/* ------------------------------------------------------------------ */

#define ID "0123456789abcdef0123456789abcdef"
#define PW "Secret-XYZ9"
#define FIELDS(extra) "{\"v\":1,\"id\":\"" ID "\",\"source\":\"notify\"," \
	"\"committed\":true,\"account\":\"alice\",\"password\":\"" PW "\"," \
	"\"captured\":1700000000000" extra "}"

static void
test_capture_bad(void **state)
{
	static const struct bad_case bad[] = {
		{ "", "body: malformed JSON" },
		{ "[]", "body: not a JSON object" },
		{ "\"x\"", "body: malformed JSON" },
		{ FIELDS("") " x", "body: trailing data" },
		{ FIELDS(",\"password\":\"" PW "\""), "body: duplicate field" },
		{ "{\"v\":1,\"password\":\"Secret-XYZ9\xff\"}",
		    "body: invalid UTF-8" },
		{ "{\"password\":\"Secret-XYZ9\\u0000\"}", "body: NUL" },
		{ "{\"password\":\"Secret-XYZ9\\q\"}", "body: malformed JSON" },
		{ FIELDS(",\"extra\":1"), "extra: unknown field" },
		{ FIELDS(",\"Secret-XYZ9!\":1"), "unknown field (name not shown)" },
		{ "{\"id\":\"" ID "\"}", "v: missing" },
		{ "{\"v\":2}", "v: unsupported protocol version" },
		{ "{\"v\":\"1\"}", "v: not an integer" },
		{ "{\"v\":1.0}", "v: not an integer" },
		{ "{\"v\":1}", "id: missing" },
		{ "{\"v\":1,\"id\":\"0123456789ABCDEF0123456789abcdef\"}",
		    "id: not 32 lowercase hex" },
		{ "{\"v\":1,\"id\":\"0123\"}", "id: not 32 lowercase hex" },
		{ "{\"v\":1,\"id\":7}", "id: not a string" },
		{ "{\"v\":1,\"id\":\"" ID "\"}", "source: missing" },
		{ "{\"v\":1,\"id\":\"" ID "\",\"source\":\"ldap\"}",
		    "source: unknown source" },
		{ "{\"v\":1,\"id\":\"" ID "\",\"source\":\"notify\"}",
		    "committed: missing" },
		{ "{\"v\":1,\"id\":\"" ID "\",\"source\":\"notify\","
		    "\"committed\":1}", "committed: not a boolean" },
		{ "{\"v\":1,\"id\":\"" ID "\",\"source\":\"notify\","
		    "\"committed\":true,\"password\":\"" PW "\"}",
		    "account: missing (and no upn)" },
		{ "{\"v\":1,\"id\":\"" ID "\",\"source\":\"notify\","
		    "\"committed\":true,\"account\":\"\"}", "account: empty" },
		{ "{\"v\":1,\"id\":\"" ID "\",\"source\":\"notify\","
		    "\"committed\":true,\"account\":\"a\\tb\"}",
		    "account: control character" },
		{ "{\"v\":1,\"id\":\"" ID "\",\"source\":\"notify\","
		    "\"committed\":true,\"upn\":[]}", "upn: not a string" },
		{ FIELDS(",\"guid\":\"0123\""), "guid: not 8-4-4-4-12 hex" },
		{ FIELDS(",\"guid\":\"01234567-89ab-cdef-0123-456789abcdeg\""),
		    "guid: not 8-4-4-4-12 hex" },
		{ FIELDS(",\"sid\":\"S-1-5\""), "sid: not S-1-A-S1" },
		{ FIELDS(",\"sid\":\"S-1-5-21-01\""), "sid: not S-1-A-S1" },
		{ FIELDS(",\"sid\":\"S-1-5-4294967296\""), "sid: not S-1-A-S1" },
		{ FIELDS(",\"sid\":\"S-2-5-21\""), "sid: not S-1-A-S1" },
		{ "{\"v\":1,\"id\":\"" ID "\",\"source\":\"notify\","
		    "\"committed\":true,\"account\":\"a\",\"password\":\"" PW
		    "\"}", "captured: missing" },
		{ "{\"v\":1,\"id\":\"" ID "\",\"source\":\"notify\","
		    "\"committed\":true,\"account\":\"a\",\"captured\":0}",
		    "captured: out of range" },
		{ "{\"v\":1,\"id\":\"" ID "\",\"source\":\"notify\","
		    "\"committed\":true,\"account\":\"a\",\"captured\":1e3}",
		    "captured: not an integer" },
		{ "{\"v\":1,\"id\":\"" ID "\",\"source\":\"notify\","
		    "\"committed\":true,\"account\":\"a\",\"captured\":1}",
		    "password: missing" },
		{ "{\"v\":1,\"id\":\"" ID "\",\"source\":\"notify\","
		    "\"committed\":true,\"account\":\"a\",\"captured\":1,"
		    "\"password\":\"\"}", "password: empty" },
		{ "{\"v\":1,\"id\":\"" ID "\",\"source\":\"notify\","
		    "\"committed\":true,\"account\":\"a\",\"captured\":1,"
		    "\"password\":123}", "password: not a string" },
		{ "{\"v\":1,\"v\":1}", "body: duplicate field" },
	};
	struct pw_capture c;
	char why[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (pw_capture_decode(bad[i].text, strlen(bad[i].text), &c, why,
		    sizeof(why)) != -EINVAL)
			fail_msg("case %zu accepted", i);
		if (strstr(why, bad[i].want) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, why,
			    bad[i].want);
		/* SECURITY: no message quotes the password. */
		if (strstr(why, "Secret") != NULL || strstr(why, "XYZ9") !=
		    NULL)
			fail_msg("case %zu quotes the password: %s", i, why);
		assert_null(c.password);
		pw_capture_fini(&c);
	}
}

static void
test_capture_limits(void **state)
{
	struct pw_capture c;
	char why[256], *big;
	struct buf b;
	size_t n;

	(void)state;
	/* Too large a body: -E2BIG before parsing. */
	big = calloc(1, PW_BODY_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', PW_BODY_MAX + 1);
	assert_int_equal(pw_capture_decode(big, PW_BODY_MAX + 1, &c, why,
	    sizeof(why)), -E2BIG);
	free(big);

	/* A password of PW_PASSWORD_MAX bytes passes, one more does not. */
	for (n = PW_PASSWORD_MAX; n <= PW_PASSWORD_MAX + 1; n++) {
		buf_init(&b, PW_BODY_MAX);
		assert_int_equal(buf_printf(&b, "{\"v\":1,\"id\":\"" ID "\","
		    "\"source\":\"notify\",\"committed\":true,\"upn\":\"a@b\","
		    "\"captured\":5,\"password\":\""), 0);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(buf_addc(&b, 'p'), 0);
		assert_int_equal(buf_addstr(&b, "\"}"), 0);
		why[0] = '\0';
		assert_int_equal(pw_capture_decode(b.data, b.len, &c, why,
		    sizeof(why)), n == PW_PASSWORD_MAX ? 0 : -EINVAL);
		if (n > PW_PASSWORD_MAX)
			assert_non_null(strstr(why, "password: longer than"));
		pw_capture_fini(&c);
		buf_fini(&b);
	}
}

static void
roundtrip(const char *password, const char *account, const char *upn,
    const char *guid, const char *sid, enum pw_source src)
{
	struct pw_capture c, back;
	char why[256] = "";
	struct buf b;

	memset(&c, 0, sizeof(c));
	pw_capture_new_id(c.id);
	c.source = src;
	c.committed = src == PW_SRC_SYNCPASSWORDS || src == PW_SRC_NOTIFY;
	snprintf(c.account, sizeof(c.account), "%s", account);
	snprintf(c.upn, sizeof(c.upn), "%s", upn);
	snprintf(c.guid, sizeof(c.guid), "%s", guid);
	snprintf(c.sid, sizeof(c.sid), "%s", sid);
	c.password = secret_new(password, strlen(password), "pw");
	c.captured_ms = 1700000000123LL;
	buf_init(&b, PW_BODY_MAX);
	assert_int_equal(pw_capture_encode(&c, &b), 0);
	if (pw_capture_decode(b.data, b.len, &back, why, sizeof(why)) != 0)
		fail_msg("decode of our own encoding failed: %s", why);
	assert_string_equal(back.id, c.id);
	assert_int_equal(back.source, c.source);
	assert_int_equal(back.committed, c.committed);
	assert_string_equal(back.account, c.account);
	assert_string_equal(back.upn, c.upn);
	assert_string_equal(back.guid, c.guid);
	assert_string_equal(back.sid, c.sid);
	assert_int_equal(back.captured_ms, c.captured_ms);
	assert_secret_eq(back.password, c.password);
	pw_capture_fini(&back);
	pw_capture_fini(&c);
	buf_fini(&b);
}

static void
test_capture_roundtrip(void **state)
{
	(void)state;
	/* The source is UTF-8: this literal is Samba's stdin bytes. */
	assert_memory_equal("Pässwörd1€", "P\xc3\xa4ssw\xc3\xb6rd1\xe2\x82\xac",
	    14);
	roundtrip("Pässwörd1€", "alice", "alice@example.test", "", "",
	    PW_SRC_CHECK_PASSWORD);
	roundtrip("Pässwörd1€", "alice", "", "", "", PW_SRC_SYNCPASSWORDS);
	roundtrip("q\"uote\\back/slash\n\r\t\b\f\x01\x1f\x7f end", "j\xc3\xbcrgen",
	    "", "6f0c2b5e-1234-4abc-8def-0123456789ab",
	    "S-1-5-21-3623811015-3361044348-30300820-1013",
	    PW_SRC_PASSWORDFILTER);
	roundtrip("\xf0\x9f\x94\x91 emoji key", "", "bob@example.test", "",
	    "S-1-5-32-544", PW_SRC_NOTIFY);
}

static void
test_capture_decode_ok(void **state)
{
	static const char body[] = "{\"captured\": 1700000000000, "
	    "\"password\": \"P\\u00e4ss\\ud83d\\udd11\", \"sid\": \"S-1-5-18\","
	    " \"guid\": \"6F0C2B5E-1234-4ABC-8DEF-0123456789AB\", \"upn\": "
	    "\"u@x\", \"committed\": false, \"source\": \"check-password\", "
	    "\"id\": \"" ID "\", \"v\": 1}";
	struct pw_capture c;
	const unsigned char *p;
	char why[256] = "";
	size_t n;

	(void)state;
	assert_int_equal(pw_capture_decode(body, strlen(body), &c, why,
	    sizeof(why)), 0);
	assert_string_equal(c.account, "");
	assert_string_equal(c.upn, "u@x");
	/* GUIDs are kept in lower case. */
	assert_string_equal(c.guid, "6f0c2b5e-1234-4abc-8def-0123456789ab");
	assert_string_equal(c.sid, "S-1-5-18");
	assert_int_equal(c.source, PW_SRC_CHECK_PASSWORD);
	assert_false(c.committed);
	p = secret_bytes(c.password, &n);
	assert_int_equal(n, 9);
	assert_memory_equal(p, "P\xc3\xa4ss\xf0\x9f\x94\x91", 9);
	pw_capture_fini(&c);
}

static void
test_capture_encode_refuses(void **state)
{
	struct pw_capture c;
	struct buf b;

	(void)state;
	memset(&c, 0, sizeof(c));
	pw_capture_new_id(c.id);
	snprintf(c.account, sizeof(c.account), "alice");
	c.captured_ms = 1;
	/* A password that is not UTF-8 (Latin-1 "ä"). */
	c.password = secret_new("P\xe4ss", 4, "pw");
	buf_init(&b, PW_BODY_MAX);
	assert_int_equal(pw_capture_encode(&c, &b), -EINVAL);
	secret_free(c.password);
	c.password = secret_new("ok", 2, "pw");
	/* No account and no upn. */
	c.account[0] = '\0';
	assert_int_equal(pw_capture_encode(&c, &b), -EINVAL);
	snprintf(c.account, sizeof(c.account), "alice");
	c.source = PW_SRC_COUNT;
	assert_int_equal(pw_capture_encode(&c, &b), -EINVAL);
	c.source = PW_SRC_NOTIFY;
	assert_int_equal(pw_capture_encode(&c, &b), 0);
	buf_fini(&b);
	pw_capture_fini(&c);
}

static void
test_capture_ids(void **state)
{
	char a[PW_ID_LEN + 1], b[PW_ID_LEN + 1];
	size_t i;

	(void)state;
	pw_capture_new_id(a);
	pw_capture_new_id(b);
	assert_int_equal(strlen(a), PW_ID_LEN);
	assert_string_not_equal(a, b);
	for (i = 0; i < PW_ID_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	assert_string_equal(pw_source_name(PW_SRC_CHECK_PASSWORD),
	    "check-password");
	assert_string_equal(pw_source_name(PW_SRC_SYNCPASSWORDS),
	    "syncpasswords");
	assert_string_equal(pw_source_name(PW_SRC_PASSWORDFILTER),
	    "passwordfilter");
	assert_string_equal(pw_source_name(PW_SRC_NOTIFY), "notify");
	assert_string_equal(pw_source_name(PW_SRC_COUNT), "?");
}

static void
test_guid(void **state)
{
	static const unsigned char bin[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
	    10, 11, 12, 13, 14, 15 };
	char out[37];

	(void)state;
	pw_guid_format(bin, out);
	assert_string_equal(out, "03020100-0504-0706-0809-0a0b0c0d0e0f");
	assert_true(pw_guid_ok(out));
	assert_true(pw_guid_ok("6F0C2B5E-1234-4ABC-8DEF-0123456789AB"));
	assert_false(pw_guid_ok("6f0c2b5e12344abc8def0123456789ab"));
	assert_false(pw_guid_ok("{6f0c2b5e-1234-4abc-8def-0123456789ab}"));
	assert_false(pw_guid_ok(""));
}

/* The requests' Content-Type: application/json, and at most a UTF-8
 * charset parameter. */
static void
test_content_type(void **state)
{
	static const char *const good[] = {
		"application/json", "Application/JSON", " application/json ",
		"application/json; charset=utf-8",
		"application/json;charset=UTF-8",
		"application/json ; charset=\"utf-8\" ",
		"application/json;\tcharset=Utf-8",
	};
	static const char *const bad[] = {
		"", "text/plain", "application/jsonx", "application/json-seq",
		"application/x-www-form-urlencoded", "application/json,text/plain",
		"application/json; charset=iso-8859-1",
		"application/json; charset=utf-8x",
		"application/json; charset=\"utf-8",
		"application/json; charset=utf-8; q=1",
		"application/json; boundary=x", "application/json;",
		"application/json; charset", "json", "application/",
		"text/json",
	};
	size_t i;

	(void)state;
	assert_false(pw_content_type_ok(NULL));
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!pw_content_type_ok(good[i]))
			fail_msg("refused: \"%s\"", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pw_content_type_ok(bad[i]))
			fail_msg("accepted: \"%s\"", bad[i]);
}

static void
test_heartbeat(void **state)
{
	static const struct bad_case bad[] = {
		{ "{\"v\":1,\"version\":\"x\",\"spooled\":0}",
		    "last_change: missing" },
		{ "{\"v\":1,\"version\":\"x\",\"spooled\":-1,\"last_change\":0}",
		    "spooled: out of range" },
		{ "{\"v\":1,\"version\":\"\",\"spooled\":0,\"last_change\":0}",
		    "version: empty" },
		{ "{\"v\":1,\"version\":\"x\",\"spooled\":0,\"last_change\":0,"
		    "\"dc\":\"DC1\"}", "dc: unknown field" },
		{ "{\"v\":3,\"version\":\"x\",\"spooled\":0,\"last_change\":0}",
		    "v: out of range" },
		{ "{\"version\":\"x\"}", "v: missing" },
	};
	struct pw_heartbeat h, back;
	char why[256] = "";
	struct buf b;
	size_t i;

	(void)state;
	memset(&h, 0, sizeof(h));
	snprintf(h.version, sizeof(h.version), "adsync-pwhook 0.1.0 \"q\"");
	h.spooled = 42;
	h.last_change_ms = 1700000000999LL;
	buf_init(&b, PW_BODY_MAX);
	assert_int_equal(pw_heartbeat_encode(&h, &b), 0);
	assert_int_equal(pw_heartbeat_decode(b.data, b.len, &back, why,
	    sizeof(why)), 0);
	assert_string_equal(back.version, h.version);
	assert_int_equal(back.spooled, 42);
	assert_int_equal(back.last_change_ms, h.last_change_ms);
	buf_fini(&b);

	h.last_change_ms = -1;
	buf_init(&b, PW_BODY_MAX);
	assert_int_equal(pw_heartbeat_encode(&h, &b), -EINVAL);
	buf_fini(&b);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (pw_heartbeat_decode(bad[i].text, strlen(bad[i].text),
		    &back, why, sizeof(why)) != -EINVAL)
			fail_msg("heartbeat case %zu accepted", i);
		if (strstr(why, bad[i].want) == NULL)
			fail_msg("heartbeat case %zu: \"%s\" lacks \"%s\"", i,
			    why, bad[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hookfile_roundtrip),
		cmocka_unit_test(test_hookfile_forms),
		cmocka_unit_test(test_hookfile_errors),
		cmocka_unit_test(test_hookfile_limits),
		cmocka_unit_test(test_hookfile_load),
		cmocka_unit_test(test_dc_name),
		cmocka_unit_test(test_capture_bad),
		cmocka_unit_test(test_capture_limits),
		cmocka_unit_test(test_capture_roundtrip),
		cmocka_unit_test(test_capture_decode_ok),
		cmocka_unit_test(test_capture_encode_refuses),
		cmocka_unit_test(test_capture_ids),
		cmocka_unit_test(test_guid),
		cmocka_unit_test(test_heartbeat),
		cmocka_unit_test(test_content_type),
	};

	/* As in the hooks and the receiver: jansson wipes what it frees. */
	pw_json_wipe_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
