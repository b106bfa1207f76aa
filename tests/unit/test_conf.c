/*
 * Unit tests of the configuration module: every [rackspace] key with good
 * and bad values, every kind of error with its exact line, libinih's quirks
 * (inline comments, 199/200-byte lines, continuation lines, long section
 * names), several errors in one pass, golden dumps and diagnostics
 * (tests/unit/golden/conf/NAME.conf -> NAME.ok), "the dump parses again",
 * the example configuration in packaging/, secret files through
 * conf_load_file(), and the [daemon] keys of the web console with their
 * cross-key check.
 *
 * Goldens: run with ADSYNC_UPDATE_GOLDENS=1 (or build the target
 * update-goldens-conf) to rewrite the .ok files, then review the diff.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "conf_internal.h"
#include "diag.h"
#include "err.h"

static char tmpdir[200];

/* ---- helpers ---------------------------------------------------------- */

static int
parse(const char *text, struct conf **out, struct diag *d)
{
	diag_init(d);
	return conf_parse_buffer(text, strlen(text), "t.conf", out, d);
}

/* All diagnostics as "LINE: MESSAGE\n" lines, for messages on failure. */
static char *
diag_text(const struct diag *d)
{
	char *s = NULL;
	size_t len = 0, i;
	FILE *fp = open_memstream(&s, &len);

	assert_non_null(fp);
	for (i = 0; i < d->n; i++)
		fprintf(fp, "%u: %s\n", d->v[i].line, d->v[i].msg);
	fclose(fp);
	return s;
}

static void
expect_ok(const char *text)
{
	struct conf *c = NULL;
	struct diag d;
	char *t;

	if (parse(text, &c, &d) != 0) {
		t = diag_text(&d);
		print_error("unexpected errors for:\n%s\n---\n%s", text, t);
		free(t);
		fail();
	}
	assert_int_equal(d.n, 0);
	conf_free(c);
	diag_fini(&d);
}

/* Exactly one problem, at `line`, whose message contains `sub`. */
static void
expect_error(const char *text, unsigned line, const char *sub)
{
	struct conf *c = NULL;
	struct diag d;
	char *t;

	assert_int_equal(parse(text, &c, &d), -ADSYNC_ECONFIG);
	assert_null(c);
	if (d.n != 1 || d.v[0].line != line || strstr(d.v[0].msg, sub) ==
	    NULL) {
		t = diag_text(&d);
		print_error("for:\n%s\n---\nwanted one error at line %u with "
		    "\"%s\", got:\n%s", text, line, sub, t);
		free(t);
		fail();
	}
	assert_string_equal(d.v[0].file, "t.conf");
	diag_fini(&d);
}

static char *
dump_of(const struct conf *c)
{
	char *s = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&s, &len);

	assert_non_null(fp);
	conf_dump(c, fp);
	fclose(fp);
	return s;
}

/* dump -> parse -> dump gives the same text. */
static void
assert_dump_roundtrip(const struct conf *c)
{
	struct conf *c2 = NULL;
	struct diag d;
	char *d1, *d2;

	d1 = dump_of(c);
	diag_init(&d);
	assert_int_equal(conf_parse_buffer(d1, strlen(d1), "dump", &c2, &d),
	    0);
	d2 = dump_of(c2);
	assert_string_equal(d1, d2);
	free(d1);
	free(d2);
	conf_free(c2);
	diag_fini(&d);
}

static char *
read_all(const char *path, size_t *lenp)
{
	char *s = NULL;
	long n;
	FILE *fp = fopen(path, "rb");

	if (fp == NULL)
		return NULL;
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
	s[n] = '\0';
	fclose(fp);
	if (lenp != NULL)
		*lenp = (size_t)n;
	return s;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static const char *
srcdir(void)
{
	const char *s = getenv("ADSYNC_TEST_SRCDIR");

	return s != NULL ? s : ".";
}

/* ---- defaults and the table ------------------------------------------- */

static void
test_defaults(void **state)
{
	struct conf *c = conf_new_default(), *p = NULL;
	struct diag d;
	char *d1, *d2;

	(void)state;
	assert_string_equal(c->path, "");
	assert_string_equal(c->rackspace.api_url,
	    "https://api.emailsrvr.com/v1");
	assert_string_equal(c->rackspace.customer, "me");
	assert_string_equal(c->rackspace.user_key, "");
	assert_string_equal(c->rackspace.secret_key_file,
	    "/etc/adsync/rackspace-secret.key");
	assert_string_equal(c->rackspace.ca_file, "");
	assert_string_equal(c->rackspace.user_agent, "adsync/" ADSYNC_VERSION);
	assert_int_equal(c->rackspace.reads_per_minute, 60);
	assert_int_equal(c->rackspace.writes_per_minute, 30);
	assert_int_equal(c->rackspace.domain_writes_per_minute, 2);
	assert_int_equal(c->rackspace.throttle_window, 60);
	assert_int_equal(c->rackspace.timeout, 30);
	assert_int_equal(c->rackspace.connect_timeout, 10);
	assert_int_equal(c->rackspace.max_retries, 5);
	assert_int_equal(c->rackspace.max_in_flight, 4);
	/* An empty file is the defaults. */
	assert_int_equal(parse("", &p, &d), 0);
	d1 = dump_of(c);
	d2 = dump_of(p);
	assert_string_equal(d1, d2);
	assert_dump_roundtrip(c);
	free(d1);
	free(d2);
	conf_free(c);
	conf_free(p);
	conf_free(NULL);
	diag_fini(&d);
}

/*
 * The table is consistent: every value it allows fits on one dump line
 * that inih reads, defaults are within bounds, secrets are *_file paths.
 */
static void
test_table_fits_lines(void **state)
{
	const struct conf_section *s;
	const struct conf_key *k;
	char num[32];
	size_t i, j, width;

	(void)state;
	for (i = 0; i < conf_nsections; i++) {
		s = conf_sections[i];
		assert_true(strlen(s->name) <= 49);
		for (j = 0; j < s->nkeys; j++) {
			k = &s->keys[j];
			if (k->type == CONF_T_UINT) {
				assert_true(k->min <= k->def_num &&
				    k->def_num <= k->max);
				assert_true(k->max <= UINT_MAX);
				width = (size_t)snprintf(num, sizeof(num),
				    "%lld", k->max);
			} else if (k->type == CONF_T_BOOL) {
				assert_true(k->def_num == 0 ||
				    k->def_num == 1);
				width = strlen("false");
			} else {
				width = (size_t)k->max;
				assert_true(strlen(k->def_str) <=
				    (size_t)k->max);
			}
			assert_true(strlen(k->name) + 3 + width <=
			    CONF_LINE_MAX);
			if (k->flags & CONF_F_SENSITIVE) {
				assert_int_equal(k->type, CONF_T_PATH);
				assert_non_null(strstr(k->name, "_file"));
			}
			/* needed_if names a string key of the section. */
			if (k->needed_if != NULL) {
				size_t m;

				for (m = 0; m < s->nkeys; m++)
					if (strcmp(s->keys[m].name,
					    k->needed_if) == 0)
						break;
				assert_true(m < s->nkeys);
				assert_int_not_equal(s->keys[m].type,
				    CONF_T_UINT);
			}
		}
	}
}

/* ---- every key, good and bad ----------------------------------------- */

struct kv_case {
	const char *line;
	const char *err;	/* NULL: accepted; else part of the message */
};

static const struct kv_case kv_cases[] = {
	{ "api_url = https://api.emailsrvr.com/v1", NULL },
	{ "api_url = https://api.emailsrvr.com", NULL },
	{ "api_url = https://api.emailsrvr.com:443/v1", NULL },
	{ "api_url = https://[2001:db8::1]:8443/v1", NULL },
	{ "api_url = http://127.0.0.1:8080/v1", NULL },
	{ "api_url = http://127.255.1.2/v1", NULL },
	{ "api_url = http://localhost:8080", NULL },
	{ "api_url = http://LocalHost/v1", NULL },
	{ "api_url = http://[::1]:8443/v1", NULL },
	{ "api_url = http://api.emailsrvr.com/v1",
	  "http:// is refused for api.emailsrvr.com; use https://" },
	{ "api_url = http://128.0.0.1/v1", "http:// is refused" },
	{ "api_url = http://10.0.0.1/v1", "http:// is refused" },
	{ "api_url = http://127.0.0.1.example.com/v1", "http:// is refused" },
	{ "api_url = http://localhost.example.com/v1", "http:// is refused" },
	{ "api_url = http://127.1/v1", "http:// is refused" },
	{ "api_url = http://[::2]/v1", "http:// is refused" },
	{ "api_url = http://[::ffff:127.0.0.1]/v1", "http:// is refused" },
	{ "api_url = ftp://api.emailsrvr.com/v1", "only https:// URLs" },
	{ "api_url = HTTPS://api.emailsrvr.com/v1", "lower case" },
	{ "api_url = api.emailsrvr.com/v1", "is not a URL" },
	{ "api_url = https://", "no host name" },
	{ "api_url = https:///v1", "no host name" },
	{ "api_url = https://u:pw@api.emailsrvr.com/v1",
	  "never written in the URL" },
	{ "api_url = https://api.emailsrvr.com/v1/", "trailing '/'" },
	{ "api_url = https://api.emailsrvr.com/", "trailing '/'" },
	{ "api_url = https://api.emailsrvr.com/v1?x=1", "query or fragment" },
	{ "api_url = https://api.emailsrvr.com/v1#x", "query or fragment" },
	{ "api_url = https://api.emailsrvr.com:0/v1", "port" },
	{ "api_url = https://api.emailsrvr.com:65536/v1", "port" },
	{ "api_url = https://api.emailsrvr.com:/v1", "port" },
	{ "api_url = https://api.emailsrvr.com:44x/v1", "port" },
	{ "api_url = https://api_emailsrvr.com/v1", "host name" },
	{ "api_url = https://-api.example/v1", "host name" },
	{ "api_url = https://[::1/v1", "closing ']'" },
	{ "api_url = https://[zz::1]/v1", "IPv6" },
	{ "api_url = https://[::1]x/v1", "after the IPv6" },
	{ "api_url = https://api.emailsrvr.com/a b", "space" },
	{ "api_url = https://api.emailsrvr.com/caf\xc3\xa9", "non-ASCII" },
	{ "api_url =", "api_url: no value" },
	{ "api_url = \"https://api.emailsrvr.com/v1\"", "remove the quotes" },

	{ "customer = me", NULL },
	{ "customer = 1234567", NULL },
	{ "customer = 12345678901234567890", NULL },
	{ "customer = 123456789012345678901", "at most 20" },
	{ "customer = Me", "neither \"me\" nor an account number" },
	{ "customer = 12a", "neither" },
	{ "customer = -5", "neither" },
	{ "customer = 'me'", "remove the quotes" },
	{ "customer =", "customer: no value" },

	{ "user_key = eGbq9/2hcZsRlr1JV1Pi", NULL },
	{ "user_key =", NULL },
	{ "user_key = eGbq9/2hcZsRlr1JV1Pi:QHOvchm", "contains ':'" },
	{ "user_key = eGbq9 2hcZsRlr1JV1Pi", "space" },
	{ "user_key = caf\xc3\xa9", "printable ASCII" },

	{ "secret_key_file = /etc/adsync/rs.key", NULL },
	{ "secret_key_file = /etc/adsync/my key", NULL },
	{ "secret_key_file = rs.key", "not an absolute path" },
	{ "secret_key_file = ~/rs.key", "not an absolute path" },
	{ "secret_key_file =", "secret_key_file: no value" },

	{ "ca_file =", NULL },
	{ "ca_file = /etc/adsync/test-ca.pem", NULL },
	{ "ca_file = test-ca.pem", "not an absolute path" },

	{ "user_agent = Rackspace Management Interface", NULL },
	{ "user_agent = adsync/1.0 (test; x)", NULL },
	{ "user_agent = a;b", NULL },
	{ "user_agent =", "user_agent: no value" },
	{ "user_agent =;x", "cannot start with ';'" },
	{ "user_agent = caf\xc3\xa9", "printable ASCII" },
};

static void
test_keys_good_and_bad(void **state)
{
	char text[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(kv_cases) / sizeof(kv_cases[0]); i++) {
		snprintf(text, sizeof(text), "[rackspace]\n%s\n",
		    kv_cases[i].line);
		if (kv_cases[i].err == NULL)
			expect_ok(text);
		else
			expect_error(text, 2, kv_cases[i].err);
	}
}

static void
test_values_stored(void **state)
{
	struct conf *c = NULL;
	struct diag d;

	(void)state;
	assert_int_equal(parse("[rackspace]\n"
	    "api_url = http://127.0.0.1:8080/v1\n"
	    "customer = 1234567\n"
	    "user_key = eGbq9/2hcZsRlr1JV1Pi\n"
	    "secret_key_file = /etc/adsync/rs.key\n"
	    "ca_file = /etc/adsync/ca.pem\n"
	    "user_agent = Rackspace Management Interface\n"
	    "reads_per_minute = 120\n"
	    "writes_per_minute = 90\n"
	    "domain_writes_per_minute = 3\n"
	    "throttle_window = 2\n"
	    "timeout = 5\n"
	    "connect_timeout = 1\n"
	    "max_retries = 0\n"
	    "max_in_flight = 8\n", &c, &d), 0);
	assert_string_equal(c->rackspace.api_url, "http://127.0.0.1:8080/v1");
	assert_string_equal(c->rackspace.customer, "1234567");
	assert_string_equal(c->rackspace.user_key, "eGbq9/2hcZsRlr1JV1Pi");
	assert_string_equal(c->rackspace.secret_key_file,
	    "/etc/adsync/rs.key");
	assert_string_equal(c->rackspace.ca_file, "/etc/adsync/ca.pem");
	assert_string_equal(c->rackspace.user_agent,
	    "Rackspace Management Interface");
	assert_int_equal(c->rackspace.reads_per_minute, 120);
	assert_int_equal(c->rackspace.writes_per_minute, 90);
	assert_int_equal(c->rackspace.domain_writes_per_minute, 3);
	assert_int_equal(c->rackspace.throttle_window, 2);
	assert_int_equal(c->rackspace.timeout, 5);
	assert_int_equal(c->rackspace.connect_timeout, 1);
	assert_int_equal(c->rackspace.max_retries, 0);
	assert_int_equal(c->rackspace.max_in_flight, 8);
	assert_string_equal(c->path, "");
	assert_dump_roundtrip(c);
	conf_free(c);
	diag_fini(&d);
}

/*
 * Every number key: both bounds accepted and stored, one past each bound
 * refused, and non-numbers refused. Line 2 keeps connect_timeout <= timeout
 * whatever the key under test is.
 */
static void
test_numbers(void **state)
{
	const struct conf_section *s = &conf_rackspace_section;
	const struct conf_key *k;
	const char *pre;
	struct conf *c;
	struct diag d;
	char text[512];
	size_t j, b;
	static const char *const junk[] = {
		"abc", "12abc", "5 s", "0x10", "+5", "-1", "1.5", "1e3", "",
	};

	(void)state;
	for (j = 0; j < s->nkeys; j++) {
		k = &s->keys[j];
		if (k->type != CONF_T_UINT)
			continue;
		pre = strcmp(k->name, "timeout") == 0 ? "connect_timeout = 1" :
		    "timeout = 3600";
		for (b = 0; b < 2; b++) {
			long long v = b == 0 ? k->min : k->max;

			snprintf(text, sizeof(text), "[rackspace]\n%s\n"
			    "%s = %lld\n", pre, k->name, v);
			c = NULL;
			assert_int_equal(parse(text, &c, &d), 0);
			assert_int_equal(*(const unsigned *)(const void *)
			    ((const char *)c + k->offset), (unsigned)v);
			conf_free(c);
			diag_fini(&d);
		}
		snprintf(text, sizeof(text), "[rackspace]\n%s\n%s = %lld\n",
		    pre, k->name, k->max + 1);
		expect_error(text, 3, "is too large; give a number from");
		if (k->min > 0) {
			snprintf(text, sizeof(text), "[rackspace]\n%s\n"
			    "%s = %lld\n", pre, k->name, k->min - 1);
			expect_error(text, 3, "is too small");
		}
		snprintf(text, sizeof(text), "[rackspace]\n%s\n%s = "
		    "99999999999999999999999\n", pre, k->name);
		expect_error(text, 3, "too large");
		for (b = 0; b < sizeof(junk) / sizeof(junk[0]); b++) {
			snprintf(text, sizeof(text), "[rackspace]\n%s\n"
			    "%s = %s\n", pre, k->name, junk[b]);
			expect_error(text, 3, junk[b][0] != '\0' ?
			    "is not a whole number" : "no value");
		}
	}
}

/* Strings at their longest are accepted, one byte more is refused. */
static void
test_string_lengths(void **state)
{
	const struct conf_section *s = &conf_rackspace_section;
	const struct conf_key *k;
	char text[512], val[256];
	size_t j, len, extra;
	const char *pre;

	(void)state;
	for (j = 0; j < s->nkeys; j++) {
		k = &s->keys[j];
		if (k->type == CONF_T_UINT)
			continue;
		for (extra = 0; extra < 2; extra++) {
			len = (size_t)k->max + extra;
			assert_true(len < sizeof(val));
			pre = k->type == CONF_T_PATH ? "/" :
			    strcmp(k->name, "api_url") == 0 ?
			    "https://a.example/" : "";
			memset(val, strcmp(k->name, "customer") == 0 ? '1' :
			    'a', len);
			memcpy(val, pre, strlen(pre));
			val[len] = '\0';
			snprintf(text, sizeof(text), "[rackspace]\n%s = %s\n",
			    k->name, val);
			if (extra == 0)
				expect_ok(text);
			else
				expect_error(text, 2, "are accepted");
		}
	}
}

static void
test_cross_check(void **state)
{
	(void)state;
	expect_error("[rackspace]\ntimeout = 20\nconnect_timeout = 21\n", 3,
	    "connect_timeout (21 s) is longer than timeout (20 s)");
	/* connect_timeout left at 10: the section header is the place. */
	expect_error("# x\n[rackspace]\ntimeout = 5\n", 2,
	    "connect_timeout (10 s) is longer than timeout (5 s)");
	expect_ok("[rackspace]\ntimeout = 10\nconnect_timeout = 10\n");
	/* A refused value does not cause a second, joined complaint. */
	expect_error("[rackspace]\ntimeout = 5\nconnect_timeout = x\n", 3,
	    "not a whole number");
}

/* ---- structure errors, each with its line ----------------------------- */

static void
test_unknown_section(void **state)
{
	(void)state;
	expect_error("[rackspace]\ncustomer = me\n\n[rackspce]\n", 4,
	    "unknown section [rackspce]; did you mean [rackspace]?");
	expect_error("[frobnicate]\nfoo = 1\n", 1,
	    "unknown section [frobnicate]; see adsync.conf(5)");
	expect_error("[ rackspace ]\n", 1, "did you mean [rackspace]?");
	expect_error("[RackSpace]\n", 1, "did you mean [rackspace]?");
	/* inih would cut this name at 49 characters; we see all of it. */
	expect_error("[rackspace_rackspace_rackspace_rackspace_rackspace_x]\n"
	    "customer = me\n", 1,
	    "unknown section [rackspace_rackspace_rackspace_rackspace_"
	    "rackspace_x]");
}

static void
test_section_syntax(void **state)
{
	(void)state;
	expect_error("[rackspace\ncustomer = me\n", 1, "no closing ']'");
	expect_error("[rackspace ; x]\n", 1, "no closing ']'");
	expect_error("[]\n", 1, "empty section name");
	expect_error("[rackspace] extra\n", 1, "text after ']'");
	expect_ok("[rackspace] ; comment\n");
	expect_ok("[rackspace]   # comment\n");
	expect_error("[rackspace]\ncustomer = me\n[rackspace]\n", 3,
	    "section [rackspace] appears again (first on line 1)");
}

static void
test_unknown_key(void **state)
{
	(void)state;
	expect_error("[rackspace]\ncustomr = me\n", 2,
	    "unknown key \"customr\" in [rackspace]; did you mean customer?");
	expect_error("[rackspace]\nAPI_URL = https://a.example\n", 2,
	    "did you mean api_url?");
	expect_error("[rackspace]\nreads_per_min = 5\n", 2,
	    "did you mean reads_per_minute?");
	expect_error("[rackspace]\nsecret_key_fil = /x\n", 2,
	    "did you mean secret_key_file?");
	expect_error("[rackspace]\nfrobnicate = 1\n", 2,
	    "unknown key \"frobnicate\" in [rackspace]; see adsync.conf(5)");
	expect_error("customer = me\n[rackspace]\n", 1,
	    "key customer comes before any section; put it under "
	    "[rackspace]");
	expect_error("\n\nfoo = me\n", 3, "comes before any section");
}

static void
test_duplicate_key(void **state)
{
	(void)state;
	expect_error("[rackspace]\ncustomer = me\nuser_key = k\n"
	    "customer = 42\n", 4,
	    "duplicate key customer (first set on line 2); remove one");
	/* Same value twice is still a duplicate; bad values count too. */
	expect_error("[rackspace]\ntimeout = 30\ntimeout = 30\n", 3,
	    "duplicate key timeout (first set on line 2)");
}

/* The value never appears in the message: it is a secret. */
static void
expect_inline_secret(const char *text, unsigned line, const char *fix)
{
	struct conf *c = NULL;
	struct diag d;
	size_t i;

	assert_int_equal(parse(text, &c, &d), -ADSYNC_ECONFIG);
	for (i = 0; i < d.n; i++) {
		assert_null(strstr(d.v[i].msg, "hunter2"));
		if (d.v[i].line == line && strstr(d.v[i].msg, "secrets are "
		    "never written in adsync.conf; put it in a file with mode "
		    "0600 and set ") != NULL && strstr(d.v[i].msg, fix))
			break;
	}
	if (i == d.n) {
		char *t = diag_text(&d);

		print_error("for:\n%s\n---\n%s", text, t);
		free(t);
		fail();
	}
	diag_fini(&d);
}

static void
test_inline_secrets(void **state)
{
	(void)state;
	expect_inline_secret("[rackspace]\nsecret_key = hunter2\n", 2,
	    "set secret_key_file");
	expect_inline_secret("[rackspace]\npassword = hunter2\n", 2,
	    "set secret_key_file");
	expect_inline_secret("[rackspace]\nbind_password = hunter2\n", 2,
	    "set secret_key_file");
	expect_inline_secret("[rackspace]\napi_key = hunter2\n", 2,
	    "set secret_key_file");
	expect_inline_secret("[rackspace]\nrs_password = hunter2\n", 2,
	    "set secret_key_file");
	expect_inline_secret("[rackspace]\nSecret_Key = hunter2\n", 2,
	    "secret_key_file");
	/* In a section this version does not know, and before any. */
	expect_inline_secret("[future]\nbind_password = hunter2\n", 2,
	    "the matching *_file key");
	/* [ad] names its own *_file key. */
	expect_inline_secret("[ad]\nbind_password = hunter2\n", 2,
	    "set bind_password_file");
	expect_inline_secret("[ad]\npassword = hunter2\n", 2,
	    "set bind_password_file");
	expect_inline_secret("password = hunter2\n[rackspace]\n", 1,
	    "the matching *_file key");
	expect_error("[rackspace]\nsecret_key = hunter2\n", 2,
	    "\"secret_key\" would hold a secret");
}

/* ---- lines as libinih sees them ------------------------------------- */

static char *
line_of(size_t len, const char *head, char fill)
{
	char *s = malloc(len + 1);

	assert_non_null(s);
	memset(s, fill, len);
	memcpy(s, head, strlen(head));
	s[len] = '\0';
	return s;
}

static void
test_line_lengths(void **state)
{
	char *l199, *l200, *c199, *c200, *v199, *text;
	struct conf *c = NULL;
	struct diag d;
	size_t n;

	(void)state;
	c199 = line_of(199, "#", 'x');
	c200 = line_of(200, "#", 'x');
	/* A 128-byte user agent, then blanks and an inline comment up to
	 * 199 bytes: accepted, and the comment is not part of the value. */
	v199 = line_of(199, "user_agent = ", 'a');
	memset(v199 + 13 + 128, ' ', 199 - 13 - 128);
	v199[190] = ';';
	l199 = line_of(199, "user_agent = ", 'a');
	l200 = line_of(200, "customer = 1", '2');
	n = 4096;
	text = malloc(n);
	assert_non_null(text);

	snprintf(text, n, "[rackspace]\n%s\n%s\n", c199, v199);
	assert_int_equal(parse(text, &c, &d), 0);
	assert_int_equal(strlen(c->rackspace.user_agent), 128);
	conf_free(c);
	diag_fini(&d);

	snprintf(text, n, "[rackspace]\n%s\ncustomer = x\n", c200);
	assert_int_equal(parse(text, &c, &d), -ADSYNC_ECONFIG);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.v[0].line, 2);
	assert_non_null(strstr(d.v[0].msg, "line is 200 bytes long; lines "
	    "are limited to 199 bytes"));
	/* The next line keeps its own number. */
	assert_int_equal(d.v[1].line, 3);
	assert_non_null(strstr(d.v[1].msg, "customer"));
	diag_fini(&d);

	/* A key line of 200 bytes is refused as a line, not as a value cut
	 * to 199 bytes that would look valid. */
	snprintf(text, n, "[rackspace]\n%s\n", l200);
	expect_error(text, 2, "line is 200 bytes long");
	snprintf(text, n, "[rackspace]\n%s\n", l199);
	expect_error(text, 2, "the value is 186 bytes long; at most 128");
	/* CR of CRLF is not counted. */
	snprintf(text, n, "[rackspace]\r\n%s\r\n", c199);
	expect_ok(text);
	free(c199);
	free(c200);
	free(v199);
	free(l199);
	free(l200);
	free(text);
}

static void
test_inline_comments(void **state)
{
	struct conf *c = NULL;
	struct diag d;

	(void)state;
	assert_int_equal(parse("; comment\n# comment\n  ; indented comment\n"
	    "[rackspace] ; section comment\n"
	    "customer = 12345 ; account number\n"
	    "user_agent = a;b #c\n"
	    "user_key = k\t; tab before the comment\n"
	    "ca_file = /etc/ca.pem;x\n"
	    "timeout:40\n", &c, &d), 0);
	assert_string_equal(c->rackspace.customer, "12345");
	assert_string_equal(c->rackspace.user_agent, "a;b #c");
	assert_string_equal(c->rackspace.user_key, "k");
	assert_string_equal(c->rackspace.ca_file, "/etc/ca.pem;x");
	assert_int_equal(c->rackspace.timeout, 40);
	assert_dump_roundtrip(c);
	conf_free(c);
	diag_fini(&d);
	/* A comment after the key name leaves no '='. */
	expect_error("[rackspace]\ncustomer ; = me\n", 2,
	    "expected \"key = value\"");
}

static void
test_line_syntax(void **state)
{
	static const char nul[] = "[rackspace]\ncustomer = m\0e\ntimeout = x\n";
	struct conf *c = NULL;
	struct diag d;

	(void)state;
	expect_error("[rackspace]\njust words\n", 2,
	    "expected \"key = value\", \"[section]\" or a comment");
	expect_error("[rackspace]\n= me\n", 2, "no key name before '='");
	expect_error("[rackspace]\ncustomer = me\n  user_key = k\n", 3,
	    "line starts with white space");
	expect_error("[rackspace]\n\tcustomer = me\n", 2,
	    "line starts with white space");
	expect_error("[rackspace]\ncustomer = m\x01" "e\n", 2,
	    "control character 0x01");
	expect_error("[rackspace]\ncustomer = m\re\n", 2,
	    "control character 0x0d");
	/* Not UTF-8: Latin-1, a stray continuation byte, an overlong '/',
	 * a surrogate; in a value and in a comment alike. */
	expect_error("[ad]\nbase_dn = OU=Caf\xe9,DC=example,DC=test\n", 2,
	    "line is not valid UTF-8 (byte 0xe9 at column 17); save "
	    "adsync.conf as UTF-8");
	expect_error("[rackspace]\ncustomer = m\x80\n", 2, "not valid UTF-8");
	expect_error("[rackspace]\ncustomer = \xc0\xaf\n", 2,
	    "not valid UTF-8");
	expect_error("[rackspace]\ncustomer = \xed\xa0\x80\n", 2,
	    "not valid UTF-8");
	expect_error("# caf\xe9\n[rackspace]\n", 1, "not valid UTF-8");
	expect_ok("# caf\xc3\xa9 \xf0\x9f\x93\xa7\n[rackspace]\n");
	/* A NUL byte: that line is refused, the next still checked. */
	diag_init(&d);
	assert_int_equal(conf_parse_buffer(nul, sizeof(nul) - 1, "t.conf", &c,
	    &d), -ADSYNC_ECONFIG);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.v[0].line, 2);
	assert_non_null(strstr(d.v[0].msg, "NUL byte"));
	assert_int_equal(d.v[1].line, 3);
	diag_fini(&d);
	/* BOM, CRLF, no final newline, empty buffer. */
	expect_ok("\xEF\xBB\xBF[rackspace]\r\ncustomer = 42\r\n");
	expect_ok("[rackspace]\ncustomer = 42");
	expect_ok("");
	expect_ok("\n\n\n");
	expect_error("\xEF\xBB\xBF[rackspce]\n", 1, "unknown section");
}

static void
test_many_errors(void **state)
{
	static const char text[] =
	    "# line 1\n"
	    "[rackspace]\n"
	    "api_url = http://api.emailsrvr.com/v1\n"	/* 3 */
	    "customer = you\n"				/* 4 */
	    "user_key = a:b\n"				/* 5 */
	    "secret_key = hunter2\n"			/* 6 */
	    "reads_per_minute = 0\n"			/* 7 */
	    "customer = me\n"				/* 8 */
	    "  writes_per_minute = 5\n"			/* 9 */
	    "frob = 1\n"				/* 10 */
	    "\n"
	    "[synch]\n"					/* 12 */
	    "interval = 5\n"
	    "[rackspace]\n";				/* 14 */
	static const unsigned want[] = { 3, 4, 5, 6, 7, 8, 9, 10, 12, 14 };
	struct conf *c = NULL;
	struct diag d;
	size_t i;

	(void)state;
	assert_int_equal(parse(text, &c, &d), -ADSYNC_ECONFIG);
	assert_null(c);
	if (d.n != sizeof(want) / sizeof(want[0])) {
		char *t = diag_text(&d);

		print_error("%s", t);
		free(t);
		fail();
	}
	for (i = 0; i < d.n; i++)
		assert_int_equal(d.v[i].line, want[i]);
	diag_fini(&d);
}

static void
test_too_big(void **state)
{
	struct conf *c = NULL;
	struct diag d;
	size_t n = CONF_FILE_MAX + 1;
	char *big = malloc(n);

	(void)state;
	assert_non_null(big);
	memset(big, '\n', n);
	diag_init(&d);
	assert_int_equal(conf_parse_buffer(big, n, "big.conf", &c, &d),
	    -ADSYNC_ECONFIG);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0].msg, "larger than"));
	diag_fini(&d);
	/* Exactly the limit is fine. */
	diag_init(&d);
	assert_int_equal(conf_parse_buffer(big, n - 1, "big.conf", &c, &d), 0);
	conf_free(c);
	diag_fini(&d);
	free(big);
}

static void
test_suggest(void **state)
{
	static const char *const k[] = { "customer", "timeout", "api_url" };

	(void)state;
	assert_string_equal(conf_suggest("custmer", k, 3), "customer");
	assert_string_equal(conf_suggest("TIMEOUT", k, 3), "timeout");
	assert_string_equal(conf_suggest("apiurl", k, 3), "api_url");
	assert_null(conf_suggest("zz", k, 3));
	assert_null(conf_suggest("frobnicate", k, 3));
}

static void
test_loopback(void **state)
{
	static const char *const yes[] = {
		"localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3",
		"127.255.255.255", "[::1]", "[0:0:0:0:0:0:0:1]",
	};
	static const char *const no[] = {
		"", "l", "localhost.", "localhost.example", "128.0.0.1",
		"127.1", "0.0.0.0", "[::]", "[::2]", "::1",
		"[::ffff:127.0.0.1]", "127.0.0.1.example", "[::1", "1.2.3.4",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(conf_url_host_is_loopback(yes[i], strlen(yes[i])));
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(conf_url_host_is_loopback(no[i], strlen(no[i])));
}


/* ---- [ad] --------------------------------------------------------- */

static const struct kv_case ad_cases[] = {
	{ "uri = ldaps://dc1.example.test", NULL },
	{ "uri = ldaps://dc1.example.test ldaps://dc2.example.test", NULL },
	{ "uri = ldaps://127.0.0.1:636 ldaps://[::1]:6360/", NULL },
	{ "uri =", NULL },
	{ "uri = https://dc1.example.test", "is not an ldaps:// or ldap:// URI" },
	{ "uri = ldaps://", "is not an ldaps:// or ldap:// URI" },
	{ "uri = ldaps://-dc", "no valid host name" },
	{ "uri = ldaps://dc1:0", "the port must be a number from 1 to 65535" },
	{ "uri = ldaps://dc1:65536", "the port" },
	{ "uri = ldaps://dc1:x", "the port" },
	{ "uri = ldaps://dc1/DC=example", "only ldaps://HOST[:PORT]" },
	{ "uri = ldaps://u@dc1", "only ldaps://HOST[:PORT]" },
	{ "uri = ldaps://[zz]", "bad IPv6 address" },
	{ "uri = ldaps://a ldaps://b ldaps://c ldaps://d ldaps://e ldaps://f "
	  "ldaps://g ldaps://h ldaps://i", "more than 8 URIs" },
	{ "uri = ldap://dc1.example.test",
	  "ldap:// would send the bind password unencrypted" },
	{ "base_dn = DC=example,DC=test", NULL },
	{ "base_dn = OU=Staff,DC=example,DC=test", NULL },
	{ "bind_dn = svc-adsync@example.test", NULL },
	{ "bind_dn = EXAMPLE\\svc-adsync", NULL },
	{ "bind_dn = CN=svc adsync,CN=Users,DC=example,DC=test", NULL },
	{ "bind_dn = CN=svc\\, adsync+UID=7,CN=Users,DC=example,DC=test",
	  NULL },
	{ "bind_dn = 1.2.840.113556.1.4.1=x,DC=test", NULL },
	{ "bind_dn = svc-adsync", "bind_dn: \"svc-adsync\" is not a user "
	  "principal name (UPN), DOMAIN\\user or distinguished name; write "
	  "the account as a UPN, e.g. svc-adsync@example.test" },
	{ "bind_dn = @example.test", "is not a user principal name (UPN)" },
	{ "bind_dn = svc@", "is not a user principal name (UPN)" },
	{ "bind_dn = a@b@c", "is not a user principal name (UPN)" },
	{ "bind_dn = EXAMPLE\\", "is not a user principal name (UPN)" },
	{ "bind_dn = \\svc", "is not a user principal name (UPN)" },
	{ "bind_dn = A\\B\\C", "is not a user principal name (UPN)" },
	{ "bind_dn = CN=svc,", "bind_dn: \"CN=svc,\" is not a distinguished "
	  "name" },
	{ "bind_dn = =svc,DC=test", "is not a distinguished name" },
	{ "base_dn = example.test", "base_dn: \"example.test\" is not a "
	  "distinguished name; write the DN of the subtree to read, e.g. "
	  "DC=example,DC=test" },
	{ "base_dn = DC=example,,DC=test", "is not a distinguished name" },
	{ "base_dn = DC=example,DC=test,", "is not a distinguished name" },
	{ "base_dn = DC=example,test", "is not a distinguished name" },
	{ "base_dn = D C=example", "is not a distinguished name" },
	{ "base_dn = DC=ex\\", "is not a distinguished name" },
	{ "base_dn = OU=A\\,B,DC=example,DC=test", NULL },
	{ "base_dn = OU=Caf\xc3\xa9,DC=example,DC=test", NULL },
	{ "bind_password_file = /etc/adsync/ad-bind.pw", NULL },
	{ "bind_password_file = ad-bind.pw", "not an absolute path" },
	{ "bind_password_file =", "bind_password_file: no value" },
	{ "ca_file = /etc/adsync/ad-ca.pem", NULL },
	{ "ca_file =", NULL },
	{ "ca_file = ca.pem", "not an absolute path" },
	{ "starttls = false", NULL },
	{ "starttls = no", NULL },
	{ "starttls = maybe", "\"maybe\" is not a boolean; write true or "
	  "false" },
	{ "starttls =", "is not a boolean" },
	{ "starttls = true", NULL },
	{ "notify = off", NULL },
	{ "notify = TRUE", NULL },
	{ "notify = 2", "is not a boolean" },
	{ "incremental = auto", NULL },
	{ "incremental = dirsync", NULL },
	{ "incremental = usn", NULL },
	{ "incremental = USN", "is not auto, dirsync or usn" },
	{ "incremental =", "incremental: no value" },
	{ "page_size = 1000", NULL },
	{ "page_size = 0", "is too small" },
	{ "range_size = 1500", NULL },
	{ "range_size = 1", NULL },
	{ "range_size = x", "is not a whole number" },
	{ "network_timeout = 61", "network_timeout (61 s) is longer than "
	  "timeout (60 s)" },
};

static void
test_ad_keys(void **state)
{
	char text[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ad_cases) / sizeof(ad_cases[0]); i++) {
		/* uri needs base_dn; the [ad] line keeps them apart. */
		snprintf(text, sizeof(text), "[ad]\n%s\n%s\n", ad_cases[i].line,
		    strncmp(ad_cases[i].line, "base_dn", 7) == 0 ? "" :
		    "base_dn = DC=example,DC=test");
		if (ad_cases[i].err == NULL)
			expect_ok(text);
		else
			expect_error(text, 2, ad_cases[i].err);
	}
}

static void
test_ad_values(void **state)
{
	struct conf *c = NULL, *def = conf_new_default();
	struct diag d;

	(void)state;
	assert_string_equal(def->ad.uri, "");
	assert_string_equal(def->ad.base_dn, "");
	assert_string_equal(def->ad.bind_dn, "");
	assert_string_equal(def->ad.bind_password_file,
	    "/etc/adsync/ad-bind.pw");
	assert_string_equal(def->ad.ca_file, "");
	assert_false(def->ad.starttls);
	assert_int_equal(def->ad.page_size, 1000);
	assert_int_equal(def->ad.range_size, 1500);
	assert_int_equal(def->ad.timeout, 60);
	assert_int_equal(def->ad.network_timeout, 10);
	assert_int_equal(def->ad.connect_retries, 2);
	assert_string_equal(def->ad.incremental, "auto");
	assert_true(def->ad.notify);
	assert_int_equal(def->ad.poll_interval, 300);
	conf_free(def);

	assert_int_equal(parse("[ad]\n"
	    "uri = ldap://dc1.example.test ldap://dc2.example.test\n"
	    "base_dn = DC=example,DC=test\n"
	    "bind_dn = svc-adsync@example.test\n"
	    "bind_password_file = /etc/adsync/ad-bind.pw\n"
	    "ca_file = /etc/adsync/ad-ca.pem\n"
	    "starttls = yes\n"
	    "page_size = 200\n"
	    "range_size = 1000\n"
	    "timeout = 30\n"
	    "network_timeout = 5\n"
	    "connect_retries = 0\n"
	    "incremental = usn\n"
	    "notify = false\n"
	    "poll_interval = 60\n"
	    "[rackspace]\n"
	    "customer = 42\n", &c, &d), 0);
	assert_string_equal(c->ad.uri,
	    "ldap://dc1.example.test ldap://dc2.example.test");
	assert_string_equal(c->ad.base_dn, "DC=example,DC=test");
	assert_string_equal(c->ad.bind_dn, "svc-adsync@example.test");
	assert_string_equal(c->ad.ca_file, "/etc/adsync/ad-ca.pem");
	assert_true(c->ad.starttls);
	assert_int_equal(c->ad.page_size, 200);
	assert_int_equal(c->ad.range_size, 1000);
	assert_int_equal(c->ad.timeout, 30);
	assert_int_equal(c->ad.network_timeout, 5);
	assert_int_equal(c->ad.connect_retries, 0);
	assert_string_equal(c->ad.incremental, "usn");
	assert_false(c->ad.notify);
	assert_int_equal(c->ad.poll_interval, 60);
	assert_string_equal(c->rackspace.customer, "42");
	assert_dump_roundtrip(c);
	conf_free(c);
	diag_fini(&d);
	/* The cross-key rules. */
	expect_error("[ad]\nuri = ldaps://dc1\n", 1, "uri is set but base_dn "
	    "is not");
	expect_error("[ad]\nuri = ldaps://dc1 ldap://dc2\nbase_dn = DC=x\n",
	    2, "ldap:// would send the bind password unencrypted");
	expect_ok("[ad]\nbind_dn = svc@example.test\n");
	expect_error("[ad]\nuri = ldaps://dc1\nbase_dn = DC=x\n"
	    "starttls = true\n", 4, "starttls = true needs ldap:// URIs");
	expect_ok("[ad]\nuri = ldap://dc1\nbase_dn = DC=x\nstarttls = true\n");
}

/* Number keys of [ad]: bounds accepted, one past refused. */
static void
test_ad_numbers(void **state)
{
	const struct conf_section *s = &conf_ad_section;
	const struct conf_key *k;
	char text[512];
	size_t j;

	(void)state;
	for (j = 0; j < s->nkeys; j++) {
		k = &s->keys[j];
		if (k->type != CONF_T_UINT)
			continue;
		/* network_timeout <= timeout whatever is tested. */
		snprintf(text, sizeof(text), "[ad]\n%s = %lld\n%s\n", k->name,
		    k->min, strcmp(k->name, "timeout") == 0 ?
		    "network_timeout = 1" : "timeout = 3600");
		expect_ok(text);
		snprintf(text, sizeof(text), "[ad]\n%s = %lld\n%s\n", k->name,
		    k->max, strcmp(k->name, "timeout") == 0 ?
		    "network_timeout = 1" : "timeout = 3600");
		expect_ok(text);
		snprintf(text, sizeof(text), "[ad]\n%s = %lld\n", k->name,
		    k->max + 1);
		expect_error(text, 2, "is too large");
	}
}

static void
test_ad_load_secret(void **state)
{
	char conf[512], pw[512], text[1200];
	struct conf *c = NULL;
	struct diag d;

	(void)state;
	snprintf(conf, sizeof(conf), "%s/ad.conf", tmpdir);
	snprintf(pw, sizeof(pw), "%s/ad-bind.pw", tmpdir);
	write_file(pw, "hunter2", 0644);
	snprintf(text, sizeof(text), "[ad]\nuri = ldaps://dc1\nbase_dn = DC=x\n"
	    "bind_dn = svc@x\nbind_password_file = %s\n", pw);
	write_file(conf, text, 0644);
	diag_init(&d);
	assert_int_equal(conf_load_file(conf, &c, &d), -ADSYNC_ECONFIG);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].line, 5);
	assert_non_null(strstr(d.v[0].msg, "bind_password_file: "));
	assert_non_null(strstr(d.v[0].msg, "chmod 600"));
	assert_null(strstr(d.v[0].msg, "hunter2"));
	diag_fini(&d);
	write_file(pw, "hunter2", 0600);
	diag_init(&d);
	assert_int_equal(conf_load_file(conf, &c, &d), 0);
	conf_free(c);
	diag_fini(&d);
	/* No bind_dn: the password file is not needed yet. */
	unlink(pw);
	snprintf(text, sizeof(text), "[ad]\nbind_password_file = %s\n", pw);
	write_file(conf, text, 0644);
	diag_init(&d);
	assert_int_equal(conf_load_file(conf, &c, &d), 0);
	conf_free(c);
	diag_fini(&d);
	unlink(conf);
}

/* ---- [daemon]: the web console ---------------------------------------- */

static const struct kv_case web_cases[] = {
	{ "web_listen = 127.0.0.1:8080", NULL },
	{ "web_listen = 127.3.2.1:80", NULL },
	{ "web_listen = localhost:8080", NULL },
	{ "web_listen = [::1]:8080", NULL },
	{ "web_listen =", NULL },
	{ "web_listen = 8080", "\"8080\" is not ADDRESS:PORT; write e.g. "
	  "127.0.0.1:8080 (this host only) or 0.0.0.0:8732 (every interface)" },
	{ "web_listen = 127.0.0.1:0", "write a port between 1 and 65535" },
	{ "web_listen = 127.0.0.1:65536", "write a port between 1 and 65535" },
	{ "web_listen = web_console:8080", "is not an address" },
	{ "web_listen = 0.0.0.0:8080", "web_listen = 0.0.0.0:8080 would serve "
	  "the console in plain HTTP beyond this host; set web_tls_cert and "
	  "web_tls_key_file, or listen on 127.0.0.1:8080" },
	{ "web_listen = [::]:8443", "or listen on 127.0.0.1:8443" },
	{ "web_listen = 10.0.0.5:8080", "plain HTTP beyond this host" },
	/* A name is judged as written, not by what it resolves to. */
	{ "web_listen = adsync.example.test:8080", "plain HTTP" },
	{ "web_listen = 127.1:8080", "plain HTTP" },
	{ "web_tls_cert = web.crt", "not an absolute path" },
	{ "web_tls_key_file = web.key", "not an absolute path" },
	{ "web_password_file =", NULL },
	{ "web_password_file = /var/lib/adsync/console.passwd", NULL },
	{ "web_password_file = console.passwd", "not an absolute path" },
	{ "web_tls_cert = /etc/adsync/web.crt", "web_tls_cert is set but "
	  "web_tls_key_file is not; set web_tls_key_file to the file holding "
	  "the certificate's private key (mode 0600), or remove web_tls_cert" },
	{ "web_tls_key_file = /etc/adsync/web.key", "web_tls_key_file is set "
	  "but web_tls_cert is not; set web_tls_cert to the PEM certificate "
	  "chain of that key, or remove web_tls_key_file" },
};

static void
test_web_keys(void **state)
{
	struct conf *c = NULL, *def = conf_new_default();
	struct diag d;
	char text[512];
	size_t i;

	(void)state;
	assert_string_equal(def->daemon.web_listen, "127.0.0.1:8080");
	assert_string_equal(def->daemon.web_tls_cert, "");
	assert_string_equal(def->daemon.web_tls_key_file, "");
	assert_string_equal(def->daemon.web_password_file, "");
	conf_free(def);
	for (i = 0; i < sizeof(web_cases) / sizeof(web_cases[0]); i++) {
		snprintf(text, sizeof(text), "[daemon]\n%s\n",
		    web_cases[i].line);
		if (web_cases[i].err == NULL)
			expect_ok(text);
		else
			expect_error(text, 2, web_cases[i].err);
	}
	assert_int_equal(parse("[daemon]\n"
	    "web_listen = 0.0.0.0:8443\n"
	    "web_tls_cert = /etc/adsync/web.crt\n"
	    "web_tls_key_file = /etc/adsync/web.key\n"
	    "web_password_file = /var/lib/adsync/console.passwd\n", &c, &d),
	    0);
	assert_string_equal(c->daemon.web_listen, "0.0.0.0:8443");
	assert_string_equal(c->daemon.web_tls_cert, "/etc/adsync/web.crt");
	assert_string_equal(c->daemon.web_tls_key_file, "/etc/adsync/web.key");
	assert_string_equal(c->daemon.web_password_file,
	    "/var/lib/adsync/console.passwd");
	assert_dump_roundtrip(c);
	conf_free(c);
	diag_fini(&d);
}

static void
test_web_cross_check(void **state)
{
	(void)state;
	/* TLS on loopback is allowed; so is no console at all. */
	expect_ok("[daemon]\nweb_tls_cert = /etc/adsync/web.crt\n"
	    "web_tls_key_file = /etc/adsync/web.key\n");
	expect_ok("[daemon]\nweb_listen =\n");
	/* The line of the key to fix, even when the other comes first. */
	expect_error("[daemon]\nweb_tls_key_file = /k\nweb_listen = "
	    "0.0.0.0:1\n", 2, "web_tls_key_file is set but web_tls_cert is "
	    "not");
	expect_error("# x\n[daemon]\nhook_listen = 0.0.0.0:8732\n"
	    "web_tls_cert = /c\nweb_listen = 0.0.0.0:80\n", 4,
	    "web_tls_cert is set but web_tls_key_file is not");
	expect_error("[daemon]\nweb_listen = 0.0.0.0:80\n"
	    "web_password_file = /p\n", 2, "listen on 127.0.0.1:80");
	/* A refused value does not also draw the joined complaint. */
	expect_error("[daemon]\nweb_listen = 0.0.0.0:80\npassword_hold = 0\n",
	    3, "password_hold");
	/* hook_listen has its own TLS and may face the network. */
	expect_ok("[daemon]\nhook_listen = 0.0.0.0:8732\n");
}

static void
test_listen_is_loopback(void **state)
{
	static const char *const yes[] = {
		"127.0.0.1:8080", "127.255.0.9:1", "localhost:8080",
		"LocalHost:80", "[::1]:8080", "[0:0:0:0:0:0:0:1]:443",
	};
	static const char *const no[] = {
		"", "127.0.0.1", "localhost", ":8080", "[::1]", "0.0.0.0:8080",
		"[::]:8080", "10.0.0.5:8080", "127.1:8080", "128.0.0.1:80",
		"localhost.example.test:80", "[::ffff:127.0.0.1]:80",
		"127.0.0.1.nip.io:80", "[::2]:80",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!conf_listen_is_loopback(yes[i]))
			fail_msg("%s: wanted loopback", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (conf_listen_is_loopback(no[i]))
			fail_msg("%s: wanted not loopback", no[i]);
	assert_false(conf_listen_is_loopback(NULL));
}

/* web_tls_key_file is a secret: mode checked, needed once a cert is set. */
static void
test_web_load_secret(void **state)
{
	char conf[512], key[512], text[1200];
	struct conf *c = NULL;
	struct diag d;

	(void)state;
	snprintf(conf, sizeof(conf), "%s/web.conf", tmpdir);
	snprintf(key, sizeof(key), "%s/web.key", tmpdir);
	snprintf(text, sizeof(text), "[daemon]\nweb_listen = 0.0.0.0:8443\n"
	    "web_tls_cert = /etc/adsync/web.crt\nweb_tls_key_file = %s\n"
	    "web_password_file = %s/missing.passwd\n", key, tmpdir);
	write_file(conf, text, 0644);
	/* Missing while a certificate is set. */
	unlink(key);
	diag_init(&d);
	assert_int_equal(conf_load_file(conf, &c, &d), -ADSYNC_ECONFIG);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].line, 4);
	assert_non_null(strstr(d.v[0].msg, "web_tls_key_file: "));
	assert_non_null(strstr(d.v[0].msg, "create it with mode 0600"));
	diag_fini(&d);
	write_file(key, "-----BEGIN PRIVATE KEY-----\nhunter2\n", 0640);
	diag_init(&d);
	assert_int_equal(conf_load_file(conf, &c, &d), -ADSYNC_ECONFIG);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0].msg, "chmod 600"));
	assert_null(strstr(d.v[0].msg, "hunter2"));
	diag_fini(&d);
	/* Right mode; the password file may not exist yet. */
	write_file(key, "-----BEGIN PRIVATE KEY-----\nhunter2\n", 0600);
	diag_init(&d);
	assert_int_equal(conf_load_file(conf, &c, &d), 0);
	assert_string_equal(c->daemon.web_tls_key_file, key);
	conf_free(c);
	diag_fini(&d);
	unlink(key);
	unlink(conf);
}

/* ---- golden files and the example configuration --------------------- */

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The default user agent carries the version; goldens say "adsync/VERSION"
 * so that a release does not rewrite them.
 */
static char *
golden_unversion(char *s)
{
	static const char ver[] = "adsync/" ADSYNC_VERSION;
	char *out = NULL, *p = s, *q;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	assert_non_null(fp);
	while ((q = strstr(p, ver)) != NULL) {
		fwrite(p, 1, (size_t)(q - p), fp);
		fputs("adsync/VERSION", fp);
		p = q + strlen(ver);
	}
	fputs(p, fp);
	fclose(fp);
	free(s);
	return out;
}

/* The dump when the text parses, else the diagnostics as printed. */
static char *
golden_output(const char *text, size_t len, const char *name)
{
	struct conf *c = NULL;
	struct diag d;
	char *s = NULL;
	size_t slen = 0;
	FILE *fp = open_memstream(&s, &slen);

	assert_non_null(fp);
	diag_init(&d);
	if (conf_parse_buffer(text, len, name, &c, &d) == 0) {
		conf_dump(c, fp);
		assert_dump_roundtrip(c);
	} else {
		fprintf(fp, "# refused\n");
		diag_print(&d, fp);
	}
	fclose(fp);
	conf_free(c);
	diag_fini(&d);
	return golden_unversion(s);
}

static void
test_golden(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 300], *names[256];
	const char *upd = getenv("ADSYNC_UPDATE_GOLDENS");
	bool update = upd != NULL && strcmp(upd, "1") == 0;
	struct dirent *de;
	char *text, *got, *want;
	size_t n = 0, i, len, nl;
	FILE *fp;
	DIR *dp;
	int bad = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/tests/unit/golden/conf", srcdir());
	dp = opendir(dir);
	assert_non_null(dp);
	while ((de = readdir(dp)) != NULL) {
		nl = strlen(de->d_name);
		if (nl > 5 && strcmp(de->d_name + nl - 5, ".conf") == 0 &&
		    n < sizeof(names) / sizeof(names[0]))
			names[n++] = strdup(de->d_name);
	}
	closedir(dp);
	assert_true(n >= 5);
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		text = read_all(path, &len);
		assert_non_null(text);
		got = golden_output(text, len, names[i]);
		snprintf(path, sizeof(path), "%s/%.*s.ok", dir,
		    (int)(strlen(names[i]) - 5), names[i]);
		if (update) {
			fp = fopen(path, "w");
			assert_non_null(fp);
			fputs(got, fp);
			fclose(fp);
			print_message("updated %s\n", path);
		} else if ((want = read_all(path, NULL)) == NULL) {
			print_error("%s: missing; run with "
			    "ADSYNC_UPDATE_GOLDENS=1\n", path);
			bad++;
		} else {
			if (strcmp(want, got) != 0) {
				print_error("%s differs; got:\n%s---\n", path,
				    got);
				bad++;
			}
			free(want);
		}
		free(got);
		free(text);
		free(names[i]);
	}
	assert_int_equal(bad, 0);
}

static void
test_packaging_example(void **state)
{
	char path[PATH_MAX];
	struct conf *c = NULL;
	struct diag d;
	size_t len;
	char *text;

	(void)state;
	snprintf(path, sizeof(path), "%s/packaging/adsync.conf", srcdir());
	text = read_all(path, &len);
	assert_non_null(text);
	diag_init(&d);
	if (conf_parse_buffer(text, len, "packaging/adsync.conf", &c, &d) !=
	    0) {
		char *t = diag_text(&d);

		print_error("%s", t);
		free(t);
		fail();
	}
	/* Shipped unregistered, so that `adsync check` passes right after
	 * installation, before a secret key file exists. */
	assert_string_equal(c->rackspace.user_key, "");
	assert_dump_roundtrip(c);
	conf_free(c);
	diag_fini(&d);
	free(text);
}

/* ---- conf_load_file: files and secret files ------------------------- */

static int
setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_conf.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int
teardown_tmp(void **state)
{
	char path[512];
	struct dirent *de;
	DIR *dp;

	(void)state;
	if ((dp = opendir(tmpdir)) == NULL)
		return 0;
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") ==
		    0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		if (unlink(path) < 0)
			rmdir(path);
	}
	closedir(dp);
	rmdir(tmpdir);
	return 0;
}

/* Writes t.conf with `user_key` and secret_key_file = `key`; loads it. */
static int
load_with(const char *user_key, const char *key, struct conf **c,
    struct diag *d)
{
	char conf[512], text[1024];

	snprintf(conf, sizeof(conf), "%s/t.conf", tmpdir);
	snprintf(text, sizeof(text), "# test\n[rackspace]\nuser_key = %s\n"
	    "secret_key_file = %s\n", user_key, key);
	write_file(conf, text, 0644);
	diag_init(d);
	*c = NULL;
	return conf_load_file(conf, c, d);
}

static void
expect_load_error(const char *user_key, const char *key, unsigned line,
    const char *sub)
{
	struct conf *c;
	struct diag d;

	assert_int_equal(load_with(user_key, key, &c, &d), -ADSYNC_ECONFIG);
	assert_null(c);
	if (d.n != 1 || d.v[0].line != line || strstr(d.v[0].msg, sub) ==
	    NULL) {
		char *t = diag_text(&d);

		print_error("wanted line %u \"%s\", got:\n%s", line, sub, t);
		free(t);
		fail();
	}
	assert_non_null(strstr(d.v[0].file, "/t.conf"));
	diag_fini(&d);
}

static void
test_load_secret_modes(void **state)
{
	char key[512], want[1100];
	struct conf *c;
	struct diag d;

	(void)state;
	snprintf(key, sizeof(key), "%s/rs.key", tmpdir);

	write_file(key, "QHOvchm/40czXhJ1OxfxK7jDHr3t\n", 0600);
	assert_int_equal(load_with("eGbq9/2hcZsRlr1JV1Pi", key, &c, &d), 0);
	assert_non_null(strstr(c->path, "/t.conf"));
	assert_string_equal(c->rackspace.secret_key_file, key);
	conf_free(c);
	diag_fini(&d);

	write_file(key, "QHOvchm/40czXhJ1OxfxK7jDHr3t\n", 0400);
	assert_int_equal(load_with("eGbq9/2hcZsRlr1JV1Pi", key, &c, &d), 0);
	conf_free(c);
	diag_fini(&d);

	write_file(key, "QHOvchm/40czXhJ1OxfxK7jDHr3t\n", 0644);
	snprintf(want, sizeof(want), "secret_key_file: %s: mode 0644 gives "
	    "access to group or others; run: chmod 600 %s", key, key);
	expect_load_error("eGbq9/2hcZsRlr1JV1Pi", key, 4, want);
	/* The mode is checked even before a user key is registered. */
	expect_load_error("", key, 4, "chmod 600");

	write_file(key, "QHOvchm/40czXhJ1OxfxK7jDHr3t\n", 0640);
	expect_load_error("eGbq9/2hcZsRlr1JV1Pi", key, 4, "mode 0640");

	write_file(key, "", 0600);
	expect_load_error("eGbq9/2hcZsRlr1JV1Pi", key, 4, "empty");
	unlink(key);
}

static void
test_load_secret_missing(void **state)
{
	char key[512], link[512], sub[512];
	struct conf *c;
	struct diag d;

	(void)state;
	snprintf(key, sizeof(key), "%s/missing.key", tmpdir);
	expect_load_error("eGbq9/2hcZsRlr1JV1Pi", key, 4,
	    "cannot open: No such file or directory; create it with mode "
	    "0600, or set secret_key_file");
	/* Not registered yet: no key, no secret needed. */
	assert_int_equal(load_with("", key, &c, &d), 0);
	conf_free(c);
	diag_fini(&d);

	/* A symbolic link is refused even when its target is fine. */
	snprintf(key, sizeof(key), "%s/real.key", tmpdir);
	snprintf(link, sizeof(link), "%s/link.key", tmpdir);
	write_file(key, "s3cret\n", 0600);
	unlink(link);
	assert_int_equal(symlink(key, link), 0);
	expect_load_error("eGbq9/2hcZsRlr1JV1Pi", link, 4, "symbolic links");
	unlink(link);

	/* A directory. */
	snprintf(sub, sizeof(sub), "%s/dir.key", tmpdir);
	assert_int_equal(mkdir(sub, 0700), 0);
	expect_load_error("eGbq9/2hcZsRlr1JV1Pi", sub, 4,
	    "not a regular file");
	rmdir(sub);

	/* Owned by someone else (needs root to arrange). */
	if (geteuid() == 0) {
		assert_int_equal(chown(key, 54321, 54321), 0);
		expect_load_error("eGbq9/2hcZsRlr1JV1Pi", key, 4,
		    "owned by uid 54321");
	}
	unlink(key);
}

/* The default path, when not set: reported without a line. */
static void
test_load_secret_default(void **state)
{
	char conf[512];
	struct conf *c = NULL;
	struct diag d;

	(void)state;
	if (access("/etc/adsync/rackspace-secret.key", F_OK) == 0)
		skip();
	snprintf(conf, sizeof(conf), "%s/t.conf", tmpdir);
	write_file(conf, "[rackspace]\nuser_key = k\n", 0644);
	diag_init(&d);
	assert_int_equal(conf_load_file(conf, &c, &d), -ADSYNC_ECONFIG);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].line, 0);
	assert_non_null(strstr(d.v[0].msg, "[rackspace] secret_key_file "
	    "(default): /etc/adsync/rackspace-secret.key: cannot open"));
	diag_fini(&d);
	write_file(conf, "[rackspace]\n", 0644);
	diag_init(&d);
	assert_int_equal(conf_load_file(conf, &c, &d), 0);
	conf_free(c);
	diag_fini(&d);
}

/* Syntax errors and secret-file errors come out of one run. */
static void
test_load_all_problems(void **state)
{
	char conf[512], key[512], text[1100];
	struct conf *c = NULL;
	struct diag d;

	(void)state;
	snprintf(conf, sizeof(conf), "%s/t.conf", tmpdir);
	snprintf(key, sizeof(key), "%s/open.key", tmpdir);
	write_file(key, "s3cret\n", 0666);
	snprintf(text, sizeof(text), "[rackspace]\ncustomer = x\n"
	    "user_key = k\nsecret_key_file = %s\ntimeout = 0\n", key);
	write_file(conf, text, 0644);
	diag_init(&d);
	assert_int_equal(conf_load_file(conf, &c, &d), -ADSYNC_ECONFIG);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.v[0].line, 2);
	assert_int_equal(d.v[1].line, 5);
	assert_int_equal(d.v[2].line, 4);
	assert_non_null(strstr(d.v[2].msg, "chmod 600"));
	diag_fini(&d);
	unlink(key);
}

static void
test_load_config_file(void **state)
{
	char path[512];
	struct conf *c = NULL;
	struct diag d;
	char *big;
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/nope.conf", tmpdir);
	diag_init(&d);
	assert_int_equal(conf_load_file(path, &c, &d), -ADSYNC_ECONFIG);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0].msg, "cannot open: No such file or "
	    "directory; create it"));
	diag_fini(&d);

	diag_init(&d);
	assert_int_equal(conf_load_file(tmpdir, &c, &d), -ADSYNC_ECONFIG);
	assert_non_null(strstr(d.v[0].msg, "not a regular file"));
	diag_fini(&d);

	snprintf(path, sizeof(path), "%s/big.conf", tmpdir);
	big = malloc(CONF_FILE_MAX + 2);
	assert_non_null(big);
	memset(big, '#', CONF_FILE_MAX + 1);
	big[CONF_FILE_MAX + 1] = '\0';
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(big, fp);
	fclose(fp);
	free(big);
	diag_init(&d);
	assert_int_equal(conf_load_file(path, &c, &d), -ADSYNC_ECONFIG);
	assert_non_null(strstr(d.v[0].msg, "larger than 1048576 bytes"));
	diag_fini(&d);
	unlink(path);
	assert_null(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_table_fits_lines),
		cmocka_unit_test(test_keys_good_and_bad),
		cmocka_unit_test(test_values_stored),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_string_lengths),
		cmocka_unit_test(test_cross_check),
		cmocka_unit_test(test_unknown_section),
		cmocka_unit_test(test_section_syntax),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_inline_secrets),
		cmocka_unit_test(test_line_lengths),
		cmocka_unit_test(test_inline_comments),
		cmocka_unit_test(test_line_syntax),
		cmocka_unit_test(test_many_errors),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_ad_keys),
		cmocka_unit_test(test_ad_values),
		cmocka_unit_test(test_ad_numbers),
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_packaging_example),
		cmocka_unit_test(test_load_secret_modes),
		cmocka_unit_test(test_load_secret_missing),
		cmocka_unit_test(test_load_secret_default),
		cmocka_unit_test(test_load_all_problems),
		cmocka_unit_test(test_load_config_file),
		cmocka_unit_test(test_ad_load_secret),
		cmocka_unit_test(test_web_keys),
		cmocka_unit_test(test_web_cross_check),
		cmocka_unit_test(test_listen_is_loopback),
		cmocka_unit_test(test_web_load_secret),
	};

	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
