/*
 * Unit tests of conf_edit.c (editing adsync.conf in place) and of
 * secret_write_file(): replace, insert into a section, append a section,
 * remove; every other byte kept (comments, unknown keys and sections,
 * order, CRLF, BOM, no final newline); refused values and names; the file
 * round trip (mode kept, missing file created, symbolic link refused, an
 * invalid result leaves the file untouched with the problem in the diag);
 * and the 0600 secret file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include "secret.h"

static char tmpdir[200];

/* ---- helpers ---------------------------------------------------------- */

#define NEDITS(a) (sizeof(a) / sizeof((a)[0]))

/* The edits applied to `in` give exactly `want`. */
static void
expect_edit(const char *in, const struct conf_edit *e, size_t n,
    const char *want)
{
	char why[512], *out = NULL;
	size_t outlen = 0;
	int r;

	r = conf_edit_buffer(in, strlen(in), e, n, &out, &outlen, why,
	    sizeof(why));
	if (r != 0)
		fail_msg("edit of:\n%s---\nfailed: %s", in, why);
	assert_non_null(out);
	if (strcmp(out, want) != 0 || outlen != strlen(want))
		fail_msg("edit of:\n%s---\nwanted:\n%s---\ngot:\n%s---", in,
		    want, out);
	assert_int_equal(out[outlen], '\0');
	free(out);
}

/* The edits are refused with `code` and a `why` containing `sub`. */
static void
expect_refused(const char *in, const struct conf_edit *e, size_t n, int code,
    const char *sub)
{
	char why[512], mark[] = "untouched", *out = mark;
	size_t outlen = 12345;
	int r;

	why[0] = '\0';
	r = conf_edit_buffer(in, strlen(in), e, n, &out, &outlen, why,
	    sizeof(why));
	if (r != code || strstr(why, sub) == NULL)
		fail_msg("wanted %d \"%s\", got %d \"%s\"", code, sub, r, why);
	/* Out-parameters are written only on success. */
	assert_string_equal(out, "untouched");
	assert_int_equal(outlen, 12345);
}

static char *
read_all(const char *path, size_t *lenp)
{
	char *s;
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

static void
expect_file(const char *path, const char *want, mode_t mode)
{
	struct stat st;
	char *got;

	got = read_all(path, NULL);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, mode);
}

/* Only `n` entries in tmpdir: no temporary file was left behind. */
static void
expect_entries(size_t n)
{
	struct dirent *de;
	size_t got = 0;
	DIR *dp;

	dp = opendir(tmpdir);
	assert_non_null(dp);
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (strstr(de->d_name, ".edit-") != NULL ||
		    strstr(de->d_name, ".new-") != NULL)
			fail_msg("temporary file left: %s", de->d_name);
		got++;
	}
	closedir(dp);
	assert_int_equal(got, n);
}

static int
setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_conf_edit.XXXXXX",
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

/* Empties tmpdir between tests that count its entries. */
static int
clean_tmp(void **state)
{
	teardown_tmp(state);
	return mkdir(tmpdir, 0700);
}

/* ---- conf_edit_buffer ------------------------------------------------- */

static const struct conf_edit set_web[] = {
	{ "daemon", "web_listen", "127.0.0.1:9090" },
};

static void
test_replace(void **state)
{
	static const struct conf_edit timeout[] = {
		{ "rackspace", "timeout", "45" },
	};
	static const struct conf_edit empty[] = {
		{ "daemon", "web_listen", "" },
	};

	(void)state;
	expect_edit("[daemon]\nweb_listen = 127.0.0.1:8080\n", set_web, 1,
	    "[daemon]\nweb_listen = 127.0.0.1:9090\n");
	/* Spelling is ours, comment and ending are the file's. */
	expect_edit("[rackspace]\ntimeout=30\n", timeout, 1,
	    "[rackspace]\ntimeout = 45\n");
	expect_edit("[rackspace]\ntimeout:30\n", timeout, 1,
	    "[rackspace]\ntimeout = 45\n");
	expect_edit("[rackspace]\ntimeout   =   30   ; seconds\n", timeout, 1,
	    "[rackspace]\ntimeout = 45   ; seconds\n");
	expect_edit("[rackspace]\ntimeout = ; was empty\n", timeout, 1,
	    "[rackspace]\ntimeout = 45 ; was empty\n");
	expect_edit("[rackspace]\ntimeout =\t;tab\n", timeout, 1,
	    "[rackspace]\ntimeout = 45\t;tab\n");
	/* "x;y" is a value, not a comment; "=;" neither. */
	expect_edit("[rackspace]\ntimeout = 3;0\n", timeout, 1,
	    "[rackspace]\ntimeout = 45\n");
	expect_edit("[rackspace]\ntimeout =;x\n", timeout, 1,
	    "[rackspace]\ntimeout = 45\n");
	/* Indentation kept (the parser will say what is wrong with it). */
	expect_edit("[rackspace]\n  timeout = 30\n", timeout, 1,
	    "[rackspace]\n  timeout = 45\n");
	/* The last line without a newline stays without one. */
	expect_edit("[rackspace]\ntimeout = 30", timeout, 1,
	    "[rackspace]\ntimeout = 45");
	/* An empty value is written without a trailing blank. */
	expect_edit("[daemon]\nweb_listen = 127.0.0.1:8080 ; here\n", empty, 1,
	    "[daemon]\nweb_listen = ; here\n");
	expect_edit("[daemon]\nweb_listen = 127.0.0.1:8080\n", empty, 1,
	    "[daemon]\nweb_listen =\n");
	/* Only the key of that section, not a namesake elsewhere. */
	expect_edit("[ad]\ntimeout = 30\n[rackspace]\ntimeout = 30\n"
	    "[sync]\ntimeout = 30\n", timeout, 1,
	    "[ad]\ntimeout = 30\n[rackspace]\ntimeout = 45\n"
	    "[sync]\ntimeout = 30\n");
	/* Names are compared exactly, as the parser does. */
	expect_edit("[rackspace]\nTimeout = 30\ntimeouts = 1\n", timeout, 1,
	    "[rackspace]\nTimeout = 30\ntimeouts = 1\ntimeout = 45\n");
}

static void
test_insert(void **state)
{
	(void)state;
	/* After the last key line, before the comments closing the block. */
	expect_edit("[ad]\nuri =\n\n[daemon]\nhook_listen = 0.0.0.0:8732\n"
	    "password_hold = 60\n\n# The sync scope.\n[sync]\ndomains =\n",
	    set_web, 1,
	    "[ad]\nuri =\n\n[daemon]\nhook_listen = 0.0.0.0:8732\n"
	    "password_hold = 60\nweb_listen = 127.0.0.1:9090\n\n"
	    "# The sync scope.\n[sync]\ndomains =\n");
	/* Comments between key lines stay where they are. */
	expect_edit("[daemon]\n# receiver\nhook_listen = a:1\n# hold\n"
	    "password_hold = 5\n; end\n", set_web, 1,
	    "[daemon]\n# receiver\nhook_listen = a:1\n# hold\n"
	    "password_hold = 5\nweb_listen = 127.0.0.1:9090\n; end\n");
	/* A section of comments only: right after its header. */
	expect_edit("[daemon]\n#web_listen = 127.0.0.1:8080\n\n[sync]\n",
	    set_web, 1,
	    "[daemon]\nweb_listen = 127.0.0.1:9090\n"
	    "#web_listen = 127.0.0.1:8080\n\n[sync]\n");
	expect_edit("[daemon] ; the daemon\n", set_web, 1,
	    "[daemon] ; the daemon\nweb_listen = 127.0.0.1:9090\n");
	/* No newline at the end. */
	expect_edit("[daemon]\nhook_listen = a:1", set_web, 1,
	    "[daemon]\nhook_listen = a:1\nweb_listen = 127.0.0.1:9090\n");
	expect_edit("[daemon]", set_web, 1,
	    "[daemon]\nweb_listen = 127.0.0.1:9090\n");
	/* Keys before any section, unknown sections and a malformed header
	 * are not the section. */
	expect_edit("web_listen = x\n[daemonx]\nweb_listen = y\n"
	    "[daemon\nweb_listen = z\n", set_web, 1,
	    "web_listen = x\n[daemonx]\nweb_listen = y\n"
	    "[daemon\nweb_listen = z\n\n[daemon]\n"
	    "web_listen = 127.0.0.1:9090\n");
	/* Two blocks of the section (which the parser refuses): the key
	 * goes into the last one. */
	expect_edit("[daemon]\nhook_listen = a:1\n[ad]\n[daemon]\n# c\n",
	    set_web, 1,
	    "[daemon]\nhook_listen = a:1\n[ad]\n[daemon]\n"
	    "web_listen = 127.0.0.1:9090\n# c\n");
}

static void
test_new_section(void **state)
{
	(void)state;
	expect_edit("[ad]\nuri =\n", set_web, 1,
	    "[ad]\nuri =\n\n[daemon]\nweb_listen = 127.0.0.1:9090\n");
	expect_edit("[ad]\nuri =", set_web, 1,
	    "[ad]\nuri =\n\n[daemon]\nweb_listen = 127.0.0.1:9090\n");
	expect_edit("# only a comment\n", set_web, 1,
	    "# only a comment\n\n[daemon]\nweb_listen = 127.0.0.1:9090\n");
	expect_edit("", set_web, 1,
	    "[daemon]\nweb_listen = 127.0.0.1:9090\n");
}

static void
test_remove(void **state)
{
	static const struct conf_edit rm[] = {
		{ "daemon", "web_listen", NULL },
	};
	static const struct conf_edit set_rm[] = {
		{ "daemon", "web_listen", "127.0.0.1:1" },
		{ "daemon", "web_listen", NULL },
	};

	(void)state;
	expect_edit("[daemon]\n# console\nweb_listen = a:1 ; c\n"
	    "password_hold = 5\n", rm, 1,
	    "[daemon]\n# console\npassword_hold = 5\n");
	/* Absent: nothing changes, no section appears. */
	expect_edit("[ad]\nuri =\n", rm, 1, "[ad]\nuri =\n");
	expect_edit("[daemon]\n", rm, 1, "[daemon]\n");
	expect_edit("", rm, 1, "");
	/* Every copy goes: removal is how a duplicate is fixed. */
	expect_edit("[daemon]\nweb_listen = a:1\nweb_listen = b:2\n", rm, 1,
	    "[daemon]\n");
	expect_edit("[daemon]\nhook_listen = a:1\nweb_listen = b:2", rm, 1,
	    "[daemon]\nhook_listen = a:1\n");
	/* Edits apply in order. */
	expect_edit("[daemon]\n", set_rm, 2, "[daemon]\n");
}

/* Everything but the edited lines is kept byte for byte. */
static void
test_preserve(void **state)
{
	static const char in[] =
	    "\xEF\xBB\xBF# adsync.conf, hand-written\n"
	    "; with both comment styles\n"
	    "\n"
	    "[rackspace]\n"
	    "user_key =   \n"
	    "future_key = kept as is ;even this\n"
	    "timeout = 30 ; seconds\n"
	    "\n"
	    "[future]\n"
	    "web_listen = 0.0.0.0:1\n"
	    "something = else\n"
	    "   # indented comment\n"
	    "\n"
	    "[sync]\n"
	    "domains = example.com\n"
	    "# trailing comment of [sync]\n"
	    "\n"
	    "\n";
	static const char want[] =
	    "\xEF\xBB\xBF# adsync.conf, hand-written\n"
	    "; with both comment styles\n"
	    "\n"
	    "[rackspace]\n"
	    "user_key = eGbq9/2hcZsRlr1JV1Pi\n"
	    "future_key = kept as is ;even this\n"
	    "timeout = 30 ; seconds\n"
	    "max_retries = 2\n"
	    "\n"
	    "[future]\n"
	    "web_listen = 0.0.0.0:1\n"
	    "something = else\n"
	    "   # indented comment\n"
	    "\n"
	    "[sync]\n"
	    "# trailing comment of [sync]\n"
	    "\n"
	    "\n"
	    "\n"
	    "[daemon]\n"
	    "web_listen = 127.0.0.1:9090\n";
	static const struct conf_edit e[] = {
		{ "rackspace", "user_key", "eGbq9/2hcZsRlr1JV1Pi" },
		{ "rackspace", "max_retries", "2" },
		{ "sync", "domains", NULL },
		{ "daemon", "web_listen", "127.0.0.1:9090" },
	};

	(void)state;
	expect_edit(in, e, NEDITS(e), want);
	/* Applying the same edits again changes nothing. */
	expect_edit(want, e, NEDITS(e), want);
	/* No edit: a copy. */
	expect_edit(in, e, 0, in);
}

static void
test_crlf(void **state)
{
	static const struct conf_edit e[] = {
		{ "daemon", "hook_listen", "0.0.0.0:1" },
		{ "daemon", "web_listen", "127.0.0.1:9090" },
		{ "sync", "domains", "example.com" },
	};

	(void)state;
	expect_edit("[daemon]\r\nhook_listen = a:1\r\n# end\r\n", e, 2,
	    "[daemon]\r\nhook_listen = 0.0.0.0:1\r\n"
	    "web_listen = 127.0.0.1:9090\r\n# end\r\n");
	expect_edit("[daemon]\r\n", e, NEDITS(e),
	    "[daemon]\r\nhook_listen = 0.0.0.0:1\r\n"
	    "web_listen = 127.0.0.1:9090\r\n"
	    "\r\n[sync]\r\ndomains = example.com\r\n");
	/* The last line without its newline, CRLF file. */
	expect_edit("[daemon]\r\nhook_listen = a:1", e, 2,
	    "[daemon]\r\nhook_listen = 0.0.0.0:1\r\n"
	    "web_listen = 127.0.0.1:9090\r\n");
	/* A final lone CR (the reader drops it) becomes a CRLF. */
	expect_edit("[daemon]\r\nhook_listen = a:1\r", e + 1, 1,
	    "[daemon]\r\nhook_listen = a:1\r\n"
	    "web_listen = 127.0.0.1:9090\r\n");
	/* Mixed endings: each line keeps its own. */
	expect_edit("[daemon]\nhook_listen = a:1\r\npassword_hold = 5\n", e, 1,
	    "[daemon]\nhook_listen = 0.0.0.0:1\r\npassword_hold = 5\n");
}

static void
test_refused_values(void **state)
{
	struct conf_edit e = { "daemon", "web_password_file", NULL };
	static const struct {
		const char *value;
		const char *why;
	} bad[] = {
		{ "/a\nb", "[daemon] web_password_file: the value contains a "
		  "line break; give it on one line" },
		{ "/a\n[ad]\nbind_dn = x", "line break" },
		{ "/a\rb", "line break" },
		{ "/a\x01" "b", "the control character 0x01" },
		{ "/a\x7f", "the control character 0x7f" },
		{ "/caf\xe9", "[daemon] web_password_file: the value is not "
		  "valid UTF-8" },
		{ " /a", "starts or ends with a blank" },
		{ "/a ", "starts or ends with a blank" },
		{ "/a\t", "starts or ends with a blank" },
		{ ";/a", "cannot start with ';'" },
		{ "/a ;b", "a ';' after a blank would start a comment" },
		{ "/a\t;b", "a ';' after a blank" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NEDITS(bad); i++) {
		e.value = bad[i].value;
		expect_refused("[daemon]\n", &e, 1, -EINVAL, bad[i].why);
	}
	/* Kept: ';' without a blank before it, '#', inner blanks. */
	e.value = "/a;b #c d";
	expect_edit("[daemon]\n", &e, 1,
	    "[daemon]\nweb_password_file = /a;b #c d\n");
}

/* expect_edit() with a computed expectation. */
static void
expect_edit_fmt(const char *in, const struct conf_edit *e, size_t n,
    const char *fmt, ...) ATTR_PRINTF(4, 5);

static void
expect_edit_fmt(const char *in, const struct conf_edit *e, size_t n,
    const char *fmt, ...)
{
	char want[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	expect_edit(in, e, n, want);
}

static void
test_line_limit(void **state)
{
	char longval[256];
	struct conf_edit e = { "daemon", "web_password_file", longval };

	(void)state;
	/* 199 bytes is the longest line: "web_password_file = " is 20. */
	memset(longval, 'a', 179);
	longval[0] = '/';
	longval[179] = '\0';
	expect_edit_fmt("[daemon]\n", &e, 1,
	    "[daemon]\nweb_password_file = %s\n", longval);
	expect_edit_fmt("[daemon]\nweb_password_file = /x\n", &e, 1,
	    "[daemon]\nweb_password_file = %s\n", longval);
	longval[179] = 'a';
	longval[180] = '\0';
	expect_refused("[daemon]\n", &e, 1, -EINVAL, "[daemon] "
	    "web_password_file: the line would be 200 bytes long; lines are "
	    "limited to 199 bytes (libinih would cut the value); shorten the "
	    "value");
	/* The comment kept on the line counts too. */
	longval[170] = '\0';
	expect_refused("[daemon]\nweb_password_file = /x ; a comment here\n",
	    &e, 1, -EINVAL, "shorten the value or the comment or indentation "
	    "kept on its line");
	expect_refused("[daemon]\n            web_password_file = /x\n", &e, 1,
	    -EINVAL, "the line would be 202 bytes long");
}

static void
test_refused_names(void **state)
{
	static const struct conf_edit unknown_key[] = {
		{ "daemon", "web_listen", "127.0.0.1:1" },
		{ "daemon", "web_port", "8080" },
	};
	static const struct conf_edit typo[] = {
		{ "daemon", "web_lisen", "127.0.0.1:1" },
	};
	static const struct conf_edit wrong[] = {
		{ "daemon", "domains", "example.com" },
	};
	static const struct conf_edit section[] = {
		{ "deamon", "web_listen", "127.0.0.1:1" },
	};
	static const struct conf_edit nowhere[] = {
		{ "web", "listen", "127.0.0.1:1" },
	};
	static const struct conf_edit none[] = {
		{ NULL, "web_listen", "127.0.0.1:1" },
	};
	static const struct conf_edit nokey[] = {
		{ "daemon", NULL, "127.0.0.1:1" },
	};

	(void)state;
	/* One bad edit refuses them all. */
	expect_refused("[daemon]\n", unknown_key, 2, -EINVAL,
	    "unknown key \"web_port\" in [daemon]; see adsync.conf(5)");
	expect_refused("[daemon]\n", typo, 1, -EINVAL,
	    "unknown key \"web_lisen\" in [daemon]; did you mean web_listen?");
	expect_refused("[daemon]\n", wrong, 1, -EINVAL,
	    "key domains belongs in [sync], not in [daemon]");
	expect_refused("[daemon]\n", section, 1, -EINVAL,
	    "unknown section [deamon]; did you mean [daemon]?");
	expect_refused("[daemon]\n", nowhere, 1, -EINVAL,
	    "unknown section [web]; see adsync.conf(5)");
	expect_refused("[daemon]\n", none, 1, -EINVAL, "no section or no key");
	expect_refused("[daemon]\n", nokey, 1, -EINVAL, "no section or no key");
}

static void
test_duplicates(void **state)
{
	char *big;
	size_t n = CONF_FILE_MAX + 1;
	char why[256], *out = NULL;
	size_t outlen;

	(void)state;
	expect_refused("[daemon]\nweb_listen = a:1\n# x\nweb_listen = b:2\n",
	    set_web, 1, -ADSYNC_ECONFIG, "[daemon] web_listen is set on line 2 "
	    "and again on line 4; remove all but one by hand first");
	/* Over the size limit. */
	big = malloc(n);
	assert_non_null(big);
	memset(big, '\n', n);
	assert_int_equal(conf_edit_buffer(big, n, set_web, 1, &out, &outlen,
	    why, sizeof(why)), -ADSYNC_ETOOBIG);
	assert_null(out);
	assert_non_null(strstr(why, "larger than 1048576 bytes"));
	/* At the limit, an insert that would pass it. */
	assert_int_equal(conf_edit_buffer(big, n - 1, set_web, 1, &out,
	    &outlen, why, sizeof(why)), -ADSYNC_ETOOBIG);
	assert_null(out);
	/* why may be NULL. */
	assert_int_equal(conf_edit_buffer(big, n, set_web, 1, &out, &outlen,
	    NULL, 0), -ADSYNC_ETOOBIG);
	free(big);
}

/* The edited text is what the parser reads: values, sections, lines. */
static void
test_result_parses(void **state)
{
	static const char in[] =
	    "# adsync\n"
	    "[rackspace]\n"
	    "user_key =\n"
	    "timeout = 30 ; seconds\n"
	    "\n"
	    "[daemon]\n"
	    "hook_listen = 0.0.0.0:8732\n"
	    "# the console\n";
	static const struct conf_edit e[] = {
		{ "rackspace", "user_agent", "adsync test;1 #x" },
		{ "rackspace", "timeout", "31" },
		{ "daemon", "web_listen", "localhost:9090" },
		{ "daemon", "hook_listen", "" },
		{ "ad", "page_size", "500" },
		{ "sync", "domains", "example.com example.net" },
	};
	struct conf *c = NULL;
	struct diag d;
	char why[256], *out = NULL;
	size_t outlen = 0;

	(void)state;
	assert_int_equal(conf_edit_buffer(in, strlen(in), e, NEDITS(e), &out,
	    &outlen, why, sizeof(why)), 0);
	diag_init(&d);
	assert_int_equal(conf_parse_buffer(out, outlen, "t.conf", &c, &d), 0);
	assert_string_equal(c->rackspace.user_agent, "adsync test;1 #x");
	assert_int_equal(c->rackspace.timeout, 31);
	assert_string_equal(c->daemon.web_listen, "localhost:9090");
	assert_string_equal(c->daemon.hook_listen, "");
	assert_int_equal(c->ad.page_size, 500);
	assert_string_equal(c->sync.domains, "example.com example.net");
	conf_free(c);
	diag_fini(&d);
	free(out);
}

/* ---- conf_edit_file ---------------------------------------------------- */

static void
path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

static void
test_file_round_trip(void **state)
{
	static const char text[] = "# mine\n[daemon]\nhook_listen = "
	    "0.0.0.0:8732 ; DCs\n\n[sync]\n";
	char path[512], why[512];
	struct diag d;

	(void)state;
	path_of(path, sizeof(path), "adsync.conf");
	write_file(path, text, 0604);
	diag_init(&d);
	if (conf_edit_file(path, set_web, 1, &d, why, sizeof(why)) != 0)
		fail_msg("%s", why);
	assert_int_equal(d.n, 0);
	expect_file(path, "# mine\n[daemon]\nhook_listen = 0.0.0.0:8732 ; DCs\n"
	    "web_listen = 127.0.0.1:9090\n\n[sync]\n", 0604);
	expect_entries(1);
	/* Nothing to do: the file is not even read. */
	assert_int_equal(conf_edit_file(path, NULL, 0, &d, why, sizeof(why)),
	    0);
	/* Mode 0600 stays 0600. */
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(conf_edit_file(path, set_web, 1, &d, NULL, 0), 0);
	expect_file(path, "# mine\n[daemon]\nhook_listen = 0.0.0.0:8732 ; DCs\n"
	    "web_listen = 127.0.0.1:9090\n\n[sync]\n", 0600);
	/* Root keeps the owner and group of the file it replaces. */
	if (geteuid() == 0) {
		struct stat st;

		assert_int_equal(chown(path, 54321, 54322), 0);
		assert_int_equal(conf_edit_file(path, set_web, 1, &d, NULL, 0),
		    0);
		assert_int_equal(lstat(path, &st), 0);
		assert_int_equal(st.st_uid, 54321);
		assert_int_equal(st.st_gid, 54322);
		assert_int_equal(st.st_mode & 07777, 0600);
	}
	diag_fini(&d);
	expect_entries(1);
	unlink(path);
}

static void
test_file_created(void **state)
{
	char path[512], why[512];
	struct diag d;

	(void)state;
	path_of(path, sizeof(path), "new.conf");
	unlink(path);
	diag_init(&d);
	if (conf_edit_file(path, set_web, 1, &d, why, sizeof(why)) != 0)
		fail_msg("%s", why);
	expect_file(path, "[daemon]\nweb_listen = 127.0.0.1:9090\n", 0640);
	diag_fini(&d);
	expect_entries(1);
	unlink(path);
	/* In a directory that does not exist. */
	path_of(path, sizeof(path), "nodir/new.conf");
	diag_init(&d);
	assert_int_equal(conf_edit_file(path, set_web, 1, &d, why,
	    sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "nodir/new.conf: cannot create a file in "
	    ));
	diag_fini(&d);
}

static void
test_file_invalid_result(void **state)
{
	static const char text[] = "# keep me\n[daemon]\nhook_listen = "
	    "0.0.0.0:8732\n\n[sync]\ndomains = example.com\n";
	static const struct conf_edit plain[] = {
		{ "daemon", "web_listen", "0.0.0.0:8080" },
	};
	static const struct conf_edit number[] = {
		{ "ad", "page_size", "many" },
	};
	static const struct conf_edit bad_value[] = {
		{ "daemon", "web_listen", "127.0.0.1:1\n[ad]" },
	};
	char path[512], key[512], why[512];
	struct conf_edit secret[2] = {
		{ "rackspace", "user_key", "eGbq9/2hcZsRlr1JV1Pi" },
		{ "rackspace", "secret_key_file", key },
	};
	struct diag d;

	(void)state;
	path_of(path, sizeof(path), "adsync.conf");
	path_of(key, sizeof(key), "rs.key");
	write_file(path, text, 0640);
	/* The cross-key check of the result, at its line in the result. */
	diag_init(&d);
	assert_int_equal(conf_edit_file(path, plain, 1, &d, why, sizeof(why)),
	    -ADSYNC_ECONFIG);
	assert_non_null(strstr(why, "would not load"));
	assert_non_null(strstr(why, "nothing was written"));
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].file, path);
	assert_int_equal(d.v[0].line, 4);
	assert_non_null(strstr(d.v[0].msg, "plain HTTP"));
	diag_fini(&d);
	expect_file(path, text, 0640);
	/* A value the key's type refuses. */
	diag_init(&d);
	assert_int_equal(conf_edit_file(path, number, 1, &d, why, sizeof(why)),
	    -ADSYNC_ECONFIG);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].line, 9);
	assert_non_null(strstr(d.v[0].msg, "page_size: \"many\" is not a whole "
	    "number"));
	diag_fini(&d);
	expect_file(path, text, 0640);
	/* The secret files are checked as conf_load_file() does. */
	unlink(key);
	diag_init(&d);
	assert_int_equal(conf_edit_file(path, secret, 2, &d, why, sizeof(why)),
	    -ADSYNC_ECONFIG);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0].msg, "secret_key_file: "));
	assert_non_null(strstr(d.v[0].msg, "create it with mode 0600"));
	diag_fini(&d);
	expect_file(path, text, 0640);
	write_file(key, "QHOvchm/40czXhJ1OxfxK7jDHr3t\n", 0600);
	diag_init(&d);
	if (conf_edit_file(path, secret, 2, &d, why, sizeof(why)) != 0)
		fail_msg("%s", why);
	assert_int_equal(d.n, 0);
	diag_fini(&d);
	/* A duplicate in the file: in the diag too. */
	write_file(path, "[daemon]\nweb_listen = a:1\nweb_listen = b:2\n",
	    0640);
	diag_init(&d);
	assert_int_equal(conf_edit_file(path, set_web, 1, &d, why,
	    sizeof(why)), -ADSYNC_ECONFIG);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0].msg, "set on line 2 and again on line "
	    "3"));
	diag_fini(&d);
	/* A bad edit: no diag, the reason in why, the file as it was. */
	write_file(path, text, 0640);
	diag_init(&d);
	assert_int_equal(conf_edit_file(path, bad_value, 1, &d, why,
	    sizeof(why)), -EINVAL);
	assert_int_equal(d.n, 0);
	assert_non_null(strstr(why, "line break"));
	diag_fini(&d);
	expect_file(path, text, 0640);
	unlink(key);
	unlink(path);
	expect_entries(0);
}

static void
test_file_refused(void **state)
{
	char path[512], link[512], why[512];
	struct diag d;

	(void)state;
	/* A symbolic link: the rename would replace the link itself. */
	path_of(path, sizeof(path), "real.conf");
	path_of(link, sizeof(link), "link.conf");
	write_file(path, "[daemon]\n", 0640);
	unlink(link);
	assert_int_equal(symlink(path, link), 0);
	diag_init(&d);
	assert_int_equal(conf_edit_file(link, set_web, 1, &d, why,
	    sizeof(why)), -ELOOP);
	assert_non_null(strstr(why, "link.conf is a symbolic link"));
	diag_fini(&d);
	expect_file(path, "[daemon]\n", 0640);
	unlink(link);
	/* A directory. */
	diag_init(&d);
	assert_int_equal(conf_edit_file(tmpdir, set_web, 1, &d, why,
	    sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "is not a regular file"));
	diag_fini(&d);
	/* A directory we may not write into (root may write anywhere). */
	if (geteuid() != 0) {
		assert_int_equal(chmod(tmpdir, 0500), 0);
		diag_init(&d);
		assert_int_equal(conf_edit_file(path, set_web, 1, &d, why,
		    sizeof(why)), -EACCES);
		assert_non_null(strstr(why, "cannot create a file in"));
		assert_non_null(strstr(why, "must be writable by the user "
		    "adsync runs as"));
		diag_fini(&d);
		assert_int_equal(chmod(tmpdir, 0700), 0);
		expect_file(path, "[daemon]\n", 0640);
	}
	unlink(path);
	expect_entries(0);
}

/* ---- secret_write_file ------------------------------------------------- */

static void
test_secret_write(void **state)
{
	static const char key[] = "QHOvchm/40czXhJ1OxfxK7jDHr3t";
	char path[512], why[512];
	struct secret *s = NULL;
	const unsigned char *b;
	size_t len;

	(void)state;
	path_of(path, sizeof(path), "rs.key");
	unlink(path);
	if (secret_write_file(path, key, strlen(key), why, sizeof(why)) != 0)
		fail_msg("%s", why);
	expect_file(path, key, 0600);
	expect_entries(1);
	/* What secret_load_file() accepts. */
	assert_int_equal(secret_load_file(path, "t", SECRET_FILE_MAX, &s, why,
	    sizeof(why)), 0);
	b = secret_bytes(s, &len);
	assert_int_equal(len, strlen(key));
	assert_memory_equal(b, key, len);
	secret_free(s);
	/* Replaces a file of a wrong mode with a 0600 one. */
	write_file(path, "old", 0644);
	assert_int_equal(secret_write_file(path, "new\n", 4, NULL, 0), 0);
	expect_file(path, "new\n", 0600);
	expect_entries(1);
	/* Root keeps the owner the service user was given. */
	if (geteuid() == 0) {
		struct stat st;

		assert_int_equal(chown(path, 54321, 54322), 0);
		assert_int_equal(secret_write_file(path, "k", 1, NULL, 0), 0);
		assert_int_equal(lstat(path, &st), 0);
		assert_int_equal(st.st_uid, 54321);
		assert_int_equal(st.st_gid, 54322);
		assert_int_equal(st.st_mode & 07777, 0600);
	}
	/* Refusals name the file and say what to do. */
	assert_int_equal(secret_write_file(path, "", 0, why, sizeof(why)),
	    -EINVAL);
	assert_non_null(strstr(why, path));
	assert_int_equal(secret_write_file(tmpdir, "x", 1, why, sizeof(why)),
	    -EISDIR);
	assert_non_null(strstr(why, "is a directory"));
	path_of(path, sizeof(path), "nodir/rs.key");
	assert_int_equal(secret_write_file(path, "x", 1, why, sizeof(why)),
	    -ENOENT);
	assert_non_null(strstr(why, "nodir/rs.key: cannot create a file in "));
	assert_non_null(strstr(why, "create the directory"));
	expect_entries(1);
	path_of(path, sizeof(path), "rs.key");
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_insert),
		cmocka_unit_test(test_new_section),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_preserve),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_refused_values),
		cmocka_unit_test(test_line_limit),
		cmocka_unit_test(test_refused_names),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_result_parses),
		cmocka_unit_test_setup(test_file_round_trip, clean_tmp),
		cmocka_unit_test_setup(test_file_created, clean_tmp),
		cmocka_unit_test_setup(test_file_invalid_result, clean_tmp),
		cmocka_unit_test_setup(test_file_refused, clean_tmp),
		cmocka_unit_test_setup(test_secret_write, clean_tmp),
	};

	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
