/*
 * Unit tests of the request signature (docs/rackspace-api.md §2.4): both
 * vectors of the wiki's table, UTC timestamps, and the strict header parser
 * that rsemu runs on untrusted input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "rs_auth.h"

#define KEY "eGbq9/2hcZsRlr1JV1Pi"
#define UA "Rackspace Management Interface"
#define SECRET "QHOvchm/40czXhJ1OxfxK7jDHr3t"

static void
test_vector_1(void **state)
{
	char h[RS_AUTH_HASH_LEN + 1];

	(void)state;
	assert_int_equal(rs_auth_hash(KEY, UA, "20010308143725",
	    (const unsigned char *)SECRET, strlen(SECRET), h), 0);
	assert_string_equal(h, "46VIwd66mOFGG8IkbgnLlXnfnkU=");
}

static void
test_vector_2(void **state)
{
	char h[RS_AUTH_HASH_LEN + 1];

	(void)state;
	assert_int_equal(rs_auth_hash(KEY, UA, "20010317143725",
	    (const unsigned char *)SECRET, strlen(SECRET), h), 0);
	assert_string_equal(h, "HKUn0aajpSDx7qqGK3vqzn3FglI=");
}

static void
test_user_agent_is_hashed(void **state)
{
	char a[RS_AUTH_HASH_LEN + 1], b[RS_AUTH_HASH_LEN + 1];

	(void)state;
	assert_int_equal(rs_auth_hash(KEY, UA, "20010317143725",
	    (const unsigned char *)SECRET, strlen(SECRET), a), 0);
	assert_int_equal(rs_auth_hash(KEY, "adsync/0.1", "20010317143725",
	    (const unsigned char *)SECRET, strlen(SECRET), b), 0);
	assert_string_not_equal(a, b);
}

static void
test_timestamp_utc(void **state)
{
	char ts[RS_AUTH_TS_LEN + 1];
	time_t t;

	(void)state;
	/* 2001-03-17 14:37:25 UTC */
	assert_int_equal(rs_auth_timestamp(984839845, ts), 0);
	assert_string_equal(ts, "20010317143725");
	assert_int_equal(rs_auth_timestamp_parse(ts, &t), 0);
	assert_int_equal((long long)t, 984839845LL);
	/* zero-padded fields */
	assert_int_equal(rs_auth_timestamp(978310861, ts), 0);
	assert_string_equal(ts, "20010101010101");
}

static void
test_timestamp_parse_rejects(void **state)
{
	time_t t = 0;

	(void)state;
	assert_int_equal(rs_auth_timestamp_parse("2001031714372", &t),
	    -ADSYNC_EPARSE);
	assert_int_equal(rs_auth_timestamp_parse("200103171437255", &t),
	    -ADSYNC_EPARSE);
	assert_int_equal(rs_auth_timestamp_parse("20011317143725", &t),
	    -ADSYNC_EPARSE);
	assert_int_equal(rs_auth_timestamp_parse("2001031714372a", &t),
	    -ADSYNC_EPARSE);
	assert_int_equal(t, 0);
}

static void
test_header_roundtrip(void **state)
{
	char hdr[RS_AUTH_HEADER_MAX + 1];
	struct rs_auth_parts p;

	(void)state;
	assert_int_equal(rs_auth_header(KEY, UA, 984839845,
	    (const unsigned char *)SECRET, strlen(SECRET), hdr, sizeof(hdr)),
	    0);
	assert_string_equal(hdr,
	    KEY ":20010317143725:HKUn0aajpSDx7qqGK3vqzn3FglI=");
	assert_int_equal(rs_auth_parse(hdr, &p), 0);
	assert_string_equal(p.user_key, KEY);
	assert_string_equal(p.timestamp, "20010317143725");
	assert_true(rs_auth_hash_equal(p.hash, "HKUn0aajpSDx7qqGK3vqzn3FglI="));
	assert_false(rs_auth_hash_equal(p.hash, "46VIwd66mOFGG8IkbgnLlXnfnkU="));
}

static void
test_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		":20010317143725:HKUn0aajpSDx7qqGK3vqzn3FglI=",
		KEY ":2001031714372:HKUn0aajpSDx7qqGK3vqzn3FglI=",
		KEY ":20010317143725:HKUn0aajpSDx7qqGK3vqzn3FglI",
		KEY ":20010317143725:HKUn0aajpSDx7qqGK3vqzn3FglI=\n",
		KEY ":20010317143725:HKUn0aajpSDx7qqGK3vqzn3FglI= ",
		KEY ":20010317143725HKUn0aajpSDx7qqGK3vqzn3FglI=",
		"ke y:20010317143725:HKUn0aajpSDx7qqGK3vqzn3FglI=",
		KEY ":20010317143725:HKUn0aajpSDx7qqGK3vqzn3Fgl*=",
	};
	struct rs_auth_parts p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(rs_auth_parse(bad[i], &p), -ADSYNC_EPARSE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector_1),
		cmocka_unit_test(test_vector_2),
		cmocka_unit_test(test_user_agent_is_hashed),
		cmocka_unit_test(test_timestamp_utc),
		cmocka_unit_test(test_timestamp_parse_rejects),
		cmocka_unit_test(test_header_roundtrip),
		cmocka_unit_test(test_parse_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
