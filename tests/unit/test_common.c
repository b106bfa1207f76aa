/*
 * Unit tests of the common module: bounded buffers, strict number parsing,
 * secret files (modes, symlinks, size, trailing newline), error strings and
 * diagnostics.
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
		cmocka_unit_test(test_timing),
	};

	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
