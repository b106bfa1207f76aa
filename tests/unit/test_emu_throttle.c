/*
 * rsemu throttle: fixed-window arithmetic (pure, with an explicit `now`),
 * SPEC parsing and formatting, and the per-user table with its bucket
 * masks. Single thread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "emu_throttle.h"
#include "err.h"

static void
test_window_basic(void **st)
{
	struct emu_window w = { 0, 0 };
	int i;

	(void)st;
	/* 3 per 60 s: calls 1-3 pass, 4 and 5 fail, all counted. */
	for (i = 0; i < 3; i++)
		assert_true(emu_throttle_window_hit(&w, 3, 60000, 1000 + i));
	assert_false(emu_throttle_window_hit(&w, 3, 60000, 2000));
	assert_false(emu_throttle_window_hit(&w, 3, 60000, 60999));
	assert_int_equal(w.count, 5);
	/* The window started at the first call (t=1000): at 61000 it ends. */
	assert_true(emu_throttle_window_hit(&w, 3, 60000, 61000));
	assert_int_equal(w.count, 1);
	assert_int_equal(w.start_ms, 61000);
}

static void
test_window_throttled_calls_count(void **st)
{
	struct emu_window w = { 0, 0 };
	int i;

	(void)st;
	/* Hammering while throttled does not extend the window (fixed),
	 * but every call is counted in it. */
	for (i = 0; i < 100; i++)
		(void)emu_throttle_window_hit(&w, 2, 10000, 5000 + i * 10);
	assert_int_equal(w.count, 100);
	assert_false(emu_throttle_window_hit(&w, 2, 10000, 14999));
	assert_true(emu_throttle_window_hit(&w, 2, 10000, 15000));
}

static void
test_window_unlimited_and_clock_back(void **st)
{
	struct emu_window w = { 0, 0 };
	int i;

	(void)st;
	for (i = 0; i < 1000; i++)
		assert_true(emu_throttle_window_hit(&w, 0, 1000, 5));
	w.start_ms = 100000;
	w.count = 50;
	/* A clock that stepped back restarts the window. */
	assert_true(emu_throttle_window_hit(&w, 1, 60000, 10));
	assert_int_equal(w.start_ms, 10);
}

static void
test_spec_good(void **st)
{
	struct emu_throttle_limits l;
	char why[256], buf[128];

	(void)st;
	assert_int_equal(emu_throttle_spec_parse("rackspace", &l, why,
	    sizeof(why)), 0);
	assert_false(l.off);
	assert_int_equal(l.limit[EMU_B_GET], 60);
	assert_int_equal(l.limit[EMU_B_WRITE], 30);
	assert_int_equal(l.limit[EMU_B_DOMAIN], 2);
	assert_int_equal(l.limit[EMU_B_ALTDOMAIN], 2);
	assert_int_equal(l.window_s, 60);
	assert_int_equal(emu_throttle_spec_parse("off", &l, why, sizeof(why)),
	    0);
	assert_true(l.off);
	assert_int_equal(emu_throttle_spec_parse("get=3,window=6", &l, why,
	    sizeof(why)), 0);
	assert_int_equal(l.limit[EMU_B_GET], 3);
	assert_int_equal(l.limit[EMU_B_WRITE], 30);	/* default kept */
	assert_int_equal(l.window_s, 6);
	assert_int_equal(emu_throttle_spec_parse("get=60,write=30,domain=2,"
	    "altdomain=2,window=6", &l, why, sizeof(why)), 0);
	assert_int_equal(emu_throttle_spec_parse("write=off", &l, why,
	    sizeof(why)), 0);
	assert_int_equal(l.limit[EMU_B_WRITE], 0);
	emu_throttle_spec_format(&l, buf, sizeof(buf));
	assert_string_equal(buf, "get=60,write=off,domain=2,altdomain=2,"
	    "window=60");
	/* The format parses back to the same limits. */
	{
		struct emu_throttle_limits l2;

		assert_int_equal(emu_throttle_spec_parse(buf, &l2, why,
		    sizeof(why)), 0);
		assert_memory_equal(&l, &l2, sizeof(l));
	}
}

static void
test_spec_bad(void **st)
{
	static const char *const bad[] = {
		"", "fast", "get", "get=", "=3", "get=0", "get=-1", "get=abc",
		"get=3,", "window=0", "window=86401", "window=1.5", "put=3",
		"get=3,,write=2", "get =3", "get=99999999999",
	};
	struct emu_throttle_limits l;
	char why[256];
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_true(emu_throttle_spec_parse(bad[i], &l, why,
		    sizeof(why)) < 0);
		assert_true(why[0] != '\0');
	}
}

static void
test_table_masks(void **st)
{
	struct emu_throttle_limits l;
	struct emu_throttle *t;
	char why[128];
	unsigned dom = (1u << EMU_B_WRITE) | (1u << EMU_B_DOMAIN);

	(void)st;
	assert_int_equal(emu_throttle_spec_parse("write=3,domain=2,get=2",
	    &l, why, sizeof(why)), 0);
	t = emu_throttle_new(2, &l);
	assert_non_null(t);
	/* Domain writes count in both buckets. */
	assert_true(emu_throttle_check(t, 0, dom, 0));
	assert_true(emu_throttle_check(t, 0, dom, 1));
	assert_false(emu_throttle_check(t, 0, dom, 2));	/* domain 3 > 2 */
	/* The write bucket already holds 3: a plain write is refused. */
	assert_false(emu_throttle_check(t, 0, 1u << EMU_B_WRITE, 3));
	/* Another user has its own windows; GETs their own bucket. */
	assert_true(emu_throttle_check(t, 1, 1u << EMU_B_WRITE, 3));
	assert_true(emu_throttle_check(t, 0, 1u << EMU_B_GET, 3));
	assert_true(emu_throttle_check(t, 0, 1u << EMU_B_GET, 3));
	assert_false(emu_throttle_check(t, 0, 1u << EMU_B_GET, 3));
	/* After the window, all is allowed again. */
	assert_true(emu_throttle_check(t, 0, dom, 60000));
	emu_throttle_clear(t);
	assert_true(emu_throttle_check(t, 0, 1u << EMU_B_GET, 60001));
	l.off = true;
	emu_throttle_set_limits(t, &l);
	assert_true(emu_throttle_check(t, 0, 1u << EMU_B_GET, 60001));
	/* Unknown user index: never throttled, never counted. */
	assert_true(emu_throttle_check(t, 7, 1u << EMU_B_GET, 0));
	emu_throttle_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_basic),
		cmocka_unit_test(test_window_throttled_calls_count),
		cmocka_unit_test(test_window_unlimited_and_clock_back),
		cmocka_unit_test(test_spec_good),
		cmocka_unit_test(test_spec_bad),
		cmocka_unit_test(test_table_masks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
