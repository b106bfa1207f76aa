/*
 * rsemu signature verification (the two wiki test vectors of
 * docs/rackspace-api.md §2.4, the clock window, every refusal) and the
 * command-line / --config parsing with its one-line errors. Single thread;
 * writes a few files under a temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "emu_auth.h"
#include "emu_config.h"
#include "err.h"
#include "secret.h"
#include "xmalloc.h"

#define KEY "eGbq9/2hcZsRlr1JV1Pi"
#define UA "Rackspace Management Interface"
#define SECRET "QHOvchm/40czXhJ1OxfxK7jDHr3t"

static void
setup_cfg(struct emu_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->users = xcalloc(1, sizeof(*cfg->users));
	cfg->users[0].key = xstrdup(KEY);
	cfg->users[0].secret_file = xstrdup("/nonexistent");
	cfg->users[0].secret = secret_new(SECRET, strlen(SECRET), "test");
	cfg->users[0].account = 100;
	cfg->nusers = 1;
	cfg->clock_skew = 900;
}

static time_t
ts(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	sscanf(s, "%4d%2d%2d%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	    &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

static void
test_vectors(void **st)
{
	struct emu_config cfg;
	size_t user = 99;

	(void)st;
	setup_cfg(&cfg);
	assert_int_equal(emu_auth_verify(&cfg, KEY ":20010308143725:"
	    "46VIwd66mOFGG8IkbgnLlXnfnkU=", UA, ts("20010308143725"), &user),
	    EMU_AUTH_OK);
	assert_int_equal(user, 0);
	assert_int_equal(emu_auth_verify(&cfg, KEY ":20010317143725:"
	    "HKUn0aajpSDx7qqGK3vqzn3FglI=", UA, ts("20010317143725"), &user),
	    EMU_AUTH_OK);
	/* The wiki slip: the 0308 hash with the 0317 timestamp. */
	assert_int_equal(emu_auth_verify(&cfg, KEY ":20010317143725:"
	    "46VIwd66mOFGG8IkbgnLlXnfnkU=", UA, ts("20010317143725"), &user),
	    EMU_AUTH_HASH);
	/* Another User-Agent than the one hashed. */
	assert_int_equal(emu_auth_verify(&cfg, KEY ":20010308143725:"
	    "46VIwd66mOFGG8IkbgnLlXnfnkU=", "curl/8", ts("20010308143725"),
	    &user), EMU_AUTH_HASH);
	emu_config_fini(&cfg);
}

static void
test_window_and_refusals(void **st)
{
	struct emu_config cfg;
	time_t t = ts("20010308143725");
	const char *sig = KEY ":20010308143725:46VIwd66mOFGG8IkbgnLlXnfnkU=";
	size_t user;

	(void)st;
	setup_cfg(&cfg);
	assert_int_equal(emu_auth_verify(&cfg, sig, UA, t + 900, &user),
	    EMU_AUTH_OK);
	assert_int_equal(emu_auth_verify(&cfg, sig, UA, t - 900, &user),
	    EMU_AUTH_OK);
	assert_int_equal(emu_auth_verify(&cfg, sig, UA, t + 901, &user),
	    EMU_AUTH_CLOCK);
	assert_int_equal(emu_auth_verify(&cfg, sig, UA, t - 901, &user),
	    EMU_AUTH_CLOCK);
	cfg.clock_skew = 0;
	assert_int_equal(emu_auth_verify(&cfg, sig, UA, t, &user),
	    EMU_AUTH_OK);
	assert_int_equal(emu_auth_verify(&cfg, sig, UA, t + 1, &user),
	    EMU_AUTH_CLOCK);
	assert_int_equal(emu_auth_verify(&cfg, NULL, UA, t, &user),
	    EMU_AUTH_MISSING);
	assert_int_equal(emu_auth_verify(&cfg, "garbage", UA, t, &user),
	    EMU_AUTH_MALFORMED);
	assert_int_equal(emu_auth_verify(&cfg, KEY ":2001030814372:"
	    "46VIwd66mOFGG8IkbgnLlXnfnkU=", UA, t, &user), EMU_AUTH_MALFORMED);
	assert_int_equal(emu_auth_verify(&cfg, KEY ":20011308143725:"
	    "46VIwd66mOFGG8IkbgnLlXnfnkU=", UA, t, &user), EMU_AUTH_MALFORMED);
	/* Ruby's Base64.encode64 newline is not accepted. */
	assert_int_equal(emu_auth_verify(&cfg, KEY ":20010308143725:"
	    "46VIwd66mOFGG8IkbgnLlXnfnkU=\n", UA, t, &user),
	    EMU_AUTH_MALFORMED);
	assert_int_equal(emu_auth_verify(&cfg, "other:20010308143725:"
	    "46VIwd66mOFGG8IkbgnLlXnfnkU=", UA, t, &user),
	    EMU_AUTH_UNKNOWN_KEY);
	assert_string_equal(emu_auth_fail_name(EMU_AUTH_CLOCK), "clock");
	emu_config_fini(&cfg);
}

static int
args(struct emu_config *c, char *why, size_t whylen, ...)
{
	char *argv[40];
	va_list ap;
	int argc = 0, r;

	argv[argc++] = xstrdup("rsemu");
	va_start(ap, whylen);
	for (;;) {
		const char *a = va_arg(ap, const char *);

		if (a == NULL || argc == 39)
			break;
		argv[argc++] = xstrdup(a);
	}
	va_end(ap);
	argv[argc] = NULL;
	r = emu_config_parse_args(argc, argv, c, why, whylen);
	while (argc > 0)
		free(argv[--argc]);
	return r;
}

static void
test_args_good(void **st)
{
	struct emu_config c;
	char why[512];

	(void)st;
	assert_int_equal(args(&c, why, sizeof(why), "--listen",
	    "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--account",
	    "100042", "--user-key", "k1", "--secret-key-file", "/tmp/x",
	    "--domain", "Example.COM:exchange", "--domain", "example.net",
	    "--accepted-domain", "example.com:example.org",
	    "--throttle", "get=3,window=60", "--clock-skew", "60",
	    "--clock-offset", "-3600", "--faults", "error500=0.1",
	    "--latency-ms", "1-2", "--threads", "2", "--mailbox-limit", "5",
	    "-vv", NULL), 0);
	assert_int_equal(c.nusers, 1);
	assert_int_equal(c.users[0].account, 100042);
	assert_int_equal(c.ndomains, 2);
	assert_string_equal(c.domains[0].name, "example.com");
	assert_int_equal(c.domains[0].service, EMU_SVC_EX);
	assert_int_equal(c.domains[1].service, EMU_SVC_BOTH);
	assert_int_equal(c.domains[1].mailbox_limit, 5);
	assert_int_equal(c.throttle.limit[0], 3);
	assert_int_equal(c.clock_offset, -3600);
	assert_int_equal(c.faults.latency_max, 2);
	assert_true(c.faults.p[EMU_FA_ERROR500] > 0.09);
	assert_int_equal(c.verbosity, 2);
	emu_config_fini(&c);
	assert_int_equal(args(&c, why, sizeof(why), "--help", NULL), 0);
	assert_true(c.help);
	emu_config_fini(&c);
}

static void
test_args_bad(void **st)
{
	struct emu_config c;
	char why[512];

	(void)st;
#define BAD(needle, ...) do { \
		why[0] = '\0'; \
		assert_int_equal(args(&c, why, sizeof(why), __VA_ARGS__, \
		    NULL), -ADSYNC_ECONFIG); \
		if (strstr(why, needle) == NULL) \
			fail_msg("\"%s\" lacks \"%s\"", why, needle); \
		emu_config_fini(&c); \
	} while (0)
#define USER "--account", "1", "--user-key", "k", "--secret-key-file", "/f"
	BAD("--listen", USER);
	BAD("--listen", "--listen", "nonsense", USER);
	BAD("loopback", "--listen", "0.0.0.0:8443", USER);
	BAD("--admin-listen", "--listen", "127.0.0.1:0", "--admin-listen",
	    "10.0.0.1:80", USER);
	BAD("go together", "--listen", "127.0.0.1:0", "--account", "1");
	BAD("--tls-cert and --tls-key", "--listen", "127.0.0.1:0",
	    "--tls-cert", "/c", USER);
	BAD("--account", "--listen", "127.0.0.1:0", "--account", "x",
	    "--user-key", "k", "--secret-key-file", "/f");
	BAD("--throttle", "--listen", "127.0.0.1:0", "--throttle", "fast",
	    USER);
	BAD("--faults", "--listen", "127.0.0.1:0", "--faults", "boom=1",
	    USER);
	BAD("--latency-ms", "--listen", "127.0.0.1:0", "--latency-ms",
	    "9-1", USER);
	BAD("--threads", "--listen", "127.0.0.1:0", "--threads", "0", USER);
	BAD("service", "--listen", "127.0.0.1:0", "--domain", "a.com:mail",
	    USER);
	BAD("not a domain", "--listen", "127.0.0.1:0", "--domain", "nodot",
	    USER);
	BAD("twice", "--listen", "127.0.0.1:0", "--domain", "a.com",
	    "--domain", "A.com", USER);
	BAD("not a configured domain", "--listen", "127.0.0.1:0",
	    "--accepted-domain", "a.com:b.org", USER);
	BAD("--domain needs --account", "--listen", "127.0.0.1:0",
	    "--domain", "a.com");
	BAD("unknown option", "--listen", "127.0.0.1:0", "--frobnicate",
	    USER);
	BAD("unexpected argument", "--listen", "127.0.0.1:0", "extra", USER);
	BAD("no API user", "--listen", "127.0.0.1:0");
	BAD("--config", "--listen", "127.0.0.1:0", "--config",
	    "/nonexistent/rsemu.ini");
#undef BAD
#undef USER
}

static void
test_ini(void **st)
{
	static const char good[] =
	    "; two accounts\n"
	    "[account 100]\n"
	    "user = keyA:secretA\n"
	    "user = keyB:/abs/secretB\n"
	    "domain = a.com:exchange\n"
	    "domain = b.com\n"
	    "accepted_domain = a.com:alias.org\n"
	    "mailbox_limit = 7\n"
	    "[account 200]\n"
	    "user = keyC:c.key\n"
	    "domain = c.com:rsemail\n";
	struct emu_config c;
	char why[512];

	(void)st;
	memset(&c, 0, sizeof(c));
	assert_int_equal(emu_config_parse_ini(good, strlen(good),
	    "/etc/rsemu/test.ini", &c, why, sizeof(why)), 0);
	assert_int_equal(c.nusers, 3);
	assert_string_equal(c.users[0].secret_file, "/etc/rsemu/secretA");
	assert_string_equal(c.users[1].secret_file, "/abs/secretB");
	assert_int_equal(c.users[2].account, 200);
	assert_int_equal(c.ndomains, 3);
	assert_int_equal(c.domains[0].mailbox_limit, 7);
	assert_int_equal(c.domains[2].mailbox_limit, 0);
	assert_int_equal(c.naccepted, 1);
	emu_config_fini(&c);

	memset(&c, 0, sizeof(c));
	assert_true(emu_config_parse_ini("[account x]\nuser=a:b\n", 20, "t",
	    &c, why, sizeof(why)) < 0);
	emu_config_fini(&c);
	memset(&c, 0, sizeof(c));
	assert_true(emu_config_parse_ini("[account 1]\ncolour=red\n", 23, "t",
	    &c, why, sizeof(why)) < 0);
	assert_non_null(strstr(why, "unknown key"));
	emu_config_fini(&c);
	memset(&c, 0, sizeof(c));
	assert_true(emu_config_parse_ini("[account 1]\nuser=nokey\n", 23,
	    "t", &c, why, sizeof(why)) < 0);
	emu_config_fini(&c);
	memset(&c, 0, sizeof(c));
	assert_true(emu_config_parse_ini("user=a:b\n", 9, "t", &c, why,
	    sizeof(why)) < 0);
	emu_config_fini(&c);
}

static void
test_secret_mode(void **st)
{
	struct emu_config c;
	char dir[] = "/tmp/test_emu_auth.XXXXXX", path[128], why[512];
	FILE *fp;

	(void)st;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sk", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("secret\n", fp);
	fclose(fp);
	chmod(path, 0644);
	assert_int_equal(args(&c, why, sizeof(why), "--listen", "127.0.0.1:0",
	    "--account", "1", "--user-key", "k", "--secret-key-file", path,
	    NULL), 0);
	assert_true(emu_config_load_secrets(&c, why, sizeof(why)) < 0);
	assert_non_null(strstr(why, "--secret-key-file"));
	emu_config_fini(&c);
	chmod(path, 0600);
	assert_int_equal(args(&c, why, sizeof(why), "--listen", "127.0.0.1:0",
	    "--account", "1", "--user-key", "k", "--secret-key-file", path,
	    NULL), 0);
	assert_int_equal(emu_config_load_secrets(&c, why, sizeof(why)), 0);
	emu_config_fini(&c);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_window_and_refusals),
		cmocka_unit_test(test_args_good),
		cmocka_unit_test(test_args_bad),
		cmocka_unit_test(test_ini),
		cmocka_unit_test(test_secret_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
