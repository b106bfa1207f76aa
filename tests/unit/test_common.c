/*
 * Unit tests of the common module: bounded buffers, strict number parsing,
 * hex digits and percent-decoding, strict UTF-8, secret files (modes,
 * symlinks, size, trailing newline), error strings, the why writer and
 * diagnostics. file_replace() has its own, test_fileio.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include "diag.h"
#include "err.h"
#include "log.h"
#include "secret.h"
#include "strparse.h"
#include "timing.h"
#include "utf8.h"

static void
test_buf_limit(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_addstr(&b, "abcd"), 0);
	assert_int_equal(buf_printf(&b, "%d", 123), 0);
	assert_string_equal(buf_str(&b), "abcd123");
	assert_int_equal(buf_addc(&b, 'x'), 0);
	assert_int_equal(b.len, 8);
	/* Passing the limit frees the buffer: no half value survives. */
	assert_int_equal(buf_addc(&b, 'y'), -ADSYNC_ETOOBIG);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	buf_fini(&b);
}

static void
test_buf_take(void **state)
{
	struct buf b;
	char *s;

	(void)state;
	buf_init(&b, 1024);
	s = buf_take(&b);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(buf_add(&b, "hello\0world", 11), 0);
	assert_int_equal(b.len, 11);
	s = buf_take(&b);
	assert_memory_equal(s, "hello\0world", 12);
	assert_null(b.data);
	free(s);
	buf_fini(&b);
}

static void
test_strparse_num(void **state)
{
	const char *err;
	long long v = -1;

	(void)state;
	assert_int_equal(strparse_num("42", 0, 100, &v, &err), 0);
	assert_int_equal(v, 42);
	assert_null(err);
	assert_int_equal(strparse_num("-5", -10, 10, &v, &err), 0);
	assert_int_equal(v, -5);
	v = 7;
	assert_int_equal(strparse_num("101", 0, 100, &v, &err), -ADSYNC_ERANGE);
	assert_string_equal(err, "too large");
	assert_int_equal(strparse_num("-1", 0, 100, &v, &err), -ADSYNC_ERANGE);
	assert_string_equal(err, "too small");
	assert_int_equal(strparse_num("", 0, 100, &v, &err), -ADSYNC_EPARSE);
	assert_int_equal(strparse_num(" 4", 0, 100, &v, &err), -ADSYNC_EPARSE);
	assert_int_equal(strparse_num("4 ", 0, 100, &v, &err), -ADSYNC_EPARSE);
	assert_int_equal(strparse_num("4x", 0, 100, &v, &err), -ADSYNC_EPARSE);
	assert_int_equal(strparse_num("0x10", 0, 100, &v, &err),
	    -ADSYNC_EPARSE);
	assert_int_equal(strparse_num("99999999999999999999", 0, LLONG_MAX, &v,
	    &err), -ADSYNC_ERANGE);
	assert_int_equal(v, 7);	/* untouched on failure */
}

static void
test_strparse_double_bool(void **state)
{
	const char *err;
	double d = 0;
	bool b = false;

	(void)state;
	assert_int_equal(strparse_double("0.05", 0, 1, &d, &err), 0);
	assert_true(d > 0.0499 && d < 0.0501);
	assert_int_equal(strparse_double("1.5", 0, 1, &d, &err),
	    -ADSYNC_ERANGE);
	assert_int_equal(strparse_double("nan", 0, 1, &d, &err),
	    -ADSYNC_EPARSE);
	assert_int_equal(strparse_double("0.1x", 0, 1, &d, &err),
	    -ADSYNC_EPARSE);
	assert_int_equal(strparse_bool("TRUE", &b), 0);
	assert_true(b);
	assert_int_equal(strparse_bool("off", &b), 0);
	assert_false(b);
	assert_int_equal(strparse_bool("maybe", &b), -ADSYNC_EPARSE);
}

static char tmpdir[64];

static int
setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/adsync-test-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown_tmp(void **state)
{
	char cmd[128];

	(void)state;
	/* Only our own mkdtemp directory. */
	snprintf(cmd, sizeof(cmd), "%s/k", tmpdir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/l", tmpdir);
	unlink(cmd);
	return rmdir(tmpdir);
}

static void
write_file(const char *path, const char *data, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
test_secret_load(void **state)
{
	char path[128], why[256];
	struct secret *s = NULL;
	const unsigned char *b;
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/k", tmpdir);
	write_file(path, "s3cr3t-key\n", 0600);
	assert_int_equal(secret_load_file(path, "test.key", 64, &s, why,
	    sizeof(why)), 0);
	b = secret_bytes(s, &len);
	assert_int_equal(len, 10);
	assert_memory_equal(b, "s3cr3t-key", 11);	/* NUL-terminated */
	assert_string_equal(secret_log_tag(s), "<secret:test.key>");
	secret_free(s);

	write_file(path, "s3cr3t-key\n", 0400);
	s = NULL;
	assert_int_equal(secret_load_file(path, "k", 64, &s, why, sizeof(why)),
	    0);
	secret_free(s);
}

static void
test_secret_refusals(void **state)
{
	char path[128], link[128], why[256];
	struct secret *s = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/k", tmpdir);
	snprintf(link, sizeof(link), "%s/l", tmpdir);

	write_file(path, "key", 0644);
	assert_int_equal(secret_load_file(path, "k", 64, &s, why, sizeof(why)),
	    -ADSYNC_ESECRET);
	assert_non_null(strstr(why, "chmod 600"));
	assert_non_null(strstr(why, "0644"));
	assert_null(s);
	/* The message names the file, never the content. */
	assert_null(strstr(why, "key\n"));

	write_file(path, "key", 0640);
	assert_int_equal(secret_load_file(path, "k", 64, &s, why, sizeof(why)),
	    -ADSYNC_ESECRET);

	write_file(path, "0123456789", 0600);
	assert_int_equal(secret_load_file(path, "k", 4, &s, why, sizeof(why)),
	    -ADSYNC_ETOOBIG);

	write_file(path, "\n", 0600);
	assert_int_equal(secret_load_file(path, "k", 64, &s, why, sizeof(why)),
	    -ADSYNC_ESECRET);
	assert_non_null(strstr(why, "empty"));

	write_file(path, "key", 0600);
	unlink(link);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(secret_load_file(link, "k", 64, &s, why, sizeof(why)),
	    -ADSYNC_ESECRET);
	assert_non_null(strstr(why, "symbolic"));

	assert_int_equal(secret_load_file(tmpdir, "k", 64, &s, why,
	    sizeof(why)), -ADSYNC_ESECRET);
	assert_int_equal(secret_load_file("/nonexistent/adsync", "k", 64, &s,
	    why, sizeof(why)), -ENOENT);
	assert_null(s);
}

static void
test_secret_new(void **state)
{
	struct secret *s;
	size_t len;

	(void)state;
	s = secret_new("abc", 3, "pw");
	assert_non_null(s);
	assert_memory_equal(secret_bytes(s, &len), "abc", 4);
	assert_int_equal(len, 3);
	secret_free(s);
	secret_free(NULL);
}

static void
test_strerror(void **state)
{
	(void)state;
	assert_string_equal(adsync_strerror(0), "success");
	assert_string_equal(adsync_strerror(-ADSYNC_ETHROTTLED),
	    "request limit exceeded");
	assert_string_equal(adsync_strerror(-ENOENT),
	    "No such file or directory");
	assert_non_null(adsync_strerror(-99999));
}

static void
test_diag(void **state)
{
	struct diag d;
	char *out = NULL;
	size_t outlen = 0;
	FILE *fp;

	(void)state;
	diag_init(&d);
	diag_add(&d, "a.conf", 3, "bad %s", "value");
	diag_add(&d, NULL, 0, "plain");
	fp = open_memstream(&out, &outlen);
	diag_print(&d, fp);
	fclose(fp);
	assert_string_equal(out, "a.conf:3: bad value\nplain\n");
	free(out);
	diag_fini(&d);
}

static void
test_secret_owner(void **state)
{
	char path[128], why[256];
	struct secret *s = NULL;

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(path, sizeof(path), "%s/k", tmpdir);
	write_file(path, "key", 0600);
	/* Owned by someone who is neither root nor us: refused. */
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(secret_load_file(path, "k", 64, &s, why, sizeof(why)),
	    -ADSYNC_ESECRET);
	assert_non_null(strstr(why, "uid 65534"));
	assert_null(s);
}

/* Runs `fn` with stderr redirected to a file and returns what it wrote. */
static char *
capture_stderr(void (*fn)(void))
{
	char path[128], *out;
	int fd, saved;
	FILE *fp;
	long n;

	snprintf(path, sizeof(path), "%s/log", tmpdir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	fp = fopen(path, "r");
	assert_non_null(fp);
	out = calloc(1, 4096);
	n = (long)fread(out, 1, 4095, fp);
	out[n > 0 ? n : 0] = '\0';
	fclose(fp);
	unlink(path);
	return out;
}

static void
log_sample(void)
{
	log_init("adsync-test", 0, LOG_DEST_STDERR);
	log_thread_name("worker");
	log_ctx_set("run=%u", 42u);
	log_info("op=update obj=%s", "abc");
	log_debug("hidden at verbosity 0");
	errno = ENOENT;
	log_warn("open %s", "/x");
	assert_int_equal(errno, ENOENT);	/* preserved */
	log_ctx_clear();
	log_set_verbosity(1);
	log_debug("shown at -v");
	log_set_verbosity(0);
	log_thread_name("main");
}

static void
test_log_format(void **state)
{
	char *out;

	(void)state;
	out = capture_stderr(log_sample);
	assert_non_null(strstr(out, " adsync-test["));
	assert_non_null(strstr(out,
	    "info worker log_sample: op=update obj=abc run=42\n"));
	assert_null(strstr(out, "hidden"));
	assert_non_null(strstr(out, "warn worker log_sample: open /x: "
	    "No such file or directory run=42\n"));
	assert_non_null(strstr(out, "debug worker log_sample: shown at -v\n"));
	/* ISO 8601 UTC timestamp at the start of each line. */
	assert_int_equal(out[4], '-');
	assert_int_equal(out[10], 'T');
	free(out);
}

/* strparse_word: blanks (spaces, tabs) separate; none at the ends count. */
static void
test_strparse_word(void **state)
{
	const char *p = "\t a.com  b.net\tc ", *w;
	size_t len;

	(void)state;
	assert_true(strparse_word(&p, &w, &len));
	assert_int_equal(len, 5);
	assert_memory_equal(w, "a.com", 5);
	assert_true(strparse_word(&p, &w, &len));
	assert_int_equal(len, 5);
	assert_memory_equal(w, "b.net", 5);
	assert_true(strparse_word(&p, &w, &len));
	assert_int_equal(len, 1);
	assert_memory_equal(w, "c", 1);
	assert_false(strparse_word(&p, &w, &len));
	assert_false(strparse_word(&p, &w, &len));
	p = "";
	assert_false(strparse_word(&p, &w, &len));
	p = " \t ";
	assert_false(strparse_word(&p, &w, &len));
}

/* err_why: formats, cuts, and ignores a NULL or empty buffer. */
static void
test_err_why(void **state)
{
	char why[8];

	(void)state;
	err_why(why, sizeof(why), "%s %d", "ab", 12);
	assert_string_equal(why, "ab 12");
	err_why(why, sizeof(why), "%s", "longer than eight");
	assert_string_equal(why, "longer ");
	err_why(NULL, 0, "%s", "x");
	why[0] = 'z';
	err_why(why, 0, "%s", "x");
	assert_int_equal(why[0], 'z');
}

/* strparse_hexdigit and strparse_pct_decode (forms, URLs). */
static void
test_strparse_pct(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(strparse_hexdigit('0'), 0);
	assert_int_equal(strparse_hexdigit('9'), 9);
	assert_int_equal(strparse_hexdigit('a'), 10);
	assert_int_equal(strparse_hexdigit('F'), 15);
	assert_int_equal(strparse_hexdigit('g'), -1);
	assert_int_equal(strparse_hexdigit('/'), -1);
	assert_int_equal(strparse_hexdigit(0xc3), -1);
	assert_int_equal(strparse_pct_decode("a%2Fb+c%e9", 10, out, true), 6);
	assert_memory_equal(out, "a/b c\xe9", 7);
	assert_int_equal(strparse_pct_decode("a+b", 3, out, false), 3);
	assert_string_equal(out, "a+b");
	assert_int_equal(strparse_pct_decode("", 0, out, true), 0);
	assert_string_equal(out, "");
	/* A NUL is decoded; refusing it is the caller's choice. */
	assert_int_equal(strparse_pct_decode("x%00y", 5, out, true), 3);
	assert_memory_equal(out, "x\0y", 4);
	/* Malformed escapes: the part decoded is wiped. */
	assert_int_equal(strparse_pct_decode("secret%4", 8, out, true), -1);
	assert_memory_equal(out, "\0\0\0\0\0\0\0", 7);
	assert_int_equal(strparse_pct_decode("%zz", 3, out, true), -1);
	assert_int_equal(strparse_pct_decode("%", 1, out, true), -1);
	assert_int_equal(strparse_pct_decode("a%4g", 4, out, true), -1);
}

/* utf8_decode / utf8_valid: RFC 3629's table, boundaries included. */
static void
test_utf8(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		size_t n;	/* bytes decoded, 0 = refused */
		uint32_t cp;
	} v[] = {
		{ "a", 1, 1, 'a' },
		{ "\0", 1, 1, 0 },
		{ "\x7f", 1, 1, 0x7f },
		{ "\xc2\x80", 2, 2, 0x80 },
		{ "\xc3\xa9", 2, 2, 0xe9 },
		{ "\xdf\xbf", 2, 2, 0x7ff },
		{ "\xe0\xa0\x80", 3, 3, 0x800 },
		{ "\xed\x9f\xbf", 3, 3, 0xd7ff },
		{ "\xee\x80\x80", 3, 3, 0xe000 },
		{ "\xef\xbf\xbf", 3, 3, 0xffff },
		{ "\xf0\x90\x80\x80", 4, 4, 0x10000 },
		{ "\xf0\x9f\x98\x80", 4, 4, 0x1f600 },
		{ "\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff },
		/* Only the first character is decoded. */
		{ "ab", 2, 1, 'a' },
		{ "\xc3\xa9x", 3, 2, 0xe9 },
		/* Stray continuation bytes and impossible leads. */
		{ "\x80", 1, 0, 0 },
		{ "\xbf", 1, 0, 0 },
		{ "\xf8\x88\x80\x80\x80", 5, 0, 0 },
		{ "\xfe", 1, 0, 0 },
		{ "\xff", 1, 0, 0 },
		/* Overlong forms. */
		{ "\xc0\xaf", 2, 0, 0 },
		{ "\xc1\xbf", 2, 0, 0 },
		{ "\xc0\x80", 2, 0, 0 },
		{ "\xe0\x80\xaf", 3, 0, 0 },
		{ "\xe0\x9f\xbf", 3, 0, 0 },
		{ "\xf0\x80\x80\xaf", 4, 0, 0 },
		{ "\xf0\x8f\xbf\xbf", 4, 0, 0 },
		/* Surrogates, and past U+10FFFF. */
		{ "\xed\xa0\x80", 3, 0, 0 },
		{ "\xed\xbf\xbf", 3, 0, 0 },
		{ "\xf4\x90\x80\x80", 4, 0, 0 },
		{ "\xf5\x80\x80\x80", 4, 0, 0 },
		{ "\xf7\xbf\xbf\xbf", 4, 0, 0 },
		/* Truncated, or a continuation byte missing. */
		{ "\xc3", 1, 0, 0 },
		{ "\xe2\x82", 2, 0, 0 },
		{ "\xf0\x9f\x98", 3, 0, 0 },
		{ "\xc3x", 2, 0, 0 },
		{ "\xe2\x82x", 3, 0, 0 },
		{ "\xf0\x9f\x98x", 4, 0, 0 },
	};
	uint32_t cp;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		cp = 0xdeadbeef;
		if (utf8_decode(v[i].s, v[i].len, &cp) != v[i].n)
			fail_msg("case %zu: decoded %zu bytes, not %zu", i,
			    utf8_decode(v[i].s, v[i].len, &cp), v[i].n);
		assert_int_equal(cp, v[i].n > 0 ? v[i].cp : 0xdeadbeef);
		assert_int_equal(utf8_valid(v[i].s, v[i].n > 0 ? v[i].n :
		    v[i].len), v[i].n > 0);
	}
	assert_int_equal(utf8_decode("", 0, &cp), 0);
	assert_true(utf8_valid("", 0));
	assert_true(utf8_valid("h\xc3\xa9 \xe2\x82\xac\xf0\x9f\x98\x80", 11));
	assert_false(utf8_valid("h\xc3\xa9 \xe2\x82", 5));
}

/* timing: monotonic seconds move forward; CPU time grows with work. */
static void
test_timing(void **state)
{
	volatile unsigned long x = 0;
	double t0 = timing_now(), c0 = timing_cpu();
	unsigned long i;

	(void)state;
	for (i = 0; i < 50000000UL; i++)
		x += i;
	assert_true(timing_since(t0) > 0.0);
	assert_true(timing_now() >= t0);
	assert_true(timing_cpu() > c0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_limit),
		cmocka_unit_test(test_buf_take),
		cmocka_unit_test(test_strparse_num),
		cmocka_unit_test(test_strparse_double_bool),
		cmocka_unit_test(test_secret_load),
		cmocka_unit_test(test_secret_refusals),
		cmocka_unit_test(test_secret_new),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_diag),
		cmocka_unit_test(test_secret_owner),
		cmocka_unit_test(test_log_format),
		cmocka_unit_test(test_strparse_word),
		cmocka_unit_test(test_err_why),
		cmocka_unit_test(test_strparse_pct),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_timing),
	};

	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
